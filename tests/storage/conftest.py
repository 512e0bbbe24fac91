"""The storage backends the contract tests run against, as aiogram runs its FSM storages.

Every test that takes the `backend` fixture runs once per backend: SQLite on a file, SQLite in
memory, and PostgreSQL (a throwaway server started once per run, a fresh database per test). The
tests are the same for all three.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.audit import AuditLog
from storage.db import Database, connect
from storage.interfaces import (
    LedgerStore,
    OutboxStore,
    QuestionLog,
    RegistrationStore,
    SessionStore,
    UserStore,
)
from storage.ledger import Ledger
from storage.outbox import Outbox
from storage.questions import QuestionRepository
from storage.registrations import RegistrationRepository
from storage.sessions import SessionRepository
from storage.users import UserRepository, Ward

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
WARD = Ward(
    id="20257",
    name="Phường Hòa Cường",
    province="Thành phố Đà Nẵng",
    area="urban",
    code="20257",
    kind="phuong",
    province_code="48",
)
OTHER_WARD = Ward(
    id="31078",
    name="Xã Thạnh Phú",
    province="Thành phố Cần Thơ",
    area="rural",
    code="31078",
    kind="xa",
    province_code="92",
)


@dataclass
class Backend:
    """One backend's stores, typed by the interfaces the rest of the code uses."""

    name: str
    db: Database
    sessions: SessionStore
    users: UserStore
    outbox: OutboxStore
    ledger: LedgerStore
    registrations: RegistrationStore
    questions: QuestionLog
    audit: AuditLog

    async def resident(self, name: str) -> int:
        """A resident of the demo ward; returns the internal id."""
        user = await self.users.get_or_create(
            "test", name, chat_id=f"chat-{name}", language="vi", display_name=name, now=NOW
        )
        await self.users.set_ward(user.id, WARD.id)
        return user.id


def sqlite_backend(name: str, db: Database) -> Backend:
    """The repositories on an open, migrated database (SQLite or PostgreSQL)."""
    return Backend(
        name=name,
        db=db,
        sessions=SessionRepository(db, ttl=timedelta(hours=72)),
        users=UserRepository(db),
        outbox=Outbox(db),
        ledger=Ledger(db),
        registrations=RegistrationRepository(db),
        questions=QuestionRepository(db),
        audit=AuditLog(db),
    )


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Each backend in turn, migrated, with two wards in service.

    PostgreSQL is the throwaway server of `tests/pgserver.py`, a fresh database per test.
    """
    if request.param == "postgresql":
        target = str(request.getfixturevalue("pg_migrated_url"))
    elif request.param == "sqlite-file":
        target = str(tmp_path / "contract.sqlite3")
    else:
        target = ":memory:"
    db = connect(target)
    await db.open()
    try:
        await db.migrate()
        stores = sqlite_backend(str(request.param), db)
        await stores.users.add_ward(WARD)
        await stores.users.add_ward(OTHER_WARD)
        yield stores
    finally:
        await db.close()
