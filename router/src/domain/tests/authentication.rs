//! External 3DS: what each result leads to under each policy, which operations a payment
//! waiting for its authentication allows, and what the recorded result keeps.

use paybridge_core::authentication::{
    AuthenticationResponse, AuthenticationValue, CardRange, Challenge, ThreeDsMethod, TransStatus,
};

use super::*;
use crate::domain::authentication::{
    self as auth, Authentication, AuthenticationFlow, AuthenticationStatus, Fallback, Policy,
    Result3ds, Verdict,
};

fn policy(on_not_authenticated: Fallback, on_unavailable: Fallback) -> Policy {
    Policy {
        on_not_authenticated,
        on_unavailable,
    }
}

#[test]
fn each_result_leads_where_the_policy_says_and_a_rejection_always_fails() {
    use Fallback::{AuthorizeWithout3ds as Allow, Fail};
    use TransStatus as T;
    let strict = policy(Fail, Fail);
    let lenient = policy(Allow, Allow);
    let cases = [
        (
            Result3ds::Status(T::Authenticated),
            Verdict::Authorize,
            Verdict::Authorize,
        ),
        (
            Result3ds::Status(T::Attempted),
            Verdict::Authorize,
            Verdict::Authorize,
        ),
        (
            Result3ds::Status(T::ChallengeRequired),
            Verdict::AwaitChallenge,
            Verdict::AwaitChallenge,
        ),
        (
            Result3ds::Status(T::DecoupledChallenge),
            Verdict::AwaitChallenge,
            Verdict::AwaitChallenge,
        ),
        (
            Result3ds::Status(T::Rejected),
            Verdict::Fail("authentication_rejected"),
            Verdict::Fail("authentication_rejected"),
        ),
        (
            Result3ds::Status(T::NotAuthenticated),
            Verdict::Fail("authentication_failed"),
            Verdict::AuthorizeWithout3ds,
        ),
        (
            Result3ds::Status(T::Unavailable),
            Verdict::Fail("authentication_unavailable"),
            Verdict::AuthorizeWithout3ds,
        ),
        (
            Result3ds::Status(T::Informational),
            Verdict::Fail("authentication_unavailable"),
            Verdict::AuthorizeWithout3ds,
        ),
        (
            Result3ds::NotEnrolled,
            Verdict::Fail("authentication_unavailable"),
            Verdict::AuthorizeWithout3ds,
        ),
        (
            Result3ds::ServerError,
            Verdict::Fail("authentication_unavailable"),
            Verdict::AuthorizeWithout3ds,
        ),
    ];
    for (result, under_strict, under_lenient) in cases {
        assert_eq!(auth::verdict(result, &strict), under_strict, "{result:?}");
        assert_eq!(auth::verdict(result, &lenient), under_lenient, "{result:?}");
    }
    // The two fallbacks are separate.
    let only_unavailable = policy(Fail, Allow);
    assert_eq!(
        auth::verdict(Result3ds::Status(T::NotAuthenticated), &only_unavailable),
        Verdict::Fail("authentication_failed")
    );
    assert_eq!(
        auth::verdict(Result3ds::NotEnrolled, &only_unavailable),
        Verdict::AuthorizeWithout3ds
    );
}

fn range() -> CardRange {
    CardRange {
        server_transaction_id: "3ds-1".into(),
        message_version: "2.2.0".into(),
        directory_server: "visa".into(),
        method: Some(ThreeDsMethod {
            url: "https://acs.example/method".parse().expect("url"),
            data: "eyJ0aHJlZURTU2VydmVyVHJhbnNJRCI6IjNkcy0xIn0".into(),
        }),
    }
}

/// A payment created for external authentication: waiting, nothing sent to a processor.
fn waiting() -> Payment {
    let mut p = created();
    p.status = S::RequiresCustomerAction;
    p.next_action = None;
    p.attempts[0].status = AttemptStatus::AuthenticationPending;
    p.authentication = Some(Authentication::started("threedsecureio", &range()));
    p
}

fn ares(status: TransStatus) -> AuthenticationResponse {
    AuthenticationResponse {
        status,
        status_reason: (status == TransStatus::NotAuthenticated).then(|| "01".to_owned()),
        eci: Some("05".into()),
        authentication_value: status
            .authenticated()
            .then(|| AuthenticationValue::new("AAABBBCCCDDDEEEFFF0011223344=").expect("value")),
        server_transaction_id: "3ds-1".into(),
        ds_transaction_id: "ds-1".into(),
        acs_transaction_id: "acs-1".into(),
        message_version: "2.2.0".into(),
        challenge: status.challenge().then(|| Challenge {
            acs_url: "https://acs.example/challenge".parse().expect("url"),
            creq: "eyJjcmVxIjoxfQ".into(),
            mandated: false,
        }),
        cardholder_info: None,
        acs_signed_content: None,
        acs_reference_number: None,
    }
}

