//! The `3ds` object of `POST /payments`: `3dsRequest` (`enabled`: Checkout.com authenticates
//! the cardholder, behind a redirect) or `3dsRequestThirdParty` (the result of an
//! authentication a 3DS server outside Checkout.com ran: external, or "third-party MPI", 3DS).
//!
//! The third-party schema is in Checkout.com's API reference, bundled in
//! `specs/checkout-tokens-openapi.json` (`components/schemas/3dsRequestThirdParty`, named by
//! the extension `x-payment-request-3ds`); the 2021 payments document's `3dsRequest` has only
//! `eci`, `cryptogram`, `xid` and `version` of it. The simulator checks it as that schema says:
//!
//! | member | rule | code when broken \[U: Checkout.com does not document these codes\] |
//! |---|---|---|
//! | `enabled` | `true` (the schema's `enum: [true]`) | `3ds_enabled_invalid` |
//! | `eci` | required; 1–2 characters (the schema: at most 2; an empty one is refused too) | `3ds_eci_required`, `3ds_eci_invalid` |
//! | `cryptogram` | required; base64 (the schema: "Base64 encoded … (CAVV)") of at most 50 characters | `3ds_cryptogram_required`, `3ds_cryptogram_invalid` |
//! | `xid` | required; 1–100 characters | `3ds_xid_required`, `3ds_xid_invalid` |
//! | `version` | required; 1–10 characters | `3ds_version_required`, `3ds_version_invalid` |
//! | `status` | exactly 1 character | `3ds_status_invalid` |
//! | `status_reason_code` | exactly 2 characters | `3ds_status_reason_code_invalid` |
//! | `flow_type` | `challenged`, `frictionless`, `frictionless_delegated` | `3ds_flow_type_invalid` |
//! | `challenge_indicator` | `no_preference`, `no_challenge_requested`, `challenge_requested`, `challenge_requested_mandate` | `3ds_challenge_indicator_invalid` |
//! | `exemption` | the schema's ten values | `3ds_exemption_invalid` |
//! | `cryptogram_algorithm` | exactly 1 character | `3ds_cryptogram_algorithm_invalid` |
//! | `score`, `challenge_cancel_reason` | strings | `3ds_score_invalid`, `3ds_challenge_cancel_reason_invalid` |
//! | `authentication_date` | an RFC 3339 date-time (the schema's `type: datetime`), or null | `3ds_authentication_date_invalid` |
//! | `authentication_amount` | an integer ≥ 0 (the schema's `type: long`), or null | `3ds_authentication_amount_invalid` |
//!
//! The schema requires `xid` and `version` with `eci` and `cryptogram`; Checkout.com's prose is
//! laxer (`xid` "required if using an external MPI with 3D Secure 2.X.X and a Mastercard card,
//! or with 3D Secure 1.X.X"; `version` "defaults to 1.0.0") \[U: which the live API applies\].
//! The simulator follows the schema. A `3ds` object is third-party when it has any member of
//! the schema beyond `enabled`, `exemption`, `challenge_indicator`, `allow_upgrade` and
//! `attempt_n3d` (which `3dsRequest` has too). Unknown members are ignored and not kept, as
//! everywhere in the simulator.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Members only a third-party (external) result has.
const THIRD_PARTY_MEMBERS: &[&str] = &[
    "eci",
    "cryptogram",
    "xid",
    "version",
    "status",
    "status_reason_code",
    "flow_type",
    "challenge_cancel_reason",
    "score",
    "cryptogram_algorithm",
    "authentication_date",
    "authentication_amount",
];

const FLOW_TYPES: &[&str] = &["challenged", "frictionless", "frictionless_delegated"];
const CHALLENGE_INDICATORS: &[&str] = &[
    "no_preference",
    "no_challenge_requested",
    "challenge_requested",
    "challenge_requested_mandate",
];
const EXEMPTIONS: &[&str] = &[
    "low_value",
    "secure_corporate_payment",
    "trusted_listing",
    "transaction_risk_assessment",
    "3ds_outage",
    "sca_delegation",
    "out_of_sca_scope",
    "other",
    "low_risk_program",
    "recurring_operation",
];

/// An error code of the simulator's.
type Code = &'static str;
/// Whether a member's text is valid.
type Rule = fn(&str) -> bool;

/// What a request's `3ds` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ThreeDs {
    /// No `3ds`, or `enabled` false: no authentication.
    Off,
    /// `enabled`: Checkout.com authenticates, behind a redirect.
    Redirect,
    /// A result obtained elsewhere: its members as checked (the documented ones only).
    ThirdParty(Map<String, Value>),
}

