//! Stripe's wire format at API version `2024-04-10`: the form bodies we send and the JSON we
//! read, as in its published OpenAPI (`PaymentIntent`, `Charge`, `Refund`, `Error`, `Event`).
//!
//! Form bodies are encoded by [`FORM`]: bracket notation for nested objects and maps
//! (`payment_method_options[card][request_three_d_secure]=any`, `metadata[k]=v`) and `[]` for
//! arrays (`expand[]=latest_charge`). A `None` field is skipped, never sent empty. Response
//! structs keep every field optional that Stripe may omit or null; unknown fields are ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The form encoding. Arrays as `expand[]=x` (`EmptyIndexed`): the spelling of Stripe's docs
/// and curl examples, and the same in a body and a query string. Indices (`expand[0]`) are only
/// needed to group the fields of arrays of objects, which no request here sends. Query-string
/// escaping keeps brackets readable; `&`, `=`, `+`, `%`, `[`, `]` and non-ASCII inside keys and
/// values are percent-encoded. Set explicitly, so a crate enabling serde_qs's
/// `default_to_form_encoding` feature elsewhere cannot change our bytes.
pub const FORM: serde_qs::Config = serde_qs::Config::new()
    .array_format(serde_qs::ArrayFormat::EmptyIndexed)
    .use_form_encoding(false);

/// `expand[]=latest_charge`: the charge carries `capture_before`, the extended and incremental
/// authorization flags, the card network and the refunded amount.
pub const EXPAND_CHARGE: [&str; 1] = ["latest_charge"];

/// Merchant metadata as sent: `metadata[key]=value`.
pub type FormMetadata<'a> = BTreeMap<&'a str, &'a str>;

/// `POST /v1/payment_intents`, created and confirmed in one call, paying with a PaymentMethod
/// (`pm_…`): one given as such, or one created from a raw card first ([`PaymentMethodCreate`]).
#[derive(Debug, Serialize)]
pub struct PaymentIntentCreate<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub confirm: bool,
    pub capture_method: &'static str,
    pub payment_method: &'a str,
    /// `card`: without it, API versions since 2023-08-16 turn on automatic payment methods,
    /// which demand a `return_url` on every server-side confirmation.
    pub payment_method_types: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_options: Option<&'a PaymentMethodOptions>,
    /// `true` with an imported 3DS result, as Stripe's guide to importing 3DS results asks, so
    /// that Stripe does not start a 3DS of its own on a soft decline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_on_requires_action: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping: Option<&'a Shipping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_descriptor_suffix: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: FormMetadata<'a>,
    pub expand: [&'static str; 1],
}

/// A PaymentIntent's `shipping` (`optional_fields_shipping`): `name` and `address` are
/// required by the document, `phone` is optional; `carrier` and `tracking_number` are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shipping {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub address: Address,
}

/// `address` of `shipping` and of `billing_details`: Stripe's six fields, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `POST /v1/payment_methods` with a raw card (`type=card`, `card[number]`, `card[exp_month]`,
/// `card[exp_year]`, `card[cvc]`, `billing_details[…]`): Stripe takes it only from accounts
/// with raw card data access. The 2024-04-10 document has no raw card in a PaymentIntent's
/// `payment_method_data`, hence this separate call.
#[derive(Debug, Serialize)]
pub struct PaymentMethodCreate<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub card: CardData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_details: Option<BillingDetails>,
}

#[derive(Debug, Serialize)]
pub struct CardData<'a> {
    pub number: &'a str,
    pub exp_month: u8,
    pub exp_year: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvc: Option<&'a str>,
}

/// `billing_details` of a PaymentMethod (`billing_details_inner_params`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BillingDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// `POST /v1/payment_methods` from a card token (`type=card&card[token]=tok_…`, the document's
/// `token_params`): how a wallet's token is paid.
#[derive(Debug, Serialize)]
pub struct PaymentMethodFromToken<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub card: CardToken<'a>,
}

#[derive(Debug, Serialize)]
pub struct CardToken<'a> {
    pub token: &'a str,
}

/// `type=card&card[token]={token}`.
pub fn from_token(token: &str) -> PaymentMethodFromToken<'_> {
    PaymentMethodFromToken {
        kind: "card",
        card: CardToken { token },
    }
}

/// `POST /v1/tokens` with an Apple Pay token: the parameters of Stripe's iOS SDK, not in the
/// published document. No `Debug`: `pk_token` is the wallet's chargeable token.
#[derive(Serialize)]
pub struct ApplePayTokenCreate<'a> {
    /// `PKPaymentToken.paymentData` as JSON text.
    pub pk_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pk_token_instrument_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pk_token_payment_network: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pk_token_transaction_id: Option<&'a str>,
}

/// The created token (`tok_…`): only its id is read.
#[derive(Debug, Deserialize)]
pub struct TokenCreated {
    pub id: String,
}

