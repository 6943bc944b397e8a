//! The Primer translation, without a server: what is sent for each flow and how answers are
//! read.

#![allow(clippy::unwrap_used)]

use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_primer::{Primer, SECONDARY_SIGNATURE_HEADER, SIGNATURE_HEADER};
use serde_json::{json, Value};

fn primer() -> Primer {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "prk_test");
    config.webhook_secrets = WebhookSecrets::new(["current", "previous"]);
    Primer::new(&config).unwrap()
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

fn token() -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new("heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4").unwrap())
}

fn body<T>(exchange: &Exchange<T>) -> Value {
    serde_json::from_str(exchange.request().body_text().unwrap()).unwrap()
}

fn done<T: 'static>(exchange: Exchange<T>, status: u16, body: Value) -> Result<T, ConnectorError> {
    match exchange.parse(HttpResponse::new(status, body.to_string()))? {
        Step::Done(answer) => Ok(answer),
        Step::Next(_) => panic!("single-step flow asked for another call"),
    }
}

fn payment(status: &str, amount: i64, captured: i64) -> Value {
    json!({"id": "kHdEw9EG", "status": status, "currencyCode": "EUR", "amount": amount,
           "orderId": "ORD-1", "date": "2024-03-10T10:11:12Z",
           "paymentMethod": {"authorizationType": "ESTIMATED", "paymentMethodData": {"network": "Visa"}},
           "processor": {"name": "STRIPE", "amountCaptured": captured, "amountRefunded": 0},
           "transactions": []})
}

fn authorize_request(capture: CaptureMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(m(1000), Currency::EUR, token(), "ORD-1");
    req.capture_method = capture;
    req.idempotency_key = IdempotencyKey::new("key-1").unwrap();
    req
}

