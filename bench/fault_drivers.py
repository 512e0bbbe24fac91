"""Fault drivers: real bot subprocesses on 127.0.0.1, bursts, `kill -9`, restarts, and the tally.

Shared by the fault suite (`tests/faults/`) and its benchmark (`python -m bench.faults`); no
pytest here. Everything is measured from outside, through the CLI (`python -m bot ...`) and the
fakes' records, so the same drivers measure any checkout (`root`): they never import the bot's
code to run it, only the fakes (which live in the checkout that holds this module).

A burst is `users` users writing `per_user` messages each. Every message is one of
:data:`ROTATION`: commands and one question whose replies are single, deterministic and told
apart by a marker, so the fake's records show for each message whether it was answered, how
often, and in which order. User `u` writes the rotation starting at `u % len(ROTATION)`, so a
user never repeats a message (`per_user <= len(ROTATION)`).

Scenarios (each returns a :class:`Outcome`):

- :func:`polling_burst`: `python -m bot run` long-polls the fake Bot API; the burst is queued
  at once; the process is killed at a random moment, restarted on the same database.
- :func:`webhook_burst`: `run --webhook --port P`; each user's updates are POSTed one after the
  other (as Telegram keeps a chat in order), every user at once, each retried until it gets
  200 (as Telegram retries what did not get a 2xx).
- :func:`zalo_burst`: `run --channels zalo_oa`: signed `user_send_text` events, same retries.
- :func:`two_processes`: two webhook processes on one database file, every update POSTed to
  both; and a question handed over to the officers, confirmed in both at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.telegram_api import FakeBotApi, make_callback_update, make_message_update
from tests.fakes.zalo_api import FakeZalo, oa_text_event, sign_event, zalo_settings

__all__ = [
    "ROOT",
    "ROTATION",
    "TOKEN",
    "BotProcess",
    "Outcome",
    "Probe",
    "Tally",
    "classify",
    "file_modes",
    "leaks",
    "polling_burst",
    "tally",
    "two_processes",
    "webhook_burst",
    "zalo_burst",
]

ROOT = Path(os.environ.get("FAULT_ROOT") or Path(__file__).resolve().parents[1])
"""The checkout to run the bot from by default: `FAULT_ROOT`, else the one holding this module
(`FAULT_ROOT=<a worktree of an older commit> pytest -m faults` measures that commit)."""

TOKEN = "7012345678:AAHk3vQ9xZ_Lm-2pR8sT4uV6wX0yB1cD5eF"  # noqa: S105 (shaped like a real one)
WEBHOOK_SECRET = "fault-suite-webhook-secret-4f2a"  # noqa: S105 (test value)
OFFICER_ID = 9000
"""Telegram id of the officer of the wards the scenarios add."""
WARD = "20257"
"""Phường Hòa Cường, Thành phố Đà Nẵng: the ward the scenarios serve."""
OTHER_WARD = "20242"
"""Phường Hải Châu, Thành phố Đà Nẵng: a second ward, for cross-ward checks."""

NAMES = (
    "Nguyễn Thị Lan",
    "Trần Văn Bình",
    "Lê Thị Hồng",
    "Phạm Minh Tuấn",
    "Hoàng Thị Mai",
    "Võ Văn Hùng",
    "Đặng Thị Thu",
    "Bùi Quang Huy",
)
"""Residents' names (Telegram sends the first name in every update; no log may hold one)."""

_ENV_PREFIXES = ("ZALO_", "TELEGRAM_", "WEBHOOK_", "HTTP_", "DATABASE_", "DEMO_")


@dataclass(frozen=True)
class Probe:
    """A message whose reply is single and recognisable.

    Attributes:
        text: What the user sends.
        markers: Pieces of the reply's text (one of them is in it) that no other probe's reply
            has before it in :data:`ROTATION` order (see :func:`classify`).
    """

    text: str
    markers: tuple[str, ...]


ROTATION: tuple[Probe, ...] = (
    Probe("/help", ("Tôi có thể giúp bạn các việc sau",)),
    Probe("/start", ("Tôi là Trợ lý Giảm nghèo",)),
    Probe("/menu", ("Bạn cần gì?",)),
    Probe("/cancel", ("Không có thao tác nào đang làm",)),
    Probe("/baomat", ("Bảo vệ dữ liệu cá nhân",)),
    Probe("/ketqua", ("Bạn chưa lưu kết quả tự kiểm tra",)),
    Probe("/trangthai", ("Bạn chưa có hồ sơ đăng ký thoát nghèo",)),
    Probe("/tracuu", ("kèm số biên nhận",)),
    Probe("/minhbach", ("Minh bạch Quỹ", "Chưa có đợt vận động nào")),  # demo ward / none
    Probe("hộ cận nghèo là gì", ("Hộ cận nghèo là hộ có thu nhập",)),
)
"""Stateless messages with distinct replies (none starts a flow); `/start` before `/menu`:
both greet with "Bạn cần gì?", only `/start` introduces the assistant."""


def classify(text: str) -> int | None:
    """The index in :data:`ROTATION` of the probe whose reply `text` is (None: no probe's)."""
    for index, probe in enumerate(ROTATION):
        if any(marker in text for marker in probe.markers):
            return index
    return None


# --------------------------------------------------------------------------------- tally


