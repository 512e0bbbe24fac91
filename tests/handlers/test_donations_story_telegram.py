"""The fund's whole story on Telegram: real PTB Application against the fake Bot API.

One officer and one resident, as they would use it: a campaign with a receiving account, its
VietQR decoded back and its A4 poster, gifts by hand and from a bank statement (a duplicate and
an unmatched line), a payment refused over the balance and one recorded, a payment from the fund
as a whole after which the fund's balance limits the campaign's, the sao kê in PDF (text read
back), CSV and XLSX, `/minhbach` and `/baocao` with the balance; the database checked at the end.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date

import zxingcpp
from openpyxl import Workbook, load_workbook
from PIL import Image
from pypdf import PdfReader

from bot.app import App
from handlers.donations._statement import verify_bytes
from handlers.donations._vietqr import read
from storage.ledger import Ledger
from tests.fakes.telegram_api import FakeBotApi, SentMessage
from tests.harness import telegram_running

OFFICER = 8101
RESIDENT = 8102
CAMPAIGN = "Tết vì người nghèo 2027"

STATEMENT = """Sao kê tài khoản 1234567890
STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Nội dung
1;20/11/2026;FT26324100;;3.000.000;TRAN THI BICH GN2 UNG HO
2;20/11/2026;FT26324101;;5.000.000;MBVCB.998877.GN2 NGUYEN THI LAN UNG HO
3;21/11/2026;FT26324102;;300.000;CHUYEN TIEN
4;21/11/2026;FT26324103;22.000;;PHI SMS
"""
"""The account's statement: a line already recorded by hand (FT26324100), one carrying the
campaign reference GN2, one without any reference, and a debit line (skipped)."""


class Person:
    """One Telegram user talking to the bot, waiting for what the bot answers."""

    def __init__(self, fake: FakeBotApi, user_id: int) -> None:
        self.fake = fake
        self.user_id = user_id
        self.seen: list[SentMessage] = []

    async def until(self, mark: int, done: Callable[[SentMessage], bool]) -> list[SentMessage]:
        """Every message after `mark`, once one of them satisfies `done`."""
        count = 1
        while True:
            got = await self.fake.wait_for_next(self.user_id, after=mark, count=count)
            if any(done(message) for message in got):
                self.seen.extend(got)
                return got
            count = len(got) + 1

    async def _until(self, mark: int, needle: str) -> list[SentMessage]:
        return await self.until(mark, has(needle))

    async def say(self, text: str, needle: str) -> str:
        """Type `text`; wait until a message containing `needle` arrives; all new text."""
        mark = self.fake.mark(self.user_id)
        self.fake.push_message(self.user_id, text)
        return "\n".join(m.plain_text for m in await self._until(mark, needle))

    def button(self, label_part: str) -> tuple[int, str]:
        """The newest message's button whose label contains `label_part` (message id, data)."""
        for message in reversed(self.seen):
            for label, data in message.buttons():
                if label_part in label:
                    return message.message_id, data
        raise AssertionError(f"no button {label_part!r}")

    async def tap(self, label_part: str, needle: str) -> list[SentMessage]:
        """Press the newest button labelled with `label_part`; wait for `needle`."""
        message_id, data = self.button(label_part)
        mark = self.fake.mark(self.user_id)
        self.fake.push_callback(self.user_id, data, message_id=message_id)
        return await self._until(mark, needle)

    async def tap_text(self, label_part: str, needle: str) -> str:
        """Like `tap`, the new messages' text joined."""
        return "\n".join(m.plain_text for m in await self.tap(label_part, needle))

    async def file(self, label_part: str) -> SentMessage:
        """Press a button that sends a file; the file's message."""
        message_id, data = self.button(label_part)
        mark = self.fake.mark(self.user_id)
        self.fake.push_callback(self.user_id, data, message_id=message_id)
        got = await self.until(mark, lambda message: message.document_bytes is not None)
        return next(message for message in got if message.document_bytes is not None)


def has(needle: str) -> Callable[[SentMessage], bool]:
    """The message's text contains `needle`."""
    return lambda message: needle in message.plain_text


def qr_text(message: SentMessage) -> str:
    """The one QR code in a photo, decoded by zxing-cpp."""
    assert message.method == "sendPhoto" and message.document_bytes is not None
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(message.document_bytes)))
    return str(found.text)


