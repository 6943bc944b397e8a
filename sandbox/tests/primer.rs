//! The Primer simulator's behaviour: auth and version headers, validation, each test token's
//! outcome, 3DS and resume, adjust / capture / cancel / refund rules, idempotency, faults,
//! counters and signed webhooks.

#![allow(clippy::unwrap_used)]

mod primer_common;

use paybridge_core::webhook::{SignatureEncoding, WebhookSecrets};
use paybridge_sandbox::primer::{tokens, PrimerSimConfig};
use paybridge_sandbox::Fault;
use primer_common::Sim;
use reqwest::Method;
use serde_json::{json, Value};

fn webhook_bodies(sim: &Sim) -> Vec<Value> {
    sim.handle
        .webhooks()
        .iter()
        .map(|w| serde_json::from_slice(&w.body).unwrap())
        .collect()
}

#[tokio::test]
async fn api_key_and_version_are_required() {
    let sim = Sim::start().await;
    let body = json!({"paymentMethodToken": tokens::VISA_AUTHORIZED, "amount": 100, "currencyCode": "EUR", "orderId": "o"});
    let no_key = sim
        .send(
            Method::POST,
            "/payments",
            &[("X-Api-Version", "2.2")],
            Some(&body),
        )
        .await;
    assert_eq!(no_key.status, 401);
    assert_eq!(no_key.error_id(), "Unauthorized");
    assert!(!no_key.str("/error/diagnosticsId").is_empty());
    let wrong = sim
        .send(
            Method::GET,
            "/payments/abc",
            &[("X-Api-Key", "nope"), ("X-Api-Version", "2.2")],
            None,
        )
        .await;
    assert_eq!(wrong.status, 401);

    let key = sim.config.api_key.clone();
    let no_version = sim
        .send(
            Method::POST,
            "/payments",
            &[("X-Api-Key", &key)],
            Some(&body),
        )
        .await;
    assert_eq!(no_version.status, 400);
    assert_eq!(no_version.error_id(), "MissingApiVersion");
    let old = sim
        .send(
            Method::POST,
            "/payments",
            &[("X-Api-Key", &key), ("X-Api-Version", "2.1")],
            Some(&body),
        )
        .await;
    assert_eq!(old.error_id(), "UnsupportedApiVersion");
    for version in ["2.2", "2.3", "2.4"] {
        let ok = sim
            .send(
                Method::POST,
                "/payments",
                &[("X-Api-Key", &key), ("X-Api-Version", version)],
                Some(&body),
            )
            .await;
        assert_eq!(ok.status, 200, "{version}: {ok:?}");
    }
    assert_eq!(sim.handle.counters().authorizations, 3);
}

#[tokio::test]
async fn invalid_bodies_are_422_with_paths() {
    let sim = Sim::start().await;
    let reply = sim
        .post("/payments", &json!({"paymentMethodToken": tokens::VISA_AUTHORIZED, "amount": "ten", "currencyCode": "eur", "surprise": 1}))
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_id(), "RequestValidationError");
    assert_eq!(
        reply.str("/error/validationErrors/0/model"),
        "PaymentCreationAPIRequest"
    );
    let paths: Vec<String> = reply.body["error"]["validationErrors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    for path in ["$.amount", "$.currencyCode", "$.orderId", "$.surprise"] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} missing in {paths:?}"
        );
    }
    let not_json = sim
        .send(
            Method::POST,
            "/payments",
            &[
                ("X-Api-Key", "primer_sim_api_key"),
                ("X-Api-Version", "2.2"),
            ],
            None,
        )
        .await;
    assert_eq!(not_json.status, 422);
    let bad_method = sim
        .post("/payments", &json!({"paymentMethodToken": tokens::VISA_AUTHORIZED, "amount": 5, "currencyCode": "EUR", "orderId": "o", "paymentMethod": {"authorizationType": "MAYBE"}}))
        .await;
    assert_eq!(bad_method.status, 422);
    assert_eq!(
        bad_method.str("/error/validationErrors/0/errors/0/path"),
        "$.paymentMethod.authorizationType"
    );
    let unknown = sim.pay("pmt_nope", 100, "FINAL").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_id(), "InvalidPaymentMethodToken");
    assert_eq!(sim.handle.counters().authorizations, 0);
    // Garbage never panics.
    for body in [
        json!([1, 2]),
        json!("x"),
        json!({"amount": -1}),
        json!({"amount": 1e40}),
    ] {
        let reply = sim.post("/payments/abc/capture", &body).await;
        assert_eq!(reply.status, 422, "{reply:?}");
    }
}

