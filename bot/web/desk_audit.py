"""The desk's audit log (`/can-bo/nhat-ky`), for admins only: who did what, when.

Newest first, 50 a page (paged by id, so a deep page is as quick as the first), filtered by
the start of the action's name (`faq.`, `registration.`, `web.sign_in`). The log holds ids,
never personal data (`storage.audit`): the page shows the actor's internal number, the
action, the target and the detail as they were recorded. An officer who is not an admin gets
a 404 (the address tells nothing).
"""

from __future__ import annotations

import json
import re
from functools import partial

from aiohttp import web

from bot.web.site import WebSite
from storage.audit import AuditEntry
from storage.clock import from_db
from storage.db import Connection

__all__ = ["audit_page_in", "routes"]

PAGE_SIZE = 50
MAX_ID = 2**63 - 1
SUGGESTED_FROM = 2000
PREFIX = re.compile(r"[a-z0-9_.]{0,60}")


def audit_page_in(
    conn: Connection, prefix: str, before: int | None
) -> tuple[list[AuditEntry], int | None]:
    """A page of the log, newest first, actions starting with `prefix`, ids below `before`.

    Paged by id (keyset), so a deep page costs what the first one does. Returns the entries
    and the `before` of the next (older) page, None when there is none.
    """
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        "SELECT * FROM audit_log WHERE action LIKE ? ESCAPE '\\' AND id < ?"
        " ORDER BY id DESC LIMIT ?",
        (escaped + "%", before if before is not None else MAX_ID, PAGE_SIZE + 1),
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
    older = entries[-1].id if len(rows) > PAGE_SIZE else None
    return entries, older


def actions_in(conn: Connection) -> list[str]:
    """The actions of the latest entries, for the filter's suggestions (a bounded read)."""
    rows = conn.execute(
        "SELECT DISTINCT action FROM (SELECT action FROM audit_log ORDER BY id DESC LIMIT ?)"
        " ORDER BY 1",
        (SUGGESTED_FROM,),
    )
    return [str(row[0]) for row in rows]


def _before(request: web.Request) -> int | None:
    """The `truoc` query parameter: an entry id (ASCII digits), else None (the newest)."""
    text = request.query.get("truoc", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or not 0 < int(text) < MAX_ID:
        return None
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
        before = _before(request)
        status, error = 200, ""
        if not PREFIX.fullmatch(prefix):
            status = 400
            error = self.site.translator(request)("web_desk.audit.bad_prefix")
            prefix = ""
        entries, older = await self.site.db.run(
            partial(audit_page_in, prefix=prefix, before=before)
        )
        actions = await self.site.db.run(actions_in)
        return self.site.render(
            request,
            "audit/log.html",
            status=status,
            error=error,
            entries=entries,
            older=older,
            first=before is None,
            prefix=prefix,
            actions=actions,
            detail_text=detail_text,
        )


def routes(site: WebSite) -> None:
    """Add the audit log page."""
    site.get("/can-bo/nhat-ky", _Pages(site).log)
