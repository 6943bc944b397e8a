//! Webhook events: each moves a payment waiting for it, once; a repeat changes nothing.

use paybridge_core::WebhookEventKind as K;

use super::*;

/// A payment whose capture of `amount` the processor accepted and has not settled.
fn capturing(amount: i64) -> (Payment, String) {
    let mut p = payment(S::RequiresCapture);
    let command = Command::Capture {
        amount: Some(m(amount)),
        final_capture: None,
    };
    let (_, id) = start(&mut p, command, &caps());
    let accepted = capture_answer(S::Processing);
    let outcome = Outcome::Captured {
        capture_id: &id,
        final_capture: amount == 1000,
        answer: Answer::Verdict(&accepted),
    };
    apply(&mut p, outcome, NOW);
    assert_eq!(p.status, S::Processing);
    (p, id)
}

/// A captured payment with a refund of 300 the processor answered pending, as `re_1`.
fn refunding() -> (Payment, String) {
    let mut p = payment(S::Succeeded);
    let (_, id) = start(
        &mut p,
        Command::Refund {
            amount: Some(m(300)),
        },
        &caps(),
    );
    let pending = refund_answer(RefundStatus::Pending);
    let answer = Answer::Verdict(&pending);
    apply(
        &mut p,
        Outcome::Refunded {
            refund_id: &id,
            answer,
        },
        NOW,
    );
    (p, id)
}

fn refund_event(kind: K, connector_refund_id: &str) -> WebhookEvent {
    WebhookEvent {
        connector_action_id: Some(connector_refund_id.into()),
        ..event(kind)
    }
}

#[test]
fn authorized_moves_a_processing_authorization_to_requires_capture() {
    let mut p = payment(S::Processing);
    webhook_once(&mut p, &event(K::Authorized));
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(p.authorization_count, 1);
    assert_eq!(p.attempts[0].status, AttemptStatus::Authorized);
}

#[test]
fn authorization_failed_fails_a_waiting_payment_with_the_decline() {
    let mut p = payment(S::RequiresCustomerAction);
    let failed = WebhookEvent {
        decline: Some(decline()),
        ..event(K::AuthorizationFailed)
    };
    webhook_once(&mut p, &failed);
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.unified_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(p.attempts[0].status, AttemptStatus::Failure);
}

#[test]
fn authorization_failed_after_an_authorization_changes_nothing() {
    let mut p = payment(S::Processing);
    p.authorization_count = 1;
    assert!(!apply(
        &mut p,
        Outcome::Webhook(&event(K::AuthorizationFailed)),
        NOW
    ));
    assert_eq!(p.status, S::Processing);
}

#[test]
fn captured_charges_the_pending_capture() {
    let (mut p, id) = capturing(1000);
    webhook_once(&mut p, &event(K::Captured));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!(p.amount_received, m(1000));
    assert_eq!(
        p.capture_mut(&id).map(|c| c.status),
        Some(CaptureStatus::Charged)
    );
}

#[test]
fn captured_of_a_partial_capture_leaves_the_rest_capturable() {
    let (mut p, _) = capturing(400);
    webhook_once(&mut p, &event(K::Captured));
    assert_eq!(p.status, S::PartiallyCapturedAndCapturable);
    assert_eq!((p.amount_received, p.amount_capturable), (m(400), m(600)));
}

#[test]
fn captured_without_a_capture_here_records_the_processors_capture() {
    let mut p = payment(S::RequiresCapture);
    let captured = WebhookEvent {
        amount: Some(m(1000)),
        ..event(K::Captured)
    };
    webhook_once(&mut p, &captured);
    assert_eq!(p.status, S::Succeeded);
    assert_eq!((p.amount_received, p.amount_capturable), (m(1000), m(0)));
}

#[test]
fn capture_failed_returns_the_amount_and_the_payment_to_requires_capture() {
    let (mut p, id) = capturing(400);
    webhook_once(&mut p, &event(K::CaptureFailed));
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(
        p.capture_mut(&id).map(|c| c.status),
        Some(CaptureStatus::Failed)
    );
}

#[test]
fn voided_and_expired_end_an_uncaptured_authorization() {
    for (kind, status) in [(K::Voided, S::Cancelled), (K::Expired, S::Expired)] {
        let mut p = payment(S::RequiresCapture);
        webhook_once(&mut p, &event(kind));
        assert_eq!(p.status, status);
        assert_eq!(p.amount_capturable, m(0));
        assert_eq!(p.attempts[0].status, AttemptStatus::Voided);
    }
}

