"""What the self-check shows: each question with progress and buttons, the summary, the result.

Texts come from the `self_check` catalogs; indicator questions, "why" texts, citations and the
assessment's explanation lines come from the standards data in `knowledge/standards`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.core.flow import cancel_choice
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.links import ShowEntry
from handlers.self_check._payloads import (
    ConfirmIncome,
    FactAnswer,
    IndicatorAnswer,
    PickArea,
    PickLocality,
    PickMode,
    PickUnit,
    Redo,
    SaveResult,
    ShowDetail,
    SummaryAction,
    WhyAsked,
    back_payload,
    edit_payload,
)
from handlers.self_check._steps import (
    AREA_CHOICES,
    INCOME_MODES,
    NATIONAL,
    SelfCheckData,
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

# FAQ entries (knowledge/faq/<id>.md) a category's support may bring (`ShowEntry` buttons).
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
    return Choice(turn.t("common.back"), back_payload(marker).pack())


def cancel(turn: Turn) -> Choice:
    """The Cancel button (the core one: `menu:cancel`)."""
    return cancel_choice(turn)


def locality_label(turn: Turn, code: str | None) -> str:
    """The standard's label: "Theo chuẩn quốc gia" or the locality's name."""
    if not code or code == NATIONAL:
        return turn.t("self_check.locality_national")
    return LOCALITY_NAMES_VI.get(code, code)


def income_text(turn: Turn, data: SelfCheckData, amount: int | None = None) -> str:
    """An amount with its period: "1.500.000 ₫ mỗi tháng (cả hộ)"."""
    value = data.income_amount if amount is None else amount
    return turn.t(f"self_check.income_as.{data.income_mode}", amount=turn.money(value))


def answer_label(turn: Turn, data: SelfCheckData, item: str) -> str:
    """The stored answer of an item, as the resident reads it."""
    kind, _, key = item.partition(":")
    if kind == "area":
        if data.unit_name:
            area = turn.t(f"self_check.area_short.{data.area}")
            return f"{data.unit_name}, {data.unit_province_name} ({area})"
        return turn.t(f"self_check.area.{data.area}")
    if kind == "locality":
        return locality_label(turn, data.locality)
    if kind == "size":
        return turn.t("self_check.size_value", count=data.size)
    if kind == "fact":
        return turn.t(f"self_check.fact_value.{data.facts[key]}")
    if kind == "income_mode":
        return turn.t(f"self_check.mode.{data.income_mode}")
    if kind == "income":
        return income_text(turn, data)
    return turn.t(f"self_check.meaning.{data.answers[key]}")


def item_title(turn: Turn, standard: Standard, item: str) -> str:
    """A short name for an item in the summary and the edit list."""
    kind, _, key = item.partition(":")
    if kind == "fact":
        return turn.t(f"self_check.fact_short.{key}")
    if kind == "ind":
        return standard.indicator(key).name
    return turn.t(f"self_check.title.{kind}")


def progress(turn: Turn, data: SelfCheckData, today: date, item: str) -> str:
    """The progress line of an item, e.g. "Câu 5/14"."""
    sequence = items(data, today)
    number = sequence.index(item) + 1 if item in sequence else len(sequence)
    return turn.t("self_check.progress", n=number, total=len(sequence))


def question(turn: Turn, data: SelfCheckData, item: str) -> Reply:
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
        choices += [
            PickLocality(code).choice(locality_label(turn, code))
            for code in (NATIONAL, *local_options(today))
        ]
    elif kind == "size":
        lines.append(turn.t("self_check.ask_size"))
        expects_text = True
    elif kind == "fact":
        lines.append(turn.t(f"self_check.fact.{key}"))
        choices += [
            FactAnswer(key, "yes").choice(turn.t("common.yes")),
            FactAnswer(key, "no").choice(turn.t("common.no")),
        ]
    elif kind == "income_mode":
        lines.append(turn.t("self_check.ask_income_mode"))
        choices += [
            PickMode(mode).choice(turn.t(f"self_check.mode.{mode}")) for mode in INCOME_MODES
        ]
    elif kind == "income":
        lines.append(turn.t(f"self_check.ask_income.{data.income_mode}"))
        expects_text = True
    else:
        indicator = standard.indicator(key)
        lines.append(indicator.question)
        if indicator.confidence == "provisional":
            lines.append(turn.t("self_check.question_provisional"))
        choices += [
            IndicatorAnswer(key, "yes").choice(turn.t("self_check.answer.yes")),
            IndicatorAnswer(key, "no").choice(turn.t("self_check.answer.no")),
            IndicatorAnswer(key, "unknown").choice(turn.t("self_check.answer.unknown")),
            WhyAsked(key).choice(turn.t("self_check.why_button")),
        ]
    if is_answered(data, item) and kind != "income_mode":
        lines.append(turn.t("self_check.current_answer", answer=answer_label(turn, data, item)))
    if kind == "area" and not data.editing:
        choices.append(Choice(turn.t("common.back"), "menu:main"))
    else:
        choices.append(back(turn, item))
    choices.append(cancel(turn))
    return Reply("\n".join(lines), tuple(choices), expects_text=expects_text)


def area_choices(turn: Turn) -> list[Choice]:
    """The four area buttons: xã, phường, đặc khu, không rõ (or a former thị trấn)."""
    return [
        PickArea(choice).choice(turn.t(f"self_check.area_button.{choice}"))
        for choice in AREA_CHOICES
    ]


def unit_choices(turn: Turn, units: list[Unit]) -> Reply:
    """Candidate communes for a typed name, as buttons, with the area buttons and Cancel."""
    choices = [
        PickUnit(unit.code).choice(f"{unit.name}, {unit.province.short_name}") for unit in units
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


def confirm_income(turn: Turn, data: SelfCheckData, amount: int) -> Reply:
    """The echo of a parsed amount ("… — đúng không?") with Đúng / Nhập lại."""
    text = turn.t("self_check.confirm_income", amount=income_text(turn, data, amount))
    if data.income_mode == "hy":
        text += "\n" + turn.t("self_check.confirm_income_yearly", monthly=turn.money(amount // 12))
    choices = (
        ConfirmIncome("ok").choice(turn.t("self_check.income_ok")),
        ConfirmIncome("again").choice(turn.t("self_check.income_again")),
        cancel(turn),
    )
    return Reply(text, choices)


def summary(turn: Turn, data: SelfCheckData) -> Reply:
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
        SummaryAction("result").choice(turn.t("self_check.see_result")),
        SummaryAction("edit").choice(turn.t("self_check.edit_button")),
        back(turn, "summary"),
        cancel(turn),
    )
    return Reply("\n".join(lines), choices)


def edit_list(turn: Turn, data: SelfCheckData) -> Reply:
    """One button per answer; the chosen one is asked again."""
    today = check_day(data, turn.today)
    standard = standard_of(data, today)
    choices = [
        Choice(
            item_title(turn, standard, "income" if item == "income_mode" else item),
            edit_payload(item).pack(),
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


@dataclass(frozen=True)
class Reading:
    """The answers read under each standard that matters to the result.

    Attributes:
        day: The day the standard was fixed.
        main: The answers under the standard fixed at the start.
        national: The national reading when a local standard was used, else None.
        future: The reading under the 2027 standard when the check is dated before it.
        switched_to: The standard in force today when it differs from the one used.
    """

    day: date
    main: Projection
    national: Projection | None
    future: Projection | None
    switched_to: Standard | None


def _key_reason(turn: Turn, main: Projection) -> str:
    """One line of why: income per person and how many indicators are lacking."""
    if len(main.assessments) > 1 and main.assessments[0].category != main.assessments[1].category:
        return turn.t("self_check.area_both")
    assessment = main.assessments[0]
    return turn.t(
        "self_check.result_reason",
        income=turn.money(assessment.income_per_person),
        count=len(assessment.deprived),
    )


def _standard_lines(turn: Turn, reading: Reading) -> list[str]:
    """The headline, the standard used and, for a local standard, what that means."""
    standard = reading.main.standard
    lines = [
        _headline(turn, reading.main),
        turn.t(
            "self_check.result_standard",
            standard=standard.name,
            basis=standard.legal_basis,
            day=turn.day(reading.day),
        ),
    ]
    if standard.scope != "national":
        lines.append(turn.t("self_check.result_local"))
    return lines


def _switched_lines(turn: Turn, reading: Reading) -> list[str]:
    """The note that the standard changed while answering (empty when it did not)."""
    if reading.switched_to is None:
        return []
    return [
        "",
        turn.t(
            "self_check.switched",
            day=turn.day(reading.day),
            used=reading.main.standard.short_name,
            today=turn.day(turn.today),
            current=reading.switched_to.short_name,
        ),
    ]


def _consent_choices(turn: Turn, reading: Reading, *extra: Choice) -> tuple[Choice, ...]:
    """Save / do not save first (so "1" saves), then `extra`, a redo if offered, and Back."""
    redo = (Redo().choice(turn.t("self_check.redo_button")),) if reading.switched_to else ()
    return (
        SaveResult("yes").choice(turn.t("self_check.save_yes")),
        SaveResult("no").choice(turn.t("self_check.save_no")),
        *extra,
        *redo,
        back(turn, "consent"),
    )


def result(turn: Turn, reading: Reading) -> list[Reply]:
    """The short result, then the consent question as the one set of choices.

    The result says the category, the standard, the key reason, any provisional mark and that
    it is not official; "Xem chi tiết" (:func:`result_detail`) shows the rest.

    Args:
        turn: The current turn.
        reading: The answers read under each standard that matters.

    Returns:
        The replies: the short result (no buttons) and the consent question with its buttons.
    """
    main = reading.main
    lines = [*_standard_lines(turn, reading), _key_reason(turn, main)]
    if main.provisional:
        lines.append(turn.t("self_check.provisional_result"))
    future = reading.future
    if future is not None:
        lines.append(
            turn.t(
                "self_check.future_short",
                day=turn.day(SWITCH_DAY),
                categories=categories_text(turn, future),
            )
        )
        if future.provisional:
            lines.append(turn.t("self_check.future_provisional"))
    lines += ["", turn.t("self_check.official"), *_switched_lines(turn, reading)]
    lines += ["", turn.t("self_check.more_in_detail")]
    detail = ShowDetail().choice(turn.t("self_check.detail_button"))
    consent = Reply(turn.t("self_check.consent"), _consent_choices(turn, reading, detail))
    return [Reply("\n".join(lines)), consent]


def _why_lines(turn: Turn, main: Projection) -> list[str]:
    """Every explanation with its citation, per area when the area is not known."""
    lines = [turn.t("self_check.result_why")]
    if len(main.assessments) == 1:
        return lines + _explanation_lines(turn, main.assessments[0])
    lines.append(turn.t("self_check.area_both"))
    for item in main.assessments:
        area = "rural" if item is main.assessments[0] else "urban"
        lines.append(turn.t(f"self_check.if_area.{area}"))
        lines += _explanation_lines(turn, item)
    return lines


def _note_lines(turn: Turn, reading: Reading) -> list[str]:
    """The national reading, near-line and "không rõ" warnings, provisional marks, 2027."""
    main, national = reading.main, reading.national
    standard = main.standard
    assessment = main.assessments[0]
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
    if reading.future is not None:
        notes += ["", *future_lines(turn, reading.future)]
    return ["", *notes] if notes else []


def _faq_choice(turn: Turn, entry: str) -> Choice:
    return ShowEntry(entry).choice("📖 " + turn.t(f"self_check.faq.{entry}"))


def result_detail(turn: Turn, reading: Reading) -> Reply:
    """The whole result ("Xem chi tiết") in one reply, ending with the consent question.

    The indicator list with citations, the national and 2027 readings, the support the
    category may bring and the next steps; its buttons are save / do not save, the FAQ entries
    and Back.

    Args:
        turn: The current turn.
        reading: The answers read under each standard that matters.

    Returns:
        The reply.
    """
    category = reading.main.categories[0]
    lines = [
        *_standard_lines(turn, reading),
        "",
        *_why_lines(turn, reading.main),
        *_note_lines(turn, reading),
        *_switched_lines(turn, reading),
        "",
        turn.t("self_check.next_steps"),
        "",
        turn.t("self_check.official"),
        "",
        turn.t(f"self_check.support.{category}"),
        "",
        turn.t("self_check.consent"),
    ]
    links = [_faq_choice(turn, entry) for entry in (*SUPPORT_FAQ[category], *NEXT_STEP_FAQ)]
    return Reply("\n".join(lines), _consent_choices(turn, reading, *links))


def consent(turn: Turn, reading: Reading) -> Reply:
    """The consent question again (after a wrong input), with the same buttons."""
    detail = ShowDetail().choice(turn.t("self_check.detail_button"))
    return Reply(turn.t("self_check.consent"), _consent_choices(turn, reading, detail))
