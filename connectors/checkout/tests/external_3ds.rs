//! External 3DS on Checkout.com, without a server: the third-party `3ds` object sent with a
//! result obtained elsewhere, nothing of it without one, values the schema does not take
//! refused by name before sending, and the authentication value (CAVV) in no masked body,
//! `Debug` or error.

#![allow(clippy::unwrap_used)]

use paybridge_checkout::Checkout;
use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::http::{ContentType, Exchange};
use paybridge_core::masking::mask_body;
use paybridge_core::*;
use serde_json::{json, Value};

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";
const DS_TRANS_ID: &str = "f25084f0-5b16-4c0a-ae5d-b24808a95e4b";

fn checkout() -> Checkout {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_sbox_test");
    config
        .extra
        .insert("processing_channel_id".into(), "pc_test".into());
    Checkout::new(&config).unwrap()
}

fn card() -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: None,
    })
}

/// A change to a valid result.
type Edit = Box<dyn Fn(&mut ExternalAuthentication)>;

fn result(status: TransStatus, challenged: bool) -> ExternalAuthentication {
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

fn request(auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::EUR,
        card(),
        "ORD-3DS",
    );
    req.external_authentication = auth;
    req
}

fn body<T>(exchange: &Exchange<T>) -> Value {
    serde_json::from_str(exchange.request().body_text().unwrap()).unwrap()
}

fn refused(auth: ExternalAuthentication) -> (&'static str, String) {
    match checkout().authorize(&request(Some(auth))) {
        Err(ConnectorError::InvalidRequest { field, message }) => (field, message),
        Err(other) => panic!("not an InvalidRequest: {other:?}"),
        Ok(exchange) => panic!("sent {}", exchange.request().body_text().unwrap()),
    }
}

#[test]
fn a_frictionless_result_is_sent_as_the_third_party_3ds_object() {
    let exchange = checkout()
        .authorize(&request(Some(result(TransStatus::Authenticated, false))))
        .unwrap();
    let sent = body(&exchange);
    assert_eq!(
        sent["3ds"],
        json!({
            "enabled": true,
            "eci": "05",
            "cryptogram": CAVV,
            "xid": DS_TRANS_ID,
            "version": "2.2.0",
            "status": "Y",
            "flow_type": "frictionless",
        })
    );
    // The rest of the payment is unchanged by it.
    assert_eq!(sent["source"]["type"], "card");
    assert_eq!(sent["amount"], 1000);
    assert_eq!(sent["reference"], "ORD-3DS");
}

#[test]
fn a_challenged_or_attempted_result_says_so_and_carries_its_reason() {
    let mut auth = result(TransStatus::Attempted, true);
    auth.eci = Some("06".into());
    auth.status_reason = Some("01".into());
    auth.message_version = "2.3.1".into();
    let mut req = request(Some(auth));
    // Asking for 3DS as well changes nothing: the authentication is done.
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let sent = body(&checkout().authorize(&req).unwrap());
    assert_eq!(
        sent["3ds"],
        json!({
            "enabled": true,
            "eci": "06",
            "cryptogram": CAVV,
            "xid": DS_TRANS_ID,
            "version": "2.3.1",
            "status": "A",
            "status_reason_code": "01",
            "flow_type": "challenged",
        })
    );
}

#[test]
fn without_an_external_result_nothing_of_it_is_sent() {
    let sent = body(&checkout().authorize(&request(None)).unwrap());
    assert!(sent.get("3ds").is_none(), "{sent}");
    let mut req = request(None);
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let sent = body(&checkout().authorize(&req).unwrap());
    assert_eq!(sent["3ds"], json!({"enabled": true}));
    let text = sent.to_string();
    for member in ["eci", "cryptogram", "xid", "flow_type", "\"status\""] {
        assert!(!text.contains(member), "{member} in {text}");
    }
}

