//! External (third-party) 3DS on the Checkout.com simulator: a `3ds` object with a result
//! obtained elsewhere is checked, authorizes at once (no redirect), is recorded and read back;
//! a malformed one is a 422 in Checkout.com's error shape. Then the Checkout.com connector end
//! to end: what it sends, and no authentication value (CAVV) in its logs.
//!
//! How the bodies are validated: Checkout.com's 2021 payments document
//! (`specs/checkout-nas-payments-openapi.json`) checks every request and answer as a whole; its
//! `3dsRequest` has only `eci`, `cryptogram`, `xid` and `version` of the third-party members and
//! leaves the others open, so each `3ds` object sent is also checked against
//! `3dsRequestThirdParty` of Checkout.com's newer API reference
//! (`specs/checkout-tokens-openapi.json`, where it is bundled), with the two published quirks of
//! that schema (`type: long`, `type: datetime`) read as the types they mean.

#![allow(clippy::unwrap_used)]

mod common;

use common::{payment, Reply, Sim};
use paybridge_connector_tests::openapi::{read_spec, OpenApi};
use paybridge_connector_tests::targets::checkout::target_at;
use paybridge_connector_tests::traffic::{check_against, RecordingProxy};
use paybridge_connector_tests::LogCapture;
use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::*;
use paybridge_sandbox::checkout::cards;
use serde_json::{json, Value};

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";
const DS_TRANS_ID: &str = "f25084f0-5b16-4c0a-ae5d-b24808a95e4b";

/// The payments document and the third-party `3ds` schema.
struct Specs {
    payments: OpenApi,
    third_party: OpenApi,
}

impl Specs {
    fn load() -> Specs {
        let third_party = OpenApi::checkout_tokens().unwrap();
        // The request's `3ds` is one of the three schemas, the third-party one among them.
        let doc: Value =
            serde_json::from_str(&read_spec("checkout-tokens-openapi.json").unwrap()).unwrap();
        assert!(doc["x-payment-request-3ds"]["value"]["oneOf"]
            .as_array()
            .unwrap()
            .contains(&json!({"$ref": "#/components/schemas/3dsRequestThirdParty"})));
        Specs {
            payments: OpenApi::checkout_payments().unwrap(),
            third_party,
        }
    }

    /// A `POST /payments` body: the whole against the payments document, its `3ds` against
    /// `3dsRequestThirdParty`.
    fn request(&self, body: &Value) {
        match self.payments.check_request("post", "/payments", body) {
            Ok(true) => {}
            other => panic!("{other:?}\n{body:#}"),
        }
        if let Err(violation) = self
            .third_party
            .check_component("3dsRequestThirdParty", &body["3ds"])
        {
            panic!("{violation:#?}\n{:#}", body["3ds"]);
        }
    }

    fn reply(&self, method: &str, path: &str, reply: &Reply) {
        match self
            .payments
            .check_response(method, path, reply.status, &reply.body)
        {
            Ok(true) => {}
            other => panic!("{other:?}\n{:#}", reply.body),
        }
    }
}

/// The third-party `3ds` object a connector sends for a frictionless `Y`.
fn third_party() -> Value {
    json!({"enabled": true, "eci": "05", "cryptogram": CAVV, "xid": DS_TRANS_ID,
           "version": "2.2.0", "status": "Y", "flow_type": "frictionless"})
}

fn with_3ds(sim: &Sim, card: &str, three_ds: Value) -> Value {
    let mut body = payment(&sim.config, card, 1500, false, false);
    body["3ds"] = three_ds;
    body["success_url"] = json!("https://shop.test/ok");
    body["failure_url"] = json!("https://shop.test/ko");
    body
}

