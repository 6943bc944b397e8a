//! The HTTP routes: Primer's payments API and the simulator's `/sim/primer/` helpers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use paybridge_core::webhook::{hmac_sha256, SignatureEncoding};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::cards::Instrument;
use super::state::{ClientSession, Payment, Rejection, State as SimState, Status};
use super::wire::{self, Invalid};
use super::{ids, PrimerSimConfig};
use crate::control::{lock, Control, DeliveredWebhook, Operation};

/// API versions accepted in `X-Api-Version` (answers are in 2.2 shapes).
const VERSIONS: &[&str] = &["2.2", "2.3", "2.4"];

/// The simulator's state, shared by every route.
pub(crate) struct Sim {
    pub(crate) config: PrimerSimConfig,
    pub(crate) control: Control,
    /// `notificationConfig.id` of every webhook.
    pub(crate) notification_id: String,
    pub(crate) state: Mutex<SimState>,
}

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route(
            "/client-session",
            post(create_client_session).get(get_client_session),
        )
        .route("/payments", post(create_payment).get(list_payments))
        .route("/payments/{id}", get(get_payment))
        .route("/payments/{id}/adjust-authorization", post(adjust))
        .route("/payments/{id}/capture", post(capture))
        .route("/payments/{id}/cancel", post(cancel))
        .route("/payments/{id}/refund", post(refund))
        .route("/payments/{id}/resume", post(resume))
        .route_layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    let helpers = Router::new()
        .route("/sim/primer/payment-method-tokens", post(mint_token))
        .route("/sim/primer/payments/{id}/3ds", post(complete_3ds));
    api.merge(helpers).with_state(sim)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A Primer error answer.
fn error(status: StatusCode, error_id: &str, description: &str) -> Response {
    (status, Json(wire::error_body(error_id, description))).into_response()
}

fn invalid(invalid: &Invalid) -> Response {
    invalid_as(StatusCode::UNPROCESSABLE_ENTITY, invalid)
}

/// The validation answer with `status`: 400 on the routes whose document lists no 422
/// (cancel, resume) \[U\].
fn invalid_as(status: StatusCode, invalid: &Invalid) -> Response {
    (status, Json(invalid.body())).into_response()
}

/// The error statuses the v2.2 document lists for a follow-up route, for the two answers
/// that differ between routes.
#[derive(Debug, Clone, Copy)]
struct Documented {
    /// An unknown payment: 400, or 404 where the document lists it (adjust-authorization).
    unknown: StatusCode,
    /// An invalid body: 422, or 400 where the document lists no 422.
    invalid: StatusCode,
}

const ADJUST: Documented = Documented {
    unknown: StatusCode::NOT_FOUND,
    invalid: StatusCode::UNPROCESSABLE_ENTITY,
};
const CAPTURE_OR_REFUND: Documented = Documented {
    unknown: StatusCode::BAD_REQUEST,
    invalid: StatusCode::UNPROCESSABLE_ENTITY,
};
const CANCEL_OR_RESUME: Documented = Documented {
    unknown: StatusCode::BAD_REQUEST,
    invalid: StatusCode::BAD_REQUEST,
};

/// The `errorId` of a payment operation's 400 in the v2.2 document's examples: an unknown
/// payment, and (our choice \[U\]) every state or amount rule.
const PAYMENT_ERROR: &str = "PaymentError";

fn rejected(rejection: &Rejection) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        PAYMENT_ERROR,
        &rejection.description,
    )
}

/// An unknown payment: 400 `PaymentError` "The payment could not be found", the v2.2
/// document's answer for get, capture, cancel, refund and resume (it lists no 404 there).
/// `status` is 404 for adjust-authorization, the one route where the document lists a 404
/// (`NotFoundErrorResponse`) \[U: that the 404 carries the same errorId and text\].
fn not_found(status: StatusCode) -> Response {
    error(status, PAYMENT_ERROR, "The payment could not be found")
}

