//! The payment as the router's rules see it: typed statuses, amounts in [`MinorUnit`]s, real
//! booleans. No SQL, no HTTP: the store maps it to rows, the API to its objects.

use paybridge_core::details::{BrowserInfo, Contact, Customer, StatementDescriptor};
use paybridge_core::{
    AuthorizationStatus, CaptureMethod, CardNetwork, Currency, MinorUnit, NextAction,
    PaymentStatus, RefundStatus,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// A payment with everything that happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// `pay_…`.
    pub id: String,
    /// The owner.
    pub merchant_id: String,
    /// The connector's id.
    pub connector: String,
    /// The processor's payment id, once it gave one.
    pub connector_transaction_id: Option<String>,
    /// Unified status.
    pub status: PaymentStatus,
    /// Authorized total (raised by incremental authorizations).
    pub amount: MinorUnit,
    /// Its currency.
    pub currency: Currency,
    /// Automatic or manual capture.
    pub capture_method: CaptureMethod,
    /// What may still be captured (lowered as soon as a capture is asked for).
    pub amount_capturable: MinorUnit,
    /// What has been captured.
    pub amount_received: MinorUnit,
    /// The card's network, when known (from the card, or the processor's answer).
    pub card_network: Option<CardNetwork>,
    /// The card's last four digits, when a card was given.
    pub card_last4: Option<String>,
    /// The merchant's metadata.
    pub metadata: Map<String, Value>,
    /// Given at creation.
    pub description: Option<String>,
    /// Given at creation.
    pub return_url: Option<String>,
    /// Asked for at creation.
    pub request_incremental_authorization: bool,
    /// Whether the processor allows incrementing this authorization, when it said.
    pub incremental_authorization_allowed: Option<bool>,
    /// Successful authorizations, the first included.
    pub authorization_count: u32,
    /// Asked for at creation.
    pub request_extended_authorization: bool,
    /// Whether an extension is in force, when the processor said.
    pub extended_authorization_applied: Option<bool>,
    /// When one was last applied (RFC 3339).
    pub extended_authorization_last_applied_at: Option<String>,
    /// Capture before this time (RFC 3339).
    pub capture_before: Option<String>,
    /// When the authorization expires (RFC 3339).
    pub expires_on: Option<String>,
    /// What the customer must do next.
    pub next_action: Option<NextAction>,
    /// The last failure, as the processor and the unified codes name it.
    pub error: ErrorDetails,
    /// Given when cancelled.
    pub cancellation_reason: Option<String>,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Last change (RFC 3339).
    pub updated: String,
    /// The refund that undoes the capture, once `cancel_post_capture` was asked for.
    pub cancel_post_capture_refund: Option<String>,
    /// Who pays and where, as the merchant said at creation.
    pub details: PaymentDetails,
    /// SHA-256 (hex) of the client secret shown once, at creation.
    pub client_secret_hash: Option<String>,
    /// The card network's id of the authorization, when the processor gave it.
    pub network_transaction_id: Option<String>,
    /// The external 3-D Secure authentication, when the merchant asked for one.
    pub authentication: Option<super::authentication::Authentication>,
    /// Authorization attempts, oldest first.
    pub attempts: Vec<Attempt>,
    /// Captures, by sequence.
    pub captures: Vec<Capture>,
    /// Incremental authorizations, oldest first.
    pub increments: Vec<Increment>,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
}

/// A failure's codes and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The processor's code.
    pub code: Option<String>,
    /// The processor's message.
    pub message: Option<String>,
    /// The unified decline code.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// The issuer's (card network's) decline code, when the processor passed it on.
    pub issuer_code: Option<String>,
}

