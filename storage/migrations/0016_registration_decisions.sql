-- Final decisions on registrations to exit poverty (quyết định công nhận thoát nghèo), their
-- admin corrections, and the indexes of the officers' desk.
--
-- exit_registrations.decision_number / decision_date: the decision in force (number as
-- written on it, date ISO yyyy-mm-dd); '' while there is none. Blanked by nothing: they are
-- not personal data.
ALTER TABLE exit_registrations ADD COLUMN decision_number TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registrations ADD COLUMN decision_date TEXT NOT NULL DEFAULT '';

-- Each history row says what it was: a status change ('status'), a final decision recorded
-- ('decision') or an admin's correction of one ('correction', its reason in `note`), with the
-- decision's number and date when it carries one. `request_key`: the idempotency key drawn
-- when the form or confirmation was shown; unique, so a double submit records once.
ALTER TABLE exit_registration_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'
    CHECK (kind IN ('status', 'decision', 'correction'));
ALTER TABLE exit_registration_history ADD COLUMN decision_number TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registration_history ADD COLUMN decision_date TEXT NOT NULL DEFAULT '';
ALTER TABLE exit_registration_history ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX exit_registration_history_key
    ON exit_registration_history (request_key) WHERE request_key IS NOT NULL;

-- The causes of poverty and wished supports ticked, as bit masks (bit i: the i-th key of
-- `CAUSES` / `SUPPORTS` in storage/registrations.py, in this order:
--   causes   capital, land, labour, illness, skills, dependants, jobs, other;
--   supports loan, training, job, seedlings, housing, other),
-- so the desk filters a ward's list by cause or support inside an index instead of reading
-- every row's JSON. Written with the registration; kept on anonymisation (as the JSON is).
ALTER TABLE exit_registrations ADD COLUMN cause_bits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exit_registrations ADD COLUMN support_bits INTEGER NOT NULL DEFAULT 0;
UPDATE exit_registrations SET
    cause_bits = (
        SELECT COALESCE(SUM(DISTINCT CASE j.value
            WHEN 'capital' THEN 1 WHEN 'land' THEN 2 WHEN 'labour' THEN 4 WHEN 'illness' THEN 8
            WHEN 'skills' THEN 16 WHEN 'dependants' THEN 32 WHEN 'jobs' THEN 64
            WHEN 'other' THEN 128 ELSE 0 END), 0)
        FROM json_each(exit_registrations.causes) AS j),
    support_bits = (
        SELECT COALESCE(SUM(DISTINCT CASE j.value
            WHEN 'loan' THEN 1 WHEN 'training' THEN 2 WHEN 'job' THEN 4 WHEN 'seedlings' THEN 8
            WHEN 'housing' THEN 16 WHEN 'other' THEN 32 ELSE 0 END), 0)
        FROM json_each(exit_registrations.supports) AS j);

-- The desk's list: a ward's registrations in order, by status or not, the masks in the index
-- (covering), so a filtered page and its count read the index only, even at 10,000 rows.
-- The first replaces exit_registrations_ward (ward_id, status, id), its prefix.
DROP INDEX exit_registrations_ward;
CREATE INDEX exit_registrations_ward_status
    ON exit_registrations (ward_id, status, id, cause_bits, support_bits);
CREATE INDEX exit_registrations_ward_order
    ON exit_registrations (ward_id, id, status, cause_bits, support_bits);
