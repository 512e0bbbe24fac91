"""The gift-logging and campaign flows through the channel-neutral core."""

from __future__ import annotations

import re

from bot.app import App
from bot.core.i18n import Translator
from handlers.donations._reports import export_bytes
from storage.ledger import Ledger
from storage.users import Ward
from tests.harness import Chat, FakeClock, make_officer, text_of

RECEIPT = re.compile(r"VNN-HC-2026-\d{6}")


async def count_entries(app: App) -> int:
    """How many ledger rows are stored."""
    row = await app.db.fetchone("SELECT COUNT(*) FROM donation_entries")
    assert row is not None
    return int(row[0])


async def log_gift(officer: Chat, *, amount: str = "2 triệu", name: str = "Trần Thị Bình") -> str:
    """Walk the logging flow for a cash gift and return the confirmation text."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send(name)
    await officer.send(amount)
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.tap("Đồng ý công khai")
    await officer.tap("Bỏ qua")
    return officer.last.text


async def test_log_gift_end_to_end(app: App, officer: Chat) -> None:
    """An officer logs a cash gift, confirms, and gets a receipt stored once in the ledger."""
    summary = await log_gift(officer)
    assert "2.000.000 ₫" in summary
    assert "Trần Thị Bình" in summary
    replies = await officer.tap("Xác nhận")
    text = text_of(replies)
    match = RECEIPT.search(text)
    assert match is not None
    row = await app.db.fetchone(
        "SELECT amount, donor_name, public, method, kind FROM donation_entries WHERE receipt = ?",
        (match.group(0),),
    )
    assert row is not None
    assert tuple(row) == (2_000_000, "Trần Thị Bình", 1, "cash", "gift")
    audit = await app.services.audit.recent(action_prefix="donations.recorded")
    assert audit[0].detail["receipt"] == match.group(0)


async def test_double_tap_confirm_records_once(app: App, officer: Chat) -> None:
    """Pressing Confirm twice records one entry and shows the same receipt again."""
    await log_gift(officer)
    before = await count_entries(app)
    first = text_of(await officer.press("don:ok"))
    second = text_of(await officer.press("don:ok"))
    receipt = RECEIPT.search(first)
    assert receipt is not None
    assert receipt.group(0) in second
    assert "đã được ghi rồi" in second
    assert await count_entries(app) == before + 1


async def test_bad_amounts_are_asked_again(app: App, officer: Chat) -> None:
    """Unreadable, ambiguous, too small and too large amounts are refused and asked again."""
    await officer.send("/ghinhan")
    await officer.tap("Doanh nghiệp")
    await officer.send("Công ty A")
    assert "chưa đọc được" in text_of(await officer.send("nhiều lắm"))
    assert "nhiều cách" in text_of(await officer.send("800"))
    assert "phải từ 1.000 ₫" in text_of(await officer.send("500 đồng"))
    assert "phải từ 1.000 ₫" in text_of(await officer.send("200 tỷ"))
    big = text_of(await officer.send("1,2 tỷ"))
    assert "1.200.000.000 ₫" in big
    assert "rất lớn" in big
    await officer.tap("Nhập lại")
    await officer.send("1tr5")
    assert "Hình thức" in officer.last.text
    assert officer.history[-1].choices[0].payload == "don:m:cash"


async def test_big_amount_confirmed(app: App, officer: Chat) -> None:
    """A confirmed amount of 1 tỷ or more goes on to the method question."""
    await officer.send("/ghinhan")
    await officer.tap("Doanh nghiệp")
    await officer.send("Công ty B")
    await officer.send("3 tỷ")
    await officer.tap("Đúng")
    await officer.tap("Chuyển khoản")
    assert "mã giao dịch" in officer.last.text
    await officer.send("FT26325123")
    await officer.send("20/11/2026")
    await officer.tap("Không công khai")
    await officer.send("Qua ngân hàng")
    assert "3.000.000.000 ₫" in officer.last.text
    assert "FT26325123" in officer.last.text
    await officer.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT amount, reference, donated_on, public FROM donation_entries WHERE amount = ?",
        (3_000_000_000,),
    )
    assert row is not None
    assert tuple(row) == (3_000_000_000, "FT26325123", "2026-11-20", 0)


async def test_bad_dates_are_refused(app: App, officer: Chat) -> None:
    """Future dates, dates before the campaign start and nonsense are refused."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.tap("Ẩn danh")
    await officer.send("100 nghìn")
    await officer.tap("Hiện vật")
    await officer.send("gạo")
    await officer.send("10 kg")
    assert "tương lai" in text_of(await officer.send("22/11/2026"))
    assert "01/03/2026" in text_of(await officer.send("28/02/2026"))
    assert "chưa đúng" in text_of(await officer.send("31/02/2026"))
    assert "chưa đúng" in text_of(await officer.send("sáng mai"))
    await officer.send("hôm qua")
    assert "Ghi chú" in officer.last.text  # anonymous: no consent question
    await officer.tap("Bỏ qua")
    assert "Ẩn danh" in officer.last.text
    assert "20/11/2026" in officer.last.text
    await officer.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT donor_name, public, method, reference, goods, quantity FROM donation_entries"
        " WHERE donated_on = '2026-11-20' AND amount = 100000"
    )
    assert row is not None
    assert tuple(row) == ("", 0, "in_kind", "", "gạo", "10 kg")


