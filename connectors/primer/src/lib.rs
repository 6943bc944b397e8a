//! # paybridge-primer
//!
//! The Primer connector (Payments API, version 2.2): authorize with a payment-method token,
//! incremental (adjusted) authorization, capture, void, cancel post capture, refund, payment and
//! refund sync, payment lookup by reference, complete authorize (resume), session tokens (its
//! client session), webhooks. No refund lookup (see "Lookups by reference").
//!
//! Primer takes no raw card data: authorize needs a `paymentMethodToken` from Primer's client
//! SDK (Universal or Headless Checkout) or its vault. A [`PaymentMethod::Card`] is refused before
//! anything is sent, and so is a [`PaymentMethod::Wallet`] (see "Wallets").
//!
//! ## Wallets: the client session is the session token
//!
//! Primer's checkout opens Apple Pay and Google Pay itself, with the processor's merchant
//! configuration from the Primer dashboard; what a front end needs from the server is a client
//! token. Session token is `POST /client-session` (`ClientSessionAPIRequest` of the v2.2
//! document) with:
//!
//! - `orderId` = the request's reference (our payment id), checked against the document's
//!   1 to 256 characters before sending;
//! - `currencyCode` and `amount` (minor units, as every amount the connector sends);
//! - `order.countryCode` = the merchant's country: Primer's Apple Pay and Google Pay guides
//!   require it ("the country in which the order is created") and pass it to the sheets, whose
//!   `countryCode` is the merchant's.
//!
//! No `X-Idempotency-Key` is sent (the document lists none for this operation), and the request
//! moves no money, so a failure to get its answer is never an unknown outcome. The answer's
//! `clientToken` comes back once per wallet asked for, as
//! [`WalletSession::ClientToken`], with
//! `clientTokenExpirationDate` (Primer: client tokens expire after 24 hours) as its
//! `expires_at`; an answer for another `orderId` or currency is an invalid response. The token
//! lets a browser pay, so `clientToken` is among the wire profile's masked fields. Errors are
//! read like every other flow's (`RequestValidationError` → `Rejected { kind: Validation }`).
//!
//! The wallet payment itself reaches Primer as a payment-method token its SDK made from the
//! wallet's sheet, which [`PaymentMethod::Token`] carries: the capabilities declare both wallets
//! with `session_token: true, payments: false`, and a wallet's own token
//! ([`PaymentMethod::Wallet`]) is refused before sending.
//!
//! ## Capture
//!
//! Primer has no capture flag: whether a payment is captured right away is decided by the
//! merchant's Workflow in the Primer dashboard (a "Capture payment" action). To keep paybridge's
//! semantics whatever the Workflow does:
//!
//! - `CaptureMethod::Automatic` and Primer answers `AUTHORIZED` (no capture in the Workflow):
//!   the connector chains `POST /payments/{id}/capture` in the same flow, with an idempotency
//!   key derived from the authorize key (`{key}-capture`). Should that capture be refused, the
//!   authorization is reported (`requires_capture`, or `processing` when the capture's outcome
//!   is unknown) so the caller still holds the payment id and can capture or void it.
//! - `CaptureMethod::Manual` and the Workflow captured anyway (`SETTLED`): the connector reports
//!   what Primer says (`succeeded`); it never refunds behind the caller's back. Configure a
//!   Workflow without a capture action for manual capture.
//!
//! ## Payment details
//!
//! What an authorization's details become in `POST /payments`, as Primer's v2.2 document
//! (`PaymentCreationAPIRequest`) has them; the capabilities' `forwards` lists exactly these:
//!
//! - [`Customer::id`](paybridge_core::details::Customer::id) → `customerId` ("a unique
//!   identifier for your customer": the merchant's own id).
//! - The customer's e-mail → `customer.emailAddress`; the customer's phone →
//!   `customer.mobileNumber`, in E.164 (`+442079460000`) when its country code is known, else
//!   the national digits (the document gives no format).
//! - The billing and shipping addresses → `customer.billingAddress` and
//!   `customer.shippingAddress` (`OptionalAddressAPISchema`): `firstName`, `lastName`,
//!   `addressLine1`, `addressLine2`, `city`, `state`, `countryCode`, `postalCode`. Primer's
//!   address has two lines, so a third line is sent after the second in `addressLine2`
//!   (`"{line2}, {line3}"`) rather than dropped. The schema requires no field, so a partial
//!   address is sent as given (the `AddressAPISchema` that requires `addressLine1`, `city`
//!   and `countryCode` is only Klarna's and PayPal's).
//! - The statement descriptor's `name` → `paymentMethod.descriptor` ("as it would typically
//!   appear on a bank statement": the whole descriptor).
//! - The reference stays `orderId`, which the lookup by reference searches.
//!
//! Not forwarded, since the document has no field for them: the customer's name (Primer's
//! `customer.firstName`/`lastName` want the two parts, and splitting a full name is a guess;
//! the address names go in the addresses), the billing phone and e-mail and the shipping phone
//! (Primer's addresses carry neither, and `customer` has one e-mail and one mobile number,
//! the customer's), the description, the descriptor's `suffix` (Primer takes a whole
//! descriptor only), the IP address and the rest of the browser data. No `order` is sent: its
//! `countryCode` is the country the order is created in, which no unified field says.
//!
//! Every string is checked against the document's `maxLength` (256 characters) and, for the
//! address fields, its `minLength` (1) before sending: a value outside them is
//! [`ConnectorError::InvalidRequest`] naming our field, never cut short. Country codes need no
//! check: [`CountryCode`](paybridge_core::details::CountryCode) accepts the same 249 codes as
//! the document's `CountryCodeEnum`. Every personal-data field Primer names (`emailAddress`,
//! `mobileNumber`, `firstName`, `lastName`, `addressLine1`, `addressLine2`, `postalCode`) is
//! among the core's masked names, so logged bodies show none of them; the connector adds the
//! ones a Payment may carry from its client session (`taxId`, `nationalDocumentId`) or a PayPal
//! payer (`externalPayerId`).
//!
//! ## Lookups by reference
//!
//! For an operation whose answer was lost (`docs/processors.md` §3.9):
//!
//! - **Payment lookup** (`find_payment`): `GET /payments?order_id={reference}` (in the published
//!   document): the summary whose `orderId` equals the reference. Primer says payments show in
//!   the list "within a minute from being created", so `None` right after a lost create is the
//!   answer of the moment, not proof that none exists.
//! - **No refund lookup.** A refund is a `REFUND` transaction of the payment, and in the v2.2
//!   document a transaction (`TransactionOverviewAPISchema`) carries its amount, currency,
//!   date, type, status and the processor's ids (`processorTransactionId`,
//!   `processorMerchantId`), nothing of ours: the refund request's `orderId` is accepted but
//!   never shown back. Nothing ties a refund to our reference, and matching on amount or time
//!   would be a guess, so `Flow::RefundLookup` is not supported (`NotSupported`, no request).
//!
//! ## Errors and webhook event ids
//!
//! An unknown payment is `Rejected { kind: NotFound }` whether Primer answers as its v2.2
//! document shows (400 `PaymentError` "The payment could not be found") or with a 404; any
//! other 400 `PaymentError` on a payment operation is `InvalidState` (`docs/processors.md`
//! §3.6). Primer's webhooks carry no event id and v2.2's Payment no `dateUpdated`: the id is
//! built from the payment's status and amounts, or the refund's transaction id and status
//! (§3.7), so a redelivery keeps it and distinct changes never share it.
//!
//! ## External 3DS
//!
//! Not supported. Primer's v2.2 document has no field for a 3DS result obtained elsewhere on
//! `POST /payments`: `PaymentCreationAPIRequest` is closed (`additionalProperties: false`) and
//! its members (`orderId`, `currencyCode`, `amount`, `paymentMethodToken`, `customerId`,
//! `customer`, `order`, `metadata`, `paymentMethod` with `descriptor`, `paymentType`,
//! `authorizationType`, `vaultOnSuccess`, `vaultOn3DS`) carry no ECI, cryptogram or
//! transaction id; 3DS appears only in answers (`threeDSecureAuthentication`, the outcome of
//! Primer's own 3DS). So the capabilities do not take an external result
//! (`external_authentication` is false), and core refuses an authorization that carries one
//! with `NotSupported` before anything is sent; the translation refuses one too, so a result
//! is never dropped silently.
//!
//! ## Idempotency
//!
//! Every POST carries `X-Idempotency-Key`. Primer rejects any reuse of a processed key (409
//! `IdempotencyKeyAlreadyExists` → [`ConnectorError::IdempotencyConflict`]), so the executor
//! never retries a POST that got a 5xx or a 409 with the same key; sync the payment instead.
//!
//! ```
//! use paybridge_core::*;
//! use paybridge_primer::Primer;
//!
//! let mut config = ConnectorConfig::new(Primer::SANDBOX_URL.parse().unwrap(), "primer_api_key");
//! config.extra.insert("api_version".into(), "2.2".into());
//! let connector = Primer::connector(&config).unwrap();
//! assert_eq!(connector.id(), "primer");
//! assert!(connector.capabilities().supports(Flow::IncrementalAuthorization));
//! assert!(!connector.capabilities().supports(Flow::ExtendAuthorization));
//! assert!(connector.capabilities().supports(Flow::SessionToken));
//! assert!(!connector.capabilities().takes_wallet_payments(Wallet::ApplePay));
//! assert!(!connector.capabilities().external_authentication);
//! ```

