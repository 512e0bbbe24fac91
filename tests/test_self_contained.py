"""The repository stands alone: no tracked file points at notes outside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "/" + "work/", "DOMAIN" + ".md")
# Outside a git checkout (an unpacked copy), the walk skips what is never part of the project.
_NOT_PROJECT = {".git", ".venv", "data", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _project_names() -> list[str]:
    """Paths git tracks; outside a checkout, every file below the root but caches and data."""
    git = shutil.which("git")
    if git is not None and (ROOT / ".git").exists():
        listing = subprocess.run(
            [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout.decode("utf-8")
        return [name for name in listing.split("\0") if name]
    return [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*")
        if path.is_file()
        and not _NOT_PROJECT & set(path.relative_to(ROOT).parts)
        and "__pycache__" not in path.parts
    ]


def _tracked_text_files() -> list[Path]:
    """Every project file that reads as UTF-8 text (binary files are left out)."""
    files: list[Path] = []
    for name in _project_names():
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def test_tracked_files_are_found() -> None:
    """The walk sees the project's own sources (so the next test cannot pass vacuously)."""
    names = {path.relative_to(ROOT).as_posix() for path in _tracked_text_files()}
    assert {"README.md", "knowledge/legal.py", "tests/test_self_contained.py"} <= names


def test_no_file_refers_outside_the_repository() -> None:
    """No tracked text file mentions the shared notes folder, absolute work paths or notes."""
    offending = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {marker}"
        for path in _tracked_text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for marker in FORBIDDEN
        if marker in line
    ]
    assert offending == []
