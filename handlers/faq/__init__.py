"""Policy Q&A (hỏi đáp chính sách): search fallback, feedback, handover to ward officers.

The knowledge base is loaded and indexed once here at start-up; the chat logic is in
`_chat.py`, rendering in `_render.py`, the command line in `_cli.py`.
"""

from __future__ import annotations

import argparse

from bot.core.feature import FeatureContext
from bot.core.registry import EVERYONE, STAFF, Action, Command, MenuItem
from bot.core.turn import Turn
from bot.core.types import Choice, Reply, Role
from handlers.faq._chat import FaqChat, HandoverFlow, InboxFlow
from handlers.faq._cli import add_cli as _add_cli
from knowledge.faq import KnowledgeBase
from storage.questions import QuestionRepository, erase_user_questions

__all__ = ["add_cli", "install"]


def install(ctx: FeatureContext) -> None:
    """Register the search fallback, `faq` buttons, handover and the officers' inbox."""
    kb = KnowledgeBase.load()
    questions = QuestionRepository(ctx.services.db)
    chat = FaqChat(kb, questions)
    handover = HandoverFlow(questions)
    inbox = InboxFlow(questions)

    async def start_faq(turn: Turn) -> list[Reply]:
        turn.session.clear()
        return [Reply(turn.t("faq.intro"), (Choice(turn.t("faq.ask_officer"), "faq:ask"),))]

    async def unanswered(turn: Turn) -> list[Reply]:
        turn.require_staff()
        # Officers see their commune's residents' questions; admins see every commune's.
        frequent = await questions.frequent(
            ward_id=turn.user.ward_id, everywhere=turn.user.role == Role.ADMIN, limit=15
        )
        if not frequent:
            return [turn.reply("faq.unanswered_empty")]
        lines = [turn.t("faq.unanswered_title")]
        lines += [f"{item.count}× {item.text}" for item in frequent]
        return [Reply("\n".join(lines))]

    registry = ctx.registry
    registry.add_menu_item(MenuItem("faq", "faq.menu", start_faq, EVERYONE, order=10))
    registry.add_menu_item(MenuItem("inbox", "faq.menu_inbox", inbox.start, STAFF, order=55))
    registry.set_fallback(chat.search)
    registry.add_action(Action("faq", chat.action, EVERYONE))
    registry.add_action(Action("faqi", inbox.start, STAFF))
    registry.add_flow(handover)
    registry.add_flow(inbox)
    registry.add_command(Command(("/hopthu",), inbox.start, STAFF, help_key="faq.help_inbox"))
    registry.add_command(
        Command(("/cauhoichuatraloi",), unanswered, STAFF, help_key="faq.help_unanswered")
    )
    registry.add_command(Command(("/hoicanbo",), handover.start, EVERYONE, help_key="faq.help_ask"))
    registry.add_eraser("faq", erase_user_questions)


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`giamngheo ask` and `giamngheo kb lint|unanswered`."""
    _add_cli(sub)
