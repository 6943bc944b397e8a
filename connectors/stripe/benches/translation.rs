//! Translation cost per flow: the Stripe translator building its request and parsing a typical
//! answer (`translate`), next to serde alone doing the same work on the wire structs
//! (`serde_baseline`: serde_qs form-encoding the request body, serde_json reading the answer).
//! The difference is what the translation adds: URL building, headers, the metadata map, the
//! boxed parser and the mapping to unified types. `authorize` pays with a PaymentMethod id (one
//! call); `authorize_card` with a raw card, which takes two (the PaymentMethod, then the
//! PaymentIntent).
//!
//! `cargo bench -p paybridge-stripe --bench translation`. Groups are named `stripe_<flow>` so
//! their estimates in the shared `target/criterion/` do not overwrite the Checkout bench's.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_stripe::{wire, Stripe, SIGNATURE_HEADER};
use serde::de::DeserializeOwned;
use serde::Serialize;

const PAYMENT_ID: &str = "pi_3P1xYz2eZvKYlo2C1a2b3c4d";
const WEBHOOK_SECRET: &str = "whsec_bench";
const NOW: i64 = 1_712_000_000;

/// `POST /v1/payment_intents` 200: a manual-capture card authorization, charge expanded.
const PI_REQUIRES_CAPTURE: &str = r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":5000,"amount_details":{"tip":{}},"amount_received":0,"application":null,"application_fee_amount":null,"automatic_payment_methods":null,"canceled_at":null,"cancellation_reason":null,"capture_method":"manual","client_secret":"pi_3P1xYz2eZvKYlo2C1a2b3c4d_secret_Qw3","confirmation_method":"automatic","created":1712000000,"currency":"usd","customer":null,"description":null,"invoice":null,"last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":5000,"amount_captured":0,"amount_refunded":0,"balance_transaction":null,"billing_details":{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":"J Smith","phone":null},"captured":false,"created":1712000001,"currency":"usd","disputed":false,"livemode":false,"metadata":{"reference":"ORD-5023"},"outcome":{"network_status":"approved_by_network","reason":null,"risk_level":"normal","risk_score":32,"seller_message":"Payment complete.","type":"authorized"},"paid":true,"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","payment_method":"pm_1P1xYz2eZvKYlo2Cabc","payment_method_details":{"card":{"amount_authorized":5000,"brand":"visa","capture_before":1712604801,"checks":{"address_line1_check":null,"address_postal_code_check":null,"cvc_check":"pass"},"country":"US","exp_month":6,"exp_year":2031,"extended_authorization":{"status":"enabled"},"fingerprint":"Xt5EWLLDS7FJjR1c","funding":"credit","incremental_authorization":{"status":"available"},"installments":null,"last4":"4242","mandate":null,"multicapture":{"status":"unavailable"},"network":"visa","network_token":{"used":false},"overcapture":{"maximum_amount_capturable":5000,"status":"unavailable"},"three_d_secure":null,"wallet":null},"type":"card"},"refunded":false,"refunds":{"object":"list","data":[],"has_more":false,"total_count":0,"url":"/v1/charges/ch_3P1xYz2eZvKYlo2C1e5f6g7h/refunds"},"status":"succeeded"},"livemode":false,"metadata":{"reference":"ORD-5023"},"next_action":null,"payment_method":"pm_1P1xYz2eZvKYlo2Cabc","payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_extended_authorization":"if_available","request_incremental_authorization":"if_available","request_three_d_secure":"automatic"}},"payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,"setup_future_usage":null,"shipping":null,"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"requires_capture","transfer_data":null,"transfer_group":null}"#;

/// `POST .../increment_authorization` 200.
const PI_INCREMENTED: &str = r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":7500,"amount_capturable":7500,"amount_received":0,"capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":7500,"amount_captured":0,"amount_refunded":0,"currency":"usd","payment_method_details":{"card":{"brand":"visa","capture_before":1712604801,"exp_month":6,"exp_year":2031,"extended_authorization":{"status":"disabled"},"incremental_authorization":{"status":"available"},"network":"visa"},"type":"card"}},"livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"requires_capture"}"#;

/// `POST .../capture` 200 after a partial capture; also what sync reads later.
const PI_CAPTURED: &str = r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":3000,"capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":5000,"amount_captured":3000,"amount_refunded":1000,"captured":true,"currency":"usd","payment_method_details":{"card":{"brand":"visa","exp_month":6,"exp_year":2031,"network":"visa"},"type":"card"},"status":"succeeded"},"livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"succeeded"}"#;

