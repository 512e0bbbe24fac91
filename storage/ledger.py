"""Donation ledger (sổ thu Quỹ "Vì người nghèo"): campaigns and append-only gift entries.

Entries are never edited or deleted (SQLite triggers abort any UPDATE or DELETE); a correction is
a reversal entry (negative amount, naming the original, at most one per original) followed by a
new gift. Totals are always `SUM(amount)` over entries, never a separate counter.

Appends take the database's one write path (`Database.write`, see `storage/db.py`): each entry
is a step that checks and inserts it (with its audit row) inside a savepoint, so one bad entry
fails alone; concurrent appends share the batch's group commit, and every caller returns only
once that commit is on disk (its WAL fsynced), before a receipt number is handed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from knowledge.text import strip_diacritics
from storage.audit import record_in
from storage.clock import from_db, to_db
from storage.db import Connection, Database, Row, advisory_lock_in

__all__ = [
    "DONOR_TYPES",
    "FUNDS",
    "MAX_AMOUNT",
    "METHODS",
    "MIN_AMOUNT",
    "PURPOSES",
    "Balance",
    "Campaign",
    "Disbursement",
    "Entry",
    "Ledger",
    "LedgerError",
    "NewDisbursement",
    "NewEntry",
    "Page",
    "PeriodFigures",
    "StatementGift",
    "StatementOut",
    "Summary",
    "ward_code_base",
]

DONOR_TYPES = ("person", "organisation", "business", "salary")
METHODS = ("cash", "transfer", "in_kind")
FUNDS = {"vnn": "VNN", "doand": "DOAN"}
MIN_AMOUNT = 1_000
MAX_AMOUNT = 100_000_000_000
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
    goods: str = ""
    """What was given in kind ("gạo ST25"); the amount is its value in đồng."""
    quantity: str = ""
    """How much of the goods ("20 bao 10 kg")."""


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
    goods: str = ""
    quantity: str = ""


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals of a campaign (optionally one ward's part), computed from the entries."""

    raised: int
    gifts: int
    by_donor_type: dict[str, int]
    by_method: dict[str, int]
    by_day: list[tuple[date, int]]


PURPOSES = ("housing", "schooling", "hospital", "production", "hunger", "tet", "other")
"""Uses of the fund its regulations list (QĐ 924/QĐ-MTTƯ 2006, QĐ 1198/QĐ-MTTW-ĐCT 2016):
building or repairing houses, children's schooling, long hospital stays, production inputs,
hunger relief; Tết gifts; other."""


@dataclass(frozen=True, slots=True)
class NewDisbursement:
    """A payment out of a campaign (or of the ward's fund as a whole) to record.

    The beneficiary is one of: `registration_id` (the ward's exit registration of the
    household), `household_code`, or `beneficiary_name`; `name_public` only with the
    household's recorded consent (and a name). For goods, `amount` is their value in đồng.
    """

    ward_id: str
    fund: str
    campaign_id: int | None
    purpose: str
    amount: int
    method: str
    paid_on: date
    decision_number: str
    decision_date: date
    recorded_by: int | None
    registration_id: int | None = None
    household_code: str = ""
    beneficiary_name: str = ""
    name_public: bool = False
    goods: str = ""
    quantity: str = ""
    note: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Disbursement:
    """One recorded row of money out (phiếu chi), or the reversal of one.

    `beneficiary_label` is what the public may see of the beneficiary: the name when the
    household consented, otherwise "" (show the purpose, the commune and the amount only).
    `registration_id`, `household_code` and `beneficiary_name` are for officers.
    """

    id: int
    voucher: str
    ward_id: str
    fund: str
    campaign_id: int | None
    kind: str
    reverses_id: int | None
    purpose: str
    beneficiary_label: str
    amount: int
    goods: str
    quantity: str
    method: str
    paid_on: date
    decision_number: str
    decision_date: date
    note: str
    recorded_at: datetime
    reason: str = ""
    recorded_by: int | None = None
    registration_id: int | None = None
    household_code: str = ""
    beneficiary_name: str = ""
    name_public: bool = False


