"""Money as residents type it: parse Vietnamese amounts into whole đồng, and format them back.

`parse_money` reads what people actually type in a chat ("1tr5", "800 ca", "2 triệu 300",
"hai triệu rưỡi", "1,5 triệu", "3.700.000.000 ₫", "500 nghin dong/thang") and returns an
``int`` of đồng, or ``None`` with a reason. It never guesses: when a text can reasonably mean
two different amounts it answers ``problem="ambiguous"`` so the caller asks again.

Rules (in the order they are applied):

* The text is NFC-normalised and lower-cased; diacritics are optional ("2 trieu", "1 trieu ruoi").
* Period: "/tháng", "mỗi tháng", "một tháng", "hàng tháng", a bare "tháng" → ``"month"``;
  "/năm", "mỗi năm", "một năm", "hàng năm", or "năm" right after a unit or currency at the end
  ("36 triệu năm") → ``"year"``. Both in one text → ambiguous.
* A leading minus sign or "âm" → ``problem="negative"``.
* Ranges and bounds ("1 đến 2 triệu", "1-2 triệu", "hơn 2 triệu", "dưới 1 triệu") → ambiguous.
  Approximations ("khoảng", "tầm", "chừng", "cỡ") are accepted: the stated figure is returned.
* Units: tỷ/tỉ/T (10⁹), triệu/tr/củ/Tr (10⁶), nghìn/ngàn/k/ca/cành/N (10³); đ, ₫, đồng, VND mark
  currency. Groups must fall in size: "1 tỷ 200 triệu", "2 triệu 300 nghìn".
* A bare number after the last unit is a shorthand for the next part of that unit: one digit means
  tenths ("1tr5", "1 triệu 2", "3 tỷ 7", "triệu tư"), three digits mean the next unit down
  ("2 triệu 300" = 2.300.000). Two digits ("1 triệu 25") can be read two ways → ambiguous.
  "rưỡi" after a unit adds half of it ("1 triệu rưỡi").
* Decimals are allowed before a unit ("1,5 triệu", "1.5tr", "1,2 tỷ"); the result must be a whole
  number of đồng. "1.500 triệu" (grouping or decimal?) → ambiguous.
* Digits without a unit: "1500000", "1.500.000", "1,500,000", "1 500 000", "1.500.000,00" are read
  as đồng. A bare decimal ("1.5", "15,5") is ambiguous. A bare number below 1000 with no unit and
  no currency sign ("2", "800") is ambiguous, because people mean thousands or millions; ``0`` is 0.
* Two bare numbers side by side ("1 2") → ambiguous; two separate amounts ("5 triệu, vợ 3 triệu")
  → ``problem="too_many_numbers"``. Other words are ignored ("lương tôi 5 triệu").
* No number at all → ``problem="not_money"``; blank text → ``problem="empty"``.
* Digits: ASCII digits, and on purpose also full-width ("３ triệu") and Arabic-Indic
  ("٣٠٠٠٠٠٠") ones, which phone keyboards type; superscript or circled digits ("²", "①") are
  not digits here.

`parse_money` reads any size; the callers refuse what is out of range. The ranges of what a
household states are defined here once, for every reader (registration, self-check, batch
pre-screening): :data:`MIN_MONTHLY_INCOME`–:data:`MAX_MONTHLY_INCOME` đồng a month and
:data:`MIN_MEMBERS`–:data:`MAX_MEMBERS` people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from babel.numbers import format_currency

__all__ = [
    "MAX_MEMBERS",
    "MAX_MONTHLY_INCOME",
    "MIN_MEMBERS",
    "MIN_MONTHLY_INCOME",
    "MoneyParse",
    "Period",
    "Problem",
    "format_vnd",
    "in_monthly_income_range",
    "parse_money",
]

MIN_MONTHLY_INCOME = 0
"""Lowest household income per month, in đồng (a household may have none)."""
MAX_MONTHLY_INCOME = 10_000_000_000
"""Highest household income per month, in đồng (10 tỷ): more is taken for a typing mistake.

