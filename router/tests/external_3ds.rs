//! Issue 20: external 3-D Secure through the router. A payment created with
//! `request_external_three_ds_authentication` waits before any processor sees it, is
//! authenticated at the merchant's 3DS server (the 3dsecure.io simulator, in-process), and is
//! authorized with the result; the authentication value reaches the processor's request (its
//! simulator's record) and nothing else.

mod common;

use std::time::{Duration, Instant};

use common::*;
use paybridge_connector_tests::authentication::Cardholder;
use paybridge_connector_tests::targets::threedsecureio::{cards, SimulatedBrowser};
use paybridge_core::authentication::{Challenge, ThreeDsMethod};
use paybridge_router::authentication::AuthenticationConfig;
use paybridge_router::domain::authentication::Fallback;
use paybridge_sandbox::Fault;
use serde_json::{json, Value};

/// The connectors whose capabilities say they authorize with an external result.
const TAKING_RESULTS: [&str; 2] = ["checkout", "stripe"];

fn pan(card: &paybridge_core::Card) -> String {
    card.number.expose().to_owned()
}

/// Cards that both the 3DS server and `connector`'s simulator know, by 3DS outcome. Stripe's
/// test mode takes only its own cards; the router's 3DS server simulator answers three of them
/// like its test cards (`cards::PROCESSOR_TEST_CARDS`).
struct Cards {
    frictionless_y: String,
    frictionless_n: String,
    challenge: String,
}

fn cards_for(connector: &str) -> Cards {
    use paybridge_sandbox::stripe::cards as stripe;
    match connector {
        "stripe" => Cards {
            frictionless_y: stripe::VISA.into(),
            frictionless_n: stripe::MASTERCARD.into(),
            challenge: stripe::VISA_DEBIT.into(),
        },
        _ => Cards {
            frictionless_y: pan(&cards().authenticated),
            frictionless_n: pan(&cards().not_authenticated),
            challenge: luhn(paybridge_sandbox::threedsecureio::cards::VISA_CHALLENGE_MANUAL),
        },
    }
}

fn luhn(pan: &str) -> String {
    paybridge_sandbox::threedsecureio::cards::luhn_valid(pan)
}

async fn authenticate(router: &TestRouter, payment_id: &str, body: Value) -> Answer {
    router
        .call(
            "POST",
            &format!("/payments/{payment_id}/3ds/authentication"),
            Some(body),
        )
        .await
}

async fn retrieve(router: &TestRouter, payment_id: &str) -> Value {
    router
        .call("GET", &format!("/payments/{payment_id}"), None)
        .await
        .body
}

/// The 3DS result the processor's simulator received with `payment`'s authorization, or
/// `None` when it received none.
async fn received_result(router: &TestRouter, connector: &str, payment: &Value) -> Option<Value> {
    let id = payment["connector_transaction_id"]
        .as_str()
        .expect("processor id");
    let base = router.simulator(connector).base_url();
    let (path, member) = match connector {
        "checkout" => (format!("sim/payments/{id}/3ds"), "3ds"),
        _ => (
            format!("sim/stripe/payment_intents/{id}/three_d_secure"),
            "three_d_secure",
        ),
    };
    let response = router
        .client
        .get(base.join(&path).expect("url"))
        .send()
        .await
        .expect("simulator answers");
    if response.status() == 404 {
        return None;
    }
    let body: Value = response.json().await.expect("JSON");
    Some(body[member].clone())
}

/// The cryptogram and directory server transaction id as `connector`'s request names them.
fn cryptogram_and_ds_id(connector: &str, result: &Value) -> (Value, Value) {
    match connector {
        "checkout" => (result["cryptogram"].clone(), result["xid"].clone()),
        _ => (
            result["cryptogram"].clone(),
            result["transaction_id"].clone(),
        ),
    }
}

