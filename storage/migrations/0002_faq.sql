-- Q&A: questions handed over to ward officers, and the log of unanswered / unhelpful questions.
CREATE TABLE handover_questions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ward_id TEXT NOT NULL REFERENCES wards(id),
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    answer TEXT,
    answered_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    answered_at TEXT
);
CREATE INDEX handover_open ON handover_questions (ward_id, answered_at, id);

-- No user id on purpose: this log is for growing the content, not for tracking people.
CREATE TABLE question_log (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    normalized TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('unanswered', 'unhelpful')),
    created_at TEXT NOT NULL
);
CREATE INDEX question_log_normalized ON question_log (normalized);

CREATE TABLE answer_feedback (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
