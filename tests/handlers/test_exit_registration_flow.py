"""Both registration flows on the step framework: stale and forged buttons, repeats, cancel."""

from __future__ import annotations

from dataclasses import fields

from bot.app import App
from bot.core.flow import CANCEL, MAX_PAYLOAD_BYTES, Payload
from bot.core.i18n import Translator
from handlers.exit_registration import _buttons
from handlers.exit_registration._data import OfficerData, RegistrationForm, ResidentData
from handlers.exit_registration._steps import EDITABLE, FORM, Step
from storage.registrations import RegistrationRepository, Status
from storage.sessions import Session
from tests.handlers.test_exit_registration_helpers import FORM_INPUTS, fill_form, submit
from tests.harness import Chat

VI = Translator("vi")
CHOOSE = VI("common.choose_above")
SEX_STEP = 3  # fill_form(upto=3) stops at the sex question
MEMBERS_STEP = 10


async def session_of(app: App, chat: Chat) -> Session:
    """The chat's stored session."""
    return await app.services.sessions.load(chat.channel, chat.user_id, now=app.services.clock())


async def status_of(app: App, registration_id: int) -> Status | None:
    """A registration's stored status."""
    stored = await RegistrationRepository(app.db).get(registration_id)
    return None if stored is None else stored.status


def payloads(chat: Chat) -> list[str]:
    """The payloads of the newest reply's buttons."""
    return [choice.payload for choice in chat.last.choices]


# ---------------------------------------------------------------- payloads and data


def test_every_payload_kind_round_trips_within_64_bytes() -> None:
    """Each button kind packs under the limit, unpacks to itself and refuses a near miss."""
    samples: list[Payload] = [
        _buttons.Consent("yes"),
        _buttons.Sex("f"),
        _buttons.WardPick("20257"),
        _buttons.Cause("other"),
        _buttons.Support("housing"),
        _buttons.Year(2031),
        _buttons.EditField(Step.PHONE),
        _buttons.Withdraw(10**12),
        _buttons.WithdrawYes(10**12),
        _buttons.AnswerQuestion(1),
        _buttons.ListPage(Status.SURVEY_SCHEDULED, 100_000),
        _buttons.View(10**12),
        _buttons.SetStatus(10**12, Status.RECOGNISED_EXITED),
        _buttons.Export("xlsx"),
    ]
    for sample in samples:
        packed = sample.pack()
        assert len(packed.encode()) <= MAX_PAYLOAD_BYTES
        assert type(sample).unpack(packed) == sample
        assert type(sample).unpack(packed + ":1") is None
    assert _buttons.Consent("yes").pack() == "reg:consent:yes"
    assert _buttons.SetStatus(1, Status.IN_REVIEW).pack() == "rgo:set:1:in_review"
    assert _buttons.ListPage(Status.SUBMITTED, 0).pack() == "rgo:list:submitted:0"
    assert _buttons.Export("csv").pack() == "rgo:csv"


def test_forged_payloads_unpack_to_none() -> None:
    """Ids that are not ASCII digits in range, unknown keys and wrong shapes are refused."""
    assert _buttons.View.unpack("rgo:view:0") is None
    assert _buttons.View.unpack("rgo:view:١٢") is None  # Arabic-Indic digits
    assert _buttons.View.unpack("rgo:view:" + "9" * 14) is None
    assert _buttons.Withdraw.unpack("reg:wd:-1") is None
    assert _buttons.Cause.unpack("reg:cause:gold") is None
    assert _buttons.SetStatus.unpack("rgo:set:1:approved") is None
    assert _buttons.EditField.unpack("reg:edit:") is None
    assert _buttons.Edit.unpack("reg:edit:name") is None
    assert _buttons.Export.unpack("rgo:sum") is None
    assert _buttons.Year.unpack("reg:year:1999") is None


def test_text_steps_store_into_form_fields_of_their_name() -> None:
    """The steps whose typed value is stored by name each name a field of the answers."""
    names = {field.name for field in fields(RegistrationForm)}
    typed = {
        Step.NAME,
        Step.BIRTH,
        Step.ETHNICITY,
        Step.ID_NUMBER,
        Step.PHONE,
        Step.ADDRESS,
        Step.HOUSEHOLD_CODE,
        Step.CAUSE_OTHER,
        Step.SUPPORT_OTHER,
    }
    assert {step.value for step in typed} <= names
    assert typed <= set(FORM)
    assert set(EDITABLE) <= set(FORM)


