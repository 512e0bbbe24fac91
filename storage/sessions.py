"""Conversation sessions and the ids of messages already handled (dedupe).

A session is written through on every change, so after a restart or `kill -9` the user goes
on at the same step. The processed-message mark is written in the same transaction as the
session, so a message is either fully handled and remembered, or neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Connection, Database


@dataclass(slots=True)
class Session:
    """Where a user is in a conversation: the flow, its step and the data gathered so far.

    `offered` holds the (label, payload) choices last shown, so a typed number or label
    works wherever buttons were offered.
    """

    channel: str
    user_id: str
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    offered: list[tuple[str, str]] = field(default_factory=list)
    offered_text: bool = False
    updated_at: datetime | None = None

    def clear(self) -> None:
        """Leave any flow and forget its data."""
        self.flow = None
        self.step = None
        self.data = {}

    def enter(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start `flow` at `step` with fresh data."""
        self.flow = flow
        self.step = step
        self.data = dict(data or {})


class SessionRepository:
    """Loads and saves sessions; remembers processed message ids."""

    def __init__(self, db: Database, *, ttl: timedelta = timedelta(hours=72)) -> None:
        self.db = db
        self.ttl = ttl

    async def load(self, channel: str, user_id: str, *, now: datetime) -> Session:
        """The user's session; an expired one comes back cleared."""
        return await self.db.run(lambda conn: self.load_in(conn, channel, user_id, now=now))

    def load_in(self, conn: Connection, channel: str, user_id: str, *, now: datetime) -> Session:
        """`load` on a given connection (for `Database.run` or `Database.peek`)."""
        row = conn.execute(
            "SELECT flow, step, data, offered, offered_text, updated_at FROM sessions"
            " WHERE channel = ? AND user_id = ?",
            (channel, user_id),
        ).fetchone()
        if row is None:
            return Session(channel, user_id)
        updated = from_db(row["updated_at"])
        if now - updated > self.ttl:
            return Session(channel, user_id, updated_at=updated)
        return Session(
            channel,
            user_id,
            flow=row["flow"],
            step=row["step"],
            data=json.loads(row["data"]),
            offered=[(str(a), str(b)) for a, b in json.loads(row["offered"])],
            offered_text=bool(row["offered_text"]),
            updated_at=updated,
        )

    async def is_processed(self, channel: str, message_id: str) -> bool:
        """Whether this message was already handled."""
        return await self.db.run(lambda conn: self.is_processed_in(conn, channel, message_id))

    @staticmethod
    def is_processed_in(conn: Connection, channel: str, message_id: str) -> bool:
        """`is_processed` on a given connection (for `Database.run` or `Database.peek`)."""
        row = conn.execute(
            "SELECT 1 FROM processed_messages WHERE channel = ? AND message_id = ?",
            (channel, message_id),
        ).fetchone()
        return row is not None

    async def save(self, session: Session, *, now: datetime, message_id: str | None) -> None:
        """Write the session and (if given) mark the message processed, in one transaction.

        Committed, not waited on to reach the disk (`Database.write(durable=False)`): it
        survives a restart and `kill -9`; a power cut may lose the last step, and the message
        may then be handled again. Records that matter beyond the conversation (registrations,
        gifts, roles) are written durably by their own repositories.
        """
        await self.db.write(
            lambda conn: self.save_in(conn, session, now=now, message_id=message_id),
            durable=False,
        )

    @staticmethod
    def save_in(
        conn: Connection, session: Session, *, now: datetime, message_id: str | None
    ) -> None:
        """`save`'s statements inside a batch; the caller owns the transaction."""
        session.updated_at = now
        conn.execute(
            "INSERT INTO sessions (channel, user_id, flow, step, data, offered, offered_text,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id)"
            " DO UPDATE SET flow = excluded.flow, step = excluded.step, data = excluded.data,"
            " offered = excluded.offered, offered_text = excluded.offered_text,"
            " updated_at = excluded.updated_at",
            (
                session.channel,
                session.user_id,
                session.flow,
                session.step,
                json.dumps(session.data, ensure_ascii=False),
                json.dumps(session.offered, ensure_ascii=False),
                int(session.offered_text),
                to_db(now),
            ),
        )
        if message_id is not None:
            conn.execute(
                "INSERT INTO processed_messages (channel, message_id, processed_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (session.channel, message_id, to_db(now)),
            )

    async def delete(self, channel: str, user_id: str) -> None:
        """Forget the user's session (used by data deletion)."""
        await self.db.execute(
            "DELETE FROM sessions WHERE channel = ? AND user_id = ?", (channel, user_id)
        )

    async def purge(
        self, *, now: datetime, keep_processed: timedelta = timedelta(days=7)
    ) -> tuple[int, int]:
        """Drop expired sessions and old processed-message marks; how many of each went.

        A session past its time to live is never resumed (`load` clears it), so what it holds
        (an abandoned form's ID number, phone) is deleted here; a message id older than
        `keep_processed` is past any channel's redelivery.
        """
        removed: tuple[int, int] = await self.db.write(
            lambda conn: self.purge_in(
                conn, expired_before=now - self.ttl, processed_before=now - keep_processed
            )
        )
        return removed

    @staticmethod
    def purge_in(
        conn: Connection, *, expired_before: datetime, processed_before: datetime
    ) -> tuple[int, int]:
        """`purge`'s statements inside a batch; the caller owns the transaction."""
        sessions = conn.execute(
            "DELETE FROM sessions WHERE updated_at < ?", (to_db(expired_before),)
        ).rowcount
        processed = conn.execute(
            "DELETE FROM processed_messages WHERE processed_at < ?", (to_db(processed_before),)
        ).rowcount
        return max(sessions, 0), max(processed, 0)
