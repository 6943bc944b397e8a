//! The HTTP routes: Stripe's API (`/v1/...`, answered here) and the simulator's
//! `/sim/stripe/...` helpers (answered by [`super::hooks`]); the answers to idempotency
//! conflicts and injected faults.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use paybridge_core::webhook::{hmac_sha256, SignatureEncoding};
use serde_json::Value;
use time::OffsetDateTime;

use super::checks::{authenticate, check_idempotency_key, check_version, header};
use super::errors::ApiError;
use super::hooks::{self, injected_error, InjectedError};
use super::lists;
use super::model::{Event, Object, PaymentError};
use super::params::{self, Spec};
use super::state::State as Store;
use super::wire::{self, Origin, View};
use super::{cards, ids, requests, tokens, StripeSimConfig, API_VERSION};
use crate::control::{lock, Control, DeliveredWebhook, Mismatch, Operation};

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const STRIPE_VERSION: HeaderName = HeaderName::from_static("stripe-version");
const IDEMPOTENCY_KEY: &str = "idempotency-key";
const STRIPE_SIGNATURE: &str = "Stripe-Signature";

/// The simulator's state, shared by every route.
pub(crate) struct Sim {
    pub(crate) config: StripeSimConfig,
    pub(crate) control: Control,
    pub(crate) state: Mutex<Store>,
    pub(crate) next_errors: Mutex<VecDeque<InjectedError>>,
}

/// What the API middleware learned about a request, for the handlers.
#[derive(Debug, Clone)]
struct Ctx {
    request_id: String,
    idempotency_key: Option<String>,
}

impl Ctx {
    fn origin(&self) -> Origin {
        Origin {
            request_id: Some(self.request_id.clone()),
            idempotency_key: self.idempotency_key.clone(),
        }
    }
}

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/v1/payment_intents", post(create_intent).get(list_intents))
        .route(
            "/v1/payment_intents/{id}",
            get(retrieve_intent).post(update_intent),
        )
        .route("/v1/payment_intents/{id}/confirm", post(confirm_intent))
        .route("/v1/payment_intents/{id}/capture", post(capture))
        .route("/v1/payment_intents/{id}/cancel", post(cancel))
        .route(
            "/v1/payment_intents/{id}/increment_authorization",
            post(increment),
        )
        .route("/v1/payment_methods", post(create_payment_method))
        .route("/v1/payment_methods/{id}", get(retrieve_payment_method))
        .route("/v1/tokens", post(create_token))
        .route("/v1/tokens/{id}", get(retrieve_token))
        .route("/v1/refunds", post(create_refund).get(list_refunds))
        .route("/v1/refunds/{id}", get(retrieve_refund))
        .route("/v1/charges/{id}", get(retrieve_charge))
        .route("/v1/events/{id}", get(retrieve_event))
        .fallback(unrecognized)
        .method_not_allowed_fallback(unrecognized)
        .layer(middleware::from_fn_with_state(sim.clone(), api_middleware));
    let helpers = Router::new()
        .route("/sim/stripe/3ds/{id}", get(hooks::authenticate_3ds))
        .route(
            "/sim/stripe/payment_intents/{id}/three_d_secure",
            get(hooks::imported_three_d_secure),
        )
        .route(
            "/sim/stripe/payment_intents/{id}/decline-next-increment",
            post(hooks::decline_next_increment),
        )
        .route(
            "/sim/stripe/payment_intents/{id}/expire",
            post(hooks::expire),
        )
        .route("/sim/stripe/next-error", post(hooks::queue_error));
    api.merge(helpers).with_state(sim)
}

pub(super) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Around every API route: authentication, `Stripe-Version` and `Idempotency-Key` checks, an
/// injected error, then the `Request-Id` and `Stripe-Version` answer headers.
async fn api_middleware(State(sim): State<Arc<Sim>>, mut request: Request, next: Next) -> Response {
    let request_id = ids::request();
    let headers = request.headers();
    let version = header(headers, STRIPE_VERSION.as_str()).map(str::to_owned);
    let idempotency_key = header(headers, IDEMPOTENCY_KEY).map(str::to_owned);
    // Tokens are made in browsers and by wallets' gateways too: with the publishable key.
    let tokenizing = request.method() == Method::POST && request.uri().path() == "/v1/tokens";
    let keys = [sim.config.secret_key.as_str(), &sim.config.publishable_key];
    let keys = if tokenizing { &keys[..] } else { &keys[..1] };
    let checked = authenticate(keys, headers)
        .and_then(|()| check_version(version.as_deref()))
        .and_then(|()| check_idempotency_key(idempotency_key.as_deref()));
    let mut response = match checked {
        Err(error) => {
            let unauthorized = error.http_status() == StatusCode::UNAUTHORIZED;
            let mut response = error.into_response();
            if unauthorized {
                response.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Stripe\""),
                );
            }
            response
        }
        Ok(()) => {
            let injected = lock(&sim.next_errors).pop_front();
            match injected {
                Some(injected) => injected_error(injected).into_response(),
                None => {
                    request.extensions_mut().insert(Ctx {
                        request_id: request_id.clone(),
                        idempotency_key,
                    });
                    next.run(request).await
                }
            }
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    let version = version.unwrap_or_else(|| API_VERSION.to_owned());
    if let Ok(value) = HeaderValue::from_str(&version) {
        headers.insert(STRIPE_VERSION, value);
    }
    response
}