def test_resident_data_keeps_the_session_layout() -> None:
    """The answers are stored under "f" as before, and a dump loads back equal."""
    data = ResidentData(token="abc", rid=3)
    data.form.name = "Nguyễn Văn An"
    data.form.causes = ["capital", "other"]
    dumped = data.dump()
    assert dumped["f"]["name"] == "Nguyễn Văn An"
    assert dumped["token"] == "abc"
    assert ResidentData.load(dumped) == data
    assert ResidentData.load({"f": "not a dict", "rid": None}) == ResidentData()
    assert OfficerData(rid=1, frm="submitted", to="nonsense").change() is None
    assert OfficerData(rid=1, frm="submitted", to="in_review").change() == (
        1,
        Status.SUBMITTED,
        Status.IN_REVIEW,
    )


async def test_session_stored_by_the_previous_version_is_submitted(
    app: App, resident: Chat
) -> None:
    """A form held in the old session dict (answers under "f") goes on from the summary."""
    await fill_form(resident)
    session = await session_of(app, resident)
    old = {"f": dict(session.data["f"]), "token": session.data["token"]}  # no "editing", "rid"
    session.data = old
    await app.services.sessions.save(session, now=app.services.clock(), message_id="old-1")
    await resident.tap("Gửi đăng ký")
    resident.expect("exit_registration.submitted", code="TN-2026-000001")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.full_name == "Nguyễn Văn An"


# ---------------------------------------------------------------- wrong input, the options again


async def test_typed_text_at_a_button_step_repeats_the_options_and_one_still_works(
    app: App, resident: Chat
) -> None:
    """At "Giới tính" a typed word gets the same buttons again, and a typed "2" then picks Nữ."""
    await fill_form(resident, upto=SEX_STEP)
    offered = payloads(resident)
    await resident.send("không muốn nói")
    assert resident.last.text == CHOOSE
    assert payloads(resident) == offered
    await resident.send("2")
    resident.expect("exit_registration.ask.ethnicity")
    session = await session_of(app, resident)
    assert session.step == "ethnicity" and session.data["f"]["sex"] == "f"


async def test_wrong_input_at_consent_keeps_the_choice(resident: Chat) -> None:
    """A word at the consent step repeats Đồng ý / Không đồng ý; "1" then agrees."""
    await resident.press("menu:exit_registration")
    offered = payloads(resident)
    await resident.send("để sau")
    assert resident.last.text == CHOOSE and payloads(resident) == offered
    await resident.send("1")
    resident.expect("exit_registration.ask.name")


# ---------------------------------------------------------------- stale and forged buttons


async def test_forged_button_at_a_button_step_repeats_and_loses_nothing(
    app: App, resident: Chat
) -> None:
    """At sex, causes, year and edit, a forged or stale button repeats the step's options."""
    await fill_form(resident, upto=SEX_STEP)
    for forged in ("reg:sex:x", "reg:sex", "reg:cause:capital", "reg:year:abc", "reg:" + "1" * 70):
        offered = payloads(resident)
        await resident.press(forged)
        assert resident.last.text == CHOOSE and payloads(resident) == offered
    session = await session_of(app, resident)
    assert session.step == "sex" and session.data["f"]["name"] == "Nguyễn Văn An"
    for kind, value in FORM_INPUTS[SEX_STEP:12]:
        await (resident.tap(value) if kind == "tap" else resident.send(value))
    await resident.tap("Thiếu vốn")
    await resident.press("reg:cause:gold")
    assert resident.last.text == CHOOSE
    assert (await session_of(app, resident)).data["f"]["causes"] == ["capital"]
    for kind, value in FORM_INPUTS[13:18]:
        await (resident.tap(value) if kind == "tap" else resident.send(value))
    await resident.press("reg:year:2020")  # a year no longer offered
    assert resident.last.text == CHOOSE
    assert (await session_of(app, resident)).step == "target_year"
    await resident.tap("2028")
    await resident.tap("cam kết")
    await resident.tap("Sửa")
    await resident.press("reg:edit:consent")  # not a field one can change
    assert resident.last.text == CHOOSE
    await resident.tap("Về bảng tóm tắt")
    resident.expect("exit_registration.summary_head")


async def test_forged_button_at_a_typed_step_asks_the_question_again(
    app: App, resident: Chat
) -> None:
    """At "số người" a forged button repeats the question, which still takes a typed number."""
    await fill_form(resident, upto=MEMBERS_STEP)
    question = resident.last.text
    await resident.press("reg:sex:m")
    assert resident.last.text == f"{CHOOSE}\n\n{question}"
    assert resident.last.expects_text
    await resident.send("2")  # a number of people, not the second button
    resident.expect("exit_registration.ask.income")
    assert (await session_of(app, resident)).data["f"]["members"] == 2


