"""The learned matcher behind the Q&A search (issue 13): TF-IDF features and a linear model.

Trained on every entry's question and phrasings, on the residents' questions of the training
set (``training_questions.toml``: questions written apart from the content, each with the entry
that answers it), and on the out-of-scope messages of ``out_of_scope.txt`` and of the training
set as one more class (``OUT_OF_SCOPE``), so that near misses that share the base's words ("vay
tiền mua xe trả góp") are learned as "not ours" rather than matched.

Features, on text folded by :func:`knowledge.text.normalize` (no diacritics, abbreviations
expanded): character 2–5-grams inside word boundaries, which carry typos and telex leftovers,
and word 1–2-grams. Model: a linear support-vector classifier (scikit-learn ``LinearSVC``),
deterministic. Its weights are dense (classes × features); when that would pass
``DENSE_LIMIT`` numbers (a base of thousands of entries: 20,000 entries would need gigabytes
and hours of training), the matcher is a nearest-centroid classifier in the same feature space
instead (see :func:`_centroids`).

A trained matcher is kept in memory per content and on disk in the cache directory
(``GIAMNGHEO_CACHE_DIR``, else ``$XDG_CACHE_HOME/giamngheo`` or ``~/.cache/giamngheo``) under a
hash of everything that shapes it, so a restart with unchanged content loads it in milliseconds
instead of training again. :meth:`Matcher.values` gives every class a decision value, larger is
closer, roughly −1 (far) to 1 (close); the search turns them into its graded result.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from knowledge.text import normalize

__all__ = [
    "DENSE_LIMIT",
    "OUT_OF_SCOPE",
    "OUT_OF_SCOPE_FILE",
    "TRAINING_FILE",
    "Matcher",
    "TrainingQuestion",
    "TrainingSet",
    "default_cache_dir",
    "load_out_of_scope",
    "load_training_set",
]

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "__out_of_scope__"
OUT_OF_SCOPE_FILE = Path(__file__).with_name("out_of_scope.txt")
TRAINING_FILE = Path(__file__).with_name("training_questions.toml")
#: Most weights a dense linear model may have (classes × features, 8 bytes each: 200 MB).
DENSE_LIMIT = 25_000_000
# Regularisation: 0.5 was better than 1 on set A (the new entries' development questions);
# the frozen sets were not used to choose it.
_C = 0.5
# Bumped whenever the features or the model change, so that old cache files are not used.
_MODEL_VERSION = 3
_POSTING_DEPTH = 512  # classes kept per feature in the centroid model (see _strongest)
_CACHE_KEEP = 4  # cache files kept (the newest); older ones are removed


@dataclass(frozen=True)
class TrainingQuestion:
    """A resident's question from the training set and the entry that answers it."""

    text: str
    expect: str
    audience: str = "resident"


@dataclass(frozen=True)
class TrainingSet:
    """The residents' questions the matcher learns from, besides the entries' own phrasings."""

    asked_on: date
    questions: tuple[TrainingQuestion, ...]
    outside: tuple[str, ...]

    def pairs(self) -> tuple[list[str], list[str]]:
        """The (texts, labels) to train on: questions with their entry, then out-of-scope."""
        texts = [q.text for q in self.questions] + list(self.outside)
        labels = [q.expect for q in self.questions] + [OUT_OF_SCOPE] * len(self.outside)
        return texts, labels


