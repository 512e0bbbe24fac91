"""Final decisions in the chat (number, date, confirmation, once), corrections, new-case notices."""

from __future__ import annotations

import json

from bot.app import App
from bot.core.i18n import Translator
from storage.registrations import EntryKind, Registration, RegistrationRepository, Status
from storage.users import Ward
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat, make_officer

VI = Translator("vi")
K = "exit_registration."
CODE = "TN-2026-000001"
TODAY = "21/11/2026"  # the harness clock's day in Vietnam


async def outbox_to(app: App, chat_id: str) -> list[dict[str, object]]:
    """Bodies queued in the outbox for one chat."""
    rows = await app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(r["body"]) for r in rows]


async def texts_to(app: App, chat_id: str) -> list[str]:
    """Texts queued in the outbox for one chat."""
    return [str(body["text"]) for body in await outbox_to(app, chat_id)]


async def to_survey(officer: Chat, rid: int = 1) -> None:
    """Move a submitted registration to "Đã hẹn khảo sát" through the inbox."""
    await officer.press("menu:registrations_admin")
    for status in ("in_review", "survey_scheduled"):
        await officer.press(f"rgo:view:{rid}")
        await officer.press(f"rgo:set:{rid}:{status}")
        await officer.tap("Không ghi chú")


async def record(app: App, rid: int = 1) -> Registration:
    """A registration as stored."""
    registration = await RegistrationRepository(app.db).get(rid)
    assert registration is not None
    return registration


async def stored(app: App, rid: int = 1) -> Status:
    """The stored status of a registration."""
    return (await record(app, rid)).status


async def enter_decision(officer: Chat, label: str, number: str, *, confirm: bool = False) -> None:
    """Open registration 1 and type a final decision (`label`, `number`, today); confirm it?"""
    await officer.press("rgo:view:1")
    await officer.tap(label)
    await officer.send(number)
    await officer.send(TODAY)
    if confirm:
        await officer.tap("Xác nhận")


async def test_a_new_registration_reaches_the_wards_officers_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """Each officer of the ward is told once, by code and ward only; a re-send adds none."""
    await app.services.users.add_ward(Ward("phuong-b", "Phường B", "Thành phố Đà Nẵng", "urban"))
    other = Chat(app, "officer-b")
    await make_officer(app, other, ward_id="phuong-b")
    await submit(resident)
    await resident.tap("Gửi đăng ký")  # a stale second press of the same form
    bodies = await outbox_to(app, "officer-1")
    expected = VI(f"{K}officer.push_new", code=CODE, ward="Phường Hòa Cường")
    assert [body["text"] for body in bodies] == [expected]
    assert "Nguyễn Văn An" not in json.dumps(bodies, ensure_ascii=False)
    assert "048090001234" not in json.dumps(bodies) and "0912345678" not in json.dumps(bodies)
    assert await outbox_to(app, "officer-b") == []
    rows = await app.db.fetchall("SELECT subject_user_id FROM outbox WHERE chat_id = 'officer-1'")
    assert [r["subject_user_id"] for r in rows] == [None]
    choices = bodies[0]["choices"]
    assert isinstance(choices, list) and choices[0][1] == "menu:registrations_admin"


async def test_the_button_of_the_notice_opens_the_inbox(
    app: App, resident: Chat, officer: Chat
) -> None:
    """The notice's button opens the officer's inbox from anywhere (a menu payload)."""
    await submit(resident)
    await officer.send("/start")
    await officer.press("menu:registrations_admin")
    officer.expect(f"{K}officer.inbox", total=1)


