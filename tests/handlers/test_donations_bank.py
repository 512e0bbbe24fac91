"""Paying by bank transfer: VietQR payloads and pictures, the account flow, reconciliation."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from bot.app import App
from bot.core.i18n import Translator
from bot.core.types import Inbound, Reply
from handlers.donations._import import donor_from, match_reference, parse_amount, read_statement
from handlers.donations._qr import FONT_DIR, poster_pdf, qr_png
from handlers.donations._vietqr import (
    MAX_NOTE,
    VietQRError,
    crc16_ccitt_false,
    fold_note,
    payload,
    read,
)
from storage.users import Ward
from tests.fakes.telegram_api import FakeBotApi
from tests.harness import Chat, FakeClock, make_officer, new_app, read_apart, telegram_running

ROOT = Path(__file__).resolve().parents[2]

# Published payloads: vietnam-qr-pay's README (dynamic and static) and subiz/vietqr's README.
PUBLISHED = [
    (
        {"bin_code": "970416", "account": "257678859", "amount": 1000, "note": "Chuyen tien"},
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
        "5303704540410005802VN62150811Chuyen tien6304BBB8",
    ),
    (
        {"bin_code": "970416", "account": "257678859", "amount": None, "note": ""},
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA"
        "53037045802VN6304AE9F",
    ),
    (
        {
            "bin_code": "970415",
            "account": "0011001932418",
            "amount": 120000,
            "note": "ung ho lu lut",
        },
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
        "530370454061200005802VN62170813ung ho lu lut6304C15C",
    ),
]

STATEMENT = """Sao kê tài khoản 0011001932418
Từ ngày 01/11/2026 đến 21/11/2026
STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Nội dung
1;20/11/2026;FT26324001;;5.000.000;MBVCB.123456789.GN1 NGUYEN VAN AN UNG HO
2;20/11/2026;FT26324002;200.000;;PHI DICH VU
3;21/11/2026;FT26324003;;300.000;UNG HO LU LUT
4;12/05/2026;FT2026;;50.000.000;CONG TY XD HOA CUONG GN1
"""


def _table() -> list[int]:
    """The CRC-16/CCITT-FALSE lookup table, each entry from the polynomial 0x1021."""
    table = []
    for byte in range(256):
        value = byte << 8
        for _ in range(8):
            value = ((value << 1) ^ 0x1021 if value & 0x8000 else value << 1) & 0xFFFF
        table.append(value)
    return table


TABLE = _table()


def table_crc(data: bytes) -> int:
    """CRC-16/CCITT-FALSE computed byte by byte through the table (not the encoder's loop)."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ TABLE[(crc >> 8) ^ byte]
    return crc


def said(replies: list[Reply], key: str, /, **params: object) -> None:
    """Assert one of `replies` shows the catalog text of `key` (in Vietnamese)."""
    expected = Translator("vi")(key, **params)
    assert any(expected in reply.text for reply in replies), (key, [r.text for r in replies])


def decode(png: bytes) -> list[str]:
    """The texts of the QR codes found in a PNG, decoded by zxing-cpp."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def entries(
    app: App, sql: str = "SELECT receipt, amount, reference FROM donation_entries"
) -> list[tuple[Any, ...]]:
    """Rows of the ledger read by a separate connection."""
    return read_apart(app, sql)


async def set_account(officer: Chat) -> None:
    """Give the demo campaign a Vietcombank account through the chat flow."""
    await officer.send("/taikhoan")
    await officer.press("acct:b:970436")
    await officer.send("0011 0019 32418")
    await officer.send("Ủy ban MTTQ phường Hòa Cường")
    await officer.press("acct:ok")


async def upload(app: App, chat: Chat, data: bytes, name: str = "saoke.csv") -> list[Reply]:
    """Send a document (with its name as caption, as Telegram does) from `chat`."""
    inbound = Inbound(
        channel=chat.channel,
        user_id=chat.user_id,
        chat_id=chat.user_id,
        message_id=f"doc-{len(chat.history)}-{name}",
        received_at=app.services.clock(),
        text=name,
        document=data,
    )
    replies = await app.dispatcher.handle(inbound)
    chat.history.extend(replies)
    return replies


# ---- the encoder ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "expected"), PUBLISHED)
def test_encoder_matches_published_payloads(fields: dict[str, Any], expected: str) -> None:
    """Our payload is byte for byte the one the libraries' READMEs publish."""
    assert payload(**fields) == expected


@pytest.mark.parametrize(("fields", "expected"), PUBLISHED)
def test_crc_agrees_with_a_table_crc(fields: dict[str, object], expected: str) -> None:
    """The CRC equals a table-driven CRC-16/CCITT-FALSE over everything up to "6304"."""
    body = expected[:-4]
    assert body.endswith("6304")
    assert table_crc(b"123456789") == 0x29B1  # the catalogue's check value
    assert crc16_ccitt_false(body.encode()) == table_crc(body.encode())
    assert f"{table_crc(body.encode()):04X}" == expected[-4:]


def test_check_value_and_read_back() -> None:
    """The CRC gives the catalogue check value 0x29B1 and a payload reads back its fields."""
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    text = payload(bin_code="970436", account="0011001932418", amount=500_000, note="GN1 UNG HO")
    transfer = read(text)
    assert (transfer.bin, transfer.account, transfer.amount, transfer.note) == (
        "970436",
        "0011001932418",
        500_000,
        "GN1 UNG HO",
    )
    with pytest.raises(VietQRError):
        read(text[:-1] + ("0" if text[-1] != "0" else "1"))


def test_bad_values_refused() -> None:
    """A 5-digit BIN, a 20-digit account, a zero amount or an unfolded note raise."""
    for fields in (
        {"bin_code": "97043", "account": "1"},
        {"bin_code": "970436", "account": "1" * 20},
        {"bin_code": "970436", "account": "1", "amount": 0},
        {"bin_code": "970436", "account": "1", "note": "Ủng hộ"},
        {"bin_code": "970436", "account": "1", "note": "X" * 26},
    ):
        with pytest.raises(VietQRError):
            payload(**fields)


def test_note_folded_capped_and_keeps_the_reference() -> None:
    """Diacritics go, only A-Z 0-9 and space stay, 25 characters at most, the reference first."""
    assert fold_note("Ủng hộ người nghèo", reference="GN12") == "GN12 UNG HO NGUOI NGHEO"
    assert fold_note("Đóng góp: Quỹ (Vì người nghèo)!", reference="gn7") == (
        "GN7 DONG GOP QUY VI NGUOI"
    )
    long = fold_note("Nguyễn Thị Phương Thảo ủng hộ quỹ", reference="GN123456")
    assert long.startswith("GN123456 ")
    assert len(long) <= MAX_NOTE
    assert long == "GN123456 NGUYEN THI"
    assert fold_note("gn12 Lê An", reference="GN12") == "GN12 LE AN"
    assert fold_note("", reference="GN12") == "GN12"


def test_png_decodes_back_to_the_payload() -> None:
    """The PNG segno draws decodes (zxing-cpp) to exactly the payload."""
    text = payload(bin_code="970436", account="0011001932418", amount=2_000_000, note="GN1 UNG HO")
    png = qr_png(text)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode(png) == [text]


def test_poster_pdf_has_the_account_text() -> None:
    """The poster is a one-page PDF whose text holds the account number, name and note."""
    text = payload(bin_code="970436", account="0011001932418", note="GN1 UNG HO")
    pdf = poster_pdf(
        title="Ủng hộ Quỹ",
        png=qr_png(text),
        lines=["Số tài khoản: 0011001932418", "Chủ tài khoản: UBMTTQ PHUONG HOA CUONG"],
        footer="GN1",
    )
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    extracted = reader.pages[0].extract_text()
    assert "0011001932418" in extracted
    assert "UBMTTQ PHUONG HOA CUONG" in extracted


# ---- the statement reader -------------------------------------------------------------------


def test_vietnamese_numbers_and_headers() -> None:
    """Amounts in both number styles, and a header below the bank's preamble, are read."""
    assert [parse_amount(v) for v in ("5.000.000", "5,000,000.00", "5.000.000,00", "300000")] == [
        5_000_000,
        5_000_000,
        5_000_000,
        300_000,
    ]
    assert [parse_amount(v) for v in ("1,5", "5.000.000,50", "-100", "")] == [None] * 4
    parsed = read_statement(STATEMENT.encode("utf-8"))
    assert [(line.bank_ref, line.amount) for line in parsed.lines] == [
        ("FT26324001", 5_000_000),
        ("FT26324003", 300_000),
        ("FT2026", 50_000_000),
    ]


def test_reference_matching_and_donor_guess() -> None:
    """GN1 is found in any case and amid bank prefixes, never inside GN12; the donor is guessed."""
    refs = {"GN1": 1, "GN12": 12}
    assert match_reference("MBVCB.123456789.gn1 NGUYEN VAN AN", refs) == 1
    assert match_reference("Ủng hộ GN12 Lê Thị Hoa", refs) == 12
    assert match_reference("GN123 UNG HO", refs) is None
    assert match_reference("CHUYEN TIEN", refs) is None
    assert donor_from("MBVCB.123456789.GN1 Nguyễn Văn An") == "MBVCB NGUYEN VAN AN"


def test_xlsx_statement_read() -> None:
    """An XLSX with English headers and numeric cells gives the same kind of lines."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Account statement"])
    sheet.append(["Transaction date", "Reference", "Debit", "Credit", "Description"])
    sheet.append([datetime(2026, 11, 20, 9, 30), "FT1", None, 1_500_000, "GN1 LE AN"])
    sheet.append([datetime(2026, 11, 20, 9, 31), "FT2", 20_000, None, "PHI"])
    out = io.BytesIO()
    book.save(out)
    parsed = read_statement(out.getvalue())
    assert [(line.bank_ref, line.amount, str(line.posted_on)) for line in parsed.lines] == [
        ("FT1", 1_500_000, "2026-11-20")
    ]


# ---- the chat -------------------------------------------------------------------------------


async def test_account_flow_then_donor_sees_the_qr(app: App, officer: Chat, resident: Chat) -> None:
    """An officer sets the account; a resident's /ungho 200000 shows a QR that decodes right."""
    await officer.send("/taikhoan")
    said(await officer.send("97043"), "donations.bank.bin_bad")
    await officer.press("acct:b:970436")
    said(await officer.send("số tài khoản"), "donations.bank.number_bad")
    await officer.send("0011 0019 32418")
    await officer.send("Ủy ban MTTQ phường Hòa Cường")
    officer.expect(
        "donations.bank.confirm",
        campaign="Vận động Quỹ Vì người nghèo năm 2026",
        bank="Vietcombank (970436)",
        number="0011001932418",
        name="UY BAN MTTQ PHUONG HOA CUONG",
    )
    done = await officer.press("acct:ok")
    again = await officer.press("acct:ok")
    assert "GN1" in done[0].text
    assert again[0].text != done[0].text  # a stale tap, not a second account
    rows = entries(app, "SELECT campaign_id, bin, number FROM donation_bank_accounts")
    assert rows == [(1, "970436", "0011001932418")]

    replies = await resident.send("/ungho 200000")
    image = replies[-1].attachment
    assert image is not None and image.kind == "image"
    [text] = decode(image.data)
    transfer = read(text)
    assert (transfer.bin, transfer.account, transfer.amount) == ("970436", "0011001932418", 200_000)
    assert transfer.note == "GN1 UNG HO NGUOI NGHEO"
    assert "0011001932418" in replies[-1].text
    assert "GN1 UNG HO NGUOI NGHEO" in replies[-1].text


async def test_poster_for_officers_only(app: App, officer: Chat, resident: Chat) -> None:
    """The poster button gives officers a PDF; a resident pressing it is refused."""
    await set_account(officer)
    replies = await officer.press("bq:poster:1")
    document = replies[-1].attachment
    assert document is not None and document.data.startswith(b"%PDF")
    assert document.filename == "ap-phich-GN1.pdf"
    text = PdfReader(io.BytesIO(document.data)).pages[0].extract_text()
    assert "0011001932418" in text
    assert "UY BAN MTTQ PHUONG HOA CUONG" in text
    assert "GN1 UNG HO NGUOI NGHEO" in text
    if (FONT_DIR / "DejaVuSans.ttf").is_file():  # the bundled font prints Vietnamese
        assert "Số tài khoản" in text
    await resident.press("bq:poster:1")
    resident.expect("error.permission")


async def test_import_in_chat_with_duplicate_and_unmatched(app: App, officer: Chat) -> None:
    """The upload proposes the GN1 line, flags FT2026 as a duplicate and lists the other line."""
    await set_account(officer)
    await officer.send("/doisoat")
    await officer.send("đây là sao kê")
    officer.expect("donations.bank.ask_file", campaign="Vận động Quỹ Vì người nghèo năm 2026")
    replies = await upload(app, officer, STATEMENT.encode())
    summary = replies[0].text
    assert "Đề xuất ghi nhận: 1" in summary
    assert "Trùng khoản đã ghi: 1" in summary
    assert "Chưa rõ đợt: 1" in summary
    known = "\n".join(reply.text for reply in replies)
    assert "FT2026" in known and "VNN-HC-2026-000002" in known
    before = entries(app)
    proposed = officer.payload_of("5.000.000")
    first = await officer.press(proposed)
    await officer.press(proposed)
    after = entries(app)
    assert len(after) == len(before) + 1
    assert after[-1][1:] == (5_000_000, "FT26324001")
    assert after[-1][0] in first[0].text
    gift = entries(
        app,
        "SELECT method, public, donor_name, donated_on FROM donation_entries"
        " WHERE reference = 'FT26324001'",
    )
    assert gift == [("transfer", 0, "MBVCB NGUYEN VAN AN UNG HO", "2026-11-20")]

    await officer.tap("300.000")
    await officer.press(officer.payload_of("Vận động Quỹ"))
    assert entries(app)[-1][1:] == (300_000, "FT26324003")
    assert len(entries(app, "SELECT * FROM donation_entries WHERE reference = 'FT2026'")) == 1


async def test_record_all_records_each_proposal_once(app: App, officer: Chat) -> None:
    """Recording all records both proposed lines; pressed again, nothing more is recorded."""
    await set_account(officer)
    await officer.send("/doisoat")
    two = STATEMENT + "5;21/11/2026;FT26324005;;700.000;GN1 TRAN THI BINH\n"
    await upload(app, officer, two.encode())
    before = len(entries(app))
    await officer.tap("Ghi nhận cả 2")
    assert len(entries(app)) == before + 2
    await officer.press(officer.payload_of("Ghi nhận cả 2"))
    officer.expect("donations.bank.nothing_left")
    assert len(entries(app)) == before + 2


async def test_reimport_changes_nothing(app: App, officer: Chat) -> None:
    """The same file imported twice leaves every table as it was after the first time."""
    await set_account(officer)
    await officer.send("/doisoat")
    await upload(app, officer, STATEMENT.encode())
    await officer.press(officer.payload_of("5.000.000"))

    def snapshot() -> list[list[tuple[Any, ...]]]:
        return [
            entries(app, f"SELECT * FROM {table}")
            for table in ("donation_statements", "donation_statement_lines", "donation_entries")
        ]

    before = snapshot()
    await officer.send("/doisoat")
    replies = await upload(app, officer, STATEMENT.encode())
    assert snapshot() == before
    assert "0 khoản mới" in replies[0].text
    assert "Đã ghi trước đó: 1" in replies[0].text


async def test_bad_file_keeps_the_step(app: App, officer: Chat) -> None:
    """A file without date and amount columns: a clear message, and the upload still waits."""
    await set_account(officer)
    await officer.send("/doisoat")
    await upload(app, officer, b"a,b\n1,2\n")
    assert officer.history[-2].text == officer.history[-2].text  # two replies: why, then ask
    assert any("tiêu đề" in reply.text for reply in officer.history[-2:])
    await upload(app, officer, STATEMENT.encode())
    assert "Đề xuất ghi nhận: 1" in officer.history[-4].text


async def test_other_wards_officer_refused(app: App, officer: Chat) -> None:
    """An officer of another ward pressing this ward's line buttons records nothing."""
    await set_account(officer)
    await officer.send("/doisoat")
    await upload(app, officer, STATEMENT.encode())
    await app.services.users.add_ward(
        Ward(
            id="20275",
            code="20275",
            name="Phường An Hải",
            kind="phuong",
            province_code="48",
            province="Thành phố Đà Nẵng",
            area="urban",
        )
    )
    other = Chat(app, "officer-other")
    await make_officer(app, other, ward_id="20275")
    before = entries(app)
    for payload_ in ("bk:ok:1", "bk:as:2:1", "bk:all:1", "bk:pick:2"):
        await other.press(payload_)
        other.expect("error.permission")
    await other.press("bq:poster:1")
    other.expect("error.permission")
    assert entries(app) == before
    await other.send("/taikhoan")
    assert entries(app, "SELECT COUNT(*) FROM donation_bank_accounts") == [(1,)]


async def test_qr_arrives_as_a_photo_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """On Telegram, /ungho answers with a photo whose QR decodes to the campaign's payload."""
    officer = Chat(app, "officer-1")
    await make_officer(app, officer)
    await set_account(officer)
    fake = fake_telegram
    async with telegram_running(app, fake):
        mark = fake.mark(7101)
        fake.push_message(7101, "/ungho 500000")
        messages = await fake.wait_for_next(7101, after=mark)
        photo = messages[-1]
        assert photo.method == "sendPhoto"
        assert photo.document_bytes is not None
        [text] = decode(photo.document_bytes)
        assert read(text).amount == 500_000
        assert read(text).note.startswith("GN1 ")


# ---- the command line -----------------------------------------------------------------------


def giamngheo(db: Path, *args: str) -> subprocess.Popen[str]:
    """Start the real command on `db`."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(db.parent)},
    )


def big_statement(path: Path, matched: int, unmatched: int) -> None:
    """A CSV statement with `matched` GN1 lines and `unmatched` lines without a reference."""
    with path.open("w", encoding="utf-8") as out:
        out.write("Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Nội dung\n")
        for index in range(matched):
            out.write(f'20/11/2026,FTK{index:07d},"{10_000 + index:,}",GN1 NGUOI {index}\n')
        for index in range(unmatched):
            out.write(f'21/11/2026,FTU{index:07d},"{20_000:,}",CHUYEN TIEN {index}\n')


async def demo_file(tmp_path: Path) -> Path:
    """A database file with the demo campaign, closed."""
    app = await new_app(tmp_path / "bank.sqlite3", FakeClock())
    await app.close()
    return tmp_path / "bank.sqlite3"


async def test_cli_account_and_import(tmp_path: Path) -> None:
    """`donations account` then `import-statement --record` twice: one gift per line, once."""
    db = await demo_file(tmp_path)
    done = giamngheo(
        db,
        "donations",
        "account",
        "--campaign",
        "1",
        "--bin",
        "970436",
        "--number",
        "0011001932418",
        "--name",
        "UBMTTQ phường Hòa Cường",
    )
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert "GN1" in out
    statement = tmp_path / "saoke.csv"
    statement.write_text(STATEMENT, encoding="utf-8")
    for _ in range(2):
        run = giamngheo(
            db, "donations", "import-statement", str(statement), "--campaign", "1", "--record"
        )
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    assert "Trùng khoản đã ghi / duplicates: 1" in out
    assert "Đã ghi / recorded: 1" in out
    with sqlite3.connect(db) as conn:
        refs = conn.execute(
            "SELECT reference FROM donation_entries WHERE reference LIKE 'FT%' ORDER BY id"
        ).fetchall()
    assert refs == [("FT2026",), ("FT26324001",)]


async def test_kill_during_import_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """A kill -9 half-way through `import-statement --record`, then a rerun: each line once."""
    db = await demo_file(tmp_path)
    account = giamngheo(
        db,
        "donations",
        "account",
        "--campaign",
        "1",
        "--bin",
        "970436",
        "--number",
        "0011001932418",
        "--name",
        "UBMTTQ",
    )
    assert account.wait(timeout=60) == 0
    matched, unmatched = 3_000, 500
    statement = tmp_path / "big.csv"
    big_statement(statement, matched, unmatched)
    run = giamngheo(
        db,
        "donations",
        "import-statement",
        str(statement),
        "--campaign",
        "1",
        "--record",
        "--show",
        "0",
    )
    assert run.stderr is not None
    while True:
        line = run.stderr.readline()
        assert line, "the import ended before recording started"
        if line.startswith("ghi nhận"):
            break
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        (part,) = conn.execute(
            "SELECT COUNT(*) FROM donation_entries WHERE reference LIKE 'FTK%'"
        ).fetchone()
    assert 0 < part < matched  # killed mid-way
    rerun = giamngheo(
        db,
        "donations",
        "import-statement",
        str(statement),
        "--campaign",
        "1",
        "--record",
        "--show",
        "0",
    )
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    with sqlite3.connect(db) as conn:
        lines = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT bank_ref) FROM donation_statement_lines"
        ).fetchone()
        gifts = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT reference), SUM(amount) FROM donation_entries"
            " WHERE reference LIKE 'FTK%'"
        ).fetchone()
        statements = conn.execute("SELECT COUNT(*) FROM donation_statements").fetchone()
    assert lines == (matched + unmatched, matched + unmatched)
    assert gifts == (matched, matched, sum(10_000 + i for i in range(matched)))
    assert statements == (1,)


async def test_minhbach_offers_the_qr_of_a_campaign_with_an_account(
    app: App, officer: Chat, resident: Chat
) -> None:
    """No account: no QR button on /minhbach; with one: the button, and its press is the QR."""
    await resident.send("/minhbach")
    assert not any(c.payload.startswith("bq:qr:") for c in resident.last.choices)
    await set_account(officer)
    await resident.send("/minhbach")
    [button] = [c for c in resident.last.choices if c.payload.startswith("bq:qr:")]
    assert "QR" in button.label
    replies = await resident.press(button.payload)
    image = next(reply.attachment for reply in replies if reply.attachment is not None)
    assert image.kind == "image"
    [text] = decode(image.data)
    assert read(text).note.startswith("GN1 ")
