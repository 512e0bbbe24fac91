-- The fund's public pages (bot/web/public.py). A campaign's gift rows newest first, one page at
-- a time (an offset into this index, not into the table), and its highest gift and reversal
-- row ids (the ledger is append-only, so they name the state the page's kept figures belong
-- to): both read this index alone, a few entries per request, not every row of the campaign.
CREATE INDEX donation_entries_campaign_kind ON donation_entries (campaign_id, kind, id);
