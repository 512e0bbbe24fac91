"""The statement (sao kê) as PDF, CSV and XLSX, and each read back for `verify`.

PDF: A4 landscape in the bundled DejaVu Sans (`fonts/`, its licence beside it; no system font).
Reportlab builds the document, embeds the font subsets (with their ToUnicode maps, which make
the text extractable) and draws, with its canvas API, everything but the table's lines: titles,
totals, the page heads, and the column heads and footer, each drawn once as a form XObject that
every page shows. The table's lines are the exception, for speed: `drawString` costs about
32 µs a call here (measured 2026-12-01), some 25 s for the 800,000 cells of a 100,000-line
statement against a goal of 5 s for all of it. So each line's text operators are written here
(`_Pdf.row`), with the same font subsets and the same encoding reportlab gives them
(`_Encoder`, through the font's own `splitString`), each distinct cell of a column wrapped
and encoded once per document and placed by moves relative to the line's start; the rows of a
page go in as one literal text object inside `q` … `Q`, so their font and render mode never
leak into what the canvas draws next. Tests extract the Vietnamese text back with pypdf.

Every cell of a line is followed by an invisible (render mode 3) "¦", so the text read back
from the PDF splits into the same cells; a cell wrapped over several printed lines continues
on lines whose date cell is empty (a word broken inside ends with a soft hyphen). Every page's
footer carries the checksum and the state line.

CSV (UTF-8 with a BOM) and XLSX (`_statement_xlsx`, streamed) hold the same rows; their text
cells are already formula-guarded by `_statement_data.clean`; XLSX dates are dates, "made at"
a time (Asia/Ho_Chi_Minh) and amounts numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from handlers.donations._statement_data import (
    CHECKSUM_PATTERN,
    COLUMNS,
    SEPARATOR,
    SOFT_HYPHEN,
    STATE_PATTERN,
    Line,
    Statement,
    dotted,
    parse_amount,
)
from handlers.donations._statement_xlsx import write_xlsx
from handlers.spreadsheet import safe_cell

__all__ = ["Extracted", "Labels", "read_file", "to_csv", "to_pdf", "to_xlsx"]

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
FONT_NAME = "GiamNgheoDejaVuSans"
PAGE_W, PAGE_H = 841.89, 595.28  # A4 landscape, points
MARGIN = 24.0
WIDTHS = (86.0, 40.0, 40.0, 114.0, 58.0, 66.0, 50.0, 66.0, 50.0, 60.0, 60.0, 104.0)
RIGHT = {9, 10}  # amount columns, right-aligned
PAD = 2.0
SIZE = 6.0  # table text
LEADING = 7.2  # between the printed lines of one wrapped cell
ROW_GAP = 2.4  # extra space between lines of the statement
FOOTER_Y = 14.0
_DAY = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_ESCAPE = str.maketrans({"(": "\\(", ")": "\\)", "\\": "\\\\"})
_ZEROS = str.maketrans("123456789", "000000000")
_CACHED_CELLS = 20_000  # distinct values of a column kept with their operators


@dataclass(frozen=True, slots=True)
class Labels:
    """The translated words of the files (column heads, section titles, totals)."""

    title: str
    columns: tuple[str, ...]
    opening: str
    closing: str
    section_in: str
    section_out: str
    total_in: str
    total_out: str
    no_outs: str
    by_donor_type: str
    by_method_in: str
    by_method_out: str
    by_purpose: str
    checksum: str
    state: str
    generated: str
    page: str  # with {page}
    money: Callable[[int], str]


# ---- PDF ---------------------------------------------------------------------------------


class _Encoder:
    """Text → PDF string operators for the document's DejaVu subsets, each text encoded once."""

    def __init__(self, font: Any, doc: Any) -> None:
        self.font = font
        self.doc = doc
        self.widths: dict[int, float] = font.face.charWidths
        self.default_width = float(font.face.defaultWidth)
        self._chars: dict[str, tuple[int, str]] = {}
        self._names: dict[int, str] = {}
        self._ops: dict[tuple[str, float], str] = {}
        self._width: dict[str, float] = {}

    def _char(self, char: str) -> tuple[int, str]:
        found = self._chars.get(char)
        if found is None:
            ((subset, code),) = self.font.splitString(char, self.doc)
            byte = code[0]
            if byte < 32 or byte > 126:
                escaped = f"\\{byte:03o}"
            elif chr(byte) in "()\\":
                escaped = "\\" + chr(byte)
            else:
                escaped = chr(byte)
            found = self._chars[char] = (subset, escaped)
        return found

    def name(self, subset: int) -> str:
        """The PDF name of a font subset."""
        found = self._names.get(subset)
        if found is None:
            found = self._names[subset] = str(self.font.getSubsetInternalName(subset, self.doc))
        return found

    def ops(self, text: str, size: float) -> str:
        """Operators showing `text`, leaving subset 0 at `size` selected."""
        if text.isascii() and text.isprintable():  # printable ASCII is itself in subset 0
            return f"({text.translate(_ESCAPE)}) Tj"
        key = (text, size)
        found = self._ops.get(key)
        if found is not None:
            return found
        runs: list[tuple[int, list[str]]] = []
        for char in text:
            subset, escaped = self._char(char)
            if runs and runs[-1][0] == subset:
                runs[-1][1].append(escaped)
            else:
                runs.append((subset, [escaped]))
        parts: list[str] = []
        switched = False
        for subset, chars in runs:
            if subset != 0 or switched:
                parts.append(f"{self.name(subset)} {size:g} Tf")
                switched = subset != 0
            parts.append(f"({''.join(chars)}) Tj")
        if switched:
            parts.append(f"{self.name(0)} {size:g} Tf")
        found = " ".join(parts)
        if len(self._ops) < 20_000:
            self._ops[key] = found
        return found

    def width(self, text: str, size: float) -> float:
        """The width of `text` at `size` points."""
        found = self._width.get(text)
        if found is None:
            # Every digit is as wide as "0" in DejaVu Sans: receipt numbers and amounts, all
            # different, share a few entries.
            shape = text.translate(_ZEROS)
            found = self._width.get(shape)
            if found is None:
                get, default = self.widths.get, self.default_width
                found = sum(get(ord(char), default) for char in shape) / 1000
                if len(self._width) < 20_000:
                    self._width[shape] = found
        return found * size


