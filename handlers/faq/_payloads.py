"""The Q&A's button payloads (typed, see `bot.core.flow.Payload`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.flow import Payload
from handlers.links import ShowEntry

__all__ = ["AskOfficer", "AttachTo", "Attaching", "Feedback", "ShowEntry"]

_ID = {"min": 1, "max": 10**12}


@dataclass(frozen=True)
class Feedback(Payload):
    """`faq:up:<entry id>` / `faq:dn:<entry id>`: the answer helped, or did not."""

    prefix = "faq"
    kind: str = field(metadata={"choices": ("up", "dn")})
    entry: str


@dataclass(frozen=True)
class AskOfficer(Payload):
    """`faq:ask`: send the question to the ward's officers."""

    prefix = "faq:ask"


@dataclass(frozen=True)
class Attaching(Payload):
    """`faqu:q:<log id>`: offer the entries an unanswered question could join."""

    prefix = "faqu:q"
    question: int = field(metadata=_ID)


@dataclass(frozen=True)
class AttachTo(Payload):
    """`faqu:a:<log id>:<entry id>`: attach the question to the entry as a phrasing."""

    prefix = "faqu:a"
    question: int = field(metadata=_ID)
    entry: str