#[tokio::test]
async fn each_token_has_its_outcome() {
    let sim = Sim::start().await;
    for token in [tokens::VISA_AUTHORIZED, tokens::MASTERCARD_AUTHORIZED] {
        let reply = sim.pay(token, 1000, "FINAL").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.str("/status"), "AUTHORIZED");
        assert_eq!(reply.str("/id").len(), 8);
        assert_eq!(
            reply.str("/paymentMethod/paymentMethodType"),
            "PAYMENT_CARD"
        );
        assert_eq!(reply.str("/paymentMethod/paymentMethodToken"), token);
        assert_eq!(reply.str("/processor/name"), "PRIMER_TEST");
        assert_eq!(reply.str("/transactions/0/transactionType"), "SALE");
        assert_eq!(reply.str("/transactions/0/processorStatus"), "AUTHORIZED");
        assert_eq!(reply.str("/metadata/reference"), "ORD-1");
        assert!(reply.body.get("statusReason").is_none());
    }
    let mc = sim.pay(tokens::MASTERCARD_AUTHORIZED, 1, "FINAL").await;
    assert_eq!(
        mc.str("/paymentMethod/paymentMethodData/last4Digits"),
        "4444"
    );
    assert_eq!(
        mc.str("/paymentMethod/paymentMethodData/first6Digits"),
        "555555"
    );
    for token in [tokens::VISA_DECLINED, tokens::MASTERCARD_DECLINED] {
        let reply = sim.pay(token, 1000, "FINAL").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.str("/status"), "DECLINED");
        assert_eq!(reply.str("/statusReason/declineType"), "SOFT_DECLINE");
        assert_eq!(reply.str("/transactions/0/processorStatus"), "DECLINED");
    }
    let failed = sim.pay(tokens::VISA_FAILED, 1000, "FINAL").await;
    assert_eq!(failed.str("/status"), "FAILED");
    assert!(!failed.str("/statusReason/type").is_empty());
    let pending = sim.pay(tokens::VISA_3DS_CHALLENGE, 1000, "FINAL").await;
    assert_eq!(pending.str("/status"), "PENDING");
    assert_eq!(pending.str("/requiredAction/name"), "3DS_AUTHENTICATION");
    assert!(!pending.str("/requiredAction/clientToken").is_empty());
    assert_eq!(sim.handle.counters().authorizations, 7);

    // Minted tokens behave like their cards; other numbers are refused.
    let minted = sim.mint("4000 0000 0000 0002").await;
    assert_eq!(minted.status, 200, "{minted:?}");
    let declined = sim.pay(&minted.str("/token"), 10, "FINAL").await;
    assert_eq!(declined.str("/status"), "DECLINED");
    let frictionless = sim.mint("4929251897047956").await;
    let reply = sim.pay(&frictionless.str("/token"), 10, "FINAL").await;
    assert_eq!(reply.str("/status"), "AUTHORIZED");
    assert_eq!(
        reply.str("/paymentMethod/threeDSecureAuthentication/responseCode"),
        "AUTH_SUCCESS"
    );
    assert_eq!(sim.mint("4242424242424241").await.status, 422);
    let expired = sim
        .send(Method::POST, "/sim/primer/payment-method-tokens", &[], Some(&json!({"number": "4242424242424242", "expirationMonth": "01", "expirationYear": "2020", "cvv": "123"})))
        .await;
    assert_eq!(expired.status, 422);
}

