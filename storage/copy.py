"""Copy every row of one database into another, ids kept: a ward moving SQLite ⇄ PostgreSQL.

`copy_data(source, target)` reads the source from one consistent snapshot and writes the
target in one transaction, so a copy that fails leaves the target as empty as it found it and
can simply be run again. Both databases must be migrated to the same version (the caller opens
them through `open_database`) and the target must hold no rows (`TargetNotEmpty`).

What is copied, and in which order, comes from the schema itself, never from a list kept here:
the tables of the source (SQLite `sqlite_master`, PostgreSQL `information_schema`), each after
the tables its foreign keys point to (SQLite `PRAGMA foreign_key_list`, PostgreSQL's
foreign-key constraints), rows in primary-key order, so a row that names an earlier row of its
own table (a reversal naming the gift it reverses) comes after it. The migration bookkeeping
(`schema_version` on PostgreSQL, `user_version` on SQLite) is not data and is not copied.

Writing: on PostgreSQL each chunk goes in with one `COPY` (asyncpg `copy_records_to_table`),
and after the rows every identity column's sequence is moved past the highest copied id
(`setval`), so the next insert gets a fresh id. The append-only triggers of the ledger refuse
UPDATE, DELETE and TRUNCATE, never INSERT, so nothing is disabled. On SQLite the chunks are
`executemany` inserts in one `BEGIN IMMEDIATE`, with foreign keys checked at the commit
(`PRAGMA defer_foreign_keys`, which ends with the transaction); an INTEGER PRIMARY KEY needs
no sequence.

`compare_counts` then says whether every table holds as many rows on both sides; the
statement checksums of the ledger are compared by the caller (they are the handlers' work).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.db import Connection, Database, SqliteDatabase, dialect_of
from storage.pg import PgDatabase

__all__ = [
    "CHUNK",
    "NOT_DATA",
    "CopyError",
    "CopyResult",
    "SchemaMismatch",
    "Table",
    "TargetNotEmpty",
    "compare_counts",
    "copy_data",
    "foreign_key_order",
    "row_counts",
    "schema_of",
]

CHUNK = 5000
"""Rows read and written at a time (memory stays bounded on a large ledger)."""

NOT_DATA = frozenset({"schema_version"})
"""Tables that are bookkeeping of the migration runner, not a ward's data."""


class CopyError(Exception):
    """The copy cannot start or did not finish; nothing was committed on the target."""


class TargetNotEmpty(CopyError):
    """The target already holds rows (`tables`: name → rows); a copy only fills an empty one."""

    def __init__(self, tables: Mapping[str, int]) -> None:
        self.tables = dict(tables)
        listed = ", ".join(f"{name} ({rows})" for name, rows in self.tables.items())
        super().__init__(f"the target is not empty: {listed}")


class SchemaMismatch(CopyError):
    """The two databases do not have the same tables and columns (or the same version)."""


