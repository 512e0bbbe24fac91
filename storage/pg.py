"""PostgreSQL behind the same `Database` interface: asyncpg, with every step run unchanged.

**Why a synchronous facade.** Every statement of the project is written once, as a plain
function of a connection (a `Step`, see `storage.db`) run inside one transaction. asyncpg
(Apache-2.0, the well-kept PostgreSQL driver for asyncio) is asynchronous only, and psycopg 3,
which has a synchronous API, is LGPL (the project takes no copyleft dependency). So here a step
runs on one of the database's worker threads, each with an event loop and an asyncpg
connection of its own (`_Lane`): the thread runs each statement on its loop to the end, then
goes on with the step. The process's main loop takes no part. A transaction held across awaits
(`transaction()`) is the exception: its connection is on the main loop, and its steps' statements
hop there (`asyncio.run_coroutine_threadsafe`). `bench/scale.py` measures what this costs.

**What is kept from SQLite:**

- Every `run`, `write` and `unit` is one SERIALIZABLE transaction. SQLite has one writer at a
  time, so a read-modify-write (a registration's number, a session) never sees a concurrent
  change. PostgreSQL's serializable isolation gives the same outcome across worker processes:
  a transaction that would break it fails with a serialization failure, and the whole step then
  runs again (up to `MAX_ATTEMPTS`), as a SQLite writer waits for the lock. Steps are plain SQL,
  so running one again is safe.
- The hot keys take a lock instead (`claim`, READ COMMITTED, and `storage.db.advisory_lock_in`):
  a user's inbox steps, a ward's ledger appends. There the steps on one key run in turn, each
  seeing the last one's commit, and steps on different keys never conflict.
- Placeholders `?` and `:name` become `$n` (`translate`); `RETURNING` is the same in both.
- A sum of BIGINT is NUMERIC in PostgreSQL: it is decoded back to an int (a float when it is not
  whole), as SQLite returns it.
- Errors: a constraint violation (unique, check, foreign key, an append-only trigger's refusal)
  raises `sqlite3.IntegrityError`, any other database error `sqlite3.OperationalError`, with the
  asyncpg error as its cause, so the code that catches them is the same for both.
- `durable=False` is `SET LOCAL synchronous_commit = off`: the commit survives this process
  being killed (the server has it) but not the server losing power before its next flush, as on
  SQLite.

Migrations are the shared `storage/migrations/NNNN_*.sql` in PostgreSQL's column types
(`pg_types`), or, where more differs (triggers, GLOB checks, a table rebuilt), the file of the
same name in `storage/migrations/postgresql/`. The version is kept in the table
`schema_version`, and an advisory lock lets only one of several starting workers migrate.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import glob
import logging
import random
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage import files
from storage.db import MIGRATIONS_DIR, Database, Params, Step, Tx, migration_files

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 8
"""Worker threads per process, each with its connection: transactions in flight at once."""
HELD_POOL_SIZE = 4
"""Connections of the main loop's pool, for transactions held across awaits."""
MAX_ATTEMPTS = 20
"""Runs of a step that keeps meeting serialization failures before it fails for good."""
MIGRATION_LOCK = 0x6E67686E  # pg_advisory_lock key: one migrating worker at a time
PG_VARIANTS = "postgresql"
"""The folder, inside the migrations folder, of the migrations written for PostgreSQL."""

_ROWS_BACK = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|EXPLAIN)\b|\bRETURNING\b", re.IGNORECASE)
_SELECT = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|EXPLAIN)\b", re.IGNORECASE)


