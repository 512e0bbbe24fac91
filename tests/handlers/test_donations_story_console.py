"""The fund's whole story in one console conversation: the real `giamngheo chat --as-officer`.

The officer types each line into the running program's piped stdin and reads what it prints:
a campaign with a receiving account (its QR PNG decoded, its A4 poster), gifts by hand, the
account's statement imported (a duplicate and an unmatched line, then a large one killed with
SIGKILL half-way and imported again), a payment refused over the balance and one recorded, the
sao kê in PDF (text read back, `donations verify` against the ledger), CSV and XLSX, `/minhbach`
and `/baocao` with the balance. The console reads lines, not files: the statement goes through
`giamngheo donations import-statement`, as an officer at the console hands one over, while the
conversation goes on. At the end the database holds the exact balance, each bank transfer once
and receipts without a gap.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from handlers.donations._vietqr import read

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = "Tết vì người nghèo 2027"
BIG = 1_500
"""Lines of the statement imported under a SIGKILL (each 10.000 ₫ + its index)."""
BIG_SUM = sum(10_000 + index for index in range(BIG))


def today() -> date:
    """Today in Vietnam (the console's "Hôm nay")."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def day(offset: int) -> str:
    """A day relative to today, as the officer types it (dd/mm/yyyy)."""
    return (today() + timedelta(days=offset)).strftime("%d/%m/%Y")


def environment(home: Path) -> dict[str, str]:
    """The test run's environment (its matcher cache), unbuffered, demo data on."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", "DEMO_DATA": "1", "HOME": str(home)}


class Console:
    """The running `giamngheo chat --as-officer`, one line in, its printout read."""

    def __init__(self, process: asyncio.subprocess.Process, folder: Path) -> None:
        self.process = process
        self.folder = folder
        self.printed = ""
        self.base = 0
        """Gifts of this year in the ledger before the story (the demo campaign's)."""

    def receipt(self, number: int) -> str:
        """The receipt of the story's `number`-th gift (receipts are per ward and year)."""
        return f"VNN-HC-{today().year}-{self.base + number:06d}"

    @classmethod
    async def start(cls, db: Path, folder: Path) -> Console:
        """Start the console as the demo officer, in `folder` (its exports land there)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--db",
            str(db),
            "chat",
            "--as-officer",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=folder,
            env=environment(folder),
        )
        return cls(process, folder)

    async def say(self, line: str, needle: str) -> str:
        """Type `line`; read until `needle` is printed; what was printed since."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode("utf-8") + b"\n")
        await self.process.stdin.drain()
        start = len(self.printed)
        while needle not in self.printed[start:]:
            chunk = await asyncio.wait_for(self.process.stdout.read(65536), 60)
            assert chunk, f"the console ended; after {line!r} it printed {self.printed[start:]!r}"
            self.printed += chunk.decode("utf-8", errors="replace")
        return self.printed[start:]

    def saved(self, shown: str, name_pattern: str) -> bytes:
        """The bytes of the file whose path the console printed (📎 data/exports/<name>)."""
        found: list[str] = re.findall(rf"📎 (\S*{name_pattern})", shown)
        assert found, shown
        return (self.folder / found[-1]).read_bytes()

    async def end(self) -> None:
        """Close the input: the console ends by itself, with status 0."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert await asyncio.wait_for(self.process.wait(), 60) == 0


def giamngheo(db: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `giamngheo` command on the same database; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env=environment(folder),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def statement_csv() -> str:
    """The statement: 5 lines, one before the campaign began (refused, with the reason).

    The others: a hand-recorded transfer again, a GN2 one, one without reference, a debit.
    """
    rows = [
        "Sao kê tài khoản 1234567890",
        "STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Nội dung",
        f'1,{day(-1)},FT26CON100,,"3.000.000",TRAN THI BICH GN2 UNG HO',
        f'2,{day(-1)},FT26CON101,,"5.000.000",MBVCB.998877.GN2 NGUYEN THI LAN UNG HO',
        f'3,{day(-1)},FT26CON102,,"300.000",CHUYEN TIEN',
        f'4,{day(-1)},FT26CON103,"22.000",,PHI SMS',
        f'5,{day(-60)},FT26CON104,,"700.000",GN2 TRUOC DOT',
    ]
    return "\n".join(rows) + "\n"


def big_csv(path: Path) -> None:
    """A statement of `BIG` transfers carrying GN2."""
    with path.open("w", encoding="utf-8") as out:
        out.write("Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Nội dung\n")
        for index in range(BIG):
            out.write(f'{day(-1)},FTBIG{index:06d},"{10_000 + index:,}",GN2 NGUOI {index}\n')


def pdf_text(data: bytes) -> str:
    """Every page's text, as pypdf reads it back."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def open_campaign_with_account(console: Console) -> None:
    """/taodot then /taikhoan: the QR PNG decodes to the account and GN2; the poster prints it."""
    await console.say("/taodot", "Tên đợt vận động")
    await console.say(CAMPAIGN, "Quỹ nào")
    await console.say("1", "Mục tiêu")
    await console.say("200 triệu", "Ngày bắt đầu")
    await console.say(day(-40), "Ngày kết thúc")
    await console.say(day(60), 'Bấm "Xác nhận" để tạo')
    assert "(mã 2)" in await console.say("1", "Đã tạo đợt vận động")
    hub = await console.say("💰 Quỹ Vì người nghèo", "Bạn muốn làm gì")  # the fund menu
    assert "🔁 Đối soát sao kê ngân hàng" in hub
    await console.say("🏦 Tài khoản nhận và mã QR", "cho đợt vận động nào")
    await console.say("2", "chọn ngân hàng")
    await console.say("BIDV", "Số tài khoản")
    await console.say("1234 5678 90", "Tên chủ tài khoản")
    check = await console.say("Ủy ban MTTQ phường Hòa Cường", "Kiểm tra lại")
    assert "Chủ tài khoản: UY BAN MTTQ PHUONG HOA CUONG" in check
    saved = await console.say("1", "vietqr-GN2.png")
    assert "Mã chuyển khoản của đợt: GN2" in saved
    png = console.saved(saved, r"vietqr-GN2\.png")
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    qr = read(found.text)
    assert (qr.bin, qr.account, qr.amount) == ("970418", "1234567890", None)
    assert qr.note.startswith("GN2 ") and qr.note.isascii()
    poster = await console.say("1", "ap-phich-GN2.pdf")  # the poster button under the QR
    assert "1234567890" in pdf_text(console.saved(poster, r"ap-phich-GN2\.pdf"))
    with_amount = await console.say("/ungho 500.000", "vietqr-GN2.png")
    assert "Số tiền: 500.000 ₫" in with_amount
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(console.saved(with_amount, "GN2.png"))))
    assert read(found.text).amount == 500_000


