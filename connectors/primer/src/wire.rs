//! Primer's wire format (API version 2.2): the request and response bodies we send and read, as
//! in its published OpenAPI (`PaymentCreationAPIRequest`, `PaymentCaptureAPIRequest`,
//! `PaymentAPIResponse`, ...). JSON, camelCase.
//!
//! Response fields are optional wherever Primer may omit them, so a sparse answer still parses;
//! unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /payments`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest<'a> {
    pub payment_method_token: &'a str,
    pub amount: i64,
    pub currency_code: &'a str,
    pub order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: &'a BTreeMap<String, String>,
    pub payment_method: PaymentMethodOptions<'a>,
}

/// `paymentMethod` of a payment request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodOptions<'a> {
    pub authorization_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<&'a str>,
}

/// `customer` of a payment request (`CustomerDetailsAPISchema`).
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address<'a>>,
}

/// `customer.billingAddress` / `customer.shippingAddress` (`OptionalAddressAPISchema`: no
/// field required, no third line).
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<&'a str>,
}

/// `POST /payments/{id}/adjust-authorization`: `amount` is the new total.
#[derive(Debug, Serialize)]
pub struct AdjustRequest {
    pub amount: i64,
}

/// `POST /payments/{id}/capture`.
#[derive(Debug, Serialize)]
pub struct CaptureRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(rename = "final")]
    pub final_capture: bool,
}

/// `POST /payments/{id}/cancel`.
#[derive(Debug, Serialize)]
pub struct CancelRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// `POST /payments/{id}/refund`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<&'a str>,
}

/// `POST /payments/{id}/resume`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeRequest<'a> {
    pub resume_token: &'a str,
}

/// `POST /client-session` (`ClientSessionAPIRequest`): what the client token's session is for.
/// No `X-Idempotency-Key`: the document lists none for this operation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSessionRequest<'a> {
    pub order_id: &'a str,
    pub currency_code: &'a str,
    pub amount: i64,
    pub order: ClientSessionOrder<'a>,
}

/// `order` of a client session (`OrderDetailsAPISchema`): the country Primer passes to the
/// wallets' sheets as their `countryCode`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSessionOrder<'a> {
    pub country_code: &'a str,
}

/// The answer to `POST /client-session` (`ClientSessionWithTokenAPIResponse`). No `Debug`:
/// the client token lets a browser pay.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSession {
    pub client_token: Option<String>,
    pub client_token_expiration_date: Option<String>,
    /// The name the examples of Primer's guides use for the expiry.
    pub client_expiration_date: Option<String>,
    pub order_id: Option<String>,
    pub currency_code: Option<String>,
    pub amount: Option<i64>,
}

/// The Payment object every payment endpoint answers with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: String,
    pub status: String,
    pub currency_code: Option<String>,
    pub amount: Option<i64>,
    pub payment_method: Option<PaymentMethodResponse>,
    pub processor: Option<Processor>,
    /// Kept whole: it is handed to the client SDK.
    pub required_action: Option<Value>,
    pub status_reason: Option<StatusReason>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaymentMethodResponse {
    pub authorization_type: Option<String>,
    pub payment_method_data: Option<PaymentMethodData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PaymentMethodData {
    pub network: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Processor {
    pub amount_captured: Option<i64>,
    pub amount_refunded: Option<i64>,
}

/// Why a payment (or transaction) was declined or failed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusReason {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub decline_type: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// One entry of `transactions`. The schema names the type `transactionType`, its examples
/// `type`: both are read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Transaction {
    pub date: Option<String>,
    pub amount: Option<i64>,
    pub transaction_type: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub processor_transaction_id: Option<String>,
    pub processor_status: Option<String>,
    pub processor_status_reason: Option<StatusReason>,
}

impl Transaction {
    /// `true` for a refund.
    pub fn is_refund(&self) -> bool {
        self.transaction_type.as_deref().or(self.kind.as_deref()) == Some("REFUND")
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorObject {
    pub error_id: Option<String>,
    pub description: Option<String>,
    pub diagnostics_id: Option<String>,
}

/// A webhook delivery. `signedAt` is unix seconds, sent as a string or a number; `date` is when
/// the notification was made.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_type: String,
    pub date: Option<Value>,
    pub signed_at: Option<Value>,
    pub payment: Option<Payment>,
    pub payment_id: Option<String>,
}

/// `GET /payments`: a page of payment summaries (`PaymentListAPIResponse`).
#[derive(Debug, Deserialize)]
pub struct PaymentList {
    pub data: Vec<PaymentSummary>,
}

/// One payment of a list (`PaymentSummaryAPISchema`): what a lookup by order id needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSummary {
    pub id: String,
    pub order_id: String,
}
