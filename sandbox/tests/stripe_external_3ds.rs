//! Imported 3DS results on the Stripe simulator (`payment_method_options[card][three_d_secure]`):
//! a valid one authorizes even a card that always requires 3DS, without `requires_action`, and
//! is reported on the Charge and recorded for tests; one that did not authenticate leaves 3DS
//! to Stripe; a malformed one is a 400 naming the parameter. Every request and answer is
//! validated against Stripe's 2024-04-10 document (`specs/stripe-payments-openapi.json`). Then
//! the Stripe connector end to end: what it sends, and no authentication value (CAVV) in its
//! logs.

#![allow(clippy::unwrap_used)]

mod stripe_common;

use paybridge_connector_tests::openapi::OpenApi;
use paybridge_connector_tests::targets::stripe::target_at;
use paybridge_connector_tests::traffic::{check_against, RecordingProxy};
use paybridge_connector_tests::LogCapture;
use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::*;
use paybridge_sandbox::stripe::cards;
use serde_json::{json, Value};
use stripe_common::{Reply, Sim};

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";
/// As form-encoded.
const CAVV_FORM: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA%3D";
const DS_TRANS_ID: &str = "f25084f0-5b16-4c0a-ae5d-b24808a95e4b";
const PREFIX: &str = "payment_method_options[card][three_d_secure]";

