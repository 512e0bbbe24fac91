-- Paying by bank transfer: a campaign's receiving account and its short transfer reference
-- (carried in every VietQR note), and the bank statements imported for reconciliation.
-- All four tables are append-only, like donation_entries: a new account is a new row (the
-- newest counts), and a statement line is never edited; what became of it is read from the
-- ledger (an entry whose reference is the line's bank reference).

CREATE TABLE donation_bank_accounts (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES donation_campaigns(id),
    bin TEXT NOT NULL CHECK (length(bin) = 6 AND bin NOT GLOB '*[^0-9]*'),  -- NAPAS BIN
    number TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 19 AND number NOT GLOB '*[^0-9A-Z]*'),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 70),
    set_by INTEGER,
    set_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE  -- drawn when the officer's flow starts: a double tap sets once
);
CREATE INDEX donation_bank_accounts_campaign ON donation_bank_accounts (campaign_id, id);

-- The campaign's transfer reference ("GN12"): ASCII, given once, never reused.
CREATE TABLE donation_transfer_refs (
    campaign_id INTEGER PRIMARY KEY REFERENCES donation_campaigns(id),
    reference TEXT NOT NULL UNIQUE
        CHECK (length(reference) BETWEEN 3 AND 12 AND reference GLOB '[A-Z]*'
               AND reference NOT GLOB '*[^A-Z0-9]*')
);

-- One imported statement file, by the SHA-256 of its bytes: the same file twice is one row.
CREATE TABLE donation_statements (
    id INTEGER PRIMARY KEY,
    file_hash TEXT NOT NULL UNIQUE,
    campaign_id INTEGER NOT NULL REFERENCES donation_campaigns(id),
    ward_id TEXT NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    line_count INTEGER NOT NULL CHECK (line_count >= 0),
    imported_by INTEGER,
    imported_at TEXT NOT NULL
);

-- One credit line of a statement, by its bank reference (số tham chiếu): a line seen in two
-- statements (overlapping periods) is one row.
CREATE TABLE donation_statement_lines (
    id INTEGER PRIMARY KEY,
    bank_ref TEXT NOT NULL UNIQUE,
    statement_id INTEGER NOT NULL REFERENCES donation_statements(id),
    posted_on TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL DEFAULT '',
    matched_campaign_id INTEGER REFERENCES donation_campaigns(id)  -- by the note's reference
);
CREATE INDEX donation_statement_lines_statement ON donation_statement_lines (statement_id, id);

-- Finding the gift that already carries a bank reference (typed in any case, with spaces) is
-- a lookup per statement line: index the ledger's references as storage/bank.py compares them.
CREATE INDEX donation_entries_bank_reference ON donation_entries (UPPER(TRIM(reference)))
    WHERE reference <> '';

CREATE TRIGGER donation_bank_accounts_no_update BEFORE UPDATE ON donation_bank_accounts
BEGIN
    SELECT RAISE(ABORT, 'bank accounts are append-only');
END;
CREATE TRIGGER donation_bank_accounts_no_delete BEFORE DELETE ON donation_bank_accounts
BEGIN
    SELECT RAISE(ABORT, 'bank accounts are append-only');
END;
CREATE TRIGGER donation_transfer_refs_no_update BEFORE UPDATE ON donation_transfer_refs
BEGIN
    SELECT RAISE(ABORT, 'transfer references are append-only');
END;
CREATE TRIGGER donation_transfer_refs_no_delete BEFORE DELETE ON donation_transfer_refs
BEGIN
    SELECT RAISE(ABORT, 'transfer references are append-only');
END;
CREATE TRIGGER donation_statements_no_update BEFORE UPDATE ON donation_statements
BEGIN
    SELECT RAISE(ABORT, 'statements are append-only');
END;
CREATE TRIGGER donation_statements_no_delete BEFORE DELETE ON donation_statements
BEGIN
    SELECT RAISE(ABORT, 'statements are append-only');
END;
CREATE TRIGGER donation_statement_lines_no_update BEFORE UPDATE ON donation_statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement lines are append-only');
END;
CREATE TRIGGER donation_statement_lines_no_delete BEFORE DELETE ON donation_statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement lines are append-only');
END;
