//! The rows of the router's tables, as the store reads and writes them. The domain's
//! [`Payment`](crate::domain::Payment) is mapped to and from them (`store::mapping`); the
//! API's objects are built from the domain, never from rows.

use serde_json::Value;

/// A payment as stored; the API's payment object is built from it and its children. The
/// columns mean what the payment object's fields of the same names mean (`model.rs`); flags
/// are 0/1.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct PaymentRow {
    pub payment_id: String,
    pub merchant_id: String,
    pub connector: String,
    pub connector_transaction_id: Option<String>,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub capture_method: String,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub payment_method: String,
    pub card_network: Option<String>,
    pub card_last4: Option<String>,
    pub metadata: String,
    pub description: Option<String>,
    pub return_url: Option<String>,
    pub request_incremental_authorization: i64,
    pub incremental_authorization_allowed: Option<i64>,
    pub authorization_count: i64,
    pub request_extended_authorization: i64,
    pub extended_authorization_applied: Option<i64>,
    pub extended_authorization_last_applied_at: Option<String>,
    pub capture_before: Option<String>,
    pub expires_on: Option<String>,
    pub next_action: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub unified_code: Option<String>,
    pub unified_message: Option<String>,
    pub cancellation_reason: Option<String>,
    /// The base of the idempotency keys sent to the processor for this payment.
    pub connector_key: String,
    pub version: i64,
    pub created: String,
    pub updated: String,
    /// The router instance holding the payment while it calls the processor.
    pub lease_owner: Option<String>,
    /// When that lease ends, Unix milliseconds.
    pub lease_until: Option<i64>,
    /// The refund of the payment's cancel post capture.
    pub cancel_post_capture_refund: Option<String>,
    /// The payment's details (`domain::PaymentDetails`) as JSON; written once, at insert.
    pub details: Option<String>,
    /// SHA-256 (hex) of the client secret; written once, at insert.
    pub client_secret_hash: Option<String>,
    pub network_transaction_id: Option<String>,
    pub issuer_error_code: Option<String>,
    /// The payment's external authentication (`domain::Authentication`) as JSON.
    pub authentication: Option<String>,
}

/// A row of `attempts`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub attempt_id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub connector: String,
    pub connector_transaction_id: Option<String>,
    pub capture_method: String,
    pub payment_method: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub unified_code: Option<String>,
    pub unified_message: Option<String>,
    pub created_at: String,
    pub modified_at: String,
}

/// A row of `captures`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRow {
    pub capture_id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub connector: String,
    pub connector_capture_id: Option<String>,
    pub capture_sequence: i64,
    pub final_capture: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: String,
}

/// A row of `incremental_authorizations`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementRow {
    pub authorization_id: String,
    pub amount: i64,
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub previously_authorized_amount: i64,
    pub created_at: String,
}

/// A row of `refunds`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRow {
    pub refund_id: String,
    pub payment_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub reason: Option<String>,
    pub metadata: Value,
    pub connector_refund_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub unified_code: Option<String>,
    pub unified_message: Option<String>,
    pub connector: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A row of `events`: one event for a merchant, its body as sent, and where its delivery
/// stands.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub event_id: String,
    pub merchant_id: String,
    pub event_type: String,
    /// `payment` or `refund`.
    pub object_type: String,
    pub object_id: String,
    pub payment_id: String,
    pub created: String,
    /// The JSON body every delivery sends.
    pub body: String,
    /// `pending`, `delivered`, or `failed` (every attempt failed).
    pub delivery_status: String,
    pub attempts: i64,
    /// When the next attempt is due, unix milliseconds; NULL when none is.
    pub next_attempt_at: Option<i64>,
    /// The router instance delivering it now, and until when (unix milliseconds).
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub delivered_at: Option<String>,
}

/// A row of `event_deliveries`: one attempt to deliver an event.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub event_id: String,
    /// 1 for the first.
    pub attempt: i64,
    pub attempted_at: String,
    pub latency_ms: i64,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// The first bytes of its answer.
    pub response_excerpt: Option<String>,
    /// Why no answer came (timeout, connection refused), when none did.
    pub error: Option<String>,
}

/// The columns an update never writes: the payment's identity.
pub(super) fn fixed_columns(p: &PaymentRow) -> [&str; 4] {
    [&p.payment_id, &p.merchant_id, &p.connector, &p.created]
}
