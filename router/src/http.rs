//! The HTTP surface: routes, `api-key` authentication, `Idempotency-Key` handling, JSON bodies
//! and errors. Handlers only parse and answer; the work is in [`crate::payments`].

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use paybridge_core::IncomingWebhook;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::Merchants;
use crate::error::ApiError;
use crate::model::*;
use crate::payments::{format_time, Caller, Payments};
use crate::store::IdempotencyRecord;

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Every route: method and path template, as the OpenAPI document lists them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/connectors"),
    ("POST", "/payments"),
    ("GET", "/payments/{payment_id}"),
    ("POST", "/payments/{payment_id}/capture"),
    ("POST", "/payments/{payment_id}/cancel"),
    ("POST", "/payments/{payment_id}/incremental_authorization"),
    ("POST", "/payments/{payment_id}/extend_authorization"),
    ("POST", "/payments/{payment_id}/cancel_post_capture"),
    ("POST", "/payments/{payment_id}/complete_authorize"),
    ("PUT", "/payments/{payment_id}/update_metadata"),
    ("GET", "/payments/{payment_id}/eligibility"),
    ("POST", "/payments/session_tokens"),
    ("POST", "/payments/{payment_id}/3ds/authentication"),
    ("POST", "/refunds"),
    ("GET", "/refunds/{refund_id}"),
    ("POST", "/webhooks/{connector}"),
];

/// How long a request may hold its idempotency key unanswered before a retry takes it over
/// (longer than any connector call with its retries).
const IN_FLIGHT_TAKEOVER: std::time::Duration = std::time::Duration::from_secs(120);

/// Shared by every handler.
pub struct AppState {
    /// The payment service.
    pub payments: Payments,
    /// Who may call.
    pub merchants: Merchants,
}

type Shared = Arc<AppState>;

/// The API as an axum router.
pub fn app(state: Shared) -> axum::Router {
    axum::Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/connectors", get(connectors))
        .route("/payments", post(create_payment))
        .route("/payments/session_tokens", post(session_tokens))
        .route("/payments/{payment_id}", get(retrieve_payment))
        // capture, cancel, incremental_authorization, extend_authorization,
        // cancel_post_capture, complete_authorize
        .route(
            "/payments/{payment_id}/{operation}",
            post(payment_operation),
        )
        .route(
            "/payments/{payment_id}/update_metadata",
            put(update_metadata),
        )
        .route("/payments/{payment_id}/eligibility", get(eligibility))
        .route(
            "/payments/{payment_id}/3ds/authentication",
            post(external_authentication),
        )
        .route("/refunds", post(create_refund))
        .route("/refunds/{refund_id}", get(retrieve_refund))
        .route("/webhooks/{connector}", post(webhook))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(trace))
        .with_state(state)
}

/// One log line per request: method, path, status, time. Never headers or bodies (api keys,
/// card data).
async fn trace(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

async fn not_found(uri: Uri) -> ApiError {
    route_not_found(uri.path())
}

fn route_not_found(path: &str) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: crate::error::ErrorType::NotFound,
        code: "route_not_found".into(),
        message: format!("no route {path}; see GET /openapi.json"),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        kind: crate::error::ErrorType::InvalidRequest,
        code: "method_not_allowed".into(),
        message: format!("{method} is not allowed on {}", uri.path()),
    }
}

async fn health(State(state): State<Shared>) -> Response {
    match state.payments.store().ping().await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(err) => ApiError::internal(format_args!("health: {err}")).into_response(),
    }
}

async fn openapi() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

async fn connectors(State(state): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    authenticate(&state, &headers, false)?;
    let matrix: Vec<_> = state
        .payments
        .connectors()
        .values()
        .map(|c| c.capabilities().clone())
        .collect();
    Ok(axum::Json(serde_json::json!({ "connectors": matrix })).into_response())
}

/// The caller from the `api-key` header (and `Idempotency-Key` when `idempotent`).
fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    idempotent: bool,
) -> Result<Caller, ApiError> {
    let key = headers
        .get("api-key")
        .ok_or_else(|| ApiError::unauthenticated("the api-key header is missing"))?
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the api-key header is not valid text"))?;
    let merchant_id = state
        .merchants
        .authenticate(key)
        .ok_or_else(|| ApiError::unauthenticated("the api-key is not valid"))?;
    let idempotency_key = if idempotent {
        match headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value.to_str().ok().filter(|k| {
                    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
                });
                Some(key.map(str::to_owned).ok_or_else(|| {
                    ApiError::invalid(
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 255 printable ASCII characters",
                    )
                })?)
            }
        }
    } else {
        None
    };
    Ok(Caller {
        merchant_id: merchant_id.to_owned(),
        idempotency_key,
    })
}

