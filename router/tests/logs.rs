//! Nothing secret reaches the logs, at any level: card numbers beyond BIN and last four, CVCs,
//! merchants' api keys, processors' keys, webhook secrets, payment-method tokens.

mod common;

use common::*;
use paybridge_connector_tests::LogCapture;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_payment_life_leaves_no_secret_in_the_trace_logs() {
    let logs = LogCapture::install().expect("the only subscriber in this test binary");
    let router = TestRouter::start().await;
    let card = json!({"card": {"card_number": "4242424242424242", "card_exp_month": "12",
        "card_exp_year": "2031", "card_cvc": "9137", "card_holder_name": "Jane Doe"}});
    let mut body = payment("checkout", 2500, true, TestCard::Approved);
    body["payment_method_data"] = card.clone();
    let first = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("log-test-1"),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let pid = id(&first.body);
    router
        .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
        .await;
    router
        .call(
            "POST",
            "/refunds",
            Some(json!({"payment_id": pid, "amount": 100})),
        )
        .await;
    let mut stripe = payment("stripe", 2500, false, TestCard::Approved);
    stripe["payment_method_data"] = card;
    router.call("POST", "/payments", Some(stripe)).await;
    router
        .create(payment("primer", 2500, false, TestCard::Approved))
        .await;
    router
        .raw(
            "GET",
            "/connectors",
            Some("wrong-key-do-not-log"),
            None,
            None,
        )
        .await;
    // Let the simulators' webhooks arrive.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let text = logs.text();
    assert!(text.contains("/payments"), "the requests were logged");
    assert!(
        text.contains("processor_call"),
        "the processor calls were logged"
    );
    let mut secrets = vec![
        "4242424242424242".to_owned(),
        "\"9137\"".to_owned(),
        "=9137".to_owned(),
        KEY.to_owned(),
        "wrong-key-do-not-log".to_owned(),
    ];
    for connector in connectors() {
        let entry = paybridge_connector_tests::targets::connector(connector).expect("entry");
        let target = (entry.simulator)()
            .await
            .expect("a target shows the simulator's secrets");
        secrets.extend(target.secrets.iter().cloned());
        if let Some(sim) = target.simulator {
            sim.shutdown().await;
        }
    }
    if let Some(token) = payment_fields("primer", TestCard::Approved)
        .and_then(|f| f["payment_token"].as_str().map(str::to_owned))
    {
        secrets.push(token);
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    router.running.shutdown().await;
}
