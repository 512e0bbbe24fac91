"""Officers' batch pre-screening (sàng lọc sơ bộ): classify many households from a table.

A ward officer (cán bộ phường) exports a table with one household per row and gets each row's
indicative category back. This module is pure: it takes rows that were already read and yields
results; reading and writing CSV/XLSX lives in ``bot/classify_io.py``.

Input columns (header names are case-insensitive):

* ``id`` — household code (required, non-empty);
* ``area`` — rural/urban, also ``nong_thon``/``thanh_thi`` and ``nông thôn``/``thành thị``;
* ``members`` — whole number from 1 to 30 in ASCII digits (``knowledge.money``'s range);
* ``monthly_income`` — household total per month in đồng, 0 to 10 tỷ (``knowledge.money``'s
  range): ``1500000``, ``1.500.000``, ``1,500,000`` or anything
  :func:`knowledge.money.parse_money` reads without ambiguity (full-width and Arabic-Indic
  digits included, on purpose);
* one column per indicator code of the standard in force, marked ``1``/``0``, ``có``/``không``,
  ``co``/``khong``, ``yes``/``no``, ``x``/blank. A missing indicator column counts as "not
  deprived" and is reported once, up front, by :func:`missing_indicator_columns`.

Speed: the standard, column positions and rule bands are resolved once; each row is a list of
strings turned into a small tuple (:class:`RowResult` is a ``NamedTuple``). The category comes
from :func:`knowledge.assessment.match_rule`, the same rule implementation the resident
self-check uses. A bad row gives a :class:`RowError` and the stream carries on.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import NamedTuple

from knowledge.assessment import (
    CATEGORY_LABELS_VI,
    Area,
    Category,
    Standard,
    match_rule,
    standard_for,
)
from knowledge.money import (
    MAX_MEMBERS,
    MAX_MONTHLY_INCOME,
    MIN_MEMBERS,
    MIN_MONTHLY_INCOME,
    format_vnd,
    in_monthly_income_range,
    parse_money,
)
from knowledge.transition import Projection, SavedAnswers, project

__all__ = [
    "COMPARE_COLUMNS",
    "OUTPUT_COLUMNS",
    "REQUIRED_COLUMNS",
    "BatchClassifier",
    "BatchFormatError",
    "RowError",
    "RowResult",
    "classify_rows",
    "compare_values",
    "missing_indicator_columns",
    "normalize_header",
    "project_row",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("id", "area", "members", "monthly_income")
# Columns the output adds after the input's own columns.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "standard",
    "income_per_person",
    "deprived_count",
    "deprived",
    "category",
    "category_vi",
    "reason",
    "error",
)

_AREAS: dict[str, Area] = {
    "rural": "rural",
    "urban": "urban",
    "nong_thon": "rural",
    "nong thon": "rural",
    "nông thôn": "rural",
    "nông_thôn": "rural",
    "thanh_thi": "urban",
    "thanh thi": "urban",
    "thành thị": "urban",
    "thành_thị": "urban",
}
_FLAGS: dict[str, int] = {
    "1": 1,
    "0": 0,
    "": 0,
    "có": 1,
    "co": 1,
    "không": 0,
    "khong": 0,
    "yes": 1,
    "no": 0,
    "y": 1,
    "n": 0,
    "x": 1,
    "true": 1,
    "false": 0,
}
_GROUPED = re.compile(r"\d{1,3}(?:([., \u00a0])\d{3})(?:\1\d{3})*")
# Household sizes as typed, in ASCII digits without a leading zero: "1" … "30".
_MEMBERS: dict[str, int] = {str(n): n for n in range(MIN_MEMBERS, MAX_MEMBERS + 1)}
# More digits than the largest income has cannot be in range (and `int` is never asked to
# read thousands of digits).
_INCOME_DIGITS = len(str(MAX_MONTHLY_INCOME))
_SHOWN_CHARS = 40
_INCOME_RANGE_VI = (
    f"thu nhập tháng (monthly_income) phải từ {format_vnd(MIN_MONTHLY_INCOME)}"
    f" đến {format_vnd(MAX_MONTHLY_INCOME)}"
)
_MEMBERS_RANGE_VI = (
    f"số người (members) phải là số nguyên từ {MIN_MEMBERS} đến {MAX_MEMBERS}, viết bằng chữ số"
)


class BatchFormatError(ValueError):
    """The table cannot be classified at all (e.g. a required column is missing)."""


class RowResult(NamedTuple):
    """One classified household row.

    Attributes:
        line: Line number in the input (header = line 1).
        id: Household code.
        area: "rural" or "urban".
        members: Household size.
        monthly_income: Household total per month, đồng.
        income_per_person: Monthly income per person, đồng (rounded down).
        deprived_count: Number of deprived indicators.
        deprived: Deprived codes joined by ";".
        category: Indicative category.
        reason: Short Vietnamese reason.
        standard: Id of the standard used.
    """

    line: int
    id: str
    area: Area
    members: int
    monthly_income: int
    income_per_person: int
    deprived_count: int
    deprived: str
    category: Category
    reason: str
    standard: str

    def output_values(self, text: Callable[[str], str] | None = None) -> tuple[str | int, ...]:
        """Values for :data:`OUTPUT_COLUMNS`, in order.

        Args:
            text: Applied to each non-empty text value (the writer passes its formula guard;
                numbers are left alone); None leaves them as they are, at no cost.
        """
        if text is None:
            return (
                self.standard,
                self.income_per_person,
                self.deprived_count,
                self.deprived,
                self.category,
                CATEGORY_LABELS_VI[self.category],
                self.reason,
                "",
            )
        return (
            text(self.standard),
            self.income_per_person,
            self.deprived_count,
            text(self.deprived) if self.deprived else "",
            text(self.category),
            text(CATEGORY_LABELS_VI[self.category]),
            text(self.reason),
            "",
        )


class RowError(NamedTuple):
    """A row that could not be classified.

    Attributes:
        line: Line number in the input (header = line 1).
        message: Vietnamese message for the officer.
    """

    line: int
    message: str

    def output_values(self, text: Callable[[str], str] | None = None) -> tuple[str | int, ...]:
        """Values for :data:`OUTPUT_COLUMNS`, in order (only ``error`` is set).

        Args:
            text: Applied to the message (the writer passes its formula guard), if given.
        """
        return ("", "", "", "", "", "", "", self.message if text is None else text(self.message))


def normalize_header(name: object) -> str:
    """Header cell → column key: NFC, no BOM, trimmed, lower-case."""
    text = "" if name is None else str(name)
    return unicodedata.normalize("NFC", text.replace("\ufeff", "")).strip().lower()


def missing_indicator_columns(header: Sequence[object], standard: Standard) -> tuple[str, ...]:
    """Indicator codes of ``standard`` that have no column in ``header`` (in the standard's order).

    A missing column counts as "not deprived" for every row.
    """
    present = {normalize_header(name) for name in header}
    return tuple(code for code in standard.indicator_codes if code not in present)


def _shown(raw: str) -> str:
    """A cell quoted for an error message, cut to 40 characters."""
    return repr(raw if len(raw) <= _SHOWN_CHARS else raw[:_SHOWN_CHARS] + "…")


def _digits_amount(digits: str) -> int | None:
    """The amount ASCII or Unicode decimal digits stand for; None when too long to be in range."""
    return int(digits) if len(digits) <= _INCOME_DIGITS else None


def _parse_income(raw: str) -> int | str:
    """Household monthly income in đồng (0 to 10 tỷ), or a Vietnamese error message."""
    text = raw.strip()
    amount: int | None
    if text.isdigit() and text.isascii():
        if len(text) < _INCOME_DIGITS:  # fast path: under 10 tỷ for sure
            return int(text)
        amount = _digits_amount(text)
    elif _GROUPED.fullmatch(text):
        amount = _digits_amount(re.sub(r"\D", "", text))
    else:
        parsed = parse_money(text)
        if parsed.amount is None:
            if parsed.problem == "negative":
                return f"thu nhập không được âm: {_shown(raw)}"
            if parsed.problem == "empty":
                return "thiếu thu nhập (monthly_income)"
            return f"không đọc được thu nhập: {_shown(raw)}"
        if parsed.period == "year":
            return f"cột monthly_income là thu nhập tháng, không phải năm: {_shown(raw)}"
        amount = parsed.amount
    if amount is None or not in_monthly_income_range(amount):
        return f"{_INCOME_RANGE_VI}: {_shown(raw)}"
    return amount


def _picker(indexes: tuple[int, ...]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """A fast function returning the cells at ``indexes`` as a tuple."""
    if len(indexes) >= 2:
        return operator.itemgetter(*indexes)
    if len(indexes) == 1:
        only = indexes[0]
        return lambda values: (values[only],)
    return lambda values: ()


class BatchClassifier:
    """Classifies rows given as lists of strings in a fixed column order.

    Build it once per table from the header; then call :meth:`classify` per row.

    Attributes:
        standard: The standard in force.
        header: Normalised column keys.
        missing_columns: Indicator codes with no column (counted as not deprived).
    """

    def __init__(self, header: Sequence[object], *, day: date, locality: str | None) -> None:
        """Resolve the standard and the column positions once.

        Args:
            header: The header row.
            day: Date of the check (chooses the standard).
            locality: Locality code for a local standard, or None.

        Raises:
            BatchFormatError: A required column is missing or appears twice.
            NoStandardError: No standard in force on ``day``.
        """
        self.standard = standard_for(day, locality)
        self.header = tuple(normalize_header(name) for name in header)
        positions: dict[str, int] = {}
        for index, key in enumerate(self.header):
            if key in positions and (
                key in REQUIRED_COLUMNS or key in self.standard.indicator_codes
            ):
                raise BatchFormatError(f"Cột {key!r} xuất hiện hai lần.")
            positions.setdefault(key, index)
        absent = [name for name in REQUIRED_COLUMNS if name not in positions]
        if absent:
            raise BatchFormatError("Thiếu cột bắt buộc: " + ", ".join(absent) + ".")
        self.missing_columns = missing_indicator_columns(self.header, self.standard)
        self._width = len(self.header)
        self._id = positions["id"]
        self._area = positions["area"]
        self._members = positions["members"]
        self._income = positions["monthly_income"]
        self._indicators = tuple(
            (code, positions[code]) for code in self.standard.indicator_codes if code in positions
        )
        self._codes = tuple(code for code, _ in self._indicators)
        self._pick = _picker(tuple(index for _, index in self._indicators))
        self._rules = self.standard.compiled

    def added_texts(self) -> tuple[str, ...]:
        """Every text a :class:`RowResult` adds apart from the deprived codes' list.

        The standard's id, the categories and their Vietnamese labels, and each rule's reason;
        the deprived list joins :attr:`Standard.indicator_codes` with ";". A writer checks
        these once instead of on every row.
        """
        reasons = (rule.reason for rules in self._rules.values() for rule in rules)
        return (self.standard.id, *CATEGORY_LABELS_VI, *CATEGORY_LABELS_VI.values(), *reasons)

    def classify(self, line: int, values: Sequence[str]) -> RowResult | RowError:
        """Classify one row.

        Args:
            line: The row's line number, reported back.
            values: Cell texts in header order (short rows are padded with blanks).

        Returns:
            The result, or an error naming what is wrong.
        """
        if len(values) < self._width:
            values = [*values, *([""] * (self._width - len(values)))]
        ident = values[self._id].strip()
        if not ident:
            return RowError(line, "thiếu mã hộ (id)")
        raw_area = values[self._area]
        area = _AREAS.get(raw_area) or _AREAS.get(
            unicodedata.normalize("NFC", raw_area).strip().lower()
        )
        if area is None:
            return RowError(line, f"khu vực (area) không hợp lệ: {_shown(raw_area)}")
        raw_members = values[self._members]
        members = _MEMBERS.get(raw_members) or _MEMBERS.get(raw_members.strip())
        if members is None:
            return RowError(line, f"{_MEMBERS_RANGE_VI}: {_shown(raw_members.strip())}")
        income = _parse_income(values[self._income])
        if isinstance(income, str):
            return RowError(line, income)
        picked = self._pick(values)
        ones = picked.count("1")
        if ones + picked.count("0") == len(picked):  # fast path: plain 1/0 cells
            deprived = (
                [c for c, v in zip(self._codes, picked, strict=True) if v == "1"] if ones else None
            )
        else:
            deprived = []
            for code, raw in zip(self._codes, picked, strict=True):
                flag = _FLAGS.get(raw)
                if flag is None:
                    flag = _FLAGS.get(unicodedata.normalize("NFC", raw).strip().lower())
                    if flag is None:
                        return RowError(line, f"giá trị không hợp lệ ở cột {code}: {_shown(raw)}")
                if flag:
                    deprived.append(code)
        count = len(deprived) if deprived else 0
        per_person = income // members  # shown only; the rule compares the exact total
        rule = match_rule(12 * income, members, count, self._rules[area])
        return RowResult(
            line,
            ident,
            area,
            members,
            income,
            per_person,
            count,
            ";".join(deprived) if deprived else "",
            rule.category,
            rule.reason,
            self.standard.id,
        )


def classify_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], *, day: date, locality: str | None
) -> Iterator[RowResult | RowError]:
    """Classify rows given as (line number, column → text) pairs, streaming.

    The columns are taken from the first row's keys. Call :func:`missing_indicator_columns`
    on the header first to tell the officer which indicator columns are absent.

    Args:
        rows: (line number, raw dict) pairs, e.g. from ``csv.DictReader`` with ``start=2``.
        day: Date of the check (chooses the standard).
        locality: Locality code for a local standard, or None.

    Yields:
        One result or error per row, in input order.

    Raises:
        BatchFormatError: A required column is missing (raised on the first row).
    """
    classifier: BatchClassifier | None = None
    keys: tuple[str, ...] = ()
    for line, row in rows:
        if classifier is None:
            keys = tuple(row.keys())
            classifier = BatchClassifier(keys, day=day, locality=locality)
        yield classifier.classify(line, [row.get(key) or "" for key in keys])


# Columns ``giamngheo classify --compare-date`` adds after OUTPUT_COLUMNS.
COMPARE_COLUMNS: tuple[str, ...] = (
    "compare_standard",
    "compare_category",
    "compare_category_vi",
    "compare_settled",
)


def project_row(
    result: RowResult, *, day: date, locality: str | None, target_day: date
) -> Projection:
    """What a classified row gives under the standard in force on ``target_day``.

    The row's indicator answers carry over as in :mod:`knowledge.transition`: shared
    indicators keep their value, an indicator new in the target standard is unknown, and the
    lack of internet is counted once.

    Args:
        result: The row as classified on ``day``.
        day: The day the row was classified for.
        locality: Locality code used for the row, or None.
        target_day: The day whose standard the row is read under.

    Returns:
        The projection with every category the row can give.
    """
    answers = SavedAnswers(
        checked_on=day,
        standard_id=result.standard,
        area=result.area,
        locality=locality,
        members=result.members,
        monthly_income=result.monthly_income,
        yearly_income=None,
        deprived=frozenset(result.deprived.split(";")) if result.deprived else frozenset(),
        unknown=frozenset(),
        facts=frozenset(),
    )
    return project(answers, target_day)


def compare_values(projection: Projection) -> tuple[str, ...]:
    """Values for :data:`COMPARE_COLUMNS`: categories joined by "|" when not settled."""
    return (
        projection.standard.id,
        "|".join(projection.categories),
        " hoặc ".join(CATEGORY_LABELS_VI[category] for category in projection.categories),
        "yes" if projection.settled else "no",
    )
