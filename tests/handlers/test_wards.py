"""`giamngheo ward add|list|remove` and `officer add --ward`, through the real command."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def giamngheo(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command on `db` (with demo data on, as by default)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DEMO_DATA": "1", "HOME": str(db.parent)},
    )


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def test_add_by_name_list_and_officer(tmp_path: Path) -> None:
    """A name without diacritics plus its province adds the official commune; no demo data."""
    db = tmp_path / "w.sqlite3"
    added = giamngheo(db, "ward", "add", "hoa cuong", "--province", "da nang")
    assert added.returncode == 0, added.stderr
    assert "Phường Hòa Cường, Thành phố Đà Nẵng (mã 20257)" in added.stdout
    by_code = giamngheo(db, "ward", "add", "31078")
    assert by_code.returncode == 0 and "Đặc khu Phú Quốc" in by_code.stdout
    granted = giamngheo(db, "officer", "add", "telegram", "42", "--ward", "Hòa Cường")
    assert granted.returncode == 0, granted.stderr
    listed = giamngheo(db, "ward", "list")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert "20257\t20257\tPhường Hòa Cường\tphường\tThành phố Đà Nẵng\t1\t" in lines
    assert "31078\t31078\tĐặc khu Phú Quốc\tđặc khu\tTỉnh An Giang\t0\t" in lines
    assert "dữ liệu mẫu" not in listed.stdout
    assert rows(db, "SELECT id, demo FROM wards ORDER BY id") == [("20257", 0), ("31078", 0)]
    assert rows(db, "SELECT COUNT(*) FROM donation_campaigns") == [(0,)]
    assert rows(db, "SELECT ward_id FROM users WHERE external_id = '42'") == [("20257",)]
    again = giamngheo(db, "ward", "add", "20257")
    assert again.returncode == 0 and "đã dùng trợ lý" in again.stdout


def test_ambiguous_and_unknown_names_exit_2(tmp_path: Path) -> None:
    """A name of several communes lists them with province and code; nonsense is refused."""
    db = tmp_path / "w.sqlite3"
    ambiguous = giamngheo(db, "ward", "add", "an binh")
    assert ambiguous.returncode == 2
    assert "31150\tPhường An Bình\tThành phố Cần Thơ" in ambiguous.stderr
    assert "23614\tPhường An Bình\tTỉnh Gia Lai" in ambiguous.stderr
    assert "--province" in ambiguous.stderr
    resolved = giamngheo(db, "ward", "add", "an binh", "--province", "can tho")
    assert resolved.returncode == 0 and "(mã 31150)" in resolved.stdout
    unknown = giamngheo(db, "ward", "add", "qwerty zxcv")
    assert unknown.returncode == 2 and "không tìm thấy xã/phường/đặc khu" in unknown.stderr
    bad_code = giamngheo(db, "ward", "add", "99999")
    assert bad_code.returncode == 2 and "mã '99999'" in bad_code.stderr
    bad_province = giamngheo(db, "ward", "add", "an binh", "--province", "quan 1")
    assert bad_province.returncode == 2 and "tỉnh/thành phố" in bad_province.stderr
    assert rows(db, "SELECT id FROM wards") == [("31150",)]


def test_officer_add_refuses_a_commune_not_in_service(tmp_path: Path) -> None:
    """`officer add --ward` for a real commune not added yet says to run `ward add`."""
    db = tmp_path / "w.sqlite3"
    assert giamngheo(db, "ward", "add", "20257").returncode == 0
    refused = giamngheo(db, "officer", "add", "telegram", "42", "--ward", "phu quoc")
    assert refused.returncode == 2
    assert "chưa dùng trợ lý" in refused.stderr and "giamngheo ward add" in refused.stderr
    assert rows(db, "SELECT COUNT(*) FROM users WHERE external_id = '42'") == [(0,)]


def test_remove_deletes_or_disables(tmp_path: Path) -> None:
    """An unused commune is deleted; one with an officer is disabled, explained, re-added."""
    db = tmp_path / "w.sqlite3"
    for code in ("20257", "26743"):
        assert giamngheo(db, "ward", "add", code).returncode == 0
    assert giamngheo(db, "officer", "add", "telegram", "42", "--ward", "20257").returncode == 0
    deleted = giamngheo(db, "ward", "remove", "ben thanh")
    assert deleted.returncode == 0 and "Đã xoá Phường Bến Thành" in deleted.stdout
    disabled = giamngheo(db, "ward", "remove", "20257")
    assert disabled.returncode == 0
    assert "chỉ được tắt" in disabled.stdout and "1 người dùng" in disabled.stdout
    assert rows(db, "SELECT id, enabled FROM wards") == [("20257", 0)]
    assert "Phường Hòa Cường" not in giamngheo(db, "ward", "list").stdout
    assert "đã tắt" in giamngheo(db, "ward", "list", "--all").stdout
    refused = giamngheo(db, "officer", "add", "telegram", "43", "--ward", "20257")
    assert refused.returncode == 2
    back = giamngheo(db, "ward", "add", "hoa cuong")
    assert back.returncode == 0 and "Đã bật lại" in back.stdout
    assert rows(db, "SELECT id, enabled FROM wards") == [("20257", 1)]
    gone = giamngheo(db, "ward", "remove", "26743")
    assert gone.returncode == 2


def test_demo_ward_code_is_not_taken_for_real_use(tmp_path: Path) -> None:
    """On a database holding the demo data, adding its commune for real is refused."""
    db = tmp_path / "demo.sqlite3"
    seeded = giamngheo(db, "chat", stdin="")  # the console chat loads the demo data
    assert seeded.returncode == 0, seeded.stderr
    assert rows(db, "SELECT id, name, demo FROM wards") == [("20257", "Phường Hòa Cường", 1)]
    listed = giamngheo(db, "ward", "list")
    assert "dữ liệu mẫu" in listed.stdout
    refused = giamngheo(db, "ward", "add", "20257")
    assert refused.returncode == 2 and "DEMO_DATA=0" in refused.stderr


def test_officer_commands_never_seed_demo_data(tmp_path: Path) -> None:
    """`officer add` and `officer list` on an empty database load no demo ward or officer."""
    db = tmp_path / "empty.sqlite3"
    refused = giamngheo(db, "officer", "add", "telegram", "7", "--ward", "20257")
    assert refused.returncode == 2
    assert "giamngheo ward add" in refused.stderr
    listed = giamngheo(db, "officer", "list")
    assert listed.returncode == 0 and listed.stdout == ""
    assert rows(db, "SELECT id FROM wards") == []
    added = giamngheo(db, "ward", "add", "20257")
    assert added.returncode == 0, added.stderr
    granted = giamngheo(db, "officer", "add", "telegram", "7", "--ward", "20257")
    assert granted.returncode == 0, granted.stderr
    assert "xã/phường/đặc khu 20257" in granted.stdout
    assert rows(db, "SELECT demo FROM wards") == [(0,)]
