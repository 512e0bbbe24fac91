"""Policy questions and answers (hỏi đáp chính sách): loading the FAQ content and searching it.

Each answer is a file ``knowledge/faq/<id>.md``: TOML front matter between ``+++`` lines, then
the answer body. :func:`load_entries` parses and validates them; :class:`KnowledgeBase` builds a
search index once and answers :meth:`KnowledgeBase.search` with a graded result (confident /
unsure / none) and scores, never markup.

Search design, per query:

1. The query is normalised like the content (:func:`knowledge.text.normalize`) and split into
   terms: syllables plus syllable bigrams. A syllable missing from the vocabulary is mapped to
   its closest vocabulary syllable with rapidfuzz (typo fallback) or, failing that, kept as an
   unknown term that still weighs in the query.
2. Candidate phrasings come from an inverted index built at start-up. Postings are ordered by
   phrasing length (shorter phrasing = stronger evidence per term) and cut to a fixed depth, so
   a query touches a bounded number of postings whatever the corpus size.
3. Candidates are ranked by an IDF-weighted Dice overlap: rare terms decide, common syllables
   such as "có", "không", "được", "hộ" barely count. The best few are re-scored exactly and
   blended with a rapidfuzz string similarity to a 0–100 score; an entry's score is the best
   over its phrasings.
4. Entries whose validity dates do not include ``today`` are penalised, and dropped when the
   question asks about "now" ("hiện nay", "bây giờ"; list in ``abbreviations.toml``), so
   "chuẩn nghèo hiện nay" picks the standard in force on that day. A question naming a year
   is judged against that year instead.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from knowledge.matcher import (
    DENSE_LIMIT,
    OUT_OF_SCOPE,
    Matcher,
    TrainingSet,
    load_out_of_scope,
    load_training_set,
)
from knowledge.text import load_abbreviations, normalize

__all__ = [
    "CONFIDENT_MARGIN",
    "CONFIDENT_SCORE",
    "FAQ_DIRECTORY",
    "UNSURE_SCORE",
    "Entry",
    "EntryError",
    "KnowledgeBase",
    "Match",
    "SearchResult",
    "entry_problems",
    "load_entries",
    "parse_entry_file",
    "split_front_matter",
]

FAQ_DIRECTORY = Path(__file__).with_name("faq")

Confidence = Literal["confirmed", "provisional"]
Grade = Literal["confident", "unsure", "none"]

AUDIENCES = frozenset({"resident", "officer"})
CONFIDENCES = frozenset({"confirmed", "provisional"})
REQUIRED_KEYS: Mapping[str, type] = {
    "id": str,
    "question": str,
    "phrasings": list,
    "confidence": str,
    "audience": list,
    "topic": str,
}
#: Keys every entry needs once converted to the legal-registry schema.
CITATION_KEYS: Mapping[str, type] = {"cites": list, "reviewed": date}
OPTIONAL_KEYS: Mapping[str, type] = {
    "valid_from": date,
    "valid_to": date,
    "related": list,
    "unverified": list,
    "derived": dict,
}
_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Scores are the learned matcher's decision values mapped to 0–100 (50 + 50 × value). The
# thresholds were chosen on the development set and 5-fold cross-validation over the
# phrasings, never on the frozen held-out sets (bench/retrieval.py, bench/heldout.py).
#: Minimum score for a confident answer.
CONFIDENT_SCORE = 35.0
#: Minimum lead of the best entry over the runner-up for a confident answer.
CONFIDENT_MARGIN = 10.0
#: Minimum score for an entry to be offered as a "did you mean" candidate.
UNSURE_SCORE = 22.0
_DATE_PENALTY = 12.0
# Share of the lexical score in the final one: the lexical index still helps with a rare exact
# term; 0.2 was best on the development sets (dev set and the new entries' set A).
_LEXICAL_SHARE = 0.2
# Two entries that list each other as related cover one topic from two sides: the answer is
# given directly only with this lead, otherwise the resident chooses between both.
_RELATED_MARGIN = 20.0
_LEXICAL_CONFIDENT = 58.0  # the lexical search's own grades, as tuned before the matcher
_LEXICAL_MARGIN = 5.0
_LEXICAL_UNSURE = 45.0  # an entry not valid on the day (or the year asked about) loses this much

_POSTING_DEPTH = 512  # postings read per query term
_RESCORE_TOP = 60  # phrasings re-scored exactly and compared with rapidfuzz
_MAX_CANDIDATES = 3
# Entries the learned matcher hands to the date and audience rules, per query: a few dozen
# whatever the base's size (the lexical blend moves scores by a few points at most).
_POOL = 40
_LEXICAL_WEIGHT = 0.7
_BETA = 1.5  # >1 favours covering the query over covering the phrasing
_FUZZ_WEIGHT = 0.3
_OUT_OF_DATE_FACTOR = 0.8
_TYPO_CUTOFF = 80.0
_FUZZ_SCORER = fuzz.token_sort_ratio
_TYPO_DISCOUNT = 0.8
_UNKNOWN_IDF_FACTOR = 0.9
_SUPPORT_WEIGHT = 0.3
_SUPPORT_FLOOR = 30.0
_IDF_POWER = 1.0  # >1 sharpens the weight of rare terms
_YEAR = re.compile(r"(?:19|20)\d\d")


class EntryError(ValueError):
    """A FAQ file that cannot be loaded; the message starts with the file name."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(f"{path.name}: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class Entry:
    """One question with its answer (câu hỏi đáp).

    Attributes:
        id: ASCII kebab-case id, equal to the file stem.
        question: The canonical question, Vietnamese.
        phrasings: Other ways residents ask it.
        answer: Plain-text answer body, key figure in the first sentence.
        confidence: ``provisional`` when the facts are not verified against the official text.
        valid_from: First day the answer applies, if it depends on a date.
        valid_to: Last day the answer applies, if it depends on a date.
        related: Ids of related entries.
        audience: ``resident`` and/or ``officer``.
        topic: Short topic tag.
        cites: Legal-registry ids of the documents the answer rests on.
        reviewed: Day the answer was last checked against the law.
        unverified: Notes on each unverified fact the answer uses.
    """

    id: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    confidence: Confidence
    valid_from: date | None
    valid_to: date | None
    related: tuple[str, ...]
    audience: tuple[str, ...]
    topic: str
    cites: tuple[str, ...]
    reviewed: date | None
    unverified: tuple[str, ...]

    def is_valid_on(self, day: date) -> bool:
        """Tells whether the answer applies on ``day`` (open-ended dates always apply)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

    def overlaps_year(self, year: int) -> bool:
        """Tells whether the validity window shares at least one day with ``year``."""
        return (
            self.is_valid_on(date(year, 1, 1))
            or self.is_valid_on(date(year, 12, 31))
            or (self.valid_from is not None and self.valid_from.year == year)
        )

    @property
    def provisional(self) -> bool:
        """True when the answer rests on facts marked UNVERIFIED."""
        return self.confidence == "provisional"

    @property
    def texts(self) -> tuple[str, ...]:
        """The question followed by its phrasings."""
        return (self.question, *self.phrasings)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Splits a FAQ file into its TOML front matter and its body.

    Args:
        text: The whole file.

    Returns:
        The parsed front matter and the stripped body.

    Raises:
        ValueError: When the ``+++`` fences are missing or the TOML is invalid.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "+++":
        msg = "file must start with a '+++' line"
        raise ValueError(msg)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        msg = "front matter is not closed by a '+++' line"
        raise ValueError(msg) from None
    try:
        data = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        msg = f"invalid TOML front matter: {error}"
        raise ValueError(msg) from None
    return data, "\n".join(lines[end + 1 :]).strip()


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _value_problem(key: str, kind: type, value: object) -> str | None:
    """Why an optional or citation key's value has the wrong type (None if absent or fine)."""
    if value is None:
        return None
    if kind is date and (not isinstance(value, date) or isinstance(value, datetime)):
        return f"key '{key}' must be a TOML date (YYYY-MM-DD)"
    if kind is dict and not isinstance(value, dict):
        return f"key '{key}' must be a table"
    if kind is list and not _strings(value):
        return f"key '{key}' must be a list of strings"
    return None