#[test]
fn a_waiting_payment_allows_authentication_and_cancelling_without_a_processor() {
    let p = waiting();
    // The payment connector's flows do not matter: no processor has the payment yet.
    let none = Capabilities::new("toy");
    assert_eq!(
        plan(&p, &Command::ExternalAuthentication, &none),
        Ok(Plan::Authenticate)
    );
    assert_eq!(plan(&p, &Command::Void, &none), Ok(Plan::Abandon));
    assert_eq!(
        plan(&p, &Command::CompleteAuthorize, &caps()),
        Err(Refusal::AuthenticationNotRun)
    );
    for command in [
        Command::Capture {
            amount: None,
            final_capture: None,
        },
        Command::Refund { amount: None },
        Command::Sync,
    ] {
        assert!(plan(&p, &command, &caps()).is_err(), "{command:?}");
    }
    // A payment that never asked for it.
    assert_eq!(
        plan(
            &payment(S::RequiresCapture),
            &Command::ExternalAuthentication,
            &caps()
        ),
        Err(Refusal::NoExternalAuthentication)
    );
}

#[test]
fn a_challenge_waits_for_complete_authorize_and_a_result_runs_once() {
    let mut p = waiting();
    let challenge = ares(TransStatus::ChallengeRequired);
    auth::authenticated(&mut p, &challenge, &Verdict::AwaitChallenge);
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(a.status, AuthenticationStatus::Pending);
    assert_eq!(a.flow, Some(AuthenticationFlow::Challenge));
    assert_eq!(a.method, None, "the 3DS Method ran already");
    assert_eq!(
        a.challenge.as_ref().map(|c| c.acs_url.as_str()),
        Some("https://acs.example/challenge")
    );
    assert_eq!(
        plan(&p, &Command::CompleteAuthorize, &Capabilities::new("toy")),
        Ok(Plan::CompleteAuthentication)
    );
    assert_eq!(
        plan(&p, &Command::ExternalAuthentication, &caps()),
        Err(Refusal::AuthenticationDone)
    );

    // The result after the challenge: still a challenge flow, though the RReq says Y.
    auth::authenticated(
        &mut p,
        &ares(TransStatus::Authenticated),
        &Verdict::Authorize,
    );
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(a.status, AuthenticationStatus::Success);
    assert_eq!(a.flow, Some(AuthenticationFlow::Challenge));
    assert_eq!(a.challenge, None);
    auth::begin_authorization(&mut p, "2030-01-01T00:05:00.000Z");
    assert_eq!(p.status, S::Processing);
    assert_eq!(p.attempts[0].status, AttemptStatus::Pending);
    assert_eq!(
        p.attempts[0].modified_at, "2030-01-01T00:05:00.000Z",
        "a lost answer is looked up from when the authorization was sent"
    );
    assert!(p.awaiting_verdict());
}

#[test]
fn a_failure_is_recorded_with_its_reason_and_never_the_value() {
    let mut p = waiting();
    let verdict = Verdict::Fail("authentication_failed");
    auth::authenticated(&mut p, &ares(TransStatus::NotAuthenticated), &verdict);
    auth::fail(&mut p, "authentication_failed", "not authenticated", NOW);
    assert_eq!(p.status, S::Failed);
    assert_eq!(p.error.code.as_deref(), Some("authentication_failed"));
    assert_eq!(p.attempts[0].status, AttemptStatus::Failure);
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(a.status, AuthenticationStatus::Failed);
    assert_eq!(a.error_code.as_deref(), Some("trans_status_N"));
    assert!(
        a.error_message
            .as_deref()
            .is_some_and(|m| m.contains("reason 01")),
        "{a:?}"
    );

    // What is stored of a success holds no authentication value.
    let mut ok = waiting();
    auth::authenticated(
        &mut ok,
        &ares(TransStatus::Authenticated),
        &Verdict::Authorize,
    );
    let stored = serde_json::to_string(&ok.authentication).expect("JSON");
    assert!(!stored.contains("AAABBBCCCDDDEEEFFF"), "{stored}");
}

#[test]
fn abandoning_cancels_before_any_processor_call() {
    let mut p = waiting();
    let planned = plan(&p, &Command::Void, &caps()).expect("allowed");
    begin(
        &mut p,
        &planned,
        "",
        Some("customer left"),
        Value::Null,
        NOW,
    );
    assert_eq!(p.status, S::Cancelled);
    assert_eq!(p.cancellation_reason.as_deref(), Some("customer left"));
    assert_eq!(p.attempts[0].status, AttemptStatus::Voided);
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(a.status, AuthenticationStatus::Failed);
    assert!(plan(&p, &Command::ExternalAuthentication, &caps()).is_err());
}

#[test]
fn an_apps_signed_content_is_kept_for_its_sdk_through_the_result() {
    let mut p = waiting();
    let mut app_challenge = ares(TransStatus::ChallengeRequired);
    app_challenge.challenge = None;
    app_challenge.acs_signed_content = Some("aGVhZGVy.cGF5bG9hZA.c2ln".into());
    app_challenge.acs_reference_number = Some("3DS_LOA_ACS_201_13579".into());
    auth::authenticated(&mut p, &app_challenge, &Verdict::AwaitChallenge);
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(a.status, AuthenticationStatus::Pending);
    assert_eq!(a.challenge, None, "an app has no browser challenge");
    assert_eq!(
        a.acs_signed_content.as_deref(),
        Some("aGVhZGVy.cGF5bG9hZA.c2ln")
    );
    // The RReq after the SDK's challenge carries none: the ARes's stay.
    auth::authenticated(
        &mut p,
        &ares(TransStatus::Authenticated),
        &Verdict::Authorize,
    );
    let a = p.authentication.clone().expect("recorded");
    assert_eq!(
        a.acs_reference_number.as_deref(),
        Some("3DS_LOA_ACS_201_13579")
    );
    assert_eq!(a.flow, Some(AuthenticationFlow::Challenge));
}
