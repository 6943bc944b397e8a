//! Money never moves twice or goes missing: concurrent captures and refunds on one payment,
//! processor timeouts resolved by a sync, and webhooks from the simulators applied once.

mod common;

use std::time::Duration;

use common::*;
use futures_like::join_all;
use paybridge_connector_tests::targets;
use paybridge_core::{CaptureMethod, PaymentSyncRequest, RefundSyncRequest};
use paybridge_sandbox::Fault;
use serde_json::{json, Value};

/// A tiny `join_all` over spawned tasks (no extra dependency).
mod futures_like {
    pub async fn join_all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.expect("task"));
        }
        out
    }
}

async fn capture_conditions(router: &TestRouter, connector: &str) -> Vec<Value> {
    let matrix = router.call("GET", "/connectors", None).await;
    matrix.body["connectors"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["connector"] == connector)
        .and_then(|c| c["flows"]["capture"]["conditions"].as_array().cloned())
        .unwrap_or_default()
}

/// Fires `count` copies of one POST at once; returns the statuses and bodies.
async fn fire(router: &TestRouter, path: &str, body: Value, count: usize) -> Vec<(u16, Value)> {
    fire_at(&[router], path, body, count).await
}

/// [`fire`] spread over `routers` in turn, as a load balancer would.
async fn fire_at(
    routers: &[&TestRouter],
    path: &str,
    body: Value,
    count: usize,
) -> Vec<(u16, Value)> {
    let tasks = (0..count)
        .map(|i| {
            let router = routers[i % routers.len()];
            let client = router.client.clone();
            let url = format!("{}{path}", router.base);
            let body = body.to_string();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .header("api-key", KEY)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("answer");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.expect("json"))
            })
        })
        .collect();
    join_all(tasks).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_captures_never_exceed_the_authorization() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "capture", "payment_sync"]).await {
        let multiple = capture_conditions(&router, connector)
            .await
            .iter()
            .any(|c| c["type"] == "multiple");
        let pid = id(&router
            .create(payment(connector, 5000, true, TestCard::Approved))
            .await);
        let requests_before = router.simulator(connector).counters().requests;
        let body = if multiple {
            json!({"amount_to_capture": 200, "final_capture": false})
        } else {
            json!({"amount_to_capture": 5000})
        };
        let answers = fire(&router, &format!("/payments/{pid}/capture"), body, 50).await;
        let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
        for (status, body) in &answers {
            assert!(
                *status == 200 || *status == 400 || *status == 409,
                "{connector}: {status} {body:#}"
            );
        }
        let expected = if multiple { 25 } else { 1 };
        assert_eq!(accepted, expected, "{connector}: {answers:#?}");
        // The router refused the excess itself: only the accepted captures reached the processor.
        let counters = router.simulator(connector).counters();
        assert_eq!(
            counters.captures, expected as u64,
            "{connector}: {counters:?}"
        );
        assert!(
            counters.requests - requests_before <= 2 * expected as u64,
            "{connector}: a capture and at most one settling sync each: {counters:?}"
        );

        let stored = router
            .call("GET", &format!("/payments/{pid}"), None)
            .await
            .body;
        assert_eq!(stored["amount_received"], 5000, "{connector}: {stored:#}");
        let captured: i64 = stored["captures"]
            .as_array()
            .expect("captures")
            .iter()
            .filter(|c| c["status"] == "charged")
            .map(|c| c["amount"].as_i64().expect("amount"))
            .sum();
        assert_eq!(captured, 5000, "{connector}");
        // The processor agrees.
        let synced = router
            .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
            .await
            .body;
        assert_eq!(synced["amount_received"], 5000, "{connector}: {synced:#}");
        assert_eq!(synced["status"], "succeeded", "{connector}");
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_refunds_never_exceed_the_capture() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "refund"]).await {
        let sale = router
            .create(payment(connector, 5000, false, TestCard::Approved))
            .await;
        assert_eq!(sale["status"], "succeeded", "{connector}");
        let pid = id(&sale);
        let requests_before = router.simulator(connector).counters().requests;
        let answers = fire(
            &router,
            "/refunds",
            json!({"payment_id": pid, "amount": 150}),
            50,
        )
        .await;
        let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(accepted, 33, "{connector}: 33 × 150 = 4950 fit in 5000");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 400, "{connector}: {body:#}");
            assert_eq!(
                body["error"]["code"], "amount_exceeds_refundable",
                "{connector}"
            );
        }
        let stored = router
            .call("GET", &format!("/payments/{pid}"), None)
            .await
            .body;
        let refunded: i64 = stored["refunds"]
            .as_array()
            .expect("refunds")
            .iter()
            .filter(|r| r["status"] != "failed")
            .map(|r| r["amount"].as_i64().expect("amount"))
            .sum();
        assert_eq!(refunded, 4950, "{connector}");
        let counters = router.simulator(connector).counters();
        assert_eq!(counters.refunds, 33, "{connector}: {counters:?}");
        assert!(
            counters.requests - requests_before <= 66,
            "{connector}: a refund and at most one sync each: {counters:?}"
        );
        let eligibility = router
            .call("GET", &format!("/payments/{pid}/eligibility"), None)
            .await;
        assert_eq!(eligibility.body["operations"]["refund"]["max_amount"], 50);
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_that_times_out_is_pending_until_a_sync_resolves_it() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "capture", "payment_sync"]).await {
        let sim = router.simulator(connector);
        // Webhooks would resolve it too; this test is about the sync.
        sim.set_webhook_target(None);
        let pid = id(&router
            .create(payment(connector, 3000, true, TestCard::Approved))
            .await);
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
            after_processing: true,
        });
        let answer = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(answer.status, 200, "{connector}: {:#}", answer.body);
        let payment = &answer.body;
        assert_eq!(payment["status"], "processing", "{connector}: {payment:#}");
        assert_eq!(payment["captures"][0]["status"], "pending", "{connector}");
        assert!(
            payment["captures"][0]["error_message"]
                .as_str()
                .unwrap_or("")
                .contains("sync"),
            "{connector}: {payment:#}"
        );
        assert_eq!(
            payment["amount_received"], 0,
            "{connector}: nothing invented"
        );
        assert_eq!(
            payment["amount_capturable"], 0,
            "{connector}: the amount is reserved"
        );
        // Nothing else may be captured or voided while the outcome is unknown.
        let again = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(again.status, 409, "{connector}");
        let void = router
            .call("POST", &format!("/payments/{pid}/cancel"), Some(json!({})))
            .await;
        assert_eq!(void.status, 409, "{connector}");

        let synced = router
            .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
            .await;
        assert_eq!(synced.status, 200, "{connector}: {:#}", synced.body);
        assert_eq!(
            synced.body["status"], "succeeded",
            "{connector}: {:#}",
            synced.body
        );
        assert_eq!(synced.body["amount_received"], 3000, "{connector}");
        assert_eq!(
            synced.body["captures"][0]["status"], "charged",
            "{connector}"
        );
        assert_eq!(synced.body["captures"].as_array().map(Vec::len), Some(1));
        sim.clear_faults();
    }
    router.running.shutdown().await;
}

