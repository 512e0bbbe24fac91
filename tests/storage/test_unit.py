"""The one write path: a unit of work commits its steps together, in the shared group commit."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage.audit import audit_step, record_audit
from storage.db import Connection, call
from storage.outbox import enqueue_step
from tests.storage.conftest import NOW, Backend


def answered(conn: Connection) -> int:
    """A stand-in for the change itself: one setting row."""
    return conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES ('answer', '1', '')"
    ).rowcount


async def rows(backend: Backend) -> tuple[int, int, int]:
    """(settings, audit rows, outbox rows)."""
    found = []
    for table in ("settings", "audit_log", "outbox"):
        row = await backend.db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None
        found.append(int(row[0]))
    return found[0], found[1], found[2]


async def test_a_unit_commits_the_change_its_audit_row_and_its_message_together(
    backend: Backend,
) -> None:
    """Three steps, one commit: every row is there and the results come back in order."""
    before = backend.db.batches
    results = await backend.db.unit(
        answered,
        audit_step(actor_user_id=None, action="test.answer", target="q:1", now=NOW),
        enqueue_step(channel="test", chat_id="c", body={"text": "Trả lời"}, now=NOW),
    ).commit()
    assert backend.db.batches == before + 1
    assert results[0] == 1 and results[1] is None and results[2] > 0
    assert await rows(backend) == (1, 1, 1)


async def test_a_failing_step_undoes_its_unit_only(backend: Backend) -> None:
    """The audit row of a unit whose last step fails is not kept; a unit beside it lands."""

    def broken(conn: Connection) -> None:
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    failing = backend.db.unit(
        audit_step(actor_user_id=None, action="test.lost", target="x", now=NOW)
    ).add(broken)
    fine = backend.db.unit(
        answered, audit_step(actor_user_id=None, action="test.kept", target="y", now=NOW)
    )
    outcome = await asyncio.gather(failing.commit(), fine.commit(), return_exceptions=True)
    assert isinstance(outcome[0], sqlite3.OperationalError)
    assert outcome[1] == [1, None]
    assert [e.action for e in await backend.audit.recent()] == ["test.kept"]
    assert len(failing) == 2


async def test_concurrent_units_share_commits(backend: Backend) -> None:
    """Fifty units queued at once all land; on SQLite they need a handful of batches, not fifty.

    On PostgreSQL each unit is its own transaction (the pool runs several at once), so each
    counts one commit.
    """
    before = backend.db.batches
    units = [
        backend.db.unit(audit_step(actor_user_id=None, action="test.many", target=str(n), now=NOW))
        for n in range(50)
    ]
    await asyncio.gather(*(unit.commit() for unit in units))
    if backend.db.dialect == "sqlite":
        assert backend.db.batches - before < 10
    else:
        assert backend.db.batches - before == 50
    assert len(await backend.audit.recent(action_prefix="test.many")) == 50


async def test_an_empty_unit_commits_nothing(backend: Backend) -> None:
    """No steps, no batch."""
    before = backend.db.batches
    assert await backend.db.unit().commit() == []
    assert backend.db.batches == before


async def test_steps_join_a_transaction_block_through_call(backend: Backend) -> None:
    """The same step runs inside `transaction()` and is rolled back with it."""
    with pytest.raises(RuntimeError):
        async with backend.db.transaction() as conn:
            await call(conn, answered)
            await record_audit(conn, actor_user_id=None, action="test.tx", target="z", now=NOW)
            raise RuntimeError("undo")
    assert await rows(backend) == (0, 0, 0)
    async with backend.db.transaction() as conn:
        assert await call(conn, answered) == 1
        await record_audit(conn, actor_user_id=None, action="test.tx", target="z", now=NOW)
    assert await rows(backend) == (1, 1, 0)
