"""`/healthz` checks the database and the inbox lag; `/metrics` speaks Prometheus text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import monitoring
from bot.app import App, build_app
from bot.core.dispatcher import Dispatcher
from bot.core.intake import incoming
from bot.core.registry import EVERYONE, Command, Registry
from bot.core.turn import Turn
from bot.core.types import Inbound, Reply
from bot.http_server import HttpServer
from storage import inbox
from tests.harness import Chat, FakeClock, make_config


async def explode(turn: Turn) -> list[Reply]:
    """A command that always fails (the dispatcher answers with its apology)."""
    raise RuntimeError("boom")


def with_explode(registry: Registry, dispatcher: Dispatcher) -> None:
    """Register `/no` for the test."""
    del dispatcher
    registry.add_command(Command(("/no",), explode, EVERYONE))


@dataclass
class Served:
    """A server with the monitoring routes."""

    url: str
    app: App
    clock: FakeClock


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """The real app and HTTP server, serving the `test` channel's inbox."""
    clock = FakeClock()
    app = await build_app(
        make_config(tmp_path / "m.sqlite3"), clock=clock, extensions=[with_explode]
    )
    server = HttpServer("127.0.0.1", 0)
    monitoring.install(app, server, lambda: ["test"])
    await server.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}", app, clock)
    finally:
        await server.stop()
        await app.close()


def metrics_of(text: str) -> dict[str, float]:
    """Every sample's value by name."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def store(app: App, channel: str, message_id: str) -> None:
    """Store one update in the inbox, as a channel does before acknowledging it."""
    update = Inbound(channel, "u1", "u1", message_id, app.services.clock(), text="xin chào")
    await app.db.write(
        partial(inbox.store_in, items=[incoming(update)], worker="w", now=app.services.clock())
    )


async def test_healthz_fails_when_the_inbox_lags(served: Served) -> None:
    """Healthy with a fresh update; 503 with `inbox: false` once it waited over 60 s."""
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url + "/healthz") as r:
            assert r.status == 200
            assert await r.json() == {"ok": True, "checks": {"database": True, "inbox": True}}
        await store(served.app, "test", "m1")
        await store(served.app, "zalo_oa", "m2")  # a channel this process does not serve
        served.clock.advance(seconds=30)
        async with http.get(served.url + "/healthz") as r:
            assert r.status == 200
        served.clock.advance(seconds=31)
        async with http.get(served.url + "/healthz") as r:
            assert r.status == 503
            assert (await r.json())["checks"] == {"database": True, "inbox": False}


async def test_metrics_count_what_happened(served: Served) -> None:
    """Handler errors, the inbox backlog and lag, and the outbox depth, in Prometheus text."""
    queued = await served.app.services.outbox.depth()
    chat = Chat(served.app, "u9")
    await chat.send("/no")
    await served.app.services.outbox.enqueue(
        channel="test", chat_id="u2", body=Reply("x").to_json(), now=served.clock()
    )
    await store(served.app, "test", "m3")
    served.clock.advance(seconds=12)
    async with aiohttp.ClientSession() as http, http.get(served.url + "/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        values = metrics_of(await r.text())
    assert values["giamngheo_handler_errors_total"] == 1
    assert values["giamngheo_updates_handled_total"] == 0
    assert values["giamngheo_inbox_open"] == 1
    assert values["giamngheo_inbox_lag_seconds"] == pytest.approx(12)
    assert values["giamngheo_outbox_depth"] == queued + 1