/// A payment read while captures are written shows one version of it: its amounts agree with
/// its captures. (On PostgreSQL the payment row and its children are separate statements, which
/// a write can fall between; SQLite's one connection never interleaves them.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_racing_captures_see_one_version_of_the_payment() {
    let router = TestRouter::start().await;
    let mut tested = 0;
    for connector in connectors_with(&router, &["authorize", "capture"]).await {
        let multiple = capture_conditions(&router, connector)
            .await
            .iter()
            .any(|c| c["type"] == "multiple");
        if !multiple {
            continue;
        }
        tested += 1;
        let pid = id(&router
            .create(payment(connector, 3000, true, TestCard::Approved))
            .await);
        let path = format!("/payments/{pid}");
        let reader = {
            let (client, url) = (router.client.clone(), format!("{}{path}", router.base));
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while seen
                    .last()
                    .is_none_or(|p: &Value| p["amount_received"] != 3000)
                {
                    let answer = client.get(&url).header("api-key", KEY).send().await;
                    seen.push(answer.expect("answer").json::<Value>().await.expect("json"));
                }
                seen
            })
        };
        for _ in 0..30 {
            let body = json!({"amount_to_capture": 100, "final_capture": false});
            let answer = router
                .call("POST", &format!("{path}/capture"), Some(body))
                .await;
            assert_eq!(answer.status, 200, "{connector}: {:#}", answer.body);
        }
        let seen = tokio::time::timeout(Duration::from_secs(30), reader)
            .await
            .expect("the reader sees the last capture")
            .expect("reader");
        for payment in &seen {
            let captures = payment["captures"].as_array().expect("captures");
            let sum = |statuses: &[&str]| -> i64 {
                captures
                    .iter()
                    .filter(|c| statuses.iter().any(|s| c["status"] == *s))
                    .map(|c| c["amount"].as_i64().expect("amount"))
                    .sum()
            };
            let capturable = payment["amount_capturable"].as_i64().expect("capturable");
            assert_eq!(
                capturable + sum(&["pending", "charged"]),
                3000,
                "{connector}: {payment:#}"
            );
            assert_eq!(
                payment["amount_received"].as_i64().expect("received"),
                sum(&["charged"]),
                "{connector}: {payment:#}"
            );
        }
        assert!(seen.len() > 1, "{connector}: the reader raced the captures");
    }
    assert!(tested > 0, "no connector takes multiple captures");
    router.running.shutdown().await;
}

