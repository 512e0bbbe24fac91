"""Donation ledger benchmark: 20 concurrent officers logging 10,000 gifts with durable commits.

Run with ``python -m bench.ledger [--gifts N] [--officers K]``. On a temporary SQLite file
(WAL; every commit fsynced before the caller hears back) it prints, for each way of writing:

* the ledger repository with group commit (concurrent appends share one transaction; every
  caller returns only after its batch committed);
* the ledger repository with one commit per entry (``group_commit=False``);
* raw ``sqlite3`` inserts into the same table, one commit per entry, same pragmas;

entries per second, p50/p95 latency of one append, whether the campaign total equals the sum
of what was appended, and the ratio to the raw baseline. Goal: >= 1,000 entries/s, exact totals.

It then makes the public statement (sao kê) of a campaign of ``--statement-lines`` lines
(default 100,000: gifts, a tenth of them named, some in kind, and 1,000 disbursements) as PDF,
CSV and XLSX, each in a fresh process: the wall time and the CPU time (`time.process_time`,
every thread of the process) to read and build the statement and to write the file, the
process's peak memory (RSS, `ru_maxrss`), the file's size, and whether `verify` finds the file
intact (CSV always; PDF and XLSX, slow to read back, up to 5,000 lines). Goal: under 5 s and
200 MB each. ``--statement-lines 0`` skips it.

The machine is shared, so the load average is printed with the figures. Peak memory does not
depend on the load; CPU time hardly does (it leaves out the time spent waiting for a core,
though shared caches still make it 10-30 % higher on a busy machine); wall time does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from storage.db import Database, SqliteDatabase
from storage.ledger import Ledger, NewEntry

WARD = "bench-ward"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


async def _prepare(path: Path) -> tuple[Database, int]:
    db = SqliteDatabase(path)
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


OUTS = 1_000  # disbursements among the statement's lines


def make_statement_db(path: Path, lines: int) -> None:
    """A campaign with `lines` - 1,000 gifts and 1,000 disbursements, inserted raw in one go."""
    asyncio.run(_prepare_and_close(path))
    conn = sqlite3.connect(path, isolation_level=None)
    outs = min(OUTS, lines // 10)
    names = ["Nguyễn Văn An", "Công ty TNHH Xây dựng Hòa Cường", "Chi hội Phụ nữ tổ 12"]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, donor_type,"
        " donor_name, public, amount, method, donated_on, recorded_at, goods, quantity)"
        " VALUES (1, ?, 2026, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                WARD,
                n + 1,
                f"VNN-B-2026-{n + 1:06d}",
                "person" if n % 7 else "business",
                names[n % 3] if n % 10 == 0 else "",
                int(n % 10 == 0),
                50_000 + (n % 1000) * 1_000,
                "in_kind" if n % 50 == 0 else ("transfer" if n % 3 else "cash"),
                date(2026, 1 + n % 11, 1 + n % 28).isoformat(),
                NOW.isoformat(),
                "gạo tẻ" if n % 50 == 0 else "",
                "20 bao 10 kg" if n % 50 == 0 else "",
            )
            for n in range(lines - outs)
        ),
    )
    conn.executemany(
        "INSERT INTO donation_disbursements (ward_id, fund, campaign_id, year, seq, voucher,"
        " purpose, beneficiary_name, name_public, amount, method, paid_on, decision_number,"
        " decision_date, recorded_at) VALUES (?, 'vnn', 1, 2026, ?, ?, ?, ?, ?, ?, 'cash',"
        " '2026-12-01', '15/QĐ-MTTQ', '2026-11-30', ?)",
        (
            (
                WARD,
                n + 1,
                f"VNN-B-2026-C{n + 1:06d}",
                ("housing", "schooling", "hospital", "hunger")[n % 4],
                "Hộ bà Lê Thị Hoa",
                int(n % 5 == 0),
                1_000_000,
                NOW.isoformat(),
            )
            for n in range(outs)
        ),
    )
    conn.execute("COMMIT")
    conn.close()


async def _statement_child(path: Path, fmt: str) -> dict[str, float]:
    from bot.core.i18n import Translator
    from handlers.donations._statement import make_statement, render, verify_bytes
    from storage.users import UserRepository

    db = SqliteDatabase(path)
    await db.open()
    ledger = Ledger(db)
    campaign = await ledger.campaign(1)
    assert campaign is not None
    t = Translator("vi")
    started, cpu_started = time.perf_counter(), time.process_time()
    statement = await make_statement(
        ledger, UserRepository(db), t, campaign=campaign, start=None, end=None, now=NOW
    )
    built, cpu_built = time.perf_counter(), time.process_time()
    peak_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data = render(statement, t, fmt)
    written, cpu_written = time.perf_counter(), time.process_time()
    await db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    checked = fmt == "csv" or len(statement.lines) <= 5_000  # reading PDF/XLSX back is slow
    intact = verify_bytes(data).intact if checked else None
    return {
        "lines": float(len(statement.lines)),
        "build": built - started,
        "write": written - built,
        "cpu_build": cpu_built - cpu_started,
        "cpu_write": cpu_written - cpu_built,
        "peak_mb": peak,
        "built_mb": peak_built,
        "size_mb": len(data) / 1e6,
        "intact": float(intact) if intact is not None else -1.0,
    }


def run_statement(path: Path, fmt: str) -> dict[str, float]:
    """Make the statement of the campaign in `path` as `fmt` in a fresh process."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ledger",
            "--statement-child",
            fmt,
            "--statement-db",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _statement_line(fmt: str, result: dict[str, float]) -> str:
    total = result["build"] + result["write"]
    cpu = result["cpu_build"] + result["cpu_write"]
    intact = {1.0: "yes", 0.0: "NO", -1.0: "not checked"}[result["intact"]]
    return (
        f"statement {fmt:<4} {int(result['lines']):>7,} lines"
        f"  wall {total:5.2f} s (read+build {result['build']:4.2f}, write {result['write']:4.2f})"
        f"  CPU {cpu:5.2f} s (read+build {result['cpu_build']:4.2f},"
        f" write {result['cpu_write']:4.2f})  peak RSS {result['peak_mb']:6.1f} MB"
        f" (built {result['built_mb']:5.1f})  file {result['size_mb']:6.2f} MB  verify: {intact}"
    )


def main() -> None:
    """Run the three variants on temporary files and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gifts", type=int, default=10_000)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--statement-lines", type=int, default=100_000)
    parser.add_argument("--statement-child", help=argparse.SUPPRESS)
    parser.add_argument("--statement-db", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help="folder for the temporary files (default: system temp)")
    args = parser.parse_args()
    if args.statement_child:
        result = asyncio.run(_statement_child(Path(args.statement_db), args.statement_child))
        print(json.dumps(result))
        return
    if args.gifts == 0:
        _statements(args)
        return
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
    _statements(args)


def _statements(args: argparse.Namespace) -> None:
    """The statement figures (`--statement-lines`, 0 skips them)."""
    if args.statement_lines <= 0:
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "statement.sqlite3"
        make_statement_db(path, args.statement_lines)
        results = {fmt: run_statement(path, fmt) for fmt in ("pdf", "csv", "xlsx")}
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    for fmt, result in results.items():
        print(_statement_line(fmt, result))
    for clock, keys in (("wall", ("build", "write")), ("CPU", ("cpu_build", "cpu_write"))):
        met = all(r[keys[0]] + r[keys[1]] < 5 and r["peak_mb"] < 200 for r in results.values())
        print(f"goal under 5 s ({clock}) and 200 MB per format: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
