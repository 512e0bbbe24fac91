"""The self-check flow: receives each input, stores the answer, moves the cursor, renders.

Every button payload carries the item it answers (`sc:ans:<code>:yes`, `sc:back:<item>`), so a
double tap or an old button is recognised as stale and only repeats the current question.
The standard is fixed on the day the questionnaire starts (`data["day"]`); the result names it,
shows what the same answers give from 01/01/2027, and offers a redo when the standard in force
changed while the resident was answering.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.dispatcher import Dispatcher
from bot.core.registry import EVERYONE
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.self_check import _render as render
from handlers.self_check._steps import (
    AREA_CHOICES,
    FLOW,
    INCOME_MODES,
    MAX_MEMBERS,
    MIN_MEMBERS,
    Step,
    check_day,
    first_unanswered,
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

MAX_INCOME = 10**12
"""Larger amounts are refused as a typing mistake (a million million đồng a month)."""

PREFILLED = ("size", "income_mode", "income")
"""Items `start_prefilled` answers from a message; skipped on the way forward."""
MAX_UNIT_BUTTONS = 4
"""At most this many communes are offered for an ambiguous typed name."""
_UNIT_KEYS = ("unit", "unit_name", "unit_province", "unit_province_name", "unit_options")


Button = Callable[[Turn, list[str], str], Awaitable[list[Reply]]]
"""A button handler: the turn, the payload's arguments after `sc:<kind>:`, the current item."""


