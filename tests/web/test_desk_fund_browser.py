"""In Chromium: an officer logs a gift and a disbursement and sees them on the public page."""

from __future__ import annotations

from playwright.async_api import FilePayload, Page, expect

from storage.bank import BankStore
from storage.ledger import Ledger
from tests.web.conftest import Accessibility, OfficerSignIn, Pages, Screenshots, WebApp

CAMPAIGN = "Vận động Quỹ Vì người nghèo năm 2026"


async def log_gift(page: Page, assert_accessible: Accessibility) -> str:
    """On the gift form: a bad amount first (refused, kept), then the gift; its receipt."""
    await page.get_by_label("Người ủng hộ là:").select_option(label="Cá nhân")
    await page.get_by_label("Tên người (hoặc đơn vị) ủng hộ").fill("Phạm Thị Hoa")
    await page.get_by_label("Người ủng hộ đồng ý công khai tên").check()
    await page.get_by_label("Số tiền (đồng)").fill("mấy trăm")
    await page.get_by_label("Tiền mặt").check()
    await page.get_by_label("Ngày ủng hộ").fill("2026-11-20")
    await page.get_by_role("button", name="Ghi nhận", exact=True).click()
    await expect(page.locator("#form-errors")).to_contain_text("Chưa ghi gì")
    await expect(page.locator("#err-amount")).to_be_visible()
    await expect(page.get_by_label("Tên người (hoặc đơn vị) ủng hộ")).to_have_value("Phạm Thị Hoa")
    await assert_accessible(page)
    await page.get_by_label("Số tiền (đồng)").fill("3 triệu")
    await page.get_by_role("button", name="Ghi nhận", exact=True).click()
    await expect(page.locator("#recorded")).to_contain_text("Số biên nhận")
    await assert_accessible(page)
    return await page.locator("#receipt").inner_text()


async def log_payment(page: Page, assert_accessible: Accessibility) -> str:
    """On the disbursement form: too much (refused with the balance), then 2,5 triệu."""
    await page.get_by_label("Khoản chi dùng vào việc gì?").select_option(label="Xây, sửa nhà ở")
    await page.get_by_label("Ghi tên người nhận").check()
    await page.get_by_label("Họ tên người nhận (chủ hộ)").fill("Đỗ Văn Hùng")
    await page.get_by_label("Hộ đồng ý công khai tên").check()
    amount = page.get_by_label("Số tiền chi, hoặc giá trị hiện vật (đồng)")
    await amount.fill("500 triệu")
    await page.get_by_label("Tiền mặt").check()
    await page.get_by_label("Số quyết định phê duyệt").fill("20/QĐ-BVĐ")
    await page.get_by_label("Ngày ký quyết định").fill("2026-11-20")
    await page.get_by_role("button", name="Ghi phiếu chi").click()
    await expect(page.locator("#err-amount")).to_contain_text("81.300.000 ₫")
    await assert_accessible(page)
    await amount.fill("2,5 triệu")
    await page.get_by_role("button", name="Ghi phiếu chi").click()
    await expect(page.locator("#recorded")).to_contain_text("Số dư còn lại: 78.800.000 ₫")
    await assert_accessible(page)
    return await page.locator("#voucher").inner_text()


async def import_statement(page: Page, campaign_id: int, assert_accessible: Accessibility) -> None:
    """Upload a one-line statement carrying the campaign's reference; record it with one press."""
    await page.get_by_role("link", name="Đối soát sao kê ngân hàng").click()
    await assert_accessible(page)
    csv = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
        f"19/11/2026,700.000,UNG HO GN{campaign_id},FT700\n"
        "18/11/2026,200.000,chuyen khoan,FT200\n"
    ).encode()
    upload: FilePayload = {"name": "saoke.csv", "mimeType": "text/csv", "buffer": csv}
    await page.get_by_label("Tệp sao kê (CSV hoặc XLSX)").set_input_files(files=[upload])
    await page.get_by_role("button", name="Tải lên và đối soát").click()
    await expect(page.locator("#import-summary")).to_contain_text("Đề xuất ghi nhận: 1")
    await assert_accessible(page)
    await page.get_by_role("button", name="Ghi nhận khoản FT700").click()
    await expect(page.locator("#notices")).to_contain_text("Số biên nhận")


async def test_an_officer_logs_a_gift_and_a_payment_seen_on_the_public_page(
    web_app: WebApp,
    page: Page,
    pages: Pages,
    officer_page: OfficerSignIn,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
) -> None:
    """Desk → campaign → gift → payment → import; the public page shows them, names by consent."""
    campaign = (await Ledger(web_app.app.db).campaigns(ward_id="20257"))[0]
    await BankStore(web_app.app.db).set_account(
        campaign.id,
        bin_code="970436",
        number="0011",
        name="UBMTTQ",
        actor=None,
        now=web_app.clock(),
    )
    await officer_page(page)
    await page.get_by_role("link", name="Quỹ Vì người nghèo").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Quỹ Vì người nghèo")
    await assert_accessible(page)
    await page.get_by_role("link", name=CAMPAIGN).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(CAMPAIGN)
    await assert_accessible(page)
    await page.get_by_role("link", name="Ghi nhận khoản ủng hộ").click()
    await assert_accessible(page)
    receipt = await log_gift(page, assert_accessible)
    await page.get_by_role("link", name=f"← Đợt «{CAMPAIGN}»").click()
    await page.get_by_role("link", name="Ghi khoản chi").click()
    await assert_accessible(page)
    voucher = await log_payment(page, assert_accessible)
    await page.get_by_role("link", name=f"← Đợt «{CAMPAIGN}»").click()
    await expect(page.get_by_role("link", name=receipt)).to_be_visible()
    await expect(page.get_by_role("link", name=voucher)).to_be_visible()
    await expect(page.locator("#available")).to_have_text("78.800.000 ₫")
    await screenshot(page, "desk_fund")
    await import_statement(page, campaign.id, assert_accessible)

    public = await pages.open()
    await public.goto(f"/chien-dich/{campaign.id}")
    shown = public.locator("main")
    await expect(shown).to_contain_text("Phạm Thị Hoa")
    await expect(shown).to_contain_text("3.000.000 ₫")
    await expect(shown).to_contain_text("2.500.000 ₫")
    await expect(shown).to_contain_text("Xây, sửa nhà ở")
    await expect(shown).to_contain_text("Đỗ Văn Hùng")
    await expect(shown).to_contain_text("79.500.000 ₫")  # 78.300.000 + 3 tr + 0,7 tr − 2,5 tr