def _wrap(text: str, room: float, enc: _Encoder) -> list[str]:
    """`text` broken into printed lines no wider than `room` (at the table size)."""
    if not text or enc.width(text, SIZE) <= room:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if enc.width(candidate, SIZE) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        while enc.width(word, SIZE) > room:  # one word wider than the column: break it
            cut = len(word) - 1
            while cut > 1 and enc.width(word[:cut] + SOFT_HYPHEN, SIZE) > room:
                cut -= 1
            lines.append(word[:cut] + SOFT_HYPHEN)
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


class _Pdf:
    """Pages of the statement on a reportlab canvas; the table's lines as written operators."""

    def __init__(self, statement: Statement, labels: Labels) -> None:
        from reportlab import rl_config  # type: ignore[import-untyped]
        from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
        from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
        from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

        # Binary (not ASCII85) streams: smaller, and ASCII85 in pure Python doubled the time.
        rl_config.useA85 = 0
        try:
            font = pdfmetrics.getFont(FONT_NAME)
        except KeyError:
            font = TTFont(FONT_NAME, str(FONT_PATH), asciiReadable=True, shapable=False)
            pdfmetrics.registerFont(font)
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=1)
        self.canvas.setTitle(f"{labels.title}: {statement.campaign_name}")
        self.canvas.setSubject(f"SHA-256 {statement.checksum}")
        self.canvas.setCreator("Trợ lý Giảm nghèo")
        self.enc = _Encoder(font, self.canvas._doc)
        self.statement = statement
        self.labels = labels
        self.page = 0
        self.ops: list[str] = []  # the current page's rows not yet flushed
        self.y = 0.0
        starts = [MARGIN]
        for width in WIDTHS[:-1]:
            starts.append(starts[-1] + width)
        self.starts = starts
        self.left = [f"{x + PAD:.2f}" for x in starts]
        self.right = [x + w - PAD for x, w in zip(starts, WIDTHS, strict=True)]
        self.sep = self.enc.ops(SEPARATOR, SIZE)
        self._cells: list[dict[str | int | date, tuple[str, ...]]] = [{} for _ in WIDTHS]
        self._gets = [cache.get for cache in self._cells]
        self._empty = [f"{self.sep} {width:g} 0 Td " for width in WIDTHS]
        self.heads_lines = 1
        self._forms()
        self._new_page()

    def _forms(self) -> None:
        """The column heads and the page footer, drawn once and shown on every page.

        Each is a form XObject drawn with reportlab's canvas API; a page refers to it
        (`doForm`) instead of drawing its dozen texts again.
        """
        canvas, labels, statement = self.canvas, self.labels, self.statement
        heads = [
            _wrap(head, WIDTHS[i] - 2 * PAD, self.enc) for i, head in enumerate(labels.columns)
        ]
        self.heads_lines = max(len(pieces) for pieces in heads)
        height = self.heads_lines * LEADING + ROW_GAP
        canvas.beginForm("heads", lowerx=0, lowery=-height - 2, upperx=PAGE_W, uppery=2)
        canvas.setFont(FONT_NAME, SIZE)
        for index, pieces in enumerate(heads):  # no separators: `verify` skips the heads
            for printed, piece in enumerate(pieces):
                canvas.drawString(self.starts[index] + PAD, -SIZE - printed * LEADING, piece)
        canvas.setLineWidth(0.3)
        canvas.line(MARGIN, -height + 1, PAGE_W - MARGIN, -height + 1)
        canvas.endForm()
        canvas.beginForm("footer")
        canvas.setFont(FONT_NAME, 6.5)
        canvas.drawString(MARGIN, FOOTER_Y + 8, f"{labels.checksum}: {statement.checksum}")
        canvas.drawString(MARGIN, FOOTER_Y, f"{labels.state}: {statement.state.text()}")
        canvas.setLineWidth(0.3)
        canvas.line(MARGIN, FOOTER_Y + 16, PAGE_W - MARGIN, FOOTER_Y + 16)
        canvas.endForm()

    def _flush(self) -> None:
        """The rows drawn since the last flush, as one text object in its own graphics state.

        `q` … `Q` keeps the font and the invisible text render mode of the rows from
        leaking into what the canvas draws next.
        """
        if self.ops:
            self.canvas.addLiteral(
                f"q BT {self.enc.name(0)} {SIZE:g} Tf\n" + "\n".join(self.ops) + "\nET Q"
            )
            self.ops = []

    def text(self, x: float, y: float, text: str, size: float = SIZE) -> None:
        """Draw one text at (x, y) with the canvas (titles, totals, page heads)."""
        self._flush()
        self.canvas.setFont(FONT_NAME, size)
        self.canvas.drawString(x, y, text)

    def _new_page(self) -> None:
        if self.page:
            self._finish_page()
        self.page += 1
        self.y = PAGE_H - MARGIN
        self.text(MARGIN, self.y, f"{self.statement.campaign_name} · {self.statement.period}", 7)
        self.canvas.drawRightString(
            PAGE_W - MARGIN, self.y, self.labels.page.format(page=self.page)
        )
        self.y -= 14

    def _finish_page(self) -> None:
        self._flush()
        self.canvas.doForm("footer")
        self.canvas.showPage()

    def room(self, height: float) -> None:
        """Start a new page unless `height` points fit above the footer."""
        if self.y - height < FOOTER_Y + 24:
            self._new_page()

    def heading(self, text: str, size: float = 8.0) -> None:
        """A line of text across the page (titles, totals)."""
        self.room(size + 4)
        self.text(MARGIN, self.y - size, text, size)
        self.y -= size + 4

    def column_heads(self) -> None:
        """The column heads (the form drawn by `_forms`) and the rule under them."""
        self.room(LEADING * (self.heads_lines + 1) + ROW_GAP)
        self._flush()
        self.canvas.saveState()
        self.canvas.translate(0, self.y)
        self.canvas.doForm("heads")
        self.canvas.restoreState()
        self.y -= self.heads_lines * LEADING + ROW_GAP

    def _cell(self, index: int, value: str | int | date) -> tuple[str, ...]:
        """A cell's printed pieces as operators that need no coordinate of the page.

        Each piece moves (`Td`, relative to where the cell starts) to where its text starts,
        shows it and its separator, and moves on to the next column, so a printed line is
        one `Tm` followed by its cells' pieces as they are. Each distinct value of a column
        is wrapped and encoded once per document (`row` looks it up first): labels, wards,
        names, days and amounts repeat over a statement's lines.
        """
        if isinstance(value, date):
            text = value.strftime("%d/%m/%Y")
        elif isinstance(value, int):
            text = dotted(value)
        else:
            text = value
        room = WIDTHS[index] - 2 * PAD
        pieces = [text] if index in RIGHT else _wrap(text, room, self.enc)
        fragments: list[str] = []
        for piece in pieces:
            if not piece:  # an empty cell is only its separator (still invisible)
                fragments.append(f"{self.sep} {WIDTHS[index]:g} 0 Td ")
                continue
            ops = f"0 Tr {self.enc.ops(piece, SIZE)} 3 Tr {self.sep}"
            if index in RIGHT:
                shift = room - self.enc.width(piece, SIZE)
                fragments.append(f"{shift:.2f} 0 Td {ops} {WIDTHS[index] - shift:.2f} 0 Td ")
            else:
                fragments.append(f"{ops} {WIDTHS[index]:g} 0 Td ")
        found = tuple(fragments)
        cache = self._cells[index]
        if len(cache) < _CACHED_CELLS:
            cache[value] = found
        return found

    def row(self, line: Line, section: str) -> None:
        """One statement line: each cell wrapped, every printed line with its separators."""
        get, cell = self._gets, self._cell  # a cached cell is never an empty tuple
        wrapped = (
            get[0](line.number) or cell(0, line.number),
            get[1](line.day) or cell(1, line.day),
            get[2](line.kind) or cell(2, line.kind),
            get[3](line.party) or cell(3, line.party),
            get[4](line.category) or cell(4, line.category),
            get[5](line.ward) or cell(5, line.ward),
            get[6](line.method) or cell(6, line.method),
            get[7](line.goods) or cell(7, line.goods),
            get[8](line.quantity) or cell(8, line.quantity),
            get[9](line.money_in) or cell(9, line.money_in),
            get[10](line.money_out) or cell(10, line.money_out),
            get[11](line.note) or cell(11, line.note),
        )
        height = max(map(len, wrapped))
        if self.y - height * LEADING - ROW_GAP < FOOTER_Y + 24:
            self._new_page()
            self.heading(section, 7)
            self.column_heads()
        start = f"1 0 0 1 {self.left[0]} "  # every printed line starts at its own y
        if height == 1:
            y = f"{self.y - SIZE:.2f}"
            self.ops.append(f"{start}{y} Tm {''.join([pieces[0] for pieces in wrapped])}")
        else:
            empty = self._empty
            for printed in range(height):
                y = f"{self.y - SIZE - printed * LEADING:.2f}"
                shown = "".join(
                    [
                        pieces[printed] if printed < len(pieces) else empty[index]
                        for index, pieces in enumerate(wrapped)
                    ]
                )
                self.ops.append(f"{start}{y} Tm {shown}")
        self.y -= height * LEADING + ROW_GAP

    def finish(self) -> bytes:
        """Close the last page and the document."""
        self._finish_page()
        self.canvas.save()
        return self.buffer.getvalue()