#[test]
fn voided_after_a_capture_changes_nothing() {
    let mut p = payment(S::Succeeded);
    assert!(!apply(&mut p, Outcome::Webhook(&event(K::Voided)), NOW));
    assert_eq!(p.status, S::Succeeded);
}

#[test]
fn refunded_gives_the_verdict_of_the_refund_it_names() {
    let (mut p, id) = refunding();
    assert!(!apply(
        &mut p,
        Outcome::Webhook(&refund_event(K::Refunded, "re_other")),
        NOW
    ));
    webhook_once(&mut p, &refund_event(K::Refunded, "re_1"));
    assert_eq!(
        p.refund(&id).map(|r| r.status),
        Some(RefundStatus::Succeeded)
    );
}

#[test]
fn refund_failed_fails_the_refund_with_the_decline_and_frees_its_amount() {
    let (mut p, id) = refunding();
    let failed = WebhookEvent {
        decline: Some(decline()),
        ..refund_event(K::RefundFailed, "re_1")
    };
    webhook_once(&mut p, &failed);
    let refund = p.refund(&id).expect("refund");
    assert_eq!(refund.status, RefundStatus::Failed);
    assert_eq!(refund.error.code.as_deref(), Some("51"));
    assert_eq!(p.refundable(), m(1000));
}

#[test]
fn a_late_refund_event_does_not_undo_a_verdict() {
    let (mut p, id) = refunding();
    webhook_once(&mut p, &refund_event(K::Refunded, "re_1"));
    for kind in [K::RefundPending, K::RefundFailed] {
        assert!(!apply(
            &mut p,
            Outcome::Webhook(&refund_event(kind, "re_1")),
            NOW
        ));
    }
    assert_eq!(
        p.refund(&id).map(|r| r.status),
        Some(RefundStatus::Succeeded)
    );
}

#[test]
fn the_cancel_post_capture_refund_event_cancels_the_payment() {
    let mut p = payment(S::Succeeded);
    let (_, id) = start(&mut p, Command::CancelPostCapture, &caps());
    let pending = paybridge_core::CancelPostCaptureResponse::from_refund(refund_answer(
        RefundStatus::Pending,
    ));
    let answer = Answer::Verdict(&pending);
    apply(
        &mut p,
        Outcome::CancelledPostCapture {
            refund_id: &id,
            answer,
        },
        NOW,
    );
    assert_eq!(p.status, S::Processing);
    // A late authorization event must not take the payment out of its cancellation.
    assert!(!apply(&mut p, Outcome::Webhook(&event(K::Authorized)), NOW));
    webhook_once(&mut p, &refund_event(K::Refunded, "re_1"));
    assert_eq!(p.status, S::CancelledPostCapture);
}

fn incrementing() -> Payment {
    let mut p = payment(S::RequiresCapture);
    let to = Command::IncrementAuthorization { new_total: m(1500) };
    start(&mut p, to, &caps());
    p
}

#[test]
fn authorization_incremented_raises_the_amount_once() {
    let mut p = incrementing();
    webhook_once(&mut p, &event(K::AuthorizationIncremented));
    assert_eq!((p.amount, p.amount_capturable), (m(1500), m(1500)));
    assert_eq!(p.authorization_count, 2);
    assert_eq!(p.increments[0].status, AuthorizationStatus::Success);
}

#[test]
fn authorization_increment_declined_keeps_the_amount() {
    let mut p = incrementing();
    webhook_once(&mut p, &event(K::AuthorizationIncrementDeclined));
    assert_eq!((p.amount, p.amount_capturable), (m(1000), m(1000)));
    assert_eq!(p.increments[0].status, AuthorizationStatus::Failure);
}

#[test]
fn events_that_change_nothing_say_so() {
    let mut p = payment(S::RequiresCapture);
    for kind in [
        K::Processing,
        K::ActionRequired,
        K::VoidFailed,
        K::Other,
        K::Authorized,
    ] {
        assert!(
            !apply(&mut p, Outcome::Webhook(&event(kind)), NOW),
            "{kind:?}"
        );
    }
    assert_eq!(p, payment(S::RequiresCapture));
}
