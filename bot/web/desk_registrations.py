"""The desk's registrations to exit poverty (đăng ký thoát nghèo): list, detail, decisions.

- `/can-bo/dang-ky`: the ward's registrations in a table, filtered by status, cause of poverty
  and wished support, searched by reference code (`TN-2026-000123`), twenty a page with the
  total; an admin picks the ward.
- `/can-bo/dang-ky/<n>`: one registration with its timeline (who, when, note, decision) and
  what the officer may do next: a status change with a note; the two final decisions ("Được
  công nhận thoát nghèo", "Chưa được công nhận") ask for the decision number and date, then a
  confirmation page (Xác nhận / Sửa / Huỷ) before anything is recorded; an admin may correct a
  final decision with a reason (`/dieu-chinh`).

Every rule is the chat's (`handlers.exit_registration._desk.Desk`): the same checks, the same
status changes, history, audit rows and resident messages, in one transaction each. Each form
carries an idempotency key drawn when it is shown, stored unique with the change, so a double
submit records once. Every request re-reads the officer and re-checks the ward on the server:
another ward's registration, like an unknown one, is a 404; a correction by a non-admin is a
404 too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from bot.core.i18n import to_local
from bot.core.types import Role, User
from bot.web.site import WebSite
from handlers.exit_registration._desk import (
    MAX_NOTE_CHARS,
    MAX_NUMBER_CHARS,
    Desk,
    InvalidInput,
    NotFound,
    Result,
    check_decision,
    check_note,
    correction_targets,
    is_final,
)
from storage.registrations import (
    CAUSES,
    SUPPORTS,
    Decision,
    Outcome,
    Registration,
    RegistrationRepository,
    Status,
)

__all__ = ["routes"]

K = "web_registrations."
BASE = "/can-bo/dang-ky"
PER_PAGE = 20
MAX_PAGE = 100_000
MAX_ID = 10**12
MAX_QUERY_CHARS = 30
NOTICES = {
    "trang-thai": f"{K}done.status",
    "quyet-dinh": f"{K}done.decision",
    "dieu-chinh": f"{K}done.correction",
    "da-ghi": f"{K}done.repeated",
    "huy": f"{K}done.cancelled",
}


def _page_number(text: str) -> int:
    """`trang`: ASCII digits from 1 to `MAX_PAGE`, else 1."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def _record_id(text: str) -> int:
    """A registration number from the address; anything else is a 404."""
    if not (text.isascii() and text.isdigit()) or len(text) > 13 or not 1 <= int(text) <= MAX_ID:
        raise web.HTTPNotFound
    return int(text)


def _status(text: str) -> Status | None:
    return next((status for status in Status if status.value == text), None)


def _iso(text: str) -> date | None:
    """A stored ISO date, or None when there is none."""
    return date.fromisoformat(text) if text else None


def _key() -> str:
    """An idempotency key for one form as shown."""
    return "web-" + secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class ListFilters:
    """The list's filters as read from the address (invalid values dropped, and said so)."""

    status: Status | None
    cause: str | None
    support: str | None
    query: str
    page: int
    ward_id: str
    dropped: bool

    def link(self, **changes: Any) -> str:
        """The list's address with these filters (and `changes`), for the pager."""
        values = {
            "xa": self.ward_id,
            "trang-thai": self.status.value if self.status else "",
            "nguyen-nhan": self.cause or "",
            "ho-tro": self.support or "",
            "ma": self.query,
            "trang": str(self.page),
        }
        values.update({key.replace("_", "-"): str(value) for key, value in changes.items()})
        query = "&".join(f"{key}={quote(value, safe='')}" for key, value in values.items() if value)
        return f"{BASE}?{query}" if query else BASE


@dataclass(frozen=True, slots=True)
class DecisionForm:
    """What a decision or correction form holds (as typed, to show again)."""

    target: str
    number: str = ""
    day: str = ""
    reason: str = ""
    expected: str = ""


