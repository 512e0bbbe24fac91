"""Benchmark the officers' batch pre-screening: ``python -m bench.classify [--rows 1000000]``.

Generates a CSV of N synthetic households in a temporary directory (not timed), then runs
:func:`bot.classify_io.classify_file` on it in a fresh subprocess and prints rows per second,
elapsed seconds and the subprocess's peak resident memory (``ru_maxrss`` of the child).
Goal: 1,000,000 rows in under 10 s and under 200 MB.

One row in a thousand is bad (0 members) and one in a thousand has a household code a
spreadsheet could run as a formula ("H500;=1+1"), so the formula guard's slow path is timed too.

``--against DIR`` also times the code in DIR (a ``git worktree`` of an older commit) on the same
file, alternating the two ``--repeat`` times, and prints the slowdown of the median; the machine
is shared, so only runs taken side by side compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
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
            code = f"H{number};=1+1" if number % 1000 == 500 else f"H{number}"
            if number % 1000 == 999:  # one bad row in a thousand
                writer.writerow([code, area, "0", income, *flags])
            else:
                writer.writerow([code, area, members, income, *flags])


def _child(input_path: str, output_path: str, inner: str = "1") -> None:
    """Run in the subprocess: classify `inner` times, print a JSON line with the fastest run."""
    from bot.classify_io import classify_file

    elapsed = cpu = float("inf")
    for _ in range(int(inner)):
        start, started_cpu = time.perf_counter(), time.process_time()
        report = classify_file(Path(input_path), Path(output_path), day=DAY, locality=None)
        elapsed = min(elapsed, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - started_cpu)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "cpu": cpu,
                "rows_ok": report.rows_ok,
                "rows_bad": report.rows_bad,
                "peak_mib": peak_kib / 1024,
                "counts": report.counts,
            }
        )
    )


def _time(
    source: Path, target: Path, root: Path | None, inner: int = 1
) -> tuple[dict[str, object], float]:
    """Classify runs in a fresh subprocess (with the code in `root` if given): the fastest."""
    wall = time.perf_counter()
    command = ["--child", str(source), str(target), str(inner)]
    completed = subprocess.run(
        [sys.executable, "-m", "bench.classify", *command],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    wall = time.perf_counter() - wall
    figures: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures, wall


def _compare(source: Path, target: Path, against: Path, repeat: int, inner: int) -> None:
    """Time this code and the code in `against` alternately; print both medians.

    The CPU time of the classify call is compared (the wall time on a shared machine moves
    with the other load), the fastest of `inner` calls per process; the fastest run of each is
    printed too.
    """
    here = Path(__file__).resolve().parent.parent
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    for run in range(repeat):
        order = (("before", against), ("after", here))
        for label, root in order if run % 2 == 0 else order[::-1]:
            figures, _ = _time(source, target, root, inner)
            seconds = float(str(figures["cpu"]))
            cpu[label].append(seconds)
            print(
                f"run {run + 1} {label}: {seconds:.2f} s CPU, {float(str(figures['elapsed'])):.2f}"
                f" s wall, peak {float(str(figures['peak_mib'])):.1f} MiB"
            )
    before, after = statistics.median(cpu["before"]), statistics.median(cpu["after"])
    print(f"median CPU before ({against}): {before:.2f} s; after: {after:.2f} s")
    print(f"fastest before: {min(cpu['before']):.2f} s; after: {min(cpu['after']):.2f} s")
    print(f"slowdown (medians): {100 * (after / before - 1):+.1f} %")


def main(argv: list[str] | None = None) -> int:
    """Generate the data, time one classify run in a subprocess and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--against", type=Path, help="a checkout of older code to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each with --against")
    parser.add_argument("--inner", type=int, default=1, help="calls per process (fastest kept)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
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
        if args.against is not None:
            _compare(source, target, args.against.resolve(), args.repeat, args.inner)
            return 0
        figures, wall = _time(source, target, None, args.inner)
        child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        elapsed = float(str(figures["elapsed"]))
        rows = int(str(figures["rows_ok"])) + int(str(figures["rows_bad"]))
        print(f"rows: {rows:,} ({figures['rows_ok']:,} ok, {figures['rows_bad']:,} bad)")
        print(f"classify_file: {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s")
        print(f"subprocess wall time (incl. interpreter start): {wall:.2f} s")
        peak = max(child_peak_mib, float(str(figures["peak_mib"])))
        print(f"peak RSS of the classify process: {peak:.1f} MiB")
        print(f"categories: {figures['counts']}")
        ok = elapsed < 10 and peak < 200
        print("goal (<10 s, <200 MiB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
