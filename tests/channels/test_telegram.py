"""Telegram end to end: the real PTB Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.app import App
from bot.channels.telegram import CHUNK, TelegramChannel, Webhook, escaped_pieces
from bot.core.text import split_text
from bot.http_server import HttpServer
from tests.fakes.telegram_api import FakeBotApi, make_message_update
from tests.harness import telegram_running


async def test_start_shows_menu_and_callback_moves_on(app: App, fake_telegram: FakeBotApi) -> None:
    """/start → a Vietnamese menu with an inline keyboard; a button press → the next step."""
    async with telegram_running(app, fake_telegram):
        fake_telegram.push_message(501, "/start")
        [menu] = await fake_telegram.wait_for_messages(501, 1)
        assert "Xin chào" in (menu.text or "")
        buttons = dict(menu.buttons())
        assert buttons["❓ Hỏi đáp chính sách"] == "menu:faq"
        assert "📥 Hộp thư câu hỏi của dân" not in buttons
        mark = fake_telegram.mark(501)
        callback_id = fake_telegram.push_callback(501, "menu:faq")
        [intro] = await fake_telegram.wait_for_next(501, after=mark)
        assert "gõ câu hỏi" in (intro.text or "")
        assert callback_id in fake_telegram.answered_callbacks


async def test_question_answered_with_source_and_html_escaped(
    app: App, fake_telegram: FakeBotApi
) -> None:
    """A free-text question gets the cited answer; text is sent as escaped HTML."""
    async with telegram_running(app, fake_telegram):
        fake_telegram.push_message(502, "chuan ngheo hien nay <bao nhieu> & the nao")
        [answer] = await fake_telegram.wait_for_messages(502, 1)
        assert "1.500.000" in (answer.text or "")
        assert "Nghị định 07/2021/NĐ-CP" in (answer.text or "")
        assert answer.parse_mode == "HTML"


async def test_blocked_user_is_marked_inactive(app: App, fake_telegram: FakeBotApi) -> None:
    """A user who blocked the bot is marked inactive, and active again when they write."""
    fake_telegram.blocked_users.add(503)
    async with telegram_running(app, fake_telegram):
        fake_telegram.push_message(503, "/start")
        for _ in range(50):
            user = await app.services.users.find("telegram", "503")
            if user is not None and not user.active:
                break
            await asyncio.sleep(0.05)
        assert user is not None and not user.active
        # They unblock the bot and write again: active again, and answered.
        fake_telegram.blocked_users.discard(503)
        mark = fake_telegram.mark(503)
        fake_telegram.push_message(503, "menu")
        [menu] = await fake_telegram.wait_for_next(503, after=mark)
        assert "❓ Hỏi đáp chính sách" in dict(menu.buttons())
        user = await app.services.users.find("telegram", "503")
        assert user is not None and user.active


def test_long_text_is_split_under_the_limit() -> None:
    """Messages over 4,096 characters are split; heavy escaping stays under the limit."""
    text = ("Dòng thông tin chính sách. " * 40 + "\n") * 20
    pieces = split_text(text, CHUNK)
    assert len(pieces) > 1
    assert "".join(p.replace("\n", "").replace(" ", "") for p in pieces) == text.replace(
        "\n", ""
    ).replace(" ", "")
    escaped = escaped_pieces("<&>" * 3000)
    assert all(len(piece) <= 4096 for piece in escaped)


async def test_webhook_checks_secret_token(app: App, fake_telegram: FakeBotApi) -> None:
    """Webhook mode: the right secret is stored then handled; a wrong one gets 403, no trace."""
    channel = TelegramChannel.build(
        token=fake_telegram.token,
        dispatcher=app.dispatcher,
        intake=app.intake,
        base_url=fake_telegram.base_url,
        overall_max_rate=0,
        webhook=Webhook("s3cret"),
    )
    server = HttpServer("127.0.0.1", 0)
    await app.intake.start()
    await channel.start(server)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/telegram"
    try:
        async with aiohttp.ClientSession() as http:
            bad = make_message_update(601, "/start", message_id=1, update_id=1)
            async with http.post(
                url, json=bad, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
            good = make_message_update(602, "/start", message_id=2, update_id=2)
            async with http.post(
                url, json=good, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            ) as response:
                assert response.status == 200
                # Acknowledged only once stored: the row is there when the 200 arrives.
                stored = await app.db.fetchone(
                    "SELECT 1 FROM inbox WHERE channel = 'telegram' AND message_id = 'm602:2'"
                )
                assert stored is not None
            async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
                assert response.status == 200
        [menu] = await fake_telegram.wait_for_messages(602, 1)
        assert "Xin chào" in (menu.text or "")
        assert fake_telegram.messages_to(601) == []
        assert await app.services.users.find("telegram", "601") is None
    finally:
        await server.stop()
        await app.intake.stop()
        await channel.stop()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"update_id": "x", "message": 5}',
        b'{"message": {"chat": "Nguyen Van An 079123456789"}}',
        b'{"update_id": 7, "message": {"message_id": "a", "chat": 1, "date": "x"}}',
    ],
)
async def test_webhook_malformed_update_is_400_and_not_logged(
    app: App, fake_telegram: FakeBotApi, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A body that is not an update, with the right secret, gets 400 (not 500), body unlogged."""
    channel = TelegramChannel.build(
        token=fake_telegram.token,
        dispatcher=app.dispatcher,
        intake=app.intake,
        base_url=fake_telegram.base_url,
        overall_max_rate=0,
        webhook=Webhook("s3cret"),
    )
    server = HttpServer("127.0.0.1", 0)
    await app.intake.start()
    await channel.start(server)
    await server.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{server.port}/telegram",
                data=body,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            ) as response,
        ):
            assert response.status == 400
    finally:
        await server.stop()
        await app.intake.stop()
        await channel.stop()
    assert "079123456789" not in caplog.text
    assert "malformed update refused" in caplog.text
    assert await app.db.fetchone("SELECT 1 FROM inbox") is None


async def test_reply_telegram_refused_is_queued_then_delivered(
    app: App, fake_telegram: FakeBotApi
) -> None:
    """A reply Telegram answers with an error goes to the outbox and arrives on the next round."""
    fake_telegram.fail_next("sendMessage", status=500)
    async with telegram_running(app, fake_telegram):
        fake_telegram.push_message(504, "/start")
        [menu] = await fake_telegram.wait_for_messages(504, 1)
        for _ in range(50):  # the worker settles the row just after the fake recorded it
            row = await app.db.fetchone(
                "SELECT sent_at FROM outbox WHERE channel = 'telegram' AND chat_id = '504'"
            )
            if row is not None and row["sent_at"] is not None:
                break
            await asyncio.sleep(0.05)
    assert "Xin chào" in (menu.text or "")
    assert fake_telegram.call_counts["sendmessage"] == 2
    assert row is not None
    assert row["sent_at"] is not None
