"""The inbox's statements on a real SQLite file: dedupe, per-user claims, dead workers, erasure."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import inbox
from storage.db import SqliteDatabase
from storage.inbox import Incoming, Stored, WorkerId

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _item(user: str, message: str, text: str = "xin chào") -> Incoming:
    return Incoming("telegram", message, user, NOW, {"text": text})


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A migrated database file, opened with plain sqlite3 (the steps' own connection type)."""
    path = tmp_path / "inbox.sqlite3"

    async def migrate() -> None:
        async with SqliteDatabase(path) as db:
            await db.migrate()

    asyncio.run(migrate())
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    try:
        yield connection
    finally:
        connection.close()


def _worker(conn: sqlite3.Connection, token: str, *, pid: int | None = None) -> WorkerId:
    me = WorkerId(f"host-a:{pid or 1}:{token}", "host-a", pid or 1)
    inbox.heartbeat_in(
        conn, me, now=NOW, stale_before=NOW - timedelta(seconds=30), alive=lambda _pid: True
    )
    return me


def _alive(pid: int) -> bool:
    return pid != 999_999


def test_redelivered_update_is_stored_once(conn: sqlite3.Connection) -> None:
    """The same (channel, message id) twice makes one row; the second store claims nothing."""
    me = _worker(conn, "a")
    first = inbox.store_in(conn, [_item("u1", "m1")], worker=me.id, now=NOW)
    again = inbox.store_in(conn, [_item("u1", "m1")], worker=me.id, now=NOW)
    assert [row.message_id for row in first] == ["m1"]
    assert again == []
    assert conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1


def test_a_user_is_claimed_once_and_drained_in_order(conn: sqlite3.Connection) -> None:
    """Only the user's oldest open row is claimed; each delivery claims the next, in id order."""
    me = _worker(conn, "a")
    claimed = inbox.store_in(
        conn, [_item("u1", "m1"), _item("u1", "m2"), _item("u2", "n1")], worker=me.id, now=NOW
    )
    assert [row.message_id for row in claimed] == ["m1", "n1"]  # m2 waits behind m1
    later = inbox.store_in(conn, [_item("u1", "m3")], worker=me.id, now=NOW)
    assert later == []
    order = []
    row: Stored | None = claimed[0]
    while row is not None:
        order.append(row.message_id)
        row = inbox.delivered_in(conn, row, worker=me.id, now=NOW)
    assert order == ["m1", "m2", "m3"]


def test_another_live_workers_claim_blocks_and_a_dead_ones_lapses(
    conn: sqlite3.Connection,
) -> None:
    """A user held by a live worker is not taken; once that worker's pid is gone, it is."""
    other = _worker(conn, "b", pid=999_999)
    me = _worker(conn, "a")
    inbox.store_in(conn, [_item("u1", "m1"), _item("u1", "m2")], worker=other.id, now=NOW)
    assert inbox.next_in(conn, "telegram", "u1", worker=me.id) is None
    assert inbox.orphans_in(conn, ["telegram"], worker=me.id) == []
    removed = inbox.heartbeat_in(
        conn, me, now=NOW, stale_before=NOW - timedelta(seconds=30), alive=_alive
    )
    assert removed == 1  # same host, pid 999999 gone
    [orphan] = inbox.orphans_in(conn, ["telegram"], worker=me.id)
    assert orphan.message_id == "m1"  # the oldest, never m2 first


def test_a_worker_not_seen_for_long_is_removed(conn: sqlite3.Connection) -> None:
    """A worker on another host whose heartbeat is stale loses its claims."""
    far = WorkerId("host-b:7:z", "host-b", 7)
    inbox.heartbeat_in(conn, far, now=NOW - timedelta(minutes=5), stale_before=NOW)
    inbox.store_in(conn, [_item("u1", "m1")], worker=far.id, now=NOW)
    me = _worker(conn, "a")  # stale_before = NOW - 30 s: host-b was last seen 5 minutes ago
    assert conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 1
    assert [row.message_id for row in inbox.orphans_in(conn, ["telegram"], worker=me.id)] == ["m1"]