async def test_forged_buttons_after_the_form(app: App, resident: Chat) -> None:
    """On /trangthai a forged id repeats the options; another household's id is refused."""
    await submit(resident)
    await resident.send("/trangthai")
    offered = payloads(resident)
    await resident.press("reg:wd:abc")
    assert resident.last.text == CHOOSE and payloads(resident) == offered
    await resident.press("reg:wd:999")
    assert VI("exit_registration.status.not_open") in resident.history[-2].text
    await resident.press("reg:wdy:1")  # "yes" without being asked
    assert await status_of(app, 1) is Status.SUBMITTED
    await resident.tap("Rút đăng ký")
    await resident.press("reg:wdy:2")  # "yes" for another registration than the one asked
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.SUBMITTED


async def test_forged_button_while_answering_asks_the_question_again(
    app: App, resident: Chat, officer: Chat
) -> None:
    """A forged button at the answer step shows the officer's question again; typing answers."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    await officer.press("rgo:set:1:in_review")
    await officer.tap("Không ghi chú")
    await officer.press("rgo:set:1:needs_info")
    await officer.send("Hộ có mấy người đi làm?")
    await resident.send("/trangthai")
    await resident.tap("Trả lời câu hỏi")
    await resident.press("reg:ans:x")
    assert "Hộ có mấy người đi làm?" in resident.last.text and resident.last.expects_text
    await resident.send("Hai người")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.IN_REVIEW


async def test_officer_forged_buttons_repeat_the_page(
    app: App, resident: Chat, officer: Chat
) -> None:
    """In the inbox forged or stale buttons and typed words repeat the page; nothing changes."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    offered = payloads(officer)
    for forged in ("rgo:list:bogus:0", "rgo:view:abc", "rgo:view:999", "rgo:set:1:x", "rgo:pdf"):
        await officer.press(forged)
        assert officer.last.text == CHOOSE and payloads(officer) == offered
    await officer.send("qwerty asdf")
    assert officer.last.text == CHOOSE and payloads(officer) == offered
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.SUBMITTED


async def test_officer_note_step_keeps_its_question(
    app: App, resident: Chat, officer: Chat
) -> None:
    """At the note step a forged button asks for the note again; an empty question is refused."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    await officer.press("rgo:set:1:in_review")
    question = officer.last.text
    await officer.press("rgo:view:x")
    assert officer.last.text == f"{CHOOSE}\n\n{question}" and officer.last.expects_text
    await officer.send("1")  # a note, not the first button
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.IN_REVIEW
    history = await RegistrationRepository(app.db).history(1)
    assert history[-1].note == "1"
    await officer.press("rgo:set:1:needs_info")
    await officer.press("rgo:nonote")  # not offered for a question
    required = VI("exit_registration.officer.question_required")
    assert officer.last.text.startswith(required) and officer.last.expects_text
    assert await status_of(app, 1) is Status.IN_REVIEW


# ---------------------------------------------------------------- the core cancel


async def test_core_cancel_from_the_middle_of_the_form(app: App, resident: Chat) -> None:
    """The Huỷ button at the phone step leaves the form, keeps nothing; its buttons go stale."""
    await fill_form(resident, upto=6)
    assert CANCEL in payloads(resident)
    back = resident.payload_of("Quay lại")
    await resident.tap("Huỷ")
    assert resident.last.text == VI("menu.cancelled")
    session = await session_of(app, resident)
    assert session.flow is None and session.data == {}
    await resident.press(back)
    assert VI("error.stale_button") in resident.history[-2].text
    assert await RegistrationRepository(app.db).count() == 0


async def test_core_cancel_while_answering(app: App, resident: Chat, officer: Chat) -> None:
    """The answer step's Cancel is the core one: the question stays unanswered."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    await officer.press("rgo:set:1:in_review")
    await officer.tap("Không ghi chú")
    await officer.press("rgo:set:1:needs_info")
    await officer.send("Có sổ hộ nghèo không?")
    await resident.send("/trangthai")
    await resident.tap("Trả lời câu hỏi")
    assert payloads(resident) == [CANCEL]
    await resident.press(CANCEL)
    assert resident.last.text == VI("menu.cancelled")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None and stored.status is Status.NEEDS_INFO
