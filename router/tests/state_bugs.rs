//! Four state bugs found by driving the router (issue 15), each on every connector whose
//! simulator can run its steps: the payment's status must follow what the processor reports.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

async fn flows(router: &TestRouter, flows: &[&str]) -> Vec<&'static str> {
    connectors_with(router, flows).await
}

/// Cancel post capture, then a sync: the payment stays `cancelled_post_capture` (the
/// processor's payment reads "captured, refunded", which is what cancelled post capture is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_after_cancel_post_capture_keeps_it_cancelled_post_capture() {
    let router = TestRouter::start().await;
    for connector in flows(
        &router,
        &["authorize", "cancel_post_capture", "payment_sync"],
    )
    .await
    {
        let sale = router
            .create(payment(connector, 4200, false, TestCard::Approved))
            .await;
        assert_eq!(sale["status"], "succeeded", "{connector}: {sale:#}");
        let pid = id(&sale);
        let undone = router
            .call(
                "POST",
                &format!("/payments/{pid}/cancel_post_capture"),
                Some(json!({"cancellation_reason": "duplicate order"})),
            )
            .await;
        assert_eq!(undone.status, 200, "{connector}: {:#}", undone.body);
        let settled = eventually(&router, &format!("/payments/{pid}"), |p| {
            p["status"] == "cancelled_post_capture"
        })
        .await;
        assert_eq!(
            settled["status"], "cancelled_post_capture",
            "{connector}: {settled:#}"
        );
        for _ in 0..2 {
            let synced = router
                .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
                .await;
            assert_eq!(synced.status, 200, "{connector}: {:#}", synced.body);
            assert_eq!(
                synced.body["status"], "cancelled_post_capture",
                "{connector}: a sync must not undo it: {:#}",
                synced.body
            );
            assert_eq!(synced.body["refunds"][0]["status"], "succeeded");
        }
    }
    router.running.shutdown().await;
}

/// Cancel post capture on a processor that refunds asynchronously: once its refund has
/// succeeded the payment is `cancelled_post_capture` without anyone syncing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_post_capture_ends_cancelled_once_its_refund_succeeded() {
    let router = TestRouter::start().await;
    for connector in flows(&router, &["authorize", "cancel_post_capture"]).await {
        let sale = router
            .create(payment(connector, 3100, false, TestCard::Approved))
            .await;
        let pid = id(&sale);
        let undone = router
            .call(
                "POST",
                &format!("/payments/{pid}/cancel_post_capture"),
                Some(json!({})),
            )
            .await;
        assert_eq!(undone.status, 200, "{connector}: {:#}", undone.body);
        let done = eventually(&router, &format!("/payments/{pid}"), |p| {
            p["refunds"][0]["status"] == "succeeded" && p["status"] == "cancelled_post_capture"
        })
        .await;
        assert_eq!(
            done["refunds"][0]["status"], "succeeded",
            "{connector}: {done:#}"
        );
        assert_eq!(
            done["status"], "cancelled_post_capture",
            "{connector}: its refund succeeded: {done:#}"
        );
        let eligibility = router
            .call("GET", &format!("/payments/{pid}/eligibility"), None)
            .await;
        let ops = &eligibility.body["operations"];
        for op in ["capture", "cancel", "refund", "cancel_post_capture"] {
            assert_eq!(ops[op]["eligible"], false, "{connector}: {op}: {ops:#}");
        }
    }
    router.running.shutdown().await;
}

