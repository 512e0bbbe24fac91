"""PostgreSQL behind the same `Database` interface: asyncpg, with every step run unchanged.

**Why a synchronous facade, and how.** Every statement of the project is written once, as a
plain function of a connection (a `Step`, see `storage.db`) run inside one transaction. asyncpg
(Apache-2.0, the well-kept PostgreSQL driver for asyncio) is asynchronous only, and psycopg 3,
which has a synchronous API, is LGPL (the project takes no copyleft dependency). So a step runs
in a greenlet (the `greenlet` package, MIT) on the event loop's own thread, with a connection of
the loop's pool: each statement switches back to the loop's task, which awaits asyncpg and
switches into the step again with the rows (`_spawn`, `_await`; SQLAlchemy's asyncio support
does the same). No thread takes part, so a statement costs asyncpg's round trip and two
greenlet switches. Long reads (`snapshot`) are the exception: they run on a thread, so what
consumes their rows (a 100,000-line statement) leaves the loop free, and their statements hop to
the loop (`asyncio.run_coroutine_threadsafe`). `bench/scale.py` measures what this costs.

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
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import greenlet

from storage import files
from storage.db import MIGRATIONS_DIR, Database, Params, Step, Tx, migration_files

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 8
"""Connections per process for steps: transactions in flight at once."""
HELD_POOL_SIZE = 4
"""Connections per process for transactions held across awaits, migrations and the copy."""
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
"""Runs a coroutine on the connection's event loop to its end, for the step; its result."""


class _StepGreenlet(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet a step runs in (so `_await` knows it may switch out)."""


def _await(coro: Coroutine[Any, Any, T]) -> T:
    """From a step's greenlet: let the loop's task await `coro`; its result (or its error)."""
    current = greenlet.getcurrent()
    if not isinstance(current, _StepGreenlet):
        coro.close()
        raise RuntimeError("a PostgreSQL statement ran outside a step")
    result: T = current.parent.switch(coro)
    return result


async def _spawn(step: Step[T], conn: PgConnection) -> T:
    """Run the synchronous `step` in a greenlet of this thread; await each statement it runs.

    Written by hand (about fifteen lines) rather than taking SQLAlchemy for its
    `greenlet_spawn`: the whole of what is needed is this loop.
    """
    child = _StepGreenlet(step)
    pending: Any = child.switch(conn)
    while not child.dead:
        try:
            value = await pending
        except BaseException:  # the statement's error (or a cancellation) goes into the step
            pending = child.throw(*sys.exc_info())
        else:
            pending = child.switch(value)
    result: T = pending
    return result


async def _keep(conn: asyncpg.Connection) -> None:
    """A step's connection back in the pool: nothing to reset.

    Steps change no session state (their locks and settings end with the transaction), and
    asyncpg rolls back a transaction still open before this; its default reset would add a
    round trip (`RESET ALL`, `pg_advisory_unlock_all()`, ...) to every step.
    """


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
    """`Tx` on a connection held across awaits: each step runs in a greenlet on the loop."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def run(self, step: Step[T]) -> T:
        """Run a step inside the transaction."""
        return await _spawn(step, PgConnection(_await, self._conn))


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
    """One PostgreSQL database: two pools of connections on the process's event loop.

    `run`, `write`, `unit`, `claim`, `peek` and `snapshot` take a connection of the steps'
    pool (`pool_size`) for their step's transaction. The other pool serves what holds a
    connection across awaits (`transaction()`), the migrations and the copy tool, so those
    never wait behind the steps, nor the steps behind them.
    """

    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool_size = pool_size
        self.batches = 0  # transactions committed
        self.conflicts = 0  # serialization failures met (each ran its step again)
        self._pool: asyncpg.Pool | None = None
        self._steps: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    def describe(self) -> str:
        """The URL without its password."""
        return redacted(self.url)

    @property
    def pool(self) -> asyncpg.Pool:
        """The open pool for held transactions (raises if `open()` was not called)."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    def _steps_pool(self) -> asyncpg.Pool:
        if self._steps is None:
            raise RuntimeError("database is not open")
        return self._steps

    async def open(self) -> None:
        """Open both pools (the database must exist)."""
        if self._pool is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._steps = await asyncpg.create_pool(
            self.url, min_size=1, max_size=self.pool_size, init=_prepare_connection, reset=_keep
        )
        self._pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=HELD_POOL_SIZE, init=_prepare_connection
        )

    async def close(self) -> None:
        """Close both pools once the transactions in flight end."""
        for pool in (self._steps, self._pool):
            if pool is not None:
                await pool.close()
        self._steps = self._pool = None

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
        async with self._steps_pool().acquire() as conn:
            return await _spawn(work, PgConnection(_await, conn))

    async def claim(self, work: Step[T], *, durable: bool = True) -> T:
        """A claim of queue rows, READ COMMITTED: `FOR UPDATE SKIP LOCKED` skips others' rows."""
        return await self._transact(work, durable=durable, mode="READ COMMITTED")

    async def snapshot(self, work: Step[T]) -> T:
        """Long reads from one REPEATABLE READ, READ ONLY snapshot (it never conflicts).

        The step runs on a thread, so the loop stays free while it consumes the rows; its
        statements hop to the loop, where the connection lives. Cancelled, it still waits for
        the thread to end before the connection goes back to the pool.
        """
        async with self._steps_pool().acquire() as conn:
            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                reading = asyncio.ensure_future(
                    asyncio.to_thread(work, PgConnection(self.wait, conn))
                )
                try:
                    return await asyncio.shield(reading)
                except asyncio.CancelledError:
                    await asyncio.wait([reading])
                    raise
            finally:
                await _rollback(conn)  # it wrote nothing: nothing to commit

    async def _transact(self, work: Step[T], *, durable: bool, mode: str = "SERIALIZABLE") -> T:
        """Run `work` in a transaction until it commits without a conflict."""
        begin = f"BEGIN ISOLATION LEVEL {mode}"
        begin = begin if durable else f"{begin}; SET LOCAL synchronous_commit = off"
        async with self._steps_pool().acquire() as conn:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                await conn.execute(begin)
                step = PgConnection(_await, conn, unique_conflicts=attempt < MAX_ATTEMPTS)
                try:
                    result = await _spawn(work, step)
                except Conflict:
                    await _rollback(conn)
                except BaseException:
                    with contextlib.suppress(Exception):  # else the pool's release rolls back
                        await _rollback(conn)
                    raise
                else:
                    try:
                        await _commit(conn)
                    except Conflict:
                        pass
                    else:
                        self.batches += 1
                        return result
                self.conflicts += 1
                await asyncio.sleep(random.uniform(0, 0.001 * attempt))  # let the other finish
        raise sqlite3.OperationalError(f"serialization failures {MAX_ATTEMPTS} times in a row")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A serializable transaction held across awaits (a conflict raises; nothing reruns)."""
        async with self.pool.acquire() as conn:
            await conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try:
                yield _PgTx(conn)
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
