//! # paybridge-checkout
//!
//! The Checkout.com connector (Unified Payments API): authorize (cards, tokens, Google Pay and
//! Apple Pay), incremental and extended authorization, capture, void, cancel post capture,
//! refund, payment and refund sync, payment and refund lookup by reference, complete authorize,
//! wallet session tokens, webhooks.
//!
//! Two translations matter most. Incremental authorization sends the *increment*
//! (`new_total - current_authorized`) because Checkout.com adds the amount it is given, while
//! paybridge's API passes the new total. Extending an authorization is an incremental
//! authorization of amount 0, which Checkout.com accepts for Mastercard only.
//!
//! ## Payment details
//!
//! Where an authorization's details go in `POST /payments`, as Checkout.com's published
//! document (`specs/checkout-nas-payments-openapi.json`, `PaymentRequest` and the schemas it
//! names) has them; the capabilities' `forwarded_details` list exactly these.
//!
//! | detail | sent as | limit (document) |
//! |---|---|---|
//! | customer name, e-mail | `customer.name`, `customer.email` (`CustomerRequest`) | 255 each |
//! | billing address | `source.billing_address` (`Address`) of a `card` or `token` source | lines 200, city 50, zip 50 |
//! | billing phone | `source.phone` (`PhoneNumber`) of a `card` or `token` source | number 6–25 |
//! | shipping address, phone | `shipping.address`, `shipping.phone` | as above |
//! | description | `description` | 100 |
//! | statement descriptor name | `billing_descriptor.name`, with `city` from the configuration | name 25, city 13 |
//! | IP address | `payment_ip` (`IPAddress`, `format: ipv4`) | |
//!
//! - `Address` has two lines and no names: `line1` is `address_line1`, and `line2` and
//!   `line3` are joined (`"line2, line3"`) in `address_line2`; first and last names are not
//!   sent. `country` is the ISO code, `state` goes as given.
//! - `PhoneNumber` is the digits in `number` and the calling code (`+44`) in `country_code`.
//! - Not forwarded, because the document has no place for them: the customer's phone
//!   (`CustomerRequest` has `email`, `name` and `id` only), the billing and shipping e-mail,
//!   and the statement descriptor's suffix (Checkout.com's descriptor replaces the account's
//!   default whole; its `reference` is documented for payouts to bank accounts). The
//!   merchant's customer id is not sent either: `customer.id` is Checkout.com's own `cus_` id
//!   of a stored customer.
//! - A stored source (`src_`) takes no billing details (the document's `id` source has no
//!   such members), so they are not sent with one.
//! - `billing_descriptor` requires `city`, "the city from which the payment originated": the
//!   merchant's, not the customer's, so it comes from `extra.billing_descriptor_city` (1–13
//!   characters; `PAYBRIDGE_CHECKOUT_BILLING_DESCRIPTOR_CITY`). Without it no descriptor is
//!   sent and the name is not declared forwarded. (Checkout.com enables dynamic descriptors
//!   per account.)
//! - `payment_ip` is `format: ipv4` in the document: an IPv4 address (or one written as
//!   IPv4-mapped IPv6) is sent, another IPv6 address is not.
//! - A value over the document's limit is an [`ConnectorError::InvalidRequest`] naming the
//!   unified field (e.g. `billing.address.line1`), before anything is sent: nothing is cut.
//!   Nothing is sent for an absent detail, and no empty object: an address of names only is
//!   no address.
//!
//! ## External 3DS
//!
//! A payment authenticated by a 3DS server outside Checkout.com
//! ([`AuthorizeRequest::external_authentication`]) is authorized with the result in the `3ds`
//! object, as a third-party authentication: Checkout.com then authorizes at once, with no
//! redirect. The members and limits are those of `3dsRequestThirdParty` in Checkout.com's API
//! reference (`specs/checkout-tokens-openapi.json`, under `x-payment-request-3ds` and in its
//! components; the 2021 payments document's `3dsRequest` has only `eci`, `cryptogram`, `xid`
//! and `version` of them). Pairings from `threedsecureio-3ds-server-reference.md` §11.
//!
//! | `3ds` member (limit) | from the 3DS result | pairing |
//! |---|---|---|
//! | `enabled` | `true` | |
//! | `eci` (≤ 2, required) | `eci` | by name \[C\] |
//! | `cryptogram` (≤ 50) | the authentication value (CAVV) | Checkout.com's text says CAVV \[C\] |
//! | `xid` (≤ 100) | the directory server's transaction id (`dsTransID`) | \[U\]: Checkout.com's schema does not say which 3DS2 id it takes; derived, to be checked with Checkout.com |
//! | `version` (≤ 10) | `messageVersion` (`2.2.0`, `2.3.1`, …) | by name \[C\] |
//! | `status` (1 character) | `transStatus` of the ARes (frictionless) or RReq (challenge): `Y` or `A` | Checkout.com's text \[C\] |
//! | `status_reason_code` (2 characters) | `transStatusReason`, when given | \[C\] |
//! | `flow_type` | `challenged` when the cardholder was challenged, else `frictionless` | \[C\] |
//!
//! - Checked before sending, each refusal an [`ConnectorError::InvalidRequest`] naming the
//!   unified field (`external_authentication.eci`, `.authentication_value`,
//!   `.ds_transaction_id`, `.message_version`, `.status_reason`, `.status`): a missing or blank
//!   ECI, transaction id or version (the schema requires `eci`, `cryptogram`, `xid` and
//!   `version`), a value over its limit, a reason that is not 2 characters, a status other than
//!   `Y` or `A`. No message repeats a value.
//! - Not sent: `challenge_indicator`, `exemption`, `authentication_date`,
//!   `authentication_amount`, `challenge_cancel_reason`, `score`, `cryptogram_algorithm` (the
//!   unified result does not carry them).
//! - The CAVV never reaches a log: `cryptogram` is masked by core's default field names, and
//!   the wire type's `Debug` hides it.
//! - Without an external result nothing of this is sent: `3ds` is `{"enabled": true}` when
//!   3DS is required, else absent.
//!
//! ## Lookups by reference
//!
//! For a payment or refund whose answer was lost, so that no Checkout.com id is known
//! (`docs/processors.md` §1.10):
//!
//! - **Payment lookup** (`find_payment`): `GET /payments?reference={reference}&limit=100&skip=…`,
//!   Checkout.com's "Get payment lists". **Unconfirmed \[U\]**: the endpoint (marked Beta by
//!   Checkout.com) is not in the published document the repository holds; its parameters
//!   (`reference` required, `limit` 1–100, `skip`) and answer (`{limit, skip, total_count,
//!   data: [payment…]}`, newest first, payments from June 2022 on) are taken from Checkout.com's
//!   public reference. Checkout.com does not say whether it matches references exactly, so the
//!   connector takes the entry whose `reference` equals ours exactly (the newest when several
//!   do) and reads further pages (`skip`) while `total_count` says there are more, up to four
//!   pages of 100; a search cut short by that bound is an error, never "not found". The
//!   `sent_at` of the request is not needed.
//! - **Refund lookup** (`find_refund`): `GET /payments/{id}/actions` (in the document): the
//!   newest `Refund` action whose `reference` equals the refund's reference, mapped as refund
//!   sync maps it. A refund appears there once Checkout.com has processed it, so one accepted
//!   (202) moments ago is not found yet: `None` is the answer of the moment.
//!
//! ## Wallets
//!
//! Marks as in the wallets reference the issue cites: \[C\] from Checkout.com's or the wallet's
//! own documents or code, \[U\] unconfirmed.
//!
//! - **Public key.** `POST /tokens` is authenticated with the account's *public* key
//!   (`Authorization: Bearer pk_…`, security scheme `ApiPublicKey`) \[C\]
//!   (`specs/checkout-tokens-openapi.json`). It comes from `extra.public_key`
//!   (`PAYBRIDGE_CHECKOUT_PUBLIC_KEY`), must start with `pk_`, and is kept like a secret.
//!   Without it no wallet is declared, session tokens answer each wallet unavailable with the
//!   reason, and a wallet payment is `NotSupported`.
//! - **Session tokens** need no call. Google Pay: a `PaymentDataRequest` whose tokenization
//!   parameters are `{"gateway": "checkoutltd", "gatewayMerchantId": <public key>}` \[C\]
//!   (Checkout.com's WooCommerce plugin, Google's PSP demo: reference §3.1). Apple Pay: the
//!   payment request; Apple's merchant session is the merchant's, fetched beside the
//!   connector. Both offer Visa, Mastercard, Amex, Discover and JCB.
//! - **Payments** are two calls. `POST /tokens` `{"type": "googlepay", "token_data": …}` or
//!   `{"type": "applepay", "token_data": {version, data, signature, header}}` answers 201 with
//!   a `tok_` token (`TokenResponse`: `token_format` `pan_only` or `cryptogram_3ds`, `last4`,
//!   `bin`, `scheme`, `expires_on`) \[C\] (`02_GooglePayTokenRequest`, `03_ApplePayTokenRequest`;
//!   reference §2.1, §4.1); then `POST /payments` with `source: {"type": "token", "token"}` and
//!   the billing details a Frames token takes. The first call moves no money, so its failure
//!   is never an unknown outcome; it carries no idempotency key (none documented), and a
//!   retried payment reuses the payment's key, so Checkout.com replays the first payment.
//! - **Google's ECv2 token is sent whole**, `intermediateSigningKey` included, as Google's own
//!   demo does through Checkout.com's Node SDK \[C\]; Checkout.com's schema and PHP SDK name only
//!   `protocolVersion`, `signature` and `signedMessage`, with an ECv1 example, so whether the
//!   key is required is \[U\] (reference §4.1, "Gap").
//! - **Errors** of `/tokens`: 401 is [`ConnectorError::Authentication`] naming the public key;
//!   422 `ValidationError` is a validation rejection with Checkout.com's `error_codes`
//!   (`token_data_invalid`, `token_type_invalid`, … \[U\]: the codes are not in the document).
//!   No error, `Debug` or log line shows token bytes: the token's parts are masked by name in
//!   logged bodies (`token_data`, `signature`, `signedMessage`, `data`, `ephemeralPublicKey`, …).
//!
//! ```
//! use paybridge_checkout::Checkout;
//! use paybridge_core::*;
//!
//! let mut config = ConnectorConfig::new(Checkout::SANDBOX_URL.parse().unwrap(), "sk_sbox_xxx");
//! config.extra.insert("processing_channel_id".into(), "pc_xxx".into());
//! let connector = Checkout::connector(&config).unwrap();
//! assert_eq!(connector.id(), "checkout");
//! assert!(connector.capabilities().supports(Flow::IncrementalAuthorization));
//! assert!(connector.capabilities().supports(Flow::SessionToken));
//! // An external 3DS result is taken (see "External 3DS").
//! assert!(connector.capabilities().external_authentication);
//! // Wallets need the public key (extra.public_key).
//! assert!(connector.capabilities().wallets.is_empty());
//! ```

