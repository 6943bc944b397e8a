//! The app channel's ACS side (`deviceChannel` `01`): the ARes's `acsSignedContent` and the
//! endpoint a 3DS SDK runs the challenge with ([`APP_CHALLENGE_PATH`](super::APP_CHALLENGE_PATH)).
//! The parent module's "App channel" section describes both; in short:
//!
//! - `acsSignedContent` is a compact JWS whose signature is a placeholder: **not signed** (no
//!   directory server key or `x5c` behind the simulated ACS). A real SDK would refuse it.
//! - The CReq and CRes are **plain JSON**, where a real SDK and ACS exchange JWE.
//! - `challengeCancel` takes the values the version's RReq table allows (`01`, `04`–`08` in
//!   2.1.0; `01`, `03`–`08` in 2.2.0; `01`, `03`–`10` in 2.3.1), so the RReq that carries it
//!   stays valid; `challengeDataEntry` is 1 to 45 characters.
//! - `sdkCounterStoA` must count the SDK's CReqs (`000`, `001`, …); each CReq gets one CRes,
//!   whose `acsCounterAtoS` counts the same way.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use url::Url;

use super::acs::{conclude, CREQ_VERSIONS};
use super::cards::Challenge;
use super::handlers::{message, Sim};
use super::validate::{self, Problem};
use super::wire::{self, ErroContext, Ids, ACS_REFERENCE};
use crate::control::lock;

/// The one-time code that passes the manual card's app challenge (any other code fails).
pub const APP_CHALLENGE_CODE: &str = "1234";

/// The signature part of every `acsSignedContent`: a placeholder, not a signature.
const NOT_SIGNED: &[u8] = b"3dsecure.io simulator: not signed";

/// The simulated ACS's ephemeral EC P-256 public key (`acsEphemPubKey`), fixed: a real ACS
/// makes one per transaction. A valid point on the curve, generated for the simulator; its
/// private key was not kept.
pub fn acs_ephemeral_public_key() -> Value {
    json!({
        "kty": "EC",
        "crv": "P-256",
        "x": "2oCqjp0LbKwRM3LHHWo6ZIAfaDp14ZAm4H7Dw5UFqqw",
        "y": "hGcWY_nP_-sE9w-3GllCyDWr2eAIM5RCEt72lkNUQow",
    })
}

/// The ARes's `acsSignedContent` (see the module docs: not signed). `acs_url` is the app
/// challenge endpoint, given for `C` only.
pub(crate) fn signed_content(acs_url: Option<&Url>, ids: &Ids<'_>, sdk_ephem: &Value) -> String {
    let mut payload = Map::new();
    payload.insert("acsTransID".into(), json!(ids.acs));
    payload.insert("acsRefNumber".into(), json!(ACS_REFERENCE));
    if let Some(url) = acs_url {
        payload.insert("acsURL".into(), json!(url.as_str()));
    }
    payload.insert("acsEphemPubKey".into(), acs_ephemeral_public_key());
    payload.insert("sdkEphemPubKey".into(), sdk_ephem.clone());
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.{}",
        part(&json!({"alg": "PS256"})),
        part(&Value::Object(payload)),
        URL_SAFE_NO_PAD.encode(NOT_SIGNED)
    )
}

/// `challengeCancel` values of `version` (those its RReq table allows).
fn cancel_codes(version: &str) -> &'static [(u8, u8)] {
    match version {
        "2.1.0" => &[(1, 1), (4, 8)],
        "2.2.0" => &[(1, 1), (3, 8)],
        _ => &[(1, 1), (3, 10)],
    }
}

/// A CReq's fields checked on their own: the ids, the version, the counter and the data.
struct AppCreq {
    id: String,
    acs: String,
    sdk: String,
    version: String,
    counter: String,
    data_entry: Option<String>,
    cancel: Option<String>,
}

