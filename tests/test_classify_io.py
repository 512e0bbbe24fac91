"""Tests for bot.classify_io: batch pre-screening on CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.classify_io import (
    _added_texts_unchanged,
    _guarded_cells,
    _KnownTexts,
    classify_file,
    format_report_vi,
)
from handlers.spreadsheet import safe_cell
from knowledge.batch import OUTPUT_COLUMNS, BatchClassifier, BatchFormatError
from storage.files import UnsafeTarget

DAY = date(2026, 11, 21)
HEADER = ["id", "area", "members", "monthly_income", "employment", "water", "sanitation"]
ROWS = [
    ["H1", "rural", "3", "4.500.000", "1", "1", "1"],
    ["", "rural", "3", "1", "0", "0", "0"],
    ["H3", "thành thị", "2", "9000000", "0", "0", "0"],
    ["H4", "urban", "0", "1", "0", "0", "0"],
    ["H5", "nông thôn", "1", "1000000", "có", "", "x"],
]


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig", sep: str = ","
) -> None:
    """Write a header and rows as CSV."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(HEADER)
        writer.writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    """Read a CSV written by classify_file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_bad_rows_reported_rest_classified(tmp_path: Path) -> None:
    """Bad rows are reported with their line numbers; the others are classified and written."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, ROWS)
    report = classify_file(source, target, day=DAY, locality=None)
    assert (report.rows_ok, report.rows_bad) == (3, 2)
    assert [line for line, _ in report.errors] == [3, 5]
    assert report.counts == {"poor": 1, "near_poor": 1, "average_living": 0, "not_poor": 1}
    assert report.standard_id == "vn-2022-2025"
    assert "information_access" in report.missing_columns
    out = read_csv(target)
    assert out[0] == [*HEADER, *OUTPUT_COLUMNS]
    assert len(out) == 1 + len(ROWS)
    by_id = {r[0]: dict(zip(out[0], r, strict=True)) for r in out[1:]}
    assert by_id["H1"]["category"] == "poor"
    assert by_id["H1"]["category_vi"] == "hộ nghèo"
    assert by_id["H5"]["deprived"] == "employment;sanitation"
    assert by_id["H4"]["error"] and not by_id["H4"]["category"]


def test_csv_semicolon_and_plain_utf8(tmp_path: Path) -> None:
    """A ;-separated UTF-8 file without BOM is read too."""
    source = tmp_path / "in.csv"
    write_csv(source, ROWS, encoding="utf-8", sep=";")
    report = classify_file(source, None, day=DAY, locality=None)
    assert (report.rows_ok, report.rows_bad) == (3, 2)


def test_csv_to_stream(tmp_path: Path) -> None:
    """With no output path the CSV goes to the given text stream."""
    source = tmp_path / "in.csv"
    write_csv(source, ROWS[:1])
    stream = io.StringIO()
    classify_file(source, None, day=DAY, locality=None, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("H1,")


def test_xlsx_in_and_out(tmp_path: Path) -> None:
    """An XLSX input with numeric cells is classified and the XLSX output reads back."""
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["H1", "rural", 3, 4_500_000, 1, 1, 1])
    sheet.append(["H2", "urban", 2.0, 9_000_000.0, 0, None, 0])
    sheet.append([None, None, None, None, None, None, None])  # blank row: skipped
    sheet.append(["H4", "urban", 0, 1, 0, 0, 0])
    workbook.save(source)
    report = classify_file(source, target, day=DAY, locality=None)
    assert (report.rows_ok, report.rows_bad) == (2, 1)
    assert report.errors[0][0] == 5
    result = load_workbook(target, read_only=True)
    rows = [list(r) for r in result.worksheets[0].iter_rows(values_only=True)]
    result.close()
    header = rows[0]
    assert header == [*HEADER, *OUTPUT_COLUMNS]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["id"], first["category"], first["income_per_person"]) == ("H1", "poor", 1_500_000)
    assert len(rows) == 4


def test_empty_and_headless_files_rejected(tmp_path: Path) -> None:
    """An empty file or one missing required columns is a format error."""
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(BatchFormatError):
        classify_file(empty, None, day=DAY, locality=None)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(BatchFormatError, match="id"):
        classify_file(wrong, None, day=DAY, locality=None)


def test_non_utf8_rejected(tmp_path: Path) -> None:
    """A CSV that is not UTF-8 gives a clear format error."""
    source = tmp_path / "in.csv"
    write_csv(source, [["H1", "nông thôn", "1", "1", "0", "0", "0"]], encoding="cp1258")
    with pytest.raises(BatchFormatError, match="UTF-8"):
        classify_file(source, None, day=DAY, locality=None)


