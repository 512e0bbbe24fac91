"""Amounts and counts typed into the registration form: out of range refused at their step."""

from __future__ import annotations

from bot.app import App
from bot.core.i18n import Translator, format_vnd
from bot.core.types import Reply
from handlers.exit_registration._steps import MAX_INCOME, MAX_MEMBERS, MIN_INCOME, MIN_MEMBERS
from storage.registrations import RegistrationRepository
from tests.handlers.test_exit_registration_flow import MEMBERS_STEP, session_of
from tests.handlers.test_exit_registration_helpers import FORM_INPUTS, fill_form
from tests.harness import Chat, text_of

INCOME_STEP = MEMBERS_STEP + 1  # fill_form(upto=11) stops at the income question
LOW, HIGH = format_vnd(MIN_INCOME, "vi"), format_vnd(MAX_INCOME, "vi")


def echoed(replies: list[Reply], amount: str) -> None:
    """Assert the replies echo `amount` as the household's monthly income."""
    assert Translator("vi")("exit_registration.income_echo", amount=amount) in text_of(replies)


async def finish_from_income(chat: Chat) -> str:
    """Answer the steps after the income and submit; returns the last reply's text."""
    for kind, value in FORM_INPUTS[INCOME_STEP + 1 :]:
        if kind == "tap":
            await chat.tap(value)
        else:
            await chat.send(value)
    await chat.tap("Gửi đăng ký")
    return chat.last.text


async def test_huge_income_is_refused_at_its_step_and_the_form_goes_on(
    app: App, resident: Chat
) -> None:
    """10²³ đồng a month is refused at the income step, the range named; then a real one submits."""
    await fill_form(resident, upto=INCOME_STEP)
    resident.expect("exit_registration.ask.income")
    await resident.send("100000000000000000000000")
    resident.expect("exit_registration.error.income_range", low=LOW, high=HIGH)
    resident.expect("exit_registration.ask.income")
    session = await session_of(app, resident)
    assert session.step == "income"
    assert session.data["f"]["members"] == 4
    assert session.data["f"]["name"] == "Nguyễn Văn An"
    echoed(await resident.send("3tr5"), format_vnd(3_500_000, "vi"))
    text = await finish_from_income(resident)
    assert "TN-" in text
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.monthly_income == 3_500_000


async def test_income_at_the_bounds(app: App, resident: Chat) -> None:
    """One đồng over a month, or a year's figure over 12×, is refused; the ceiling and 0 pass."""
    await fill_form(resident, upto=INCOME_STEP)
    for typed in (f"{MAX_INCOME + 1} đồng", f"{(MAX_INCOME + 1) * 12} đồng một năm"):
        await resident.send(typed)
        resident.expect("exit_registration.error.income_range", low=LOW, high=HIGH)
        assert (await session_of(app, resident)).step == "income"
    echoed(await resident.send(f"{MAX_INCOME} đồng"), HIGH)
    await resident.press(resident.payload_of("Quay lại"))
    resident.expect("exit_registration.ask.income")
    assert (await session_of(app, resident)).step == "income"
    echoed(await resident.send("0"), format_vnd(0, "vi"))
    assert (await session_of(app, resident)).step == "causes"


async def test_income_in_full_width_and_arabic_indic_digits(app: App, resident: Chat) -> None:
    """An income typed in full-width or Arabic-Indic digits is read, on purpose, as today."""
    await fill_form(resident, upto=INCOME_STEP)
    echoed(await resident.send("３ triệu"), format_vnd(3_000_000, "vi"))
    assert (await session_of(app, resident)).data["f"]["income"] == 3_000_000
    await resident.press(resident.payload_of("Quay lại"))
    echoed(await resident.send("٢٥٠٠٠٠٠"), format_vnd(2_500_000, "vi"))
    assert (await session_of(app, resident)).data["f"]["income"] == 2_500_000


async def test_members_out_of_range_or_not_ascii_digits(app: App, resident: Chat) -> None:
    """Members 0, 31, "²" or "①" or Arabic-Indic digits are refused naming 1–30; 30 is taken."""
    await fill_form(resident, upto=MEMBERS_STEP)
    for typed in ("0", str(MAX_MEMBERS + 1), "²", "①", "٤", "10" + "0" * 30):
        await resident.send(typed)
        resident.expect("exit_registration.error.members", low=MIN_MEMBERS, high=MAX_MEMBERS)
        assert (await session_of(app, resident)).step == "members"
    await resident.send(str(MAX_MEMBERS))
    resident.expect("exit_registration.ask.income")
    assert (await session_of(app, resident)).data["f"]["members"] == MAX_MEMBERS


async def test_a_form_saved_with_a_huge_income_goes_back_to_that_step_at_submit(
    app: App, resident: Chat
) -> None:
    """A form saved before incomes had a range: "Gửi" sends it back to the income step, once."""
    await fill_form(resident, upto=INCOME_STEP)
    await resident.send("3tr5")
    for kind, value in FORM_INPUTS[INCOME_STEP + 1 :]:
        if kind == "tap":
            await resident.tap(value)
        else:
            await resident.send(value)
    session = await session_of(app, resident)
    assert session.step == "summary"
    session.data["f"]["income"] = 10**23  # as an older version stored it
    await app.services.sessions.save(session, now=app.services.clock(), message_id=None)
    await resident.tap("Gửi đăng ký")
    resident.expect("exit_registration.error.income_range", low=LOW, high=HIGH)
    assert (await session_of(app, resident)).step == "income"
    assert await RegistrationRepository(app.db).get(1) is None
    await resident.send("4 triệu")
    await resident.tap("Gửi đăng ký")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.monthly_income == 4_000_000
