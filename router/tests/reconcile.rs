//! The reconciler settles what an unknown outcome left open, with no client asking: captures,
//! refunds and creates whose answer was lost are found at the processor (synced, or looked up
//! by reference), and those the processor never received fail and release what they reserved.
//! The simulators' webhooks are off, so only the reconciler can settle anything.

mod common;

use std::time::Duration;

use common::*;
use paybridge_sandbox::Fault;
use serde_json::json;

/// One test at a time: on a shared PostgreSQL database a router's reconciler settles every
/// router's payments.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A reconciler that looks often and decides "never received" 3 s after a request was sent.
async fn router() -> TestRouter {
    TestRouter::start_configured(|config| config.reconciler = fast_reconciler(3)).await
}

/// The next request and the executor's retries of it (a fault is consumed by one request).
fn every_attempt(sim: &paybridge_sandbox::SimulatorHandle, fault: Fault) {
    for _ in 0..6 {
        sim.inject(fault.clone());
    }
}

/// How many requests a create makes at `connector`'s simulator (Stripe creates a
/// PaymentMethod for a raw card before the payment), counted on a create made for it.
async fn requests_per_create(router: &TestRouter, connector: &str) -> u64 {
    let before = router.simulator(connector).counters().requests;
    router
        .create(payment(connector, 1000, true, TestCard::Approved))
        .await;
    router.simulator(connector).counters().requests - before
}

/// Lets the requests of a create before its payment's request through, so that the faults
/// queued next land on the payment's request.
fn pass_to_the_payment(sim: &paybridge_sandbox::SimulatorHandle, requests_per_create: u64) {
    for _ in 1..requests_per_create {
        sim.inject(Fault::Delay {
            duration: Duration::ZERO,
            after_processing: true,
        });
    }
}

/// The processor acts on the request; its answer is lost.
fn late_answer() -> Fault {
    Fault::Delay {
        duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
        after_processing: true,
    }
}

/// The connection breaks before the processor acts on the request.
fn never_received() -> Fault {
    Fault::DropConnection {
        after_processing: false,
    }
}