async def test_a_final_decision_needs_number_date_and_confirmation(
    app: App, resident: Chat, officer: Chat
) -> None:
    """Number and date are asked and checked; nothing is recorded before "Xác nhận"."""
    await submit(resident)
    await to_survey(officer)
    told_before = len(await texts_to(app, "resident-1"))
    await officer.press("rgo:view:1")
    await officer.tap("Được công nhận thoát nghèo")
    status = VI(f"{K}status.recognised_exited")
    officer.expect(f"{K}decision.ask_number", code=CODE, status=status)
    assert officer.last.expects_text
    await officer.send("!!!")
    officer.expect(f"{K}decision.number_invalid", high=40)
    await officer.send("QĐ-UBND")
    officer.expect(f"{K}decision.number_invalid", high=40)
    await officer.send("15/QĐ-UBND")
    officer.expect(f"{K}decision.ask_date", code=CODE, number="15/QĐ-UBND", registered=TODAY)
    await officer.send("hôm qua")
    officer.expect(f"{K}decision.date_format")
    await officer.send("31/02/2026")
    officer.expect(f"{K}decision.date_invalid")
    await officer.send("22/11/2026")
    officer.expect(f"{K}decision.date_future", today=TODAY)
    await officer.send("20/11/2026")
    officer.expect(f"{K}decision.date_early", registered=TODAY)
    await officer.send(TODAY)
    officer.expect(
        f"{K}decision.confirm", code=CODE, status=status, number="15/QĐ-UBND", date=TODAY
    )
    assert await stored(app) is Status.SURVEY_SCHEDULED
    assert len(await texts_to(app, "resident-1")) == told_before
    await officer.tap("Sửa")
    officer.expect(f"{K}decision.ask_number", code=CODE, status=status)
    await officer.send("16/QĐ-UBND")
    await officer.send(TODAY)
    await officer.tap("Xác nhận")
    assert officer.history[-2].text == VI(f"{K}decision.recorded", code=CODE, status=status)
    registration = await record(app)
    assert registration.status is Status.RECOGNISED_EXITED
    assert (registration.decision_number, registration.decision_date) == (
        "16/QĐ-UBND",
        "2026-11-21",
    )
    last = (await RegistrationRepository(app.db).history(1))[-1]
    assert (last.kind, last.decision_number, last.decision_date) == (
        EntryKind.DECISION,
        "16/QĐ-UBND",
        "2026-11-21",
    )
    assert "16/QĐ-UBND" in officer.last.text  # the timeline shows the decision
    pushed = await texts_to(app, "resident-1")
    decision = VI(f"{K}push_decision", code=CODE, status=status, number="16/QĐ-UBND", date=TODAY)
    assert pushed[told_before:] == [decision]
    audit = await app.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'registration.decision'"
    )
    assert [json.loads(r["detail"]) for r in audit] == [
        {
            "from": "survey_scheduled",
            "to": "recognised_exited",
            "number": "16/QĐ-UBND",
            "date": "2026-11-21",
        }
    ]
    await resident.send("/trangthai")
    assert VI(f"{K}timeline.decision", number="16/QĐ-UBND", date=TODAY) in resident.last.text


async def test_a_double_tap_on_confirm_records_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """The same "Xác nhận" pressed twice writes one history row and one message."""
    await submit(resident)
    await to_survey(officer)
    await enter_decision(officer, "Chưa được công nhận", "7/QĐ-UBND")
    confirm = officer.payload_of("Xác nhận")
    await officer.press(confirm)
    await officer.press(confirm)
    assert officer.history[-2].text == VI(f"{K}decision.already", code=CODE)
    history = await RegistrationRepository(app.db).history(1)
    assert [h.kind for h in history].count(EntryKind.DECISION) == 1
    assert await stored(app) is Status.NOT_RECOGNISED
    pushed = await texts_to(app, "resident-1")
    assert sum("7/QĐ-UBND" in text for text in pushed) == 1


async def test_cancel_records_nothing(app: App, resident: Chat, officer: Chat) -> None:
    """Cancelling ("Huỷ") the confirmation leaves the registration as it was."""
    await submit(resident)
    await to_survey(officer)
    await enter_decision(officer, "Được công nhận thoát nghèo", "9/QĐ-UBND")
    confirm = officer.payload_of("Xác nhận")
    await officer.tap("Huỷ")
    assert officer.history[-2].text == VI(f"{K}decision.cancelled")
    await officer.press(confirm)  # the old confirmation, pressed after cancelling
    assert officer.history[-2].text == VI(f"{K}decision.stale")
    assert await stored(app) is Status.SURVEY_SCHEDULED


