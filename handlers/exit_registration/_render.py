"""Texts of the registration feature: the summary, the timeline and the officer's views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.core.i18n import Translator, format_day, format_moment, format_vnd
from handlers.exit_registration._data import RegistrationForm
from handlers.exit_registration._steps import mask_id
from storage.registrations import EntryKind, HistoryEntry, Registration

K = "exit_registration."


def cause_label(t: Translator, key: str) -> str:
    """The label of a cause of poverty."""
    return t(f"{K}cause.{key}")


def support_label(t: Translator, key: str) -> str:
    """The label of a wished support."""
    return t(f"{K}support.{key}")


def status_label(t: Translator, status: str) -> str:
    """The label of a registration status."""
    return t(f"{K}status.{status}")


def birth_text(t: Translator, iso: str) -> str:
    """A stored ISO date (of birth, of a decision) as dd/mm/yyyy."""
    return format_day(date.fromisoformat(iso), t.language) if iso else "—"


def _list(
    t: Translator, keys: list[str], label: Callable[[Translator, str], str], other: str
) -> str:
    parts = [label(t, key) for key in keys if key != "other"]
    if "other" in keys:
        parts.append(f"{label(t, 'other')}: {other}" if other else label(t, "other"))
    return ", ".join(parts) or "—"


def summary_text(t: Translator, form: RegistrationForm, ward_name: str) -> str:
    """Everything the resident entered, for the summary before submitting."""
    return t(
        f"{K}summary",
        name=form.name,
        birth=birth_text(t, form.birth),
        sex=t(f"{K}sex.{form.sex or 'm'}"),
        ethnicity=form.ethnicity,
        id_number=form.id_number,
        phone=form.phone,
        ward=ward_name,
        address=form.address,
        household_code=form.household_code or t(f"{K}none"),
        members=form.members or "",
        income=format_vnd(form.income, t.language),
        causes=_list(t, form.causes, cause_label, form.cause_other),
        supports=_list(t, form.supports, support_label, form.support_other),
        target_year=form.target_year or "",
    )


def timeline(t: Translator, registration: Registration, history: list[HistoryEntry]) -> str:
    """A registration's status timeline for the resident."""
    lines = [
        t(
            f"{K}timeline.head",
            code=registration.code,
            status=status_label(t, registration.status),
        )
    ]
    lines += [history_line(t, entry) for entry in history]
    if registration.question and registration.status == "needs_info":
        lines.append(t(f"{K}timeline.question", question=registration.question))
    return "\n".join(lines)


def decision_text(t: Translator, number: str, iso_day: str) -> str:
    """The words of a final decision: "Quyết định số … ngày …"."""
    day = format_day(date.fromisoformat(iso_day), t.language) if iso_day else "—"
    return t(f"{K}timeline.decision", number=number, date=day)


def history_line(t: Translator, entry: HistoryEntry) -> str:
    """One line of a timeline: when, the status, the decision it carries, the note or reason."""
    line = f"• {format_moment(entry.at, t.language)} — "
    if entry.kind is EntryKind.CORRECTION:
        line += t(f"{K}timeline.corrected") + " "
    line += status_label(t, entry.to_status)
    if entry.decision_number:
        line += f" ({decision_text(t, entry.decision_number, entry.decision_date)})"
    if entry.note:
        line += f": {entry.note}"
    return line


def list_label(registration: Registration) -> str:
    """One line of the officer's list: code, name and masked ID-card number."""
    name = registration.full_name or "—"
    return f"{registration.code} · {name} · {mask_id(registration.id_number)}"[:60]


def detail_text(
    t: Translator, registration: Registration, history: list[HistoryEntry], ward_name: str
) -> str:
    """The officer's detail view of one registration with its history."""
    if registration.anonymised:
        head = t(f"{K}officer.anonymised", code=registration.code)
    else:
        form = RegistrationForm(
            name=registration.full_name,
            birth=registration.birth_date,
            sex=registration.sex or "m",
            ethnicity=registration.ethnicity,
            id_number=registration.id_number,
            phone=registration.phone,
            ward_id=registration.ward_id,
            address=registration.address,
            household_code=registration.household_code,
            members=registration.members,
            income=registration.monthly_income or 0,
            causes=registration.causes,
            cause_other=registration.cause_other,
            supports=registration.supports,
            support_other=registration.support_other,
            target_year=registration.target_year,
        )
        head = f"{registration.code}\n{summary_text(t, form, ward_name)}"
    lines = [head, t(f"{K}officer.status", status=status_label(t, registration.status))]
    if registration.decision_number:
        lines.append(decision_text(t, registration.decision_number, registration.decision_date))
    lines.append(t(f"{K}officer.history"))
    lines += [history_line(t, entry) for entry in history]
    return "\n".join(lines)
