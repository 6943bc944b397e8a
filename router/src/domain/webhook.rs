//! What a verified webhook event does to a payment.

use paybridge_core::{
    AuthorizationStatus, MinorUnit, PaymentStatus as S, RefundStatus, WebhookEvent,
    WebhookEventKind as K,
};

use super::apply::decline_details;
use super::payment::{minus, plus, AttemptStatus, CaptureStatus, Payment};

/// Webhooks arrive at least once and in any order, so an event only moves a payment forward
/// from a state that is waiting for it (a pending capture, a processing authorization).
pub(super) fn apply(p: &mut Payment, event: &WebhookEvent, now: &str) {
    let status = p.status;
    let waiting_for_verdict = matches!(status, S::Processing | S::RequiresCustomerAction);
    let capture_pending = p
        .captures
        .iter()
        .any(|c| c.status == CaptureStatus::Pending);
    match event.kind {
        K::Authorized if waiting_for_verdict && !capture_pending && !cancelling(p) => {
            let new_status = event.payment_status.unwrap_or(S::RequiresCapture);
            p.status = new_status;
            p.authorization_count = p.authorization_count.max(1);
            if new_status == S::RequiresCapture {
                p.amount_capturable = minus(p.amount, p.amount_received);
            }
            p.set_attempt(AttemptStatus::Authorized, now);
        }
        K::AuthorizationFailed if waiting_for_verdict && p.authorization_count == 0 => {
            p.status = S::Failed;
            if let Some(decline) = &event.decline {
                p.error = decline_details(decline);
            }
            p.set_attempt(AttemptStatus::Failure, now);
        }
        K::Captured => {
            let mut changed = false;
            if let Some(index) = capture_named(p, event) {
                let amount = p.captures[index].amount;
                // Never more received than authorized: such an event is not about this capture,
                // and a sync settles it.
                if plus(p.amount_received, amount) <= p.amount {
                    p.captures[index].status = CaptureStatus::Charged;
                    p.amount_received = plus(p.amount_received, amount);
                    changed = true;
                }
            } else if status == S::RequiresCapture && p.captures.is_empty() {
                // Captured at the processor without a capture through this router (automatic
                // capture after a processing authorization, or the processor's dashboard).
                let amount = event.amount.unwrap_or(p.amount_capturable);
                p.amount_received = plus(p.amount_received, amount).min(p.amount);
                p.amount_capturable = MinorUnit::ZERO;
                changed = true;
            }
            if changed {
                p.status = p.captured_status();
            }
        }
        K::CaptureFailed => {
            if let Some(index) = capture_named(p, event) {
                let amount = p.captures[index].amount;
                p.captures[index].status = CaptureStatus::Failed;
                p.amount_capturable = plus(p.amount_capturable, amount);
                if status == S::Processing {
                    p.status = S::RequiresCapture;
                }
            }
        }
        K::Voided | K::Cancelled | K::Expired
            if matches!(
                status,
                S::RequiresCapture | S::Processing | S::RequiresCustomerAction
            ) && !p
                .captures
                .iter()
                .any(|c| c.status == CaptureStatus::Charged)
                && !cancelling(p) =>
        {
            p.status = if event.kind == K::Expired {
                S::Expired
            } else {
                S::Cancelled
            };
            p.amount_capturable = MinorUnit::ZERO;
            p.set_attempt(AttemptStatus::Voided, now);
        }
        K::Refunded | K::RefundPending | K::RefundFailed => {
            let verdict = match event.kind {
                K::Refunded => RefundStatus::Succeeded,
                K::RefundFailed => RefundStatus::Failed,
                _ => return,
            };
            let Some(target) = event.connector_action_id.as_deref() else {
                return;
            };
            let refund = p
                .refunds
                .iter_mut()
                .find(|r| r.connector_refund_id.as_deref() == Some(target));
            // A refund's verdict is final; a late one does not undo it.
            if let Some(refund) = refund.filter(|r| r.status == RefundStatus::Pending) {
                refund.status = verdict;
                refund.updated_at = now.to_owned();
                if verdict == RefundStatus::Failed {
                    if let Some(decline) = &event.decline {
                        refund.error.code = decline.code.clone();
                        refund.error.message = decline.message.clone();
                    }
                }
            }
        }
        K::AuthorizationIncremented | K::AuthorizationIncrementDeclined => {
            let success = event.kind == K::AuthorizationIncremented;
            let (mut amount, mut capturable, mut count) =
                (p.amount, p.amount_capturable, p.authorization_count);
            for increment in p
                .increments
                .iter_mut()
                .filter(|i| i.status == AuthorizationStatus::Processing)
            {
                if success {
                    increment.status = AuthorizationStatus::Success;
                    capturable = plus(capturable, minus(increment.new_total, amount));
                    amount = amount.max(increment.new_total);
                    count += 1;
                } else {
                    increment.status = AuthorizationStatus::Failure;
                }
            }
            (p.amount, p.amount_capturable, p.authorization_count) = (amount, capturable, count);
        }
        _ => {}
    }
}

/// The pending capture `event` is about: the one the processor names by its id, else the only
/// pending one when the event's amount (if it gives one) is that capture's.
fn capture_named(p: &Payment, event: &WebhookEvent) -> Option<usize> {
    let pending = |c: &&super::payment::Capture| c.status == CaptureStatus::Pending;
    if let Some(action) = event.connector_action_id.as_deref() {
        if let Some(index) = p
            .captures
            .iter()
            .position(|c| c.connector_capture_id.as_deref() == Some(action))
        {
            return p.captures.get(index).filter(pending).map(|_| index);
        }
    }
    let mut candidates = p.captures.iter().enumerate().filter(|(_, c)| pending(c));
    match (candidates.next(), candidates.next()) {
        (Some((index, capture)), None)
            if event.amount.is_none_or(|amount| amount == capture.amount) =>
        {
            Some(index)
        }
        _ => None,
    }
}

/// A cancel post capture is under way: the payment's `processing` waits for its refund.
fn cancelling(p: &Payment) -> bool {
    p.cancel_post_capture_refund
        .as_deref()
        .and_then(|id| p.refund(id))
        .is_some_and(|r| r.status == RefundStatus::Pending)
}