#[test]
fn values_the_schema_does_not_take_are_refused_by_name_before_sending() {
    let cases: Vec<(&str, Edit)> = vec![
        ("external_authentication.eci", Box::new(|a| a.eci = None)),
        (
            "external_authentication.eci",
            Box::new(|a| a.eci = Some(" ".into())),
        ),
        (
            "external_authentication.eci",
            Box::new(|a| a.eci = Some("005".into())),
        ),
        (
            "external_authentication.ds_transaction_id",
            Box::new(|a| a.ds_transaction_id = String::new()),
        ),
        (
            "external_authentication.ds_transaction_id",
            Box::new(|a| a.ds_transaction_id = "x".repeat(101)),
        ),
        (
            "external_authentication.message_version",
            Box::new(|a| a.message_version = "2.2.0-rc.1.7".into()),
        ),
        (
            "external_authentication.message_version",
            Box::new(|a| a.message_version = String::new()),
        ),
        (
            "external_authentication.status_reason",
            Box::new(|a| a.status_reason = Some("1".into())),
        ),
        (
            "external_authentication.status_reason",
            Box::new(|a| a.status_reason = Some("011".into())),
        ),
        (
            "external_authentication.status",
            Box::new(|a| a.status = TransStatus::NotAuthenticated),
        ),
        (
            "external_authentication.status",
            Box::new(|a| a.status = TransStatus::ChallengeRequired),
        ),
    ];
    for (expected, edit) in cases {
        let mut auth = result(TransStatus::Authenticated, false);
        edit(&mut auth);
        let (field, message) = refused(auth);
        assert_eq!(field, expected, "{message}");
        assert!(!message.contains(CAVV), "{message}");
    }
    // At the limits: accepted.
    let mut auth = result(TransStatus::Authenticated, false);
    auth.ds_transaction_id = "x".repeat(100);
    auth.message_version = "2.10.10.10".into();
    auth.eci = Some("7".into());
    let sent = body(&checkout().authorize(&request(Some(auth))).unwrap());
    assert_eq!(sent["3ds"]["xid"].as_str().unwrap().len(), 100);
    assert_eq!(sent["3ds"]["version"], "2.10.10.10");
    assert_eq!(sent["3ds"]["eci"], "7");
}

#[test]
fn the_cavv_is_in_no_masked_body_debug_or_error() {
    let checkout = checkout();
    let req = request(Some(result(TransStatus::Authenticated, false)));
    let exchange = checkout.authorize(&req).unwrap();
    let raw = exchange.request().body_text().unwrap().to_owned();
    assert!(raw.contains(CAVV), "the processor gets it");
    let masked = mask_body(
        Some(ContentType::Json),
        raw.as_bytes(),
        checkout.wire_profile().sensitive_fields,
    );
    assert!(!masked.contains(CAVV), "{masked}");
    let masked: Value = serde_json::from_str(&masked).unwrap();
    assert_eq!(masked["3ds"]["cryptogram"], "***");
    // The other members stay readable in logs.
    assert_eq!(masked["3ds"]["xid"], DS_TRANS_ID);
    assert_eq!(masked["3ds"]["eci"], "05");
    for shown in [
        format!("{req:?}"),
        format!("{:?}", exchange.request()),
        format!("{:?}", req.external_authentication),
    ] {
        assert!(!shown.contains(CAVV), "{shown}");
    }
    let mut bad = result(TransStatus::Authenticated, false);
    bad.eci = Some("123".into());
    let error = checkout.authorize(&request(Some(bad))).unwrap_err();
    assert!(!format!("{error} {error:?}").contains(CAVV));
}

#[test]
fn the_capabilities_take_an_external_result() {
    assert!(checkout().capabilities().external_authentication);
}

#[test]
fn the_wire_types_debug_hides_the_cryptogram() {
    let wire = paybridge_checkout::wire::ThirdParty {
        eci: "05",
        cryptogram: paybridge_checkout::wire::Cryptogram(CAVV),
        xid: DS_TRANS_ID,
        version: "2.2.0",
        status: "Y",
        status_reason_code: None,
        flow_type: "frictionless",
    };
    let shown = format!("{wire:?}");
    assert!(!shown.contains(CAVV), "{shown}");
    assert!(shown.contains(DS_TRANS_ID), "{shown}");
    assert_eq!(
        serde_json::to_value(&wire).unwrap()["cryptogram"],
        CAVV,
        "serialized as it is"
    );
}
