//! Which events a change of a payment makes: the merchant is told of every change of its
//! status, of each capture, incremental authorization and extension, and of each refund's end.
//! Pure: the caller writes them in the same transaction as the change (an outbox), so a crash
//! never loses or invents one.

use paybridge_core::{AuthorizationStatus, PaymentStatus, RefundStatus};
use serde::{Deserialize, Serialize};

use super::payment::{CaptureStatus, Payment};

/// The kinds of event sent to merchants, by their names in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The payment's status became `succeeded`.
    PaymentSucceeded,
    /// … `failed`.
    PaymentFailed,
    /// … `processing` (including a new payment whose outcome is not known yet).
    PaymentProcessing,
    /// … `requires_capture`: authorized.
    PaymentRequiresCapture,
    /// … `requires_customer_action` (3-D Secure).
    PaymentRequiresCustomerAction,
    /// … `partially_captured` or `partially_captured_and_capturable`.
    PaymentPartiallyCaptured,
    /// … `cancelled`.
    PaymentCancelled,
    /// … `cancelled_post_capture`.
    PaymentCancelledPostCapture,
    /// A capture was confirmed by the processor.
    PaymentCaptured,
    /// An incremental authorization succeeded.
    PaymentAuthorizationIncremented,
    /// An incremental authorization was declined.
    PaymentAuthorizationDeclined,
    /// The authorization was extended.
    PaymentAuthorizationExtended,
    /// A refund succeeded.
    RefundSucceeded,
    /// A refund failed.
    RefundFailed,
}

impl EventType {
    /// Every kind, in declaration order.
    pub const ALL: [EventType; 14] = [
        EventType::PaymentSucceeded,
        EventType::PaymentFailed,
        EventType::PaymentProcessing,
        EventType::PaymentRequiresCapture,
        EventType::PaymentRequiresCustomerAction,
        EventType::PaymentPartiallyCaptured,
        EventType::PaymentCancelled,
        EventType::PaymentCancelledPostCapture,
        EventType::PaymentCaptured,
        EventType::PaymentAuthorizationIncremented,
        EventType::PaymentAuthorizationDeclined,
        EventType::PaymentAuthorizationExtended,
        EventType::RefundSucceeded,
        EventType::RefundFailed,
    ];

    /// The name, as in the API.
    pub fn name(self) -> String {
        super::payment::enum_name(&self)
    }
}

/// One event a change makes, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its kind.
    pub event_type: EventType,
    /// The refund it is about, for refund events; else the payment.
    pub refund_id: Option<String>,
}

impl Change {
    fn payment(event_type: EventType) -> Self {
        Change {
            event_type,
            refund_id: None,
        }
    }
}

/// The events of the change from `before` (`None`: the payment is new) to `after`, in a fixed
/// order: the status first, then captures, increments, the extension and refunds.
pub fn changes(before: Option<&Payment>, after: &Payment) -> Vec<Change> {
    use PaymentStatus as S;
    let mut events = Vec::new();
    if before.map(|b| b.status) != Some(after.status) {
        let status_event = match after.status {
            S::Succeeded => Some(EventType::PaymentSucceeded),
            S::Failed => Some(EventType::PaymentFailed),
            S::Processing => Some(EventType::PaymentProcessing),
            S::RequiresCapture => Some(EventType::PaymentRequiresCapture),
            S::RequiresCustomerAction => Some(EventType::PaymentRequiresCustomerAction),
            S::PartiallyCaptured | S::PartiallyCapturedAndCapturable => {
                Some(EventType::PaymentPartiallyCaptured)
            }
            S::Cancelled => Some(EventType::PaymentCancelled),
            S::CancelledPostCapture => Some(EventType::PaymentCancelledPostCapture),
            _ => None,
        };
        events.extend(status_event.map(Change::payment));
    }
    for capture in &after.captures {
        let was = before
            .and_then(|b| b.captures.iter().find(|c| c.id == capture.id))
            .map(|c| c.status);
        if capture.status == CaptureStatus::Charged && was != Some(CaptureStatus::Charged) {
            events.push(Change::payment(EventType::PaymentCaptured));
        }
    }
    for increment in &after.increments {
        let was = before
            .and_then(|b| b.increments.iter().find(|i| i.id == increment.id))
            .map(|i| i.status);
        if was == Some(increment.status) {
            continue;
        }
        match increment.status {
            AuthorizationStatus::Success => {
                events.push(Change::payment(EventType::PaymentAuthorizationIncremented));
            }
            AuthorizationStatus::Failure => {
                events.push(Change::payment(EventType::PaymentAuthorizationDeclined));
            }
            AuthorizationStatus::Processing => {}
        }
    }
    // An extension asked for at creation is part of the authorization's own event.
    if let Some(before) = before {
        if after.extended_authorization_last_applied_at.is_some()
            && after.extended_authorization_last_applied_at
                != before.extended_authorization_last_applied_at
        {
            events.push(Change::payment(EventType::PaymentAuthorizationExtended));
        }
    }
    for refund in &after.refunds {
        let was = before
            .and_then(|b| b.refunds.iter().find(|r| r.id == refund.id))
            .map(|r| r.status);
        if was == Some(refund.status) {
            continue;
        }
        let event_type = match refund.status {
            RefundStatus::Succeeded => EventType::RefundSucceeded,
            RefundStatus::Failed => EventType::RefundFailed,
            RefundStatus::Pending => continue,
        };
        events.push(Change {
            event_type,
            refund_id: Some(refund.id.clone()),
        });
    }
    events
}
