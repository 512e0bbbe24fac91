"""The ward's list of registrations as CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from bot.core.i18n import Translator, format_moment
from handlers.exit_registration import _render
from handlers.spreadsheet import safe_rows
from storage.registrations import Registration

COLUMNS = (
    "code",
    "status",
    "created",
    "name",
    "birth",
    "sex",
    "ethnicity",
    "id_number",
    "phone",
    "address",
    "household_code",
    "members",
    "income",
    "causes",
    "supports",
    "target_year",
    "decision_number",
    "decision_date",
)


def rows(t: Translator, registrations: list[Registration]) -> list[list[str | int]]:
    """The header and one row per registration (anonymised rows keep only aggregate fields)."""
    header: list[str | int] = [t(f"exit_registration.col.{c}") for c in COLUMNS]
    table: list[list[str | int]] = [header]
    for r in registrations:
        causes = [_render.cause_label(t, k) for k in r.causes]
        if r.cause_other:
            causes.append(r.cause_other)
        supports = [_render.support_label(t, k) for k in r.supports]
        if r.support_other:
            supports.append(r.support_other)
        cells: list[str | int] = [
            r.code,
            _render.status_label(t, r.status),
            format_moment(r.created_at, t.language),
            r.full_name,
            _render.birth_text(t, r.birth_date) if r.birth_date else "",
            t(f"exit_registration.sex.{r.sex}") if r.sex else "",
            r.ethnicity,
            r.id_number,
            r.phone,
            r.address,
            r.household_code,
            r.members,
            "" if r.monthly_income is None else r.monthly_income,
            "; ".join(causes),
            "; ".join(supports),
            r.target_year,
            r.decision_number,
            _render.birth_text(t, r.decision_date) if r.decision_date else "",
        ]
        table.append(cells)
    return table


def render(t: Translator, registrations: list[Registration], fmt: str) -> bytes:
    """The file content in `fmt` ("csv" or "xlsx")."""
    table = safe_rows(rows(t, registrations))
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        return buffer.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "dang-ky-thoat-ngheo"
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
