//! Every request body the Stripe connector sends during the suite, and every response body the
//! simulator answers, validated against Stripe's published OpenAPI document
//! (`specs/stripe-payments-openapi.json`, API version 2024-04-10).
//!
//! Stripe's request bodies are forms: each is decoded from bracket notation and given the
//! schema's types before validation ([`paybridge_connector_tests::form`]). The suite runs
//! through a recording proxy with the simulator target's raw cards, so a card's
//! `POST /v1/payment_methods` is checked as well as the PaymentIntent paying with it.
//! Scenarios that need the simulator's counters or fault injection are skipped here (the proxy
//! hides the simulator); `stripe.rs` runs them.
//!
//! Apple Pay tokens are exchanged at `POST /v1/tokens`, checked against Stripe's tokens document
//! (`specs/stripe-tokens-openapi.json`) with one known exception: the four `pk_token*`
//! parameters Stripe's iOS SDK sends, which the published document lacks (it lists them under
//! `x-not-in-published-spec`). They are set aside before the form is validated.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::openapi::{spec_path, OpenApi};
use paybridge_connector_tests::targets::stripe::target_at;
use paybridge_connector_tests::traffic::{check_against, suite_traffic};
use paybridge_sandbox::stripe::{self as sim, StripeSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_traffic_matches_the_published_schemas() {
    let spec = OpenApi::stripe_payments().unwrap();

    let sim_config = StripeSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let exchanges = suite_traffic(handle, |url| target_at(&sim_config, url, None))
        .await
        .unwrap_or_else(|table| panic!("{table}"));

    assert!(
        exchanges.iter().all(|e| e.request_body.is_empty()
            || e.request_content_type.as_deref() == Some("application/x-www-form-urlencoded")),
        "every Stripe request body is a form"
    );
    let (tokens, exchanges): (Vec<_>, Vec<_>) = exchanges
        .into_iter()
        .partition(|e| e.method == "POST" && e.path == "/v1/tokens");
    let mut set_aside = std::collections::BTreeSet::new();
    let tokens: Vec<_> = tokens
        .into_iter()
        .map(|mut exchange| {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&exchange.request_body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .filter(|(k, _)| {
                    let apple = k.starts_with("pk_token");
                    if apple {
                        set_aside.insert(k.clone());
                    }
                    !apple
                })
                .collect();
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            exchange.request_body = body.into_bytes().into();
            exchange
        })
        .collect();
    let tokens_spec = OpenApi::load(&spec_path("stripe-tokens-openapi.json")).unwrap();
    let wallets = check_against(&tokens_spec, &tokens);
    assert!(wallets.violations.is_empty(), "{:#?}", wallets.violations);
    // The wallet scenario exchanged an approved and a declined Apple Pay token.
    assert!(
        wallets.responses >= 2,
        "POST /v1/tokens answers validated: {}",
        wallets.responses
    );
    let known = [
        "pk_token",
        "pk_token_instrument_name",
        "pk_token_payment_network",
        "pk_token_transaction_id",
    ];
    assert!(
        set_aside.contains("pk_token"),
        "no Apple Pay token was sent"
    );
    assert!(
        set_aside.iter().all(|name| known.contains(&name.as_str())),
        "only the known exception is set aside: {set_aside:?}"
    );
    let checked = check_against(&spec, &exchanges);
    println!(
        "{} request bodies and {} answers validated, of {} exchanges",
        checked.requests,
        checked.responses,
        exchanges.len()
    );
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    // Authorize (a card's PaymentMethod, then the PaymentIntent), increment, capture, void,
    // refund and more: a dozen bodies at least.
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
    // The raw card path ran and both of its calls were validated.
    let created: Vec<_> = exchanges
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/v1/payment_methods")
        .cloned()
        .collect();
    let methods = check_against(&spec, &created);
    assert!(
        methods.requests >= 3 && methods.responses >= 3,
        "POST /v1/payment_methods: {} requests, {} answers validated",
        methods.requests,
        methods.responses
    );
    let paid_with_created = exchanges.iter().any(|e| {
        e.method == "POST"
            && e.path == "/v1/payment_intents"
            && String::from_utf8_lossy(&e.request_body).contains("payment_method=pm_")
    });
    assert!(
        paid_with_created,
        "no PaymentIntent paid with a created PaymentMethod"
    );
    assert!(
        !exchanges
            .iter()
            .any(|e| String::from_utf8_lossy(&e.request_body).contains("payment_method_data")),
        "a raw card went into a PaymentIntent"
    );
}

/// The check is live: what the connector sent before it created PaymentMethods (raw card data
/// in the PaymentIntent's `payment_method_data`) is outside the document, as are a wrong type
/// and an unknown parameter; the same PaymentIntent paying with a PaymentMethod is inside.
#[test]
fn form_bodies_outside_the_document_are_violations() {
    let spec = OpenApi::stripe_payments().unwrap();
    let check = |path: &str, body: &str| spec.check_form_request("POST", path, body.as_bytes());
    let intent = "amount=1000&currency=usd&confirm=true&capture_method=manual\
                  &payment_method_types[]=card\
                  &payment_method_options[card][request_incremental_authorization]=if_available\
                  &metadata[reference]=ORD-1&expand[]=latest_charge";
    assert_eq!(
        check(
            "/v1/payment_intents",
            &format!("{intent}&payment_method=pm_card_visa")
        ),
        Ok(true)
    );
    let raw_card = format!(
        "{intent}&payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242\
         &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2030"
    );
    assert!(check("/v1/payment_intents", &raw_card).is_err());
    assert!(check("/v1/payment_intents", "amount=ten&currency=usd").is_err());
    assert!(check("/v1/payment_intents", "amount=100&currency=usd&colour=red").is_err());
    assert!(check("/v1/payment_intents", "amount[=100").is_err());
    assert_eq!(
        check(
            "/v1/payment_methods",
            "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2030\
             &card[cvc]=123&billing_details[name]=J+Smith"
        ),
        Ok(true)
    );
    assert!(check("/v1/payment_methods", "type=card&card[exp_month]=12").is_err());
}
