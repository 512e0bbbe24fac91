"""Paying by bank transfer (chuyển khoản): receiving accounts and imported bank statements.

A campaign (đợt vận động) may have a receiving account (NAPAS BIN, account number, account
name) and a short ASCII transfer reference (``GN12``) that every VietQR note carries, so a line
of the account's statement (sao kê tài khoản) can be traced back to its campaign. Every table
is append-only (SQLite triggers, migration 0014): a new account is a new row, the newest counts.

Importing a statement is idempotent: the file is one row by the SHA-256 of its bytes, each
credit line one row by its bank reference (số tham chiếu), both inserted with
``ON CONFLICT DO NOTHING``. Lines are written in chunks, each chunk its own durable write, so
an import killed half-way keeps what it wrote and the next run of the same file adds only the
rest. What became of a line (a gift recorded from it, or an earlier gift that already carries
its bank reference) is read from the ledger, never stored on the line.

Each statement is a step (``*_in``) of a unit of work, with its audit row in the same unit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from storage.audit import record_in
from storage.clock import from_db, to_db
from storage.db import Connection, Database, Row

__all__ = [
    "CHUNK",
    "REFERENCE_PREFIX",
    "Account",
    "BankStore",
    "ImportOutcome",
    "LineIn",
    "Progress",
    "RecordedRef",
    "StoredLine",
    "reference_for",
]

REFERENCE_PREFIX = "GN"
"""Transfer references are ``GN`` (Giảm nghèo) and the campaign's id: ``GN12``."""
CHUNK = 500
"""Statement lines per write: a kill loses at most the chunk in flight (it is written again)."""

Progress = Callable[[int, int], Awaitable[None] | None]


def reference_for(campaign_id: int) -> str:
    """The transfer reference a campaign gets: ``GN`` and its id (unique as the id is)."""
    return f"{REFERENCE_PREFIX}{campaign_id}"


@dataclass(frozen=True, slots=True)
class Account:
    """A campaign's receiving account and its transfer reference."""

    campaign_id: int
    bin: str
    number: str
    name: str
    reference: str
    set_by: int | None
    set_at: datetime


@dataclass(frozen=True, slots=True)
class LineIn:
    """A credit line read from a statement file (amount in whole đồng)."""

    bank_ref: str
    posted_on: date
    amount: int
    description: str
    matched_campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A stored statement line."""

    id: int
    bank_ref: str
    statement_id: int
    posted_on: date
    amount: int
    description: str
    matched_campaign_id: int | None


@dataclass(frozen=True, slots=True)
class RecordedRef:
    """A ledger gift carrying a bank reference: its receipt and how it was recorded."""

    receipt: str
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import wrote: the statement, and how many of its lines were new."""

    statement_id: int
    new_statement: bool
    lines: int
    new_lines: int


def _account(row: Row) -> Account:
    return Account(
        campaign_id=int(row["campaign_id"]),
        bin=str(row["bin"]),
        number=str(row["number"]),
        name=str(row["name"]),
        reference=str(row["reference"]),
        set_by=row["set_by"],
        set_at=from_db(str(row["set_at"])),
    )


def _line(row: Row) -> StoredLine:
    return StoredLine(
        id=int(row["id"]),
        bank_ref=str(row["bank_ref"]),
        statement_id=int(row["statement_id"]),
        posted_on=date.fromisoformat(str(row["posted_on"])),
        amount=int(row["amount"]),
        description=str(row["description"]),
        matched_campaign_id=row["matched_campaign_id"],
    )


_ACCOUNT = (
    "SELECT a.*, r.reference FROM donation_bank_accounts a"
    " JOIN donation_transfer_refs r ON r.campaign_id = a.campaign_id"
)


def account_in(conn: Connection, campaign_id: int) -> Account | None:
    """The campaign's newest account, with its reference."""
    row = conn.execute(
        f"{_ACCOUNT} WHERE a.campaign_id = ? ORDER BY a.id DESC LIMIT 1", (campaign_id,)
    ).fetchone()
    return _account(row) if row else None


