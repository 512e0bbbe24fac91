"""Saved self-check results (kết quả tự kiểm tra), kept only when the resident agrees.

A row holds the outcome (category, standard id, date, income per person, the codes of the
deprived indicators) and, for results saved since the transition notices, the answers
themselves (`knowledge.transition.SavedAnswers` as JSON) and the commune the resident named.
The answers let the bot tell the resident, once, what they give under the next standard.

Transition notices (thông báo chuẩn nghèo mới): one per user and kind, recorded in
`notices_sent` in the same transaction as its outbox message, so a restart never sends twice
and never loses one. A resident may opt out (`notice_opt_outs`). `/xoadulieu` deletes the
results, the notice records and the opt-out (`erase_self_checks`): once the results are gone
there is nothing left to notify about, so the opt-out is not needed either.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from knowledge.transition import SavedAnswers
from storage.clock import from_db, to_db
from storage.db import Connection, Database, Tx, call
from storage.outbox import Outbox, enqueue_in
from storage.settings import get_in, put_in

__all__ = [
    "DEFAULT_SEND_ON",
    "NOTICE_2027",
    "DueNotice",
    "NoticeCounts",
    "SavedResult",
    "SelfCheckRepository",
    "erase_self_checks",
]

log = logging.getLogger(__name__)

MAX_KEPT = 20
"""Older results beyond this many per user are dropped when a new one is saved."""

NOTICE_2027 = "standard-2027"
"""Kind of the notice about the 2027–2030 standard (Decree 351/2025/NĐ-CP)."""

DEFAULT_SEND_ON = {NOTICE_2027: date(2026, 12, 15)}
"""The day each kind of notice goes out unless an admin set another (Asia/Ho_Chi_Minh)."""

_COLUMNS = (
    "r.id, r.user_id, r.checked_on, r.standard_id, r.category, r.income_per_person,"
    " r.deprived, r.created_at, r.answers, r.ward_id"
)

# The newest result of the user is the one a notice or a ward count is about.
_NEWEST = "r.id = (SELECT MAX(id) FROM self_check_results WHERE user_id = r.user_id)"


@dataclass(frozen=True, slots=True)
class SavedResult:
    """One saved outcome of a self-check.

    Attributes:
        answers: What the resident answered (None for results saved before answers were kept,
            or stored in a form this version cannot read).
        ward_id: The commune the resident named, when it is a ward served here.
    """

    id: int
    user_id: int
    checked_on: date
    standard_id: str
    category: str
    income_per_person: int
    deprived: tuple[str, ...]
    created_at: datetime
    answers: SavedAnswers | None = None
    ward_id: str | None = None


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A resident whose newest saved result is due a notice, and where to send it."""

    result: SavedResult
    channel: str
    chat_id: str
    language: str


@dataclass(frozen=True, slots=True)
class NoticeCounts:
    """Figures for `giamngheo notices status` (counts only, no one named).

    Attributes:
        due: Residents who would get the notice at the next run.
        queued: Notices queued so far (delivered or still waiting).
        delivered: Of those, delivered by the channel.
        waiting: Of those, still waiting in the outbox.
        failed: Of those, given up (the resident blocked the bot, or too many failures).
        opted_out: Residents who asked for no such notices.
    """

    due: int
    queued: int
    delivered: int
    waiting: int
    failed: int
    opted_out: int


def _answers(text: str | None, result_id: int) -> SavedAnswers | None:
    if text is None:
        return None
    try:
        return SavedAnswers.from_json(text)
    except (ValueError, KeyError, TypeError):
        log.warning("self-check answers unreadable result=%s", result_id)
        return None


def _result(row: Any) -> SavedResult:
    return SavedResult(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        checked_on=date.fromisoformat(row["checked_on"]),
        standard_id=str(row["standard_id"]),
        category=str(row["category"]),
        income_per_person=int(row["income_per_person"]),
        deprived=tuple(json.loads(row["deprived"])),
        created_at=from_db(row["created_at"]),
        answers=_answers(row["answers"], int(row["id"])),
        ward_id=row["ward_id"],
    )


def _setting_key(kind: str) -> str:
    return f"notices.{kind}.send_on"


