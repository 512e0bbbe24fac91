"""File side of the officers' batch pre-screening: read CSV/XLSX, write CSV/XLSX, summarise.

``giamngheo classify INPUT [--date] [--locality] [--compare-date D] [-o OUTPUT]`` calls
:func:`classify_file` and prints :func:`format_report_vi`. With ``--compare-date`` every row is
also read under the standard in force on that day (:func:`knowledge.batch.project_row`): the
output gets :data:`knowledge.batch.COMPARE_COLUMNS` and the report the ward's impact summary,
how many households change category, by category. The classification itself is pure and lives in
:mod:`knowledge.batch`; this module only streams rows in and out, so a million-row file is
processed in constant memory: nothing but the capped error list is kept.

* Input: ``.xlsx`` (first sheet, read-only) or CSV in UTF-8 with or without BOM; the CSV
  delimiter (``,`` ``;`` or tab) is taken from the header line, because Vietnamese Excel often
  saves ``;``-separated files.
* Output: every input row with its own columns followed by
  :data:`knowledge.batch.OUTPUT_COLUMNS`; bad rows keep their data and get the ``error`` column.
  ``.xlsx`` when the output path ends in ``.xlsx``, otherwise CSV in UTF-8 with BOM (so Excel
  shows Vietnamese correctly). With no output path the CSV goes to ``stream`` if one is given.
  An XLSX cell cannot hold most control characters: they are dropped there.
* Every text cell written passes the one formula guard, :func:`handlers.spreadsheet.safe_cell`
  (an apostrophe wherever a spreadsheet could start a formula, not only at the first
  character). A row of input cells with no place a formula could start is written as it is
  (:func:`_guarded_cells`: a join and a character scan per row, not a regex per cell); the
  texts the classifier adds come from a small set, checked once per file
  (:func:`_added_texts_unchanged`) and otherwise guarded once each (:class:`_KnownTexts`).
* The output file holds households' incomes and situations: it is created readable by its owner
  only (0600; a missing folder 0700) through :mod:`storage.files`, and a symbolic link at the
  output path is refused (:class:`storage.files.UnsafeTarget`), never followed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

from handlers.spreadsheet import safe_cell
from knowledge.assessment import CATEGORIES, CATEGORY_LABELS_VI, Category
from knowledge.batch import (
    COMPARE_COLUMNS,
    OUTPUT_COLUMNS,
    BatchClassifier,
    BatchFormatError,
    RowResult,
    compare_values,
    project_row,
)
from storage.files import FILE_MODE, UnsafeTarget, create_private

__all__ = ["ClassifyReport", "classify_file", "format_report_vi"]

MAX_ERRORS_KEPT = 1000
_MAX_KNOWN_TEXTS = 10_000
# Characters without which `safe_cell` leaves every cell as it is (a formula starts with one of
# `=+-@`, or a tab or carriage return at a cell's start).
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Exactly the places `safe_cell` guards, in a row's cells joined by "\x1f": the start of a cell
# (spaces allowed) before `=+-@`, tab or CR, and `;` `,` tab, CR or LF (spaces allowed) before
# `=+-@`. A "\x1f" inside a cell can only add matches, so no guarded cell is ever missed.
# Control characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_GUARDED_PLACE = re.compile(r"(?:^|\x1f)[ \u00a0]*[=+\-@\t\r]|[;,\t\r\n][ \u00a0]*[=+\-@]")


@dataclass
class ClassifyReport:
    """Summary of one batch run.

    Attributes:
        standard_id: Id of the standard used.
        standard_name: Vietnamese name of the standard used.
        standard_provisional: Whether the standard has provisional parts.
        rows_ok: Rows classified.
        rows_bad: Rows with an error.
        errors: (line, Vietnamese message) for the first ``MAX_ERRORS_KEPT`` bad rows.
        missing_columns: Indicator codes without a column (counted as not deprived).
        counts: Rows per category.
        output_path: Where the results were written, if anywhere.
        compare_day: The day of the comparison standard, if one was asked for.
        compare_standard_name: Vietnamese name of the comparison standard.
        compare_provisional: Whether any comparison rests on provisional rules or unknowns.
        transitions: (category today, category then or "unsettled") → rows.
    """

    standard_id: str
    standard_name: str
    standard_provisional: bool
    rows_ok: int = 0
    rows_bad: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    missing_columns: tuple[str, ...] = ()
    counts: dict[Category, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    output_path: Path | None = None
    compare_day: date | None = None
    compare_standard_name: str = ""
    compare_provisional: bool = False
    transitions: dict[tuple[Category, str], int] = field(default_factory=dict)


def _cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported lazily: CSV runs do not pay for it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = [_cell_text(value) for value in row]
            if any(values):
                yield number, values
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
            delimiter = max(counts, key=lambda sep: counts[sep])
            handle.seek(0)
            if handle.read(1) != "\ufeff":
                handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter)
            for values in reader:
                if values:
                    yield reader.line_num, values
    except UnicodeDecodeError as error:
        raise BatchFormatError("Tệp CSV phải dùng mã hóa UTF-8.") from error


class _KnownTexts(dict[str, str]):
    """Texts from a small set (standard, categories, reasons, deprived codes), each guarded once.

    Looking one up (``known[text]``) is a dictionary hit after the first time; the guarded form
    is computed by :func:`handlers.spreadsheet.safe_cell` on a miss and kept (up to
    :data:`_MAX_KNOWN_TEXTS` texts, beyond which it is computed each time).
    """

    def __missing__(self, key: str) -> str:
        guarded = str(safe_cell(key))
        if len(self) < _MAX_KNOWN_TEXTS:
            self[key] = guarded
        return guarded


def _guarded(value: str) -> str:
    """One text through the formula guard (for texts of their own, such as error messages)."""
    return str(safe_cell(value))


def _added_texts_unchanged(classifier: BatchClassifier) -> bool:
    """Whether the guard would leave every text the classifier adds as it is.

    True for the standards shipped (ids, categories, reasons and indicator codes hold no place
    a formula could start), so rows then skip the guard on the added cells; a deprived list
    ``a;b`` is safe when each code is, at the start of a cell and after ";".
    """
    if any(safe_cell(text) != text for text in classifier.added_texts()):
        return False
    return not any(
        _GUARDED_PLACE.search(code) or _GUARDED_PLACE.search(";" + code)
        for code in classifier.standard.indicator_codes
    )


def _guarded_cells(values: list[str]) -> list[str]:
    """A row's text cells, each through :func:`handlers.spreadsheet.safe_cell` if it changes one.

    The guard itself is the one in ``handlers/spreadsheet.py``; this only skips the cells it
    would leave unchanged. The row is joined once: without any of :data:`_TRIGGERS`, or
    without a place :data:`_GUARDED_PLACE` finds, no cell would change and the row is returned
    as it is; otherwise every cell goes through ``safe_cell``.
    """
    joined = "\x1f".join(values)
    if not (
        "=" in joined
        or "+" in joined
        or "-" in joined
        or "@" in joined
        or "\t" in joined
        or "\r" in joined
    ):
        return values  # none of `_TRIGGERS`: written out so that each is one fast scan
    if _GUARDED_PLACE.search(joined) is None:
        return values
    return [_guarded(value) for value in values]


def _open_private(path: Path) -> int:
    """A descriptor writing `path` from empty: created 0600 (folder 0700), never via a link.

    Raises:
        UnsafeTarget: `path` is a symbolic link, or was replaced by something else meanwhile.
    """
    create_private(path, truncate=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():  # replaced by a link since `create_private` checked
            raise UnsafeTarget(path) from exc
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != FILE_MODE:
        os.close(fd)
        raise UnsafeTarget(path)
    return fd


class _Sink:
    """Writes result rows to CSV (file or stream) or XLSX, or nowhere; files are private."""

    def __init__(self, output_path: Path | None, stream: TextIO | None) -> None:
        self._handle: TextIO | None = None
        self._binary: BinaryIO | None = None
        self._workbook: object | None = None
        self._xlsx = output_path is not None and output_path.suffix.lower() == ".xlsx"
        self._csv_writer = None
        self._sheet = None
        if output_path is not None and self._xlsx:
            from openpyxl import Workbook

            self._binary = os.fdopen(_open_private(output_path), "wb")
            workbook = Workbook(write_only=True)
            self._sheet = workbook.create_sheet("ket_qua")
            self._workbook = workbook
        elif output_path is not None:
            raw = os.fdopen(_open_private(output_path), "wb")
            self._handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            self._csv_writer = csv.writer(self._handle)
        elif stream is not None:
            self._csv_writer = csv.writer(stream)

    def write(self, row: Sequence[object]) -> None:
        if self._csv_writer is not None:
            self._csv_writer.writerow(row)
        elif self._sheet is not None:
            # XLSX cannot hold most control characters (openpyxl raises): they are dropped.
            self._sheet.append([_XLSX_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in row])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._binary is not None:
            try:
                if self._workbook is not None:
                    from openpyxl import Workbook

                    assert isinstance(self._workbook, Workbook)
                    self._workbook.save(self._binary)
            finally:
                self._binary.close()


def classify_file(
    input_path: Path,
    output_path: Path | None,
    *,
    day: date,
    locality: str | None,
    stream: TextIO | None = None,
    compare_day: date | None = None,
) -> ClassifyReport:
    """Classify every household row of a CSV or XLSX file.

    Args:
        input_path: ``.xlsx`` or CSV file with the columns described in :mod:`knowledge.batch`.
        output_path: Where to write results (``.xlsx`` → Excel, else CSV), or None.
        day: Date of the check (chooses the standard).
        locality: Locality code for a local standard, or None.
        stream: Text stream for CSV results when ``output_path`` is None (e.g. stdout).
        compare_day: Also read every row under the standard in force on this day.

    Returns:
        The run's summary.

    Raises:
        BatchFormatError: Empty file, missing required column, or not UTF-8.
        NoStandardError: No standard in force on ``day``.
        OSError: The files cannot be read or written.
    """
    is_xlsx = input_path.suffix.lower() == ".xlsx"
    rows = _xlsx_rows(input_path) if is_xlsx else _csv_rows(input_path)
    first = next(rows, None)
    if first is None:
        raise BatchFormatError("Tệp không có dữ liệu (thiếu dòng tiêu đề).")
    header = first[1]
    classifier = BatchClassifier(header, day=day, locality=locality)
    standard = classifier.standard
    report = ClassifyReport(
        standard_id=standard.id,
        standard_name=standard.name,
        standard_provisional=standard.provisional,
        missing_columns=classifier.missing_columns,
        output_path=output_path,
        compare_day=compare_day,
    )
    width = len(header)
    sink = _Sink(output_path, stream)
    extra = COMPARE_COLUMNS if compare_day is not None else ()
    blank = ("",) * len(extra)
    known = _KnownTexts().__getitem__
    added = None if _added_texts_unchanged(classifier) else known
    cells = _guarded_cells
    try:
        sink.write([*cells(list(header)), *OUTPUT_COLUMNS, *map(known, extra)])
        classify = classifier.classify
        counts = report.counts
        errors = report.errors
        write = sink.write
        ok = bad = 0
        for line, values in rows:
            result = classify(line, values)
            if len(values) < width:
                values = [*values, *([""] * (width - len(values)))]
            if isinstance(result, RowResult):
                ok += 1
                counts[result.category] += 1
                compared: tuple[str, ...] = ()
                if compare_day is not None:
                    compared = tuple(
                        map(known, _compare(report, result, day=day, locality=locality))
                    )
                write([*cells(values), *result.output_values(added), *compared])
            else:
                bad += 1
                if len(errors) < MAX_ERRORS_KEPT:
                    errors.append((result.line, result.message))
                write([*cells(values), *result.output_values(_guarded), *blank])
        report.rows_ok, report.rows_bad = ok, bad
    finally:
        sink.close()
    return report


def _compare(
    report: ClassifyReport, result: RowResult, *, day: date, locality: str | None
) -> tuple[str, ...]:
    """Reads one row under the comparison standard and counts its transition."""
    assert report.compare_day is not None
    projection = project_row(result, day=day, locality=locality, target_day=report.compare_day)
    report.compare_standard_name = projection.standard.name
    report.compare_provisional = report.compare_provisional or projection.provisional
    then = projection.categories[0] if projection.settled else "unsettled"
    key = (result.category, then)
    report.transitions[key] = report.transitions.get(key, 0) + 1
    return compare_values(projection)


def _impact_lines(report: ClassifyReport) -> list[str]:
    """The ward's impact summary: how many households change category, by category."""
    assert report.compare_day is not None
    day = report.compare_day.strftime("%d/%m/%Y")
    changed = sum(
        n for (now, then), n in report.transitions.items() if then not in (now, "unsettled")
    )
    same = sum(n for (now, then), n in report.transitions.items() if then == now)
    unsettled = sum(n for (_, then), n in report.transitions.items() if then == "unsettled")
    lines = [
        f"So sánh với {report.compare_standard_name}, tính cho ngày {day}:",
        f"  Đổi diện: {changed:,} hộ; giữ nguyên: {same:,} hộ; chưa rõ: {unsettled:,} hộ.".replace(
            ",", "."
        ),
    ]
    order = {category: index for index, category in enumerate(CATEGORIES)}
    for (now, then), count in sorted(
        report.transitions.items(), key=lambda item: (order[item[0][0]], item[0][1])
    ):
        target = (
            "chưa rõ (phụ thuộc các chỉ số mới chưa có dữ liệu)"
            if then == "unsettled"
            else CATEGORY_LABELS_VI[then]  # type: ignore[index]
        )
        number = f"{count:,}".replace(",", ".")
        lines.append(f"  - {CATEGORY_LABELS_VI[now]} → {target}: {number}")
    if report.compare_provisional:
        lines.append(
            "  Lưu ý: danh sách chỉ số và mức sống trung bình của chuẩn mới chưa được xác nhận "
            "đầy đủ; phần so sánh là tạm tính, cần xác nhận với văn bản chính thức."
        )
    return lines


