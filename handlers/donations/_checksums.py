"""The statement checksum of every campaign, to compare two copies of one ledger (`db copy`)."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import Translator
from handlers.donations._statement import make_statement
from storage.db import Database
from storage.ledger import Ledger
from storage.users import UserRepository

__all__ = ["statement_checksums"]


async def statement_checksums(db: Database, *, now: datetime) -> dict[int, str]:
    """Campaign id → the SHA-256 of its whole statement (sao kê), every period, in Vietnamese.

    Two databases holding the same ledger give the same checksums: the checksum covers every
    line, the balances and the ledger state (row counts and highest ids), never `now`.
    """
    ledger, users = Ledger(db), UserRepository(db)
    t = Translator("vi")
    checksums: dict[int, str] = {}
    for campaign in await ledger.campaigns(all_wards=True):
        statement = await make_statement(
            ledger, users, t, campaign=campaign, start=None, end=None, now=now
        )
        checksums[campaign.id] = statement.checksum
    return checksums