async def give_by_hand(console: Console) -> None:
    """A named transfer, its reference warned about when typed again, and a gift in kind."""
    await console.say("/ghinhan", "thuộc đợt vận động nào")
    await console.say("2", "Người ủng hộ là")
    await console.say("1", "Nhập tên")
    await console.say("Trần Thị Bích", "Nhập số tiền")
    await console.say("3 triệu", "Hình thức ủng hộ")
    await console.say("2", "mã giao dịch")
    await console.say("FT26CON100", "Ngày ủng hộ")
    await console.say("Hôm qua", "công khai tên")
    await console.say("1", "Ghi chú")
    confirm = await console.say("Bỏ qua", "Kiểm tra lại")
    assert "• Số tiền: 3.000.000 ₫" in confirm and "Sửa" in confirm
    assert console.receipt(1) in await console.say("1", "Số biên nhận")

    await console.say("/ghinhan", "thuộc đợt vận động nào")
    await console.say("2", "Người ủng hộ là")
    await console.say("1", "Nhập tên")
    asked = await console.say("1", "Bạn vừa gõ")  # "1" is not taken as a name
    assert "Ẩn danh" in asked
    await console.say("Ẩn danh", "Nhập số tiền")
    await console.say("2 triệu", "Hình thức ủng hộ")
    await console.say("2", "mã giao dịch")
    warned = await console.say("FT26CON100", "Đây có phải là một khoản khác")
    assert console.receipt(1) in warned
    await console.say("Nhập lại mã giao dịch", "mã giao dịch")
    await console.say("/huy", "Đã huỷ")

    await console.say("/ghinhan", "thuộc đợt vận động nào")
    await console.say("2", "Người ủng hộ là")
    await console.say("1", "Nhập tên")
    await console.say("Ẩn danh", "Nhập số tiền")
    await console.say("2 triệu", "Hình thức ủng hộ")
    await console.say("3", "Hiện vật là gì")
    await console.say("gạo ST25", "Số lượng")
    await console.say("20 bao 10 kg", "Ngày ủng hộ")
    await console.say("Hôm nay", "Ghi chú")
    confirm = await console.say("Bỏ qua", "Kiểm tra lại")
    assert "gạo ST25 — số lượng 20 bao 10 kg" in confirm
    done = await console.say("1", f"/tracuu {console.receipt(2)}")
    assert "hiện vật: gạo ST25, số lượng 20 bao 10 kg" in done


