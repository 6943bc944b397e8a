-- Which router instance is changing the payment at its processor, and until when (Unix time in
-- milliseconds). Other instances wait for the lease to end before they change the payment, so
-- the answer an instance stores after the processor's is never refused by another's write.
ALTER TABLE payments ADD COLUMN lease_owner TEXT;
ALTER TABLE payments ADD COLUMN lease_until BIGINT;