/// A payment of 3000 on `connector`, authorized, then a capture of all of it sent under
/// `fault`: the payment's id and the capture's answer.
async fn capture_under(router: &TestRouter, connector: &str, fault: Fault) -> (String, Answer) {
    let sim = router.simulator(connector);
    let pid = id(&router
        .create(payment(connector, 3000, true, TestCard::Approved))
        .await);
    every_attempt(sim, fault);
    let path = format!("/payments/{pid}/capture");
    let answer = router.call("POST", &path, Some(json!({}))).await;
    sim.clear_faults();
    (pid, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_whose_answer_was_lost_settles_as_charged() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let router = router().await;
    let connectors = connectors_with(&router, &["authorize", "capture", "payment_sync"]).await;
    assert!(!connectors.is_empty(), "no connector captures and syncs");
    for connector in connectors {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let (pid, answer) = capture_under(&router, connector, late_answer()).await;
        assert_eq!(
            answer.body["captures"][0]["status"], "pending",
            "{connector}"
        );
        let captures = sim.counters().captures;

        let payment = settles(&router, &format!("/payments/{pid}"), |p| {
            p["status"] == "succeeded"
        })
        .await;
        assert_eq!(payment["status"], "succeeded", "{connector}: {payment:#}");
        assert_eq!(payment["captures"][0]["status"], "charged", "{connector}");
        assert_eq!(payment["amount_received"], 3000, "{connector}");
        assert_eq!(
            sim.counters().captures,
            captures,
            "{connector}: not captured again"
        );
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_the_processor_never_received_fails_and_is_capturable_again() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let router = router().await;
    let connectors = connectors_with(&router, &["authorize", "capture", "payment_sync"]).await;
    assert!(!connectors.is_empty(), "no connector captures and syncs");
    for connector in connectors {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let captures = sim.counters().captures;
        let (pid, answer) = capture_under(&router, connector, never_received()).await;
        assert_eq!(
            answer.body["status"], "processing",
            "{connector}: {:#}",
            answer.body
        );
        assert_eq!(answer.body["amount_capturable"], 0, "{connector}: reserved");

        let payment = settles(&router, &format!("/payments/{pid}"), |p| {
            p["captures"][0]["status"] == "failed"
        })
        .await;
        assert_eq!(
            payment["captures"][0]["status"], "failed",
            "{connector}: {payment:#}"
        );
        assert_eq!(
            payment["captures"][0]["error_code"], "not_found_at_processor",
            "{connector}"
        );
        assert_eq!(payment["status"], "requires_capture", "{connector}");
        assert_eq!(payment["amount_capturable"], 3000, "{connector}: released");
        assert_eq!(
            sim.counters().captures,
            captures,
            "{connector}: nothing captured"
        );

        let again = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(again.status, 200, "{connector}: {:#}", again.body);
        assert_eq!(again.body["amount_received"], 3000, "{connector}");
    }
    router.running.shutdown().await;
}

/// A refund of `amount` sent under `fault`, answered `pending`: its id.
async fn pending_refund(
    router: &TestRouter,
    sim: &paybridge_sandbox::SimulatorHandle,
    fault: Fault,
    pid: &str,
    amount: i64,
) -> String {
    every_attempt(sim, fault);
    let body = json!({"payment_id": pid, "amount": amount});
    let answer = router.call("POST", "/refunds", Some(body)).await;
    sim.clear_faults();
    assert_eq!(answer.body["status"], "pending", "{:#}", answer.body);
    answer.body["refund_id"]
        .as_str()
        .expect("refund_id")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_whose_answer_was_lost_are_found_or_released() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let router = router().await;
    let connectors = connectors_with(&router, &["authorize", "refund", "refund_lookup"]).await;
    assert!(!connectors.is_empty(), "no connector looks refunds up");
    for connector in connectors {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let pid = id(&router
            .create(payment(connector, 5000, false, TestCard::Approved))
            .await);

        // Acted on, answer lost: found by its reference.
        let found_id = pending_refund(&router, sim, late_answer(), &pid, 1000).await;
        // Never received: failed once the window is over, its amount refundable again.
        let refunds = sim.counters().refunds;
        let dropped_id = pending_refund(&router, sim, never_received(), &pid, 4000).await;

        let found = settles(&router, &format!("/refunds/{found_id}"), |r| {
            r["status"] == "succeeded"
        })
        .await;
        assert_eq!(found["status"], "succeeded", "{connector}: {found:#}");
        let released = settles(&router, &format!("/refunds/{dropped_id}"), |r| {
            r["status"] == "failed"
        })
        .await;
        assert_eq!(released["status"], "failed", "{connector}: {released:#}");
        assert_eq!(
            released["error_code"], "not_found_at_processor",
            "{connector}"
        );
        assert_eq!(
            sim.counters().refunds,
            refunds,
            "{connector}: nothing refunded"
        );

        let rest = router
            .call(
                "POST",
                "/refunds",
                Some(json!({"payment_id": pid, "amount": 4000})),
            )
            .await;
        assert_eq!(rest.status, 200, "{connector}: {:#}", rest.body);
        assert_ne!(
            rest.body["status"], "failed",
            "{connector}: {:#}",
            rest.body
        );
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_whose_answer_was_lost_are_found_by_reference_or_failed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let router = router().await;
    let connectors = connectors_with(&router, &["authorize", "payment_lookup"]).await;
    assert!(!connectors.is_empty(), "no connector looks payments up");
    for connector in connectors {
        let sim = router.simulator(connector);
        sim.set_webhook_target(None);
        let requests_per_create = requests_per_create(&router, connector).await;

        pass_to_the_payment(sim, requests_per_create);
        every_attempt(
            sim,
            Fault::DropConnection {
                after_processing: true,
            },
        );
        let lost = router
            .create(payment(connector, 2500, true, TestCard::Approved))
            .await;
        sim.clear_faults();
        assert_eq!(lost["status"], "processing", "{connector}: {lost:#}");
        assert!(lost["connector_transaction_id"].is_null(), "{connector}");
        let authorizations = sim.counters().authorizations;

        let authorizations_before_drop = sim.counters().authorizations;
        pass_to_the_payment(sim, requests_per_create);
        every_attempt(sim, never_received());
        let dropped = router
            .create(payment(connector, 2500, true, TestCard::Approved))
            .await;
        sim.clear_faults();
        assert_eq!(dropped["status"], "processing", "{connector}: {dropped:#}");

        let found = settles(&router, &format!("/payments/{}", id(&lost)), |p| {
            p["status"] == "requires_capture"
        })
        .await;
        assert_eq!(
            found["status"], "requires_capture",
            "{connector}: {found:#}"
        );
        assert!(found["connector_transaction_id"].is_string(), "{connector}");
        assert_eq!(found["amount_capturable"], 2500, "{connector}");

        let failed = settles(&router, &format!("/payments/{}", id(&dropped)), |p| {
            p["status"] == "failed"
        })
        .await;
        assert_eq!(failed["status"], "failed", "{connector}: {failed:#}");
        assert_eq!(
            failed["error_code"], "not_found_at_processor",
            "{connector}"
        );
        assert_eq!(
            sim.counters().authorizations,
            authorizations_before_drop,
            "{connector}: the dropped create made no payment"
        );
        assert_eq!(authorizations, authorizations_before_drop, "{connector}");
    }
    router.running.shutdown().await;
}