mod mapping;
mod webhook;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use paybridge_core::details::PaymentDetail;
use paybridge_core::http::{endpoint, Exchange, HeaderName, HeaderValue, HttpRequest, Plan, Step};
use paybridge_core::secrecy::ExposeSecret;
use paybridge_core::url::Url;
use paybridge_core::webhook::{IncomingWebhook, WebhookSecrets};
use paybridge_core::*;

pub use webhook::{SECONDARY_SIGNATURE_HEADER, SIGNATURE_HEADER};

/// The Primer translator. Build it from a [`ConnectorConfig`] (optional `extra.api_version`,
/// `extra.webhook_tolerance_seconds`), then join it to an executor with [`HttpConnector`] (or
/// use [`Primer::connector`]).
#[derive(Clone)]
pub struct Primer {
    base_url: Url,
    /// `X-Api-Key`, validated and marked sensitive once.
    api_key: HeaderValue,
    /// `X-Api-Version`.
    api_version: HeaderValue,
    webhook_secrets: WebhookSecrets,
    webhook_tolerance: Duration,
}

/// Why an external 3DS result is refused: Primer's `POST /payments` has no field for one.
const NO_EXTERNAL_3DS: &str =
    "Primer's POST /payments (v2.2) has no field for a 3DS result obtained elsewhere";

