"""Vietnamese text normalisation shared by the FAQ content and residents' questions.

Residents type with or without diacritics (dấu), in chat shorthand ("ko", "dc", "bn") and with
typos. Retrieval compares both sides after the same :func:`normalize`, which folds all of that
to plain ASCII lower-case words. The abbreviation table lives in ``abbreviations.toml`` next to
this module so content editors can extend it without touching code.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Abbreviations", "load_abbreviations", "normalize", "strip_diacritics", "tokens"]

_ABBREVIATIONS_FILE = Path(__file__).with_name("abbreviations.toml")

# Thousands separators inside numbers: "1.500.000" and "1,500,000" become "1500000".
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
# A number glued to a unit ("500k", "2tr") is split into two tokens.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])")
# "1tr5" (1,5 million) keeps its trailing digit apart from the unit.
_UNIT_DIGIT = re.compile(r"(?<=\d)(tr|k)(?=\d)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Abbreviations:
    """Token rewrite tables loaded from ``abbreviations.toml``.

    Attributes:
        tokens: Rewrites applied to any token (e.g. ``ko`` → ``khong``).
        after_number: Rewrites applied only right after a number token (``500 k`` → ``nghin``).
        term_weights: Retrieval weight multipliers for meaning-flipping syllables (``can``).
        present_markers: Normalised phrases meaning "in force today" (``hien nay``).
    """

    tokens: dict[str, tuple[str, ...]]
    after_number: dict[str, tuple[str, ...]]
    term_weights: dict[str, float]
    present_markers: tuple[str, ...]


def _table(raw: object, *, name: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        msg = f"abbreviations: [{name}] must be a table"
        raise ValueError(msg)
    table: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            msg = f"abbreviations: [{name}].{key} must be a non-empty string"
            raise ValueError(msg)
        table[str(key)] = tuple(value.split())
    return table


@functools.cache
def load_abbreviations(path: Path = _ABBREVIATIONS_FILE) -> Abbreviations:
    """Loads the abbreviation tables once per path.

    Args:
        path: The TOML file; defaults to ``abbreviations.toml`` beside this module.

    Returns:
        The parsed tables.

    Raises:
        ValueError: When a table or value has the wrong type.
    """
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    weights = data.get("term_weights", {})
    if not isinstance(weights, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in weights.values()
    ):
        msg = "abbreviations: [term_weights] values must be positive numbers"
        raise ValueError(msg)
    return Abbreviations(
        tokens=_table(data.get("tokens", {}), name="tokens"),
        after_number=_table(data.get("after_number", {}), name="after_number"),
        term_weights={str(k): float(v) for k, v in weights.items()},
        present_markers=_phrases(data.get("present_markers", {})),
    )


def _phrases(raw: object) -> tuple[str, ...]:
    phrases = raw.get("phrases", []) if isinstance(raw, dict) else None
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        msg = "abbreviations: [present_markers].phrases must be a list of strings"
        raise ValueError(msg)
    return tuple(phrases)


def strip_diacritics(text: str) -> str:
    """Removes Vietnamese diacritics, keeping letter case.

    ``đ``/``Đ`` become ``d``/``D``; every combining mark is dropped.

    Args:
        text: Any Unicode text (NFC or NFD).

    Returns:
        The text without diacritics, NFC-composed.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def _fold(text: str) -> str:
    """NFC, lower case, no diacritics, numbers joined, punctuation → spaces."""
    folded = strip_diacritics(unicodedata.normalize("NFC", text).lower())
    folded = folded.replace("²", "2").replace("%", " phan tram ")
    folded = _THOUSANDS.sub("", folded)
    folded = _UNIT_DIGIT.sub(r" \1 ", folded)
    folded = _DIGIT_LETTER.sub(" ", folded)
    return _NON_WORD.sub(" ", folded).strip()


def tokens(text: str) -> list[str]:
    """Returns the normalised word tokens of ``text`` (see :func:`normalize`).

    Args:
        text: A question or phrasing as typed.

    Returns:
        ASCII lower-case tokens with abbreviations expanded.
    """
    table = load_abbreviations()
    result: list[str] = []
    previous_is_number = False
    for token in _fold(text).split():
        expansion = None
        if previous_is_number:
            expansion = table.after_number.get(token)
        if expansion is None:
            expansion = table.tokens.get(token)
        if expansion is None:
            result.append(token)
        else:
            result.extend(expansion)
        previous_is_number = _NUMBER.fullmatch(token) is not None
    return result


def normalize(text: str) -> str:
    """Folds text for matching: NFC, lower case, no diacritics, no punctuation, no shorthand.

    Examples: ``"Hộ cận nghèo được BHYT bao nhiêu %?"`` →
    ``"ho can ngheo duoc bao hiem y te bao nhieu phan tram"``;
    ``"ho ngheo dc vay von ko"`` → ``"ho ngheo duoc vay von khong"``.

    Args:
        text: A question or phrasing as typed.

    Returns:
        Space-separated ASCII tokens; empty when the text has no letters or digits.
    """
    return " ".join(tokens(text))
