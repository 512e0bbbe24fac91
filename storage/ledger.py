"""Donation ledger (sổ thu Quỹ "Vì người nghèo"): campaigns and append-only gift entries.

Entries are never edited or deleted (SQLite triggers abort any UPDATE or DELETE); a correction is
a reversal entry (negative amount, naming the original, at most one per original) followed by a
new gift. Totals are always `SUM(amount)` over entries, never a separate counter.

Appends use group commit: concurrent `append` calls are queued, one writer task inserts the
queued entries in one `BEGIN IMMEDIATE … COMMIT` transaction (each in its own savepoint, so one
bad entry fails alone) and every caller's future resolves only after that commit returned.
The commit is on disk (its WAL fsynced, see `storage/db.py`) before a receipt number is handed out.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from knowledge.text import strip_diacritics
from storage.audit import record_audit
from storage.clock import from_db, to_db
from storage.db import Database

__all__ = [
    "DONOR_TYPES",
    "FUNDS",
    "MAX_AMOUNT",
    "METHODS",
    "MIN_AMOUNT",
    "Campaign",
    "Entry",
    "Ledger",
    "LedgerError",
    "NewEntry",
    "Summary",
    "ward_code_base",
]

DONOR_TYPES = ("person", "organisation", "business", "salary")
METHODS = ("cash", "transfer", "in_kind")
FUNDS = {"vnn": "VNN", "doand": "DOAN"}
MIN_AMOUNT = 1_000
MAX_AMOUNT = 100_000_000_000
MAX_BATCH = 500
_VN = ZoneInfo("Asia/Ho_Chi_Minh")


class LedgerError(Exception):
    """A rejected ledger operation; `code` names the reason (for the caller to translate)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Campaign:
    """A fund-raising campaign (đợt vận động) of one ward, or of a whole province.

    Since 01/07/2025 there is no district level: `ward_id` None means the whole province
    `province_code` (every ward of it served here may log gifts); with `province_code` None too
    (campaigns made before migration 0007 in a database with wards of several provinces) the
    campaign is open to every ward.
    """

    id: int
    ward_id: str | None
    name: str
    fund: str
    target: int
    starts_on: date
    ends_on: date
    created_by: int | None
    province_code: str | None = None

    def is_open(self, day: date) -> bool:
        """Whether `day` falls within the campaign."""
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A gift to record (amount in whole đồng)."""

    campaign_id: int
    ward_id: str
    donor_type: str
    donor_name: str
    public: bool
    amount: int
    method: str
    donated_on: date
    recorded_by: int | None
    reference: str = ""
    note: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded ledger row (a gift, or the reversal of one)."""

    id: int
    receipt: str
    campaign_id: int
    ward_id: str
    kind: str
    reverses_id: int | None
    donor_type: str
    donor_name: str
    public: bool
    amount: int
    method: str
    reference: str
    donated_on: date
    note: str
    reason: str
    recorded_by: int | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals of a campaign (optionally one ward's part), computed from the entries."""

    raised: int
    gifts: int
    by_donor_type: dict[str, int]
    by_method: dict[str, int]
    by_day: list[tuple[date, int]]


_KIND_WORDS = (("dac", "khu"), ("phuong",), ("xa",))


def ward_code_base(name: str) -> str:
    """The short upper-case code of a ward for receipt numbers, from its name (or slug id).

    Initials of the name without its kind; numbers are kept whole: "Phường Hòa Cường" → "HC",
    "Phường Hà Giang 1" → "HG1", "hoa-cuong-bac" → "HCB".
    """
    words = [w for w in re.split(r"[^a-z0-9]+", strip_diacritics(name).lower()) if w]
    for kind in _KIND_WORDS:
        if len(words) > len(kind) and tuple(words[: len(kind)]) == kind:
            words = words[len(kind) :]
            break
    code = "".join(w if w.isdigit() else w[0] for w in words).upper()
    return code or "P"


def _campaign(row: sqlite3.Row) -> Campaign:
    return Campaign(
        id=int(row["id"]),
        ward_id=row["ward_id"],
        name=str(row["name"]),
        fund=str(row["fund"]),
        target=int(row["target"]),
        starts_on=date.fromisoformat(row["starts_on"]),
        ends_on=date.fromisoformat(row["ends_on"]),
        created_by=row["created_by"],
        province_code=row["province_code"],
    )


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        id=int(row["id"]),
        receipt=str(row["receipt"]),
        campaign_id=int(row["campaign_id"]),
        ward_id=str(row["ward_id"]),
        kind=str(row["kind"]),
        reverses_id=row["reverses_id"],
        donor_type=str(row["donor_type"]),
        donor_name=str(row["donor_name"]),
        public=bool(row["public"]),
        amount=int(row["amount"]),
        method=str(row["method"]),
        reference=str(row["reference"]),
        donated_on=date.fromisoformat(row["donated_on"]),
        note=str(row["note"]),
        reason=str(row["reason"]),
        recorded_by=row["recorded_by"],
        recorded_at=from_db(row["recorded_at"]),
    )


