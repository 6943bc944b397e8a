-- Issue 22: the events the router sends to merchants (an outbox: written in the transaction
-- of the change they describe) and every delivery attempt. Times of the delivery schedule are
-- unix milliseconds, like the payments' leases; the others RFC 3339 text.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    created TEXT NOT NULL,
    body TEXT NOT NULL,
    delivery_status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    delivered_at TEXT
);
CREATE INDEX events_due ON events (delivery_status, next_attempt_at);
CREATE INDEX events_by_merchant ON events (merchant_id, created);

CREATE TABLE event_deliveries (
    event_id TEXT NOT NULL REFERENCES events (event_id),
    attempt BIGINT NOT NULL,
    attempted_at TEXT NOT NULL,
    latency_ms BIGINT NOT NULL,
    status_code BIGINT,
    response_excerpt TEXT,
    error TEXT,
    PRIMARY KEY (event_id, attempt)
);
