//! A stateful simulator of Primer's Payments API (API version 2.2 shapes), built from
//! `docs/processors.md` §3 and Primer's published OpenAPI document
//! (`primer-v2.2-openapi.json`). It is an independent implementation of the processor's
//! behaviour, not of any connector.
//!
//! \[U\] marks a choice where the reference leaves Primer's behaviour unconfirmed: the
//! simulator does what Primer's documentation suggests, to be checked against the sandbox.
//!
//! # API
//!
//! Every API route needs `X-Api-Key: <api_key>` (else 401 `Unauthorized`) and
//! `X-Api-Version` 2.2, 2.3 or 2.4 (missing → 400 `MissingApiVersion`, other →
//! 400 `UnsupportedApiVersion` \[U: Primer falls back to its earliest version\]). Answers are in
//! 2.2 shapes whatever the version. Errors are `{"error": {errorId, description,
//! diagnosticsId}}`; body validation is 422 `RequestValidationError` with
//! `validationErrors: [{model, errors: [{path: "$.amount", description}]}]` (the shape of the
//! published examples). Only statuses the v2.2 document lists for the operation are answered,
//! except 401 and a reused key's 409, which Primer's status table and idempotency guide
//! document and the v2.2 operations do not list, and the version check's 400 on
//! `GET /payments` (whose document lists only 200 and 422).
//!
//! An unknown payment is 400 `PaymentError` "The payment could not be found", the document's
//! answer (404 on adjust-authorization, the one route whose document lists a 404). Every
//! state or amount rule is 400 `PaymentError` with a description saying which \[U: the
//! document's only 400 error id for these operations; `docs/processors.md` §3.6\].
//!
//! | route | answer |
//! |---|---|
//! | `POST /client-session` | 200 client session with `clientToken` and `clientTokenExpirationDate` (24 h later); 422 |
//! | `GET /client-session?clientToken=` | 200 the session without its token; 400 `ClientSessionNotFound` (unknown or expired) \[U\] |
//! | `POST /payments` | 200 Payment: `AUTHORIZED` (`SETTLED` with `auto_capture`), `DECLINED` / `FAILED` with `statusReason`, or `PENDING` with `requiredAction` (3DS); 400 `InvalidPaymentMethodToken` \[U\]; 422 |
//! | `POST /payments/{id}/adjust-authorization` | 200 Payment with the new total `amount`; 400 `PaymentError` (not ESTIMATED, not AUTHORIZED, not above the current amount); 404 `PaymentError` unknown; 422 |
//! | `POST /payments/{id}/capture` | 200 Payment `SETTLED` / `PARTIALLY_SETTLED`; 400 `PaymentError` (unknown, not capturable, more than is left); 422 |
//! | `POST /payments/{id}/cancel` | 200 Payment `CANCELLED`; 400 `PaymentError` (unknown, not cancellable); 400 `RequestValidationError` \[U: the document lists no 422 here\] |
//! | `POST /payments/{id}/refund` | 200 Payment with a REFUND transaction; 400 `PaymentError` (unknown, nothing to refund, more than is left); 422 |
//! | `POST /payments/{id}/resume` | 200 Payment; 400 `PaymentError` (unknown, not waiting, wrong token); 400 `RequestValidationError` \[U: the document lists no 422 here\] |
//! | `GET /payments/{id}` | 200 Payment; 400 `PaymentError` unknown |
//!
//! # Behaviour
//!
//! - Client sessions (`POST /client-session`, `ClientSessionAPIRequest`): the session token of
//!   Primer's checkout. No field is required (the document requires none); unknown fields are
//!   422, and each field given is checked against its schema (`orderId`, `customerId` 1 to
//!   256 characters; `currencyCode` three capitals; `amount` an integer ≥ 0; `customer` as
//!   `CheckoutCustomerDetailsAPISchema`; `order`; `paymentMethod` as
//!   `CheckoutPaymentMethodOptionsAPISchema`; `metadata` an object), a problem named by its
//!   path. The answer (`ClientSessionWithTokenAPIResponse`) echoes what was given, the
//!   `amount` (or, without one, the line items' total \[U\]), a `clientToken` (a long opaque
//!   string shaped like Primer's signed JWT \[U: its claims\]) and
//!   `clientTokenExpirationDate`, 24 hours later (Primer's reference: "Client tokens expire
//!   after 24 hours"). Sessions are kept by token until they expire; they are not tied to the
//!   simulator's payment-method tokens, and no idempotency key is needed (the document lists
//!   none for this operation). Not counted among the operations (no money moves).
//! - Payments are made with payment-method tokens only ([`tokens`], or minted by the helper).
//!   `amount` (> 0 \[U\]), `currencyCode` (three capitals) and `orderId` are required, since
//!   the simulator's tokens belong to no client session to take them from \[U\]. Unknown
//!   fields are 422 (the document forbids them). Tokens are reusable.
//! - `customerId`, `customer` (`CustomerDetailsAPISchema`: e-mail, mobile number, names,
//!   billing and shipping addresses, ...), `order` (`OrderDetailsAPISchema`) and
//!   `paymentMethod.descriptor` are checked against the document's shapes (lengths,
//!   `format: email`, `CountryCodeEnum`, a line item's or fee's required `amount`): a
//!   malformed one is 422 naming its path (`$.customer.billingAddress.countryCode`). Fields
//!   the nested schemas do not declare are ignored and not kept \[U\]. What is kept comes
//!   back in every Payment, as `PaymentAPIResponse` has it.
//! - Outcomes by card (§3.8): authorized, declined (`statusReason` `ISSUER_DECLINED`,
//!   `SOFT_DECLINE`, `DO_NOT_HONOR` \[U\]), failed (`APPLICATION_ERROR`, `ERROR` \[U\]),
//!   3DS challenge (`PENDING`, `requiredAction.name` `3DS_AUTHENTICATION` \[U\] with a
//!   `clientToken`; no transaction until resumed), frictionless 3DS (authorized).
//! - `auto_capture` stands for a workflow with a "Capture payment" action: an authorized
//!   payment is captured in full at once (`SETTLED`, two `PAYMENT.STATUS` webhooks).
//! - The single SALE transaction's `processorStatus` follows the payment. Transactions carry
//!   both `transactionType` and `type` (the documentation uses one, the examples the other).
//! - Adjust: only an `ESTIMATED` payment that is `AUTHORIZED`, and only upwards (the new total
//!   must exceed the current amount) \[U: decreases, limits\]. No webhook (no status change).
//! - Capture: from `AUTHORIZED` or `PARTIALLY_SETTLED`; `amount` defaults to what is left;
//!   more than what is left → 400. `final` defaults to true: a final partial capture settles
//!   the payment and releases the rest \[U\]; `final: false` leaves it `PARTIALLY_SETTLED` for
//!   further captures. Captures settle at once (never `SETTLING`).
//! - Cancel: only `PENDING` or `AUTHORIZED` \[U: after a partial capture, finish with a final
//!   capture\].
//! - Refund: once something is captured; `amount` defaults to what is captured and not yet
//!   refunded; more → 400. Refunds settle at once (`processorStatus: "SETTLED"`); the payment
//!   stays `SETTLED`.
//! - Idempotency: `X-Idempotency-Key` on any POST, global to the account. Once a request with
//!   a key was answered 200 (including a DECLINED or FAILED payment), any reuse is 409
//!   `IdempotencyKeyAlreadyExists` with `paymentId` and `paymentStatus`. A request refused
//!   with 4xx does not consume its key \[U\]. Implemented here rather than with the control
//!   layer's `IdempotencyRules::reuse`, whose answer cannot name the payment.
//! - Webhooks: `PAYMENT.STATUS` on every status change (creation included) and
//!   `PAYMENT.REFUND` when a refund settles, each `{eventType, date, notificationConfig: {id,
//!   description}, version: "2.2", signedAt: "<unix seconds>", payment}`, with
//!   `X-Signature-Primary`: base64 HMAC-SHA256 of the raw body keyed with `webhook_secret`
//!   \[U: SHA-256\].
//! - Counters: `authorizations` (payments created, any outcome), `increments` (adjustments),
//!   `captures` (including auto-captures), `voids` (cancels), `refunds`.
//!
//! # Helper routes (`/sim/...`: no auth, not counted, never faulted)
//!
//! - `POST /sim/primer/payment-method-tokens` `{"number", "expirationMonth", "expirationYear",
//!   "cvv"}` → 200 `{"token"}` for a sandbox test card; any other number, a past expiry or a
//!   malformed body → 422.
//! - `POST /sim/primer/payments/{id}/3ds?outcome=success|fail` → 200 `{"resumeToken"}` (a UUID,
//!   what the SDK hands back) for a payment awaiting 3DS; 404 unknown, 409 not awaiting 3DS.
//!   `POST /payments/{id}/resume` with it then authorizes the payment (success) or declines it
//!   (fail: `HARD_DECLINE`, `AUTHENTICATION_REQUIRED` \[U\]).

