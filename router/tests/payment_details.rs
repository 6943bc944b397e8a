//! Issue 19: the payment details a merchant of the mirrored API sends (customer, contacts,
//! browser data, references, descriptors) are checked, stored, returned, and passed on to each
//! processor as its capabilities say; `connector` may be a list; the client secret is shown
//! once and kept only as a hash.

mod common;

use std::collections::BTreeMap;

use common::*;
use paybridge_connector_tests::details::sent_values;
use paybridge_connector_tests::targets;
use paybridge_connector_tests::traffic::RecordingProxy;
use serde_json::{json, Value};

/// A router whose `connector` reaches its simulator through a recording proxy.
async fn recorded(connector: &str) -> (TestRouter, RecordingProxy) {
    let entry = targets::connector(connector).expect("a registered connector");
    let target = (entry.simulator)().await.expect("simulator starts");
    let proxy = RecordingProxy::start(target.config.base_url.clone())
        .await
        .expect("proxy starts");
    let mut config = target.config.clone();
    config.base_url = proxy.url();
    let router = TestRouter::start_configured(|c| {
        c.simulators = false;
        c.connectors = BTreeMap::from([(connector.to_owned(), config)]);
    })
    .await;
    // The simulator lives as long as the test process; its handle is not needed.
    std::mem::forget(target);
    (router, proxy)
}

