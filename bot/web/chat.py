"""The resident web chat (`/tro-chuyen`): a channel like the others, in the browser.

The same flows as Telegram and Zalo, through the same dispatcher: every message the page posts
is stored through the `Intake` (durable before the page answers) and handled from the inbox;
the replies are appended to the browser's history (`storage.web_chat`), with their buttons as
real `<button>`s in forms (a forged payload is only an unknown button to the dispatcher) and
their files (a chart, a PDF) behind a link served only to that browser. The browser's `gn_b`
cookie names the resident (channel `web`); only a digest of it is stored.

- **Sending**: `POST /tro-chuyen` with the text (or a button's payload) and the form's id,
  drawn when the page was rendered: the same form sent twice is one message. The POST waits
  (up to `WAIT` seconds) for the replies to be stored, then redirects to the page; if they are
  not stored yet the page says "đang xử lý" and polls. Works without JavaScript.
- **Pushes** (an officer's answer, a status change) come from the outbox worker through
  `WebChatChannel.send_one`, registered as `site.senders["web"]`; the page fetches only the
  new bubbles every 5 s with htmx (`GET /tro-chuyen/moi`).
- **Keeping**: 30 days (`storage.web_chat.KEEP`), purged nightly and on each message;
  `/xoadulieu` typed in the web chat deletes the browser's history (an eraser registered here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import sqlite3
from collections.abc import Sequence
from datetime import datetime, time
from functools import partial
from typing import Any

from aiohttp import web

from bot.channels.base import ChannelError
from bot.core.delivery import deliver_or_queue
from bot.core.dispatcher import MAX_INPUT_CHARS
from bot.core.feature import DailyJob
from bot.core.intake import context_of, incoming, stored_inbound
from bot.core.registry import Erased
from bot.core.turn import Services
from bot.core.types import Inbound, Reply
from bot.http_server import HttpServer
from bot.web.site import WebSite
from storage import web_chat
from storage.db import Connection, Step, Tx, call
from storage.inbox import Stored
from storage.web_chat import CHANNEL, ChatMessage, StoredFile, chat_key

__all__ = ["CHANNEL", "PATH", "WAIT", "WebChatChannel", "routes"]

log = logging.getLogger(__name__)

PATH = "/tro-chuyen"
WAIT = 8.0
"""Seconds a POST waits for its replies before the page says "đang xử lý" and polls."""

MAX_PAYLOAD = 64
"""The longest button payload (Telegram's limit, which every flow keeps to)."""

ERASED_KIND = "web_chat_messages"
"""The kind `/xoadulieu` reports (`privacy.kind.web_chat_messages`)."""

PURGE_AT = time(3, 10)
"""When the nightly purge of old history runs (Asia/Ho_Chi_Minh)."""

_FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")


def _form_id() -> str:
    return secrets.token_urlsafe(16)


def _pairs(reply: Reply) -> tuple[tuple[str, str], ...]:
    return tuple((choice.label, choice.payload) for choice in reply.choices)


def _file(reply: Reply) -> StoredFile | None:
    attachment = reply.attachment
    if attachment is None:
        return None
    return StoredFile(attachment.filename, attachment.kind, attachment.data)


def _deliver_in(
    conn: Connection,
    chat_id: str,
    form_id: str | None,
    edit: int | None,
    replies: Sequence[Reply],
    now: datetime,
) -> None:
    """Store a message's replies and mark it answered, in one transaction.

    A reply marked `edit_previous` (a toggled choice) changes the pressed message in place, and
    the press's own bubble goes, as Telegram edits the message instead of adding one.
    """
    for reply in replies:
        if (
            reply.edit_previous
            and edit is not None
            and web_chat.replace_reply_in(conn, chat_id, edit, reply.text, _pairs(reply))
        ):
            if form_id is not None:
                web_chat.drop_sent_in(conn, chat_id, form_id)
            continue
        web_chat.add_reply_in(conn, chat_id, reply.text, _pairs(reply), now, _file(reply))
    if form_id is not None:
        web_chat.mark_answered_in(conn, chat_id, form_id, now)


class WebChatChannel:
    """The web chat as a channel: stores what the page posts, keeps every reply for the page."""

    name = CHANNEL

    def __init__(self, site: WebSite) -> None:
        self.site = site
        self.db = site.db
        self.services: Services = site.services
        self.intake = site.app.intake
        self._waiting: dict[tuple[str, str], asyncio.Event] = {}

    async def start(self, server: HttpServer) -> None:
        """Nothing to connect: the routes are the site's (`routes`)."""
        del server

    async def stop(self) -> None:
        """Let every waiting POST answer at once."""
        for event in self._waiting.values():
            event.set()
        self._waiting.clear()

    async def send_one(self, chat_id: str, reply: Reply) -> None:
        """Append one reply (a push from the outbox) to the browser's history.

        Raises:
            ChannelError: The history could not be written (the outbox tries again).
        """
        step = partial(
            web_chat.add_reply_in,
            chat_id=chat_id,
            text=reply.text,
            choices=_pairs(reply),
            now=self.site.clock(),
            file=_file(reply),
        )
        try:
            await self.db.write(step)
        except sqlite3.Error as exc:
            raise ChannelError(type(exc).__name__) from exc

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Append replies in order (the outbox worker's entry)."""
        for reply in replies:
            await self.send_one(chat_id, reply)

    async def prepare(self, item: Stored) -> Inbound:
        """The stored message as an `Inbound`."""
        return stored_inbound(item)

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        """Store a handled message's replies and wake the POST waiting for them; never raises."""
        context = context_of(item)
        form = context.get("form")
        form_id = form if isinstance(form, str) else None
        edit = context.get("edit")
        step = partial(
            _deliver_in,
            chat_id=item.user_id,
            form_id=form_id,
            edit=edit if isinstance(edit, int) else None,
            replies=replies,
            now=self.site.clock(),
        )
        try:
            await self.db.write(step)
        except Exception as exc:
            log.error("web chat delivery failed id=%s error=%s", item.id, type(exc).__name__)
            await deliver_or_queue(
                self.send_one,
                channel=CHANNEL,
                chat_id=item.user_id,
                replies=replies,
                services=self.services,
            )
        if form_id is not None:
            event = self._waiting.get((item.user_id, form_id))
            if event is not None:
                event.set()

    async def accept(self, chat_id: str, form_id: str, inbound: Inbound, edit: int | None) -> None:
        """Store the message in the inbox (durably) and start handling it."""
        context: dict[str, Any] = {"form": form_id}
        if edit is not None:
            context["edit"] = edit
        self._waiting.setdefault((chat_id, form_id), asyncio.Event())
        await self.intake.accept([incoming(inbound, **context)])

    async def wait(self, chat_id: str, form_id: str, within: float) -> bool:
        """Wait until the message of `form_id` is answered; False after `within` seconds."""
        key = (chat_id, form_id)
        event = self._waiting.setdefault(key, asyncio.Event())
        try:
            answered = partial(web_chat.answered_in, chat_id=chat_id, form_id=form_id)
            if await self.db.peek(answered):
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), within)
            return await self.db.peek(answered)
        finally:
            if self._waiting.get(key) is event:
                del self._waiting[key]


