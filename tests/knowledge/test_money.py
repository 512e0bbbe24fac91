"""Tests for knowledge.money: amounts as residents type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.money import (
    MAX_MEMBERS,
    MAX_MONTHLY_INCOME,
    MIN_MEMBERS,
    MIN_MONTHLY_INCOME,
    MoneyParse,
    _read_words,
    _Words,
    format_vnd,
    in_monthly_income_range,
    parse_money,
)

# (text, expected amount, expected period)
UNDERSTOOD: list[tuple[str, int, str]] = [
    ("6tr5 ca nha", 6_500_000, "unspecified"),  # "cả nhà" without diacritics, not "5 ca"
    ("thu nhap 6tr5 ca nha 1 thang", 6_500_000, "month"),
    ("5tr 3 ca", 5_003_000, "unspecified"),
    ("1500000", 1_500_000, "unspecified"),
    ("1.500.000", 1_500_000, "unspecified"),
    ("1.500.000đ", 1_500_000, "unspecified"),
    ("1.500.000 đ", 1_500_000, "unspecified"),
    ("1,500,000 VND", 1_500_000, "unspecified"),
    ("1 500 000", 1_500_000, "unspecified"),
    ("1.500.000,00 ₫", 1_500_000, "unspecified"),
    ("1,500,000.00", 1_500_000, "unspecified"),
    ("1,5 triệu", 1_500_000, "unspecified"),
    ("1.5tr", 1_500_000, "unspecified"),
    ("1.5 tr", 1_500_000, "unspecified"),
    ("1tr5", 1_500_000, "unspecified"),
    ("1 tr 5", 1_500_000, "unspecified"),
    ("1tr500", 1_500_000, "unspecified"),
    ("1 triệu rưỡi", 1_500_000, "unspecified"),
    ("1 triệu 2", 1_200_000, "unspecified"),
    ("2 triệu 300", 2_300_000, "unspecified"),
    ("2 triệu 300 nghìn", 2_300_000, "unspecified"),
    ("2 triệu 3 trăm", 2_300_000, "unspecified"),
    ("hai triệu", 2_000_000, "unspecified"),
    ("hai triệu rưỡi", 2_500_000, "unspecified"),
    ("hai triệu ba", 2_300_000, "unspecified"),
    ("triệu rưỡi", 1_500_000, "unspecified"),
    ("triệu tư", 1_400_000, "unspecified"),
    ("một triệu mốt", 1_100_000, "unspecified"),
    ("mười lăm triệu", 15_000_000, "unspecified"),
    ("muoi lam trieu", 15_000_000, "unspecified"),
    ("hai mươi lăm triệu", 25_000_000, "unspecified"),
    ("ba mươi sáu triệu", 36_000_000, "unspecified"),
    ("một trăm hai mươi nghìn", 120_000, "unspecified"),
    ("một trăm linh năm nghìn", 105_000, "unspecified"),
    ("hai trăm rưỡi nghìn", 250_000, "unspecified"),
    ("năm trăm nghìn", 500_000, "unspecified"),
    ("một triệu không trăm năm mươi nghìn", 1_050_000, "unspecified"),
    ("800 nghìn", 800_000, "unspecified"),
    ("800 ngàn", 800_000, "unspecified"),
    ("800 nghin", 800_000, "unspecified"),
    ("800k", 800_000, "unspecified"),
    ("800K", 800_000, "unspecified"),
    ("800 ca", 800_000, "unspecified"),
    ("800 cành", 800_000, "unspecified"),
    ("1 củ 2", 1_200_000, "unspecified"),
    ("3 củ", 3_000_000, "unspecified"),
    ("3 cu", 3_000_000, "unspecified"),
    ("1 tỷ", 1_000_000_000, "unspecified"),
    ("1 tỉ", 1_000_000_000, "unspecified"),
    ("1,2 tỷ", 1_200_000_000, "unspecified"),
    ("3 tỷ 7", 3_700_000_000, "unspecified"),
    ("1 tỷ 200", 1_200_000_000, "unspecified"),
    ("1 tỷ 200 triệu", 1_200_000_000, "unspecified"),
    ("1 nghìn tỷ", 1_000_000_000_000, "unspecified"),
    ("3.700.000.000 ₫", 3_700_000_000, "unspecified"),
    ("3.700.000.000\u00a0₫", 3_700_000_000, "unspecified"),
    ("2 trieu", 2_000_000, "unspecified"),
    ("1 trieu ruoi", 1_500_000, "unspecified"),
    ("5 nghìn 5", 5_500, "unspecified"),
    ("500 nghin dong/thang", 500_000, "month"),
    ("36 triệu một năm", 36_000_000, "year"),
    ("36 triệu năm", 36_000_000, "year"),
    ("36tr/năm", 36_000_000, "year"),
    ("ba mươi sáu triệu một năm", 36_000_000, "year"),
    ("mỗi năm 40 triệu", 40_000_000, "year"),
    ("2 triệu/tháng", 2_000_000, "month"),
    ("2 triệu mỗi tháng", 2_000_000, "month"),
    ("hàng tháng 3 triệu", 3_000_000, "month"),
    ("khoảng 2 triệu mỗi tháng", 2_000_000, "month"),
    ("tầm 4 triệu", 4_000_000, "unspecified"),
    ("lương tôi 5 triệu", 5_000_000, "unspecified"),
    ("luong toi 5 trieu", 5_000_000, "unspecified"),
    ("Thu nhập cả nhà 7.000.000đ/tháng", 7_000_000, "month"),
    ("999 ₫", 999, "unspecified"),
    ("500đ", 500, "unspecified"),
    ("0", 0, "unspecified"),
    ("0 đồng", 0, "unspecified"),
    ("1.500", 1_500, "unspecified"),
    ("1000", 1_000, "unspecified"),
    ("1,5\u00a0Tr\u00a0₫", 1_500_000, "unspecified"),  # Babel compact currency
    ("3,7\u00a0T\u00a0₫", 3_700_000_000, "unspecified"),
    ("800\u00a0N\u00a0₫", 800_000, "unspecified"),
    ("1.500.000,00\u00a0₫", 1_500_000, "unspecified"),  # Babel with currency_digits=False
    ("một trăm mốt nghìn", 110_000, "unspecified"),  # a lone digit after "trăm" means tens
    ("hai trăm tư nghìn", 240_000, "unspecified"),
    ("hai muoi nghin", 20_000, "unspecified"),  # "muoi" after a digit acts as "mươi"
    ("mười nghìn", 10_000, "unspecified"),
    ("năm trăm đồng", 500, "unspecified"),  # number words with a currency mark
    ("2 triệu 3 đồng", 2_300_000, "unspecified"),  # shorthand closed by the currency mark
    ("ca 5 triệu", 5_000_000, "unspecified"),  # slang unit with no number is a word
    ("tỷ rưỡi", 1_500_000_000, "unspecified"),
    ("1,5 nghìn 3", 1_800, "unspecified"),
]

# (text, expected problem)
REJECTED: list[tuple[str, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("không biết", "not_money"),
    ("không có thu nhập", "not_money"),
    ("abc", "not_money"),
    ("1.5", "ambiguous"),
    ("15,5", "ambiguous"),
    ("1 2", "ambiguous"),
    ("2", "ambiguous"),
    ("800", "ambiguous"),
    ("hai", "ambiguous"),
    ("khoảng 1 đến 2 triệu", "ambiguous"),
    ("1-2 triệu", "ambiguous"),
    ("1 hoặc 2 triệu", "ambiguous"),
    ("hơn 2 triệu", "ambiguous"),
    ("dưới 1 triệu", "ambiguous"),
    ("2 triệu hơn", "ambiguous"),
    ("vài triệu", "ambiguous"),
    ("mấy trăm nghìn", "ambiguous"),
    ("1tr25", "ambiguous"),
    ("hai triệu ba mươi", "ambiguous"),
    ("1.500 triệu", "ambiguous"),
    ("5t", "ambiguous"),
    ("1,2345 nghìn", "ambiguous"),
    ("3 triệu mỗi tháng, 30 triệu một năm", "ambiguous"),
    ("-500000", "negative"),
    ("- 2 triệu", "negative"),
    ("âm 2 triệu", "negative"),
    ("5 triệu, vợ 3 triệu", "too_many_numbers"),
    ("nhà 4 người thu 6 triệu", "too_many_numbers"),
]


# (text, expected problem, expected hint): one case for each way the grammar refuses a text.
REFUSED_WITH_REASON: list[tuple[str, str, str]] = [
    ("hai ba triệu", "ambiguous", "malformed number words"),  # two digit words in a row
    ("hai trăm trăm nghìn", "ambiguous", "malformed number words"),  # hundreds twice
    ("hai mươi mươi nghìn", "ambiguous", "malformed number words"),  # tens twice
    ("hai mươi mười nghìn", "ambiguous", "malformed number words"),  # "mười" after tens
    ("hai linh năm nghìn", "ambiguous", "malformed number words"),  # "linh" not after hundreds
    ("1.2.3,4 triệu", "ambiguous", "malformed number"),
    ("1.500 triệu", "ambiguous", "'1.500 triệu': grouping or decimal before a unit"),
    ("1 2", "ambiguous", "two bare numbers side by side"),
    ("4 người 6 triệu", "too_many_numbers", "two separate numbers"),
    ("2 triệu 5 nhà 3", "too_many_numbers", "two separate numbers"),
    ("2 triệu đồng 5", "too_many_numbers", "number after the currency mark"),
    ("rưỡi 2 triệu", "ambiguous", "'rưỡi' not right after a unit"),
    ("1 triệu rưỡi 5", "ambiguous", "a number after 'rưỡi'"),
    ("1 triệu 25 đồng", "ambiguous", "unclear shorthand after a unit"),
    ("1tr25", "ambiguous", "unclear shorthand after a unit"),
    ("5 triệu k tỷ", "too_many_numbers", "more than one amount"),
    ("tỷ tỷ", "too_many_numbers", "more than one amount"),
    ("5 triệu, vợ 3 triệu", "too_many_numbers", "more than one amount"),
    ("có tư cách", "not_money", "no amount found"),  # "tư" only continues a number
    ("hai", "ambiguous", "number words without a unit"),
    ("800", "ambiguous", "small number without a unit (thousands or millions?)"),
]


@pytest.mark.parametrize(("text", "amount", "period"), UNDERSTOOD)
def test_understood_amounts(text: str, amount: int, period: str) -> None:
    """Each real-world way of typing an amount gives the expected đồng and period."""
    result = parse_money(text)
    assert (result.amount, result.period, result.problem) == (amount, period, "ok")


@pytest.mark.parametrize(("text", "problem"), REJECTED)
def test_rejected_amounts(text: str, problem: str) -> None:
    """Ambiguous, empty, negative or multi-amount texts give no amount and say why."""
    result = parse_money(text)
    assert (result.amount, result.problem) == (None, problem)
    assert result.hint


@pytest.mark.parametrize(("text", "problem", "hint"), REFUSED_WITH_REASON)
def test_refused_with_reason(text: str, problem: str, hint: str) -> None:
    """Each refusal of the amount grammar gives its own problem and reason."""
    result = parse_money(text)
    assert (result.amount, result.problem, result.hint) == (None, problem, hint)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["một", "trăm", "hai", "mươi"], _Words(120, 3)),
        (["mười", "lăm"], _Words(15, 2)),
        (["hai", "trăm", "rưỡi"], _Words(250, 3)),
        (["trăm", "mốt"], _Words(110, 3)),
        (["một", "trăm", "linh", "năm"], _Words(105, 3)),
        (["không"], _Words(0, 1)),
        (["3"], _Words(3, 1)),
        (["hai", "rưỡi"], _Words(0, 0)),  # "rưỡi" only after hundreds
        (["hai", "trăm", "linh", "rưỡi"], _Words(0, 0)),
        (["hai", "mươi", "trăm"], _Words(0, 0)),
        (["mười", "mươi"], _Words(0, 0)),
        (["hai", "ba"], _Words(0, 0)),
    ],
)
def test_read_words(words: list[str], expected: _Words) -> None:
    """Number words compose to their value and digit count; malformed runs give 0 digits."""
    assert _read_words(words) == expected


def test_table_sizes() -> None:
    """The tables hold at least 70 understood and 10 rejected inputs."""
    assert len(UNDERSTOOD) >= 70
    assert len(REJECTED) >= 10


def test_result_is_frozen_dataclass() -> None:
    """A parse result is immutable."""
    result = parse_money("1tr")
    assert result == MoneyParse(1_000_000, "unspecified", "ok", result.hint)
    with pytest.raises(AttributeError):
        result.amount = 2  # type: ignore[misc]


def test_nfd_input_is_understood() -> None:
    """Decomposed (NFD) diacritics are normalised before parsing."""
    import unicodedata

    assert parse_money(unicodedata.normalize("NFD", "hai triệu rưỡi")).amount == 2_500_000


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0\u00a0₫"),
        (999, "999\u00a0₫"),
        (1_500_000, "1.500.000\u00a0₫"),
        (3_700_000_000, "3.700.000.000\u00a0₫"),
    ],
)
def test_format_vnd_exact(amount: int, text: str) -> None:
    """format_vnd gives Babel's vi_VN form: dot groups, no-break space, "₫"."""
    assert format_vnd(amount) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_round_trips(amount: int) -> None:
    """Any amount from 0 to 10^12 survives format_vnd then parse_money."""
    assert parse_money(format_vnd(amount)).amount == amount


