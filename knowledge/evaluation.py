"""Measuring the Q&A search on questions it was not trained on (issue 13).

Used by the tests (floors on the frozen held-out set and on cross-validation) and by
``bench/retrieval.py`` (the figures side by side), so both count the same way:

* a question is **right** when the first entry shown (the confident answer, or the first "did
  you mean" candidate) is the expected one; **reach@3** when the expected entry is shown at all;
* a **confident wrong** answer is the costly error: the resident is told something else;
* an out-of-scope message is **answered** when it gets anything but "none".

Cross-validation is k-fold by question over the training questions: each fold is scored by a
matcher trained on the entries, the out-of-scope file and the other folds only.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from knowledge.faq import Entry, KnowledgeBase, SearchResult
from knowledge.matcher import TrainingQuestion, TrainingSet

__all__ = ["Breakdown", "Miss", "cross_validate", "evaluate", "load_question_file"]


@dataclass(frozen=True)
class Miss:
    """A question whose first shown entry was not the expected one."""

    text: str
    expect: str
    shown: tuple[str, ...]
    grade: str


@dataclass
class Breakdown:
    """Counts of how the search treated a set of questions."""

    total: int = 0
    right_confident: int = 0
    wrong_confident: int = 0
    unsure_right_first: int = 0
    unsure_wrong_first: int = 0
    refused: int = 0
    reached: int = 0
    outside_total: int = 0
    outside_answered: int = 0
    misses: list[Miss] = field(default_factory=list)
    answered_outside: list[str] = field(default_factory=list)

    @property
    def top1(self) -> float:
        """Share of questions whose first shown entry is right."""
        return (self.right_confident + self.unsure_right_first) / max(self.total, 1)

    @property
    def reach3(self) -> float:
        """Share of questions whose entry is shown at all."""
        return self.reached / max(self.total, 1)

    @property
    def confident_precision(self) -> float:
        """Share of confident answers that are right."""
        confident = self.right_confident + self.wrong_confident
        return self.right_confident / max(confident, 1)

    @property
    def confident_wrong_share(self) -> float:
        """Confident wrong answers as a share of all questions."""
        return self.wrong_confident / max(self.total, 1)

    def add(self, other: Breakdown) -> None:
        """Adds another breakdown's counts (a fold's) to this one."""
        for name in (
            "total",
            "right_confident",
            "wrong_confident",
            "unsure_right_first",
            "unsure_wrong_first",
            "refused",
            "reached",
            "outside_total",
            "outside_answered",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses)
        self.answered_outside.extend(other.answered_outside)

    def count(self, question: TrainingQuestion, result: SearchResult) -> None:
        """Counts one in-scope question's result."""
        self.total += 1
        shown = result.shown_ids
        right = bool(shown) and shown[0] == question.expect
        self.reached += question.expect in shown
        if result.grade == "none":
            self.refused += 1
        elif result.grade == "confident":
            self.right_confident += right
            self.wrong_confident += not right
        else:
            self.unsure_right_first += right
            self.unsure_wrong_first += not right
        if not right:
            self.misses.append(Miss(question.text, question.expect, shown, result.grade))


def evaluate(
    kb: KnowledgeBase,
    questions: Iterable[TrainingQuestion],
    outside: Iterable[str],
    *,
    today: date,
    search: str = "search",
) -> Breakdown:
    """Scores a knowledge base's ``search`` (or ``lexical_search``) on questions."""
    run = kb.search if search == "search" else kb.lexical_search
    figures = Breakdown()
    for question in questions:
        figures.count(question, run(question.text, today=today, audience=question.audience))
    for text in outside:
        figures.outside_total += 1
        if run(text, today=today).grade != "none":
            figures.outside_answered += 1
            figures.answered_outside.append(text)
    return figures


def cross_validate(
    entries: Sequence[Entry], training: TrainingSet, *, folds: int = 5, seed: int = 0
) -> Breakdown:
    """K-fold cross-validation by question over the training questions (see module doc)."""
    questions = list(training.questions)
    outside = list(training.outside)
    random.Random(seed).shuffle(questions)
    random.Random(seed + 1).shuffle(outside)
    figures = Breakdown()
    for fold in range(folds):
        kept = TrainingSet(
            training.asked_on,
            tuple(q for i, q in enumerate(questions) if i % folds != fold),
            tuple(t for i, t in enumerate(outside) if i % folds != fold),
        )
        kb = KnowledgeBase(entries, training=kept, cache=False)
        figures.add(
            evaluate(
                kb,
                (q for i, q in enumerate(questions) if i % folds == fold),
                (t for i, t in enumerate(outside) if i % folds == fold),
                today=training.asked_on,
            )
        )
    return figures


def load_question_file(path: Path) -> tuple[list[TrainingQuestion], list[str]]:
    """The questions and out-of-scope messages of a held-out file (``[[cases]]`` layout)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    questions = [
        TrainingQuestion(str(text), str(case["id"]), str(case.get("audience", "resident")))
        for case in data["cases"]
        for text in case["questions"]
    ]
    return questions, [str(text) for text in data.get("out_of_scope", [])]
