//! The answers to an authorization and to complete authorize.

use super::*;

fn authorized(answer: Answer<'_, PaymentResponse>) -> Payment {
    let mut p = created();
    assert!(apply(&mut p, Outcome::Authorized(answer), NOW));
    p
}

#[test]
fn requires_capture_makes_the_amount_capturable_and_counts_one_authorization() {
    let p = authorized(Answer::Verdict(&answer(S::RequiresCapture, 1000, 1000, 0)));
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(p.authorization_count, 1);
    assert_eq!(p.connector_transaction_id.as_deref(), Some(TRANSACTION));
    assert_eq!(p.attempts[0].status, AttemptStatus::Authorized);
    assert_eq!(
        p.attempts[0].connector_transaction_id.as_deref(),
        Some(TRANSACTION)
    );
}

#[test]
fn succeeded_records_the_amount_received() {
    let p = authorized(Answer::Verdict(&answer(S::Succeeded, 1000, 0, 1000)));
    assert_eq!(p.status, S::Succeeded);
    assert_eq!((p.amount_received, p.amount_capturable), (m(1000), m(0)));
    assert_eq!(p.attempts[0].status, AttemptStatus::Charged);
}

#[test]
fn succeeded_with_an_amount_still_capturable_is_partially_captured() {
    let p = authorized(Answer::Verdict(&answer(S::Succeeded, 1000, 600, 400)));
    assert_eq!(p.status, S::PartiallyCapturedAndCapturable);
}

#[test]
fn requires_customer_action_keeps_the_redirect_and_counts_no_authorization() {
    let mut r = answer(S::RequiresCustomerAction, 0, 0, 0);
    r.next_action = Some(redirect());
    let p = authorized(Answer::Verdict(&r));
    assert_eq!(p.status, S::RequiresCustomerAction);
    assert_eq!(p.next_action, Some(redirect()));
    assert_eq!(p.authorization_count, 0);
    assert_eq!(p.attempts[0].status, AttemptStatus::AuthenticationPending);
}

#[test]
fn a_decline_fails_the_payment_with_its_unified_code() {
    let mut r = answer(S::Failed, 0, 0, 0);
    r.decline = Some(decline());
    let p = authorized(Answer::Verdict(&r));
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.code.as_deref(), Some("51"));
    assert_eq!(p.error.unified_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(
        p.error.unified_message.as_deref(),
        Some("Insufficient funds")
    );
    assert_eq!(p.attempts[0].status, AttemptStatus::Failure);
    assert_eq!(p.attempts[0].error, p.error);
    assert_eq!(p.authorization_count, 0);
}

#[test]
fn processing_waits_with_nothing_capturable() {
    let p = authorized(Answer::Verdict(&answer(S::Processing, 0, 0, 0)));
    assert_eq!(p.status, S::Processing);
    assert_eq!(p.amount_capturable, m(0));
    assert_eq!(p.authorization_count, 0);
    assert_eq!(p.connector_transaction_id.as_deref(), Some(TRANSACTION));
}

#[test]
fn an_unknown_outcome_stays_processing_and_says_to_sync() {
    let err = unknown();
    let mut p = created();
    p.status = S::RequiresConfirmation;
    assert!(apply(
        &mut p,
        Outcome::Authorized(Answer::Unknown(&err)),
        NOW
    ));
    assert_eq!(p.status, S::Processing);
    assert_eq!(p.error.code.as_deref(), Some("outcome_unknown"));
    assert!(p
        .error
        .message
        .as_deref()
        .is_some_and(|m| m.contains("sync the payment")));
    assert_eq!(p.attempts[0].status, AttemptStatus::Pending);
}

#[test]
fn a_refusal_fails_the_payment_with_the_processors_code() {
    let err = refused();
    let p = authorized(Answer::Refused(&err));
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.code.as_deref(), Some("state_conflict"));
    assert_eq!(p.error.message, Some(err.to_string()));
    assert_eq!(p.attempts[0].status, AttemptStatus::Failure);
    assert_eq!(p.attempts[0].error.code.as_deref(), Some("state_conflict"));
}