mod mapping;
mod wallets;
mod webhook;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod wire;

use std::sync::Arc;

use paybridge_core::http::header::AUTHORIZATION;
use paybridge_core::http::{
    bearer_value, endpoint, Exchange, HeaderValue, HttpRequest, HttpResponse, Plan, Step,
};
use paybridge_core::url::Url;
use paybridge_core::webhook::{IncomingWebhook, WebhookSecrets};
use paybridge_core::*;

pub use webhook::SIGNATURE_HEADER;

/// The Checkout.com translator. Build it from a [`ConnectorConfig`] whose `extra` holds
/// `processing_channel_id`, then join it to an executor with [`HttpConnector`] (or use
/// [`Checkout::connector`]).
pub struct Checkout {
    base_url: Url,
    /// `Bearer <secret key>`, validated and marked sensitive once.
    authorization: HeaderValue,
    processing_channel_id: String,
    webhook_secrets: WebhookSecrets,
    /// `billing_descriptor.city`, which Checkout.com requires with a descriptor name.
    descriptor_city: Option<String>,
    /// The public key, for `POST /tokens` and Google Pay's sheet; wallets need it.
    public_key: Option<wallets::PublicKey>,
}

impl Checkout {
    /// The connector id.
    pub const ID: &'static str = "checkout";
    /// The shared sandbox host; merchant-specific hosts (`{prefix}.api.sandbox.checkout.com`)
    /// are set with `PAYBRIDGE_CHECKOUT_BASE_URL`.
    pub const SANDBOX_URL: &'static str = "https://api.sandbox.checkout.com/";
    /// The shared live host.
    pub const LIVE_URL: &'static str = "https://api.checkout.com/";

