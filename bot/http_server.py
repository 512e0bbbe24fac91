"""One HTTP server for every channel's webhook routes and `/healthz`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

MAX_BODY = 12 * 1024 * 1024
"""The largest request body: a 10 MB household list or bank statement with its form around it."""


class HttpServer:
    """An aiohttp server; channels add their routes before `start()`."""

    def __init__(self, host: str, port: int, *, reuse_port: bool = False) -> None:
        self.host = host
        self.port = port
        self.reuse_port = reuse_port  # several worker processes share the port (SO_REUSEPORT)
        self.app = web.Application(client_max_size=MAX_BODY)
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
        site = web.TCPSite(self._runner, self.host, self.port, reuse_port=self.reuse_port or None)
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