/// A processor that only accepts a capture (Checkout.com answers 202) is asked at once how it
/// went, and the acceptance is stored with that answer. When that sync fails, the acceptance
/// is stored alone: the capture stays pending until a later sync settles it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_capture_whose_sync_fails_is_stored_as_processing() {
    let router = TestRouter::start().await;
    let mut accepting = 0;
    for connector in connectors_with(&router, &["authorize", "capture", "payment_sync"]).await {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let first = id(&router
            .create(payment(connector, 2000, true, TestCard::Approved))
            .await);
        let before = sim.counters().requests;
        let settled = router
            .call(
                "POST",
                &format!("/payments/{first}/capture"),
                Some(json!({})),
            )
            .await;
        assert_eq!(settled.body["status"], "succeeded", "{connector}");
        if sim.counters().requests - before < 2 {
            continue; // this processor captures at once, nothing to settle
        }
        accepting += 1;

        let pid = id(&router
            .create(payment(connector, 2000, true, TestCard::Approved))
            .await);
        // The capture goes through; every attempt of the sync after it fails.
        sim.inject(Fault::Delay {
            duration: Duration::ZERO,
            after_processing: true,
        });
        for _ in 0..4 {
            sim.inject(Fault::Status {
                status: 503,
                retry_after_secs: None,
            });
        }
        let accepted = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        sim.clear_faults();
        assert_eq!(accepted.status, 200, "{connector}: {:#}", accepted.body);
        let stored = router.call("GET", &format!("/payments/{pid}"), None).await;
        for payment in [&accepted.body, &stored.body] {
            assert_eq!(payment["status"], "processing", "{connector}: {payment:#}");
            assert_eq!(payment["captures"][0]["status"], "pending", "{connector}");
            assert!(
                payment["captures"][0]["connector_capture_id"].is_string(),
                "{connector}: the acceptance is stored: {payment:#}"
            );
            assert_eq!(payment["amount_received"], 0, "{connector}");
        }
        let synced = router
            .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
            .await;
        assert_eq!(synced.body["status"], "succeeded", "{connector}");
        assert_eq!(synced.body["amount_received"], 2000, "{connector}");
        assert_eq!(
            synced.body["captures"][0]["status"], "charged",
            "{connector}"
        );
    }
    assert!(
        accepting > 0,
        "no connector only accepts captures; Checkout.com does"
    );
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_that_times_out_is_never_invented() {
    let router = TestRouter::start().await;
    let sim = router.simulator("checkout");
    sim.inject(Fault::Delay {
        duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
        after_processing: false,
    });
    let created = router
        .create(payment("checkout", 900, true, TestCard::Approved))
        .await;
    assert_eq!(created["status"], "processing", "{created:#}");
    assert_eq!(created["error_code"], "outcome_unknown");
    assert_eq!(created["attempts"][0]["status"], "pending");
    assert_eq!(created["amount_capturable"], 0);
    let pid = id(&created);
    let capture = router
        .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
        .await;
    assert_eq!(capture.status, 409, "{:#}", capture.body);
    // Without the processor's id a sync cannot find it; the answer says how to reconcile.
    let sync = router
        .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
        .await;
    assert_eq!(sync.status, 409, "{:#}", sync.body);
    assert!(sync.message().contains(&pid), "{}", sync.message());
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_webhooks_update_stored_payments_once() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "capture", "webhooks"]).await {
        let sim = router.simulator(connector);
        let pid = id(&router
            .create(payment(connector, 2000, true, TestCard::Approved))
            .await);
        // The capture happens at the processor but its answer is lost: only the webhook tells.
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
            after_processing: true,
        });
        let answer = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(
            answer.body["captures"][0]["status"], "pending",
            "{connector}"
        );
        let settled = eventually(&router, &format!("/payments/{pid}"), |p| {
            p["status"] == "succeeded"
        })
        .await;
        assert_eq!(
            settled["status"], "succeeded",
            "{connector}: the webhook applied: {settled:#}"
        );
        assert_eq!(settled["amount_received"], 2000, "{connector}");
        assert_eq!(settled["captures"][0]["status"], "charged", "{connector}");

        // A redelivered event is recognised and changes nothing.
        let delivered = sim.webhooks();
        let last = delivered.last().expect("the simulator sent webhooks");
        let mut request = router
            .client
            .post(format!("{}/webhooks/{connector}", router.base));
        for (name, value) in &last.headers {
            request = request.header(name, value);
        }
        let again = request
            .body(last.body.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.expect("json");
        assert_eq!(again["status"], "duplicate", "{connector}: {again:#}");
        let after = router
            .call("GET", &format!("/payments/{pid}"), None)
            .await
            .body;
        assert_eq!(after["amount_received"], 2000, "{connector}");
        assert_eq!(
            after["updated"], settled["updated"],
            "{connector}: untouched"
        );

        // A forged one (body changed after signing) is refused and changes nothing.
        let forged_body = String::from_utf8_lossy(&last.body).replace("2000", "9000");
        let mut request = router
            .client
            .post(format!("{}/webhooks/{connector}", router.base));
        for (name, value) in &last.headers {
            request = request.header(name, value);
        }
        let forged = request.body(forged_body).send().await.expect("answer");
        assert_eq!(forged.status(), 400, "{connector}");
        let forged: Value = forged.json().await.expect("json");
        assert_eq!(
            forged["error"]["code"], "webhook_verification_failed",
            "{connector}"
        );
        let unsigned = router
            .client
            .post(format!("{}/webhooks/{connector}", router.base))
            .body(last.body.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(unsigned.status(), 400, "{connector}");
    }
    let unknown = router
        .raw("POST", "/webhooks/adyen", None, None, Some("{}"))
        .await;
    assert_eq!(unknown.status, 404);
    router.running.shutdown().await;
}

