"""Zalo Official Account (OA) tokens in the `settings` table.

Zalo rotates refresh tokens: every refresh returns a new access token *and* a new refresh token,
and the old refresh token stops working. The pair is therefore written in one transaction, so a
crash can never leave a new access token beside a dead refresh token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.db import Database
from storage.settings import get_in, put_in

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
        values = await self.db.run(lambda conn: get_in(conn, [ACCESS_KEY, REFRESH_KEY]))
        if ACCESS_KEY not in values or REFRESH_KEY not in values:
            return None
        return TokenPair(values[ACCESS_KEY], values[REFRESH_KEY])

    async def save(self, pair: TokenPair, *, now: datetime) -> None:
        """Store both tokens in one transaction."""
        stamp = now.isoformat()
        rows = [(ACCESS_KEY, pair.access_token, stamp), (REFRESH_KEY, pair.refresh_token, stamp)]
        await self.db.write(lambda conn: put_in(conn, rows))

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
