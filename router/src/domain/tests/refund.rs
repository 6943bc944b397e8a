//! Refunds, and cancel post capture (a refund of all that was captured).

use paybridge_core::CancelPostCaptureResponse;

use super::*;

fn refund(amount: Option<i64>) -> Command {
    Command::Refund {
        amount: amount.map(m),
    }
}

fn refunded(p: &mut Payment, amount: i64, answer: Answer<'_, RefundResponse>) -> String {
    let (_, id) = start(p, refund(Some(amount)), &caps());
    assert!(apply(
        p,
        Outcome::Refunded {
            refund_id: &id,
            answer
        },
        NOW
    ));
    id
}

fn status_of(p: &Payment, id: &str) -> RefundStatus {
    p.refund(id).expect("refund").status
}

#[test]
fn a_partial_refund_succeeds_and_lowers_the_refundable_amount() {
    let mut p = payment(S::Succeeded);
    let (plan, id) = start(&mut p, refund(Some(300)), &caps());
    assert_eq!(plan, Plan::Refund { amount: m(300) });
    assert_eq!(status_of(&p, &id), RefundStatus::Pending);
    assert_eq!(p.refundable(), m(700), "reserved while pending");
    let ok = refund_answer(RefundStatus::Succeeded);
    let answer = Answer::Verdict(&ok);
    assert!(apply(
        &mut p,
        Outcome::Refunded {
            refund_id: &id,
            answer
        },
        NOW
    ));
    assert_eq!(status_of(&p, &id), RefundStatus::Succeeded);
    assert_eq!(
        p.refund(&id).and_then(|r| r.connector_refund_id.as_deref()),
        Some("re_1")
    );
    assert_eq!(p.status, S::Succeeded);
    assert_eq!(plan_of(&p, None), Ok(Plan::Refund { amount: m(700) }));
}

fn plan_of(p: &Payment, amount: Option<i64>) -> Result<Plan, Refusal> {
    plan(p, &refund(amount), &caps())
}

#[test]
fn a_refund_above_the_refundable_amount_is_refused() {
    let mut p = payment(S::Succeeded);
    let ok = refund_answer(RefundStatus::Succeeded);
    refunded(&mut p, 300, Answer::Verdict(&ok));
    let refusal = plan_of(&p, Some(800)).expect_err("too much");
    assert_eq!(
        refusal.to_string(),
        "amount 800 exceeds the refundable amount 700"
    );
    assert_eq!(refusal.code(), "amount_exceeds_refundable");
    assert_eq!(refusal.kind(), super::super::RefusalKind::Amount);
}

#[test]
fn a_failed_or_refused_refund_frees_its_amount() {
    let failed = refund_answer(RefundStatus::Failed);
    let no = refused();
    for answer in [Answer::Verdict(&failed), Answer::Refused(&no)] {
        let mut p = payment(S::Succeeded);
        let id = refunded(&mut p, 300, answer);
        assert_eq!(status_of(&p, &id), RefundStatus::Failed);
        assert!(p.refund(&id).is_some_and(|r| r.error.message.is_some()));
        assert_eq!(p.refundable(), m(1000));
    }
}

#[test]
fn an_unknown_or_pending_refund_keeps_its_amount_reserved() {
    let pending = refund_answer(RefundStatus::Pending);
    let err = unknown();
    for answer in [Answer::Verdict(&pending), Answer::Unknown(&err)] {
        let mut p = payment(S::Succeeded);
        let id = refunded(&mut p, 300, answer);
        assert_eq!(status_of(&p, &id), RefundStatus::Pending);
        assert_eq!(p.refundable(), m(700));
    }
}

#[test]
fn a_refund_sync_gives_the_verdict() {
    let mut p = payment(S::Succeeded);
    let pending = refund_answer(RefundStatus::Pending);
    let id = refunded(&mut p, 300, Answer::Verdict(&pending));
    let ok = refund_answer(RefundStatus::Succeeded);
    let synced = Outcome::RefundSynced {
        refund_id: &id,
        response: &ok,
    };
    assert!(apply(&mut p, synced, NOW));
    assert_eq!(status_of(&p, &id), RefundStatus::Succeeded);
}

#[test]
fn nothing_is_left_to_refund_after_a_full_refund() {
    let mut p = payment(S::Succeeded);
    let ok = refund_answer(RefundStatus::Succeeded);
    refunded(&mut p, 1000, Answer::Verdict(&ok));
    assert_eq!(plan_of(&p, None), Err(Refusal::NothingToRefund));
    assert_eq!(
        plan_of(&payment(S::RequiresCapture), None).map_err(|r| r.to_string()),
        Err(
            "refund is not allowed when the payment is requires_capture; it needs succeeded or \
             partially_captured or partially_captured_and_capturable"
                .into()
        )
    );
}

