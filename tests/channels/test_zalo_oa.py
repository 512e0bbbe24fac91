"""The Zalo OA channel end to end: signed webhook events in, Open API messages out (fake)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.app import App, build_app
from bot.channels.zalo_oa import MAX_BUTTONS, TEXT_LIMIT, layout
from bot.core.i18n import Translator
from bot.core.types import Attachment, Choice, Reply
from bot.serve import Running
from storage.zalo_tokens import TokenPair, ZaloTokenStore
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.zalo_api import FakeZalo, oa_text_event, serving, sign_event, zalo_settings
from tests.harness import FakeClock, make_config

T = Translator("vi")
USER = "zu-1001"


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    """Fake Zalo OA and Bot servers on 127.0.0.1."""
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def zapp(tmp_path: Path, clock: FakeClock, fake_zalo: FakeZalo) -> AsyncIterator[App]:
    """The real app configured for the fake Zalo servers, its clock at the events' real time."""
    clock.now = datetime.now(UTC)  # events carry the wall clock; their time window is checked
    config = make_config(tmp_path / "zalo.sqlite3", **zalo_settings(fake_zalo))
    application = await build_app(config, clock=clock)
    try:
        yield application
    finally:
        await application.close()


async def post_event(
    running: Running, fake: FakeZalo, event: dict[str, object], *, mac: str | None = None
) -> int:
    """POST an event to `/zalo/oa` signed like Zalo (or with `mac`); returns the HTTP status."""
    body = json.dumps(event).encode()
    signature = mac or sign_event(fake.app_id, fake.secret_key, body, str(event["timestamp"]))
    url = f"http://127.0.0.1:{running.server.port}/zalo/oa"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers={"X-ZEvent-Signature": signature}) as response,
    ):
        return response.status


async def say(running: Running, fake: FakeZalo, text: str, msg_id: str) -> int:
    """The user types `text` (one signed `user_send_text` event)."""
    return await post_event(running, fake, oa_text_event(fake.app_id, USER, text, msg_id))


async def session_of(app: App) -> tuple[str | None, str | None] | None:
    """The stored (flow, step) of the test user, or None without a session row."""
    row = await app.db.fetchone(
        "SELECT flow, step FROM sessions WHERE channel = 'zalo_oa' AND user_id = ?", (USER,)
    )
    return None if row is None else (row["flow"], row["step"])


async def test_signed_event_gets_reply_with_buttons(zapp: App, fake_zalo: FakeZalo) -> None:
    """A signed text event is answered through /v3.0/oa/message/cs with oa.query.hide buttons."""
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await say(running, fake_zalo, "/xoadulieu", "m1") == 200
        sent = await fake_zalo.wait_oa(1)
    assert sent[0].user_id == USER
    assert sent[0].text == T("privacy.confirm")
    assert sent[0].buttons == [
        (T("privacy.yes_delete"), "privacy:yes"),
        (T("common.cancel"), "privacy:no"),
    ]
    assert await session_of(zapp) == ("privacy", "confirm")


