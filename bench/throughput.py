"""Throughput of the Telegram channel against a bare python-telegram-bot echo bot.

`python -m bench.throughput [--updates 5000 --users 500 --rounds 1]` sends the same load (each
user: /start, then menu commands and button presses, one at a time, all users concurrently)
through the fake Bot API on 127.0.0.1 to three bots, each on a fresh fake:

1. **echo**: a bare PTB echo bot (the issue's baseline);
2. **ours**: the real bot (dispatcher, sessions in SQLite, dedupe, features) through
   `TelegramChannel` and the durable inbox (each update stored before it is confirmed, replies
   per user in order); every reply list the dispatcher returns is recorded;
3. **replay**: the same `TelegramChannel` and inbox with the core replaced by a lookup that
   returns, for each chat, the recorded replies in order. It sends exactly what ours sent,
   through the same PTB code and inbox, with no core or sessions behind it.

It prints updates/s, p50/p95/p99 latency, peak RSS, and three ratios: ours/echo (the issue's
figure), ours/replay (what our core, sessions and storage cost: the same output with and
without them) and replay/echo (what sending real menus rather than one-line echoes costs PTB).
Echo handles `CONCURRENT_UPDATES` updates at once, ours and replay as many users at once
(`Intake`'s 256); ours and replay run the AIORateLimiter with no overall
cap (the echo bot has no limiter), so no ratio measures the 30 msg/s throttle. With
`--rounds N` the three runs are repeated N times, in a rotating order (see `ORDERS`), and the
medians are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import statistics
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from telegram.ext import Application

from bench.echo_bot import (
    POLL_TIMEOUT,
    AppFactory,
    LoadResult,
    build_echo_application,
    run_load,
)
from bot.app import App, build_app
from bot.channels.telegram import TelegramChannel
from bot.core.config import Config
from bot.core.dispatcher import Dispatcher
from bot.core.intake import Intake
from bot.core.turn import Services
from bot.core.types import Inbound, Reply
from bot.http_server import HttpServer
from tests.fakes.telegram_api import FakeBotApi

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Recorded = dict[str, collections.deque[list[Reply]]]


class Replay:
    """Stands in for the dispatcher: each chat gets back what ours replied, in order."""

    def __init__(self, recorded: Recorded, services: Services) -> None:
        self.recorded = recorded
        self.services = services  # where a reply that could not be sent is queued

    async def handle(self, inbound: Inbound, *, inbox_id: int | None = None) -> list[Reply]:
        """The next recorded replies for this chat."""
        del inbox_id
        return self.recorded[inbound.chat_id].popleft()


class ChannelRunner:
    """Our Telegram channel polling the fake through the inbox intake (`bot.core.intake`)."""

    def __init__(self, dispatcher: Dispatcher | Replay, base_url: str, token: str) -> None:
        core = cast(Dispatcher, dispatcher)
        self.intake = Intake(core)
        self.channel = TelegramChannel.build(
            token=token,
            dispatcher=core,
            intake=self.intake,
            base_url=base_url,
            overall_max_rate=0,
            poll_timeout=POLL_TIMEOUT,
        )

    async def start(self) -> None:
        """List the worker, start polling, take up what an earlier run left."""
        await self.intake.start()
        await self.channel.start(HttpServer("127.0.0.1", 0))
        await self.intake.sweep()

    async def stop(self) -> None:
        """Finish the updates in hand, then stop polling."""
        await self.intake.stop()
        await self.channel.stop()


ORDERS: tuple[tuple[str, ...], ...] = (
    ("echo", "ours", "replay"),
    ("ours", "replay", "echo"),
    ("ours", "echo", "replay"),
)
"""The order of the three runs in round 1, 2, 3, 4, ... (repeating). On a shared machine the
speed drifts over minutes, and a process slows as its heap grows; rotating puts the echo
baseline first, last and between, so neither favours one bot. Replay needs ours' recording,
so it always comes after ours."""


async def run(updates: int, users: int, order: Sequence[str]) -> dict[str, LoadResult]:
    """Run echo, ours and replay in `order`, each against a fresh fake server, in this process."""
    results: dict[str, LoadResult] = {}
    with tempfile.TemporaryDirectory() as folder:
        config = Config.from_mapping({"DATABASE_PATH": str(Path(folder) / "bench.sqlite3")})
        app: App = await build_app(config, clock=lambda: datetime.now(UTC))
        recorded: Recorded = collections.defaultdict(collections.deque)
        dispatch = app.dispatcher.handle

        async def recording(inbound: Inbound, *, inbox_id: int | None = None) -> list[Reply]:
            replies = await dispatch(inbound, inbox_id=inbox_id)
            recorded[inbound.chat_id].append(replies)
            return replies

        app.dispatcher.handle = recording  # type: ignore[method-assign]
        factories: dict[str, AppFactory] = {
            "echo": build_echo_application,
            "ours": lambda url, token: ChannelRunner(app.dispatcher, url, token),
            "replay": lambda url, token: ChannelRunner(Replay(recorded, app.services), url, token),
        }
        try:
            for name in order:
                # Each fresh fake numbers its messages from 1 again; the inbox would take them
                # for redeliveries of the previous run's (real Telegram ids do not repeat).
                await app.db.execute("DELETE FROM inbox")
                async with FakeBotApi() as fake:
                    results[name] = await run_load(
                        fake, factories[name], updates=updates, users=users, name=name
                    )
        finally:
            await app.close()
    return results


def _ratios(echo: float, ours: float, replay: float) -> str:
    return (
        f"ratio ours/echo (updates/s): {ours / echo:.2f}\n"
        f"ratio ours/replay (core, sessions, storage): {ours / replay:.2f}\n"
        f"ratio replay/echo (real replies vs one-line echoes): {replay / echo:.2f}"
    )


def main() -> None:
    """Print the results and the ratios (and medians over rounds)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    # The fake server logs a reset connection when a run stops while a reply is in flight.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    rates: dict[str, list[float]] = collections.defaultdict(list)
    for index in range(args.rounds):
        order = ORDERS[index % len(ORDERS)]
        results = asyncio.run(run(args.updates, args.users, order))
        print(f"--- round {index + 1} (in this order: {', '.join(order)})")
        for name in order:
            print(results[name].summary())
            rates[name].append(results[name].updates_per_s)
        print(_ratios(*(results[name].updates_per_s for name in ("echo", "ours", "replay"))))
    if args.rounds > 1:
        medians = {name: statistics.median(values) for name, values in rates.items()}
        print(f"--- medians over {args.rounds} rounds (updates/s): {medians}")
        print(_ratios(medians["echo"], medians["ours"], medians["replay"]))
        for name in ("ours/echo", "ours/replay"):
            top, bottom = name.split("/")
            per_round = [a / b for a, b in zip(rates[top], rates[bottom], strict=True)]
            print(f"{name} per round: " + " / ".join(f"{value:.2f}" for value in per_round))


if __name__ == "__main__":
    main()
