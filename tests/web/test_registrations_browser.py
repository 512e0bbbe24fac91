"""In Chromium: an officer signs in by link and takes a registration to a recorded decision."""

from __future__ import annotations

from playwright.async_api import Page, expect

from storage.registrations import EntryKind, RegistrationRepository, Status
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat
from tests.web.conftest import Accessibility, OfficerSignIn, Screenshots, WebApp

TODAY = "21/11/2026"


async def change_status(page: Page, label: str, note: str) -> None:
    """On the detail page: pick a status by its label, type the note, send."""
    await page.get_by_label(label, exact=True).check()
    await page.get_by_label("Ghi chú cho người dân").fill(note)
    await page.get_by_role("button", name="Chuyển trạng thái và báo người dân").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã chuyển trạng thái")


async def test_an_officer_takes_a_registration_to_a_decision(
    web_app: WebApp,
    page: Page,
    officer_page: OfficerSignIn,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
) -> None:
    """List, filters, detail, two status changes, a decision with number, date and confirmation."""
    for index in range(3):
        await submit(Chat(web_app.app, f"resident-{index}"))
    await officer_page(page)
    await page.get_by_role("link", name="Đăng ký thoát nghèo").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ đăng ký thoát nghèo")
    await expect(page.locator("#total")).to_have_text("Tìm thấy 3 hồ sơ.")
    await assert_accessible(page)
    await screenshot(page, "registrations_list")
    await page.get_by_label("Mã hồ sơ").fill("TN-2026-000002")
    await page.get_by_role("button", name="Lọc", exact=True).click()
    await expect(page.locator("#total")).to_have_text("Tìm thấy 1 hồ sơ.")
    await page.get_by_role("link", name="TN-2026-000002").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ TN-2026-000002")
    await assert_accessible(page)
    await change_status(page, "Đang xem xét", "Đã nhận hồ sơ, sẽ hẹn khảo sát")
    await change_status(page, "Đã hẹn khảo sát", "Khảo sát sáng 25/11")
    await page.get_by_role("link", name="Ghi quyết định: Được công nhận thoát nghèo").click()
    await assert_accessible(page)
    await page.get_by_label("Số quyết định").fill("15/QĐ-UBND")
    await page.get_by_label("Ngày ký quyết định").fill("01/12/2030")
    await page.get_by_role("button", name="Tiếp tục").click()
    await expect(page.get_by_role("alert")).to_contain_text("không thể sau hôm nay")
    await expect(page.get_by_label("Số quyết định")).to_have_value("15/QĐ-UBND")
    await page.get_by_label("Ngày ký quyết định").fill(TODAY)
    await page.get_by_role("button", name="Tiếp tục").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Xác nhận — hồ sơ TN-2026-000002"
    )
    await assert_accessible(page)
    repo = RegistrationRepository(web_app.app.db)
    waiting = await repo.get(2)
    assert waiting is not None and waiting.status is Status.SURVEY_SCHEDULED
    form = await page.evaluate(
        "() => Object.fromEntries(new FormData(document.querySelector('main form')))"
    )
    action = await page.locator("main form").get_attribute("action")
    await page.get_by_role("button", name="Xác nhận").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã ghi nhận quyết định")
    await expect(page.locator("ol.timeline")).to_contain_text(
        "Quyết định số 15/QĐ-UBND ngày 21/11/2026"
    )
    await assert_accessible(page)
    await screenshot(page, "registration_detail")
    # The same confirmation sent a second time (a double click, a resent form): recorded once.
    again = await page.request.post(web_app.url(str(action)), form={**form, "lam": "xac-nhan"})
    assert again.ok and again.url.endswith("?xong=da-ghi")
    assert "đã được ghi trước đó" in await again.text()
    decided = await repo.get(2)
    assert decided is not None
    assert (decided.status, decided.decision_number) == (Status.RECOGNISED_EXITED, "15/QĐ-UBND")
    kinds = [entry.kind for entry in await repo.history(2)]
    assert kinds.count(EntryKind.DECISION) == 1


async def test_another_wards_registration_is_a_404_page(
    web_app: WebApp, page: Page, officer_page: OfficerSignIn, assert_accessible: Accessibility
) -> None:
    """An officer of another ward opening a registration's address sees the 404 page only."""
    await submit(Chat(web_app.app, "resident-1"))
    other = await web_app.add_ward()
    await officer_page(page, ward_id=other.id)
    response = await page.goto("/can-bo/dang-ky/1")
    assert response is not None and response.status == 404
    await expect(page.locator("main")).not_to_contain_text("Nguyễn Văn An")
    await assert_accessible(page)


async def decided(web_app: WebApp) -> None:
    """One registration taken to "Được công nhận thoát nghèo" through the chat's inbox."""
    await submit(Chat(web_app.app, "resident-1"))
    officer = await web_app.officer()
    await officer.press("menu:registrations_admin")
    for status in ("in_review", "survey_scheduled"):
        await officer.press(f"rgo:set:1:{status}")
        await officer.tap("Không ghi chú")
    await officer.press("rgo:set:1:recognised_exited")
    await officer.send("3/QĐ-UBND")
    await officer.send(TODAY)
    await officer.tap("Xác nhận")


async def test_an_admin_corrects_a_decision_in_the_browser(
    web_app: WebApp, page: Page, officer_page: OfficerSignIn, assert_accessible: Accessibility
) -> None:
    """A decision made in the chat is corrected on the web with a reason, kept in the timeline."""
    await decided(web_app)
    await officer_page(page, role="admin")
    await page.goto("/can-bo/dang-ky/1")
    await page.get_by_role("link", name="Điều chỉnh quyết định").click()
    await assert_accessible(page)
    await page.get_by_label("Chưa được công nhận", exact=True).check()
    await page.get_by_label("Số quyết định").fill("4/QĐ-UBND")
    await page.get_by_label("Ngày ký quyết định").fill(TODAY)
    await page.get_by_label("Lý do điều chỉnh").fill("Ghi nhầm kết quả của hộ")
    await page.get_by_role("button", name="Tiếp tục").click()
    await expect(page.locator("main dl")).to_contain_text("Ghi nhầm kết quả của hộ")
    await assert_accessible(page)
    await page.get_by_role("button", name="Xác nhận").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã điều chỉnh quyết định")
    await expect(page.locator("ol.timeline")).to_contain_text("Lý do: Ghi nhầm kết quả của hộ")
    stored = await RegistrationRepository(web_app.app.db).get(1)
    assert stored is not None
    assert (stored.status, stored.decision_number) == (Status.NOT_RECOGNISED, "4/QĐ-UBND")
