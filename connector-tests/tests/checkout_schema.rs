//! Every request body the Checkout.com connector sends during the suite, and every response body
//! the simulator answers, validated against Checkout.com's published OpenAPI document.
//!
//! Runs the suite through a recording proxy. Scenarios that need the simulator's counters or
//! fault injection are skipped here (the proxy hides the simulator); `checkout.rs` runs them.
//!
//! One operation the connector calls is not in the document: the payment lookup's
//! `GET /payments?reference=` (Checkout.com's "Get payment lists", unconfirmed \[U\]). It is a
//! named exception ([`CHECKOUT_UNCONFIRMED`]): its answers are checked against the shape of
//! Checkout.com's public reference, each payment against the document's `PaymentDetails`, and
//! the test requires that they were seen and checked.
//!
//! Wallet tokens are exchanged at `POST /tokens`, which is in Checkout.com's tokens document
//! (`specs/checkout-tokens-openapi.json`): those exchanges are checked against it.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::openapi::{spec_path, OpenApi, CHECKOUT_UNCONFIRMED};
use paybridge_connector_tests::targets::checkout::target_at;
use paybridge_connector_tests::traffic::{check_against_with, suite_traffic};
use paybridge_sandbox::checkout::{self as sim, CheckoutSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_traffic_matches_the_published_schemas() {
    let spec = OpenApi::checkout_payments().unwrap();

    let sim_config = CheckoutSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let exchanges = suite_traffic(handle, |url| target_at(&sim_config, url, None))
        .await
        .unwrap_or_else(|table| panic!("{table}"));

    let (tokens, payments): (Vec<_>, Vec<_>) =
        exchanges.into_iter().partition(|e| e.path == "/tokens");
    let tokens_spec = OpenApi::load(&spec_path("checkout-tokens-openapi.json")).unwrap();
    let wallets = check_against_with(&tokens_spec, &tokens, &[]);
    assert!(wallets.violations.is_empty(), "{:#?}", wallets.violations);
    // The wallet scenario exchanged a Google Pay and an Apple Pay token, approved and declined.
    assert!(
        wallets.requests >= 4 && wallets.responses >= 4,
        "POST /tokens checked {} / {} times",
        wallets.requests,
        wallets.responses
    );
    let checked = check_against_with(&spec, &payments, CHECKOUT_UNCONFIRMED);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    // The lookup ran (a found payment and a reference never sent) and its answers were checked
    // as the known exception, not skipped.
    let lists = checked
        .unconfirmed
        .iter()
        .filter(|place| place.as_str() == "GET /payments 200")
        .count();
    assert!(
        lists >= 2,
        "GET /payments (unconfirmed: {}) checked {lists} times: {:?}",
        CHECKOUT_UNCONFIRMED[0].why,
        checked.unconfirmed
    );
    // Authorize, increment, capture, void, refund and more: a dozen operations at least.
    assert!(
        checked.requests >= 12,
        "only {} request bodies were validated",
        checked.requests
    );
    assert!(
        checked.responses >= 20,
        "only {} response bodies were validated",
        checked.responses
    );
}
