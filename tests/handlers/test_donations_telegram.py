"""Logging a gift on Telegram: real PTB Application polling the fake Bot API."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from openpyxl import load_workbook

from bot.app import App
from tests.fakes.telegram_api import FakeBotApi, SentMessage
from tests.harness import telegram_running

USER = 6001


async def until(
    fake: FakeBotApi, after: int, done: Callable[[SentMessage], bool]
) -> list[SentMessage]:
    """Wait for new messages until the newest one satisfies `done`; returns all new ones."""
    count = 1
    while True:
        messages = await fake.wait_for_next(USER, after=after, count=count)
        if done(messages[-1]):
            return messages
        count = len(messages) + 1


def has_button(prefix: str) -> Callable[[SentMessage], bool]:
    """The message carries a button whose payload starts with `prefix`."""
    return lambda message: any(data.startswith(prefix) for _, data in message.buttons())


async def press(fake: FakeBotApi, data: str, expect: str) -> list[SentMessage]:
    """Press an inline button and wait for a message with a button starting with `expect`."""
    mark = fake.mark(USER)
    fake.push_callback(USER, data)
    return await until(fake, mark, has_button(expect))


async def type_text(fake: FakeBotApi, text: str, expect: str) -> list[SentMessage]:
    """Type a message and wait for a message with a button starting with `expect`."""
    mark = fake.mark(USER)
    fake.push_message(USER, text)
    return await until(fake, mark, has_button(expect))


async def test_log_gift_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """Officer logs a gift by buttons and typing; a double tap on Confirm records one entry."""
    fake = fake_telegram
    now = app.services.clock()
    await app.services.users.set_role("telegram", str(USER), "officer", "hoa-cuong-bac", now=now)
    async with telegram_running(app, fake):
        first = await type_text(fake, "/ghinhan", "don:t:")
        assert "Vận động Quỹ Vì người nghèo năm 2026" in first[0].plain_text
        await press(fake, "don:t:organisation", "don:anon")
        await type_text(fake, "Hội Chữ thập đỏ phường", "menu:main")
        bad = await type_text(fake, "không rõ", "menu:main")
        assert "chưa đọc được số tiền" in bad[0].plain_text
        await type_text(fake, "15 triệu", "don:m:")
        await press(fake, "don:m:transfer", "menu:main")
        await type_text(fake, "FT26325999", "don:d:")
        future = await type_text(fake, "25/12/2026", "don:d:")
        assert "tương lai" in future[0].plain_text
        await press(fake, "don:d:yesterday", "don:p:")
        await press(fake, "don:p:1", "don:note:")
        confirm = await press(fake, "don:note:skip", "don:ok")
        assert "15.000.000 ₫" in confirm[-1].plain_text
        mark = fake.mark(USER)
        fake.push_callback(USER, "don:ok")
        fake.push_callback(USER, "don:ok")
        done = await fake.wait_for_next(USER, after=mark, count=3)
        texts = "\n".join(message.plain_text for message in done)
        receipts = set(re.findall(r"VNN-HCB-2026-\d{6}", texts))
        assert receipts == {"VNN-HCB-2026-000006"}
        assert "đã được ghi rồi" in texts
        rows = await app.db.fetchall(
            "SELECT receipt, amount, reference, donated_on FROM donation_entries"
            " WHERE donor_name = 'Hội Chữ thập đỏ phường'"
        )
        assert [tuple(row) for row in rows] == [
            ("VNN-HCB-2026-000006", 15_000_000, "FT26325999", "2026-11-20")
        ]

        report = await type_text(fake, "/baocao", "rep:chart:")
        assert "93.300.000 ₫" in report[-1].plain_text
        mark = fake.mark(USER)
        fake.push_callback(USER, "rep:chart:1")
        chart = (await fake.wait_for_next(USER, after=mark))[-1]
        assert chart.method == "sendPhoto"
        assert chart.document_bytes is not None
        assert chart.document_bytes.startswith(b"\x89PNG\r\n\x1a\n")
        mark = fake.mark(USER)
        fake.push_callback(USER, "rep:xlsx:1", message_id=report[-1].message_id)
        document = (await fake.wait_for_next(USER, after=mark))[-1]
        assert document.method == "sendDocument"
        assert document.document_bytes is not None
        sheet = load_workbook(io.BytesIO(document.document_bytes)).active
        assert sheet is not None
        assert sheet.max_row == 7