async def test_bad_signature_is_rejected_and_not_handled(zapp: App, fake_zalo: FakeZalo) -> None:
    """A wrong or missing signature gets 401; nothing is stored and nothing is sent."""
    event = oa_text_event(fake_zalo.app_id, USER, "/xoadulieu", "m1")
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await post_event(running, fake_zalo, event, mac="mac=" + "0" * 64) == 401
        tampered = sign_event(fake_zalo.app_id, "other-secret", json.dumps(event).encode(), "1")
        assert await post_event(running, fake_zalo, event, mac=tampered) == 401
        await asyncio.sleep(0.2)
    assert fake_zalo.oa_sent == []
    assert await session_of(zapp) is None
    assert await zapp.db.fetchone("SELECT 1 FROM users WHERE channel = 'zalo_oa'") is None


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"079123456789"'])
async def test_a_body_that_is_no_event_gets_400_and_is_not_logged(
    zapp: App, fake_zalo: FakeZalo, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Not JSON, or not an object: 400 (Zalo would only resend it), its content never logged."""
    async with serving(zapp, ["zalo_oa"]) as running:
        url = f"http://127.0.0.1:{running.server.port}/zalo/oa"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=body, headers={"X-ZEvent-Signature": "mac=00"}) as response,
        ):
            assert response.status == 400
    assert "079123456789" not in caplog.text
    assert await zapp.db.fetchone("SELECT 1 FROM inbox") is None


async def test_button_payload_text_moves_to_next_step(zapp: App, fake_zalo: FakeZalo) -> None:
    """The payload an oa.query.hide button sends back as text is taken as that button's press."""
    async with serving(zapp, ["zalo_oa"]) as running:
        await say(running, fake_zalo, "/xoadulieu", "m1")
        await fake_zalo.wait_oa(1)
        await say(running, fake_zalo, "privacy:no", "m2")
        sent = await fake_zalo.wait_oa(2)
    assert sent[1].text == T("privacy.kept")
    assert await session_of(zapp) == (None, None)


async def test_payload_text_not_offered_stays_text(zapp: App, fake_zalo: FakeZalo) -> None:
    """A payload-looking text that was not offered last is not turned into a button press."""
    async with serving(zapp, ["zalo_oa"]) as running:
        await say(running, fake_zalo, "privacy:yes", "m1")
        sent = await fake_zalo.wait_oa(1)
    assert T("privacy.done") not in [message.text for message in sent]
    assert await session_of(zapp) != ("privacy", "confirm")


async def test_expired_token_is_refreshed_and_send_retried(zapp: App, fake_zalo: FakeZalo) -> None:
    """On -216 the stored refresh token buys a new pair, stored in the DB, and the send succeeds."""
    async with serving(zapp, ["zalo_oa"]) as running:
        fake_zalo.expire_token()
        await say(running, fake_zalo, "/xoadulieu", "m1")
        sent = await fake_zalo.wait_oa(1)
    assert sent[0].text == T("privacy.confirm")
    assert fake_zalo.refresh_calls == ["RT1"]
    assert await ZaloTokenStore(zapp.db).load() == TokenPair("AT2", "RT2")


async def test_stored_tokens_win_over_settings(zapp: App, fake_zalo: FakeZalo) -> None:
    """After a rotation the stored pair is used on restart, not the (dead) configured one."""
    await ZaloTokenStore(zapp.db).save(TokenPair("AT9", "RT9"), now=zapp.services.clock())
    fake_zalo.access_token, fake_zalo.refresh_token = "AT9", "RT9"
    async with serving(zapp, ["zalo_oa"]) as running:
        await say(running, fake_zalo, "/xoadulieu", "m1")
        sent = await fake_zalo.wait_oa(1)
    assert sent[0].text == T("privacy.confirm")
    assert fake_zalo.refresh_calls == []


async def test_redelivered_event_is_handled_once(zapp: App, fake_zalo: FakeZalo) -> None:
    """The same msg_id delivered twice gives one reply."""
    event = oa_text_event(fake_zalo.app_id, USER, "/xoadulieu", "same-id")
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await post_event(running, fake_zalo, event) == 200
        assert await post_event(running, fake_zalo, event) == 200
        await fake_zalo.wait_oa(1)
        await asyncio.sleep(0.3)
    assert [message.text for message in fake_zalo.oa_sent] == [T("privacy.confirm")]


async def test_server_errors_are_retried(zapp: App, fake_zalo: FakeZalo) -> None:
    """Two HTTP 500 answers in a row are retried with backoff and the reply still arrives."""
    async with serving(zapp, ["zalo_oa"]) as running:
        fake_zalo.fail_next(2)
        await say(running, fake_zalo, "/xoadulieu", "m1")
        sent = await fake_zalo.wait_oa(1, timeout=10)
    assert sent[0].text == T("privacy.confirm")
    assert fake_zalo.cs_calls == 3


async def test_undeliverable_reply_is_kept_in_outbox(zapp: App, fake_zalo: FakeZalo) -> None:
    """A reply that fails every retry is queued in the outbox, then delivered when Zalo is back."""
    async with serving(zapp, ["zalo_oa"]) as running:
        fake_zalo.fail_next(4)
        await say(running, fake_zalo, "/xoadulieu", "m1")
        sent = await fake_zalo.wait_oa(1, timeout=15)
        for _ in range(50):  # the worker settles the row just after the fake recorded it
            row = await zapp.db.fetchone("SELECT sent_at FROM outbox WHERE channel = 'zalo_oa'")
            if row is not None and row["sent_at"] is not None:
                break
            await asyncio.sleep(0.05)
    assert sent[0].text == T("privacy.confirm")
    assert sent[0].buttons == [
        (T("privacy.yes_delete"), "privacy:yes"),
        (T("common.cancel"), "privacy:no"),
    ]
    assert row is not None
    assert row["sent_at"] is not None


async def test_long_text_split_and_attachments_uploaded(zapp: App, fake_zalo: FakeZalo) -> None:
    """Text over 2,000 characters is split; an image and a document are uploaded, then sent."""
    long_text = "\n".join(f"Dòng {i}: " + "ạ" * 90 for i in range(50))
    replies = [
        Reply(long_text),
        Reply("Biểu đồ", attachment=Attachment("chart.png", b"PNG", kind="image")),
        Reply("", attachment=Attachment("bao-cao.csv", b"a,b\n1,2\n")),
    ]
    async with serving(zapp, ["zalo_oa"]) as running:
        await running.senders["zalo_oa"].send(USER, replies)
    texts = [message.text for message in fake_zalo.oa_sent if message.attachment_kind is None]
    assert all(len(text) <= TEXT_LIMIT for text in texts)
    assert "\n".join(texts[:-1]).replace("\n", "") == long_text.replace("\n", "")
    assert texts[-1] == "Biểu đồ"
    media = [m for m in fake_zalo.oa_sent if m.attachment_kind is not None]
    assert [(m.attachment_kind, fake_zalo.uploads[m.attachment_id or ""]) for m in media] == [
        ("image", ("chart.png", b"PNG")),
        ("file", ("bao-cao.csv", b"a,b\n1,2\n")),
    ]


async def test_pushes_go_through_the_shared_outbox(zapp: App, fake_zalo: FakeZalo) -> None:
    """A push queued for a Zalo OA user is delivered by the one outbox worker of serve()."""
    async with serving(zapp, ["zalo_oa"]):
        await zapp.services.outbox.enqueue(
            channel="zalo_oa",
            chat_id=USER,
            body=Reply("Nhắc lịch", (Choice("Mở", "menu:main"),)).to_json(),
            now=zapp.services.clock(),
        )
        sent = await fake_zalo.wait_oa(1)
    assert (sent[0].text, sent[0].buttons) == ("Nhắc lịch", [("Mở", "menu:main")])


async def test_healthz_on_the_shared_server(zapp: App, fake_zalo: FakeZalo) -> None:
    """The server that takes the Zalo webhooks also answers /healthz and serves the web chat."""
    del fake_zalo
    async with serving(zapp, ["zalo_oa", "zalo_bot"]) as running:
        url = f"http://127.0.0.1:{running.server.port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
        assert sorted(running.senders) == ["web", "zalo_bot", "zalo_oa"]  # the web chat too


def test_more_than_five_choices_become_numbered_lines() -> None:
    """Five choices become buttons; the sixth and later are numbered lines from 6."""
    choices = tuple(Choice(f"Mục {i}", f"menu:k{i}") for i in range(1, 8))
    text, buttons = layout(Reply("Chọn:", choices))
    assert len(buttons) == MAX_BUTTONS
    assert buttons[0] == {"title": "Mục 1", "payload": "menu:k1", "type": "oa.query.hide"}
    assert text == "Chọn:\n6. Mục 6\n7. Mục 7"


async def test_telegram_and_both_zalo_channels_in_one_process(
    tmp_path: Path, clock: FakeClock, fake_zalo: FakeZalo, fake_telegram: FakeBotApi
) -> None:
    """serve() runs Telegram (polling), the OA webhook and the Zalo Bot side by side."""
    settings = zalo_settings(
        fake_zalo, TELEGRAM_BOT_TOKEN=fake_telegram.token, TELEGRAM_BASE_URL=fake_telegram.base_url
    )
    clock.now = datetime.now(UTC)  # the OA event carries the wall clock
    app = await build_app(make_config(tmp_path / "all.sqlite3", **settings), clock=clock)
    try:
        async with serving(app, ["telegram", "zalo_oa", "zalo_bot"]) as running:
            assert sorted(running.senders) == ["telegram", "web", "zalo_bot", "zalo_oa"]
            fake_telegram.push_message(4242, "/xoadulieu")
            await say(running, fake_zalo, "/xoadulieu", "m1")
            fake_zalo.push_bot_text("zb-1", "/xoadulieu")
            telegram_sent = await fake_telegram.wait_for_messages(4242, 1)
            oa_sent = await fake_zalo.wait_oa(1)
            bot_sent = await fake_zalo.wait_bot(1)
    finally:
        await app.close()
    assert telegram_sent[0].text == T("privacy.confirm")
    assert telegram_sent[0].buttons() == [
        (T("privacy.yes_delete"), "privacy:yes"),
        (T("common.cancel"), "privacy:no"),
    ]
    assert oa_sent[0].text == T("privacy.confirm")
    assert bot_sent[0].text.startswith(T("privacy.confirm"))


async def test_follow_greets_and_a_sticker_gets_a_hint(zapp: App, fake_zalo: FakeZalo) -> None:
    """Following the OA shows the welcome menu (self-check button); a sticker asks for text."""
    follow: dict[str, object] = {
        "app_id": fake_zalo.app_id,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": USER},
        "oa_id": "oa-1",
    }
    sticker = oa_text_event(fake_zalo.app_id, USER, "", "m-sticker")
    sticker["event_name"] = "user_send_sticker"
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await post_event(running, fake_zalo, follow) == 200
        await fake_zalo.wait_oa(1)
        assert await post_event(running, fake_zalo, sticker) == 200
        sent = await fake_zalo.wait_oa(2)
    greeting = sent[0]
    assert greeting.text.startswith(T("menu.welcome", name=T("menu.friend")))
    assert (T("self_check.menu"), "menu:self_check") in greeting.buttons
    assert len(greeting.buttons) <= MAX_BUTTONS
    assert sent[1].text == T("error.unsupported")


@pytest.mark.parametrize(("age_s", "status"), [(400 * 86400, 400), (-3600, 400), (60, 200)])
async def test_signed_event_outside_time_window_is_refused(
    zapp: App, fake_zalo: FakeZalo, age_s: int, status: int
) -> None:
    """A correctly signed event 400 days old (or an hour ahead) is refused and never stored."""
    event = oa_text_event(fake_zalo.app_id, USER, "/start", f"m-age-{age_s}")
    event["timestamp"] = str(int((time.time() - age_s) * 1000))
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await post_event(running, fake_zalo, event) == status
        if status == 200:
            await fake_zalo.wait_oa(1)
    stored = await zapp.db.fetchone(
        "SELECT count(*) FROM inbox WHERE message_id = ?", (f"m-age-{age_s}",)
    )
    assert stored is not None
    assert stored[0] == (1 if status == 200 else 0)


async def test_error_230_marks_user_unreachable_without_retry(
    zapp: App, fake_zalo: FakeZalo
) -> None:
    """Zalo's -230 (no interaction for 7 days) marks the user inactive and is not retried."""
    async with serving(zapp, ["zalo_oa"]) as running:
        assert await say(running, fake_zalo, "/start", "m-230a") == 200
        await fake_zalo.wait_oa(1)
        await zapp.services.users.mark_inactive("zalo_oa", USER)  # reactivated by the next one
        fake_zalo.error_next(-230)
        assert await say(running, fake_zalo, "/help", "m-230b") == 200
        for _ in range(100):
            row = await zapp.services.users.find("zalo_oa", USER)
            if row is not None and not row.active:
                break
            await asyncio.sleep(0.05)
    assert row is not None and not row.active
    assert fake_zalo.errors_answered == 1  # refused once, never tried again
    queued = await zapp.db.fetchone("SELECT count(*) FROM outbox WHERE chat_id = ?", (USER,))
    assert queued is not None and queued[0] == 0
