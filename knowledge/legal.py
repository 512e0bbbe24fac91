"""The legal registry (danh mục văn bản pháp luật): law as data, with its life cycle.

Every legal document that the knowledge base or the rules cite is one ``[[documents]]`` table in
``knowledge/legal/registry.toml``: its number, title, issuer, dates, status (in force, amended,
replaced, expired, historical), the documents that amend or replace it, a public address where it
can be read, how sure we are of this metadata, and the money figures (whole đồng) it sets. The
knowledge-base lint checks entries against it, and the answer's "Căn cứ" line is generated from
it, so a document that is replaced changes in one place.

:func:`load_registry` parses and validates the file once (cached); :func:`registry_problems`
lists everything wrong with a parsed registry in plain words. This module does no I/O beyond
reading its own file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Literal, cast

__all__ = [
    "CURRENT_STATUSES",
    "REGISTRY_PATH",
    "STATUSES",
    "DateKind",
    "LegalDocument",
    "Registry",
    "RegistryError",
    "Status",
    "load_registry",
    "parse_registry",
    "registry_problems",
]

REGISTRY_PATH = Path(__file__).with_name("legal") / "registry.toml"

Status = Literal["in_force", "amended", "replaced", "expired", "historical"]
MetadataConfidence = Literal["confirmed", "unverified"]
#: Which date a citation shows: in force from, applies from, or signed on.
DateKind = Literal["in_force", "applies_from", "signed"]

STATUSES: frozenset[str] = frozenset({"in_force", "amended", "replaced", "expired", "historical"})
#: Statuses under which a document may be cited as the current basis of an answer.
CURRENT_STATUSES: frozenset[str] = frozenset({"in_force", "amended"})
_CONFIDENCES = frozenset({"confirmed", "unverified"})
_ID_PATTERN = re.compile(r"[a-z]+(?:-[a-z0-9]+)+")

_REQUIRED: Mapping[str, type] = {
    "id": str,
    "kind": str,
    "title": str,
    "issuer": str,
    "status": str,
    "url": str,
    "confidence": str,
}
_OPTIONAL: Mapping[str, type] = {
    "number": str,
    "label": str,
    "signed": date,
    "in_force": date,
    "applies_from": date,
    "expires": date,
    "amended_by": list,
    "replaced_by": list,
    "figures": list,
    "unverified": list,
    "note": str,
}


class RegistryError(ValueError):
    """The registry file cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("legal registry: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class LegalDocument:
    """One legal document (văn bản pháp luật) and where it stands.

    Attributes:
        id: Registry id, ``<type>-<number>-<year>[-<issuer>]`` in lowercase ASCII.
        number: Official number ("07/2021/NĐ-CP"); empty when no source gave it.
        label: How the document is named in a citation, when not "<kind> <number>".
        kind: Document type, Vietnamese ("Nghị định", "Thông tư", "Luật"…).
        title: Vietnamese title or a faithful description of it.
        issuer: The issuing body, Vietnamese.
        signed: Date signed or passed, if known.
        in_force: First day in force, if known.
        applies_from: First day its rules apply, when that differs or is all that is known.
        status: ``in_force``, ``amended``, ``replaced``, ``expired`` or ``historical``.
        amended_by: Ids of documents that amend it.
        replaced_by: Ids of documents that replace it (or will, from ``expires``).
        expires: Last day it applied (or will apply), if known.
        url: A public address where it (or a page restating it) can be read.
        confidence: Whether this metadata was read in a source (``confirmed``) or not.
        figures: Money amounts in đồng the document sets or that follow from it.
        unverified: Notes on facts about it that no source confirmed.
        note: Free remarks, Vietnamese.
    """

    id: str
    number: str
    label: str
    kind: str
    title: str
    issuer: str
    signed: date | None
    in_force: date | None
    applies_from: date | None
    status: Status
    amended_by: tuple[str, ...]
    replaced_by: tuple[str, ...]
    expires: date | None
    url: str
    confidence: MetadataConfidence
    figures: frozenset[int]
    unverified: tuple[str, ...]
    note: str

    @property
    def name(self) -> str:
        """The name used in a citation: "Nghị định 07/2021/NĐ-CP"."""
        return self.label or f"{self.kind} {self.number}"

    @property
    def is_current(self) -> bool:
        """True when the status lets an answer cite it as the current basis."""
        return self.status in CURRENT_STATUSES

    @property
    def citation_date(self) -> tuple[DateKind, date] | None:
        """The date a citation shows: in force from, else applies from, else signed."""
        if self.in_force is not None:
            return ("in_force", self.in_force)
        if self.applies_from is not None:
            return ("applies_from", self.applies_from)
        if self.signed is not None:
            return ("signed", self.signed)
        return None

    def applies_on(self, day: date) -> bool:
        """Tells whether ``day`` falls before the document's last day (no end = always)."""
        return self.expires is None or day <= self.expires


class Registry:
    """The legal documents, in file order, with lookup by id."""

    def __init__(self, documents: Sequence[LegalDocument]) -> None:
        self.documents = tuple(documents)
        self._by_id = {document.id: document for document in self.documents}

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._by_id

    def __iter__(self) -> Iterator[LegalDocument]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def get(self, document_id: str) -> LegalDocument | None:
        """Returns the document with this id, or None."""
        return self._by_id.get(document_id)

    def figures(self, document_ids: Iterable[str]) -> frozenset[int]:
        """Every money figure of the given documents (unknown ids are skipped)."""
        found: set[int] = set()
        for document_id in document_ids:
            document = self._by_id.get(document_id)
            if document is not None:
                found |= document.figures
        return frozenset(found)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _optional_problem(key: str, kind: type, value: object) -> str | None:
    """Why an optional key's value has the wrong type or shape (None when it is fine)."""
    if kind is date and not _is_date(value):
        return f"key '{key}' must be a TOML date (YYYY-MM-DD)"
    if kind is str and not isinstance(value, str):
        return f"key '{key}' must be a string"
    if key == "figures" and not (
        isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return "'figures' must be a list of positive whole đồng"
    if key in ("amended_by", "replaced_by", "unverified") and not (
        isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    ):
        return f"key '{key}' must be a list of strings"
    return None


def _key_problems(table: Mapping[str, object]) -> list[str]:
    """Missing, mistyped and unknown keys of one ``[[documents]]`` table."""
    problems: list[str] = []
    for key, kind in _REQUIRED.items():
        if key not in table:
            problems.append(f"missing key '{key}'")
        elif not isinstance(table[key], kind) or not cast("str", table[key]).strip():
            problems.append(f"key '{key}' must be a non-empty string")
    for key, kind in _OPTIONAL.items():
        problem = _optional_problem(key, kind, table[key]) if key in table else None
        if problem:
            problems.append(problem)
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    return problems


def _value_problems(table: Mapping[str, object]) -> list[str]:
    """Id, citation name, status, confidence and address problems of one table."""
    problems: list[str] = []
    document_id = table.get("id")
    if isinstance(document_id, str) and not _ID_PATTERN.fullmatch(document_id):
        problems.append("id is not lowercase ASCII '<type>-<number>-<year>'")
    if not table.get("number") and not table.get("label"):
        problems.append("needs a 'number' or a 'label' to be cited by")
    status = table.get("status")
    if isinstance(status, str) and status not in STATUSES:
        problems.append(f"status '{status}' is not one of {sorted(STATUSES)}")
    if status == "replaced" and not table.get("replaced_by"):
        problems.append("status 'replaced' needs 'replaced_by'")
    confidence = table.get("confidence")
    if isinstance(confidence, str) and confidence not in _CONFIDENCES:
        problems.append(f"confidence '{confidence}' is not one of {sorted(_CONFIDENCES)}")
    url = table.get("url")
    if isinstance(url, str) and not url.startswith("https://"):
        problems.append("url must start with https://")
    return problems


def _date_problems(table: Mapping[str, object]) -> list[str]:
    """Dates out of order: signed ≤ in force / applies from ≤ expires."""
    dates = {key: table.get(key) for key in ("signed", "in_force", "applies_from", "expires")}
    problems: list[str] = []
    for earlier, later in (
        ("signed", "in_force"),
        ("signed", "applies_from"),
        ("signed", "expires"),
        ("in_force", "expires"),
        ("applies_from", "expires"),
    ):
        first, second = dates[earlier], dates[later]
        if _is_date(first) and _is_date(second) and cast("date", first) > cast("date", second):
            problems.append(f"'{earlier}' is after '{later}'")
    return problems


def _table_problems(table: Mapping[str, object], label: str) -> list[str]:
    """Key, type and value problems of one ``[[documents]]`` table, each named by `label`."""
    found = [*_key_problems(table), *_value_problems(table), *_date_problems(table)]
    return [f"{label}: {problem}" for problem in found]


def _tables_problems(tables: list[object]) -> tuple[list[str], set[str]]:
    """Problems of each ``[[documents]]`` entry, and the string ids seen.

    Args:
        tables: The ``documents`` array, in file order.

    Returns:
        The problems (each named by the document's id, or by its position when it has none)
        and the set of string ids.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for position, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            problems.append(f"document #{position}: not a table")
            continue
        document_id = table.get("id")
        label = f"document '{document_id}'" if isinstance(document_id, str) else f"#{position}"
        problems.extend(_table_problems(table, label))
        if isinstance(document_id, str):
            if document_id in seen:
                problems.append(f"{label}: duplicate id")
            seen.add(document_id)
    return problems, seen


def _link_problems(table: Mapping[str, object], document_id: str, seen: set[str]) -> list[str]:
    """``amended_by``/``replaced_by`` links of one document that point nowhere or to itself.

    Args:
        table: The document's table.
        document_id: Its id.
        seen: Every id of the registry.

    Returns:
        Plain-language problems, in key and link order.
    """
    problems: list[str] = []
    for key in ("amended_by", "replaced_by"):
        links = table.get(key)
        if not isinstance(links, list):
            continue
        for link in links:
            if link == document_id:
                problems.append(f"document '{document_id}': {key} lists the document itself")
            elif link not in seen:
                problems.append(f"document '{document_id}': {key} '{link}' is not in the registry")
    return problems


def registry_problems(data: Mapping[str, object]) -> list[str]:
    """Checks a parsed registry: tables, duplicate ids, links and date order.

    Args:
        data: The parsed TOML (a ``documents`` array of tables).

    Returns:
        Plain-language problems; empty when the registry can be used.
    """
    tables = data.get("documents")
    if not isinstance(tables, list) or not tables:
        return ["the registry must have at least one [[documents]] table"]
    problems: list[str] = []
    unknown_top = sorted(set(data) - {"documents"})
    if unknown_top:
        problems.append(f"unknown top-level keys: {', '.join(unknown_top)}")
    table_problems, seen = _tables_problems(tables)
    problems.extend(table_problems)
    for table in tables:
        if isinstance(table, dict) and isinstance(table.get("id"), str):
            problems.extend(_link_problems(table, table["id"], seen))
    return problems


def _document(table: Mapping[str, object]) -> LegalDocument:
    def day(key: str) -> date | None:
        value = table.get(key)
        return cast("date", value) if _is_date(value) else None

    def strings(key: str) -> tuple[str, ...]:
        return tuple(cast("list[str]", table.get(key, [])))

    return LegalDocument(
        id=cast("str", table["id"]),
        number=cast("str", table.get("number", "")),
        label=cast("str", table.get("label", "")),
        kind=cast("str", table["kind"]),
        title=cast("str", table["title"]),
        issuer=cast("str", table["issuer"]),
        signed=day("signed"),
        in_force=day("in_force"),
        applies_from=day("applies_from"),
        status=cast("Status", table["status"]),
        amended_by=strings("amended_by"),
        replaced_by=strings("replaced_by"),
        expires=day("expires"),
        url=cast("str", table["url"]),
        confidence=cast("MetadataConfidence", table["confidence"]),
        figures=frozenset(cast("list[int]", table.get("figures", []))),
        unverified=strings("unverified"),
        note=cast("str", table.get("note", "")),
    )


def parse_registry(text: str) -> Registry:
    """Parses and validates registry TOML.

    Args:
        text: The whole registry file.

    Returns:
        The registry.

    Raises:
        RegistryError: When the TOML is invalid or :func:`registry_problems` finds anything.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RegistryError([f"invalid TOML: {error}"]) from None
    problems = registry_problems(data)
    if problems:
        raise RegistryError(problems)
    tables = cast("list[dict[str, object]]", data["documents"])
    return Registry(tuple(_document(table) for table in tables))


def load_registry(path: Path | None = None) -> Registry:
    """Loads the registry file once per path (cached).

    Args:
        path: The TOML file; defaults to ``knowledge/legal/registry.toml``.

    Returns:
        The registry.

    Raises:
        RegistryError: When the file is malformed.
    """
    return _load_registry((REGISTRY_PATH if path is None else path).resolve())


@cache
def _load_registry(path: Path) -> Registry:
    return parse_registry(path.read_text(encoding="utf-8"))
