"""The learned matcher: its disk cache and its large-base model (issue 13)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from scipy import sparse

from knowledge.matcher import OUT_OF_SCOPE, Matcher, _train
from knowledge.text import normalize

TEXTS = [
    "bhyt ho can ngheo duoc ho tro bao nhieu",
    "the bao hiem y te cho nguoi can ngheo",
    "can ngheo co duoc mien phi bhyt khong",
    "vay von ngan hang chinh sach cho ho ngheo",
    "ho ngheo vay bao nhieu tien lai suat",
    "muon vay von lam an ho ngheo",
    "gia vang hom nay",
    "thoi tiet ngay mai",
]
LABELS = ["bhyt", "bhyt", "bhyt", "vay", "vay", "vay", OUT_OF_SCOPE, OUT_OF_SCOPE]


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("matcher-*.pickle"))


def test_a_trained_matcher_is_stored_and_loaded_again_without_training(tmp_path: Path) -> None:
    """The second start finds the file: same answers, and the file is not written again."""
    first = Matcher.train(TEXTS, LABELS, cache_dir=tmp_path)
    files = _cache_files(tmp_path)
    assert len(files) == 1
    written = files[0].stat().st_mtime_ns
    _train.cache_clear()  # as a new process would: nothing in memory
    second = Matcher.train(TEXTS, LABELS, cache_dir=tmp_path)
    assert second is not first
    assert files[0].stat().st_mtime_ns == written
    assert second.best("the bhyt can ngheo", 1)[0][0][0] == "bhyt"
    assert second.scores("vay von") == first.scores("vay von")


def test_changed_content_trains_a_new_matcher(tmp_path: Path) -> None:
    """Another text means another key: the old file is not used for the new content."""
    Matcher.train(TEXTS, LABELS, cache_dir=tmp_path)
    changed = Matcher.train([*TEXTS, "vay von sinh vien"], [*LABELS, "vay"], cache_dir=tmp_path)
    assert len(_cache_files(tmp_path)) == 2
    assert changed.best("sinh vien vay", 1)[0][0][0] == "vay"


def test_a_torn_cache_file_is_trained_again_and_replaced(tmp_path: Path) -> None:
    """Garbage in the cache file is not an error: the matcher is trained and the file fixed."""
    Matcher.train(TEXTS, LABELS, cache_dir=tmp_path)
    (path,) = _cache_files(tmp_path)
    path.write_bytes(b"not a pickle")
    _train.cache_clear()
    matcher = Matcher.train(TEXTS, LABELS, cache_dir=tmp_path)
    assert matcher.best("ho ngheo vay von", 1)[0][0][0] == "vay"
    with path.open("rb") as handle:
        assert isinstance(pickle.load(handle), Matcher)  # noqa: S301 - the test's own file


def test_an_unwritable_cache_still_gives_a_matcher(tmp_path: Path) -> None:
    """A cache path that cannot be a folder (a file is there) only costs the caching."""
    blocked = tmp_path / "cache"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    matcher = Matcher.train(TEXTS, LABELS, cache_dir=blocked)
    assert matcher.best("bhyt can ngheo", 1)[0][0][0] == "bhyt"
    assert blocked.read_text(encoding="utf-8") == "a file, not a folder"


def test_without_cache_nothing_is_written(tmp_path: Path) -> None:
    """Cross-validation's one-off matchers leave no files."""
    Matcher.train(TEXTS, LABELS, cache_dir=tmp_path, cache=False)
    assert _cache_files(tmp_path) == []


def test_past_the_dense_limit_the_matcher_is_nearest_centroid(tmp_path: Path) -> None:
    """A base too large for dense weights gets sparse centroids that still rank right."""
    dense = Matcher.train(TEXTS, LABELS, cache=False)
    sparse_one = Matcher.train(TEXTS, LABELS, cache=False, dense_limit=10)
    assert (dense.kind, sparse_one.kind) == ("linear", "centroid")
    best, outside = sparse_one.best("vay von ho ngheo lai suat", 2)
    assert [label for label, _ in best] == ["vay", "bhyt"]
    assert best[0][1] > best[1][1] > -1.0
    assert -1.0 <= outside < best[0][1]
    weather, outside = sparse_one.best("thoi tiet ngay mai the nao", 1)
    assert outside > weather[0][1]


def test_best_leaves_out_of_scope_out_and_orders_by_value() -> None:
    """``best`` ranks only entries, best first, and reports the out-of-scope value apart."""
    matcher = Matcher.train(TEXTS, LABELS, cache=False)
    best, outside = matcher.best("gia vang hom nay bao nhieu", 5)
    assert [label for label, _ in best] == sorted(
        ["bhyt", "vay"], key=lambda label: -matcher.scores("gia vang hom nay bao nhieu")[label]
    )
    assert outside > best[0][1]


def test_the_query_vector_is_the_vectorizers_own() -> None:
    """The hand-made query vector equals what scikit-learn's transform gives."""
    matcher = Matcher.train(TEXTS, LABELS, cache=False)
    for query in ("bhyt hộ cận nghèo được bn %", "vay von lai suat", "zzz", ""):
        folded = normalize(query)
        expected = sparse.hstack(
            [matcher.char.transform([folded]), matcher.word.transform([folded])], format="csr"
        )
        columns, values = matcher.features(query)
        made = sparse.csr_matrix(
            (values, (np.zeros(len(columns), dtype=int), columns)), shape=expected.shape
        )
        assert abs(made - expected).max() < 1e-12 if expected.nnz else made.nnz == 0


def test_centroid_values_equal_the_matrix_product() -> None:
    """Entries: the sparse product with the centroids; out of scope: the nearest message."""
    matcher = Matcher.train(TEXTS, LABELS, cache=False, dense_limit=10)
    columns, values = matcher.features("ho ngheo vay von bhyt")
    vector = np.zeros(matcher.weights.shape[0])
    vector[columns] = values
    expected = matcher.weights.T @ vector + matcher.bias
    expected[matcher.labels.index(OUT_OF_SCOPE)] = (matcher.outside.T @ vector).max() - 1.0
    assert np.allclose(matcher.values("ho ngheo vay von bhyt"), expected)
