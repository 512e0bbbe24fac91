"""The fund's field rules, once, for the chat's steps and the web desk's forms alike.

Each check takes plain values (no `Turn`, no form) and returns what was read, or a `Problem`:
the message key and its parameters, money and dates still unformatted, so each side says it
in the user's language (`Problem.text`). The chat asks one question at a time and the desk
reads one form, but a value refused in one is refused in the other, with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.core.errors import UserFacingError
from bot.core.i18n import Translator, format_day, format_vnd
from knowledge.money import parse_money
from storage.ledger import MAX_AMOUNT, MIN_AMOUNT, Campaign
from storage.registrations import RegistrationRepository

__all__ = [
    "MAX_DECISION",
    "Beneficiary",
    "Problem",
    "check_amount",
    "check_decision",
    "check_decision_day",
    "check_gift_day",
    "check_paid_day",
    "has_letter",
    "resolve_code",
]

MAX_DECISION = 60
"""Longest decision number kept (a decision number is short: "12/QĐ-UBND")."""
_TN_CODE = re.compile(r"^TN-(\d{4})-(\d{1,9})$", re.IGNORECASE)
_HOUSEHOLD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{2,39}$")  # 3 characters or more
_P = "donations.disburse."


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value is refused: a message key, with money and dates to format for the reader."""

    key: str
    money: Mapping[str, int] = field(default_factory=dict)
    days: Mapping[str, date] = field(default_factory=dict)

    def params(self, language: str) -> dict[str, object]:
        """The message's parameters, formatted in `language`."""
        shown: dict[str, object] = {k: format_vnd(v, language) for k, v in self.money.items()}
        shown.update({k: format_day(v, language) for k, v in self.days.items()})
        return shown

    def text(self, t: Translator) -> str:
        """The message, in the translator's language."""
        return t(self.key, **self.params(t.language))

    def error(self, language: str) -> UserFacingError:
        """The problem as the chat's error (shown by the step that raised it)."""
        return UserFacingError(self.key, **self.params(language))


def has_letter(text: str) -> bool:
    """Whether `text` has a letter (a name, not a number typed for a button)."""
    return any(c.isalpha() for c in text)


def check_amount(text: str) -> tuple[int, Problem | None]:
    """An amount of đồng typed by an officer, within 1.000 ₫ – 100 tỷ ₫, or why not."""
    parsed = parse_money(text)
    if parsed.amount is None:
        key = "ambiguous" if parsed.problem == "ambiguous" else "bad"
        return 0, Problem(f"donations.amount_{key}")
    if not MIN_AMOUNT <= parsed.amount <= MAX_AMOUNT:
        return 0, Problem("donations.amount_range", {"low": MIN_AMOUNT, "high": MAX_AMOUNT})
    return parsed.amount, None


def check_gift_day(day: date, today: date, campaign: Campaign) -> Problem | None:
    """Why a gift cannot be dated `day` (in the future, before the campaign began), or None."""
    if day > today:
        return Problem("donations.date_future")
    if day < campaign.starts_on:
        return Problem("donations.date_before_start", days={"start": campaign.starts_on})
    return None


def check_paid_day(day: date, today: date) -> Problem | None:
    """Why a payment cannot be dated `day` (in the future), or None."""
    return Problem("donations.date_future") if day > today else None


def check_decision_day(day: date, paid_on: date) -> Problem | None:
    """Why a decision cannot be dated `day` (after the payment it approved), or None."""
    if day > paid_on:
        return Problem(_P + "decision_after", days={"day": paid_on})
    return None


def check_decision(text: str) -> Problem | None:
    """Why `text` is not a decision number (it needs a digit, and is short), or None."""
    if not any(c.isdigit() for c in text) or len(text) > MAX_DECISION:
        return Problem(_P + "decision_bad")
    return None


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """The household paid, as a code names it: a registration, a household code, or both."""

    registration_id: int | None = None
    registration_code: str = ""
    household: str = ""


async def resolve_code(
    registrations: RegistrationRepository, ward_id: str, text: str
) -> Beneficiary | Problem:
    """The household a typed code names in the ward: a TN registration or a household code.

    A household code is linked to the ward's registration with that code when there is one.
    """
    tn = _TN_CODE.match(text)
    if tn is not None:
        found = await registrations.get(int(tn.group(2)))
        if found is None or found.ward_id != ward_id:
            return Problem(_P + "registration_missing")
        return Beneficiary(found.id, found.code)
    if _HOUSEHOLD.match(text) is None or not any(c.isdigit() for c in text):
        return Problem(_P + "beneficiary_bad")
    household = text.upper()
    linked = Beneficiary(household=household)
    for known in await registrations.in_ward(ward_id, limit=10_000):
        if known.household_code.strip().upper() == household:  # linked when known
            linked = Beneficiary(known.id, known.code, household)
    return linked