def to_pdf(statement: Statement, labels: Labels) -> bytes:
    """The statement as a PDF document."""
    pdf = _Pdf(statement, labels)
    pdf.heading(labels.title, 13)
    pdf.heading(f"{statement.campaign_name} ({statement.fund})", 10)
    pdf.heading(statement.period, 8)
    pdf.heading(f"{labels.generated}: {statement.generated}", 7)
    pdf.y -= 4
    pdf.heading(f"{labels.opening}: {labels.money(statement.state.opening)}", 9)
    pdf.y -= 4
    for section, lines, total_label, total in (
        (labels.section_in, statement.gifts, labels.total_in, statement.totals.money_in),
        (labels.section_out, statement.outs, labels.total_out, statement.totals.money_out),
    ):
        pdf.heading(section, 9)
        pdf.column_heads()
        for line in lines:
            pdf.row(line, section)
        if not lines and section == labels.section_out:
            pdf.heading(labels.no_outs, 7)
        pdf.heading(f"{total_label}: {labels.money(total)}", 8)
        pdf.y -= 6
    pdf.heading(f"{labels.closing}: {labels.money(statement.state.closing)}", 9)
    pdf.y -= 4
    for title, sums in _total_blocks(statement, labels):
        pdf.heading(title, 8)
        for label, amount in sums:
            pdf.heading(f"   {label}: {labels.money(amount)}", 7)
    return pdf.finish()


