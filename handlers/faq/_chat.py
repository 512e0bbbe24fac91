"""Q&A in the chat: free text → search → graded answer; feedback; handover to ward officers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.dispatcher import Dispatcher
from bot.core.flow import (
    BACK_TO_MENU,
    FlowData,
    Payload,
    Signal,
    StepFlow,
    StepHandler,
    StepResult,
    cancel_choice,
    menu_choice,
)
from bot.core.i18n import Translator
from bot.core.registry import EVERYONE, STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.faq._curator import LearnedSearch
from handlers.faq._payloads import AskOfficer, Feedback, ShowEntry
from handlers.faq._render import answer_reply, result_replies, short
from handlers.self_check import Prefilled
from handlers.wards import choose_ward, demo_aware_label
from knowledge.household_hint import HouseholdHint, household_hint
from knowledge.smalltalk import small_talk
from storage.db import Step
from storage.questions import HandoverQuestion, NewHandover, QuestionRepository

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
    payload = Prefilled(hint.members, hint.amount, hint.mode).pack()
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
        if AskOfficer.unpack(turn.payload) is not None:
            return await self.handover.start(turn)
        kb = await self.learned.current()
        shown = ShowEntry.unpack(turn.payload)
        entry = kb.get(shown.entry) if shown is not None else None
        if entry is not None:
            if "officer" not in entry.audience and not turn.user.is_staff:
                return [turn.reply("error.unknown_button")]
            return [answer_reply(turn, kb, entry)]
        feedback = Feedback.unpack(turn.payload)
        entry = kb.get(feedback.entry) if feedback is not None else None
        if feedback is None or entry is None:
            return [turn.reply("error.unknown_button")]
        return await self._feedback(turn, entry.id, helpful=feedback.kind == "up")

    async def _feedback(self, turn: Turn, entry_id: str, *, helpful: bool) -> list[Reply]:
        """Counts 👍/👎; after 👎 the question is logged as unanswered and a handover offered."""
        await self.questions.feedback(entry_id, helpful=helpful, now=turn.now)
        if helpful:
            return [turn.reply("faq.thanks", menu_choice(turn))]
        asked = str(turn.session.data.get("faq_q", ""))
        if asked:
            await self.questions.log(
                asked, "unhelpful", user_id=turn.user.id, ward_id=turn.user.ward_id, now=turn.now
            )
        return [
            turn.reply(
                "faq.sorry_unhelpful",
                AskOfficer().choice(turn.t("faq.ask_officer")),
                menu_choice(turn),
            )
        ]

    @property
    def handover(self) -> HandoverFlow:
        """The handover flow (built lazily with the same repositories)."""
        return HandoverFlow(self.questions)


@dataclass
class HandoverData(FlowData):
    """What the handover flow keeps: the question and the chosen ward."""

    q: str = ""
    ward: str = ""
    key: str = ""  # drawn at the start: "Gửi" handled twice stores and notifies once


@dataclass(frozen=True)
class WardPick(Payload):
    """`faqh:w:<ward id>`: the ward the question goes to."""

    prefix = "faqh:w"
    ward: str


@dataclass(frozen=True)
class SendQuestion(Payload):
    """`faqh:send`: send the question to the ward's officers."""

    prefix = "faqh:send"