def set_account_in(
    conn: Connection,
    *,
    campaign_id: int,
    bin_code: str,
    number: str,
    name: str,
    actor: int | None,
    now: datetime,
    key: str | None,
) -> Account:
    """Add the campaign's account (and its reference, the first time); a used key sets nothing."""
    if key is not None:
        done = conn.execute(
            "SELECT campaign_id FROM donation_bank_accounts WHERE idempotency_key = ?", (key,)
        ).fetchone()
        if done is not None:
            found = account_in(conn, int(done[0]))
            assert found is not None
            return found
    conn.execute(
        "INSERT INTO donation_transfer_refs (campaign_id, reference) VALUES (?, ?)"
        " ON CONFLICT DO NOTHING",
        (campaign_id, reference_for(campaign_id)),
    )
    conn.execute(
        "INSERT INTO donation_bank_accounts (campaign_id, bin, number, name, set_by, set_at,"
        " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (campaign_id, bin_code, number, name, actor, to_db(now), key),
    )
    found = account_in(conn, campaign_id)
    assert found is not None
    return found


def open_statement_in(
    conn: Connection,
    *,
    file_hash: str,
    campaign_id: int,
    ward_id: str,
    filename: str,
    line_count: int,
    actor: int | None,
    now: datetime,
) -> tuple[int, bool]:
    """The statement's row, added if this file was never seen; (id, whether it is new)."""
    cursor = conn.execute(
        "INSERT INTO donation_statements (file_hash, campaign_id, ward_id, filename,"
        " line_count, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (file_hash, campaign_id, ward_id, filename[:120], line_count, actor, to_db(now)),
    )
    new = cursor.rowcount == 1
    row = conn.execute(
        "SELECT id FROM donation_statements WHERE file_hash = ?", (file_hash,)
    ).fetchone()
    return int(row[0]), new


def lines_in(conn: Connection, *, statement_id: int, lines: Sequence[LineIn]) -> int:
    """Add the lines not stored yet (by bank reference); how many were new."""
    cursor = conn.executemany(
        "INSERT INTO donation_statement_lines (bank_ref, statement_id, posted_on,"
        " amount, description, matched_campaign_id) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [
            (
                line.bank_ref,
                statement_id,
                line.posted_on.isoformat(),
                line.amount,
                line.description,
                line.matched_campaign_id,
            )
            for line in lines
        ],
    )
    return max(cursor.rowcount, 0)  # executemany sums the rows changed


def recorded_in(conn: Connection, refs: Sequence[str]) -> dict[str, RecordedRef]:
    """Gifts (not reversed) whose reference is one of `refs` (any case), by upper-cased ref."""
    found: dict[str, RecordedRef] = {}
    wanted = sorted({ref.strip().upper() for ref in refs})
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(
            "SELECT UPPER(TRIM(reference)), receipt, idempotency_key FROM donation_entries"
            f" WHERE UPPER(TRIM(reference)) IN ({marks}) AND reference <> ''"
            " AND kind = 'gift' AND id NOT IN"
            " (SELECT reverses_id FROM donation_entries WHERE reverses_id IS NOT NULL)"
            " ORDER BY id",
            part,
        ).fetchall()
        for row in rows:
            found.setdefault(str(row[0]), RecordedRef(str(row[1]), row[2]))
    return found


