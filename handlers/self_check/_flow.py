"""The self-check flow: one coroutine per step, typed data (`SelfCheckData`), typed buttons.

Every button payload carries the item it answers (`sc:ans:<code>:yes`, `sc:back:<item>`), so a
double tap or an old button is recognised as stale and only repeats the current question.
The standard is fixed on the day the questionnaire starts (`data.day`); the result names it,
shows what the same answers give from 01/01/2027, and offers a redo when the standard in force
changed while the resident was answering. Cancel is the core one (`menu:cancel`); see
`flow.mmd` for the steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.flow import Signal, StepFlow, StepHandler, StepResult, menu_choice
from bot.core.registry import EVERYONE
from bot.core.turn import Turn
from bot.core.types import Reply
from handlers.self_check import _render as render
from handlers.self_check._payloads import (
    ConfirmIncome,
    FactAnswer,
    IndicatorAnswer,
    PickArea,
    PickLocality,
    PickMode,
    PickUnit,
    Prefilled,
    Redo,
    SaveResult,
    ShowDetail,
    SummaryAction,
    WhyAsked,
    back_item,
    edit_item,
)
from handlers.self_check._steps import (
    FLOW,
    MAX_MEMBERS,
    MIN_MEMBERS,
    NATIONAL,
    SelfCheckData,
    Step,
    check_day,
    first_unanswered,
    in_income_range,
    income_range,
    is_answered,
    item_after,
    item_before,
    items,
    local_options,
    parse_size,
    saved_answers,
    standard_of,
    step_of,
)
from knowledge import admin_units
from knowledge.assessment import CATEGORY_LABELS_VI, NoStandardError
from knowledge.money import parse_money
from knowledge.transition import SWITCH_DAY, SavedAnswers, project
from storage.self_check import SelfCheckRepository

PREFILLED = ("size", "income_mode", "income")
"""Items `start_prefilled` answers from a message; skipped on the way forward."""
MAX_UNIT_BUTTONS = 4
"""At most this many communes are offered for an ambiguous typed name."""


def income_problem(mode: str, text: str) -> tuple[int | None, str | None]:
    """The amount typed for `mode`, or the catalog suffix of what is wrong with it."""
    parsed = parse_money(text)
    if parsed.amount is None:
        return None, parsed.problem
    if parsed.period == "year" and mode != "hy":
        return None, "period_year"
    if parsed.period == "month" and mode == "hy":
        return None, "period_month"
    if not in_income_range(mode, parsed.amount):
        return None, "out_of_range"
    return parsed.amount, None


class SelfCheckFlow(StepFlow[SelfCheckData]):
    """The household self-check questionnaire (payload prefix `sc`)."""

    name = FLOW
    roles = EVERYONE
    data_type = SelfCheckData

    def __init__(self, results: SelfCheckRepository) -> None:
        self.results = results

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (see `flow.mmd`)."""
        return {
            Step.AREA: self.on_area,
            Step.LOCALITY: self.on_locality,
            Step.SIZE: self.on_size,
            Step.FACT: self.on_fact,
            Step.INCOME_MODE: self.on_mode,
            Step.INCOME: self.on_income,
            Step.INCOME_CONFIRM: self.on_income_confirm,
            Step.INDICATOR: self.on_indicator,
            Step.SUMMARY: self.on_summary,
            Step.EDIT: self.on_edit,
            Step.CONSENT: self.on_consent,
        }

    # --- entry points -----------------------------------------------------------------------

    async def start(self, turn: Turn) -> list[Reply]:
        """Shows the privacy note with the first question (where the household lives)."""
        return self._begin(turn, SelfCheckData(day=turn.today.isoformat()))

    async def start_prefilled(self, turn: Turn) -> list[Reply]:
        """`scp:<members>:<amount>:<mode>`: the self-check with size and income filled in.

        Offered by the Q&A when a message names both ("nha toi 5 nguoi, thu nhap 6tr/thang");
        the summary shows them and they can be changed there like any answer.
        """
        hint = Prefilled.unpack(turn.payload)
        if hint is None:
            return [turn.reply("error.unknown_button")]
        data = SelfCheckData(
            day=turn.today.isoformat(),
            size=hint.members,
            income_mode=hint.mode,
            income_amount=hint.amount,
            income_confirmed=True,
            prefilled=list(PREFILLED),
        )
        filled = turn.t(
            "self_check.prefilled",
            size=turn.t("self_check.size_value", count=hint.members),
            income=render.income_text(turn, data),
        )
        return self._begin(turn, data, note=filled)

    def _begin(self, turn: Turn, data: SelfCheckData, *, note: str = "") -> list[Reply]:
        """Enters the flow with `data` and asks the first question under the introduction."""
        try:
            standard_of(data, turn.today)
        except NoStandardError:
            turn.session.clear()
            return [turn.reply("self_check.no_standard")]
        self.enter(turn, Step.AREA, data)
        first = render.question(turn, data, "area")
        text = f"{turn.t('self_check.intro')}\n\n{first.text}"
        return [replace(first, text=f"{text}\n\n{note}" if note else text)]

    # --- steps ------------------------------------------------------------------------------

    async def on_area(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks where the household lives: xã / phường / đặc khu / không rõ, or a typed name.

        A typed name is looked up in the official list: one match moves on with it, several are
        offered as buttons, none asks again.
        """
        moved = self._back_or_repeat(turn, data, typed=True)
        if moved is not None:
            return moved
        area = PickArea.unpack(turn.payload)
        if area is not None:
            data.clear_unit()
            data.area = area.area
            return self.advance(turn, data, "area")
        unit = PickUnit.unpack(turn.payload)
        if unit is not None:
            found = admin_units.unit(unit.code)
            if found is None or unit.code not in data.unit_options:
                return self.stale(turn, data)
            return self.take_unit(turn, data, found)
        if turn.payload is not None:
            return self.stale(turn, data)
        return self.look_up_unit(turn, data, turn.text.strip())

    async def on_locality(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks whether to use the national standard or a province's own."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        chosen = PickLocality.unpack(turn.payload)
        allowed = (NATIONAL, *local_options(check_day(data, turn.today)))
        if chosen is None or chosen.code not in allowed:
            return self.stale(turn, data)
        data.locality = chosen.code
        return self.advance(turn, data, "locality")

    async def on_size(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks for the household size (typed 1–30); a bad number is explained, nothing lost."""
        moved = self._back_or_repeat(turn, data, typed=True)
        if moved is not None:
            return moved
        if turn.payload is not None:
            return self.stale(turn, data)
        size = parse_size(turn.text)
        if size is None:
            return [
                turn.reply("self_check.bad_size", low=MIN_MEMBERS, high=MAX_MEMBERS),
                *self.current(turn, data),
            ]
        data.size = size
        return self.advance(turn, data, "size")

    async def on_fact(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks one household fact (children under 16? …) with Có / Không."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        answer = FactAnswer.unpack(turn.payload)
        if answer is None or f"fact:{answer.fact}" != data.at:
            return self.stale(turn, data)
        data.facts[answer.fact] = answer.answer
        return self.advance(turn, data, data.at)

    async def on_mode(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks how income is given: household/month, person/month or household/year."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        mode = PickMode.unpack(turn.payload)
        if mode is None:
            return self.stale(turn, data)
        data.income_mode = mode.mode
        data.income_confirmed = False
        return self.ask(turn, data, "income")

    async def on_income(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks for the amount (typed); unclear or ambiguous → a clear message and examples."""
        moved = self._back_or_repeat(turn, data, typed=True)
        if moved is not None:
            return moved
        if turn.payload is not None:
            return self.stale(turn, data)
        amount, problem = income_problem(data.income_mode, turn.text)
        if amount is None:
            low, high = income_range(data.income_mode)
            return [
                turn.reply(
                    f"self_check.money.{problem}", low=turn.money(low), high=turn.money(high)
                ),
                turn.reply(f"self_check.money_examples.{data.income_mode}"),
                *self.current(turn, data),
            ]
        data.income_pending = amount
        self.go(turn, Step.INCOME_CONFIRM)
        data.at = "income_confirm"
        return [render.confirm_income(turn, data, amount)]

    async def on_income_confirm(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Echoes the amount ("… — đúng không?"): Đúng moves on, Nhập lại asks it again."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        confirm = ConfirmIncome.unpack(turn.payload)
        if confirm is None or data.income_pending is None:
            return self.stale(turn, data)
        if confirm.answer == "again":
            data.income_pending = None
            return self.ask(turn, data, "income")
        data.income_amount = data.income_pending
        data.income_pending = None
        data.income_confirmed = True
        return self.advance(turn, data, "income")

    async def on_indicator(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Asks one indicator: Có (thiếu) / Không (đủ) / Không rõ, or explains "Vì sao hỏi?"."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        why = WhyAsked.unpack(turn.payload)
        if why is not None and f"ind:{why.code}" == data.at:
            standard = standard_of(data, check_day(data, turn.today))
            return [render.why(turn, standard, why.code), render.question(turn, data, data.at)]
        answer = IndicatorAnswer.unpack(turn.payload)
        if answer is None or f"ind:{answer.code}" != data.at:
            return self.stale(turn, data)
        data.answers[answer.code] = answer.answer
        return self.advance(turn, data, data.at)

    async def on_summary(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Lists every answer with "Xem kết quả" and "Sửa câu trả lời"."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        action = SummaryAction.unpack(turn.payload)
        if action is None:
            return self.stale(turn, data)
        if action.action == "result":
            return self.show_result(turn, data)
        return self.edit_list(turn, data)

    async def on_edit(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Lists the answers as buttons; the chosen one is asked again, then the summary."""
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        item = edit_item(turn.payload)
        if item is None or item == "income" or item not in items(data, self.day(turn, data)):
            return self.stale(turn, data)
        data.editing = True
        return self.ask(turn, data, item)

    async def on_consent(self, turn: Turn, data: SelfCheckData) -> StepResult:
        """Shows the short result and asks "Lưu kết quả để lần sau xem lại?".

        "Xem chi tiết" shows the whole result with the same question; a redo is offered when
        the standard changed while answering. Typed text is answered by the Q&A and the
        question is shown again.
        """
        if turn.payload is None:
            return Signal.UNHANDLED
        moved = self._back_or_repeat(turn, data)
        if moved is not None:
            return moved
        save = SaveResult.unpack(turn.payload)
        if save is not None:
            return await self.save(turn, data, keep=save.answer == "yes")
        if ShowDetail.unpack(turn.payload) is not None:
            return self.show_detail(turn, data)
        if Redo.unpack(turn.payload) is not None:
            return self.redo(turn, data)
        return self.stale(turn, data)

    # --- typed commune names ----------------------------------------------------------------

    def look_up_unit(self, turn: Turn, data: SelfCheckData, text: str) -> list[Reply]:
        """A typed commune name: one match moves on, several are offered, none asks again."""
        if not text:
            return [turn.reply("common.choose_above"), *self.current(turn, data)]
        chosen, offered = admin_units.pick(
            admin_units.find(text, limit=MAX_UNIT_BUTTONS + 1), max_buttons=MAX_UNIT_BUTTONS
        )
        if chosen is not None:
            return self.take_unit(turn, data, chosen)
        if not offered:
            return [turn.reply("self_check.unit_not_found"), *self.current(turn, data)]
        data.unit_options = [unit.code for unit in offered]
        return [render.unit_choices(turn, offered)]

    def take_unit(self, turn: Turn, data: SelfCheckData, unit: admin_units.Unit) -> list[Reply]:
        """Stores a recognised commune (area and province follow from it) and moves on."""
        data.unit_options = []
        data.locality = ""
        data.unit = unit.code
        data.unit_name = unit.name
        data.unit_province = unit.province_code
        data.unit_province_name = unit.province_name
        data.area = unit.area
        replies = self.advance(turn, data, "area")
        first = replies[0]
        return [replace(first, text=f"{render.unit_found(turn, unit)}\n\n{first.text}")]

    # --- moving the cursor ------------------------------------------------------------------

    def day(self, turn: Turn, data: SelfCheckData) -> date:
        """The day the questionnaire's standard was fixed."""
        return check_day(data, turn.today)

    def ask(self, turn: Turn, data: SelfCheckData, item: str) -> list[Reply]:
        """Moves to a question item and asks it."""
        self.go(turn, step_of(item))
        data.at = item
        return [render.question(turn, data, item)]

    def edit_list(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """Moves to the list of answers to change."""
        self.go(turn, Step.EDIT)
        data.at = "edit"
        return [render.edit_list(turn, data)]

    def to_summary(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """Shows the summary, or the first unanswered question if any is left."""
        missing = first_unanswered(data, self.day(turn, data))
        if missing is not None:
            return self.ask(turn, data, missing)
        data.editing = False
        self.go(turn, Step.SUMMARY)
        data.at = "summary"
        return [render.summary(turn, data)]

    def advance(self, turn: Turn, data: SelfCheckData, item: str) -> list[Reply]:
        """After an answer: the next question, or back to the summary when editing."""
        if data.editing:
            return self.to_summary(turn, data)
        day = self.day(turn, data)
        following = item_after(data, day, item)
        # Answers filled in from the resident's message are not asked again on the way forward.
        while (
            following is not None and following in data.prefilled and is_answered(data, following)
        ):
            following = item_after(data, day, following)
        if following is None:
            return self.to_summary(turn, data)
        return self.ask(turn, data, following)

    def _back_or_repeat(
        self, turn: Turn, data: SelfCheckData, *, typed: bool = False
    ) -> StepResult | None:
        """Back (only from the step shown), or REPEAT for text at a step that takes buttons.

        Returns None when the step itself handles the input.
        """
        item = back_item(turn.payload)
        if item is not None:
            return self.back(turn, data) if item == data.at else self.stale(turn, data)
        if turn.payload is None and not typed:
            return Signal.REPEAT
        return None

    def back(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """Back: the previous question with its stored answer (or the summary when editing)."""
        at = data.at
        day = self.day(turn, data)
        if at == "income_confirm":
            data.income_pending = None
            return self.ask(turn, data, "income")
        if at in ("edit", "consent"):
            data.result = None
            return self.to_summary(turn, data)
        if data.editing and at != "summary":
            data.editing = False
            if first_unanswered(data, day) is None:
                return self.edit_list(turn, data)
        if at == "summary":
            return self.ask(turn, data, items(data, day)[-1])
        return self.ask(turn, data, item_before(data, day, at) or "area")

    def current(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """The current step asked again."""
        at = data.at
        if at == "summary":
            return [render.summary(turn, data)]
        if at == "edit":
            return [render.edit_list(turn, data)]
        if at == "income_confirm" and data.income_pending is not None:
            return [render.confirm_income(turn, data, data.income_pending)]
        if at == "consent" and first_unanswered(data, self.day(turn, data)) is None:
            return [render.consent(turn, self.reading(turn, data))]
        if at not in items(data, self.day(turn, data)):
            return self.to_summary(turn, data)
        return self.ask(turn, data, at)

    def stale(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """An old, repeated or forged button: say so and repeat the current question."""
        return [turn.reply("self_check.stale"), *self.current(turn, data)]

    # --- result and consent -----------------------------------------------------------------

    def reading(self, turn: Turn, data: SelfCheckData) -> render.Reading:
        """The complete answers read under the standard used, the national one and 2027's."""
        day = self.day(turn, data)
        answers = saved_answers(data, day)
        main = project(answers, day)
        national = project(replace(answers, locality=None), day) if answers.locality else None
        future = project(answers, SWITCH_DAY) if day < SWITCH_DAY else None
        try:
            current = standard_of(data, turn.today)
        except NoStandardError:
            current = main.standard
        switched = current if current.id != main.standard.id else None
        return render.Reading(day, main, national, future, switched)

    def show_result(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """Assesses the household: the short result, then whether to keep it."""
        day = self.day(turn, data)
        if first_unanswered(data, day) is not None:
            return self.to_summary(turn, data)
        reading = self.reading(turn, data)
        assessment = reading.main.assessments[0]
        data.result = {
            "category": reading.main.categories[0],
            "standard_id": reading.main.standard.id,
            "checked_on": day.isoformat(),
            "income_per_person": assessment.income_per_person,
            "deprived": list(assessment.deprived),
            "answers": saved_answers(data, day).to_json(),
            "unit": data.unit or None,
        }
        self.go(turn, Step.CONSENT)
        data.at = "consent"
        return render.result(turn, reading)

    def show_detail(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """The whole result ("Xem chi tiết"), ending with the same consent question."""
        if first_unanswered(data, self.day(turn, data)) is not None:
            return self.to_summary(turn, data)
        return [render.result_detail(turn, self.reading(turn, data))]

    def redo(self, turn: Turn, data: SelfCheckData) -> list[Reply]:
        """Redo under today's standard: the answers that still apply are kept."""
        data.result = None
        data.day = turn.today.isoformat()
        return [turn.reply("self_check.redo_started"), *self.to_summary(turn, data)]

    async def save(self, turn: Turn, data: SelfCheckData, *, keep: bool) -> list[Reply]:
        """Keeps the result only on "yes"; either way the answers leave the session."""
        stored = data.result
        turn.session.clear()
        home = menu_choice(turn)
        if not keep or stored is None:
            return [Reply(turn.t("self_check.not_saved"), (home,))]
        await self._store(turn, stored)
        return [Reply(turn.t("self_check.saved"), (home,))]

    async def _store(self, turn: Turn, stored: Mapping[str, Any]) -> None:
        """Writes a shown result (the dict kept in `SelfCheckData.result`)."""
        # A result shown before answers were kept (a session from an older version) has none.
        answers = SavedAnswers.from_json(stored["answers"]) if stored.get("answers") else None
        # The commune named in the questionnaire, if served here; else the one the resident
        # already gave (e.g. in an exit registration), so the ward's officers see it counted.
        ward_id = turn.user.ward_id
        if stored.get("unit"):
            ward = await turn.services.users.ward_by_code(str(stored["unit"]))
            ward_id = ward.id if ward is not None and ward.enabled else None
        await self.results.save(
            user_id=turn.user.id,
            checked_on=date.fromisoformat(stored["checked_on"]),
            standard_id=str(stored["standard_id"]),
            category=str(stored["category"]),
            income_per_person=int(stored["income_per_person"]),
            deprived=tuple(str(code) for code in stored["deprived"]),
            now=turn.now,
            answers=answers,
            ward_id=ward_id,
        )

    async def saved_results(self, turn: Turn) -> list[Reply]:
        """`/ketqua`: the resident's saved results, newest first."""
        saved = await self.results.for_user(turn.user.id)
        if not saved:
            return [turn.reply("self_check.no_saved")]
        lines = [turn.t("self_check.saved_title")]
        for entry in saved:
            standard = render.standard_by_id(entry.standard_id)
            names = []
            for code in entry.deprived:
                try:
                    names.append(standard.indicator(code).name if standard else code)
                except KeyError:
                    names.append(code)
            category = entry.category if entry.category in CATEGORY_LABELS_VI else "not_poor"
            lines.append(
                turn.t(
                    "self_check.saved_line",
                    day=turn.day(entry.checked_on),
                    category=turn.t(f"self_check.category.{category}"),
                    standard=standard.short_name if standard else entry.standard_id,
                    income=turn.money(entry.income_per_person),
                    deprived=", ".join(names) if names else turn.t("self_check.none"),
                )
            )
            if entry.answers is not None and entry.checked_on < SWITCH_DAY:
                future = project(entry.answers, SWITCH_DAY)
                lines.append(
                    turn.t(
                        "self_check.saved_future",
                        day=turn.day(SWITCH_DAY),
                        categories=render.categories_text(turn, future),
                    )
                    + (" " + turn.t("self_check.provisional_short") if future.provisional else "")
                )
        lines.append(turn.t("self_check.saved_footer"))
        return [Reply("\n".join(lines))]
