"""What a handler receives: the inbound, the user, the session, services, `t()` and `now`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.config import Config
from bot.core.errors import PermissionDenied
from bot.core.i18n import Translator, format_day, format_moment, format_vnd, to_local
from bot.core.types import Choice, Inbound, Reply, Role, Session, User
from storage.audit import AuditLog
from storage.db import Database, Step
from storage.outbox import Outbox, enqueue_step
from storage.sessions import SessionRepository
from storage.users import UserRepository

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Services:
    """Shared dependencies of every handler, built once by the composition root."""

    config: Config
    db: Database
    users: UserRepository
    sessions: SessionRepository
    audit: AuditLog
    outbox: Outbox
    clock: Clock


@dataclass(slots=True)
class Turn:
    """One inbound message being handled for one user."""

    inbound: Inbound
    user: User
    session: Session
    services: Services
    t: Translator
    now: datetime
    argument: str = ""
    pushed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What the user typed, stripped (empty for button presses)."""
        return self.inbound.text.strip()

    @property
    def payload(self) -> str | None:
        """The button payload (or the payload a typed number/label resolved to)."""
        return self.inbound.payload

    @property
    def today(self) -> date:
        """Today's date in Vietnam."""
        return to_local(self.now).date()

    @property
    def language(self) -> str:
        """The user's language code."""
        return self.t.language

    def reply(self, key: str, /, *choices: Choice, **params: object) -> Reply:
        """A reply with the translated text of `key` and optional buttons."""
        return Reply(self.t(key, **params), tuple(choices))

    def choice(self, key: str, payload: str, /, **params: object) -> Choice:
        """A button labelled with the translated text of `key`."""
        return Choice(self.t(key, **params), payload)

    def money(self, amount: int) -> str:
        """Đồng formatted with Babel: `1.500.000 ₫`."""
        return format_vnd(amount, self.language)

    def day(self, value: date) -> str:
        """A date formatted for the user."""
        return format_day(value, self.language)

    def moment(self, value: datetime) -> str:
        """A time formatted for the user, in Asia/Ho_Chi_Minh."""
        return format_moment(value, self.language)

    def require_staff(self, ward_id: str | None = None) -> None:
        """Raise `PermissionDenied` unless the user is an officer of `ward_id` or an admin.

        Always called on the server side: button payloads come from the client and can be forged.
        """
        if not self.user.is_staff:
            raise PermissionDenied
        if self.user.role is Role.ADMIN:
            return
        if self.user.ward_id is None or (ward_id is not None and ward_id != self.user.ward_id):
            raise PermissionDenied

    async def push(
        self, channel: str, chat_id: str, reply: Reply, *, carries_my_data: bool = False
    ) -> None:
        """Queue a message to another user in the durable outbox.

        `carries_my_data`: the message holds this user's personal data (their question sent to
        the officers), so their `/xoadulieu` deletes it as well.
        """
        await self.services.outbox.enqueue(
            channel=channel,
            chat_id=chat_id,
            body=reply.to_json(),
            now=self.now,
            subject_user_id=self.user.id if carries_my_data else None,
        )
        self.pushed.append((channel, chat_id))

    def push_step(
        self, channel: str, chat_id: str, reply: Reply, *, carries_my_data: bool = False
    ) -> Step[int]:
        """`push` as a step of the caller's unit of work: it is queued only if the unit commits."""
        self.pushed.append((channel, chat_id))
        return enqueue_step(
            channel=channel,
            chat_id=chat_id,
            body=reply.to_json(),
            now=self.now,
            subject_user_id=self.user.id if carries_my_data else None,
        )
