//! A create whose router is killed (`kill -9`) while its processor call is in flight: the
//! client's retry with the same `Idempotency-Key`, to a router restarted on the same database,
//! resumes the same payment and gets its real outcome, and the processor holds one payment.
//! The router runs as a child process; the simulators run in this test's process.

mod common;

use std::time::{Duration, Instant};

use common::process::*;
use common::*;
use paybridge_connector_tests::targets;
use paybridge_sandbox::{Fault, SimulatorHandle};
use serde_json::{json, Value};

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Result<(u16, Value)> {
    let response = client
        .post(format!("{base}{path}"))
        .header("api-key", KEY)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// The client's retry of a request whose router was killed, to the restarted router: sent
/// again while the dead router's claim on the key is still in progress (up to 30 s).
async fn retry_after_crash(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let (status, answer) = post(client, base, path, key, body).await.expect("answered");
        if status == 409 && answer["error"]["code"] == "idempotency_request_in_progress" {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{path}: still in progress 30 s after the crash"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        return (status, answer);
    }
}

/// The request a crash cuts off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Create,
    Capture,
    Refund,
    Void,
    Increment,
    CancelPostCapture,
}

impl Cut {
    /// What the processor has done of this kind so far.
    fn done(self, sim: &SimulatorHandle) -> u64 {
        let counters = sim.counters();
        match self {
            Cut::Create => counters.authorizations,
            Cut::Capture => counters.captures,
            Cut::Refund | Cut::CancelPostCapture => counters.refunds,
            Cut::Void => counters.voids,
            Cut::Increment => counters.increments,
        }
    }
}