async def test_resident_cannot_log(app: App, resident: Chat) -> None:
    """A resident gets a permission error for the command and for forged payloads."""
    assert "quyền" in text_of(await resident.send("/ghinhan"))
    assert "quyền" in text_of(await resident.press("rep:csv:1"))
    assert "quyền" in text_of(await resident.press("don:ok"))
    assert await count_entries(app) == 5  # the demo gifts only


async def test_other_ward_cannot_use_campaign(app: App, clock: FakeClock) -> None:
    """An officer of another ward cannot pick, report or export the demo ward's campaign."""
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
    other = Chat(app, "officer-2")
    await make_officer(app, other, ward_id="20275")
    assert "chưa có đợt vận động" in text_of(await other.send("/ghinhan"))
    await other.send("/taodot")
    await other.send("Đợt An Hải Bắc")
    await other.tap("Vì người nghèo")
    await other.send("100 triệu")
    await other.send("01/11/2026")
    await other.send("31/12/2026")
    await other.tap("Xác nhận")
    await other.send("/ghinhan")
    assert "Đợt An Hải Bắc" in text_of(other.history[-2:])
    # Forge the demo ward's campaign id (1) and its report buttons.
    await other.send("/ghinhan")
    other_session = await app.services.sessions.load("test", "officer-2", now=clock())
    other_session.enter("don", "campaign")
    await app.services.sessions.save(other_session, now=clock(), message_id="forge-1")
    assert "quyền" in text_of(await other.press("don:c:1"))
    denied = text_of(await other.press("rep:xlsx:1"))
    assert "quyền" in denied
    denied = text_of(await other.press("rep:chart:1"))
    assert "quyền" in denied
    report = text_of(await other.send("/baocao"))
    assert "Đợt An Hải Bắc" in report
    assert "Vận động Quỹ Vì người nghèo năm 2026" not in report
    assert "quyền" in text_of(await other.send("/daobut VNN-HC-2026-000001 nhầm"))
    audit = await app.services.audit.recent(action_prefix="access.denied")
    assert len(audit) >= 3


async def test_campaign_flow_creates_campaign(app: App, officer: Chat) -> None:
    """An officer creates a campaign for their ward; it appears in the report."""
    await officer.send("/taodot")
    await officer.send("Tháng cao điểm Vì người nghèo 2026")
    await officer.tap("Đền ơn")
    assert "Mục tiêu" in officer.last.text
    await officer.send("3,7 tỷ")
    await officer.send("17/10/2026")
    assert "trước ngày bắt đầu" in text_of(await officer.send("16/10/2026"))
    await officer.send("18/11/2026")
    assert "3.700.000.000 ₫" in officer.last.text
    await officer.tap("Xác nhận")
    assert "Đã tạo" in officer.last.text
    row = await app.db.fetchone(
        "SELECT ward_id, fund, target, starts_on, ends_on FROM donation_campaigns WHERE name = ?",
        ("Tháng cao điểm Vì người nghèo 2026",),
    )
    assert row is not None
    assert tuple(row) == ("20257", "doand", 3_700_000_000, "2026-10-17", "2026-11-18")
    assert "Tháng cao điểm" in text_of(await officer.send("/baocao"))


