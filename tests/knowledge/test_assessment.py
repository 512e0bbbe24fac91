"""Tests for knowledge.assessment: standards as data and the pure self-check."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.assessment import (
    CATEGORY_LABELS_VI,
    PROVISIONAL_NOTE_VI,
    Area,
    Category,
    Household,
    NoStandardError,
    StandardDataError,
    assess,
    categorize,
    load_standards,
    standard_for,
)

STANDARDS_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "standards"
CODES_2022 = (
    "employment",
    "dependants",
    "nutrition",
    "health_insurance",
    "adult_education",
    "child_schooling",
    "housing_quality",
    "housing_area",
    "water",
    "sanitation",
    "telecom",
    "information_access",
)
MEMBERS = 3  # household income = per-person income × 3, so per-person values are exact


def household(area: Area, per_person: int, deprived: int, codes: tuple[str, ...]) -> Household:
    """A household of three with the given per-person income and first ``deprived`` codes."""
    return Household(area, MEMBERS, per_person * MEMBERS, frozenset(codes[:deprived]))


# (standard id expected, day, locality, area, income per person, deprivations, category)
BOUNDARIES: list[tuple[str, date, str | None, Area, int, int, Category]] = [
    # 2016–2020: income alone at or below the poverty line → poor
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 700_000, 0, "poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 700_001, 0, "near_poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 700_001, 2, "near_poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 700_001, 3, "poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 1_000_000, 2, "near_poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 1_000_000, 3, "poor"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 1_000_001, 6, "average_living"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 1_500_000, 0, "average_living"),
    ("vn-2016-2020", date(2018, 6, 1), None, "rural", 1_500_001, 0, "not_poor"),
    ("vn-2016-2020", date(2016, 1, 1), None, "urban", 900_000, 0, "poor"),
    ("vn-2016-2020", date(2016, 1, 1), None, "urban", 900_001, 2, "near_poor"),
    ("vn-2016-2020", date(2021, 12, 31), None, "urban", 1_300_000, 3, "poor"),
    ("vn-2016-2020", date(2021, 12, 31), None, "urban", 1_300_001, 3, "average_living"),
    ("vn-2016-2020", date(2021, 12, 31), None, "urban", 1_950_000, 0, "average_living"),
    ("vn-2016-2020", date(2021, 12, 31), None, "urban", 1_950_001, 0, "not_poor"),
    # 2022–2025 (in force through 2026)
    ("vn-2022-2025", date(2022, 1, 1), None, "rural", 1_500_000, 3, "poor"),
    ("vn-2022-2025", date(2022, 1, 1), None, "rural", 1_500_000, 2, "near_poor"),
    ("vn-2022-2025", date(2022, 1, 1), None, "rural", 1_500_000, 0, "near_poor"),
    ("vn-2022-2025", date(2022, 1, 1), None, "rural", 0, 0, "near_poor"),
    ("vn-2022-2025", date(2024, 3, 3), None, "rural", 1_500_001, 6, "average_living"),
    ("vn-2022-2025", date(2024, 3, 3), None, "rural", 2_250_000, 0, "average_living"),
    ("vn-2022-2025", date(2024, 3, 3), None, "rural", 2_250_001, 12, "not_poor"),
    ("vn-2022-2025", date(2026, 12, 31), None, "urban", 2_000_000, 3, "poor"),
    ("vn-2022-2025", date(2026, 12, 31), None, "urban", 2_000_000, 2, "near_poor"),
    ("vn-2022-2025", date(2026, 12, 31), None, "urban", 2_000_001, 6, "average_living"),
    ("vn-2022-2025", date(2026, 12, 31), None, "urban", 3_000_000, 0, "average_living"),
    ("vn-2022-2025", date(2026, 12, 31), None, "urban", 3_000_001, 0, "not_poor"),
    # 2027–2030: no average-living band known
    ("vn-2027-2030", date(2027, 1, 1), None, "rural", 2_200_000, 3, "poor"),
    ("vn-2027-2030", date(2027, 1, 1), None, "rural", 2_200_000, 2, "near_poor"),
    ("vn-2027-2030", date(2027, 1, 1), None, "rural", 2_200_001, 3, "not_poor"),
    ("vn-2027-2030", date(2030, 12, 31), None, "urban", 2_800_000, 3, "poor"),
    ("vn-2027-2030", date(2030, 12, 31), None, "urban", 2_800_000, 0, "near_poor"),
    ("vn-2027-2030", date(2030, 12, 31), None, "urban", 2_800_001, 14, "not_poor"),
    # Hồ Chí Minh City before 2025: poor below 36,000,000/year (exclusive), near-poor to 46,000,000
    ("hcm-2021-2024", date(2023, 5, 1), "hcm", "urban", 2_999_999, 3, "poor"),
    ("hcm-2021-2024", date(2023, 5, 1), "hcm", "urban", 2_999_999, 2, "near_poor"),
    ("hcm-2021-2024", date(2023, 5, 1), "hcm", "urban", 3_000_000, 3, "near_poor"),
    ("hcm-2021-2024", date(2023, 5, 1), "hcm", "rural", 3_833_333, 0, "near_poor"),
    ("hcm-2021-2024", date(2024, 12, 31), "hcm", "rural", 3_833_334, 5, "not_poor"),
    ("hcm-2021-2024", date(2021, 1, 1), "HCM", "urban", 1_000_000, 0, "near_poor"),
    # Hồ Chí Minh City 2025 review / 2026 support: poor to 46,000,000/year, near-poor to 54,000,000
    ("hcm-2025-2026", date(2026, 12, 1), "hcm", "urban", 3_833_333, 3, "poor"),
    ("hcm-2025-2026", date(2026, 12, 1), "hcm", "urban", 3_833_334, 3, "near_poor"),
    ("hcm-2025-2026", date(2026, 12, 1), "hcm", "urban", 3_833_333, 2, "near_poor"),
    ("hcm-2025-2026", date(2026, 12, 1), "hcm", "rural", 4_500_000, 6, "near_poor"),
    ("hcm-2025-2026", date(2025, 1, 1), "hcm", "rural", 4_500_001, 6, "not_poor"),
    # no city standard is known for 2027: the national one applies
    ("vn-2027-2030", date(2027, 1, 1), "hcm", "urban", 2_800_000, 3, "poor"),
    # the same households under the national standard
    ("vn-2022-2025", date(2023, 5, 1), None, "urban", 2_999_999, 3, "average_living"),
    ("vn-2022-2025", date(2023, 5, 1), None, "rural", 2_999_999, 3, "not_poor"),
    ("vn-2022-2025", date(2024, 12, 31), "ct", "urban", 2_999_999, 3, "average_living"),
    # Đà Nẵng 2016–2020
    ("dn-2016-2020", date(2018, 6, 1), "dn", "rural", 1_100_000, 0, "poor"),
    ("dn-2016-2020", date(2018, 6, 1), "dn", "rural", 1_100_001, 3, "poor"),
    ("dn-2016-2020", date(2018, 6, 1), "dn", "rural", 1_100_001, 2, "near_poor"),
    ("dn-2016-2020", date(2018, 6, 1), "dn", "rural", 1_430_000, 2, "near_poor"),
    ("dn-2016-2020", date(2018, 6, 1), "dn", "rural", 1_430_001, 6, "not_poor"),
    ("dn-2016-2020", date(2020, 12, 31), "dn", "urban", 1_300_000, 0, "poor"),
    ("dn-2016-2020", date(2020, 12, 31), "dn", "urban", 1_690_000, 2, "near_poor"),
    ("dn-2016-2020", date(2020, 12, 31), "dn", "urban", 1_690_001, 0, "not_poor"),
    # Hà Nội 2016–2020
    ("hn-2016-2020", date(2018, 6, 1), "hn", "rural", 1_100_000, 0, "poor"),
    ("hn-2016-2020", date(2018, 6, 1), "hn", "rural", 1_500_000, 2, "near_poor"),
    ("hn-2016-2020", date(2018, 6, 1), "hn", "rural", 1_500_001, 2, "not_poor"),
    ("hn-2016-2020", date(2018, 6, 1), "hn", "urban", 1_400_000, 0, "poor"),
    ("hn-2016-2020", date(2018, 6, 1), "hn", "urban", 1_950_000, 3, "poor"),
    ("hn-2016-2020", date(2018, 6, 1), "hn", "urban", 1_950_001, 3, "not_poor"),
    # a local standard that ended falls back to the national one
    ("vn-2016-2020", date(2021, 6, 1), "hn", "urban", 1_950_000, 3, "average_living"),
]


@pytest.mark.parametrize(
    ("standard_id", "day", "locality", "area", "per_person", "deprived", "category"),
    BOUNDARIES,
)
def test_boundaries(
    standard_id: str,
    day: date,
    locality: str | None,
    area: Area,
    per_person: int,
    deprived: int,
    category: Category,
) -> None:
    """Each standard classifies exactly at and one đồng above its lines as the law says."""
    standard = standard_for(day, locality)
    result = assess(household(area, per_person, deprived, standard.indicator_codes), day, locality)
    assert (result.standard.id, result.income_per_person, result.category) == (
        standard_id,
        per_person,
        category,
    )
    assert categorize(per_person * MEMBERS, MEMBERS, deprived, standard, area) == category


# (day, area, members, monthly household income, deprivations, category): one đồng over
# line × members is over the line, whatever integer division of the income would say.
EXACT_INCOME: list[tuple[date, Area, int, int, int, Category]] = [
    (date(2026, 12, 1), "rural", 4, 6_000_000, 3, "poor"),
    (date(2026, 12, 1), "rural", 4, 6_000_001, 3, "average_living"),  # 6_000_001 // 4 = 1.5 M
    (date(2026, 12, 1), "rural", 4, 6_000_001, 0, "average_living"),
    (date(2026, 12, 1), "rural", 3, 4_500_002, 0, "average_living"),  # // 3 = 1,500,000
    (date(2026, 12, 1), "urban", 7, 14_000_000, 2, "near_poor"),
    (date(2026, 12, 1), "urban", 7, 14_000_001, 2, "average_living"),
    (date(2026, 12, 1), "rural", 4, 9_000_000, 0, "average_living"),  # 2,250,000 × 4
    (date(2026, 12, 1), "rural", 4, 9_000_001, 0, "not_poor"),
    (date(2026, 12, 1), "urban", 3, 9_000_001, 0, "not_poor"),  # 3,000,000 × 3 + 1
    (date(2027, 1, 1), "rural", 4, 8_800_000, 3, "poor"),
    (date(2027, 1, 1), "rural", 4, 8_800_001, 3, "not_poor"),
    (date(2027, 1, 1), "urban", 3, 8_400_001, 0, "not_poor"),
]


@pytest.mark.parametrize(("day", "area", "members", "income", "deprived", "category"), EXACT_INCOME)
def test_income_compared_exactly(
    day: date, area: Area, members: int, income: int, deprived: int, category: Category
) -> None:
    """Total income is compared with line × members exactly: one đồng over is over."""
    standard = standard_for(day)
    home = Household(area, members, income, frozenset(standard.indicator_codes[:deprived]))
    assert assess(home, day).category == category
    assert categorize(income, members, deprived, standard, area) == category


def test_yearly_income_compared_without_division() -> None:
    """A yearly income is compared as given: 184,000,001 đồng/year for 4 people is over 46 M."""
    day = date(2026, 6, 1)
    codes = frozenset({"water", "sanitation", "telecom"})
    at = Household("urban", 4, 184_000_000 // 12, codes, yearly_income=184_000_000)
    over = Household("urban", 4, 184_000_001 // 12, codes, yearly_income=184_000_001)
    assert assess(at, day, "hcm").category == "poor"
    assert assess(over, day, "hcm").category == "near_poor"
    # national 2026: 2,000,000 × 12 × 4 = 96,000,000 a year
    assert (
        assess(Household("urban", 4, 8_000_000, codes, yearly_income=96_000_000), day).category
        == "poor"
    )
    assert (
        assess(Household("urban", 4, 8_000_000, codes, yearly_income=96_000_001), day).category
        == "average_living"
    )


def test_two_versus_three_deprivations_with_corrected_definitions() -> None:
    """Wage work without a contract, rainwater and no internet use are deprivations: 3 → poor."""
    day = date(2026, 12, 1)
    standard = standard_for(day)
    employment = standard.indicator("employment")
    assert "không có hợp đồng lao động" in employment.question
    assert employment.confidence == "confirmed"
    assert "Nước mưa" in standard.indicator("water").question
    assert "loa" not in standard.indicator("information_access").question.lower()
    assert "từ đủ 16 tuổi đến dưới 30 tuổi" in standard.indicator("adult_education").question
    assert "Nhà nước đóng bảo hiểm y tế" in standard.indicator("health_insurance").question
    assert "gác xép" in standard.indicator("housing_area").question
    two = Household("rural", 4, 6_000_000, frozenset({"employment", "water"}))
    three = Household("rural", 4, 6_000_000, frozenset({"employment", "water", "telecom"}))
    assert assess(two, day).category == "near_poor"
    assert assess(three, day).category == "poor"


def test_every_question_means_deprived_on_yes() -> None:
    """In every standard "Có" means deprived, and the official definition is quoted for 2026."""
    for standard in load_standards():
        assert all(ind.deprived_when == "yes" for ind in standard.indicators)
    for ind in standard_for(date(2026, 12, 1)).indicators:
        assert "Phiếu B2" in ind.official


def test_2027_counts_internet_once() -> None:
    """Under 2027 there is one internet indicator: the 2022 telecom one is not carried along."""
    standard = standard_for(date(2027, 1, 1))
    codes = set(standard.indicator_codes)
    assert "telecom" not in codes and "information_access" not in codes
    assert len([c for c in codes if "internet" in c or c == "telecom"]) == 1
    home = Household("rural", 2, 4_000_000, frozenset({"internet_access", "water"}))
    assert assess(home, date(2027, 1, 1)).category == "near_poor"


def test_transition_from_2026_to_2027() -> None:
    """The same household changes standard between 31/12/2026 and 01/01/2027."""
    codes = ("employment", "water", "sanitation")
    home = Household("rural", 2, 4_000_000, frozenset(codes))
    before = assess(home, date(2026, 12, 31))
    after = assess(home, date(2027, 1, 1))
    assert (before.standard.id, before.category, before.line) == (
        "vn-2022-2025",
        "average_living",
        1_500_000,
    )
    assert (after.standard.id, after.category, after.line) == ("vn-2027-2030", "poor", 2_200_000)


def test_rural_and_urban_lines_differ() -> None:
    """Rural and urban households with the same income can fall in different categories."""
    day = date(2025, 6, 1)
    rural = assess(Household("rural", 1, 1_800_000, frozenset()), day)
    urban = assess(Household("urban", 1, 1_800_000, frozenset()), day)
    assert (rural.category, urban.category) == ("average_living", "near_poor")
    assert (rural.line, urban.line) == (1_500_000, 2_000_000)


def test_income_per_person_is_shown_not_compared() -> None:
    """Income per person is shown rounded down, but the category comes from the exact total."""
    result = assess(Household("rural", 3, 4_500_002, frozenset()), date(2025, 1, 1))
    assert result.income_per_person == 1_500_000
    assert result.category == "average_living"
    assert any("cao hơn mức này" in e.text for e in result.explanations)


def test_above_line_many_deprivations_not_poor_2022() -> None:
    """Under 2022–2025, income above the line is never poor, even with six deprivations."""
    result = assess(household("rural", 2_250_001, 6, CODES_2022), date(2025, 1, 1))
    assert result.category == "not_poor"
    assert len(result.deprived) == 6


def test_standard_for_dates() -> None:
    """The national standard is chosen by date; dates outside every standard raise."""
    assert standard_for(date(2016, 1, 1)).id == "vn-2016-2020"
    assert standard_for(date(2021, 12, 31)).id == "vn-2016-2020"
    assert standard_for(date(2022, 1, 1)).id == "vn-2022-2025"
    assert standard_for(date(2026, 11, 21)).id == "vn-2022-2025"
    assert standard_for(date(2027, 1, 1)).id == "vn-2027-2030"
    with pytest.raises(NoStandardError):
        standard_for(date(2015, 12, 31))
    with pytest.raises(NoStandardError):
        standard_for(date(2031, 1, 1))


def test_unknown_locality_uses_national() -> None:
    """A locality without its own standard gets the national one, and the text says so."""
    assert standard_for(date(2024, 1, 1), "ct").id == "vn-2022-2025"
    result = assess(Household("urban", 1, 1, frozenset()), date(2024, 1, 1), "hn")
    assert "không có chuẩn riêng" in result.explanations[0].text


def test_indicator_codes_2022_exact() -> None:
    """The 2022–2025 standard has exactly the 12 indicator codes in legal order."""
    assert standard_for(date(2024, 1, 1)).indicator_codes == CODES_2022


def test_2027_indicators_changed_and_provisional() -> None:
    """2027–2030 drops information_access and telecom, adds three indicators, all provisional."""
    standard = standard_for(date(2028, 1, 1))
    codes = set(standard.indicator_codes)
    assert "information_access" not in codes
    assert {"digital_services", "internet_access", "waste_treatment"} <= codes
    assert all(ind.confidence == "provisional" for ind in standard.indicators)
    assert standard.indicators_provisional
    assert not standard.average_band_known
    assert "average_living" not in {rule.category for rule in standard.rules}
    assert standard.line("poverty").confidence == "confirmed"


def test_2027_not_poor_says_average_band_unknown() -> None:
    """Above the 2027 line the explanation says the average-living band is unknown."""
    result = assess(Household("urban", 1, 9_000_000, frozenset()), date(2027, 6, 1))
    assert result.category == "not_poor"
    assert any("mức sống trung bình" in e.text and e.provisional for e in result.explanations)


def test_hcm_2026_standard_is_46_and_54_million_inclusive() -> None:
    """HCMC's 2026 support standard: 46 M and 54 M đồng/person/year, inclusive, said so."""
    standard = standard_for(date(2026, 12, 1), "hcm")
    assert standard.id == "hcm-2025-2026"
    poverty, near = standard.line("poverty"), standard.line("near_poverty")
    assert (poverty.rural_yearly, poverty.inclusive) == (46_000_000, True)
    assert (near.urban_yearly, near.inclusive) == (54_000_000, True)
    result = assess(Household("urban", 2, 7_000_000, frozenset()), date(2026, 12, 1), "hcm")
    texts = " ".join(e.text for e in result.explanations)
    assert "46.000.000" in texts and "chuẩn riêng" in texts and "quốc gia" in texts
    assert standard_for(date(2027, 1, 1), "hcm").scope == "national"


