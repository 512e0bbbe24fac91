"""Buttons one feature offers into another, typed in one place both can import.

The self-check's result links to Q&A entries (`faq:e:<entry id>`); importing them from
`handlers.faq` would make the two packages import each other at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.flow import Payload

__all__ = ["ShowEntry"]


@dataclass(frozen=True)
class ShowEntry(Payload):
    """`faq:e:<entry id>`: show a Q&A entry's answer (handled by the `faq` action)."""

    prefix = "faq:e"
    entry: str
