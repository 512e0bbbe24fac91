"""The bot's send rate shared through the database by several workers."""

from __future__ import annotations

import asyncio
import time
from functools import partial

from telegram.ext import ExtBot

from bot.channels.telegram import SharedRateLimiter
from storage.db import connect
from storage.send_rate import take_slot_in
from tests.fakes.telegram_api import FakeBotApi

NOW_US = 1_764_550_800_000_000


async def test_two_workers_never_get_the_same_slot(pg_migrated_url: str) -> None:
    """Reservations from two connections at once take consecutive slots, one interval apart."""
    first, second = connect(pg_migrated_url), connect(pg_migrated_url)
    await first.open()
    await second.open()
    try:
        take = partial(take_slot_in, bot="telegram:1", now_us=NOW_US, interval_us=50_000)
        slots = await asyncio.gather(*(db.claim(take) for db in (first, second) * 20))
    finally:
        await first.close()
        await second.close()
    assert sorted(slots) == [NOW_US + 50_000 * n for n in range(40)]


async def test_a_late_request_starts_from_now_not_from_the_past() -> None:
    """After a quiet while the next slot is now, not an old slot plus the interval."""
    db = connect(":memory:")
    await db.open()
    try:
        await db.migrate()
        take = partial(take_slot_in, bot="telegram:1", interval_us=50_000)
        assert await db.write(partial(take, now_us=NOW_US)) == NOW_US
        assert await db.write(partial(take, now_us=NOW_US)) == NOW_US + 50_000
        later = NOW_US + 10_000_000
        assert await db.write(partial(take, now_us=later)) == later
        assert await db.write(
            partial(take_slot_in, bot="zalo:9", now_us=NOW_US, interval_us=1)
        ) == (NOW_US)  # each bot has its own slots
    finally:
        await db.close()


async def test_two_bots_processes_sending_at_once_keep_the_bots_rate_together(
    pg_migrated_url: str, fake_telegram: FakeBotApi
) -> None:
    """Two workers' bots sending 12 messages each at 20/s together take at least 23/20 s."""
    databases = [connect(pg_migrated_url), connect(pg_migrated_url)]
    bots = []
    for db in databases:
        await db.open()
        limiter = SharedRateLimiter(db, bot="telegram:1", rate=20, max_retries=0)
        bots.append(
            ExtBot(fake_telegram.token, base_url=fake_telegram.base_url, rate_limiter=limiter)
        )
    try:
        for bot in bots:
            await bot.initialize()
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(7001, f"{n}") for bot in bots for n in range(12)))
        took = time.monotonic() - started
    finally:
        for bot in bots:
            await bot.shutdown()
        for db in databases:
            await db.close()
    assert len([m for m in fake_telegram.sent if m.chat_id == 7001]) == 24
    assert took >= 23 / 20  # 24 sends, one every 50 ms, whichever worker sends
