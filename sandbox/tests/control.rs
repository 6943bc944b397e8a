//! The shared control layer through the Checkout.com simulator: idempotency, faults, counters,
//! webhooks, shutdown.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::{payment, Sim};
use paybridge_core::webhook::{SignatureEncoding, WebhookSecrets};
use paybridge_sandbox::checkout::{cards, CheckoutSimConfig};
use paybridge_sandbox::{CounterSnapshot, Fault};
use serde_json::{json, Value};

#[tokio::test]
async fn a_replayed_key_returns_the_identical_answer_without_a_second_operation() {
    let sim = Sim::start().await;
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    let first = sim.post("/payments", &body, Some("key-1")).await;
    let second = sim.post("/payments", &body, Some("key-1")).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, first.status);
    assert_eq!(second.raw, first.raw, "identical body, same ids");
    let counters = sim.handle.counters();
    assert_eq!(
        (counters.authorizations, counters.replays, counters.requests),
        (1, 1, 2)
    );

    // The same key on another path is another key.
    let id = first.str("/id");
    let capture = sim
        .post(
            &format!("/payments/{id}/captures"),
            &json!({"amount": 100, "capture_type": "NonFinal"}),
            Some("key-1"),
        )
        .await;
    assert_eq!(capture.status, 202);
    let replay = sim
        .post(
            &format!("/payments/{id}/captures"),
            &json!({"amount": 100, "capture_type": "NonFinal"}),
            Some("key-1"),
        )
        .await;
    assert_eq!(replay.raw, capture.raw, "same action_id");
    assert_eq!(sim.handle.counters().captures, 1);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.int("/balances/total_captured"), 100);
    // Without a key, nothing is replayed.
    let other = sim.post("/payments", &body, None).await;
    assert_ne!(other.body["id"], first.body["id"]);
    assert_eq!(sim.handle.counters().replays, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn an_error_answer_is_not_stored_so_the_key_can_be_retried() {
    let sim = Sim::start().await;
    let mut body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    body["currency"] = json!("XXX");
    assert_eq!(
        sim.post("/payments", &body, Some("key-2")).await.status,
        422
    );
    body["currency"] = json!("EUR");
    let fixed = sim.post("/payments", &body, Some("key-2")).await;
    assert_eq!(fixed.status, 201);
    assert_eq!(fixed.body["currency"], "EUR");
    // A fault's 503 is not stored either.
    sim.handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    assert_eq!(
        sim.post("/payments", &body, Some("key-3")).await.status,
        503
    );
    assert_eq!(
        sim.post("/payments", &body, Some("key-3")).await.status,
        201
    );
    let counters = sim.handle.counters();
    assert_eq!((counters.authorizations, counters.replays), (2, 0));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_concurrent_duplicate_key_gets_429() {
    let sim = Arc::new(Sim::start().await);
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    sim.handle.inject(Fault::Delay {
        duration: Duration::from_millis(600),
        after_processing: false,
    });
    let first = {
        let (sim, body) = (sim.clone(), body.clone());
        tokio::spawn(async move { sim.post("/payments", &body, Some("dup")).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let duplicate = sim.post("/payments", &body, Some("dup")).await;
    assert_eq!(duplicate.status, 429, "{duplicate:?}");
    let first = first.await.unwrap();
    assert_eq!(first.status, 201);
    // Once done, the key replays.
    let later = sim.post("/payments", &body, Some("dup")).await;
    assert_eq!(later.raw, first.raw);
    let counters = sim.handle.counters();
    assert_eq!(
        (counters.authorizations, counters.replays, counters.requests),
        (1, 1, 3)
    );
    sim.handle.clone().shutdown().await;
}

#[tokio::test]
async fn a_status_fault_answers_once_without_processing() {
    let sim = Sim::start().await;
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    sim.handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let failed = sim.post("/payments", &body, None).await;
    assert_eq!(failed.status, 503);
    assert!(failed.raw.is_empty());
    assert_eq!(sim.post("/payments", &body, None).await.status, 201);
    let counters = sim.handle.counters();
    assert_eq!((counters.requests, counters.authorizations), (2, 1));

    sim.handle.inject(Fault::Status {
        status: 429,
        retry_after_secs: Some(7),
    });
    let limited = sim.post("/payments", &body, None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "7");
    assert!(limited.body["error_type"].is_string());

    sim.handle.inject(Fault::Status {
        status: 422,
        retry_after_secs: None,
    });
    let invalid = sim.post("/payments", &body, None).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.body["error_type"], "request_invalid");
    assert_eq!(sim.handle.counters().authorizations, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn faults_are_consumed_in_order_and_can_be_cleared() {
    let sim = Sim::start().await;
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    sim.handle.inject(Fault::Status {
        status: 500,
        retry_after_secs: None,
    });
    sim.handle.inject(Fault::Status {
        status: 502,
        retry_after_secs: None,
    });
    // Helper routes neither consume faults nor count.
    let page = sim
        .client
        .get(sim.url("/sim/3ds/pay_nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert_eq!(sim.post("/payments", &body, None).await.status, 500);
    assert_eq!(sim.get("/payments/pay_x").await.status, 502);
    assert_eq!(sim.post("/payments", &body, None).await.status, 201);
    sim.handle.inject(Fault::Status {
        status: 500,
        retry_after_secs: None,
    });
    sim.handle.clear_faults();
    assert_eq!(sim.post("/payments", &body, None).await.status, 201);
    assert_eq!(sim.handle.counters().requests, 4);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_delay_after_processing_times_the_client_out_but_the_capture_happened() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    sim.handle.inject(Fault::Delay {
        duration: Duration::from_millis(1500),
        after_processing: true,
    });
    let impatient = common::client(Some(Duration::from_millis(300)));
    let err = sim
        .try_post(
            &impatient,
            &format!("/payments/{id}/captures"),
            &json!({}),
            Some("cap-1"),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sim.handle.counters().captures, 1);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Captured");
    // The retry with the same key is a replay.
    let retry = sim
        .post(
            &format!("/payments/{id}/captures"),
            &json!({}),
            Some("cap-1"),
        )
        .await;
    assert_eq!(retry.status, 202);
    let counters = sim.handle.counters();
    assert_eq!((counters.captures, counters.replays), (1, 1));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_delay_before_processing_changes_nothing_until_it_ends() {
    let sim = Arc::new(Sim::start().await);
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    sim.handle.inject(Fault::Delay {
        duration: Duration::from_millis(500),
        after_processing: false,
    });
    let started = std::time::Instant::now();
    let task = {
        let (sim, body) = (sim.clone(), body.clone());
        tokio::spawn(async move { sim.post("/payments", &body, None).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.handle.counters().authorizations, 0);
    assert_eq!(task.await.unwrap().status, 201);
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(sim.handle.counters().authorizations, 1);
    sim.handle.clone().shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_gives_no_answer() {
    let sim = Sim::start().await;
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);

    sim.handle.inject(Fault::DropConnection {
        after_processing: false,
    });
    let err = sim
        .try_post(&sim.client, "/payments", &body, None)
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert_eq!(sim.handle.counters().authorizations, 0);
    assert_eq!(
        sim.post("/payments", &body, None).await.status,
        201,
        "the server lives on"
    );

    sim.handle.inject(Fault::DropConnection {
        after_processing: true,
    });
    assert!(sim
        .try_post(&sim.client, "/payments", &body, None)
        .await
        .is_err());
    assert_eq!(sim.handle.counters().authorizations, 2);
    // The payment exists: its webhook names it, and it can be retrieved.
    let last = sim.handle.webhooks().pop().unwrap();
    let event: Value = serde_json::from_slice(&last.body).unwrap();
    let id = event["data"]["id"].as_str().unwrap();
    assert_eq!(
        sim.get(&format!("/payments/{id}")).await.body["status"],
        "Authorized"
    );
    assert_eq!(sim.handle.counters().requests, 4);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn webhooks_are_signed_over_the_raw_body() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    sim.post(
        &format!("/payments/{id}/authorizations"),
        &json!({"amount": 100}),
        None,
    )
    .await;
    sim.post(
        &format!("/payments/{id}/captures"),
        &json!({"amount": 600}),
        None,
    )
    .await;
    sim.post(
        &format!("/payments/{id}/refunds"),
        &json!({"amount": 200}),
        None,
    )
    .await;
    let voided = sim.authorized(cards::VISA_APPROVED, 500, false).await;
    sim.post(&format!("/payments/{voided}/voids"), &json!({}), None)
        .await;
    sim.pay(cards::DO_NOT_HONOUR, 500, false, false).await;

    let secrets = WebhookSecrets::new([sim.config.webhook_secret.clone()]);
    let wrong = WebhookSecrets::new(["whsec_other"]);
    let webhooks = sim.handle.webhooks();
    let mut types = Vec::new();
    for webhook in &webhooks {
        let header = |name: &str| {
            webhook
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("content-type"), "application/json");
        let signature = header("cko-signature");
        assert_eq!(signature, signature.to_ascii_lowercase());
        secrets
            .verify(&[&webhook.body], &signature, SignatureEncoding::Hex)
            .unwrap();
        assert!(wrong
            .verify(&[&webhook.body], &signature, SignatureEncoding::Hex)
            .is_err());

        let event: Value = serde_json::from_slice(&webhook.body).unwrap();
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(event["version"], "1.0.33");
        assert!(event["created_on"].is_string());
        let data = &event["data"];
        assert!(data["id"].as_str().unwrap().starts_with("pay_"));
        assert!(data["action_id"].as_str().unwrap().starts_with("act_"));
        for field in [
            "amount",
            "currency",
            "response_code",
            "response_summary",
            "balances",
            "processed_on",
            "metadata",
        ] {
            assert!(!data[field].is_null(), "{field} in {event}");
        }
        types.push((
            event["type"].as_str().unwrap().to_owned(),
            data["amount"].as_i64().unwrap(),
        ));
    }
    let expected = [
        ("payment_approved", 1000),
        ("payment_authorization_incremented", 100),
        ("payment_captured", 600),
        ("payment_refunded", 200),
        ("payment_approved", 500),
        ("payment_voided", 500),
        ("payment_declined", 500),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(t, a)| ((*t).to_owned(), *a))
        .collect();
    assert_eq!(types, expected);
    // The refund event's balances are those right after the refund.
    let refund: Value = serde_json::from_slice(&webhooks[3].body).unwrap();
    assert_eq!(refund["data"]["balances"]["total_refunded"], 200);
    assert_eq!(refund["data"]["balances"]["total_voided"], 500);
    sim.handle.shutdown().await;
}

/// A local receiver of webhook deliveries.
async fn receiver() -> (
    url::Url,
    Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    tokio::task::JoinHandle<()>,
) {
    let received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/hooks", listener.local_addr().unwrap())).unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, received, server)
}

async fn wait_for(
    received: &Mutex<Vec<(HeaderMap, Bytes)>>,
    count: usize,
) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..100 {
        let got = received.lock().unwrap().clone();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    received.lock().unwrap().clone()
}

#[tokio::test]
async fn webhooks_are_delivered_to_the_target_in_order() {
    let (url, received, server) = receiver().await;
    let config = CheckoutSimConfig {
        webhook_url: Some(url.clone()),
        ..CheckoutSimConfig::default()
    };
    let sim = Sim::start_with(config).await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    sim.post(&format!("/payments/{id}/captures"), &json!({}), None)
        .await;
    let got = wait_for(&received, 2).await;
    assert_eq!(got.len(), 2);
    let emitted = sim.handle.webhooks();
    let secrets = WebhookSecrets::new([sim.config.webhook_secret.clone()]);
    for ((headers, body), sent) in got.iter().zip(&emitted) {
        assert_eq!(
            body.as_ref(),
            &sent.body[..],
            "delivered exactly as emitted"
        );
        let signature = headers["cko-signature"].to_str().unwrap();
        secrets
            .verify(&[body], signature, SignatureEncoding::Hex)
            .unwrap();
    }

    // No target: kept in the outbox only. A new target receives what comes next.
    sim.handle.set_webhook_target(None);
    sim.post(
        &format!("/payments/{id}/refunds"),
        &json!({"amount": 100}),
        None,
    )
    .await;
    sim.handle.set_webhook_target(Some(url));
    sim.post(
        &format!("/payments/{id}/refunds"),
        &json!({"amount": 100}),
        None,
    )
    .await;
    let got = wait_for(&received, 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(received.lock().unwrap().len(), 3);
    assert_eq!(got[2].1.as_ref(), &sim.handle.webhooks()[3].body[..]);
    assert_eq!(sim.handle.webhooks().len(), 4);
    sim.handle.shutdown().await;
    server.abort();
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    assert_eq!(
        sim.handle.counters(),
        CounterSnapshot {
            requests: 1,
            authorizations: 1,
            ..CounterSnapshot::default()
        }
    );
    let url = sim.url(&format!("/payments/{id}"));
    sim.handle.clone().shutdown().await;
    let fresh = common::client(Some(Duration::from_secs(2)));
    assert!(fresh.get(url).send().await.is_err());
}

#[tokio::test]
async fn start_on_a_given_port() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let handle = paybridge_sandbox::checkout::start_on(addr, CheckoutSimConfig::default())
        .await
        .unwrap();
    assert_eq!(handle.base_url().as_str(), format!("http://{addr}/"));
    handle.shutdown().await;
}
