"""The officers' side: status workflow with notifications, isolation, forged payloads, export."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from bot.app import App
from bot.core.i18n import Translator
from handlers.exit_registration._jobs import remind_waiting
from storage.registrations import RegistrationRepository, Status
from storage.users import Ward
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat, FakeClock, make_officer

VI = Translator("vi")
ILLEGAL = VI("exit_registration.officer.illegal")


async def outbox_to(app: App, chat_id: str) -> list[str]:
    """Texts queued in the outbox for one chat."""
    rows = await app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(r["body"])["text"] for r in rows]


async def audit_actions(app: App) -> list[str]:
    """Audit actions in order."""
    return [r["action"] for r in await app.db.fetchall("SELECT action FROM audit_log ORDER BY id")]


async def move(officer: Chat, registration_id: int, status: str, note: str = "") -> None:
    """Open a registration, press a status change and type the note (or press No note)."""
    await officer.press("menu:registrations_admin")
    await officer.press(f"rgo:view:{registration_id}")
    await officer.press(f"rgo:set:{registration_id}:{status}")
    if status in ("recognised_exited", "not_recognised"):
        await officer.send(note or "15/QĐ-UBND")
        await officer.send("21/11/2026")
        await officer.tap("Xác nhận")
    elif note:
        await officer.send(note)
    else:
        await officer.tap("Không ghi chú")


async def test_full_workflow_with_question_and_answer(
    app: App, resident: Chat, officer: Chat
) -> None:
    """Officer moves a case through needs_info and back; the resident answers via /trangthai."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    officer.expect("exit_registration.officer.inbox", total=1)
    await officer.tap("Đã gửi (1)")
    labels = [c.label for c in officer.last.choices]
    assert any("TN-2026-000001 · Nguyễn Văn An · ********1234" in label for label in labels)
    await officer.tap("TN-2026-000001")
    assert "048090001234" in officer.last.text
    await move(officer, 1, "in_review", "Đã nhận hồ sơ")
    in_review = VI("exit_registration.status.in_review")
    changed = VI("exit_registration.officer.changed", code="TN-2026-000001", status=in_review)
    assert officer.history[-2].text == changed
    await move(officer, 1, "needs_info", "Hộ có mấy người đang đi làm?")
    pushed = await outbox_to(app, "resident-1")
    assert in_review in pushed[0] and "Đã nhận hồ sơ" in pushed[0]
    assert "Hộ có mấy người đang đi làm?" in pushed[1]
    await resident.send("/trangthai")
    resident.expect("exit_registration.timeline.question", question="Hộ có mấy người đang đi làm?")
    await resident.tap("Trả lời câu hỏi")
    await resident.send("Hai người đi làm công nhân")
    code = "TN-2026-000001"
    assert resident.history[-2].text == VI("exit_registration.answer.done", code=code)
    told = VI("exit_registration.officer.push_answered", code=code)
    assert told in await outbox_to(app, "officer-1")
    repo = RegistrationRepository(app.db)
    stored = await repo.get(1)
    assert stored is not None
    assert stored.status is Status.IN_REVIEW
    await move(officer, 1, "survey_scheduled", "Khảo sát ngày 28/11")
    await move(officer, 1, "recognised_exited")
    stored = await repo.get(1)
    assert stored is not None
    assert stored.status is Status.RECOGNISED_EXITED
    history = await repo.history(1)
    assert [h.to_status.value for h in history] == [
        "submitted",
        "in_review",
        "needs_info",
        "in_review",
        "survey_scheduled",
        "recognised_exited",
    ]
    assert history[3].note == "Hai người đi làm công nhân"
    actions = await audit_actions(app)
    assert actions.count("registration.status") == 3
    assert actions.count("registration.decision") == 1
    assert "registration.answer" in actions
    await resident.send("/trangthai")
    resident.expect("exit_registration.status.recognised_exited")
    assert not any("Rút" in c.label for c in resident.last.choices)


async def test_illegal_transition_is_refused(app: App, resident: Chat, officer: Chat) -> None:
    """A forged jump from submitted straight to recognised is refused and nothing changes."""
    await submit(resident)
    await officer.press("menu:registrations_admin")
    await officer.press("rgo:set:1:recognised_exited")
    assert officer.history[-2].text == ILLEGAL
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.status is Status.SUBMITTED


async def test_double_tap_on_status_change_applies_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """Repeating the same status change after it was applied changes nothing more."""
    await submit(resident)
    await move(officer, 1, "in_review", "ok")
    await officer.press("rgo:set:1:in_review")
    assert officer.history[-2].text == ILLEGAL
    assert len(await RegistrationRepository(app.db).history(1)) == 2
    assert len(await outbox_to(app, "resident-1")) == 1


async def test_officer_of_another_ward_is_refused(app: App, resident: Chat) -> None:
    """An officer of ward B pressing a payload for ward A's registration is refused and audited."""
    await submit(resident)
    await app.services.users.add_ward(Ward("phuong-b", "Phường B", "Thành phố Đà Nẵng", "urban"))
    other = Chat(app, "officer-b")
    await make_officer(app, other, ward_id="phuong-b")
    await other.press("menu:registrations_admin")
    other.expect("exit_registration.officer.inbox", total=0)
    await other.tap("Đã gửi (0)")
    submitted = VI("exit_registration.status.submitted")
    other.expect("exit_registration.officer.list_empty", status=submitted)
    for payload in ("rgo:view:1", "rgo:set:1:in_review"):
        await other.press(payload)
        assert "Nguyễn Văn An" not in other.last.text
        other.expect("error.permission")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.status is Status.SUBMITTED
    assert (await audit_actions(app)).count("access.denied") == 2


