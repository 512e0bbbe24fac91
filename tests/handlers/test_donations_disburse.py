"""Money out (phiếu chi) through the channel-neutral core: balance, scope, privacy, reversal."""

from __future__ import annotations

import asyncio
import re

from bot.app import App
from storage.registrations import NewRegistration, RegistrationRepository
from storage.users import Ward
from tests.harness import Chat, FakeClock, make_officer, text_of

VOUCHER = re.compile(r"VNN-HC-2026-C\d{6}")
DEMO_RAISED = 78_300_000  # the demo campaign's gifts up to 21/11/2026


async def count_out(app: App) -> int:
    """How many disbursement rows are stored."""
    row = await app.db.fetchone("SELECT COUNT(*) FROM donation_disbursements")
    assert row is not None
    return int(row[0])


async def walk(
    officer: Chat, *, amount: str = "5 triệu", name: str = "", public: bool = False
) -> str:
    """Walk /chi up to the confirmation screen for a housing payment; return its text."""
    await officer.send("/chi")
    await officer.tap("Vận động Quỹ Vì người nghèo năm 2026")
    await officer.tap("Xây, sửa nhà")
    if name:
        await officer.tap("Ghi tên người nhận")
        await officer.send(name)
        await officer.tap("Hộ đồng ý" if public else "Không công khai")
    else:
        await officer.send("HN-048-0012")
    await officer.send(amount)
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.send("15/QĐ-BVĐ")
    await officer.send("20/11/2026")
    await officer.tap("Bỏ qua")
    return officer.last.text


async def test_a_payment_within_the_balance_gets_a_voucher(app: App, officer: Chat) -> None:
    """A 5.000.000 ₫ payment is recorded once, audited, with a voucher and the balance left."""
    summary = await walk(officer)
    assert "hộ mã HN-048-0012" in summary
    assert "15/QĐ-BVĐ" in summary and "78.300.000 ₫" in summary
    done = text_of(await officer.tap("Xác nhận"))
    voucher = VOUCHER.search(done)
    assert voucher is not None and voucher.group(0) == "VNN-HC-2026-C000001"
    assert "73.300.000 ₫" in done
    row = await app.db.fetchone(
        "SELECT amount, purpose, household_code, decision_number, decision_date, method"
        " FROM donation_disbursements WHERE voucher = ?",
        (voucher.group(0),),
    )
    assert row is not None
    assert tuple(row) == (5_000_000, "housing", "HN-048-0012", "15/QĐ-BVĐ", "2026-11-20", "cash")
    audit = await app.services.audit.recent(action_prefix="donations.disbursed")
    assert audit[0].detail["voucher"] == voucher.group(0)


async def test_a_payment_over_the_balance_is_refused_and_nothing_lost(
    app: App, officer: Chat
) -> None:
    """Above the balance: refused at the amount step, the same question again, nothing stored."""
    await officer.send("/chi")
    await officer.tap("Vận động Quỹ Vì người nghèo năm 2026")
    await officer.tap("Cứu đói")
    await officer.send("HN-048-0012")
    refused = text_of(await officer.send("100 triệu"))
    officer.expect("donations.disburse.ask_amount")
    assert "vượt số dư" in refused and "78.300.000 ₫" in refused
    await officer.send("78,3 triệu")
    officer.expect("donations.disburse.ask_method")
    assert await count_out(app) == 0


async def test_the_balance_is_exact_in_the_report(app: App, officer: Chat) -> None:
    """/baocao shows gifts − disbursements to the đồng, per campaign and for the fund."""
    await walk(officer, amount="1.234.567")
    await officer.tap("Xác nhận")
    report = text_of(await officer.send("/baocao"))
    assert "Đã chi: 1.234.567 ₫ — Số dư: 77.065.433 ₫" in report
    assert "thu 78.300.000 ₫, chi 1.234.567 ₫, số dư 77.065.433 ₫" in report


