"""Baseline throughput benchmark: a bare python-telegram-bot echo bot against the fake API.

Run ``python -m bench.echo_bot`` (defaults: 5,000 updates from 500 users) to print the
figures. :func:`run_load` is reusable: ``bench/throughput.py`` drives the real bot with it so
the two numbers are comparable.

The load model mirrors real chats: every user is a sequential conversation (it sends its next
update only after the bot replied to the previous one) and all users talk at once. A user
sends ``/start`` first, then alternates between menu commands ("menu", "xin chào", /help,
"bắt đầu") and presses of a callback button of the last message it received, each button in
turn (text again when that message has no callback button).

Latency is measured from pushing an update into the fake to the fake recording the first
message the bot sent to that chat afterwards. Peak RSS is the whole process's
(``resource.getrusage``), which includes the fake server and the load generator, so compare
it between bots run the same way rather than reading it as the bot's own footprint.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import FakeBotApi, SentMessage

CONCURRENT_UPDATES = 8
"""Updates PTB processes at once (``ApplicationBuilder().concurrent_updates``).

PTB's default (``False``) processes one update at a time for the whole bot, so every user
waits behind every other user's HTTP round trips. More is not better either: each update in
flight holds its own connection in httpx's pool, and httpcore scans every pooled connection
(a ``select`` call each) on every request, so on loopback throughput *falls* as concurrency
grows. Sweep with 5,000 updates from 500 users (echo bot, one process, this machine):
4 -> ~540 updates/s, 8 -> ~440, 16 -> ~360, 32 -> ~300, 256 -> ~170 with multi-second p95.
Against the real Telegram API each call takes ~0.1-0.3 s, so some concurrency is needed to
hide that latency: 8 in flight allow ~25-80 updates/s, above Telegram's ~30 messages/s
broadcast limit. Hence 8. PTB does not keep one user's updates in order under concurrency;
real users (and :func:`run_load`) wait for a reply before writing again. The real bot uses
the same value.
"""

POLL_TIMEOUT = 10
"""Long-polling ``timeout`` (seconds) passed to ``Updater.start_polling``."""

MENU_TEXTS: tuple[str, ...] = ("menu", "xin chào", "/help", "bắt đầu")
"""Texts users send between button presses, in turn: the ways of asking for the menu. Free-text
questions are not in this load: they measure the Q&A search (issue 3), which
``bench.retrieval`` measures on its own."""

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class Runner(Protocol):
    """A bot that receives from the fake on its own once started (ours: the inbox intake)."""

    async def start(self) -> None:
        """Start receiving and answering."""
        ...

    async def stop(self) -> None:
        """Stop, after the updates in hand."""
        ...


class PolledApplication:
    """A bare PTB application polled by its own `Updater` (the echo baseline)."""

    def __init__(self, application: AnyApplication) -> None:
        self.application = application

    async def start(self) -> None:
        """Initialise, start and poll with ``poll_interval=0, timeout=POLL_TIMEOUT``."""
        application = self.application
        await application.initialize()
        await application.start()
        if application.updater is None:
            raise RuntimeError("the application has no updater to poll with")
        await application.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)

    async def stop(self) -> None:
        """Stop polling and shut the application down."""
        application = self.application
        if application.updater is not None:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()


AppFactory = Callable[[str, str], AnyApplication | Runner]
RepliesPerUpdate = int | Callable[[str, str], int]


@dataclass
class LoadResult:
    """Figures from one :func:`run_load` run.

    Attributes:
        name: Label of the run.
        updates: Updates pushed.
        users: Distinct users.
        replied: Updates whose reply arrived in time.
        errors: Updates whose reply did not arrive within the timeout.
        elapsed_s: Wall time from the first push to the last reply.
        updates_per_s: ``replied / elapsed_s``.
        p50_ms: Median push-to-reply latency.
        p95_ms: 95th percentile latency.
        p99_ms: 99th percentile latency.
        max_ms: Worst latency.
        mean_ms: Mean latency.
        peak_rss_mb: Peak resident set size of the whole process so far, in MiB.
    """

    name: str
    updates: int
    users: int
    replied: int
    errors: int
    elapsed_s: float
    updates_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    peak_rss_mb: float

    def summary(self) -> str:
        """Format the figures on a few lines.

        Returns:
            A human-readable summary.
        """
        return (
            f"{self.name}: {self.updates} updates from {self.users} users, "
            f"{self.replied} replied, {self.errors} errors\n"
            f"  throughput {self.updates_per_s:,.0f} updates/s "
            f"({self.elapsed_s:.2f} s)\n"
            f"  latency p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms, mean {self.mean_ms:.1f} ms\n"
            f"  peak RSS {self.peak_rss_mb:.1f} MiB"
        )


def _keyboard() -> InlineKeyboardMarkup:
    """The one-button keyboard the echo bot attaches to every reply."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Lặp lại", callback_data="again")]])


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    await context.bot.send_message(message.chat_id, message.text, reply_markup=_keyboard())


async def _echo_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press and send a message."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat = update.effective_chat
    chat_id = chat.id if chat is not None else query.from_user.id
    await context.bot.send_message(chat_id, f"Bạn đã bấm: {query.data}", reply_markup=_keyboard())


def build_echo_application(
    base_url: str, token: str, *, concurrent_updates: int = CONCURRENT_UPDATES
) -> AnyApplication:
    """Build the bare python-telegram-bot echo bot used as the baseline.

    Text messages (commands included) are echoed back; callback queries are answered and
    followed by a message. Every reply carries one inline button so the load alternates
    between messages and button presses.

    Args:
        base_url: Bot API base URL without the token, e.g. ``f"{fake.url}/bot"``.
        token: Bot token.
        concurrent_updates: Updates processed at once; see :data:`CONCURRENT_UPDATES`.

    Returns:
        The application, not yet initialised.
    """
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, _echo_text))
    application.add_handler(CallbackQueryHandler(_echo_callback))
    return application


