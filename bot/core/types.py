"""Channel-neutral message types: what comes in (`Inbound`) and what goes out (`Reply`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from storage.sessions import Session
from storage.users import UserRow

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "Attachment",
    "Choice",
    "Inbound",
    "Outbound",
    "Reply",
    "Role",
    "Session",
    "User",
]


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
"""The largest file a user may send (a household list, a bank statement), on every channel."""


class Role(StrEnum):
    """Who a user is: a resident (người dân), a ward officer (cán bộ phường) or an admin."""

    RESIDENT = "resident"
    OFFICER = "officer"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        """Whether the role may use officer features."""
        return self in (Role.OFFICER, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Choice:
    """One button: the label a user sees and the payload the bot receives back."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: a chart image or an exported document."""

    filename: str
    data: bytes
    kind: Literal["image", "document"] = "document"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show the user; channels render `choices` as buttons or numbered lines.

    `expects_text` says the step waits for typed input (a name, an amount): then a typed number
    is that input, not a choice, and channels show the choices without numbers.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None
    edit_previous: bool = False
    expects_text: bool = False

    def to_json(self) -> dict[str, Any]:
        """Serialise for the durable outbox (attachments are not queued)."""
        return {"text": self.text, "choices": [[c.label, c.payload] for c in self.choices]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Rebuild a reply stored by `to_json`."""
        return cls(
            text=str(data["text"]),
            choices=tuple(Choice(str(label), str(payload)) for label, payload in data["choices"]),
        )


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message or button press from a user, in channel-neutral form.

    `payload` is set for button presses (it comes from the client and can be forged);
    `text` holds what the user typed.
    """

    channel: str
    user_id: str
    chat_id: str
    message_id: str
    received_at: datetime
    text: str = ""
    payload: str | None = None
    language: str | None = None
    display_name: str = ""
    document: bytes | None = None


@dataclass(frozen=True, slots=True)
class User:
    """A known user with role and ward; `key` is unique across channels."""

    id: int
    channel: str
    external_id: str
    chat_id: str
    role: Role
    ward_id: str | None
    language: str
    display_name: str = ""

    @property
    def is_staff(self) -> bool:
        """Whether this user may use officer features."""
        return self.role.is_staff

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        """The user a stored row describes."""
        return cls(
            id=row.id,
            channel=row.channel,
            external_id=row.external_id,
            chat_id=row.chat_id,
            role=Role(row.role),
            ward_id=row.ward_id,
            language=row.language,
            display_name=row.display_name,
        )


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to push to someone other than the sender (a notification)."""

    channel: str
    chat_id: str
    reply: Reply
