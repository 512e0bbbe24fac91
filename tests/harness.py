"""Test harness: a real app on a real database, driven in-process or through real Telegram.

The database is a SQLite file, or a PostgreSQL database (the `--database=postgresql` run).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import App, Extension, build_app
from bot.channels.telegram import TelegramChannel
from bot.core.config import Config
from bot.core.i18n import Translator
from bot.core.types import Inbound, Reply
from storage.db import Params, connect
from tests.fakes.telegram_api import FakeBotApi, SentMessage

# 21/11/2026 10:00 in Hà Nội.
DEFAULT_NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A settable clock (UTC)."""

    now: datetime = DEFAULT_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


def make_config(path: Path, *, database_url: str = "", **overrides: str) -> Config:
    """Settings for a test database file, or for the PostgreSQL database `database_url` names."""
    settings = {"DATABASE_PATH": str(path), "DEMO_DATA": "1", **overrides}
    if database_url:
        settings["DATABASE_URL"] = database_url
    return Config.from_mapping(settings)


_ids = itertools.count(1)


@dataclass
class Chat:
    """One user talking to the dispatcher directly (the channel-neutral core)."""

    app: App
    user_id: str
    channel: str = "test"
    history: list[Reply] = field(default_factory=list)
    language: str = "vi"

    async def send(
        self, text: str = "", *, payload: str | None = None, message_id: str | None = None
    ) -> list[Reply]:
        """Send text (or a button payload) and return the replies."""
        inbound = Inbound(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=self.user_id,
            message_id=message_id or f"t{next(_ids)}",
            received_at=self.app.services.clock(),
            text=text,
            payload=payload,
        )
        replies = await self.app.dispatcher.handle(inbound)
        self.history.extend(replies)
        return replies

    async def press(self, payload: str) -> list[Reply]:
        """Press a button carrying `payload`."""
        return await self.send(payload=payload)

    @property
    def last(self) -> Reply:
        """The newest reply."""
        return self.history[-1]

    def expect(self, key: str, /, **params: object) -> str:
        """Assert the newest reply shows the catalog text of `key` filled with `params`.

        The text is looked up in the chat's language (`language`), so a test states what the
        user must see by its message id, and editing the sentence in the catalog keeps it green.
        The reply's text and its button labels are searched; returns the expected text.
        """
        t = Translator(self.language)
        assert t.has(key), f"{key!r} is in no catalog"
        expected = t(key, **params)
        assert self.history, f"no reply yet, expected {key!r}"
        reply = self.last
        shown = "\n".join([reply.text, *(choice.label for choice in reply.choices)])
        assert expected in shown, f"{key!r} ({expected!r}) is not in the last reply:\n{shown}"
        return expected

    def payload_of(self, label_part: str) -> str:
        """The payload of the newest offered button whose label contains `label_part`."""
        for reply in reversed(self.history):
            for choice in reply.choices:
                if label_part.lower() in choice.label.lower():
                    return choice.payload
        raise AssertionError(f"no button containing {label_part!r}")

    async def tap(self, label_part: str) -> list[Reply]:
        """Press the newest button whose label contains `label_part`."""
        return await self.press(self.payload_of(label_part))


async def make_officer(
    app: App, chat: Chat, *, ward_id: str = "20257", role: str = "officer"
) -> None:
    """Give a chat's user an officer role in a ward."""
    await app.services.users.set_role(
        chat.channel, chat.user_id, role, ward_id, now=app.services.clock()
    )


def text_of(replies: Sequence[Reply]) -> str:
    """All reply texts joined."""
    return "\n".join(reply.text for reply in replies)


@contextlib.asynccontextmanager
async def telegram_running(
    app: App, fake: FakeBotApi, *, concurrency: int = 8
) -> AsyncIterator[TelegramChannel]:
    """Run the real PTB bot polling `fake` through the inbox, with the outbox worker."""
    from bot.app import start_outbox
    from bot.http_server import HttpServer

    intake = app.intake
    intake.limit(concurrency)
    channel = TelegramChannel.build(
        token=fake.token,
        dispatcher=app.dispatcher,
        intake=intake,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        overall_max_rate=0,
        poll_timeout=1,
        poll_backoff=0.05,
    )
    await intake.start()
    await channel.start(HttpServer("127.0.0.1", 0))
    await intake.sweep()
    start_outbox(app, {channel.name: channel}, interval=0.2)
    try:
        yield channel
    finally:
        await asyncio.sleep(0.05)
        await intake.stop()
        await channel.stop()


async def new_app(
    path: Path,
    clock: FakeClock,
    extensions: Sequence[Extension] = (),
    *,
    database_url: str = "",
) -> App:
    """Build the real app on a fresh file (or on the PostgreSQL database `database_url`)."""
    config = make_config(path, database_url=database_url)
    return await build_app(config, clock=clock, extensions=extensions)


def read_apart(app: App, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
    """Rows read by a connection of their own (not the app's), on the app's database.

    The app's SQLite file, or its PostgreSQL database (`--database=postgresql`): the rows are
    what any other process would read, committed.
    """

    async def read() -> list[tuple[Any, ...]]:
        db = connect(app.services.config.database)
        await db.open()
        try:
            return [tuple(row) for row in await db.fetchall(sql, params)]
        finally:
            await db.close()

    # A loop of its own on a thread of its own: the caller's loop is running.
    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, read()).result()


def table_names(app: App) -> list[str]:
    """The app's tables, read apart: the schema's own, without the backend's bookkeeping.

    SQLite keeps the schema version in `PRAGMA user_version`; the PostgreSQL migration runner in
    a table `schema_version` of its own, left out here as SQLite has no such table.
    """
    if app.db.dialect == "postgresql":
        sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'"
            " ORDER BY table_name"
        )
    else:
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    return [str(name) for (name,) in read_apart(app, sql)]


def has_button(prefix: str) -> Callable[[SentMessage], bool]:
    """The message carries a button whose payload starts with `prefix`."""
    return lambda message: any(data.startswith(prefix) for _, data in message.buttons())


@dataclass
class TelegramUser:
    """One Telegram user driving the bot through the fake Bot API, step by step."""

    fake: FakeBotApi
    user_id: int

    async def until(self, after: int, done: Callable[[SentMessage], bool]) -> list[SentMessage]:
        """Wait for new messages until the newest satisfies `done`; returns all new ones."""
        count = 1
        while True:
            messages = await self.fake.wait_for_next(self.user_id, after=after, count=count)
            if done(messages[-1]):
                return messages
            count = len(messages) + 1

    async def press(self, data: str, expect: str) -> list[SentMessage]:
        """Press an inline button; wait for a message with a button starting with `expect`."""
        mark = self.fake.mark(self.user_id)
        self.fake.push_callback(self.user_id, data)
        return await self.until(mark, has_button(expect))

    async def type_text(self, text: str, expect: str) -> list[SentMessage]:
        """Type a message; wait for a message with a button starting with `expect`."""
        mark = self.fake.mark(self.user_id)
        self.fake.push_message(self.user_id, text)
        return await self.until(mark, has_button(expect))
