"""Saved self-check results (kết quả tự kiểm tra), kept only when the resident agrees.

A row holds the outcome only: category, standard id, date, income per person and the codes of
the deprived indicators. The answers themselves stay in the session and are never stored here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.db import Database

__all__ = ["SavedResult", "SelfCheckRepository", "erase_self_checks"]

MAX_KEPT = 20
"""Older results beyond this many per user are dropped when a new one is saved."""


@dataclass(frozen=True, slots=True)
class SavedResult:
    """One saved outcome of a self-check."""

    id: int
    user_id: int
    checked_on: date
    standard_id: str
    category: str
    income_per_person: int
    deprived: tuple[str, ...]
    created_at: datetime


class SelfCheckRepository:
    """Stores and lists saved self-check results per internal user id."""

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
    ) -> int:
        """Insert one result (and trim old ones) in one transaction; returns the new id."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO self_check_results (user_id, checked_on, standard_id, category,"
                " income_per_person, deprived, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    checked_on.isoformat(),
                    standard_id,
                    category,
                    income_per_person,
                    json.dumps(list(deprived)),
                    to_db(now),
                ),
            )
            new_id = cursor.lastrowid
            await conn.execute(
                "DELETE FROM self_check_results WHERE user_id = ? AND id NOT IN"
                " (SELECT id FROM self_check_results WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                (user_id, user_id, MAX_KEPT),
            )
        assert new_id is not None
        return new_id

    async def for_user(self, user_id: int) -> list[SavedResult]:
        """The user's saved results, newest first."""
        rows = await self.db.fetchall(
            "SELECT id, user_id, checked_on, standard_id, category, income_per_person, deprived,"
            " created_at FROM self_check_results WHERE user_id = ? ORDER BY id DESC",
            (user_id,),
        )
        return [
            SavedResult(
                id=row["id"],
                user_id=row["user_id"],
                checked_on=date.fromisoformat(row["checked_on"]),
                standard_id=row["standard_id"],
                category=row["category"],
                income_per_person=row["income_per_person"],
                deprived=tuple(json.loads(row["deprived"])),
                created_at=from_db(row["created_at"]),
            )
            for row in rows
        ]


async def erase_self_checks(conn: aiosqlite.Connection, user_id: int) -> int:
    """Delete a user's saved results inside the `/xoadulieu` transaction; returns rows deleted."""
    cursor = await conn.execute("DELETE FROM self_check_results WHERE user_id = ?", (user_id,))
    return cursor.rowcount
