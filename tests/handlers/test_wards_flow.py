"""Residents choose their commune by typing its name: registration form and /hoicanbo."""

from __future__ import annotations

from bot.app import App
from bot.core.i18n import Translator
from knowledge.admin_units import unit
from storage.users import ward_from_unit
from tests.handlers.test_exit_registration_helpers import fill_form
from tests.harness import Chat, text_of

WARD_STEP = 7  # fill_form(upto=7) stops at the ward question
VI = Translator("vi")


async def add(app: App, *codes: str) -> None:
    """Put official communes in service."""
    for code in codes:
        found = unit(code)
        assert found is not None
        await app.services.users.add_ward(ward_from_unit(found))


async def step_of(app: App, chat: Chat) -> tuple[str | None, object]:
    """The chat's flow step and chosen ward id."""
    session = await app.services.sessions.load(chat.channel, chat.user_id, now=app.services.clock())
    return session.step, session.data.get("f", {}).get("ward_id")


async def test_typed_name_without_diacritics_or_with_a_typo(app: App) -> None:
    """A name without diacritics, with a typo or a prefix chooses Phường Hòa Cường."""
    for number, typed in enumerate(("hoa cuong", "hoa cuonh da nang", "P. Hòa Cường")):
        chat = Chat(app, f"typed-{number}")
        await fill_form(chat, upto=WARD_STEP)
        chat.expect("exit_registration.ask.ward")
        await chat.send(typed)
        chat.expect("exit_registration.ask.address")
        assert await step_of(app, chat) == ("address", "20257")


async def test_demo_ward_button_is_marked_and_production_names_are_not(app: App) -> None:
    """The demo ward's button says "dữ liệu mẫu"; a real ward's button is its official name."""
    await add(app, "26743")
    chat = Chat(app, "labels")
    await fill_form(chat, upto=WARD_STEP)
    labels = [c.label for c in chat.last.choices]
    assert VI("ward.demo", name="Phường Hòa Cường") in labels
    assert "Phường Bến Thành" in labels
    stored = await app.services.users.ward("20257")
    assert stored is not None and stored.name == "Phường Hòa Cường" and stored.demo


async def test_real_commune_not_in_service_is_explained_and_asked_again(app: App) -> None:
    """A real commune that does not use the assistant yet: contact it directly; same question."""
    chat = Chat(app, "not-served")
    await fill_form(chat, upto=WARD_STEP)
    await chat.send("phuong ben thanh tp hcm")
    chat.expect("ward.not_served", name="Phường Bến Thành", province="Thành phố Hồ Chí Minh")
    chat.expect("exit_registration.ask.ward")
    assert await step_of(app, chat) == ("ward", None)
    await chat.send("Hòa Cường")
    assert await step_of(app, chat) == ("address", "20257")


async def test_unknown_name_is_asked_again(app: App) -> None:
    """Text that names no commune gets a clear message and the question again."""
    chat = Chat(app, "unknown")
    await fill_form(chat, upto=WARD_STEP)
    await chat.send("qwerty zxcv")
    chat.expect("ward.not_found", typed="qwerty zxcv")
    assert await step_of(app, chat) == ("ward", None)


async def test_ambiguous_name_offers_buttons_with_the_province(app: App) -> None:
    """Phường An Bình of Cần Thơ and of Gia Lai both in service: buttons name the province."""
    await add(app, "31150", "23614")
    chat = Chat(app, "ambiguous")
    await fill_form(chat, upto=WARD_STEP)
    await chat.send("an binh")
    labels = [c.label for c in chat.last.choices]
    for province in ("Thành phố Cần Thơ", "Tỉnh Gia Lai"):
        assert VI("ward.with_province", name="Phường An Bình", province=province) in labels
    assert await step_of(app, chat) == ("ward", None)
    await chat.tap("Cần Thơ")
    assert await step_of(app, chat) == ("address", "31150")
    typed = Chat(app, "ambiguous-typed")
    await fill_form(typed, upto=WARD_STEP)
    await typed.send("an binh gia lai")
    assert await step_of(app, typed) == ("address", "23614")


async def test_forged_ward_payloads_are_refused(app: App) -> None:
    """Buttons for an unknown or a disabled ward are refused and the step is kept."""
    await add(app, "26743")
    await app.services.users.remove_ward("26743")  # nothing points at it: deleted
    await add(app, "31078")
    await app.services.users.set_role(
        "test", "someone", "officer", "31078", now=app.services.clock()
    )
    assert await app.services.users.remove_ward("31078") == "disabled"
    chat = Chat(app, "forger")
    await fill_form(chat, upto=WARD_STEP)
    for forged in ("reg:ward:99999", "reg:ward:26743", "reg:ward:31078", "reg:ward:"):
        replies = await chat.press(forged)
        assert VI("exit_registration.ask.ward") in text_of(replies)
        assert await step_of(app, chat) == ("ward", None)
    await chat.send("phu quoc")
    assert "chưa dùng Trợ lý Giảm nghèo" in chat.last.text
    assert await step_of(app, chat) == ("ward", None)


async def test_many_wards_are_typed_not_listed(app: App) -> None:
    """With more than 8 wards in service no ward buttons are shown; typing still works."""
    await add(app, "26743", "31150", "23614", "31078", "05425", "00004", "00008", "26732")
    chat = Chat(app, "many")
    await fill_form(chat, upto=WARD_STEP)
    assert [c.payload for c in chat.last.choices if c.payload.startswith("reg:ward:")] == []
    assert chat.last.expects_text
    await chat.send("con dao")
    assert await step_of(app, chat) == ("address", "26732")


async def test_hoicanbo_ward_by_typed_name(app: App) -> None:
    """In /hoicanbo a typed name picks the ward; a real one not in service is explained."""
    await add(app, "26743", "31150", "23614", "31078", "05425", "00004", "00008", "26732")
    chat = Chat(app, "asker")
    await chat.send("/hoicanbo")
    await chat.send("Xin hỏi thủ tục vay vốn?")
    assert chat.last.expects_text
    await chat.send("phuong lao cai")
    chat.expect("ward.not_served", name="Phường Lào Cai", province="Tỉnh Lào Cai")
    await chat.send("hoa cuong da nang")
    assert "thủ tục vay vốn" in chat.last.text
    await chat.press("faqh:send")
    row = await app.db.fetchone("SELECT ward_id FROM handover_questions")
    assert row is not None and row[0] == "20257"


async def test_hoicanbo_forged_ward_is_refused(app: App) -> None:
    """A forged `faqh:w:` for a ward not in service is refused."""
    await add(app, "26743")
    await app.services.users.set_role("test", "x", "officer", "26743", now=app.services.clock())
    await app.services.users.remove_ward("26743")
    chat = Chat(app, "asker-forged")
    await chat.send("/hoicanbo")
    await chat.send("Câu hỏi thử")
    replies = await chat.press("faqh:w:26743")
    assert VI("error.unknown_button") in text_of(replies)
    session = await app.services.sessions.load("test", "asker-forged", now=app.services.clock())
    assert session.step == "ward" and not session.data.get("ward")
