"""Personal data (dữ liệu cá nhân): `/xoadulieu` deletes everything stored about the user.

Each feature registers an eraser for its own tables (`bot.core.registry.Eraser`). Before the
user confirms, every eraser runs as a dry run, so the question lists what would be deleted,
what would be kept anonymised, and warns that an open registration would be withdrawn. On
"yes" they run for real in one transaction, with the user's queued messages and session, so
the deletion is all or nothing; the answer lists what went and what stayed, and the officers
of each ward whose open registration was withdrawn are told (by its reference code only).
The written policy is docs/retention.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

from bot.core.flow import FlowData, Payload, Signal, StepFlow, StepHandler, StepResult
from bot.core.i18n import Translator
from bot.core.registry import EVERYONE, Command, Erased, Registry, Withdrawn
from bot.core.turn import Turn
from bot.core.types import Reply, Role, User
from storage.audit import record_audit
from storage.db import Connection, Tx, call
from storage.outbox import erase_in as erase_outbox_in
from storage.users import UserRepository

OUTBOX = "outbox"
"""The kind of the user's queued and settled outgoing messages (`privacy.kind.outbox`)."""

KINDS = (
    "handover_questions",
    "question_log",
    "self_check_results",
    "notices",
    OUTBOX,
    "exit_registrations",
)
"""Every kind of record an eraser reports, in the order they are listed to the user."""


class Step(StrEnum):
    """Steps of the deletion flow."""

    CONFIRM = "confirm"
    """Asks the user to confirm the deletion."""


@dataclass
class NoData(FlowData):
    """The deletion flow keeps nothing between its steps."""


@dataclass(frozen=True)
class Erase(Payload):
    """`privacy:yes`: delete everything."""

    prefix = "privacy:yes"


@dataclass(frozen=True)
class Keep(Payload):
    """`privacy:no`: keep everything (the answer "no" to the question, not a cancel)."""

    prefix = "privacy:no"


@dataclass
class Report:
    """Every eraser's `Erased`, summed: what goes, what stays anonymised, what is withdrawn."""

    removed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    withdrawn: list[Withdrawn] = field(default_factory=list)

    def add(self, erased: Erased) -> None:
        """Add one eraser's result."""
        for target, counts in ((self.removed, erased.removed), (self.kept, erased.kept)):
            for kind, count in counts.items():
                if count:
                    target[kind] = target.get(kind, 0) + count
        self.withdrawn.extend(erased.withdrawn)

    @property
    def empty(self) -> bool:
        """Nothing stored about the user besides their account."""
        return not (self.removed or self.kept or self.withdrawn)

    @property
    def rows(self) -> int:
        """How many records were deleted or anonymised (for the audit log)."""
        return sum(self.removed.values()) + sum(self.kept.values())

    def codes(self) -> str:
        """The reference codes of the withdrawn registrations, comma-separated."""
        return ", ".join(case.code for case in self.withdrawn)


def _items(t: Translator, counts: Mapping[str, int]) -> str:
    """One bullet line per kind, in `KINDS` order."""
    ordered = sorted(counts, key=lambda kind: KINDS.index(kind) if kind in KINDS else len(KINDS))
    return "\n".join("• " + t(f"privacy.kind.{kind}", count=counts[kind]) for kind in ordered)


def confirm_text(t: Translator, report: Report) -> str:
    """The question before deleting: what would go, what would stay, the open-case warning."""
    if report.empty:
        return t("privacy.confirm")
    parts = []
    if report.removed:
        parts.append(t("privacy.will_delete") + "\n" + _items(t, report.removed))
    if report.kept:
        parts.append(t("privacy.will_keep") + "\n" + _items(t, report.kept))
    if report.withdrawn:
        parts.append(t("privacy.warn_open", codes=report.codes()))
    parts += [t("privacy.always_kept"), t("privacy.confirm_question")]
    return "\n\n".join(parts)


def done_text(t: Translator, report: Report, *, staff: bool) -> str:
    """The answer after deleting: what went, what stayed anonymised, what was withdrawn."""
    parts = []
    if report.removed:
        parts.append(t("privacy.deleted") + "\n" + _items(t, report.removed))
    else:
        parts.append(t("privacy.deleted_account_only"))
    if report.kept:
        parts.append(t("privacy.kept_anonymised") + "\n" + _items(t, report.kept))
    if report.withdrawn:
        parts.append(t("privacy.withdrawn", codes=report.codes()))
    parts.append(t("privacy.always_kept_done"))
    parts.append(t("privacy.done_staff" if staff else "privacy.done"))
    return "\n\n".join(parts)