def _key_problems(data: Mapping[str, object]) -> list[str]:
    """Missing, unknown and mistyped front-matter keys."""
    problems: list[str] = []
    for key, kind in {**REQUIRED_KEYS, **CITATION_KEYS}.items():
        if key not in data:
            problems.append(f"missing key '{key}'")
        elif key in REQUIRED_KEYS and (
            not isinstance(data[key], kind) or isinstance(data[key], bool)
        ):
            problems.append(f"key '{key}' must be {kind.__name__}")
    if "source" in data:
        problems.append("key 'source' is no longer accepted: list registry ids in 'cites'")
    for key, kind in {**CITATION_KEYS, **OPTIONAL_KEYS}.items():
        problem = _value_problem(key, kind, data.get(key))
        if problem:
            problems.append(problem)
    unknown = sorted(set(data) - {*REQUIRED_KEYS, *CITATION_KEYS, *OPTIONAL_KEYS, "source"})
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    for key in ("phrasings", "audience"):
        if key in data and isinstance(data[key], list) and not _strings(data[key]):
            problems.append(f"key '{key}' must be a list of strings")
    return problems


def entry_problems(data: Mapping[str, object], body: str, *, stem: str) -> list[str]:
    """Checks one entry's schema: keys, types, allowed values, id and dates.

    Args:
        data: The parsed front matter.
        body: The answer body.
        stem: The file name without ``.md``.

    Returns:
        Human-readable problems; empty when the entry can be loaded.
    """
    problems = _key_problems(data)
    entry_id = data.get("id")
    if isinstance(entry_id, str):
        if not _ID_PATTERN.fullmatch(entry_id):
            problems.append(f"id '{entry_id}' is not ASCII kebab-case")
        if entry_id != stem:
            problems.append(f"id '{entry_id}' differs from the file name '{stem}'")
    confidence = data.get("confidence")
    if isinstance(confidence, str) and confidence not in CONFIDENCES:
        problems.append(f"confidence '{confidence}' is not one of {sorted(CONFIDENCES)}")
    audience = data.get("audience")
    if _strings(audience):
        bad = sorted(set(cast("list[str]", audience)) - AUDIENCES)
        if bad or not audience:
            problems.append(f"audience must be a non-empty subset of {sorted(AUDIENCES)}")
    start, end = data.get("valid_from"), data.get("valid_to")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        problems.append("valid_from is after valid_to")
    if not body:
        problems.append("answer body is empty")
    return problems


