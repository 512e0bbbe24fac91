"""The resident web chat over plain HTTP: history, buttons, double submits, pushes, files."""

from __future__ import annotations

import asyncio
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.core.i18n import Translator, load_catalog
from bot.core.types import Attachment, Reply
from storage import web_chat
from tests.handlers.test_exit_registration_helpers import FORM_INPUTS
from tests.web.conftest import WebApp

VI = Translator("vi")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_BUTTON = re.compile(r'<button type="submit" name="(\w+)" value="([^"]*)">(.*?)</button>', re.S)


@dataclass
class Button:
    """A button of a page: its form's hidden fields, its name, value and label."""

    fields: dict[str, str]
    name: str
    value: str
    label: str


@dataclass
class Browser:
    """One browser on the web chat (its own cookies), reading the page as a browser would."""

    web_app: WebApp
    http: aiohttp.ClientSession
    page: str = ""
    pages: list[str] = field(default_factory=list)

    async def open(self, path: str = "/tro-chuyen") -> str:
        """GET the chat page; returns its HTML."""
        async with self.http.get(self.web_app.url(path)) as response:
            assert response.status == 200
            self.page = await response.text()
        return self.page

    def fields(self) -> dict[str, str]:
        """The hidden fields of the text box's form."""
        for attributes, body in _FORM.findall(self.page):
            if 'id="nhap"' in attributes:
                return dict(_HIDDEN.findall(body))
        raise AssertionError("no text form on the page")

    def buttons(self) -> list[Button]:
        """Every choice button on the page, in order."""
        found = []
        for attributes, body in _FORM.findall(self.page):
            if 'class="choices"' in attributes:
                hidden = dict(_HIDDEN.findall(body))
                for name, value, label in _BUTTON.findall(body):
                    found.append(Button(hidden, name, html.unescape(value), html.unescape(label)))
        return found

    async def post(self, data: dict[str, str], *, status: int = 303) -> str:
        """POST the chat form; follows the redirect; returns the page shown."""
        async with self.http.post(
            self.web_app.url("/tro-chuyen"), data=data, allow_redirects=False
        ) as response:
            assert response.status == status, await response.text()
            if status != 303:
                self.page = await response.text()
                return self.page
            assert response.headers["Location"] == "/tro-chuyen"
        return await self.open()

    async def say(self, text: str, *, status: int = 303) -> str:
        """Type `text` in the box and send it."""
        return await self.post({**self.fields(), "text": text}, status=status)

    async def press(self, label_part: str) -> str:
        """Press the first button containing `label_part` of the newest message offering one."""
        buttons = self.buttons()
        newest: dict[str, Button] = {}
        for button in buttons:  # later messages' forms override earlier ones
            if label_part.lower() in button.label.lower():
                newest.setdefault(button.fields.get("ref", ""), button)
        assert newest, f"no button {label_part!r} in {[b.label for b in buttons]}"
        button = list(newest.values())[-1]
        return await self.post({**button.fields, button.name: button.value})

    def text(self) -> str:
        """The conversation's visible text (tags dropped, entities read)."""
        found = re.search(r'<ol id="messages".*?</ol>', self.page, re.S)
        assert found is not None
        return html.unescape(re.sub(r"<[^>]+>", " ", found[0]))


async def chat_rows(web_app: WebApp) -> list[tuple[str, str]]:
    """Every stored history row as (author, text), oldest first."""
    rows = await web_app.app.db.fetchall("SELECT author, text FROM web_chat_messages ORDER BY id")
    return [(str(row["author"]), str(row["text"])) for row in rows]


async def test_a_message_is_answered_and_the_history_survives_a_return_visit(
    web_app: WebApp,
) -> None:
    """/start is answered with the menu as buttons; a new visit shows it; another browser not."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        first = await browser.open()
        assert 'aria-live="polite"' in first and 'for="chat-text"' in first
        assert "autofocus" in first
        await browser.press(VI("web_chat.start"))
        assert "/start" in browser.text()
        labels = [button.label for button in browser.buttons()]
        assert any("Tự kiểm tra" in label for label in labels), labels
        assert all(button.name == "payload" for button in browser.buttons())
        again = Browser(web_app, http)
        await again.open()
        assert again.text() == browser.text()
    async with web_app.client() as other_http:
        other = Browser(web_app, other_http)
        await other.open()
        assert "/start" not in other.text()
        assert VI("web_chat.welcome") in other.text()
    users = await web_app.app.db.fetchall("SELECT channel, external_id FROM users")
    cookie_names = [row["external_id"] for row in users if row["channel"] == "web"]
    assert len(cookie_names) == 1 and cookie_names[0].startswith("w")


async def test_buttons_post_their_payload_and_a_forged_one_is_unknown(web_app: WebApp) -> None:
    """A menu button starts the self-check; a forged payload is an unknown button, no crash."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/start")
        await browser.press("Tự kiểm tra")
        assert "Tự kiểm tra" in browser.text().split("Trợ lý:")[-2]  # the press shows its label
        forged = {**browser.fields(), "payload": "sc:zz:forged"}
        await browser.post(forged)
        assert VI("web_chat.pressed_unknown") in browser.text()
        assert browser.text().count("Câu 1/22") == 2  # the flow asks its question again
        too_long = {**browser.fields(), "payload": "x" * 200}
        async with http.post(web_app.url("/tro-chuyen"), data=too_long) as refused:
            assert refused.status == 400
            assert VI("web_chat.bad_button") in await refused.text()


