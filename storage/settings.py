"""Key-value settings (`settings` table): an admin's notice day, the Zalo OA token pair."""

from __future__ import annotations

from storage.db import Connection

PUT_SETTING = (
    "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)
"""Insert or replace one setting: parameters (key, value, updated_at as stored text)."""


def put_in(conn: Connection, values: list[tuple[str, str, str]]) -> None:
    """Store (key, value, updated_at) rows inside the caller's transaction (a `Step`)."""
    conn.executemany(PUT_SETTING, values)


def get_in(conn: Connection, keys: list[str]) -> dict[str, str]:
    """The stored values of `keys` (absent keys are left out)."""
    marks = ", ".join("?" for _ in keys)
    rows = conn.execute(f"SELECT key, value FROM settings WHERE key IN ({marks})", keys)
    return {str(key): str(value) for key, value in rows}