The poverty lines are a few million đồng per person a month; ten billion a month for a whole
household is far beyond any household the assistant serves, yet far below what SQLite's 64-bit
integers (and so the registration table) can hold.
"""
MIN_MEMBERS = 1
"""Fewest people in a household (nhân khẩu)."""
MAX_MEMBERS = 30
"""Most people in a household (nhân khẩu) the assistant accepts."""

Period = Literal["month", "year", "unspecified"]
Problem = Literal["ok", "empty", "not_money", "ambiguous", "negative", "too_many_numbers"]


@dataclass(frozen=True, slots=True)
class MoneyParse:
    """Result of reading an amount of money (số tiền) from free text.

    Attributes:
        amount: Whole đồng, or ``None`` when the text was not understood or is ambiguous.
        period: "month" or "year" when the text says so, else "unspecified".
        problem: Why ``amount`` is ``None`` ("ok" when it is not).
        hint: Short English reason for logs and tests; never shown to residents.
    """

    amount: int | None
    period: Period
    problem: Problem
    hint: str


def format_vnd(amount: int) -> str:
    """Format whole đồng the Vietnamese way, e.g. "1.500.000 ₫" with a no-break space.

    The output is exactly Babel's ``vi_VN`` currency format: dot thousands separators, no
    decimals, and a no-break space (U+00A0) before "₫", so the sign never wraps onto its own line.

    Args:
        amount: Whole đồng (may be negative; Babel then prefixes "-").

    Returns:
        The formatted amount.
    """
    return format_currency(amount, "VND", locale="vi_VN")


def in_monthly_income_range(amount: int) -> bool:
    """Whether ``amount`` đồng is a household's plausible income per month.

    Args:
        amount: Whole đồng per month.

    Returns:
        True from :data:`MIN_MONTHLY_INCOME` to :data:`MAX_MONTHLY_INCOME` inclusive.
    """
    return MIN_MONTHLY_INCOME <= amount <= MAX_MONTHLY_INCOME


# --- vocabulary -------------------------------------------------------------------------------

_SCALES: dict[str, int] = {
    "tỷ": 10**9,
    "tỉ": 10**9,
    "ty": 10**9,
    "ti": 10**9,
    "tỏi": 10**9,
    "triệu": 10**6,
    "trieu": 10**6,
    "tr": 10**6,
    "củ": 10**6,
    "cu": 10**6,
    "nghìn": 10**3,
    "ngàn": 10**3,
    "nghin": 10**3,
    "ngan": 10**3,
    "k": 10**3,
    "ca": 10**3,
    "cành": 10**3,
    "canh": 10**3,
    "n": 10**3,  # Babel compact "800 N"
}
# Units that may stand alone meaning "one of it" ("triệu rưỡi"); slang needs a number before it.
_STANDALONE_UNITS = frozenset({"tỷ", "tỉ", "triệu", "trieu", "nghìn", "ngàn", "nghin", "ngan"})

_DIGIT_WORDS: dict[str, int] = {
    "một": 1,
    "mốt": 1,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "bon": 4,
    "tư": 4,
    "tu": 4,
    "năm": 5,
    "nam": 5,
    "lăm": 5,
    "lam": 5,
    "nhăm": 5,
    "nham": 5,
    "sáu": 6,
    "sau": 6,
    "bảy": 7,
    "bẩy": 7,
    "bay": 7,
    "tám": 8,
    "tam": 8,
    "chín": 9,
    "chin": 9,
}
_ZERO_WORDS = frozenset({"không", "khong"})
_HUNDRED = frozenset({"trăm", "tram"})
_TENS = frozenset({"mươi", "chục", "chuc"})  # multiply the digit before by ten
_TEN = frozenset({"mười", "muoi"})  # "muoi" (no accents) acts as "mươi" after a digit
_FILLER_ZERO = frozenset({"linh", "lẻ", "le"})
_HALF = frozenset({"rưỡi", "rưởi", "ruoi", "rươi"})
_CURRENCY = frozenset({"đ", "₫", "đồng", "dong", "d", "vnd", "vnđ"})
_RANGE = frozenset({"đến", "den", "tới", "toi", "hoặc", "hoac", "hay", "-", "–", "—", "~"})
# Words that turn the next number into a bound ("hơn 2 triệu") or, after a unit, make the
# amount vague ("2 triệu hơn", "2 triệu mấy").
_BOUND = frozenset(
    {"hơn", "hon", "trên", "tren", "dưới", "duoi", "gần", "gan", "quá", "qua", "đa", "nhất", "nhat"}
    | {"ngoài", "ngoai", "mấy", "lẻ"}
)
_VAGUE = frozenset({"vài", "vai", "mấy", "may", "dăm", "dam"})  # "vài triệu": a few million
# Words that only make sense inside a number or right after a unit ("mười lăm", "triệu mốt").
_CONTINUATION_ONLY = frozenset({"lăm", "lam", "nhăm", "nham", "mốt", "tư", "tu"})
_AMBIGUOUS_UNITS = frozenset({"t"})  # "5t": tỷ (Babel's "T") or triệu? Only uppercase T is read.

_MONTH_RE = re.compile(
    r"(?:/\s*(?:tháng|thang|th)\b)"
    r"|(?:\b(?:mỗi|moi|một|mot|1|hàng|hang|trên|tren|mọi|per|a)\s*)?\b(?:tháng|thang|month)\b"
)
_YEAR_RE = re.compile(
    r"(?:/\s*(?:năm|nam)\b)"
    r"|(?:\b(?:mỗi|moi|một|mot|1|hàng|hang|trên|tren|mọi)\s*(?:năm|nam)\b)"
    r"|(?:\b(?:per|a)\s+year\b)|(?:/?\s*\byear\b)"
)
_TRAILING_YEAR_RE = re.compile(
    r"(\d|₫|\b(?:tỷ|tỉ|ty|ti|tr|củ|cu|k|ca|đ|d|triệu|trieu|nghìn|nghin|ngàn|ngan|đồng|dong|vnd|vnđ))"
    r"\s*\b(?:năm|nam)\s*[.!]*$"
)
_BABEL_COMPACT = (
    (re.compile(r"(?<=\d)\s*T\b"), " tỷ"),
    (re.compile(r"(?<=\d)\s*Tr\b"), " triệu"),
    (re.compile(r"(?<=\d)\s*N\b"), " nghìn"),
)
_NEGATIVE_RE = re.compile(r"^\s*(?:[-−]\s*\d|âm\b)")
# "6tr5 ca nhà": after shorthand glued to its unit, a thousands slang word ("ca", "cành") is
# "cả" typed without diacritics, not a unit ("6tr5 ca" is never 6.005.000).
_GLUED_SHORTHAND_SLANG = re.compile(r"(?<=\d)((?:tr|k|ty|tỷ|củ|cu)\d{1,3})\s+(?:ca|cành|canh)\b")
_TOKEN_RE = re.compile(
    r"(?P<num>\d{1,3}(?: \d{3})+(?![\d.,])|\d+(?:[.,]\d+)*)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<sym>[₫\-–—~])"
    r"|(?P<sep>[,;+&])"
)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Num:
    """A digit token: its value, how it was written, and its digit count."""

    value: Decimal
    kind: Literal["int", "decimal", "grouped_or_decimal", "bad"]
    digits: int


@dataclass(frozen=True, slots=True)
class _Words:
    """A number spelled in words (0–999), with the digit count it stands for."""

    value: int
    digits: int  # 1 for a single digit word, 2 with tens, 3 with hundreds; 0 = malformed


def _read_digits(text: str) -> _Num:
    """Read one digit token such as "1500", "1.500.000", "1,5" or "1.500.000,00"."""
    compact = text.replace(" ", "")
    if compact.isdigit():
        return _Num(Decimal(compact), "int", len(compact.lstrip("0") or "0"))
    seps = [c for c in compact if c in ".,"]
    parts = re.split(r"[.,]", compact)
    if len(set(seps)) == 1:
        sep_count = len(seps)
        head, tail = parts[0], parts[1:]
        if sep_count == 1 and len(tail[0]) in (1, 2):
            return _Num(Decimal(f"{head}.{tail[0]}"), "decimal", 0)
        grouped = 1 <= len(head) <= 3 and all(len(p) == 3 for p in tail)
        if grouped and sep_count == 1:
            return _Num(Decimal(head + tail[0]), "grouped_or_decimal", len(head) + 3)
        if grouped:
            digits = "".join(parts)
            return _Num(Decimal(digits), "int", len(digits.lstrip("0") or "0"))
        return _Num(Decimal(0), "bad", 0)
    # Two separator kinds: the last one is the decimal mark, the others group thousands.
    decimal_mark = seps[-1]
    if decimal_mark in seps[:-1]:
        return _Num(Decimal(0), "bad", 0)
    int_part, _, frac = compact.rpartition(decimal_mark)
    groups = int_part.split("," if decimal_mark == "." else ".")
    if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return _Num(Decimal(0), "bad", 0)
    if len(frac) not in (1, 2):
        return _Num(Decimal(0), "bad", 0)
    return _Num(Decimal("".join(groups) + "." + frac), "decimal", 0)


_WordRole = Literal["none", "hundred", "tens", "digit"]


@dataclass(slots=True)
class _WordsState:
    """Running state while :func:`_read_words` composes a run of number words.

    Attributes:
        total: Value of the hundreds and tens read so far.
        current: A digit read but not yet placed (``None`` when there is none).
        last: What the last placed word was: nothing yet, hundreds, tens or a digit.
        digits: Digit count the run stands for (1, 2 with tens, 3 with hundreds).
    """

    total: int = 0
    current: int | None = None
    last: _WordRole = "none"
    digits: int = 1


def _word_digit(state: _WordsState, word: str) -> bool:
    """Take a digit word or a digit ("hai", "không", "5"); two in a row are malformed.

    Args:
        state: The run so far, updated in place.
        word: The digit word or digit.

    Returns:
        False when the run is malformed.
    """
    if state.current is not None:
        return False  # "hai ba": two digits in a row
    state.current = int(word) if word.isdigit() else _DIGIT_WORDS.get(word, 0)
    if state.last == "none":
        state.last = "digit"
    return True


def _word_hundred(state: _WordsState, word: str) -> bool:
    """Take "trăm": the pending digit (or one) times a hundred.

    Args:
        state: The run so far, updated in place.
        word: "trăm" or "tram".

    Returns:
        False when hundreds come after hundreds or tens.
    """
    if state.last in ("hundred", "tens"):
        return False
    state.total += (1 if state.current is None else state.current) * 100
    state.current, state.last, state.digits = None, "hundred", 3
    return True


def _word_tens(state: _WordsState, word: str) -> bool:
    """Take "mươi"/"chục" (or "muoi" after a digit): the pending digit (or one) times ten.

    Args:
        state: The run so far, updated in place.
        word: The tens word.

    Returns:
        False when tens come after tens.
    """
    if state.last == "tens":
        return False
    state.total += (1 if state.current is None else state.current) * 10
    state.current, state.last = None, "tens"
    state.digits = max(state.digits, 2)
    return True


def _word_ten(state: _WordsState, word: str) -> bool:
    """Take "mười" with no digit before it: ten.

    Args:
        state: The run so far, updated in place.
        word: "mười" or "muoi".

    Returns:
        False when it comes after tens.
    """
    if state.last == "tens":
        return False
    state.total += 10
    state.last = "tens"
    state.digits = max(state.digits, 2)
    return True


def _word_filler_zero(state: _WordsState, word: str) -> bool:
    """Take "linh"/"lẻ", the empty tens place, which only follows hundreds ("một trăm linh năm").

    Args:
        state: The run so far, updated in place.
        word: The filler word.

    Returns:
        False when it does not follow hundreds.
    """
    if state.last != "hundred":
        return False
    state.last = "tens"
    return True


def _word_half(state: _WordsState, word: str) -> bool:
    """Take "rưỡi" right after hundreds: fifty ("hai trăm rưỡi" = 250).

    Args:
        state: The run so far, updated in place.
        word: The half word.

    Returns:
        False when it does not come right after hundreds.
    """
    if state.last != "hundred" or state.current is not None:
        return False
    state.total += 50
    state.last = "tens"
    return True


_WordStep = Callable[[_WordsState, str], bool]


def _word_step(word: str, state: _WordsState) -> _WordStep | None:
    """The step that takes ``word`` in the current state, or ``None`` for a non-number word.

    "mười"/"muoi" right after a digit acts as "mươi" ("hai muoi" = 20), so the state matters.

    Args:
        word: One word of the run.
        state: The run so far.

    Returns:
        The step function, or ``None`` when ``word`` is no number word.
    """
    if word in _DIGIT_WORDS or word in _ZERO_WORDS or word.isdigit():
        return _word_digit
    if word in _HUNDRED:
        return _word_hundred
    if word in _TENS or (word in _TEN and state.current is not None):
        return _word_tens
    if word in _TEN:
        return _word_ten
    if word in _FILLER_ZERO:
        return _word_filler_zero
    if word in _HALF:
        return _word_half
    return None  # pragma: no cover - callers only pass number words


def _read_words(words: list[str]) -> _Words:
    """Compose a run of number words ("một trăm hai mươi", "mười lăm", "hai trăm rưỡi").

    Args:
        words: Number words (and lone digits before "trăm"), in order.

    Returns:
        Their value and digit count; ``digits == 0`` when the run is malformed.
    """
    state = _WordsState()
    for word in words:
        step = _word_step(word, state)
        if step is None or not step(state, word):
            return _Words(0, 0)
    total = state.total
    if state.current is not None:
        # "trăm mốt" = 110, "hai trăm tư" = 240: a lone digit after hundreds means tens.
        total += state.current * 10 if state.last == "hundred" else state.current
    return _Words(total, state.digits)


_NUMBER_WORDS = frozenset(_DIGIT_WORDS) | _ZERO_WORDS | _HUNDRED | _TENS | _TEN | _FILLER_ZERO
_SUFFIX_OF_NUMBER = _HUNDRED | _TENS | _TEN
_NUMERIC_HINTS = (_NUMBER_WORDS - _ZERO_WORDS) | _STANDALONE_UNITS

_Item = tuple[str, "_Num | _Words | str"]


def _find_period(text: str) -> tuple[str, Period | None]:
    """Strip period phrases; return the rest and the period (``None`` when contradictory)."""
    month = bool(_MONTH_RE.search(text))
    text = _MONTH_RE.sub(" ", text)
    year = bool(_YEAR_RE.search(text))
    text = _YEAR_RE.sub(" ", text)
    if not year and _TRAILING_YEAR_RE.search(text):
        year = True
        text = _TRAILING_YEAR_RE.sub(r"\1", text)
    if month and year:
        return text, None
    return text, "month" if month else "year" if year else "unspecified"


def parse_money(text: str) -> MoneyParse:
    """Read an amount of money from what a resident typed.

    See the module docstring for the full rule list. In short: units (tỷ, triệu, nghìn and their
    slang), shorthand after a unit ("1tr5", "2 triệu 300"), words ("hai triệu rưỡi"), grouped
    digits ("1.500.000 ₫"); ranges, bounds, bare decimals, two-digit shorthands and bare numbers
    below 1000 without a unit are ambiguous; negatives and multiple amounts are rejected.

    Args:
        text: Free text, with or without diacritics.

    Returns:
        The amount in whole đồng with the period mentioned, or the reason there is none.
    """
    cleaned = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")
    for pattern, replacement in _BABEL_COMPACT:
        cleaned = pattern.sub(replacement, cleaned)
    cleaned = _GLUED_SHORTHAND_SLANG.sub(r"\1", cleaned.lower().strip())
    if not cleaned:
        return MoneyParse(None, "unspecified", "empty", "blank text")
    cleaned, found_period = _find_period(cleaned)
    if found_period is None:
        return MoneyParse(None, "unspecified", "ambiguous", "both month and year mentioned")
    if _NEGATIVE_RE.search(cleaned):
        return MoneyParse(None, found_period, "negative", "negative amount")
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN_RE.finditer(cleaned)]
    problem = _vague(tokens)
    if problem:
        return MoneyParse(None, found_period, "ambiguous", problem)
    if not any(kind == "num" or value in _NUMERIC_HINTS for kind, value in tokens):
        return MoneyParse(None, found_period, "not_money", "no number in text")
    amount, problem_kind, hint = _evaluate(_items(tokens))
    return MoneyParse(amount, found_period, problem_kind, hint)


def _vague(tokens: list[tuple[str, str]]) -> str:
    """Return why the text states a range or a bound instead of an amount ("" when it does not)."""
    numeric = [kind == "num" or value in _NUMBER_WORDS for kind, value in tokens]
    for index, (_, value) in enumerate(tokens):
        before = any(numeric[:index])
        after = any(numeric[index + 1 :])
        nxt = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        prev = tokens[index - 1][1] if index else ""
        if value in _RANGE and before and after:
            return "a range or alternative"
        if value in _BOUND and (numeric[index + 1 : index + 2] == [True] or prev in _SCALES):
            return "a bound (more/less than), not an amount"
        if value in _VAGUE and (nxt[1] in _SCALES or nxt[1] in _SUFFIX_OF_NUMBER):
            return "a vague quantity ('vài triệu')"
        if value in _AMBIGUOUS_UNITS and tokens[index - 1][0] == "num" and index:
            return "'t' after a number: tỷ or triệu?"
    return ""


def _starts_word_run(tokens: list[tuple[str, str]], index: int, *, after_unit: bool) -> bool:
    """Tell whether the token at ``index`` starts a run of number words.

    "không" starts one only before a number suffix, a unit or a currency mark ("không trăm");
    words that only continue a number ("lăm", "mốt", "linh") only right after a unit
    ("triệu mốt"); a single digit only before "trăm"/"mươi"/"mười" ("2 trăm").

    Args:
        tokens: The ``(kind, value)`` tokens of the text.
        index: Position of the token to look at.
        after_unit: Whether the last item so far is a unit.

    Returns:
        True when a run of number words starts here.
    """
    kind, value = tokens[index]
    nxt = tokens[index + 1][1] if index + 1 < len(tokens) else ""
    if kind == "num" and value.isdigit() and len(value) == 1 and nxt in _SUFFIX_OF_NUMBER:
        return True  # "2 trăm"
    if value in _ZERO_WORDS:
        return nxt in _SUFFIX_OF_NUMBER or nxt in _SCALES or nxt in _CURRENCY
    if value in _CONTINUATION_ONLY or value in _FILLER_ZERO:
        return after_unit
    return kind == "word" and value in _NUMBER_WORDS


def _word_run(tokens: list[tuple[str, str]], start: int) -> tuple[list[str], int]:
    """Collect the run of number words that starts at ``start``.

    Args:
        tokens: The ``(kind, value)`` tokens of the text.
        start: Position of the run's first token.

    Returns:
        The words of the run and the position of the first token after it.
    """
    run = [tokens[start][1]]
    index = start + 1
    while index < len(tokens):
        value = tokens[index][1]
        if value in _HALF and run[-1] in _HUNDRED:
            run.append(value)  # "hai trăm rưỡi"
        elif value in _NUMBER_WORDS or value in _CONTINUATION_ONLY:
            run.append(value)
        else:
            break
        index += 1
    return run, index


#: Item kinds of single word tokens, tried in order; any other word is a "gap".
_WORD_ITEM_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("unit", frozenset(_SCALES)),
    ("half", _HALF),
    ("currency", _CURRENCY),
)


def _single_item(kind: str, value: str) -> _Item:
    """The item of one token outside a run of number words.

    Args:
        kind: The token kind ("num", "word", "sym" or "sep").
        value: The token text.

    Returns:
        ``("num", _Num)`` for digits, else ``("unit" | "half" | "currency" | "gap", value)``.
    """
    if kind == "num":
        return ("num", _read_digits(value))
    for item_kind, vocabulary in _WORD_ITEM_KINDS:
        if value in vocabulary:
            return (item_kind, value)
    return ("gap", value)


def _items(tokens: list[tuple[str, str]]) -> list[_Item]:
    """Group tokens into items: numbers (digits or words), units, halves, currency, gaps.

    Args:
        tokens: The ``(kind, value)`` tokens of the text.

    Returns:
        The items, in order.
    """
    items: list[_Item] = []
    index = 0
    while index < len(tokens):
        after_unit = bool(items) and items[-1][0] == "unit"
        if _starts_word_run(tokens, index, after_unit=after_unit):
            run, index = _word_run(tokens, index)
            items.append(("words", _read_words(run)))
            continue
        items.append(_single_item(*tokens[index]))
        index += 1
    return items


_Outcome = tuple[int | None, Problem, str]


@dataclass(slots=True)
class _Walk:
    """State of :func:`_evaluate` between items.

    Attributes:
        amounts: Amounts already closed (a new one starts at a unit as large as the last).
        total: Value of the current amount so far.
        last_scale: Scale of the last unit group in the current amount; ``0`` after "rưỡi"
            (nothing may follow it); ``None`` before any unit.
        pending: A number read but not yet given a unit.
        pending_gap: An ordinary word came between the pending number and now.
        unit_just_closed: The last item was a unit that closed a group.
        currency: A currency mark has been seen.
    """

    amounts: list[Decimal] = field(default_factory=list)
    total: Decimal = Decimal(0)
    last_scale: int | None = None
    pending: _Num | _Words | None = None
    pending_gap: bool = False
    unit_just_closed: bool = False
    currency: bool = False


def _walk_number(walk: _Walk, number: _Num | _Words) -> _Outcome | None:
    """A number (digits or words): it waits for its unit.

    Args:
        walk: The walk so far, updated in place.
        number: The number read.

    Returns:
        The refusal when a number is already waiting or comes after the currency mark, else
        ``None``.
    """
    if walk.pending is not None:
        if walk.pending_gap:
            return None, "too_many_numbers", "two separate numbers"
        return None, "ambiguous", "two bare numbers side by side"
    if walk.currency and (walk.amounts or walk.total):
        return None, "too_many_numbers", "number after the currency mark"
    walk.pending, walk.pending_gap, walk.unit_just_closed = number, False, False
    return None


def _unit_without_number(walk: _Walk, unit: str, scale: int) -> bool:
    """A unit with no number before it: a unit of units, or an ordinary word.

    Args:
        walk: The walk so far, updated in place.
        unit: The unit word.
        scale: Its value.

    Returns:
        True when the unit was used up here ("nghìn tỷ", or slang with no number); False when
        it stands alone for one of it ("triệu rưỡi") and opens a group.
    """
    if walk.unit_just_closed and walk.last_scale is not None and scale > walk.last_scale:
        walk.total *= scale  # "nghìn tỷ": a unit of units
        walk.last_scale *= scale
        return True
    if unit not in _STANDALONE_UNITS:
        walk.unit_just_closed = False
        return True  # slang unit with no number: an ordinary word
    return False


def _walk_unit(walk: _Walk, unit: str) -> _Outcome | None:
    """A unit: it closes a group with the waiting number (or one), maybe starting a new amount.

    Args:
        walk: The walk so far, updated in place.
        unit: The unit word ("triệu", "k", "tỷ"…).

    Returns:
        The refusal when the waiting number cannot stand before a unit, else ``None``.
    """
    scale = _SCALES[unit]
    if walk.pending is None:
        if _unit_without_number(walk, unit, scale):
            return None
        quantity = Decimal(1)
    else:
        quantity_or_error = _quantity(walk.pending)
        if isinstance(quantity_or_error, str):
            return None, "ambiguous", quantity_or_error
        quantity, walk.pending = quantity_or_error, None
    if walk.last_scale is not None and scale >= walk.last_scale:
        walk.amounts.append(walk.total)  # a new amount starts: "5 triệu ... 3 triệu"
        walk.total = Decimal(0)
    walk.total += quantity * scale
    walk.last_scale = scale
    walk.unit_just_closed = True
    return None


def _walk_half(walk: _Walk, word: str) -> _Outcome | None:
    """Half ("rưỡi") of the unit just closed; nothing may follow it in the same amount.

    Args:
        walk: The walk so far, updated in place.
        word: The half word.

    Returns:
        The refusal when it does not come right after a unit, else ``None``.
    """
    if not walk.unit_just_closed or walk.last_scale is None:
        return None, "ambiguous", "'rưỡi' not right after a unit"
    walk.total += Decimal(walk.last_scale) / 2
    walk.unit_just_closed = False
    walk.last_scale = 0
    return None


def _close_shorthand(walk: _Walk, pending: _Num | _Words, scale: int) -> _Outcome | None:
    """Add the waiting number as the shorthand after the last unit ("1tr5", "2 triệu 300").

    Args:
        walk: The walk so far, updated in place.
        pending: The waiting number.
        scale: The last unit's scale.

    Returns:
        The refusal when the shorthand is unclear, else ``None``.
    """
    remainder = _remainder(pending, scale)
    if remainder is None:
        return None, "ambiguous", "unclear shorthand after a unit"
    walk.total += remainder
    walk.pending = None
    return None


def _walk_currency(walk: _Walk, word: str) -> _Outcome | None:
    """A currency mark: it closes a waiting shorthand after a unit ("2 triệu 3 đồng").

    Args:
        walk: The walk so far, updated in place.
        word: The currency word or sign.

    Returns:
        The refusal when the shorthand it closes is unclear, else ``None``.
    """
    if walk.pending is not None and walk.last_scale:
        outcome = _close_shorthand(walk, walk.pending, walk.last_scale)
        if outcome is not None:
            return outcome
    walk.currency = True
    walk.unit_just_closed = False
    return None


def _walk_gap(walk: _Walk, word: str) -> _Outcome | None:
    """An ordinary word: it separates a waiting number from the next one.

    Args:
        walk: The walk so far, updated in place.
        word: The word.

    Returns:
        Always ``None`` (an ordinary word never refuses the text).
    """
    walk.pending_gap = walk.pending is not None
    walk.unit_just_closed = False
    return None


#: What each kind of word item does to the walk; any other kind is an ordinary word.
_WALK_STEPS: dict[str, Callable[[_Walk, str], _Outcome | None]] = {
    "unit": _walk_unit,
    "half": _walk_half,
    "currency": _walk_currency,
}


def _end_with_pending(walk: _Walk, pending: _Num | _Words) -> _Outcome | None:
    """The text ends with a number still waiting for its unit.

    Args:
        walk: The walk so far, updated in place.
        pending: The waiting number.

    Returns:
        The final outcome when the number settles it, else ``None`` (it was a shorthand).
    """
    if walk.last_scale:
        return _close_shorthand(walk, pending, walk.last_scale)
    if walk.last_scale == 0:
        return None, "ambiguous", "a number after 'rưỡi'"
    if walk.amounts or walk.total:
        return None, "too_many_numbers", "a second number without a unit"
    return _bare(pending, currency=walk.currency)


def _walk_end(walk: _Walk) -> _Outcome:
    """The outcome once every item is walked: one whole amount, or why there is none.

    Args:
        walk: The walk after the last item.

    Returns:
        ``(amount, "ok", hint)`` or ``(None, problem, hint)``.
    """
    if walk.pending is not None:
        outcome = _end_with_pending(walk, walk.pending)
        if outcome is not None:
            return outcome
    if walk.last_scale is None and not walk.amounts:
        return None, "not_money", "no amount found"
    walk.amounts.append(walk.total)
    if len(walk.amounts) > 1:
        return None, "too_many_numbers", "more than one amount"
    value = walk.amounts[0]
    if value != value.to_integral_value():
        return None, "ambiguous", "not a whole number of đồng"
    return int(value), "ok", "amount with units"


def _evaluate(items: list[_Item]) -> _Outcome:
    """Walk the items with a small grammar: ``([number] unit)+ [remainder | rưỡi] [currency]``.

    Args:
        items: The items of the text (see :func:`_items`).

    Returns:
        ``(amount, "ok", hint)`` or ``(None, problem, hint)``.
    """
    walk = _Walk()
    for kind, payload in items:
        if isinstance(payload, _Num | _Words):
            outcome = _walk_number(walk, payload)
        else:
            outcome = _WALK_STEPS.get(kind, _walk_gap)(walk, payload)
        if outcome is not None:
            return outcome
    return _walk_end(walk)


def _quantity(pending: _Num | _Words) -> Decimal | str:
    """The number before a unit, or why it cannot be used."""
    if isinstance(pending, _Words):
        return Decimal(pending.value) if pending.digits else "malformed number words"
    if pending.kind == "grouped_or_decimal":
        return "'1.500 triệu': grouping or decimal before a unit"
    if pending.kind == "bad":
        return "malformed number"
    return pending.value


def _remainder(pending: _Num | _Words, scale: int) -> Decimal | None:
    """Value of the shorthand after a unit: "1tr5" → 5 tenths, "2 triệu 300" → 300 thousands."""
    if scale < 1000:
        return None
    if isinstance(pending, _Num):
        if pending.kind != "int":
            return None
        digits, value = pending.digits, pending.value
    else:
        digits, value = pending.digits, Decimal(pending.value)
    if value == 0:
        return None
    if digits == 1:
        return value * scale / 10
    if digits == 3:
        return value * scale / 1000
    return None


def _bare(pending: _Num | _Words, *, currency: bool) -> tuple[int | None, Problem, str]:
    """A number with no unit: digits in đồng; below 1000 only with a currency mark (or zero)."""
    if isinstance(pending, _Words):
        if not pending.digits:
            return None, "ambiguous", "malformed number words"
        if pending.value == 0 or currency:
            return pending.value, "ok", "number words with currency"
        return None, "ambiguous", "number words without a unit"
    if pending.kind == "bad":
        return None, "ambiguous", "malformed number"
    value = pending.value
    if value != value.to_integral_value():
        return None, "ambiguous", "a decimal without a unit"
    if pending.kind == "decimal" and not (currency or value >= 1000):
        return None, "ambiguous", "a decimal without a unit"
    if value == 0 or currency or value >= 1000:
        return int(value), "ok", "digits in đồng"
    return None, "ambiguous", "small number without a unit (thousands or millions?)"
