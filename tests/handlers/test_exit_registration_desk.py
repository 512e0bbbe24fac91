"""The registrations desk API the web uses: lists, detail, changes, decisions, corrections."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable
from datetime import date
from functools import partial
from pathlib import Path

import pytest

from bot.app import App
from bot.core.types import Role, User
from handlers.exit_registration._desk import (
    Desk,
    InvalidInput,
    NotFound,
    Result,
    check_day,
    check_decision,
    check_number,
    parse_code,
)
from storage.registrations import (
    CAUSES,
    SUPPORTS,
    Decision,
    EntryKind,
    NewRegistration,
    Outcome,
    Registration,
    RegistrationRepository,
    Status,
    bits,
)
from storage.users import Ward
from tests.harness import Chat, make_officer

WARD = "20257"
MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "storage"
    / "migrations"
    / "0016_registration_decisions.sql"
)


def form(
    user_id: int, *, ward: str = WARD, causes: list[str], supports: list[str]
) -> NewRegistration:
    """A registration form with the given ticks."""
    return NewRegistration(
        user_id=user_id,
        channel="test",
        chat_id="resident-1",
        ward_id=ward,
        full_name="Nguyễn Văn An",
        birth_date="1980-03-05",
        sex="m",
        ethnicity="Kinh",
        id_number="048090001234",
        phone="0912345678",
        address="12 Lê Thanh Nghị",
        household_code="",
        members=4,
        monthly_income=3_500_000,
        causes=causes,
        cause_other="",
        supports=supports,
        support_other="",
        target_year=2028,
    )


async def user(app: App, chat: Chat) -> User:
    """The core `User` of a chat's user (as the web's sign-in gives it)."""
    row = await app.services.users.find(chat.channel, chat.user_id)
    assert row is not None
    return User(
        row.id, row.channel, row.external_id, row.chat_id, Role(row.role), row.ward_id, "vi"
    )


async def setup(app: App) -> tuple[Desk, User, int]:
    """The desk, an officer of the demo ward and a resident's user id (who has written once)."""
    resident = Chat(app, "resident-1")
    await resident.send("/start")
    officer = Chat(app, "officer-1")
    await make_officer(app, officer)
    row = await app.services.users.find("test", "resident-1")
    assert row is not None
    desk = Desk(RegistrationRepository(app.db), app.services.users)
    return desk, await user(app, officer), row.id


async def make(app: App, uid: int, n: int, **ticks: list[str]) -> list[Registration]:
    """`n` registrations with the same ticks."""
    repo = RegistrationRepository(app.db)
    made = []
    for index in range(n):
        registration, _ = await repo.create(
            form(
                uid,
                causes=ticks.get("causes", ["capital"]),
                supports=ticks.get("supports", ["loan"]),
            ),
            token=f"tok-{uid}-{index}-{ticks}",
            now=app.services.clock(),
            year=2026,
        )
        made.append(registration)
    return made


async def to_survey(desk: Desk, officer: User, rid: int, app: App) -> None:
    """Move one registration to "Đã hẹn khảo sát" through the desk."""
    now = app.services.clock()
    for frm, to in (
        (Status.SUBMITTED, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.SURVEY_SCHEDULED),
    ):
        result = await desk.change_status(officer, rid, expected=frm, target=to, note="", now=now)
        assert result.outcome is Outcome.DONE


def test_reference_codes_parse() -> None:
    """A typed reference is read as the registration's id; other text is not one."""
    assert [parse_code(t) for t in ("TN-2026-000123", "tn-2026-000123", "000123", "123")] == [
        123,
        123,
        123,
        123,
    ]
    assert [parse_code(t) for t in ("Nguyễn", "TN-2026-", "0", "")] == [None, None, None, None]


