//! Robustness of every Primer response parser: arbitrary bytes and mutated real-shaped answers
//! never panic, always come back as `Ok` or a typed [`ConnectorError`], and a 2xx we cannot read
//! on a mutating call is `outcome_unknown`. Webhooks are only parsed once their signature checks
//! out.

#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_primer::{Primer, SIGNATURE_HEADER};
use paybridge_testkit::mutation::{arbitrary_body, edits, mutate, mutated_answer, Sample};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

const SECRET: &str = "primer_whsec";
const SIGNED_AT: i64 = 1_689_221_338;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

static PRIMER: LazyLock<Primer> = LazyLock::new(|| {
    let mut config = ConnectorConfig::new("http://sim.test/".parse().unwrap(), "prk_test");
    config.webhook_secrets = WebhookSecrets::new([SECRET]);
    Primer::new(&config).unwrap()
});

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

const AUTHORIZED: (u16, &str) = (
    200,
    r#"{"id":"kHdEw9EG","date":"2024-03-10T10:11:12.000000","dateUpdated":"2024-03-10T10:11:13.000000","status":"AUTHORIZED","orderId":"ORD-1","currencyCode":"EUR","amount":1000,"customerId":"customer-123","metadata":{"reference":"ORD-1"},"cardTokenType":"CARD_PAN","paymentMethod":{"paymentMethodToken":"heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4","authorizationType":"ESTIMATED","paymentType":"ECOMMERCE","isVaulted":false,"paymentMethodType":"PAYMENT_CARD","paymentMethodData":{"first6Digits":"424242","last4Digits":"4242","expirationMonth":"06","expirationYear":"2031","network":"Visa","isNetworkTokenized":false}},"processor":{"name":"STRIPE","processorMerchantId":"acct_1","amountCaptured":0,"amountRefunded":0},"transactions":[{"date":"2024-03-10T10:11:13.000000","amount":1000,"currencyCode":"EUR","type":"SALE","processorTransactionId":"pi_1","processorName":"STRIPE","processorMerchantId":"acct_1","processorStatus":"AUTHORIZED"}],"riskData":{"cvvCheck":{"result":"MATCHED"}}}"#,
);
const DECLINED: (u16, &str) = (
    200,
    r#"{"id":"pDec1234","status":"DECLINED","orderId":"ORD-1","currencyCode":"EUR","amount":1000,"processor":{"name":"STRIPE","amountCaptured":0,"amountRefunded":0},"statusReason":{"type":"ISSUER_DECLINED","declineType":"SOFT_DECLINE","code":"INSUFFICIENT_FUNDS","message":"Insufficient funds"},"transactions":[]}"#,
);
const PENDING: (u16, &str) = (
    200,
    r#"{"id":"p3ds1234","status":"PENDING","currencyCode":"EUR","amount":1000,"requiredAction":{"name":"3DS_AUTHENTICATION","description":"Perform 3DS","clientToken":"ct_abc"},"transactions":[]}"#,
);
const REFUNDED: (u16, &str) = (
    200,
    r#"{"id":"kHdEw9EG","status":"SETTLED","currencyCode":"EUR","amount":1000,"processor":{"name":"STRIPE","amountCaptured":1000,"amountRefunded":300},"transactions":[{"type":"SALE","processorTransactionId":"pi_1","processorStatus":"SETTLED","amount":1000,"date":"2024-03-10T10:11:13"},{"type":"REFUND","processorTransactionId":"re_1","processorStatus":"SETTLED","amount":300,"date":"2024-03-11T10:11:13"}]}"#,
);
const CONFLICT: (u16, &str) = (
    409,
    r#"{"error":{"errorId":"IdempotencyKeyAlreadyExists","description":"The idempotency key already exists","diagnosticsId":"1234567898","paymentId":"kHdEw9EG","paymentStatus":"AUTHORIZED"}}"#,
);
const INVALID: (u16, &str) = (
    422,
    r#"{"error":{"errorId":"RequestValidationError","description":"invalid","diagnosticsId":"42","validationErrors":[{"model":"PaymentCreationAPIRequest","errors":[{"path":"$.amount","description":"must be positive"}]}]}}"#,
);
const UNAUTHORIZED: (u16, &str) = (401, "");
const BAD_GATEWAY: (u16, &str) = (502, "<html>Bad Gateway</html>");

const SAMPLES: [(u16, &str); 8] = [
    AUTHORIZED,
    DECLINED,
    PENDING,
    REFUNDED,
    CONFLICT,
    INVALID,
    UNAUTHORIZED,
    BAD_GATEWAY,
];