@dataclass
class Tally:
    """What a scenario's fake saw, against what the users sent.

    Attributes:
        inputs: Updates the users sent (each counted once, however often it was retried).
        attempts: Deliveries tried (POSTs, retries included; the polled updates for polling).
        handled: Updates answered at least once.
        lost: Updates never answered.
        duplicates: Replies beyond the first to one update.
        order_violations: Users whose replies came in another order than their messages.
        unexpected: Replies that are no probe's reply.
        faults: `kill -9`s injected.
        survived: Restarts that came up and answered a fresh message.
        lost_users: `(user, probe index)` of each update never answered (first ones).
        duplicated: `(user, probe index, times answered)` of each update answered twice or more.
        disordered: `(user, expected order, order answered)` of each user out of order.
    """

    inputs: int = 0
    attempts: int = 0
    handled: int = 0
    lost: int = 0
    duplicates: int = 0
    order_violations: int = 0
    unexpected: int = 0
    faults: int = 0
    survived: int = 0
    lost_users: list[tuple[str, int]] = field(default_factory=list)
    duplicated: list[tuple[str, int, int]] = field(default_factory=list)
    disordered: list[tuple[str, list[int], list[int]]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Add `other`'s counts (and its examples) to this tally."""
        for name in (
            "inputs",
            "attempts",
            "handled",
            "lost",
            "duplicates",
            "order_violations",
            "unexpected",
            "faults",
            "survived",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lost_users.extend(other.lost_users)
        self.duplicated.extend(other.duplicated)
        self.disordered.extend(other.disordered)

    def summary(self) -> str:
        """One line with the counts and the first examples, for assertion messages."""
        return (
            f"inputs={self.inputs} handled={self.handled} lost={self.lost} "
            f"duplicates={self.duplicates} order_violations={self.order_violations} "
            f"unexpected={self.unexpected} faults={self.faults} survived={self.survived}; "
            f"lost e.g. {self.lost_users[:5]}; duplicated e.g. {self.duplicated[:5]}; "
            f"out of order e.g. {self.disordered[:2]}"
        )


def tally(expected: Mapping[str, Sequence[int]], observed: Mapping[str, Sequence[str]]) -> Tally:
    """Compare each user's replies (texts, in the order sent) with the probes they sent.

    Args:
        expected: Per user, the indices in :data:`ROTATION` of the probes sent, in order.
        observed: Per user, the texts of the replies the fake recorded, in order.

    Returns:
        The counts (`faults` and `survived` left at 0).
    """
    result = Tally(inputs=sum(len(sent) for sent in expected.values()))
    for user, sent in expected.items():
        got = [classify(text) for text in observed.get(user, ())]
        result.unexpected += sum(1 for index in got if index is None or index not in sent)
        answered = [index for index in got if index is not None and index in sent]
        for index in sent:
            times = answered.count(index)
            if times == 0:
                result.lost += 1
                result.lost_users.append((user, index))
            else:
                result.handled += 1
            if times > 1:
                result.duplicates += times - 1
                result.duplicated.append((user, index, times))
        first_seen = list(dict.fromkeys(answered))
        in_order = [index for index in sent if index in first_seen]
        if first_seen != in_order:
            result.order_violations += 1
            result.disordered.append((user, in_order, first_seen))
    return result


def resent_across_kills(
    records: Sequence[tuple[str, str]], cuts: Sequence[int], users: Iterable[str]
) -> dict[str, int]:
    """Per user, the duplicate replies that are a copy re-sent after a kill.

    A reply whose first copy reached the fake before a kill and the next one after it was in
    flight when the process died: neither Bot API has an idempotent send, so a process that
    delivers at least once sends it again on restart. A duplicate with no kill between its
    copies is a message handled (or delivered) twice by a running process.

    Args:
        records: `(user, text)` of every message the fake recorded, in order.
        cuts: How many records there were at each kill.
        users: The burst's users.

    Returns:
        Users with at least one such copy, and how many.
    """
    wanted = set(users)
    positions: dict[tuple[str, int], list[int]] = {}
    for number, (user, text) in enumerate(records):
        index = classify(text)
        if user in wanted and index is not None:
            positions.setdefault((user, index), []).append(number)
    across: dict[str, int] = {}
    for (user, _), seen in positions.items():
        for before, after in itertools.pairwise(seen):
            if any(before < cut <= after for cut in cuts):
                across[user] = across.get(user, 0) + 1
    return across


def burst_plan(users: int, per_user: int, *, first_user: int) -> dict[str, list[int]]:
    """Per user id (as text), the probes the user sends, in order."""
    if per_user > len(ROTATION):
        raise ValueError(f"per_user is at most {len(ROTATION)} (one message per probe)")
    return {
        str(first_user + u): [(u + k) % len(ROTATION) for k in range(per_user)]
        for u in range(users)
    }


# ------------------------------------------------------------------------------ processes


def _workdir(work: Path) -> None:
    """Create the scenario's folder (the database's folder is the bot's to create)."""
    work.mkdir(parents=True, exist_ok=True)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(root: Path, **settings: str) -> dict[str, str]:
    """The environment of a bot process: ours without the bot's settings, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_ENV_PREFIXES)}
    env.update(PYTHONPATH=str(root), PYTHONUNBUFFERED="1", **settings)
    return env


class BotProcess:
    """One `python -m bot ...` subprocess; started again and again on the same log file."""

    def __init__(
        self,
        root: Path,
        args: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        *,
        verbosity: str = "-vv",
    ) -> None:
        self.root = root
        self.command = [sys.executable, "-m", "bot", *([verbosity] if verbosity else []), *args]
        self.env = dict(env)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        """The process runs."""
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start the process (appending to its log), under umask 022 like a usual shell."""
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts + 1}\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=self.root,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                umask=0o022,
            )
        self.starts += 1

    async def kill9(self) -> None:
        """`kill -9` the process and reap it."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, grace: float = 20.0) -> int | None:
        """SIGINT, then SIGKILL after `grace` seconds; the exit code."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                process.send_signal(signal.SIGKILL)
                await process.wait()
        return process.returncode

    def log(self) -> str:
        """The whole log so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


async def wait_until(
    check: Callable[[], bool], within: float, *, alive: Callable[[], bool] | None = None
) -> bool:
    """Poll `check` every 50 ms for `within` seconds; False on time-out or once `alive` fails."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        if alive is not None and not alive():
            return False
        await asyncio.sleep(0.05)
    return check()