def test_format_report_vi(tmp_path: Path) -> None:
    """The Vietnamese summary lists the standard, counts, missing columns and errors."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, ROWS)
    text = format_report_vi(classify_file(source, target, day=DAY, locality=None))
    assert "vn-2022-2025" in text
    assert "Số hộ đã phân loại: 3; số dòng lỗi: 2." in text
    assert "hộ nghèo: 1" in text
    assert "Dòng 3:" in text and "Dòng 5:" in text
    assert "information_access" in text
    assert str(target) in text


def test_error_list_is_capped(tmp_path: Path) -> None:
    """Only the first 1000 errors are kept; the count and summary still cover all."""
    source = tmp_path / "in.csv"
    write_csv(source, [["", "rural", "1", "1", "0", "0", "0"]] * 1200)
    report = classify_file(source, None, day=DAY, locality=None)
    assert (report.rows_bad, len(report.errors)) == (1200, 1000)
    assert "1.180 dòng lỗi khác" in format_report_vi(report)


def test_compare_date_adds_2027_columns_and_the_impact_summary(tmp_path: Path) -> None:
    """--compare-date 2027-01-01 reads each row under Decree 351 and counts who changes."""
    source = tmp_path / "ho.csv"
    rows = [
        ["A", "rural", "4", "8.000.000", "0", "1", "0"],  # 2026 average → 2027 near-poor/poor
        ["B", "rural", "4", "6.000.000", "1", "1", "1"],  # poor both years
        ["C", "urban", "1", "5.000.000", "0", "0", "0"],  # not poor both years
        ["D", "urban", "2", "5.000.000", "0", "0", "0"],  # average 2026 → near-poor 2027, sure
    ]
    write_csv(source, rows)
    out = tmp_path / "kq.csv"
    report = classify_file(
        source, out, day=date(2026, 12, 1), locality=None, compare_day=date(2027, 1, 1)
    )
    table = read_csv(out)
    header = table[0]
    assert header[-4:] == [
        "compare_standard",
        "compare_category",
        "compare_category_vi",
        "compare_settled",
    ]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    assert by_id["A"]["category"] == "average_living"
    assert by_id["A"]["compare_category"] == "near_poor|poor"
    assert by_id["A"]["compare_settled"] == "no"
    assert by_id["B"]["compare_category"] == "poor" and by_id["B"]["compare_settled"] == "yes"
    assert by_id["C"]["compare_category"] == "not_poor"
    assert by_id["D"]["compare_category"] == "near_poor" and by_id["D"]["compare_settled"] == "yes"
    assert report.transitions == {
        ("average_living", "unsettled"): 1,
        ("average_living", "near_poor"): 1,
        ("poor", "poor"): 1,
        ("not_poor", "not_poor"): 1,
    }
    text = format_report_vi(report)
    assert "So sánh với Chuẩn nghèo đa chiều quốc gia giai đoạn 2026–2030" in text
    assert "Đổi diện: 1 hộ; giữ nguyên: 2 hộ; chưa rõ: 1 hộ." in text
    assert "hộ có mức sống trung bình → hộ cận nghèo: 1" in text
    assert "hộ có mức sống trung bình → chưa rõ" in text and "tạm tính" in text


def test_compare_date_counts_a_settled_change(tmp_path: Path) -> None:
    """A household with 3 shared deprivations, between the lines, changes category for sure."""
    source = tmp_path / "ho.csv"
    write_csv(source, [["E", "rural", "2", "4.000.000", "1", "1", "1"]])
    report = classify_file(
        source, None, day=date(2026, 12, 1), locality=None, compare_day=date(2027, 1, 1)
    )
    assert report.transitions == {("average_living", "poor"): 1}
    assert "Đổi diện: 1 hộ" in format_report_vi(report)
    assert "hộ có mức sống trung bình → hộ nghèo: 1" in format_report_vi(report)


# ---------------------------------------------------------------- formula guard, private files

FORMULA_ROWS = [
    ['Nguyễn;=HYPERLINK("http://x")', "rural", "3", "4.500.000", "1", "1", "1"],
    ["=1+1", "urban", "2", "9000000", "0", "0", "0"],
    ["@SUM(A1)", "urban", "-1", "9000000", "0", "0", "0"],
    ["H4", "urban", "2", "+9000000", "0", "0", "0"],
    ["\tH5", "rural", "1", "1000000", "0", "0", "0"],
    ["H6, -2+3", "rural", "1", "1000000", "0", "0", "0"],
    ["H7", "rural", "1", "=1000000", "0", "0", "0"],
    ["H8-9", "rural", "1", "1000000", "0", "0", "0"],
]


def expected_guarded(rows: list[list[str]]) -> list[list[str]]:
    """The input cells as the one formula guard writes them."""
    return [[str(safe_cell(cell)) for cell in row] for row in rows]


def test_csv_output_passes_every_text_cell_through_the_formula_guard(tmp_path: Path) -> None:
    """Input cells, error messages and added texts are written as `safe_cell` leaves them."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, FORMULA_ROWS)
    classify_file(source, target, day=DAY, locality=None)
    out = read_csv(target)
    width = len(HEADER)
    assert [row[:width] for row in out[1:]] == expected_guarded(FORMULA_ROWS)
    assert out[1][0] == 'Nguyễn;\'=HYPERLINK("http://x")'
    assert out[2][0] == "'=1+1"
    assert out[6][0] == "H6, '-2+3"
    assert out[8][0] == "H8-9"  # nothing a formula could start at
    for row in out[1:]:  # nothing left that the guard would change, error messages included
        assert all(cell == safe_cell(cell) for cell in row)
    assert out[3][-1].startswith("số người (members)")  # "-1" members: a row error
    by_id = {row[0]: row for row in out[1:]}
    assert by_id["H8-9"][width + OUTPUT_COLUMNS.index("category")] == "near_poor"


