//! External 3DS on Stripe, without a server: the imported result's form parameters
//! (`payment_method_options[card][three_d_secure][…]`, `error_on_requires_action`), nothing of
//! them without one, values Stripe's 2024-04-10 document does not take refused by name before
//! sending, and the authentication value (CAVV) in no masked body, `Debug` or error.

#![allow(clippy::unwrap_used)]

use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::http::{ContentType, Exchange, HttpResponse, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::*;
use paybridge_stripe::Stripe;

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";
/// As form-encoded: `+`, `/` and `=` are escaped.
const CAVV_FORM: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA%3D";
const DS_TRANS_ID: &str = "f25084f0-5b16-4c0a-ae5d-b24808a95e4b";

fn stripe() -> Stripe {
    let config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_test_abc");
    Stripe::new(&config).unwrap()
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

fn request(payment_method: &str, auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let method = PaymentMethod::Token(PaymentMethodToken::new(payment_method).unwrap());
    let mut req = AuthorizeRequest::new(MinorUnit::new(2000).unwrap(), Currency::EUR, method, "R1");
    req.external_authentication = auth;
    req
}

fn form<T>(exchange: &Exchange<T>) -> String {
    exchange.request().body_text().unwrap().to_owned()
}

fn refused(auth: ExternalAuthentication) -> (&'static str, String) {
    match stripe().authorize(&request("pm_card_visa", Some(auth))) {
        Err(ConnectorError::InvalidRequest { field, message }) => (field, message),
        Err(other) => panic!("not an InvalidRequest: {other:?}"),
        Ok(exchange) => panic!("sent {}", form(&exchange)),
    }
}

#[test]
fn a_frictionless_result_is_imported_with_every_field_the_document_has() {
    let exchange = stripe()
        .authorize(&request(
            "pm_card_visa",
            Some(result(TransStatus::Authenticated, false)),
        ))
        .unwrap();
    assert_eq!(
        form(&exchange),
        format!(
            "amount=2000&currency=eur&confirm=true&capture_method=automatic\
             &payment_method=pm_card_visa&payment_method_types[]=card\
             &payment_method_options[card][three_d_secure][cryptogram]={CAVV_FORM}\
             &payment_method_options[card][three_d_secure][transaction_id]={DS_TRANS_ID}\
             &payment_method_options[card][three_d_secure][version]=2.2.0\
             &payment_method_options[card][three_d_secure][electronic_commerce_indicator]=05\
             &payment_method_options[card][three_d_secure][ares_trans_status]=Y\
             &error_on_requires_action=true\
             &metadata[reference]=R1&expand[]=latest_charge"
        )
    );
    // A form decoder reads back the value exactly.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form(&exchange).as_bytes())
        .into_owned()
        .collect();
    assert!(pairs.contains(&(
        "payment_method_options[card][three_d_secure][cryptogram]".into(),
        CAVV.into()
    )));
}

#[test]
fn after_a_challenge_the_ares_status_is_not_guessed_and_3ds_is_not_asked_for_again() {
    let mut auth = result(TransStatus::Attempted, true);
    auth.eci = None;
    auth.message_version = "2.1.0".into();
    let mut req = request("pm_card_visa", Some(auth));
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    req.authorization_type = AuthorizationType::Estimated;
    let sent = form(&stripe().authorize(&req).unwrap());
    assert_eq!(
        sent,
        format!(
            "amount=2000&currency=eur&confirm=true&capture_method=automatic\
             &payment_method=pm_card_visa&payment_method_types[]=card\
             &payment_method_options[card][request_incremental_authorization]=if_available\
             &payment_method_options[card][three_d_secure][cryptogram]={CAVV_FORM}\
             &payment_method_options[card][three_d_secure][transaction_id]={DS_TRANS_ID}\
             &payment_method_options[card][three_d_secure][version]=2.1.0\
             &error_on_requires_action=true\
             &return_url=https://shop.test/back\
             &metadata[reference]=R1&expand[]=latest_charge"
        )
    );
}

#[test]
fn a_raw_card_pays_with_the_same_imported_result_in_its_second_call() {
    let card = PaymentMethod::Card(Card {
        number: CardNumber::new("4000002760003184").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: None,
    });
    let mut req = request(
        "pm_card_visa",
        Some(result(TransStatus::Authenticated, false)),
    );
    req.payment_method = card;
    let first = stripe().authorize(&req).unwrap();
    assert!(
        !form(&first).contains("three_d_secure"),
        "the PaymentMethod carries no 3DS: {}",
        form(&first)
    );
    let created = HttpResponse::new(200, r#"{"id":"pm_1Pm","object":"payment_method"}"#);
    let Step::Next(intent) = first.parse(created).unwrap() else {
        panic!("a raw card takes two calls")
    };
    let direct = stripe()
        .authorize(&request(
            "pm_1Pm",
            Some(result(TransStatus::Authenticated, false)),
        ))
        .unwrap();
    assert_eq!(form(&intent), form(&direct));
}

#[test]
fn without_an_external_result_nothing_of_it_is_sent() {
    let sent = form(&stripe().authorize(&request("pm_card_visa", None)).unwrap());
    assert!(!sent.contains("three_d_secure"), "{sent}");
    assert!(!sent.contains("error_on_requires_action"), "{sent}");
    let mut req = request("pm_card_visa", None);
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let sent = form(&stripe().authorize(&req).unwrap());
    assert!(
        sent.contains("&payment_method_options[card][request_three_d_secure]=any&"),
        "{sent}"
    );
    assert!(!sent.contains("[three_d_secure]"), "{sent}");
    assert!(!sent.contains("error_on_requires_action"), "{sent}");
}

#[test]
fn values_the_document_does_not_take_are_refused_by_name_before_sending() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "external_authentication.message_version",
            Box::new(|a| a.message_version = "2.3.1".into()),
        ),
        (
            "external_authentication.message_version",
            Box::new(|a| a.message_version = "2.3.0".into()),
        ),
        (
            "external_authentication.message_version",
            Box::new(|a| a.message_version = "2.2".into()),
        ),
        (
            "external_authentication.eci",
            Box::new(|a| a.eci = Some("00".into())),
        ),
        (
            "external_authentication.eci",
            Box::new(|a| a.eci = Some("5".into())),
        ),
        (
            "external_authentication.ds_transaction_id",
            Box::new(|a| a.ds_transaction_id = " ".into()),
        ),
        (
            "external_authentication.ds_transaction_id",
            Box::new(|a| a.ds_transaction_id = "x".repeat(5001)),
        ),
        (
            "external_authentication.status",
            Box::new(|a| a.status = TransStatus::Unavailable),
        ),
    ];
    for (expected, edit) in cases {
        let mut auth = result(TransStatus::Authenticated, false);
        edit(&mut auth);
        let (field, message) = refused(auth);
        assert_eq!(field, expected, "{message}");
        assert!(!message.contains(CAVV), "{message}");
    }
    let mut auth = result(TransStatus::Authenticated, false);
    auth.message_version = "2.3.1".into();
    let (_, message) = refused(auth);
    assert!(
        message.contains("1.0.2, 2.1.0, 2.2.0") && message.contains("2.3.1"),
        "the message says what Stripe takes: {message}"
    );
    // Every value of the document's enums is taken.
    for version in ["1.0.2", "2.1.0", "2.2.0"] {
        for eci in ["01", "02", "05", "06", "07"] {
            let mut auth = result(TransStatus::Authenticated, false);
            auth.message_version = version.into();
            auth.eci = Some(eci.into());
            let sent = form(
                &stripe()
                    .authorize(&request("pm_card_visa", Some(auth)))
                    .unwrap(),
            );
            assert!(sent.contains(&format!("[version]={version}&")), "{sent}");
            assert!(
                sent.contains(&format!("[electronic_commerce_indicator]={eci}&")),
                "{sent}"
            );
        }
    }
}

