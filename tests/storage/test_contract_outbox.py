"""Contract: the durable outbox, on every backend."""

from __future__ import annotations

from storage.interfaces import OutboxStore
from tests.storage.conftest import NOW, Backend


async def test_queued_messages_come_out_oldest_first_per_channel_and_chat(
    backend: Backend,
) -> None:
    """Pending filters by channel and chat and keeps the body as queued."""
    outbox = backend.outbox
    assert isinstance(outbox, OutboxStore)
    await outbox.enqueue(channel="test", chat_id="c1", body={"text": "Chào bà"}, now=NOW)
    await outbox.enqueue(channel="test", chat_id="c2", body={"text": "hai"}, now=NOW)
    await outbox.enqueue(channel="zalo_oa", chat_id="c1", body={"text": "ba"}, now=NOW)
    assert [m.body["text"] for m in await outbox.pending(["test"])] == ["Chào bà", "hai"]
    assert [m.chat_id for m in await outbox.pending(["test", "zalo_oa"], chat_id="c1")] == [
        "c1",
        "c1",
    ]
    assert await outbox.pending([]) == []
    assert len(await outbox.pending(["test", "zalo_oa"], limit=1)) == 1


async def test_sent_and_failed_messages_leave_the_queue(backend: Backend) -> None:
    """Sent once: gone; failing: retried until the limit or until given up."""
    outbox = backend.outbox
    for text in ("sent", "flaky", "blocked"):
        await outbox.enqueue(channel="test", chat_id=text, body={"text": text}, now=NOW)
    sent, flaky, blocked = await outbox.pending(["test"])
    await outbox.mark_sent(sent.id, now=NOW)
    await outbox.mark_failed(flaky.id, "timeout")
    await outbox.mark_failed(blocked.id, "blocked", give_up=True)
    (left,) = await outbox.pending(["test"])
    assert (left.id, left.attempts) == (flaky.id, 1)
    for _ in range(outbox.MAX_ATTEMPTS):
        await outbox.mark_failed(flaky.id, "timeout")
    assert await outbox.pending(["test"]) == []
