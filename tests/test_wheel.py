"""The wheel: built from pyproject.toml, installed into a fresh virtual environment, it chats.

Offline, as every test here: the build uses this environment's setuptools (no build
isolation, no index); the wheel is installed without dependencies into a new environment
without system site-packages, whose only other path is this environment's site-packages (a
``.pth`` line: read-only, and the editable install's finder there is not run), so the project's
own code can only come from the wheel. The chat runs from a folder outside the checkout. The
matcher's cache (keyed by a hash of the content the installed code reads) is the session's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.i18n import Translator

ROOT = Path(__file__).resolve().parents[1]
# Top-level entries of the checkout that are not build inputs (caches, data, the dev venv).
_NOT_BUILD_INPUT = {
    ".git",
    ".venv",
    ".ci",
    ".hypothesis",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "bench",
    "build",
    "data",
    "dist",
    "tests",
}
# What the installed code reads at run time besides its modules.
_KNOWLEDGE_DATA = (".md", ".toml", ".txt", ".csv")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")

pytestmark = pytest.mark.slow


def _ignore(folder: str, names: list[str]) -> set[str]:
    """Leave out caches, build leftovers and, at the top, everything that is not a build input."""
    skipped = {name for name in names if name == "__pycache__" or name.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skipped |= _NOT_BUILD_INPUT & set(names)
    return skipped


def _run(
    args: list[str],
    *,
    cwd: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> str:
    """Run a command, failing the test with its output if it fails; returns stdout."""
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args[:4]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The wheel built from a copy of the work tree (the checkout itself stays untouched)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_ignore)
    dist = base / "dist"
    _run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--no-index", "-w", str(dist), "."),
        ],
        cwd=source,
        timeout=180,
    )
    (built,) = dist.glob("giamngheo-*.whl")
    yield built


def _data_files(folder: str, suffixes: tuple[str, ...]) -> set[str]:
    """The checkout's files under `folder` with one of `suffixes`, as wheel member names."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts
    }


def test_wheel_holds_catalogs_migrations_and_knowledge(wheel: Path) -> None:
    """Every catalog, migration and knowledge data file of the checkout is in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
    expected = {
        "catalogs": _data_files("locale", (".po", ".mo")),
        "migrations": _data_files("storage/migrations", (".sql",)),
        "knowledge": _data_files("knowledge", _KNOWLEDGE_DATA),
    }
    assert all(expected.values()), expected  # the walk found files, so the check is not vacuous
    missing = {kind: sorted(files - members) for kind, files in expected.items() if files - members}
    assert missing == {}


def _fixed_parts(template: str) -> list[str]:
    """The literal pieces of a catalog template between its `{placeholders}`."""
    return [part.strip() for part in _PLACEHOLDER.split(template) if part.strip()]


def test_installed_wheel_chats_in_vietnamese(wheel: Path, tmp_path: Path) -> None:
    """In a fresh venv, `giamngheo chat` run elsewhere greets and answers in Vietnamese."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, timeout=60)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / "python"
    install = ["install", "--quiet", "--no-compile", "--no-deps", "--no-index", str(wheel)]
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), *install], cwd=tmp_path, timeout=300
    )
    # The dependencies: this environment's, appended after the new one's own site-packages.
    (site,) = venv.glob("lib/python*/site-packages")
    here = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "dependencies.pth").write_text(f"{here}\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "DATABASE_PATH", "DEMO_DATA"}
    }
    origin = _run(
        [str(python), "-c", "import bot, locale; print(bot.__file__); print(locale.__file__)"],
        cwd=elsewhere,
        timeout=60,
        env=env,
    ).splitlines()
    assert Path(origin[0]).is_relative_to(venv)  # the installed code, not the checkout
    assert Path(origin[1]).name == "locale.py"  # the catalogs folder does not shadow the stdlib

    out = _run(
        [str(scripts / "giamngheo"), "chat"],
        cwd=elsewhere,
        timeout=120,
        env=env,
        stdin="/start\nho ngheo dc vay von ko\n",
    )

    t = Translator("vi")
    assert t("menu.welcome", name=t("menu.friend")) in out
    for key in ("faq.menu", "self_check.menu", "faq.was_helpful"):
        assert t(key) in out
    assert all(part in out for part in _fixed_parts(t("faq.basis")))
    assert "menu.welcome" not in out  # a missing catalog would show the bare keys
    assert (elsewhere / "data" / "giamngheo.sqlite3").is_file()  # migrated where it was run