/// Reads `3ds` (`None` when absent). `Err` with every code that applies.
pub(crate) fn read(value: Option<&Value>) -> Result<ThreeDs, Vec<&'static str>> {
    let object = match value {
        None | Some(Value::Null) => return Ok(ThreeDs::Off),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(vec!["3ds_invalid"]),
    };
    let enabled = match object.get("enabled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(vec!["3ds_invalid"]),
    };
    if !THIRD_PARTY_MEMBERS.iter().any(|m| object.contains_key(*m)) {
        return Ok(if enabled {
            ThreeDs::Redirect
        } else {
            ThreeDs::Off
        });
    }
    third_party(object, enabled).map(ThreeDs::ThirdParty)
}

fn third_party(
    object: &Map<String, Value>,
    enabled: bool,
) -> Result<Map<String, Value>, Vec<&'static str>> {
    let mut codes = Vec::new();
    let mut kept = Map::new();
    if enabled {
        kept.insert("enabled".into(), Value::Bool(true));
    } else {
        codes.push("3ds_enabled_invalid");
    }
    let text = |name: &str| object.get(name).filter(|v| !v.is_null());
    // Required strings, with their rules.
    let required: [(&str, Code, Code, Rule); 4] = [
        ("eci", "3ds_eci_required", "3ds_eci_invalid", |s| {
            (1..=2).contains(&s.chars().count())
        }),
        (
            "cryptogram",
            "3ds_cryptogram_required",
            "3ds_cryptogram_invalid",
            |s| s.chars().count() <= 50 && is_base64(s),
        ),
        ("xid", "3ds_xid_required", "3ds_xid_invalid", |s| {
            (1..=100).contains(&s.chars().count())
        }),
        (
            "version",
            "3ds_version_required",
            "3ds_version_invalid",
            |s| (1..=10).contains(&s.chars().count()),
        ),
    ];
    for (name, missing, invalid, valid) in required {
        match text(name) {
            None => codes.push(missing),
            Some(Value::String(s)) if valid(s) => {
                kept.insert(name.into(), Value::String(s.clone()));
            }
            Some(_) => codes.push(invalid),
        }
    }
    // Optional strings.
    let optional: [(&str, Code, Rule); 8] = [
        ("status", "3ds_status_invalid", |s| s.chars().count() == 1),
        (
            "status_reason_code",
            "3ds_status_reason_code_invalid",
            |s| s.chars().count() == 2,
        ),
        ("flow_type", "3ds_flow_type_invalid", |s| {
            FLOW_TYPES.contains(&s)
        }),
        (
            "challenge_indicator",
            "3ds_challenge_indicator_invalid",
            |s| CHALLENGE_INDICATORS.contains(&s),
        ),
        ("exemption", "3ds_exemption_invalid", |s| {
            EXEMPTIONS.contains(&s)
        }),
        (
            "cryptogram_algorithm",
            "3ds_cryptogram_algorithm_invalid",
            |s| s.chars().count() == 1,
        ),
        ("score", "3ds_score_invalid", |_| true),
        (
            "challenge_cancel_reason",
            "3ds_challenge_cancel_reason_invalid",
            |_| true,
        ),
    ];
    for (name, invalid, valid) in optional {
        match text(name) {
            None => {}
            Some(Value::String(s)) if valid(s) => {
                kept.insert(name.into(), Value::String(s.clone()));
            }
            Some(_) => codes.push(invalid),
        }
    }
    match text("authentication_date") {
        None => {}
        Some(Value::String(s)) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => {
            kept.insert("authentication_date".into(), Value::String(s.clone()));
        }
        Some(_) => codes.push("3ds_authentication_date_invalid"),
    }
    match text("authentication_amount") {
        None => {}
        Some(Value::Number(n)) if n.as_i64().is_some_and(|a| a >= 0) => {
            kept.insert("authentication_amount".into(), Value::Number(n.clone()));
        }
        Some(_) => codes.push("3ds_authentication_amount_invalid"),
    }
    if codes.is_empty() {
        Ok(kept)
    } else {
        Err(codes)
    }
}