/// `POST .../cancel` 200.
const PI_CANCELED: &str = r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"canceled_at":1712001000,"cancellation_reason":"requested_by_customer","capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"canceled"}"#;

/// `POST /v1/refunds` and `GET /v1/refunds/{id}` 200.
const REFUND: &str = r#"{"id":"re_3P1xYz2eZvKYlo2C1r3f4n5d","object":"refund","amount":1000,"balance_transaction":"txn_3P1xYz2eZvKYlo2C1","charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","created":1712002000,"currency":"usd","destination_details":{"card":{"reference_status":"pending","reference_type":"acquirer_reference_number","type":"refund"},"type":"card"},"metadata":{"reference":"RF-1"},"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","reason":"requested_by_customer","receipt_number":null,"source_transfer_reversal":null,"status":"succeeded","transfer_reversal":null}"#;

/// A delivered `payment_intent.amount_capturable_updated`.
const WEBHOOK: &str = r#"{"id":"evt_3P1xYz2eZvKYlo2C0w1","object":"event","api_version":"2024-04-10","created":1712000002,"data":{"object":{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":5000,"amount_received":0,"capture_method":"manual","currency":"usd","last_payment_error":null,"latest_charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","metadata":{"reference":"ORD-5023"},"status":"requires_capture"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_Nq4m","idempotency_key":"k1"},"type":"payment_intent.amount_capturable_updated"}"#;

fn stripe() -> Stripe {
    let mut config = ConnectorConfig::new(
        Stripe::API_URL.parse().expect("valid URL"),
        "sk_test_51P1xYz2eZvKYlo2CbenchbenchbenchbenchbenchbenchbenchbenchbenchbenchbenchB",
    );
    config.webhook_secrets = WebhookSecrets::new([WEBHOOK_SECRET]);
    Stripe::new(&config).expect("valid config")
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).expect("non-negative")
}

fn key() -> IdempotencyKey {
    IdempotencyKey::new("5c6f6b0e-9f1e-4b9e-a0f5-8e3b6f0c2d41").expect("valid key")
}

/// A response whose clone is a reference-count bump, so cloning it per iteration costs nothing
/// measurable.
fn response(body: &'static str) -> HttpResponse {
    HttpResponse::new(200, Bytes::from_static(body.as_bytes()))
}

/// `POST /v1/payment_methods` 200: the PaymentMethod a raw card becomes.
const PAYMENT_METHOD: &str = r#"{"id":"pm_1P1xYz2eZvKYlo2Cabc","object":"payment_method","allow_redisplay":"unspecified","billing_details":{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":"J Smith","phone":null},"card":{"brand":"visa","checks":{"address_line1_check":null,"address_postal_code_check":null,"cvc_check":"unchecked"},"country":"US","exp_month":6,"exp_year":2031,"fingerprint":"Xt5EWLLDS7FJjR1c","funding":"credit","generated_from":null,"last4":"4242","networks":{"available":["visa"],"preferred":null},"three_d_secure_usage":{"supported":true},"wallet":null},"created":1712000000,"customer":null,"livemode":false,"metadata":{},"type":"card"}"#;

/// The PaymentMethod the authorizations pay with: given (`authorize`), or created from the
/// card (`authorize_card`).
const PAYMENT_METHOD_ID: &str = "pm_1P1xYz2eZvKYlo2Cabc";

fn card() -> Card {
    Card {
        number: CardNumber::new("4242424242424242").expect("valid card"),
        expiry: CardExpiry::new(6, 2031).expect("valid expiry"),
        cvc: Some(Cvc::new("100").expect("valid cvc")),
        holder_name: Some("J Smith".into()),
    }
}

/// A manual-capture authorization paying with `method`.
fn authorize_request(method: PaymentMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(m(5000), Currency::USD, method, "ORD-5023");
    req.idempotency_key = key();
    req.capture_method = CaptureMethod::Manual;
    req.request_incremental_authorization = true;
    req.request_extended_authorization = true;
    req.metadata.insert("order".into(), "5023".into());
    req
}

fn by_payment_method() -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new(PAYMENT_METHOD_ID).expect("valid token"))
}

/// `payment_method_options` of the benchmark's authorization.
static CARD_OPTIONS: wire::PaymentMethodOptions = wire::PaymentMethodOptions {
    card: wire::CardOptions {
        request_incremental_authorization: Some("if_available"),
        request_extended_authorization: Some("if_available"),
        request_three_d_secure: None,
        three_d_secure: None,
    },
};

