//! Each refusal `plan` gives, with the code, kind and message the API answers it with.

use super::super::RefusalKind as Kind;
use super::*;

fn capture(amount: Option<i64>, final_capture: Option<bool>) -> Command {
    Command::Capture {
        amount: amount.map(m),
        final_capture,
    }
}

fn refusal(p: &Payment, command: Command, caps: &Capabilities) -> Refusal {
    plan(p, &command, caps).expect_err("refused")
}

#[test]
fn every_refusal_has_its_code_and_kind() {
    let authorized = payment(S::RequiresCapture);
    let captured = payment(S::Succeeded);
    let mut drained = authorized.clone();
    drained.amount_capturable = m(0);
    let mut no_transaction = created();
    no_transaction.status = S::Processing;
    let single = caps_with(Flow::Capture, []);
    let cases = [
        (
            refusal(&authorized, Command::Void, &Capabilities::new("toy")),
            "not_supported",
            Kind::Unsupported,
        ),
        (
            refusal(&authorized, capture(Some(100), Some(false)), &single),
            "not_supported",
            Kind::Unsupported,
        ),
        (
            refusal(&authorized, capture(Some(1001), None), &caps()),
            "amount_exceeds_capturable",
            Kind::Amount,
        ),
        (
            refusal(&drained, capture(None, None), &caps()),
            "invalid_payment_state",
            Kind::State,
        ),
        (
            refusal(
                &captured,
                Command::Refund {
                    amount: Some(m(1001)),
                },
                &caps(),
            ),
            "amount_exceeds_refundable",
            Kind::Amount,
        ),
        (
            refusal(&authorized, Command::CancelPostCapture, &caps()),
            "invalid_payment_state",
            Kind::State,
        ),
        (
            refusal(&no_transaction, Command::Sync, &caps()),
            "no_connector_transaction",
            Kind::State,
        ),
        (
            refusal(
                &authorized,
                Command::IncrementAuthorization { new_total: m(900) },
                &caps(),
            ),
            "amount_not_above_authorized",
            Kind::Amount,
        ),
    ];
    for (refusal, code, kind) in cases {
        assert_eq!(
            (refusal.code(), refusal.kind()),
            (code, kind),
            "{refusal:?}"
        );
    }
    assert_eq!(
        Refusal::CustomerActionIncomplete.code(),
        "customer_action_incomplete"
    );
}

#[test]
fn refusals_read_as_the_api_shows_them() {
    let authorized = payment(S::RequiresCapture);
    let mut drained = authorized.clone();
    drained.amount_capturable = m(0);
    let single = caps_with(Flow::Capture, []);
    let cases = [
        (
            refusal(&authorized, Command::Void, &Capabilities::new("toy")),
            "connector toy does not support void",
        ),
        (
            refusal(&authorized, capture(Some(100), Some(false)), &single),
            "connector toy does not support multiple captures; final_capture must be true",
        ),
        (
            refusal(&authorized, capture(Some(1001), None), &caps()),
            "amount_to_capture 1001 exceeds the capturable amount 1000",
        ),
        (
            refusal(&drained, capture(None, None), &caps()),
            "nothing is left to capture",
        ),
        (
            refusal(
                &authorized,
                Command::IncrementAuthorization { new_total: m(900) },
                &caps(),
            ),
            "amount is the new total and must be greater than the authorized amount 1000; got 900",
        ),
        (
            refusal(&payment(S::Cancelled), Command::CancelPostCapture, &caps()),
            "cancel post capture is not allowed when the payment is cancelled; it needs \
             succeeded or partially_captured",
        ),
        (
            refusal(&payment(S::Failed), Command::ExtendAuthorization, &caps()),
            "extending the authorization is not allowed when the payment is failed; it needs \
             requires_capture",
        ),
        (
            refusal(
                &payment(S::RequiresCapture),
                Command::ExtendAuthorization,
                &caps_with(Flow::ExtendAuthorization, [Condition::AtAuthorizationOnly]),
            ),
            "connector toy extends authorizations only when asked at creation \
             (request_extended_authorization: true)",
        ),
    ];
    for (refusal, message) in cases {
        assert_eq!(refusal.to_string(), message);
    }
}

#[test]
fn terminal_payments_refuse_every_money_movement() {
    let commands = [
        capture(None, None),
        Command::Void,
        Command::IncrementAuthorization { new_total: m(2000) },
        Command::ExtendAuthorization,
        Command::CancelPostCapture,
        Command::Refund { amount: None },
        Command::CompleteAuthorize,
    ];
    for status in [S::Cancelled, S::Failed, S::Expired] {
        let p = payment(status);
        for command in commands {
            let refused = plan(&p, &command, &caps());
            assert!(
                matches!(refused, Err(Refusal::WrongStatus { status: s, .. }) if s == status),
                "{status:?} {command:?}: {refused:?}"
            );
        }
        assert_eq!(plan(&p, &Command::Sync, &caps()), Ok(Plan::Sync));
    }
}

#[test]
fn a_cancelled_post_capture_payment_refuses_to_move_money_again() {
    let p = payment(S::CancelledPostCapture);
    for command in [Command::CancelPostCapture, Command::Refund { amount: None }] {
        assert!(matches!(
            plan(&p, &command, &caps()),
            Err(Refusal::WrongStatus { .. })
        ));
    }
}
