"""Four worker processes × 20 officers logging gifts at once on one PostgreSQL database.

Each process builds the real app on the shared database and drives 20 officers of the demo
ward through the real logging flow (`/ghinhan` … `Xác nhận`), all at once; the receipts they
print, and the ledger, must agree to the đồng and be numbered without a gap.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from storage.db import connect
from storage.ledger import Ledger
from tests.harness import FakeClock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = 4
OFFICERS = 20
GIFTS = 3
RECEIPT = re.compile(r"VNN-HC-2026-(\d{6})")

OFFICER_PROCESS = """
import asyncio, itertools, re, sys
import tests.harness
from bot.app import build_app
from bot.core.config import Config
from tests.harness import Chat, FakeClock, make_officer

RECEIPT = re.compile(r"VNN-HC-2026-\\d{6}")

async def main(url, index, officers, gifts):
    # Message ids unique across the processes, as a platform's are (they share one dedupe).
    tests.harness._ids = itertools.count(1_000_000 * (index + 1))
    config = Config.from_mapping({"DATABASE_URL": url, "DEMO_DATA": "1"})
    app = await build_app(config, clock=FakeClock())
    try:
        async def officer(n):
            chat = Chat(app, f"p{index}-officer-{n}")
            await make_officer(app, chat)
            for k in range(gifts):
                amount = 10_000 * (1 + index * 1000 + n * 10 + k)
                started = await chat.send("/ghinhan")
                if not any("Cá nhân" in c.label for r in started for c in r.choices):
                    raise SystemExit("/ghinhan: " + " | ".join(r.text for r in started)[:300])
                await chat.tap("Cá nhân")
                await chat.send(f"Người ủng hộ {index}-{n}-{k}")
                asked = await chat.send(str(amount))
                if not any("Tiền mặt" in c.label for r in asked for c in r.choices):
                    raise SystemExit(f"{amount}: " + " | ".join(r.text for r in asked)[:300])
                await chat.tap("Tiền mặt")
                await chat.tap("Hôm nay")
                await chat.tap("Đồng ý công khai")
                await chat.tap("Bỏ qua")
                text = "\\n".join(reply.text for reply in await chat.tap("Xác nhận"))
                receipt = RECEIPT.search(text)
                if receipt is None:
                    raise SystemExit(f"no receipt in: {text[:200]}")
                print(receipt.group(0), amount, flush=True)

        await asyncio.gather(*(officer(n) for n in range(officers)))
    finally:
        await app.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
"""


async def test_four_processes_of_twenty_officers_log_exact_totals_and_gapless_receipts(
    pg_migrated_url: str,
) -> None:
    """240 gifts from 4 processes at once: each receipt once, numbered on without a gap, exact."""
    from bot.app import build_app
    from bot.core.config import Config

    seeded = await build_app(
        Config.from_mapping({"DATABASE_URL": pg_migrated_url, "DEMO_DATA": "1"}), clock=FakeClock()
    )
    # The demo ward, its campaign and its sample gifts, before the processes start.
    seeded_ledger = Ledger(seeded.db)
    [campaign] = await seeded_ledger.campaigns(ward_id="20257")
    before = await seeded_ledger.entries(campaign_id=campaign.id)
    total_before = await seeded_ledger.total(campaign.id)
    await seeded.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OFFICER_PROCESS,
            pg_migrated_url,
            str(index),
            str(OFFICERS),
            str(GIFTS),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        for index in range(PROCESSES)
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(process.communicate() for process in processes)), 600
    )
    assert [process.returncode for process in processes] == [0] * PROCESSES
    printed = [line.split() for out, _ in outputs for line in out.decode().splitlines()]
    receipts = [receipt for receipt, _ in printed]
    total = PROCESSES * OFFICERS * GIFTS
    assert len(receipts) == total
    assert len(set(receipts)) == total  # no receipt given twice
    numbers = sorted(int(match.group(1)) for r in receipts if (match := RECEIPT.match(r)))
    first = len(before) + 1  # after the sample gifts
    assert numbers == list(range(first, first + total))  # gapless, in one ward and year
    db = connect(pg_migrated_url)
    await db.open()
    try:
        ledger = Ledger(db)
        stored = await db.fetchall(
            "SELECT receipt, amount FROM donation_entries WHERE seq >= ? ORDER BY seq", (first,)
        )
        assert sorted((str(r[0]), int(r[1])) for r in stored) == sorted(
            (receipt, int(amount)) for receipt, amount in printed
        )
        added = sum(int(amount) for _, amount in printed)
        assert await ledger.total(campaign.id) == total_before + added  # to the đồng
    finally:
        await db.close()
