"""`giamngheo run --channels ... --workers N`: N worker processes on one PostgreSQL database.

The parent migrates the database (and loads the demo data when `DEMO_DATA` asks for it), starts
N workers (each `giamngheo run --channels ...
--worker-of N`, a process of its own with its own event loop and connection pool), and starts a
worker again when one dies. Every worker listens on the same `HTTP_LISTEN:HTTP_PORT`
(`SO_REUSEPORT`: the kernel spreads the connections), so a webhook request lands on any of
them; it is stored in the shared inbox (deduplicated by channel and message id) and answered at
once. Then, for each user, one worker at a time drains the user's rows in order: the claims of
`storage.inbox`, whose statements run as serializable transactions on PostgreSQL. A killed
worker's claims lapse as soon as another on the same host sees its pid gone (`Intake.sweep`,
every 2 s), and its users' rows are taken over. Outbox messages are claimed with `FOR UPDATE SKIP
LOCKED`, daily jobs run once a day (`job_runs`), and every send reserves the bot's next slot
in the database (`storage.send_rate`), so the per-bot rate (`--max-rate`, Telegram's about 30
messages/s) holds for all the workers together.

Several machines pointing at one database work the same way, each with its own `--workers`;
the send rate is shared with them too (their clocks must agree: NTP).
The parent refuses what cannot work: several workers on the SQLite file (one writer, one
machine: one process is the design there), and a channel that long-polls (Telegram and the Zalo
Bot allow one poller per token; set the webhook secret instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot.app import CHANNELS, build_app
from bot.core.config import Config
from bot.serve import stop_on_signals
from storage.db import connect

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0
"""Seconds before a worker that died is started again."""
STOP_GRACE = 20.0
"""Seconds a worker has to finish its drains after SIGTERM before it is killed."""


def refusal(config: Config, channels: Sequence[str], workers: int) -> str | None:
    """Why `workers` workers cannot serve `channels` with `config` (None: they can)."""
    if workers < 1:
        return "--workers phải từ 1 trở lên."
    if workers == 1:
        return None
    if not config.database_url.value.startswith(("postgresql://", "postgres://")):
        return (
            "Chạy nhiều worker cần PostgreSQL (DATABASE_URL=postgresql://...); với tệp SQLite,"
            " một tiến trình phục vụ (docs/deploy.md)."
        )
    polling = [name for name in channels if CHANNELS[name].polls(config)]
    if polling:
        return (
            f"Kênh {', '.join(polling)} đang nhận tin bằng polling: mỗi token chỉ một tiến trình"
            " được polling, nên chỉ chạy một worker. Đặt WEBHOOK_SECRET (Telegram) hoặc"
            " ZALO_BOT_SECRET (Zalo Bot) để nhận tin qua webhook rồi chạy nhiều worker."
        )
    return None


def worker_command(channels: Sequence[str], workers: int, max_rate: float) -> list[str]:
    """The command line of one worker."""
    return [
        sys.executable,
        "-m",
        "bot",
        "run",
        "--channels",
        ",".join(channels),
        "--worker-of",
        str(workers),
        "--max-rate",
        str(max_rate),
    ]


async def supervise(
    config: Config,
    channels: Sequence[str],
    workers: int,
    *,
    max_rate: float,
    stop: asyncio.Event | None = None,
) -> int:
    """Migrate, start the workers, restart any that dies, stop them all on SIGTERM/SIGINT."""
    # Migrated, and the demo data loaded if asked for, once here before the workers start.
    app = await build_app(config)
    await app.close()
    stop = stop or stop_on_signals()
    command = worker_command(channels, workers, max_rate)
    running: dict[int, asyncio.subprocess.Process] = {}
    for index in range(workers):
        running[index] = await _start(command, index)
    print(
        f"Đang chạy {workers} worker cho {', '.join(channels)} trên cổng {config.http_port}"
        f" (dữ liệu: {_describe(config)}).",
        flush=True,
    )
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            exits = {asyncio.ensure_future(p.wait()): i for i, p in running.items()}
            done, _ = await asyncio.wait([*exits, stopping], return_when=asyncio.FIRST_COMPLETED)
            for future in exits:
                if future not in done:
                    future.cancel()
            if stop.is_set():
                break
            for future in done:
                index = exits[future]
                log.warning("worker died index=%d code=%s", index, future.result())
                await asyncio.sleep(RESTART_DELAY)
                running[index] = await _start(command, index)
    finally:
        stopping.cancel()
        await _stop_all(list(running.values()))
    return 0


async def _start(command: list[str], index: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, "GIAMNGHEO_WORKER_INDEX": str(index)}
    )
    log.info("worker started index=%d pid=%d", index, process.pid)
    return process


async def _stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def _describe(config: Config) -> str:
    return connect(config.database).describe()
