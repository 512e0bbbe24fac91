"""A fake Telegram Bot API server on 127.0.0.1 that a real python-telegram-bot client can poll.

The fake is an aiohttp application. A real ``telegram.ext.Application`` talks to it when built
with::

    ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)            # f"{fake.url}/bot"; PTB appends the token
        .base_file_url(fake.base_file_url)  # f"{fake.url}/file/bot"
        .build()

python-telegram-bot (22.x) POSTs every call to ``{base_url}{token}/{method}``: a form-encoded
body whose values are strings (numbers and booleans as JSON text, dicts and lists as JSON),
or a multipart body when files are uploaded (the file part is named after the parameter, e.g.
``document``, or an ``attach://`` name). The fake also accepts JSON bodies and query strings.

Tests drive the fake with the ``push_*`` methods (enqueue updates for ``getUpdates``) and
inspect what the bot did through :attr:`FakeBotApi.sent` and friends, waiting with
:meth:`FakeBotApi.wait_for_messages` / :meth:`FakeBotApi.wait_for_next`, which sleep on a
per-chat :class:`asyncio.Condition` (no polling). Every request handler is O(1) in the number
of chats and recorded messages, so the fake can serve throughput benchmarks.
"""

from __future__ import annotations

import asyncio
import collections
import html
import itertools
import json
import mimetypes
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "FakeBotApi",
    "SentMessage",
    "StoredFile",
    "make_callback_update",
    "make_message_update",
    "post_webhook",
]

DEFAULT_TOKEN = "123456:TEST"
"""Token the fake accepts by default; the bot's user id is the part before the colon."""

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
"""Header Telegram sets on webhook requests when a secret token was configured."""

_TAG_RE = re.compile(r"<[^>]+>")
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)


class ApiError(Exception):
    """An error the fake returns in Telegram's shape (``ok: false``)."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """Return the JSON body Telegram would send for this error.

        Returns:
            A dict with ``ok``, ``error_code``, ``description`` and maybe ``parameters``.
        """
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class SentMessage:
    """One message the bot sent (or edited) through the fake.

    Attributes:
        method: Bot API method, e.g. ``sendMessage``, ``sendDocument``, ``editMessageText``.
        chat_id: Chat the message went to.
        message_id: Id of the message (for edits: the edited message).
        text: Message text as sent (with markup, if a parse mode was used), or ``None``.
        reply_markup: The reply markup dict as sent, or ``None``.
        parse_mode: ``HTML``, ``MarkdownV2``... or ``None``.
        document_name: File name of an uploaded document or photo.
        document_bytes: Content of an uploaded document or photo.
        caption: Caption of a document or photo.
        edited: ``True`` for ``editMessageText`` records.
        at: ``time.perf_counter()`` when the fake recorded the message.
    """

    method: str
    chat_id: int
    message_id: int
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    document_name: str | None = None
    document_bytes: bytes | None = None
    caption: str | None = None
    edited: bool = False
    at: float = 0.0

    def buttons(self) -> list[tuple[str, str]]:
        """Flatten the inline keyboard into ``(text, callback_data)`` pairs.

        Buttons without callback data (URL buttons...) give their URL, or ``""``.

        Returns:
            The buttons row by row, left to right; empty without an inline keyboard.
        """
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [
            (
                str(button.get("text", "")),
                str(button.get("callback_data") or button.get("url") or ""),
            )
            for row in rows
            for button in row
        ]

    @property
    def plain_text(self) -> str:
        """The text (or caption) with HTML tags removed and entities unescaped.

        Returns:
            What a user would roughly read for an ``HTML`` message; other texts unchanged.
        """
        value = self.text if self.text is not None else (self.caption or "")
        if (self.parse_mode or "").upper() == "HTML":
            return html.unescape(_TAG_RE.sub("", value))
        return value


@dataclass
class StoredFile:
    """A file the fake can serve through ``getFile`` and the file URL.

    Attributes:
        file_id: Telegram file id.
        file_unique_id: Telegram unique file id.
        file_path: Path below ``/file/bot<token>/``.
        file_name: Original file name.
        content: File bytes.
        mime_type: MIME type.
    """

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    content: bytes
    mime_type: str


@dataclass
class _Entry:
    """A queued update and its id."""

    update_id: int
    kind: str
    payload: dict[str, Any]


def _utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _user_dict(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    """A Telegram ``User`` object for a human user."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _private_chat(chat_id: int, first_name: str) -> dict[str, Any]:
    """A Telegram ``Chat`` object for a private chat."""
    return {"id": chat_id, "type": "private", "first_name": first_name}


