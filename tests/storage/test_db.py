"""The database's batches: group commit, isolation of a faulty write, order, exclusive use."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.db import Connection, SqliteDatabase, call

Work = Callable[[Connection], object]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "db.sqlite3")
    await database.open()
    await database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
    await database.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await database.execute(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id)"
        " DEFERRABLE INITIALLY DEFERRED)"
    )
    try:
        yield database
    finally:
        await database.close()


def _stored(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows as another connection (another process would) sees them: only what was committed."""
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql).fetchall())


def _insert(name: str) -> Work:
    def work(conn: Connection) -> int:
        return int(
            conn.execute("INSERT INTO item (name) VALUES (?) RETURNING id", (name,)).fetchone()[0]
        )

    return work


async def test_concurrent_writes_share_commits_and_all_land(db: SqliteDatabase) -> None:
    before = db.batches
    ids = await asyncio.gather(*(db.write(_insert(f"n{i}")) for i in range(200)))
    assert len(set(ids)) == 200
    assert db.batches - before < 20  # 200 writes, a handful of trips (one commit each)
    rows = _stored(db.path, "SELECT name FROM item ORDER BY id")
    assert [name for (name,) in rows] == [f"n{i}" for i in range(200)]


async def test_a_write_returns_only_after_the_wal_is_on_disk(db: SqliteDatabase) -> None:
    """Changes are fsynced before their callers hear back; reads cost no fsync."""
    before = db.syncs
    await db.write(_insert("one"))
    assert db.syncs == before + 1  # already synced when `write` returned
    await db.run(_names)
    await db.fetchone("SELECT COUNT(*) FROM item")
    assert db.syncs == before + 1
    await asyncio.gather(*(db.write(_insert(f"g{i}")) for i in range(100)))
    assert before + 2 <= db.syncs < before + 12  # one fsync per batch, not per write
    synced = db.syncs
    async with db.transaction() as conn:
        await call(conn, lambda c: c.execute("INSERT INTO item (name) VALUES ('in a transaction')"))
    assert db.syncs == synced + 1
    async with db.transaction() as conn:
        await call(conn, lambda c: c.execute("SELECT COUNT(*) FROM item"))
    assert db.syncs == synced + 1
    assert len(_stored(db.path, "SELECT name FROM item")) == 102


async def test_a_write_may_skip_the_fsync_but_not_the_commit(db: SqliteDatabase) -> None:
    """`durable=False` commits at once without an fsync, unless a durable write shares its batch."""
    before = db.syncs
    await db.write(_insert("quick"), durable=False)
    assert db.syncs == before
    assert _stored(db.path, "SELECT name FROM item") == [("quick",)]
    await asyncio.gather(db.write(_insert("quick2"), durable=False), db.write(_insert("sure")))
    assert db.syncs == before + 1


async def test_a_failing_write_fails_alone_and_leaves_nothing_behind(db: SqliteDatabase) -> None:
    def half_then_fail(conn: Connection) -> None:
        conn.execute("INSERT INTO item (name) VALUES ('half')")
        conn.execute("INSERT INTO item (name) VALUES ('a1')")  # duplicate of a write before it

    results = await asyncio.gather(
        db.write(_insert("a1")),
        db.write(half_then_fail),
        db.write(_insert("a2")),
        return_exceptions=True,
    )
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert not isinstance(results[0], BaseException)
    assert not isinstance(results[2], BaseException)
    names = {name for (name,) in _stored(db.path, "SELECT name FROM item")}
    assert names == {"a1", "a2"}  # 'half' of the failed write was rolled back


async def test_a_write_failing_at_commit_fails_alone(db: SqliteDatabase) -> None:
    await db.execute("INSERT INTO parent (id) VALUES (1)")

    def orphan(conn: Connection) -> None:
        conn.execute("INSERT INTO child (parent_id) VALUES (99)")  # checked only at COMMIT

    def adopted(conn: Connection) -> None:
        conn.execute("INSERT INTO child (parent_id) VALUES (1)")

    results = await asyncio.gather(
        db.write(adopted), db.write(orphan), db.write(adopted), return_exceptions=True
    )
    assert results[0] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert results[2] is None
    assert _stored(db.path, "SELECT parent_id FROM child") == [(1,), (1,)]


async def test_calls_run_in_the_order_they_were_made(db: SqliteDatabase) -> None:
    def rename(name: str) -> Work:
        def work(conn: Connection) -> None:
            conn.execute("UPDATE item SET name = ? WHERE id = 1", (name,))

        return work

    await db.execute("INSERT INTO item (id, name) VALUES (1, 'start')")

    def read(conn: Connection) -> str:
        return str(conn.execute("SELECT name FROM item WHERE id = 1").fetchone()[0])

    seen = await asyncio.gather(
        db.write(rename("one")),
        db.run(read),
        db.write(rename("two")),
        db.run(read),
    )
    assert seen[1] == "one"
    assert seen[3] == "two"


async def test_a_batch_never_runs_inside_an_open_transaction(db: SqliteDatabase) -> None:
    queued: asyncio.Task[object] | None = None
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await call(
                conn, lambda c: c.execute("INSERT INTO item (name) VALUES ('in-transaction')")
            )
            queued = asyncio.create_task(db.write(_insert("queued")))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not queued.done()  # it waits for the transaction to end
            raise RuntimeError("roll back")
    assert queued is not None
    await queued
    names = {name for (name,) in _stored(db.path, "SELECT name FROM item")}
    assert names == {"queued"}  # committed on its own, not undone with the transaction


async def test_close_finishes_queued_work(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "close.sqlite3")
    await database.open()
    await database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    pending = [asyncio.create_task(database.write(_insert(f"c{i}"))) for i in range(10)]
    await asyncio.sleep(0)
    await database.close()
    assert all(task.done() and task.exception() is None for task in pending)
    assert len(_stored(database.path, "SELECT * FROM item")) == 10


def _names(conn: Connection) -> set[str]:
    return {str(name) for (name,) in conn.execute("SELECT name FROM item").fetchall()}


async def test_peek_sees_what_was_committed_and_nothing_uncommitted(db: SqliteDatabase) -> None:
    await db.write(_insert("committed"))
    assert await db.peek(_names) == {"committed"}
    async with db.transaction() as conn:
        await call(conn, lambda c: c.execute("INSERT INTO item (name) VALUES ('pending')"))
        assert await db.peek(_names) == {"committed"}  # not until the commit returns
    assert await db.peek(_names) == {"committed", "pending"}


async def test_peek_cannot_write(db: SqliteDatabase) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await db.peek(_insert("sneaky"))
    assert _stored(db.path, "SELECT name FROM item") == []


async def test_an_in_memory_database_peeks_through_its_one_connection() -> None:
    async with SqliteDatabase(":memory:") as database:
        await database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
        await database.write(_insert("only"))
        assert await database.peek(_names) == {"only"}