/// The answer to a request whose `Idempotency-Key` is still being processed: 409
/// `idempotency_key_in_use`, with `Stripe-Should-Retry: true` \[U: the header\].
pub(crate) fn key_in_use() -> Response {
    ApiError::invalid(
        "There is currently another in-progress request using this Idempotent Key (that \
         probably means you submitted twice, and the other request is still going through). \
         Please try again later.",
    )
    .code("idempotency_key_in_use")
    .status(StatusCode::CONFLICT)
    .should_retry(true)
    .into_response()
}

/// The answer to a key reused for another request: 400 `idempotency_error`.
pub(crate) fn key_mismatch(mismatch: &Mismatch<'_>) -> Response {
    let key = mismatch.key;
    let message = if mismatch.first_path == mismatch.path {
        format!(
            "Keys for idempotent requests can only be used with the same parameters they were \
             first used with. Try using a key other than '{key}' if you meant to execute a \
             different request."
        )
    } else {
        format!(
            "Keys for idempotent requests can only be used for the same endpoint they were \
             first used for ('{}' vs '{}'). Try using a key other than '{key}' if you meant to \
             execute a different request.",
            mismatch.first_path, mismatch.path
        )
    };
    ApiError::idempotency(message).into_response()
}

/// The answer to an injected `Fault::Status`, in Stripe's error shape for the status; 5xx
/// carry `Stripe-Should-Retry: true` (the fault happened before the endpoint ran, so a retry
/// can succeed).
pub(crate) fn fault_response(status: StatusCode) -> Response {
    let error = match status.as_u16() {
        401 => ApiError::unauthorized("Invalid API Key provided: ****".to_owned()),
        402 => ApiError::declined(&cards::GENERIC),
        409 => return key_in_use(),
        429 => ApiError::invalid(
            "Too many requests hit the API too quickly. We recommend an exponential backoff of \
             your requests.",
        )
        .code("rate_limit"),
        500..=599 => ApiError::api(
            status,
            "An unknown error occurred (a fault injected by the paybridge Stripe simulator).",
        )
        .should_retry(true),
        _ => ApiError::invalid(format!(
            "A fault injected by the paybridge Stripe simulator (HTTP {status})."
        )),
    };
    let mut response = error.status(status).into_response();
    if let Ok(value) = HeaderValue::from_str(&ids::request()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// 404 for an unknown URL or method under `/v1`.
async fn unrecognized(request: Request) -> Response {
    ApiError::validation(format!(
        "Unrecognized request URL ({}: {}). Please see https://stripe.com/docs or we can help \
         at https://support.stripe.com/.",
        request.method(),
        request.uri().path()
    ))
    .status(StatusCode::NOT_FOUND)
    .into_response()
}

impl Sim {
    fn view<'a>(&'a self, state: &'a Store, expand: &'a [String]) -> View<'a> {
        View {
            state,
            base: self.control.base_url(),
            expand,
        }
    }

    /// Renders, signs and emits one webhook per event, and keeps each event for
    /// `GET /v1/events/{id}`. Called with the state locked, right after the change, so
    /// webhooks leave in the order of the changes. (The outbox's locks are only ever taken
    /// after the state's.)
    pub(super) fn announce(&self, state: &mut Store, events: &[Event], origin: &Origin) {
        let now = now();
        // Events of one change often carry the same object, as it is now: rendered once.
        let mut objects: Vec<(&Object, Value)> = Vec::with_capacity(events.len());
        let mut rendered = Vec::with_capacity(events.len());
        for event in events {
            let index = match objects.iter().position(|(o, _)| *o == &event.object) {
                Some(index) => index,
                None => {
                    let object = wire::object(self.view(state, &[]), &event.object);
                    objects.push((&event.object, object));
                    objects.len() - 1
                }
            };
            let id = ids::new("evt");
            let body = wire::EventBody::new(
                &id,
                event.kind,
                now.unix_timestamp(),
                &objects[index].1,
                event.previous.as_ref(),
                origin,
            );
            // Plain data (strings, numbers, `Value`s) always serializes.
            let body = serde_json::to_vec(&body).unwrap_or_default();
            rendered.push((id, Bytes::from(body)));
        }
        for (id, body) in rendered {
            state.events.insert(id, body.clone());
            self.control.emit_webhook(self.sign(body, now));
        }
    }

    /// `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`.
    fn sign(&self, body: Bytes, now: OffsetDateTime) -> DeliveredWebhook {
        let timestamp = now.unix_timestamp().to_string();
        let mac = hmac_sha256(
            self.config.webhook_secret.as_bytes(),
            &[timestamp.as_bytes(), b".", &body],
        );
        let signature = format!("t={timestamp},v1={}", SignatureEncoding::Hex.encode(&mac));
        let headers = vec![
            (
                CONTENT_TYPE.to_string(),
                "application/json; charset=utf-8".to_owned(),
            ),
            (
                USER_AGENT.to_string(),
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)".to_owned(),
            ),
            (STRIPE_SIGNATURE.to_owned(), signature),
        ];
        DeliveredWebhook { headers, body }
    }

    /// The answer for an intent: 200 with it, or 402 with the decline and the intent embedded.
    pub(super) fn intent_answer(
        &self,
        state: &Store,
        id: &str,
        expand: &[String],
        decline: Option<&PaymentError>,
    ) -> Response {
        let Some(intent) = state.intents.get(id) else {
            return ApiError::missing("payment_intent", id, "intent").into_response();
        };
        match decline {
            Some(decline) => wire::payment_error(state, decline)
                .with(
                    "payment_intent",
                    wire::intent(self.view(state, &[]), intent),
                )
                .into_response(),
            None => ok(wire::intent(self.view(state, expand), intent)),
        }
    }
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// 200 with JSON already rendered.
fn json_text(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// Runs a handler body that fails with an [`ApiError`].
pub(super) fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A body (or query string) checked against `spec`, and its `expand[]` paths.
fn read(
    input: &[u8],
    spec: Spec,
    expansions: &[&str],
) -> Result<(params::Params, Vec<String>), ApiError> {
    let params = params::parse(input, spec)?;
    let expand = requests::expand(&params, expansions)?;
    Ok((params, expand))
}

fn query(raw: Option<String>) -> Vec<u8> {
    raw.unwrap_or_default().into_bytes()
}

/// `POST /v1/payment_intents`.
async fn create_intent(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::CREATE_INTENT, wire::INTENT_EXPANSIONS)?;
        let new = requests::new_intent(&params)?;
        let confirmed = new.confirm;
        let mut state = lock(&sim.state);
        let (id, outcome) = state.create_intent(new, now())?;
        if confirmed {
            sim.control.record(Operation::Authorization);
        }
        sim.announce(&mut state, &outcome.events, &ctx.origin());
        Ok(sim.intent_answer(&state, &id, &expand, outcome.decline.as_ref()))
    })())
}

