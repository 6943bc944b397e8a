//! Primer webhooks. `X-Signature-Primary` is the base64 HMAC-SHA256 of the raw body under the
//! account's signing secret; `X-Signature-Secondary` is added for 24 h after a rotation. Either
//! may match any configured secret. `signedAt` (unix seconds, inside the signed body) must be
//! within the tolerance of the delivery's arrival.
//!
//! Primer sends no event id, so one is derived from what the v2.2 Payment has (it has no
//! `dateUpdated`), so that a redelivery keeps its id and two distinct events never share one:
//!
//! - `PAYMENT.STATUS`: `"{payment id}:PAYMENT.STATUS:{status}:{amount}:{amountCaptured}:{amountRefunded}"`.
//!   A status change is a new status, or, where a status repeats (`PARTIALLY_SETTLED` after
//!   another partial capture, `AUTHORIZED` after an adjustment), new amounts.
//! - `PAYMENT.REFUND`: `"{payment id}:PAYMENT.REFUND:{processorTransactionId}:{processorStatus}"`
//!   of the refund the event reports (the newest REFUND transaction): one per refund and outcome.
//! - Other events: `"{payment id}:{eventType}:{date, else signedAt}"`.
//!
//! `signedAt` is not part of a payment event's id: a redelivery may be signed anew.

use std::time::Duration;

use paybridge_core::webhook::{
    check_timestamp, IncomingWebhook, SignatureEncoding, WebhookSecrets,
};
use paybridge_core::*;
use serde_json::Value;

use crate::{mapping, wire};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-signature-primary";
/// The signature header under the previous secret, after a rotation.
pub const SECONDARY_SIGNATURE_HEADER: &str = "x-signature-secondary";

/// Verifies and maps one delivery.
pub fn verify(
    secrets: &WebhookSecrets,
    tolerance: Duration,
    webhook: &IncomingWebhook<'_>,
) -> Result<WebhookEvent, WebhookError> {
    let signatures = [SIGNATURE_HEADER, SECONDARY_SIGNATURE_HEADER].map(|h| webhook.header(h));
    if signatures.iter().all(Option::is_none) {
        return Err(WebhookError::MissingSignature(SIGNATURE_HEADER));
    }
    let mut verdict = Err(WebhookError::InvalidSignature);
    for signature in signatures.into_iter().flatten() {
        verdict = secrets.verify(&[webhook.body], signature, SignatureEncoding::Base64);
        if verdict.is_ok() {
            break;
        }
    }
    verdict?;
    let malformed = |what: &str| WebhookError::MalformedBody(what.to_owned());
    let event: wire::Event = serde_json::from_slice(webhook.body)
        .map_err(|e| WebhookError::MalformedBody(e.to_string()))?;
    let signed_at = match &event.signed_at {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| malformed("signedAt is not unix seconds"))?;
    check_timestamp(signed_at, webhook.received_at, tolerance)?;
    map(event, signed_at)
}

fn map(event: wire::Event, signed_at: i64) -> Result<WebhookEvent, WebhookError> {
    use WebhookEventKind as K;
    let malformed = |e: ConnectorError| WebhookError::MalformedBody(e.to_string());
    let payment_id = event
        .payment
        .as_ref()
        .map(|p| p.id.clone())
        .or(event.payment_id);
    let event_id = format!(
        "{}:{}:{}",
        payment_id.as_deref().unwrap_or_default(),
        event.event_type,
        match &event.date {
            Some(Value::String(date)) => date.clone(),
            Some(date) if !date.is_null() => date.to_string(),
            _ => signed_at.to_string(),
        }
    );
    let mut out = WebhookEvent {
        event_id,
        kind: K::Other,
        raw_type: event.event_type,
        connector_payment_id: payment_id,
        connector_action_id: None,
        payment_status: None,
        amount: None,
        currency: None,
        decline: None,
    };
    let Some(payment) = event.payment else {
        return Ok(out);
    };
    // Signed but nonsensical values (negative amounts, unknown currencies, empty ids) are
    // refused, not dropped: a router must not apply an event it only half understood.
    let amount = payment.amount;
    let processor = payment.processor.as_ref();
    let state = format!(
        "{}:{}:{}:{}",
        payment.status,
        amount.unwrap_or_default(),
        processor
            .and_then(|p| p.amount_captured)
            .unwrap_or_default(),
        processor
            .and_then(|p| p.amount_refunded)
            .unwrap_or_default(),
    );
    let refund = mapping::refund(&payment, None, 200).map_err(malformed)?;
    let mapped = mapping::payment(payment, None, 200).map_err(malformed)?;
    out.currency = Some(mapped.currency);
    match out.raw_type.as_str() {
        "PAYMENT.STATUS" => {
            out.event_id = format!("{}:PAYMENT.STATUS:{state}", mapped.connector_payment_id);
            out.kind = match mapped.raw_status.as_str() {
                "AUTHORIZED" => K::Authorized,
                "SETTLED" | "SETTLING" | "PARTIALLY_SETTLED" => K::Captured,
                "DECLINED" | "FAILED" => K::AuthorizationFailed,
                "CANCELLED" => K::Voided,
                "PENDING" if mapped.status == PaymentStatus::RequiresCustomerAction => {
                    K::ActionRequired
                }
                _ => K::Processing,
            };
            out.payment_status = Some(mapped.status);
            out.amount = amount.and_then(|a| MinorUnit::new(a).ok());
            out.decline = mapped.decline;
        }
        "PAYMENT.REFUND" => {
            let refund = refund.ok_or_else(|| {
                WebhookError::MalformedBody("PAYMENT.REFUND without a REFUND transaction".into())
            })?;
            out.event_id = format!(
                "{}:PAYMENT.REFUND:{}:{}",
                mapped.connector_payment_id, refund.connector_refund_id, refund.raw_status
            );
            out.kind = match refund.status {
                RefundStatus::Succeeded => K::Refunded,
                RefundStatus::Failed => K::RefundFailed,
                RefundStatus::Pending => K::RefundPending,
            };
            out.decline = (refund.status == RefundStatus::Failed).then(|| {
                DeclineDetails::new(None, refund.failure_reason.clone(), DeclineCode::Generic)
            });
            out.connector_action_id = Some(refund.connector_refund_id);
            out.amount = refund.amount;
        }
        _ => {}
    }
    Ok(out)
}