def test_hcm_keeps_yearly_basis() -> None:
    """HCMC lines keep the yearly figures and the monthly lines equal yearly // 12."""
    standard = standard_for(date(2023, 1, 1), "hcm")
    poverty = standard.line("poverty")
    near = standard.line("near_poverty")
    assert (poverty.basis, poverty.rural_yearly, poverty.rural, poverty.inclusive) == (
        "year",
        36_000_000,
        3_000_000,
        False,
    )
    assert (near.urban_yearly, near.urban) == (46_000_000, 46_000_000 // 12)
    result = assess(Household("urban", 1, 2_000_000, frozenset()), date(2023, 1, 1), "hcm")
    assert any("36.000.000" in e.text for e in result.explanations)
    assert any("chuẩn riêng" in e.text for e in result.explanations)


def test_local_standards_borrow_national_indicators() -> None:
    """Local standards use the indicator set of the national standard of their period."""
    assert standard_for(date(2023, 1, 1), "hcm").indicator_codes == CODES_2022
    dn = standard_for(date(2018, 1, 1), "dn")
    assert dn.indicator_codes == standard_for(date(2018, 1, 1)).indicator_codes
    assert dn.indicators_provisional and dn.rules_provisional


def test_explanations_cite_and_mark_provisional() -> None:
    """Every explanation has a citation; provisional ones carry the ward-confirmation note."""
    home = Household("rural", 4, 4_000_000, frozenset({"water", "nutrition"}))
    result = assess(home, date(2025, 5, 5))
    assert result.category == "near_poor"
    for item in result.explanations:
        assert item.citation
        assert (PROVISIONAL_NOTE_VI in item.text) == item.provisional
        assert unicodedata.is_normalized("NFC", item.text)
    texts = " ".join(e.text for e in result.explanations)
    assert "Nguồn nước sinh hoạt" in texts and "Dinh dưỡng" in texts
    assert "1.000.000\u00a0₫" in texts  # income per person, formatted
    assert "6.000.000\u00a0₫/tháng" in texts  # the line × 4 members it is compared with
    assert CATEGORY_LABELS_VI["near_poor"] in texts


def test_unknown_answers_flagged_and_may_change_result() -> None:
    """Unknown answers are not counted, are flagged, and the possible other result is named."""
    home = Household(
        "urban", 2, 3_000_000, frozenset({"water", "sanitation"}), unknown=frozenset({"telecom"})
    )
    result = assess(home, date(2025, 5, 5))
    assert (result.category, result.unknown) == ("near_poor", ("telecom",))
    texts = [e.text for e in result.explanations]
    assert any(t.startswith("Không rõ") for t in texts)
    assert any("hộ nghèo" in t and "không rõ" in t for t in texts)


def test_near_line_flag() -> None:
    """near_line is set within 10 % of a line and cleared farther away."""
    day = date(2025, 5, 5)
    assert assess(Household("rural", 1, 1_350_000, frozenset()), day).near_line
    assert not assess(Household("rural", 1, 1_000_000, frozenset()), day).near_line
    far = assess(Household("rural", 1, 1_000_000, frozenset()), day)
    assert far.distance_to_line == -500_000


@pytest.mark.parametrize(
    ("home", "message"),
    [
        (Household("rural", 0, 1_000_000, frozenset()), "at least one member"),
        (Household("rural", 2, -1, frozenset()), "income cannot be negative"),
        (Household("mountain", 2, 1, frozenset()), "unknown area 'mountain'"),  # type: ignore[arg-type]
        (Household("rural", 2, 1, frozenset({"no_such_code"})), r"not in .*no_such_code"),
        (
            Household("rural", 2, 1, frozenset({"water"}), unknown=frozenset({"water"})),
            "both deprived and unknown",
        ),
        (Household("rural", 0, -1, frozenset({"no_such_code"})), "at least one member"),
    ],
)
def test_invalid_households_rejected(home: Household, message: str) -> None:
    """Impossible households raise ValueError, checked in order, instead of giving a result."""
    with pytest.raises(ValueError, match=message):
        assess(home, date(2025, 1, 1))


def test_explanations_come_in_a_fixed_order() -> None:
    """Standard, income, each line, count, deprived, unknown, result, near-line note, notes."""
    home = Household("rural", 1, 1_350_000, frozenset({"water"}), unknown=frozenset({"telecom"}))
    result = assess(home, date(2025, 5, 5))
    texts = [item.text for item in result.explanations]
    lines = len(result.standard.lines)
    assert (result.category, result.near_line, lines) == ("near_poor", True, 2)
    starts = [
        "Áp dụng ",
        "Tổng thu nhập của hộ",
        "Chuẩn nghèo khu vực nông thôn",
        "Mức trần của hộ có mức sống trung bình",
        "Số chỉ số thiếu hụt: 1 trên 12",
        "Thiếu hụt “Nguồn nước sinh hoạt”",
        "Không rõ “Sử dụng dịch vụ viễn thông”",
        "Kết quả tham khảo: hộ cận nghèo",
        "Thu nhập bình quân đầu người sát với chuẩn nghèo",
    ]
    assert [text[: len(start)] for text, start in zip(texts, starts, strict=False)] == starts
    assert texts[len(starts) :] == [result.standard.notes]  # one unknown cannot make it poor


def test_unknown_answers_that_cannot_change_the_result_name_no_other_result() -> None:
    """When counting the unknown answers as deprived gives the same result, no "Nếu" line."""
    home = Household("rural", 1, 9_000_000, frozenset({"water"}), unknown=frozenset({"telecom"}))
    result = assess(home, date(2025, 5, 5))
    assert result.category == "not_poor"
    assert not any(item.text.startswith("Nếu") for item in result.explanations)


def test_2027_rejects_dropped_indicator() -> None:
    """An indicator dropped in 2027 cannot be reported under the 2027 standard."""
    with pytest.raises(ValueError, match="information_access"):
        assess(Household("rural", 1, 1, frozenset({"information_access"})), date(2027, 2, 1))


def test_category_labels() -> None:
    """Category labels are the Vietnamese legal names."""
    assert dict(CATEGORY_LABELS_VI) == {
        "poor": "hộ nghèo",
        "near_poor": "hộ cận nghèo",
        "average_living": "hộ có mức sống trung bình",
        "not_poor": "không thuộc diện hộ nghèo, cận nghèo",
    }


def test_all_standards_load_with_valid_content() -> None:
    """Every data file loads, has unique ids, NFC Vietnamese questions and a catch-all rule."""
    standards = load_standards()
    assert {s.id for s in standards} == {
        "vn-2016-2020",
        "vn-2022-2025",
        "vn-2027-2030",
        "hcm-2021-2024",
        "hcm-2025-2026",
        "dn-2016-2020",
        "hn-2016-2020",
    }
    for standard in standards:
        assert standard.rules[-1].income_upto is None
        for ind in standard.indicators:
            for text in (ind.name, ind.definition, ind.question, ind.why, ind.citation):
                assert text and unicodedata.is_normalized("NFC", text)
            assert "?" in ind.question
            assert ind.deprived_when == "yes"


def test_indicator_question_helpers() -> None:
    """applies_to filters questions by household facts; deprived_when maps answers."""
    standard = standard_for(date(2025, 1, 1))
    nutrition = standard.indicator("nutrition")
    water = standard.indicator("water")
    assert not nutrition.applies(frozenset())
    assert nutrition.applies({"has_children_under_16"})
    assert nutrition.is_deprived(answer_yes=True)
    assert water.is_deprived(answer_yes=True) and not water.is_deprived(answer_yes=False)
    asked = {ind.code for ind in standard.applicable_indicators(frozenset())}
    assert "nutrition" not in asked and "water" in asked


_RANK = {"poor": 0, "near_poor": 1, "average_living": 2, "not_poor": 3}


@given(
    st.sampled_from([date(2018, 1, 1), date(2024, 1, 1), date(2028, 1, 1)]),
    st.sampled_from([None, "hcm", "dn", "hn"]),
    st.sampled_from(["rural", "urban"]),
    st.integers(min_value=0, max_value=50_000_000),
    st.integers(min_value=0, max_value=50_000_000),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=10),
)
def test_rule_is_monotonic(
    day: date,
    locality: str | None,
    area: Area,
    income_a: int,
    income_b: int,
    members: int,
    deprived: int,
) -> None:
    """More income never worsens the category; more deprivations never improve it."""
    standard = standard_for(day, locality)
    low, high = sorted((income_a, income_b))
    assert (
        _RANK[categorize(low, members, deprived, standard, area)]
        <= _RANK[categorize(high, members, deprived, standard, area)]
    )
    assert (
        _RANK[categorize(low, members, deprived + 1, standard, area)]
        <= _RANK[categorize(low, members, deprived, standard, area)]
    )


