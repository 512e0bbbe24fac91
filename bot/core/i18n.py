"""Translations through Babel catalogs, and VND / date formatting with Babel.

Catalogs are `.po` files under `locale/<lang>/LC_MESSAGES/*.po` (one per feature), read with
Babel at start-up. Message ids are stable keys (`menu.welcome`); Vietnamese is complete and
English is the second locale. Placeholders use `str.format` names: `{amount}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency

LOCALE_DIR = Path(__file__).resolve().parent.parent.parent / "locale"
LANGUAGES = ("vi", "en")
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@cache
def load_catalog(language: str, directory: Path = LOCALE_DIR) -> Mapping[str, str]:
    """All translated messages of `language`, merged from every `.po` file of that locale."""
    messages: dict[str, str] = {}
    folder = directory / language / "LC_MESSAGES"
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=BABEL_LOCALES[language])
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            if message.id in messages:
                raise ValueError(f"message id {message.id!r} defined twice ({po_path.name})")
            if isinstance(message.string, str) and message.string:
                messages[message.id] = message.string
    return messages


class Translator:
    """Looks up message ids in one language, falling back to Vietnamese, then to the id."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "vi"
        self._catalog = load_catalog(self.language)
        self._fallback = load_catalog("vi")

    def __call__(self, key: str, /, **params: object) -> str:
        """Translate `key` and fill its `{placeholders}` from `params`."""
        template = self._catalog.get(key) or self._fallback.get(key) or key
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        """Whether the key is translated in this language or in Vietnamese."""
        return key in self._catalog or key in self._fallback


def format_vnd(amount: int, language: str = "vi") -> str:
    """Money in đồng the Vietnamese way: `3.700.000.000 ₫` (always the vi_VN pattern)."""
    del language  # đồng are written the Vietnamese way in both locales
    return format_currency(amount, "VND", locale="vi_VN").replace("\xa0", " ")


def to_local(moment: datetime) -> datetime:
    """A UTC (or aware) time converted to Asia/Ho_Chi_Minh."""
    return moment.astimezone(TIMEZONE)


def format_day(day: date, language: str = "vi") -> str:
    """A date as `dd/MM/yyyy`."""
    return format_date(day, "dd/MM/yyyy", locale=BABEL_LOCALES.get(language, "vi_VN"))


def format_moment(moment: datetime, language: str = "vi") -> str:
    """A time as `HH:mm dd/MM/yyyy` in Asia/Ho_Chi_Minh."""
    return format_datetime(
        to_local(moment), "HH:mm dd/MM/yyyy", locale=BABEL_LOCALES.get(language, "vi_VN")
    )