@dataclass(frozen=True, slots=True)
class _Sent:
    """A decision or correction form as posted, with who sent it and for which registration."""

    officer: User
    registration: Registration
    correcting: bool
    form: MultiDictProxy[Any]
    typed: DecisionForm


class _Pages:
    """The registrations pages of one site."""

    def __init__(self, site: WebSite) -> None:
        self.site = site
        self.desk = Desk(RegistrationRepository(site.db), site.services.users)

    # --- helpers ----------------------------------------------------------------------------

    def _wake(self, result: Result) -> None:
        """Wake the outbox worker when a resident was told (it also polls)."""
        wake = self.site.app.dispatcher.on_push
        if result.notified and wake is not None:
            wake()

    async def _load(self, officer: User, request: web.Request) -> Registration:
        try:
            return await self.desk.load(officer, _record_id(request.match_info["number"]))
        except NotFound:
            raise web.HTTPNotFound from None

    async def _form(self, request: web.Request) -> MultiDictProxy[str | bytes | Any]:
        return await request.post()

    @staticmethod
    def _text(form: MultiDictProxy[Any], name: str, limit: int = MAX_NOTE_CHARS * 2) -> str:
        value = form.get(name, "")
        return value[:limit] if isinstance(value, str) else ""

    async def _ward_for(self, officer: User, request: web.Request) -> str:
        """The ward listed: the officer's own; an admin's choice (`xa`), else the first."""
        if officer.role is not Role.ADMIN:
            if officer.ward_id is None:
                raise web.HTTPNotFound
            return officer.ward_id
        chosen = request.query.get("xa", "")[:40]
        wards = await self.site.services.users.wards()
        if chosen and any(ward.id == chosen for ward in wards):
            return chosen
        return officer.ward_id or (wards[0].id if wards else "")

    # --- the list ---------------------------------------------------------------------------

    async def _filters(self, officer: User, request: web.Request) -> ListFilters:
        query = request.query
        status_text = query.get("trang-thai", "")
        cause = query.get("nguyen-nhan", "")
        support = query.get("ho-tro", "")
        status = _status(status_text)
        dropped = bool(status_text and status is None)
        dropped |= bool(cause and cause not in CAUSES) or bool(support and support not in SUPPORTS)
        return ListFilters(
            status=status,
            cause=cause if cause in CAUSES else None,
            support=support if support in SUPPORTS else None,
            query=" ".join(query.get("ma", "").split())[:MAX_QUERY_CHARS],
            page=_page_number(query.get("trang", "1")),
            ward_id=await self._ward_for(officer, request),
            dropped=dropped,
        )

    async def listing(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        filters = await self._filters(officer, request)
        try:
            page = await self.desk.page(
                officer,
                filters.ward_id,
                status=filters.status,
                cause=filters.cause,
                support=filters.support,
                query=filters.query,
                page=filters.page,
                per_page=PER_PAGE,
            )
        except NotFound:
            raise web.HTTPNotFound from None
        ward = await self.site.services.users.ward(filters.ward_id)
        wards = await self.site.services.users.wards() if officer.role is Role.ADMIN else []
        return self.site.render(
            request,
            "registrations/list.html",
            page=page,
            filters=filters,
            ward=ward,
            wards=wards,
            statuses=list(Status),
            causes=CAUSES,
            supports=SUPPORTS,
            max_query=MAX_QUERY_CHARS,
        )

    # --- the detail -------------------------------------------------------------------------

    async def _detail_page(
        self,
        request: web.Request,
        officer: User,
        registration: Registration,
        *,
        status: int = 200,
        error: str = "",
        note: str = "",
        chosen: str = "",
    ) -> web.Response:
        detail = await self.desk.detail(officer, registration.id)
        notice = NOTICES.get(request.query.get("xong", ""), "")
        return self.site.render(
            request,
            "registrations/detail.html",
            status=status,
            detail=detail,
            r=detail.registration,
            plain=[target for target in detail.targets if not is_final(target)],
            finals=[target for target in detail.targets if is_final(target)],
            notice=notice,
            error=error,
            note=note,
            chosen=chosen,
            key=_key(),
            max_note=MAX_NOTE_CHARS,
            birth=_iso(detail.registration.birth_date),
            decision_day=_iso(detail.registration.decision_date),
        )

    async def detail(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        registration = await self._load(officer, request)
        return await self._detail_page(request, officer, registration)

    def _back(self, registration: Registration, done: str) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(f"{BASE}/{registration.id}?xong={done}")

    async def change_status(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        registration = await self._load(officer, request)
        form = await self._form(request)
        note = self._text(form, "ghi-chu")
        target = _status(self._text(form, "den", 40))
        expected = _status(self._text(form, "truoc", 40))
        try:
            if target is None or expected is None:
                raise InvalidInput(f"{K}error.pick_status")
            result = await self.desk.change_status(
                officer,
                registration.id,
                expected=expected,
                target=target,
                note=note,
                now=self.site.clock(),
                request_key=self._text(form, "khoa", 64) or None,
            )
        except InvalidInput as refused:
            return await self._detail_page(
                request,
                officer,
                registration,
                status=400,
                error=self.site.translator(request)(refused.key, **refused.params),
                note=note,
                chosen=target.value if target is not None and expected is not None else "",
            )
        return await self._answer(request, officer, registration, result, "trang-thai", note)

    async def _answer(
        self,
        request: web.Request,
        officer: User,
        registration: Registration,
        result: Result,
        done: str,
        note: str = "",
    ) -> web.StreamResponse:
        """Back to the detail: done, done before (a double submit), or refused with why."""
        if result.outcome is Outcome.DONE:
            self._wake(result)
            raise self._back(registration, done)
        if result.outcome is Outcome.REPEATED:
            raise self._back(registration, "da-ghi")
        fresh = result.registration or registration
        error = self.site.translator(request)(f"{K}error.moved")
        return await self._detail_page(request, officer, fresh, status=409, error=error, note=note)

    # --- final decisions --------------------------------------------------------------------

    def _decision_form(
        self,
        request: web.Request,
        registration: Registration,
        form: DecisionForm,
        *,
        correcting: bool,
        status: int = 200,
        error: str = "",
    ) -> web.Response:
        return self.site.render(
            request,
            "registrations/decision.html",
            status=status,
            r=registration,
            form=form,
            correcting=correcting,
            targets=correction_targets(registration) if correcting else [],
            error=error,
            max_number=MAX_NUMBER_CHARS,
            max_note=MAX_NOTE_CHARS,
            registered=to_local(registration.created_at).date(),
            today=to_local(self.site.clock()).date(),
        )

    async def decision_page(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        registration = await self._load(officer, request)
        target = _status(request.query.get("ket-qua", ""))
        if target is None or not is_final(target):
            raise web.HTTPNotFound
        if target not in self.desk.targets(officer, registration):
            raise self._back(registration, "")
        form = DecisionForm(target.value, expected=registration.status.value)
        return self._decision_form(request, registration, form, correcting=False)

    async def correction_page(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        self.site.require_admin(officer)
        registration = await self._load(officer, request)
        if not self.desk.can_correct(officer, registration):
            raise web.HTTPNotFound
        form = DecisionForm(registration.status.value, expected=registration.status.value)
        return self._decision_form(request, registration, form, correcting=True)

    def _typed(self, form: MultiDictProxy[Any]) -> DecisionForm:
        return DecisionForm(
            target=self._text(form, "ket-qua", 40),
            number=self._text(form, "so", MAX_NUMBER_CHARS * 2),
            day=self._text(form, "ngay", 20),
            reason=self._text(form, "ly-do"),
            expected=self._text(form, "truoc", 40),
        )

    def _checked(
        self, registration: Registration, typed: DecisionForm, *, correcting: bool
    ) -> tuple[Status, Status, Decision | None, str]:
        """The typed decision, checked: (expected, target, decision, reason); else InvalidInput."""
        target, expected = _status(typed.target), _status(typed.expected)
        if target is None or expected is None:
            raise InvalidInput(f"{K}error.pick_status")
        if correcting and target not in correction_targets(registration):
            raise InvalidInput(f"{K}error.pick_status")
        if not correcting and not is_final(target):
            raise InvalidInput(f"{K}error.pick_status")
        today = to_local(self.site.clock()).date()
        decision = None
        if is_final(target):
            decision = check_decision(
                typed.number, typed.day, registration=registration, today=today
            )
        reason = check_note(typed.reason)
        if correcting and not reason:
            raise InvalidInput("exit_registration.decision.reason_required")
        return expected, target, decision, reason

    async def _sent(self, request: web.Request, suffix: str) -> _Sent:
        """A decision or correction form as sent (a correction only by an admin)."""
        officer = await self.site.officer(request)
        correcting = request.path.endswith(suffix)
        if correcting:
            self.site.require_admin(officer)
        registration = await self._load(officer, request)
        form = await self._form(request)
        return _Sent(officer, registration, correcting, form, self._typed(form))

    def _checked_or_form(
        self, request: web.Request, sent: _Sent
    ) -> tuple[Status, Status, Decision | None, str] | web.Response:
        """`_checked` on what was sent, or the form again (400) saying what is wrong."""
        try:
            return self._checked(sent.registration, sent.typed, correcting=sent.correcting)
        except InvalidInput as refused:
            error = self.site.translator(request)(refused.key, **refused.params)
            return self._decision_form(
                request,
                sent.registration,
                sent.typed,
                correcting=sent.correcting,
                status=400,
                error=error,
            )

    async def check(self, request: web.Request) -> web.StreamResponse:
        """The decision (or correction) form sent: its confirmation page, or the form again."""
        sent = await self._sent(request, "/dieu-chinh")
        checked = self._checked_or_form(request, sent)
        if isinstance(checked, web.Response):
            return checked
        expected, target, decision, reason = checked
        return self.site.render(
            request,
            "registrations/confirm.html",
            r=sent.registration,
            form=sent.typed,
            target=target,
            expected=expected,
            decision=decision,
            decision_day=date.fromisoformat(decision.day) if decision else None,
            reason=reason,
            correcting=sent.correcting,
            action=request.path,
            key=_key(),
        )

    async def confirm(self, request: web.Request) -> web.StreamResponse:
        """Xác nhận: recorded once (its key), the resident told; Sửa: the form again."""
        sent = await self._sent(request, "/dieu-chinh/xac-nhan")
        officer, registration, correcting = sent.officer, sent.registration, sent.correcting
        if self._text(sent.form, "lam", 10) == "sua":
            return self._decision_form(request, registration, sent.typed, correcting=correcting)
        checked = self._checked_or_form(request, sent)
        if isinstance(checked, web.Response):
            return checked
        expected, target, decision, reason = checked
        result = await self.desk.settle(
            officer,
            registration.id,
            correcting=correcting,
            expected=expected,
            target=target,
            decision=decision,
            reason=reason,
            now=self.site.clock(),
            request_key=self._text(sent.form, "khoa", 64) or None,
        )
        if result is None:
            raise web.HTTPNotFound
        done = "dieu-chinh" if correcting else "quyet-dinh"
        return await self._answer(request, officer, registration, result, done)


def routes(site: WebSite) -> None:
    """Add the registrations list, detail, status change, decision and correction pages."""
    pages = _Pages(site)
    site.get(BASE, pages.listing)
    site.get(BASE + "/{number}", pages.detail)
    site.post(BASE + "/{number}/trang-thai", pages.change_status)
    site.get(BASE + "/{number}/quyet-dinh", pages.decision_page)
    site.post(BASE + "/{number}/quyet-dinh", pages.check)
    site.post(BASE + "/{number}/quyet-dinh/xac-nhan", pages.confirm)
    site.get(BASE + "/{number}/dieu-chinh", pages.correction_page)
    site.post(BASE + "/{number}/dieu-chinh", pages.check)
    site.post(BASE + "/{number}/dieu-chinh/xac-nhan", pages.confirm)
