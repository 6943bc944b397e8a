//! Primer rules the generic suite does not cover, end to end through the connector and the
//! simulator: a raw card is refused before sending, adjust-authorization sends the final amount,
//! and a key reused after success is its own error.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::{card, targets::primer::target_at};
use paybridge_core::*;
use paybridge_sandbox::primer::{self as sim, tokens, PrimerSimConfig};

async fn setup() -> (
    paybridge_sandbox::SimulatorHandle,
    std::sync::Arc<dyn Connector>,
) {
    let config = PrimerSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let target = target_at(&config, handle.base_url(), Some(handle.clone()));
    (handle, target.connector().unwrap())
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

fn request(method: PaymentMethod, amount: i64) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(m(amount), Currency::EUR, method, "primer-specifics");
    req.capture_method = CaptureMethod::Manual;
    req
}

fn visa_token() -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new(tokens::VISA_AUTHORIZED).unwrap())
}

#[tokio::test]
async fn a_raw_card_is_refused_before_sending() {
    let (handle, connector) = setup().await;
    let before = handle.counters();
    let err = connector
        .authorize(&request(card("4242424242424242"), 1000))
        .await
        .unwrap_err();
    match &err {
        ConnectorError::InvalidRequest {
            field: "payment_method",
            message,
        } => {
            assert!(message.contains("token"), "{message}");
        }
        other => panic!("expected an invalid payment method, got {other:?}"),
    }
    assert_eq!(
        handle.counters().requests,
        before.requests,
        "a raw card reached Primer"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn adjust_authorization_sends_the_final_amount() {
    let (handle, connector) = setup().await;
    let mut req = request(visa_token(), 5000);
    req.request_incremental_authorization = true;
    let payment = connector.authorize(&req).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::RequiresCapture);
    let answer = connector
        .increment_authorization(&IncrementalAuthorizationRequest {
            idempotency_key: IdempotencyKey::generate(),
            connector_payment_id: payment.connector_payment_id.clone(),
            currency: Currency::EUR,
            current_authorized: m(5000),
            new_total: m(7500),
            reason: None,
            card_network: None,
        })
        .await
        .unwrap();
    assert_eq!(answer.status, AuthorizationStatus::Success);
    assert_eq!(answer.authorized, m(7500));
    // Had the increment (2500) been sent, Primer would now hold 2500, not 7500.
    let synced = connector
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: payment.connector_payment_id,
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();
    assert_eq!(synced.amounts.authorized, m(7500));
    assert_eq!(handle.counters().increments, 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_key_reused_after_success_is_its_own_error() {
    let (handle, connector) = setup().await;
    let req = request(visa_token(), 1200);
    let before = handle.counters();
    connector.authorize(&req).await.unwrap();
    let err = connector.authorize(&req).await.unwrap_err();
    match &err {
        ConnectorError::IdempotencyConflict { detail } => {
            assert_eq!(
                detail.code(),
                Some("IdempotencyKeyAlreadyExists"),
                "{detail:?}"
            );
        }
        other => panic!("expected an idempotency conflict, got {other:?}"),
    }
    let after = handle.counters();
    assert_eq!(
        after.authorizations - before.authorizations,
        1,
        "charged twice"
    );
    assert_eq!(
        after.requests - before.requests,
        2,
        "the conflict was retried with the same key"
    );
    handle.shutdown().await;
}
