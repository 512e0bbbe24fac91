"""The switch of poverty standard on 1 January 2027 (chuyển sang chuẩn nghèo 2027–2030).

A resident's self-check answers (:class:`SavedAnswers`) are re-read under the standard in force
on another day (:func:`project`), typically :data:`SWITCH_DAY`: what the same household would
be under Decree 351/2025/NĐ-CP. Pure code: no I/O, no clock.

How answers carry over from the 2022–2025 indicator set to the 2027 one:

* an indicator both standards share (employment, health insurance, water, …) keeps its answer;
* the 2022–2025 "telecom" indicator (no member uses the internet) is the source of the one 2027
  internet indicator, ``internet_access``: someone using the internet means the household has
  access (not deprived); nobody using it does not prove there is no access, so it is "không rõ".
  The lack of internet is therefore never counted twice;
* an indicator new in 2027 (digital services, waste) was never asked: it is "không rõ", and the
  result says which categories the unknown answers could lead to;
* an area the resident could not tell (đặc khu, a former thị trấn, "không rõ") is assessed as
  both rural and urban.

Every category the answers can give is listed in :attr:`Projection.categories`; only a single
category is a settled answer, and even then it is indicative: official status comes only from
the commune's review.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

from knowledge.assessment import (
    AREAS,
    Area,
    Assessment,
    Category,
    Household,
    Standard,
    assess,
    load_standards,
    match_rule,
    standard_for,
)

__all__ = [
    "CARRY_OVER",
    "SWITCH_DAY",
    "AreaChoice",
    "Projection",
    "SavedAnswers",
    "carry_over",
    "project",
]

SWITCH_DAY = date(2027, 1, 1)
"""First day of the 2027–2030 income lines (Decree 351/2025/NĐ-CP)."""

AreaChoice = Literal["rural", "urban", "unknown"]

CARRY_OVER: Mapping[str, str] = {"internet_access": "telecom"}
"""Target indicator → the source indicator it is read from when the code differs."""

_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class SavedAnswers:
    """What a consenting resident answered in a self-check; JSON-safe through :meth:`to_json`.

    Attributes:
        checked_on: Day the standard was fixed (the start of the questionnaire).
        standard_id: The standard the answers were asked under.
        area: "rural", "urban", or "unknown" (đặc khu, former thị trấn, not sure).
        locality: Locality code of a local standard ("hcm"), or None for the national one.
        members: Household size (≥ 1).
        monthly_income: Household total per month, đồng (the twelfth of a yearly figure).
        yearly_income: The yearly total as given, when the resident gave a yearly figure.
        deprived: Indicator codes answered "Có" (deprived).
        unknown: Indicator codes answered "Không rõ".
        facts: Household facts answered yes ("has_children_under_16").
    """

    checked_on: date
    standard_id: str
    area: AreaChoice
    locality: str | None
    members: int
    monthly_income: int
    yearly_income: int | None
    deprived: frozenset[str]
    unknown: frozenset[str]
    facts: frozenset[str]

    def to_json(self) -> str:
        """The answers as a compact JSON text (sorted lists, ISO date)."""
        return json.dumps(
            {
                "v": _FORMAT_VERSION,
                "checked_on": self.checked_on.isoformat(),
                "standard_id": self.standard_id,
                "area": self.area,
                "locality": self.locality,
                "members": self.members,
                "monthly_income": self.monthly_income,
                "yearly_income": self.yearly_income,
                "deprived": sorted(self.deprived),
                "unknown": sorted(self.unknown),
                "facts": sorted(self.facts),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> SavedAnswers:
        """Reads :meth:`to_json` output.

        Raises:
            ValueError: The text is not saved answers of a known format.
        """
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != _FORMAT_VERSION:
            raise ValueError("not saved self-check answers")
        area = data["area"]
        if area not in ("rural", "urban", "unknown"):
            raise ValueError(f"unknown area {area!r}")
        yearly = data.get("yearly_income")
        return cls(
            checked_on=date.fromisoformat(str(data["checked_on"])),
            standard_id=str(data["standard_id"]),
            area=cast(AreaChoice, area),
            locality=None if data.get("locality") is None else str(data["locality"]),
            members=int(data["members"]),
            monthly_income=int(data["monthly_income"]),
            yearly_income=None if yearly is None else int(yearly),
            deprived=frozenset(str(code) for code in data["deprived"]),
            unknown=frozenset(str(code) for code in data["unknown"]),
            facts=frozenset(str(fact) for fact in data["facts"]),
        )


@dataclass(frozen=True, slots=True)
class Projection:
    """What saved answers give under the standard in force on a day.

    Attributes:
        standard: The standard applied.
        categories: Every category the answers can give, the most likely first (unknown
            answers counted as not deprived, rural before urban when the area is unknown).
        assessments: One assessment per possible area.
        provisional: Whether any part rests on unconfirmed rules, unknown answers or an
            unknown area.
        carried_unknown: Indicator codes that are "không rõ" only because they were never
            asked under the earlier standard.
    """

    standard: Standard
    categories: tuple[Category, ...]
    assessments: tuple[Assessment, ...]
    provisional: bool
    carried_unknown: tuple[str, ...]

    @property
    def settled(self) -> bool:
        """Whether the answers give exactly one category."""
        return len(self.categories) == 1


def carry_over(saved: SavedAnswers, target: Standard) -> tuple[frozenset[str], frozenset[str]]:
    """The (deprived, unknown) codes of ``target`` read from answers given under another set.

    Args:
        saved: The answers.
        target: The standard to read them under.

    Returns:
        Deprived codes and unknown codes, both within ``target.indicator_codes``.
    """
    source_codes = _source_codes(saved)
    deprived: set[str] = set()
    unknown: set[str] = set()
    for code in target.indicator_codes:
        origin = code if code in source_codes else CARRY_OVER.get(code)
        if origin is None or origin not in source_codes or origin in saved.unknown:
            unknown.add(code)
        elif origin in saved.deprived:
            # Nobody using the internet does not prove there is no access: not known.
            (unknown if origin != code else deprived).add(code)
    return frozenset(deprived), frozenset(unknown)


def project(saved: SavedAnswers, day: date = SWITCH_DAY) -> Projection:
    """Assesses saved answers under the standard in force on ``day``.

    Args:
        saved: The resident's answers.
        day: The day whose standard applies; defaults to 01/01/2027.

    Returns:
        The projection with every possible category.

    Raises:
        NoStandardError: No standard is in force on ``day``.
        ValueError: The answers are inconsistent (e.g. members < 1).
    """
    standard = standard_for(day, saved.locality)
    deprived, unknown = carry_over(saved, standard)
    areas: tuple[Area, ...] = AREAS if saved.area == "unknown" else (saved.area,)
    assessments: list[Assessment] = []
    categories: list[Category] = []
    for area in areas:
        household = Household(
            area=area,
            members=saved.members,
            monthly_income=saved.monthly_income,
            deprived=deprived,
            unknown=unknown,
            facts=saved.facts,
            yearly_income=saved.yearly_income,
        )
        assessment = assess(household, day, saved.locality)
        assessments.append(assessment)
        worst = match_rule(
            household.yearly_total,
            household.members,
            len(deprived) + len(unknown),
            assessment.standard.compiled[area],
        ).category
        for category in (assessment.category, worst):
            if category not in categories:
                categories.append(category)
    carried = tuple(code for code in standard.indicator_codes if code in unknown - saved.unknown)
    return Projection(
        standard=standard,
        categories=tuple(categories),
        assessments=tuple(assessments),
        provisional=(
            standard.provisional
            or saved.area == "unknown"
            or bool(unknown)
            or any(item.provisional for item in assessments)
        ),
        carried_unknown=carried,
    )


def _source_codes(saved: SavedAnswers) -> frozenset[str]:
    """Indicator codes of the standard the answers were given under (all of them)."""
    for standard in load_standards():
        if standard.id == saved.standard_id:
            return frozenset(standard.indicator_codes)
    # An id that no longer exists: only the codes the answers themselves name are known.
    return saved.deprived | saved.unknown
