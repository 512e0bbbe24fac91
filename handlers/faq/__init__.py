"""Policy Q&A (hỏi đáp chính sách): search fallback, feedback, handover to ward officers.

The knowledge base is loaded and indexed once here at start-up (with the phrasings officers
attached, `_curator.py`); the chat logic is in `_chat.py`, rendering in `_render.py`, the
command line in `_cli.py`.
"""

from __future__ import annotations

import argparse

from bot.core.feature import FeatureContext
from bot.core.registry import EVERYONE, STAFF, Action, Command, Erased, MenuItem
from bot.core.turn import Turn
from bot.core.types import Reply
from handlers.faq._chat import FaqChat, HandoverFlow, InboxFlow
from handlers.faq._cli import add_cli as _add_cli
from handlers.faq._curator import CuratorDesk, LearnedSearch
from handlers.faq._payloads import AskOfficer
from knowledge.faq import KnowledgeBase
from storage.db import Tx
from storage.questions import QuestionRepository, erase_user_questions

__all__ = ["add_cli", "install"]


def install(ctx: FeatureContext) -> None:
    """Register the search fallback, `faq` buttons, handover and the officers' inbox."""
    questions = QuestionRepository(ctx.services.db)
    search = LearnedSearch(KnowledgeBase.load(), questions)
    chat = FaqChat(search, questions, ctx.dispatcher)
    curator = CuratorDesk(search, questions)
    handover = HandoverFlow(questions)
    inbox = InboxFlow(questions)

    async def start_faq(turn: Turn) -> list[Reply]:
        turn.session.clear()
        return [Reply(turn.t("faq.intro"), (AskOfficer().choice(turn.t("faq.ask_officer")),))]

    registry = ctx.registry
    registry.add_menu_item(MenuItem("faq", "faq.menu", start_faq, EVERYONE, order=10))
    registry.add_menu_item(MenuItem("inbox", "faq.menu_inbox", inbox.start, STAFF, order=55))
    registry.set_fallback(chat.search)
    registry.add_action(Action("faq", chat.action, EVERYONE))
    registry.add_action(Action("faqi", inbox.start, STAFF))
    registry.add_action(Action("faqu", curator.action, STAFF))
    registry.add_flow(handover)
    registry.add_flow(inbox)
    registry.add_command(Command(("/hopthu",), inbox.start, STAFF, help_key="faq.help_inbox"))
    registry.add_command(
        Command(("/cauhoichuatraloi",), curator.listing, STAFF, help_key="faq.help_unanswered")
    )
    registry.add_command(Command(("/hoicanbo",), handover.start, EVERYONE, help_key="faq.help_ask"))
    registry.add_eraser("faq", erase_questions)


async def erase_questions(conn: Tx, user_id: int, *, dry_run: bool) -> Erased:
    """The `/xoadulieu` part of the Q&A: questions handed over and logged questions."""
    return Erased(removed=await erase_user_questions(conn, user_id, dry_run=dry_run))


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`giamngheo ask` and `giamngheo kb lint|unanswered`."""
    _add_cli(sub)
