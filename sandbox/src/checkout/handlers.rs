//! The HTTP routes: Checkout.com's payments API and the simulator's `/sim/` helpers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use paybridge_core::webhook::{hmac_sha256, SignatureEncoding};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::state::{Event, Payment, Payments, Rejection, Status};
use super::tokens::Tokens;
use super::{wire, CheckoutSimConfig};
use crate::control::{lock, Control, DeliveredWebhook, Operation};

const REQUEST_ID: HeaderName = HeaderName::from_static("cko-request-id");

/// The simulator's state, shared by every route.
pub(crate) struct Sim {
    pub(crate) config: CheckoutSimConfig,
    pub(crate) control: Control,
    pub(crate) payments: Mutex<Payments>,
    /// Wallet tokens of `POST /tokens`. Never locked while holding `payments`.
    pub(crate) tokens: Mutex<Tokens>,
}

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/payments", post(create_payment).get(list_payments))
        .route("/payments/{id}", get(get_payment))
        .route("/payments/{id}/actions", get(get_actions))
        .route("/payments/{id}/authorizations", post(increment))
        .route("/payments/{id}/captures", post(capture))
        .route("/payments/{id}/voids", post(void))
        .route("/payments/{id}/refunds", post(refund))
        .route_layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    let tokens = Router::new()
        .route("/tokens", post(create_token))
        .route_layer(middleware::from_fn_with_state(
            sim.clone(),
            authenticate_public,
        ));
    let helpers = Router::new()
        .route("/sim/3ds/{id}", get(complete_authentication))
        .route("/sim/payments/{id}/3ds", get(third_party_result))
        .route("/sim/tokens/{token}/expire", post(expire_token))
        .route("/sim/payments/{id}/expire", post(expire))
        .route(
            "/sim/payments/{id}/decline-next-increment",
            post(decline_next_increment),
        )
        .route(
            "/sim/payments/{id}/decline-next-refund",
            post(decline_next_refund),
        );
    api.merge(tokens).merge(helpers).with_state(sim)
}

/// `Authorization: Bearer <secret_key>`, exactly; anything else is 401 with an empty body.
async fn authenticate(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    bearer_only(&sim.config.secret_key, request, next).await
}

/// `Authorization: Bearer <public_key>` for `POST /tokens` (the document's `ApiPublicKey`): the
/// secret key is refused like any other, 401 with an empty body.
async fn authenticate_public(
    State(sim): State<Arc<Sim>>,
    request: Request,
    next: Next,
) -> Response {
    bearer_only(&sim.config.public_key, request, next).await
}

async fn bearer_only(key: &str, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {key}");
    let authorized = request
        .headers()
        .get(AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == expected.as_bytes());
    if authorized {
        next.run(request).await
    } else {
        answer(StatusCode::UNAUTHORIZED, None, &request_id())
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An answer with a `Cko-Request-Id` header and an optional JSON body.
fn answer(status: StatusCode, body: Option<Value>, request_id: &str) -> Response {
    let mut response = match body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn ok(status: StatusCode, body: Value) -> Response {
    answer(status, Some(body), &request_id())
}

/// A Checkout error: `{request_id, error_type, error_codes}` (ValidationError).
fn error(status: StatusCode, error_type: &str, codes: &[&str]) -> Response {
    let id = request_id();
    answer(status, Some(wire::error_body(&id, error_type, codes)), &id)
}

/// 422 `request_invalid` with the validation's codes.
fn invalid(codes: &[&str]) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, "request_invalid", codes)
}

/// 422 for a body that is not a JSON object \[U: the code Checkout uses\].
fn malformed() -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "request_malformed",
        &["request_body_malformed"],
    )
}

/// 404 with an empty body, as Checkout answers an unknown payment.
fn not_found() -> Response {
    answer(StatusCode::NOT_FOUND, None, &request_id())
}

fn rejected(rejection: Rejection) -> Response {
    match rejection {
        // [U] error_type for 403: the document gives no body for it.
        Rejection::NotAllowed(code) => error(StatusCode::FORBIDDEN, "action_not_allowed", &[code]),
        Rejection::Invalid(code) => invalid(&[code]),
    }
}

