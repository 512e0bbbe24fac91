"""/xoadulieu end to end: what it says before and after, the open-case warning, the officers."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from bot.app import App
from bot.core.i18n import LOCALE_DIR, Translator, load_catalog
from handlers.privacy import KINDS
from storage.ledger import Ledger, NewEntry
from storage.registrations import RegistrationRepository, Status
from tests.handlers.test_exit_registration_helpers import VALID_ID, submit
from tests.handlers.test_exit_registration_workflow import move
from tests.handlers.test_notices import keep_result
from tests.harness import Chat, read_apart, table_names

VI = Translator("vi")
QUESTION = "Câu hỏi riêng tư về nhà tôi ở tổ 5"
UNANSWERED = "xin hỏi giá vàng hôm nay"


def item(kind: str, count: int) -> str:
    """One bullet line of the report, as the user sees it."""
    return "• " + VI(f"privacy.kind.{kind}", count=count)


async def ask_officer(chat: Chat, question: str = QUESTION) -> None:
    """Hand a question over to the demo ward's officers."""
    await chat.send("/hoicanbo")
    await chat.send(question)
    await chat.tap("Hòa Cường")
    await chat.press("faqh:send")


async def outbox_texts(app: App, chat_id: str) -> list[str]:
    """Texts queued in the outbox for one chat (delivered ones keep no text)."""
    rows = await app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(r["body"]).get("text", "") for r in rows]


async def user_id(app: App, chat: Chat) -> int:
    """The stored id of a chat's user."""
    user = await app.services.users.find(chat.channel, chat.user_id)
    assert user is not None
    return user.id


async def count(app: App, table: str, uid: int) -> int:
    """Rows of `table` belonging to the user."""
    row = await app.db.fetchone(f"SELECT COUNT(*) AS n FROM {table} WHERE user_id = ?", (uid,))
    assert row is not None
    return int(row["n"])


async def stock(app: App, resident: Chat) -> str:
    """Give the resident a bit of everything: questions, a saved result, a registration."""
    await keep_result(app, resident)
    await ask_officer(resident)
    await resident.send(UNANSWERED)
    resident.expect("faq.not_found")
    return await submit(resident)


def ledger_rows(app: App) -> list[tuple[object, ...]]:
    """Every donations ledger row, read by a separate connection."""
    return read_apart(app, "SELECT * FROM donation_entries ORDER BY id")


async def test_every_table_is_in_the_retention_policy(app: App) -> None:
    """Each table of the migrated database is named in docs/retention.md (new ones need a line)."""
    policy = (Path(__file__).resolve().parents[2] / "docs" / "retention.md").read_text("utf-8")
    tables = table_names(app)
    assert "exit_registrations" in tables
    assert [table for table in tables if f"`{table}`" not in policy] == []


def test_every_kind_has_a_text_in_both_catalogs() -> None:
    """Each kind an eraser may report has its `privacy.kind.*` line in Vietnamese and English."""
    for language in ("vi", "en"):
        catalog = load_catalog(language, LOCALE_DIR)
        missing = [kind for kind in KINDS if f"privacy.kind.{kind}" not in catalog]
        assert missing == [], language
        assert "{count}" in catalog["privacy.kind.outbox"]


async def test_report_before_and_after(app: App, resident: Chat, officer: Chat) -> None:
    """The question lists what will go and stay; the answer lists what went and what stayed."""
    code = await stock(app, resident)
    uid = await user_id(app, resident)
    chosen = await app.services.users.find(resident.channel, resident.user_id)
    assert chosen is not None and chosen.ward_id == "20257"  # picked when asking the officers
    [confirm] = await resident.send("/xoadulieu")
    text = confirm.text
    assert text.startswith(VI("privacy.will_delete"))
    for kind, number in (
        ("handover_questions", 1),
        ("question_log", 1),
        ("self_check_results", 1),
        ("exit_registrations", 1),
    ):
        assert item(kind, number) in text
    assert VI("privacy.will_keep") + "\n" + item("exit_registrations", 1) in text
    assert VI("privacy.always_kept") in text
    assert [choice.payload for choice in confirm.choices] == ["privacy:yes", "privacy:no"]
    assert await count(app, "handover_questions", uid) == 1  # nothing deleted yet
    [done] = await resident.press("privacy:yes")
    assert done.text.startswith(VI("privacy.deleted") + "\n")
    deleted, _, rest = done.text.partition(VI("privacy.kept_anonymised"))
    assert item("handover_questions", 1) in deleted and item("self_check_results", 1) in deleted
    assert item("question_log", 1) in deleted
    assert item("exit_registrations", 1) in rest
    assert VI("privacy.withdrawn", codes=code) in rest
    assert done.text.endswith(VI("privacy.done"))
    for table in ("handover_questions", "question_log", "self_check_results"):
        assert await count(app, table, uid) == 0, table
    user = await app.services.users.find(resident.channel, resident.user_id)
    assert user is not None and user.ward_id is None and user.display_name == ""


async def test_open_registration_warned_and_officers_told_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """An open case is named in a warning; after "yes" it is withdrawn and officers told once."""
    code = await submit(resident)
    [confirm] = await resident.send("/xoadulieu")
    assert VI("privacy.warn_open", codes=code) in confirm.text
    before = await outbox_texts(app, "officer-1")
    await resident.press("privacy:yes")
    told = VI("privacy.officer_withdrawn", code=code)
    after = await outbox_texts(app, "officer-1")
    assert after[len(before) :] == [told]
    assert "Nguyễn" not in told and VALID_ID not in told
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.WITHDRAWN and stored.anonymised


