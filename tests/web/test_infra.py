"""The browser-test infrastructure on the real site: sign-in links, CSRF, ward scope, axe.

Each test drives Debian's Chromium (one per session) or plain HTTP against `web_app`.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page

from bot.core.i18n import Translator
from bot.web.site import WebSite
from tests.web.conftest import (
    DEMO_WARD_ID,
    PHONE,
    Accessibility,
    OfficerSignIn,
    Pages,
    Screenshots,
    WebApp,
    sign_in,
)

T = Translator("vi")
PROBE = "/thu-nghiem/phuong/{ward_id}"
"""A test-only page of one ward, guarded like every desk page (`officer`, `require_ward`)."""

INLINE = "/thu-nghiem/kich-ban-noi-dong"
"""A test-only page with an inline script, which the site's Content-Security-Policy blocks."""

_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def probe_routes(site: WebSite) -> None:
    """A ward-scoped page served only in these tests."""

    async def ward_page(request: web.Request) -> web.StreamResponse:
        officer = await site.officer(request)
        site.require_ward(officer, request.match_info["ward_id"])
        return web.Response(text="ward page", content_type="text/plain")

    async def inline_script(request: web.Request) -> web.StreamResponse:
        del request
        return web.Response(
            text='<html lang="vi"><body><h1>Thử</h1><script>document.title = "x"</script>'
            "</body></html>",
            content_type="text/html",
        )

    site.get(PROBE, ward_page)
    site.get(INLINE, inline_script)


@pytest.fixture
def web_routes() -> list[Callable[[WebSite], None]]:
    """This module's site also serves the ward probe."""
    return [probe_routes]


async def _heading(page: Page) -> str:
    return (await page.locator("main h1").first.inner_text()).strip()


async def test_sign_in_link_works_once(web_app: WebApp, page: Page, pages: Pages) -> None:
    """A link signs in once; opened again, in any browser, it is dead (410)."""
    chat = await web_app.officer()
    link = await web_app.sign_in_link(chat)
    await sign_in(page, link)
    assert await _heading(page) == T("web.desk.title")
    other = await pages.open()
    response = await other.goto(link)
    assert response is not None and response.status == 410
    assert await _heading(other) == T("web.auth.dead_title")
    response = await page.goto(link)
    assert response is not None and response.status == 410


async def test_expired_link_fails(web_app: WebApp, page: Page) -> None:
    """A link opened in time but confirmed after 11 minutes signs no one in."""
    link = await web_app.sign_in_link(await web_app.officer())
    response = await page.goto(link)
    assert response is not None and response.status == 200
    web_app.clock.advance(minutes=11)
    await page.locator("main form button[type=submit]").click()
    await page.wait_for_load_state()
    assert await _heading(page) == T("web.auth.dead_title")
    response = await page.goto("/can-bo")
    assert response is not None and page.url.endswith("/dang-nhap")


async def test_link_opened_late_is_dead(web_app: WebApp, page: Page) -> None:
    """A link first opened 11 minutes after it was sent shows the dead-link page."""
    link = await web_app.sign_in_link(await web_app.officer())
    web_app.clock.advance(minutes=11)
    response = await page.goto(link)
    assert response is not None and response.status == 410
    assert await _heading(page) == T("web.auth.dead_title")


async def test_post_without_csrf_token_is_refused(web_app: WebApp) -> None:
    """A POST without (or with a wrong) CSRF token is a 403 page and uses nothing."""
    link = await web_app.sign_in_link(await web_app.officer())
    async with web_app.client() as http:
        async with http.get(link) as shown:
            assert shown.status == 200
            token = _CSRF.search(await shown.text())
        assert token is not None
        for form in ({}, {"csrf": "forged"}):
            async with http.post(link, data=form, allow_redirects=False) as refused:
                assert refused.status == 403
                assert T("web.error.csrf") in await refused.text()
        async with http.post(link, data={"csrf": token.group(1)}, allow_redirects=False) as used:
            assert used.status == 303
            assert used.headers["Location"] == "/can-bo"


async def test_signed_in_post_without_csrf_token_is_refused(
    web_app: WebApp, page: Page, officer_page: OfficerSignIn
) -> None:
    """A signed-in officer's sign-out POST without the token is refused, and the session stays."""
    await officer_page(page)
    response = await page.request.post(web_app.url("/dang-xuat"), max_redirects=0)
    assert response.status == 403
    assert T("web.error.csrf") in await response.text()
    await page.goto("/can-bo")
    assert page.url.endswith("/can-bo")