/// `GET /v1/payment_intents`: the account's PaymentIntents, newest first (see [`lists`]).
async fn list_intents(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Response {
    answer((|| {
        let (params, expand) = read(
            &query(raw),
            params::LIST_INTENTS,
            wire::LIST_INTENT_EXPANSIONS,
        )?;
        let paging = lists::paging(&params)?;
        let state = lock(&sim.state);
        let ordered = lists::newest_first(
            state
                .intent_order
                .iter()
                .filter_map(|id| state.intents.get(id))
                .map(|intent| (intent.id.as_str(), intent.created)),
        );
        let (ids, has_more) = lists::page(&ordered, |_| true, &paging, "payment_intent")?;
        let expand = lists::item_expansions(&expand);
        let view = sim.view(&state, &expand);
        let data = ids
            .iter()
            .filter_map(|id| state.intents.get(*id))
            .map(|intent| wire::intent(view, intent))
            .collect();
        Ok(ok(wire::list("/v1/payment_intents", data, has_more)))
    })())
}

/// `GET /v1/refunds`: the account's refunds, newest first, of one PaymentIntent or Charge when
/// `payment_intent` or `charge` is given (an unknown one is 404 `resource_missing` \[U\]).
/// Listing a refund is, like retrieving it, the moment a [`cards::REFUND_FAILS`] refund fails.
async fn list_refunds(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Response {
    answer((|| {
        let (params, expand) = read(
            &query(raw),
            params::LIST_REFUNDS,
            wire::LIST_REFUND_EXPANSIONS,
        )?;
        let paging = lists::paging(&params)?;
        let mut state = lock(&sim.state);
        let intent = params.str("/payment_intent");
        if let Some(id) = intent.filter(|id| !state.intents.contains_key(*id)) {
            return Err(ApiError::missing("payment_intent", id, "payment_intent"));
        }
        let charge = params.str("/charge");
        if let Some(id) = charge.filter(|id| !state.charges.contains_key(*id)) {
            return Err(ApiError::missing("charge", id, "charge"));
        }
        let (ids, has_more) = {
            let ordered = lists::newest_first(
                state
                    .refund_order
                    .iter()
                    .filter_map(|id| state.refunds.get(id))
                    .map(|refund| (refund.id.as_str(), refund.created)),
            );
            let keep = |id: &str| {
                state.refunds.get(id).is_some_and(|refund| {
                    intent.is_none_or(|i| refund.payment_intent == i)
                        && charge.is_none_or(|c| refund.charge == c)
                })
            };
            let (ids, has_more) = lists::page(&ordered, keep, &paging, "refund")?;
            let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
            (ids, has_more)
        };
        for id in &ids {
            let events = state.settle_refund(id);
            sim.announce(&mut state, &events, &Origin::default());
        }
        let expand = lists::item_expansions(&expand);
        let view = sim.view(&state, &expand);
        let data = ids
            .iter()
            .filter_map(|id| state.refunds.get(id))
            .map(|refund| wire::refund(view, refund))
            .collect();
        Ok(ok(wire::list("/v1/refunds", data, has_more)))
    })())
}

/// `GET /v1/payment_intents/{id}`.
async fn retrieve_intent(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        let (_, expand) = read(
            &query(raw),
            params::RETRIEVE_INTENT,
            wire::INTENT_EXPANSIONS,
        )?;
        let state = lock(&sim.state);
        Ok(sim.intent_answer(&state, &id, &expand, None))
    })())
}