async def wait_http(port: int, process: BotProcess, within: float = 30.0) -> bool:
    """Wait until something answers HTTP on `port` (the bot listens once its channels run)."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline and process.alive:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    await response.read()
                    return True
            await asyncio.sleep(0.1)
    return False


async def settle(
    count: Callable[[], int],
    expected: int,
    *,
    done: Callable[[], bool],
    quiet: float = 5.0,
    extra: float = 1.0,
    cap: float = 45.0,
) -> None:
    """Wait for the replies: `expected` of them (then `extra` s for duplicates), or silence.

    Returns once `done()` holds and either `count()` reached `expected` (after `extra` more
    seconds) or it did not change for `quiet` seconds; after `cap` seconds in any case.
    """
    start = last_change = time.monotonic()
    last = count()
    while time.monotonic() - start < cap:
        await asyncio.sleep(0.1)
        now, current = time.monotonic(), count()
        if current != last:
            last, last_change = current, now
        if not done():
            continue
        if current >= expected:
            await asyncio.sleep(extra)
            return
        if now - last_change >= quiet:
            return


async def migrate(root: Path, db: Path, env: Mapping[str, str], log_path: Path) -> None:
    """`db migrate`, `ward add` the two wards, and make :data:`OFFICER_ID` the first's officer."""
    steps = (
        ["db", "migrate"],
        ["ward", "add", WARD],
        ["ward", "add", OTHER_WARD],
        ["officer", "add", "telegram", str(OFFICER_ID), "--ward", WARD],
    )
    for step in steps:
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--db",
                str(db),
                *step,
                cwd=root,
                env=dict(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                umask=0o022,
            )
            code = await process.wait()
        if code != 0:
            raise RuntimeError(f"`giamngheo {' '.join(step)}` failed ({code}); see {log_path}")


# ------------------------------------------------------------------------------ outcomes


@dataclass
class Outcome:
    """One scenario run.

    Attributes:
        name: Scenario name.
        tally: The counts.
        logs: The bot processes' log files.
        db: The database file.
        seed: The random seed (kill moments).
        notes: Anything else measured (name → value).
        replies: Per user of the burst, the texts the bot sent, in order.
    """

    name: str
    tally: Tally
    logs: list[Path]
    db: Path
    seed: int
    notes: dict[str, Any] = field(default_factory=dict)
    replies: dict[str, list[str]] = field(default_factory=dict)

    def problems(self, *, order: bool = True, kills: bool = True) -> list[str]:
        """What went wrong, one line each (empty: nothing lost, doubled, reordered or leaked).

        Args:
            order: Count replies out of order as a problem.
            kills: The run injected faults: every restart must have come up and served.
        """
        t = self.tally
        found: list[str] = []
        if kills and t.survived < t.faults:
            found.append(f"{t.faults - t.survived} of {t.faults} restarts did not serve")
        if t.lost:
            found.append(f"{t.lost} of {t.inputs} updates lost, e.g. {t.lost_users[:6]}")
        if self.notes.get("confirmed_unhandled"):
            found.append(
                f"{self.notes['confirmed_unhandled']} updates confirmed to the Bot API "
                f"(offset {self.notes.get('confirmed_at_kill')} at the kill) never handled"
            )
        found.extend(self._duplicate_problems())
        if order and t.order_violations:
            found.append(
                f"{t.order_violations} users got replies out of order, e.g. {t.disordered[:2]}"
            )
        if t.unexpected:
            found.append(f"{t.unexpected} replies matching no message sent")
        if self.notes.get("undelivered"):
            found.append(f"{self.notes['undelivered']} updates never got a 200")
        found.extend(self._privacy_problems())
        if found:
            found.insert(0, f"{self.name}, seed {self.seed}:")
        return found

    def _duplicate_problems(self) -> list[str]:
        """Duplicates beyond the replies in flight at a kill (see `resent_across_kills`)."""
        t = self.tally
        found: list[str] = []
        resent: dict[str, int] = self.notes.get("resent_after_kill") or {}
        twice = t.duplicates - sum(resent.values())
        if twice:
            found.append(
                f"{twice} duplicate replies with no kill between the copies (handled or sent "
                f"twice by a running process), e.g. {t.duplicated[:6]}"
            )
        over = {user: n for user, n in resent.items() if n > t.faults}
        if over:
            found.append(
                f"more copies re-sent after a kill than kills ({t.faults}) for users {over}: "
                "only the reply in flight at a kill may go out again"
            )
        return found

    def _privacy_problems(self) -> list[str]:
        """Secrets or names in the logs; database files not 0600 in a 0700 folder."""
        found: list[str] = []
        for log in self.logs:
            leaked = leaks(log.read_text(encoding="utf-8", errors="replace"))
            if leaked:
                found.append(f"{log.name} holds {leaked[:5]}")
        modes = self.notes.get("modes") or {}
        wrong = {
            name: mode
            for name, mode in modes.items()
            if mode != ("0o700" if name == "folder" else "0o600")
        }
        if wrong:
            found.append(f"file modes {wrong} (folder 0o700, files 0o600 wanted)")
        return found


def telegram_replies(fake: FakeBotApi, users: Iterable[str]) -> dict[str, list[str]]:
    """Per user, the texts the bot sent to the user's chat (new messages and edits)."""
    return {user: [m.plain_text for m in fake.messages_to(int(user))] for user in users}


def zalo_replies(fake: FakeZalo, users: Iterable[str]) -> dict[str, list[str]]:
    """Per user, the texts the bot sent the user through the OA API."""
    wanted = set(users)
    result: dict[str, list[str]] = {user: [] for user in wanted}
    for message in fake.oa_sent:
        if message.user_id in wanted:
            result[message.user_id].append(message.text)
    return result


@dataclass(frozen=True)
class Kill:
    """When to `kill -9`.

    Attributes:
        at: Seconds after the burst's start (after the previous restart, for a later kill), at
            the latest.
        share: Earlier, once this share of the replies arrived (so that a kill lands mid-burst
            however fast the bot is).
    """

    at: float
    share: float


def kill_plan(rng: random.Random, kills: int) -> list[Kill]:
    """`kills` kills: each 0.3–1.5 s after the start (or restart) before it, or earlier.

    A kill comes earlier once a share of the replies arrived: 10–90 %, growing kill by kill.
    """
    shares = sorted(rng.uniform(0.1, 0.9) for _ in range(kills))
    return [Kill(rng.uniform(0.3, 1.5), share) for share in shares]


