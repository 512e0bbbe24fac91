"""The buttons of the donation flows as typed payloads (`bot.core.flow.Payload`).

The strings are the ones stored sessions and channels already carry (``don:c:12``,
``don:t:person``, ``camp:s:province``…). A stale or forged payload unpacks to ``None``: ids are
ASCII digits within range, words come from their allowed set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.flow import Payload
from storage.ledger import DONOR_TYPES, FUNDS, METHODS, PURPOSES

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
class NameCheck(Payload):
    """A typed number at the donor-name step was meant as the name (``don:name:keep``)."""

    prefix = "don:name:keep"


@dataclass(frozen=True)
class DuplicateRef(Payload):
    """A bank reference already recorded: record anyway (``don:dup:yes``) or retype it."""

    prefix = "don:dup"
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class FixGift(Payload):
    """The "Sửa" button of the confirmation screen (``don:fix``): choose what to change."""

    prefix = "don:fix"


GIFT_SECTIONS = ("donor", "amount", "method", "date", "public", "note")


@dataclass(frozen=True)
class EditGift(Payload):
    """The part of the gift to change (``don:edit:amount`` …)."""

    prefix = "don:edit"
    section: str = field(metadata={"choices": GIFT_SECTIONS})


@dataclass(frozen=True)
class OutSource(Payload):
    """Money out of a campaign (``chi:src:c:<id>``) or a fund as a whole (``chi:src:f:vnn``)."""

    prefix = "chi:src"
    scope: Literal["c", "f"]
    ref: str


@dataclass(frozen=True)
class OutPurpose(Payload):
    """What the money is for (``chi:p:housing`` …)."""

    prefix = "chi:p"
    purpose: str = field(metadata={"choices": PURPOSES})


@dataclass(frozen=True)
class OutRegistration(Payload):
    """The beneficiary is the household of this exit registration (``chi:reg:<id>``)."""

    prefix = "chi:reg"
    id: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class OutByName(Payload):
    """The beneficiary is recorded by name (``chi:byname``)."""

    prefix = "chi:byname"


@dataclass(frozen=True)
class OutConsent(Payload):
    """The household agreed (``chi:cs:1``) or not (``chi:cs:0``) to be named publicly."""

    prefix = "chi:cs"
    public: bool


@dataclass(frozen=True)
class OutGoods(Payload):
    """The disbursement is in goods (``chi:goods``): goods, quantity, then their value."""

    prefix = "chi:goods"


OUT_METHODS = ("cash", "transfer")


@dataclass(frozen=True)
class OutMethod(Payload):
    """How money was paid (``chi:m:cash`` / ``chi:m:transfer``)."""

    prefix = "chi:m"
    method: str = field(metadata={"choices": OUT_METHODS})


@dataclass(frozen=True)
class OutDay(Payload):
    """Paid (or decided) today / yesterday (``chi:d:today`` …)."""

    prefix = "chi:d"
    day: Literal["today", "yesterday"]


@dataclass(frozen=True)
class OutSkipNote(Payload):
    """No note (``chi:note:skip``)."""

    prefix = "chi:note:skip"


@dataclass(frozen=True)
class OutConfirm(Payload):
    """Record the disbursement (``chi:ok``); pressed again, shows the same voucher."""

    prefix = "chi:ok"


@dataclass(frozen=True)
class OutFix(Payload):
    """The "Sửa" button of the confirmation screen (``chi:fix``)."""

    prefix = "chi:fix"


OUT_SECTIONS = ("source", "purpose", "beneficiary", "amount", "method", "date", "decision", "note")


@dataclass(frozen=True)
class OutEdit(Payload):
    """The part of the disbursement to change (``chi:edit:amount`` …)."""

    prefix = "chi:edit"
    section: str = field(metadata={"choices": OUT_SECTIONS})


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
    """A button of the officers' fund menu (``rep:log``, ``rep:camp``, ``rep:report``, …)."""

    prefix = "rep"
    what: Literal["log", "camp", "report", "disburse", "account", "import"]


@dataclass(frozen=True)
class CampaignFile(Payload):
    """A campaign's chart or export (``rep:chart:<id>``, ``rep:csv:<id>``, ``rep:xlsx:<id>``)."""

    prefix = "rep"
    fmt: Literal["chart", "csv", "xlsx"]
    id: int = field(metadata={"min": 1, "max": MAX_ID})