/// The answer to an injected `Fault::Status`: Checkout's error shape where the document has one
/// (422, 429), an empty body otherwise (401, 5xx) \[U: bodies of 429 and 5xx\].
pub(crate) fn fault_response(status: StatusCode) -> Response {
    match status {
        StatusCode::UNPROCESSABLE_ENTITY => invalid(&["simulated_failure"]),
        StatusCode::TOO_MANY_REQUESTS => error(status, "too_many_requests", &["too_many_requests"]),
        _ => answer(status, None, &request_id()),
    }
}

/// The answer to a request whose idempotency key is still being processed: 429, as Checkout
/// documents \[C\]; the body's code is \[U\].
pub(crate) fn duplicate_in_flight() -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        &["duplicate_request"],
    )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Sim {
    /// Signs and emits one webhook per event on `payment`. Called with the payments lock held,
    /// so webhooks leave in the order of the state changes and each shows the balances right
    /// after its change. (The outbox's locks are only ever taken after the payments lock.)
    fn announce(&self, payment: &Payment, events: &[Event]) {
        let base = self.control.base_url();
        for event in events {
            let body = wire::webhook(base, payment, event, now())
                .to_string()
                .into_bytes();
            let mac = hmac_sha256(self.config.webhook_secret.as_bytes(), &[&body]);
            let headers = vec![
                (CONTENT_TYPE.to_string(), "application/json".to_owned()),
                (
                    "Cko-Signature".to_owned(),
                    SignatureEncoding::Hex.encode(&mac),
                ),
            ];
            self.control.emit_webhook(DeliveredWebhook {
                headers,
                body: body.into(),
            });
        }
    }

    /// Runs `operation` on the payment `id` under the lock; when it succeeds, counts it as
    /// `counted` and announces its events. Returns the answer body.
    fn update(
        &self,
        id: &str,
        counted: Option<Operation>,
        operation: impl FnOnce(&mut Payment, &Self) -> Result<(Value, Vec<Event>), Rejection>,
    ) -> Result<Value, Failure> {
        let mut payments = lock(&self.payments);
        let payment = payments.get_mut(id).ok_or(Failure::NotFound)?;
        let (body, events) = operation(payment, self).map_err(Failure::Rejected)?;
        if let Some(operation) = counted {
            self.control.record(operation);
        }
        self.announce(payment, &events);
        Ok(body)
    }
}

/// The answer: `status` with the body, or the failure's answer.
fn finish(result: Result<Value, Failure>, status: StatusCode) -> Response {
    match result {
        Ok(body) => ok(status, body),
        Err(failure) => failure.into_response(),
    }
}

/// Why a request was not performed.
#[derive(Debug)]
enum Failure {
    /// The body is not a JSON object: 422.
    Malformed,
    /// The body failed validation: 422 with these codes.
    Invalid(Vec<&'static str>),
    /// No such payment: 404, empty body.
    NotFound,
    /// The payment's state refuses the operation: 403 or 422.
    Rejected(Rejection),
}

impl From<Vec<&'static str>> for Failure {
    fn from(codes: Vec<&'static str>) -> Self {
        Failure::Invalid(codes)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Malformed => malformed(),
            Failure::Invalid(codes) => invalid(&codes),
            Failure::NotFound => not_found(),
            Failure::Rejected(rejection) => rejected(rejection),
        }
    }
}

/// The body as a JSON object.
fn fields(body: &Bytes) -> Result<Map<String, Value>, Failure> {
    wire::object(body).map_err(|()| Failure::Malformed)
}

