"""Benchmark the officers' batch pre-screening: ``python -m bench.classify [--rows 1000000]``.

Generates a CSV of N synthetic households in a temporary directory (not timed), then runs
:func:`bot.classify_io.classify_file` on it in a fresh subprocess and prints rows per second,
elapsed seconds and the subprocess's peak resident memory (``ru_maxrss`` of the child).
Goal: 1,000,000 rows in under 10 s and under 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from knowledge.assessment import standard_for

DAY = date(2026, 11, 21)


def generate(path: Path, rows: int, *, seed: int = 7) -> None:
    """Write ``rows`` synthetic households (with a few bad rows) to a CSV file."""
    rng = random.Random(seed)
    codes = standard_for(DAY).indicator_codes
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "area", "members", "monthly_income", *codes])
        for number in range(rows):
            members = rng.randint(1, 8)
            income = rng.randint(0, 4_000_000) * members
            flags = [("1" if rng.random() < 0.15 else "0") for _ in codes]
            area = "rural" if number % 2 else "urban"
            if number % 1000 == 999:  # one bad row in a thousand
                writer.writerow([f"H{number}", area, "0", income, *flags])
            else:
                writer.writerow([f"H{number}", area, members, income, *flags])


def _child(input_path: str, output_path: str) -> None:
    """Run in the subprocess: classify and print a JSON line with the figures."""
    from bot.classify_io import classify_file

    start = time.perf_counter()
    report = classify_file(Path(input_path), Path(output_path), day=DAY, locality=None)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "rows_ok": report.rows_ok,
                "rows_bad": report.rows_bad,
                "peak_mib": peak_kib / 1024,
                "counts": report.counts,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Generate the data, time one classify run in a subprocess and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "households.csv"
        target = Path(tmp) / "result.csv"
        started = time.perf_counter()
        generate(source, args.rows)
        print(
            f"generated {args.rows:,} rows ({source.stat().st_size / 2**20:.1f} MiB) "
            f"in {time.perf_counter() - started:.1f} s (not timed)"
        )
        wall = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "bench.classify", "--child", str(source), str(target)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - wall
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
        child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = figures["rows_ok"] + figures["rows_bad"]
        print(f"rows: {rows:,} ({figures['rows_ok']:,} ok, {figures['rows_bad']:,} bad)")
        print(f"classify_file: {figures['elapsed']:.2f} s, {rows / figures['elapsed']:,.0f} rows/s")
        print(f"subprocess wall time (incl. interpreter start): {wall:.2f} s")
        peak = max(child_peak_mib, figures["peak_mib"])
        print(f"peak RSS of the classify process: {peak:.1f} MiB")
        print(f"categories: {figures['counts']}")
        ok = figures["elapsed"] < 10 and peak < 200
        print("goal (<10 s, <200 MiB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