@dataclass(slots=True)
class _Pending:
    new: NewEntry
    now: datetime
    reverses: int | None
    reason: str
    future: asyncio.Future[Entry]


class Ledger:
    """Campaigns and the append-only ledger, on the shared `Database`."""

    def __init__(self, db: Database, *, group_commit: bool = True) -> None:
        self.db = db
        self.group_commit = group_commit
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._codes: dict[str, str] = {}
        self.batches = 0

    # ---- campaigns -------------------------------------------------------------------------

    async def create_campaign(
        self,
        *,
        ward_id: str | None,
        name: str,
        target: int,
        starts_on: date,
        ends_on: date,
        created_by: int | None,
        now: datetime,
        fund: str = "vnn",
        province_code: str | None = None,
    ) -> Campaign:
        """Create a campaign (audited) and return it.

        A campaign of one ward has `ward_id`; a province-wide one has `ward_id` None and the
        province's official code (`province_code`).
        """
        if fund not in FUNDS:
            raise LedgerError("fund")
        if not MIN_AMOUNT <= target <= MAX_AMOUNT:
            raise LedgerError("amount")
        if ends_on < starts_on:
            raise LedgerError("dates")
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO donation_campaigns (ward_id, province_code, name, fund, target,"
                " starts_on, ends_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ward_id,
                    None if ward_id is not None else province_code,
                    name,
                    fund,
                    target,
                    starts_on.isoformat(),
                    ends_on.isoformat(),
                    created_by,
                    to_db(now),
                ),
            )
            campaign_id = int(cursor.lastrowid or 0)
            await record_audit(
                conn,
                actor_user_id=created_by,
                action="donations.campaign_created",
                target=f"campaign:{campaign_id}",
                detail={
                    "ward": ward_id,
                    "province": province_code,
                    "target": target,
                    "fund": fund,
                },
                now=now,
            )
        campaign = await self.campaign(campaign_id)
        assert campaign is not None
        return campaign

    async def campaign(self, campaign_id: int) -> Campaign | None:
        """One campaign by id."""
        row = await self.db.fetchone(
            "SELECT * FROM donation_campaigns WHERE id = ?", (campaign_id,)
        )
        return _campaign(row) if row else None

    async def campaigns(
        self, *, ward_id: str | None = None, all_wards: bool = False
    ) -> list[Campaign]:
        """Campaigns of `ward_id` plus those of its whole province (every one when `all_wards`).

        A province-wide campaign without a province code (older data) counts for every ward.
        """
        if all_wards:
            rows = await self.db.fetchall("SELECT * FROM donation_campaigns ORDER BY starts_on, id")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM donation_campaigns WHERE ward_id = ? OR (ward_id IS NULL AND"
                " (province_code IS NULL OR province_code ="
                " (SELECT province_code FROM wards WHERE id = ?)))"
                " ORDER BY starts_on, id",
                (ward_id, ward_id),
            )
        return [_campaign(row) for row in rows]

    async def open_campaigns(self, *, ward_id: str | None, day: date) -> list[Campaign]:
        """Campaigns a ward can log gifts to on `day`, the ward's own first."""
        found = [c for c in await self.campaigns(ward_id=ward_id) if c.is_open(day)]
        return sorted(found, key=lambda c: (c.ward_id is None, c.starts_on, c.id))

    # ---- appends ---------------------------------------------------------------------------

    async def append(self, new: NewEntry, *, now: datetime) -> Entry:
        """Record a gift durably and return it with its receipt number.

        An entry with an already used `idempotency_key` is not recorded again: the existing
        entry is returned.
        """
        if new.donor_type not in DONOR_TYPES or new.method not in METHODS:
            raise LedgerError("kind")
        if not MIN_AMOUNT <= new.amount <= MAX_AMOUNT:
            raise LedgerError("amount")
        return await self._submit(new, now=now, reverses=None, reason="")

    async def reverse(
        self,
        entry_id: int,
        *,
        reason: str,
        recorded_by: int | None,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Entry:
        """Record the reversal (bút toán đảo) of a gift: same amount, negative, naming it."""
        original = await self.entry(entry_id)
        if original is None or original.kind != "gift":
            raise LedgerError("not_found")
        if not reason.strip():
            raise LedgerError("reason")
        new = NewEntry(
            campaign_id=original.campaign_id,
            ward_id=original.ward_id,
            donor_type=original.donor_type,
            donor_name="",
            public=False,
            amount=-original.amount,
            method=original.method,
            donated_on=original.donated_on,
            recorded_by=recorded_by,
            idempotency_key=idempotency_key,
        )
        return await self._submit(new, now=now, reverses=entry_id, reason=reason.strip())

    async def _submit(
        self, new: NewEntry, *, now: datetime, reverses: int | None, reason: str
    ) -> Entry:
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        item = _Pending(new, now, reverses, reason, future)
        if not self.group_commit:
            await self._commit([item])
            return future.result()
        self._pending.append(item)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_BATCH]
            del self._pending[:MAX_BATCH]
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        codes: dict[str, str] = {}
        results: list[Entry | LedgerError]
        try:
            try:
                async with self.db.transaction() as conn:
                    results = await self._insert_batch(conn, batch, codes)
            except sqlite3.Error:
                # A row the checks did not foresee failed: redo the batch one entry per
                # savepoint, so only that entry fails.
                codes.clear()
                async with self.db.transaction() as conn:
                    results = [await self._insert_alone(conn, item, codes) for item in batch]
        except BaseException as exc:  # the commit itself failed: nobody's entry is recorded
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError())
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        self._codes.update(codes)
        for item, result in zip(batch, results, strict=True):
            if item.future.done():
                continue
            if isinstance(result, Entry):
                item.future.set_result(result)
            else:
                item.future.set_exception(result)

    async def _insert_alone(
        self, conn: aiosqlite.Connection, item: _Pending, codes: dict[str, str]
    ) -> Entry | LedgerError:
        await conn.execute("SAVEPOINT one")
        try:
            (result,) = await self._insert_batch(conn, [item], codes)
        except sqlite3.Error:
            await conn.execute("ROLLBACK TO one")
            result = LedgerError("already_reversed" if item.reverses else "storage")
        await conn.execute("RELEASE one")
        return result

    async def _insert_batch(
        self, conn: aiosqlite.Connection, batch: list[_Pending], codes: dict[str, str]
    ) -> list[Entry | LedgerError]:
        """Validate and insert a batch with a fixed number of statements (not per entry)."""
        keys = [item.new.idempotency_key for item in batch if item.new.idempotency_key]
        existing: dict[str, Entry] = {}
        if keys:
            rows = await _all(
                conn,
                f"SELECT * FROM donation_entries WHERE idempotency_key IN ({_marks(keys)})",
                keys,
            )
            existing = {str(row["idempotency_key"]): _entry(row) for row in rows}
        campaign_ids = sorted({item.new.campaign_id for item in batch})
        campaigns = {
            campaign.id: campaign
            for campaign in map(
                _campaign,
                await _all(
                    conn,
                    f"SELECT * FROM donation_campaigns WHERE id IN ({_marks(campaign_ids)})",
                    campaign_ids,
                ),
            )
        }
        ward_ids = sorted({item.new.ward_id for item in batch})
        provinces = {
            str(row["id"]): str(row["province_code"])
            for row in await _all(
                conn,
                f"SELECT id, province_code FROM wards WHERE id IN ({_marks(ward_ids)})",
                ward_ids,
            )
        }
        reverses = [item.reverses for item in batch if item.reverses is not None]
        already: set[int] = set()
        if reverses:
            rows = await _all(
                conn,
                "SELECT reverses_id FROM donation_entries"
                f" WHERE reverses_id IN ({_marks(reverses)})",
                reverses,
            )
            already = {int(row[0]) for row in rows}
        row = await _one(conn, "SELECT COALESCE(MAX(id), 0) FROM donation_entries", ())
        next_id = (int(row[0]) if row else 0) + 1
        next_seq: dict[tuple[str, int], int] = {}
        entry_rows: list[tuple[Any, ...]] = []
        audit_rows: list[tuple[Any, ...]] = []
        results: list[Entry | LedgerError] = []
        for item in batch:
            new = item.new
            key = new.idempotency_key
            if key is not None and key in existing:
                results.append(existing[key])
                continue
            campaign = campaigns.get(new.campaign_id)
            problem = _problem(item, campaign, already, provinces.get(new.ward_id))
            if problem is not None or campaign is None:
                results.append(LedgerError(problem or "not_found"))
                continue
            if item.reverses is not None:
                already.add(item.reverses)
            code = await self._ward_code(conn, new.ward_id, codes)
            year = item.now.astimezone(_VN).year
            if (new.ward_id, year) not in next_seq:
                found = await _one(
                    conn,
                    "SELECT COALESCE(MAX(seq), 0) FROM donation_entries"
                    " WHERE ward_id = ? AND year = ?",
                    (new.ward_id, year),
                )
                next_seq[(new.ward_id, year)] = (int(found[0]) if found else 0) + 1
            seq = next_seq[(new.ward_id, year)]
            next_seq[(new.ward_id, year)] = seq + 1
            entry = Entry(
                id=next_id,
                receipt=f"{FUNDS[campaign.fund]}-{code}-{year}-{seq:06d}",
                campaign_id=new.campaign_id,
                ward_id=new.ward_id,
                kind="gift" if item.reverses is None else "reversal",
                reverses_id=item.reverses,
                donor_type=new.donor_type,
                donor_name=new.donor_name,
                public=new.public,
                amount=new.amount,
                method=new.method,
                reference=new.reference,
                donated_on=new.donated_on,
                note=new.note,
                reason=item.reason,
                recorded_by=new.recorded_by,
                recorded_at=item.now,
            )
            next_id += 1
            entry_rows.append(_entry_row(entry, year, seq, key))
            audit_rows.append(_audit_row(entry))
            results.append(entry)
            if key is not None:
                existing[key] = entry
        if entry_rows:
            await conn.executemany(_INSERT_ENTRY, entry_rows)
            await conn.executemany(_INSERT_AUDIT, audit_rows)
        return results

    async def _ward_code(
        self, conn: aiosqlite.Connection, ward_id: str, codes: dict[str, str]
    ) -> str:
        known = self._codes.get(ward_id) or codes.get(ward_id)
        if known is not None:
            return known
        row = await _one(conn, "SELECT code FROM donation_ward_codes WHERE ward_id = ?", (ward_id,))
        if row is not None:
            codes[ward_id] = str(row["code"])
            return codes[ward_id]
        named = await _one(conn, "SELECT name FROM wards WHERE id = ?", (ward_id,))
        base = ward_code_base(str(named["name"]) if named else ward_id)
        suffix = 1
        while True:
            code = base if suffix == 1 else f"{base}{suffix}"
            taken = await _one(conn, "SELECT 1 FROM donation_ward_codes WHERE code = ?", (code,))
            if taken is None:
                await conn.execute(
                    "INSERT INTO donation_ward_codes (ward_id, code) VALUES (?, ?)", (ward_id, code)
                )
                codes[ward_id] = code
                return code
            suffix += 1

    # ---- reads -----------------------------------------------------------------------------

    async def entry(self, entry_id: int) -> Entry | None:
        """One entry by id."""
        row = await self.db.fetchone("SELECT * FROM donation_entries WHERE id = ?", (entry_id,))
        return _entry(row) if row else None

    async def by_receipt(self, receipt: str) -> Entry | None:
        """One entry by its receipt number (case-insensitive)."""
        row = await self.db.fetchone(
            "SELECT * FROM donation_entries WHERE receipt = ?", (receipt.strip().upper(),)
        )
        return _entry(row) if row else None

    async def reversal_of(self, entry_id: int) -> Entry | None:
        """The reversal of a gift, if any."""
        row = await self.db.fetchone(
            "SELECT * FROM donation_entries WHERE reverses_id = ?", (entry_id,)
        )
        return _entry(row) if row else None

    async def entries(
        self, *, campaign_id: int | None = None, ward_id: str | None = None, limit: int = -1
    ) -> list[Entry]:
        """Entries in order of recording, filtered by campaign and ward."""
        sql = "SELECT * FROM donation_entries WHERE 1 = 1"
        params: list[Any] = []
        if campaign_id is not None:
            sql += " AND campaign_id = ?"
            params.append(campaign_id)
        if ward_id is not None:
            sql += " AND ward_id = ?"
            params.append(ward_id)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [_entry(row) for row in await self.db.fetchall(sql, params)]

    async def total(self, campaign_id: int, *, ward_id: str | None = None) -> int:
        """`SUM(amount)` of the campaign's entries (reversals subtract)."""
        sql, params = _where(campaign_id, ward_id)
        row = await self.db.fetchone(
            f"SELECT COALESCE(SUM(amount), 0) FROM donation_entries WHERE {sql}", params
        )
        return int(row[0]) if row else 0

    async def summary(self, campaign_id: int, *, ward_id: str | None = None) -> Summary:
        """Raised total, gift count (excluding reversed gifts) and breakdowns, from entries.

        All five queries go to the database thread in one trip (one wait, not five).
        """
        return await self.db.run(lambda conn: _summary_in(conn, campaign_id, ward_id))

    async def public_donors(self, campaign_id: int) -> list[str]:
        """Names of donors who agreed to be named, whose gift was not reversed."""
        rows = await self.db.fetchall(
            "SELECT donor_name FROM donation_entries WHERE campaign_id = ?"
            " AND kind = 'gift' AND public = 1 AND donor_name <> '' AND id NOT IN"
            " (SELECT reverses_id FROM donation_entries WHERE reverses_id IS NOT NULL)"
            " GROUP BY donor_name ORDER BY MIN(id)",
            (campaign_id,),
        )
        return [str(row["donor_name"]) for row in rows]