def format_report_vi(report: ClassifyReport, *, max_errors_shown: int = 20) -> str:
    """Vietnamese summary of a batch run for the terminal.

    Args:
        report: The run's summary.
        max_errors_shown: How many error lines to list.

    Returns:
        Several lines of text, without a trailing newline.
    """
    lines = [
        f"Chuẩn áp dụng: {report.standard_name} ({report.standard_id}).",
        f"Số hộ đã phân loại: {report.rows_ok:,}; số dòng lỗi: {report.rows_bad:,}.".replace(
            ",", "."
        ),
    ]
    for category in CATEGORIES:
        count = f"{report.counts.get(category, 0):,}".replace(",", ".")
        lines.append(f"  - {CATEGORY_LABELS_VI[category]}: {count}")
    if report.missing_columns:
        lines.append(
            "Thiếu cột chỉ số (được tính là không thiếu hụt): "
            + ", ".join(report.missing_columns)
            + "."
        )
    if report.errors:
        lines.append("Các dòng lỗi:")
        for line, message in report.errors[:max_errors_shown]:
            lines.append(f"  - Dòng {line}: {message}")
        hidden = report.rows_bad - min(len(report.errors), max_errors_shown)
        if hidden > 0:
            lines.append(f"  … và {hidden:,} dòng lỗi khác.".replace(",", "."))
    if report.standard_provisional:
        lines.append(
            "Lưu ý: một số mức chuẩn hoặc chỉ số của chuẩn này là tạm tính, "
            "cần xác nhận với văn bản chính thức."
        )
    if report.compare_day is not None and report.rows_ok:
        lines += _impact_lines(report)
    lines.append(
        "Kết quả chỉ để sàng lọc sơ bộ; kết quả chính thức do UBND xã/phường/đặc khu xác định qua "
        "rà soát."
    )
    if report.output_path is not None:
        lines.append(f"Đã ghi kết quả vào: {report.output_path}")
    return "\n".join(lines)