async def test_the_same_form_sent_twice_is_one_message(web_app: WebApp) -> None:
    """A double submit (same form id, same text) is stored, handled and answered once."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        data = {**browser.fields(), "text": "hộ nghèo là gì"}
        await browser.post(data)
        await browser.post(data)
        rows = await chat_rows(web_app)
        assert [text for author, text in rows if author == "resident"] == ["hộ nghèo là gì"]
        inbox = await web_app.app.db.fetchall("SELECT id FROM inbox WHERE channel = 'web'")
        assert len(inbox) == 1
        replies = [text for author, text in rows if author == "bot"]
        assert replies and len(replies) == len(set(replies))
        # The same form re-used for something else (after going back) is a new message.
        await browser.post({**data, "text": "cận nghèo là gì"})
        rows = await chat_rows(web_app)
        sent = [text for author, text in rows if author == "resident"]
        assert sent == ["hộ nghèo là gì", "cận nghèo là gì"]


async def test_a_too_long_message_is_refused_and_kept_in_the_box(web_app: WebApp) -> None:
    """10,000 characters: a Vietnamese message, the text still in the box, nothing stored."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        long_text = "Nhà tôi có 5 người. " * 500
        assert len(long_text) == 10_000
        page = await browser.say(long_text, status=400)
        assert "Tin nhắn quá dài (9999 ký tự)" in page  # the text is stripped before counting
        assert 'aria-invalid="true"' in page and 'role="alert"' in page
        assert f'value="{long_text.strip()}"' in page
        assert await chat_rows(web_app) == []
        inbox = await web_app.app.db.fetchone("SELECT COUNT(*) FROM inbox")
        assert inbox is not None and inbox[0] == 0
        await browser.open()
        await browser.say("Cảm ơn 🙏🏽 nhé 😊")
        assert "Cảm ơn 🙏🏽 nhé 😊" in browser.text()
        assert len([a for a, _ in await chat_rows(web_app) if a == "bot"]) >= 1


async def test_an_officers_answer_reaches_the_page_through_the_outbox(web_app: WebApp) -> None:
    """A handed-over question's answer is pushed to the web chat; the poll returns only it."""
    web_app.deliver()
    officer = await web_app.officer()
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/hoicanbo")
        await browser.say("Nhà tôi có được vay vốn không?")
        await browser.press("Hòa Cường")
        await browser.press(VI("faq.handover_send"))
        last = max(int(n) for n in re.findall(r'id="tin-(\d+)"', browser.page))
        poll = web_app.url(f"/tro-chuyen/moi?sau={last}&cho=0")
        async with http.get(poll) as nothing:
            assert nothing.status == 204
        await officer.send("/hopthu")
        await officer.press("faqo:a:1")
        await officer.send("Được vay tại Ngân hàng Chính sách xã hội, mức tối đa 100 triệu.")
        for _ in range(50):
            async with http.get(poll) as fresh:
                if fresh.status == 200:
                    fragment = await fresh.text()
                    break
            await asyncio.sleep(0.1)  # the outbox worker runs every 0.2 s
        else:
            raise AssertionError("the answer never reached the web chat")
        assert 'hx-swap-oob="beforeend:#messages"' in fragment
        assert "Ngân hàng Chính sách xã hội" in fragment
        assert fragment.count("<li ") == 1  # only what is new
        assert 'hx-trigger="every 5s"' in fragment
        await browser.open()
        assert "Ngân hàng Chính sách xã hội" in browser.text()


