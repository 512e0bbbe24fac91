"""Registrations to exit poverty (đăng ký thoát nghèo bền vững) and their status history.

A household registers its causes of poverty and the support it wishes for; ward officers
(cán bộ xã/phường) move the registration through a fixed workflow (`TRANSITIONS`). Every change
is written with its history row, an audit entry and, when given, the resident's notification
in the outbox, all in one transaction, and once per request key (stored unique with the history
row, so a double submit records once). The two final statuses (`FINAL`) are reached only by
`decide`, with the decision's number and date; an admin's `correct` changes a final decision
with a reason. The causes and supports are also kept as bit masks in a covering index, so the
desk's filtered list (`search`) reads the index only.

Personal data: `erase_user` anonymises rather than deletes. The personal fields (name, date of
birth, ID-card number, phone, address, household code, income, free texts, notes) are blanked
and the link to the user is cut; ward, status, causes, wished support, household size and target
year stay, so the ward's aggregate counts (what it must plan for) remain right. A registration
not yet decided becomes `withdrawn`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from storage.audit import record_in
from storage.clock import from_db, to_db, utc_now
from storage.db import Connection, Database, Params, Row, Step, Tx, call
from storage.outbox import enqueue_in


class Status(StrEnum):
    """Where a registration is in the ward's workflow."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    SURVEY_SCHEDULED = "survey_scheduled"
    RECOGNISED_EXITED = "recognised_exited"
    NOT_RECOGNISED = "not_recognised"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.NEEDS_INFO, Status.SURVEY_SCHEDULED}),
    Status.NEEDS_INFO: frozenset({Status.IN_REVIEW}),
    Status.SURVEY_SCHEDULED: frozenset({Status.RECOGNISED_EXITED, Status.NOT_RECOGNISED}),
    Status.RECOGNISED_EXITED: frozenset(),
    Status.NOT_RECOGNISED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}
"""Officer transitions; the resident may also withdraw while the case is `OPEN`."""

FINAL = frozenset({Status.RECOGNISED_EXITED, Status.NOT_RECOGNISED})
"""The two final decisions: recorded only with a decision number and date (`decide`)."""

CORRECTABLE_TO = frozenset({*FINAL, Status.SURVEY_SCHEDULED})
"""Where an admin's correction of a final decision may take it (back to the survey: annulled)."""

OPEN = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO, Status.SURVEY_SCHEDULED})
"""Statuses before a decision: the resident may still withdraw."""

WAITING = (Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO)
"""Statuses the morning reminder watches."""

CAUSES = (
    "capital",
    "land",
    "labour",
    "illness",
    "skills",
    "dependants",
    "jobs",
    "other",
)
"""Causes of poverty (nguyên nhân nghèo) a household can tick."""

SUPPORTS = ("loan", "training", "job", "seedlings", "housing", "other")
"""Support a household can wish for (nhu cầu hỗ trợ)."""


def allowed(current: Status, target: Status) -> bool:
    """Whether an officer may move a registration from `current` to `target`."""
    return target in TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class Registration:
    """One household's registration as stored."""

    id: int
    year: int
    user_id: int | None
    channel: str
    chat_id: str
    ward_id: str
    status: Status
    full_name: str
    birth_date: str
    sex: str
    ethnicity: str
    id_number: str
    phone: str
    address: str
    household_code: str
    members: int
    monthly_income: int | None
    causes: list[str]
    cause_other: str
    supports: list[str]
    support_other: str
    target_year: int
    question: str
    anonymised: bool
    created_at: datetime
    status_changed_at: datetime
    decision_number: str = ""
    """The number of the decision in force (số quyết định); '' while there is none."""
    decision_date: str = ""
    """Its date, ISO ``yyyy-mm-dd``; '' while there is none."""

    @property
    def code(self) -> str:
        """The reference code shown to the resident: `TN-2026-000123`."""
        return f"TN-{self.year}-{self.id:06d}"


class EntryKind(StrEnum):
    """What a history row records."""

    STATUS = "status"
    DECISION = "decision"
    CORRECTION = "correction"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One status change (a final decision and its corrections carry the decision)."""

    at: datetime
    actor_user_id: int | None
    from_status: str
    to_status: Status
    note: str
    kind: EntryKind = EntryKind.STATUS
    decision_number: str = ""
    decision_date: str = ""
    """ISO ``yyyy-mm-dd``, or ''."""


@dataclass(frozen=True, slots=True)
class Decision:
    """A final decision's number (số quyết định) and ISO date, as typed and checked."""

    number: str
    day: str


