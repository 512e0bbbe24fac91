"""Texts of the transition notice and of the officers' impact table (pure, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.i18n import Translator, format_day, format_vnd
from bot.core.types import Choice, Reply
from knowledge.assessment import CATEGORY_LABELS_VI, Category
from knowledge.transition import SWITCH_DAY, Projection, SavedAnswers
from storage.self_check import SavedResult

STOP_PAYLOAD = "notices:stop"
"""The button under every notice: stop such notices (same as `/tatthongbao`)."""

UNCLEAR = "unclear"
"""The impact table's column for answers that do not settle one category."""


def category_label(t: Translator, category: str) -> str:
    """A category's label in the user's language ("hộ cận nghèo")."""
    known = category if category in CATEGORY_LABELS_VI else "not_poor"
    return t(f"notices.category.{known}")


def either(t: Translator, categories: Sequence[Category]) -> str:
    """Several categories as one phrase: "hộ nghèo hoặc hộ cận nghèo"."""
    labels = [category_label(t, category) for category in categories]
    if len(labels) == 1:
        return labels[0]
    quoted = [t("notices.quoted", label=label) for label in labels]
    return t("notices.either", first=", ".join(quoted[:-1]), last=quoted[-1])


def standard_2027_notice(
    t: Translator, result: SavedResult, answers: SavedAnswers, projection: Projection
) -> Reply:
    """The one notice: the saved result, what its answers give from 2027, what to do, how to stop.

    Args:
        t: The resident's translator.
        result: The newest saved result.
        answers: Its answers.
        projection: The answers under the standard in force on the switch day.
    """
    language = t.language
    standard = projection.standard
    lines = [
        t("notices.standard_2027.title", day=format_day(SWITCH_DAY, language)),
        t(
            "notices.standard_2027.saved",
            day=format_day(result.checked_on, language),
            category=category_label(t, result.category),
        ),
        t(
            "notices.standard_2027.standard",
            day=format_day(standard.effective_from, language),
            name=standard.short_name,
            basis=standard.legal_basis,
        ),
    ]
    if standard.scope == "national":
        lines.append(
            t(
                "notices.standard_2027.rule",
                rural=format_vnd(standard.line_for("rural"), language),
                urban=format_vnd(standard.line_for("urban"), language),
            )
        )
    categories = projection.categories
    if projection.settled:
        outcome = t("notices.standard_2027.result_one", category=category_label(t, categories[0]))
    else:
        outcome = t("notices.standard_2027.result_many", categories=either(t, categories))
    if projection.provisional:
        outcome += " " + t("notices.provisional")
    lines.append(outcome)
    if not projection.settled:
        reason = "area" if answers.area == "unknown" else "indicators"
        lines.append(t(f"notices.standard_2027.why_unsettled.{reason}"))
    if not standard.average_band_known and any(
        category in ("average_living", "not_poor") for category in categories
    ):
        lines.append(t("notices.standard_2027.average_unknown"))
    if projection.settled and categories[0] == result.category:
        lines.append(t("notices.standard_2027.same"))
    elif result.category not in categories:
        lines.append(t("notices.standard_2027.changes"))
    else:
        lines.append(t("notices.standard_2027.may_change"))
    lines.append(t("notices.official"))
    lines.append(t("notices.standard_2027.todo", day=format_day(SWITCH_DAY, language)))
    lines.append(t("notices.stop_hint"))
    return Reply("\n\n".join(lines), (Choice(t("notices.stop_button"), STOP_PAYLOAD),))


@dataclass(frozen=True, slots=True)
class Impact:
    """Counts of saved results by (category today, category from 2027 or `UNCLEAR`).

    Attributes:
        pairs: How many results go from one category to another.
        provisional: Whether any projection rests on provisional data.
    """

    pairs: Counter[tuple[str, str]]
    provisional: bool

    @property
    def total(self) -> int:
        """All results counted."""
        return sum(self.pairs.values())

    @property
    def changed(self) -> int:
        """Results whose one 2027 category differs from today's."""
        return sum(n for (old, new), n in self.pairs.items() if new not in (old, UNCLEAR))

    @property
    def unclear(self) -> int:
        """Results whose answers leave more than one category possible."""
        return sum(n for (_, new), n in self.pairs.items() if new == UNCLEAR)


def impact_table(t: Translator, impact: Impact, place: str) -> Reply:
    """The officer's table: today's category → 2027 category, with counts and no names."""
    if impact.total == 0:
        return Reply(t("notices.impact.none", place=place))
    lines = [
        t("notices.impact.title", place=place),
        t(
            "notices.impact.summary",
            total=impact.total,
            changed=impact.changed,
            same=impact.total - impact.changed - impact.unclear,
            unclear=impact.unclear,
        ),
    ]
    order = [*CATEGORY_LABELS_VI, UNCLEAR]
    for old, new in sorted(
        impact.pairs, key=lambda pair: (order.index(pair[0]), order.index(pair[1]))
    ):
        after = t("notices.impact.unclear") if new == UNCLEAR else category_label(t, new)
        lines.append(
            t(
                "notices.impact.row",
                before=category_label(t, old),
                after=after,
                count=impact.pairs[(old, new)],
            )
        )
    note = t("notices.impact.note")
    if impact.provisional:
        note += " " + t("notices.provisional")
    lines.append(note)
    return Reply("\n".join(lines))
