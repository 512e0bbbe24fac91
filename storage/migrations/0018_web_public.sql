-- The fund's public pages (bot/web/public.py). A campaign's gifts newest first, one page at a
-- time, and its highest gift row id (the ledger is append-only, so that id names the state the
-- page's kept figures belong to): both read this index instead of every row of the campaign.
CREATE INDEX donation_entries_campaign_id ON donation_entries (campaign_id, id);
