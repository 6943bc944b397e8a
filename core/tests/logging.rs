//! What reaches the logs, captured at TRACE with a process-wide subscriber. One logging test in this
//! binary, so nothing else runs beside it.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use paybridge_core::executor::CallContext;
use paybridge_core::http::HttpRequest;
use paybridge_core::*;
use support::toy::{card_request, toy, CVC, PAN};
use support::{LogCapture, Reply, ScriptedServer};

/// `needle` as a token of its own: three digits also occur inside timestamps and ids, where
/// they are not the CVC.
fn contains_standalone(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn standalone_matching_ignores_digits_inside_longer_tokens() {
    assert!(!contains_standalone(
        "05:03:09.453737Z id=a737b 17371",
        "737"
    ));
    assert!(contains_standalone(r#"{"cvv":"737"}"#, "737"));
    assert!(contains_standalone("cvc: Some(737)", "737"));
}

#[tokio::test]
async fn logs_show_calls_and_field_names_but_never_secrets() {
    let logs = LogCapture::default();
    logs.install_global();

    // A card authorization and a sync through the toy connector.
    let server = ScriptedServer::start(vec![Reply::status(201).body(
        r#"{"id":"pay_9","state":"authorized","amount":1000,"card":{"number":"4242424242424242"}}"#,
    )])
    .await;
    let connector = toy(&server);
    let req = card_request();
    tracing::debug!(request = ?req, "about to authorize");
    connector.authorize(&req).await.unwrap();
    connector
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: "pay_9".into(),
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();

    let text = logs.text();
    assert!(text.contains("processor_call"), "{text}");
    assert!(text.contains("connector=\"toy\""), "{text}");
    assert!(text.contains("flow=\"authorize\""), "{text}");
    assert!(text.contains("latency_ms"), "{text}");
    assert!(text.contains("\"number\":\"***\""), "{text}");
    assert!(text.contains("\"cvv\":\"***\""), "{text}");
    assert!(
        text.contains("authorization"),
        "header names should be visible: {text}"
    );
    assert!(text.contains("424242******4242"), "{text}");
    assert!(!text.contains(PAN), "PAN leaked: {text}");
    assert!(!contains_standalone(&text, CVC), "CVC leaked: {text}");
    assert!(!text.contains("superSecretKey"), "API key leaked: {text}");

    // A refused connection: retried, each retry logged, then reported as never sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let profile = WireProfile {
        idempotency_header: "idempotency-key",
        key_reuse: KeyReuse::ReplaysSuccess,
        retry_hint: no_retry_hint,
        sensitive_fields: &[],
    };
    let retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(5),
    };
    let ctx = CallContext {
        connector: "refused",
        flow: Flow::Capture.name(),
        profile: &profile,
        retry: &retry,
        request_timeout: Duration::from_secs(2),
    };
    let before = logs.text().matches("retrying processor call").count();
    let request = HttpRequest::post(format!("http://{addr}/payments").parse().unwrap())
        .idempotency_key(&IdempotencyKey::generate());
    let err = Executor::new(Duration::from_secs(1))
        .unwrap()
        .send(ctx, &request)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Transport {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    let text = logs.text();
    assert_eq!(
        text.matches("retrying processor call").count() - before,
        2,
        "{text}"
    );
    assert!(text.contains("attempts=3"), "{text}");
}
