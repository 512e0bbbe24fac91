"""Every page module of the site, and the links the home pages show.

Each module adds its routes with `routes(site)`; `WebSite.mount` calls them in this order.
`PUBLIC_AREAS` are linked from the public home page, `DESK_AREAS` from the desk home
(`admin_only` ones only for admins). Add an area with one line in each list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.web import auth, desk_audit, desk_fund, desk_prescreen, desk_questions, desk_registrations
from bot.web import chat as web_chat
from bot.web import public as public_pages
from bot.web.site import WebSite

__all__ = ["DESK_AREAS", "PAGES", "PUBLIC_AREAS", "Area"]


@dataclass(frozen=True, slots=True)
class Area:
    """A link on a home page: where it goes, its label's and description's message ids."""

    path: str
    label: str
    about: str
    admin_only: bool = False


PAGES: list[Callable[[WebSite], None]] = [
    auth.routes,
    desk_fund.routes,
    desk_registrations.routes,
    public_pages.routes,
    web_chat.routes,
    desk_questions.routes,
    desk_prescreen.routes,
    desk_audit.routes,
]

PUBLIC_AREAS: list[Area] = [
    Area("/chien-dich", "web.public.area_campaigns", "web.public.area_campaigns_about"),
    Area("/tra-cuu", "web.public.area_lookup", "web.public.area_lookup_about"),
    Area("/tro-chuyen", "web_chat.area_label", "web_chat.area_about"),
]

DESK_AREAS: list[Area] = [
    Area("/can-bo/quy", "web.fund.area", "web.fund.area_about"),
    Area("/can-bo/dang-ky", "web_registrations.area_label", "web_registrations.area_about"),
    Area("/can-bo/cau-hoi", "web_desk.area.questions", "web_desk.area.questions_about"),
    Area("/can-bo/sang-loc", "web_desk.area.prescreen", "web_desk.area.prescreen_about"),
    Area("/can-bo/nhat-ky", "web_desk.area.audit", "web_desk.area.audit_about", admin_only=True),
]