    /// A translator for one Checkout.com account.
    pub fn new(config: &ConnectorConfig) -> Result<Self, ConfigError> {
        let authorization = bearer_value(&config.api_key).map_err(|e| ConfigError::Invalid {
            key: "api_key".into(),
            message: e.to_string(),
        })?;
        let descriptor_city = config.extra.get(DESCRIPTOR_CITY).cloned();
        if descriptor_city
            .as_deref()
            .is_some_and(|c| c.trim().is_empty() || c.chars().count() > 13)
        {
            return Err(ConfigError::Invalid {
                key: DESCRIPTOR_CITY.into(),
                message: "Checkout.com takes 1 to 13 characters".into(),
            });
        }
        Ok(Checkout {
            base_url: config.base_url.clone(),
            authorization,
            processing_channel_id: config.extra("processing_channel_id")?.to_owned(),
            webhook_secrets: config.webhook_secrets.clone(),
            descriptor_city,
            public_key: wallets::PublicKey::from_config(config)?,
        })
    }

    /// A ready-to-use connector for a router's registry.
    pub fn connector(config: &ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError> {
        HttpConnector::boxed(Checkout::new(config)?, config.execution)
    }

    /// Configuration from `PAYBRIDGE_CHECKOUT_SECRET_KEY`, `_PROCESSING_CHANNEL_ID`, and
    /// optionally `_BASE_URL`, `_WEBHOOK_SECRETS`, `_BILLING_DESCRIPTOR_CITY` and
    /// `_PUBLIC_KEY` (wallets); `None` when no key is set.
    pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
        let config = ConnectorConfig::from_env(
            "PAYBRIDGE_CHECKOUT",
            "SECRET_KEY",
            Self::SANDBOX_URL,
            &["PROCESSING_CHANNEL_ID"],
        )?;
        let optional = ["BILLING_DESCRIPTOR_CITY", "PUBLIC_KEY"];
        Ok(config.map(|c| c.with_optional_env("PAYBRIDGE_CHECKOUT", &optional)))
    }

