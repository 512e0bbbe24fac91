"""The dispatcher: dedupe → per-user lock → load session → route → run handler → save.

Messages from one user are handled strictly in order (a per-user lock, taken before any other
await, so arrival order is lock order); different users run concurrently. One error boundary
turns unexpected errors into a short apology with a reference id and logs them without any
personal data.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial

from bot.core.errors import PermissionDenied, UserFacingError
from bot.core.flow import Signal
from bot.core.i18n import Translator
from bot.core.registry import Flow, Registry
from bot.core.text import fold, nfc
from bot.core.turn import Services, Turn
from bot.core.types import Choice, Inbound, Reply, Role, Session, User
from storage import inbox
from storage.db import Connection
from storage.users import UserRow

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 2000
MAX_LABEL_CHARS = 80  # longer text cannot be a button label, so it is not compared


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """Hold the lock of `key`; waiters get it in arrival order."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@functools.lru_cache(maxsize=4096)
def _label_key(text: str) -> str:
    """A label (or typed text) without case, diacritics, emoji or punctuation; labels recur."""
    return "".join(ch for ch in fold(text) if ch.isalnum() or ch == " ").strip()


def _match_label(text: str, label: str) -> bool:
    folded_text = _label_key(text)
    return bool(folded_text) and folded_text == _label_key(label)


def resolve_choice(session: Session, text: str) -> str | None:
    """The payload a typed number or button label stands for, given what was last offered."""
    if not session.offered:
        return None
    stripped = text.strip().rstrip(".)")
    if stripped.isascii() and stripped.isdigit() and not session.offered_text:
        index = int(stripped)
        if 1 <= index <= len(session.offered):
            return session.offered[index - 1][1]
        return None
    if len(text) > MAX_LABEL_CHARS:
        return None
    for label, payload in session.offered:
        if _match_label(text, label):
            return payload
    return None


