"""Retrieval quality on the dev set: residents' questions written apart from the content."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import TypedDict, cast

import pytest

from knowledge.faq import KnowledgeBase, SearchResult
from knowledge.text import normalize

TODAY = date(2026, 11, 21)
DEVSET = Path(__file__).with_name("devset.toml")


class Question(TypedDict, total=False):
    text: str
    expect: str
    audience: str


class DevSet(TypedDict):
    q: list[Question]
    oos: list[Question]


@pytest.fixture(scope="module")
def devset() -> DevSet:
    with DEVSET.open("rb") as handle:
        return cast("DevSet", tomllib.load(handle))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def results(kb: KnowledgeBase, devset: DevSet) -> list[tuple[Question, SearchResult]]:
    return [
        (q, kb.search(q["text"], today=TODAY, audience=q.get("audience", "resident")))
        for q in devset["q"]
    ]


def _top1(result: SearchResult) -> str | None:
    if result.grade == "none" or result.top is None:
        return None
    return result.top.entry.id


def test_devset_size_and_ids(kb: KnowledgeBase, devset: DevSet) -> None:
    """The dev set has >= 220 questions on existing entries and >= 25 out-of-scope ones."""
    assert len(devset["q"]) >= 220
    assert len(devset["oos"]) >= 25
    missing = {q["expect"] for q in devset["q"]} - {e.id for e in kb.entries}
    assert not missing


def test_devset_is_not_a_copy_of_the_phrasings(kb: KnowledgeBase, devset: DevSet) -> None:
    """At least 80 % of dev questions differ from every entry phrasing after normalisation."""
    known = {normalize(text) for entry in kb.entries for text in entry.texts}
    fresh = [q for q in devset["q"] if normalize(q["text"]) not in known]
    assert len(fresh) >= 0.8 * len(devset["q"])


def test_top1_accuracy(results: list[tuple[Question, SearchResult]]) -> None:
    """The right entry is the best answer or first candidate for >= 90 % of questions."""
    right = sum(1 for q, result in results if _top1(result) == q["expect"])
    wrong = [(q["text"], q["expect"], _top1(result)) for q, result in results]
    assert right >= 0.9 * len(results), [w for w in wrong if w[1] != w[2]]


def test_confident_answers_are_right(results: list[tuple[Question, SearchResult]]) -> None:
    """At least 95 % of confident answers are the expected entry."""
    confident = [(q, r) for q, r in results if r.grade == "confident"]
    assert confident
    right = sum(1 for q, r in confident if r.best is not None and r.best.entry.id == q["expect"])
    assert right >= 0.95 * len(confident)


def test_out_of_scope_questions_grade_none(kb: KnowledgeBase, devset: DevSet) -> None:
    """Weather, gold prices, football, recipes and the like get no answer at all."""
    answered = [
        (q["text"], kb.search(q["text"], today=TODAY).top)
        for q in devset["oos"]
        if kb.search(q["text"], today=TODAY).grade != "none"
    ]
    assert answered == []
