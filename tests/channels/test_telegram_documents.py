"""Files sent on Telegram reach the flow that asked for them (fetched when handled, not stored)."""

from __future__ import annotations

from bot.app import App
from bot.core.types import MAX_DOCUMENT_BYTES
from tests.fakes.telegram_api import FakeBotApi
from tests.handlers.test_donations_bank import STATEMENT, set_account
from tests.harness import Chat, make_officer, telegram_running

OFFICER = 7201


async def _officer_on_telegram(app: App) -> None:
    """The demo campaign gets an account; Telegram user 7201 is an officer of its ward."""
    desk = Chat(app, "officer-desk")
    await make_officer(app, desk)
    await set_account(desk)
    await make_officer(app, Chat(app, str(OFFICER), channel="telegram"))


async def test_a_bank_statement_sent_without_caption_is_read_by_the_reconciliation(
    app: App, fake_telegram: FakeBotApi
) -> None:
    """/doisoat, then the CSV as a document (no caption): the proposals come back on Telegram."""
    await _officer_on_telegram(app)
    fake = fake_telegram
    async with telegram_running(app, fake):
        mark = fake.mark(OFFICER)
        fake.push_message(OFFICER, "/start")
        await fake.wait_for_next(OFFICER, after=mark)
        mark = fake.mark(OFFICER)
        fake.push_message(OFFICER, "/doisoat")
        await fake.wait_for_next(OFFICER, after=mark)
        mark = fake.mark(OFFICER)
        fake.push_document(OFFICER, "saoke.csv", STATEMENT.encode("utf-8"))
        replies = await fake.wait_for_next(OFFICER, after=mark)
    summary = replies[0].text or ""
    assert "Đề xuất ghi nhận: 1" in summary
    assert "Trùng khoản đã ghi: 1" in summary
    stored = await app.db.fetchone("SELECT body FROM inbox WHERE body LIKE '%FT26324001%'")
    assert stored is None  # the inbox kept the file's id, never its content


async def test_a_file_over_the_limit_is_not_downloaded_and_the_flow_says_so(
    app: App, fake_telegram: FakeBotApi
) -> None:
    """A statement over 10 MB reaches the flow empty: it answers, and nothing is recorded."""
    await _officer_on_telegram(app)
    fake = fake_telegram
    big = b"x" * (MAX_DOCUMENT_BYTES + 1)
    async with telegram_running(app, fake):
        mark = fake.mark(OFFICER)
        fake.push_message(OFFICER, "/doisoat")
        await fake.wait_for_next(OFFICER, after=mark)
        mark = fake.mark(OFFICER)
        fake.push_document(OFFICER, "saoke.csv", big, caption="saoke.csv")
        [answer] = await fake.wait_for_next(OFFICER, after=mark)
    assert answer.text
    assert "Đề xuất" not in answer.text
    rows = await app.db.fetchone("SELECT count(*) FROM donation_statement_lines")
    assert rows is not None and rows[0] == 0
