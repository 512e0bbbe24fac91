"""One aiosqlite connection per process, with versioned migrations.

Statements reach the connection in two ways. `Database.run()` / `write()` queue a plain
function; everything queued during one turn of the event loop runs together, on the loop's own
thread, at the start of the next turn, as one batch with one commit (group commit). A hop to a
worker thread for each batch made that thread and the loop hand the GIL back and forth several
times per batch, which cost the bot about a quarter of its throughput (bench/README.md).
Batches are short: point reads and writes (the per-message lookups go through `peek`).

Durability is kept without making the loop wait for the disk: the connection commits with
`synchronous=NORMAL` (in WAL mode a commit then survives the process being killed, not the
machine losing power), and a batch in which a durable call changed anything is settled only
after an `fsync` of the WAL file that started after its commit, on a worker thread. That is what
`synchronous=FULL` does at each commit, so a write that returned is on disk before the user is
told it happened. The fsync does not hold the connection: later batches run and commit while it
runs (a write that opted out of the wait, `write(..., durable=False)`, returns at once), and
durable batches committed meanwhile share the next fsync (group fsync, one in flight at a
time). The conversation state saved with every message opts out, since it must survive
`kill -9` (it does) but may lose one step to a power cut; received updates (the inbox) do not.

One write path: a repository writes each statement once, as a plain function of a `sqlite3`
connection (a `Step`, by convention named `*_in`). One logical change (an answer, its audit row,
its outbox message) is a unit of work: `await db.unit(step, step, ...).commit()` runs its steps
in order inside the next batch, so they stand or fall together and share that batch's group
commit and fsync. `Database.write` is a unit of one step.

`Database.transaction()` (and `exclusive()`) spans several awaits and has the connection to
itself, through aiosqlite's worker thread: no batch runs inside it, so two coroutines never
share a transaction (one's rollback can't undo another's commit); it too returns only after the
WAL is on disk. Use it only for a read-modify-write whose steps need awaits in between (a call
to another service, say); a step runs inside one with `await call(tx, step)`. The file is in
WAL mode with foreign keys on.

Two backends share this interface (`Database`): `SqliteDatabase` here, the embedded default, and
`storage.pg.PgDatabase` for a PostgreSQL server (`DATABASE_URL=postgresql://...`), where several
worker processes share one database. A step sees a `Connection`: the plain `sqlite3` one here, a
synchronous facade over asyncpg there, so each statement is written once for both dialects
(`connect` picks the backend from the URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from storage import files

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class Row(Protocol):
    """A result row: `sqlite3.Row` or `asyncpg.Record`; both index by column name and position."""

    def __getitem__(self, key: int | str, /) -> Any:
        """The value of a column, by name or position."""
        ...

    def keys(self) -> Any:
        """The column names."""
        ...


class Cursor(Protocol):
    """What a step reads back from a statement (the part of `sqlite3.Cursor` both backends have).

    There is no `lastrowid`: an insert that needs its id says `RETURNING id`, in both dialects.
    """

    @property
    def rowcount(self) -> int:
        """Rows changed by an INSERT, UPDATE or DELETE (-1 for a SELECT)."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """The remaining rows, one by one."""
        ...


class Connection(Protocol):
    """The connection a step runs on: `sqlite3.Connection`, or `storage.pg`'s facade.

    Statements use `?` (or `:name`) placeholders in both dialects.
    """

    def execute(self, sql: str, parameters: Params = (), /) -> Cursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params], /) -> Cursor:
        """Run one statement for each parameter set; `rowcount` is the total changed."""
        ...


Step = Callable[[Connection], T]
"""Statements of a repository on a `Connection`; the caller owns the transaction."""


def dialect_of(conn: Connection) -> str:
    """`"sqlite"` or `"postgresql"`: for the rare statement written per dialect."""
    return "sqlite" if isinstance(conn, sqlite3.Connection) else "postgresql"


def advisory_lock_in(conn: Connection, key: str) -> None:
    """On PostgreSQL, hold the lock named `key` until the transaction ends (others wait).

    For the steps that run READ COMMITTED (`Database.claim`): those on one key then run one at
    a time, and each statement after the lock sees what the previous holder committed. A hash
    collision of two keys only makes them wait for each other. SQLite's one writer needs none.
    """
    if dialect_of(conn) == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


def try_advisory_lock_in(conn: Connection, key: str) -> bool:
    """`advisory_lock_in` without waiting: False if another transaction holds `key` now."""
    if dialect_of(conn) != "postgresql":
        return True
    row = conn.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", (key,))
    return bool(row.fetchone()[0])


class Tx(Protocol):
    """A transaction held across awaits (`Database.transaction()` / `exclusive()`)."""

    async def run(self, step: Step[T]) -> T:
        """Run a step inside the transaction."""
        ...


MAX_BATCH = 256
Outcome = tuple[bool, Any]  # (True, result) or (False, the exception raised)


@dataclass(slots=True)
class _Work:
    work: Callable[[sqlite3.Connection], Any]
    atomic: bool
    durable: bool
    future: asyncio.Future[Any]


def _attempt(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]) -> Outcome:
    try:
        return True, work(conn)
    except Exception as exc:
        return False, exc


def _alone(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]) -> Outcome:
    """Run one atomic work in a transaction of its own."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        result = work(conn)
        conn.execute("COMMIT")
    except Exception as exc:
        _rollback(conn)
        return False, exc
    return True, result


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _run_batch(
    conn: sqlite3.Connection, *, jobs: list[tuple[Callable[[sqlite3.Connection], Any], bool]]
) -> list[Outcome]:
    """Run a batch, with one commit for all of its writes.

    If any work or the commit fails, the batch is rolled back and each work is run again on
    its own, so only the faulty one fails.
    """
    if not any(atomic for _, atomic in jobs):
        return [_attempt(conn, work) for work, _ in jobs]
    if len(jobs) > 1:
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = [work(conn) for work, _ in jobs]
            conn.execute("COMMIT")
        except Exception:
            _rollback(conn)
        else:
            return [(True, result) for result in results]
    return [_alone(conn, work) if atomic else _attempt(conn, work) for work, atomic in jobs]


