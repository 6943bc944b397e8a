//! Stripe rules the generic suite does not cover, end to end through the connector and the
//! simulator: the 10-attempt increment limit, 402 decline mapping, `Stripe-Should-Retry`, and a
//! raw card's two calls (its PaymentMethod, then the PaymentIntent).

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::{card, targets::stripe::target_at};
use paybridge_core::*;
use paybridge_sandbox::stripe::{self as sim, cards, StripeSimConfig};

async fn setup() -> (
    paybridge_sandbox::SimulatorHandle,
    std::sync::Arc<dyn Connector>,
) {
    let config = StripeSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let target = target_at(&config, handle.base_url(), Some(handle.clone()));
    (handle, target.connector().unwrap())
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

async fn manual(connector: &dyn Connector, number: &str, estimated: bool) -> PaymentResponse {
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(number), "stripe-specifics");
    req.capture_method = CaptureMethod::Manual;
    req.request_incremental_authorization = estimated;
    connector.authorize(&req).await.unwrap()
}

fn increment(id: &str, current: i64, new_total: i64) -> IncrementalAuthorizationRequest {
    IncrementalAuthorizationRequest {
        idempotency_key: IdempotencyKey::generate(),
        connector_payment_id: id.into(),
        currency: Currency::USD,
        current_authorized: m(current),
        new_total: m(new_total),
        reason: None,
        card_network: None,
    }
}

