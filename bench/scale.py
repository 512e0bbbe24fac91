"""Throughput through 1, 2 and 4 workers on PostgreSQL and 1 process on SQLite, one run.

`python -m bench.scale [--users 100 --rounds 2]` starts a throwaway PostgreSQL
(tests/pgserver.py) and a fake Bot API on 127.0.0.1, then for each setup a fresh database and
`giamngheo run --channels telegram` by webhook (`--workers N` on PostgreSQL). Every user sends
`tests.test_workers.TEXTS` `--rounds` times, one message at a time (the next once the first
message of the answer arrived); all users at once. It prints updates/s, p50/p95/p99 latency
(webhook POST to the answer's first message), order violations, lost and duplicated replies
(each user's replies against a control user's, sent alone first), CPU seconds per update of
the worker processes together, of the PostgreSQL server and of this process (the load), and
the transactions PostgreSQL rolled back (a step run again after a conflict is one). Then the
ratios the issue names: 2 workers / 1 worker in updates/s, CPU per update of 4 workers / 1
worker, and PostgreSQL 1 worker / SQLite. Also, as `pg1q`, one worker with a quarter of the
users, to compare four workers with one at the same load per worker; and the ceiling of 2
workers on this machine (every core busy at their CPU per update) against 1 worker.
`--repeat K` runs the whole sequence K times and prints each ratio of each run (always within
one run) with their median; `--only pg1,sqlite` runs some setups.

Everything shares the machine's cores: the bot's processes, PostgreSQL and the load (this
process, with the fake API). The figures that carry are the ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import psutil

from tests.fakes.telegram_api import FakeBotApi, make_message_update
from tests.pgserver import ThrowawayPostgres
from tests.test_workers import (
    ROOT,
    SECRET,
    TEXTS,
    deliver,
    free_port,
    ready,
    stop,
    texts_sent,
)


@dataclass
class Figures:
    """One setup's measures."""

    name: str
    updates: int
    seconds: float
    latencies: list[float]
    order_violations: int
    lost: int
    duplicated: int
    cpu_seconds: float
    server_cpu_seconds: float
    """CPU of the PostgreSQL server (every backend) over the same span (0 on SQLite)."""
    load_cpu_seconds: float
    """CPU of this process (the fake Bot API and the load) over the same span."""
    rollbacks: int = 0
    """Transactions PostgreSQL rolled back in the setup's database (each step run again after a
    conflict is one), from `pg_stat_database` once the bot has stopped."""

    @property
    def per_second(self) -> float:
        """Updates per second."""
        return self.updates / self.seconds

    @property
    def ceiling(self) -> float:
        """Updates/s if every core of the machine did nothing else, at this setup's CPU costs.

        The bot's, PostgreSQL's and the load's CPU per update together, into the cores there
        are (they all share them).
        """
        total = self.cpu_seconds + self.server_cpu_seconds + self.load_cpu_seconds
        return (os.cpu_count() or 1) * self.updates / total

    @property
    def cpu_per_update_ms(self) -> float:
        """CPU milliseconds of the bot's processes per update."""
        return 1000 * self.cpu_seconds / self.updates

    def line(self) -> str:
        """The printed row."""
        q = statistics.quantiles(self.latencies, n=100)
        return (
            f"{self.name:<14} {self.per_second:8.1f} {1000 * q[49]:7.1f} {1000 * q[94]:7.1f}"
            f" {1000 * q[98]:7.1f} {self.order_violations:6d} {self.lost:5d} {self.duplicated:5d}"
            f" {self.cpu_per_update_ms:9.2f} {1000 * self.server_cpu_seconds / self.updates:8.2f}"
            f" {1000 * self.load_cpu_seconds / self.updates:8.2f} {self.rollbacks:9d}"
        )


def _processes(parent: psutil.Process, workers: int) -> list[psutil.Process]:
    return parent.children() if workers > 1 else [parent]


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def _server_cpu(pid: int | None) -> float:
    """The PostgreSQL server's CPU so far: the postmaster, its live backends, the ended ones."""
    if pid is None:
        return 0.0
    postmaster = psutil.Process(pid)
    times = postmaster.cpu_times()
    ended = times.children_user + times.children_system
    return _cpu([postmaster, *postmaster.children()]) + ended


def _load_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