async def test_a_double_tap_records_one_voucher(app: App, officer: Chat) -> None:
    """Confirm pressed twice at once records one disbursement; the second shows it again."""
    await walk(officer)
    first, second = await asyncio.gather(officer.press("chi:ok"), officer.press("chi:ok"))
    texts = text_of(first) + text_of(second)
    assert set(VOUCHER.findall(texts)) == {"VNN-HC-2026-C000001"}
    assert await count_out(app) == 1
    again = text_of(await officer.press("chi:ok"))
    assert "đã được ghi rồi" in again


async def test_concurrent_officers_never_overdraw(app: App) -> None:
    """Two officers each paying 50 triệu of 78,3 triệu at the same moment: one is refused."""
    one, two = Chat(app, "officer-a"), Chat(app, "officer-b")
    for chat in (one, two):
        await make_officer(app, chat)
        await walk(chat, amount="50 triệu")
    results = await asyncio.gather(one.tap("Xác nhận"), two.tap("Xác nhận"))
    texts = [text_of(r) for r in results]
    assert sum(bool(VOUCHER.search(t)) for t in texts) == 1
    assert sum("vượt số dư có thể chi" in t for t in texts) == 1
    assert await count_out(app) == 1


async def test_another_wards_officer_is_refused(app: App, clock: FakeClock) -> None:
    """An officer of another ward cannot pay from the demo ward's campaign, even forged."""
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
    await other.send("/chi")
    other.expect("donations.disburse.no_source")
    assert "Không tìm thấy đợt" in text_of(await other.press("chi:src:c:1"))
    session = await app.services.sessions.load("test", "officer-2", now=clock())
    forged = {
        "ward": "20257",
        "campaign": 1,
        "fund": "vnn",
        "purpose": "hunger",
        "household": "HN-1",
        "amount": 1_000_000,
        "method": "cash",
        "date": "2026-11-21",
        "decision": "1/QĐ",
        "decision_date": "2026-11-21",
        "note_done": True,
        "key": "forged",
    }
    session.enter("chi", "confirm", forged)
    await app.services.sessions.save(session, now=clock(), message_id="forge-1")
    assert "quyền" in text_of(await other.press("chi:ok"))
    assert await count_out(app) == 0


async def test_the_public_sees_no_name_without_consent(app: App, officer: Chat) -> None:
    """/minhbach lists purpose, commune and amount; a name only when the household agreed."""
    await walk(officer, amount="2 triệu", name="Trần Văn Bình", public=False)
    await officer.tap("Xác nhận")
    await walk(officer, amount="3 triệu", name="Lê Thị Hoa", public=True)
    await officer.tap("Xác nhận")
    public = text_of(await Chat(app, "resident-9").send("/minhbach"))
    assert "Xây, sửa nhà ở — Phường Hòa Cường — 2.000.000 ₫" in public
    assert "Trần Văn Bình" not in public
    assert "Lê Thị Hoa" in public
    assert "Đã chi: 5.000.000 ₫ — Còn lại: 73.300.000 ₫" in public


async def test_a_reversal_returns_the_money_once(app: App, officer: Chat) -> None:
    """/daobut on a voucher reverses it once; on the reversal it says it is one."""
    await walk(officer)
    await officer.tap("Xác nhận")
    done = text_of(await officer.send("/daobut VNN-HC-2026-C000001 chi nhầm hộ"))
    assert "VNN-HC-2026-C000002" in done
    again = text_of(await officer.send("/daobut VNN-HC-2026-C000001 lần nữa"))
    assert "đã có bút toán đảo" in again
    itself = text_of(await officer.send("/daobut VNN-HC-2026-C000002 lần nữa"))
    assert "là một bút toán đảo" in itself
    report = text_of(await officer.send("/baocao"))
    assert "Đã chi: 0 ₫ — Số dư: 78.300.000 ₫" in report
    assert await count_out(app) == 2


