//! # paybridge-stripe
//!
//! The Stripe connector (PaymentIntents, API version pinned to `2024-04-10`): authorize,
//! incremental authorization, capture, void, cancel post capture, refund, payment and refund
//! sync, payment and refund lookup by reference, complete authorize, session tokens and
//! payments with Google Pay and Apple Pay tokens, webhooks.
//!
//! What differs from a JSON processor:
//!
//! * Bodies are `application/x-www-form-urlencoded` with bracket notation
//!   (`payment_method_options[card][request_incremental_authorization]=if_available`,
//!   `metadata[reference]=…`, `expand[]=latest_charge`); fields that are not set are not sent.
//! * Authorize pays with a PaymentMethod (`payment_method=pm_…`). A PaymentMethod id is sent
//!   as is (Stripe's test PaymentMethods such as `pm_card_visa` included). A raw card takes two
//!   chained calls, because the 2024-04-10 document has no raw card in a PaymentIntent's
//!   `payment_method_data`: `POST /v1/payment_methods` (`type=card`, `card[number]`,
//!   `card[exp_month]`, `card[exp_year]`, `card[cvc]`, `billing_details[…]`; Stripe takes it
//!   only from accounts with raw card data access), then the PaymentIntent paying with the new
//!   `pm_…`, byte for byte as if that id had been given. The PaymentMethod's `Idempotency-Key`
//!   is the payment's key with `-payment_method` appended ([`IdempotencyKey::derive`]): the two
//!   calls cannot share one key (Stripe refuses a key reused with other parameters), and a
//!   retry or a resume with the payment's key re-sends both under the same keys, so Stripe
//!   replays both. Creating a PaymentMethod moves no money, so however the first call fails
//!   (a 402 `card_error` such as `incorrect_number`, a 5xx, a timeout, a dropped connection)
//!   the error is not `outcome_unknown`: no PaymentIntent exists yet
//!   ([`Exchange::moving_no_money`]). Card number, CVC, expiry and holder name are masked in
//!   logs by core's defaults.
//! * A decline is an HTTP 402 `card_error` carrying the PaymentIntent: it maps to `Ok` with a
//!   `failed` status (an increment: `failure`) and [`DeclineDetails`]. A 402 `card_error` an
//!   authorization gets without a PaymentIntent is `Rejected { kind: Validation }` with Stripe's
//!   codes (no payment exists to report as failed), and a 402 `invalid_request_error` always
//!   is (e.g. raw card numbers from an account without raw card data access).
//! * `amount_capturable` and `amount_received` are optional in the document: when a
//!   PaymentIntent leaves them out they follow its status (`requires_capture`: all of `amount`
//!   capturable; `succeeded`: all of it received, or the expanded charge's `amount_captured`),
//!   never zero by default.
//! * Incremental authorization sends the new *total*, as paybridge's API does.
//! * Extended authorization can only be asked for at authorization time
//!   (`request_extended_authorization`): [`AuthorizeRequest::request_extended_authorization`],
//!   reported back as `extended_authorization_applied` and `capture_before`. Extending an
//!   existing authorization is not supported.
//! * Every POST carries `Idempotency-Key`; Stripe replays whatever the first request got.
//! * Stripe has no lookup by reference, only lists (`docs/processors.md` §2.10). Our reference
//!   travels as `metadata[reference]` on PaymentIntents and refunds, so:
//!   - **payment lookup** lists `GET /v1/payment_intents` with `created[gte]` / `created[lte]`
//!     from 1 minute before to 3 minutes after [`PaymentLookupRequest::sent_at`] (no
//!     `created` filter when it is `None`: the account's newest PaymentIntents), `limit=100`,
//!     paging with `starting_after` while `has_more`, and takes the first (newest)
//!     PaymentIntent whose `metadata[reference]` equals the reference exactly;
//!   - **refund lookup** lists `GET /v1/refunds?payment_intent={id}&limit=100` the same way
//!     and maps the refund whose `metadata[reference]` equals the refund's reference as
//!     refund sync does.
//!
//!   Both read at most 30 pages (`lookup::MAX_PAGES`): a search cut short
//!   while Stripe has more answers an error, never `None`, so a caller cannot mistake "not
//!   seen" for "does not exist".
//!
//! ## Payment details
//!
//! Where each detail of an [`AuthorizeRequest`] goes, by the parameters of
//! `POST /v1/payment_intents` and `POST /v1/payment_methods` in Stripe's published document
//! for 2024-04-10 (`specs/stripe-payments-openapi.json`). The capabilities list exactly the
//! forwarded ones ([`Capabilities::forwards`]). Blank values are never sent (Stripe reads an
//! empty value as "unset").
//!
//! | detail | Stripe parameter |
//! |---|---|
//! | customer e-mail | PaymentIntent `receipt_email` (in live mode Stripe then e-mails a receipt, whatever the account's e-mail settings) |
//! | shipping address | PaymentIntent `shipping[name]` (first and last name of the address) and `shipping[address][line1, line2, city, state, postal_code, country]` |
//! | shipping phone | PaymentIntent `shipping[phone]`, E.164 when the country code is known |
//! | billing address | the raw card's PaymentMethod: `billing_details[address][…]`, and `billing_details[name]` when the card has no holder name |
//! | billing phone, e-mail | the raw card's PaymentMethod: `billing_details[phone]`, `billing_details[email]` |
//! | description | PaymentIntent `description` |
//! | statement descriptor suffix | PaymentIntent `statement_descriptor_suffix` |
//!
//! - **Billing details go with raw cards only** ([`Condition::BillingDetailsWithCardsOnly`]):
//!   the PaymentIntent has no billing parameters, and a `pm_…` carries the billing details it
//!   was created with.
//! - **Addresses**: Stripe has two lines; a third joins the second after `, `. The country is
//!   the ISO 3166-1 alpha-2 code Stripe asks for.
//! - **Shipping** is sent whole or not at all: the document requires `name` and `address`, so a
//!   shipping contact with an address or phone but without a name, or without any part of a
//!   location, is an `InvalidRequest` naming `shipping.address.first_name` or
//!   `shipping.address`, before anything is sent. The name is not taken from the customer,
//!   whose name is not forwarded. A shipping e-mail has no place at Stripe.
//! - **Statement descriptor suffix**: checked before sending against Stripe's rules (at most 22
//!   characters, printable ASCII, at least one letter, none of `< > \ ' " *`), refused as an
//!   `InvalidRequest` naming `statement_descriptor.suffix`, never truncated. Stripe checks the
//!   account's prefix plus the suffix against 22 characters itself.
//!
//! Not forwarded:
//!
//! - **statement descriptor name**: every PaymentIntent here pays by card
//!   (`payment_method_types[]=card`); for card charges the document says to use
//!   `statement_descriptor_suffix`, and Stripe refuses `statement_descriptor` on card
//!   PaymentIntents (HTTP 400, since 2024-01-02).
//! - **customer id**: `customer` takes the id of a Stripe Customer (`cus_…`), not the merchant's,
//!   and binds the payment method to that Customer.
//! - **customer name and phone**: the PaymentIntent has no such fields; they are not put in
//!   `shipping` or `billing_details` in place of the contacts' own.
//! - **IP address** (and the rest of the browser data): the only PaymentIntent parameter for it
//!   is `mandate_data[customer_acceptance][online][ip_address]`, which records a mandate, not a
//!   payment's customer.
//!
//! ## External 3DS
//!
//! A payment authenticated by a 3DS server outside Stripe
//! ([`AuthorizeRequest::external_authentication`]) is authorized with the result imported in
//! `payment_method_options[card][three_d_secure]` of `POST /v1/payment_intents`, whose fields,
//! enums and required list are those of Stripe's 2024-04-10 document
//! (`specs/stripe-payments-openapi.json`) \[C\]; the descriptions are Stripe's own, in its
//! SDKs generated from its OpenAPI specification (`stripe/stripe-dotnet`
//! `PaymentIntentPaymentMethodOptionsCardThreeDSecureOptions.cs`, commit 267dd3b) \[C\].
//!
//! | Stripe parameter | from the 3DS result | source |
//! |---|---|---|
//! | `[cryptogram]` (required) | the authentication value (CAVV) | Stripe: "also known as the authentication value (AAV, CAVV or AEVV)" \[C\] |
//! | `[transaction_id]` (required) | the directory server's transaction id (`dsTransID`) | Stripe: "For 3D Secure 2, the Directory Server Transaction ID (dsTransID)" \[C\]; the 3DS reference §11 marks the pairing derived \[U\] |
//! | `[version]` (required) | `messageVersion`, if `1.0.2`, `2.1.0` or `2.2.0` | the document's enum \[C\] |
//! | `[electronic_commerce_indicator]` | `eci`, if `01`, `02`, `05`, `06` or `07`; not sent when absent | the document's enum \[C\] |
//! | `[ares_trans_status]` | the result's `Y` or `A` after a frictionless authentication; not sent after a challenge | Stripe: "The transStatus returned from the card Issuer's ACS in the ARes" \[C\] |
//!
//! - **`error_on_requires_action=true`** goes with it: Stripe's guide to importing 3DS results
//!   (docs.stripe.com/payments/payment-intents/three-d-secure-import) asks for it, so that
//!   Stripe does not run a 3DS of its own on a soft decline. `request_three_d_secure` is not
//!   sent with an imported result (the document has it, but it asks Stripe to authenticate).
//! - **Refused before sending**, as an [`ConnectorError::InvalidRequest`] naming the unified
//!   field: a `2.3.0` or `2.3.1` result (`external_authentication.message_version`: the pinned
//!   document's enum lacks them, though Stripe's later API versions list them), an ECI outside
//!   the enum (`external_authentication.eci`), a blank transaction id, a status other than `Y`
//!   or `A`.
//! - **After a challenge** the ARes said `C` (or `D`, decoupled) and the result's status is the
//!   RReq's; the unified result does not say which, so `ares_trans_status` is left out (it is
//!   optional) rather than guessed.
//! - Not sent: `exemption_indicator`, `requestor_challenge_indicator`, `network_options` (the
//!   unified result does not carry them).
//! - The cryptogram is masked in logs by its innermost name (`…[three_d_secure][cryptogram]` →
//!   `cryptogram`, one of core's default sensitive names); the wire type's `Debug` hides it.
//!
//! ## Wallets
//!
//! Sources: Stripe's published document (`specs/stripe-payments-openapi.json`,
//! `specs/stripe-tokens-openapi.json`); Stripe's iOS SDK (`stripe/stripe-ios`
//! `StripeApplePay/…/Token+API.swift`, commit 0032a69) for the Apple Pay parameters; Stripe's
//! Android SDK (`stripe/stripe-android` `GooglePayConfig.kt`, commit 0471324) for the gateway
//! parameters; Google's PSP demo (`google-pay/pay-server-demos`
//! `google-pay-psp-client/handlers/stripe.js`, commit fc2098b) for the token. \[U\] marks
//! what they do not confirm.
//!
//! - **Session token** is built from configuration, with no call to Stripe ([`Plan::Ready`]):
//!   one entry per wallet asked for, in order. Google Pay: the `PaymentDataRequest` with
//!   `tokenizationSpecification` `PAYMENT_GATEWAY`, `gateway: "stripe"`,
//!   `stripe:publishableKey` (`extra.publishable_key`, `PAYBRIDGE_STRIPE_PUBLISHABLE_KEY`) and
//!   `stripe:version` (Stripe's Android SDK; Google's demo puts an API date there, as we do
//!   with the pinned version \[U: Stripe's SDK sends its own name and version\]). Without a
//!   publishable key Google Pay is `Unavailable`, saying which setting is missing. Apple Pay:
//!   the payment request (country, currency, total, `supports3DS`, networks); Apple's merchant
//!   session belongs to the merchant, not to Stripe. Both sheets offer Visa, Mastercard, Amex,
//!   Discover and JCB.
//! - **Google Pay token** for gateway `stripe`: the token text is Stripe's token object, whose
//!   `id` is a `tok_…` (Google's demo charges that id). Any other token (e.g. another
//!   gateway's `ECv2` message) is an `InvalidRequest` saying it was not issued for gateway
//!   `stripe`, before anything is sent.
//! - **Apple Pay token**: `POST /v1/tokens` with `pk_token` (the `paymentData` JSON text),
//!   `pk_token_instrument_name`, `pk_token_payment_network` and `pk_token_transaction_id`
//!   (those the token has), with the secret key and a key derived from the payment's
//!   (`-token`). These parameters are the iOS SDK's; Stripe's published document does not list
//!   them \[U: accepted from a server with the secret key\]. The call moves no money.
//! - **Both** are then paid as a card token: `POST /v1/payment_methods` with
//!   `type=card&card[token]=tok_…` (the document's `token_params`; key suffix
//!   `-payment_method`, moves no money), then the PaymentIntent with the new `pm_…`, as for a
//!   raw card: three calls at most. A token is single use \[U\]; a retry with the payment's key
//!   is replayed by Stripe, call by call.
//! - **No token bytes leak**: `pk_token` and `pk_token_transaction_id` are masked in logs
//!   (`card[token]` by core's defaults); Stripe's errors on these calls keep `type`, `code` and
//!   `param`, but their message loses any `tok_…` id and any long base64 run; the tokens'
//!   `Debug` shows no bytes.
//!
//! ```
//! use paybridge_core::*;
//! use paybridge_stripe::Stripe;
//!
//! let config = ConnectorConfig::new(Stripe::API_URL.parse().unwrap(), "sk_test_xxx");
//! let connector = Stripe::connector(&config).unwrap();
//! assert_eq!(connector.id(), "stripe");
//! assert!(connector.capabilities().supports(Flow::IncrementalAuthorization));
//! assert!(!connector.capabilities().supports(Flow::ExtendAuthorization));
//! // An external 3DS result is taken (see "External 3DS").
//! assert!(connector.capabilities().external_authentication);
//! ```

