//! The API's request and response bodies, named as the seed documents name them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest amount the API accepts, in minor units (no processor takes more).
pub const MAX_AMOUNT: i64 = 99_999_999_999;

/// `POST /payments`: create and confirm a payment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    /// Minor units, 1 to [`MAX_AMOUNT`].
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Which connector processes the payment (`GET /connectors` lists them).
    pub connector: String,
    /// `automatic` (default) or `manual`.
    #[serde(default)]
    pub capture_method: Option<String>,
    /// Only `card`.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Raw card data; or give `payment_token`.
    #[serde(default)]
    pub payment_method_data: Option<PaymentMethodData>,
    /// A processor-issued payment method token (Primer needs one).
    #[serde(default)]
    pub payment_token: Option<String>,
    /// Ask for an estimated authorization that can be incremented.
    #[serde(default)]
    pub request_incremental_authorization: bool,
    /// Ask for an extended authorization window.
    #[serde(default)]
    pub request_extended_authorization: bool,
    /// Free-form JSON object, echoed back.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Where the customer returns after a redirect (3DS).
    #[serde(default)]
    pub return_url: Option<String>,
    /// Shown to the processor.
    #[serde(default)]
    pub description: Option<String>,
    /// `three_ds` or `no_three_ds` (default: the processor decides).
    #[serde(default)]
    pub authentication_type: Option<String>,
    /// Payments are created confirmed; only `true` is accepted.
    #[serde(default)]
    pub confirm: Option<bool>,
}

/// Payment method data of a create request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodData {
    /// The card.
    pub card: CardData,
}

/// A raw card. Never stored; only its network and last four digits are kept.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardData {
    /// The PAN.
    pub card_number: String,
    /// `1`–`12`.
    pub card_exp_month: String,
    /// Four digits (two are read as 20xx).
    pub card_exp_year: String,
    /// The CVC.
    #[serde(default)]
    pub card_cvc: Option<String>,
    /// The name on the card.
    #[serde(default)]
    pub card_holder_name: Option<String>,
}

impl std::fmt::Debug for CardData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardData(***)")
    }
}

/// `POST /payments/{id}/capture`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureBody {
    /// Minor units; the whole capturable amount when absent.
    #[serde(default)]
    pub amount_to_capture: Option<i64>,
    /// Release the rest of the authorization after this capture (default: true unless the
    /// connector supports multiple captures and the amount is partial).
    #[serde(default)]
    pub final_capture: Option<bool>,
}

/// `POST /payments/{id}/cancel`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why, stored on the payment.
    #[serde(default)]
    pub cancellation_reason: Option<String>,
}

/// `POST /payments/{id}/incremental_authorization`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrementalAuthorizationBody {
    /// The new total to authorize, not the increment.
    pub amount: i64,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /payments/{id}/extend_authorization` and `/complete_authorize` take no fields but
/// redirect parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteAuthorizeBody {
    /// Parameters the customer's browser came back with.
    #[serde(default)]
    pub redirect_params: Option<Map<String, Value>>,
}

/// `POST /payments/{id}/extend_authorization`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// `PUT /payments/{id}/update_metadata`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMetadataBody {
    /// Keys to set; merged into the existing metadata (a `null` value removes a key).
    pub metadata: Map<String, Value>,
}

/// `POST /payments/session_tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionTokensBody {
    /// The payment the wallets will pay.
    pub payment_id: String,
    /// `apple_pay`, `google_pay`.
    pub wallets: Vec<String>,
}

/// `POST /refunds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRefundBody {
    /// The captured payment.
    pub payment_id: String,
    /// Minor units; the whole refundable amount when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Free-form JSON object.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// The payment object (the seed's payment response, the fields this router knows).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentObject {
    /// `pay_` and 26 characters.
    pub payment_id: String,
    /// The owner.
    pub merchant_id: String,
    /// Unified status.
    pub status: String,
    /// The amount asked for (after incremental authorizations: the new total).
    pub amount: i64,
    /// `amount` (no surcharges or taxes in this router).
    pub net_amount: i64,
    /// What can still be captured.
    pub amount_capturable: i64,
    /// What has been captured.
    pub amount_received: i64,
    /// The connector's id.
    pub connector: String,
    /// ISO 4217.
    pub currency: String,
    /// `automatic` or `manual`.
    pub capture_method: String,
    /// `card`.
    pub payment_method: String,
    /// The card's network and last four digits, when a card was given.
    pub payment_method_data: Option<Value>,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Last change, RFC 3339.
    pub updated: String,
    /// The merchant's metadata.
    pub metadata: Value,
    /// Given at creation.
    pub description: Option<String>,
    /// Given at creation.
    pub return_url: Option<String>,
    /// The processor's payment id.
    pub connector_transaction_id: Option<String>,
    /// The processor's code for the last failure.
    pub error_code: Option<String>,
    /// The processor's message for the last failure.
    pub error_message: Option<String>,
    /// The unified decline code.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// What the customer must do next.
    pub next_action: Option<Value>,
    /// Given when cancelled.
    pub cancellation_reason: Option<String>,
    /// Asked for at creation.
    pub request_incremental_authorization: bool,
    /// Whether the processor allows incrementing this authorization.
    pub incremental_authorization_allowed: Option<bool>,
    /// Successful authorizations, the first included.
    pub authorization_count: i64,
    /// Every incremental authorization attempt.
    pub incremental_authorizations: Vec<IncrementalAuthorizationObject>,
    /// Whether an extension is in force.
    pub extended_authorization_applied: Option<bool>,
    /// When it was last applied.
    pub extended_authorization_last_applied_at: Option<String>,
    /// Asked for at creation.
    pub request_extended_authorization: bool,
    /// Capture before this time or the authorization lapses.
    pub capture_before: Option<String>,
    /// When the authorization expires.
    pub expires_on: Option<String>,
    /// Refunds of this payment.
    pub refunds: Vec<RefundObject>,
    /// Captures of this payment.
    pub captures: Vec<CaptureObject>,
    /// Authorization attempts.
    pub attempts: Vec<AttemptObject>,
    /// `attempts.len()`.
    pub attempt_count: i64,
}

/// One incremental authorization.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncrementalAuthorizationObject {
    /// `auth_…`.
    pub authorization_id: String,
    /// The new total asked for.
    pub amount: i64,
    /// `success`, `failure` or `processing`.
    pub status: String,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The total before this attempt.
    pub previously_authorized_amount: i64,
    /// When it was asked for.
    pub created_at: String,
}

/// One capture.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaptureObject {
    /// `cap_…`.
    pub capture_id: String,
    /// `charged`, `pending` or `failed`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// The connector.
    pub connector: String,
    /// The processor's id of the capture, when it gives one.
    pub connector_capture_id: Option<String>,
    /// 1 for the first capture.
    pub capture_sequence: i64,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// When it was asked for.
    pub created_at: String,
}

/// One authorization attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptObject {
    /// `att_…`.
    pub attempt_id: String,
    /// `started`, `pending`, `authorized`, `charged`, `authentication_pending`, `failure`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// The connector.
    pub connector: String,
    /// The processor's payment id.
    pub connector_transaction_id: Option<String>,
    /// `automatic` or `manual`.
    pub capture_method: String,
    /// `card`.
    pub payment_method: String,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The unified decline code.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// When it started.
    pub created_at: String,
    /// Last change.
    pub modified_at: String,
}

/// The refund object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundObject {
    /// `ref_…`.
    pub refund_id: String,
    /// The refunded payment.
    pub payment_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why.
    pub reason: Option<String>,
    /// The merchant's metadata.
    pub metadata: Value,
    /// The processor's refund id.
    pub connector_refund_id: Option<String>,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The unified code on failure.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// The connector.
    pub connector: String,
    /// When it was asked for.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// `GET /payments/{id}/eligibility`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Eligibility {
    /// The payment.
    pub payment_id: String,
    /// Its status.
    pub status: String,
    /// The connector.
    pub connector: String,
    /// Every operation, allowed or not, with the reason when not.
    pub operations: std::collections::BTreeMap<String, OperationEligibility>,
}

/// Whether one operation is allowed now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OperationEligibility {
    /// Allowed now.
    pub eligible: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// The most that can be asked for (capture, refund), when it applies.
    pub max_amount: Option<i64>,
}
