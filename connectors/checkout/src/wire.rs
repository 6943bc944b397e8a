//! Checkout.com's wire format: the request and response bodies we send and read, as in its
//! published OpenAPI (`PaymentRequest`, `AuthorizationRequest`, `CaptureRequest`, ...).
//!
//! Response structs keep every field optional that the processor may omit, so a sparse answer
//! still parses; unknown fields are ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /payments`.
#[derive(Debug, Serialize)]
pub struct PaymentRequest<'a> {
    pub source: Source<'a>,
    pub amount: i64,
    pub currency: &'a str,
    pub capture: bool,
    pub authorization_type: &'static str,
    pub reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub processing_channel_id: &'a str,
    #[serde(rename = "3ds", skip_serializing_if = "Option::is_none")]
    pub three_ds: Option<ThreeDs<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_url: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_descriptor: Option<BillingDescriptor<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Shipping<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_ip: Option<String>,
}

/// The payment source: raw card, a Frames token (`tok_`), or a stored source (`src_`).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source<'a> {
    Card {
        number: &'a str,
        expiry_month: u8,
        expiry_year: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        cvv: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(flatten)]
        billing: Billing<'a>,
    },
    Token {
        token: &'a str,
        #[serde(flatten)]
        billing: Billing<'a>,
    },
    Id {
        id: &'a str,
    },
}

/// `billing_address` and `phone` of a card or token source (an `id` source takes neither).
#[derive(Debug, Default, Serialize)]
pub struct Billing<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone<'a>>,
}

/// `CustomerRequest` without `id` (that is Checkout.com's own `cus_` id).
#[derive(Debug, Serialize)]
pub struct Customer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

/// `Address`: two lines, no names.
#[derive(Debug, Serialize)]
pub struct Address<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'a str>,
}

/// `PhoneNumber`.
#[derive(Debug, Serialize)]
pub struct Phone<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
    pub number: &'a str,
}

/// The `shipping` object of a payment request.
#[derive(Debug, Serialize)]
pub struct Shipping<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone<'a>>,
}

/// `BillingDescriptor`: both members are required.
#[derive(Debug, Serialize)]
pub struct BillingDescriptor<'a> {
    pub name: &'a str,
    pub city: &'a str,
}

/// The `3ds` object of a payment request: `{"enabled": true}` (`3dsRequest`: Checkout.com
/// authenticates), or with a result obtained elsewhere the third-party members
/// (`3dsRequestThirdParty`, `specs/checkout-tokens-openapi.json`).
#[derive(Debug, Serialize)]
pub struct ThreeDs<'a> {
    pub enabled: bool,
    #[serde(flatten)]
    pub third_party: Option<ThirdParty<'a>>,
}

/// The members of `3dsRequestThirdParty` an external 3DS result fills.
#[derive(Debug, Serialize)]
pub struct ThirdParty<'a> {
    pub eci: &'a str,
    pub cryptogram: Cryptogram<'a>,
    pub xid: &'a str,
    pub version: &'a str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason_code: Option<&'a str>,
    pub flow_type: &'static str,
}

/// The authentication value (CAVV) as sent: serialized as it is, never shown by `Debug`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Cryptogram<'a>(pub &'a str);

impl std::fmt::Debug for Cryptogram<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cryptogram([REDACTED])")
    }
}

/// `POST /payments/{id}/authorizations`: `amount` is the amount to *add*; 0 extends validity.
#[derive(Debug, Serialize)]
pub struct AuthorizationRequest<'a> {
    pub amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
}

/// `POST /payments/{id}/captures`.
#[derive(Debug, Serialize)]
pub struct CaptureRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub capture_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: &'a BTreeMap<String, String>,
}

/// `POST /payments/{id}/voids` and `/refunds` (refunds add `amount`).
#[derive(Debug, Serialize)]
pub struct ActionRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a BTreeMap<String, String>>,
}

/// The running totals of a payment.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Balances {
    pub total_authorized: i64,
    pub total_voided: i64,
    pub available_to_void: i64,
    pub total_captured: i64,
    pub available_to_capture: i64,
    pub total_refunded: i64,
    pub available_to_refund: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct Link {
    pub href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Links {
    pub redirect: Option<Link>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SourceResponse {
    pub scheme: Option<String>,
}

/// A payment as returned by `POST /payments` (201 or 202) and `GET /payments/{id}`.
#[derive(Debug, Deserialize)]
pub struct Payment {
    pub id: String,
    pub action_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub approved: Option<bool>,
    pub status: String,
    pub response_code: Option<String>,
    pub response_summary: Option<String>,
    pub expires_on: Option<String>,
    pub balances: Option<Balances>,
    pub source: Option<SourceResponse>,
    pub scheme_id: Option<String>,
    #[serde(rename = "_links", default)]
    pub links: Links,
}

/// `POST /payments/{id}/authorizations` 201.
#[derive(Debug, Deserialize)]
pub struct Authorization {
    pub action_id: Option<String>,
    pub approved: Option<bool>,
    pub status: Option<String>,
    pub response_code: Option<String>,
    pub response_summary: Option<String>,
    pub expires_on: Option<String>,
    pub balances: Option<Balances>,
}

/// The 202 answer to captures, voids and refunds.
#[derive(Debug, Deserialize)]
pub struct Accepted {
    pub action_id: String,
}

/// One entry of `GET /payments/{id}/actions` (`PaymentAction`); `reference` is the one the
/// action was requested with.
#[derive(Debug, Deserialize)]
pub struct Action {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub amount: Option<i64>,
    pub approved: Option<bool>,
    pub response_code: Option<String>,
    pub response_summary: Option<String>,
    pub reference: Option<String>,
}

/// `GET /payments?reference=&limit=&skip=`: one page of the payments made with a reference,
/// newest first. Not in the published document we hold: the shape (`limit`, `skip`,
/// `total_count`, `data`) is that of Checkout.com's public reference for "Get payment lists"
/// \[U\]. `total_count` counts every match, whatever `skip` and `limit`.
#[derive(Debug, Deserialize)]
pub struct PaymentList {
    pub total_count: Option<u64>,
    pub data: Vec<ListedPayment>,
}

/// One payment of a [`PaymentList`]: what a lookup by reference needs.
#[derive(Debug, Deserialize)]
pub struct ListedPayment {
    pub id: String,
    pub reference: Option<String>,
}

/// `POST /tokens` for a wallet (`02_GooglePayTokenRequest`, `03_ApplePayTokenRequest`): `type`
/// `googlepay` or `applepay`, and the wallet's token as `token_data`. No `Debug`: it holds the
/// token.
#[derive(Serialize)]
pub struct TokenRequest<'a, T> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub token_data: &'a T,
}

/// `POST /tokens` 201 (`TokenResponse`), what a payment needs: the `tok_` token and the card's
/// scheme. No `Debug`: the token pays.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub token: String,
    pub scheme: Option<String>,
}

/// The error body: `{request_id, error_type, error_codes}`; 401 comes with none.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub request_id: Option<String>,
    pub error_type: Option<String>,
    pub error_codes: Vec<String>,
}

/// A webhook delivery.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: EventData,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventData {
    pub id: Option<String>,
    pub action_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub response_code: Option<String>,
    pub response_summary: Option<String>,
    pub balances: Option<Balances>,
}