def import_statement(db: Path, folder: Path, first_gift: str) -> None:
    """`import-statement --record`: one recorded, one refused, one duplicate, one to assign."""
    saoke = folder / "saoke-bidv.csv"
    saoke.write_text(statement_csv(), encoding="utf-8")
    args = ("donations", "import-statement", str(saoke), "--campaign", "2", "--record")
    out = giamngheo(db, folder, *args).stdout
    assert "4 dòng có / credit lines, 4 mới / new" in out
    assert "Đề xuất ghi nhận / proposed: 2" in out
    assert "Trùng khoản đã ghi / duplicates: 1" in out
    assert re.search(rf"FT26CON100 .*= {first_gift}", out)
    assert "Chưa rõ đợt / unmatched: 1" in out and "FT26CON102" in out
    assert "Đã ghi nhận / now recorded: 1; từ chối / refused: 1" in out
    assert re.search(r"FT26CON104 .*✗ Ngày ủng hộ trước ngày bắt đầu đợt vận động", out)
    again = giamngheo(db, folder, *args).stdout
    assert "4 dòng có / credit lines, 0 mới / new" in again
    assert "Đã ghi / recorded: 1" in again
    assert "Đã ghi nhận / now recorded: 0; từ chối / refused: 1" in again


def import_killed_then_again(db: Path, folder: Path) -> None:
    """A SIGKILL while the big statement is being recorded, then the same import again."""
    statement = folder / "saoke-lon.csv"
    big_csv(statement)
    args = ("donations", "import-statement", str(statement), "--campaign", "2", "--record")
    run = subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), *args, "--show", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
        env=environment(folder),
    )
    assert run.stderr is not None
    while not (line := run.stderr.readline()).startswith("ghi nhận"):
        assert line, "the import ended before it recorded anything"
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        (part,) = conn.execute(
            "SELECT COUNT(*) FROM donation_entries WHERE reference LIKE 'FTBIG%'"
        ).fetchone()
    assert 0 < part < BIG  # killed half-way
    giamngheo(db, folder, *args, "--show", "0")


