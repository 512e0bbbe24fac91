"""FAQ retrieval benchmark: dev-set accuracy and search latency as the corpus grows.

Run with ``python -m bench.retrieval``. It prints:

* top-1 accuracy on ``tests/knowledge/devset.toml`` with the real knowledge base (the best
  answer or first candidate counts when the grade is not "none"), the share of confident
  answers that are right, and how many out-of-scope questions were answered;
* search latency p50/p95/p99 in milliseconds with the real knowledge base and with it expanded
  synthetically to 2,000 and 20,000 entries (real phrasings recombined and perturbed with random
  extra syllables), next to the latency of a plain ``rapidfuzz.process.extractOne`` over every
  normalised phrasing at the same size, and the ratio between the two.

Goals: top-1 >= 95 % on the dev set; p95 <= 2 ms at 20,000 entries.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from rapidfuzz import process

from knowledge.faq import Entry, KnowledgeBase, load_entries
from knowledge.text import normalize

TODAY = date(2026, 11, 21)
DEVSET = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "devset.toml"
SIZES = (2_000, 20_000)
# Extra syllables mixed into synthetic phrasings (common Vietnamese syllables, no diacritics).
_NOISE_TEXT = (
    "an ba ban bao bay ben bien binh bo cam cao cay chi cho chu co con cong cua dan dat den dep "
    "di dia do doi dong du duong gia giao hai hang hoa hoc hop huong khanh kinh lam lang lien "
    "long luong mai minh moi nam ngoc nguyen nha nhan nhat phat phu phuoc quang quoc sang son "
    "tam tan thanh thien tho thu tien toan trung truong tuan van viet vinh xuan yen"
)
NOISE = tuple(_NOISE_TEXT.split())


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


def _accuracy(kb: KnowledgeBase, devset: dict[str, list[dict[str, str]]]) -> None:
    right = confident = confident_right = 0
    for question in devset["q"]:
        result = kb.search(
            question["text"], today=TODAY, audience=question.get("audience", "resident")
        )
        top = result.top if result.grade != "none" else None
        hit = top is not None and top.entry.id == question["expect"]
        right += hit
        if result.grade == "confident":
            confident += 1
            confident_right += hit
    answered = sum(kb.search(q["text"], today=TODAY).grade != "none" for q in devset["oos"])
    total = len(devset["q"])
    print(f"dev set: {total} questions, {len(devset['oos'])} out of scope")
    print(f"  top-1 accuracy          {right / total:7.1%}  ({right}/{total})")
    print(f"  confident answers right {confident_right / max(confident, 1):7.1%}", end="")
    print(f"  ({confident_right}/{confident})")
    print(f"  out-of-scope answered   {answered:7d}")


def _latency(
    label: str, entries: Sequence[Entry], queries: Sequence[str], rounds: int, *, learned: bool
) -> None:
    start = time.perf_counter()
    kb = KnowledgeBase(entries, learned=learned)
    build = time.perf_counter() - start
    choices = [normalize(text) for entry in entries for text in entry.texts]
    ours = _time(lambda q: kb.search(q, today=TODAY), queries, rounds)
    baseline = _time(lambda q: process.extractOne(normalize(q), choices), queries, 1)
    ratio = statistics.median(baseline) / statistics.median(ours)
    kind = "learned matcher" if learned else "lexical search"
    print(f"{label} ({kind}): {len(entries)} entries, {len(choices)} phrasings, {build:.1f} s")
    for name, samples in (("search", ours), ("extractOne baseline", baseline)):
        p50, p95, p99 = (_percentile(samples, s) for s in (0.50, 0.95, 0.99))
        print(f"  {name:20} p50 {p50:7.3f}  p95 {p95:7.3f}  p99 {p99:7.3f} ms")
    print(f"  baseline / search (median) = {ratio:.1f}x")


def main(argv: Sequence[str] | None = None) -> None:
    """Prints dev-set accuracy and latency figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    args = parser.parse_args(argv)
    with DEVSET.open("rb") as handle:
        devset = tomllib.load(handle)
    real = load_entries()
    print("learned matcher (the search since issue 13)")
    _accuracy(KnowledgeBase(real), devset)
    print("lexical search (before; tuned on this dev set)")
    _accuracy(KnowledgeBase(real, learned=False), devset)
    queries = [q["text"] for q in devset["q"]] + [q["text"] for q in devset["oos"]]
    print()
    _latency("real knowledge base", real, queries, args.rounds, learned=True)
    _latency("real knowledge base", real, queries, args.rounds, learned=False)
    for size in SIZES:  # the learned matcher is not trained on these: lexical latency only
        entries = [*real, *synthetic_entries(real, size - len(real))]
        _latency(f"synthetic x{size}", entries, queries, args.rounds, learned=False)


if __name__ == "__main__":
    main()