class SelfCheckRepository:
    """Stores and lists saved self-check results per internal user id, and their notices."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        *,
        user_id: int,
        checked_on: date,
        standard_id: str,
        category: str,
        income_per_person: int,
        deprived: tuple[str, ...],
        now: datetime,
        answers: SavedAnswers | None = None,
        ward_id: str | None = None,
    ) -> int:
        """Insert one result (and trim old ones) in one transaction; returns the new id.

        Args:
            user_id: The internal user id.
            checked_on: The day of the check (Asia/Ho_Chi_Minh).
            standard_id: The standard the result was assessed under.
            category: The category it gave.
            income_per_person: Monthly income per person, đồng.
            deprived: Codes of the deprived indicators.
            now: The time of saving.
            answers: The answers, so a later standard can be applied to them (None: not kept).
            ward_id: The commune the resident named, when it is a ward served here.
        """
        row = (
            user_id,
            checked_on.isoformat(),
            standard_id,
            category,
            income_per_person,
            json.dumps(list(deprived)),
            to_db(now),
            answers.to_json() if answers is not None else None,
            ward_id,
        )
        new_id, _ = await self.db.unit(
            lambda conn: conn.execute(
                "INSERT INTO self_check_results (user_id, checked_on, standard_id, category,"
                " income_per_person, deprived, created_at, answers, ward_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                row,
            ).fetchone()[0],
            lambda conn: conn.execute(
                "DELETE FROM self_check_results WHERE user_id = ? AND id NOT IN"
                " (SELECT id FROM self_check_results WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                (user_id, user_id, MAX_KEPT),
            ),
        ).commit()
        assert new_id is not None
        return int(new_id)

    async def for_user(self, user_id: int) -> list[SavedResult]:
        """The user's saved results, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM self_check_results r WHERE r.user_id = ? ORDER BY r.id DESC",
            (user_id,),
        )
        return [_result(row) for row in rows]

    async def newest_in_ward(self, ward_id: str | None, *, before: date) -> list[SavedResult]:
        """Each user's newest result with answers, checked before `before`, in a ward.

        Args:
            ward_id: The ward; None for every ward (an admin's overview), never the results
                of residents who named no ward served here.
            before: Only results checked before this day (those under an older standard).
        """
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM self_check_results r WHERE {_NEWEST}"
            " AND r.answers IS NOT NULL AND r.checked_on < ? AND r.ward_id IS NOT NULL"
            " AND (CAST(? AS TEXT) IS NULL OR r.ward_id = ?) ORDER BY r.id",
            (before.isoformat(), ward_id, ward_id),
        )
        return [_result(row) for row in rows]

    # --- transition notices -----------------------------------------------------------------

    async def due_notices(self, kind: str, *, before: date) -> list[DueNotice]:
        """Residents due a notice of `kind`, oldest result first.

        Due: the user's newest saved result has answers and was checked before `before`, the
        user is reachable (active), has not opted out and has no notice of this kind yet.
        """
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS}, u.channel, u.chat_id, u.language FROM self_check_results r"
            f" JOIN users u ON u.id = r.user_id WHERE {_NEWEST}"
            " AND r.answers IS NOT NULL AND r.checked_on < ? AND u.active = 1"
            " AND NOT EXISTS (SELECT 1 FROM notice_opt_outs o WHERE o.user_id = r.user_id)"
            " AND NOT EXISTS (SELECT 1 FROM notices_sent n"
            "  WHERE n.user_id = r.user_id AND n.kind = ?)"
            " ORDER BY r.id",
            (before.isoformat(), kind),
        )
        return [
            DueNotice(
                result=_result(row),
                channel=str(row["channel"]),
                chat_id=str(row["chat_id"]),
                language=str(row["language"]),
            )
            for row in rows
        ]

    async def queue_notice(
        self, kind: str, due: DueNotice, *, body: dict[str, Any], now: datetime
    ) -> bool:
        """Record the notice and queue its outbox message in one transaction.

        Nothing is queued when the user already has a notice of this kind, opted out, or no
        longer has the result (deleted it with /xoadulieu since `due` was read). The message
        carries the user's data, so their /xoadulieu deletes it while it waits.

        Returns:
            Whether a message was queued.
        """
        queued: bool = await self.db.write(
            lambda conn: self.queue_notice_in(conn, kind, due, body=body, now=now)
        )
        return queued

    @staticmethod
    def queue_notice_in(
        conn: Connection, kind: str, due: DueNotice, *, body: dict[str, Any], now: datetime
    ) -> bool:
        """`queue_notice`'s statements inside the caller's transaction."""
        user_id = due.result.user_id
        cursor = conn.execute(
            "INSERT INTO notices_sent (user_id, result_id, kind, queued_at)"
            " SELECT ?, ?, ?, ? WHERE EXISTS"
            " (SELECT 1 FROM self_check_results WHERE id = ? AND user_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM notice_opt_outs WHERE user_id = ?)"
            " ON CONFLICT (user_id, kind) DO NOTHING",
            (user_id, due.result.id, kind, to_db(now), due.result.id, user_id, user_id),
        )
        if cursor.rowcount != 1:
            return False
        outbox_id = enqueue_in(
            conn,
            channel=due.channel,
            chat_id=due.chat_id,
            body=body,
            now=now,
            subject_user_id=user_id,
        )
        conn.execute(
            "UPDATE notices_sent SET outbox_id = ? WHERE user_id = ? AND kind = ?",
            (outbox_id, user_id, kind),
        )
        return True

    async def opt_out(self, user_id: int, *, now: datetime) -> bool:
        """Stop notices for the user, dropping one still waiting to go out.

        Returns:
            False when the user had already opted out.
        """
        added, _ = await self.db.unit(
            lambda conn: (
                conn.execute(
                    "INSERT INTO notice_opt_outs (user_id, opted_out_at) VALUES (?, ?)"
                    " ON CONFLICT (user_id) DO NOTHING",
                    (user_id, to_db(now)),
                ).rowcount
                == 1
            ),
            lambda conn: conn.execute(
                "DELETE FROM outbox WHERE sent_at IS NULL AND id IN"
                " (SELECT outbox_id FROM notices_sent WHERE user_id = ?)",
                (user_id,),
            ),
        ).commit()
        return bool(added)

    async def opted_out(self, user_id: int) -> bool:
        """Whether the user asked for no notices."""
        row = await self.db.fetchone("SELECT 1 FROM notice_opt_outs WHERE user_id = ?", (user_id,))
        return row is not None

    async def send_on(self, kind: str) -> date:
        """The day notices of `kind` go out (the admin's setting, else the default)."""
        key = _setting_key(kind)
        found = await self.db.run(lambda conn: get_in(conn, [key]))
        if key not in found:
            return DEFAULT_SEND_ON[kind]
        return date.fromisoformat(found[key])

    async def set_send_on(self, kind: str, day: date, *, now: datetime) -> None:
        """Set the day notices of `kind` go out."""
        row = (_setting_key(kind), day.isoformat(), to_db(now))
        await self.db.write(lambda conn: put_in(conn, [row]))

    async def notice_counts(self, kind: str, *, before: date) -> NoticeCounts:
        """How many are due, queued (delivered / waiting) and opted out."""
        due = len(await self.due_notices(kind, before=before))
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS queued,"
            " COALESCE(SUM(o.sent_at IS NOT NULL), 0) AS delivered,"
            " COALESCE(SUM(o.sent_at IS NULL AND o.attempts < ?), 0) AS waiting,"
            " COALESCE(SUM(o.sent_at IS NULL AND o.attempts >= ?), 0) AS failed"
            " FROM notices_sent n LEFT JOIN outbox o ON o.id = n.outbox_id WHERE n.kind = ?",
            (Outbox.MAX_ATTEMPTS, Outbox.MAX_ATTEMPTS, kind),
        )
        opted = await self.db.fetchone("SELECT COUNT(*) AS n FROM notice_opt_outs")
        assert row is not None and opted is not None
        return NoticeCounts(
            due=due,
            queued=int(row["queued"]),
            delivered=int(row["delivered"]),
            waiting=int(row["waiting"]),
            failed=int(row["failed"]),
            opted_out=int(opted["n"]),
        )


ERASED_TABLES = ("self_check_results", "notices_sent", "notice_opt_outs")
"""The tables `/xoadulieu` empties of a user's rows, in order."""


def erase_self_checks_in(
    conn: Connection, user_id: int, *, dry_run: bool = False
) -> dict[str, int]:
    """Delete a user's results, notice records and opt-out inside `/xoadulieu`; rows by table.

    With `dry_run` nothing is deleted: the rows that would go are counted. The queued notice
    itself is in the outbox, addressed to the user's chat and marked as carrying their data:
    `/xoadulieu` deletes it with the outbox eraser.
    """
    counts: dict[str, int] = {}
    for table in ERASED_TABLES:
        if dry_run:
            row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))
            counts[table] = int(row.fetchone()[0])
        else:
            cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            counts[table] = max(cursor.rowcount, 0)
    return counts


async def erase_self_checks(conn: Tx, user_id: int) -> int:
    """`erase_self_checks_in` inside a `Database.transaction()` block; the rows removed."""
    counts = await call(conn, lambda raw: erase_self_checks_in(raw, user_id))
    return sum(counts.values())
