"""The public statement (sao kê): PDF, CSV and XLSX, the checksum, `verify`, `/minhbach`."""

from __future__ import annotations

import csv
import dataclasses
import io
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.app import App
from bot.core.i18n import Translator
from handlers.donations._statement import make_statement, render, verify_bytes
from handlers.donations._statement_data import Line, Statement
from handlers.donations._statement_render import read_pdf
from storage.ledger import Ledger, NewDisbursement, NewEntry
from tests.fakes.telegram_api import FakeBotApi
from tests.harness import Chat, FakeClock, TelegramUser, new_app, telegram_running, text_of

ROOT = Path(__file__).resolve().parents[2]
WARD = "20257"
TOTAL = 78_300_000  # the demo campaign's five gifts


async def statement_of(
    app: App, *, start: date | None = None, end: date | None = None, language: str = "vi"
) -> Statement:
    """The demo campaign's statement, made from the app's ledger."""
    ledger = Ledger(app.db)
    campaign = await ledger.campaign(1)
    assert campaign is not None
    return await make_statement(
        ledger,
        app.services.users,
        Translator(language),
        campaign=campaign,
        start=start,
        end=end,
        now=app.services.clock(),
    )


async def pay(app: App, amount: int, *, name: str = "", public: bool = False) -> str:
    """Record a disbursement of the demo campaign (housing), returning its voucher."""
    out = await Ledger(app.db).disburse(
        NewDisbursement(
            ward_id=WARD,
            fund="vnn",
            campaign_id=1,
            purpose="housing",
            amount=amount,
            method="transfer",
            paid_on=date(2026, 11, 20),
            decision_number="15/QĐ-MTTQ",
            decision_date=date(2026, 11, 18),
            recorded_by=None,
            beneficiary_name=name or "Hộ bà Lê Thị Hoa",
            name_public=public,
        ),
        now=app.services.clock(),
    )
    return out.voucher


def pdf_text(data: bytes) -> str:
    """Every page's text, as pypdf reads it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_pdf_text_reads_back_with_diacritics_names_and_balances(app: App) -> None:
    """The PDF's text has the Vietnamese intact, consenting names only, receipts and balances."""
    statement = await statement_of(app)
    data = render(statement, Translator("vi"), "pdf")
    text = pdf_text(data)
    assert "SAO KÊ THU – CHI CÔNG KHAI" in text
    assert "Số dư đầu kỳ: 0 ₫" in text
    assert f"Số dư cuối kỳ: {TOTAL:,} ₫".replace(",", ".") in text
    assert "Chưa có khoản chi nào trong kỳ." in text
    assert "Nguyễn Văn An" not in text  # did not agree to be named
    assert "Lập lúc (giờ Việt Nam): 10:00 21/11/2026" in text
    for number in range(1, 6):
        assert f"VNN-HC-2026-{number:06d}" in text
    assert text.count(statement.checksum) == len(PdfReader(io.BytesIO(data)).pages)
    lines = read_pdf(data).lines
    assert [line.party for line in lines] == [
        "Cán bộ, công chức UBND phường Hòa Cường (một ngày lương)",  # wrapped, joined back
        "Công ty TNHH Xây dựng Hòa Cường (mẫu)",
        "Nhà hảo tâm",
        "Chi hội Phụ nữ tổ 12 (mẫu)",
        "Nhà hảo tâm",
    ]
    assert lines == statement.lines


async def test_disbursement_lines_show_purpose_commune_and_name_only_with_consent(
    app: App,
) -> None:
    """A payment shows its purpose, commune, amount and decision; a name only with consent."""
    hidden = await pay(app, 20_000_000)
    named = await pay(app, 5_000_000, name="Hộ ông Trần Văn Bình", public=True)
    statement = await statement_of(app)
    text = pdf_text(render(statement, Translator("vi"), "pdf"))
    outs = {line.number: line for line in statement.outs}
    assert outs[hidden].party == "Hộ được hỗ trợ (không nêu tên)"
    assert outs[named].party == "Hộ ông Trần Văn Bình"
    assert outs[hidden].ward == "Phường Hòa Cường"
    assert outs[hidden].money_out == 20_000_000
    assert outs[hidden].note == "QĐ số 15/QĐ-MTTQ ngày 18/11/2026"
    assert "Lê Thị Hoa" not in text
    assert "Hộ ông Trần Văn Bình" in text
    assert hidden in text and named in text
    assert statement.state.closing == TOTAL - 25_000_000
    assert f"Số dư cuối kỳ: {TOTAL - 25_000_000:,} ₫".replace(",", ".") in text
    assert statement.totals.by_purpose == [("Xây, sửa nhà ở", 25_000_000)]