class HandoverFlow(StepFlow[HandoverData]):
    """A resident sends a question to the officers of their ward; nothing is lost on restart."""

    name = "faqh"
    roles = EVERYONE
    data_type = HandoverData

    def __init__(self, questions: QuestionRepository) -> None:
        self.questions = questions

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (diagram: `handover.mmd`)."""
        return {
            HandoverStep.QUESTION: self.on_question,
            HandoverStep.WARD: self.on_ward,
            HandoverStep.CONFIRM: self.on_confirm,
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow with the last searched question (or asks for one)."""
        data = HandoverData(
            q=str(turn.session.data.get("faq_q", "")).strip(), key=secrets.token_hex(8)
        )
        self.enter(turn, HandoverStep.QUESTION, data)
        if not data.q:
            return [self._ask_question(turn)]
        replies = await self._after_question(turn, data)
        turn.session.data = data.dump()
        return replies

    def _ask_question(self, turn: Turn) -> Reply:
        return Reply(
            turn.t("faq.handover_type_question"), (cancel_choice(turn),), expects_text=True
        )

    async def _after_question(self, turn: Turn, data: HandoverData) -> list[Reply]:
        if not data.ward and not await self._own_ward_served(turn):
            self.go(turn, HandoverStep.WARD)
            return [await self._ask_ward(turn)]
        return await self._confirm(turn, data)

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
        cancel = cancel_choice(turn)
        if not wards:
            turn.session.clear()
            return Reply(turn.t("ward.none_served"), (cancel,))
        shown = wards if len(wards) <= MAX_WARD_BUTTONS else []
        choices = [
            WardPick(ward.id).choice(short(demo_aware_label(turn.t, ward))) for ward in shown
        ]
        question = turn.t("faq.handover_choose_ward")
        text = f"{error}\n\n{question}" if error else question
        return Reply(text, (*choices, cancel), expects_text=not choices)

    async def on_question(self, turn: Turn, data: HandoverData) -> StepResult:
        """Takes the typed question (at least two characters), then asks the ward or confirms."""
        if turn.payload is not None or len(turn.text) < MIN_ANSWER_CHARS:
            return [self._ask_question(turn)]
        data.q = turn.text
        return await self._after_question(turn, data)

    async def on_ward(self, turn: Turn, data: HandoverData) -> StepResult:
        """A ward button, or a typed commune name; anything else repeats the options."""
        if turn.payload is None and turn.text:
            return await self._typed_ward(turn, data)
        pick = WardPick.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        ward = await turn.services.users.ward(pick.ward)
        if ward is None or not ward.enabled:
            return [turn.reply("error.unknown_button"), await self._ask_ward(turn)]
        return await self._take_ward(turn, data, ward.id)

    async def on_confirm(self, turn: Turn, data: HandoverData) -> StepResult:
        """Sends the question on "Gửi"; anything else repeats the options."""
        if SendQuestion.unpack(turn.payload) is None:
            return Signal.REPEAT
        return await self._send(turn, data)

    async def _typed_ward(self, turn: Turn, data: HandoverData) -> list[Reply]:
        """A typed commune name: the ward in service, candidates, or why it cannot be used."""
        choice = await choose_ward(turn.services.users, turn.text)
        if choice.ward is not None:
            return await self._take_ward(turn, data, choice.ward.id)
        if choice.candidates:
            buttons = [
                WardPick(w.id).choice(short(demo_aware_label(turn.t, w, with_province=True)))
                for w in choice.candidates
            ]
            return [
                Reply(turn.t("ward.which", typed=turn.text[:60]), (*buttons, cancel_choice(turn)))
            ]
        if choice.not_served is not None:
            unit = choice.not_served
            error = turn.t("ward.not_served", name=unit.name, province=unit.province_name)
        else:
            error = turn.t("ward.not_found", typed=turn.text[:60])
        return [await self._ask_ward(turn, error)]

    async def _take_ward(self, turn: Turn, data: HandoverData, ward_id: str) -> list[Reply]:
        await turn.services.users.set_ward(turn.user.id, ward_id)
        data.ward = ward_id
        return await self._confirm(turn, data)

    async def _confirm(self, turn: Turn, data: HandoverData) -> list[Reply]:
        data.ward = data.ward or turn.user.ward_id or ""
        ward = await turn.services.users.ward(data.ward)
        self.go(turn, HandoverStep.CONFIRM)
        return [
            turn.reply(
                "faq.handover_confirm",
                SendQuestion().choice(turn.t("faq.handover_send")),
                cancel_choice(turn),
                question=data.q,
                ward=ward.name if ward else data.ward,
            )
        ]

    async def _send(self, turn: Turn, data: HandoverData) -> list[Reply]:
        """Store the question and tell the ward's officers, together and once per key."""
        officers = await turn.services.users.staff(ward_id=data.ward)

        def notify(number: int) -> list[Step[Any]]:
            message = Reply(
                turn.t("faq.officer_new_question", number=number, question=data.q),
                (Choice(turn.t("faq.open_inbox"), "faqi:open"),),
            )
            return [
                turn.push_step(officer.channel, officer.chat_id, message, carries_my_data=True)
                for officer in officers
            ]

        new = NewHandover(
            user_id=turn.user.id,
            ward_id=data.ward,
            channel=turn.user.channel,
            chat_id=turn.user.chat_id,
            text=data.q,
            key=data.key or None,
        )
        number, _ = await self.questions.create_handover(new, now=turn.now, notify=notify)
        turn.session.clear()
        return [turn.reply("faq.handover_sent", menu_choice(turn), number=number)]