class Dispatcher:
    """Routes inbound messages to handlers and keeps sessions written through."""

    def __init__(self, services: Services, registry: Registry) -> None:
        self.services = services
        self.registry = registry
        self.errors = 0
        """Handler failures answered with the apology, in this process (for `/metrics`)."""
        self.locks = KeyedLocks()
        self.on_push: Callable[[], None] | None = None

    async def handle(self, inbound: Inbound, *, inbox_id: int | None = None) -> list[Reply]:
        """Handle one inbound message; returns the replies for the sender (empty if a duplicate).

        `inbox_id`: the message's row in the durable inbox (`bot.core.intake`); it is marked
        handled, with the replies, in the same transaction as the session and the processed mark.
        """
        async with self.locks.hold((inbound.channel, inbound.user_id)):
            return await self._handle_locked(inbound, inbox_id)

    async def _handle_locked(self, inbound: Inbound, inbox_id: int | None) -> list[Reply]:
        services = self.services
        now = services.clock()
        opened = await services.db.peek(lambda conn: self._lookup_in(conn, inbound, now))
        if opened is None:
            log.info("duplicate skipped", extra={"channel": inbound.channel})
            return []
        row, session = opened
        if row is None or not row.reachable_at(inbound.chat_id):  # first contact, or new chat
            row = await services.users.get_or_create(
                inbound.channel,
                inbound.user_id,
                chat_id=inbound.chat_id,
                language=services.config.default_language,
                display_name=inbound.display_name,
                now=now,
            )
        user = User.from_row(row)
        translator = Translator(user.language)
        inbound = replace(inbound, text=nfc(inbound.text))
        if inbound.payload is None and len(inbound.text) > MAX_INPUT_CHARS:
            replies = [
                Reply(translator("error.too_long", limit=MAX_INPUT_CHARS, size=len(inbound.text)))
            ]
            await self._save(session, inbound, replies, keep_offered=True, inbox_id=inbox_id)
            return replies
        if inbound.payload is None and inbound.text:
            resolved = resolve_choice(session, inbound.text)
            if resolved is None and not session.offered_text:
                resolved = self._typed_menu_item(user.role, translator, inbound.text)
            if resolved is not None:
                inbound = replace(inbound, payload=resolved)
        turn = Turn(inbound, user, session, services, translator, now)
        try:
            replies = await self._route(turn)
        except UserFacingError as exc:
            if isinstance(exc, PermissionDenied):
                await services.audit.record(
                    actor_user_id=user.id,
                    action="access.denied",
                    target=(inbound.payload or "").split(":", 1)[0],
                    now=now,
                )
            session = await services.sessions.load(inbound.channel, inbound.user_id, now=now)
            replies = [Reply(translator(exc.key, **exc.params))]
            await self._save(session, inbound, replies, keep_offered=True, inbox_id=inbox_id)
            return replies
        except Exception as exc:
            self.errors += 1
            ref = secrets.token_hex(4).upper()
            log.error(
                "handler failed ref=%s flow=%s step=%s error=%s at %s",
                ref,
                session.flow,
                session.step,
                type(exc).__name__,
                " < ".join(
                    f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}:{frame.name}"
                    for frame in reversed(traceback.extract_tb(exc.__traceback__))
                ),
            )
            session = await services.sessions.load(inbound.channel, inbound.user_id, now=now)
            replies = [Reply(translator("error.unexpected", ref=ref))]
            await self._save(session, inbound, replies, keep_offered=True, inbox_id=inbox_id)
            return replies
        await self._save(session, inbound, replies, keep_offered=False, inbox_id=inbox_id)
        if turn.pushed and self.on_push is not None:
            self.on_push()
        return replies

    def _typed_menu_item(self, role: Role, translator: Translator, text: str) -> str | None:
        """A main-menu label typed anywhere opens that item, as its button would.

        Not on a step that waits for typed input (there the text is the input), and only the
        items of the user's role.
        """
        if len(text) > MAX_LABEL_CHARS:
            return None
        for item in self.registry.menu_for(role):
            if _match_label(text, translator(item.label_key)):
                return f"menu:{item.key}"
        return None

    def _lookup_in(
        self, conn: Connection, inbound: Inbound, now: datetime
    ) -> tuple[UserRow | None, Session] | None:
        """Dedupe mark, user and session, read together (None: the message was handled already)."""
        services = self.services
        if services.sessions.is_processed_in(conn, inbound.channel, inbound.message_id):
            return None
        row = services.users.find_in(conn, inbound.channel, inbound.user_id)
        return row, services.sessions.load_in(conn, inbound.channel, inbound.user_id, now=now)

    async def _save(
        self,
        session: Session,
        inbound: Inbound,
        replies: list[Reply],
        *,
        keep_offered: bool,
        inbox_id: int | None,
    ) -> None:
        """The session, the processed mark and (if stored) the inbox row's replies, together."""
        if not keep_offered:
            last = replies[-1] if replies else None
            session.offered = [(c.label, c.payload) for c in last.choices] if last else []
            session.offered_text = bool(last and last.expects_text)
        now = self.services.clock()
        sessions = self.services.sessions
        unit = self.services.db.unit(
            partial(sessions.save_in, session=session, now=now, message_id=inbound.message_id),
            durable=False,
        )
        if inbox_id is not None:
            stored = [reply.to_json() for reply in replies]
            unit.add(partial(inbox.handled_in, row_id=inbox_id, replies=stored, now=now))
        await unit.commit()

    async def _route(self, turn: Turn) -> list[Reply]:
        if turn.payload is None:
            return await self._route_text(turn)
        if turn.payload.startswith("menu:"):
            return await self._route_menu(turn, turn.payload.removeprefix("menu:"))
        return await self._route_button(turn, turn.payload)

    async def _route_text(self, turn: Turn) -> list[Reply]:
        """Typed text: a command, else the current flow's step, else the Q&A."""
        registry = self.registry
        if not turn.text:
            flow = registry.flows.get(turn.session.flow or "")
            if turn.inbound.document is not None and flow is not None:
                return await self._in_flow(turn, flow)  # a file sent without a caption
            return [turn.reply("error.unsupported")]
        found = registry.find_command(turn.text)
        if found is not None:
            command, argument = found
            if turn.user.role not in command.roles:
                raise PermissionDenied
            turn.argument = argument
            return await command.handler(turn)
        flow = registry.flows.get(turn.session.flow or "")
        if flow is not None:
            return await self._in_flow(turn, flow)
        return await self._fallback(turn)

    async def _route_menu(self, turn: Turn, key: str) -> list[Reply]:
        """`menu:<key>`: the main menu, the one cancel, or a menu item."""
        if key == "main":
            turn.session.clear()
            return self.menu(turn)
        if key == "cancel":
            return self.cancel(turn)
        for item in self.registry.menu:
            if item.key == key:
                if turn.user.role not in item.roles:
                    raise PermissionDenied
                return await item.start(turn)
        return [turn.reply("error.unknown_button"), *self.menu(turn)]

    async def _route_button(self, turn: Turn, payload: str) -> list[Reply]:
        """A button of a flow (only while in that flow) or of a stateless action."""
        registry = self.registry
        prefix = payload.split(":", 1)[0]
        flow = registry.flows.get(prefix)
        if flow is not None:
            if turn.user.role not in flow.roles:
                raise PermissionDenied
            if turn.session.flow != prefix:
                return [turn.reply("error.stale_button"), *self.menu(turn)]
            return await self._in_flow(turn, flow)
        action = registry.actions.get(prefix)
        if action is not None:
            if turn.user.role not in action.roles:
                raise PermissionDenied
            return await action.handler(turn)
        return [turn.reply("error.unknown_button"), *self.menu(turn)]

    async def _in_flow(self, turn: Turn, flow: Flow) -> list[Reply]:
        """Runs the flow's step and acts on its signal (`bot.core.flow.Signal`)."""
        result = await flow.handle(turn)
        if result is Signal.REPEAT:
            return self.repeat(turn)
        if result is Signal.UNHANDLED:
            answer = await self._fallback(turn)
            if turn.session.flow is None or not turn.session.offered:
                return answer
            reminder = self.repeat(turn)[-1]
            return [*answer, replace(reminder, text=turn.t("flow.continue"))]
        return result

    async def _fallback(self, turn: Turn) -> list[Reply]:
        """Text no command or step takes: the Q&A (the flow, if any, stays where it was)."""
        if turn.payload is None and self.registry.fallback is not None:
            return await self.registry.fallback(turn)
        return [turn.reply("error.not_understood"), *self.menu(turn)]

    def repeat(self, turn: Turn) -> list[Reply]:
        """The options last offered, shown again under "choose one of the options"."""
        offered = tuple(Choice(label, payload) for label, payload in turn.session.offered)
        # A step that waited for typed input still does: a typed "2" stays input, not option 2.
        expects_text = turn.session.offered_text
        return [Reply(turn.t("common.choose_above"), offered, expects_text=expects_text)]

    def cancel(self, turn: Turn) -> list[Reply]:
        """The one cancel: leaves the current flow at any step and shows the menu."""
        was_in_flow = turn.session.flow is not None
        turn.session.clear()
        key = "menu.cancelled" if was_in_flow else "menu.nothing_to_cancel"
        return self.menu(turn, greeting=turn.t(key))

    def menu(self, turn: Turn, *, greeting: str | None = None) -> list[Reply]:
        """The main menu as buttons for the user's role."""
        items = self.registry.menu_for(turn.user.role)
        choices = tuple(Choice(turn.t(item.label_key), f"menu:{item.key}") for item in items)
        text = greeting if greeting is not None else turn.t("menu.prompt")
        return [Reply(text, choices)]