async def test_goods_and_reversals_in_the_statement(app: App) -> None:
    """A gift in kind shows its goods and quantity; reversals show as such and subtract."""
    ledger = Ledger(app.db)
    now = app.services.clock()
    rice = await ledger.append(
        NewEntry(
            campaign_id=1,
            ward_id=WARD,
            donor_type="organisation",
            donor_name="Hợp tác xã Hòa Cường",
            public=True,
            amount=6_000_000,
            method="in_kind",
            donated_on=date(2026, 11, 20),
            recorded_by=None,
            goods="Gạo tẻ",
            quantity="20 bao 10 kg",
        ),
        now=now,
    )
    gift = await ledger.by_receipt("VNN-HC-2026-000003")
    assert gift is not None
    await ledger.reverse(gift.id, reason="ghi nhầm", recorded_by=None, now=now)
    voucher = await pay(app, 4_000_000)
    out = await ledger.by_voucher(voucher)
    assert out is not None
    await ledger.reverse_disbursement(out.id, reason="trả lại", recorded_by=None, now=now)
    statement = await statement_of(app)
    lines = {line.number: line for line in statement.lines}
    assert (lines[rice.receipt].goods, lines[rice.receipt].quantity) == ("Gạo tẻ", "20 bao 10 kg")
    reversal = next(line for line in statement.gifts if line.kind == "Đảo thu")
    assert reversal.money_in == -2_000_000
    assert reversal.note == "Đảo bút toán VNN-HC-2026-000003"
    undone = next(line for line in statement.outs if line.kind == "Đảo chi")
    assert undone.money_out == -4_000_000
    assert undone.note.endswith(f"Đảo bút toán {voucher}")
    assert statement.state.closing == TOTAL + 6_000_000 - 2_000_000
    data = render(statement, Translator("vi"), "pdf")
    assert "Gạo tẻ¦ 20 bao 10 kg¦" in pdf_text(data)
    assert read_pdf(data).lines == statement.lines