/// Two routers on one database: each remembers the payments it last wrote, and must act on
/// what the other did since, never on its own stale copy. A is told to refund what only B
/// captured; B is told to refund more than is left after A's refund; both edit the metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_routers_on_one_database_act_on_each_others_changes() {
    let mut tested = 0;
    for connector in connectors() {
        let (a, b, simulator, _) = TestRouter::start_two(connector).await;
        if connectors_with(&a, &["authorize", "capture", "refund"])
            .await
            .is_empty()
        {
            // A connector without these flows yet (a new scaffold).
            a.running.shutdown().await;
            b.running.shutdown().await;
            simulator.shutdown().await;
            continue;
        }
        tested += 1;
        let created = a
            .create(payment(connector, 1000, true, TestCard::Approved))
            .await;
        assert_eq!(created["status"], "requires_capture", "{connector}");
        let pid = id(&created);
        let path = format!("/payments/{pid}");

        let captured = b
            .call("POST", &format!("{path}/capture"), Some(json!({})))
            .await;
        assert_eq!(captured.status, 200, "{connector}: {:#}", captured.body);
        assert_eq!(captured.body["amount_received"], 1000, "{connector}");

        // A last saw the payment uncaptured.
        let refund = json!({"payment_id": pid, "amount": 300});
        let refunded = a.call("POST", "/refunds", Some(refund)).await;
        assert_eq!(refunded.status, 200, "{connector}: {:#}", refunded.body);

        // B last saw it captured with nothing refunded: 1000 refundable to it, 700 in fact.
        let refund = json!({"payment_id": pid, "amount": 800});
        let too_much = b.call("POST", "/refunds", Some(refund)).await;
        assert_eq!(too_much.status, 400, "{connector}: {:#}", too_much.body);
        assert_eq!(too_much.code(), "amount_exceeds_refundable", "{connector}");
        assert!(too_much.message().contains("700"), "{}", too_much.message());

        for (key, router) in [("a", &a), ("b", &b), ("c", &a)] {
            let body = json!({"metadata": {key: 1}});
            let put = router
                .call("PUT", &format!("{path}/update_metadata"), Some(body))
                .await;
            assert_eq!(put.status, 200, "{connector}: {:#}", put.body);
        }

        for router in [&a, &b] {
            let stored = router.call("GET", &path, None).await.body;
            let refunds = stored["refunds"].as_array().expect("refunds");
            assert_eq!(refunds.len(), 1, "{connector}: {stored:#}");
            assert_eq!(refunds[0]["amount"], 300, "{connector}");
            assert_eq!(
                stored["metadata"],
                json!({"a": 1, "b": 1, "c": 1}),
                "{connector}"
            );
        }
        assert_eq!(simulator.counters().refunds, 1, "{connector}");
        a.running.shutdown().await;
        b.running.shutdown().await;
        simulator.shutdown().await;
    }
    assert!(tested > 0, "no connector captures and refunds");
}

