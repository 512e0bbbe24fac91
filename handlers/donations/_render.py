"""Rendering: the campaign chart (PNG), CSV and XLSX exports of ledger entries.

Times are shown in Asia/Ho_Chi_Minh (the recording time carries its +07:00 offset); in XLSX the
gift date is a real date cell (dd/mm/yyyy), in CSV an ISO date (yyyy-mm-dd).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from bot.core.i18n import to_local
from handlers.spreadsheet import safe_rows
from storage.ledger import Campaign, Entry

Translate = Callable[..., str]
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

EXPORT_COLUMNS = (
    "receipt",
    "kind",
    "campaign",
    "ward",
    "donated_on",
    "donor_type",
    "donor_name",
    "public",
    "amount",
    "method",
    "reference",
    "goods",
    "quantity",
    "note",
    "reason",
    "reverses",
    "recorded_at",
)


def cumulative_by_day(
    campaign: Campaign, by_day: Sequence[tuple[date, int]], until: date
) -> tuple[list[date], list[int]]:
    """Each day of the campaign up to `until` with the amount raised so far."""
    last = min(until, campaign.ends_on)
    per_day = dict(by_day)
    days: list[date] = []
    totals: list[int] = []
    running = sum(amount for day, amount in by_day if day < campaign.starts_on)
    day = campaign.starts_on
    while day <= last:
        running += per_day.get(day, 0)
        days.append(day)
        totals.append(running)
        day += timedelta(days=1)
    return days, totals


def chart_png(
    *,
    title: str,
    raised_label: str,
    target_label: str,
    y_label: str,
    campaign: Campaign,
    by_day: Sequence[tuple[date, int]],
    until: date,
) -> bytes:
    """Cumulative raised vs target over the campaign's days, as PNG (Agg, DejaVu Sans)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    days, totals = cumulative_by_day(campaign, by_day, until)
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    font = {"family": "DejaVu Sans"}
    millions = [total / 1_000_000 for total in totals]
    start = campaign.starts_on
    offsets = [(day - start).days for day in days]
    if days:
        axes.step(offsets, millions, where="post", color="#1565c0", label=raised_label)
    axes.plot(
        [0, (campaign.ends_on - start).days],
        [campaign.target / 1_000_000] * 2,
        linestyle="--",
        color="#c62828",
        label=target_label,
    )
    axes.set_title(title, fontdict=font)
    axes.set_ylabel(y_label, fontdict=font)
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: (start + timedelta(days=int(value))).strftime("%d/%m"))
    )
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: f"{value:,.0f}".replace(",", "."))
    )
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(prop=font, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def export_rows(
    entries: Sequence[Entry], t: Translate, ids: dict[int, str]
) -> list[list[str | int]]:
    """The header and one row per entry; `ids` maps entry ids to receipts (for reversals)."""
    rows: list[list[str | int]] = [[_header(t, column) for column in EXPORT_COLUMNS]]
    for entry in entries:
        rows.append(
            [
                entry.receipt,
                t(f"donations.kind.{entry.kind}"),
                entry.campaign_id,
                entry.ward_id,
                entry.donated_on.isoformat(),
                t(f"donations.type.{entry.donor_type}"),
                entry.donor_name,
                t("common.yes" if entry.public else "common.no"),
                entry.amount,
                t(f"donations.method.{entry.method}"),
                entry.reference,
                entry.goods,
                entry.quantity,
                entry.note,
                entry.reason,
                ids.get(entry.reverses_id, "") if entry.reverses_id else "",
                to_local(entry.recorded_at).isoformat(timespec="seconds"),
            ]
        )
    return rows


def _header(t: Translate, column: str) -> str:
    """A column's heading; goods and quantity (of gifts in kind) came later than the rest."""
    if column in ("goods", "quantity"):
        return t(f"donations.gift.col.{column}")
    return t(f"donations.col.{column}")


def to_csv(rows: Sequence[Sequence[str | int]]) -> bytes:
    """CSV in UTF-8 with a BOM (so spreadsheet programs read the diacritics), formulas guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(safe_rows(rows))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[Sequence[str | int]], sheet: str) -> bytes:
    """An XLSX workbook with one sheet, formulas guarded; amounts keep a thousands format."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet[:31]
    for row in safe_rows(rows):
        worksheet.append(row)
    amount_column = EXPORT_COLUMNS.index("amount") + 1
    for (cell,) in worksheet.iter_rows(min_row=2, min_col=amount_column, max_col=amount_column):
        cell.number_format = "#,##0"
    day_column = EXPORT_COLUMNS.index("donated_on") + 1
    for (cell,) in worksheet.iter_rows(min_row=2, min_col=day_column, max_col=day_column):
        if isinstance(cell.value, str) and _ISO_DAY.match(cell.value):
            cell.value = date.fromisoformat(cell.value)
            cell.number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