@given(st.integers(min_value=1000, max_value=10**12))
def test_plain_digits_round_trip(amount: int) -> None:
    """Plain digit strings of 1000 or more parse back to the same amount."""
    assert parse_money(str(amount)).amount == amount


@given(st.integers(min_value=1, max_value=999))
def test_small_plain_digits_are_ambiguous(amount: int) -> None:
    """A bare number below 1000 without a unit is ambiguous, never guessed."""
    assert parse_money(str(amount)).problem == "ambiguous"


@given(st.text(max_size=40))
def test_never_crashes(text: str) -> None:
    """Arbitrary text never raises and an amount comes only with problem "ok"."""
    result = parse_money(text)
    assert (result.amount is not None) == (result.problem == "ok")
    assert result.amount is None or result.amount >= 0


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("３ triệu", 3_000_000),
        ("３００００００", 3_000_000),
        ("１.５００.０００ ₫", 1_500_000),
        ("3tr５", 3_500_000),
        ("٣ triệu", 3_000_000),
        ("٢٥٠٠٠٠٠", 2_500_000),
    ],
)
def test_full_width_and_arabic_indic_digits_are_read_on_purpose(text: str, amount: int) -> None:
    """Full-width and Arabic-Indic digits read like ASCII ones (phone keyboards type them)."""
    assert parse_money(text).amount == amount


