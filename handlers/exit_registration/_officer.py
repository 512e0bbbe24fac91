"""The officer's side (cán bộ xã/phường): inbox by status, detail, status changes, summary, export.

A `StepFlow`: one coroutine per step. The inbox, list, detail and summary are pages of one
hub, so their buttons work from any of them (a button of an older message still opens what it
names). Every input re-checks role and ward on the server (`turn.require_staff(ward)`) whatever
the button carried; a registration id in a payload is loaded and its ward checked before use.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.dispatcher import Dispatcher
from bot.core.errors import PermissionDenied, UserFacingError
from bot.core.flow import Payload, Signal, StepFlow, StepResult, menu_choice
from bot.core.i18n import to_local
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Attachment, Choice, Reply, Role
from handlers.exit_registration import _export, _render
from handlers.exit_registration._buttons import (
    CancelDecision,
    ConfirmDecision,
    Correct,
    CorrectTo,
    EditDecision,
    Export,
    ListPage,
    NoNote,
    SetStatus,
    ToInbox,
    View,
    WardSummary,
)
from handlers.exit_registration._data import OfficerData
from handlers.exit_registration._desk import (
    Desk,
    InvalidInput,
    NotFound,
    Result,
    check_day,
    check_note,
    check_number,
    correction_targets,
    is_final,
)
from storage.audit import record_audit
from storage.registrations import Decision, Outcome, Registration, RegistrationRepository, Status

log = logging.getLogger(__name__)

K = "exit_registration."
NAME = "rgo"
PAGE = 5
MAX_NOTE_CHARS = 500


class OfficerStep(StrEnum):
    """Steps of the officer's inbox flow."""

    INBOX = "inbox"
    """Shows counts by status with a button per status."""
    LIST = "list"
    """Shows one page (5) of registrations in a status."""
    DETAIL = "detail"
    """Shows one registration with its history and the allowed status changes."""
    NOTE = "note"
    """Asks for the note (or the question to the resident) of a status change."""
    SUMMARY = "summary"
    """Shows the ward's counts by status, cause and wished support, with export buttons."""
    NUMBER = "decision_number"
    """Asks for the number of the final decision (số quyết định), typed."""
    DATE = "decision_date"
    """Asks for the date of the final decision, dd/mm/yyyy, typed."""
    REASON = "decision_reason"
    """Asks an admin for the reason of a correction, typed."""
    CORRECT_TO = "correct_to"
    """Asks an admin which status the correction takes the registration to."""
    CONFIRM = "decision_confirm"
    """Shows the decision to be recorded with "Xác nhận", "Sửa" and "Huỷ"."""


DECIDE = "decide"
CORRECT = "correct"

Asker = Callable[[Turn, OfficerData, InvalidInput | None], Awaitable[list[Reply]]]
Button = tuple[type[Payload], Callable[[Turn, OfficerData, Any], Awaitable[list[Reply] | None]]]