async def test_admin_creates_province_campaign(app: App) -> None:
    """An admin may create a campaign for the whole province of their ward (no district)."""
    admin = Chat(app, "admin-1")
    await make_officer(app, admin, role="admin")
    await admin.send("/taodot")
    await admin.send("Toàn thành phố 2026")
    await admin.tap("Vì người nghèo")
    scope = admin.last
    assert [c.label for c in scope.choices if "quận" in c.label.lower()] == []
    await admin.tap("Toàn Thành phố Đà Nẵng")
    await admin.send("1 tỷ")
    await admin.send("hôm nay")
    await admin.send("31/12/2026")
    assert "Toàn Thành phố Đà Nẵng" in admin.last.text
    await admin.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT ward_id, province_code FROM donation_campaigns WHERE name = 'Toàn thành phố 2026'"
    )
    assert row is not None
    assert tuple(row) == (None, "48")
    other_province = await app.services.users.wards()
    assert [w.province_code for w in other_province] == ["48"]


async def test_help_names_each_command_once(officer: Chat, resident: Chat) -> None:
    """/help gives each command once with what it does; officers' commands only to officers."""
    officer_help = text_of(await officer.send("/help"))
    for command in ("/ghinhan", "/taodot", "/baocao", "/daobut", "/minhbach", "/tracuu"):
        lines = [line for line in officer_help.splitlines() if command in line]
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{command} — ") and lines[0].count(command) == 1
    assert "/tracuu — kiểm tra một khoản ủng hộ đã được ghi nhận: gõ kèm số biên nhận" in (
        officer_help
    )
    resident_help = text_of(await resident.send("/help"))
    assert "/minhbach — công khai số thu của Quỹ" in resident_help
    assert "/ghinhan" not in resident_help and "/daobut" not in resident_help


async def start_gift(officer: Chat, *, name: str = "Công ty B", amount: str = "3 triệu") -> None:
    """Start logging a business gift of `amount` up to the method question."""
    await officer.send("/ghinhan")
    await officer.tap("Doanh nghiệp")
    await officer.send(name)
    await officer.send(amount)


async def test_a_recorded_bank_reference_is_warned_about(app: App, officer: Chat) -> None:
    """A transfer reference already recorded shows its receipt; going on needs a tap."""
    demo = await app.db.fetchone("SELECT receipt FROM donation_entries WHERE reference = 'FT2026'")
    assert demo is not None
    await start_gift(officer)
    await officer.tap("Chuyển khoản")
    warned = text_of(await officer.send("ft2026"))
    assert demo[0] in warned and "50.000.000 ₫" in warned
    await officer.tap("Nhập lại mã giao dịch")
    officer.expect("donations.ask_bank_ref")
    assert demo[0] in text_of(await officer.send("FT2026"))
    await officer.tap("Vẫn ghi")
    officer.expect("donations.ask_date")
    await officer.tap("Hôm nay")
    await officer.tap("Đồng ý công khai")
    await officer.tap("Bỏ qua")
    await officer.tap("Xác nhận")
    rows = await app.db.fetchall("SELECT id FROM donation_entries WHERE reference = 'FT2026'")
    assert len(rows) == 2


async def test_a_new_bank_reference_is_not_warned_about(app: App, officer: Chat) -> None:
    """A reference never recorded goes straight to the date question."""
    await start_gift(officer)
    await officer.tap("Chuyển khoản")
    await officer.send("FT99999")
    officer.expect("donations.ask_date")


