"""Import rules and catalog invariants from the architecture doc."""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
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


def test_no_channel_imports_another_channel() -> None:
    """A channel module imports only the shared channel modules, never another channel."""
    shared = {"__init__", "base", "text_menu"}
    channels = {path.stem for path in files("bot/channels")} - shared
    assert {"console", "telegram", "zalo_bot", "zalo_oa"} <= channels
    problems = []
    for path in files("bot/channels"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "bot.channels":
                names = [f"bot.channels.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                names = [f"bot.channels.{node.module or ''}"]
            problems += [
                f"{path.name}: {name}"
                for name in names
                if name.removeprefix("bot.channels.") in channels - {path.stem}
            ]
    assert problems == []


def _imports_composition_root(path: Path) -> bool:
    """Whether a file imports `bot.app` (also as `from bot import app`), even inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(
            alias.name == "bot.app" or alias.name.startswith("bot.app.") for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "bot.app" or node.module.startswith("bot.app."):
                return True
            if node.module == "bot" and any(alias.name == "app" for alias in node.names):
                return True
    return False


def test_handlers_do_not_import_the_composition_root() -> None:
    """No handler imports `bot.app`: a feature's CLI opens the database, never the whole app."""
    offenders = [
        str(path.relative_to(ROOT)) for path in files("handlers") if _imports_composition_root(path)
    ]
    assert offenders == []


# --------------------------------------------------------------------- keys built at run time

_KEY_CALLS = {"t"}  # `t(...)`, `turn.t(...)`, `self.t(...)`: the translator's call
_SLOT = "{}"


@dataclass(frozen=True)
class BuiltKey:
    """A translation key the code builds with an f-string: where, the template, its slots."""

    where: str
    template: str  # constants resolved, every other `{...}` replaced by `{}`
    slots: tuple[str, ...]  # the source of each unresolved `{...}`

    def pattern(self) -> re.Pattern[str]:
        """The catalog keys this template can produce."""
        parts = [re.escape(part) for part in self.template.split(_SLOT)]
        return re.compile("[A-Za-z0-9_-]+".join(parts))


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` (or annotated) assignments."""
    found: dict[str, str] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = value.value
    return found


def _constants_in_scope(tree: ast.Module, by_module: dict[str, dict[str, str]]) -> dict[str, str]:
    """The module's own string constants plus those it imports from project modules."""
    scope = dict(_string_constants(tree))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in by_module:
            source = by_module[node.module]
            for alias in node.names:
                if alias.name in source:
                    scope[alias.asname or alias.name] = source[alias.name]
    return scope


def _f_string_key(node: ast.AST) -> ast.JoinedStr | None:
    """The f-string a translator call takes as its key, if `node` is such a call."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    key = node.args[0]
    return key if name in _KEY_CALLS and isinstance(key, ast.JoinedStr) else None


def _built_key(node: ast.JoinedStr, scope: dict[str, str], where: str) -> BuiltKey:
    template, slots = "", []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            template += part.value
        elif (
            isinstance(part, ast.FormattedValue)
            and isinstance(part.value, ast.Name)
            and part.value.id in scope
        ):
            template += scope[part.value.id]
        else:
            template += _SLOT
            value = part.value if isinstance(part, ast.FormattedValue) else part
            slots.append(ast.unparse(value))
    return BuiltKey(where, template, tuple(slots))


def built_keys() -> list[BuiltKey]:
    """Every f-string passed as the key of a translator call in bot/ and handlers/."""
    paths = [*files("bot"), *files("handlers")]
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    by_module = {_module_name(path): _string_constants(tree) for path, tree in trees.items()}
    keys: list[BuiltKey] = []
    for path, tree in trees.items():
        scope = _constants_in_scope(tree, by_module)
        for node in ast.walk(tree):
            if (f_string := _f_string_key(node)) is not None:
                where = f"{path.relative_to(ROOT)}:{f_string.lineno}"
                keys.append(_built_key(f_string, scope, where))
    return keys


def test_keys_built_with_f_strings_are_found() -> None:
    """The scan sees the registration flow's keys (so the checks below cannot pass vacuously)."""
    templates = {key.template for key in built_keys()}
    assert "exit_registration.status.{}" in templates
    assert "exit_registration.consent" in templates  # `{K}consent` resolved through K


def test_every_key_built_with_an_f_string_exists_in_both_catalogs() -> None:
    """A built key with constants only is in both catalogs; one with slots matches a key in each."""
    catalogs = {language: load_catalog(language, LOCALE_DIR) for language in ("vi", "en")}
    missing = []
    for key in built_keys():
        for language, catalog in catalogs.items():
            pattern = key.pattern()
            if not any(pattern.fullmatch(message_id) for message_id in catalog):
                missing.append(f"{key.where}: {key.template} ({language})")
    assert missing == []


def _enum_domains() -> dict[str, list[str]]:
    """Templates filled from enum members and fixed tuples, with every value they can take."""
    from handlers.exit_registration._steps import EDITABLE, FORM, Step
    from knowledge.assessment import CATEGORIES
    from storage.ledger import DONOR_TYPES, FUNDS, METHODS
    from storage.registrations import CAUSES, SUPPORTS, Status

    asked = [step for step in FORM if step not in {Step.CONSENT, Step.SUMMARY}]
    return {
        "exit_registration.ask.{}": [step.value for step in asked],
        "exit_registration.field.{}": [step.value for step in EDITABLE],
        "exit_registration.status.{}": [status.value for status in Status],
        "exit_registration.cause.{}": list(CAUSES),
        "exit_registration.support.{}": list(SUPPORTS),
        "donations.fund.{}": list(FUNDS),
        "donations.method.{}": list(METHODS),
        "donations.type.{}": list(DONOR_TYPES),
        "self_check.category.{}": list(CATEGORIES),
    }


def test_keys_built_from_enum_members_exist_in_both_catalogs() -> None:
    """Each member of an enum (or fixed tuple) a key is built from has its key in both catalogs."""
    catalogs = {language: load_catalog(language, LOCALE_DIR) for language in ("vi", "en")}
    missing = [
        f"{template.replace(_SLOT, value)} ({language})"
        for template, values in _enum_domains().items()
        for value in values
        for language, catalog in catalogs.items()
        if template.replace(_SLOT, value) not in catalog
    ]
    assert missing == []


def test_keys_built_from_enum_values_have_a_domain() -> None:
    """Keys built from `member.value` are listed in the enum domains; every listed one is used."""
    domains = _enum_domains()
    from_values = {
        key.template for key in built_keys() if any(slot.endswith(".value") for slot in key.slots)
    }
    used = {key.template for key in built_keys()}
    assert sorted(from_values - set(domains)) == []
    assert sorted(set(domains) - used) == []


# --------------------------------------------------------------------------------- settings

_SETTING_READERS = {"get", "get_int", "get_bool"}


def settings_read() -> set[str]:
    """Environment keys `Config.from_mapping` reads (`get("KEY", …)` and its typed variants)."""
    tree = ast.parse((ROOT / "bot" / "core" / "config.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _SETTING_READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def test_every_setting_is_documented_in_the_env_example() -> None:
    """`.env.example` lists exactly the settings the config reads."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {line.partition("=")[0] for line in lines if re.match(r"[A-Z][A-Z0-9_]*=", line)}
    assert "DATABASE_PATH" in documented
    assert sorted(settings_read() ^ documented) == []


def test_every_setting_is_used() -> None:
    """Each `Config` field is read somewhere outside bot/core/config.py: no dead settings."""
    from bot.core.config import Config

    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("bot", "handlers", "knowledge", "storage")
        for path in files(folder)
        if path != ROOT / "bot" / "core" / "config.py"
    )
    unused = [
        field.name
        for field in dataclasses.fields(Config)
        if not re.search(rf"\.{field.name}\b", sources)
    ]
    assert len(dataclasses.fields(Config)) > 10
    assert unused == []