def _entry(data: Mapping[str, object], body: str) -> Entry:
    start, end = data.get("valid_from"), data.get("valid_to")
    reviewed = data.get("reviewed")
    return Entry(
        id=cast("str", data["id"]),
        question=cast("str", data["question"]).strip(),
        phrasings=tuple(p.strip() for p in cast("list[str]", data["phrasings"])),
        answer=body,
        confidence=cast("Confidence", data["confidence"]),
        valid_from=start if isinstance(start, date) else None,
        valid_to=end if isinstance(end, date) else None,
        related=tuple(cast("list[str]", data.get("related", []))),
        audience=tuple(cast("list[str]", data["audience"])),
        topic=cast("str", data["topic"]),
        cites=tuple(cast("list[str]", data.get("cites", []))),
        reviewed=reviewed if isinstance(reviewed, date) else None,
        unverified=tuple(cast("list[str]", data.get("unverified", []))),
    )


def parse_entry_file(path: Path) -> Entry:
    """Reads and validates one FAQ file.

    Args:
        path: A ``<id>.md`` file.

    Returns:
        The entry.

    Raises:
        EntryError: When the file is malformed or breaks the schema.
    """
    try:
        data, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise EntryError(path, [str(error)]) from None
    problems = entry_problems(data, body, stem=path.stem)
    if problems:
        raise EntryError(path, problems)
    return _entry(data, body)


