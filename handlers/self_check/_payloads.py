"""The buttons of the self-check as typed payloads (`bot.core.flow.Payload`).

The strings are the ones stored sessions and channels already carry (``sc:ans:water:yes``,
``sc:back:ind:water``, ``scp:5:6000000:hm``…). A stale or forged payload unpacks to ``None``.
An item is ``area``, ``size``… or ``<kind>:<key>`` (``ind:water``), so the buttons that name an
item (Back, Sửa) have two payload classes each: :func:`back_payload` and :func:`edit_payload`
build the right one, :func:`back_item` and :func:`edit_item` read either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.flow import Payload
from handlers.self_check._steps import INCOME_RANGES, MAX_MEMBERS, MIN_MEMBERS, IncomeMode
from knowledge.transition import AreaChoice

MAX_INCOME = max(high for _, high in INCOME_RANGES.values())
"""The largest amount any income mode takes (a household's year, 120 tỷ đồng); more is refused
as a typing mistake, and a prefilled self-check carrying more unpacks to nothing."""

ItemKind = Literal["fact", "ind"]


@dataclass(frozen=True)
class PickArea(Payload):
    """Xã, phường, or đặc khu / không rõ (``sc:area:rural`` …)."""

    prefix = "sc:area"
    area: AreaChoice


@dataclass(frozen=True)
class PickUnit(Payload):
    """One of the communes offered for a typed name (``sc:unit:<official code>``)."""

    prefix = "sc:unit"
    code: str


@dataclass(frozen=True)
class PickLocality(Payload):
    """The national standard (``sc:loc:national``) or a province's own (``sc:loc:hcm``)."""

    prefix = "sc:loc"
    code: str


@dataclass(frozen=True)
class FactAnswer(Payload):
    """A household fact answered (``sc:fact:<fact>:yes|no``)."""

    prefix = "sc:fact"
    fact: str
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class PickMode(Payload):
    """How income is given (``sc:mode:hm|pm|hy``)."""

    prefix = "sc:mode"
    mode: IncomeMode


@dataclass(frozen=True)
class ConfirmIncome(Payload):
    """Keep the echoed amount (``sc:inc:ok``) or type it again (``sc:inc:again``)."""

    prefix = "sc:inc"
    answer: Literal["ok", "again"]


@dataclass(frozen=True)
class IndicatorAnswer(Payload):
    """An indicator answered Có / Không / Không rõ (``sc:ans:<code>:yes|no|unknown``)."""

    prefix = "sc:ans"
    code: str
    answer: Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class WhyAsked(Payload):
    """Why an indicator is asked ("Vì sao hỏi?", ``sc:why:<code>``)."""

    prefix = "sc:why"
    code: str


@dataclass(frozen=True)
class SummaryAction(Payload):
    """The summary's "Xem kết quả" (``sc:sum:result``) or "Sửa" (``sc:sum:edit``)."""

    prefix = "sc:sum"
    action: Literal["result", "edit"]


@dataclass(frozen=True)
class EditItem(Payload):
    """Change the answer of a plain item (``sc:edit:area``, ``sc:edit:income_mode``…)."""

    prefix = "sc:edit"
    item: str


@dataclass(frozen=True)
class EditKeyed(Payload):
    """Change the answer of a fact or an indicator (``sc:edit:ind:water``)."""

    prefix = "sc:edit"
    kind: ItemKind
    key: str


@dataclass(frozen=True)
class BackFrom(Payload):
    """Back from a plain step (``sc:back:size``, ``sc:back:summary``…)."""

    prefix = "sc:back"
    item: str


@dataclass(frozen=True)
class BackKeyed(Payload):
    """Back from a fact or an indicator question (``sc:back:ind:water``)."""

    prefix = "sc:back"
    kind: ItemKind
    key: str


@dataclass(frozen=True)
class ShowDetail(Payload):
    """The full result ("Xem chi tiết", ``sc:detail``)."""

    prefix = "sc:detail"


@dataclass(frozen=True)
class SaveResult(Payload):
    """Keep the result (``sc:save:yes``) or not (``sc:save:no``)."""

    prefix = "sc:save"
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class Redo(Payload):
    """Redo under the standard in force today (``sc:redo``)."""

    prefix = "sc:redo"


@dataclass(frozen=True)
class Prefilled(Payload):
    """The self-check with size and income from a message (``scp:<members>:<amount>:<mode>``).

    Offered by the Q&A (``handlers.faq``); a stateless action, valid outside the flow.
    """

    prefix = "scp"
    members: int = field(metadata={"min": MIN_MEMBERS, "max": MAX_MEMBERS})
    amount: int = field(metadata={"min": 1, "max": MAX_INCOME})
    mode: IncomeMode


def _split(item: str) -> tuple[ItemKind | None, str]:
    kind, _, key = item.partition(":")
    if kind == "fact" and key:
        return "fact", key
    if kind == "ind" and key:
        return "ind", key
    return None, item


def back_payload(item: str) -> Payload:
    """The Back button's payload of the step asking (or showing) `item`."""
    kind, key = _split(item)
    return BackKeyed(kind, key) if kind is not None else BackFrom(item)


def edit_payload(item: str) -> Payload:
    """The "Sửa" list's payload for `item`."""
    kind, key = _split(item)
    return EditKeyed(kind, key) if kind is not None else EditItem(item)


def back_item(raw: str | None) -> str | None:
    """The item a Back payload names, or None if `raw` is not one."""
    keyed = BackKeyed.unpack(raw)
    if keyed is not None:
        return f"{keyed.kind}:{keyed.key}"
    plain = BackFrom.unpack(raw)
    return plain.item if plain is not None else None


def edit_item(raw: str | None) -> str | None:
    """The item an edit payload names, or None if `raw` is not one."""
    keyed = EditKeyed.unpack(raw)
    if keyed is not None:
        return f"{keyed.kind}:{keyed.key}"
    plain = EditItem.unpack(raw)
    return plain.item if plain is not None else None