const KNOWN_STRINGS: &[&str] = &[
    "PENDING",
    "FAILED",
    "AUTHORIZED",
    "SETTLING",
    "PARTIALLY_SETTLED",
    "SETTLED",
    "DECLINED",
    "CANCELLED",
    "SALE",
    "REFUND",
    "ESTIMATED",
    "FINAL",
    "SOFT_DECLINE",
    "HARD_DECLINE",
    "ISSUER_DECLINED",
    "APPLICATION_ERROR",
    "INSUFFICIENT_FUNDS",
    "DO_NOT_HONOR",
    "EUR",
    "eur",
    "XXX",
    "JPY",
    "Visa",
    "IdempotencyKeyAlreadyExists",
    "PAYMENT.STATUS",
    "PAYMENT.REFUND",
    "re_1",
    "1689221338",
    "-1",
    "",
];

#[derive(Debug, Clone, Copy)]
enum Op {
    Authorize,
    Increment,
    Capture,
    Void,
    CancelPostCapture,
    Refund,
    SyncPayment,
    SyncRefund,
    Complete,
}

const OPS: [Op; 9] = [
    Op::Authorize,
    Op::Increment,
    Op::Capture,
    Op::Void,
    Op::CancelPostCapture,
    Op::Refund,
    Op::SyncPayment,
    Op::SyncRefund,
    Op::Complete,
];

fn erase<T: std::fmt::Debug + 'static>(e: Result<Exchange<T>, ConnectorError>) -> Exchange<String> {
    e.unwrap().map(|a| format!("{a:?}"))
}

impl Op {
    fn exchange(self) -> Exchange<String> {
        let p = &*PRIMER;
        let key = || IdempotencyKey::new("robustness-key").unwrap();
        let id = "kHdEw9EG".to_owned();
        match self {
            Op::Authorize => {
                let token = PaymentMethod::Token(PaymentMethodToken::new("tok_1").unwrap());
                let mut req = AuthorizeRequest::new(m(1000), Currency::EUR, token, "ORD-1");
                req.capture_method = CaptureMethod::Manual;
                erase(p.authorize(&req))
            }
            Op::Increment => erase(p.increment_authorization(&IncrementalAuthorizationRequest {
                idempotency_key: key(),
                connector_payment_id: id,
                currency: Currency::EUR,
                current_authorized: m(1000),
                new_total: m(1500),
                reason: None,
                card_network: None,
            })),
            Op::Capture => erase(p.capture(&CaptureRequest::new(id, Currency::EUR, Some(m(500))))),
            Op::Void => erase(p.void(&VoidRequest {
                idempotency_key: key(),
                connector_payment_id: id,
                reason: None,
            })),
            Op::CancelPostCapture => erase(p.cancel_post_capture(&CancelPostCaptureRequest {
                reference: None,
                idempotency_key: key(),
                connector_payment_id: id,
                currency: Currency::EUR,
                amount_captured: m(1000),
                reason: None,
            })),
            Op::Refund => erase(p.refund(&RefundRequest::new(id, Currency::EUR, Some(m(300))))),
            Op::SyncPayment => erase(p.sync_payment(&PaymentSyncRequest {
                connector_payment_id: id,
                capture_method: CaptureMethod::Manual,
            })),
            Op::SyncRefund => erase(p.sync_refund(&RefundSyncRequest {
                connector_payment_id: id,
                connector_refund_id: "re_1".into(),
            })),
            Op::Complete => {
                let mut req = CompleteAuthorizeRequest {
                    idempotency_key: key(),
                    connector_payment_id: id,
                    capture_method: CaptureMethod::Manual,
                    redirect_params: Default::default(),
                };
                req.redirect_params
                    .insert("resumeToken".into(), "rt_1".into());
                erase(p.complete_authorize(&req))
            }
        }
    }

    fn check(self, status: u16, body: Vec<u8>) -> Result<(), TestCaseError> {
        let exchange = self.exchange();
        let mutating = exchange.request().is_mutating();
        let success = (200..300).contains(&status);
        match exchange.parse(HttpResponse::new(status, body)) {
            Ok(Step::Next(_)) => Err(TestCaseError::fail(format!(
                "{self:?}: unexpected second call"
            ))),
            Ok(Step::Done(answer)) => {
                prop_assert!(success, "{self:?}: HTTP {status} gave {answer}");
                Ok(())
            }
            Err(error) if success => {
                prop_assert!(
                    matches!(error, ConnectorError::InvalidResponse { .. }),
                    "{self:?}: {error:?}"
                );
                // Reads have their outcome cleared by the executor (`for_read`).
                if mutating {
                    prop_assert!(error.outcome_unknown(), "{:?}", error);
                }
                Ok(())
            }
            Err(error) if (300..400).contains(&status) => {
                prop_assert!(!error.outcome_unknown(), "{self:?}: {error:?}");
                Ok(())
            }
            Err(error) => {
                prop_assert_eq!(error.http_status(), Some(status), "{:?}", error);
                prop_assert!(
                    !matches!(error, ConnectorError::InvalidResponse { .. }),
                    "{:?}",
                    error
                );
                if (400..500).contains(&status) {
                    prop_assert!(!error.outcome_unknown(), "{:?}", error);
                }
                if mutating && (500..600).contains(&status) {
                    prop_assert!(error.outcome_unknown(), "{:?}", error);
                }
                Ok(())
            }
        }
    }
}

