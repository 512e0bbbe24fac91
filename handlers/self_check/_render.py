"""What the self-check shows: each question with progress and buttons, the summary, the result.

Texts come from the `self_check` catalogs; indicator questions, "why" texts, citations and the
assessment's explanation lines come from the standards data in `knowledge/standards`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.self_check._steps import (
    AREA_CHOICES,
    FLOW,
    check_day,
    is_answered,
    items,
    local_options,
    standard_of,
)
from knowledge.admin_units import Unit
from knowledge.assessment import (
    LOCALITY_NAMES_VI,
    Assessment,
    Standard,
    load_standards,
)
from knowledge.transition import SWITCH_DAY, Projection

CANCEL = f"{FLOW}:cancel"

# FAQ entries (knowledge/faq/<id>.md) a category's support may bring; payload "faq:e:<id>".
SUPPORT_FAQ: Mapping[str, tuple[str, ...]] = {
    "poor": (
        "bhyt-ho-ngheo",
        "vay-von-ho-ngheo",
        "tien-dien-ho-ngheo",
        "ho-tro-nha-o",
        "ho-tro-hoc-nghe",
        "tro-giup-phap-ly",
    ),
    "near_poor": ("bhyt-ho-can-ngheo", "vay-von-ho-can-ngheo", "ho-tro-nha-o", "ho-tro-hoc-nghe"),
    "average_living": (
        "ho-muc-song-trung-binh",
        "bhyt-ho-muc-song-trung-binh",
        "vay-von-sinh-vien",
    ),
    "not_poor": ("thu-nhap-cao-hon-chuan", "ket-qua-chinh-thuc"),
}
NEXT_STEP_FAQ: tuple[str, ...] = ("mau-so-01", "ra-soat-dinh-ky", "ra-soat-thuong-xuyen")


def plain(text: str) -> str:
    """Knowledge texts use a no-break space before "₫"; the chat uses a plain space."""
    return text.replace("\xa0", " ")


def back(turn: Turn, marker: str) -> Choice:
    """The Back button of the step whose marker is `marker` (stale once the step is left)."""
    return turn.choice("common.back", f"{FLOW}:back:{marker}")


def cancel(turn: Turn) -> Choice:
    """The Cancel button."""
    return turn.choice("common.cancel", CANCEL)


def locality_label(turn: Turn, code: str | None) -> str:
    """The standard's label: "Theo chuẩn quốc gia" or the locality's name."""
    if code is None:
        return turn.t("self_check.locality_national")
    return LOCALITY_NAMES_VI.get(code, code)


def income_text(turn: Turn, data: Mapping[str, Any], amount: int | None = None) -> str:
    """An amount with its period: "1.500.000 ₫ mỗi tháng (cả hộ)"."""
    value = int(data["income_amount"]) if amount is None else amount
    return turn.t(f"self_check.income_as.{data['income_mode']}", amount=turn.money(value))


def answer_label(turn: Turn, data: Mapping[str, Any], item: str) -> str:
    """The stored answer of an item, as the resident reads it."""
    kind, _, key = item.partition(":")
    if kind == "area":
        if data.get("unit_name"):
            area = turn.t(f"self_check.area_short.{data['area']}")
            return f"{data['unit_name']}, {data['unit_province_name']} ({area})"
        return turn.t(f"self_check.area.{data['area']}")
    if kind == "locality":
        return locality_label(turn, data.get("locality"))
    if kind == "size":
        return turn.t("self_check.size_value", count=data["size"])
    if kind == "fact":
        return turn.t(f"self_check.fact_value.{data['facts'][key]}")
    if kind == "income_mode":
        return turn.t(f"self_check.mode.{data['income_mode']}")
    if kind == "income":
        return income_text(turn, data)
    return turn.t(f"self_check.meaning.{data['answers'][key]}")


def item_title(turn: Turn, standard: Standard, item: str) -> str:
    """A short name for an item in the summary and the edit list."""
    kind, _, key = item.partition(":")
    if kind == "fact":
        return turn.t(f"self_check.fact_short.{key}")
    if kind == "ind":
        return standard.indicator(key).name
    return turn.t(f"self_check.title.{kind}")


def progress(turn: Turn, data: Mapping[str, Any], today: date, item: str) -> str:
    """The progress line of an item, e.g. "Câu 5/14"."""
    sequence = items(data, today)
    number = sequence.index(item) + 1 if item in sequence else len(sequence)
    return turn.t("self_check.progress", n=number, total=len(sequence))


def question(turn: Turn, data: Mapping[str, Any], item: str) -> Reply:
    """The reply asking `item`, with progress, any stored answer, its buttons, Back and Cancel."""
    today = check_day(data, turn.today)
    standard = standard_of(data, today)
    kind, _, key = item.partition(":")
    lines = [progress(turn, data, today, item)]
    choices: list[Choice] = []
    expects_text = False
    if kind == "area":
        lines.append(turn.t("self_check.ask_area"))
        choices += area_choices(turn)
    elif kind == "locality":
        lines.append(turn.t("self_check.ask_locality"))
        choices.append(Choice(locality_label(turn, None), f"{FLOW}:loc:national"))
        choices += [
            Choice(locality_label(turn, code), f"{FLOW}:loc:{code}")
            for code in local_options(today)
        ]
    elif kind == "size":
        lines.append(turn.t("self_check.ask_size"))
        expects_text = True
    elif kind == "fact":
        lines.append(turn.t(f"self_check.fact.{key}"))
        choices += [
            turn.choice("common.yes", f"{FLOW}:fact:{key}:yes"),
            turn.choice("common.no", f"{FLOW}:fact:{key}:no"),
        ]
    elif kind == "income_mode":
        lines.append(turn.t("self_check.ask_income_mode"))
        choices += [
            turn.choice(f"self_check.mode.{mode}", f"{FLOW}:mode:{mode}")
            for mode in ("hm", "pm", "hy")
        ]
    elif kind == "income":
        lines.append(turn.t(f"self_check.ask_income.{data['income_mode']}"))
        expects_text = True
    else:
        indicator = standard.indicator(key)
        lines.append(indicator.question)
        if indicator.confidence == "provisional":
            lines.append(turn.t("self_check.question_provisional"))
        choices += [
            turn.choice("self_check.answer.yes", f"{FLOW}:ans:{key}:yes"),
            turn.choice("self_check.answer.no", f"{FLOW}:ans:{key}:no"),
            turn.choice("self_check.answer.unknown", f"{FLOW}:ans:{key}:unknown"),
            turn.choice("self_check.why_button", f"{FLOW}:why:{key}"),
        ]
    if is_answered(data, item) and kind != "income_mode":
        lines.append(turn.t("self_check.current_answer", answer=answer_label(turn, data, item)))
    if kind == "area" and not data.get("editing"):
        choices.append(Choice(turn.t("common.back"), "menu:main"))
    else:
        choices.append(back(turn, item))
    choices.append(cancel(turn))
    return Reply("\n".join(lines), tuple(choices), expects_text=expects_text)


def area_choices(turn: Turn) -> list[Choice]:
    """The four area buttons: xã, phường, đặc khu, không rõ (or a former thị trấn)."""
    return [
        turn.choice(f"self_check.area_button.{choice}", f"{FLOW}:area:{choice}")
        for choice in AREA_CHOICES
    ]


def unit_choices(turn: Turn, units: list[Unit]) -> Reply:
    """Candidate communes for a typed name, as buttons, with the area buttons and Cancel."""
    choices = [
        Choice(f"{unit.name}, {unit.province.short_name}", f"{FLOW}:unit:{unit.code}")
        for unit in units
    ]
    return Reply(
        turn.t("self_check.unit_pick"),
        (*choices, *area_choices(turn), back(turn, "area"), cancel(turn)),
    )


def unit_found(turn: Turn, unit: Unit) -> str:
    """The echo of a recognised commune with what it means for the area."""
    return turn.t(
        "self_check.unit_found",
        unit=unit.name,
        province=unit.province_name,
        area=turn.t(f"self_check.unit_area.{unit.area}"),
    )


def why(turn: Turn, standard: Standard, code: str) -> Reply:
    """Why an indicator is asked: the plain reason, the official definition quoted, the source."""
    indicator = standard.indicator(code)
    text = turn.t(
        "self_check.why",
        name=indicator.name,
        why=indicator.why,
        official=indicator.official or indicator.definition,
        citation=indicator.citation,
    )
    if indicator.confidence == "provisional":
        text += "\n" + turn.t("self_check.provisional")
    return Reply(text)


def confirm_income(turn: Turn, data: Mapping[str, Any], amount: int) -> Reply:
    """The echo of a parsed amount ("… — đúng không?") with Đúng / Nhập lại."""
    text = turn.t("self_check.confirm_income", amount=income_text(turn, data, amount))
    if data["income_mode"] == "hy":
        text += "\n" + turn.t("self_check.confirm_income_yearly", monthly=turn.money(amount // 12))
    choices = (
        turn.choice("self_check.income_ok", f"{FLOW}:inc:ok"),
        turn.choice("self_check.income_again", f"{FLOW}:inc:again"),
        cancel(turn),
    )
    return Reply(text, choices)


def summary(turn: Turn, data: Mapping[str, Any]) -> Reply:
    """Every answer as what it means ("thiếu" / "đủ" / "không rõ"), with the buttons."""
    today = check_day(data, turn.today)
    standard = standard_of(data, today)
    lines = [turn.t("self_check.summary_title")]
    for item in items(data, today):
        if item == "income_mode":
            continue
        lines.append(f"• {item_title(turn, standard, item)}: {answer_label(turn, data, item)}")
    lines.append(turn.t("self_check.summary_standard", standard=standard.name))
    choices = (
        turn.choice("self_check.see_result", f"{FLOW}:sum:result"),
        turn.choice("self_check.edit_button", f"{FLOW}:sum:edit"),
        back(turn, "summary"),
        cancel(turn),
    )
    return Reply("\n".join(lines), choices)


def edit_list(turn: Turn, data: Mapping[str, Any]) -> Reply:
    """One button per answer; the chosen one is asked again."""
    today = check_day(data, turn.today)
    standard = standard_of(data, today)
    choices = [
        Choice(
            item_title(turn, standard, "income" if item == "income_mode" else item),
            f"{FLOW}:edit:{item}",
        )
        for item in items(data, today)
        if item != "income"
    ]
    choices.append(back(turn, "edit"))
    return Reply(turn.t("self_check.edit_prompt"), tuple(choices))


def standard_by_id(standard_id: str) -> Standard | None:
    """A loaded standard by id (None if the data no longer has it)."""
    for standard in load_standards():
        if standard.id == standard_id:
            return standard
    return None


def categories_text(turn: Turn, projection: Projection) -> str:
    """The category label, or "hộ cận nghèo hoặc hộ nghèo" when the answers allow several."""
    labels = [turn.t(f"self_check.category.{category}") for category in projection.categories]
    return turn.t("self_check.or").join(labels)


def _explanation_lines(turn: Turn, assessment: Assessment) -> list[str]:
    lines: list[str] = []
    for explanation in assessment.explanations:
        lines.append(f"• {plain(explanation.text)}")
        lines.append("  " + turn.t("self_check.citation", citation=plain(explanation.citation)))
    return lines


def _headline(turn: Turn, main: Projection) -> str:
    """The first line: one category, or one per area when the area is not known."""
    if len(main.assessments) == 1 or main.assessments[0].category == main.assessments[1].category:
        return turn.t(
            "self_check.result_title",
            category=turn.t(f"self_check.category.{main.assessments[0].category}"),
        )
    rural, urban = main.assessments
    return turn.t(
        "self_check.result_title_both",
        rural=turn.t(f"self_check.category.{rural.category}"),
        urban=turn.t(f"self_check.category.{urban.category}"),
    )


def future_lines(turn: Turn, future: Projection) -> list[str]:
    """What the same answers give under the 2027 standard ("Từ 01/01/2027 …")."""
    standard = future.standard
    lines = [
        turn.t(
            "self_check.future",
            day=turn.day(SWITCH_DAY),
            standard=standard.name,
            basis=standard.legal_basis,
            categories=categories_text(turn, future),
            line_rural=turn.money(standard.line("poverty").rural),
            line_urban=turn.money(standard.line("poverty").urban),
        )
    ]
    if future.carried_unknown:
        names = ", ".join(f"“{standard.indicator(code).name}”" for code in future.carried_unknown)
        lines.append(turn.t("self_check.future_not_asked", names=names))
    if "not_poor" in future.categories and not standard.average_band_known:
        lines.append(turn.t("self_check.future_average_unknown"))
    if future.provisional:
        lines.append(turn.t("self_check.future_provisional"))
    return lines


def result(
    turn: Turn,
    data: Mapping[str, Any],
    main: Projection,
    *,
    national: Projection | None,
    future: Projection | None,
    switched_to: Standard | None,
) -> list[Reply]:
    """The result: category, why, the national and 2027 readings, support, next steps, consent.

    Args:
        turn: The current turn.
        data: The session data (answers).
        main: The answers under the standard fixed at the start.
        national: The national reading when a local standard was used, else None.
        future: The reading under the 2027 standard when the check is dated before it.
        switched_to: The standard in force today when it differs from the one used.

    Returns:
        The replies: result, support, next steps, consent.
    """
    day = check_day(data, turn.today)
    assessment = main.assessments[0]
    standard = main.standard
    category = main.categories[0]
    head = [
        _headline(turn, main),
        turn.t(
            "self_check.result_standard",
            standard=standard.name,
            basis=standard.legal_basis,
            day=turn.day(day),
        ),
    ]
    if standard.scope != "national":
        head.append(turn.t("self_check.result_local"))
    head += ["", turn.t("self_check.result_why")]
    if len(main.assessments) == 1:
        head += _explanation_lines(turn, assessment)
    else:
        head.append(turn.t("self_check.area_both"))
        for item in main.assessments:
            area = "rural" if item is main.assessments[0] else "urban"
            head.append(turn.t(f"self_check.if_area.{area}"))
            head += _explanation_lines(turn, item)
    notes: list[str] = []
    if national is not None:
        notes.append(
            turn.t(
                "self_check.result_national",
                standard=national.standard.name,
                categories=categories_text(turn, national),
            )
        )
    if any(item.near_line for item in main.assessments):
        notes.append(turn.t("self_check.near_line"))
    if assessment.unknown:
        names = ", ".join(f"“{standard.indicator(code).name}”" for code in assessment.unknown)
        notes.append(turn.t("self_check.unknown_flag", count=len(assessment.unknown), names=names))
    if main.provisional:
        notes.append(turn.t("self_check.provisional_result"))
    if future is not None:
        notes += ["", *future_lines(turn, future)]
    if notes:
        head += ["", *notes]
    head_choices: tuple[Choice, ...] = ()
    if switched_to is not None:
        head += [
            "",
            turn.t(
                "self_check.switched",
                day=turn.day(day),
                used=standard.short_name,
                today=turn.day(turn.today),
                current=switched_to.short_name,
            ),
        ]
        head_choices = (turn.choice("self_check.redo_button", f"{FLOW}:redo"),)
    support = Reply(
        turn.t(f"self_check.support.{category}"),
        tuple(
            Choice("📖 " + turn.t(f"self_check.faq.{entry}"), f"faq:e:{entry}")
            for entry in SUPPORT_FAQ[category]
        ),
    )
    next_steps = Reply(
        turn.t("self_check.next_steps") + "\n\n" + turn.t("self_check.official"),
        tuple(
            Choice("📖 " + turn.t(f"self_check.faq.{entry}"), f"faq:e:{entry}")
            for entry in NEXT_STEP_FAQ
        ),
    )
    consent = Reply(
        turn.t("self_check.consent"),
        (
            turn.choice("self_check.save_yes", f"{FLOW}:save:yes"),
            turn.choice("self_check.save_no", f"{FLOW}:save:no"),
            back(turn, "consent"),
        ),
    )
    return [Reply("\n".join(head), head_choices), support, next_steps, consent]