def _total_blocks(statement: Statement, labels: Labels) -> list[tuple[str, list[tuple[str, int]]]]:
    totals = statement.totals
    blocks = [
        (labels.by_donor_type, totals.by_donor_type),
        (labels.by_method_in, totals.by_method_in),
        (labels.by_method_out, totals.by_method_out),
        (labels.by_purpose, totals.by_purpose),
    ]
    return [(title, sums) for title, sums in blocks if sums]


# ---- CSV and XLSX --------------------------------------------------------------------------


def _rows(statement: Statement, labels: Labels) -> Iterator[list[Any]]:
    """The rows both spreadsheets hold: meta rows, two sections, balances, totals, checksum.

    Lines carry `date` and `int` values; the CSV writer formats them, XLSX keeps the types.
    """

    def guarded(*cells: Any) -> list[Any]:
        return [safe_cell(cell) if isinstance(cell, str) else cell for cell in cells]

    yield guarded(labels.title)
    yield guarded(statement.campaign_name, statement.fund)
    yield guarded(statement.period)
    yield guarded(labels.generated, statement.generated_local)  # CSV: `statement.generated`
    yield guarded(labels.checksum, statement.checksum)
    yield guarded(labels.state, statement.state.text())
    yield []
    yield guarded(labels.opening, statement.state.opening)
    yield []
    for section, lines, total_label, total in (
        (labels.section_in, statement.gifts, labels.total_in, statement.totals.money_in),
        (labels.section_out, statement.outs, labels.total_out, statement.totals.money_out),
    ):
        yield guarded(section)
        yield guarded(*labels.columns)
        for line in lines:
            yield [
                line.number,
                line.day,
                line.kind,
                line.party,
                line.category,
                line.ward,
                line.method,
                line.goods,
                line.quantity,
                line.money_in or None,
                line.money_out or None,
                line.note,
            ]
        if not lines and section == labels.section_out:
            yield guarded(labels.no_outs)
        yield guarded(total_label, total)
        yield []
    yield guarded(labels.closing, statement.state.closing)
    yield []
    for title, sums in _total_blocks(statement, labels):
        yield guarded(title)
        for label, amount in sums:
            yield guarded(label, amount)
    yield []
    yield guarded(labels.checksum, statement.checksum)


