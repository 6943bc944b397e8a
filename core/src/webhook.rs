//! Webhook primitives: HMAC-SHA256 over raw bytes, constant-time comparison, several secrets for
//! rotation, timestamp tolerance; and the unified [`WebhookEvent`].

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::error::DeclineDetails;
use crate::money::{Currency, MinorUnit};
use crate::status::PaymentStatus;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The connector does not handle webhooks.
    #[error("this connector does not handle webhooks")]
    NotSupported,
    /// No webhook secret is configured, so nothing can be verified.
    #[error("no webhook secret configured")]
    NoSecret,
    /// The signature header is absent.
    #[error("missing signature header {0}")]
    MissingSignature(&'static str),
    /// The signature header is not in the processor's format.
    #[error("malformed signature header: {0}")]
    MalformedSignature(String),
    /// No configured secret produces this signature: forged or altered.
    #[error("signature does not match")]
    InvalidSignature,
    /// The signed timestamp is outside the tolerance window (replay protection).
    #[error("signed timestamp is {age_seconds} s away from now (tolerance {tolerance_seconds} s)")]
    StaleTimestamp {
        /// Distance between the timestamp and now.
        age_seconds: i64,
        /// The allowed distance.
        tolerance_seconds: u64,
    },
    /// The signature is valid but the body is not the event shape we expect.
    #[error("malformed webhook body: {0}")]
    MalformedBody(String),
}

/// The signing secrets of one webhook endpoint: the current one and any being rotated out.
#[derive(Debug, Clone, Default)]
pub struct WebhookSecrets(Vec<SecretString>);

impl WebhookSecrets {
    /// Secrets from strings; empty ones are ignored.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WebhookSecrets(
            secrets
                .into_iter()
                .map(Into::into)
                .filter(|s| !s.is_empty())
                .map(SecretString::from)
                .collect(),
        )
    }

    /// `true` when no secret is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The secrets, current first.
    pub fn secrets(&self) -> &[SecretString] {
        &self.0
    }

    /// Verifies `signature` (in `encoding`) against HMAC-SHA256 of the concatenated `message`
    /// parts under each secret, in constant time. Passes if any secret matches.
    pub fn verify(
        &self,
        message: &[&[u8]],
        signature: &str,
        encoding: SignatureEncoding,
    ) -> Result<(), WebhookError> {
        if self.0.is_empty() {
            return Err(WebhookError::NoSecret);
        }
        let expected = encoding
            .decode(signature.trim())
            .ok_or_else(|| WebhookError::MalformedSignature(format!("not {encoding:?}")))?;
        let matched = self.0.iter().any(|secret| {
            let mut mac = new_mac(secret.expose_secret().as_bytes());
            message.iter().for_each(|part| mac.update(part));
            // `verify_slice` compares in constant time.
            mac.verify_slice(&expected).is_ok()
        });
        if matched {
            Ok(())
        } else {
            Err(WebhookError::InvalidSignature)
        }
    }
}

fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lower- or upper-case hex (Checkout.com, Stripe).
    Hex,
    /// Standard base64 (Primer).
    Base64,
}

impl SignatureEncoding {
    fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            SignatureEncoding::Hex => hex::decode(text).ok(),
            SignatureEncoding::Base64 => {
                base64::engine::general_purpose::STANDARD.decode(text).ok()
            }
        }
    }

    /// Encodes a MAC for a header (used by simulators and tests to sign).
    pub fn encode(self, mac: &[u8]) -> String {
        match self {
            SignatureEncoding::Hex => hex::encode(mac),
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(mac),
        }
    }
}

/// HMAC-SHA256 of the concatenated `message` parts under `key`.
pub fn hmac_sha256(key: &[u8], message: &[&[u8]]) -> [u8; 32] {
    let mut mac = new_mac(key);
    message.iter().for_each(|part| mac.update(part));
    mac.finalize().into_bytes().into()
}

/// Checks that `signed_at` (unix seconds) is within `tolerance` of `now`, either side.
pub fn check_timestamp(
    signed_at: i64,
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let age = now.unix_timestamp().saturating_sub(signed_at);
    let tolerance_seconds = tolerance.as_secs();
    if age.unsigned_abs() > tolerance_seconds {
        return Err(WebhookError::StaleTimestamp {
            age_seconds: age,
            tolerance_seconds,
        });
    }
    Ok(())
}

/// A webhook delivery as received: headers, the raw body (signatures are over these exact
/// bytes) and when it arrived.
#[derive(Debug, Clone, Copy)]
pub struct IncomingWebhook<'a> {
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The raw body, unparsed.
    pub body: &'a [u8],
    /// When it arrived; timestamp tolerances are measured from here.
    pub received_at: OffsetDateTime,
}

