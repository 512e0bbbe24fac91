"""The registrations desk: the one set of rules the chat's inbox and the web desk both call.

Listing a ward's registrations (filtered by status, cause of poverty and wished support,
searched by reference code, paged), a registration's detail with its timeline, an officer's
status change with a note, a final decision (quyết định công nhận / không công nhận thoát
nghèo) with its number and date, and an admin's correction of one with a reason. Each change is
one unit of work: the new status, its history row, its audit entry and the resident's message
in the outbox commit together, once per request key.

Who may see what is checked here, on every call, whatever the caller already checked: an
officer (cán bộ xã/phường) only within their ward, an admin anywhere; a registration of another
ward is `NotFound`, exactly like an unknown one (the web answers 404, not 403).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.errors import UserFacingError
from bot.core.i18n import Translator, format_day, to_local
from bot.core.text import nfc
from bot.core.types import Reply, Role, User
from handlers.exit_registration import _render
from storage.registrations import (
    CAUSES,
    CORRECTABLE_TO,
    FINAL,
    SUPPORTS,
    TRANSITIONS,
    Applied,
    Decision,
    EntryKind,
    Filters,
    HistoryEntry,
    Notice,
    Outcome,
    Registration,
    RegistrationRepository,
    Status,
)
from storage.users import UserRepository, UserRow

K = "exit_registration."
MAX_NOTE_CHARS = 500
MAX_NUMBER_CHARS = 40
MAX_PER_PAGE = 100

_CODE = re.compile(r"^(?:TN[-\s]?(\d{4})[-\s]?)?0*(\d{1,12})$")
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_NUMBER = re.compile(r"^[\w][\w/.\- ]*$")


class NotFound(Exception):
    """No such registration, or one the actor may not see (another ward's): a 404."""


class InvalidInput(UserFacingError):
    """A typed value the desk refuses; `key` (with `params`) says why, in the user's language."""


# ---------------------------------------------------------------- pure checks


def parse_code(text: str) -> int | None:
    """The registration id a typed reference stands for (`TN-2026-000123`, `000123`, `123`).

    None when the text is not a reference code; the year, when typed, is not checked here (the
    registration found is compared by the caller's list, which shows its real code).
    """
    match = _CODE.match(nfc(text).strip().upper())
    if match is None:
        return None
    number = int(match.group(2))
    return number if number > 0 else None


def check_note(text: str) -> str:
    """A note, trimmed and cut to 500 characters (empty is allowed)."""
    return " ".join(nfc(text).split())[:MAX_NOTE_CHARS]


def check_number(text: str) -> str:
    """A decision number as written on it (`123/QĐ-UBND`): 1–40 letters, digits, `/.-`."""
    cleaned = " ".join(nfc(text).split())
    if not cleaned:
        raise InvalidInput(f"{K}decision.number_missing")
    if len(cleaned) > MAX_NUMBER_CHARS or not _NUMBER.match(cleaned) or "_" in cleaned:
        raise InvalidInput(f"{K}decision.number_invalid", high=MAX_NUMBER_CHARS)
    if not any(char.isdigit() for char in cleaned):
        raise InvalidInput(f"{K}decision.number_invalid", high=MAX_NUMBER_CHARS)
    return cleaned


def check_day(text: str, *, registered_on: date, today: date) -> date:
    """A decision date dd/mm/yyyy, not in the future and not before the registration."""
    match = _DATE.match(nfc(text).strip())
    if match is None:
        raise InvalidInput(f"{K}decision.date_format")
    day, month, year = (int(part) for part in match.groups())
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{K}decision.date_invalid") from None
    if value > today:
        raise InvalidInput(f"{K}decision.date_future", today=format_day(today))
    if value < registered_on:
        raise InvalidInput(f"{K}decision.date_early", registered=format_day(registered_on))
    return value


def check_decision(number: str, day: str, *, registration: Registration, today: date) -> Decision:
    """The decision typed for `registration` (number and date checked), or `InvalidInput`."""
    checked_number = check_number(number)
    registered_on = to_local(registration.created_at).date()
    checked_day = check_day(day, registered_on=registered_on, today=today)
    return Decision(checked_number, checked_day.isoformat())


# ---------------------------------------------------------------- what the desk shows


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a ward's registrations."""

    items: list[Registration]
    total: int
    page: int
    """From 1."""
    per_page: int
    replied: frozenset[int] = frozenset()
    """Ids of the page's registrations whose resident answered last (new to the officers)."""

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least 1)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One row of a registration's timeline, with who made it."""

    at: datetime
    actor: str
    """The actor's display name, "Người dân" for the resident, "" for the system."""
    actor_role: str
    """``resident``, ``officer``, ``admin`` or '' (the system, or a user since deleted)."""
    from_status: str
    to_status: Status
    note: str
    kind: EntryKind
    decision_number: str
    decision_date: date | None


