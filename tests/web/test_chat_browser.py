"""The resident web chat in a real browser (Chromium), driven with the keyboard only."""

from __future__ import annotations

from playwright.async_api import Page

from tests.web.conftest import Accessibility, Screenshots, WebApp

MAX_TABS = 60
"""Tab presses allowed to reach a button from the text box (the current turn's buttons)."""


async def focused(page: Page) -> dict[str, str]:
    """The focused element: its tag, id, value (a button's payload) and text."""
    found: dict[str, str] = await page.evaluate(
        """() => { const e = document.activeElement;
        return {tag: e.tagName, id: e.id || "", value: e.value || "", text: e.innerText || ""}; }"""
    )
    return found


async def at_text_box(page: Page) -> None:
    """Wait until the page has loaded with the focus in the text box (autofocus)."""
    await page.wait_for_function("() => document.activeElement?.id === 'chat-text'")


async def send(page: Page, text: str) -> None:
    """Type `text` in the focused text box and press Enter; wait for the answered page."""
    await at_text_box(page)
    await page.keyboard.type(text)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await at_text_box(page)


async def press(page: Page, payload: str) -> None:
    """From the text box, Shift+Tab back to the button sending `payload`, then press Enter."""
    await at_text_box(page)
    for _ in range(MAX_TABS):
        await page.keyboard.press("Shift+Tab")
        if (await focused(page))["value"] == payload:
            break
    else:
        raise AssertionError(f"no button {payload!r} reachable by keyboard")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await at_text_box(page)


async def offered(page: Page) -> list[str]:
    """The payloads of the buttons the page offers now."""
    values: list[str] = await page.locator("form.choices button[name=payload]").evaluate_all(
        "buttons => buttons.map(b => b.value)"
    )
    return values


async def test_a_resident_completes_the_self_check_with_the_keyboard_only(
    page: Page, web_app: WebApp, assert_accessible: Accessibility, screenshot: Screenshots
) -> None:
    """Tab, Enter and typing only: the self-check to its result; axe passes; a reload keeps it."""
    await page.goto("/tro-chuyen")
    await assert_accessible(page)
    await press(page, "/start")  # the welcome's «Bắt đầu» sends /start as text
    assert "Tự kiểm tra hộ nghèo/cận nghèo" in await page.locator("#messages").inner_text()
    await press(page, "menu:self_check")
    await press(page, "sc:area:urban")
    if "sc:loc:national" in await offered(page):
        await press(page, "sc:loc:national")
    await send(page, "4")
    wanted = {"has_member_working_age": "yes", "has_member_6_plus": "yes"}
    while fact := next((p for p in await offered(page) if ":fact:" in p), None):
        name = fact.split(":")[2]
        await press(page, f"sc:fact:{name}:{wanted.get(name, 'no')}")
    await press(page, "sc:mode:hm")
    await send(page, "6000000")
    await press(page, "sc:inc:ok")
    while answer := next((p for p in await offered(page) if ":ans:" in p), None):
        await press(page, f"sc:ans:{answer.split(':')[2]}:no")
    assert "Kiểm tra lại các câu trả lời" in await page.locator("#messages").inner_text()
    await press(page, "sc:sum:result")
    conversation = page.locator("#messages")
    assert "Kết quả tham khảo" in await conversation.inner_text()
    assert await conversation.get_attribute("aria-live") == "polite"
    assert (await focused(page))["id"] == "chat-text"
    await assert_accessible(page)
    await screenshot(page, "web_chat_phone")
    await assert_accessible(page)
    await screenshot(page, "web_chat")
    await page.reload()
    await at_text_box(page)
    assert "Kết quả tham khảo" in await page.locator("#messages").inner_text()


async def test_an_officers_answer_reaches_the_open_page(
    phone_page: Page, web_app: WebApp, assert_accessible: Accessibility, screenshot: Screenshots
) -> None:
    """On a phone: a handed-over question's answer comes by the outbox and htmx, no reload."""
    page = phone_page
    web_app.deliver()
    officer = await web_app.officer()
    await page.goto("/tro-chuyen")
    await send(page, "/hoicanbo")
    await send(page, "Hộ tôi có được vay vốn làm ăn không?")
    hoa_cuong = next(p for p in await offered(page) if p.startswith("faqh:w:"))
    await press(page, hoa_cuong)
    await press(page, "faqh:send")
    await page.evaluate("() => { window.notReloaded = true; }")
    await officer.send("/hopthu")
    await officer.press("faqo:a:1")
    await officer.send("Được vay tại Ngân hàng Chính sách xã hội, đến 100 triệu đồng.")
    answer = page.locator("#messages li", has_text="Ngân hàng Chính sách xã hội")
    await answer.wait_for(timeout=15_000)  # the page polls every 5 s
    assert await page.evaluate("() => window.notReloaded === true")
    assert (await focused(page))["id"] == "chat-text"
    await assert_accessible(page)
    await screenshot(page, "web_chat_phone")
