"""The whole self-check on Telegram: real PTB Application polling the fake Bot API."""

from __future__ import annotations

from bot.app import App
from tests.fakes.telegram_api import FakeBotApi, SentMessage
from tests.harness import TelegramUser, has_button, telegram_running

USER = 5001


def payload_of(message: SentMessage, prefix: str) -> str:
    """The first button payload starting with `prefix`."""
    return next(data for _, data in message.buttons() if data.startswith(prefix))


async def test_self_check_on_telegram(app: App, fake_telegram: FakeBotApi) -> None:
    """Menu → questions by inline buttons and typed numbers → result → consent saves it."""
    fake = fake_telegram
    tg = TelegramUser(fake, USER)
    async with telegram_running(app, fake):
        menu = await tg.type_text("/start", "menu:")
        assert payload_of(menu[-1], "menu:self_check") == "menu:self_check"
        label = next(text for text, data in menu[-1].buttons() if data == "menu:self_check")
        assert label == "📋 Tự kiểm tra hộ nghèo/cận nghèo"

        first = await tg.press("menu:self_check", "sc:area:")
        assert "xã, phường hay đặc khu" in first[-1].plain_text
        size = await tg.type_text("phuong hoa cuong, da nang", "menu:cancel")
        assert "📍 Phường Hòa Cường, Thành phố Đà Nẵng" in size[0].plain_text
        bad = await tg.type_text("45", "menu:cancel")
        assert "số nguyên từ 1 đến 30" in bad[0].plain_text
        message = (await tg.type_text("1", "sc:fact:"))[-1]
        while has_button("sc:fact:")(message):
            fact = payload_of(message, "sc:fact:").split(":")[2]
            answer = "yes" if fact in ("has_member_working_age", "has_member_6_plus") else "no"
            message = (await tg.press(f"sc:fact:{fact}:{answer}", "sc:"))[-1]
        message = (await tg.press(payload_of(message, "sc:mode:hm"), "menu:cancel"))[-1]
        assert "mỗi tháng" in message.plain_text
        message = (await tg.type_text("2.000.000", "sc:inc:ok"))[-1]
        assert "2.000.000 ₫ mỗi tháng (cả hộ) — đúng không?" in message.plain_text
        message = (await tg.press("sc:inc:ok", "sc:"))[-1]
        deprived = {"housing_quality", "water", "sanitation"}
        asked = 0
        while has_button("sc:ans:")(message):
            asked += 1
            code = payload_of(message, "sc:ans:").split(":")[2]
            assert message.plain_text.startswith("Câu ")
            wanted = "yes" if code in deprived else "no"  # "Có" always means deprived
            message = (await tg.press(f"sc:ans:{code}:{wanted}", "sc:"))[-1]
        assert asked == 9  # 12 minus nutrition, child schooling, adult education
        assert "Kiểm tra lại các câu trả lời" in message.plain_text
        result = await tg.press(payload_of(message, "sc:sum:result"), "sc:save:")
        text = "\n".join(m.plain_text for m in result)
        assert "Kết quả tham khảo: hộ nghèo." in text
        assert "Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025" in text
        assert "Lưu kết quả để lần sau xem lại?" in result[-1].plain_text
        detail = await tg.press("sc:detail", "sc:save:")
        detail_text = "\n".join(m.plain_text for m in detail)  # split under Telegram's limit
        assert "Thiếu hụt “Nguồn nước sinh hoạt”" in detail_text
        assert "cần xác nhận với cán bộ xã/phường" in detail_text
        assert any(data == "faq:e:bhyt-ho-ngheo" for _, data in detail[-1].buttons())

        mark = fake.mark(USER)
        fake.push_message(USER, "1")  # the typed number picks "💾 Có, lưu lại"
        saved = await fake.wait_for_next(USER, after=mark)
        assert "Đã lưu kết quả" in saved[0].plain_text
        mark = fake.mark(USER)
        fake.push_message(USER, "/ketqua")
        shown = await fake.wait_for_next(USER, after=mark)
        assert "hộ nghèo — chuẩn nghèo quốc gia 2022–2025" in shown[0].plain_text
    row = await app.db.fetchone("SELECT category FROM self_check_results")
    assert row is not None and row["category"] == "poor"