fn check_app_creq(creq: &Map<String, Value>) -> Result<AppCreq, Problem> {
    let required = [
        "messageType",
        "messageVersion",
        "threeDSServerTransID",
        "acsTransID",
        "sdkTransID",
        "sdkCounterStoA",
    ];
    super::acs::require(creq, &required)?;
    let text = |name: &str| creq.get(name).and_then(Value::as_str);
    let mut invalid = Vec::new();
    let mut bad = |field: &str, why: &str| invalid.push((field.to_owned(), why.to_owned()));
    if text("messageType") != Some("CReq") {
        bad("messageType", "must be CReq");
    }
    let version = text("messageVersion").unwrap_or_default();
    if !CREQ_VERSIONS.contains(&version) {
        bad(
            "messageVersion",
            &format!("must be one of {}", CREQ_VERSIONS.join(", ")),
        );
    }
    for id in ["threeDSServerTransID", "acsTransID", "sdkTransID"] {
        if !text(id).is_some_and(validate::is_uuid) {
            bad(id, "must be a UUID");
        }
    }
    if !text("sdkCounterStoA").is_some_and(|c| validate::is_digits(c, 3, 3)) {
        bad("sdkCounterStoA", "must be 3 digits");
    }
    let data_entry = match creq.get("challengeDataEntry") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if (1..=45).contains(&s.chars().count()) => Some(s.clone()),
        Some(_) => {
            bad("challengeDataEntry", "must be 1 to 45 characters");
            None
        }
    };
    let cancel = match creq.get("challengeCancel") {
        None | Some(Value::Null) => None,
        Some(Value::String(code))
            if validate::is_digits(code, 2, 2)
                && code.parse::<u8>().is_ok_and(|n| {
                    cancel_codes(version)
                        .iter()
                        .any(|(lo, hi)| (*lo..=*hi).contains(&n))
                }) =>
        {
            Some(code.clone())
        }
        Some(_) => {
            bad(
                "challengeCancel",
                "must be a challengeCancel value of the version's RReq table",
            );
            None
        }
    };
    if !invalid.is_empty() {
        return Err(Problem::invalid(&invalid));
    }
    let owned = |name: &str| text(name).unwrap_or_default().to_owned();
    Ok(AppCreq {
        id: owned("threeDSServerTransID"),
        acs: owned("acsTransID"),
        sdk: owned("sdkTransID"),
        version: version.to_owned(),
        counter: owned("sdkCounterStoA"),
        data_entry,
        cancel,
    })
}

/// An `Erro` from the ACS about a CReq, with `status`.
fn refused(status: StatusCode, problem: &Problem, context: &ErroContext<'_>) -> Response {
    message(status, &wire::erro(problem, context))
}

