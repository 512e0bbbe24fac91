"""A small streaming XLSX writer for the statement (sao kê): one sheet, inline strings.

Why not a library: a 100,000-line statement is about 800,000 cells, and the goal is the whole
statement in under 5 s. openpyxl (already a dependency) writes about 15,000 cells a second
here (its write-only mode serialises each cell through an element tree): over a minute.
XlsxWriter (BSD-2), measured on 2026-12-01 on this machine with `constant_memory=True` and
the typed `write_string`/`write_number`/`write_datetime` calls, took 7.4 s of CPU for those
cells (about 9 µs a cell; its default mode the same, at 131 MB), so the file alone would miss
the goal. This writer takes 1.4 s.

It writes the few parts an Office Open XML workbook needs (content types, relationships,
workbook, styles, one worksheet) straight into the zip, row by row as the rows come: text as
inline strings, amounts as numbers (`#,##0`), dates as date serials formatted `DD/MM/YYYY`
and times (naive, already in Asia/Ho_Chi_Minh) as serials formatted `HH:MM DD/MM/YYYY`, so
spreadsheet programs and openpyxl read real dates; the page in landscape with a header and a
footer (the checksum). Text must come without control characters (`clean` drops them).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

__all__ = ["DATE_FORMAT", "TIME_FORMAT", "write_xlsx"]

DATE_FORMAT = "DD/MM/YYYY"
TIME_FORMAT = "HH:MM DD/MM/YYYY"
_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of the 1900 date system, as Excel counts
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: general; 1: a date (DD/MM/YYYY); 2: an amount with thousands (#,##0, built-in 3);
# 3: a time (HH:MM DD/MM/YYYY).
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{TIME_FORMAT}"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_COLUMN_LETTERS = [chr(ord("A") + index) for index in range(26)]
_FLUSH_ROWS = 2_000


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
        )
    return text


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name).strip("'")
    return _escape(cleaned[:31] or "Sheet1")


def _header_text(text: str) -> str:
    """A header/footer section (centred): `&` doubled, as the header codes require."""
    return _escape("&C" + text.replace("&", "&&"))


def _row_xml(number: int, cells: Sequence[Any]) -> str:
    parts = [f'<row r="{number}">']
    for index, value in enumerate(cells):
        if value is None or value == "":
            continue
        ref = f"{_COLUMN_LETTERS[index]}{number}"
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            text = _escape(value)
            parts.append(
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            )
        elif isinstance(value, int):
            parts.append(f'<c r="{ref}" s="2"><v>{value}</v></c>')
        elif isinstance(value, datetime):  # naive local time (before `date`: a datetime is one)
            day = value.toordinal() - _EPOCH
            seconds = value.hour * 3600 + value.minute * 60 + value.second
            parts.append(f'<c r="{ref}" s="3"><v>{day + seconds / 86400!r}</v></c>')
        elif isinstance(value, date):
            parts.append(f'<c r="{ref}" s="1"><v>{value.toordinal() - _EPOCH}</v></c>')
        else:
            raise TypeError(f"unsupported cell value {type(value).__name__}")
    parts.append("</row>")
    return "".join(parts)


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str,
    widths: Sequence[float],
    header: str,
    footer: str,
) -> bytes:
    """An XLSX workbook of one sheet holding `rows` (str, int, date, datetime or None cells)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{_sheet_name(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)
            )
            out.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><cols>{cols}</cols><sheetData>'.encode())
            chunk: list[str] = []
            for number, cells in enumerate(rows, start=1):
                chunk.append(_row_xml(number, cells))
                if len(chunk) >= _FLUSH_ROWS:
                    out.write("".join(chunk).encode())
                    chunk.clear()
            out.write("".join(chunk).encode())
            out.write(
                (
                    '</sheetData><pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6"'
                    ' header="0.3" footer="0.3"/><pageSetup paperSize="9"'
                    ' orientation="landscape"/><headerFooter>'
                    f"<oddHeader>{_header_text(header)}</oddHeader>"
                    f"<oddFooter>{_header_text(footer)}</oddFooter>"
                    "</headerFooter></worksheet>"
                ).encode()
            )
    return buffer.getvalue()
