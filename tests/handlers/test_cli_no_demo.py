"""Commands other than `chat`, `run` and `start` build no app: a fresh file gets no demo data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.handlers.test_wards import giamngheo  # the real command on a file, demo data on

pytestmark = pytest.mark.slow

# Tables the demo data fills on a fresh file (the demo ward, its officer, campaign and gifts).
DEMO_TABLES = ("wards", "users", "donation_campaigns", "donation_entries", "audit_log")


def counts(db: Path) -> dict[str, int]:
    """Rows in each table the demo data would fill."""
    conn = sqlite3.connect(db)
    try:
        return {
            t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in DEMO_TABLES
        }
    finally:
        conn.close()


@pytest.mark.parametrize(
    "command",
    [
        ("officer", "list"),
        ("registrations", "export", "--ward", "20257"),
        ("notices", "status"),
        ("donations", "export"),
        ("db", "migrate"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_read_only_command_on_a_fresh_file_seeds_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The command runs on a fresh, migrated file and leaves every demo table empty."""
    db = tmp_path / "fresh.sqlite3"
    done = giamngheo(db, *command)
    assert done.returncode in (0, 2), done.stderr
    assert db.exists()
    assert counts(db) == dict.fromkeys(DEMO_TABLES, 0)


def test_export_of_a_ward_missing_from_a_fresh_file_says_so(tmp_path: Path) -> None:
    """`registrations export` of the demo ward on a fresh file: the ward is not there (code 2)."""
    db = tmp_path / "fresh.sqlite3"
    done = giamngheo(db, "registrations", "export", "--ward", "20257")
    assert done.returncode == 2
    assert "Không có xã/phường/đặc khu '20257'" in done.stderr
    assert not (tmp_path / "dang-ky-thoat-ngheo-20257.csv").exists()


def test_chat_still_loads_the_demo_data(tmp_path: Path) -> None:
    """`chat` builds the app, so the demo ward and its officer are there afterwards."""
    db = tmp_path / "demo.sqlite3"
    done = giamngheo(db, "chat", stdin="")
    assert done.returncode == 0, done.stderr
    found = counts(db)
    assert found["wards"] >= 1
    assert found["donation_entries"] >= 1