@dataclass(frozen=True, slots=True)
class Table:
    """One table as its database's catalog describes it."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    """The primary key's columns, in order (empty: no primary key)."""
    parents: frozenset[str]
    """The tables its foreign keys point to (itself included, for a self-reference)."""
    integer_key: bool
    """Whether the primary key is one integer column (read in pages by it)."""


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What a copy did."""

    tables: tuple[tuple[str, int], ...]
    """Each table with the rows copied into it, in the order they were copied."""
    sequences: tuple[tuple[str, int], ...]
    """PostgreSQL target: each identity sequence moved, with the id it now stands at."""
    seconds: float

    @property
    def rows(self) -> int:
        """Rows copied in all."""
        return sum(rows for _, rows in self.tables)


def quoted(name: str) -> str:
    """An identifier quoted for both dialects (`"name"`, inner quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


# ---- the schema --------------------------------------------------------------------------


def _sqlite_schema_in(conn: Connection) -> list[Table]:
    names = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    tables = []
    for name in names:
        info = conn.execute(
            "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", (name,)
        ).fetchall()
        key_rows = sorted((int(row["pk"]), str(row["name"])) for row in info if row["pk"])
        key = tuple(column for _, column in key_rows)
        key_types = [str(row["type"]).upper() for row in info if row["pk"]]
        parents = {
            str(row["table"])
            for row in conn.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
        }
        tables.append(
            Table(
                name=name,
                columns=tuple(str(row["name"]) for row in info),
                key=key,
                parents=frozenset(parents),
                integer_key=len(key) == 1 and key_types == ["INTEGER"],
            )
        )
    return tables


def _pg_schema_in(conn: Connection) -> list[Table]:
    columns: dict[str, list[str]] = {}
    types: dict[tuple[str, str], str] = {}
    for row in conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
        " AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    ):
        columns.setdefault(str(row[0]), []).append(str(row[1]))
        types[(str(row[0]), str(row[1]))] = str(row[2])
    keys: dict[str, list[str]] = {}
    for row in conn.execute(
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema"
        " AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name"
        " WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY'"
        " ORDER BY k.table_name, k.ordinal_position"
    ):
        keys.setdefault(str(row[0]), []).append(str(row[1]))
    parents: dict[str, set[str]] = {}
    for row in conn.execute(
        "SELECT DISTINCT tc.table_name, u.table_name FROM information_schema.table_constraints tc"
        " JOIN information_schema.constraint_column_usage u"
        " ON u.constraint_schema = tc.constraint_schema AND u.constraint_name = tc.constraint_name"
        " WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'FOREIGN KEY'"
    ):
        parents.setdefault(str(row[0]), set()).add(str(row[1]))
    tables = []
    for name in sorted(columns):
        key = tuple(keys.get(name, ()))
        tables.append(
            Table(
                name=name,
                columns=tuple(columns[name]),
                key=key,
                parents=frozenset(parents.get(name, ())),
                integer_key=len(key) == 1
                and types[(name, key[0])] in {"bigint", "integer", "smallint"},
            )
        )
    return tables


def _schema_in(conn: Connection) -> list[Table]:
    if dialect_of(conn) == "sqlite":
        return _sqlite_schema_in(conn)
    return _pg_schema_in(conn)


def foreign_key_order(tables: Sequence[Table]) -> list[Table]:
    """The tables, each after every table its foreign keys point to (alphabetical otherwise).

    A self-reference is no constraint on the order (rows go in key order). A cycle between
    tables raises `SchemaMismatch`: no order of whole tables could satisfy it.
    """
    by_name = {table.name: table for table in tables}
    waiting = {
        table.name: {parent for parent in table.parents if parent != table.name} for table in tables
    }
    missing = {parent for needs in waiting.values() for parent in needs} - set(by_name)
    if missing:
        raise SchemaMismatch(f"foreign keys point to tables that are not copied: {missing}")
    ordered: list[Table] = []
    while waiting:
        ready = sorted(name for name, needs in waiting.items() if not needs)
        if not ready:
            raise SchemaMismatch(f"a cycle of foreign keys between {sorted(waiting)}")
        for name in ready:
            ordered.append(by_name[name])
            del waiting[name]
        for needs in waiting.values():
            needs.difference_update(ready)
    return ordered


async def schema_of(db: Database) -> list[Table]:
    """The data tables of `db` (bookkeeping left out), in foreign-key order."""
    tables = await db.snapshot(_schema_in)
    return foreign_key_order([table for table in tables if table.name not in NOT_DATA])


def _count_in(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    return {
        name: int(conn.execute(f"SELECT count(*) FROM {quoted(name)}").fetchone()[0])
        for name in names
    }


async def row_counts(db: Database, names: Sequence[str] | None = None) -> dict[str, int]:
    """Rows per table (every data table when `names` is None), from one snapshot."""
    wanted = [table.name for table in await schema_of(db)] if names is None else list(names)
    return await db.snapshot(lambda conn: _count_in(conn, wanted))


async def compare_counts(source: Database, target: Database) -> dict[str, tuple[int, int]]:
    """Tables whose row counts differ: name → (rows in source, rows in target)."""
    names = [table.name for table in await schema_of(source)]
    before, after = await row_counts(source, names), await row_counts(target, names)
    return {name: (before[name], after[name]) for name in names if before[name] != after[name]}


def _matched(source: list[Table], target: list[Table]) -> None:
    """Raise `SchemaMismatch` unless both sides have the same tables with the same columns."""
    ours = {table.name: set(table.columns) for table in source}
    theirs = {table.name: set(table.columns) for table in target}
    if ours.keys() != theirs.keys():
        only_source = sorted(ours.keys() - theirs.keys())
        only_target = sorted(theirs.keys() - ours.keys())
        raise SchemaMismatch(
            f"different tables: only in the source {only_source}, only in the target {only_target}"
        )
    differing = sorted(name for name in ours if ours[name] != theirs[name])
    if differing:
        raise SchemaMismatch(f"different columns in {differing}")


# ---- reading -----------------------------------------------------------------------------


def _chunks(conn: Connection, table: Table, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in primary-key order, `size` at a time."""
    columns = ", ".join(quoted(column) for column in table.columns)
    if table.integer_key:
        key = quoted(table.key[0])
        at = table.columns.index(table.key[0])
        select = f"SELECT {columns} FROM {quoted(table.name)}"
        page = conn.execute(f"{select} ORDER BY {key} LIMIT ?", (size,)).fetchall()
        while page:
            yield [tuple(row) for row in page]
            if len(page) < size:
                return
            after = int(page[-1][at])
            page = conn.execute(
                f"{select} WHERE {key} > ? ORDER BY {key} LIMIT ?", (after, size)
            ).fetchall()
        return
    order = f" ORDER BY {', '.join(quoted(column) for column in table.key)}" if table.key else ""
    batch: list[tuple[Any, ...]] = []
    for row in conn.execute(f"SELECT {columns} FROM {quoted(table.name)}{order}"):
        batch.append(tuple(row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---- writing -----------------------------------------------------------------------------


class _Writer(Protocol):
    """Inserts into the target inside its one transaction (see the module docstring)."""

    async def insert(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows of `table` (columns in `table.columns` order)."""
        ...

    async def finish(self, tables: Sequence[Table]) -> tuple[tuple[str, int], ...]:
        """Whatever comes after the rows (sequences); the sequences moved."""
        ...


class _PgWriter:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def insert(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        await self._conn.copy_records_to_table(
            table.name, records=rows, columns=list(table.columns)
        )

    async def finish(self, tables: Sequence[Table]) -> tuple[tuple[str, int], ...]:
        moved = []
        for table in tables:
            if not table.integer_key:
                continue
            sequence = await self._conn.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", quoted(table.name), table.key[0]
            )
            if sequence is None:
                continue
            highest = await self._conn.fetchval(
                f"SELECT max({quoted(table.key[0])}) FROM {quoted(table.name)}"
            )
            if highest is None:
                continue
            await self._conn.execute("SELECT setval($1, $2)", sequence, int(highest))
            moved.append((table.name, int(highest)))
        return tuple(moved)


class _SqliteWriter:
    def __init__(self, run: Callable[[Callable[[Connection], Any]], Any]) -> None:
        self._run = run

    async def insert(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        columns = ", ".join(quoted(column) for column in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {quoted(table.name)} ({columns}) VALUES ({marks})"
        await self._run(lambda conn: conn.executemany(sql, rows))

    async def finish(self, tables: Sequence[Table]) -> tuple[tuple[str, int], ...]:
        """Nothing: an INTEGER PRIMARY KEY takes the next id from the table itself."""
        del tables
        return ()


@dataclass(slots=True)
class _Progress:
    """Rows copied per table so far (filled from the reading thread)."""

    rows: dict[str, int]


def _read_into(
    conn: Connection,
    tables: Sequence[Table],
    writer: _Writer,
    loop: asyncio.AbstractEventLoop,
    progress: _Progress,
    size: int,
) -> None:
    """On the source's snapshot thread: each chunk read is written on the loop, in order."""
    for table in tables:
        progress.rows[table.name] = 0
        for rows in _chunks(conn, table, size):
            asyncio.run_coroutine_threadsafe(writer.insert(table, rows), loop).result()
            progress.rows[table.name] += len(rows)


async def copy_data(source: Database, target: Database, *, chunk: int = CHUNK) -> CopyResult:
    """Copy every data row of `source` into the empty `target`, ids kept, in one transaction.

    Both must be open and migrated to the same version. Raises `SchemaMismatch` when the
    versions, tables or columns differ, `TargetNotEmpty` when the target holds any row, and
    `CopyError` when a row cannot be written (the target's transaction is then rolled back).
    """
    if isinstance(source, SqliteDatabase) and str(source.path) == ":memory:":
        raise CopyError("an in-memory database cannot be a copy's source")
    versions = (await source.schema_version(), await target.schema_version())
    if versions[0] != versions[1]:
        raise SchemaMismatch(f"schema versions differ: source {versions[0]}, target {versions[1]}")
    tables = await schema_of(source)
    _matched(tables, await schema_of(target))
    held = {name: rows for name, rows in (await row_counts(target)).items() if rows}
    if held:
        raise TargetNotEmpty(held)
    started = time.perf_counter()
    progress = _Progress({})
    loop = asyncio.get_running_loop()

    async def fill(writer: _Writer) -> tuple[tuple[str, int], ...]:
        await source.snapshot(
            lambda conn: _read_into(conn, tables, writer, loop, progress, max(1, chunk))
        )
        return await writer.finish(tables)

    try:
        if isinstance(target, PgDatabase):
            async with target.pool.acquire() as conn, conn.transaction():
                sequences = await fill(_PgWriter(conn))
        else:
            async with target.transaction() as tx:
                await tx.run(lambda conn: conn.execute("PRAGMA defer_foreign_keys = ON"))
                sequences = await fill(_SqliteWriter(tx.run))
    except CopyError:
        raise
    except Exception as exc:
        where = next(reversed(progress.rows), "?") if progress.rows else "?"
        raise CopyError(f"copying {where} failed: {type(exc).__name__}: {exc}") from exc
    return CopyResult(
        tables=tuple((table.name, progress.rows.get(table.name, 0)) for table in tables),
        sequences=sequences,
        seconds=time.perf_counter() - started,
    )
