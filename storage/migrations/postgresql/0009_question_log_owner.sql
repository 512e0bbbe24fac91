-- PostgreSQL variant of 0009_question_log_owner.sql: question_log.user_id is BIGINT.
ALTER TABLE question_log ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE question_log ADD COLUMN ward_id TEXT;
CREATE INDEX question_log_user ON question_log (user_id);
CREATE INDEX question_log_ward ON question_log (ward_id, normalized);
