"""The web site: public pages, the web chat and the officers' desk, on the one HTTP server.

Server-rendered pages (Jinja2, autoescaped) with htmx 2 vendored under `static/vendor/` (no
CDN: ward offices may be offline-restricted; no JavaScript build step). Every page works
without JavaScript; htmx only saves reloads.

What every request goes through (`_middleware`), before any page's handler:

- **A browser cookie** (`gn_b`, random, HttpOnly, SameSite=Lax): names the browser for its web
  chat history and its CSRF token when no one is signed in.
- **The officer's session** (`gn_s`), when present: looked up by the hash of its id
  (`storage.web_auth`); its idle deadline moves on with each request.
- **CSRF**: every POST must carry the page's token (form field `csrf`, or the `X-CSRF-Token`
  header htmx sends from `base.html`), compared in constant time: the session's own token when
  signed in, else an HMAC of the browser cookie under the site's secret (kept in the `settings`
  table, so it is the same for every process on one database). SameSite cookies are a second
  line, not the only one.
- **Headers**: a strict Content-Security-Policy (scripts and styles from this site only),
  `nosniff`, no referrer (a sign-in link must not leak through one), no framing.
- **Errors**: a 403, 404 or 400 raised anywhere is a Vietnamese page with the same status.

Pages re-check who may see what on every request: `officer()` reads the user's role from the
database each time, and `require_ward()` answers another ward's record with a 404, so a guessed
address tells nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app import App
from bot.channels.base import Channel
from bot.core.i18n import Translator, format_day, format_moment, format_vnd
from bot.core.types import Role, User
from bot.http_server import HttpServer
from storage import settings, web_auth
from storage.clock import to_db

__all__ = ["BROWSER_COOKIE", "SESSION_COOKIE", "Handler", "WebSite"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

BROWSER_COOKIE = "gn_b"
SESSION_COOKIE = "gn_s"
LANGUAGE_COOKIE = "gn_lang"
KEY_SETTING = "web.secret"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)

SITE_KEY: web.AppKey[WebSite] = web.AppKey("site")
BROWSER: web.RequestKey[str] = web.RequestKey("browser", str)
SESSION: web.RequestKey[web_auth.WebSession | None] = web.RequestKey("web_session")
OFFICER: web.RequestKey[User | None] = web.RequestKey("officer")


def _ensure_secret_in(conn: Any, now: datetime) -> str:
    """The site's secret, drawn and stored on first use."""
    found = settings.get_in(conn, [KEY_SETTING])
    if KEY_SETTING in found:
        return found[KEY_SETTING]
    value = secrets.token_hex(32)
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (KEY_SETTING, value, to_db(now)),
    )
    return settings.get_in(conn, [KEY_SETTING])[KEY_SETTING]


