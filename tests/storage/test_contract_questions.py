"""Contract: handover questions and the unanswered-question log, on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage.db import Step
from storage.interfaces import QuestionLog
from storage.outbox import enqueue_step
from storage.questions import NewHandover
from tests.storage.conftest import NOW, OTHER_WARD, WARD, Backend


async def test_handover_questions_are_listed_per_ward_until_answered(backend: Backend) -> None:
    """Open questions of a ward, oldest first; answering one (once) takes it off the list."""
    questions = backend.questions
    assert isinstance(questions, QuestionLog)
    user = await backend.resident("r")
    first, _ = await questions.create_handover(
        NewHandover(user, WARD.id, "test", "c", "Hộ cận nghèo?"), now=NOW
    )
    second, _ = await questions.create_handover(
        NewHandover(user, WARD.id, "test", "c", "Vay vốn?"), now=NOW
    )
    assert [q.id for q in await questions.open_for_ward(WARD.id)] == [first, second]
    assert await questions.open_for_ward(OTHER_WARD.id) == []
    officer = await backend.users.set_role("test", "o", "officer", WARD.id, now=NOW)
    assert await questions.record_answer(first, answer="Có", officer_id=officer.id, now=NOW)
    assert not await questions.record_answer(first, answer="Lại", officer_id=officer.id, now=NOW)
    stored = await questions.get(first)
    assert stored is not None and (stored.answer, stored.answered_at) == ("Có", NOW)
    assert [q.id for q in await questions.open_for_ward(None)] == [second]
    assert [e.target for e in await backend.audit.recent(action_prefix="faq.answer")] == [
        f"question:{first}"
    ]


async def test_a_handover_with_a_key_is_stored_and_notified_once(backend: Backend) -> None:
    """The same key twice: one question, one notification, both calls get the same number."""
    questions = backend.questions
    user = await backend.resident("r")
    new = NewHandover(user, WARD.id, "test", "c", "Hộ cận nghèo?", key="k-1")

    def notify(number: int) -> list[Step[Any]]:
        body = {"text": f"câu hỏi {number}", "choices": []}
        return [enqueue_step(channel="test", chat_id="officer", body=body, now=NOW)]

    first = await questions.create_handover(new, now=NOW, notify=notify)
    again = await questions.create_handover(new, now=NOW, notify=notify)
    assert first[1] and not again[1]
    assert first[0] == again[0]
    assert [q.id for q in await questions.open_for_ward(WARD.id)] == [first[0]]
    sent = await backend.outbox.pending(["test"])
    assert [message.body["text"] for message in sent] == [f"câu hỏi {first[0]}"]


async def test_the_log_masks_groups_and_keeps_each_commune_to_itself(backend: Backend) -> None:
    """Logged text is masked; counts group by normalised text; officers see their commune."""
    questions = backend.questions
    user = await backend.resident("r")
    for minutes in (0, 1):
        await questions.log(
            "Số CCCD 048090001234 của tôi có được hỗ trợ không",
            "unanswered",
            user_id=user,
            ward_id=WARD.id,
            now=NOW + timedelta(minutes=minutes),
        )
    await questions.log("Khác", "unhelpful", user_id=None, ward_id=OTHER_WARD.id, now=NOW)
    await questions.feedback("faq-1", helpful=True, now=NOW)
    ours = await questions.frequent(ward_id=WARD.id)
    assert [q.count for q in ours] == [2]
    assert "048090001234" not in ours[0].text
    assert await questions.frequent() == []
    assert [q.count for q in await questions.frequent(everywhere=True)] == [2, 1]
    logged = await questions.logged(ours[0].id)
    assert logged is not None and logged.ward_id == WARD.id


async def test_attaching_a_phrasing_clears_its_group_and_is_exported_once(backend: Backend) -> None:
    """The phrasing is kept once, its log rows go, the action is audited, export is marked."""
    questions = backend.questions
    await questions.log("Làm sao vay vốn", "unanswered", user_id=None, ward_id=WARD.id, now=NOW)
    (group,) = await questions.frequent(ward_id=WARD.id)
    logged = await questions.logged(group.id)
    assert logged is not None
    assert await questions.attach(logged, "vay-von", officer_id=None, now=NOW)
    assert not await questions.attach(logged, "vay-von", officer_id=None, now=NOW)
    assert await questions.frequent(ward_id=WARD.id) == []
    (phrasing,) = await questions.learned(pending_only=True)
    assert (phrasing.entry_id, phrasing.text, phrasing.exported) == (
        "vay-von",
        "Làm sao vay vốn",
        False,
    )
    await questions.mark_exported([phrasing.id], now=NOW)
    assert await questions.learned(pending_only=True) == []
    assert [p.exported for p in await questions.learned()] == [True]
    actions = [e.action for e in await backend.audit.recent(action_prefix="faq.")]
    assert actions == ["faq.phrasing_attached", "faq.phrasing_attached"]