async fn wait_for(cut: Cut, sim: &SimulatorHandle, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while cut.done(sim) == before {
        assert!(
            Instant::now() < deadline,
            "the processor never acted on {cut:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Kills the router after the processor acted on `cut` and before it answered; restarts it
/// and retries as a merchant would. Answers the retry's answer (a payment, or a refund).
async fn crash_then_retry(connector: &'static str, cut: Cut) -> (Value, SimulatorHandle) {
    let dir = std::env::temp_dir().join(format!("paybridge-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let entry = targets::connector(connector).expect("registered");
    let target = (entry.simulator)().await.expect("simulator");
    let sim = target.simulator.expect("a simulator");
    let config = write_config(&dir, connector, &target.config, "");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let manual = !matches!(cut, Cut::Refund | Cut::CancelPostCapture);
    let mut create = payment(connector, 1500, manual, TestCard::Approved);
    if cut == Cut::Increment {
        merge(
            &mut create,
            json!({"request_incremental_authorization": true}),
        );
    }

    let (mut router, base) = spawn_router(&config);
    // A payment to act on, and the count of requests a create makes (Stripe creates a
    // PaymentMethod for a raw card before the payment): a cut create's fault waits behind as
    // many pass-throughs, so that it lands on the payment's request.
    let setup_requests = sim.counters().requests;
    let (status, created) = post(&client, &base, "/payments", "setup", &create)
        .await
        .expect("created");
    assert_eq!(status, 200, "{connector}: {created:#}");
    let requests_per_create = sim.counters().requests - setup_requests;
    let pid = created["payment_id"]
        .as_str()
        .expect("payment_id")
        .to_owned();
    let (path, body) = match cut {
        Cut::Create => ("/payments".to_owned(), create),
        Cut::Capture => (format!("/payments/{pid}/capture"), json!({})),
        Cut::Void => (format!("/payments/{pid}/cancel"), json!({})),
        Cut::Increment => (
            format!("/payments/{pid}/incremental_authorization"),
            json!({"amount": 2500}),
        ),
        Cut::CancelPostCapture => (format!("/payments/{pid}/cancel_post_capture"), json!({})),
        Cut::Refund => (
            "/refunds".to_owned(),
            json!({"payment_id": pid, "amount": 500}),
        ),
    };
    let key = "crash-resume-1";
    let before = cut.done(&sim);
    if cut == Cut::Create {
        for _ in 1..requests_per_create {
            sim.inject(Fault::Delay {
                duration: Duration::ZERO,
                after_processing: true,
            });
        }
    }
    sim.inject(Fault::Delay {
        duration: Duration::from_secs(5),
        after_processing: true,
    });
    let first = tokio::spawn({
        let (client, base, path, body) = (client.clone(), base.clone(), path.clone(), body.clone());
        async move { post(&client, &base, &path, key, &body).await }
    });
    wait_for(cut, &sim, before).await;
    router.kill();
    assert!(
        first.await.expect("joined").is_err(),
        "{connector}: the first call was answered before the kill"
    );

    let (router, base) = spawn_router(&config);
    let (status, answer) = retry_after_crash(&client, &base, &path, key, &body).await;
    assert_eq!(status, 200, "{connector} {cut:?}: {answer:#}");
    let (status, again) = post(&client, &base, &path, key, &body)
        .await
        .expect("answered");
    assert_eq!(status, 200);
    assert_eq!(again, answer, "{connector} {cut:?}: the replay");
    drop(router);
    let _ = std::fs::remove_dir_all(&dir);
    (answer, sim)
}

/// `cut` on every connector at once, each with a router and a simulator of its own.
async fn crash_each(cut: Cut) -> [(&'static str, (Value, SimulatorHandle)); 3] {
    let (stripe, checkout, primer) = tokio::join!(
        crash_then_retry("stripe", cut),
        crash_then_retry("checkout", cut),
        crash_then_retry("primer", cut),
    );
    [
        ("stripe", stripe),
        ("checkout", checkout),
        ("primer", primer),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_cut_off_by_a_crash_resumes_the_same_payment_on_retry() {
    // Stripe and Checkout.com replay the first request's answer under the same key; Primer
    // refuses a used key, and the payment is found by its reference.
    for (connector, (payment, sim)) in crash_each(Cut::Create).await {
        assert_eq!(
            payment["status"], "requires_capture",
            "{connector}: {payment:#}"
        );
        assert!(
            payment["connector_transaction_id"].is_string(),
            "{payment:#}"
        );
        assert_eq!(payment["amount_capturable"], 1500);
        assert_eq!(
            sim.counters().authorizations,
            2,
            "{connector}: the setup payment and one more"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    for (connector, (payment, sim)) in crash_each(Cut::Capture).await {
        // Never "amount exceeds capturable" or "invalid state" for the capture itself.
        assert_eq!(payment["status"], "succeeded", "{connector}: {payment:#}");
        assert_eq!(payment["amount_received"], 1500, "{connector}");
        let captures = payment["captures"].as_array().expect("captures");
        assert_eq!(captures.len(), 1, "{connector}: one capture: {payment:#}");
        assert_eq!(captures[0]["status"], "charged", "{connector}");
        assert_eq!(sim.counters().captures, 1, "{connector}: captured once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    for (connector, (refund, sim)) in crash_each(Cut::Refund).await {
        assert_eq!(refund["status"], "succeeded", "{connector}: {refund:#}");
        assert_eq!(refund["amount"], 500, "{connector}");
        // Primer cannot look refunds up: its refunded total shows the refund, not its id.
        if connector != "primer" {
            assert!(
                refund["connector_refund_id"].is_string(),
                "{connector}: {refund:#}"
            );
        }
        assert_eq!(sim.counters().refunds, 1, "{connector}: refunded once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_void_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    for (connector, (payment, sim)) in crash_each(Cut::Void).await {
        assert_eq!(payment["status"], "cancelled", "{connector}: {payment:#}");
        assert_eq!(payment["amount_capturable"], 0, "{connector}");
        assert_eq!(sim.counters().voids, 1, "{connector}: voided once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_increment_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    for (connector, (payment, sim)) in crash_each(Cut::Increment).await {
        assert_eq!(payment["amount"], 2500, "{connector}: {payment:#}");
        assert_eq!(payment["amount_capturable"], 2500, "{connector}");
        let increments = payment["incremental_authorizations"]
            .as_array()
            .expect("incremental_authorizations");
        assert_eq!(
            increments.len(),
            1,
            "{connector}: one increment: {payment:#}"
        );
        assert_eq!(increments[0]["status"], "success", "{connector}");
        assert_eq!(
            sim.counters().increments,
            1,
            "{connector}: incremented once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_post_capture_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    for (connector, (payment, sim)) in crash_each(Cut::CancelPostCapture).await {
        assert_eq!(
            payment["status"], "cancelled_post_capture",
            "{connector}: {payment:#}"
        );
        assert_eq!(sim.counters().refunds, 1, "{connector}: refunded once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_after_3ds_cut_off_by_a_crash_answers_its_outcome_on_retry() {
    let dir = std::env::temp_dir().join(format!("paybridge-crash-3ds-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let target = (targets::connector("checkout")
        .expect("registered")
        .simulator)()
    .await
    .expect("simulator");
    let sim = target.simulator.clone().expect("a simulator");
    let three_ds_keys = paybridge_sandbox::threedsecureio::ThreeDSecureIoSimConfig::default();
    let three_ds = paybridge_sandbox::threedsecureio::start(three_ds_keys.clone())
        .await
        .expect("3DS server simulator");
    // The 3DS server and the merchant's settings; the reconciler stays out of the way, so the
    // retry itself must find the outcome.
    let more = format!(
        "[reconciler]\nenabled = false\n\
         [authenticators.threedsecureio]\nbase_url = \"{url}\"\napi_key = \"{key}\"\n\
         [merchants.authentication]\nconnector = \"threedsecureio\"\n\
         merchant_name = \"Crash Shop\"\nmerchant_country_code = \"826\"\nmcc = \"5732\"\n\
         acquirer_bin = \"400551\"\nacquirer_merchant_id = \"crash-1\"\n\
         requestor_url = \"https://shop.example/\"\n",
        url = three_ds.base_url(),
        key = three_ds_keys.api_key,
    );
    let config = write_config(&dir, "checkout", &target.config, &more);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let pan = paybridge_sandbox::threedsecureio::cards::luhn_valid(
        paybridge_sandbox::threedsecureio::cards::VISA_Y,
    );

    let (mut router, base) = spawn_router(&config);
    let (status, created) = post(
        &client,
        &base,
        "/payments",
        "create",
        &external_3ds_payment("checkout", &pan),
    )
    .await
    .expect("created");
    assert_eq!(status, 200, "{created:#}");
    assert_eq!(created["status"], "requires_customer_action", "{created:#}");
    let path = format!("/payments/{}/3ds/authentication", id(&created));
    let key = "crash-3ds-1";
    let before = sim.counters().authorizations;
    sim.inject(Fault::Delay {
        duration: Duration::from_secs(5),
        after_processing: true,
    });
    let first = tokio::spawn({
        let (client, base, path) = (client.clone(), base.clone(), path.clone());
        async move { post(&client, &base, &path, key, &json!({})).await }
    });
    wait_for(Cut::Create, &sim, before).await;
    router.kill();
    assert!(
        first.await.expect("joined").is_err(),
        "the first call was answered before the kill"
    );

    // A new router, without the card the first one held: the processor says what happened.
    let (_router, base) = spawn_router(&config);
    let (status, answer) = retry_after_crash(&client, &base, &path, key, &json!({})).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["trans_status"], "Y", "{answer:#}");
    assert_eq!(
        answer["status"], "requires_capture",
        "money that moved is never reported failed: {answer:#}"
    );
    assert_eq!(
        sim.counters().authorizations,
        before + 1,
        "one authorization at the processor"
    );
    three_ds.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
