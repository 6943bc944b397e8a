//! Incremental authorizations and extensions of an authorization.

use paybridge_core::{CardNetwork, ExtendAuthorizationResponse, IncrementalAuthorizationResponse};

use super::*;

fn to(total: i64) -> Command {
    Command::IncrementAuthorization {
        new_total: m(total),
    }
}

fn verdict(status: AuthorizationStatus, authorized: i64) -> IncrementalAuthorizationResponse {
    IncrementalAuthorizationResponse {
        connector_authorization_id: None,
        status,
        authorized: m(authorized),
        previously_authorized: m(1000),
        expires_at: None,
        decline: (status == AuthorizationStatus::Failure).then(decline),
        raw_status: "raw".into(),
    }
}

/// Starts an increment to `total` on `p` and applies `answer` (a "processing" answer changes
/// nothing: `begin` wrote the increment as processing); the increment's id.
fn incremented(
    p: &mut Payment,
    total: i64,
    answer: Answer<'_, IncrementalAuthorizationResponse>,
) -> String {
    let (_, id) = start(p, to(total), &caps());
    let outcome = Outcome::Incremented {
        authorization_id: &id,
        answer,
    };
    apply(p, outcome, NOW);
    id
}

#[test]
fn a_success_raises_the_amount_the_capturable_amount_and_the_count() {
    let mut p = payment(S::RequiresCapture);
    assert_eq!(
        plan(&p, &to(1500), &caps()),
        Ok(Plan::IncrementAuthorization {
            current: m(1000),
            new_total: m(1500)
        })
    );
    let ok = verdict(AuthorizationStatus::Success, 1500);
    incremented(&mut p, 1500, Answer::Verdict(&ok));
    assert_eq!((p.amount, p.amount_capturable), (m(1500), m(1500)));
    assert_eq!(p.authorization_count, 2);
    assert_eq!(p.increments[0].status, AuthorizationStatus::Success);
    assert_eq!(p.increments[0].previously_authorized, m(1000));
}

#[test]
fn a_decline_keeps_the_amount_and_records_why() {
    let mut p = payment(S::RequiresCapture);
    let no = verdict(AuthorizationStatus::Failure, 1000);
    incremented(&mut p, 1500, Answer::Verdict(&no));
    assert_eq!((p.amount, p.amount_capturable), (m(1000), m(1000)));
    assert_eq!(p.authorization_count, 1);
    assert_eq!(p.increments[0].status, AuthorizationStatus::Failure);
    assert_eq!(p.increments[0].error_code.as_deref(), Some("51"));
    assert_eq!(
        p.increments[0].error_message.as_deref(),
        Some("Insufficient funds")
    );
}

#[test]
fn a_refused_increment_fails_and_an_unknown_one_stays_processing() {
    let (no, err) = (refused(), unknown());
    let mut p = payment(S::RequiresCapture);
    incremented(&mut p, 1500, Answer::Refused(&no));
    assert_eq!(p.increments[0].status, AuthorizationStatus::Failure);
    incremented(&mut p, 1500, Answer::Unknown(&err));
    assert_eq!(p.increments[1].status, AuthorizationStatus::Processing);
    assert_eq!(p.amount, m(1000));
}

#[test]
fn a_processing_increment_blocks_another_until_a_sync_settles_it() {
    let mut p = payment(S::RequiresCapture);
    let accepted = verdict(AuthorizationStatus::Processing, 1000);
    incremented(&mut p, 1500, Answer::Verdict(&accepted));
    assert_eq!(
        plan(&p, &to(2000), &caps()),
        Err(Refusal::IncrementProcessing)
    );
    let synced = answer(S::RequiresCapture, 1500, 1500, 0);
    assert!(apply(&mut p, Outcome::Synced(&synced), NOW));
    assert_eq!(p.increments[0].status, AuthorizationStatus::Success);
    assert_eq!((p.amount, p.amount_capturable), (m(1500), m(1500)));
    assert_eq!(p.authorization_count, 2);
    assert!(plan(&p, &to(2000), &caps()).is_ok());
}

#[test]
fn a_sync_with_the_old_total_fails_a_processing_increment() {
    let mut p = payment(S::RequiresCapture);
    let accepted = verdict(AuthorizationStatus::Processing, 1000);
    incremented(&mut p, 1500, Answer::Verdict(&accepted));
    let synced = answer(S::RequiresCapture, 1000, 1000, 0);
    assert!(apply(&mut p, Outcome::Synced(&synced), NOW));
    assert_eq!(p.increments[0].status, AuthorizationStatus::Failure);
    assert_eq!((p.amount, p.authorization_count), (m(1000), 1));
}

#[test]
fn an_increment_after_a_capture_is_refused() {
    let p = payment(S::Succeeded);
    let refusal = plan(&p, &to(1500), &caps()).expect_err("captured");
    assert_eq!(
        refusal.to_string(),
        "incremental authorization is not allowed when the payment is succeeded; it needs \
         requires_capture"
    );
    assert_eq!(refusal.code(), "invalid_payment_state");
}

