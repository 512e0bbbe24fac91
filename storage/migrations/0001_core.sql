-- Core: wards, users with roles, sessions, processed message ids, audit log, outbox.
CREATE TABLE wards (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    district TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT 'urban' CHECK (area IN ('rural', 'urban'))
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'resident' CHECK (role IN ('resident', 'officer', 'admin')),
    ward_id TEXT REFERENCES wards(id),
    language TEXT NOT NULL DEFAULT 'vi',
    display_name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX users_ward_role ON users (ward_id, role);

CREATE TABLE sessions (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    flow TEXT,
    step TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    offered TEXT NOT NULL DEFAULT '[]',
    offered_text INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, user_id)
);

CREATE TABLE processed_messages (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (channel, sent_at, id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