    fn url(&self, segments: &[&str]) -> Result<Url, ConnectorError> {
        endpoint(&self.base_url, segments)
    }

    fn post(&self, segments: &[&str], key: &IdempotencyKey) -> Result<HttpRequest, ConnectorError> {
        Ok(HttpRequest::post(self.url(segments)?)
            .with_header(AUTHORIZATION, self.authorization.clone())
            .idempotency_key(key))
    }

    fn get(&self, segments: &[&str]) -> Result<HttpRequest, ConnectorError> {
        Ok(HttpRequest::get(self.url(segments)?)
            .with_header(AUTHORIZATION, self.authorization.clone()))
    }

    /// The `POST /payments` body paying `req` with `source`.
    fn payment_body<'a>(
        &'a self,
        req: &'a AuthorizeRequest,
        source: wire::Source<'a>,
    ) -> Result<wire::PaymentRequest<'a>, ConnectorError> {
        let return_url = req.return_url.as_ref().map(Url::as_str);
        Ok(wire::PaymentRequest {
            source,
            amount: req.amount.get(),
            currency: req.currency.code(),
            capture: req.capture_method == CaptureMethod::Automatic,
            authorization_type: match req.effective_authorization_type() {
                AuthorizationType::Final => "Final",
                AuthorizationType::Estimated => "Estimated",
            },
            reference: checked_reference(Some(&req.reference))?.unwrap_or_default(),
            description: mapping::at_most("description", req.description.as_deref(), 100)?,
            processing_channel_id: &self.processing_channel_id,
            three_ds: mapping::three_ds(req)?,
            success_url: return_url,
            failure_url: return_url,
            metadata: &req.metadata,
            customer: mapping::customer(req)?,
            billing_descriptor: mapping::billing_descriptor(req, self.descriptor_city.as_deref())?,
            shipping: mapping::shipping(req)?,
            payment_ip: mapping::payment_ip(req),
        })
    }

    /// `POST /payments/{id}/authorizations` with `amount` to add (0 extends validity).
    fn authorization(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
        amount: MinorUnit,
    ) -> Result<HttpRequest, ConnectorError> {
        let body = wire::AuthorizationRequest {
            amount: amount.get(),
            reference: None,
        };
        self.post(&["payments", payment_id, "authorizations"], key)?
            .json(&body)
    }

    /// `POST /payments/{id}/refunds`, answered 202 with the refund's action id.
    fn refund_exchange(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
        amount: Option<MinorUnit>,
        reference: Option<&str>,
        metadata: &Metadata,
    ) -> Result<Exchange<RefundResponse>, ConnectorError> {
        let body = wire::ActionRequest {
            amount: amount.map(MinorUnit::get),
            reference: checked_reference(reference)?,
            metadata: (!metadata.is_empty()).then_some(metadata),
        };
        let request = self
            .post(&["payments", payment_id, "refunds"], key)?
            .json(&body)?;
        Ok(Exchange::new(request, move |resp| {
            let accepted: wire::Accepted = mapping::body(&resp)?;
            Ok(RefundResponse {
                connector_refund_id: mapping::id(accepted.action_id, resp.status)?,
                status: RefundStatus::Pending,
                amount,
                failure_reason: None,
                raw_status: "Accepted".into(),
            })
        }))
    }

    fn retrieve(
        &self,
        payment_id: &str,
        capture: CaptureMethod,
    ) -> Result<Exchange<PaymentResponse>, ConnectorError> {
        let request = self.get(&["payments", payment_id])?;
        Ok(Exchange::new(request, move |resp| {
            mapping::payment(mapping::body(&resp)?, capture, None, resp.status)
        }))
    }
}

