"""Import rules and catalog invariants from the architecture doc."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.core.i18n import LOCALE_DIR, load_catalog

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Top-level module names a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files(folder: str) -> list[Path]:
    """Python files under a folder."""
    return sorted((ROOT / folder).rglob("*.py"))


def test_only_the_telegram_channel_imports_telegram() -> None:
    """Only bot/channels/telegram.py imports the telegram package."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers", "knowledge", "storage")
        for path in files(folder)
        if any(name == "telegram" or name.startswith("telegram.") for name in imports_of(path))
    ]
    assert offenders == ["bot/channels/telegram.py"]


def test_layers_import_only_downwards() -> None:
    """Handlers, core, knowledge and storage import only the layers below them."""
    problems = []
    for path in files("handlers"):
        problems += [f"{path}: {n}" for n in imports_of(path) if n.startswith("bot.channels")]
    for path in files("bot/core"):
        problems += [
            f"{path}: {n}" for n in imports_of(path) if n.startswith(("handlers", "bot.channels"))
        ]
    for folder in ("knowledge", "storage"):
        for path in files(folder):
            problems += [
                f"{path}: {n}" for n in imports_of(path) if n.startswith(("bot", "handlers"))
            ]
    assert problems == []


def test_catalogs_are_complete_in_both_languages() -> None:
    """Every message id has a Vietnamese and an English translation."""
    vi = load_catalog("vi", LOCALE_DIR)
    en = load_catalog("en", LOCALE_DIR)
    assert len(vi) > 50
    assert set(vi) - set(en) == set()
    assert set(en) - set(vi) == set()


def test_every_translation_key_used_in_code_exists() -> None:
    """Literal keys passed to t()/reply() exist in the Vietnamese catalog."""
    vi = load_catalog("vi", LOCALE_DIR)
    missing = []
    for folder in ("bot", "handlers"):
        for path in files(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"t", "reply", "choice"}
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and "." in node.args[0].value
                ) and node.args[0].value not in vi:
                    missing.append(f"{path.name}: {node.args[0].value}")
    assert missing == []