/// The created PaymentMethod: only its id is read.
#[derive(Debug, Deserialize)]
pub struct PaymentMethodCreated {
    pub id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentMethodOptions {
    pub card: CardOptions,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_incremental_authorization: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_extended_authorization: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_three_d_secure: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<ThreeDSecure>,
}

/// `payment_method_options[card][three_d_secure]`: a 3DS result obtained outside Stripe
/// (`cryptogram`, `transaction_id` and `version` required; `electronic_commerce_indicator` and
/// `ares_trans_status` optional). `Debug` hides the cryptogram.
#[derive(Clone, Serialize)]
pub struct ThreeDSecure {
    pub cryptogram: String,
    pub transaction_id: String,
    pub version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electronic_commerce_indicator: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ares_trans_status: Option<&'static str>,
}

impl fmt::Debug for ThreeDSecure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreeDSecure")
            .field("cryptogram", &"[REDACTED]")
            .field("transaction_id", &self.transaction_id)
            .field("version", &self.version)
            .field(
                "electronic_commerce_indicator",
                &self.electronic_commerce_indicator,
            )
            .field("ares_trans_status", &self.ares_trans_status)
            .finish()
    }
}

/// `POST /v1/payment_intents/{id}/increment_authorization`: `amount` is the new *total*.
#[derive(Debug, Serialize)]
pub struct IncrementAuthorization {
    pub amount: i64,
    pub expand: [&'static str; 1],
}

/// `POST /v1/payment_intents/{id}/capture`.
#[derive(Debug, Serialize)]
pub struct Capture<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_to_capture: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: FormMetadata<'a>,
    pub expand: [&'static str; 1],
}

/// `POST /v1/payment_intents/{id}/cancel`.
#[derive(Debug, Serialize)]
pub struct Cancel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<&'static str>,
}

/// `POST /v1/refunds`.
#[derive(Debug, Serialize)]
pub struct RefundCreate<'a> {
    pub payment_intent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: FormMetadata<'a>,
}

/// A PaymentIntent, as every `/v1/payment_intents…` call answers it. The document does not
/// require `amount_capturable` nor `amount_received`: absent, they are `None`, never zero
/// (`mapping::intent_amounts` derives them).
#[derive(Debug, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub amount_capturable: Option<i64>,
    pub amount_received: Option<i64>,
    pub currency: String,
    pub latest_charge: Option<LatestCharge>,
    pub last_payment_error: Option<ApiError>,
    pub next_action: Option<NextAction>,
}

/// `latest_charge`: an id, or the charge itself when expanded. Read by hand rather than as an
/// untagged enum, which would buffer the whole charge before trying each variant (3× slower).
#[derive(Debug)]
pub enum LatestCharge {
    Id(String),
    Expanded(Box<Charge>),
}

impl<'de> Deserialize<'de> for LatestCharge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = LatestCharge;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a charge id or a charge")
            }
            fn visit_str<E: de::Error>(self, id: &str) -> Result<LatestCharge, E> {
                Ok(LatestCharge::Id(id.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LatestCharge, A::Error> {
                let charge = Charge::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(LatestCharge::Expanded(Box::new(charge)))
            }
        }
        deserializer.deserialize_any(Either)
    }
}

#[derive(Debug, Deserialize)]
pub struct Charge {
    pub id: String,
    /// What was captured of the charge; tells a partial capture apart when the PaymentIntent
    /// leaves out `amount_received`.
    pub amount_captured: Option<i64>,
    #[serde(default)]
    pub amount_refunded: i64,
    pub payment_method_details: Option<PaymentMethodDetails>,
}

#[derive(Debug, Deserialize)]
pub struct PaymentMethodDetails {
    pub card: Option<CardDetails>,
}

/// `payment_method_details.card` of a charge. `network_transaction_id` is newer than
/// 2024-04-10; it is read when present.
#[derive(Debug, Deserialize)]
pub struct CardDetails {
    pub brand: Option<String>,
    pub network: Option<String>,
    pub capture_before: Option<i64>,
    pub extended_authorization: Option<FeatureStatus>,
    pub incremental_authorization: Option<FeatureStatus>,
    pub network_transaction_id: Option<String>,
}

/// `{status: enabled|disabled}` or `{status: available|unavailable}`.
#[derive(Debug, Deserialize)]
pub struct FeatureStatus {
    pub status: String,
}

#[derive(Debug, Deserialize)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: String,
    pub redirect_to_url: Option<RedirectToUrl>,
}

#[derive(Debug, Deserialize)]
pub struct RedirectToUrl {
    pub url: Option<String>,
}

/// The `error` object, also a PaymentIntent's `last_payment_error`. `advice_code`,
/// `network_advice_code` and `network_decline_code` are newer than 2024-04-10; read when
/// present. The embedded `payment_intent` stays raw until a decline needs it, so an odd one
/// cannot hide the error's codes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
    pub advice_code: Option<String>,
    pub network_advice_code: Option<String>,
    pub network_decline_code: Option<String>,
    pub payment_intent: Option<serde_json::Value>,
}

/// `{"error": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error: ApiError,
}

/// A Refund (`re_…`).
#[derive(Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: Option<String>,
    pub failure_reason: Option<String>,
    pub payment_intent: Option<String>,
}

/// A webhook delivery.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: EventObject,
}

/// The fields paybridge reads of an event's object: a PaymentIntent, a Charge or a Refund.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventObject {
    pub id: Option<String>,
    pub object: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub amount: Option<i64>,
    pub amount_capturable: Option<i64>,
    pub amount_received: Option<i64>,
    pub amount_captured: Option<i64>,
    pub amount_refunded: Option<i64>,
    pub payment_intent: Option<String>,
    pub failure_reason: Option<String>,
    pub last_payment_error: Option<ApiError>,
}