async def pay_out(console: Console) -> None:
    """/chi over the balance is refused at the amount; within it, a voucher and the balance."""
    available = 3_000_000 + 2_000_000 + 5_000_000 + BIG_SUM
    sources = await console.say("/chi", "Khoản chi lấy từ")
    assert f"2. {CAMPAIGN} (còn {money(available)})" in sources
    await console.say("2", "dùng vào việc gì")
    await console.say("1", "Hộ nhận hỗ trợ")
    await console.say("Ghi tên người nhận", "Nhập họ tên")
    await console.say("Lê Văn Tám", "công khai tên")
    await console.say("2", "số tiền chi")
    over = await console.say("100 triệu", "vượt số dư")
    assert money(available) in over
    await console.say("20 triệu", "hình thức nào")
    await console.say("1", "Ngày chi")
    await console.say("Hôm nay", "Số quyết định")
    await console.say("15/QĐ-BVĐ", "Ngày ký quyết định")
    await console.say("Hôm qua", "Ghi chú thêm")
    confirm = await console.say("Bỏ qua", "Kiểm tra lại khoản chi")
    assert f"Số dư có thể chi tại ngày chi: {money(available)}" in confirm
    done = await console.say("1", "Số dư còn lại")
    assert f"VNN-HC-{today().year}-C000001" in done
    assert f"Số dư còn lại của {CAMPAIGN}: {money(available - 20_000_000)}" in done


def money(amount: int) -> str:
    """An amount as the assistant prints it (5.000.000 ₫)."""
    return f"{amount:,} ₫".replace(",", ".")


async def check_statements(console: Console, db: Path, receipts: list[str]) -> None:
    """/minhbach's balance; the sao kê PDF read back and verified, CSV and XLSX hold the lines."""
    left = 10_000_000 + BIG_SUM - 20_000_000
    public = await console.say("/minhbach", "Ủng hộ qua mã QR")
    assert f"Đã thu: {money(10_000_000 + BIG_SUM)} / mục tiêu 200.000.000 ₫" in public
    assert f"Đã chi: 20.000.000 ₫ — Còn lại: {money(left)}" in public
    assert "Toàn Quỹ Vì người nghèo của Phường Hòa Cường" in public
    assert "Xây, sửa nhà ở — Phường Hòa Cường — 20.000.000 ₫" in public
    assert "Lê Văn Tám" not in public
    menu = dict(re.findall(r"^ +(\d+)\. 📄 (.+)$", public, flags=re.MULTILINE))
    pick = {label: number for number, label in menu.items()}

    shown = await console.say(pick[f"Sao kê (PDF) · {CAMPAIGN}"], "sao-ke-2.pdf")
    pdf = console.saved(shown, r"sao-ke-2\.pdf")
    checksum = re.search(r"Mã kiểm tra \(SHA-256\): ([0-9a-f]{64})", shown)
    assert checksum is not None
    text = pdf_text(pdf)
    assert "SAO KÊ THU – CHI CÔNG KHAI" in text
    assert "Số dư đầu kỳ: 0 ₫" in text and f"Số dư cuối kỳ: {money(left)}" in text
    assert checksum.group(1) in text
    assert all(receipt in text for receipt in receipts[:4])
    assert f"VNN-HC-{today().year}-C000001" in text
    assert "Trần Thị Bích" in text and "Nhà hảo tâm" in text and "gạo ST25" in text
    assert "Lê Văn Tám" not in text
    pdf_path = console.folder / "sao-ke.pdf"
    pdf_path.write_bytes(pdf)
    verified = giamngheo(db, console.folder, "donations", "verify", str(pdf_path), "--db", str(db))
    assert "KHỚP SỔ / MATCHES THE LEDGER" in verified.stdout

    await console.say("/minhbach", "Ủng hộ qua mã QR")
    shown = await console.say(pick[f"Sao kê CSV · {CAMPAIGN}"], "sao-ke-2.csv")
    rows = list(csv.reader(io.StringIO(console.saved(shown, r"sao-ke-2\.csv").decode("utf-8-sig"))))
    numbers = [cell for row in rows for cell in row if re.fullmatch(r"VNN-HC-\d{4}-C?\d{6}", cell)]
    assert sorted(numbers) == sorted([*receipts, f"VNN-HC-{today().year}-C000001"])
    await console.say("/minhbach", "Ủng hộ qua mã QR")
    shown = await console.say(pick[f"Sao kê XLSX · {CAMPAIGN}"], "sao-ke-2.xlsx")
    sheet = load_workbook(io.BytesIO(console.saved(shown, r"sao-ke-2\.xlsx"))).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert set(receipts) <= set(cells)
    assert any(isinstance(cell, datetime | date) for cell in cells)

    report = await console.say("/baocao", f"📈 {CAMPAIGN}")
    assert f"Đã chi: 20.000.000 ₫ — Số dư: {money(left)}" in report
    found = await console.say(f"/tracuu {receipts[2]}", "Đợt vận động")
    assert "5.000.000 ₫" in found and CAMPAIGN in found


