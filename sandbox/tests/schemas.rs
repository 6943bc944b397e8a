//! Every kind of answer the simulator gives, validated against Checkout.com's published OpenAPI
//! document (`specs/checkout-nas-payments-openapi.json`).

#![allow(clippy::unwrap_used)]

mod common;

use common::{payment, Reply, Sim};
use paybridge_connector_tests::openapi::{OpenApi, CHECKOUT_UNCONFIRMED};
use paybridge_sandbox::checkout::cards;
use serde_json::{json, Value};

/// The published document, with its known flaws corrected (see
/// `paybridge_connector_tests::openapi::OpenApi::checkout_payments`).
struct Spec(OpenApi);

impl Spec {
    fn load() -> Spec {
        Spec(OpenApi::checkout_payments().unwrap())
    }

    /// Checks a reply against the documented response of `method template` for its status.
    fn reply(&self, method: &str, template: &str, reply: &Reply) {
        if let Err(violation) = self
            .0
            .check_response(method, template, reply.status, &reply.body)
        {
            panic!("{violation:#?}\n{:#}", reply.body);
        }
    }

    /// Whether `instance` violates the component schema (for the test's own sanity check).
    fn violates(&self, schema: &str, instance: &Value) -> bool {
        self.0.check_component(schema, instance).is_err()
    }
}

#[tokio::test]
async fn every_answer_matches_the_published_schemas() {
    let spec = Spec::load();
    let sim = Sim::start().await;
    let config = &sim.config;

    // 201 approved (Estimated, uncaptured), with details and actions.
    let auth = sim
        .post(
            "/payments",
            &payment(config, cards::MASTERCARD_APPROVED, 1000, false, true),
            None,
        )
        .await;
    spec.reply("post", "/payments", &auth);
    let id = auth.str("/id");
    let increment = sim
        .post(
            &format!("/payments/{id}/authorizations"),
            &json!({"amount": 300}),
            None,
        )
        .await;
    spec.reply("post", "/payments/{id}/authorizations", &increment);
    let extension = sim
        .post(&format!("/payments/{id}/authorizations"), &json!({}), None)
        .await;
    spec.reply("post", "/payments/{id}/authorizations", &extension);
    let capture = sim
        .post(
            &format!("/payments/{id}/captures"),
            &json!({"amount": 500, "capture_type": "NonFinal", "reference": "C1"}),
            None,
        )
        .await;
    spec.reply("post", "/payments/{id}/captures", &capture);
    let refund = sim
        .post(
            &format!("/payments/{id}/refunds"),
            &json!({"amount": 100, "reference": "R1"}),
            None,
        )
        .await;
    spec.reply("post", "/payments/{id}/refunds", &refund);
    spec.reply(
        "get",
        "/payments/{id}",
        &sim.get(&format!("/payments/{id}")).await,
    );
    spec.reply(
        "get",
        "/payments/{id}/actions",
        &sim.get(&format!("/payments/{id}/actions")).await,
    );

    // `GET /payments?reference=` is not in the document (unconfirmed): its answers are checked
    // against the repository's schema for it, each payment against `PaymentDetails`.
    let list = &CHECKOUT_UNCONFIRMED[0];
    for query in [
        "reference=ORD-1",
        "reference=ORD-1&limit=1&skip=1",
        "reference=none",
    ] {
        let reply = sim.get(&format!("/payments?{query}")).await;
        assert!(spec
            .0
            .check_response("get", "/payments", 200, &reply.body)
            .is_err());
        if let Err(violation) = spec.0.check_unconfirmed(list, reply.status, &reply.body) {
            panic!("{violation:#?}\n{:#}", reply.body);
        }
    }

    // The validation is live: a wrong status or a malformed id is caught.
    let mut wrong = auth.body.clone();
    wrong["status"] = json!("Approved");
    assert!(spec.violates("PaymentResponse", &wrong));
    let mut wrong = auth.body.clone();
    wrong["id"] = json!("pay_short");
    assert!(spec.violates("PaymentResponse", &wrong));

    // 201 auto-captured, declined, card verification.
    for (card, amount, capture) in [
        (cards::VISA_APPROVED, 700, true),
        (cards::INSUFFICIENT_FUNDS, 700, false),
        (cards::AMEX_APPROVED, 0, false),
    ] {
        let reply = sim
            .post(
                "/payments",
                &payment(config, card, amount, capture, false),
                None,
            )
            .await;
        assert_eq!(reply.status, 201);
        spec.reply("post", "/payments", &reply);
        spec.reply(
            "get",
            "/payments/{id}",
            &sim.get(&format!("/payments/{}", reply.str("/id"))).await,
        );
        spec.reply(
            "get",
            "/payments/{id}/actions",
            &sim.get(&format!("/payments/{}/actions", reply.str("/id")))
                .await,
        );
    }

    // 202 void.
    let voided = sim.authorized(cards::VISA_APPROVED, 400, false).await;
    let void = sim
        .post(
            &format!("/payments/{voided}/voids"),
            &json!({"reference": "V1"}),
            None,
        )
        .await;
    spec.reply("post", "/payments/{id}/voids", &void);
    spec.reply(
        "get",
        "/payments/{id}",
        &sim.get(&format!("/payments/{voided}")).await,
    );

    // 202 pending 3DS, then completed.
    let mut body = payment(config, cards::VISA_APPROVED, 1000, false, false);
    body["3ds"] = json!({"enabled": true});
    body["payment_type"] = json!("Recurring");
    let pending = sim.post("/payments", &body, None).await;
    assert_eq!(pending.status, 202);
    spec.reply("post", "/payments", &pending);
    spec.reply(
        "get",
        "/payments/{id}",
        &sim.get(&format!("/payments/{}", pending.str("/id"))).await,
    );
    sim.client
        .get(pending.str("/_links/redirect/href"))
        .send()
        .await
        .unwrap();
    spec.reply(
        "get",
        "/payments/{id}",
        &sim.get(&format!("/payments/{}", pending.str("/id"))).await,
    );

    // A declined increment.
    let estimated = sim.authorized(cards::VISA_APPROVED, 1000, true).await;
    sim.client
        .post(sim.url(&format!("/sim/payments/{estimated}/decline-next-increment")))
        .send()
        .await
        .unwrap();
    let declined = sim
        .post(
            &format!("/payments/{estimated}/authorizations"),
            &json!({"amount": 5}),
            None,
        )
        .await;
    assert_eq!(declined.body["approved"], false);
    spec.reply("post", "/payments/{id}/authorizations", &declined);

    // Errors: 422 ValidationError, 401/403/404 documented without a body schema.
    let invalid = sim
        .post("/payments", &json!({"currency": "USD"}), None)
        .await;
    assert_eq!(invalid.status, 422);
    spec.reply("post", "/payments", &invalid);
    let malformed = sim.post_raw("/payments", b"{".to_vec()).await;
    spec.reply("post", "/payments", &malformed);
    let too_much = sim
        .post(&format!("/payments/{voided}/refunds"), &json!({}), None)
        .await;
    assert_eq!(too_much.status, 403);
    spec.reply("post", "/payments/{id}/refunds", &too_much);
    let over = sim
        .post(
            &format!("/payments/{estimated}/captures"),
            &json!({"amount": 5000}),
            None,
        )
        .await;
    assert_eq!(over.status, 422);
    spec.reply("post", "/payments/{id}/captures", &over);
    spec.reply(
        "get",
        "/payments/{id}",
        &sim.get("/payments/pay_unknownunknownunknownunkn").await,
    );
    sim.handle.shutdown().await;
}
