"""What a feature gets at start-up to install itself: registry, dispatcher, services, hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from bot.core.dispatcher import Dispatcher
from bot.core.registry import Registry
from bot.core.turn import Services

DemoLoader = Callable[[Services, datetime], Awaitable[None]]
JobCallback = Callable[[Services, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DailyJob:
    """Work to run once a day at `at` (Asia/Ho_Chi_Minh), e.g. the morning reminder."""

    name: str
    at: time
    callback: JobCallback


@dataclass
class FeatureContext:
    """Passed to every feature's `install(ctx)` by the composition root."""

    registry: Registry
    dispatcher: Dispatcher
    services: Services
    demo_loaders: list[DemoLoader] = field(default_factory=list)
    daily_jobs: list[DailyJob] = field(default_factory=list)
