"""The officer's side (cán bộ xã/phường): inbox by status, detail, status changes, summary, export.

A `StepFlow`: one coroutine per step. The inbox, list, detail and summary are pages of one
hub, so their buttons work from any of them (a button of an older message still opens what it
names). Every input re-checks role and ward on the server (`turn.require_staff(ward)`) whatever
the button carried; a registration id in a payload is loaded and its ward checked before use.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from enum import StrEnum

from bot.core.dispatcher import Dispatcher
from bot.core.errors import UserFacingError
from bot.core.flow import Signal, StepFlow, StepResult, menu_choice
from bot.core.i18n import Translator
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Attachment, Reply
from handlers.exit_registration import _export, _render
from handlers.exit_registration._buttons import (
    Export,
    ListPage,
    NoNote,
    SetStatus,
    ToInbox,
    View,
    WardSummary,
)
from handlers.exit_registration._data import OfficerData
from storage.audit import record_audit
from storage.registrations import (
    TRANSITIONS,
    Notice,
    Registration,
    RegistrationRepository,
    Status,
)

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
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Opens the inbox."""
        self._ward(turn)
        self.enter(turn, OfficerStep.INBOX, OfficerData())
        return [await self._inbox(turn)]

    async def handle(self, turn: Turn) -> StepResult:
        """Re-checks the officer's role and ward on every input, then runs the step."""
        self._ward(turn)
        return await super().handle(turn)

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

    # ------------------------------------------------------------------ the hub

    async def _hub(self, turn: Turn, data: OfficerData) -> StepResult:
        """A page of the hub: its buttons, else the options again (typed text included)."""
        pressed = await self._navigate(turn, data) if turn.payload is not None else None
        return Signal.REPEAT if pressed is None else pressed

    async def _navigate(self, turn: Turn, data: OfficerData) -> list[Reply] | None:
        """The hub's buttons, from any step (None: not one of them, or a stale id)."""
        payload = turn.payload
        ward_id = self._ward(turn)
        if ToInbox.unpack(payload) is not None:
            return [await self._inbox(turn)]
        page = ListPage.unpack(payload)
        if page is not None:
            return [await self._list(turn, ward_id, page.status, page.page)]
        view = View.unpack(payload)
        if view is not None:
            registration = await self._load(turn, view.rid)
            return None if registration is None else [await self._detail(turn, registration)]
        chosen = SetStatus.unpack(payload)
        if chosen is not None:
            return await self._choose(turn, data, chosen)
        if WardSummary.unpack(payload) is not None:
            return [await self._summary(turn, ward_id)]
        export = Export.unpack(payload)
        if export is not None:
            return [await self._export(turn, ward_id, export.fmt)]
        return None

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
        rows = await self.repo.in_ward(ward_id, status=status, limit=PAGE + 1, offset=page * PAGE)
        choices = [View(r.id).choice(_render.list_label(r)) for r in rows[:PAGE]]
        if page > 0:
            choices.append(ListPage(status, page - 1).choice(turn.t("common.prev_page")))
        if len(rows) > PAGE:
            choices.append(ListPage(status, page + 1).choice(turn.t("common.next_page")))
        choices.append(ToInbox().choice(turn.t(f"{K}officer.to_inbox")))
        key = f"{K}officer.list" if rows else f"{K}officer.list_empty"
        return Reply(
            turn.t(key, status=_render.status_label(turn.t, status), page=page + 1),
            tuple(choices),
        )

    async def _detail(self, turn: Turn, registration: Registration) -> Reply:
        self.go(turn, OfficerStep.DETAIL)
        history = await self.repo.history(registration.id)
        ward = await turn.services.users.ward(registration.ward_id)
        text = _render.detail_text(turn.t, registration, history, ward.name if ward else "")
        choices = [
            SetStatus(registration.id, target).choice(
                turn.t(f"{K}officer.move_to", status=_render.status_label(turn.t, target))
            )
            for target in sorted(TRANSITIONS[registration.status])
        ]
        if registration.anonymised:
            choices = []
        choices.append(ListPage(registration.status, 0).choice(turn.t(f"{K}officer.to_list")))
        return Reply(text, tuple(choices))

    # ------------------------------------------------------------------ status changes

    async def _choose(self, turn: Turn, data: OfficerData, chosen: SetStatus) -> list[Reply] | None:
        """A status change pressed: the note is asked next (an illegal one is refused)."""
        registration = await self._load(turn, chosen.rid)
        if registration is None:
            return None
        if chosen.target not in TRANSITIONS[registration.status]:
            return [turn.reply(f"{K}officer.illegal"), await self._detail(turn, registration)]
        self.go(turn, OfficerStep.NOTE)
        data.rid = registration.id
        data.frm = registration.status.value
        data.to = chosen.target.value
        return [self._ask_note(turn, registration, chosen.target)]

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
        if target is Status.NEEDS_INFO and not note:
            return await self._note_again(turn, data, f"{K}officer.question_required")
        notice = await self._notice(turn, registration, target, note)
        changed = await self.repo.transition(
            registration.id,
            expected=expected,
            target=target,
            actor_user_id=turn.user.id,
            note=note,
            now=turn.now,
            action="registration.status",
            notice=notice,
        )
        if changed is None:
            fresh = await self._load(turn, registration.id)
            return [
                turn.reply(f"{K}officer.illegal"),
                await self._detail(turn, fresh or registration),
            ]
        if notice is not None:
            turn.pushed.append((notice.channel, notice.chat_id))
        log.info("registration status id=%s to=%s", changed.id, changed.status)
        label = _render.status_label(turn.t, changed.status)
        return [
            turn.reply(f"{K}officer.changed", code=changed.code, status=label),
            await self._detail(turn, changed),
        ]

    async def _notice(
        self, turn: Turn, registration: Registration, target: Status, note: str
    ) -> Notice | None:
        """The message to the resident, in their language (None if they cannot be reached)."""
        resident = await turn.services.users.get(registration.user_id or 0)
        if resident is None or not registration.chat_id:
            return None
        rt = Translator(resident.language)
        key = "push_needs_info" if target is Status.NEEDS_INFO else "push_status"
        text = rt(
            f"{K}{key}",
            code=registration.code,
            status=_render.status_label(rt, target),
            note=note or "—",
        )
        return Notice(registration.channel, registration.chat_id, Reply(text).to_json())

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