class Conflict(Exception):
    """A serialization failure or deadlock: the transaction is run again from its start.

    Not a `sqlite3.Error`, so a step's own error handling never swallows it. A unique violation
    may be taken for one (see `PgConnection`).
    """


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, tuple[str, ...] | int, bool]:
    """The statement with `$n` placeholders; the parameter names in order, or their count.

    Handwritten because no library rewrites SQLite's `?` and `:name` to PostgreSQL's `$n` while
    skipping string literals, quoted names, comments and `::` casts; it is a single scan. The
    third value says whether the statement returns rows (a query, or `RETURNING`).
    """
    out: list[str] = []
    names: list[str] = []
    count = 0
    i, size = 0, len(sql)
    while i < size:
        char = sql[i]
        if char in "'\"":
            end = i + 1
            while end < size and not (sql[end] == char and sql[end + 1 : end + 2] != char):
                end += 2 if sql[end] == char else 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = size if end == -1 else end
            out.append(sql[i:end])
            i = end
        elif char == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        elif char == ":" and _name_starts(sql, i):
            end = i + 1
            while end < size and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            name = sql[i + 1 : end]
            if name not in names:
                names.append(name)
            out.append(f"${names.index(name) + 1}")
            i = end
        else:
            out.append(char)
            i += 1
    if names and count:
        raise ValueError("a statement mixes ? and :name placeholders")
    query = "".join(out)
    return query, tuple(names) if names else count, _ROWS_BACK.search(query) is not None


def _name_starts(sql: str, i: int) -> bool:
    """Whether the `:` at `i` starts a `:name` placeholder (not a `::` cast)."""
    following = sql[i + 1 : i + 2]
    return (following.isalpha() or following == "_") and (i == 0 or sql[i - 1] != ":")


def _arguments(spec: tuple[str, ...] | int, parameters: Params) -> list[Any]:
    if isinstance(spec, tuple):
        if not isinstance(parameters, Mapping):
            raise TypeError("a statement with :name placeholders takes a mapping")
        return [parameters[name] for name in spec]
    values = list(parameters)
    if len(values) != spec:
        raise sqlite3.ProgrammingError(f"{spec} placeholders, {len(values)} values")
    return values


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as `UPDATE 3` or `INSERT 0 1`."""
    parts = status.split()
    if (
        parts
        and parts[0] in {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"}
        and parts[-1].isdigit()
    ):
        return int(parts[-1])
    return -1


def _mapped(
    exc: asyncpg.PostgresError, query: str = "", *, unique_conflicts: bool = False
) -> Exception:
    """The error a step sees: `Conflict` (run again), or the `sqlite3` error of the same kind.

    The message names the statement (its text, never its values).
    """
    state = getattr(exc, "sqlstate", "") or ""
    if state in {"40001", "40P01"}:
        return Conflict(str(exc))
    if state == "23505" and unique_conflicts:
        return Conflict(str(exc))
    if state.startswith("23") or state == "P0001":  # integrity, or a trigger's RAISE
        return sqlite3.IntegrityError(str(exc))
    where = f" [in: {query[:300]}]" if query else ""
    return sqlite3.OperationalError(f"{state}: {exc}{where}")


def _number(text: str) -> int | float:
    """A NUMERIC value (such as a SUM of BIGINT) as SQLite returns it."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


async def _prepare_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_number, schema="pg_catalog", format="text"
    )


class PgCursor:
    """The rows (or the count of changed rows) of one statement."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        """Rows changed by an INSERT, UPDATE or DELETE (-1 for a query)."""
        return self._rowcount

    def fetchone(self) -> Any:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        """The remaining rows."""
        return iter(self.fetchall())


Wait = Callable[[Coroutine[Any, Any, Any]], Any]
"""Runs a coroutine of the connection's event loop to its end, from the step's thread."""


class _Lane:
    """A worker thread's own event loop and connection: its statements run there, in turn.

    The thread drives its loop only while a statement runs (`run_until_complete`), so a step's
    statements cost no hop to another thread and leave the process's main loop alone.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on this lane's loop until it ends."""
        return self.loop.run_until_complete(coro)

    def connection(self) -> asyncpg.Connection:
        """The lane's connection, connected again if it was lost."""
        if self.conn is None or self.conn.is_closed():
            self.conn = self.run(asyncpg.connect(self.url))
            self.run(_prepare_connection(self.conn))
        return self.conn

    def close(self) -> None:
        """Close the connection and the loop (from any thread, once the lane's thread is done)."""
        if self.conn is not None and not self.conn.is_closed():
            self.run(self.conn.close())
        self.loop.close()