/// `X-Api-Key` must be the configured key (else 401 `Unauthorized`); `X-Api-Version` must be
/// 2.2, 2.3 or 2.4 (else 400 `MissingApiVersion` / `UnsupportedApiVersion` \[U: Primer falls
/// back to its earliest version; the simulator insists so connectors always pin one\]).
async fn authenticate(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let authorized = headers
        .get("x-api-key")
        .is_some_and(|key| key.as_bytes() == sim.config.api_key.as_bytes());
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The API key is missing or invalid",
        );
    }
    match headers.get("x-api-version").map(|v| v.to_str()) {
        None => error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersion",
            "The X-Api-Version header is required (2.2, 2.3 or 2.4)",
        ),
        Some(Ok(version)) if VERSIONS.contains(&version.trim()) => next.run(request).await,
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "UnsupportedApiVersion",
            "X-Api-Version must be 2.2, 2.3 or 2.4",
        ),
    }
}

/// The answer to an injected `Fault::Status`, in Primer's error shape \[U: errorIds\].
pub(crate) fn fault_response(status: StatusCode) -> Response {
    let (error_id, description) = match status.as_u16() {
        400 => ("BadRequest", "The request could not be processed"),
        401 => ("Unauthorized", "The API key is missing or invalid"),
        403 => ("Forbidden", "The API key lacks the required scope"),
        404 => ("EntityNotFound", "The entity could not be found"),
        409 => ("Conflict", "The entity already exists"),
        422 => ("RequestValidationError", "The request failed validation"),
        429 => ("TooManyRequests", "Too many requests, retry later"),
        _ if status.is_server_error() => ("InternalServerError", "An internal error occurred"),
        _ => ("Error", "Simulated failure"),
    };
    error(status, error_id, description)
}

