//! A toy connector implementing two flows: the others answer `NotSupported` without a request.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use paybridge_core::*;
use support::toy::{card_request, toy, API_KEY, PAN};
use support::{Reply, ScriptedServer};

#[tokio::test]
async fn unimplemented_flows_are_not_supported_and_send_nothing() {
    let server = ScriptedServer::start(vec![Reply::status(200)]).await;
    let connector = toy(&server);
    let usd = Currency::USD;
    let m = |v| MinorUnit::new(v).unwrap();
    let key = IdempotencyKey::generate;
    let results: Vec<(Flow, ConnectorError)> = vec![
        (
            Flow::IncrementalAuthorization,
            connector
                .increment_authorization(&IncrementalAuthorizationRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_1".into(),
                    currency: usd,
                    current_authorized: m(100),
                    new_total: m(200),
                    reason: None,
                    card_network: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::ExtendAuthorization,
            connector
                .extend_authorization(&ExtendAuthorizationRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_1".into(),
                    currency: usd,
                    card_network: Some(CardNetwork::Mastercard),
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::Capture,
            connector
                .capture(&CaptureRequest::new("pay_1", usd, None))
                .await
                .unwrap_err(),
        ),
        (
            Flow::Void,
            connector
                .void(&VoidRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_1".into(),
                    reason: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::CancelPostCapture,
            connector
                .cancel_post_capture(&CancelPostCaptureRequest {
                    reference: None,
                    idempotency_key: key(),
                    connector_payment_id: "pay_1".into(),
                    currency: usd,
                    amount_captured: m(100),
                    reason: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::Refund,
            connector
                .refund(&RefundRequest::new("pay_1", usd, Some(m(5))))
                .await
                .unwrap_err(),
        ),
        (
            Flow::RefundSync,
            connector
                .sync_refund(&RefundSyncRequest {
                    connector_payment_id: "pay_1".into(),
                    connector_refund_id: "ref_1".into(),
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::CompleteAuthorize,
            connector
                .complete_authorize(&CompleteAuthorizeRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_1".into(),
                    capture_method: CaptureMethod::Manual,
                    redirect_params: BTreeMap::new(),
                })
                .await
                .unwrap_err(),
        ),
        (
            Flow::SessionToken,
            connector
                .session_token(&SessionTokenRequest {
                    reference: "pay_1".into(),
                    merchant: WalletMerchant::new(
                        "Toy shop",
                        paybridge_core::details::CountryCode::new("GB").expect("GB"),
                    ),
                    amount: m(100),
                    currency: usd,
                    wallets: vec![Wallet::ApplePay],
                })
                .await
                .unwrap_err(),
        ),
    ];
    for (flow, err) in results {
        assert!(
            matches!(&err, ConnectorError::NotSupported { connector: "toy", flow: f, .. } if *f == flow),
            "{flow}: {err:?}"
        );
        assert!(!connector.capabilities().supports(flow));
    }
    let headers = http::HeaderMap::new();
    let webhook = IncomingWebhook {
        headers: &headers,
        body: b"{}",
        received_at: time::OffsetDateTime::now_utc(),
    };
    assert_eq!(
        connector.verify_webhook(&webhook),
        Err(WebhookError::NotSupported)
    );
    assert!(
        server.seen().is_empty(),
        "an unsupported flow sent a request"
    );
}

use paybridge_core::{http, time};

#[tokio::test]
async fn supported_flows_translate_and_invalid_requests_send_nothing() {
    let server = ScriptedServer::start(vec![
        Reply::status(201).body(r#"{"id":"pay_9","state":"authorized","amount":1000}"#)
    ])
    .await;
    let connector = toy(&server);
    let payment = connector.authorize(&card_request()).await.unwrap();
    assert_eq!(payment.connector_payment_id, "pay_9");
    assert_eq!(payment.status, PaymentStatus::RequiresCapture);
    assert_eq!(payment.amounts.authorized.get(), 1000);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["card"]["number"], PAN);
    assert_eq!(
        seen[0].headers["authorization"],
        format!("Bearer {API_KEY}").as_str()
    );

    let mut zero = card_request();
    zero.amount = MinorUnit::ZERO;
    let err = connector.authorize(&zero).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidRequest {
                field: "amount",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1, "an invalid request was sent");
}
