"""The durable intake on a real SQLite file: order per user, exactly once, crash recovery."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import App
from bot.core.dispatcher import Dispatcher
from bot.core.intake import Intake, incoming, stored_inbound
from bot.core.registry import Command, Registry
from bot.core.turn import Turn
from bot.core.types import Inbound, Reply
from storage import inbox
from storage.inbox import MAX_ATTEMPTS, Incoming, Stored
from tests.harness import Chat, FakeClock, make_officer, new_app

CHANNEL = "test"


async def _echo(turn: Turn) -> list[Reply]:
    """`/echo N`: replies "echo N" after a random pause, so users finish out of step."""
    await asyncio.sleep(random.random() / 200)
    return [Reply(f"echo {turn.argument}")]


def _install(registry: Registry, dispatcher: Dispatcher) -> None:
    del dispatcher
    registry.add_command(Command(("/echo",), _echo, takes_argument=True))


@dataclass
class Recorder:
    """A channel that delivers into a list per chat (with a random pause per delivery)."""

    name: str = CHANNEL
    delivered: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    poison: str = "\x00never"
    broken: str = "\x00never"  # a reply text whose delivery raises

    async def prepare(self, item: Stored) -> Inbound:
        inbound = stored_inbound(item)
        if inbound.text == self.poison:
            raise RuntimeError("cannot read this update")
        return inbound

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        await asyncio.sleep(random.random() / 500)
        if any(reply.text == self.broken for reply in replies):
            raise RuntimeError("the channel broke")
        self.delivered[item.user_id].extend(reply.text for reply in replies)


def _item(app: App, user: str, text: str, message: str) -> Incoming:
    inbound = Inbound(CHANNEL, user, user, message, app.services.clock(), text=text)
    return incoming(inbound)


async def _started(app: App, recorder: Recorder, **options: float) -> Intake:
    intake = Intake(app.dispatcher, sweep_interval=options.get("sweep", 2.0))
    intake.attach(recorder)
    await intake.start()
    return intake


@pytest.fixture
async def echo_app(tmp_path: Path, clock: FakeClock) -> App:
    """The real app with an `/echo` command, on a fresh file."""
    return await new_app(tmp_path / "intake.sqlite3", clock, extensions=[_install])


async def test_each_users_replies_arrive_in_order_whatever_the_concurrency(echo_app: App) -> None:
    """60 users × 6 messages, stored in interleaved batches: each user's replies in order, once."""
    app = echo_app
    recorder = Recorder()
    intake = await _started(app, recorder)
    try:
        users = [f"u{n}" for n in range(60)]
        for step in range(6):
            batch = [_item(app, user, f"/echo {step}", f"{user}-{step}") for user in users]
            random.shuffle(batch)
            await intake.accept(batch)
            await asyncio.sleep(0)
        await intake.drain_idle(30)
    finally:
        await intake.stop()
        await app.close()
    expected = [f"echo {step}" for step in range(6)]
    assert {user: recorder.delivered[user] for user in users} == dict.fromkeys(users, expected)
    assert intake.handled == 360


async def test_a_redelivered_update_is_handled_once(echo_app: App) -> None:
    """The same update accepted three times (platform retries) gives one reply."""
    app = echo_app
    recorder = Recorder()
    intake = await _started(app, recorder)
    try:
        for _ in range(3):
            await intake.accept([_item(app, "r1", "/echo 1", "same-id")])
        await intake.drain_idle()
    finally:
        await intake.stop()
        await app.close()
    assert recorder.delivered["r1"] == ["echo 1"]


async def test_after_a_crash_stored_rows_are_handled_and_handled_rows_only_delivered(
    echo_app: App,
) -> None:
    """A dead worker's user: the handled row's stored replies go out, the rest is handled, once."""
    app = echo_app
    dead = Intake(app.dispatcher)
    await dead.start()
    await dead.stop()  # its sweeper gone; it is listed again below, then "dies"
    await app.db.write(
        lambda conn: inbox.heartbeat_in(
            conn, dead.me, now=app.services.clock(), stale_before=app.services.clock()
        )
    )
    rows = await app.db.write(
        lambda conn: inbox.store_in(
            conn,
            [_item(app, "c1", f"/echo {n}", f"c1-{n}") for n in range(3)],
            worker=dead.me.id,
            now=app.services.clock(),
        )
    )
    [first] = rows
    # The dead worker had handled the first row (its final transaction committed), not sent it.
    replies = await app.dispatcher.handle(stored_inbound(first), inbox_id=first.id)
    assert [reply.text for reply in replies] == ["echo 0"]
    await app.db.write(lambda conn: inbox.leave_in(conn, dead.me))  # kill -9: its claim lapses

    recorder = Recorder()
    survivor = await _started(app, recorder)
    try:
        assert await survivor.sweep() == 1
        await survivor.drain_idle()
    finally:
        await survivor.stop()
        await app.close()
    assert recorder.delivered["c1"] == ["echo 0", "echo 1", "echo 2"]
    assert survivor.handled == 2  # the first was not handled again