async def test_an_in_kind_gift_keeps_goods_in_receipt_lookup_and_export(
    app: App, officer: Chat
) -> None:
    """Goods and quantity are asked, shown on the receipt and /tracuu, and exported."""
    await start_gift(officer, amount="5 triệu")
    await officer.tap("Hiện vật")
    officer.expect("donations.gift.ask_goods")
    await officer.send("Gạo ST25")
    await officer.send("20 bao")
    await officer.tap("Hôm nay")
    await officer.tap("Đồng ý công khai")
    summary = text_of(await officer.tap("Bỏ qua"))
    assert "Gạo ST25 — số lượng 20 bao" in summary
    done = text_of(await officer.tap("Xác nhận"))
    assert "hiện vật: Gạo ST25, số lượng 20 bao" in done
    receipt = RECEIPT.findall(done)[0]
    looked = text_of(await Chat(app, "resident-5").send(f"/tracuu {receipt}"))
    assert "5.000.000 ₫" in looked and "Hiện vật: Gạo ST25 — số lượng 20 bao" in looked
    csv_text = (
        await export_bytes(Ledger(app.db), Translator("vi"), fmt="csv", campaign_id=1, ward_id=None)
    ).decode("utf-8-sig")
    assert "Hiện vật,Số lượng" in csv_text.splitlines()[0]
    assert "Gạo ST25,20 bao" in csv_text


async def test_a_number_at_the_name_step_is_not_taken_as_a_name(app: App, officer: Chat) -> None:
    """Typing "1" at the donor-name step asks whether "Ẩn danh" was meant."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    asked = text_of(await officer.send("1"))
    assert "Ẩn danh" in asked and '"1"' in asked
    await officer.tap("Ẩn danh")
    officer.expect("donations.ask_amount")
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send("2")
    await officer.tap('Tên đúng là "2"')
    await officer.send("1 triệu")
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.tap("Không công khai")
    summary = text_of(await officer.tap("Bỏ qua"))
    assert "Người ủng hộ: 2 (" in summary


async def test_edit_on_the_confirm_screen_changes_one_part(app: App, officer: Chat) -> None:
    """Edit → "Số tiền": only the amount is asked again, then the confirm screen."""
    await log_gift(officer)
    await officer.tap("Sửa")
    await officer.tap("Số tiền")
    summary = text_of(await officer.send("3 triệu"))
    assert "3.000.000 ₫" in summary and "Trần Thị Bình" in summary
    assert [c.payload for c in officer.last.choices][:2] == ["don:ok", "don:fix"]
    await officer.tap("Sửa")
    await officer.tap("Người ủng hộ")
    await officer.tap("Tổ chức")
    await officer.send("Hội Nông dân")
    consent = officer.last.text
    officer.expect("donations.ask_public")
    assert consent
    await officer.tap("Không công khai")
    await officer.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT donor_type, donor_name, public, amount FROM donation_entries ORDER BY id DESC"
    )
    assert row is not None and tuple(row) == ("organisation", "Hội Nông dân", 0, 3_000_000)


async def test_reversing_a_reversal_says_it_is_one(app: App, officer: Chat) -> None:
    """/daobut on a reversal's number says it is a reversal, and records nothing."""
    await log_gift(officer)
    receipt = RECEIPT.findall(text_of(await officer.tap("Xác nhận")))[0]
    done = text_of(await officer.send(f"/daobut {receipt} nhập sai"))
    reversal = next(r for r in RECEIPT.findall(done) if r != receipt)
    before = await count_entries(app)
    said = text_of(await officer.send(f"/daobut {reversal} nhập sai"))
    assert "là một bút toán đảo" in said
    assert await count_entries(app) == before


async def test_a_number_at_the_note_step_is_not_taken_as_a_note(app: App, officer: Chat) -> None:
    """Typing "1" at the note step (button 1 is "Bỏ qua") asks again instead of storing "1"."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.tap("Ẩn danh")
    await officer.send("1 triệu")
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    said = text_of(await officer.send("1"))
    assert "Bỏ qua" in said
    officer.expect("donations.ask_note")
    summary = text_of(await officer.send("đợt 1"))
    assert "Ghi chú: đợt 1" in summary