def _summary_in(conn: sqlite3.Connection, campaign_id: int, ward_id: str | None) -> Summary:
    where, params = _where(campaign_id, ward_id)

    def number(sql: str) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    def grouped(column: str) -> list[sqlite3.Row]:
        return conn.execute(
            f"SELECT {column} AS k, SUM(amount) AS s FROM donation_entries WHERE {where}"
            f" GROUP BY {column} ORDER BY {column}",
            params,
        ).fetchall()

    raised = number(f"SELECT COALESCE(SUM(amount), 0) FROM donation_entries WHERE {where}")
    gifts = number(
        f"SELECT COUNT(*) FROM donation_entries WHERE {where} AND kind = 'gift' AND id NOT IN"
        " (SELECT reverses_id FROM donation_entries WHERE reverses_id IS NOT NULL)"
    )
    by_type = {str(r["k"]): int(r["s"]) for r in grouped("donor_type") if r["s"]}
    by_method = {str(r["k"]): int(r["s"]) for r in grouped("method") if r["s"]}
    by_day = [(date.fromisoformat(r["k"]), int(r["s"])) for r in grouped("donated_on")]
    return Summary(raised, gifts, by_type, by_method, by_day)


def _where(campaign_id: int, ward_id: str | None) -> tuple[str, list[Any]]:
    if ward_id is None:
        return "campaign_id = ?", [campaign_id]
    return "campaign_id = ? AND ward_id = ?", [campaign_id, ward_id]


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
    async with conn.execute(sql, params) as cursor:
        row: sqlite3.Row | None = await cursor.fetchone()
        return row


