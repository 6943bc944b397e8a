//! The payment session request, checked as Apple's server checks it, and the merchant session
//! object it answers.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use paybridge_core::webhook::hmac_sha256;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SESSION_LIFETIME;

/// The initiatives Apple names: Apple Pay on the web, in Messages for Business, on macOS.
pub(crate) const INITIATIVES: [&str; 3] = ["web", "messaging", "in_app"];

/// Apple's error answer: `{"statusMessage": "...", "statusCode": "400"}` \[U: the shape
/// merchants and PSPs report; Apple documents none\].
pub(crate) fn apple_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "statusMessage": message,
        "statusCode": status.as_u16().to_string(),
    });
    (status, Json(body)).into_response()
}

/// The answer to a [`crate::Fault::Status`]: Apple's error shape with the status's reason.
pub(crate) fn fault_response(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    apple_error(status, &format!("Payment Services Exception {reason}"))
}

/// A refused request: 400 with Apple's error shape, `statusMessage` naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub(crate) String);

impl Refusal {
    fn new(problem: impl AsRef<str>) -> Self {
        Refusal(format!("Payment Services Exception {}", problem.as_ref()))
    }

    pub(crate) fn into_response(self) -> Response {
        apple_error(StatusCode::BAD_REQUEST, &self.0)
    }
}

/// A value the client sent, shortened for a message.
fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(100)
        .filter(|c| !c.is_control())
        .collect();
    if value.chars().count() > 100 {
        out.push('…');
    }
    out
}

/// What a valid request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionRequest {
    pub(crate) merchant_id: String,
    pub(crate) display_name: String,
    pub(crate) initiative: String,
    pub(crate) context: String,
}

fn text<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

/// Checks a request body from the merchant whose certificate names `certified` (its `UID`),
/// against the `merchants` registered (merchant id → verified domains), in this order: a JSON
/// object; `merchantIdentifier` given and the certificate's; the merchant enrolled;
/// `displayName` of 1 to 64 characters; `initiative` `web`, `messaging` or `in_app`;
/// `initiativeContext` given, and for `web` a domain registered for the merchant (compared
/// without case or a final dot). The legacy body (`domainName`, no `initiative`) is taken as
/// `web` on that domain \[U: Apple still answers it, as PSPs' code shows\].
pub(crate) fn check(
    body: &[u8],
    certified: Option<&str>,
    merchants: &BTreeMap<String, BTreeSet<String>>,
) -> Result<SessionRequest, Refusal> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(Refusal::new(
            "Invalid request: the body must be a JSON object with merchantIdentifier, \
             displayName, initiative and initiativeContext",
        ));
    };
    let merchant_id = text(&body, "merchantIdentifier")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Refusal::new("merchantIdentifier is missing"))?;
    match certified {
        Some(certified) if certified == merchant_id => {}
        Some(_) => {
            return Err(Refusal::new(format!(
                "merchantId={} does not match the merchant identity certificate",
                shown(merchant_id)
            )))
        }
        None => {
            return Err(Refusal::new(
                "the client certificate is not a merchant identity certificate",
            ))
        }
    }
    let Some(domains) = merchants.get(merchant_id) else {
        return Err(Refusal::new(format!(
            "merchantId={} unknown or not enrolled",
            shown(merchant_id)
        )));
    };
    let display_name = text(&body, "displayName")
        .filter(|name| {
            let count = name.chars().count();
            (1..=64).contains(&count) && !name.trim().is_empty()
        })
        .ok_or_else(|| Refusal::new("displayName is missing or not 1 to 64 UTF-8 characters"))?;
    let (initiative, context) = match (text(&body, "initiative"), body.get("initiative")) {
        (Some(initiative), _) => (initiative, text(&body, "initiativeContext")),
        (None, None) if text(&body, "domainName").is_some() => ("web", text(&body, "domainName")),
        (None, None) => return Err(Refusal::new("initiative is missing")),
        (None, Some(_)) => return Err(Refusal::new("initiative must be a string")),
    };
    if !INITIATIVES.contains(&initiative) {
        return Err(Refusal::new(format!(
            "initiative={} is invalid: expected web, messaging or in_app",
            shown(initiative)
        )));
    }
    let context = context
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Refusal::new("initiativeContext is missing"))?;
    if initiative == "web" {
        let domain = context.trim_end_matches('.').to_ascii_lowercase();
        if !domains.contains(&domain) {
            return Err(Refusal::new(format!(
                "initiativeContext={} is not a registered domain for merchantId={}",
                shown(context),
                shown(merchant_id)
            )));
        }
    }
    Ok(SessionRequest {
        merchant_id: merchant_id.to_owned(),
        display_name: display_name.to_owned(),
        initiative: initiative.to_owned(),
        context: context.to_owned(),
    })
}