def pdf_text(data: bytes) -> str:
    """Every page's text, as pypdf reads it back."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def make_campaign_with_account(officer: Person) -> None:
    """/taodot then /taikhoan: the campaign's account gets the transfer reference GN2."""
    await officer.say("/taodot", "Tên đợt vận động")
    await officer.say(CAMPAIGN, "Quỹ nào")
    await officer.tap("Quỹ Vì người nghèo", "Mục tiêu")
    await officer.say("200 triệu", "Ngày bắt đầu")
    await officer.say("01/11/2026", "Ngày kết thúc")
    confirm = await officer.say("31/01/2027", 'Bấm "Xác nhận" để tạo')
    assert "Mục tiêu: 200.000.000 ₫" in confirm
    assert "(mã 2)" in await officer.tap_text("Xác nhận", "Đã tạo đợt vận động")
    await officer.say("/taikhoan", "Đặt tài khoản nhận ủng hộ cho đợt vận động nào")
    await officer.tap(CAMPAIGN, "chọn ngân hàng")
    await officer.tap("BIDV", "Số tài khoản")
    await officer.say("1234 5678 90", "Tên chủ tài khoản")
    check = await officer.say("Ủy ban MTTQ phường Hòa Cường", "Kiểm tra lại")
    assert "Chủ tài khoản: UY BAN MTTQ PHUONG HOA CUONG" in check
    saved = await officer.tap("Xác nhận", "Nội dung chuyển khoản")
    assert "Mã chuyển khoản của đợt: GN2" in "\n".join(m.plain_text for m in saved)
    photo = next(m for m in saved if m.method == "sendPhoto")
    shown = read(qr_text(photo))
    assert (shown.bin, shown.account, shown.amount) == ("970418", "1234567890", None)
    assert shown.note.startswith("GN2 ")
    poster = await officer.file("Áp phích A4")  # its button rides on the QR photo
    assert poster.document_bytes is not None and poster.document_name == "ap-phich-GN2.pdf"
    assert "1234567890" in pdf_text(poster.document_bytes)


async def give_by_hand(officer: Person) -> None:
    """A named bank transfer and an anonymous gift in kind, each with its receipt."""
    await officer.say("/ghinhan", "thuộc đợt vận động nào")
    await officer.tap(CAMPAIGN, "Người ủng hộ là")
    await officer.tap("Cá nhân", "Nhập tên")
    await officer.say("Trần Thị Bích", "Nhập số tiền")
    await officer.say("3 triệu", "Hình thức ủng hộ")
    await officer.tap("Chuyển khoản", "mã giao dịch")
    await officer.say("FT26324100", "Ngày ủng hộ")
    await officer.tap("Hôm qua", "công khai tên")
    await officer.tap("Đồng ý", "Ghi chú")
    await officer.tap("Bỏ qua", "Kiểm tra lại")
    done = await officer.tap_text("Xác nhận", "Số biên nhận")
    assert "VNN-HC-2026-000006" in done

    await officer.say("/ghinhan", "thuộc đợt vận động nào")
    await officer.tap(CAMPAIGN, "Người ủng hộ là")
    await officer.tap("Cá nhân", "Nhập tên")
    await officer.tap("Ẩn danh", "Nhập số tiền")
    await officer.say("2 triệu", "Hình thức ủng hộ")
    await officer.tap("Hiện vật", "Hiện vật là gì")
    await officer.say("gạo ST25", "Số lượng")
    await officer.say("20 bao 10 kg", "Ngày ủng hộ")
    await officer.tap("Hôm nay", "Ghi chú")
    confirm = await officer.tap_text("Bỏ qua", "Kiểm tra lại")
    assert "gạo ST25 — số lượng 20 bao 10 kg" in confirm
    done = await officer.tap_text("Xác nhận", "Số biên nhận")
    assert "VNN-HC-2026-000007" in done and "20 bao 10 kg" in done


