"""Steps of the household self-check (tự kiểm tra hộ nghèo) and the order they come in.

The questionnaire is a sequence of items computed from the answers so far (`items`): which
standard is in force on the day decides the indicators, the household facts decide which
indicator questions apply. Every answer lives in the flow's typed data (`SelfCheckData`), one
field per item, so Back shows the stored answer and an edit from the summary changes one item
and returns to the summary. Nothing here does I/O or formats text.

The day is fixed when the questionnaire starts (`data.day`, see `check_day`): a session
begun on 31/12/2026 and finished on 01/01/2027 keeps the 2022–2025 standard throughout, and the
result says so and offers to redo it under the new one.

Where the household lives (the area item): a typed commune name is looked up in the official
list of 3,321 xã, phường and đặc khu (`knowledge.admin_units`), which also gives the province
and so any local standard (Hồ Chí Minh City); or the resident picks xã, phường, đặc khu or
"không rõ". Xã → rural and phường → urban is the best-known mapping (provisional); đặc khu, a
former thị trấn and "không rõ" are assessed both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal, Self

from bot.core.flow import FlowData
from knowledge.assessment import Indicator, Standard, load_standards, standard_for
from knowledge.money import MAX_MEMBERS as MAX_MEMBERS  # re-exported: the size question's range
from knowledge.money import MAX_MONTHLY_INCOME, MIN_MONTHLY_INCOME
from knowledge.money import MIN_MEMBERS as MIN_MEMBERS
from knowledge.transition import AreaChoice, SavedAnswers

FLOW = "sc"
"""Flow name and payload prefix."""


class Step(StrEnum):
    """Named steps of the self-check; `session.step` holds one of these."""

    AREA = "area"
    """Asks where the household lives: a typed commune name, or xã / phường / đặc khu / không rõ."""
    LOCALITY = "locality"
    """Asks whether to use the national standard or a province's own standard (province unknown)."""
    SIZE = "size"
    """Asks for the household size, typed as a number from 1 to 30."""
    FACT = "fact"
    """Asks one yes/no household fact (children under 16? members aged 16–30? ...)."""
    INCOME_MODE = "income_mode"
    """Asks how the resident wants to give income: household/month, person/month, household/year."""
    INCOME = "income"
    """Asks for the income amount, typed."""
    INCOME_CONFIRM = "income_confirm"
    """Echoes the parsed amount ("1.500.000 ₫ mỗi tháng — đúng không?") with Đúng / Nhập lại."""
    INDICATOR = "indicator"
    """Asks one deprivation indicator question: Có / Không / Không rõ, with "Vì sao hỏi?"."""
    SUMMARY = "summary"
    """Lists every answer with "Xem kết quả" and "Sửa câu trả lời"."""
    EDIT = "edit"
    """Lists the answers as buttons; the chosen one is asked again, then back to the summary."""
    CONSENT = "consent"
    """Shows the result and asks "Lưu kết quả để lần sau xem lại?"."""


IncomeMode = Literal["hm", "pm", "hy"]
INCOME_MODES: tuple[IncomeMode, ...] = ("hm", "pm", "hy")
"""hm = household per month, pm = per person per month, hy = household per year."""

INCOME_RANGES: Mapping[str, tuple[int, int]] = {
    "hm": (MIN_MONTHLY_INCOME, MAX_MONTHLY_INCOME),
    "pm": (MIN_MONTHLY_INCOME, MAX_MONTHLY_INCOME),
    "hy": (MIN_MONTHLY_INCOME * 12, MAX_MONTHLY_INCOME * 12),
}
"""The amounts (đồng) each income mode takes: a household's month (0–10 tỷ), a person's month
(the same), a household's year (twelve times). More is taken for a typing mistake."""


def income_range(mode: str) -> tuple[int, int]:
    """The lowest and highest amount (đồng) taken for income mode `mode` (a month if unknown)."""
    return INCOME_RANGES.get(mode, INCOME_RANGES["hm"])


def in_income_range(mode: str, amount: int) -> bool:
    """Whether `amount` đồng is a plausible income for `mode` (see `INCOME_RANGES`)."""
    low, high = income_range(mode)
    return low <= amount <= high


# Facts asked in this order; a child fact is asked only when its parent was answered "yes"
# (if the parent is not needed by the standard, the child is asked directly).
FACT_ORDER: tuple[str, ...] = (
    "has_member_working_age",
    "has_member_6_plus",
    "has_children_under_16",
    "has_children_3_15",
    "has_children_5_14",
    "has_member_aged_16_30",
    "has_member_aged_15_30",
)
FACT_PARENT: Mapping[str, str] = {
    "has_children_3_15": "has_children_under_16",
    "has_children_5_14": "has_children_under_16",
}
ANSWERS = ("yes", "no", "unknown")
AREA_CHOICES: tuple[AreaChoice, ...] = ("rural", "urban", "unknown")
"""rural = xã, urban = phường, unknown = đặc khu, a former thị trấn, or not sure."""