async def test_resident_cannot_press_officer_payloads(app: App, resident: Chat) -> None:
    """A resident forging an officer payload or another household's id is refused."""
    await submit(resident)
    await resident.press("rgo:set:1:in_review")
    resident.expect("error.permission")
    neighbour = Chat(app, "resident-2")
    await neighbour.send("/trangthai")
    await neighbour.press("menu:exit_registration")
    await neighbour.press("menu:cancel")
    await neighbour.send("/trangthai")
    neighbour.expect("exit_registration.status.none")
    await resident.send("/trangthai")
    await neighbour.press("reg:wd:1")
    assert "Nguyễn Văn An" not in neighbour.last.text
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.status is Status.SUBMITTED
    assert "access.denied" in await audit_actions(app)


async def test_withdraw_before_decision(app: App, resident: Chat, officer: Chat) -> None:
    """The resident withdraws an open registration; officers are told."""
    await submit(resident)
    await resident.send("/trangthai")
    await resident.tap("Rút đăng ký")
    await resident.tap("Rút hồ sơ")
    code = "TN-2026-000001"
    assert resident.history[-2].text == VI("exit_registration.withdraw.done", code=code)
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.status is Status.WITHDRAWN
    told = VI("exit_registration.officer.push_withdrawn", code=code)
    assert told in await outbox_to(app, "officer-1")


async def test_erase_anonymises_but_keeps_counts(app: App, resident: Chat, officer: Chat) -> None:
    """/xoadulieu blanks personal fields; the ward summary still counts the causes."""
    await submit(resident)
    await resident.send("/xoadulieu")
    await resident.tap("Xoá")
    stored = await RegistrationRepository(app.db).get(1)
    assert stored is not None
    assert stored.anonymised
    assert stored.full_name == stored.id_number == stored.phone == ""
    assert stored.user_id is None
    assert stored.monthly_income is None
    assert stored.status is Status.WITHDRAWN
    assert stored.causes == ["capital", "jobs"]
    raw = await app.db.fetchall("SELECT * FROM exit_registrations")
    assert "Nguyễn" not in str([tuple(r) for r in raw])
    await officer.press("menu:registrations_admin")
    await officer.tap("Tổng hợp")
    assert "Đã rút: 1" in officer.last.text


async def test_summary_and_xlsx_export(app: App, resident: Chat, officer: Chat) -> None:
    """The ward summary counts causes and support; the XLSX export opens with openpyxl."""
    await submit(resident)
    await submit(Chat(app, "resident-2"))
    await officer.press("menu:registrations_admin")
    await officer.tap("Tổng hợp")
    text = officer.last.text
    assert "Thiếu vốn: 2" in text
    assert "Vay vốn ưu đãi: 2" in text
    assert "Hỗ trợ nhà ở: 0" in text
    await officer.tap("XLSX")
    attachment = officer.last.attachment
    assert attachment is not None
    assert attachment.kind == "document"
    assert attachment.filename == "dang-ky-thoat-ngheo-20257.xlsx"
    sheet = load_workbook(io.BytesIO(attachment.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Mã hồ sơ", "Trạng thái", "Ngày gửi", "Họ tên")
    assert [row[0] for row in rows[1:]] == ["TN-2026-000001", "TN-2026-000002"]
    assert rows[1][7] == "048090001234"
    assert rows[1][12] == 3_500_000
    await officer.tap("Tổng hợp")
    await officer.tap("CSV")
    assert officer.last.attachment is not None
    assert "TN-2026-000002" in officer.last.attachment.data.decode("utf-8-sig")
    assert "registration.export" in await audit_actions(app)


async def test_inbox_pages_five_at_a_time(app: App, officer: Chat) -> None:
    """Seven submitted registrations show as a page of five and a page of two."""
    for index in range(7):
        await submit(Chat(app, f"r-{index}"))
    await officer.press("menu:registrations_admin")
    await officer.tap("Đã gửi (7)")
    assert sum("TN-" in c.label for c in officer.last.choices) == 5
    await officer.tap("Trang sau")
    assert sum("TN-" in c.label for c in officer.last.choices) == 2


async def test_morning_reminder_lists_waiting_registrations(
    app: App, resident: Chat, officer: Chat, clock: FakeClock
) -> None:
    """After more than 7 days in a waiting status, the ward's officers get a reminder."""
    await submit(resident)
    told_of_new = await outbox_to(app, "officer-1")
    await remind_waiting(app.services, clock())
    assert await outbox_to(app, "officer-1") == told_of_new
    clock.advance(days=8)
    await remind_waiting(app.services, clock())
    texts = (await outbox_to(app, "officer-1"))[len(told_of_new) :]
    assert len(texts) == 1
    assert "TN-2026-000001" in texts[0] and "(8 ngày)" in texts[0]
    assert any(job.name == "exit_registration.reminder" for job in app.daily_jobs)


async def test_export_neutralises_formulas(app: App, officer: Chat) -> None:
    """Typed text that a spreadsheet would run as a formula is exported as plain text."""
    resident = Chat(app, "r-formula")
    await submit(resident)
    await app.db.execute("UPDATE exit_registrations SET address = '=HYPERLINK(1)' WHERE id = 1")
    await officer.press("menu:registrations_admin")
    await officer.tap("Tổng hợp")
    await officer.tap("CSV")
    assert officer.last.attachment is not None
    assert "'=HYPERLINK(1)" in officer.last.attachment.data.decode("utf-8-sig")