async def import_statement(officer: Person, fake: FakeBotApi) -> None:
    """The CSV by /doisoat: one proposal, one duplicate, one to assign; twice changes nothing."""
    await officer.say("/doisoat", "Sao kê của tài khoản")
    await officer.tap(CAMPAIGN, "Gửi tệp sao kê tài khoản")
    mark = fake.mark(OFFICER)
    fake.push_document(OFFICER, "saoke-bidv.csv", STATEMENT.encode("utf-8"))
    report = "\n".join(m.plain_text for m in await officer.until(mark, has("CHUYEN TIEN")))
    assert "3 khoản tiền vào" in report
    assert "Đề xuất ghi nhận: 1" in report
    assert "Trùng khoản đã ghi: 1" in report
    assert "Chưa rõ đợt: 1" in report
    assert "FT26324100" in report and "VNN-HC-2026-000006" in report
    recorded = await officer.tap_text("5.000.000", "VNN-HC-2026-")
    assert "VNN-HC-2026-000008" in recorded
    await officer.tap("300.000", "Ghi khoản này vào đợt nào")
    assigned = await officer.tap_text(CAMPAIGN, "VNN-HC-2026-")
    assert "VNN-HC-2026-000009" in assigned

    await officer.say("/doisoat", "Sao kê của tài khoản")
    await officer.tap(CAMPAIGN, "Gửi tệp sao kê tài khoản")
    mark = fake.mark(OFFICER)
    fake.push_document(OFFICER, "saoke-bidv.csv", STATEMENT.encode("utf-8"))
    again = "\n".join(m.plain_text for m in await officer.until(mark, has("Đã có trong sổ")))
    assert "0 khoản mới" in again
    assert "Đề xuất ghi nhận: 0" in again

    await officer.say("/doisoat", "Sao kê của tài khoản")  # the same lines, as the bank's XLSX
    await officer.tap(CAMPAIGN, "Gửi tệp sao kê tài khoản")
    mark = fake.mark(OFFICER)
    fake.push_document(OFFICER, "saoke-bidv.xlsx", statement_xlsx())
    as_xlsx = "\n".join(m.plain_text for m in await officer.until(mark, has("Đã có trong sổ")))
    assert "3 khoản tiền vào (0 khoản mới" in as_xlsx
    assert "Đã ghi trước đó: 2 · Trùng khoản đã ghi: 1" in as_xlsx


def statement_xlsx() -> bytes:
    """`STATEMENT` as an XLSX workbook (dates as dates, amounts as numbers)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for number, row in enumerate(csv.reader(io.StringIO(STATEMENT), delimiter=";")):
        if number < 2:
            sheet.append(row)
            continue
        day, month, year = (int(part) for part in row[1].split("/"))
        debit, credit = (int(x.replace(".", "")) if x else None for x in row[3:5])
        sheet.append([int(row[0]), date(year, month, day), row[2], debit, credit, row[5]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def pay_out(officer: Person) -> None:
    """/chi: 20 million is over the campaign's 10.3 million and refused; 8 million recorded."""
    await officer.say("/chi", "Khoản chi lấy từ")
    labels = [label for label, _ in officer.seen[-1].buttons()]
    assert f"{CAMPAIGN} (còn 10.300.000 ₫)" in labels
    await officer.tap(CAMPAIGN, "dùng vào việc gì")
    await officer.tap("Xây, sửa nhà ở", "Hộ nhận hỗ trợ")
    await officer.tap("Ghi tên người nhận", "Nhập họ tên")
    await officer.say("Lê Văn Tám", "công khai tên")
    await officer.tap("Không công khai", "số tiền chi")
    over = await officer.say("20 triệu", "vượt số dư")
    assert "10.300.000 ₫" in over
    await officer.say("8 triệu", "hình thức nào")
    await officer.tap("Tiền mặt", "Ngày chi")
    await officer.tap("Hôm nay", "Số quyết định")
    await officer.say("15/QĐ-BVĐ", "Ngày ký quyết định")
    await officer.tap("Hôm qua", "Ghi chú thêm")
    confirm = await officer.tap_text("Bỏ qua", "Kiểm tra lại khoản chi")
    assert "Số dư có thể chi tại ngày chi: 10.300.000 ₫" in confirm
    done = await officer.tap_text("Xác nhận", "phiếu chi số")
    assert "VNN-HC-2026-C000001" in done
    assert f"Số dư còn lại của {CAMPAIGN}: 2.300.000 ₫" in done