@dataclass
class InboxData(FlowData):
    """What the inbox flow keeps: the question being answered."""

    qid: int = 0


@dataclass(frozen=True)
class AnswerPick(Payload):
    """`faqo:a:<question id>`: answer this question."""

    prefix = "faqo:a"
    question: int = field(metadata={"min": 1, "max": 10**12})


class InboxFlow(StepFlow[InboxData]):
    """Officers read their ward's questions and answer them; answers reach the resident."""

    name = "faqo"
    roles = STAFF
    data_type = InboxData

    def __init__(self, questions: QuestionRepository) -> None:
        self.questions = questions

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (diagram: `inbox.mmd`)."""
        return {InboxStep.LIST: self.on_pick, InboxStep.ANSWER: self.on_answer}

    async def start(self, turn: Turn) -> list[Reply]:
        """Lists the open questions of the officer's ward (`/hopthu`)."""
        turn.require_staff()
        ward_filter = None if turn.user.role == "admin" else turn.user.ward_id
        open_questions = await self.questions.open_for_ward(ward_filter)
        self.enter(turn, InboxStep.LIST, InboxData())
        if not open_questions:
            turn.session.clear()
            return [turn.reply("faq.inbox_empty", menu_choice(turn))]
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
            label = turn.t("faq.answer_button", number=question.id)
            choices.append(AnswerPick(question.id).choice(label))
        choices.append(menu_choice(turn))
        return [Reply("\n".join(lines), tuple(choices))]

    async def on_pick(self, turn: Turn, data: InboxData) -> StepResult:
        """An "answer" button: shows the question and waits for the typed answer."""
        pick = AnswerPick.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        question = await self._owned(turn, pick.question)
        if question is None:
            return [turn.reply("faq.question_gone")]
        self.go(turn, InboxStep.ANSWER)
        data.qid = question.id
        return [
            Reply(
                turn.t("faq.type_answer", number=question.id, question=question.text),
                (cancel_choice(turn),),
                expects_text=True,
            )
        ]

    async def on_answer(self, turn: Turn, data: InboxData) -> StepResult:
        """The typed answer (another question's button switches to that one)."""
        if turn.payload is not None:
            return await self.on_pick(turn, data)
        if len(turn.text) < MIN_ANSWER_CHARS:
            return [turn.reply("faq.answer_too_short", cancel_choice(turn))]
        return await self._answer(turn, data)

    async def _owned(self, turn: Turn, question_id: int) -> HandoverQuestion | None:
        question = await self.questions.get(question_id)
        if question is None:
            return None
        turn.require_staff(question.ward_id)
        return question if question.answered_at is None else None

    async def _answer(self, turn: Turn, data: InboxData) -> list[Reply]:
        question = await self.questions.get(data.qid)
        if question is None:
            turn.session.clear()
            return [turn.reply("faq.question_gone")]
        turn.require_staff(question.ward_id)
        resident = await turn.services.users.get(question.user_id)
        reply = delivered_reply(
            Translator(resident.language if resident else "vi"), question, turn.text
        )
        if not await self.questions.record_answer(
            question.id,
            answer=turn.text,
            officer_id=turn.user.id,
            now=turn.now,
            notify=reply.to_json(),
        ):
            turn.session.clear()
            return [turn.reply("faq.question_gone")]
        turn.pushed.append((question.channel, question.chat_id))  # wakes the outbox worker
        turn.session.clear()
        return [
            turn.reply(
                "faq.answer_sent",
                Choice(turn.t("faq.open_inbox"), "faqi:open"),
                menu_choice(turn),
                number=question.id,
            )
        ]


def delivered_reply(t: Translator, question: HandoverQuestion, answer: str) -> Reply:
    """The resident's copy of an officer's answer (the chat's inbox and the web desk send it)."""
    return Reply(
        t("faq.answer_delivered", number=question.id, question=question.text, answer=answer),
        (Choice(t("menu.back_to_menu"), BACK_TO_MENU),),
    )