PROVINCE_LOCALITY: Mapping[str, str] = {"79": "hcm", "48": "dn", "01": "hn"}
"""Official province code → locality code of the standards data (HCMC, Đà Nẵng, Hà Nội)."""
NATIONAL = "national"
"""The locality answer "the national standard" (a province's own is its locality code)."""


@dataclass
class SelfCheckData(FlowData):
    """The answers so far and the cursor (stored in the session between steps).

    An empty string, zero or None means "not answered yet".
    """

    at: str = "area"
    """The item (or screen: "summary", "edit", "income_confirm", "consent") now shown."""
    day: str = ""
    """The day the standard was fixed (ISO date), set when the questionnaire starts."""
    area: str = ""
    """"rural", "urban" or "unknown"."""
    locality: str = ""
    """`NATIONAL`, a locality code with its own standard ("hcm"), or "" (not answered)."""
    unit: str = ""
    """The official code of the commune the resident named, if any."""
    unit_name: str = ""
    unit_province: str = ""
    unit_province_name: str = ""
    unit_options: list[str] = field(default_factory=list)
    """The commune codes offered as buttons for an ambiguous typed name."""
    size: int = 0
    income_mode: str = ""
    """"hm", "pm" or "hy" (see `INCOME_MODES`)."""
    income_amount: int = 0
    income_pending: int | None = None
    """An amount parsed but not yet confirmed ("đúng không?")."""
    income_confirmed: bool = False
    facts: dict[str, str] = field(default_factory=dict)
    """Fact → "yes" / "no"."""
    answers: dict[str, str] = field(default_factory=dict)
    """Indicator code → "yes" (deprived) / "no" / "unknown"."""
    result: dict[str, Any] | None = None
    """The result shown, kept until the resident says whether to save it."""
    editing: bool = False
    """Changing one answer from the summary: back to the summary after it."""
    prefilled: list[str] = field(default_factory=list)
    """Items filled in from the resident's message, skipped on the way forward."""

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> Self:
        """The data from a session dict; an older version stored the national answer as None."""
        if "locality" in raw and raw["locality"] is None:
            raw = {**raw, "locality": NATIONAL}
        return super().load(raw)

    def clear_unit(self) -> None:
        """Forgets a named commune and the candidates offered."""
        self.unit = self.unit_name = self.unit_province = self.unit_province_name = ""
        self.unit_options = []


def check_day(data: SelfCheckData, today: date) -> date:
    """The day the questionnaire's standard was fixed (its start), or today before it starts."""
    return date.fromisoformat(data.day) if data.day else today


def local_options(day: date) -> list[str]:
    """Locality codes that have their own standard in force on `day`."""
    return sorted({s.scope for s in load_standards() if s.scope != "national" and s.in_force(day)})


def locality_of(data: SelfCheckData, day: date) -> str | None:
    """The local standard's code: from the named commune's province, else the chosen one."""
    if data.unit_province:
        code = PROVINCE_LOCALITY.get(data.unit_province)
        return code if code in local_options(day) else None
    chosen = data.locality
    return chosen if chosen and chosen != NATIONAL else None


def asks_locality(data: SelfCheckData, day: date) -> bool:
    """Whether to ask for the standard: a local one is in force and the province is unknown."""
    return bool(local_options(day)) and not data.unit_province


def standard_of(data: SelfCheckData, day: date) -> Standard:
    """The standard that applies to these answers on `day` (national unless a local one)."""
    return standard_for(day, locality_of(data, day))


def needed_facts(standard: Standard) -> list[str]:
    """Facts that some indicator of `standard` depends on, in asking order."""
    needed = {cond for ind in standard.indicators for cond in ind.applies_to}
    ordered = [fact for fact in FACT_ORDER if fact in needed]
    return ordered + sorted(needed - set(FACT_ORDER))


def facts_yes(data: SelfCheckData) -> frozenset[str]:
    """Facts answered "yes"."""
    return frozenset(fact for fact, answer in data.facts.items() if answer == "yes")


def fact_items(data: SelfCheckData, standard: Standard) -> list[str]:
    """The fact questions to ask, given the parent answers so far."""
    facts = data.facts
    needed = needed_facts(standard)
    out = []
    for fact in needed:
        parent = FACT_PARENT.get(fact)
        if parent in needed and facts.get(parent) == "no":
            continue
        out.append(fact)
    return out


def applicable(data: SelfCheckData, standard: Standard) -> list[Indicator]:
    """Indicators whose question applies; an unanswered fact counts as "yes" (not yet known)."""
    facts = data.facts
    asked = fact_items(data, standard)
    assumed = {fact for fact in asked if facts.get(fact, "yes") == "yes"}
    return [ind for ind in standard.indicators if ind.applies(assumed)]