class Outcome(StrEnum):
    """What a change request came to."""

    DONE = "done"
    """Applied now."""
    REPEATED = "repeated"
    """Its request key was used already: the earlier change stands, nothing more is written."""
    REFUSED = "refused"
    """Not applied: the registration moved meanwhile, or the move is not allowed from there."""
    NOT_FOUND = "not_found"
    """No such registration."""


@dataclass(frozen=True, slots=True)
class Applied:
    """The result of a change request and the registration as it now stands."""

    outcome: Outcome
    registration: Registration | None


@dataclass(frozen=True, slots=True)
class Filters:
    """What the desk's list is narrowed to (None: any)."""

    status: Status | None = None
    cause: str | None = None
    support: str | None = None
    registration_id: int | None = None
    """A reference code searched for, as the registration's id."""


@dataclass(frozen=True, slots=True)
class NewRegistration:
    """What the resident's form collected."""

    user_id: int
    channel: str
    chat_id: str
    ward_id: str
    full_name: str
    birth_date: str
    sex: str
    ethnicity: str
    id_number: str
    phone: str
    address: str
    household_code: str
    members: int
    monthly_income: int
    causes: list[str]
    cause_other: str
    supports: list[str]
    support_other: str
    target_year: int


Notify = Callable[[Registration], Iterable[Step[Any]]]
"""Gives the steps that tell the ward's officers of a new registration (run in its transaction)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the outbox, queued in the same transaction as the change."""

    channel: str
    chat_id: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WardSummary:
    """Counts for a ward: by status, by cause and by wished support."""

    total: int
    by_status: dict[str, int]
    by_cause: dict[str, int]
    by_support: dict[str, int]


def _registration(row: Row) -> Registration:
    income = row["monthly_income"]
    return Registration(
        id=int(row["id"]),
        year=int(row["year"]),
        user_id=row["user_id"],
        channel=str(row["channel"]),
        chat_id=str(row["chat_id"]),
        ward_id=str(row["ward_id"]),
        status=Status(row["status"]),
        full_name=str(row["full_name"]),
        birth_date=str(row["birth_date"]),
        sex=str(row["sex"]),
        ethnicity=str(row["ethnicity"]),
        id_number=str(row["id_number"]),
        phone=str(row["phone"]),
        address=str(row["address"]),
        household_code=str(row["household_code"]),
        members=int(row["members"]),
        monthly_income=None if income is None else int(income),
        causes=list(json.loads(row["causes"])),
        cause_other=str(row["cause_other"]),
        supports=list(json.loads(row["supports"])),
        support_other=str(row["support_other"]),
        target_year=int(row["target_year"]),
        question=str(row["question"]),
        anonymised=bool(row["anonymised"]),
        created_at=from_db(row["created_at"]),
        status_changed_at=from_db(row["status_changed_at"]),
        decision_number=str(row["decision_number"]),
        decision_date=str(row["decision_date"]),
    )