@dataclass(frozen=True, slots=True)
class Balance:
    """Money in and out of a campaign or a ward's fund up to a date, exact integer sums.

    `gifts` is the sum of gift entries (reversals subtract), `spent` of disbursements
    (reversals subtract); `available` = gifts − spent.
    """

    gifts: int
    spent: int

    @property
    def available(self) -> int:
        """What is left to disburse."""
        return self.gifts - self.spent


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of a campaign's rows, newest first, and where it stands in the whole list.

    Each row comes with the number (receipt or voucher) of its reversal, "" when none.
    """

    rows: list[tuple[R, str]]
    page: int
    pages: int
    total: int


def _pages(total: int, size: int) -> int:
    """How many pages of `size` rows `total` rows fill (at least one)."""
    return max(1, (total + size - 1) // size)


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


def _campaign(row: Row) -> Campaign:
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


def _entry(row: Row) -> Entry:
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
        goods=str(row["goods"]),
        quantity=str(row["quantity"]),
    )


@dataclass(frozen=True, slots=True)
class _Pending:
    new: NewEntry
    now: datetime
    reverses: int | None
    reason: str


def _ledger_key(ward_id: str) -> str:
    """The lock a ward's appends take in turn on PostgreSQL (`advisory_lock_in`).

    There they run READ COMMITTED (`Database.claim`) under this lock, so each reads the last
    receipt or voucher number and the balance as the previous append committed them, and none
    has to run again: the ward's ledger has one writer at a time, as on SQLite.
    """
    return f"ledger:{ward_id}"


_APPEND_QUEUES: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


def _append_queue(db: Database) -> asyncio.Lock:
    """The lock the appends to `db` of this process take one after another (PostgreSQL)."""
    queue = _APPEND_QUEUES.get(db)
    if queue is None:
        queue = _APPEND_QUEUES[db] = asyncio.Lock()
    return queue


class Ledger:
    """Campaigns and the append-only ledger, on the shared `Database`."""

    def __init__(self, db: Database, *, group_commit: bool = True) -> None:
        """The ledger on `db`.

        Args:
            db: The shared database.
            group_commit: False makes appends wait for one another, one commit each (a
                baseline for `bench/ledger.py`); by default concurrent appends share commits.
        """
        self.db = db
        self.group_commit = group_commit
        # PostgreSQL commits each append on its own (no batch to share) under the ward's
        # advisory lock (`_ledger_key`). Twenty appends at once would each hold one of the
        # database's pooled connections while waiting for that lock, and starve every other read
        # and write of the process; so there this process's appends queue here first, on one
        # lock per database (shared by every Ledger on it), and wait on the ward's lock only
        # behind other processes.
        self._queued = db.dialect == "postgresql" or not group_commit
        self._one_at_a_time = _append_queue(db) if db.dialect == "postgresql" else asyncio.Lock()
        self._codes: dict[str, str] = {}  # ward id → receipt code, once committed
        self._last_batch = -1
        self.batches = 0  # database batches (commits) that carried appends

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

        def create_in(conn: Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO donation_campaigns (ward_id, province_code, name, fund, target,"
                " starts_on, ends_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
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
            campaign_id = int(cursor.fetchone()[0])
            record_in(
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
            return campaign_id

        campaign_id = await self.db.write(create_in)
        campaign = await self.campaign(campaign_id)
        assert campaign is not None
        return campaign

    async def campaign(self, campaign_id: int) -> Campaign | None:
        """One campaign by id."""
        return await self.db.run(lambda conn: _campaign_in(conn, campaign_id))

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
        """Record the reversal (bút toán đảo) of a gift: same amount, negative, naming it.

        Refused with "balance" when the money was already paid out (the balance of its campaign
        or of the ward's fund would fall below zero at some date): reverse those disbursements
        first, so the balance never goes negative.
        """
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
        item = _Pending(new, now, reverses, reason)
        if not self._queued:
            result, code = await self.db.claim(lambda conn: self._append_in(conn, item))
        else:
            async with self._one_at_a_time:
                result, code = await self.db.claim(lambda conn: self._append_in(conn, item))
        if code is not None:  # committed: the ward's code is known for good
            self._codes[new.ward_id] = code
        if isinstance(result, LedgerError):
            raise result
        return result

    def _append_in(
        self, conn: Connection, item: _Pending
    ) -> tuple[Entry | LedgerError, str | None]:
        """Check and insert one entry with its audit row, in a savepoint of the batch.

        Returns the entry (or the existing one for a used idempotency key) or the reason it
        was refused, and the ward's receipt code when it was looked up. A statement that fails
        (a constraint the checks did not foresee) undoes only this entry.
        """
        if self.db.batches != self._last_batch:
            self._last_batch = self.db.batches
            self.batches += 1
        advisory_lock_in(conn, _ledger_key(item.new.ward_id))
        key = item.new.idempotency_key
        if key is not None:
            row = conn.execute(
                "SELECT * FROM donation_entries WHERE idempotency_key = ?", (key,)
            ).fetchone()
            if row is not None:
                return _entry(row), None
        conn.execute("SAVEPOINT ledger_entry")
        try:
            outcome = self._insert_in(conn, item)
        except sqlite3.Error:
            conn.execute("ROLLBACK TO ledger_entry")
            outcome = LedgerError("already_reversed" if item.reverses else "storage"), None
        conn.execute("RELEASE ledger_entry")
        return outcome

    def _insert_in(
        self, conn: Connection, item: _Pending
    ) -> tuple[Entry | LedgerError, str | None]:
        new = item.new
        campaign = _campaign_in(conn, new.campaign_id)
        province = conn.execute(
            "SELECT province_code FROM wards WHERE id = ?", (new.ward_id,)
        ).fetchone()
        already: set[int] = set()
        if (
            item.reverses is not None
            and conn.execute(
                "SELECT 1 FROM donation_entries WHERE reverses_id = ?", (item.reverses,)
            ).fetchone()
        ):
            already.add(item.reverses)
        problem = _problem(item, campaign, already, str(province[0]) if province else None)
        if problem is None and campaign is not None and item.reverses is not None:
            problem = _spent_problem_in(conn, new, campaign.fund)
        if problem is not None or campaign is None:
            return LedgerError(problem or "not_found"), None
        code = self._ward_code_in(conn, new.ward_id)
        year = item.now.astimezone(_VN).year
        (last,) = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM donation_entries WHERE ward_id = ? AND year = ?",
            (new.ward_id, year),
        ).fetchone()
        seq = int(last) + 1
        entry = Entry(
            id=0,
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
            goods=new.goods,
            quantity=new.quantity,
        )
        cursor = conn.execute(_INSERT_ENTRY, _entry_row(entry, year, seq, new.idempotency_key))
        entry = replace(entry, id=int(cursor.fetchone()[0]))
        _audit_in(conn, entry)
        return entry, code

    def _ward_code_in(self, conn: Connection, ward_id: str) -> str:
        """The ward's receipt code, made (unique, from its name) at its first entry."""
        known = self._codes.get(ward_id)
        if known is not None:
            return known
        row = conn.execute(
            "SELECT code FROM donation_ward_codes WHERE ward_id = ?", (ward_id,)
        ).fetchone()
        if row is not None:
            return str(row["code"])
        named = conn.execute("SELECT name FROM wards WHERE id = ?", (ward_id,)).fetchone()
        base = ward_code_base(str(named["name"]) if named else ward_id)
        suffix = 1
        while True:
            code = base if suffix == 1 else f"{base}{suffix}"
            taken = conn.execute(
                "SELECT 1 FROM donation_ward_codes WHERE code = ?", (code,)
            ).fetchone()
            if taken is None:
                conn.execute(
                    "INSERT INTO donation_ward_codes (ward_id, code) VALUES (?, ?)", (ward_id, code)
                )
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
        self,
        *,
        campaign_id: int | None = None,
        ward_id: str | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries in order of recording, filtered by campaign and ward (None: no limit)."""
        sql = "SELECT * FROM donation_entries WHERE 1 = 1"
        params: list[Any] = []
        if campaign_id is not None:
            sql += " AND campaign_id = ?"
            params.append(campaign_id)
        if ward_id is not None:
            sql += " AND ward_id = ?"
            params.append(ward_id)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_entry(row) for row in await self.db.fetchall(sql, params)]

    async def total(self, campaign_id: int, *, ward_id: str | None = None) -> int:
        """`SUM(amount)` of the campaign's entries (reversals subtract)."""
        return await self.db.run(lambda conn: _total_in(conn, campaign_id, ward_id))

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

    # ---- money out (phiếu chi) -------------------------------------------------------------

    async def disburse(self, new: NewDisbursement, *, now: datetime) -> Disbursement:
        """Record a disbursement durably and return it with its voucher number.

        The amount may not exceed what is available, at its date and at every later date, in
        its campaign (if any) and in the ward's fund; that is checked inside the write
        transaction, so concurrent disbursements cannot overdraw. An already used
        `idempotency_key` returns the existing row.

        Raises:
            LedgerError: "kind", "amount", "fund", "decision", "beneficiary", "not_found",
                "ward", "date" or "balance".
        """
        problem = _disbursement_shape(new)
        if problem is not None:
            raise LedgerError(problem)
        return await self._submit_out(new, now=now, reverses=None, reason="")

    async def reverse_disbursement(
        self,
        disbursement_id: int,
        *,
        reason: str,
        recorded_by: int | None,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Disbursement:
        """Record the reversal of a payment: same amount, negative, same date, naming it.

        Raises:
            LedgerError: "not_found" (no such payment, or it is a reversal), "reason",
                "already_reversed".
        """
        original = await self.disbursement(disbursement_id)
        if original is None or original.kind != "payment":
            raise LedgerError("not_found")
        if not reason.strip():
            raise LedgerError("reason")
        new = NewDisbursement(
            ward_id=original.ward_id,
            fund=original.fund,
            campaign_id=original.campaign_id,
            purpose=original.purpose,
            amount=-original.amount,
            method=original.method,
            paid_on=original.paid_on,
            decision_number=original.decision_number,
            decision_date=original.decision_date,
            recorded_by=recorded_by,
            registration_id=original.registration_id,
            household_code=original.household_code,
            goods=original.goods,
            quantity=original.quantity,
            idempotency_key=idempotency_key,
        )
        return await self._submit_out(new, now=now, reverses=disbursement_id, reason=reason.strip())

    async def _submit_out(
        self, new: NewDisbursement, *, now: datetime, reverses: int | None, reason: str
    ) -> Disbursement:
        item = _PendingOut(new, now, reverses, reason)
        if not self._queued:
            result, code = await self.db.claim(lambda conn: self._disburse_in(conn, item))
        else:
            async with self._one_at_a_time:
                result, code = await self.db.claim(lambda conn: self._disburse_in(conn, item))
        if code is not None:
            self._codes[new.ward_id] = code
        if isinstance(result, LedgerError):
            raise result
        return result

    def _disburse_in(
        self, conn: Connection, item: _PendingOut
    ) -> tuple[Disbursement | LedgerError, str | None]:
        """Check and insert one disbursement with its audit row, in a savepoint of the batch."""
        advisory_lock_in(conn, _ledger_key(item.new.ward_id))
        key = item.new.idempotency_key
        if key is not None:
            found = _disbursement_by_key_in(conn, key)
            if found is not None:
                return found, None
        conn.execute("SAVEPOINT ledger_out")
        try:
            outcome = self._insert_out_in(conn, item)
        except sqlite3.Error:
            conn.execute("ROLLBACK TO ledger_out")
            outcome = LedgerError("already_reversed" if item.reverses else "storage"), None
        conn.execute("RELEASE ledger_out")
        return outcome

    def _insert_out_in(
        self, conn: Connection, item: _PendingOut
    ) -> tuple[Disbursement | LedgerError, str | None]:
        new = item.new
        problem = _out_problem_in(conn, item)
        if problem is not None:
            return LedgerError(problem), None
        code = self._ward_code_in(conn, new.ward_id)
        year = item.now.astimezone(_VN).year
        seq = _next_voucher_seq_in(conn, new.ward_id, year)
        row = Disbursement(
            id=0,
            voucher=f"{FUNDS[new.fund]}-{code}-{year}-C{seq:06d}",
            ward_id=new.ward_id,
            fund=new.fund,
            campaign_id=new.campaign_id,
            kind="payment" if item.reverses is None else "reversal",
            reverses_id=item.reverses,
            purpose=new.purpose,
            beneficiary_label=new.beneficiary_name if new.name_public else "",
            amount=new.amount,
            goods=new.goods,
            quantity=new.quantity,
            method=new.method,
            paid_on=new.paid_on,
            decision_number=new.decision_number.strip(),
            decision_date=new.decision_date,
            note=new.note,
            recorded_at=item.now,
            reason=item.reason,
            recorded_by=new.recorded_by,
            registration_id=new.registration_id,
            household_code=new.household_code,
            beneficiary_name=new.beneficiary_name,
            name_public=new.name_public and bool(new.beneficiary_name),
        )
        cursor = conn.execute(_INSERT_OUT, _out_row(row, year, seq, new.idempotency_key))
        row = replace(row, id=int(cursor.fetchone()[0]))
        _audit_out_in(conn, row)
        return row, code

    async def disbursement(self, disbursement_id: int) -> Disbursement | None:
        """One disbursement (or reversal) by id."""
        return await self.db.run(lambda conn: _disbursement_in(conn, disbursement_id))

    async def by_voucher(self, voucher: str) -> Disbursement | None:
        """One disbursement by its voucher number (case-insensitive)."""
        wanted = voucher.strip().upper()
        return await self.db.run(lambda conn: _disbursement_by_voucher_in(conn, wanted))

    async def disbursement_reversal_of(self, disbursement_id: int) -> Disbursement | None:
        """The reversal of a payment, if any."""
        return await self.db.run(lambda conn: _out_reversal_in(conn, disbursement_id))

    async def disbursements(
        self,
        *,
        campaign_id: int | None = None,
        ward_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
        fund: str | None = None,
    ) -> list[Disbursement]:
        """Disbursements (and reversals) in order of recording.

        Args:
            campaign_id: Only those out of this campaign (None: any, fund-wide ones too).
            ward_id: Only this ward's.
            start: Only those paid on or after this day.
            end: Only those paid on or before this day.
            fund: Only this fund's ("vnn" / "doand").
        """
        query = _OutQuery(campaign_id, ward_id, start, end, fund)
        return await self.db.run(lambda conn: _disbursements_in(conn, query))

    async def balance(
        self,
        *,
        ward_id: str,
        fund: str = "vnn",
        campaign_id: int | None = None,
        on: date | None = None,
    ) -> Balance:
        """Gifts, disbursements and what is available of a ward's fund or one campaign's part.

        Args:
            ward_id: The ward whose gifts and disbursements count.
            fund: The fund, when `campaign_id` is None (the ward's fund as a whole).
            campaign_id: The campaign (its fund then applies).
            on: Count only gifts and disbursements dated on or before this day (None: all).
        """

        def balance_in(conn: Connection) -> Balance:
            scope_fund = fund
            if campaign_id is not None:
                campaign = _campaign_in(conn, campaign_id)
                if campaign is None:
                    raise LedgerError("not_found")
                scope_fund = campaign.fund
            gifts, spent = _flows_in(conn, ward_id, scope_fund, campaign_id).scope(campaign_id)
            last = (on or date.max).isoformat()
            return Balance(
                sum(v for d, v in gifts.items() if d <= last),
                sum(v for d, v in spent.items() if d <= last),
            )

        return await self.db.run(balance_in)

    async def gifts_with_reference(self, ward_id: str, reference: str) -> list[Entry]:
        """The ward's unreversed transfer gifts carrying this bank reference (case-insensitive)."""
        wanted = reference.strip()
        if not wanted:
            return []
        rows = await self.db.fetchall(
            "SELECT * FROM donation_entries WHERE ward_id = ? AND kind = 'gift'"
            " AND method = 'transfer' AND LOWER(reference) = LOWER(CAST(? AS TEXT)) AND id NOT IN"
            " (SELECT reverses_id FROM donation_entries WHERE reverses_id IS NOT NULL)"
            " ORDER BY id",
            (ward_id, wanted),
        )
        return [_entry(row) for row in rows]

    async def state(self, campaign_id: int | None = None) -> tuple[int, int]:
        """The highest gift-ledger and disbursement ids, of one campaign or of the whole ledger.

        The ledger is append-only (its triggers refuse updates and deletes), so the pair names
        its state exactly: a value worked out from it is good until a row is added.
        """
        if campaign_id is None:
            row = await self.db.fetchone(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM donation_entries),"
                " (SELECT COALESCE(MAX(id), 0) FROM donation_disbursements)"
            )
        else:  # gifts and reversals apart: two look-ups on (campaign_id, kind, id)
            row = await self.db.fetchone(_CAMPAIGN_STATE, {"c": campaign_id})
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    async def entry_by_key(self, key: str) -> Entry | None:
        """The entry recorded with this idempotency key, if any (a second submit)."""
        row = await self.db.fetchone(
            "SELECT * FROM donation_entries WHERE idempotency_key = ?", (key,)
        )
        return _entry(row) if row else None

    async def disbursement_by_key(self, key: str) -> Disbursement | None:
        """The disbursement recorded with this idempotency key, if any (a second submit)."""
        return await self.db.run(lambda conn: _disbursement_by_key_in(conn, key))

    async def entry_page(
        self, campaign_id: int, *, ward_id: str | None, page: int, size: int
    ) -> Page[Entry]:
        """A page of a campaign's entries (gifts and reversals), newest first.

        Args:
            campaign_id: The campaign.
            ward_id: Only this ward's entries (None: every ward's; a ward's own campaign has
                only its own, read from the (campaign_id, id) index alone).
            page: The page wanted, from 1 (past the last: the last).
            size: Rows per page.
        """
        where = "campaign_id = ?" if ward_id is None else "campaign_id = ? AND ward_id = ?"
        params: list[Any] = [campaign_id] if ward_id is None else [campaign_id, ward_id]
        count = await self.db.fetchone(
            f"SELECT COUNT(*) FROM donation_entries WHERE {where}", params
        )
        total = int(count[0]) if count else 0
        page = min(page, _pages(total, size))
        rows = await self.db.fetchall(
            "SELECT e.*, (SELECT r.receipt FROM donation_entries r WHERE r.reverses_id = e.id)"
            " AS reversed_by FROM donation_entries e WHERE e.id IN (SELECT id FROM"
            f" donation_entries WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?)"
            " ORDER BY e.id DESC",
            [*params, size, (page - 1) * size],
        )
        found = [(_entry(r), str(r["reversed_by"] or "")) for r in rows]
        return Page(found, page, _pages(total, size), total)

    async def disbursement_page(
        self, campaign_id: int, *, ward_id: str, page: int, size: int
    ) -> Page[Disbursement]:
        """A page of a ward's disbursements (and reversals) out of a campaign, newest first."""
        count = await self.db.fetchone(
            "SELECT COUNT(*) FROM donation_disbursements WHERE campaign_id = ? AND ward_id = ?",
            (campaign_id, ward_id),
        )
        total = int(count[0]) if count else 0
        page = min(page, _pages(total, size))
        rows = await self.db.fetchall(
            "SELECT d.*, (SELECT r.voucher FROM donation_disbursements r"
            " WHERE r.reverses_id = d.id) AS reversed_by FROM donation_disbursements d"
            " WHERE d.id IN (SELECT id FROM donation_disbursements WHERE campaign_id = ?"
            " AND ward_id = ? ORDER BY id DESC LIMIT ? OFFSET ?) ORDER BY d.id DESC",
            (campaign_id, ward_id, size, (page - 1) * size),
        )
        found = [(_disbursement(r), str(r["reversed_by"] or "")) for r in rows]
        return Page(found, page, _pages(total, size), total)

    async def read_period(
        self,
        campaign_id: int,
        start: date | None,
        end: date | None,
        consume: Callable[[PeriodFigures, Iterator[StatementGift], Iterator[StatementOut]], T],
    ) -> T:
        """Stream a campaign's rows of one period (None: an open end) into `consume`.

        For the public statement (sao kê), which may run to 100,000 lines: `consume` gets the
        period's figures, then the gift rows and the disbursement rows as lean tuples
        (`StatementGift`, `StatementOut`: only the columns a public statement shows, a donor's
        or beneficiary's name only with consent, days as ISO text), each ordered by day then
        id and fetched from a cursor as `consume` iterates, never all at once. The figures and
        the rows come from one snapshot of the ledger (one read transaction), so they agree.

        `consume` runs in `Database.snapshot`: on a worker thread, with its own read-only
        connection on a SQLite file (in WAL mode that reader neither blocks the writer nor
        waits for it), in a READ ONLY transaction on PostgreSQL; the event loop stays free.
        """
        period = _Period(
            campaign_id,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
        )
        return await self.db.snapshot(lambda conn: _read_period_in(conn, period, consume))


def _summary_in(conn: Connection, campaign_id: int, ward_id: str | None) -> Summary:
    where, params = _where(campaign_id, ward_id)

    def number(sql: str) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    def grouped(column: str) -> list[Row]:
        return conn.execute(
            f"SELECT {column} AS k, SUM(amount) AS s FROM donation_entries WHERE {where}"
            f" GROUP BY {column} ORDER BY {column}",
            params,
        ).fetchall()

    raised = _total_in(conn, campaign_id, ward_id)
    gifts = number(
        f"SELECT COUNT(*) FROM donation_entries WHERE {where} AND kind = 'gift' AND id NOT IN"
        " (SELECT reverses_id FROM donation_entries WHERE reverses_id IS NOT NULL)"
    )
    by_type = {str(r["k"]): int(r["s"]) for r in grouped("donor_type") if r["s"]}
    by_method = {str(r["k"]): int(r["s"]) for r in grouped("method") if r["s"]}
    by_day = [(date.fromisoformat(r["k"]), int(r["s"])) for r in grouped("donated_on")]
    return Summary(raised, gifts, by_type, by_method, by_day)


def _campaign_in(conn: Connection, campaign_id: int) -> Campaign | None:
    row = conn.execute("SELECT * FROM donation_campaigns WHERE id = ?", (campaign_id,)).fetchone()
    return _campaign(row) if row else None


def _total_in(conn: Connection, campaign_id: int, ward_id: str | None) -> int:
    where, params = _where(campaign_id, ward_id)
    sql = f"SELECT COALESCE(SUM(amount), 0) FROM donation_entries WHERE {where}"
    return int(conn.execute(sql, params).fetchone()[0])


def _where(campaign_id: int, ward_id: str | None) -> tuple[str, list[Any]]:
    if ward_id is None:
        return "campaign_id = ?", [campaign_id]
    return "campaign_id = ? AND ward_id = ?", [campaign_id, ward_id]


_INSERT_ENTRY = (
    "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, kind,"
    " reverses_id, donor_type, donor_name, public, amount, method, reference, donated_on,"
    " note, reason, recorded_by, recorded_at, idempotency_key, goods, quantity)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
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
        entry.goods,
        entry.quantity,
    )


def _audit_in(conn: Connection, entry: Entry) -> None:
    detail: dict[str, Any] = {"receipt": entry.receipt, "amount": entry.amount}
    action = "donations.recorded"
    if entry.reverses_id is not None:
        detail["reverses"] = entry.reverses_id
        action = "donations.reversed"
    record_in(
        conn,
        actor_user_id=entry.recorded_by,
        action=action,
        target=f"donation:{entry.id}",
        detail=detail,
        now=entry.recorded_at,
    )


# ---- money out: steps and rows ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PendingOut:
    new: NewDisbursement
    now: datetime
    reverses: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class _OutQuery:
    campaign_id: int | None
    ward_id: str | None
    start: date | None
    end: date | None
    fund: str | None


MAX_TEXT = 200


def _disbursement_shape(new: NewDisbursement) -> str | None:
    """Why a new payment is malformed (checked before any database work), or None."""
    if new.purpose not in PURPOSES or new.method not in METHODS:
        return "kind"
    if new.fund not in FUNDS:
        return "fund"
    if not MIN_AMOUNT <= new.amount <= MAX_AMOUNT:
        return "amount"
    if not new.decision_number.strip() or len(new.decision_number) > MAX_TEXT:
        return "decision"
    named = (new.registration_id is not None, bool(new.household_code.strip()))
    if not any(named) and not new.beneficiary_name.strip():
        return "beneficiary"
    if new.name_public and not new.beneficiary_name.strip():
        return "beneficiary"
    return None


def _out_problem_in(conn: Connection, item: _PendingOut) -> str | None:
    """Why the payment (or reversal) cannot be recorded now, or None."""
    new = item.new
    if item.reverses is not None:
        return "already_reversed" if _out_reversal_in(conn, item.reverses) else None
    province = conn.execute(
        "SELECT province_code FROM wards WHERE id = ?", (new.ward_id,)
    ).fetchone()
    if province is None:
        return "ward"
    if new.campaign_id is not None:
        problem = _campaign_problem_in(conn, new, str(province[0]))
        if problem is not None:
            return problem
    if new.registration_id is not None:
        found = conn.execute(
            "SELECT ward_id FROM exit_registrations WHERE id = ?", (new.registration_id,)
        ).fetchone()
        if found is None or found[0] != new.ward_id:
            return "beneficiary"
    if new.decision_date > new.paid_on:
        return "date"
    flows = _flows_in(conn, new.ward_id, new.fund, new.campaign_id)
    return "balance" if new.amount > flows.lowest_from(new.paid_on) else None


def _campaign_problem_in(conn: Connection, new: NewDisbursement, province_code: str) -> str | None:
    """Why the payment cannot come out of its campaign (none, other fund, other ward)."""
    campaign = _campaign_in(conn, new.campaign_id or 0)
    if campaign is None:
        return "not_found"
    if campaign.fund != new.fund:
        return "fund"
    if campaign.ward_id is not None and campaign.ward_id != new.ward_id:
        return "ward"
    if campaign.ward_id is None and campaign.province_code not in (None, province_code):
        return "ward"
    return None


def _spent_problem_in(conn: Connection, new: NewEntry, fund: str) -> str | None:
    """Refuses ("balance") a gift reversal that would leave less than was already paid out."""
    flows = _flows_in(conn, new.ward_id, fund, new.campaign_id)
    return "balance" if -new.amount > flows.lowest_from(new.donated_on) else None


def _lowest_from(gifts: dict[str, int], spent: dict[str, int], day: date) -> int:
    """The lowest balance (gifts − spent, cumulative) at `day` or any later dated movement.

    A payment dated `day` lowers every later balance too, so it must fit under all of them.
    """
    first = day.isoformat()
    balance = sum(v for d, v in gifts.items() if d <= first) - sum(
        v for d, v in spent.items() if d <= first
    )
    lowest = balance
    for later in sorted({d for d in (*gifts, *spent) if d > first}):
        balance += gifts.get(later, 0) - spent.get(later, 0)
        lowest = min(lowest, balance)
    return lowest


@dataclass(frozen=True, slots=True)
class _Flows:
    """A ward's money in and out per ISO date: of its whole fund, and of one campaign's part."""

    gifts: dict[str, int]
    spent: dict[str, int]
    part_gifts: dict[str, int]
    part_spent: dict[str, int]
    campaign_id: int | None

    def scope(self, campaign_id: int | None) -> tuple[dict[str, int], dict[str, int]]:
        """Gifts and disbursements of the campaign's part (None: of the whole fund)."""
        if campaign_id is None:
            return self.gifts, self.spent
        return self.part_gifts, self.part_spent

    def lowest_from(self, day: date) -> int:
        """The lowest balance from `day` on, of the campaign's part and of the whole fund."""
        lowest = _lowest_from(self.gifts, self.spent, day)
        if self.campaign_id is not None:
            lowest = min(lowest, _lowest_from(self.part_gifts, self.part_spent, day))
        return lowest


def _flows_in(conn: Connection, ward_id: str, fund: str, campaign_id: int | None) -> _Flows:
    """Gifts and disbursements per date of a ward's fund and one campaign's part, one pass each.

    Both statements read covering indexes (migration 0013) in date order.
    """
    gifts = conn.execute(
        "SELECT donated_on, SUM(amount), SUM(CASE WHEN campaign_id = ? THEN amount ELSE 0 END)"
        " FROM donation_entries WHERE ward_id = ? AND campaign_id IN"
        " (SELECT id FROM donation_campaigns WHERE fund = ?) GROUP BY donated_on",
        (campaign_id, ward_id, fund),
    ).fetchall()
    spent = conn.execute(
        "SELECT paid_on, SUM(amount), SUM(CASE WHEN campaign_id = ? THEN amount ELSE 0 END)"
        " FROM donation_disbursements WHERE ward_id = ? AND fund = ? GROUP BY paid_on",
        (campaign_id, ward_id, fund),
    ).fetchall()
    return _Flows(
        {str(d): int(v) for d, v, _ in gifts},
        {str(d): int(v) for d, v, _ in spent},
        {str(d): int(p) for d, _, p in gifts if p},
        {str(d): int(p) for d, _, p in spent if p},
        campaign_id,
    )


def _next_voucher_seq_in(conn: Connection, ward_id: str, year: int) -> int:
    """The next voucher number of the ward's year (gapless: a failed insert rolls back)."""
    (last,) = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM donation_disbursements WHERE ward_id = ? AND year = ?",
        (ward_id, year),
    ).fetchone()
    return int(last) + 1