/// Reads the answer to `POST /payments` for `req` (201 or 202, or an error).
fn payment_reader(
    req: &AuthorizeRequest,
) -> impl FnOnce(HttpResponse) -> Result<AuthorizeResponse, ConnectorError> + Send + 'static {
    let (capture, currency) = (req.capture_method, req.currency);
    let incremental = req.effective_authorization_type() == AuthorizationType::Estimated;
    move |resp| {
        let mut payment =
            mapping::payment(mapping::body(&resp)?, capture, Some(currency), resp.status)?;
        if payment.status == PaymentStatus::RequiresCapture {
            payment.incremental_authorization_allowed = Some(incremental);
        }
        Ok(payment)
    }
}

/// Checkout.com caps references at 50 characters; catch a longer one before sending.
fn checked_reference(reference: Option<&str>) -> Result<Option<&str>, ConnectorError> {
    mapping::at_most("reference", reference, 50)
}

/// The `extra` key of the billing descriptor's city.
const DESCRIPTOR_CITY: &str = "billing_descriptor_city";

/// Payments a lookup asks for per page: the most `GET /payments` allows \[U\].
const LOOKUP_PAGE: u64 = 100;
/// Pages a lookup reads at most: a reference names one payment, so more pages mean a filter
/// that did not hold.
const LOOKUP_PAGES: u32 = 4;

/// `GET /payments?reference=…&limit=100&skip=…` (`request` is the bare `GET /payments`), read
/// with [`mapping::payment_page`]; page `page` of at most [`LOOKUP_PAGES`]. A search cut short
/// by that bound is an error, never "not found".
fn payments_page(
    request: HttpRequest,
    reference: String,
    skip: u64,
    page: u32,
) -> Exchange<PaymentLookupResponse> {
    let mut this = request.clone();
    this.url
        .query_pairs_mut()
        .clear()
        .append_pair("reference", &reference)
        .append_pair("limit", &LOOKUP_PAGE.to_string())
        .append_pair("skip", &skip.to_string());
    Exchange::then(this, move |resp| {
        let list: wire::PaymentList = mapping::body(&resp)?;
        let found = |id| {
            Step::Done(PaymentLookupResponse {
                connector_payment_id: id,
            })
        };
        match mapping::payment_page(list, &reference, skip, LOOKUP_PAGE, resp.status)? {
            mapping::Page::Found(id) => Ok(found(Some(id))),
            mapping::Page::End => Ok(found(None)),
            mapping::Page::More(next) if page < LOOKUP_PAGES => Ok(Step::Next(Box::new(
                payments_page(request, reference, next, page + 1),
            ))),
            mapping::Page::More(_) => Err(ConnectorError::InvalidResponse {
                http_status: resp.status,
                message: format!(
                    "none of the newest {} payments listed for this reference matches it \
                     exactly and Checkout.com lists more: the lookup cannot tell",
                    LOOKUP_PAGE * u64::from(LOOKUP_PAGES)
                ),
                outcome_unknown: false,
            }),
        }
    })
}

/// A Frames token's prefix: sent as a `token` source.
const FRAMES_TOKEN: &str = "tok_";
/// A stored source's prefix: sent as an `id` source.
const STORED_SOURCE: &str = "src_";