/// A form body with the brackets of its names readable, as the connector sends it (the schema
/// checks' decoder reads escaped brackets as characters of a name).
fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A manual-capture PaymentIntent confirmed with `payment_method`, the charge expanded, and
/// the imported result's `fields` (names inside `three_d_secure`).
fn intent(payment_method: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("amount", "2000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("capture_method", "manual"),
        ("payment_method", payment_method),
        ("payment_method_types[]", "card"),
        ("expand[]", "latest_charge"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in fields {
        pairs.push((format!("{PREFIX}[{name}]"), (*value).to_owned()));
    }
    for (name, value) in extra {
        pairs.push(((*name).to_owned(), (*value).to_owned()));
    }
    form(&pairs)
}

/// The fields of an imported result, by their names inside `three_d_secure`.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// The imported result of a frictionless `Y`, as the connector sends it.
fn frictionless() -> Vec<(&'static str, &'static str)> {
    vec![
        ("cryptogram", CAVV),
        ("transaction_id", DS_TRANS_ID),
        ("version", "2.2.0"),
        ("electronic_commerce_indicator", "05"),
        ("ares_trans_status", "Y"),
    ]
}

fn edited<'a>(edit: impl FnOnce(&mut Vec<(&'a str, &'a str)>)) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&'a str, &'a str)> = frictionless();
    edit(&mut fields);
    fields
}

struct Spec(OpenApi);

impl Spec {
    fn load() -> Spec {
        Spec(OpenApi::stripe_payments().unwrap())
    }

    /// Whether the document takes this `POST /v1/payment_intents` body.
    fn takes(&self, body: &str) -> bool {
        match self
            .0
            .check_form_request("post", "/v1/payment_intents", body.as_bytes())
        {
            Ok(true) => true,
            Ok(false) => panic!("no form schema"),
            Err(_) => false,
        }
    }

    fn answer(&self, method: &str, path: &str, reply: &Reply) {
        match self
            .0
            .check_response(method, path, reply.status, &reply.body)
        {
            Ok(true) => {}
            other => panic!("{method} {path}: {other:?}\n{:#}", reply.body),
        }
    }
}

async fn confirm(sim: &Sim, spec: &Spec, body: String) -> Reply {
    let reply = sim.post_raw("/v1/payment_intents", body, None).await;
    spec.answer("post", "/v1/payment_intents", &reply);
    reply
}

/// The Charge's `payment_method_details.card.three_d_secure`.
fn charge_3ds(reply: &Reply) -> Value {
    reply
        .body
        .pointer("/latest_charge/payment_method_details/card/three_d_secure")
        .cloned()
        .unwrap_or_else(|| panic!("no charge 3DS: {:#}", reply.body))
}

#[tokio::test]
async fn an_imported_result_authorizes_a_card_that_requires_3ds_without_requires_action() {
    let spec = Spec::load();
    let sim = Sim::start().await;

    // Without one: Stripe's own 3DS.
    for card in [
        cards::PM_CARD_AUTHENTICATION_REQUIRED,
        cards::PM_CARD_THREE_DS2_REQUIRED,
    ] {
        let body = intent(card, &[], &[]);
        assert!(spec.takes(&body));
        let reply = confirm(&sim, &spec, body).await;
        assert_eq!(reply.str("/status"), "requires_action", "{reply:?}");
    }

    // With a frictionless Y: authorized at once.
    let body = intent(
        cards::PM_CARD_AUTHENTICATION_REQUIRED,
        &frictionless(),
        &[("error_on_requires_action", "true")],
    );
    assert!(spec.takes(&body), "{body}");
    let before = sim.handle.counters();
    let reply = confirm(&sim, &spec, body).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.str("/status"), "requires_capture", "{reply:?}");
    assert_eq!(reply.body["next_action"], Value::Null);
    assert_eq!(
        sim.handle.counters().authorizations,
        before.authorizations + 1
    );
    assert_eq!(
        charge_3ds(&reply),
        json!({"authentication_flow": "frictionless", "electronic_commerce_indicator": "05",
               "exemption_indicator": null, "result": "authenticated", "result_reason": null,
               "transaction_id": DS_TRANS_ID, "version": "2.2.0"})
    );
    // The PaymentIntent does not echo it (its document has no such field) …
    assert!(
        reply.body["payment_method_options"]["card"]
            .get("three_d_secure")
            .is_none(),
        "{:#}",
        reply.body["payment_method_options"]
    );
    // … the simulator's record has it as it arrived.
    let id = reply.str("/id");
    let record = sim
        .get(&format!("/sim/stripe/payment_intents/{id}/three_d_secure"))
        .await;
    assert_eq!(record.status, 200);
    assert_eq!(
        record.body,
        json!({"three_d_secure": {"cryptogram": CAVV, "transaction_id": DS_TRANS_ID,
               "version": "2.2.0", "electronic_commerce_indicator": "05",
               "ares_trans_status": "Y"}})
    );
    let charge = sim
        .get(&format!("/v1/charges/{}", reply.str("/latest_charge/id")))
        .await;
    spec.answer("get", "/v1/charges/{charge}", &charge);

    // A challenge (`C`), an attempt (`A`), no ARes status: the flow follows.
    for (ares, flow, result) in [
        (Some("C"), json!("challenge"), "authenticated"),
        (Some("A"), json!("frictionless"), "attempt_acknowledged"),
        (None, Value::Null, "authenticated"),
    ] {
        let fields = edited(|f| {
            f.retain(|(n, _)| *n != "ares_trans_status");
            if let Some(ares) = ares {
                f.push(("ares_trans_status", ares));
            }
        });
        let body = intent(cards::PM_CARD_THREE_DS2_REQUIRED, &fields, &[]);
        assert!(spec.takes(&body));
        let reply = confirm(&sim, &spec, body).await;
        assert_eq!(
            reply.str("/status"),
            "requires_capture",
            "{ares:?}: {reply:?}"
        );
        let details = charge_3ds(&reply);
        assert_eq!(details["authentication_flow"], flow, "{ares:?}");
        assert_eq!(details["result"], result, "{ares:?}");
    }

    // An intent confirmed without one has no record.
    let plain = confirm(&sim, &spec, intent(cards::PM_CARD_VISA, &[], &[])).await;
    let none = sim
        .get(&format!(
            "/sim/stripe/payment_intents/{}/three_d_secure",
            plain.str("/id")
        ))
        .await;
    assert_eq!(none.status, 404);
    assert_eq!(charge_3ds(&plain), Value::Null);
}

