"""The Telegram channel: python-telegram-bot `Application` ↔ the channel-neutral core.

The only module that imports `telegram`. Choices become inline keyboards, callback queries
are answered, long texts are split under 4,096 characters, text is HTML-escaped, the
`AIORateLimiter` is on, and a user who blocked the bot is marked inactive.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.core.dispatcher import Dispatcher
from bot.core.errors import ChannelError, RecipientBlocked
from bot.core.text import split_text
from bot.core.types import Inbound, Reply
from storage.users import UserRepository

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CHUNK = 3500  # characters of plain text per message; HTML escaping may grow it under 4,096
CALLBACK_DATA_LIMIT = 64


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


def _text_params(chat_id: str, text: str, markup: dict[str, Any] | None) -> dict[str, Any]:
    """`sendMessage` / `editMessageText` parameters: escaped HTML text and its keyboard."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML}
    if markup is not None:
        params["reply_markup"] = markup
    return params


async def _answer(bot: Bot, query: CallbackQuery) -> None:
    """Stop the button's spinner (as plain JSON, like the text in `TelegramChannel.send`)."""
    try:
        await bot.do_api_request("AnswerCallbackQuery", api_kwargs={"callback_query_id": query.id})
    except TelegramError as exc:
        log.info("callback answer failed error=%s", type(exc).__name__)


class TelegramChannel:
    """Receives updates from PTB, runs the dispatcher and sends the replies."""

    name = CHANNEL

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        dispatcher: Dispatcher,
        users: UserRepository,
    ) -> None:
        self.application = application
        self.dispatcher = dispatcher
        self.users = users
        application.add_handler(TypeHandler(Update, self.on_update))

    @classmethod
    def build(
        cls,
        *,
        token: str,
        dispatcher: Dispatcher,
        users: UserRepository,
        base_url: str = "https://api.telegram.org/bot",
        base_file_url: str | None = None,
        concurrent_updates: int = 256,
        overall_max_rate: float = 30,
        job_queue: bool = True,
    ) -> TelegramChannel:
        """Build the PTB application (polling or webhook) around the dispatcher."""
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .concurrent_updates(concurrent_updates)
            .rate_limiter(AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=3))
        )
        if base_file_url is not None:
            builder = builder.base_file_url(base_file_url)
        if not job_queue:
            builder = builder.job_queue(None)  # type: ignore[arg-type]  # PTB: None disables
        return cls(builder.build(), dispatcher, users)

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update end to end."""
        del context
        if not isinstance(update, Update):
            return
        inbound = to_inbound(update)
        if inbound is None:
            return
        # The button's spinner stops at once, while the dispatcher works (not one after the other).
        answering = (
            asyncio.ensure_future(_answer(self.application.bot, update.callback_query))
            if update.callback_query is not None
            else None
        )
        try:
            replies = await self.dispatcher.handle(inbound)
        finally:
            if answering is not None:
                await answering
        pressed = update.callback_query.message if update.callback_query is not None else None
        try:
            await self.send(
                inbound.chat_id, replies, edit=pressed.message_id if pressed is not None else None
            )
        except RecipientBlocked:
            await self.users.mark_inactive(CHANNEL, inbound.chat_id)
        except ChannelError as exc:
            log.warning("reply not delivered chat=%s error=%s", inbound.chat_id, exc)

    async def send(
        self, chat_id: str, replies: Sequence[Reply], *, edit: int | None = None
    ) -> None:
        """Send replies in order (split, escaped, with inline keyboards).

        A reply marked `edit_previous` replaces the message whose button was pressed (`edit` is
        its id), so toggling a choice changes that message instead of piling up copies; if the
        edit fails (the message is too old or gone), the reply is sent as a new message.

        Text goes out through `Bot.do_api_request` with the keyboard as plain JSON: nothing here
        reads the `Message` that Telegram returns, so building keyboard objects and parsing the
        answer into a `Message` would be CPU spent for nothing (about a fifth of a send on
        loopback). The method is spelled `SendMessage`: Bot API method names are
        case-insensitive, and PTB warns only when the name is one of its own methods.
        """
        bot = self.application.bot
        try:
            for reply in replies:
                if reply.attachment is not None:
                    await self._send_file(chat_id, reply)
                    continue
                pieces = escaped_pieces(reply.text)
                markup = keyboard_json(reply)
                if (
                    reply.edit_previous
                    and edit is not None
                    and len(pieces) == 1
                    and await self._edit(chat_id, edit, pieces[0], markup)
                ):
                    continue
                for index, escaped in enumerate(pieces):
                    last = index == len(pieces) - 1
                    params = _text_params(chat_id, escaped, markup if last else None)
                    await bot.do_api_request("SendMessage", api_kwargs=params)
        except Forbidden as exc:
            raise RecipientBlocked(str(exc)) from exc
        except TelegramError as exc:
            raise ChannelError(type(exc).__name__) from exc

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

    async def process_webhook_update(self, data: dict[str, Any]) -> None:
        """Queue one update received over the webhook (after its secret was checked)."""
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)
