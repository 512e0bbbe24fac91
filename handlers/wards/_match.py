"""Matching what a resident or an administrator typed to a commune (xã, phường, đặc khu).

`knowledge.admin_units.pick` grades the candidates of `find`; `choose_ward` applies it to the
wards in service, for the ward steps of the registration form and of `/hoicanbo`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import Translator
from knowledge.admin_units import Unit, find, fold, pick, unit
from storage.users import UserRepository, Ward

MAX_BUTTONS = 8


@dataclass(frozen=True, slots=True)
class WardChoice:
    """What a typed commune name gives among the wards in service.

    Exactly one of the fields is set, or none (nothing like it exists at all):
    `ward` (the ward in service it names), `candidates` (wards in service to choose from),
    `not_served` (a real commune that does not use the assistant yet).
    """

    ward: Ward | None = None
    candidates: tuple[Ward, ...] = ()
    not_served: Unit | None = None


async def choose_ward(users: UserRepository, text: str) -> WardChoice:
    """The ward in service a resident's typed text names (diacritics, typos, province).

    Args:
        users: The repository holding the wards in service.
        text: What the resident typed ("hoa cuong", "p. Bến Thành tphcm", "20257").

    Returns:
        The choice; a commune that exists but is not in service is reported as `not_served`
        only when the text names it confidently.
    """
    wards = await users.wards()
    by_code = {w.code: w for w in wards if w.code}
    if by_code:
        chosen, candidates = pick(find(text, within=by_code, limit=MAX_BUTTONS))
        if chosen is not None:
            return WardChoice(ward=by_code[chosen.code])
        if candidates:
            return WardChoice(candidates=tuple(by_code[u.code] for u in candidates))
    legacy = [w for w in wards if not w.code and _plain(w.name) == _plain(text)]
    if len(legacy) == 1:
        return WardChoice(ward=legacy[0])
    chosen, _ = pick(find(text, limit=MAX_BUTTONS))
    if chosen is not None:
        return WardChoice(not_served=chosen)
    return WardChoice()


def _plain(text: str) -> str:
    folded = fold(text)
    for prefix in ("phuong ", "xa ", "dac khu "):
        folded = folded.removeprefix(prefix)
    return folded


def demo_aware_label(t: Translator, ward: Ward, *, with_province: bool = False) -> str:
    """The ward's name for a button, with its province if asked, marked when it is demo data."""
    label = ward.name
    if with_province and ward.province:
        label = t("ward.with_province", name=ward.name, province=ward.province)
    return t("ward.demo", name=label) if ward.demo else label


def official(code: str) -> Unit | None:
    """The official unit of a stored ward code (None for wards created before 0007)."""
    return unit(code) if code else None
