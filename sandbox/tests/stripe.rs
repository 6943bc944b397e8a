//! The Stripe simulator's rules, through HTTP.

#![allow(clippy::unwrap_used)]

mod stripe_common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use paybridge_core::webhook::{SignatureEncoding, WebhookSecrets};
use paybridge_sandbox::stripe::{cards, StripeSimConfig};
use paybridge_sandbox::Fault;
use serde_json::Value;
use stripe_common::{event_types, events, form, Reply, Sim};
use time::OffsetDateTime;

const DAY: i64 = 86_400;

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn near(actual: i64, expected: i64) -> bool {
    (actual - expected).abs() <= 60
}

#[tokio::test]
async fn only_the_secret_key_is_accepted_as_bearer_or_basic_user() {
    let sim = Sim::start().await;
    let key = sim.config.secret_key.clone();
    let body = form(&[
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
        ("payment_method_types[]", "card"),
    ]);
    let basic = |user: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:"))
        )
    };
    let refused = [
        None,
        Some("Bearer sk_test_wrong_key_000000".to_owned()),
        Some(key.clone()),
        Some(basic("sk_test_wrong_key_000000")),
        Some(format!("Token {key}")),
    ];
    for auth in &refused {
        let mut request = sim
            .client
            .post(sim.url("/v1/payment_intents"))
            .body(body.clone());
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let reply = stripe_common::reply(request.send().await.unwrap())
            .await
            .unwrap();
        assert_eq!(reply.status, 401, "{auth:?}");
        assert_eq!(reply.str("/error/type"), "invalid_request_error");
        let message = reply.str("/error/message");
        assert!(!message.contains(&key), "{message}");
        assert!(
            !message.contains("wrong_key"),
            "never the full key: {message}"
        );
        assert!(reply.header("request-id").starts_with("req_"));
        assert!(!reply.header("www-authenticate").is_empty());
    }
    let wrong = stripe_common::reply(
        sim.client
            .get(sim.url("/v1/payment_intents/pi_x"))
            .header("Authorization", "Bearer sk_test_wrong_key_000000")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        wrong.str("/error/message"),
        "Invalid API Key provided: sk_test_************0000"
    );
    for auth in [
        basic(&key),
        format!("bearer {key}"),
        format!("Bearer {key}"),
    ] {
        let reply = stripe_common::reply(
            sim.client
                .post(sim.url("/v1/payment_intents"))
                .header("Authorization", &auth)
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 200, "{auth}: {reply:?}");
    }
    let counters = sim.handle.counters();
    assert_eq!((counters.requests, counters.authorizations), (9, 3));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn stripe_version_is_echoed_and_must_be_a_date() {
    let sim = Sim::start().await;
    let send = |version: &'static str| {
        sim.client
            .get(sim.url("/v1/payment_intents/pi_missing"))
            .header("Authorization", sim.bearer())
            .header("Stripe-Version", version)
            .send()
    };
    let reply = stripe_common::reply(send("2026-07-29.dahlia").await.unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("stripe-version"), "2026-07-29.dahlia");
    assert_eq!(reply.code(), "resource_missing");
    assert_eq!(reply.str("/error/param"), "intent");
    let reply = stripe_common::reply(send("yesterday").await.unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    let unknown = sim.get("/v1/customers").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown
        .str("/error/message")
        .starts_with("Unrecognized request URL (GET: /v1/customers)"));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn form_errors_name_the_parameter() {
    let sim = Sim::start().await;
    let base = "amount=1000&currency=usd&payment_method_types[]=card";
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("amount=1000&currency=usd&colour=red", "colour", Some("parameter_unknown")),
        (
            "amount=1000&currency=usd&payment_method_options[card][request_incremental]=if_available",
            "payment_method_options[card][request_incremental]",
            Some("parameter_unknown"),
        ),
        ("amount=ten&currency=usd", "amount", Some("parameter_invalid_integer")),
        ("amount=10.50&currency=usd", "amount", Some("parameter_invalid_integer")),
        ("currency=usd", "amount", Some("parameter_missing")),
        ("amount=1000&currency=", "currency", Some("parameter_invalid_empty")),
        ("amount=1000&currency=usd&metadata[order=1", "metadata[order", Some("parameter_unknown")),
        ("amount=1000&currency=usd&metadata[a]b=1", "metadata[a]b", Some("parameter_unknown")),
        ("amount=1000&currency=usd&capture_method=later", "capture_method", None),
        ("amount=1000&currency=usd&confirm=yes", "confirm", None),
        ("amount=1000&currency=usd&expand=latest_charge", "expand", None),
        ("amount=1000&currency=usd&expand[]=customer", "expand[0]", None),
        ("amount=1000&currency=usd&metadata=x&metadata[a]=b", "metadata", None),
        (
            "amount=1000&currency=usd&payment_method_options[card][request_extended_authorization]=always",
            "payment_method_options[card][request_extended_authorization]",
            None,
        ),
        ("amount=1000&currency=USD", "currency", None),
        ("amount=10&currency=usd", "amount", Some("amount_too_small")),
        ("amount=1000&currency=usd&customer=cus_1", "customer", None),
        ("{\"amount\":1000}", "{\"amount\":1000}", Some("parameter_unknown")),
    ];
    for (body, param, code) in cases {
        let reply = sim
            .post_raw("/v1/payment_intents", (*body).to_owned(), None)
            .await;
        reply.assert_invalid(param);
        if let Some(code) = code {
            assert_eq!(reply.code(), *code, "{body}: {reply:?}");
        }
    }
    // Query strings of GETs are read as strictly.
    let created = sim
        .post_raw("/v1/payment_intents", base.to_owned(), None)
        .await;
    let id = created.str("/id");
    sim.get(&format!(
        "/v1/payment_intents/{id}?expand[]=latest_charge&foo=1"
    ))
    .await
    .assert_invalid("foo");
    sim.get(&format!("/v1/payment_intents/{id}?expand[]=invoice"))
        .await
        .assert_invalid("expand[0]");
    assert_eq!(
        sim.get(&format!("/v1/payment_intents/{id}?expand[0]=latest_charge"))
            .await
            .status,
        200
    );
    // A nested expansion expands its parent.
    let paid = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let nested = sim
        .get(&format!(
            "/v1/payment_intents/{paid}?expand[]=latest_charge.balance_transaction"
        ))
        .await;
    assert_eq!(nested.body["latest_charge"]["object"], "charge");
    assert!(nested.body["latest_charge"]["balance_transaction"].is_null());
    // Only the last intent was confirmed.
    assert_eq!(sim.handle.counters().authorizations, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_manual_authorization_is_capturable_with_the_charge_flags() {
    let sim = Sim::start().await;
    let reply = sim
        .pay(
            "pm_card_visa",
            1000,
            true,
            &[("description", "ORD-1"), ("metadata[order]", "ORD-1")],
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let id = reply.str("/id");
    assert!(id.starts_with("pi_"));
    assert_eq!(reply.str("/object"), "payment_intent");
    assert_eq!(reply.str("/status"), "requires_capture");
    assert_eq!(reply.int("/amount"), 1000);
    assert_eq!(reply.int("/amount_capturable"), 1000);
    assert_eq!(reply.int("/amount_received"), 0);
    assert_eq!(reply.str("/currency"), "usd");
    assert_eq!(reply.str("/capture_method"), "manual");
    assert!(reply
        .str("/client_secret")
        .starts_with(&format!("{id}_secret_")));
    assert!(near(reply.int("/created"), now()));
    assert_eq!(reply.body["livemode"], false);
    assert_eq!(reply.str("/description"), "ORD-1");
    assert_eq!(reply.str("/metadata/order"), "ORD-1");
    assert!(reply.body["next_action"].is_null());
    assert!(reply.body["last_payment_error"].is_null());
    assert!(reply.body["cancellation_reason"].is_null());
    assert!(reply.str("/payment_method").starts_with("pm_"));
    assert!(reply.str("/latest_charge").starts_with("ch_"));

    let expanded = sim
        .get(&format!(
            "/v1/payment_intents/{id}?expand[]=latest_charge&expand[]=payment_method"
        ))
        .await;
    let charge = &expanded.body["latest_charge"];
    assert_eq!(charge["object"], "charge");
    assert_eq!(charge["id"], reply.body["latest_charge"]);
    assert_eq!(charge["captured"], false);
    assert_eq!(charge["status"], "succeeded");
    assert_eq!(charge["payment_intent"], id.as_str());
    let card = &charge["payment_method_details"]["card"];
    assert_eq!(card["brand"], "visa");
    assert_eq!(card["network"], "visa");
    assert_eq!(card["last4"], "4242");
    assert!(near(
        card["capture_before"].as_i64().unwrap(),
        now() + 7 * DAY
    ));
    assert_eq!(card["extended_authorization"]["status"], "disabled");
    assert_eq!(card["incremental_authorization"]["status"], "unavailable");
    assert_eq!(card["multicapture"]["status"], "unavailable");
    assert_eq!(card["overcapture"]["status"], "unavailable");
    assert_eq!(expanded.body["payment_method"]["card"]["last4"], "4242");

    // Extended and incremental authorization requested on a Mastercard.
    let extended = sim
        .pay(
            "pm_card_mastercard",
            5000,
            true,
            &[
                (
                    "payment_method_options[card][request_extended_authorization]",
                    "if_available",
                ),
                (
                    "payment_method_options[card][request_incremental_authorization]",
                    "if_available",
                ),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    let card = &extended.body["latest_charge"]["payment_method_details"]["card"];
    assert_eq!(card["brand"], "mastercard");
    assert_eq!(card["extended_authorization"]["status"], "enabled");
    assert_eq!(card["incremental_authorization"]["status"], "available");
    assert!(near(
        card["capture_before"].as_i64().unwrap(),
        now() + 30 * DAY
    ));
    let options = &extended.body["payment_method_options"]["card"];
    assert_eq!(options["request_extended_authorization"], "if_available");
    assert_eq!(options["request_incremental_authorization"], "if_available");

    // Raw card data (Amex) works too; the features are not granted on JCB.
    let amex = sim.pay_card(cards::AMEX, 700, true).await;
    assert_eq!(amex.str("/status"), "requires_capture", "{amex:?}");
    let jcb = sim
        .pay(
            "pm_card_jcb",
            700,
            true,
            &[
                (
                    "payment_method_options[card][request_incremental_authorization]",
                    "if_available",
                ),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(
        jcb.body["latest_charge"]["payment_method_details"]["card"]["incremental_authorization"]
            ["status"],
        "unavailable"
    );
    assert_eq!(sim.handle.counters().authorizations, 4);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn an_automatic_capture_succeeds_at_once() {
    let sim = Sim::start().await;
    let reply = sim
        .pay(
            "pm_card_visa",
            1500,
            false,
            &[("expand[]", "latest_charge")],
        )
        .await;
    assert_eq!(reply.str("/status"), "succeeded");
    assert_eq!(reply.int("/amount_received"), 1500);
    assert_eq!(reply.int("/amount_capturable"), 0);
    assert_eq!(reply.body["latest_charge"]["captured"], true);
    assert_eq!(reply.body["latest_charge"]["amount_captured"], 1500);
    assert!(
        reply.body["latest_charge"]["payment_method_details"]["card"]["capture_before"].is_null()
    );
    // `automatic_async` and the card-level manual option.
    let asynchronous = sim
        .pay(
            "pm_card_visa",
            1500,
            false,
            &[("capture_method", "automatic_async")],
        )
        .await;
    assert_eq!(asynchronous.status, 200, "{asynchronous:?}");
    let card_manual = sim
        .pay(
            "pm_card_visa",
            1500,
            false,
            &[("payment_method_options[card][capture_method]", "manual")],
        )
        .await;
    assert_eq!(card_manual.str("/status"), "requires_capture");
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn automatic_payment_methods_need_a_return_url_unless_redirects_are_off() {
    let sim = Sim::start().await;
    let base = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
    ];
    let refused = sim.post("/v1/payment_intents", &base, None).await;
    assert_eq!(refused.status, 400);
    assert!(refused.str("/error/message").contains("return_url"));
    let mut never = base.to_vec();
    never.extend([
        ("automatic_payment_methods[enabled]", "true"),
        ("automatic_payment_methods[allow_redirects]", "never"),
    ]);
    let reply = sim.post("/v1/payment_intents", &never, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.body["automatic_payment_methods"]["allow_redirects"],
        "never"
    );
    let mut with_url = base.to_vec();
    with_url.push(("return_url", "https://shop.example/back"));
    assert_eq!(
        sim.post("/v1/payment_intents", &with_url, None)
            .await
            .status,
        200
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn every_decline_card_is_a_402_with_the_intent_embedded() {
    let sim = Sim::start().await;
    let declines = [
        (cards::GENERIC_DECLINE, "card_declined", "generic_decline"),
        (
            cards::INSUFFICIENT_FUNDS,
            "card_declined",
            "insufficient_funds",
        ),
        (cards::LOST_CARD, "card_declined", "lost_card"),
        (cards::STOLEN_CARD, "card_declined", "stolen_card"),
        (cards::EXPIRED_CARD, "expired_card", "expired_card"),
        (cards::INCORRECT_CVC, "incorrect_cvc", "incorrect_cvc"),
        (
            cards::PROCESSING_ERROR,
            "processing_error",
            "processing_error",
        ),
        (cards::FRAUDULENT, "card_declined", "fraudulent"),
        ("4111111111111111", "card_declined", "test_mode_live_card"),
    ];
    for (number, code, decline_code) in declines {
        let reply = sim.pay_card(number, 1000, true).await;
        assert_eq!(reply.status, 402, "{number}: {reply:?}");
        assert_eq!(reply.str("/error/type"), "card_error");
        assert_eq!(reply.code(), code, "{number}");
        assert_eq!(reply.str("/error/decline_code"), decline_code, "{number}");
        assert!(!reply.str("/error/message").is_empty());
        let charge = reply.str("/error/charge");
        assert!(charge.starts_with("ch_"));
        let intent = &reply.body["error"]["payment_intent"];
        assert_eq!(intent["status"], "requires_payment_method", "{number}");
        assert_eq!(intent["latest_charge"], charge.as_str());
        assert_eq!(intent["last_payment_error"]["code"], code);
        assert_eq!(intent["last_payment_error"]["decline_code"], decline_code);
        assert_eq!(
            reply.body["error"]["payment_method"]["card"]["last4"],
            &number[12..]
        );
        // The failed charge and the intent can be retrieved.
        let failed = sim.get(&format!("/v1/charges/{charge}")).await;
        assert_eq!(failed.str("/status"), "failed");
        assert_eq!(failed.str("/failure_code"), code);
        assert_eq!(failed.str("/outcome/reason"), decline_code);
        let id = intent["id"].as_str().unwrap();
        let again = sim.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(again.body, *intent);
    }
    let insufficient = sim.pay_card(cards::INSUFFICIENT_FUNDS, 1000, false).await;
    assert_eq!(insufficient.str("/error/advice_code"), "try_again_later");
    assert_eq!(insufficient.str("/error/network_decline_code"), "51");
    // Test PaymentMethods decline the same way.
    for (token, decline_code) in [
        (cards::PM_CARD_CHARGE_DECLINED, "generic_decline"),
        (cards::PM_CARD_INSUFFICIENT_FUNDS, "insufficient_funds"),
    ] {
        let reply = sim.pay(token, 1000, true, &[]).await;
        assert_eq!(reply.status, 402);
        assert_eq!(reply.str("/error/decline_code"), decline_code);
    }
    assert_eq!(sim.handle.counters().authorizations, 12);
    // A declined intent may be confirmed again with another card.
    let declined = sim.pay("pm_card_chargeDeclined", 800, true, &[]).await;
    let id = declined.str("/error/payment_intent/id");
    let retried = sim
        .post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
            None,
        )
        .await;
    assert_eq!(retried.str("/status"), "requires_capture", "{retried:?}");
    assert!(retried.body["last_payment_error"].is_null());
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn invalid_card_data_is_refused_before_any_authorization() {
    let sim = Sim::start().await;
    let incorrect = sim.pay_card(cards::INCORRECT_NUMBER, 1000, true).await;
    assert_eq!(incorrect.status, 402);
    assert_eq!(incorrect.code(), "incorrect_number");
    assert_eq!(
        incorrect.str("/error/param"),
        "payment_method_data[card][number]"
    );
    assert!(incorrect.body["error"]["payment_intent"].is_null());
    let short = sim.pay_card("4242", 1000, true).await;
    assert_eq!(short.code(), "invalid_number");
    let expired = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("payment_method_types[]", "card"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", cards::VISA),
                ("payment_method_data[card][exp_month]", "1"),
                ("payment_method_data[card][exp_year]", "2020"),
            ],
            None,
        )
        .await;
    assert_eq!(expired.code(), "invalid_expiry_year");
    let unknown_pm = sim.pay("pm_nothing", 1000, true, &[]).await;
    assert_eq!(unknown_pm.status, 400);
    assert_eq!(unknown_pm.code(), "resource_missing");
    assert_eq!(unknown_pm.str("/error/param"), "payment_method");
    assert_eq!(sim.handle.counters().authorizations, 0);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_payment_method_created_from_card_data_pays_like_a_test_one() {
    let sim = Sim::start().await;
    let card = |number: &'static str| {
        [
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
            ("billing_details[name]", "Jane Doe"),
        ]
    };
    let created = sim
        .post("/v1/payment_methods", &card(cards::VISA), Some("pm-key-1"))
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    let id = created.str("/id");
    assert!(id.starts_with("pm_") && !id.starts_with("pm_card_"), "{id}");
    assert_eq!(created.str("/object"), "payment_method");
    assert_eq!(created.str("/type"), "card");
    assert_eq!(created.str("/card/brand"), "visa");
    assert_eq!(created.str("/card/last4"), "4242");
    assert_eq!(created.int("/card/exp_year"), 2034);
    assert_eq!(created.str("/billing_details/name"), "Jane Doe");
    assert!(!created.raw.windows(16).any(|w| w == cards::VISA.as_bytes()));
    // The same key with the same card: the same PaymentMethod, replayed.
    let again = sim
        .post("/v1/payment_methods", &card(cards::VISA), Some("pm-key-1"))
        .await;
    assert_eq!(again.str("/id"), id);
    let other = sim
        .post(
            "/v1/payment_methods",
            &card(cards::MASTERCARD),
            Some("pm-key-1"),
        )
        .await;
    assert_eq!(other.str("/error/type"), "idempotency_error", "{other:?}");
    // Retrieved, and paid with as any PaymentMethod.
    let fetched = sim.get(&format!("/v1/payment_methods/{id}")).await;
    assert_eq!((fetched.status, fetched.str("/id")), (200, id.clone()));
    assert_eq!(sim.get("/v1/payment_methods/pm_nope").await.status, 404);
    let paid = sim.authorized(&id, 1000, &[]).await;
    let intent = sim.get(&format!("/v1/payment_intents/{paid}")).await;
    assert_eq!(intent.str("/payment_method"), id);

    // The issuer is asked only when the PaymentIntent is confirmed.
    let declining = sim
        .post(
            "/v1/payment_methods",
            &card(cards::INSUFFICIENT_FUNDS),
            None,
        )
        .await;
    assert_eq!(declining.status, 200, "{declining:?}");
    let declined = sim.pay(&declining.str("/id"), 1000, true, &[]).await;
    assert_eq!(declined.status, 402);
    assert_eq!(declined.str("/error/decline_code"), "insufficient_funds");
    assert!(declined.body["error"]["payment_intent"].is_object());

    // Card data refused as Stripe refuses it, naming the field as sent.
    let incorrect = sim
        .post("/v1/payment_methods", &card(cards::INCORRECT_NUMBER), None)
        .await;
    assert_eq!(incorrect.status, 402, "{incorrect:?}");
    assert_eq!(incorrect.str("/error/type"), "card_error");
    assert_eq!(incorrect.code(), "incorrect_number");
    assert_eq!(incorrect.str("/error/param"), "card[number]");
    let mut expired = card(cards::VISA);
    expired[3] = ("card[exp_year]", "2020");
    let expired = sim.post("/v1/payment_methods", &expired, None).await;
    assert_eq!(
        (expired.code(), expired.str("/error/param")),
        (
            "invalid_expiry_year".to_owned(),
            "card[exp_year]".to_owned()
        )
    );
    sim.post("/v1/payment_methods", &[("type", "card")], None)
        .await
        .assert_invalid("card");
    sim.post("/v1/payment_methods", &[("type", "sepa_debit")], None)
        .await
        .assert_invalid("type");
    assert_eq!(sim.handle.counters().authorizations, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn three_ds_requires_action_until_the_customer_completes_it() {
    let sim = Sim::start().await;
    let pending = sim.pay_card(cards::THREE_DS_REQUIRED, 1000, true).await;
    assert_eq!(pending.str("/status"), "requires_action", "{pending:?}");
    assert_eq!(pending.str("/next_action/type"), "redirect_to_url");
    let id = pending.str("/id");
    let url = pending.str("/next_action/redirect_to_url/url");
    assert_eq!(url, format!("{}sim/stripe/3ds/{id}", sim.handle.base_url()));
    assert!(pending.body["latest_charge"].is_null());
    // Capturing now is refused.
    let early = sim
        .post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    assert_eq!(early.code(), "payment_intent_unexpected_state");
    // The customer authenticates; no return_url: a page.
    let page = sim.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let done = sim
        .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await;
    assert_eq!(done.str("/status"), "requires_capture");
    assert!(done.body["next_action"].is_null());
    assert_eq!(
        done.body["latest_charge"]["payment_method_details"]["card"]["three_d_secure"]["result"],
        "authenticated"
    );
    // Not awaiting any more.
    assert_eq!(sim.client.get(&url).send().await.unwrap().status(), 409);

    // With a return_url, automatic capture, a test PaymentMethod: a redirect back.
    let pending = sim
        .pay(
            cards::PM_CARD_THREE_DS2_REQUIRED,
            2000,
            false,
            &[("return_url", "https://shop.example/back?order=7")],
        )
        .await;
    assert_eq!(
        pending.str("/next_action/redirect_to_url/return_url"),
        "https://shop.example/back?order=7"
    );
    let page = sim
        .client
        .get(pending.str("/next_action/redirect_to_url/url"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 302);
    let location = page.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://shop.example/back?order=7&payment_intent=pi_"),
        "{location}"
    );
    assert!(location.contains("redirect_status=succeeded"));
    let id = pending.str("/id");
    assert_eq!(
        sim.get(&format!("/v1/payment_intents/{id}"))
            .await
            .str("/status"),
        "succeeded"
    );

    // Failed authentication.
    let pending = sim
        .pay("pm_card_authenticationRequired", 1000, true, &[])
        .await;
    let failed = sim
        .client
        .get(format!(
            "{}?outcome=fail",
            pending.str("/next_action/redirect_to_url/url")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 200);
    let id = pending.str("/id");
    let intent = sim.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(intent.str("/status"), "requires_payment_method");
    assert_eq!(
        intent.str("/last_payment_error/code"),
        "payment_intent_authentication_failure"
    );

    // 3DS on request only for a card that supports it; off-session it is a decline.
    let optional = sim.pay_card(cards::THREE_DS_OPTIONAL, 1000, true).await;
    assert_eq!(optional.str("/status"), "requires_capture");
    let asked = sim
        .pay(
            "pm_card_threeDSecureOptional",
            1000,
            true,
            &[(
                "payment_method_options[card][request_three_d_secure]",
                "challenge",
            )],
        )
        .await;
    assert_eq!(asked.str("/status"), "requires_action");
    let visa = sim
        .pay(
            "pm_card_visa",
            1000,
            true,
            &[(
                "payment_method_options[card][request_three_d_secure]",
                "any",
            )],
        )
        .await;
    assert_eq!(
        visa.str("/status"),
        "requires_capture",
        "4242 does not support 3DS"
    );
    let off_session = sim
        .pay(
            "pm_card_authenticationRequired",
            1000,
            true,
            &[("off_session", "true")],
        )
        .await;
    assert_eq!(off_session.status, 402);
    assert_eq!(off_session.code(), "authentication_required");
    let types = event_types(&sim.handle);
    assert!(types.contains(&"payment_intent.requires_action".to_owned()));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn increments_take_the_new_total_while_capturable() {
    let sim = Sim::start().await;
    let id = sim.incremental(1000).await;
    let path = format!("/v1/payment_intents/{id}/increment_authorization");
    let raised = sim
        .post(
            &path,
            &[("amount", "1500"), ("expand[]", "latest_charge")],
            None,
        )
        .await;
    assert_eq!(raised.status, 200, "{raised:?}");
    assert_eq!(raised.int("/amount"), 1500);
    assert_eq!(raised.int("/amount_capturable"), 1500);
    assert_eq!(raised.int("/latest_charge/amount"), 1500);
    assert_eq!(
        raised.int("/latest_charge/payment_method_details/card/amount_authorized"),
        1500
    );
    // Not above the current amount: refused, not an attempt.
    let same = sim.post(&path, &[("amount", "1500")], None).await;
    same.assert_invalid("amount");
    assert_eq!(same.code(), "amount_too_small");
    // A declined increment changes nothing.
    assert_eq!(
        sim.hook(&format!(
            "/sim/stripe/payment_intents/{id}/decline-next-increment"
        ))
        .await,
        204
    );
    let declined = sim.post(&path, &[("amount", "9000")], None).await;
    assert_eq!(declined.status, 402);
    assert_eq!(declined.code(), "card_declined");
    assert_eq!(declined.body["error"]["payment_intent"]["amount"], 1500);
    assert_eq!(
        declined.body["error"]["payment_intent"]["status"],
        "requires_capture"
    );
    let intent = sim.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(
        (intent.int("/amount"), intent.int("/amount_capturable")),
        (1500, 1500)
    );
    assert!(intent.body["last_payment_error"].is_null());
    assert_eq!(sim.handle.counters().increments, 2);

    // After a capture: refused.
    sim.post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    let late = sim.post(&path, &[("amount", "2000")], None).await;
    assert_eq!(late.status, 400);
    assert_eq!(late.code(), "payment_intent_unexpected_state");

    // Not requested, or automatic capture: refused.
    let plain = sim.authorized("pm_card_visa", 1000, &[]).await;
    let refused = sim
        .post(
            &format!("/v1/payment_intents/{plain}/increment_authorization"),
            &[("amount", "2000")],
            None,
        )
        .await;
    assert_eq!(refused.code(), "payment_intent_unexpected_state");
    let automatic = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let refused = sim
        .post(
            &format!("/v1/payment_intents/{automatic}/increment_authorization"),
            &[("amount", "2000")],
            None,
        )
        .await;
    assert_eq!(refused.code(), "payment_intent_unexpected_state");
    let missing = sim
        .post(
            "/v1/payment_intents/pi_missing/increment_authorization",
            &[("amount", "2000")],
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(sim.handle.counters().increments, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn the_eleventh_increment_attempt_is_refused_even_after_declines() {
    let sim = Sim::start().await;
    let id = sim.incremental(1000).await;
    let path = format!("/v1/payment_intents/{id}/increment_authorization");
    let mut amount = 1000;
    for attempt in 1..=10 {
        if attempt % 2 == 0 {
            sim.hook(&format!(
                "/sim/stripe/payment_intents/{id}/decline-next-increment"
            ))
            .await;
            let declined = sim.post(&path, &[("amount", "99999")], None).await;
            assert_eq!(declined.status, 402, "attempt {attempt}");
        } else {
            amount += 100;
            let raised = sim
                .post(&path, &[("amount", &amount.to_string())], None)
                .await;
            assert_eq!(raised.status, 200, "attempt {attempt}: {raised:?}");
        }
    }
    let eleventh = sim.post(&path, &[("amount", "5000")], None).await;
    assert_eq!(eleventh.status, 400);
    assert_eq!(eleventh.str("/error/type"), "invalid_request_error");
    assert_eq!(eleventh.code(), "payment_intent_unexpected_state");
    assert!(
        eleventh.str("/error/message").contains("limit of 10"),
        "{eleventh:?}"
    );
    let intent = sim.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(intent.int("/amount"), 1500);
    assert_eq!(sim.handle.counters().increments, 10);
    // Still capturable for the last approved amount.
    let captured = sim
        .post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    assert_eq!(captured.int("/amount_received"), 1500);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn captures_are_bounded_and_a_partial_final_capture_releases_the_rest() {
    let sim = Sim::start().await;
    let id = sim.authorized("pm_card_visa", 1000, &[]).await;
    let path = format!("/v1/payment_intents/{id}/capture");
    let over = sim
        .post(&path, &[("amount_to_capture", "1001")], None)
        .await;
    over.assert_invalid("amount_to_capture");
    assert_eq!(over.code(), "amount_too_large");
    let not_final = sim
        .post(
            &path,
            &[("amount_to_capture", "100"), ("final_capture", "false")],
            None,
        )
        .await;
    not_final.assert_invalid("final_capture");
    let partial = sim
        .post(
            &path,
            &[("amount_to_capture", "600"), ("expand[]", "latest_charge")],
            None,
        )
        .await;
    assert_eq!(partial.status, 200, "{partial:?}");
    assert_eq!(partial.str("/status"), "succeeded");
    assert_eq!(partial.int("/amount_received"), 600);
    assert_eq!(partial.int("/amount_capturable"), 0);
    assert_eq!(partial.int("/latest_charge/amount_captured"), 600);
    assert_eq!(partial.int("/latest_charge/amount_refunded"), 400);
    assert_eq!(partial.body["latest_charge"]["captured"], true);
    let again = sim.post(&path, &[], None).await;
    assert_eq!(again.code(), "payment_intent_unexpected_state");
    assert_eq!(sim.handle.counters().captures, 1);

    // Multicapture: non-final captures keep the rest capturable.
    let multi = sim
        .authorized(
            "pm_card_visa",
            1000,
            &[(
                "payment_method_options[card][request_multicapture]",
                "if_available",
            )],
        )
        .await;
    let path = format!("/v1/payment_intents/{multi}/capture");
    let first = sim
        .post(
            &path,
            &[("amount_to_capture", "300"), ("final_capture", "false")],
            None,
        )
        .await;
    assert_eq!(first.str("/status"), "requires_capture", "{first:?}");
    assert_eq!(
        (
            first.int("/amount_received"),
            first.int("/amount_capturable")
        ),
        (300, 700)
    );
    let increment = sim
        .post(
            &format!("/v1/payment_intents/{multi}/increment_authorization"),
            &[("amount", "2000")],
            None,
        )
        .await;
    assert_eq!(increment.code(), "payment_intent_unexpected_state");
    let last = sim.post(&path, &[("amount_to_capture", "200")], None).await;
    assert_eq!(last.str("/status"), "succeeded");
    assert_eq!(
        (last.int("/amount_received"), last.int("/amount_capturable")),
        (500, 0)
    );

    // Overcapture, when available, allows capturing above the authorization.
    let over = sim
        .authorized(
            "pm_card_visa",
            1000,
            &[(
                "payment_method_options[card][request_overcapture]",
                "if_available",
            )],
        )
        .await;
    let captured = sim
        .post(
            &format!("/v1/payment_intents/{over}/capture"),
            &[("amount_to_capture", "1150")],
            None,
        )
        .await;
    assert_eq!(captured.int("/amount_received"), 1150, "{captured:?}");
    assert_eq!(sim.handle.counters().captures, 4);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn cancel_releases_an_uncaptured_intent_but_not_a_succeeded_one() {
    let sim = Sim::start().await;
    let id = sim.authorized("pm_card_visa", 1000, &[]).await;
    let path = format!("/v1/payment_intents/{id}/cancel");
    sim.post(&path, &[("cancellation_reason", "later")], None)
        .await
        .assert_invalid("cancellation_reason");
    let canceled = sim
        .post(
            &path,
            &[("cancellation_reason", "requested_by_customer")],
            None,
        )
        .await;
    assert_eq!(canceled.status, 200, "{canceled:?}");
    assert_eq!(canceled.str("/status"), "canceled");
    assert_eq!(
        canceled.str("/cancellation_reason"),
        "requested_by_customer"
    );
    assert!(near(canceled.int("/canceled_at"), now()));
    assert_eq!(canceled.int("/amount_capturable"), 0);
    let twice = sim.post(&path, &[], None).await;
    assert_eq!(twice.code(), "payment_intent_unexpected_state");
    let captured = sim
        .post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    assert_eq!(captured.code(), "payment_intent_unexpected_state");

    let succeeded = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let refused = sim
        .post(
            &format!("/v1/payment_intents/{succeeded}/cancel"),
            &[],
            None,
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), "payment_intent_unexpected_state");
    // An unconfirmed intent can be canceled.
    let draft = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "usd")],
            None,
        )
        .await;
    assert_eq!(draft.str("/status"), "requires_payment_method");
    let canceled = sim
        .post(
            &format!("/v1/payment_intents/{}/cancel", draft.str("/id")),
            &[("cancellation_reason", "abandoned")],
            None,
        )
        .await;
    assert_eq!(canceled.str("/status"), "canceled");
    assert_eq!(sim.handle.counters().voids, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn refunds_go_up_to_the_received_amount() {
    let sim = Sim::start().await;
    let id = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let refund = sim
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &id),
                ("amount", "300"),
                ("reason", "requested_by_customer"),
                ("metadata[ticket]", "T-1"),
            ],
            None,
        )
        .await;
    assert_eq!(refund.status, 200, "{refund:?}");
    assert!(refund.str("/id").starts_with("re_"));
    assert_eq!(refund.str("/object"), "refund");
    assert_eq!(refund.int("/amount"), 300);
    assert_eq!(refund.str("/currency"), "usd");
    assert_eq!(refund.str("/status"), "succeeded");
    assert_eq!(refund.str("/payment_intent"), id);
    assert!(refund.str("/charge").starts_with("ch_"));
    assert_eq!(refund.str("/reason"), "requested_by_customer");
    assert_eq!(refund.str("/metadata/ticket"), "T-1");
    assert!(near(refund.int("/created"), now()));
    let fetched = sim.get(&format!("/v1/refunds/{}", refund.str("/id"))).await;
    assert_eq!(fetched.body, refund.body);

    let over = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "701")],
            None,
        )
        .await;
    over.assert_invalid("amount");
    assert_eq!(over.code(), "amount_too_large");
    // By charge, the default amount is what remains.
    let rest = sim
        .post("/v1/refunds", &[("charge", &refund.str("/charge"))], None)
        .await;
    assert_eq!(rest.int("/amount"), 700, "{rest:?}");
    let none_left = sim
        .post("/v1/refunds", &[("payment_intent", &id)], None)
        .await;
    assert_eq!(none_left.status, 400);
    assert_eq!(none_left.code(), "charge_already_refunded");
    let charge = sim
        .get(&format!("/v1/charges/{}", refund.str("/charge")))
        .await;
    assert_eq!(charge.int("/amount_refunded"), 1000);
    assert_eq!(charge.body["refunded"], true);

    // Only captured money can be refunded; unknown intents are named.
    let uncaptured = sim.authorized("pm_card_visa", 1000, &[]).await;
    let refused = sim
        .post("/v1/refunds", &[("payment_intent", &uncaptured)], None)
        .await;
    assert_eq!(refused.code(), "payment_intent_unexpected_state");
    let unknown = sim
        .post("/v1/refunds", &[("payment_intent", "pi_nothing")], None)
        .await;
    unknown.assert_invalid("payment_intent");
    assert_eq!(unknown.code(), "resource_missing");
    sim.post("/v1/refunds", &[("amount", "100")], None)
        .await
        .assert_invalid("payment_intent");
    assert_eq!(sim.handle.counters().refunds, 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_refund_on_the_refund_fails_card_fails_when_next_retrieved() {
    let sim = Sim::start().await;
    let id = sim
        .pay(cards::PM_CARD_REFUND_FAIL, 1000, false, &[])
        .await
        .str("/id");
    let refund = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "400")],
            None,
        )
        .await;
    assert_eq!(refund.str("/status"), "succeeded", "{refund:?}");
    let refund_id = refund.str("/id");
    let failed = sim.get(&format!("/v1/refunds/{refund_id}")).await;
    assert_eq!(failed.str("/status"), "failed");
    assert_eq!(failed.str("/failure_reason"), "expired_or_canceled_card");
    let types = event_types(&sim.handle);
    let tail: Vec<&str> = types
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["refund.updated", "refund.failed", "charge.refund.updated"]
    );
    let event = events(&sim.handle).pop().unwrap();
    assert_eq!(event["data"]["object"]["object"], "refund");
    assert_eq!(event["data"]["previous_attributes"]["status"], "succeeded");
    assert!(event["request"]["id"].is_null());
    // Stays failed; the amount is refundable again.
    assert_eq!(
        sim.get(&format!("/v1/refunds/{refund_id}"))
            .await
            .str("/status"),
        "failed"
    );
    let again = sim
        .post("/v1/refunds", &[("payment_intent", &id)], None)
        .await;
    assert_eq!(again.int("/amount"), 1000, "{again:?}");
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_replayed_key_returns_the_identical_answer_once_performed() {
    let sim = Sim::start().await;
    let body = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("capture_method", "manual"),
        ("payment_method", "pm_card_visa"),
        ("payment_method_types[]", "card"),
        ("metadata[order]", "7"),
    ];
    let first = sim.post("/v1/payment_intents", &body, Some("key-1")).await;
    let second = sim.post("/v1/payment_intents", &body, Some("key-1")).await;
    assert_eq!(first.status, 200);
    assert_eq!(second.status, 200);
    assert_eq!(second.raw, first.raw, "identical body, same ids");
    // The same parameters in another order are the same request.
    let mut reordered = body.to_vec();
    reordered.reverse();
    let third = sim
        .post("/v1/payment_intents", &reordered, Some("key-1"))
        .await;
    assert_eq!(third.raw, first.raw);
    let counters = sim.handle.counters();
    assert_eq!(
        (counters.authorizations, counters.replays, counters.requests),
        (1, 2, 3)
    );
    assert_eq!(
        event_types(&sim.handle).len(),
        3,
        "events of one authorization"
    );

    // Declines are stored and replayed too.
    let declined = sim.pay("pm_card_chargeDeclined", 1000, true, &[]).await;
    let decline_body = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("payment_method", "pm_card_chargeDeclined"),
        ("payment_method_types[]", "card"),
    ];
    let a = sim
        .post("/v1/payment_intents", &decline_body, Some("key-2"))
        .await;
    let b = sim
        .post("/v1/payment_intents", &decline_body, Some("key-2"))
        .await;
    assert_eq!((a.status, b.status), (402, 402));
    assert_eq!(a.raw, b.raw);
    assert_ne!(declined.raw, a.raw);

    // A validation failure is not stored: the fixed request with the same key is performed.
    let invalid = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "x"), ("currency", "usd")],
            Some("key-3"),
        )
        .await;
    assert_eq!(invalid.status, 400);
    let fixed = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "500"), ("currency", "usd")],
            Some("key-3"),
        )
        .await;
    assert_eq!(fixed.status, 200, "{fixed:?}");

    // A capture replays without capturing twice.
    let id = first.str("/id");
    let path = format!("/v1/payment_intents/{id}/capture");
    let capture = sim
        .post(&path, &[("amount_to_capture", "400")], Some("cap-1"))
        .await;
    let replay = sim
        .post(&path, &[("amount_to_capture", "400")], Some("cap-1"))
        .await;
    assert_eq!(capture.raw, replay.raw);
    assert_eq!(sim.handle.counters().captures, 1);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_key_reused_with_other_parameters_or_elsewhere_is_an_idempotency_error() {
    let sim = Sim::start().await;
    let id = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let first = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "100")],
            Some("r-1"),
        )
        .await;
    assert_eq!(first.status, 200);
    let other = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "200")],
            Some("r-1"),
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.str("/error/type"), "idempotency_error");
    assert!(other.str("/error/message").contains("same parameters"));
    let elsewhere = sim
        .post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[],
            Some("r-1"),
        )
        .await;
    assert_eq!(elsewhere.str("/error/type"), "idempotency_error");
    assert!(elsewhere.str("/error/message").contains("/v1/refunds"));
    let counters = sim.handle.counters();
    assert_eq!(
        (counters.refunds, counters.voids, counters.replays),
        (1, 0, 0)
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_concurrent_duplicate_key_gets_409() {
    let sim = Arc::new(Sim::start().await);
    sim.handle.inject(Fault::Delay {
        duration: Duration::from_millis(600),
        after_processing: false,
    });
    let body = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
        ("payment_method_types[]", "card"),
    ];
    let first = {
        let sim = sim.clone();
        tokio::spawn(async move { sim.post("/v1/payment_intents", &body, Some("dup")).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let duplicate = sim.post("/v1/payment_intents", &body, Some("dup")).await;
    assert_eq!(duplicate.status, 409, "{duplicate:?}");
    assert_eq!(duplicate.str("/error/type"), "invalid_request_error");
    assert_eq!(duplicate.code(), "idempotency_key_in_use");
    assert_eq!(duplicate.header("stripe-should-retry"), "true");
    let first = first.await.unwrap();
    assert_eq!(first.status, 200);
    let later = sim.post("/v1/payment_intents", &body, Some("dup")).await;
    assert_eq!(later.raw, first.raw);
    assert_eq!(sim.handle.counters().authorizations, 1);
    sim.handle.clone().shutdown().await;
}

#[tokio::test]
async fn server_errors_say_whether_to_retry() {
    let sim = Sim::start().await;
    let body = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
        ("payment_method_types[]", "card"),
    ];
    // A control-layer fault: Stripe's shape, retry advised, not stored.
    sim.handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let fault = sim.post("/v1/payment_intents", &body, Some("k-1")).await;
    assert_eq!(fault.status, 503);
    assert_eq!(fault.str("/error/type"), "api_error");
    assert_eq!(fault.header("stripe-should-retry"), "true");
    assert_eq!(
        sim.post("/v1/payment_intents", &body, Some("k-1"))
            .await
            .status,
        200
    );
    sim.handle.inject(Fault::Status {
        status: 429,
        retry_after_secs: Some(2),
    });
    let limited = sim.post("/v1/payment_intents", &body, None).await;
    assert_eq!(
        (limited.status, limited.code()),
        (429, "rate_limit".to_owned())
    );
    assert_eq!(limited.header("retry-after"), "2");

    // An endpoint's 500 with Stripe-Should-Retry: false is stored and replayed.
    assert_eq!(
        sim.hook("/sim/stripe/next-error?status=500&should_retry=false")
            .await,
        204
    );
    let error = sim.post("/v1/payment_intents", &body, Some("k-2")).await;
    assert_eq!(error.status, 500);
    assert_eq!(error.str("/error/type"), "api_error");
    assert_eq!(error.header("stripe-should-retry"), "false");
    let replay = sim.post("/v1/payment_intents", &body, Some("k-2")).await;
    assert_eq!(
        (replay.status, replay.raw.clone()),
        (500, error.raw.clone())
    );
    assert_eq!(replay.header("stripe-should-retry"), "false");
    // A new key goes through.
    assert_eq!(
        sim.post("/v1/payment_intents", &body, Some("k-3"))
            .await
            .status,
        200
    );
    assert_eq!(sim.hook("/sim/stripe/next-error?status=404").await, 400);
    let counters = sim.handle.counters();
    assert_eq!((counters.authorizations, counters.replays), (2, 1));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn webhooks_are_signed_events_of_each_change() {
    let sim = Sim::start().await;
    let auth = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("payment_method_types[]", "card"),
            ],
            Some("auth-key"),
        )
        .await;
    let id = auth.str("/id");
    sim.post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    sim.post(
        "/v1/refunds",
        &[("payment_intent", &id), ("amount", "100")],
        None,
    )
    .await;
    let voided = sim.authorized("pm_card_visa", 500, &[]).await;
    sim.post(&format!("/v1/payment_intents/{voided}/cancel"), &[], None)
        .await;
    sim.pay("pm_card_chargeDeclined", 500, true, &[]).await;

    let secrets = WebhookSecrets::new([sim.config.webhook_secret.clone()]);
    let wrong = WebhookSecrets::new(["whsec_other"]);
    let webhooks = sim.handle.webhooks();
    for webhook in &webhooks {
        let header = |name: &str| {
            webhook
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert!(header("content-type").starts_with("application/json"));
        let signature = header("stripe-signature");
        let (t, v1) = signature
            .split_once(',')
            .map(|(t, v1)| {
                (
                    t.strip_prefix("t=").unwrap(),
                    v1.strip_prefix("v1=").unwrap(),
                )
            })
            .unwrap();
        assert!(near(t.parse().unwrap(), now()));
        secrets
            .verify(
                &[t.as_bytes(), b".", &webhook.body],
                v1,
                SignatureEncoding::Hex,
            )
            .unwrap();
        assert!(wrong
            .verify(
                &[t.as_bytes(), b".", &webhook.body],
                v1,
                SignatureEncoding::Hex
            )
            .is_err());
        let event: Value = serde_json::from_slice(&webhook.body).unwrap();
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(event["object"], "event");
        assert_eq!(event["api_version"], "2024-04-10");
        assert_eq!(event["livemode"], false);
        assert_eq!(event["pending_webhooks"], 1);
        assert!(event["data"]["object"].is_object());
        // Each event is served as sent.
        let fetched = sim
            .get(&format!("/v1/events/{}", event["id"].as_str().unwrap()))
            .await;
        assert_eq!(fetched.body, event);
    }
    let expected = [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
        "charge.refunded",
        "refund.created",
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "payment_intent.canceled",
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
    ];
    assert_eq!(event_types(&sim.handle), expected);
    let all = events(&sim.handle);
    // The request that caused the change.
    assert_eq!(all[0]["request"]["id"], auth.header("request-id").as_str());
    assert_eq!(all[0]["request"]["idempotency_key"], "auth-key");
    assert_eq!(all[2]["data"]["object"]["status"], "requires_capture");
    assert_eq!(all[3]["data"]["object"]["object"], "charge");
    assert_eq!(all[4]["data"]["object"]["amount_received"], 1000);
    assert_eq!(all[5]["data"]["object"]["amount_refunded"], 100);
    assert_eq!(all[6]["data"]["object"]["object"], "refund");
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn webhooks_are_posted_to_the_configured_url() {
    let received = Arc::new(std::sync::Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let signature = headers["stripe-signature"].to_str().unwrap().to_owned();
                    sink.lock().unwrap().push((signature, body.to_vec()));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target =
        url::Url::parse(&format!("http://{}/hooks", listener.local_addr().unwrap())).unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sim = Sim::start_with(StripeSimConfig {
        webhook_url: Some(target),
        ..StripeSimConfig::default()
    })
    .await;
    sim.pay("pm_card_visa", 1000, false, &[]).await;
    for _ in 0..100 {
        if received.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].1, sim.handle.webhooks()[2].body);
    assert!(got[2].0.starts_with("t="));
    sim.handle.shutdown().await;
    server.abort();
}

#[tokio::test]
async fn two_step_confirmation_updates_and_expiry() {
    let sim = Sim::start().await;
    let draft = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "eur"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("payment_method_types[]", "card"),
            ],
            None,
        )
        .await;
    assert_eq!(draft.str("/status"), "requires_confirmation", "{draft:?}");
    let id = draft.str("/id");
    let updated = sim
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[
                ("amount", "1200"),
                ("metadata[order]", "9"),
                ("description", "D"),
            ],
            None,
        )
        .await;
    assert_eq!(
        (updated.int("/amount"), updated.str("/metadata/order")),
        (1200, "9".to_owned())
    );
    assert_eq!(sim.handle.counters().authorizations, 0);
    let confirmed = sim
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[], None)
        .await;
    assert_eq!(
        confirmed.str("/status"),
        "requires_capture",
        "{confirmed:?}"
    );
    assert_eq!(confirmed.int("/amount_capturable"), 1200);
    let again = sim
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[], None)
        .await;
    assert_eq!(again.code(), "payment_intent_unexpected_state");
    let late_amount = sim
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[("amount", "1300")],
            None,
        )
        .await;
    assert_eq!(late_amount.code(), "payment_intent_unexpected_state");
    // Metadata can still change; an empty value removes a key.
    let metadata = sim
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[("metadata[order]", "")],
            None,
        )
        .await;
    assert_eq!(metadata.body["metadata"], serde_json::json!({}));
    assert_eq!(sim.handle.counters().authorizations, 1);

    assert_eq!(
        sim.hook(&format!("/sim/stripe/payment_intents/{id}/expire"))
            .await,
        200
    );
    let expired = sim.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(expired.str("/status"), "canceled");
    assert_eq!(expired.str("/cancellation_reason"), "automatic");
    let types = event_types(&sim.handle);
    assert!(types.ends_with(&[
        "charge.expired".to_owned(),
        "payment_intent.canceled".to_owned()
    ]));
    sim.handle.shutdown().await;
}