async def test_an_unreadable_update_is_retried_then_apologised_for(echo_app: App) -> None:
    """An error outside the dispatcher: retried by the sweep, then one apology; others go on."""
    app = echo_app
    recorder = Recorder(poison="/echo poison")
    intake = await _started(app, recorder, sweep=0.05)
    try:
        await intake.accept([_item(app, "p1", "/echo poison", "p1-1")])
        await intake.accept([_item(app, "p1", "/echo after", "p1-2")])
        await intake.accept([_item(app, "p2", "/echo fine", "p2-1")])
        for _ in range(200):
            if len(recorder.delivered["p1"]) >= 2:
                break
            await asyncio.sleep(0.05)
        await intake.drain_idle()
        attempts = await app.db.fetchone("SELECT attempts FROM inbox WHERE message_id = 'p1-1'")
    finally:
        await intake.stop()
        await app.close()
    assert recorder.delivered["p2"] == ["echo fine"]
    apology, after = recorder.delivered["p1"]
    assert "mã" in apology.lower() or "ref" in apology.lower()
    assert after == "echo after"  # the user's next message was not lost behind it
    assert attempts is not None and attempts[0] == MAX_ATTEMPTS


async def test_a_channel_that_raises_in_delivery_does_not_hold_the_user(echo_app: App) -> None:
    """A delivery that raises is logged; the row is closed and the user's next one handled."""
    app = echo_app
    recorder = Recorder(broken="echo boom")
    intake = await _started(app, recorder)
    try:
        await intake.accept([_item(app, "b1", "/echo boom", "b1-1")])
        await intake.accept([_item(app, "b1", "/echo next", "b1-2")])
        await intake.drain_idle()
        open_rows = await app.db.fetchone("SELECT count(*) FROM inbox WHERE delivered_at IS NULL")
    finally:
        await intake.stop()
        await app.close()
    assert recorder.delivered["b1"] == ["echo next"]
    assert open_rows is not None and open_rows[0] == 0


async def test_two_processes_on_one_file_handle_a_message_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Two apps (two connections, two workers) both receive each of 40 updates: 40 replies."""
    path = tmp_path / "shared.sqlite3"
    first = await new_app(path, clock, extensions=[_install])
    second = await new_app(path, clock, extensions=[_install])
    recorders = [Recorder(), Recorder()]
    intakes = [
        await _started(first, recorders[0], sweep=0.1),
        await _started(second, recorders[1], sweep=0.1),
    ]
    try:
        for n in range(40):
            user = f"s{n % 8}"
            items = [_item(first, user, f"/echo {n}", f"shared-{n}")]
            await asyncio.gather(*(intake.accept(items) for intake in intakes))
        for _ in range(100):
            await asyncio.gather(*(intake.drain_idle() for intake in intakes))
            open_rows = await first.db.fetchone(
                "SELECT count(*) FROM inbox WHERE delivered_at IS NULL"
            )
            if open_rows is not None and open_rows[0] == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        for intake in intakes:
            await intake.stop()
        await first.close()
        await second.close()
    per_user: dict[str, list[str]] = defaultdict(list)
    for recorder in recorders:
        for user, texts in recorder.delivered.items():
            per_user[user].extend(texts)
    assert sum(len(texts) for texts in per_user.values()) == 40
    for user, texts in per_user.items():
        wanted = [f"echo {n}" for n in range(40) if f"s{n % 8}" == user]
        assert sorted(texts, key=lambda t: int(t.split()[1])) == wanted
    assert sum(intake.handled for intake in intakes) == 40


async def test_a_handover_handled_twice_is_stored_and_sent_to_officers_once(
    app: App, clock: FakeClock
) -> None:
    """A "Gửi" re-handled after a crash (session not yet saved): one question, one notice."""
    officer = Chat(app, "officer-k")
    await officer.send("/start")
    await make_officer(app, officer)
    chat = Chat(app, "asker-k")
    await chat.send("/hoicanbo")
    await chat.send("Hộ tôi có được vay vốn không")
    await chat.tap("Hòa Cường")
    saved = await app.db.fetchone("SELECT data, step FROM sessions WHERE user_id = 'asker-k'")
    assert saved is not None and saved["step"] == "confirm"
    await chat.press("faqh:send")
    # The crash: the question and its notices committed, the session save did not.
    await app.db.execute(
        "UPDATE sessions SET flow = 'faqh', step = 'confirm', data = ? WHERE user_id = 'asker-k'",
        (saved["data"],),
    )
    clock.advance(seconds=1)
    await chat.press("faqh:send")
    questions = await app.db.fetchone("SELECT count(*) FROM handover_questions")
    notices = await app.db.fetchone(
        "SELECT count(*) FROM outbox WHERE chat_id = 'officer-k' AND subject_user_id IS NOT NULL"
    )
    assert questions is not None and questions[0] == 1
    assert notices is not None and notices[0] == 1
