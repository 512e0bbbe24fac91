"""Q&A in the chat: free text → search → graded answer; feedback; handover to ward officers."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import PermissionDenied
from bot.core.registry import EVERYONE, STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.faq._render import answer_reply, result_replies, short
from knowledge.faq import KnowledgeBase
from knowledge.text import normalize
from storage.audit import record_audit
from storage.questions import HandoverQuestion, QuestionRepository

MIN_ANSWER_CHARS = 2


class HandoverStep(StrEnum):
    """Steps of sending a question to the ward's officers (flow `faqh`)."""

    QUESTION = "question"
    """Asks the resident to type the question."""
    WARD = "ward"
    """Asks which ward (phường/xã) the resident lives in."""
    CONFIRM = "confirm"
    """Shows the question and who will see it; asks to send."""


class InboxStep(StrEnum):
    """Steps of an officer answering questions (flow `faqo`)."""

    LIST = "list"
    """Shows the ward's open questions with an answer button each."""
    ANSWER = "answer"
    """Asks the officer to type the answer to one question."""


class FaqChat:
    """The search fallback and the `faq` button actions."""

    def __init__(self, kb: KnowledgeBase, questions: QuestionRepository) -> None:
        self.kb = kb
        self.questions = questions

    async def search(self, turn: Turn) -> list[Reply]:
        """Answers free text outside any flow with the graded search."""
        audience = "officer" if turn.user.is_staff else "resident"
        result = self.kb.search(turn.text, today=turn.today, audience=audience)
        turn.session.data["faq_q"] = turn.text
        if result.grade == "none":
            await self.questions.log(turn.text, normalize(turn.text), "unanswered", now=turn.now)
        return result_replies(turn, self.kb, result)

    async def action(self, turn: Turn) -> list[Reply]:
        """Handles `faq:e:<id>` (show), `faq:up|dn:<id>` (feedback) and `faq:ask` (handover)."""
        parts = (turn.payload or "").split(":")
        kind = parts[1] if len(parts) > 1 else ""
        entry = self.kb.get(parts[2]) if len(parts) > 2 else None
        if kind == "e" and entry is not None:
            if "officer" not in entry.audience and not turn.user.is_staff:
                return [turn.reply("error.unknown_button")]
            return [answer_reply(turn, self.kb, entry)]
        if kind in ("up", "dn") and entry is not None:
            helpful = kind == "up"
            await self.questions.feedback(entry.id, helpful=helpful, now=turn.now)
            if helpful:
                return [turn.reply("faq.thanks", Choice(turn.t("menu.back_to_menu"), "menu:main"))]
            asked = str(turn.session.data.get("faq_q", ""))
            if asked:
                await self.questions.log(asked, normalize(asked), "unhelpful", now=turn.now)
            return [
                turn.reply(
                    "faq.sorry_unhelpful",
                    Choice(turn.t("faq.ask_officer"), "faq:ask"),
                    Choice(turn.t("menu.back_to_menu"), "menu:main"),
                )
            ]
        if kind == "ask":
            return await self.handover.start(turn)
        return [turn.reply("error.unknown_button")]

    @property
    def handover(self) -> HandoverFlow:
        """The handover flow (built lazily with the same repositories)."""
        return HandoverFlow(self.questions)