/// 409 `IdempotencyKeyAlreadyExists` for a key whose request was answered `first`, naming the
/// payment it created or acted on.
pub(crate) fn key_reused(first: &[u8]) -> Response {
    let first: Value = serde_json::from_slice(first).unwrap_or_default();
    let mut body = wire::error_body(
        "IdempotencyKeyAlreadyExists",
        "The idempotency key already exists for a transaction",
    );
    body["error"]["paymentId"] = first["id"].clone();
    body["error"]["paymentStatus"] = first["status"].clone();
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// 409 `IdempotencyKeyAlreadyExists` for a key whose first request is still being processed.
pub(crate) fn key_in_flight() -> Response {
    error(
        StatusCode::CONFLICT,
        "IdempotencyKeyAlreadyExists",
        "The idempotency key is in use by a request still being processed",
    )
}

impl Sim {
    /// Signs and emits one webhook. Called with the state lock held, so webhooks leave in the
    /// order of the changes. `X-Signature-Primary` is base64 HMAC-SHA256 of the raw body
    /// \[U: SHA-256\].
    fn announce(&self, event_type: &str, payment: &Payment) {
        let now = now();
        let body = wire::webhook(
            event_type,
            &self.notification_id,
            wire::payment(payment),
            now,
        )
        .to_string()
        .into_bytes();
        let mac = hmac_sha256(self.config.webhook_secret.as_bytes(), &[&body]);
        let headers = vec![
            (CONTENT_TYPE.to_string(), "application/json".to_owned()),
            (
                "X-Signature-Primary".to_owned(),
                SignatureEncoding::Base64.encode(&mac),
            ),
        ];
        self.control.emit_webhook(DeliveredWebhook {
            headers,
            body: body.into(),
        });
    }

    /// Runs `operation` on payment `id` with the rules every follow-up POST shares (a reused
    /// key was already refused by the control layer): an invalid body, an unknown payment (with
    /// the route's `documented` statuses) and a state or amount rule (400). On success: the
    /// operation counted, `PAYMENT.STATUS` sent when the status changed (and `PAYMENT.REFUND`
    /// for a refund).
    fn update<T>(
        &self,
        id: &str,
        documented: Documented,
        request: Result<T, Invalid>,
        counted: Option<Operation>,
        operation: impl FnOnce(&mut Payment, T, OffsetDateTime) -> Result<(), Rejection>,
    ) -> Response {
        let mut state = lock(&self.state);
        let request = match request {
            Ok(request) => request,
            Err(problems) => return invalid_as(documented.invalid, &problems),
        };
        let Some(payment) = state.payments.get_mut(id) else {
            return not_found(documented.unknown);
        };
        let before = payment.status;
        let refunds = payment.refunded;
        if let Err(rejection) = operation(payment, request, now()) {
            return rejected(&rejection);
        }
        if let Some(operation) = counted {
            self.control.record(operation);
        }
        if payment.status != before {
            self.announce("PAYMENT.STATUS", payment);
        }
        if payment.refunded != refunds {
            self.announce("PAYMENT.REFUND", payment);
        }
        let body = wire::payment(payment);
        (StatusCode::OK, Json(body)).into_response()
    }
}

/// How long a client token works: Primer's reference says "Client tokens expire after 24
/// hours".
pub(crate) const CLIENT_TOKEN_LIFETIME: time::Duration = time::Duration::hours(24);

/// `POST /client-session`: a client session and its client token, kept until it expires.
/// A malformed body is 422 `RequestValidationError` (the document lists 400 and 422).
async fn create_client_session(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let request = match wire::client_session_request(&body) {
        Ok(request) => request,
        Err(problems) => return invalid(&problems),
    };
    let created = now();
    let expires = created + CLIENT_TOKEN_LIFETIME;
    let session = ClientSession {
        request,
        client_token: ids::checkout_client_token(
            sim.config.api_key.as_bytes(),
            expires.unix_timestamp(),
        ),
        expires,
    };
    let body = wire::client_session(&session, true);
    let mut state = lock(&sim.state);
    // Forget the expired ones, so a long-running simulator does not grow without bound.
    state.client_sessions.retain(|_, s| s.expires > created);
    state
        .client_sessions
        .insert(session.client_token.clone(), session);
    (StatusCode::OK, Json(body)).into_response()
}

/// `GET /client-session?clientToken=`: the session without its token
/// (`ClientSessionAPIResponse`). A missing, unknown or expired token is 400
/// `ClientSessionNotFound` \[U: errorId and text\].
async fn get_client_session(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = lock(&sim.state);
    let found = query
        .get("clientToken")
        .and_then(|token| state.client_sessions.get(token))
        .filter(|session| session.expires > now());
    match found {
        Some(session) => {
            (StatusCode::OK, Json(wire::client_session(session, false))).into_response()
        }
        None => error(
            StatusCode::BAD_REQUEST,
            "ClientSessionNotFound",
            "The client session could not be found or has expired",
        ),
    }
}

/// `POST /payments`. An unknown `paymentMethodToken` is 400 `InvalidPaymentMethodToken` \[U\];
/// tokens are reusable (like vaulted tokens).
async fn create_payment(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let mut state = lock(&sim.state);
    let request = match wire::payment_request(&body) {
        Ok(request) => request,
        Err(problems) => return invalid(&problems),
    };
    let Some(instrument) = state.tokens.get(&request.token).cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidPaymentMethodToken",
            &format!(
                "The payment method token {:?} does not exist or has expired",
                request.token
            ),
        );
    };
    let mut payment = Payment::create(request, instrument, now());
    while state.payments.contains_key(&payment.id) {
        payment.id = ids::payment_id();
    }
    sim.control.record(Operation::Authorization);
    sim.announce("PAYMENT.STATUS", &payment);
    if sim.config.auto_capture && payment.status == Status::Authorized {
        // The workflow's "Capture payment" action: a full, final capture right away.
        if payment.capture(None, true).is_ok() {
            sim.control.record(Operation::Capture);
            sim.announce("PAYMENT.STATUS", &payment);
        }
    }
    let body = wire::payment(&payment);
    state.payments.insert(payment.id.clone(), payment);
    (StatusCode::OK, Json(body)).into_response()
}

/// `GET /payments`: the payments' summaries, newest first, filtered by `order_id` when given
/// (the list's other filters are not simulated; one page).
async fn list_payments(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = lock(&sim.state);
    let order_id = query.get("order_id");
    let mut found: Vec<&Payment> = state
        .payments
        .values()
        .filter(|p| order_id.is_none_or(|id| p.request.order_id == *id))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.date));
    let data: Vec<Value> = found.into_iter().take(100).map(wire::summary).collect();
    (StatusCode::OK, Json(json!({ "data": data }))).into_response()
}

