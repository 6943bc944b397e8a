//! The Checkout.com simulator's rules, through HTTP.

#![allow(clippy::unwrap_used)]

mod common;

use common::{payment, webhook_types, Sim};
use paybridge_sandbox::checkout::cards;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn is_checkout_id(id: &str, prefix: &str) -> bool {
    id.len() == prefix.len() + 27
        && id.starts_with(prefix)
        && id[prefix.len()..].starts_with('_')
        && id[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn days_until(timestamp: &str) -> i64 {
    let at = OffsetDateTime::parse(timestamp, &Rfc3339).unwrap();
    (at - OffsetDateTime::now_utc())
        .whole_hours()
        .div_euclid(24)
        + 1
}

#[tokio::test]
async fn only_the_exact_bearer_secret_key_is_accepted_and_401_has_an_empty_body() {
    let sim = Sim::start().await;
    let body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    let key = sim.config.secret_key.clone();
    for auth in [
        None,
        Some("Bearer sk_sbox_wrong".to_owned()),
        Some(key.clone()),
        Some(format!("bearer {key}")),
        Some(format!("Bearer  {key}")),
    ] {
        let mut request = sim.client.post(sim.url("/payments")).body(body.to_string());
        if let Some(auth) = &auth {
            request = request.header("Authorization", auth);
        }
        let reply = common::reply(request.send().await.unwrap()).await.unwrap();
        assert_eq!(reply.status, 401, "{auth:?}");
        assert!(reply.raw.is_empty(), "{auth:?}: {:?}", reply.raw);
    }
    let get = sim
        .client
        .get(sim.url("/payments/pay_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 401);
    assert_eq!(sim.handle.counters().authorizations, 0);
    assert_eq!(sim.handle.counters().requests, 6);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn payment_requests_are_validated_with_checkout_error_codes() {
    let sim = Sim::start().await;
    let good = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    let with = |pointer: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    let mut no_source = good.clone();
    no_source.as_object_mut().unwrap().remove("source");
    let mut no_channel = good.clone();
    no_channel
        .as_object_mut()
        .unwrap()
        .remove("processing_channel_id");
    let cases = [
        (no_source, "payment_source_required"),
        (
            with("/source/number", json!("4242424242424241")),
            "card_number_invalid",
        ),
        (
            with("/source/number", json!("4242-4242-4242-4242")),
            "card_number_invalid",
        ),
        (
            with("/source/number", json!("42424242424")),
            "card_number_invalid",
        ),
        (
            with("/source/number", json!(4242424242424242_u64)),
            "card_number_invalid",
        ),
        (
            with("/source/expiry_month", json!(13)),
            "card_expiry_month_invalid",
        ),
        (with("/source/expiry_year", json!(2020)), "card_expired"),
        (with("/source/cvv", json!("12")), "cvv_invalid"),
        (with("/currency", json!("XXX")), "currency_invalid"),
        (with("/currency", json!(840)), "currency_invalid"),
        (with("/amount", json!(-1)), "amount_invalid"),
        (with("/amount", json!(100_000_000)), "amount_invalid"),
        (with("/amount", json!(10.5)), "amount_invalid"),
        (with("/amount", json!("1000")), "amount_invalid"),
        (with("/amount", json!(u64::MAX)), "amount_invalid"),
        (
            with("/authorization_type", json!("Sometimes")),
            "authorization_type_invalid",
        ),
        (
            with("/reference", json!("x".repeat(51))),
            "reference_invalid",
        ),
        (no_channel, "processing_channel_id_invalid"),
        (
            with("/processing_channel_id", json!("pc_other")),
            "processing_channel_id_invalid",
        ),
    ];
    for (body, code) in cases {
        let reply = sim.post("/payments", &body, None).await;
        assert_eq!(reply.status, 422, "{code}: {reply:?}");
        assert_eq!(reply.body["error_type"], "request_invalid", "{code}");
        assert!(
            reply.codes().contains(&code.to_owned()),
            "{code}: {:?}",
            reply.codes()
        );
        assert!(!reply.str("/request_id").is_empty());
    }
    // Several problems at once: every code is listed.
    let mut body = with("/currency", json!("XXX"));
    body["amount"] = json!(-5);
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.codes(), ["currency_invalid", "amount_invalid"]);
    // Nothing was created.
    assert_eq!(sim.handle.counters().authorizations, 0);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_are_422_never_a_crash() {
    let sim = Sim::start().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[1, 2]".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        br#"{"amount": 1e400}"#.to_vec(),
        deep.into_bytes(),
    ];
    for body in bodies {
        let reply = sim.post_raw("/payments", body.clone()).await;
        assert_eq!(reply.status, 422, "{:?}", String::from_utf8_lossy(&body));
        assert_eq!(reply.body["error_type"], "request_malformed");
    }
    let id = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    for path in ["captures", "voids", "refunds", "authorizations"] {
        let reply = sim
            .post_raw(&format!("/payments/{id}/{path}"), b"{".to_vec())
            .await;
        assert_eq!(reply.status, 422, "{path}");
    }
    // Unknown fields are ignored; the simulator still answers.
    let mut body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    body["surprise"] = json!({"nested": [1, 2, 3]});
    assert_eq!(sim.post("/payments", &body, None).await.status, 201);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn an_approved_authorization_has_the_documented_shape() {
    let sim = Sim::start().await;
    let reply = sim.pay(cards::VISA_APPROVED, 1000, false, true).await;
    assert_eq!(reply.status, 201);
    let b = &reply.body;
    assert!(is_checkout_id(b["id"].as_str().unwrap(), "pay"), "{b}");
    assert!(
        is_checkout_id(b["action_id"].as_str().unwrap(), "act"),
        "{b}"
    );
    assert_eq!(b["amount"], 1000);
    assert_eq!(b["currency"], "USD");
    assert_eq!(b["approved"], true);
    assert_eq!(b["status"], "Authorized");
    assert_eq!(b["response_code"], "10000");
    assert_eq!(b["response_summary"], "Approved");
    assert_eq!(b["reference"], "ORD-1");
    assert_eq!(b["auth_code"].as_str().unwrap().len(), 6);
    assert!(!reply.str("/scheme_id").is_empty());
    assert!(!reply.str("/processed_on").is_empty());
    assert_eq!(days_until(&reply.str("/expires_on")), 7);
    assert_eq!(
        b["balances"],
        json!({"total_authorized": 1000, "total_voided": 0, "available_to_void": 1000,
               "total_captured": 0, "available_to_capture": 1000, "total_refunded": 0, "available_to_refund": 0})
    );
    let source = &b["source"];
    assert_eq!(source["type"], "card");
    assert!(is_checkout_id(source["id"].as_str().unwrap(), "src"));
    assert_eq!(source["last4"], "4242");
    assert_eq!(source["bin"], "424242");
    assert_eq!(source["scheme"], "Visa");
    assert_eq!(source["expiry_month"], 12);
    assert_eq!(source["expiry_year"], 2030);
    let id = reply.str("/id");
    let links = b["_links"].as_object().unwrap();
    for (name, suffix) in [
        ("self", String::new()),
        ("actions", "/actions".into()),
        ("capture", "/captures".into()),
        ("void", "/voids".into()),
        ("authorize", "/authorizations".into()),
    ] {
        let expected = sim.url(&format!("/payments/{id}{suffix}")).to_string();
        assert_eq!(links[name]["href"], expected.as_str(), "{name}");
    }
    assert!(!links.contains_key("refund"));
    assert!(reply.headers.contains_key("cko-request-id"));
    // Mastercard Estimated authorizations last 30 days.
    let mc = sim.pay(cards::MASTERCARD_APPROVED, 1000, false, true).await;
    assert_eq!(mc.body["source"]["scheme"], "Mastercard");
    assert_eq!(days_until(&mc.str("/expires_on")), 30);
    let amex = sim.pay(cards::AMEX_APPROVED, 1000, false, false).await;
    assert_eq!(amex.body["source"]["scheme"], "Amex");
    assert_eq!(days_until(&amex.str("/expires_on")), 7);
    assert_eq!(sim.handle.counters().authorizations, 3);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn capture_true_captures_at_once() {
    let sim = Sim::start().await;
    let reply = sim.pay(cards::VISA_APPROVED, 2500, true, false).await;
    assert_eq!(reply.body["status"], "Captured");
    assert_eq!(reply.int("/balances/total_captured"), 2500);
    assert_eq!(reply.int("/balances/available_to_capture"), 0);
    assert_eq!(reply.int("/balances/available_to_refund"), 2500);
    assert!(reply.body["_links"]["refund"].is_object());
    assert!(reply.body["_links"].get("capture").is_none());
    let actions = sim
        .get(&format!("/payments/{}/actions", reply.str("/id")))
        .await;
    let types: Vec<&str> = actions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Capture", "Authorization"]);
    assert_eq!(
        webhook_types(&sim.handle),
        ["payment_approved", "payment_captured"]
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn decline_cards_answer_201_not_approved_with_their_codes() {
    let sim = Sim::start().await;
    let table = [
        (cards::INSUFFICIENT_FUNDS, "20051", "Insufficient Funds"),
        (cards::DO_NOT_HONOUR, "20005", "Declined - Do Not Honour"),
        (cards::EXPIRED_CARD, "20054", "Expired Card"),
        (cards::CVV_FAILURE, "200N7", ""),
        (cards::REVOCATION_OF_AUTHORIZATIONS, "200R3", ""),
        (cards::REFER_TO_ISSUER, "20001", ""),
        (cards::INVALID_TRANSACTION, "20012", ""),
        (cards::INVALID_CARD_NUMBER, "20014", ""),
        (cards::NOT_PERMITTED_TO_CARDHOLDER, "20057", ""),
        (cards::SUSPECTED_FRAUD, "20059", ""),
        (cards::EXCEEDS_WITHDRAWAL_LIMIT, "20061", ""),
        (cards::RESTRICTED_CARD, "20062", ""),
        (cards::SECURITY_VIOLATION, "20063", ""),
        (cards::RESPONSE_TOO_LATE, "20068", ""),
        (cards::BLOCKED_FIRST_USE, "20078", ""),
    ];
    for (card, code, summary) in table {
        let reply = sim.pay(card, 1000, true, false).await;
        assert_eq!(reply.status, 201, "{card}");
        assert_eq!(reply.body["approved"], false, "{card}");
        assert_eq!(reply.body["status"], "Declined", "{card}");
        assert_eq!(reply.body["response_code"], code, "{card}");
        if !summary.is_empty() {
            assert_eq!(reply.body["response_summary"], summary, "{card}");
        }
        assert_eq!(reply.int("/balances/total_authorized"), 0);
        assert_eq!(reply.int("/balances/total_captured"), 0);
        let links = reply.body["_links"].as_object().unwrap();
        assert_eq!(links.len(), 2, "{links:?}");
        // Nothing can be done with a declined payment.
        let id = reply.str("/id");
        assert_eq!(
            sim.post(&format!("/payments/{id}/captures"), &json!({}), None)
                .await
                .status,
            403
        );
    }
    assert_eq!(sim.handle.counters().authorizations, 15);
    assert!(webhook_types(&sim.handle)
        .iter()
        .all(|t| t == "payment_declined"));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn amount_zero_verifies_the_card() {
    let sim = Sim::start().await;
    let reply = sim.pay(cards::VISA_APPROVED, 0, false, false).await;
    assert_eq!(reply.body["status"], "Card Verified");
    assert_eq!(reply.body["approved"], true);
    let actions = sim
        .get(&format!("/payments/{}/actions", reply.str("/id")))
        .await;
    assert_eq!(actions.body[0]["type"], "Card Verification");
    assert_eq!(webhook_types(&sim.handle), ["card_verified"]);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn three_ds_is_pending_until_the_customer_completes_the_redirect() {
    let sim = Sim::start().await;
    let mut body = payment(&sim.config, cards::VISA_APPROVED, 1000, false, false);
    body["3ds"] = json!({"enabled": true});
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.body["status"], "Pending");
    assert_eq!(reply.body["reference"], "ORD-1");
    let id = reply.str("/id");
    let redirect = reply.str("/_links/redirect/href");
    assert_eq!(redirect, sim.url(&format!("/sim/3ds/{id}")).as_str());
    assert_eq!(
        reply.str("/_links/self/href"),
        sim.url(&format!("/payments/{id}")).as_str()
    );
    let pending = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(pending.body["status"], "Pending");
    assert_eq!(pending.body["approved"], false);
    assert_eq!(
        sim.get(&format!("/payments/{id}/actions")).await.body,
        json!([])
    );
    // Nothing to capture yet.
    assert_eq!(
        sim.post(&format!("/payments/{id}/captures"), &json!({}), None)
            .await
            .status,
        403
    );

    // The customer, without credentials.
    let page = sim.client.get(&redirect).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let done = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(done.body["status"], "Authorized");
    assert_eq!(done.body["approved"], true);
    assert_eq!(
        webhook_types(&sim.handle),
        ["payment_pending", "payment_approved"]
    );
    // The page only works once; it is neither counted nor needs a key.
    assert_eq!(
        sim.client.get(&redirect).send().await.unwrap().status(),
        409
    );
    assert_eq!(sim.handle.counters().authorizations, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn three_ds_redirects_back_with_a_session_id_and_can_fail() {
    let sim = Sim::start().await;
    let mut body = payment(&sim.config, cards::VISA_APPROVED, 1000, true, false);
    body["3ds"] = json!({"enabled": true});
    body["success_url"] = json!("https://shop.example/ok?order=1");
    body["failure_url"] = json!("https://shop.example/failed");

    let ok = sim.post("/payments", &body, None).await;
    let page = sim
        .client
        .get(ok.str("/_links/redirect/href"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 302);
    let location = url::Url::parse(page.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/ok");
    let session = location
        .query_pairs()
        .find(|(k, _)| k == "cko-session-id")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(session.starts_with("sid_"));
    // The session id retrieves the payment, captured because capture was requested.
    let by_session = sim.get(&format!("/payments/{session}")).await;
    assert_eq!(by_session.body["id"], ok.body["id"]);
    assert_eq!(by_session.body["status"], "Captured");

    let failing = sim.post("/payments", &body, None).await;
    let href = format!("{}?outcome=fail", failing.str("/_links/redirect/href"));
    let page = sim.client.get(href).send().await.unwrap();
    assert_eq!(page.status(), 302);
    assert!(page.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://shop.example/failed?cko-session-id=sid_"));
    let declined = sim.get(&format!("/payments/{}", failing.str("/id"))).await;
    assert_eq!(declined.body["status"], "Declined");
    assert_eq!(declined.body["actions"][0]["response_code"], "20151");

    let abandoned = sim.post("/payments", &body, None).await;
    let href = format!("{}?outcome=cancel", abandoned.str("/_links/redirect/href"));
    assert_eq!(sim.client.get(href).send().await.unwrap().status(), 302);
    assert_eq!(
        sim.get(&format!("/payments/{}", abandoned.str("/id")))
            .await
            .body["status"],
        "Canceled"
    );

    assert_eq!(
        webhook_types(&sim.handle),
        [
            "payment_pending",
            "payment_approved",
            "payment_captured",
            "payment_pending",
            "payment_declined",
            "payment_pending",
            "payment_canceled"
        ]
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn an_increment_adds_the_amount_and_updates_balances() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    let reply = sim
        .post(
            &format!("/payments/{id}/authorizations"),
            &json!({"amount": 500, "reference": "INC-1"}),
            None,
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let b = &reply.body;
    assert!(is_checkout_id(b["action_id"].as_str().unwrap(), "act"));
    assert_eq!(b["amount"], 500);
    assert_eq!(b["currency"], "USD");
    assert_eq!(b["approved"], true);
    assert_eq!(b["status"], "Authorized");
    assert_eq!(b["response_code"], "10000");
    assert_eq!(b["reference"], "INC-1");
    assert_eq!(reply.int("/balances/total_authorized"), 1500);
    assert_eq!(reply.int("/balances/available_to_capture"), 1500);
    assert!(!reply.str("/expires_on").is_empty());
    assert!(b["_links"]["self"].is_object() && b["_links"]["actions"].is_object());
    let again = sim
        .post(
            &format!("/payments/{id}/authorizations"),
            &json!({"amount": 250}),
            None,
        )
        .await;
    assert_eq!(again.int("/balances/total_authorized"), 1750);

    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["amount"], 1000, "the requested amount stays");
    assert_eq!(details.int("/balances/total_authorized"), 1750);
    let actions = sim.get(&format!("/payments/{id}/actions")).await;
    assert_eq!(actions.body[0]["type"], "Authorization");
    assert_eq!(actions.body[0]["authorization_type"], "Incremental");
    assert_eq!(actions.body[0]["amount"], 250);
    assert_eq!(actions.body[2]["authorization_type"], "Estimated");

    // The whole new total can be captured.
    let capture = sim
        .post(&format!("/payments/{id}/captures"), &json!({}), None)
        .await;
    assert_eq!(capture.status, 202);
    assert_eq!(
        sim.get(&format!("/payments/{id}"))
            .await
            .int("/balances/total_captured"),
        1750
    );
    assert_eq!(sim.handle.counters().increments, 2);
    assert_eq!(
        webhook_types(&sim.handle),
        [
            "payment_approved",
            "payment_authorization_incremented",
            "payment_authorization_incremented",
            "payment_captured"
        ]
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn increments_are_refused_after_capture_on_final_and_after_void() {
    let sim = Sim::start().await;
    let path = |id: &str| format!("/payments/{id}/authorizations");

    let captured = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    let partial = json!({"amount": 100, "capture_type": "NonFinal"});
    assert_eq!(
        sim.post(&format!("/payments/{captured}/captures"), &partial, None)
            .await
            .status,
        202
    );
    let reply = sim
        .post(&path(&captured), &json!({"amount": 100}), None)
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.codes(), ["payment_already_captured"]);

    let final_auth = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let reply = sim
        .post(&path(&final_auth), &json!({"amount": 100}), None)
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.codes(), ["incremental_authorization_not_allowed"]);

    let voided = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    assert_eq!(
        sim.post(&format!("/payments/{voided}/voids"), &json!({}), None)
            .await
            .status,
        202
    );
    assert_eq!(
        sim.post(&path(&voided), &json!({"amount": 100}), None)
            .await
            .status,
        403
    );

    let reply = sim
        .post(&path(&final_auth), &json!({"amount": -1}), None)
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.codes(), ["amount_invalid"]);
    assert_eq!(
        sim.post(
            &path("pay_unknownunknownunknownunkn"),
            &json!({"amount": 1}),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(sim.handle.counters().increments, 0);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn extending_an_authorization_is_for_mastercard_only() {
    let sim = Sim::start().await;
    let mc = sim.authorized(cards::MASTERCARD_APPROVED, 1000, true).await;
    let before = sim.get(&format!("/payments/{mc}")).await;
    let reply = sim
        .post(&format!("/payments/{mc}/authorizations"), &json!({}), None)
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["amount"], 0);
    assert_eq!(reply.body["approved"], true);
    assert_eq!(
        reply.body["balances"], before.body["balances"],
        "an extension changes no balance"
    );
    assert_eq!(days_until(&reply.str("/expires_on")), 30);
    assert!(reply.str("/expires_on") >= before.str("/expires_on"));
    let zero = sim
        .post(
            &format!("/payments/{mc}/authorizations"),
            &json!({"amount": 0}),
            None,
        )
        .await;
    assert_eq!(zero.status, 201);

    let visa = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    let reply = sim
        .post(
            &format!("/payments/{visa}/authorizations"),
            &json!({"amount": 0}),
            None,
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.codes(), ["incremental_authorization_unsupported"]);
    assert_eq!(sim.handle.counters().increments, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_declined_increment_is_an_outcome_with_its_webhook() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    let hook = sim
        .client
        .post(sim.url(&format!("/sim/payments/{id}/decline-next-increment")))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 204);
    let reply = sim
        .post(
            &format!("/payments/{id}/authorizations"),
            &json!({"amount": 500}),
            None,
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["approved"], false);
    assert_eq!(reply.body["status"], "Declined");
    assert_eq!(reply.body["response_code"], "20051");
    assert_eq!(reply.int("/balances/total_authorized"), 1000);
    // The payment itself is still authorized and can grow.
    let next = sim
        .post(
            &format!("/payments/{id}/authorizations"),
            &json!({"amount": 500}),
            None,
        )
        .await;
    assert_eq!(next.body["approved"], true);
    assert_eq!(
        webhook_types(&sim.handle),
        [
            "payment_approved",
            "payment_authorization_increment_declined",
            "payment_authorization_incremented"
        ]
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn captures_are_bounded_and_a_final_partial_capture_voids_the_rest() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let path = format!("/payments/{id}/captures");
    let too_much = sim.post(&path, &json!({"amount": 1001}), None).await;
    assert_eq!(too_much.status, 422);
    assert_eq!(too_much.codes(), ["capture_value_greater_than_authorized"]);
    let bad_type = sim
        .post(&path, &json!({"capture_type": "Sometimes"}), None)
        .await;
    assert_eq!(bad_type.codes(), ["capture_type_invalid"]);

    let reply = sim
        .post(&path, &json!({"amount": 400, "reference": "CAP-1"}), None)
        .await;
    assert_eq!(reply.status, 202);
    assert!(is_checkout_id(&reply.str("/action_id"), "act"));
    assert_eq!(reply.body["reference"], "CAP-1");
    assert_eq!(
        reply.str("/_links/payment/href"),
        sim.url(&format!("/payments/{id}")).as_str()
    );
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Captured");
    assert_eq!(details.int("/balances/total_captured"), 400);
    assert_eq!(details.int("/balances/total_voided"), 600);
    assert_eq!(details.int("/balances/available_to_capture"), 0);
    assert_eq!(details.int("/balances/available_to_refund"), 400);
    let again = sim.post(&path, &json!({"amount": 100}), None).await;
    assert_eq!(again.status, 403);
    assert_eq!(again.codes(), ["capture_not_allowed"]);
    assert_eq!(sim.handle.counters().captures, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn non_final_captures_can_be_repeated_up_to_the_authorized_amount() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let path = format!("/payments/{id}/captures");
    let non_final = |amount: i64| json!({"amount": amount, "capture_type": "NonFinal"});
    assert_eq!(sim.post(&path, &non_final(300), None).await.status, 202);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Partially Captured");
    assert_eq!(details.int("/balances/available_to_capture"), 700);
    assert_eq!(details.int("/balances/available_to_void"), 0);
    assert_eq!(sim.post(&path, &non_final(300), None).await.status, 202);
    let over = sim.post(&path, &non_final(401), None).await;
    assert_eq!(over.status, 422);
    assert_eq!(
        over.codes(),
        ["capture_value_greater_than_remaining_authorized"]
    );
    // No amount: the rest.
    assert_eq!(sim.post(&path, &json!({}), None).await.status, 202);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Captured");
    assert_eq!(details.int("/balances/total_captured"), 1000);
    assert_eq!(details.int("/balances/total_voided"), 0);
    assert_eq!(sim.handle.counters().captures, 3);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn voids_are_only_allowed_before_any_capture() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let reply = sim
        .post(
            &format!("/payments/{id}/voids"),
            &json!({"reference": "VOID-1"}),
            None,
        )
        .await;
    assert_eq!(reply.status, 202);
    assert!(is_checkout_id(&reply.str("/action_id"), "act"));
    assert_eq!(reply.body["reference"], "VOID-1");
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Voided");
    assert_eq!(details.int("/balances/total_voided"), 1000);
    assert_eq!(details.int("/balances/available_to_capture"), 0);
    assert_eq!(details.int("/balances/available_to_void"), 0);
    let twice = sim
        .post(&format!("/payments/{id}/voids"), &json!({}), None)
        .await;
    assert_eq!(twice.status, 403);
    assert_eq!(twice.codes(), ["void_not_allowed"]);
    assert_eq!(
        sim.post(&format!("/payments/{id}/captures"), &json!({}), None)
            .await
            .status,
        403
    );

    let captured = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let partial = json!({"amount": 100, "capture_type": "NonFinal"});
    sim.post(&format!("/payments/{captured}/captures"), &partial, None)
        .await;
    assert_eq!(
        sim.post(&format!("/payments/{captured}/voids"), &json!({}), None)
            .await
            .status,
        403
    );
    assert_eq!(sim.handle.counters().voids, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn refunds_go_up_to_the_captured_amount() {
    let sim = Sim::start().await;
    let uncaptured = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let reply = sim
        .post(&format!("/payments/{uncaptured}/refunds"), &json!({}), None)
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.codes(), ["refund_not_allowed"]);

    let id = sim
        .pay(cards::VISA_APPROVED, 1000, true, false)
        .await
        .str("/id");
    let path = format!("/payments/{id}/refunds");
    let first = sim
        .post(
            &path,
            &json!({"amount": 400, "reference": "RF-1", "metadata": {"why": "size"}}),
            None,
        )
        .await;
    assert_eq!(first.status, 202);
    assert_eq!(first.body["reference"], "RF-1");
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Partially Refunded");
    assert_eq!(details.int("/balances/total_refunded"), 400);
    assert_eq!(details.int("/balances/available_to_refund"), 600);
    let too_much = sim.post(&path, &json!({"amount": 601}), None).await;
    assert_eq!(too_much.status, 422);
    assert_eq!(too_much.codes(), ["refund_amount_exceeds_balance"]);
    assert_eq!(sim.post(&path, &json!({}), None).await.status, 202);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Refunded");
    assert_eq!(details.int("/balances/available_to_refund"), 0);
    assert_eq!(
        sim.post(&path, &json!({"amount": 1}), None).await.status,
        422
    );
    assert_eq!(sim.post(&path, &json!({}), None).await.status, 422);

    // The refund's action is approved at once, with its reference and metadata.
    let actions = sim.get(&format!("/payments/{id}/actions")).await;
    let refund = actions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == first.body["action_id"])
        .unwrap();
    assert_eq!(refund["type"], "Refund");
    assert_eq!(refund["approved"], true);
    assert_eq!(refund["amount"], 400);
    assert_eq!(refund["metadata"], json!({"why": "size"}));
    assert_eq!(sim.handle.counters().refunds, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_refund_can_be_declined_by_a_test_hook() {
    let sim = Sim::start().await;
    let id = sim
        .pay(cards::VISA_APPROVED, 1000, true, false)
        .await
        .str("/id");
    sim.client
        .post(sim.url(&format!("/sim/payments/{id}/decline-next-refund")))
        .send()
        .await
        .unwrap();
    let reply = sim
        .post(&format!("/payments/{id}/refunds"), &json!({}), None)
        .await;
    assert_eq!(reply.status, 202);
    let actions = sim.get(&format!("/payments/{id}/actions")).await;
    assert_eq!(actions.body[0]["id"], reply.body["action_id"]);
    assert_eq!(actions.body[0]["approved"], false);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Captured");
    assert_eq!(details.int("/balances/total_refunded"), 0);
    assert_eq!(
        webhook_types(&sim.handle).last().unwrap(),
        "payment_refund_declined"
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn actions_are_listed_newest_first_and_summarized_on_the_payment() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    sim.post(
        &format!("/payments/{id}/authorizations"),
        &json!({"amount": 200}),
        None,
    )
    .await;
    sim.post(
        &format!("/payments/{id}/captures"),
        &json!({"amount": 700, "capture_type": "NonFinal"}),
        None,
    )
    .await;
    sim.post(
        &format!("/payments/{id}/refunds"),
        &json!({"amount": 100}),
        None,
    )
    .await;
    let actions = sim.get(&format!("/payments/{id}/actions")).await;
    assert_eq!(actions.status, 200);
    let list = actions.body.as_array().unwrap();
    let summary: Vec<(&str, i64)> = list
        .iter()
        .map(|a| (a["type"].as_str().unwrap(), a["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Refund", 100),
            ("Capture", 700),
            ("Authorization", 200),
            ("Authorization", 1000)
        ]
    );
    for action in list {
        assert!(is_checkout_id(action["id"].as_str().unwrap(), "act"));
        assert_eq!(action["approved"], true);
        assert_eq!(action["response_code"], "10000");
        assert!(action["processed_on"].is_string());
    }
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Partially Refunded");
    let ids: Vec<&Value> = details.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(details.body["metadata"], json!({"order": "1"}));
    assert_eq!(
        sim.get("/payments/pay_unknownunknownunknownunkn/actions")
            .await
            .status,
        404
    );
    let missing = sim.get("/payments/pay_unknownunknownunknownunkn").await;
    assert_eq!(missing.status, 404);
    assert!(missing.raw.is_empty());
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn an_expired_authorization_cannot_be_captured() {
    let sim = Sim::start().await;
    let id = sim.authorized(cards::VISA_APPROVED, 1000, false).await;
    let hook = sim
        .client
        .post(sim.url(&format!("/sim/payments/{id}/expire")))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 200);
    let details = sim.get(&format!("/payments/{id}")).await;
    assert_eq!(details.body["status"], "Expired");
    assert_eq!(
        sim.post(&format!("/payments/{id}/captures"), &json!({}), None)
            .await
            .status,
        403
    );
    assert_eq!(
        webhook_types(&sim.handle),
        ["payment_approved", "payment_expired"]
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn many_concurrent_requests_are_safe() {
    let sim = std::sync::Arc::new(Sim::start().await);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let sim = sim.clone();
            tokio::spawn(async move {
                let id = sim.authorized(cards::VISA_APPROVED, 1000 + i, false).await;
                let capture = sim
                    .post(
                        &format!("/payments/{id}/captures"),
                        &json!({"amount": 500}),
                        None,
                    )
                    .await;
                assert_eq!(capture.status, 202);
                id
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 40);
    let counters = sim.handle.counters();
    assert_eq!(
        (
            counters.authorizations,
            counters.captures,
            counters.requests
        ),
        (40, 40, 80)
    );
    assert_eq!(sim.handle.webhooks().len(), 80);
    sim.handle.clone().shutdown().await;
}

/// `POST /payments` with `reference`; returns the payment id.
async fn pay_with_reference(sim: &Sim, reference: &str, amount: i64) -> String {
    let mut body = payment(&sim.config, cards::VISA_APPROVED, amount, false, false);
    body["reference"] = json!(reference);
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.str("/id")
}

fn data_ids(reply: &common::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn payments_are_listed_by_exact_reference_newest_first_with_paging() {
    let sim = Sim::start().await;
    let first = pay_with_reference(&sim, "ORD-7", 100).await;
    let second = pay_with_reference(&sim, "ORD-7", 200).await;
    let third = pay_with_reference(&sim, "ORD-7", 300).await;
    pay_with_reference(&sim, "ORD-70", 400).await;
    pay_with_reference(&sim, "ord-7", 500).await;

    let all = sim.get("/payments?reference=ORD-7").await;
    assert_eq!(all.status, 200, "{all:?}");
    assert_eq!(
        data_ids(&all),
        [third.clone(), second.clone(), first.clone()]
    );
    assert_eq!(
        (all.int("/limit"), all.int("/skip"), all.int("/total_count")),
        (10, 0, 3)
    );
    assert_eq!(all.str("/data/0/reference"), "ORD-7");
    assert_eq!(all.int("/data/0/amount"), 300);
    assert_eq!(all.str("/data/0/status"), "Authorized");
    assert!(all.body["data"][0].get("actions").is_none());

    let page = sim.get("/payments?reference=ORD-7&limit=2&skip=1").await;
    assert_eq!(data_ids(&page), [second, first]);
    assert_eq!(
        (
            page.int("/limit"),
            page.int("/skip"),
            page.int("/total_count")
        ),
        (2, 1, 3)
    );
    let beyond = sim.get("/payments?reference=ORD-7&skip=5").await;
    assert!(data_ids(&beyond).is_empty());
    assert_eq!(beyond.int("/total_count"), 3);
    // Encoded references match their decoded form; unknown ones find nothing.
    let odd = pay_with_reference(&sim, "A&B C", 100).await;
    assert_eq!(
        data_ids(&sim.get("/payments?reference=A%26B+C").await),
        [odd]
    );
    let none = sim.get("/payments?reference=ORD-8").await;
    assert_eq!((data_ids(&none).len(), none.int("/total_count")), (0, 0));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn the_payment_list_needs_a_reference_valid_paging_and_the_key() {
    let sim = Sim::start().await;
    for (query, code) in [
        ("", "reference_required"),
        ("?reference=", "reference_required"),
        ("?reference=R&limit=0", "paging_limit_invalid"),
        ("?reference=R&limit=101", "paging_limit_invalid"),
        ("?reference=R&limit=x", "paging_limit_invalid"),
        ("?reference=R&skip=-1", "paging_skip_invalid"),
    ] {
        let reply = sim.get(&format!("/payments{query}")).await;
        assert_eq!(reply.status, 422, "{query}: {reply:?}");
        assert_eq!(reply.str("/error_type"), "request_invalid");
        assert_eq!(reply.codes(), [code], "{query}");
    }
    let anonymous = sim
        .client
        .get(sim.url("/payments?reference=R"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    sim.handle.inject(paybridge_sandbox::Fault::Status {
        status: 502,
        retry_after_secs: None,
    });
    assert_eq!(sim.get("/payments?reference=R").await.status, 502);
    assert_eq!(sim.get("/payments?reference=R").await.status, 200);
    sim.handle.shutdown().await;
}