async def erase_history(conn: Tx, user_id: int, *, dry_run: bool) -> Erased:
    """The `/xoadulieu` part of the web chat: the browser's history."""
    step: Step[int] = partial(web_chat.erase_in, user_id=user_id, dry_run=dry_run)
    return Erased(removed={ERASED_KIND: await call(conn, step)})


async def purge(services: Services, now: datetime) -> None:
    """The nightly job: forget history older than 30 days."""
    removed = await services.db.write(partial(web_chat.purge_in, now=now))
    log.info("web chat purge removed=%d", removed)


class _Pages:
    """The web chat's pages for one site."""

    def __init__(self, site: WebSite, channel: WebChatChannel) -> None:
        self.site = site
        self.channel = channel
        self.wait_for = WAIT

    def chat_id(self, request: web.Request) -> str:
        return chat_key(self.site.browser_id(request))

    async def _history(self, chat_id: str, after: int = 0) -> tuple[list[ChatMessage], bool]:
        now = self.site.clock()

        def read(conn: Connection) -> tuple[list[ChatMessage], bool]:
            shown = web_chat.history_in(conn, chat_id, now, after=after)
            return shown, web_chat.pending_in(conn, chat_id, now)

        return await self.site.db.peek(read)

    async def page(
        self, request: web.Request, *, status: int = 200, text: str = "", error: str = ""
    ) -> web.Response:
        messages, pending = await self._history(self.chat_id(request))
        return self.site.render(
            request,
            "chat/page.html",
            status=status,
            messages=messages,
            live=_live_from(messages),
            pending=pending,
            form_id=_form_id(),
            text=text,
            error=error,
            last_id=messages[-1].id if messages else 0,
        )

    async def show(self, request: web.Request) -> web.StreamResponse:
        return await self.page(request)

    async def new(self, request: web.Request) -> web.StreamResponse:
        """Only what is new since `sau` (204 when nothing is), for the page's htmx poll."""
        after = _int(request.query.get("sau", "0"))
        was_pending = request.query.get("cho") == "1"
        messages, pending = await self._history(self.chat_id(request), after)
        if not messages and pending == was_pending:
            return web.Response(status=204)
        return self.site.render(
            request,
            "chat/new.html",
            messages=messages,
            live=_live_from(messages),
            pending=pending,
            form_id=_form_id(),
            last_id=messages[-1].id if messages else after,
        )

    async def send(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        t = self.site.translator(request)
        chat_id = self.chat_id(request)
        form_id = str(form.get("form", ""))
        if not _FORM_ID.fullmatch(form_id):
            form_id = _form_id()
        payload = form.get("payload")
        edit: int | None = None
        if isinstance(payload, str) and payload:
            if len(payload) > MAX_PAYLOAD:
                return self.site.bad_request(request, t("web_chat.bad_button"))
            label = await self.site.db.peek(
                partial(web_chat.label_in, chat_id=chat_id, payload=payload)
            )
            shown, sent, text = label or t("web_chat.pressed_unknown"), "p:" + payload, ""
            edit = _int(str(form.get("ref", ""))) or None
        else:
            text = str(form.get("text", "")).strip()
            if not text:
                return _see_chat()
            if len(text) > MAX_INPUT_CHARS:
                error = t("web_chat.too_long", size=len(text), limit=MAX_INPUT_CHARS)
                return await self.page(request, status=400, text=text, error=error)
            shown, sent, payload = text, "t:" + text, None
        now = self.site.clock()
        form_id, fresh = await self._record(chat_id, form_id, sent, shown, now)
        if fresh:
            inbound = Inbound(
                channel=CHANNEL,
                user_id=chat_id,
                chat_id=chat_id,
                message_id=f"{chat_id}:{form_id}",
                received_at=now,
                text=text,
                payload=payload,
                language=self.site.language(request),
            )
            try:
                await self.channel.accept(chat_id, form_id, inbound, edit)
            except Exception as exc:  # not stored: say so, keep the text, forget the bubble
                log.error("web chat message not stored error=%s", type(exc).__name__)
                await self.site.db.write(
                    partial(web_chat.drop_sent_in, chat_id=chat_id, form_id=form_id)
                )
                return await self.page(request, status=503, text=text, error=t("web_chat.not_sent"))
        await self.channel.wait(chat_id, form_id, self.wait_for)
        return _see_chat()

    async def _record(
        self, chat_id: str, form_id: str, sent: str, shown: str, now: datetime
    ) -> tuple[str, bool]:
        """Store the resident's bubble (purging old history); the form id and whether it is new.

        The same form sending something else (a page re-used after going back) gets a new id.
        """
        for _ in range(3):

            def record(conn: Connection, form: str = form_id) -> web_chat.Sent:
                web_chat.purge_in(conn, now)
                return web_chat.record_sent_in(conn, chat_id, form, sent, shown, now)

            outcome = await self.site.db.write(record)
            if outcome != "clash":
                return form_id, outcome == "new"
            form_id = _form_id()
        raise web.HTTPServiceUnavailable

    async def file(self, request: web.Request) -> web.StreamResponse:
        """A reply's file, only for the browser it was sent to (404 for any other)."""
        row_id = _int(request.match_info["row"])
        found = await self.site.db.peek(
            partial(
                web_chat.file_in,
                chat_id=self.chat_id(request),
                row_id=row_id,
                now=self.site.clock(),
            )
        )
        if found is None:
            raise web.HTTPNotFound
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", found.name)[:100] or "tep"
        inline = found.kind == "image" and safe.lower().endswith(".png")
        return web.Response(
            body=found.data,
            content_type="image/png" if inline else _content_type(safe),
            headers={
                "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{safe}"',
                "Cache-Control": "private, no-store",
            },
        )


def _see_chat() -> web.Response:
    """A redirect to the conversation, returned so the site's headers apply.

    No `#fragment`: a targeted fragment stops the browser from focusing the text box.
    """
    return web.Response(status=303, headers={"Location": PATH})


def _content_type(name: str) -> str:
    lowered = name.lower()
    for suffix, kind in (
        (".pdf", "application/pdf"),
        (".csv", "text/csv"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (".png", "image/png"),
    ):
        if lowered.endswith(suffix):
            return kind
    return "application/octet-stream"


def _int(raw: str) -> int:
    """A row id from the address or a form: ASCII digits only, else 0."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0


def _live_from(messages: Sequence[ChatMessage]) -> int:
    """The id after which replies are the current turn (their buttons are shown)."""
    for message in reversed(messages):
        if message.author == "resident":
            return message.id
    return 0


def routes(site: WebSite) -> None:
    """Add the web chat's pages; serve it as the `web` channel (outbox, inbox, eraser, purge)."""
    channel = WebChatChannel(site)
    pages = _Pages(site, channel)
    site.get(PATH, pages.show)
    site.post(PATH, pages.send)
    site.get(PATH + "/moi", pages.new)
    site.get(PATH + "/tep/{row}", pages.file)
    site.senders[CHANNEL] = channel
    site.cleanups.append(channel.stop)
    site.app.intake.attach(channel)
    if "web_chat" not in site.app.registry.erasers:
        site.app.registry.add_eraser("web_chat", erase_history)
    if not any(job.name == "web_chat.purge" for job in site.app.daily_jobs):
        site.app.daily_jobs.append(DailyJob("web_chat.purge", PURGE_AT, purge))
