"""The Zalo Bot Platform channel: the Telegram-like Zalo Bot API ↔ the channel-neutral core.

Calls go to `{api_base}{token}/{method}` as JSON POSTs and answer
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
Updates arrive by long polling (`getUpdates`) or on the `/zalo/bot` webhook, which checks the
`X-Bot-Api-Secret-Token` header.

Update shape (from the platform docs and public clients; the platform is young, so the
parser is lenient): `{"event_name": "message.text.received", "message": {"message_id": "...",
"from": {"id": "...", "display_name": "..."}, "chat": {"id": "...", "chat_type": "PRIVATE"},
"date": <ms>, "text": "..."}}`, possibly wrapped in `{"ok": true, "result": ...}`;
`getUpdates` may answer one update or a list. Group chats are ignored (residents' data stays
in private chats).

Every update is stored in the inbox (`bot.core.intake`) before it is acknowledged: the webhook
answers 200 only after the insert. `getUpdates` takes no offset here: the platform counts an
update delivered once it has answered it, so polled updates are stored at once, with a few
retries if the database is busy; that window is the platform's, not ours to close.

The platform has no buttons: choices are numbered lines (`bot.channels.text_menu.render`), and
a typed number or label is resolved by the dispatcher. Text is split under 2,000 characters. Files
cannot be uploaded (sendPhoto takes a URL only): a reply's attachment is not sent, and that is
logged with a reference id; its text still goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import (
    ChannelContext,
    ChannelError,
    ChannelSpec,
    ClientSettings,
    RateLimited,
    RecipientBlocked,
)
from bot.channels.text_menu import render
from bot.core.delivery import deliver_or_queue
from bot.core.dispatcher import Dispatcher
from bot.core.intake import Intake, incoming, stored_inbound
from bot.core.text import split_text
from bot.core.types import Inbound, Reply
from bot.http_server import HttpServer
from storage.inbox import Stored

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
TEXT_EVENTS = frozenset({"message.text.received", ""})
TEXT_LIMIT = 2000
STORE_RETRIES = 5
"""Attempts to store a polled batch before it is given up (and logged)."""
"""The platform's limit on one text message, in characters."""
WEBHOOK_PATH = "/zalo/bot"


def _updates(result: Any) -> list[dict[str, Any]]:
    """Updates in a `getUpdates` result or a webhook body (one, a list, or wrapped)."""
    if isinstance(result, dict) and "result" in result and "message" not in result:
        result = result["result"]
    if isinstance(result, dict):
        return [result]
    if isinstance(result, list):
        return [item for item in result if isinstance(item, dict)]
    return []


