"""The nightly housekeeping job: expired sessions and old processed-message ids are deleted."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot.app import App
from storage import inbox
from storage.clock import to_db
from storage.db import Connection
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


async def test_inbox_rows_older_than_a_week_are_purged_with_any_text_left(
    app: App, clock: FakeClock
) -> None:
    """Delivered ids of 8 days ago go, 6 days stay; a row stuck undelivered for 8 days goes too."""
    now = clock()

    def fill(conn: Connection) -> None:
        for message, stored, delivered, body in (
            ("d8", 8, 8, ""),
            ("d6", 6, 6, ""),
            ("stuck8", 8, None, '{"text": "CCCD 048090001234"}'),
            ("open1", 1, None, '{"text": "xin chào"}'),
        ):
            conn.execute(
                "INSERT INTO inbox (channel, message_id, user_id, body, received_at, stored_at,"
                " delivered_at) VALUES ('test', ?, 'u', ?, '', ?, ?)",
                (
                    message,
                    body,
                    to_db(now - timedelta(days=stored)),
                    to_db(now - timedelta(days=delivered)) if delivered is not None else None,
                ),
            )

    await app.db.write(fill)
    purge = next(job for job in app.daily_jobs if job.name == "housekeeping.purge")
    await purge.callback(app.services, now)
    rows = await app.db.fetchall("SELECT message_id FROM inbox ORDER BY message_id")
    assert [row["message_id"] for row in rows] == ["d6", "open1"]


async def test_the_record_of_daily_runs_keeps_a_week(app: App, clock: FakeClock) -> None:
    """The nightly purge forgets which worker ran a daily job more than seven days ago."""
    now = clock()
    for days in (3, 9):
        day = (now - timedelta(days=days)).date().isoformat()
        await app.db.write(
            partial(inbox.job_run_in, name="housekeeping.purge", day=day, worker="w", now=now)
        )
    purge = next(job for job in app.daily_jobs if job.name == "housekeeping.purge")
    await purge.callback(app.services, now)
    rows = await app.db.fetchall("SELECT day FROM job_runs")
    assert [str(row[0]) for row in rows] == [(now - timedelta(days=3)).date().isoformat()]
