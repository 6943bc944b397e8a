//! Issue 22: the router tells merchants of every payment and refund change, signed, retried,
//! never lost: a receiver that fails, hangs and accepts on a schedule; rotation, filters,
//! redelivery; 1,000 payments against a receiver failing 30 % of attempts; and a router killed
//! (`kill -9`) between the changes and their delivery.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::process::{spawn_router, write_config};
use common::receiver::{Receiver, Reply};
use common::*;
use paybridge_connector_tests::targets;
use paybridge_router::domain::events::EventType;
use paybridge_router::events::{DeliverySettings, WebhookEndpointConfig};
use serde_json::{json, Value};

const SECRET: &str = "whsec_merchant_one_current";
const OLD_SECRET: &str = "whsec_merchant_one_previous";

/// Delivery in test time: attempts 30 ms apart at first, a 400 ms timeout.
fn fast() -> DeliverySettings {
    DeliverySettings {
        interval_ms: 25,
        timeout_ms: 400,
        initial_backoff_ms: 30,
        max_backoff_ms: 200,
        ..DeliverySettings::default()
    }
}

/// A router whose first merchant (the one `KEY` authenticates) has an endpoint at `receiver`.
/// The merchant's id is the test's own: on a database shared by several tests (PostgreSQL in
/// CI) each test's events and deliveries stay its own.
async fn router_to(
    receiver: &Receiver,
    secrets: &[&str],
    events: Option<Vec<EventType>>,
    enabled: bool,
) -> TestRouter {
    let url = receiver.url().to_owned();
    let secrets: Vec<String> = secrets.iter().map(|s| (*s).to_owned()).collect();
    TestRouter::start_configured(move |c| {
        c.merchants[0].merchant_id = format!("merchant_{}", uuid::Uuid::new_v4().simple());
        c.merchants[0].webhook = Some(WebhookEndpointConfig {
            url,
            secrets,
            events,
            enabled,
        });
        c.merchant_webhooks = fast();
    })
    .await
}

/// The payments the deliveries are about.
fn payments_of(received: &[common::receiver::Received]) -> BTreeSet<String> {
    received
        .iter()
        .filter_map(|r| r.body["object"]["payment_id"].as_str().map(str::to_owned))
        .collect()
}

