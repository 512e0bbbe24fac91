"""The ledger repository: append-only, reversals, concurrency and durability across a kill."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.app import App
from storage.db import SqliteDatabase
from storage.ledger import Ledger, LedgerError, NewEntry
from tests.harness import Chat, FakeClock, make_officer, text_of

WARD = "20257"


def gift(
    campaign_id: int, amount: int, *, key: str | None = None, by: int | None = None
) -> NewEntry:
    """A cash gift of the demo ward."""
    return NewEntry(
        campaign_id=campaign_id,
        ward_id=WARD,
        donor_type="person",
        donor_name="",
        public=False,
        amount=amount,
        method="cash",
        donated_on=date(2026, 11, 20),
        recorded_by=by,
        idempotency_key=key,
    )


async def demo_campaign(app: App) -> int:
    """The id of the demo campaign."""
    row = await app.db.fetchone("SELECT id FROM donation_campaigns WHERE ward_id = ?", (WARD,))
    assert row is not None
    return int(row[0])


async def test_entries_cannot_be_updated_or_deleted(app: App) -> None:
    """SQLite triggers abort any UPDATE or DELETE of ledger rows."""
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await app.db.execute("UPDATE donation_entries SET amount = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await app.db.execute("DELETE FROM donation_entries")
    row = await app.db.fetchone("SELECT COUNT(*), SUM(amount) FROM donation_entries")
    assert row is not None
    assert tuple(row) == (5, 78_300_000)


async def test_reversal_through_chat(app: App, officer: Chat) -> None:
    """/daobut records a negative reversal once; the total drops; a second reversal is refused."""
    ledger = Ledger(app.db)
    campaign = await demo_campaign(app)
    before = await ledger.total(campaign)
    entry = await ledger.append(gift(campaign, 250_000), now=app.services.clock())
    reply = text_of(await officer.send(f"/daobut {entry.receipt} nhập sai số tiền"))
    assert "Đã ghi bút toán đảo" in reply
    reversal = await ledger.reversal_of(entry.id)
    assert reversal is not None
    assert (reversal.amount, reversal.kind, reversal.reason) == (
        -250_000,
        "reversal",
        "nhập sai số tiền",
    )
    assert reversal.receipt in reply
    assert await ledger.total(campaign) == before
    again = text_of(await officer.send(f"/daobut {entry.receipt} lần nữa"))
    assert "không đảo lần thứ hai" in again
    with pytest.raises(LedgerError):
        await ledger.reverse(entry.id, reason="x", recorded_by=None, now=app.services.clock())
    lookup = text_of(await officer.send(f"/tracuu {entry.receipt}"))
    assert "đã được điều chỉnh" in lookup
    audit = await app.services.audit.recent(action_prefix="donations.reversed")
    assert audit[0].detail["reverses"] == entry.id


async def test_unique_constraint_blocks_second_reversal(app: App) -> None:
    """The UNIQUE reverses_id column refuses a second reversal row even written by hand."""
    ledger = Ledger(app.db)
    campaign = await demo_campaign(app)
    entry = await ledger.append(gift(campaign, 10_000), now=app.services.clock())
    results = await asyncio.gather(
        ledger.reverse(entry.id, reason="a", recorded_by=None, now=app.services.clock()),
        ledger.reverse(entry.id, reason="b", recorded_by=None, now=app.services.clock()),
        return_exceptions=True,
    )
    assert sum(isinstance(result, LedgerError) for result in results) == 1
    row = await app.db.fetchone(
        "SELECT COUNT(*) FROM donation_entries WHERE reverses_id = ?", (entry.id,)
    )
    assert row is not None
    assert row[0] == 1
    # SQLite: "UNIQUE constraint failed: donation_entries.reverses_id"; PostgreSQL: "duplicate
    # key value violates unique constraint "donation_entries_reverses_id_key"".
    with pytest.raises(sqlite3.IntegrityError, match=r"(?i)unique.*reverses_id"):
        await app.db.execute(
            "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, kind,"
            " reverses_id, donor_type, amount, method, donated_on, recorded_at)"
            " VALUES (?, ?, 2026, 9999, 'X-1', 'reversal', ?, 'person', -10000, 'cash',"
            " '2026-11-20', '2026-11-21T03:00:00+00:00')",
            (campaign, WARD, entry.id),
        )


async def test_one_failing_entry_does_not_sink_its_batch(app: App) -> None:
    """An entry whose insert fails (unknown recorder) fails alone; its batch-mates are stored."""
    ledger = Ledger(app.db)
    campaign = await demo_campaign(app)
    results = await asyncio.gather(
        ledger.append(gift(campaign, 11_000), now=app.services.clock()),
        ledger.append(gift(campaign, 12_000, by=987_654), now=app.services.clock()),
        ledger.append(gift(campaign, 13_000), now=app.services.clock()),
        return_exceptions=True,
    )
    assert isinstance(results[1], LedgerError)
    assert [r.amount for r in results if not isinstance(r, BaseException)] == [11_000, 13_000]
    rows = await app.db.fetchall(
        "SELECT amount FROM donation_entries WHERE amount IN (11000, 12000, 13000) ORDER BY id"
    )
    assert [row[0] for row in rows] == [11_000, 13_000]
    seqs = await app.db.fetchall("SELECT seq FROM donation_entries ORDER BY id")
    assert [row[0] for row in seqs] == list(range(1, 8))


async def test_idempotency_key_records_once(app: App) -> None:
    """Two appends with one idempotency key, even in one batch, store one entry."""
    ledger = Ledger(app.db)
    campaign = await demo_campaign(app)
    first, second = await asyncio.gather(
        ledger.append(gift(campaign, 70_000, key="k1"), now=app.services.clock()),
        ledger.append(gift(campaign, 70_000, key="k1"), now=app.services.clock()),
    )
    assert first.receipt == second.receipt
    row = await app.db.fetchone("SELECT COUNT(*) FROM donation_entries WHERE idempotency_key='k1'")
    assert row is not None
    assert row[0] == 1


async def test_receipt_numbers_are_per_ward_per_year(app: App) -> None:
    """Receipts run VNN-HC-2026-000001 upwards with no gap or repeat."""
    rows = await app.db.fetchall("SELECT receipt FROM donation_entries ORDER BY id")
    assert [row[0] for row in rows] == [f"VNN-HC-2026-{n:06d}" for n in range(1, 6)]


async def test_twenty_officers_log_a_thousand_gifts(app: App) -> None:
    """20 officer chats logging 50 gifts each at once: 1,000 entries, totals exact."""
    ledger = Ledger(app.db)
    campaign = await demo_campaign(app)
    before = await ledger.total(campaign)
    chats = [Chat(app, f"officer-c{n}") for n in range(20)]
    for chat in chats:
        await make_officer(app, chat)

    async def officer_logs(index: int) -> int:
        user = await app.services.users.find("test", chats[index].user_id)
        assert user is not None
        total = 0
        for n in range(50):
            amount = 1_000 * (index + 1) + n
            await ledger.append(gift(campaign, amount, by=user.id), now=app.services.clock())
            total += amount
        return total

    sums = await asyncio.gather(*(officer_logs(i) for i in range(20)))
    assert await ledger.total(campaign) == before + sum(sums)
    summary = await ledger.summary(campaign)
    assert summary.gifts == 1_005
    rows = await app.db.fetchall(
        "SELECT COUNT(*), COUNT(DISTINCT receipt), MAX(seq) FROM donation_entries"
    )
    assert tuple(rows[0]) == (1_005, 1_005, 1_005)
    if app.db.dialect == "sqlite":  # group commit is SQLite's: PostgreSQL commits each alone
        assert ledger.batches < 1_000  # concurrent appends shared commits


async def test_twenty_officers_through_the_flow(app: App) -> None:
    """20 officers confirming gifts through the chat flow at once get distinct receipts."""
    chats = [Chat(app, f"officer-f{n}") for n in range(20)]
    for chat in chats:
        await make_officer(app, chat)

    async def run(chat: Chat, amount: int) -> str:
        await chat.send("/ghinhan")
        await chat.tap("Cá nhân")
        await chat.tap("Ẩn danh")
        await chat.send(f"{amount} nghìn")
        await chat.tap("Tiền mặt")
        await chat.tap("Hôm nay")
        await chat.tap("Bỏ qua")
        return text_of(await chat.tap("Xác nhận"))

    texts = await asyncio.gather(*(run(chat, 100 + n) for n, chat in enumerate(chats)))
    assert all("Số biên nhận" in text for text in texts)
    row = await app.db.fetchone(
        "SELECT COUNT(*), SUM(amount) FROM donation_entries WHERE donated_on = '2026-11-21'"
    )
    assert row is not None
    assert tuple(row) == (20, sum((100 + n) * 1_000 for n in range(20)))


WORKER = """
import asyncio, sys
from datetime import UTC, date, datetime
from storage.db import SqliteDatabase
from storage.ledger import Ledger, NewEntry