const API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// Why a raw card is refused.
const NEEDS_TOKEN: &str = "Primer needs a payment-method token: tokenize the card with Primer's \
                           client SDK (Universal or Headless Checkout) or use a vaulted token";
/// Why a wallet's own token is refused, and what to do instead.
const WALLET_AS_TOKEN: &str = "Primer takes wallets as payment-method tokens from its SDK";
const WALLET_HOW: &str = "with Primer's checkout (session token gives its client token) and \
                          pay with the paymentMethodToken it returns";
const API_VERSION: HeaderName = HeaderName::from_static("x-api-version");

impl Primer {
    /// The connector id.
    pub const ID: &'static str = "primer";
    /// The sandbox host.
    pub const SANDBOX_URL: &'static str = "https://api.sandbox.primer.io/";
    /// The live host.
    pub const LIVE_URL: &'static str = "https://api.primer.io/";
    /// The API version sent by default, the one the bundled OpenAPI describes.
    pub const API_VERSION: &'static str = "2.2";
    /// The default webhook `signedAt` tolerance.
    pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

    /// A translator for one Primer account.
    pub fn new(config: &ConnectorConfig) -> Result<Self, ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        let mut api_key = HeaderValue::from_str(config.api_key.expose_secret())
            .map_err(|_| invalid("api_key", "not valid header text"))?;
        api_key.set_sensitive(true);
        let version = config
            .extra
            .get("api_version")
            .map_or(Self::API_VERSION, String::as_str);
        let api_version = HeaderValue::from_str(version)
            .map_err(|_| invalid("extra.api_version", "not valid header text"))?;
        let webhook_tolerance = match config.extra.get("webhook_tolerance_seconds") {
            None => Self::WEBHOOK_TOLERANCE,
            Some(s) => Duration::from_secs(
                s.trim()
                    .parse()
                    .map_err(|_| invalid("extra.webhook_tolerance_seconds", "expected seconds"))?,
            ),
        };
        Ok(Primer {
            base_url: config.base_url.clone(),
            api_key,
            api_version,
            webhook_secrets: config.webhook_secrets.clone(),
            webhook_tolerance,
        })
    }

    /// A ready-to-use connector for a router's registry.
    pub fn connector(config: &ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError> {
        HttpConnector::boxed(Primer::new(config)?, config.execution)
    }

    /// Configuration from `PAYBRIDGE_PRIMER_API_KEY`, and optionally `_BASE_URL` (default the
    /// sandbox), `_WEBHOOK_SECRETS`, `_API_VERSION` and `_WEBHOOK_TOLERANCE_SECONDS`; `None` when
    /// no key is set.
    pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
        let config =
            ConnectorConfig::from_env("PAYBRIDGE_PRIMER", "API_KEY", Self::SANDBOX_URL, &[])?;
        let optional = ["API_VERSION", "WEBHOOK_TOLERANCE_SECONDS"];
        Ok(config.map(|c| c.with_optional_env("PAYBRIDGE_PRIMER", &optional)))
    }

    /// The networks the connector reads in Primer's answers, which its checkout's wallets
    /// offer as Primer's dashboard configures them.
    const NETWORKS: [CardNetwork; 7] = [
        CardNetwork::Visa,
        CardNetwork::Mastercard,
        CardNetwork::Amex,
        CardNetwork::Discover,
        CardNetwork::Jcb,
        CardNetwork::Diners,
        CardNetwork::UnionPay,
    ];

    /// Both wallets: a session token (the client token), no wallet tokens (Primer's SDK turns
    /// the sheet's answer into a payment-method token).
    fn wallet_support() -> WalletSupport {
        WalletSupport {
            session_token: true,
            payments: false,
            networks: Self::NETWORKS.to_vec(),
        }
    }

    fn request(&self, request: HttpRequest) -> HttpRequest {
        request
            .with_header(API_KEY, self.api_key.clone())
            .with_header(API_VERSION, self.api_version.clone())
    }

    /// `POST /payments/{id}/{action}` (or `/payments` with no id) with a JSON body.
    fn post(
        &self,
        segments: &[&str],
        key: &IdempotencyKey,
        body: &impl serde::Serialize,
    ) -> Result<HttpRequest, ConnectorError> {
        let url = endpoint(&self.base_url, segments)?;
        self.request(HttpRequest::post(url))
            .idempotency_key(key)
            .json(body)
    }

    /// `GET /payments/{id}`.
    fn get(&self, payment_id: &str) -> Result<HttpRequest, ConnectorError> {
        Ok(self.request(HttpRequest::get(endpoint(
            &self.base_url,
            &["payments", payment_id],
        )?)))
    }

    /// A request answered with a Payment, mapped; with automatic capture, an `AUTHORIZED`
    /// answer chains a capture (see the crate docs).
    fn payment_exchange(
        &self,
        request: HttpRequest,
        capture: CaptureMethod,
        currency: Option<Currency>,
        key: &IdempotencyKey,
    ) -> Result<Exchange<PaymentResponse>, ConnectorError> {
        // Only an automatic capture may need a second call, built from a copy of the config.
        let chain =
            (capture == CaptureMethod::Automatic).then(|| (self.clone(), key.derive("capture")));
        Ok(Exchange::then(request, move |resp| {
            let authorized = mapping::payment(mapping::body(&resp)?, currency, resp.status)?;
            let Some((primer, key)) = chain.filter(|_| authorized.raw_status == "AUTHORIZED")
            else {
                return Ok(Step::Done(authorized));
            };
            let body = wire::CaptureRequest {
                amount: Some(authorized.amounts.authorized.get()),
                final_capture: true,
            };
            let capture = primer.post(
                &["payments", &authorized.connector_payment_id, "capture"],
                &key,
                &body,
            )?;
            Ok(Step::Next(Box::new(Exchange::new(capture, move |resp| {
                let captured = mapping::body(&resp)
                    .and_then(|p| mapping::payment(p, Some(authorized.currency), resp.status));
                match captured {
                    Ok(payment) => Ok(payment),
                    // Report the authorization: the caller keeps the id to capture or void.
                    Err(e) => Ok(PaymentResponse {
                        status: if e.outcome_unknown() {
                            PaymentStatus::Processing
                        } else {
                            PaymentStatus::RequiresCapture
                        },
                        ..authorized
                    }),
                }
            }))))
        }))
    }

    /// `POST /payments/{id}/refund`, answered with the Payment: the newest REFUND transaction.
    fn refund_exchange(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
        body: &wire::RefundRequest<'_>,
    ) -> Result<Exchange<RefundResponse>, ConnectorError> {
        let request = self.post(&["payments", payment_id, "refund"], key, body)?;
        Ok(Exchange::new(request, |resp| {
            let payment: wire::Payment = mapping::body(&resp)?;
            mapping::refund(&payment, None, resp.status)?.ok_or_else(|| {
                ConnectorError::invalid_response(resp.status, "no REFUND transaction in the answer")
            })
        }))
    }
}