def make_message_update(
    user_id: int,
    text: str,
    *,
    message_id: int = 1,
    chat_id: int | None = None,
    first_name: str = "Test",
    language_code: str = "vi",
    update_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build a Telegram update carrying a private text message.

    Text starting with ``/`` gets a ``bot_command`` entity covering the first word, as
    Telegram sends it.

    Args:
        user_id: Sender's user id.
        text: Message text.
        message_id: Id of the message in its chat.
        chat_id: Chat id; defaults to ``user_id`` (private chat).
        first_name: Sender's first name.
        language_code: Sender's Telegram language code.
        update_id: Update id; left out when ``None`` (:meth:`FakeBotApi.push_raw_update`
            assigns one).
        date: Unix time of the message; defaults to now.

    Returns:
        The update as a JSON-compatible dict.
    """
    chat = chat_id if chat_id is not None else user_id
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()) if date is None else date,
        "chat": _private_chat(chat, first_name),
        "from": _user_dict(user_id, first_name, language_code),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
    update: dict[str, Any] = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def make_callback_update(
    user_id: int,
    data: str,
    *,
    message: dict[str, Any],
    callback_id: str = "1",
    first_name: str = "Test",
    language_code: str = "vi",
    update_id: int | None = None,
) -> dict[str, Any]:
    """Build a Telegram update carrying a callback query (an inline button press).

    Args:
        user_id: Id of the user who pressed the button.
        data: The button's ``callback_data``.
        message: The message (a Telegram ``Message`` dict) the button belongs to.
        callback_id: Callback query id.
        first_name: User's first name.
        language_code: User's Telegram language code.
        update_id: Update id; left out when ``None``.

    Returns:
        The update as a JSON-compatible dict.
    """
    chat_id = message.get("chat", {}).get("id", user_id)
    update: dict[str, Any] = {
        "callback_query": {
            "id": callback_id,
            "from": _user_dict(user_id, first_name, language_code),
            "message": message,
            "chat_instance": str(chat_id),
            "data": data,
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


async def post_webhook(
    url: str, update: Mapping[str, Any], *, secret: str | None = None, timeout: float = 10.0
) -> int:
    """POST an update to a webhook the way Telegram does.

    Args:
        url: Webhook URL (must be on 127.0.0.1 in tests).
        update: The update dict (JSON body).
        secret: Secret token; sent in ``X-Telegram-Bot-Api-Secret-Token`` when given.
        timeout: Total request timeout in seconds.

    Returns:
        The HTTP status code of the response.
    """
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.post(url, json=dict(update), headers=headers) as response,
    ):
        await response.read()
        return response.status


def _as_int(params: Mapping[str, Any], name: str, default: int | None = None) -> int:
    """Read an integer parameter (form values arrive as strings)."""
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"Bad Request: parameter {name} is required")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        if name == "chat_id":
            raise ApiError(400, "Bad Request: chat not found") from None
        raise ApiError(400, f"Bad Request: invalid {name}") from None


def _as_float(params: Mapping[str, Any], name: str, default: float) -> float:
    """Read a float parameter, falling back to ``default``."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name}") from None


def _as_bool(params: Mapping[str, Any], name: str) -> bool:
    """Read a boolean parameter (``true``/``false`` text or a JSON boolean)."""
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


