"""`giamngheo run --workers 4` on PostgreSQL, as real processes, with one killed mid-burst.

The parent supervises four workers sharing the webhook port (SO_REUSEPORT) and one throwaway
PostgreSQL database. The fake Bot API records what every worker sends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from bot.core.intake import CONCURRENCY
from storage.db import connect
from tests.fakes.telegram_api import FakeBotApi, make_message_update, post_webhook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECRET = "workers-s3cret"
TEXTS = (
    "/help",
    "chuan ngheo la gi",
    "ho can ngheo la gi",
    "bao hiem y te",
    "vay von ngan hang chinh sach",
)
"""What every user sends, in this order: each has a reply of its own, so order shows."""
USERS = 200
WORKERS = 4


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Supervised:
    """The parent process of `giamngheo run --workers N` and its port."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    @property
    def url(self) -> str:
        """The Telegram webhook of the workers."""
        return f"http://127.0.0.1:{self.port}/telegram"

    def workers(self) -> list[psutil.Process]:
        """The live worker processes."""
        return [p for p in psutil.Process(self.process.pid).children() if p.is_running()]


@pytest.fixture
def supervised(
    pg_migrated_url: str, fake_telegram: FakeBotApi, tmp_path: Path
) -> Iterator[Supervised]:
    """Four workers serving Telegram by webhook on one PostgreSQL database; stopped after."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": pg_migrated_url,
        "DATABASE_PATH": str(tmp_path / "unused.sqlite3"),
        "DEMO_DATA": "0",
        "TELEGRAM_BOT_TOKEN": fake_telegram.token,
        "TELEGRAM_BASE_URL": fake_telegram.base_url,
        "WEBHOOK_SECRET": SECRET,
        "HTTP_LISTEN": "127.0.0.1",
        "HTTP_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--channels", "telegram", "--workers", str(WORKERS)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield Supervised(process, port)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the workers finish what they hold), then SIGKILL after 60 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def ready(port: int, all_up: Callable[[], bool], timeout: float = 120.0) -> None:
    """Until every worker runs (`all_up`) and /healthz answers on `port`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            if all_up():
                try:
                    oks = 0
                    for _ in range(12):
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            oks += response.status == 200
                    if oks == 12:
                        await asyncio.sleep(3)  # the slowest worker binds its socket too
                        return
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.5)
    raise AssertionError("the workers did not start")


async def deliver(url: str, update: dict[str, object]) -> None:
    """POST until a worker answers 200, as Telegram redelivers an unconfirmed update."""
    for _ in range(200):
        try:
            if await post_webhook(url, update, secret=SECRET, timeout=20) == 200:
                return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("an update was never accepted")


def resent_once(expected: list[str], got: list[str]) -> bool:
    """`got` is `expected` with one message sent twice in a row (a reply resent after a kill)."""
    return len(got) == len(expected) + 1 and any(
        got[i] == got[i + 1] and got[:i] + got[i + 1 :] == expected for i in range(len(got) - 1)
    )


def _differences(expected: list[str], wrong: dict[int, list[str]]) -> str:
    """Which users' replies differ, and where (lost, repeated or out of order)."""
    lines = [f"{len(wrong)} users' replies differ from the control user's {len(expected)}:"]
    for user, texts in list(wrong.items())[:5]:
        at = next(
            (i for i, (a, b) in enumerate(zip(expected, texts, strict=False)) if a != b), None
        )
        lines.append(f"  user {user}: {len(texts)} replies, first difference at {at}")
    return "\n".join(lines)


def texts_sent(fake: FakeBotApi, chat_id: int) -> list[str]:
    """The texts the bot sent to a chat, in order."""
    return [m.text or "" for m in fake.sent if m.chat_id == chat_id]