class BankStore:
    """Receiving accounts, transfer references and imported statements on the shared database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_account(
        self,
        campaign_id: int,
        *,
        bin_code: str,
        number: str,
        name: str,
        actor: int | None,
        now: datetime,
        key: str | None = None,
    ) -> Account:
        """Give a campaign its receiving account (audited; a used `key` changes nothing)."""

        def step(conn: Connection) -> Account:
            used = (
                key is not None
                and conn.execute(
                    "SELECT 1 FROM donation_bank_accounts WHERE idempotency_key = ?", (key,)
                ).fetchone()
            )
            account = set_account_in(
                conn,
                campaign_id=campaign_id,
                bin_code=bin_code,
                number=number,
                name=name,
                actor=actor,
                now=now,
                key=key,
            )
            if not used:
                record_in(
                    conn,
                    actor_user_id=actor,
                    action="donations.bank.account_set",
                    target=f"campaign:{campaign_id}",
                    detail={"bin": bin_code},
                    now=now,
                )
            return account

        return await self.db.write(step)

    async def account(self, campaign_id: int) -> Account | None:
        """The campaign's current receiving account, if it has one."""
        return await self.db.run(lambda conn: account_in(conn, campaign_id))

    async def accounts(self) -> list[Account]:
        """Every campaign's current account, by campaign id."""
        rows = await self.db.fetchall(
            f"{_ACCOUNT} WHERE a.id IN (SELECT MAX(id) FROM donation_bank_accounts"
            " GROUP BY campaign_id) ORDER BY a.campaign_id"
        )
        return [_account(row) for row in rows]

    async def references(self) -> dict[str, int]:
        """Every transfer reference and its campaign."""
        rows = await self.db.fetchall("SELECT reference, campaign_id FROM donation_transfer_refs")
        return {str(row[0]): int(row[1]) for row in rows}

    async def import_lines(
        self,
        *,
        file_hash: str,
        campaign_id: int,
        ward_id: str,
        filename: str,
        lines: Sequence[LineIn],
        actor: int | None,
        now: datetime,
        progress: Progress | None = None,
    ) -> ImportOutcome:
        """Store a statement and its lines, chunk by chunk; the same file again adds nothing.

        The statement's row and its audit row come first (one unit); then each chunk of
        `CHUNK` lines is one durable write. `progress(done, total)` is called after each.
        """

        def open_in(conn: Connection) -> tuple[int, bool]:
            statement_id, new = open_statement_in(
                conn,
                file_hash=file_hash,
                campaign_id=campaign_id,
                ward_id=ward_id,
                filename=filename,
                line_count=len(lines),
                actor=actor,
                now=now,
            )
            if new:
                record_in(
                    conn,
                    actor_user_id=actor,
                    action="donations.bank.statement_imported",
                    target=f"statement:{statement_id}",
                    detail={"campaign": campaign_id, "lines": len(lines)},
                    now=now,
                )
            return statement_id, new

        statement_id, new = await self.db.write(open_in)
        added = 0
        for start in range(0, len(lines), CHUNK):
            part = lines[start : start + CHUNK]
            added += await self.db.write(partial(lines_in, statement_id=statement_id, lines=part))
            if progress is not None:
                waiting = progress(min(start + CHUNK, len(lines)), len(lines))
                if waiting is not None:
                    await waiting
        return ImportOutcome(statement_id, new, len(lines), added)

    async def lines_by_refs(self, refs: Sequence[str]) -> list[StoredLine]:
        """The stored lines with these bank references, in the order given."""
        found: dict[str, StoredLine] = {}
        for start in range(0, len(refs), CHUNK):
            part = list(refs[start : start + CHUNK])
            marks = ", ".join("?" * len(part))
            rows = await self.db.fetchall(
                f"SELECT * FROM donation_statement_lines WHERE bank_ref IN ({marks})", part
            )
            found.update({str(row["bank_ref"]): _line(row) for row in rows})
        return [found[ref] for ref in refs if ref in found]

    async def statement_refs(self, statement_id: int) -> list[str]:
        """The bank references of the lines first stored with this statement."""
        rows = await self.db.fetchall(
            "SELECT bank_ref FROM donation_statement_lines WHERE statement_id = ? ORDER BY id",
            (statement_id,),
        )
        return [str(row[0]) for row in rows]

    async def line(self, line_id: int) -> StoredLine | None:
        """One stored line by id."""
        row = await self.db.fetchone(
            "SELECT * FROM donation_statement_lines WHERE id = ?", (line_id,)
        )
        return _line(row) if row else None

    async def statement_ward(self, statement_id: int) -> str | None:
        """The ward a statement was imported for."""
        row = await self.db.fetchone(
            "SELECT ward_id FROM donation_statements WHERE id = ?", (statement_id,)
        )
        return str(row[0]) if row else None

    async def recorded(self, refs: Sequence[str]) -> dict[str, RecordedRef]:
        """Gifts already in the ledger whose reference is one of `refs`."""
        return await self.db.run(lambda conn: recorded_in(conn, refs))
