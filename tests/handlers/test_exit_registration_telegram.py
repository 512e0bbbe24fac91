"""Registration to exit poverty on Telegram: real PTB Application against the fake Bot API."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from bot.app import App
from storage.registrations import RegistrationRepository, Status
from tests.fakes.telegram_api import FakeBotApi, SentMessage
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat, FakeClock, new_app, telegram_running

RESIDENT = 6001
OFFICER = 6002
ROOT = Path(__file__).resolve().parents[2]


async def expect(fake: FakeBotApi, user: int, after: int, part: str) -> SentMessage:
    """Wait until a new message to `user` contains `part`; returns it."""
    count = 1
    while True:
        messages = await fake.wait_for_next(user, after=after, count=count)
        for message in messages:
            if part in message.plain_text:
                return message
        count = len(messages) + 1


async def say(fake: FakeBotApi, user: int, text: str, part: str) -> SentMessage:
    """Type `text` and wait for a reply containing `part`."""
    mark = fake.mark(user)
    fake.push_message(user, text)
    return await expect(fake, user, mark, part)


async def press(fake: FakeBotApi, user: int, label: str, part: str) -> SentMessage:
    """Press the newest button whose label contains `label`; wait for a reply with `part`."""
    data = next(
        data
        for message in reversed(fake.messages_to(user))
        for text, data in message.buttons()
        if label in text
    )
    mark = fake.mark(user)
    fake.push_callback(user, data)
    return await expect(fake, user, mark, part)


async def test_form_and_workflow_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """The form by buttons and text, bad inputs kept on step, status pushes and XLSX export."""
    fake = fake_telegram
    await app.services.users.set_role(
        "telegram", str(OFFICER), "officer", "20257", now=app.services.clock()
    )
    async with telegram_running(app, fake):
        await say(fake, RESIDENT, "/start", "Xin chào")
        await press(fake, RESIDENT, "Đăng ký thoát nghèo", "91/2025/QH15")
        await press(fake, RESIDENT, "đồng ý", "Họ và tên")
        await say(fake, RESIDENT, "An", "Họ tên chưa hợp lệ")
        await say(fake, RESIDENT, "Trần Thị Bình", "Ngày sinh")
        await say(fake, RESIDENT, "30/02/1985", "không có trên lịch")
        await say(fake, RESIDENT, "12/08/1985", "Giới tính")
        await press(fake, RESIDENT, "Nữ", "dân tộc")
        await say(fake, RESIDENT, "Cơ Tu", "căn cước")
        await say(fake, RESIDENT, "123", "đúng 12 chữ số")
        await say(fake, RESIDENT, "099185001234", "mã tỉnh")
        await say(fake, RESIDENT, "049185001234", "Số điện thoại")
        await say(fake, RESIDENT, "0123456789", "chưa hợp lệ")
        await say(fake, RESIDENT, "0905123456", "xã, phường hay đặc khu nào")
        await press(fake, RESIDENT, "Hòa Cường", "Địa chỉ")
        await say(fake, RESIDENT, "Thôn 3, xã A", "Mã hộ")
        await say(fake, RESIDENT, "HN-2024-15", "bao nhiêu người")
        await say(fake, RESIDENT, "5", "Thu nhập")
        await say(fake, RESIDENT, "vài đồng", "không đọc được")
        await say(fake, RESIDENT, "4 triệu", "Nguyên nhân nghèo")
        question = fake.last_message_to(RESIDENT)
        assert question is not None
        toggled = await press(fake, RESIDENT, "Ốm đau", "Nguyên nhân nghèo")
        assert "✅ Ốm đau/bệnh tật" in [text for text, _ in toggled.buttons()]
        # A toggle changes the pressed message in place: no new copy of the question.
        assert toggled.edited and toggled.message_id == question.message_id
        sent_before = fake.call_counts["sendmessage"]
        untoggled = await press(fake, RESIDENT, "Ốm đau", "Nguyên nhân nghèo")  # off again
        assert untoggled.edited and untoggled.message_id == question.message_id
        assert "✅ Ốm đau/bệnh tật" not in [text for text, _ in untoggled.buttons()]
        assert fake.call_counts["sendmessage"] == sent_before
        # Telegram may refuse an edit (the message is too old): the reply then comes anew.
        fake.fail_next(
            "editMessageText", status=400, description="Bad Request: message can't be edited"
        )
        toggled = await press(fake, RESIDENT, "Ốm đau", "Nguyên nhân nghèo")
        assert not toggled.edited and "✅ Ốm đau/bệnh tật" in [t for t, _ in toggled.buttons()]
        assert fake.call_counts["sendmessage"] == sent_before + 1
        # "Message is not modified" (a double tap shown already) is no failure: nothing is sent.
        other = next(
            data
            for text, data in toggled.buttons()
            if data.startswith("reg:cause:") and not text.startswith("✅")
        )
        fake.fail_next(
            "editMessageText",
            status=400,
            description="Bad Request: message is not modified: specified new message content",
        )
        edits = fake.call_counts["editmessagetext"]
        fake.push_callback(RESIDENT, other)
        await press(fake, RESIDENT, "Xong", "mong muốn")  # handled after the toggle, in order
        assert fake.call_counts["editmessagetext"] == edits + 1
        assert fake.call_counts["sendmessage"] == sent_before + 2  # the next question only
        toggled = await press(fake, RESIDENT, "Học nghề", "mong muốn")
        assert "✅ Học nghề" in [text for text, _ in toggled.buttons()] and toggled.edited
        await press(fake, RESIDENT, "Xong", "năm nào")
        await press(fake, RESIDENT, "2027", "Tôi cam kết")
        summary = await press(fake, RESIDENT, "Tôi cam kết", "kiểm tra lại")
        assert "Trần Thị Bình" in summary.plain_text and "4.000.000 ₫" in summary.plain_text
        done = await press(fake, RESIDENT, "Gửi đăng ký", "TN-2026-000001")
        assert "Mẫu số 04" in done.plain_text

        await say(fake, OFFICER, "/start", "cán bộ")
        await press(fake, OFFICER, "Quản lý đăng ký", "1 hồ sơ")
        listing = await press(fake, OFFICER, "Đã gửi (1)", "trang 1")
        assert any("*********1234" in text for text, _ in listing.buttons()) is False
        assert any("********1234" in text for text, _ in listing.buttons())
        await press(fake, OFFICER, "TN-2026-000001", "Lịch sử")
        await press(fake, OFFICER, "Đang xem xét", "Gõ ghi chú")
        mark = fake.mark(RESIDENT)
        mark_officer = fake.mark(OFFICER)
        await say(fake, OFFICER, "Đã nhận, sẽ liên hệ", "Đã chuyển hồ sơ")
        # The confirmation comes first, then the record again: wait for both before pressing.
        await expect(fake, OFFICER, mark_officer, "Lịch sử")
        pushed = await expect(fake, RESIDENT, mark, "TN-2026-000001")
        assert "Đang xem xét" in pushed.plain_text
        assert "Đã nhận, sẽ liên hệ" in pushed.plain_text

        await press(fake, OFFICER, "Về danh sách", "trang 1")
        await press(fake, OFFICER, "Về hộp hồ sơ", "hồ sơ")
        await press(fake, OFFICER, "Tổng hợp", "Ốm đau/bệnh tật: 1")
        document = await press(fake, OFFICER, "XLSX", "Danh sách 1 hồ sơ")
        assert document.document_name == "dang-ky-thoat-ngheo-20257.xlsx"
        assert document.document_bytes is not None
        sheet = load_workbook(io.BytesIO(document.document_bytes)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][0] == "TN-2026-000001"
        assert rows[1][3] == "Trần Thị Bình"
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.status is Status.IN_REVIEW
    assert stored.channel == "telegram"
    assert stored.household_code == "HN-2024-15"


def test_cli_export_as_subprocess(tmp_path: Path) -> None:
    """`giamngheo registrations export` writes CSV and XLSX files for a ward."""
    import asyncio

    path = tmp_path / "cli.sqlite3"

    async def prepare() -> None:
        app = await new_app(path, FakeClock())
        try:
            await submit(Chat(app, "cli-resident"))
        finally:
            await app.close()

    asyncio.run(prepare())
    out = tmp_path / "ds.xlsx"
    base = [sys.executable, "-m", "bot", "--db", str(path), "registrations", "export"]
    run = subprocess.run(
        [*base, "--ward", "20257", "--format", "xlsx", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Đã xuất 1 hồ sơ" in run.stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "TN-2026-000001"
    assert rows[1][3] == "Nguyễn Văn An"
    csv_out = tmp_path / "ds.csv"
    run = subprocess.run(
        [*base, "--ward", "20257", "-o", str(csv_out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "TN-2026-000001" in csv_out.read_text(encoding="utf-8-sig")
    missing = subprocess.run(
        [*base, "--ward", "khong-co"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "Không có xã/phường/đặc khu" in missing.stderr
