"""The officer's side (cán bộ xã/phường): inbox by status, detail, status changes, summary, export.

Every action re-checks role and ward on the server (`turn.require_staff(ward)`) whatever the
button carried; a registration id in a payload is loaded and its ward checked before use.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translator
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Attachment, Choice, Reply
from handlers.exit_registration import _export, _render
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


class OfficerFlow:
    """The `rgo` flow: the ward's registrations inbox."""

    name = NAME
    roles = STAFF

    def __init__(self, dispatcher: Dispatcher, repo: RegistrationRepository) -> None:
        self.dispatcher = dispatcher
        self.repo = repo

    def _ward(self, turn: Turn) -> str:
        turn.require_staff(turn.user.ward_id)
        if turn.user.ward_id is None:
            from bot.core.errors import UserFacingError

            raise UserFacingError(f"{K}officer.no_ward")
        return turn.user.ward_id

    async def _load(self, turn: Turn, raw: str) -> Registration | None:
        """The registration named by a payload, after checking the officer's ward."""
        if not raw.isdigit():
            return None
        registration = await self.repo.get(int(raw))
        if registration is None:
            return None
        turn.require_staff(registration.ward_id)
        return registration

    async def start(self, turn: Turn) -> list[Reply]:
        """Opens the inbox."""
        self._ward(turn)
        turn.session.enter(NAME, OfficerStep.INBOX)
        return [await self._inbox(turn)]

    async def _inbox(self, turn: Turn) -> Reply:
        ward_id = self._ward(turn)
        turn.session.step = OfficerStep.INBOX
        summary = await self.repo.summary(ward_id)
        choices = [
            Choice(
                f"{_render.status_label(turn.t, s)} ({summary.by_status.get(s, 0)})",
                f"rgo:list:{s.value}:0",
            )
            for s in Status
        ]
        choices.append(turn.choice(f"{K}officer.summary_button", "rgo:sum"))
        choices.append(Choice(turn.t("menu.back_to_menu"), "menu:main"))
        return Reply(turn.t(f"{K}officer.inbox", total=summary.total), tuple(choices))

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles the officer's buttons and typed notes."""
        ward_id = self._ward(turn)
        payload = turn.payload or ""
        parts = payload.split(":")
        data = turn.session.data
        if payload == "rgo:inbox":
            return [await self._inbox(turn)]
        if (
            parts[:2] == ["rgo", "list"]
            and len(parts) == 4
            and parts[2] in {s.value for s in Status}
            and parts[3].isdigit()
        ):
            return [await self._list(turn, ward_id, Status(parts[2]), int(parts[3]))]
        if parts[:2] == ["rgo", "view"] and len(parts) == 3:
            registration = await self._load(turn, parts[2])
            if registration is not None:
                return [await self._detail(turn, registration)]
        if parts[:2] == ["rgo", "set"] and len(parts) == 4:
            registration = await self._load(turn, parts[2])
            if registration is not None and parts[3] in {s.value for s in Status}:
                target = Status(parts[3])
                if target not in TRANSITIONS[registration.status]:
                    return [
                        turn.reply(f"{K}officer.illegal"),
                        await self._detail(turn, registration),
                    ]
                turn.session.step = OfficerStep.NOTE
                data.update(rid=registration.id, frm=registration.status.value, to=target.value)
                key = "ask_question" if target is Status.NEEDS_INFO else "ask_note"
                choices = [Choice(turn.t(f"{K}officer.back"), f"rgo:view:{registration.id}")]
                if target is not Status.NEEDS_INFO:
                    choices.insert(0, Choice(turn.t(f"{K}officer.no_note"), "rgo:nonote"))
                return [
                    Reply(
                        turn.t(
                            f"{K}officer.{key}",
                            code=registration.code,
                            status=_render.status_label(turn.t, target),
                        ),
                        tuple(choices),
                        expects_text=True,
                    )
                ]
        if turn.session.step == OfficerStep.NOTE and (
            payload == "rgo:nonote" or (not payload and turn.text)
        ):
            return await self._apply(turn, "" if payload else turn.text[:500])
        if payload == "rgo:sum":
            return [await self._summary(turn, ward_id)]
        if payload in ("rgo:csv", "rgo:xlsx"):
            return [await self._export(turn, ward_id, payload.removeprefix("rgo:"))]
        return [turn.reply("common.choose_above"), await self._inbox(turn)]

    async def _list(self, turn: Turn, ward_id: str, status: Status, page: int) -> Reply:
        turn.session.step = OfficerStep.LIST
        rows = await self.repo.in_ward(ward_id, status=status, limit=PAGE + 1, offset=page * PAGE)
        choices = [Choice(_render.list_label(r), f"rgo:view:{r.id}") for r in rows[:PAGE]]
        if page > 0:
            choices.append(Choice(turn.t("common.prev_page"), f"rgo:list:{status}:{page - 1}"))
        if len(rows) > PAGE:
            choices.append(Choice(turn.t("common.next_page"), f"rgo:list:{status}:{page + 1}"))
        choices.append(turn.choice(f"{K}officer.to_inbox", "rgo:inbox"))
        key = f"{K}officer.list" if rows else f"{K}officer.list_empty"
        return Reply(
            turn.t(key, status=_render.status_label(turn.t, status), page=page + 1),
            tuple(choices),
        )

    async def _detail(self, turn: Turn, registration: Registration) -> Reply:
        turn.session.step = OfficerStep.DETAIL
        history = await self.repo.history(registration.id)
        ward = await turn.services.users.ward(registration.ward_id)
        text = _render.detail_text(turn.t, registration, history, ward.name if ward else "")
        choices = [
            Choice(
                turn.t(f"{K}officer.move_to", status=_render.status_label(turn.t, target)),
                f"rgo:set:{registration.id}:{target.value}",
            )
            for target in sorted(TRANSITIONS[registration.status])
        ]
        if registration.anonymised:
            choices = []
        choices.append(
            turn.choice(f"{K}officer.to_list", f"rgo:list:{registration.status.value}:0")
        )
        return Reply(text, tuple(choices))

    async def _apply(self, turn: Turn, note: str) -> list[Reply]:
        data = turn.session.data
        registration = await self._load(turn, str(data.get("rid", "")))
        target = Status(str(data.get("to", "")))
        if registration is None:
            return [await self._inbox(turn)]
        if target is Status.NEEDS_INFO and not note:
            return [turn.reply(f"{K}officer.question_required")]
        notice = None
        resident = await turn.services.users.get(registration.user_id or 0)
        if resident is not None and registration.chat_id:
            rt = Translator(resident.language)
            key = "push_needs_info" if target is Status.NEEDS_INFO else "push_status"
            text = rt(
                f"{K}{key}",
                code=registration.code,
                status=_render.status_label(rt, target),
                note=note or "—",
            )
            notice = Notice(registration.channel, registration.chat_id, Reply(text).to_json())
        changed = await self.repo.transition(
            registration.id,
            expected=Status(str(data.get("frm", ""))),
            target=target,
            actor_user_id=turn.user.id,
            note=note,
            now=turn.now,
            action="registration.status",
            notice=notice,
        )
        if changed is None:
            fresh = await self._load(turn, str(registration.id))
            assert fresh is not None
            return [turn.reply(f"{K}officer.illegal"), await self._detail(turn, fresh)]
        if notice is not None:
            turn.pushed.append((notice.channel, notice.chat_id))
        log.info("registration status id=%s to=%s", changed.id, changed.status)
        return [
            turn.reply(
                f"{K}officer.changed",
                code=changed.code,
                status=_render.status_label(turn.t, changed.status),
            ),
            await self._detail(turn, changed),
        ]

    async def _summary(self, turn: Turn, ward_id: str) -> Reply:
        turn.session.step = OfficerStep.SUMMARY
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
                Choice("CSV", "rgo:csv"),
                Choice("XLSX", "rgo:xlsx"),
                turn.choice(f"{K}officer.to_inbox", "rgo:inbox"),
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
            (turn.choice(f"{K}officer.to_inbox", "rgo:inbox"),),
            attachment=Attachment(filename, content, kind="document"),
        )
