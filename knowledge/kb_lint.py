"""Content checks for the FAQ folder (``giamngheo kb lint``).

:func:`lint_entries` reads every ``*.md`` file and reports, in plain language, everything that
would make an answer wrong, unsafe or unreachable:

* schema errors, non-NFC text, overlong answers, too few phrasings, dangling or self ``related``
  ids, inverted validity dates, and phrasings that collide with another entry after
  normalisation (which would make retrieval ambiguous);
* legal basis, checked against the legal registry (:mod:`knowledge.legal`): a cited id that is
  not in the registry; a document cited as current (no ``valid_to``, or ``valid_to`` after the
  document's last day) although the registry marks it replaced, expired or historical;
* honesty about unverified facts: ``unverified`` notes without ``confidence = "provisional"``
  or the reverse, and a provisional answer that does not tell the resident to confirm with the
  commune/ward ("cần xác nhận với cán bộ xã/phường");
* freshness: ``reviewed`` more than :data:`MAX_REVIEW_AGE_DAYS` days before ``today``;
* figures: every money amount written in the answer ("1.500.000 đồng", "2,2 triệu",
  "500.000đ") must be a figure of a cited document, or be explained in the entry's ``derived``
  table (``derived = {"6000000" = "4 × 1.500.000"}``) for worked examples;
* the registry itself (duplicate ids, dangling links, dates out of order).

Money in content follows one written style ("." groups thousands, "," marks decimals), so it is
read with a small strict reader here rather than with :func:`knowledge.money.parse_money`, which
is built to refuse the ambiguous forms residents type ("75.000 tỷ" could be 75 or 75,000 there).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from knowledge.faq import FAQ_DIRECTORY, entry_problems, split_front_matter
from knowledge.legal import REGISTRY_PATH, Registry, RegistryError, parse_registry
from knowledge.text import load_abbreviations, normalize, strip_diacritics

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_REVIEW_AGE_DAYS",
    "MIN_PHRASINGS",
    "PROVISIONAL_PHRASE",
    "lint_entries",
    "money_figures",
]

MAX_ANSWER_CHARS = 900
MIN_PHRASINGS = 12
MAX_REVIEW_AGE_DAYS = 365
PROVISIONAL_PHRASE = "cần xác nhận với cán bộ xã/phường"

_SCALES = {
    "nghìn tỷ": 10**12,
    "nghìn tỉ": 10**12,
    "ngàn tỷ": 10**12,
    "tỷ": 10**9,
    "tỉ": 10**9,
    "triệu": 10**6,
    "tr": 10**6,
    "nghìn": 10**3,
    "ngàn": 10**3,
}
# A number ("1.500.000", "2,2", "75.000") followed by a scale word and/or a currency mark.
_MONEY = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<decimal>\d+))?"
    r"(?:\s*(?P<scale>nghìn tỷ|nghìn tỉ|ngàn tỷ|tỷ|tỉ|triệu|tr|nghìn|ngàn)(?!\w))?"
    r"(?:\s*(?P<currency>đồng|đ|₫|VNĐ|VND)(?!\w))?",
    re.IGNORECASE,
)


def money_figures(text: str) -> list[tuple[str, int]]:
    """Money amounts written in a text, with the words they were read from.

    Args:
        text: An answer body.

    Returns:
        ``(written, amount in đồng)`` for each number followed by a scale word ("triệu",
        "tỷ"…) or a currency mark ("đồng", "đ", "₫"); amounts that are not whole đồng (prices
        per kWh such as "2.204,07 đồng") are left out.
    """
    found: list[tuple[str, int]] = []
    for match in _MONEY.finditer(unicodedata.normalize("NFC", text)):
        scale, currency = match.group("scale"), match.group("currency")
        if scale is None and currency is None:
            continue
        digits = match.group("number").replace(".", "")
        decimal = match.group("decimal")
        try:
            value = Decimal(f"{digits}.{decimal}" if decimal else digits)
        except InvalidOperation:  # pragma: no cover - the pattern only admits digits
            continue
        amount = value * _SCALES.get((scale or "").lower(), 1)
        if amount != amount.to_integral_value():
            continue
        found.append((match.group(0).strip(), int(amount)))
    return found


def _texts(data: Mapping[str, object], body: str) -> list[str]:
    texts = [body]
    for value in data.values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(item for item in value if isinstance(item, str))
        elif isinstance(value, dict):
            texts.extend(item for item in value.values() if isinstance(item, str))
    return texts


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _derived(data: Mapping[str, object]) -> tuple[set[int], list[str]]:
    """The ``derived`` table's amounts, and problems with the table itself."""
    table = data.get("derived")
    if table is None:
        return set(), []
    if not isinstance(table, dict):
        return set(), ['\'derived\' must be a table of "amount" = "how it is computed"']
    amounts: set[int] = set()
    problems: list[str] = []
    for key, how in table.items():
        if not key.isdigit() or not isinstance(how, str) or not how.strip():
            problems.append(f'derived entry {key!r} must be "<whole đồng>" = "<arithmetic>"')
            continue
        amounts.add(int(key))
    return amounts, problems


