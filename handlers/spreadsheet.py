"""The formula guard every spreadsheet export (CSV and XLSX) passes its cells through.

A spreadsheet program runs a cell as a formula when it starts with `=`, `+`, `-` or `@` (or a
tab or carriage return before one). Looking at the first character only is not enough: a
Vietnamese-locale Excel splits a CSV on `;`, and other readers on `,`, a tab or a new line, so
"Nguyễn;=HYPERLINK(…)" becomes a second cell that starts with `=`. The guard therefore puts
the usual apostrophe before every place a formula could start: at the start of the cell and
after each of those separators (spaces in between allowed). Numbers pass unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["safe_cell", "safe_rows"]

_AT_START = re.compile(r"^[ \u00a0]*[=+\-@\t\r]")
_AFTER_SEPARATOR = re.compile(r"(?<=[;,\t\r\n])([ \u00a0]*)(?=[=+\-@])")

Cell = str | int


def safe_cell(value: Cell) -> Cell:
    """`value` with an apostrophe before each place a spreadsheet could start a formula."""
    if not isinstance(value, str):
        return value
    guarded = _AFTER_SEPARATOR.sub(r"\1'", value)
    return "'" + guarded if _AT_START.match(guarded) else guarded


def safe_rows(rows: Iterable[Sequence[Cell]]) -> list[list[Cell]]:
    """Every cell of `rows` through `safe_cell`."""
    return [[safe_cell(cell) for cell in row] for row in rows]
