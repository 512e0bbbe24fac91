"""Saved self-check results with their answers, notice records and opt-outs, on a real file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from knowledge.transition import SavedAnswers
from storage.db import Database, SqliteDatabase
from storage.outbox import Outbox
from storage.self_check import (
    DEFAULT_SEND_ON,
    MAX_KEPT,
    NOTICE_2027,
    SelfCheckRepository,
    erase_self_checks,
)
from storage.users import UserRepository

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
BEFORE = date(2027, 1, 1)

ANSWERS = SavedAnswers(
    checked_on=date(2026, 11, 21),
    standard_id="vn-2022-2025",
    area="urban",
    locality=None,
    members=3,
    monthly_income=6_000_000,
    yearly_income=None,
    deprived=frozenset({"health_insurance"}),
    unknown=frozenset({"water"}),
    facts=frozenset({"has_member_working_age"}),
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = SqliteDatabase(tmp_path / "sc.sqlite3")
    await database.open()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


async def new_user(db: Database, name: str) -> int:
    """A resident on the test channel; returns the internal id."""
    user = await UserRepository(db).get_or_create(
        "test", name, chat_id=name, language="vi", display_name="", now=NOW
    )
    return user.id


async def save(
    repo: SelfCheckRepository,
    user_id: int,
    *,
    answers: SavedAnswers | None = ANSWERS,
    ward_id: str | None = None,
    checked_on: date = date(2026, 11, 21),
) -> int:
    """Save a near-poor result (with answers unless told otherwise)."""
    return await repo.save(
        user_id=user_id,
        checked_on=checked_on,
        standard_id="vn-2022-2025",
        category="near_poor",
        income_per_person=2_000_000,
        deprived=("health_insurance",),
        now=NOW,
        answers=answers,
        ward_id=ward_id,
    )


async def test_answers_and_ward_round_trip(db: Database) -> None:
    """Answers and ward come back as saved; a save without them (the old call) stores NULLs."""
    repo = SelfCheckRepository(db)
    user = await new_user(db, "a")
    await save(repo, user, answers=None)
    await save(repo, user, ward_id="20257")
    newest, oldest = await repo.for_user(user)
    assert newest.answers == ANSWERS
    assert newest.ward_id == "20257"
    assert oldest.answers is None
    assert oldest.ward_id is None
    assert oldest.category == "near_poor"


async def test_unreadable_answers_read_as_none(db: Database) -> None:
    """Answers in a form this version cannot read do not break /ketqua: they read as None."""
    repo = SelfCheckRepository(db)
    user = await new_user(db, "a")
    result_id = await save(repo, user)
    await db.execute(
        "UPDATE self_check_results SET answers = '{\"v\": 99}' WHERE id = ?", (result_id,)
    )
    [result] = await repo.for_user(user)
    assert result.answers is None


async def test_due_is_the_newest_result_with_answers_before_the_switch(db: Database) -> None:
    """Only a user whose newest result has answers and predates 2027 is due, once."""
    repo = SelfCheckRepository(db)
    due_user, newest_without, new_standard, inactive = [
        await new_user(db, name) for name in ("due", "without", "new", "inactive")
    ]
    await save(repo, due_user, answers=None)
    newest_id = await save(repo, due_user)
    await save(repo, newest_without)
    await save(repo, newest_without, answers=None)
    await save(
        repo,
        new_standard,
        answers=replace(ANSWERS, checked_on=date(2027, 1, 2)),
        checked_on=date(2027, 1, 2),
    )
    await save(repo, inactive)
    await UserRepository(db).mark_inactive("test", "inactive")
    [due] = await repo.due_notices(NOTICE_2027, before=BEFORE)
    assert (due.result.id, due.result.user_id, due.channel, due.chat_id) == (
        newest_id,
        due_user,
        "test",
        "due",
    )
    assert await repo.queue_notice(NOTICE_2027, due, body={"text": "x", "choices": []}, now=NOW)
    assert not await repo.queue_notice(NOTICE_2027, due, body={"text": "x", "choices": []}, now=NOW)
    assert await repo.due_notices(NOTICE_2027, before=BEFORE) == []
    [message] = await Outbox(db).pending(["test"])
    assert message.chat_id == "due"
    row = await db.fetchone("SELECT subject_user_id FROM outbox WHERE id = ?", (message.id,))
    assert row is not None and row["subject_user_id"] == due_user


async def test_queue_refuses_after_erase_or_opt_out(db: Database) -> None:
    """A notice read as due is not queued once the user erased their data or opted out."""
    repo = SelfCheckRepository(db)
    erased, opted = await new_user(db, "erased"), await new_user(db, "opted")
    await save(repo, erased)
    await save(repo, opted)
    due = {d.chat_id: d for d in await repo.due_notices(NOTICE_2027, before=BEFORE)}
    async with db.transaction() as conn:
        assert await erase_self_checks(conn, erased) == 1
    assert await repo.opt_out(opted, now=NOW)
    assert not await repo.opt_out(opted, now=NOW)
    body = {"text": "x", "choices": []}
    assert not await repo.queue_notice(NOTICE_2027, due["erased"], body=body, now=NOW)
    assert not await repo.queue_notice(NOTICE_2027, due["opted"], body=body, now=NOW)
    assert await Outbox(db).pending(["test"]) == []
    row = await db.fetchone("SELECT COUNT(*) AS n FROM notices_sent")
    assert row is not None and row["n"] == 0


async def test_opt_out_drops_a_waiting_notice(db: Database) -> None:
    """Opting out after the notice was queued removes it from the outbox before delivery."""
    repo = SelfCheckRepository(db)
    user = await new_user(db, "a")
    await save(repo, user)
    [due] = await repo.due_notices(NOTICE_2027, before=BEFORE)
    assert await repo.queue_notice(NOTICE_2027, due, body={"text": "x", "choices": []}, now=NOW)
    assert await repo.opt_out(user, now=NOW)
    assert await Outbox(db).pending(["test"]) == []
    assert await repo.opted_out(user)


async def test_erase_removes_results_notices_and_opt_out(db: Database) -> None:
    """The self-check eraser deletes results, the notice record and the opt-out, nobody else's."""
    repo = SelfCheckRepository(db)
    user, other = await new_user(db, "a"), await new_user(db, "b")
    await save(repo, user)
    await save(repo, other)
    for due in await repo.due_notices(NOTICE_2027, before=BEFORE):
        await repo.queue_notice(NOTICE_2027, due, body={"text": "x", "choices": []}, now=NOW)
    await repo.opt_out(user, now=NOW)
    async with db.transaction() as conn:
        removed = await erase_self_checks(conn, user)
    assert removed == 3
    assert await repo.for_user(user) == []
    assert not await repo.opted_out(user)
    rows = await db.fetchall("SELECT user_id FROM notices_sent")
    assert [row["user_id"] for row in rows] == [other]
    assert len(await repo.for_user(other)) == 1