/// `POST /payments`.
async fn create_payment(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let now = now();
    let request = fields(&body).and_then(|fields| {
        let channel = &sim.config.processing_channel_id;
        let mut tokens = lock(&sim.tokens);
        let request = wire::payment_request(&fields, channel, now, &tokens)?;
        // A token pays once, and only for a request that was taken.
        let source = fields.get("source");
        if source.and_then(|s| s.get("type")) == Some(&Value::from("token")) {
            if let Some(token) = source.and_then(|s| s.get("token")).and_then(Value::as_str) {
                tokens.spend(token);
            }
        }
        Ok(request)
    });
    let request = match request {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let base = sim.control.base_url();
    let mut payment = Payment::new(request, now);
    let (status, body, events) = if payment.request.three_ds {
        let pending = Event {
            kind: "payment_pending",
            action: None,
        };
        (
            StatusCode::ACCEPTED,
            wire::accepted_response(base, &payment),
            vec![pending],
        )
    } else {
        let events = payment.authorize(now);
        (
            StatusCode::CREATED,
            wire::payment_response(base, &payment),
            events,
        )
    };
    let mut payments = lock(&sim.payments);
    sim.control.record(Operation::Authorization);
    sim.announce(&payment, &events);
    payments.insert(payment);
    drop(payments);
    ok(status, body)
}

/// `POST /tokens`: 201 `TokenResponse` for a Google Pay or Apple Pay token, 422 with Checkout's
/// error shape otherwise (see [`Tokens::create`]).
async fn create_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let result = fields(&body)
        .and_then(|fields| Ok(lock(&sim.tokens).create(&fields, now())?))
        .map(|body| ok(StatusCode::CREATED, body));
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /payments?reference=&limit=&skip=`: Checkout.com's "Get payment lists", which the
/// published document lacks \[U: parameters and answer from Checkout.com's public reference\].
/// The payments requested with `reference`, newest first; `limit` 1–100 (default 10), `skip`
/// ≥ 0 (default 0). Without `reference`, or with a `limit` or `skip` out of range, 422
/// `request_invalid` with `reference_required`, `paging_limit_invalid` or
/// `paging_skip_invalid` \[U: the codes\].
async fn list_payments(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(reference) = query.get("reference").filter(|r| !r.is_empty()) else {
        return invalid(&["reference_required"]);
    };
    let paging = |name: &str, default: usize, range: std::ops::RangeInclusive<usize>| {
        query.get(name).map_or(Some(default), |value| {
            value.parse().ok().filter(|n| range.contains(n))
        })
    };
    let Some(limit) = paging("limit", 10, 1..=100) else {
        return invalid(&["paging_limit_invalid"]);
    };
    let Some(skip) = paging("skip", 0, 0..=usize::MAX) else {
        return invalid(&["paging_skip_invalid"]);
    };
    let payments = lock(&sim.payments);
    let matching = payments.with_reference(reference);
    ok(
        StatusCode::OK,
        wire::payment_list(sim.control.base_url(), &matching, limit, skip),
    )
}

/// `GET /payments/{id}` (a `pay_` id or the `sid_` session id of a redirect).
async fn get_payment(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let payments = lock(&sim.payments);
    match payments.get(&id) {
        Some(payment) => ok(
            StatusCode::OK,
            wire::payment_details(sim.control.base_url(), payment),
        ),
        None => not_found(),
    }
}

/// `GET /payments/{id}/actions`.
async fn get_actions(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let payments = lock(&sim.payments);
    match payments.get(&id) {
        Some(payment) => ok(StatusCode::OK, wire::actions(payment)),
        None => not_found(),
    }
}

/// `POST /payments/{id}/authorizations`: 201 with the increment's result (approved or not).
async fn increment(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = fields(&body).and_then(|fields| {
        let (amount, action_fields) = wire::increment_request(&fields)?;
        sim.update(&id, Some(Operation::Increment), |payment, sim| {
            let (action, events) = payment.increment(amount, action_fields, now())?;
            let body = wire::authorization_response(sim.control.base_url(), payment, &action);
            Ok((body, events))
        })
    });
    finish(result, StatusCode::CREATED)
}

/// `POST /payments/{id}/captures`: 202, the capture already applied.
async fn capture(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = fields(&body).and_then(|fields| {
        let (amount, is_final, action_fields) = wire::capture_request(&fields)?;
        sim.update(&id, Some(Operation::Capture), |payment, sim| {
            let (action, events) = payment.capture(amount, is_final, action_fields, now())?;
            let body = wire::action_accepted(sim.control.base_url(), payment, &action);
            Ok((body, events))
        })
    });
    finish(result, StatusCode::ACCEPTED)
}

/// `POST /payments/{id}/voids`: 202, the void already applied.
async fn void(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = fields(&body).and_then(|fields| {
        let action_fields = wire::void_request(&fields)?;
        sim.update(&id, Some(Operation::Void), |payment, sim| {
            let (action, events) = payment.void(action_fields, now())?;
            let body = wire::action_accepted(sim.control.base_url(), payment, &action);
            Ok((body, events))
        })
    });
    finish(result, StatusCode::ACCEPTED)
}

/// `POST /payments/{id}/refunds`: 202, the refund already settled.
async fn refund(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = fields(&body).and_then(|fields| {
        let (amount, action_fields) = wire::refund_request(&fields)?;
        sim.update(&id, Some(Operation::Refund), |payment, sim| {
            let (action, events) = payment.refund(amount, action_fields, now())?;
            let body = wire::action_accepted(sim.control.base_url(), payment, &action);
            Ok((body, events))
        })
    });
    finish(result, StatusCode::ACCEPTED)
}

/// `GET /sim/3ds/{id}[?outcome=fail|cancel]`: the customer on the 3DS page. Completes the
/// authentication (the issuer then approves or declines the card), fails it (declined `20151`)
/// or abandons it (`Canceled`). Redirects to `success_url` / `failure_url` with a
/// `cko-session-id` query parameter when the payment has one, else answers a short text.
async fn complete_authentication(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let outcome = query.get("outcome").map(String::as_str);
    let (status, redirect) = {
        let mut payments = lock(&sim.payments);
        let Some(payment) = payments.get_mut(&id) else {
            return text(StatusCode::NOT_FOUND, "no such payment".to_owned());
        };
        if payment.status != Status::Pending {
            return text(
                StatusCode::CONFLICT,
                format!("payment {id} is not awaiting authentication"),
            );
        }
        let events = match outcome {
            None | Some("success") => payment.authorize(now()),
            Some("fail") => payment.fail_authentication(now()),
            Some("cancel") => payment.cancel(),
            Some(other) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("unknown outcome {other:?}: use success, fail or cancel"),
                )
            }
        };
        let target = if payment.approved {
            payment.request.success_url.clone()
        } else {
            payment.request.failure_url.clone()
        };
        let redirect = target.map(|mut url| {
            url.query_pairs_mut()
                .append_pair("cko-session-id", &payment.session_id);
            url
        });
        sim.announce(payment, &events);
        (payment.status, redirect)
    };
    match redirect.and_then(|url| HeaderValue::from_str(url.as_str()).ok()) {
        Some(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        None => text(
            StatusCode::OK,
            format!(
                "Authentication complete: payment {id} is {}",
                status.as_str()
            ),
        ),
    }
}

/// `GET /sim/payments/{id}/3ds`: the third-party 3DS result the payment was authorized with,
/// as it arrived and was checked (`{"3ds": {…}}`, the documented members only, the cryptogram
/// included: a simulator's record for tests, not Checkout.com's API); 404 when the payment is
/// unknown or had none.
async fn third_party_result(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let payments = lock(&sim.payments);
    match payments
        .get(&id)
        .and_then(|p| p.request.third_party.clone())
    {
        Some(result) => ok(
            StatusCode::OK,
            Value::Object(Map::from_iter([("3ds".to_owned(), Value::Object(result))])),
        ),
        None => not_found(),
    }
}

fn text(status: StatusCode, message: String) -> Response {
    (status, message).into_response()
}

/// `POST /sim/payments/{id}/expire`: the authorization lapses now (`payment_expired`).
async fn expire(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let result = sim.update(&id, None, |payment, sim| {
        let events = payment.expire()?;
        let body = wire::payment_details(sim.control.base_url(), payment);
        Ok((body, events))
    });
    finish(result, StatusCode::OK)
}

/// `POST /sim/tokens/{token}/expire`: the token expires now (204; 404 when unknown).
async fn expire_token(State(sim): State<Arc<Sim>>, Path(token): Path<String>) -> Response {
    if lock(&sim.tokens).expire(&token, now()) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

/// `POST /sim/payments/{id}/decline-next-increment`: the issuer declines the next increment.
async fn decline_next_increment(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    set_flag(&sim, &id, |p| p.decline_next_increment = true)
}

/// `POST /sim/payments/{id}/decline-next-refund`: the next refund is declined.
async fn decline_next_refund(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    set_flag(&sim, &id, |p| p.decline_next_refund = true)
}

fn set_flag(sim: &Sim, id: &str, set: impl FnOnce(&mut Payment)) -> Response {
    match lock(&sim.payments).get_mut(id) {
        Some(payment) => {
            set(payment);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(),
    }
}