def items(data: SelfCheckData, day: date) -> list[str]:
    """Every question item in order.

    Items are "area", "locality" (only when a local standard is in force), "size",
    "fact:<fact>", "income_mode", "income" and "ind:<code>".
    """
    standard = standard_of(data, day)
    out = ["area"]
    if asks_locality(data, day):
        out.append("locality")
    out.append("size")
    out += [f"fact:{fact}" for fact in fact_items(data, standard)]
    out += ["income_mode", "income"]
    out += [f"ind:{ind.code}" for ind in applicable(data, standard)]
    return out


def is_answered(data: SelfCheckData, item: str) -> bool:
    """Whether the item has a stored answer."""
    kind, _, key = item.partition(":")
    answered = {
        "fact": key in data.facts,
        "ind": key in data.answers,
        "income": data.income_confirmed,
        "locality": bool(data.locality),
        "area": bool(data.area),
        "size": data.size > 0,
        "income_mode": bool(data.income_mode),
    }
    return answered.get(kind, False)


def first_unanswered(data: SelfCheckData, day: date) -> str | None:
    """The first item without an answer, or None when the questionnaire is complete."""
    for item in items(data, day):
        if not is_answered(data, item):
            return item
    return None


def step_of(item: str) -> Step:
    """The step that asks an item."""
    kind = item.partition(":")[0]
    return {
        "area": Step.AREA,
        "locality": Step.LOCALITY,
        "size": Step.SIZE,
        "fact": Step.FACT,
        "income_mode": Step.INCOME_MODE,
        "income": Step.INCOME,
        "ind": Step.INDICATOR,
    }[kind]


def item_after(data: SelfCheckData, day: date, item: str) -> str | None:
    """The next item in order after `item` (None at the end)."""
    sequence = items(data, day)
    if item not in sequence:
        return first_unanswered(data, day)
    index = sequence.index(item)
    return sequence[index + 1] if index + 1 < len(sequence) else None


def item_before(data: SelfCheckData, day: date, item: str) -> str | None:
    """The previous item in order (None before the first)."""
    sequence = items(data, day)
    if item not in sequence:
        return sequence[-1]
    index = sequence.index(item)
    return sequence[index - 1] if index > 0 else None


def parse_size(text: str) -> int | None:
    """A household size from "4", "4 người", "4 nguoi"; None when not a whole number 1–30.

    Only ASCII digits count: "²", "①" or "٤" are no size (a count is not an amount).
    """
    words = text.strip().lower().split()
    if not words or len(words) > 2:
        return None
    digits = words[0]
    if not digits.isascii() or not digits.isdigit() or len(digits) > 3:
        return None
    if len(words) == 2 and words[1] not in ("người", "nguoi", "nhân", "khẩu"):
        return None
    value = int(words[0])
    return value if MIN_MEMBERS <= value <= MAX_MEMBERS else None


def yearly_income(data: SelfCheckData) -> int | None:
    """The household's yearly total as typed, when income was given per year (else None)."""
    return data.income_amount if data.income_mode == "hy" else None


def monthly_income(data: SelfCheckData) -> int:
    """Household income per month in đồng from the stored amount and mode.

    Per person per month is multiplied by the household size; per year is divided by 12 and
    rounded down to the đồng, for display only: the rules compare the yearly figure itself.
    """
    amount = data.income_amount
    mode = data.income_mode
    if mode == "pm":
        return amount * data.size
    if mode == "hy":
        return amount // 12
    return amount


def area_choice(data: SelfCheckData) -> AreaChoice:
    """The stored area: "rural", "urban" or "unknown"."""
    if data.area == "rural":
        return "rural"
    return "urban" if data.area == "urban" else "unknown"


def answer_sets(data: SelfCheckData, standard: Standard) -> tuple[frozenset[str], frozenset[str]]:
    """Deprived and unknown indicator codes among the questions that apply."""
    answers = data.answers
    deprived: set[str] = set()
    unknown: set[str] = set()
    for ind in applicable(data, standard):
        answer = answers.get(ind.code)
        if answer == "unknown":
            unknown.add(ind.code)
        elif answer in ("yes", "no") and ind.is_deprived(answer == "yes"):
            deprived.add(ind.code)
    return frozenset(deprived), frozenset(unknown)


def saved_answers(data: SelfCheckData, day: date) -> SavedAnswers:
    """The complete answers as `SavedAnswers`, the form the result and the notices read."""
    standard = standard_of(data, day)
    deprived, unknown = answer_sets(data, standard)
    return SavedAnswers(
        checked_on=day,
        standard_id=standard.id,
        area=area_choice(data),
        locality=locality_of(data, day),
        members=data.size,
        monthly_income=monthly_income(data),
        yearly_income=yearly_income(data),
        deprived=deprived,
        unknown=unknown,
        facts=facts_yes(data),
    )