def _honesty_problems(data: Mapping[str, object], body: str) -> list[str]:
    """Unverified facts that are not shown as provisional, and provisional answers that hide it.

    Args:
        data: The entry's front matter.
        body: The answer text.

    Returns:
        Plain-language problems; empty when the entry is honest about what is unverified.
    """
    problems: list[str] = []
    confidence = data.get("confidence")
    unverified = _strings(data.get("unverified"))
    if unverified and confidence != "provisional":
        problems.append(
            "lists unverified facts but confidence is not 'provisional' "
            "(an unverified fact must be shown as provisional)"
        )
    if confidence == "provisional" and not unverified:
        problems.append("is provisional but 'unverified' is empty: say which fact is unverified")
    if confidence == "provisional" and PROVISIONAL_PHRASE not in body:
        problems.append(f"provisional answer must say '{PROVISIONAL_PHRASE}'")
    return problems


def _review_problems(data: Mapping[str, object], today: date) -> list[str]:
    """A ``reviewed`` date older than :data:`MAX_REVIEW_AGE_DAYS`, or in the future.

    Args:
        data: The entry's front matter.
        today: The day of the check.

    Returns:
        At most one problem; none when ``reviewed`` is missing or not a date.
    """
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, date) or isinstance(reviewed, datetime):
        return []  # the schema check reports a date-time as the wrong type
    age = (today - reviewed).days
    if age > MAX_REVIEW_AGE_DAYS:
        return [
            f"reviewed on {reviewed.isoformat()}, {age} days ago "
            f"(more than {MAX_REVIEW_AGE_DAYS}): check it against the law again"
        ]
    if age < 0:
        return [f"reviewed date {reviewed.isoformat()} is in the future"]
    return []


def _citation_problem(document_id: str, registry: Registry, valid_to: object) -> str | None:
    """Why one cited id cannot be the basis of the answer (``None`` when it can).

    Args:
        document_id: The cited registry id.
        registry: The legal registry.
        valid_to: The entry's ``valid_to`` value (a date, or anything when missing or wrong).

    Returns:
        The problem: an id not in the registry, a document no longer current cited with no
        ``valid_to``, or a ``valid_to`` after the document's last day; else ``None``.
    """
    document = registry.get(document_id)
    if document is None:
        return f"cites '{document_id}', which is not in the legal registry"
    if document.is_current:
        return None
    end = document.expires
    if not isinstance(valid_to, date):
        return (
            f"cites {document.name} as current, but the registry marks it "
            f"{document.status}: set valid_to (≤ its end) or cite what replaced it"
        )
    if end is not None and valid_to > end:
        return (
            f"valid_to {valid_to.isoformat()} is after the end of {document.name} "
            f"({document.status}, last day {end.isoformat()})"
        )
    return None


