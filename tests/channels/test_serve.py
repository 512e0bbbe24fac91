"""Serving channels: the loop over `CHANNELS`, the configuration error, the daily-job scheduler."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest

from bot.app import CHANNELS, App, build_app
from bot.channels.base import ChannelNotConfigured
from bot.core.feature import DailyJob
from bot.core.turn import Services
from bot.serve import DailyJobs, parse_channels, run_telegram, serve
from tests.fakes.telegram_api import FakeBotApi, make_message_update, post_webhook
from tests.fakes.zalo_api import FakeZalo, serving, zalo_settings
from tests.harness import FakeClock, make_config

ROOT = Path(__file__).resolve().parents[2]


def test_cli_refuses_a_channel_without_its_settings(tmp_path: Path) -> None:
    """`run --channels telegram,zalo_oa` without a token exits 2, naming the missing setting."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZALO_", "TELEGRAM_", "WEBHOOK_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    db = tmp_path / "never.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "run", "--channels", "telegram,zalo_oa"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no .env here
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Lỗi: kênh telegram thiếu cấu hình TELEGRAM_BOT_TOKEN" in done.stderr
    assert "channel telegram needs TELEGRAM_BOT_TOKEN" in done.stderr
    assert not db.exists()  # refused before the app was built


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_each_channel_names_its_missing_settings(name: str) -> None:
    """Every channel asked for without settings names each missing key; with them it passes."""
    bare = make_config(Path("unused.sqlite3"))
    with pytest.raises(ChannelNotConfigured) as refused:
        parse_channels(name, bare)
    assert refused.value.channel == name
    assert refused.value.missing == tuple(CHANNELS[name].required)
    filled = make_config(Path("unused.sqlite3"), **dict.fromkeys(CHANNELS[name].required, "set"))
    assert parse_channels(f" {name} ,", filled) == [name]


async def test_serve_refuses_before_starting_anything(app: App) -> None:
    """`serve` raises `ChannelNotConfigured` for a channel without settings, starting nothing."""
    with pytest.raises(ChannelNotConfigured) as refused:
        await asyncio.wait_for(serve(app, ["zalo_bot"], stop_event=asyncio.Event()), 5)
    assert refused.value.missing == ("ZALO_BOT_TOKEN",)
    assert app.background == []  # no outbox worker was started


async def test_telegram_webhook_served_with_the_other_channels(
    tmp_path: Path, clock: FakeClock, fake_telegram: FakeBotApi
) -> None:
    """With WEBHOOK_SECRET set, serve() takes Telegram updates on /telegram of the shared server."""
    async with FakeZalo() as fake_zalo:
        settings = zalo_settings(
            fake_zalo,
            TELEGRAM_BOT_TOKEN=fake_telegram.token,
            TELEGRAM_BASE_URL=fake_telegram.base_url,
            WEBHOOK_SECRET="hook-s3cret",
        )
        app = await build_app(make_config(tmp_path / "hook.sqlite3", **settings), clock=clock)
        try:
            async with serving(app, ["telegram", "zalo_bot"]) as running:
                url = f"http://127.0.0.1:{running.server.port}/telegram"
                assert await post_webhook(url, {"update_id": 1}, secret="wrong") == 403
                update = make_message_update(4343, "/xoadulieu", message_id=1, update_id=2)
                assert await post_webhook(url, update, secret="hook-s3cret") == 200
                [sent] = await fake_telegram.wait_for_messages(4343, 1)
        finally:
            await app.close()
    assert sent.buttons()[-1][1] == "privacy:no"
    assert fake_telegram.call_counts["getupdates"] == 0  # webhook mode does not poll


async def test_run_telegram_polls_without_an_http_server(
    tmp_path: Path, clock: FakeClock, fake_telegram: FakeBotApi
) -> None:
    """`giamngheo run` (Telegram alone, polling) answers through the same loop and stops cleanly."""
    settings = {
        "TELEGRAM_BOT_TOKEN": fake_telegram.token,
        "TELEGRAM_BASE_URL": fake_telegram.base_url,
        "HTTP_LISTEN": "203.0.113.1",  # not this machine's: binding would fail, and must not happen
    }
    app = await build_app(make_config(tmp_path / "poll.sqlite3", **settings), clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(app, stop_event=stop))
    try:
        fake_telegram.push_message(4444, "/xoadulieu")
        [sent] = await fake_telegram.wait_for_messages(4444, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await app.close()
    assert sent.buttons()[-1][1] == "privacy:no"


async def test_daily_jobs_run_at_their_hour_and_survive_a_failure(
    app: App, clock: FakeClock
) -> None:
    """A 07:00 job waits until 07:00 Hà Nội, runs with the clock's time, and a failure is logged."""
    waits: list[float] = []
    ran: list[datetime] = []
    second_wait = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 1:
            second_wait.set()
            await asyncio.Event().wait()  # until cancelled

    async def job(services: Services, now: datetime) -> None:
        assert services is app.services
        ran.append(now)
        raise RuntimeError("the job failed")

    jobs = DailyJobs([DailyJob("test.morning", time(7, 0), job)], app.services, sleep=sleep)
    jobs.start()
    await asyncio.wait_for(second_wait.wait(), 5)
    await jobs.stop()
    assert waits[0] == 21 * 3600  # 10:00 Hà Nội → 07:00 the next day
    assert ran == [clock.now]
    assert len(waits) == 2  # still scheduled after the failure
