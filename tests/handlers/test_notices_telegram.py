"""The 2027-standard notice on Telegram: real PTB Application, real outbox worker, fake Bot API."""

from __future__ import annotations

from bot.app import App
from bot.core.i18n import Translator
from storage.self_check import SelfCheckRepository
from tests.fakes.telegram_api import FakeBotApi
from tests.handlers.test_exit_registration_telegram import expect, press, say
from tests.handlers.test_notices import ON_THE_DAY, SAME, run_job
from tests.harness import FakeClock, telegram_running

RESIDENT = 7001
VI = Translator("vi")


async def test_notice_arrives_with_a_working_stop_button(
    app: App, clock: FakeClock, fake_telegram: FakeBotApi
) -> None:
    """The queued notice reaches the Telegram chat once; its button turns notices off."""
    fake = fake_telegram
    async with telegram_running(app, fake):
        await say(fake, RESIDENT, "/start", "Xin chào")
        user = await app.services.users.find("telegram", str(RESIDENT))
        assert user is not None
        await SelfCheckRepository(app.db).save(
            user_id=user.id,
            checked_on=SAME.checked_on,
            standard_id=SAME.standard_id,
            category="near_poor",
            income_per_person=SAME.monthly_income,
            deprived=(),
            now=clock(),
            answers=SAME,
        )
        clock.now = ON_THE_DAY
        mark = fake.mark(RESIDENT)
        await run_job(app)
        notice = await expect(fake, RESIDENT, mark, "Chuẩn nghèo mới áp dụng từ ngày 01/01/2027")
        assert ("🔕 Tắt thông báo", "notices:stop") in notice.buttons()
        await run_job(app)
        stopped = await press(fake, RESIDENT, "Tắt thông báo", "Đã tắt")
        assert stopped.plain_text == VI("notices.stopped")
        titles = [m for m in fake.messages_to(RESIDENT) if "Chuẩn nghèo mới" in m.plain_text]
        assert len(titles) == 1