impl IncomingWebhook<'_> {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a webhook says happened, in the unified vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEventKind {
    /// The payment was authorized.
    Authorized,
    /// The authorization was declined or failed.
    AuthorizationFailed,
    /// The customer must act (3DS).
    ActionRequired,
    /// The payment is being processed.
    Processing,
    /// An incremental authorization was approved.
    AuthorizationIncremented,
    /// An incremental authorization was declined.
    AuthorizationIncrementDeclined,
    /// Funds were captured (fully or partially).
    Captured,
    /// A capture was declined.
    CaptureFailed,
    /// The authorization was voided.
    Voided,
    /// A void was declined.
    VoidFailed,
    /// A refund succeeded.
    Refunded,
    /// A refund is pending.
    RefundPending,
    /// A refund failed.
    RefundFailed,
    /// The authorization expired.
    Expired,
    /// The payment was cancelled.
    Cancelled,
    /// An event paybridge does not map; `raw_type` says which.
    Other,
}

/// A verified webhook, mapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// The processor's event id, for de-duplication (deliveries are at-least-once).
    pub event_id: String,
    /// What happened.
    pub kind: WebhookEventKind,
    /// The processor's event type, verbatim.
    pub raw_type: String,
    /// The payment it concerns.
    pub connector_payment_id: Option<String>,
    /// The action or refund it concerns (Checkout.com `action_id`, Stripe `re_…`).
    pub connector_action_id: Option<String>,
    /// The payment status it implies, when it implies one.
    pub payment_status: Option<PaymentStatus>,
    /// The amount of the action, when given.
    pub amount: Option<MinorUnit>,
    /// Its currency, when given.
    pub currency: Option<Currency>,
    /// Decline details for failure events.
    pub decline: Option<DeclineDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_captured"}"#;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time")
    }

    #[test]
    fn valid_signature_passes_and_flipped_byte_fails() {
        let secrets = WebhookSecrets::new(["whsec_current"]);
        let sig = SignatureEncoding::Hex.encode(&hmac_sha256(b"whsec_current", &[BODY]));
        assert_eq!(
            secrets.verify(&[BODY], &sig, SignatureEncoding::Hex),
            Ok(())
        );

        let mut altered = BODY.to_vec();
        altered[10] ^= 0x01;
        assert_eq!(
            secrets.verify(&[&altered], &sig, SignatureEncoding::Hex),
            Err(WebhookError::InvalidSignature)
        );
        let mut forged = sig.clone().into_bytes();
        forged[0] = if forged[0] == b'a' { b'b' } else { b'a' };
        let forged = String::from_utf8(forged).expect("ascii");
        assert_eq!(
            secrets.verify(&[BODY], &forged, SignatureEncoding::Hex),
            Err(WebhookError::InvalidSignature)
        );
        assert!(matches!(
            secrets.verify(&[BODY], "zz-not-hex", SignatureEncoding::Hex),
            Err(WebhookError::MalformedSignature(_))
        ));
    }

    #[test]
    fn second_secret_passes_during_rotation() {
        let secrets = WebhookSecrets::new(["new_secret", "old_secret"]);
        let sig = SignatureEncoding::Base64.encode(&hmac_sha256(b"old_secret", &[b"123.", BODY]));
        assert_eq!(
            secrets.verify(&[b"123.", BODY], &sig, SignatureEncoding::Base64),
            Ok(())
        );
        let unknown = SignatureEncoding::Base64.encode(&hmac_sha256(b"other", &[b"123.", BODY]));
        assert_eq!(
            secrets.verify(&[b"123.", BODY], &unknown, SignatureEncoding::Base64),
            Err(WebhookError::InvalidSignature)
        );
        assert_eq!(
            WebhookSecrets::new([""]).verify(&[BODY], &sig, SignatureEncoding::Base64),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn stale_timestamps_fail() {
        let tolerance = Duration::from_secs(300);
        let now = now();
        assert_eq!(
            check_timestamp(now.unix_timestamp() - 299, now, tolerance),
            Ok(())
        );
        assert!(matches!(
            check_timestamp(now.unix_timestamp() - 301, now, tolerance),
            Err(WebhookError::StaleTimestamp {
                age_seconds: 301,
                ..
            })
        ));
        assert!(check_timestamp(now.unix_timestamp() + 301, now, tolerance).is_err());
        assert!(check_timestamp(i64::MIN, now, tolerance).is_err());
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let secrets = WebhookSecrets::new(["whsec_topsecret"]);
        assert!(!format!("{secrets:?}").contains("topsecret"));
    }
}
