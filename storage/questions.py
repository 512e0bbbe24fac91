"""Q&A storage: handover questions to commune officers, and the unanswered-question log.

The log keeps questions the knowledge base could not answer, for the curators. Personal data
is masked before a question is written, each entry carries the asker (for `/xoadulieu`, never
shown) and the asker's commune (officers see only theirs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from knowledge.redact import mask_personal
from knowledge.text import normalize
from storage.audit import audit_step, record_in
from storage.clock import from_db, to_db
from storage.db import Connection, Database, Row, Step, Tx, call
from storage.outbox import enqueue_in

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True, slots=True)
class HandoverQuestion:
    """A resident's question sent to the officers of a ward."""

    id: int
    user_id: int
    ward_id: str
    channel: str
    chat_id: str
    text: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class FrequentQuestion:
    """A question text that went unanswered (or was marked unhelpful), with its count.

    Attributes:
        text: The (masked) question.
        count: How many times it was logged.
        last_at: When it was last logged.
        id: The newest log row of the group, which stands for it in buttons.
    """

    text: str
    count: int
    last_at: datetime
    id: int = 0


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    """One row of the unanswered-question log (masked text, the asker's commune)."""

    id: int
    text: str
    normalized: str
    ward_id: str | None


@dataclass(frozen=True, slots=True)
class LearnedPhrasing:
    """A phrasing an officer attached to a knowledge entry."""

    id: int
    entry_id: str
    text: str
    exported: bool


def _question(row: Row) -> HandoverQuestion:
    return HandoverQuestion(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        ward_id=str(row["ward_id"]),
        channel=str(row["channel"]),
        chat_id=str(row["chat_id"]),
        text=str(row["text"]),
        created_at=from_db(row["created_at"]),
        answer=row["answer"],
        answered_at=from_db(row["answered_at"]) if row["answered_at"] else None,
    )


def handover_page_in(
    conn: Connection, ward_id: str | None, status: str, page: int, size: int
) -> tuple[list[HandoverQuestion], bool]:
    """One page of a ward's handed-over questions (every ward for None), newest first.

    `status` is "open", "answered" or anything else for both; returns the page and whether
    another page follows.
    """
    answered = {"open": "AND answered_at IS NULL", "answered": "AND answered_at IS NOT NULL"}
    rows = conn.execute(
        "SELECT * FROM handover_questions WHERE (CAST(? AS TEXT) IS NULL OR ward_id = ?) "
        + answered.get(status, "")
        + " ORDER BY id DESC LIMIT ? OFFSET ?",
        (ward_id, ward_id, size + 1, (page - 1) * size),
    ).fetchall()
    return [_question(row) for row in rows[:size]], len(rows) > size


@dataclass(frozen=True, slots=True)
class NewHandover:
    """A question to hand over; `key` (drawn when the flow starts) makes storing it idempotent."""

    user_id: int
    ward_id: str
    channel: str
    chat_id: str
    text: str
    key: str | None = None


Notify = Callable[[int], Sequence[Step[Any]]]


def create_handover_in(conn: Connection, new: NewHandover, *, now: datetime) -> tuple[int, bool]:
    """`create_handover`'s statement: the existing question for `new.key`, or a new one."""
    if new.key:
        found = conn.execute(
            "SELECT id FROM handover_questions WHERE request_key = ?", (new.key,)
        ).fetchone()
        if found is not None:
            return int(found["id"]), False
    cursor = conn.execute(
        "INSERT INTO handover_questions (user_id, ward_id, channel, chat_id, text, created_at,"
        " request_key) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            new.user_id,
            new.ward_id,
            new.channel,
            new.chat_id,
            new.text[:MAX_QUESTION_CHARS],
            to_db(now),
            new.key or None,
        ),
    )
    return int(cursor.fetchone()[0]), True