#[tokio::test]
async fn a_third_party_result_authorizes_at_once_and_is_recorded() {
    let specs = Specs::load();
    let sim = Sim::start().await;

    // Without a result, 3DS is Checkout.com's: a redirect.
    let redirect = sim
        .post(
            "/payments",
            &with_3ds(&sim, cards::VISA_APPROVED, json!({"enabled": true})),
            None,
        )
        .await;
    assert_eq!(redirect.status, 202, "{redirect:?}");
    assert!(!redirect.str("/_links/redirect/href").is_empty());

    // With one: authorized now, no redirect.
    let body = with_3ds(&sim, cards::VISA_APPROVED, third_party());
    specs.request(&body);
    let before = sim.handle.counters();
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.str("/status"), "Authorized");
    assert_eq!(reply.body["approved"], true);
    assert!(reply.body["_links"].get("redirect").is_none(), "{reply:?}");
    assert_eq!(
        reply.body["3ds"],
        json!({"downgraded": false, "enrolled": "Y"})
    );
    assert_eq!(reply.str("/eci"), "05");
    assert_eq!(
        sim.handle.counters().authorizations,
        before.authorizations + 1
    );
    specs.reply("post", "/payments", &reply);

    // What arrived: in the payment's details (the document's `3dsData`) and whole in the
    // simulator's record.
    let id = reply.str("/id");
    let details = sim.get(&format!("/payments/{id}")).await;
    specs.reply("get", "/payments/{id}", &details);
    assert_eq!(
        details.body["3ds"],
        json!({"downgraded": false, "enrolled": "Y", "authentication_response": "Y",
               "cryptogram": CAVV, "xid": DS_TRANS_ID, "version": "2.2.0"})
    );
    assert_eq!(details.str("/eci"), "05");
    let record = sim.get(&format!("/sim/payments/{id}/3ds")).await;
    assert_eq!(record.status, 200);
    assert_eq!(record.body, json!({"3ds": third_party()}));
    // A payment without one has no record.
    let plain = sim.pay(cards::VISA_APPROVED, 100, false, false).await;
    let none = sim
        .get(&format!("/sim/payments/{}/3ds", plain.str("/id")))
        .await;
    assert_eq!(none.status, 404);

    // A challenged, attempted result with every optional member the schema has.
    let mut full = third_party();
    for (member, value) in [
        ("status", json!("A")),
        ("eci", json!("06")),
        ("status_reason_code", json!("01")),
        ("flow_type", json!("challenged")),
        ("challenge_indicator", json!("challenge_requested")),
        ("exemption", json!("low_value")),
        ("version", json!("2.3.1")),
        ("authentication_date", json!("2026-03-10T10:11:12Z")),
        ("authentication_amount", json!(1500)),
    ] {
        full[member] = value;
    }
    let body = with_3ds(&sim, cards::MASTERCARD_APPROVED, full.clone());
    specs.request(&body);
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.str("/status"), "Authorized");
    let record = sim
        .get(&format!("/sim/payments/{}/3ds", reply.str("/id")))
        .await;
    assert_eq!(record.body["3ds"], full);
}

#[tokio::test]
async fn a_declining_card_declines_whatever_the_result() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let body = with_3ds(&sim, cards::INSUFFICIENT_FUNDS, third_party());
    let reply = sim.post("/payments", &body, None).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.str("/status"), "Declined");
    assert_eq!(reply.str("/response_code"), "20051");
    specs.reply("post", "/payments", &reply);
}