async def test_edit_goes_back_to_one_part_then_confirms(app: App, officer: Chat) -> None:
    """Edit → amount: goods, quantity and value are asked, then the confirm screen again."""
    await walk(officer)
    await officer.tap("Sửa")
    await officer.tap("Số tiền / hiện vật")
    await officer.tap("Hiện vật")
    await officer.send("Gạo ST25")
    await officer.send("20 bao 10 kg")
    summary = text_of(await officer.send("4 triệu"))
    assert "4.000.000 ₫ (hiện vật: Gạo ST25, số lượng 20 bao 10 kg)" in summary
    assert "15/QĐ-BVĐ" in summary
    await officer.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT method, goods, quantity, amount FROM donation_disbursements"
    )
    assert row is not None and tuple(row) == ("in_kind", "Gạo ST25", "20 bao 10 kg", 4_000_000)


async def test_bad_decision_and_beneficiary_are_asked_again(app: App, officer: Chat) -> None:
    """A code with spaces, a decision without digits or after the payment: same step again."""
    await officer.send("/chi")
    await officer.tap("Toàn Quỹ")
    await officer.tap("Quà Tết")
    assert "Chưa nhận ra mã" in text_of(await officer.send("nhà bà Lan"))
    assert "Không thấy hồ sơ" in text_of(await officer.send("TN-2026-000999"))
    await officer.send("HN-1")
    await officer.send("1 triệu")
    await officer.tap("Chuyển khoản")
    await officer.send("19/11/2026")
    assert "cần có chữ số" in text_of(await officer.send("quyết định"))
    await officer.send("7/QĐ")
    assert "trước hoặc đúng ngày chi (19/11/2026)" in text_of(await officer.send("20/11/2026"))
    await officer.send("18/11/2026")
    await officer.tap("Bỏ qua")
    assert "toàn Quỹ" in text_of(await officer.tap("Xác nhận"))
    row = await app.db.fetchone("SELECT campaign_id, fund FROM donation_disbursements")
    assert row is not None and tuple(row) == (None, "vnn")


async def registration(app: App, ward_id: str, household: str = "") -> str:
    """An exit registration of a household in `ward_id`; returns its TN code."""
    now = app.services.clock()
    user = await app.services.users.get_or_create(
        "test", f"resident-{ward_id}", chat_id="c", language="vi", display_name="Hộ", now=now
    )
    made, _ = await RegistrationRepository(app.db).create(
        NewRegistration(
            user_id=user.id,
            channel="test",
            chat_id="c",
            ward_id=ward_id,
            full_name="Đỗ Văn Tâm",
            birth_date="1980-01-01",
            sex="male",
            ethnicity="Kinh",
            id_number="",
            phone="",
            address="Tổ 3",
            household_code=household,
            members=4,
            monthly_income=1_500_000,
            causes=[],
            cause_other="",
            supports=[],
            support_other="",
            target_year=2027,
        ),
        token=f"tok-{ward_id}",
        now=now,
        year=2026,
    )
    return made.code


async def test_a_registration_of_the_ward_is_linked(app: App, officer: Chat) -> None:
    """The ward's exit registration is offered as a button and linked; the name stays private."""
    code = await registration(app, "20257")
    await officer.send("/chi")
    await officer.tap("Vận động Quỹ Vì người nghèo năm 2026")
    await officer.tap("Hỗ trợ sản xuất")
    await officer.tap(code)
    await officer.send("3 triệu")
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.send("16/QĐ-BVĐ")
    await officer.tap("Hôm nay")
    summary = text_of(await officer.tap("Bỏ qua"))
    assert f"hộ có hồ sơ đăng ký thoát nghèo {code}" in summary
    await officer.tap("Xác nhận")
    row = await app.db.fetchone("SELECT registration_id, name_public FROM donation_disbursements")
    assert row is not None and row[0] == int(code.rsplit("-", 1)[1]) and row[1] == 0
    public = text_of(await Chat(app, "resident-7").send("/minhbach"))
    assert "Hỗ trợ sản xuất, sinh kế — Phường Hòa Cường — 3.000.000 ₫" in public
    assert "Đỗ Văn Tâm" not in public and code not in public