fn distinct_ids(received: &[common::receiver::Received]) -> BTreeSet<String> {
    received.iter().map(|r| r.event_id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payments_life_reaches_the_merchant_signed_with_its_objects() {
    let receiver = Receiver::start(&[SECRET], Vec::new(), 0.0).await;
    let router = router_to(&receiver, &[SECRET], None, true).await;
    let created = router
        .create(payment("stripe", 1500, true, TestCard::Approved))
        .await;
    let pid = id(&created);
    let captured = router
        .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
        .await;
    assert_eq!(captured.status, 200, "{:#}", captured.body);
    let refund = router
        .call(
            "POST",
            "/refunds",
            Some(json!({"payment_id": pid, "amount": 500})),
        )
        .await;
    assert_eq!(refund.status, 200, "{:#}", refund.body);
    receiver
        .wait_until(Duration::from_secs(20), |r| distinct_ids(r).len() >= 4)
        .await;
    let received = receiver.accepted();
    let types: BTreeSet<String> = received
        .iter()
        .map(|r| r.body["event_type"].as_str().unwrap_or_default().to_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "payment_requires_capture",
        "payment_succeeded",
        "payment_captured",
        "refund_succeeded",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(types, expected);
    for r in &received {
        assert!(r.verified, "{} did not verify", r.event_id);
        assert_eq!(
            r.body["event_id"],
            r.event_id.as_str(),
            "the header names the body's event"
        );
        assert_eq!(r.body["merchant_id"], created["merchant_id"]);
        match r.body["object_type"].as_str() {
            Some("payment") => assert_eq!(r.body["object"]["payment_id"], pid.as_str()),
            Some("refund") => {
                assert_eq!(r.body["object"]["refund_id"], refund.body["refund_id"]);
                assert_eq!(r.body["object"]["status"], "succeeded");
            }
            other => panic!("object_type {other:?}"),
        }
    }
    let authorized = received
        .iter()
        .find(|r| r.body["event_type"] == "payment_requires_capture")
        .expect("the authorization's event");
    assert_eq!(authorized.body["object"]["status"], "requires_capture");
    assert_eq!(authorized.body["object"]["amount_capturable"], 1500);

    // The API lists them, delivered, by object and type.
    receiver
        .wait_until(Duration::from_secs(5), |r| r.len() >= 4)
        .await;
    let listed = router
        .call("GET", &format!("/events?object_id={pid}"), None)
        .await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    let events = listed.body["events"].as_array().expect("events");
    assert_eq!(events.len(), 3, "the payment's own: {events:#?}");
    let refunds = router
        .call("GET", "/events?event_type=refund_succeeded", None)
        .await;
    assert_eq!(
        refunds.body["events"][0]["object_id"],
        refund.body["refund_id"]
    );
    for query in [
        "/events?event_type=payment_exploded",
        "/events?limit=0",
        "/events?colour=red",
    ] {
        let refused = router.call("GET", query, None).await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_query"),
            "{query}"
        );
    }
    let other = router
        .raw("GET", "/events", Some(OTHER_KEY), None, None)
        .await;
    assert_eq!(
        other.body["events"],
        json!([]),
        "another merchant sees none"
    );
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_then_hanging_endpoint_gets_the_event_on_the_third_attempt() {
    let schedule = vec![
        Reply::Fail(500),
        Reply::Hang(Duration::from_millis(1500)),
        Reply::Accept,
    ];
    let receiver = Receiver::start(&[SECRET], schedule, 0.0).await;
    let router = router_to(&receiver, &[SECRET], None, true).await;
    router
        .create(payment("stripe", 1200, false, TestCard::Approved))
        .await;
    receiver
        .wait_until(Duration::from_secs(20), |r| r.len() >= 3)
        .await;
    let received = receiver.received();
    assert_eq!(
        distinct_ids(&received).len(),
        1,
        "one event, three attempts"
    );
    let event_id = received[0].event_id.clone();
    // The third attempt's answer is recorded once it is in.
    let mut detail = Value::Null;
    for _ in 0..100 {
        detail = router
            .call("GET", &format!("/events/{event_id}"), None)
            .await
            .body;
        if detail["delivery_status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(detail["delivery_status"], "delivered", "{detail:#}");
    assert_eq!(detail["event_type"], "payment_succeeded");
    assert_eq!(detail["delivery_attempts"], 3);
    assert!(detail["delivered_at"].is_string());
    assert_eq!(detail["body"]["event_id"], event_id.as_str());
    let attempts = detail["deliveries"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{detail:#}");
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(
        attempts[0]["response_excerpt"],
        "endpoint down for maintenance"
    );
    assert_eq!(attempts[1]["status_code"], Value::Null);
    assert_eq!(attempts[1]["error"], "timed out");
    assert!(attempts[1]["latency_ms"].as_i64().expect("latency") >= 400);
    assert_eq!(attempts[2]["status_code"], 200);
    assert_eq!(attempts[2]["error"], Value::Null);
    // Deliveries are counted by result, with their latency.
    let metrics = router
        .client
        .get(format!("{}/metrics", router.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        "paybridge_merchant_webhook_deliveries_total{result=\"retry\"}",
        "paybridge_merchant_webhook_deliveries_total{result=\"delivered\"}",
        "paybridge_merchant_webhook_delivery_seconds",
    ] {
        assert!(metrics.contains(line), "{line} not in /metrics");
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_filters_and_redelivery_on_demand() {
    // The merchant still holds only the old secret; the router signs with both.
    let receiver = Receiver::start(&[OLD_SECRET], Vec::new(), 0.0).await;
    let wanted = Some(vec![EventType::PaymentFailed, EventType::RefundSucceeded]);
    let router = router_to(&receiver, &[SECRET, OLD_SECRET], wanted, true).await;
    router
        .create(payment("stripe", 1100, false, TestCard::Approved))
        .await;
    let declined = router
        .create(payment("stripe", 1100, false, TestCard::Declined))
        .await;
    assert_eq!(declined["status"], "failed");
    receiver
        .wait_until(Duration::from_secs(20), |r| !r.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "only the type it wants: {received:#?}");
    assert_eq!(received[0].body["event_type"], "payment_failed");
    assert_eq!(
        received[0].body["object"]["payment_id"],
        declined["payment_id"]
    );
    assert!(received[0].verified, "the old secret still verifies");

    let event_id = received[0].event_id.clone();
    let retried = router
        .call(
            "POST",
            &format!("/events/{event_id}/retry"),
            Some(json!({})),
        )
        .await;
    assert_eq!(retried.status, 200, "{:#}", retried.body);
    assert_eq!(retried.body["delivery_status"], "pending");
    receiver
        .wait_until(Duration::from_secs(10), |r| r.len() >= 2)
        .await;
    let again = receiver.received();
    assert_eq!(again[1].event_id, event_id, "the same event, the same id");
    assert_eq!(again[1].body, again[0].body, "the same body");
    let missing = router
        .call("POST", "/events/evt_nosuchevent/retry", Some(json!({})))
        .await;
    assert_eq!(missing.status, 404);
    let other = router
        .raw(
            "GET",
            &format!("/events/{event_id}"),
            Some(OTHER_KEY),
            None,
            None,
        )
        .await;
    assert_eq!(other.status, 404, "another merchant's event");
    router.running.shutdown().await;

    // Switched off: no events at all.
    let quiet = Receiver::start(&[SECRET], Vec::new(), 0.0).await;
    let router = router_to(&quiet, &[SECRET], None, false).await;
    router
        .create(payment("stripe", 1100, false, TestCard::Approved))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(quiet.received().is_empty());
    assert_eq!(
        router.call("GET", "/events", None).await.body["events"],
        json!([])
    );
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_payments_events_all_arrive_through_an_endpoint_failing_30_percent() {
    const PAYMENTS: usize = 1000;
    let receiver = Receiver::start(&[SECRET], Vec::new(), 0.3).await;
    let router = std::sync::Arc::new(router_to(&receiver, &[SECRET], None, true).await);
    let mut created = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let router = router.clone();
        created.spawn(async move {
            let mut ids = Vec::new();
            for _ in (worker..PAYMENTS).step_by(8) {
                let body = payment("stripe", 1000, false, TestCard::Approved);
                ids.push(id(&router.create(body).await));
            }
            ids
        });
    }
    let mut payments = BTreeSet::new();
    while let Some(ids) = created.join_next().await {
        payments.extend(ids.expect("a worker"));
    }
    assert_eq!(payments.len(), PAYMENTS);
    receiver
        .wait_until(Duration::from_secs(180), |r| {
            distinct_ids(
                &r.iter()
                    .filter(|r| r.reply == Reply::Accept)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .len()
                >= PAYMENTS
        })
        .await;
    let accepted = receiver.accepted();
    let about = payments_of(&accepted);
    assert_eq!(about, payments, "every payment's event arrived");
    assert_eq!(accepted.len(), PAYMENTS, "each accepted once");
    assert!(accepted.iter().all(|r| r.verified));
    let failed = receiver.received().len() - accepted.len();
    assert!(
        failed > PAYMENTS / 5,
        "the endpoint failed {failed} attempts"
    );
    for status in ["pending", "failed"] {
        let left = router
            .call("GET", &format!("/events?delivery_status={status}"), None)
            .await;
        assert_eq!(left.body["events"], json!([]), "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_changes_stored_before_a_kill_are_delivered_after_the_restart_once_each() {
    let receiver = Receiver::start(&[SECRET], Vec::new(), 1.0).await;
    let target = (targets::connector("stripe").expect("registered").simulator)()
        .await
        .expect("simulator");
    let dir = std::env::temp_dir().join(format!("paybridge-events-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let more = format!(
        "[merchants.webhook]\nurl = \"{url}\"\nsecrets = [\"{SECRET}\"]\n\
         [merchant_webhooks]\ninterval_ms = 25\ntimeout_ms = 1000\ninitial_backoff_ms = 100\n\
         max_backoff_ms = 300\n[reconciler]\nenabled = false\n",
        url = receiver.url()
    );
    let config = write_config(&dir, "stripe", &target.config, &more);
    let (mut first, base) = spawn_router(&config);
    let client = reqwest::Client::new();
    let mut payments = BTreeSet::new();
    for _ in 0..20 {
        let answer: Value = client
            .post(format!("{base}/payments"))
            .header("api-key", KEY)
            .json(&payment("stripe", 1000, false, TestCard::Approved))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["status"], "succeeded", "{answer:#}");
        payments.insert(id(&answer));
    }
    // The endpoint has been refusing them; the router dies with all of them pending.
    receiver
        .wait_until(Duration::from_secs(20), |r| distinct_ids(r).len() >= 5)
        .await;
    first.kill();
    assert!(receiver.accepted().is_empty());
    receiver.set_fail_ratio(0.0);

    let (second, base) = spawn_router(&config);
    receiver
        .wait_until(Duration::from_secs(60), |r| {
            r.iter().filter(|r| r.reply == Reply::Accept).count() >= payments.len()
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = receiver.accepted();
    let mut per_event: BTreeMap<String, usize> = BTreeMap::new();
    for r in &accepted {
        *per_event.entry(r.event_id.clone()).or_default() += 1;
    }
    assert!(
        per_event.values().all(|n| *n == 1),
        "each event accepted once: {per_event:?}"
    );
    let about = payments_of(&accepted);
    assert_eq!(about, payments, "no payment's event lost, none invented");
    let listed: Value = client
        .get(format!("{base}/events?limit=100"))
        .header("api-key", KEY)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let stored: BTreeSet<String> = listed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stored, per_event.keys().cloned().collect::<BTreeSet<_>>());
    drop(second);
    target.simulator.expect("a simulator").shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
