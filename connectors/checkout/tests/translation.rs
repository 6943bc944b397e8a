//! The Checkout.com translation, without a server: what is sent for each flow and how answers
//! are read.

#![allow(clippy::unwrap_used)]

use paybridge_checkout::Checkout;
use paybridge_core::http::{Exchange, HttpResponse, Step};
use paybridge_core::*;
use serde_json::{json, Value};

fn checkout() -> Checkout {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_sbox_test");
    config
        .extra
        .insert("processing_channel_id".into(), "pc_test".into());
    Checkout::new(&config).unwrap()
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

fn card(number: &str) -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new(number).unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: None,
    })
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

fn increment(current: i64, new_total: i64) -> IncrementalAuthorizationRequest {
    IncrementalAuthorizationRequest {
        idempotency_key: IdempotencyKey::new("inc-1").unwrap(),
        connector_payment_id: "pay_abc".into(),
        currency: Currency::USD,
        current_authorized: m(current),
        new_total: m(new_total),
        reason: None,
        card_network: Some(CardNetwork::Visa),
    }
}

#[test]
fn authorize_sends_the_documented_body_and_headers() {
    let mut req =
        AuthorizeRequest::new(m(1000), Currency::USD, card("4242424242424242"), "ORD-123");
    req.capture_method = CaptureMethod::Manual;
    req.request_incremental_authorization = true;
    req.metadata.insert("order".into(), "123".into());
    req.idempotency_key = IdempotencyKey::new("key-1").unwrap();
    let exchange = checkout().authorize(&req).unwrap();
    let request = exchange.request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url.as_str(), "http://sim.test/base/payments");
    assert_eq!(request.headers["authorization"], "Bearer sk_sbox_test");
    assert_eq!(request.idempotency_key.as_ref().unwrap().as_str(), "key-1");
    assert_eq!(
        body(&exchange),
        json!({
            "source": {"type": "card", "number": "4242424242424242", "expiry_month": 6, "expiry_year": 2031, "cvv": "100"},
            "amount": 1000,
            "currency": "USD",
            "capture": false,
            "authorization_type": "Estimated",
            "reference": "ORD-123",
            "processing_channel_id": "pc_test",
            "metadata": {"order": "123"}
        })
    );
}

#[test]
fn three_ds_and_tokens() {
    let token =
        PaymentMethod::Token(PaymentMethodToken::new("tok_4gzeau5o2uqubbk6fufs3m7p54").unwrap());
    let mut req = AuthorizeRequest::new(m(500), Currency::EUR, token, "ORD-3DS");
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let exchange = checkout().authorize(&req).unwrap();
    let sent = body(&exchange);
    assert_eq!(
        sent["source"],
        json!({"type": "token", "token": "tok_4gzeau5o2uqubbk6fufs3m7p54"})
    );
    assert_eq!(sent["3ds"], json!({"enabled": true}));
    assert_eq!(sent["success_url"], "https://shop.test/back");
    let payment = done(
        exchange,
        202,
        json!({"id": "pay_x", "status": "Pending", "_links": {"redirect": {"href": "https://3ds.test/x"}}}),
    )
    .unwrap();
    assert_eq!(payment.status, PaymentStatus::RequiresCustomerAction);
    assert_eq!(
        payment.next_action,
        Some(NextAction::RedirectToUrl {
            url: "https://3ds.test/x".into()
        })
    );

    let pm = PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").unwrap());
    let err = checkout()
        .authorize(&AuthorizeRequest::new(m(1), Currency::EUR, pm, "r"))
        .unwrap_err();
    assert!(matches!(
        err,
        ConnectorError::InvalidRequest {
            field: "payment_method",
            ..
        }
    ));
}

