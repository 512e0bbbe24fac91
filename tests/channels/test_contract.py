"""The channel contract, run against every channel: console, Telegram, Zalo OA and Zalo Bot.

Each channel is built the way `serve` builds it (its `ChannelSpec` from the composition root,
the console directly), started on a real HTTP server, and talks to its fake platform on
127.0.0.1. The same cases run for each: it is a `Channel`, `send_one` delivers, and a blocked
recipient, a rate limit or a failing platform raise the shared errors.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import CHANNELS, App
from bot.channels.base import (
    Channel,
    ChannelContext,
    ChannelError,
    ClientSettings,
    RateLimited,
    RecipientBlocked,
)
from bot.channels.console import ConsoleChannel
from bot.core.types import Choice, Reply
from bot.http_server import HttpServer
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.zalo_api import FakeZalo, zalo_settings
from tests.harness import make_config

CHAT = "7001"
NO_RETRIES = ClientSettings(timeout=5.0, retries=0, backoff=0.01, max_rate=0)
"""Client settings for the contract: a failure surfaces at once, without back-off."""

REPLY = Reply("Chào bà", (Choice("Hỏi đáp", "menu:faq"), Choice("Huỷ", "menu:cancel")))


@dataclass
class Platform:
    """A started channel and the controls of the fake platform behind it."""

    channel: Channel
    received: Callable[[], list[str]]
    """Texts the platform got for `CHAT`, in order."""
    block: Callable[[], None] | None
    """Make `CHAT` block the bot (None where a recipient cannot block)."""
    fail: Callable[[], None]
    """Make the next send fail."""
    rate_limit: Callable[[], None] | None
    """Make the next send be refused as too many requests (None without a rate limit)."""


class ClosableOutput(io.StringIO):
    """A console output that keeps its text after it is closed."""

    def close(self) -> None:
        self.kept = self.getvalue()
        super().close()


@contextlib.asynccontextmanager
async def _console(app: App, tmp_path: Path) -> AsyncIterator[Platform]:
    out = ClosableOutput()
    channel = ConsoleChannel(
        app.dispatcher, user_id=CHAT, stdin=io.StringIO(""), stdout=out, files_dir=tmp_path
    )

    def received() -> list[str]:
        text = out.kept if out.closed else out.getvalue()
        return [part for part in text.split("\n\n") if part]

    yield Platform(channel, received, None, out.close, None)


@contextlib.asynccontextmanager
async def _telegram(app: App, tmp_path: Path) -> AsyncIterator[Platform]:
    del tmp_path
    async with FakeBotApi() as fake:
        config = make_config(
            Path("unused.sqlite3"),
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_BASE_URL=fake.base_url,
        )
        channel = CHANNELS["telegram"].build(
            ChannelContext(config, app.dispatcher, app.intake, NO_RETRIES)
        )
        yield Platform(
            channel,
            lambda: [m.text or "" for m in fake.messages_to(int(CHAT))],
            lambda: fake.blocked_users.add(int(CHAT)),
            lambda: fake.fail_next("sendMessage", status=500),
            lambda: fake.fail_next("sendMessage", status=429),
        )


@contextlib.asynccontextmanager
async def _zalo(app: App, tmp_path: Path, name: str) -> AsyncIterator[Platform]:
    del tmp_path
    async with FakeZalo() as fake:
        config = make_config(Path("unused.sqlite3"), **zalo_settings(fake))
        channel = CHANNELS[name].build(
            ChannelContext(config, app.dispatcher, app.intake, NO_RETRIES)
        )
        sent = fake.oa_sent if name == "zalo_oa" else fake.bot_sent
        fail = (lambda: fake.fail_next(1)) if name == "zalo_oa" else (lambda: fake.fail_next_bot(1))
        yield Platform(
            channel,
            lambda: [m.text for m in sent],
            lambda: fake.blocked.add(CHAT),
            fail,
            lambda: fake.rate_limit_next(1),
        )


@contextlib.asynccontextmanager
async def started(name: str, app: App, tmp_path: Path) -> AsyncIterator[Platform]:
    """The channel `name`, started on a real HTTP server against its fake platform."""
    if name == "console":
        platforms = _console(app, tmp_path)
    elif name == "telegram":
        platforms = _telegram(app, tmp_path)
    else:
        platforms = _zalo(app, tmp_path, name)
    server = HttpServer("127.0.0.1", 0)
    async with platforms as made:
        await made.channel.start(server)
        await server.start()
        try:
            yield made
        finally:
            await made.channel.stop()
            await server.stop()


@pytest.fixture(params=["console", "telegram", "zalo_oa", "zalo_bot"])
async def platform(
    request: pytest.FixtureRequest, app: App, tmp_path: Path
) -> AsyncIterator[Platform]:
    """Each channel, started against its fake platform."""
    async with started(str(request.param), app, tmp_path) as made:
        yield made


@pytest.fixture(params=["telegram", "zalo_oa", "zalo_bot"])
async def remote(
    request: pytest.FixtureRequest, app: App, tmp_path: Path
) -> AsyncIterator[Platform]:
    """Each channel to a platform with recipients and rate limits (all but the console)."""
    async with started(str(request.param), app, tmp_path) as made:
        yield made


def test_every_channel_is_a_channel(platform: Platform) -> None:
    """Every channel has the protocol's name, start, stop, send_one and send."""
    assert isinstance(platform.channel, Channel)
    assert platform.channel.name in {"console", *CHANNELS}


async def test_send_one_delivers_text_and_choices(platform: Platform) -> None:
    """One reply arrives with its text (choices as buttons or numbered lines)."""
    await platform.channel.send_one(CHAT, REPLY)
    [got] = platform.received()
    assert got.startswith("Chào bà")


async def test_send_delivers_replies_in_order(platform: Platform) -> None:
    """`send` (the outbox worker's entry) delivers several replies in order."""
    await platform.channel.send(CHAT, [Reply("Một"), Reply("Hai")])
    assert [text.strip() for text in platform.received()] == ["Một", "Hai"]


async def test_a_failing_platform_raises_channel_error(platform: Platform) -> None:
    """A send the platform fails raises `ChannelError` (not the library's own error)."""
    platform.fail()
    with pytest.raises(ChannelError):
        await platform.channel.send_one(CHAT, REPLY)


async def test_a_blocked_recipient_raises_recipient_blocked(remote: Platform) -> None:
    """A recipient who blocked the bot raises `RecipientBlocked`, and nothing arrives."""
    assert remote.block is not None
    remote.block()
    with pytest.raises(RecipientBlocked):
        await remote.channel.send_one(CHAT, REPLY)
    assert remote.received() == []


async def test_a_rate_limit_raises_rate_limited(remote: Platform) -> None:
    """A "too many requests" that outlasts the client's retries raises `RateLimited`."""
    assert remote.rate_limit is not None
    remote.rate_limit()
    with pytest.raises(RateLimited):
        await remote.channel.send_one(CHAT, REPLY)
    assert remote.received() == []
    await remote.channel.send_one(CHAT, REPLY)  # the next send goes through
    assert len(remote.received()) == 1
