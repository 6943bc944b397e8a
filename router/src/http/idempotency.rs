//! The `Idempotency-Key` layer of the POST operations: the same key with the same request
//! replays the stored answer, the same key with another request is refused, and a request that
//! held its key too long without answering (a crashed instance) is taken over by its retry.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{Caller, Shared};
use crate::error::ApiError;
use crate::payments::{self, format_time, Operation};
use crate::store::{Claim, IdempotencyRecord, Store};

/// How long a claim stays the request's without being renewed: past it, the same request's
/// retry takes the claim over (the router that held it died). Renewed every
/// [`RENEW_EVERY`] while the request runs, so a live request keeps its key however long its
/// processor takes.
const IN_FLIGHT_TAKEOVER: Duration = Duration::from_secs(15);
/// How often a running request renews its claim.
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// Runs the request under its caller's `Idempotency-Key`, if it has one.
///
/// The [`Caller`] is extracted first, so a request that fails authentication (or has an invalid
/// key) is refused without touching the idempotency record. Only the API's own JSON answers are
/// stored for replay; a 500 (a fault of ours) or anything else releases the key, so a retry
/// runs the operation again.
pub(super) async fn idempotency(
    State(state): State<Shared>,
    Caller(caller): Caller,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = caller.idempotency_key.as_deref() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    // Read as a handler would, with the same limit and the same JSON 413.
    let body = match super::read_body(Request::from_parts(parts.clone(), body), &state).await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let fingerprint = fingerprint(&parts.method, parts.uri.path(), &body);
    let store = state.payments.store();
    let now = time::OffsetDateTime::now_utc();
    let claim = store
        .claim_idempotency_key(
            &caller.merchant_id,
            key,
            &fingerprint,
            &Operation::new_id(),
            &format_time(now),
            &format_time(now - IN_FLIGHT_TAKEOVER),
        )
        .await;
    match claim {
        Err(err) => ApiError::from(err).into_response(),
        Ok(Claim::Held(IdempotencyRecord::Done {
            fingerprint: stored,
            status,
            body,
        })) if stored == fingerprint => replay(status, body),
        Ok(Claim::Held(IdempotencyRecord::InFlight {
            fingerprint: stored,
        })) if stored == fingerprint => ApiError::idempotency(
            "idempotency_request_in_progress",
            format!("a request with Idempotency-Key '{key}' is still running; retry later"),
        )
        .into_response(),
        Ok(Claim::Held(_)) => ApiError::idempotency(
            "idempotency_key_reused",
            format!(
                "Idempotency-Key '{key}' was already used for a different request; \
                 use a new key for a new request"
            ),
        )
        .into_response(),
        Ok(Claim::Claimed {
            operation_id,
            resumed,
        }) => {
            if resumed {
                tracing::info!(
                    operation_id,
                    "resuming an operation its first run left unanswered"
                );
            }
            let operation = Operation {
                id: operation_id,
                resumed,
            };
            let mut parts = parts;
            parts.extensions.insert(Caller(payments::Caller {
                operation: Some(operation.clone()),
                ..caller.clone()
            }));
            let request = Request::from_parts(parts, axum::body::Body::from(body));
            let running = next.run(request);
            let response = renewing(store, &caller.merchant_id, key, &operation.id, running).await;
            settle(store, &caller.merchant_id, key, response).await
        }
    }
}

/// Runs `request` while renewing its claim of `key`, so that no retry takes over a request
/// that is still running, however long its processor takes.
async fn renewing(
    store: &Store,
    merchant_id: &str,
    key: &str,
    operation_id: &str,
    request: impl std::future::Future<Output = Response>,
) -> Response {
    crate::locks::renewing(RENEW_EVERY, request, || async {
        let now = format_time(time::OffsetDateTime::now_utc());
        match store
            .renew_idempotency_key(merchant_id, key, operation_id, &now)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(operation_id, "idempotency claim lost while running"),
            Err(err) => tracing::warn!(error = %err, "idempotency claim not renewed"),
        }
    })
    .await
}

/// What makes two requests "the same": method, path (with its ids) and body bytes.
fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b" ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