#[test]
fn references_over_fifty_characters_are_caught_before_sending() {
    let req = AuthorizeRequest::new(
        m(1),
        Currency::USD,
        card("4242424242424242"),
        "x".repeat(51),
    );
    let err = checkout().authorize(&req).unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidRequest {
                field: "reference",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn approved_and_declined_authorizations() {
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card("4242424242424242"), "r");
    req.capture_method = CaptureMethod::Manual;
    let approved = done(
        checkout().authorize(&req).unwrap(),
        201,
        json!({
            "id": "pay_a", "action_id": "act_1", "amount": 1000, "currency": "USD", "approved": true,
            "status": "Authorized", "response_code": "10000", "expires_on": "2030-01-01T00:00:00Z",
            "balances": {"total_authorized": 1000, "available_to_capture": 1000},
            "source": {"scheme": "Visa"}, "scheme_id": "123", "processed_on": "2020-01-01T00:00:00Z", "_links": {}
        }),
    )
    .unwrap();
    assert_eq!(approved.status, PaymentStatus::RequiresCapture);
    assert_eq!(approved.amounts.authorized, m(1000));
    assert_eq!(approved.amounts.capturable, m(1000));
    assert_eq!(approved.card_network, Some(CardNetwork::Visa));
    assert_eq!(approved.network_transaction_id.as_deref(), Some("123"));
    assert!(approved.expires_at.is_some());
    assert_eq!(approved.incremental_authorization_allowed, Some(false));

    let declined = done(
        checkout().authorize(&req).unwrap(),
        201,
        json!({"id": "pay_d", "amount": 1000, "currency": "USD", "approved": false, "status": "Declined",
               "response_code": "20051", "response_summary": "Insufficient Funds", "_links": {}}),
    )
    .unwrap();
    assert_eq!(declined.status, PaymentStatus::Failed);
    let decline = declined.decline.unwrap();
    assert_eq!(decline.code.as_deref(), Some("20051"));
    assert_eq!(decline.message.as_deref(), Some("Insufficient Funds"));
    assert_eq!(decline.unified, DeclineCode::InsufficientFunds);
}

#[test]
fn incremental_authorization_sends_the_delta_and_reports_the_new_total() {
    let exchange = checkout()
        .increment_authorization(&increment(5000, 7500))
        .unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/pay_abc/authorizations"
    );
    assert_eq!(body(&exchange), json!({"amount": 2500}));
    let answer = done(
        exchange,
        201,
        json!({"action_id": "act_i", "amount": 2500, "currency": "USD", "approved": true, "status": "Authorized",
               "response_code": "10000", "balances": {"total_authorized": 7500, "available_to_capture": 7500}}),
    )
    .unwrap();
    assert_eq!(answer.status, AuthorizationStatus::Success);
    assert_eq!(answer.authorized, m(7500));
    assert_eq!(answer.previously_authorized, m(5000));

    let declined = done(
        checkout().increment_authorization(&increment(5000, 7500)).unwrap(),
        201,
        json!({"action_id": "act_j", "amount": 2500, "approved": false, "status": "Declined", "response_code": "20005"}),
    )
    .unwrap();
    assert_eq!(declined.status, AuthorizationStatus::Failure);
    assert_eq!(declined.authorized, m(5000));
    assert_eq!(declined.decline.unwrap().unified, DeclineCode::DoNotHonor);

    for (current, new_total) in [(5000, 5000), (5000, 100)] {
        let err = checkout()
            .increment_authorization(&increment(current, new_total))
            .unwrap_err();
        assert!(matches!(
            err,
            ConnectorError::InvalidRequest {
                field: "new_total",
                ..
            }
        ));
    }
}

#[test]
fn extension_is_mastercard_only_and_sends_zero() {
    let mut req = ExtendAuthorizationRequest {
        idempotency_key: IdempotencyKey::generate(),
        connector_payment_id: "pay_abc".into(),
        currency: Currency::USD,
        card_network: Some(CardNetwork::Visa),
    };
    let err = checkout().extend_authorization(&req).unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::NotSupported {
                flow: Flow::ExtendAuthorization,
                ..
            }
        ),
        "{err:?}"
    );
    req.card_network = Some(CardNetwork::Mastercard);
    let exchange = checkout().extend_authorization(&req).unwrap();
    assert_eq!(body(&exchange), json!({"amount": 0}));
    let answer = done(
        exchange,
        201,
        json!({"action_id": "act_e", "amount": 0, "approved": true, "status": "Authorized", "response_code": "10000",
               "expires_on": "2031-01-01T00:00:00Z"}),
    )
    .unwrap();
    assert!(answer.extended_authorization_applied);
    assert!(answer.expires_at.is_some());
}

