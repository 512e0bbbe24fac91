"""Tests for knowledge.transition: reading saved answers under the 2027 standard."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.assessment import standard_for
from knowledge.transition import SWITCH_DAY, SavedAnswers, carry_over, project


def saved(
    *,
    area: str = "rural",
    members: int = 4,
    income: int = 6_000_000,
    deprived: tuple[str, ...] = (),
    unknown: tuple[str, ...] = (),
    locality: str | None = None,
    yearly: int | None = None,
) -> SavedAnswers:
    """Answers given on 01/12/2026 under the 2022–2025 standard."""
    return SavedAnswers(
        checked_on=date(2026, 12, 1),
        standard_id="vn-2022-2025",
        area=area,  # type: ignore[arg-type]
        locality=locality,
        members=members,
        monthly_income=income,
        yearly_income=yearly,
        deprived=frozenset(deprived),
        unknown=frozenset(unknown),
        facts=frozenset(),
    )


def test_json_round_trip() -> None:
    """Saved answers survive JSON unchanged; another format is refused."""
    answers = saved(deprived=("water", "telecom"), unknown=("nutrition",), yearly=72_000_000)
    assert SavedAnswers.from_json(answers.to_json()) == answers
    with pytest.raises(ValueError, match="saved"):
        SavedAnswers.from_json('{"v": 99}')


def test_same_day_gives_one_settled_category() -> None:
    """Under the standard the answers were given in, complete answers give one category."""
    result = project(saved(deprived=("water", "sanitation", "employment")), date(2026, 12, 1))
    assert (result.standard.id, result.categories, result.settled) == (
        "vn-2022-2025",
        ("poor",),
        True,
    )


def test_2027_new_indicators_are_unknown_and_widen_the_result() -> None:
    """Indicators never asked are "không rõ", so two deprivations may be poor or near-poor."""
    result = project(saved(deprived=("water", "sanitation")))
    assert result.standard.id == "vn-2027-2030"
    assert result.categories == ("near_poor", "poor")
    assert not result.settled and result.provisional
    assert set(result.carried_unknown) == {"digital_services", "waste_treatment"}


def test_internet_is_counted_once() -> None:
    """No internet use in 2026 is not two deprivations in 2027, only an unknown access."""
    standard = standard_for(SWITCH_DAY)
    deprived, unknown = carry_over(saved(deprived=("telecom", "information_access")), standard)
    assert "internet_access" not in deprived and "internet_access" in unknown
    assert "telecom" not in deprived and "information_access" not in deprived
    used, unknown_when_used = carry_over(saved(), standard)
    assert "internet_access" not in used | unknown_when_used


def test_income_between_lines_changes_category_in_2027() -> None:
    """8.000.000 đồng for 4 rural people: above 1.5 M × 4 in 2026, below 2.2 M × 4 in 2027."""
    answers = saved(income=8_000_000, deprived=("water",))
    assert project(answers, date(2026, 12, 31)).categories == ("average_living",)
    assert project(answers).categories[0] == "near_poor"


def test_unknown_area_is_assessed_both_ways() -> None:
    """A đặc khu household (area unknown) gets the rural and the urban reading."""
    answers = saved(area="unknown", members=1, income=2_500_000)
    result = project(answers)
    assert [item.standard.id for item in result.assessments] == ["vn-2027-2030"] * 2
    assert set(result.categories) == {"not_poor", "near_poor"}


def test_hcm_2027_falls_back_to_national() -> None:
    """No city standard is known for 2027: HCMC answers are read under the national one."""
    answers = saved(area="urban", locality="hcm", members=2, income=7_000_000)
    assert project(answers, date(2026, 12, 1)).standard.id == "hcm-2025-2026"
    assert project(answers).standard.id == "vn-2027-2030"