@pytest.mark.parametrize("text", ["²", "①", "³⁰⁰⁰⁰⁰⁰", "Ⅲ", "⑤⓪⓪"])
def test_superscript_circled_and_roman_digits_are_no_amount(text: str) -> None:
    """Superscript, circled and Roman digits ("²", "①") give no amount and raise nothing."""
    parsed = parse_money(text)
    assert parsed.amount is None
    assert parsed.problem in ("not_money", "ambiguous")


def test_huge_amounts_are_read_and_the_range_refuses_them() -> None:
    """10²³ đồng is read as typed (callers check ranges); the monthly range is 0–10 tỷ."""
    assert parse_money("1" + "0" * 23).amount == 10**23
    assert parse_money("1" + "0" * 5000 + " đồng").amount == 10**5000
    assert MIN_MONTHLY_INCOME == 0
    assert MAX_MONTHLY_INCOME == 10_000_000_000
    assert in_monthly_income_range(0)
    assert in_monthly_income_range(MAX_MONTHLY_INCOME)
    assert not in_monthly_income_range(MAX_MONTHLY_INCOME + 1)
    assert not in_monthly_income_range(-1)
    assert not in_monthly_income_range(10**23)
    assert (MIN_MEMBERS, MAX_MEMBERS) == (1, 30)