async def call(tx: Tx, step: Step[T]) -> T:
    """Run a `Step` inside a `Database.transaction()` block.

    For code that holds the connection across awaits: the step's statements join the open
    transaction, so the same SQL serves both `Database.unit` and `transaction()`.
    """
    return await tx.run(step)


class _SqliteTx:
    """`Tx` on the aiosqlite connection: steps run on aiosqlite's thread."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def run(self, step: Step[T]) -> T:
        """Run a step inside the transaction, on aiosqlite's worker thread."""
        result: T = await self._conn._execute(step, self._conn._conn)  # type: ignore[no-untyped-call]
        return result


class Unit:
    """The statements of one logical change, committed together (see `Database.unit`)."""

    def __init__(self, db: Database, steps: Iterable[Step[Any]], *, durable: bool) -> None:
        self._db = db
        self._steps: list[Step[Any]] = list(steps)
        self._durable = durable

    def add(self, step: Step[Any]) -> Unit:
        """Append a step (it runs after the ones already added); returns the unit."""
        self._steps.append(step)
        return self

    def __len__(self) -> int:
        return len(self._steps)

    async def commit(self) -> list[Any]:
        """Run every step in order in one transaction of the next batch; their results.

        If a step raises, none of the unit's statements stand and the exception propagates
        (other units in the batch are unaffected). Returns once committed and, for a durable
        unit, once the WAL is on disk.
        """
        steps = tuple(self._steps)
        if not steps:
            return []
        return await self._db.write(
            lambda conn: [step(conn) for step in steps], durable=self._durable
        )


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