/// complete_authorize before the customer finished the challenge: refused as unfinished, and
/// the payment keeps waiting for the customer with its redirect; once the customer is done,
/// completing works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_before_the_customer_finished_keeps_the_customer_action() {
    let router = TestRouter::start().await;
    for connector in flows(&router, &["authorize", "complete_authorize"]).await {
        let Some(fields) = payment_fields(connector, TestCard::ThreeDs) else {
            continue;
        };
        let mut body = json!({
            "amount": 2500, "currency": "USD", "connector": connector, "capture_method": "manual",
            "authentication_type": "three_ds", "return_url": "https://shop.example/back",
        });
        merge(&mut body, fields);
        let created = router.create(body).await;
        assert_eq!(created["status"], "requires_customer_action", "{connector}");
        let pid = id(&created);

        let early = router
            .call(
                "POST",
                &format!("/payments/{pid}/complete_authorize"),
                Some(json!({})),
            )
            .await;
        // Primer cannot complete without the token its SDK returns, and says so before
        // sending anything; the others ask the processor, which still waits for the customer.
        if early.status == 400 {
            assert_eq!(
                early.code(),
                "invalid_request",
                "{connector}: {:#}",
                early.body
            );
        } else {
            assert_eq!(early.status, 409, "{connector}: {:#}", early.body);
            assert_eq!(early.code(), "customer_action_incomplete", "{connector}");
        }
        for path in [
            format!("/payments/{pid}"),
            format!("/payments/{pid}?force_sync=true"),
        ] {
            let seen = router.call("GET", &path, None).await;
            assert_eq!(
                seen.body["status"], "requires_customer_action",
                "{connector} {path}: {:#}",
                seen.body
            );
            assert_eq!(
                seen.body["next_action"], created["next_action"],
                "{connector} {path}: the redirect is kept"
            );
        }

        let params = complete_customer_action(&router, connector, &created).await;
        let completed = router
            .call(
                "POST",
                &format!("/payments/{pid}/complete_authorize"),
                Some(json!({"redirect_params": params})),
            )
            .await;
        assert_eq!(completed.status, 200, "{connector}: {:#}", completed.body);
        assert_eq!(completed.body["status"], "requires_capture", "{connector}");
        assert_eq!(completed.body["next_action"], Value::Null, "{connector}");
    }
    router.running.shutdown().await;
}

/// A partial capture that keeps the rest capturable, then a partial refund, then a sync: the
/// payment is still partially captured and capturable, and the rest can be captured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_after_a_partial_capture_leaves_the_rest_capturable() {
    let router = TestRouter::start().await;
    let matrix = router.call("GET", "/connectors", None).await;
    let multiple = |connector: &str| {
        matrix.body["connectors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["connector"] == connector)
            .and_then(|c| c["flows"]["capture"]["conditions"].as_array().cloned())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c == "multiple" || c["type"] == "multiple")
            })
    };
    let mut ran = 0;
    for connector in flows(&router, &["authorize", "capture", "refund", "payment_sync"]).await {
        if !multiple(connector) {
            continue;
        }
        ran += 1;
        let held = router
            .create(payment(connector, 10000, true, TestCard::Approved))
            .await;
        let pid = id(&held);
        let first = router
            .call(
                "POST",
                &format!("/payments/{pid}/capture"),
                Some(json!({"amount_to_capture": 6000, "final_capture": false})),
            )
            .await;
        assert_eq!(first.status, 200, "{connector}: {:#}", first.body);
        let refund = router
            .call(
                "POST",
                "/refunds",
                Some(json!({"payment_id": pid, "amount": 2500})),
            )
            .await;
        assert_eq!(refund.status, 200, "{connector}: {:#}", refund.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let synced = router
            .call("GET", &format!("/payments/{pid}?force_sync=true"), None)
            .await;
        assert_eq!(
            synced.body["status"], "partially_captured_and_capturable",
            "{connector}: {:#}",
            synced.body
        );
        assert_eq!(synced.body["amount_capturable"], 4000, "{connector}");
        assert_eq!(synced.body["amount_received"], 6000, "{connector}");
        let rest = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(rest.status, 200, "{connector}: {:#}", rest.body);
        assert_eq!(rest.body["amount_received"], 10000, "{connector}");
    }
    assert!(ran > 0, "no connector with multiple captures ran");
    router.running.shutdown().await;
}
