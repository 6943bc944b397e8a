//! Translation cost per flow: the Checkout translator building its request and parsing a typical
//! answer (`translate`), next to serde_json alone doing the same (de)serialization of the wire
//! structs (`serde_baseline`). The difference is what the translation adds: URL building,
//! headers, the boxed parser and the mapping to unified types.
//!
//! `cargo bench -p paybridge-checkout --bench translation`; results in docs/benchmarks.md.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use paybridge_checkout::{wire, Checkout};
use paybridge_core::http::header::AUTHORIZATION;
use paybridge_core::http::{endpoint, Exchange, HeaderMap, HeaderValue, HttpRequest, HttpResponse};
use paybridge_core::secrecy::{ExposeSecret, SecretString};
use paybridge_core::time::format_description::well_known::Rfc3339;
use paybridge_core::time::OffsetDateTime;
use paybridge_core::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

const PAYMENT_ID: &str = "pay_mbabizu24mvu3mela5njyhpit4";

/// `POST /payments` 201, as the sandbox answers a manual-capture card payment.
const PAYMENT_APPROVED: &str = r#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","action_id":"act_mbabizu24mvu3mela5njyhpit4","amount":6540,"currency":"USD","approved":true,"status":"Authorized","auth_code":"770687","response_code":"10000","response_summary":"Approved","expires_on":"2030-01-09T11:15:23Z","3ds":{"downgraded":false,"enrolled":"Y"},"risk":{"flagged":false,"score":12},"balances":{"total_authorized":6540,"total_voided":0,"available_to_void":6540,"total_captured":0,"available_to_capture":6540,"total_refunded":0,"available_to_refund":0},"source":{"type":"card","id":"src_nwd3m4in3hkuddfpjsaevunhdy","expiry_month":6,"expiry_year":2031,"scheme":"Visa","last4":"4242","fingerprint":"F31828E2BDABAE63EB694903825CDD36041CC6ED461440B81415895855502832","bin":"424242","card_type":"CREDIT","issuer_country":"US","avs_check":"S","cvv_check":"Y"},"customer":{"id":"cus_y3oqhf46pyzuxjbcn2giaqnb44","email":"j.smith@example.com"},"processed_on":"2024-03-10T10:11:12Z","reference":"ORD-5023-4E89","processing":{"retrieval_reference_number":"909913440644","acquirer_transaction_id":"440644309099499894406"},"eci":"05","scheme_id":"489341065491658","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},"action":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions"},"capture":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/captures"},"void":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/voids"}}}"#;

/// `GET /payments/{id}` 200 after a partial capture.
const PAYMENT_DETAILS: &str = r#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","requested_on":"2024-03-10T10:11:10Z","source":{"type":"card","scheme":"Visa","last4":"4242"},"amount":6540,"amount_requested":6540,"currency":"USD","payment_type":"Regular","reference":"ORD-5023-4E89","status":"Partially Captured","approved":true,"expires_on":"2030-01-09T11:15:23Z","balances":{"total_authorized":6540,"total_voided":0,"available_to_void":0,"total_captured":3000,"available_to_capture":3540,"total_refunded":0,"available_to_refund":3000},"scheme_id":"489341065491658","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions"}}}"#;

/// `POST /payments/{id}/authorizations` 201 for an increment.
const INCREMENTED: &str = r#"{"action_id":"act_y3oqhf46pyzuxjbcn2giaqnb44","amount":2500,"currency":"USD","approved":true,"status":"Authorized","auth_code":"503198","response_code":"10000","response_summary":"Approved","expires_on":"2030-01-16T11:15:23Z","balances":{"total_authorized":7500,"total_voided":0,"available_to_void":7500,"total_captured":0,"available_to_capture":7500,"total_refunded":0,"available_to_refund":0},"processed_on":"2024-03-10T10:12:00Z","reference":"ORD-5023-4E89","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"}}}"#;

/// `POST /payments/{id}/authorizations` 201 for an amount-0 extension.
const EXTENDED: &str = r#"{"action_id":"act_kk2lbi5yw4ceznt4kdhxbeyj5a","amount":0,"currency":"USD","approved":true,"status":"Authorized","auth_code":"503199","response_code":"10000","response_summary":"Approved","expires_on":"2030-02-08T11:15:23Z","processed_on":"2024-03-10T10:13:00Z","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"}}}"#;

