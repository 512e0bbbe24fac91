"""Users, their roles (resident, officer, admin) and the wards served (xã, phường, đặc khu).

A ward (the code's word for any commune-level unit: xã, phường or đặc khu) is in service when
its row exists with `enabled = 1`; it is added by its official code (`giamngheo ward add`).
Since 01/07/2025 there is no district level: a ward belongs directly to one of the 34 provinces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowledge.admin_units import Unit
from knowledge.text import strip_diacritics
from storage.clock import to_db
from storage.db import Connection, Database, Row

ROLES = ("resident", "officer", "admin")
KINDS = ("xa", "phuong", "dac_khu")
AREAS = ("rural", "urban", "unknown")
# Tables whose rows point at a ward; a ward with any of them is disabled, never deleted.
_RECORD_TABLES = (
    "users",
    "exit_registrations",
    "handover_questions",
    "donation_campaigns",
    "donation_entries",
    "donation_ward_codes",
)


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
    """A commune-level unit served by the assistant (xã, phường or đặc khu).

    Attributes:
        id: The stored id: the official code for wards added since 0007 (e.g. "20257"); older
            rows keep their slug (e.g. "hoa-cuong-bac").
        name: The official name with its kind, e.g. "Phường Hòa Cường" (never a demo label).
        province: The province's name, e.g. "Thành phố Đà Nẵng".
        area: "urban" (phường), "rural" (xã) or "unknown" (đặc khu, provisional).
        code: The official 5-digit code; None only for rows created before 0007.
        kind: "xa", "phuong", "dac_khu" or "" when not known.
        province_code: The official 2-digit province code ("" when not known).
        demo: Whether the row belongs to the demo data.
        enabled: False for a ward taken out of service that still has records.
    """

    id: str
    name: str
    province: str
    area: str
    code: str | None = None
    kind: str = ""
    province_code: str = ""
    demo: bool = False
    enabled: bool = True


def ward_from_unit(unit: Unit, *, demo: bool = False) -> Ward:
    """The ward row for an official unit: its code as id, area from its kind (provisional)."""
    return Ward(
        id=unit.code,
        name=unit.name,
        province=unit.province_name,
        area=unit.area,
        code=unit.code,
        kind=unit.kind,
        province_code=unit.province_code,
        demo=demo,
    )


class WardNotFound(ValueError):
    """No ward in service matches the text (the message is Vietnamese, for the CLI)."""


def _ward(row: Row) -> Ward:
    return Ward(
        id=str(row["id"]),
        name=str(row["name"]),
        province=str(row["province"]),
        area=str(row["area"]),
        code=row["code"],
        kind=str(row["kind"]),
        province_code=str(row["province_code"]),
        demo=bool(row["demo"]),
        enabled=bool(row["enabled"]),
    )


def _folded(text: str) -> str:
    return " ".join(strip_diacritics(text).lower().replace(".", " ").split())


def _short(name: str) -> str:
    """The folded name without its kind ("Phường Hòa Cường" → "hoa cuong")."""
    folded = _folded(name)
    for prefix in ("dac khu ", "phuong ", "xa "):
        if folded.startswith(prefix):
            return folded.removeprefix(prefix)
    return folded


def _user(row: Row) -> UserRow:
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
        conn: Connection,
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
                "INSERT INTO users (channel, external_id, chat_id, language,"
                " display_name, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
    def find_in(conn: Connection, channel: str, external_id: str) -> UserRow | None:
        """`find` on a given connection (for `Database.run` / `peek`)."""
        row = conn.execute(
            "SELECT * FROM users WHERE channel = ? AND external_id = ?", (channel, external_id)
        ).fetchone()
        return _user(row) if row else None

    async def set_role(
        self, channel: str, external_id: str, role: str, ward_id: str | None, *, now: datetime
    ) -> UserRow:
        """Give a user a role and ward, creating the user row if the person has not written yet.

        For staff, `ward_id` may be the id, the official code or the name (diacritics optional)
        of a ward in service; anything else raises `WardNotFound` (see `resolve_ward`).
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if role != "resident" and ward_id is not None:
            ward_id = (await self.resolve_ward(ward_id)).id
        resolved = ward_id
        return await self.db.write(
            lambda conn: self.set_role_in(conn, channel, external_id, role, resolved, now=now)
        )

    @staticmethod
    def set_role_in(
        conn: Connection,
        channel: str,
        external_id: str,
        role: str,
        ward_id: str | None,
        *,
        now: datetime,
    ) -> UserRow:
        """`set_role`'s statements (the ward already resolved); the caller owns the transaction."""
        conn.execute(
            "INSERT INTO users (channel, external_id, chat_id, role, ward_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, external_id)"
            " DO UPDATE SET role = excluded.role, ward_id = excluded.ward_id",
            (channel, external_id, external_id, role, ward_id, to_db(now)),
        )
        user = UserRepository.find_in(conn, channel, external_id)
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
        return await self.db.run(lambda conn: self.staff_in(conn, ward_id=ward_id))

    @staticmethod
    def staff_in(conn: Connection, *, ward_id: str | None = None) -> list[UserRow]:
        """`staff`'s statement on a given connection (inside a transaction, say)."""
        if ward_id is None:
            rows = conn.execute(
                "SELECT * FROM users WHERE role IN ('officer', 'admin') ORDER BY id"
            ).fetchall()
        else:
            rows = conn.execute(
                "SELECT * FROM users WHERE role IN ('officer', 'admin') AND ward_id = ?"
                " AND active = 1 ORDER BY id",
                (ward_id,),
            ).fetchall()
        return [_user(r) for r in rows]

    async def ward(self, ward_id: str) -> Ward | None:
        """A ward by id, in service or not."""
        row = await self.db.fetchone("SELECT * FROM wards WHERE id = ?", (ward_id,))
        return _ward(row) if row else None

    async def ward_by_code(self, code: str) -> Ward | None:
        """A ward by official code, in service or not."""
        row = await self.db.fetchone("SELECT * FROM wards WHERE code = ?", (code,))
        return _ward(row) if row else None

    async def wards(self, *, include_disabled: bool = False) -> list[Ward]:
        """The wards in service (with `include_disabled`, every stored ward) by name."""
        where = "" if include_disabled else " WHERE enabled = 1"
        rows = await self.db.fetchall(f"SELECT * FROM wards{where} ORDER BY name, province, id")
        return [_ward(r) for r in rows]

    async def resolve_ward(self, text: str) -> Ward:
        """The ward in service named by its id, official code or name (diacritics optional).

        Raises:
            WardNotFound: Nothing in service matches, or a name matches several wards; the
                message (Vietnamese) says what to do.
        """
        text = text.strip()
        found = await self.ward(text) or await self.ward_by_code(text)
        if found is not None and found.enabled:
            return found
        if found is None:
            wanted = _short(text)
            named = [w for w in await self.wards() if _short(w.name) == wanted]
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                listed = "; ".join(f"{w.name}, {w.province}: {w.code or w.id}" for w in named)
                raise WardNotFound(f"có nhiều xã/phường tên {text!r} ({listed}); hãy dùng mã")
        raise WardNotFound(
            f"xã/phường/đặc khu {text!r} chưa dùng trợ lý. Thêm trước bằng:"
            f" giamngheo ward add {text!r}"
        )

    async def add_ward(self, ward: Ward) -> None:
        """Create or update a ward (and put it back in service)."""
        if ward.kind not in ("", *KINDS) or ward.area not in AREAS:
            raise ValueError(f"bad ward kind/area {ward.kind!r}/{ward.area!r}")
        await self.db.execute(
            "INSERT INTO wards (id, code, name, kind, province_code, province, area, demo,"
            " enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET"
            " code = excluded.code, name = excluded.name, kind = excluded.kind,"
            " province_code = excluded.province_code, province = excluded.province,"
            " area = excluded.area, demo = excluded.demo, enabled = 1",
            (
                ward.id,
                ward.code,
                ward.name,
                ward.kind,
                ward.province_code,
                ward.province,
                ward.area,
                int(ward.demo),
            ),
        )

    async def ward_records(self, ward_id: str) -> dict[str, int]:
        """How many rows of each table point at the ward (only tables with some)."""

        def count(conn: Connection) -> dict[str, int]:
            found = {}
            for table in _RECORD_TABLES:
                (n,) = conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE ward_id = ?", (ward_id,)
                ).fetchone()
                if n:
                    found[table] = int(n)
            return found

        return await self.db.run(count)

    async def remove_ward(self, ward_id: str) -> str:
        """Take a ward out of service: "deleted" when nothing points at it, else "disabled".

        A disabled ward keeps its row so its registrations, questions, campaigns and ledger
        entries (append-only) stay readable; residents can no longer choose it and no officer
        can be given it. `add_ward` puts it back in service.
        """
        if await self.ward_records(ward_id):
            await self.db.execute("UPDATE wards SET enabled = 0 WHERE id = ?", (ward_id,))
            return "disabled"
        await self.db.execute("DELETE FROM wards WHERE id = ?", (ward_id,))
        return "deleted"

    async def staff_counts(self) -> dict[str, int]:
        """The number of officers and admins of each ward id (wards with none are absent)."""
        rows = await self.db.fetchall(
            "SELECT ward_id, COUNT(*) AS n FROM users WHERE role IN ('officer', 'admin')"
            " AND ward_id IS NOT NULL GROUP BY ward_id"
        )
        return {str(r["ward_id"]): int(r["n"]) for r in rows}
