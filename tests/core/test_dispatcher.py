"""Core dispatcher: ordering, dedupe, cancel, forged payloads, error boundary, typed choices."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

import pytest

from bot.app import App
from bot.core.dispatcher import Dispatcher
from bot.core.registry import EVERYONE, STAFF, Action, Registry
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from tests.harness import Chat, FakeClock, make_officer, new_app, text_of


class Step(StrEnum):
    """Steps of the test flow."""

    NAME = "name"
    """Asks for a name."""
    COLOR = "color"
    """Asks for a colour with buttons."""


class DemoFlow:
    """A small two-step flow registered only in tests, to exercise the core."""

    name = "demo"
    roles = EVERYONE

    async def start(self, turn: Turn) -> list[Reply]:
        turn.session.enter(self.name, Step.NAME)
        return [Reply("Tên bạn là gì?", (Choice("Huỷ", "demo:cancel"),), expects_text=True)]

    async def handle(self, turn: Turn) -> list[Reply]:
        if turn.session.step == Step.NAME:
            if turn.text == "boom":
                turn.session.data["partial"] = "should not be saved"
                raise RuntimeError("secret personal text 0912345678")
            turn.session.data["name"] = turn.text
            turn.session.step = Step.COLOR
            return [Reply("Màu?", (Choice("Đỏ", "demo:red"), Choice("Xanh", "demo:blue")))]
        if turn.payload in ("demo:red", "demo:blue"):
            name = turn.session.data["name"]
            turn.session.clear()
            return [Reply(f"Xong: {name} {turn.payload}")]
        return [Reply("Chọn màu")]


async def officer_secret(turn: Turn) -> list[Reply]:
    """An officer-only action."""
    return [Reply("bí mật cán bộ")]


def extension(registry: Registry, dispatcher: Dispatcher) -> None:
    """Register the demo flow as a menu item plus an officer action."""
    from bot.core.registry import MenuItem

    flow = DemoFlow()
    registry.add_flow(flow)
    registry.add_menu_item(MenuItem("demo", "Demo", flow.start, EVERYONE, order=99))
    registry.add_action(Action("secret", officer_secret, STAFF))


@pytest.fixture
async def demo_app(tmp_path, clock: FakeClock):  # type: ignore[no-untyped-def]
    application = await new_app(tmp_path / "core.sqlite3", clock, [extension])
    yield application
    await application.close()


async def test_start_shows_menu_buttons_for_residents_only(demo_app: App) -> None:
    """/start greets in Vietnamese with the resident menu; officers see officer items too."""
    resident = Chat(demo_app, "r1")
    replies = await resident.send("/start")
    assert "Xin chào" in replies[0].text
    payloads = [c.payload for c in replies[0].choices]
    assert "menu:demo" in payloads
    assert "menu:inbox" not in payloads
    officer = Chat(demo_app, "o1")
    await make_officer(demo_app, officer)
    officer_payloads = [c.payload for c in (await officer.send("menu"))[0].choices]
    assert "menu:inbox" in officer_payloads


async def test_menu_greets_briefly_and_start_introduces(demo_app: App) -> None:
    """/start and "bắt đầu" introduce the assistant; "menu", "xin chao" just show the menu."""
    chat = Chat(demo_app, "r9")
    for text in ("/start", "bắt đầu", "bat dau"):
        [intro] = await chat.send(text)
        assert "Tôi là Trợ lý Giảm nghèo" in intro.text
        assert "chỉ do UBND xã/phường/đặc khu công nhận sau rà soát" in intro.text
    await chat.press("menu:demo")
    for text in ("menu", "xin chào", "xin chao", "/menu", "chào"):
        [short] = await chat.send(text)
        assert short.text == "Xin chào bạn! Bạn cần gì? Chọn một mục bên dưới hoặc gõ câu hỏi."
        assert [c.payload for c in short.choices] == [c.payload for c in intro.choices]
    session = await demo_app.services.sessions.load("test", "r9", now=demo_app.services.clock())
    assert session.flow is None  # the menu left the demo flow


async def test_typed_number_and_label_work_like_buttons(demo_app: App) -> None:
    """A typed number or button label selects the offered choice."""
    chat = Chat(demo_app, "r2")
    await chat.press("menu:demo")
    await chat.send("Lan")
    assert text_of(await chat.send("2")) == "Xong: Lan demo:blue"
    await chat.press("menu:demo")
    await chat.send("Minh")
    assert text_of(await chat.send("đỏ")) == "Xong: Minh demo:red"


async def test_typed_main_menu_label_opens_the_item_anywhere(demo_app: App) -> None:
    """A main-menu label typed after a Q&A answer opens that item, not a search for it."""
    chat = Chat(demo_app, "r5")
    answer = await chat.send("bhyt ho ngheo")
    assert "Căn cứ:" in text_of(answer) and "Câu 1/" not in text_of(answer)
    opened = await chat.send("📋 Tự kiểm tra hộ nghèo/cận nghèo")
    assert "Câu 1/" in text_of(opened)
    session = await demo_app.services.sessions.load("test", "r5", now=demo_app.services.clock())
    assert session.flow == "sc"
    typed = await chat.send("tu kiem tra ho ngheo/can ngheo")  # no diacritics, still the label
    assert "Câu 1/" in text_of(typed)
    officer_only = await chat.send("💰 Quỹ Vì người nghèo")  # an officer's item: not for residents
    # The first step takes a typed commune name, so the text is looked up as one, not opened.
    assert text_of(officer_only).startswith("Tôi chưa tìm thấy xã, phường, đặc khu nào")
    session = await demo_app.services.sessions.load("test", "r5", now=demo_app.services.clock())
    assert session.flow == "sc"
    await chat.press("menu:demo")
    await chat.send("📋 Tự kiểm tra hộ nghèo/cận nghèo")  # a name step: the text is the name
    session = await demo_app.services.sessions.load("test", "r5", now=demo_app.services.clock())
    assert session.flow == "demo" and session.data["name"] == "📋 Tự kiểm tra hộ nghèo/cận nghèo"


async def test_number_is_input_on_free_text_steps(demo_app: App) -> None:
    """On a step that expects text, a typed number is the input, not a choice."""
    chat = Chat(demo_app, "r3")
    await chat.press("menu:demo")
    await chat.send("1")
    session = await demo_app.services.sessions.load("test", "r3", now=demo_app.services.clock())
    assert session.data["name"] == "1"
    assert session.step == Step.COLOR


async def test_cancel_from_any_step(demo_app: App) -> None:
    """/cancel and "huỷ"/"thoát" leave the flow at any step."""
    for word in ("/cancel", "huỷ", "Huy", "thoát"):
        chat = Chat(demo_app, f"c-{word}")
        await chat.press("menu:demo")
        await chat.send("Lan")
        replies = await chat.send(word)
        assert "Đã huỷ" in replies[0].text
        session = await demo_app.services.sessions.load(
            "test", f"c-{word}", now=demo_app.services.clock()
        )
        assert session.flow is None


async def test_redelivered_message_is_handled_once(demo_app: App) -> None:
    """The same message id is handled once."""
    chat = Chat(demo_app, "r4")
    await chat.press("menu:demo")
    first = await chat.send("Lan", message_id="same-1")
    second = await chat.send("Lan", message_id="same-1")
    assert first and first[0].text == "Màu?"
    assert second == []


async def test_messages_of_one_user_are_handled_in_order(demo_app: App) -> None:
    """Concurrent messages from one user are processed strictly in arrival order."""
    chat = Chat(demo_app, "r5")
    await chat.press("menu:demo")
    results = await asyncio.gather(chat.send("An"), chat.send("1"))
    assert results[0][0].text == "Màu?"
    assert results[1][0].text == "Xong: An demo:red"


async def test_forged_officer_payload_is_refused_and_audited(demo_app: App) -> None:
    """A resident sending an officer payload is refused on the server and audited."""
    chat = Chat(demo_app, "r6")
    replies = await chat.press("secret:anything")
    assert "không có quyền" in replies[0].text
    assert "bí mật" not in text_of(replies)
    audit = await demo_app.services.audit.recent(action_prefix="access.denied")
    assert audit and audit[0].target == "secret"
    forged_menu = await chat.press("menu:inbox")
    assert "không có quyền" in forged_menu[0].text


async def test_unknown_and_stale_buttons(demo_app: App) -> None:
    """Unknown payloads and buttons of a finished flow get a clear message and the menu."""
    chat = Chat(demo_app, "r7")
    unknown = await chat.press("zzz:1")
    assert "không nhận ra" in unknown[0].text
    stale = await chat.press("demo:red")
    assert "đã kết thúc" in stale[0].text


async def test_error_boundary_apologises_with_reference_and_keeps_step(
    demo_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error gives an apology with a reference id, logs no personal data."""
    chat = Chat(demo_app, "r8")
    await chat.press("menu:demo")
    with caplog.at_level(logging.ERROR):
        replies = await chat.send("boom")
    assert "Xin lỗi" in replies[0].text
    ref = replies[0].text.split("mã ")[1].split(" ")[0]
    assert ref in caplog.text
    assert "0912345678" not in caplog.text
    assert "boom" not in caplog.text
    session = await demo_app.services.sessions.load("test", "r8", now=demo_app.services.clock())
    assert session.step == Step.NAME
    assert "partial" not in session.data
    assert text_of(await chat.send("Lan")) == "Màu?"


