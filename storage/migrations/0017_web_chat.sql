-- The resident web chat's history, per browser: what the resident sent and each reply with
-- its buttons, so a reload or a return visit shows the conversation. `chat_id` is a digest of
-- the browser's cookie (the cookie itself is never stored). Kept 30 days, then purged; deleted
-- by /xoadulieu typed in the web chat.
CREATE TABLE web_chat_messages (
    id INTEGER PRIMARY KEY,
    chat_id TEXT NOT NULL,
    author TEXT NOT NULL CHECK (author IN ('resident', 'bot')),
    form_id TEXT,
    sent TEXT,
    text TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    file_name TEXT,
    file_kind TEXT,
    file_data BLOB,
    created_at TEXT NOT NULL,
    answered_at TEXT
);
CREATE UNIQUE INDEX web_chat_form ON web_chat_messages (chat_id, form_id);
CREATE INDEX web_chat_age ON web_chat_messages (created_at);
CREATE INDEX web_chat_order ON web_chat_messages (chat_id, id);