class PgConnection:
    """The `storage.db.Connection` a step gets: each statement runs on the connection's loop.

    `unique_conflicts`: a unique violation is taken for a conflict, and the transaction runs
    again. Two transactions that read the last receipt number at once both insert the next
    one; the second insert waits for the first transaction and then fails with a unique
    violation, not a serialization failure, as PostgreSQL reports a conflict on a key that was
    not itself read. Run again on a fresh snapshot, the step sees the first one's row and takes
    the next number. Under contention the run again may meet yet another transaction still in
    flight, so every run but the last takes a unique violation for a conflict; a real one (a key
    committed long before) is raised, as `sqlite3.IntegrityError`, on the last run.
    """

    def __init__(
        self, wait: Wait, conn: asyncpg.Connection, *, unique_conflicts: bool = False
    ) -> None:
        self._wait = wait
        self._conn = conn
        self._unique_conflicts = unique_conflicts

    def execute(self, sql: str, parameters: Params = (), /) -> PgCursor:
        """Run one statement in the transaction."""
        query, spec, rows_back = translate(sql)
        cursor: PgCursor = self._wait(self._one(query, _arguments(spec, parameters), rows_back))
        return cursor

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params], /) -> PgCursor:
        """Run one statement per parameter set (in one call into the loop); the total changed."""
        query, spec, _ = translate(sql)
        rows = [_arguments(spec, parameters) for parameters in seq_of_parameters]
        cursor: PgCursor = self._wait(self._many(query, rows))
        return cursor

    async def _one(self, query: str, args: list[Any], rows_back: bool) -> PgCursor:
        try:
            if rows_back:
                rows = await self._conn.fetch(query, *args)
                return PgCursor(rows, -1 if _SELECT.match(query) else len(rows))
            return PgCursor([], _changed(await self._conn.execute(query, *args)))
        except asyncpg.PostgresError as exc:
            raise _mapped(exc, query, unique_conflicts=self._unique_conflicts) from exc

    async def _many(self, query: str, rows: list[list[Any]]) -> PgCursor:
        total = 0
        try:
            for args in rows:
                total += max(_changed(await self._conn.execute(query, *args)), 0)
        except asyncpg.PostgresError as exc:
            raise _mapped(exc, query, unique_conflicts=self._unique_conflicts) from exc
        return PgCursor([], total)


class _PgTx:
    """`Tx` on a connection held across awaits: each step runs on a worker thread."""

    def __init__(self, db: PgDatabase, conn: asyncpg.Connection) -> None:
        self._db = db
        self._conn = conn

    async def run(self, step: Step[T]) -> T:
        """Run a step inside the transaction, on a thread of the default executor.

        Its statements hop back to this loop, where the held connection lives.
        """
        return await asyncio.to_thread(step, PgConnection(self._db.wait, self._conn))


def redacted(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))


def debian_bindirs() -> list[Path]:
    """Debian's PostgreSQL program folders (`/usr/lib/postgresql/<version>/bin`), newest first."""
    return sorted(
        (Path(folder) for folder in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda folder: tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)),
        reverse=True,
    )


def server_tool(name: str) -> str:
    """The path of a PostgreSQL program (`pg_dump`): Debian's newest, else the one on PATH."""
    for folder in debian_bindirs():
        if (folder / name).exists():
            return str(folder / name)
    on_path = shutil.which(name)
    if on_path is None:
        raise FileNotFoundError(
            f"{name} is not installed (Debian: apt-get install postgresql-client)"
        )
    return on_path


