"""Fake Zalo servers on 127.0.0.1: the OA Open API (with OAuth) and the Bot Platform API.

One aiohttp application serves both, so a test points `ZALO_OA_API_BASE`, `ZALO_OAUTH_BASE`
and `ZALO_BOT_API_BASE` (`f"{fake.url}/bot"`) at it. Tests control it:

- OA: `/v3.0/oa/message/cs` records `OAMessage`s (text and `oa.query.hide` buttons) when the
  `access_token` header is the current token; `expire_token()` makes the next send answer
  -216 once; `/v4/oa/access_token` swaps the current refresh token for a new pair (and records
  the refresh token it got); `/v2.0/oa/upload/{image,file}` store the uploaded bytes;
  `fail_next(n)` answers HTTP 500 n times.
- Bot: `/bot{token}/getUpdates` long-polls updates queued by `push_bot_text`;
  `/bot{token}/sendMessage` records `BotMessage`s; `fail_next_bot(n)` answers HTTP 500 n times.
- `blocked` holds user ids that blocked the bot: OA sends to them answer -213, Bot sends 403.
- `rate_limit_next(n)`: the next n sends answer "too many requests" (OA error -32, Bot 429).
- `sign_event` / `oa_text_event` build webhook requests the way Zalo signs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from bot.app import App
from bot.channels.base import ClientSettings
from bot.serve import Running, serve

__all__ = [
    "FAST_CLIENT",
    "BotMessage",
    "FakeZalo",
    "OAMessage",
    "oa_text_event",
    "serving",
    "sign_event",
    "zalo_settings",
]


FAST_CLIENT = ClientSettings(timeout=5.0, backoff=0.01, poll_backoff=0.01, poll_backoff_max=0.1)
"""Client settings for tests: the production retries, without the production back-off."""


def sign_event(app_id: str, secret_key: str, body: bytes, timestamp: str) -> str:
    """The `X-ZEvent-Signature` Zalo would send: `mac=` + SHA-256(app id+body+timestamp+key)."""
    raw = app_id.encode() + body + timestamp.encode() + secret_key.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


def oa_text_event(
    app_id: str, user_id: str, text: str, msg_id: str, *, oa_id: str = "oa-1"
) -> dict[str, Any]:
    """A `user_send_text` event in the OA webhook's shape."""
    return {
        "app_id": app_id,
        "user_id_by_app": f"app-{user_id}",
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": oa_id},
        "message": {"text": text, "msg_id": msg_id},
    }


@dataclass
class OAMessage:
    """One message the bot sent through `/v3.0/oa/message/cs`."""

    user_id: str
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    attachment_kind: str | None = None
    attachment_id: str | None = None


@dataclass
class BotMessage:
    """One message the bot sent through the Bot API's `sendMessage`."""

    chat_id: str
    text: str


