"""Private files: the database, its WAL and SHM, and backups are 0600 in a 0700 folder."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from storage import files
from storage.db import SqliteDatabase, open_database

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    """The permission bits of `path` (not following a link)."""
    return stat.S_IMODE(os.lstat(path).st_mode)


def giamngheo(db: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command on `db` under the permissive umask 000."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DEMO_DATA": "0", "HOME": str(cwd), "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: os.umask(0),
    )


async def test_new_database_is_private_in_a_private_folder(tmp_path: Path) -> None:
    """A database opened in a new folder: folder 0700, the file, its WAL and SHM 0600."""
    path = tmp_path / "new" / "deeper" / "bot.sqlite3"
    async with open_database(path) as db:
        await db.execute("CREATE TABLE t (x)")
        await db.execute("INSERT INTO t VALUES (1)")
        assert Path(f"{path}-wal").exists()
        assert mode(Path(f"{path}-wal")) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(path.parent.parent) == 0o700


async def test_existing_wide_files_are_tightened_and_a_shared_folder_kept(tmp_path: Path) -> None:
    """A 0644 database, WAL and SHM in a 0755 folder: files become 0600, the folder stays."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    path = folder / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.chmod(0o644)
    db = SqliteDatabase(path)
    await db.open()
    try:
        assert mode(path) == 0o600
        assert mode(Path(f"{path}-wal")) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600
        assert mode(folder) == 0o755
    finally:
        await db.close()
        conn.close()


def test_cli_migrate_under_umask_000_makes_private_files(tmp_path: Path) -> None:
    """`giamngheo db migrate` with umask 000: new folder 0700, database 0600 all the same."""
    db = tmp_path / "data" / "giamngheo.sqlite3"
    done = giamngheo(db, "db", "migrate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700
    for suffix in ("-wal", "-shm"):
        side = Path(f"{db}{suffix}")
        assert not side.exists() or mode(side) == 0o600


def test_cli_backup_is_private(tmp_path: Path) -> None:
    """`giamngheo db backup` into a new folder under umask 000: folder 0700, copy 0600, readable."""
    db = tmp_path / "data" / "giamngheo.sqlite3"
    assert giamngheo(db, "db", "migrate", cwd=tmp_path).returncode == 0
    target = tmp_path / "backups" / "copy.sqlite3"
    done = giamngheo(db, "db", "backup", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    with sqlite3.connect(target) as copy:
        assert int(copy.execute("PRAGMA user_version").fetchone()[0]) > 0


def test_cli_backup_over_a_wide_file_tightens_it(tmp_path: Path) -> None:
    """A backup replacing an existing 0644 file leaves it 0600 and a valid copy."""
    db = tmp_path / "data" / "giamngheo.sqlite3"
    assert giamngheo(db, "db", "migrate", cwd=tmp_path).returncode == 0
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"old contents, not a database")
    target.chmod(0o644)
    done = giamngheo(db, "db", "backup", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mode(target) == 0o600
    with sqlite3.connect(target) as copy:
        assert int(copy.execute("PRAGMA user_version").fetchone()[0]) > 0


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling", "to-a-file"])
def test_cli_backup_refuses_a_symlink_target(tmp_path: Path, dangling: bool) -> None:
    """`db backup LINK` exits 2 with a Vietnamese and English message and writes nothing."""
    db = tmp_path / "data" / "giamngheo.sqlite3"
    assert giamngheo(db, "db", "migrate", cwd=tmp_path).returncode == 0
    pointed = tmp_path / "elsewhere.sqlite3"
    if not dangling:
        pointed.write_bytes(b"keep me")
    link = tmp_path / "backup.sqlite3"
    link.symlink_to(pointed)
    done = giamngheo(db, "db", "backup", str(link), cwd=tmp_path)
    assert done.returncode == 2
    assert "liên kết tượng trưng" in done.stderr
    assert "symbolic link" in done.stderr
    assert "Traceback" not in done.stderr
    assert link.is_symlink()
    if dangling:
        assert not pointed.exists()
    else:
        assert pointed.read_bytes() == b"keep me"


def test_write_private_replaces_and_tightens(tmp_path: Path) -> None:
    """`write_private` over a 0644 file: content replaced, mode 0600."""
    path = tmp_path / "out.csv"
    path.write_bytes(b"a much longer old content")
    path.chmod(0o644)
    files.write_private(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode(path) == 0o600


def test_write_private_refuses_a_link(tmp_path: Path) -> None:
    """`write_private` to a dangling link raises `UnsafeTarget` and creates nothing."""
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(files.UnsafeTarget):
        files.write_private(link, b"x")
    assert not (tmp_path / "nowhere.csv").exists()


def test_exports_folder_is_beside_the_database(tmp_path: Path) -> None:
    """The default export folder is `exports/` beside the database, created 0700."""
    folder = files.exports_folder(tmp_path / "data" / "bot.sqlite3")
    assert folder == (tmp_path / "data" / "exports").resolve()
    assert mode(folder) == 0o700