/// Two instances on one database (PostgreSQL in CI), 100 concurrent captures and then 100
/// concurrent refunds spread over both: never more captured than authorized nor refunded than
/// captured, and every answer a client got is what the processor (the simulator, asked
/// directly) holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_concurrent_captures_and_refunds_exactly() {
    let mut tested = 0;
    for connector in connectors() {
        let (a, b, simulator, config) = TestRouter::start_two(connector).await;
        let flows = [
            "authorize",
            "capture",
            "refund",
            "payment_sync",
            "refund_sync",
        ];
        if connectors_with(&a, &flows).await.is_empty() {
            // A connector without these flows yet (a new scaffold).
            a.running.shutdown().await;
            b.running.shutdown().await;
            simulator.shutdown().await;
            continue;
        }
        tested += 1;
        let entry = targets::connector(connector).expect("registered");
        let processor = (entry.build)(&config).expect("a direct connector");
        let multiple = capture_conditions(&a, connector)
            .await
            .iter()
            .any(|c| c["type"] == "multiple");
        let created = a
            .create(payment(connector, 5000, true, TestCard::Approved))
            .await;
        assert_eq!(created["status"], "requires_capture", "{connector}");
        let pid = id(&created);
        let connector_payment_id = created["connector_transaction_id"]
            .as_str()
            .expect("the processor's id")
            .to_owned();

        // 100 captures: of 100 each where several may be made (50 fit), else of everything
        // (one fits).
        let (capture, fit) = if multiple {
            (
                json!({"amount_to_capture": 100, "final_capture": false}),
                50,
            )
        } else {
            (json!({"amount_to_capture": 5000}), 1)
        };
        let answers = fire_at(&[&a, &b], &format!("/payments/{pid}/capture"), capture, 100).await;
        let accepted: Vec<&Value> = answers
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, body)| body)
            .collect();
        for (status, body) in &answers {
            assert!(
                *status == 200 || *status == 400 || *status == 409,
                "{connector}: {status} {body:#}"
            );
        }
        assert_eq!(accepted.len(), fit, "{connector}: {answers:#?}");
        assert_eq!(simulator.counters().captures, fit as u64, "{connector}");
        let held = processor
            .sync_payment(&PaymentSyncRequest {
                connector_payment_id: connector_payment_id.clone(),
                capture_method: CaptureMethod::Manual,
            })
            .await
            .expect("the processor's record");
        assert_eq!(held.amounts.received.get(), 5000, "{connector}: {held:?}");
        for answer in &accepted {
            // Each answer saw its own capture and no more than the processor holds.
            let received = answer["amount_received"].as_i64().expect("amount_received");
            assert!((100..=5000).contains(&received), "{connector}: {answer:#}");
            assert_eq!(
                answer["connector_transaction_id"],
                connector_payment_id.as_str()
            );
        }
        for router in [&a, &b] {
            let stored = router
                .call("GET", &format!("/payments/{pid}"), None)
                .await
                .body;
            assert_eq!(stored["amount_received"], 5000, "{connector}: {stored:#}");
            let charged = stored["captures"]
                .as_array()
                .expect("captures")
                .iter()
                .filter(|c| c["status"] == "charged")
                .count();
            assert_eq!(charged, fit, "{connector}: {stored:#}");
        }

        // 100 refunds of 75: 66 fit in 5000 (4950).
        let answers = fire_at(
            &[&b, &a],
            "/refunds",
            json!({"payment_id": pid, "amount": 75}),
            100,
        )
        .await;
        let mut refund_ids = std::collections::BTreeSet::new();
        for (status, body) in &answers {
            match status {
                200 => {
                    let refund_id = body["connector_refund_id"].as_str().expect("refund id");
                    assert!(
                        refund_ids.insert(refund_id.to_owned()),
                        "{connector}: twice"
                    );
                    let record = processor
                        .sync_refund(&RefundSyncRequest {
                            connector_payment_id: connector_payment_id.clone(),
                            connector_refund_id: refund_id.to_owned(),
                        })
                        .await
                        .expect("the processor's refund");
                    assert_eq!(
                        body["status"],
                        serde_json::to_value(record.status).expect("status"),
                        "{connector}: the answer is the processor's record: {body:#} {record:?}"
                    );
                    assert_eq!(body["amount"], 75, "{connector}");
                    if let Some(amount) = record.amount {
                        assert_eq!(amount.get(), 75, "{connector}");
                    }
                }
                400 => assert_eq!(
                    body["error"]["code"], "amount_exceeds_refundable",
                    "{connector}"
                ),
                409 => {}
                _ => panic!("{connector}: {status} {body:#}"),
            }
        }
        assert_eq!(refund_ids.len(), 66, "{connector}: {answers:#?}");
        assert_eq!(simulator.counters().refunds, 66, "{connector}");
        for router in [&a, &b] {
            let stored = router
                .call("GET", &format!("/payments/{pid}"), None)
                .await
                .body;
            let refunds = stored["refunds"].as_array().expect("refunds");
            assert_eq!(refunds.len(), 66, "{connector}");
            let total: i64 = refunds
                .iter()
                .map(|r| r["amount"].as_i64().expect("amount"))
                .sum();
            assert_eq!(total, 4950, "{connector}");
        }
        let held = processor
            .sync_payment(&PaymentSyncRequest {
                connector_payment_id,
                capture_method: CaptureMethod::Manual,
            })
            .await
            .expect("the processor's record");
        if !held.amounts.refunded.is_zero() {
            assert_eq!(held.amounts.refunded.get(), 4950, "{connector}: {held:?}");
        }
        a.running.shutdown().await;
        b.running.shutdown().await;
        simulator.shutdown().await;
    }
    assert!(tested > 0, "no connector captures and refunds");
}