class HandoverFlow:
    """A resident sends a question to the officers of their ward; nothing is lost on restart."""

    name = "faqh"
    roles = EVERYONE

    def __init__(self, questions: QuestionRepository) -> None:
        self.questions = questions

    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow with the last searched question (or asks for one)."""
        question = str(turn.session.data.get("faq_q", "")).strip()
        turn.session.enter(self.name, HandoverStep.QUESTION, {"q": question})
        if not question:
            return [self._ask_question(turn)]
        return await self._after_question(turn)

    def _ask_question(self, turn: Turn) -> Reply:
        return Reply(
            turn.t("faq.handover_type_question"),
            (Choice(turn.t("common.cancel"), "faqh:cancel"),),
            expects_text=True,
        )

    async def _after_question(self, turn: Turn) -> list[Reply]:
        if turn.user.ward_id is None and "ward" not in turn.session.data:
            wards = await turn.services.users.wards()
            turn.session.step = HandoverStep.WARD
            choices = [Choice(short(ward.name), f"faqh:w:{ward.id}") for ward in wards[:8]]
            choices.append(Choice(turn.t("common.cancel"), "faqh:cancel"))
            return [Reply(turn.t("faq.handover_choose_ward"), tuple(choices))]
        return await self._confirm(turn)

    async def _confirm(self, turn: Turn) -> list[Reply]:
        ward_id = turn.user.ward_id or str(turn.session.data.get("ward", ""))
        ward = await turn.services.users.ward(ward_id)
        turn.session.step = HandoverStep.CONFIRM
        turn.session.data["ward"] = ward_id
        return [
            turn.reply(
                "faq.handover_confirm",
                Choice(turn.t("faq.handover_send"), "faqh:send"),
                Choice(turn.t("common.cancel"), "faqh:cancel"),
                question=turn.session.data["q"],
                ward=ward.name if ward else ward_id,
            )
        ]

    async def handle(self, turn: Turn) -> list[Reply]:
        """Routes by step: question text, ward choice, send or cancel."""
        if turn.payload == "faqh:cancel":
            turn.session.clear()
            return [turn.reply("menu.cancelled", Choice(turn.t("menu.back_to_menu"), "menu:main"))]
        step = turn.session.step
        if step == HandoverStep.QUESTION:
            if turn.payload is not None or len(turn.text) < MIN_ANSWER_CHARS:
                return [self._ask_question(turn)]
            turn.session.data["q"] = turn.text
            return await self._after_question(turn)
        if step == HandoverStep.WARD:
            payload = turn.payload or ""
            if not payload.startswith("faqh:w:"):
                return [turn.reply("common.choose_above")]
            ward = await turn.services.users.ward(payload.removeprefix("faqh:w:"))
            if ward is None:
                return [turn.reply("error.unknown_button")]
            await turn.services.users.set_ward(turn.user.id, ward.id)
            turn.session.data["ward"] = ward.id
            return await self._confirm(turn)
        if step == HandoverStep.CONFIRM and turn.payload == "faqh:send":
            return await self._send(turn)
        return [turn.reply("common.choose_above")]

    async def _send(self, turn: Turn) -> list[Reply]:
        ward_id = str(turn.session.data["ward"])
        question = str(turn.session.data["q"])
        number = await self.questions.create_handover(
            user_id=turn.user.id,
            ward_id=ward_id,
            channel=turn.user.channel,
            chat_id=turn.user.chat_id,
            text=question,
            now=turn.now,
        )
        for officer in await turn.services.users.staff(ward_id=ward_id):
            await turn.push(
                officer.channel,
                officer.chat_id,
                Reply(
                    turn.t("faq.officer_new_question", number=number, question=question),
                    (Choice(turn.t("faq.open_inbox"), "faqi:open"),),
                ),
                carries_my_data=True,
            )
        turn.session.clear()
        return [
            turn.reply(
                "faq.handover_sent",
                Choice(turn.t("menu.back_to_menu"), "menu:main"),
                number=number,
            )
        ]


class InboxFlow:
    """Officers read their ward's questions and answer them; answers reach the resident."""

    name = "faqo"
    roles = STAFF

    def __init__(self, questions: QuestionRepository) -> None:
        self.questions = questions

    async def start(self, turn: Turn) -> list[Reply]:
        """Lists the open questions of the officer's ward (`/hopthu`)."""
        turn.require_staff()
        ward_filter = None if turn.user.role == "admin" else turn.user.ward_id
        open_questions = await self.questions.open_for_ward(ward_filter)
        turn.session.enter(self.name, InboxStep.LIST)
        if not open_questions:
            turn.session.clear()
            return [turn.reply("faq.inbox_empty", Choice(turn.t("menu.back_to_menu"), "menu:main"))]
        lines = [turn.t("faq.inbox_title", count=len(open_questions))]
        choices = []
        for question in open_questions:
            lines.append(
                turn.t(
                    "faq.inbox_line",
                    number=question.id,
                    when=turn.moment(question.created_at),
                    question=short(question.text, 300),
                )
            )
            choices.append(
                Choice(turn.t("faq.answer_button", number=question.id), f"faqo:a:{question.id}")
            )
        choices.append(Choice(turn.t("menu.back_to_menu"), "menu:main"))
        return [Reply("\n".join(lines), tuple(choices))]

    async def handle(self, turn: Turn) -> list[Reply]:
        """Picks a question to answer, then takes the typed answer."""
        payload = turn.payload or ""
        if payload.startswith("faqo:a:"):
            question = await self._owned(turn, payload.removeprefix("faqo:a:"))
            if question is None:
                return [turn.reply("faq.question_gone")]
            turn.session.step = InboxStep.ANSWER
            turn.session.data["qid"] = question.id
            return [
                Reply(
                    turn.t("faq.type_answer", number=question.id, question=question.text),
                    (Choice(turn.t("common.cancel"), "faqo:cancel"),),
                    expects_text=True,
                )
            ]
        if payload == "faqo:cancel":
            turn.session.clear()
            return [turn.reply("menu.cancelled", Choice(turn.t("menu.back_to_menu"), "menu:main"))]
        if turn.session.step == InboxStep.ANSWER and turn.payload is None:
            if len(turn.text) < MIN_ANSWER_CHARS:
                return [turn.reply("faq.answer_too_short")]
            return await self._answer(turn)
        return [turn.reply("common.choose_above")]

    async def _owned(self, turn: Turn, raw_id: str) -> HandoverQuestion | None:
        if not raw_id.isdigit():
            raise PermissionDenied
        question = await self.questions.get(int(raw_id))
        if question is None:
            return None
        turn.require_staff(question.ward_id)
        return question if question.answered_at is None else None

    async def _answer(self, turn: Turn) -> list[Reply]:
        question = await self.questions.get(int(turn.session.data["qid"]))
        if question is None:
            turn.session.clear()
            return [turn.reply("faq.question_gone")]
        turn.require_staff(question.ward_id)
        async with turn.services.db.transaction() as conn:
            if not await self.questions.answer(
                conn, question.id, answer=turn.text, officer_id=turn.user.id, now=turn.now
            ):
                turn.session.clear()
                return [turn.reply("faq.question_gone")]
            await record_audit(
                conn,
                actor_user_id=turn.user.id,
                action="faq.answer",
                target=f"question:{question.id}",
                now=turn.now,
            )
        await turn.push(
            question.channel,
            question.chat_id,
            Reply(
                turn.t(
                    "faq.answer_delivered",
                    number=question.id,
                    question=question.text,
                    answer=turn.text,
                ),
                (Choice(turn.t("menu.back_to_menu"), "menu:main"),),
            ),
        )
        turn.session.clear()
        return [
            turn.reply(
                "faq.answer_sent",
                Choice(turn.t("faq.open_inbox"), "faqi:open"),
                Choice(turn.t("menu.back_to_menu"), "menu:main"),
                number=question.id,
            )
        ]
