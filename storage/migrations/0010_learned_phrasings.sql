-- Phrasings officers attached to knowledge entries from the unanswered-question log. The search
-- uses them at once; `giamngheo kb learned --export` writes them into the content files, where
-- `kb lint` checks them like any other phrasing. Texts come from the log, so they are masked.
CREATE TABLE learned_phrasings (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL,
    text TEXT NOT NULL,
    normalized TEXT NOT NULL,
    ward_id TEXT,
    added_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    exported_at TEXT,
    UNIQUE (entry_id, normalized)
);
