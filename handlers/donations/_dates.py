"""Reading dates as officers type them: "hôm nay", "hôm qua", "dd/mm/yyyy"."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core.text import fold

_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_day(text: str, today: date) -> date | None:
    """The date `text` names, or None when it is not a valid date."""
    folded = fold(text)
    if folded in ("hom nay", "today", "nay"):
        return today
    if folded in ("hom qua", "yesterday", "qua"):
        return today - timedelta(days=1)
    match = _DAY.match(folded.replace(" ", ""))
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None