async def main(path):
    db = SqliteDatabase(path)
    await db.open()
    ledger = Ledger(db)
    campaign = (await ledger.campaigns(ward_id="20257"))[0]
    now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)

    async def officer(n):
        i = 0
        while True:
            i += 1
            entry = await ledger.append(NewEntry(
                campaign_id=campaign.id, ward_id="20257", donor_type="person",
                donor_name="", public=False, amount=1000 + n, method="cash",
                donated_on=date(2026, 11, 20), recorded_by=None,
                idempotency_key=f"w{n}-{i}"), now=now)
            print(entry.receipt, entry.amount, flush=True)

    await asyncio.gather(*(officer(n) for n in range(5)))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.sqlite_only(reason="a subprocess writes the app's SQLite file, then is killed")
async def test_killed_writer_loses_and_duplicates_nothing(
    app: App, tmp_path: Path, clock: FakeClock
) -> None:
    """A process SIGKILLed mid-run keeps every receipt it printed, each exactly once."""
    del clock
    path = Path(app.db.describe())
    await app.close()
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path)],
        cwd=root,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert process.stdout is not None
    printed: list[tuple[str, int]] = []
    while len(printed) < 200:
        line = await asyncio.to_thread(process.stdout.readline)
        if not line:
            break
        receipt_text, amount_text = line.decode().split()
        printed.append((receipt_text, int(amount_text)))
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert len(printed) == 200
    async with SqliteDatabase(path) as db:
        rows = await db.fetchall("SELECT receipt, amount FROM donation_entries")
        stored = [(str(row[0]), int(row[1])) for row in rows]
        for receipt, amount in printed:
            assert stored.count((receipt, amount)) == 1
        assert len({receipt for receipt, _ in stored}) == len(stored)
        keys = await db.fetchone(
            "SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM donation_entries"
        )
        assert keys is not None
        assert keys[0] == keys[1]


