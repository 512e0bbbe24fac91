"""The durable inbox of received updates, and the registry of the workers that handle them.

A channel stores each update here before it tells the platform the update arrived (see
`bot.core.intake`). A row goes through three states:

1. **stored** (`handled_at` NULL): its `body` holds the update as the channel needs it back;
2. **handled** (`handled_at` set): the dispatcher committed the session, the processed mark and
   the replies (`replies`) in one transaction (`handled_in`);
3. **delivered** (`delivered_at` set): the replies went out (or to the outbox); `body` and
   `replies` are erased, and only the ids stay, for deduplication, until the nightly purge.

**Claims.** A user's rows are handled one at a time, oldest first, by one worker: a worker
claims the user's oldest open row (`claimed_by`), and a claim counts only while its worker is
listed in `workers`. So a killed worker's claims lapse as soon as its row is removed (at once by
a process on the same host that finds its pid gone, or by anyone once it has not been seen for
`stale_after`), with no lease to wait out. On SQLite every step runs inside one write
transaction (one writer), so two processes on one database never both claim a row. On
PostgreSQL the steps run READ COMMITTED (`Database.claim`), and each first takes a transaction
advisory lock per user it touches (`_lock_users_in`): the steps on one user's rows then run one
at a time, as on SQLite, while steps on different users never wait for or conflict with each
other; the sweep's claims skip rows another worker is locking (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Connection, Row, advisory_lock_in, dialect_of, try_advisory_lock_in

MAX_ATTEMPTS = 3
"""Handling attempts that failed outside the dispatcher's error boundary before giving up."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """An update as a channel hands it in: its keys and the body it needs back to handle it."""

    channel: str
    message_id: str
    user_id: str
    received_at: datetime
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Stored:
    """A claimed inbox row."""

    id: int
    channel: str
    message_id: str
    user_id: str
    body: dict[str, Any]
    attempts: int
    handled: bool
    replies: list[dict[str, Any]]


_COLUMNS = "id, channel, message_id, user_id, body, attempts, handled_at, replies"


def _stored(row: Row) -> Stored:
    return Stored(
        id=int(row["id"]),
        channel=str(row["channel"]),
        message_id=str(row["message_id"]),
        user_id=str(row["user_id"]),
        body=json.loads(row["body"]) if row["body"] else {},
        attempts=int(row["attempts"]),
        handled=row["handled_at"] is not None,
        replies=json.loads(row["replies"]) if row["replies"] else [],
    )


def _live(claimed_by: str | None, conn: Connection) -> bool:
    """Whether a claim is held by a listed worker."""
    if claimed_by is None:
        return False
    return conn.execute("SELECT 1 FROM workers WHERE id = ?", (claimed_by,)).fetchone() is not None


def _user_key(channel: str, user_id: str) -> str:
    return f"inbox:{channel}:{user_id}"


def _lock_users_in(conn: Connection, users: Sequence[tuple[str, str]]) -> None:
    """Hold each (channel, user)'s lock until the transaction ends, in a fixed order.

    The fixed order keeps two steps that lock several users from deadlocking.
    """
    for channel, user_id in sorted(set(users)):
        advisory_lock_in(conn, _user_key(channel, user_id))


def store_in(
    conn: Connection, items: Sequence[Incoming], *, worker: str, now: datetime
) -> list[Stored]:
    """Store updates (a redelivered one is ignored); the rows this worker claimed at once.

    A new row is claimed here when its user has no other open row: then nobody is handling that
    user and the caller starts. Otherwise whoever handles the user takes it next, in order.
    """
    claimed: list[Stored] = []
    stored_at = to_db(now)
    _lock_users_in(conn, [(item.channel, item.user_id) for item in items])
    for item in items:
        # One statement stores the row and claims it when the user has no other open row (the
        # user's lock is held, so no other store or delivery of theirs runs in between).
        inserted = conn.execute(
            "INSERT INTO inbox"
            " (channel, message_id, user_id, body, received_at, stored_at, claimed_by)"
            " VALUES (?, ?, ?, ?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM inbox WHERE channel = ?"
            " AND user_id = ? AND delivered_at IS NULL) THEN NULL ELSE ? END)"
            " ON CONFLICT DO NOTHING RETURNING id, claimed_by",
            (
                item.channel,
                item.message_id,
                item.user_id,
                json.dumps(item.body, ensure_ascii=False),
                to_db(item.received_at),
                stored_at,
                item.channel,
                item.user_id,
                worker,
            ),
        ).fetchone()
        if inserted is None:
            continue  # a redelivery of a stored update
        if inserted[1] is not None:
            claimed.append(
                Stored(
                    int(inserted[0]),
                    item.channel,
                    item.message_id,
                    item.user_id,
                    item.body,
                    0,
                    False,
                    [],
                )
            )
    return claimed