def test_xlsx_output_holds_no_formula(tmp_path: Path) -> None:
    """In an XLSX result no cell is a formula: the texts are guarded before openpyxl sees them."""
    source, target = tmp_path / "in.csv", tmp_path / "out.xlsx"
    write_csv(source, FORMULA_ROWS)
    classify_file(source, target, day=DAY, locality=None)
    sheet = load_workbook(target).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    values = [[cell.value for cell in row][: len(HEADER)] for row in sheet.iter_rows(min_row=2)]
    assert values == expected_guarded(FORMULA_ROWS)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="=+-@;,\t\r\n \u00a0\x1fAb1đ'", max_size=8), max_size=5))
def test_fast_path_guards_exactly_like_safe_cell(values: list[str]) -> None:
    """The row-level shortcut gives what `safe_cell` gives on every cell, for any cells."""
    assert _guarded_cells(values) == [safe_cell(value) for value in values]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_output_file_is_private(tmp_path: Path, suffix: str) -> None:
    """The result is created 0600 in a new 0700 folder; an existing 0644 file is tightened."""
    source = tmp_path / "in.csv"
    write_csv(source, ROWS)
    target = tmp_path / "new" / "deeper" / f"out{suffix}"
    classify_file(source, target, day=DAY, locality=None)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.parent.parent.stat().st_mode) == 0o700
    loose = tmp_path / f"loose{suffix}"
    loose.write_bytes(b"old content that is longer than nothing" * 1000)
    loose.chmod(0o644)
    report = classify_file(source, loose, day=DAY, locality=None)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    assert report.rows_ok == 3
    if suffix == ".csv":
        assert read_csv(loose)[0][0] == "id"  # replaced, not appended to
    else:
        assert load_workbook(loose).worksheets[0].cell(1, 1).value == "id"


@pytest.mark.parametrize("dangling", [False, True])
def test_output_through_a_symlink_is_refused(tmp_path: Path, dangling: bool) -> None:
    """A link at the output path (to a file or to nothing) is refused; nothing is written."""
    source = tmp_path / "in.csv"
    write_csv(source, ROWS)
    elsewhere = tmp_path / "elsewhere.csv"
    if not dangling:
        elsewhere.write_text("keep", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(elsewhere)
    with pytest.raises(UnsafeTarget):
        classify_file(source, link, day=DAY, locality=None)
    assert link.is_symlink()
    if dangling:
        assert not elsewhere.exists()
    else:
        assert elsewhere.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(
    ("day", "locality"),
    [(DAY, None), (DAY, "hcm"), (date(2027, 1, 1), None), (date(2020, 6, 1), None)],
)
def test_texts_the_classifier_adds_need_no_guard_in_the_shipped_standards(
    day: date, locality: str | None
) -> None:
    """Ids, categories, reasons and codes of the shipped standards are left as they are."""
    classifier = BatchClassifier(
        ["id", "area", "members", "monthly_income"], day=day, locality=locality
    )
    assert _added_texts_unchanged(classifier)
    texts = classifier.added_texts()
    assert classifier.standard.id in texts and "hộ nghèo" in texts
    assert all(str(safe_cell(text)) == text for text in texts)


def test_known_texts_are_guarded_once() -> None:
    """A text a spreadsheet could run is guarded by `safe_cell` and kept for the next row."""
    known = _KnownTexts()
    assert known["=1+1"] == "'=1+1"
    assert known["a;-b"] == "a;'-b"
    assert known["hộ nghèo"] == "hộ nghèo"
    assert dict(known) == {"=1+1": "'=1+1", "a;-b": "a;'-b", "hộ nghèo": "hộ nghèo"}


def test_control_characters_are_dropped_from_an_xlsx_result(tmp_path: Path) -> None:
    """A household code with control characters does not stop an XLSX result; CSV keeps them."""
    source = tmp_path / "in.csv"
    write_csv(source, [["H\x01\x1f1", "rural", "3", "4.500.000", "1", "1", "1"]])
    report = classify_file(source, tmp_path / "out.xlsx", day=DAY, locality=None)
    assert report.rows_ok == 1
    sheet = load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert sheet.cell(2, 1).value == "H1"
    classify_file(source, tmp_path / "out.csv", day=DAY, locality=None)
    assert read_csv(tmp_path / "out.csv")[1][0] == "H\x01\x1f1"


def test_cli_refuses_a_symlink_output_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    """`giamngheo classify in.csv -o <link>`: exit 2 and one clear line, nothing written."""
    source = tmp_path / "in.csv"
    write_csv(source, ROWS)
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    command = [sys.executable, "-m", "bot", "--db", str(tmp_path / "c.sqlite3"), "classify"]
    done = subprocess.run(
        [*command, str(source), "-o", str(link)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Lỗi / Error" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "nowhere.csv").exists()
