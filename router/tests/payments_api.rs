//! The payment flows of the seed documents through the real router, on every connector's
//! simulator: estimated authorization → incremental authorization → eligibility → capture →
//! partial refund; cancel post capture; void; decline; 3DS with complete authorize; metadata;
//! extension; the feature matrix.

mod common;

use common::*;
use serde_json::{json, Value};

async fn supports(router: &TestRouter, connector: &str, flow: &str) -> bool {
    let matrix = router.call("GET", "/connectors", None).await;
    matrix.body["connectors"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["connector"] == connector)
        .map(|c| c["flows"][flow]["supported"] == true)
        .expect("connector listed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimated_authorization_increment_capture_refund_on_every_connector() {
    let router = TestRouter::start().await;
    for connector in connectors_with(
        &router,
        &[
            "authorize",
            "incremental_authorization",
            "capture",
            "refund",
        ],
    )
    .await
    {
        let mut body = payment(connector, 6540, true, TestCard::Approved);
        merge(
            &mut body,
            json!({"request_incremental_authorization": true, "metadata": {"order": "ORD-1"}}),
        );
        let created = router.create(body).await;
        assert_eq!(
            created["status"], "requires_capture",
            "{connector}: {created:#}"
        );
        assert_eq!(created["amount_capturable"], 6540, "{connector}");
        assert_eq!(created["authorization_count"], 1, "{connector}");
        assert_eq!(created["metadata"]["order"], "ORD-1");
        assert_eq!(
            created["attempts"][0]["status"], "authorized",
            "{connector}"
        );
        assert!(created["connector_transaction_id"].is_string());
        let pid = id(&created);

        let raised = router
            .call(
                "POST",
                &format!("/payments/{pid}/incremental_authorization"),
                Some(json!({"amount": 7500, "reason": "room service"})),
            )
            .await;
        assert_eq!(raised.status, 200, "{connector}: {:#}", raised.body);
        assert_eq!(raised.body["amount"], 7500, "{connector}: the new total");
        assert_eq!(raised.body["amount_capturable"], 7500, "{connector}");
        assert_eq!(raised.body["authorization_count"], 2, "{connector}");
        let increment = &raised.body["incremental_authorizations"][0];
        assert_eq!(increment["status"], "success", "{connector}");
        assert_eq!(increment["previously_authorized_amount"], 6540);

        let eligibility = router
            .call("GET", &format!("/payments/{pid}/eligibility"), None)
            .await;
        let ops = &eligibility.body["operations"];
        assert_eq!(ops["capture"]["eligible"], true, "{connector}");
        assert_eq!(ops["capture"]["max_amount"], 7500, "{connector}");
        assert_eq!(ops["refund"]["eligible"], false, "{connector}");
        assert!(ops["refund"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("requires_capture"));

        let captured = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(captured.status, 200, "{connector}: {:#}", captured.body);
        assert_eq!(
            captured.body["status"], "succeeded",
            "{connector}: {:#}",
            captured.body
        );
        assert_eq!(captured.body["amount_received"], 7500, "{connector}");
        assert_eq!(captured.body["amount_capturable"], 0, "{connector}");
        assert_eq!(
            captured.body["captures"][0]["status"], "charged",
            "{connector}"
        );

        // No increment after capture, and the answer says why.
        let late = router
            .call(
                "POST",
                &format!("/payments/{pid}/incremental_authorization"),
                Some(json!({"amount": 9000})),
            )
            .await;
        assert_eq!(late.status, 409, "{connector}: {:#}", late.body);
        assert_eq!(late.body["error"]["type"], "invalid_state");

        let refund = router
            .call(
                "POST",
                "/refunds",
                Some(json!({"payment_id": pid, "amount": 2000, "reason": "damaged"})),
            )
            .await;
        assert_eq!(refund.status, 200, "{connector}: {:#}", refund.body);
        assert_eq!(refund.body["amount"], 2000);
        // A refund the processor only accepts is settled by one immediate sync, and stored so.
        assert_eq!(
            refund.body["status"], "succeeded",
            "{connector}: {:#}",
            refund.body
        );
        let stored = router.call("GET", &format!("/payments/{pid}"), None).await;
        assert_eq!(
            stored.body["refunds"][0]["status"], "succeeded",
            "{connector}"
        );
        let refund_id = refund.body["refund_id"]
            .as_str()
            .expect("refund id")
            .to_owned();
        let settled = eventually(
            &router,
            &format!("/refunds/{refund_id}?force_sync=true"),
            |r| r["status"] == "succeeded",
        )
        .await;
        assert_eq!(settled["status"], "succeeded", "{connector}: {settled:#}");

        let payment = router.call("GET", &format!("/payments/{pid}"), None).await;
        assert_eq!(payment.body["refunds"][0]["refund_id"], refund_id.as_str());
        let eligibility = router
            .call("GET", &format!("/payments/{pid}/eligibility"), None)
            .await;
        assert_eq!(
            eligibility.body["operations"]["refund"]["max_amount"], 5500,
            "{connector}"
        );

        let too_much = router
            .call(
                "POST",
                "/refunds",
                Some(json!({"payment_id": pid, "amount": 5501})),
            )
            .await;
        assert_eq!(too_much.status, 400, "{connector}");
        assert_eq!(too_much.code(), "amount_exceeds_refundable");
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_post_capture_void_and_decline_on_every_connector() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "void", "payment_sync"]).await {
        if supports(&router, connector, "cancel_post_capture").await {
            let sale = router
                .create(payment(connector, 4200, false, TestCard::Approved))
                .await;
            assert_eq!(sale["status"], "succeeded", "{connector}: {sale:#}");
            let pid = id(&sale);
            let undone = router
                .call(
                    "POST",
                    &format!("/payments/{pid}/cancel_post_capture"),
                    Some(json!({"cancellation_reason": "Order cancelled by customer"})),
                )
                .await;
            assert_eq!(undone.status, 200, "{connector}: {:#}", undone.body);
            let settled = eventually(&router, &format!("/payments/{pid}?force_sync=true"), |p| {
                p["refunds"][0]["status"] == "succeeded"
            })
            .await;
            assert_eq!(
                settled["cancellation_reason"],
                "Order cancelled by customer"
            );
            assert_eq!(
                settled["refunds"][0]["amount"], 4200,
                "{connector}: {settled:#}"
            );
            assert_eq!(
                settled["refunds"][0]["status"], "succeeded",
                "{connector}: {settled:#}"
            );
        }

        let held = router
            .create(payment(connector, 1000, true, TestCard::Approved))
            .await;
        let pid = id(&held);
        let voided = router
            .call(
                "POST",
                &format!("/payments/{pid}/cancel"),
                Some(json!({"cancellation_reason": "out of stock"})),
            )
            .await;
        assert_eq!(voided.status, 200, "{connector}: {:#}", voided.body);
        let voided = eventually(&router, &format!("/payments/{pid}?force_sync=true"), |p| {
            p["status"] == "cancelled"
        })
        .await;
        assert_eq!(voided["status"], "cancelled", "{connector}: {voided:#}");
        let capture = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(capture.status, 409, "capture after void: {connector}");
        assert!(
            capture.message().contains("cancelled"),
            "{}",
            capture.message()
        );

        if payment_fields(connector, TestCard::Declined).is_some() {
            let declined = router
                .create(payment(connector, 1000, false, TestCard::Declined))
                .await;
            assert_eq!(declined["status"], "failed", "{connector}: {declined:#}");
            assert!(
                declined["error_code"].is_string(),
                "{connector}: {declined:#}"
            );
            assert_eq!(
                declined["unified_code"].as_str(),
                decline_code(connector).as_deref(),
                "{connector}: {declined:#}"
            );
            assert_eq!(declined["attempts"][0]["status"], "failure");
        }
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_ds_redirect_then_complete_authorize() {
    let router = TestRouter::start().await;
    for connector in connectors_with(&router, &["authorize", "complete_authorize", "capture"]).await
    {
        let Some(fields) = payment_fields(connector, TestCard::ThreeDs) else {
            continue;
        };
        let mut body = json!({
            "amount": 2500, "currency": "USD", "connector": connector, "capture_method": "manual",
            "authentication_type": "three_ds", "return_url": "https://shop.example/back",
        });
        merge(&mut body, fields);
        let created = router.create(body).await;
        assert_eq!(
            created["status"], "requires_customer_action",
            "{connector}: {created:#}"
        );
        assert!(
            created["next_action"]["type"].is_string(),
            "{connector}: {created:#}"
        );
        let pid = id(&created);
        let eligibility = router
            .call("GET", &format!("/payments/{pid}/eligibility"), None)
            .await;
        assert_eq!(
            eligibility.body["operations"]["complete_authorize"]["eligible"], true,
            "{connector}"
        );

        let params = complete_customer_action(&router, connector, &created).await;
        let completed = router
            .call(
                "POST",
                &format!("/payments/{pid}/complete_authorize"),
                Some(json!({"redirect_params": params})),
            )
            .await;
        assert_eq!(completed.status, 200, "{connector}: {:#}", completed.body);
        assert_eq!(
            completed.body["status"], "requires_capture",
            "{connector}: {:#}",
            completed.body
        );
        assert_eq!(completed.body["amount_capturable"], 2500, "{connector}");
        assert_eq!(completed.body["next_action"], Value::Null, "{connector}");
        let captured = router
            .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
            .await;
        assert_eq!(
            captured.body["status"], "succeeded",
            "{connector}: {:#}",
            captured.body
        );
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_extension_session_tokens_and_external_3ds() {
    let router = TestRouter::start().await;
    // An authorization that is not estimated cannot be extended at Checkout.com.
    let final_auth = id(&router
        .create(payment("checkout", 5000, true, TestCard::Mastercard))
        .await);
    let refused = router
        .call(
            "POST",
            &format!("/payments/{final_auth}/extend_authorization"),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status, 409, "{:#}", refused.body);
    assert!(
        refused.message().contains("request_extended_authorization"),
        "{}",
        refused.message()
    );

    let mut body = payment("checkout", 5000, true, TestCard::Mastercard);
    body["request_extended_authorization"] = json!(true);
    let created = router.create(body).await;
    assert_eq!(created["request_extended_authorization"], true);
    let pid = id(&created);

    let updated = router
        .call(
            "PUT",
            &format!("/payments/{pid}/update_metadata"),
            Some(json!({"metadata": {"internal_order_id": "ORD-5678", "n": 2}})),
        )
        .await;
    assert_eq!(updated.status, 200, "{:#}", updated.body);
    assert_eq!(
        updated.body["metadata"],
        json!({"internal_order_id": "ORD-5678", "n": 2})
    );
    let removed = router
        .call(
            "PUT",
            &format!("/payments/{pid}/update_metadata"),
            Some(json!({"metadata": {"n": null}})),
        )
        .await;
    assert_eq!(
        removed.body["metadata"],
        json!({"internal_order_id": "ORD-5678"})
    );

    // Checkout.com extends Mastercard authorizations.
    let extended = router
        .call(
            "POST",
            &format!("/payments/{pid}/extend_authorization"),
            Some(json!({})),
        )
        .await;
    assert_eq!(extended.status, 200, "{:#}", extended.body);
    assert_eq!(extended.body["extended_authorization_applied"], true);
    assert!(extended.body["extended_authorization_last_applied_at"].is_string());

    // A Visa authorization cannot be extended there; Stripe only at authorization; Primer never.
    let visa = id(&router
        .create(payment("checkout", 5000, true, TestCard::Approved))
        .await);
    let refused = router
        .call(
            "POST",
            &format!("/payments/{visa}/extend_authorization"),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status, 422, "{:#}", refused.body);
    assert!(
        refused.message().contains("mastercard"),
        "{}",
        refused.message()
    );
    for connector in ["stripe", "primer"] {
        let other = id(&router
            .create(payment(connector, 5000, true, TestCard::Approved))
            .await);
        let refused = router
            .call(
                "POST",
                &format!("/payments/{other}/extend_authorization"),
                Some(json!({})),
            )
            .await;
        assert_eq!(refused.status, 422, "{connector}: {:#}", refused.body);
        assert_eq!(refused.body["error"]["type"], "not_supported");
    }

    let sessions = router
        .call(
            "POST",
            "/payments/session_tokens",
            Some(json!({"payment_id": pid, "wallets": ["apple_pay", "google_pay"]})),
        )
        .await;
    // Served per wallet (router/tests/wallets.rs checks what each entry holds).
    assert_eq!(sessions.status, 200, "{:#}", sessions.body);
    assert_eq!(
        sessions.body["session_token"][0]["wallet_name"],
        "apple_pay"
    );
    assert_eq!(
        sessions.body["session_token"][1]["wallet_name"],
        "google_pay"
    );
    let bad_wallet = router
        .call(
            "POST",
            "/payments/session_tokens",
            Some(json!({"payment_id": pid, "wallets": ["paypal"]})),
        )
        .await;
    assert_eq!(bad_wallet.code(), "unknown_wallet");

    let three_ds = router
        .call(
            "POST",
            &format!("/payments/{pid}/3ds/authentication"),
            Some(json!({})),
        )
        .await;
    // A payment created without external authentication has none to run
    // (router/tests/external_3ds.rs covers the ones created for it).
    assert_eq!(three_ds.status, 409, "{:#}", three_ds.body);
    assert_eq!(three_ds.code(), "external_authentication_not_requested");
    let missing = router
        .call(
            "POST",
            "/payments/pay_doesnotexist/3ds/authentication",
            Some(json!({})),
        )
        .await;
    assert_eq!(missing.status, 404);
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_connectors_and_the_served_document() {
    let router = TestRouter::start().await;
    let health = router.raw("GET", "/health", None, None, None).await;
    assert_eq!(health.body, json!({"status": "ok"}));
    let matrix = router.call("GET", "/connectors", None).await;
    let names: Vec<&str> = matrix.body["connectors"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["connector"].as_str())
        .collect();
    // Listed by name, whatever the registry's order.
    let mut registered = connectors();
    registered.sort_unstable();
    assert_eq!(names, registered);
    assert_eq!(
        matrix.body["connectors"][0]["flows"]["authorize"]["supported"],
        true
    );

    let doc = router.raw("GET", "/openapi.json", None, None, None).await;
    // Every route the router serves is in the document, and nothing else.
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc.body["paths"].as_object().expect("paths") {
        for method in ops
            .as_object()
            .expect("ops")
            .keys()
            .filter(|m| *m != "parameters")
        {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    let routes = paybridge_router::http::routes();
    let mut served: Vec<(String, String)> = routes
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_owned()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // ...and every route in the list is served (a missing one answers route_not_found).
    for route in &routes {
        let (method, path) = (route.method.as_str(), route.path);
        if path == "/metrics" {
            continue; // text, not JSON: tests/metrics.rs reads it
        }
        let concrete = path
            .replace("{payment_id}", "pay_x")
            .replace("{refund_id}", "ref_x")
            .replace("{connector}", "checkout");
        let answer = router.raw(method, &concrete, None, None, Some("{}")).await;
        assert_ne!(answer.code(), "route_not_found", "{method} {path}");
        assert_ne!(answer.status, 405, "{method} {path}");
    }
    let value: Value = doc.body;
    assert_eq!(value["info"]["title"], "paybridge router");
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_authorize_after_the_webhook_already_told_the_outcome() {
    let router = TestRouter::start().await;
    for connector in
        connectors_with(&router, &["authorize", "complete_authorize", "webhooks"]).await
    {
        let Some(fields) = payment_fields(connector, TestCard::ThreeDs) else {
            continue;
        };
        let mut body = json!({
            "amount": 1800, "currency": "USD", "connector": connector, "capture_method": "manual",
            "authentication_type": "three_ds", "return_url": "https://shop.example/back",
        });
        merge(&mut body, fields);
        let created = router.create(body).await;
        let pid = id(&created);
        let params = complete_customer_action(&router, connector, &created).await;
        // The processor's webhook arrives before the customer's browser comes back.
        let moved = eventually(&router, &format!("/payments/{pid}"), |p| {
            p["status"] != "requires_customer_action"
        })
        .await;
        if moved["status"] == "requires_customer_action" {
            continue; // this processor sends no webhook for the authentication
        }
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
        // Now it is complete: a second call is refused.
        let again = router
            .call(
                "POST",
                &format!("/payments/{pid}/complete_authorize"),
                Some(json!({})),
            )
            .await;
        assert_eq!(again.status, 409, "{connector}: {:#}", again.body);
    }
    router.running.shutdown().await;
}

/// `/ready` says whether an instance should get traffic, and what is missing when not; a
/// router with no connector is alive (`/health`) but not ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_names_what_is_missing() {
    let router = TestRouter::start().await;
    let ready = router.call("GET", "/ready", None).await;
    assert_eq!(ready.status, 200, "{:#}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    let listed: std::collections::BTreeSet<&str> = ready.body["connectors"]
        .as_array()
        .expect("connectors")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    let registered = connectors().into_iter().collect();
    assert_eq!(listed, registered, "{:#}", ready.body);
    assert_eq!(ready.body["migrations"], "applied", "{:#}", ready.body);
    router.running.shutdown().await;

    let config = paybridge_router::RouterConfig {
        database_url: "sqlite::memory:".into(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        simulators: false,
        ..Default::default()
    };
    let bare = paybridge_router::start(config).await.expect("starts");
    let get = |path: &str| reqwest::get(format!("{}{path}", bare.base_url()));
    assert_eq!(get("/health").await.expect("health").status(), 200);
    let answer = get("/ready").await.expect("ready");
    assert_eq!(answer.status(), 503);
    let body: Value = answer.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "not_ready", "{body:#}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no connector")),
        "{body:#}"
    );
    bare.shutdown().await;
}

/// A database that lost a migration this build needs (restored from an older backup while the
/// router ran) makes the instance not ready, naming the migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_requires_every_migration_applied() {
    use sqlx::Connection as _;
    let router = TestRouter::start().await;
    if !router.database_url.starts_with("sqlite:") {
        // A shared database: losing a migration row would break the other tests' routers.
        eprintln!("skipped: needs a database of its own (SQLite)");
        router.running.shutdown().await;
        return;
    }
    assert_eq!(router.call("GET", "/ready", None).await.status, 200);

    let mut db = sqlx::SqliteConnection::connect(&router.database_url)
        .await
        .expect("opens");
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&mut db)
    .await
    .expect("deletes");
    db.close().await.expect("closes");

    let ready = router.call("GET", "/ready", None).await;
    assert_eq!(ready.status, 503, "{:#}", ready.body);
    assert_eq!(ready.code(), "not_ready", "{:#}", ready.body);
    assert!(
        ready.message().contains("lacks migrations"),
        "{:#}",
        ready.body
    );
    router.running.shutdown().await;
}