class OfficerFlow(StepFlow[OfficerData]):
    """The `rgo` flow: the ward's registrations inbox."""

    name = NAME
    roles = STAFF
    data_type = OfficerData

    def __init__(self, dispatcher: Dispatcher, repo: RegistrationRepository) -> None:
        self.dispatcher = dispatcher
        self.repo = repo

    def steps(self) -> Mapping[str, Callable[[Turn, OfficerData], Awaitable[StepResult]]]:
        """The step table (the Mermaid diagram `officer.mmd` beside this file draws it)."""
        return {
            OfficerStep.INBOX: self.on_inbox,
            OfficerStep.LIST: self.on_list,
            OfficerStep.DETAIL: self.on_detail,
            OfficerStep.NOTE: self.on_note,
            OfficerStep.SUMMARY: self.on_summary,
            OfficerStep.NUMBER: self.on_number,
            OfficerStep.DATE: self.on_date,
            OfficerStep.REASON: self.on_reason,
            OfficerStep.CORRECT_TO: self.on_correct_to,
            OfficerStep.CONFIRM: self.on_confirm,
        }

    def desk(self, turn: Turn) -> Desk:
        """The desk operations (the same ones the web desk calls)."""
        return Desk(self.repo, turn.services.users)

    async def start(self, turn: Turn) -> list[Reply]:
        """Opens the inbox."""
        self._ward(turn)
        self.enter(turn, OfficerStep.INBOX, OfficerData())
        return [await self._inbox(turn)]

    async def handle(self, turn: Turn) -> StepResult:
        """Re-checks the officer's role and ward on every input, then runs the step."""
        self._ward(turn)
        try:
            return await super().handle(turn)
        except NotFound:
            raise PermissionDenied from None

    # ------------------------------------------------------------------ steps

    async def on_inbox(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows the ward's registrations counted by status, a button per status, "Tổng hợp"."""
        return await self._hub(turn, data)

    async def on_list(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows five registrations of one status (code · name · masked ID) and the pages."""
        return await self._hub(turn, data)

    async def on_detail(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows one registration with its history and a button per allowed status change."""
        return await self._hub(turn, data)

    async def on_summary(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows the ward's counts by status, cause and wished support; CSV and XLSX export."""
        return await self._hub(turn, data)

    async def on_correct_to(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows the statuses an admin may correct a final decision to (hub buttons work)."""
        return await self._hub(turn, data)

    async def on_confirm(self, turn: Turn, data: OfficerData) -> StepResult:
        """Shows the decision with "Xác nhận", "Sửa", "Huỷ"; typed text shows it again."""
        return await self._hub(turn, data)

    async def on_note(self, turn: Turn, data: OfficerData) -> StepResult:
        """Asks for the note of a status change (the question, for "cần bổ sung"), typed.

        "Không ghi chú" applies the change without one; the hub's buttons still work here.
        """
        if turn.payload is None:
            return await self._apply(turn, data, turn.text[:MAX_NOTE_CHARS])
        if NoNote.unpack(turn.payload) is not None:
            return await self._apply(turn, data, "")
        pressed = await self._navigate(turn, data)
        if pressed is not None:
            return pressed
        return await self._note_again(turn, data, None)  # a stale or forged button

    async def on_number(self, turn: Turn, data: OfficerData) -> StepResult:
        """Takes the decision number typed (1–40 letters, digits, /.-) and asks for the date."""
        if turn.payload is not None:
            return await self._typed_step_button(turn, data, self._ask_number)
        try:
            data.number = check_number(turn.text)
        except InvalidInput as error:
            return await self._ask_number(turn, data, error)
        return await self._ask_date(turn, data, None)

    async def on_date(self, turn: Turn, data: OfficerData) -> StepResult:
        """Takes the decision date typed (not in the future, not before the registration)."""
        if turn.payload is not None:
            return await self._typed_step_button(turn, data, self._ask_date)
        registration = await self._pending(turn, data)
        if registration is None:
            return [await self._inbox(turn)]
        registered_on = to_local(registration.created_at).date()
        try:
            day = check_day(turn.text, registered_on=registered_on, today=turn.today)
        except InvalidInput as error:
            return await self._ask_date(turn, data, error)
        data.day = day.isoformat()
        if data.mode == CORRECT:
            return await self._ask_reason(turn, data, None)
        return await self._confirm_screen(turn, data)

    async def on_reason(self, turn: Turn, data: OfficerData) -> StepResult:
        """Takes the reason of an admin's correction (required, kept in the history)."""
        if turn.payload is not None:
            return await self._typed_step_button(turn, data, self._ask_reason)
        reason = check_note(turn.text)
        if not reason:
            error = InvalidInput(f"{K}decision.reason_required")
            return await self._ask_reason(turn, data, error)
        data.reason = reason
        return await self._confirm_screen(turn, data)

    # ------------------------------------------------------------------ the hub

    async def _hub(self, turn: Turn, data: OfficerData) -> StepResult:
        """A page of the hub: its buttons, else the options again (typed text included)."""
        pressed = await self._navigate(turn, data) if turn.payload is not None else None
        return Signal.REPEAT if pressed is None else pressed

    def _buttons(self) -> list[Button]:
        """The hub's buttons and what each does, from any step."""
        return [
            (ToInbox, lambda turn, data, pressed: self._to_inbox(turn)),
            (ListPage, self._to_list),
            (View, self._to_detail),
            (SetStatus, self._choose),
            (WardSummary, lambda turn, data, pressed: self._to_summary(turn)),
            (Export, self._to_export),
            (Correct, self._correct),
            (CorrectTo, self._correct_to),
            (ConfirmDecision, self._confirmed),
            (EditDecision, self._edit_decision),
            (CancelDecision, self._cancel_decision),
        ]

    async def _navigate(self, turn: Turn, data: OfficerData) -> list[Reply] | None:
        """The hub's buttons, from any step (None: not one of them, or a stale id)."""
        for kind, act in self._buttons():
            pressed = kind.unpack(turn.payload)
            if pressed is not None:
                return await act(turn, data, pressed)
        return None

    async def _to_inbox(self, turn: Turn) -> list[Reply]:
        return [await self._inbox(turn)]

    async def _to_list(self, turn: Turn, data: OfficerData, page: ListPage) -> list[Reply]:
        return [await self._list(turn, self._ward(turn), page.status, page.page)]

    async def _to_detail(self, turn: Turn, data: OfficerData, view: View) -> list[Reply] | None:
        registration = await self._load(turn, view.rid)
        return None if registration is None else [await self._detail(turn, registration)]

    async def _to_summary(self, turn: Turn) -> list[Reply]:
        return [await self._summary(turn, self._ward(turn))]

    async def _to_export(self, turn: Turn, data: OfficerData, export: Export) -> list[Reply]:
        return [await self._export(turn, self._ward(turn), export.fmt)]

    def _ward(self, turn: Turn) -> str:
        turn.require_staff(turn.user.ward_id)
        if turn.user.ward_id is None:
            raise UserFacingError(f"{K}officer.no_ward")
        return turn.user.ward_id

    async def _load(self, turn: Turn, registration_id: int) -> Registration | None:
        """The registration, after checking the officer's ward."""
        registration = await self.repo.get(registration_id)
        if registration is None:
            return None
        turn.require_staff(registration.ward_id)
        return registration

    async def _inbox(self, turn: Turn) -> Reply:
        ward_id = self._ward(turn)
        self.go(turn, OfficerStep.INBOX)
        summary = await self.repo.summary(ward_id)
        choices = [
            ListPage(s, 0).choice(
                f"{_render.status_label(turn.t, s)} ({summary.by_status.get(s, 0)})"
            )
            for s in Status
        ]
        choices.append(WardSummary().choice(turn.t(f"{K}officer.summary_button")))
        choices.append(menu_choice(turn))
        return Reply(turn.t(f"{K}officer.inbox", total=summary.total), tuple(choices))

    async def _list(self, turn: Turn, ward_id: str, status: Status, page: int) -> Reply:
        self.go(turn, OfficerStep.LIST)
        listed = await self.desk(turn).page(
            turn.user, ward_id, status=status, page=page + 1, per_page=PAGE
        )
        rows = listed.items
        choices = [View(r.id).choice(_render.list_label(r)) for r in rows]
        if page > 0:
            choices.append(ListPage(status, page - 1).choice(turn.t("common.prev_page")))
        if listed.page < listed.pages:
            choices.append(ListPage(status, page + 1).choice(turn.t("common.next_page")))
        choices.append(ToInbox().choice(turn.t(f"{K}officer.to_inbox")))
        key = f"{K}officer.list" if rows else f"{K}officer.list_empty"
        return Reply(
            turn.t(key, status=_render.status_label(turn.t, status), page=page + 1),
            tuple(choices),
        )

    async def _detail(self, turn: Turn, registration: Registration) -> Reply:
        self.go(turn, OfficerStep.DETAIL)
        detail = await self.desk(turn).detail(turn.user, registration.id)
        fresh = detail.registration
        history = await self.repo.history(fresh.id)
        text = _render.detail_text(turn.t, fresh, history, detail.ward_name)
        choices = [
            SetStatus(fresh.id, target).choice(
                turn.t(f"{K}officer.move_to", status=_render.status_label(turn.t, target))
            )
            for target in detail.targets
        ]
        if detail.can_correct:
            choices.append(Correct(fresh.id).choice(turn.t(f"{K}decision.correct_button")))
        choices.append(ListPage(fresh.status, 0).choice(turn.t(f"{K}officer.to_list")))
        return Reply(text, tuple(choices))

    # ------------------------------------------------------------------ status changes

    async def _choose(self, turn: Turn, data: OfficerData, chosen: SetStatus) -> list[Reply] | None:
        """A status change pressed: the note (or, for a decision, its number) is asked next."""
        registration = await self._load(turn, chosen.rid)
        if registration is None:
            return None
        if chosen.target not in self.desk(turn).targets(turn.user, registration):
            return [turn.reply(f"{K}officer.illegal"), await self._detail(turn, registration)]
        self._pend(data, registration, chosen.target, DECIDE if is_final(chosen.target) else "")
        if data.mode == DECIDE:
            return await self._ask_number(turn, data, None)
        self.go(turn, OfficerStep.NOTE)
        return [self._ask_note(turn, registration, chosen.target)]

    @staticmethod
    def _pend(data: OfficerData, registration: Registration, target: Status, mode: str) -> None:
        """Start a pending change (what an earlier one held is dropped)."""
        data.rid = registration.id
        data.frm = registration.status.value
        data.to = target.value
        data.mode = mode
        data.number = data.day = data.reason = data.key = ""

    def _ask_note(self, turn: Turn, registration: Registration, target: Status) -> Reply:
        key = "ask_question" if target is Status.NEEDS_INFO else "ask_note"
        choices = [View(registration.id).choice(turn.t(f"{K}officer.back"))]
        if target is not Status.NEEDS_INFO:
            choices.insert(0, NoNote().choice(turn.t(f"{K}officer.no_note")))
        text = turn.t(
            f"{K}officer.{key}",
            code=registration.code,
            status=_render.status_label(turn.t, target),
        )
        return Reply(text, tuple(choices), expects_text=True)

    async def _note_again(self, turn: Turn, data: OfficerData, error: str | None) -> list[Reply]:
        """The note question again (headed by `error`), or the inbox if no change is pending."""
        change = data.change()
        registration = await self._load(turn, change[0]) if change is not None else None
        if change is None or registration is None:
            return [await self._inbox(turn)]
        prompt = self._ask_note(turn, registration, change[2])
        head = turn.t(error or "common.choose_above")
        return [replace(prompt, text=f"{head}\n\n{prompt.text}")]

    async def _apply(self, turn: Turn, data: OfficerData, note: str) -> list[Reply]:
        change = data.change()
        registration = await self._load(turn, change[0]) if change is not None else None
        if change is None or registration is None:
            return [await self._inbox(turn)]
        _, expected, target = change
        try:
            result = await self.desk(turn).change_status(
                turn.user,
                registration.id,
                expected=expected,
                target=target,
                note=note,
                now=turn.now,
            )
        except InvalidInput as error:
            return await self._note_again(turn, data, error.key)
        return await self._after(turn, result, registration, f"{K}officer.changed")

    async def _after(
        self, turn: Turn, result: Result, registration: Registration, done_key: str
    ) -> list[Reply]:
        """The officer's answer to a change: done (resident told), already done, or refused."""
        fresh = result.registration or registration
        if result.outcome is Outcome.REPEATED:
            return [
                turn.reply(f"{K}decision.already", code=fresh.code),
                await self._detail(turn, fresh),
            ]
        if result.outcome is not Outcome.DONE:
            return [turn.reply(f"{K}officer.illegal"), await self._detail(turn, fresh)]
        turn.pushed.extend(result.notified)
        log.info("registration status id=%s to=%s", fresh.id, fresh.status)
        label = _render.status_label(turn.t, fresh.status)
        return [
            turn.reply(done_key, code=fresh.code, status=label),
            await self._detail(turn, fresh),
        ]

    # ------------------------------------------------------------------ final decisions

    async def _pending(self, turn: Turn, data: OfficerData) -> Registration | None:
        """The registration of the decision being entered (None: none pending, or gone)."""
        change = data.change()
        if change is None or data.mode not in (DECIDE, CORRECT):
            return None
        return await self._load(turn, change[0])

    async def _typed_step_button(self, turn: Turn, data: OfficerData, ask: Asker) -> list[Reply]:
        """A button at a typed step: a hub button, else the question again."""
        pressed = await self._navigate(turn, data)
        if pressed is not None:
            return pressed
        return await ask(turn, data, InvalidInput("common.choose_above"))

    @staticmethod
    def _decision_nav(turn: Turn) -> tuple[Choice, ...]:
        return (CancelDecision().choice(turn.t(f"{K}decision.cancel")),)

    async def _ask_number(
        self, turn: Turn, data: OfficerData, error: InvalidInput | None
    ) -> list[Reply]:
        """Asks for the decision number (headed by `error`)."""
        return await self._ask_typed(
            turn,
            data,
            OfficerStep.NUMBER,
            error,
            lambda registration: turn.t(
                f"{K}decision.ask_number",
                code=registration.code,
                status=_render.status_label(turn.t, Status(data.to)),
            ),
        )

    async def _ask_date(
        self, turn: Turn, data: OfficerData, error: InvalidInput | None
    ) -> list[Reply]:
        """Asks for the decision date (headed by `error`)."""
        return await self._ask_typed(
            turn,
            data,
            OfficerStep.DATE,
            error,
            lambda registration: turn.t(
                f"{K}decision.ask_date",
                code=registration.code,
                number=data.number,
                registered=turn.day(to_local(registration.created_at).date()),
            ),
        )

    async def _ask_reason(
        self, turn: Turn, data: OfficerData, error: InvalidInput | None
    ) -> list[Reply]:
        """Asks an admin for the reason of the correction (headed by `error`)."""
        return await self._ask_typed(
            turn,
            data,
            OfficerStep.REASON,
            error,
            lambda registration: turn.t(f"{K}decision.ask_reason", code=registration.code),
        )

    async def _ask_typed(
        self,
        turn: Turn,
        data: OfficerData,
        step: OfficerStep,
        error: InvalidInput | None,
        question: Callable[[Registration], str],
    ) -> list[Reply]:
        """Goes to the typed `step` and asks its `question` of the pending registration."""
        registration = await self._pending(turn, data)
        if registration is None:
            return [await self._inbox(turn)]
        self.go(turn, step)
        return [self._prompt(turn, question(registration), error, self._decision_nav(turn))]

    @staticmethod
    def _prompt(
        turn: Turn, text: str, error: InvalidInput | None, choices: tuple[Choice, ...]
    ) -> Reply:
        if error is not None:
            text = f"{turn.t(error.key, **error.params)}\n\n{text}"
        return Reply(text, choices, expects_text=True)

    async def _confirm_screen(self, turn: Turn, data: OfficerData) -> list[Reply]:
        """The decision as it will be recorded, with a fresh request key in "Xác nhận"."""
        registration = await self._pending(turn, data)
        if registration is None:
            return [await self._inbox(turn)]
        self.go(turn, OfficerStep.CONFIRM)
        data.key = secrets.token_hex(8)
        target = Status(data.to)
        t = turn.t
        if is_final(target):
            text = t(
                f"{K}decision.confirm",
                code=registration.code,
                status=_render.status_label(t, target),
                number=data.number,
                date=turn.day(date.fromisoformat(data.day)),
            )
        else:
            text = t(
                f"{K}decision.confirm_annul",
                code=registration.code,
                status=_render.status_label(t, target),
            )
        if data.mode == CORRECT:
            text += "\n" + t(f"{K}decision.confirm_reason", reason=data.reason)
        choices = (
            ConfirmDecision(registration.id, data.key).choice(t(f"{K}decision.confirm_button")),
            EditDecision().choice(t(f"{K}decision.edit_button")),
            CancelDecision().choice(t(f"{K}decision.cancel")),
        )
        return [Reply(text, choices)]

    async def _confirmed(
        self, turn: Turn, data: OfficerData, pressed: ConfirmDecision
    ) -> list[Reply] | None:
        """Confirmed ("Xác nhận"): recorded once (a double tap too), the resident told."""
        registration = await self._load(turn, pressed.rid)
        if registration is None:
            return None
        change = data.change()
        if change is None or pressed.key != data.key or pressed.rid != change[0]:
            return [turn.reply(f"{K}decision.stale"), await self._detail(turn, registration)]
        _, expected, target = change
        correcting = data.mode == CORRECT
        result = await self.desk(turn).settle(
            turn.user,
            registration.id,
            correcting=correcting,
            expected=expected,
            target=target,
            decision=Decision(data.number, data.day) if data.number and data.day else None,
            reason=data.reason,
            now=turn.now,
            request_key=data.key,
        )
        if result is None:
            return [turn.reply(f"{K}decision.stale"), await self._detail(turn, registration)]
        done = f"{K}decision.corrected" if correcting else f"{K}decision.recorded"
        return await self._after(turn, result, registration, done)

    async def _edit_decision(
        self, turn: Turn, data: OfficerData, pressed: EditDecision
    ) -> list[Reply]:
        """Edit ("Sửa"): the correction's status (admins) or the decision number is asked again."""
        registration = await self._pending(turn, data)
        if registration is None:
            return [await self._inbox(turn)]
        if data.mode == CORRECT:
            return await self._ask_correct_to(turn, data, registration)
        return await self._ask_number(turn, data, None)

    async def _cancel_decision(
        self, turn: Turn, data: OfficerData, pressed: CancelDecision
    ) -> list[Reply]:
        """Cancel ("Huỷ"): nothing is recorded; back to the registration."""
        registration = await self._pending(turn, data)
        data.mode = data.key = ""
        if registration is None:
            return [await self._inbox(turn)]
        return [turn.reply(f"{K}decision.cancelled"), await self._detail(turn, registration)]

    async def _correct(self, turn: Turn, data: OfficerData, pressed: Correct) -> list[Reply] | None:
        """An admin's "Điều chỉnh quyết định": which status it goes to (officers refused)."""
        registration = await self._load(turn, pressed.rid)
        if registration is None:
            return None
        if turn.user.role is not Role.ADMIN:
            raise PermissionDenied
        if not self.desk(turn).can_correct(turn.user, registration):
            return [turn.reply(f"{K}officer.illegal"), await self._detail(turn, registration)]
        self._pend(data, registration, registration.status, CORRECT)
        return await self._ask_correct_to(turn, data, registration)

    async def _ask_correct_to(
        self, turn: Turn, data: OfficerData, registration: Registration
    ) -> list[Reply]:
        self.go(turn, OfficerStep.CORRECT_TO)
        t = turn.t
        choices = [
            CorrectTo(registration.id, target).choice(
                t(f"{K}officer.move_to", status=_render.status_label(t, target))
            )
            for target in correction_targets(registration)
        ]
        choices.append(CancelDecision().choice(t(f"{K}decision.cancel")))
        text = t(f"{K}decision.ask_correct_to", code=registration.code)
        return [Reply(text, tuple(choices))]

    async def _correct_to(
        self, turn: Turn, data: OfficerData, pressed: CorrectTo
    ) -> list[Reply] | None:
        """The correction's status: a decision asks its number and date, an annulment none."""
        registration = await self._load(turn, pressed.rid)
        if registration is None:
            return None
        if turn.user.role is not Role.ADMIN:
            raise PermissionDenied
        allowed = correction_targets(registration)
        if data.mode != CORRECT or pressed.rid != data.rid or pressed.target not in allowed:
            return [turn.reply(f"{K}decision.stale"), await self._detail(turn, registration)]
        data.to = pressed.target.value
        data.number = data.day = ""
        if is_final(pressed.target):
            return await self._ask_number(turn, data, None)
        return await self._ask_reason(turn, data, None)

    # ------------------------------------------------------------------ summary and export

    async def _summary(self, turn: Turn, ward_id: str) -> Reply:
        self.go(turn, OfficerStep.SUMMARY)
        summary = await self.repo.summary(ward_id)
        t = turn.t
        lines = [t(f"{K}officer.summary_head", total=summary.total)]
        lines.append(t(f"{K}officer.by_status"))
        lines += [f"• {_render.status_label(t, s)}: {summary.by_status.get(s, 0)}" for s in Status]
        lines.append(t(f"{K}officer.by_cause"))
        lines += [f"• {_render.cause_label(t, k)}: {n}" for k, n in summary.by_cause.items()]
        lines.append(t(f"{K}officer.by_support"))
        lines += [f"• {_render.support_label(t, k)}: {n}" for k, n in summary.by_support.items()]
        return Reply(
            "\n".join(lines),
            (
                Export("csv").choice("CSV"),
                Export("xlsx").choice("XLSX"),
                ToInbox().choice(t(f"{K}officer.to_inbox")),
            ),
        )

    async def _export(self, turn: Turn, ward_id: str, fmt: str) -> Reply:
        registrations = await self.repo.in_ward(ward_id)
        content = _export.render(turn.t, registrations, fmt)
        async with turn.services.db.transaction() as conn:
            await record_audit(
                conn,
                actor_user_id=turn.user.id,
                action="registration.export",
                target=f"ward:{ward_id}",
                detail={"format": fmt, "rows": len(registrations)},
                now=turn.now,
            )
        filename = f"dang-ky-thoat-ngheo-{ward_id}.{fmt}"
        return Reply(
            turn.t(f"{K}officer.exported", count=len(registrations)),
            (ToInbox().choice(turn.t(f"{K}officer.to_inbox")),),
            attachment=Attachment(filename, content, kind="document"),
        )
