"""Argument types for the command line: numbers in ASCII digits, within a range.

argparse's `type=int` takes "١٢" (Arabic-Indic digits), "-5" and a 5,000-digit string alike;
an id, a count or a port typed by an officer is refused here instead, with a message.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

MAX_DIGITS = 9


def bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type` that reads a whole number in ASCII digits from `low` to `high`."""

    def read(text: str) -> int:
        cleaned = text.strip()
        if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= MAX_DIGITS:
            value = int(cleaned)
            if low <= value <= high:
                return value
        raise argparse.ArgumentTypeError(
            f"cần một số nguyên từ {low} đến {high} (chữ số 0–9): {text[:20]!r}"
            f" / a whole number from {low} to {high}"
        )

    return read


record_id = bounded(1, 10**MAX_DIGITS - 1)
"""A stored record's id (a campaign, say)."""

count = bounded(1, 10_000)
"""How many lines to list (at least one)."""

shown = bounded(0, 10_000)
"""How many lines to show, 0 for none."""

port = bounded(1, 65_535)
"""A TCP port."""
