//! Captures and voids of an authorized payment.

use super::*;

fn capture(amount: Option<i64>, final_capture: Option<bool>) -> Command {
    Command::Capture {
        amount: amount.map(m),
        final_capture,
    }
}

/// Starts `command` on `p` and applies the processor's `answer` to it.
fn captured(p: &mut Payment, command: Command, answer: Answer<'_, CaptureResponse>) -> String {
    let (plan, id) = start(p, command, &caps());
    let Plan::Capture { final_capture, .. } = plan else {
        panic!("planned {plan:?}");
    };
    let outcome = Outcome::Captured {
        capture_id: &id,
        final_capture,
        answer,
    };
    assert!(apply(p, outcome, NOW));
    id
}

fn status_of(p: &Payment, id: &str) -> CaptureStatus {
    p.captures
        .iter()
        .find(|c| c.id == id)
        .expect("capture")
        .status
}

#[test]
fn begin_reserves_the_amount_before_the_processor_is_called() {
    let mut p = payment(S::RequiresCapture);
    let (plan, id) = start(&mut p, capture(Some(300), None), &caps());
    assert_eq!(
        plan,
        Plan::Capture {
            amount: m(300),
            final_capture: false
        }
    );
    assert_eq!(p.amount_capturable, m(700));
    assert_eq!(status_of(&p, &id), CaptureStatus::Pending);
    assert_eq!(p.captures[0].sequence, 1);
}

#[test]
fn a_full_capture_succeeds() {
    let mut p = payment(S::RequiresCapture);
    let ok = capture_answer(S::Succeeded);
    let id = captured(&mut p, capture(None, None), Answer::Verdict(&ok));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!((p.amount_received, p.amount_capturable), (m(1000), m(0)));
    assert_eq!(status_of(&p, &id), CaptureStatus::Charged);
    assert_eq!(p.captures[0].connector_capture_id.as_deref(), Some("cp_1"));
}

#[test]
fn a_final_partial_capture_releases_the_rest() {
    let mut p = payment(S::RequiresCapture);
    let ok = capture_answer(S::PartiallyCaptured);
    captured(&mut p, capture(Some(400), Some(true)), Answer::Verdict(&ok));
    assert_eq!(p.status, S::PartiallyCaptured);
    assert_eq!((p.amount_received, p.amount_capturable), (m(400), m(0)));
    assert_eq!(
        plan(&p, &capture(None, None), &caps()),
        Err(Refusal::WrongStatus {
            operation: "capture",
            status: S::PartiallyCaptured,
            allowed: &[
                S::RequiresCapture,
                S::PartiallyCapturedAndCapturable,
                S::PartiallyAuthorizedAndRequiresCapture
            ],
        })
    );
}

#[test]
fn a_partial_capture_with_multiple_captures_keeps_the_rest_capturable() {
    let mut p = payment(S::RequiresCapture);
    let ok = capture_answer(S::PartiallyCapturedAndCapturable);
    captured(&mut p, capture(Some(400), None), Answer::Verdict(&ok));
    assert_eq!(p.status, S::PartiallyCapturedAndCapturable);
    assert_eq!((p.amount_received, p.amount_capturable), (m(400), m(600)));
    let ok = capture_answer(S::Succeeded);
    captured(&mut p, capture(None, None), Answer::Verdict(&ok));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!((p.amount_received, p.amount_capturable), (m(1000), m(0)));
    assert_eq!(p.captures[1].sequence, 2);
}

#[test]
fn a_single_capture_connector_makes_a_partial_capture_final() {
    let single = caps_with(Flow::Capture, [Condition::Partial]);
    let p = payment(S::RequiresCapture);
    assert_eq!(
        plan(&p, &capture(Some(400), None), &single),
        Ok(Plan::Capture {
            amount: m(400),
            final_capture: true
        })
    );
}

#[test]
fn the_processors_amounts_win_over_the_routers_arithmetic() {
    let mut p = payment(S::RequiresCapture);
    let mut ok = capture_answer(S::PartiallyCapturedAndCapturable);
    ok.amounts = Some(paybridge_core::PaymentAmounts {
        authorized: m(1000),
        capturable: m(500),
        received: m(500),
        refunded: m(0),
    });
    captured(&mut p, capture(Some(400), None), Answer::Verdict(&ok));
    assert_eq!((p.amount_received, p.amount_capturable), (m(500), m(500)));
}

#[test]
fn a_processing_capture_is_settled_by_a_sync() {
    let mut p = payment(S::RequiresCapture);
    let accepted = capture_answer(S::Processing);
    let id = captured(&mut p, capture(None, None), Answer::Verdict(&accepted));
    assert_eq!(p.status, S::Processing);
    assert_eq!(status_of(&p, &id), CaptureStatus::Pending);
    assert_eq!(p.amount_capturable, m(0));
    let synced = answer(S::Succeeded, 1000, 0, 1000);
    assert!(apply(&mut p, Outcome::Synced(&synced), NOW));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!(status_of(&p, &id), CaptureStatus::Charged);
    assert_eq!(p.amount_received, m(1000));
}

