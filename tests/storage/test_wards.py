"""Wards in storage: migration 0007 from older data, adding, resolving and removing wards."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.admin_units import unit
from storage.db import MIGRATIONS_DIR, Database, SqliteDatabase
from storage.users import UserRepository, WardNotFound, ward_from_unit

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def official(code: str):  # type: ignore[no-untyped-def]
    """The ward row of an official unit."""
    found = unit(code)
    assert found is not None
    return ward_from_unit(found)


async def open_db(path: Path) -> Database:
    db = SqliteDatabase(path)
    await db.open()
    await db.migrate()
    return db


async def test_migration_0007_keeps_old_rows_and_foreign_keys(tmp_path: Path) -> None:
    """An old database keeps its wards and links; the old demo ward becomes Phường Hòa Cường."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-6]_*.sql")):
        shutil.copy(path, old / path.name)
    db = SqliteDatabase(tmp_path / "old.sqlite3")
    await db.open()
    assert await db.migrate(old) == 6
    await db.execute(
        "INSERT INTO wards (id, name, district, province, area) VALUES"
        " ('hoa-cuong-bac', 'Phường Hòa Cường Bắc (dữ liệu mẫu)', 'Quận Hải Châu', 'Đà Nẵng',"
        " 'urban'), ('an-hai', 'An Hải', 'Sơn Trà', 'Đà Nẵng', 'urban')"
    )
    await db.execute(
        "INSERT INTO users (channel, external_id, chat_id, role, ward_id, created_at)"
        " VALUES ('console', 'officer', 'officer', 'officer', 'hoa-cuong-bac', '2026-01-01')"
    )
    await db.execute(
        "INSERT INTO donation_campaigns (ward_id, name, target, starts_on, ends_on, created_at)"
        " VALUES (NULL, 'Toàn quận', 1000000, '2026-01-01', '2026-12-31', '2026-01-01')"
    )
    assert await db.migrate() >= 7
    users = UserRepository(db)
    demo = await users.ward("hoa-cuong-bac")
    assert demo is not None
    assert (demo.name, demo.code, demo.kind, demo.province_code, demo.demo) == (
        "Phường Hòa Cường",
        "20257",
        "phuong",
        "48",
        True,
    )
    other = await users.ward("an-hai")
    assert other is not None and (other.code, other.demo, other.enabled) == (None, False, True)
    columns = {row[1] for row in await db.fetchall("PRAGMA table_info(wards)")}
    assert "district" not in columns
    assert await db.fetchall("PRAGMA foreign_key_check") == []
    officer = await db.fetchone("SELECT ward_id FROM users WHERE external_id = 'officer'")
    assert officer is not None and officer[0] == "hoa-cuong-bac"
    campaign = await db.fetchone("SELECT ward_id, province_code FROM donation_campaigns")
    assert campaign is not None and tuple(campaign) == (None, None)  # wards of unknown province
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("DELETE FROM wards WHERE id = 'hoa-cuong-bac'")
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("UPDATE users SET ward_id = 'nowhere'")
    await db.close()


async def test_province_of_old_campaign_when_all_wards_share_one(tmp_path: Path) -> None:
    """A campaign without a ward gets the province code when every ward has the same one."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-6]_*.sql")):
        shutil.copy(path, old / path.name)
    db = SqliteDatabase(tmp_path / "old.sqlite3")
    await db.open()
    await db.migrate(old)
    await db.execute(
        "INSERT INTO wards (id, name, district, province, area) VALUES ('hoa-cuong-bac',"
        " 'Phường Hòa Cường Bắc (dữ liệu mẫu)', 'Quận Hải Châu', 'Đà Nẵng', 'urban')"
    )
    await db.execute(
        "INSERT INTO donation_campaigns (ward_id, name, target, starts_on, ends_on, created_at)"
        " VALUES (NULL, 'Toàn quận', 1000000, '2026-01-01', '2026-12-31', '2026-01-01')"
    )
    await db.migrate()
    campaign = await db.fetchone("SELECT province_code FROM donation_campaigns")
    assert campaign is not None and campaign[0] == "48"
    await db.close()


async def test_codes_are_unique_and_kinds_checked(tmp_path: Path) -> None:
    """Two rows cannot share an official code; kind and area are checked."""
    db = await open_db(tmp_path / "w.sqlite3")
    users = UserRepository(db)
    await users.add_ward(official("20257"))
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO wards (id, code, name) VALUES ('x', '20257', 'Trùng')")
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO wards (id, name, kind) VALUES ('y', 'Y', 'huyen')")
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO wards (id, name, area) VALUES ('z', 'Z', 'suburb')")
    await db.close()


async def test_area_follows_the_kind(tmp_path: Path) -> None:
    """Phường → urban, xã → rural, đặc khu → unknown (stored as such)."""
    db = await open_db(tmp_path / "w.sqlite3")
    users = UserRepository(db)
    for code in ("20257", "31078", "05425"):
        await users.add_ward(official(code))
    areas = {w.name: w.area for w in await users.wards()}
    assert areas == {
        "Phường Hòa Cường": "urban",
        "Đặc khu Phú Quốc": "unknown",
        "Xã An Bình": "rural",
    }
    await db.close()


async def test_resolve_by_id_code_or_name_only_in_service(tmp_path: Path) -> None:
    """Staff wards resolve by id, code or name without diacritics; others are refused."""
    db = await open_db(tmp_path / "w.sqlite3")
    users = UserRepository(db)
    await users.add_ward(official("20257"))
    for text in ("20257", "Phường Hòa Cường", "hoa cuong", "phuong hoa cuong"):
        assert (await users.resolve_ward(text)).id == "20257"
    with pytest.raises(WardNotFound, match="giamngheo ward add"):
        await users.resolve_ward("phu quoc")
    officer = await users.set_role("telegram", "7", "officer", "Hòa Cường", now=NOW)
    assert officer.ward_id == "20257"
    with pytest.raises(WardNotFound):
        await users.set_role("telegram", "8", "officer", "26743", now=NOW)
    await db.close()


async def test_remove_deletes_unused_and_disables_used_wards(tmp_path: Path) -> None:
    """A ward nothing points at is deleted; one with an officer is disabled, and comes back."""
    db = await open_db(tmp_path / "w.sqlite3")
    users = UserRepository(db)
    await users.add_ward(official("20257"))
    await users.add_ward(official("26743"))
    await users.set_role("telegram", "7", "officer", "20257", now=NOW)
    assert await users.remove_ward("26743") == "deleted"
    assert await users.ward("26743") is None
    assert await users.ward_records("20257") == {"users": 1}
    assert await users.remove_ward("20257") == "disabled"
    stored = await users.ward("20257")
    assert stored is not None and not stored.enabled
    assert await users.wards() == []
    assert [w.id for w in await users.wards(include_disabled=True)] == ["20257"]
    with pytest.raises(WardNotFound):
        await users.resolve_ward("20257")
    await users.add_ward(official("20257"))
    assert [w.id for w in await users.wards()] == ["20257"]
    assert await users.staff_counts() == {"20257": 1}
    await db.close()