async def test_a_file_is_served_only_to_its_browser(web_app: WebApp) -> None:
    """A chart pushed to a browser shows inline with a download link; another browser gets 404."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/start")
        row = await web_app.app.db.fetchone("SELECT external_id FROM users WHERE channel = 'web'")
        assert row is not None
        channel = web_app.site.senders["web"]
        chart = Attachment("bieu-do.png", PNG, "image")
        await channel.send(row[0], [Reply("Biểu đồ tiến độ", attachment=chart)])
        page = await browser.open()
        found = re.search(r'<a href="(/tro-chuyen/tep/\d+)" download>', page)
        assert found is not None and f'<img src="{found[1]}"' in page
        async with http.get(web_app.url(found[1])) as served:
            assert served.status == 200
            assert served.headers["Content-Type"] == "image/png"
            assert await served.read() == PNG
    async with web_app.client() as stranger:
        async with stranger.get(web_app.url(found[1])) as refused:
            assert refused.status == 404
        async with stranger.get(web_app.url("/tro-chuyen/tep/abc")) as bad:
            assert bad.status == 404


async def test_history_lasts_30_days_and_xoadulieu_deletes_it(web_app: WebApp) -> None:
    """After 31 days the history is gone; /xoadulieu lists and deletes the browser's messages."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/start")
        web_app.clock.advance(days=31)
        await browser.open()
        assert "/start" not in browser.text()
        await browser.say("hộ nghèo là gì")
        assert (
            await web_app.app.db.fetchone("SELECT 1 FROM web_chat_messages WHERE text = '/start'")
            is None
        )  # purged, not only hidden
        await browser.say("/xoadulieu")
        count = len(await chat_rows(web_app)) - 1  # counted before the question was stored
        assert VI("privacy.kind.web_chat_messages", count=count) in browser.text()
        await browser.press(VI("privacy.yes_delete"))
        rows = await chat_rows(web_app)
        assert len(rows) == 1 and rows[0][0] == "bot"  # only the answer saying what went
        assert "hộ nghèo là gì" not in browser.text()


async def test_a_message_still_in_hand_shows_as_being_handled(web_app: WebApp) -> None:
    """A stored message without replies yet: the page says "đang xử lý" and keeps polling."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/start")
        row = await web_app.app.db.fetchone("SELECT chat_id FROM users WHERE channel = 'web'")
        assert row is not None
        await web_app.app.db.write(
            lambda conn: web_chat.record_sent_in(
                conn, str(row[0]), "f" * 16, "t:chờ", "chờ", web_app.clock()
            )
        )
        page = await browser.open()
        assert VI("web_chat.pending") in page
        assert "cho=1" in page


async def test_a_post_without_the_csrf_token_is_refused(web_app: WebApp) -> None:
    """The chat's form without its token is 403 and nothing is stored."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        data = {**browser.fields(), "text": "xin chào"}
        del data["csrf"]
        async with http.post(web_app.url("/tro-chuyen"), data=data) as refused:
            assert refused.status == 403
        assert await chat_rows(web_app) == []


async def test_a_toggled_choice_changes_its_message_in_place(web_app: WebApp) -> None:
    """Ticking a cause edits the pressed message (as Telegram does), adding no bubble."""
    async with web_app.client() as http:
        browser = Browser(web_app, http)
        await browser.open()
        await browser.say("/start")
        await browser.press("Đăng ký thoát nghèo")
        for kind, value in FORM_INPUTS[:12]:
            await (browser.press(value) if kind == "tap" else browser.say(value))
        before = await chat_rows(web_app)
        await browser.press("Thiếu vốn")
        assert "✅ Thiếu vốn" in [button.label for button in browser.buttons()]
        await browser.press("Thiếu vốn")
        assert "▫️ Thiếu vốn" in [button.label for button in browser.buttons()]
        assert len(await chat_rows(web_app)) == len(before)
        await browser.press("Thiếu vốn")
        await browser.press("Xong")
        assert VI("exit_registration.ask.supports") in browser.text()


def test_the_chats_messages_are_used_and_match_in_both_languages() -> None:
    """Every `web_chat.*` message is used, NFC, with the same placeholders in vi and en."""
    root = Path(__file__).resolve().parents[2]
    sources = (root / "bot" / "web" / "chat.py").read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8")
        for path in (root / "bot" / "web" / "templates" / "chat").glob("*.html")
    )
    sources += (root / "bot" / "web" / "pages.py").read_text(encoding="utf-8")
    vi, en = load_catalog("vi"), load_catalog("en")
    keys = [key for key in vi if key.startswith("web_chat.")]
    assert len(keys) >= 15
    for key in keys:
        assert f'"{key}"' in sources or f"'{key}'" in sources, f"{key} is not used"
        assert unicodedata.is_normalized("NFC", vi[key]), key
        assert set(re.findall(r"{\w+}", vi[key])) == set(re.findall(r"{\w+}", en[key])), key
    assert "{count}" in vi["privacy.kind.web_chat_messages"]