/// Upper-case hex, as Apple writes its identifiers.
fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| fastrand::u8(..)).collect()
}

/// Apple's `merchantIdentifier` in a session: a hash of the merchant id, here its SHA-256 in
/// upper-case hex (64 characters, as observed).
pub fn merchant_hash(merchant_id: &str) -> String {
    hex_upper(&Sha256::digest(merchant_id.as_bytes()))
}

/// The opaque merchant session object, with the eleven fields PSPs' SDKs model
/// (`wallets-reference.md` §1.2, all \[U\]): `epochTimestamp` (ms), `expiresAt` (five minutes
/// later, Apple's documented lifetime), `merchantSessionIdentifier` (`SSH` + 32 hex, `_`, the
/// simulator's 64-hex environment id), `nonce` (8 hex), `merchantIdentifier` and `pspId` (the
/// merchant's hash), `domainName` (the initiative context), `displayName`, `signature` (hex of
/// a DER blob opening like Apple's CMS SignedData, its body an HMAC of the session keyed with
/// `secret`: not verifiable, as Apple's is not for a merchant), `operationalAnalyticsIdentifier`
/// (`<displayName>:<merchant hash>`), `retries` (0).
pub(crate) fn session_object(
    request: &SessionRequest,
    environment: &str,
    secret: &[u8],
    now: OffsetDateTime,
) -> Value {
    let epoch = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let lifetime = i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    let hash = merchant_hash(&request.merchant_id);
    let identifier = format!("SSH{}_{environment}", hex_upper(&random_bytes(16)));
    let nonce = hex_lower(&random_bytes(4));
    let mac = hmac_sha256(
        secret,
        &[
            identifier.as_bytes(),
            nonce.as_bytes(),
            request.context.as_bytes(),
            epoch.to_string().as_bytes(),
        ],
    );
    // CMS SignedData (1.2.840.113549.1.7.2) in indefinite length, as Apple's signatures open.
    let mut signature = hex_lower(&[
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80,
    ]);
    signature.push_str(&hex_lower(&mac));
    signature.push_str(&hex_lower(&random_bytes(480)));
    signature.push_str("0000000000000000");
    json!({
        "epochTimestamp": epoch,
        "expiresAt": epoch.saturating_add(lifetime),
        "merchantSessionIdentifier": identifier,
        "nonce": nonce,
        "merchantIdentifier": hash,
        "domainName": request.context,
        "displayName": request.display_name,
        "signature": signature,
        "operationalAnalyticsIdentifier": format!("{}:{hash}", request.display_name),
        "retries": 0,
        "pspId": hash,
    })
}

/// A random environment id: 64 upper-case hex characters.
pub(crate) fn environment_id() -> String {
    hex_upper(&random_bytes(32))
}