class QuestionRepository:
    """Reads and writes handover questions and the question log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_handover(
        self, new: NewHandover, *, now: datetime, notify: Notify | None = None
    ) -> tuple[int, bool]:
        """Store a question for the ward's officers once per key; its number, whether new.

        `notify(number)` gives the steps that tell the officers (outbox messages); they run in
        the same transaction, only when the question is new, so the officers are told once.
        """

        def work(conn: Connection) -> tuple[int, bool]:
            number, created = create_handover_in(conn, new, now=now)
            if created and notify is not None:
                for step in notify(number):
                    step(conn)
            return number, created

        stored: tuple[int, bool] = await self.db.write(work)
        return stored

    async def get(self, question_id: int) -> HandoverQuestion | None:
        """A handover question by number."""
        row = await self.db.fetchone(
            "SELECT * FROM handover_questions WHERE id = ?", (question_id,)
        )
        return _question(row) if row else None

    async def open_for_ward(
        self, ward_id: str | None, *, limit: int = 10
    ) -> list[HandoverQuestion]:
        """Unanswered questions of a ward (all wards when `ward_id` is None), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM handover_questions WHERE answered_at IS NULL"
            " AND (CAST(? AS TEXT) IS NULL OR ward_id = ?) ORDER BY id LIMIT ?",
            (ward_id, ward_id, limit),
        )
        return [_question(r) for r in rows]

    async def answer(
        self,
        conn: Tx,
        question_id: int,
        *,
        answer: str,
        officer_id: int,
        now: datetime,
    ) -> bool:
        """Record the answer inside a `Database.transaction()` block; False if already answered."""
        return await call(
            conn,
            lambda raw: self.answer_in(
                raw, question_id, answer=answer, officer_id=officer_id, now=now
            ),
        )

    async def record_answer(
        self,
        question_id: int,
        *,
        answer: str,
        officer_id: int,
        now: datetime,
        notify: dict[str, Any] | None = None,
        via: str = "chat",
    ) -> bool:
        """Record an officer's answer, its audit row and the resident's copy, in one unit.

        `notify` is the resident's message (`Reply.to_json()`), queued in the outbox to the
        question's channel and chat in the same transaction: an answer is never recorded
        without its delivery. False (nothing written) if the question was answered already.
        """
        answered: bool = await self.db.write(
            partial(
                self.answer_and_queue_in,
                question_id=question_id,
                answer=answer,
                officer_id=officer_id,
                now=now,
                notify=notify,
                via=via,
            )
        )
        return answered

    @classmethod
    def answer_and_queue_in(
        cls,
        conn: Connection,
        question_id: int,
        *,
        answer: str,
        officer_id: int,
        now: datetime,
        notify: dict[str, Any] | None,
        via: str,
    ) -> bool:
        """`record_answer`'s statements, as a step of the caller's transaction."""
        if not cls.answer_in(conn, question_id, answer=answer, officer_id=officer_id, now=now):
            return False
        record_in(
            conn,
            actor_user_id=officer_id,
            action="faq.answer",
            target=f"question:{question_id}",
            detail={"via": via},
            now=now,
        )
        if notify is not None:
            row = conn.execute(
                "SELECT channel, chat_id FROM handover_questions WHERE id = ?", (question_id,)
            ).fetchone()
            enqueue_in(conn, channel=str(row[0]), chat_id=str(row[1]), body=notify, now=now)
        return True

    @staticmethod
    def answer_in(
        conn: Connection, question_id: int, *, answer: str, officer_id: int, now: datetime
    ) -> bool:
        """Record the answer (a `Step` of a unit of work); False if already answered."""
        cursor = conn.execute(
            "UPDATE handover_questions SET answer = ?, answered_by = ?, answered_at = ?"
            " WHERE id = ? AND answered_at IS NULL",
            (answer[: MAX_QUESTION_CHARS * 2], officer_id, to_db(now), question_id),
        )
        return cursor.rowcount == 1

    async def log(
        self,
        text: str,
        kind: str,
        *,
        user_id: int | None,
        ward_id: str | None,
        now: datetime,
    ) -> None:
        """Log an unanswered or unhelpful question, its personal data masked first.

        Args:
            text: The question as typed; identity numbers, phones, e-mails and introduced
                names are masked (`knowledge.redact.mask_personal`) before it is stored.
            kind: "unanswered" or "unhelpful".
            user_id: The asker, so that `/xoadulieu` deletes the entry; never shown.
            ward_id: The asker's commune, so that only its officers (and admins) see it.
            now: The time.
        """
        masked = mask_personal(text[:MAX_QUESTION_CHARS])
        await self.db.execute(
            "INSERT INTO question_log (text, normalized, kind, created_at, user_id, ward_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (masked, normalize(masked), kind, to_db(now), user_id, ward_id),
        )

    async def feedback(self, entry_id: str, *, helpful: bool, now: datetime) -> None:
        """Count a 👍 or 👎 on an answer (no user id)."""
        await self.db.execute(
            "INSERT INTO answer_feedback (entry_id, helpful, created_at) VALUES (?, ?, ?)",
            (entry_id, int(helpful), to_db(now)),
        )

    async def frequent(
        self, *, ward_id: str | None = None, everywhere: bool = False, limit: int = 10
    ) -> list[FrequentQuestion]:
        """The most frequent unanswered or unhelpful questions (grouped by normalised text).

        Args:
            ward_id: Only the questions of residents of this commune.
            everywhere: Every question (admins and the command line); otherwise, without a
                ward, none.
            limit: At most this many.
        """
        if not everywhere and ward_id is None:
            return []
        rows = await self.db.fetchall(
            "SELECT MAX(text) AS text, COUNT(*) AS n, MAX(created_at) AS last_at, MAX(id) AS id"
            " FROM question_log WHERE ? = 1 OR ward_id = ?"
            " GROUP BY normalized ORDER BY n DESC, last_at DESC LIMIT ?",
            (int(everywhere), ward_id, limit),
        )
        return [
            FrequentQuestion(str(r["text"]), int(r["n"]), from_db(r["last_at"]), int(r["id"]))
            for r in rows
        ]

    async def logged(self, log_id: int) -> LoggedQuestion | None:
        """One log row by id."""
        row = await self.db.fetchone(
            "SELECT id, text, normalized, ward_id FROM question_log WHERE id = ?", (log_id,)
        )
        if row is None:
            return None
        return LoggedQuestion(
            int(row["id"]), str(row["text"]), str(row["normalized"]), row["ward_id"]
        )

    async def attach(
        self, question: LoggedQuestion, entry_id: str, *, officer_id: int | None, now: datetime
    ) -> bool:
        """Keep a logged question as a phrasing of an entry and take it off the list.

        In one transaction: the phrasing is stored (once per entry and normalised text), every
        log row of the same text and commune is deleted, and the audit log records who did it.

        Returns:
            False when the entry already had this phrasing.
        """
        added, _, _ = await self.db.unit(
            lambda conn: self.keep_phrasing_in(
                conn, question, entry_id, officer_id=officer_id, now=now
            ),
            lambda conn: conn.execute(
                "DELETE FROM question_log WHERE normalized = ? AND ward_id IS NOT DISTINCT FROM ?",
                (question.normalized, question.ward_id),
            ),
            audit_step(
                actor_user_id=officer_id,
                action="faq.phrasing_attached",
                target=f"faq:{entry_id}",
                now=now,
            ),
        ).commit()
        return bool(added)

    @staticmethod
    def keep_phrasing_in(
        conn: Connection,
        question: LoggedQuestion,
        entry_id: str,
        *,
        officer_id: int | None,
        now: datetime,
    ) -> bool:
        """Store a phrasing once per entry and normalised text; False when it was there."""
        cursor = conn.execute(
            "INSERT INTO learned_phrasings (entry_id, text, normalized, ward_id,"
            " added_by, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                entry_id,
                question.text,
                question.normalized,
                question.ward_id,
                officer_id,
                to_db(now),
            ),
        )
        return cursor.rowcount == 1

    async def learned(self, *, pending_only: bool = False) -> list[LearnedPhrasing]:
        """Attached phrasings, oldest first (only those not yet exported with `pending_only`)."""
        rows = await self.db.fetchall(
            "SELECT id, entry_id, text, exported_at FROM learned_phrasings"
            " WHERE ? = 0 OR exported_at IS NULL ORDER BY id",
            (int(pending_only),),
        )
        return [
            LearnedPhrasing(
                int(r["id"]), str(r["entry_id"]), str(r["text"]), bool(r["exported_at"])
            )
            for r in rows
        ]

    async def mark_exported(self, ids: list[int], *, now: datetime) -> None:
        """Record that these phrasings were written into the content files."""
        await self.db.executemany(
            "UPDATE learned_phrasings SET exported_at = ? WHERE id = ?",
            [(to_db(now), phrasing_id) for phrasing_id in ids],
        )


def erase_user_questions_in(
    conn: Connection, user_id: int, *, dry_run: bool = False
) -> dict[str, int]:
    """Delete a user's handover questions and logged questions (for /xoadulieu); rows by table.

    With `dry_run` nothing is deleted: the rows that would go are counted.
    """
    counts: dict[str, int] = {}
    for table in ("handover_questions", "question_log"):
        if dry_run:
            row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))
            counts[table] = int(row.fetchone()[0])
        else:
            cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            counts[table] = max(cursor.rowcount, 0)
    return counts


async def erase_user_questions(conn: Tx, user_id: int, *, dry_run: bool = False) -> dict[str, int]:
    """`erase_user_questions_in` inside a `Database.transaction()` block (the eraser's part)."""
    return await call(conn, lambda raw: erase_user_questions_in(raw, user_id, dry_run=dry_run))