/// What the merchant said about a payment beyond its money and instrument. Set at creation and
/// never changed; stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentDetails {
    /// The paying customer.
    #[serde(default)]
    pub customer: Option<Customer>,
    /// The billing contact.
    #[serde(default)]
    pub billing: Option<Contact>,
    /// Where the goods go.
    #[serde(default)]
    pub shipping: Option<Contact>,
    /// The customer's browser or app.
    #[serde(default)]
    pub browser_info: Option<BrowserInfo>,
    /// What the statement shows.
    #[serde(default)]
    pub statement_descriptor: StatementDescriptor,
    /// The merchant's own order reference.
    #[serde(default)]
    pub merchant_order_reference_id: Option<String>,
    /// The 3-D Secure wish the merchant gave.
    #[serde(default)]
    pub authentication_type: Option<AuthenticationType>,
    /// `credit` or `debit`, as the merchant said.
    #[serde(default)]
    pub payment_method_type: Option<CardType>,
    /// What may be kept of a raw card: its first six digits and its expiry.
    #[serde(default)]
    pub card: Option<CardDetails>,
    /// The wallet that paid, for a wallet payment.
    #[serde(default)]
    pub wallet: Option<paybridge_core::Wallet>,
}

/// The public API's `authentication_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationType {
    /// Authenticate with 3-D Secure.
    ThreeDs,
    /// Do not.
    NoThreeDs,
}

/// A card's `payment_method_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardType {
    /// A credit card.
    Credit,
    /// A debit card.
    Debit,
}

/// The parts of a raw card that may be stored: never the whole number, the CVC or the name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CardDetails {
    /// The first six digits.
    pub isin: String,
    /// `1`–`12`.
    pub exp_month: u8,
    /// Four digits.
    pub exp_year: u16,
}

/// Where an authorization attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Sent, no verdict yet.
    Pending,
    /// Authorized, awaiting capture.
    Authorized,
    /// Captured.
    Charged,
    /// Waiting for the customer (3DS).
    AuthenticationPending,
    /// Declined or failed.
    Failure,
    /// Voided or expired.
    Voided,
}

/// One authorization attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `att_…`.
    pub id: String,
    /// Where it stands.
    pub status: AttemptStatus,
    /// Amount asked for.
    pub amount: MinorUnit,
    /// The processor's payment id.
    pub connector_transaction_id: Option<String>,
    /// Its failure, if any.
    pub error: ErrorDetails,
    /// When it started (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub modified_at: String,
}

/// Where a capture stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureStatus {
    /// Asked for; the processor has not confirmed it.
    Pending,
    /// Captured.
    Charged,
    /// Refused; its amount is capturable again.
    Failed,
}

/// One capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// `cap_…`.
    pub id: String,
    /// Where it stands.
    pub status: CaptureStatus,
    /// Amount.
    pub amount: MinorUnit,
    /// The processor's id of the capture, when it gives one.
    pub connector_capture_id: Option<String>,
    /// 1 for the first capture.
    pub sequence: u32,
    /// Whether it releases what is left uncaptured.
    pub final_capture: bool,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// When it was asked for (RFC 3339).
    pub created_at: String,
}

/// One incremental authorization.
#[derive(Debug, Clone, PartialEq)]
pub struct Increment {
    /// `auth_…`.
    pub id: String,
    /// The new total asked for.
    pub new_total: MinorUnit,
    /// The total before this attempt.
    pub previously_authorized: MinorUnit,
    /// Where it stands.
    pub status: AuthorizationStatus,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// When it was asked for (RFC 3339).
    pub created_at: String,
}

/// One refund.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    /// `ref_…`.
    pub id: String,
    /// Amount.
    pub amount: MinorUnit,
    /// Where it stands.
    pub status: RefundStatus,
    /// Why.
    pub reason: Option<String>,
    /// The merchant's metadata.
    pub metadata: Value,
    /// The processor's refund id.
    pub connector_refund_id: Option<String>,
    /// Its failure, if any.
    pub error: ErrorDetails,
    /// When it was asked for (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// `a + b`. Amounts are at most 12 digits, so this never saturates in practice.
