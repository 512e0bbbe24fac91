"""A final decision on Telegram: the officer is told of the case, confirms once on a double tap."""

from __future__ import annotations

import asyncio

from bot.app import App
from storage.registrations import EntryKind, RegistrationRepository, Status
from tests.fakes.telegram_api import FakeBotApi
from tests.handlers.test_exit_registration_helpers import submit
from tests.handlers.test_exit_registration_telegram import expect, press, say
from tests.harness import Chat, telegram_running

RESIDENT = 6101
OFFICER = 6102


async def test_decision_confirmed_once_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """New case pushed to the officer; number, date, confirmation; a double tap records once."""
    fake = fake_telegram
    await app.services.users.set_role(
        "telegram", str(OFFICER), "officer", "20257", now=app.services.clock()
    )
    async with telegram_running(app, fake):
        mark = fake.mark(OFFICER)
        await submit(Chat(app, str(RESIDENT), channel="telegram"))
        notice = await expect(fake, OFFICER, mark, "TN-2026-000001")
        assert "Phường Hòa Cường" in notice.plain_text
        assert "Nguyễn Văn An" not in notice.plain_text
        await press(fake, OFFICER, "Mở hộp hồ sơ", "1 hồ sơ")
        await press(fake, OFFICER, "Đã gửi (1)", "trang 1")
        await press(fake, OFFICER, "TN-2026-000001", "Lịch sử")
        await press(fake, OFFICER, "Đang xem xét", "Gõ ghi chú")
        await press(fake, OFFICER, "Không ghi chú", "Lịch sử")
        await press(fake, OFFICER, "Đã hẹn khảo sát", "Gõ ghi chú")
        await press(fake, OFFICER, "Không ghi chú", "Lịch sử")
        await press(fake, OFFICER, "Được công nhận thoát nghèo", "số quyết định")
        await say(fake, OFFICER, "không có", "chưa hợp lệ")
        await say(fake, OFFICER, "21/QĐ-UBND", "ngày ký")
        await say(fake, OFFICER, "30/11/2026", "không thể sau hôm nay")
        confirm = await say(fake, OFFICER, "21/11/2026", "Xin xác nhận")
        assert "21/QĐ-UBND" in confirm.plain_text
        data = next(d for text, d in confirm.buttons() if "Xác nhận" in text)
        resident_mark = fake.mark(RESIDENT)
        officer_mark = fake.mark(OFFICER)
        fake.push_callback(OFFICER, data)
        fake.push_callback(OFFICER, data)  # the double tap
        await expect(fake, OFFICER, officer_mark, "Đã ghi nhận quyết định")
        await expect(fake, OFFICER, officer_mark, "đã được ghi nhận trước đó")
        told = await expect(fake, RESIDENT, resident_mark, "Quyết định số 21/QĐ-UBND")
        assert "Được công nhận thoát nghèo" in told.plain_text
        await asyncio.sleep(0.5)  # time for a second message, if one were (wrongly) queued
        to_resident = [m for m in fake.messages_to(RESIDENT)[-5:] if "21/QĐ-UBND" in m.plain_text]
        assert len(to_resident) == 1
    repo = RegistrationRepository(app.db)
    registration = await repo.get(1)
    assert registration is not None
    assert (registration.status, registration.decision_number) == (
        Status.RECOGNISED_EXITED,
        "21/QĐ-UBND",
    )
    kinds = [entry.kind for entry in await repo.history(1)]
    assert kinds.count(EntryKind.DECISION) == 1
