"""Tests for knowledge.smalltalk: greetings and thanks are told apart from questions."""

from __future__ import annotations

import pytest

from knowledge.smalltalk import small_talk

KINDS = [
    ("alo", "greeting"),
    ("Chào ad", "greeting"),
    ("hello", "greeting"),
    ("cam on ad nhieu a", "thanks"),
    ("Cảm ơn bạn nhé!", "thanks"),
    ("tks", "thanks"),
    ("ok", "ack"),
    ("oke 👍", "ack"),
    ("dạ vâng", "ack"),
    ("tạm biệt", "bye"),
]
QUESTIONS = [
    "ho ngheo la gi",
    "cam on, cho hoi ho ngheo duoc ho tro gi",
    "ok vay thu nhap bao nhieu thi la ho ngheo",
    "co",
    "2",
    "",
]


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_small_talk_is_recognised(text: str, kind: str) -> None:
    """Messages made only of greetings, thanks or acknowledgements are small talk."""
    assert small_talk(text) == kind


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_not_small_talk(text: str) -> None:
    """A message that says anything more is left to the search."""
    assert small_talk(text) is None
