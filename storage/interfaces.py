"""The small interfaces the rest of the code stores through, one per kind of record.

Handlers and the core depend on these shapes, not on SQLite: the SQLite repositories satisfy
them today (`tests/storage/` runs one contract suite against SQLite on a file and in memory),
and another backend (PostgreSQL) has only to pass the same suite. Each protocol lists the
asynchronous operations; the `*_in` steps of the SQLite repositories are that backend's own
way of joining a unit of work (`storage.db.Database.unit`) and are not part of the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from storage.db import Step
from storage.ledger import (
    Balance,
    Campaign,
    Disbursement,
    Entry,
    NewDisbursement,
    NewEntry,
    Summary,
)
from storage.outbox import OutboxMessage
from storage.questions import (
    FrequentQuestion,
    HandoverQuestion,
    LearnedPhrasing,
    LoggedQuestion,
    NewHandover,
    Notify,
)
from storage.registrations import (
    Applied,
    Decision,
    Filters,
    HistoryEntry,
    NewRegistration,
    Notice,
    Registration,
    Status,
    WardSummary,
)
from storage.registrations import Notify as RegistrationNotify
from storage.sessions import Session
from storage.users import UserRow, Ward

__all__ = [
    "LedgerStore",
    "OutboxStore",
    "QuestionLog",
    "RegistrationStore",
    "SessionStore",
    "UserStore",
]


@runtime_checkable
class SessionStore(Protocol):
    """Where each user is in a conversation, and the ids of messages already handled."""

    ttl: timedelta

    async def load(self, channel: str, user_id: str, *, now: datetime) -> Session:
        """The user's session; an expired one comes back cleared."""
        ...

    async def is_processed(self, channel: str, message_id: str) -> bool:
        """Whether this message was already handled."""
        ...

    async def save(self, session: Session, *, now: datetime, message_id: str | None) -> None:
        """Write the session and (if given) mark the message processed, together."""
        ...

    async def delete(self, channel: str, user_id: str) -> None:
        """Forget the user's session."""
        ...

    async def purge(self, *, now: datetime, keep_processed: timedelta = ...) -> tuple[int, int]:
        """Drop expired sessions and old processed marks; how many of each went."""
        ...


@runtime_checkable
class UserStore(Protocol):
    """Users, their roles and the wards served."""

    async def get_or_create(
        self,
        channel: str,
        external_id: str,
        *,
        chat_id: str,
        language: str,
        display_name: str,
        now: datetime,
    ) -> UserRow:
        """The stored user, created as a resident on first contact."""
        ...

    async def get(self, user_id: int) -> UserRow | None:
        """A user by internal id."""
        ...

    async def find(self, channel: str, external_id: str) -> UserRow | None:
        """A user by channel and channel user id."""
        ...

    async def set_role(
        self, channel: str, external_id: str, role: str, ward_id: str | None, *, now: datetime
    ) -> UserRow:
        """Give a user a role and ward (creating the user)."""
        ...

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        ...

    async def set_ward(self, user_id: int, ward_id: str | None) -> None:
        """Remember a resident's ward."""
        ...

    async def mark_inactive(self, channel: str, chat_id: str) -> None:
        """Stop pushing to a user who blocked the bot."""
        ...

    async def staff(self, *, ward_id: str | None = None) -> list[UserRow]:
        """Officers and admins (of a ward: the active ones)."""
        ...

    async def ward(self, ward_id: str) -> Ward | None:
        """A ward by id."""
        ...

    async def ward_by_code(self, code: str) -> Ward | None:
        """A ward by official code."""
        ...

    async def wards(self, *, include_disabled: bool = False) -> list[Ward]:
        """The wards in service, by name."""
        ...

    async def resolve_ward(self, text: str) -> Ward:
        """The ward in service named by id, code or name."""
        ...

    async def add_ward(self, ward: Ward) -> None:
        """Create or update a ward and put it in service."""
        ...

    async def remove_ward(self, ward_id: str) -> str:
        """Take a ward out of service ("deleted" or "disabled")."""
        ...

    async def staff_counts(self) -> dict[str, int]:
        """Officers and admins per ward id."""
        ...


