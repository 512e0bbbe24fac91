"""Donation ledger benchmark: 20 concurrent officers logging 10,000 gifts with durable commits.

Run with ``python -m bench.ledger [--gifts N] [--officers K]``. On a temporary SQLite file
(WAL; every commit fsynced before the caller hears back) it prints, for each way of writing:

* the ledger repository with group commit (concurrent appends share one transaction; every
  caller returns only after its batch committed);
* the ledger repository with one commit per entry (``group_commit=False``);
* raw ``sqlite3`` inserts into the same table, one commit per entry, same pragmas;

entries per second, p50/p95 latency of one append, whether the campaign total equals the sum
of what was appended, and the ratio to the raw baseline. Goal: >= 1,000 entries/s, exact totals.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from storage.db import Database
from storage.ledger import Ledger, NewEntry

WARD = "bench-ward"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


async def _prepare(path: Path) -> tuple[Database, int]:
    db = Database(path)
    await db.open()
    await db.migrate()
    await db.execute("INSERT INTO wards (id, name) VALUES (?, ?)", (WARD, "Bench"))
    campaign = await Ledger(db).create_campaign(
        ward_id=WARD,
        name="Bench",
        target=3_700_000_000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        created_by=None,
        now=NOW,
    )
    return db, campaign.id


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def run_ledger(
    path: Path, *, gifts: int, officers: int, group_commit: bool
) -> dict[str, float]:
    """Log `gifts` gifts from `officers` concurrent tasks through the repository."""
    db, campaign_id = await _prepare(path)
    ledger = Ledger(db, group_commit=group_commit)
    latencies: list[float] = []
    per_officer = gifts // officers

    async def officer(index: int) -> int:
        total = 0
        for n in range(per_officer):
            amount = 1_000 + index * 1_000 + n
            started = time.perf_counter()
            await ledger.append(
                NewEntry(
                    campaign_id=campaign_id,
                    ward_id=WARD,
                    donor_type="person",
                    donor_name="",
                    public=False,
                    amount=amount,
                    method="cash",
                    donated_on=date(2026, 11, 20),
                    recorded_by=None,
                    idempotency_key=f"{index}-{n}",
                ),
                now=NOW,
            )
            latencies.append(time.perf_counter() - started)
            total += amount
        return total

    started = time.perf_counter()
    sums = await asyncio.gather(*(officer(i) for i in range(officers)))
    elapsed = time.perf_counter() - started
    total = await ledger.total(campaign_id)
    count = await db.fetchone("SELECT COUNT(*) FROM donation_entries")
    await db.close()
    return {
        "rate": per_officer * officers / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": _percentile(latencies, 0.95) * 1000,
        "exact": float(total == sum(sums) and count is not None and count[0] == len(latencies)),
        "batches": float(ledger.batches),
    }


def run_raw(path: Path, *, gifts: int) -> dict[str, float]:
    """Raw sqlite3 inserts into the same table: WAL, synchronous=FULL, one commit per entry."""
    asyncio.run(_prepare_and_close(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    campaign_id = conn.execute("SELECT id FROM donation_campaigns").fetchone()[0]
    latencies: list[float] = []
    expected = 0
    started = time.perf_counter()
    for n in range(gifts):
        amount = 1_000 + n
        expected += amount
        begin = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, donor_type,"
            " amount, method, donated_on, recorded_at, idempotency_key)"
            " VALUES (?, ?, 2026, ?, ?, 'person', ?, 'cash', '2026-11-20', ?, ?)",
            (campaign_id, WARD, n + 1, f"VNN-B-2026-{n + 1:06d}", amount, NOW.isoformat(), str(n)),
        )
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    total = conn.execute("SELECT SUM(amount) FROM donation_entries").fetchone()[0]
    conn.close()
    return {
        "rate": gifts / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": _percentile(latencies, 0.95) * 1000,
        "exact": float(total == expected),
        "batches": float(gifts),
    }


async def _prepare_and_close(path: Path) -> None:
    db, _ = await _prepare(path)
    await db.close()


def _line(name: str, result: dict[str, float], raw_rate: float) -> str:
    return (
        f"{name:<34} {result['rate']:>9,.0f} entries/s  p50 {result['p50']:>7.2f} ms"
        f"  p95 {result['p95']:>7.2f} ms  commits {int(result['batches']):>6}"
        f"  totals exact: {'yes' if result['exact'] else 'NO'}"
        f"  ratio vs raw: {result['rate'] / raw_rate:.2f}×"
    )


def main() -> None:
    """Run the three variants on temporary files and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gifts", type=int, default=10_000)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--dir", help="folder for the temporary files (default: system temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        base = Path(folder)
        raw = run_raw(base / "raw.sqlite3", gifts=args.gifts)
        group = asyncio.run(
            run_ledger(
                base / "group.sqlite3", gifts=args.gifts, officers=args.officers, group_commit=True
            )
        )
        single = asyncio.run(
            run_ledger(
                base / "single.sqlite3",
                gifts=args.gifts,
                officers=args.officers,
                group_commit=False,
            )
        )
    print(f"{args.officers} officers, {args.gifts} gifts, WAL, fsynced commits, folder {folder}")
    print(_line("raw sqlite3, commit per entry", raw, raw["rate"]))
    print(_line("ledger, commit per entry", single, raw["rate"]))
    print(_line("ledger, group commit", group, raw["rate"]))
    met = group["rate"] >= 1000 and group["exact"]
    print(f"goal >= 1,000 entries/s with exact totals: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
