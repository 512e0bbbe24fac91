"""Pure poverty assessment (đánh giá hộ nghèo, hộ cận nghèo) against dated standards kept as data.

Each poverty standard (chuẩn nghèo) lives in ``knowledge/standards/<id>.toml``: income lines per
area, the deprivation indicators (chỉ số thiếu hụt) with the question a resident is asked, and the
combining rule as an ordered list of bands. This module loads those files, picks the standard in
force on a date (and for a locality), and classifies a household. There is exactly one rule
implementation, :func:`match_rule`: the first band whose income bound and minimum deprivation
count both hold decides the category. That one loop expresses both shapes of the law:

* 2016–2020: income ≤ poverty line → poor; ≤ near-poverty line and ≥ 3 deprivations → poor;
  same band with fewer → near-poor; ≤ band top → average living; else not poor.
* 2022–2025 and 2027–2030: ≤ line and ≥ 3 → poor; ≤ line → near-poor; ≤ band top → average
  living (unknown for 2027–2030); else not poor.

Conventions:

* Income is compared exactly, never rounded: a household is at or below a line when its total
  income is at most line × members ("từ … trở xuống"), or strictly below it for an exclusive
  line ("dưới"). All comparisons are made on yearly đồng so that yearly lines (HCMC's
  46.000.000 đồng/người/năm) and yearly incomes need no division: rural, 4 people,
  6.000.001 đồng a month is above the 1.500.000 line even though 6.000.001 // 4 = 1.500.000.
  ``income_per_person`` (rounded down) is only shown, never compared.
* A deprivation is counted when its code is in ``Household.deprived``; "không rõ" answers go in
  ``Household.unknown`` and are never counted, but the explanation says whether they could
  change the result. ``Household.facts`` (e.g. "has_children_under_16") only drives which
  questions apply (:meth:`Standard.applicable_indicators`); an explicit "deprived" answer is
  always counted, as in the officers' batch files.
* Everything a resident reads is Vietnamese; values marked provisional in the data say
  "(tạm tính, cần xác nhận với cán bộ xã/phường)".
* In every indicator question "Có" means the household lacks it (``deprived_when = "yes"`` is
  enforced by the loader), so a resident never has to work out which answer is the bad one.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

from knowledge.money import format_vnd

__all__ = [
    "AREA_LABELS_VI",
    "CATEGORY_LABELS_VI",
    "LOCALITY_NAMES_VI",
    "PROVISIONAL_NOTE_VI",
    "Area",
    "Assessment",
    "Category",
    "CompiledRule",
    "Confidence",
    "Explanation",
    "Household",
    "IncomeLine",
    "Indicator",
    "NoStandardError",
    "Rule",
    "Standard",
    "StandardDataError",
    "assess",
    "categorize",
    "income_per_person",
    "load_standards",
    "match_rule",
    "standard_for",
]

Area = Literal["rural", "urban"]
Category = Literal["poor", "near_poor", "average_living", "not_poor"]
Confidence = Literal["confirmed", "provisional"]

AREAS: tuple[Area, ...] = ("rural", "urban")
CATEGORIES: tuple[Category, ...] = ("poor", "near_poor", "average_living", "not_poor")

CATEGORY_LABELS_VI: Mapping[Category, str] = {
    "poor": "hộ nghèo",
    "near_poor": "hộ cận nghèo",
    "average_living": "hộ có mức sống trung bình",
    "not_poor": "không thuộc diện hộ nghèo, cận nghèo",
}
AREA_LABELS_VI: Mapping[Area, str] = {"rural": "nông thôn", "urban": "thành thị"}
LOCALITY_NAMES_VI: Mapping[str, str] = {
    "hcm": "Thành phố Hồ Chí Minh",
    "dn": "Thành phố Đà Nẵng",
    "hn": "Thành phố Hà Nội",
}
PROVISIONAL_NOTE_VI = "(tạm tính, cần xác nhận với cán bộ xã/phường)"

_STANDARDS_DIR = Path(__file__).with_name("standards")
_NO_BOUND = 1 << 62  # larger than any income per person


class NoStandardError(LookupError):
    """No poverty standard is in force on the requested date (e.g. before 2016)."""


class StandardDataError(ValueError):
    """A standard's data file is malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """One deprivation indicator (chỉ số thiếu hụt) and how a resident is asked about it.

    Attributes:
        code: Stable English code shared across standards ("health_insurance").
        name: Vietnamese name of the indicator.
        dimension: Vietnamese name of the basic social service it belongs to.
        definition: Plain Vietnamese paraphrase of the legal definition.
        question: The yes/no question shown to a resident; "Có" always means deprived.
        why: Short "Vì sao hỏi?" explanation.
        official: The official definition quoted word for word where it was read (Phiếu B2),
            else the draft or best-known wording; quoted in "Vì sao hỏi?".
        citation: Legal citation.
        confidence: "confirmed" or "provisional" (not confirmed in the sources read).
        applies_to: Household facts required for the question to apply (all of them).
        deprived_when: The answer to ``question`` ("yes" or "no") that means deprived.
    """

    code: str
    name: str
    dimension: str
    definition: str
    question: str
    why: str
    citation: str
    confidence: Confidence
    applies_to: tuple[str, ...]
    deprived_when: Literal["yes", "no"]
    official: str = ""

    def applies(self, facts: Iterable[str]) -> bool:
        """Whether the question applies to a household with these facts."""
        known = frozenset(facts)
        return all(condition in known for condition in self.applies_to)

    def is_deprived(self, answer_yes: bool) -> bool:
        """Whether a yes (True) / no (False) answer to ``question`` means deprived."""
        return answer_yes == (self.deprived_when == "yes")


@dataclass(frozen=True, slots=True)
class IncomeLine:
    """An income line in đồng per person per month, per area.

    Attributes:
        name: "poverty", "near_poverty" or "average_top".
        label: Vietnamese label ("chuẩn nghèo").
        rural: Monthly line for rural areas.
        urban: Monthly line for urban areas.
        inclusive: True for "từ … trở xuống" (≤), False for "dưới" (<).
        confidence: "confirmed" or "provisional".
        citation: Legal citation.
        basis: "month", or "year" when the source states yearly figures.
        rural_yearly: The source's yearly figure (rural), if ``basis == "year"``.
        urban_yearly: The source's yearly figure (urban), if ``basis == "year"``.
    """

    name: str
    label: str
    rural: int
    urban: int
    inclusive: bool
    confidence: Confidence
    citation: str
    basis: Literal["month", "year"] = "month"
    rural_yearly: int | None = None
    urban_yearly: int | None = None

    def value(self, area: Area) -> int:
        """The monthly line for an area."""
        return self.rural if area == "rural" else self.urban

    def yearly(self, area: Area) -> int | None:
        """The yearly figure the source states, if any."""
        return self.rural_yearly if area == "rural" else self.urban_yearly

    def upper_bound(self, area: Area) -> int:
        """Largest whole-đồng monthly income per person on or below this line (ordering only)."""
        value = self.value(area)
        return value if self.inclusive else value - 1

    def per_year(self, area: Area) -> int:
        """The line in đồng per person per year: the source's yearly figure, else 12 × monthly."""
        yearly = self.yearly(area)
        return yearly if yearly is not None else 12 * self.value(area)


