"""The audit log of officer actions (who did what, when); details carry ids, not personal data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Connection, Database, Step, Tx, call


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: datetime
    actor_user_id: int | None
    action: str
    target: str
    detail: dict[str, Any]


def record_in(
    conn: Connection,
    *,
    actor_user_id: int | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Append an audit entry inside the caller's transaction (a `Step` of a unit of work)."""
    conn.execute(
        "INSERT INTO audit_log (at, actor_user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (to_db(now), actor_user_id, action, target, json.dumps(detail or {}, ensure_ascii=False)),
    )


def audit_step(
    *,
    actor_user_id: int | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> Step[None]:
    """`record_in` as a step, for `Database.unit(...)`."""
    return partial(
        record_in, actor_user_id=actor_user_id, action=action, target=target, detail=detail, now=now
    )


async def record_audit(
    conn: Tx,
    *,
    actor_user_id: int | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Append an audit entry inside a `Database.transaction()` block (`record_in`'s SQL)."""
    await call(
        conn,
        audit_step(
            actor_user_id=actor_user_id, action=action, target=target, detail=detail, now=now
        ),
    )


class AuditLog:
    """Reads and appends audit entries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        *,
        actor_user_id: int | None,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        now: datetime,
    ) -> None:
        """Append an entry in its own transaction."""
        await self.db.write(
            audit_step(
                actor_user_id=actor_user_id, action=action, target=target, detail=detail, now=now
            )
        )

    async def recent(self, *, limit: int = 100, action_prefix: str = "") -> list[AuditEntry]:
        """The newest entries, optionally only actions starting with `action_prefix`."""
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE action LIKE ? ORDER BY id DESC LIMIT ?",
            (action_prefix + "%", limit),
        )
        return [
            AuditEntry(
                id=int(r["id"]),
                at=from_db(r["at"]),
                actor_user_id=r["actor_user_id"],
                action=str(r["action"]),
                target=str(r["target"]),
                detail=json.loads(r["detail"]),
            )
            for r in rows
        ]