def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> tuple[str, ...]:
    """The out-of-scope messages (one per line, "#" comments), or none if the file is absent."""
    if not path.exists():
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def load_training_set(path: Path = TRAINING_FILE) -> TrainingSet:
    """The training questions (``[[q]]`` text/expect/audience, ``[[oos]]`` text)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    asked_on = data.get("asked_on")
    if not isinstance(asked_on, date):
        raise ValueError(f"{path}: asked_on must be a date")
    questions = tuple(
        TrainingQuestion(str(q["text"]), str(q["expect"]), str(q.get("audience", "resident")))
        for q in data.get("q", [])
    )
    outside = tuple(str(q["text"]) for q in data.get("oos", []))
    return TrainingSet(asked_on, questions, outside)


def default_cache_dir() -> Path:
    """Where trained matchers are cached (see the module docstring)."""
    configured = os.environ.get("GIAMNGHEO_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "giamngheo"


@dataclass(frozen=True)
class Matcher:
    """A trained classifier from a question to an entry id (or ``OUT_OF_SCOPE``).

    ``weights`` (features × classes, dense for the linear model, sparse for centroids) and
    ``bias`` give every class's decision value as ``features @ weights + bias``.
    """

    key: str
    char: TfidfVectorizer
    word: TfidfVectorizer
    weights: Any  # npt.NDArray[np.float64] or a scipy sparse matrix
    bias: npt.NDArray[np.float64]
    labels: tuple[str, ...]
    kind: str  # "linear" or "centroid"
    outside: Any = None  # centroid model: the out-of-scope messages' vectors (features × n)

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        cache_dir: Path | None = None,
        cache: bool = True,
        dense_limit: int = DENSE_LIMIT,
    ) -> Matcher:
        """Train on (text, label) pairs, or load the same training from memory or disk.

        Args:
            texts: The training texts (as typed; they are folded here).
            labels: One label per text.
            cache_dir: The disk cache (default :func:`default_cache_dir`); unwritable is fine.
            cache: Use the disk cache (cross-validation's one-off matchers do not).
            dense_limit: Most dense weights; above it the nearest-centroid model is used.
        """
        directory = (cache_dir or default_cache_dir()) if cache else None
        return _train(tuple(texts), tuple(labels), directory, dense_limit)

    def features(self, query: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """The query's TF-IDF vector as (feature columns, values), as the vectorizers make it.

        Computed here from the fitted vocabularies and IDF weights rather than with
        ``TfidfVectorizer.transform``, whose per-call checks cost about 0.7 ms a vectorizer,
        more than the rest of the search; ``test_matcher`` holds the two to the same numbers.
        """
        folded = normalize(query)
        columns: list[npt.NDArray[np.intp]] = []
        values: list[npt.NDArray[np.float64]] = []
        offset = 0
        for kind, vectorizer in (("char", self.char), ("word", self.word)):
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            counts: dict[int, int] = {}
            for gram in _analyzer(kind)(folded):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if counts:
                found = np.fromiter(counts, dtype=np.intp, count=len(counts))
                tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
                weight = tf * vectorizer.idf_[found]
                columns.append(found + offset)
                values.append(weight / np.sqrt(np.dot(weight, weight)))
            offset += len(vocabulary)
        if not columns:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        return np.concatenate(columns), np.concatenate(values)

    def values(self, query: str) -> npt.NDArray[np.float64]:
        """The decision value of every label (``labels`` order) for a query."""
        columns, weights = self.features(query)
        if not sparse.issparse(self.weights):
            return np.asarray(weights @ self.weights[columns], dtype=np.float64) + self.bias
        total = _row_sums(self.weights, columns, weights, len(self.labels)) + self.bias
        if self.outside is not None and self._outside_at is not None:  # its nearest message
            nearest = _row_sums(self.outside, columns, weights, self.outside.shape[1])
            total[self._outside_at] = float(nearest.max(initial=0.0)) - 1.0
        return total

    @functools.cached_property
    def _outside_at(self) -> int | None:
        """Where ``OUT_OF_SCOPE`` is among the labels (None without that class)."""
        return self.labels.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.labels else None

    def scores(self, query: str) -> dict[str, float]:
        """The decision value of every label for a query, by label."""
        values = self.values(query)
        return {label: float(value) for label, value in zip(self.labels, values, strict=True)}

    def best(self, query: str, limit: int) -> tuple[list[tuple[str, float]], float]:
        """The ``limit`` closest labels (best first) and the out-of-scope value (−1 if none)."""
        values = self.values(query)
        outside = -1.0
        position = self._outside_at
        if position is not None:
            outside = float(values[position])
            values[position] = -np.inf  # `values` is a fresh array per query
        count = min(limit, len(values))
        if count <= 0:
            return [], outside
        chosen = np.argpartition(-values, count - 1)[:count]
        order = chosen[np.lexsort((chosen, -values[chosen]))]
        best = [(self.labels[i], float(values[i])) for i in order if np.isfinite(values[i])]
        return best, outside


def _row_sums(
    matrix: sparse.csr_matrix,
    columns: npt.NDArray[np.intp],
    weights: npt.NDArray[np.float64],
    width: int,
) -> npt.NDArray[np.float64]:
    """``weights @ matrix[columns]`` for a CSR matrix, without scipy's per-call overhead."""
    starts = matrix.indptr[columns]
    lengths = matrix.indptr[columns + 1] - starts
    # The stored positions of those rows, in one array: row r's span is
    # starts[r] .. starts[r] + lengths[r] (arange over the total, shifted per row).
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    positions = np.arange(int(lengths.sum())) + shift
    gains = matrix.data[positions] * np.repeat(weights, lengths)
    return np.bincount(matrix.indices[positions], gains, minlength=width).astype(np.float64)


def _vectorizer(kind: str) -> TfidfVectorizer:
    """A fresh vectorizer of one feature block: "char" (2–5-grams in words) or "word" (1–2)."""
    if kind == "char":
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        token_pattern=r"\S+",  # noqa: S106
    )


@functools.cache
def _analyzer(kind: str) -> Callable[[str], list[str]]:
    """The analyzer of a feature block (it depends on the parameters only, not the fit)."""
    analyze: Callable[[str], list[str]] = _vectorizer(kind).build_analyzer()
    return analyze


