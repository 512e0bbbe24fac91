"""Registration to exit poverty through the core: the form, validation, idempotency, restart."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.core.i18n import Translator, format_vnd
from storage.registrations import NewRegistration, Registration, RegistrationRepository, Status
from storage.users import Ward
from tests.handlers.test_exit_registration_helpers import FORM_INPUTS, fill_form, submit
from tests.harness import Chat, FakeClock, new_app

VI = Translator("vi")


async def test_form_end_to_end_stores_one_registration(app: App, resident: Chat) -> None:
    """The full form shows a summary, and Submit stores the registration with a TN code."""
    await fill_form(resident)
    summary = resident.last.text
    assert "Nguyễn Văn An" in summary
    assert "05/03/1980" in summary
    assert "048090001234" in summary
    assert "3.500.000 ₫" in summary
    assert "Thiếu vốn, Thiếu việc làm" in summary
    assert "Vay vốn ưu đãi, Học nghề" in summary
    code = await submit_now(resident)
    assert code == "TN-2026-000001"
    resident.expect("exit_registration.submitted", code=code)
    assert "Mẫu số 04" in VI("exit_registration.submitted", code=code)
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.full_name == "Nguyễn Văn An"
    assert stored.birth_date == "1980-03-05"
    assert stored.monthly_income == 3_500_000
    assert stored.causes == ["capital", "jobs"]
    assert stored.supports == ["loan", "training"]
    assert stored.ward_id == "20257"
    assert stored.target_year == 2028
    assert stored.status is Status.SUBMITTED


async def submit_now(chat: Chat) -> str:
    await chat.tap("Gửi đăng ký")
    text = chat.last.text
    return text[text.index("TN-") : text.index("TN-") + 14]


async def test_income_is_echoed(resident: Chat) -> None:
    """The monthly income typed in words is read and echoed in đồng."""
    await fill_form(resident, upto=12)
    echo = VI("exit_registration.income_echo", amount=format_vnd(3_500_000, "vi"))
    assert any(echo in r.text for r in resident.history)


async def test_double_submit_creates_one_registration(app: App, resident: Chat) -> None:
    """Pressing Submit twice stores one registration and shows the same code twice."""
    await fill_form(resident)
    payload = resident.payload_of("Gửi đăng ký")
    await resident.press(payload)
    first = resident.last.text
    await resident.press(payload)
    assert resident.last.text == first
    assert await RegistrationRepository(app.db).count() == 1


async def test_invalid_id_cards_are_refused_and_step_kept(app: App, resident: Chat) -> None:
    """Bad căn cước numbers get a clear Vietnamese message and the same question again."""
    await fill_form(resident, upto=5)
    cases = {
        "04809000123A": "id_digits",
        "04809000123": "id_length",
        "000090001234": "id_province",
        "097090001234": "id_province",
    }
    for typed, problem in cases.items():
        await resident.send(typed)
        resident.expect(f"exit_registration.error.{problem}")
        resident.expect("exit_registration.ask.id_number")
    await resident.send("048 090 001 234")
    resident.expect("exit_registration.ask.phone")


async def test_invalid_phones_are_refused(resident: Chat) -> None:
    """Phones that are not Vietnamese mobiles are refused; +84 form is accepted."""
    await fill_form(resident, upto=6)
    for typed in ("0212345678", "091234567", "09123456789", "abc"):
        await resident.send(typed)
        resident.expect("exit_registration.error.phone")
    await resident.send("+84 912 345 678")
    resident.expect("exit_registration.ask.ward")


async def test_invalid_dates_are_refused(resident: Chat) -> None:
    """Wrong formats, impossible dates, future dates and implausible ages are refused."""
    await fill_form(resident, upto=2)
    cases = {
        "1980-03-05": "birth_format",
        "31/02/1980": "birth_invalid",
        "01/01/2030": "birth_future",
        "01/01/2015": "birth_age",
        "01/01/1900": "birth_age",
    }
    for typed, problem in cases.items():
        await resident.send(typed)
        resident.expect(f"exit_registration.error.{problem}")
        resident.expect("exit_registration.ask.birth")


async def test_invalid_amounts_are_refused(resident: Chat) -> None:
    """Unreadable, ambiguous and negative incomes are refused with a clear message."""
    await fill_form(resident, upto=11)
    cases = {"không biết": "not_money", "800": "ambiguous", "-2 triệu": "negative"}
    for typed, problem in cases.items():
        await resident.send(typed)
        resident.expect(f"exit_registration.error.income_{problem}")
        resident.expect("exit_registration.ask.income")
    await resident.send("36 triệu/năm")
    echo = VI(
        "exit_registration.income_echo_year",
        typed=format_vnd(36_000_000, "vi"),
        amount=format_vnd(3_000_000, "vi"),
    )
    assert any(echo in r.text for r in resident.history[-2:])


async def test_causes_toggle_with_check_marks(resident: Chat) -> None:
    """Causes are toggled on and off with ✅, and "Khác" asks for a description."""
    await fill_form(resident, upto=12)
    await resident.tap("Thiếu vốn")
    assert "✅ Thiếu vốn" in [c.label for c in resident.last.choices]
    await resident.tap("Thiếu vốn")
    assert "▫️ Thiếu vốn" in [c.label for c in resident.last.choices]
    await resident.tap("Xong")
    resident.expect("exit_registration.error.pick_one")
    await resident.tap("Khác")
    await resident.tap("Xong")
    resident.expect("exit_registration.ask.cause_other")
    await resident.send("Nhà bị lũ cuốn")
    resident.expect("exit_registration.ask.supports")


async def test_back_and_edit_from_summary(app: App, resident: Chat) -> None:
    """Back returns to the previous question; Edit changes one field and returns to the summary."""
    await fill_form(resident, upto=3)
    await resident.tap("Quay lại")
    resident.expect("exit_registration.ask.birth")
    await resident.send("05/03/1980")
    for kind, value in FORM_INPUTS[3:]:
        if kind == "tap":
            await resident.tap(value)
        else:
            await resident.send(value)
    await resident.tap("Sửa")
    await resident.tap("Điện thoại")
    await resident.send("0387654321")
    resident.expect("exit_registration.summary_head")
    assert "0387654321" in resident.last.text
    await resident.tap("Gửi đăng ký")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.phone == "0387654321"


async def test_consent_refused_stores_nothing(app: App, resident: Chat) -> None:
    """Refusing consent leaves the flow without asking for anything."""
    await resident.press("menu:exit_registration")
    resident.expect("exit_registration.consent")
    assert "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15" in VI("exit_registration.consent")
    await resident.tap("Không đồng ý")
    resident.expect("exit_registration.consent_refused")
    assert await RegistrationRepository(app.db).count() == 0


async def test_restart_mid_form_keeps_the_step(tmp_path: Path, clock: FakeClock) -> None:
    """Closing the app mid-form and opening a new one on the same file continues the form."""
    path = tmp_path / "restart.sqlite3"
    first = await new_app(path, clock)
    try:
        await fill_form(Chat(first, "r-restart"), upto=7)
    finally:
        await first.close()
    second = await new_app(path, clock)
    try:
        chat = Chat(second, "r-restart")
        await chat.send("1")
        chat.expect("exit_registration.ask.address")
        for kind, value in FORM_INPUTS[8:]:
            if kind == "tap":
                await chat.tap(value)
            else:
                await chat.send(value)
        await chat.tap("Gửi đăng ký")
        assert "TN-2026-000001" in chat.last.text
        stored = await RegistrationRepository(second.db).get(1)
        assert stored is not None
        assert stored.phone == "0912345678"
        assert stored.id_number == "048090001234"
    finally:
        await second.close()


async def test_submit_helper_returns_code(resident: Chat) -> None:
    """The reference code is the year and a zero-padded id."""
    assert await submit(resident) == "TN-2026-000001"


async def test_same_submission_token_stores_once(app: App, resident: Chat) -> None:
    """Replaying a submission with the stored token (e.g. after a crash) returns the same row."""
    await fill_form(resident)
    session = await app.services.sessions.load("test", "resident-1", now=app.services.clock())
    token = str(session.data["token"])
    await resident.tap("Gửi đăng ký")
    repo = RegistrationRepository(app.db)
    first = await repo.get(1)
    assert first is not None
    again, created = await repo.create(
        replace_token_target(first), token=token, now=app.services.clock(), year=2026
    )
    assert not created
    assert again.id == first.id
    assert await repo.count() == 1


def replace_token_target(stored: Registration) -> NewRegistration:
    """The form data of a stored registration, as a new submission."""
    return NewRegistration(
        user_id=stored.user_id or 0,
        channel=stored.channel,
        chat_id=stored.chat_id,
        ward_id=stored.ward_id,
        full_name=stored.full_name,
        birth_date=stored.birth_date,
        sex=stored.sex,
        ethnicity=stored.ethnicity,
        id_number=stored.id_number,
        phone=stored.phone,
        address=stored.address,
        household_code=stored.household_code,
        members=stored.members,
        monthly_income=stored.monthly_income or 0,
        causes=stored.causes,
        cause_other=stored.cause_other,
        supports=stored.supports,
        support_other=stored.support_other,
        target_year=stored.target_year,
    )


async def test_own_ward_is_offered_first(app: App, resident: Chat) -> None:
    """A resident whose ward is known sees it first, marked as their ward."""
    await app.services.users.add_ward(Ward("a-ward", "Phường An Hải", "Thành phố Đà Nẵng", "urban"))
    await resident.send("/start")
    user = await app.services.users.find("test", "resident-1")
    assert user is not None
    await app.services.users.set_ward(user.id, "20257")
    await fill_form(resident, upto=7)
    labels = [c.label for c in resident.last.choices]
    demo = VI("ward.demo", name="Phường Hòa Cường")
    assert labels[0] == VI("exit_registration.ward_own", name=demo)
    assert "Phường An Hải" in labels


async def test_english_locale_has_the_same_form(resident: Chat) -> None:
    """After /lang en the consent and questions are in English."""
    await resident.send("/lang en")
    resident.language = "en"
    await resident.press("menu:exit_registration")
    resident.expect("exit_registration.consent")
    assert "Law 91/2025/QH15" in resident.last.text
    await resident.tap("I agree")
    resident.expect("exit_registration.ask.name")
