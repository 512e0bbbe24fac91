"""Contract: registrations to exit poverty and their workflow, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.interfaces import RegistrationStore
from storage.registrations import NewRegistration, Notice, Status
from tests.storage.conftest import NOW, WARD, Backend


def form(user_id: int) -> NewRegistration:
    """What the resident's form collected."""
    return NewRegistration(
        user_id=user_id,
        channel="test",
        chat_id="chat-r",
        ward_id=WARD.id,
        full_name="Nguyễn Văn An",
        birth_date="1980-05-01",
        sex="male",
        ethnicity="Kinh",
        id_number="048080001234",
        phone="0905123456",
        address="12 Lê Thanh Nghị",
        household_code="HN-01",
        members=4,
        monthly_income=6_000_000,
        causes=["capital", "illness"],
        cause_other="",
        supports=["loan"],
        support_other="",
        target_year=2027,
    )


async def test_a_registration_is_stored_once_per_token(backend: Backend) -> None:
    """The same submission token twice gives the same registration, created only once."""
    repo = backend.registrations
    assert isinstance(repo, RegistrationStore)
    user = await backend.resident("r")
    made, created = await repo.create(form(user), token="t1", now=NOW, year=2026)
    again, created_again = await repo.create(form(user), token="t1", now=NOW, year=2026)
    assert (created, created_again) == (True, False)
    assert again == made
    assert (made.code, made.status, made.full_name) == (
        "TN-2026-000001",
        Status.SUBMITTED,
        "Nguyễn Văn An",
    )
    assert await repo.count() == 1
    assert await repo.for_user(user) == [made]
    assert await repo.get(made.id) == made
    assert [h.to_status for h in await repo.history(made.id)] == [Status.SUBMITTED]


async def test_registrations_made_at_once_get_gapless_unique_codes(backend: Backend) -> None:
    """Twenty residents submitting at the same moment get TN-2026-000001 to 000020."""
    repo = backend.registrations
    users = [await backend.resident(f"r{n}") for n in range(20)]
    made = await asyncio.gather(
        *(repo.create(form(user), token=f"t{user}", now=NOW, year=2026) for user in users)
    )
    assert sorted(registration.code for registration, _ in made) == [
        f"TN-2026-{n:06d}" for n in range(1, 21)
    ]


async def test_a_transition_writes_history_audit_and_notice_together(backend: Backend) -> None:
    """A legal move from the expected status changes all four records; a stale one none."""
    repo = backend.registrations
    user = await backend.resident("r")
    made, _ = await repo.create(form(user), token="t", now=NOW, year=2026)
    notice = Notice("test", "chat-r", {"text": "Hồ sơ đang được xem xét"})
    moved = await repo.transition(
        made.id,
        expected=Status.SUBMITTED,
        target=Status.IN_REVIEW,
        actor_user_id=None,
        note="",
        now=NOW,
        action="registration.status",
        notice=notice,
    )
    assert moved is not None and moved.status is Status.IN_REVIEW
    stale = await repo.transition(
        made.id,
        expected=Status.SUBMITTED,
        target=Status.IN_REVIEW,
        actor_user_id=None,
        note="",
        now=NOW,
        action="registration.status",
        notice=notice,
    )
    illegal = await repo.transition(
        made.id,
        expected=Status.IN_REVIEW,
        target=Status.RECOGNISED_EXITED,
        actor_user_id=None,
        note="",
        now=NOW,
        action="registration.status",
    )
    assert (stale, illegal) == (None, None)
    assert [h.to_status for h in await repo.history(made.id)] == [
        Status.SUBMITTED,
        Status.IN_REVIEW,
    ]
    assert [m.body for m in await backend.outbox.pending(["test"])] == [notice.body]
    actions = [e.action for e in await backend.audit.recent(action_prefix="registration.")]
    assert actions == ["registration.status", "registration.submit"]


async def test_ward_lists_summary_and_waiting(backend: Backend) -> None:
    """A ward's list by status, its counts, and who waits more than a week."""
    repo = backend.registrations
    user = await backend.resident("r")
    old, _ = await repo.create(form(user), token="a", now=NOW - timedelta(days=10), year=2026)
    new, _ = await repo.create(form(user), token="b", now=NOW, year=2026)
    await repo.transition(
        new.id,
        expected=Status.SUBMITTED,
        target=Status.WITHDRAWN,
        actor_user_id=user,
        note="",
        now=NOW,
        action="registration.withdraw",
    )
    assert [r.id for r in await repo.in_ward(WARD.id)] == [old.id, new.id]
    assert [r.id for r in await repo.in_ward(WARD.id, status=Status.WITHDRAWN)] == [new.id]
    assert [r.id for r in await repo.in_ward(WARD.id, limit=1, offset=1)] == [new.id]
    summary = await repo.summary(WARD.id)
    assert (summary.total, summary.by_status) == (2, {"submitted": 1, "withdrawn": 1})
    assert (summary.by_cause["capital"], summary.by_support["loan"]) == (1, 1)
    assert [r.id for r in await repo.waiting(NOW, days=7)] == [old.id]