def _cache_key(texts: tuple[str, ...], labels: tuple[str, ...], dense_limit: int) -> str:
    shape = [_MODEL_VERSION, sklearn.__version__, _C, dense_limit, texts, labels]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode("utf-8")).hexdigest()


def _load_cached(path: Path, key: str) -> Matcher | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - our own file, checked by its key
    except FileNotFoundError:
        return None
    except Exception:  # a torn or foreign file: train again and overwrite it
        log.warning("matcher cache file unreadable, training again")
        return None
    return loaded if isinstance(loaded, Matcher) and loaded.key == key else None


def _store(path: Path, matcher: Matcher) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".matcher-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(matcher, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        kept = sorted(path.parent.glob("matcher-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-_CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only home or a full disk: the matcher works, uncached
        log.warning("matcher cache not writable; the next start trains again")


@functools.lru_cache(maxsize=8)
def _train(
    texts: tuple[str, ...], labels: tuple[str, ...], cache_dir: Path | None, dense_limit: int
) -> Matcher:
    key = _cache_key(texts, labels, dense_limit)
    if cache_dir is None:
        return _fit(key, texts, labels, dense_limit)
    path = cache_dir / f"matcher-{key[:40]}.pickle"
    cached = _load_cached(path, key)
    if cached is not None:
        return cached
    matcher = _fit(key, texts, labels, dense_limit)
    _store(path, matcher)
    return matcher


def _fit(key: str, texts: tuple[str, ...], labels: tuple[str, ...], dense_limit: int) -> Matcher:
    folded = [normalize(text) for text in texts]
    char, word = _vectorizer("char"), _vectorizer("word")
    features = sparse.hstack([char.fit_transform(folded), word.fit_transform(folded)], format="csr")
    classes = sorted(set(labels))
    if len(classes) < 2:  # a single label (or none): nothing to tell apart
        weights = sparse.csr_matrix((features.shape[1], len(classes)))
        return Matcher(key, char, word, weights, np.ones(len(classes)), tuple(classes), "linear")
    if len(classes) * features.shape[1] > dense_limit:
        weights, bias = _centroids(features, labels, classes)
        outside = None
        if OUT_OF_SCOPE in classes:
            rows = [i for i, label in enumerate(labels) if label == OUT_OF_SCOPE]
            outside = sparse.csr_matrix(features[rows].T)
        return Matcher(key, char, word, weights, bias, tuple(classes), "centroid", outside)
    model = LinearSVC(C=_C, random_state=0)
    model.fit(features, list(labels))
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    names = tuple(str(label) for label in model.classes_)
    if len(names) == 2:  # binary: one row, positive for the second label
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    return Matcher(key, char, word, np.ascontiguousarray(coef.T), intercept, names, "linear")


def _strongest(weights: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each feature's row (features × classes) cut to its ``_POSTING_DEPTH`` largest weights.

    A query's cost is the number of stored weights in its features' rows, and a common n-gram
    (" ng", "ngh") has a weight in nearly every centroid. Keeping, per feature, only the
    classes where it weighs most (impact-ordered postings, as search engines truncate them)
    bounds a query's work by ``features × depth`` whatever the number of entries; a class loses
    only the small shares of common n-grams that many other classes share.
    """
    rows: list[npt.NDArray[np.intp]] = []
    for row in range(weights.shape[0]):
        start, end = int(weights.indptr[row]), int(weights.indptr[row + 1])
        if end - start > _POSTING_DEPTH:
            best = np.argpartition(-weights.data[start:end], _POSTING_DEPTH)[:_POSTING_DEPTH]
            rows.append(start + np.sort(best))
        else:
            rows.append(np.arange(start, end))
    kept = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.intp)
    return sparse.csr_matrix(
        (weights.data[kept], weights.indices[kept], indptr), shape=weights.shape
    )


def _centroids(
    features: sparse.csr_matrix, labels: Sequence[str], classes: Sequence[str]
) -> tuple[sparse.csr_matrix, npt.NDArray[np.float64]]:
    """Nearest-centroid weights for bases too large for a dense linear model.

    Each class's centroid is the mean of its texts' vectors, normalised; a query's value is
    ``2 × cosine − 1`` (the query vector has norm √2: two L2-normalised blocks), on the scale
    of the linear model's values. Written here because scikit-learn's ``NearestCentroid``
    keeps dense centroids, the very memory this model exists to avoid.
    """
    index = {label: position for position, label in enumerate(classes)}
    rows = np.array([index[label] for label in labels])
    membership = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(classes), len(rows))
    )
    sums = sparse.csr_matrix(membership @ features)
    norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    centroids = sparse.csr_matrix(sparse.diags(np.sqrt(2.0) / norms) @ sums)
    return _strongest(sparse.csr_matrix(centroids.T)), np.full(len(classes), -1.0)
