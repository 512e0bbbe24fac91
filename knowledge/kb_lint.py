"""Content checks for the FAQ folder (``giamngheo kb lint``).

:func:`lint_entries` reads every ``*.md`` file and reports, in plain language, everything that
would make an answer wrong, unsafe or unreachable: schema errors, non-NFC text, overlong answers,
too few phrasings, missing legal sources, dangling related ids, inverted validity dates,
provisional answers that do not tell the resident to check with the ward, and phrasings that
collide with another entry after normalisation (which would make retrieval ambiguous).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from knowledge.faq import FAQ_DIRECTORY, entry_problems, split_front_matter
from knowledge.text import normalize

__all__ = ["MAX_ANSWER_CHARS", "MIN_PHRASINGS", "PROVISIONAL_PHRASE", "lint_entries"]

MAX_ANSWER_CHARS = 900
MIN_PHRASINGS = 4
PROVISIONAL_PHRASE = "cần xác nhận với cán bộ xã/phường"
_LEGACY_PROVISIONAL_PHRASE = "cần xác nhận với cán bộ phường"  # tolerated during conversion
# "07/2021/NĐ-CP", "90/QĐ-TTg", "51/2024/QH15", "169/KH-UBND", "1198/QĐ-MTTW-ĐCT".
_DOCUMENT_NUMBER = re.compile(r"\b\d{1,5}/(?:\d{4}/)?[A-ZĐ][A-ZĐa-z0-9]*(?:-[A-ZĐa-z0-9]+)*")


def _texts(data: Mapping[str, object], body: str) -> list[str]:
    texts = [body]
    for value in data.values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(item for item in value if isinstance(item, str))
    return texts


def _file_problems(data: Mapping[str, object], body: str) -> list[str]:
    """Content rules beyond the schema, for one parsed file."""
    problems: list[str] = []
    for text in _texts(data, body):
        if unicodedata.normalize("NFC", text) != text:
            problems.append(f"text is not NFC: {text[:40]!r}")
    if len(body) > MAX_ANSWER_CHARS:
        problems.append(f"answer has {len(body)} characters (max {MAX_ANSWER_CHARS})")
    phrasings = data.get("phrasings")
    if isinstance(phrasings, list) and len(phrasings) < MIN_PHRASINGS:
        problems.append(f"only {len(phrasings)} phrasings (min {MIN_PHRASINGS})")
    source = data.get("source")
    if isinstance(source, str) and not _DOCUMENT_NUMBER.search(source):
        problems.append("source has no document number (e.g. 07/2021/NĐ-CP)")
    if (
        data.get("confidence") == "provisional"
        and PROVISIONAL_PHRASE not in body
        and _LEGACY_PROVISIONAL_PHRASE not in body
    ):
        problems.append(f"provisional answer must say '{PROVISIONAL_PHRASE}'")
    return problems


def lint_entries(directory: Path | None = None) -> list[str]:
    """Checks every FAQ file of a folder.

    Args:
        directory: The folder; defaults to ``knowledge/faq``.

    Returns:
        Problems as ``"<file>: <problem>"`` lines, sorted by file; empty when clean.
    """
    folder = FAQ_DIRECTORY if directory is None else directory
    problems: list[str] = []
    ids: dict[str, str] = {}
    related: dict[str, list[str]] = {}
    owners: dict[str, str] = {}  # normalised phrasing → entry id
    for path in sorted(folder.glob("*.md")):
        name = path.name
        try:
            data, body = split_front_matter(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(f"{name}: {error}")
            continue
        found = entry_problems(data, body, stem=path.stem) + _file_problems(data, body)
        problems.extend(f"{name}: {problem}" for problem in found)
        entry_id = data.get("id")
        if not isinstance(entry_id, str):
            continue
        if entry_id in ids:
            problems.append(f"{name}: duplicate id '{entry_id}' (also in {ids[entry_id]})")
            continue
        ids[entry_id] = name
        links = data.get("related", [])
        if isinstance(links, list):
            related[name] = [link for link in links if isinstance(link, str)]
        phrasings = data.get("phrasings")
        texts = [data.get("question"), *(phrasings if isinstance(phrasings, list) else [])]
        for text in texts:
            if not isinstance(text, str):
                continue
            key = normalize(text)
            owner = owners.setdefault(key, entry_id)
            if owner != entry_id:
                problems.append(
                    f"{name}: phrasing {text!r} normalises like one in '{owner}' ({key!r})"
                )
    for name, links in related.items():
        for link in links:
            if link not in ids:
                problems.append(f"{name}: related id '{link}' does not exist")
            elif ids[link] == name:
                problems.append(f"{name}: related lists the entry itself")
    return problems