#[tokio::test]
async fn auto_capture_settles_at_once() {
    let sim = Sim::start_with(PrimerSimConfig {
        auto_capture: true,
        ..PrimerSimConfig::default()
    })
    .await;
    let reply = sim.pay(tokens::VISA_AUTHORIZED, 700, "FINAL").await;
    assert_eq!(reply.str("/status"), "SETTLED");
    assert_eq!(reply.int("/processor/amountCaptured"), 700);
    let statuses: Vec<String> = webhook_bodies(&sim)
        .iter()
        .map(|w| w["payment"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["AUTHORIZED", "SETTLED"]);
    assert_eq!(sim.handle.counters().captures, 1);
    assert_eq!(
        sim.pay(tokens::VISA_DECLINED, 700, "FINAL")
            .await
            .str("/status"),
        "DECLINED"
    );
}

#[tokio::test]
async fn three_ds_pending_then_resume() {
    let sim = Sim::start().await;
    let pending = sim.pay(tokens::VISA_3DS_CHALLENGE, 1500, "FINAL").await;
    let id = pending.str("/id");
    // Resuming before the challenge is done, or with a wrong token, is refused.
    let early = sim
        .post(
            &format!("/payments/{id}/resume"),
            &json!({"resumeToken": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    early.assert_payment_error(400, "resume token is not valid");
    let hook = sim.complete_3ds(&id, "success").await;
    assert_eq!(hook.status, 200);
    let token = hook.str("/resumeToken");
    assert!(uuid::Uuid::parse_str(&token).is_ok());
    let resumed = sim
        .post(
            &format!("/payments/{id}/resume"),
            &json!({"resumeToken": token}),
        )
        .await;
    assert_eq!(resumed.status, 200, "{resumed:?}");
    assert_eq!(resumed.str("/status"), "AUTHORIZED");
    assert!(resumed.body.get("requiredAction").is_none());
    assert_eq!(
        resumed.str("/paymentMethod/threeDSecureAuthentication/responseCode"),
        "AUTH_SUCCESS"
    );
    let again = sim
        .post(
            &format!("/payments/{id}/resume"),
            &json!({"resumeToken": token}),
        )
        .await;
    again.assert_payment_error(400, "not waiting to be resumed");
    assert_eq!(sim.complete_3ds(&id, "success").await.status, 409);
    assert_eq!(sim.complete_3ds("nope", "success").await.status, 404);

    let failing = sim
        .pay(tokens::VISA_3DS_CHALLENGE, 1500, "FINAL")
        .await
        .str("/id");
    assert_eq!(sim.complete_3ds(&failing, "maybe").await.status, 400);
    let token = sim.complete_3ds(&failing, "fail").await.str("/resumeToken");
    let declined = sim
        .post(
            &format!("/payments/{failing}/resume"),
            &json!({"resumeToken": token}),
        )
        .await;
    assert_eq!(declined.str("/status"), "DECLINED");
    assert_eq!(declined.str("/statusReason/declineType"), "HARD_DECLINE");

    // Auto-capture applies after a successful resume.
    let sim = Sim::start_with(PrimerSimConfig {
        auto_capture: true,
        ..PrimerSimConfig::default()
    })
    .await;
    let id = sim
        .pay(tokens::VISA_3DS_CHALLENGE, 300, "FINAL")
        .await
        .str("/id");
    let token = sim.complete_3ds(&id, "success").await.str("/resumeToken");
    let settled = sim
        .post(
            &format!("/payments/{id}/resume"),
            &json!({"resumeToken": token}),
        )
        .await;
    assert_eq!(settled.str("/status"), "SETTLED");
}

#[tokio::test]
async fn adjust_authorization_rules() {
    let sim = Sim::start().await;
    let id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "ESTIMATED")
        .await
        .str("/id");
    let adjusted = sim
        .post(
            &format!("/payments/{id}/adjust-authorization"),
            &json!({"amount": 1500}),
        )
        .await;
    assert_eq!(adjusted.status, 200, "{adjusted:?}");
    assert_eq!(adjusted.int("/amount"), 1500);
    assert_eq!(adjusted.str("/status"), "AUTHORIZED");
    assert_eq!(
        adjusted.str("/paymentMethod/authorizationType"),
        "ESTIMATED"
    );
    assert_eq!(adjusted.int("/transactions/0/amount"), 1500);
    let lower = sim
        .post(
            &format!("/payments/{id}/adjust-authorization"),
            &json!({"amount": 1500}),
        )
        .await;
    lower.assert_payment_error(400, "must be greater than the authorized amount");
    let missing = sim
        .post(&format!("/payments/{id}/adjust-authorization"), &json!({}))
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.str("/error/validationErrors/0/errors/0/path"),
        "$.amount"
    );

    let final_id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "FINAL")
        .await
        .str("/id");
    let refused = sim
        .post(
            &format!("/payments/{final_id}/adjust-authorization"),
            &json!({"amount": 2000}),
        )
        .await;
    refused.assert_payment_error(400, "not created with authorizationType ESTIMATED");
    sim.post(&format!("/payments/{id}/capture"), &json!({}))
        .await;
    let settled = sim
        .post(
            &format!("/payments/{id}/adjust-authorization"),
            &json!({"amount": 3000}),
        )
        .await;
    settled.assert_payment_error(400, "only AUTHORIZED payments can be adjusted");
    // The one route whose document lists a 404 for an unknown payment.
    sim.post(
        "/payments/nope/adjust-authorization",
        &json!({"amount": 3000}),
    )
    .await
    .assert_payment_error(404, "The payment could not be found");
    assert_eq!(sim.handle.counters().increments, 1);
}

#[tokio::test]
async fn capture_rules() {
    let sim = Sim::start().await;
    let id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "FINAL")
        .await
        .str("/id");
    let too_much = sim
        .post(&format!("/payments/{id}/capture"), &json!({"amount": 1001}))
        .await;
    assert_eq!(too_much.status, 400);
    let first = sim
        .post(
            &format!("/payments/{id}/capture"),
            &json!({"amount": 300, "final": false}),
        )
        .await;
    assert_eq!(first.str("/status"), "PARTIALLY_SETTLED");
    assert_eq!(first.int("/processor/amountCaptured"), 300);
    let second = sim
        .post(
            &format!("/payments/{id}/capture"),
            &json!({"amount": 200, "final": false}),
        )
        .await;
    assert_eq!(second.str("/status"), "PARTIALLY_SETTLED");
    let over = sim
        .post(&format!("/payments/{id}/capture"), &json!({"amount": 600}))
        .await;
    over.assert_payment_error(400, "only 500 is left to capture");
    let last = sim
        .post(&format!("/payments/{id}/capture"), &json!({"amount": 100}))
        .await;
    assert_eq!(last.str("/status"), "SETTLED");
    assert_eq!(last.int("/processor/amountCaptured"), 600);
    assert_eq!(last.str("/transactions/0/processorStatus"), "SETTLED");
    let after = sim
        .post(&format!("/payments/{id}/capture"), &json!({}))
        .await;
    after.assert_payment_error(400, "can be captured");

    let full = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "FINAL")
        .await
        .str("/id");
    let reply = sim
        .send(
            Method::POST,
            &format!("/payments/{full}/capture"),
            &[
                ("X-Api-Key", "primer_sim_api_key"),
                ("X-Api-Version", "2.2"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.str("/status"), "SETTLED");
    assert_eq!(reply.int("/processor/amountCaptured"), 1000);
    let declined = sim
        .pay(tokens::VISA_DECLINED, 1000, "FINAL")
        .await
        .str("/id");
    assert_eq!(
        sim.post(&format!("/payments/{declined}/capture"), &json!({}))
            .await
            .status,
        400
    );
    assert_eq!(sim.handle.counters().captures, 4);
}

#[tokio::test]
async fn cancel_and_refund_rules() {
    let sim = Sim::start().await;
    let id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "FINAL")
        .await
        .str("/id");
    let cancelled = sim
        .post(
            &format!("/payments/{id}/cancel"),
            &json!({"reason": "customer"}),
        )
        .await;
    assert_eq!(cancelled.str("/status"), "CANCELLED");
    sim.post(&format!("/payments/{id}/cancel"), &json!({}))
        .await
        .assert_payment_error(400, "can be cancelled");
    sim.post(&format!("/payments/{id}/refund"), &json!({}))
        .await
        .assert_payment_error(400, "nothing left to refund");
    let pending = sim
        .pay(tokens::VISA_3DS_CHALLENGE, 1000, "FINAL")
        .await
        .str("/id");
    assert_eq!(
        sim.post(&format!("/payments/{pending}/cancel"), &json!({}))
            .await
            .str("/status"),
        "CANCELLED"
    );

    let paid = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "FINAL")
        .await
        .str("/id");
    sim.post(&format!("/payments/{paid}/capture"), &json!({}))
        .await;
    assert_eq!(
        sim.post(&format!("/payments/{paid}/cancel"), &json!({}))
            .await
            .status,
        400
    );
    let partial = sim
        .post(
            &format!("/payments/{paid}/refund"),
            &json!({"amount": 400, "reason": "x", "orderId": "r-1"}),
        )
        .await;
    assert_eq!(partial.status, 200);
    assert_eq!(partial.str("/status"), "SETTLED");
    assert_eq!(partial.int("/processor/amountRefunded"), 400);
    assert_eq!(partial.str("/transactions/1/transactionType"), "REFUND");
    assert_eq!(partial.str("/transactions/1/processorStatus"), "SETTLED");
    assert_eq!(partial.int("/transactions/1/amount"), 400);
    assert_ne!(
        partial.str("/transactions/1/processorTransactionId"),
        partial.str("/transactions/0/processorTransactionId")
    );
    let over = sim
        .post(&format!("/payments/{paid}/refund"), &json!({"amount": 601}))
        .await;
    over.assert_payment_error(400, "only 600 is left to refund");
    let rest = sim
        .post(&format!("/payments/{paid}/refund"), &json!({}))
        .await;
    assert_eq!(rest.int("/processor/amountRefunded"), 1000);
    assert_eq!(rest.body["transactions"].as_array().unwrap().len(), 3);
    assert_eq!(
        sim.post(&format!("/payments/{paid}/refund"), &json!({}))
            .await
            .status,
        400
    );
    let fetched = sim.get(&format!("/payments/{paid}")).await;
    assert_eq!(fetched.int("/processor/amountRefunded"), 1000);
    sim.get("/payments/nope1234")
        .await
        .assert_payment_error(400, "The payment could not be found");
    let counters = sim.handle.counters();
    assert_eq!(
        (counters.voids, counters.refunds, counters.captures),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn idempotency_keys_are_never_reused() {
    let sim = Sim::start().await;
    let body = json!({"paymentMethodToken": tokens::VISA_AUTHORIZED, "amount": 100, "currencyCode": "EUR", "orderId": "o"});
    let first = sim.post_keyed("/payments", &body, Some("key-1")).await;
    assert_eq!(first.status, 200);
    let again = sim.post_keyed("/payments", &body, Some("key-1")).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error_id(), "IdempotencyKeyAlreadyExists");
    assert_eq!(again.str("/error/paymentId"), first.str("/id"));
    assert_eq!(again.str("/error/paymentStatus"), "AUTHORIZED");
    // Keys are account-wide: another route with the same key is refused too.
    let id = first.str("/id");
    assert_eq!(
        sim.post_keyed(
            &format!("/payments/{id}/capture"),
            &json!({}),
            Some("key-1")
        )
        .await
        .status,
        409
    );

    let declined_body = json!({"paymentMethodToken": tokens::VISA_DECLINED, "amount": 100, "currencyCode": "EUR", "orderId": "o"});
    let declined = sim
        .post_keyed("/payments", &declined_body, Some("key-2"))
        .await;
    assert_eq!(declined.str("/status"), "DECLINED");
    let retry = sim
        .post_keyed("/payments", &declined_body, Some("key-2"))
        .await;
    assert_eq!(retry.status, 409);
    assert_eq!(retry.str("/error/paymentStatus"), "DECLINED");

    // A refused request does not consume its key.
    let refused = sim
        .post_keyed(&format!("/payments/{id}/refund"), &json!({}), Some("key-3"))
        .await;
    assert_eq!(refused.status, 400);
    let captured = sim
        .post_keyed(
            &format!("/payments/{id}/capture"),
            &json!({}),
            Some("key-3"),
        )
        .await;
    assert_eq!(captured.str("/status"), "SETTLED");
    let reused = sim
        .post_keyed(
            &format!("/payments/{id}/capture"),
            &json!({}),
            Some("key-3"),
        )
        .await;
    assert_eq!(reused.str("/error/paymentStatus"), "SETTLED");
    let counters = sim.handle.counters();
    assert_eq!((counters.authorizations, counters.captures), (2, 1));
}