#[test]
fn the_connectors_limit_counts_every_increment_declines_included() {
    let limited = caps_with(
        Flow::IncrementalAuthorization,
        [Condition::MaxAttempts { count: 1 }],
    );
    let mut p = payment(S::RequiresCapture);
    start(&mut p, to(1500), &limited);
    p.increments[0].status = AuthorizationStatus::Failure;
    let refusal = plan(&p, &to(1500), &limited).expect_err("limit reached");
    assert_eq!(
        refusal,
        Refusal::IncrementLimit {
            connector: "toy".into(),
            limit: 1
        }
    );
    assert_eq!(
        refusal.to_string(),
        "connector toy allows at most 1 incremental authorizations per payment"
    );
}

#[test]
fn an_increment_needs_it_asked_at_creation_allowed_and_a_higher_total() {
    let mut p = payment(S::RequiresCapture);
    assert_eq!(
        plan(&p, &to(1000), &caps()),
        Err(Refusal::AmountNotAboveAuthorized {
            asked: m(1000),
            current: m(1000)
        })
    );
    p.incremental_authorization_allowed = Some(false);
    assert_eq!(
        plan(&p, &to(1500), &caps()),
        Err(Refusal::IncrementRefusedByProcessor)
    );
    p.request_incremental_authorization = false;
    assert_eq!(
        plan(&p, &to(1500), &caps()),
        Err(Refusal::IncrementNotRequested)
    );
}

fn extend_caps(condition: Condition) -> Capabilities {
    caps_with(Flow::ExtendAuthorization, [condition])
}

#[test]
fn extending_only_at_creation_is_refused_in_any_state() {
    let caps = extend_caps(Condition::AtAuthorizationOnly);
    for status in [S::RequiresCapture, S::Succeeded] {
        let refusal = plan(&payment(status), &Command::ExtendAuthorization, &caps)
            .expect_err("at creation only");
        assert_eq!(
            refusal,
            Refusal::ExtendOnlyAtCreation {
                connector: "toy".into()
            }
        );
    }
}

#[test]
fn extending_for_some_networks_needs_one_of_them() {
    let caps = extend_caps(Condition::CardNetworks {
        networks: vec![CardNetwork::Mastercard, CardNetwork::Visa],
    });
    let mut p = payment(S::RequiresCapture);
    let refusal = plan(&p, &Command::ExtendAuthorization, &caps).expect_err("no network");
    assert_eq!(
        refusal.to_string(),
        "connector toy extends authorizations only for mastercard, visa cards"
    );
    p.card_network = Some(CardNetwork::Amex);
    assert!(plan(&p, &Command::ExtendAuthorization, &caps).is_err());
    p.card_network = Some(CardNetwork::Visa);
    assert_eq!(
        plan(&p, &Command::ExtendAuthorization, &caps),
        Ok(Plan::ExtendAuthorization)
    );
}

#[test]
fn extending_an_estimated_authorization_only_needs_one_asked_for() {
    let caps = extend_caps(Condition::RequiresEstimatedAuthorization);
    let mut p = payment(S::RequiresCapture);
    p.request_incremental_authorization = false;
    let refusal = plan(&p, &Command::ExtendAuthorization, &caps).expect_err("not estimated");
    assert_eq!(
        refusal,
        Refusal::ExtendNeedsEstimated {
            connector: "toy".into()
        }
    );
    p.request_extended_authorization = true;
    assert!(plan(&p, &Command::ExtendAuthorization, &caps).is_ok());
}

#[test]
fn an_extension_records_when_it_applied_and_the_new_expiry() {
    let mut p = payment(S::RequiresCapture);
    let expires = time::OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time");
    let mut r = ExtendAuthorizationResponse {
        connector_authorization_id: None,
        status: AuthorizationStatus::Failure,
        extended_authorization_applied: true,
        expires_at: Some(expires),
        decline: None,
        raw_status: "raw".into(),
    };
    assert!(
        !apply(&mut p, Outcome::Extended(&r), NOW),
        "a declined extension"
    );
    r.status = AuthorizationStatus::Success;
    assert!(apply(&mut p, Outcome::Extended(&r), NOW));
    assert_eq!(p.extended_authorization_applied, Some(true));
    assert_eq!(
        p.extended_authorization_last_applied_at.as_deref(),
        Some(NOW)
    );
    assert_eq!(p.expires_on.as_deref(), Some("2030-03-17T17:46:40.000Z"));
    assert_eq!(p.capture_before, p.expires_on);
}

#[test]
fn an_answer_applied_twice_counts_the_increment_once() {
    let mut p = payment(S::RequiresCapture);
    p.request_incremental_authorization = true;
    let (_, id) = start(
        &mut p,
        Command::IncrementAuthorization { new_total: m(1500) },
        &caps(),
    );
    let ok = verdict(AuthorizationStatus::Success, 1500);
    let outcome = Outcome::Incremented {
        authorization_id: &id,
        answer: Answer::Verdict(&ok),
    };
    assert!(apply(&mut p, outcome, NOW));
    let counted = p.authorization_count;
    assert!(
        !apply(&mut p, outcome, NOW),
        "a settled increment takes no answer"
    );
    assert_eq!(
        (p.amount, p.amount_capturable, p.authorization_count),
        (m(1500), m(1500), counted)
    );
}
