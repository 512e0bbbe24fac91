"""The desk's audit log (`/can-bo/nhat-ky`), for admins only: who did what, when.

Newest first, 50 a page, filtered by the start of the action's name (`faq.`, `registration.`,
`web.sign_in`). The log holds ids, never personal data (`storage.audit`): the page shows the
actor's internal number, the action, the target and the detail as they were recorded. An
officer who is not an admin gets a 404 (the address tells nothing).
"""

from __future__ import annotations

import json
import re
import sqlite3
from functools import partial

from aiohttp import web

from bot.web.site import WebSite
from storage.audit import AuditEntry
from storage.clock import from_db

__all__ = ["audit_page_in", "routes"]

PAGE_SIZE = 50
MAX_PAGE = 100_000
PREFIX = re.compile(r"[a-z0-9_.]{0,60}")


def audit_page_in(
    conn: sqlite3.Connection, prefix: str, page: int
) -> tuple[list[AuditEntry], bool]:
    """One page of the log, newest first, actions starting with `prefix`; more after it?"""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        "SELECT * FROM audit_log WHERE action LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ? OFFSET ?",
        (escaped + "%", PAGE_SIZE + 1, (page - 1) * PAGE_SIZE),
    ).fetchall()
    entries = [
        AuditEntry(
            id=int(row["id"]),
            at=from_db(row["at"]),
            actor_user_id=row["actor_user_id"],
            action=str(row["action"]),
            target=str(row["target"]),
            detail=json.loads(row["detail"] or "{}"),
        )
        for row in rows[:PAGE_SIZE]
    ]
    return entries, len(rows) > PAGE_SIZE


def actions_in(conn: sqlite3.Connection) -> list[str]:
    """The actions recorded so far, for the filter's suggestions."""
    return [str(row[0]) for row in conn.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1")]


def _page_number(request: web.Request) -> int:
    text = request.query.get("trang", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        return 1
    return int(text)


def detail_text(entry: AuditEntry) -> str:
    """The recorded detail, `key: value` pairs in recorded order."""
    return "; ".join(f"{key}: {value}" for key, value in entry.detail.items())


class _Pages:
    """The audit log page of one site."""

    def __init__(self, site: WebSite) -> None:
        self.site = site

    async def log(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        self.site.require_admin(officer)
        prefix = request.query.get("hanh-dong", "").strip().lower()
        page = _page_number(request)
        status, error = 200, ""
        if not PREFIX.fullmatch(prefix):
            status = 400
            error = self.site.translator(request)("web_desk.audit.bad_prefix")
            prefix = ""
        entries, more = await self.site.db.run(partial(audit_page_in, prefix=prefix, page=page))
        actions = await self.site.db.run(actions_in)
        return self.site.render(
            request,
            "audit/log.html",
            status=status,
            error=error,
            entries=entries,
            more=more,
            page=page,
            prefix=prefix,
            actions=actions,
            detail_text=detail_text,
        )


def routes(site: WebSite) -> None:
    """Add the audit log page."""
    site.get("/can-bo/nhat-ky", _Pages(site).log)