class PgDatabase(Database):
    """One PostgreSQL database: a connection per worker thread, and a small pool on the loop.

    `run`, `write`, `unit`, `claim`, `peek` and `snapshot` run their step on one of
    `pool_size` worker threads, each with its own connection (`_Lane`). The pool on the main
    loop serves what holds a connection across awaits (`transaction()`), the migrations and the
    copy tool.
    """

    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool_size = pool_size
        self.batches = 0  # transactions committed
        self.conflicts = 0  # serialization failures met (each ran its step again)
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._lanes: list[_Lane] = []
        self._lanes_lock = threading.Lock()

    def describe(self) -> str:
        """The URL without its password."""
        return redacted(self.url)

    @property
    def pool(self) -> asyncpg.Pool:
        """The open pool of the main loop (raises if `open()` was not called)."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    async def open(self) -> None:
        """Open the pool (the database must exist); the threads connect when first used."""
        if self._pool is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._executor = ThreadPoolExecutor(self.pool_size, thread_name_prefix="pg")
        self._pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=HELD_POOL_SIZE, init=_prepare_connection
        )

    async def close(self) -> None:
        """Close once the transactions in flight end: the threads' connections, then the pool."""
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown, wait=True)
            self._executor = None
        with self._lanes_lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            await asyncio.to_thread(lane.close)
        self._local = threading.local()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # --- Running steps -----------------------------------------------------------------------

    def wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the main event loop from another thread and wait for its result."""
        if self._loop is None:
            raise RuntimeError("database is not open")
        if threading.get_ident() == self._loop_thread:
            coro.close()
            raise RuntimeError("a step ran on the event loop's thread")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    async def run(self, work: Step[T]) -> T:
        """Run `work` in a serializable transaction of its own (run again on a conflict)."""
        return await self._transact(work, durable=True)

    async def write(self, work: Step[T], *, durable: bool = True) -> T:
        """Run `work` atomically in a serializable transaction; returns once committed."""
        return await self._transact(work, durable=durable)

    async def peek(self, work: Step[T]) -> T:
        """Point reads, each statement on its own (autocommit): it sees every returned commit."""
        return await self._transact(work, durable=True, mode=None)

    async def claim(self, work: Step[T], *, durable: bool = True) -> T:
        """A claim of queue rows, READ COMMITTED: `FOR UPDATE SKIP LOCKED` skips others' rows."""
        return await self._transact(work, durable=durable, mode="READ COMMITTED")

    async def snapshot(self, work: Step[T]) -> T:
        """Long reads from one REPEATABLE READ, READ ONLY snapshot (it never conflicts)."""
        return await self._transact(work, durable=True, mode="REPEATABLE READ READ ONLY")

    async def _transact(
        self, work: Step[T], *, durable: bool, mode: str | None = "SERIALIZABLE"
    ) -> T:
        if self._executor is None:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._attempts, work, durable, mode)

    def _lane(self) -> _Lane:
        lane: _Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            lane = _Lane(self.url)
            self._local.lane = lane
            with self._lanes_lock:
                self._lanes.append(lane)
        return lane

    def _attempts(self, work: Step[T], durable: bool, mode: str | None) -> T:
        """On a worker thread: run `work` in a transaction until it commits without a conflict.

        `mode` None: no transaction, each statement commits on its own (for `peek`).
        """
        lane = self._lane()
        conn = lane.connection()
        if mode is None:
            return work(PgConnection(lane.run, conn))
        begin = f"BEGIN ISOLATION LEVEL {mode}"
        begin = begin if durable else f"{begin}; SET LOCAL synchronous_commit = off"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            lane.run(conn.execute(begin))
            try:
                result = work(PgConnection(lane.run, conn, unique_conflicts=attempt < MAX_ATTEMPTS))
            except Conflict:
                lane.run(_rollback(conn))
            except BaseException:
                lane.run(_rollback(conn))
                raise
            else:
                try:
                    lane.run(_commit(conn))
                except Conflict:
                    pass
                else:
                    self.batches += 1
                    return result
            self.conflicts += 1
            time.sleep(random.uniform(0, 0.001 * attempt))  # let the other transaction finish
        raise sqlite3.OperationalError(f"serialization failures {MAX_ATTEMPTS} times in a row")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A serializable transaction held across awaits (a conflict raises; nothing reruns)."""
        async with self.pool.acquire() as conn:
            await conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try:
                yield _PgTx(self, conn)
            except BaseException:
                await _rollback(conn)
                raise
            try:
                await _commit(conn)
            except Conflict as exc:
                raise sqlite3.OperationalError(
                    f"the transaction met a concurrent change: {exc}"
                ) from exc
            self.batches += 1

    def exclusive(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """A transaction held across awaits (PostgreSQL has no connection to itself)."""
        return self.transaction()

    # --- Schema and backups ------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The applied migration number (0 on a new database)."""
        async with self.pool.acquire() as conn:
            return await _version(conn)

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> int:
        """Apply pending migrations in order, each in its own transaction; returns the version.

        Several workers starting at once wait on one advisory lock, so one of them migrates.
        """
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                return await _migrate(conn, directory)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def backup(self, target: Path) -> None:
        """Dump the database with `pg_dump` (custom format, for `pg_restore`) into a 0600 file."""
        await asyncio.to_thread(files.create_private, target, truncate=True)
        process = await asyncio.create_subprocess_exec(
            server_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            f"--dbname={self.url}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, error = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {error.decode(errors='replace').strip()}")
        files.tighten(target)