def test_decision_checks() -> None:
    """Number and date are checked: the date neither in the future nor before the registration."""
    today, registered = date(2026, 11, 21), date(2026, 11, 1)
    assert check_number("  123/QĐ-UBND ") == "123/QĐ-UBND"
    for bad, key in (
        ("", "number_missing"),
        ("QĐ-UBND", "number_invalid"),
        ("1" * 41, "number_invalid"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_number(bad)
        assert refused.value.key == f"exit_registration.decision.{key}"
    assert check_day("1/11/2026", registered_on=registered, today=today) == registered
    for bad, key in (
        ("2026-11-01", "date_format"),
        ("31/02/2026", "date_invalid"),
        ("22/11/2026", "date_future"),
        ("31/10/2026", "date_early"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_day(bad, registered_on=registered, today=today)
        assert refused.value.key == f"exit_registration.decision.{key}"


async def test_a_page_filtered_by_status_cause_support_and_code(app: App) -> None:
    """Filters narrow the list and its total, pages hold `per_page`, unknown filters find none."""
    desk, officer, uid = await setup(app)
    land = await make(app, uid, 3, causes=["land", "illness"], supports=["housing"])
    capital = await make(app, uid, 4, causes=["capital"], supports=["loan", "training"])
    await to_survey(desk, officer, land[0].id, app)
    everything = await desk.page(officer, WARD, per_page=5)
    assert (everything.total, everything.pages, len(everything.items)) == (7, 2, 5)
    second = await desk.page(officer, WARD, per_page=5, page=2)
    assert [r.id for r in second.items] == [capital[2].id, capital[3].id]
    by_cause = await desk.page(officer, WARD, cause="illness")
    assert [r.id for r in by_cause.items] == [r.id for r in land]
    by_support = await desk.page(officer, WARD, support="training", status=Status.SUBMITTED)
    assert by_support.total == 4
    both = await desk.page(officer, WARD, cause="land", status=Status.SURVEY_SCHEDULED)
    assert [r.id for r in both.items] == [land[0].id]
    found = await desk.page(officer, WARD, query=capital[1].code)
    assert [r.id for r in found.items] == [capital[1].id]
    assert (await desk.page(officer, WARD, query="Nguyễn")).total == 0
    assert (await desk.page(officer, WARD, cause="nonsense")).total == 0
    assert (await desk.page(officer, WARD, per_page=10_000)).per_page == 100


async def test_another_wards_registrations_are_not_found(app: App) -> None:
    """An officer of another ward gets NotFound for the list, the detail and every change."""
    desk, officer, uid = await setup(app)
    [registration] = await make(app, uid, 1)
    await app.services.users.add_ward(Ward("phuong-b", "Phường B", "Thành phố Đà Nẵng", "urban"))
    other_chat = Chat(app, "officer-b")
    await make_officer(app, other_chat, ward_id="phuong-b")
    other = await user(app, other_chat)
    now = app.services.clock()
    with pytest.raises(NotFound):
        await desk.page(other, WARD)
    with pytest.raises(NotFound):
        await desk.detail(other, registration.id)
    with pytest.raises(NotFound):
        await desk.change_status(
            other,
            registration.id,
            expected=Status.SUBMITTED,
            target=Status.IN_REVIEW,
            note="",
            now=now,
        )
    with pytest.raises(NotFound):
        await desk.detail(officer, 999)
    assert (await desk.page(other, "phuong-b")).total == 0


async def test_status_change_decision_and_correction_through_the_desk(app: App) -> None:
    """The web's path: same rules as the chat, each change once per key, the resident told."""
    desk, officer, uid = await setup(app)
    [registration] = await make(app, uid, 1)
    rid, now = registration.id, app.services.clock()
    change = partial(desk.change_status, officer, rid, now=now)
    final = await change(expected=Status.SUBMITTED, target=Status.RECOGNISED_EXITED, note="")
    assert final.outcome is Outcome.REFUSED  # a decision is never a plain status change
    with pytest.raises(InvalidInput):
        await change(expected=Status.SUBMITTED, target=Status.NEEDS_INFO, note="")
    first, again = [
        await change(
            expected=Status.SUBMITTED, target=Status.IN_REVIEW, note="Đã nhận", request_key="k1"
        )
        for _ in range(2)
    ]
    assert (first.outcome, again.outcome) == (Outcome.DONE, Outcome.REPEATED)
    assert first.notified == [("test", "resident-1")] and again.notified == []
    await change(expected=Status.IN_REVIEW, target=Status.SURVEY_SCHEDULED, note="")
    decision = check_decision(
        "12/QĐ-UBND", "21/11/2026", registration=registration, today=date(2026, 11, 21)
    )
    decide = partial(
        desk.record_decision, officer, rid, target=Status.RECOGNISED_EXITED, decision=decision
    )
    early = await decide(expected=Status.IN_REVIEW, now=now)
    assert early.outcome is Outcome.REFUSED  # the registration moved on meanwhile
    recorded, twice = [
        await decide(expected=Status.SURVEY_SCHEDULED, now=now, request_key="d1") for _ in range(2)
    ]
    assert (recorded.outcome, twice.outcome) == (Outcome.DONE, Outcome.REPEATED)
    admin_chat = Chat(app, "admin-1")
    await make_officer(app, admin_chat, role="admin")
    admin = await user(app, admin_chat)

    def correct(actor: User, reason: str, key: str | None = None) -> Awaitable[Result]:
        """The correction to "Chưa được công nhận" (decision 13/QĐ-UBND) by `actor`."""
        return desk.correct_decision(
            actor,
            rid,
            expected=Status.RECOGNISED_EXITED,
            target=Status.NOT_RECOGNISED,
            decision=Decision("13/QĐ-UBND", "2026-11-21"),
            reason=reason,
            now=now,
            request_key=key,
        )

    assert (await correct(officer, "Nhầm")).outcome is Outcome.REFUSED
    with pytest.raises(InvalidInput):
        await correct(admin, "  ")
    assert (await correct(admin, "Nhầm hộ", "c1")).outcome is Outcome.DONE
    detail = await desk.detail(officer, rid)
    assert [(e.kind, e.to_status) for e in detail.timeline] == [
        (EntryKind.STATUS, Status.SUBMITTED),
        (EntryKind.STATUS, Status.IN_REVIEW),
        (EntryKind.STATUS, Status.SURVEY_SCHEDULED),
        (EntryKind.DECISION, Status.RECOGNISED_EXITED),
        (EntryKind.CORRECTION, Status.NOT_RECOGNISED),
    ]
    last = detail.timeline[-1]
    assert (last.note, last.decision_number, last.decision_date, last.actor_role) == (
        "Nhầm hộ",
        "13/QĐ-UBND",
        date(2026, 11, 21),
        "admin",
    )
    assert detail.timeline[0].actor_role == "resident"
    assert (detail.targets, detail.can_correct) == ([], False)  # an officer sees no correction
    assert (await desk.detail(admin, rid)).can_correct
    bodies = await app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = 'resident-1' ORDER BY id"
    )
    texts = [json.loads(r["body"])["text"] for r in bodies]
    assert len(texts) == 4 and "13/QĐ-UBND" in texts[-1] and "Nhầm hộ" in texts[-1]


def test_the_migration_masks_match_the_keys() -> None:
    """The backfill's bit for each key is the one `bits` writes (CAUSES / SUPPORTS order)."""
    sql = MIGRATION.read_text(encoding="utf-8")
    pairs = dict(re.findall(r"WHEN '(\w+)' THEN (\d+)", sql))
    causes_sql, supports_sql = sql.split("support_bits = (", 1)
    cause_pairs = dict(
        re.findall(r"WHEN '(\w+)' THEN (\d+)", causes_sql.split("cause_bits = (", 1)[1])
    )
    support_pairs = dict(re.findall(r"WHEN '(\w+)' THEN (\d+)", supports_sql))
    assert pairs
    assert {k: int(v) for k, v in cause_pairs.items()} == {k: bits([k], CAUSES) for k in CAUSES}
    assert {k: int(v) for k, v in support_pairs.items()} == {
        k: bits([k], SUPPORTS) for k in SUPPORTS
    }


@pytest.mark.sqlite_only(reason="reads SQLite's query plans (EXPLAIN QUERY PLAN)")
async def test_the_list_reads_an_index_on_10000_registrations(app: App) -> None:
    """With 10,000 registrations in a ward, a filtered page and its count use covering indexes."""
    desk, officer, uid = await setup(app)
    [one] = await make(app, uid, 1, causes=["land"], supports=["job"])

    def fill(conn: object) -> None:
        import sqlite3

        assert isinstance(conn, sqlite3.Connection)
        conn.execute(
            "INSERT INTO exit_registrations (year, user_id, channel, chat_id, ward_id,"
            " submission_token, members, causes, supports, target_year, created_at,"
            " status_changed_at, cause_bits, support_bits, status)"
            " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)"
            " SELECT 2026, NULL, 'test', '', ?, 'bulk-' || i, 3, '[\"capital\"]', '[\"loan\"]',"
            " 2028, created_at, created_at, 1, 1,"
            " CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' ELSE 'needs_info' END"
            " FROM n, (SELECT created_at FROM exit_registrations WHERE id = ?)",
            (WARD, one.id),
        )

    await app.db.write(fill)
    page = await desk.page(officer, WARD, cause="land", page=1, per_page=20)
    assert [r.id for r in page.items] == [one.id] and page.total == 1
    busy = await desk.page(
        officer, WARD, status=Status.IN_REVIEW, support="loan", page=50, per_page=20
    )
    assert busy.total == 3334 and len(busy.items) == 20
    clause = "r.ward_id = ? AND r.status = ? AND r.support_bits & ? != 0"
    for sql in (
        f"SELECT COUNT(*) FROM exit_registrations AS r WHERE {clause}",
        f"SELECT r.id FROM exit_registrations AS r WHERE {clause} ORDER BY r.id LIMIT 20",
    ):
        plan = await app.db.fetchall(f"EXPLAIN QUERY PLAN {sql}", (WARD, "in_review", 1))
        details = " ".join(str(row["detail"]) for row in plan)
        assert "COVERING INDEX exit_registrations_ward_status" in details, details
        assert "TEMP B-TREE" not in details
    unfiltered = await app.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT r.id FROM exit_registrations AS r"
        " WHERE r.ward_id = ? AND r.cause_bits & ? != 0 ORDER BY r.id LIMIT 20",
        (WARD, 2),
    )
    details = " ".join(str(row["detail"]) for row in unfiltered)
    assert "COVERING INDEX exit_registrations_ward_order" in details, details


async def test_settle_records_a_decision_only_with_its_number_and_date(app: App) -> None:
    """Confirming without a decision records nothing; with one it is the desk's decision."""
    desk, officer, uid = await setup(app)
    [registration] = await make(app, uid, 1)
    await to_survey(desk, officer, registration.id, app)
    settle = partial(
        desk.settle,
        officer,
        registration.id,
        correcting=False,
        expected=Status.SURVEY_SCHEDULED,
        target=Status.NOT_RECOGNISED,
        reason="",
        now=app.services.clock(),
        request_key="s1",
    )
    assert await settle(decision=None) is None
    assert (await desk.load(officer, registration.id)).status is Status.SURVEY_SCHEDULED
    done = await settle(decision=Decision("8/QĐ-UBND", "2026-11-21"))
    assert done is not None and done.outcome is Outcome.DONE
    assert done.registration is not None and done.registration.decision_number == "8/QĐ-UBND"