def to_inbound(update: dict[str, Any]) -> Inbound | None:
    """The channel-neutral form of a private text message (None for anything else)."""
    if str(update.get("event_name") or "") not in TEXT_EVENTS:
        return None
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    user_id = str(sender.get("id") or "")
    chat_id = str(chat.get("id") or user_id)
    message_id = str(message.get("message_id") or "")
    if not user_id or not message_id:
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return None
    try:
        received = datetime.fromtimestamp(int(message["date"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        received = datetime.now(UTC)
    return Inbound(
        channel=CHANNEL,
        user_id=user_id,
        chat_id=chat_id,
        message_id=message_id,
        received_at=received,
        text=str(message.get("text") or ""),
        display_name=str(sender.get("display_name") or sender.get("name") or ""),
    )


class _Transient(Exception):
    """A failure worth retrying."""

    def __init__(self, reason: str, *, rate_limited: bool = False) -> None:
        super().__init__(reason)
        self.rate_limited = rate_limited


class ZaloBotError(ChannelError):
    """The Bot API answered `ok: false` with `code`."""

    def __init__(self, method: str, code: int) -> None:
        super().__init__(f"{method}: error {code}")
        self.code = code


class ZaloBotClient:
    """The Bot API over one aiohttp session, retrying transient failures."""

    def __init__(
        self,
        *,
        api_base: str,
        token: str,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base = f"{api_base}{token}/"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP session."""
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: dict[str, Any], *, wait: float | None = None) -> Any:
        """Call `method`; returns its `result` or raises `ChannelError`."""
        if self._session is None:
            raise RuntimeError("ZaloBotClient.start() was not called")
        attempt = 0
        while True:
            try:
                async with self._session.post(
                    self.base + method,
                    json=params,
                    timeout=aiohttp.ClientTimeout(total=wait or self.timeout),
                ) as response:
                    if response.status >= 500 or response.status == 429:
                        limited = response.status == 429
                        raise _Transient(f"http {response.status}", rate_limited=limited)
                    data = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, _Transient) as exc:
                attempt += 1
                if attempt > self.retries:
                    limited = isinstance(exc, _Transient) and exc.rate_limited
                    failed = RateLimited if limited else ChannelError
                    raise failed(f"{method} failed: {type(exc).__name__}") from exc
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            except ValueError as exc:
                raise ChannelError(f"{method}: bad json") from exc
            if not isinstance(data, dict):
                raise ChannelError(f"{method}: unexpected answer")
            if data.get("ok"):
                return data.get("result")
            code = int(data.get("error_code") or 0)
            if code == 403:
                raise RecipientBlocked(f"{method}: {code}")
            if code == 429:
                raise RateLimited(f"{method}: {code}")
            raise ZaloBotError(method, code)


class ZaloBotChannel:
    """Stores Bot Platform updates in the inbox and delivers numbered replies to stored ones."""

    name = CHANNEL

    def __init__(
        self,
        client: ZaloBotClient,
        dispatcher: Dispatcher,
        intake: Intake,
        *,
        secret: str = "",
        settings: ClientSettings | None = None,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.intake = intake
        self.secret = secret
        self.settings = settings or ClientSettings()
        self._poller: asyncio.Task[None] | None = None

    async def start(self, server: HttpServer) -> None:
        """Open the client; take updates on `/zalo/bot` when a secret is set, else long-poll."""
        await self.client.start()
        self.intake.attach(self)
        if self.secret:
            server.add_post(WEBHOOK_PATH, self.webhook)
        else:
            self._poller = asyncio.create_task(self.poll(), name="zalo-bot-poll")

    async def stop(self) -> None:
        """Stop polling, then close the client (the intake has finished the updates in hand)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.client.close()

    async def store(self, updates: Sequence[dict[str, Any]]) -> None:
        """Store updates in the inbox (durably); raises what the database raised."""
        items = [incoming(inbound) for inbound in map(to_inbound, updates) if inbound is not None]
        await self.intake.accept(items)

    async def webhook(self, request: web.Request) -> web.Response:
        """Check the secret token, store the update, and only then acknowledge it."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("zalo_bot webhook rejected: bad secret token remote=%s", request.remote)
            return web.Response(status=401, text="unauthorized")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="bad json")
        try:
            await self.store(_updates(data))
        except Exception as exc:
            log.error("zalo_bot update not stored error=%s", type(exc).__name__)
            return web.Response(status=500, text="not stored")
        return web.json_response({"ok": True})

    async def poll(self) -> None:
        """Long-poll `getUpdates` until cancelled, waiting longer after each failure."""
        settings = self.settings
        failures = 0
        while True:
            try:
                result = await self.client.call(
                    "getUpdates",
                    {"timeout": settings.poll_timeout},
                    wait=settings.poll_timeout + 10,
                )
            except ChannelError as exc:
                if isinstance(exc, ZaloBotError) and exc.code == 408:
                    continue  # nothing arrived within the long-poll timeout
                failures += 1
                log.warning("zalo_bot getUpdates failed error=%s", exc)
                delay = settings.poll_backoff * 2 ** min(failures, 6)
                await asyncio.sleep(min(settings.poll_backoff_max, delay))
                continue
            failures = 0
            await self._store_polled(_updates(result))

    async def _store_polled(self, updates: list[dict[str, Any]]) -> None:
        """Store polled updates, retrying a busy database (they cannot be fetched again)."""
        for attempt in range(STORE_RETRIES):
            try:
                await self.store(updates)
            except Exception as exc:
                log.error(
                    "zalo_bot updates not stored attempt=%d error=%s",
                    attempt + 1,
                    type(exc).__name__,
                )
                await asyncio.sleep(self.settings.backoff * 2**attempt)
            else:
                return

    async def prepare(self, item: Stored) -> Inbound:
        """The stored update as an `Inbound` (`InboxChannel`)."""
        return stored_inbound(item)

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        """Send replies; whatever cannot be sent is queued in the outbox and logged by ref."""
        await deliver_or_queue(
            self.send_one,
            channel=CHANNEL,
            chat_id=str(item.body.get("chat_id", "")),
            replies=replies,
            services=self.dispatcher.services,
        )

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver replies in order; raise `RecipientBlocked`, `RateLimited` or `ChannelError`."""
        for reply in replies:
            await self.send_one(chat_id, reply)

    async def send_one(self, chat_id: str, reply: Reply) -> None:
        """One reply as numbered text, split under the platform's limit."""
        if reply.attachment is not None:
            ref = secrets.token_hex(4).upper()
            log.warning(
                "zalo_bot attachment not sent ref=%s chat=%s kind=%s",
                ref,
                chat_id,
                reply.attachment.kind,
            )
        for piece in split_text(render(reply), TEXT_LIMIT):
            await self.client.call("sendMessage", {"chat_id": chat_id, "text": piece})


def create(context: ChannelContext) -> ZaloBotChannel:
    """The Zalo Bot channel from the settings: webhook when `ZALO_BOT_SECRET` is set."""
    config = context.config
    client = ZaloBotClient(
        api_base=config.zalo_bot_api_base,
        token=config.zalo_bot_token.value,
        timeout=context.client.timeout,
        retries=context.client.retries,
        backoff=context.client.backoff,
    )
    return ZaloBotChannel(
        client,
        context.dispatcher,
        context.intake,
        secret=config.zalo_bot_secret.value,
        settings=context.client,
    )


SPEC = ChannelSpec(
    CHANNEL,
    {"ZALO_BOT_TOKEN": lambda config: config.zalo_bot_token},
    create,
    polls=lambda config: not config.zalo_bot_secret,
)