def _disbursement(row: Row) -> Disbursement:
    public = bool(row["name_public"])
    return Disbursement(
        id=int(row["id"]),
        voucher=str(row["voucher"]),
        ward_id=str(row["ward_id"]),
        fund=str(row["fund"]),
        campaign_id=row["campaign_id"],
        kind=str(row["kind"]),
        reverses_id=row["reverses_id"],
        purpose=str(row["purpose"]),
        beneficiary_label=str(row["beneficiary_name"]) if public else "",
        amount=int(row["amount"]),
        goods=str(row["goods"]),
        quantity=str(row["quantity"]),
        method=str(row["method"]),
        paid_on=date.fromisoformat(row["paid_on"]),
        decision_number=str(row["decision_number"]),
        decision_date=date.fromisoformat(row["decision_date"]),
        note=str(row["note"]),
        recorded_at=from_db(row["recorded_at"]),
        reason=str(row["reason"]),
        recorded_by=row["recorded_by"],
        registration_id=row["registration_id"],
        household_code=str(row["household_code"]),
        beneficiary_name=str(row["beneficiary_name"]),
        name_public=public,
    )


# The larger of the two look-ups through an aggregate over a derived table: a scalar MAX(a, b)
# is SQLite's only (PostgreSQL says GREATEST, which SQLite lacks).
_CAMPAIGN_STATE = (
    "SELECT (SELECT MAX(newest) FROM ("
    "SELECT COALESCE((SELECT MAX(id) FROM donation_entries"
    " WHERE campaign_id = :c AND kind = 'gift'), 0) AS newest"
    " UNION ALL SELECT COALESCE((SELECT MAX(id) FROM donation_entries"
    " WHERE campaign_id = :c AND kind = 'reversal'), 0)) AS kinds),"
    " (SELECT COALESCE(MAX(id), 0) FROM donation_disbursements WHERE campaign_id = :c)"
)


