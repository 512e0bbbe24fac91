"""The resident web chat's history: what each browser sent and every reply, kept 30 days.

A browser is known by `chat_key(cookie)`, a digest of its `gn_b` cookie, so the cookie (which
is what lets a browser read its history) is never stored. A resident's message is stored with
the id its form was drawn with (`form_id`, unique per browser): the same form sent twice is one
message, and `answered_at` says its replies are stored. Replies keep their buttons (as
`[label, payload]` pairs) and their file (a chart, a PDF), served only to that browser. Rows
older than `KEEP` are purged; `/xoadulieu` deletes a browser's rows (`erase_in`). Every step
here is a `*_in` function for `Database.write`/`unit`/`peek`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from storage.clock import from_db, to_db
from storage.db import Connection, Row

__all__ = [
    "CHANNEL",
    "KEEP",
    "ChatMessage",
    "StoredFile",
    "chat_key",
    "erase_in",
    "file_in",
    "history_in",
    "label_in",
    "mark_answered_in",
    "pending_in",
    "purge_in",
    "record_sent_in",
]

CHANNEL = "web"
"""The channel name of the web chat (users, sessions, the inbox and the outbox)."""

KEEP = timedelta(days=30)
"""How long a message stays in a browser's history."""

SHOWN = 200
"""The most recent messages a page shows."""

Pairs = tuple[tuple[str, str], ...]
Sent = Literal["new", "again", "clash"]


def chat_key(cookie: str) -> str:
    """The stored name of a browser (its user id and chat id on the `web` channel)."""
    return "w" + hashlib.sha256(b"web-chat:" + cookie.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One bubble of the conversation."""

    id: int
    author: Literal["resident", "bot"]
    text: str
    choices: Pairs
    file_name: str | None
    file_kind: str | None
    created_at: datetime
    answered: bool


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A reply's file: its name, kind (`image` or `document`) and bytes."""

    name: str
    kind: str
    data: bytes


def _message(row: Row) -> ChatMessage:
    pairs = tuple((str(label), str(payload)) for label, payload in json.loads(row["choices"]))
    return ChatMessage(
        id=int(row["id"]),
        author="bot" if row["author"] == "bot" else "resident",
        text=str(row["text"]),
        choices=pairs,
        file_name=row["file_name"],
        file_kind=row["file_kind"],
        created_at=from_db(str(row["created_at"])),
        answered=row["answered_at"] is not None,
    )


def record_sent_in(
    conn: Connection, chat_id: str, form_id: str, sent: str, text: str, now: datetime
) -> Sent:
    """Store what a resident sent from the form drawn as `form_id`.

    Returns "new" when stored, "again" when that form already sent the same thing (a double
    submit: nothing is stored twice), "clash" when it sent something else (a page re-used after
    going back: the caller draws a new id).
    """
    cursor = conn.execute(
        "INSERT INTO web_chat_messages (chat_id, author, form_id, sent, text,"
        " created_at) VALUES (?, 'resident', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (chat_id, form_id, sent, text, to_db(now)),
    )
    if cursor.rowcount == 1:
        return "new"
    row = conn.execute(
        "SELECT sent FROM web_chat_messages WHERE chat_id = ? AND form_id = ?", (chat_id, form_id)
    ).fetchone()
    return "again" if row is not None and row["sent"] == sent else "clash"


def add_reply_in(
    conn: Connection,
    chat_id: str,
    text: str,
    choices: Pairs,
    now: datetime,
    file: StoredFile | None = None,
) -> int:
    """Append a reply (its buttons, its file) to a browser's history; returns its id."""
    cursor = conn.execute(
        "INSERT INTO web_chat_messages (chat_id, author, text, choices, file_name, file_kind,"
        " file_data, created_at, answered_at) VALUES (?, 'bot', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            chat_id,
            text,
            json.dumps([list(pair) for pair in choices], ensure_ascii=False),
            file.name if file else None,
            file.kind if file else None,
            file.data if file else None,
            to_db(now),
            to_db(now),
        ),
    )
    return int(cursor.fetchone()[0])


def replace_reply_in(
    conn: Connection, chat_id: str, row_id: int, text: str, choices: Pairs
) -> bool:
    """Change a reply in place (a toggled choice); False when it is not this browser's reply."""
    cursor = conn.execute(
        "UPDATE web_chat_messages SET text = ?, choices = ? WHERE id = ? AND chat_id = ?"
        " AND author = 'bot'",
        (text, json.dumps([list(pair) for pair in choices], ensure_ascii=False), row_id, chat_id),
    )
    return cursor.rowcount == 1


