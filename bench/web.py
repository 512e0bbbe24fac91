"""Web benchmark (issue 17): desk and public pages over 10,000 registrations, 100,000 gifts.

Run with ``python -m bench.web [--registrations N] [--gifts N] [--payments N] [--samples N]
[--clients N] [--seconds S]``. It makes a temporary SQLite file with the demo data (ward
"Phường Hòa Cường", its campaign), then adds, through the real tables in one transaction of
direct inserts: ``--registrations`` exit registrations (each with its history row, spread over
the statuses, causes and wished supports), ``--gifts`` gifts to the demo campaign (a tenth
named, a twentieth in kind with goods and quantity) and ``--payments`` disbursements (a third
named with consent). An officer of the ward is made and signed in through a real single-use
link (`/dang-nhap/<token>`, the button's POST).

The site runs in a **subprocess** (``python -m bench.web --serve DB``: the real `App`, its
`WebSite` on the one `HttpServer`), so the client's CPU is apart from the server's (on the
same 2 cores, though). The client (aiohttp) then measures, one request at a time:

* ``registrations list``: `/can-bo/dang-ky` plain, filtered by status, by cause, and page 100;
* ``registration detail``: `/can-bo/dang-ky/<id>` for random ids;
* ``campaign page``: `/chien-dich/1`, the first, second, a middle and the last page of gifts,
  with the figures kept (the ledger unchanged since the last request);
* ``campaign page, new gift``: the same right after a gift was added (the figures made again);
* ``statement PDF``: `/chien-dich/1/sao-ke.pdf` right after a gift was added (made again, the
  whole sao kê) and ``statement PDF, unchanged`` (the kept file);

p50 / p95 / max in milliseconds, then the requests per second of `/chien-dich/1` with
``--clients`` concurrent clients for ``--seconds`` seconds (and their p95). Goals: p95 under
100 ms for pages, the statement under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

WARD = "20257"  # the demo ward, Phường Hòa Cường
CAMPAIGN = 1  # the demo campaign
NOW = datetime.now(UTC)
STATUSES = (
    "submitted",
    "in_review",
    "needs_info",
    "survey_scheduled",
    "recognised_exited",
    "not_recognised",
    "withdrawn",
)
CAUSES = ("capital", "land", "labour", "illness", "skills", "dependants", "jobs", "other")
SUPPORTS = ("loan", "training", "job", "seedlings", "housing", "other")
DONOR_TYPES = ("person", "organisation", "business", "salary")
PURPOSES = ("housing", "schooling", "hospital", "production", "hunger", "tet", "other")
ROOT = Path(__file__).resolve().parents[1]
PAGE_GOAL_MS = 100.0
STATEMENT_GOAL_MS = 2000.0


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _day(index: int, count: int) -> str:
    """Days spread from 1 March to 20 November 2026."""
    start = date(2026, 3, 1)
    return (start + timedelta(days=index * 264 // max(count, 1))).isoformat()


# --- the data -----------------------------------------------------------------------------


async def prepare(path: Path) -> int:
    """Migrate `path` with the demo data; make an officer of the ward; returns their user id."""
    from bot.app import build_app
    from bot.core.config import Config

    app = await build_app(Config.from_mapping({"DATABASE_PATH": str(path), "DEMO_DATA": "1"}))
    try:
        row = await app.services.users.set_role("bench", "officer-1", "officer", WARD, now=NOW)
        return row.id
    finally:
        await app.close()


def _gift_rows(conn: sqlite3.Connection, count: int) -> int:
    seq = int(
        conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM donation_entries WHERE ward_id = ? AND year = 2026",
            (WARD,),
        ).fetchone()[0]
    )
    code = conn.execute("SELECT code FROM donation_ward_codes WHERE ward_id = ?", (WARD,))
    ward_code = code.fetchone()[0]
    rng = random.Random(17)
    rows = []
    for index in range(count):
        seq += 1
        kind = DONOR_TYPES[index % len(DONOR_TYPES)]
        in_kind = index % 20 == 0
        method = "in_kind" if in_kind else ("transfer" if index % 3 else "cash")
        named = index % 10 == 0
        rows.append(
            (
                CAMPAIGN,
                WARD,
                2026,
                seq,
                f"VNN-{ward_code}-2026-{seq:06d}",
                "gift",
                kind,
                f"Nhà hảo tâm số {index}" if named else "",
                1 if named else 0,
                rng.randrange(50, 5_000) * 1_000,
                method,
                f"FT26{index:08d}" if method == "transfer" else "",
                _day(index, count),
                _ts(NOW),
                "gạo ST25" if in_kind else "",
                "2 bao 10 kg" if in_kind else "",
            )
        )
    conn.executemany(
        "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, kind,"
        " donor_type, donor_name, public, amount, method, reference, donated_on, recorded_at,"
        " goods, quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return sum(row[9] for row in rows)


def _payment_rows(conn: sqlite3.Connection, count: int) -> None:
    code = conn.execute("SELECT code FROM donation_ward_codes WHERE ward_id = ?", (WARD,))
    ward_code = code.fetchone()[0]
    rows = []
    for index in range(count):
        named = index % 3 == 0
        rows.append(
            (
                WARD,
                "vnn",
                CAMPAIGN,
                2026,
                index + 1,
                f"VNN-{ward_code}-2026-C{index + 1:06d}",
                PURPOSES[index % len(PURPOSES)],
                f"Hộ số {index}",
                1 if named else 0,
                1_000_000 + index * 1_000,
                "transfer",
                _day(index, count),
                f"{index + 1}/QĐ-MTTQ",
                _day(index, count),
                _ts(NOW),
            )
        )
    conn.executemany(
        "INSERT INTO donation_disbursements (ward_id, fund, campaign_id, year, seq, voucher,"
        " kind, purpose, beneficiary_name, name_public, amount, method, paid_on,"
        " decision_number, decision_date, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'payment', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _registration_rows(conn: sqlite3.Connection, count: int) -> None:
    rng = random.Random(16)
    for index in range(count):
        causes = sorted(rng.sample(range(len(CAUSES)), rng.randint(1, 3)))
        supports = sorted(rng.sample(range(len(SUPPORTS)), rng.randint(1, 2)))
        status = STATUSES[index % len(STATUSES)]
        cursor = conn.execute(
            "INSERT INTO exit_registrations (year, channel, chat_id, ward_id, submission_token,"
            " status, full_name, birth_date, phone, address, members, monthly_income, causes,"
            " supports, target_year, created_at, status_changed_at, cause_bits, support_bits)"
            " VALUES (2026, 'bench', ?, ?, ?, ?, ?, '1980-01-01', '0900000000', 'Tổ 1', ?, ?,"
            " ?, ?, 2027, ?, ?, ?, ?)",
            (
                f"bench-{index}",
                WARD,
                f"bench-{index}",
                status,
                f"Hộ thử số {index}",
                rng.randint(1, 8),
                rng.randint(1, 30) * 100_000,
                json.dumps([CAUSES[i] for i in causes]),
                json.dumps([SUPPORTS[i] for i in supports]),
                _ts(NOW),
                _ts(NOW),
                sum(1 << i for i in causes),
                sum(1 << i for i in supports),
            ),
        )
        conn.execute(
            "INSERT INTO exit_registration_history (registration_id, at, to_status)"
            " VALUES (?, ?, ?)",
            (cursor.lastrowid, _ts(NOW), status),
        )


def fill(path: Path, *, registrations: int, gifts: int, payments: int) -> float:
    """Add the rows in one transaction of direct inserts; returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        _gift_rows(conn, gifts)
        _payment_rows(conn, payments)
        _registration_rows(conn, registrations)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return time.perf_counter() - started