mod cards;
mod details;
mod handlers;
mod ids;
mod state;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use url::Url;

use axum::http::{HeaderName, StatusCode};

use crate::control::{self, IdempotencyRules, KeyScope, ServeOptions, SimulatorHandle};

/// Payment-method tokens the simulator knows from start, one per sandbox test card (§3.8).
pub mod tokens {
    /// Visa `4242424242424242`: authorized.
    pub const VISA_AUTHORIZED: &str = "pmt_sim_visa_authorized";
    /// Mastercard `5555555555554444`: authorized.
    pub const MASTERCARD_AUTHORIZED: &str = "pmt_sim_mc_authorized";
    /// Visa `4000000000000002`: declined.
    pub const VISA_DECLINED: &str = "pmt_sim_visa_declined";
    /// Mastercard `5100000000000008`: declined.
    pub const MASTERCARD_DECLINED: &str = "pmt_sim_mc_declined";
    /// Visa `4000000000000010`: failed.
    pub const VISA_FAILED: &str = "pmt_sim_visa_failed";
    /// Visa `4916994064252017`: 3DS challenge (`PENDING` until resumed).
    pub const VISA_3DS_CHALLENGE: &str = "pmt_sim_visa_3ds_challenge";
}

/// The simulator's keys, webhook destination and workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimerSimConfig {
    /// The only accepted `X-Api-Key`.
    pub api_key: String,
    /// The key of the `X-Signature-Primary` HMAC on webhooks.
    pub webhook_secret: String,
    /// Where webhooks are POSTed from the start (see
    /// [`SimulatorHandle::set_webhook_target`]).
    pub webhook_url: Option<Url>,
    /// Whether the workflow captures authorized payments at once (else they stay
    /// `AUTHORIZED` until `POST /payments/{id}/capture`).
    pub auto_capture: bool,
}

