"""Small talk (lời chào, cảm ơn, vâng dạ): recognised so that it is not searched as a question.

A message is small talk when, after :func:`knowledge.text.normalize`, it is made only of the
phrases in ``smalltalk.toml`` (greetings, thanks, acknowledgements, goodbyes) and filler words
("ad", "nhe", "a"). Anything else, even "cam on, cho hoi ho ngheo…", is a question.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Literal

from knowledge.text import normalize

__all__ = ["SmallTalk", "small_talk"]

SmallTalk = Literal["greeting", "thanks", "ack", "bye"]
_KINDS: tuple[SmallTalk, ...] = ("greeting", "thanks", "ack", "bye")
_FILE = Path(__file__).with_name("smalltalk.toml")
_MAX_WORDS = 8


@functools.cache
def _table() -> tuple[dict[tuple[str, ...], SmallTalk], frozenset[str]]:
    with _FILE.open("rb") as handle:
        data = tomllib.load(handle)
    phrases: dict[tuple[str, ...], SmallTalk] = {}
    for kind in _KINDS:
        for phrase in data["kinds"][kind]:
            phrases[tuple(normalize(phrase).split())] = kind
    return phrases, frozenset(normalize(" ".join(data["fillers"])).split())


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk a message is, or None when it says anything more.

    Args:
        text: The message as typed.

    Returns:
        "greeting", "thanks", "ack" or "bye" (the first phrase found decides), or None.
    """
    words = normalize(text).split()
    if not words or len(words) > _MAX_WORDS:
        return None
    phrases, fillers = _table()
    longest = max(len(key) for key in phrases)
    found: SmallTalk | None = None
    index = 0
    while index < len(words):
        for size in range(min(longest, len(words) - index), 0, -1):
            kind = phrases.get(tuple(words[index : index + size]))
            if kind is not None:
                found = found or kind
                index += size
                break
        else:
            if words[index] not in fillers:
                return None
            index += 1
    return found