def _as_json(value: Any) -> Any:
    """Decode a JSON-encoded string parameter; other values are returned unchanged."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON parameter") from None
    return value


def _as_str(params: Mapping[str, Any], name: str) -> str | None:
    """Read an optional string parameter."""
    value = params.get(name)
    return None if value is None else str(value)


@dataclass
class _Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str


Handler = Callable[[dict[str, Any], dict[str, _Upload]], Awaitable[Any]]


class FakeBotApi:
    """A fake Telegram Bot API server for tests and benchmarks.

    Start it with :meth:`start` (or ``async with FakeBotApi() as fake``), build the bot with
    :attr:`base_url` / :attr:`base_file_url`, push updates, and inspect :attr:`sent`.

    Attributes:
        token: The bot token the fake accepts (others get 401 Unauthorized).
        bot_username: The bot's username returned by ``getMe``.
        bot_id: The bot's user id (the token's part before the colon).
        url: ``http://127.0.0.1:<port>`` once started.
        sent: Every message the bot sent, in order (``sendMessage``, ``sendDocument``,
            ``sendPhoto``; ``editMessageText`` recorded with ``edited=True``).
        markup_edits: ``editMessageReplyMarkup`` calls (not in :attr:`sent`).
        answered_callbacks: Ids of the callback queries the bot answered, in order.
        callback_answers: The full ``answerCallbackQuery`` parameters, in order.
        chat_actions: ``(chat_id, action)`` for every ``sendChatAction``.
        deleted_messages: ``(chat_id, message_id)`` for every ``deleteMessage``.
        blocked_users: Chats whose sends fail with 403 "Forbidden: bot was blocked by the
            user".
        webhook_url: URL recorded by ``setWebhook`` (``None`` after ``deleteWebhook``).
        webhook_secret: Secret token recorded by ``setWebhook``.
        my_commands: Commands from ``setMyCommands``, keyed by ``(scope type, language)``.
        other_calls: Names of methods the fake does not implement (answered ``true``).
        call_counts: Number of calls per method, by its lower-case name (Bot API method names
            are case-insensitive: ``sendMessage`` and ``SendMessage`` count as ``sendmessage``).
        last_params: The parameters of the latest call per method name.
        strict_not_modified: When ``True`` (default), editing a message to identical text and
            markup fails with 400 "message is not modified", as Telegram does.
        confirmed_offset: The highest ``offset`` a ``getUpdates`` call has confirmed so far
            (every update below it is forgotten, as Telegram forgets it); 0 before any.
    """

    def __init__(
        self, *, token: str = DEFAULT_TOKEN, bot_username: str = "giamngheo_test_bot"
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.url = ""
        self.sent: list[SentMessage] = []
        self.markup_edits: list[SentMessage] = []
        self.answered_callbacks: list[str] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.deleted_messages: list[tuple[int, int]] = []
        self.blocked_users: set[int] = set()
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.my_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.other_calls: list[str] = []
        self.call_counts: collections.Counter[str] = collections.Counter()
        self.last_params: dict[str, dict[str, Any]] = {}
        self.strict_not_modified = True
        self.confirmed_offset = 0

        self._bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Giảm nghèo Test",
            "username": bot_username,
        }
        self._next_update_id = 1
        self._pending: collections.deque[_Entry] = collections.deque()
        self._inflight: list[_Entry] = []
        self._allowed_updates: frozenset[str] | None = None
        self._updates_event = asyncio.Event()
        self._closing = False

        self._message_ids: dict[int, int] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._by_chat: dict[int, list[SentMessage]] = {}
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._last_bot_message: dict[int, int] = {}
        self._conditions: dict[int, asyncio.Condition] = {}
        self._failures: dict[str, collections.deque[ApiError]] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)

        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "deletemessage": self._delete_message,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)``: ``f"{url}/bot"``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``: ``f"{url}/file/bot"``."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving; sets :attr:`url`."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        site = web.SockSite(runner, sock)
        try:
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        self._updates_event.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test controls

    def _new_message_id(self, chat_id: int) -> int:
        """Next message id in a chat (users' and the bot's messages share the sequence)."""
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return message_id

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """The ``Chat`` object for a chat id (private unless the id is negative)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id < 0:
                chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            else:
                chat = {"id": chat_id, "type": "private", "first_name": "Test"}
            self._chats[chat_id] = chat
        return chat

    def push_raw_update(self, update: dict[str, Any]) -> int:
        """Enqueue an update for ``getUpdates``.

        A missing ``update_id`` is assigned *in place*, so pushing the same dict twice
        delivers the same update id twice (for redelivery tests).

        Args:
            update: The update dict.

        Returns:
            The update id.
        """
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        update_id = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        kind = next((key for key in update if key != "update_id"), "")
        self._pending.append(_Entry(update_id, kind, update))
        self._updates_event.set()
        return update_id

    def push_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str = "Test",
        language_code: str = "vi",
    ) -> int:
        """Enqueue a private text message from a user.

        Args:
            user_id: Sender's user id.
            text: Message text (``/command`` text gets a ``bot_command`` entity).
            chat_id: Chat id; defaults to ``user_id``.
            first_name: Sender's first name.
            language_code: Sender's Telegram language code.

        Returns:
            The message id.
        """
        chat = user_id if chat_id is None else chat_id
        message_id = self._new_message_id(chat)
        update = make_message_update(
            user_id,
            text,
            message_id=message_id,
            chat_id=chat,
            first_name=first_name,
            language_code=language_code,
        )
        self._chats.setdefault(chat, update["message"]["chat"])
        self.push_raw_update(update)
        return message_id

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        first_name: str = "Test",
        language_code: str = "vi",
    ) -> str:
        """Enqueue an inline-button press on one of the bot's messages.

        Args:
            user_id: Id of the user pressing the button.
            data: The ``callback_data``.
            message_id: The bot message carrying the button; defaults to the last message the
                bot sent to the chat. An id the fake does not know gets a minimal message.
            chat_id: Chat id; defaults to ``user_id``.
            first_name: User's first name.
            language_code: User's Telegram language code.

        Returns:
            The callback query id.

        Raises:
            ValueError: No ``message_id`` given and the bot has not sent anything to the chat.
        """
        chat = user_id if chat_id is None else chat_id
        if message_id is None:
            last = self._last_bot_message.get(chat)
            if last is None:
                raise ValueError(f"the bot has sent no message to chat {chat} to press on")
            message_id = last
        message = self._bot_messages.get((chat, message_id))
        if message is None:
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat),
                "from": self._bot_user,
                "text": "",
            }
        callback_id = str(next(self._callback_counter))
        self.push_raw_update(
            make_callback_update(
                user_id,
                data,
                message=message,
                callback_id=callback_id,
                first_name=first_name,
                language_code=language_code,
            )
        )
        return callback_id

    def add_file(
        self, filename: str, content: bytes, *, mime_type: str | None = None
    ) -> StoredFile:
        """Store a file that the bot can fetch with ``getFile`` and download.

        Args:
            filename: File name.
            content: File bytes.
            mime_type: MIME type; guessed from the name when ``None``.

        Returns:
            The stored file record.
        """
        number = next(self._file_counter)
        file_id = f"FILE{number:06d}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"U{number:06d}",
            file_path=f"documents/file_{number}_{filename}",
            file_name=filename,
            content=content,
            mime_type=mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def push_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        first_name: str = "Test",
        language_code: str = "vi",
    ) -> int:
        """Enqueue a message with a document; the bot can download it via ``getFile``.

        Args:
            user_id: Sender's user id.
            filename: Document file name.
            content: Document bytes.
            caption: Optional caption.
            chat_id: Chat id; defaults to ``user_id``.
            first_name: Sender's first name.
            language_code: Sender's Telegram language code.

        Returns:
            The message id.
        """
        chat = user_id if chat_id is None else chat_id
        stored = self.add_file(filename, content)
        message_id = self._new_message_id(chat)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _private_chat(chat, first_name),
            "from": _user_dict(user_id, first_name, language_code),
            "document": self._document_dict(stored),
        }
        if caption is not None:
            message["caption"] = caption
        self._chats.setdefault(chat, message["chat"])
        self.push_raw_update({"message": message})
        return message_id

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next call of ``method`` fail once (calls queue up).

        Args:
            method: Bot API method name, e.g. ``sendMessage`` (case-insensitive).
            status: HTTP status / ``error_code``; 429 adds ``parameters.retry_after``.
            retry_after: Seconds for the 429 ``retry_after`` parameter.
            description: Error description; a Telegram-like default when ``None``.
        """
        if status == 429:
            error = ApiError(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        else:
            default = {
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                409: "Conflict: injected failure",
            }.get(status, "Internal Server Error: injected failure")
            error = ApiError(status, description or default)
        self._failures.setdefault(method.lower(), collections.deque()).append(error)

    @property
    def pending_updates(self) -> int:
        """Number of updates not yet confirmed by the client."""
        return len(self._pending) + len(self._inflight)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Return the messages the bot sent (or edited) in a chat, in order.

        Args:
            chat_id: The chat.

        Returns:
            A copy of the chat's records.
        """
        return list(self._by_chat.get(chat_id, ()))

    def last_message_to(self, chat_id: int) -> SentMessage | None:
        """Return the latest record for a chat, or ``None``.

        Args:
            chat_id: The chat.

        Returns:
            The last :class:`SentMessage` to the chat, if any.
        """
        messages = self._by_chat.get(chat_id)
        return messages[-1] if messages else None

    def mark(self, chat_id: int) -> int:
        """Return how many records the chat has now, for :meth:`wait_for_next`.

        Args:
            chat_id: The chat.

        Returns:
            The current record count of the chat.
        """
        return len(self._by_chat.get(chat_id, ()))

    def _condition(self, chat_id: int) -> asyncio.Condition:
        """The chat's condition, created on first use."""
        condition = self._conditions.get(chat_id)
        if condition is None:
            condition = self._conditions[chat_id] = asyncio.Condition()
        return condition

    async def wait_for_next(
        self, chat_id: int, *, after: int, count: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until the chat has at least ``count`` records beyond index ``after``.

        Args:
            chat_id: The chat.
            after: A value from :meth:`mark` (0: since the fake started).
            count: How many new records to wait for.
            timeout: Seconds before giving up.

        Returns:
            All records of the chat after ``after`` (at least ``count``).

        Raises:
            AssertionError: On timeout, listing what the chat did receive.
        """
        needed = after + count
        messages = self._by_chat.get(chat_id)
        if messages is None or len(messages) < needed:
            condition = self._condition(chat_id)
            try:
                async with asyncio.timeout(timeout), condition:
                    await condition.wait_for(lambda: len(self._by_chat.get(chat_id, ())) >= needed)
            except TimeoutError:
                got = self._by_chat.get(chat_id, [])[after:]
                summary = [(m.method, m.text if m.text is not None else m.caption) for m in got]
                raise AssertionError(
                    f"chat {chat_id}: expected {count} message(s) after #{after} within "
                    f"{timeout}s, got {len(got)}: {summary!r}"
                ) from None
        return self._by_chat[chat_id][after:]

    async def wait_for_messages(
        self, chat_id: int, count: int, *, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until the bot has sent at least ``count`` records to the chat in total.

        Args:
            chat_id: The chat.
            count: Total number of records to wait for.
            timeout: Seconds before giving up.

        Returns:
            All records of the chat (at least ``count``).

        Raises:
            AssertionError: On timeout, listing what the chat did receive.
        """
        return await self.wait_for_next(chat_id, after=0, count=count, timeout=timeout)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        """Route ``/bot<token>/<method>`` to the method's handler."""
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        key = method.lower()
        self.call_counts[key] += 1
        try:
            params, uploads = await self._read_params(request)
            self.last_params[method] = params
            failures = self._failures.get(key)
            if failures:
                raise failures.popleft()
            handler = self._handlers.get(key)
            if handler is None:
                self.other_calls.append(method)
                result: Any = True
            else:
                result = await handler(params, uploads)
        except ApiError as error:
            return web.json_response(error.body(), status=error.status)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
        """Collect parameters from the query string and a JSON, form or multipart body."""
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, _Upload] = {}
        if not request.body_exists:
            return params, uploads
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params, uploads
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = _Upload(
                    filename=value.filename,
                    content=value.file.read(),
                    content_type=value.content_type,
                )
            else:
                params[name] = value
        return params, uploads

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serve ``/file/bot<token>/<file_path>``."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    # ------------------------------------------------------------------ helpers

    def _check_chat(self, params: Mapping[str, Any]) -> int:
        """Read ``chat_id`` and refuse chats in :attr:`blocked_users`."""
        chat_id = _as_int(params, "chat_id")
        if chat_id in self.blocked_users:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    async def _record(self, record: SentMessage) -> None:
        """Store a record and wake the chat's waiters."""
        record.at = time.perf_counter()
        self.sent.append(record)
        self._by_chat.setdefault(record.chat_id, []).append(record)
        condition = self._conditions.get(record.chat_id)
        if condition is not None:
            async with condition:
                condition.notify_all()

    def _bot_message(
        self, chat_id: int, extra: dict[str, Any], reply_markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Create and remember a new bot ``Message`` dict in a chat."""
        message_id = self._new_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user,
        }
        message.update(extra)
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        self._bot_messages[(chat_id, message_id)] = message
        self._last_bot_message[chat_id] = message_id
        return message

    @staticmethod
    def _document_dict(stored: StoredFile) -> dict[str, Any]:
        """A Telegram ``Document`` object for a stored file."""
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }

    def _upload(
        self, name: str, params: Mapping[str, Any], uploads: Mapping[str, _Upload]
    ) -> tuple[str | None, bytes | None, StoredFile | None]:
        """Resolve a file parameter: an upload, an ``attach://`` part, or a file id/URL."""
        upload = uploads.get(name)
        value = params.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            stored = self.add_file(
                upload.filename or name, upload.content, mime_type=upload.content_type or None
            )
            return upload.filename, upload.content, stored
        if isinstance(value, str):
            known = self._files.get(value)
            if known is not None:
                return known.file_name, known.content, known
            return None, None, None
        raise ApiError(400, f"Bad Request: there is no {name} in the request")

    # ------------------------------------------------------------------ Bot API methods

    async def _true(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """Methods that just return ``true``."""
        return True

    async def _get_me(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``getMe``."""
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _confirm(self, offset: int | None) -> None:
        """Forget delivered updates that ``offset`` confirms."""
        if offset is not None:
            self.confirmed_offset = max(self.confirmed_offset, offset)
        if offset is None or not self._inflight:
            return
        if offset > self._inflight[-1].update_id:
            self._inflight.clear()
            return
        keep = 0
        while keep < len(self._inflight) and self._inflight[keep].update_id < offset:
            keep += 1
        del self._inflight[:keep]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        """Unconfirmed updates first, then new ones, up to ``limit``."""
        allowed = self._allowed_updates
        while len(self._inflight) < limit and self._pending:
            entry = self._pending.popleft()
            if allowed is None or entry.kind in allowed:
                self._inflight.append(entry)
        return [entry.payload for entry in self._inflight[:limit]]

    async def _get_updates(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``getUpdates`` with long polling."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params, "offset", 0) if params.get("offset") is not None else None
        limit = min(max(_as_int(params, "limit", 100), 1), 100)
        timeout = max(_as_float(params, "timeout", 0.0), 0.0)
        if params.get("allowed_updates") is not None:
            allowed = _as_json(params["allowed_updates"])
            self._allowed_updates = frozenset(allowed) if allowed else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._confirm(offset)
        while True:
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            self._updates_event.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._updates_event.wait()
            except TimeoutError:
                return []

    async def _send_message(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``sendMessage``."""
        chat_id = self._check_chat(params)
        text = _as_str(params, "text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        reply_markup = _as_json(params.get("reply_markup"))
        parse_mode = _as_str(params, "parse_mode")
        message = self._bot_message(chat_id, {"text": text}, reply_markup)
        await self._record(
            SentMessage(
                method="sendMessage",
                chat_id=chat_id,
                message_id=message["message_id"],
                text=text,
                reply_markup=reply_markup,
                parse_mode=parse_mode,
            )
        )
        return message

    def _message_to_edit(self, params: Mapping[str, Any]) -> tuple[int, int, dict[str, Any]]:
        """Find the bot message addressed by ``chat_id`` and ``message_id``."""
        chat_id = self._check_chat(params)
        message_id = _as_int(params, "message_id")
        message = self._bot_messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat_id, message_id, message

    async def _edit_message_text(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``editMessageText`` (recorded in :attr:`sent` with ``edited=True``)."""
        if params.get("inline_message_id"):
            return True
        chat_id, message_id, message = self._message_to_edit(params)
        text = _as_str(params, "text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        reply_markup = _as_json(params.get("reply_markup"))
        if (
            self.strict_not_modified
            and message.get("text") == text
            and message.get("reply_markup") == reply_markup
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        else:
            message.pop("reply_markup", None)
        await self._record(
            SentMessage(
                method="editMessageText",
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=reply_markup,
                parse_mode=_as_str(params, "parse_mode"),
                edited=True,
            )
        )
        return message

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], uploads: dict[str, _Upload]
    ) -> Any:
        """``editMessageReplyMarkup`` (recorded in :attr:`markup_edits`)."""
        if params.get("inline_message_id"):
            return True
        chat_id, message_id, message = self._message_to_edit(params)
        reply_markup = _as_json(params.get("reply_markup"))
        if self.strict_not_modified and message.get("reply_markup") == reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self.markup_edits.append(
            SentMessage(
                method="editMessageReplyMarkup",
                chat_id=chat_id,
                message_id=message_id,
                text=message.get("text"),
                reply_markup=reply_markup,
                edited=True,
                at=time.perf_counter(),
            )
        )
        return message

    async def _answer_callback_query(
        self, params: dict[str, Any], uploads: dict[str, _Upload]
    ) -> Any:
        """``answerCallbackQuery``."""
        callback_id = _as_str(params, "callback_query_id")
        if not callback_id:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        self.answered_callbacks.append(callback_id)
        self.callback_answers.append(params)
        return True

    async def _send_file(
        self,
        method: str,
        field_name: str,
        params: dict[str, Any],
        uploads: dict[str, _Upload],
    ) -> dict[str, Any]:
        """Shared part of ``sendDocument`` and ``sendPhoto``."""
        chat_id = self._check_chat(params)
        filename, content, stored = self._upload(field_name, params, uploads)
        caption = _as_str(params, "caption")
        reply_markup = _as_json(params.get("reply_markup"))
        extra: dict[str, Any] = {}
        if stored is not None:
            if field_name == "photo":
                extra["photo"] = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 800,
                        "height": 600,
                        "file_size": len(stored.content),
                    }
                ]
            else:
                extra["document"] = self._document_dict(stored)
        if caption is not None:
            extra["caption"] = caption
        message = self._bot_message(chat_id, extra, reply_markup)
        await self._record(
            SentMessage(
                method=method,
                chat_id=chat_id,
                message_id=message["message_id"],
                reply_markup=reply_markup,
                parse_mode=_as_str(params, "parse_mode"),
                document_name=filename,
                document_bytes=content,
                caption=caption,
            )
        )
        return message

    async def _send_document(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``sendDocument``."""
        return await self._send_file("sendDocument", "document", params, uploads)

    async def _send_photo(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``sendPhoto``."""
        return await self._send_file("sendPhoto", "photo", params, uploads)

    async def _send_chat_action(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``sendChatAction``."""
        chat_id = self._check_chat(params)
        self.chat_actions.append((chat_id, _as_str(params, "action") or ""))
        return True

    @staticmethod
    def _commands_key(params: Mapping[str, Any]) -> tuple[str, str]:
        """``(scope type, language code)`` of a ``*MyCommands`` call."""
        scope = _as_json(params.get("scope")) or {}
        scope_type = str(scope.get("type", "default")) if isinstance(scope, dict) else "default"
        return scope_type, _as_str(params, "language_code") or ""

    async def _set_my_commands(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``setMyCommands``."""
        commands = _as_json(params.get("commands"))
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: parameter commands is required")
        self.my_commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``getMyCommands``."""
        return self.my_commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``deleteMyCommands``."""
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _drop_pending(self) -> None:
        """Forget all queued updates (``drop_pending_updates``)."""
        self._pending.clear()
        self._inflight.clear()

    async def _set_webhook(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``setWebhook`` (recorded; the fake does not deliver to the webhook itself)."""
        url = _as_str(params, "url") or None
        self.webhook_url = url
        self.webhook_secret = _as_str(params, "secret_token") if url else None
        if _as_bool(params, "drop_pending_updates"):
            self._drop_pending()
        self._updates_event.set()
        return True

    async def _delete_webhook(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``deleteWebhook``."""
        self.webhook_url = None
        self.webhook_secret = None
        if _as_bool(params, "drop_pending_updates"):
            self._drop_pending()
        return True

    async def _get_webhook_info(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``getWebhookInfo``."""
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_updates,
        }

    async def _delete_message(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``deleteMessage``."""
        chat_id = _as_int(params, "chat_id")
        message_id = _as_int(params, "message_id")
        if message_id > self._message_ids.get(chat_id, 0):
            raise ApiError(400, "Bad Request: message to delete not found")
        self._bot_messages.pop((chat_id, message_id), None)
        self.deleted_messages.append((chat_id, message_id))
        return True

    async def _get_file(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        """``getFile``."""
        file_id = _as_str(params, "file_id") or ""
        stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }
