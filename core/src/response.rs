//! One response type per flow, reporting what the processor said in the unified vocabulary.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::DeclineDetails;
use crate::money::{Currency, MinorUnit};
use crate::payment_method::CardNetwork;
use crate::status::{AuthorizationStatus, PaymentStatus, RefundStatus};

/// What the customer must do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NextAction {
    /// Send the customer's browser to `url` (3DS challenge, hosted page).
    RedirectToUrl {
        /// Where to send the customer.
        url: String,
    },
    /// The processor's client SDK must run with this data (e.g. Primer's client token).
    InvokeSdkClient {
        /// Opaque data for the SDK.
        data: serde_json::Value,
    },
}

/// The amounts of a payment as the processor reports them, in minor units of the payment's
/// currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentAmounts {
    /// Authorized in total (original plus increments).
    pub authorized: MinorUnit,
    /// Still capturable.
    pub capturable: MinorUnit,
    /// Captured so far.
    pub received: MinorUnit,
    /// Refunded so far.
    pub refunded: MinorUnit,
}

/// The state of a payment: the answer to authorize, complete authorize and payment sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentResponse {
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// The unified status.
    pub status: PaymentStatus,
    /// The processor's own status, verbatim.
    pub raw_status: String,
    /// Currency of the amounts.
    pub currency: Currency,
    /// The amounts, where the processor reported them (zero otherwise).
    pub amounts: PaymentAmounts,
    /// Capture must happen before this moment (Stripe `capture_before`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub capture_before: Option<OffsetDateTime>,
    /// The authorization expires at this moment (Checkout.com `expires_on`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Whether an incremental authorization is possible on this payment, when known.
    pub incremental_authorization_allowed: Option<bool>,
    /// Whether an extended authorization validity was granted, when known.
    pub extended_authorization_applied: Option<bool>,
    /// What the customer must do next.
    pub next_action: Option<NextAction>,
    /// The card network's transaction id (for merchant-initiated follow-ups).
    pub network_transaction_id: Option<String>,
    /// The card's network, when the processor reported it.
    pub card_network: Option<CardNetwork>,
    /// The processor's id of the action that produced this state, when it has one.
    pub connector_action_id: Option<String>,
    /// Why the payment failed, when it did.
    pub decline: Option<DeclineDetails>,
}

impl PaymentResponse {
    /// A response with a status and nothing else known; connectors fill in the rest.
    pub fn new(
        connector_payment_id: impl Into<String>,
        status: PaymentStatus,
        raw_status: impl Into<String>,
        currency: Currency,
    ) -> Self {
        PaymentResponse {
            connector_payment_id: connector_payment_id.into(),
            status,
            raw_status: raw_status.into(),
            currency,
            amounts: PaymentAmounts::default(),
            capture_before: None,
            expires_at: None,
            incremental_authorization_allowed: None,
            extended_authorization_applied: None,
            next_action: None,
            network_transaction_id: None,
            card_network: None,
            connector_action_id: None,
            decline: None,
        }
    }
}

/// The answer to authorize.
pub type AuthorizeResponse = PaymentResponse;
/// The answer to complete authorize.
pub type CompleteAuthorizeResponse = PaymentResponse;
/// The answer to payment sync.
pub type PaymentSyncResponse = PaymentResponse;

/// The outcome of an incremental authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncrementalAuthorizationResponse {
    /// The processor's id for this authorization, when it has one.
    pub connector_authorization_id: Option<String>,
    /// Approved, declined, or pending.
    pub status: AuthorizationStatus,
    /// The total authorized now: the new total on success, the previous total otherwise.
    pub authorized: MinorUnit,
    /// The total authorized before this request.
    pub previously_authorized: MinorUnit,
    /// The authorization's new expiry, when reported.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Why the issuer declined, when it did.
    pub decline: Option<DeclineDetails>,
    /// The processor's own status, verbatim.
    pub raw_status: String,
}

/// The outcome of extending an authorization's validity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtendAuthorizationResponse {
    /// The processor's id for this action, when it has one.
    pub connector_authorization_id: Option<String>,
    /// Approved, declined, or pending.
    pub status: AuthorizationStatus,
    /// `true` when the validity was extended.
    pub extended_authorization_applied: bool,
    /// The new expiry, when reported.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Why it was declined, when it was.
    pub decline: Option<DeclineDetails>,
    /// The processor's own status, verbatim.
    pub raw_status: String,
}

/// The outcome of a capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureResponse {
    /// The processor's id for this capture, when it has one.
    pub connector_capture_id: Option<String>,
    /// The payment's status after the capture (`processing` while the processor has only
    /// accepted it).
    pub status: PaymentStatus,
    /// The amount this capture asked for, when known.
    pub amount: Option<MinorUnit>,
    /// The payment's amounts after the capture, when the processor reported them.
    pub amounts: Option<PaymentAmounts>,
    /// The processor's own status, verbatim.
    pub raw_status: String,
}

/// The outcome of a void.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoidResponse {
    /// The processor's id for this void, when it has one.
    pub connector_void_id: Option<String>,
    /// `cancelled`, or `processing` while the processor has only accepted it.
    pub status: PaymentStatus,
    /// The processor's own status, verbatim.
    pub raw_status: String,
}

/// The state of a refund: the answer to refund and refund sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundResponse {
    /// The processor's refund id (Checkout.com: the refund action's id).
    pub connector_refund_id: String,
    /// Pending, succeeded or failed.
    pub status: RefundStatus,
    /// The amount refunded or asked for, when known.
    pub amount: Option<MinorUnit>,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// The processor's own status, verbatim.
    pub raw_status: String,
}

/// The answer to refund sync.
pub type RefundSyncResponse = RefundResponse;

/// What a [`crate::PaymentLookupRequest`] found: the processor's id of the payment made with the
/// reference, or `None` when the processor has none.
///
/// `None` is what the processor shows at that moment: some list a payment only a little after
/// making it (Primer: within a minute), so a caller concludes "never made" only after the
/// processor's delay. A connector whose search could not see everything (a bound on the pages
/// it reads) answers an error, never `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLookupResponse {
    /// The processor's payment id.
    pub connector_payment_id: Option<String>,
}

/// What a [`crate::RefundLookupRequest`] found: the refund made with the reference, as a
/// refund sync would answer it, or `None` when the processor has none.
///
/// As for [`PaymentLookupResponse`], `None` is the answer of the moment (Checkout.com lists a
/// refund once it has processed it), and a search that could not see everything is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundLookupResponse {
    /// The refund.
    pub refund: Option<RefundResponse>,
}

/// The outcome of cancelling a captured payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelPostCaptureResponse {
    /// `cancelled_post_capture` once the refund succeeded, `processing` while it is pending,
    /// `succeeded` (unchanged) when it failed.
    pub status: PaymentStatus,
    /// The refund that undid the capture.
    pub refund: RefundResponse,
}

impl CancelPostCaptureResponse {
    /// Derives the payment's status from the refund's.
    pub fn from_refund(refund: RefundResponse) -> Self {
        let status = match refund.status {
            RefundStatus::Succeeded => PaymentStatus::CancelledPostCapture,
            RefundStatus::Pending => PaymentStatus::Processing,
            RefundStatus::Failed => PaymentStatus::Succeeded,
        };
        CancelPostCaptureResponse { status, refund }
    }
}