impl Translator for Primer {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn capabilities(&self) -> Capabilities {
        use CardNetwork::{Amex, Discover, Mastercard, Visa};
        Capabilities::new(Self::ID)
            .support(Flow::Authorize, [Condition::RequiresPaymentMethodToken])
            .support(
                Flow::IncrementalAuthorization,
                [
                    Condition::RequiresEstimatedAuthorization,
                    Condition::BeforeAnyCapture,
                    Condition::CardNetworks {
                        networks: vec![Visa, Mastercard, Amex, Discover],
                    },
                    Condition::Note {
                        text: "sends the final amount".into(),
                    },
                ],
            )
            .support(Flow::Capture, [Condition::Partial, Condition::Multiple])
            .support(Flow::Void, [])
            .support(Flow::CancelPostCapture, [])
            .support(Flow::Refund, [Condition::Partial, Condition::Multiple])
            .support(Flow::PaymentSync, [])
            .support(Flow::RefundSync, [])
            .support(
                Flow::PaymentLookup,
                [Condition::Note {
                    text: "GET /payments?order_id=; Primer lists a payment within a minute of \
                           its creation"
                        .into(),
                }],
            )
            .support(Flow::CompleteAuthorize, [])
            .support(
                Flow::SessionToken,
                [Condition::Note {
                    text: "POST /client-session: Primer's client token, with which its checkout \
                           opens Apple Pay and Google Pay"
                        .into(),
                }],
            )
            .support(Flow::Webhooks, [])
            .forwards([
                PaymentDetail::CustomerId,
                PaymentDetail::CustomerEmail,
                PaymentDetail::CustomerPhone,
                PaymentDetail::BillingAddress,
                PaymentDetail::ShippingAddress,
                PaymentDetail::StatementDescriptorName,
            ])
            .wallet(Wallet::ApplePay, Self::wallet_support())
            .wallet(Wallet::GooglePay, Self::wallet_support())
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "x-idempotency-key",
            key_reuse: KeyReuse::RejectsReuse,
            retry_hint: mapping::retry_hint,
            // Beyond the core's names: the client token, and personal data a Payment may carry
            // from its client session (`customer.taxId`, `customer.nationalDocumentId`) or its
            // PayPal payer.
            sensitive_fields: &[
                // The client session's token lets a browser pay the order.
                "clientToken",
                "paymentMethodToken",
                "resumeToken",
                "taxId",
                "nationalDocumentId",
                "externalPayerId",
            ],
        }
    }

    fn authorize(
        &self,
        req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        // Core refuses it first (the capabilities do not take one); refused here too, so the
        // translation alone never drops a 3DS result silently.
        if req.external_authentication.is_some() {
            return Err(ConnectorError::not_supported(
                Self::ID,
                Flow::Authorize,
                NO_EXTERNAL_3DS,
            ));
        }
        let token = match &req.payment_method {
            PaymentMethod::Token(token) => token,
            PaymentMethod::Card(_) => {
                return Err(ConnectorError::invalid("payment_method", NEEDS_TOKEN))
            }
            PaymentMethod::Wallet(token) => {
                let wallet = match token.wallet() {
                    Wallet::ApplePay => "Apple Pay",
                    Wallet::GooglePay => "Google Pay",
                };
                let message = format!("{WALLET_AS_TOKEN}: open {wallet} {WALLET_HOW}");
                return Err(ConnectorError::invalid("payment_method", message));
            }
        };
        let customer_id = req.customer.as_ref().and_then(|c| c.id.as_deref());
        mapping::text("customer.id", format_args!("customerId"), customer_id, 0)?;
        let descriptor = req.statement_descriptor.name.as_deref();
        let primer_field = format_args!("paymentMethod.descriptor");
        mapping::text("statement_descriptor.name", primer_field, descriptor, 0)?;
        let body = wire::PaymentRequest {
            payment_method_token: token.as_str(),
            amount: req.amount.get(),
            currency_code: req.currency.code(),
            order_id: &req.reference,
            customer_id,
            customer: mapping::customer(req)?,
            metadata: &req.metadata,
            payment_method: wire::PaymentMethodOptions {
                authorization_type: match req.effective_authorization_type() {
                    AuthorizationType::Final => "FINAL",
                    AuthorizationType::Estimated => "ESTIMATED",
                },
                descriptor,
            },
        };
        let request = self.post(&["payments"], &req.idempotency_key, &body)?;
        self.payment_exchange(
            request,
            req.capture_method,
            Some(req.currency),
            &req.idempotency_key,
        )
    }

    fn increment_authorization(
        &self,
        req: &IncrementalAuthorizationRequest,
    ) -> Result<Exchange<IncrementalAuthorizationResponse>, ConnectorError> {
        // Primer takes the final amount, which is what the unified API passes.
        let body = wire::AdjustRequest {
            amount: req.new_total.get(),
        };
        let request = self.post(
            &[
                "payments",
                &req.connector_payment_id,
                "adjust-authorization",
            ],
            &req.idempotency_key,
            &body,
        )?;
        let (previous, new_total, currency) = (req.current_authorized, req.new_total, req.currency);
        Ok(Exchange::new(request, move |resp| {
            let wire: wire::Payment = mapping::body(&resp)?;
            let reason = wire.status_reason.clone();
            let payment = mapping::payment(wire, Some(currency), resp.status)?;
            let approved =
                payment.status != PaymentStatus::Failed && payment.amounts.authorized == new_total;
            let decline = (!approved).then(|| match payment.decline {
                Some(decline) => decline,
                None if reason.is_some() => mapping::decline(reason.as_ref()),
                None => DeclineDetails::new(
                    None,
                    Some(format!(
                        "authorized amount is {}, not {new_total}",
                        payment.amounts.authorized
                    )),
                    DeclineCode::Generic,
                ),
            });
            Ok(IncrementalAuthorizationResponse {
                connector_authorization_id: None,
                status: if approved {
                    AuthorizationStatus::Success
                } else {
                    AuthorizationStatus::Failure
                },
                authorized: if approved { new_total } else { previous },
                previously_authorized: previous,
                expires_at: None,
                decline,
                raw_status: payment.raw_status,
            })
        }))
    }

    fn capture(&self, req: &CaptureRequest) -> Result<Exchange<CaptureResponse>, ConnectorError> {
        let body = wire::CaptureRequest {
            amount: req.amount.map(MinorUnit::get),
            final_capture: req.final_capture,
        };
        let request = self.post(
            &["payments", &req.connector_payment_id, "capture"],
            &req.idempotency_key,
            &body,
        )?;
        let (amount, currency) = (req.amount, req.currency);
        Ok(Exchange::new(request, move |resp| {
            let payment = mapping::payment(mapping::body(&resp)?, Some(currency), resp.status)?;
            Ok(CaptureResponse {
                connector_capture_id: None,
                status: payment.status,
                amount,
                amounts: Some(payment.amounts),
                raw_status: payment.raw_status,
            })
        }))
    }

    fn void(&self, req: &VoidRequest) -> Result<Exchange<VoidResponse>, ConnectorError> {
        let body = wire::CancelRequest {
            reason: req.reason.as_deref(),
        };
        let request = self.post(
            &["payments", &req.connector_payment_id, "cancel"],
            &req.idempotency_key,
            &body,
        )?;
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
        // Primer cancels only before settlement: undo a capture with a refund of it.
        let body = wire::RefundRequest {
            amount: Some(req.amount_captured.get()),
            reason: req.reason.as_deref(),
            order_id: req.reference.as_deref(),
        };
        let refund =
            self.refund_exchange(&req.connector_payment_id, &req.idempotency_key, &body)?;
        Ok(refund.map(CancelPostCaptureResponse::from_refund))
    }

    fn refund(&self, req: &RefundRequest) -> Result<Exchange<RefundResponse>, ConnectorError> {
        let body = wire::RefundRequest {
            amount: req.amount.map(MinorUnit::get),
            reason: req.reason.as_deref(),
            order_id: req.reference.as_deref(),
        };
        self.refund_exchange(&req.connector_payment_id, &req.idempotency_key, &body)
    }

    fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        let request = self.get(&req.connector_payment_id)?;
        Ok(Exchange::new(request, |resp| {
            mapping::payment(mapping::body(&resp)?, None, resp.status)
        }))
    }

    fn find_payment(
        &self,
        req: &PaymentLookupRequest,
    ) -> Result<Exchange<PaymentLookupResponse>, ConnectorError> {
        // `GET /payments?order_id=`: the list's summaries carry the payment id.
        let mut url = endpoint(&self.base_url, &["payments"])?;
        url.query_pairs_mut()
            .append_pair("order_id", &req.reference);
        let reference = req.reference.clone();
        Ok(Exchange::new(
            self.request(HttpRequest::get(url)),
            move |resp| {
                let list: wire::PaymentList = mapping::body(&resp)?;
                let found = list.data.into_iter().find(|p| p.order_id == reference);
                Ok(PaymentLookupResponse {
                    connector_payment_id: found.map(|p| p.id),
                })
            },
        ))
    }

    fn sync_refund(
        &self,
        req: &RefundSyncRequest,
    ) -> Result<Exchange<RefundSyncResponse>, ConnectorError> {
        // Primer has no refund resource: a refund is a REFUND transaction of the payment.
        let request = self.get(&req.connector_payment_id)?;
        let refund_id = req.connector_refund_id.clone();
        Ok(Exchange::new(request, move |resp| {
            let payment: wire::Payment = mapping::body(&resp)?;
            let found = mapping::refund(&payment, Some(&refund_id), resp.status)?;
            // Not listed yet: accepted but not processed.
            Ok(found.unwrap_or(RefundResponse {
                connector_refund_id: refund_id,
                status: RefundStatus::Pending,
                amount: None,
                failure_reason: None,
                raw_status: "NotListed".into(),
            }))
        }))
    }

    fn complete_authorize(
        &self,
        req: &CompleteAuthorizeRequest,
    ) -> Result<Exchange<CompleteAuthorizeResponse>, ConnectorError> {
        let resume_token = req.redirect_params.get("resumeToken").ok_or_else(|| {
            ConnectorError::invalid(
                "redirect_params",
                "Primer needs the resumeToken the client SDK returned",
            )
        })?;
        let body = wire::ResumeRequest { resume_token };
        let request = self.post(
            &["payments", &req.connector_payment_id, "resume"],
            &req.idempotency_key,
            &body,
        )?;
        self.payment_exchange(request, req.capture_method, None, &req.idempotency_key)
    }

    fn session_token(
        &self,
        req: &SessionTokenRequest,
    ) -> Result<Plan<SessionTokenResponse>, ConnectorError> {
        mapping::text(
            "reference",
            format_args!("orderId"),
            Some(&req.reference),
            1,
        )?;
        let body = wire::ClientSessionRequest {
            order_id: &req.reference,
            currency_code: req.currency.code(),
            amount: req.amount.get(),
            order: wire::ClientSessionOrder {
                country_code: req.merchant.country.as_str(),
            },
        };
        let url = endpoint(&self.base_url, &["client-session"])?;
        let request = self.request(HttpRequest::post(url)).json(&body)?;
        let (wallets, order_id, currency) =
            (req.wallets.clone(), req.reference.clone(), req.currency);
        let exchange = Exchange::new(request, move |resp| {
            mapping::client_session(&resp, &wallets, &order_id, currency)
        });
        Ok(exchange.moving_no_money().into())
    }

    fn verify_webhook(&self, webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError> {
        webhook::verify(&self.webhook_secrets, self.webhook_tolerance, webhook)
    }
}
