"""The handover (/hoicanbo) and inbox (/hopthu) flows on the flow framework (issue 14)."""

from __future__ import annotations

from bot.app import App
from bot.core.flow import CANCEL
from bot.core.i18n import Translator
from tests.harness import Chat, text_of

VI = Translator("vi")


async def _session(app: App, chat: Chat) -> tuple[str | None, str | None, dict[str, object]]:
    session = await app.services.sessions.load(chat.channel, chat.user_id, now=app.services.clock())
    return session.flow, session.step, session.data


async def test_wrong_inputs_at_the_ward_step_keep_the_options(app: App) -> None:
    """A forged button or an out-of-range number repeats the options; "1" still works after."""
    chat = Chat(app, "asker-wrong")
    await chat.send("/hoicanbo")
    await chat.send("Xin hỏi về vay vốn hộ cận nghèo")
    offered = chat.last.choices
    assert any(c.payload.startswith("faqh:w:") for c in offered)
    for forged in ("faqh:w:a:b", "faqh:w:", "faqh:send", "faqh:w:" + "9" * 80):
        replies = await chat.press(forged)
        assert replies[-1].text == VI("common.choose_above")
        assert replies[-1].choices == offered
    await chat.send("7")  # no seventh option: the number is read as a commune name
    assert any(c.payload.startswith("faqh:w:") for c in chat.last.choices)
    await chat.send("1")
    assert VI("faq.handover_send") in [c.label for c in chat.last.choices]
    assert (await _session(app, chat))[1] == "confirm"


async def test_the_core_cancel_leaves_the_handover_and_forgets_the_question(app: App) -> None:
    """`menu:cancel` at the confirm step: nothing is sent, the question is gone."""
    chat = Chat(app, "asker-cancel")
    await chat.send("/hoicanbo")
    await chat.send("Câu hỏi sẽ huỷ")
    await chat.tap("Hòa Cường")
    assert CANCEL in [c.payload for c in chat.last.choices]
    await chat.press(CANCEL)
    assert await _session(app, chat) == (None, None, {})
    assert await app.db.fetchone("SELECT id FROM handover_questions") is None
    stale = await chat.press("faqh:send")
    assert VI("error.stale_button") in text_of(stale)


async def test_a_question_typed_at_the_confirm_step_does_not_send(app: App) -> None:
    """Free text at "Gửi?" repeats the options; the question is sent only by the button."""
    chat = Chat(app, "asker-confirm")
    await chat.send("/hoicanbo")
    await chat.send("Câu hỏi thật")
    await chat.tap("Hòa Cường")
    buttons = chat.last.choices
    replies = await chat.send("gửi đi nhé")
    assert replies[-1].choices == buttons
    assert await app.db.fetchone("SELECT id FROM handover_questions") is None
    await chat.send("1")
    row = await app.db.fetchone("SELECT text FROM handover_questions")
    assert row is not None and row["text"] == "Câu hỏi thật"


async def test_forged_inbox_buttons_are_refused_without_a_crash(
    app: App, resident: Chat, officer: Chat
) -> None:
    """`faqo:a:` with letters, a huge or an unknown number: options again, or "gone"."""
    await resident.send("/hoicanbo")
    await resident.send("Câu hỏi cho cán bộ")
    await resident.tap("Hòa Cường")
    await resident.press("faqh:send")
    await officer.send("/hopthu")
    listed = officer.last.choices
    for forged in ("faqo:a:abc", "faqo:a:1:2", "faqo:a:" + "1" * 20, "faqo:a:²"):
        replies = await officer.press(forged)
        assert replies[-1].choices == listed
    gone = await officer.press("faqo:a:999")
    assert VI("faq.question_gone") in text_of(gone)
    await officer.press("faqo:a:1")
    await officer.send("Trả lời: được vay")
    row = await app.db.fetchone("SELECT answer FROM handover_questions WHERE id = 1")
    assert row is not None and row["answer"] == "Trả lời: được vay"


async def test_forged_qa_buttons_are_refused(app: App, resident: Chat, officer: Chat) -> None:
    """Unknown entries, bad feedback kinds and curator ids are refused plainly, never crash."""
    for forged in (
        "faq:e:",
        "faq:e:khong-co-muc-nay",
        "faq:up:",
        "faq:xx:ho-ngheo-la-gi",
        "faq:e:ho-ngheo-la-gi:1",
        "faq:e:" + "a" * 60,
    ):
        replies = await resident.press(forged)
        assert VI("error.unknown_button") in text_of(replies)
    shown = await resident.press("faq:e:ho-ngheo-la-gi")
    assert any(c.payload == "faq:up:ho-ngheo-la-gi" for c in shown[-1].choices)
    for forged in ("faqu:q:abc", "faqu:q:0", "faqu:a:1", "faqu:a:x:ho-ngheo-la-gi", "faqu:q:¹"):
        replies = await officer.press(forged)
        assert VI("error.unknown_button") in text_of(replies)
