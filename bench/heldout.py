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

from datetime import date
from pathlib import Path

from knowledge.evaluation import evaluate, load_question_file
from knowledge.faq import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "B (frozen, never tuned on)": ROOT / "bench" / "heldout_new_entries.toml",
    "A (reachability test; tuned on after the first run)": ROOT
    / "tests"
    / "knowledge"
    / "heldout_new_entries.toml",
}
TODAY = date(2026, 12, 1)


def main() -> None:
    """Prints the figures for both sets."""
    kb = KnowledgeBase.load()
    for name, path in SETS.items():
        questions, outside = load_question_file(path)
        figures = evaluate(kb, questions, outside, today=TODAY)
        print(f"set {name}: {figures.total} questions")
        print(
            f"  top-1 {figures.top1:.1%}  reach@3 {figures.reach3:.1%}  "
            f"confident right {figures.confident_precision:.1%}  "
            f"confident wrong {figures.wrong_confident}  "
            f"nothing {figures.refused / max(figures.total, 1):.1%}"
        )


if __name__ == "__main__":
    main()
