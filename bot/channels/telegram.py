"""The Telegram channel: python-telegram-bot `Application` ↔ the channel-neutral core.

The only module that imports `telegram`. Choices become inline keyboards, callback queries
are answered, long texts are split under 4,096 characters, text is HTML-escaped, the
`AIORateLimiter` is on. Updates arrive by long polling, or on the `/telegram` webhook of the
shared HTTP server when `WEBHOOK_SECRET` is set (the `X-Telegram-Bot-Api-Secret-Token` header is
checked; a body that is not an update gets 400 and is logged without its content).

Nothing is acknowledged before it is stored (`bot.core.intake`): the webhook answers 200 only
after the update is committed to the inbox, and polling asks for the next updates (which tells
Telegram the previous ones arrived) only after the previous batch is stored. PTB's `Updater`
cannot do the latter: it confirms an update as soon as it has put it in its in-memory queue, so
the updates in that queue were lost when the process died. Polling is therefore a short loop
here, around PTB's `Bot.get_updates`, and the `Application` provides the bot, its HTTP client
and the rate limiter. Replies go through `deliver_or_queue`: a user who blocked the bot is
marked inactive, and a reply Telegram refused is queued in the durable outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp import web
from telegram import Bot, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.channels.base import (
    ChannelContext,
    ChannelError,
    ChannelSpec,
    RateLimited,
    RecipientBlocked,
)
from bot.core.delivery import deliver_or_queue
from bot.core.dispatcher import Dispatcher
from bot.core.intake import Intake, context_of, incoming, stored_inbound
from bot.core.text import split_text
from bot.core.types import MAX_DOCUMENT_BYTES, Inbound, Reply
from bot.http_server import HttpServer
from storage.db import Database
from storage.inbox import Incoming, Stored
from storage.send_rate import take_slot_in

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CHUNK = 3500  # characters of plain text per message; HTML escaping may grow it under 4,096
CALLBACK_DATA_LIMIT = 64
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)

UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]
ALLOWED_UPDATES = ("message", "callback_query")
"""The largest file read from a chat (a household list or a bank statement); bigger ones reach
the flow empty, which answers that it cannot read them."""


def escaped_pieces(text: str) -> list[str]:
    """HTML-escaped pieces, each within Telegram's 4,096-character limit."""
    pieces: list[str] = []
    for piece in split_text(text, CHUNK):
        escaped = html.escape(piece, quote=False)
        if len(escaped) <= MessageLimit.MAX_TEXT_LENGTH:
            pieces.append(escaped)
        else:  # heavy escaping (&, <, >): at most 5 characters each, so 800 always fit
            pieces.extend(html.escape(small, quote=False) for small in split_text(piece, 800))
    return pieces


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button per row (large targets for older users)."""
    markup = keyboard_json(reply)
    return InlineKeyboardMarkup.de_json(markup, None) if markup is not None else None


def keyboard_json(reply: Reply) -> dict[str, Any] | None:
    """`keyboard` as the Bot API's JSON (`reply_markup`), one button per row."""
    if not reply.choices:
        return None
    rows = []
    for choice in reply.choices:
        if len(choice.payload.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback payload over 64 bytes: {choice.payload[:20]}…")
        rows.append([{"text": choice.label, "callback_data": choice.payload}])
    return {"inline_keyboard": rows}


def to_inbound(update: Update) -> Inbound | None:
    """The channel-neutral form of a message or callback query (None for other updates)."""
    if update.callback_query is not None:
        query = update.callback_query
        user = query.from_user
        chat_id = query.message.chat.id if query.message is not None else user.id
        return Inbound(
            channel=CHANNEL,
            user_id=str(user.id),
            chat_id=str(chat_id),
            message_id=f"cb{query.id}",
            received_at=datetime.now(UTC),
            payload=query.data or "",
            language=user.language_code,
            display_name=user.first_name or "",
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    if message.chat.type != "private":
        return None
    return Inbound(
        channel=CHANNEL,
        user_id=str(message.from_user.id),
        chat_id=str(message.chat.id),
        message_id=f"m{message.chat.id}:{message.message_id}",
        received_at=message.date or datetime.now(UTC),
        text=message.text or message.caption or "",
        language=message.from_user.language_code,
        display_name=message.from_user.first_name or "",
    )


def to_incoming(update: Update) -> Incoming | None:
    """The inbox row of an update, with what delivery needs: the pressed message, the query."""
    inbound = to_inbound(update)
    if inbound is None:
        return None
    query = update.callback_query
    if query is None:
        document = update.message.document if update.message is not None else None
        if document is None:
            return incoming(inbound)
        # Only the file's id is stored; the file is fetched when the update is handled.
        return incoming(inbound, file=document.file_id, file_size=document.file_size or 0)
    pressed = query.message.message_id if query.message is not None else None
    return incoming(inbound, edit=pressed, query=query.id)


def _text_params(chat_id: str, text: str, markup: dict[str, Any] | None) -> dict[str, Any]:
    """`sendMessage` / `editMessageText` parameters: escaped HTML text and its keyboard."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML}
    if markup is not None:
        params["reply_markup"] = markup
    return params


async def _answer(bot: Bot, query_id: str) -> None:
    """Stop the button's spinner (as plain JSON, like the text in `TelegramChannel.send`)."""
    try:
        await bot.do_api_request("AnswerCallbackQuery", api_kwargs={"callback_query_id": query_id})
    except TelegramError as exc:
        log.info("callback answer failed error=%s", type(exc).__name__)


def telegram_webhook(
    sink: UpdateSink, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler that checks `X-Telegram-Bot-Api-Secret-Token`, then hands the update to `sink`.

    200 once `sink` returned (the update is stored); 400 for a body that is not an update (the
    sink raises `ValueError`: Telegram would only send it again); 500 when storing failed, so
    Telegram sends it again. The body is never logged.
    """

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook rejected: bad secret token")
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            await sink(data)
        except ValueError as exc:
            log.warning("telegram webhook: malformed update refused reason=%s", type(exc).__name__)
            return web.Response(status=400, text="bad update")
        except Exception as exc:
            log.error("telegram webhook: update not stored error=%s", type(exc).__name__)
            return web.Response(status=500, text="not stored")
        return web.Response(text="ok")

    return handle


@dataclass(frozen=True, slots=True)
class Webhook:
    """Webhook mode: the secret Telegram must send, and the public URL to register (if any)."""

    secret: str
    url: str = ""


class TelegramChannel:
    """Stores updates from Telegram in the inbox, and delivers the replies to stored ones."""

    name = CHANNEL

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        dispatcher: Dispatcher,
        intake: Intake,
        *,
        webhook: Webhook | None = None,
        poll_timeout: int = 10,
        poll_backoff: float = 0.5,
        poll_backoff_max: float = 30.0,
    ) -> None:
        self.application = application
        self.dispatcher = dispatcher
        self.intake = intake
        self.webhook = webhook
        self.poll_timeout = poll_timeout
        self.poll_backoff = poll_backoff
        self.poll_backoff_max = poll_backoff_max
        self._poller: asyncio.Task[None] | None = None
        self._answers: dict[int, asyncio.Task[None]] = {}  # inbox row id → its answer

    @classmethod
    def build(
        cls,
        *,
        token: str,
        dispatcher: Dispatcher,
        intake: Intake,
        base_url: str = "https://api.telegram.org/bot",
        base_file_url: str | None = None,
        overall_max_rate: float = 30,
        max_retries: int = 3,
        shared_rate: bool = False,
        webhook: Webhook | None = None,
        poll_timeout: int = 10,
        poll_backoff: float = 0.5,
        poll_backoff_max: float = 30.0,
    ) -> TelegramChannel:
        """Build the PTB application (its bot and rate limiter) around the intake.

        Args:
            token: The bot's token.
            dispatcher: The core that answers each update.
            intake: Where updates are stored before they are acknowledged.
            base_url: The Bot API's base URL (a fake one in tests).
            base_file_url: The Bot API's file URL (a fake one in tests).
            overall_max_rate: Messages per second at most (0: no limit).
            max_retries: Retries of a send Telegram answered "retry after".
            shared_rate: `overall_max_rate` holds for every worker on the database together
                (`SharedRateLimiter`), not for this process alone.
            webhook: Webhook mode's settings; long polling when None.
            poll_timeout: Seconds one long poll waits.
            poll_backoff: Seconds before polling again after a failure (doubled per failure).
            poll_backoff_max: The longest wait between failed polls.
        """
        limiter = (
            SharedRateLimiter(
                dispatcher.services.db,
                bot=f"telegram:{token.split(':')[0]}",  # the bot's id, not its secret
                rate=overall_max_rate,
                max_retries=max_retries,
            )
            if shared_rate and overall_max_rate > 0
            else AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=max_retries)
        )
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .rate_limiter(limiter)
            .updater(None)  # polling is `TelegramChannel.poll` (see the module docstring)
            .job_queue(None)  # PTB: None disables its JobQueue
        )
        if base_file_url is not None:
            builder = builder.base_file_url(base_file_url)
        return cls(
            builder.build(),
            dispatcher,
            intake,
            webhook=webhook,
            poll_timeout=poll_timeout,
            poll_backoff=poll_backoff,
            poll_backoff_max=poll_backoff_max,
        )

    async def start(self, server: HttpServer) -> None:
        """Start PTB's bot; then long-poll, or take updates on `/telegram` (registering the URL)."""
        await self.application.initialize()
        self.intake.attach(self)
        if self.webhook is not None:
            server.add_post(
                WEBHOOK_PATH, telegram_webhook(self.process_webhook_update, self.webhook.secret)
            )
            if self.webhook.url:
                await self.application.bot.set_webhook(
                    self.webhook.url, secret_token=self.webhook.secret
                )
            log.info("telegram webhook on %s", WEBHOOK_PATH)
            return
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        self._poller = asyncio.create_task(self.poll(), name="telegram-poll")
        log.info("telegram polling started")

    async def stop(self) -> None:
        """Stop polling (updates not yet stored stay unconfirmed at Telegram) and shut PTB down."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        for task in list(self._answers.values()):
            with contextlib.suppress(Exception):
                await task
        self._answers.clear()
        await self.application.shutdown()

    async def poll(self) -> None:
        """Long-poll until cancelled: store each batch, and only then ask for the next one.

        The next `getUpdates` carries `offset` = last stored id + 1, which is what confirms
        the batch to Telegram; if storing fails, the same batch is asked for again.
        """
        bot = self.application.bot
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self.poll_timeout,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                await self.store(updates)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(self.poll_backoff_max, self.poll_backoff * 2 ** min(failures, 6))
                log.warning("telegram getUpdates failed error=%s", type(exc).__name__)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if updates:
                offset = updates[-1].update_id + 1

    async def store(self, updates: Sequence[Update]) -> None:
        """Store updates in the inbox (durably)."""
        items = [item for item in map(to_incoming, updates) if item is not None]
        await self.intake.accept(items)

    async def process_webhook_update(self, data: dict[str, Any]) -> None:
        """Store one update received over the webhook (after its secret was checked).

        Raises:
            ValueError: The body is not a Telegram update.
        """
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError("not an update") from exc
        if not isinstance(update, Update) or not isinstance(data.get("update_id"), int):
            raise ValueError("not an update")
        await self.store([update])

    async def prepare(self, item: Stored) -> Inbound:
        """The stored update as an `Inbound`; a button's spinner is stopped meanwhile.

        The answer runs while the dispatcher works (not one after the other) and is awaited in
        `deliver`, so it counts within the intake's concurrency.
        """
        context = context_of(item)
        query = context.get("query")
        if isinstance(query, str) and item.id not in self._answers:
            self._answers[item.id] = asyncio.create_task(_answer(self.application.bot, query))
        inbound = stored_inbound(item)
        file_id = context.get("file")
        if isinstance(file_id, str):
            return replace(inbound, document=await self._download(file_id, context))
        return inbound

    async def _download(self, file_id: str, context: Mapping[str, Any]) -> bytes:
        """A sent file's bytes (`getFile`, then the download); b"" when it is over the limit.

        An empty document reaches the flow as "no readable file" (its own message); a failed
        download raises, so the intake tries the update again later.
        """
        size = context.get("file_size")
        if isinstance(size, int) and size > MAX_DOCUMENT_BYTES:
            return b""
        telegram_file = await self.application.bot.get_file(file_id)
        if (telegram_file.file_size or 0) > MAX_DOCUMENT_BYTES:
            return b""
        data = bytes(await telegram_file.download_as_bytearray())
        return data if len(data) <= MAX_DOCUMENT_BYTES else b""

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        """Send a stored update's replies; an `edit_previous` one edits the pressed message."""
        answering = self._answers.pop(item.id, None)
        if answering is not None:
            await answering
        edit = context_of(item).get("edit")
        edit_id = edit if isinstance(edit, int) else None

        async def send_one(chat_id: str, reply: Reply) -> None:
            await self.send_one(chat_id, reply, edit=edit_id)

        await deliver_or_queue(
            send_one,
            channel=CHANNEL,
            chat_id=str(item.body.get("chat_id", "")),
            replies=replies,
            services=self.dispatcher.services,
        )

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver replies in order; raise `RecipientBlocked`, `RateLimited` or `ChannelError`."""
        for reply in replies:
            await self.send_one(chat_id, reply)

    async def send_one(self, chat_id: str, reply: Reply, *, edit: int | None = None) -> None:
        """Send one reply (split, escaped, with its inline keyboard on the last piece).

        A reply marked `edit_previous` replaces the message whose button was pressed (`edit` is
        its id), so toggling a choice changes that message instead of piling up copies; if the
        edit fails (the message is too old or gone), the reply is sent as a new message.

        Text goes out through `Bot.do_api_request` with the keyboard as plain JSON: nothing here
        reads the `Message` that Telegram returns, so building keyboard objects and parsing the
        answer into a `Message` would be CPU spent for nothing (about a fifth of a send on
        loopback). The method is spelled `SendMessage`: Bot API method names are
        case-insensitive, and PTB warns only when the name is one of its own methods.

        Raises:
            RecipientBlocked: The user blocked the bot.
            RateLimited: Telegram still said "retry after" once the rate limiter gave up.
            ChannelError: Any other Telegram error.
        """
        try:
            await self._send_reply(chat_id, reply, edit)
        except Forbidden as exc:
            raise RecipientBlocked(str(exc)) from exc
        except RetryAfter as exc:
            raise RateLimited(type(exc).__name__) from exc
        except TelegramError as exc:
            raise ChannelError(type(exc).__name__) from exc

    async def _send_reply(self, chat_id: str, reply: Reply, edit: int | None) -> None:
        if reply.attachment is not None:
            await self._send_file(chat_id, reply)
            return
        pieces = escaped_pieces(reply.text)
        markup = keyboard_json(reply)
        if (
            reply.edit_previous
            and edit is not None
            and len(pieces) == 1
            and await self._edit(chat_id, edit, pieces[0], markup)
        ):
            return
        bot = self.application.bot
        for index, escaped in enumerate(pieces):
            last = index == len(pieces) - 1
            params = _text_params(chat_id, escaped, markup if last else None)
            await bot.do_api_request("SendMessage", api_kwargs=params)

    async def _edit(
        self, chat_id: str, message_id: int, text: str, markup: dict[str, Any] | None
    ) -> bool:
        """Replace a message's text and keyboard; False when Telegram refuses the edit."""
        params = {**_text_params(chat_id, text, markup), "message_id": message_id}
        try:
            await self.application.bot.do_api_request("EditMessageText", api_kwargs=params)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # a double tap: already shows this
                return True
            log.info("edit refused, sending anew chat=%s", chat_id)
            return False
        return True

    async def _send_file(self, chat_id: str, reply: Reply) -> None:
        """A chart or an export, with the reply's text as caption."""
        attachment = reply.attachment
        if attachment is None:
            return
        bot = self.application.bot
        caption = html.escape(reply.text[:1000], quote=False)
        file = InputFile(attachment.data, filename=attachment.filename)
        send = bot.send_photo if attachment.kind == "image" else bot.send_document
        await send(
            chat_id, file, caption=caption, parse_mode=ParseMode.HTML, reply_markup=keyboard(reply)
        )


class SharedRateLimiter(AIORateLimiter):
    """PTB's limiter, with the bot's overall rate shared by every worker on the database.

    Telegram allows a bot about 30 messages a second, whichever process sends them. Before each
    request to a chat, this reserves the bot's next send slot in the database
    (`storage.send_rate`) and waits for it; PTB's own limiter still keeps the per-chat and
    per-group limits and retries a "retry after".
    """

    def __init__(self, db: Database, *, bot: str, rate: float, max_retries: int) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        self._db = db
        self._bot = bot
        self._interval_us = max(1, int(1_000_000 / rate))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the bot's next slot (a request to a chat), then send through PTB's limiter."""
        if "chat_id" in data:
            now_us = time.time_ns() // 1000
            slot = await self._db.claim(
                partial(take_slot_in, bot=self._bot, now_us=now_us, interval_us=self._interval_us)
            )
            if slot > now_us:
                await asyncio.sleep((slot - now_us) / 1_000_000)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def create(context: ChannelContext) -> TelegramChannel:
    """The Telegram channel from the settings: webhook mode when `WEBHOOK_SECRET` is set."""
    config = context.config
    webhook = (
        Webhook(config.webhook_secret.value, config.webhook_url) if config.webhook_secret else None
    )
    return TelegramChannel.build(
        token=config.telegram_token.value,
        dispatcher=context.dispatcher,
        intake=context.intake,
        base_url=config.telegram_base_url,
        overall_max_rate=context.client.max_rate,
        max_retries=context.client.retries,
        shared_rate=context.client.shared_rate,
        webhook=webhook,
        poll_backoff=context.client.poll_backoff,
        poll_backoff_max=context.client.poll_backoff_max,
    )


SPEC = ChannelSpec(
    CHANNEL,
    {"TELEGRAM_BOT_TOKEN": lambda config: config.telegram_token},
    create,
    polls=lambda config: not config.webhook_secret,
)