def to_csv(statement: Statement, labels: Labels) -> bytes:
    """The statement as CSV in UTF-8 with a BOM; dates dd/mm/yyyy, amounts in whole đồng.

    Rows are encoded into the output as they are written (no whole text kept beside it).
    """
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="", write_through=False) as out:
        writer = csv.writer(out)
        for row in _rows(statement, labels):
            if len(row) == 2 and isinstance(row[1], datetime):  # when it was made, as text
                row = [row[0], statement.generated]
            elif len(row) == len(COLUMNS) and isinstance(row[1], date):
                row = [*row]
                row[1] = row[1].strftime("%d/%m/%Y")
                row[9] = "" if row[9] is None else row[9]
                row[10] = "" if row[10] is None else row[10]
            writer.writerow(row)
        out.flush()
        return buffer.getvalue()


def to_xlsx(statement: Statement, labels: Labels, sheet: str) -> bytes:
    """The statement as XLSX (streamed): dates as dates (DD/MM/YYYY), amounts as numbers.

    When it was made is a real time too, in Asia/Ho_Chi_Minh (HH:MM DD/MM/YYYY).
    """
    return write_xlsx(
        _rows(statement, labels),
        sheet=sheet,
        widths=[width / 5.5 for width in WIDTHS],
        header=statement.campaign_name,
        footer=f"SHA-256: {statement.checksum}",
    )