/// The 202 of captures, voids and refunds.
const ACCEPTED: &str = r#"{"action_id":"act_ddgxwrsdlqmuhc4rskwqsroqyy","reference":"ORD-5023-4E89","_links":{"payment":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"}}}"#;

/// `GET /payments/{id}/actions` 200: a refund, a capture and the authorization.
const ACTIONS: &str = r#"[{"id":"act_r2","type":"Refund","processed_on":"2024-03-11T09:00:00Z","amount":1000,"approved":true,"response_code":"10000","response_summary":"Approved","reference":"RF-1"},{"id":"act_c1","type":"Capture","processed_on":"2024-03-10T11:00:00Z","amount":3000,"approved":true,"response_code":"10000","response_summary":"Approved"},{"id":"act_mbabizu24mvu3mela5njyhpit4","type":"Authorization","processed_on":"2024-03-10T10:11:12Z","amount":6540,"approved":true,"auth_code":"770687","response_code":"10000","response_summary":"Approved"}]"#;

fn checkout() -> Checkout {
    let mut config = ConnectorConfig::new(
        Checkout::SANDBOX_URL.parse().expect("valid URL"),
        "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e",
    );
    config.extra.insert(
        "processing_channel_id".into(),
        "pc_zs5fqhybzc2e3jmq3efvybybpq".into(),
    );
    Checkout::new(&config).expect("valid config")
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).expect("non-negative")
}

fn key() -> IdempotencyKey {
    IdempotencyKey::new("5c6f6b0e-9f1e-4b9e-a0f5-8e3b6f0c2d41").expect("valid key")
}

/// A response whose clone is a reference-count bump, so cloning it per iteration costs nothing
/// measurable.
fn response(status: u16, body: &'static str) -> HttpResponse {
    HttpResponse::new(status, Bytes::from_static(body.as_bytes()))
}

fn authorize_request() -> AuthorizeRequest {
    let card = PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").expect("valid card"),
        expiry: CardExpiry::new(6, 2031).expect("valid expiry"),
        cvc: Some(Cvc::new("100").expect("valid cvc")),
        holder_name: Some("J Smith".into()),
    });
    let mut req = AuthorizeRequest::new(m(6540), Currency::USD, card, "ORD-5023-4E89");
    req.idempotency_key = key();
    req.capture_method = CaptureMethod::Manual;
    req.metadata.insert("order".into(), "5023".into());
    req
}

/// The wire body `authorize` sends for `req`, built the way a hand-written client would.
fn payment_wire<'a>(req: &'a AuthorizeRequest, card: &'a Card) -> wire::PaymentRequest<'a> {
    wire::PaymentRequest {
        source: wire::Source::Card {
            number: card.number.expose(),
            expiry_month: card.expiry.month(),
            expiry_year: card.expiry.year(),
            cvv: card.cvc.as_ref().map(Cvc::expose),
            name: card.holder_name.as_deref(),
            billing: wire::Billing::default(),
        },
        amount: req.amount.get(),
        currency: req.currency.code(),
        capture: false,
        authorization_type: "Final",
        reference: &req.reference,
        description: None,
        processing_channel_id: "pc_zs5fqhybzc2e3jmq3efvybybpq",
        three_ds: None,
        success_url: None,
        failure_url: None,
        metadata: &req.metadata,
        customer: None,
        billing_descriptor: None,
        shipping: None,
        payment_ip: None,
    }
}

/// Criterion settings that keep the whole run around a minute and a half on two cores.
fn settings() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// One flow's group: `translate` (build the exchange from the unified request, parse the
/// answer) against `serde_baseline` (serialize `wire_request`, deserialize the same answer
/// into `W`). GET flows have no body, so their baseline is deserialization alone.
fn compare<T: 'static, S: Serialize, W: DeserializeOwned>(
    c: &mut Criterion,
    flow: &str,
    translate: impl Fn() -> Result<Exchange<T>, ConnectorError>,
    wire_request: Option<&S>,
    answer: &HttpResponse,
) {
    // Measure the success path only: both sides must accept the typical answer.
    translate()
        .expect("the translator accepts the request")
        .parse(answer.clone())
        .unwrap_or_else(|e| panic!("{flow}: the typical answer must parse: {e}"));
    serde_json::from_slice::<W>(&answer.body).expect("the wire struct reads the answer");

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
            let read: W = serde_json::from_slice(black_box(&answer.body)).expect("parses");
            black_box((sent, read))
        })
    });
    group.finish();
}

