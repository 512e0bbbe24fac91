"""Button payloads of both registration flows (``reg:…`` for residents, ``rgo:…`` for officers).

The strings are the ones the flows have always sent, so buttons already shown in a chat keep
working after an upgrade. Cancel and "back to menu" are the core's (``menu:cancel``,
``menu:main``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.flow import Payload
from handlers.exit_registration._steps import Step
from storage.registrations import CAUSES, SUPPORTS, Status

_ID = {"min": 1, "max": 10**12}

# ---------------------------------------------------------------- the resident's form


@dataclass(frozen=True)
class Consent(Payload):
    """Agree or refuse at the consent step: ``reg:consent:yes|no``."""

    prefix = "reg:consent"
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class Back(Payload):
    """The form's previous question: ``reg:back``."""

    prefix = "reg:back"


@dataclass(frozen=True)
class Sex(Payload):
    """The head of household's sex: ``reg:sex:m|f``."""

    prefix = "reg:sex"
    value: Literal["m", "f"]


@dataclass(frozen=True)
class Kinh(Payload):
    """The "Kinh" ethnicity button: ``reg:eth:kinh``."""

    prefix = "reg:eth:kinh"


@dataclass(frozen=True)
class Skip(Payload):
    """No household code: ``reg:skip``."""

    prefix = "reg:skip"


@dataclass(frozen=True)
class WardPick(Payload):
    """A ward in service: ``reg:ward:<ward id>``."""

    prefix = "reg:ward"
    ward_id: str


@dataclass(frozen=True)
class Cause(Payload):
    """Ticks or unticks a cause of poverty: ``reg:cause:<key>``."""

    prefix = "reg:cause"
    key: str = field(metadata={"choices": CAUSES})


@dataclass(frozen=True)
class CausesDone(Payload):
    """The causes are ticked: ``reg:causes:done``."""

    prefix = "reg:causes:done"


@dataclass(frozen=True)
class Support(Payload):
    """Ticks or unticks a wished support: ``reg:sup:<key>``."""

    prefix = "reg:sup"
    key: str = field(metadata={"choices": SUPPORTS})


@dataclass(frozen=True)
class SupportsDone(Payload):
    """The supports are ticked: ``reg:sups:done``."""

    prefix = "reg:sups:done"


@dataclass(frozen=True)
class Year(Payload):
    """The year the household aims to exit poverty: ``reg:year:<yyyy>``."""

    prefix = "reg:year"
    year: int = field(metadata={"min": 2000, "max": 2100})


@dataclass(frozen=True)
class Commit(Payload):
    """The resident confirms the commitment: ``reg:commit``."""

    prefix = "reg:commit"


@dataclass(frozen=True)
class Submit(Payload):
    """Sends the registration: ``reg:submit``."""

    prefix = "reg:submit"


@dataclass(frozen=True)
class Edit(Payload):
    """Opens the list of fields to change: ``reg:edit``."""

    prefix = "reg:edit"


@dataclass(frozen=True)
class EditField(Payload):
    """Changes one field from the summary: ``reg:edit:<step>``."""

    prefix = "reg:edit"
    step: Step


@dataclass(frozen=True)
class ToSummary(Payload):
    """Back to the summary without changing anything: ``reg:summary``."""

    prefix = "reg:summary"


# ---------------------------------------------------------------- the resident's registrations


@dataclass(frozen=True)
class Withdraw(Payload):
    """Asks to withdraw a registration: ``reg:wd:<id>``."""

    prefix = "reg:wd"
    rid: int = field(metadata=_ID)


@dataclass(frozen=True)
class WithdrawYes(Payload):
    """Confirms the withdrawal: ``reg:wdy:<id>``."""

    prefix = "reg:wdy"
    rid: int = field(metadata=_ID)


@dataclass(frozen=True)
class WithdrawNo(Payload):
    """Keeps the registration: ``reg:wdn``."""

    prefix = "reg:wdn"


@dataclass(frozen=True)
class AnswerQuestion(Payload):
    """Answers the officer's question: ``reg:ans:<id>``."""

    prefix = "reg:ans"
    rid: int = field(metadata=_ID)


# ---------------------------------------------------------------- the officer's inbox


@dataclass(frozen=True)
class ToInbox(Payload):
    """The inbox: ``rgo:inbox``."""

    prefix = "rgo:inbox"


@dataclass(frozen=True)
class ListPage(Payload):
    """One page of registrations in a status: ``rgo:list:<status>:<page from 0>``."""

    prefix = "rgo:list"
    status: Status
    page: int = field(metadata={"min": 0, "max": 100_000})


@dataclass(frozen=True)
class View(Payload):
    """One registration in detail: ``rgo:view:<id>``."""

    prefix = "rgo:view"
    rid: int = field(metadata=_ID)


@dataclass(frozen=True)
class SetStatus(Payload):
    """Moves a registration to a status (the note is asked next): ``rgo:set:<id>:<status>``."""

    prefix = "rgo:set"
    rid: int = field(metadata=_ID)
    target: Status


@dataclass(frozen=True)
class NoNote(Payload):
    """Applies the status change without a note: ``rgo:nonote``."""

    prefix = "rgo:nonote"


@dataclass(frozen=True)
class WardSummary(Payload):
    """The ward's counts: ``rgo:sum``."""

    prefix = "rgo:sum"


@dataclass(frozen=True)
class Export(Payload):
    """The ward's registrations as a file: ``rgo:csv`` or ``rgo:xlsx``."""

    prefix = "rgo"
    fmt: Literal["csv", "xlsx"]


@dataclass(frozen=True)
class ConfirmDecision(Payload):
    """Confirms the final decision shown (its key drawn with the screen): ``rgo:dok:<id>:<key>``."""

    prefix = "rgo:dok"
    rid: int = field(metadata=_ID)
    key: str


@dataclass(frozen=True)
class EditDecision(Payload):
    """Changes the decision's number or date before confirming: ``rgo:ded``."""

    prefix = "rgo:ded"


@dataclass(frozen=True)
class CancelDecision(Payload):
    """Drops the decision being entered, nothing recorded: ``rgo:dno``."""

    prefix = "rgo:dno"


@dataclass(frozen=True)
class Correct(Payload):
    """An admin corrects a final decision (the new status is asked next): ``rgo:fix:<id>``."""

    prefix = "rgo:fix"
    rid: int = field(metadata=_ID)


@dataclass(frozen=True)
class CorrectTo(Payload):
    """The status a correction takes the registration to: ``rgo:fixto:<id>:<status>``."""

    prefix = "rgo:fixto"
    rid: int = field(metadata=_ID)
    target: Status