async def run_setup(
    name: str,
    fake: FakeBotApi,
    database: dict[str, str],
    workers: int,
    *,
    users: int,
    rounds: int,
    first_user: int,
    server_pid: int | None = None,
) -> Figures:
    """Start the bot with `database`, drive the load, stop it; the figures."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="scale-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "DEMO_DATA": "0",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "WEBHOOK_SECRET": SECRET,
        "HTTP_LISTEN": "127.0.0.1",
        "HTTP_PORT": str(port),
        **database,
    }
    command = [sys.executable, "-m", "bot", "run", "--channels", "telegram"]
    command += ["--workers", str(workers), "--max-rate", "0"]
    process = subprocess.Popen(command, cwd=folder, env=env, stderr=subprocess.DEVNULL)  # noqa: ASYNC220 - started once per setup, not timed
    parent = psutil.Process(process.pid)
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        await ready(port, lambda: len(_processes(parent, workers)) == workers)
        control = first_user - 1
        for n, text in enumerate(TEXTS):
            mark = fake.mark(control)
            await deliver(url, make_message_update(control, text, message_id=n + 1, update_id=n))
            await fake.wait_for_next(control, after=mark, count=1, timeout=60)
            await asyncio.sleep(0.5)
        expected = texts_sent(fake, control) * rounds
        first_of = len(texts_sent(fake, control)) // len(TEXTS)
        cpu_before = _cpu(_processes(parent, workers))
        server_before, load_before = _server_cpu(server_pid), _load_cpu()
        latencies: list[float] = []

        async def user(user_id: int) -> None:
            sequence = [text for _ in range(rounds) for text in TEXTS]
            for n, text in enumerate(sequence):
                mark = fake.mark(user_id)
                started = time.perf_counter()
                update = make_message_update(
                    user_id, text, message_id=n + 1, update_id=user_id * 100 + n
                )
                await deliver(url, update)
                await fake.wait_for_next(user_id, after=mark, count=1, timeout=120)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(user(first_user + i) for i in range(users)))
        seconds = time.perf_counter() - started
        cpu_seconds = _cpu(_processes(parent, workers)) - cpu_before
        server_cpu = _server_cpu(server_pid) - server_before
        load_cpu = _load_cpu() - load_before
        await asyncio.sleep(2 + first_of)  # the answers' last messages, and any duplicate
        order = lost = duplicated = 0
        for i in range(users):
            got = texts_sent(fake, first_user + i)
            lost += max(0, len(expected) - len(got))
            duplicated += max(0, len(got) - len(expected))
            order += int(got != expected and len(got) == len(expected))
        return Figures(
            name,
            users * len(TEXTS) * rounds,
            seconds,
            latencies,
            order,
            lost,
            duplicated,
            cpu_seconds,
            server_cpu,
            load_cpu,
        )
    finally:
        stop(process)


SETUPS = {
    "sqlite": ("sqlite 1", 0, 1),
    "pg1": ("postgresql 1", 1, 1),
    "pg2": ("postgresql 2", 2, 1),
    "pg4": ("postgresql 4", 4, 1),
    "pg1q": ("postgresql 1 ¼", 1, 4),
}
"""The setups by their `--only` name: the printed name, the workers (0: SQLite, one process)
and the share of `--users` (4: a quarter of them, so one worker gets what each of four gets)."""


async def main_async(users: int, rounds: int, only: list[str], repeat: int) -> list[Run]:
    """The setups named in `only`, `repeat` times over, each on a fresh database."""
    runs: list[Run] = []
    with ThrowawayPostgres() as server:
        async with FakeBotApi() as fake:
            index = 0
            for _ in range(repeat):
                run: Run = {}
                for key in only:
                    index += 1
                    name, workers, share = SETUPS[key]
                    database = {}
                    if workers:
                        database = {"DATABASE_URL": server.create_database(f"scale_{index}")}
                    figures = await run_setup(
                        name,
                        fake,
                        database,
                        max(workers, 1),
                        users=max(users // share, 1),
                        rounds=rounds,
                        first_user=1_000_000 * index,
                        server_pid=server.server_pid(),
                    )
                    if workers:
                        figures.rollbacks = int(
                            server.psql(
                                "SELECT xact_rollback FROM pg_stat_database"
                                f" WHERE datname = 'scale_{index}'"
                            ).strip()
                        )
                    print(figures.line(), flush=True)
                    run[key] = figures
                runs.append(run)
    return runs


Run = dict[str, Figures]
"""One repetition's figures, by setup."""


Ratio = tuple[tuple[str, str], Callable[[Run], float]]
"""The two setups a ratio needs, and the ratio within one run."""


def _ratio(top: str, bottom: str, measure: Callable[[Figures], float]) -> Ratio:
    return (top, bottom), lambda run: measure(run[top]) / measure(run[bottom])


_updates = attrgetter("per_second")
_cpu_ms = attrgetter("cpu_per_update_ms")

RATIOS: list[tuple[str, Ratio, str]] = [
    ("2 workers / 1 worker, updates/s", _ratio("pg2", "pg1", _updates), ">= 1.3"),
    ("4 workers / 1 worker, CPU per update", _ratio("pg4", "pg1", _cpu_ms), "<= 1.25"),
    (
        "4 workers / 1 worker at the same load per worker, CPU per update",
        _ratio("pg4", "pg1q", _cpu_ms),
        "",
    ),
    ("PostgreSQL 1 worker / SQLite, updates/s", _ratio("pg1", "sqlite", _updates), ">= 0.7"),
    (
        "2 workers at most (all cores busy at their CPU per update) / 1 worker, updates/s",
        (("pg2", "pg1"), lambda run: run["pg2"].ceiling / run["pg1"].per_second),
        "",
    ),
]
"""The ratios printed: what, the setups and the ratio, the issue's goal."""


def main() -> None:
    """Print the table and the ratios (each within one repetition; with several, their median)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--only",
        default=",".join(SETUPS),
        help="the setups to run, comma-separated (default: all of %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run every setup this many times, in turn"
    )
    args = parser.parse_args()
    only = [key.strip() for key in args.only.split(",") if key.strip()]
    unknown = sorted(set(only) - set(SETUPS))
    if unknown:
        parser.error(f"unknown setups {unknown}; known: {', '.join(SETUPS)}")
    print(
        "setup          updates/s  p50 ms  p95 ms  p99 ms  order  lost  dupl  CPU ms/upd"
        "   PG ms  load ms  rollbacks"
    )
    runs = asyncio.run(main_async(args.users, args.rounds, only, max(args.repeat, 1)))
    for label, ((top, bottom), ratio_of), goal in RATIOS:
        if top not in only or bottom not in only:
            continue
        ratios = [ratio_of(run) for run in runs]
        each = " · ".join(f"{ratio:.2f}" for ratio in ratios)
        middle = f"median {statistics.median(ratios):.2f} of runs " if len(ratios) > 1 else ""
        wanted = f" (goal {goal})" if goal else ""
        print(f"{label}: {middle}{each}{wanted}")


if __name__ == "__main__":
    main()
