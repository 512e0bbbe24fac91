-- Self-check: results a resident chose to keep ("Lưu kết quả để lần sau xem lại?").
-- Only the outcome is kept, never the individual answers; deleted by /xoadulieu.
CREATE TABLE self_check_results (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    checked_on TEXT NOT NULL,
    standard_id TEXT NOT NULL,
    category TEXT NOT NULL
        CHECK (category IN ('poor', 'near_poor', 'average_living', 'not_poor')),
    income_per_person INTEGER NOT NULL,
    deprived TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX self_check_results_user ON self_check_results (user_id, id);
