"""Several channels in one process on one HTTP server.

`giamngheo run --channels telegram,zalo_oa,zalo_bot` serves `/healthz`, the Telegram webhook
(`/telegram`, when `WEBHOOK_SECRET` is set; otherwise Telegram long-polls), the Zalo OA webhook
(`/zalo/oa`) and the Zalo Bot webhook (`/zalo/bot`, when `ZALO_BOT_SECRET` is set; otherwise it
long-polls) on `HTTP_LISTEN:HTTP_PORT`, with one outbox worker delivering pushes through every
channel that is on. A channel is on when it was asked for and its settings are present; one
asked for without settings is skipped with a warning. Daily jobs run on a small scheduler here,
whichever channels are on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import App, start_outbox, wait_for_stop
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo_bot import ZaloBotChannel, ZaloBotClient
from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAClient
from bot.core.delivery import Sender
from bot.core.feature import DailyJob
from bot.core.i18n import TIMEZONE
from bot.http_server import HttpServer, telegram_webhook
from storage.zalo_tokens import TokenPair, ZaloTokenStore

log = logging.getLogger(__name__)

CHANNELS = ("telegram", "zalo_oa", "zalo_bot")


@dataclass
class Running:
    """What `serve` started, handed to `on_ready` (tests read the bound port from it)."""

    server: HttpServer
    senders: dict[str, Sender] = field(default_factory=dict)


def parse_channels(raw: str) -> list[str]:
    """`"telegram, zalo_oa"` → `["telegram", "zalo_oa"]`; raises `ValueError` on unknown names."""
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s): {', '.join(unknown)}; use {', '.join(CHANNELS)}")
    return names


def next_run(job: DailyJob, now: datetime) -> datetime:
    """The next time `job` is due after `now` (its hour in Asia/Ho_Chi_Minh)."""
    local = now.astimezone(TIMEZONE)
    due = local.replace(hour=job.at.hour, minute=job.at.minute, second=job.at.second, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


async def _run_daily(app: App, job: DailyJob) -> None:
    while True:
        now = app.services.clock()
        delay = (next_run(job, now) - now).total_seconds()
        await asyncio.sleep(max(1.0, delay))
        try:
            await job.callback(app.services, app.services.clock())
        except Exception as exc:
            log.error("daily job failed job=%s error=%s", job.name, type(exc).__name__)


async def serve(
    app: App,
    channels: Sequence[str],
    *,
    stop_event: asyncio.Event | None = None,
    on_ready: Callable[[Running], Awaitable[None] | None] | None = None,
    outbox_interval: float = 2.0,
    daily_jobs: bool = True,
) -> None:
    """Run the requested channels on one HTTP server until `stop_event` (or SIGINT/SIGTERM)."""
    config = app.config
    wanted = parse_channels(",".join(channels))
    server = HttpServer(config.http_listen, config.http_port)
    running = Running(server)
    background: list[asyncio.Task[None]] = []
    async with contextlib.AsyncExitStack() as stack:
        if "telegram" in wanted:
            if not config.telegram_token:
                log.warning("telegram skipped: TELEGRAM_BOT_TOKEN is not set")
            else:
                telegram = TelegramChannel.build(
                    token=config.telegram_token.value,
                    dispatcher=app.dispatcher,
                    users=app.services.users,
                    base_url=config.telegram_base_url,
                    job_queue=False,
                )
                application = telegram.application
                await stack.enter_async_context(application)
                await application.start()
                stack.push_async_callback(application.stop)
                if config.webhook_secret:
                    server.add_post(
                        "/telegram",
                        telegram_webhook(
                            telegram.process_webhook_update, config.webhook_secret.value
                        ),
                    )
                    if config.webhook_url:
                        await application.bot.set_webhook(
                            config.webhook_url, secret_token=config.webhook_secret.value
                        )
                else:
                    updater = application.updater
                    assert updater is not None
                    await updater.start_polling(poll_interval=0.0, timeout=10)
                    stack.push_async_callback(updater.stop)
                running.senders[telegram.name] = telegram
        if "zalo_oa" in wanted:
            if not (config.zalo_oa_app_id and config.zalo_oa_secret_key):
                log.warning("zalo_oa skipped: ZALO_OA_APP_ID / ZALO_OA_SECRET_KEY not set")
            else:
                client = ZaloOAClient(
                    api_base=config.zalo_oa_api_base,
                    oauth_base=config.zalo_oauth_base,
                    app_id=config.zalo_oa_app_id,
                    secret_key=config.zalo_oa_secret_key.value,
                    tokens=ZaloTokenStore(app.db),
                    clock=app.services.clock,
                )
                initial = TokenPair(
                    config.zalo_oa_access_token.value, config.zalo_oa_refresh_token.value
                )
                await client.start(initial)
                stack.push_async_callback(client.close)
                oa = ZaloOAChannel(
                    client,
                    app.dispatcher,
                    app_id=config.zalo_oa_app_id,
                    secret_key=config.zalo_oa_secret_key.value,
                )
                stack.push_async_callback(oa.drain)
                server.add_post("/zalo/oa", oa.webhook)
                running.senders[oa.name] = oa
        if "zalo_bot" in wanted:
            if not config.zalo_bot_token:
                log.warning("zalo_bot skipped: ZALO_BOT_TOKEN is not set")
            else:
                bot_client = ZaloBotClient(
                    api_base=config.zalo_bot_api_base, token=config.zalo_bot_token.value
                )
                await bot_client.start()
                stack.push_async_callback(bot_client.close)
                zbot = ZaloBotChannel(
                    bot_client, app.dispatcher, secret=config.zalo_bot_secret.value
                )
                stack.push_async_callback(zbot.drain)
                if config.zalo_bot_secret:
                    server.add_post("/zalo/bot", zbot.webhook)
                else:
                    background.append(asyncio.create_task(zbot.poll(), name="zalo-bot-poll"))
                running.senders[zbot.name] = zbot
        if not running.senders:
            raise SystemExit("no channel is configured (see .env.example)")
        await server.start()
        stack.push_async_callback(server.stop)
        log.info("serving channels=%s port=%s", ",".join(running.senders), server.port)
        worker = start_outbox(app, running.senders, interval=outbox_interval)
        if daily_jobs:
            background.extend(
                asyncio.create_task(_run_daily(app, job), name=f"daily-{job.name}")
                for job in app.daily_jobs
            )
        try:
            if on_ready is not None:
                result = on_ready(running)
                if result is not None:
                    await result
            if stop_event is not None:
                await stop_event.wait()
            else:
                await wait_for_stop()
        finally:
            await worker.stop()
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
