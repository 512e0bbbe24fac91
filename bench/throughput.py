"""Throughput of the Telegram channel against a bare python-telegram-bot echo bot.

`python -m bench.throughput [--updates 5000 --users 500]` sends the same load (each user: /start,
then menu texts and button presses, one at a time, all users concurrently) through the fake Bot
API on 127.0.0.1 to (1) a bare PTB echo bot and (2) our bot (dispatcher, sessions in SQLite,
dedupe, storage), and prints updates/s, p50/p95/p99 latency, peak RSS and the ratio ours/echo.
Both use the same `concurrent_updates`; ours runs the AIORateLimiter with no overall cap (the
echo bot has no limiter), so the ratio measures our core, not the 30 msg/s throttle.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bench.echo_bot import CONCURRENT_UPDATES, LoadResult, build_echo_application, run_load
from bot.app import App, build_app
from bot.channels.telegram import TelegramChannel
from bot.core.config import Config
from tests.fakes.telegram_api import FakeBotApi


async def run(updates: int, users: int) -> tuple[LoadResult, LoadResult]:
    """Run the echo baseline, then our bot, on fresh fake servers in this process."""
    async with FakeBotApi() as fake:
        echo = await run_load(
            fake, build_echo_application, updates=updates, users=users, name="echo"
        )
    with tempfile.TemporaryDirectory() as folder:
        config = Config.from_mapping({"DATABASE_PATH": str(Path(folder) / "bench.sqlite3")})
        app: App = await build_app(config, clock=lambda: datetime.now(UTC))

        def ours_factory(base_url: str, token: str) -> Application[Any, Any, Any, Any, Any, Any]:
            channel = TelegramChannel.build(
                token=token,
                dispatcher=app.dispatcher,
                users=app.services.users,
                base_url=base_url,
                concurrent_updates=CONCURRENT_UPDATES,
                overall_max_rate=0,
                job_queue=False,
            )
            return channel.application

        try:
            async with FakeBotApi() as fake:
                ours = await run_load(fake, ours_factory, updates=updates, users=users, name="ours")
        finally:
            await app.close()
    return echo, ours


def main() -> None:
    """Print both results and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    echo, ours = asyncio.run(run(args.updates, args.users))
    print(echo.summary())
    print(ours.summary())
    print(f"ratio ours/echo (updates/s): {ours.updates_per_s / echo.updates_per_s:.2f}")


if __name__ == "__main__":
    main()