def drop_sent_in(conn: Connection, chat_id: str, form_id: str) -> None:
    """Remove the bubble of a press whose reply changed the pressed message in place."""
    conn.execute(
        "DELETE FROM web_chat_messages WHERE chat_id = ? AND form_id = ? AND author = 'resident'",
        (chat_id, form_id),
    )


def mark_answered_in(conn: Connection, chat_id: str, form_id: str, now: datetime) -> None:
    """Say the message sent from `form_id` has its replies stored."""
    conn.execute(
        "UPDATE web_chat_messages SET answered_at = ? WHERE chat_id = ? AND form_id = ?"
        " AND answered_at IS NULL",
        (to_db(now), chat_id, form_id),
    )


def answered_in(conn: Connection, chat_id: str, form_id: str) -> bool:
    """Whether the message sent from `form_id` is answered (or gone: erased, purged)."""
    row = conn.execute(
        "SELECT answered_at FROM web_chat_messages WHERE chat_id = ? AND form_id = ?",
        (chat_id, form_id),
    ).fetchone()
    return row is None or row["answered_at"] is not None


def history_in(
    conn: Connection, chat_id: str, now: datetime, *, after: int = 0
) -> list[ChatMessage]:
    """The browser's last `SHOWN` messages newer than row `after` and `KEEP`, oldest first."""
    rows = conn.execute(
        "SELECT id, author, text, choices, file_name, file_kind, created_at, answered_at"
        " FROM web_chat_messages WHERE chat_id = ? AND id > ? AND created_at >= ?"
        " ORDER BY id DESC LIMIT ?",
        (chat_id, after, to_db(now - KEEP), SHOWN),
    ).fetchall()
    return [_message(row) for row in reversed(rows)]


def pending_in(conn: Connection, chat_id: str, now: datetime) -> bool:
    """Whether a message of the browser still waits for its replies."""
    row = conn.execute(
        "SELECT 1 FROM web_chat_messages WHERE chat_id = ? AND author = 'resident'"
        " AND answered_at IS NULL AND created_at >= ? LIMIT 1",
        (chat_id, to_db(now - KEEP)),
    ).fetchone()
    return row is not None


def label_in(conn: Connection, chat_id: str, payload: str) -> str | None:
    """The label of the newest button of the browser's replies that sends `payload`."""
    rows = conn.execute(
        "SELECT choices FROM web_chat_messages WHERE chat_id = ? AND author = 'bot'"
        " AND choices != '[]' ORDER BY id DESC LIMIT 20",
        (chat_id,),
    ).fetchall()
    for row in rows:
        for label, sent in json.loads(row["choices"]):
            if sent == payload:
                return str(label)
    return None


def file_in(conn: Connection, chat_id: str, row_id: int, now: datetime) -> StoredFile | None:
    """A reply's file, only for the browser it was sent to (None otherwise, or expired)."""
    row = conn.execute(
        "SELECT file_name, file_kind, file_data FROM web_chat_messages WHERE id = ?"
        " AND chat_id = ? AND file_data IS NOT NULL AND created_at >= ?",
        (row_id, chat_id, to_db(now - KEEP)),
    ).fetchone()
    if row is None:
        return None
    return StoredFile(str(row["file_name"]), str(row["file_kind"]), bytes(row["file_data"]))


def purge_in(conn: Connection, now: datetime) -> int:
    """Delete every message older than `KEEP`; returns how many went."""
    return conn.execute(
        "DELETE FROM web_chat_messages WHERE created_at < ?", (to_db(now - KEEP),)
    ).rowcount


def erase_in(conn: Connection, user_id: int, *, dry_run: bool) -> int:
    """Delete (or, in a dry run, count) the web chat history of user `user_id`."""
    row = conn.execute(
        "SELECT chat_id FROM users WHERE id = ? AND channel = ?", (user_id, CHANNEL)
    ).fetchone()
    if row is None:
        return 0
    if dry_run:
        found = conn.execute(
            "SELECT COUNT(*) FROM web_chat_messages WHERE chat_id = ?", (row["chat_id"],)
        ).fetchone()
        return int(found[0])
    return conn.execute(
        "DELETE FROM web_chat_messages WHERE chat_id = ?", (row["chat_id"],)
    ).rowcount
