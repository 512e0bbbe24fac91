-- Several workers on one database (PostgreSQL). An outbox message is sent by the worker that
-- claimed it (a claim counts while its worker is listed in `workers`, as in the inbox), and a
-- daily job runs once a day, by the worker that recorded the day's run first.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

CREATE TABLE job_runs (
    name TEXT NOT NULL,
    day TEXT NOT NULL,
    worker TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (name, day)
);
