-- The fund's web pages. A campaign's gift rows newest first, one page at a time (an offset into
-- an index, not into the table), and its highest gift and reversal row ids (the ledger is
-- append-only, so they name the state the pages' kept figures belong to): read from these
-- indexes alone, a few entries per request, not every row of the campaign.
-- (campaign_id, kind, id): the public campaign page (bot/web/public.py), gift rows only;
-- (campaign_id, id): the desk's fund pages (bot/web/desk_fund.py), every row of the campaign.
CREATE INDEX donation_entries_campaign_id ON donation_entries (campaign_id, id);
CREATE INDEX donation_entries_campaign_kind ON donation_entries (campaign_id, kind, id);