#[test]
fn a_sync_of_a_dead_payment_fails_its_pending_capture() {
    let mut p = payment(S::RequiresCapture);
    let accepted = capture_answer(S::Processing);
    let id = captured(&mut p, capture(None, None), Answer::Verdict(&accepted));
    assert!(apply(
        &mut p,
        Outcome::Synced(&answer(S::Cancelled, 1000, 0, 0)),
        NOW
    ));
    assert_eq!(status_of(&p, &id), CaptureStatus::Failed);
    assert_eq!(p.status, S::Cancelled);
}

#[test]
fn a_failed_capture_returns_its_amount_to_capturable() {
    let mut p = payment(S::RequiresCapture);
    let failed = capture_answer(S::Failed);
    let id = captured(&mut p, capture(Some(300), None), Answer::Verdict(&failed));
    assert_eq!(status_of(&p, &id), CaptureStatus::Failed);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(p.captures[0].error_message.as_deref(), Some("capture raw"));
}

#[test]
fn a_refused_capture_returns_its_amount_to_capturable() {
    let mut p = payment(S::RequiresCapture);
    let err = refused();
    let id = captured(&mut p, capture(Some(300), None), Answer::Refused(&err));
    assert_eq!(status_of(&p, &id), CaptureStatus::Failed);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(p.captures[0].error_code.as_deref(), Some("state_conflict"));
}

#[test]
fn an_unknown_capture_stays_pending_with_its_amount_reserved() {
    let mut p = payment(S::RequiresCapture);
    let err = unknown();
    let id = captured(&mut p, capture(Some(300), None), Answer::Unknown(&err));
    assert_eq!(p.status, S::Processing);
    assert_eq!(status_of(&p, &id), CaptureStatus::Pending);
    assert_eq!(p.amount_capturable, m(700));
    assert!(p.captures[0].error_message.is_some());
}

#[test]
fn a_pending_capture_blocks_a_void_and_an_increment() {
    let mut p = payment(S::RequiresCapture);
    let accepted = capture_answer(S::Processing);
    captured(&mut p, capture(Some(300), None), Answer::Verdict(&accepted));
    // The processor still reads "requires_capture" while it works on the capture.
    apply(
        &mut p,
        Outcome::Synced(&answer(S::RequiresCapture, 1000, 700, 0)),
        NOW,
    );
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(plan(&p, &Command::Void, &caps()), Err(Refusal::HasCaptures));
    let more = Command::IncrementAuthorization { new_total: m(2000) };
    assert_eq!(
        plan(&p, &more, &caps()),
        Err(Refusal::IncrementAfterCapture)
    );
}

#[test]
fn a_void_cancels_and_releases_the_authorization() {
    let mut p = payment(S::RequiresCapture);
    start(&mut p, Command::Void, &caps());
    assert_eq!(
        p.status,
        S::Processing,
        "stored as in flight before it is sent"
    );
    assert_eq!(p.cancellation_reason.as_deref(), Some("why"));
    let voided = paybridge_core::VoidResponse {
        connector_void_id: None,
        status: S::Cancelled,
        raw_status: "raw".into(),
    };
    assert!(apply(
        &mut p,
        Outcome::Voided(Answer::Verdict(&voided)),
        NOW
    ));
    assert_eq!(p.status, S::Cancelled);
    assert_eq!(p.amount_capturable, m(0));
    assert_eq!(p.attempts[0].status, AttemptStatus::Voided);
}

#[test]
fn an_accepted_or_unknown_void_is_processing_and_a_refused_one_changes_nothing() {
    let accepted = paybridge_core::VoidResponse {
        connector_void_id: None,
        status: S::Processing,
        raw_status: "raw".into(),
    };
    let (err, no) = (unknown(), refused());
    let answers = [Answer::Verdict(&accepted), Answer::Unknown(&err)];
    for answer in answers {
        let mut p = payment(S::RequiresCapture);
        assert!(apply(&mut p, Outcome::Voided(answer), NOW));
        assert_eq!(p.status, S::Processing);
        assert_eq!(p.amount_capturable, m(1000), "released before the verdict");
    }
    let mut p = payment(S::RequiresCapture);
    assert!(!apply(&mut p, Outcome::Voided(Answer::Refused(&no)), NOW));
}

#[test]
fn a_void_after_a_charged_capture_is_refused() {
    let mut p = payment(S::RequiresCapture);
    let ok = capture_answer(S::PartiallyCapturedAndCapturable);
    captured(&mut p, capture(Some(400), None), Answer::Verdict(&ok));
    let refusal = plan(&p, &Command::Void, &caps()).expect_err("captured");
    assert_eq!(
        refusal.to_string(),
        "cancel is not allowed when the payment is partially_captured_and_capturable; it needs \
         requires_capture or partially_authorized_and_requires_capture or \
         requires_customer_action"
    );
}

#[test]
fn an_answer_applied_twice_counts_the_capture_once() {
    let mut p = payment(S::RequiresCapture);
    let ok = CaptureResponse {
        amounts: None,
        ..capture_answer(S::Succeeded)
    };
    let (_, id) = start(&mut p, capture(Some(400), None), &caps());
    let outcome = Outcome::Captured {
        capture_id: &id,
        final_capture: false,
        answer: Answer::Verdict(&ok),
    };
    assert!(apply(&mut p, outcome, NOW));
    assert!(
        !apply(&mut p, outcome, NOW),
        "a settled capture takes no answer"
    );
    assert_eq!((p.amount_received, p.amount_capturable), (m(400), m(600)));
}