def _disbursement_in(conn: Connection, disbursement_id: int) -> Disbursement | None:
    row = conn.execute(
        "SELECT * FROM donation_disbursements WHERE id = ?", (disbursement_id,)
    ).fetchone()
    return _disbursement(row) if row else None


def _disbursement_by_key_in(conn: Connection, key: str) -> Disbursement | None:
    row = conn.execute(
        "SELECT * FROM donation_disbursements WHERE idempotency_key = ?", (key,)
    ).fetchone()
    return _disbursement(row) if row else None


def _disbursement_by_voucher_in(conn: Connection, voucher: str) -> Disbursement | None:
    row = conn.execute(
        "SELECT * FROM donation_disbursements WHERE voucher = ?", (voucher,)
    ).fetchone()
    return _disbursement(row) if row else None


def _out_reversal_in(conn: Connection, disbursement_id: int) -> Disbursement | None:
    row = conn.execute(
        "SELECT * FROM donation_disbursements WHERE reverses_id = ?", (disbursement_id,)
    ).fetchone()
    return _disbursement(row) if row else None


def _disbursements_in(conn: Connection, query: _OutQuery) -> list[Disbursement]:
    rows = conn.execute(
        "SELECT * FROM donation_disbursements"
        " WHERE (CAST(? AS BIGINT) IS NULL OR campaign_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR ward_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR paid_on >= ?)"
        " AND (CAST(? AS TEXT) IS NULL OR paid_on <= ?)"
        " AND (CAST(? AS TEXT) IS NULL OR fund = ?) ORDER BY id",
        (
            query.campaign_id,
            query.campaign_id,
            query.ward_id,
            query.ward_id,
            *((query.start.isoformat(),) * 2 if query.start else (None, None)),
            *((query.end.isoformat(),) * 2 if query.end else (None, None)),
            query.fund,
            query.fund,
        ),
    ).fetchall()
    return [_disbursement(row) for row in rows]


