"""The repository stands alone: no tracked file points at notes outside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "/" + "work/", "DOMAIN" + ".md")


def _tracked_text_files() -> list[Path]:
    """Every file git tracks that reads as UTF-8 text (binary files are skipped)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
    ).stdout.decode("utf-8")
    files: list[Path] = []
    for name in filter(None, listing.split("\0")):
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
