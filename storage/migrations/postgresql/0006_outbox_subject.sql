-- PostgreSQL variant of 0006_outbox_subject.sql: subject_user_id is BIGINT.
ALTER TABLE outbox ADD COLUMN subject_user_id BIGINT;
CREATE INDEX outbox_subject ON outbox (subject_user_id) WHERE subject_user_id IS NOT NULL;
CREATE INDEX outbox_chat ON outbox (channel, chat_id);