async def test_decided_registration_kept_without_warning(
    app: App, resident: Chat, officer: Chat
) -> None:
    """A decided case is kept anonymised with no warning; the officers are not told."""
    await submit(resident)
    await move(officer, 1, "in_review")
    await move(officer, 1, "survey_scheduled")
    await move(officer, 1, "recognised_exited")
    [confirm] = await resident.send("/xoadulieu")
    assert "⚠️" not in confirm.text
    assert item("exit_registrations", 1) in confirm.text
    before = await outbox_texts(app, "officer-1")
    [done] = await resident.press("privacy:yes")
    assert VI("privacy.kept_anonymised") in done.text
    assert VI("privacy.withdrawn", codes="TN-2026-000001") not in done.text
    assert await outbox_texts(app, "officer-1") == before
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.RECOGNISED_EXITED and stored.anonymised


async def test_resident_with_nothing_stored(app: App, resident: Chat, officer: Chat) -> None:
    """Nothing stored: the plain question, then "only your account data went"; nobody told."""
    [confirm] = await resident.send("/xoadulieu")
    assert confirm.text == VI("privacy.confirm")
    [done] = await resident.press("privacy:yes")
    assert done.text.startswith(VI("privacy.deleted_account_only"))
    assert VI("privacy.kept_anonymised") not in done.text
    assert await outbox_texts(app, "officer-1") == []


async def test_cancel_keeps_everything(app: App, resident: Chat, officer: Chat) -> None:
    """Cancelling after the report deletes nothing and leaves the registration open."""
    await stock(app, resident)
    uid = await user_id(app, resident)
    await resident.send("/xoadulieu")
    await resident.press("privacy:no")
    resident.expect("privacy.kept")
    for table in ("handover_questions", "question_log", "self_check_results", "exit_registrations"):
        assert await count(app, table, uid) == 1, table
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.SUBMITTED and not stored.anonymised
    assert VI("privacy.officer_withdrawn", code="TN-2026-000001") not in await outbox_texts(
        app, "officer-1"
    )


async def test_double_tap_deletes_once(app: App, resident: Chat, officer: Chat) -> None:
    """A second "yes" (after or during the first) deletes nothing more and tells nobody twice."""
    code = await submit(resident)
    await resident.send("/xoadulieu")
    first, second = await asyncio.gather(
        resident.press("privacy:yes"), resident.press("privacy:yes")
    )
    [late] = (await resident.press("privacy:yes"))[:1]
    assert VI("privacy.withdrawn", codes=code) in first[0].text + second[0].text
    assert late.text == VI("error.stale_button")
    told = VI("privacy.officer_withdrawn", code=code)
    assert (await outbox_texts(app, "officer-1")).count(told) == 1
    history = await app.db.fetchall(
        "SELECT to_status FROM exit_registration_history WHERE registration_id = 1"
    )
    assert [row["to_status"] for row in history].count("withdrawn") == 1


async def test_rows_really_gone_from_the_file(app: App, resident: Chat, officer: Chat) -> None:
    """Read by a separate connection, no table (the ledger aside) holds the resident's data."""
    await stock(app, resident)
    uid = await user_id(app, resident)
    await resident.send("/xoadulieu")
    await resident.press("privacy:yes")

    def number(sql: str, *params: object) -> int:
        return int(read_apart(app, sql, params)[0][0])

    tables = [name for name in table_names(app) if not name.startswith("donation_")]
    dump = {table: read_apart(app, f"SELECT * FROM {table}") for table in tables}
    for table in ("handover_questions", "question_log", "self_check_results"):
        assert number(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", uid) == 0, table
    assert number("SELECT COUNT(*) FROM exit_registrations WHERE user_id IS NOT NULL") == 0
    assert number("SELECT COUNT(*) FROM exit_registrations WHERE anonymised = 1") == 1
    everything = repr(dump)
    for secret in ("Nguyễn Văn An", VALID_ID, "0912345678", "Lê Thanh Nghị", QUESTION, "giá vàng"):
        assert secret not in everything, secret


async def test_donations_ledger_untouched(app: App, resident: Chat, officer: Chat) -> None:
    """Neither a resident's nor an officer's /xoadulieu changes a single ledger row."""
    ledger = Ledger(app.db)
    campaign = await ledger.create_campaign(
        ward_id="20257",
        name="Tháng cao điểm 2026",
        target=10_000_000,
        starts_on=date(2026, 10, 17),
        ends_on=date(2026, 11, 30),
        created_by=await user_id(app, officer),
        now=app.services.clock(),
    )
    await ledger.append(
        NewEntry(
            campaign_id=campaign.id,
            ward_id="20257",
            donor_type="person",
            donor_name="Nguyễn Văn An",
            public=True,
            amount=500_000,
            method="cash",
            donated_on=date(2026, 11, 20),
            recorded_by=await user_id(app, officer),
            idempotency_key="privacy-test",
        ),
        now=app.services.clock(),
    )
    await submit(resident)
    before = ledger_rows(app)
    assert any("Nguyễn Văn An" in row for row in before)
    for chat in (resident, officer):
        await chat.send("/xoadulieu")
        await chat.press("privacy:yes")
    officer.expect("privacy.done_staff")
    assert ledger_rows(app) == before