fn flows(c: &mut Criterion) {
    let checkout = checkout();

    let req = authorize_request();
    let PaymentMethod::Card(card) = &req.payment_method else {
        unreachable!("authorize_request pays by card")
    };
    compare::<_, _, wire::Payment>(
        c,
        "authorize",
        || checkout.authorize(black_box(&req)),
        Some(&payment_wire(&req, card)),
        &response(201, PAYMENT_APPROVED),
    );

    let increment = IncrementalAuthorizationRequest {
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        currency: Currency::USD,
        current_authorized: m(5000),
        new_total: m(7500),
        reason: None,
        card_network: Some(CardNetwork::Visa),
    };
    compare::<_, _, wire::Authorization>(
        c,
        "increment_authorization",
        || checkout.increment_authorization(black_box(&increment)),
        Some(&wire::AuthorizationRequest {
            amount: 2500,
            reference: None,
        }),
        &response(201, INCREMENTED),
    );

    let extend = ExtendAuthorizationRequest {
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        currency: Currency::USD,
        card_network: Some(CardNetwork::Mastercard),
    };
    compare::<_, _, wire::Authorization>(
        c,
        "extend_authorization",
        || checkout.extend_authorization(black_box(&extend)),
        Some(&wire::AuthorizationRequest {
            amount: 0,
            reference: None,
        }),
        &response(201, EXTENDED),
    );

    let mut capture = CaptureRequest::new(PAYMENT_ID, Currency::USD, Some(m(3000)));
    capture.idempotency_key = key();
    capture.final_capture = false;
    compare::<_, _, wire::Accepted>(
        c,
        "capture",
        || checkout.capture(black_box(&capture)),
        Some(&wire::CaptureRequest {
            amount: Some(3000),
            capture_type: "NonFinal",
            reference: None,
            metadata: &capture.metadata,
        }),
        &response(202, ACCEPTED),
    );

    let void = VoidRequest {
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        reason: None,
    };
    compare::<_, _, wire::Accepted>(
        c,
        "void",
        || checkout.void(black_box(&void)),
        Some(&wire::ActionRequest {
            amount: None,
            reference: None,
            metadata: None,
        }),
        &response(202, ACCEPTED),
    );

    let mut refund = RefundRequest::new(PAYMENT_ID, Currency::USD, Some(m(1000)));
    refund.idempotency_key = key();
    compare::<_, _, wire::Accepted>(
        c,
        "refund",
        || checkout.refund(black_box(&refund)),
        Some(&wire::ActionRequest {
            amount: Some(1000),
            reference: None,
            metadata: None,
        }),
        &response(202, ACCEPTED),
    );

    let cancel = CancelPostCaptureRequest {
        reference: None,
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        currency: Currency::USD,
        amount_captured: m(3000),
        reason: None,
    };
    compare::<_, _, wire::Accepted>(
        c,
        "cancel_post_capture",
        || checkout.cancel_post_capture(black_box(&cancel)),
        Some(&wire::ActionRequest {
            amount: Some(3000),
            reference: None,
            metadata: None,
        }),
        &response(202, ACCEPTED),
    );

    let sync = PaymentSyncRequest {
        connector_payment_id: PAYMENT_ID.into(),
        capture_method: CaptureMethod::Manual,
    };
    compare::<_, (), wire::Payment>(
        c,
        "sync_payment",
        || checkout.sync_payment(black_box(&sync)),
        None,
        &response(200, PAYMENT_DETAILS),
    );

    let sync_refund = RefundSyncRequest {
        connector_payment_id: PAYMENT_ID.into(),
        connector_refund_id: "act_r2".into(),
    };
    compare::<_, (), Vec<wire::Action>>(
        c,
        "sync_refund",
        || checkout.sync_refund(black_box(&sync_refund)),
        None,
        &response(200, ACTIONS),
    );
}

