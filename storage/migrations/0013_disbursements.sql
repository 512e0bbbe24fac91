-- Money out of Quỹ "Vì người nghèo" (phiếu chi): an append-only ledger of disbursements, and
-- goods / quantity columns for gifts in kind.
--   campaign_id       the campaign the money comes from; NULL: the ward's fund as a whole;
--   year, seq         the voucher's gapless number per ward and year (VNN-HCB-2026-C000012);
--   kind              payment | reversal (negative, names the original, at most one each);
--   purpose           a use the fund's regulation lists (QĐ 924/QĐ-MTTƯ, QĐ 1198/QĐ-MTTW-ĐCT);
--   registration_id   the ward's exit registration (đăng ký thoát nghèo) of the household,
--                     when one exists (a plain id: erasing a registration's personal fields
--                     never touches this ledger); else household_code; else beneficiary_name;
--   name_public       1 only when the household consented to be named publicly;
--   amount            whole đồng (for goods: their value);
--   decision_number / decision_date   the decision that approved the payment (required).
CREATE TABLE donation_disbursements (
    id INTEGER PRIMARY KEY,
    ward_id TEXT NOT NULL REFERENCES wards(id),
    fund TEXT NOT NULL CHECK (fund IN ('vnn', 'doand')),
    campaign_id INTEGER REFERENCES donation_campaigns(id),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    voucher TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'reversal')),
    reverses_id INTEGER UNIQUE REFERENCES donation_disbursements(id),
    purpose TEXT NOT NULL CHECK (purpose IN (
        'housing', 'schooling', 'hospital', 'production', 'hunger', 'tet', 'other')),
    registration_id INTEGER,
    household_code TEXT NOT NULL DEFAULT '',
    beneficiary_name TEXT NOT NULL DEFAULT '',
    name_public INTEGER NOT NULL DEFAULT 0 CHECK (name_public IN (0, 1)),
    amount INTEGER NOT NULL,
    goods TEXT NOT NULL DEFAULT '',
    quantity TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL CHECK (method IN ('cash', 'transfer', 'in_kind')),
    paid_on TEXT NOT NULL,
    decision_number TEXT NOT NULL CHECK (decision_number <> ''),
    decision_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER,
    recorded_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    UNIQUE (ward_id, year, seq),
    CHECK (name_public = 0 OR beneficiary_name <> ''),
    CHECK (
        (kind = 'payment' AND amount > 0 AND reverses_id IS NULL)
        OR (kind = 'reversal' AND amount < 0 AND reverses_id IS NOT NULL)
    )
);
-- The balance check reads a ward's movements per day: both indexes cover those reads.
CREATE INDEX donation_disbursements_ward
    ON donation_disbursements (ward_id, fund, paid_on, campaign_id, amount);
CREATE INDEX donation_disbursements_campaign ON donation_disbursements (campaign_id, paid_on);

-- Append-only, like the gifts: a correction is a reversal, never an edit.
CREATE TRIGGER donation_disbursements_no_update BEFORE UPDATE ON donation_disbursements
BEGIN
    SELECT RAISE(ABORT, 'disbursement ledger is append-only');
END;
CREATE TRIGGER donation_disbursements_no_delete BEFORE DELETE ON donation_disbursements
BEGIN
    SELECT RAISE(ABORT, 'disbursement ledger is append-only');
END;

-- Gifts in kind keep what was given and how much ("bao gạo", "20 bao"); the amount stays the
-- goods' value in đồng. The update trigger does not fire on ALTER TABLE.
ALTER TABLE donation_entries ADD COLUMN goods TEXT NOT NULL DEFAULT '';
ALTER TABLE donation_entries ADD COLUMN quantity TEXT NOT NULL DEFAULT '';
CREATE INDEX donation_entries_ward_day
    ON donation_entries (ward_id, donated_on, campaign_id, amount);
