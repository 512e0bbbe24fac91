"""Contract: sessions and processed-message marks, on every backend."""

from __future__ import annotations

from datetime import timedelta

from storage.interfaces import SessionStore
from storage.sessions import Session
from tests.storage.conftest import NOW, Backend


async def test_a_saved_session_loads_back_with_its_step_data_and_choices(
    backend: Backend,
) -> None:
    """Flow, step, data (with Vietnamese text) and offered choices survive a round trip."""
    assert isinstance(backend.sessions, SessionStore)
    session = Session("test", "u1", flow="exit_registration", step="phone")
    session.data = {"full_name": "Nguyễn Văn An", "members": 4}
    session.offered = [("Có", "reg:yes"), ("Không", "reg:no")]
    session.offered_text = True
    await backend.sessions.save(session, now=NOW, message_id="m1")
    loaded = await backend.sessions.load("test", "u1", now=NOW + timedelta(minutes=5))
    assert (loaded.flow, loaded.step) == ("exit_registration", "phone")
    assert loaded.data == {"full_name": "Nguyễn Văn An", "members": 4}
    assert loaded.offered == [("Có", "reg:yes"), ("Không", "reg:no")]
    assert loaded.offered_text is True
    assert loaded.updated_at == NOW


async def test_an_unknown_user_gets_an_empty_session(backend: Backend) -> None:
    """Nothing stored: no flow, no data."""
    loaded = await backend.sessions.load("test", "nobody", now=NOW)
    assert (loaded.flow, loaded.step, loaded.data, loaded.updated_at) == (None, None, {}, None)


async def test_an_expired_session_comes_back_cleared(backend: Backend) -> None:
    """Past the time to live the user starts afresh, though the row is still there."""
    session = Session("test", "u2", flow="self_check", step="members", data={"members": 3})
    await backend.sessions.save(session, now=NOW, message_id=None)
    late = NOW + backend.sessions.ttl + timedelta(minutes=1)
    loaded = await backend.sessions.load("test", "u2", now=late)
    assert (loaded.flow, loaded.step, loaded.data) == (None, None, {})
    assert loaded.updated_at == NOW


async def test_saving_marks_the_message_processed_per_channel(backend: Backend) -> None:
    """The mark is written with the session; another channel's same id is not marked."""
    await backend.sessions.save(Session("test", "u3"), now=NOW, message_id="42")
    assert await backend.sessions.is_processed("test", "42")
    assert not await backend.sessions.is_processed("other", "42")
    assert not await backend.sessions.is_processed("test", "43")
    await backend.sessions.save(Session("test", "u3"), now=NOW, message_id="42")  # redelivery
    assert await backend.sessions.is_processed("test", "42")


async def test_delete_forgets_only_that_users_session(backend: Backend) -> None:
    """Deletion (for /xoadulieu) leaves other users alone."""
    for user in ("a", "b"):
        await backend.sessions.save(
            Session("test", user, flow="faq", step="x"), now=NOW, message_id=None
        )
    await backend.sessions.delete("test", "a")
    assert (await backend.sessions.load("test", "a", now=NOW)).flow is None
    assert (await backend.sessions.load("test", "b", now=NOW)).flow == "faq"


async def test_purge_removes_expired_sessions_and_old_marks_only(backend: Backend) -> None:
    """A 400-day-old form (with its CCCD) goes; a fresh session and a recent mark stay."""
    old = Session("test", "old", flow="exit_registration", step="id", data={"id": "048090001234"})
    await backend.sessions.save(old, now=NOW - timedelta(days=400), message_id="old-m")
    await backend.sessions.save(
        Session("test", "new", flow="faq", step="x"), now=NOW, message_id="new-m"
    )
    removed = await backend.sessions.purge(now=NOW, keep_processed=timedelta(days=7))
    assert removed == (1, 1)
    assert not await backend.sessions.is_processed("test", "old-m")
    assert await backend.sessions.is_processed("test", "new-m")
    assert (await backend.sessions.load("test", "new", now=NOW)).flow == "faq"
    expired = await backend.sessions.load("test", "old", now=NOW)
    assert expired.updated_at is None  # the row itself is gone, not just hidden
    assert await backend.sessions.purge(now=NOW) == (0, 0)