async def test_trimming_keeps_the_notice_record(db: Database) -> None:
    """A noticed result trimmed by MAX_KEPT leaves the record (result NULL): no second notice."""
    repo = SelfCheckRepository(db)
    user = await new_user(db, "a")
    await save(repo, user)
    [due] = await repo.due_notices(NOTICE_2027, before=BEFORE)
    await repo.queue_notice(NOTICE_2027, due, body={"text": "x", "choices": []}, now=NOW)
    for _ in range(MAX_KEPT):
        await save(repo, user)
    row = await db.fetchone("SELECT result_id FROM notices_sent WHERE user_id = ?", (user,))
    assert row is not None and row["result_id"] is None
    assert await repo.due_notices(NOTICE_2027, before=BEFORE) == []


async def test_send_on_default_and_setting(db: Database) -> None:
    """Without a setting the day is 15/12/2026; a set day replaces it."""
    repo = SelfCheckRepository(db)
    assert await repo.send_on(NOTICE_2027) == DEFAULT_SEND_ON[NOTICE_2027] == date(2026, 12, 15)
    await repo.set_send_on(NOTICE_2027, date(2026, 12, 20), now=NOW)
    await repo.set_send_on(NOTICE_2027, date(2026, 12, 10), now=NOW)
    assert await repo.send_on(NOTICE_2027) == date(2026, 12, 10)


async def test_newest_in_ward(db: Database) -> None:
    """The ward's list holds each user's newest result with answers, in that ward only."""
    repo = SelfCheckRepository(db)
    a, b, c = [await new_user(db, name) for name in "abc"]
    await save(repo, a, ward_id="w1")
    newest_a = await save(repo, a, ward_id="w1")
    await save(repo, b, ward_id="w2")
    await save(repo, c)
    assert [r.id for r in await repo.newest_in_ward("w1", before=BEFORE)] == [newest_a]
    assert {r.user_id for r in await repo.newest_in_ward(None, before=BEFORE)} == {a, b}
