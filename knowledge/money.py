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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from babel.numbers import format_currency

__all__ = ["MoneyParse", "Period", "Problem", "format_vnd", "parse_money"]

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


def _read_words(words: list[str]) -> _Words:
    """Compose a run of number words ("một trăm hai mươi", "mười lăm", "hai trăm rưỡi")."""
    total = 0
    current: int | None = None
    last: Literal["none", "hundred", "tens", "digit"] = "none"
    digits = 1
    for word in words:
        if word in _DIGIT_WORDS or word in _ZERO_WORDS or word.isdigit():
            if current is not None:
                return _Words(0, 0)  # "hai ba": two digits in a row
            current = int(word) if word.isdigit() else _DIGIT_WORDS.get(word, 0)
            if last == "none":
                last = "digit"
        elif word in _HUNDRED:
            if last in ("hundred", "tens"):
                return _Words(0, 0)
            total += (1 if current is None else current) * 100
            current, last, digits = None, "hundred", 3
        elif word in _TENS or (word in _TEN and current is not None):
            if last == "tens":
                return _Words(0, 0)
            total += (1 if current is None else current) * 10
            current, last = None, "tens"
            digits = max(digits, 2)
        elif word in _TEN:
            if last == "tens":
                return _Words(0, 0)
            total += 10
            last = "tens"
            digits = max(digits, 2)
        elif word in _FILLER_ZERO:
            if last != "hundred":
                return _Words(0, 0)
            last = "tens"
        elif word in _HALF:
            if last != "hundred" or current is not None:
                return _Words(0, 0)
            total += 50
            last = "tens"
        else:  # pragma: no cover - callers only pass number words
            return _Words(0, 0)
    if current is not None:
        # "trăm mốt" = 110, "hai trăm tư" = 240: a lone digit after hundreds means tens.
        total += current * 10 if last == "hundred" else current
    return _Words(total, digits)


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


def _items(tokens: list[tuple[str, str]]) -> list[_Item]:
    """Group tokens into items: numbers (digits or words), units, halves, currency, gaps."""
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        after_unit = bool(items) and items[-1][0] == "unit"
        if value in _ZERO_WORDS:
            starts_run = nxt in _SUFFIX_OF_NUMBER or nxt in _SCALES or nxt in _CURRENCY
        elif value in _CONTINUATION_ONLY or value in _FILLER_ZERO:
            starts_run = after_unit
        else:
            starts_run = kind == "word" and value in _NUMBER_WORDS
        if kind == "num" and value.isdigit() and len(value) == 1 and nxt in _SUFFIX_OF_NUMBER:
            starts_run = True  # "2 trăm"
        if starts_run:
            run = [value]
            i += 1
            while i < len(tokens):
                nvalue = tokens[i][1]
                if nvalue in _HALF and run[-1] in _HUNDRED:
                    run.append(nvalue)  # "hai trăm rưỡi"
                elif nvalue in _NUMBER_WORDS or nvalue in _CONTINUATION_ONLY:
                    run.append(nvalue)
                else:
                    break
                i += 1
            items.append(("words", _read_words(run)))
            continue
        if kind == "num":
            items.append(("num", _read_digits(value)))
        elif value in _SCALES:
            items.append(("unit", value))
        elif value in _HALF:
            items.append(("half", value))
        elif value in _CURRENCY:
            items.append(("currency", value))
        else:
            items.append(("gap", value))
        i += 1
    return items


def _evaluate(items: list[_Item]) -> tuple[int | None, Problem, str]:
    """Walk the items with a small grammar: ``([number] unit)+ [remainder | rưỡi] [currency]``."""
    amounts: list[Decimal] = []
    total = Decimal(0)
    last_scale: int | None = None  # scale of the last unit group in the current amount
    pending: _Num | _Words | None = None
    pending_gap = False  # an ordinary word came between the pending number and now
    unit_just_closed = False
    currency = False

    for kind, payload in items:
        if isinstance(payload, _Num | _Words):
            if pending is not None:
                if pending_gap:
                    return None, "too_many_numbers", "two separate numbers"
                return None, "ambiguous", "two bare numbers side by side"
            if currency and (amounts or total):
                return None, "too_many_numbers", "number after the currency mark"
            pending, pending_gap, unit_just_closed = payload, False, False
        elif kind == "unit":
            scale = _SCALES[payload]
            if pending is None:
                if unit_just_closed and last_scale is not None and scale > last_scale:
                    total *= scale  # "nghìn tỷ": a unit of units
                    last_scale *= scale
                    continue
                if payload not in _STANDALONE_UNITS:
                    unit_just_closed = False
                    continue  # slang unit with no number: an ordinary word
                quantity = Decimal(1)
            else:
                quantity_or_error = _quantity(pending)
                if isinstance(quantity_or_error, str):
                    return None, "ambiguous", quantity_or_error
                quantity, pending = quantity_or_error, None
            if last_scale is not None and scale >= last_scale:
                amounts.append(total)  # a new amount starts: "5 triệu ... 3 triệu"
                total = Decimal(0)
            total += quantity * scale
            last_scale = scale
            unit_just_closed = True
        elif kind == "half":
            if not unit_just_closed or last_scale is None:
                return None, "ambiguous", "'rưỡi' not right after a unit"
            total += Decimal(last_scale) / 2
            unit_just_closed = False
            last_scale = 0  # nothing may follow "triệu rưỡi" in the same amount
        elif kind == "currency":
            if pending is not None and last_scale:
                remainder = _remainder(pending, last_scale)
                if remainder is None:
                    return None, "ambiguous", "unclear shorthand after a unit"
                total += remainder
                pending = None
            currency = True
            unit_just_closed = False
        else:  # an ordinary word
            pending_gap = pending is not None
            unit_just_closed = False

    if pending is not None:
        if last_scale:
            remainder = _remainder(pending, last_scale)
            if remainder is None:
                return None, "ambiguous", "unclear shorthand after a unit"
            total += remainder
        elif last_scale == 0:
            return None, "ambiguous", "a number after 'rưỡi'"
        elif amounts or total:
            return None, "too_many_numbers", "a second number without a unit"
        else:
            return _bare(pending, currency=currency)
    if last_scale is None and not amounts:
        return None, "not_money", "no amount found"
    amounts.append(total)
    if len(amounts) > 1:
        return None, "too_many_numbers", "more than one amount"
    value = amounts[0]
    if value != value.to_integral_value():
        return None, "ambiguous", "not a whole number of đồng"
    return int(value), "ok", "amount with units"


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
