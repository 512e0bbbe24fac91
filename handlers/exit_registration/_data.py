"""Typed data of both registration flows, as stored in the session between turns.

The resident's answers keep the session layout they have always had (``{"f": {…answers…},
"token": …, "editing": …, "rid": …}``), so a form half filled before an upgrade goes on where
it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from bot.core.flow import FlowData
from storage.registrations import Status


@dataclass
class RegistrationForm(FlowData):
    """The resident's answers; a text step stores into the field named like the step."""

    name: str = ""
    birth: str = ""
    """ISO ``yyyy-mm-dd``."""
    sex: str = ""
    """``m`` or ``f``."""
    ethnicity: str = ""
    id_number: str = ""
    phone: str = ""
    ward_id: str | None = None
    address: str = ""
    household_code: str = ""
    members: int = 0
    income: int = 0
    """Monthly, in đồng (a yearly amount typed is divided by 12)."""
    causes: list[str] = field(default_factory=list)
    cause_other: str = ""
    supports: list[str] = field(default_factory=list)
    support_other: str = ""
    target_year: int = 0
    committed: bool = False


@dataclass
class ResidentData(FlowData):
    """The ``reg`` flow's data: the answers, the submission token, the registration in view."""

    form: RegistrationForm = field(default_factory=RegistrationForm)
    token: str = ""
    """One per form: a replayed submission stores one row."""
    editing: bool = False
    """A field is being changed from the summary: its step returns there."""
    rid: int = 0
    """The registration just submitted, or the one being answered or withdrawn."""

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> Self:
        """The data from a session dict (the answers under ``"f"``)."""
        answers = raw.get("f")
        return cls(
            form=RegistrationForm.load(answers if isinstance(answers, Mapping) else {}),
            token=str(raw.get("token", "")),
            editing=bool(raw.get("editing", False)),
            rid=int(raw.get("rid", 0) or 0),
        )

    def dump(self) -> dict[str, Any]:
        """The data as a JSON-safe session dict (the answers under ``"f"``)."""
        return {
            "f": self.form.dump(),
            "token": self.token,
            "editing": self.editing,
            "rid": self.rid,
        }


@dataclass
class OfficerData(FlowData):
    """The ``rgo`` flow's data: the status change waiting for its note."""

    rid: int = 0
    """The registration whose status is being changed."""
    frm: str = ""
    """Its status when the change was chosen (the change applies only from there)."""
    to: str = ""
    """The status chosen."""
    mode: str = ""
    """``decide`` (a final decision), ``correct`` (an admin's correction) or '' (a status)."""
    number: str = ""
    """The decision number typed (checked)."""
    day: str = ""
    """The decision date typed (checked), ISO ``yyyy-mm-dd``."""
    reason: str = ""
    """The reason of a correction."""
    key: str = ""
    """The request key drawn when the confirmation was shown: a double tap records once."""

    def change(self) -> tuple[int, Status, Status] | None:
        """(registration id, from, to) of the pending change, or None if there is none."""
        statuses = {status.value: status for status in Status}
        expected, target = statuses.get(self.frm), statuses.get(self.to)
        if self.rid <= 0 or expected is None or target is None:
            return None
        return self.rid, expected, target