/// `GET /payments/{id}`.
async fn get_payment(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let state = lock(&sim.state);
    match state.payments.get(&id) {
        Some(payment) => (StatusCode::OK, Json(wire::payment(payment))).into_response(),
        None => not_found(StatusCode::BAD_REQUEST),
    }
}

/// `POST /payments/{id}/adjust-authorization`.
async fn adjust(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request = wire::adjust_request(&body);
    sim.update(
        &id,
        ADJUST,
        request,
        Some(Operation::Increment),
        |p, amount, _| p.adjust(amount),
    )
}

/// `POST /payments/{id}/capture`.
async fn capture(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request = wire::capture_request(&body);
    sim.update(
        &id,
        CAPTURE_OR_REFUND,
        request,
        Some(Operation::Capture),
        |p, (amount, is_final), _| p.capture(amount, is_final),
    )
}

/// `POST /payments/{id}/cancel`.
async fn cancel(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request = wire::cancel_request(&body);
    sim.update(
        &id,
        CANCEL_OR_RESUME,
        request,
        Some(Operation::Void),
        |p, (), _| p.cancel(),
    )
}

/// `POST /payments/{id}/refund`.
async fn refund(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request = wire::refund_request(&body);
    sim.update(
        &id,
        CAPTURE_OR_REFUND,
        request,
        Some(Operation::Refund),
        |p, amount, now| p.refund(amount, now),
    )
}

/// `POST /payments/{id}/resume`.
async fn resume(State(sim): State<Arc<Sim>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request = wire::resume_request(&body);
    let auto_capture = sim.config.auto_capture;
    let response = sim.update(&id, CANCEL_OR_RESUME, request, None, |p, token, now| {
        p.resume(&token, now)
    });
    if !auto_capture || response.status() != StatusCode::OK {
        return response;
    }
    // The workflow's capture action after a successful resume.
    let mut state = lock(&sim.state);
    let Some(payment) = state.payments.get_mut(&id) else {
        return response;
    };
    if payment.status == Status::Authorized && payment.capture(None, true).is_ok() {
        sim.control.record(Operation::Capture);
        sim.announce("PAYMENT.STATUS", payment);
        return (StatusCode::OK, Json(wire::payment(payment))).into_response();
    }
    response
}

/// `POST /sim/primer/payment-method-tokens`: mints a token for a sandbox test card (what the
/// client SDK does); any other number is 422.
async fn mint_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let (number, month, year) = match wire::card_request(&body, now()) {
        Ok(card) => card,
        Err(problems) => return invalid(&problems),
    };
    let Some(instrument) = Instrument::for_card(&number, month, year) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidCardNumber",
            "Only Primer sandbox test card numbers are accepted",
        );
    };
    let token = ids::payment_method_token();
    lock(&sim.state).tokens.insert(token.clone(), instrument);
    (StatusCode::OK, Json(json!({"token": token}))).into_response()
}

/// `POST /sim/primer/payments/{id}/3ds?outcome=success|fail`: the customer finishes the 3DS
/// challenge; answers the `resumeToken` the SDK would hand back. 404 unknown payment, 409 no
/// challenge outstanding, 400 unknown outcome.
async fn complete_3ds(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let success = match query.get("outcome").map(String::as_str) {
        None | Some("success") => true,
        Some("fail") => false,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidOutcome",
                "outcome must be success or fail",
            )
        }
    };
    let mut state = lock(&sim.state);
    let Some(payment) = state.payments.get_mut(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "PaymentNotFound",
            &format!("No payment {id:?}"),
        );
    };
    match payment.complete_challenge(success) {
        Some(token) => (StatusCode::OK, Json(json!({"resumeToken": token}))).into_response(),
        None => error(
            StatusCode::CONFLICT,
            "NoPendingAuthentication",
            &format!("Payment {id} is not waiting for 3DS authentication"),
        ),
    }
}