def _figure_problems(
    data: Mapping[str, object], body: str, registry: Registry, cites: list[str]
) -> list[str]:
    """Problems of the ``derived`` table, then each amount that no cited document sets.

    Args:
        data: The entry's front matter.
        body: The answer text.
        registry: The legal registry.
        cites: The cited registry ids.

    Returns:
        Plain-language problems, in the order of the table and of the answer.
    """
    derived, problems = _derived(data)
    allowed = set(registry.figures(cites)) | derived
    for written, amount in money_figures(body):
        if amount not in allowed:
            problems.append(
                f"figure '{written}' ({amount} đồng) is not a figure of the cited documents "
                "(cite the document that sets it, or explain it in 'derived')"
            )
    return problems


def _legal_problems(
    data: Mapping[str, object], body: str, registry: Registry | None, today: date
) -> list[str]:
    """Citations, unverified facts, review date and figures of one parsed entry.

    Args:
        data: The entry's front matter.
        body: The answer text.
        registry: The legal registry, or ``None`` when it could not be read (citations and
            figures are then not checked).
        today: The day of the check.

    Returns:
        Plain-language problems: honesty, review age, citations, then figures.
    """
    problems = [*_honesty_problems(data, body), *_review_problems(data, today)]
    if "cites" not in data:
        return problems
    cites = _strings(data.get("cites"))
    if not cites:
        problems.append("cites no legal document (need at least one registry id)")
    if registry is None:
        return problems
    valid_to = data.get("valid_to")
    for document_id in cites:
        problem = _citation_problem(document_id, registry, valid_to)
        if problem is not None:
            problems.append(problem)
    problems.extend(_figure_problems(data, body, registry, cites))
    return problems


# A Vietnamese syllable once diacritics are gone (đ → d): onset, one to three vowels, coda.
# A word that fits no such shape and is no known abbreviation is a typo or a telex leftover
# ("ngheof", "dduowcj"), which residents type and phrasings must therefore carry.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?"
)
_FOLD_WORDS = re.compile(r"[^a-z0-9]+")
#: Phrasings of each kind an entry needs (issue 13: written the ways residents type).
VARIETY: Mapping[str, int] = {
    "with diacritics": 3,
    "without diacritics": 3,
    "with a chat abbreviation (ko, dc, bn, j, ntn…)": 1,
    "with a typo or telex leftover (ngheof, dduowcj…)": 1,
    "short (4 words or fewer)": 1,
    "long, with the resident's situation (12 words or more)": 1,
}


def _words(text: str) -> list[str]:
    return [w for w in _FOLD_WORDS.split(strip_diacritics(text).lower()) if w]


def phrasing_kinds(text: str, known: frozenset[str]) -> set[str]:
    """The kinds of :data:`VARIETY` a phrasing counts for.

    Args:
        text: The phrasing.
        known: Words that are neither typos nor telex leftovers although no syllable shape
            fits them (the base's own acronyms such as "bhyt", and abbreviation keys).
    """
    kinds: set[str] = set()
    kinds.add("without diacritics" if strip_diacritics(text) == text else "with diacritics")
    words = _words(text)
    abbreviations = load_abbreviations().tokens
    if any(word in abbreviations for word in words):
        kinds.add("with a chat abbreviation (ko, dc, bn, j, ntn…)")
    if any(
        not word.isdigit() and word not in known and not _SYLLABLE.fullmatch(word) for word in words
    ):
        kinds.add("with a typo or telex leftover (ngheof, dduowcj…)")
    if len(words) <= 4:
        kinds.add("short (4 words or fewer)")
    if len(words) >= 12:
        kinds.add("long, with the resident's situation (12 words or more)")
    return kinds


def _known_words(files: Sequence[tuple[str, str, dict[str, object], str]]) -> frozenset[str]:
    """Words of the questions and answers (acronyms such as "bhyt"), and abbreviation keys."""
    words = set(load_abbreviations().tokens)
    for _, _, data, body in files:
        words.update(_words(f"{data.get('question', '')} {body}"))
    return frozenset(words)