_INSERT_ENTRY = (
    "INSERT INTO donation_entries (id, campaign_id, ward_id, year, seq, receipt, kind,"
    " reverses_id, donor_type, donor_name, public, amount, method, reference, donated_on,"
    " note, reason, recorded_by, recorded_at, idempotency_key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The same statement as `storage.audit.record_audit`, run once per batch with executemany.
_INSERT_AUDIT = (
    "INSERT INTO audit_log (at, actor_user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)"
)


def _problem(
    item: _Pending, campaign: Campaign | None, already: set[int], province_code: str | None
) -> str | None:
    new = item.new
    if campaign is None:
        return "not_found"
    if campaign.ward_id is not None and campaign.ward_id != new.ward_id:
        return "ward"
    if campaign.ward_id is None and campaign.province_code not in (None, province_code):
        return "ward"
    if item.reverses is None and new.donated_on < campaign.starts_on:
        return "date"
    if item.reverses is not None and item.reverses in already:
        return "already_reversed"
    return None


def _entry_row(entry: Entry, year: int, seq: int, key: str | None) -> tuple[Any, ...]:
    return (
        entry.id,
        entry.campaign_id,
        entry.ward_id,
        year,
        seq,
        entry.receipt,
        entry.kind,
        entry.reverses_id,
        entry.donor_type,
        entry.donor_name,
        int(entry.public),
        entry.amount,
        entry.method,
        entry.reference,
        entry.donated_on.isoformat(),
        entry.note,
        entry.reason,
        entry.recorded_by,
        to_db(entry.recorded_at),
        key,
    )


def _audit_row(entry: Entry) -> tuple[Any, ...]:
    detail: dict[str, Any] = {"receipt": entry.receipt, "amount": entry.amount}
    action = "donations.recorded"
    if entry.reverses_id is not None:
        detail["reverses"] = entry.reverses_id
        action = "donations.reversed"
    return (
        to_db(entry.recorded_at),
        entry.recorded_by,
        action,
        f"donation:{entry.id}",
        json.dumps(detail, ensure_ascii=False),
    )


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


async def _all(conn: aiosqlite.Connection, sql: str, params: list[Any]) -> list[sqlite3.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
