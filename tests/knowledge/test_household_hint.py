"""Tests for knowledge.household_hint: size and income read from a long message."""

from __future__ import annotations

import pytest

from knowledge.household_hint import HouseholdHint, household_hint

FOUND = [
    (
        "nha toi 5 nguoi, chong benh, thu nhap 6tr/thang thi co dc ho ngheo ko",
        HouseholdHint(5, 6_000_000, "hm"),
    ),
    ("nha e 5 nguoi thu nhap 6tr5 ca nha 1 thang", HouseholdHint(5, 6_500_000, "hm")),
    ("Nhà tôi có 4 người, thu nhập khoảng 72 triệu một năm", HouseholdHint(4, 72_000_000, "hy")),
    ("nha 3 nguoi, thu nhap moi nguoi 1tr5", HouseholdHint(3, 1_500_000, "pm")),
]
NOT_FOUND = [
    "ho ngheo la gi",
    "thu nhap 6tr thi sao",  # no household size
    "nha 5 nguoi ngheo lam",  # no income
    "nha 45 nguoi thu nhap 6tr",  # not a household size
    "nha 5 nguoi thu nhap tu 5 den 7 trieu",  # a range: ambiguous, never guessed
]


@pytest.mark.parametrize(("text", "hint"), FOUND)
def test_size_and_income_are_found(text: str, hint: HouseholdHint) -> None:
    """A message naming both gives them, with the income's period."""
    assert household_hint(text) == hint


@pytest.mark.parametrize("text", NOT_FOUND)
def test_nothing_is_guessed(text: str) -> None:
    """Without both, or with an unclear amount, there is no hint."""
    assert household_hint(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "nha toi 4 nguoi, thu nhap " + "9" * 70 + " dong/thang",
        "nha toi 4 nguoi, thu nhap 99999999999999999999 dong/thang",
        "nha 3 nguoi thu nhap 200 ty mot nam",
    ],
)
def test_an_income_beyond_the_self_checks_range_gives_no_hint(text: str) -> None:
    """A 70- or 20-digit income (or 200 tỷ a year) is a slip: no prefilled self-check offered."""
    assert household_hint(text) is None


def test_the_largest_plausible_income_still_gives_a_hint() -> None:
    """10 tỷ a month is the top of the range and is still offered."""
    hint = household_hint("nha toi 4 nguoi, thu nhap 10 ty/thang")
    assert hint is not None and hint.amount == 10_000_000_000
