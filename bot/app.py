"""The composition root: the only place that builds concrete objects and registers features.

Registration order matters: commands registered first win their names, and the main menu shows
items by their `order`. Add a feature by building it here with its dependencies and calling its
`register` in the list below. Add a channel by adding its `ChannelSpec` to `CHANNELS`; running
them (and the daily jobs) is `bot.serve`'s work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.channels import telegram, zalo_bot, zalo_oa
from bot.channels.base import ChannelSpec
from bot.core.config import Config
from bot.core.delivery import OutboxWorker, Sender
from bot.core.dispatcher import Dispatcher
from bot.core.feature import DailyJob, FeatureContext
from bot.core.intake import Intake
from bot.core.registry import Registry
from bot.core.turn import Clock, Services
from bot.demo import load_core_demo
from handlers import (
    donations,
    exit_registration,
    faq,
    housekeeping,
    notices,
    self_check,
    web_link,
)
from handlers.menu import MenuFeature
from handlers.privacy import PrivacyFeature
from storage.audit import AuditLog
from storage.db import Database, connect
from storage.outbox import Outbox
from storage.sessions import SessionRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

Extension = Callable[[Registry, Dispatcher], None]

CHANNELS: Mapping[str, ChannelSpec] = {
    spec.name: spec for spec in (telegram.SPEC, zalo_oa.SPEC, zalo_bot.SPEC)
}
"""The channels `giamngheo run --channels` can serve, each with its settings and factory."""


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
    intake: Intake
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
    db = connect(config.database)
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
    housekeeping.install(ctx)
    web_link.install(ctx)
    for extend in extensions:
        extend(registry, dispatcher)
    PrivacyFeature(registry).register(registry)

    if config.demo_data:
        now = clock()
        if await load_core_demo(users, now=now):
            for load in ctx.demo_loaders:
                await load(services, now)
    return App(
        config, db, services, registry, dispatcher, Intake(dispatcher), daily_jobs=ctx.daily_jobs
    )


def start_outbox(
    app: App,
    senders: Mapping[str, Sender],
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
        worker=app.intake.me.id,
    )
    app.dispatcher.on_push = worker.wake
    worker.start()
    app.background.append(worker)
    return worker