#[tokio::test]
async fn a_result_that_did_not_authenticate_leaves_3ds_to_stripe_and_declines_still_decline() {
    let spec = Spec::load();
    let sim = Sim::start().await;
    for ares in ["N", "R", "U", "I"] {
        let fields = edited(|f| {
            f.retain(|(n, _)| *n != "ares_trans_status");
            f.push(("ares_trans_status", ares));
        });
        let body = intent(cards::PM_CARD_AUTHENTICATION_REQUIRED, &fields, &[]);
        assert!(spec.takes(&body));
        let reply = confirm(&sim, &spec, body).await;
        assert_eq!(reply.str("/status"), "requires_action", "{ares}: {reply:?}");
    }
    // With error_on_requires_action, as the connector sends it: declined, not redirected.
    let fields = edited(|f| {
        f.retain(|(n, _)| *n != "ares_trans_status");
        f.push(("ares_trans_status", "N"));
    });
    let body = intent(
        cards::PM_CARD_AUTHENTICATION_REQUIRED,
        &fields,
        &[("error_on_requires_action", "true")],
    );
    let reply = confirm(&sim, &spec, body).await;
    assert_eq!(reply.status, 402, "{reply:?}");
    assert_eq!(reply.code(), "authentication_required");

    // The issuer's verdict applies whatever the result.
    let body = intent(cards::PM_CARD_INSUFFICIENT_FUNDS, &frictionless(), &[]);
    let reply = confirm(&sim, &spec, body).await;
    assert_eq!(reply.status, 402, "{reply:?}");
    assert_eq!(reply.str("/error/decline_code"), "insufficient_funds");
}

#[tokio::test]
async fn a_malformed_result_is_a_400_naming_the_parameter() {
    let spec = Spec::load();
    let sim = Sim::start().await;
    let name = |field: &str| format!("{PREFIX}[{field}]");
    // (fields, the parameter named, Stripe's code, whether the document itself refuses it)
    let long = "A".repeat(40);
    let cases: Vec<(Fields<'_>, String, &str, bool)> = vec![
        (edited(|f| f[0].1 = "short"), name("cryptogram"), "", false),
        (edited(|f| f[0].1 = &long), name("cryptogram"), "", false),
        (
            edited(|f| f[0].1 = "AAABBEg0VhI0VniQEjRWAAAAAA=="),
            name("cryptogram"),
            "",
            false,
        ),
        (
            edited(|f| {
                f.remove(0);
            }),
            name("cryptogram"),
            "parameter_missing",
            true,
        ),
        (
            edited(|f| {
                f.remove(1);
            }),
            name("transaction_id"),
            "parameter_missing",
            true,
        ),
        (
            edited(|f| {
                f.remove(2);
            }),
            name("version"),
            "parameter_missing",
            true,
        ),
        (edited(|f| f[2].1 = "2.3.1"), name("version"), "", true),
        (
            edited(|f| f[3].1 = "00"),
            name("electronic_commerce_indicator"),
            "",
            true,
        ),
        (
            edited(|f| f[4].1 = "D"),
            name("ares_trans_status"),
            "",
            true,
        ),
        (
            edited(|f| f.push(("requestor_challenge_indicator", "00"))),
            name("requestor_challenge_indicator"),
            "",
            false,
        ),
        (
            edited(|f| f.push(("requestor_challenge_indicator", "123"))),
            name("requestor_challenge_indicator"),
            "",
            true,
        ),
        (
            edited(|f| f.push(("exemption_indicator", "high_risk"))),
            name("exemption_indicator"),
            "",
            true,
        ),
        (
            edited(|f| f.push(("liability_shift", "yes"))),
            name("liability_shift"),
            "parameter_unknown",
            // The document's hashes are open; Stripe refuses unknown parameters.
            false,
        ),
        (
            edited(|f| f.push(("network_options][cartes_bancaires][cb_avalgo", "1"))),
            "payment_method_options[card][network]".to_owned(),
            "",
            false,
        ),
    ];
    let before = sim.handle.counters();
    for (fields, param, code, documented) in cases {
        let body = intent(cards::PM_CARD_VISA, &fields, &[]);
        assert_eq!(spec.takes(&body), !documented, "{param}: {body}");
        let reply = confirm(&sim, &spec, body).await;
        reply.assert_invalid(&param);
        assert_eq!(reply.code(), code, "{param}: {reply:?}");
        let raw = String::from_utf8_lossy(&reply.raw);
        assert!(!raw.contains(CAVV) && !raw.contains(CAVV_FORM), "{raw}");
    }
    assert_eq!(
        sim.handle.counters().authorizations,
        before.authorizations,
        "no payment was attempted"
    );
}

fn external(status: TransStatus, challenged: bool) -> ExternalAuthentication {
    ExternalAuthentication {
        status,
        status_reason: None,
        eci: Some("05".into()),
        authentication_value: AuthenticationValue::new(CAVV).unwrap(),
        ds_transaction_id: DS_TRANS_ID.into(),
        message_version: "2.2.0".into(),
        challenged,
    }
}