async def test_desk_requires_sign_in(web_app: WebApp, page: Page) -> None:
    """The desk home sends a visitor who is not signed in to the sign-in help page."""
    async with (
        web_app.client() as http,
        http.get(web_app.url("/can-bo"), allow_redirects=False) as response,
    ):
        assert response.status == 303
        assert response.headers["Location"] == "/dang-nhap"
    await page.goto("/can-bo")
    assert page.url.endswith("/dang-nhap")


async def test_another_wards_page_is_not_found(
    web_app: WebApp, page: Page, officer_page: OfficerSignIn
) -> None:
    """An officer opens their ward's page; another ward's is a 404 (a Vietnamese page)."""
    other = await web_app.add_ward()
    await officer_page(page, ward_id=DEMO_WARD_ID)
    own = await page.goto(PROBE.format(ward_id=DEMO_WARD_ID))
    assert own is not None and own.status == 200
    response = await page.goto(PROBE.format(ward_id=other.id))
    assert response is not None and response.status == 404
    assert T("web.error.not_found") in await page.locator("main").inner_text()


async def test_idle_session_ends(web_app: WebApp, page: Page, officer_page: OfficerSignIn) -> None:
    """After 31 minutes without a request the desk asks to sign in again."""
    await officer_page(page)
    web_app.clock.advance(minutes=29)
    await page.goto("/can-bo")
    assert page.url.endswith("/can-bo")
    assert await _heading(page) == T("web.desk.title")
    web_app.clock.advance(minutes=31)
    await page.goto("/can-bo")
    assert page.url.endswith("/dang-nhap")


async def test_sign_in_pages_pass_axe_and_are_shot(
    web_app: WebApp,
    pages: Pages,
    assert_accessible: Accessibility,
    screenshot: Screenshots,
) -> None:
    """Sign-in help, confirm and desk home pass axe on a desktop and a phone; shots written."""
    for phone in (False, True):
        page = await pages.open(phone=phone)
        suffix = "_phone" if phone else ""
        await page.goto("/dang-nhap")
        await assert_accessible(page)
        link = await web_app.sign_in_link(await web_app.officer())
        await page.goto(link)
        await assert_accessible(page)
        await screenshot(page, f"sign_in{suffix}")
        await page.locator("main form button[type=submit]").click()
        await page.wait_for_url("**/can-bo")
        await assert_accessible(page)
        await screenshot(page, f"desk_home{suffix}")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= (PHONE["width"] if phone else 1280), "the page scrolls sideways"


async def test_axe_check_reports_a_violation(page: Page, assert_accessible: Accessibility) -> None:
    """The accessibility check fails on a page with an unlabelled image and button."""
    await page.set_content(
        '<html lang="vi"><head><title>x</title></head><body><main><h1>Thử</h1>'
        '<img src="/static/none.png"><button></button></main></body></html>'
    )
    ids = {v["id"] for v in await assert_accessible.violations(page)}
    assert {"image-alt", "button-name"} <= ids
    with pytest.raises(AssertionError, match="image-alt"):
        await assert_accessible(page)


async def test_screenshot_is_a_full_page_png(page: Page, tmp_path: Path) -> None:
    """A screenshot is a PNG as wide as the viewport and as tall as the whole page."""
    await page.set_content(
        '<html lang="vi"><body style="margin:0"><div style="height:2000px">Cao</div></body></html>'
    )
    path = await Screenshots(tmp_path)(page, "tall")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)


async def test_a_script_blocked_by_the_csp_is_a_page_error(page: Page, pages: Pages) -> None:
    """An inline script the site's CSP refuses is recorded as an error (failing the test)."""
    await page.goto(INLINE)
    await page.locator("h1").wait_for()
    assert await page.title() != "x"
    assert any("Content Security Policy" in error for error in pages.errors)
    pages.errors.clear()  # seen: this test expects it


async def test_failure_screenshots_are_kept(page: Page, pages: Pages, tmp_path: Path) -> None:
    """The pages open when a test fails are kept as PNG files in its temporary folder."""
    await page.goto("/dang-nhap")
    kept = await pages.keep_for_failure(tmp_path)
    assert [path.name for path in kept] == ["failed-page-1.png"]
    assert kept[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