_INSERT_OUT = (
    "INSERT INTO donation_disbursements (ward_id, fund, campaign_id, year, seq, voucher, kind,"
    " reverses_id, purpose, registration_id, household_code, beneficiary_name, name_public,"
    " amount, goods, quantity, method, paid_on, decision_number, decision_date, note, reason,"
    " recorded_by, recorded_at, idempotency_key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " RETURNING id"
)


def _out_row(row: Disbursement, year: int, seq: int, key: str | None) -> tuple[Any, ...]:
    return (
        row.ward_id,
        row.fund,
        row.campaign_id,
        year,
        seq,
        row.voucher,
        row.kind,
        row.reverses_id,
        row.purpose,
        row.registration_id,
        row.household_code,
        row.beneficiary_name,
        int(row.name_public),
        row.amount,
        row.goods,
        row.quantity,
        row.method,
        row.paid_on.isoformat(),
        row.decision_number,
        row.decision_date.isoformat(),
        row.note,
        row.reason,
        row.recorded_by,
        to_db(row.recorded_at),
        key,
    )


def _audit_out_in(conn: Connection, row: Disbursement) -> None:
    detail: dict[str, Any] = {
        "voucher": row.voucher,
        "amount": row.amount,
        "campaign": row.campaign_id,
        "purpose": row.purpose,
    }
    action = "donations.disbursed"
    if row.reverses_id is not None:
        detail["reverses"] = row.reverses_id
        action = "donations.disbursement_reversed"
    record_in(
        conn,
        actor_user_id=row.recorded_by,
        action=action,
        target=f"disbursement:{row.id}",
        detail=detail,
        now=row.recorded_at,
    )


