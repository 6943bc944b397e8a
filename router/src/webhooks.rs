//! What a verified webhook event does to a stored payment.
//!
//! Webhooks arrive at least once and in any order, so an event only moves a payment forward
//! from a state that is waiting for it (a pending capture, a processing authorization); an
//! event that the stored state already reflects changes nothing.

use paybridge_core::{PaymentStatus as S, WebhookEvent, WebhookEventKind as K};

use crate::payments::{captured_status, enum_name, now, status_name, status_of};
use crate::store::PaymentRecord;

/// Applies `event` to `record`; `true` when something changed.
pub fn apply(record: &mut PaymentRecord, event: &WebhookEvent) -> bool {
    let Some(status) = status_of(record) else {
        return false;
    };
    let waiting_for_verdict = matches!(status, S::Processing | S::RequiresCustomerAction);
    let changed = match event.kind {
        K::Authorized if waiting_for_verdict && !has_pending_operation(record) => {
            let p = &mut record.payment;
            let new_status = event.payment_status.unwrap_or(S::RequiresCapture);
            p.status = status_name(new_status);
            p.authorization_count = p.authorization_count.max(1);
            if new_status == S::RequiresCapture {
                p.amount_capturable = p.amount - p.amount_received;
            }
            set_attempt(record, "authorized");
            true
        }
        K::AuthorizationFailed
            if waiting_for_verdict && record.payment.authorization_count == 0 =>
        {
            let p = &mut record.payment;
            p.status = status_name(S::Failed);
            if let Some(decline) = &event.decline {
                p.error_code = decline.code.clone();
                p.error_message = decline.message.clone();
                p.unified_code = Some(enum_name(&decline.unified));
                p.unified_message = Some(decline.unified.message().to_owned());
            }
            set_attempt(record, "failure");
            true
        }
        K::Captured => {
            let mut changed = false;
            for capture in record.captures.iter_mut().filter(|c| c.status == "pending") {
                capture.status = "charged".into();
                record.payment.amount_received += capture.amount;
                changed = true;
            }
            if !changed && matches!(status, S::RequiresCapture) && record.captures.is_empty() {
                // Captured at the processor without a capture through this router (automatic
                // capture after a processing authorization, or the processor's dashboard).
                let amount = event
                    .amount
                    .map(|a| a.get())
                    .unwrap_or(record.payment.amount_capturable);
                record.payment.amount_received += amount;
                record.payment.amount_capturable = 0;
                changed = true;
            }
            if changed {
                record.payment.status = status_name(captured_status(&record.payment));
            }
            changed
        }
        K::CaptureFailed => {
            let mut changed = false;
            for capture in record.captures.iter_mut().filter(|c| c.status == "pending") {
                capture.status = "failed".into();
                record.payment.amount_capturable += capture.amount;
                changed = true;
            }
            if changed && status == S::Processing {
                record.payment.status = status_name(S::RequiresCapture);
            }
            changed
        }
        K::Voided | K::Cancelled | K::Expired
            if matches!(
                status,
                S::RequiresCapture | S::Processing | S::RequiresCustomerAction
            ) && !record.captures.iter().any(|c| c.status == "charged") =>
        {
            let new_status = if event.kind == K::Expired {
                S::Expired
            } else {
                S::Cancelled
            };
            record.payment.status = status_name(new_status);
            record.payment.amount_capturable = 0;
            set_attempt(record, "voided");
            true
        }
        K::Refunded | K::RefundPending | K::RefundFailed => {
            let new_status = match event.kind {
                K::Refunded => "succeeded",
                K::RefundFailed => "failed",
                _ => "pending",
            };
            let target = event.connector_action_id.as_deref();
            let refund = record
                .refunds
                .iter_mut()
                .find(|r| target.is_some() && r.connector_refund_id.as_deref() == target);
            match refund {
                // A refund's verdict is final; a late "pending" does not undo it.
                Some(refund) if refund.status == "pending" && new_status != "pending" => {
                    refund.status = new_status.into();
                    refund.updated_at = now();
                    if new_status == "failed" {
                        if let Some(decline) = &event.decline {
                            refund.error_code = decline.code.clone();
                            refund.error_message = decline.message.clone();
                        }
                    }
                    true
                }
                _ => false,
            }
        }
        K::AuthorizationIncremented | K::AuthorizationIncrementDeclined => {
            let success = event.kind == K::AuthorizationIncremented;
            let mut changed = false;
            for increment in record
                .increments
                .iter_mut()
                .filter(|i| i.status == "processing")
            {
                increment.status = if success { "success" } else { "failure" }.into();
                if success {
                    let p = &mut record.payment;
                    p.amount_capturable += increment.amount - p.amount;
                    p.amount = increment.amount;
                    p.authorization_count += 1;
                }
                changed = true;
            }
            changed
        }
        _ => false,
    };
    if changed {
        record.payment.updated = now();
    }
    changed
}

fn has_pending_operation(record: &PaymentRecord) -> bool {
    record.captures.iter().any(|c| c.status == "pending")
}

fn set_attempt(record: &mut PaymentRecord, status: &str) {
    if let Some(attempt) = record.attempts.last_mut() {
        attempt.status = status.into();
        attempt.modified_at = now();
    }
}