def _one(conn: Connection, registration_id: int) -> Registration | None:
    row = conn.execute(
        "SELECT * FROM exit_registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    return _registration(row) if row else None


def _history_in(
    conn: Connection,
    registration_id: int,
    *,
    at: datetime,
    actor_user_id: int | None,
    from_status: str,
    to_status: Status,
    note: str,
    kind: EntryKind = EntryKind.STATUS,
    decision: Decision | None = None,
    request_key: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO exit_registration_history (registration_id, at, actor_user_id,"
        " from_status, to_status, note, kind, decision_number, decision_date, request_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            registration_id,
            to_db(at),
            actor_user_id,
            from_status,
            to_status.value,
            note,
            kind.value,
            decision.number if decision else "",
            decision.day if decision else "",
            request_key or None,
        ),
    )


def _key_used(conn: Connection, request_key: str | None) -> bool:
    if not request_key:
        return False
    row = conn.execute(
        "SELECT 1 FROM exit_registration_history WHERE request_key = ?", (request_key,)
    ).fetchone()
    return row is not None


def bits(keys: list[str], order: tuple[str, ...]) -> int:
    """The bit mask of `keys` (bit i: `order[i]`), as stored in `cause_bits` / `support_bits`."""
    return sum(1 << order.index(key) for key in set(keys) if key in order)


@dataclass(frozen=True, slots=True)
class _Move:
    """One change as written: where to, by whom, why, and what it carries."""

    target: Status
    actor_user_id: int | None
    note: str
    now: datetime
    action: str
    kind: EntryKind = EntryKind.STATUS
    decision: Decision | None = None
    request_key: str | None = None


def _change(conn: Connection, current: Registration, move: _Move) -> None:
    """The registration's new status, its history row and its audit entry."""
    target = move.target
    question = move.note if target is Status.NEEDS_INFO else ""
    decision = move.decision if target in FINAL else None
    conn.execute(
        "UPDATE exit_registrations SET status = ?, question = ?, status_changed_at = ?,"
        " decision_number = ?, decision_date = ? WHERE id = ?",
        (
            target.value,
            question,
            to_db(move.now),
            decision.number if decision else "",
            decision.day if decision else "",
            current.id,
        ),
    )
    _history_in(
        conn,
        current.id,
        at=move.now,
        actor_user_id=move.actor_user_id,
        from_status=current.status.value,
        to_status=target,
        note=move.note,
        kind=move.kind,
        decision=decision,
        request_key=move.request_key,
    )
    detail: dict[str, Any] = {"from": current.status.value, "to": target.value}
    if decision is not None:
        detail |= {"number": decision.number, "date": decision.day}
    record_in(
        conn,
        actor_user_id=move.actor_user_id,
        action=move.action,
        target=f"registration:{current.id}",
        detail=detail,
        now=move.now,
    )


def _apply_in(
    conn: Connection,
    registration_id: int,
    expected: Status,
    move: _Move,
    notice: Notice | None,
) -> Applied:
    """Apply `move` if the key is new and the registration is still in `expected`."""
    current = _one(conn, registration_id)
    if current is None:
        return Applied(Outcome.NOT_FOUND, None)
    if _key_used(conn, move.request_key):
        return Applied(Outcome.REPEATED, current)
    if current.status is not expected or not _legal(current.status, move):
        return Applied(Outcome.REFUSED, current)
    _change(conn, current, move)
    if notice is not None and current.chat_id:
        enqueue_in(
            conn, channel=notice.channel, chat_id=notice.chat_id, body=notice.body, now=move.now
        )
    return Applied(Outcome.DONE, _one(conn, registration_id))


def _transition_in(
    conn: Connection,
    registration_id: int,
    expected: Status,
    move: _Move,
    notice: Notice | None,
    then: Sequence[Step[Any]],
) -> Registration | None:
    """`_apply_in`, then the `then` steps when the move was made; None when it was not."""
    applied = _apply_in(conn, registration_id, expected, move, notice)
    if applied.outcome is not Outcome.DONE:
        return None
    for step in then:
        step(conn)
    return applied.registration


def _legal(current: Status, move: _Move) -> bool:
    """Whether `move` may be written from `current` (each kind has its own rule)."""
    target = move.target
    if move.kind is EntryKind.DECISION:
        return target in FINAL and allowed(current, target) and move.decision is not None
    if move.kind is EntryKind.CORRECTION:
        carries = move.decision is not None or target not in FINAL
        return current in FINAL and target in CORRECTABLE_TO and carries and bool(move.note)
    if target is Status.WITHDRAWN:
        return current in OPEN
    return target not in FINAL and allowed(current, target)


class RegistrationRepository:
    """Reads and writes registrations to exit poverty."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        new: NewRegistration,
        *,
        token: str,
        now: datetime,
        year: int,
        notify: Notify | None = None,
    ) -> tuple[Registration, bool]:
        """Store a registration once per `token`; returns it and whether it was created now.

        `notify(registration)` gives the steps that tell the ward's officers (outbox messages);
        they run in the same transaction, only when the registration is new, so the officers
        are told once and never about a registration that was not stored.
        """

        def work(conn: Connection) -> tuple[Registration, bool]:
            registration, created = self.create_in(conn, new, token=token, now=now, year=year)
            if created and notify is not None:
                for step in notify(registration):
                    step(conn)
            return registration, created

        created: tuple[Registration, bool] = await self.db.write(work)
        return created

    @staticmethod
    def create_in(
        conn: Connection, new: NewRegistration, *, token: str, now: datetime, year: int
    ) -> tuple[Registration, bool]:
        """`create`'s statements (registration, history, audit); the caller owns the transaction."""
        existing = conn.execute(
            "SELECT id FROM exit_registrations WHERE submission_token = ?", (token,)
        ).fetchone()
        if existing is not None:
            found = _one(conn, int(existing["id"]))
            assert found is not None
            return found, False
        # The id (the number in the reference code) is the last one plus one, not a sequence's
        # next value: a PostgreSQL sequence is not rolled back with a transaction that runs
        # again after a conflict, and would leave a gap in the codes. Two at once take the same
        # number; the unique id then runs the second again, on the first one's commit.
        cursor = conn.execute(
            "INSERT INTO exit_registrations (id, year, user_id, channel, chat_id, ward_id,"
            " submission_token, full_name, birth_date, sex, ethnicity, id_number, phone,"
            " address, household_code, members, monthly_income, causes, cause_other,"
            " supports, support_other, target_year, created_at, status_changed_at)"
            " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM exit_registrations),"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                year,
                new.user_id,
                new.channel,
                new.chat_id,
                new.ward_id,
                token,
                new.full_name,
                new.birth_date,
                new.sex,
                new.ethnicity,
                new.id_number,
                new.phone,
                new.address,
                new.household_code,
                new.members,
                new.monthly_income,
                json.dumps(new.causes),
                new.cause_other,
                json.dumps(new.supports),
                new.support_other,
                new.target_year,
                to_db(now),
                to_db(now),
            ),
        )
        registration_id = int(cursor.fetchone()[0])
        conn.execute(
            "UPDATE exit_registrations SET cause_bits = ?, support_bits = ? WHERE id = ?",
            (bits(new.causes, CAUSES), bits(new.supports, SUPPORTS), registration_id),
        )
        _history_in(
            conn,
            registration_id,
            at=now,
            actor_user_id=new.user_id,
            from_status="",
            to_status=Status.SUBMITTED,
            note="",
        )
        record_in(
            conn,
            actor_user_id=new.user_id,
            action="registration.submit",
            target=f"registration:{registration_id}",
            detail={"ward": new.ward_id},
            now=now,
        )
        created = _one(conn, registration_id)
        assert created is not None
        return created, True

    async def get(self, registration_id: int) -> Registration | None:
        """A registration by id."""
        return await self.db.run(lambda conn: _one(conn, registration_id))

    async def for_user(self, user_id: int) -> list[Registration]:
        """A resident's own registrations, newest first."""
        return await self._select(
            "SELECT * FROM exit_registrations WHERE user_id = ? ORDER BY id DESC", (user_id,)
        )

    async def count(self) -> int:
        """How many registrations exist (all wards)."""
        row = await self.db.fetchone("SELECT COUNT(*) FROM exit_registrations")
        return int(row[0]) if row else 0

    async def in_ward(
        self, ward_id: str, *, status: Status | None = None, limit: int = 1000, offset: int = 0
    ) -> list[Registration]:
        """A ward's registrations (optionally one status), oldest first."""
        return await self._select(
            "SELECT * FROM exit_registrations WHERE ward_id = ?"
            " AND (CAST(? AS TEXT) IS NULL OR status = ?) ORDER BY id LIMIT ? OFFSET ?",
            (ward_id, status, status, limit, offset),
        )

    async def history(self, registration_id: int) -> list[HistoryEntry]:
        """The status changes of a registration, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM exit_registration_history WHERE registration_id = ? ORDER BY id",
            (registration_id,),
        )
        return [
            HistoryEntry(
                at=from_db(r["at"]),
                actor_user_id=r["actor_user_id"],
                from_status=str(r["from_status"]),
                to_status=Status(r["to_status"]),
                note=str(r["note"]),
                kind=EntryKind(r["kind"]),
                decision_number=str(r["decision_number"]),
                decision_date=str(r["decision_date"]),
            )
            for r in rows
        ]

    async def transition(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        action: str,
        notice: Notice | None = None,
        then: Sequence[Step[Any]] = (),
    ) -> Registration | None:
        """Move a registration if it is still in `expected` and the move is legal.

        Returns the updated registration, or None (nothing changed) when it moved meanwhile or
        the move is not allowed. A resident's withdrawal passes `target=WITHDRAWN`. `then`:
        more steps of the same change (the officers' notices), run in its transaction only
        when the move is made.
        """
        move = _Move(target, actor_user_id, note, now, action)
        moved: Registration | None = await self.db.write(
            lambda conn: _transition_in(conn, registration_id, expected, move, notice, then)
        )
        return moved

    @staticmethod
    def transition_in(
        conn: Connection,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        action: str,
        notice: Notice | None = None,
        then: Sequence[Step[Any]] = (),
    ) -> Registration | None:
        """`transition`'s statements (change, history, audit, notice, `then`) in one transaction."""
        move = _Move(target, actor_user_id, note, now, action)
        return _transition_in(conn, registration_id, expected, move, notice, then)

    async def change(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """An officer's status change with a note, once per `request_key`.

        Not for the final decisions (`decide`) nor a withdrawal; refused unless the move is
        legal from `expected` and the registration is still there.
        """
        move = _Move(
            target, actor_user_id, note, now, "registration.status", request_key=request_key
        )
        return await self._apply(registration_id, expected, move, notice)

    async def decide(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """Record a final decision (`FINAL`) with its number and date, once per `request_key`."""
        move = _Move(
            target,
            actor_user_id,
            note,
            now,
            "registration.decision",
            EntryKind.DECISION,
            decision,
            request_key,
        )
        return await self._apply(registration_id, expected, move, notice)

    async def correct(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision | None,
        actor_user_id: int | None,
        reason: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """An admin's correction of a final decision, with its reason kept in the history.

        `target` is one of the final decisions (with `decision`) or `SURVEY_SCHEDULED` (the
        decision annulled, no `decision`). The caller checks the actor is an admin.
        """
        move = _Move(
            target,
            actor_user_id,
            reason,
            now,
            "registration.correction",
            EntryKind.CORRECTION,
            decision,
            request_key,
        )
        return await self._apply(registration_id, expected, move, notice)

    async def _apply(
        self, registration_id: int, expected: Status, move: _Move, notice: Notice | None
    ) -> Applied:
        """`_apply_in` as one write: the change, its history, audit and notice together."""
        applied: Applied = await self.db.write(
            lambda conn: _apply_in(conn, registration_id, expected, move, notice)
        )
        return applied

    async def key_used(self, request_key: str | None) -> bool:
        """Whether a change was already recorded under `request_key` (a double submit)."""
        return await self.db.run(lambda conn: _key_used(conn, request_key))

    async def replied(self, ids: Sequence[int]) -> set[int]:
        """Which of `ids` the resident answered last (their reply to "cần bổ sung" waits).

        A registration whose newest history row is the resident's own, moving it out of
        "needs info", is new to the officers until one of them acts on it.
        """
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            "SELECT h.registration_id FROM exit_registration_history AS h"
            " JOIN exit_registrations AS r ON r.id = h.registration_id"
            f" WHERE h.registration_id IN ({marks}) AND h.from_status = ?"
            " AND h.actor_user_id = r.user_id AND h.id = (SELECT MAX(id)"
            " FROM exit_registration_history WHERE registration_id = h.registration_id)",
            (*ids, Status.NEEDS_INFO.value),
        )
        return {int(row[0]) for row in rows}

    async def search(
        self, ward_id: str, filters: Filters, *, limit: int, offset: int
    ) -> tuple[list[Registration], int]:
        """One page of a ward's registrations narrowed by `filters`, oldest first; the total.

        The ward (and status) narrow through an index that also holds the cause and support
        masks, so the count and the page's ids read that index only; a reference code is the
        primary key. The rows themselves are read for the page alone.
        """
        where = ["r.ward_id = ?"]
        params: list[Any] = [ward_id]
        if filters.status is not None:
            where.append("r.status = ?")
            params.append(filters.status.value)
        if filters.registration_id is not None:
            where.append("r.id = ?")
            params.append(filters.registration_id)
        for column, key, order in (
            ("cause_bits", filters.cause, CAUSES),
            ("support_bits", filters.support, SUPPORTS),
        ):
            if key is not None:
                where.append(f"r.{column} & ? != 0")
                params.append(bits([key], order))
        clause = " AND ".join(where)

        def work(conn: Connection) -> tuple[list[Registration], int]:
            total = conn.execute(
                f"SELECT COUNT(*) FROM exit_registrations AS r WHERE {clause}", params
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT * FROM exit_registrations WHERE id IN"
                f" (SELECT r.id FROM exit_registrations AS r WHERE {clause}"
                " ORDER BY r.id LIMIT ? OFFSET ?) ORDER BY id",
                [*params, limit, offset],
            ).fetchall()
            return [_registration(r) for r in rows], int(total)

        found: tuple[list[Registration], int] = await self.db.run(work)
        return found

    async def summary(self, ward_id: str) -> WardSummary:
        """Counts of a ward's registrations by status, cause and wished support."""
        rows = await self.db.fetchall(
            "SELECT status, causes, supports FROM exit_registrations WHERE ward_id = ?",
            (ward_id,),
        )
        by_status: dict[str, int] = {}
        by_cause: dict[str, int] = dict.fromkeys(CAUSES, 0)
        by_support: dict[str, int] = dict.fromkeys(SUPPORTS, 0)
        for row in rows:
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
            if row["status"] == Status.WITHDRAWN:
                continue
            for cause in json.loads(row["causes"]):
                by_cause[cause] = by_cause.get(cause, 0) + 1
            for support in json.loads(row["supports"]):
                by_support[support] = by_support.get(support, 0) + 1
        return WardSummary(len(rows), by_status, by_cause, by_support)

    async def waiting(self, now: datetime, *, days: int = 7) -> list[Registration]:
        """Registrations in submitted/in_review/needs_info for more than `days` days."""
        marks = ",".join("?" for _ in WAITING)
        return await self._select(
            f"SELECT * FROM exit_registrations WHERE status IN ({marks})"
            " AND status_changed_at < ? ORDER BY ward_id, id",
            (*WAITING, to_db(now - timedelta(days=days))),
        )

    async def _select(self, sql: str, params: Params) -> list[Registration]:
        """The registrations a query's rows stand for, in its order."""
        rows = await self.db.fetchall(sql, params)
        return [_registration(r) for r in rows]


@dataclass(frozen=True, slots=True)
class ErasedRegistrations:
    """What `/xoadulieu` did (or would do) to one user's registrations.

    Attributes:
        anonymised: registrations whose personal fields are blanked (the rows stay).
        withdrawn: (ward id, reference code) of each registration that was still open and is
            withdrawn; no personal data, so the ward's officers can be told.
    """

    anonymised: int = 0
    withdrawn: tuple[tuple[str, str], ...] = ()


def erase_user_in(conn: Connection, user_id: int, *, dry_run: bool = False) -> ErasedRegistrations:
    """Anonymise a user's registrations inside the caller's transaction.

    Undecided registrations are withdrawn first (with a history row), then every personal field
    and note is blanked and the user link is cut. With `dry_run` nothing changes: the result
    says what would.
    """
    rows = [
        _registration(r)
        for r in conn.execute(
            "SELECT * FROM exit_registrations WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
    ]
    opened = [registration for registration in rows if registration.status in OPEN]
    result = ErasedRegistrations(
        len(rows), tuple((registration.ward_id, registration.code) for registration in opened)
    )
    if dry_run or not rows:
        return result
    now = utc_now()
    for registration in opened:
        _history_in(
            conn,
            registration.id,
            at=now,
            actor_user_id=None,
            from_status=registration.status.value,
            to_status=Status.WITHDRAWN,
            note="",
        )
        conn.execute(
            "UPDATE exit_registrations SET status = 'withdrawn', status_changed_at = ?"
            " WHERE id = ?",
            (to_db(now), registration.id),
        )
    ids = [registration.id for registration in rows]
    marks = ",".join("?" for _ in ids)
    conn.execute(
        "UPDATE exit_registrations SET user_id = NULL, channel = '', chat_id = '',"
        " full_name = '', birth_date = '', sex = '', ethnicity = '', id_number = '',"
        " phone = '', address = '', household_code = '', monthly_income = NULL,"
        " cause_other = '', support_other = '', question = '', anonymised = 1"
        f" WHERE id IN ({marks})",
        ids,
    )
    conn.execute(
        f"UPDATE exit_registration_history SET note = '' WHERE registration_id IN ({marks})", ids
    )
    return result


async def erase_user(conn: Tx, user_id: int, *, dry_run: bool = False) -> ErasedRegistrations:
    """`erase_user_in` inside a `Database.transaction()` block (the eraser's part)."""
    return await call(conn, lambda raw: erase_user_in(raw, user_id, dry_run=dry_run))