async def pay_from_the_fund_then_the_campaign(officer: Person) -> None:
    """A fund-wide payment leaves the fund less than the campaign: the fund's balance limits."""
    await officer.say("/chi", "Khoản chi lấy từ")
    await officer.tap("Toàn Quỹ Vì người nghèo", "dùng vào việc gì")
    await officer.tap("Cứu đói", "Hộ nhận hỗ trợ")
    await officer.tap("Ghi tên người nhận", "Nhập họ tên")
    await officer.say("Hoàng Thị Năm", "công khai tên")
    await officer.tap("Hộ đồng ý", "số tiền chi")
    await officer.say("80 triệu", "hình thức nào")
    await officer.tap("Chuyển khoản", "Ngày chi")
    await officer.tap("Hôm nay", "Số quyết định")
    await officer.say("16/QĐ-BVĐ", "Ngày ký quyết định")
    await officer.tap("Hôm nay", "Ghi chú thêm")
    await officer.tap("Bỏ qua", "Kiểm tra lại khoản chi")
    done = await officer.tap_text("Xác nhận", "phiếu chi số")
    assert "VNN-HC-2026-C000002" in done and "600.000 ₫" in done

    await officer.say("/chi", "Khoản chi lấy từ")
    labels = [label for label, _ in officer.seen[-1].buttons()]
    assert f"{CAMPAIGN} (còn 2.300.000 ₫)" in labels
    await officer.tap(CAMPAIGN, "dùng vào việc gì")
    await officer.tap("Hỗ trợ học tập", "Hộ nhận hỗ trợ")
    await officer.tap("Ghi tên người nhận", "Nhập họ tên")
    await officer.say("Phạm Thị Mai", "công khai tên")
    await officer.tap("Không công khai", "số tiền chi")
    over = await officer.say("1 triệu", "số dư toàn quỹ")
    assert "toàn Quỹ Vì người nghèo của xã/phường (600.000 ₫)" in over
    await officer.say("500.000", "hình thức nào")
    await officer.tap("Tiền mặt", "Ngày chi")
    await officer.tap("Hôm nay", "Số quyết định")
    await officer.say("17/QĐ-BVĐ", "Ngày ký quyết định")
    await officer.tap("Hôm nay", "Ghi chú thêm")
    await officer.tap("Bỏ qua", "Kiểm tra lại khoản chi")
    done = await officer.tap_text("Xác nhận", "phiếu chi số")
    assert "VNN-HC-2026-C000003" in done
    assert f"Số dư còn lại của {CAMPAIGN}: 1.800.000 ₫" in done  # its own, as /minhbach says


async def check_public_side(resident: Person) -> None:
    """The resident: a QR with an amount, /minhbach's balance, the PDF read back and verified."""
    await resident.say("/ungho 500000", "Nội dung chuyển khoản")  # the one with an account
    photo = resident.seen[-1]
    qr = read(qr_text(photo))
    assert (qr.account, qr.amount) == ("1234567890", 500_000)
    assert qr.note.startswith("GN2 ")

    public = await resident.say("/minhbach", "Sao kê")
    assert "Đã thu: 10.300.000 ₫ / mục tiêu 200.000.000 ₫" in public
    assert "Đã chi: 8.500.000 ₫ — Còn lại: 1.800.000 ₫" in public
    assert "Toàn Quỹ Vì người nghèo của Phường Hòa Cường: thu 88.600.000 ₫" in public
    assert "chi 88.500.000 ₫, số dư 100.000 ₫" in public
    assert "Xây, sửa nhà ở — Phường Hòa Cường — 8.000.000 ₫" in public
    assert "Cứu đói — Phường Hòa Cường — 80.000.000 ₫ — Hoàng Thị Năm" in public  # consented
    assert "Lê Văn Tám" not in public and "Phạm Thị Mai" not in public
    assert not [label for label, _ in resident.seen[-1].buttons() if "CSV" in label]
    document = await resident.file(f"Sao kê (PDF) · {CAMPAIGN}")
    assert document.method == "sendDocument" and document.document_bytes is not None
    verdict = verify_bytes(document.document_bytes)
    assert verdict.intact and verdict.printed in (document.caption or "")
    text = pdf_text(document.document_bytes)
    assert "SAO KÊ THU – CHI CÔNG KHAI" in text
    assert "Số dư đầu kỳ: 0 ₫" in text
    assert "Số dư cuối kỳ: 1.800.000 ₫" in text
    for number in (6, 7, 8, 9):
        assert f"VNN-HC-2026-{number:06d}" in text
    assert "VNN-HC-2026-C000001" in text and "VNN-HC-2026-C000003" in text
    assert "VNN-HC-2026-C000002" not in text  # the fund's own payment, not this campaign's
    assert "Trần Thị Bích" in text and "Nhà hảo tâm" in text
    assert "gạo ST25" in text
    assert "Lê Văn Tám" not in text and "Phạm Thị Mai" not in text
    assert "NGUYEN THI LAN" not in text