/// The stored answer again, marked as a replay.
fn replay(status: u16, body: String) -> Response {
    metrics::counter!("paybridge_idempotent_replays_total").increment(1);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
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

/// Stores the answer of a claimed key for replay, or releases the key when the answer is not
/// one to replay; either way the answer goes back to the client.
async fn settle(store: &Store, merchant_id: &str, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    if parts.status == StatusCode::INTERNAL_SERVER_ERROR || !is_json(&parts.headers) {
        // A fault of ours, or a rejection before the operation ran: let a retry run again.
        release(store, merchant_id, key).await;
        return Response::from_parts(parts, body);
    }
    // Our own JSON, already in memory: collecting it copies nothing.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            release(store, merchant_id, key).await;
            return ApiError::internal(format_args!("reading the answer: {err}")).into_response();
        }
    };
    match std::str::from_utf8(&body) {
        Ok(text) => {
            let status = parts.status.as_u16();
            let stored = without_client_secret(text);
            if let Err(err) = store
                .complete_idempotency_key(merchant_id, key, status, &stored)
                .await
            {
                tracing::error!(error = %err, "idempotency record not written");
            }
        }
        // Not what serde_json writes; not worth replaying either.
        Err(_) => release(store, merchant_id, key).await,
    }
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The answer as it may be stored: a payment's client secret is shown once and kept only as a
/// hash, so a replayed create answers `client_secret: null`.
fn without_client_secret(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\"client_secret\":\"") {
        return std::borrow::Cow::Borrowed(text);
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut answer) => {
            if let Some(secret) = answer.get_mut("client_secret") {
                *secret = serde_json::Value::Null;
            }
            std::borrow::Cow::Owned(answer.to_string())
        }
        Err(_) => std::borrow::Cow::Borrowed(text),
    }
}

/// Lets a retry with this key run the operation again.
async fn release(store: &Store, merchant_id: &str, key: &str) {
    if let Err(err) = store.release_idempotency_key(merchant_id, key).await {
        tracing::error!(error = %err, "idempotency record not released");
    }
}

