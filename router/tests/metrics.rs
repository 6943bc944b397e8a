//! `GET /metrics`: what the router did, in Prometheus's text format, and nothing of whom it
//! did it for.

mod common;

use std::time::Duration;

use common::*;
use paybridge_sandbox::Fault;

/// The value of the sample `name{labels}` (labels as written, in order), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// Asserts that `series` is at least `least`.
fn at_least(text: &str, series: &str, least: f64) {
    let value = sample(text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert!(
        value >= least,
        "{series} = {value}, expected at least {least}"
    );
}

async fn scrape(router: &TestRouter) -> String {
    let response = router
        .client
        .get(format!("{}/metrics", router.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().expect("text");
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_connector_calls_replays_webhooks_store_and_unsettled() {
    let router = TestRouter::start().await;
    let request = payment("stripe", 1000, true, TestCard::Approved);
    let card_number = request["payment_method_data"]["card"]["card_number"]
        .as_str()
        .expect("a card payment")
        .to_owned();
    let body = request.to_string();
    for _ in 0..2 {
        let answer = router
            .raw(
                "POST",
                "/payments",
                Some(KEY),
                Some("metrics-1"),
                Some(&body),
            )
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let created = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("metrics-1"),
            Some(&body),
        )
        .await;
    let payment_id = id(&created.body);
    let forged = router
        .client
        .post(format!("{}/webhooks/stripe", router.base))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), 400);
    // A create whose outcome is unknown stays processing: one more unsettled payment (counted
    // over the whole database, which other tests may share).
    let unsettled = |text: &str, operation: &str| {
        let series = format!("paybridge_unsettled_operations{{operation=\"{operation}\"}}");
        sample(text, &series).unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    let before = scrape(&router).await;
    router.simulator("checkout").inject(Fault::Delay {
        duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
        after_processing: true,
    });
    let unknown = router
        .create(payment("checkout", 900, true, TestCard::Approved))
        .await;
    assert_eq!(unknown["status"], "processing", "{unknown:#}");

    let text = scrape(&router).await;
    at_least(
        &text,
        r#"paybridge_http_requests_total{method="POST",route="/payments",status="200"}"#,
        4.0,
    );
    at_least(
        &text,
        r#"paybridge_http_request_duration_seconds_count{method="POST",route="/payments"}"#,
        4.0,
    );
    at_least(
        &text,
        r#"paybridge_connector_calls_total{connector="stripe",flow="authorize",outcome="ok"}"#,
        1.0,
    );
    at_least(
        &text,
        r#"paybridge_connector_calls_total{connector="checkout",flow="authorize",outcome="timeout"}"#,
        1.0,
    );
    at_least(
        &text,
        r#"paybridge_connector_call_duration_seconds_bucket{connector="stripe",flow="authorize",le="+Inf"}"#,
        1.0,
    );
    at_least(&text, "paybridge_idempotent_replays_total", 2.0);
    at_least(
        &text,
        r#"paybridge_webhooks_total{connector="stripe",result="rejected"}"#,
        1.0,
    );
    at_least(
        &text,
        r#"paybridge_store_duration_seconds_count{operation="insert_payment"}"#,
        2.0,
    );
    assert_eq!(
        unsettled(&text, "payment"),
        unsettled(&before, "payment") + 1.0,
        "{text}"
    );
    assert_eq!(unsettled(&text, "refund"), unsettled(&before, "refund"));
    // Routes by template, and nothing of the merchant, payment, key or card.
    for secret in [
        payment_id.as_str(),
        "merchant_one",
        KEY,
        card_number.as_str(),
    ] {
        assert!(!text.contains(secret), "/metrics shows {secret}");
    }
    let unmatched = router.call("GET", "/no/such/route", None).await;
    assert_eq!(unmatched.status, 404);
    let text = scrape(&router).await;
    at_least(
        &text,
        r#"paybridge_http_requests_total{method="GET",route="unmatched",status="404"}"#,
        1.0,
    );
    router.running.shutdown().await;
}