impl Default for PrimerSimConfig {
    /// `primer_sim_api_key`, `primer_sim_webhook_secret`, no webhook URL, manual capture.
    fn default() -> Self {
        PrimerSimConfig {
            api_key: "primer_sim_api_key".to_owned(),
            webhook_secret: "primer_sim_webhook_secret".to_owned(),
            webhook_url: None,
            auto_capture: false,
        }
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: PrimerSimConfig) -> std::io::Result<SimulatorHandle> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    config: PrimerSimConfig,
) -> std::io::Result<SimulatorHandle> {
    let options = ServeOptions {
        // Primer's 409 names the payment, so idempotency lives in the handlers.
        // Any reuse of a key whose request was answered 200 is refused (409), never replayed;
        // a refused request does not use its key up \[U\].
        idempotency: Some(IdempotencyRules {
            header: HeaderName::from_static("x-idempotency-key"),
            scope: KeyScope::Key,
            stores: |status| status == StatusCode::OK,
            in_flight: handlers::key_in_flight,
            reuse: Some(handlers::key_reused),
            parameters: None,
        }),
        fault_response: handlers::fault_response,
        webhook_target: config.webhook_url.clone(),
    };
    let state = state::State {
        tokens: cards::preset().into_iter().collect(),
        ..state::State::default()
    };
    control::start(addr, options, |control| {
        handlers::router(Arc::new(handlers::Sim {
            config,
            control,
            notification_id: uuid::Uuid::new_v4().to_string(),
            state: Mutex::new(state),
        }))
    })
    .await
}
