-- Donations (Quỹ "Vì người nghèo"): campaigns and an append-only ledger of gifts.
CREATE TABLE donation_campaigns (
    id INTEGER PRIMARY KEY,
    ward_id TEXT REFERENCES wards(id),           -- NULL: the whole district
    name TEXT NOT NULL,
    fund TEXT NOT NULL DEFAULT 'vnn' CHECK (fund IN ('vnn', 'doand')),
    target INTEGER NOT NULL CHECK (target > 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX donation_campaigns_ward ON donation_campaigns (ward_id, ends_on);

-- Short upper-case ward codes used in receipt numbers (VNN-HCB-2026-000045).
CREATE TABLE donation_ward_codes (
    ward_id TEXT PRIMARY KEY REFERENCES wards(id),
    code TEXT NOT NULL UNIQUE
);

CREATE TABLE donation_entries (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES donation_campaigns(id),
    ward_id TEXT NOT NULL REFERENCES wards(id),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    receipt TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'gift' CHECK (kind IN ('gift', 'reversal')),
    reverses_id INTEGER UNIQUE REFERENCES donation_entries(id),
    donor_type TEXT NOT NULL CHECK (donor_type IN ('person', 'organisation', 'business', 'salary')),
    donor_name TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
    amount INTEGER NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('cash', 'transfer', 'in_kind')),
    reference TEXT NOT NULL DEFAULT '',
    donated_on TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER,
    recorded_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    UNIQUE (ward_id, year, seq),
    CHECK (
        (kind = 'gift' AND amount > 0 AND reverses_id IS NULL)
        OR (kind = 'reversal' AND amount < 0 AND reverses_id IS NOT NULL)
    )
);
CREATE INDEX donation_entries_campaign ON donation_entries (campaign_id, ward_id, donated_on);

-- The ledger is append-only: a correction is a reversal entry, never an edit.
CREATE TRIGGER donation_entries_no_update BEFORE UPDATE ON donation_entries
BEGIN
    SELECT RAISE(ABORT, 'donation ledger is append-only');
END;
CREATE TRIGGER donation_entries_no_delete BEFORE DELETE ON donation_entries
BEGIN
    SELECT RAISE(ABORT, 'donation ledger is append-only');
END;