#[test]
fn captures_voids_and_refunds_are_accepted_not_settled() {
    let mut capture = CaptureRequest::new("pay_abc", Currency::USD, Some(m(300)));
    capture.final_capture = false;
    let exchange = checkout().capture(&capture).unwrap();
    assert_eq!(
        body(&exchange),
        json!({"amount": 300, "capture_type": "NonFinal"})
    );
    let answer = done(exchange, 202, json!({"action_id": "act_c", "_links": {}})).unwrap();
    assert_eq!(answer.status, PaymentStatus::Processing);
    assert_eq!(answer.connector_capture_id.as_deref(), Some("act_c"));

    let full = checkout()
        .capture(&CaptureRequest::new("pay_abc", Currency::USD, None))
        .unwrap();
    assert_eq!(body(&full), json!({"capture_type": "Final"}));

    let refund = checkout()
        .refund(&RefundRequest::new("pay_abc", Currency::USD, Some(m(100))))
        .unwrap();
    assert_eq!(
        refund.request().url.path(),
        "/base/payments/pay_abc/refunds"
    );
    let answer = done(refund, 202, json!({"action_id": "act_r"})).unwrap();
    assert_eq!(answer.status, RefundStatus::Pending);
    assert_eq!(answer.connector_refund_id, "act_r");

    let cancel = CancelPostCaptureRequest {
        reference: None,
        idempotency_key: IdempotencyKey::generate(),
        connector_payment_id: "pay_abc".into(),
        currency: Currency::USD,
        amount_captured: m(1000),
        reason: None,
    };
    let exchange = checkout().cancel_post_capture(&cancel).unwrap();
    assert_eq!(body(&exchange), json!({"amount": 1000}));
    // With a reference, its refund can be found by it when the answer is lost.
    let referenced = CancelPostCaptureRequest {
        reference: Some("ref_cpc".into()),
        ..cancel.clone()
    };
    let with_reference = checkout().cancel_post_capture(&referenced).unwrap();
    assert_eq!(
        body(&with_reference),
        json!({"amount": 1000, "reference": "ref_cpc"})
    );
    let answer = done(exchange, 202, json!({"action_id": "act_cpc"})).unwrap();
    assert_eq!(answer.status, PaymentStatus::Processing);
    assert_eq!(answer.refund.connector_refund_id, "act_cpc");
}

#[test]
fn refund_sync_finds_the_action() {
    let req = RefundSyncRequest {
        connector_payment_id: "pay_abc".into(),
        connector_refund_id: "act_r2".into(),
    };
    let actions = json!([
        {"id": "act_r2", "type": "Refund", "amount": 50, "approved": false, "response_code": "20005", "response_summary": "Declined"},
        {"id": "act_r1", "type": "Refund", "amount": 100, "approved": true}
    ]);
    let exchange = checkout().sync_refund(&req).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/payments/pay_abc/actions"
    );
    let answer = done(exchange, 200, actions.clone()).unwrap();
    assert_eq!(answer.status, RefundStatus::Failed);
    assert_eq!(answer.failure_reason.as_deref(), Some("Declined"));

    let pending = RefundSyncRequest {
        connector_refund_id: "act_new".into(),
        ..req
    };
    let answer = done(checkout().sync_refund(&pending).unwrap(), 200, actions).unwrap();
    assert_eq!(answer.status, RefundStatus::Pending);
}

