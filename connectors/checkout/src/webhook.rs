//! Checkout.com webhooks: `Cko-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the
//! workflow's signature key. There is no signed timestamp, so replays are handled by
//! de-duplicating on the event id.

use paybridge_core::webhook::{IncomingWebhook, SignatureEncoding, WebhookSecrets};
use paybridge_core::*;

use crate::{mapping, wire};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "cko-signature";

/// Verifies and maps one delivery.
pub fn verify(
    secrets: &WebhookSecrets,
    webhook: &IncomingWebhook<'_>,
) -> Result<WebhookEvent, WebhookError> {
    let signature = webhook
        .header(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature(SIGNATURE_HEADER))?;
    secrets.verify(&[webhook.body], signature, SignatureEncoding::Hex)?;
    let event: wire::Event = serde_json::from_slice(webhook.body)
        .map_err(|e| WebhookError::MalformedBody(e.to_string()))?;
    map(event)
}

fn map(event: wire::Event) -> Result<WebhookEvent, WebhookError> {
    use WebhookEventKind as K;
    let data = event.data;
    // Signed but nonsensical values are refused, not dropped: a router must not apply an event
    // it only half understood.
    let malformed = |what: &str| WebhookError::MalformedBody(what.to_owned());
    if event.id.trim().is_empty() {
        return Err(malformed("empty event id"));
    }
    let amount = data
        .amount
        .map(MinorUnit::new)
        .transpose()
        .map_err(|_| malformed("negative amount"))?;
    let currency = data
        .currency
        .as_deref()
        .map(str::parse::<Currency>)
        .transpose()
        .map_err(|_| malformed("unknown currency"))?;
    if let Some(balances) = &data.balances {
        mapping::amounts(balances, 200).map_err(|_| malformed("negative balance"))?;
    }
    let captured_status = match data.balances {
        Some(b) if b.available_to_capture > 0 => PaymentStatus::PartiallyCapturedAndCapturable,
        Some(b) if b.total_captured < b.total_authorized => PaymentStatus::PartiallyCaptured,
        _ => PaymentStatus::Succeeded,
    };
    let (kind, payment_status) = match event.kind.as_str() {
        "payment_approved" | "card_verified" => (K::Authorized, None),
        "payment_declined" | "card_verification_declined" | "payment_authentication_failed" => {
            (K::AuthorizationFailed, Some(PaymentStatus::Failed))
        }
        "payment_pending" => (
            K::ActionRequired,
            Some(PaymentStatus::RequiresCustomerAction),
        ),
        "payment_authorization_incremented" => (
            K::AuthorizationIncremented,
            Some(PaymentStatus::RequiresCapture),
        ),
        "payment_authorization_increment_declined" => (K::AuthorizationIncrementDeclined, None),
        "payment_captured" => (K::Captured, Some(captured_status)),
        "payment_capture_declined" => (K::CaptureFailed, None),
        "payment_capture_pending" => (K::Processing, Some(PaymentStatus::Processing)),
        "payment_voided" => (K::Voided, Some(PaymentStatus::Cancelled)),
        "payment_void_declined" => (K::VoidFailed, None),
        "payment_refunded" => (K::Refunded, None),
        "payment_refund_pending" => (K::RefundPending, None),
        "payment_refund_declined" => (K::RefundFailed, None),
        "payment_expired" => (K::Expired, Some(PaymentStatus::Expired)),
        "payment_canceled" => (K::Cancelled, Some(PaymentStatus::Cancelled)),
        _ => (K::Other, None),
    };
    let failed = matches!(
        kind,
        K::AuthorizationFailed
            | K::AuthorizationIncrementDeclined
            | K::CaptureFailed
            | K::VoidFailed
            | K::RefundFailed
    );
    Ok(WebhookEvent {
        event_id: event.id,
        kind,
        raw_type: event.kind,
        connector_payment_id: data.id,
        connector_action_id: data.action_id,
        payment_status,
        amount,
        currency,
        decline: failed.then(|| mapping::decline(data.response_code, data.response_summary)),
    })
}

#[cfg(test)]
mod tests {
    use paybridge_core::http::{HeaderMap, HeaderValue};
    use paybridge_core::webhook::hmac_sha256;

    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_captured","data":{"id":"pay_1","action_id":"act_2","amount":600,"currency":"USD","balances":{"total_authorized":1000,"total_captured":600,"available_to_capture":0}}}"#;

    fn deliver(body: &[u8], signature: &str) -> Result<WebhookEvent, WebhookError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(signature).expect("ascii"),
        );
        let webhook = IncomingWebhook {
            headers: &headers,
            body,
            received_at: time::OffsetDateTime::now_utc(),
        };
        verify(&WebhookSecrets::new(["old", "whsec"]), &webhook)
    }

    #[test]
    fn signed_events_map_and_altered_ones_fail() {
        let signature = hex_mac(BODY);
        let event = deliver(BODY, &signature).expect("valid");
        assert_eq!(event.kind, WebhookEventKind::Captured);
        assert_eq!(event.payment_status, Some(PaymentStatus::PartiallyCaptured));
        assert_eq!(event.connector_action_id.as_deref(), Some("act_2"));
        assert_eq!(event.amount, MinorUnit::new(600).ok());
        let altered = String::from_utf8_lossy(BODY).replace("600", "900");
        assert_eq!(
            deliver(altered.as_bytes(), &signature),
            Err(WebhookError::InvalidSignature)
        );
    }

    #[test]
    fn declined_events_carry_decline_details_and_unknown_types_are_other() {
        let body = br#"{"id":"evt_2","type":"payment_declined","data":{"id":"pay_1","response_code":"20051","response_summary":"Insufficient Funds"}}"#;
        let event = deliver(body, &hex_mac(body)).expect("valid");
        assert_eq!(event.kind, WebhookEventKind::AuthorizationFailed);
        assert_eq!(
            event.decline.map(|d| d.unified),
            Some(DeclineCode::InsufficientFunds)
        );
        let body = br#"{"id":"evt_3","type":"dispute_opened","data":{}}"#;
        assert_eq!(
            deliver(body, &hex_mac(body)).map(|e| e.kind),
            Ok(WebhookEventKind::Other)
        );
        for body in [
            &br#"not json"#[..],
            br#"{"id":"evt_4","type":"payment_captured","data":{"id":"pay_1","amount":-600}}"#,
            br#"{"id":"evt_5","type":"payment_captured","data":{"id":"pay_1","currency":"ZZZ"}}"#,
            br#"{"id":"evt_6","type":"payment_captured","data":{"balances":{"total_captured":-5}}}"#,
            br#"{"id":"","type":"payment_captured","data":{}}"#,
        ] {
            let verdict = deliver(body, &hex_mac(body));
            assert!(matches!(verdict, Err(WebhookError::MalformedBody(_))), "{verdict:?}");
        }
    }

    fn hex_mac(body: &[u8]) -> String {
        SignatureEncoding::Hex.encode(&hmac_sha256(b"whsec", &[body]))
    }
}
