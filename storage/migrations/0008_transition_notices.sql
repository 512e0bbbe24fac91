-- Transition notices: a resident who kept a self-check result hears once what their saved
-- answers give under the next standard (2027–2030, Decree 351/2025/NĐ-CP).
-- `answers`: the answers as JSON, kept only with the resident's consent to save the result
-- (NULL for rows saved before this migration). `ward_id`: the commune the resident named, when
-- it is a ward served here (no foreign key, so this migration does not depend on the wards
-- table's shape). Both go with the row on /xoadulieu.
ALTER TABLE self_check_results ADD COLUMN answers TEXT;
ALTER TABLE self_check_results ADD COLUMN ward_id TEXT;
CREATE INDEX self_check_results_ward ON self_check_results (ward_id) WHERE ward_id IS NOT NULL;

-- One row per notice queued: the same transaction writes it and the outbox message, so a
-- restart never sends twice and never loses one; `outbox_id` is that message (for the status
-- figures and to drop it on opt-out before delivery). Deleted by /xoadulieu.
CREATE TABLE notices_sent (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    result_id INTEGER REFERENCES self_check_results(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    outbox_id INTEGER,
    UNIQUE (user_id, kind)
);

-- Residents who asked for no more such notices (/tatthongbao). Deleted by /xoadulieu.
CREATE TABLE notice_opt_outs (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    opted_out_at TEXT NOT NULL
);

-- The day the notices go out is a row of the `settings` table (0001), key
-- 'notices.standard-2027.send_on'; without it the default (2026-12-15) applies.
