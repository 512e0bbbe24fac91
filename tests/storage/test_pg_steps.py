"""How PostgreSQL runs a synchronous step: in a greenlet on the loop, a snapshot on a thread.

On a throwaway PostgreSQL (`tests/pgserver.py`): steps run on the event loop's own thread and
interleave there while one waits on the server; a statement outside a step is refused; a step's
error and a cancellation both leave the pool's connections usable, and a rerun after a conflict
still commits once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable

import pytest

from storage.db import Connection
from storage.pg import PgDatabase, _await

pytestmark = pytest.mark.usefixtures("pg_server")


@pytest.fixture
async def db(pg_migrated_url: str) -> AsyncIterator[PgDatabase]:
    """An open PostgreSQL database with every migration, and a scratch table."""
    database = PgDatabase(pg_migrated_url, pool_size=3)
    await database.open()
    await database.execute("CREATE TABLE scratch (k TEXT PRIMARY KEY, n BIGINT NOT NULL)")
    try:
        yield database
    finally:
        await database.close()


async def test_steps_run_on_the_loop_thread_and_interleave_while_one_waits(
    db: PgDatabase,
) -> None:
    """Three steps that each sleep on the server all run on the loop's thread, at once.

    The order of events shows they overlapped: every step started before any finished.
    """
    events: list[str] = []
    threads: set[int] = set()

    def step(name: str) -> Callable[[Connection], str]:
        def work(conn: Connection) -> str:
            threads.add(threading.get_ident())
            events.append(f"start {name}")
            conn.execute("SELECT pg_sleep(0.2)")
            events.append(f"end {name}")
            return name

        return work

    got = await asyncio.gather(*(db.run(step(name)) for name in "abc"))
    assert got == ["a", "b", "c"]
    assert threads == {threading.get_ident()}
    assert [event.split()[0] for event in events[:3]] == ["start"] * 3


async def test_a_statement_outside_a_step_is_refused() -> None:
    """`_await` outside a step's greenlet raises instead of blocking the loop."""

    async def nothing() -> None:
        return None

    with pytest.raises(RuntimeError, match="outside a step"):
        _await(nothing())


async def test_a_failed_statement_raises_in_the_step_and_nothing_stands(db: PgDatabase) -> None:
    """A unique violation surfaces in the step as `sqlite3.IntegrityError`; its rows roll back."""
    await db.execute("INSERT INTO scratch (k, n) VALUES ('a', 1)")
    seen: list[str] = []

    def work(conn: Connection) -> None:
        conn.execute("INSERT INTO scratch (k, n) VALUES ('b', 2)")
        try:
            conn.execute("INSERT INTO scratch (k, n) VALUES ('a', 3)")
        except sqlite3.IntegrityError:
            seen.append("caught")
            raise

    # A unique violation reruns the step (a concurrent insert may explain it) until the last run.
    with pytest.raises(sqlite3.IntegrityError):
        await db.write(work)
    assert seen and set(seen) == {"caught"}
    assert await db.fetchall("SELECT k, n FROM scratch ORDER BY k") == [("a", 1)]


async def test_a_cancelled_step_leaves_the_pool_usable(db: PgDatabase) -> None:
    """A step cancelled mid-statement rolls back, and every pooled connection still works."""

    def slow(conn: Connection) -> None:
        conn.execute("INSERT INTO scratch (k, n) VALUES ('slow', 1)")
        conn.execute("SELECT pg_sleep(5)")

    task = asyncio.create_task(db.write(slow))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    counts = await asyncio.gather(
        *(db.fetchone("SELECT COUNT(*) FROM scratch WHERE k = 'slow'") for _ in range(6))
    )
    assert [row[0] for row in counts] == [0] * 6


async def test_concurrent_read_modify_writes_rerun_and_each_counts_once(db: PgDatabase) -> None:
    """Twenty increments of one row at once, serializable: conflicts rerun, none is lost."""
    await db.execute("INSERT INTO scratch (k, n) VALUES ('total', 0)")

    def increment(conn: Connection) -> None:
        (n,) = conn.execute("SELECT n FROM scratch WHERE k = 'total'").fetchone()
        conn.execute("SELECT pg_sleep(0.01)")
        conn.execute("UPDATE scratch SET n = ? WHERE k = 'total'", (n + 1,))

    await asyncio.gather(*(db.write(increment) for _ in range(20)))
    assert (await db.fetchone("SELECT n FROM scratch WHERE k = 'total'"))[0] == 20
    assert db.conflicts > 0


async def test_a_snapshot_runs_on_another_thread_with_its_statements_on_the_loop(
    db: PgDatabase,
) -> None:
    """A long read leaves the loop free: it runs on a thread and reads one snapshot."""
    await db.executemany("INSERT INTO scratch (k, n) VALUES (?, ?)", [("x", 1), ("y", 2)])
    where: list[int] = []

    def read(conn: Connection) -> int:
        where.append(threading.get_ident())
        return int(conn.execute("SELECT SUM(n) FROM scratch").fetchone()[0])

    assert await db.snapshot(read) == 3
    assert where and where[0] != threading.get_ident()