#[test]
fn the_cavv_is_in_no_masked_body_debug_or_error() {
    let stripe = stripe();
    let req = request(
        "pm_card_visa",
        Some(result(TransStatus::Authenticated, false)),
    );
    let exchange = stripe.authorize(&req).unwrap();
    let raw = form(&exchange);
    let masked = mask_body(
        Some(ContentType::Form),
        raw.as_bytes(),
        stripe.wire_profile().sensitive_fields,
    );
    assert!(
        !masked.contains(CAVV) && !masked.contains(CAVV_FORM),
        "{masked}"
    );
    assert!(
        masked.contains("payment_method_options[card][three_d_secure][cryptogram]=***"),
        "{masked}"
    );
    assert!(
        masked.contains(&format!(
            "payment_method_options[card][three_d_secure][transaction_id]={DS_TRANS_ID}"
        )),
        "{masked}"
    );
    for shown in [format!("{req:?}"), format!("{:?}", exchange.request())] {
        assert!(
            !shown.contains(CAVV) && !shown.contains(CAVV_FORM),
            "{shown}"
        );
    }
    let mut bad = result(TransStatus::Authenticated, false);
    bad.message_version = "2.3.1".into();
    let error = stripe
        .authorize(&request("pm_card_visa", Some(bad)))
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains(CAVV));
}

#[test]
fn the_wire_types_debug_hides_the_cryptogram() {
    let wire = paybridge_stripe::wire::ThreeDSecure {
        cryptogram: CAVV.into(),
        transaction_id: DS_TRANS_ID.into(),
        version: "2.2.0",
        electronic_commerce_indicator: Some("05"),
        ares_trans_status: Some("Y"),
    };
    let shown = format!("{wire:?}");
    assert!(!shown.contains(CAVV), "{shown}");
    assert!(shown.contains(DS_TRANS_ID), "{shown}");
}

#[test]
fn the_capabilities_take_an_external_result() {
    assert!(stripe().capabilities().external_authentication);
}
