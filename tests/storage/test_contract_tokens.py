"""The Zalo OA token pair and the audit log, on every backend."""

from __future__ import annotations

from storage.zalo_tokens import TokenPair, ZaloTokenStore
from tests.storage.conftest import NOW, Backend


async def test_the_token_pair_is_seeded_once_and_replaced_whole(backend: Backend) -> None:
    """Seeding keeps a stored pair; saving replaces both tokens."""
    store = ZaloTokenStore(backend.db)
    assert await store.load() is None
    assert await store.seed(TokenPair("a1", "r1"), now=NOW) == TokenPair("a1", "r1")
    assert await store.seed(TokenPair("a0", "r0"), now=NOW) == TokenPair("a1", "r1")
    await store.save(TokenPair("a2", "r2"), now=NOW)
    assert await store.load() == TokenPair("a2", "r2")


async def test_audit_entries_are_read_newest_first_by_prefix(backend: Backend) -> None:
    """Entries keep actor, target and detail; the prefix filters actions."""
    for action in ("officer.add", "ward.add", "officer.remove"):
        await backend.audit.record(
            actor_user_id=None, action=action, target="user:1", detail={"n": 1}, now=NOW
        )
    entries = await backend.audit.recent(action_prefix="officer.")
    assert [e.action for e in entries] == ["officer.remove", "officer.add"]
    assert (entries[0].target, entries[0].detail, entries[0].at) == ("user:1", {"n": 1}, NOW)
    assert len(await backend.audit.recent(limit=2)) == 2
