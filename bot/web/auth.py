"""Signing officers in without passwords: a single-use link from the chat's `/web`.

`GET /dang-nhap/<token>` only shows a button; the link is used by that button's POST. Chat
apps fetch links to draw previews, and a GET that used the link would sign the preview robot
in and leave the officer with a dead link. Then the desk home (`/can-bo`) and sign-out.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from aiohttp import web

from bot.web.site import LANGUAGE_COOKIE, SESSION_COOKIE, WebSite
from storage import web_auth
from storage.audit import record_in
from storage.db import Connection

__all__ = ["routes"]


def _sign_in_in(conn: Connection, token: str, now: datetime) -> str | None:
    """Use the link and audit the sign-in, in one transaction; the new session id or None."""
    started = web_auth.redeem_link_in(conn, token, now)
    if started is None:
        return None
    session_id, user_id = started
    record_in(conn, actor_user_id=user_id, action="web.sign_in", target="web", now=now)
    return session_id


class _Pages:
    """The sign-in pages of one self.site."""

    def __init__(self, site: WebSite) -> None:
        self.site = site

    async def home(self, request: web.Request) -> web.StreamResponse:
        from bot.web.pages import PUBLIC_AREAS

        return self.site.render(request, "home.html", areas=PUBLIC_AREAS)

    async def how_to(self, request: web.Request) -> web.StreamResponse:
        return self.site.render(request, "auth/how_to.html")

    async def show_link(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        user_id = await self.site.db.peek(
            partial(web_auth.link_user_in, token=token, now=self.site.clock())
        )
        if user_id is None:
            return self.site.render(request, "auth/link_dead.html", status=410)
        return self.site.render(request, "auth/confirm.html", token=token)

    async def use_link(self, request: web.Request) -> web.StreamResponse:
        now = self.site.clock()
        started = await self.site.db.write(
            partial(_sign_in_in, token=request.match_info["token"], now=now)
        )
        if started is None:
            return self.site.render(request, "auth/link_dead.html", status=410)
        response = web.HTTPSeeOther("/can-bo")
        self.site.start_session(response, started)
        raise response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        if session_id:
            await self.site.db.write(partial(web_auth.end_session_in, session_id=session_id))
        response = web.HTTPSeeOther("/")
        self.site.end_session(response)
        raise response

    async def desk(self, request: web.Request) -> web.StreamResponse:
        from bot.web.pages import DESK_AREAS

        officer = await self.site.officer(request)
        ward = await self.site.services.users.ward(officer.ward_id) if officer.ward_id else None
        areas = [
            area for area in DESK_AREAS if not area.admin_only or officer.role.value == "admin"
        ]
        return self.site.render(request, "auth/desk.html", ward=ward, areas=areas)

    async def language(self, request: web.Request) -> web.StreamResponse:
        chosen = request.query.get("lang", "vi")
        back = request.query.get("next", "/")
        if not back.startswith("/") or back.startswith("//"):
            back = "/"  # never an open redirect
        response = web.HTTPSeeOther(back)
        response.set_cookie(
            LANGUAGE_COOKIE,
            "en" if chosen == "en" else "vi",
            max_age=400 * 24 * 3600,
            path="/",
            samesite="Lax",
            httponly=True,
        )
        raise response


def routes(site: WebSite) -> None:
    """Add the sign-in, sign-out and desk home pages."""
    pages = _Pages(site)
    site.get("/", pages.home)
    site.get("/dang-nhap", pages.how_to)
    site.get("/dang-nhap/{token}", pages.show_link)
    site.post("/dang-nhap/{token}", pages.use_link)
    site.post("/dang-xuat", pages.sign_out)
    site.get("/can-bo", pages.desk)
    site.get("/ngon-ngu", pages.language)