mod details;
pub mod lookup;
mod mapping;
mod wallets;
mod webhook;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use paybridge_core::http::header::AUTHORIZATION;
use paybridge_core::http::{
    bearer_value, endpoint, Exchange, HeaderName, HeaderValue, HttpRequest, HttpResponse, Plan,
    Step,
};
use paybridge_core::url::Url;
use paybridge_core::wallet::apple_pay::ApplePayToken;
use paybridge_core::webhook::{IncomingWebhook, WebhookSecrets};
use paybridge_core::*;
use serde::Serialize;

pub use webhook::SIGNATURE_HEADER;

const VERSION_HEADER: HeaderName = HeaderName::from_static("stripe-version");

/// The Stripe translator. Build it from a [`ConnectorConfig`] (secret key `sk_…`; optional
/// `extra.stripe_version`, `extra.webhook_tolerance_seconds` and `extra.publishable_key`), then
/// join it to an executor with [`HttpConnector`] (or use [`Stripe::connector`]).
pub struct Stripe {
    base_url: Url,
    /// `Bearer <secret key>`, validated and marked sensitive once.
    authorization: HeaderValue,
    /// `Stripe-Version`, so the answers have the shapes this crate reads.
    version: HeaderValue,
    /// The same version as text: Google Pay's `stripe:version`.
    api_version: String,
    /// `pk_…`, which Google Pay's sheet names; without it there is no Google Pay sheet.
    publishable_key: Option<String>,
    webhook_secrets: WebhookSecrets,
    webhook_tolerance: Duration,
}