impl Translator for Checkout {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn capabilities(&self) -> Capabilities {
        use paybridge_core::details::PaymentDetail::*;
        use CardNetwork::{Amex, Mastercard, Visa};
        let descriptor = self
            .descriptor_city
            .is_some()
            .then_some(StatementDescriptorName);
        let caps = Capabilities::new(Self::ID)
            .support(
                Flow::Authorize,
                [
                    Condition::PaymentMethodTokenPrefixes {
                        prefixes: vec![FRAMES_TOKEN.into(), STORED_SOURCE.into()],
                    },
                    Condition::Note {
                        text: "cards, Frames tokens (tok_), stored sources (src_) and, with a public key, \
                               Google Pay and Apple Pay tokens (exchanged at POST /tokens first); 3DS \
                               answers 202 with a redirect"
                            .into(),
                    },
                    Condition::Note {
                        text: "an external 3DS result goes in 3ds as a third-party authentication \
                               (eci, cryptogram, xid, version, status, flow_type): no redirect"
                            .into(),
                    },
                    Condition::Note {
                        text: "billing address and phone go with cards and Frames tokens, not with a stored \
                               source (src_), which has its own; payment_ip is IPv4 (an IPv6 \
                               address is not sent); the statement descriptor needs \
                               billing_descriptor_city configured"
                            .into(),
                    },
                ],
            )
            .forwards([
                CustomerName,
                CustomerEmail,
                BillingAddress,
                BillingPhone,
                ShippingAddress,
                ShippingPhone,
                Description,
                IpAddress,
            ])
            .forwards(descriptor)
            .support(
                Flow::IncrementalAuthorization,
                [
                    Condition::RequiresEstimatedAuthorization,
                    Condition::BeforeAnyCapture,
                    Condition::CardNetworks { networks: vec![Visa, Mastercard, Amex] },
                    Condition::Note {
                        text: "sends new_total - current_authorized; Amex in the US only".into(),
                    },
                ],
            )
            .support(
                Flow::ExtendAuthorization,
                [
                    Condition::RequiresEstimatedAuthorization,
                    Condition::BeforeAnyCapture,
                    Condition::CardNetworks { networks: vec![Mastercard] },
                ],
            )
            .support(Flow::Capture, [Condition::Partial, Condition::Multiple, Condition::Asynchronous])
            .support(Flow::Void, [Condition::Asynchronous])
            .support(
                Flow::CancelPostCapture,
                [
                    Condition::Asynchronous,
                    Condition::Note {
                        text: "refunds the captured amount".into(),
                    },
                ],
            )
            .support(Flow::Refund, [Condition::Partial, Condition::Multiple, Condition::Asynchronous])
            .support(Flow::PaymentSync, [])
            .support(Flow::RefundSync, [])
            .support(
                Flow::PaymentLookup,
                [Condition::Note {
                    text: "GET /payments?reference= (a Beta endpoint missing from Checkout.com's \
                           published document: unconfirmed); payments from June 2022 on"
                        .into(),
                }],
            )
            .support(
                Flow::RefundLookup,
                [Condition::Note {
                    text: "the payment's actions: a refund is listed once processed, so a \
                           refund accepted moments ago may not be found yet"
                        .into(),
                }],
            )
            .support(Flow::CompleteAuthorize, [])
            .support(
                Flow::SessionToken,
                [Condition::Note {
                    text: "Google Pay (gateway checkoutltd) and Apple Pay payment requests, built \
                           without a call; both need the public key"
                        .into(),
                }],
            )
            .support(Flow::Webhooks, [])
            .takes_external_authentication();
        wallets::declare(caps, self.public_key.as_ref())
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "cko-idempotency-key",
            key_reuse: KeyReuse::ReplaysSuccess,
            retry_hint: no_retry_hint,
            sensitive_fields: wallets::SENSITIVE_FIELDS,
        }
    }

    fn authorize(
        &self,
        req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        let source = match &req.payment_method {
            PaymentMethod::Card(card) => wire::Source::Card {
                number: card.number.expose(),
                expiry_month: card.expiry.month(),
                expiry_year: card.expiry.year(),
                cvv: card.cvc.as_ref().map(Cvc::expose),
                name: card.holder_name.as_deref(),
                billing: mapping::billing(req)?,
            },
            PaymentMethod::Token(token) if token.as_str().starts_with(FRAMES_TOKEN) => {
                wire::Source::Token {
                    token: token.as_str(),
                    billing: mapping::billing(req)?,
                }
            }
            // The document's `id` source takes no billing details: the stored source has its own.
            PaymentMethod::Token(token) if token.as_str().starts_with(STORED_SOURCE) => {
                wire::Source::Id { id: token.as_str() }
            }
            PaymentMethod::Token(_) => {
                return Err(ConnectorError::invalid(
                    "payment_method",
                    "Checkout.com takes Frames tokens (tok_) or stored sources (src_)",
                ))
            }
            // Exchanged at POST /tokens for a tok_ token, which then pays as a Frames token.
            PaymentMethod::Wallet(token) => {
                let tokens =
                    wallets::token_request(&self.base_url, self.public_key.as_ref(), token)?;
                let source = wire::Source::Token {
                    token: "",
                    billing: mapping::billing(req)?,
                };
                let body = serde_json::to_value(self.payment_body(req, source)?).map_err(|e| {
                    ConnectorError::invalid("body", format!("cannot serialize: {e}"))
                })?;
                let payment = self.post(&["payments"], &req.idempotency_key)?;
                return Ok(wallets::pay_with_token(
                    tokens,
                    payment,
                    body,
                    payment_reader(req),
                ));
            }
        };
        let request = self
            .post(&["payments"], &req.idempotency_key)?
            .json(&self.payment_body(req, source)?)?;
        Ok(Exchange::new(request, payment_reader(req)))
    }

    fn increment_authorization(
        &self,
        req: &IncrementalAuthorizationRequest,
    ) -> Result<Exchange<IncrementalAuthorizationResponse>, ConnectorError> {
        // The unified API passes the new total; Checkout.com adds what it is sent.
        let increment = req.increment()?;
        let request =
            self.authorization(&req.connector_payment_id, &req.idempotency_key, increment)?;
        let (previous, new_total) = (req.current_authorized, req.new_total);
        Ok(Exchange::new(request, move |resp| {
            let auth: wire::Authorization = mapping::body(&resp)?;
            let approved = auth.approved == Some(true);
            let authorized = match (approved, auth.balances) {
                (true, Some(balances)) => mapping::amounts(&balances, resp.status)?.authorized,
                (true, None) => new_total,
                (false, _) => previous,
            };
            Ok(IncrementalAuthorizationResponse {
                connector_authorization_id: auth.action_id,
                status: if approved {
                    AuthorizationStatus::Success
                } else {
                    AuthorizationStatus::Failure
                },
                authorized,
                previously_authorized: previous,
                expires_at: mapping::timestamp(auth.expires_on.as_deref()),
                decline: (!approved)
                    .then(|| mapping::decline(auth.response_code, auth.response_summary)),
                raw_status: auth.status.unwrap_or_default(),
            })
        }))
    }

    fn extend_authorization(
        &self,
        req: &ExtendAuthorizationRequest,
    ) -> Result<Exchange<ExtendAuthorizationResponse>, ConnectorError> {
        if let Some(network) = req.card_network.filter(|n| *n != CardNetwork::Mastercard) {
            return Err(ConnectorError::not_supported(
                Self::ID,
                Flow::ExtendAuthorization,
                format!("Checkout.com extends Mastercard authorizations only, not {network:?}"),
            ));
        }
        let request = self.authorization(
            &req.connector_payment_id,
            &req.idempotency_key,
            MinorUnit::ZERO,
        )?;
        Ok(Exchange::new(request, |resp| {
            let auth: wire::Authorization = mapping::body(&resp)?;
            let approved = auth.approved == Some(true);
            Ok(ExtendAuthorizationResponse {
                connector_authorization_id: auth.action_id,
                status: if approved {
                    AuthorizationStatus::Success
                } else {
                    AuthorizationStatus::Failure
                },
                extended_authorization_applied: approved,
                expires_at: mapping::timestamp(auth.expires_on.as_deref()),
                decline: (!approved)
                    .then(|| mapping::decline(auth.response_code, auth.response_summary)),
                raw_status: auth.status.unwrap_or_default(),
            })
        }))
    }

    fn capture(&self, req: &CaptureRequest) -> Result<Exchange<CaptureResponse>, ConnectorError> {
        let body = wire::CaptureRequest {
            amount: req.amount.map(MinorUnit::get),
            capture_type: if req.final_capture {
                "Final"
            } else {
                "NonFinal"
            },
            reference: checked_reference(req.reference.as_deref())?,
            metadata: &req.metadata,
        };
        let request = self
            .post(
                &["payments", &req.connector_payment_id, "captures"],
                &req.idempotency_key,
            )?
            .json(&body)?;
        let amount = req.amount;
        Ok(Exchange::new(request, move |resp| {
            // 202: accepted, not yet settled. Sync or the webhook gives the result.
            let accepted: wire::Accepted = mapping::body(&resp)?;
            Ok(CaptureResponse {
                connector_capture_id: Some(mapping::id(accepted.action_id, resp.status)?),
                status: PaymentStatus::Processing,
                amount,
                amounts: None,
                raw_status: "Accepted".into(),
            })
        }))
    }

    fn void(&self, req: &VoidRequest) -> Result<Exchange<VoidResponse>, ConnectorError> {
        let body = wire::ActionRequest {
            amount: None,
            reference: None,
            metadata: None,
        };
        let request = self
            .post(
                &["payments", &req.connector_payment_id, "voids"],
                &req.idempotency_key,
            )?
            .json(&body)?;
        Ok(Exchange::new(request, |resp| {
            let accepted: wire::Accepted = mapping::body(&resp)?;
            Ok(VoidResponse {
                connector_void_id: Some(mapping::id(accepted.action_id, resp.status)?),
                status: PaymentStatus::Processing,
                raw_status: "Accepted".into(),
            })
        }))
    }

    fn cancel_post_capture(
        &self,
        req: &CancelPostCaptureRequest,
    ) -> Result<Exchange<CancelPostCaptureResponse>, ConnectorError> {
        // A captured Checkout.com payment cannot be voided: undo it with a refund of what was
        // captured.
        let refund = self.refund_exchange(
            &req.connector_payment_id,
            &req.idempotency_key,
            Some(req.amount_captured),
            req.reference.as_deref(),
            &Metadata::new(),
        )?;
        Ok(refund.map(CancelPostCaptureResponse::from_refund))
    }

    fn refund(&self, req: &RefundRequest) -> Result<Exchange<RefundResponse>, ConnectorError> {
        self.refund_exchange(
            &req.connector_payment_id,
            &req.idempotency_key,
            req.amount,
            req.reference.as_deref(),
            &req.metadata,
        )
    }

    fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        self.retrieve(&req.connector_payment_id, req.capture_method)
    }

    fn sync_refund(
        &self,
        req: &RefundSyncRequest,
    ) -> Result<Exchange<RefundSyncResponse>, ConnectorError> {
        // Checkout.com has no refund resource: the refund is an action of the payment.
        let request = self.get(&["payments", &req.connector_payment_id, "actions"])?;
        let refund_id = req.connector_refund_id.clone();
        Ok(Exchange::new(request, move |resp| {
            let actions: Vec<wire::Action> = mapping::body(&resp)?;
            match actions.into_iter().find(|a| a.id == refund_id) {
                Some(action) => mapping::refund_action(action, resp.status),
                // Not listed yet: the refund was accepted but not processed.
                None => Ok(RefundResponse {
                    connector_refund_id: refund_id,
                    status: RefundStatus::Pending,
                    amount: None,
                    failure_reason: None,
                    raw_status: "NotListed".into(),
                }),
            }
        }))
    }

    fn find_payment(
        &self,
        req: &PaymentLookupRequest,
    ) -> Result<Exchange<PaymentLookupResponse>, ConnectorError> {
        // No payment can carry a longer reference: Checkout.com refuses it.
        checked_reference(Some(&req.reference))?;
        let request = self.get(&["payments"])?;
        Ok(payments_page(request, req.reference.clone(), 0, 1))
    }

    fn find_refund(
        &self,
        req: &RefundLookupRequest,
    ) -> Result<Exchange<RefundLookupResponse>, ConnectorError> {
        checked_reference(Some(&req.reference))?;
        let request = self.get(&["payments", &req.connector_payment_id, "actions"])?;
        let reference = req.reference.clone();
        Ok(Exchange::new(request, move |resp| {
            let actions: Vec<wire::Action> = mapping::body(&resp)?;
            Ok(RefundLookupResponse {
                refund: mapping::refund_by_reference(actions, &reference, resp.status)?,
            })
        }))
    }

    fn complete_authorize(
        &self,
        req: &CompleteAuthorizeRequest,
    ) -> Result<Exchange<CompleteAuthorizeResponse>, ConnectorError> {
        // After the 3DS redirect Checkout.com has already decided; reading the payment is enough.
        self.retrieve(&req.connector_payment_id, req.capture_method)
    }

    fn session_token(
        &self,
        req: &SessionTokenRequest,
    ) -> Result<Plan<SessionTokenResponse>, ConnectorError> {
        Ok(wallets::sessions(self.public_key.as_ref(), req))
    }

    fn verify_webhook(&self, webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError> {
        webhook::verify(&self.webhook_secrets, webhook)
    }
}