#[tokio::test]
async fn a_malformed_result_is_a_422_in_checkouts_error_shape() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "cryptogram",
            json!("not base64 at all!"),
            "3ds_cryptogram_invalid",
        ),
        ("cryptogram", json!("AAAB="), "3ds_cryptogram_invalid"),
        (
            "cryptogram",
            json!("A".repeat(52)),
            "3ds_cryptogram_invalid",
        ),
        ("cryptogram", Value::Null, "3ds_cryptogram_required"),
        ("eci", Value::Null, "3ds_eci_required"),
        ("eci", json!("105"), "3ds_eci_invalid"),
        ("xid", json!("x".repeat(101)), "3ds_xid_invalid"),
        ("version", json!("2.2.0-build-7"), "3ds_version_invalid"),
        ("status", json!("YES"), "3ds_status_invalid"),
        ("flow_type", json!("decoupled"), "3ds_flow_type_invalid"),
        ("enabled", json!(false), "3ds_enabled_invalid"),
    ];
    let before = sim.handle.counters();
    for (member, value, code) in cases {
        let mut three_ds = third_party();
        if value.is_null() {
            three_ds.as_object_mut().unwrap().remove(member);
        } else {
            three_ds[member] = value.clone();
        }
        let reply = sim
            .post(
                "/payments",
                &with_3ds(&sim, cards::VISA_APPROVED, three_ds),
                None,
            )
            .await;
        assert_eq!(reply.status, 422, "{member} = {value}: {reply:?}");
        assert_eq!(reply.str("/error_type"), "request_invalid");
        assert_eq!(reply.codes(), [code], "{member} = {value}");
        assert!(!reply.str("/request_id").is_empty());
        assert!(!String::from_utf8_lossy(&reply.raw).contains(CAVV));
        specs.reply("post", "/payments", &reply);
    }
    assert_eq!(
        sim.handle.counters().authorizations,
        before.authorizations,
        "no payment was made"
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

fn authorize(number: &str, auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let card = PaymentMethod::Card(Card {
        number: CardNumber::new(number).unwrap(),
        expiry: CardExpiry::new(12, 2030).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: None,
    });
    let mut req = AuthorizeRequest::new(MinorUnit::new(2500).unwrap(), Currency::USD, card, "R3");
    req.capture_method = CaptureMethod::Manual;
    req.external_authentication = auth;
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_authorizes_with_the_result_and_logs_no_cavv() {
    let logs = LogCapture::install().expect("the only log capture of this test binary");
    let specs = Specs::load();
    let sim = Sim::start().await;
    let proxy = RecordingProxy::start(sim.handle.base_url()).await.unwrap();
    let checkout = target_at(&sim.config, proxy.url(), None)
        .connector()
        .unwrap();
    assert!(checkout.capabilities().external_authentication);

    let mut req = authorize(
        cards::VISA_APPROVED,
        Some(external(TransStatus::Authenticated, false)),
    );
    // Asked for 3DS too: the result stands for it, no redirect.
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let payment = checkout.authorize(&req).await.unwrap();
    assert_eq!(
        payment.status,
        PaymentStatus::RequiresCapture,
        "{payment:?}"
    );
    assert_eq!(payment.next_action, None);

    let exchanges = proxy.exchanges();
    assert_eq!(exchanges.len(), 1, "{exchanges:?}");
    let sent: Value = serde_json::from_slice(&exchanges[0].request_body).unwrap();
    assert_eq!(sent["3ds"], third_party());
    specs.request(&sent);
    // What the simulator recorded is what was sent.
    let id = &payment.connector_payment_id;
    let record = sim.get(&format!("/sim/payments/{id}/3ds")).await;
    assert_eq!(record.body["3ds"], sent["3ds"]);

    // A challenged result, and one the schema refuses before anything is sent.
    let challenged = checkout
        .authorize(&authorize(
            cards::MASTERCARD_APPROVED,
            Some(external(TransStatus::Attempted, true)),
        ))
        .await
        .unwrap();
    assert_eq!(challenged.status, PaymentStatus::RequiresCapture);
    let record = sim
        .get(&format!(
            "/sim/payments/{}/3ds",
            challenged.connector_payment_id
        ))
        .await;
    assert_eq!(record.body["3ds"]["flow_type"], "challenged");
    assert_eq!(record.body["3ds"]["status"], "A");
    let mut no_eci = external(TransStatus::Authenticated, false);
    no_eci.eci = None;
    let error = checkout
        .authorize(&authorize(cards::VISA_APPROVED, Some(no_eci)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::InvalidRequest {
                field: "external_authentication.eci",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(proxy.exchanges().len(), 2, "the refused one was not sent");

    // The payment's details carry the cryptogram back: read, and logged masked.
    let synced = checkout
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: id.clone(),
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();
    assert_eq!(synced.status, PaymentStatus::RequiresCapture);
    let exchanges = proxy.exchanges();
    let details: Value = serde_json::from_slice(&exchanges[2].response_body).unwrap();
    assert_eq!(details["3ds"]["cryptogram"], CAVV);

    let checked = check_against(&specs.payments, &exchanges);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    assert_eq!((checked.requests, checked.responses), (2, 3));

    let text = logs.text();
    assert!(text.contains("request body"), "nothing was logged");
    assert!(
        text.matches("\"cryptogram\":\"***\"").count() >= 3,
        "two requests and one answer logged masked: {text}"
    );
    assert!(!text.contains(CAVV), "the CAVV reached the logs");
    assert!(
        text.contains(DS_TRANS_ID),
        "the other members stay readable"
    );
}
