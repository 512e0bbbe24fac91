"""The buttons of the donation flows as typed payloads (`bot.core.flow.Payload`).

The strings are the ones stored sessions and channels already carry (``don:c:12``,
``don:t:person``, ``camp:s:province``…). A stale or forged payload unpacks to ``None``: ids are
ASCII digits within range, words come from their allowed set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.flow import Payload
from storage.ledger import DONOR_TYPES, FUNDS, METHODS

MAX_ID = 10**12


@dataclass(frozen=True)
class PickCampaign(Payload):
    """An open campaign to log the gift under (``don:c:<id>``)."""

    prefix = "don:c"
    id: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class PickDonorType(Payload):
    """A donor type (``don:t:person`` …)."""

    prefix = "don:t"
    kind: str = field(metadata={"choices": DONOR_TYPES})


@dataclass(frozen=True)
class Anonymous(Payload):
    """The donor stays anonymous (``don:anon``)."""

    prefix = "don:anon"


@dataclass(frozen=True)
class BigAmount(Payload):
    """Confirm (``don:big:yes``) or re-enter (``don:big:no``) an amount of 1 tỷ ₫ or more."""

    prefix = "don:big"
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class PickMethod(Payload):
    """How the gift was given (``don:m:cash`` …)."""

    prefix = "don:m"
    method: str = field(metadata={"choices": METHODS})


@dataclass(frozen=True)
class PickDay(Payload):
    """The gift was made today (``don:d:today``) or yesterday (``don:d:yesterday``)."""

    prefix = "don:d"
    day: Literal["today", "yesterday"]


@dataclass(frozen=True)
class Consent(Payload):
    """Whether the donor agreed to be named publicly (``don:p:1`` / ``don:p:0``)."""

    prefix = "don:p"
    public: bool


@dataclass(frozen=True)
class SkipNote(Payload):
    """No note (``don:note:skip``)."""

    prefix = "don:note:skip"


@dataclass(frozen=True)
class ConfirmGift(Payload):
    """Record the gift (``don:ok``); pressed again, shows the same receipt."""

    prefix = "don:ok"


@dataclass(frozen=True)
class PickFund(Payload):
    """The campaign's fund (``camp:f:vnn`` / ``camp:f:doand``)."""

    prefix = "camp:f"
    fund: str = field(metadata={"choices": tuple(FUNDS)})


@dataclass(frozen=True)
class PickScope(Payload):
    """The campaign covers the admin's ward or the whole province (``camp:s:…``)."""

    prefix = "camp:s"
    scope: Literal["ward", "province"]


@dataclass(frozen=True)
class ConfirmCampaign(Payload):
    """Create the campaign (``camp:ok``)."""

    prefix = "camp:ok"


@dataclass(frozen=True)
class HubAction(Payload):
    """A button of the officers' fund menu (``rep:log``, ``rep:camp``, ``rep:report``)."""

    prefix = "rep"
    what: Literal["log", "camp", "report"]


@dataclass(frozen=True)
class CampaignFile(Payload):
    """A campaign's chart or export (``rep:chart:<id>``, ``rep:csv:<id>``, ``rep:xlsx:<id>``)."""

    prefix = "rep"
    fmt: Literal["chart", "csv", "xlsx"]
    id: int = field(metadata={"min": 1, "max": MAX_ID})
