"""The resident's side: the guided registration form, /trangthai, answering and withdrawing.

Receives turns and keeps the step in the session (written every turn, so a restart loses no
step); the checks live in `_steps.py`, the texts in `_render.py`, storage in
`storage/registrations.py`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import Any

from bot.core.dispatcher import Dispatcher
from bot.core.errors import PermissionDenied
from bot.core.i18n import Translator
from bot.core.registry import EVERYONE
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.exit_registration import _render
from handlers.exit_registration._steps import (
    EDITABLE,
    FORM,
    TARGET_YEARS_AHEAD,
    Checked,
    Step,
    check_address,
    check_birth,
    check_ethnicity,
    check_free_text,
    check_household_code,
    check_id_number,
    check_members,
    check_name,
    check_phone,
)
from handlers.wards import choose_ward, demo_aware_label
from knowledge.money import parse_money
from storage.registrations import (
    CAUSES,
    OPEN,
    SUPPORTS,
    NewRegistration,
    Registration,
    RegistrationRepository,
    Status,
)

log = logging.getLogger(__name__)

K = "exit_registration."
NAME = "reg"
# Up to this many wards in service are offered as buttons; beyond, the resident types the name.
MAX_WARD_BUTTONS = 8

TEXT_CHECKS = {
    Step.NAME: (check_name, "name"),
    Step.ETHNICITY: (check_ethnicity, "ethnicity"),
    Step.ID_NUMBER: (check_id_number, "id_number"),
    Step.PHONE: (check_phone, "phone"),
    Step.ADDRESS: (check_address, "address"),
    Step.HOUSEHOLD_CODE: (check_household_code, "household_code"),
    Step.CAUSE_OTHER: (check_free_text, "cause_other"),
    Step.SUPPORT_OTHER: (check_free_text, "support_other"),
}


class ResidentFlow:
    """The `reg` flow: the registration form and the resident's own registrations."""

    name = NAME
    roles = EVERYONE

    def __init__(self, dispatcher: Dispatcher, repo: RegistrationRepository) -> None:
        self.dispatcher = dispatcher
        self.repo = repo

    # ------------------------------------------------------------------ entry points

    async def start(self, turn: Turn) -> list[Reply]:
        """Starts the form at the consent step."""
        turn.session.enter(NAME, Step.CONSENT, {"f": {}, "token": secrets.token_hex(12)})
        return [await self.prompt(turn, Step.CONSENT)]

    async def status(self, turn: Turn) -> list[Reply]:
        """Shows the timeline of the resident's registrations (/trangthai)."""
        registrations = await self.repo.for_user(turn.user.id)
        if not registrations:
            return [
                turn.reply(
                    f"{K}status.none",
                    turn.choice(f"{K}menu_label", "menu:exit_registration"),
                )
            ]
        keep = turn.session.data if turn.session.flow == NAME else {}
        turn.session.enter(NAME, Step.STATUS, keep)
        texts = []
        choices: list[Choice] = []
        for registration in registrations:
            history = await self.repo.history(registration.id)
            texts.append(_render.timeline(turn.t, registration, history))
            if registration.status is Status.NEEDS_INFO:
                choices.append(
                    turn.choice(
                        f"{K}status.answer", f"reg:ans:{registration.id}", code=registration.code
                    )
                )
            if registration.status in OPEN:
                choices.append(
                    turn.choice(
                        f"{K}status.withdraw", f"reg:wd:{registration.id}", code=registration.code
                    )
                )
        texts.append(turn.t("common.official_note"))
        choices.append(Choice(turn.t("menu.back_to_menu"), "menu:main"))
        return [Reply("\n\n".join(texts), tuple(choices))]

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles input at the current step."""
        payload = turn.payload
        data = turn.session.data
        step = Step(turn.session.step or Step.CONSENT)
        if payload == "reg:cancel":
            turn.session.clear()
            return self.dispatcher.menu(turn, greeting=turn.t(f"{K}cancelled"))
        if step in (Step.DONE, Step.STATUS, Step.WITHDRAW, Step.ANSWER):
            return await self._after(turn, step)
        if payload == "reg:back":
            return await self._go(turn, self._previous(step, data))
        form: dict[str, Any] = data.setdefault("f", {})
        if step is Step.CONSENT:
            if payload == "reg:consent:yes":
                return await self._go(turn, Step.NAME)
            if payload == "reg:consent:no":
                turn.session.clear()
                return self.dispatcher.menu(turn, greeting=turn.t(f"{K}consent_refused"))
            return await self._again(turn, step, "common.choose_above")
        if step in TEXT_CHECKS:
            if step is Step.ETHNICITY and payload == "reg:eth:kinh":
                form["ethnicity"] = turn.t(f"{K}ethnicity_kinh")
                return await self._advance(turn, step)
            if step is Step.HOUSEHOLD_CODE and payload == "reg:skip":
                form["household_code"] = ""
                return await self._advance(turn, step)
            if payload is not None or not turn.text:
                return await self._again(turn, step, "common.choose_above")
            check, field = TEXT_CHECKS[step]
            return await self._store(turn, step, check(turn.text), field)
        if step is Step.BIRTH:
            if payload is not None or not turn.text:
                return await self._again(turn, step, "common.choose_above")
            return await self._store(turn, step, check_birth(turn.text, turn.today), "birth")
        if step is Step.MEMBERS:
            if payload is not None or not turn.text:
                return await self._again(turn, step, "common.choose_above")
            checked = check_members(turn.text)
            if checked.error:
                return await self._again(turn, step, checked.error)
            form["members"] = int(checked.value)
            return await self._advance(turn, step)
        if step is Step.INCOME:
            return await self._income(turn, form)
        if step is Step.SEX:
            if payload in ("reg:sex:m", "reg:sex:f"):
                form["sex"] = payload[-1]
                return await self._advance(turn, step)
            return await self._again(turn, step, "common.choose_above")
        if step is Step.WARD:
            return await self._ward(turn, form)
        if step in (Step.CAUSES, Step.SUPPORTS):
            return await self._toggle(turn, step, form)
        if step is Step.TARGET_YEAR:
            years = self._years(turn)
            if payload and payload.startswith("reg:year:"):
                value = payload.removeprefix("reg:year:")
                if value.isdigit() and int(value) in years:
                    form["target_year"] = int(value)
                    return await self._advance(turn, step)
            return await self._again(turn, step, "common.choose_above")
        if step is Step.COMMITMENT:
            if payload == "reg:commit":
                form["committed"] = True
                return await self._advance(turn, step)
            return await self._again(turn, step, "common.choose_above")
        if step is Step.SUMMARY:
            if payload == "reg:submit":
                return await self._submit(turn)
            if payload == "reg:edit":
                return await self._go(turn, Step.EDIT)
            return await self._again(turn, step, "common.choose_above")
        if step is Step.EDIT:
            target = (payload or "").removeprefix("reg:edit:")
            if target in {s.value for s in EDITABLE}:
                data["editing"] = True
                return await self._go(turn, Step(target))
            if payload == "reg:summary":
                return await self._go(turn, Step.SUMMARY)
            return await self._again(turn, step, "common.choose_above")
        return await self._again(turn, step, "common.choose_above")

    # ------------------------------------------------------------------ navigation

    async def _go(self, turn: Turn, step: Step) -> list[Reply]:
        turn.session.step = step
        return [await self.prompt(turn, step)]

    async def _again(self, turn: Turn, step: Step, key: str, **params: object) -> list[Reply]:
        """The step's prompt again, headed by what was wrong (the step is kept)."""
        prompt = await self.prompt(turn, step)
        return [replace(prompt, text=f"{turn.t(key, **params)}\n\n{prompt.text}")]

    def _skip(self, step: Step, data: dict[str, Any]) -> bool:
        form = data.get("f", {})
        if step is Step.CAUSE_OTHER:
            return "other" not in form.get("causes", [])
        if step is Step.SUPPORT_OTHER:
            return "other" not in form.get("supports", [])
        return False

    def _previous(self, step: Step, data: dict[str, Any]) -> Step:
        if data.get("editing"):
            data.pop("editing", None)
            return Step.SUMMARY
        index = FORM.index(step) if step in FORM else len(FORM) - 1
        while index > 0:
            index -= 1
            if not self._skip(FORM[index], data):
                return FORM[index]
        return Step.CONSENT

    async def _advance(self, turn: Turn, step: Step) -> list[Reply]:
        data = turn.session.data
        form = data.get("f", {})
        if step is Step.CAUSES and "other" in form.get("causes", []):
            return await self._go(turn, Step.CAUSE_OTHER)
        if step is Step.SUPPORTS and "other" in form.get("supports", []):
            return await self._go(turn, Step.SUPPORT_OTHER)
        if data.get("editing"):
            data.pop("editing", None)
            return await self._go(turn, Step.SUMMARY)
        index = FORM.index(step) + 1
        while self._skip(FORM[index], data):
            index += 1
        return await self._go(turn, FORM[index])

    async def _store(self, turn: Turn, step: Step, checked: Checked, field: str) -> list[Reply]:
        if checked.error:
            return await self._again(turn, step, checked.error)
        turn.session.data["f"][field] = checked.value
        return await self._advance(turn, step)

    async def _ward(self, turn: Turn, form: dict[str, Any]) -> list[Reply]:
        """Takes a ward button (only a ward in service) or a typed commune name."""
        payload = turn.payload
        if payload is not None:
            if payload.startswith("reg:ward:"):
                ward = await turn.services.users.ward(payload.removeprefix("reg:ward:"))
                if ward is not None and ward.enabled:
                    form["ward_id"] = ward.id
                    return await self._advance(turn, Step.WARD)
                log.info("registration ward refused (unknown or disabled)")
            return await self._again(turn, Step.WARD, "common.choose_above")
        if not turn.text:
            return await self._again(turn, Step.WARD, "common.choose_above")
        choice = await choose_ward(turn.services.users, turn.text)
        if choice.ward is not None:
            form["ward_id"] = choice.ward.id
            return await self._advance(turn, Step.WARD)
        if choice.candidates:
            buttons = [
                Choice(demo_aware_label(turn.t, w, with_province=True), f"reg:ward:{w.id}")
                for w in choice.candidates
            ]
            return [
                Reply(
                    turn.t("ward.which", typed=turn.text[:60]),
                    (
                        *buttons,
                        Choice(turn.t("common.back"), "reg:back"),
                        Choice(turn.t("common.cancel"), "reg:cancel"),
                    ),
                )
            ]
        if choice.not_served is not None:
            unit = choice.not_served
            return await self._again(
                turn, Step.WARD, "ward.not_served", name=unit.name, province=unit.province_name
            )
        return await self._again(turn, Step.WARD, "ward.not_found", typed=turn.text[:60])

    async def _income(self, turn: Turn, form: dict[str, Any]) -> list[Reply]:
        if turn.payload is not None or not turn.text:
            return await self._again(turn, Step.INCOME, "common.choose_above")
        parsed = parse_money(turn.text)
        if parsed.amount is None:
            return await self._again(turn, Step.INCOME, f"{K}error.income_{parsed.problem}")
        amount = parsed.amount // 12 if parsed.period == "year" else parsed.amount
        form["income"] = amount
        key = f"{K}income_echo_year" if parsed.period == "year" else f"{K}income_echo"
        echo = Reply(turn.t(key, amount=turn.money(amount), typed=turn.money(parsed.amount)))
        return [echo, *await self._advance(turn, Step.INCOME)]

    async def _toggle(self, turn: Turn, step: Step, form: dict[str, Any]) -> list[Reply]:
        causes = step is Step.CAUSES
        field, keys = ("causes", CAUSES) if causes else ("supports", SUPPORTS)
        toggle, done = (
            ("reg:cause:", "reg:causes:done") if causes else ("reg:sup:", "reg:sups:done")
        )
        payload = turn.payload or ""
        chosen: list[str] = list(form.get(field, []))
        if payload.startswith(toggle) and payload.removeprefix(toggle) in keys:
            key = payload.removeprefix(toggle)
            chosen = [k for k in chosen if k != key] if key in chosen else [*chosen, key]
            form[field] = [k for k in keys if k in chosen]
            return [replace(await self.prompt(turn, step), edit_previous=True)]
        if payload == done:
            if not chosen:
                return await self._again(turn, step, f"{K}error.pick_one")
            return await self._advance(turn, step)
        return await self._again(turn, step, "common.choose_above")

    def _years(self, turn: Turn) -> range:
        return range(turn.today.year, turn.today.year + TARGET_YEARS_AHEAD + 1)

    # ------------------------------------------------------------------ prompts

    async def prompt(self, turn: Turn, step: Step) -> Reply:
        """The question of `step` with its buttons."""
        t = turn.t
        back = Choice(t("common.back"), "reg:back")
        cancel = Choice(t("common.cancel"), "reg:cancel")
        nav = (back, cancel)
        form: dict[str, Any] = turn.session.data.get("f", {})
        if step is Step.CONSENT:
            return Reply(
                t(f"{K}consent"),
                (
                    Choice(t(f"{K}consent_yes"), "reg:consent:yes"),
                    Choice(t(f"{K}consent_no"), "reg:consent:no"),
                ),
            )
        if step is Step.SEX:
            return Reply(
                t(f"{K}ask.sex"),
                (Choice(t(f"{K}sex.m"), "reg:sex:m"), Choice(t(f"{K}sex.f"), "reg:sex:f"), *nav),
            )
        if step is Step.ETHNICITY:
            return Reply(
                t(f"{K}ask.ethnicity"),
                (Choice(t(f"{K}ethnicity_kinh"), "reg:eth:kinh"), *nav),
                expects_text=True,
            )
        if step is Step.HOUSEHOLD_CODE:
            return Reply(
                t(f"{K}ask.household_code"),
                (Choice(t("common.skip"), "reg:skip"), *nav),
                expects_text=True,
            )
        if step is Step.WARD:
            wards = await turn.services.users.wards()
            if not wards:
                return Reply(t("ward.none_served"), (cancel,))
            own = turn.user.ward_id
            wards.sort(key=lambda ward: ward.id != own)
            # Buttons for every ward when few are in service, else only the user's own ward.
            shown = wards if len(wards) <= MAX_WARD_BUTTONS else [w for w in wards if w.id == own]
            choices = [
                Choice(
                    t(f"{K}ward_own", name=demo_aware_label(t, w))
                    if w.id == own
                    else demo_aware_label(t, w),
                    f"reg:ward:{w.id}",
                )
                for w in shown
            ]
            # With ward buttons a typed number picks one (any other text is still a name).
            return Reply(t(f"{K}ask.ward"), (*choices, *nav), expects_text=not choices)
        if step in (Step.CAUSES, Step.SUPPORTS):
            causes = step is Step.CAUSES
            keys = CAUSES if causes else SUPPORTS
            chosen = form.get("causes" if causes else "supports", [])
            prefix = "reg:cause:" if causes else "reg:sup:"
            label = _render.cause_label if causes else _render.support_label
            buttons = [
                Choice(("✅ " if key in chosen else "▫️ ") + label(t, key), f"{prefix}{key}")
                for key in keys
            ]
            done = Choice(t(f"{K}done_picking"), "reg:causes:done" if causes else "reg:sups:done")
            return Reply(t(f"{K}ask.{step.value}"), (*buttons, done, *nav))
        if step is Step.TARGET_YEAR:
            years = [Choice(str(y), f"reg:year:{y}") for y in self._years(turn)]
            return Reply(t(f"{K}ask.target_year"), (*years, *nav))
        if step is Step.COMMITMENT:
            return Reply(
                t(f"{K}ask.commitment", year=form.get("target_year", "")),
                (Choice(t(f"{K}commit_button"), "reg:commit"), *nav),
            )
        if step is Step.SUMMARY:
            ward = await turn.services.users.ward(str(form.get("ward_id", "")))
            text = _render.summary_text(t, form, ward.name if ward else "—")
            return Reply(
                f"{t(f'{K}summary_head')}\n{text}",
                (
                    Choice(t(f"{K}submit"), "reg:submit"),
                    Choice(t("common.edit"), "reg:edit"),
                    back,
                    cancel,
                ),
            )
        if step is Step.EDIT:
            fields = [Choice(t(f"{K}field.{s.value}"), f"reg:edit:{s.value}") for s in EDITABLE]
            return Reply(t(f"{K}edit_which"), (*fields, Choice(t(f"{K}to_summary"), "reg:summary")))
        return Reply(t(f"{K}ask.{step.value}"), nav, expects_text=True)

    # ------------------------------------------------------------------ submit and after

    async def _submit(self, turn: Turn) -> list[Reply]:
        data = turn.session.data
        form: dict[str, Any] = data["f"]
        new = NewRegistration(
            user_id=turn.user.id,
            channel=turn.user.channel,
            chat_id=turn.user.chat_id,
            ward_id=str(form["ward_id"]),
            full_name=str(form["name"]),
            birth_date=str(form["birth"]),
            sex=str(form["sex"]),
            ethnicity=str(form["ethnicity"]),
            id_number=str(form["id_number"]),
            phone=str(form["phone"]),
            address=str(form["address"]),
            household_code=str(form.get("household_code", "")),
            members=int(form["members"]),
            monthly_income=int(form["income"]),
            causes=list(form["causes"]),
            cause_other=str(form.get("cause_other", "")) if "other" in form["causes"] else "",
            supports=list(form["supports"]),
            support_other=(
                str(form.get("support_other", "")) if "other" in form["supports"] else ""
            ),
            target_year=int(form["target_year"]),
        )
        registration, created = await self.repo.create(
            new, token=str(data["token"]), now=turn.now, year=turn.today.year
        )
        if created:
            log.info("registration submitted id=%s", registration.id)
            if turn.user.ward_id is None and not turn.user.is_staff:
                await turn.services.users.set_ward(turn.user.id, registration.ward_id)
        turn.session.enter(NAME, Step.DONE, {"rid": registration.id})
        return [self._done(turn, registration)]

    def _done(self, turn: Turn, registration: Registration) -> Reply:
        return turn.reply(
            f"{K}submitted",
            Choice(turn.t("menu.back_to_menu"), "menu:main"),
            code=registration.code,
        )

    async def _mine(self, turn: Turn, payload: str, prefix: str) -> Registration | None:
        """The registration a payload names, if it belongs to this user (else PermissionDenied)."""
        raw = payload.removeprefix(prefix)
        if not raw.isdigit():
            return None
        registration = await self.repo.get(int(raw))
        if registration is None:
            return None
        if registration.user_id != turn.user.id:
            raise PermissionDenied
        return registration

    async def _after(self, turn: Turn, step: Step) -> list[Reply]:
        payload = turn.payload or ""
        data = turn.session.data
        if step is Step.DONE:
            if payload == "reg:submit" and "rid" in data:
                registration = await self.repo.get(int(data["rid"]))
                if registration is not None and registration.user_id == turn.user.id:
                    return [self._done(turn, registration)]
            return await self._leave(turn)
        if payload.startswith("reg:wd:"):
            registration = await self._mine(turn, payload, "reg:wd:")
            if registration is None or registration.status not in OPEN:
                return [turn.reply(f"{K}status.not_open"), *await self.status(turn)]
            turn.session.step = Step.WITHDRAW
            data["rid"] = registration.id
            return [
                turn.reply(
                    f"{K}withdraw.confirm",
                    turn.choice(f"{K}withdraw.yes", f"reg:wdy:{registration.id}"),
                    turn.choice(f"{K}withdraw.no", "reg:wdn"),
                    code=registration.code,
                )
            ]
        if payload.startswith("reg:wdy:"):
            registration = await self._mine(turn, payload, "reg:wdy:")
            if registration is None or step is not Step.WITHDRAW:
                return await self.status(turn)
            changed = await self.repo.transition(
                registration.id,
                expected=registration.status,
                target=Status.WITHDRAWN,
                actor_user_id=turn.user.id,
                note="",
                now=turn.now,
                action="registration.withdraw",
            )
            if changed is None:
                return [turn.reply(f"{K}status.not_open"), *await self.status(turn)]
            await self._tell_officers(turn, changed, f"{K}officer.push_withdrawn")
            return [turn.reply(f"{K}withdraw.done", code=changed.code), *await self.status(turn)]
        if payload == "reg:wdn":
            return await self.status(turn)
        if payload.startswith("reg:ans:"):
            registration = await self._mine(turn, payload, "reg:ans:")
            if registration is None or registration.status is not Status.NEEDS_INFO:
                return [turn.reply(f"{K}status.no_question"), *await self.status(turn)]
            turn.session.step = Step.ANSWER
            data["rid"] = registration.id
            return [
                Reply(
                    turn.t(
                        f"{K}answer.ask", code=registration.code, question=registration.question
                    ),
                    (Choice(turn.t("common.cancel"), "reg:cancel"),),
                    expects_text=True,
                )
            ]
        if step is Step.ANSWER and payload == "" and turn.text:
            return await self._answer(turn)
        if payload:
            return [turn.reply("common.choose_above")]
        return await self._leave(turn)

    async def _answer(self, turn: Turn) -> list[Reply]:
        checked = check_free_text(turn.text[:1000]) if len(turn.text) <= 1000 else Checked()
        if checked.error or not checked.value:
            return [
                Reply(
                    turn.t(f"{K}error.free_text"),
                    (Choice(turn.t("common.cancel"), "reg:cancel"),),
                    expects_text=True,
                )
            ]
        registration = await self.repo.get(int(turn.session.data.get("rid", 0)))
        if registration is None or registration.user_id != turn.user.id:
            raise PermissionDenied
        changed = await self.repo.transition(
            registration.id,
            expected=Status.NEEDS_INFO,
            target=Status.IN_REVIEW,
            actor_user_id=turn.user.id,
            note=checked.value,
            now=turn.now,
            action="registration.answer",
        )
        if changed is None:
            return [turn.reply(f"{K}status.no_question"), *await self.status(turn)]
        await self._tell_officers(turn, changed, f"{K}officer.push_answered")
        return [turn.reply(f"{K}answer.done", code=changed.code), *await self.status(turn)]

    async def _tell_officers(self, turn: Turn, registration: Registration, key: str) -> None:
        for officer in await turn.services.users.staff(ward_id=registration.ward_id):
            text = Translator(officer.language)(key, code=registration.code)
            await turn.push(officer.channel, officer.chat_id, Reply(text))

    async def _leave(self, turn: Turn) -> list[Reply]:
        """Typed text after the form: leave the flow and let the Q&A answer it."""
        turn.session.clear()
        fallback = self.dispatcher.registry.fallback
        if turn.text and turn.payload is None and fallback is not None:
            return await fallback(turn)
        return self.dispatcher.menu(turn)
