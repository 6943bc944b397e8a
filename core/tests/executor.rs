//! The executor against a real local HTTP server: what is retried, what is not, with which key,
//! and within which bounds.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use paybridge_core::executor::CallContext;
use paybridge_core::http::HttpRequest;
use paybridge_core::*;
use support::{Reply, ScriptedServer};

const PROFILE: WireProfile = WireProfile {
    idempotency_header: "x-test-idempotency-key",
    key_reuse: KeyReuse::ReplaysSuccess,
    retry_hint: no_retry_hint,
    sensitive_fields: &[],
};

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(10),
    }
}

async fn send(
    url: url::Url,
    profile: &WireProfile,
    retry: &RetryPolicy,
    timeout: Duration,
) -> (Result<http::HttpResponse, ConnectorError>, IdempotencyKey) {
    let executor = Executor::new(Duration::from_secs(1)).unwrap();
    let key = IdempotencyKey::generate();
    let request = HttpRequest::post(url.join("payments").unwrap())
        .json(&serde_json::json!({"amount": 100}))
        .unwrap()
        .idempotency_key(&key);
    let ctx = CallContext {
        connector: "test",
        flow: Flow::Authorize.name(),
        profile,
        retry,
        request_timeout: timeout,
    };
    (executor.send(ctx, &request).await, key)
}

use paybridge_core::http;

/// Sends once against a server that always answers `reply`, allowing up to five attempts, and
/// returns the final status and how many requests the server saw.
async fn attempts_for(reply: Reply, profile: &WireProfile) -> (u16, usize) {
    let server = ScriptedServer::start(vec![reply]).await;
    let (result, _) = send(
        server.url(),
        profile,
        &fast_retries(5),
        Duration::from_secs(5),
    )
    .await;
    (result.unwrap().status, server.seen().len())
}

#[tokio::test]
async fn retries_503_with_the_same_idempotency_key() {
    let server = ScriptedServer::start(vec![
        Reply::status(503),
        Reply::status(503),
        Reply::status(201).body(r#"{"ok":true}"#),
    ])
    .await;
    let (result, key) = send(
        server.url(),
        &PROFILE,
        &fast_retries(3),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(result.unwrap().status, 201);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(
            request
                .headers
                .get("x-test-idempotency-key")
                .unwrap()
                .to_str()
                .unwrap(),
            key.as_str()
        );
        assert_eq!(
            request.headers.get("content-type").unwrap(),
            "application/json"
        );
    }
}

#[tokio::test]
async fn retries_429_after_retry_after() {
    let server = ScriptedServer::start(vec![
        Reply::status(429).header("retry-after", "1"),
        Reply::status(200),
    ])
    .await;
    let started = Instant::now();
    let (result, key) = send(
        server.url(),
        &PROFILE,
        &fast_retries(3),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(result.unwrap().status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let keys: Vec<_> = server
        .seen()
        .iter()
        .map(|s| {
            s.headers["x-test-idempotency-key"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(keys, vec![key.as_str().to_owned(); 2]);
}

#[tokio::test]
async fn retry_after_beyond_the_time_budget_gives_up_at_once() {
    let server =
        ScriptedServer::start(vec![Reply::status(429).header("retry-after", "3600")]).await;
    let started = Instant::now();
    let (result, _) = send(
        server.url(),
        &PROFILE,
        &fast_retries(3),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(result.unwrap().status, 429);
    assert_eq!(server.seen().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400, 401, 402, 404, 409, 422] {
        assert_eq!(
            attempts_for(Reply::status(status), &PROFILE).await,
            (status, 1),
            "HTTP {status} was retried"
        );
    }
}

#[tokio::test]
async fn a_5xx_is_not_retried_where_the_processor_rejects_key_reuse() {
    let profile = WireProfile {
        key_reuse: KeyReuse::RejectsReuse,
        ..PROFILE
    };
    assert_eq!(attempts_for(Reply::status(500), &profile).await, (500, 1));
}

#[tokio::test]
async fn a_retry_hint_stops_a_5xx_retry() {
    let profile = WireProfile {
        key_reuse: KeyReuse::ReplaysAll,
        retry_hint: |resp| resp.header("x-should-retry").map(|v| v == "true"),
        ..PROFILE
    };
    let reply = Reply::status(500).header("x-should-retry", "false");
    assert_eq!(attempts_for(reply, &profile).await, (500, 1));
}

#[tokio::test]
async fn a_request_timeout_is_an_unknown_outcome_and_not_retried() {
    let server =
        ScriptedServer::start(vec![Reply::status(201).delay(Duration::from_secs(3))]).await;
    let (result, _) = send(
        server.url(),
        &PROFILE,
        &fast_retries(3),
        Duration::from_millis(200),
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Timeout {
                outcome_unknown: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(
        server.seen().len(),
        1,
        "a POST that may have landed was re-sent"
    );
}

#[tokio::test]
async fn attempts_and_total_time_are_bounded() {
    let server = ScriptedServer::start(vec![Reply::status(503)]).await;
    let (result, _) = send(
        server.url(),
        &PROFILE,
        &fast_retries(4),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(result.unwrap().status, 503);
    assert_eq!(server.seen().len(), 4);

    let server = ScriptedServer::start(vec![Reply::status(503)]).await;
    let budget = RetryPolicy {
        max_attempts: 1000,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
        max_elapsed: Duration::from_millis(400),
    };
    let started = Instant::now();
    let (result, _) = send(server.url(), &PROFILE, &budget, Duration::from_secs(5)).await;
    assert_eq!(result.unwrap().status, 503);
    let attempts = server.seen().len();
    assert!((2..=20).contains(&attempts), "{attempts} attempts");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn get_requests_carry_no_idempotency_key_and_are_retried_after_a_timeout() {
    let server = ScriptedServer::start(vec![
        Reply::status(200).delay(Duration::from_secs(2)),
        Reply::status(200).body(r#"{"id":"pay_1"}"#),
    ])
    .await;
    let executor = Executor::new(Duration::from_secs(1)).unwrap();
    let request = HttpRequest::get(server.url().join("payments/pay_1").unwrap());
    let retry = fast_retries(3);
    let ctx = CallContext {
        connector: "test",
        flow: Flow::PaymentSync.name(),
        profile: &PROFILE,
        retry: &retry,
        request_timeout: Duration::from_millis(300),
    };
    let resp = executor.send(ctx, &request).await.unwrap();
    assert_eq!(resp.status, 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|s| !s.headers.contains_key("x-test-idempotency-key")));
}