async def check_officer_files(officer: Person) -> None:
    """The officer's CSV and XLSX hold the same lines; XLSX dates are dates; /baocao's balance."""
    await officer.say("/minhbach", "Sao kê")
    sheet_file = await officer.file(f"Sao kê XLSX · {CAMPAIGN}")
    assert sheet_file.document_bytes is not None
    assert verify_bytes(sheet_file.document_bytes).intact
    sheet = load_workbook(io.BytesIO(sheet_file.document_bytes)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    for number in (6, 7, 8, 9):
        assert f"VNN-HC-2026-{number:06d}" in cells
    assert {"VNN-HC-2026-C000001", "VNN-HC-2026-C000003"} <= set(cells)
    assert any(isinstance(cell, date) for cell in cells)
    await officer.say("/minhbach", "Sao kê")
    csv_file = await officer.file(f"Sao kê CSV · {CAMPAIGN}")
    assert csv_file.document_bytes is not None
    assert verify_bytes(csv_file.document_bytes).intact
    rows = list(csv.reader(io.StringIO(csv_file.document_bytes.decode("utf-8-sig"))))
    receipts = {cell for row in rows for cell in row if re.fullmatch(r"VNN-HC-2026-C?\d{6}", cell)}
    vouchers = {"VNN-HC-2026-C000001", "VNN-HC-2026-C000003"}
    assert receipts == {f"VNN-HC-2026-{n:06d}" for n in (6, 7, 8, 9)} | vouchers

    report = await officer.say("/baocao", f"📈 {CAMPAIGN}")
    assert "thu 88.600.000 ₫, chi 88.500.000 ₫, số dư 100.000 ₫" in report
    assert "Đã chi: 8.500.000 ₫ — Số dư: 1.800.000 ₫" in report
    ledger_file = await officer.file("CSV")  # the newest report's: this campaign's ledger
    assert ledger_file.document_bytes is not None
    table = list(csv.DictReader(io.StringIO(ledger_file.document_bytes.decode("utf-8-sig"))))
    assert [row["Số biên nhận"] for row in table] == [f"VNN-HC-2026-{n:06d}" for n in (6, 7, 8, 9)]
    assert all(row["Ghi lúc (giờ Việt Nam)"].endswith("+07:00") for row in table)


async def check_database(app: App) -> None:
    """Balance exact, each bank reference once, receipts and vouchers without a gap."""
    balance = await Ledger(app.db).balance(ward_id="20257", campaign_id=2)
    assert (balance.gifts, balance.spent, balance.available) == (10_300_000, 8_500_000, 1_800_000)
    fund = await Ledger(app.db).balance(ward_id="20257", fund="vnn")
    assert (fund.gifts, fund.spent, fund.available) == (88_600_000, 88_500_000, 100_000)
    refs = await app.db.fetchall(
        "SELECT reference, COUNT(*) FROM donation_entries WHERE reference LIKE 'FT2632410%'"
        " GROUP BY reference ORDER BY reference"
    )
    assert [tuple(row) for row in refs] == [
        ("FT26324100", 1),
        ("FT26324101", 1),
        ("FT26324102", 1),
    ]
    receipts = await app.db.fetchall("SELECT receipt FROM donation_entries ORDER BY receipt")
    assert [row[0] for row in receipts] == [f"VNN-HC-2026-{n:06d}" for n in range(1, 10)]
    vouchers = await app.db.fetchall("SELECT voucher FROM donation_disbursements")
    assert [row[0] for row in vouchers] == [f"VNN-HC-2026-C{n:06d}" for n in (1, 2, 3)]
    lines = await app.db.fetchone("SELECT COUNT(*) FROM donation_statement_lines")
    assert lines is not None and lines[0] == 3


async def test_the_whole_fund_story_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """Campaign, account and QR, gifts by hand and by statement, payments, sao kê, balance."""
    now = app.services.clock()
    await app.services.users.set_role("telegram", str(OFFICER), "officer", "20257", now=now)
    officer = Person(fake_telegram, OFFICER)
    resident = Person(fake_telegram, RESIDENT)
    async with telegram_running(app, fake_telegram):
        await make_campaign_with_account(officer)
        await give_by_hand(officer)
        await import_statement(officer, fake_telegram)
        await pay_out(officer)
        await pay_from_the_fund_then_the_campaign(officer)
        await check_public_side(resident)
        await check_officer_files(officer)
    await check_database(app)
