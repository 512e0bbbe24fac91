"""The desk's questions: the handover inbox of the officer's ward and the unanswered list.

- `/can-bo/cau-hoi`: the residents' questions handed over to the ward (`/hoicanbo` in the chat),
  newest first, open or answered. `/can-bo/cau-hoi/<n>` shows one with an answer form; the
  answer is recorded, audited (`faq.answer`) and queued in the outbox for the resident's own
  channel in one transaction, with the chat inbox's message (`faq.answer_delivered`). A second
  submit of the same form answers nothing more: the question is answered once
  (`QuestionRepository.answer_in` only fills an open question).
- `/can-bo/cau-hoi/chua-tra-loi`: the question log (masked when it was written) grouped by
  text, as `/cauhoichuatraloi` shows it; a question is attached to an existing Q&A entry, found
  among the closest ones or searched by title, with `QuestionRepository.attach` (the phrasing,
  the log rows taken off, the audit row), then the chat's search is rebuilt with it.

Every request re-reads the officer and checks the record's ward: another ward's question is a
404 (admins see every ward, as in the chat).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from aiohttp import web

from bot.core.i18n import Translator
from bot.core.types import Role, User
from bot.web.site import WebSite
from handlers.faq._chat import delivered_reply
from handlers.faq._curator import CuratorDesk, LearnedSearch
from knowledge.faq import Entry, KnowledgeBase
from knowledge.text import normalize
from storage.questions import (
    MAX_QUESTION_CHARS,
    FrequentQuestion,
    HandoverQuestion,
    LoggedQuestion,
    QuestionRepository,
    handover_page_in,
)

__all__ = ["routes"]

PAGE_SIZE = 20
MIN_ANSWER_CHARS = 2
MAX_ANSWER_CHARS = MAX_QUESTION_CHARS * 2
MAX_UNANSWERED = 50
MAX_SUGGESTED = 3
MAX_FOUND = 20
MAX_PAGE = 10_000
MAX_ID = 10**12
STATUSES = ("open", "answered", "all")


def page_number(request: web.Request) -> int:
    """The `trang` query parameter: ASCII digits from 1 to `MAX_PAGE`, else 1."""
    text = request.query.get("trang", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        return 1
    return int(text)


def record_id(text: str) -> int:
    """A record number from the address: ASCII digits from 1 to `MAX_ID`.

    Raises:
        web.HTTPNotFound: Anything else (a guessed address tells nothing).
    """
    if not (text.isascii() and text.isdigit()) or len(text) > 13 or not 1 <= int(text) <= MAX_ID:
        raise web.HTTPNotFound
    return int(text)


def chat_search(site: WebSite, questions: QuestionRepository) -> LearnedSearch:
    """The chat's own Q&A search (so an attached phrasing reaches it at once), else a new one.

    The curator's `LearnedSearch` is reached through its registered `faqu` action; a site
    without the Q&A feature gets its own over the content files.
    """
    action = site.app.registry.actions.get("faqu")
    owner = getattr(action.handler, "__self__", None) if action is not None else None
    if isinstance(owner, CuratorDesk):
        return owner.search
    return LearnedSearch(KnowledgeBase.load(), questions)


def entries_by_title(kb: KnowledgeBase, query: str, *, limit: int = MAX_FOUND) -> list[Entry]:
    """Entries whose question holds every word of `query` (accents and case folded)."""
    words = normalize(query).split()
    if not words:
        return []
    found = [
        entry
        for entry in kb.entries
        if all(word in normalize(entry.question).split() for word in words)
        or normalize(query) in normalize(entry.question)
    ]
    return found[:limit]


@dataclass(frozen=True, slots=True)
class AttachView:
    """What the attach page shows: the question, suggested and found entries, the search."""

    question: LoggedQuestion
    suggested: list[Entry]
    found: list[Entry]
    query: str


class _Pages:
    """The questions pages of one site."""

    def __init__(self, site: WebSite) -> None:
        self.site = site
        self.questions = QuestionRepository(site.db)
        self._search: LearnedSearch | None = None

    @property
    def search(self) -> LearnedSearch:
        """The chat's search, found on first use."""
        if self._search is None:
            self._search = chat_search(self.site, self.questions)
        return self._search

    @staticmethod
    def _scope(officer: User) -> str | None:
        """The ward whose records the officer sees (None: every ward, for an admin)."""
        if officer.role is Role.ADMIN:
            return None
        if officer.ward_id is None:
            raise web.HTTPNotFound
        return officer.ward_id

    # --- the handover inbox -----------------------------------------------------------------

    async def inbox(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        status = request.query.get("trang-thai", "open")
        status = status if status in STATUSES else "open"
        page = page_number(request)
        scope = self._scope(officer)
        listed, more = await self.site.db.run(
            partial(handover_page_in, ward_id=scope, status=status, page=page, size=PAGE_SIZE)
        )
        wards: dict[str, str] = {}
        if scope is None:  # an admin sees every ward's questions: say whose each is
            stored = await self.site.services.users.wards(include_disabled=True)
            wards = {ward.id: ward.name for ward in stored}
        return self.site.render(
            request,
            "questions/inbox.html",
            listed=listed,
            wards=wards,
            shown=status,
            statuses=STATUSES,
            page=page,
            more=more,
        )

    async def _owned(self, officer: User, text: str) -> HandoverQuestion:
        question = await self.questions.get(record_id(text))
        if question is None:
            raise web.HTTPNotFound
        self.site.require_ward(officer, question.ward_id)
        return question

    def _detail(
        self,
        request: web.Request,
        question: HandoverQuestion,
        *,
        status: int = 200,
        error: str = "",
        typed: str = "",
        notice: str = "",
    ) -> web.Response:
        return self.site.render(
            request,
            "questions/detail.html",
            status=status,
            question=question,
            error=error,
            typed=typed,
            notice=notice,
            max_chars=MAX_ANSWER_CHARS,
        )

    async def detail(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        question = await self._owned(officer, request.match_info["number"])
        notice = "web_desk.questions.answered_now" if request.query.get("da-gui") else ""
        return self._detail(request, question, notice=notice)

    async def answer(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        question = await self._owned(officer, request.match_info["number"])
        form = await request.post()
        typed = str(form.get("answer", "")).strip()
        t = self.site.translator(request)
        if question.answered_at is not None:
            return self._answered_before(request, question, typed)
        if len(typed) < MIN_ANSWER_CHARS:
            error = t("web_desk.questions.answer_too_short")
            return self._detail(request, question, status=400, error=error, typed=typed)
        if len(typed) > MAX_ANSWER_CHARS:
            error = t("web_desk.questions.answer_too_long", limit=MAX_ANSWER_CHARS)
            return self._detail(request, question, status=400, error=error, typed=typed)
        resident = await self.site.services.users.get(question.user_id)
        reply = delivered_reply(
            Translator(resident.language if resident else "vi"), question, typed
        )
        answered = await self.questions.record_answer(
            question.id,
            answer=typed,
            officer_id=officer.id,
            now=self.site.clock(),
            notify=reply.to_json(),
            via="web",
        )
        if not answered:
            fresh = await self.questions.get(question.id)
            return self._answered_before(request, fresh or question, typed)
        raise web.HTTPSeeOther(f"/can-bo/cau-hoi/{question.id}?da-gui=1")

    def _answered_before(
        self, request: web.Request, question: HandoverQuestion, typed: str
    ) -> web.StreamResponse:
        """A second submit of the same answer shows it as sent; another answer is refused."""
        if question.answer is not None and question.answer.strip() == typed:
            raise web.HTTPSeeOther(f"/can-bo/cau-hoi/{question.id}?da-gui=1")
        t = self.site.translator(request)
        return self._detail(
            request, question, status=409, error=t("faq.question_gone"), typed=typed
        )

    # --- the unanswered list ----------------------------------------------------------------

    async def unanswered(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        admin = officer.role is Role.ADMIN
        listed: list[FrequentQuestion] = await self.questions.frequent(
            ward_id=None if admin else self._scope(officer), everywhere=admin, limit=MAX_UNANSWERED
        )
        notice = {"1": "web_desk.unanswered.attached", "0": "web_desk.unanswered.already"}.get(
            request.query.get("gan", ""), ""
        )
        if request.query.get("het"):
            notice = "faq.attach_gone"
        return self.site.render(request, "questions/unanswered.html", listed=listed, notice=notice)

    async def _logged(self, officer: User, text: str) -> LoggedQuestion | None:
        question = await self.questions.logged(record_id(text))
        if question is not None:
            self.site.require_ward(officer, question.ward_id)
        return question

    async def attach_page(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        question = await self._logged(officer, request.match_info["number"])
        if question is None:
            raise web.HTTPSeeOther("/can-bo/cau-hoi/chua-tra-loi?het=1")
        return await self._attach_view(request, question)

    async def _attach_view(
        self, request: web.Request, question: LoggedQuestion, *, error: str = "", status: int = 200
    ) -> web.Response:
        kb = await self.search.current()
        query = request.query.get("tim", "").strip()[:100]
        view = AttachView(
            question=question,
            suggested=[match.entry for match in kb.closest(question.text, limit=MAX_SUGGESTED)],
            found=entries_by_title(kb, query) if query else [],
            query=query,
        )
        return self.site.render(
            request, "questions/attach.html", status=status, view=view, error=error
        )

    async def attach(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        question = await self._logged(officer, request.match_info["number"])
        if question is None:
            raise web.HTTPSeeOther("/can-bo/cau-hoi/chua-tra-loi?het=1")
        form = await request.post()
        kb = await self.search.current()
        entry = kb.get(str(form.get("entry", "")))
        if entry is None:
            error = self.site.translator(request)("web_desk.unanswered.pick_entry")
            return await self._attach_view(request, question, error=error, status=400)
        added = await self.questions.attach(
            question, entry.id, officer_id=officer.id, now=self.site.clock()
        )
        await self.search.refresh()
        raise web.HTTPSeeOther(f"/can-bo/cau-hoi/chua-tra-loi?gan={int(added)}")


def routes(site: WebSite) -> None:
    """Add the handover inbox and the unanswered list."""
    pages = _Pages(site)
    site.get("/can-bo/cau-hoi", pages.inbox)
    site.get("/can-bo/cau-hoi/chua-tra-loi", pages.unanswered)
    site.get("/can-bo/cau-hoi/chua-tra-loi/{number}", pages.attach_page)
    site.post("/can-bo/cau-hoi/chua-tra-loi/{number}", pages.attach)
    site.get("/can-bo/cau-hoi/{number}", pages.detail)
    site.post("/can-bo/cau-hoi/{number}", pages.answer)