/// An instance that took a payment's lease and died (a lease in the row, nobody to end it):
/// the other instances wait for its end, and past their wait answer `payment_busy` with nothing
/// sent to the processor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_left_by_a_dead_instance_is_waited_for_then_answered_busy() {
    let connector = "stripe";
    let (a, b, simulator, _) = TestRouter::start_two(connector).await;
    let pid = id(&a
        .create(payment(connector, 1000, true, TestCard::Approved))
        .await);
    let store = paybridge_router::store::Store::connect(&a.database_url)
        .await
        .expect("the routers' database");
    let hold = |ms: i64| {
        let store = store.clone();
        let pid = pid.clone();
        async move {
            let mut record = store
                .payment("merchant_one", &pid)
                .await
                .expect("load")
                .expect("stored");
            let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
            record.payment.lease_owner = Some("rtr_dead_instance".into());
            record.payment.lease_until = Some(i64::try_from(now).expect("ms") + ms);
            record.payment.version += 1;
            store.save(&mut record).await.expect("save");
        }
    };

    // A lease with 2 s left: the capture waits for its end, then runs.
    hold(2_000).await;
    let started = std::time::Instant::now();
    let body = json!({"amount_to_capture": 400});
    let captured = b
        .call("POST", &format!("/payments/{pid}/capture"), Some(body))
        .await;
    assert_eq!(captured.status, 200, "{:#}", captured.body);
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(simulator.counters().captures, 1);

    // A lease longer than the wait: 409 payment_busy, and the processor is not called.
    hold(60_000).await;
    let busy = a
        .call(
            "POST",
            "/refunds",
            Some(json!({"payment_id": pid, "amount": 100})),
        )
        .await;
    assert_eq!(busy.status, 409, "{:#}", busy.body);
    assert_eq!(busy.code(), "payment_busy");
    assert_eq!(simulator.counters().refunds, 0);
    // Reading is never held up.
    let read = a.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["amount_received"], 400);

    store.close().await;
    a.running.shutdown().await;
    b.running.shutdown().await;
    simulator.shutdown().await;
}