/// Never a panic, whatever the body or query.
#[tokio::test]
async fn arbitrary_input_gets_an_answer() {
    let sim = Sim::start().await;
    let bodies = [
        "",
        "&&&",
        "=",
        "a",
        "[",
        "]",
        "%",
        "%ZZ",
        "amount=%FF%FE",
        "a[]=1&a[x]=2",
        "a[0]=1&a[]=2",
        "expand[99999999999999999999]=x",
        "amount=99999999999999999999999&currency=usd",
        "amount=-5&currency=usd",
        "metadata[]=x",
        "payment_method_data[card]=x",
    ];
    for body in bodies {
        for path in [
            "/v1/payment_intents",
            "/v1/refunds",
            "/v1/payment_intents/pi_x/capture",
        ] {
            let reply: Reply = sim.post_raw(path, body.to_owned(), None).await;
            assert!(
                (400..500).contains(&reply.status),
                "{path} {body}: {reply:?}"
            );
            assert!(reply.body["error"].is_object(), "{path} {body}");
        }
    }
    sim.handle.shutdown().await;
}

/// The ids of a list answer's objects, in order.
fn listed_ids(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.str("/object"), "list", "{reply:?}");
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn payment_intents_are_listed_newest_first_with_filters_and_cursors() {
    let sim = Sim::start().await;
    let mut made = Vec::new();
    for i in 0..5 {
        let order = format!("ORD-{i}");
        let reply = sim
            .pay(
                "pm_card_visa",
                1000 + i,
                true,
                &[("metadata[reference]", &order)],
            )
            .await;
        made.push(reply.str("/id"));
    }
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();

    let all = sim.get("/v1/payment_intents").await;
    assert_eq!(listed_ids(&all), newest_first);
    assert_eq!(all.str("/url"), "/v1/payment_intents");
    assert_eq!(all.body["has_more"], false);
    assert_eq!(all.str("/data/0/metadata/reference"), "ORD-4");

    let first = sim.get("/v1/payment_intents?limit=2").await;
    assert_eq!(listed_ids(&first), newest_first[..2]);
    assert_eq!(first.body["has_more"], true);
    let second = sim
        .get(&format!(
            "/v1/payment_intents?limit=2&starting_after={}",
            newest_first[1]
        ))
        .await;
    assert_eq!(listed_ids(&second), newest_first[2..4]);
    assert_eq!(second.body["has_more"], true);
    let last = sim
        .get(&format!(
            "/v1/payment_intents?limit=2&starting_after={}",
            newest_first[3]
        ))
        .await;
    assert_eq!(listed_ids(&last), newest_first[4..]);
    assert_eq!(last.body["has_more"], false);
    let before = sim
        .get(&format!(
            "/v1/payment_intents?limit=2&ending_before={}",
            newest_first[3]
        ))
        .await;
    assert_eq!(listed_ids(&before), newest_first[1..3]);
    assert_eq!(before.body["has_more"], true);

    // `created`: a window around now holds them all, one in the past or future none.
    let t = now();
    let window = sim
        .get(&format!(
            "/v1/payment_intents?created[gte]={}&created[lte]={}&limit=100",
            t - 300,
            t + 600
        ))
        .await;
    assert_eq!(listed_ids(&window), newest_first);
    let past = sim
        .get(&format!("/v1/payment_intents?created[lt]={}", t - 300))
        .await;
    assert!(listed_ids(&past).is_empty());
    let future = sim
        .get(&format!("/v1/payment_intents?created[gt]={}", t + 300))
        .await;
    assert!(listed_ids(&future).is_empty());

    // Expansions name the objects' paths under `data.`.
    let expanded = sim
        .get("/v1/payment_intents?limit=1&expand[]=data.latest_charge")
        .await;
    assert!(
        expanded.body["data"][0]["latest_charge"].is_object(),
        "{expanded:?}"
    );
    assert!(all.body["data"][0]["latest_charge"].is_string());
    sim.get("/v1/payment_intents?expand[]=latest_charge")
        .await
        .assert_invalid("expand[0]");
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let sim = Sim::start().await;
    sim.get("/v1/payment_intents?limit=0")
        .await
        .assert_invalid("limit");
    sim.get("/v1/payment_intents?limit=101")
        .await
        .assert_invalid("limit");
    sim.get("/v1/payment_intents?limit=ten")
        .await
        .assert_invalid("limit");
    sim.get("/v1/payment_intents?created[after]=1")
        .await
        .assert_invalid("created[after]");
    sim.get("/v1/payment_intents?payment_intent=pi_1")
        .await
        .assert_invalid("payment_intent");
    sim.get("/v1/payment_intents?starting_after=pi_1&ending_before=pi_2")
        .await
        .assert_invalid("ending_before");
    let unknown = sim.get("/v1/payment_intents?starting_after=pi_nope").await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert_eq!(
        (unknown.code(), unknown.str("/error/param")),
        ("resource_missing".to_owned(), "starting_after".to_owned())
    );
    let no_payment = sim.get("/v1/refunds?payment_intent=pi_nope").await;
    assert_eq!(no_payment.status, 404, "{no_payment:?}");
    assert_eq!(no_payment.str("/error/param"), "payment_intent");
    // Like every API route: the key is needed, and faults apply.
    let anonymous = sim
        .client
        .get(sim.url("/v1/payment_intents"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    sim.handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let faulted = sim.get("/v1/refunds").await;
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.str("/error/type"), "api_error");
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn refunds_are_listed_per_payment_with_their_metadata() {
    let sim = Sim::start().await;
    let id = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let other = sim.pay("pm_card_visa", 1000, false, &[]).await.str("/id");
    let mut refunds = Vec::new();
    for (amount, reference) in [("100", "RF-1"), ("200", "RF-2"), ("300", "RF-3")] {
        let refund = sim
            .post(
                "/v1/refunds",
                &[
                    ("payment_intent", &id),
                    ("amount", amount),
                    ("metadata[reference]", reference),
                ],
                None,
            )
            .await;
        assert_eq!(refund.str("/metadata/reference"), reference, "{refund:?}");
        refunds.push(refund.str("/id"));
    }
    let elsewhere = sim
        .post("/v1/refunds", &[("payment_intent", &other)], None)
        .await
        .str("/id");

    let listed = sim
        .get(&format!("/v1/refunds?payment_intent={id}&limit=100"))
        .await;
    let newest_first: Vec<String> = refunds.iter().rev().cloned().collect();
    assert_eq!(listed_ids(&listed), newest_first);
    assert_eq!(listed.str("/url"), "/v1/refunds");
    assert_eq!(listed.str("/data/0/metadata/reference"), "RF-3");
    assert_eq!(listed.str("/data/2/payment_intent"), id);
    assert_eq!(listed.int("/data/1/amount"), 200);
    let mut everything = newest_first.clone();
    everything.insert(0, elsewhere.clone());
    assert_eq!(listed_ids(&sim.get("/v1/refunds").await), everything);
    let charge = sim
        .get(&format!("/v1/payment_intents/{other}"))
        .await
        .str("/latest_charge");
    assert_eq!(
        listed_ids(&sim.get(&format!("/v1/refunds?charge={charge}")).await),
        [elsewhere]
    );
    let page = sim
        .get(&format!(
            "/v1/refunds?payment_intent={id}&limit=1&starting_after={}",
            newest_first[0]
        ))
        .await;
    assert_eq!(listed_ids(&page), newest_first[1..2]);
    assert_eq!(page.body["has_more"], true);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn a_listed_refund_on_the_refund_fails_card_fails_as_when_retrieved() {
    let sim = Sim::start().await;
    let id = sim
        .pay(cards::PM_CARD_REFUND_FAIL, 1000, false, &[])
        .await
        .str("/id");
    let refund = sim
        .post("/v1/refunds", &[("payment_intent", &id)], None)
        .await;
    assert_eq!(refund.str("/status"), "succeeded");
    let listed = sim.get(&format!("/v1/refunds?payment_intent={id}")).await;
    assert_eq!(listed.str("/data/0/status"), "failed", "{listed:?}");
    assert_eq!(
        listed.str("/data/0/failure_reason"),
        "expired_or_canceled_card"
    );
    assert!(event_types(&sim.handle).contains(&"refund.failed".to_owned()));
    sim.handle.shutdown().await;
}
