"""Sending replies: the channel contract and the durable outbox worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from bot.core.errors import RecipientBlocked
from bot.core.turn import Clock, Services
from bot.core.types import Reply
from storage.outbox import LOCAL_WORKER, Outbox
from storage.users import UserRepository

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What every channel adapter offers the core: send replies to one chat."""

    name: str

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver replies in order; raise `RecipientBlocked` or `ChannelError` on failure."""
        ...


class OutboxWorker:
    """Delivers queued pushes through the channels present in this process.

    With several workers on one database, each claims the messages it sends (`Outbox.pending`),
    so a message goes out once.
    """

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        users: UserRepository,
        clock: Clock,
        *,
        interval: float = 2.0,
        only_chat: str | None = None,
        worker: str = LOCAL_WORKER,
    ) -> None:
        self.outbox = outbox
        self.worker = worker  # the claimant: this process's id in the `workers` registry
        self.senders = dict(senders)
        self.users = users
        self.clock = clock
        self.interval = interval
        self.only_chat = only_chat
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Deliver soon (called after a handler queued a push)."""
        self._wake.set()

    async def drain_once(self) -> int:
        """Try every pending message once; returns how many were delivered."""
        delivered = 0
        claimed = await self.outbox.pending(
            list(self.senders), chat_id=self.only_chat, worker=self.worker
        )
        for message in claimed:
            sender = self.senders[message.channel]
            try:
                await sender.send(message.chat_id, [Reply.from_json(message.body)])
            except RecipientBlocked:
                await self.users.mark_inactive(message.channel, message.chat_id)
                await self.outbox.mark_failed(message.id, "blocked", give_up=True)
            except Exception as exc:
                ref = secrets.token_hex(4).upper()
                log.warning(
                    "outbox delivery failed ref=%s id=%s error=%s",
                    ref,
                    message.id,
                    type(exc).__name__,
                )
                await self.outbox.mark_failed(message.id, f"{ref} {type(exc).__name__}")
            else:
                await self.outbox.mark_sent(message.id, now=self.clock())
                delivered += 1
        return delivered

    async def run(self) -> None:
        """Deliver until cancelled, waking on `wake()` or every `interval` seconds."""
        while True:
            try:
                await self.drain_once()
            except Exception as exc:
                log.error("outbox worker error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    def start(self) -> None:
        """Run in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="outbox-worker")

    async def stop(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def deliver_or_queue(
    send_one: Callable[[str, Reply], Awaitable[None]],
    *,
    channel: str,
    chat_id: str,
    replies: Sequence[Reply],
    services: Services,
) -> None:
    """Send replies in order; what cannot be sent goes to the outbox, logged by reference only.

    A blocked recipient is marked inactive and nothing more is sent or queued.
    """
    for index, reply in enumerate(replies):
        try:
            await send_one(chat_id, reply)
        except RecipientBlocked:
            await services.users.mark_inactive(channel, chat_id)
            log.info("%s recipient unreachable chat=%s", channel, chat_id)
            return
        except Exception as exc:
            ref = secrets.token_hex(4).upper()
            unsent = replies[index:]
            log.error(
                "%s reply not delivered ref=%s chat=%s replies=%d error=%s",
                channel,
                ref,
                chat_id,
                len(unsent),
                type(exc).__name__,
            )
            now = services.clock()
            for later in unsent:
                await services.outbox.enqueue(
                    channel=channel, chat_id=chat_id, body=later.to_json(), now=now
                )
            return