def next_in(
    conn: Connection, channel: str, user_id: str, *, worker: str, locked: bool = False
) -> Stored | None:
    """Claim the user's oldest open row for `worker` (None: none, or another worker holds it).

    `locked`: the caller holds the user's lock already.
    """
    if not locked:
        _lock_users_in(conn, [(channel, user_id)])
    row = conn.execute(
        f"SELECT {_COLUMNS}, claimed_by FROM inbox WHERE channel = ? AND user_id = ?"
        " AND delivered_at IS NULL ORDER BY id LIMIT 1",
        (channel, user_id),
    ).fetchone()
    if row is None:
        return None
    holder = row["claimed_by"]
    if holder is not None and holder != worker and _live(holder, conn):
        return None
    if holder != worker:
        conn.execute("UPDATE inbox SET claimed_by = ? WHERE id = ?", (worker, row["id"]))
    return _stored(row)


def handled_in(
    conn: Connection, row_id: int, *, replies: list[dict[str, Any]], now: datetime
) -> None:
    """Mark a row handled with the replies to deliver (in the dispatcher's final transaction)."""
    conn.execute(
        "UPDATE inbox SET handled_at = ?, replies = ? WHERE id = ?",
        (to_db(now), json.dumps(replies, ensure_ascii=False), row_id),
    )


def delivered_in(conn: Connection, row: Stored, *, worker: str, now: datetime) -> Stored | None:
    """Mark a row delivered (its text erased) and claim the user's next row; that row or None."""
    _lock_users_in(conn, [(row.channel, row.user_id)])
    conn.execute(
        "UPDATE inbox SET delivered_at = ?, handled_at = COALESCE(handled_at, ?), body = '',"
        " replies = '', claimed_by = NULL WHERE id = ?",
        (to_db(now), to_db(now), row.id),
    )
    return next_in(conn, row.channel, row.user_id, worker=worker, locked=True)


def failed_in(conn: Connection, row_id: int) -> int:
    """Count a failed attempt and release the claim; the attempts made so far."""
    conn.execute(
        "UPDATE inbox SET attempts = attempts + 1, claimed_by = NULL WHERE id = ?", (row_id,)
    )
    found = conn.execute("SELECT attempts FROM inbox WHERE id = ?", (row_id,)).fetchone()
    return int(found["attempts"]) if found else 0


def orphans_in(
    conn: Connection, channels: Sequence[str], *, worker: str, limit: int = 100
) -> list[Stored]:
    """Claim the oldest open row of each user nobody (alive) handles, on `channels`."""
    if not channels:
        return []
    marks = ",".join("?" for _ in channels)
    skip_locked = " FOR UPDATE SKIP LOCKED" if dialect_of(conn) == "postgresql" else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM inbox AS i WHERE i.delivered_at IS NULL"
        f" AND i.channel IN ({marks})"
        " AND i.id = (SELECT min(j.id) FROM inbox AS j WHERE j.channel = i.channel"
        " AND j.user_id = i.user_id AND j.delivered_at IS NULL)"
        " AND (i.claimed_by IS NULL OR i.claimed_by NOT IN (SELECT id FROM workers))"
        f" ORDER BY i.id LIMIT ?{skip_locked}",
        (*channels, limit),
    ).fetchall()
    found = [
        _stored(row)
        for row in rows
        if try_advisory_lock_in(conn, _user_key(row["channel"], row["user_id"]))
    ]
    conn.executemany(
        "UPDATE inbox SET claimed_by = ? WHERE id = ?", [(worker, row.id) for row in found]
    )
    return found