fn authorize(method: PaymentMethod, auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(MinorUnit::new(2500).unwrap(), Currency::USD, method, "R3");
    req.capture_method = CaptureMethod::Manual;
    req.external_authentication = auth;
    req
}

fn pm(id: &str) -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new(id).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_authorizes_with_the_result_and_logs_no_cavv() {
    let logs = LogCapture::install().expect("the only log capture of this test binary");
    let spec = Spec::load();
    let sim = Sim::start().await;
    let proxy = RecordingProxy::start(sim.handle.base_url()).await.unwrap();
    let stripe = target_at(&sim.config, proxy.url(), None)
        .connector()
        .unwrap();
    assert!(stripe.capabilities().external_authentication);

    // A card that always requires 3DS, authenticated elsewhere: authorized, no redirect.
    let payment = stripe
        .authorize(&authorize(
            pm(cards::PM_CARD_AUTHENTICATION_REQUIRED),
            Some(external(TransStatus::Authenticated, false)),
        ))
        .await
        .unwrap();
    assert_eq!(
        payment.status,
        PaymentStatus::RequiresCapture,
        "{payment:?}"
    );
    assert_eq!(payment.next_action, None);
    let id = payment.connector_payment_id.clone();
    let record = sim
        .get(&format!("/sim/stripe/payment_intents/{id}/three_d_secure"))
        .await;
    assert_eq!(
        record.body["three_d_secure"],
        json!({"cryptogram": CAVV, "transaction_id": DS_TRANS_ID, "version": "2.2.0",
               "electronic_commerce_indicator": "05", "ares_trans_status": "Y"})
    );
    let sent = String::from_utf8_lossy(&proxy.exchanges()[0].request_body).into_owned();
    assert!(sent.contains("&error_on_requires_action=true&"), "{sent}");

    // A raw card that requires 3DS, challenged elsewhere: the PaymentMethod first, then the
    // PaymentIntent with the result; no ARes status is guessed.
    let card = PaymentMethod::Card(Card {
        number: CardNumber::new(cards::THREE_DS_REQUIRED).unwrap(),
        expiry: CardExpiry::new(12, 2034).unwrap(),
        cvc: Some(Cvc::new("123").unwrap()),
        holder_name: None,
    });
    let challenged = stripe
        .authorize(&authorize(
            card,
            Some(external(TransStatus::Attempted, true)),
        ))
        .await
        .unwrap();
    assert_eq!(
        challenged.status,
        PaymentStatus::RequiresCapture,
        "{challenged:?}"
    );
    let record = sim
        .get(&format!(
            "/sim/stripe/payment_intents/{}/three_d_secure",
            challenged.connector_payment_id
        ))
        .await;
    assert!(
        record.body["three_d_secure"]
            .get("ares_trans_status")
            .is_none(),
        "{:#}",
        record.body
    );

    // A 2.3.1 result is refused before anything is sent.
    let sent_before = proxy.exchanges().len();
    let mut newer = external(TransStatus::Authenticated, false);
    newer.message_version = "2.3.1".into();
    let error = stripe
        .authorize(&authorize(pm(cards::PM_CARD_VISA), Some(newer)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::InvalidRequest {
                field: "external_authentication.message_version",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(proxy.exchanges().len(), sent_before, "nothing was sent");

    // Sync reads the Charge's 3DS details.
    let synced = stripe
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: id,
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();
    assert_eq!(synced.status, PaymentStatus::RequiresCapture);

    let exchanges = proxy.exchanges();
    let checked = check_against(&spec.0, &exchanges);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    // The two PaymentIntents, the card's PaymentMethod; their answers and the sync's.
    assert!(
        checked.requests >= 3 && checked.responses >= 4,
        "{checked:?}"
    );

    let text = logs.text();
    assert!(text.contains("request body"), "nothing was logged");
    assert!(
        text.matches("payment_method_options[card][three_d_secure][cryptogram]=***")
            .count()
            >= 2,
        "both PaymentIntents logged masked: {text}"
    );
    assert!(
        !text.contains(CAVV) && !text.contains(CAVV_FORM),
        "the CAVV reached the logs"
    );
    assert!(
        text.contains(DS_TRANS_ID),
        "the other parameters stay readable"
    );
}
