"""The durable outbox: messages pushed to other users (an officer's answer, a status change).

A message is stored before anyone is told it will arrive, and marked sent only after the
channel accepted it, so nothing is lost if the bot restarts in between.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from storage.clock import to_db
from storage.db import Connection, Database, Step, Tx, call, dialect_of


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A queued message."""

    id: int
    channel: str
    chat_id: str
    body: dict[str, Any]
    attempts: int


def enqueue_in(
    conn: Connection,
    *,
    channel: str,
    chat_id: str,
    body: dict[str, Any],
    now: datetime,
    subject_user_id: int | None = None,
) -> int:
    """Queue a message inside the caller's transaction (a `Step`); returns its id.

    `subject_user_id` names the user whose personal data the message carries when it goes to
    someone else (a resident's question sent to the officers), so that user's `/xoadulieu`
    deletes it too.
    """
    cursor = conn.execute(
        "INSERT INTO outbox (channel, chat_id, body, created_at, subject_user_id)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        (channel, chat_id, json.dumps(body, ensure_ascii=False), to_db(now), subject_user_id),
    )
    return int(cursor.fetchone()[0])


def enqueue_step(
    *,
    channel: str,
    chat_id: str,
    body: dict[str, Any],
    now: datetime,
    subject_user_id: int | None = None,
) -> Step[int]:
    """`enqueue_in` as a step, for `Database.unit(...)`."""
    return partial(
        enqueue_in,
        channel=channel,
        chat_id=chat_id,
        body=body,
        now=now,
        subject_user_id=subject_user_id,
    )


def erase_user_in(conn: Connection, *, user_id: int, channel: str, chat_id: str) -> int:
    """Delete the messages to a user's chat and those carrying their data (for /xoadulieu)."""
    cursor = conn.execute(
        "DELETE FROM outbox WHERE subject_user_id = ? OR (channel = ? AND chat_id = ?)",
        (user_id, channel, chat_id),
    )
    return max(cursor.rowcount, 0)


async def erase_in(conn: Tx, *, user_id: int, channel: str, chat_id: str) -> int:
    """`erase_user_in` inside a `Database.transaction()` block."""
    return await call(
        conn, partial(erase_user_in, user_id=user_id, channel=channel, chat_id=chat_id)
    )


LOCAL_WORKER = "local"
"""The claimant of a process that names no worker (one process alone on its database)."""


def claim_in(
    conn: Connection,
    *,
    channels: Sequence[str],
    chat_id: str | None,
    limit: int,
    worker: str,
    max_attempts: int,
) -> list[OutboxMessage]:
    """Mark up to `limit` unsent messages claimed by `worker`; those messages, oldest first.

    Free: never claimed, claimed by `worker` itself, or by a worker no longer listed. On
    PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so two workers claiming at the same
    moment take different messages instead of waiting for each other.
    """
    marks = ",".join("?" for _ in channels)
    skip_locked = " FOR UPDATE SKIP LOCKED" if dialect_of(conn) == "postgresql" else ""
    rows = conn.execute(
        "UPDATE outbox SET claimed_by = ? WHERE id IN (SELECT id FROM outbox"
        f" WHERE sent_at IS NULL AND attempts < ? AND channel IN ({marks})"
        " AND (CAST(? AS TEXT) IS NULL OR chat_id = ?)"
        " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_by NOT IN (SELECT id FROM workers))"
        f" ORDER BY id LIMIT ?{skip_locked})"
        " RETURNING id, channel, chat_id, body, attempts",
        (worker, max_attempts, *channels, chat_id, chat_id, worker, limit),
    ).fetchall()
    return sorted(
        (
            OutboxMessage(
                int(r["id"]),
                str(r["channel"]),
                str(r["chat_id"]),
                json.loads(r["body"]),
                int(r["attempts"]),
            )
            for r in rows
        ),
        key=lambda message: message.id,
    )


class Outbox:
    """Queue, fetch and settle pushed messages."""

    MAX_ATTEMPTS = 8

    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(
        self,
        *,
        channel: str,
        chat_id: str,
        body: dict[str, Any],
        now: datetime,
        subject_user_id: int | None = None,
    ) -> None:
        """Queue a message in its own transaction (see `enqueue_in`)."""
        await self.db.write(
            enqueue_step(
                channel=channel,
                chat_id=chat_id,
                body=body,
                now=now,
                subject_user_id=subject_user_id,
            )
        )

    async def pending(
        self,
        channels: list[str],
        *,
        chat_id: str | None = None,
        limit: int = 50,
        worker: str = LOCAL_WORKER,
    ) -> list[OutboxMessage]:
        """Claim unsent messages for `channels` (only `chat_id`'s if given) for `worker`.

        Oldest first. A message another live worker has claimed is not returned, so with
        several workers each message is sent by one of them; a dead worker's claims lapse
        with it (the `workers` registry of `storage.inbox`).
        """
        if not channels:
            return []
        return await self.db.claim(
            partial(
                claim_in,
                channels=channels,
                chat_id=chat_id,
                limit=limit,
                worker=worker,
                max_attempts=self.MAX_ATTEMPTS,
            )
        )

    async def depth(self) -> int:
        """Messages still to send (not sent and not given up), for `/metrics`."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND attempts < ?",
            (self.MAX_ATTEMPTS,),
        )
        return 0 if row is None else int(row[0])

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Settle a delivered message; its text is not kept once the channel has it."""
        await self.db.execute(
            "UPDATE outbox SET sent_at = ?, body = '{}', claimed_by = NULL WHERE id = ?",
            (to_db(now), message_id),
        )

    async def mark_failed(self, message_id: int, error: str, *, give_up: bool = False) -> None:
        """Count a failed attempt (and stop retrying when `give_up`)."""
        await self.db.execute(
            "UPDATE outbox SET attempts = CASE WHEN ? THEN ? ELSE attempts + 1 END,"
            " last_error = ?, claimed_by = NULL WHERE id = ?",
            (give_up, self.MAX_ATTEMPTS, error[:200], message_id),
        )
