"""Browser-test fixtures: the real site on a free port, driven by Debian's Chromium.

- `web_app`: the real `App` on a fresh SQLite file with the demo data and a `FakeClock`, and
  its `WebSite` mounted on a real `HttpServer` on 127.0.0.1 (port 0): `.base_url`, `.app`,
  `.clock`, `.site`, plus helpers to make officers, sign-in links and wards.
- `browser`: one headless Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`) for the whole
  session, launched through Playwright; Playwright never downloads a browser here, and a
  missing Chromium fails the tests with what to do (`scripts/ensure_chromium.sh`), never a skip.
- `page` (desktop, 1280×900) and `phone_page` (390×844, touch): a new browser context per test,
  Vietnamese locale, Hà Nội time zone, `base_url` set so `page.goto("/can-bo")` works. A
  JavaScript error on the page fails the test.
- `officer_page`: `await officer_page(page, ward_id=...)` makes an officer and signs them in
  through a real single-use link (`/web` sent in the chat, the link read from the reply).
- `assert_accessible`: `await assert_accessible(page)` runs the vendored axe-core on the page
  and fails listing every serious or critical violation.
- `screenshot`: `await screenshot(page, "name")` writes `docs/screenshots/name.png`, full page.

A test using `web_app` or the browser runs on the session's event loop (the browser lives
there); an async fixture of your own beside them needs `@pytest_asyncio.fixture(loop_scope=
"session")`. Tests using the browser get the `browser` marker (`pytest -m "not browser"` leaves
them out). Plain HTTP tests use `web_app.client()` (an aiohttp session keeping cookies).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from bot.app import App, start_outbox
from bot.demo import DEMO_WARD
from bot.http_server import HttpServer
from bot.web.site import WebSite
from knowledge.admin_units import unit
from storage.users import Ward, ward_from_unit
from tests.harness import Chat, FakeClock, make_officer, new_app

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE = HERE / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: on a closed network each would be refused, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
"""How long a page action may wait (generous: the machine is shared)."""

DEMO_WARD_ID = DEMO_WARD.id
OTHER_WARD_CODE = "20242"
"""Phường Hải Châu, Thành phố Đà Nẵng: a second ward for "another ward's record" tests."""

_LINK = re.compile(r"/dang-nhap/([A-Za-z0-9_-]{20,})")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_BLOCKING = ("serious", "critical")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on these fixtures run on the session's event loop; browser ones get `browser`.

    The browser and `web_app` live on the session's loop, so a test using them (even through
    another fixture) must run there; other tests in this folder keep their own loop.
    """
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        used = set(getattr(item, "fixturenames", ()))
        if "browser" in used:
            item.add_marker(pytest.mark.browser)
        if used & {"web_app", "browser"} and pytest_asyncio.is_async_test(item):
            item.add_marker(session_loop, append=False)


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each test's call report, so `pages` can tell a failed test at teardown."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@dataclass
class WebApp:
    """The running site of one test."""

    app: App
    clock: FakeClock
    site: WebSite
    server: HttpServer
    officers: list[Chat] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`, no trailing slash."""
        return f"http://{self.server.host}:{self.server.port}"

    def url(self, path: str) -> str:
        """The absolute address of `path` on this server."""
        return self.base_url + path

    def client(self) -> aiohttp.ClientSession:
        """A plain HTTP client keeping this site's cookies: `async with web_app.client() as http`.

        aiohttp's default cookie jar drops cookies of IP addresses such as 127.0.0.1.
        """
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def officer(
        self, *, ward_id: str = DEMO_WARD_ID, role: str = "officer", user_id: str | None = None
    ) -> Chat:
        """A new staff member of `ward_id` (an admin with `role="admin"`), as a chat."""
        chat = Chat(self.app, user_id or f"web-officer-{len(self.officers) + 1}")
        await make_officer(self.app, chat, ward_id=ward_id, role=role)
        self.officers.append(chat)
        return chat

    async def sign_in_link(self, chat: Chat) -> str:
        """Send `/web` as `chat`; the sign-in link of the reply, on this server's address."""
        replies = await chat.send("/web")
        for reply in replies:
            found = _LINK.search(reply.text)
            if found is not None:
                return self.url(f"/dang-nhap/{found.group(1)}")
        shown = "\n".join(reply.text for reply in replies)
        raise AssertionError(f"/web sent no sign-in link:\n{shown}")

    def deliver(self) -> None:
        """Start the outbox worker over the site's channels (the web chat), every 0.2 s."""
        start_outbox(self.app, self.site.senders, interval=0.2)

    async def add_ward(self, code: str = OTHER_WARD_CODE) -> Ward:
        """Put one more real ward in service (by official code); returns it."""
        found = unit(code)
        assert found is not None, f"no unit {code}"
        ward = ward_from_unit(found)
        await self.app.services.users.add_ward(ward)
        return ward


@pytest.fixture
def web_routes() -> list[Callable[[WebSite], None]]:
    """Extra routes for `web_app` (none); a test module may override this fixture."""
    return []


@pytest_asyncio.fixture(loop_scope="session")
async def web_app(
    tmp_path: Path, clock: FakeClock, web_routes: list[Callable[[WebSite], None]]
) -> AsyncIterator[WebApp]:
    """The real app with demo data and its web site, served on 127.0.0.1 (a free port)."""
    app = await new_app(tmp_path / "web.sqlite3", clock)
    server = HttpServer("127.0.0.1", 0)
    site = WebSite(app)
    try:
        await site.mount(server)
        for routes in web_routes:
            routes(site)
        await server.start()
        yield WebApp(app=app, clock=clock, site=site, server=server)
    finally:
        await server.stop()
        await site.close()
        await app.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    """Playwright's driver (bundled in its wheel), once per session."""
    async with async_playwright() as driver:
        yield driver


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, once per session; never downloaded."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: run scripts/ensure_chromium.sh"
            " (as root it installs Debian's package; `make test` runs it), or set"
            " CHROMIUM_PATH. No browser is ever downloaded.",
            pytrace=False,
        )
    launched = await playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield launched
    finally:
        await launched.close()


class Pages:
    """Opens pages in fresh contexts and closes them after the test; records page errors."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.errors: list[str] = []
        self.opened: list[Page] = []
        self._contexts: list[BrowserContext] = []

    async def open(self, *, phone: bool = False) -> Page:
        """A page in a new context (its own cookies): Vietnamese, Hà Nội time, desktop or phone."""
        context = await self.browser.new_context(
            base_url=self.base_url,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self._contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        self.opened.append(page)
        return page

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        """A script or style the site's Content-Security-Policy blocked is a page error too."""
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"{page.url}: {message.text}")

    async def keep_for_failure(self, folder: Path) -> list[Path]:
        """Screenshots of every open page into `folder` (when the test failed)."""
        kept = []
        for number, page in enumerate(self.opened, start=1):
            if page.is_closed():
                continue
            path = folder / f"failed-page-{number}.png"
            with contextlib.suppress(PlaywrightError):
                await page.screenshot(path=path, full_page=True, timeout=5_000)
                kept.append(path)
        return kept

    async def close(self) -> None:
        """Close every context opened."""
        for context in self._contexts:
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def pages(
    browser: Browser, web_app: WebApp, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Pages]:
    """`await pages.open(phone=...)` for more pages (another officer, a second browser).

    When the test fails, each open page is kept as a screenshot in its temporary folder (the
    path is in the report).
    """
    opened = Pages(browser, web_app.base_url)
    try:
        yield opened
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            for path in await opened.keep_for_failure(tmp_path):
                print(f"page at failure: {path}")  # shown in the failure report
    finally:
        await opened.close()
    assert not opened.errors, "JavaScript errors on the page:\n" + "\n".join(opened.errors)


@pytest_asyncio.fixture(loop_scope="session")
async def page(pages: Pages) -> Page:
    """A desktop-sized page (1280×900) in a fresh context, Vietnamese locale."""
    return await pages.open()


@pytest_asyncio.fixture(loop_scope="session")
async def phone_page(pages: Pages) -> Page:
    """A phone-sized page (390×844, touch) in a fresh context, Vietnamese locale."""
    return await pages.open(phone=True)


@dataclass
class OfficerSignIn:
    """`await officer_page(page, ward_id=...)`: a new officer signed in on `page`."""

    web_app: WebApp
    page: Page
    chat: Chat | None = None

    async def __call__(
        self,
        page: Page | None = None,
        *,
        ward_id: str = DEMO_WARD_ID,
        role: str = "officer",
        user_id: str | None = None,
    ) -> Page:
        """Make the officer, follow a fresh link, confirm; returns the page, on the desk home.

        The officer's chat (to send commands or read pushes) is `officer_page.chat` afterwards.
        """
        target = page or self.page
        self.chat = await self.web_app.officer(ward_id=ward_id, role=role, user_id=user_id)
        await sign_in(target, await self.web_app.sign_in_link(self.chat))
        return target


async def sign_in(page: Page, link: str) -> None:
    """Open a sign-in link and press its confirm button; fails unless the desk home opens."""
    await page.goto(link)
    await page.locator("main form button[type=submit]").click()
    await page.wait_for_url("**/can-bo")


@pytest.fixture
def officer_page(page: Page, web_app: WebApp) -> OfficerSignIn:
    """Signs officers in through real links: await it with the page and `ward_id`."""
    return OfficerSignIn(web_app, page)


def _violations_report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html})),
  }));
}"""


class Accessibility:
    """Runs the vendored axe-core (read once) on a page."""

    def __init__(self) -> None:
        self.source = AXE.read_text(encoding="utf-8")

    async def violations(self, page: Page) -> list[dict[str, Any]]:
        """Every axe violation on the page as it is now (all impacts)."""
        if not await page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated through the DevTools protocol, so the site's CSP (scripts from the site
            # only) does not block it, and the page is tested under its real headers.
            await page.evaluate(self.source + "\n;undefined")
        found: list[dict[str, Any]] = await page.evaluate(_AXE_RUN)
        return found

    async def __call__(self, page: Page) -> None:
        """Fail listing each serious or critical violation on the page."""
        blocking = [v for v in await self.violations(page) if v["impact"] in _BLOCKING]
        assert not blocking, f"axe-core on {page.url}:\n{_violations_report(blocking)}"


@pytest.fixture(scope="session")
def assert_accessible() -> Accessibility:
    """Awaited with a page: fails on any serious or critical axe-core violation there."""
    return Accessibility()


class Screenshots:
    """Writes full-page screenshots to `docs/screenshots/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    async def __call__(self, page: Page, name: str) -> Path:
        """Write `docs/screenshots/<name>.png` (lower-case letters, digits, - and _)."""
        assert _NAME.fullmatch(name), f"screenshot name {name!r}: use a-z, 0-9, - and _"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.png"
        data = await page.screenshot(full_page=True, animations="disabled", caret="hide")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        self.written.append(path)
        return path


@pytest.fixture(scope="session")
def screenshot() -> Screenshots:
    """Awaited with a page and a name: writes docs/screenshots/<name>.png, full page."""
    return Screenshots(SCREENSHOTS)
