"""A household's size and income read from a resident's long message (gợi ý tự kiểm tra).

Residents often write their whole situation: "nha toi 5 nguoi, chong benh, thu nhap
6tr/thang…". When a message names both a household size and an income, the chat offers the
self-check with those two answers filled in. :func:`household_hint` finds them; it never
guesses: no size, no income, an income it cannot read without ambiguity, or one outside the
self-check's range (0–10 tỷ đồng a month) gives None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from knowledge.money import MAX_MEMBERS, MIN_MEMBERS, in_monthly_income_range, parse_money
from knowledge.text import strip_diacritics

__all__ = ["MAX_MEMBERS", "HouseholdHint", "household_hint"]
IncomeMode = Literal["hm", "pm", "hy"]

_SIZE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:nguoi|ng|nhan khau|khau|thanh vien|mieng an)\b")
_INCOME = re.compile(r"\b(?:thu nhap|tn|kiem duoc|kiem|luong|thu)\b")
_PER_PERSON = re.compile(r"\b(?:moi nguoi|1 nguoi|mot nguoi|dau nguoi|binh quan)\b")
_STOP = re.compile(r"[;!?\n]|,(?!\d)")


@dataclass(frozen=True, slots=True)
class HouseholdHint:
    """Size and income found in a message.

    Attributes:
        members: Household size (1–30).
        amount: The amount in đồng, as the resident gave it.
        mode: "hm" household per month, "pm" per person per month, "hy" household per year.
    """

    members: int
    amount: int
    mode: IncomeMode


def household_hint(text: str) -> HouseholdHint | None:
    """The household size and income a message states, or None when it lacks either.

    Args:
        text: The message as typed.

    Returns:
        The hint, or None.
    """
    folded = strip_diacritics(text.lower())
    size = _SIZE.search(folded)
    income = _INCOME.search(folded)
    if size is None or income is None:
        return None
    members = int(size.group(1))
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        return None
    rest = folded[income.end() :]
    stop = _STOP.search(rest)
    segment = rest[: stop.start()] if stop else rest
    per_person = _PER_PERSON.search(segment) is not None
    parsed = parse_money(_SIZE.sub(" ", _PER_PERSON.sub(" ", segment)))
    if parsed.amount is None or parsed.amount <= 0:
        return None
    if parsed.period == "year":
        mode: IncomeMode = "hy"
    elif per_person:
        mode = "pm"
    else:
        mode = "hm"
    monthly = parsed.amount // 12 if mode == "hy" else parsed.amount
    if not in_monthly_income_range(monthly):  # a typing slip; the self-check would refuse it
        return None
    return HouseholdHint(members=members, amount=parsed.amount, mode=mode)
