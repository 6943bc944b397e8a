//! Every request body the Checkout.com connector sends during the suite, and every response body
//! the simulator answers, validated against Checkout.com's published OpenAPI document.
//!
//! Runs the suite through a recording proxy. Scenarios that need the simulator's counters or
//! fault injection are skipped here (the proxy hides the simulator); `checkout.rs` runs them.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::openapi::OpenApi;
use paybridge_connector_tests::run_scenarios;
use paybridge_connector_tests::targets::checkout::target_at;
use paybridge_connector_tests::traffic::RecordingProxy;
use paybridge_sandbox::checkout::{self as sim, CheckoutSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_traffic_matches_the_published_schemas() {
    let spec = OpenApi::checkout_payments().unwrap();

    let sim_config = CheckoutSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let proxy = RecordingProxy::start(handle.base_url()).await.unwrap();
    let target = target_at(&sim_config, proxy.url(), None);
    let report = run_scenarios(&target, |_| true).await;
    assert!(report.failures().is_empty(), "{}", report.table());

    let (mut requests, mut responses, mut violations) = (0, 0, Vec::new());
    for exchange in proxy.exchanges() {
        if !exchange.request_body.is_empty() {
            let body: serde_json::Value = serde_json::from_slice(&exchange.request_body).unwrap();
            match spec.check_request(&exchange.method, &exchange.path, &body) {
                Ok(true) => requests += 1,
                Ok(false) => {}
                Err(v) => violations.push(v),
            }
        }
        if exchange.response_body.is_empty() {
            continue;
        }
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&exchange.response_body) else {
            violations.push(paybridge_connector_tests::openapi::SchemaViolation {
                place: format!("{} {} {}", exchange.method, exchange.path, exchange.status),
                errors: vec!["response body is not JSON".into()],
            });
            continue;
        };
        match spec.check_response(&exchange.method, &exchange.path, exchange.status, &body) {
            Ok(true) => responses += 1,
            Ok(false) => {}
            Err(v) => violations.push(v),
        }
    }
    handle.shutdown().await;
    assert!(violations.is_empty(), "{violations:#?}");
    // Authorize, increment, capture, void, refund and more: a dozen operations at least.
    assert!(
        requests >= 12,
        "only {requests} request bodies were validated"
    );
    assert!(
        responses >= 20,
        "only {responses} response bodies were validated"
    );
}
