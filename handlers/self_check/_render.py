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
    FLOW,
    is_answered,
    items,
    local_options,
    standard_of,
)
from knowledge.assessment import LOCALITY_NAMES_VI, Assessment, Standard, load_standards

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
        return turn.t(f"self_check.area.{data['area']}")
    if kind == "locality":
        return locality_label(turn, data.get("locality"))
    if kind == "size":
        return turn.t("self_check.size_value", count=data["size"])
    if kind == "fact":
        return turn.t(f"common.{data['facts'][key]}")
    if kind == "income_mode":
        return turn.t(f"self_check.mode.{data['income_mode']}")
    if kind == "income":
        return income_text(turn, data)
    return turn.t(f"common.{data['answers'][key]}")


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
    today = turn.today
    standard = standard_of(data, today)
    kind, _, key = item.partition(":")
    lines = [progress(turn, data, today, item)]
    choices: list[Choice] = []
    expects_text = False
    if kind == "area":
        lines.append(turn.t("self_check.ask_area"))
        choices += [
            turn.choice("self_check.area_button.rural", f"{FLOW}:area:rural"),
            turn.choice("self_check.area_button.urban", f"{FLOW}:area:urban"),
        ]
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
        choices += [
            turn.choice("common.yes", f"{FLOW}:ans:{key}:yes"),
            turn.choice("common.no", f"{FLOW}:ans:{key}:no"),
            turn.choice("common.unknown", f"{FLOW}:ans:{key}:unknown"),
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


def why(turn: Turn, standard: Standard, code: str) -> Reply:
    """Why an indicator is asked, with its legal citation."""
    indicator = standard.indicator(code)
    text = turn.t(
        "self_check.why",
        name=indicator.name,
        why=indicator.why,
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
    """Every answer, with "Xem kết quả", "Sửa câu trả lời", Back and Cancel."""
    today = turn.today
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
    today = turn.today
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


def result(turn: Turn, data: Mapping[str, Any], assessment: Assessment) -> list[Reply]:
    """The result: category, why, warnings, support, next steps and the official-status note."""
    standard = assessment.standard
    category = assessment.category
    head = [
        turn.t("self_check.result_title", category=turn.t(f"self_check.category.{category}")),
        turn.t(
            "self_check.result_standard",
            standard=standard.name,
            basis=standard.legal_basis,
            day=turn.day(turn.today),
        ),
        turn.t(
            "self_check.result_income",
            income=turn.money(assessment.income_per_person),
            line=turn.money(assessment.line),
        ),
        "",
        turn.t("self_check.result_why"),
    ]
    for explanation in assessment.explanations:
        head.append(f"• {plain(explanation.text)}")
        head.append("  " + turn.t("self_check.citation", citation=plain(explanation.citation)))
    notes: list[str] = []
    if assessment.near_line:
        notes.append(turn.t("self_check.near_line"))
    if assessment.unknown:
        names = ", ".join(f"“{standard.indicator(code).name}”" for code in assessment.unknown)
        notes.append(turn.t("self_check.unknown_flag", count=len(assessment.unknown), names=names))
    if assessment.provisional:
        notes.append(turn.t("self_check.provisional_result"))
    if notes:
        head += ["", *notes]
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
    return [Reply("\n".join(head)), support, next_steps, consent]
