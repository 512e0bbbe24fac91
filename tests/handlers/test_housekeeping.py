"""The nightly housekeeping job: expired sessions and old processed-message ids are deleted."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from storage.sessions import Session
from tests.harness import FakeClock

FORM = {"full_name": "Nguyễn Văn An", "id_number": "048090001234", "phone": "0905123456"}


async def test_a_form_abandoned_400_days_ago_is_gone_after_the_nightly_job(
    app: App, clock: FakeClock
) -> None:
    """The job deletes a 400-day-old session (with its CCCD and phone) and keeps a fresh one."""
    sessions = app.services.sessions
    now = clock()
    old = Session("test", "abandoned", flow="exit_registration", step="phone", data=FORM)
    await sessions.save(old, now=now - timedelta(days=400), message_id="m-old")
    fresh = Session("test", "active", flow="exit_registration", step="phone", data=FORM)
    await sessions.save(fresh, now=now - timedelta(hours=1), message_id="m-new")
    purge = [job for job in app.daily_jobs if job.name == "housekeeping.purge"]
    assert len(purge) == 1

    await purge[0].callback(app.services, now)

    rows = await app.db.fetchall("SELECT user_id, data FROM sessions ORDER BY user_id")
    assert [row["user_id"] for row in rows] == ["active"]
    assert not await sessions.is_processed("test", "m-old")
    assert await sessions.is_processed("test", "m-new")
    assert (await sessions.load("test", "active", now=now)).step == "phone"


async def test_the_job_runs_at_night_and_keeps_a_week_of_message_ids(
    app: App, clock: FakeClock
) -> None:
    """Message ids of six days ago stay (redeliveries still recognised), eight days go."""
    sessions = app.services.sessions
    now = clock()
    for days, message_id in ((6, "six"), (8, "eight")):
        session = Session("test", f"u-{message_id}")
        await sessions.save(session, now=now - timedelta(days=days), message_id=message_id)
    purge = next(job for job in app.daily_jobs if job.name == "housekeeping.purge")
    assert purge.at.hour < 6

    await purge.callback(app.services, now)

    assert await sessions.is_processed("test", "six")
    assert not await sessions.is_processed("test", "eight")