def load_entries(directory: Path | None = None) -> list[Entry]:
    """Loads every ``*.md`` FAQ file of a folder, sorted by id.

    Args:
        directory: The folder; defaults to ``knowledge/faq`` beside this module.

    Returns:
        The entries.

    Raises:
        EntryError: For the first malformed file, or for a duplicate id.
    """
    folder = FAQ_DIRECTORY if directory is None else directory
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        entry = parse_entry_file(path)
        if entry.id in seen:
            raise EntryError(path, [f"duplicate id '{entry.id}' (also in {seen[entry.id].name})"])
        seen[entry.id] = path
        entries.append(entry)
    return sorted(entries, key=lambda entry: entry.id)


@dataclass(frozen=True, slots=True)
class Match:
    """An entry with its score (0–100, higher is closer)."""

    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The graded outcome of a search.

    Attributes:
        grade: ``confident`` (answer directly), ``unsure`` (offer candidates) or ``none``.
        best: The answer when the grade is ``confident``.
        candidates: For ``unsure``, up to three distinct entries, best first; for
            ``confident``, the runners-up that are still plausible; empty for ``none``.
    """

    grade: Grade
    best: Match | None
    candidates: tuple[Match, ...] = field(default=())

    @property
    def top(self) -> Match | None:
        """The best match whatever the grade: ``best`` or the first candidate."""
        if self.best is not None:
            return self.best
        return self.candidates[0] if self.candidates else None

    @property
    def shown_ids(self) -> tuple[str, ...]:
        """Entry ids a resident is shown: the answer, or the "did you mean" candidates."""
        if self.grade == "confident" and self.best is not None:
            return (self.best.entry.id,)
        if self.grade == "unsure":
            return tuple(match.entry.id for match in self.candidates[:3])
        return ()


def _dates_asked(folded: str) -> tuple[list[int], bool]:
    """The years a normalised question names, and whether it asks about "now" (no year)."""
    years = [int(word) for word in folded.split() if _YEAR.fullmatch(word)]
    padded = f" {folded} "
    asks_present = not years and any(
        f" {marker} " in padded for marker in load_abbreviations().present_markers
    )
    return years, asks_present


def _close_topics(first: Entry, second: Entry) -> bool:
    """Whether two entries list each other (either way) as related."""
    return second.id in first.related or first.id in second.related


def _terms(words: Sequence[str]) -> list[str]:
    """Syllables plus adjacent-syllable bigrams (joined with '_')."""
    return [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]


class KnowledgeBase:
    """A searchable set of FAQ entries; the index is built once in the constructor."""

    def __init__(
        self,
        entries: Sequence[Entry],
        *,
        learned: bool = True,
        training: TrainingSet | None = None,
        cache: bool = True,
        dense_limit: int = DENSE_LIMIT,
    ) -> None:
        """Index the entries and, unless ``learned`` is False, train the learned matcher.

        Args:
            entries: The entries.
            learned: Train the matcher; without it `search` is the lexical search (kept to
                compare the two in bench/).
            training: Residents' questions the matcher also learns from (:meth:`load` passes
                ``knowledge/training_questions.toml``); the lexical index ignores them.
            cache: Keep the trained matcher in the disk cache (see ``knowledge.matcher``).
            dense_limit: Most weights of the linear model; past it the matcher is the
                nearest-centroid model (0 forces it, for the benchmark's comparison).
        """
        self._entries = tuple(entries)
        self._by_id = {entry.id: entry for entry in self._entries}
        doc_entry: list[int] = []
        doc_text: list[str] = []
        doc_terms: list[frozenset[str]] = []
        for index, entry in enumerate(self._entries):
            seen: set[str] = set()
            for text in entry.texts:
                folded = normalize(text)
                if not folded or folded in seen:
                    continue
                seen.add(folded)
                doc_entry.append(index)
                doc_text.append(folded)
                doc_terms.append(frozenset(_terms(folded.split())))
        self._doc_entry = doc_entry
        self._doc_text = doc_text
        self._doc_terms = doc_terms
        document_frequency: dict[str, int] = {}
        for terms in doc_terms:
            for term in terms:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        count = max(len(doc_terms), 1)
        boost = load_abbreviations().term_weights
        self._idf = {
            term: math.log(1.0 + (count - df + 0.5) / (df + 0.5)) ** _IDF_POWER
            * boost.get(term, 1.0)
            for term, df in document_frequency.items()
        }
        self._unknown_idf = math.log(1.0 + (count - 0.5) / 1.5) ** _IDF_POWER * _UNKNOWN_IDF_FACTOR
        self._doc_weight = np.array(
            [sum(self._idf[t] for t in terms) for terms in doc_terms], dtype=np.float64
        )
        postings: dict[str, list[int]] = {}
        for doc, terms in enumerate(doc_terms):
            for term in terms:
                postings.setdefault(term, []).append(doc)
        weight = self._doc_weight
        self._postings: dict[str, npt.NDArray[np.int32]] = {
            term: np.array(sorted(docs, key=lambda d: weight[d])[:_POSTING_DEPTH], dtype=np.int32)
            for term, docs in postings.items()
        }
        self._vocabulary = sorted(t for t in document_frequency if "_" not in t)
        self._training = training
        self._cache = cache
        self._matcher: Matcher | None = None
        if not learned:
            return
        outside = load_out_of_scope()
        asked, answers = training.pairs() if training is not None else ([], [])
        known = set(self._by_id) | {OUT_OF_SCOPE}
        kept = [(text, label) for text, label in zip(asked, answers, strict=True) if label in known]
        self._matcher = Matcher.train(
            [*doc_text, *outside, *(text for text, _ in kept)],
            [
                *(self._entries[i].id for i in doc_entry),
                *([OUT_OF_SCOPE] * len(outside)),
                *(label for _, label in kept),
            ],
            cache=cache,
            dense_limit=dense_limit,
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        """Loads the FAQ folder (default: ``knowledge/faq``) and the training questions."""
        return cls(load_entries(directory), training=load_training_set())

    @property
    def entries(self) -> tuple[Entry, ...]:
        """All entries, in load order."""
        return self._entries

    @property
    def matcher_kind(self) -> str:
        """The matcher's model: linear or centroid (``knowledge.matcher``), else lexical."""
        return "lexical" if self._matcher is None else self._matcher.kind

    def get(self, entry_id: str) -> Entry | None:
        """Returns the entry with this id, or None."""
        return self._by_id.get(entry_id)

    def with_phrasings(self, extra: Mapping[str, Sequence[str]]) -> KnowledgeBase:
        """A new knowledge base whose entries also have these phrasings (by entry id).

        Used for the phrasings officers attach from the unanswered list; unknown ids are
        ignored (an entry may have been removed since).
        """
        entries = [
            replace(entry, phrasings=(*entry.phrasings, *extra[entry.id]))
            if entry.id in extra
            else entry
            for entry in self._entries
        ]
        return KnowledgeBase(
            entries, learned=self._matcher is not None, training=self._training, cache=self._cache
        )

    def closest(self, query: str, *, limit: int = 3) -> list[Match]:
        """The entries scoring highest for a query, whatever the grade (for curators)."""
        folded = normalize(query)
        if not folded:
            return []
        if self._matcher is None:
            scores = {self._entries[i].id: score for i, score in self._scores(folded).items()}
        else:
            pool, _ = self._matcher.best(query, limit)
            scores = {entry_id: 50.0 + 50.0 * value for entry_id, value in pool}
        best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], item[0]))
        return [
            Match(entry=self._by_id[entry_id], score=round(min(max(score, 0.0), 100.0), 2))
            for entry_id, score in best
        ]

    def _query_terms(self, words: Sequence[str]) -> dict[str, float]:
        """Maps query syllables to index terms with their weights (typo fallback included)."""
        mapped: list[str] = []
        discounted: set[str] = set()
        for word in words:
            if word in self._idf or len(word) < 4 or word.isdigit():
                mapped.append(word)
                continue
            hit = process.extractOne(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF
            )
            if hit is None:
                mapped.append(word)
            else:
                mapped.append(hit[0])
                discounted.add(hit[0])
        weights: dict[str, float] = {}
        for term in _terms(mapped):
            weight = self._idf.get(term)
            if weight is None:
                weight = self._unknown_idf if "_" not in term else self._unknown_idf * 0.5
            parts = term.split("_")
            if any(part in discounted for part in parts):
                weight *= _TYPO_DISCOUNT
            weights[term] = weight
        return weights

    def _scores(self, query: str) -> dict[int, float]:
        """Scores entries (by index) for a normalised query; unfiltered."""
        words = query.split()
        weights = self._query_terms(words)
        found = [(self._postings[t], w) for t, w in weights.items() if t in self._postings]
        if not found:
            return {}
        ids = np.concatenate([docs for docs, _ in found])
        gains = np.concatenate([np.full(len(docs), w) for docs, w in found])
        unique, inverse = np.unique(ids, return_inverse=True)
        overlap = np.bincount(inverse, weights=gains)
        query_weight = sum(weights.values())
        approx = overlap / (query_weight + self._doc_weight[unique])
        if len(unique) > _RESCORE_TOP:
            keep = np.argpartition(-approx, _RESCORE_TOP)[:_RESCORE_TOP]
            unique = unique[keep]
        docs = [int(d) for d in unique]
        query_terms = set(weights)
        texts = [self._doc_text[d] for d in docs]
        similarity = process.cdist([query], texts, scorer=_FUZZ_SCORER)[0]
        per_entry: dict[int, list[float]] = {}
        beta2 = _BETA * _BETA
        for position, doc in enumerate(docs):
            shared = query_terms & self._doc_terms[doc]
            exact = sum(weights[t] for t in shared)
            # Weighted F-beta of query coverage (recall) and phrasing coverage (precision).
            recall = exact / query_weight
            precision = exact / float(self._doc_weight[doc])
            overlap_score = (
                (1 + beta2) * precision * recall / (beta2 * precision + recall) if exact else 0.0
            )
            score = 100.0 * _LEXICAL_WEIGHT * overlap_score + _FUZZ_WEIGHT * float(
                similarity[position]
            )
            per_entry.setdefault(self._doc_entry[doc], []).append(score)
        # An entry's score is its best phrasing, plus a little support from its second best:
        # several phrasings of one entry agreeing is evidence that the entry is meant.
        scores: dict[int, float] = {}
        for entry, values in per_entry.items():
            values.sort(reverse=True)
            support = values[1] if len(values) > 1 else 0.0
            scores[entry] = values[0] + _SUPPORT_WEIGHT * max(support - _SUPPORT_FLOOR, 0.0)
        return scores

    def search(self, query: str, *, today: date, audience: str = "resident") -> SearchResult:
        """Finds the entry that answers a resident's question (the learned matcher).

        Args:
            query: The question as typed (any case, with or without diacritics).
            today: The day the question is asked. Entries not valid on it lose
                ``_DATE_PENALTY`` points, and are left out when the question says "now"
                ("hiện nay", "bây giờ"…); when the question names years, entries overlapping
                none of those years lose the points instead.
            audience: ``resident`` sees resident entries; ``officer`` sees every entry.

        Returns:
            A graded result with scores from 0 to 100; "none" when the out-of-scope class wins
            or nothing is close.
        """
        folded = normalize(query)
        if not folded:
            return SearchResult(grade="none", best=None)
        years, asks_present = _dates_asked(folded)
        if self._matcher is None:
            return self.lexical_search(query, today=today, audience=audience)
        pool, outside_value = self._matcher.best(query, _POOL)
        outside = 50.0 + 50.0 * outside_value
        lexical = {self._entries[i].id: score for i, score in self._scores(folded).items()}
        ranked: list[Match] = []
        for entry_id, value in pool:
            entry = self._by_id[entry_id]
            if audience != "officer" and audience not in entry.audience:
                continue
            learned = 50.0 + 50.0 * value
            score = (1 - _LEXICAL_SHARE) * learned + _LEXICAL_SHARE * lexical.get(entry_id, 0.0)
            in_date = (
                any(entry.overlaps_year(y) for y in years) if years else entry.is_valid_on(today)
            )
            if not in_date:
                if asks_present:
                    continue
                score -= _DATE_PENALTY
            ranked.append(Match(entry=entry, score=round(min(max(score, 0.0), 100.0), 2)))
        top = heapq.nlargest(_MAX_CANDIDATES + 1, ranked, key=lambda m: (m.score, m.entry.id))
        plausible = tuple(m for m in top if m.score >= UNSURE_SCORE)
        if not plausible or outside >= plausible[0].score:
            return SearchResult(grade="none", best=None)
        best = plausible[0]
        runner_up = top[1].score if len(top) > 1 else 0.0
        margin = CONFIDENT_MARGIN
        if len(top) > 1 and _close_topics(best.entry, top[1].entry):
            margin = _RELATED_MARGIN  # two entries on one topic: ask which one is meant
        if best.score >= CONFIDENT_SCORE and best.score - runner_up >= margin:
            return SearchResult(grade="confident", best=best, candidates=plausible[1:])
        return SearchResult(grade="unsure", best=None, candidates=plausible[:_MAX_CANDIDATES])

    def lexical_search(
        self, query: str, *, today: date, audience: str = "resident"
    ) -> SearchResult:
        """The previous, hand-tuned lexical search (kept to compare the matchers in bench/).

        Args:
            query: The question as typed (any case, with or without diacritics).
            today: The day the question is asked. Entries not valid on it are penalised,
                and left out when the question says "now" ("hiện nay", "bây giờ"…); when the
                question names years, entries overlapping none of those years are penalised.
            audience: ``resident`` sees resident entries; ``officer`` sees every entry.

        Returns:
            A graded result with scores from 0 to 100.
        """
        folded = normalize(query)
        if not folded:
            return SearchResult(grade="none", best=None)
        years, asks_present = _dates_asked(folded)
        ranked: list[Match] = []
        for index, score in self._scores(folded).items():
            entry = self._entries[index]
            if audience != "officer" and audience not in entry.audience:
                continue
            in_date = (
                any(entry.overlaps_year(y) for y in years) if years else entry.is_valid_on(today)
            )
            if not in_date:
                if asks_present:
                    continue
                score *= _OUT_OF_DATE_FACTOR
            ranked.append(Match(entry=entry, score=round(min(score, 100.0), 2)))
        top = heapq.nlargest(_MAX_CANDIDATES + 1, ranked, key=lambda m: (m.score, m.entry.id))
        plausible = tuple(m for m in top if m.score >= _LEXICAL_UNSURE)
        if not plausible:
            return SearchResult(grade="none", best=None)
        best = plausible[0]
        runner_up = top[1].score if len(top) > 1 else 0.0
        if best.score >= _LEXICAL_CONFIDENT and best.score - runner_up >= _LEXICAL_MARGIN:
            return SearchResult(grade="confident", best=best, candidates=plausible[1:])
        return SearchResult(grade="unsure", best=None, candidates=plausible[:_MAX_CANDIDATES])