fn with_details(connector: &str) -> Value {
    let mut body = payment(connector, 1800, true, TestCard::Approved);
    merge(&mut body, details());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_detail_reaches_each_processor_as_its_capabilities_say() {
    for connector in connectors() {
        let (router, proxy) = recorded(connector).await;
        let matrix = router.call("GET", "/connectors", None).await;
        let forwarded: Vec<String> = matrix.body["connectors"][0]["forwarded_details"]
            .as_array()
            .expect("forwarded_details")
            .iter()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        let authorize = &matrix.body["connectors"][0]["flows"]["authorize"];
        if authorize["supported"] != true {
            // A freshly scaffolded connector, until it authorizes.
            router.running.shutdown().await;
            continue;
        }
        let conditions = authorize["conditions"].clone();
        let created = router.create(with_details(connector)).await;
        assert_eq!(
            created["status"], "requires_capture",
            "{connector}: {created:#}"
        );
        let sent = sent_values(&proxy.exchanges());
        let token = created["payment_method_data"].is_null();
        let cards_only = conditions.as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "billing_details_with_cards_only")
        });
        for (detail, marker) in detail_markers() {
            let billing_dropped = token && cards_only && detail.starts_with("billing_");
            let expected = forwarded.contains(&detail) && !billing_dropped;
            let found = sent.iter().any(|v| v.contains(marker));
            let detail = detail.as_str();
            assert_eq!(
                found, expected,
                "{connector}: {detail} forwarded = {expected} by its capabilities, found = {found}"
            );
        }
        // The merchant's order reference travels as metadata, to every processor.
        assert!(
            sent.iter().any(|v| v == "order-marker-991"),
            "{connector}: merchant_order_reference_id not sent"
        );
        router.running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_object_returns_the_details_as_given() {
    let router = TestRouter::start().await;
    let created = router.create(with_details("checkout")).await;
    let pid = id(&created);
    let read = router.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(read.status, 200);
    for answer in [&created, &read.body] {
        assert_eq!(answer["customer_id"], "cust-marker-4711");
        assert_eq!(
            answer["customer"],
            json!({"id": "cust-marker-4711", "name": "Ada Markername",
                "email": "ada.customer@example.com", "phone": "2079460011",
                "phone_country_code": "+44"})
        );
        assert_eq!(answer["email"], "ada.customer@example.com");
        assert_eq!(answer["name"], "Ada Markername");
        assert_eq!(answer["phone"], "2079460011");
        assert_eq!(answer["billing"]["address"]["line1"], "1 Billinglane");
        assert_eq!(answer["billing"]["address"]["line3"], Value::Null);
        assert_eq!(answer["billing"]["address"]["country"], "GB");
        assert_eq!(
            answer["billing"]["phone"],
            json!({"number": "2079460022", "country_code": "+44"})
        );
        assert_eq!(answer["billing"]["email"], "ada.billing@example.com");
        assert_eq!(answer["shipping"]["address"]["city"], "Leeds");
        assert_eq!(answer["shipping"]["email"], Value::Null);
        assert_eq!(answer["merchant_order_reference_id"], "order-marker-991");
        assert_eq!(answer["statement_descriptor_name"], "MARKERSHOP");
        assert_eq!(answer["statement_descriptor_suffix"], "ORDER77");
        assert_eq!(answer["authentication_type"], Value::Null);
        assert_eq!(answer["payment_method_type"], "credit");
        assert_eq!(answer["browser_info"]["ip_address"], "203.0.113.77");
        assert_eq!(answer["browser_info"]["time_zone"], -60);
        assert_eq!(answer["reference_id"], pid.as_str());
        let card = &answer["payment_method_data"]["card"];
        assert_eq!(card["last4"], "4242");
        assert_eq!(card["card_isin"], "424242");
        assert_eq!(card["card_type"], "credit");
        assert_eq!(card["card_holder_name"], Value::Null, "never stored");
        assert_eq!(answer["payment_method_data"]["billing"], answer["billing"]);
        assert_eq!(answer["attempts"][0]["payment_method_type"], "credit");
    }
    // The card network's id of the authorization, as Checkout.com's scheme_id gave it.
    let network_id = created["network_transaction_id"]
        .as_str()
        .expect("a network id");
    assert!(network_id.len() == 15 && network_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        read.body["network_transaction_id"],
        created["network_transaction_id"]
    );
    // Captures name the attempt they capture.
    let captured = router
        .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
        .await;
    assert_eq!(captured.status, 200, "{:#}", captured.body);
    assert_eq!(
        captured.body["captures"][0]["authorized_attempt_id"],
        created["attempts"][0]["attempt_id"]
    );
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_secret_is_shown_once_and_stored_only_as_a_hash() {
    let router = TestRouter::start().await;
    let body = payment("stripe", 1500, true, TestCard::Approved).to_string();
    let first = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("secret-once-1"),
            Some(&body),
        )
        .await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let pid = id(&first.body);
    let secret = first.body["client_secret"]
        .as_str()
        .expect("a client secret")
        .to_owned();
    let (prefix, random) = secret
        .split_once("_secret_")
        .expect("the mirrored API's form");
    assert_eq!(prefix, pid);
    assert!(
        random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()),
        "{secret}"
    );

    let replay = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("secret-once-1"),
            Some(&body),
        )
        .await;
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(id(&replay.body), pid);
    assert_eq!(replay.body["client_secret"], Value::Null);
    let read = router.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(read.body["client_secret"], Value::Null);
    let other = router
        .create(payment("stripe", 1500, true, TestCard::Approved))
        .await;
    assert_ne!(other["client_secret"], first.body["client_secret"]);

    // Neither the payments table nor the idempotency records hold it.
    let Some(path) = router.database_url.strip_prefix("sqlite://") else {
        eprintln!("skipped the file check: not on SQLite");
        return;
    };
    router.running.shutdown().await;
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
            stored.extend(bytes);
        }
    }
    assert!(
        stored.windows(pid.len()).any(|w| w == pid.as_bytes()),
        "the database holds the payment"
    );
    assert!(
        !stored.windows(random.len()).any(|w| w == random.as_bytes()),
        "the client secret was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_details_are_refused_before_anything_is_stored_or_sent() {
    let (router, proxy) = recorded("checkout").await;
    let cases = [
        (json!({"email": "ada@example"}), "invalid_email"),
        (
            json!({"billing": {"address": {"country": "UK"}}}),
            "invalid_country",
        ),
        (
            json!({"shipping": {"phone": {"number": "12"}}}),
            "invalid_phone",
        ),
        (
            json!({"customer": {"id": "x".repeat(65)}}),
            "invalid_customer_id",
        ),
        (
            json!({"billing": {"address": {"line1": "x".repeat(256)}}}),
            "invalid_text",
        ),
        (
            json!({"browser_info": {"ip_address": "localhost"}}),
            "invalid_browser_info",
        ),
        (
            json!({"shipping": {"address": {"street": "1 Road"}}}),
            "invalid_body",
        ),
        (json!({"connector": []}), "unknown_connector"),
        (
            json!({"connector": ["checkout", "checkout"]}),
            "duplicate_connector",
        ),
        (
            json!({"connector": ["checkout", "adyen"]}),
            "unknown_connector",
        ),
        (json!({"connector": 7}), "invalid_body"),
    ];
    for (extra, code) in cases {
        let mut body = payment("checkout", 1000, true, TestCard::Approved);
        merge(&mut body, extra.clone());
        let answer = router.call("POST", "/payments", Some(body)).await;
        assert_eq!(answer.status, 400, "{extra}: {:#}", answer.body);
        assert_eq!(answer.code(), code, "{extra}: {}", answer.message());
    }
    assert_eq!(proxy.exchanges().len(), 0, "nothing reached the processor");
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_list_is_tried_in_order_until_one_takes_the_payment() {
    // Nothing listens on the discard port: checkout cannot be reached before anything is sent.
    let checkout = targets::connector("checkout").expect("registered");
    let unreachable_target = (checkout.simulator)().await.expect("simulator");
    let mut unreachable = unreachable_target.config.clone();
    unreachable.base_url = "http://127.0.0.1:9/".parse().expect("url");
    let stripe = (targets::connector("stripe").expect("registered").simulator)()
        .await
        .expect("simulator");
    let primer = (targets::connector("primer").expect("registered").simulator)()
        .await
        .expect("simulator");
    let router = TestRouter::start_configured(|c| {
        c.simulators = false;
        c.connectors = BTreeMap::from([
            ("checkout".to_owned(), unreachable),
            ("stripe".to_owned(), stripe.config.clone()),
            ("primer".to_owned(), primer.config.clone()),
        ]);
    })
    .await;

    // Primer takes no raw card: refused before sending, Stripe takes it.
    let mut body = payment("stripe", 1000, true, TestCard::Approved);
    body["connector"] = json!(["primer", "stripe"]);
    let created = router.create(body.clone()).await;
    assert_eq!(created["connector"], "stripe");
    assert_eq!(created["status"], "requires_capture");
    assert_eq!(created["attempts"][0]["connector"], "stripe");

    // Checkout cannot be reached: passed over for Stripe.
    body["connector"] = json!(["checkout", "stripe"]);
    let created = router.create(body.clone()).await;
    assert_eq!(created["connector"], "stripe", "{created:#}");
    let read = router
        .call("GET", &format!("/payments/{}", id(&created)), None)
        .await;
    assert_eq!(read.body["connector"], "stripe");

    // Alone (or last), an unreachable connector is the payment's failure, kept.
    body["connector"] = json!(["checkout"]);
    let failed = router.call("POST", "/payments", Some(body.clone())).await;
    assert_eq!(failed.status, 200, "{:#}", failed.body);
    assert_eq!(failed.body["connector"], "checkout");
    assert_eq!(failed.body["status"], "failed");

    // A Primer token suits Primer, first in the list.
    let mut token = payment("primer", 1000, true, TestCard::Approved);
    token["connector"] = json!(["primer", "stripe"]);
    let primer_first = router.create(token).await;
    assert_eq!(primer_first["connector"], "primer");

    // None takes it (Primer wants a token, Stripe KWD in tens): every reason, the first
    // connector's code, and nothing stored.
    body["connector"] = json!(["primer"]);
    body["currency"] = json!("KWD");
    body["amount"] = json!(1001);
    let alone = router.call("POST", "/payments", Some(body.clone())).await;
    assert!(alone.status >= 400, "{:#}", alone.body);
    body["connector"] = json!(["primer", "stripe"]);
    let none = router.call("POST", "/payments", Some(body)).await;
    assert_eq!(none.status, alone.status, "{:#}", none.body);
    assert_eq!(none.code(), alone.code());
    assert!(
        none.message().contains("primer:") && none.message().contains("stripe:"),
        "{}",
        none.message()
    );
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_end_reads_its_payment_with_the_client_secret_alone() {
    let router = TestRouter::start().await;
    let created = router
        .create(payment("stripe", 1500, true, TestCard::Approved))
        .await;
    let pid = id(&created);
    let secret = created["client_secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let other = router
        .create(payment("stripe", 1600, true, TestCard::Approved))
        .await;
    let other_secret = other["client_secret"]
        .as_str()
        .expect("a secret")
        .to_owned();

    let read = router
        .raw(
            "GET",
            &format!("/payments/{pid}?client_secret={secret}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{:#}", read.body);
    assert_eq!(read.body["payment_id"], pid.as_str());
    assert_eq!(read.body["amount"], 1500);
    assert_eq!(read.body["client_secret"], Value::Null, "never shown again");

    let mut wrong = secret.clone();
    wrong.replace_range(
        wrong.len() - 1..,
        if secret.ends_with('0') { "1" } else { "0" },
    );
    let refused = [
        format!("/payments/{pid}?client_secret={wrong}"),
        format!("/payments/{pid}?client_secret={other_secret}"),
        format!("/payments/pay_nosuchpayment0000000000000?client_secret={secret}"),
        format!("/payments/{pid}?client_secret={secret}&force_sync=true"),
        format!("/payments/{pid}"),
    ];
    for path in refused {
        let answer = router.raw("GET", &path, None, None, None).await;
        assert_eq!(answer.status, 401, "{path}: {:#}", answer.body);
        assert!(!answer.message().contains(&secret), "{}", answer.message());
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_keeps_the_issuers_code_where_the_processor_passes_it_on() {
    let router = TestRouter::start().await;
    let declined = router
        .create(payment("stripe", 1500, true, TestCard::Declined))
        .await;
    assert_eq!(declined["status"], "failed", "{declined:#}");
    // Stripe relays the network's code (insufficient funds: 51) as network_decline_code.
    assert_eq!(declined["issuer_error_code"], "51", "{declined:#}");
    assert_eq!(declined["issuer_error_message"], Value::Null);
    let pid = id(&declined);
    let read = router.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(read.body["issuer_error_code"], "51", "stored");
    router.running.shutdown().await;
}