async def test_the_ledger_reads_of_the_desk_page_and_find_by_key(app: App) -> None:
    """The state moves with a gift; a page lists it first, its reversal marked; its key finds it."""
    ledger = Ledger(app.db)
    campaign_id = await demo_campaign(app)
    before = await ledger.state(campaign_id)
    assert await ledger.state() >= before
    now = app.services.clock()
    added = await ledger.append(gift(campaign_id, 2_000_000, key="page-key"), now=now)
    assert await ledger.state(campaign_id) == (added.id, before[1])
    assert (await ledger.state())[0] == added.id
    found = await ledger.entry_by_key("page-key")
    assert found is not None and found.id == added.id
    assert await ledger.entry_by_key("no-such-key") is None
    reversal = await ledger.reverse(added.id, reason="ghi nhầm", recorded_by=None, now=now)
    first = await ledger.entry_page(campaign_id, ward_id=None, page=1, size=2)
    assert first.total == 7 and first.pages == 4
    assert [(e.id, by) for e, by in first.rows] == [(reversal.id, ""), (added.id, reversal.receipt)]
    last = await ledger.entry_page(campaign_id, ward_id=WARD, page=99, size=2)
    assert last.page == 4 and len(last.rows) == 1
    outs = await ledger.disbursement_page(campaign_id, ward_id=WARD, page=1, size=20)
    assert outs.total == 0 and outs.rows == [] and outs.pages == 1
    assert await ledger.disbursement_by_key("no-such-key") is None
