"""Durable inbound: store every update before acknowledging it, then handle each exactly once.

A channel turns each platform update into an `Incoming` and awaits `Intake.accept` before it
acknowledges the update (the Telegram offset moves on, a webhook answers 200): `accept` returns
once the rows are committed and on disk. Then, per user, one drain task here handles the user's
stored rows oldest first:

1. the channel rebuilds the `Inbound` from the stored body (`InboxChannel.prepare`);
2. the dispatcher handles it; its final transaction commits the session, the processed mark,
   the row's `handled_at` and the replies together (`storage.inbox.handled_in`);
3. the channel delivers the replies (`InboxChannel.deliver`); what it cannot send goes to the
   outbox. The row is then marked delivered, its text erased, and the user's next row claimed,
   in one write.

So a user's replies go out in the order their messages were handled, whatever the number of
users handled at once. After a crash, a row stored but not handled is handled; a row handled
but not delivered has its stored replies delivered (without attachments, and as new messages
rather than edits). A killed process's claims lapse as soon as a process on the same host sees
its pid gone, or once it has not been seen for `stale_after` (`storage.inbox`); each worker
looks for such orphaned rows every `sweep_interval`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translator
from bot.core.types import Inbound, Reply
from storage import inbox
from storage.clock import from_db, to_db
from storage.inbox import Incoming, Stored, WorkerId

log = logging.getLogger(__name__)


CONCURRENCY = 8
"""Rows handled at once (each a different user). More is not faster: each row in flight holds
a connection of the channel's HTTP pool, and httpcore scans every pooled connection on every
request, so on loopback throughput falls as concurrency grows (bench/echo_bot.py's
`CONCURRENT_UPDATES` has the sweep); against the real APIs, 8 calls of 0.1-0.3 s in flight
carry 25-80 updates/s, above Telegram's ~30 messages/s."""


class InboxChannel(Protocol):
    """What a channel that stores its updates offers the intake."""

    name: str

    async def prepare(self, item: Stored) -> Inbound:
        """The `Inbound` of a stored row (the channel may look at the session first)."""
        ...

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        """Send a stored row's replies; what cannot be sent goes to the outbox, never raises."""
        ...


def inbound_body(inbound: Inbound, **context: Any) -> dict[str, Any]:
    """The stored form of an `Inbound`, with the channel's own context (JSON values)."""
    body: dict[str, Any] = {
        "channel": inbound.channel,
        "user_id": inbound.user_id,
        "chat_id": inbound.chat_id,
        "message_id": inbound.message_id,
        "received_at": to_db(inbound.received_at),
        "text": inbound.text,
        "payload": inbound.payload,
        "language": inbound.language,
        "display_name": inbound.display_name,
        "context": context,
    }
    if inbound.document is not None:
        body["document"] = base64.b64encode(inbound.document).decode("ascii")
    return body


def incoming(inbound: Inbound, **context: Any) -> Incoming:
    """The row to store for an `Inbound` (see `inbound_body`)."""
    return Incoming(
        channel=inbound.channel,
        message_id=inbound.message_id,
        user_id=inbound.user_id,
        received_at=inbound.received_at,
        body=inbound_body(inbound, **context),
    )


def stored_inbound(item: Stored) -> Inbound:
    """The `Inbound` a row was stored from (`inbound_body`'s inverse)."""
    body = item.body
    document = body.get("document")
    return Inbound(
        channel=str(body["channel"]),
        user_id=str(body["user_id"]),
        chat_id=str(body["chat_id"]),
        message_id=str(body["message_id"]),
        received_at=from_db(str(body["received_at"])),
        text=str(body.get("text") or ""),
        payload=body.get("payload"),
        language=body.get("language"),
        display_name=str(body.get("display_name") or ""),
        document=base64.b64decode(document) if document else None,
    )


def context_of(item: Stored) -> Mapping[str, Any]:
    """The channel's context stored with a row (`inbound_body(**context)`)."""
    context = item.body.get("context")
    return context if isinstance(context, dict) else {}