class FakeZalo:
    """The fake servers; use as `async with FakeZalo() as fake`."""

    def __init__(
        self,
        *,
        app_id: str = "app-123",
        secret_key: str = "oa-secret",  # noqa: S107 (test value)
        access_token: str = "AT1",  # noqa: S107 (test value)
        refresh_token: str = "RT1",  # noqa: S107 (test value)
        bot_token: str = "777:ZB",  # noqa: S107 (test value)
    ) -> None:
        self.app_id = app_id
        self.secret_key = secret_key
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.bot_token = bot_token
        self.oa_sent: list[OAMessage] = []
        self.bot_sent: list[BotMessage] = []
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.refresh_calls: list[str] = []
        self.cs_calls = 0
        self._expire_next = False
        self._fail_next = 0
        self._fail_next_bot = 0
        self._rate_limit_next = 0
        self._error_next: list[int] = []
        self.errors_answered = 0  # sends answered with an `error_next` code
        self.blocked: set[str] = set()
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v2.0/oa/upload/{kind}", self._upload)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        app.router.add_post("/bot{token}/{method}", self._bot)
        self.app = app

    @property
    def url(self) -> str:
        """Base URL of the fake."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZalo:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()  # ends pending long polls at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- control -------------------------------------------------------------------------

    def expire_token(self) -> None:
        """The next send answers -216 and the current access token stops working."""
        self._expire_next = True

    def fail_next(self, count: int) -> None:
        """The next `count` sends answer HTTP 500."""
        self._fail_next = count

    def rate_limit_next(self, count: int) -> None:
        """The next `count` sends (OA or Bot) answer "too many requests"."""
        self._rate_limit_next = count

    def _rate_limited(self) -> bool:
        if self._rate_limit_next > 0:
            self._rate_limit_next -= 1
            return True
        return False

    def error_next(self, code: int) -> None:
        """The next OA send answers the Open API error `code` (e.g. -230: no interaction)."""
        self._error_next.append(code)

    def fail_next_bot(self, count: int) -> None:
        """The next `count` Bot API `sendMessage` calls answer HTTP 500."""
        self._fail_next_bot = count

    def push_bot_text(
        self, user_id: str, text: str, *, message_id: str | None = None, chat_type: str = "PRIVATE"
    ) -> str:
        """Queue a text message for `getUpdates`; returns its message id."""
        mid = message_id or f"zb{next(self._ids)}"
        self._updates.put_nowait(
            {
                "event_name": "message.text.received",
                "message": {
                    "message_id": mid,
                    "from": {"id": user_id, "display_name": "Bà Lan"},
                    "chat": {"id": user_id, "chat_type": chat_type},
                    "date": int(time.time() * 1000),
                    "text": text,
                },
            }
        )
        return mid

    async def wait_oa(self, count: int, timeout: float = 5.0) -> list[OAMessage]:
        """Wait until at least `count` OA messages were sent; returns them all."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.oa_sent) >= count)
        return list(self.oa_sent)

    async def wait_bot(self, count: int, timeout: float = 5.0) -> list[BotMessage]:
        """Wait until at least `count` Bot messages were sent; returns them all."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.bot_sent) >= count)
        return list(self.bot_sent)

    # --- handlers ------------------------------------------------------------------------

    async def _record(self, item: OAMessage | BotMessage) -> None:
        async with self._changed:
            if isinstance(item, OAMessage):
                self.oa_sent.append(item)
            else:
                self.bot_sent.append(item)
            self._changed.notify_all()

    async def _cs(self, request: web.Request) -> web.Response:
        self.cs_calls += 1
        if self._fail_next > 0:
            self._fail_next -= 1
            return web.Response(status=500, text="boom")
        token = request.headers.get("access_token", "")
        if self._expire_next:
            self._expire_next = False
            self.access_token = f"expired-{self.access_token}"
        if token != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        if self._rate_limited():
            return web.json_response({"error": -32, "message": "Exceeded the rate limit"})
        if self._error_next:
            self.errors_answered += 1
            return web.json_response({"error": self._error_next.pop(0), "message": "refused"})
        if str(body["recipient"]["user_id"]) in self.blocked:
            return web.json_response({"error": -213, "message": "User has not followed the OA"})
        message = body["message"]
        attachment = message.get("attachment") or {}
        payload = attachment.get("payload") or {}
        buttons = [(b["title"], b["payload"]) for b in payload.get("buttons", [])]
        kind: str | None = None
        ref: str | None = None
        if attachment.get("type") == "file":
            kind, ref = "file", payload.get("token")
        elif payload.get("template_type") == "media":
            kind, ref = "image", payload["elements"][0]["attachment_id"]
        await self._record(
            OAMessage(
                user_id=str(body["recipient"]["user_id"]),
                text=str(message.get("text", "")),
                buttons=buttons,
                attachment_kind=kind,
                attachment_id=ref,
            )
        )
        mid = f"oam{next(self._ids)}"
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": mid}})

    async def _upload(self, request: web.Request) -> web.Response:
        if request.headers.get("access_token", "") != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        reader = await request.multipart()
        part = await reader.next()
        if not isinstance(part, BodyPartReader):
            return web.json_response({"error": -201, "message": "no file"})
        data = await part.read()
        ident = f"up{next(self._ids)}"
        self.uploads[ident] = (part.filename or "", bytes(data))
        key = "attachment_id" if request.match_info["kind"] == "image" else "token"
        return web.json_response({"error": 0, "message": "Success", "data": {key: ident}})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        given = str(form.get("refresh_token", ""))
        self.refresh_calls.append(given)
        ok = (
            request.headers.get("secret_key") == self.secret_key
            and form.get("app_id") == self.app_id
            and form.get("grant_type") == "refresh_token"
            and given == self.refresh_token
        )
        if not ok:
            return web.json_response({"error": 14014, "error_name": "Invalid refresh token"})
        number = len(self.refresh_calls) + 1
        self.access_token = f"AT{number}"
        self.refresh_token = f"RT{number}"
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": "90000",
            }
        )

    async def _bot(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.bot_token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        method = request.match_info["method"]
        params = json.loads(await request.read() or b"{}")
        if method == "getUpdates":
            timeout = float(params.get("timeout", 0))
            getter = asyncio.ensure_future(self._updates.get())
            closing = asyncio.ensure_future(self._closing.wait())
            await asyncio.wait(
                {getter, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            closing.cancel()
            if not getter.done():
                getter.cancel()
                return web.json_response(
                    {"ok": False, "error_code": 408, "description": "Request timeout"}
                )
            update = getter.result()
            return web.json_response({"ok": True, "result": update})
        if method == "sendMessage":
            if self._fail_next_bot > 0:
                self._fail_next_bot -= 1
                return web.Response(status=500, text="boom")
            if self._rate_limited():
                return web.json_response(
                    {"ok": False, "error_code": 429, "description": "Too many requests"}, status=429
                )
            if str(params["chat_id"]) in self.blocked:
                return web.json_response(
                    {"ok": False, "error_code": 403, "description": "Blocked by the user"}
                )
            await self._record(BotMessage(str(params["chat_id"]), str(params["text"])))
            mid = f"zbm{next(self._ids)}"
            return web.json_response({"ok": True, "result": {"message_id": mid}})
        if method in {"setWebhook", "deleteWebhook", "getMe"}:
            return web.json_response({"ok": True, "result": True})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not found"})


def zalo_settings(fake: FakeZalo, **overrides: str) -> dict[str, str]:
    """Settings pointing both Zalo channels at `fake`, serving HTTP on a free local port."""
    return {
        "ZALO_OA_APP_ID": fake.app_id,
        "ZALO_OA_SECRET_KEY": fake.secret_key,
        "ZALO_OA_ACCESS_TOKEN": fake.access_token,
        "ZALO_OA_REFRESH_TOKEN": fake.refresh_token,
        "ZALO_OA_API_BASE": fake.url,
        "ZALO_OAUTH_BASE": fake.url,
        "ZALO_BOT_TOKEN": fake.bot_token,
        "ZALO_BOT_API_BASE": f"{fake.url}/bot",
        "HTTP_LISTEN": "127.0.0.1",
        "HTTP_PORT": "0",
        **overrides,
    }


@contextlib.asynccontextmanager
async def serving(
    app: App, channels: Sequence[str], *, client: ClientSettings = FAST_CLIENT
) -> AsyncIterator[Running]:
    """Run `bot.serve.serve` for `channels` in the background; yields once it is listening."""
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            app,
            channels,
            client=client,
            stop_event=stop,
            on_ready=ready.set_result,
            outbox_interval=0.1,
            daily_jobs=False,
        )
    )
    waiters: set[asyncio.Future[Any]] = {task, ready}
    await asyncio.wait(waiters, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        stop.set()
        await task  # raises what went wrong
        raise AssertionError("serve() did not start")
    try:
        yield ready.result()
    finally:
        stop.set()
        await task