/// Whether the answer is JSON, as every answer of the API is (axum's own rejections are text).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == b"application/json")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use axum::routing::post;
    use axum::Json;

    use super::*;
    use crate::auth::{MerchantKey, Merchants};
    use crate::http::AppState;
    use crate::payments::{Connectors, Payments};

    const API_KEY: &str = "unit_test_key";
    const MERCHANT: &str = "merchant_unit";

    /// A server whose routes run under the idempotency layer; each counts its runs.
    struct Harness {
        base: String,
        state: Shared,
        runs: Arc<AtomicUsize>,
        client: reqwest::Client,
    }

    impl Harness {
        async fn start() -> Harness {
            let store = Store::connect("sqlite::memory:").await.expect("a store");
            let state = Arc::new(AppState::new(
                Arc::new(Payments::new(store, Connectors::new())),
                Merchants::new(vec![MerchantKey::from_key(MERCHANT, API_KEY)]),
                &Default::default(),
            ));
            let runs = Arc::new(AtomicUsize::new(0));
            let layer = || axum::middleware::from_fn_with_state(state.clone(), idempotency);
            let counted = |answer: fn(usize) -> Response| {
                let runs = runs.clone();
                move || async move { answer(runs.fetch_add(1, Ordering::SeqCst) + 1) }
            };
            let app = axum::Router::new()
                .route(
                    "/ok",
                    post(counted(|n| {
                        Json(serde_json::json!({ "run": n })).into_response()
                    }))
                    .route_layer(layer()),
                )
                .route(
                    "/refused",
                    post(counted(|_| {
                        ApiError::invalid_state("not_now", "refused").into_response()
                    }))
                    .route_layer(layer()),
                )
                .route(
                    "/fault",
                    post(counted(|_| {
                        ApiError::internal("unit test fault").into_response()
                    }))
                    .route_layer(layer()),
                )
                .route(
                    "/text",
                    post(counted(|_| {
                        (StatusCode::BAD_REQUEST, "not json").into_response()
                    }))
                    .route_layer(layer()),
                )
                .with_state(state.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let base = format!("http://{}", listener.local_addr().expect("an address"));
            tokio::spawn(async move { axum::serve(listener, app).await });
            Harness {
                base,
                state,
                runs,
                client: reqwest::Client::new(),
            }
        }

        async fn post(&self, path: &str, key: Option<&str>, body: &str) -> reqwest::Response {
            let mut request = self
                .client
                .post(format!("{}{path}", self.base))
                .header("api-key", API_KEY)
                .body(body.to_owned());
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            request.send().await.expect("an answer")
        }

        fn runs(&self) -> usize {
            self.runs.load(Ordering::SeqCst)
        }

        /// Claims `key` as another request would have, `age` ago.
        async fn claim(&self, key: &str, fingerprint: &str, age: Duration) {
            let now = time::OffsetDateTime::now_utc();
            let claimed = self
                .state
                .payments
                .store()
                .claim_idempotency_key(
                    MERCHANT,
                    key,
                    fingerprint,
                    "op_other",
                    &format_time(now - age),
                    &format_time(now - age - IN_FLIGHT_TAKEOVER),
                )
                .await
                .expect("claimed");
            assert!(
                matches!(claimed, Claim::Claimed { resumed: false, .. }),
                "{key} was free"
            );
        }
    }

    async fn code(response: reqwest::Response) -> String {
        let body: serde_json::Value = response.json().await.expect("JSON");
        body["error"]["code"].as_str().unwrap_or("").to_owned()
    }

    #[tokio::test]
    async fn the_same_request_is_replayed_and_another_refused() {
        let harness = Harness::start().await;
        let first = harness.post("/ok", Some("k1"), "{\"a\": 1}").await;
        assert_eq!(first.status(), StatusCode::OK);
        assert!(first.headers().get("idempotent-replayed").is_none());
        assert_eq!(first.text().await.expect("text"), "{\"run\":1}");
        let again = harness.post("/ok", Some("k1"), "{\"a\": 1}").await;
        assert_eq!(
            again
                .headers()
                .get("idempotent-replayed")
                .map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        assert_eq!(again.text().await.expect("text"), "{\"run\":1}");
        assert_eq!(harness.runs(), 1, "the replay did not run the operation");
        let other = harness.post("/ok", Some("k1"), "{\"a\": 2}").await;
        assert_eq!(other.status(), StatusCode::CONFLICT);
        assert_eq!(code(other).await, "idempotency_key_reused");
        // Without a key, every request runs.
        harness.post("/ok", None, "{\"a\": 1}").await;
        harness.post("/ok", None, "{\"a\": 1}").await;
        assert_eq!(harness.runs(), 3);
    }

    #[tokio::test]
    async fn refusals_are_stored_and_faults_released() {
        let harness = Harness::start().await;
        for _ in 0..2 {
            let refused = harness.post("/refused", Some("k2"), "{}").await;
            assert_eq!(refused.status(), StatusCode::CONFLICT);
            assert_eq!(code(refused).await, "not_now");
        }
        assert_eq!(harness.runs(), 1, "a 4xx answer is replayed");
        for _ in 0..2 {
            let fault = harness.post("/fault", Some("k3"), "{}").await;
            assert_eq!(fault.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        assert_eq!(harness.runs(), 3, "a 500 lets the retry run again");
        for _ in 0..2 {
            let text = harness.post("/text", Some("k4"), "{}").await;
            assert_eq!(text.status(), StatusCode::BAD_REQUEST);
        }
        assert_eq!(harness.runs(), 5, "a non-JSON rejection is not replayed");
    }

    #[tokio::test]
    async fn a_running_request_holds_its_key_until_it_is_stale() {
        let harness = Harness::start().await;
        let body = "{\"a\": 1}";
        let same = fingerprint(&Method::POST, "/ok", body.as_bytes());
        harness.claim("running", &same, Duration::ZERO).await;
        let busy = harness.post("/ok", Some("running"), body).await;
        assert_eq!(busy.status(), StatusCode::CONFLICT);
        assert_eq!(code(busy).await, "idempotency_request_in_progress");
        let other = harness.post("/ok", Some("running"), "{}").await;
        assert_eq!(code(other).await, "idempotency_key_reused");
        assert_eq!(harness.runs(), 0);

        // A holder silent for longer than the takeover time crashed: its retry runs.
        let stale = IN_FLIGHT_TAKEOVER + Duration::from_secs(1);
        harness.claim("crashed", &same, stale).await;
        let retried = harness.post("/ok", Some("crashed"), body).await;
        assert_eq!(retried.status(), StatusCode::OK);
        assert_eq!(harness.runs(), 1);
    }

    #[tokio::test]
    async fn a_refused_caller_claims_nothing() {
        let harness = Harness::start().await;
        let bad_key = harness.post("/ok", Some("spaced key"), "{}").await;
        assert_eq!(bad_key.status(), StatusCode::BAD_REQUEST);
        let unauthenticated = harness
            .client
            .post(format!("{}/ok", harness.base))
            .header("api-key", "not-a-key")
            .header("idempotency-key", "k5")
            .body("{\"a\": 1}")
            .send()
            .await
            .expect("an answer");
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(harness.runs(), 0);
        // k5 is still free for the merchant.
        let fresh = harness.post("/ok", Some("k5"), "{\"a\": 2}").await;
        assert_eq!(fresh.status(), StatusCode::OK);
        assert!(fresh.headers().get("idempotent-replayed").is_none());
    }

    #[test]
    fn fingerprints_tell_method_path_and_body_apart() {
        let base = fingerprint(&Method::POST, "/payments/pay_a/capture", b"{}");
        assert_eq!(
            base,
            fingerprint(&Method::POST, "/payments/pay_a/capture", b"{}")
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, "/payments/pay_b/capture", b"{}")
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, "/payments/pay_a/cancel", b"{}")
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, "/payments/pay_a/capture", b"{ }")
        );
        assert_ne!(
            base,
            fingerprint(&Method::PUT, "/payments/pay_a/capture", b"{}")
        );
    }

    #[test]
    fn replays_keep_the_status_and_say_they_are_replays() {
        let response = replay(409, "{\"error\":{}}".into());
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(is_json(response.headers()));
        assert_eq!(
            response.headers().get("idempotent-replayed"),
            Some(&HeaderValue::from_static("true"))
        );
    }
}
