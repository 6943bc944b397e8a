//! A stateful simulator of Stripe's PaymentIntents API for card payments (API version
//! `2024-04-10`), built from `docs/processors.md` §2 and Stripe's published OpenAPI
//! document. It is an independent implementation of the processor's behaviour, not of any
//! connector.
//!
//! \[U\] marks a choice where the reference leaves Stripe's behaviour unconfirmed: the
//! simulator does what Stripe's documentation suggests, to be checked against a live account.
//!
//! # API
//!
//! Every `/v1` route needs `Authorization: Bearer <secret_key>` (scheme in any case) or HTTP
//! Basic with the key as user name (`curl -u sk_test_…:`), and `POST /v1/tokens` also takes the
//! publishable key; otherwise 401
//! `{"error": {"type": "invalid_request_error", "message": "Invalid API Key provided:
//! sk_test_****…1234"}}` (the key is never echoed in full) with `WWW-Authenticate`.
//! `Stripe-Version` may name any date (`2024-04-10`, `2026-07-29.dahlia`); answers keep the
//! 2024-04-10 shapes and echo the header \[U: Stripe refuses dates that are not releases\].
//! Every answer carries `Request-Id: req_…`.
//!
//! | route | answer |
//! |---|---|
//! | `POST /v1/payment_intents` | 200 PaymentIntent; 402 `card_error` with the PaymentIntent embedded; 400 |
//! | `GET /v1/payment_intents/{id}` | 200 PaymentIntent (`expand[]=latest_charge`, `payment_method`); 404 |
//! | `POST /v1/payment_intents/{id}` | 200: updates `metadata`, `description`, `amount` (before confirmation), `receipt_email`, `statement_descriptor_suffix` |
//! | `POST /v1/payment_intents/{id}/confirm` | as create |
//! | `POST /v1/payment_intents/{id}/increment_authorization` | 200; 402 declined; 400 |
//! | `POST /v1/payment_intents/{id}/capture` | 200; 400 |
//! | `POST /v1/payment_intents/{id}/cancel` | 200; 400 |
//! | `POST /v1/payment_methods` | 200 PaymentMethod (`type=card` with `card[number|exp_month|exp_year|cvc]` or `card[token]`, `billing_details`, `metadata`); 402 `card_error` for card data refused; 400 (an unknown token: `resource_missing`; a used one: `token_already_used`) |
//! | `GET /v1/payment_methods/{id}` | 200 a PaymentMethod created earlier; 404 |
//! | `POST /v1/tokens` | 200 Token (`type: card`) from `pk_token` (Apple Pay, with `pk_token_instrument_name`, `pk_token_payment_network`, `pk_token_transaction_id`, and `card[name|address_…]`) or `card[number|exp_month|exp_year|cvc]`; 400 naming `pk_token` for a token that is not Apple Pay's `paymentData` or cannot be decrypted |
//! | `GET /v1/tokens/{id}` | 200 a token issued earlier (`used` once paid with); 404 |
//! | `POST /v1/refunds` | 200 Refund; 400 |
//! | `GET /v1/refunds/{id}`, `GET /v1/charges/{id}`, `GET /v1/events/{id}` | 200; 404 |
//! | `GET /v1/payment_intents` | 200 list, newest first: `created` (an exact second or `gt`/`gte`/`lt`/`lte`), `limit` 1–100 (default 10), `starting_after` / `ending_before`, `expand[]=data.…`; 400; 404 for an unknown cursor \[U\] |
//! | `GET /v1/refunds` | 200 list, newest first, also filtered by `payment_intent` or `charge` (an unknown one: 404 \[U\]) |
//!
//! Bodies are `application/x-www-form-urlencoded` with bracket notation, read strictly (see
//! `params`): an unknown parameter, a bad integer, boolean or enum value, bad bracket syntax,
//! or a parameter the simulator does not simulate (Connect, customers, mandates) is a 400
//! `invalid_request_error` whose `param` names it (`payment_method_options[card][foo]`), with
//! `parameter_unknown`, `parameter_missing`, `parameter_invalid_integer` or
//! `parameter_invalid_empty` where Stripe has a code. GET query strings are read the same way.
//!
//! # Behaviour
//!
//! - **Create/confirm.** `amount` (currency minimum, e.g. 50 for `usd`, up to 99 999 999),
//!   lowercase `currency`, `confirm`, `capture_method` (`automatic`, `automatic_async` as
//!   automatic, `manual`; `payment_method_options[card][capture_method]=manual` too), the card
//!   as `payment_method=pm_…` (a [`cards::PM_CARD_TOKENS`] token or a PaymentMethod created
//!   earlier) or `payment_method_data[type]=card&payment_method_data[card][number|exp_month|exp_year|cvc]`
//!   (raw card data, which Stripe enables per account; invalid data is a 402 `card_error`
//!   `invalid_number`/`incorrect_number`/`invalid_expiry_*`/`invalid_cvc` and creates nothing).
//!   `POST /v1/payment_methods` checks the same card data the same way (errors name
//!   `card[number]`, …) and keeps a `pm_…` to pay with; the issuer's verdict comes only when a
//!   PaymentIntent confirms it.
//!   Without `payment_method_types` or `automatic_payment_methods`, automatic payment methods
//!   are enabled with redirects allowed, so confirming needs a `return_url` (Stripe's default
//!   since 2023-08-16 \[U\]); `payment_method_types[]=card` or
//!   `automatic_payment_methods[allow_redirects]=never` avoid it. `return_url` only with
//!   `confirm=true`.
//! - **Card tokens** (`tokens`): `POST /v1/tokens` checks an Apple Pay `pk_token`'s structure
//!   and reads its card from the shared test tokens ([`crate::wallet_tokens`]); the token's
//!   card has `tokenization_method: apple_pay`. `card[token]` on `POST /v1/payment_methods`
//!   turns a token into a PaymentMethod holding its card (with `card.wallet` for Apple Pay),
//!   once for a token the simulator issued; Stripe's test tokens (`tok_visa`,
//!   `tok_chargeDeclined`, … [`cards::test_token`]) any number of times. The PaymentMethod then
//!   pays exactly as its card does.
//! - **Payment details.** `receipt_email` (an e-mail address, else 400 `email_invalid`),
//!   `shipping` (`name` and `address` required, else 400 `parameter_missing` naming
//!   `shipping[name]` or `shipping[address]`; `address[line1|line2|city|state|postal_code|country]`,
//!   `phone`, `carrier`, `tracking_number`), `description` and `statement_descriptor_suffix`
//!   are kept on the PaymentIntent and copied to its Charges; `billing_details` (`name`,
//!   `email`, `phone`, `address`) on the PaymentMethod and its Charges. Every one is answered
//!   back where the document's objects carry it. Statement descriptors follow Stripe's
//!   requirements: at most 22 characters, printable ASCII, at least one letter, none of
//!   `< > \ ' " *` (else 400 naming the parameter \[U: the messages\]); `statement_descriptor`
//!   is refused on PaymentIntents whose `payment_method_types` include `card`, as Stripe does
//!   since 2024-01-02 \[U: on update, capture and increment as on create\].
//! - **Outcomes** come from the card ([`cards`]): manual capture → `requires_capture`,
//!   `amount_capturable = amount`; automatic → `succeeded`, `amount_received = amount`. A
//!   decline is a 402 `card_error` (`code`, `decline_code`, `advice_code`,
//!   `network_decline_code` \[U: the last two's values\], `charge`, `payment_method`,
//!   `payment_intent` embedded in `requires_payment_method` with `last_payment_error`); the
//!   failed Charge is the intent's `latest_charge`. Another confirmation may follow.
//! - **Charge flags** (`latest_charge.payment_method_details.card`): `capture_before` = now +
//!   7 days for manual capture, + 30 days when extended authorization applied;
//!   `extended_authorization`, `incremental_authorization`, `multicapture` and `overcapture`
//!   are `enabled`/`available` when requested with `if_available`, capture is manual and the
//!   network is Visa, Mastercard, Amex or Discover \[U: Stripe also needs IC+ pricing, and
//!   answered `disabled` to a plain test account\]. Overcapture allows capturing up to 120 %
//!   of the authorized amount \[U\].
//! - **3D Secure** ([`cards::THREE_DS_REQUIRED`], `pm_card_threeDSecure2Required`, ...; or
//!   `request_three_d_secure=any|challenge` on [`cards::THREE_DS_OPTIONAL`]) →
//!   `requires_action` with `next_action.redirect_to_url.url` = `{base}sim/stripe/3ds/{id}`
//!   \[U: Stripe answers `use_stripe_sdk` when no `return_url` is given; the simulator always
//!   gives a URL the "customer" can open\]. `off_session=true` or
//!   `error_on_requires_action=true` decline it `authentication_required` instead.
//! - **Imported 3D Secure results** (`payment_method_options[card][three_d_secure]`, Stripe's
//!   "Import 3D Secure results"): the parameters of the 2024-04-10 document (`cryptogram`,
//!   `transaction_id` and `version` required; `version` one of `1.0.2`, `2.1.0`, `2.2.0`;
//!   `electronic_commerce_indicator` one of `01 02 05 06 07`; `ares_trans_status` one of
//!   `A C I N R U Y`; `exemption_indicator`, `requestor_challenge_indicator` (2 digits, 01–99),
//!   `network_options[cartes_bancaires]`), each refused with a 400 naming it; the cryptogram
//!   must be 20 bytes base64-encoded into 28 characters, as Stripe describes it \[U: whether
//!   Stripe checks that\]. A result that authenticated (`ares_trans_status` `Y`, `A`, `C` or
//!   none) takes the place of Stripe's 3DS: the payment is authorized without
//!   `requires_action`, even on [`cards::THREE_DS_REQUIRED`] \[U: see `state`\]; one that did
//!   not (`N`, `R`, `U`, `I`) leaves the card's 3DS rules as they are. The Charge's
//!   `payment_method_details.card.three_d_secure` reports it (`transaction_id`, `version`,
//!   `electronic_commerce_indicator` as sent; `result` and `authentication_flow` from
//!   `ares_trans_status` \[U\]). The PaymentIntent does not echo it (its
//!   `payment_method_options.card` has no such field in the document);
//!   `GET /sim/stripe/payment_intents/{id}/three_d_secure` answers it as it arrived.
//! - **Increments** (`amount` = new total): only in `requires_capture`, with incremental
//!   authorization `available`, nothing captured, `amount` above the current amount (else
//!   400 `amount_too_small`), and at most 10 attempts per intent, declines included. Every
//!   refusal of the intent's state (wrong status, not available, captured, the 11th attempt)
//!   is 400 `payment_intent_unexpected_state` with a message saying which \[U: Stripe's codes
//!   for these are unconfirmed; no code was invented\]. Success: `amount` and
//!   `amount_capturable` are the new total, the Charge's amount too, and
//!   `payment_intent.amount_capturable_updated` is sent \[U\]. A decline (test hook) is a 402
//!   `card_declined` that changes nothing else.
//! - **Captures**: `amount_to_capture` ≤ `amount_capturable` (else 400 `amount_too_large`);
//!   `final_capture=false` only with multicapture available (else 400 naming the parameter),
//!   leaving `requires_capture` with the rest capturable; a final partial capture releases the
//!   rest, which the Charge reports in `amount_refunded` \[U\].
//! - **Cancel** from any status but `succeeded`/`canceled` (else 400
//!   `payment_intent_unexpected_state`); releases what is capturable.
//! - **Refunds** by `payment_intent` or `charge`, `amount` defaulting to what remains: more than
//!   remains → 400 `amount_too_large`; nothing left → 400 `charge_already_refunded`; an intent
//!   without a captured charge → 400 `payment_intent_unexpected_state`. On
//!   [`cards::REFUND_FAILS`] a refund is answered `succeeded`, as Stripe does, and is `failed`
//!   with `failure_reason: expired_or_canceled_card` when next retrieved (`refund.updated`,
//!   `refund.failed`, `charge.refund.updated`), its amount refundable again (Stripe fails it
//!   asynchronously; retrieving is the simulator's moment for "later").
//! - **Lists** (`GET /v1/payment_intents`, `GET /v1/refunds`): `{object: "list", data,
//!   has_more, url}`, filters applied before paging, `has_more` true when objects lie beyond
//!   the page; see `lists` for the \[U\] choices (errors of cursors and limits, the
//!   PaymentIntents' order, which Stripe's document does not state).
//! - **Idempotency** as Stripe documents it: `Idempotency-Key` (≤ 255 characters) on a POST
//!   stores the first answer (status and body, 402s and 500s included) and replays it; the
//!   same key on another path or with other parameters (compared decoded, in any order) → 400
//!   `idempotency_error`; a key still in flight → 409 `idempotency_key_in_use`. Answers to
//!   requests that failed authentication or validation are not stored. Keys are global to the
//!   account. Faults injected by the control layer come first and are never stored.
//! - **Injected faults** ([`crate::Fault::Status`]) are answered in Stripe's error shape: 5xx
//!   as `api_error` with `Stripe-Should-Retry: true`, 429 as `rate_limit`, 409 as
//!   `idempotency_key_in_use`.
//! - **Webhooks**: Event objects (`evt_…`, `api_version: "2024-04-10"`, `data.object` the
//!   object as the request that caused the event left it \[U: Stripe snapshots each event's
//!   object when the event is created, so e.g. `payment_intent.created` of a create-and-confirm
//!   may show an earlier status\], `data.previous_attributes` on updates, `pending_webhooks: 1`,
//!   `request: {id, idempotency_key}`, null for the simulator's own changes) with
//!   `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(webhook_secret, "{t}.{body}")>`. Types:
//!   `payment_intent.created`, `.requires_action`, `.amount_capturable_updated`, `.succeeded`,
//!   `.payment_failed`, `.canceled`; `charge.succeeded`, `.failed`, `.captured`, `.refunded`,
//!   `.expired`, `.refund.updated`; `refund.created`, `.updated`, `.failed`. Each is also
//!   served by `GET /v1/events/{id}`.
//!
//! # Helper routes (`/sim/stripe/...`: no auth, not counted, never faulted)
//!
//! - `GET /sim/stripe/3ds/{id}[?outcome=fail]` — the 3D Secure page: completes authentication
//!   (the card's issuer verdict then applies: `requires_capture` or `succeeded`) or fails it
//!   (`requires_payment_method`, `last_payment_error.code =
//!   payment_intent_authentication_failure`). Redirects (302) to the `return_url` with
//!   `payment_intent`, `payment_intent_client_secret` and `redirect_status`; 200 text when
//!   there is none; 409 when the intent is not awaiting authentication.
//! - `GET /sim/stripe/payment_intents/{id}/three_d_secure` — the imported 3DS result of the
//!   intent's last confirmation that had one, as it arrived (`{"three_d_secure": {…}}`, the
//!   cryptogram included), for tests to read back; 404 when there is none.
//! - `POST /sim/stripe/payment_intents/{id}/decline-next-increment` — the next increment is
//!   declined (402 `card_declined`; counts as an attempt).
//! - `POST /sim/stripe/payment_intents/{id}/expire` — the uncaptured authorization lapses:
//!   `canceled` with `cancellation_reason: automatic` (`charge.expired`,
//!   `payment_intent.canceled`) \[U\].
//! - `POST /sim/stripe/next-error[?status=500][&should_retry=false|true|none]` — the next
//!   authenticated API request is answered `status` (500–599) as an `api_error` with
//!   `Stripe-Should-Retry: false` by default. Unlike a control-layer fault it comes from the
//!   endpoint, so an idempotency key stores and replays it, as Stripe does with its 500s.
//!
//! # Counters
//!
//! `authorizations` counts confirmations (approved, declined or sent to 3D Secure);
//! `increments` processed increments (approved or declined); `captures`, `voids` (cancels) and
//! `refunds` the operations performed.