def _callback_data(message: SentMessage | None, turn: int) -> str | None:
    """``callback_data`` of one of a message's callback buttons (``turn`` picks which, in turn).

    Pressing each button in turn, rather than always the first, spreads the presses over every
    menu item of a real menu; for a one-button keyboard it is the same button every time.
    """
    if message is None or not message.reply_markup:
        return None
    found = [
        str(button["callback_data"])
        for row in message.reply_markup.get("inline_keyboard") or []
        for button in row
        if button.get("callback_data")
    ]
    return found[turn % len(found)] if found else None


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def run_load(
    fake: FakeBotApi,
    app_factory: AppFactory,
    *,
    updates: int = 5000,
    users: int = 500,
    replies_per_update: RepliesPerUpdate = 1,
    reply_timeout: float = 30.0,
    first_user_id: int = 100_000,
    texts: Sequence[str] = MENU_TEXTS,
    name: str = "echo",
) -> LoadResult:
    """Drive a bot built by ``app_factory`` with simulated users and measure it.

    The fake must be started. The bot is built with ``app_factory(fake.base_url, fake.token)``:
    a bare `Application` is polled by its `Updater` (`PolledApplication`), a `Runner` receives
    on its own; either is started first and stopped at the end.

    Args:
        fake: A started :class:`FakeBotApi`.
        app_factory: ``(base_url, token) -> Application | Runner``.
        updates: Total updates to send (spread evenly over the users).
        users: Distinct simulated users, all active at once.
        replies_per_update: How many messages one update makes the bot send (a user waits
            for all of them before its next update). Either a number or a function of
            ``(kind, payload)`` where kind is ``"text"`` or ``"callback"`` and payload the
            text or callback data. Latency is always taken at the first of them.
        reply_timeout: Seconds a user waits for a reply before counting an error.
        first_user_id: User ids are ``first_user_id .. first_user_id + users - 1``.
        texts: Texts users send between button presses.
        name: Label of the result.

    Returns:
        The measured figures.

    Raises:
        ValueError: Fewer than one user, or fewer updates than users.
        RuntimeError: The application has no updater.
    """
    if users < 1 or updates < users:
        raise ValueError("need at least one user and one update per user")
    expected: Callable[[str, str], int]
    if isinstance(replies_per_update, int):
        count = replies_per_update

        def expected(kind: str, payload: str) -> int:
            return count
    else:
        expected = replies_per_update

    per_user, extra = divmod(updates, users)
    latencies: list[float] = []
    errors = 0

    async def session(user_id: int, n_updates: int) -> None:
        nonlocal errors
        last: SentMessage | None = None
        typed = 0
        for index in range(n_updates):
            data = _callback_data(last, user_id + index // 2) if index % 2 == 0 else None
            if index == 0:
                kind, payload = "text", "/start"
            elif data is not None and last is not None:
                kind, payload = "callback", data
            else:
                kind, payload = "text", texts[typed % len(texts)]
                typed += 1
            wanted = expected(kind, payload)
            mark = fake.mark(user_id)
            pushed = time.perf_counter()
            if kind == "callback" and last is not None:
                fake.push_callback(user_id, payload, message_id=last.message_id)
            else:
                fake.push_message(user_id, payload)
            try:
                received = await fake.wait_for_next(
                    user_id, after=mark, count=wanted, timeout=reply_timeout
                )
            except AssertionError:
                errors += 1
                last = fake.last_message_to(user_id)
                continue
            latencies.append(received[0].at - pushed)
            last = received[-1]

    built = app_factory(fake.base_url, fake.token)
    runner = PolledApplication(built) if isinstance(built, Application) else built
    await runner.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(session(first_user_id + i, per_user + (1 if i < extra else 0)) for i in range(users))
        )
        elapsed = time.perf_counter() - started
    finally:
        await runner.stop()

    latencies.sort()
    millis = [value * 1000 for value in latencies]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return LoadResult(
        name=name,
        updates=updates,
        users=users,
        replied=len(latencies),
        errors=errors,
        elapsed_s=elapsed,
        updates_per_s=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=_percentile(millis, 0.50),
        p95_ms=_percentile(millis, 0.95),
        p99_ms=_percentile(millis, 0.99),
        max_ms=millis[-1] if millis else 0.0,
        mean_ms=statistics.fmean(millis) if millis else 0.0,
        peak_rss_mb=peak_kib / 1024,
    )


async def _main(updates: int, users: int, concurrent_updates: int) -> LoadResult:
    """Run the echo baseline against a fresh fake."""

    def factory(base_url: str, token: str) -> AnyApplication:
        return build_echo_application(base_url, token, concurrent_updates=concurrent_updates)

    async with FakeBotApi() as fake:
        return await run_load(fake, factory, updates=updates, users=users, name="echo")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run the echo baseline and print the figures.

    Args:
        argv: Arguments (``--updates``, ``--users``, ``--concurrent-updates``);
            ``sys.argv[1:]`` when ``None``.

    Returns:
        Exit status: 0, or 1 when some replies never arrived.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--concurrent-updates", type=int, default=CONCURRENT_UPDATES)
    args = parser.parse_args(argv)
    result = asyncio.run(_main(args.updates, args.users, args.concurrent_updates))
    print(result.summary())
    print(f"  concurrent_updates={args.concurrent_updates}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