@dataclass(frozen=True, slots=True)
class Detail:
    """A registration with its timeline and what the actor may do next."""

    registration: Registration
    timeline: list[TimelineEntry]
    ward_name: str
    targets: list[Status]
    """The status changes the actor may make (the final decisions among them need a number)."""
    can_correct: bool
    """Whether the actor (an admin) may correct the final decision."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a change request came to, and who was told (to wake the outbox sender)."""

    outcome: Outcome
    registration: Registration | None
    notified: list[tuple[str, str]] = field(default_factory=list)


def is_final(status: Status) -> bool:
    """Whether `status` is one of the two final decisions (number and date required)."""
    return status in FINAL


def correction_targets(registration: Registration) -> list[Status]:
    """Where an admin may correct a final decision to (in a stable order)."""
    return (
        [status for status in Status if status in CORRECTABLE_TO]
        if is_final(registration.status)
        else []
    )


# ---------------------------------------------------------------- the desk


class Desk:
    """The registrations desk's operations; every call checks the actor and the ward."""

    def __init__(self, repo: RegistrationRepository, users: UserRepository) -> None:
        self.repo = repo
        self.users = users

    # ------------------------------------------------------------ access

    @staticmethod
    def may_see(actor: User, ward_id: str) -> bool:
        """Whether `actor` may see the registrations of `ward_id`: its officers, or an admin."""
        if actor.role is Role.ADMIN:
            return True
        return actor.role is Role.OFFICER and actor.ward_id is not None and actor.ward_id == ward_id

    async def load(self, actor: User, registration_id: int) -> Registration:
        """The registration, if `actor` may see it; else `NotFound`."""
        registration = await self.repo.get(registration_id)
        if registration is None or not self.may_see(actor, registration.ward_id):
            raise NotFound
        return registration

    # ------------------------------------------------------------ reading

    async def page(
        self,
        actor: User,
        ward_id: str,
        *,
        status: Status | None = None,
        cause: str | None = None,
        support: str | None = None,
        query: str = "",
        page: int = 1,
        per_page: int = 20,
    ) -> Page:
        """One page of the ward's registrations, oldest first, with the total.

        `query` is a reference code (a text that is not one finds nothing). An unknown cause
        or support finds nothing rather than everything.
        """
        if not self.may_see(actor, ward_id):
            raise NotFound
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        registration_id = parse_code(query) if query.strip() else None
        unknown = (cause is not None and cause not in CAUSES) or (
            support is not None and support not in SUPPORTS
        )
        if unknown or (query.strip() and registration_id is None):
            return Page([], 0, page, per_page)
        filters = Filters(status, cause, support, registration_id)
        items, total = await self.repo.search(
            ward_id, filters, limit=per_page, offset=(page - 1) * per_page
        )
        replied = await self.repo.replied([item.id for item in items])
        return Page(items, total, page, per_page, frozenset(replied))

    def targets(self, actor: User, registration: Registration) -> list[Status]:
        """The status changes `actor` may make now (none on an anonymised registration)."""
        if registration.anonymised or not self.may_see(actor, registration.ward_id):
            return []
        return sorted(TRANSITIONS[registration.status])

    def can_correct(self, actor: User, registration: Registration) -> bool:
        """Whether `actor` may correct the registration's final decision (admins only)."""
        return actor.role is Role.ADMIN and is_final(registration.status)

    async def detail(self, actor: User, registration_id: int) -> Detail:
        """The registration with its timeline (who, when, note, decision); `NotFound` else."""
        registration = await self.load(actor, registration_id)
        history = await self.repo.history(registration.id)
        ward = await self.users.ward(registration.ward_id)
        return Detail(
            registration,
            await self._timeline(history),
            ward.name if ward else registration.ward_id,
            self.targets(actor, registration),
            self.can_correct(actor, registration),
        )

    async def _timeline(self, history: list[HistoryEntry]) -> list[TimelineEntry]:
        actors: dict[int, UserRow | None] = {}
        entries = []
        for entry in history:
            uid = entry.actor_user_id
            if uid is not None and uid not in actors:
                actors[uid] = await self.users.get(uid)
            row = actors.get(uid) if uid is not None else None
            role = row.role if row is not None else ""
            name = (row.display_name or f"#{row.id}") if row is not None else ""
            entries.append(
                TimelineEntry(
                    at=entry.at,
                    actor=name,
                    actor_role=role,
                    from_status=entry.from_status,
                    to_status=entry.to_status,
                    note=entry.note,
                    kind=entry.kind,
                    decision_number=entry.decision_number,
                    decision_date=date.fromisoformat(entry.decision_date)
                    if entry.decision_date
                    else None,
                )
            )
        return entries

    # ------------------------------------------------------------ changing

    async def change_status(
        self,
        actor: User,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        note: str,
        now: datetime,
        request_key: str | None = None,
    ) -> Result:
        """An officer's status change with a note (the question, for "cần bổ sung").

        The final decisions go through `record_decision` (they need a number and a date) and
        are refused here. The resident is told in the same transaction.
        """
        registration = await self.load(actor, registration_id)
        note = check_note(note)

        def refused() -> bool:
            if target is Status.NEEDS_INFO and not note:
                raise InvalidInput(f"{K}officer.question_required")
            return is_final(target) or target not in self.targets(actor, registration)

        return await self._submit(
            registration,
            request_key,
            refused,
            lambda rt: _status_text(rt, registration, target, note),
            lambda notice: self.repo.change(
                registration.id,
                expected=expected,
                target=target,
                actor_user_id=actor.id,
                note=note,
                now=now,
                request_key=request_key,
                notice=notice,
            ),
        )

    async def record_decision(
        self,
        actor: User,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision,
        now: datetime,
        note: str = "",
        request_key: str | None = None,
    ) -> Result:
        """Record a final decision with its number and date, once per `request_key`.

        The decision must have been checked (`check_decision`); the resident is told of the
        decision, its number and date in the same transaction.
        """
        registration = await self.load(actor, registration_id)
        note = check_note(note)
        return await self._submit(
            registration,
            request_key,
            lambda: not is_final(target) or target not in self.targets(actor, registration),
            lambda rt: _decision_text(rt, registration, target, decision),
            lambda notice: self.repo.decide(
                registration.id,
                expected=expected,
                target=target,
                decision=decision,
                actor_user_id=actor.id,
                note=note,
                now=now,
                request_key=request_key,
                notice=notice,
            ),
        )

    async def correct_decision(
        self,
        actor: User,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision | None,
        reason: str,
        now: datetime,
        request_key: str | None = None,
    ) -> Result:
        """An admin's correction of a final decision; the reason is kept in the history.

        `target` is a final decision (with its `decision`) or "Đã hẹn khảo sát" (the decision
        annulled). Officers are refused (`NotFound` for another ward, REFUSED for their own).
        The resident is told of the correction and its reason.
        """
        registration = await self.load(actor, registration_id)
        reason = check_note(reason)
        carried = decision if is_final(target) else None

        def refused() -> bool:
            if not reason:
                raise InvalidInput(f"{K}decision.reason_required")
            if actor.role is not Role.ADMIN or target not in correction_targets(registration):
                return True
            return is_final(target) and decision is None

        return await self._submit(
            registration,
            request_key,
            refused,
            lambda rt: _corrected_text(rt, registration, target, carried, reason),
            lambda notice: self.repo.correct(
                registration.id,
                expected=expected,
                target=target,
                decision=carried,
                actor_user_id=actor.id,
                reason=reason,
                now=now,
                request_key=request_key,
                notice=notice,
            ),
        )

    async def settle(
        self,
        actor: User,
        registration_id: int,
        *,
        correcting: bool,
        expected: Status,
        target: Status,
        decision: Decision | None,
        reason: str,
        now: datetime,
        request_key: str | None,
    ) -> Result | None:
        """A confirmed decision (`record_decision`) or correction (`correct_decision`).

        What the chat's and the web's "Xác nhận" both call; None when a decision (not a
        correction) comes without its number and date, so there is nothing to record.
        """
        if correcting:
            return await self.correct_decision(
                actor,
                registration_id,
                expected=expected,
                target=target,
                decision=decision,
                reason=reason,
                now=now,
                request_key=request_key,
            )
        if decision is None:
            return None
        return await self.record_decision(
            actor,
            registration_id,
            expected=expected,
            target=target,
            decision=decision,
            now=now,
            request_key=request_key,
        )

    async def _submit(
        self,
        registration: Registration,
        request_key: str | None,
        refused: Callable[[], bool],
        text: Callable[[Translator], str],
        write: Callable[[Notice | None], Awaitable[Applied]],
    ) -> Result:
        """The steps every change shares: a repeated key first, then the change's own checks.

        `refused()` may raise `InvalidInput` (a bad note) or say the change is not allowed;
        otherwise the resident's message (`text`) is drawn and `write` records it all at once.
        """
        if await self.repo.key_used(request_key):
            return Result(Outcome.REPEATED, registration)
        if refused():
            return Result(Outcome.REFUSED, registration)
        notice = await self._notice(registration, text)
        applied = await write(notice)
        notified = (
            [(notice.channel, notice.chat_id)] if notice and applied.outcome is Outcome.DONE else []
        )
        return Result(applied.outcome, applied.registration, notified)

    async def _notice(
        self, registration: Registration, text: Callable[[Translator], str]
    ) -> Notice | None:
        """The message to the resident, in their language (None if they cannot be reached)."""
        resident = await self.users.get(registration.user_id or 0)
        if resident is None or not registration.chat_id:
            return None
        body = Reply(text(Translator(resident.language))).to_json()
        return Notice(registration.channel, registration.chat_id, body)