#[tokio::test]
async fn at_most_ten_increment_attempts_declines_included() {
    let (handle, connector) = setup().await;
    let payment = manual(connector.as_ref(), cards::VISA, true).await;
    let id = payment.connector_payment_id;
    assert_eq!(payment.incremental_authorization_allowed, Some(true));
    let client = reqwest::Client::new();
    let mut current = 1000;
    for attempt in 1..=10 {
        if attempt == 4 {
            let hook = handle
                .base_url()
                .join(&format!(
                    "sim/stripe/payment_intents/{id}/decline-next-increment"
                ))
                .unwrap();
            assert!(client
                .post(hook)
                .send()
                .await
                .unwrap()
                .status()
                .is_success());
        }
        let answer = connector
            .increment_authorization(&increment(&id, current, current + 100))
            .await
            .unwrap();
        if attempt == 4 {
            assert_eq!(
                answer.status,
                AuthorizationStatus::Failure,
                "attempt 4 was to be declined"
            );
            assert_eq!(answer.authorized, m(current));
            assert!(answer.decline.is_some());
        } else {
            assert_eq!(
                answer.status,
                AuthorizationStatus::Success,
                "attempt {attempt}"
            );
            current += 100;
            assert_eq!(answer.authorized, m(current));
        }
    }
    let eleventh = connector
        .increment_authorization(&increment(&id, current, current + 100))
        .await;
    assert!(
        matches!(
            eleventh,
            Err(ConnectorError::Rejected {
                kind: RejectionKind::InvalidState,
                ..
            })
        ),
        "{eleventh:?}"
    );
    let synced = connector
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: id,
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();
    assert_eq!(
        synced.amounts.authorized,
        m(current),
        "nine approved increments of 100"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn declines_are_outcomes_with_stripe_details() {
    let (handle, connector) = setup().await;
    let cases = [
        (
            cards::INSUFFICIENT_FUNDS,
            "insufficient_funds",
            DeclineCode::InsufficientFunds,
        ),
        (cards::LOST_CARD, "lost_card", DeclineCode::LostOrStolen),
        (cards::STOLEN_CARD, "stolen_card", DeclineCode::LostOrStolen),
        (
            cards::EXPIRED_CARD,
            "expired_card",
            DeclineCode::ExpiredCard,
        ),
        (
            cards::INCORRECT_CVC,
            "incorrect_cvc",
            DeclineCode::IncorrectCvc,
        ),
        (
            cards::PROCESSING_ERROR,
            "processing_error",
            DeclineCode::ProcessingError,
        ),
    ];
    for (number, code, unified) in cases {
        let payment = manual(connector.as_ref(), number, false).await;
        assert_eq!(payment.status, PaymentStatus::Failed, "{code}");
        assert!(
            payment.connector_payment_id.starts_with("pi_"),
            "the embedded PaymentIntent's id"
        );
        let decline = payment.decline.expect("decline details");
        assert_eq!(decline.code.as_deref(), Some(code));
        assert_eq!(decline.unified, unified, "{code}");
        assert!(decline.message.is_some(), "{code}");
        assert_eq!(payment.amounts.capturable, MinorUnit::ZERO);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn should_retry_false_stops_the_retry_of_a_5xx() {
    let (handle, connector) = setup().await;
    let client = reqwest::Client::new();
    let hook = handle
        .base_url()
        .join("sim/stripe/next-error?status=500&should_retry=false")
        .unwrap();
    assert!(client
        .post(hook)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let before = handle.counters();
    // A PaymentMethod id, so the one call is the PaymentIntent's (a card adds a call first).
    let visa = PaymentMethod::Token(PaymentMethodToken::new(cards::PM_CARD_VISA).unwrap());
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, visa, "should-retry");
    req.capture_method = CaptureMethod::Manual;
    let err = connector.authorize(&req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Processor { .. }), "{err:?}");
    assert!(err.outcome_unknown());
    assert_eq!(
        handle.counters().requests - before.requests,
        1,
        "Stripe-Should-Retry: false was ignored"
    );

    // A 5xx Stripe marks retryable (as the simulator's injected faults are) is retried once and
    // the payment is made once.
    handle.inject(paybridge_sandbox::Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let before = handle.counters();
    let payment = connector
        .authorize(&AuthorizeRequest {
            idempotency_key: IdempotencyKey::generate(),
            ..req
        })
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::RequiresCapture);
    let after = handle.counters();
    assert_eq!(
        (
            after.requests - before.requests,
            after.authorizations - before.authorizations
        ),
        (2, 1)
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_card_is_made_a_payment_method_then_paid_with_and_both_calls_replay() {
    let (handle, connector) = setup().await;
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(cards::VISA), "two-calls");
    req.capture_method = CaptureMethod::Manual;
    let before = handle.counters();
    let first = connector.authorize(&req).await.unwrap();
    assert_eq!(first.status, PaymentStatus::RequiresCapture);
    let after = handle.counters();
    assert_eq!(
        (
            after.requests - before.requests,
            after.authorizations - before.authorizations
        ),
        (2, 1)
    );
    // The same key again (a retry, a router resuming): both calls replayed, nothing new made.
    let again = connector.authorize(&req).await.unwrap();
    assert_eq!(again.connector_payment_id, first.connector_payment_id);
    let replayed = handle.counters();
    assert_eq!(
        (
            replayed.requests - after.requests,
            replayed.authorizations - after.authorizations
        ),
        (2, 0)
    );
    // A 402 `card_error` at the first call (core refuses the cards Stripe would, so a 402 is
    // injected): a rejection with Stripe's codes, no PaymentIntent, nothing in doubt.
    handle.inject(paybridge_sandbox::Fault::Status {
        status: 402,
        retry_after_secs: None,
    });
    let refused = connector
        .authorize(&AuthorizeRequest::new(
            m(1000),
            Currency::USD,
            card(cards::VISA),
            "two-calls-refused",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(!refused.outcome_unknown());
    assert_eq!(
        refused.processor_message().map(|d| d.codes.clone()),
        Some(vec![
            "card_declined".to_owned(),
            "generic_decline".to_owned(),
            "card_error".to_owned()
        ])
    );
    assert_eq!(handle.counters().authorizations, replayed.authorizations);
    handle.shutdown().await;
}

#[tokio::test]
async fn only_a_failed_payment_intent_call_leaves_the_outcome_unknown() {
    let config = StripeSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let mut target = target_at(&config, handle.base_url(), Some(handle.clone()));
    target.config.execution.timeouts.request = std::time::Duration::from_millis(300);
    target.config.execution.retry = RetryPolicy::none();
    let connector = target.connector().unwrap();
    let authorize = |reference: &str| {
        let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(cards::VISA), reference);
        req.capture_method = CaptureMethod::Manual;
        let connector = connector.clone();
        async move { connector.authorize(&req).await }
    };
    let late = |after_processing| paybridge_sandbox::Fault::Delay {
        duration: std::time::Duration::from_millis(1500),
        after_processing,
    };

    // The PaymentMethod's call times out, or its answer is lost, or it fails: no payment.
    for fault in [
        late(false),
        late(true),
        paybridge_sandbox::Fault::DropConnection {
            after_processing: true,
        },
        paybridge_sandbox::Fault::Status {
            status: 500,
            retry_after_secs: None,
        },
    ] {
        let before = handle.counters();
        handle.inject(fault.clone());
        let err = authorize("pm-call-fails").await.unwrap_err();
        assert!(!err.outcome_unknown(), "{fault:?}: {err:?}");
        assert_eq!(
            handle.counters().authorizations,
            before.authorizations,
            "{fault:?}"
        );
    }

    // The PaymentIntent's call times out after Stripe acted: unknown, to be reconciled.
    let before = handle.counters();
    handle.inject(paybridge_sandbox::Fault::Delay {
        duration: std::time::Duration::ZERO,
        after_processing: true,
    });
    handle.inject(late(true));
    let err = authorize("pi-call-times-out").await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Timeout {
                outcome_unknown: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(handle.counters().authorizations, before.authorizations + 1);
    handle.shutdown().await;
}
