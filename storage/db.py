"""One aiosqlite connection per process, guarded by a lock, with versioned migrations.

Every statement goes through `Database.transaction()` or the read helpers, which hold one
asyncio lock, so two coroutines never share a transaction (one's rollback can't undo another's
commit). The file is in WAL mode with foreign keys on and `synchronous=FULL`, so a commit that
returned is on disk before the user is told it happened.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


def in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work` between `BEGIN IMMEDIATE` and `COMMIT`, rolling back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The numbered migrations in order; each number is used once (features own their numbers)."""
    found: list[tuple[int, Path]] = []
    for path in directory.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise ValueError(f"bad migration file name: {path.name}")
        found.append((int(match.group(1)), path))
    found.sort()
    numbers = [number for number, _ in found]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two migrations share a number: {numbers}")
    return found


class Database:
    """The process's single SQLite connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection (raises if `open()` was not called)."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open the file (creating its folder) and set the pragmas."""
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA busy_timeout=10000")
        self._conn = conn

    async def close(self) -> None:
        """Close the connection if open."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the lock, `BEGIN IMMEDIATE`, commit on success and roll back on error."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the connection's own thread under the lock: one thread hop in all.

        `work` gets the plain `sqlite3` connection (autocommit; use `in_transaction` or
        `write` for more than one statement that must stand or fall together). This is how
        the hot path (the dispatcher's read and write of every message) stays at two hops
        instead of one per statement, cursor and fetch.
        """
        async with self._lock:
            connection = self.conn
            raw: sqlite3.Connection = connection._conn
            # aiosqlite's own queue to its worker thread (private API; version pinned).
            result: T = await connection._execute(work, raw)  # type: ignore[no-untyped-call]
            return result

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one `BEGIN IMMEDIATE` … `COMMIT` transaction on the worker thread."""
        return await self.run(lambda conn: in_transaction(conn, work))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run a read and return its first row."""
        row: sqlite3.Row | None = await self.run(lambda conn: conn.execute(sql, params).fetchone())
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run a read and return all rows."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write in its own transaction; returns the last row id."""
        return await self.write(lambda conn: conn.execute(sql, params).lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in one transaction."""
        await self.write(lambda conn: conn.executemany(sql, rows))

    async def schema_version(self) -> int:
        """The applied migration number (`PRAGMA user_version`)."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> int:
        """Apply pending migrations in order, each in its own transaction; returns the version."""
        current = await self.schema_version()
        for number, path in migration_files(directory):
            if number <= current:
                continue
            script = path.read_text(encoding="utf-8")
            async with self._lock:
                try:
                    await self.conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
            log.info("migration applied", extra={"migration": path.name})
            current = number
        return current

    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup (safe while running)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            dest = await aiosqlite.connect(target)
            try:
                await self.conn.backup(dest)
            finally:
                await dest.close()
