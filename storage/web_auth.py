"""Web sign-in: single-use links sent in the chat, and the browser sessions they start.

A link token and a session id are 32 random bytes (`secrets.token_urlsafe`); only their
SHA-256 hashes are stored, so a copy of the database signs no one in. A link works once,
within `LINK_TTL`; redeeming it is one `UPDATE … RETURNING` in one write transaction, so two
tabs racing on the same link get one session. A session ends after `IDLE_TTL` without a
request or `SESSION_TTL` after it started, whichever comes first; each request moves its idle
deadline. Every step here is a `*_in` function for `Database.write`/`unit`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.clock import from_db, to_db
from storage.db import Connection

LINK_TTL = timedelta(minutes=10)
"""How long a sign-in link works."""

IDLE_TTL = timedelta(minutes=30)
"""A session with no request for this long is over."""

SESSION_TTL = timedelta(hours=12)
"""A session is over this long after it started, however busy."""


def digest(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live browser session: whose it is and the token its forms must carry."""

    user_id: int
    csrf: str
    expires_at: datetime


def issue_link_in(conn: Connection, user_id: int, now: datetime) -> str:
    """Store a new sign-in link for `user_id`; returns its token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM web_links WHERE expires_at < ?", (to_db(now - LINK_TTL),))
    conn.execute(
        "INSERT INTO web_links (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (digest(token), user_id, to_db(now), to_db(now + LINK_TTL)),
    )
    return token


def link_user_in(conn: Connection, token: str, now: datetime) -> int | None:
    """Whose unused, unexpired link `token` is (without using it), or None."""
    row = conn.execute(
        "SELECT user_id FROM web_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        (digest(token), to_db(now)),
    ).fetchone()
    return None if row is None else int(row[0])


def redeem_link_in(conn: Connection, token: str, now: datetime) -> tuple[str, int] | None:
    """Use link `token` once and start a session: (session id, user id), or None.

    None when the link is unknown, used already or expired. The session id is returned once
    (for the cookie) and only its hash is stored.
    """
    row = conn.execute(
        "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ? RETURNING user_id",
        (to_db(now), digest(token), to_db(now)),
    ).fetchone()
    if row is None:
        return None
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, seen_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (digest(session_id), int(row[0]), csrf, to_db(now), to_db(now), to_db(now + SESSION_TTL)),
    )
    return session_id, int(row[0])


def session_in(conn: Connection, session_id: str, now: datetime) -> WebSession | None:
    """The live session `session_id`, its idle deadline moved on; None when over or unknown."""
    key = digest(session_id)
    row = conn.execute(
        "SELECT user_id, csrf, seen_at, expires_at FROM web_sessions WHERE id_hash = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    expires_at = from_db(str(row["expires_at"]))
    if now >= expires_at or now - from_db(str(row["seen_at"])) >= IDLE_TTL:
        conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (key,))
        return None
    conn.execute("UPDATE web_sessions SET seen_at = ? WHERE id_hash = ?", (to_db(now), key))
    return WebSession(int(row["user_id"]), str(row["csrf"]), expires_at)


def end_session_in(conn: Connection, session_id: str) -> None:
    """Sign out: forget the session."""
    conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (digest(session_id),))


def end_sessions_of_in(conn: Connection, user_id: int) -> int:
    """Forget every session and link of `user_id` (a role taken away); returns sessions ended."""
    conn.execute("DELETE FROM web_links WHERE user_id = ?", (user_id,))
    return conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,)).rowcount


def purge_in(conn: Connection, now: datetime) -> int:
    """Delete links and sessions that can no longer be used; returns how many rows went."""
    links = conn.execute(
        "DELETE FROM web_links WHERE expires_at < ? OR used_at IS NOT NULL", (to_db(now),)
    ).rowcount
    sessions = conn.execute(
        "DELETE FROM web_sessions WHERE expires_at < ? OR seen_at < ?",
        (to_db(now), to_db(now - IDLE_TTL)),
    ).rowcount
    return links + sessions
