"""Contract: users, roles and wards, on every backend."""

from __future__ import annotations

import pytest

from storage.interfaces import UserStore
from storage.users import WardNotFound
from tests.storage.conftest import NOW, OTHER_WARD, WARD, Backend


async def test_first_contact_creates_a_resident_once(backend: Backend) -> None:
    """The same channel id gives the same row; a new chat id is remembered and reactivates."""
    assert isinstance(backend.users, UserStore)
    users = backend.users
    first = await users.get_or_create(
        "test", "u1", chat_id="c1", language="vi", display_name="An", now=NOW
    )
    again = await users.get_or_create(
        "test", "u1", chat_id="c1", language="en", display_name="Other", now=NOW
    )
    assert again == first
    assert (first.role, first.language, first.active, first.ward_id) == (
        "resident",
        "vi",
        True,
        None,
    )
    await users.mark_inactive("test", "c1")
    assert not (await users.find("test", "u1")).active  # type: ignore[union-attr]
    moved = await users.get_or_create(
        "test", "u1", chat_id="c2", language="vi", display_name="An", now=NOW
    )
    assert (moved.id, moved.chat_id, moved.active) == (first.id, "c2", True)
    assert await users.get(first.id) == moved
    assert await users.find("other", "u1") is None


async def test_language_ward_and_roles(backend: Backend) -> None:
    """Settings stick; a role names a ward by code or name; staff lists follow."""
    users = backend.users
    resident = await backend.resident("r1")
    await users.set_language(resident, "en")
    stored = await users.get(resident)
    assert stored is not None and (stored.language, stored.ward_id) == ("en", WARD.id)
    officer = await users.set_role("test", "o1", "officer", "Hoa Cuong", now=NOW)
    admin = await users.set_role("test", "a1", "admin", OTHER_WARD.code, now=NOW)
    assert (officer.role, officer.ward_id) == ("officer", WARD.id)
    assert [u.external_id for u in await users.staff()] == ["o1", "a1"]
    assert [u.external_id for u in await users.staff(ward_id=WARD.id)] == ["o1"]
    assert await users.staff_counts() == {WARD.id: 1, OTHER_WARD.id: 1}
    del admin
    with pytest.raises(WardNotFound):
        await users.set_role("test", "o2", "officer", "Không Có", now=NOW)
    with pytest.raises(ValueError):
        await users.set_role("test", "o2", "mayor", None, now=NOW)
    back = await users.set_role("test", "o1", "resident", None, now=NOW)
    assert (back.id, back.role, back.ward_id) == (officer.id, "resident", None)


async def test_wards_resolve_and_leave_service(backend: Backend) -> None:
    """By id, code or folded name; a ward with records is disabled, an unused one deleted."""
    users = backend.users
    assert [w.id for w in await users.wards()] == [WARD.id, OTHER_WARD.id]
    assert (await users.resolve_ward("phuong hoa cuong")).id == WARD.id
    assert await users.ward_by_code("31078") == await users.ward(OTHER_WARD.id)
    await backend.resident("r2")  # points at WARD
    assert await users.remove_ward(WARD.id) == "disabled"
    assert await users.remove_ward(OTHER_WARD.id) == "deleted"
    assert await users.wards() == []
    assert [w.enabled for w in await users.wards(include_disabled=True)] == [False]
    with pytest.raises(WardNotFound):
        await users.resolve_ward(WARD.id)
    await users.add_ward(WARD)
    assert (await users.resolve_ward(WARD.id)).enabled
