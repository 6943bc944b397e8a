//! Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each `v1` is
//! the hex HMAC-SHA256 of `"{t}.{raw body}"` under an endpoint secret (`whsec_…`). Any `v1` under
//! any configured secret passes (Stripe sends several while a secret rolls); other schemes are
//! ignored. The signed `t` must be within the tolerance of the delivery's arrival.

use std::time::Duration;

use paybridge_core::webhook::{
    check_timestamp, IncomingWebhook, SignatureEncoding, WebhookSecrets,
};
use paybridge_core::*;

use crate::{mapping, wire};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Verifies and maps one delivery. The signature is checked before the timestamp, so
/// `StaleTimestamp` means a genuine but old (replayed) delivery.
pub fn verify(
    secrets: &WebhookSecrets,
    tolerance: Duration,
    webhook: &IncomingWebhook<'_>,
) -> Result<WebhookEvent, WebhookError> {
    let header = webhook
        .header(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature(SIGNATURE_HEADER))?;
    let malformed = |what: &str| WebhookError::MalformedSignature(what.to_owned());
    let (mut timestamp, mut signatures) = (None, Vec::new());
    for item in header.split(',') {
        match item.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("t", t)) if timestamp.is_none() => timestamp = Some(t),
            Some(("v1", signature)) => signatures.push(signature),
            Some(_) => {}
            None => return Err(malformed("an element is not key=value")),
        }
    }
    let timestamp = timestamp.ok_or_else(|| malformed("no t= timestamp"))?;
    let signed_at: i64 = timestamp
        .parse()
        .map_err(|_| malformed("t is not a unix timestamp"))?;
    let message: [&[u8]; 3] = [timestamp.as_bytes(), b".", webhook.body];
    // Any v1 under any secret; failing all, the last one's error.
    let mut verdict = Err(malformed("no v1 signature"));
    for signature in signatures {
        verdict = secrets.verify(&message, signature, SignatureEncoding::Hex);
        if !matches!(
            verdict,
            Err(WebhookError::InvalidSignature | WebhookError::MalformedSignature(_))
        ) {
            break;
        }
    }
    verdict?;
    check_timestamp(signed_at, webhook.received_at, tolerance)?;
    let event: wire::Event = serde_json::from_slice(webhook.body)
        .map_err(|e| WebhookError::MalformedBody(e.to_string()))?;
    map(event)
}

fn map(event: wire::Event) -> Result<WebhookEvent, WebhookError> {
    use WebhookEventKind as K;
    // Signed but nonsensical values are refused, not dropped: a router must not apply an event
    // it only half understood.
    let malformed = |what: &str| WebhookError::MalformedBody(what.to_owned());
    if event.id.trim().is_empty() {
        return Err(malformed("empty event id"));
    }
    let o = event.data.object;
    let m = |v: Option<i64>| {
        v.map(MinorUnit::new)
            .transpose()
            .map_err(|_| malformed("negative amount"))
    };
    m(o.amount_capturable)?;
    m(o.amount_received)?;
    let is_intent = o.object.as_deref() == Some("payment_intent");
    // A PaymentIntent's absent `amount_received` follows its status, as in answers: a
    // `payment_intent.succeeded` without it received the whole amount, not nothing.
    let intent_received = match (is_intent, o.status.as_deref(), o.amount) {
        (true, Some(status), Some(amount)) => Some(
            mapping::intent_amounts(status, amount, o.amount_capturable, o.amount_received, None).1,
        ),
        _ => o.amount_received,
    };
    let (amount, received, captured, refunded) = (
        m(o.amount)?,
        m(intent_received)?,
        m(o.amount_captured)?,
        m(o.amount_refunded)?,
    );
    let currency = o
        .currency
        .as_deref()
        .map(|c| mapping::currency(c, None, 200))
        .transpose()
        .map_err(|_| malformed("unknown currency, or one Stripe counts in another unit"))?;
    let intent_status = o.status.as_deref().map(|s| {
        let (amount, received) = (o.amount.unwrap_or(0), intent_received.unwrap_or(0));
        mapping::payment_status(s, amount, received, o.last_payment_error.is_some())
    });
    let refund_kind = match o.status.as_deref() {
        Some("succeeded") => K::Refunded,
        Some("failed" | "canceled") => K::RefundFailed,
        _ => K::RefundPending,
    };
    let captured_status = match (captured, amount) {
        (Some(c), Some(a)) if c < a => PaymentStatus::PartiallyCaptured,
        _ => PaymentStatus::Succeeded,
    };
    let (kind, payment_status, amount) = match event.kind.as_str() {
        "payment_intent.amount_capturable_updated" => (K::Authorized, intent_status, amount),
        "payment_intent.succeeded" => (K::Captured, intent_status, received),
        "payment_intent.payment_failed" => {
            (K::AuthorizationFailed, Some(PaymentStatus::Failed), amount)
        }
        "payment_intent.canceled" => (K::Voided, Some(PaymentStatus::Cancelled), amount),
        "payment_intent.requires_action" => (
            K::ActionRequired,
            Some(PaymentStatus::RequiresCustomerAction),
            amount,
        ),
        "payment_intent.processing" => (K::Processing, Some(PaymentStatus::Processing), amount),
        "charge.captured" => (K::Captured, Some(captured_status), captured),
        "charge.refunded" => (K::Refunded, None, refunded),
        "charge.refund.updated" | "refund.created" | "refund.updated" => {
            (refund_kind, None, amount)
        }
        "refund.failed" => (K::RefundFailed, None, amount),
        _ => (K::Other, None, amount),
    };
    let decline = match kind {
        K::AuthorizationFailed => Some(mapping::decline(o.last_payment_error.unwrap_or_default())),
        K::RefundFailed => Some(mapping::refund_failure(o.failure_reason)),
        _ => None,
    };
    let (connector_payment_id, connector_action_id) = if is_intent {
        (o.id, None)
    } else {
        (o.payment_intent, o.id)
    };
    Ok(WebhookEvent {
        event_id: event.id,
        kind,
        raw_type: event.kind,
        connector_payment_id,
        connector_action_id,
        payment_status,
        amount,
        currency,
        decline,
    })
}
