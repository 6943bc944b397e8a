-- What the reconciler needs to send a capture again exactly as it was first sent (its amount
-- and processor key are its row's amount and id): whether it released the rest. Rows from
-- before keep NULL, read as a partial capture.
ALTER TABLE captures ADD COLUMN final_capture BIGINT;
