"""The channel contract: what every channel offers the process that serves it.

A channel turns a platform's updates into `Inbound`s for the dispatcher and the dispatcher's
`Reply`s into platform messages. The serving loop (`bot.serve.serve`) knows no channel by
name: it asks each `ChannelSpec` for its missing settings, builds the channel with its
factory, `start`s it on the shared HTTP server, and `stop`s it on shutdown.

Every channel stores what it receives through the `Intake` before acknowledging it (see
`bot.core.intake`), answers through `deliver_or_queue` (a reply it could not send goes to the
durable outbox) and raises only the errors below from `send_one`, so the outbox worker and the
answering path treat every platform alike:

- `RecipientBlocked`: the user blocked the bot or left; nothing more is sent or queued.
- `RateLimited`: the platform refused for now (after the client's own retries).
- `ChannelError`: any other failure; the reply is queued and retried by the outbox worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.core.config import Config, ConfigError
from bot.core.errors import ChannelError, RecipientBlocked
from bot.core.types import Reply

if TYPE_CHECKING:
    from bot.core.dispatcher import Dispatcher
    from bot.core.intake import Intake
    from bot.http_server import HttpServer

__all__ = [
    "Channel",
    "ChannelContext",
    "ChannelError",
    "ChannelNotConfigured",
    "ChannelSpec",
    "ClientSettings",
    "RateLimited",
    "RecipientBlocked",
]


class RateLimited(ChannelError):
    """The platform asked us to slow down and the client's retries did not get through."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelNotConfigured(ConfigError):
    """A channel was asked for (`--channels`) but its settings are missing."""

    def __init__(self, channel: str, missing: Sequence[str]) -> None:
        keys = ", ".join(missing)
        super().__init__(
            f"kênh {channel} thiếu cấu hình {keys} (xem .env.example)"
            f" / channel {channel} needs {keys}"
        )
        self.channel = channel
        self.missing = tuple(missing)


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How a channel's HTTP client waits and retries; tests inject small values.

    Attributes:
        timeout: Seconds for one API call.
        retries: Retries of a transient failure (5xx, timeout, rate limit) before giving up.
        backoff: Seconds before the first retry; doubled for each further one.
        poll_backoff: Seconds before polling again after a failed long poll; doubled per
            failure up to `poll_backoff_max`.
        poll_backoff_max: The longest wait between failed long polls.
        poll_timeout: Seconds one long poll waits for updates.
        max_rate: Messages per second a client sends at most (0: no limit).
        shared_rate: `max_rate` is the bot's, shared by every worker on the database (reserved
            in it, `storage.send_rate`), not this process's alone.
    """

    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    poll_backoff: float = 0.5
    poll_backoff_max: float = 30.0
    poll_timeout: int = 30
    max_rate: float = 30.0
    shared_rate: bool = False


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel factory builds from: settings, dispatcher, inbox intake, client settings."""

    config: Config
    dispatcher: Dispatcher
    intake: Intake
    client: ClientSettings = field(default_factory=ClientSettings)


@runtime_checkable
class Channel(Protocol):
    """One messaging platform, served in this process."""

    name: str

    async def start(self, server: HttpServer) -> None:
        """Connect; then long-poll in the background, or add webhook routes to `server`.

        Called before `server` starts listening, so routes can still be added.
        """
        ...

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand and close the connections."""
        ...

    async def send_one(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply; raise `RecipientBlocked`, `RateLimited` or `ChannelError`."""
        ...

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver replies in order (the outbox worker's entry); raises as `send_one`."""
        ...


ChannelFactory = Callable[[ChannelContext], Channel]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel's name, the settings it cannot run without, and its factory.

    Attributes:
        name: The name used in `--channels` and stored with every user and session.
        required: Each required setting's environment key and how to read it from `Config`.
        create: Builds the (not yet started) channel.
        polls: Whether, with these settings, it long-polls (then only one process may serve it:
            a platform hands each update to one poller per token).
    """

    name: str
    required: Mapping[str, Callable[[Config], object]]
    create: ChannelFactory
    polls: Callable[[Config], bool] = lambda config: False

    def missing(self, config: Config) -> list[str]:
        """Environment keys of the required settings that are empty in `config`."""
        return [key for key, read in self.required.items() if not read(config)]

    def check(self, config: Config) -> None:
        """Raise `ChannelNotConfigured` when a required setting is missing."""
        missing = self.missing(config)
        if missing:
            raise ChannelNotConfigured(self.name, missing)

    def build(self, context: ChannelContext) -> Channel:
        """Check the settings, then build the channel."""
        self.check(context.config)
        return self.create(context)
