-- Whose personal data a pushed message carries (a resident's question sent to the ward's
-- officers), so that /xoadulieu can delete it before or after delivery. NULL: nobody's.
ALTER TABLE outbox ADD COLUMN subject_user_id INTEGER;
CREATE INDEX outbox_subject ON outbox (subject_user_id) WHERE subject_user_id IS NOT NULL;
CREATE INDEX outbox_chat ON outbox (channel, chat_id);