pub mod cards;
mod checks;
mod errors;
mod form;
mod handlers;
mod hooks;
mod ids;
mod lists;
mod model;
mod params;
mod payment_methods;
mod refunds;
mod requests;
mod state;
mod tokens;
mod wire;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::http::HeaderName;
use url::Url;

use crate::control::{
    self, IdempotencyRules, KeyScope, ParameterCheck, ServeOptions, SimulatorHandle,
};

/// The API version whose shapes the simulator answers with (and that events carry).
pub const API_VERSION: &str = "2024-04-10";

/// The simulator's keys and webhook destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSimConfig {
    /// The only accepted secret key (Bearer token or Basic user name).
    pub secret_key: String,
    /// The publishable key: accepted by `POST /v1/tokens` only, as Stripe accepts it there
    /// (browsers and Google Pay's gateway make tokens with it); Google Pay's sheet names it.
    pub publishable_key: String,
    /// The endpoint secret of the `Stripe-Signature` HMAC on webhooks.
    pub webhook_secret: String,
    /// Where webhooks are POSTed from the start (see
    /// [`SimulatorHandle::set_webhook_target`]).
    pub webhook_url: Option<Url>,
}

impl Default for StripeSimConfig {
    /// Test keys: `sk_test_paybridge_sim`, `pk_test_paybridge_sim`, `whsec_paybridge_sim`, no
    /// webhook URL.
    fn default() -> Self {
        StripeSimConfig {
            secret_key: "sk_test_paybridge_sim".to_owned(),
            publishable_key: "pk_test_paybridge_sim".to_owned(),
            webhook_secret: "whsec_paybridge_sim".to_owned(),
            webhook_url: None,
        }
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: StripeSimConfig) -> std::io::Result<SimulatorHandle> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    config: StripeSimConfig,
) -> std::io::Result<SimulatorHandle> {
    let options = ServeOptions {
        idempotency: Some(IdempotencyRules {
            header: HeaderName::from_static("idempotency-key"),
            scope: KeyScope::Key,
            // Everything the endpoint answered, 5xx included; validation and authentication
            // failures are marked `NotStored` by the handlers.
            stores: |_| true,
            in_flight: handlers::key_in_use,
            reuse: None,
            parameters: Some(ParameterCheck {
                fingerprint: form::fingerprint,
                mismatch: handlers::key_mismatch,
            }),
        }),
        fault_response: handlers::fault_response,
        webhook_target: config.webhook_url.clone(),
    };
    control::start(addr, options, |control| {
        handlers::router(Arc::new(handlers::Sim {
            config,
            control,
            state: Mutex::default(),
            next_errors: Mutex::new(VecDeque::new()),
        }))
    })
    .await
}
