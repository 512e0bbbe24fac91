"""Q&A search benchmark (issue 13): accuracy on unseen questions, start-up, latency, memory.

Run with ``python -m bench.retrieval``. It prints, for the learned matcher (the search) and the
lexical search it replaced, side by side:

* the frozen blind held-out set of all entries (``tests/knowledge/heldout_all.toml``) and the
  frozen set of the December 2026 entries (``bench/heldout_new_entries.toml``): top-1, reach@3
  and the breakdown (right and confident, wrong and confident, "did you mean" with the right
  entry first, "did you mean" without it first, refused), out-of-scope messages answered;
* 5-fold cross-validation by question over the training questions
  (``knowledge/training_questions.toml``; the lexical search does not learn from them, but
  its constants were tuned on them, so its figure there is a development figure);
* the questions the learned matcher still gets wrong on the held-out set;
* start-up: a fresh process loading the real base with an empty matcher cache (training) and
  again with the cache filled (the usual restart);
* search latency p50/p95/p99 and peak memory (RSS) with the real base and with it expanded
  synthetically to 2,000 and 20,000 entries (real phrasings recombined and perturbed), each size
  in its own process; past ``knowledge.matcher.DENSE_LIMIT`` weights the matcher is the
  nearest-centroid model, which the output names.

Goals: held-out top-1 >= 95 %; p95 <= 5 ms at 20,000 entries; start-up <= 3 s with the real base.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from knowledge.evaluation import Breakdown, cross_validate, evaluate, load_question_file
from knowledge.faq import Entry, KnowledgeBase, load_entries
from knowledge.matcher import load_training_set

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)
HELDOUT = {
    "held-out, all entries": ROOT / "tests" / "knowledge" / "heldout_all.toml",
    "set B, December entries": ROOT / "bench" / "heldout_new_entries.toml",
}
SIZES = (2_000, 20_000)
# Extra syllables mixed into synthetic phrasings (common Vietnamese syllables, no diacritics).
_NOISE_TEXT = (
    "an ba ban bao bay ben bien binh bo cam cao cay chi cho chu co con cong cua dan dat den dep "
    "di dia do doi dong du duong gia giao hai hang hoa hoc hop huong khanh kinh lam lang lien "
    "long luong mai minh moi nam ngoc nguyen nha nhan nhat phat phu phuoc quang quoc sang son "
    "tam tan thanh thien tho thu tien toan trung truong tuan van viet vinh xuan yen"
)
NOISE = tuple(_NOISE_TEXT.split())
_START = (
    "import time; t = time.perf_counter(); from knowledge.faq import KnowledgeBase; "
    "KnowledgeBase.load(); print(time.perf_counter() - t)"
)


def _percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 3 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    if len(words) > 2 and rng.random() < 0.3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(NOISE))
    return " ".join(words)


def synthetic_entries(real: Sequence[Entry], count: int, *, seed: int = 7) -> list[Entry]:
    """Makes ``count`` entries from real ones: recombined, perturbed phrasings, fresh ids."""
    rng = random.Random(seed)
    texts = [text for entry in real for text in entry.texts]
    made: list[Entry] = []
    for number in range(count):
        base = rng.choice(real)
        phrasings = tuple(_perturb(rng.choice(texts), rng) for _ in range(4))
        made.append(
            replace(
                base,
                id=f"syn-{number:05d}",
                question=_perturb(rng.choice(base.texts), rng),
                phrasings=phrasings,
                related=(),
            )
        )
    return made


def _row(name: str, figures: Breakdown) -> str:
    total = max(figures.total, 1)
    cells = [
        f"{figures.top1:6.1%}",
        f"{figures.reach3:6.1%}",
        f"{figures.right_confident / total:6.1%}",
        f"{figures.wrong_confident / total:5.1%} ({figures.wrong_confident})",
        f"{figures.unsure_right_first / total:6.1%}",
        f"{figures.unsure_wrong_first / total:6.1%}",
        f"{figures.refused / total:6.1%}",
        f"{figures.outside_answered}/{figures.outside_total}",
    ]
    return f"  {name:9} " + " | ".join(cells)


def _header(title: str, count: int) -> None:
    print(f"{title} ({count} questions)")
    print(
        "  matcher   top-1  | reach@3 | right+conf | wrong+conf | dym right | dym wrong"
        " | refused | out of scope answered"
    )


def _accuracy() -> Breakdown:
    real = load_entries()
    learned = KnowledgeBase.load()
    lexical = KnowledgeBase(real, learned=False)
    kept = Breakdown()
    for title, path in HELDOUT.items():
        questions, outside = load_question_file(path)
        _header(title, len(questions))
        for name, kb, how in (("learned", learned, "search"), ("lexical", lexical, "lexical")):
            figures = evaluate(kb, questions, outside, today=TODAY, search=how)
            print(_row(name, figures))
            if name == "learned" and not kept.total:
                kept = figures
    training = load_training_set()
    _header("5-fold cross-validation over the training questions", len(training.questions))
    print(_row("learned", cross_validate(real, training, folds=5)))
    development = evaluate(
        lexical, training.questions, training.outside, today=training.asked_on, search="lexical"
    )
    print(_row("lexical", development) + "   (tuned on these: a development figure)")
    return kept


def _misses(figures: Breakdown) -> None:
    print(f"\nheld-out questions the learned matcher gets wrong ({len(figures.misses)}):")
    for miss in figures.misses:
        shown = ", ".join(miss.shown) or "nothing"
        print(f"  [{miss.grade}] {miss.text!r}: expected {miss.expect}, shown {shown}")


def _startup() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as cache:
        env["GIAMNGHEO_CACHE_DIR"] = cache
        print("\nstart-up, a fresh process loading the real base (import + load + matcher):")
        for label in ("empty cache (trains)", "cache filled (loads)", "cache filled (loads)"):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _START], env=env, capture_output=True, check=True, text=True
            )
            wall = time.perf_counter() - start
            inside = float(done.stdout.strip())
            print(f"  {label:22} {wall:5.2f} s wall ({inside:4.2f} s from the first import)")


def _time(run: Callable[[str], object], queries: Sequence[str], rounds: int) -> list[float]:
    for query in queries[:20]:
        run(query)  # warm-up
    samples: list[float] = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            run(query)
            samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def _one_size(size: int, rounds: int) -> dict[str, object]:
    """Latency and memory for one base size, in this (fresh) process."""
    training = load_training_set()
    real = load_entries()
    entries = real if size <= len(real) else [*real, *synthetic_entries(real, size - len(real))]
    queries = [q.text for q in training.questions] + list(training.outside)
    figures: dict[str, object] = {"entries": len(entries)}
    for learned in (False, True):
        start = time.perf_counter()
        kb = KnowledgeBase(entries, learned=learned, training=training, cache=False)
        build = time.perf_counter() - start
        samples = _time(functools.partial(kb.search, today=TODAY), queries, rounds)
        name = "learned" if learned else "lexical"
        figures[name] = {
            "build_s": build,
            "kind": kb.matcher_kind,
            "p50": _percentile(samples, 0.50),
            "p95": _percentile(samples, 0.95),
            "p99": _percentile(samples, 0.99),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    return figures


def _latency(rounds: int) -> None:
    print("\nsearch latency (ms) and peak RSS (each size in a fresh process; lexical first):")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for size in (0, *SIZES):
        done = subprocess.run(
            [sys.executable, "-m", "bench.retrieval", "--one", str(size), "--rounds", str(rounds)],
            env=env,
            capture_output=True,
            check=True,
            text=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        label = "real base" if size == 0 else f"synthetic x{size}"
        print(f"  {label} ({figures['entries']} entries)")
        for name in ("lexical", "learned"):
            one = figures[name]
            print(
                f"    {name:8} {one['kind']:8} built in {one['build_s']:5.1f} s"
                f"  p50 {one['p50']:6.2f}  p95 {one['p95']:6.2f}  p99 {one['p99']:6.2f}"
                f"  peak RSS {one['peak_rss_mib']:6.0f} MiB"
            )


def main(argv: Sequence[str] | None = None) -> None:
    """Prints the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, as JSON
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(_one_size(args.one, args.rounds)))
        return
    _misses(_accuracy())
    _startup()
    _latency(args.rounds)


if __name__ == "__main__":
    main()
