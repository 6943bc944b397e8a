//! A stateful simulator of Checkout.com's payments API (the "NAS" platform), built from
//! `docs/processors.md` §1 and Checkout's published OpenAPI document. It is an
//! independent implementation of the processor's behaviour, not of any connector.
//!
//! \[U\] marks a choice where the reference leaves Checkout's behaviour unconfirmed: the
//! simulator does what Checkout's documentation suggests, to be checked against the live
//! sandbox.
//!
//! # API
//!
//! Every API route needs `Authorization: Bearer <secret_key>` exactly (else 401, empty body),
//! but `POST /tokens`, which takes `Bearer <public_key>` and no other (the document's
//! `ApiPublicKey`).
//!
//! | route | answer |
//! |---|---|
//! | `POST /tokens` | 201 `TokenResponse` for `googlepay` and `applepay` tokens (`specs/checkout-tokens-openapi.json`); 422 `ValidationError`; 401 for any key but the public key |
//! | `POST /payments` | 201 `PaymentResponse` (approved or declined: declines are not HTTP errors); 202 `PaymentAcceptedResponse` when `3ds.enabled` (without a third-party result); 422 `ValidationError` |
//! | `POST /payments/{id}/authorizations` | 201 `AuthorizationResponse`; 403 not allowed; 422; 404 |
//! | `POST /payments/{id}/captures` | 202 `{action_id, reference, _links.payment}`; 403; 422; 404 |
//! | `POST /payments/{id}/voids` | 202; 403; 404 |
//! | `POST /payments/{id}/refunds` | 202; 403; 422; 404 |
//! | `GET /payments/{id}` | 200 payment details (also by the `sid_` session id of a redirect); 404 |
//! | `GET /payments/{id}/actions` | 200 array, newest first; 404 |
//! | `GET /payments?reference=&limit=&skip=` | 200 `{limit, skip, total_count, data}`: the payments requested with `reference` (exactly), newest first; 422 without `reference` or with `limit` outside 1–100 or a negative `skip` \[U: the endpoint ("Get payment lists", Beta) is not in the published document; shape from Checkout.com's public reference\] |
//!
//! POSTs honour `Cko-Idempotency-Key` (scoped per path and key): a key whose first request was
//! answered 2xx is replayed with the identical status and body; a first answer of 4xx/5xx is
//! not stored; a key still being processed gets 429.
//!
//! # Behaviour
//!
//! - Test cards in [`cards`]; any other Luhn-valid number is approved. Amount 0 verifies the
//!   card (`Card Verified`).
//! - Wallet tokens (`POST /tokens`): the body is checked in each wallet's shape (Google Pay
//!   `protocolVersion`, `signature`, `signedMessage`, and `intermediateSigningKey` for
//!   `ECv2`; Apple Pay `version`, `data`, `signature`, `header`), the card read out of the
//!   simulator's test tokens ([`crate::wallet_tokens`]); anything else is 422
//!   `token_data_invalid` \[U: codes\]. The `tok_` token answered (`token_format` `pan_only`
//!   or `cryptogram_3ds`, `expires_on` 15 minutes later) pays once as a `token` source, exactly
//!   as its card would (test cards decide); reused, expired or unknown it is 422 `token_used`,
//!   `token_expired`, `token_invalid` \[U: codes\]. Card tokens (`type: card`) are not
//!   simulated (422 `token_type_invalid`).
//! - **External (third-party) 3DS**: a `3ds` object with a result obtained elsewhere
//!   (`3dsRequestThirdParty` of Checkout.com's API reference, `specs/checkout-tokens-openapi.json`:
//!   `eci`, `cryptogram`, `xid`, `version`, `status`, `status_reason_code`, `flow_type`, …) is
//!   checked as that schema says (see `three_ds`: `eci`, `cryptogram`, `xid` and `version`
//!   required, lengths, enums, the cryptogram base64; each broken rule a 422
//!   `request_invalid` with a `3ds_…` code \[U: codes\]). The payment is then authorized at
//!   once, 201 with no redirect (the authentication was done elsewhere), the card's issuer
//!   verdict applying as for any payment (a declining card declines); the result's `status`
//!   does not change the verdict \[U\]. The 201 carries `3ds: {downgraded, enrolled}` and the
//!   `eci` sent; `GET /payments/{id}` answers `3ds` as `3dsData` (`authentication_response` =
//!   the `status` sent, `cryptogram`, `xid`, `version`) and the `eci` \[U: what Checkout.com
//!   echoes for a third-party authentication\]. `GET /sim/payments/{id}/3ds` answers the whole
//!   result as it arrived.
//! - `capture` defaults to true; auto-capture is immediate (status `Captured` in the 201, a
//!   `Capture` action and `payment_captured` webhook right away) \[U: Checkout captures shortly
//!   after].
//! - `expires_on`: 7 days after authorization; 30 days for an `Estimated` Mastercard
//!   authorization and after an extension \[U\].
//! - Increments: only on an `Estimated` authorization that is `Authorized` and uncaptured.
//!   After any capture → 403 `payment_already_captured`; `Final` or any other state → 403
//!   `incremental_authorization_not_allowed` \[U: codes\]. Amount > 0 needs Visa, Mastercard or
//!   Amex; amount 0 (extension) needs Mastercard; otherwise 422
//!   `incremental_authorization_unsupported` \[U: 422 rather than 403\].
//! - Captures: `amount` ≤ `available_to_capture` (else 422 `capture_value_greater_than_authorized`
//!   before any capture, `capture_value_greater_than_remaining_authorized` after); a `Final`
//!   capture (the default) voids the remainder; `NonFinal` allows more captures. Not capturable
//!   → 403 `capture_not_allowed`. Applied at once (GET shows it) though answered 202.
//! - Voids: only while `Authorized` with nothing captured, else 403 `void_not_allowed` \[U:
//!   Checkout allows voiding the remainder after a partial capture on some schemes].
//! - Refunds: nothing captured → 403 `refund_not_allowed`; `amount` > `available_to_refund` →
//!   422 `refund_amount_exceeds_balance`. Refunds settle at once (action `approved: true`).
//! - 403 bodies are `{request_id, error_type: "action_not_allowed", error_codes: [code]}`;
//!   422 for a body that is not a JSON object is `request_malformed` /
//!   `request_body_malformed` \[U\].
//! - Payment details (`description`, `customer`, `billing_descriptor`, `shipping`,
//!   `payment_ip`, the card source's `billing_address` and `phone`) are validated in the
//!   document's shapes and limits (422 `request_invalid` with a code per member, see
//!   `wire::payment_request`) and kept with their documented members only. `GET
//!   /payments/{id}` answers them all (`PaymentDetails`); the 201 and 202 answers carry the
//!   `customer` and the source's, as their schemas have only those. The customer gets a `cus_`
//!   id: the one given, else one derived from the e-mail, else a new one \[U\].
//! - `balances` carries an extra `id` (the payment id) because the published schema requires
//!   one (a quirk of the document).
//! - Webhooks (`payment_approved`, `payment_declined`, `payment_pending`, `card_verified`,
//!   `payment_authorization_incremented`, `payment_authorization_increment_declined`,
//!   `payment_captured`, `payment_voided`, `payment_refunded`, `payment_refund_declined`,
//!   `payment_expired`, `payment_canceled`) carry `Cko-Signature`: lower-case hex
//!   HMAC-SHA256 of the raw body keyed with `webhook_secret`.
//!
//! # Helper routes (`/sim/...`: no auth, not counted, never faulted)
//!
//! - `GET /sim/3ds/{id}` — the 3DS page behind `_links.redirect.href`. Completes
//!   authentication (the card's issuer verdict then applies); `?outcome=fail` declines the
//!   payment with `20151` "Cardholder failed 3DS authentication" \[U\]; `?outcome=cancel` leaves it
//!   `Canceled` \[U\]. Redirects (302) to `success_url` / `failure_url` with `cko-session-id`, or
//!   answers 200 text when there is none; 409 when the payment is not pending.
//! - `GET /sim/payments/{id}/3ds` — the third-party 3DS result the payment was authorized with,
//!   as it arrived and was checked (`{"3ds": {…}}`, the cryptogram included), for tests to read
//!   back; 404 when the payment is unknown or had none.
//! - `POST /sim/payments/{id}/expire` — the authorization lapses now (`Expired`,
//!   `payment_expired`).
//! - `POST /sim/tokens/{token}/expire` — a `POST /tokens` token expires now.
//! - `POST /sim/payments/{id}/decline-next-increment` — the next increment is declined
//!   (`20051`, `payment_authorization_increment_declined`).
//! - `POST /sim/payments/{id}/decline-next-refund` — the next refund is declined (`20005`,
//!   `payment_refund_declined`).