def _forget_in(conn: Connection, *, user: User) -> None:
    """Forget the session; the account stays (to recognise the user).

    A resident's chosen commune goes; an officer's ward is their role and stays.
    """
    conn.execute(
        "DELETE FROM sessions WHERE channel = ? AND user_id = ?", (user.channel, user.external_id)
    )
    conn.execute(
        "UPDATE users SET display_name = '',"
        " ward_id = CASE WHEN role = 'resident' THEN NULL ELSE ward_id END WHERE id = ?",
        (user.id,),
    )


def _queued_for_in(conn: Connection, *, user: User) -> int:
    """Queued messages to the user's chat or carrying their data (what erasing would drop)."""
    row = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE subject_user_id = ? OR (channel = ? AND chat_id = ?)",
        (user.id, user.channel, user.chat_id),
    ).fetchone()
    return int(row[0])


class PrivacyFeature(StepFlow[NoData]):
    """Registers `/xoadulieu` and the privacy notice."""

    name = "privacy"
    roles = EVERYONE
    data_type = NoData

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def register(self, registry: Registry) -> None:
        """Add the command and the confirmation flow."""
        registry.add_command(
            Command(("/xoadulieu", "xoá dữ liệu"), self.start, help_key="help.erase")
        )
        registry.add_command(Command(("/baomat", "bảo mật"), self.notice, help_key="help.privacy"))
        registry.add_flow(self)

    async def notice(self, turn: Turn) -> list[Reply]:
        """Shows what is stored, who sees it and how to delete it."""
        return [turn.reply("privacy.notice")]

    async def start(self, turn: Turn) -> list[Reply]:
        """Says what deleting would remove and keep, and asks to confirm."""
        async with turn.services.db.exclusive() as conn:
            report = await self._run(conn, turn, dry_run=True)
        self.enter(turn, Step.CONFIRM, NoData())
        buttons = (
            Erase().choice(turn.t("privacy.yes_delete")),
            Keep().choice(turn.t("common.cancel")),
        )
        return [Reply(confirm_text(turn.t, report), buttons)]

    def steps(self) -> Mapping[str, StepHandler]:
        """The one step."""
        return {Step.CONFIRM: self.on_confirm}

    async def on_confirm(self, turn: Turn, data: NoData) -> StepResult:
        """Deletes on "yes" and says what went and what stayed; keeps everything on "no"."""
        if Erase.unpack(turn.payload) is not None:
            report = await self.erase(turn)
            turn.session.clear()
            staff = turn.user.role is not Role.RESIDENT
            return [Reply(done_text(turn.t, report, staff=staff))]
        if Keep.unpack(turn.payload) is not None:
            turn.session.clear()
            return [turn.reply("privacy.kept")]
        return Signal.REPEAT

    async def erase(self, turn: Turn) -> Report:
        """Runs every feature's eraser, drops the user's queued messages, forgets the session.

        All in one transaction. Queued messages go too: those to the user's chat (answers,
        status changes) and those carrying their data to others (their question to officers).
        """
        async with turn.services.db.transaction() as conn:
            report = await self._run(conn, turn, dry_run=False)
            await call(conn, partial(_forget_in, user=turn.user))
            await record_audit(
                conn,
                actor_user_id=turn.user.id,
                action="privacy.erase",
                target=f"user:{turn.user.id}",
                detail={"rows": report.rows, "withdrawn": len(report.withdrawn)},
                now=turn.now,
            )
            await self._tell_officers(conn, turn, report.withdrawn)
        return report

    async def _run(self, conn: Tx, turn: Turn, *, dry_run: bool) -> Report:
        """Every eraser (and the outbox's part) for the user, as a dry run or for real."""
        report = Report()
        for eraser in self.registry.erasers.values():
            report.add(await eraser(conn, turn.user.id, dry_run=dry_run))
        user = turn.user
        if dry_run:
            messages = await call(conn, partial(_queued_for_in, user=user))
        else:
            messages = await erase_outbox_in(
                conn, user_id=user.id, channel=user.channel, chat_id=user.chat_id
            )
        report.add(Erased(removed={OUTBOX: messages}))
        return report

    async def _tell_officers(self, conn: Tx, turn: Turn, withdrawn: list[Withdrawn]) -> None:
        """Queue, in the deletion's transaction, a notice to each withdrawn case's officers.

        By its reference code only. Inside the transaction, so a crash cannot keep the deletion
        and lose the notice.
        """
        for case in withdrawn:
            for officer in await call(conn, partial(UserRepository.staff_in, ward_id=case.ward_id)):
                text = Translator(officer.language)("privacy.officer_withdrawn", code=case.code)
                await call(conn, turn.push_step(officer.channel, officer.chat_id, Reply(text)))