async def _sent_at_least(fake: FakeBotApi, counts: dict[int, int], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if all(len(texts_sent(fake, chat)) >= count for chat, count in counts.items()):
            return
        await asyncio.sleep(0.5)


async def _burst(url: str, first_user: int, on_half: asyncio.Event) -> None:
    """Every user sends all of `TEXTS` at once (in order), 50 requests in flight."""
    slots = asyncio.Semaphore(50)
    updates = [
        make_message_update(user, text, message_id=n + 1, update_id=user * 10 + n, first_name="An")
        for n, text in enumerate(TEXTS)
        for user in range(first_user, first_user + USERS)
    ]
    done = 0

    async def one(update: dict[str, object]) -> None:
        nonlocal done
        async with slots:
            await deliver(url, update)
        done += 1
        if done == len(updates) // 2:
            on_half.set()

    # A user's n-th text is posted only after its (n-1)-th was accepted: the order they sent.
    by_round = [updates[n * USERS : (n + 1) * USERS] for n in range(len(TEXTS))]
    for round_updates in by_round:
        await asyncio.gather(*(one(update) for update in round_updates))


@pytest.fixture
async def killed_mid_burst(
    supervised: Supervised, fake_telegram: FakeBotApi
) -> AsyncIterator[tuple[list[str], int]]:
    """A control user's replies (one message at a time), then a burst with a worker killed."""
    await ready(supervised.port, lambda: len(supervised.workers()) == WORKERS)
    control = 9_000_001
    for n, text in enumerate(TEXTS):
        mark = fake_telegram.mark(control)
        update = make_message_update(control, text, message_id=n + 1, update_id=n + 1)
        await deliver(supervised.url, update)
        await fake_telegram.wait_for_next(control, after=mark, count=1, timeout=60)
        await asyncio.sleep(1.0)  # every message of this answer
    expected = texts_sent(fake_telegram, control)
    half = asyncio.Event()
    burst = asyncio.create_task(_burst(supervised.url, 100_000, half))
    await asyncio.wait_for(half.wait(), 120)
    victim = supervised.workers()[0]
    victim.send_signal(signal.SIGKILL)
    await burst
    yield expected, victim.pid


async def test_a_burst_through_four_workers_with_one_killed_loses_and_repeats_nothing(
    killed_mid_burst: tuple[list[str], int],
    supervised: Supervised,
    fake_telegram: FakeBotApi,
    pg_migrated_url: str,
) -> None:
    """200 users × 5 messages, a worker SIGKILLed mid-burst: every reply, in order, handled once.

    As in the fault suite, the reply in flight at the kill may arrive twice; nothing else may.
    """
    expected, victim = killed_mid_burst
    users = range(100_000, 100_000 + USERS)
    await _sent_at_least(fake_telegram, dict.fromkeys(users, len(expected)), timeout=240)
    await asyncio.sleep(3)  # a duplicate would arrive by now
    assert len(expected) >= len(TEXTS)
    received = {user: texts_sent(fake_telegram, user) for user in users}
    resent = [user for user, texts in received.items() if resent_once(expected, texts)]
    wrong = {u: t for u, t in received.items() if t != expected and u not in resent}
    assert wrong == {}, _differences(expected, wrong)
    # Only the reply in flight at the kill may come twice: it reached the fake just before,
    # and no Bot API send is idempotent. At most one per user, and one per row in flight.
    assert len(resent) <= CONCURRENCY
    assert psutil.pid_exists(victim) is False or psutil.Process(victim).status() == "zombie"
    assert len(supervised.workers()) == WORKERS  # the dead worker was started again
    db = connect(pg_migrated_url)
    await db.open()
    try:
        open_rows = await db.fetchone("SELECT COUNT(*) FROM inbox WHERE delivered_at IS NULL")
        stored = await db.fetchone("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM inbox")
        processed = await db.fetchone("SELECT COUNT(*) FROM processed_messages")
    finally:
        await db.close()
    total = USERS * len(TEXTS) + len(TEXTS)
    assert int(open_rows[0]) == 0
    assert (int(stored[0]), int(stored[1])) == (total, total)  # each update stored once
    assert int(processed[0]) == total  # and handled once


def test_several_workers_are_refused_on_sqlite_and_for_a_polling_channel(
    pg_migrated_url: str, tmp_path: Path
) -> None:
    """--workers 2 needs PostgreSQL and webhooks; each refusal says why and exits 2."""
    base = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(tmp_path / "one.sqlite3"),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "DEMO_DATA": "0",
    }
    command = [sys.executable, "-m", "bot", "run", "--channels", "telegram", "--workers", "2"]

    def refused(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        env = {**base, **extra}
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)

    on_sqlite = refused({"WEBHOOK_SECRET": SECRET})
    polling = refused({"DATABASE_URL": pg_migrated_url})
    assert on_sqlite.returncode == 2
    assert "Chạy nhiều worker cần PostgreSQL" in on_sqlite.stderr
    assert polling.returncode == 2
    assert "polling" in polling.stderr and "WEBHOOK_SECRET" in polling.stderr