class SelfCheckFlow:
    """The household self-check questionnaire (payload prefix `sc`)."""

    name = FLOW
    roles = EVERYONE

    def __init__(self, dispatcher: Dispatcher, results: SelfCheckRepository) -> None:
        self.dispatcher = dispatcher
        self.results = results
        # Steps that take typed input (and handle their own buttons), then the button table;
        # built once here, not per message.
        self._typed: dict[str | None, Callable[[Turn], list[Reply]]] = {
            Step.AREA: self.on_area,
            Step.SIZE: self.on_size,
            Step.INCOME: self.on_income,
        }
        self._buttons = self._step_table()

    # --- entry points -----------------------------------------------------------------------

    async def start(self, turn: Turn) -> list[Reply]:
        """Shows the privacy note with the first question (where the household lives)."""
        turn.session.enter(FLOW, Step.AREA, {"at": "area", "day": turn.today.isoformat()})
        try:
            standard_of({}, turn.today)
        except NoStandardError:
            turn.session.clear()
            return [turn.reply("self_check.no_standard")]
        first = render.question(turn, turn.session.data, "area")
        return [replace(first, text=f"{turn.t('self_check.intro')}\n\n{first.text}")]

    async def start_prefilled(self, turn: Turn) -> list[Reply]:
        """`scp:<members>:<amount>:<mode>`: the self-check with size and income filled in.

        Offered by the Q&A when a message names both ("nha toi 5 nguoi, thu nhap 6tr/thang");
        the summary shows them and they can be changed there like any answer.
        """
        parts = (turn.payload or "").split(":")
        valid = (
            len(parts) == 4
            and all(part.isascii() and part.isdigit() for part in parts[1:3])
            and parts[3] in INCOME_MODES
        )
        if not valid:
            return [turn.reply("error.unknown_button")]
        members, amount = int(parts[1]), int(parts[2])
        if not MIN_MEMBERS <= members <= MAX_MEMBERS or not 0 < amount <= MAX_INCOME:
            return [turn.reply("error.unknown_button")]
        replies = await self.start(turn)
        if turn.session.flow != FLOW:
            return replies
        turn.session.data.update(
            size=members,
            income_mode=parts[3],
            income_amount=amount,
            income_confirmed=True,
            prefilled=list(PREFILLED),
        )
        filled = turn.t(
            "self_check.prefilled",
            size=turn.t("self_check.size_value", count=members),
            income=render.income_text(turn, turn.session.data),
        )
        first = replies[0]
        return [replace(first, text=f"{first.text}\n\n{filled}"), *replies[1:]]

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles a button or typed input at the current step (through the step table)."""
        payload = turn.payload
        if payload == render.CANCEL:
            turn.session.clear()
            return self.dispatcher.menu(turn, greeting=turn.t("self_check.cancelled"))
        at = str(turn.session.data.get("at", "area"))
        if payload is not None and payload.startswith(f"{FLOW}:back:"):
            if payload.removeprefix(f"{FLOW}:back:") != at:
                return self.stale(turn)
            return self.back(turn, at)
        step = turn.session.step
        typed = self._typed.get(step)
        if typed is not None:
            return typed(turn)
        if payload is None:
            return [turn.reply("common.choose_above"), *self.current(turn)]
        parts = payload.split(":")
        button = self._buttons.get((step, parts[1] if len(parts) > 1 else ""))
        if button is not None:
            return await button(turn, parts[2:], at)
        if payload.startswith(f"{FLOW}:"):
            return self.stale(turn)
        return [turn.reply("common.choose_above"), *self.current(turn)]

    def _step_table(self) -> dict[tuple[str | None, str], Button]:
        """The step table: (step, button kind) → the coroutine that handles it."""
        return {
            (Step.LOCALITY, "loc"): self.on_locality,
            (Step.FACT, "fact"): self.on_fact,
            (Step.INCOME_MODE, "mode"): self.on_mode,
            (Step.INCOME_CONFIRM, "inc"): self.on_income_confirm,
            (Step.INDICATOR, "ans"): self.on_answer,
            (Step.INDICATOR, "why"): self.on_why,
            (Step.SUMMARY, "sum"): self.on_summary,
            (Step.EDIT, "edit"): self.on_edit,
            (Step.CONSENT, "save"): self.on_save,
            (Step.CONSENT, "redo"): self.on_redo,
        }

    # --- buttons ----------------------------------------------------------------------------

    async def on_locality(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Stores the national standard or a province's own, then asks the next question."""
        data = turn.session.data
        if args == ["national"]:
            data["locality"] = None
        elif len(args) == 1 and args[0] in local_options(check_day(data, turn.today)):
            data["locality"] = args[0]
        else:
            return self.stale(turn)
        return self.advance(turn, "locality")

    async def on_fact(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Stores a household fact (yes / no) and asks the next question."""
        if len(args) != 2 or f"fact:{args[0]}" != at or args[1] not in ("yes", "no"):
            return self.stale(turn)
        turn.session.data.setdefault("facts", {})[args[0]] = args[1]
        return self.advance(turn, at)

    async def on_mode(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Stores how income is given and asks for the amount."""
        if len(args) != 1 or args[0] not in INCOME_MODES:
            return self.stale(turn)
        turn.session.data.update(income_mode=args[0], income_confirmed=False)
        return self.go(turn, "income")

    async def on_income_confirm(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Keeps the echoed amount ("Đúng") and moves on, or asks for it again ("Nhập lại")."""
        data = turn.session.data
        if args == ["ok"]:
            data["income_amount"] = data.pop("income_pending")
            data["income_confirmed"] = True
            return self.advance(turn, "income")
        if args == ["again"]:
            data.pop("income_pending", None)
            return self.go(turn, "income")
        return self.stale(turn)

    async def on_answer(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Stores an indicator answer (Có = thiếu / Không = đủ / Không rõ), asks the next one."""
        if len(args) != 2 or f"ind:{args[0]}" != at or args[1] not in ("yes", "no", "unknown"):
            return self.stale(turn)
        turn.session.data.setdefault("answers", {})[args[0]] = args[1]
        return self.advance(turn, at)

    async def on_why(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Explains why an indicator is asked, quoting its definition, and asks it again."""
        if len(args) != 1 or f"ind:{args[0]}" != at:
            return self.stale(turn)
        data = turn.session.data
        standard = standard_of(data, check_day(data, turn.today))
        return [render.why(turn, standard, args[0]), render.question(turn, data, at)]

    async def on_summary(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Shows the result ("Xem kết quả") or lists the answers to change ("Sửa")."""
        if args == ["result"]:
            return await self.show_result(turn)
        if args == ["edit"]:
            turn.session.step = Step.EDIT
            turn.session.data["at"] = "edit"
            return [render.edit_list(turn, turn.session.data)]
        return self.stale(turn)

    async def on_edit(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Asks the chosen answer again; after it, back to the summary."""
        data = turn.session.data
        item = ":".join(args)
        if not args or item not in items(data, check_day(data, turn.today)) or item == "income":
            return self.stale(turn)
        data["editing"] = True
        return self.go(turn, item)

    async def on_save(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Keeps the result on "Có, lưu lại", forgets it on "Không lưu"."""
        if args not in (["yes"], ["no"]):
            return self.stale(turn)
        return await self.on_consent(turn, keep=args[0] == "yes")

    async def on_redo(self, turn: Turn, args: list[str], at: str) -> list[Reply]:
        """Starts again under the standard in force today, keeping the answers that apply."""
        return self.redo(turn) if not args else self.stale(turn)

    # --- typed input ------------------------------------------------------------------------

    def on_area(self, turn: Turn) -> list[Reply]:
        """Stores xã / phường / đặc khu / không rõ, or looks up a typed commune name."""
        data = turn.session.data
        payload = turn.payload
        parts = payload.split(":") if payload else []
        if parts[:2] == [FLOW, "area"] and len(parts) == 3 and parts[2] in AREA_CHOICES:
            for key in _UNIT_KEYS:
                data.pop(key, None)
            data["area"] = parts[2]
            return self.advance(turn, "area")
        if parts[:2] == [FLOW, "unit"] and len(parts) == 3:
            found = admin_units.unit(parts[2])
            if found is None or parts[2] not in data.get("unit_options", []):
                return self.stale(turn)
            return self.take_unit(turn, found)
        if payload is not None:
            return self.stale(turn) if payload.startswith(f"{FLOW}:") else self.current(turn)
        text = turn.text.strip()
        if not text:
            return [turn.reply("common.choose_above"), *self.current(turn)]
        chosen, offered = admin_units.pick(
            admin_units.find(text, limit=MAX_UNIT_BUTTONS + 1), max_buttons=MAX_UNIT_BUTTONS
        )
        if chosen is not None:
            return self.take_unit(turn, chosen)
        if not offered:
            return [turn.reply("self_check.unit_not_found"), *self.current(turn)]
        data["unit_options"] = [unit.code for unit in offered]
        return [render.unit_choices(turn, offered)]

    def take_unit(self, turn: Turn, unit: admin_units.Unit) -> list[Reply]:
        """Stores a recognised commune (area and province follow from it) and moves on."""
        data = turn.session.data
        data.pop("unit_options", None)
        data.pop("locality", None)
        data.update(
            unit=unit.code,
            unit_name=unit.name,
            unit_province=unit.province_code,
            unit_province_name=unit.province_name,
            area=unit.area,
        )
        replies = self.advance(turn, "area")
        first = replies[0]
        return [replace(first, text=f"{render.unit_found(turn, unit)}\n\n{first.text}")]

    def on_size(self, turn: Turn) -> list[Reply]:
        """Stores a valid household size, or explains and asks again (nothing is lost)."""
        if turn.payload is not None and turn.payload.startswith(f"{FLOW}:"):
            return self.stale(turn)
        size = parse_size(turn.text)
        if size is None:
            return [
                turn.reply("self_check.bad_size", low=MIN_MEMBERS, high=MAX_MEMBERS),
                *self.current(turn),
            ]
        turn.session.data["size"] = size
        return self.advance(turn, "size")

    def on_income(self, turn: Turn) -> list[Reply]:
        """Parses the amount; unclear or ambiguous → a clear message and the question again."""
        if turn.payload is not None and turn.payload.startswith(f"{FLOW}:"):
            return self.stale(turn)
        data = turn.session.data
        parsed = parse_money(turn.text)
        mode = data["income_mode"]
        problem: str | None = None
        if parsed.amount is None:
            problem = parsed.problem
        elif parsed.period == "year" and mode != "hy":
            problem = "period_year"
        elif parsed.period == "month" and mode == "hy":
            problem = "period_month"
        elif parsed.amount > MAX_INCOME:
            problem = "too_large"
        if problem is not None or parsed.amount is None:
            return [
                turn.reply(f"self_check.money.{problem}"),
                turn.reply(f"self_check.money_examples.{mode}"),
                *self.current(turn),
            ]
        data["income_pending"] = parsed.amount
        turn.session.step = Step.INCOME_CONFIRM
        data["at"] = "income_confirm"
        return [render.confirm_income(turn, data, parsed.amount)]

    # --- moving the cursor ------------------------------------------------------------------

    def day(self, turn: Turn) -> date:
        """The day the questionnaire's standard was fixed."""
        return check_day(turn.session.data, turn.today)

    def go(self, turn: Turn, item: str) -> list[Reply]:
        """Moves to a question item and asks it."""
        turn.session.step = step_of(item)
        turn.session.data["at"] = item
        return [render.question(turn, turn.session.data, item)]

    def to_summary(self, turn: Turn) -> list[Reply]:
        """Shows the summary, or the first unanswered question if any is left."""
        data = turn.session.data
        missing = first_unanswered(data, self.day(turn))
        if missing is not None:
            return self.go(turn, missing)
        data.pop("editing", None)
        turn.session.step = Step.SUMMARY
        data["at"] = "summary"
        return [render.summary(turn, data)]

    def advance(self, turn: Turn, item: str) -> list[Reply]:
        """After an answer: the next question, or back to the summary when editing."""
        data = turn.session.data
        if data.get("editing"):
            return self.to_summary(turn)
        following = item_after(data, self.day(turn), item)
        # Answers filled in from the resident's message are not asked again on the way forward.
        prefilled = data.get("prefilled", ())
        while following is not None and following in prefilled and is_answered(data, following):
            following = item_after(data, self.day(turn), following)
        if following is None:
            return self.to_summary(turn)
        return self.go(turn, following)

    def back(self, turn: Turn, at: str) -> list[Reply]:
        """Back: the previous question with its stored answer (or the summary when editing)."""
        data = turn.session.data
        if at == "income_confirm":
            data.pop("income_pending", None)
            return self.go(turn, "income")
        if at in ("edit", "consent"):
            data.pop("result", None)
            return self.to_summary(turn)
        if data.get("editing") and at != "summary":
            data.pop("editing", None)
            if first_unanswered(data, self.day(turn)) is None:
                turn.session.step = Step.EDIT
                data["at"] = "edit"
                return [render.edit_list(turn, data)]
        if at == "summary":
            previous = items(data, self.day(turn))[-1]
        else:
            previous = item_before(data, self.day(turn), at) or "area"
        return self.go(turn, previous)

    def current(self, turn: Turn) -> list[Reply]:
        """The current step asked again."""
        data = turn.session.data
        at = str(data.get("at", "area"))
        if at == "summary":
            return [render.summary(turn, data)]
        if at == "edit":
            return [render.edit_list(turn, data)]
        if at == "income_confirm":
            return [render.confirm_income(turn, data, int(data["income_pending"]))]
        if at == "consent":
            return [
                Reply(
                    turn.t("self_check.consent"),
                    (
                        turn.choice("self_check.save_yes", f"{FLOW}:save:yes"),
                        turn.choice("self_check.save_no", f"{FLOW}:save:no"),
                        render.back(turn, "consent"),
                    ),
                )
            ]
        if at not in items(data, self.day(turn)):
            return self.to_summary(turn)
        return self.go(turn, at)

    def stale(self, turn: Turn) -> list[Reply]:
        """An old or repeated button: say so and repeat the current question."""
        return [turn.reply("self_check.stale"), *self.current(turn)]

    # --- result and consent -----------------------------------------------------------------

    async def show_result(self, turn: Turn) -> list[Reply]:
        """Assesses the household and shows the result, then asks whether to keep it."""
        data = turn.session.data
        day = self.day(turn)
        if first_unanswered(data, day) is not None:
            return self.to_summary(turn)
        answers = saved_answers(data, day)
        main = project(answers, day)
        national = project(replace(answers, locality=None), day) if answers.locality else None
        future = project(answers, SWITCH_DAY) if day < SWITCH_DAY else None
        try:
            current = standard_of(data, turn.today)
        except NoStandardError:
            current = main.standard
        assessment = main.assessments[0]
        data["result"] = {
            "category": main.categories[0],
            "standard_id": main.standard.id,
            "checked_on": day.isoformat(),
            "income_per_person": assessment.income_per_person,
            "deprived": list(assessment.deprived),
            "answers": answers.to_json(),
            "unit": data.get("unit"),
        }
        turn.session.step = Step.CONSENT
        data["at"] = "consent"
        return render.result(
            turn,
            data,
            main,
            national=national,
            future=future,
            switched_to=current if current.id != main.standard.id else None,
        )

    def redo(self, turn: Turn) -> list[Reply]:
        """Redo under today's standard: the answers that still apply are kept."""
        data = turn.session.data
        data.pop("result", None)
        data["day"] = turn.today.isoformat()
        return [turn.reply("self_check.redo_started"), *self.to_summary(turn)]

    async def on_consent(self, turn: Turn, *, keep: bool) -> list[Reply]:
        """Keeps the result only on "yes"; either way the answers leave the session."""
        stored: dict[str, Any] | None = turn.session.data.get("result")
        turn.session.clear()
        home = Choice(turn.t("menu.back_to_menu"), "menu:main")
        if not keep or stored is None:
            return [Reply(turn.t("self_check.not_saved"), (home,))]
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
        return [Reply(turn.t("self_check.saved"), (home,))]

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