#[test]
fn errors_map_to_typed_kinds() {
    let exchange = checkout()
        .capture(&CaptureRequest::new("pay_abc", Currency::USD, None))
        .unwrap();
    let err = done(exchange, 403, json!({})).unwrap_err();
    assert!(matches!(
        err,
        ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            ..
        }
    ));
    let exchange = checkout().void(&VoidRequest {
        idempotency_key: IdempotencyKey::generate(),
        connector_payment_id: "pay_abc".into(),
        reason: None,
    });
    let err = exchange
        .unwrap()
        .parse(HttpResponse::new(401, ""))
        .err()
        .unwrap();
    assert!(matches!(err, ConnectorError::Authentication(_)));
    let exchange = checkout()
        .capture(&CaptureRequest::new("pay_abc", Currency::USD, None))
        .unwrap();
    let err = done(exchange, 202, json!({"unexpected": true})).unwrap_err();
    assert!(
        err.outcome_unknown(),
        "an unreadable 202 may still have captured"
    );
}

#[test]
fn answers_that_cannot_be_trusted_are_refused() {
    let req = AuthorizeRequest::new(m(1000), Currency::USD, card("4242424242424242"), "r");
    let other_currency = done(
        checkout().authorize(&req).unwrap(),
        201,
        json!({"id": "pay_a", "currency": "EUR", "approved": true, "status": "Captured", "_links": {}}),
    );
    assert!(
        matches!(other_currency, Err(ConnectorError::InvalidResponse { .. })),
        "{other_currency:?}"
    );
    let empty_id = done(
        checkout().authorize(&req).unwrap(),
        201,
        json!({"id": "", "currency": "USD", "approved": true, "status": "Captured", "_links": {}}),
    );
    assert!(
        matches!(empty_id, Err(ConnectorError::InvalidResponse { .. })),
        "{empty_id:?}"
    );
    let capture = checkout()
        .capture(&CaptureRequest::new("pay_abc", Currency::USD, None))
        .unwrap();
    let empty_action = done(capture, 202, json!({"action_id": " "}));
    assert!(
        matches!(empty_action, Err(ConnectorError::InvalidResponse { .. })),
        "{empty_action:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Lookups by reference.

fn listed(id: &str, reference: &str) -> Value {
    json!({"id": id, "requested_on": "2024-03-10T10:11:12Z", "amount": 1000, "currency": "USD",
           "status": "Authorized", "approved": true, "reference": reference,
           "_links": {"self": {"href": format!("https://api.sandbox.checkout.com/payments/{id}")},
                      "actions": {"href": format!("https://api.sandbox.checkout.com/payments/{id}/actions")}}})
}

fn page(skip: u64, total: u64, data: Vec<Value>) -> Value {
    json!({"limit": 100, "skip": skip, "total_count": total, "data": data})
}

/// Feeds `pages` to a payment lookup one by one, checking each request's query, and returns
/// the answer (or the error) of the last.
fn look_up(
    reference: &str,
    pages: &[(&str, Value)],
) -> Result<PaymentLookupResponse, ConnectorError> {
    let mut exchange = checkout()
        .find_payment(&PaymentLookupRequest::new(reference))
        .unwrap();
    for (i, (query, body)) in pages.iter().enumerate() {
        let request = exchange.request();
        assert_eq!(request.method, "GET");
        assert_eq!(request.url.path(), "/base/payments");
        assert_eq!(request.url.query(), Some(*query), "page {}", i + 1);
        assert_eq!(request.headers["authorization"], "Bearer sk_sbox_test");
        assert!(request.body.is_none() && request.idempotency_key.is_none());
        match exchange.parse(HttpResponse::new(200, body.to_string()))? {
            Step::Done(answer) => {
                assert_eq!(i + 1, pages.len(), "answered before the last page");
                return Ok(answer);
            }
            Step::Next(next) => exchange = *next,
        }
    }
    panic!("asked for more than {} pages", pages.len());
}

#[test]
fn payment_lookup_takes_the_exact_reference_only() {
    // Decoys: a longer reference, another case, a prefix; then ours, then an older one.
    let data = vec![
        listed("pay_longer", "ORD-1-retry"),
        listed("pay_case", "ord-1"),
        listed("pay_prefix", "ORD-"),
        listed("pay_newest", "ORD-1"),
        listed("pay_older", "ORD-1"),
    ];
    let found = look_up(
        "ORD-1",
        &[("reference=ORD-1&limit=100&skip=0", page(0, 5, data))],
    );
    assert_eq!(
        found.unwrap().connector_payment_id.as_deref(),
        Some("pay_newest")
    );
    let none = look_up(
        "ORD-2",
        &[(
            "reference=ORD-2&limit=100&skip=0",
            page(0, 1, vec![listed("pay_x", "ORD-20")]),
        )],
    );
    assert_eq!(none.unwrap().connector_payment_id, None);
    let empty = look_up(
        "ORD-3",
        &[("reference=ORD-3&limit=100&skip=0", page(0, 0, vec![]))],
    );
    assert_eq!(empty.unwrap().connector_payment_id, None);
    // The reference is encoded in the query.
    let odd = look_up(
        "A&B=C D",
        &[(
            "reference=A%26B%3DC+D&limit=100&skip=0",
            page(0, 1, vec![listed("pay_odd", "A&B=C D")]),
        )],
    );
    assert_eq!(
        odd.unwrap().connector_payment_id.as_deref(),
        Some("pay_odd")
    );
}

#[test]
fn payment_lookup_pages_with_skip_while_total_count_says_there_are_more() {
    let decoys = |n: usize| {
        (0..n)
            .map(|i| listed(&format!("pay_d{i}"), "ORD-1x"))
            .collect()
    };
    let found = look_up(
        "ORD-1",
        &[
            (
                "reference=ORD-1&limit=100&skip=0",
                page(0, 230, decoys(100)),
            ),
            (
                "reference=ORD-1&limit=100&skip=100",
                page(100, 230, decoys(100)),
            ),
            (
                "reference=ORD-1&limit=100&skip=200",
                page(200, 230, vec![listed("pay_deep", "ORD-1")]),
            ),
        ],
    );
    assert_eq!(
        found.unwrap().connector_payment_id.as_deref(),
        Some("pay_deep")
    );
    // Without total_count, a full page means there may be more; a short one ends it.
    let no_total = |data: Vec<Value>| json!({"limit": 100, "skip": 0, "data": data});
    let end = look_up(
        "ORD-1",
        &[
            ("reference=ORD-1&limit=100&skip=0", no_total(decoys(100))),
            ("reference=ORD-1&limit=100&skip=100", no_total(decoys(3))),
        ],
    );
    assert_eq!(end.unwrap().connector_payment_id, None);
}

#[test]
fn a_payment_lookup_cut_short_is_an_error_not_a_miss() {
    let decoys = || {
        (0..100)
            .map(|i| listed(&format!("pay_d{i}"), "ORD-1x"))
            .collect::<Vec<_>>()
    };
    let pages: Vec<(String, Value)> = (0..4)
        .map(|i| {
            let skip = i * 100;
            (
                format!("reference=ORD-1&limit=100&skip={skip}"),
                page(skip, 1000, decoys()),
            )
        })
        .collect();
    let pages: Vec<(&str, Value)> = pages.iter().map(|(q, b)| (q.as_str(), b.clone())).collect();
    let err = look_up("ORD-1", &pages).unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidResponse {
                http_status: 200,
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn payment_lookup_answers_that_cannot_be_read_are_typed_errors() {
    let lookup = || {
        checkout()
            .find_payment(&PaymentLookupRequest::new("ORD-1"))
            .unwrap()
    };
    for body in [
        json!({"limit": 100, "skip": 0, "total_count": 1}),
        json!({"data": [{"reference": "ORD-1"}]}),
        json!({"data": [{"id": "", "reference": "ORD-1"}]}),
        json!({"data": [{"id": 5, "reference": "ORD-1"}]}),
        json!({"data": "pay_1"}),
        json!([]),
    ] {
        let err = match lookup().parse(HttpResponse::new(200, body.to_string())) {
            Err(err) => err,
            Ok(_) => panic!("{body} was read"),
        };
        assert!(
            matches!(err, ConnectorError::InvalidResponse { .. }),
            "{body}: {err:?}"
        );
    }
    let unauthorized = lookup().parse(HttpResponse::new(401, "")).err().unwrap();
    assert!(matches!(unauthorized, ConnectorError::Authentication(_)));
    let paging = lookup()
        .parse(HttpResponse::new(
            422,
            r#"{"request_id":"r1","error_type":"request_invalid","error_codes":["paging_limit_invalid"]}"#,
        ))
        .err()
        .unwrap();
    assert!(
        matches!(
            paging,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{paging:?}"
    );
    // A reference Checkout.com would have refused cannot be looked up either.
    let long = checkout().find_payment(&PaymentLookupRequest::new("R".repeat(51)));
    assert!(matches!(
        long,
        Err(ConnectorError::InvalidRequest {
            field: "reference",
            ..
        })
    ));
}

fn refund_lookup(reference: &str) -> Exchange<RefundLookupResponse> {
    checkout()
        .find_refund(&RefundLookupRequest {
            connector_payment_id: "pay_abc".into(),
            reference: reference.into(),
        })
        .unwrap()
}

#[test]
fn refund_lookup_finds_the_refund_action_with_the_reference() {
    let actions = json!([
        {"id": "act_r3", "type": "Refund", "amount": 300, "approved": false,
         "response_code": "20005", "response_summary": "Declined - Do Not Honour", "reference": "RF-2"},
        {"id": "act_r2", "type": "Refund", "amount": 200, "approved": true,
         "response_code": "10000", "reference": "RF-1"},
        {"id": "act_r1", "type": "Refund", "amount": 100, "approved": true,
         "response_code": "10000", "reference": "RF-1-old"},
        {"id": "act_c1", "type": "Capture", "amount": 1000, "approved": true,
         "response_code": "10000", "reference": "RF-9"},
        {"id": "act_a1", "type": "Authorization", "amount": 1000, "approved": true,
         "response_code": "10000", "reference": "ORD-1"}
    ]);
    let exchange = refund_lookup("RF-1");
    assert_eq!(exchange.request().method, "GET");
    assert_eq!(
        exchange.request().url.as_str(),
        "http://sim.test/base/payments/pay_abc/actions"
    );
    let found = done(exchange, 200, actions.clone())
        .unwrap()
        .refund
        .unwrap();
    assert_eq!(
        found,
        RefundResponse {
            connector_refund_id: "act_r2".into(),
            status: RefundStatus::Succeeded,
            amount: Some(m(200)),
            failure_reason: None,
            raw_status: "Refund".into(),
        }
    );
    let failed = done(refund_lookup("RF-2"), 200, actions.clone())
        .unwrap()
        .refund
        .unwrap();
    assert_eq!(failed.status, RefundStatus::Failed);
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("Declined - Do Not Honour")
    );
    // Another action type with the reference, a prefix, or nothing: no refund.
    for reference in ["RF-9", "ORD-1", "RF-", "RF-3"] {
        let answer = done(refund_lookup(reference), 200, actions.clone()).unwrap();
        assert_eq!(answer.refund, None, "{reference}");
    }
}

#[test]
fn refund_lookup_answers_that_cannot_be_read_are_typed_errors() {
    for body in [
        json!({"id": "act_1"}),
        json!([{"type": "Refund", "reference": "RF-1"}]),
        json!([{"id": "", "type": "Refund", "reference": "RF-1", "approved": true}]),
        json!([{"id": "act_1", "type": "Refund", "reference": "RF-1", "amount": -5}]),
    ] {
        let err = done(refund_lookup("RF-1"), 200, body.clone()).unwrap_err();
        assert!(
            matches!(err, ConnectorError::InvalidResponse { .. }),
            "{body}: {err:?}"
        );
    }
    let missing = done(refund_lookup("RF-1"), 404, Value::Null).unwrap_err();
    assert!(matches!(
        missing,
        ConnectorError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
}
