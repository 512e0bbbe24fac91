"""The desk's questions, pre-screening and audit log in Chromium: keyboard-free clicks, axe."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.async_api import Page, expect

from bot.core.i18n import Translator
from tests.harness import Chat
from tests.web.conftest import (
    DEMO_WARD_ID,
    Accessibility,
    OfficerSignIn,
    Pages,
    Screenshots,
    WebApp,
)

T = Translator("vi")
QUESTION = "Nhà tôi 4 người, thu nhập 6 triệu một tháng, có được xét cận nghèo không?"
UNANSWERED = "o que bac nha ngheo benh ma ko co tien di vien thi sao"
RESULT = "ket-qua-sang-loc-20261121.csv"
LIST = (
    "id;area;members;monthly_income;employment;water;sanitation\n"
    "H1;rural;3;4.500.000;1;1;1\n"
    "H2;urban;4;6000000;0;0;0\n"
    "H3;nông thôn;1;1000000;có;;x\n"
    "H4;urban;0;1;0;0;0\n"
)


async def hand_over(web_app: WebApp) -> int:
    """A resident of the demo ward asks the officers with `/hoicanbo`; the question's number."""
    resident = Chat(web_app.app, "res-browser")
    await resident.send("/start")
    user = await web_app.app.services.users.find(resident.channel, resident.user_id)
    assert user is not None
    await web_app.app.services.users.set_ward(user.id, DEMO_WARD_ID)
    await resident.send("/hoicanbo")
    await resident.send(QUESTION)
    await resident.press("faqh:send")
    await resident.send(UNANSWERED)  # the Q&A cannot answer it: logged for the curators
    row = await web_app.app.db.fetchone("SELECT id FROM handover_questions")
    assert row is not None
    return int(row["id"])


async def test_an_officer_answers_a_question_and_pre_screens_a_list(
    web_app: WebApp,
    page: Page,
    pages: Pages,
    officer_page: OfficerSignIn,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
    tmp_path: Path,
) -> None:
    """From the desk home: answer a handed-over question, attach one, pre-screen a list."""
    number = await hand_over(web_app)
    await officer_page(page, ward_id=DEMO_WARD_ID)
    await page.get_by_role("link", name=T("web_desk.area.questions")).click()
    await expect(page.locator("main h1")).to_have_text(T("web_desk.questions.inbox_title"))
    await assert_accessible(page)
    await screenshot(page, "desk_questions")
    await page.get_by_role("link", name=T("web_desk.questions.number", number=number)).click()
    await expect(page.locator("main")).to_contain_text(QUESTION)
    await assert_accessible(page)
    answer = "Anh/chị mang căn cước tới UBND phường để được rà soát theo Phiếu B1."
    await page.get_by_label(T("web_desk.questions.answer_label")).fill(answer)
    await page.get_by_role("button", name=T("web_desk.questions.send")).click()
    await expect(page.get_by_role("status")).to_have_text(T("web_desk.questions.answered_now"))
    await expect(page.locator("blockquote")).to_have_text(answer)
    await assert_accessible(page)
    row = await web_app.app.db.fetchone(
        "SELECT body FROM outbox WHERE chat_id = 'res-browser' ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and answer in json.loads(row["body"])["text"]

    await page.get_by_role("link", name=T("web_desk.questions.back_to_inbox")).click()
    await page.get_by_role("link", name=T("web_desk.unanswered.title")).click()
    await expect(page.locator("main table")).to_contain_text(UNANSWERED)
    await assert_accessible(page)
    await page.get_by_role("link", name=T("web_desk.unanswered.attach_link")).first.click()
    await page.get_by_label(T("web_desk.unanswered.search_label")).fill("bảo hiểm y tế miễn phí")
    await page.get_by_role("button", name=T("web_desk.unanswered.search"), exact=True).click()
    await page.get_by_label("Hộ nghèo có được cấp bảo hiểm y tế miễn phí không?").first.check()
    await assert_accessible(page)
    await page.get_by_role("button", name=T("web_desk.unanswered.attach_button")).click()
    await expect(page.get_by_role("status")).to_have_text(T("web_desk.unanswered.attached"))

    await page.goto("/can-bo")
    await page.get_by_role("link", name=T("web_desk.area.prescreen")).click()
    await expect(page.locator("main h1")).to_have_text(T("web_desk.prescreen.title"))
    await assert_accessible(page)
    source = tmp_path / "danh-sach.csv"
    source.write_text(LIST, encoding="utf-8-sig")
    await page.get_by_label(T("web_desk.prescreen.file_label", size=10)).set_input_files(source)
    await page.get_by_role("button", name=T("web_desk.prescreen.submit")).click()
    await expect(page.locator("main h1")).to_have_text(T("web_desk.prescreen.result_title"))
    await expect(page.locator("main")).to_contain_text(
        T("web_desk.prescreen.compare_title", day="01/01/2027")
    )
    await assert_accessible(page)
    await screenshot(page, "desk_prescreen")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name=T("web_desk.prescreen.download", name=RESULT)).click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.name == RESULT
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 5 and lines[1].startswith("H1,")

    admin = await pages.open()
    await officer_page(admin, ward_id=DEMO_WARD_ID, role="admin")
    await admin.get_by_role("link", name=T("web_desk.area.audit")).click()
    await expect(admin.locator("main table")).to_contain_text("faq.answer")
    await expect(admin.locator("main table")).to_contain_text("prescreen.run")
    await assert_accessible(admin)
