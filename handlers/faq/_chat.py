"""Q&A in the chat: free text → search → graded answer; feedback; handover to ward officers."""

from __future__ import annotations

from enum import StrEnum

from bot.core.dispatcher import Dispatcher
from bot.core.errors import PermissionDenied
from bot.core.registry import EVERYONE, STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.faq._curator import LearnedSearch
from handlers.faq._render import answer_reply, result_replies, short
from handlers.wards import choose_ward, demo_aware_label
from knowledge.household_hint import HouseholdHint, household_hint
from knowledge.smalltalk import small_talk
from storage.audit import record_audit
from storage.questions import HandoverQuestion, QuestionRepository

MIN_ANSWER_CHARS = 2
# Up to this many wards in service are offered as buttons; beyond, the resident types the name.
MAX_WARD_BUTTONS = 8


class HandoverStep(StrEnum):
    """Steps of sending a question to the ward's officers (flow `faqh`)."""

    QUESTION = "question"
    """Asks the resident to type the question."""
    WARD = "ward"
    """Asks which commune (xã, phường, đặc khu) the resident lives in: typed, or buttons if few."""
    CONFIRM = "confirm"
    """Shows the question and who will see it; asks to send."""


class InboxStep(StrEnum):
    """Steps of an officer answering questions (flow `faqo`)."""

    LIST = "list"
    """Shows the ward's open questions with an answer button each."""
    ANSWER = "answer"
    """Asks the officer to type the answer to one question."""


def self_check_offer(turn: Turn, hint: HouseholdHint) -> Reply:
    """The offer to run the self-check with the size and income a message named."""
    income = turn.t(f"self_check.income_as.{hint.mode}", amount=turn.money(hint.amount))
    label = turn.t("faq.self_check_offer_button", size=hint.members)
    payload = f"scp:{hint.members}:{hint.amount}:{hint.mode}"
    text = turn.t("faq.self_check_offer", size=hint.members, income=income)
    return Reply(text, (Choice(label, payload),))


class FaqChat:
    """The search fallback and the `faq` button actions."""

    def __init__(
        self, search: LearnedSearch, questions: QuestionRepository, dispatcher: Dispatcher
    ) -> None:
        self.learned = search
        self.questions = questions
        self.dispatcher = dispatcher

    async def search(self, turn: Turn) -> list[Reply]:
        """Answers free text outside any flow with the graded search.

        Small talk ("alo", "cảm ơn ad", "ok") gets a short friendly reply with the menu; it is
        not searched and never goes to the officers' unanswered list.
        """
        chat = small_talk(turn.text)
        if chat is not None:
            return self.dispatcher.menu(turn, greeting=turn.t(f"faq.smalltalk.{chat}"))
        audience = "officer" if turn.user.is_staff else "resident"
        kb = await self.learned.current()
        result = kb.search(turn.text, today=turn.today, audience=audience)
        turn.session.data["faq_q"] = turn.text
        if result.grade == "none":
            await self.questions.log(
                turn.text,
                "unanswered",
                user_id=turn.user.id,
                ward_id=turn.user.ward_id,
                now=turn.now,
            )
        replies = result_replies(turn, kb, result)
        hint = household_hint(turn.text)
        if hint is not None:
            replies.append(self_check_offer(turn, hint))
        return replies

    async def action(self, turn: Turn) -> list[Reply]:
        """Handles `faq:e:<id>` (show), `faq:up|dn:<id>` (feedback) and `faq:ask` (handover)."""
        parts = (turn.payload or "").split(":")
        kind = parts[1] if len(parts) > 1 else ""
        kb = await self.learned.current()
        entry = kb.get(parts[2]) if len(parts) > 2 else None
        if kind == "e" and entry is not None:
            if "officer" not in entry.audience and not turn.user.is_staff:
                return [turn.reply("error.unknown_button")]
            return [answer_reply(turn, kb, entry)]
        if kind in ("up", "dn") and entry is not None:
            helpful = kind == "up"
            await self.questions.feedback(entry.id, helpful=helpful, now=turn.now)
            if helpful:
                return [turn.reply("faq.thanks", Choice(turn.t("menu.back_to_menu"), "menu:main"))]
            asked = str(turn.session.data.get("faq_q", ""))
            if asked:
                await self.questions.log(
                    asked,
                    "unhelpful",
                    user_id=turn.user.id,
                    ward_id=turn.user.ward_id,
                    now=turn.now,
                )
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
        if "ward" not in turn.session.data and not await self._own_ward_served(turn):
            turn.session.step = HandoverStep.WARD
            return [await self._ask_ward(turn)]
        return await self._confirm(turn)

    @staticmethod
    async def _own_ward_served(turn: Turn) -> bool:
        """Whether the user has a ward and it is still in service."""
        if turn.user.ward_id is None:
            return False
        ward = await turn.services.users.ward(turn.user.ward_id)
        return ward is not None and ward.enabled

    @staticmethod
    async def _ask_ward(turn: Turn, error: str = "") -> Reply:
        """The ward question: buttons when few wards are in service, else a typed name."""
        wards = await turn.services.users.wards()
        cancel = Choice(turn.t("common.cancel"), "faqh:cancel")
        if not wards:
            turn.session.clear()
            return Reply(turn.t("ward.none_served"), (cancel,))
        shown = wards if len(wards) <= MAX_WARD_BUTTONS else []
        choices = [
            Choice(short(demo_aware_label(turn.t, ward)), f"faqh:w:{ward.id}") for ward in shown
        ]
        question = turn.t("faq.handover_choose_ward")
        text = f"{error}\n\n{question}" if error else question
        return Reply(text, (*choices, cancel), expects_text=not choices)

    async def _typed_ward(self, turn: Turn) -> list[Reply]:
        """A typed commune name: the ward in service, candidates, or why it cannot be used."""
        choice = await choose_ward(turn.services.users, turn.text)
        if choice.ward is not None:
            return await self._take_ward(turn, choice.ward.id)
        if choice.candidates:
            buttons = [
                Choice(short(demo_aware_label(turn.t, w, with_province=True)), f"faqh:w:{w.id}")
                for w in choice.candidates
            ]
            return [
                Reply(
                    turn.t("ward.which", typed=turn.text[:60]),
                    (*buttons, Choice(turn.t("common.cancel"), "faqh:cancel")),
                )
            ]
        if choice.not_served is not None:
            unit = choice.not_served
            error = turn.t("ward.not_served", name=unit.name, province=unit.province_name)
        else:
            error = turn.t("ward.not_found", typed=turn.text[:60])
        return [await self._ask_ward(turn, error)]

    async def _take_ward(self, turn: Turn, ward_id: str) -> list[Reply]:
        await turn.services.users.set_ward(turn.user.id, ward_id)
        turn.session.data["ward"] = ward_id
        return await self._confirm(turn)

    async def _confirm(self, turn: Turn) -> list[Reply]:
        ward_id = str(turn.session.data.get("ward", "")) or turn.user.ward_id or ""
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
            payload = turn.payload
            if payload is None and turn.text:
                return await self._typed_ward(turn)
            if payload is None or not payload.startswith("faqh:w:"):
                return [turn.reply("common.choose_above")]
            ward = await turn.services.users.ward(payload.removeprefix("faqh:w:"))
            if ward is None or not ward.enabled:
                return [turn.reply("error.unknown_button")]
            return await self._take_ward(turn, ward.id)
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