async def test_period_has_opening_balance_and_only_its_lines(app: App) -> None:
    """A period's statement opens with what came before and lists only its own gifts."""
    statement = await statement_of(app, start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert statement.state.opening == 68_500_000
    assert [line.number for line in statement.gifts] == [
        "VNN-HC-2026-000003",
        "VNN-HC-2026-000004",
    ]
    assert statement.state.closing == 68_500_000 + 9_300_000
    assert statement.period == "Từ 01/10/2026 đến 31/10/2026"


async def test_csv_and_xlsx_hold_the_lines_with_types(app: App) -> None:
    """CSV rows and XLSX cells hold the lines: XLSX dates are dates, amounts are numbers."""
    statement = await statement_of(app)
    raw = render(statement, Translator("vi"), "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    gift = next(row for row in rows if row and row[0] == "VNN-HC-2026-000002")
    assert gift[1:4] == ["12/05/2026", "Ủng hộ", "Công ty TNHH Xây dựng Hòa Cường (mẫu)"]
    assert gift[9] == "50000000"
    sheet = load_workbook(io.BytesIO(render(statement, Translator("vi"), "xlsx"))).active
    assert sheet is not None
    cells = next(row for row in sheet.iter_rows() if row[0].value == "VNN-HC-2026-000002")
    assert isinstance(cells[1].value, datetime)
    assert cells[1].value.date() == date(2026, 5, 12)
    assert cells[1].number_format == "DD/MM/YYYY"
    assert cells[9].value == 50_000_000
    footer = sheet.oddFooter
    assert footer is not None
    assert footer.center.text == f"SHA-256: {statement.checksum}"


async def test_xlsx_resaved_by_a_spreadsheet_program_still_verifies(app: App) -> None:
    """An XLSX opened and saved again (openpyxl) keeps its dates and amounts: still intact."""
    statement = await statement_of(app)
    workbook = load_workbook(io.BytesIO(render(statement, Translator("vi"), "xlsx")))
    resaved = io.BytesIO()
    workbook.save(resaved)
    verdict = verify_bytes(resaved.getvalue())
    assert verdict.intact
    assert verdict.printed == statement.checksum


async def test_formula_guard_on_text_cells(tmp_path: Path) -> None:
    """A donor name that would run as a formula is guarded in every format."""
    app = await new_app(tmp_path / "g.sqlite3", FakeClock())
    try:
        await Ledger(app.db).append(
            NewEntry(
                campaign_id=1,
                ward_id=WARD,
                donor_type="person",
                donor_name='=HYPERLINK("http://x";"y")',
                public=True,
                amount=1_000_000,
                method="cash",
                donated_on=date(2026, 11, 20),
                recorded_by=None,
            ),
            now=app.services.clock(),
        )
        statement = await statement_of(app)
    finally:
        await app.close()
    raw = render(statement, Translator("vi"), "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in raw
    sheet = load_workbook(io.BytesIO(render(statement, Translator("vi"), "xlsx"))).active
    assert sheet is not None
    values = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert not any(value.startswith("=") for value in values)
    assert verify_bytes(render(statement, Translator("vi"), "pdf")).intact


async def test_same_checksum_in_every_format_and_tampering_refused(app: App) -> None:
    """The three formats verify with one checksum; a changed line or balance is refused."""
    statement = await statement_of(app)
    t = Translator("vi")
    for fmt in ("pdf", "csv", "xlsx"):
        verdict = verify_bytes(render(statement, t, fmt))
        assert verdict.intact, fmt
        assert verdict.printed == statement.checksum
    raw = render(statement, t, "csv").decode("utf-8-sig")
    tampered = raw.replace(",2000000,", ",200000,").encode("utf-8-sig")
    assert tampered != raw.encode("utf-8-sig")
    assert verify_bytes(tampered).problem == "checksum"
    first = statement.gifts[0]
    forged = dataclasses.replace(
        statement, gifts=[dataclasses.replace(first, party="Người khác"), *statement.gifts[1:]]
    )
    assert verify_bytes(render(forged, t, "pdf")).problem == "checksum"
    assert verify_bytes(b"%PDF-1.4 not really").intact is False


def test_checksum_covers_every_field() -> None:
    """Changing any one cell of a line changes the checksum."""
    from handlers.donations._statement_data import checksum_of

    line = Line(
        "VNN-HC-2026-000001",
        date(2026, 11, 20),
        "Ủng hộ",
        "Nhà hảo tâm",
        "Cá nhân",
        "Phường Hòa Cường",
        "Tiền mặt",
        "gạo",
        "20 bao",
        1_000_000,
        0,
        "",
    )
    base = checksum_of("sk1|x", [line])
    for index, column in enumerate(dataclasses.fields(Line)):
        values: list[Any] = [getattr(line, each.name) for each in dataclasses.fields(Line)]
        value = values[index]
        if isinstance(value, int):
            values[index] = value + 1
        elif isinstance(value, date):
            values[index] = date(2026, 11, 21)
        else:
            values[index] = value + "x"
        assert checksum_of("sk1|x", [Line(*values)]) != base, column.name


def giamngheo(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command on `db`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(db.parent)},
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_cli_statement_and_verify(tmp_path: Path) -> None:
    """`statement` writes a private PDF; `verify` says intact, refuses a copy, checks the ledger."""
    db = tmp_path / "cli.sqlite3"
    app = await new_app(db, FakeClock())
    await app.close()
    pdf = tmp_path / "sao-ke.pdf"
    made = giamngheo(
        db,
        "donations",
        "statement",
        "--campaign",
        "1",
        "--from",
        "01/10/2026",
        "--to",
        "30/11/2026",
        "--format",
        "pdf",
        "-o",
        str(pdf),
    )
    assert made.returncode == 0, made.stderr
    assert pdf.stat().st_mode & 0o777 == 0o600
    assert "Nhà hảo tâm" in pdf_text(pdf.read_bytes())
    ok = giamngheo(db, "donations", "verify", str(pdf))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "NGUYÊN VẸN" in ok.stdout
    assert "from=2026-10-01|to=2026-11-30" in ok.stdout
    matches = giamngheo(db, "donations", "verify", str(pdf), "--db", str(db))
    assert matches.returncode == 0
    assert "KHỚP SỔ" in matches.stdout

    csv_path = tmp_path / "sao-ke.csv"
    assert (
        giamngheo(
            db, "donations", "statement", "--campaign", "1", "--format", "csv", "-o", str(csv_path)
        ).returncode
        == 0
    )
    copy = tmp_path / "sua.csv"
    copy.write_bytes(csv_path.read_bytes().replace(b",7300000,", b",730000,"))
    refused = giamngheo(db, "donations", "verify", str(copy))
    assert refused.returncode == 1
    assert "KHÔNG NGUYÊN VẸN" in refused.stdout

    app = await new_app(db, FakeClock())
    try:
        await pay(app, 1_000_000)
    finally:
        await app.close()
    changed = giamngheo(db, "donations", "verify", str(pdf), "--db", str(db))
    assert changed.returncode == 3
    assert "KHÔNG KHỚP SỔ" in changed.stdout


async def test_minhbach_offers_the_pdf_with_the_balance(app: App, resident: Chat) -> None:
    """/minhbach shows raised, spent and left, and its button sends the statement PDF."""
    await pay(app, 8_300_000)
    text = text_of(await resident.send("/minhbach"))
    assert "Đã thu: 78.300.000 ₫" in text
    assert "Đã chi: 8.300.000 ₫ — Còn lại: 70.000.000 ₫" in text
    assert resident.expect("donations.statement.offer") in text
    assert [choice.payload for choice in resident.last.choices] == ["sk:pdf:1"]
    replies = await resident.tap("Sao kê (PDF)")
    attachment = replies[0].attachment
    assert attachment is not None
    assert attachment.kind == "document"
    assert attachment.filename == "sao-ke-1.pdf"
    assert attachment.data.startswith(b"%PDF")
    verdict = verify_bytes(attachment.data)
    assert verdict.intact
    assert verdict.printed in replies[0].text
    assert "Số dư cuối kỳ: 70.000.000 ₫" in pdf_text(attachment.data)


async def test_officers_get_csv_and_xlsx_residents_do_not(
    app: App, officer: Chat, resident: Chat
) -> None:
    """An officer of the ward gets CSV and XLSX buttons; a forged CSV payload is refused."""
    await officer.send("/minhbach")
    assert [c.payload for c in officer.last.choices] == ["sk:pdf:1", "sk:csv:1", "sk:xlsx:1"]
    replies = await officer.press("sk:xlsx:1")
    attachment = replies[0].attachment
    assert attachment is not None
    assert attachment.filename == "sao-ke-1.xlsx"
    assert verify_bytes(attachment.data).intact
    audit = await app.services.audit.recent(action_prefix="donations.statement_exported")
    assert audit[0].detail["format"] == "xlsx"
    denied = await resident.press("sk:csv:1")
    assert all(reply.attachment is None for reply in denied)


async def test_times_are_vietnam_time(tmp_path: Path) -> None:
    """Made at 18:30 UTC on 21/11, the statement says 01:30 22/11/2026 (Asia/Ho_Chi_Minh)."""
    clock = FakeClock(datetime(2026, 11, 21, 18, 30, tzinfo=UTC))
    app = await new_app(tmp_path / "tz.sqlite3", clock)
    try:
        statement = await statement_of(app)
    finally:
        await app.close()
    assert statement.generated == "01:30 22/11/2026"
    assert "01:30 22/11/2026" in pdf_text(render(statement, Translator("vi"), "pdf"))
    csv_text = render(statement, Translator("vi"), "csv").decode("utf-8-sig")
    assert "Lập lúc (giờ Việt Nam),01:30 22/11/2026" in csv_text


async def test_english_statement_verifies(app: App) -> None:
    """An English statement reads in English and verifies."""
    statement = await statement_of(app, language="en")
    data = render(statement, Translator("en"), "pdf")
    assert "Anonymous donor" in pdf_text(data)
    assert verify_bytes(data).intact


async def test_statement_pdf_arrives_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """On Telegram, /minhbach's button sends the statement as a PDF document."""
    tg = TelegramUser(fake_telegram, 7001)
    async with telegram_running(app, fake_telegram):
        shown = await tg.type_text("/minhbach", "sk:pdf:")
        assert "Đã chi: 0 ₫" in shown[-1].plain_text
        mark = fake_telegram.mark(7001)
        fake_telegram.push_callback(7001, "sk:pdf:1")
        document = (await fake_telegram.wait_for_next(7001, after=mark))[-1]
    assert document.method == "sendDocument"
    assert document.document_bytes is not None
    assert document.document_bytes.startswith(b"%PDF")
    assert verify_bytes(document.document_bytes).intact
    assert "VNN-HC-2026-000002" in pdf_text(document.document_bytes)
