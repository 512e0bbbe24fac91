"""The fund's public pages in Chromium: a phone on the campaign page, the receipt lookup, axe."""

from __future__ import annotations

from playwright.async_api import Page

from bot.core.i18n import Translator
from storage.bank import BankStore
from tests.web.conftest import Accessibility, Screenshots, WebApp
from tests.web.test_public import pay

vi = Translator("vi")


async def furnish(web_app: WebApp) -> str:
    """Give the demo campaign an account and two payments (one named by consent); a voucher."""
    await BankStore(web_app.app.db).set_account(
        1,
        bin_code="970436",
        number="0071000123456",
        name="UBMTTQ PHUONG HOA CUONG",
        actor=None,
        now=web_app.clock(),
    )
    voucher = ""
    for amount, name, public in (
        (20_000_000, "Hộ ông Trần Văn Bình", True),
        (5_000_000, "Hộ bà Lê Thị Hoa", False),
    ):
        voucher = await pay(web_app, amount, name=name, public=public)
    return voucher


async def test_a_phone_reads_the_campaign_page(
    web_app: WebApp,
    phone_page: Page,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
) -> None:
    """On a phone: the campaigns, then one campaign's balance, QR, chart, lists; axe passes."""
    await furnish(web_app)
    page = phone_page
    await page.goto("/")
    await assert_accessible(page)
    await page.get_by_role("link", name=vi("web.public.area_campaigns")).click()
    await page.wait_for_url("**/chien-dich")
    await assert_accessible(page)
    await page.get_by_role("link", name="Vận động Quỹ Vì người nghèo năm 2026").click()
    await page.wait_for_url("**/chien-dich/1")
    assert await page.locator("main h1").inner_text() == "Vận động Quỹ Vì người nghèo năm 2026"
    balance = page.get_by_role("region", name=vi("web.public.balance_title"))
    left = balance.get_by_role("row", name=vi("web.public.balance_left"))
    assert "53.300.000 ₫" in await left.inner_text()  # 78.3 M raised, 25 M paid out
    qr = page.get_by_role(
        "img", name=vi("web.public.qr_alt", name="Vận động Quỹ Vì người nghèo năm 2026")
    )
    await qr.scroll_into_view_if_needed()
    assert await qr.evaluate("image => image.complete && image.naturalWidth > 100")
    assert await page.get_by_text("Số tài khoản: 0071000123456").is_visible()
    chart = page.get_by_role("img", name=vi("web.public.chart_title"))
    assert await chart.count() == 1
    table = page.get_by_role("table", name=vi("web.public.chart_table"))
    assert "78.300.000 ₫" in await table.inner_text()
    payments = page.get_by_role("region", name=vi("web.public.payments_title"))
    text = await payments.inner_text()
    assert "Hộ ông Trần Văn Bình" in text and "Lê Thị Hoa" not in text
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390 + 1, "the page itself must not scroll sideways on a phone"
    await assert_accessible(page)
    await page.evaluate("() => window.scrollTo(0, 0)")
    await screenshot(page, "campaign")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=vi("web.public.statement_pdf")).click()
    download = await download_info.value
    assert download.suggested_filename == "sao-ke-1.pdf"


async def test_a_donor_looks_up_a_receipt_with_the_keyboard(
    web_app: WebApp,
    page: Page,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
) -> None:
    """A bad number is told beside the field, kept; a good one shows the chat's answer; axe."""
    voucher = await furnish(web_app)
    await page.goto("/tra-cuu")
    await assert_accessible(page)
    field = page.get_by_label(vi("web.public.lookup_label"))
    await field.fill("VNN HC 2026")
    await field.press("Enter")
    await page.wait_for_url("**/tra-cuu?so=*")
    alert = page.get_by_role("alert")
    assert await alert.inner_text() == vi("web.public.lookup_malformed", most=40)
    assert await field.input_value() == "VNN HC 2026"
    assert await field.get_attribute("aria-invalid") == "true"
    await assert_accessible(page)
    await field.fill(voucher)
    await field.press("Enter")
    await page.wait_for_url(f"**/tra-cuu?so={voucher}")
    result = page.get_by_role("status")
    assert "15/QĐ-MTTQ" in await result.inner_text()
    assert "Lê Thị Hoa" not in await result.inner_text()
    await field.fill("VNN-HC-2026-000002")
    await field.press("Enter")
    await page.wait_for_url("**/tra-cuu?so=VNN-HC-2026-000002")
    answer = await page.get_by_role("status").inner_text()
    assert "50.000.000 ₫" in answer and "Công ty TNHH Xây dựng Hòa Cường (mẫu)" in answer
    await assert_accessible(page)
    await screenshot(page, "receipt_lookup")