def add_gift(path: Path) -> None:
    """One more gift, straight into the ledger (as another process's officer would)."""
    with sqlite3.connect(path) as conn:
        _gift_rows(conn, 1)


def sign_in_link(path: Path, user_id: int) -> str:
    """A fresh single-use sign-in token for the officer (as `/web` makes one)."""
    from storage import web_auth

    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN IMMEDIATE")
        token = web_auth.issue_link_in(conn, user_id, datetime.now(UTC))
        conn.execute("COMMIT")
    return token


# --- the server (subprocess) --------------------------------------------------------------


async def serve(path: Path, port: int) -> None:
    """Run the real site on `path` until stdin closes; print the port once listening."""
    from bot.app import build_app
    from bot.core.config import Config
    from bot.http_server import HttpServer
    from bot.web.site import WebSite

    app = await build_app(Config.from_mapping({"DATABASE_PATH": str(path), "DEMO_DATA": "0"}))
    server = HttpServer("127.0.0.1", port)
    site = WebSite(app)
    await site.mount(server)
    await server.start()
    print(server.port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await server.stop()
    await site.close()
    await app.close()


# --- the client ---------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def timed(http: aiohttp.ClientSession, url: str) -> float:
    """Milliseconds to GET `url` and read its whole body (it must answer 200)."""
    started = time.perf_counter()
    async with http.get(url, allow_redirects=False) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


async def sign_in(http: aiohttp.ClientSession, base: str, token: str) -> None:
    """Open the link and press its button (the session cookie lands in `http`'s jar)."""
    async with http.get(f"{base}/dang-nhap/{token}") as shown:
        found = re.search(r'name="csrf" value="([^"]+)"', await shown.text())
    assert found is not None, "no sign-in form"
    async with http.post(
        f"{base}/dang-nhap/{token}", data={"csrf": found[1]}, allow_redirects=False
    ) as done:
        if done.status != 303:
            raise RuntimeError(f"sign-in failed: HTTP {done.status}")


async def series(
    http: aiohttp.ClientSession,
    urls: list[str],
    samples: int,
    before: Callable[[], Awaitable[None]] | None = None,
) -> list[float]:
    """`samples` timings cycling through `urls` (`before` runs untimed before each)."""
    found = []
    for index in range(samples):
        if before is not None:
            await before()
        found.append(await timed(http, urls[index % len(urls)]))
    return found


async def load(base: str, path: str, clients: int, seconds: float) -> tuple[float, float, int]:
    """Requests/s and p95 (ms) of `clients` concurrent clients on `path`; and errors seen."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                try:
                    latencies.append(await timed(http, base + path))
                except (RuntimeError, aiohttp.ClientError):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 0.95), errors


def _row(name: str, values: list[float], goal: float) -> dict[str, Any]:
    p95 = percentile(values, 0.95)
    return {
        "measure": name,
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(values), 1),
        "goal_ms": goal,
        "met": p95 < goal,
    }


def start_server(path: Path) -> tuple[subprocess.Popen[str], int]:
    """The site on `path` in a subprocess, and the port it listens on."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.web", "--serve", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert server.stdout is not None
    return server, int(server.stdout.readline())


def stop_server(server: subprocess.Popen[str]) -> None:
    """Close the server's stdin (it stops) and wait for it."""
    if server.stdin is not None:
        server.stdin.close()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


async def measure(args: argparse.Namespace, path: Path, user_id: int) -> dict[str, Any]:
    """Start the server subprocess, sign in, and take every measure."""
    server, port = await asyncio.to_thread(start_server, path)
    try:
        base = f"http://127.0.0.1:{port}"
        rows: list[dict[str, Any]] = []
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await sign_in(http, base, sign_in_link(path, user_id))
            desk = f"{base}/can-bo/dang-ky"
            lists = [desk, f"{desk}?trang-thai=in_review", f"{desk}?nguyen-nhan=illness"]
            lists.append(f"{desk}?trang=100")
            await series(http, lists, 4)  # warm up
            rows.append(_row("registrations list", await series(http, lists, args.samples), 100))
            ids = random.Random(1).sample(range(1, args.registrations + 1), args.samples)
            details = [f"{desk}/{number}" for number in ids]
            rows.append(_row("registration detail", await series(http, details, args.samples), 100))
            last = (args.gifts + 5 + 49) // 50
            pages = [f"{base}/chien-dich/1?trang={n}" for n in (1, 2, last // 2, last)]
            await series(http, pages, 4)
            rows.append(_row("campaign page", await series(http, pages, args.samples), 100))

            async def new_gift() -> None:
                await asyncio.to_thread(add_gift, path)

            cold = await series(http, pages[:1], max(args.samples // 10, 5), new_gift)
            rows.append(_row("campaign page, new gift", cold, PAGE_GOAL_MS))
            pdf = [f"{base}/chien-dich/1/sao-ke.pdf"]
            made = await series(http, pdf, args.statements, new_gift)
            rows.append(_row("statement PDF", made, STATEMENT_GOAL_MS))
            rows.append(
                _row("statement PDF, unchanged", await series(http, pdf, 5), STATEMENT_GOAL_MS)
            )
        rate, p95, errors = await load(base, "/chien-dich/1", args.clients, args.seconds)
        return {
            "rows": rows,
            "load": {
                "path": "/chien-dich/1",
                "clients": args.clients,
                "seconds": args.seconds,
                "requests_per_s": round(rate, 1),
                "p95_ms": round(p95, 1),
                "errors": errors,
            },
        }
    finally:
        await asyncio.to_thread(stop_server, server)


def report(result: dict[str, Any], args: argparse.Namespace, seconds: float, size: int) -> None:
    """Print the table."""
    print(
        f"web benchmark: {args.registrations:,} registrations, {args.gifts:,} gifts,"
        f" {args.payments:,} payments in one ward; data made in {seconds:.1f} s"
        f" (database {size / 1e6:.0f} MB); server in a subprocess, {os.cpu_count()} CPUs"
    )
    print(f"{'measure':<28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'goal':>9}")
    for row in result["rows"]:
        goal = f"<{row['goal_ms']:.0f} {'ok' if row['met'] else 'NO'}"
        print(
            f"{row['measure']:<28} {row['n']:>4} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}"
            f" {row['max_ms']:>8.1f} {goal:>9}"
        )
    load_ = result["load"]
    print(
        f"{load_['path']} with {load_['clients']} concurrent clients for {load_['seconds']} s:"
        f" {load_['requests_per_s']} requests/s, p95 {load_['p95_ms']} ms,"
        f" {load_['errors']} errors"
    )


async def main(args: argparse.Namespace) -> None:
    """Make the data, measure, print."""
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        path = Path(folder) / "web.sqlite3"
        user_id = await prepare(path)
        seconds = await asyncio.to_thread(
            partial(
                fill,
                path,
                registrations=args.registrations,
                gifts=args.gifts,
                payments=args.payments,
            )
        )
        result = await measure(args, path, user_id)
        report(result, args, seconds, path.stat().st_size)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--gifts", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--samples", type=int, default=100, help="requests per page measure")
    parser.add_argument("--statements", type=int, default=5, help="statement downloads")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    parsed = parse()
    if parsed.serve is not None:
        asyncio.run(serve(parsed.serve, parsed.port))
    else:
        asyncio.run(main(parsed))
