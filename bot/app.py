"""The composition root: the only place that builds concrete objects and registers features.

Registration order matters: commands registered first win their names, and the main menu shows
items by their `order`. Add a feature by building it here with its dependencies and calling its
`register` in the list below.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import TelegramChannel
from bot.core.config import Config
from bot.core.delivery import OutboxWorker, Sender
from bot.core.dispatcher import Dispatcher
from bot.core.feature import DailyJob, FeatureContext
from bot.core.i18n import TIMEZONE
from bot.core.registry import Registry
from bot.core.turn import Clock, Services
from bot.demo import CONSOLE_RESIDENT_ID, DEMO_OFFICER_ID, load_core_demo
from bot.http_server import HttpServer, telegram_webhook
from handlers import donations, exit_registration, faq, notices, self_check
from handlers.menu import MenuFeature
from handlers.privacy import PrivacyFeature
from storage.audit import AuditLog
from storage.db import Database
from storage.outbox import Outbox
from storage.sessions import SessionRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

Extension = Callable[[Registry, Dispatcher], None]


def utc_clock() -> datetime:
    """The real clock (UTC)."""
    return datetime.now(UTC)


@dataclass
class App:
    """Everything one process runs on."""

    config: Config
    db: Database
    services: Services
    registry: Registry
    dispatcher: Dispatcher
    daily_jobs: list[DailyJob] = field(default_factory=list)
    background: list[OutboxWorker] = field(default_factory=list)

    async def close(self) -> None:
        """Stop background work and close the database."""
        for worker in self.background:
            await worker.stop()
        await self.db.close()


async def build_app(
    config: Config, *, clock: Clock = utc_clock, extensions: Sequence[Extension] = ()
) -> App:
    """Open and migrate the database, build services and register every feature."""
    db = Database(config.database_path)
    await db.open()
    await db.migrate()
    users = UserRepository(db)
    services = Services(
        config=config,
        db=db,
        users=users,
        sessions=SessionRepository(db, ttl=timedelta(hours=config.session_ttl_hours)),
        audit=AuditLog(db),
        outbox=Outbox(db),
        clock=clock,
    )
    registry = Registry()
    dispatcher = Dispatcher(services, registry)

    ctx = FeatureContext(registry, dispatcher, services)

    # Order matters: the menu's commands (/start, /cancel, /help) are registered first so no
    # feature can take them; features follow in menu order; the Q&A search is the fallback for
    # free text; privacy goes last so that it sees every feature's eraser.
    MenuFeature(dispatcher).register(registry)
    faq.install(ctx)
    self_check.install(ctx)
    exit_registration.install(ctx)
    donations.install(ctx)
    notices.install(ctx)
    for extend in extensions:
        extend(registry, dispatcher)
    PrivacyFeature(registry).register(registry)

    if config.demo_data:
        now = clock()
        if await load_core_demo(users, now=now):
            for load in ctx.demo_loaders:
                await load(services, now)
    return App(config, db, services, registry, dispatcher, daily_jobs=ctx.daily_jobs)


def start_outbox(
    app: App,
    senders: dict[str, Sender],
    *,
    only_chat: str | None = None,
    interval: float = 2.0,
) -> OutboxWorker:
    """Deliver queued pushes through `senders` in the background until the app closes."""
    worker = OutboxWorker(
        app.services.outbox,
        senders,
        app.services.users,
        app.services.clock,
        only_chat=only_chat,
        interval=interval,
    )
    app.dispatcher.on_push = worker.wake
    worker.start()
    app.background.append(worker)
    return worker


async def run_console(app: App, *, as_officer: bool = False) -> None:
    """Chat on stdin/stdout as the demo resident (or the demo officer)."""
    user_id = DEMO_OFFICER_ID if as_officer else CONSOLE_RESIDENT_ID
    console = ConsoleChannel(app.dispatcher, user_id=user_id)
    start_outbox(app, {console.name: console}, only_chat=user_id)
    await console.run()
    for worker in app.background:
        await worker.drain_once()


def schedule_daily_jobs(app: App, channel: TelegramChannel) -> None:
    """Run each feature's daily job on PTB's JobQueue at its hour in Asia/Ho_Chi_Minh."""
    job_queue = channel.application.job_queue
    if job_queue is None:
        return
    for job in app.daily_jobs:

        async def run(context: object, job: DailyJob = job) -> None:
            del context
            await job.callback(app.services, app.services.clock())

        job_queue.run_daily(run, time=job.at.replace(tzinfo=TIMEZONE), name=job.name)


async def wait_for_stop() -> None:
    """Wait for SIGINT or SIGTERM (where the event loop supports signal handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_telegram(
    app: App,
    *,
    webhook: bool = False,
    listen: str | None = None,
    port: int | None = None,
    url: str | None = None,
    secret: str | None = None,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Run the Telegram bot by long polling, or by webhook on the shared HTTP server."""
    config = app.config
    channel = TelegramChannel.build(
        token=config.telegram_token.value,
        dispatcher=app.dispatcher,
        users=app.services.users,
        base_url=config.telegram_base_url,
    )
    application = channel.application
    server: HttpServer | None = None
    async with application:
        await application.start()
        start_outbox(app, {channel.name: channel})
        schedule_daily_jobs(app, channel)
        if webhook:
            secret_value = secret or config.webhook_secret.value
            if not secret_value:
                raise SystemExit("webhook mode needs WEBHOOK_SECRET (or --secret)")
            server = HttpServer(listen or config.webhook_listen, port or config.webhook_port)
            server.add_post(
                "/telegram", telegram_webhook(channel.process_webhook_update, secret_value)
            )
            await server.start()
            public = url or config.webhook_url
            if public:
                await application.bot.set_webhook(public, secret_token=secret_value)
            log.info("telegram webhook listening port=%s", server.port)
        else:
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=10)
            log.info("telegram polling started")
        try:
            if stop_event is not None:
                await stop_event.wait()
            else:
                await wait_for_stop()
        finally:
            if server is not None:
                await server.stop()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