/// Another writer (a second router whose wait for the hold ran out, or whose hold lapsed)
/// changes the payment while a capture's processor call runs: the capture's answer is applied
/// to the fresh payment and returned, never answered "retry" after the money moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_meets_a_newer_version_is_applied_to_it_not_refused() {
    let router = TestRouter::start().await;
    let store = paybridge_router::store::Store::connect(&router.database_url)
        .await
        .expect("a second handle on the database");
    let connectors = connectors_with(&router, &["authorize", "capture", "refund"]).await;
    assert!(!connectors.is_empty(), "no connector captures and refunds");
    for connector in connectors {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let pid = id(&router
            .create(payment(connector, 3000, true, TestCard::Approved))
            .await);
        let write_meanwhile = |pid: String| {
            let store = store.clone();
            async move {
                let mut record = store
                    .payment("merchant_one", &pid)
                    .await
                    .expect("read")
                    .expect("stored");
                record.payment.metadata = r#"{"written_meanwhile":"yes"}"#.into();
                record.payment.version += 1;
                let written = store.save(&mut record).await.expect("write");
                assert_eq!(written, paybridge_router::store::Written::Yes);
            }
        };

        let captures = sim.counters().captures;
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(800),
            after_processing: true,
        });
        let capture = post_in_background(&router, &format!("/payments/{pid}/capture"), json!({}));
        while sim.counters().captures == captures {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write_meanwhile(pid.clone()).await;
        let (status, body) = capture.await.expect("joined");
        assert_eq!(status, 200, "{connector}: {body:#}");
        assert_eq!(body["metadata"]["written_meanwhile"], "yes", "{connector}");
        // As the processor answered: done, or accepted (Checkout.com) and settled by a sync.
        let capture_status = body["captures"][0]["status"].clone();
        assert!(
            capture_status == "charged" || capture_status == "pending",
            "{connector}: {body:#}"
        );
        let synced = router
            .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
            .await;
        assert_eq!(
            synced.body["status"], "succeeded",
            "{connector}: {:#}",
            synced.body
        );
        assert_eq!(synced.body["amount_received"], 3000, "{connector}");
        assert_eq!(
            synced.body["captures"][0]["status"], "charged",
            "{connector}"
        );

        // The same for a refund.
        let refunds = sim.counters().refunds;
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(800),
            after_processing: true,
        });
        let refund = post_in_background(
            &router,
            "/refunds",
            json!({"payment_id": pid, "amount": 1000}),
        );
        while sim.counters().refunds == refunds {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write_meanwhile(pid.clone()).await;
        let (status, body) = refund.await.expect("joined");
        assert_eq!(status, 200, "{connector}: {body:#}");
        assert_ne!(body["status"], "failed", "{connector}: {body:#}");
        assert!(
            body["connector_refund_id"].is_string(),
            "{connector}: {body:#}"
        );
        let stored = router.call("GET", &format!("/payments/{pid}"), None).await;
        assert_eq!(
            stored.body["refunds"][0]["status"], body["status"],
            "{connector}: the refund's answer is stored"
        );
    }
    store.close().await;
    router.running.shutdown().await;
}

/// A void holds the payment while its processor call runs, as a capture does: another
/// instance's capture waits for the void's answer and is then refused, instead of capturing a
/// payment whose void is on its way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_void_in_flight_holds_the_payment_against_another_instance() {
    let mut tested = 0;
    for connector in connectors() {
        let (a, b, simulator, _) = TestRouter::start_two(connector).await;
        if connectors_with(&a, &["authorize", "capture", "void"])
            .await
            .is_empty()
        {
            a.running.shutdown().await;
            b.running.shutdown().await;
            simulator.shutdown().await;
            continue;
        }
        tested += 1;
        let pid = id(&a
            .create(payment(connector, 1000, true, TestCard::Approved))
            .await);
        // The void reaches the processor after a second.
        simulator.inject(Fault::Delay {
            duration: Duration::from_millis(1000),
            after_processing: false,
        });
        let void = post_in_background(&a, &format!("/payments/{pid}/cancel"), json!({}));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let capture = b
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        let (status, voided) = void.await.expect("joined");
        assert_eq!(status, 200, "{connector}: {voided:#}");
        assert_eq!(voided["status"], "cancelled", "{connector}: {voided:#}");
        assert_eq!(capture.status, 409, "{connector}: {:#}", capture.body);
        assert_eq!(capture.code(), "invalid_payment_state", "{connector}");
        assert_eq!(
            simulator.counters().captures,
            0,
            "{connector}: nothing captured"
        );
        a.running.shutdown().await;
        b.running.shutdown().await;
        simulator.shutdown().await;
    }
    assert!(tested > 0);
}