fn mutated() -> impl Strategy<Value = (u16, Vec<u8>)> {
    let samples = select(SAMPLES.to_vec()).prop_map(|(status, body)| Sample { status, body });
    mutated_answer(samples, KNOWN_STRINGS)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(op in select(OPS.to_vec()), status in 100_u16..600, body in arbitrary_body()) {
        op.check(status, body)?;
    }

    #[test]
    fn mutated_answers(op in select(OPS.to_vec()), (status, body) in mutated()) {
        op.check(status, body)?;
    }

    #[test]
    fn negative_amounts_are_refused(op in select(vec![Op::Authorize, Op::SyncPayment, Op::Capture]), amount in i64::MIN..0) {
        let mut doc: serde_json::Value = serde_json::from_str(AUTHORIZED.1).unwrap();
        doc["processor"]["amountCaptured"] = amount.into();
        let verdict = op.exchange().parse(HttpResponse::new(200, doc.to_string()));
        let refused = matches!(verdict, Err(ConnectorError::InvalidResponse { .. }));
        prop_assert!(refused);
    }
}

#[test]
fn unmutated_samples_parse() {
    for op in OPS {
        for (status, body) in SAMPLES {
            let outcome = op.exchange().parse(HttpResponse::new(status, body));
            let refund_flow = matches!(op, Op::Refund | Op::CancelPostCapture);
            // A refund answer must hold a REFUND transaction; only REFUNDED does.
            let expect_ok = status < 300 && (!refund_flow || body == REFUNDED.1);
            assert_eq!(
                outcome.is_ok(),
                expect_ok,
                "{op:?} {status}: {:?}",
                outcome.err()
            );
        }
    }
}

const WEBHOOKS: [&str; 3] = [
    r#"{"eventType":"PAYMENT.STATUS","date":"2023-07-13T04:22:18.000000","notificationConfig":{"id":"cfg_1","description":"hook"},"version":"2.2","signedAt":"1689221338","payment":{"id":"kHdEw9EG","dateUpdated":"2023-07-13T04:22:17.000000","status":"SETTLED","currencyCode":"EUR","amount":1000,"orderId":"ORD-1","processor":{"amountCaptured":1000,"amountRefunded":0},"transactions":[]}}"#,
    r#"{"eventType":"PAYMENT.REFUND","date":"2023-07-13T04:22:18.000000","version":"2.2","signedAt":1689221338,"payment":{"id":"kHdEw9EG","status":"SETTLED","currencyCode":"EUR","amount":1000,"transactions":[{"type":"REFUND","processorTransactionId":"re_1","processorStatus":"FAILED","amount":300}]}}"#,
    r#"{"eventType":"DISPUTE.OPENED","signedAt":"1689221338","primerAccountId":"acc_1","transactionId":"t_1","paymentId":"kHdEw9EG","processorDisputeId":"dp_1"}"#,
];

fn deliver(body: &[u8], signed: bool) -> Result<WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if signed {
        let sig = SignatureEncoding::Base64.encode(&hmac_sha256(SECRET.as_bytes(), &[body]));
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sig).unwrap());
    }
    PRIMER.verify_webhook(&IncomingWebhook {
        headers: &headers,
        body,
        received_at: time::OffsetDateTime::from_unix_timestamp(SIGNED_AT).unwrap(),
    })
}

fn check_signed(outcome: Result<WebhookEvent, WebhookError>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(event) => {
            let failure = matches!(
                event.kind,
                WebhookEventKind::AuthorizationFailed | WebhookEventKind::RefundFailed
            );
            prop_assert_eq!(event.decline.is_some(), failure, "{:?}", event);
            Ok(())
        }
        Err(WebhookError::MalformedBody(_) | WebhookError::StaleTimestamp { .. }) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!(
            "a signed body must reach the parser: {other:?}"
        ))),
    }
}

#[test]
fn webhook_samples_verify() {
    for body in WEBHOOKS {
        assert!(deliver(body.as_bytes(), true).is_ok(), "{body}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn webhook_arbitrary_bytes(body in arbitrary_body()) {
        check_signed(deliver(&body, true))?;
        prop_assert_eq!(deliver(&body, false), Err(WebhookError::MissingSignature(SIGNATURE_HEADER)));
    }

    #[test]
    fn webhook_mutated_events(original in select(WEBHOOKS.to_vec()), (values, bytes) in edits(KNOWN_STRINGS)) {
        let body = mutate(original, &values, &bytes);
        check_signed(deliver(&body, true))?;
    }
}
