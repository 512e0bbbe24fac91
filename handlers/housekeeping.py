"""Housekeeping: a nightly job that forgets what the bot no longer needs.

Sessions past their time to live are never resumed (the user starts afresh), yet their data
would stay on disk: a form abandoned months ago would still hold its ID-card number and phone.
The job deletes them, with the ids of processed messages older than a week (kept only so a
channel's redelivery is not handled twice), and the inbox rows of the same age: a delivered
row holds only its ids by then; one never delivered in a week (its channel switched off) loses
its text too, and is counted in the log. Web sign-in links and sessions that can no longer
be used go as well.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from functools import partial

from bot.core.feature import DailyJob, FeatureContext
from bot.core.turn import Services
from storage import inbox, web_auth

log = logging.getLogger(__name__)

PURGE_AT = time(3, 0)
"""When the purge runs (Asia/Ho_Chi_Minh): the quietest hour."""

KEEP_PROCESSED = timedelta(days=7)
"""How long a processed message id is remembered (well past any channel's redelivery)."""


async def purge(services: Services, now: datetime) -> None:
    """Delete expired sessions, and message ids and inbox rows older than `KEEP_PROCESSED`."""
    sessions, processed = await services.sessions.purge(now=now, keep_processed=KEEP_PROCESSED)
    delivered, stuck = await services.db.write(
        partial(inbox.purge_in, delivered_before=now - KEEP_PROCESSED)
    )
    web = await services.db.write(partial(web_auth.purge_in, now=now))
    runs = await services.db.write(partial(inbox.forget_job_runs_in, before=now - KEEP_PROCESSED))
    log.info(
        "housekeeping purge sessions=%d processed=%d inbox=%d undelivered=%d web=%d job_runs=%d",
        sessions,
        processed,
        delivered,
        stuck,
        web,
        runs,
    )


def install(ctx: FeatureContext) -> None:
    """Register the nightly purge."""
    ctx.daily_jobs.append(DailyJob("housekeeping.purge", PURGE_AT, purge))