@dataclass(frozen=True, slots=True)
class Rule:
    """One band of the combining rule: first match wins.

    Attributes:
        income_upto: Name of the line bounding income from above, or None for any income.
        min_deprivations: Minimum number of deprivations (0 = any).
        category: The category when the band matches.
        confidence: "confirmed" or "provisional".
        citation: Legal citation.
    """

    income_upto: str | None
    min_deprivations: int
    category: Category
    confidence: Confidence
    citation: str


class CompiledRule(NamedTuple):
    """A rule precompiled for one area: plain ints, ready for a hot loop.

    A household matches when ``yearly_total + strict <= bound × members`` and it has at least
    ``min_deprivations`` deprivations: exact integer arithmetic, no per-person rounding.
    """

    bound: int  # line in đồng per person per YEAR
    strict: int  # 0 for "từ … trở xuống" (≤), 1 for "dưới" (<)
    min_deprivations: int
    category: Category
    rule_index: int  # position in Standard.rules
    reason: str  # short Vietnamese reason, e.g. for batch output


@dataclass(frozen=True)
class Standard:
    """A dated poverty standard (chuẩn nghèo), national or local, loaded from a TOML file.

    Attributes:
        id: File id, e.g. "vn-2022-2025".
        name: Vietnamese name.
        short_name: Short Vietnamese name for sentences.
        legal_basis: Vietnamese legal basis with its date.
        legal_date: Date of the legal document, if known.
        scope: "national" or a locality code ("hcm", "dn", "hn").
        effective_from: First day in force.
        effective_to: Last day in force (None = open-ended).
        effective_note: Vietnamese note on the period (transitions, local-only use).
        notes: Vietnamese closing note shown with every result.
        lines: Income lines.
        rules: Ordered combining rule.
        indicators: Deprivation indicators.
        average_band_known: False when the average-living band is unknown.
        indicators_provisional: The indicator set itself is not confirmed.
        rules_provisional: The combining rule is not confirmed.
        compiled: Rules compiled per area (derived; not compared).
    """

    id: str
    name: str
    short_name: str
    legal_basis: str
    legal_date: date | None
    scope: str
    effective_from: date
    effective_to: date | None
    effective_note: str
    notes: str
    lines: tuple[IncomeLine, ...]
    rules: tuple[Rule, ...]
    indicators: tuple[Indicator, ...]
    average_band_known: bool = True
    indicators_provisional: bool = False
    rules_provisional: bool = False
    compiled: Mapping[Area, tuple[CompiledRule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def provisional(self) -> bool:
        """Whether any part of the standard is provisional."""
        return (
            self.indicators_provisional
            or self.rules_provisional
            or not self.average_band_known
            or any(line.confidence == "provisional" for line in self.lines)
            or any(rule.confidence == "provisional" for rule in self.rules)
            or any(ind.confidence == "provisional" for ind in self.indicators)
        )

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        """Indicator codes in data order."""
        return tuple(indicator.code for indicator in self.indicators)

    def line(self, name: str) -> IncomeLine:
        """The income line with this name.

        Raises:
            KeyError: The standard has no such line.
        """
        for line in self.lines:
            if line.name == name:
                return line
        raise KeyError(name)

    def line_for(self, area: Area) -> int:
        """The poverty line (chuẩn nghèo) for an area, đồng per person per month."""
        return self.line("poverty").value(area)

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code.

        Raises:
            KeyError: The standard has no such indicator.
        """
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def applicable_indicators(self, facts: Iterable[str]) -> tuple[Indicator, ...]:
        """Indicators whose question applies to a household with these facts."""
        known = frozenset(facts)
        return tuple(ind for ind in self.indicators if ind.applies(known))

    def in_force(self, day: date) -> bool:
        """Whether the standard applies on this day."""
        ends = self.effective_to
        return self.effective_from <= day and (ends is None or day <= ends)


@dataclass(frozen=True, slots=True)
class Household:
    """What the assessment needs to know about a household (hộ gia đình).

    Attributes:
        area: "rural" (nông thôn) or "urban" (thành thị).
        members: Number of household members (≥ 1).
        monthly_income: Household total income per month, đồng (≥ 0); when the resident gave
            a yearly figure this is its twelfth rounded down, shown only.
        deprived: Codes of indicators the household is deprived on.
        unknown: Codes answered "không rõ" (not counted).
        facts: Household facts such as "has_children_under_16" (question applicability).
        yearly_income: Exact household total per year when the resident gave a yearly figure
            (compared as given, never divided by 12).
    """

    area: Area
    members: int
    monthly_income: int
    deprived: frozenset[str]
    unknown: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    yearly_income: int | None = None

    @property
    def yearly_total(self) -> int:
        """Total income per year, exact: the yearly figure given, else 12 × monthly."""
        return self.yearly_income if self.yearly_income is not None else 12 * self.monthly_income


@dataclass(frozen=True, slots=True)
class Explanation:
    """One Vietnamese explanation line with its citation.

    Attributes:
        text: Vietnamese text shown to the resident.
        citation: Legal citation for the line.
        provisional: Whether the line rests on unconfirmed data.
    """

    text: str
    citation: str
    provisional: bool


@dataclass(frozen=True, slots=True)
class Assessment:
    """The indicative result of a self-check (tự kiểm tra).

    Attributes:
        standard: The standard used.
        income_per_person: Monthly income per person, đồng (rounded down).
        line: The poverty line for the household's area.
        deprived: Deprived indicator codes, in the standard's order.
        unknown: "Không rõ" indicator codes, in the standard's order.
        category: The category.
        distance_to_line: ``income_per_person - line`` (negative = below the line).
        near_line: Income is within 10 % of one of the standard's income lines.
        explanations: Vietnamese explanation lines, each with its citation.
    """

    standard: Standard
    income_per_person: int
    line: int
    deprived: tuple[str, ...]
    unknown: tuple[str, ...]
    category: Category
    distance_to_line: int
    near_line: bool
    explanations: tuple[Explanation, ...]

    @property
    def provisional(self) -> bool:
        """Whether any explanation line rests on unconfirmed data."""
        return any(item.provisional for item in self.explanations)


# --- loading ----------------------------------------------------------------------------------


def load_standards(directory: Path | None = None) -> tuple[Standard, ...]:
    """Load and validate every ``*.toml`` standard in a directory (cached per directory).

    Args:
        directory: Where the files are; defaults to ``knowledge/standards``.

    Returns:
        National standards first, then local ones, each group by start date.

    Raises:
        StandardDataError: A file is malformed or inconsistent.
    """
    return _load_standards(directory or _STANDARDS_DIR)


@functools.cache
def _load_standards(directory: Path) -> tuple[Standard, ...]:
    raw: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        ident = _text(data, "id", path.name)
        if ident != path.stem:
            raise StandardDataError(f"{path.name}: id {ident!r} must match the file name")
        raw[ident] = data
    standards = [_build_standard(data, raw) for data in raw.values()]
    standards.sort(key=lambda s: (s.scope != "national", s.scope, s.effective_from))
    _check_overlaps(standards)
    return tuple(standards)


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise StandardDataError(f"{where}: {key!r} must be a non-empty string")
    return value


def _int(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise StandardDataError(f"{where}: {key!r} must be a non-negative integer")
    return value


def _confidence(data: Mapping[str, Any], where: str) -> Confidence:
    value = data.get("confidence")
    if value not in ("confirmed", "provisional"):
        raise StandardDataError(f"{where}: confidence must be 'confirmed' or 'provisional'")
    return cast(Confidence, value)


def _date(data: Mapping[str, Any], key: str, where: str, *, required: bool) -> date | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, date):
        raise StandardDataError(f"{where}: {key!r} must be a TOML date")
    return value


def _build_line(item: Mapping[str, Any], where: str) -> IncomeLine:
    name = _text(item, "name", where)
    where = f"{where} line {name}"
    basis = item.get("basis", "month")
    if basis not in ("month", "year"):
        raise StandardDataError(f"{where}: basis must be 'month' or 'year'")
    rural_yearly: int | None = None
    urban_yearly: int | None = None
    if basis == "year":
        rural_yearly = _int(item, "rural_yearly", where)
        urban_yearly = _int(item, "urban_yearly", where)
        for area, yearly in (("rural", rural_yearly), ("urban", urban_yearly)):
            if _int(item, area, where) != yearly // 12:
                raise StandardDataError(f"{where}: {area} must equal {area}_yearly // 12")
    inclusive = item.get("inclusive")
    if not isinstance(inclusive, bool):
        raise StandardDataError(f"{where}: inclusive must be true or false")
    return IncomeLine(
        name=name,
        label=_text(item, "label", where),
        rural=_int(item, "rural", where),
        urban=_int(item, "urban", where),
        inclusive=inclusive,
        confidence=_confidence(item, where),
        citation=_text(item, "citation", where),
        basis=basis,
        rural_yearly=rural_yearly,
        urban_yearly=urban_yearly,
    )


def _build_indicator(
    item: Mapping[str, Any], where: str, *, confidence: str | None, citation: str | None
) -> Indicator:
    code = _text(item, "code", where)
    where = f"{where} indicator {code}"
    applies_to = item.get("applies_to", [])
    if not isinstance(applies_to, list) or not all(isinstance(a, str) for a in applies_to):
        raise StandardDataError(f"{where}: applies_to must be a list of strings")
    deprived_when = item.get("deprived_when", "yes")
    if deprived_when != "yes":
        raise StandardDataError(f"{where}: deprived_when must be 'yes' (\"Có\" = thiếu hụt)")
    return Indicator(
        code=code,
        name=_text(item, "name", where),
        dimension=_text(item, "dimension", where),
        definition=_text(item, "definition", where),
        question=_text(item, "question", where),
        why=_text(item, "why", where),
        citation=citation or _text(item, "citation", where),
        confidence=cast(Confidence, confidence) if confidence else _confidence(item, where),
        applies_to=tuple(applies_to),
        deprived_when=deprived_when,
        official=str(item.get("official", "")),
    )


def _indicator_items(
    data: Mapping[str, Any], raw: Mapping[str, Mapping[str, Any]], where: str
) -> list[tuple[Mapping[str, Any], bool]]:
    """Own indicators plus inherited ones (flag True), in the parent's order, own ones replacing."""
    own: list[Mapping[str, Any]] = list(data.get("indicators", []))
    parent_id = data.get("indicators_from")
    if parent_id is None:
        return [(item, False) for item in own]
    parent = raw.get(parent_id)
    if parent is None or "indicators_from" in parent:
        raise StandardDataError(f"{where}: indicators_from {parent_id!r} is not a base standard")
    drop = set(data.get("indicators_drop", []))
    own_by_code = {item.get("code"): item for item in own}
    items: list[tuple[Mapping[str, Any], bool]] = []
    for item in parent.get("indicators", []):
        code = item.get("code")
        if code in drop:
            continue
        if code in own_by_code:
            items.append((own_by_code.pop(code), False))
        else:
            items.append((item, True))
    items.extend((item, False) for item in own_by_code.values())
    unknown_drop = drop - {item.get("code") for item in parent.get("indicators", [])}
    if unknown_drop:
        raise StandardDataError(f"{where}: indicators_drop names unknown codes {unknown_drop}")
    return items


def _build_standard(data: Mapping[str, Any], raw: Mapping[str, Mapping[str, Any]]) -> Standard:
    where = _text(data, "id", "standard")
    lines = tuple(_build_line(item, where) for item in data.get("lines", []))
    line_names = [line.name for line in lines]
    if len(set(line_names)) != len(line_names) or "poverty" not in line_names:
        raise StandardDataError(f"{where}: lines need unique names including 'poverty'")

    override_confidence = data.get("indicators_confidence")
    if override_confidence not in (None, "confirmed", "provisional"):
        raise StandardDataError(f"{where}: indicators_confidence is invalid")
    override_citation = data.get("indicators_citation")
    indicators = tuple(
        _build_indicator(
            item,
            where,
            confidence=override_confidence,
            citation=override_citation if inherited else None,
        )
        for item, inherited in _indicator_items(data, raw, where)
    )
    codes = [indicator.code for indicator in indicators]
    if not codes or len(set(codes)) != len(codes):
        raise StandardDataError(f"{where}: indicator codes must be present and unique")

    rules: list[Rule] = []
    for index, item in enumerate(data.get("rules", [])):
        rule_where = f"{where} rule {index + 1}"
        upto = item.get("income_upto")
        if upto is not None and upto not in line_names:
            raise StandardDataError(f"{rule_where}: income_upto {upto!r} is not a line")
        category = item.get("category")
        if category not in CATEGORIES:
            raise StandardDataError(f"{rule_where}: unknown category {category!r}")
        min_deprivations = item.get("min_deprivations", 0)
        if not isinstance(min_deprivations, int) or not 0 <= min_deprivations <= len(codes):
            raise StandardDataError(f"{rule_where}: min_deprivations out of range")
        rules.append(
            Rule(
                income_upto=upto,
                min_deprivations=min_deprivations,
                category=category,
                confidence=_confidence(item, rule_where),
                citation=_text(item, "citation", rule_where),
            )
        )
    if not rules or rules[-1].income_upto is not None or rules[-1].min_deprivations:
        raise StandardDataError(f"{where}: the last rule must match any household")

    average_band_known = data.get("average_band_known", True)
    if average_band_known and "average_living" not in {rule.category for rule in rules}:
        raise StandardDataError(f"{where}: no average_living rule but average_band_known")
    effective_from = _date(data, "effective_from", where, required=True)
    assert effective_from is not None
    standard = Standard(
        id=where,
        name=_text(data, "name", where),
        short_name=_text(data, "short_name", where),
        legal_basis=_text(data, "legal_basis", where),
        legal_date=_date(data, "legal_date", where, required=False),
        scope=_text(data, "scope", where),
        effective_from=effective_from,
        effective_to=_date(data, "effective_to", where, required=False),
        effective_note=str(data.get("effective_note", "")),
        notes=_text(data, "notes", where),
        lines=lines,
        rules=tuple(rules),
        indicators=indicators,
        average_band_known=bool(average_band_known),
        indicators_provisional=override_confidence == "provisional",
        rules_provisional=bool(data.get("rules_provisional", False)),
    )
    compiled = {area: _compile(standard, area) for area in AREAS}
    for area, rules_for_area in compiled.items():
        bounds = [rule.bound * 2 - rule.strict for rule in rules_for_area]
        if bounds != sorted(bounds):
            raise StandardDataError(f"{where}: rule income bounds must not decrease ({area})")
    object.__setattr__(standard, "compiled", compiled)
    return standard


def _check_overlaps(standards: list[Standard]) -> None:
    by_scope: dict[str, list[Standard]] = {}
    for standard in standards:
        by_scope.setdefault(standard.scope, []).append(standard)
    for scope, group in by_scope.items():
        for earlier, later in itertools.pairwise(group):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise StandardDataError(f"standards {earlier.id} and {later.id} overlap ({scope})")


# --- the rule ---------------------------------------------------------------------------------


def _money_phrase(line: IncomeLine, area: Area, *, upper: bool) -> str:
    amount = format_vnd(line.value(area))
    if upper:
        return f"đến {amount}" if line.inclusive else f"dưới {amount}"
    return f"trên {amount}" if line.inclusive else f"từ {amount}"


def _compile(standard: Standard, area: Area) -> tuple[CompiledRule, ...]:
    """Precompute the rule bands for one area, with a short Vietnamese reason for each."""
    compiled: list[CompiledRule] = []
    for index, rule in enumerate(standard.rules):
        upper = standard.line(rule.income_upto) if rule.income_upto else None
        bound = upper.per_year(area) if upper else _NO_BOUND
        strict = 0 if upper is None or upper.inclusive else 1
        earlier = standard.rules[:index]
        lower_lines = [
            standard.line(r.income_upto)
            for r in earlier
            if r.income_upto
            and standard.line(r.income_upto).upper_bound(area)
            < (upper.upper_bound(area) if upper else _NO_BOUND)
        ]
        lower = max(lower_lines, key=lambda ln: ln.upper_bound(area), default=None)
        if upper and lower:
            low = _money_phrase(lower, area, upper=False)
            income = f"{low} {_money_phrase(upper, area, upper=True)}"
        elif upper:
            amount = format_vnd(upper.value(area))
            income = f"từ {amount} trở xuống" if upper.inclusive else f"dưới {amount}"
        elif lower:
            income = _money_phrase(lower, area, upper=False)
        else:
            income = "bất kỳ"
        reason = f"Thu nhập bình quân đầu người mỗi tháng {income}"
        same_band_minimum = max(
            (r.min_deprivations for r in earlier if r.income_upto == rule.income_upto), default=0
        )
        if rule.min_deprivations:
            reason += f", thiếu hụt từ {rule.min_deprivations} chỉ số trở lên"
        elif same_band_minimum:
            reason += f", thiếu hụt dưới {same_band_minimum} chỉ số"
        compiled.append(
            CompiledRule(bound, strict, rule.min_deprivations, rule.category, index, reason)
        )
    return tuple(compiled)


def match_rule(
    yearly_total: int, members: int, deprived_count: int, rules: tuple[CompiledRule, ...]
) -> CompiledRule:
    """The first band that matches: total income within line × members, enough deprivations.

    This loop is the only implementation of the combining rule; :func:`assess` and the
    officers' batch both use it. The comparison is exact: ``yearly_total + strict <=
    bound × members`` on whole đồng per year, so no income is ever rounded into a band.

    Args:
        yearly_total: The household's total income per year, đồng (12 × the monthly total).
        members: Number of household members (≥ 1).
        deprived_count: Number of deprived indicators.
        rules: ``standard.compiled[area]``.

    Returns:
        The matching compiled rule.
    """
    for rule in rules:
        if yearly_total + rule[1] <= rule[0] * members and deprived_count >= rule[2]:
            return rule
    raise AssertionError("the last rule of a loaded standard matches any household")


def categorize(
    monthly_income: int, members: int, deprived_count: int, standard: Standard, area: Area
) -> Category:
    """Category of a household from its total monthly income, size and deprivation count.

    Args:
        monthly_income: Household total income per month, đồng.
        members: Number of household members (≥ 1).
        deprived_count: Number of deprived indicators.
        standard: The standard to apply.
        area: "rural" or "urban".

    Returns:
        The category.
    """
    rules = standard.compiled[area]
    return match_rule(12 * monthly_income, members, deprived_count, rules).category


def income_per_person(monthly_income: int, members: int) -> int:
    """Household monthly income divided by members, rounded down: for display only."""
    return monthly_income // members


# --- choosing a standard ----------------------------------------------------------------------


def standard_for(day: date, locality: str | None = None) -> Standard:
    """The standard in force on a day: the locality's own if it has one then, else national.

    Args:
        day: The date of the check.
        locality: A locality code ("hcm", "dn", "hn"), or None for the national standard.

    Returns:
        The standard to use.

    Raises:
        NoStandardError: No national standard covers the day (before 2016 or after 2030).
    """
    standards = load_standards()
    if locality:
        code = locality.strip().lower()
        for standard in standards:
            if standard.scope == code and standard.in_force(day):
                return standard
    for standard in standards:
        if standard.scope == "national" and standard.in_force(day):
            return standard
    raise NoStandardError(f"no poverty standard in force on {day.isoformat()}")


# --- assessment -------------------------------------------------------------------------------


def _unknown_phrase(count: int) -> str:
    if count == 1:
        return "câu “không rõ” là thiếu hụt"
    return f"cả {count} câu “không rõ” đều là thiếu hụt"


def _vi_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _explain(text: str, citation: str, *, provisional: bool) -> Explanation:
    if provisional:
        text = f"{text} {PROVISIONAL_NOTE_VI}"
    return Explanation(text=text, citation=citation, provisional=provisional)


def _standard_reason(standard: Standard, day: date, locality: str | None) -> str:
    period = f"từ {_vi_date(standard.effective_from)}"
    if standard.effective_to:
        period += f" đến {_vi_date(standard.effective_to)}"
    text = (
        f"Áp dụng {standard.name} theo {standard.legal_basis}, "
        f"vì ngày {_vi_date(day)} nằm trong thời gian áp dụng ({period})."
    )
    if standard.scope != "national":
        place = LOCALITY_NAMES_VI.get(standard.scope, standard.scope)
        text += f" Đây là chuẩn riêng của {place} theo địa phương bạn chọn."
    elif locality:
        place = LOCALITY_NAMES_VI.get(locality.strip().lower(), locality)
        text += f" {place} không có chuẩn riêng áp dụng vào ngày này, nên dùng chuẩn quốc gia."
    if standard.effective_note:
        text += f" {standard.effective_note}"
    return text


def _income_text(household: Household, per_person: int) -> str:
    if household.yearly_income is not None:
        total = f"{format_vnd(household.yearly_income)}/năm"
    else:
        total = f"{format_vnd(household.monthly_income)}/tháng"
    return (
        f"Tổng thu nhập của hộ: {total} cho {household.members} người "
        f"(bình quân khoảng {format_vnd(per_person)}/người/tháng). Tổng thu nhập được so sánh "
        "với mức chuẩn nhân với số người, không làm tròn."
    )


def _line_text(
    line: IncomeLine, area: Area, members: int, yearly_total: int, *, yearly: bool
) -> str:
    if yearly:
        limit = line.per_year(area) * members
        per = f"{format_vnd(line.per_year(area))}/người/năm"
        mine, their = yearly_total, f"{format_vnd(limit)}/năm"
    else:
        limit = line.value(area) * 12 * members
        per = f"{format_vnd(line.value(area))}/người/tháng"
        mine, their = yearly_total, f"{format_vnd(line.value(area) * members)}/tháng"
    if line.inclusive:
        bound = f"từ {per} trở xuống" if line.name == "poverty" else f"đến {per}"
        within = mine <= limit
    else:
        bound = f"dưới {per}"
        within = mine < limit
    label = line.label[0].upper() + line.label[1:]
    verdict = "trong mức này" if within else "cao hơn mức này"
    return (
        f"{label} khu vực {AREA_LABELS_VI[area]}: thu nhập bình quân {bound}; "
        f"với {members} người là {their}. Thu nhập của hộ {verdict}."
    )


def _check_household(household: Household) -> None:
    """Reject a household no standard can classify: no members, negative income, unknown area.

    Args:
        household: The household's answers.

    Raises:
        ValueError: Members < 1, negative income, or an area that is neither rural nor urban.
    """
    if household.members < 1:
        raise ValueError("a household has at least one member")
    if household.monthly_income < 0:
        raise ValueError("income cannot be negative")
    if household.area not in AREAS:
        raise ValueError(f"unknown area {household.area!r}")


def _check_codes(household: Household, standard: Standard) -> None:
    """Reject indicator codes the standard does not have, and codes both deprived and unknown.

    Args:
        household: The household's answers.
        standard: The standard in force.

    Raises:
        ValueError: An unknown indicator code, or a code both deprived and unknown.
    """
    stray = (household.deprived | household.unknown) - set(standard.indicator_codes)
    if stray:
        raise ValueError(f"indicator codes not in {standard.id}: {sorted(stray)}")
    if household.deprived & household.unknown:
        raise ValueError("an indicator cannot be both deprived and unknown")


def _near_lines(
    standard: Standard, area: Area, yearly_total: int, members: int
) -> list[IncomeLine]:
    """The income lines the household's yearly total is within 10 % of.

    Args:
        standard: The standard in force.
        area: "rural" or "urban".
        yearly_total: The household's total income per year, đồng.
        members: Number of household members.

    Returns:
        The lines, in the standard's order.
    """
    return [
        ln
        for ln in standard.lines
        if abs(yearly_total - ln.per_year(area) * members) * 10 <= ln.per_year(area) * members
    ]


def _line_explanations(standard: Standard, household: Household) -> list[Explanation]:
    """One explanation per income line: its value for the area and where the household stands.

    Args:
        standard: The standard in force.
        household: The household's answers (already checked).

    Returns:
        The explanations, in the standard's order of lines.
    """
    return [
        _explain(
            _line_text(
                income_line,
                household.area,
                household.members,
                household.yearly_total,
                yearly=bool(household.yearly_income is not None or income_line.basis == "year"),
            ),
            income_line.citation,
            provisional=income_line.confidence == "provisional",
        )
        for income_line in standard.lines
    ]


def _indicator_explanations(
    standard: Standard, deprived: tuple[str, ...], unknown: tuple[str, ...]
) -> list[Explanation]:
    """The deprivation count, then one explanation per deprived and per unknown indicator.

    Args:
        standard: The standard in force.
        deprived: Codes the household is deprived on, in the standard's order.
        unknown: Codes answered "không rõ", in the standard's order.

    Returns:
        The explanations: count, deprived indicators, unknown indicators.
    """
    if standard.indicators_provisional:
        count_text = (
            f"Số chỉ số thiếu hụt đã biết: {len(deprived)} (danh sách chỉ số của chuẩn này "
            "chưa được xác nhận đầy đủ)."
        )
    else:
        count_text = (
            f"Số chỉ số thiếu hụt: {len(deprived)} trên {len(standard.indicator_codes)} chỉ số."
        )
    out = [_explain(count_text, standard.legal_basis, provisional=standard.indicators_provisional)]
    for code in deprived:
        indicator = standard.indicator(code)
        out.append(
            _explain(
                f"Thiếu hụt “{indicator.name}”: {indicator.definition}",
                indicator.citation,
                provisional=indicator.confidence == "provisional",
            )
        )
    for code in unknown:
        indicator = standard.indicator(code)
        out.append(
            _explain(
                f"Không rõ “{indicator.name}”: câu trả lời “không rõ” chưa được tính là thiếu hụt.",
                indicator.citation,
                provisional=indicator.confidence == "provisional",
            )
        )
    return out


def _alternative_explanation(
    standard: Standard,
    household: Household,
    matched: CompiledRule,
    deprived: tuple[str, ...],
    unknown: tuple[str, ...],
) -> Explanation | None:
    """The other result the household would get if every "không rõ" were a deprivation.

    Args:
        standard: The standard in force.
        household: The household's answers (already checked).
        matched: The rule the household matched.
        deprived: Codes the household is deprived on.
        unknown: Codes answered "không rõ".

    Returns:
        The explanation, or ``None`` when there is no unknown answer or the result would not
        change.
    """
    if not unknown:
        return None
    alternative = match_rule(
        household.yearly_total,
        household.members,
        len(deprived) + len(unknown),
        standard.compiled[household.area],
    )
    if alternative.category == matched.category:
        return None
    return _explain(
        f"Nếu {_unknown_phrase(len(unknown))} thì kết quả có thể là "
        f"{CATEGORY_LABELS_VI[alternative.category]}. Bạn nên hỏi lại cán bộ "
        "xã/phường.",
        standard.rules[alternative.rule_index].citation,
        provisional=False,
    )


def _result_explanations(
    standard: Standard, matched: CompiledRule, near: list[IncomeLine]
) -> list[Explanation]:
    """The result with its reason, the unknown average band, the near-line note, the notes.

    Args:
        standard: The standard in force.
        matched: The rule the household matched.
        near: The income lines the household is within 10 % of.

    Returns:
        The closing explanations, in the order shown.
    """
    rule = standard.rules[matched.rule_index]
    out = [
        _explain(
            f"Kết quả tham khảo: {CATEGORY_LABELS_VI[matched.category]}. Lý do: {matched.reason}.",
            rule.citation,
            provisional=rule.confidence == "provisional",
        )
    ]
    if matched.category == "not_poor" and not standard.average_band_known:
        out.append(
            _explain(
                "Chưa có thông tin về mức sống trung bình của chuẩn này, nên chưa xác định được "
                "hộ có thuộc diện hộ có mức sống trung bình hay không.",
                standard.legal_basis,
                provisional=True,
            )
        )
    if near:
        labels = ", ".join(ln.label for ln in near)
        out.append(
            _explain(
                f"Thu nhập bình quân đầu người sát với {labels} (chênh lệch không quá 10%); "
                "thu nhập thay đổi một chút có thể làm kết quả khác đi.",
                standard.legal_basis,
                provisional=False,
            )
        )
    out.append(_explain(standard.notes, standard.legal_basis, provisional=False))
    return out


def assess(household: Household, day: date, locality: str | None = None) -> Assessment:
    """Classify a household under the standard in force on ``day`` (indicative only).

    Args:
        household: The household's answers.
        day: Date of the check (chooses the standard).
        locality: Locality code for a local standard, or None.

    Returns:
        The assessment with Vietnamese explanations.

    Raises:
        ValueError: Members < 1, negative income, unknown indicator codes, or a code both
            deprived and unknown.
        NoStandardError: No standard in force on ``day``.
    """
    _check_household(household)
    standard = standard_for(day, locality)
    _check_codes(household, standard)

    area = household.area
    members = household.members
    yearly_total = household.yearly_total
    per_person = income_per_person(household.monthly_income, members)
    codes = standard.indicator_codes
    deprived = tuple(code for code in codes if code in household.deprived)
    unknown = tuple(code for code in codes if code in household.unknown)
    matched = match_rule(yearly_total, members, len(deprived), standard.compiled[area])
    line = standard.line("poverty").value(area)
    near = _near_lines(standard, area, yearly_total, members)

    out = [
        _explain(
            _standard_reason(standard, day, locality),
            standard.legal_basis,
            provisional=standard.indicators_provisional or standard.rules_provisional,
        ),
        _explain(
            _income_text(household, per_person),
            standard.legal_basis,
            provisional=False,
        ),
        *_line_explanations(standard, household),
        *_indicator_explanations(standard, deprived, unknown),
    ]
    alternative = _alternative_explanation(standard, household, matched, deprived, unknown)
    if alternative is not None:
        out.append(alternative)
    out.extend(_result_explanations(standard, matched, near))

    return Assessment(
        standard=standard,
        income_per_person=per_person,
        line=line,
        deprived=deprived,
        unknown=unknown,
        category=matched.category,
        distance_to_line=per_person - line,
        near_line=bool(near),
        explanations=tuple(out),
    )
