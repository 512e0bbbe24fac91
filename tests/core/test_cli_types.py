"""Command-line numbers: ASCII digits within a range, or a clear refusal (exit 2)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import cli_types

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["١٢", "１２", "-5", "0", "²", "1" * 5000, "", "3.0"])
def test_odd_digits_negative_zero_and_huge_are_refused(text: str) -> None:
    """Arabic-Indic or full-width digits, a sign, zero, a superscript or 5,000 digits: refused."""
    with pytest.raises(argparse.ArgumentTypeError):
        cli_types.count(text)


def test_plain_numbers_in_range_are_read() -> None:
    """ASCII digits within the range are read; the port's bounds hold."""
    assert cli_types.count(" 20 ") == 20
    assert cli_types.record_id("123456789") == 123456789
    assert cli_types.port("65535") == 65535
    with pytest.raises(argparse.ArgumentTypeError):
        cli_types.port("65536")


@pytest.mark.parametrize(
    "args",
    [["kb", "unanswered", "--limit", "-5"], ["donations", "export", "--campaign", "١"]],
)
def test_the_cli_refuses_with_exit_2_and_a_vietnamese_message(
    tmp_path: Path, args: list[str]
) -> None:
    """`giamngheo kb unanswered --limit -5` and `donations export --campaign ١` stop at once."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(tmp_path / "c.sqlite3"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "cần một số nguyên" in done.stderr
    assert "Traceback" not in done.stderr
