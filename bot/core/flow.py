"""The shape every multi-step flow takes: a step table, typed data and typed button payloads.

A flow (as python-telegram-bot's ``conversationbot.py`` lays one out) declares:

* its **steps** as a table ``{step: coroutine}``: one coroutine per step, whose docstring says
  what the user sees; :meth:`StepFlow.handle` looks the current step up, nothing else branches
  on it;
* its **data** as a JSON-safe dataclass (:class:`FlowData`), loaded from the session before a
  step runs and stored after, so handlers read ``data.size``, never ``session.data["size"]``;
* its **buttons** as :class:`Payload` dataclasses with :meth:`Payload.pack` and
  :meth:`Payload.unpack` (as aiogram's ``CallbackData``): every packed payload fits the 64 bytes
  Telegram and Zalo allow, and a stale or forged payload unpacks to ``None`` (numbers are ASCII
  digits within their range, words come from their allowed set).

A step answers with replies, or with a :class:`Signal`: ``UNHANDLED`` (not this flow's input:
the dispatcher answers it with the Q&A and the flow stays where it was) or ``REPEAT`` (an input
this step does not accept: the dispatcher says so and shows the same options again, so a typed
"1" keeps working). Every flow shares one cancel button (:func:`cancel_choice`, payload
``menu:cancel``) and one "back to menu" (``menu:main``), both handled by the dispatcher.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Generic, Self, TypeVar, get_type_hints

from bot.core.turn import Turn
from bot.core.types import Choice, Reply

__all__ = [
    "BACK_TO_MENU",
    "CANCEL",
    "MAX_PAYLOAD_BYTES",
    "FlowData",
    "Payload",
    "PayloadError",
    "Signal",
    "StepFlow",
    "StepResult",
    "cancel_choice",
    "menu_choice",
]

MAX_PAYLOAD_BYTES = 64
"""Telegram's callback_data limit (Zalo's is larger): every channel gets what fits both."""
CANCEL = "menu:cancel"
"""The one cancel payload: leaves any flow, forgets its data, shows the menu."""
BACK_TO_MENU = "menu:main"
"""The one "back to menu" payload."""
_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_MAX_DIGITS = 15


class Signal(enum.Enum):
    """What a step says instead of replies."""

    UNHANDLED = "unhandled"
    """Not input for this flow: the dispatcher answers it with the Q&A, the step is kept."""
    REPEAT = "repeat"
    """Input this step does not accept: "choose one of these" and the same options again."""


StepResult = list[Reply] | Signal


class PayloadError(ValueError):
    """A payload that cannot be packed (too long, or a value with a separator)."""


def _bounds(field: dataclasses.Field[Any]) -> tuple[int, int]:
    low = int(field.metadata.get("min", 0))
    high = int(field.metadata.get("max", 10**_MAX_DIGITS - 1))
    return low, high


def _parse(kind: Any, text: str, field: dataclasses.Field[Any]) -> object | None:
    """One payload part as ``kind`` (int, str, bool, a StrEnum or a Literal), or None."""
    if kind is int:
        if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
            return None
        value = int(text)
        low, high = _bounds(field)
        return value if low <= value <= high else None
    if kind is bool:
        return {"1": True, "0": False}.get(text)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next((member for member in kind if member.value == text), None)
    if typing.get_origin(kind) is typing.Literal:
        return text if text in typing.get_args(kind) else None
    if kind is str:
        allowed = field.metadata.get("choices")
        if allowed is not None:
            return text if text in allowed else None
        return text if _WORD.fullmatch(text) else None
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if text == "" and type(None) in typing.get_args(kind):
            return None
        for option in options:
            parsed = _parse(option, text, field)
            if parsed is not None:
                return parsed
        return None
    raise TypeError(f"payload field type {kind!r} is not supported")


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if value is None:
        return ""
    return str(value)


@dataclasses.dataclass(frozen=True)
class Payload:
    """A typed button payload: ``<prefix>:<field>:<field>…``.

    Subclasses are frozen dataclasses with a ``prefix`` class variable (``"sc:ans"``); fields
    are ``int`` (ASCII digits; ``field(metadata={"min": 1, "max": 30})`` for a range), ``str``
    (letters, digits, ``_.-``; ``metadata={"choices": (…)}`` to restrict), ``bool``, a
    ``StrEnum`` or a ``Literal``.
    """

    prefix: ClassVar[str] = ""

    def pack(self) -> str:
        """The payload string; refuses values with ":" and anything past 64 bytes."""
        parts = [self.prefix]
        for field in dataclasses.fields(self):
            text = _format(getattr(self, field.name))
            if ":" in text:
                raise PayloadError(f"{type(self).__name__}.{field.name} contains ':'")
            parts.append(text)
        packed = ":".join(parts)
        if len(packed.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            raise PayloadError(f"{packed!r} is longer than {MAX_PAYLOAD_BYTES} bytes")
        return packed

    @classmethod
    def unpack(cls, raw: str | None) -> Self | None:
        """The payload ``raw`` stands for, or None if it is not one of these (stale, forged)."""
        head = f"{cls.prefix}:"
        fields = dataclasses.fields(cls)
        if raw is None or len(raw.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            return None
        if not fields:
            return cls() if raw == cls.prefix else None
        if not raw.startswith(head):
            return None
        parts = raw.removeprefix(head).split(":")
        if len(parts) != len(fields):
            return None
        hints = _hints(cls)
        values: dict[str, object] = {}
        for field, text in zip(fields, parts, strict=True):
            value = _parse(hints[field.name], text, field)
            if value is None and not (text == "" and _optional(hints[field.name])):
                return None
            values[field.name] = value
        return cls(**values)

    def choice(self, label: str) -> Choice:
        """A button with this payload."""
        return Choice(label, self.pack())


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A payload class's field types, resolved once (``get_type_hints`` costs ~45 µs a call)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def _optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)


class FlowData:
    """Base of a flow's typed data: a dataclass whose fields are JSON-safe values.

    Stored in the session as a dict (:meth:`dump`), read back with :meth:`load`, which ignores
    unknown keys and keeps defaults for missing ones, so a session saved by an older version
    still loads.
    """

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> Self:
        """The data from a session dict."""
        names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in raw.items() if key in names})

    def dump(self) -> dict[str, Any]:
        """The data as a JSON-safe dict for the session."""
        dumped: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return dumped


StepHandler = Callable[[Turn, Any], Awaitable[StepResult]]
D = TypeVar("D", bound=FlowData)


class StepFlow(ABC, Generic[D]):
    """A flow run by its step table; subclasses set ``name``, ``roles``, ``data_type``.

    Subclasses implement :meth:`steps` (the table) and :meth:`start` (a subclass missing either
    cannot be built); :meth:`handle` loads the data, runs the current step's coroutine and stores
    the data again if the session is still in this flow.
    """

    name: ClassVar[str]
    data_type: type[D]

    @abstractmethod
    def steps(self) -> Mapping[str, StepHandler]:
        """The step table: step name → the coroutine that handles input at that step."""

    @abstractmethod
    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow and shows its first step."""

    def enter(self, turn: Turn, step: str, data: D) -> None:
        """Starts this flow at ``step`` with ``data``."""
        turn.session.enter(self.name, step, data.dump())

    def go(self, turn: Turn, step: str) -> None:
        """Moves to ``step`` (the data is stored when the step returns)."""
        turn.session.step = step

    async def handle(self, turn: Turn) -> StepResult:
        """Runs the current step's coroutine with the flow's typed data."""
        table = self._step_table
        step = turn.session.step or ""
        handler = table.get(step)
        if handler is None:  # a step from an older version: start again
            turn.session.clear()
            return Signal.UNHANDLED
        stored = turn.session.data
        data = self.data_type.load(stored)
        result = await handler(turn, data)
        # Kept unless the step left the flow or entered it afresh (``enter`` stores new data).
        if turn.session.flow == self.name and turn.session.data is stored:
            turn.session.data = data.dump()
        return result

    @functools.cached_property
    def _step_table(self) -> Mapping[str, StepHandler]:
        """:meth:`steps`, built once per flow object."""
        return self.steps()


def cancel_choice(turn: Turn) -> Choice:
    """The one cancel button every flow offers."""
    return turn.choice("common.cancel", CANCEL)


def menu_choice(turn: Turn) -> Choice:
    """The one "back to menu" button."""
    return turn.choice("menu.back_to_menu", BACK_TO_MENU)