/// The PaymentIntent body `authorize` sends, built the way a hand-written client would.
fn payment_wire(req: &AuthorizeRequest) -> wire::PaymentIntentCreate<'_> {
    wire::PaymentIntentCreate {
        amount: req.amount.get(),
        currency: "usd",
        confirm: true,
        capture_method: "manual",
        payment_method: PAYMENT_METHOD_ID,
        payment_method_types: ["card"],
        payment_method_options: Some(&CARD_OPTIONS),
        error_on_requires_action: None,
        return_url: None,
        description: None,
        receipt_email: None,
        shipping: None,
        statement_descriptor_suffix: None,
        metadata: BTreeMap::from([("order", "5023"), ("reference", "ORD-5023")]),
        expand: wire::EXPAND_CHARGE,
    }
}

/// The PaymentMethod body a raw card's first call sends.
fn payment_method_wire(card: &Card) -> wire::PaymentMethodCreate<'_> {
    wire::PaymentMethodCreate {
        kind: "card",
        card: wire::CardData {
            number: card.number.expose(),
            exp_month: card.expiry.month(),
            exp_year: card.expiry.year(),
            cvc: card.cvc.as_ref().map(Cvc::expose),
        },
        billing_details: Some(wire::BillingDetails {
            name: Some("J Smith".to_owned()),
            ..wire::BillingDetails::default()
        }),
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
/// answer) against `serde_baseline` (form-encode `wire_request`, deserialize the same answer
/// into `W`). GET flows have no body, so their baseline is deserialization alone.
fn compare<T: 'static, S: Serialize, W: DeserializeOwned>(
    c: &mut Criterion,
    flow: &str,
    translate: impl Fn() -> Result<Exchange<T>, ConnectorError>,
    wire_request: Option<&S>,
    answer: &HttpResponse,
) {
    // Measure the success path only: both sides must accept the typical answer, and the
    // baseline must encode exactly what the translator sends.
    let exchange = translate().expect("the translator accepts the request");
    let sent = wire_request.map(|r| wire::FORM.serialize_string(r).expect("encodes"));
    assert_eq!(
        exchange.request().body_text().map(str::to_owned),
        sent,
        "{flow}"
    );
    exchange
        .parse(answer.clone())
        .unwrap_or_else(|e| panic!("{flow}: the typical answer must parse: {e}"));
    serde_json::from_slice::<W>(&answer.body).expect("the wire struct reads the answer");

    let mut group = c.benchmark_group(format!("stripe_{flow}"));
    group.bench_function("translate", |b| {
        b.iter(|| {
            let exchange = translate().expect("valid request");
            black_box(exchange.parse(black_box(answer.clone())).is_ok())
        })
    });
    group.bench_function("serde_baseline", |b| {
        b.iter(|| {
            let sent =
                wire_request.map(|r| wire::FORM.serialize_string(black_box(r)).expect("encodes"));
            let read: W = serde_json::from_slice(black_box(&answer.body)).expect("parses");
            black_box((sent, read))
        })
    });
    group.finish();
}

