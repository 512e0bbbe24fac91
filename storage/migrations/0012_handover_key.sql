-- A handed-over question carries the key its flow drew when it started, so that the same
-- "Gửi" handled twice (a redelivery after a crash, two processes) stores and notifies once.
ALTER TABLE handover_questions ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX handover_request_key ON handover_questions (request_key)
    WHERE request_key IS NOT NULL;