async def _kill_and_restart(
    bot: BotProcess,
    plan: Sequence[Kill],
    ready: Callable[[], Awaitable[bool]],
    progress: Callable[[], float],
    on_kill: Callable[[], object] | None = None,
) -> tuple[int, list[tuple[float, float]]]:
    """Kill `bot` as `plan` says and restart it each time.

    Returns:
        The restarts that came up, and for each kill (seconds after the burst's start, share
        of the replies in by then).
    """
    began = since = time.monotonic()
    came_up = 0
    moments: list[tuple[float, float]] = []
    for kill in plan:

        def due(kill: Kill = kill, since: float = since) -> bool:
            return progress() >= kill.share or time.monotonic() - since >= kill.at

        await wait_until(due, kill.at + 1.0)
        moments.append((round(time.monotonic() - began, 2), round(progress(), 2)))
        await bot.kill9()
        if on_kill is not None:
            on_kill()
        await bot.start()
        if await ready():
            came_up += 1
        since = time.monotonic()
    return came_up, moments


# --------------------------------------------------------------------------- the drivers


class Poster:
    """POSTs updates the way Telegram (or Zalo) would: each retried until it gets 200."""

    def __init__(self, *, connections: int = 40, deadline: float = 60.0) -> None:
        self.connections = connections
        self.deadline = deadline
        self.attempts = 0
        self.statuses: dict[int, int] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Poster:
        connector = aiohttp.TCPConnector(limit=self.connections, force_close=False)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post_once(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """One POST; its status, or 0 when the connection failed."""
        assert self._session is not None
        self.attempts += 1
        try:
            async with self._session.post(url, data=body, headers=dict(headers)) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            status = 0
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status

    async def deliver(self, url: str, body: bytes, headers: Mapping[str, str]) -> bool:
        """POST until 200 (back-off 0.05 s, growing to 0.5 s); False past the deadline."""
        deadline = time.monotonic() + self.deadline
        pause = 0.05
        while time.monotonic() < deadline:
            if await self.post_once(url, body, headers) == 200:
                return True
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        return False


def telegram_headers() -> dict[str, str]:
    """Headers of a Telegram webhook request with the right secret."""
    return {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}


def telegram_updates(
    plan: Mapping[str, Sequence[int]], *, first_update: int
) -> dict[str, list[bytes]]:
    """Per user, the JSON bodies of the user's message updates (ids unique in the burst)."""
    bodies: dict[str, list[bytes]] = {}
    update_id = first_update
    for number, (user, probes) in enumerate(plan.items()):
        bodies[user] = []
        for message_id, index in enumerate(probes, start=1):
            update = make_message_update(
                int(user),
                ROTATION[index].text,
                message_id=message_id,
                first_name=NAMES[number % len(NAMES)],
                update_id=update_id,
            )
            update_id += 1
            bodies[user].append(json.dumps(update).encode())
    return bodies


async def _feed(
    poster: Poster, per_user: Mapping[str, Sequence[tuple[str, bytes, Mapping[str, str]]]]
) -> int:
    """Every user's requests at once, each user's one after the other; the ones not delivered."""

    async def one_user(requests: Sequence[tuple[str, bytes, Mapping[str, str]]]) -> int:
        failed = 0
        for url, body, headers in requests:
            if not await poster.deliver(url, body, headers):
                failed += 1
        return failed

    results = await asyncio.gather(*(one_user(requests) for requests in per_user.values()))
    return sum(results)


async def polling_burst(
    work: Path,
    *,
    root: Path = ROOT,
    seed: int = 1,
    users: int = 40,
    per_user: int = 10,
    kills: int = 1,
    verbosity: str = "-vv",
) -> Outcome:
    """Long polling: queue the burst, kill -9 at random moments, restart, wait for quiet.

    Besides the tally, `notes["confirmed_unhandled"]` counts the updates the getUpdates offset
    had confirmed at a kill (Telegram forgets them) that were never answered.
    """
    rng = random.Random(seed)
    _workdir(work)
    db = work / "data" / "bot.sqlite3"
    log_path = work / "polling.log"
    plan = burst_plan(users, per_user, first_user=100_001)
    async with FakeBotApi(token=TOKEN) as fake:
        env = base_env(
            root, DEMO_DATA="1", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url
        )
        bot = BotProcess(root, ["--db", str(db), "run"], env, log_path, verbosity=verbosity)

        async def ready() -> bool:
            polls = fake.call_counts["getupdates"]
            return await wait_until(
                lambda: fake.call_counts["getupdates"] > polls, 30, alive=lambda: bot.alive
            )

        await bot.start()
        try:
            if not await ready():
                raise RuntimeError(f"the bot did not start polling; see {log_path}")
            update_ids: dict[tuple[str, int], int] = {}
            for number, (user, probes) in enumerate(plan.items()):
                for index in probes:
                    fake.push_message(
                        int(user), ROTATION[index].text, first_name=NAMES[number % len(NAMES)]
                    )
                    update_ids[(user, index)] = fake._next_update_id - 1
            confirmed_at_kill: list[int] = []
            cuts: list[int] = []
            total = users * per_user

            def answered() -> int:
                return sum(
                    1
                    for m in fake.sent
                    if m.chat_id > 100_000 and classify(m.plain_text) is not None
                )

            def on_kill() -> None:
                confirmed_at_kill.append(fake.confirmed_offset)
                cuts.append(len(fake.sent))

            came_up, moments = await _kill_and_restart(
                bot, kill_plan(rng, kills), ready, lambda: answered() / total, on_kill=on_kill
            )
            await settle(
                answered, total, done=lambda: fake.pending_updates == 0, cap=30 + total / 20
            )
            result = tally(plan, telegram_replies(fake, plan))
            modes = file_modes(db)
            fake.push_message(999_999, "/help", first_name="Kiểm Tra")
            served = await wait_until(lambda: bool(fake.messages_to(999_999)), 20)
        finally:
            await bot.stop()
    result.faults = kills
    result.survived = came_up if served else 0
    result.attempts = total
    lost = set(result.lost_users)
    horizon = max(confirmed_at_kill, default=0)
    notes = {
        "confirmed_unhandled": sum(
            1 for key, update_id in update_ids.items() if update_id < horizon and key in lost
        ),
        "confirmed_at_kill": confirmed_at_kill,
        "kills": moments,
        "resent_after_kill": resent_across_kills(
            [(str(m.chat_id), m.plain_text) for m in fake.sent], cuts, plan
        ),
        "modes": modes,
    }
    replies = telegram_replies(fake, plan)
    return Outcome("telegram polling", result, [log_path], db, seed, notes, replies)


async def webhook_burst(
    work: Path,
    *,
    root: Path = ROOT,
    seed: int = 1,
    users: int = 40,
    per_user: int = 10,
    kills: int = 1,
    verbosity: str = "-vv",
) -> Outcome:
    """Telegram webhook: POST the burst (retried until 200), kill -9 mid-burst, restart."""
    rng = random.Random(seed)
    _workdir(work)
    db = work / "data" / "bot.sqlite3"
    log_path = work / "webhook.log"
    plan = burst_plan(users, per_user, first_user=200_001)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with FakeBotApi(token=TOKEN) as fake, Poster() as poster:
        env = base_env(
            root,
            DEMO_DATA="1",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        args = ["--db", str(db), "run", "--webhook", "--port", str(port)]
        bot = BotProcess(root, args, env, log_path, verbosity=verbosity)
        await bot.start()
        try:
            if not await wait_http(port, bot):
                raise RuntimeError(f"the webhook did not come up; see {log_path}")
            bodies = telegram_updates(plan, first_update=1)
            headers = telegram_headers()
            requests = {
                user: [(url, body, headers) for body in user_bodies]
                for user, user_bodies in bodies.items()
            }
            total = users * per_user

            def answered() -> int:
                return sum(
                    1
                    for m in fake.sent
                    if m.chat_id > 200_000 and classify(m.plain_text) is not None
                )

            feeding = asyncio.create_task(_feed(poster, requests))
            cuts: list[int] = []
            came_up, moments = await _kill_and_restart(
                bot,
                kill_plan(rng, kills),
                lambda: wait_http(port, bot),
                lambda: answered() / total,
                on_kill=lambda: cuts.append(len(fake.sent)),
            )
            undelivered = await feeding
            await settle(answered, total, done=lambda: True, cap=30 + total / 20)
            result = tally(plan, telegram_replies(fake, plan))
            modes = file_modes(db)
            probe = make_message_update(999_998, "/help", first_name="Kiểm Tra", update_id=10**6)
            await poster.deliver(url, json.dumps(probe).encode(), headers)
            served = await wait_until(lambda: bool(fake.messages_to(999_998)), 20)
        finally:
            await bot.stop()
    result.faults = kills
    result.survived = came_up if served else 0
    result.attempts = poster.attempts
    notes = {
        "undelivered": undelivered,
        "statuses": dict(poster.statuses),
        "kills": moments,
        "resent_after_kill": resent_across_kills(
            [(str(m.chat_id), m.plain_text) for m in fake.sent], cuts, plan
        ),
        "modes": modes,
    }
    replies = telegram_replies(fake, plan)
    return Outcome("telegram webhook", result, [log_path], db, seed, notes, replies)


def zalo_event(
    fake: FakeZalo, user: str, text: str, msg_id: str, *, age_days: float = 0
) -> tuple[bytes, dict[str, str]]:
    """A signed `user_send_text` event (its body and headers), `age_days` old."""
    event = oa_text_event(fake.app_id, user, text, msg_id)
    if age_days:
        event["timestamp"] = str(int((time.time() - age_days * 86_400) * 1000))
    body = json.dumps(event).encode()
    signature = sign_event(fake.app_id, fake.secret_key, body, str(event["timestamp"]))
    return body, {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}


async def zalo_burst(
    work: Path,
    *,
    root: Path = ROOT,
    seed: int = 1,
    users: int = 40,
    per_user: int = 10,
    kills: int = 1,
    verbosity: str = "-vv",
) -> Outcome:
    """Zalo OA webhook: signed events POSTed (retried until 200), kill -9 mid-burst, restart."""
    rng = random.Random(seed)
    _workdir(work)
    db = work / "data" / "bot.sqlite3"
    log_path = work / "zalo.log"
    plan = burst_plan(users, per_user, first_user=300_001)
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/oa"
    async with FakeZalo() as fake, Poster() as poster:
        env = base_env(root, DEMO_DATA="1", **zalo_settings(fake, HTTP_PORT=str(port)))
        args = ["--db", str(db), "run", "--channels", "zalo_oa"]
        bot = BotProcess(root, args, env, log_path, verbosity=verbosity)
        await bot.start()
        try:
            if not await wait_http(port, bot):
                raise RuntimeError(f"the Zalo webhook did not come up; see {log_path}")
            requests: dict[str, list[tuple[str, bytes, Mapping[str, str]]]] = {}
            for user, probes in plan.items():
                requests[user] = []
                for number, index in enumerate(probes, start=1):
                    body, headers = zalo_event(fake, user, ROTATION[index].text, f"{user}-{number}")
                    requests[user].append((url, body, headers))
            total = users * per_user

            def answered() -> int:
                return sum(1 for m in fake.oa_sent if classify(m.text) is not None)

            feeding = asyncio.create_task(_feed(poster, requests))
            cuts: list[int] = []
            came_up, moments = await _kill_and_restart(
                bot,
                kill_plan(rng, kills),
                lambda: wait_http(port, bot),
                lambda: answered() / total,
                on_kill=lambda: cuts.append(len(fake.oa_sent)),
            )
            undelivered = await feeding
            await settle(answered, total, done=lambda: True, cap=30 + total / 20)
            result = tally(plan, zalo_replies(fake, plan))
            modes = file_modes(db)
            body, headers = zalo_event(fake, "999997", "/help", "probe-1")
            await poster.deliver(url, body, headers)
            served = await wait_until(lambda: any(m.user_id == "999997" for m in fake.oa_sent), 20)
        finally:
            await bot.stop()
    result.faults = kills
    result.survived = came_up if served else 0
    result.attempts = poster.attempts
    notes = {
        "undelivered": undelivered,
        "statuses": dict(poster.statuses),
        "kills": moments,
        "resent_after_kill": resent_across_kills(
            [(m.user_id, m.text) for m in fake.oa_sent], cuts, plan
        ),
        "modes": modes,
    }
    replies = zalo_replies(fake, plan)
    return Outcome("zalo oa webhook", result, [log_path], db, seed, notes, replies)


def _callback_body(
    fake: FakeBotApi, user: int, data: str, callback_id: str, update_id: int
) -> bytes:
    """A callback query update pressing `data` on the bot's last message to `user`."""
    last = fake.last_message_to(user)
    message = {
        "message_id": last.message_id if last is not None else 1,
        "date": int(time.time()),
        "chat": {"id": user, "type": "private", "first_name": "Test"},
        "from": {"id": fake.bot_id, "is_bot": True, "first_name": "Bot"},
        "text": "",
    }
    update = make_callback_update(
        user, data, message=message, callback_id=callback_id, update_id=update_id
    )
    return json.dumps(update).encode()


async def _handover(
    fake: FakeBotApi,
    poster: Poster,
    urls: Sequence[str],
    user: int,
    question: str,
    *,
    ward_id: str = WARD,
) -> tuple[bool, str]:
    """Walk `user` through /hoicanbo on the first process; confirm on every one at once.

    Returns:
        Whether the confirm button was reached, and a note on where it stopped otherwise.
    """
    headers = telegram_headers()
    first = urls[0]
    ids = iter(range(2_000_000 + user % 1000 * 100, 2_000_100 + user % 1000 * 100))

    async def say(text: str, message_id: int) -> None:
        update = make_message_update(user, text, message_id=message_id, update_id=next(ids))
        await poster.deliver(first, json.dumps(update).encode(), headers)

    def buttons() -> list[tuple[str, str]]:
        last = fake.last_message_to(user)
        return last.buttons() if last is not None else []

    async def replies_after(count: int) -> bool:
        return await wait_until(lambda: len(fake.messages_to(user)) > count, 15)

    count = len(fake.messages_to(user))
    await say("/hoicanbo", 1)
    if not await replies_after(count):
        return False, "no reply to /hoicanbo"
    count = len(fake.messages_to(user))
    await say(question, 2)
    if not await replies_after(count):
        return False, "no reply to the question"
    for step in range(3):
        payloads = [data for _, data in buttons()]
        ward = next(
            (data for data in payloads if data.startswith("faqh:w:") and data.endswith(ward_id)),
            None,
        )
        if "faqh:send" in payloads:
            body = _callback_body(fake, user, "faqh:send", f"send-{user}", next(ids))
            results = await asyncio.gather(*(poster.deliver(url, body, headers) for url in urls))
            return all(results), ""
        if ward is None:
            return False, f"no ward or send button at step {step}: {payloads}"
        count = len(fake.messages_to(user))
        body = _callback_body(fake, user, ward, f"ward-{user}-{step}", next(ids))
        await poster.deliver(first, body, headers)
        if not await replies_after(count):
            return False, "no reply to the ward button"
    return False, "the flow did not reach the send button"


async def two_processes(
    work: Path,
    *,
    root: Path = ROOT,
    seed: int = 1,
    users: int = 20,
    per_user: int = 10,
    verbosity: str = "-vv",
) -> Outcome:
    """Two webhook processes on one database, every update POSTed to both (a redelivery).

    `notes["officer_notices"]` counts the officer's messages carrying the handed-over question
    (goal 1), `notes["handover"]` says whether the flow reached the confirm button.
    """
    _workdir(work)
    db = work / "data" / "bot.sqlite3"
    logs = [work / "two-a.log", work / "two-b.log"]
    plan = burst_plan(users, per_user, first_user=400_001)
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    question = "Cho hỏi hồ sơ thoát nghèo cần những giấy tờ gì ạ"
    async with FakeBotApi(token=TOKEN) as fake, Poster() as poster:
        env = base_env(
            root,
            DEMO_DATA="0",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        await migrate(root, db, env, work / "migrate.log")
        bots = [
            BotProcess(
                root,
                ["--db", str(db), "run", "--webhook", "--port", str(port)],
                env,
                log,
                verbosity=verbosity,
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        for bot in bots:
            await bot.start()
        try:
            for bot, port in zip(bots, ports, strict=True):
                if not await wait_http(port, bot):
                    raise RuntimeError(f"a webhook did not come up; see {bot.log_path}")
            bodies = telegram_updates(plan, first_update=1)
            headers = telegram_headers()
            # each user's update goes to both processes at once, then the user's next one
            paired = {
                user: [(urls, body) for body in user_bodies] for user, user_bodies in bodies.items()
            }

            async def one_user(items: Sequence[tuple[Sequence[str], bytes]]) -> None:
                for targets, body in items:
                    await asyncio.gather(*(poster.deliver(u, body, headers) for u in targets))

            await asyncio.gather(*(one_user(items) for items in paired.values()))
            total = users * per_user

            def answered() -> int:
                return sum(
                    1
                    for m in fake.sent
                    if m.chat_id > 400_000 and classify(m.plain_text) is not None
                )

            await settle(answered, total, done=lambda: True, cap=30 + total / 20)
            result = tally(plan, telegram_replies(fake, plan))
            reached, where = await _handover(fake, poster, urls, 499_999, question)

            def notices() -> int:
                return sum(1 for m in fake.messages_to(OFFICER_ID) if question in m.plain_text)

            if reached:
                await wait_until(lambda: notices() > 0, 15)
                await asyncio.sleep(4.0)  # outbox rounds of both processes
            alive = [bot.alive for bot in bots]
        finally:
            for bot in bots:
                await bot.stop()
    result.attempts = poster.attempts
    notes = {
        "officer_notices": notices(),
        "officer_texts": [m.plain_text[:120] for m in fake.messages_to(OFFICER_ID)],
        "unexpected_texts": [
            m.plain_text[:80]
            for m in fake.sent
            if m.chat_id > 400_000 and classify(m.plain_text) is None
        ][:5],
        "handover": reached,
        "handover_stopped": where,
        "alive": alive,
        "statuses": dict(poster.statuses),
    }
    replies = telegram_replies(fake, plan)
    return Outcome("two processes, one database", result, logs, db, seed, notes, replies)


# ------------------------------------------------------------------------------- privacy

_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


def leaks(log: str, extra: Iterable[str] = ()) -> list[str]:
    """What of the token, a 12-digit number, the residents' names or `extra` a log holds."""
    found: list[str] = []
    secret_part = TOKEN.split(":", 1)[1]
    for value in (TOKEN, secret_part, WEBHOOK_SECRET, *NAMES, *extra):
        if value and value in log:
            found.append(value)
    found.extend(sorted(set(_TWELVE_DIGITS.findall(log))))
    return found


def file_modes(db: Path) -> dict[str, str]:
    """The octal modes of the database's folder and of its files (-wal, -shm when present)."""
    modes = {"folder": oct(db.parent.stat().st_mode & 0o777)}
    for suffix in ("", "-wal", "-shm"):
        path = db.with_name(db.name + suffix)
        if path.exists():
            modes[path.name] = oct(path.stat().st_mode & 0o777)
    return modes


# ------------------------------------------------------------------ forged and malformed

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)
"""A letter only Vietnamese text has (a reply in Vietnamese has some)."""

MALFORMED_MARKER = "MALFORMED-7Q9-0905123456"
"""Text inside the malformed webhook body (no log may hold it)."""

FORGED_PAYLOADS = (
    "x" * 65,  # over Telegram's 64 bytes
    "zz:unknown:7",
    "faqo:a:1",  # an officer's button, pressed by a resident
    "faqo:a:²",
    "faqo:a:①",
    "faqo:a:١",
    "menu:²",
    "reg:wd:①",
)
"""Callback data no honest button carries."""

ODD_DIGITS = ("²", "①", "١")
"""Digits that are not ASCII, typed where buttons are offered."""


@dataclass
class Probed:
    """What one forged or malformed input got.

    Attributes:
        what: The input.
        status: HTTP status of its delivery (0: the connection failed).
        replies: Texts the bot sent in answer.
    """

    what: str
    status: int
    replies: list[str]

    @property
    def vietnamese(self) -> bool:
        """Some reply is Vietnamese text."""
        return any(VIETNAMESE.search(text) for text in self.replies)


async def _press(
    fake: FakeBotApi, poster: Poster, url: str, user: int, body: bytes, wait: float = 8.0
) -> tuple[int, list[str]]:
    """POST one update once; its status and the texts the user got within `wait` s."""
    before = len(fake.messages_to(user))
    status = await poster.post_once(url, body, telegram_headers())
    await wait_until(lambda: len(fake.messages_to(user)) > before, wait)
    await asyncio.sleep(0.3)
    return status, [m.plain_text for m in fake.messages_to(user)[before:]]


async def forged_inputs(
    work: Path, *, root: Path = ROOT, seed: int = 1, verbosity: str = "-vv"
) -> Outcome:
    """Forged callbacks, odd digits, a malformed body (Telegram webhook); an old Zalo event.

    `notes`: `malformed` (status of a malformed update with the right secret), `forged` and
    `typed` (:class:`Probed` each), `cross_ward` (an officer pressing another ward's question),
    `zalo_old` (status, replies) and `zalo_fresh` (replies to a fresh event of the same user),
    `alive` and `served` (the processes kept serving).
    """
    _workdir(work)
    db = work / "data" / "bot.sqlite3"
    logs = [work / "forged-telegram.log", work / "forged-zalo.log"]
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    notes: dict[str, Any] = {}
    question = "Cho hỏi phường Hải Châu khi nào rà soát hộ nghèo ạ"
    async with FakeBotApi(token=TOKEN) as fake, Poster(deadline=15) as poster:
        env = base_env(
            root,
            DEMO_DATA="0",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        await migrate(root, db, env, work / "migrate.log")
        args = ["--db", str(db), "run", "--webhook", "--port", str(port)]
        bot = BotProcess(root, args, env, logs[0], verbosity=verbosity)
        await bot.start()
        try:
            if not await wait_http(port, bot):
                raise RuntimeError(f"the webhook did not come up; see {logs[0]}")
            malformed = {
                "update_id": 77,
                "message": {
                    "message_id": "abc",
                    "chat": MALFORMED_MARKER,
                    "text": MALFORMED_MARKER,
                },
            }
            notes["malformed"] = await poster.post_once(
                url, json.dumps(malformed).encode(), telegram_headers()
            )
            resident, officer = 500_001, OFFICER_ID
            reached, where = await _handover(
                fake, poster, [url], 500_002, question, ward_id=OTHER_WARD
            )
            notes["handover"] = reached or where
            update_id = iter(range(3_000_000, 3_001_000))
            menu = make_message_update(resident, "/menu", message_id=1, update_id=next(update_id))
            await _press(fake, poster, url, resident, json.dumps(menu).encode())
            forged: list[Probed] = []
            for number, data in enumerate(FORGED_PAYLOADS):
                body = _callback_body(fake, resident, data, f"forged-{number}", next(update_id))
                status, replies = await _press(fake, poster, url, resident, body)
                forged.append(Probed(data, status, replies))
            typed: list[Probed] = []
            for number, digit in enumerate(ODD_DIGITS, start=2):
                menu = make_message_update(
                    resident, "/menu", message_id=number * 2, update_id=next(update_id)
                )
                await _press(fake, poster, url, resident, json.dumps(menu).encode())
                text = make_message_update(
                    resident, digit, message_id=number * 2 + 1, update_id=next(update_id)
                )
                status, replies = await _press(
                    fake, poster, url, resident, json.dumps(text).encode()
                )
                typed.append(Probed(digit, status, replies))
            notes["forged"], notes["typed"] = forged, typed
            opened = _callback_body(fake, officer, "faqi:open", "inbox-1", next(update_id))
            await _press(fake, poster, url, officer, opened)
            pick = _callback_body(fake, officer, "faqo:a:1", "cross-1", next(update_id))
            status, replies = await _press(fake, poster, url, officer, pick)
            notes["cross_ward"] = Probed("faqo:a:1 (Hải Châu's question)", status, replies)
            notes["cross_ward_leak"] = any(question in text for text in replies)
            final = make_message_update(resident, "/help", message_id=99, update_id=next(update_id))
            status, replies = await _press(fake, poster, url, resident, json.dumps(final).encode())
            notes["served"] = any(classify(text) == 0 for text in replies)
            notes["alive"] = bot.alive
        finally:
            await bot.stop()
        notes["malformed_logged"] = MALFORMED_MARKER in bot.log() or "0905123456" in bot.log()
    await _old_zalo_event(work, root, logs[1], notes, verbosity)
    return Outcome("forged and malformed", Tally(), logs, db, seed, notes)


async def _old_zalo_event(
    work: Path, root: Path, log_path: Path, notes: dict[str, Any], verbosity: str
) -> None:
    """A correctly signed Zalo event 400 days old, then a fresh one from the same user."""
    db = work / "data" / "zalo.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/oa"
    async with FakeZalo() as fake, Poster(deadline=15) as poster:
        env = base_env(root, DEMO_DATA="1", **zalo_settings(fake, HTTP_PORT=str(port)))
        args = ["--db", str(db), "run", "--channels", "zalo_oa"]
        bot = BotProcess(root, args, env, log_path, verbosity=verbosity)
        await bot.start()
        try:
            if not await wait_http(port, bot):
                raise RuntimeError(f"the Zalo webhook did not come up; see {log_path}")
            body, headers = zalo_event(fake, "zold-1", "/help", "old-1", age_days=400)
            status = await poster.post_once(url, body, headers)
            await asyncio.sleep(2.0)
            notes["zalo_old"] = (status, [m.text for m in fake.oa_sent if m.user_id == "zold-1"])
            body, headers = zalo_event(fake, "zold-1", "/help", "fresh-1")
            await poster.deliver(url, body, headers)
            await wait_until(lambda: any(m.user_id == "zold-1" for m in fake.oa_sent), 10)
            notes["zalo_fresh"] = [m.text for m in fake.oa_sent if m.user_id == "zold-1"]
        finally:
            await bot.stop()


# ------------------------------------------------------------------------ personal data

CCCDS = ("079123456789", "001198012345")
PHONES = ("0905 123 456", "0912345678", "+84 935 111 222")


def personal_texts() -> list[str]:
    """Messages carrying names, ID-card numbers and phones, as residents do write them."""
    return [
        f"tôi tên {NAMES[0]}, căn cước {CCCDS[0]}, sđt {PHONES[0]}, chuẩn hộ nghèo là bao nhiêu",
        f"Tôi là {NAMES[1]}, CCCD {CCCDS[1]}, gọi {PHONES[1]} giúp tôi",
        f"{NAMES[2]} {PHONES[2]} hộ cận nghèo là gì",
    ]


def personal_values() -> list[str]:
    """Every personal value :func:`personal_texts` carries, in the forms a log could show."""
    phones = [*PHONES, *(phone.replace(" ", "") for phone in PHONES)]
    return [*NAMES, *CCCDS, *phones, "Nguyễn"]


async def personal_data_runs(
    work: Path, *, root: Path = ROOT, verbosity: str = "-vv"
) -> dict[str, tuple[Path, int]]:
    """Residents send personal data over polling, the webhook and Zalo OA, at `verbosity`.

    Returns:
        Per channel, its log file and the number of replies the residents got.
    """
    _workdir(work)
    texts = personal_texts()
    result: dict[str, tuple[Path, int]] = {}
    async with FakeBotApi(token=TOKEN) as fake:
        env = base_env(
            root, DEMO_DATA="1", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url
        )
        log_path = work / "pii-polling.log"
        bot = BotProcess(
            root,
            ["--db", str(work / "data" / "p.sqlite3"), "run"],
            env,
            log_path,
            verbosity=verbosity,
        )
        await bot.start()
        try:
            for number, text in enumerate(texts):
                fake.push_message(600_001 + number, text, first_name=NAMES[number])
            await wait_until(
                lambda: all(fake.messages_to(600_001 + n) for n in range(len(texts))), 30
            )
            result["telegram polling"] = (
                log_path,
                sum(len(fake.messages_to(600_001 + n)) for n in range(len(texts))),
            )
        finally:
            await bot.stop()
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram"
        log_path = work / "pii-webhook.log"
        hook_env = {**env, "WEBHOOK_SECRET": WEBHOOK_SECRET}
        args = ["--db", str(work / "data" / "w.sqlite3"), "run", "--webhook", "--port", str(port)]
        bot = BotProcess(root, args, hook_env, log_path, verbosity=verbosity)
        await bot.start()
        try:
            await wait_http(port, bot)
            async with Poster(deadline=15) as poster:
                for number, text in enumerate(texts):
                    update = make_message_update(
                        610_001 + number, text, first_name=NAMES[number], update_id=number + 1
                    )
                    await poster.deliver(url, json.dumps(update).encode(), telegram_headers())
            await wait_until(
                lambda: all(fake.messages_to(610_001 + n) for n in range(len(texts))), 30
            )
            result["telegram webhook"] = (
                log_path,
                sum(len(fake.messages_to(610_001 + n)) for n in range(len(texts))),
            )
        finally:
            await bot.stop()
    async with FakeZalo() as zalo, Poster(deadline=15) as poster:
        port = free_port()
        url = f"http://127.0.0.1:{port}/zalo/oa"
        log_path = work / "pii-zalo.log"
        env = base_env(root, DEMO_DATA="1", **zalo_settings(zalo, HTTP_PORT=str(port)))
        args = ["--db", str(work / "data" / "z.sqlite3"), "run", "--channels", "zalo_oa"]
        bot = BotProcess(root, args, env, log_path, verbosity=verbosity)
        await bot.start()
        try:
            await wait_http(port, bot)
            for number, text in enumerate(texts):
                body, headers = zalo_event(zalo, f"zp{number}", text, f"pii-{number}")
                await poster.deliver(url, body, headers)
            await wait_until(lambda: len({m.user_id for m in zalo.oa_sent}) >= len(texts), 30)
            result["zalo oa"] = (log_path, len(zalo.oa_sent))
        finally:
            await bot.stop()
    return result
