"""What to watch on a running assistant: `/healthz` checks and `/metrics` for Prometheus.

- `/healthz` (JSON, 200 or 503): the database answers a query, and the inbox's oldest
  undelivered update is younger than `MAX_LAG` (a stuck or overloaded worker shows here
  before residents complain).
- `/metrics` (Prometheus text format, rendered by `prometheus_client`, Apache-2.0): updates
  handled, handler errors and inbox failures of this process (counters), and, for the whole
  database, the inbox backlog and its lag and the outbox depth (gauges). Scrape every process;
  the gauges are the same from each.

Both are read-only and carry no personal data: counts and ages only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.app import App
from bot.http_server import HttpServer
from storage import inbox

__all__ = ["MAX_LAG", "install"]

MAX_LAG = 60.0
"""Seconds the oldest undelivered update may wait before `/healthz` reports the inbox unhealthy."""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Snapshot(Collector):
    """One scrape's figures, read before rendering (collectors are synchronous)."""

    def __init__(self, app: App, backlog: inbox.Backlog, outbox_depth: int) -> None:
        self.app = app
        self.backlog = backlog
        self.outbox_depth = outbox_depth

    def collect(self) -> Iterator[Metric]:
        """Yield every metric."""
        counters = (
            (
                "giamngheo_updates_handled",
                "Updates handled by this process.",
                self.app.intake.handled,
            ),
            (
                "giamngheo_handler_errors",
                "Handler failures answered with the apology, in this process.",
                self.app.dispatcher.errors,
            ),
            (
                "giamngheo_inbox_failures",
                "Inbox rows that failed outside the handlers, in this process.",
                self.app.intake.failures,
            ),
        )
        for name, help_text, value in counters:
            counter = CounterMetricFamily(name, help_text)
            counter.add_metric([], value)
            yield counter
        gauges = (
            ("giamngheo_inbox_open", "Updates stored and not yet delivered.", self.backlog.open),
            (
                "giamngheo_inbox_lag_seconds",
                "Age of the oldest undelivered update.",
                self.backlog.oldest_seconds,
            ),
            ("giamngheo_outbox_depth", "Messages waiting in the outbox.", self.outbox_depth),
        )
        for name, help_text, gauge_value in gauges:
            yield GaugeMetricFamily(name, help_text, value=gauge_value)


def install(
    app: App,
    server: HttpServer,
    channels: Callable[[], Sequence[str]],
    *,
    max_lag: float = MAX_LAG,
) -> None:
    """Add the database and inbox checks to `/healthz`, and the `/metrics` route.

    Args:
        app: The running app.
        server: Its HTTP server (before it starts).
        channels: The channels this process serves (the inbox lag counts their rows only).
        max_lag: The oldest undelivered update's age at which `/healthz` fails.
    """

    async def _backlog(app: App) -> inbox.Backlog:
        return await app.db.peek(
            partial(inbox.backlog_in, now=app.services.clock(), channels=list(channels()))
        )

    async def database_ok() -> bool:
        row = await app.db.fetchone("SELECT 1")
        return row is not None and int(row[0]) == 1

    async def inbox_ok() -> bool:
        return (await _backlog(app)).oldest_seconds < max_lag

    async def metrics(request: web.Request) -> web.Response:
        del request
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(app, await _backlog(app), await app.services.outbox.depth()))
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})

    server.checks["database"] = database_ok
    server.checks["inbox"] = inbox_ok
    server.app.router.add_get("/metrics", metrics)
