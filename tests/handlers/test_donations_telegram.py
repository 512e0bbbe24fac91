"""Logging a gift on Telegram: real PTB Application polling the fake Bot API."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from bot.app import App
from tests.fakes.telegram_api import FakeBotApi
from tests.harness import TelegramUser, telegram_running

USER = 6001


async def test_log_gift_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """Officer logs a gift by buttons and typing; a double tap on Confirm records one entry."""
    fake = fake_telegram
    tg = TelegramUser(fake, USER)
    now = app.services.clock()
    await app.services.users.set_role("telegram", str(USER), "officer", "20257", now=now)
    async with telegram_running(app, fake):
        first = await tg.type_text("/ghinhan", "don:t:")
        assert "Vận động Quỹ Vì người nghèo năm 2026" in first[0].plain_text
        await tg.press("don:t:organisation", "don:anon")
        await tg.type_text("Hội Chữ thập đỏ phường", "menu:cancel")
        bad = await tg.type_text("không rõ", "menu:cancel")
        assert "chưa đọc được số tiền" in bad[0].plain_text
        await tg.type_text("15 triệu", "don:m:")
        await tg.press("don:m:transfer", "menu:cancel")
        await tg.type_text("FT26325999", "don:d:")
        future = await tg.type_text("25/12/2026", "don:d:")
        assert "tương lai" in future[0].plain_text
        await tg.press("don:d:yesterday", "don:p:")
        await tg.press("don:p:1", "don:note:")
        confirm = await tg.press("don:note:skip", "don:ok")
        assert "15.000.000 ₫" in confirm[-1].plain_text
        mark = fake.mark(USER)
        fake.push_callback(USER, "don:ok")
        fake.push_callback(USER, "don:ok")
        done = await fake.wait_for_next(USER, after=mark, count=3)
        texts = "\n".join(message.plain_text for message in done)
        receipts = set(re.findall(r"VNN-HC-2026-\d{6}", texts))
        assert receipts == {"VNN-HC-2026-000006"}
        assert "đã được ghi rồi" in texts
        rows = await app.db.fetchall(
            "SELECT receipt, amount, reference, donated_on FROM donation_entries"
            " WHERE donor_name = 'Hội Chữ thập đỏ phường'"
        )
        assert [tuple(row) for row in rows] == [
            ("VNN-HC-2026-000006", 15_000_000, "FT26325999", "2026-11-20")
        ]

        report = await tg.type_text("/baocao", "rep:chart:")
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


async def test_disbursement_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """Officer records a payment by buttons and typing; over the balance it is refused."""
    fake = fake_telegram
    tg = TelegramUser(fake, USER + 1)
    now = app.services.clock()
    await app.services.users.set_role("telegram", str(USER + 1), "officer", "20257", now=now)
    async with telegram_running(app, fake):
        sources = await tg.type_text("/chi", "chi:src:")
        assert any("78.300.000 ₫" in label for label, _ in sources[-1].buttons())
        await tg.press("chi:src:c:1", "chi:p:")
        await tg.press("chi:p:schooling", "chi:byname")
        await tg.press("chi:byname", "menu:cancel")
        await tg.type_text("Phạm Thị Mai", "chi:cs:")
        await tg.press("chi:cs:0", "chi:goods")
        over = await tg.type_text("80 triệu", "chi:goods")
        assert "vượt số dư" in "\n".join(m.plain_text for m in over)
        await tg.type_text("2,5 triệu", "chi:m:")
        await tg.press("chi:m:transfer", "chi:d:")
        await tg.press("chi:d:today", "menu:cancel")
        await tg.type_text("21/QĐ-BVĐ", "chi:d:")
        await tg.press("chi:d:yesterday", "chi:note:")
        confirm = await tg.press("chi:note:skip", "chi:ok")
        assert "2.500.000 ₫" in confirm[-1].plain_text
        mark = fake.mark(USER + 1)
        fake.push_callback(USER + 1, "chi:ok")
        fake.push_callback(USER + 1, "chi:ok")
        done = await fake.wait_for_next(USER + 1, after=mark, count=2)
        texts = "\n".join(message.plain_text for message in done)
        assert set(re.findall(r"VNN-HC-2026-C\d{6}", texts)) == {"VNN-HC-2026-C000001"}
        assert "75.800.000 ₫" in texts
        rows = await app.db.fetchall(
            "SELECT voucher, amount, purpose, beneficiary_name, name_public, decision_date"
            " FROM donation_disbursements"
        )
        assert [tuple(row) for row in rows] == [
            ("VNN-HC-2026-C000001", 2_500_000, "schooling", "Phạm Thị Mai", 0, "2026-11-20")
        ]
