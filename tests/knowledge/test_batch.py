"""Tests for knowledge.batch: officers' batch pre-screening rows."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.assessment import Household, assess, standard_for
from knowledge.batch import (
    BatchClassifier,
    BatchFormatError,
    RowError,
    RowResult,
    classify_rows,
    missing_indicator_columns,
)
from knowledge.money import MAX_MONTHLY_INCOME, format_vnd

DAY = date(2026, 11, 21)
CODES = standard_for(DAY).indicator_codes


def row(**cells: str) -> dict[str, str]:
    """A full row with every indicator at 0, overridden by ``cells``."""
    base = {"id": "H1", "area": "rural", "members": "3", "monthly_income": "3000000"}
    base.update(dict.fromkeys(CODES, "0"))
    base.update(cells)
    return base


def test_good_rows_classified_like_assess() -> None:
    """Batch categories equal the resident self-check for the same households."""
    rows = [
        (2, row(monthly_income="4.500.000", employment="1", water="có", sanitation="x")),
        (3, row(area="thành thị", members="2", monthly_income="4,000,000")),
        (4, row(area="nong_thon", monthly_income="10000000", telecom="yes")),
    ]
    results = list(classify_rows(rows, day=DAY, locality=None))
    assert all(isinstance(r, RowResult) for r in results)
    good = [r for r in results if isinstance(r, RowResult)]
    assert [(r.line, r.category, r.deprived_count) for r in good] == [
        (2, "poor", 3),
        (3, "near_poor", 0),
        (4, "not_poor", 1),
    ]
    assert good[0].deprived == "employment;water;sanitation"
    assert good[0].income_per_person == 1_500_000
    assert good[0].standard == "vn-2022-2025"
    assert good[0].reason.startswith("Thu nhập bình quân")
    for result in good:
        home = Household(
            result.area,
            result.members,
            result.monthly_income,
            frozenset(filter(None, result.deprived.split(";"))),
        )
        assert assess(home, DAY).category == result.category


@pytest.mark.parametrize(
    ("cells", "fragment"),
    [
        ({"id": " "}, "id"),
        ({"area": "city"}, "area"),
        ({"members": "0"}, "members"),
        ({"members": "2.5"}, "members"),
        ({"members": "-1"}, "members"),
        ({"monthly_income": "abc"}, "thu nhập"),
        ({"monthly_income": ""}, "thu nhập"),
        ({"monthly_income": "-5"}, "âm"),
        ({"monthly_income": "36 triệu/năm"}, "năm"),
        ({"water": "2"}, "water"),
    ],
)
def test_bad_rows_reported(cells: dict[str, str], fragment: str) -> None:
    """Each kind of bad cell gives a RowError naming the problem and its line."""
    results = list(classify_rows([(7, row(**cells))], day=DAY, locality=None))
    assert len(results) == 1
    error = results[0]
    assert isinstance(error, RowError)
    assert error.line == 7
    assert fragment in error.message


def test_bad_rows_do_not_stop_the_rest() -> None:
    """A bad row in the middle is reported and the rows after it are classified."""
    rows = [(2, row()), (3, row(members="x")), (4, row(id="H4"))]
    results = list(classify_rows(rows, day=DAY, locality=None))
    assert [type(r).__name__ for r in results] == ["RowResult", "RowError", "RowResult"]
    assert [r.line for r in results] == [2, 3, 4]


def test_missing_indicator_columns_listed_and_not_deprived() -> None:
    """Missing indicator columns are listed up front and count as not deprived."""
    header = ["id", "area", "members", "monthly_income", "water", "sanitation", "telecom"]
    standard = standard_for(DAY)
    missing = missing_indicator_columns(header, standard)
    assert "water" not in missing and "employment" in missing
    assert len(missing) == len(CODES) - 3
    classifier = BatchClassifier(header, day=DAY, locality=None)
    assert classifier.missing_columns == missing
    result = classifier.classify(2, ["H1", "rural", "1", "1000000", "1", "1", "1"])
    assert isinstance(result, RowResult)
    assert (result.category, result.deprived_count) == ("poor", 3)


def test_missing_required_column_is_a_format_error() -> None:
    """A table without a required column cannot be classified at all."""
    with pytest.raises(BatchFormatError, match="members"):
        BatchClassifier(["id", "area", "monthly_income"], day=DAY, locality=None)


def test_header_is_case_and_bom_insensitive() -> None:
    """Header names are matched after removing a BOM, spaces and case."""
    classifier = BatchClassifier(
        ["\ufeffID", " Area ", "MEMBERS", "Monthly_Income"], day=DAY, locality=None
    )
    result = classifier.classify(2, ["H1", "urban", "2", "10000000"])
    assert isinstance(result, RowResult)
    assert result.category == "not_poor"


def test_short_rows_are_padded() -> None:
    """A row with fewer cells than the header is read with blanks for the rest."""
    classifier = BatchClassifier(
        ["id", "area", "members", "monthly_income", "water"], day=DAY, locality=None
    )
    result = classifier.classify(2, ["H1", "rural", "1", "100"])
    assert isinstance(result, RowResult)
    assert result.deprived_count == 0


def test_local_standard_and_date_respected() -> None:
    """The batch uses the standard for the given date and locality."""
    rows = [(2, row(area="urban", members="1", monthly_income="2999999"))]
    local = next(classify_rows(rows, day=date(2024, 1, 1), locality="hcm"))
    national = next(classify_rows(rows, day=date(2024, 1, 1), locality=None))
    later = next(
        classify_rows(
            [(2, row(members="1", monthly_income="2200000"))], day=date(2027, 1, 1), locality=None
        )
    )
    assert isinstance(local, RowResult) and isinstance(national, RowResult)
    assert isinstance(later, RowResult)
    assert (local.standard, local.category) == ("hcm-2021-2024", "near_poor")
    assert (national.standard, national.category) == ("vn-2022-2025", "average_living")
    assert (later.standard, later.category) == ("vn-2027-2030", "near_poor")


def test_batch_compares_total_income_exactly() -> None:
    """A row one đồng over line × members is over the line (no per-person rounding)."""
    at = row(members="4", monthly_income="6000000", water="1", sanitation="1", telecom="1")
    over = row(members="4", monthly_income="6000001", water="1", sanitation="1", telecom="1")
    day = date(2026, 12, 1)
    results = list(classify_rows([(2, at), (3, over)], day=day, locality=None))
    assert [r.category for r in results if isinstance(r, RowResult)] == [
        "poor",
        "average_living",
    ]


def test_empty_input_yields_nothing() -> None:
    """No rows in, no results out."""
    assert list(classify_rows([], day=DAY, locality=None)) == []


RANGE_MEMBERS = "từ 1 đến 30"
RANGE_INCOME = f"từ {format_vnd(0)} đến {format_vnd(MAX_MONTHLY_INCOME)}"


@pytest.mark.parametrize(
    ("cells", "fragment"),
    [
        ({"members": "31"}, RANGE_MEMBERS),
        ({"members": "04"}, RANGE_MEMBERS),
        ({"members": "²"}, RANGE_MEMBERS),  # isdigit() yet no ASCII digit: int() would raise
        ({"members": "①"}, RANGE_MEMBERS),
        ({"members": "٤"}, RANGE_MEMBERS),
        ({"members": "４"}, RANGE_MEMBERS),
        ({"members": "9" * 5000}, RANGE_MEMBERS),
        ({"monthly_income": str(MAX_MONTHLY_INCOME + 1)}, RANGE_INCOME),
        ({"monthly_income": "1" + "0" * 23}, RANGE_INCOME),
        ({"monthly_income": "9" * 5000}, RANGE_INCOME),  # beyond int()'s 4,300-digit limit
        ({"monthly_income": "1.000" + ".000" * 2000}, RANGE_INCOME),
        ({"monthly_income": "20 tỷ"}, RANGE_INCOME),
        ({"monthly_income": "²"}, "không đọc được thu nhập"),
    ],
)
def test_out_of_range_counts_and_amounts_are_row_errors(
    cells: dict[str, str], fragment: str
) -> None:
    """Sizes outside 1–30 or not ASCII digits, incomes over 10 tỷ: a RowError naming the range."""
    [error] = classify_rows([(5, row(**cells))], day=DAY, locality=None)
    assert isinstance(error, RowError)
    assert fragment in error.message
    assert len(error.message) < 200  # the cell is quoted cut short


@pytest.mark.parametrize(
    ("income", "amount"),
    [
        ("３００００００", 3_000_000),
        ("３.０００.０００", 3_000_000),
        ("٣٠٠٠٠٠٠", 3_000_000),
        ("3 triệu", 3_000_000),
        (str(MAX_MONTHLY_INCOME), MAX_MONTHLY_INCOME),
        ("0", 0),
    ],
)
def test_incomes_in_range_and_in_other_digits_are_read(income: str, amount: int) -> None:
    """Full-width and Arabic-Indic digits are read on purpose; 0 and 10 tỷ are in range."""
    [result] = classify_rows(
        [(2, row(monthly_income=income, members="30"))], day=DAY, locality=None
    )
    assert isinstance(result, RowResult)
    assert (result.monthly_income, result.members) == (amount, 30)


def test_output_values_pass_texts_through_the_given_function() -> None:
    """The writer's guard is applied to every non-empty text value, never to a number."""
    [result] = classify_rows([(2, row(water="1", telecom="1"))], day=DAY, locality=None)
    [error] = classify_rows([(3, row(members="0"))], day=DAY, locality=None)
    assert isinstance(result, RowResult) and isinstance(error, RowError)
    plain = result.output_values()
    marked = result.output_values(lambda text: f"<{text}>")
    assert marked == tuple(
        f"<{value}>" if isinstance(value, str) and value else value for value in plain
    )
    assert error.output_values(str.upper)[-1] == error.message.upper()
    assert error.output_values()[-1] == error.message
