"""Reports, chart, exports, transparency and receipt lookup of the donation ledger."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.app import App
from bot.cli import main as cli_main
from handlers.donations._render import chart_png
from storage.ledger import Campaign
from tests.harness import Chat, text_of

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_report_shows_progress_and_breakdowns(app: App, officer: Chat) -> None:
    """/baocao shows raised vs target, percent, remaining, days left and the breakdowns."""
    text = text_of(await officer.send("/baocao"))
    assert "Vận động Quỹ Vì người nghèo năm 2026" in text
    assert "78.300.000 ₫ / mục tiêu 3.700.000.000 ₫ (2,1%)" in text
    assert "Còn thiếu: 3.621.700.000 ₫ — còn 40 ngày" in text
    assert "Doanh nghiệp: 50.000.000 ₫" in text
    assert "Chuyển khoản: 50.000.000 ₫" in text
    assert "02/11/2026: 500.000 ₫" in text
    assert [c.payload for c in officer.last.choices] == ["rep:chart:1", "rep:csv:1", "rep:xlsx:1"]


async def test_chart_is_a_png_image(app: App, officer: Chat) -> None:
    """The chart button sends a PNG image reply."""
    await officer.send("/baocao")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        replies = await officer.tap("Biểu đồ")
    attachment = replies[0].attachment
    assert attachment is not None
    assert attachment.kind == "image"
    assert attachment.data.startswith(PNG_SIGNATURE)


def test_chart_renders_vietnamese_without_missing_glyphs() -> None:
    """A title with Vietnamese diacritics renders with no missing-glyph warning."""
    campaign = Campaign(
        1, "x", "Tháng cao điểm", "vnn", 3_700_000_000, date(2026, 10, 17), date(2026, 11, 18), None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = chart_png(
            title="Tiến độ vận động: Tháng cao điểm Vì người nghèo — Hòa Cường",
            raised_label="Luỹ kế đã thu",
            target_label="Mục tiêu",
            y_label="Triệu đồng",
            campaign=campaign,
            by_day=[(date(2026, 10, 17), 5_000_000), (date(2026, 10, 20), 1_000_000_000)],
            until=date(2026, 11, 21),
        )
    assert png.startswith(PNG_SIGNATURE)


async def test_xlsx_export_reads_back(app: App, officer: Chat) -> None:
    """The XLSX document holds every entry with integer amounts that sum to the total."""
    await officer.send("/baocao")
    replies = await officer.tap("XLSX")
    attachment = replies[0].attachment
    assert attachment is not None
    assert attachment.kind == "document"
    assert attachment.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(attachment.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Số biên nhận"
    assert rows[0][8] == "Số tiền (đồng)"
    assert len(rows) == 6
    assert sum(int(str(row[8])) for row in rows[1:]) == 78_300_000
    assert rows[1][0] == "VNN-HC-2026-000001"
    assert rows[1][4] == datetime(2026, 3, 20)  # a real date cell
    assert str(rows[1][-1]).endswith("+07:00")  # recorded at, in Vietnam's time
    audit = await app.services.audit.recent(action_prefix="donations.exported")
    assert audit[0].detail["format"] == "xlsx"


async def test_cli_export_csv(app: App, tmp_path: Path) -> None:
    """`giamngheo donations export --format csv -o PATH` writes the entries as CSV."""
    path = app.services.config.database  # the SQLite file, or the PostgreSQL URL
    await app.close()
    out = tmp_path / "so-thu.csv"
    code = await _run_cli(
        [
            "--db",
            str(path),
            "donations",
            "export",
            "--ward",
            "20257",
            "--format",
            "csv",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "Số biên nhận"
    assert len(rows) == 6
    assert sum(int(row[8]) for row in rows[1:]) == 78_300_000
    xlsx = tmp_path / "so-thu.xlsx"
    assert (
        await _run_cli(
            [
                "--db",
                str(path),
                "donations",
                "export",
                "--campaign",
                "1",
                "--format",
                "xlsx",
                "-o",
                str(xlsx),
            ]
        )
        == 0
    )
    assert load_workbook(xlsx).active is not None


async def _run_cli(argv: list[str]) -> int:
    """Run the CLI in a worker thread (it starts its own event loop)."""
    import asyncio

    return await asyncio.to_thread(cli_main, argv)


async def test_transparency_names_only_consenting_donors(app: App, resident: Chat) -> None:
    """/minhbach shows totals and only the names of donors who agreed to be named."""
    text = text_of(await resident.send("/minhbach"))
    assert "Đã thu: 78.300.000 ₫ / mục tiêu 3.700.000.000 ₫" in text
    assert "Số khoản ủng hộ: 5" in text
    assert "Công ty TNHH Xây dựng Hòa Cường (mẫu)" in text
    assert "Nguyễn Văn An" not in text  # did not agree to be named


async def test_transparency_menu_item_for_everyone(app: App, resident: Chat) -> None:
    """Residents see the "Minh bạch quỹ" menu item but not the officers' fund menu."""
    menu = await resident.send("/start")
    labels = [choice.label for reply in menu for choice in reply.choices]
    assert "📊 Minh bạch quỹ" in labels
    assert "💰 Quỹ Vì người nghèo" not in labels
    assert "Đã thu" in text_of(await resident.tap("Minh bạch"))


async def test_lookup_hides_non_public_name(app: App, resident: Chat) -> None:
    """/tracuu shows amount, date and campaign, and the donor name only when public."""
    public = text_of(await resident.send("/tracuu vnn-hc-2026-000002"))
    assert "50.000.000 ₫" in public
    assert "12/05/2026" in public
    assert "Công ty TNHH Xây dựng Hòa Cường" in public
    private = text_of(await resident.send("/tracuu VNN-HC-2026-000005"))
    assert "500.000 ₫" in private
    assert "Nguyễn Văn An" not in private
    assert "Không tìm thấy" in text_of(await resident.send("/tracuu VNN-HC-2026-999999"))
    assert "/tracuu" in text_of(await resident.send("/tracuu"))


async def test_officer_hub_starts_flows(app: App, officer: Chat) -> None:
    """The officers' fund menu starts logging and shows the report."""
    await officer.send("/start")
    await officer.tap("Quỹ Vì người nghèo")
    await officer.tap("Ghi nhận")
    assert "Người ủng hộ là" in text_of(officer.history[-2:])
    await officer.tap("Huỷ")
    await officer.tap("Quỹ Vì người nghèo")
    assert "Đã thu" in text_of(await officer.tap("Báo cáo"))