class Database(ABC):
    """A database both backends implement: batched steps, transactions, migrations, backups."""

    dialect = "sqlite"
    batches = 0  # transactions (SQLite: batches) that ran; the ledger counts commits with it

    @abstractmethod
    async def open(self) -> None:
        """Connect (creating what is missing)."""

    @abstractmethod
    async def close(self) -> None:
        """Finish queued work, then disconnect."""

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    def describe(self) -> str:
        """Where the data is, for messages (a file path, or a URL without its password)."""

    @abstractmethod
    def exclusive(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """A connection held across awaits (see the module docstring)."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """A transaction held across awaits: committed on success, rolled back on error."""

    @abstractmethod
    async def run(self, work: Step[T]) -> T:
        """Run a step (reads, or writes that need not be atomic)."""

    @abstractmethod
    async def write(self, work: Step[T], *, durable: bool = True) -> T:
        """Run a step atomically; returns once committed (and, if durable, on disk)."""

    def unit(self, *steps: Step[Any], durable: bool = True) -> Unit:
        """A unit of work: the statements of one logical change, committed together.

        `await db.unit(answer_in, audit_in, enqueue_in).commit()` runs the steps in order in
        one transaction (`write`), with the batch's single commit and fsync on SQLite. More
        steps can be added with `Unit.add` before `commit`. `durable=False` as for `write`.
        """
        return Unit(self, steps, durable=durable)

    @abstractmethod
    async def peek(self, work: Step[T]) -> T:
        """A few point reads by key, as cheaply as the backend allows."""

    async def claim(self, work: Step[T], *, durable: bool = True) -> T:
        """Run a step that claims queue rows, or takes its own locks, atomically.

        On SQLite a `write` (one writer: nobody else claims meanwhile). PostgreSQL runs it READ
        COMMITTED, where `FOR UPDATE SKIP LOCKED` passes over the rows another worker is
        claiming and an advisory lock orders the steps on one key, with none of the
        serialization failures a serializable transaction meets on a busy queue.
        """
        return await self.write(work, durable=durable)

    @abstractmethod
    async def snapshot(self, work: Step[T]) -> T:
        """Run long reads from one consistent snapshot, off the event loop's thread."""

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        """Run a read and return its first row."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchone())

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        """Run a read and return all rows."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write in its own transaction; returns the rows changed."""
        return await self.write(lambda conn: conn.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in one transaction."""
        await self.write(lambda conn: conn.executemany(sql, rows))

    @abstractmethod
    async def schema_version(self) -> int:
        """The applied migration number."""

    @abstractmethod
    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> int:
        """Apply pending migrations in order, each in its own transaction; returns the version."""

    @abstractmethod
    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` (safe while running)."""


class SqliteDatabase(Database):
    """The process's single SQLite connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._reader: sqlite3.Connection | None = None  # read-only, for `peek`
        self._lock = asyncio.Lock()  # one `exclusive()` user at a time
        self._queue: list[_Work] = []
        self._in_flight = False  # a batch is scheduled and has not landed yet
        self._exclusive = False  # an `exclusive()` user has, or waits for, the connection
        self._landings: list[asyncio.Future[None]] = []
        self._unsynced: list[tuple[list[_Work], list[Outcome]]] = []  # committed, awaiting fsync
        self._syncing = False  # an fsync of the WAL runs on a worker thread
        self.batches = 0  # batches of `run`/`write` calls run (group commit is visible in tests)
        self.syncs = 0  # fsyncs of the WAL (one per batch or transaction that changed something)
        self._wal = False  # in WAL mode (set by `open`)
        self._wal_fd: int | None = None  # the WAL file, opened for fsync at the first need

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection (raises if `open()` was not called)."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open the file (creating it 0600, its folder 0700 if new) and set the pragmas."""
        if self._conn is not None:
            return
        on_disk = str(self.path) != ":memory:"
        if on_disk:
            # SQLite gives the WAL and SHM the database file's mode, so 0600 here is 0600 there.
            await asyncio.to_thread(files.ensure_private, self.path)
        # Batches use the connection from the loop's thread, `exclusive()` from aiosqlite's
        # worker thread; never both at once (see `_send_batch`).
        conn = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        async with conn.execute("PRAGMA journal_mode=WAL") as cursor:
            mode = await cursor.fetchone()
        # In WAL mode the WAL's fsync is ours (`_durable`); a file system without WAL support
        # (some network mounts) keeps SQLite's own fsync at every commit.
        self._wal = mode is not None and str(mode[0]).lower() == "wal"
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute(f"PRAGMA synchronous={'NORMAL' if self._wal else 'FULL'}")
        await conn.execute("PRAGMA busy_timeout=10000")
        self._conn = conn
        if on_disk:
            for suffix in ("-wal", "-shm"):  # left wider by an older version, or copied in
                files.tighten(Path(f"{self.path}{suffix}"))
            reader = sqlite3.connect(self.path, isolation_level=None)  # on the loop's thread
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA query_only=ON")
            reader.execute("PRAGMA busy_timeout=1000")
            self._reader = reader

    async def close(self) -> None:
        """Finish queued work (and its fsyncs), then close the connections if open."""
        while self._busy():
            await self._next_landing()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[Tx]:
        """The connection to itself across awaits (as `_held`), as a `Tx`."""
        async with self._held() as conn:
            yield _SqliteTx(conn)

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection to itself, for work spanning several awaits: no batch runs meanwhile.

        Waits for the scheduled batch (if any) to land; batches queued meanwhile go once
        the block ends. If the block changed anything, it ends once the WAL is on disk.
        """
        async with self._lock:
            self._exclusive = True
            try:
                while self._in_flight:
                    await self._next_landing()
                changes = self._raw().total_changes
                yield self.conn
                if self._raw().total_changes != changes:
                    await self._durable()
            finally:
                self._exclusive = False
                self._send_batch()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """`BEGIN IMMEDIATE` on the exclusive connection; commit on success, roll back on error."""
        async with self._held() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def run(self, work: Step[T]) -> T:
        """Run `work` with the plain `sqlite3` connection, in the next batch.

        Everything queued during one turn of the event loop runs together at the start of the
        next (so many reads and writes share one batch and one commit: group commit). `work`
        runs on its own, in call order; with no `write` in its batch it runs in autocommit
        mode, so use `write` when its statements must stand or fall together. It runs on the
        loop's thread: keep it to a few indexed statements.
        """
        return await self._enqueue(work, atomic=False, durable=True)

    async def write(self, work: Step[T], *, durable: bool = True) -> T:
        """Run `work` atomically: all of its statements are committed, or none.

        Writes in one batch share a `BEGIN IMMEDIATE` … `COMMIT`; if one of them raises, the
        batch is rolled back and each is run again in its own transaction, so only the faulty
        one fails. It returns once committed; by default only once the commit is on disk (the
        WAL fsynced), so it survives a power cut too. `durable=False` skips that wait: the
        commit then survives the process being killed (`kill -9`), not the machine losing power
        before the next fsync; for state that is cheap to lose once, such as where a user is in
        a conversation.
        """
        return await self._enqueue(work, atomic=True, durable=durable)

    async def peek(self, work: Step[T]) -> T:
        """Run a few reads by key right here, on the event loop's thread, on a read-only connection.

        For the lookups every message makes (dedupe mark, user, session): each is an indexed
        point read of tens of microseconds, and in WAL mode a reader never waits for the writer,
        so it need not wait for the next batch either. `work` sees every commit that has
        returned. Anything that writes goes through `write`. (An in-memory database has no
        second connection; there `peek` is `run`.)
        """
        if self._reader is None:
            return await self.run(work)
        return work(self._reader)

    async def snapshot(self, work: Step[T]) -> T:
        """Run `work` on a worker thread with its own read-only connection, in one read transaction.

        In WAL mode that reader neither blocks the writer nor waits for it, and the event loop
        stays free while it reads. An in-memory database has no second connection; there
        `work` runs in a batch on the loop's thread.
        """
        if self._reader is None:
            return await self.run(work)
        return await asyncio.to_thread(self._snapshot_in, work)

    def _snapshot_in(self, work: Step[T]) -> T:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("BEGIN")  # one read transaction: one snapshot for every query
            try:
                return work(conn)
            finally:
                conn.execute("COMMIT")  # nothing was written
        finally:
            conn.close()

    async def _enqueue(self, work: Step[T], *, atomic: bool, durable: bool) -> T:
        self.conn  # noqa: B018 - raises if the database is not open
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Work(work, atomic, durable, future))
        self._send_batch()
        return await future

    def _send_batch(self) -> None:
        """Schedule a batch for the next turn of the loop, unless one is scheduled or held off."""
        if self._in_flight or self._exclusive or not self._queue:
            return
        self._in_flight = True
        asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Run what is queued (up to `MAX_BATCH`) as one batch, right here, and settle it.

        A batch in which a durable call changed anything is settled, every call in it together,
        once an fsync of the WAL that started after its commit is done (`_sync_next`). The
        connection is free again as soon as the batch has run: the next batch does not wait for
        the fsync, so writes that need no fsync never wait for the disk.
        """
        batch = self._queue[:MAX_BATCH]
        del self._queue[:MAX_BATCH]
        synced = False  # whether a durable call changed anything (then the WAL is fsynced)

        def tracked(item: _Work) -> Callable[[sqlite3.Connection], Any]:
            if not item.durable:
                return item.work

            def work(conn: sqlite3.Connection) -> Any:
                nonlocal synced
                changes = conn.total_changes
                try:
                    return item.work(conn)
                finally:
                    synced = synced or conn.total_changes != changes

            return work

        jobs = [(tracked(item), item.atomic) for item in batch]
        try:
            outcomes = _run_batch(self._raw(), jobs=jobs)
        except BaseException as exc:
            outcomes = [(False, exc)] * len(jobs)
        if synced and self._reader is not None and self._wal:
            self._unsynced.append((batch, outcomes))
            self._sync_next()
            self._landed([], [])
            return
        self._landed(batch, outcomes)

    def _sync_next(self) -> None:
        """Start an fsync for the batches committed since the last one started (one at a time)."""
        if self._syncing or not self._unsynced:
            return
        self._syncing = True
        waiting, self._unsynced = self._unsynced, []

        def settle(done: asyncio.Future[None]) -> None:
            self._syncing = False
            error = done.exception()
            for batch, outcomes in waiting:
                self._settle(batch, outcomes if error is None else [(False, error)] * len(batch))
            self._wake_landings()
            self._sync_next()

        asyncio.ensure_future(self._durable()).add_done_callback(settle)

    def _raw(self) -> sqlite3.Connection:
        """The plain sqlite3 connection inside aiosqlite's (private: aiosqlite is pinned)."""
        raw: sqlite3.Connection = self.conn._conn
        return raw

    async def _durable(self) -> None:
        """Wait until every commit so far is on disk: an fsync of the WAL, on a worker thread.

        The thread needs the GIL only to start and to finish, and the loop goes on meanwhile.
        An in-memory database has nothing to sync, and without WAL SQLite syncs each commit.
        """
        if self._reader is None or not self._wal:
            return
        if self._wal_fd is None:
            self._wal_fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        await asyncio.get_running_loop().run_in_executor(None, os.fsync, self._wal_fd)
        self.syncs += 1

    def _landed(self, batch: list[_Work], outcomes: list[Outcome]) -> None:
        """A batch has run: settle its calls, free the connection, send the next batch."""
        self._in_flight = False
        self.batches += 1
        self._settle(batch, outcomes)
        self._wake_landings()
        self._send_batch()

    @staticmethod
    def _settle(batch: list[_Work], outcomes: list[Outcome]) -> None:
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            if item.future.done():  # the caller was cancelled
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)

    def _wake_landings(self) -> None:
        landings, self._landings = self._landings, []
        for landing in landings:
            if not landing.done():
                landing.set_result(None)

    def _busy(self) -> bool:
        """Whether any call is queued, running, or waiting for its fsync."""
        return self._in_flight or bool(self._queue) or self._syncing or bool(self._unsynced)

    def _next_landing(self) -> asyncio.Future[None]:
        landing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._landings.append(landing)
        if not self._busy():
            landing.set_result(None)
        return landing

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
            async with self._held() as conn:
                try:
                    await conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK")
                    raise
            log.info("migration applied", extra={"migration": path.name})
            current = number
        return current

    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup (safe while running).

        The copy is a 0600 file (its folder 0700 if new). A `target` that is a symbolic link,
        even a dangling one, raises `files.UnsafeTarget` and nothing is written.
        """
        await asyncio.to_thread(files.create_private, target, truncate=True)
        async with self._held() as conn:
            dest = await aiosqlite.connect(target)
            try:
                await conn.backup(dest)
            finally:
                await dest.close()
        for suffix in ("", "-journal"):
            files.tighten(Path(f"{target}{suffix}"))


def connect(target: Path | str) -> Database:
    """The database `target` names: `postgresql://...` (PostgreSQL), else a SQLite file.

    A SQLite file may be given as a path or as `sqlite:///relative/path` or
    `sqlite:////absolute/path`. Nothing is opened yet.
    """
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from storage.pg import PgDatabase  # only a PostgreSQL deployment imports asyncpg

        return PgDatabase(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        raise ValueError(f"not a database URL this assistant knows: {text.split('://')[0]}://")
    return SqliteDatabase(text)


@asynccontextmanager
async def open_database(target: Path | str, *, migrate: bool = True) -> AsyncIterator[Database]:
    """The database for a command: opened (its folder created), migrated, closed at the end.

    Every command line tool opens the database through this and builds no app, so none of
    them loads demo data (only `chat`, `run` and `start` build the app). `migrate=False` leaves
    the schema as found (for `db backup`).
    """
    db = connect(target)
    await db.open()
    try:
        if migrate:
            await db.migrate()
        yield db
    finally:
        await db.close()