fn flows(c: &mut Criterion) {
    let stripe = stripe();
    let no_metadata = BTreeMap::new();

    let req = authorize_request(by_payment_method());
    compare::<_, _, wire::PaymentIntent>(
        c,
        "authorize",
        || stripe.authorize(black_box(&req)),
        Some(&payment_wire(&req)),
        &response(PI_REQUIRES_CAPTURE),
    );
    authorize_card(c, &stripe, &req);

    let increment = IncrementalAuthorizationRequest {
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        currency: Currency::USD,
        current_authorized: m(5000),
        new_total: m(7500),
        reason: None,
        card_network: Some(CardNetwork::Visa),
    };
    compare::<_, _, wire::PaymentIntent>(
        c,
        "increment_authorization",
        || stripe.increment_authorization(black_box(&increment)),
        Some(&wire::IncrementAuthorization {
            amount: 7500,
            expand: wire::EXPAND_CHARGE,
        }),
        &response(PI_INCREMENTED),
    );

    let mut capture = CaptureRequest::new(PAYMENT_ID, Currency::USD, Some(m(3000)));
    capture.idempotency_key = key();
    compare::<_, _, wire::PaymentIntent>(
        c,
        "capture",
        || stripe.capture(black_box(&capture)),
        Some(&wire::Capture {
            amount_to_capture: Some(3000),
            metadata: no_metadata.clone(),
            expand: wire::EXPAND_CHARGE,
        }),
        &response(PI_CAPTURED),
    );

    let void = VoidRequest {
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        reason: Some("requested_by_customer".into()),
    };
    compare::<_, _, wire::PaymentIntent>(
        c,
        "void",
        || stripe.void(black_box(&void)),
        Some(&wire::Cancel {
            cancellation_reason: Some("requested_by_customer"),
        }),
        &response(PI_CANCELED),
    );

    let mut refund = RefundRequest::new(PAYMENT_ID, Currency::USD, Some(m(1000)));
    refund.idempotency_key = key();
    compare::<_, _, wire::Refund>(
        c,
        "refund",
        || stripe.refund(black_box(&refund)),
        Some(&wire::RefundCreate {
            payment_intent: PAYMENT_ID,
            amount: Some(1000),
            reason: None,
            metadata: no_metadata.clone(),
        }),
        &response(REFUND),
    );

    let cancel = CancelPostCaptureRequest {
        reference: None,
        idempotency_key: key(),
        connector_payment_id: PAYMENT_ID.into(),
        currency: Currency::USD,
        amount_captured: m(3000),
        reason: None,
    };
    compare::<_, _, wire::Refund>(
        c,
        "cancel_post_capture",
        || stripe.cancel_post_capture(black_box(&cancel)),
        Some(&wire::RefundCreate {
            payment_intent: PAYMENT_ID,
            amount: Some(3000),
            reason: None,
            metadata: no_metadata.clone(),
        }),
        &response(REFUND),
    );

    let sync = PaymentSyncRequest {
        connector_payment_id: PAYMENT_ID.into(),
        capture_method: CaptureMethod::Manual,
    };
    compare::<_, (), wire::PaymentIntent>(
        c,
        "sync_payment",
        || stripe.sync_payment(black_box(&sync)),
        None,
        &response(PI_CAPTURED),
    );

    let sync_refund = RefundSyncRequest {
        connector_payment_id: PAYMENT_ID.into(),
        connector_refund_id: "re_3P1xYz2eZvKYlo2C1r3f4n5d".into(),
    };
    compare::<_, (), wire::Refund>(
        c,
        "sync_refund",
        || stripe.sync_refund(black_box(&sync_refund)),
        None,
        &response(REFUND),
    );
}

/// A raw card's authorization, both calls: the PaymentMethod, then the PaymentIntent paying
/// with it (the same body as `authorize`'s), against serde encoding both bodies and reading
/// both answers.
fn authorize_card(c: &mut Criterion, stripe: &Stripe, by_id: &AuthorizeRequest) {
    let card = card();
    let req = authorize_request(PaymentMethod::Card(card.clone()));
    let (created, authorized) = (response(PAYMENT_METHOD), response(PI_REQUIRES_CAPTURE));
    let run = || -> Result<PaymentResponse, ConnectorError> {
        let first = stripe.authorize(black_box(&req))?;
        let Step::Next(second) = first.parse(black_box(created.clone()))? else {
            return Err(ConnectorError::invalid("card", "one call"));
        };
        match second.parse(black_box(authorized.clone()))? {
            Step::Done(payment) => Ok(payment),
            Step::Next(_) => Err(ConnectorError::invalid("card", "three calls")),
        }
    };
    // Both calls send what a hand-written client would, and the answers are read.
    let first = stripe.authorize(&req).expect("valid request");
    let sent = wire::FORM
        .serialize_string(&payment_method_wire(&card))
        .expect("encodes");
    assert_eq!(first.request().body_text(), Some(sent.as_str()));
    let Ok(Step::Next(second)) = first.parse(created.clone()) else {
        panic!("a raw card's first call leads to the PaymentIntent")
    };
    let direct = stripe.authorize(by_id).expect("valid request");
    assert_eq!(second.request().body_text(), direct.request().body_text());
    run().expect("the typical answers parse");

    let mut group = c.benchmark_group("stripe_authorize_card");
    group.bench_function("translate", |b| b.iter(|| black_box(run().is_ok())));
    group.bench_function("serde_baseline", |b| {
        b.iter(|| {
            let method = wire::FORM
                .serialize_string(black_box(&payment_method_wire(&card)))
                .expect("encodes");
            let read: wire::PaymentMethodCreated =
                serde_json::from_slice(black_box(&created.body)).expect("parses");
            let intent = wire::FORM
                .serialize_string(black_box(&payment_wire(by_id)))
                .expect("encodes");
            let answer: wire::PaymentIntent =
                serde_json::from_slice(black_box(&authorized.body)).expect("parses");
            black_box((method, read, intent, answer))
        })
    });
    group.finish();
}

