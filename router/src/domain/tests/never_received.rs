//! Operations whose answer was lost and that the processor turned out never to have received.

use super::*;
use crate::domain::{Lost, NOT_FOUND_AT_PROCESSOR};

#[test]
fn an_authorization_never_received_fails_the_payment_and_its_attempt() {
    let mut p = created();
    p.connector_transaction_id = None;
    assert!(apply(
        &mut p,
        Outcome::Authorized(Answer::Unknown(&unknown())),
        NOW
    ));
    assert_eq!(p.status, S::Processing);

    assert!(apply(
        &mut p,
        Outcome::NeverReceived(Lost::Authorization),
        NOW
    ));
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.code.as_deref(), Some(NOT_FOUND_AT_PROCESSOR));
    assert_eq!(p.attempts[0].status, AttemptStatus::Failure);
    assert_eq!(p.amount_capturable, m(0));
}

#[test]
fn an_authorization_the_processor_answered_is_never_failed_as_lost() {
    let mut p = payment(S::RequiresCapture);
    let before = p.clone();
    assert!(!apply(
        &mut p,
        Outcome::NeverReceived(Lost::Authorization),
        NOW
    ));
    assert_eq!(p, before);
}

#[test]
fn a_capture_never_received_is_failed_and_its_amount_capturable_again() {
    let mut p = payment(S::RequiresCapture);
    let (_, id) = start(
        &mut p,
        Command::Capture {
            amount: Some(m(400)),
            final_capture: None,
        },
        &caps(),
    );
    assert!(apply(
        &mut p,
        Outcome::Captured {
            capture_id: &id,
            final_capture: false,
            answer: Answer::Unknown(&unknown())
        },
        NOW
    ));
    assert_eq!((p.status, p.amount_capturable), (S::Processing, m(600)));

    assert!(apply(
        &mut p,
        Outcome::NeverReceived(Lost::Capture(&id)),
        NOW
    ));
    assert_eq!(p.captures[0].status, CaptureStatus::Failed);
    assert_eq!(
        p.captures[0].error_code.as_deref(),
        Some(NOT_FOUND_AT_PROCESSOR)
    );
    assert_eq!(
        (p.status, p.amount_capturable),
        (S::RequiresCapture, m(1000))
    );
    // Applying it again changes nothing: the capture is no longer pending.
    assert!(!apply(
        &mut p,
        Outcome::NeverReceived(Lost::Capture(&id)),
        NOW
    ));
}

#[test]
fn a_charged_capture_is_never_failed_as_lost() {
    let mut p = payment(S::Succeeded);
    let id = p.captures[0].id.clone();
    assert!(!apply(
        &mut p,
        Outcome::NeverReceived(Lost::Capture(&id)),
        NOW
    ));
    assert_eq!(p.captures[0].status, CaptureStatus::Charged);
}

#[test]
fn a_refund_never_received_is_failed_and_its_amount_refundable_again() {
    let mut p = payment(S::Succeeded);
    let (_, id) = start(
        &mut p,
        Command::Refund {
            amount: Some(m(300)),
        },
        &caps(),
    );
    assert_eq!(p.refundable(), m(700));

    assert!(apply(
        &mut p,
        Outcome::NeverReceived(Lost::Refund(&id)),
        NOW
    ));
    let refund = p.refund(&id).expect("refund");
    assert_eq!(refund.status, RefundStatus::Failed);
    assert_eq!(refund.error.code.as_deref(), Some(NOT_FOUND_AT_PROCESSOR));
    assert_eq!(p.refundable(), m(1000));
}

#[test]
fn a_cancel_post_capture_never_received_leaves_the_payment_captured() {
    let mut p = payment(S::Succeeded);
    let (_, id) = start(&mut p, Command::CancelPostCapture, &caps());
    assert!(apply(
        &mut p,
        Outcome::CancelledPostCapture {
            refund_id: &id,
            answer: Answer::Unknown(&unknown())
        },
        NOW
    ));
    assert_eq!(p.status, S::Processing);

    assert!(apply(
        &mut p,
        Outcome::NeverReceived(Lost::Refund(&id)),
        NOW
    ));
    assert_eq!(p.status, S::Succeeded);
}

#[test]
fn lost_refunds_the_processors_total_holds_succeed_oldest_first() {
    let mut p = payment(S::Succeeded);
    let (_, named) = start(
        &mut p,
        Command::Refund {
            amount: Some(m(100)),
        },
        &caps(),
    );
    let named_answer = RefundResponse {
        connector_refund_id: "re_1".into(),
        ..refund_answer(RefundStatus::Succeeded)
    };
    apply(
        &mut p,
        Outcome::Refunded {
            refund_id: &named,
            answer: Answer::Verdict(&named_answer),
        },
        NOW,
    );
    let (_, first) = start(
        &mut p,
        Command::Refund {
            amount: Some(m(300)),
        },
        &caps(),
    );
    let (_, second) = start(
        &mut p,
        Command::Refund {
            amount: Some(m(200)),
        },
        &caps(),
    );
    for id in [&first, &second] {
        apply(
            &mut p,
            Outcome::Refunded {
                refund_id: id,
                answer: Answer::Unknown(&unknown()),
            },
            NOW,
        );
    }
    // 100 named + 300: the first lost refund is held, the second is not (yet).
    assert!(apply(&mut p, Outcome::RefundedTotal(m(400)), NOW));
    let status = |p: &Payment, id: &str| p.refund(id).expect("refund").status;
    assert_eq!(status(&p, &first), RefundStatus::Succeeded);
    assert_eq!(status(&p, &second), RefundStatus::Pending);
    // Nothing more refunded: nothing changes.
    assert!(!apply(&mut p, Outcome::RefundedTotal(m(400)), NOW));
    assert!(apply(&mut p, Outcome::RefundedTotal(m(600)), NOW));
    assert_eq!(status(&p, &second), RefundStatus::Succeeded);
}

#[test]
fn a_payment_awaits_a_verdict_while_anything_of_it_is_unsettled() {
    let mut p = payment(S::RequiresCapture);
    assert!(!p.awaiting_verdict());
    let (_, id) = start(
        &mut p,
        Command::Capture {
            amount: Some(m(400)),
            final_capture: None,
        },
        &caps(),
    );
    assert!(p.awaiting_verdict(), "a pending capture");
    apply(&mut p, Outcome::NeverReceived(Lost::Capture(&id)), NOW);
    assert!(!p.awaiting_verdict());
    start(
        &mut p,
        Command::IncrementAuthorization { new_total: m(1500) },
        &caps(),
    );
    assert!(p.awaiting_verdict(), "a processing increment");
}
