"""Contract: the durable outbox, on every backend."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from storage import inbox
from storage.db import Step
from storage.inbox import WorkerId
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


async def test_two_workers_claim_different_messages_and_a_dead_ones_claims_lapse(
    backend: Backend,
) -> None:
    """Each message is claimed by one live worker; once a worker is gone another takes its rest."""
    outbox = backend.outbox
    first, second = (WorkerId(f"host:{pid}:t", "host", pid) for pid in (1001, 1002))
    for me in (first, second):
        await backend.db.write(
            partial(
                inbox.heartbeat_in,
                me=me,
                now=NOW,
                stale_before=NOW - timedelta(seconds=30),
                alive=lambda pid: True,  # made-up pids, taken for live processes
            )
        )
    for n in range(6):
        await outbox.enqueue(channel="test", chat_id=f"c{n}", body={"text": str(n)}, now=NOW)
    taken_first = await outbox.pending(["test"], limit=4, worker=first.id)
    taken_second = await outbox.pending(["test"], limit=4, worker=second.id)
    assert [m.body["text"] for m in taken_first] == ["0", "1", "2", "3"]
    assert [m.body["text"] for m in taken_second] == ["4", "5"]  # not the first worker's four
    await outbox.mark_sent(taken_first[0].id, now=NOW)
    await backend.db.write(partial(inbox.leave_in, me=first))  # the first worker is gone
    again = await outbox.pending(["test"], worker=second.id)
    assert [m.body["text"] for m in again] == ["1", "2", "3", "4", "5"]  # its claims lapsed


async def test_a_daily_job_is_recorded_once_per_day(backend: Backend) -> None:
    """Of several workers scheduling the same job for the same day, only the first runs it."""

    def record(worker: str, day: str) -> Step[bool]:
        return partial(inbox.job_run_in, name="housekeeping.purge", day=day, worker=worker, now=NOW)

    assert await backend.db.write(record("a", "2026-12-02")) is True
    assert await backend.db.write(record("b", "2026-12-02")) is False
    assert await backend.db.write(record("b", "2026-12-03")) is True