/// Where authorize's time goes: building against parsing, each beside its serde share.
fn authorize_parts(c: &mut Criterion) {
    let stripe = stripe();
    let req = authorize_request(by_payment_method());
    let wire_request = payment_wire(&req);
    let answer = response(PI_REQUIRES_CAPTURE);

    let mut group = c.benchmark_group("stripe_authorize_parts");
    group.bench_function("build_exchange", |b| {
        b.iter(|| black_box(stripe.authorize(black_box(&req)).is_ok()))
    });
    group.bench_function("parse_answer", |b| {
        b.iter_batched(
            || stripe.authorize(&req).expect("valid request"),
            |exchange| black_box(exchange.parse(answer.clone()).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("form_request", |b| {
        b.iter(|| {
            black_box(
                wire::FORM
                    .serialize_string(black_box(&wire_request))
                    .expect("encodes"),
            )
        })
    });
    group.bench_function("json_request", |b| {
        // The same body as JSON, to show what the form encoding costs over it.
        b.iter(|| black_box(serde_json::to_vec(black_box(&wire_request)).expect("serializes")))
    });
    group.bench_function("serde_answer", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<wire::PaymentIntent>(black_box(&answer.body))
                    .expect("parses"),
            )
        })
    });
    group.finish();
}

/// Capture split in two: its serde work is small, so what the translation adds shows plainly.
fn capture_parts(c: &mut Criterion) {
    let stripe = stripe();
    let mut req = CaptureRequest::new(PAYMENT_ID, Currency::USD, Some(m(3000)));
    req.idempotency_key = key();
    let answer = response(PI_CAPTURED);
    let wire_request = wire::Capture {
        amount_to_capture: Some(3000),
        metadata: BTreeMap::new(),
        expand: wire::EXPAND_CHARGE,
    };

    let mut group = c.benchmark_group("stripe_capture_parts");
    group.bench_function("build_exchange", |b| {
        b.iter(|| black_box(stripe.capture(black_box(&req)).is_ok()))
    });
    group.bench_function("parse_answer", |b| {
        b.iter_batched(
            || stripe.capture(&req).expect("valid request"),
            |exchange| black_box(exchange.parse(answer.clone()).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("form_request", |b| {
        b.iter(|| {
            black_box(
                wire::FORM
                    .serialize_string(black_box(&wire_request))
                    .expect("encodes"),
            )
        })
    });
    group.bench_function("serde_answer", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<wire::PaymentIntent>(black_box(&answer.body))
                    .expect("parses"),
            )
        })
    });
    group.finish();
}

/// Webhook verification: header parsing, HMAC and mapping, against HMAC plus serde alone.
fn webhook(c: &mut Criterion) {
    let stripe = stripe();
    let t = NOW.to_string();
    let mac = hmac_sha256(
        WEBHOOK_SECRET.as_bytes(),
        &[t.as_bytes(), b".", WEBHOOK.as_bytes()],
    );
    let mut headers = HeaderMap::new();
    let header = format!("t={t},v1={}", SignatureEncoding::Hex.encode(&mac));
    headers.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&header).expect("ascii"),
    );
    let delivery = IncomingWebhook {
        headers: &headers,
        body: WEBHOOK.as_bytes(),
        received_at: time::OffsetDateTime::from_unix_timestamp(NOW).expect("valid time"),
    };
    stripe
        .verify_webhook(&delivery)
        .expect("the sample verifies");

    let mut group = c.benchmark_group("stripe_webhook");
    group.bench_function("translate", |b| {
        b.iter(|| black_box(stripe.verify_webhook(black_box(&delivery)).is_ok()))
    });
    group.bench_function("serde_baseline", |b| {
        b.iter(|| {
            let mac = hmac_sha256(
                WEBHOOK_SECRET.as_bytes(),
                &[t.as_bytes(), b".", black_box(WEBHOOK.as_bytes())],
            );
            let event: wire::Event = serde_json::from_str(black_box(WEBHOOK)).expect("parses");
            black_box((mac, event))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = settings();
    targets = flows, authorize_parts, capture_parts, webhook
}
criterion_main!(benches);
