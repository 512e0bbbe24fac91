"""Users, their roles (resident, officer, admin) and wards (phường/xã)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.clock import to_db
from storage.db import Database

ROLES = ("resident", "officer", "admin")


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as stored."""

    id: int
    channel: str
    external_id: str
    chat_id: str
    role: str
    ward_id: str | None
    language: str
    display_name: str
    active: bool

    def reachable_at(self, chat_id: str) -> bool:
        """Whether the stored row is up to date for a message from `chat_id` (active, same chat)."""
        return self.active and self.chat_id == chat_id


@dataclass(frozen=True, slots=True)
class Ward:
    """A ward or commune (phường/xã)."""

    id: str
    name: str
    district: str
    province: str
    area: str


def _user(row: sqlite3.Row) -> UserRow:
    return UserRow(
        id=int(row["id"]),
        channel=str(row["channel"]),
        external_id=str(row["external_id"]),
        chat_id=str(row["chat_id"]),
        role=str(row["role"]),
        ward_id=row["ward_id"],
        language=str(row["language"]),
        display_name=str(row["display_name"]),
        active=bool(row["active"]),
    )


class UserRepository:
    """Reads and writes users and wards."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(
        self,
        channel: str,
        external_id: str,
        *,
        chat_id: str,
        language: str,
        display_name: str,
        now: datetime,
    ) -> UserRow:
        """The stored user for (channel, external id), created as a resident on first contact."""
        return await self.db.run(
            lambda conn: self.get_or_create_in(
                conn,
                channel,
                external_id,
                chat_id=chat_id,
                language=language,
                display_name=display_name,
                now=now,
            )
        )

    @staticmethod
    def get_or_create_in(
        conn: sqlite3.Connection,
        channel: str,
        external_id: str,
        *,
        chat_id: str,
        language: str,
        display_name: str,
        now: datetime,
    ) -> UserRow:
        """`get_or_create` inside a batch (for `Database.run`); autocommits."""
        user = UserRepository.find_in(conn, channel, external_id)
        if user is not None:
            if user.reachable_at(chat_id):
                return user
            conn.execute(
                "UPDATE users SET chat_id = ?, active = 1 WHERE id = ?", (chat_id, user.id)
            )
        else:
            conn.execute(
                "INSERT OR IGNORE INTO users (channel, external_id, chat_id, language,"
                " display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (channel, external_id, chat_id, language, display_name[:100], to_db(now)),
            )
        stored = UserRepository.find_in(conn, channel, external_id)
        assert stored is not None
        return stored

    async def get(self, user_id: int) -> UserRow | None:
        """A user by internal id."""
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def find(self, channel: str, external_id: str) -> UserRow | None:
        """A user by channel and channel user id."""
        return await self.db.run(lambda conn: self.find_in(conn, channel, external_id))

    @staticmethod
    def find_in(conn: sqlite3.Connection, channel: str, external_id: str) -> UserRow | None:
        """`find` on a given connection (for `Database.run` / `peek`)."""
        row = conn.execute(
            "SELECT * FROM users WHERE channel = ? AND external_id = ?", (channel, external_id)
        ).fetchone()
        return _user(row) if row else None

    async def set_role(
        self, channel: str, external_id: str, role: str, ward_id: str | None, *, now: datetime
    ) -> UserRow:
        """Give a user a role and ward, creating the user row if the person has not written yet."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if role != "resident" and ward_id is not None and await self.ward(ward_id) is None:
            raise ValueError(f"unknown ward {ward_id!r}")
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (channel, external_id, chat_id, role, ward_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, external_id)"
                " DO UPDATE SET role = excluded.role, ward_id = excluded.ward_id",
                (channel, external_id, external_id, role, ward_id, to_db(now)),
            )
        user = await self.find(channel, external_id)
        assert user is not None
        return user

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        await self.db.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def set_ward(self, user_id: int, ward_id: str | None) -> None:
        """Remember a resident's ward."""
        await self.db.execute("UPDATE users SET ward_id = ? WHERE id = ?", (ward_id, user_id))

    async def mark_inactive(self, channel: str, chat_id: str) -> None:
        """Mark a user who blocked the bot as inactive (no more pushes)."""
        await self.db.execute(
            "UPDATE users SET active = 0 WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )

    async def staff(self, *, ward_id: str | None = None) -> list[UserRow]:
        """Officers and admins; with `ward_id`, the active officers of that ward."""
        if ward_id is None:
            rows = await self.db.fetchall(
                "SELECT * FROM users WHERE role IN ('officer', 'admin') ORDER BY id"
            )
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM users WHERE role IN ('officer', 'admin') AND ward_id = ?"
                " AND active = 1 ORDER BY id",
                (ward_id,),
            )
        return [_user(r) for r in rows]

    async def ward(self, ward_id: str) -> Ward | None:
        """A ward by id."""
        row = await self.db.fetchone("SELECT * FROM wards WHERE id = ?", (ward_id,))
        if row is None:
            return None
        return Ward(row["id"], row["name"], row["district"], row["province"], row["area"])

    async def wards(self) -> list[Ward]:
        """All wards by name."""
        rows = await self.db.fetchall("SELECT * FROM wards ORDER BY name")
        return [Ward(r["id"], r["name"], r["district"], r["province"], r["area"]) for r in rows]

    async def add_ward(self, ward: Ward) -> None:
        """Create or update a ward."""
        await self.db.execute(
            "INSERT INTO wards (id, name, district, province, area) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, district = excluded.district,"
            " province = excluded.province, area = excluded.area",
            (ward.id, ward.name, ward.district, ward.province, ward.area),
        )