pub(crate) fn plus(a: MinorUnit, b: MinorUnit) -> MinorUnit {
    a.checked_add(b).unwrap_or(a)
}

/// `a - b`, or zero when `b` is larger: no amount of the router goes negative.
pub(crate) fn minus(a: MinorUnit, b: MinorUnit) -> MinorUnit {
    a.checked_sub(b).unwrap_or(MinorUnit::ZERO)
}

impl Payment {
    /// Captured minus every refund that did not fail.
    pub fn refundable(&self) -> MinorUnit {
        let refunded = self
            .refunds
            .iter()
            .filter(|r| r.status != RefundStatus::Failed)
            .fold(MinorUnit::ZERO, |sum, r| plus(sum, r.amount));
        minus(self.amount_received, refunded)
    }

    /// Whether anything of the payment waits for a processor's verdict: the payment
    /// `processing`, a capture or refund `pending`, an incremental authorization `processing`.
    pub fn awaiting_verdict(&self) -> bool {
        self.status == PaymentStatus::Processing
            || self
                .captures
                .iter()
                .any(|c| c.status == CaptureStatus::Pending)
            || self
                .refunds
                .iter()
                .any(|r| r.status == RefundStatus::Pending)
            || self
                .increments
                .iter()
                .any(|i| i.status == AuthorizationStatus::Processing)
    }

    /// Whether a capture was asked for that did not fail.
    pub fn has_live_capture(&self) -> bool {
        self.captures
            .iter()
            .any(|c| c.status != CaptureStatus::Failed)
    }

    /// The sum of the charged captures.
    pub fn charged(&self) -> MinorUnit {
        self.captures
            .iter()
            .filter(|c| c.status == CaptureStatus::Charged)
            .fold(MinorUnit::ZERO, |sum, c| plus(sum, c.amount))
    }

    /// The status a captured payment has, from its amounts.
    pub fn captured_status(&self) -> PaymentStatus {
        if self.amount_received >= self.amount {
            PaymentStatus::Succeeded
        } else if !self.amount_capturable.is_zero() {
            PaymentStatus::PartiallyCapturedAndCapturable
        } else {
            PaymentStatus::PartiallyCaptured
        }
    }

    /// The capture `id`.
    pub fn capture_mut(&mut self, id: &str) -> Option<&mut Capture> {
        self.captures.iter_mut().find(|c| c.id == id)
    }

    /// The refund `id`.
    pub fn refund_mut(&mut self, id: &str) -> Option<&mut Refund> {
        self.refunds.iter_mut().find(|r| r.id == id)
    }

    /// The refund `id`.
    pub fn refund(&self, id: &str) -> Option<&Refund> {
        self.refunds.iter().find(|r| r.id == id)
    }

    /// The incremental authorization `id`.
    pub fn increment_mut(&mut self, id: &str) -> Option<&mut Increment> {
        self.increments.iter_mut().find(|i| i.id == id)
    }

    /// Sets the latest attempt's status.
    pub(crate) fn set_attempt(&mut self, status: AttemptStatus, now: &str) {
        if let Some(attempt) = self.attempts.last_mut() {
            attempt.status = status;
            attempt.modified_at = now.to_owned();
        }
    }
}

/// Whether `status` is one of a payment with money captured.
pub fn is_captured(status: PaymentStatus) -> bool {
    use PaymentStatus as S;
    matches!(
        status,
        S::Succeeded | S::PartiallyCaptured | S::PartiallyCapturedAndCapturable
    )
}

/// A status's name as the API shows it (`requires_capture`): its serde name.
pub fn status_name(status: PaymentStatus) -> String {
    enum_name(&status)
}

/// The serde name of a unit enum value (`requires_capture`, `visa`).
pub fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// `t` in unix milliseconds, as leases and the event delivery schedule store it.
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A time as stored and shown: RFC 3339, UTC, milliseconds.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}