# ---- the statement's lean read (`Ledger.read_period`) ------------------------------------

T = TypeVar("T")

StatementGift = tuple[int, str, str, str, str | None, str, str, int, str, str, str, str]
"""A gift row as the statement reads it: id, receipt, ward id, kind ("gift" / "reversal"), the
reversed gift's receipt (None unless a reversal), donor type, the donor's name if they agreed to
be named (else ""), amount (negative for a reversal), method, day given (ISO), goods, quantity."""

StatementOut = tuple[int, str, str, str, str | None, str, str, int, str, str, str, str, str, str]
"""A disbursement row as the statement reads it: id, voucher, ward id, kind, the reversed
voucher (None unless a reversal), purpose, the beneficiary's name if the household consented
(else ""), amount as recorded, goods, quantity, method, day paid (ISO), decision number,
decision date (ISO)."""


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """A campaign's sums for one period, read from the same snapshot as its rows.

    `opening` is the gifts less the disbursements dated before the period (0 when it has no
    start); then, within the period, the number of gift rows, the highest gift row id and
    their sum, and the same for disbursement rows (a reversal subtracts).
    """

    opening: int
    gifts: int
    last_gift: int
    money_in: int
    outs: int
    last_out: int
    money_out: int


@dataclass(frozen=True, slots=True)
class _Period:
    campaign_id: int
    start: str | None  # ISO day, or None
    end: str | None