/// Runs the 3DS Method of `payment`'s `three_ds_invoke`, as the customer's browser would.
async fn run_method(payment: &Value) -> bool {
    let details = &payment["next_action"]["three_ds_data"]["three_ds_method_details"];
    let method = ThreeDsMethod {
        url: details["three_ds_method_url"]
            .as_str()
            .expect("a method URL")
            .parse()
            .expect("a URL"),
        data: details["three_ds_method_data"]
            .as_str()
            .expect("method data")
            .to_owned(),
    };
    SimulatedBrowser::new()
        .run_method(&method)
        .await
        .expect("the method page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frictionless_success_authorizes_with_the_result_on_each_connector() {
    let router = TestRouter::start().await;
    let matrix = router.call("GET", "/connectors", None).await.body;
    for entry in matrix["connectors"].as_array().expect("connectors") {
        let name = entry["connector"].as_str().expect("name");
        assert_eq!(
            entry["external_authentication"] == true,
            TAKING_RESULTS.contains(&name),
            "{name}: {entry:#}"
        );
    }
    for connector in TAKING_RESULTS {
        let requests = router.simulator(connector).counters().requests;
        let created = router
            .create(external_3ds_payment(
                connector,
                &cards_for(connector).frictionless_y,
            ))
            .await;
        assert_eq!(created["status"], "requires_customer_action", "{created:#}");
        assert_eq!(created["connector"], connector);
        assert_eq!(created["next_action"]["type"], "three_ds_invoke");
        let data = &created["next_action"]["three_ds_data"];
        let payment_id = id(&created);
        assert_eq!(
            data["three_ds_authentication_url"],
            format!("/payments/{payment_id}/3ds/authentication")
        );
        assert_eq!(
            data["three_ds_method_details"]["three_ds_method_data_submission"],
            true
        );
        assert_eq!(data["message_version"], "2.2.0");
        assert_eq!(data["directory_server_id"], "visa");
        assert_eq!(created["external_3ds_authentication_attempted"], true);
        assert_eq!(
            created["external_authentication_details"]["status"],
            "started"
        );
        assert_eq!(
            router.simulator(connector).counters().requests,
            requests,
            "{connector}: nothing reaches the processor before authentication"
        );
        let eligibility = router
            .call("GET", &format!("/payments/{payment_id}/eligibility"), None)
            .await
            .body;
        assert_eq!(
            eligibility["operations"]["external_3ds_authentication"]["eligible"], true,
            "{eligibility:#}"
        );
        assert_eq!(eligibility["operations"]["capture"]["eligible"], false);

        assert!(run_method(&created).await, "the 3DS Method completes");
        let answer = authenticate(
            &router,
            &payment_id,
            json!({"device_channel": "BRW", "threeds_method_comp_ind": "Y"}),
        )
        .await;
        assert_eq!(answer.status, 200, "{connector}: {:#}", answer.body);
        assert_eq!(answer.body["trans_status"], "Y");
        assert_eq!(
            answer.body["status"], "requires_capture",
            "{:#}",
            answer.body
        );
        assert!(answer.body["acs_url"].is_null());

        let payment = retrieve(&router, &payment_id).await;
        let details = &payment["external_authentication_details"];
        assert_eq!(details["status"], "success", "{payment:#}");
        assert_eq!(details["authentication_flow"], "frictionless");
        assert_eq!(details["electronic_commerce_indicator"], "05");
        assert_eq!(details["ds_transaction_id"], answer.body["ds_trans_id"]);
        assert!(payment["next_action"].is_null());

        // The ARes's values, and only they, reached the processor.
        let server_id = answer.body["three_ds_server_trans_id"]
            .as_str()
            .expect("id");
        let record = three_ds_transaction(&router, server_id).await;
        let cavv = record["ares"]["authenticationValue"].clone();
        assert!(cavv.is_string(), "the ARes had a value: {record:#}");
        let sent = received_result(&router, connector, &payment)
            .await
            .expect("the processor received a 3DS result");
        let (cryptogram, ds_id) = cryptogram_and_ds_id(connector, &sent);
        assert_eq!(cryptogram, cavv, "{connector}: {sent:#}");
        assert_eq!(ds_id, record["ares"]["dsTransID"], "{connector}: {sent:#}");
        assert!(
            !payment.to_string().contains(cavv.as_str().unwrap_or("?")),
            "the payment object never shows the authentication value"
        );

        let captured = router
            .call(
                "POST",
                &format!("/payments/{payment_id}/capture"),
                Some(json!({})),
            )
            .await;
        assert_eq!(captured.status, 200, "{:#}", captured.body);
        assert_eq!(captured.body["status"], "succeeded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_completes_through_the_acs_page_and_complete_authorize() {
    let router = TestRouter::start().await;
    for connector in TAKING_RESULTS {
        for pass in [true, false] {
            // A manual challenge: the cardholder's choice on the ACS page decides.
            let created = router
                .create(external_3ds_payment(
                    connector,
                    &cards_for(connector).challenge,
                ))
                .await;
            let payment_id = id(&created);
            let answer = authenticate(&router, &payment_id, json!({})).await;
            assert_eq!(answer.status, 200, "{:#}", answer.body);
            assert_eq!(answer.body["trans_status"], "C", "{:#}", answer.body);
            assert_eq!(answer.body["status"], "requires_customer_action");
            let challenge = Challenge {
                acs_url: answer.body["acs_url"]
                    .as_str()
                    .expect("acs_url")
                    .parse()
                    .expect("URL"),
                creq: answer.body["challenge_request"]
                    .as_str()
                    .expect("creq")
                    .to_owned(),
                mandated: false,
            };
            let waiting = retrieve(&router, &payment_id).await;
            assert_eq!(
                waiting["external_authentication_details"]["status"],
                "pending"
            );
            assert_eq!(
                waiting["next_action"]["three_ds_data"]["challenge"]["acs_url"],
                answer.body["acs_url"]
            );
            let requests = router.simulator(connector).counters().requests;

            let early = router
                .call(
                    "POST",
                    &format!("/payments/{payment_id}/complete_authorize"),
                    Some(json!({})),
                )
                .await;
            assert_eq!(early.status, 409, "{:#}", early.body);
            assert_eq!(early.code(), "customer_action_incomplete");
            assert_eq!(
                retrieve(&router, &payment_id).await["status"],
                "requires_customer_action",
                "asking early changes nothing"
            );

            SimulatedBrowser::new()
                .take_challenge(&challenge, pass)
                .await
                .expect("the challenge page");
            let completed = router
                .call(
                    "POST",
                    &format!("/payments/{payment_id}/complete_authorize"),
                    Some(json!({})),
                )
                .await;
            assert_eq!(completed.status, 200, "{:#}", completed.body);
            let payment = completed.body;
            let details = &payment["external_authentication_details"];
            assert_eq!(details["authentication_flow"], "challenge", "{payment:#}");
            if pass {
                assert_eq!(payment["status"], "requires_capture", "{payment:#}");
                assert_eq!(details["status"], "success");
                let server_id = details["three_ds_server_trans_id"].as_str().expect("id");
                let record = three_ds_transaction(&router, server_id).await;
                let cavv = record["rreq"]["authenticationValue"].clone();
                let sent = received_result(&router, connector, &payment)
                    .await
                    .expect("a 3DS result");
                assert_eq!(cryptogram_and_ds_id(connector, &sent).0, cavv, "{sent:#}");
            } else {
                assert_eq!(payment["status"], "failed", "{payment:#}");
                assert_eq!(payment["error_code"], "authentication_failed");
                assert_eq!(details["status"], "failed");
                assert_eq!(details["trans_status"], "N");
                assert_eq!(
                    router.simulator(connector).counters().requests,
                    requests,
                    "{connector}: a failed challenge authorizes nothing"
                );
            }
        }
    }
}

/// Merchant one's settings with both fallbacks `fallback`.
fn with_fallback(config: &mut paybridge_router::RouterConfig, fallback: Fallback) {
    config.merchants[0].authentication = Some(AuthenticationConfig {
        connector: "threedsecureio".into(),
        merchant_name: "Fallback Shop".into(),
        merchant_country_code: "826".into(),
        mcc: "5732".into(),
        acquirer_bin: "400551".into(),
        acquirer_merchant_id: "fallback-1".into(),
        requestor_url: "https://shop.example/".into(),
        notification_url: None,
        method_notification_url: None,
        on_not_authenticated: fallback,
        on_unavailable: fallback,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_other_than_success_end_as_the_merchant_policy_says() {
    let strict = TestRouter::start_configured(|c| with_fallback(c, Fallback::Fail)).await;
    let lenient =
        TestRouter::start_configured(|c| with_fallback(c, Fallback::AuthorizeWithout3ds)).await;
    let c = cards();
    let not_enrolled = pan(c.not_enrolled.as_ref().expect("a not-enrolled card"));
    // (card, strict outcome, lenient outcome)
    for connector in TAKING_RESULTS {
        let mut cases = vec![(
            cards_for(connector).frictionless_n,
            "authentication_failed",
            true,
        )];
        if connector == "checkout" {
            // Outcomes no Stripe test card has at the 3DS server; what they lead to does not
            // depend on the processor.
            cases.push((pan(&c.rejected), "authentication_rejected", false));
            cases.push((pan(&c.unavailable), "authentication_unavailable", true));
        }
        for (card, code, lenient_authorizes) in &cases {
            for (router, authorizes) in [(&strict, false), (&lenient, *lenient_authorizes)] {
                let requests = router.simulator(connector).counters().requests;
                let created = router.create(external_3ds_payment(connector, card)).await;
                let answer = authenticate(router, &id(&created), json!({})).await;
                assert_eq!(answer.status, 200, "{:#}", answer.body);
                let payment = retrieve(router, &id(&created)).await;
                assert_eq!(
                    payment["external_authentication_details"]["status"],
                    "failed"
                );
                if authorizes {
                    assert_eq!(payment["status"], "requires_capture", "{code}: {payment:#}");
                    assert_eq!(
                        received_result(router, connector, &payment).await,
                        None,
                        "{connector}: authorized without 3DS, no result is sent"
                    );
                } else {
                    assert_eq!(payment["status"], "failed", "{code}: {payment:#}");
                    assert_eq!(payment["error_code"], *code, "{payment:#}");
                    assert_eq!(
                        router.simulator(connector).counters().requests,
                        requests,
                        "{connector} {code}: nothing reaches the processor"
                    );
                }
            }
        }
        if connector != "checkout" {
            continue;
        }
        // A card without 3DS2 is found at creation.
        let failed = strict
            .create(external_3ds_payment(connector, &not_enrolled))
            .await;
        assert_eq!(failed["status"], "failed", "{failed:#}");
        assert_eq!(failed["error_code"], "authentication_unavailable");
        assert_eq!(
            failed["external_authentication_details"]["error_code"],
            "card_not_enrolled"
        );
        let authorized = lenient
            .create(external_3ds_payment(connector, &not_enrolled))
            .await;
        assert_eq!(authorized["status"], "requires_capture", "{authorized:#}");
        assert_eq!(
            authorized["external_authentication_details"]["status"],
            "failed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_states_and_bad_input_are_refused_and_change_nothing() {
    let router = TestRouter::start().await;
    let card = pan(&cards().authenticated);

    let mut no_browser = external_3ds_payment("checkout", &card);
    no_browser["browser_info"] = json!({"language": "en-GB"});
    let answer = router.call("POST", "/payments", Some(no_browser)).await;
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert_eq!(answer.code(), "browser_info_required");
    assert!(
        answer.message().contains("accept_header"),
        "{}",
        answer.message()
    );

    let mut no_three_ds = external_3ds_payment("checkout", &card);
    no_three_ds["authentication_type"] = json!("no_three_ds");
    let answer = router.call("POST", "/payments", Some(no_three_ds)).await;
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert_eq!(answer.code(), "invalid_authentication_type");

    let answer = router
        .call(
            "POST",
            "/payments",
            Some(external_3ds_payment("primer", &card)),
        )
        .await;
    assert_eq!(answer.status, 422, "{:#}", answer.body);
    assert!(
        answer.message().contains("external 3DS"),
        "{}",
        answer.message()
    );
    let passed_over = router
        .create(body_with_connectors(&["primer", "checkout"], &card))
        .await;
    assert_eq!(passed_over["connector"], "checkout");

    let plain = router
        .create(payment("checkout", 1000, true, TestCard::Approved))
        .await;
    let answer = authenticate(&router, &id(&plain), json!({})).await;
    assert_eq!(answer.status, 409, "{:#}", answer.body);
    assert_eq!(answer.code(), "external_authentication_not_requested");

    let waiting = router.create(external_3ds_payment("checkout", &card)).await;
    let payment_id = id(&waiting);
    let answer = router
        .call(
            "POST",
            &format!("/payments/{payment_id}/complete_authorize"),
            Some(json!({})),
        )
        .await;
    assert_eq!(answer.status, 409, "{:#}", answer.body);
    assert_eq!(answer.code(), "authentication_not_run");
    let answer = authenticate(&router, &payment_id, json!({"device_channel": "TV"})).await;
    assert_eq!(answer.code(), "invalid_device_channel");
    let answer = authenticate(
        &router,
        &payment_id,
        json!({"threeds_method_comp_ind": "maybe"}),
    )
    .await;
    assert_eq!(answer.code(), "invalid_threeds_method_comp_ind");
    let other = router
        .raw(
            "POST",
            &format!("/payments/{payment_id}/3ds/authentication"),
            Some(OTHER_KEY),
            None,
            Some("{}"),
        )
        .await;
    assert_eq!(other.status, 404, "another merchant's payment is not found");
    assert_eq!(
        retrieve(&router, &payment_id).await["external_authentication_details"]["status"],
        "started",
        "refused calls change nothing"
    );

    let done = authenticate(&router, &payment_id, json!({})).await;
    assert_eq!(done.body["status"], "requires_capture", "{:#}", done.body);
    let again = authenticate(&router, &payment_id, json!({})).await;
    assert_eq!(again.status, 409, "{:#}", again.body);
    assert_eq!(again.code(), "authentication_already_run");

    // Cancelled while waiting: no processor call, and no authentication after.
    let abandoned = router.create(external_3ds_payment("checkout", &card)).await;
    let requests = router.simulator("checkout").counters().requests;
    let cancelled = router
        .call(
            "POST",
            &format!("/payments/{}/cancel", id(&abandoned)),
            Some(json!({"cancellation_reason": "customer left"})),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancellation_reason"], "customer left");
    assert_eq!(router.simulator("checkout").counters().requests, requests);
    let late = authenticate(&router, &id(&abandoned), json!({})).await;
    assert_eq!(late.status, 409, "{:#}", late.body);
}

fn body_with_connectors(connectors: &[&str], pan: &str) -> Value {
    let mut request = external_3ds_payment(connectors[0], pan);
    request["connector"] = json!(connectors);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_whose_card_is_no_longer_held_fails_clearly() {
    // A second router on the same database: the card was held in the first one's memory,
    // as after a restart.
    let first = TestRouter::start().await;
    let created = first
        .create(external_3ds_payment(
            "checkout",
            &pan(&cards().authenticated),
        ))
        .await;
    let database_url = first.database_url.clone();
    let second = TestRouter::start_configured(|c| c.database_url = database_url).await;
    let answer = authenticate(&second, &id(&created), json!({})).await;
    assert_eq!(answer.status, 409, "{:#}", answer.body);
    assert_eq!(answer.code(), "authentication_data_expired");
    let payment = retrieve(&second, &id(&created)).await;
    assert_eq!(payment["status"], "failed");
    assert_eq!(payment["error_code"], "authentication_data_expired");
}

/// A router whose reconciler decides "never received" `window_secs` after sending, and a
/// Checkout.com payment created longer ago than that, still waiting for its authentication.
async fn waiting_longer_than_the_window(window_secs: u64) -> (TestRouter, Value) {
    let router = TestRouter::start_configured(|config| {
        config.reconciler = fast_reconciler(window_secs);
    })
    .await;
    let created = router
        .create(external_3ds_payment(
            "checkout",
            &pan(&cards().authenticated),
        ))
        .await;
    tokio::time::sleep(Duration::from_secs(window_secs + 1)).await;
    (router, created)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_whose_answer_is_lost_settles_from_the_processor() {
    // Authentication is slower than the 3-second "never received" window: the lookup must
    // count from when the authorization was sent, not from the payment's creation.
    let (router, created) = waiting_longer_than_the_window(3).await;
    let sim = router.simulator("checkout");
    for _ in 0..6 {
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(CONNECTOR_TIMEOUT_MS + 1500),
            after_processing: true,
        });
    }
    let answer = authenticate(&router, &id(&created), json!({})).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(
        answer.body["status"], "processing",
        "a lost answer is not a failure: {:#}",
        answer.body
    );
    sim.clear_faults();
    let path = format!("/payments/{}", id(&created));
    let settled = settles(&router, &path, |p| p["status"] != "processing").await;
    assert_eq!(settled["status"], "requires_capture", "{settled:#}");
    assert!(settled["connector_transaction_id"].is_string());
    assert_eq!(
        settled["external_authentication_details"]["status"],
        "success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_authorization_is_given_its_full_window_from_when_it_was_sent() {
    // The customer takes longer than the window between creation and authentication.
    let (router, created) = waiting_longer_than_the_window(5).await;
    let sim = router.simulator("checkout");
    for _ in 0..6 {
        sim.inject(Fault::DropConnection {
            after_processing: false,
        });
    }
    let answer = authenticate(&router, &id(&created), json!({})).await;
    assert_eq!(answer.body["status"], "processing", "{:#}", answer.body);
    let sent = Instant::now();
    // Well inside the window counted from sending: not concluded yet.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = retrieve(&router, &id(&created)).await;
    assert_eq!(
        waiting["status"],
        "processing",
        "concluded 'never received' {} ms after sending: {waiting:#}",
        sent.elapsed().as_millis()
    );
    sim.clear_faults();
    let path = format!("/payments/{}", id(&created));
    let settled = settles(&router, &path, |p| p["status"] != "processing").await;
    assert_eq!(settled["status"], "failed", "{settled:#}");
    assert_eq!(settled["error_code"], "not_found_at_processor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_notification_page_acknowledges_what_the_acs_sent() {
    let router = TestRouter::start().await;
    for (form, received) in [
        (vec![("cres", "eyJ0cmFuc1N0YXR1cyI6IlkifQ")], "cres"),
        (vec![("threeDSMethodData", "eyJ4IjoxfQ")], "three_ds_method"),
        (vec![], "nothing"),
    ] {
        // The customer's browser posts here: no api-key.
        let answer: Value = router
            .client
            .post(format!("{}/3ds/notification", router.base))
            .form(&form)
            .send()
            .await
            .expect("router answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(answer["received"], received, "{answer:#}");
        assert!(answer["message"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_hears_of_a_payment_waiting_for_authentication_and_of_its_end() {
    let router = TestRouter::start_configured(|c| {
        c.merchants[0].webhook = Some(paybridge_router::events::WebhookEndpointConfig {
            url: "http://127.0.0.1:9/events".into(),
            secrets: vec!["whsec_external_3ds_test_secret_0001".into()],
            events: None,
            enabled: true,
        });
        // Events wait in the database: the list shows what was written.
        c.merchant_webhooks.enabled = false;
    })
    .await;
    let events_of = |payment: &Value| format!("/events?object_id={}", id(payment));
    let waiting = router
        .create(external_3ds_payment(
            "checkout",
            &pan(&cards().authenticated),
        ))
        .await;
    let not_enrolled = pan(cards().not_enrolled.as_ref().expect("a card"));
    let failed = router
        .create(external_3ds_payment("checkout", &not_enrolled))
        .await;
    assert_eq!(failed["status"], "failed");
    authenticate(&router, &id(&waiting), json!({})).await;
    let types = |listed: Value| -> Vec<String> {
        let mut types: Vec<String> = listed["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["event_type"].as_str().map(str::to_owned))
            .collect();
        types.sort();
        types
    };
    let waited = router.call("GET", &events_of(&waiting), None).await.body;
    // Waiting, then stored as processing while its authorization was sent, then authorized.
    assert_eq!(
        types(waited),
        [
            "payment_processing",
            "payment_requires_capture",
            "payment_requires_customer_action"
        ]
    );
    let ended = router.call("GET", &events_of(&failed), None).await.body;
    assert_eq!(types(ended), ["payment_failed"]);
}

/// The create request of [`external_3ds_payment`] without browser data: an app's payment.
fn app_payment(connector: &str, pan: &str) -> Value {
    let mut body = external_3ds_payment(connector, pan);
    body.as_object_mut().map(|b| b.remove("browser_info"));
    body
}

/// `sdk`'s data as the authentication call's `sdk_information`.
fn sdk_body(sdk: &paybridge_core::authentication::SdkInformation) -> Value {
    json!({
        "sdk_app_id": sdk.app_id,
        "sdk_enc_data": sdk.encrypted_data,
        "sdk_ephem_pub_key": sdk.ephemeral_public_key,
        "sdk_trans_id": sdk.transaction_id,
        "sdk_reference_number": sdk.reference_number,
        "sdk_max_timeout": sdk.max_timeout_minutes,
        "sdk_interface": "03",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_authenticates_frictionless_and_through_its_sdk_challenge() {
    use paybridge_connector_tests::authentication::AppSdk;
    use paybridge_connector_tests::targets::threedsecureio::SimulatedSdk;
    let router = TestRouter::start().await;
    let app = SimulatedSdk::new();
    for connector in TAKING_RESULTS {
        // Frictionless.
        let created = router
            .create(app_payment(connector, &cards_for(connector).frictionless_y))
            .await;
        let payment_id = id(&created);
        let browser = authenticate(&router, &payment_id, json!({"device_channel": "BRW"})).await;
        assert_eq!(browser.status, 400, "{:#}", browser.body);
        assert_eq!(browser.code(), "browser_info_required");
        let sdk = app.sdk_information();
        let answer = authenticate(
            &router,
            &payment_id,
            json!({"device_channel": "APP", "sdk_information": sdk_body(&sdk)}),
        )
        .await;
        assert_eq!(answer.status, 200, "{connector}: {:#}", answer.body);
        assert_eq!(answer.body["trans_status"], "Y", "{:#}", answer.body);
        assert_eq!(answer.body["status"], "requires_capture");
        assert!(answer.body["acs_url"].is_null());
        let server_id = answer.body["three_ds_server_trans_id"]
            .as_str()
            .expect("id");
        let record = three_ds_transaction(&router, server_id).await;
        assert_eq!(record["areq"]["deviceChannel"], "01", "{record:#}");
        assert_eq!(record["areq"]["sdkTransID"], json!(sdk.transaction_id));
        let payment = retrieve(&router, &payment_id).await;
        let sent = received_result(&router, connector, &payment)
            .await
            .expect("a 3DS result");
        assert_eq!(
            cryptogram_and_ds_id(connector, &sent).0,
            record["ares"]["authenticationValue"],
            "{connector}: {sent:#}"
        );

        // A challenge the app's SDK runs.
        let created = router
            .create(app_payment(connector, &cards_for(connector).challenge))
            .await;
        let payment_id = id(&created);
        let sdk = app.sdk_information();
        let answer = authenticate(
            &router,
            &payment_id,
            json!({"device_channel": "APP", "sdk_information": sdk_body(&sdk)}),
        )
        .await;
        assert_eq!(answer.body["trans_status"], "C", "{:#}", answer.body);
        assert_eq!(answer.body["status"], "requires_customer_action");
        assert!(answer.body["acs_url"].is_null(), "no browser challenge");
        assert!(answer.body["acs_reference_number"].is_string());
        let signed = answer.body["acs_signed_content"]
            .as_str()
            .expect("the SDK's signed content");
        app.take_challenge(
            signed,
            answer.body["acs_trans_id"].as_str().expect("acs id"),
            answer.body["three_ds_server_trans_id"]
                .as_str()
                .expect("3DS server id"),
            answer.body["message_version"].as_str().expect("version"),
            &sdk.transaction_id,
            true,
        )
        .await
        .expect("the SDK's challenge");
        let completed = router
            .call(
                "POST",
                &format!("/payments/{payment_id}/complete_authorize"),
                Some(json!({})),
            )
            .await;
        assert_eq!(completed.status, 200, "{:#}", completed.body);
        assert_eq!(
            completed.body["status"], "requires_capture",
            "{:#}",
            completed.body
        );
        let details = &completed.body["external_authentication_details"];
        assert_eq!(details["authentication_flow"], "challenge");
        let server_id = details["three_ds_server_trans_id"].as_str().expect("id");
        let record = three_ds_transaction(&router, server_id).await;
        let sent = received_result(&router, connector, &completed.body)
            .await
            .expect("a 3DS result");
        assert_eq!(
            cryptogram_and_ds_id(connector, &sent).0,
            record["rreq"]["authenticationValue"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_authentication_without_usable_sdk_data_is_refused_and_changes_nothing() {
    use paybridge_connector_tests::authentication::AppSdk;
    use paybridge_connector_tests::targets::threedsecureio::SimulatedSdk;
    let router = TestRouter::start().await;
    let created = router
        .create(app_payment("checkout", &pan(&cards().authenticated)))
        .await;
    let payment_id = id(&created);
    let sdk = sdk_body(&SimulatedSdk::new().sdk_information());
    let mut short_timeout = sdk.clone();
    short_timeout["sdk_max_timeout"] = json!(3);
    let mut not_a_uuid = sdk.clone();
    not_a_uuid["sdk_app_id"] = json!("my-app");
    let cases = [
        (
            json!({"device_channel": "APP"}),
            400,
            "sdk_information_required",
        ),
        (
            json!({"device_channel": "BRW", "sdk_information": sdk}),
            400,
            "invalid_device_channel",
        ),
        (
            json!({"device_channel": "APP", "sdk_information": short_timeout}),
            400,
            "invalid_sdk_information",
        ),
        // Refused by the 3DS server's connector before sending, naming the field.
        (
            json!({"device_channel": "APP", "sdk_information": not_a_uuid}),
            400,
            "invalid_request",
        ),
    ];
    for (body, status, code) in cases {
        let answer = authenticate(&router, &payment_id, body).await;
        assert_eq!(answer.status, status, "{:#}", answer.body);
        assert_eq!(answer.code(), code, "{:#}", answer.body);
    }
    let payment = retrieve(&router, &payment_id).await;
    assert_eq!(payment["status"], "requires_customer_action");
    assert_eq!(
        payment["external_authentication_details"]["status"],
        "started"
    );
    let good = authenticate(
        &router,
        &payment_id,
        json!({"device_channel": "APP", "sdk_information": sdk_body(&SimulatedSdk::new().sdk_information())}),
    )
    .await;
    assert_eq!(good.body["status"], "requires_capture", "{:#}", good.body);
}