async def test_long_and_emoji_messages_lose_nothing(demo_app: App) -> None:
    """A 10,000-character message gets a clear message and the step is kept; emoji are fine."""
    chat = Chat(demo_app, "r9")
    await chat.press("menu:demo")
    replies = await chat.send("a" * 10_000)
    assert "quá dài" in replies[0].text
    assert text_of(await chat.send("Lan 🌸")) == "Màu?"
    assert text_of(await chat.send("1")) == "Xong: Lan 🌸 demo:red"


async def test_session_survives_restart(tmp_path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """The session is written through: a new process continues at the same step."""
    path = tmp_path / "restart.sqlite3"
    first = await new_app(path, clock, [extension])
    await Chat(first, "r10").press("menu:demo")
    await Chat(first, "r10").send("Lan")
    await first.close()
    second = await new_app(path, clock, [extension])
    try:
        assert text_of(await Chat(second, "r10").send("2")) == "Xong: Lan demo:blue"
    finally:
        await second.close()


async def test_language_switch(demo_app: App) -> None:
    """/lang en switches to English; /lang vi back."""
    chat = Chat(demo_app, "r11")
    assert "English" in (await chat.send("/lang en"))[0].text
    assert "Hello" in (await chat.send("/start"))[0].text
    assert "tiếng Việt" in (await chat.send("/lang vi"))[0].text


async def test_registry_refuses_duplicate_commands_and_prefixes() -> None:
    """Two owners for one command or payload prefix fail at start-up."""
    from bot.core.registry import Command, RegistryError

    registry = Registry()
    registry.add_command(Command(("/x", "hủy"), officer_secret))
    with pytest.raises(RegistryError):
        registry.add_command(Command(("huỷ",), officer_secret))
    registry.add_action(Action("p", officer_secret))
    with pytest.raises(RegistryError):
        registry.add_action(Action("p", officer_secret))


async def test_real_registry_has_unique_commands(app: App) -> None:
    """The composition root registers each command name once and the Q&A fallback."""
    names = [name for command in app.registry.command_list for name in command.names]
    assert len(names) == len(set(names))
    assert app.registry.fallback is not None