impl Stripe {
    /// The connector id.
    pub const ID: &'static str = "stripe";
    /// Stripe's API host, for test and live keys alike (the key decides the mode).
    pub const API_URL: &'static str = "https://api.stripe.com/";
    /// The API version sent as `Stripe-Version` unless `extra.stripe_version` overrides it: the
    /// version of the published OpenAPI document this crate was written against.
    pub const API_VERSION: &'static str = "2024-04-10";
    /// The default webhook timestamp tolerance, as Stripe's libraries use.
    pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

    /// A translator for one Stripe account.
    pub fn new(config: &ConnectorConfig) -> Result<Self, ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        let extra = |key: &str| config.extra.get(key).map(String::as_str);
        let version = extra("stripe_version").unwrap_or(Self::API_VERSION);
        let tolerance = match extra("webhook_tolerance_seconds") {
            Some(secs) => secs.trim().parse().map(Duration::from_secs).ok(),
            None => Some(Self::WEBHOOK_TOLERANCE),
        };
        Ok(Stripe {
            base_url: config.base_url.clone(),
            authorization: bearer_value(&config.api_key)
                .map_err(|e| invalid("api_key", &e.to_string()))?,
            version: HeaderValue::from_str(version)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid("extra.stripe_version", "not a header value"))?,
            api_version: version.to_owned(),
            publishable_key: wallets::publishable_key(extra("publishable_key"))?,
            webhook_secrets: config.webhook_secrets.clone(),
            webhook_tolerance: tolerance
                .ok_or_else(|| invalid("extra.webhook_tolerance_seconds", "expected seconds"))?,
        })
    }

    /// A ready-to-use connector for a router's registry.
    pub fn connector(config: &ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError> {
        HttpConnector::boxed(Stripe::new(config)?, config.execution)
    }

    /// Configuration from `PAYBRIDGE_STRIPE_SECRET_KEY`, and optionally `_BASE_URL` (default
    /// [`Stripe::API_URL`]), `_WEBHOOK_SECRETS` (comma-separated `whsec_…`), `_STRIPE_VERSION`,
    /// `_WEBHOOK_TOLERANCE_SECONDS` and `_PUBLISHABLE_KEY` (`pk_…`, for Google Pay's sheet);
    /// `None` when no key is set.
    pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
        let config =
            ConnectorConfig::from_env("PAYBRIDGE_STRIPE", "SECRET_KEY", Self::API_URL, &[])?;
        let optional = [
            "STRIPE_VERSION",
            "WEBHOOK_TOLERANCE_SECONDS",
            "PUBLISHABLE_KEY",
        ];
        Ok(config.map(|c| c.with_optional_env("PAYBRIDGE_STRIPE", &optional)))
    }

    fn headers(&self, request: HttpRequest) -> HttpRequest {
        request
            .with_header(AUTHORIZATION, self.authorization.clone())
            .with_header(VERSION_HEADER, self.version.clone())
    }

    fn post(
        &self,
        segments: &[&str],
        key: &IdempotencyKey,
        body: &impl Serialize,
    ) -> Result<HttpRequest, ConnectorError> {
        let body = form(body)?;
        let request = HttpRequest::post(endpoint(&self.base_url, segments)?);
        Ok(self.headers(request).idempotency_key(key).form(body))
    }

    /// `GET /v1/payment_intents/{id}?expand[]=latest_charge`, mapped.
    fn retrieve(&self, payment_id: &str) -> Result<Exchange<PaymentResponse>, ConnectorError> {
        let mut url = endpoint(&self.base_url, &["v1", "payment_intents", payment_id])?;
        url.set_query(Some("expand[]=latest_charge"));
        Ok(Exchange::new(self.headers(HttpRequest::get(url)), |resp| {
            mapping::payment(mapping::body(&resp)?, None, resp.status)
        }))
    }

    /// `POST /v1/refunds` for a PaymentIntent.
    fn refund_exchange(
        &self,
        req: &RefundRequest,
    ) -> Result<Exchange<RefundResponse>, ConnectorError> {
        let currency = req.currency;
        mapping::sendable(currency)?;
        let body = wire::RefundCreate {
            payment_intent: &req.connector_payment_id,
            amount: req
                .amount
                .map(|a| mapping::wire_amount("amount", a, currency))
                .transpose()?,
            reason: mapping::reason(
                req.reason.as_deref(),
                &["duplicate", "fraudulent", "requested_by_customer"],
            ),
            metadata: form_metadata(
                req.reference.as_deref().map(|r| ("reference", r)),
                &req.metadata,
            )?,
        };
        let request = self.post(&["v1", "refunds"], &req.idempotency_key, &body)?;
        Ok(Exchange::new(request, move |resp| {
            mapping::refund(mapping::body(&resp)?, Some(currency), resp.status)
        }))
    }
}

