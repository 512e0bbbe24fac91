"""Zalo Official Account (OA) tokens in the `settings` table.

Zalo rotates refresh tokens: every refresh returns a new access token *and* a new refresh token,
and the old refresh token stops working. The pair is therefore written in one transaction, so a
crash can never leave a new access token beside a dead refresh token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.db import Database

ACCESS_KEY = "zalo_oa.access_token"
REFRESH_KEY = "zalo_oa.refresh_token"


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An OA access token with the refresh token issued beside it."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)


class ZaloTokenStore:
    """Loads and atomically replaces the OA token pair."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self) -> TokenPair | None:
        """The stored pair, or None when nothing (or only half a pair) is stored."""
        rows = await self.db.fetchall(
            "SELECT key, value FROM settings WHERE key IN (?, ?)", (ACCESS_KEY, REFRESH_KEY)
        )
        values = {str(row["key"]): str(row["value"]) for row in rows}
        if ACCESS_KEY not in values or REFRESH_KEY not in values:
            return None
        return TokenPair(values[ACCESS_KEY], values[REFRESH_KEY])

    async def save(self, pair: TokenPair, *, now: datetime) -> None:
        """Store both tokens in one transaction."""
        stamp = now.isoformat()
        await self.db.executemany(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            [(ACCESS_KEY, pair.access_token, stamp), (REFRESH_KEY, pair.refresh_token, stamp)],
        )

    async def seed(self, pair: TokenPair, *, now: datetime) -> TokenPair:
        """Store `pair` only if nothing is stored yet; returns the pair in force.

        Settings seed the first pair; after the first refresh the database holds the live one
        (the configured refresh token is then dead, so it must not overwrite the stored pair).
        """
        stored = await self.load()
        if stored is not None:
            return stored
        await self.save(pair, now=now)
        return pair
