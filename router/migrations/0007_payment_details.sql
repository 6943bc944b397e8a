-- Issue 19: what the merchant says about a payment beyond money and instrument (customer,
-- billing and shipping contacts, browser data, statement descriptor, order reference; one
-- JSON document, fixed at creation), the hash of the client secret shown once at creation,
-- the card network's transaction id and the issuer's decline code. Rows from before keep
-- NULL: no details, no client secret.
ALTER TABLE payments ADD COLUMN details TEXT;
ALTER TABLE payments ADD COLUMN client_secret_hash TEXT;
ALTER TABLE payments ADD COLUMN network_transaction_id TEXT;
ALTER TABLE payments ADD COLUMN issuer_error_code TEXT;
