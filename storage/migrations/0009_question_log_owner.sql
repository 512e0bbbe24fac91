-- The unanswered-question log keeps, with each (masked) question, whose it is and the asker's
-- commune: officers see only their commune's questions (admins all), and /xoadulieu deletes the
-- asker's entries. The text itself is masked before it is written (knowledge/redact.py).
ALTER TABLE question_log ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE question_log ADD COLUMN ward_id TEXT;
CREATE INDEX question_log_user ON question_log (user_id);
CREATE INDEX question_log_ward ON question_log (ward_id, normalized);
