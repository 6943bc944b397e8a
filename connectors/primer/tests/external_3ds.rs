//! External 3DS on Primer: not supported, because Primer's v2.2 document has no field for a 3DS
//! result on `POST /payments`. The capabilities say so (core then refuses before sending), the
//! translation refuses one too, and the document is checked to still lack the field.

#![allow(clippy::unwrap_used)]

use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::*;
use paybridge_primer::Primer;
use serde_json::Value;

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";

fn primer() -> Primer {
    let config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "prk_test");
    Primer::new(&config).unwrap()
}

fn request(auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let token = PaymentMethodToken::new("heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4").unwrap();
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::EUR,
        PaymentMethod::Token(token),
        "ORD-1",
    );
    req.external_authentication = auth;
    req
}

fn result() -> ExternalAuthentication {
    ExternalAuthentication {
        status: TransStatus::Authenticated,
        status_reason: None,
        eci: Some("05".into()),
        authentication_value: AuthenticationValue::new(CAVV).unwrap(),
        ds_transaction_id: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b".into(),
        message_version: "2.2.0".into(),
        challenged: false,
    }
}

#[test]
fn the_capabilities_do_not_take_an_external_result() {
    assert!(!primer().capabilities().external_authentication);
}

#[test]
fn the_translation_refuses_one_rather_than_drop_it() {
    let error = primer().authorize(&request(Some(result()))).unwrap_err();
    match &error {
        ConnectorError::NotSupported {
            connector, flow, ..
        } => {
            assert_eq!(*connector, "primer");
            assert_eq!(*flow, Flow::Authorize);
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{error} {error:?}").contains(CAVV));
    // Without one the same payment is sent.
    assert!(primer().authorize(&request(None)).is_ok());
}

/// The reason for "not supported": `PaymentCreationAPIRequest` is closed and none of its members
/// (nor those of the objects it names) can carry an ECI, a cryptogram or a 3DS transaction id.
#[test]
fn primers_payment_request_has_no_field_for_a_3ds_result() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/primer-v2.2-openapi.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let request = &doc["paths"]["/payments"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(request, "#/components/schemas/PaymentCreationAPIRequest");
    let root = &schemas["PaymentCreationAPIRequest"];
    assert_eq!(root["additionalProperties"], false);
    // Every property name reachable from the request.
    let mut names = Vec::new();
    let mut seen = Vec::new();
    let mut todo = vec![root.clone()];
    while let Some(schema) = todo.pop() {
        match schema {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let name = target
                        .trim_start_matches("#/components/schemas/")
                        .to_owned();
                    if !seen.contains(&name) {
                        todo.push(schemas[&name].clone());
                        seen.push(name);
                    }
                }
                if let Some(Value::Object(properties)) = map.get("properties") {
                    names.extend(properties.keys().cloned());
                }
                todo.extend(map.into_iter().map(|(_, v)| v));
            }
            Value::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    assert!(
        names.contains(&"paymentMethodToken".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"vaultOn3DS".to_owned()), "{names:?}");
    for name in &names {
        let lower = name.to_ascii_lowercase();
        assert_ne!(lower, "xid", "xid may carry a 3DS result");
        for part in ["eci", "cavv", "cryptogram", "authentication", "transid"] {
            assert!(
                !lower.contains(part),
                "{name} may carry a 3DS result: revisit Primer's external 3DS"
            );
        }
        // `vaultOn3DS` is a flag (vault the card when 3DS succeeds), not a result.
        assert!(
            !lower.contains("3ds") || name == "vaultOn3DS",
            "{name} may carry a 3DS result: revisit Primer's external 3DS"
        );
    }
}