/// Merchant metadata plus paybridge's own key; a merchant key that would hide paybridge's is
/// refused. Stripe checks its own limits (50 keys, 40-character keys, 500-character values).
fn form_metadata<'a>(
    own: Option<(&'static str, &'a str)>,
    merchant: &'a Metadata,
) -> Result<wire::FormMetadata<'a>, ConnectorError> {
    let mut out: wire::FormMetadata<'a> = merchant
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match own {
        Some((key, value)) if out.insert(key, value).is_some_and(|m| m != value) => Err(
            ConnectorError::invalid("metadata", format!("metadata[{key}] is not the {key}")),
        ),
        _ => Ok(out),
    }
}

/// `Stripe-Should-Retry: true|false` decides when present. Without it a 409 is retried: it
/// means another request with the same key is still running (`idempotency_key_in_use`) or a
/// lock conflict, and a retry after a backoff with the same key gets the first request's
/// stored answer (stripe-go retries every 409 too). 429 (`rate_limit` and `lock_timeout` alike)
/// is left to the executor's default, which retries it with backoff: the request was not
/// processed. Everything else follows the default policy.
pub fn retry_hint(resp: &HttpResponse) -> Option<bool> {
    match resp.header("stripe-should-retry") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ if resp.status == 409 => Some(true),
        _ => None,
    }
}

/// A PaymentMethod id's prefix: the only token the connector sends.
const PAYMENT_METHOD_ID: &str = "pm_";

/// The suffix of the idempotency key of the PaymentMethod a raw card becomes: the payment's
/// key, then `-payment_method` ([`IdempotencyKey::derive`]).
pub const PAYMENT_METHOD_KEY_SUFFIX: &str = "payment_method";

/// A form body.
fn form(body: &impl Serialize) -> Result<String, ConnectorError> {
    wire::FORM
        .serialize_string(body)
        .map_err(|e| ConnectorError::invalid("body", format!("cannot form-encode: {e}")))
}