#[tokio::test]
async fn faults_use_primer_errors() {
    let sim = Sim::start().await;
    sim.handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: Some(2),
    });
    let reply = sim.pay(tokens::VISA_AUTHORIZED, 100, "FINAL").await;
    assert_eq!(reply.status, 503);
    assert!(!reply.error_id().is_empty());
    assert_eq!(reply.headers["retry-after"], "2");
    assert_eq!(sim.handle.counters().authorizations, 0);
    // Helpers are never faulted.
    sim.handle.inject(Fault::Status {
        status: 500,
        retry_after_secs: None,
    });
    assert_eq!(sim.mint("4242424242424242").await.status, 200);
}

#[tokio::test]
async fn webhooks_are_signed_and_follow_status_changes() {
    let sim = Sim::start().await;
    let id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "ESTIMATED")
        .await
        .str("/id");
    sim.post(
        &format!("/payments/{id}/adjust-authorization"),
        &json!({"amount": 1200}),
    )
    .await;
    sim.post(&format!("/payments/{id}/capture"), &json!({}))
        .await;
    sim.post(&format!("/payments/{id}/refund"), &json!({"amount": 200}))
        .await;
    let secrets = WebhookSecrets::new([sim.config.webhook_secret.clone()]);
    let delivered = sim.handle.webhooks();
    for webhook in &delivered {
        let header = |name: &str| {
            webhook
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("content-type"), "application/json");
        secrets
            .verify(
                &[&webhook.body],
                &header("x-signature-primary"),
                SignatureEncoding::Base64,
            )
            .unwrap();
        assert!(WebhookSecrets::new(["other"])
            .verify(
                &[&webhook.body],
                &header("x-signature-primary"),
                SignatureEncoding::Base64
            )
            .is_err());
    }
    let bodies = webhook_bodies(&sim);
    let kinds: Vec<(String, String)> = bodies
        .iter()
        .map(|b| {
            (
                b["eventType"].as_str().unwrap().to_owned(),
                b["payment"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("PAYMENT.STATUS", "AUTHORIZED"),
        ("PAYMENT.STATUS", "SETTLED"),
        ("PAYMENT.REFUND", "SETTLED"),
    ];
    assert_eq!(kinds, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    for body in &bodies {
        assert_eq!(body["version"], "2.2");
        assert!(body["signedAt"].as_str().unwrap().parse::<i64>().is_ok());
        assert!(body["notificationConfig"]["id"].is_string());
        assert_eq!(body["payment"]["id"], id.as_str());
    }
    assert_eq!(bodies[2]["payment"]["processor"]["amountRefunded"], 200);
}

#[tokio::test]
async fn webhooks_are_delivered_to_the_target() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let sim = Sim::start_with(PrimerSimConfig {
        webhook_url: Some(url.parse().unwrap()),
        ..PrimerSimConfig::default()
    })
    .await;
    sim.pay(tokens::VISA_AUTHORIZED, 100, "FINAL").await;
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("PAYMENT.STATUS") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0);
        received.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(text.contains("x-signature-primary"));
    socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_duplicates_process_once() {
    let sim = std::sync::Arc::new(Sim::start().await);
    let body = json!({"paymentMethodToken": tokens::VISA_AUTHORIZED, "amount": 100, "currencyCode": "EUR", "orderId": "o"});
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (sim, body) = (sim.clone(), body.clone());
            tokio::spawn(async move {
                sim.post_keyed("/payments", &body, Some("same"))
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7);
    assert_eq!(sim.handle.counters().authorizations, 1);
}

/// Unknown payments and malformed bodies get the statuses the v2.2 document lists for each
/// route (400 `PaymentError` "The payment could not be found"; 404 only on
/// adjust-authorization; 400 for a malformed body where no 422 is listed), and answers carry
/// no field the document's Payment lacks.
#[tokio::test]
async fn errors_use_the_documented_statuses_and_payments_only_documented_fields() {
    let sim = Sim::start().await;
    sim.get("/payments/nope1234")
        .await
        .assert_payment_error(400, "The payment could not be found");
    for (route, body) in [
        ("capture", json!({})),
        ("cancel", json!({})),
        ("refund", json!({})),
        ("resume", json!({"resumeToken": "t"})),
    ] {
        let reply = sim
            .post(&format!("/payments/nope1234/{route}"), &body)
            .await;
        reply.assert_payment_error(400, "The payment could not be found");
        assert_eq!(
            reply.body["error"]["description"], "The payment could not be found",
            "{route}"
        );
    }
    sim.post(
        "/payments/nope1234/adjust-authorization",
        &json!({"amount": 5}),
    )
    .await
    .assert_payment_error(404, "The payment could not be found");

    let id = sim
        .pay(tokens::VISA_AUTHORIZED, 1000, "ESTIMATED")
        .await
        .str("/id");
    for (route, status) in [
        ("cancel", 400),
        ("resume", 400),
        ("capture", 422),
        ("refund", 422),
    ] {
        let reply = sim
            .post(&format!("/payments/{id}/{route}"), &json!({"unknown": 1}))
            .await;
        assert_eq!(reply.status, status, "{route}: {reply:?}");
        assert_eq!(reply.error_id(), "RequestValidationError", "{route}");
    }

    // `dateUpdated` and `cardTokenType` belong to later API versions, not to v2.2's Payment.
    let answers = [
        sim.get(&format!("/payments/{id}")).await.body,
        sim.post(&format!("/payments/{id}/capture"), &json!({}))
            .await
            .body,
    ];
    let webhooks = sim.handle.webhooks();
    assert!(webhooks.len() >= 2);
    let delivered = webhooks
        .iter()
        .map(|w| serde_json::from_slice::<Value>(&w.body).unwrap()["payment"].clone());
    for payment in answers.into_iter().chain(delivered) {
        assert_eq!(payment["id"], id.as_str());
        for field in ["dateUpdated", "cardTokenType"] {
            assert!(payment.get(field).is_none(), "{field} in {payment:#}");
        }
    }
}