def release_in(conn: Connection, row_id: int) -> None:
    """Give a claimed row back without counting an attempt (another worker may take it)."""
    conn.execute("UPDATE inbox SET claimed_by = NULL WHERE id = ?", (row_id,))


def purge_in(conn: Connection, *, delivered_before: datetime) -> tuple[int, int]:
    """Delete rows older than `delivered_before`: delivered ones, and stuck ones; how many each.

    A delivered row holds only its ids. A row stored that long ago and never delivered (its
    channel is no longer served) is deleted too, text and all: an answer a week late helps
    nobody, and the text must not stay.
    """
    cutoff = to_db(delivered_before)
    delivered = conn.execute(
        "DELETE FROM inbox WHERE delivered_at IS NOT NULL AND delivered_at < ?", (cutoff,)
    ).rowcount
    stuck = conn.execute(
        "DELETE FROM inbox WHERE delivered_at IS NULL AND stored_at < ?", (cutoff,)
    ).rowcount
    return max(delivered, 0), max(stuck, 0)


# --- Workers -------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@dataclass(frozen=True, slots=True)
class WorkerId:
    """This process as a worker: a unique id, its host and pid."""

    id: str
    host: str
    pid: int

    @classmethod
    def this_process(cls, token: str) -> WorkerId:
        """The id of the running process (`token` makes a restarted pid a new worker)."""
        host = socket.gethostname()
        pid = os.getpid()
        return cls(f"{host}:{pid}:{token}", host, pid)


def heartbeat_in(
    conn: Connection,
    me: WorkerId,
    *,
    now: datetime,
    stale_before: datetime,
    alive: Callable[[int], bool] = pid_alive,
) -> int:
    """List (or refresh) this worker; remove dead ones. How many were removed.

    Dead: not seen since `stale_before`, or on this host with its pid gone. Their claims lapse
    with them (`_live`), so their users' rows are picked up by `orphans_in`.
    """
    conn.execute(
        "INSERT INTO workers (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        (me.id, me.host, me.pid, to_db(now), to_db(now)),
    )
    stale = to_db(stale_before)
    dead = [
        str(row["id"])
        for row in conn.execute(
            "SELECT id, host, pid, seen_at FROM workers WHERE id != ?", (me.id,)
        ).fetchall()
        if str(row["seen_at"]) < stale or (row["host"] == me.host and not alive(int(row["pid"])))
    ]
    conn.executemany("DELETE FROM workers WHERE id = ?", [(worker,) for worker in dead])
    return len(dead)


def job_run_in(conn: Connection, *, name: str, day: str, worker: str, now: datetime) -> bool:
    """Record that `worker` runs the daily job `name` for `day`; False if someone already did.

    With several workers each schedules every daily job, and only the first to record the
    day's run runs it.
    """
    row = conn.execute(
        "INSERT INTO job_runs (name, day, worker, started_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING name",
        (name, day, worker, to_db(now)),
    ).fetchone()
    return row is not None


def forget_job_runs_in(conn: Connection, *, before: datetime) -> int:
    """Delete the record of daily runs of days before `before`; how many."""
    return max(
        conn.execute("DELETE FROM job_runs WHERE day < ?", (before.date().isoformat(),)).rowcount,
        0,
    )


def leave_in(conn: Connection, me: WorkerId) -> None:
    """Unlist this worker on a clean stop (its claims lapse at once)."""
    conn.execute("DELETE FROM workers WHERE id = ?", (me.id,))


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits in the inbox: rows not yet delivered, and the age of the oldest (seconds)."""

    open: int
    oldest_seconds: float


def backlog_in(conn: Connection, now: datetime, channels: Sequence[str]) -> Backlog:
    """The backlog of `channels` at `now` (for `/healthz` and `/metrics`).

    Only the channels some process serves: a row of a channel switched off waits for the
    nightly purge and says nothing about the health of the others.
    """
    marks = ", ".join("?" for _ in channels) or "NULL"
    row = conn.execute(
        "SELECT COUNT(*), MIN(stored_at) FROM inbox WHERE delivered_at IS NULL"
        f" AND channel IN ({marks})",
        tuple(channels),
    ).fetchone()
    count, oldest = int(row[0]), row[1]
    age = 0.0 if oldest is None else max(0.0, (now - from_db(str(oldest))).total_seconds())
    return Backlog(count, age)
