-- An idempotency claim names its operation (so a retry after a crash resumes the same payment
-- id, with the same body and processor key) and is a lease its owner renews: `claimed_at`
-- moves on while the request runs, and a claim not renewed for a while is taken over by the
-- same request's retry. Rows from before keep NULL: their `created_at` stands for both.
ALTER TABLE idempotency_records ADD COLUMN operation_id TEXT;
ALTER TABLE idempotency_records ADD COLUMN claimed_at TEXT;
-- Expiry deletes by age.
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
