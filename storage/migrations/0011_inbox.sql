-- The durable inbox: every update a channel receives is stored here before the platform is told
-- it arrived (the Telegram offset moves on, a webhook answers 200). A worker claims a user's
-- oldest undelivered row, handles it (the session, the processed mark and `handled_at` with the
-- replies commit together), delivers the replies and marks the row delivered, which erases its
-- text. Rows of one user are handled one at a time, in id order, by one worker.
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    claimed_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    handled_at TEXT,
    replies TEXT NOT NULL DEFAULT '',
    delivered_at TEXT,
    UNIQUE (channel, message_id)
);
CREATE INDEX inbox_user_open ON inbox (channel, user_id, id) WHERE delivered_at IS NULL;
CREATE INDEX inbox_open ON inbox (id) WHERE delivered_at IS NULL;
CREATE INDEX inbox_delivered ON inbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- The processes serving this database: a claim counts only while its worker is listed here.
-- A worker refreshes `seen_at`; one not seen for a while, or whose pid is gone on this host, is
-- removed and its claims are released.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
