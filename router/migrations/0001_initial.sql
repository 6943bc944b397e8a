-- The router's schema. Portable SQL: the same statements run on SQLite and PostgreSQL.
-- Amounts are BIGINT minor units; flags are BIGINT 0/1; times are RFC 3339 UTC text;
-- JSON documents (metadata, next_action) are text.

CREATE TABLE payments (
    payment_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    connector TEXT NOT NULL,
    connector_transaction_id TEXT,
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    capture_method TEXT NOT NULL,
    amount_capturable BIGINT NOT NULL,
    amount_received BIGINT NOT NULL,
    payment_method TEXT NOT NULL,
    card_network TEXT,
    card_last4 TEXT,
    metadata TEXT NOT NULL,
    description TEXT,
    return_url TEXT,
    request_incremental_authorization BIGINT NOT NULL,
    incremental_authorization_allowed BIGINT,
    authorization_count BIGINT NOT NULL,
    request_extended_authorization BIGINT NOT NULL,
    extended_authorization_applied BIGINT,
    extended_authorization_last_applied_at TEXT,
    capture_before TEXT,
    expires_on TEXT,
    next_action TEXT,
    error_code TEXT,
    error_message TEXT,
    unified_code TEXT,
    unified_message TEXT,
    cancellation_reason TEXT,
    connector_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX payments_by_connector_transaction ON payments (connector, connector_transaction_id);
CREATE INDEX payments_by_merchant ON payments (merchant_id, created);

CREATE TABLE attempts (
    attempt_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    connector TEXT NOT NULL,
    connector_transaction_id TEXT,
    capture_method TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    unified_code TEXT,
    unified_message TEXT,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL
);
CREATE INDEX attempts_by_payment ON attempts (payment_id);

CREATE TABLE captures (
    capture_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    connector TEXT NOT NULL,
    connector_capture_id TEXT,
    capture_sequence BIGINT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX captures_by_payment ON captures (payment_id);

CREATE TABLE incremental_authorizations (
    authorization_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    amount BIGINT NOT NULL,
    previously_authorized_amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    connector_authorization_id TEXT,
    error_code TEXT,
    error_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incremental_authorizations_by_payment ON incremental_authorizations (payment_id);

CREATE TABLE refunds (
    refund_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    merchant_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    metadata TEXT NOT NULL,
    connector TEXT NOT NULL,
    connector_refund_id TEXT,
    error_code TEXT,
    error_message TEXT,
    unified_code TEXT,
    unified_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id);
CREATE INDEX refunds_by_connector_refund ON refunds (connector, connector_refund_id);

CREATE TABLE webhook_events (
    connector TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payment_id TEXT,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (connector, event_id)
);

CREATE TABLE idempotency_records (
    merchant_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    status_code BIGINT,
    response_body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, idempotency_key)
);
