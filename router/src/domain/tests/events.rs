//! The events a change makes: one per status change, capture, increment, extension and
//! refund outcome; none for a change that changes none of those.

use super::super::events::{changes, Change, EventType as E};
use super::*;

fn kinds(before: Option<&Payment>, after: &Payment) -> Vec<E> {
    changes(before, after)
        .into_iter()
        .map(|c| c.event_type)
        .collect()
}

#[test]
fn a_new_payment_tells_its_status_and_an_unchanged_one_nothing() {
    let p = created();
    assert_eq!(kinds(None, &p), [E::PaymentProcessing]);
    assert_eq!(kinds(Some(&p), &p), []);
    let mut authorized = p.clone();
    let answer = answer(S::RequiresCapture, 1000, 1000, 0);
    apply(
        &mut authorized,
        Outcome::Authorized(Answer::Verdict(&answer)),
        NOW,
    );
    assert_eq!(kinds(Some(&p), &authorized), [E::PaymentRequiresCapture]);
    // The same answer again (a webhook after the answer) changes nothing: no event.
    let again = authorized.clone();
    apply(
        &mut authorized,
        Outcome::Authorized(Answer::Verdict(&answer)),
        NOW,
    );
    assert_eq!(kinds(Some(&again), &authorized), []);
}

#[test]
fn each_status_has_its_event() {
    let before = payment(S::Processing);
    for (status, event) in [
        (S::Succeeded, Some(E::PaymentSucceeded)),
        (S::Failed, Some(E::PaymentFailed)),
        (
            S::RequiresCustomerAction,
            Some(E::PaymentRequiresCustomerAction),
        ),
        (S::PartiallyCaptured, Some(E::PaymentPartiallyCaptured)),
        (
            S::PartiallyCapturedAndCapturable,
            Some(E::PaymentPartiallyCaptured),
        ),
        (S::Cancelled, Some(E::PaymentCancelled)),
        (
            S::CancelledPostCapture,
            Some(E::PaymentCancelledPostCapture),
        ),
        (S::RequiresCapture, Some(E::PaymentRequiresCapture)),
        (S::Expired, None),
    ] {
        let mut after = before.clone();
        after.status = status;
        assert_eq!(
            kinds(Some(&before), &after),
            Vec::from_iter(event),
            "{status:?}"
        );
    }
}

#[test]
fn a_capture_tells_when_the_processor_confirms_it() {
    let before = payment(S::RequiresCapture);
    let mut p = before.clone();
    let (plan, id) = start(
        &mut p,
        Command::Capture {
            amount: Some(m(400)),
            final_capture: Some(false),
        },
        &caps(),
    );
    let Plan::Capture { final_capture, .. } = plan else {
        panic!("planned {plan:?}");
    };
    // Asked for: pending, nothing to tell yet.
    assert_eq!(kinds(Some(&before), &p), []);
    let pending = p.clone();
    let confirmed = capture_answer(S::PartiallyCapturedAndCapturable);
    apply(
        &mut p,
        Outcome::Captured {
            capture_id: &id,
            final_capture,
            answer: Answer::Verdict(&confirmed),
        },
        NOW,
    );
    assert_eq!(
        kinds(Some(&pending), &p),
        [E::PaymentPartiallyCaptured, E::PaymentCaptured]
    );
}

#[test]
fn increments_extensions_and_refunds_tell_their_outcome() {
    let before = payment(S::RequiresCapture);
    let mut p = before.clone();
    let (_, id) = start(
        &mut p,
        Command::IncrementAuthorization { new_total: m(1500) },
        &caps(),
    );
    let mut declined = p.clone();
    p.increments
        .iter_mut()
        .for_each(|i| i.status = AuthorizationStatus::Success);
    assert_eq!(
        kinds(Some(&before), &p),
        [E::PaymentAuthorizationIncremented]
    );
    declined
        .increments
        .iter_mut()
        .for_each(|i| i.status = AuthorizationStatus::Failure);
    assert_eq!(
        kinds(Some(&before), &declined),
        [E::PaymentAuthorizationDeclined]
    );
    assert!(!id.is_empty());

    let mut extended = before.clone();
    extended.extended_authorization_last_applied_at = Some(NOW.into());
    assert_eq!(
        kinds(Some(&before), &extended),
        [E::PaymentAuthorizationExtended]
    );
    assert_eq!(
        kinds(None, &extended),
        [E::PaymentRequiresCapture],
        "asked for at creation"
    );

    let captured = payment(S::Succeeded);
    let mut refunding = captured.clone();
    let (_, refund_id) = start(
        &mut refunding,
        Command::Refund {
            amount: Some(m(300)),
        },
        &caps(),
    );
    assert_eq!(kinds(Some(&captured), &refunding), [], "pending");
    for (status, event) in [
        (RefundStatus::Succeeded, E::RefundSucceeded),
        (RefundStatus::Failed, E::RefundFailed),
    ] {
        let mut done = refunding.clone();
        let answer = refund_answer(status);
        apply(
            &mut done,
            Outcome::Refunded {
                refund_id: &refund_id,
                answer: Answer::Verdict(&answer),
            },
            NOW,
        );
        assert_eq!(
            changes(Some(&refunding), &done),
            [Change {
                event_type: event,
                refund_id: Some(refund_id.clone())
            }]
        );
    }
}

#[test]
fn every_event_type_has_a_distinct_name() {
    let names: std::collections::BTreeSet<String> = E::ALL.iter().map(|e| e.name()).collect();
    assert_eq!(names.len(), E::ALL.len());
    assert!(names.contains("payment_cancelled_post_capture") && names.contains("refund_failed"));
}