/// Standard base64: its alphabet, at most two `=` of padding at the end, and a length a
/// base64 encoding can have (padded to a multiple of 4, or unpadded) \[U: how strictly
/// Checkout.com checks\].
fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    !body.is_empty()
        && padding <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && body.len() % 4 != 1
        && (padding == 0 || text.len().is_multiple_of(4))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use paybridge_connector_tests::openapi::OpenApi;
    use serde_json::json;

    use super::*;

    const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";

    fn valid() -> Value {
        json!({"enabled": true, "eci": "05", "cryptogram": CAVV,
               "xid": "f25084f0-5b16-4c0a-ae5d-b24808a95e4b", "version": "2.2.0",
               "status": "Y", "status_reason_code": "01", "flow_type": "frictionless",
               "challenge_indicator": "no_preference", "exemption": "low_value",
               "cryptogram_algorithm": "2", "score": "9", "challenge_cancel_reason": "01",
               "authentication_date": "2026-03-10T10:11:12Z", "authentication_amount": 1000})
    }

    /// Checkout.com's tokens document, its published quirks read as meant.
    fn third_party_spec() -> OpenApi {
        OpenApi::checkout_tokens().unwrap()
    }

    #[test]
    fn plain_3ds_requests_are_not_third_party() {
        assert_eq!(read(None), Ok(ThreeDs::Off));
        assert_eq!(read(Some(&json!({"enabled": false}))), Ok(ThreeDs::Off));
        assert_eq!(read(Some(&json!({"enabled": true}))), Ok(ThreeDs::Redirect));
        assert_eq!(
            read(Some(&json!({"enabled": true, "exemption": "low_value"}))),
            Ok(ThreeDs::Redirect)
        );
        assert_eq!(read(Some(&json!("yes"))), Err(vec!["3ds_invalid"]));
        assert_eq!(
            read(Some(&json!({"enabled": "yes"}))),
            Err(vec!["3ds_invalid"])
        );
    }

    #[test]
    fn a_valid_third_party_result_is_kept_with_its_documented_members() {
        let mut value = valid();
        value["unknown"] = json!(1);
        let ThreeDs::ThirdParty(kept) = read(Some(&value)).unwrap() else {
            panic!("third-party")
        };
        let mut expected = valid();
        expected.as_object_mut().unwrap().remove("unknown");
        assert_eq!(Value::Object(kept), expected);
    }

    #[test]
    fn each_rule_of_the_schema_has_its_code() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("enabled", json!(false), "3ds_enabled_invalid"),
            ("eci", Value::Null, "3ds_eci_required"),
            ("eci", json!("005"), "3ds_eci_invalid"),
            ("eci", json!(5), "3ds_eci_invalid"),
            ("eci", json!(""), "3ds_eci_invalid"),
            ("cryptogram", Value::Null, "3ds_cryptogram_required"),
            ("cryptogram", json!("not base64!"), "3ds_cryptogram_invalid"),
            ("cryptogram", json!("AAAB="), "3ds_cryptogram_invalid"),
            (
                "cryptogram",
                json!("A".repeat(52)),
                "3ds_cryptogram_invalid",
            ),
            ("xid", Value::Null, "3ds_xid_required"),
            ("xid", json!("x".repeat(101)), "3ds_xid_invalid"),
            ("version", Value::Null, "3ds_version_required"),
            ("version", json!("2.2.0.0.0.0"), "3ds_version_invalid"),
            ("status", json!("YY"), "3ds_status_invalid"),
            (
                "status_reason_code",
                json!("1"),
                "3ds_status_reason_code_invalid",
            ),
            ("flow_type", json!("decoupled"), "3ds_flow_type_invalid"),
            (
                "challenge_indicator",
                json!("sometimes"),
                "3ds_challenge_indicator_invalid",
            ),
            ("exemption", json!("none"), "3ds_exemption_invalid"),
            (
                "cryptogram_algorithm",
                json!("12"),
                "3ds_cryptogram_algorithm_invalid",
            ),
            ("score", json!(9), "3ds_score_invalid"),
            (
                "challenge_cancel_reason",
                json!(1),
                "3ds_challenge_cancel_reason_invalid",
            ),
            (
                "authentication_date",
                json!("yesterday"),
                "3ds_authentication_date_invalid",
            ),
            (
                "authentication_amount",
                json!(-1),
                "3ds_authentication_amount_invalid",
            ),
            (
                "authentication_amount",
                json!("10"),
                "3ds_authentication_amount_invalid",
            ),
        ];
        let spec = third_party_spec();
        // The valid object is the schema's.
        assert_eq!(
            spec.check_component("3dsRequestThirdParty", &valid()),
            Ok(())
        );
        for (member, value, code) in cases {
            let mut edited = valid();
            if value.is_null() {
                edited.as_object_mut().unwrap().remove(member);
            } else {
                edited[member] = value.clone();
            }
            let codes = read(Some(&edited)).unwrap_err();
            assert_eq!(codes, [code], "{member} = {value}");
            // The schema refuses it too, but for what the simulator checks beyond it: the
            // cryptogram's base64 and a blank ECI (the schema has no minimum length).
            let bad_base64 =
                code == "3ds_cryptogram_invalid" && value.as_str().is_some_and(|c| c.len() <= 50);
            let blank_eci = member == "eci" && value == "";
            let beyond_schema = bad_base64 || blank_eci;
            assert_eq!(
                spec.check_component("3dsRequestThirdParty", &edited)
                    .is_err(),
                !beyond_schema,
                "{member} = {value}"
            );
        }
    }

    #[test]
    fn base64_is_checked_by_alphabet_padding_and_length() {
        for good in [CAVV, "AAABBEg0VhI0VniQEjRWAAAAAAA", "ab+/", "abc=", "ab=="] {
            assert!(is_base64(good), "{good}");
        }
        for bad in ["", "=", "a", "abcde", "ab===", "a=bc", "ab-_", "abc=="] {
            assert!(!is_base64(bad), "{bad}");
        }
        assert!(is_base64("abc"), "unpadded: 3 characters encode 2 bytes");
    }
}
