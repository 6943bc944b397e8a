-- Issue 20: a payment's external 3-D Secure authentication (domain::Authentication as JSON:
-- status, flow, transaction ids, ECI, the challenge while it is pending). Never the
-- authentication value, which goes from the 3DS server's answer into the authorization only.
-- NULL for payments without external authentication.
ALTER TABLE payments ADD COLUMN authentication TEXT;