/// Parses a JSON body; an empty body reads as `{}`. Errors name the field.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    // serde would read a JSON array as a struct's fields in order: only objects are bodies.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid(
            "invalid_body",
            "the request body must be a JSON object",
        ));
    }
    axum::Json::<T>::from_bytes(bytes)
        .map(|axum::Json(value)| value)
        .map_err(|rejection| {
            let text = rejection.body_text();
            let code = match rejection {
                axum::extract::rejection::JsonRejection::JsonSyntaxError(_) => "malformed_json",
                _ => "invalid_body",
            };
            ApiError::invalid(code, text)
        })
}

/// Runs a POST under its `Idempotency-Key`: the same key and body replay the stored answer;
/// the same key with another request is refused.
async fn idempotent<F, Fut>(
    state: &AppState,
    caller: &Caller,
    method: &str,
    path: &str,
    body: &Bytes,
    run: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<JsonText, ApiError>>,
{
    let Some(key) = caller.idempotency_key.as_deref() else {
        return answer(run().await).1;
    };
    let fingerprint = {
        let mut hash = Sha256::new();
        hash.update(method.as_bytes());
        hash.update(b" ");
        hash.update(path.as_bytes());
        hash.update(b"\n");
        hash.update(body);
        hex::encode(hash.finalize())
    };
    let store = state.payments.store();
    let now = time::OffsetDateTime::now_utc();
    let stale_before = format_time(now - IN_FLIGHT_TAKEOVER);
    match store
        .claim_idempotency_key(
            &caller.merchant_id,
            key,
            &fingerprint,
            &format_time(now),
            &stale_before,
        )
        .await
    {
        Err(err) => ApiError::from(err).into_response(),
        Ok(Some(IdempotencyRecord::Done {
            fingerprint: stored,
            status,
            body,
        })) if stored == fingerprint => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (
                status,
                [(
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(Some(IdempotencyRecord::InFlight {
            fingerprint: stored,
        })) if stored == fingerprint => ApiError::idempotency(
            "idempotency_request_in_progress",
            format!("a request with Idempotency-Key '{key}' is still running; retry later"),
        )
        .into_response(),
        Ok(Some(_)) => ApiError::idempotency(
            "idempotency_key_reused",
            format!(
                "Idempotency-Key '{key}' was already used for a different request; \
                 use a new key for a new request"
            ),
        )
        .into_response(),
        Ok(None) => {
            let (stored, response) = answer(run().await);
            let outcome = match stored {
                Some((status, text)) => {
                    // Serialized by serde_json above, so UTF-8.
                    let text = String::from_utf8_lossy(&text);
                    store
                        .complete_idempotency_key(&caller.merchant_id, key, status, &text)
                        .await
                }
                // A fault of ours: let a retry run again.
                None => {
                    store
                        .release_idempotency_key(&caller.merchant_id, key)
                        .await
                }
            };
            if let Err(err) = outcome {
                tracing::error!(error = %err, "idempotency record not written");
            }
            response
        }
    }
}

/// An answer already serialized as JSON (serialized once, straight from its type).
struct JsonText(String);

/// The response, and what to store for replay (`None` for internal errors).
fn answer(result: Result<JsonText, ApiError>) -> (Option<(u16, Bytes)>, Response) {
    let (status, text) = match result {
        Ok(JsonText(text)) => (StatusCode::OK, text),
        Err(err) if err.status == StatusCode::INTERNAL_SERVER_ERROR => {
            return (None, err.into_response())
        }
        Err(err) => (err.status, err.body().to_string()),
    };
    // Shared, not copied, between the response and the replay record.
    let text = Bytes::from(text);
    let response = (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text.clone(),
    )
        .into_response();
    (Some((status.as_u16(), text)), response)
}

fn json<T: serde::Serialize>(value: T) -> Result<JsonText, ApiError> {
    serde_json::to_string(&value)
        .map(JsonText)
        .map_err(ApiError::internal)
}

async fn create_payment(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match authenticate(&state, &headers, true) {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    idempotent(&state, &caller, "POST", "/payments", &body, || async {
        let request: CreatePaymentRequest = parse(&body)?;
        json(state.payments.create(&caller, request).await?)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncQuery {
    #[serde(default)]
    force_sync: bool,
}

fn sync_query(
    query: Result<Query<SyncQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<bool, ApiError> {
    query
        .map(|Query(q)| q.force_sync)
        .map_err(|e| ApiError::invalid("invalid_query", e.body_text()))
}

async fn retrieve_payment(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
    query: Result<Query<SyncQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<PaymentObject>, ApiError> {
    let caller = authenticate(&state, &headers, false)?;
    let force_sync = sync_query(query)?;
    Ok(axum::Json(
        state
            .payments
            .retrieve(&caller, &payment_id, force_sync)
            .await?,
    ))
}

/// `POST /payments/{payment_id}/{operation}`: one handler for the operations on a payment, so
/// each shares authentication, body parsing and the idempotency key.
async fn payment_operation(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((payment_id, operation)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let caller = match authenticate(&state, &headers, true) {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    let path = format!("/payments/{payment_id}/{operation}");
    idempotent(&state, &caller, "POST", &path, &body, || async {
        let (p, c, id) = (&state.payments, &caller, payment_id.as_str());
        match operation.as_str() {
            "capture" => json(p.capture(c, id, parse(&body)?).await?),
            "cancel" => json(p.cancel(c, id, parse(&body)?).await?),
            "incremental_authorization" => json(p.increment(c, id, parse(&body)?).await?),
            "extend_authorization" => {
                let EmptyBody {} = parse(&body)?;
                json(p.extend(c, id).await?)
            }
            "cancel_post_capture" => json(p.cancel_post_capture(c, id, parse(&body)?).await?),
            "complete_authorize" => json(p.complete_authorize(c, id, parse(&body)?).await?),
            _ => Err(route_not_found(&path)),
        }
    })
    .await
}

/// `POST /payments/{payment_id}/3ds/authentication`.
async fn external_authentication(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match authenticate(&state, &headers, true) {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    let path = format!("/payments/{payment_id}/3ds/authentication");
    idempotent(&state, &caller, "POST", &path, &body, || async {
        let EmptyBody {} = parse(&body)?;
        json(
            state
                .payments
                .external_authentication(&caller, &payment_id)
                .await?,
        )
    })
    .await
}

async fn update_metadata(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
    body: Bytes,
) -> Result<axum::Json<PaymentObject>, ApiError> {
    let caller = authenticate(&state, &headers, false)?;
    let body: UpdateMetadataBody = parse(&body)?;
    Ok(axum::Json(
        state
            .payments
            .update_metadata(&caller, &payment_id, body)
            .await?,
    ))
}

async fn eligibility(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Result<axum::Json<Eligibility>, ApiError> {
    let caller = authenticate(&state, &headers, false)?;
    Ok(axum::Json(
        state.payments.eligibility(&caller, &payment_id).await?,
    ))
}

async fn session_tokens(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match authenticate(&state, &headers, true) {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    idempotent(
        &state,
        &caller,
        "POST",
        "/payments/session_tokens",
        &body,
        || async {
            let request: SessionTokensBody = parse(&body)?;
            json(state.payments.session_tokens(&caller, request).await?)
        },
    )
    .await
}

async fn create_refund(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match authenticate(&state, &headers, true) {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    idempotent(&state, &caller, "POST", "/refunds", &body, || async {
        let request: CreateRefundBody = parse(&body)?;
        json(state.payments.refund(&caller, request).await?)
    })
    .await
}

async fn retrieve_refund(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(refund_id): Path<String>,
    query: Result<Query<SyncQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<RefundObject>, ApiError> {
    let caller = authenticate(&state, &headers, false)?;
    let force_sync = sync_query(query)?;
    Ok(axum::Json(
        state
            .payments
            .retrieve_refund(&caller, &refund_id, force_sync)
            .await?,
    ))
}

/// `POST /webhooks/{connector}`: verify, de-duplicate by event id, apply.
async fn webhook(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(connector_name): Path<String>,
    body: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let connector = state
        .payments
        .connectors()
        .get(&connector_name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format_args!("connector {connector_name}")))?;
    let incoming = IncomingWebhook {
        headers: &headers,
        body: &body,
        received_at: time::OffsetDateTime::now_utc(),
    };
    let event = connector.verify_webhook(&incoming).map_err(|err| {
        tracing::warn!(connector = %connector_name, error = %err, "webhook refused");
        ApiError::invalid(
            "webhook_verification_failed",
            format!("the webhook could not be verified: {err}"),
        )
    })?;
    let (status, payment_id) = state
        .payments
        .receive_webhook(&connector_name, &event)
        .await?;
    Ok(axum::Json(serde_json::json!({
        "status": status, "event_id": event.event_id, "payment_id": payment_id
    })))
}