/// `POST /v1/payment_intents/{id}`: metadata, description, amount (before confirmation), ...
async fn update_intent(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::UPDATE_INTENT, wire::INTENT_EXPANSIONS)?;
        let update = requests::update(&params)?;
        let mut state = lock(&sim.state);
        if let Some(intent) = state.intents.get(&id) {
            let card = intent.payment_method_types.iter().any(|t| t == "card");
            requests::descriptors(&params, card)?;
            if let Some(amount) = update.amount {
                requests::amount(amount, &intent.currency, "amount")?;
            }
        }
        state.update(&id, update)?;
        Ok(sim.intent_answer(&state, &id, &expand, None))
    })())
}

/// `POST /v1/payment_intents/{id}/confirm`.
async fn confirm_intent(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::CONFIRM_INTENT, wire::INTENT_EXPANSIONS)?;
        let confirmation = requests::confirmation(&params)?;
        let mut state = lock(&sim.state);
        let outcome = state.confirm(&id, confirmation, now())?;
        sim.control.record(Operation::Authorization);
        sim.announce(&mut state, &outcome.events, &ctx.origin());
        Ok(sim.intent_answer(&state, &id, &expand, outcome.decline.as_ref()))
    })())
}

/// `POST /v1/payment_intents/{id}/capture`.
async fn capture(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::CAPTURE_INTENT, wire::INTENT_EXPANSIONS)?;
        // Only card payments are captured here.
        requests::descriptors(&params, true)?;
        let mut state = lock(&sim.state);
        let events = state.capture(&id, requests::capture(&params))?;
        sim.control.record(Operation::Capture);
        sim.announce(&mut state, &events, &ctx.origin());
        Ok(sim.intent_answer(&state, &id, &expand, None))
    })())
}

/// `POST /v1/payment_intents/{id}/cancel`.
async fn cancel(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::CANCEL_INTENT, wire::INTENT_EXPANSIONS)?;
        let reason = params.str("/cancellation_reason").map(str::to_owned);
        let mut state = lock(&sim.state);
        let events = state.cancel(&id, reason, now())?;
        sim.control.record(Operation::Void);
        sim.announce(&mut state, &events, &ctx.origin());
        Ok(sim.intent_answer(&state, &id, &expand, None))
    })())
}

