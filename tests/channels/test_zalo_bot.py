"""The Zalo Bot Platform channel end to end: long polling or webhook, numbered replies (fake)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import App, build_app
from bot.channels.text_menu import render
from bot.cli import build_parser, cmd_run
from bot.core.i18n import Translator
from bot.core.types import Choice, Reply
from bot.serve import Running
from tests.fakes.zalo_api import BotMessage, FakeZalo, serving, zalo_settings
from tests.harness import FakeClock, make_config

T = Translator("vi")
USER = "zb-2002"
THREE = ("housing_quality", "water", "sanitation")
SIMPLE_CHOICES = frozenset(
    {"sc:area:urban", "sc:loc:national", "sc:mode:hm", "sc:inc:ok", "sc:sum:result", "sc:save:yes"}
)
"""Self-check answers chosen whenever offered: urban, national standard, ..., save the result."""


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    """Fake Zalo OA and Bot servers on 127.0.0.1."""
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def zapp(tmp_path: Path, clock: FakeClock, fake_zalo: FakeZalo) -> AsyncIterator[App]:
    """The real app configured for the fake Zalo servers (the bot long-polls)."""
    config = make_config(tmp_path / "zalo.sqlite3", **zalo_settings(fake_zalo))
    application = await build_app(config, clock=clock)
    try:
        yield application
    finally:
        await application.close()


async def replies_to(fake: FakeZalo, text: str, *, quiet: float = 0.15) -> list[BotMessage]:
    """The user types `text`; returns the bot's messages once it has been quiet for a moment."""
    before = len(fake.bot_sent)
    fake.push_bot_text(USER, text)
    await fake.wait_bot(before + 1)
    seen = -1
    while seen != len(fake.bot_sent):
        seen = len(fake.bot_sent)
        await asyncio.sleep(quiet)
    return fake.bot_sent[before:]


async def offered(app: App) -> tuple[list[str], bool]:
    """Payloads the dispatcher will resolve typed numbers to, and whether text is expected."""
    row = await app.db.fetchone(
        "SELECT offered, offered_text FROM sessions WHERE channel = 'zalo_bot' AND user_id = ?",
        (USER,),
    )
    assert row is not None
    return [payload for _, payload in json.loads(row["offered"])], bool(row["offered_text"])


async def test_choices_are_numbered_and_a_number_picks_one(zapp: App, fake_zalo: FakeZalo) -> None:
    """Choices come as numbered lines; typing "2" presses the second (privacy: keep my data)."""
    async with serving(zapp, ["zalo_bot"]):
        first = await replies_to(fake_zalo, "/xoadulieu")
        second = await replies_to(fake_zalo, "2")
    confirm = Reply(
        T("privacy.confirm"),
        (
            Choice(T("privacy.yes_delete"), "privacy:yes"),
            Choice(T("common.cancel"), "privacy:no"),
        ),
    )
    assert [(m.chat_id, m.text) for m in first] == [(USER, render(confirm))]
    assert "   2. " + T("common.cancel") in first[0].text
    assert [m.text for m in second] == [T("privacy.kept")]
    row = await zapp.db.fetchone(
        "SELECT flow FROM sessions WHERE channel = 'zalo_bot' AND user_id = ?", (USER,)
    )
    assert row is not None
    assert row["flow"] is None


async def test_group_chats_and_redeliveries_are_ignored(zapp: App, fake_zalo: FakeZalo) -> None:
    """A group message is not handled; a message id seen before is answered only once."""
    async with serving(zapp, ["zalo_bot"]):
        fake_zalo.push_bot_text("zb-group", "/xoadulieu", chat_type="GROUP")
        fake_zalo.push_bot_text(USER, "/xoadulieu", message_id="dup-1")
        fake_zalo.push_bot_text(USER, "/xoadulieu", message_id="dup-1")
        await fake_zalo.wait_bot(1)
        await asyncio.sleep(0.3)
    assert [m.chat_id for m in fake_zalo.bot_sent] == [USER]
    assert await zapp.db.fetchone("SELECT 1 FROM users WHERE external_id = 'zb-group'") is None