/// `POST /sim/acs/app-challenge`: one CReq of a 3DS SDK (plain JSON; see the module docs) →
/// the CRes, or an `Erro`.
pub(crate) async fn challenge(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let mut context = ErroContext {
        component: Some("A"),
        message_type: Some("CReq"),
        ..ErroContext::default()
    };
    let creq = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(creq)) => creq,
        _ => {
            let problem = Problem::described(
                "101",
                format!(
                    "{}: the body is not a JSON object (the simulator takes the CReq as plain \
                     JSON, not JWE)",
                    validate::describe("101")
                ),
                "body",
            );
            return refused(StatusCode::BAD_REQUEST, &problem, &context);
        }
    };
    let checked = match check_app_creq(&creq) {
        Ok(checked) => checked,
        Err(problem) => return refused(StatusCode::BAD_REQUEST, &problem, &context),
    };
    context.three_ds_server = Some(&checked.id);
    context.acs = Some(&checked.acs);
    context.sdk = Some(&checked.sdk);
    let bad_request = |problem: Problem, context: &ErroContext<'_>| {
        refused(StatusCode::BAD_REQUEST, &problem, context)
    };
    let conflict = |why: &str, context: &ErroContext<'_>| {
        refused(
            StatusCode::CONFLICT,
            &Problem::described("203", why, "acsTransID"),
            context,
        )
    };

    let mut state = lock(&sim.state);
    let transaction = match state.by_acs_mut(&checked.acs) {
        Some(t) if t.id == checked.id => t,
        Some(_) => {
            let problem = Problem::invalid_field(
                "threeDSServerTransID",
                "is not the transaction of this acsTransID",
            );
            return bad_request(problem, &context);
        }
        None => return bad_request(Problem::new("301", "acsTransID"), &context),
    };
    let Some(auth) = transaction.auth.as_mut() else {
        return bad_request(Problem::new("301", "acsTransID"), &context);
    };
    let version = auth.version.clone();
    let ids_acs = auth.acs_trans_id.clone();
    let ids_ds = auth.ds_trans_id.clone();
    context.version = Some(&version);
    context.ds = Some(&ids_ds);
    let Some(app) = auth.app.as_ref() else {
        return conflict(
            "A browser authentication: its challenge is the acsURL page, not the app's",
            &context,
        );
    };
    if checked.version != auth.version {
        let why = format!("must be the ARes's messageVersion {}", auth.version);
        return bad_request(Problem::invalid_field("messageVersion", &why), &context);
    }
    if checked.sdk != app.sdk_trans_id {
        return bad_request(
            Problem::invalid_field("sdkTransID", "is not the AReq's sdkTransID"),
            &context,
        );
    }
    let sdk = app.sdk_trans_id.clone();
    let Some(challenge) = auth.challenge.as_mut() else {
        return conflict(
            "No challenge for this transaction (the ARes was frictionless)",
            &context,
        );
    };
    if challenge.result.is_some() {
        return conflict("The challenge already ended", &context);
    }
    let expected = wire::counter(challenge.app_creqs);
    if checked.counter != expected {
        let why = format!("must be {expected}: this is the SDK's CReq number {expected}");
        return bad_request(Problem::invalid_field("sdkCounterStoA", &why), &context);
    }
    let screen_shown = challenge.app_creqs > 0;
    let outcome = match (checked.cancel.is_some(), challenge.kind) {
        (true, _) => Some("N"),
        (false, Challenge::AutoPass) => Some("Y"),
        (false, Challenge::AutoFail) => Some("N"),
        (false, Challenge::Manual) => match (&checked.data_entry, screen_shown) {
            (None, false) => None,
            (Some(_), false) => {
                let problem = Problem::invalid_field(
                    "challengeDataEntry",
                    "comes before the challenge screen was shown (send the first CReq \
                     without it)",
                );
                return bad_request(problem, &context);
            }
            (None, true) => {
                return bad_request(Problem::missing(&["challengeDataEntry"]), &context);
            }
            (Some(code), true) if code == APP_CHALLENGE_CODE => Some("Y"),
            (Some(_), true) => Some("N"),
        },
    };
    let acs_counter = challenge.app_creqs;
    challenge.app_creqs += 1;
    let creq = Value::Object(creq);
    if challenge.creq.is_none() {
        challenge.creq = Some(creq.clone());
    }
    challenge.messages.push(creq);
    challenge.cancel = checked.cancel.clone();
    let id = checked.id.clone();
    let cres = match outcome {
        None => {
            let ids = Ids {
                three_ds_server: &id,
                acs: &ids_acs,
                ds: &ids_ds,
            };
            let cres =
                wire::app_challenge_screen(&version, &ids, &sdk, acs_counter, APP_CHALLENGE_CODE);
            challenge.messages.push(cres.clone());
            cres
        }
        Some(trans_status) => {
            let Some(cres) = conclude(&mut state, &id, trans_status) else {
                return conflict("No open challenge", &context);
            };
            if let Some(challenge) = state
                .transactions
                .get_mut(&id)
                .and_then(|t| t.auth.as_mut())
                .and_then(|a| a.challenge.as_mut())
            {
                challenge.messages.push(cres.clone());
            }
            cres
        }
    };
    message(StatusCode::OK, &cres)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::threedsecureio::decode_base64url_json;

    #[test]
    fn signed_content_is_a_compact_jws_with_the_keys() {
        let ids = Ids {
            three_ds_server: "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb",
            acs: "43163cd0-c849-4924-82c1-7bec32b94881",
            ds: "1cf815e5-cc85-436f-8e13-9f5e5aea731f",
        };
        let sdk_key = json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB"});
        let url = Url::parse("http://127.0.0.1:1/sim/acs/app-challenge").unwrap();
        let jws = signed_content(Some(&url), &ids, &sdk_key);
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(jws
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
        assert_eq!(
            decode_base64url_json(parts[0]).unwrap(),
            json!({"alg": "PS256"})
        );
        let payload = decode_base64url_json(parts[1]).unwrap();
        assert_eq!(payload["acsURL"], json!(url.as_str()));
        assert_eq!(payload["sdkEphemPubKey"], sdk_key);
        assert_eq!(payload["acsEphemPubKey"], acs_ephemeral_public_key());
        assert_eq!(payload["acsTransID"], json!(ids.acs));
        // Without a challenge, no acsURL.
        let frictionless = signed_content(None, &ids, &sdk_key);
        let payload = decode_base64url_json(frictionless.split('.').nth(1).unwrap()).unwrap();
        assert!(payload.get("acsURL").is_none());
    }

    #[test]
    fn creq_fields_are_checked() {
        let good = json!({
            "messageType": "CReq",
            "messageVersion": "2.2.0",
            "threeDSServerTransID": "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb",
            "acsTransID": "43163cd0-c849-4924-82c1-7bec32b94881",
            "sdkTransID": "b2385523-a66c-4907-ac3c-91848e8c0067",
            "sdkCounterStoA": "000",
        });
        let Value::Object(good) = good else {
            unreachable!()
        };
        assert!(check_app_creq(&good).is_ok());
        let mut m = good.clone();
        m.remove("sdkTransID");
        assert_eq!(check_app_creq(&m).err().unwrap().detail, "sdkTransID");
        for (field, value) in [
            ("sdkCounterStoA", json!("0")),
            ("challengeDataEntry", json!("x".repeat(46))),
            ("challengeCancel", json!("02")),
            ("messageType", json!("CRes")),
        ] {
            let mut m = good.clone();
            m.insert(field.into(), value);
            let problem = check_app_creq(&m).err().unwrap();
            assert_eq!((problem.code, problem.detail.as_str()), ("203", field));
        }
        let mut m = good;
        m.insert("challengeCancel".into(), json!("01"));
        assert_eq!(
            check_app_creq(&m).ok().unwrap().cancel.as_deref(),
            Some("01")
        );
    }
}