def new_registration_text(language: str, registration: Registration, ward_name: str) -> str:
    """What a ward's officer is told of a new registration: its code and the ward, no more."""
    return Translator(language)(
        f"{K}officer.push_new", code=registration.code, ward=ward_name or registration.ward_id
    )


def _status_text(rt: Translator, registration: Registration, target: Status, note: str) -> str:
    key = "push_needs_info" if target is Status.NEEDS_INFO else "push_status"
    return rt(
        f"{K}{key}",
        code=registration.code,
        status=_render.status_label(rt, target),
        note=note or "—",
    )


def _decision_text(
    rt: Translator, registration: Registration, target: Status, decision: Decision
) -> str:
    return rt(f"{K}push_decision", **_decision_words(rt, registration, target, decision))


def _corrected_text(
    rt: Translator,
    registration: Registration,
    target: Status,
    decision: Decision | None,
    reason: str,
) -> str:
    if decision is None:
        return rt(
            f"{K}push_annulled",
            code=registration.code,
            status=_render.status_label(rt, target),
            reason=reason,
        )
    words = _decision_words(rt, registration, target, decision)
    return rt(f"{K}push_corrected", **words, reason=reason)


def _decision_words(
    rt: Translator, registration: Registration, target: Status, decision: Decision
) -> dict[str, str]:
    """The code, status, number and date a decision's message names."""
    return {
        "code": registration.code,
        "status": _render.status_label(rt, target),
        "number": decision.number,
        "date": format_day(date.fromisoformat(decision.day), rt.language),
    }