/// Everything of `POST /v1/payment_intents` but the PaymentMethod, checked and owned: the
/// card path sends it once Stripe has created the PaymentMethod, the token path at once, so
/// both send the same bytes for the same PaymentMethod.
struct IntentCreate {
    amount: i64,
    currency: String,
    capture_method: &'static str,
    options: Option<wire::PaymentMethodOptions>,
    error_on_requires_action: Option<bool>,
    return_url: Option<String>,
    description: Option<String>,
    receipt_email: Option<String>,
    shipping: Option<wire::Shipping>,
    statement_descriptor_suffix: Option<String>,
    metadata: BTreeMap<String, String>,
}

impl IntentCreate {
    fn new(req: &AuthorizeRequest) -> Result<Self, ConnectorError> {
        let if_available = |asked: bool| asked.then_some("if_available");
        let card = wire::CardOptions {
            request_incremental_authorization: if_available(
                req.effective_authorization_type() == AuthorizationType::Estimated,
            ),
            request_extended_authorization: if_available(req.request_extended_authorization),
            // Stripe cannot skip 3DS: `Skip` and `Automatic` leave it to Stripe's rules. With
            // an external result the authentication is done: Stripe is not asked for another.
            request_three_d_secure: (req.three_ds == ThreeDsPreference::Required
                && req.external_authentication.is_none())
            .then_some("any"),
            three_d_secure: req
                .external_authentication
                .as_ref()
                .map(mapping::three_d_secure)
                .transpose()?,
        };
        let any_option = card.request_incremental_authorization.is_some()
            || card.request_extended_authorization.is_some()
            || card.request_three_d_secure.is_some()
            || card.three_d_secure.is_some();
        // Stripe has no reference field: the merchant's reference goes in the metadata.
        let metadata = form_metadata(Some(("reference", &req.reference)), &req.metadata)?
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(IntentCreate {
            amount: mapping::wire_amount("amount", req.amount, req.currency)?,
            currency: req.currency.code().to_ascii_lowercase(),
            capture_method: match req.capture_method {
                CaptureMethod::Automatic => "automatic",
                CaptureMethod::Manual => "manual",
            },
            error_on_requires_action: req.external_authentication.as_ref().map(|_| true),
            options: any_option.then_some(wire::PaymentMethodOptions { card }),
            return_url: req.return_url.as_ref().map(|u| u.as_str().to_owned()),
            description: details::description(req),
            receipt_email: details::receipt_email(req),
            shipping: details::shipping(req.shipping.as_ref())?,
            statement_descriptor_suffix: details::statement_descriptor_suffix(
                &req.statement_descriptor,
            )?,
            metadata,
        })
    }

    fn wire<'a>(&'a self, payment_method: &'a str) -> wire::PaymentIntentCreate<'a> {
        wire::PaymentIntentCreate {
            amount: self.amount,
            currency: &self.currency,
            confirm: true,
            capture_method: self.capture_method,
            payment_method,
            payment_method_types: ["card"],
            payment_method_options: self.options.as_ref(),
            error_on_requires_action: self.error_on_requires_action,
            return_url: self.return_url.as_deref(),
            description: self.description.as_deref(),
            receipt_email: self.receipt_email.as_deref(),
            shipping: self.shipping.as_ref(),
            statement_descriptor_suffix: self.statement_descriptor_suffix.as_deref(),
            metadata: self
                .metadata
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            expand: wire::EXPAND_CHARGE,
        }
    }
}

/// The id of the PaymentMethod Stripe created from a raw card.
fn created_payment_method(resp: &HttpResponse) -> Result<String, ConnectorError> {
    let created: wire::PaymentMethodCreated = mapping::body(resp)?;
    mapping::id(created.id, resp.status)
}

/// The PaymentIntent of an authorization, still to be given its PaymentMethod.
struct PendingIntent {
    intent: IntentCreate,
    /// `POST /v1/payment_intents` with its headers and the payment's key, without a body.
    request: HttpRequest,
    currency: Currency,
}

impl PendingIntent {
    /// The PaymentIntent paying with `payment_method`.
    fn pay(self, payment_method: &str) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        let body = form(&self.intent.wire(payment_method))?;
        let currency = self.currency;
        Ok(Exchange::new(self.request.form(body), move |resp| {
            authorization(resp, currency)
        }))
    }

    /// First `create`, a PaymentMethod whose id `read` takes from the answer, then the
    /// PaymentIntent paying with it. A PaymentMethod charges nothing: however that step
    /// fails, no payment was made.
    fn after(
        self,
        create: HttpRequest,
        read: fn(&HttpResponse) -> Result<String, ConnectorError>,
    ) -> Exchange<AuthorizeResponse> {
        Exchange::then(create, move |resp| {
            let id = read(&resp).map_err(ConnectorError::for_read)?;
            Ok(Step::Next(Box::new(self.pay(&id)?)))
        })
        .moving_no_money()
    }
}

/// The answer to `POST /v1/payment_intents` with `confirm=true`.
///
/// A decline is a 402 `card_error` carrying the failed PaymentIntent: `Ok`, with a `failed`
/// status and the decline's details. A 402 `card_error` without a PaymentIntent we can read
/// (e.g. card data refused before any payment existed) is `Rejected { kind: Validation }` with
/// Stripe's codes (`code`, `decline_code`, `type`, `param`) and message: an `Ok` payment needs
/// the processor's payment id, which later calls put in their URLs, and there is none, nor was
/// anything charged. A 402 `invalid_request_error` is that same rejection, never a decline.
fn authorization(
    resp: HttpResponse,
    currency: Currency,
) -> Result<PaymentResponse, ConnectorError> {
    if let Some((decline, Some(pi))) = mapping::card_decline(&resp) {
        if let Ok(mut payment) = mapping::payment(pi, Some(currency), resp.status) {
            payment.status = PaymentStatus::Failed;
            payment.incremental_authorization_allowed = None;
            payment.decline = Some(decline);
            return Ok(payment);
        }
    }
    mapping::payment(mapping::body(&resp)?, Some(currency), resp.status)
}