def _within(day: str) -> str:
    return (
        f"(CAST(:start AS TEXT) IS NULL OR {day} >= :start)"
        f" AND (CAST(:end AS TEXT) IS NULL OR {day} <= :end)"
    )


_OUT_AMOUNT = "CASE WHEN kind = 'reversal' THEN -ABS(amount) ELSE ABS(amount) END"
_PERIOD_GIFTS = (
    "SELECT COALESCE(SUM(CASE WHEN donated_on < :start THEN amount END), 0),"
    f" COUNT(CASE WHEN {_within('donated_on')} THEN 1 END),"
    f" COALESCE(MAX(CASE WHEN {_within('donated_on')} THEN id END), 0),"
    f" COALESCE(SUM(CASE WHEN {_within('donated_on')} THEN amount END), 0)"
    " FROM donation_entries WHERE campaign_id = :campaign"
)
_PERIOD_OUTS = (
    f"SELECT COALESCE(SUM(CASE WHEN paid_on < :start THEN {_OUT_AMOUNT} END), 0),"
    f" COUNT(CASE WHEN {_within('paid_on')} THEN 1 END),"
    f" COALESCE(MAX(CASE WHEN {_within('paid_on')} THEN id END), 0),"
    f" COALESCE(SUM(CASE WHEN {_within('paid_on')} THEN {_OUT_AMOUNT} END), 0)"
    " FROM donation_disbursements WHERE campaign_id = :campaign"
)
_STATEMENT_GIFTS = (
    "SELECT e.id, e.receipt, e.ward_id, e.kind, COALESCE(r.receipt, CAST(e.reverses_id AS TEXT)),"
    " e.donor_type, CASE WHEN e.public = 1 THEN e.donor_name ELSE '' END, e.amount, e.method,"
    " e.donated_on, e.goods, e.quantity"
    " FROM donation_entries e LEFT JOIN donation_entries r"
    " ON r.id = e.reverses_id AND r.campaign_id = e.campaign_id"
    f" WHERE e.campaign_id = :campaign AND {_within('e.donated_on')}"
    " ORDER BY e.donated_on, e.id"
)
_STATEMENT_OUTS = (
    "SELECT o.id, o.voucher, o.ward_id, o.kind, COALESCE(r.voucher, CAST(o.reverses_id AS TEXT)),"
    " o.purpose, CASE WHEN o.name_public = 1 THEN o.beneficiary_name ELSE '' END, o.amount,"
    " o.goods, o.quantity, o.method, o.paid_on, o.decision_number, o.decision_date"
    " FROM donation_disbursements o LEFT JOIN donation_disbursements r"
    " ON r.id = o.reverses_id AND r.campaign_id = o.campaign_id"
    f" WHERE o.campaign_id = :campaign AND {_within('o.paid_on')}"
    " ORDER BY o.paid_on, o.id"
)