def check_database(db: Path, base: int) -> list[str]:
    """Exact balance, each transfer once, receipts and vouchers without a gap; the receipts."""
    with sqlite3.connect(db) as conn:
        gifts = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM donation_entries WHERE campaign_id = 2"
        ).fetchone()[0]
        spent = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM donation_disbursements WHERE campaign_id = 2"
        ).fetchone()[0]
        twice = conn.execute(
            "SELECT reference FROM donation_entries WHERE reference <> ''"
            " GROUP BY UPPER(TRIM(reference)) HAVING COUNT(*) > 1"
        ).fetchall()
        refs = conn.execute(
            "SELECT COUNT(*) FROM donation_entries WHERE reference LIKE 'FTBIG%'"
        ).fetchone()[0]
        receipts = [row[0] for row in conn.execute("SELECT receipt FROM donation_entries")]
        vouchers = [row[0] for row in conn.execute("SELECT voucher FROM donation_disbursements")]
        lines = conn.execute("SELECT COUNT(*) FROM donation_statement_lines").fetchone()[0]
    assert (gifts, spent) == (10_000_000 + BIG_SUM, 20_000_000)
    assert twice == [] and refs == BIG and lines == 4 + BIG
    year = today().year
    assert receipts[:base] and sorted(receipts) == receipts
    own = [int(r.rsplit("-", 1)[1]) for r in receipts if r.startswith(f"VNN-HC-{year}-")]
    assert own == list(range(1, len(own) + 1))
    assert vouchers == [f"VNN-HC-{year}-C000001"]
    return receipts[base:]


async def test_the_whole_fund_story_in_one_console_conversation(tmp_path: Path) -> None:
    """Campaign, QR, gifts by hand and by statement, kill -9, payments, sao kê, balances."""
    db = tmp_path / "quy.sqlite3"
    console = await Console.start(db, tmp_path)
    try:
        await console.say("/start", "Quỹ Vì người nghèo")
        with sqlite3.connect(db) as conn:
            base = conn.execute("SELECT COUNT(*) FROM donation_entries").fetchone()[0]
            console.base = conn.execute(
                "SELECT COUNT(*) FROM donation_entries WHERE receipt LIKE ?",
                (f"VNN-HC-{today().year}-%",),
            ).fetchone()[0]
        await open_campaign_with_account(console)
        await give_by_hand(console)
        await console.say("💰 Quỹ Vì người nghèo", "Bạn muốn làm gì")
        await console.say("🔁 Đối soát sao kê ngân hàng", "Sao kê của tài khoản")
        await console.say("2", "Gửi tệp sao kê")
        hint = await console.say("saoke-bidv.csv", "Gửi tệp sao kê")  # a line, not a file
        assert "giamngheo donations import-statement <tệp sao kê> --campaign 2" in hint
        await console.say("/huy", "Đã huỷ")
        import_statement(db, tmp_path, console.receipt(1))
        import_killed_then_again(db, tmp_path)
        await pay_out(console)
        receipts = check_database(db, base)
        assert len(receipts) == 3 + BIG  # by hand (2), from the statement (1), the big one
        await check_statements(console, db, receipts)
        await console.end()
    finally:
        if console.process.returncode is None:
            console.process.kill()
            await console.process.wait()