/// A captured payment whose cancel post capture the processor answered with `refund`.
fn cancelling(refund: RefundStatus) -> (Payment, String) {
    let mut p = payment(S::Succeeded);
    let (plan, id) = start(&mut p, Command::CancelPostCapture, &caps());
    assert_eq!(plan, Plan::CancelPostCapture { amount: m(1000) });
    assert_eq!(p.cancel_post_capture_refund.as_deref(), Some(id.as_str()));
    assert_eq!(p.cancellation_reason.as_deref(), Some("why"));
    let answer = CancelPostCaptureResponse::from_refund(refund_answer(refund));
    let outcome = Outcome::CancelledPostCapture {
        refund_id: &id,
        answer: Answer::Verdict(&answer),
    };
    assert!(apply(&mut p, outcome, NOW));
    (p, id)
}

fn refund_synced(p: &mut Payment, id: &str, status: RefundStatus) -> bool {
    let response = refund_answer(status);
    let outcome = Outcome::RefundSynced {
        refund_id: id,
        response: &response,
    };
    apply(p, outcome, NOW)
}

#[test]
fn cancel_post_capture_succeeded_is_cancelled_post_capture() {
    let (p, id) = cancelling(RefundStatus::Succeeded);
    assert_eq!(p.status, S::CancelledPostCapture);
    assert_eq!(status_of(&p, &id), RefundStatus::Succeeded);
    assert_eq!(p.refundable(), m(0));
}

#[test]
fn cancel_post_capture_pending_is_processing_until_the_refund_succeeds() {
    let (mut p, id) = cancelling(RefundStatus::Pending);
    assert_eq!(p.status, S::Processing);
    assert!(refund_synced(&mut p, &id, RefundStatus::Succeeded));
    assert_eq!(p.status, S::CancelledPostCapture);
}

#[test]
fn cancel_post_capture_pending_goes_back_to_succeeded_when_the_refund_fails() {
    let (mut p, id) = cancelling(RefundStatus::Pending);
    assert!(refund_synced(&mut p, &id, RefundStatus::Failed));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!(p.refundable(), m(1000));
    assert!(
        plan(&p, &Command::CancelPostCapture, &caps()).is_ok(),
        "may be tried again"
    );
}

#[test]
fn a_later_sync_saying_succeeded_keeps_cancelled_post_capture() {
    let (mut p, _) = cancelling(RefundStatus::Succeeded);
    let mut synced = answer(S::Succeeded, 1000, 0, 1000);
    synced.amounts.refunded = m(1000);
    apply(&mut p, Outcome::Synced(&synced), NOW);
    assert_eq!(p.status, S::CancelledPostCapture);
}

#[test]
fn a_sync_while_the_cancel_refund_is_pending_keeps_processing() {
    let (mut p, _) = cancelling(RefundStatus::Pending);
    let synced = answer(S::Succeeded, 1000, 0, 1000);
    apply(&mut p, Outcome::Synced(&synced), NOW);
    assert_eq!(p.status, S::Processing);
}

#[test]
fn cancel_post_capture_unknown_is_processing_and_refused_stays_captured() {
    let (err, no) = (unknown(), refused());
    let mut p = payment(S::Succeeded);
    let (_, id) = start(&mut p, Command::CancelPostCapture, &caps());
    let answer = Answer::Unknown(&err);
    assert!(apply(
        &mut p,
        Outcome::CancelledPostCapture {
            refund_id: &id,
            answer
        },
        NOW
    ));
    assert_eq!(p.status, S::Processing);
    assert_eq!(status_of(&p, &id), RefundStatus::Pending);

    let mut p = payment(S::Succeeded);
    let (_, id) = start(&mut p, Command::CancelPostCapture, &caps());
    let answer = Answer::Refused(&no);
    assert!(apply(
        &mut p,
        Outcome::CancelledPostCapture {
            refund_id: &id,
            answer
        },
        NOW
    ));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!(status_of(&p, &id), RefundStatus::Failed);
}

#[test]
fn cancel_post_capture_needs_no_refund_and_something_captured() {
    let mut p = payment(S::Succeeded);
    let ok = refund_answer(RefundStatus::Succeeded);
    refunded(&mut p, 100, Answer::Verdict(&ok));
    let refusal = plan(&p, &Command::CancelPostCapture, &caps()).expect_err("refunded");
    assert_eq!(refusal, Refusal::HasRefunds);
    assert_eq!(
        refusal.to_string(),
        "the payment already has refunds; refund the rest instead"
    );

    let mut p = payment(S::PartiallyCaptured);
    p.amount_received = m(0);
    assert_eq!(
        plan(&p, &Command::CancelPostCapture, &caps()),
        Err(Refusal::NothingCaptured)
    );
}