class WebSite:
    """The pages of one process, registered on its `HttpServer` by `mount`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.services = app.services
        self.db = app.db
        self.base_url = app.config.web_url
        self.secure_cookies = self.base_url.startswith("https://")
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(("html",)),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._secret = b""
        self._server: HttpServer | None = None
        self.senders: dict[str, Channel] = {}
        """Channels the site serves (the web chat), for the outbox worker; set by their pages."""
        self.cleanups: list[Callable[[], Awaitable[None]]] = []
        """Called by `close` in reverse order (a page's background work)."""

    def clock(self) -> datetime:
        """The app's clock (tests inject a fake one)."""
        return self.services.clock()

    async def mount(self, server: HttpServer) -> None:
        """Load the site's secret and add every page's routes to `server` (before it starts)."""
        from bot.web.pages import PAGES

        secret = await self.db.write(partial(_ensure_secret_in, now=self.clock()))
        self._secret = secret.encode("ascii")
        self._server = server
        server.app[SITE_KEY] = self
        server.app.middlewares.append(self._middleware)
        server.app.router.add_static("/static/", STATIC, append_version=False)
        for routes in PAGES:
            routes(self)

    async def close(self) -> None:
        """Stop what the pages started."""
        for cleanup in reversed(self.cleanups):
            await cleanup()
        self.cleanups.clear()

    # --- routes -----------------------------------------------------------------------------

    def get(self, path: str, handler: Handler) -> None:
        """Serve GET (and HEAD) requests on `path`."""
        assert self._server is not None, "mount() first"
        self._server.app.router.add_get(path, handler)

    def post(self, path: str, handler: Handler) -> None:
        """Serve POST requests on `path` (the middleware has checked the CSRF token)."""
        assert self._server is not None, "mount() first"
        self._server.app.router.add_post(path, handler)

    # --- who is asking ----------------------------------------------------------------------

    @staticmethod
    def browser_id(request: web.Request) -> str:
        """This browser's id (from its cookie, or the one drawn for this response)."""
        return str(request[BROWSER])

    def language(self, request: web.Request) -> str:
        """The page language: the officer's, else the browser's choice, else Vietnamese."""
        chosen = request.cookies.get(LANGUAGE_COOKIE, "")
        return chosen if chosen in {"vi", "en"} else "vi"

    def csrf(self, request: web.Request) -> str:
        """The token this request's forms must send back."""
        session: web_auth.WebSession | None = request.get(SESSION)
        if session is not None:
            return session.csrf
        mac = hmac.new(self._secret, b"csrf:" + self.browser_id(request).encode(), hashlib.sha256)
        return mac.hexdigest()

    async def signed_in(self, request: web.Request) -> User | None:
        """The signed-in staff user, role and ward read afresh; None when no one is."""
        session: web_auth.WebSession | None = request.get(SESSION)
        if session is None:
            return None
        row = await self.services.users.get(session.user_id)
        if row is None or not Role(row.role).is_staff:
            return None
        return User.from_row(row)

    async def officer(self, request: web.Request) -> User:
        """The signed-in officer or admin; otherwise a redirect to the sign-in help page.

        Raises:
            web.HTTPSeeOther: No one (or no longer a staff member) is signed in.
        """
        # The middleware read the user once for this request; read again only without it.
        user = request[OFFICER] if OFFICER in request else await self.signed_in(request)
        if user is None:
            raise web.HTTPSeeOther("/dang-nhap")
        return user

    @staticmethod
    def require_ward(officer: User, ward_id: str | None) -> None:
        """404 unless `officer` is of `ward_id` or an admin (a guessed address tells nothing).

        Raises:
            web.HTTPNotFound: Another ward's record.
        """
        if officer.role is Role.ADMIN:
            return
        if officer.ward_id is None or ward_id != officer.ward_id:
            raise web.HTTPNotFound

    @staticmethod
    def require_admin(officer: User) -> None:
        """404 unless `officer` is an admin.

        Raises:
            web.HTTPNotFound: Not an admin.
        """
        if officer.role is not Role.ADMIN:
            raise web.HTTPNotFound

    # --- responses --------------------------------------------------------------------------

    def translator(self, request: web.Request) -> Translator:
        """The translator for this request's page language."""
        return Translator(self.language(request))

    def render(
        self, request: web.Request, template: str, *, status: int = 200, **context: Any
    ) -> web.Response:
        """A page from `template`, with `t`, `money`, `day`, `moment`, `csrf`, `officer`."""
        language = self.language(request)
        page = self.env.get_template(template).render(
            t=Translator(language),
            money=partial(format_vnd, language=language),
            day=lambda value: format_day(value, language) if isinstance(value, date) else "",
            moment=lambda value: (
                format_moment(value, language) if isinstance(value, datetime) else ""
            ),
            csrf=self.csrf(request),
            officer=request.get(OFFICER),
            language=language,
            request=request,
            **context,
        )
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")

    def error_page(self, request: web.Request, status: int, message_key: str) -> web.Response:
        """A page saying what went wrong, in the page language."""
        return self.render(request, "error.html", status=status, message_key=message_key)

    def bad_request(self, request: web.Request, message: str) -> web.Response:
        """A 400 page with `message` (already translated)."""
        return self.render(request, "error.html", status=400, message=message)

    # --- the middleware ---------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(("/webhook", "/zalo", "/healthz", "/telegram")):
            return await handler(request)  # the channels' routes keep their own rules
        fresh = request.cookies.get(BROWSER_COOKIE, "")
        new_browser = not (
            16 <= len(fresh) <= 64 and fresh.replace("-", "").replace("_", "").isalnum()
        )
        request[BROWSER] = secrets.token_urlsafe(24) if new_browser else fresh
        session_id = request.cookies.get(SESSION_COOKIE, "")
        if session_id:
            now = self.clock()
            request[SESSION] = await self.db.write(
                partial(web_auth.session_in, session_id=session_id, now=now), durable=False
            )
        try:
            if request.method == "POST" and not await self._csrf_ok(request):
                response: web.StreamResponse = self.error_page(request, 403, "web.error.csrf")
            else:
                request[OFFICER] = await self.signed_in(request)
                response = await handler(request)
        except web.HTTPNotFound:
            response = self.error_page(request, 404, "web.error.not_found")
        except web.HTTPForbidden:
            response = self.error_page(request, 403, "web.error.forbidden")
        except web.HTTPMethodNotAllowed:
            response = self.error_page(request, 405, "web.error.not_found")
        except web.HTTPRequestEntityTooLarge:
            response = self.error_page(request, 413, "web.error.too_large")
        self._headers(response, request, new_browser=new_browser)
        return response

    async def _csrf_ok(self, request: web.Request) -> bool:
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sent = str((await request.post()).get("csrf", ""))  # cached for the handler
        return bool(sent) and hmac.compare_digest(sent, self.csrf(request))

    def _headers(
        self, response: web.StreamResponse, request: web.Request, *, new_browser: bool
    ) -> None:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.get(OFFICER) is not None or request.path.startswith(("/can-bo", "/dang-nhap")):
            response.headers["Cache-Control"] = "no-store"
        if new_browser and not response.prepared:
            response.set_cookie(
                BROWSER_COOKIE,
                self.browser_id(request),
                max_age=400 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=self.secure_cookies,
                path="/",
            )

    def start_session(self, response: web.StreamResponse, session_id: str) -> None:
        """Set the session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS)."""
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(web_auth.SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookies,
            path="/",
        )

    def end_session(self, response: web.StreamResponse) -> None:
        """Clear the session cookie."""
        response.del_cookie(SESSION_COOKIE, path="/")
