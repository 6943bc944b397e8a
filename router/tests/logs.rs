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
    // Customer, contacts and browser data reach every processor's logged body, masked.
    for connector in connectors_with(&router, &["authorize"]).await {
        let mut body = payment(connector, 1800, true, TestCard::Approved);
        merge(&mut body, details());
        router.create(body).await;
    }
    // Wallet tokens, exchanged with each processor that takes them, and the session tokens
    // (Apple's merchant session over mutual TLS, Primer's client token).
    let mut wallet_secrets = Vec::new();
    for connector in connectors_with(&router, &["authorize", "session_token"]).await {
        for tokens in test_wallets(connector) {
            let fields = wallet_fields(&tokens.approved);
            wallet_secrets.extend(wallet_token_parts(&fields));
            let mut body = json!({"amount": 1500, "currency": "USD", "connector": connector});
            merge(&mut body, fields);
            router.call("POST", "/payments", Some(body)).await;
        }
        let created = router
            .create(payment(connector, 1500, true, TestCard::Approved))
            .await;
        let sessions = router
            .call(
                "POST",
                "/payments/session_tokens",
                Some(json!({"payment_id": id(&created), "wallets": ["apple_pay", "google_pay"]})),
            )
            .await;
        for entry in sessions.body["session_token"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(token) = entry["client_token"].as_str() {
                wallet_secrets.push(token.to_owned());
            }
        }
    }
    assert!(
        wallet_secrets.len() >= 8,
        "wallet token parts: {wallet_secrets:?}"
    );
    router
        .raw(
            "GET",
            "/connectors",
            Some("wrong-key-do-not-log"),
            None,
            None,
        )
        .await;
    // A request id given is echoed and on every line of the request, the processor call's
    // included, with the merchant and the payment; one not fit for a log is replaced.
    let traced = router
        .client
        .post(format!("{}/payments", router.base))
        .header("api-key", KEY)
        .header("x-request-id", "req-test-42")
        .json(&payment("stripe", 1200, true, TestCard::Approved))
        .send()
        .await
        .expect("sent");
    assert_eq!(traced.headers()["x-request-id"], "req-test-42");
    let traced_payment: serde_json::Value = traced.json().await.expect("json");
    let forged = router
        .client
        .get(format!("{}/connectors", router.base))
        .header("api-key", KEY)
        .header("x-request-id", "x\" forged=1")
        .send()
        .await
        .expect("sent");
    let replaced = forged.headers()["x-request-id"].to_str().expect("text");
    assert!(
        replaced.starts_with("req_") && replaced.len() == 36,
        "{replaced}"
    );
    // External 3DS: the authentication values (CAVVs), which go from the 3DS server's answer
    // into each processor's request, and the 3DS server's API key.
    let mut three_ds_secrets =
        vec![paybridge_sandbox::threedsecureio::ThreeDSecureIoSimConfig::default().api_key];
    let frictionless = [
        (
            "checkout",
            paybridge_sandbox::threedsecureio::cards::luhn_valid(
                paybridge_sandbox::threedsecureio::cards::VISA_Y,
            ),
        ),
        ("stripe", paybridge_sandbox::stripe::cards::VISA.to_owned()),
    ];
    for (connector, pan) in frictionless {
        let created = router.create(external_3ds_payment(connector, &pan)).await;
        let answer = router
            .call(
                "POST",
                &format!("/payments/{}/3ds/authentication", id(&created)),
                Some(json!({})),
            )
            .await;
        assert_eq!(answer.body["trans_status"], "Y", "{:#}", answer.body);
        assert_eq!(
            answer.body["status"], "requires_capture",
            "{:#}",
            answer.body
        );
        let server_id = answer.body["three_ds_server_trans_id"]
            .as_str()
            .expect("a 3DS server transaction");
        let record = three_ds_transaction(&router, server_id).await;
        let cavv = record["ares"]["authenticationValue"]
            .as_str()
            .expect("an authentication value");
        three_ds_secrets.push(cavv.to_owned());
        three_ds_secrets.push(pan);
    }
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
        // In a form (Stripe's `card[cvc]`); a bare `=9137` also matches a random id's start.
        "cvc]=9137".to_owned(),
        "cvc=9137".to_owned(),
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
    secrets.extend(personal_data().into_iter().map(str::to_owned));
    secrets.extend(wallet_secrets);
    secrets.extend(three_ds_secrets);
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    assert!(
        text.contains("Marker description 77"),
        "what is not personal data stays readable"
    );
    let call_line = text
        .lines()
        .find(|l| l.contains("req-test-42") && l.contains("processor_call"))
        .unwrap_or_else(|| panic!("no processor call line carries the request id"));
    assert!(call_line.contains("merchant_one"), "{call_line}");
    let pid = traced_payment["payment_id"].as_str().expect("payment id");
    assert!(call_line.contains(pid), "{call_line}");
    assert!(
        !text.contains("forged=1"),
        "a client's request id forged a log field"
    );
    // The cardholder's name and the expiry are masked; their field names stay visible.
    assert!(
        text.contains("expiry_month"),
        "Checkout.com's body was logged"
    );
    assert!(text.contains("exp_month"), "Stripe's body was logged");
    for shown in [
        "Jane Doe",
        "Jane+Doe",
        "\"expiry_month\":12",
        "\"expiry_year\":2031",
        "exp_month%5D=12",
        "exp_month]=12",
        "exp_year%5D=2031",
        "exp_year]=2031",
    ] {
        assert!(!text.contains(shown), "card data reached the logs: {shown}");
    }
    router.running.shutdown().await;
}

/// The parts of a wallet token that must never be logged: Google Pay's signature, signed
/// message and signing key, Apple Pay's data, signature and keys.
fn wallet_token_parts(fields: &serde_json::Value) -> Vec<String> {
    let wallet = &fields["payment_method_data"]["wallet"];
    let mut parts = Vec::new();
    if let Some(token) = wallet["google_pay"]["tokenization_data"]["token"].as_str() {
        let token: serde_json::Value = serde_json::from_str(token).expect("token JSON");
        if let Some(signed) = token["signedMessage"].as_str() {
            // Google's encrypted token (gateways other than Stripe).
            parts.push(signed.to_owned());
            parts.push(token["signature"].as_str().expect("signature").to_owned());
            let key = &token["intermediateSigningKey"];
            parts.push(key["signatures"][0].as_str().expect("signature").to_owned());
            let signed: serde_json::Value = serde_json::from_str(signed).expect("JSON");
            parts.push(
                signed["encryptedMessage"]
                    .as_str()
                    .expect("message")
                    .to_owned(),
            );
        }
    }
    let apple = &wallet["apple_pay"]["payment_data"];
    if apple.is_object() {
        for key in ["data", "signature"] {
            parts.push(apple[key].as_str().expect("part").to_owned());
        }
        parts.push(
            apple["header"]["ephemeralPublicKey"]
                .as_str()
                .expect("key")
                .to_owned(),
        );
    }
    parts
}