async def _commit(conn: asyncpg.Connection) -> None:
    """COMMIT; a conflict found at commit raises `Conflict` (the transaction is over either way)."""
    try:
        await conn.execute("COMMIT")
    except asyncpg.PostgresError as exc:
        raise _mapped(exc) from exc


async def _rollback(conn: asyncpg.Connection) -> None:
    if not conn.is_closed():
        await conn.execute("ROLLBACK")


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    value = await conn.fetchval("SELECT max(version) FROM schema_version")
    return int(value or 0)


_ID_COLUMN = re.compile(r"\bid INTEGER PRIMARY KEY\b")
_INTEGER = re.compile(r"\bINTEGER\b")
_BLOB = re.compile(r"\bBLOB\b")
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT ROWID\s*;")


def pg_types(script: str) -> str:
    """A shared migration in PostgreSQL's column types; the rest of the SQL is the same.

    `id INTEGER PRIMARY KEY` (SQLite's row id) becomes an identity column, which `db copy` may
    still fill with explicit ids; every other INTEGER becomes BIGINT (amounts in đồng and their
    sums pass 2^31), BLOB becomes BYTEA, and `WITHOUT ROWID` (a SQLite storage option) goes. A
    migration that needs more than these (triggers, GLOB checks, a table rebuilt) has its own
    file in `postgresql/`, which is applied as written.
    """
    script = _ID_COLUMN.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", script)
    script = _INTEGER.sub("BIGINT", script)
    script = _BLOB.sub("BYTEA", script)
    return _WITHOUT_ROWID.sub(");", script)


def pg_migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The migrations as PostgreSQL applies them: the dialect's own file where there is one."""
    variants = directory / PG_VARIANTS
    shared = migration_files(directory)
    names = {path.name for _, path in shared}
    strays = sorted(p.name for p in variants.glob("*.sql") if p.name not in names)
    if strays:
        raise ValueError(f"PostgreSQL migrations without a shared file: {strays}")
    return [
        (number, variants / path.name if (variants / path.name).exists() else path)
        for number, path in shared
    ]


async def _migrate(conn: asyncpg.Connection, directory: Path) -> int:
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
    current = await _version(conn)
    for number, path in pg_migration_files(directory):
        if number <= current:
            continue
        script = path.read_text(encoding="utf-8")
        if path.parent.name != PG_VARIANTS:
            script = pg_types(script)
        async with conn.transaction():
            await conn.execute(script)
            await conn.execute("DELETE FROM schema_version")
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
        log.info("migration applied", extra={"migration": path.name, "dialect": "postgresql"})
        current = number
    return current
