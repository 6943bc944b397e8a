//! A toy connector implementing two flows: the others answer `NotSupported` without a request,
//! and the whole call path logs at TRACE without leaking the card number, CVC or API key.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use paybridge_core::http::{endpoint, Exchange, HttpRequest, HttpResponse};
use paybridge_core::*;
use serde::Deserialize;
use support::{LogCapture, Reply, ScriptedServer};

const PAN: &str = "4242424242424242";
const CVC: &str = "737";
const API_KEY: &str = "sk_test_toy_51HsuperSecretKey";

struct Toy {
    base: url::Url,
    api_key: secrecy::SecretString,
}

#[derive(Deserialize)]
struct ToyPayment {
    id: String,
    state: String,
    amount: i64,
}

fn parse_payment(
    resp: HttpResponse,
    currency: Currency,
) -> Result<PaymentResponse, ConnectorError> {
    if !resp.is_success() {
        return Err(resp.error(ProcessorMessage::default()));
    }
    let wire: ToyPayment = resp.json()?;
    let status = match wire.state.as_str() {
        "authorized" => PaymentStatus::RequiresCapture,
        "declined" => PaymentStatus::Failed,
        _ => PaymentStatus::Processing,
    };
    let mut payment = PaymentResponse::new(wire.id, status, wire.state, currency);
    let amount = MinorUnit::new(wire.amount)
        .map_err(|e| ConnectorError::invalid_response(resp.status, e))?;
    payment.amounts.authorized = amount;
    payment.amounts.capturable = amount;
    Ok(payment)
}

impl Translator for Toy {
    fn id(&self) -> &'static str {
        "toy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new("toy")
            .support(Flow::Authorize, [])
            .support(Flow::PaymentSync, [])
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "toy-idempotency-key",
            key_reuse: KeyReuse::ReplaysSuccess,
            retry_hint: no_retry_hint,
            sensitive_fields: &[],
        }
    }

    fn authorize(
        &self,
        req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        let PaymentMethod::Card(card) = &req.payment_method else {
            return Err(ConnectorError::invalid(
                "payment_method",
                "toy takes cards only",
            ));
        };
        let body = serde_json::json!({
            "amount": req.amount,
            "currency": req.currency,
            "card": {
                "number": card.number.expose(),
                "cvv": card.cvc.as_ref().map(Cvc::expose),
                "expiry_month": card.expiry.month(),
            },
        });
        let request = HttpRequest::post(endpoint(&self.base, &["payments"])?)
            .bearer(&self.api_key)?
            .json(&body)?
            .idempotency_key(&req.idempotency_key);
        let currency = req.currency;
        Ok(Exchange::new(request, move |resp| {
            parse_payment(resp, currency)
        }))
    }

    fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        let request = HttpRequest::get(endpoint(
            &self.base,
            &["payments", &req.connector_payment_id],
        )?)
        .bearer(&self.api_key)?;
        Ok(Exchange::new(request, |resp| {
            parse_payment(resp, Currency::USD)
        }))
    }
}

fn card_request() -> AuthorizeRequest {
    let card = Card {
        number: CardNumber::new(PAN).unwrap(),
        expiry: CardExpiry::new(12, 2030).unwrap(),
        cvc: Some(Cvc::new(CVC).unwrap()),
        holder_name: Some("Ada Lovelace".into()),
    };
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::USD,
        PaymentMethod::Card(card),
        "order-1",
    );
    req.capture_method = CaptureMethod::Manual;
    req
}

fn toy(server: &ScriptedServer) -> std::sync::Arc<dyn Connector> {
    let toy = Toy {
        base: server.url(),
        api_key: API_KEY.to_owned().into(),
    };
    HttpConnector::new(toy, ExecutionSettings::default())
        .unwrap()
        .into_dyn()
}

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

#[tokio::test]
async fn trace_logs_hold_field_names_but_no_secrets() {
    let server = ScriptedServer::start(vec![Reply::status(201).body(
        r#"{"id":"pay_9","state":"authorized","amount":1000,"card":{"number":"4242424242424242"}}"#,
    )])
    .await;
    let logs = LogCapture::default();
    let _guard = logs.install();
    let connector = toy(&server);
    let req = card_request();
    tracing::debug!(request = ?req, "about to authorize");
    connector.authorize(&req).await.unwrap();
    connector
        .sync_payment(&PaymentSyncRequest {
            connector_payment_id: "pay_9".into(),
            capture_method: CaptureMethod::Manual,
        })
        .await
        .unwrap();
    let text = logs.text();
    assert!(text.contains("processor_call"), "{text}");
    assert!(text.contains("\"number\":\"***\""), "{text}");
    assert!(text.contains("\"cvv\":\"***\""), "{text}");
    assert!(
        text.contains("authorization"),
        "header names should be visible: {text}"
    );
    assert!(text.contains("424242******4242"), "{text}");
    assert!(!text.contains(PAN), "PAN leaked: {text}");
    assert!(!text.contains(CVC), "CVC leaked: {text}");
    assert!(!text.contains("superSecretKey"), "API key leaked: {text}");
}