#[test]
fn raw_cards_are_refused_before_sending() {
    let card = PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: None,
        holder_name: None,
    });
    let err = primer()
        .authorize(&AuthorizeRequest::new(
            m(1000),
            Currency::EUR,
            card,
            "ORD-1",
        ))
        .unwrap_err();
    match err {
        ConnectorError::InvalidRequest { field, message } => {
            assert_eq!(field, "payment_method");
            assert!(message.contains("token"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn authorize_sends_the_documented_body_and_headers() {
    let mut req = authorize_request(CaptureMethod::Manual);
    req.request_incremental_authorization = true;
    req.metadata.insert("order".into(), "123".into());
    let exchange = primer().authorize(&req).unwrap();
    let request = exchange.request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url.as_str(), "http://sim.test/base/payments");
    assert_eq!(request.headers["x-api-key"], "prk_test");
    assert!(request.headers["x-api-key"].is_sensitive());
    assert_eq!(request.headers["x-api-version"], "2.2");
    assert_eq!(request.idempotency_key.as_ref().unwrap().as_str(), "key-1");
    assert_eq!(
        body(&exchange),
        json!({
            "paymentMethodToken": "heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4",
            "amount": 1000,
            "currencyCode": "EUR",
            "orderId": "ORD-1",
            "metadata": {"order": "123"},
            "paymentMethod": {"authorizationType": "ESTIMATED"}
        })
    );
    let answer = done(exchange, 200, payment("AUTHORIZED", 1000, 0)).unwrap();
    assert_eq!(answer.status, PaymentStatus::RequiresCapture);
    assert_eq!(answer.amounts.capturable, m(1000));
    assert_eq!(answer.incremental_authorization_allowed, Some(true));
    assert_eq!(answer.card_network, Some(CardNetwork::Visa));

    let mut config = ConnectorConfig::new("http://sim.test/".parse().unwrap(), "k");
    config.extra.insert("api_version".into(), "2.4".into());
    let exchange = Primer::new(&config).unwrap().authorize(&req).unwrap();
    assert_eq!(exchange.request().headers["x-api-version"], "2.4");
    let wire = Primer::new(&config).unwrap().wire_profile();
    assert_eq!(wire.idempotency_header, "x-idempotency-key");
    assert_eq!(wire.key_reuse, KeyReuse::RejectsReuse);
    assert_eq!((wire.retry_hint)(&HttpResponse::new(409, "")), Some(false));
}

#[test]
fn statuses_map_to_the_unified_set() {
    let cases = [
        ("PENDING", 0, PaymentStatus::Processing),
        ("AUTHORIZED", 0, PaymentStatus::RequiresCapture),
        ("SETTLING", 1000, PaymentStatus::Processing),
        (
            "PARTIALLY_SETTLED",
            400,
            PaymentStatus::PartiallyCapturedAndCapturable,
        ),
        ("PARTIALLY_SETTLED", 1000, PaymentStatus::PartiallyCaptured),
        ("SETTLED", 1000, PaymentStatus::Succeeded),
        ("CANCELLED", 0, PaymentStatus::Cancelled),
        ("SOMETHING_NEW", 0, PaymentStatus::Processing),
    ];
    for (raw, captured, expected) in cases {
        let exchange = primer()
            .authorize(&authorize_request(CaptureMethod::Manual))
            .unwrap();
        let answer = done(exchange, 200, payment(raw, 1000, captured)).unwrap();
        assert_eq!(answer.status, expected, "{raw}");
        assert_eq!(answer.raw_status, raw);
        assert_eq!(answer.amounts.received, m(captured));
    }
    let mut pending = payment("PENDING", 1000, 0);
    pending["requiredAction"] =
        json!({"name": "3DS_AUTHENTICATION", "description": "3DS", "clientToken": "ct_1"});
    let exchange = primer()
        .authorize(&authorize_request(CaptureMethod::Manual))
        .unwrap();
    let answer = done(exchange, 200, pending.clone()).unwrap();
    assert_eq!(answer.status, PaymentStatus::RequiresCustomerAction);
    assert_eq!(
        answer.next_action,
        Some(NextAction::InvokeSdkClient {
            data: pending["requiredAction"].clone()
        })
    );
}

#[test]
fn declines_are_200_with_status_reason() {
    let mut declined = payment("DECLINED", 1000, 0);
    declined["statusReason"] = json!({"type": "ISSUER_DECLINED", "declineType": "SOFT_DECLINE", "code": "INSUFFICIENT_FUNDS", "message": "Insufficient funds"});
    let exchange = primer()
        .authorize(&authorize_request(CaptureMethod::Automatic))
        .unwrap();
    let answer = done(exchange, 200, declined).unwrap();
    assert_eq!(answer.status, PaymentStatus::Failed);
    let decline = answer.decline.unwrap();
    assert_eq!(decline.unified, DeclineCode::InsufficientFunds);
    assert_eq!(decline.code.as_deref(), Some("INSUFFICIENT_FUNDS"));
    assert_eq!(decline.message.as_deref(), Some("Insufficient funds"));
    assert_eq!(decline.advice_code.as_deref(), Some("SOFT_DECLINE"));

    let mut failed = payment("FAILED", 1000, 0);
    failed["statusReason"] = json!({"type": "APPLICATION_ERROR"});
    let exchange = primer()
        .authorize(&authorize_request(CaptureMethod::Manual))
        .unwrap();
    let answer = done(exchange, 200, failed).unwrap();
    assert_eq!(
        answer.decline.unwrap().unified,
        DeclineCode::ProcessingError
    );
}

#[test]
fn automatic_capture_chains_a_capture_when_primer_only_authorized() {
    let exchange = primer()
        .authorize(&authorize_request(CaptureMethod::Automatic))
        .unwrap();
    let Step::Next(capture) = exchange
        .parse(HttpResponse::new(
            200,
            payment("AUTHORIZED", 1000, 0).to_string(),
        ))
        .unwrap()
    else {
        panic!("an AUTHORIZED answer to an automatic capture must chain a capture");
    };
    let request = capture.request();
    assert_eq!(
        request.url.as_str(),
        "http://sim.test/base/payments/kHdEw9EG/capture"
    );
    assert_eq!(
        request.idempotency_key.as_ref().unwrap().as_str(),
        "key-1-capture"
    );
    assert_eq!(request.headers["x-api-version"], "2.2");
    assert_eq!(body(&capture), json!({"amount": 1000, "final": true}));
    let answer = done(*capture, 200, payment("SETTLED", 1000, 1000)).unwrap();
    assert_eq!(answer.status, PaymentStatus::Succeeded);

    // A refused capture still reports the authorization, id included.
    let exchange = primer()
        .authorize(&authorize_request(CaptureMethod::Automatic))
        .unwrap();
    let Ok(Step::Next(capture)) = exchange.parse(HttpResponse::new(
        200,
        payment("AUTHORIZED", 1000, 0).to_string(),
    )) else {
        panic!()
    };
    let answer = done(
        *capture,
        400,
        json!({"error": {"errorId": "PaymentStateInvalid", "description": "x"}}),
    )
    .unwrap();
    assert_eq!(answer.status, PaymentStatus::RequiresCapture);
    assert_eq!(answer.connector_payment_id, "kHdEw9EG");

    // Settled by the Workflow: done in one call. Manual and settled: reported as is.
    for capture in [CaptureMethod::Automatic, CaptureMethod::Manual] {
        let exchange = primer().authorize(&authorize_request(capture)).unwrap();
        let answer = done(exchange, 200, payment("SETTLED", 1000, 1000)).unwrap();
        assert_eq!(answer.status, PaymentStatus::Succeeded);
    }
}

#[test]
fn adjust_authorization_sends_the_final_amount() {
    let req = IncrementalAuthorizationRequest {
        idempotency_key: IdempotencyKey::new("inc-1").unwrap(),
        connector_payment_id: "kHdEw9EG".into(),
        currency: Currency::EUR,
        current_authorized: m(1000),
        new_total: m(1500),
        reason: None,
        card_network: Some(CardNetwork::Visa),
    };
    let exchange = primer().increment_authorization(&req).unwrap();
    assert_eq!(
        exchange.request().url.as_str(),
        "http://sim.test/base/payments/kHdEw9EG/adjust-authorization"
    );
    assert_eq!(body(&exchange), json!({"amount": 1500}));
    let ok = done(exchange, 200, payment("AUTHORIZED", 1500, 0)).unwrap();
    assert_eq!(ok.status, AuthorizationStatus::Success);
    assert_eq!(ok.authorized, m(1500));
    assert!(ok.decline.is_none());

    let unchanged = done(
        primer().increment_authorization(&req).unwrap(),
        200,
        payment("AUTHORIZED", 1000, 0),
    )
    .unwrap();
    assert_eq!(unchanged.status, AuthorizationStatus::Failure);
    assert_eq!(unchanged.authorized, m(1000));
    assert!(unchanged.decline.is_some());

    let mut declined = payment("DECLINED", 1000, 0);
    declined["statusReason"] =
        json!({"type": "ISSUER_DECLINED", "declineType": "HARD_DECLINE", "code": "DO_NOT_HONOR"});
    let declined = done(
        primer().increment_authorization(&req).unwrap(),
        200,
        declined,
    )
    .unwrap();
    assert_eq!(declined.status, AuthorizationStatus::Failure);
    assert_eq!(declined.decline.unwrap().unified, DeclineCode::DoNotHonor);

    let err = done(
        primer().increment_authorization(&req).unwrap(),
        400,
        json!({"error": {"errorId": "PaymentStatusInvalid", "description": "already settled"}}),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                kind: RejectionKind::InvalidState,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn capture_cancel_and_refund_bodies() {
    let mut capture = CaptureRequest::new("kHdEw9EG", Currency::EUR, Some(m(400)));
    capture.final_capture = false;
    let exchange = primer().capture(&capture).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/kHdEw9EG/capture"
    );
    assert_eq!(body(&exchange), json!({"amount": 400, "final": false}));
    let answer = done(exchange, 200, payment("PARTIALLY_SETTLED", 1000, 400)).unwrap();
    assert_eq!(answer.status, PaymentStatus::PartiallyCapturedAndCapturable);
    assert_eq!(answer.amounts.unwrap().capturable, m(600));

    let void = VoidRequest {
        idempotency_key: IdempotencyKey::new("void-1").unwrap(),
        connector_payment_id: "kHdEw9EG".into(),
        reason: Some("customer".into()),
    };
    let exchange = primer().void(&void).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/kHdEw9EG/cancel"
    );
    assert_eq!(body(&exchange), json!({"reason": "customer"}));
    assert_eq!(
        done(exchange, 200, payment("CANCELLED", 1000, 0))
            .unwrap()
            .status,
        PaymentStatus::Cancelled
    );

    let mut refund = RefundRequest::new("kHdEw9EG", Currency::EUR, Some(m(300)));
    refund.reason = Some("returned".into());
    refund.reference = Some("RF-1".into());
    let exchange = primer().refund(&refund).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/kHdEw9EG/refund"
    );
    assert_eq!(
        body(&exchange),
        json!({"amount": 300, "reason": "returned", "orderId": "RF-1"})
    );
}

fn refunded() -> Value {
    let mut p = payment("SETTLED", 1000, 1000);
    p["transactions"] = json!([
        {"type": "SALE", "processorTransactionId": "sale_1", "processorStatus": "SETTLED", "amount": 1000, "date": "2024-03-10T10:00:00Z"},
        {"transactionType": "REFUND", "processorTransactionId": "re_1", "processorStatus": "SETTLED", "amount": 300, "date": "2024-03-11T10:00:00Z"},
        {"type": "REFUND", "processorTransactionId": "re_2", "processorStatus": "PENDING", "amount": 200, "date": "2024-03-12T10:00:00Z"},
        {"type": "REFUND", "processorTransactionId": "re_3", "processorStatus": "FAILED", "amount": 100, "date": "2024-03-09T10:00:00Z",
         "processorStatusReason": {"type": "ISSUER_DECLINED", "message": "refund refused"}}
    ]);
    p
}

#[test]
fn refunds_and_refund_sync_read_refund_transactions() {
    let refund = RefundRequest::new("kHdEw9EG", Currency::EUR, Some(m(200)));
    let answer = done(primer().refund(&refund).unwrap(), 200, refunded()).unwrap();
    assert_eq!(answer.connector_refund_id, "re_2");
    assert_eq!(answer.status, RefundStatus::Pending);
    assert_eq!(answer.amount, Some(m(200)));

    let sync = |id: &str| {
        let req = RefundSyncRequest {
            connector_payment_id: "kHdEw9EG".into(),
            connector_refund_id: id.into(),
        };
        let exchange = primer().sync_refund(&req).unwrap();
        assert_eq!(exchange.request().method, "GET");
        assert_eq!(exchange.request().url.path(), "/base/payments/kHdEw9EG");
        done(exchange, 200, refunded()).unwrap()
    };
    assert_eq!(sync("re_1").status, RefundStatus::Succeeded);
    let failed = sync("re_3");
    assert_eq!(failed.status, RefundStatus::Failed);
    assert_eq!(failed.failure_reason.as_deref(), Some("refund refused"));
    let missing = sync("re_9");
    assert_eq!(
        (missing.status, missing.connector_refund_id.as_str()),
        (RefundStatus::Pending, "re_9")
    );

    let cancel = CancelPostCaptureRequest {
        reference: None,
        idempotency_key: IdempotencyKey::new("cpc-1").unwrap(),
        connector_payment_id: "kHdEw9EG".into(),
        currency: Currency::EUR,
        amount_captured: m(1000),
        reason: None,
    };
    let exchange = primer().cancel_post_capture(&cancel).unwrap();
    assert_eq!(body(&exchange), json!({"amount": 1000}));
    let mut settled = payment("SETTLED", 1000, 1000);
    settled["transactions"] = json!([{"type": "REFUND", "processorTransactionId": "re_5", "processorStatus": "SETTLED", "amount": 1000}]);
    let answer = done(exchange, 200, settled).unwrap();
    assert_eq!(answer.status, PaymentStatus::CancelledPostCapture);
}

#[test]
fn complete_authorize_resumes_with_the_token() {
    let mut req = CompleteAuthorizeRequest {
        idempotency_key: IdempotencyKey::new("resume-1").unwrap(),
        connector_payment_id: "kHdEw9EG".into(),
        capture_method: CaptureMethod::Manual,
        redirect_params: Default::default(),
    };
    let err = primer().complete_authorize(&req).unwrap_err();
    assert!(
        matches!(err, ConnectorError::InvalidRequest { .. }),
        "{err:?}"
    );
    req.redirect_params
        .insert("resumeToken".into(), "rt_1".into());
    let exchange = primer().complete_authorize(&req).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/kHdEw9EG/resume"
    );
    assert_eq!(body(&exchange), json!({"resumeToken": "rt_1"}));
    assert_eq!(
        done(exchange, 200, payment("AUTHORIZED", 1000, 0))
            .unwrap()
            .status,
        PaymentStatus::RequiresCapture
    );
}

#[test]
fn errors_keep_primer_ids_and_idempotency_reuse_is_distinct() {
    let sync = PaymentSyncRequest {
        connector_payment_id: "kHdEw9EG".into(),
        capture_method: CaptureMethod::Manual,
    };
    let err = |status: u16, error_id: &str| {
        let body = json!({"error": {"errorId": error_id, "description": "desc", "diagnosticsId": "diag-1", "validationErrors": []}});
        done(primer().sync_payment(&sync).unwrap(), status, body).unwrap_err()
    };
    let reuse = err(409, "IdempotencyKeyAlreadyExists");
    assert!(
        matches!(reuse, ConnectorError::IdempotencyConflict { .. }),
        "{reuse:?}"
    );
    let detail = reuse.processor_message().unwrap();
    assert_eq!(detail.code(), Some("IdempotencyKeyAlreadyExists"));
    assert_eq!(detail.message.as_deref(), Some("desc"));
    assert_eq!(detail.request_id.as_deref(), Some("diag-1"));
    assert!(matches!(
        err(400, "TransactionRequestIdempotencyKeyAlreadyExists"),
        ConnectorError::IdempotencyConflict { .. }
    ));
    assert!(matches!(
        err(422, "InvalidAmount"),
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            ..
        }
    ));
    assert!(matches!(
        err(400, "PaymentCannotBeCaptured"),
        ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            ..
        }
    ));
    assert!(matches!(
        err(401, "Unauthorized"),
        ConnectorError::Authentication(_)
    ));
    assert!(matches!(
        err(403, "Forbidden"),
        ConnectorError::Rejected {
            kind: RejectionKind::Forbidden,
            ..
        }
    ));
    assert!(matches!(
        err(404, "EntityNotFound"),
        ConnectorError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
    assert!(matches!(
        err(429, "TooManyRequests"),
        ConnectorError::RateLimited { .. }
    ));
    assert!(matches!(err(503, "x"), ConnectorError::Processor { .. }));
}

fn deliver(
    body: &[u8],
    headers: &[(&'static str, String)],
    received_at: i64,
) -> Result<WebhookEvent, WebhookError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    primer().verify_webhook(&IncomingWebhook {
        headers: &map,
        body,
        received_at: time::OffsetDateTime::from_unix_timestamp(received_at).unwrap(),
    })
}

fn sign(secret: &str, body: &[u8]) -> String {
    SignatureEncoding::Base64.encode(&hmac_sha256(secret.as_bytes(), &[body]))
}

#[test]
fn webhook_signatures_and_freshness() {
    let mut p = payment("SETTLED", 1000, 1000);
    p["transactions"] = json!([]);
    let body = json!({"eventType": "PAYMENT.STATUS", "date": "2024-03-10T10:11:12Z", "signedAt": "1700000000", "payment": p}).to_string();
    let body = body.as_bytes();
    let now = 1_700_000_100;
    let event = deliver(body, &[(SIGNATURE_HEADER, sign("current", body))], now).unwrap();
    assert_eq!(event.kind, WebhookEventKind::Captured);
    assert_eq!(event.payment_status, Some(PaymentStatus::Succeeded));
    assert_eq!(
        event.event_id,
        "kHdEw9EG:PAYMENT.STATUS:SETTLED:1000:1000:0"
    );
    assert_eq!(event.amount, Some(m(1000)));
    // The secondary header, and a second configured secret.
    assert!(deliver(
        body,
        &[(SECONDARY_SIGNATURE_HEADER, sign("current", body))],
        now
    )
    .is_ok());
    assert!(deliver(body, &[(SIGNATURE_HEADER, sign("previous", body))], now).is_ok());
    assert!(deliver(
        body,
        &[
            (SIGNATURE_HEADER, sign("other", body)),
            (SECONDARY_SIGNATURE_HEADER, sign("previous", body))
        ],
        now
    )
    .is_ok());
    // Altered, unsigned, stale.
    let altered = String::from_utf8_lossy(body).replace("1000", "9000");
    assert_eq!(
        deliver(
            altered.as_bytes(),
            &[(SIGNATURE_HEADER, sign("current", body))],
            now
        ),
        Err(WebhookError::InvalidSignature)
    );
    assert_eq!(
        deliver(body, &[], now),
        Err(WebhookError::MissingSignature(SIGNATURE_HEADER))
    );
    assert!(matches!(
        deliver(
            body,
            &[(SIGNATURE_HEADER, sign("current", body))],
            now + 400
        ),
        Err(WebhookError::StaleTimestamp { .. })
    ));
}

#[test]
fn webhook_events_map_declines_and_refunds() {
    let mut declined = payment("DECLINED", 1000, 0);
    declined["statusReason"] = json!({"type": "ISSUER_DECLINED", "code": "EXPIRED_CARD"});
    let body = json!({"eventType": "PAYMENT.STATUS", "signedAt": 1700000000, "payment": declined})
        .to_string();
    let event = deliver(
        body.as_bytes(),
        &[(SIGNATURE_HEADER, sign("current", body.as_bytes()))],
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(event.kind, WebhookEventKind::AuthorizationFailed);
    assert_eq!(event.decline.unwrap().unified, DeclineCode::ExpiredCard);

    let body =
        json!({"eventType": "PAYMENT.REFUND", "signedAt": "1700000000", "payment": refunded()})
            .to_string();
    let event = deliver(
        body.as_bytes(),
        &[(SIGNATURE_HEADER, sign("current", body.as_bytes()))],
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(event.kind, WebhookEventKind::RefundPending);
    assert_eq!(event.connector_action_id.as_deref(), Some("re_2"));

    for bad in [
        json!({"eventType": "PAYMENT.STATUS", "signedAt": "1700000000", "payment": payment("SETTLED", -1, 0)}),
        json!({"eventType": "PAYMENT.STATUS", "signedAt": "1700000000", "payment": {"id": "x", "status": "SETTLED", "currencyCode": "ZZZ"}}),
        json!({"eventType": "PAYMENT.STATUS", "payment": payment("SETTLED", 1, 0)}),
    ] {
        let body = bad.to_string();
        let verdict = deliver(
            body.as_bytes(),
            &[(SIGNATURE_HEADER, sign("current", body.as_bytes()))],
            1_700_000_000,
        );
        assert!(
            matches!(verdict, Err(WebhookError::MalformedBody(_))),
            "{verdict:?}"
        );
    }
}

/// Every flow that names a payment, answered with `status` and `body`.
fn payment_flow_errors(status: u16, body: &Value) -> Vec<(&'static str, ConnectorError)> {
    let id = "kHdEw9EG";
    let key = || IdempotencyKey::new("key-1").unwrap();
    let p = primer();
    let answer = |flow: &'static str, result: Result<(), ConnectorError>| {
        (flow, result.expect_err("an error answer"))
    };
    let mut capture = CaptureRequest::new(id, Currency::EUR, Some(m(100)));
    capture.idempotency_key = key();
    let void = VoidRequest {
        idempotency_key: key(),
        connector_payment_id: id.into(),
        reason: None,
    };
    let refund = RefundRequest::new(id, Currency::EUR, Some(m(100)));
    let increment = IncrementalAuthorizationRequest {
        idempotency_key: key(),
        connector_payment_id: id.into(),
        currency: Currency::EUR,
        current_authorized: m(1000),
        new_total: m(1500),
        reason: None,
        card_network: None,
    };
    let sync = PaymentSyncRequest {
        connector_payment_id: id.into(),
        capture_method: CaptureMethod::Manual,
    };
    let refund_sync = RefundSyncRequest {
        connector_payment_id: id.into(),
        connector_refund_id: "re_1".into(),
    };
    let resume = CompleteAuthorizeRequest {
        idempotency_key: key(),
        connector_payment_id: id.into(),
        capture_method: CaptureMethod::Manual,
        redirect_params: [("resumeToken".to_owned(), "rt_1".to_owned())].into(),
    };
    let body = body.clone();
    vec![
        answer(
            "sync",
            done(p.sync_payment(&sync).unwrap(), status, body.clone()).map(drop),
        ),
        answer(
            "capture",
            done(p.capture(&capture).unwrap(), status, body.clone()).map(drop),
        ),
        answer(
            "void",
            done(p.void(&void).unwrap(), status, body.clone()).map(drop),
        ),
        answer(
            "refund",
            done(p.refund(&refund).unwrap(), status, body.clone()).map(drop),
        ),
        answer(
            "increment",
            done(
                p.increment_authorization(&increment).unwrap(),
                status,
                body.clone(),
            )
            .map(drop),
        ),
        answer(
            "refund sync",
            done(p.sync_refund(&refund_sync).unwrap(), status, body.clone()).map(drop),
        ),
        answer(
            "resume",
            done(p.complete_authorize(&resume).unwrap(), status, body.clone()).map(drop),
        ),
    ]
}

#[test]
fn an_unknown_payment_is_not_found_as_400_payment_error_and_as_404() {
    // The v2.2 document's answer (400 `PaymentError`), and the status table's 404 (listed for
    // adjust-authorization), with Primer's body or with none.
    let documented = json!({"error": {"errorId": "PaymentError",
                                      "description": "The payment could not be found",
                                      "diagnosticsId": "diag-1"}});
    let older =
        json!({"error": {"errorId": "PaymentNotFoundError", "description": "no such payment"}});
    for (status, body) in [
        (400, documented.clone()),
        (404, documented),
        (404, older.clone()),
        (400, older),
        (404, json!(null)),
    ] {
        for (flow, err) in payment_flow_errors(status, &body) {
            assert!(
                matches!(
                    err,
                    ConnectorError::Rejected {
                        kind: RejectionKind::NotFound,
                        ..
                    }
                ),
                "{flow} {status} {body}: {err:?}"
            );
            assert!(!err.outcome_unknown(), "{flow}: {err:?}");
            assert_eq!(err.processor_message().unwrap().http_status, Some(status));
        }
    }
    let err = &payment_flow_errors(
        400,
        &json!({"error": {"errorId": "PaymentError", "description": "The payment could not be found", "diagnosticsId": "diag-1"}}),
    )[0]
    .1;
    let detail = err.processor_message().unwrap();
    assert_eq!(detail.code(), Some("PaymentError"));
    assert_eq!(detail.request_id.as_deref(), Some("diag-1"));
}

#[test]
fn state_rules_are_invalid_state_and_body_validation_is_validation() {
    let rules = [
        ("PaymentError", "Payment kHdEw9EG is CANCELLED: only AUTHORIZED or PARTIALLY_SETTLED payments can be captured"),
        ("PaymentError", "Cannot refund 100: only 0 is left to refund"),
        ("PaymentNotCapturable", "x"),
        ("PaymentNotCancellable", "x"),
        ("PaymentNotRefundable", "x"),
        ("AuthorizationAdjustmentNotAllowed", "x"),
    ];
    for (error_id, description) in rules {
        let body = json!({"error": {"errorId": error_id, "description": description}});
        for (flow, err) in payment_flow_errors(400, &body) {
            assert!(
                matches!(
                    err,
                    ConnectorError::Rejected {
                        kind: RejectionKind::InvalidState,
                        ..
                    }
                ),
                "{flow} {error_id}: {err:?}"
            );
        }
    }
    // Malformed bodies are 422 (400 where the document lists no 422): validation, even when
    // a field's problem mentions "not found".
    for status in [422, 400] {
        let body = json!({"error": {"errorId": "RequestValidationError",
                                    "description": "We were unable to validate your request",
                                    "validationErrors": [{"model": "M", "errors": [{"path": "$.amount", "description": "field not found"}]}]}});
        for (flow, err) in payment_flow_errors(status, &body) {
            assert!(
                matches!(
                    err,
                    ConnectorError::Rejected {
                        kind: RejectionKind::Validation,
                        ..
                    }
                ),
                "{flow} {status}: {err:?}"
            );
        }
    }
}

fn webhook_event(event_type: &str, payment: &Value, signed_at: i64) -> WebhookEvent {
    let body = json!({"eventType": event_type, "date": "2024-03-10T10:11:12Z",
                      "notificationConfig": {"id": "cfg_1", "description": "hook"},
                      "version": "2.2", "signedAt": signed_at.to_string(), "payment": payment})
    .to_string();
    let body = body.as_bytes();
    deliver(
        body,
        &[(SIGNATURE_HEADER, sign("current", body))],
        signed_at,
    )
    .unwrap()
}

#[test]
fn webhook_event_ids_use_v2_2_fields_so_redeliveries_dedupe_and_changes_do_not_collide() {
    let at = 1_700_000_000;
    let authorized = payment("AUTHORIZED", 1000, 0);
    let id = |event_type: &str, payment: &Value, signed_at: i64| {
        webhook_event(event_type, payment, signed_at).event_id
    };
    // A redelivery, signed again later, keeps its id; `dateUpdated` (not in v2.2) plays no part.
    let first = id("PAYMENT.STATUS", &authorized, at);
    assert_eq!(id("PAYMENT.STATUS", &authorized, at + 60), first);
    let mut later_version = authorized.clone();
    later_version["dateUpdated"] = json!("2024-03-10T10:11:13Z");
    assert_eq!(id("PAYMENT.STATUS", &later_version, at), first);
    // Status changes in the same second (a Workflow's auto-capture) are distinct events, and
    // so are repeats of a status with new amounts.
    let mut seen = std::collections::BTreeSet::from([first]);
    for changed in [
        payment("SETTLED", 1000, 1000),
        payment("AUTHORIZED", 1500, 0),
        payment("PARTIALLY_SETTLED", 1000, 300),
        payment("PARTIALLY_SETTLED", 1000, 600),
        payment("CANCELLED", 1000, 0),
    ] {
        assert!(
            seen.insert(id("PAYMENT.STATUS", &changed, at)),
            "{changed} collides: {seen:?}"
        );
    }
    // Refund events: one id per refund and outcome.
    let mut refund = refunded();
    let pending = id("PAYMENT.REFUND", &refund, at);
    assert_eq!(pending, "kHdEw9EG:PAYMENT.REFUND:re_2:PENDING");
    assert_eq!(id("PAYMENT.REFUND", &refund, at + 5), pending);
    refund["transactions"][2]["processorStatus"] = json!("SETTLED");
    let settled = id("PAYMENT.REFUND", &refund, at);
    assert_ne!(settled, pending);
    refund["transactions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "REFUND", "processorTransactionId": "re_4", "processorStatus": "SETTLED", "amount": 50, "date": "2024-03-13T10:00:00Z"}));
    let another = id("PAYMENT.REFUND", &refund, at);
    assert_eq!(another, "kHdEw9EG:PAYMENT.REFUND:re_4:SETTLED");
    assert!(seen.insert(pending) && seen.insert(settled) && seen.insert(another));
}