impl Translator for Stripe {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn capabilities(&self) -> Capabilities {
        use CardNetwork::{Amex, Discover, Mastercard, Visa};
        let capabilities = Capabilities::new(Self::ID)
            .support(
                Flow::Authorize,
                [
                    Condition::PaymentMethodTokenPrefixes {
                        prefixes: vec![PAYMENT_METHOD_ID.into()],
                    },
                    Condition::UnsupportedCurrencies {
                        currencies: mapping::unsendable_currencies(),
                    },
                    Condition::AmountMultipleOf {
                        currencies: mapping::tens_only_currencies(),
                        multiple: 10,
                    },
                    Condition::BillingDetailsWithCardsOnly,
                    Condition::Note {
                        text: "PaymentMethod ids (pm_) and cards; a card is first made a \
                               PaymentMethod (POST /v1/payment_methods, which needs raw card \
                               data access on the Stripe account), then paid with; 3DS by \
                               redirect; extended authorization is asked for here \
                               (request_extended_authorization)"
                            .into(),
                    },
                    Condition::Note {
                        text: "wallets: a Google Pay token for gateway stripe (Stripe's token \
                               object, tok_) or an Apple Pay token (first exchanged for a tok_ \
                               at POST /v1/tokens) becomes a PaymentMethod (card[token]), then \
                               is paid as a card"
                            .into(),
                    },
                    Condition::Note {
                        text: "an external 3DS result goes in \
                               payment_method_options[card][three_d_secure] with \
                               error_on_requires_action=true; Stripe's 2024-04-10 document takes \
                               versions 1.0.2, 2.1.0 and 2.2.0 only (2.3.x is refused) and the ECIs \
                               01, 02, 05, 06, 07"
                            .into(),
                    },
                    Condition::Note {
                        text: "shipping needs the recipient's name and an address (Stripe \
                               requires both); the statement descriptor's name is not sent \
                               (Stripe refuses it on card payments), its suffix is (at most 22 \
                               Latin characters, one letter at least, none of < > \\ ' \" *)"
                            .into(),
                    },
                ],
            )
            .forwards(details::FORWARDED)
            .support(
                Flow::IncrementalAuthorization,
                [
                    Condition::RequiresEstimatedAuthorization,
                    Condition::BeforeAnyCapture,
                    Condition::MaxAttempts { count: 10 },
                    Condition::CardNetworks {
                        networks: vec![Visa, Mastercard, Amex, Discover],
                    },
                ],
            )
            .support(Flow::Capture, [Condition::Partial])
            .support(Flow::Void, [])
            .support(
                Flow::CancelPostCapture,
                [Condition::Note {
                    text: "refunds the captured amount".into(),
                }],
            )
            .support(Flow::Refund, [Condition::Partial, Condition::Multiple])
            .support(Flow::PaymentSync, [])
            .support(Flow::RefundSync, [])
            .support(
                Flow::PaymentLookup,
                [Condition::Note {
                    text: "lists PaymentIntents created from 1 minute before to 3 minutes \
                           after sent_at (the newest when it is unknown) and matches \
                           metadata[reference]; at most 3000 are read, beyond that it answers \
                           an error"
                        .into(),
                }],
            )
            .support(
                Flow::RefundLookup,
                [Condition::Note {
                    text: "lists the payment's refunds and matches metadata[reference]".into(),
                }],
            )
            .support(Flow::CompleteAuthorize, [])
            .support(Flow::Webhooks, [])
            .takes_external_authentication();
        wallets::declare(capabilities, self.publishable_key.is_some())
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "idempotency-key",
            key_reuse: KeyReuse::ReplaysAll,
            retry_hint,
            // `payment_method=pm_…` can be charged. A card's PaymentMethod body
            // (`card[number]`, `card[cvc]`, `card[exp_month]`, `card[exp_year]`,
            // `billing_details[name|email|phone]`) and the personal data of a PaymentIntent
            // (`receipt_email`, `shipping[name]`, `shipping[phone]`, the `line1`, `line2` and
            // `postal_code` of either address) are masked by core's defaults, as are the same
            // names in Stripe's answers. `pk_token` is an Apple Pay token and
            // `pk_token_transaction_id` its device's transaction id; `card[token]` (a `tok_…`)
            // is masked by core's defaults.
            sensitive_fields: &["payment_method", "pk_token", "pk_token_transaction_id"],
        }
    }

    fn authorize(
        &self,
        req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        enum Source<'a> {
            Card(&'a Card),
            PaymentMethod(&'a str),
            /// A card token (`tok_…`): Google Pay's for gateway `stripe`.
            CardToken(String),
            /// Exchanged for a card token first.
            ApplePay(&'a ApplePayToken),
        }
        let source = match &req.payment_method {
            PaymentMethod::Card(card) => Source::Card(card),
            PaymentMethod::Token(token) if token.as_str().starts_with(PAYMENT_METHOD_ID) => {
                Source::PaymentMethod(token.as_str())
            }
            PaymentMethod::Token(_) => {
                return Err(ConnectorError::invalid(
                    "payment_method",
                    "Stripe takes PaymentMethod ids (pm_…) or raw cards",
                ))
            }
            PaymentMethod::Wallet(WalletToken::GooglePay(token)) => {
                Source::CardToken(wallets::google_pay_token_id(token)?)
            }
            PaymentMethod::Wallet(WalletToken::ApplePay(token)) => Source::ApplePay(token),
        };
        let intent = PendingIntent {
            intent: IntentCreate::new(req)?,
            request: self
                .headers(HttpRequest::post(endpoint(
                    &self.base_url,
                    &["v1", "payment_intents"],
                )?))
                .idempotency_key(&req.idempotency_key),
            currency: req.currency,
        };
        // Anything but a PaymentMethod id first becomes a PaymentMethod, under a key derived
        // from the payment's so that a retry or a resume re-sends every call with the same
        // keys and Stripe replays them (a key reused with other parameters is refused, so the
        // calls cannot share one).
        let key = req.idempotency_key.derive(PAYMENT_METHOD_KEY_SUFFIX);
        let payment_methods = &["v1", "payment_methods"];
        match source {
            Source::PaymentMethod(id) => intent.pay(id),
            Source::Card(card) => {
                let body = wire::PaymentMethodCreate {
                    kind: "card",
                    card: wire::CardData {
                        number: card.number.expose(),
                        exp_month: card.expiry.month(),
                        exp_year: card.expiry.year(),
                        cvc: card.cvc.as_ref().map(Cvc::expose),
                    },
                    // Only here: a `pm_…` carries its own billing details.
                    billing_details: details::billing_details(
                        card.holder_name.as_deref(),
                        req.billing.as_ref(),
                    ),
                };
                let create = self.post(payment_methods, &key, &body)?;
                Ok(intent.after(create, created_payment_method))
            }
            Source::CardToken(token) => {
                let create = self.post(payment_methods, &key, &wire::from_token(&token))?;
                Ok(intent.after(create, wallets::created_from_token))
            }
            Source::ApplePay(token) => {
                // `POST /v1/tokens` (moves no money either), then the card token's path.
                let pk_token = token.payment_data().to_json();
                let body = wire::ApplePayTokenCreate {
                    pk_token: &pk_token,
                    pk_token_instrument_name: token.display_name.as_deref(),
                    pk_token_payment_network: token.network.as_deref(),
                    pk_token_transaction_id: token.transaction_identifier.as_deref(),
                };
                let token_key = req.idempotency_key.derive(wallets::TOKEN_KEY_SUFFIX);
                let exchange = self.post(&["v1", "tokens"], &token_key, &body)?;
                let create = self.headers(HttpRequest::post(endpoint(
                    &self.base_url,
                    payment_methods,
                )?));
                let create = create.idempotency_key(&key);
                // Not always base64 (Stripe's own test ids hold `~`), so named for the scrub of
                // Stripe's messages.
                let sent: Vec<String> = token.transaction_identifier.iter().cloned().collect();
                Ok(Exchange::then(exchange, move |resp| {
                    let created =
                        wallets::created_token(&resp, &sent).map_err(ConnectorError::for_read)?;
                    let create = create.form(form(&wire::from_token(&created))?);
                    let next = intent.after(create, wallets::created_from_token);
                    Ok(Step::Next(Box::new(next)))
                })
                .moving_no_money())
            }
        }
    }

    fn session_token(
        &self,
        req: &SessionTokenRequest,
    ) -> Result<Plan<SessionTokenResponse>, ConnectorError> {
        // The sheet shows the amount the payment will be sent with.
        mapping::wire_amount("amount", req.amount, req.currency)?;
        Ok(Plan::Ready(wallets::sessions(
            req,
            self.publishable_key.as_deref(),
            &self.api_version,
        )))
    }

    fn increment_authorization(
        &self,
        req: &IncrementalAuthorizationRequest,
    ) -> Result<Exchange<IncrementalAuthorizationResponse>, ConnectorError> {
        req.increment()?;
        let body = wire::IncrementAuthorization {
            // The new total, not the increment.
            amount: mapping::wire_amount("new_total", req.new_total, req.currency)?,
            expand: wire::EXPAND_CHARGE,
        };
        let path = [
            "v1",
            "payment_intents",
            &req.connector_payment_id,
            "increment_authorization",
        ];
        let request = self.post(&path, &req.idempotency_key, &body)?;
        let (previous, currency) = (req.current_authorized, req.currency);
        Ok(Exchange::new(request, move |resp| {
            let (status, authorized, decline, raw_status, expires_at) =
                match mapping::card_decline(&resp) {
                    // Declined: nothing changed, the previous authorization stands.
                    Some((decline, pi)) => {
                        let raw = pi.map_or_else(|| "card_error".into(), |pi| pi.status);
                        (
                            AuthorizationStatus::Failure,
                            previous,
                            Some(decline),
                            raw,
                            None,
                        )
                    }
                    None => {
                        let pi: wire::PaymentIntent = mapping::body(&resp)?;
                        let total = mapping::minor(pi.amount, resp.status)?;
                        let payment = mapping::payment(pi, Some(currency), resp.status)?;
                        let (raw, expires) = (payment.raw_status, payment.capture_before);
                        (AuthorizationStatus::Success, total, None, raw, expires)
                    }
                };
            Ok(IncrementalAuthorizationResponse {
                connector_authorization_id: None,
                status,
                authorized,
                previously_authorized: previous,
                expires_at,
                decline,
                raw_status,
            })
        }))
    }

    fn capture(&self, req: &CaptureRequest) -> Result<Exchange<CaptureResponse>, ConnectorError> {
        if !req.final_capture {
            return Err(ConnectorError::invalid(
                "final_capture",
                "a non-final capture needs Stripe multicapture, which this connector does not request",
            ));
        }
        mapping::sendable(req.currency)?;
        let body = wire::Capture {
            amount_to_capture: req
                .amount
                .map(|a| mapping::wire_amount("amount", a, req.currency))
                .transpose()?,
            // No capture reference at Stripe: it joins the PaymentIntent's metadata.
            metadata: form_metadata(
                req.reference.as_deref().map(|r| ("capture_reference", r)),
                &req.metadata,
            )?,
            expand: wire::EXPAND_CHARGE,
        };
        let path = [
            "v1",
            "payment_intents",
            &req.connector_payment_id,
            "capture",
        ];
        let request = self.post(&path, &req.idempotency_key, &body)?;
        let (asked, currency) = (req.amount, req.currency);
        Ok(Exchange::new(request, move |resp| {
            let payment = mapping::payment(mapping::body(&resp)?, Some(currency), resp.status)?;
            Ok(CaptureResponse {
                connector_capture_id: payment.connector_action_id,
                status: payment.status,
                amount: asked.or(Some(payment.amounts.received)),
                amounts: Some(payment.amounts),
                raw_status: payment.raw_status,
            })
        }))
    }

    fn void(&self, req: &VoidRequest) -> Result<Exchange<VoidResponse>, ConnectorError> {
        let allowed = [
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ];
        let body = wire::Cancel {
            cancellation_reason: mapping::reason(req.reason.as_deref(), &allowed),
        };
        let path = ["v1", "payment_intents", &req.connector_payment_id, "cancel"];
        let request = self.post(&path, &req.idempotency_key, &body)?;
        Ok(Exchange::new(request, |resp| {
            let payment = mapping::payment(mapping::body(&resp)?, None, resp.status)?;
            Ok(VoidResponse {
                connector_void_id: None,
                status: payment.status,
                raw_status: payment.raw_status,
            })
        }))
    }

    fn cancel_post_capture(
        &self,
        req: &CancelPostCaptureRequest,
    ) -> Result<Exchange<CancelPostCaptureResponse>, ConnectorError> {
        // A succeeded PaymentIntent cannot be canceled: refund what was captured.
        let refund = self.refund_exchange(&RefundRequest {
            idempotency_key: req.idempotency_key.clone(),
            connector_payment_id: req.connector_payment_id.clone(),
            currency: req.currency,
            amount: Some(req.amount_captured),
            reason: req.reason.clone(),
            reference: req.reference.clone(),
            metadata: Metadata::new(),
        })?;
        Ok(refund.map(CancelPostCaptureResponse::from_refund))
    }

    fn refund(&self, req: &RefundRequest) -> Result<Exchange<RefundResponse>, ConnectorError> {
        self.refund_exchange(req)
    }

    fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        self.retrieve(&req.connector_payment_id)
    }

    fn sync_refund(
        &self,
        req: &RefundSyncRequest,
    ) -> Result<Exchange<RefundSyncResponse>, ConnectorError> {
        let url = endpoint(&self.base_url, &["v1", "refunds", &req.connector_refund_id])?;
        let payment_id = req.connector_payment_id.clone();
        Ok(Exchange::new(
            self.headers(HttpRequest::get(url)),
            move |resp| {
                let refund: wire::Refund = mapping::body(&resp)?;
                if refund
                    .payment_intent
                    .as_ref()
                    .is_some_and(|pi| *pi != payment_id)
                {
                    return Err(ConnectorError::invalid_response(
                        resp.status,
                        "the refund belongs to another payment",
                    ));
                }
                mapping::refund(refund, None, resp.status)
            },
        ))
    }

    fn find_payment(
        &self,
        req: &PaymentLookupRequest,
    ) -> Result<Exchange<PaymentLookupResponse>, ConnectorError> {
        let list = self.headers(HttpRequest::get(endpoint(
            &self.base_url,
            &["v1", "payment_intents"],
        )?));
        let search = lookup::Search {
            reference: req.reference.clone(),
            payment_id: None,
            what: "PaymentIntent",
        };
        let read: lookup::ReadPage<String> =
            |resp, search| lookup::intents_page(resp, &search.reference);
        let query = lookup::intents_query(req.sent_at);
        Ok(
            lookup::search(list, query, None, 1, search, read).map(|id| PaymentLookupResponse {
                connector_payment_id: id,
            }),
        )
    }

    fn find_refund(
        &self,
        req: &RefundLookupRequest,
    ) -> Result<Exchange<RefundLookupResponse>, ConnectorError> {
        let list = self.headers(HttpRequest::get(endpoint(
            &self.base_url,
            &["v1", "refunds"],
        )?));
        let search = lookup::Search {
            reference: req.reference.clone(),
            payment_id: Some(req.connector_payment_id.clone()),
            what: "refund",
        };
        let read: lookup::ReadPage<RefundResponse> = |resp, search| {
            let payment = search.payment_id.as_deref().unwrap_or_default();
            lookup::refunds_page(resp, &search.reference, payment)
        };
        let query = lookup::refunds_query(&req.connector_payment_id);
        Ok(lookup::search(list, query, None, 1, search, read)
            .map(|refund| RefundLookupResponse { refund }))
    }

    fn complete_authorize(
        &self,
        req: &CompleteAuthorizeRequest,
    ) -> Result<Exchange<CompleteAuthorizeResponse>, ConnectorError> {
        // After the 3DS redirect Stripe has confirmed (or failed) the intent: read it.
        self.retrieve(&req.connector_payment_id)
    }

    fn verify_webhook(&self, webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError> {
        webhook::verify(&self.webhook_secrets, self.webhook_tolerance, webhook)
    }
}