@runtime_checkable
class OutboxStore(Protocol):
    """Messages pushed to other users, stored before anyone is told they will arrive."""

    MAX_ATTEMPTS: int

    async def enqueue(
        self,
        *,
        channel: str,
        chat_id: str,
        body: dict[str, Any],
        now: datetime,
        subject_user_id: int | None = None,
    ) -> None:
        """Queue a message."""
        ...

    async def pending(
        self,
        channels: list[str],
        *,
        chat_id: str | None = None,
        limit: int = 50,
        worker: str = "local",
    ) -> list[OutboxMessage]:
        """Unsent messages no other live worker has claimed, claimed for `worker`; oldest first."""
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Settle a delivered message."""
        ...

    async def mark_failed(self, message_id: int, error: str, *, give_up: bool = False) -> None:
        """Count a failed attempt."""
        ...


@runtime_checkable
class LedgerStore(Protocol):
    """Campaigns and the append-only donation ledger."""

    async def create_campaign(
        self,
        *,
        ward_id: str | None,
        name: str,
        target: int,
        starts_on: date,
        ends_on: date,
        created_by: int | None,
        now: datetime,
        fund: str = ...,
        province_code: str | None = None,
    ) -> Campaign:
        """Create a campaign (audited)."""
        ...

    async def campaign(self, campaign_id: int) -> Campaign | None:
        """One campaign by id."""
        ...

    async def campaigns(
        self, *, ward_id: str | None = None, all_wards: bool = False
    ) -> list[Campaign]:
        """A ward's campaigns plus its province's."""
        ...

    async def open_campaigns(self, *, ward_id: str | None, day: date) -> list[Campaign]:
        """Campaigns a ward can log gifts to on `day`."""
        ...

    async def append(self, new: NewEntry, *, now: datetime) -> Entry:
        """Record a gift durably (once per idempotency key)."""
        ...

    async def reverse(
        self,
        entry_id: int,
        *,
        reason: str,
        recorded_by: int | None,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Entry:
        """Record the reversal of a gift."""
        ...

    async def entry(self, entry_id: int) -> Entry | None:
        """One entry by id."""
        ...

    async def by_receipt(self, receipt: str) -> Entry | None:
        """One entry by receipt number."""
        ...

    async def reversal_of(self, entry_id: int) -> Entry | None:
        """The reversal of a gift, if any."""
        ...

    async def entries(
        self,
        *,
        campaign_id: int | None = None,
        ward_id: str | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries in order of recording."""
        ...

    async def total(self, campaign_id: int, *, ward_id: str | None = None) -> int:
        """The sum of a campaign's entries."""
        ...

    async def summary(self, campaign_id: int, *, ward_id: str | None = None) -> Summary:
        """Raised total, gift count and breakdowns."""
        ...

    async def public_donors(self, campaign_id: int) -> list[str]:
        """Donors who agreed to be named."""
        ...

    async def gifts_with_reference(self, ward_id: str, reference: str) -> list[Entry]:
        """The ward's unreversed transfer gifts with this bank reference."""
        ...

    async def disburse(self, new: NewDisbursement, *, now: datetime) -> Disbursement:
        """Record a disbursement durably, within the available balance (once per key)."""
        ...

    async def reverse_disbursement(
        self,
        disbursement_id: int,
        *,
        reason: str,
        recorded_by: int | None,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Disbursement:
        """Record the reversal of a disbursement."""
        ...

    async def disbursement(self, disbursement_id: int) -> Disbursement | None:
        """One disbursement by id."""
        ...

    async def by_voucher(self, voucher: str) -> Disbursement | None:
        """One disbursement by voucher number."""
        ...

    async def disbursement_reversal_of(self, disbursement_id: int) -> Disbursement | None:
        """The reversal of a disbursement, if any."""
        ...

    async def disbursements(
        self,
        *,
        campaign_id: int | None = None,
        ward_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
        fund: str | None = None,
    ) -> list[Disbursement]:
        """Disbursements in order of recording, filtered."""
        ...

    async def balance(
        self,
        *,
        ward_id: str,
        fund: str = ...,
        campaign_id: int | None = None,
        on: date | None = None,
    ) -> Balance:
        """Gifts, disbursements and the available balance up to a date."""
        ...


@runtime_checkable
class RegistrationStore(Protocol):
    """Registrations to exit poverty, their status history and the desk's changes."""

    async def create(
        self,
        new: NewRegistration,
        *,
        token: str,
        now: datetime,
        year: int,
        notify: RegistrationNotify | None = None,
    ) -> tuple[Registration, bool]:
        """Store a registration once per token (and notify the ward's officers, once)."""
        ...

    async def get(self, registration_id: int) -> Registration | None:
        """A registration by id."""
        ...

    async def for_user(self, user_id: int) -> list[Registration]:
        """A resident's registrations, newest first."""
        ...

    async def count(self) -> int:
        """How many registrations exist."""
        ...

    async def in_ward(
        self, ward_id: str, *, status: Status | None = None, limit: int = 1000, offset: int = 0
    ) -> list[Registration]:
        """A ward's registrations, oldest first."""
        ...

    async def history(self, registration_id: int) -> list[HistoryEntry]:
        """The status changes, oldest first."""
        ...

    async def transition(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        action: str,
        notice: Notice | None = None,
        then: Sequence[Step[Any]] = (),
    ) -> Registration | None:
        """Move a registration (history, audit, notice, `then` steps) if still `expected`."""
        ...

    async def change(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """An officer's status change with a note, once per request key."""
        ...

    async def decide(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision,
        actor_user_id: int | None,
        note: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """A final decision with its number and date, once per request key."""
        ...

    async def correct(
        self,
        registration_id: int,
        *,
        expected: Status,
        target: Status,
        decision: Decision | None,
        actor_user_id: int | None,
        reason: str,
        now: datetime,
        request_key: str | None = None,
        notice: Notice | None = None,
    ) -> Applied:
        """An admin's correction of a final decision, its reason kept in the history."""
        ...

    async def key_used(self, request_key: str | None) -> bool:
        """Whether a change was already recorded under the request key."""
        ...

    async def search(
        self, ward_id: str, filters: Filters, *, limit: int, offset: int
    ) -> tuple[list[Registration], int]:
        """One page of a ward's registrations narrowed by `filters`, and the total."""
        ...

    async def replied(self, ids: Sequence[int]) -> set[int]:
        """Which of `ids` the resident answered last (new to the officers)."""
        ...

    async def summary(self, ward_id: str) -> WardSummary:
        """Counts by status, cause and wished support."""
        ...

    async def waiting(self, now: datetime, *, days: int = 7) -> list[Registration]:
        """Registrations waiting more than `days` days."""
        ...


@runtime_checkable
class QuestionLog(Protocol):
    """Handover questions to officers and the log of unanswered questions."""

    async def create_handover(
        self, new: NewHandover, *, now: datetime, notify: Notify | None = None
    ) -> tuple[int, bool]:
        """Store a question for the ward's officers once per key (and notify them, once)."""
        ...

    async def get(self, question_id: int) -> HandoverQuestion | None:
        """A handover question by number."""
        ...

    async def open_for_ward(
        self, ward_id: str | None, *, limit: int = 10
    ) -> list[HandoverQuestion]:
        """Unanswered questions of a ward, oldest first."""
        ...

    async def record_answer(
        self,
        question_id: int,
        *,
        answer: str,
        officer_id: int,
        now: datetime,
        notify: dict[str, Any] | None = None,
        via: str = "chat",
    ) -> bool:
        """Record an officer's answer, its audit row and the resident's copy (`notify`) at once.

        False (nothing written) if the question was answered already.
        """
        ...

    async def log(
        self, text: str, kind: str, *, user_id: int | None, ward_id: str | None, now: datetime
    ) -> None:
        """Log an unanswered or unhelpful question, masked."""
        ...

    async def feedback(self, entry_id: str, *, helpful: bool, now: datetime) -> None:
        """Count a 👍 or 👎."""
        ...

    async def frequent(
        self, *, ward_id: str | None = None, everywhere: bool = False, limit: int = 10
    ) -> list[FrequentQuestion]:
        """The most frequent logged questions."""
        ...

    async def logged(self, log_id: int) -> LoggedQuestion | None:
        """One log row."""
        ...

    async def attach(
        self, question: LoggedQuestion, entry_id: str, *, officer_id: int | None, now: datetime
    ) -> bool:
        """Keep a logged question as a phrasing of an entry."""
        ...

    async def learned(self, *, pending_only: bool = False) -> list[LearnedPhrasing]:
        """Attached phrasings."""
        ...

    async def mark_exported(self, ids: list[int], *, now: datetime) -> None:
        """Record that phrasings were written into the content files."""
        ...
