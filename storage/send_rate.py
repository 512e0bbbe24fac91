"""A bot's send rate shared by every worker on one database (Telegram: about 30 messages/s).

Each send reserves the next free slot of its bot in one statement: the slot is the later of
now and the previous slot plus the interval. The row is locked while the reservation commits,
so two workers, on one machine or several, never get the same slot; the machines' clocks must
agree (NTP), as the slots are wall-clock times.
"""

from __future__ import annotations

from storage.db import Connection


def take_slot_in(conn: Connection, *, bot: str, now_us: int, interval_us: int) -> int:
    """Reserve `bot`'s next send slot; the time it may go (microseconds since the epoch)."""
    row = conn.execute(
        "INSERT INTO send_rates (bot, next_us) VALUES (?, ?) ON CONFLICT (bot) DO UPDATE"
        " SET next_us = CASE WHEN send_rates.next_us + ? > excluded.next_us"
        " THEN send_rates.next_us + ? ELSE excluded.next_us END RETURNING next_us",
        (bot, now_us + interval_us, interval_us, interval_us),
    ).fetchone()
    return int(row[0]) - interval_us
