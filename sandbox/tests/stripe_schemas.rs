//! Every kind of answer the Stripe simulator gives — PaymentIntent, Charge, Refund, Event,
//! Error — validated against Stripe's published OpenAPI document
//! (`specs/stripe-payments-openapi.json`, API version 2024-04-10).

#![allow(clippy::unwrap_used)]

mod stripe_common;

use paybridge_connector_tests::openapi::OpenApi;
use paybridge_sandbox::stripe::cards;
use paybridge_sandbox::Fault;
use serde_json::{json, Value};
use stripe_common::{events, Reply, Sim};

/// The published document, with its `nullable` flaw worked around by the shared loader
/// ([`OpenApi::stripe_payments`]). The simulator's answers are not adapted.
struct Spec(OpenApi);

impl Spec {
    fn load() -> Spec {
        Spec(OpenApi::stripe_payments().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Checks a 200 against the documented answer of `method path`.
    fn ok(&self, method: &str, path: &str, reply: &Reply) {
        assert_eq!(reply.status, 200, "{method} {path}: {reply:?}");
        if let Err(violation) = self.0.check_response(method, path, 200, &reply.body) {
            panic!("{violation:#?}\n{:#}", reply.body);
        }
    }

    /// Checks an error answer against the `error` schema (the document's `default` answer).
    fn error(&self, reply: &Reply) {
        assert!(reply.status >= 400, "{reply:?}");
        self.component("error", &reply.body);
    }

    fn component(&self, name: &str, value: &Value) {
        if let Err(violation) = self.0.check_component(name, value) {
            panic!("{violation:#?}\n{value:#}");
        }
    }

    fn violates(&self, name: &str, value: &Value) -> bool {
        self.0.check_component(name, value).is_err()
    }
}

#[tokio::test]
async fn every_answer_matches_the_published_schemas() {
    let spec = Spec::load();
    let sim = Sim::start().await;
    let incremental = [
        (
            "payment_method_options[card][request_incremental_authorization]",
            "if_available",
        ),
        (
            "payment_method_options[card][request_extended_authorization]",
            "if_available",
        ),
        (
            "payment_method_options[card][request_multicapture]",
            "if_available",
        ),
        (
            "payment_method_options[card][request_overcapture]",
            "if_available",
        ),
        ("metadata[order]", "1"),
        ("description", "ORD-1"),
    ];

    // Manual authorization, expanded and not; its charge; increments; captures.
    let auth = sim.pay("pm_card_visa", 1000, true, &incremental).await;
    spec.ok("post", "/v1/payment_intents", &auth);
    let id = auth.str("/id");
    let expanded = sim
        .get(&format!(
            "/v1/payment_intents/{id}?expand[]=latest_charge&expand[]=payment_method"
        ))
        .await;
    assert!(expanded.body["latest_charge"].is_object());
    spec.ok("get", &format!("/v1/payment_intents/{id}"), &expanded);
    spec.ok(
        "get",
        &format!("/v1/charges/{}", auth.str("/latest_charge")),
        &sim.get(&format!("/v1/charges/{}", auth.str("/latest_charge")))
            .await,
    );
    let increment = sim
        .post(
            &format!("/v1/payment_intents/{id}/increment_authorization"),
            &[("amount", "1500")],
            None,
        )
        .await;
    spec.ok(
        "post",
        &format!("/v1/payment_intents/{id}/increment_authorization"),
        &increment,
    );
    let partial = sim
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[
                ("amount_to_capture", "500"),
                ("final_capture", "false"),
                ("expand[]", "latest_charge"),
            ],
            None,
        )
        .await;
    spec.ok(
        "post",
        &format!("/v1/payment_intents/{id}/capture"),
        &partial,
    );
    let capture = sim
        .post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    spec.ok(
        "post",
        &format!("/v1/payment_intents/{id}/capture"),
        &capture,
    );

    // Refunds: succeeded, expanded, succeeded then failed.
    let refund = sim
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &id),
                ("amount", "100"),
                ("reason", "duplicate"),
                ("metadata[a]", "b"),
            ],
            None,
        )
        .await;
    spec.ok("post", "/v1/refunds", &refund);
    let refund_id = refund.str("/id");
    spec.ok(
        "get",
        &format!("/v1/refunds/{refund_id}"),
        &sim.get(&format!(
            "/v1/refunds/{refund_id}?expand[]=charge&expand[]=payment_intent"
        ))
        .await,
    );
    let failing = sim
        .pay(cards::PM_CARD_REFUND_FAIL, 1000, false, &[])
        .await
        .str("/id");
    let failing_refund = sim
        .post("/v1/refunds", &[("payment_intent", &failing)], None)
        .await;
    assert_eq!(failing_refund.str("/status"), "succeeded");
    spec.ok("post", "/v1/refunds", &failing_refund);
    let failed = sim
        .get(&format!("/v1/refunds/{}", failing_refund.str("/id")))
        .await;
    assert_eq!(failed.str("/status"), "failed");
    spec.ok(
        "get",
        &format!("/v1/refunds/{}", failing_refund.str("/id")),
        &failed,
    );

    // A PaymentMethod created from card data, retrieved, and a PaymentIntent paying with it.
    let created = sim
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", cards::MASTERCARD),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
                ("billing_details[name]", "Jane Doe"),
                ("metadata[k]", "v"),
            ],
            None,
        )
        .await;
    spec.ok("post", "/v1/payment_methods", &created);
    let method = created.str("/id");
    spec.ok(
        "get",
        &format!("/v1/payment_methods/{method}"),
        &sim.get(&format!("/v1/payment_methods/{method}")).await,
    );
    spec.ok(
        "post",
        "/v1/payment_intents",
        &sim.pay(&method, 1000, true, &[]).await,
    );

    // Automatic capture, raw card data, canceled, draft, 3DS pending / completed / failed.
    let automatic = sim.pay_card(cards::AMEX, 2000, false).await;
    spec.ok("post", "/v1/payment_intents", &automatic);
    let voided = sim.authorized("pm_card_mastercard", 700, &[]).await;
    let cancel = sim
        .post(
            &format!("/v1/payment_intents/{voided}/cancel"),
            &[("cancellation_reason", "duplicate")],
            None,
        )
        .await;
    spec.ok(
        "post",
        &format!("/v1/payment_intents/{voided}/cancel"),
        &cancel,
    );
    let draft = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "500"), ("currency", "gbp")],
            None,
        )
        .await;
    spec.ok("post", "/v1/payment_intents", &draft);
    let update = sim
        .post(
            &format!("/v1/payment_intents/{}", draft.str("/id")),
            &[("metadata[k]", "v")],
            None,
        )
        .await;
    spec.ok(
        "post",
        &format!("/v1/payment_intents/{}", draft.str("/id")),
        &update,
    );
    let three_ds = sim
        .pay(
            cards::PM_CARD_THREE_DS2_REQUIRED,
            900,
            true,
            &[("return_url", "https://shop.example/r")],
        )
        .await;
    assert_eq!(three_ds.str("/status"), "requires_action");
    spec.ok("post", "/v1/payment_intents", &three_ds);
    sim.client
        .get(three_ds.str("/next_action/redirect_to_url/url"))
        .send()
        .await
        .unwrap();
    let authenticated = sim
        .get(&format!(
            "/v1/payment_intents/{}?expand[]=latest_charge",
            three_ds.str("/id")
        ))
        .await;
    spec.ok(
        "get",
        &format!("/v1/payment_intents/{}", three_ds.str("/id")),
        &authenticated,
    );
    let failed_3ds = sim
        .pay(cards::PM_CARD_AUTHENTICATION_REQUIRED, 900, true, &[])
        .await;
    sim.client
        .get(format!(
            "{}?outcome=fail",
            failed_3ds.str("/next_action/redirect_to_url/url")
        ))
        .send()
        .await
        .unwrap();
    spec.ok(
        "get",
        &format!("/v1/payment_intents/{}", failed_3ds.str("/id")),
        &sim.get(&format!("/v1/payment_intents/{}", failed_3ds.str("/id")))
            .await,
    );

    // Lists: every PaymentIntent made so far (all statuses above), plain and expanded, and
    // the refunds (the failed one included), plain and expanded.
    let intents = sim.get("/v1/payment_intents?limit=100").await;
    assert!(intents.body["data"].as_array().unwrap().len() >= 7);
    spec.ok("get", "/v1/payment_intents", &intents);
    spec.ok(
        "get",
        "/v1/payment_intents",
        &sim.get(
            "/v1/payment_intents?limit=3&expand[]=data.latest_charge&expand[]=data.payment_method",
        )
        .await,
    );
    let refunds = sim.get("/v1/refunds?limit=100").await;
    assert_eq!(
        refunds.body["data"].as_array().unwrap().len(),
        2,
        "{refunds:?}"
    );
    spec.ok("get", "/v1/refunds", &refunds);
    spec.ok(
        "get",
        "/v1/refunds",
        &sim.get(&format!(
            "/v1/refunds?payment_intent={id}&expand[]=data.charge&expand[]=data.payment_intent"
        ))
        .await,
    );
    let mut wrong = refunds.body.clone();
    wrong["object"] = json!("refund");
    assert!(spec
        .0
        .check_response("get", "/v1/refunds", 200, &wrong)
        .is_err());
    spec.error(&sim.get("/v1/payment_intents?limit=0").await);
    spec.error(&sim.get("/v1/refunds?payment_intent=pi_nope").await);

    // The validation is live: a wrong status or object is caught.
    let mut wrong = auth.body.clone();
    wrong["status"] = json!("authorized");
    assert!(spec.violates("payment_intent", &wrong));
    let mut wrong = refund.body.clone();
    wrong["object"] = json!("payment_intent");
    assert!(spec.violates("refund", &wrong));

    // Declines: the 402 error with the PaymentIntent embedded, and the declined intent.
    for number in [
        cards::GENERIC_DECLINE,
        cards::INSUFFICIENT_FUNDS,
        cards::EXPIRED_CARD,
        cards::FRAUDULENT,
    ] {
        let declined = sim.pay_card(number, 1000, true).await;
        assert_eq!(declined.status, 402);
        spec.error(&declined);
        let intent = declined.str("/error/payment_intent/id");
        spec.ok(
            "get",
            &format!("/v1/payment_intents/{intent}"),
            &sim.get(&format!(
                "/v1/payment_intents/{intent}?expand[]=latest_charge"
            ))
            .await,
        );
        let charge = declined.str("/error/charge");
        spec.ok(
            "get",
            &format!("/v1/charges/{charge}"),
            &sim.get(&format!("/v1/charges/{charge}")).await,
        );
    }
    let incremented = sim.incremental(1000).await;
    sim.hook(&format!(
        "/sim/stripe/payment_intents/{incremented}/decline-next-increment"
    ))
    .await;
    let declined = sim
        .post(
            &format!("/v1/payment_intents/{incremented}/increment_authorization"),
            &[("amount", "2000")],
            None,
        )
        .await;
    assert_eq!(declined.status, 402);
    spec.error(&declined);

    // Every other error kind.
    let errors = [
        sim.post(
            "/v1/payment_intents",
            &[("amount", "x"), ("currency", "usd")],
            None,
        )
        .await,
        sim.post("/v1/payment_intents", &[("currency", "usd")], None)
            .await,
        sim.post(
            "/v1/payment_intents",
            &[("amount", "100"), ("currency", "usd"), ("foo", "1")],
            None,
        )
        .await,
        sim.post(&format!("/v1/payment_intents/{id}/cancel"), &[], None)
            .await,
        sim.post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "99999")],
            None,
        )
        .await,
        sim.pay_card(cards::INCORRECT_NUMBER, 1000, true).await,
        sim.post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", cards::INCORRECT_NUMBER),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
            None,
        )
        .await,
        sim.get("/v1/payment_methods/pm_missing").await,
        sim.get("/v1/payment_intents/pi_missing").await,
        sim.get("/v1/refunds/re_missing").await,
        sim.get("/v1/nothing").await,
        stripe_common::reply(
            sim.client
                .get(sim.url("/v1/payment_intents/pi_x"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .unwrap(),
    ];
    for reply in &errors {
        spec.error(reply);
    }
    let key = [("payment_intent", id.as_str()), ("amount", "1")];
    sim.post("/v1/refunds", &key, Some("schema-key")).await;
    let mismatch = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", id.as_str()), ("amount", "2")],
            Some("schema-key"),
        )
        .await;
    assert_eq!(mismatch.str("/error/type"), "idempotency_error");
    spec.error(&mismatch);
    for status in [500, 503, 429, 409, 402, 401] {
        sim.handle.inject(Fault::Status {
            status,
            retry_after_secs: None,
        });
        let fault = sim.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(fault.status, status);
        spec.error(&fault);
    }
    assert_eq!(sim.hook("/sim/stripe/next-error").await, 204);
    spec.error(&sim.get(&format!("/v1/payment_intents/{id}")).await);

    // One event of every type sent (each check compiles the whole document: once per type
    // keeps the test quick), and one served by GET /v1/events/{id}.
    let all = events(&sim.handle);
    let mut kinds = std::collections::BTreeSet::new();
    for event in &all {
        if !kinds.insert(event["type"].as_str().unwrap().to_owned()) {
            continue;
        }
        spec.component("event", event);
        let object = &event["data"]["object"];
        let schema = object["object"].as_str().unwrap();
        spec.component(schema, object);
    }
    for kind in [
        "payment_intent.created",
        "payment_intent.requires_action",
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.succeeded",
        "charge.failed",
        "charge.captured",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
    ] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    let event_id = all[0]["id"].as_str().unwrap();
    spec.ok(
        "get",
        &format!("/v1/events/{event_id}"),
        &sim.get(&format!("/v1/events/{event_id}")).await,
    );
    sim.handle.shutdown().await;
}
