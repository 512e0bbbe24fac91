"""Small text helpers for matching what users type (diacritics- and case-insensitive)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces: "Hủy " → "huy"."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped)


def nfc(text: str) -> str:
    """Text in Unicode NFC (how all content is stored)."""
    return unicodedata.normalize("NFC", text)
