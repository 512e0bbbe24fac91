"""Held-out figures for the entries added in December 2026 (issue 12).

Run with ``python -m bench.heldout``. Two blind question sets, both written by people who saw
only each new entry's id and canonical question, never its answer or phrasings:

* ``bench/heldout_new_entries.toml`` (set B): frozen. No phrasing was ever written or changed
  after looking at it; its figure is the honest one.
* ``tests/knowledge/heldout_new_entries.toml`` (set A): the reachability test
  (``tests/knowledge/test_new_entries_reachable.py``) runs on it. Its figure was first measured
  before any tuning; phrasings were then added for the questions it missed, so after that it
  is a development figure, printed for comparison only.

For each set it prints: top-1 (the confident answer, or the first "did you mean" candidate, is
the expected entry), the share of confident answers that are right, reach@3 (the entry is the
answer or among the candidates offered), and how many questions got nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.faq import KnowledgeBase, load_entries

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "B (frozen, never tuned on)": ROOT / "bench" / "heldout_new_entries.toml",
    "A (reachability test; tuned on after the first run)": ROOT
    / "tests"
    / "knowledge"
    / "heldout_new_entries.toml",
}
TODAY = date(2026, 12, 1)


@dataclass
class Tally:
    """Counts for one question set."""

    total: int = 0
    top1: int = 0
    confident: int = 0
    confident_right: int = 0
    reach3: int = 0
    nothing: int = 0


def load_cases(path: Path) -> list[tuple[str, str, list[str]]]:
    """(entry id, audience, questions) from a held-out file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [
        (str(case["id"]), str(case.get("audience", "resident")), list(case["questions"]))
        for case in data["cases"]
    ]


def measure(kb: KnowledgeBase, path: Path) -> Tally:
    """Runs every question of one set through the real search."""
    tally = Tally()
    for entry_id, audience, questions in load_cases(path):
        for question in questions:
            result = kb.search(question, today=TODAY, audience=audience)
            shown = result.shown_ids
            tally.total += 1
            tally.top1 += bool(shown) and shown[0] == entry_id
            tally.reach3 += entry_id in shown
            tally.nothing += not shown
            if result.grade == "confident":
                tally.confident += 1
                tally.confident_right += shown[0] == entry_id
    return tally


def main() -> None:
    """Prints the figures for both sets."""
    kb = KnowledgeBase(load_entries())
    for name, path in SETS.items():
        if not path.exists():
            print(f"set {name}: {path} missing")
            continue
        tally = measure(kb, path)
        share = 100 / tally.total
        precision = 100 * tally.confident_right / tally.confident if tally.confident else 0.0
        print(f"set {name}: {tally.total} questions")
        print(
            f"  top-1 {tally.top1 * share:.1f} %  reach@3 {tally.reach3 * share:.1f} %  "
            f"confident {tally.confident * share:.1f} % (right {precision:.1f} %)  "
            f"nothing {tally.nothing * share:.1f} %"
        )


if __name__ == "__main__":
    main()
