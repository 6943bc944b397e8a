//! Translation cost per flow: the Primer translator building its request and parsing a typical
//! answer (`translate`), next to serde_json alone (de)serializing the same wire structs
//! (`serde_baseline`).
//!
//! `cargo bench -p paybridge-primer --bench translation`.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use paybridge_core::http::{Exchange, HttpResponse};
use paybridge_core::*;
use paybridge_primer::{wire, Primer};
use serde::Serialize;

const PAYMENT: &str = r#"{"id":"kHdEw9EG","date":"2024-03-10T10:11:12.000000","dateUpdated":"2024-03-10T10:11:13.000000","status":"AUTHORIZED","orderId":"ORD-1","currencyCode":"EUR","amount":1000,"customerId":"customer-123","metadata":{"reference":"ORD-1"},"cardTokenType":"CARD_PAN","paymentMethod":{"paymentMethodToken":"heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4","authorizationType":"ESTIMATED","paymentType":"ECOMMERCE","isVaulted":false,"paymentMethodType":"PAYMENT_CARD","paymentMethodData":{"first6Digits":"424242","last4Digits":"4242","expirationMonth":"06","expirationYear":"2031","network":"Visa","isNetworkTokenized":false}},"processor":{"name":"STRIPE","processorMerchantId":"acct_1","amountCaptured":0,"amountRefunded":0},"transactions":[{"date":"2024-03-10T10:11:13.000000","amount":1000,"currencyCode":"EUR","type":"SALE","processorTransactionId":"pi_1","processorName":"STRIPE","processorMerchantId":"acct_1","processorStatus":"AUTHORIZED"}]}"#;
const SETTLED: &str = r#"{"id":"kHdEw9EG","status":"SETTLED","orderId":"ORD-1","currencyCode":"EUR","amount":1000,"paymentMethod":{"authorizationType":"ESTIMATED","paymentMethodData":{"network":"Visa"}},"processor":{"name":"STRIPE","amountCaptured":1000,"amountRefunded":300},"transactions":[{"type":"SALE","processorTransactionId":"pi_1","processorStatus":"SETTLED","amount":1000,"date":"2024-03-10T10:11:13"},{"type":"REFUND","processorTransactionId":"re_1","processorStatus":"SETTLED","amount":300,"date":"2024-03-11T10:11:13"}]}"#;

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).expect("non-negative")
}

fn key() -> IdempotencyKey {
    IdempotencyKey::new("5c6f6b0e-9f1e-4b9e-a0f5-8e3b6f0c2d41").expect("valid key")
}

fn compare<T: 'static, S: Serialize>(
    c: &mut Criterion,
    flow: &str,
    translate: impl Fn() -> Result<Exchange<T>, ConnectorError>,
    wire_request: Option<&S>,
    answer: &'static str,
) {
    let answer = HttpResponse::new(200, Bytes::from_static(answer.as_bytes()));
    translate()
        .expect("valid")
        .parse(answer.clone())
        .unwrap_or_else(|e| panic!("{flow}: {e}"));
    let mut group = c.benchmark_group(flow);
    group.bench_function("translate", |b| {
        b.iter(|| {
            let exchange = translate().expect("valid request");
            black_box(exchange.parse(black_box(answer.clone())).is_ok())
        })
    });
    group.bench_function("serde_baseline", |b| {
        b.iter(|| {
            let sent = wire_request.map(|r| serde_json::to_vec(black_box(r)).expect("serializes"));
            let read: wire::Payment =
                serde_json::from_slice(black_box(&answer.body)).expect("parses");
            black_box((sent, read))
        })
    });
    group.finish();
}

fn flows(c: &mut Criterion) {
    let primer = Primer::new(&ConnectorConfig::new(
        Primer::SANDBOX_URL.parse().expect("valid URL"),
        "prk_m73dzbpy7cf3gfd46xr4yj5xo4e",
    ))
    .expect("valid config");
    let token = PaymentMethodToken::new("heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4").expect("token");
    let mut auth = AuthorizeRequest::new(
        m(1000),
        Currency::EUR,
        PaymentMethod::Token(token.clone()),
        "ORD-1",
    );
    auth.idempotency_key = key();
    auth.capture_method = CaptureMethod::Manual;
    auth.request_incremental_authorization = true;
    auth.metadata.insert("reference".into(), "ORD-1".into());
    let auth_wire = wire::PaymentRequest {
        payment_method_token: token.as_str(),
        amount: 1000,
        currency_code: "EUR",
        order_id: "ORD-1",
        customer_id: None,
        customer: None,
        metadata: &auth.metadata,
        payment_method: wire::PaymentMethodOptions {
            authorization_type: "ESTIMATED",
            descriptor: None,
        },
    };
    compare(
        c,
        "primer_authorize",
        || primer.authorize(black_box(&auth)),
        Some(&auth_wire),
        PAYMENT,
    );

    let inc = IncrementalAuthorizationRequest {
        idempotency_key: key(),
        connector_payment_id: "kHdEw9EG".into(),
        currency: Currency::EUR,
        current_authorized: m(500),
        new_total: m(1000),
        reason: None,
        card_network: None,
    };
    compare(
        c,
        "primer_increment_authorization",
        || primer.increment_authorization(black_box(&inc)),
        Some(&wire::AdjustRequest { amount: 1000 }),
        PAYMENT,
    );

    let mut capture = CaptureRequest::new("kHdEw9EG", Currency::EUR, Some(m(1000)));
    capture.idempotency_key = key();
    compare(
        c,
        "primer_capture",
        || primer.capture(black_box(&capture)),
        Some(&wire::CaptureRequest {
            amount: Some(1000),
            final_capture: true,
        }),
        SETTLED,
    );

    let mut refund = RefundRequest::new("kHdEw9EG", Currency::EUR, Some(m(300)));
    refund.idempotency_key = key();
    compare(
        c,
        "primer_refund",
        || primer.refund(black_box(&refund)),
        Some(&wire::RefundRequest {
            amount: Some(300),
            reason: None,
            order_id: None,
        }),
        SETTLED,
    );

    let sync = PaymentSyncRequest {
        connector_payment_id: "kHdEw9EG".into(),
        capture_method: CaptureMethod::Manual,
    };
    compare::<_, ()>(
        c,
        "primer_sync_payment",
        || primer.sync_payment(black_box(&sync)),
        None,
        SETTLED,
    );
}

fn settings() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! { name = benches; config = settings(); targets = flows }
criterion_main!(benches);
