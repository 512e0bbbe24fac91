"""One HTTP server for every webhook (Telegram, Zalo) and `/healthz`."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]


def telegram_webhook(
    sink: UpdateSink, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler that checks `X-Telegram-Bot-Api-Secret-Token` before queueing the update."""

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook rejected: bad secret token")
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(data, dict):
            return web.Response(status=400, text="bad update")
        await sink(data)
        return web.Response(text="ok")

    return handle


class HttpServer:
    """An aiohttp server; channels add their routes before `start()`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.checks: dict[str, Callable[[], Awaitable[bool]]] = {}

    def add_post(
        self, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> None:
        """Serve POST requests on `path`."""
        self.app.router.add_post(path, handler)

    async def _health(self, request: web.Request) -> web.Response:
        del request
        results = {}
        for name, check in self.checks.items():
            try:
                results[name] = await asyncio.wait_for(check(), 2)
            except Exception:
                results[name] = False
        ok = all(results.values())
        return web.json_response({"ok": ok, "checks": results}, status=200 if ok else 503)

    async def start(self) -> None:
        """Bind and serve (port 0 picks a free port, stored back in `self.port`)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if server is not None and self.port == 0:
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
