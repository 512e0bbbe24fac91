"""The curators' loop: officers turn unanswered questions into phrasings of existing entries.

`/cauhoichuatraloi` lists the most frequent questions the knowledge base could not answer, for
the officer's own commune (admins: every commune), each with a "📎 Gắn" button. The officer
picks the entry that answers it among the closest ones (`faqu:q:<log id>` then
`faqu:a:<log id>:<entry id>`); the question becomes a phrasing of that entry at once and is
taken off the list. Phrasings are kept in the database and merged into the search at start-up;
`giamngheo kb learned --export` writes them into the content files.
"""

from __future__ import annotations

from bot.core.errors import PermissionDenied
from bot.core.flow import BACK_TO_MENU
from bot.core.turn import Turn
from bot.core.types import Choice, Reply, Role
from handlers.faq._payloads import Attaching, AttachTo
from handlers.faq._render import short
from knowledge.faq import KnowledgeBase
from storage.questions import LoggedQuestion, QuestionRepository

MAX_LISTED = 15
MAX_ATTACH_BUTTONS = 5
MAX_TARGETS = 3


class LearnedSearch:
    """The knowledge base the chat searches: the content files plus the attached phrasings."""

    def __init__(self, base: KnowledgeBase, questions: QuestionRepository) -> None:
        self.base = base
        self.kb = base
        self.questions = questions
        self._loaded = False

    async def current(self) -> KnowledgeBase:
        """The knowledge base with every attached phrasing (read once, then kept up to date)."""
        if not self._loaded:
            await self.refresh()
        return self.kb

    async def refresh(self) -> None:
        """Rebuild the search from the content files and the attached phrasings."""
        extra: dict[str, list[str]] = {}
        for phrasing in await self.questions.learned():
            extra.setdefault(phrasing.entry_id, []).append(phrasing.text)
        self.kb = self.base.with_phrasings(extra) if extra else self.base
        self._loaded = True


class CuratorDesk:
    """`/cauhoichuatraloi` and its `faqu` buttons (officers and admins only)."""

    def __init__(self, search: LearnedSearch, questions: QuestionRepository) -> None:
        self.search = search
        self.questions = questions

    async def listing(self, turn: Turn) -> list[Reply]:
        """The commune's most frequent unanswered questions, numbered, with attach buttons."""
        turn.require_staff()
        frequent = await self.questions.frequent(
            ward_id=turn.user.ward_id, everywhere=turn.user.role == Role.ADMIN, limit=MAX_LISTED
        )
        if not frequent:
            return [turn.reply("faq.unanswered_empty")]
        lines = [turn.t("faq.unanswered_title")]
        lines += [f"{n}. {item.count}× {item.text}" for n, item in enumerate(frequent, start=1)]
        lines.append(turn.t("faq.unanswered_attach_hint"))
        choices = tuple(
            Attaching(item.id).choice(turn.t("faq.attach_button", n=n))
            for n, item in enumerate(frequent[:MAX_ATTACH_BUTTONS], start=1)
        )
        return [Reply("\n".join(lines), choices)]

    async def action(self, turn: Turn) -> list[Reply]:
        """`faqu:q:<id>` offers the closest entries; `faqu:a:<id>:<entry>` attaches."""
        turn.require_staff()
        asked, attach = Attaching.unpack(turn.payload), AttachTo.unpack(turn.payload)
        if asked is None and attach is None:
            return [turn.reply("error.unknown_button")]
        log_id = asked.question if asked is not None else attach.question if attach else 0
        question = await self._question(turn, log_id)
        if question is None:
            return [turn.reply("faq.attach_gone")]
        kb = await self.search.current()
        if attach is None:
            targets = kb.closest(question.text, limit=MAX_TARGETS)
            choices = [
                AttachTo(question.id, match.entry.id).choice("📖 " + short(match.entry.question))
                for match in targets
            ]
            choices.append(Choice(turn.t("common.cancel"), BACK_TO_MENU))  # not in a flow
            return [Reply(turn.t("faq.attach_pick", text=question.text), tuple(choices))]
        entry = kb.get(attach.entry)
        if entry is None:
            return [turn.reply("error.unknown_button")]
        added = await self.questions.attach(
            question, entry.id, officer_id=turn.user.id, now=turn.now
        )
        await self.search.refresh()
        key = "faq.attach_done" if added else "faq.attach_already"
        return [turn.reply(key, question=entry.question)]

    async def _question(self, turn: Turn, log_id: int) -> LoggedQuestion | None:
        """The logged question, if it still exists; another commune's is refused."""
        question = await self.questions.logged(log_id)
        if question is None:
            return None
        if turn.user.role != Role.ADMIN and question.ward_id != turn.user.ward_id:
            raise PermissionDenied
        return question