class Intake:
    """Stores updates, and handles the stored ones per user in order, exactly once."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        concurrency: int = CONCURRENCY,
        sweep_interval: float = 2.0,
        stale_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self.dispatcher = dispatcher
        self.db = dispatcher.services.db
        self.clock = dispatcher.services.clock
        self.me = WorkerId.this_process(secrets.token_hex(4))
        self.sweep_interval = sweep_interval
        self.stale_after = stale_after
        self.channels: dict[str, InboxChannel] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._drains: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.handled = 0  # rows handled by this process (tests, benches and /metrics read it)
        self.failures = 0  # rows that failed outside the dispatcher's boundary (/metrics)
        self._closing = False

    def limit(self, concurrency: int) -> None:
        """Handle at most `concurrency` users at once (set before `start`)."""
        self._slots = asyncio.Semaphore(concurrency)

    def attach(self, channel: InboxChannel) -> None:
        """Let the intake hand `channel`'s stored rows back to it."""
        self.channels[channel.name] = channel

    async def start(self) -> None:
        """List this worker and sweep for orphaned rows in the background.

        Call before the channels start (so their first rows are claimed by a listed worker) and
        `sweep()` once they have all attached.
        """
        self._closing = False
        await self._heartbeat()
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="inbox-sweeper")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop sweeping, let the drains finish (up to `grace` seconds), unlist this worker.

        Rows accepted from now on are stored and left for the next worker (`sweep`).
        """
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._drains:
            await asyncio.wait(set(self._drains), timeout=grace)
        for task in set(self._drains):
            task.cancel()
        for task in set(self._drains):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.db.write(partial(inbox.leave_in, me=self.me))

    async def accept(self, items: Sequence[Incoming]) -> None:
        """Store `items` durably (committed and on disk when this returns), then handle them.

        Raises whatever the database raised: then nothing may be acknowledged.
        """
        if not items:
            return
        claimed = await self.db.claim(
            partial(inbox.store_in, items=items, worker=self.me.id, now=self.clock())
        )
        if not self._closing:
            for row in claimed:
                self._start_drain(row)

    async def drain_idle(self, within: float = 10.0) -> None:
        """Wait until no drain runs (tests and the console's end of input)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._drains and loop.time() < deadline:
            await asyncio.wait(set(self._drains), timeout=deadline - loop.time())

    def _start_drain(self, row: Stored) -> None:
        task = asyncio.create_task(self._drain(row), name=f"inbox-{row.channel}")
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)

    async def _drain(self, first: Stored) -> None:
        """Handle a user's rows one by one, oldest first, until none is left.

        A slot is taken per row, not per drain: a user who keeps writing queues behind the
        users waiting for a slot instead of holding one for the whole conversation.
        """
        row: Stored | None = first
        while row is not None:
            current = row
            async with self._slots:
                try:
                    row = await self._one(current)
                except Exception as exc:  # a database error, say: never leave the user held
                    log.error("inbox drain stopped id=%s error=%s", current.id, type(exc).__name__)
                    with contextlib.suppress(Exception):
                        await self.db.write(partial(inbox.release_in, row_id=current.id))
                    return  # released: the sweeper takes the user up again

    async def _one(self, row: Stored) -> Stored | None:
        """Handle and deliver one row; the user's next row (claimed), or None."""
        channel = self.channels.get(row.channel)
        if channel is None:  # not served by this process: leave it for one that serves it
            await self.db.write(partial(inbox.release_in, row_id=row.id))
            return None
        try:
            if row.handled:
                replies = [Reply.from_json(reply) for reply in row.replies]
            else:
                inbound = await channel.prepare(row)
                replies = await self.dispatcher.handle(inbound, inbox_id=row.id)
                self.handled += 1
        except Exception as exc:
            return await self._failed(row, exc)
        try:
            await channel.deliver(row, replies)
        except Exception as exc:  # `deliver` queues what it cannot send; this is a bug there
            log.error("inbox delivery failed id=%s error=%s", row.id, type(exc).__name__)
        return await self.db.claim(
            partial(inbox.delivered_in, row=row, worker=self.me.id, now=self.clock()),
            durable=False,
        )

    async def _failed(self, row: Stored, exc: Exception) -> Stored | None:
        """An error outside the dispatcher's boundary: retry later, or apologise and give up."""
        ref = secrets.token_hex(4).upper()
        self.failures += 1
        attempts = await self.db.write(partial(inbox.failed_in, row_id=row.id))
        log.error(
            "inbox row failed ref=%s id=%s attempts=%d error=%s",
            ref,
            row.id,
            attempts,
            type(exc).__name__,
        )
        if attempts < inbox.MAX_ATTEMPTS:
            return None  # the sweeper takes the user up again
        channel = self.channels[row.channel]
        language = self.dispatcher.services.config.default_language
        with contextlib.suppress(Exception):
            await channel.deliver(row, [Reply(Translator(language)("error.unexpected", ref=ref))])
        return await self.db.claim(
            partial(inbox.delivered_in, row=row, worker=self.me.id, now=self.clock())
        )

    async def _heartbeat(self) -> None:
        now = self.clock()
        # READ COMMITTED on PostgreSQL (`claim`): the registry's upsert and purge are safe so,
        # and a serializable one would conflict with every claim reading the registry.
        removed = await self.db.claim(
            partial(inbox.heartbeat_in, me=self.me, now=now, stale_before=now - self.stale_after)
        )
        if removed:
            log.info("inbox workers gone=%d", removed)

    async def sweep(self) -> int:
        """Claim the rows of users nobody alive handles, and drain them; how many users."""
        if not self.channels or self._closing:
            return 0
        rows = await self.db.claim(
            partial(inbox.orphans_in, channels=list(self.channels), worker=self.me.id)
        )
        for row in rows:
            self._start_drain(row)
        return len(rows)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self._heartbeat()
                await self.sweep()
            except Exception as exc:
                log.error("inbox sweep failed error=%s", type(exc).__name__)