def _read_period_in(
    conn: Connection,
    period: _Period,
    consume: Callable[[PeriodFigures, Iterator[StatementGift], Iterator[StatementOut]], T],
) -> T:
    params = {"campaign": period.campaign_id, "start": period.start, "end": period.end}
    before_in, gifts, last_gift, money_in = conn.execute(_PERIOD_GIFTS, params).fetchone()
    before_out, outs, last_out, money_out = conn.execute(_PERIOD_OUTS, params).fetchone()
    figures = PeriodFigures(
        opening=int(before_in) - int(before_out),
        gifts=int(gifts),
        last_gift=int(last_gift),
        money_in=int(money_in),
        outs=int(outs),
        last_out=int(last_out),
        money_out=int(money_out),
    )
    with (
        _plain_rows(conn, _STATEMENT_GIFTS, params) as gifts_found,
        _plain_rows(conn, _STATEMENT_OUTS, params) as outs_found,
    ):
        return consume(figures, gifts_found, outs_found)


@contextlib.contextmanager
def _plain_rows(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[Iterator[Any]]:
    """The rows of a long query, as they are fetched.

    On SQLite, from a cursor of plain tuples (no `sqlite3.Row` object for each of a
    statement's 100,000 rows); on PostgreSQL, asyncpg's records, which unpack the same way.
    """
    if not isinstance(conn, sqlite3.Connection):
        yield iter(conn.execute(sql, params))
        return
    cursor = conn.cursor()
    cursor.row_factory = None
    try:
        yield iter(cursor.execute(sql, params))
    finally:
        cursor.close()