def _variety_problems(phrasings: Sequence[str], known: frozenset[str]) -> list[str]:
    counts = dict.fromkeys(VARIETY, 0)
    for text in phrasings:
        for kind in phrasing_kinds(text, known):
            counts[kind] += 1
    return [
        f"needs {need} phrasing(s) {kind}, has {counts[kind]}"
        for kind, need in VARIETY.items()
        if counts[kind] < need
    ]


def _file_problems(data: Mapping[str, object], body: str) -> list[str]:
    """Text rules beyond the schema, for one parsed file."""
    problems: list[str] = []
    for text in _texts(data, body):
        if unicodedata.normalize("NFC", text) != text:
            problems.append(f"text is not NFC: {text[:40]!r}")
    if len(body) > MAX_ANSWER_CHARS:
        problems.append(f"answer has {len(body)} characters (max {MAX_ANSWER_CHARS})")
    phrasings = data.get("phrasings")
    if isinstance(phrasings, list) and len(phrasings) < MIN_PHRASINGS:
        problems.append(f"only {len(phrasings)} phrasings (min {MIN_PHRASINGS})")
    return problems


def _registry(path: Path) -> tuple[Registry | None, list[str]]:
    try:
        return parse_registry(path.read_text(encoding="utf-8")), []
    except OSError as error:
        return None, [f"legal registry: cannot read {path.name}: {error.strerror}"]
    except RegistryError as error:
        return None, [f"legal registry: {problem}" for problem in error.problems]


def _front_matter(path: Path) -> tuple[dict[str, object], str] | str:
    try:
        return split_front_matter(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return str(error)


def lint_entries(
    directory: Path | None = None, *, today: date, registry_path: Path | None = None
) -> list[str]:
    """Checks every FAQ file of a folder, and the legal registry it cites.

    Args:
        directory: The folder; defaults to ``knowledge/faq``.
        today: The day of the check (Vietnam time), for the review-age rule.
        registry_path: The legal registry file; defaults to the shipped one.

    Returns:
        Problems as ``"<file>: <problem>"`` lines (registry problems first, prefixed
        ``legal registry:``); empty when clean.
    """
    folder = FAQ_DIRECTORY if directory is None else directory
    registry, problems = _registry(REGISTRY_PATH if registry_path is None else registry_path)
    ids: dict[str, str] = {}
    related: dict[str, list[str]] = {}
    owners: dict[str, str] = {}  # normalised phrasing → entry id
    files: list[tuple[str, str, dict[str, object], str]] = []
    for path in sorted(folder.glob("*.md")):
        parsed = _front_matter(path)
        if isinstance(parsed, str):
            problems.append(f"{path.name}: {parsed}")
        else:
            files.append((path.name, path.stem, *parsed))
    known = _known_words(files)
    for name, stem, data, body in files:
        found = [
            *entry_problems(data, body, stem=stem),
            *_file_problems(data, body),
            *_variety_problems(_strings(data.get("phrasings")), known),
            *_legal_problems(data, body, registry, today),
        ]
        problems.extend(f"{name}: {problem}" for problem in found)
        entry_id = data.get("id")
        if not isinstance(entry_id, str):
            continue
        if entry_id in ids:
            problems.append(f"{name}: duplicate id '{entry_id}' (also in {ids[entry_id]})")
            continue
        ids[entry_id] = name
        related[name] = _strings(data.get("related"))
        _collisions(name, entry_id, data, owners, problems)
    for name, links in related.items():
        for link in links:
            if link not in ids:
                problems.append(f"{name}: related id '{link}' does not exist")
            elif ids[link] == name:
                problems.append(f"{name}: related lists the entry itself")
    return problems


def _collisions(
    name: str,
    entry_id: str,
    data: Mapping[str, object],
    owners: dict[str, str],
    problems: list[str],
) -> None:
    """Reports phrasings that normalise like a phrasing of another entry."""
    texts: Sequence[object] = [data.get("question"), *_strings(data.get("phrasings"))]
    for text in texts:
        if not isinstance(text, str):
            continue
        key = normalize(text)
        owner = owners.setdefault(key, entry_id)
        if owner != entry_id:
            problems.append(f"{name}: phrasing {text!r} normalises like one in '{owner}' ({key!r})")