pub mod cards;
mod handlers;
mod ids;
mod state;
mod three_ds;
mod tokens;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderName, StatusCode};
use url::Url;

use crate::control::{self, IdempotencyRules, KeyScope, ServeOptions, SimulatorHandle};

/// The simulator's keys and webhook destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSimConfig {
    /// The only accepted `Authorization: Bearer <secret_key>`.
    pub secret_key: String,
    /// The only key `POST /tokens` accepts (`Authorization: Bearer <public_key>`).
    pub public_key: String,
    /// The only accepted `processing_channel_id` on `POST /payments`.
    pub processing_channel_id: String,
    /// The key of the `Cko-Signature` HMAC on webhooks.
    pub webhook_secret: String,
    /// Where webhooks are POSTed from the start (see
    /// [`SimulatorHandle::set_webhook_target`]).
    pub webhook_url: Option<Url>,
}

impl Default for CheckoutSimConfig {
    /// Test keys: `sk_sbox_paybridge_test`, `pk_sbox_paybridge_test`,
    /// `pc_paybridgetestchannel000000`, `whsec_cko_paybridge_test`, no webhook URL.
    fn default() -> Self {
        CheckoutSimConfig {
            secret_key: "sk_sbox_paybridge_test".to_owned(),
            public_key: "pk_sbox_paybridge_test".to_owned(),
            processing_channel_id: "pc_paybridgetestchannel000000".to_owned(),
            webhook_secret: "whsec_cko_paybridge_test".to_owned(),
            webhook_url: None,
        }
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: CheckoutSimConfig) -> std::io::Result<SimulatorHandle> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    config: CheckoutSimConfig,
) -> std::io::Result<SimulatorHandle> {
    let options = ServeOptions {
        idempotency: Some(IdempotencyRules {
            header: HeaderName::from_static("cko-idempotency-key"),
            scope: KeyScope::PathAndKey,
            stores: |status: StatusCode| status.is_success(),
            in_flight: handlers::duplicate_in_flight,
            reuse: None,
            parameters: None,
        }),
        fault_response: handlers::fault_response,
        webhook_target: config.webhook_url.clone(),
    };
    control::start(addr, options, |control| {
        handlers::router(Arc::new(handlers::Sim {
            config,
            control,
            payments: Mutex::default(),
            tokens: Mutex::default(),
        }))
    })
    .await
}