/// `POST /v1/payment_intents/{id}/increment_authorization`.
async fn increment(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::INCREMENT_INTENT, wire::INTENT_EXPANSIONS)?;
        // Only card payments are incremented.
        requests::descriptors(&params, true)?;
        let mut state = lock(&sim.state);
        let outcome = state.increment(&id, requests::increment(&params))?;
        sim.control.record(Operation::Increment);
        sim.announce(&mut state, &outcome.events, &ctx.origin());
        Ok(sim.intent_answer(&state, &id, &expand, outcome.decline.as_ref()))
    })())
}

/// `POST /v1/payment_methods`: a card PaymentMethod from raw card data.
async fn create_payment_method(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer((|| {
        let (params, _) = read(&body, params::CREATE_PAYMENT_METHOD, &[])?;
        let data = requests::new_payment_method(&params)?;
        let mut state = lock(&sim.state);
        let id = state.create_payment_method(data, now())?;
        let method = state.payment_methods.get(&id).map(wire::payment_method);
        Ok(ok(method.unwrap_or(Value::Null)))
    })())
}

/// `GET /v1/payment_methods/{id}`: one created earlier (`pm_card_…` test PaymentMethods are
/// only names to pay with, never objects of the account).
async fn retrieve_payment_method(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        read(&query(raw), params::RETRIEVE, &[])?;
        let state = lock(&sim.state);
        let method = state
            .payment_methods
            .get(&id)
            .ok_or_else(|| ApiError::missing("payment_method", &id, "payment_method"))?;
        Ok(ok(wire::payment_method(method)))
    })())
}

/// `POST /v1/tokens`: a card token from an Apple Pay token (`pk_token`) or card data.
async fn create_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer((|| {
        let (params, _) = read(&body, params::CREATE_TOKEN, &[])?;
        let (new, holder) = requests::new_token(&params)?;
        let mut state = lock(&sim.state);
        let id = state.create_token(new, holder, now())?;
        let token = state.tokens.get(&id).map(tokens::token);
        Ok(ok(token.unwrap_or(Value::Null)))
    })())
}

/// `GET /v1/tokens/{id}`: a token the simulator issued, `used` once paid with (Stripe's test
/// tokens are names to pay with, not objects of the account \[U\]).
async fn retrieve_token(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        read(&query(raw), params::RETRIEVE, &[])?;
        let state = lock(&sim.state);
        let token = state
            .tokens
            .get(&id)
            .ok_or_else(|| ApiError::missing("token", &id, "token"))?;
        Ok(ok(tokens::token(token)))
    })())
}

/// `POST /v1/refunds`.
async fn create_refund(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Response {
    answer((|| {
        let (params, expand) = read(&body, params::CREATE_REFUND, wire::REFUND_EXPANSIONS)?;
        let new = requests::new_refund(&params)?;
        let mut state = lock(&sim.state);
        let (id, events) = state.refund(new, now())?;
        sim.control.record(Operation::Refund);
        sim.announce(&mut state, &events, &ctx.origin());
        let refund = state
            .refunds
            .get(&id)
            .map(|r| wire::refund(sim.view(&state, &expand), r));
        Ok(ok(refund.unwrap_or(Value::Null)))
    })())
}

/// `GET /v1/refunds/{id}`. A succeeded refund of [`cards::REFUND_FAILS`] fails now.
async fn retrieve_refund(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        let (_, expand) = read(&query(raw), params::RETRIEVE, wire::REFUND_EXPANSIONS)?;
        let mut state = lock(&sim.state);
        if !state.refunds.contains_key(&id) {
            return Err(ApiError::missing("refund", &id, "refund"));
        }
        let events = state.settle_refund(&id);
        sim.announce(&mut state, &events, &Origin::default());
        let refund = state
            .refunds
            .get(&id)
            .map(|r| wire::refund(sim.view(&state, &expand), r));
        Ok(ok(refund.unwrap_or(Value::Null)))
    })())
}

/// `GET /v1/charges/{id}`.
async fn retrieve_charge(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        let (_, expand) = read(&query(raw), params::RETRIEVE, wire::CHARGE_EXPANSIONS)?;
        let state = lock(&sim.state);
        let charge = state
            .charges
            .get(&id)
            .ok_or_else(|| ApiError::missing("charge", &id, "charge"))?;
        Ok(ok(wire::charge(sim.view(&state, &expand), charge)))
    })())
}

/// `GET /v1/events/{id}`: an event exactly as it was sent.
async fn retrieve_event(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer((|| {
        read(&query(raw), params::RETRIEVE, &[])?;
        let state = lock(&sim.state);
        let event = state
            .events
            .get(&id)
            .ok_or_else(|| ApiError::missing("event", &id, "id"))?;
        Ok(json_text(event.clone()))
    })())
}