#[test]
fn a_refusal_without_a_processor_code_takes_the_apis_code() {
    let result: Result<PaymentResponse, _> = Err(ConnectorError::Transport {
        message: "connection refused".into(),
        outcome_unknown: false,
    });
    let p = authorized(Answer::of(&result));
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.code.as_deref(), Some("processor_unreachable"));
}

fn waiting_for_customer() -> Payment {
    payment(S::RequiresCustomerAction)
}

#[test]
fn complete_without_a_verdict_keeps_the_customer_action_and_its_redirect() {
    for status in [S::Processing, S::RequiresCustomerAction] {
        let mut p = waiting_for_customer();
        assert_eq!(
            plan(&p, &Command::CompleteAuthorize, &caps()),
            Ok(Plan::CompleteAuthorize)
        );
        let r = answer(status, 0, 0, 0);
        assert!(!apply(&mut p, Outcome::Completed(Answer::Verdict(&r)), NOW));
        assert_eq!(p.status, S::RequiresCustomerAction, "after {status:?}");
        assert_eq!(p.next_action, Some(redirect()));
    }
}

#[test]
fn complete_with_a_verdict_moves_on_and_drops_the_redirect() {
    let mut p = waiting_for_customer();
    let r = answer(S::RequiresCapture, 1000, 1000, 0);
    assert!(apply(&mut p, Outcome::Completed(Answer::Verdict(&r)), NOW));
    assert_eq!(p.status, S::RequiresCapture);
    assert_eq!(p.next_action, None);
    assert_eq!(p.amount_capturable, m(1000));
    assert_eq!(p.authorization_count, 1);
}

#[test]
fn complete_with_a_decline_fails() {
    let mut p = waiting_for_customer();
    let mut r = answer(S::Failed, 0, 0, 0);
    r.decline = Some(decline());
    assert!(apply(&mut p, Outcome::Completed(Answer::Verdict(&r)), NOW));
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.unified_code.as_deref(), Some("insufficient_funds"));
}

#[test]
fn complete_unknown_goes_processing_and_refused_changes_nothing() {
    let (err, no) = (unknown(), refused());
    let mut p = waiting_for_customer();
    assert!(!apply(
        &mut p,
        Outcome::Completed(Answer::Refused(&no)),
        NOW
    ));
    assert!(apply(
        &mut p,
        Outcome::Completed(Answer::Unknown(&err)),
        NOW
    ));
    assert_eq!(p.status, S::Processing);
}

#[test]
fn complete_after_a_webhook_moved_the_payment_is_a_sync() {
    let mut p = waiting_for_customer();
    apply(
        &mut p,
        Outcome::Webhook(&event(WebhookEventKind::Authorized)),
        NOW,
    );
    assert_eq!(p.status, S::RequiresCapture);
    assert!(p.next_action.is_some());
    assert_eq!(
        plan(&p, &Command::CompleteAuthorize, &caps()),
        Ok(Plan::CompleteBySync)
    );
    let r = answer(S::RequiresCapture, 1000, 1000, 0);
    assert!(apply(&mut p, Outcome::Synced(&r), NOW));
    assert_eq!(p.next_action, None);
    let refusal = plan(&p, &Command::CompleteAuthorize, &caps()).expect_err("nothing to complete");
    assert_eq!(
        refusal.to_string(),
        "complete authorize is not allowed when the payment is requires_capture; it needs \
         requires_customer_action"
    );
}

#[test]
fn a_sync_while_the_customer_acts_without_a_verdict_changes_nothing() {
    let mut p = waiting_for_customer();
    let r = answer(S::Processing, 0, 0, 0);
    assert!(!apply(&mut p, Outcome::Synced(&r), NOW));
    assert_eq!(p.next_action, Some(redirect()));
}