async def test_forged_decision_payloads_are_refused(
    app: App, resident: Chat, officer: Chat
) -> None:
    """A decision out of order, a made-up key, another ward and an officer's correction: refused."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    await officer.press("rgo:set:1:recognised_exited")  # straight from "Đã gửi"
    assert officer.history[-2].text == VI(f"{K}officer.illegal")
    await to_survey(officer)
    await officer.press("rgo:dok:1:0000000000000000")  # a key never shown
    assert officer.history[-2].text == VI(f"{K}decision.stale")
    await app.services.users.add_ward(Ward("phuong-b", "Phường B", "Thành phố Đà Nẵng", "urban"))
    other = Chat(app, "officer-b")
    await make_officer(app, other, ward_id="phuong-b")
    await other.press("menu:registrations_admin")
    for payload in ("rgo:set:1:recognised_exited", "rgo:dok:1:0000000000000000", "rgo:fix:1"):
        await other.press(payload)
        other.expect("error.permission")
    assert await stored(app) is Status.SURVEY_SCHEDULED
    await enter_decision(officer, "Được công nhận thoát nghèo", "3/QĐ-UBND", confirm=True)
    assert not any("Điều chỉnh" in c.label for c in officer.last.choices)
    await officer.press("rgo:fix:1")  # an officer is not an admin
    officer.expect("error.permission")
    await officer.press("rgo:fixto:1:not_recognised")
    officer.expect("error.permission")
    assert await stored(app) is Status.RECOGNISED_EXITED


async def test_an_admin_corrects_a_decision_with_a_reason(
    app: App, resident: Chat, officer: Chat
) -> None:
    """The admin's correction asks the status, number, date and reason; the resident is told."""
    await submit(resident)
    await to_survey(officer)
    await enter_decision(officer, "Được công nhận thoát nghèo", "3/QĐ-UBND", confirm=True)
    admin = Chat(app, "admin-1")
    await make_officer(app, admin, role="admin")
    await admin.press("menu:registrations_admin")
    await admin.press("rgo:view:1")
    await admin.tap("Điều chỉnh quyết định")
    admin.expect(f"{K}decision.ask_correct_to", code=CODE)
    await admin.tap("Chưa được công nhận")
    await admin.send("4/QĐ-UBND")
    await admin.send(TODAY)
    admin.expect(f"{K}decision.ask_reason", code=CODE)
    await admin.send("Ghi nhầm hồ sơ của hộ khác")
    admin.expect(f"{K}decision.confirm_reason", reason="Ghi nhầm hồ sơ của hộ khác")
    await admin.tap("Xác nhận")
    status = VI(f"{K}status.not_recognised")
    assert admin.history[-2].text == VI(f"{K}decision.corrected", code=CODE, status=status)
    registration = await record(app)
    assert (registration.status, registration.decision_number) == (
        Status.NOT_RECOGNISED,
        "4/QĐ-UBND",
    )
    last = (await RegistrationRepository(app.db).history(1))[-1]
    assert (last.kind, last.note, last.from_status) == (
        EntryKind.CORRECTION,
        "Ghi nhầm hồ sơ của hộ khác",
        "recognised_exited",
    )
    told = VI(
        f"{K}push_corrected",
        code=CODE,
        status=status,
        number="4/QĐ-UBND",
        date=TODAY,
        reason="Ghi nhầm hồ sơ của hộ khác",
    )
    assert (await texts_to(app, "resident-1"))[-1] == told
    # Annulled: back to the survey, no decision in force, the reason kept.
    await admin.press("rgo:view:1")
    await admin.tap("Điều chỉnh quyết định")
    await admin.tap("Đã hẹn khảo sát")
    await admin.send("Quyết định bị thu hồi")
    await admin.tap("Xác nhận")
    registration = await record(app)
    assert (registration.status, registration.decision_number) == (Status.SURVEY_SCHEDULED, "")
    actions = [r["action"] for r in await app.db.fetchall("SELECT action FROM audit_log")]
    assert actions.count("registration.correction") == 2


async def test_a_withdrawal_tells_the_officers_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """The officers' notice goes with the withdrawal itself: a second press queues none."""
    await submit(resident)
    await resident.send("/trangthai")
    await resident.tap("Rút đăng ký")
    confirm = resident.payload_of("Rút hồ sơ")
    await resident.press(confirm)
    await resident.press(confirm)
    told = VI(f"{K}officer.push_withdrawn", code=CODE)
    assert (await texts_to(app, "officer-1")).count(told) == 1
    assert await stored(app) is Status.WITHDRAWN


async def test_the_export_carries_the_decision(app: App, resident: Chat, officer: Chat) -> None:
    """The ward's CSV export has the decision number and date of a decided registration."""
    await submit(resident)
    await to_survey(officer)
    await enter_decision(officer, "Được công nhận thoát nghèo", "5/QĐ-UBND", confirm=True)
    await officer.press("rgo:csv")
    attachment = officer.last.attachment
    assert attachment is not None
    lines = attachment.data.decode("utf-8-sig").splitlines()
    assert lines[0].endswith("Số quyết định,Ngày quyết định")
    assert lines[1].endswith(f"5/QĐ-UBND,{TODAY}")