@given(
    st.integers(min_value=0, max_value=40_000_000),
    st.integers(min_value=1, max_value=15),
    st.integers(min_value=0, max_value=12),
)
def test_rule_matches_the_law_exactly(income: int, members: int, deprived: int) -> None:
    """For any household the 2026 category is the legal rule written on whole đồng."""
    standard = standard_for(date(2026, 12, 1))
    expected: Category
    if income <= 1_500_000 * members:
        expected = "poor" if deprived >= 3 else "near_poor"
    elif income <= 2_250_000 * members:
        expected = "average_living"
    else:
        expected = "not_poor"
    assert categorize(income, members, deprived, standard, "rural") == expected


def _copy_standards(tmp_path: Path) -> Path:
    target = tmp_path / "standards"
    shutil.copytree(STANDARDS_DIR, target)
    return target


def test_loader_rejects_yearly_mismatch(tmp_path: Path) -> None:
    """A monthly line that is not the yearly figure // 12 is a data error."""
    directory = _copy_standards(tmp_path)
    path = directory / "hcm-2021-2024.toml"
    path.write_text(path.read_text("utf-8").replace("3_833_333", "3_833_334"), "utf-8")
    with pytest.raises(StandardDataError, match="yearly"):
        load_standards(directory)


def test_loader_rejects_missing_catch_all(tmp_path: Path) -> None:
    """A rule list whose last band does not match everyone is a data error."""
    directory = _copy_standards(tmp_path)
    path = directory / "vn-2027-2030.toml"
    text = path.read_text("utf-8")
    cut = text.index('[[rules]]\ncategory = "not_poor"')
    path.write_text(text[:cut] + text[text.index("[[indicators]]") :], "utf-8")
    with pytest.raises(StandardDataError, match="last rule"):
        load_standards(directory)


def test_loader_rejects_id_mismatch(tmp_path: Path) -> None:
    """A file whose id differs from its file name is a data error."""
    directory = _copy_standards(tmp_path)
    (directory / "vn-2016-2020.toml").rename(directory / "vn-2016.toml")
    with pytest.raises(StandardDataError, match="file name"):
        load_standards(directory)
