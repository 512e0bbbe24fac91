"""The resident's side: the guided registration form, /trangthai, answering and withdrawing.

A `StepFlow`: one coroutine per step (`steps()`), the answers in `ResidentData`, the buttons
in `_buttons.py`. The checks of typed values live in `_steps.py`, the texts in `_render.py`,
storage in `storage/registrations.py`. The step is written every turn, so a restart loses no
step.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.core.dispatcher import Dispatcher
from bot.core.errors import PermissionDenied
from bot.core.flow import Signal, StepFlow, StepResult, cancel_choice, menu_choice
from bot.core.i18n import Translator
from bot.core.registry import EVERYONE
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.exit_registration import _render
from handlers.exit_registration._buttons import (
    AnswerQuestion,
    Back,
    Cause,
    CausesDone,
    Commit,
    Consent,
    Edit,
    EditField,
    Kinh,
    Sex,
    Skip,
    Submit,
    Support,
    SupportsDone,
    ToSummary,
    WardPick,
    Withdraw,
    WithdrawNo,
    WithdrawYes,
    Year,
)
from handlers.exit_registration._data import RegistrationForm, ResidentData
from handlers.exit_registration._desk import new_registration_text
from handlers.exit_registration._steps import (
    EDITABLE,
    FORM,
    MAX_INCOME,
    MAX_MEMBERS,
    MIN_INCOME,
    MIN_MEMBERS,
    TARGET_YEARS_AHEAD,
    Checked,
    Step,
    check_address,
    check_birth,
    check_ethnicity,
    check_free_text,
    check_household_code,
    check_id_number,
    check_income,
    check_members,
    check_name,
    check_phone,
)
from handlers.wards import choose_ward, demo_aware_label
from knowledge.money import in_monthly_income_range
from storage.db import Step as DbStep
from storage.registrations import (
    CAUSES,
    OPEN,
    SUPPORTS,
    NewRegistration,
    Notify,
    Registration,
    RegistrationRepository,
    Status,
)

log = logging.getLogger(__name__)

K = "exit_registration."
NAME = "reg"
# Up to this many wards in service are offered as buttons; beyond, the resident types the name.
MAX_WARD_BUTTONS = 8
MAX_ANSWER_CHARS = 1000

StepMethod = Callable[["ResidentFlow", Turn, ResidentData], Awaitable[StepResult]]
Prompt = Callable[[Turn, Step, ResidentData], Awaitable[Reply]]


def _with_back(handler: StepMethod) -> StepMethod:
    """A form step that offers Back: the button goes to the previous question first."""

    @functools.wraps(handler)
    async def step(flow: ResidentFlow, turn: Turn, data: ResidentData) -> StepResult:
        if Back.unpack(turn.payload) is not None:
            return await flow.back(turn, data)
        return await handler(flow, turn, data)

    return step


def _toggled(keys: tuple[str, ...], chosen: list[str], key: str) -> list[str]:
    """`chosen` with `key` ticked or unticked, in the order of `keys`."""
    picked = set(chosen) ^ {key}
    return [k for k in keys if k in picked]


class ResidentFlow(StepFlow[ResidentData]):
    """The `reg` flow: the registration form and the resident's own registrations."""

    name = NAME
    roles = EVERYONE
    data_type = ResidentData

    def __init__(self, dispatcher: Dispatcher, repo: RegistrationRepository) -> None:
        self.dispatcher = dispatcher
        self.repo = repo

    def steps(self) -> Mapping[str, Callable[[Turn, ResidentData], Awaitable[StepResult]]]:
        """The step table (the Mermaid diagram beside this file draws it)."""
        return {
            Step.CONSENT: self.on_consent,
            Step.NAME: self.on_name,
            Step.BIRTH: self.on_birth,
            Step.SEX: self.on_sex,
            Step.ETHNICITY: self.on_ethnicity,
            Step.ID_NUMBER: self.on_id_number,
            Step.PHONE: self.on_phone,
            Step.WARD: self.on_ward,
            Step.ADDRESS: self.on_address,
            Step.HOUSEHOLD_CODE: self.on_household_code,
            Step.MEMBERS: self.on_members,
            Step.INCOME: self.on_income,
            Step.CAUSES: self.on_causes,
            Step.CAUSE_OTHER: self.on_cause_other,
            Step.SUPPORTS: self.on_supports,
            Step.SUPPORT_OTHER: self.on_support_other,
            Step.TARGET_YEAR: self.on_target_year,
            Step.COMMITMENT: self.on_commitment,
            Step.SUMMARY: self.on_summary,
            Step.EDIT: self.on_edit,
            Step.DONE: self.on_done,
            Step.STATUS: self.on_status,
            Step.WITHDRAW: self.on_withdraw,
            Step.ANSWER: self.on_answer,
        }

    # ------------------------------------------------------------------ entry points

    async def start(self, turn: Turn) -> list[Reply]:
        """Starts the form at the consent step."""
        data = ResidentData(token=secrets.token_hex(12))
        self.enter(turn, Step.CONSENT, data)
        return [await self.prompt(turn, Step.CONSENT, data)]

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
        if turn.session.flow == NAME:
            self.go(turn, Step.STATUS)  # what the form held is kept
        else:
            self.enter(turn, Step.STATUS, ResidentData())
        texts = []
        choices: list[Choice] = []
        for registration in registrations:
            history = await self.repo.history(registration.id)
            texts.append(_render.timeline(turn.t, registration, history))
            choices += self._status_choices(turn, registration)
        texts.append(turn.t("common.official_note"))
        choices.append(menu_choice(turn))
        return [Reply("\n\n".join(texts), tuple(choices))]

    def _status_choices(self, turn: Turn, registration: Registration) -> list[Choice]:
        choices = []
        if registration.status is Status.NEEDS_INFO:
            answer = AnswerQuestion(registration.id)
            choices.append(answer.choice(turn.t(f"{K}status.answer", code=registration.code)))
        if registration.status in OPEN:
            withdraw = Withdraw(registration.id)
            choices.append(withdraw.choice(turn.t(f"{K}status.withdraw", code=registration.code)))
        return choices

    # ------------------------------------------------------------------ the form's steps

    async def on_consent(self, turn: Turn, data: ResidentData) -> StepResult:
        """Explains what is collected and who sees it; "Đồng ý" starts the form."""
        consent = Consent.unpack(turn.payload)
        if consent is None:
            return Signal.REPEAT
        if consent.answer == "no":
            turn.session.clear()
            return self.dispatcher.menu(turn, greeting=turn.t(f"{K}consent_refused"))
        return await self._go(turn, data, Step.NAME)

    @_with_back
    async def on_name(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the head of household's full name (typed)."""
        return await self._typed(turn, data, Step.NAME, check_name)

    @_with_back
    async def on_birth(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the date of birth, dd/mm/yyyy (typed)."""
        return await self._typed(turn, data, Step.BIRTH, lambda text: check_birth(text, turn.today))

    @_with_back
    async def on_sex(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the head of household's sex: "Nam" / "Nữ"."""
        sex = Sex.unpack(turn.payload)
        if sex is None:
            return Signal.REPEAT
        data.form.sex = sex.value
        return await self._advance(turn, data, Step.SEX)

    @_with_back
    async def on_ethnicity(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the ethnicity (typed, or the "Kinh" button)."""
        if Kinh.unpack(turn.payload) is not None:
            data.form.ethnicity = turn.t(f"{K}ethnicity_kinh")
            return await self._advance(turn, data, Step.ETHNICITY)
        return await self._typed(turn, data, Step.ETHNICITY, check_ethnicity)

    @_with_back
    async def on_id_number(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the 12-digit căn cước number (typed)."""
        return await self._typed(turn, data, Step.ID_NUMBER, check_id_number)

    @_with_back
    async def on_phone(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for a Vietnamese mobile number (typed)."""
        return await self._typed(turn, data, Step.PHONE, check_phone)

    @_with_back
    async def on_ward(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the commune: a ward button (if few are in service) or the typed name."""
        if turn.payload is not None:
            return await self._ward_button(turn, data)
        choice = await choose_ward(turn.services.users, turn.text)
        if choice.ward is not None:
            data.form.ward_id = choice.ward.id
            return await self._advance(turn, data, Step.WARD)
        if choice.candidates:
            buttons = [
                WardPick(w.id).choice(demo_aware_label(turn.t, w, with_province=True))
                for w in choice.candidates
            ]
            typed = turn.text[:60]
            return [Reply(turn.t("ward.which", typed=typed), (*buttons, *self._nav(turn)))]
        if choice.not_served is not None:
            unit = choice.not_served
            return await self._again(
                turn,
                data,
                Step.WARD,
                "ward.not_served",
                name=unit.name,
                province=unit.province_name,
            )
        return await self._again(turn, data, Step.WARD, "ward.not_found", typed=turn.text[:60])

    @_with_back
    async def on_address(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the address in the ward (typed)."""
        return await self._typed(turn, data, Step.ADDRESS, check_address)

    @_with_back
    async def on_household_code(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the household code if known (typed, or "Bỏ qua")."""
        if Skip.unpack(turn.payload) is not None:
            data.form.household_code = ""
            return await self._advance(turn, data, Step.HOUSEHOLD_CODE)
        return await self._typed(turn, data, Step.HOUSEHOLD_CODE, check_household_code)

    @_with_back
    async def on_members(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks how many people live in the household (typed in ASCII digits, 1–30)."""
        if turn.payload is not None:
            return await self._again(turn, data, Step.MEMBERS, "common.choose_above")
        checked = check_members(turn.text)
        if checked.error:
            return await self._again(
                turn, data, Step.MEMBERS, checked.error, low=MIN_MEMBERS, high=MAX_MEMBERS
            )
        data.form.members = int(checked.value)
        return await self._advance(turn, data, Step.MEMBERS)

    @_with_back
    async def on_income(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks for the monthly income (words or digits, 0–10 tỷ ₫) and echoes it in đồng."""
        if turn.payload is not None:
            return await self._again(turn, data, Step.INCOME, "common.choose_above")
        income = check_income(turn.text)
        if income.error:
            low, high = turn.money(MIN_INCOME), turn.money(MAX_INCOME)
            return await self._again(turn, data, Step.INCOME, income.error, low=low, high=high)
        data.form.income = income.monthly
        key = f"{K}income_echo_year" if income.yearly else f"{K}income_echo"
        echo = turn.t(key, amount=turn.money(income.monthly), typed=turn.money(income.typed))
        return [Reply(echo), *await self._advance(turn, data, Step.INCOME)]

    @_with_back
    async def on_causes(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows the causes of poverty as toggle buttons (✅ when ticked) and "Xong"."""
        cause = Cause.unpack(turn.payload)
        if cause is not None:
            data.form.causes = _toggled(CAUSES, data.form.causes, cause.key)
            return [replace(await self.prompt(turn, Step.CAUSES, data), edit_previous=True)]
        if CausesDone.unpack(turn.payload) is not None:
            return await self._picked(turn, data, Step.CAUSES, data.form.causes)
        return Signal.REPEAT

    @_with_back
    async def on_cause_other(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks to describe the other cause of poverty (typed)."""
        return await self._typed(turn, data, Step.CAUSE_OTHER, check_free_text)

    @_with_back
    async def on_supports(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows the wished support as toggle buttons (✅ when ticked) and "Xong"."""
        support = Support.unpack(turn.payload)
        if support is not None:
            data.form.supports = _toggled(SUPPORTS, data.form.supports, support.key)
            return [replace(await self.prompt(turn, Step.SUPPORTS, data), edit_previous=True)]
        if SupportsDone.unpack(turn.payload) is not None:
            return await self._picked(turn, data, Step.SUPPORTS, data.form.supports)
        return Signal.REPEAT

    @_with_back
    async def on_support_other(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks to describe the other support wished (typed)."""
        return await self._typed(turn, data, Step.SUPPORT_OTHER, check_free_text)

    @_with_back
    async def on_target_year(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks the year the household aims to exit poverty: this year to five years ahead."""
        year = Year.unpack(turn.payload)
        if year is None or year.year not in self._years(turn):
            return Signal.REPEAT
        data.form.target_year = year.year
        return await self._advance(turn, data, Step.TARGET_YEAR)

    @_with_back
    async def on_commitment(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows the commitment text; "Tôi cam kết" confirms it."""
        if Commit.unpack(turn.payload) is None:
            return Signal.REPEAT
        data.form.committed = True
        return await self._advance(turn, data, Step.COMMITMENT)

    @_with_back
    async def on_summary(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows everything entered with "Gửi đăng ký", "Sửa", Back and Cancel."""
        if Submit.unpack(turn.payload) is not None:
            income = data.form.income
            if income is not None and not in_monthly_income_range(income):
                # A form saved before incomes had a range: back to that step, nothing else lost.
                data.editing = True
                self.go(turn, Step.INCOME)
                low, high = turn.money(MIN_INCOME), turn.money(MAX_INCOME)
                key = "exit_registration.error.income_range"
                return await self._again(turn, data, Step.INCOME, key, low=low, high=high)
            return await self._submit(turn, data)
        if Edit.unpack(turn.payload) is not None:
            return await self._go(turn, data, Step.EDIT)
        return Signal.REPEAT

    async def on_edit(self, turn: Turn, data: ResidentData) -> StepResult:
        """Lists the fields the resident can change, and "Về trang tóm tắt"."""
        field = EditField.unpack(turn.payload)
        if field is not None and field.step in EDITABLE:
            data.editing = True
            return await self._go(turn, data, field.step)
        if ToSummary.unpack(turn.payload) is not None:
            return await self._go(turn, data, Step.SUMMARY)
        return Signal.REPEAT

    # ------------------------------------------------------------------ after the form

    async def on_done(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows the reference code and what happens next (Submit again: the same code)."""
        if Submit.unpack(turn.payload) is not None and data.rid:
            registration = await self.repo.get(data.rid)
            if registration is not None and registration.user_id == turn.user.id:
                return [self._done(turn, registration)]
        return self._leave(turn)

    async def on_status(self, turn: Turn, data: ResidentData) -> StepResult:
        """Shows the timeline of each registration with "Trả lời câu hỏi" / "Rút đăng ký"."""
        pressed = await self._registration_button(turn, data, Step.STATUS)
        if pressed is not None:
            return pressed
        return Signal.REPEAT if turn.payload is not None else self._leave(turn)

    async def on_withdraw(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks to confirm withdrawing a registration: "Rút hồ sơ" / "Giữ lại"."""
        pressed = await self._registration_button(turn, data, Step.WITHDRAW)
        if pressed is not None:
            return pressed
        return Signal.REPEAT if turn.payload is not None else self._leave(turn)

    async def on_answer(self, turn: Turn, data: ResidentData) -> StepResult:
        """Asks the resident to type the answer to the officer's question (Cancel to leave)."""
        pressed = await self._registration_button(turn, data, Step.ANSWER)
        if pressed is not None:
            return pressed
        if turn.payload is not None:  # a stale or forged button: the question again
            return await self._ask_answer(turn, data, data.rid)
        return await self._answer(turn, data)

    # ------------------------------------------------------------------ navigation

    async def _go(self, turn: Turn, data: ResidentData, step: Step) -> list[Reply]:
        self.go(turn, step)
        return [await self.prompt(turn, step, data)]

    async def _again(
        self, turn: Turn, data: ResidentData, step: Step, key: str, **params: object
    ) -> list[Reply]:
        """The step's question again, headed by what was wrong (the step is kept)."""
        prompt = await self.prompt(turn, step, data)
        return [replace(prompt, text=f"{turn.t(key, **params)}\n\n{prompt.text}")]

    async def _typed(
        self, turn: Turn, data: ResidentData, step: Step, check: Callable[[str], Checked]
    ) -> list[Reply]:
        """A typed value: checked, stored in the field named like the step, then the next step."""
        if turn.payload is not None:  # a stale or forged button at a typed step
            return await self._again(turn, data, step, "common.choose_above")
        checked = check(turn.text)
        if checked.error:
            return await self._again(turn, data, step, checked.error)
        setattr(data.form, step.value, checked.value)
        return await self._advance(turn, data, step)

    async def _ward_button(self, turn: Turn, data: ResidentData) -> list[Reply]:
        """A ward button: only a ward in service is taken."""
        picked = WardPick.unpack(turn.payload)
        ward = await turn.services.users.ward(picked.ward_id) if picked is not None else None
        if ward is None or not ward.enabled:
            log.info("registration ward refused (unknown or disabled)")
            return await self._again(turn, data, Step.WARD, "common.choose_above")
        data.form.ward_id = ward.id
        return await self._advance(turn, data, Step.WARD)

    async def _picked(
        self, turn: Turn, data: ResidentData, step: Step, chosen: list[str]
    ) -> list[Reply]:
        if not chosen:
            return await self._again(turn, data, step, f"{K}error.pick_one")
        return await self._advance(turn, data, step)

    def _skip(self, step: Step, form: RegistrationForm) -> bool:
        if step is Step.CAUSE_OTHER:
            return "other" not in form.causes
        if step is Step.SUPPORT_OTHER:
            return "other" not in form.supports
        return False

    async def back(self, turn: Turn, data: ResidentData) -> list[Reply]:
        """The previous question (the summary, when a field was being changed from there)."""
        step = Step(turn.session.step or Step.CONSENT)
        if data.editing:
            data.editing = False
            return await self._go(turn, data, Step.SUMMARY)
        index = FORM.index(step) if step in FORM else len(FORM) - 1
        while index > 0:
            index -= 1
            if not self._skip(FORM[index], data.form):
                return await self._go(turn, data, FORM[index])
        return await self._go(turn, data, Step.CONSENT)

    async def _advance(self, turn: Turn, data: ResidentData, step: Step) -> list[Reply]:
        form = data.form
        if step is Step.CAUSES and "other" in form.causes:
            return await self._go(turn, data, Step.CAUSE_OTHER)
        if step is Step.SUPPORTS and "other" in form.supports:
            return await self._go(turn, data, Step.SUPPORT_OTHER)
        if data.editing:
            data.editing = False
            return await self._go(turn, data, Step.SUMMARY)
        index = FORM.index(step) + 1
        while self._skip(FORM[index], form):
            index += 1
        return await self._go(turn, data, FORM[index])

    def _years(self, turn: Turn) -> range:
        return range(turn.today.year, turn.today.year + TARGET_YEARS_AHEAD + 1)

    def _leave(self, turn: Turn) -> StepResult:
        """After the form: leave the flow; typed text goes to the Q&A, a button to the menu."""
        turn.session.clear()
        if turn.payload is None:
            return Signal.UNHANDLED
        return self.dispatcher.menu(turn)

    # ------------------------------------------------------------------ questions

    def _nav(self, turn: Turn) -> tuple[Choice, Choice]:
        return Back().choice(turn.t("common.back")), cancel_choice(turn)

    async def prompt(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        """The question of `step` with its buttons."""
        asks: dict[Step, Prompt] = {
            Step.CONSENT: self._ask_consent,
            Step.SEX: self._ask_sex,
            Step.ETHNICITY: self._ask_ethnicity,
            Step.HOUSEHOLD_CODE: self._ask_household_code,
            Step.WARD: self._ask_ward,
            Step.CAUSES: self._ask_toggles,
            Step.SUPPORTS: self._ask_toggles,
            Step.TARGET_YEAR: self._ask_target_year,
            Step.COMMITMENT: self._ask_commitment,
            Step.SUMMARY: self._ask_summary,
            Step.EDIT: self._ask_edit,
        }
        ask = asks.get(step, self._ask_typed)
        return await ask(turn, step, data)

    async def _ask_typed(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        return Reply(turn.t(f"{K}ask.{step.value}"), self._nav(turn), expects_text=True)

    async def _ask_consent(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        return Reply(
            turn.t(f"{K}consent"),
            (
                Consent("yes").choice(turn.t(f"{K}consent_yes")),
                Consent("no").choice(turn.t(f"{K}consent_no")),
            ),
        )

    async def _ask_sex(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        t = turn.t
        sexes = (Sex("m").choice(t(f"{K}sex.m")), Sex("f").choice(t(f"{K}sex.f")))
        return Reply(t(f"{K}ask.sex"), (*sexes, *self._nav(turn)))

    async def _ask_ethnicity(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        kinh = Kinh().choice(turn.t(f"{K}ethnicity_kinh"))
        return Reply(turn.t(f"{K}ask.ethnicity"), (kinh, *self._nav(turn)), expects_text=True)

    async def _ask_household_code(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        skip = Skip().choice(turn.t("common.skip"))
        return Reply(turn.t(f"{K}ask.household_code"), (skip, *self._nav(turn)), expects_text=True)

    async def _ask_ward(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        t = turn.t
        wards = await turn.services.users.wards()
        if not wards:
            return Reply(t("ward.none_served"), (cancel_choice(turn),))
        own = turn.user.ward_id
        wards.sort(key=lambda ward: ward.id != own)
        # Buttons for every ward when few are in service, else only the user's own ward.
        shown = wards if len(wards) <= MAX_WARD_BUTTONS else [w for w in wards if w.id == own]
        choices = [
            WardPick(w.id).choice(
                t(f"{K}ward_own", name=demo_aware_label(t, w))
                if w.id == own
                else demo_aware_label(t, w)
            )
            for w in shown
        ]
        # With ward buttons a typed number picks one (any other text is still a name).
        return Reply(t(f"{K}ask.ward"), (*choices, *self._nav(turn)), expects_text=not choices)

    async def _ask_toggles(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        t = turn.t
        if step is Step.CAUSES:
            chosen = data.form.causes
            buttons = [
                Cause(key).choice(_mark(key, chosen, t, _render.cause_label)) for key in CAUSES
            ]
            done = CausesDone().choice(t(f"{K}done_picking"))
        else:
            chosen = data.form.supports
            buttons = [
                Support(key).choice(_mark(key, chosen, t, _render.support_label))
                for key in SUPPORTS
            ]
            done = SupportsDone().choice(t(f"{K}done_picking"))
        return Reply(t(f"{K}ask.{step.value}"), (*buttons, done, *self._nav(turn)))

    async def _ask_target_year(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        years = [Year(year).choice(str(year)) for year in self._years(turn)]
        return Reply(turn.t(f"{K}ask.target_year"), (*years, *self._nav(turn)))

    async def _ask_commitment(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        commit = Commit().choice(turn.t(f"{K}commit_button"))
        year = data.form.target_year or ""
        return Reply(turn.t(f"{K}ask.commitment", year=year), (commit, *self._nav(turn)))

    async def _ask_summary(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        t = turn.t
        ward = await turn.services.users.ward(data.form.ward_id or "")
        text = _render.summary_text(t, data.form, ward.name if ward else "—")
        submit = Submit().choice(t(f"{K}submit"))
        edit = Edit().choice(t("common.edit"))
        return Reply(f"{t(f'{K}summary_head')}\n{text}", (submit, edit, *self._nav(turn)))

    async def _ask_edit(self, turn: Turn, step: Step, data: ResidentData) -> Reply:
        t = turn.t
        fields = [EditField(s).choice(t(f"{K}field.{s.value}")) for s in EDITABLE]
        to_summary = ToSummary().choice(t(f"{K}to_summary"))
        return Reply(t(f"{K}edit_which"), (*fields, to_summary))

    # ------------------------------------------------------------------ submit and after

    async def _submit(self, turn: Turn, data: ResidentData) -> list[Reply]:
        form = data.form
        new = NewRegistration(
            user_id=turn.user.id,
            channel=turn.user.channel,
            chat_id=turn.user.chat_id,
            ward_id=form.ward_id or "",
            full_name=form.name,
            birth_date=form.birth,
            sex=form.sex,
            ethnicity=form.ethnicity,
            id_number=form.id_number,
            phone=form.phone,
            address=form.address,
            household_code=form.household_code,
            members=form.members,
            monthly_income=form.income,
            causes=list(form.causes),
            cause_other=form.cause_other if "other" in form.causes else "",
            supports=list(form.supports),
            support_other=form.support_other if "other" in form.supports else "",
            target_year=form.target_year,
        )
        registration, created = await self.repo.create(
            new,
            token=data.token,
            now=turn.now,
            year=turn.today.year,
            notify=await self._officers_notice(turn, new.ward_id),
        )
        if created:
            log.info("registration submitted id=%s", registration.id)
            if turn.user.ward_id is None and not turn.user.is_staff:
                await turn.services.users.set_ward(turn.user.id, registration.ward_id)
        self.enter(turn, Step.DONE, ResidentData(rid=registration.id))
        return [self._done(turn, registration)]

    async def _officers_notice(self, turn: Turn, ward_id: str) -> Notify:
        """The steps telling the ward's officers of a new registration, once, by code and ward.

        They run in the registration's own transaction (`RegistrationRepository.create`), so
        the officers hear of it exactly when it is stored. No personal data in the message.
        """
        officers = await turn.services.users.staff(ward_id=ward_id)
        ward = await turn.services.users.ward(ward_id)

        def notify(registration: Registration) -> list[DbStep[Any]]:
            steps = []
            for officer in officers:
                text = new_registration_text(
                    officer.language, registration, ward.name if ward else ""
                )
                label = Translator(officer.language)(f"{K}officer.open_inbox")
                reply = Reply(text, (Choice(label, "menu:registrations_admin"),))
                steps.append(turn.push_step(officer.channel, officer.chat_id, reply))
            return steps

        return notify

    def _done(self, turn: Turn, registration: Registration) -> Reply:
        return turn.reply(f"{K}submitted", menu_choice(turn), code=registration.code)

    async def _mine(self, turn: Turn, registration_id: int) -> Registration | None:
        """The registration, if it belongs to this user (another user's: PermissionDenied)."""
        registration = await self.repo.get(registration_id)
        if registration is None:
            return None
        if registration.user_id != turn.user.id:
            raise PermissionDenied
        return registration

    async def _registration_button(
        self, turn: Turn, data: ResidentData, step: Step
    ) -> list[Reply] | None:
        """The buttons of /trangthai, taken at any step after it (None: not one of them)."""
        withdraw = Withdraw.unpack(turn.payload)
        if withdraw is not None:
            return await self._ask_withdraw(turn, data, withdraw.rid)
        confirmed = WithdrawYes.unpack(turn.payload)
        if confirmed is not None:
            if step is not Step.WITHDRAW or confirmed.rid != data.rid:
                return await self.status(turn)
            return await self._withdraw(turn, confirmed.rid)
        if WithdrawNo.unpack(turn.payload) is not None:
            return await self.status(turn)
        answer = AnswerQuestion.unpack(turn.payload)
        if answer is not None:
            return await self._ask_answer(turn, data, answer.rid)
        return None

    async def _ask_withdraw(self, turn: Turn, data: ResidentData, rid: int) -> list[Reply]:
        registration = await self._mine(turn, rid)
        if registration is None or registration.status not in OPEN:
            return [turn.reply(f"{K}status.not_open"), *await self.status(turn)]
        self.go(turn, Step.WITHDRAW)
        data.rid = registration.id
        return [
            turn.reply(
                f"{K}withdraw.confirm",
                WithdrawYes(registration.id).choice(turn.t(f"{K}withdraw.yes")),
                WithdrawNo().choice(turn.t(f"{K}withdraw.no")),
                code=registration.code,
            )
        ]

    async def _withdraw(self, turn: Turn, rid: int) -> list[Reply]:
        registration = await self._mine(turn, rid)
        if registration is None:
            return await self.status(turn)
        changed = await self.repo.transition(
            registration.id,
            expected=registration.status,
            target=Status.WITHDRAWN,
            actor_user_id=turn.user.id,
            note="",
            now=turn.now,
            action="registration.withdraw",
            then=await self._tell_officers(turn, registration, f"{K}officer.push_withdrawn"),
        )
        if changed is None:
            return [turn.reply(f"{K}status.not_open"), *await self.status(turn)]
        return [turn.reply(f"{K}withdraw.done", code=changed.code), *await self.status(turn)]

    async def _ask_answer(self, turn: Turn, data: ResidentData, rid: int) -> list[Reply]:
        registration = await self._mine(turn, rid)
        if registration is None or registration.status is not Status.NEEDS_INFO:
            return [turn.reply(f"{K}status.no_question"), *await self.status(turn)]
        self.go(turn, Step.ANSWER)
        data.rid = registration.id
        text = turn.t(f"{K}answer.ask", code=registration.code, question=registration.question)
        return [Reply(text, (cancel_choice(turn),), expects_text=True)]

    async def _answer(self, turn: Turn, data: ResidentData) -> list[Reply]:
        too_long = len(turn.text) > MAX_ANSWER_CHARS
        checked = Checked() if too_long else check_free_text(turn.text)
        if checked.error or not checked.value:
            text = turn.t(f"{K}error.free_text")
            return [Reply(text, (cancel_choice(turn),), expects_text=True)]
        registration = await self._mine(turn, data.rid)
        if registration is None:
            raise PermissionDenied
        changed = await self.repo.transition(
            registration.id,
            expected=Status.NEEDS_INFO,
            target=Status.IN_REVIEW,
            actor_user_id=turn.user.id,
            note=checked.value,
            now=turn.now,
            action="registration.answer",
            then=await self._tell_officers(turn, registration, f"{K}officer.push_answered"),
        )
        if changed is None:
            return [turn.reply(f"{K}status.no_question"), *await self.status(turn)]
        return [turn.reply(f"{K}answer.done", code=changed.code), *await self.status(turn)]

    async def _tell_officers(
        self, turn: Turn, registration: Registration, key: str
    ) -> list[DbStep[Any]]:
        """The steps telling the ward's officers (by code only), for the change's transaction."""
        return [
            turn.push_step(
                officer.channel,
                officer.chat_id,
                Reply(Translator(officer.language)(key, code=registration.code)),
            )
            for officer in await turn.services.users.staff(ward_id=registration.ward_id)
        ]


def _mark(
    key: str, chosen: list[str], t: Translator, label: Callable[[Translator, str], str]
) -> str:
    """A toggle button's label: ✅ when ticked, ▫️ when not."""
    return ("✅ " if key in chosen else "▫️ ") + label(t, key)