/// A random key for the signatures.
pub(crate) fn signing_secret() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(random_bytes(32))
        .into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn merchants() -> BTreeMap<String, BTreeSet<String>> {
        BTreeMap::from([(
            "merchant.com.example".to_owned(),
            BTreeSet::from(["shop.example.com".to_owned()]),
        )])
    }

    fn checked(body: Value, certified: Option<&str>) -> Result<SessionRequest, String> {
        check(body.to_string().as_bytes(), certified, &merchants()).map_err(|r| r.0)
    }

    fn web(merchant: &str, name: &str, domain: &str) -> Value {
        json!({"merchantIdentifier": merchant, "displayName": name,
               "initiative": "web", "initiativeContext": domain})
    }

    const ID: Option<&str> = Some("merchant.com.example");

    #[test]
    fn a_registered_merchant_on_its_domain_is_served() {
        let ok = checked(web("merchant.com.example", "Shop", "Shop.Example.com."), ID).unwrap();
        assert_eq!(ok.context, "Shop.Example.com.");
        let legacy = json!({"merchantIdentifier": "merchant.com.example", "displayName": "Shop",
                            "domainName": "shop.example.com"});
        assert_eq!(checked(legacy, ID).unwrap().initiative, "web");
        let messaging = json!({"merchantIdentifier": "merchant.com.example", "displayName": "Shop",
                               "initiative": "messaging", "initiativeContext": "https://psp.example/pay"});
        assert!(checked(messaging, ID).is_ok());
    }

    #[test]
    fn each_problem_is_named() {
        let cases = [
            (json!([]), ID, "JSON object"),
            (
                json!({"displayName": "Shop"}),
                ID,
                "merchantIdentifier is missing",
            ),
            (
                web("merchant.com.other", "Shop", "shop.example.com"),
                ID,
                "merchantId=merchant.com.other does not match",
            ),
            (
                web("merchant.com.example", "Shop", "shop.example.com"),
                None,
                "not a merchant identity certificate",
            ),
            (
                web("merchant.com.unknown", "Shop", "shop.example.com"),
                Some("merchant.com.unknown"),
                "merchantId=merchant.com.unknown unknown or not enrolled",
            ),
            (
                web("merchant.com.example", &"x".repeat(65), "shop.example.com"),
                ID,
                "displayName",
            ),
            (
                web("merchant.com.example", " ", "shop.example.com"),
                ID,
                "displayName",
            ),
            (
                web("merchant.com.example", "Shop", "evil.example.net"),
                ID,
                "initiativeContext=evil.example.net is not a registered domain",
            ),
            (
                web("merchant.com.example", "Shop", ""),
                ID,
                "initiativeContext is missing",
            ),
            (
                json!({"merchantIdentifier": "merchant.com.example", "displayName": "Shop",
                       "initiative": "app", "initiativeContext": "shop.example.com"}),
                ID,
                "initiative=app is invalid",
            ),
            (
                json!({"merchantIdentifier": "merchant.com.example", "displayName": "Shop"}),
                ID,
                "initiative is missing",
            ),
        ];
        for (body, certified, says) in cases {
            let message = checked(body.clone(), certified).unwrap_err();
            assert!(
                message.starts_with("Payment Services Exception "),
                "{message}"
            );
            assert!(message.contains(says), "{body}: {message}");
        }
        // 64 characters, counted as characters.
        assert!(checked(
            web("merchant.com.example", &"é".repeat(64), "shop.example.com"),
            ID
        )
        .is_ok());
    }

    #[test]
    fn the_session_object_has_the_eleven_fields() {
        let request = checked(web("merchant.com.example", "Shop", "shop.example.com"), ID).unwrap();
        let now = OffsetDateTime::now_utc();
        let session = session_object(&request, &environment_id(), b"k", now);
        let object = session.as_object().unwrap();
        assert_eq!(object.len(), 11);
        assert_eq!(
            session["expiresAt"].as_i64().unwrap() - session["epochTimestamp"].as_i64().unwrap(),
            300_000
        );
        let hash = session["merchantIdentifier"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert_eq!(session["pspId"], hash);
        assert!(session["signature"]
            .as_str()
            .unwrap()
            .starts_with("308006092a864886f70d010702"));
        assert_eq!(session["nonce"].as_str().unwrap().len(), 8);
    }
}
