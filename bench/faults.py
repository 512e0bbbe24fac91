"""Fault benchmark: the fault suite's scenarios at a larger scale, several kill rounds each.

Run with ``python -m bench.faults [--root PATH] [--rounds N] [--updates N] [--kills K]``. Each
round of a burst scenario is a fresh fake server and a fresh database: `--updates` messages
from `--updates / 10` users, the bot (`python -m bot -vv`, from `--root`: PYTHONPATH and cwd set
to that checkout) killed `--kills` times mid-burst (seeded), restarted on the same file each
time; webhook deliveries retried until 200, as Telegram does. Then two webhook processes on one
database with every update POSTed to both, and the forged and malformed inputs. It prints one
table: scenario, faults injected, survived, inputs tried, handled, updates lost (goal 0),
duplicates (goal 0), order violations (users whose replies came out of order, goal 0); then
what each scenario noted. The drivers are the suite's own (`bench.fault_drivers`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.fault_drivers import (
    FORGED_PAYLOADS,
    ODD_DIGITS,
    ROOT,
    Outcome,
    Probed,
    Tally,
    forged_inputs,
    leaks,
    polling_burst,
    two_processes,
    webhook_burst,
    zalo_burst,
)

Burst = Callable[..., Awaitable[Outcome]]
BURSTS: dict[str, tuple[str, Burst]] = {
    "polling": ("Telegram polling, kill -9", polling_burst),
    "webhook": ("Telegram webhook, kill -9", webhook_burst),
    "zalo": ("Zalo OA webhook, kill -9", zalo_burst),
}
HEADER = (
    "| scenario | faults injected | survived | inputs tried | handled | lost | duplicates "
    "(in flight at a kill) | order violations |\n|---|---|---|---|---|---|---|---|"
)


def row(
    name: str,
    t: Tally,
    *,
    faults: int | None = None,
    survived: str | None = None,
    resent: int = 0,
) -> str:
    """One table row; `resent`: duplicates that are the reply in flight at a kill, sent again."""
    injected = t.faults if faults is None else faults
    alive = f"{t.survived}/{t.faults}" if survived is None else survived
    return (
        f"| {name} | {injected} | {alive} | {t.inputs} | {t.handled} | {t.lost} | "
        f"{t.duplicates} ({resent}) | {t.order_violations} |"
    )


async def run_bursts(key: str, args: argparse.Namespace, work: Path, notes: list[str]) -> str:
    """`args.rounds` rounds of one burst scenario; its row."""
    label, driver = BURSTS[key]
    total = Tally()
    resent = 0
    for number in range(args.rounds):
        seed = args.seed + number
        outcome = await driver(
            work / f"{key}-{number}",
            root=args.root,
            seed=seed,
            users=max(1, args.updates // 10),
            kills=args.kills,
            verbosity=args.verbosity,
        )
        total.add(outcome.tally)
        resent += sum((outcome.notes.get("resent_after_kill") or {}).values())
        extra = {
            k: v
            for k, v in outcome.notes.items()
            if k in {"kills", "confirmed_unhandled", "resent_after_kill"}
        }
        leaked = [name for log in outcome.logs for name in leaks(log.read_text(errors="replace"))]
        notes.append(
            f"{label}, seed {seed}: lost {outcome.tally.lost}, duplicates "
            f"{outcome.tally.duplicates}, out of order {outcome.tally.order_violations}, "
            f"unexpected {outcome.tally.unexpected}, {extra}, log leaks {leaked}, "
            f"modes {outcome.notes.get('modes')}"
        )
        print(f"  {notes[-1]}", flush=True)
    return row(f"{label} ({args.rounds}×{args.kills} kills)", total, resent=resent)


async def run_two(args: argparse.Namespace, work: Path, notes: list[str]) -> list[str]:
    """Two processes on one database; its rows (the burst, the handover)."""
    outcome = await two_processes(
        work / "two",
        root=args.root,
        seed=args.seed,
        users=max(1, args.updates // 20),
        verbosity=args.verbosity,
    )
    t = outcome.tally
    alive = sum(1 for up in outcome.notes["alive"] if up)
    notices = outcome.notes["officer_notices"]
    notes.append(
        f"two processes: {t.summary()[:300]}; handover reached {outcome.notes['handover']}, "
        f"officer notices {notices} (goal 1)"
    )
    print(f"  {notes[-1]}", flush=True)
    handover = Tally(inputs=1, handled=1 if notices else 0, lost=0 if notices else 1)
    handover.duplicates = max(0, notices - 1)
    return [
        row(
            "two processes, one database: each update to both",
            t,
            faults=t.inputs,
            survived=f"{alive}/2",
        ),
        row(
            "two processes: handover confirmed in both at once",
            handover,
            faults=1,
            survived=f"{alive}/2",
        ),
    ]


def _forged_tally(notes: dict[str, Any]) -> tuple[Tally, list[str]]:
    """Inputs tried and refused as wanted; the failures by name."""
    failures: list[str] = []
    probed: list[Probed] = [*notes["forged"], *notes["typed"], notes["cross_ward"]]
    for item in probed:
        if item.status != 200 or not item.vietnamese:
            failures.append(f"{item.what[:12]!r}: HTTP {item.status}, replies {len(item.replies)}")
    if notes["malformed"] != 400:
        failures.append(f"malformed webhook body: HTTP {notes['malformed']} (400 wanted)")
    if notes["malformed_logged"]:
        failures.append("malformed body in the log")
    status, replies = notes["zalo_old"]
    if replies:
        failures.append(f"Zalo event 400 days old: HTTP {status}, answered")
    if notes["cross_ward_leak"]:
        failures.append("another ward's question shown to an officer")
    inputs = len(probed) + 2
    return Tally(inputs=inputs, handled=inputs - len(failures)), failures


async def run_forged(args: argparse.Namespace, work: Path, notes: list[str]) -> str:
    """Forged and malformed inputs; its row (handled: refused as wanted)."""
    outcome = await forged_inputs(work / "forged", root=args.root, verbosity=args.verbosity)
    t, failures = _forged_tally(outcome.notes)
    served = 1 if outcome.notes["served"] and outcome.notes["alive"] else 0
    notes.append(
        f"forged and malformed ({len(FORGED_PAYLOADS)} callbacks, {len(ODD_DIGITS)} odd digits "
        f"typed, a malformed body, a 400-day-old Zalo event, a cross-ward press): "
        f"failures {failures or 'none'}"
    )
    print(f"  {notes[-1]}", flush=True)
    return row(
        "forged and malformed (handled: refused as wanted)",
        t,
        faults=t.inputs,
        survived=f"{served}/1",
    )


async def main_async(args: argparse.Namespace) -> None:
    """Run the scenarios asked for and print the table."""
    rows: list[str] = []
    notes: list[str] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        # a fresh folder each run: a database left by an earlier run would dedupe this one's ids
        work = Path(args.keep) / time.strftime("%Y%m%d-%H%M%S") if args.keep else Path(tmp)
        for key in args.scenarios:
            print(f"{key}…", flush=True)
            if key in BURSTS:
                rows.append(await run_bursts(key, args, work, notes))
            elif key == "two":
                rows.extend(await run_two(args, work, notes))
            elif key == "forged":
                rows.append(await run_forged(args, work, notes))
    print()
    print(
        f"root {args.root}, {args.rounds} rounds × {args.kills} kills, {args.updates} updates "
        f"per round ({max(1, args.updates // 10)} users), seed {args.seed}, {args.verbosity}, "
        f"{time.monotonic() - began:.0f} s"
    )
    print(HEADER)
    print("\n".join(rows))


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to run the bot from")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per burst scenario")
    parser.add_argument("--updates", type=int, default=1000, help="updates per round")
    parser.add_argument("--kills", type=int, default=2, help="kill -9 per round")
    parser.add_argument("--seed", type=int, default=1, help="first round's seed")
    parser.add_argument("--verbosity", default="-vv", help="the bot's -v flags ('' for none)")
    parser.add_argument("--keep", help="keep the databases and logs below this folder")
    parser.add_argument(
        "--scenarios",
        type=lambda raw: [name.strip() for name in raw.split(",") if name.strip()],
        default=["polling", "webhook", "zalo", "two", "forged"],
        help="comma-separated: polling, webhook, zalo, two, forged",
    )
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    # a kill -9 cuts the fakes' connections: aiohttp logs each, nothing to report
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
