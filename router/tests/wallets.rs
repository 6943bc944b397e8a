//! Issue 21: wallet session tokens (Google Pay, Apple Pay with Apple's merchant validation over
//! mutual TLS, Primer's client session) and payments with wallet tokens, through the router.

mod common;

use std::collections::BTreeMap;

use common::*;
use paybridge_core::{ConnectorConfig, Wallet};
use serde_json::{json, Value};

/// A configuration reaching a Checkout.com simulator of its own (kept for the process).
fn checkout_simulator_config() -> ConnectorConfig {
    let runtime = tokio::runtime::Handle::current();
    let entry = paybridge_connector_tests::targets::connector("checkout").expect("entry");
    let target = tokio::task::block_in_place(|| runtime.block_on((entry.simulator)()))
        .expect("simulator starts");
    let config = target.config.clone();
    std::mem::forget(target);
    config
}

/// The wallets `connector` declares, from `GET /connectors`.
async fn declared_wallets(router: &TestRouter, connector: &str) -> Value {
    let matrix = router.call("GET", "/connectors", None).await;
    matrix.body["connectors"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["connector"] == connector))
        .map(|c| c["wallets"].clone())
        .unwrap_or(Value::Null)
}

async fn sessions(router: &TestRouter, payment_id: &str, wallets: &[&str]) -> Answer {
    router
        .call(
            "POST",
            "/payments/session_tokens",
            Some(json!({"payment_id": payment_id, "wallets": wallets})),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connector_gives_each_wallet_its_sheet_or_a_reason() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "session_token"]).await {
        let declared = declared_wallets(&router, connector).await;
        let payment = router
            .create(payment(connector, 1234, true, TestCard::Approved))
            .await;
        let eligibility = router
            .call(
                "GET",
                &format!("/payments/{}/eligibility", id(&payment)),
                None,
            )
            .await;
        for wallet in ["google_pay", "apple_pay"] {
            assert_eq!(
                eligibility.body["wallets"][wallet]["eligible"],
                declared[wallet]["session_token"] == true,
                "{connector} {wallet}: {:#}",
                eligibility.body
            );
        }
        let answer = sessions(&router, &id(&payment), &["google_pay", "apple_pay"]).await;
        assert_eq!(answer.status, 200, "{connector}: {:#}", answer.body);
        let entries = answer.body["session_token"].as_array().expect("entries");
        assert_eq!(entries.len(), 2, "{connector}: one entry per wallet");
        assert_eq!(entries[0]["wallet_name"], "google_pay");
        assert_eq!(entries[1]["wallet_name"], "apple_pay");
        for entry in entries {
            let wallet = entry["wallet_name"].as_str().expect("name");
            assert_eq!(entry["connector"], connector);
            if declared[wallet]["session_token"] != true {
                assert!(
                    entry["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(connector)),
                    "{connector} {wallet}: an undeclared wallet needs a reason: {entry:#}"
                );
                continue;
            }
            if let Some(token) = entry["client_token"].as_str() {
                // The processor's own SDK opens the wallets (Primer).
                assert!(token.len() > 16, "{connector}: {entry:#}");
                continue;
            }
            match wallet {
                "google_pay" => {
                    let sheet = &entry["payment_data_request"];
                    assert_eq!(sheet["apiVersion"], 2, "{connector}: {entry:#}");
                    assert_eq!(sheet["transactionInfo"]["totalPrice"], "12.34");
                    assert_eq!(sheet["transactionInfo"]["currencyCode"], "USD");
                    assert_eq!(entry["environment"], "TEST");
                    let spec = &sheet["allowedPaymentMethods"][0]["tokenizationSpecification"];
                    assert_eq!(spec["type"], "PAYMENT_GATEWAY");
                    let gateway = spec["parameters"]["gateway"].as_str().unwrap_or("");
                    assert!(
                        ["checkoutltd", "stripe"].contains(&gateway),
                        "{connector}: gateway {gateway}"
                    );
                }
                "apple_pay" => {
                    let session = &entry["session_token_data"];
                    assert!(
                        session["merchantSessionIdentifier"].is_string(),
                        "{connector}: Apple's session object: {entry:#}"
                    );
                    assert!(session["expiresAt"].as_i64() > session["epochTimestamp"].as_i64());
                    let request = &entry["payment_request_data"];
                    assert_eq!(request["total"]["amount"], "12.34");
                    assert_eq!(request["currencyCode"], "USD");
                    assert!(request["merchantCapabilities"]
                        .as_array()
                        .is_some_and(|c| c.contains(&json!("supports3DS"))));
                }
                other => panic!("unexpected wallet {other}"),
            }
        }
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_token_requests_are_checked() {
    let router = TestRouter::start().await;
    let created = router
        .create(payment("checkout", 1000, true, TestCard::Approved))
        .await;
    let pid = id(&created);
    let unknown = sessions(&router, &pid, &["samsung_pay"]).await;
    assert_eq!((unknown.status, unknown.code()), (400, "unknown_wallet"));
    let twice = sessions(&router, &pid, &["google_pay", "google_pay"]).await;
    assert_eq!((twice.status, twice.code()), (400, "duplicate_wallet"));
    let none = sessions(&router, &pid, &[]).await;
    assert_eq!(none.status, 400);
    // A merchant without wallet settings (no simulators, so no demo settings) is told why.
    let bare = TestRouter::start_configured(|c| {
        c.simulators = false;
        c.connectors = BTreeMap::from([("checkout".to_owned(), checkout_simulator_config())]);
    })
    .await;
    let bare_payment = bare
        .create(payment("checkout", 1000, true, TestCard::Approved))
        .await;
    let eligibility = bare
        .call(
            "GET",
            &format!("/payments/{}/eligibility", id(&bare_payment)),
            None,
        )
        .await;
    assert_eq!(eligibility.body["wallets"]["google_pay"]["eligible"], false);
    let refused = sessions(&bare, &id(&bare_payment), &["google_pay"]).await;
    assert_eq!(refused.status, 422, "{:#}", refused.body);
    assert!(
        refused.message().contains("[merchants.wallets]"),
        "{}",
        refused.message()
    );
    bare.running.shutdown().await;

    let missing = sessions(&router, "pay_doesnotexist", &["google_pay"]).await;
    assert_eq!(missing.status, 404);
    // Another merchant's payment is not found, not served.
    let other = router
        .raw(
            "POST",
            "/payments/session_tokens",
            Some(OTHER_KEY),
            None,
            Some(&json!({"payment_id": pid, "wallets": ["google_pay"]}).to_string()),
        )
        .await;
    assert_eq!(other.status, 404, "{:#}", other.body);
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_tokens_pay_through_each_connector_that_takes_them() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "capture"]).await {
        let declared = declared_wallets(&router, connector).await;
        for tokens in test_wallets(connector) {
            let wallet = tokens.wallet.name();
            let mut body = json!({"amount": 2100, "currency": "USD", "connector": connector,
                "capture_method": "manual"});
            merge(&mut body, wallet_fields(&tokens.approved));
            let answer = router.call("POST", "/payments", Some(body)).await;
            if declared[wallet]["payments"] != true {
                assert_eq!(
                    answer.status, 422,
                    "{connector} {wallet}: {:#}",
                    answer.body
                );
                continue;
            }
            assert_eq!(
                answer.status, 200,
                "{connector} {wallet}: {:#}",
                answer.body
            );
            let created = answer.body;
            assert_eq!(
                created["status"], "requires_capture",
                "{connector} {wallet}: {created:#}"
            );
            assert_eq!(created["payment_method"], "wallet");
            assert_eq!(created["payment_method_type"], wallet);
            assert!(
                created["payment_method_data"]["wallet"][wallet].is_object(),
                "{created:#}"
            );
            let pid = id(&created);
            let captured = router
                .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
                .await;
            assert_eq!(
                captured.status, 200,
                "{connector} {wallet}: {:#}",
                captured.body
            );
            assert_eq!(captured.body["amount_received"], 2100);
            if let Some((declined, _)) = &tokens.declined {
                let mut body = json!({"amount": 1000, "currency": "USD", "connector": connector});
                merge(&mut body, wallet_fields(declined));
                let failed = router.create(body).await;
                assert_eq!(
                    failed["status"], "failed",
                    "{connector} {wallet}: {failed:#}"
                );
                assert!(failed["error_code"].is_string(), "{failed:#}");
            }
        }
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_wallet_tokens_are_refused_by_part_without_echo() {
    let router = TestRouter::start().await;
    let google = |token: &str| {
        json!({"amount": 1000, "currency": "USD", "connector": "checkout",
            "payment_method": "wallet",
            "payment_method_data": {"wallet": {"google_pay": {"type": "CARD",
                "tokenization_data": {"type": "PAYMENT_GATEWAY", "token": token}}}}})
    };
    let not_json = router
        .call("POST", "/payments", Some(google("SECRET-TOKEN-BYTES")))
        .await;
    assert_eq!(
        (not_json.status, not_json.code()),
        (400, "invalid_wallet_token")
    );
    assert!(
        not_json.message().contains("tokenization_data.token"),
        "{}",
        not_json.message()
    );
    assert!(!not_json.body.to_string().contains("SECRET-TOKEN-BYTES"));

    let apple = json!({"amount": 1000, "currency": "USD", "connector": "checkout",
        "payment_method_data": {"wallet": {"apple_pay": {"payment_data": {
            "version": "EC_v1", "data": "c2VjcmV0", "signature": "c2ln",
            "header": {"publicKeyHash": "aGFzaA==", "transactionId": "abc123"}}}}}});
    let no_key = router.call("POST", "/payments", Some(apple)).await;
    assert_eq!(
        (no_key.status, no_key.code()),
        (400, "invalid_wallet_token")
    );
    assert!(
        no_key.message().contains("header.ephemeralPublicKey"),
        "{}",
        no_key.message()
    );

    let both = json!({"amount": 1000, "currency": "USD", "connector": "checkout",
        "payment_method_data": {"wallet": {}, "card": {"card_number": "4242424242424242",
            "card_exp_month": "12", "card_exp_year": "2031"}}});
    let both = router.call("POST", "/payments", Some(both)).await;
    assert_eq!(
        (both.status, both.code()),
        (400, "ambiguous_payment_method")
    );

    let tokens = test_wallets("checkout");
    let google_token = tokens
        .iter()
        .find(|t| t.wallet == Wallet::GooglePay)
        .expect("a Google Pay test token");
    let mut mismatch = json!({"amount": 1000, "currency": "USD", "connector": "checkout"});
    merge(&mut mismatch, wallet_fields(&google_token.approved));
    mismatch["payment_method_type"] = json!("apple_pay");
    let mismatch = router.call("POST", "/payments", Some(mismatch)).await;
    assert_eq!(
        (mismatch.status, mismatch.code()),
        (400, "payment_method_mismatch")
    );
    mismatch_card(&router).await;
    router.running.shutdown().await;
}

async fn mismatch_card(router: &TestRouter) {
    let mut body = payment("checkout", 1000, true, TestCard::Approved);
    body["payment_method"] = json!("wallet");
    let answer = router.call("POST", "/payments", Some(body)).await;
    assert_eq!(
        (answer.status, answer.code()),
        (400, "payment_method_mismatch")
    );
}

/// An Apple Pay simulator of its own, and a router whose merchant one validates with it using
/// `identity` (a certificate and key) and `domain`.
async fn apple_pay_merchant(
    identity: (String, String),
    domain: &str,
    simulator: &paybridge_sandbox::apple_pay::ApplePaySimHandle,
) -> (TestRouter, tempfile_dir::Dir) {
    let dir = tempfile_dir::Dir::new();
    let certificate = dir.write("identity.pem", &identity.0);
    let key = dir.write("identity.key", &identity.1);
    let ca = dir.write("ca.pem", simulator.ca_pem());
    let wallets: paybridge_router::wallets::WalletsConfig = serde_json::from_value(json!({
        "display_name": "Shop One",
        "country": "GB",
        "google_pay": {"merchant_id": "BCR2DN4T000000", "environment": "TEST"},
        "apple_pay": {
            "merchant_identifier": "merchant.com.shopone",
            "domain": domain,
            "certificate_file": certificate,
            "private_key_file": key,
            "endpoint": simulator.endpoint().to_string(),
            "extra_root_ca_file": ca,
            "timeout_ms": CONNECTOR_TIMEOUT_MS,
        }
    }))
    .expect("wallets table");
    let router = TestRouter::start_configured(|c| {
        c.merchants[0].wallets = Some(wallets);
    })
    .await;
    (router, dir)
}

/// A temporary directory removed at drop.
mod tempfile_dir {
    use std::path::PathBuf;

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            let path =
                std::env::temp_dir().join(format!("paybridge-wallets-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir(path)
        }

        pub fn write(&self, name: &str, text: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, text).expect("write");
            path.display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apple_pay_validation_uses_the_merchants_identity_and_names_apples_refusals() {
    use paybridge_sandbox::apple_pay::{self, ApplePaySimConfig, TestPki};
    use paybridge_sandbox::Fault;

    let simulator = apple_pay::start(
        ApplePaySimConfig::new().with_merchant("merchant.com.shopone", ["shop.one.example"]),
    )
    .await
    .expect("Apple Pay simulator");
    let identity = simulator
        .merchant_identity("merchant.com.shopone")
        .expect("identity");

    // The merchant's own settings: its names, its Google Pay merchant id, its Apple identity.
    let (router, _dir) = apple_pay_merchant(identity.clone(), "shop.one.example", &simulator).await;
    let created = router
        .create(payment("checkout", 1999, true, TestCard::Approved))
        .await;
    let pid = id(&created);
    let both = sessions(&router, &pid, &["apple_pay", "google_pay"]).await;
    assert_eq!(both.status, 200, "{:#}", both.body);
    let apple = &both.body["session_token"][0];
    assert_eq!(
        apple["session_token_data"]["domainName"],
        "shop.one.example"
    );
    assert_eq!(apple["session_token_data"]["displayName"], "Shop One");
    assert_eq!(apple["payment_request_data"]["countryCode"], "GB");
    assert_eq!(apple["payment_request_data"]["total"]["label"], "Shop One");
    let google = &both.body["session_token"][1]["payment_data_request"];
    assert_eq!(google["merchantInfo"]["merchantId"], "BCR2DN4T000000");
    assert_eq!(google["merchantInfo"]["merchantName"], "Shop One");
    assert_eq!(simulator.counters().sessions, 1);

    // Apple down: Apple Pay's entry says so, Google Pay is still served.
    simulator.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let down = sessions(&router, &pid, &["apple_pay", "google_pay"]).await;
    assert_eq!(down.status, 200, "{:#}", down.body);
    let error = &down.body["session_token"][0]["error"];
    assert!(
        error["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("apple_pay_")),
        "{error:#}"
    );
    assert!(down.body["session_token"][1]["payment_data_request"].is_object());

    // Apple silent past the timeout, and Apple Pay alone asked: the answer is the timeout.
    simulator.inject(Fault::Delay {
        duration: std::time::Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1000),
        after_processing: false,
    });
    let slow = sessions(&router, &pid, &["apple_pay"]).await;
    assert_eq!(
        (slow.status, slow.code()),
        (504, "apple_pay_timeout"),
        "{:#}",
        slow.body
    );
    router.running.shutdown().await;

    // A domain Apple does not know for the merchant: Apple's message reaches the merchant.
    let (router, _dir2) = apple_pay_merchant(identity, "other.example", &simulator).await;
    let created = router
        .create(payment("checkout", 1999, true, TestCard::Approved))
        .await;
    let refused = sessions(&router, &id(&created), &["apple_pay"]).await;
    assert_eq!(refused.status, 422, "{:#}", refused.body);
    assert!(
        refused.message().contains("other.example"),
        "{}",
        refused.message()
    );
    router.running.shutdown().await;

    // A certificate Apple did not issue: the TLS handshake fails, nothing is validated.
    let stranger = TestPki::generate()
        .expect("another CA")
        .merchant_identity("merchant.com.shopone")
        .expect("identity");
    let before = simulator.counters();
    let (router, _dir3) = apple_pay_merchant(stranger, "shop.one.example", &simulator).await;
    let created = router
        .create(payment("checkout", 1999, true, TestCard::Approved))
        .await;
    let unknown = sessions(&router, &id(&created), &["apple_pay"]).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (502, "apple_pay_unreachable"),
        "{:#}",
        unknown.body
    );
    let after = simulator.counters();
    assert!(after.handshake_failures > before.handshake_failures);
    assert_eq!(after.sessions, before.sessions);
    router.running.shutdown().await;
    simulator.shutdown().await;
}