async def test_a_registration_of_another_ward_is_refused(app: App, officer: Chat) -> None:
    """A TN code of another ward's registration is not accepted as the beneficiary."""
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
    code = await registration(app, "20275")
    await officer.send("/chi")
    await officer.tap("Toàn Quỹ")
    await officer.tap("Cứu đói")
    assert code not in [c.label for c in officer.last.choices]
    refused = text_of(await officer.send(code))
    assert "Không thấy hồ sơ" in refused
    officer.expect("donations.disburse.ask_beneficiary")


async def test_anyone_can_look_up_a_voucher(app: App, officer: Chat) -> None:
    """/tracuu on a voucher shows purpose, commune, amount and decision; no private name."""
    await walk(officer, amount="2 triệu", name="Trần Văn Bình", public=False)
    await officer.tap("Xác nhận")
    resident = Chat(app, "resident-3")
    found = text_of(await resident.send("/tracuu vnn-hc-2026-c000001"))
    assert "Xây, sửa nhà ở — Phường Hòa Cường — 2.000.000 ₫" in found
    assert "15/QĐ-BVĐ" in found and "Trần Văn Bình" not in found
    await officer.send("/daobut VNN-HC-2026-C000001 nhầm")
    assert "VNN-HC-2026-C000002" in text_of(await resident.send("/tracuu VNN-HC-2026-C000001"))
    assert "bút toán đảo" in text_of(await resident.send("/tracuu VNN-HC-2026-C000002"))


async def test_a_gift_already_spent_is_not_reversed(app: App, officer: Chat) -> None:
    """/daobut on a gift whose money was paid out says so; the balance never goes negative."""
    await walk(officer, amount="78,3 triệu")
    await officer.tap("Xác nhận")
    row = await app.db.fetchone("SELECT receipt FROM donation_entries ORDER BY id LIMIT 1")
    assert row is not None
    said = text_of(await officer.send(f"/daobut {row[0]} nhập sai"))
    assert "đã được chi" in said
    report = text_of(await officer.send("/baocao"))
    assert "Số dư: 0 ₫" in report


async def test_the_fund_menu_offers_money_out(app: App, officer: Chat) -> None:
    """The officers' fund menu has "Ghi khoản chi", which starts the disbursement flow."""
    hub = await officer.press("menu:donations")
    assert "Ghi khoản chi" in [c.label for c in hub[-1].choices]
    await officer.tap("Ghi khoản chi")
    officer.expect("donations.disburse.ask_source")


async def test_a_resident_cannot_disburse(app: App, resident: Chat) -> None:
    """/chi and a forged confirm button are refused to a resident; nothing is stored."""
    assert "quyền" in text_of(await resident.send("/chi"))
    assert "quyền" in text_of(await resident.press("chi:ok"))
    assert await count_out(app) == 0


async def test_a_small_number_is_not_a_household_code(app: App, officer: Chat) -> None:
    """A small number at the beneficiary step (maybe a button number) is not a code."""
    await officer.send("/chi")
    await officer.tap("Toàn Quỹ")
    await officer.tap("Cứu đói")
    assert "Chưa nhận ra mã" in text_of(await officer.send("12"))
    officer.expect("donations.disburse.ask_beneficiary")


async def test_a_household_code_links_its_registration(app: App, officer: Chat) -> None:
    """A typed household code that an exit registration of the ward carries links that record."""
    code = await registration(app, "20257", household="HN-048-0099")
    await officer.send("/chi")
    await officer.tap("Toàn Quỹ")
    await officer.tap("Hỗ trợ học tập")
    await officer.send("hn-048-0099")
    await officer.send("1 triệu")
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.send("17/QĐ-BVĐ")
    await officer.tap("Hôm nay")
    summary = text_of(await officer.tap("Bỏ qua"))
    assert f"{code}, HN-048-0099" in summary
    await officer.tap("Xác nhận")
    row = await app.db.fetchone(
        "SELECT registration_id, household_code FROM donation_disbursements"
    )
    assert row is not None and tuple(row) == (int(code.rsplit("-", 1)[1]), "HN-048-0099")