def test_orphans_only_on_served_channels(conn: sqlite3.Connection) -> None:
    """A process claims only rows of channels it serves (it could not deliver the others)."""
    me = _worker(conn, "a")
    conn.execute(
        "INSERT INTO inbox (channel, message_id, user_id, body, received_at, stored_at)"
        " VALUES ('zalo_oa', 'z1', 'u9', '{}', '', '')"
    )
    assert inbox.orphans_in(conn, ["telegram"], worker=me.id) == []
    assert len(inbox.orphans_in(conn, ["zalo_oa"], worker=me.id)) == 1


def test_delivered_row_keeps_no_text_and_is_purged_later(conn: sqlite3.Connection) -> None:
    """Delivery erases the body and the replies; the purge removes the id after 7 days."""
    me = _worker(conn, "a")
    [row] = inbox.store_in(conn, [_item("u1", "m1", "CCCD 079123456789")], worker=me.id, now=NOW)
    inbox.handled_in(conn, row.id, replies=[{"text": "Nguyễn Văn An", "choices": []}], now=NOW)
    inbox.delivered_in(conn, row, worker=me.id, now=NOW)
    stored = conn.execute("SELECT body, replies, delivered_at FROM inbox").fetchone()
    assert (stored["body"], stored["replies"]) == ("", "")
    assert stored["delivered_at"] is not None
    assert inbox.purge_in(conn, delivered_before=NOW - timedelta(days=7)) == (0, 0)
    assert inbox.purge_in(conn, delivered_before=NOW + timedelta(days=7)) == (1, 0)


def test_failed_attempts_are_counted_and_release_the_claim(conn: sqlite3.Connection) -> None:
    """A failure releases the row (the sweep takes it up again) and counts the attempt."""
    me = _worker(conn, "a")
    [row] = inbox.store_in(conn, [_item("u1", "m1")], worker=me.id, now=NOW)
    assert inbox.failed_in(conn, row.id) == 1
    [again] = inbox.orphans_in(conn, ["telegram"], worker=me.id)
    assert again.attempts == 1


CLAIMER = """
import sqlite3, sys, json
sys.path.insert(0, sys.argv[3])
from datetime import UTC, datetime, timedelta
from storage import inbox
from storage.inbox import WorkerId
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.row_factory = sqlite3.Row
conn.execute("PRAGMA busy_timeout=30000")
me = WorkerId(sys.argv[2], "host-a", 1)
now = datetime.now(UTC)
claimed = []
conn.execute("BEGIN IMMEDIATE")
inbox.heartbeat_in(conn, me, now=now, stale_before=now - timedelta(hours=1), alive=lambda p: True)
conn.execute("COMMIT")
for _ in range(400):
    conn.execute("BEGIN IMMEDIATE")
    rows = inbox.orphans_in(conn, ["telegram"], worker=me.id, limit=3)
    conn.execute("COMMIT")
    for row in rows:
        claimed.append(row.message_id)
        conn.execute("BEGIN IMMEDIATE")
        nxt = inbox.delivered_in(conn, row, worker=me.id, now=now)
        conn.execute("COMMIT")
        while nxt is not None:
            claimed.append(nxt.message_id)
            conn.execute("BEGIN IMMEDIATE")
            nxt = inbox.delivered_in(conn, nxt, worker=me.id, now=now)
            conn.execute("COMMIT")
print(json.dumps(claimed))
"""


def test_two_processes_never_claim_the_same_row(conn: sqlite3.Connection, tmp_path: Path) -> None:
    """Two real processes drain one file at once: every row is taken by exactly one of them."""
    me = _worker(conn, "seed")
    items = [_item(f"u{n % 40}", f"m{n}") for n in range(600)]
    inbox.store_in(conn, items, worker=me.id, now=NOW)
    inbox.leave_in(conn, me)  # every claim lapses: all 40 users are orphans
    path = conn.execute("PRAGMA database_list").fetchone()["file"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, path, f"host-a:1:{name}", str(ROOT)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    taken: list[str] = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        taken.extend(json.loads(out))
    assert sorted(taken) == sorted(item.message_id for item in items)  # none twice, none lost
    assert conn.execute("SELECT count(*) FROM inbox WHERE delivered_at IS NULL").fetchone()[0] == 0
