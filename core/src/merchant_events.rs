//! The signature on the events a router sends to merchants, and its check: what a merchant's
//! Rust service calls on each delivery.
//!
//! An event arrives as a `POST` with the event as its JSON body and two headers:
//! `Paybridge-Event-Id` (stable across redeliveries: de-duplicate on it) and
//! `Paybridge-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`. Each `v1` is the HMAC-SHA512
//! of `<t>.<body>` under one of the endpoint's signing secrets (two while a secret is being
//! rotated); a delivery is genuine when one of them matches a secret the merchant holds and
//! `t` is recent.
//!
//! ```
//! use std::time::Duration;
//! use paybridge_core::merchant_events::{sign, verify};
//! use paybridge_core::WebhookSecrets;
//!
//! let secrets = WebhookSecrets::new(["whsec_current"]);
//! let body = br#"{"event_id":"evt_1","event_type":"payment_succeeded"}"#;
//! let now = paybridge_core::time::OffsetDateTime::now_utc();
//! let header = sign(&secrets, now.unix_timestamp(), body);
//! // On the merchant's side, with the header and the raw body as received:
//! verify(&header, body, &secrets, Duration::from_secs(300), now)?;
//! assert!(verify(&header, b"{}", &secrets, Duration::from_secs(300), now).is_err());
//! # Ok::<(), paybridge_core::WebhookError>(())
//! ```

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha512;
use time::OffsetDateTime;

use crate::webhook::{check_timestamp, WebhookError, WebhookSecrets};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "paybridge-signature";
/// The header that carries the event's id.
pub const EVENT_ID_HEADER: &str = "paybridge-event-id";

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha512> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha512>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Paybridge-Signature` value for `body` sent at `timestamp` (unix seconds): one `v1` per
/// secret, in order.
pub fn sign(secrets: &WebhookSecrets, timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets.secrets() {
        let signature = mac(secret.expose_secret(), timestamp, body).finalize();
        header.push_str(",v1=");
        header.push_str(&hex::encode(signature.into_bytes()));
    }
    header
}

/// Checks a delivery: `header` is its `Paybridge-Signature`, `body` the raw bytes received.
/// Passes when a `v1` matches one of `secrets` (compared in constant time) and `t` is within
/// `tolerance` of `now`.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &WebhookSecrets,
    tolerance: Duration,
    now: OffsetDateTime,
) -> Result<(), WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                let parsed = value
                    .parse::<i64>()
                    .map_err(|_| WebhookError::MalformedSignature("t is not a unix time".into()))?;
                timestamp = Some(parsed);
            }
            Some(("v1", value)) => signatures.push(hex::decode(value).map_err(|_| {
                WebhookError::MalformedSignature("a v1 signature is not hex".into())
            })?),
            // Other schemes may be added later; they are not ours to check.
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or_else(|| WebhookError::MalformedSignature("no t= timestamp".into()))?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedSignature("no v1= signature".into()));
    }
    check_timestamp(timestamp, now, tolerance)?;
    let genuine = secrets.secrets().iter().any(|secret| {
        signatures.iter().any(|signature| {
            mac(secret.expose_secret(), timestamp, body)
                .verify_slice(signature)
                .is_ok()
        })
    });
    if genuine {
        Ok(())
    } else {
        Err(WebhookError::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"event_id":"evt_1","event_type":"refund_succeeded"}"#;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_765_000_000).expect("a time")
    }

    #[test]
    fn a_signed_body_verifies_and_any_change_fails() {
        let secrets = WebhookSecrets::new(["whsec_a"]);
        let header = sign(&secrets, now().unix_timestamp(), BODY);
        assert!(header.starts_with("t=1765000000,v1="), "{header}");
        let tolerance = Duration::from_secs(300);
        assert_eq!(verify(&header, BODY, &secrets, tolerance, now()), Ok(()));
        let mut altered = BODY.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            verify(&header, &altered, &secrets, tolerance, now()),
            Err(WebhookError::InvalidSignature)
        );
        let other = WebhookSecrets::new(["whsec_b"]);
        assert_eq!(
            verify(&header, BODY, &other, tolerance, now()),
            Err(WebhookError::InvalidSignature)
        );
        // The timestamp is signed: moving it breaks the signature.
        let moved = header.replacen("t=1765000000", "t=1765000001", 1);
        assert_eq!(
            verify(&moved, BODY, &secrets, tolerance, now()),
            Err(WebhookError::InvalidSignature)
        );
    }

    #[test]
    fn during_rotation_either_secret_verifies() {
        let sender = WebhookSecrets::new(["whsec_new", "whsec_old"]);
        let header = sign(&sender, now().unix_timestamp(), BODY);
        assert_eq!(header.matches("v1=").count(), 2);
        let tolerance = Duration::from_secs(300);
        for held in ["whsec_new", "whsec_old"] {
            let merchant = WebhookSecrets::new([held]);
            assert_eq!(
                verify(&header, BODY, &merchant, tolerance, now()),
                Ok(()),
                "{held}"
            );
        }
        let retired = WebhookSecrets::new(["whsec_retired"]);
        assert!(verify(&header, BODY, &retired, tolerance, now()).is_err());
    }

    #[test]
    fn stale_or_future_timestamps_fail() {
        let secrets = WebhookSecrets::new(["whsec_a"]);
        let tolerance = Duration::from_secs(300);
        for offset in [-301, 301] {
            let header = sign(&secrets, now().unix_timestamp() + offset, BODY);
            assert!(
                matches!(
                    verify(&header, BODY, &secrets, tolerance, now()),
                    Err(WebhookError::StaleTimestamp { .. })
                ),
                "{offset}"
            );
        }
        let header = sign(&secrets, now().unix_timestamp() - 299, BODY);
        assert_eq!(verify(&header, BODY, &secrets, tolerance, now()), Ok(()));
    }

    #[test]
    fn malformed_headers_are_named() {
        let secrets = WebhookSecrets::new(["whsec_a"]);
        let tolerance = Duration::from_secs(300);
        for header in [
            "",
            "v1=00",
            "t=soon,v1=00",
            "t=1765000000",
            "t=1765000000,v1=zz",
        ] {
            assert!(
                matches!(
                    verify(header, BODY, &secrets, tolerance, now()),
                    Err(WebhookError::MalformedSignature(_))
                ),
                "{header}"
            );
        }
        assert_eq!(
            verify(
                "t=1,v1=00",
                BODY,
                &WebhookSecrets::default(),
                tolerance,
                now()
            ),
            Err(WebhookError::NoSecret)
        );
    }
}