/// Where authorize's time goes beyond serde: each piece measured on its own, plus the
/// primitives the translation repeats per call (and what cached alternatives would cost).
fn authorize_parts(c: &mut Criterion) {
    let checkout = checkout();
    let req = authorize_request();
    let PaymentMethod::Card(card) = &req.payment_method else {
        unreachable!("authorize_request pays by card")
    };
    let wire_request = payment_wire(&req, card);
    let answer = response(201, PAYMENT_APPROVED);
    let base = Checkout::SANDBOX_URL
        .parse::<url::Url>()
        .expect("valid URL");
    let secret = SecretString::from("sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e");
    let idempotency_key = key();

    let mut group = c.benchmark_group("authorize_parts");
    group.bench_function("build_exchange", |b| {
        b.iter(|| black_box(checkout.authorize(black_box(&req)).is_ok()))
    });
    group.bench_function("parse_answer", |b| {
        b.iter_batched(
            || checkout.authorize(&req).expect("valid request"),
            |exchange| black_box(exchange.parse(answer.clone()).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_request", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&wire_request)).expect("serializes")))
    });
    group.bench_function("serde_answer", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<wire::Payment>(black_box(&answer.body)).expect("parses"),
            )
        })
    });
    group.bench_function("url", |b| {
        b.iter(|| black_box(endpoint(black_box(&base), &["payments"]).expect("valid")))
    });
    group.bench_function("envelope", |b| {
        // What every POST pays before its body: URL, bearer header, idempotency key.
        b.iter(|| {
            let url = endpoint(black_box(&base), &["payments"]).expect("valid");
            let request = HttpRequest::post(url)
                .bearer(black_box(&secret))
                .expect("valid header")
                .idempotency_key(black_box(&idempotency_key));
            black_box(request)
        })
    });
    let payments_url = endpoint(&base, &["payments"]).expect("valid");
    group.bench_function("url_clone", |b| {
        // The alternative to `endpoint` for a fixed path: clone a URL built once.
        b.iter(|| black_box(black_box(&payments_url).clone()))
    });
    group.bench_function("bearer_value", |b| {
        // What `HttpRequest::bearer` does per call: format, validate, mark sensitive.
        b.iter(|| {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", black_box(&secret).expose_secret()))
                    .expect("valid header");
            value.set_sensitive(true);
            black_box(value)
        })
    });
    let mut cached =
        HeaderValue::from_str(&format!("Bearer {}", secret.expose_secret())).expect("valid header");
    cached.set_sensitive(true);
    group.bench_function("bearer_cached_clone", |b| {
        b.iter(|| black_box(black_box(&cached).clone()))
    });
    group.bench_function("header_map_insert", |b| {
        b.iter(|| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, black_box(&cached).clone());
            black_box(headers)
        })
    });
    group.bench_function("currency_parse", |b| {
        b.iter(|| black_box(black_box("USD").parse::<Currency>().expect("known")))
    });
    group.bench_function("timestamp_parse", |b| {
        b.iter(|| {
            black_box(
                OffsetDateTime::parse(black_box("2030-01-09T11:15:23Z"), &Rfc3339).expect("valid"),
            )
        })
    });
    group.finish();
}

/// Capture split in two: its serde work is tiny, so what the translation adds shows plainly.
fn capture_parts(c: &mut Criterion) {
    let checkout = checkout();
    let mut req = CaptureRequest::new(PAYMENT_ID, Currency::USD, Some(m(3000)));
    req.idempotency_key = key();
    req.final_capture = false;
    let answer = response(202, ACCEPTED);

    let mut group = c.benchmark_group("capture_parts");
    group.bench_function("build_exchange", |b| {
        b.iter(|| black_box(checkout.capture(black_box(&req)).is_ok()))
    });
    group.bench_function("parse_answer", |b| {
        b.iter_batched(
            || checkout.capture(&req).expect("valid request"),
            |exchange| black_box(exchange.parse(answer.clone()).is_ok()),
            BatchSize::SmallInput,
        )
    });
    let wire_request = wire::CaptureRequest {
        amount: Some(3000),
        capture_type: "NonFinal",
        reference: None,
        metadata: &req.metadata,
    };
    group.bench_function("serde_request", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&wire_request)).expect("serializes")))
    });
    group.bench_function("serde_answer", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<wire::Accepted>(black_box(&answer.body)).expect("parses"),
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = settings();
    targets = flows, authorize_parts, capture_parts
}
criterion_main!(benches);
