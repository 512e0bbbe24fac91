"""Running the assistant: the channels, the outbox worker and the daily jobs of one process.

`giamngheo run --channels telegram,zalo_oa,zalo_bot` serves every channel asked for on one
HTTP server (`HTTP_LISTEN:HTTP_PORT`, with `/healthz`): each channel adds its webhook routes
or long-polls (see its module). `giamngheo run` is the same loop with Telegram alone (on
`WEBHOOK_LISTEN:WEBHOOK_PORT` with `--webhook`, and without an HTTP server when it polls), and
`giamngheo chat` is the console. The loop knows no channel by name: it takes each one's
`ChannelSpec` from the composition root's `CHANNELS`. A channel asked for without its settings
is a configuration error (`ChannelNotConfigured`), raised before anything starts.

Every update is stored in the inbox before it is acknowledged and handled from there
(`bot.core.intake`): one `Intake` per process. In every mode one outbox worker delivers pushes
through the channels that are on, and one scheduler (`DailyJobs`) runs the features' daily
jobs at their hour in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot import monitoring
from bot.app import CHANNELS, App, start_outbox
from bot.channels.base import Channel, ChannelContext, ClientSettings
from bot.channels.console import ConsoleChannel
from bot.core.config import Config, Secret
from bot.core.feature import DailyJob
from bot.core.i18n import TIMEZONE
from bot.core.turn import Services
from bot.demo import CONSOLE_RESIDENT_ID, DEMO_OFFICER_ID
from bot.http_server import HttpServer
from bot.web.site import WebSite
from storage import inbox
from storage.outbox import LOCAL_WORKER

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Running:
    """What `serve` started, handed to `on_ready` (tests read the bound port from it)."""

    server: HttpServer
    senders: dict[str, Channel] = field(default_factory=dict)


def parse_channels(raw: str, config: Config | None = None) -> list[str]:
    """`"telegram, zalo_oa"` → `["telegram", "zalo_oa"]`.

    Raises:
        ValueError: A name is not a channel.
        ChannelNotConfigured: With `config`, a channel's required settings are missing.
    """
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s): {', '.join(unknown)}; use {', '.join(CHANNELS)}")
    if config is not None:
        for name in names:
            CHANNELS[name].check(config)
    return names


def next_run(job: DailyJob, now: datetime) -> datetime:
    """The next time `job` is due after `now` (its hour in Asia/Ho_Chi_Minh)."""
    local = now.astimezone(TIMEZONE)
    due = local.replace(hour=job.at.hour, minute=job.at.minute, second=job.at.second, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


class DailyJobs:
    """The one scheduler of the features' daily jobs, whichever channels run."""

    def __init__(
        self,
        jobs: Sequence[DailyJob],
        services: Services,
        *,
        sleep: Sleep = asyncio.sleep,
        worker: str = LOCAL_WORKER,
    ) -> None:
        self.jobs = list(jobs)
        self.services = services
        self.sleep = sleep
        self.worker = worker  # with several workers, the first to record a day's run runs it
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Run every job in the background, each at its hour."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(job), name=f"daily-{job.name}") for job in self.jobs
            ]

    async def stop(self) -> None:
        """Cancel the jobs (one running now is cancelled too)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _run(self, job: DailyJob) -> None:
        clock = self.services.clock
        while True:
            now = clock()
            due = next_run(job, now)
            await self.sleep(max(1.0, (due - now).total_seconds()))
            try:
                if await self.services.db.write(
                    partial(
                        inbox.job_run_in,
                        name=job.name,
                        day=due.date().isoformat(),
                        worker=self.worker,
                        now=clock(),
                    )
                ):
                    await job.callback(self.services, clock())
            except Exception as exc:
                log.error("daily job failed job=%s error=%s", job.name, type(exc).__name__)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (where the event loop supports signal handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def wait_for_stop() -> None:
    """Wait for SIGINT or SIGTERM."""
    await stop_on_signals().wait()


async def serve(
    app: App,
    channels: Sequence[str],
    *,
    config: Config | None = None,
    client: ClientSettings | None = None,
    stop_event: asyncio.Event | None = None,
    on_ready: Callable[[Running], Awaitable[None] | None] | None = None,
    outbox_interval: float = 2.0,
    daily_jobs: bool = True,
    http: bool = True,
    web: bool = True,
    reuse_port: bool = False,
) -> None:
    """Run the named channels until `stop_event` (or SIGINT/SIGTERM).

    Args:
        app: The built application.
        channels: Names from `CHANNELS`.
        config: Settings to build the channels from (default `app.config`).
        client: The channels' HTTP client settings (tests pass short back-offs).
        stop_event: Stops serving when set; SIGINT/SIGTERM when None.
        on_ready: Called once everything listens.
        outbox_interval: Seconds between outbox rounds when nothing wakes the worker.
        daily_jobs: Run the features' daily jobs.
        http: Listen on the HTTP server (a polling-only process may go without).
        web: With `http`, serve the web site too (public pages, web chat, officers' desk).
        reuse_port: Share the port with the other workers of `giamngheo run --workers N`.

    Raises:
        ValueError: No channel, or an unknown one, was named.
        ChannelNotConfigured: A channel's required settings are missing.
    """
    config = config or app.config
    names = parse_channels(",".join(channels), config)
    if not names:
        raise ValueError("no channel given; use " + ", ".join(CHANNELS))
    context = ChannelContext(config, app.dispatcher, app.intake, client or ClientSettings())
    built = [CHANNELS[name].build(context) for name in names]
    running = Running(HttpServer(config.http_listen, config.http_port, reuse_port=reuse_port))
    async with contextlib.AsyncExitStack() as stack:
        # Stopping runs in reverse: the HTTP server, then the intake (its drains finish while
        # the channels can still send), then the channels.
        await app.intake.start()
        for channel in built:
            stack.push_async_callback(channel.stop)  # stop is safe after a failed start
            await channel.start(running.server)
            running.senders[channel.name] = channel
        stack.push_async_callback(app.intake.stop)
        if http and web:
            site = WebSite(app)
            await site.mount(running.server)
            stack.push_async_callback(site.close)
            running.senders.update(site.senders)
        if http:
            monitoring.install(app, running.server, lambda: list(running.senders))
            await running.server.start()
            stack.push_async_callback(running.server.stop)
        await app.intake.sweep()  # what a previous run stored and did not finish
        log.info("serving channels=%s port=%s", ",".join(running.senders), running.server.port)
        stack.push_async_callback(start_outbox(app, running.senders, interval=outbox_interval).stop)
        if daily_jobs:
            jobs = DailyJobs(app.daily_jobs, app.services, worker=app.intake.me.id)
            jobs.start()
            stack.push_async_callback(jobs.stop)
        if on_ready is not None:
            result = on_ready(running)
            if result is not None:
                await result
        await (stop_event.wait() if stop_event is not None else wait_for_stop())


async def run_telegram(
    app: App,
    *,
    webhook: bool = False,
    listen: str | None = None,
    port: int | None = None,
    url: str | None = None,
    secret: str | None = None,
    stop_event: asyncio.Event | None = None,
    web: bool = False,
) -> None:
    """Run the Telegram bot alone: long polling, or the webhook on `WEBHOOK_LISTEN:PORT`.

    With `web` (`make run`), polling also serves the web site on `HTTP_LISTEN:HTTP_PORT`.
    """
    config = app.config
    if webhook:
        secret_value = secret or config.webhook_secret.value
        if not secret_value:
            raise SystemExit("webhook mode needs WEBHOOK_SECRET (or --secret)")
        config = dataclasses.replace(
            config,
            webhook_secret=Secret(secret_value),
            webhook_url=url or config.webhook_url,
            http_listen=listen or config.webhook_listen,
            http_port=port or config.webhook_port,
        )
    else:
        config = dataclasses.replace(config, webhook_secret=Secret(""))
    await serve(
        app, ["telegram"], config=config, stop_event=stop_event, http=webhook or web, web=web
    )


async def run_console(
    app: App, *, as_officer: bool = False, daily_jobs: bool = True, web: bool = False
) -> None:
    """Chat on stdin/stdout as the demo resident (or the demo officer) until end of input.

    With `web`, the web site (public pages, web chat, officers' desk) is served beside it on
    `HTTP_LISTEN:HTTP_PORT`, and its address printed; a port in use is said and skipped.
    """
    user_id = DEMO_OFFICER_ID if as_officer else CONSOLE_RESIDENT_ID
    console = ConsoleChannel(app.dispatcher, user_id=user_id)
    start_outbox(app, {console.name: console}, only_chat=user_id)
    async with contextlib.AsyncExitStack() as stack:
        if web:
            await _serve_web_beside(app, stack)  # first: its pages add daily jobs
        jobs = DailyJobs(app.daily_jobs if daily_jobs else (), app.services)
        jobs.start()
        try:
            await console.run()
        finally:
            await jobs.stop()
    for worker in app.background:
        await worker.drain_once()


async def _serve_web_beside(app: App, stack: contextlib.AsyncExitStack) -> None:
    """Start the HTTP server with the web site for `run_console` (its own outbox worker)."""
    server = HttpServer(app.config.http_listen, app.config.http_port)
    site = WebSite(app)
    monitoring.install(app, server, lambda: list(site.senders))
    await site.mount(server)
    await app.intake.start()
    stack.push_async_callback(app.intake.stop)
    stack.push_async_callback(site.close)
    try:
        await server.start()
    except OSError as exc:
        print(f"Không mở được trang web trên cổng {server.port} ({exc.strerror}); chỉ có console.")
        return
    stack.push_async_callback(server.stop)
    if site.senders:
        start_outbox(app, site.senders)
    print(
        f"Trang web: {app.config.web_url}  (cán bộ đăng nhập: gõ /web trong Telegram/Zalo,"
        " hoặc chạy giamngheo chat --as-officer --web rồi gõ /web)"
    )
