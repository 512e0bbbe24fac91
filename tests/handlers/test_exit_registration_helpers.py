"""Shared steps for the exit-registration tests: fill the form through the core."""

from __future__ import annotations

from tests.harness import Chat

VALID_ID = "048090001234"
FORM_INPUTS: list[tuple[str, str]] = [
    ("tap", "đồng ý"),
    ("send", "Nguyễn Văn An"),
    ("send", "05/03/1980"),
    ("tap", "Nam"),
    ("tap", "Kinh"),
    ("send", VALID_ID),
    ("send", "0912345678"),
    ("tap", "Hòa Cường"),
    ("send", "12 Lê Thanh Nghị, tổ 5"),
    ("tap", "Bỏ qua"),
    ("send", "4"),
    ("send", "3tr5"),
    ("tap", "Thiếu vốn"),
    ("tap", "Thiếu việc làm"),
    ("tap", "Xong"),
    ("tap", "Vay vốn"),
    ("tap", "Học nghề"),
    ("tap", "Xong"),
    ("tap", "2028"),
    ("tap", "cam kết"),
]


async def fill_form(chat: Chat, *, upto: int | None = None) -> None:
    """Start the form and answer its steps (all, or the first `upto`)."""
    await chat.press("menu:exit_registration")
    for kind, value in FORM_INPUTS[:upto]:
        if kind == "tap":
            await chat.tap(value)
        else:
            await chat.send(value)


async def submit(chat: Chat) -> str:
    """Fill and submit the form; returns the reference code shown."""
    await fill_form(chat)
    await chat.tap("Gửi đăng ký")
    text = chat.last.text
    start = text.index("TN-")
    return text[start : start + 14]
