-- PostgreSQL variant of 0016_registration_decisions.sql: the bit masks are BIGINT, and the
-- masks of existing rows are computed with jsonb_array_elements_text instead of json_each.
ALTER TABLE exit_registrations ADD COLUMN decision_number TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registrations ADD COLUMN decision_date TEXT NOT NULL DEFAULT '';

ALTER TABLE exit_registration_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'
    CHECK (kind IN ('status', 'decision', 'correction'));
ALTER TABLE exit_registration_history ADD COLUMN decision_number TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registration_history ADD COLUMN decision_date TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registration_history ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX exit_registration_history_key
    ON exit_registration_history (request_key) WHERE request_key IS NOT NULL;

ALTER TABLE exit_registrations ADD COLUMN cause_bits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exit_registrations ADD COLUMN support_bits BIGINT NOT NULL DEFAULT 0;
UPDATE exit_registrations SET
    cause_bits = (
        SELECT COALESCE(SUM(DISTINCT CASE j.value
            WHEN 'capital' THEN 1 WHEN 'land' THEN 2 WHEN 'labour' THEN 4 WHEN 'illness' THEN 8
            WHEN 'skills' THEN 16 WHEN 'dependants' THEN 32 WHEN 'jobs' THEN 64
            WHEN 'other' THEN 128 ELSE 0 END), 0)
        FROM jsonb_array_elements_text(exit_registrations.causes::jsonb) AS j (value)),
    support_bits = (
        SELECT COALESCE(SUM(DISTINCT CASE j.value
            WHEN 'loan' THEN 1 WHEN 'training' THEN 2 WHEN 'job' THEN 4 WHEN 'seedlings' THEN 8
            WHEN 'housing' THEN 16 WHEN 'other' THEN 32 ELSE 0 END), 0)
        FROM jsonb_array_elements_text(exit_registrations.supports::jsonb) AS j (value));

DROP INDEX exit_registrations_ward;
CREATE INDEX exit_registrations_ward_status
    ON exit_registrations (ward_id, status, id, cause_bits, support_bits);
CREATE INDEX exit_registrations_ward_order
    ON exit_registrations (ward_id, id, status, cause_bits, support_bits);