async def test_webhook_checks_the_secret_token(
    tmp_path: Path, clock: FakeClock, fake_zalo: FakeZalo
) -> None:
    """With ZALO_BOT_SECRET set, /zalo/bot answers 401 to a wrong token and handles a right one."""
    settings = zalo_settings(fake_zalo, ZALO_BOT_SECRET="s3cret-token")
    app = await build_app(make_config(tmp_path / "hook.sqlite3", **settings), clock=clock)
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "w1",
            "from": {"id": USER},
            "chat": {"id": USER, "chat_type": "PRIVATE"},
            "text": "/xoadulieu",
        },
    }

    async def post(running: Running, token: str) -> int:
        url = f"http://127.0.0.1:{running.server.port}/zalo/bot"
        headers = {"X-Bot-Api-Secret-Token": token}
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"ok": True, "result": update}, headers=headers) as response,
        ):
            return response.status

    try:
        async with serving(app, ["zalo_bot"]) as running:
            assert await post(running, "wrong") == 401
            await asyncio.sleep(0.2)
            assert fake_zalo.bot_sent == []
            assert await post(running, "s3cret-token") == 200
            sent = await fake_zalo.wait_bot(1)
    finally:
        await app.close()
    assert sent[0].text.startswith(T("privacy.confirm"))


async def test_self_check_questionnaire_with_numbered_replies(
    zapp: App, fake_zalo: FakeZalo, clock: FakeClock
) -> None:
    """The whole self-check runs over Zalo Bot by typing numbers; the saved result is stored."""
    async with serving(zapp, ["zalo_bot"]):
        menu = await replies_to(fake_zalo, "/start")
        payloads, _ = await offered(zapp)
        number = payloads.index("menu:self_check") + 1
        assert f"{number}. {T('self_check.menu')}" in menu[-1].text
        sent = await replies_to(fake_zalo, str(number))
        typed_numbers = 0
        for _ in range(60):
            payloads, _ = await offered(zapp)
            step_row = await zapp.db.fetchone(
                "SELECT step FROM sessions WHERE channel = 'zalo_bot' AND user_id = ?", (USER,)
            )
            step = step_row["step"] if step_row is not None else None
            if step == "size":
                sent = await replies_to(fake_zalo, "1")
                continue
            if step == "income":
                sent = await replies_to(fake_zalo, "2000000")
                continue
            choice = None
            for payload in payloads:
                if payload in SIMPLE_CHOICES:
                    choice = payload
                elif payload.startswith("sc:fact:"):
                    fact = payload.split(":")[2]
                    answer = (
                        "yes" if fact in ("has_member_working_age", "has_member_6_plus") else "no"
                    )
                    choice = f"sc:fact:{fact}:{answer}"
                elif payload.startswith("sc:ans:"):
                    code = payload.split(":")[2]
                    choice = f"sc:ans:{code}:{'yes' if code in THREE else 'no'}"
                if choice is not None:
                    break
            if choice is None:
                break
            assert choice in payloads, (choice, payloads)
            number = payloads.index(choice) + 1
            assert f"{number}. " in sent[-1].text
            sent = await replies_to(fake_zalo, str(number))
            typed_numbers += 1
            if choice == "sc:save:yes":
                break
    results = "\n".join(m.text for m in fake_zalo.bot_sent)
    assert "Kết quả tham khảo: hộ nghèo." in results
    assert "Kết quả theo chuẩn mới là tạm tính, cần xác nhận với cán bộ xã/phường" in results
    assert typed_numbers >= 8
    row = await zapp.db.fetchone(
        "SELECT COUNT(*) AS n FROM self_check_results r JOIN users u ON u.id = r.user_id"
        " WHERE u.channel = 'zalo_bot' AND u.external_id = ?",
        (USER,),
    )
    assert row is not None
    assert row["n"] == 1


async def test_cli_run_channels_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    """`giamngheo run --channels` parses the list and refuses an unknown channel name."""
    args = build_parser().parse_args(["run", "--channels", "telegram,zalo_oa, zalo_bot"])
    assert args.channels == "telegram,zalo_oa, zalo_bot"
    bad = build_parser().parse_args(["run", "--channels", "zalo_oa,viber"])
    config = make_config(Path("unused.sqlite3"))
    assert await cmd_run(bad, config) == 2
    assert "viber" in capsys.readouterr().err