# ---- reading back ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extracted:
    """What `verify` read from a statement file."""

    states: list[str]
    checksums: list[str]
    lines: list[Line]


def _line(cells: Sequence[Any]) -> Line:
    """A `Line` from the twelve cells of a file (ValueError if they are not one)."""
    day = cells[1]
    if isinstance(day, datetime):
        day = day.date()
    elif isinstance(day, str):
        day = datetime.strptime(day, "%d/%m/%Y").date()
    if not isinstance(day, date):
        raise ValueError("day")

    def amount(value: Any) -> int:
        if value is None or value == "":
            return 0
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value)
        return int(text) if re.fullmatch(r"-?\d+", text) else parse_amount(text)

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return Line(
        number=text(cells[0]),
        day=day,
        kind=text(cells[2]),
        party=text(cells[3]),
        category=text(cells[4]),
        ward=text(cells[5]),
        method=text(cells[6]),
        goods=text(cells[7]),
        quantity=text(cells[8]),
        money_in=amount(cells[9]),
        money_out=amount(cells[10]),
        note=text(cells[11]),
    )


def _from_rows(rows: Iterator[Sequence[Any]]) -> Extracted:
    states: list[str] = []
    checksums: list[str] = []
    lines: list[Line] = []
    for row in rows:
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        for cell in cells:
            if isinstance(cell, str) and STATE_PATTERN.fullmatch(cell):
                states.append(cell)
            elif isinstance(cell, str) and CHECKSUM_PATTERN.fullmatch(cell):
                checksums.append(cell)
        # A line has its number, its day and an amount in or out (the tenth or eleventh
        # cell: never 0); "made at" (a time in XLSX) has two cells.
        if len(cells) >= 10 and cells[0] and _is_day(cells[1]):
            cells += [None] * (len(COLUMNS) - len(cells))
            lines.append(_line(cells[: len(COLUMNS)]))
    return Extracted(states, checksums, lines)


def _is_day(value: Any) -> bool:
    return isinstance(value, date) or (isinstance(value, str) and bool(_DAY.match(value)))


def read_csv(data: bytes) -> Extracted:
    """The state lines, checksums and lines of a CSV statement."""
    return _from_rows(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> Extracted:
    """The state lines, checksums and lines of an XLSX statement."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        sheet = workbook.worksheets[0]
        return _from_rows(iter(sheet.iter_rows(values_only=True)))
    finally:
        workbook.close()


def read_pdf(data: bytes) -> Extracted:
    """The state lines, checksums and lines of a PDF statement, from its text."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        texts = [page.extract_text() for page in reader.pages]
    except PyPdfError as exc:
        raise ValueError("pdf") from exc
    states: list[str] = []
    checksums: list[str] = []
    rows: list[list[str]] = []
    for text in texts:
        states += STATE_PATTERN.findall(text)
        checksums += CHECKSUM_PATTERN.findall(text)
        for printed in text.split("\n"):
            if SEPARATOR not in printed:
                continue
            cells = [cell.strip() for cell in printed.split(SEPARATOR)][: len(COLUMNS)]
            cells += [""] * (len(COLUMNS) - len(cells))
            if cells[1]:
                rows.append(cells)
            elif rows:
                rows[-1] = [_join(a, b) for a, b in zip(rows[-1], cells, strict=True)]
    lines = [_line(cells) for cells in rows]
    return Extracted(states, checksums, lines)


def _join(first: str, more: str) -> str:
    if not more:
        return first
    if first.endswith(SOFT_HYPHEN):
        return first[:-1] + more
    return f"{first} {more}" if first else more


def read_file(data: bytes) -> Extracted:
    """Read a statement file, its format told by its first bytes (PDF, XLSX zip, else CSV)."""
    if data.startswith(b"%PDF"):
        return read_pdf(data)
    if data.startswith(b"PK"):
        return read_xlsx(data)
    return read_csv(data)


__all__ += ["dotted"]
