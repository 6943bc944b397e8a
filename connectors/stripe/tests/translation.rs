//! The Stripe translation, without a server: the exact form bytes sent for each flow and how
//! answers, errors and webhooks are read.

#![allow(clippy::unwrap_used)]

use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_stripe::{retry_hint, Stripe, SIGNATURE_HEADER};
use serde_json::{json, Value};

const SECRET: &str = "whsec_current";
const NOW: i64 = 1_712_000_000;

fn config() -> ConnectorConfig {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_test_abc");
    config.webhook_secrets = WebhookSecrets::new([SECRET, "whsec_old"]);
    config
}

fn stripe() -> Stripe {
    Stripe::new(&config()).unwrap()
}

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

fn card(holder: Option<&str>) -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: holder.map(str::to_owned),
    })
}

fn token(t: &str) -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new(t).unwrap())
}

fn form<T>(exchange: &Exchange<T>) -> &str {
    exchange.request().body_text().unwrap()
}

fn answer<T: 'static>(exchange: Exchange<T>, resp: HttpResponse) -> Result<T, ConnectorError> {
    match exchange.parse(resp)? {
        Step::Done(answer) => Ok(answer),
        Step::Next(_) => panic!("single-step flow asked for another call"),
    }
}

fn done<T: 'static>(exchange: Exchange<T>, status: u16, body: Value) -> Result<T, ConnectorError> {
    answer(exchange, HttpResponse::new(status, body.to_string()))
}

/// The PaymentMethod Stripe creates from `card()` (`POST /v1/payment_methods`).
fn payment_method_created(id: &str) -> Value {
    json!({"id": id, "object": "payment_method", "type": "card", "created": 1712000000,
           "livemode": false, "customer": null, "metadata": {}, "allow_redisplay": "unspecified",
           "billing_details": {"address": null, "email": null, "name": "J Smith", "phone": null},
           "card": {"brand": "visa", "last4": "4242", "exp_month": 6, "exp_year": 2031,
                    "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit", "country": "US"}})
}

/// Authorize with a raw card up to its second step: the first (creating the PaymentMethod) is
/// answered with `pm_1Pm`, and the PaymentIntent's exchange is returned.
fn intent_step(req: &AuthorizeRequest) -> Exchange<AuthorizeResponse> {
    let first = stripe().authorize(req).unwrap();
    assert_eq!(first.request().url.path(), "/base/v1/payment_methods");
    let created = HttpResponse::new(200, payment_method_created("pm_1Pm").to_string());
    match first.parse(created).unwrap() {
        Step::Next(next) => *next,
        Step::Done(payment) => panic!("the PaymentMethod alone answered {payment:?}"),
    }
}

/// A PaymentIntent with its latest charge expanded, as Stripe answers a manual-capture card.
fn intent(status: &str, amount: i64, capturable: i64, received: i64) -> Value {
    json!({
        "id": "pi_3P1", "object": "payment_intent", "status": status, "amount": amount,
        "amount_capturable": capturable, "amount_received": received, "currency": "usd",
        "capture_method": "manual", "confirmation_method": "automatic", "created": 1712000000,
        "livemode": false, "payment_method_types": ["card"], "client_secret": "pi_3P1_secret_x",
        "last_payment_error": null, "next_action": null, "metadata": {"reference": "ORD-123"},
        "latest_charge": {
            "id": "ch_3P1", "object": "charge", "amount": amount, "amount_captured": received,
            "amount_refunded": 0, "currency": "usd", "status": "succeeded",
            "payment_method_details": {"type": "card", "card": {
                "brand": "visa", "network": "visa", "exp_month": 6, "exp_year": 2031, "last4": "4242",
                "capture_before": 1712604800,
                "extended_authorization": {"status": "enabled"},
                "incremental_authorization": {"status": "available"},
                "multicapture": {"status": "unavailable"},
                "overcapture": {"status": "unavailable", "maximum_amount_capturable": amount}
            }}
        }
    })
}

fn increment(current: i64, new_total: i64) -> IncrementalAuthorizationRequest {
    IncrementalAuthorizationRequest {
        idempotency_key: key("inc-1"),
        connector_payment_id: "pi_3P1".into(),
        currency: Currency::USD,
        current_authorized: m(current),
        new_total: m(new_total),
        reason: Some("room service".into()),
        card_network: Some(CardNetwork::Visa),
    }
}

fn card_error(decline_code: &str, intent: Value) -> Value {
    json!({"error": {
        "type": "card_error", "code": "card_declined", "decline_code": decline_code,
        "message": "Your card has insufficient funds.", "advice_code": "try_again_later",
        "network_decline_code": "51", "network_advice_code": "02", "charge": "ch_3P2",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_x?t=1",
        "payment_intent": intent
    }})
}

#[test]
fn authorize_sends_the_exact_nested_form() {
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(Some("J Smith")), "ORD-123");
    req.idempotency_key = key("key-1");
    req.capture_method = CaptureMethod::Manual;
    req.request_incremental_authorization = true;
    req.request_extended_authorization = true;
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back?o=1&s=2".parse().unwrap());
    req.description = Some("Room 12 & minibar".into());
    req.metadata.insert("order_id".into(), "123".into());

    // First the card becomes a PaymentMethod, under a key derived from the payment's.
    let first = stripe().authorize(&req).unwrap();
    let request = first.request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url.as_str(),
        "http://sim.test/base/v1/payment_methods"
    );
    assert_eq!(request.headers["authorization"], "Bearer sk_test_abc");
    assert_eq!(request.headers["stripe-version"], "2024-04-10");
    assert_eq!(
        request.idempotency_key.as_ref().unwrap().as_str(),
        "key-1-payment_method"
    );
    assert_eq!(
        request.body.as_ref().unwrap().0.as_str(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form(&first),
        "type=card&card[number]=4242424242424242&card[exp_month]=6&card[exp_year]=2031\
         &card[cvc]=100&billing_details[name]=J+Smith"
    );
    assert!(
        first.moves_no_money(),
        "creating a PaymentMethod charges nothing"
    );

    // Then the PaymentIntent, under the payment's own key, paying with the new PaymentMethod.
    let exchange = intent_step(&req);
    let request = exchange.request();
    assert_eq!(
        request.url.as_str(),
        "http://sim.test/base/v1/payment_intents"
    );
    assert_eq!(request.headers["authorization"], "Bearer sk_test_abc");
    assert_eq!(request.headers["stripe-version"], "2024-04-10");
    assert_eq!(request.idempotency_key.as_ref().unwrap().as_str(), "key-1");
    assert!(!exchange.moves_no_money());
    assert_eq!(
        form(&exchange),
        "amount=1000&currency=usd&confirm=true&capture_method=manual\
         &payment_method=pm_1Pm&payment_method_types[]=card\
         &payment_method_options[card][request_incremental_authorization]=if_available\
         &payment_method_options[card][request_extended_authorization]=if_available\
         &payment_method_options[card][request_three_d_secure]=any\
         &return_url=https://shop.test/back?o%3D1%26s%3D2\
         &description=Room+12+%26+minibar\
         &metadata[order_id]=123&metadata[reference]=ORD-123\
         &expand[]=latest_charge"
    );
    // Exactly what the PaymentMethod's id sent directly gives.
    let mut direct = req.clone();
    direct.payment_method = token("pm_1Pm");
    assert_eq!(form(&exchange), form(&stripe().authorize(&direct).unwrap()));
    // A standard form decoder reads back what was meant.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form(&exchange).as_bytes())
        .into_owned()
        .collect();
    assert!(pairs.contains(&("return_url".into(), "https://shop.test/back?o=1&s=2".into())));
    assert!(pairs.contains(&("description".into(), "Room 12 & minibar".into())));
}

#[test]
fn token_authorize_sends_only_what_is_set() {
    let mut req = AuthorizeRequest::new(m(2500), Currency::EUR, token("pm_card_visa"), "ORD-9");
    req.authorization_type = AuthorizationType::Estimated;
    let exchange = stripe().authorize(&req).unwrap();
    assert_eq!(
        form(&exchange),
        "amount=2500&currency=eur&confirm=true&capture_method=automatic\
         &payment_method=pm_card_visa&payment_method_types[]=card\
         &payment_method_options[card][request_incremental_authorization]=if_available\
         &metadata[reference]=ORD-9&expand[]=latest_charge"
    );
    let plain = AuthorizeRequest::new(m(50), Currency::JPY, token("pm_card_visa"), "r");
    assert_eq!(
        form(&stripe().authorize(&plain).unwrap()),
        "amount=50&currency=jpy&confirm=true&capture_method=automatic\
         &payment_method=pm_card_visa&payment_method_types[]=card\
         &metadata[reference]=r&expand[]=latest_charge"
    );
    for other in ["tok_visa", "src_123"] {
        let req = AuthorizeRequest::new(m(50), Currency::USD, token(other), "r");
        let err = stripe().authorize(&req).unwrap_err();
        assert!(matches!(
            err,
            ConnectorError::InvalidRequest {
                field: "payment_method",
                ..
            }
        ));
    }
}

#[test]
fn metadata_keys_and_values_are_escaped_and_checked() {
    let mut req = AuthorizeRequest::new(m(100), Currency::USD, token("pm_card_visa"), "r");
    req.metadata.insert("a]b[c".into(), "x=1&y+z".into());
    let exchange = stripe().authorize(&req).unwrap();
    assert!(
        form(&exchange).contains("&metadata[a%5Db%5Bc]=x%3D1%26y%2Bz&"),
        "{}",
        form(&exchange)
    );

    req.metadata.insert("reference".into(), "other".into());
    assert!(matches!(
        stripe().authorize(&req).unwrap_err(),
        ConnectorError::InvalidRequest {
            field: "metadata",
            ..
        }
    ));
    req.metadata.insert("reference".into(), "r".into());
    assert!(
        stripe().authorize(&req).is_ok(),
        "the same value hides nothing"
    );
}

#[test]
fn currencies_stripe_counts_differently_are_refused_not_scaled() {
    let auth = |amount, currency| {
        stripe().authorize(&AuthorizeRequest::new(
            m(amount),
            currency,
            token("pm_card_visa"),
            "r",
        ))
    };
    for currency in [Currency::ISK, Currency::MGA] {
        let err = auth(500, currency).unwrap_err();
        assert!(
            matches!(&err, ConnectorError::InvalidRequest { field: "currency", message } if message.contains("refused")),
            "{err:?}"
        );
    }
    let err = auth(1005, Currency::KWD).unwrap_err();
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
    assert!(form(&auth(1010, Currency::KWD).unwrap()).starts_with("amount=1010&currency=kwd&"));
    assert!(form(&auth(1999, Currency::HUF).unwrap()).starts_with("amount=1999&currency=huf&"));
    assert!(form(&auth(5000, Currency::UGX).unwrap()).starts_with("amount=5000&currency=ugx&"));

    // Not even without an amount: the answer would be in Stripe's unit.
    let capture = stripe().capture(&CaptureRequest::new("pi_3P1", Currency::ISK, None));
    assert!(matches!(
        capture,
        Err(ConnectorError::InvalidRequest {
            field: "currency",
            ..
        })
    ));
    let refund = stripe().refund(&RefundRequest::new("pi_3P1", Currency::MGA, None));
    assert!(matches!(
        refund,
        Err(ConnectorError::InvalidRequest {
            field: "currency",
            ..
        })
    ));

    // Nor are answers in them read.
    let sync = PaymentSyncRequest {
        connector_payment_id: "pi_3P1".into(),
        capture_method: CaptureMethod::Manual,
    };
    let mut isk = intent("requires_capture", 50000, 50000, 0);
    isk["currency"] = json!("isk");
    let err = done(stripe().sync_payment(&sync).unwrap(), 200, isk).unwrap_err();
    assert!(
        matches!(err, ConnectorError::InvalidResponse { .. }),
        "{err:?}"
    );
}

#[test]
fn manual_capture_authorization_reads_the_charge() {
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "ORD-123");
    req.capture_method = CaptureMethod::Manual;
    let mut body = intent("requires_capture", 1000, 1000, 0);
    body["latest_charge"]["payment_method_details"]["card"]["network_transaction_id"] =
        json!("5840");
    let payment = done(intent_step(&req), 200, body).unwrap();
    assert_eq!(payment.connector_payment_id, "pi_3P1");
    assert_eq!(payment.status, PaymentStatus::RequiresCapture);
    assert_eq!(payment.raw_status, "requires_capture");
    assert_eq!(payment.currency, Currency::USD);
    assert_eq!(
        payment.amounts,
        PaymentAmounts {
            authorized: m(1000),
            capturable: m(1000),
            received: m(0),
            refunded: m(0)
        }
    );
    assert_eq!(
        payment.capture_before.unwrap().unix_timestamp(),
        1_712_604_800
    );
    assert_eq!(payment.extended_authorization_applied, Some(true));
    assert_eq!(payment.incremental_authorization_allowed, Some(true));
    assert_eq!(payment.card_network, Some(CardNetwork::Visa));
    assert_eq!(payment.network_transaction_id.as_deref(), Some("5840"));
    assert_eq!(payment.connector_action_id.as_deref(), Some("ch_3P1"));
    assert_eq!(payment.decline, None);
}

#[test]
fn statuses_follow_the_captured_amounts() {
    let sync = PaymentSyncRequest {
        connector_payment_id: "pi_3P1".into(),
        capture_method: CaptureMethod::Manual,
    };
    let exchange = stripe().sync_payment(&sync).unwrap();
    assert_eq!(exchange.request().method, "GET");
    assert_eq!(
        exchange.request().url.as_str(),
        "http://sim.test/base/v1/payment_intents/pi_3P1?expand[]=latest_charge"
    );
    assert!(exchange.request().body.is_none());
    assert!(exchange.request().idempotency_key.is_none());
    let cases = [
        (
            intent("requires_capture", 1000, 600, 400),
            PaymentStatus::PartiallyCapturedAndCapturable,
        ),
        (
            intent("succeeded", 1000, 0, 600),
            PaymentStatus::PartiallyCaptured,
        ),
        (intent("succeeded", 1000, 0, 1000), PaymentStatus::Succeeded),
        (intent("processing", 1000, 0, 0), PaymentStatus::Processing),
        (intent("canceled", 1000, 0, 0), PaymentStatus::Cancelled),
        (
            intent("requires_payment_method", 1000, 0, 0),
            PaymentStatus::RequiresPaymentMethod,
        ),
        (
            intent("requires_confirmation", 1000, 0, 0),
            PaymentStatus::RequiresConfirmation,
        ),
        (
            intent("something_new", 1000, 0, 0),
            PaymentStatus::Processing,
        ),
    ];
    for (body, status) in cases {
        let payment = done(stripe().sync_payment(&sync).unwrap(), 200, body).unwrap();
        assert_eq!(payment.status, status, "{}", payment.raw_status);
        if status != PaymentStatus::RequiresCapture {
            assert_eq!(payment.incremental_authorization_allowed, None);
        }
    }
    let mut refunded = intent("succeeded", 1000, 0, 1000);
    refunded["latest_charge"]["amount_refunded"] = json!(300);
    let payment = done(stripe().sync_payment(&sync).unwrap(), 200, refunded).unwrap();
    assert_eq!(payment.amounts.refunded, m(300));
    assert_eq!(payment.amounts.authorized, m(1000));

    // An unexpanded charge still gives its id; a failed attempt is `failed` with its reason.
    let mut failed = intent("requires_payment_method", 1000, 0, 0);
    failed["latest_charge"] = json!("ch_3P9");
    failed["last_payment_error"] =
        json!({"type": "card_error", "code": "expired_card", "message": "Your card has expired."});
    let payment = done(stripe().sync_payment(&sync).unwrap(), 200, failed).unwrap();
    assert_eq!(payment.status, PaymentStatus::Failed);
    assert_eq!(payment.connector_action_id.as_deref(), Some("ch_3P9"));
    assert_eq!(payment.amounts.authorized, m(0));
    let decline = payment.decline.unwrap();
    assert_eq!(decline.code.as_deref(), Some("expired_card"));
    assert_eq!(decline.unified, DeclineCode::ExpiredCard);
}

#[test]
fn a_402_decline_is_a_failed_payment_with_every_detail() {
    let req = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "ORD-123");
    let mut failed = intent("requires_payment_method", 1000, 0, 0);
    failed["latest_charge"] = json!("ch_3P2");
    failed["last_payment_error"] = json!({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"});
    let mut resp = HttpResponse::new(402, card_error("insufficient_funds", failed).to_string());
    resp.headers
        .insert("request-id", HeaderValue::from_static("req_abc"));
    let payment = answer(intent_step(&req), resp).unwrap();
    assert_eq!(payment.connector_payment_id, "pi_3P1");
    assert_eq!(payment.status, PaymentStatus::Failed);
    assert_eq!(payment.raw_status, "requires_payment_method");
    assert_eq!(
        payment.decline,
        Some(DeclineDetails {
            code: Some("insufficient_funds".into()),
            message: Some("Your card has insufficient funds.".into()),
            network_decline_code: Some("51".into()),
            advice_code: Some("try_again_later".into()),
            unified: DeclineCode::InsufficientFunds,
        })
    );
    // Without a decline_code, the code decides; an unknown decline_code falls back to it too.
    let mut error = card_error(
        "new_issuer_reason",
        intent("requires_payment_method", 1000, 0, 0),
    );
    error["error"]["code"] = json!("incorrect_cvc");
    let payment = done(intent_step(&req), 402, error).unwrap();
    assert_eq!(payment.decline.unwrap().unified, DeclineCode::IncorrectCvc);

    // A 402 without a PaymentIntent created no payment: a rejection with the codes.
    let error =
        json!({"error": {"type": "card_error", "code": "incorrect_number", "param": "number"}});
    let err = done(intent_step(&req), 402, error).unwrap_err();
    let detail = err.processor_message().unwrap();
    assert_eq!(
        detail.codes,
        ["incorrect_number", "card_error", "param:number"]
    );
}

#[test]
fn three_ds_redirects() {
    let mut req = AuthorizeRequest::new(
        m(500),
        Currency::EUR,
        token("pm_card_threeDSecure2Required"),
        "r",
    );
    req.three_ds = ThreeDsPreference::Required;
    req.return_url = Some("https://shop.test/back".parse().unwrap());
    let mut body = intent("requires_action", 500, 0, 0);
    body["currency"] = json!("eur");
    body["latest_charge"] = Value::Null;
    body["next_action"] = json!({"type": "redirect_to_url", "redirect_to_url": {
        "url": "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1", "return_url": "https://shop.test/back"}});
    let payment = done(stripe().authorize(&req).unwrap(), 200, body.clone()).unwrap();
    assert_eq!(payment.status, PaymentStatus::RequiresCustomerAction);
    assert_eq!(
        payment.next_action,
        Some(NextAction::RedirectToUrl {
            url: "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1".into()
        })
    );

    // Complete authorize reads the intent back once the customer returns.
    let complete = CompleteAuthorizeRequest {
        idempotency_key: key("c-1"),
        connector_payment_id: "pi_3P1".into(),
        capture_method: CaptureMethod::Automatic,
        redirect_params: Default::default(),
    };
    let exchange = stripe().complete_authorize(&complete).unwrap();
    assert_eq!(
        exchange.request().url.query(),
        Some("expand[]=latest_charge")
    );
    let mut succeeded = intent("succeeded", 500, 0, 500);
    succeeded["currency"] = json!("eur");
    assert_eq!(
        done(exchange, 200, succeeded).unwrap().status,
        PaymentStatus::Succeeded
    );
}

#[test]
fn incremental_authorization_sends_the_new_total() {
    let exchange = stripe()
        .increment_authorization(&increment(5000, 7500))
        .unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/v1/payment_intents/pi_3P1/increment_authorization"
    );
    assert_eq!(form(&exchange), "amount=7500&expand[]=latest_charge");
    let answer = done(exchange, 200, intent("requires_capture", 7500, 7500, 0)).unwrap();
    assert_eq!(answer.status, AuthorizationStatus::Success);
    assert_eq!(answer.authorized, m(7500));
    assert_eq!(answer.previously_authorized, m(5000));
    assert_eq!(answer.expires_at.unwrap().unix_timestamp(), 1_712_604_800);

    let declined = done(
        stripe()
            .increment_authorization(&increment(5000, 7500))
            .unwrap(),
        402,
        card_error(
            "insufficient_funds",
            intent("requires_capture", 5000, 5000, 0),
        ),
    )
    .unwrap();
    assert_eq!(declined.status, AuthorizationStatus::Failure);
    assert_eq!(declined.authorized, m(5000));
    assert_eq!(declined.raw_status, "requires_capture");
    let decline = declined.decline.unwrap();
    assert_eq!(decline.unified, DeclineCode::InsufficientFunds);
    assert_eq!(decline.network_decline_code.as_deref(), Some("51"));

    let wrong_state = json!({"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
        "message": "This PaymentIntent's amount could not be updated because it has a status of succeeded."}});
    let err = done(
        stripe()
            .increment_authorization(&increment(5000, 7500))
            .unwrap(),
        400,
        wrong_state,
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

    for (current, new_total) in [(5000, 5000), (5000, 100)] {
        let err = stripe()
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
fn capture_cancel_and_refund_bodies() {
    let mut capture = CaptureRequest::new("pi_3P1", Currency::USD, Some(m(300)));
    capture.idempotency_key = key("cap-1");
    let exchange = stripe().capture(&capture).unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/v1/payment_intents/pi_3P1/capture"
    );
    assert_eq!(
        form(&exchange),
        "amount_to_capture=300&expand[]=latest_charge"
    );
    let answer = done(exchange, 200, intent("succeeded", 1000, 0, 300)).unwrap();
    assert_eq!(answer.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(answer.amount, Some(m(300)));
    assert_eq!(answer.amounts.unwrap().received, m(300));
    assert_eq!(answer.connector_capture_id.as_deref(), Some("ch_3P1"));

    let mut full = CaptureRequest::new("pi_3P1", Currency::USD, None);
    full.reference = Some("CAP-7".into());
    assert_eq!(
        form(&stripe().capture(&full).unwrap()),
        "metadata[capture_reference]=CAP-7&expand[]=latest_charge"
    );
    full.final_capture = false;
    assert!(matches!(
        stripe().capture(&full).unwrap_err(),
        ConnectorError::InvalidRequest {
            field: "final_capture",
            ..
        }
    ));

    let void = |reason: Option<&str>| VoidRequest {
        idempotency_key: key("void-1"),
        connector_payment_id: "pi_3P1".into(),
        reason: reason.map(str::to_owned),
    };
    let exchange = stripe()
        .void(&void(Some(" Requested_By_Customer ")))
        .unwrap();
    assert_eq!(
        exchange.request().url.path(),
        "/base/v1/payment_intents/pi_3P1/cancel"
    );
    assert_eq!(form(&exchange), "cancellation_reason=requested_by_customer");
    assert_eq!(
        done(exchange, 200, intent("canceled", 1000, 0, 0))
            .unwrap()
            .status,
        PaymentStatus::Cancelled
    );
    assert_eq!(
        form(&stripe().void(&void(Some("abandoned"))).unwrap()),
        "cancellation_reason=abandoned"
    );
    assert_eq!(
        form(
            &stripe()
                .void(&void(Some("Order cancelled by customer")))
                .unwrap()
        ),
        ""
    );
    assert_eq!(form(&stripe().void(&void(None)).unwrap()), "");

    let mut refund = RefundRequest::new("pi_3P1", Currency::USD, Some(m(100)));
    refund.reason = Some("duplicate".into());
    refund.reference = Some("RF-1".into());
    refund.metadata.insert("ticket".into(), "42".into());
    let exchange = stripe().refund(&refund).unwrap();
    assert_eq!(exchange.request().url.path(), "/base/v1/refunds");
    assert_eq!(
        form(&exchange),
        "payment_intent=pi_3P1&amount=100&reason=duplicate&metadata[reference]=RF-1&metadata[ticket]=42"
    );
    let answer = done(
        exchange,
        200,
        json!({"id": "re_1", "object": "refund", "amount": 100, "currency": "usd", "status": "succeeded",
               "payment_intent": "pi_3P1", "charge": "ch_3P1", "created": 1712000100}),
    )
    .unwrap();
    assert_eq!(answer.status, RefundStatus::Succeeded);
    assert_eq!(answer.connector_refund_id, "re_1");
    assert_eq!(answer.amount, Some(m(100)));
    refund.reason = Some("abandoned".into()); // a void reason, not a refund one
    refund.reference = None;
    refund.metadata.clear();
    refund.amount = None;
    assert_eq!(
        form(&stripe().refund(&refund).unwrap()),
        "payment_intent=pi_3P1"
    );

    let cancel = CancelPostCaptureRequest {
        reference: None,
        idempotency_key: key("cpc-1"),
        connector_payment_id: "pi_3P1".into(),
        currency: Currency::USD,
        amount_captured: m(1000),
        reason: Some("fraudulent".into()),
    };
    let exchange = stripe().cancel_post_capture(&cancel).unwrap();
    assert_eq!(
        form(&exchange),
        "payment_intent=pi_3P1&amount=1000&reason=fraudulent"
    );
    // With a reference, its refund can be found by it when the answer is lost.
    let referenced = CancelPostCaptureRequest {
        reference: Some("ref_cpc".into()),
        ..cancel.clone()
    };
    assert_eq!(
        form(&stripe().cancel_post_capture(&referenced).unwrap()),
        "payment_intent=pi_3P1&amount=1000&reason=fraudulent&metadata[reference]=ref_cpc"
    );
    let answer = done(
        exchange,
        200,
        json!({"id": "re_2", "amount": 1000, "currency": "usd", "status": "pending", "payment_intent": "pi_3P1"}),
    )
    .unwrap();
    assert_eq!(answer.status, PaymentStatus::Processing);
    assert_eq!(answer.refund.status, RefundStatus::Pending);
}

#[test]
fn refund_sync_maps_every_status() {
    let req = RefundSyncRequest {
        connector_payment_id: "pi_3P1".into(),
        connector_refund_id: "re_1".into(),
    };
    let exchange = stripe().sync_refund(&req).unwrap();
    assert_eq!(exchange.request().method, "GET");
    assert_eq!(
        exchange.request().url.as_str(),
        "http://sim.test/base/v1/refunds/re_1"
    );
    let refund = |status: &str, reason: Option<&str>| {
        json!({"id": "re_1", "amount": 100, "currency": "usd", "status": status,
               "failure_reason": reason, "payment_intent": "pi_3P1"})
    };
    let cases = [
        ("succeeded", None, RefundStatus::Succeeded, None),
        ("pending", None, RefundStatus::Pending, None),
        ("requires_action", None, RefundStatus::Pending, None),
        (
            "failed",
            Some("expired_or_canceled_card"),
            RefundStatus::Failed,
            Some("expired_or_canceled_card"),
        ),
        ("canceled", None, RefundStatus::Failed, Some("canceled")),
    ];
    for (raw, reason, status, failure) in cases {
        let answer = done(
            stripe().sync_refund(&req).unwrap(),
            200,
            refund(raw, reason),
        )
        .unwrap();
        assert_eq!(answer.status, status, "{raw}");
        assert_eq!(answer.failure_reason.as_deref(), failure, "{raw}");
        assert_eq!(answer.raw_status, raw);
    }
    let mut other = refund("succeeded", None);
    other["payment_intent"] = json!("pi_other");
    assert!(done(stripe().sync_refund(&req).unwrap(), 200, other).is_err());
}

#[test]
fn errors_keep_their_codes_and_kinds() {
    let capture = || {
        stripe()
            .capture(&CaptureRequest::new("pi_3P1", Currency::USD, None))
            .unwrap()
    };
    let error = |status: u16, body: Value| {
        let mut resp = HttpResponse::new(status, body.to_string());
        resp.headers
            .insert("request-id", HeaderValue::from_static("req_9"));
        answer(capture(), resp).unwrap_err()
    };
    let err = error(
        400,
        json!({"error": {"type": "invalid_request_error", "code": "parameter_invalid_integer",
                          "param": "amount_to_capture", "message": "Invalid integer: abc"}}),
    );
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{err:?}"
    );
    let detail = err.processor_message().unwrap();
    assert_eq!(
        detail.codes,
        [
            "parameter_invalid_integer",
            "invalid_request_error",
            "param:amount_to_capture"
        ]
    );
    assert_eq!(detail.message.as_deref(), Some("Invalid integer: abc"));
    assert_eq!(detail.request_id.as_deref(), Some("req_9"));
    assert_eq!(detail.http_status, Some(400));

    for code in [
        "charge_already_captured",
        "payment_intent_unexpected_state",
        "charge_expired_for_capture",
    ] {
        let err = error(
            400,
            json!({"error": {"type": "invalid_request_error", "code": code}}),
        );
        assert!(
            matches!(
                err,
                ConnectorError::Rejected {
                    kind: RejectionKind::InvalidState,
                    ..
                }
            ),
            "{code}"
        );
    }

    // Reused with other parameters, or still in flight: both conflicts, told apart by code.
    let reused = error(
        400,
        json!({"error": {"type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}}),
    );
    let in_use = error(
        409,
        json!({"error": {"type": "invalid_request_error", "code": "idempotency_key_in_use"}}),
    );
    for (err, code) in [
        (&reused, "idempotency_error"),
        (&in_use, "idempotency_key_in_use"),
    ] {
        assert!(
            matches!(err, ConnectorError::IdempotencyConflict { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.processor_message().and_then(ProcessorMessage::code),
            Some(code)
        );
    }

    assert!(matches!(
        error(
            401,
            json!({"error": {"type": "invalid_request_error",
        "message": "Invalid API Key provided: sk_test_***abc"}})
        ),
        ConnectorError::Authentication(_)
    ));
    assert!(matches!(
        error(
            404,
            json!({"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "intent"}})
        ),
        ConnectorError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
    assert!(matches!(
        error(
            429,
            json!({"error": {"type": "invalid_request_error", "code": "rate_limit"}})
        ),
        ConnectorError::RateLimited { .. }
    ));
    let server = error(500, json!({"error": {"type": "api_error"}}));
    assert!(matches!(server, ConnectorError::Processor { .. }) && server.outcome_unknown());
    assert!(matches!(
        error(502, json!("<html>")),
        ConnectorError::Processor { .. }
    ));
    let external = error(424, json!({"error": {"type": "api_error"}}));
    assert!(matches!(
        external,
        ConnectorError::Processor {
            outcome_unknown: false,
            ..
        }
    ));

    // A 402 outside authorize and increment is a rejection, never an `Ok`.
    let refund = stripe()
        .refund(&RefundRequest::new("pi_3P1", Currency::USD, None))
        .unwrap();
    let err = done(
        refund,
        402,
        json!({"error": {"type": "card_error", "code": "card_declined"}}),
    )
    .unwrap_err();
    assert!(matches!(err, ConnectorError::Rejected { .. }), "{err:?}");

    // An unreadable 200 on a capture may still have captured.
    let err = done(capture(), 200, json!({"unexpected": true})).unwrap_err();
    assert!(err.outcome_unknown());
}

#[test]
fn answers_that_cannot_be_trusted_are_refused() {
    let req = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "r");
    let mut other_currency = intent("succeeded", 1000, 0, 1000);
    other_currency["currency"] = json!("eur");
    let mut empty_id = intent("succeeded", 1000, 0, 1000);
    empty_id["id"] = json!(" ");
    let mut negative = intent("requires_capture", 1000, 1000, 0);
    negative["latest_charge"]["amount_refunded"] = json!(-1);
    for body in [other_currency, empty_id, negative] {
        let err = done(intent_step(&req), 200, body).unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::InvalidResponse {
                    outcome_unknown: true,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn retry_hint_reads_stripe_should_retry() {
    let with = |status: u16, header: Option<&'static str>| {
        let mut resp = HttpResponse::new(status, "{}");
        if let Some(value) = header {
            resp.headers
                .insert("stripe-should-retry", HeaderValue::from_static(value));
        }
        retry_hint(&resp)
    };
    assert_eq!(with(500, Some("false")), Some(false));
    assert_eq!(with(400, Some("true")), Some(true));
    assert_eq!(with(409, None), Some(true));
    assert_eq!(with(409, Some("false")), Some(false));
    assert_eq!(with(429, None), None);
    assert_eq!(with(503, None), None);
    assert_eq!(with(400, Some("maybe")), None);
    let profile = stripe().wire_profile();
    assert_eq!(profile.idempotency_header, "idempotency-key");
    assert_eq!(profile.key_reuse, KeyReuse::ReplaysAll);
}

#[test]
fn configuration() {
    let mut config = config();
    config
        .extra
        .insert("stripe_version".into(), "2024-06-20".into());
    let exchange = Stripe::new(&config)
        .unwrap()
        .void(&VoidRequest {
            idempotency_key: key("v"),
            connector_payment_id: "pi_1".into(),
            reason: None,
        })
        .unwrap();
    assert_eq!(exchange.request().headers["stripe-version"], "2024-06-20");
    config
        .extra
        .insert("stripe_version".into(), "bad\nvalue".into());
    assert!(Stripe::new(&config).is_err());
    config.extra.remove("stripe_version");
    config
        .extra
        .insert("webhook_tolerance_seconds".into(), "soon".into());
    assert!(Stripe::new(&config).is_err());

    let caps = stripe().capabilities();
    assert!(!caps.supports(Flow::ExtendAuthorization));
    // Session tokens are wallets' (tests/wallets.rs).
    assert!(caps.supports(Flow::SessionToken));
    assert!(caps
        .conditions(Flow::IncrementalAuthorization)
        .contains(&Condition::MaxAttempts { count: 10 }));
    assert_eq!(caps.conditions(Flow::Capture), [Condition::Partial]);
    assert!(matches!(
        stripe().extend_authorization(&ExtendAuthorizationRequest {
            idempotency_key: key("e"),
            connector_payment_id: "pi_1".into(),
            currency: Currency::USD,
            card_network: Some(CardNetwork::Visa),
        }),
        Err(ConnectorError::NotSupported {
            flow: Flow::ExtendAuthorization,
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Webhooks.

fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let message: [&[u8]; 3] = [t.as_bytes(), b".", body];
    SignatureEncoding::Hex.encode(&hmac_sha256(secret.as_bytes(), &message))
}

fn deliver_at(
    stripe: &Stripe,
    body: &[u8],
    header: Option<&str>,
    now: i64,
) -> Result<WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if let Some(header) = header {
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(header).unwrap());
    }
    stripe.verify_webhook(&IncomingWebhook {
        headers: &headers,
        body,
        received_at: time::OffsetDateTime::from_unix_timestamp(now).unwrap(),
    })
}

fn deliver(body: &[u8], header: &str) -> Result<WebhookEvent, WebhookError> {
    deliver_at(&stripe(), body, Some(header), NOW)
}

fn signed(body: &Value) -> Result<WebhookEvent, WebhookError> {
    let body = body.to_string();
    deliver(
        body.as_bytes(),
        &format!("t={NOW},v1={}", sign(SECRET, NOW, body.as_bytes())),
    )
}

fn event(kind: &str, object: Value) -> Value {
    json!({"id": "evt_1", "object": "event", "api_version": "2024-04-10", "created": NOW,
           "livemode": false, "pending_webhooks": 1, "type": kind, "data": {"object": object}})
}

const CAPTURABLE: &str = r#"{"id":"evt_1","object":"event","type":"payment_intent.amount_capturable_updated","data":{"object":{"id":"pi_3P1","object":"payment_intent","status":"requires_capture","amount":1000,"amount_capturable":1000,"amount_received":0,"currency":"usd"}}}"#;

#[test]
fn webhook_signatures() {
    let body = CAPTURABLE.as_bytes();
    let good = sign(SECRET, NOW, body);
    let event = deliver(body, &format!("t={NOW},v1={good}")).unwrap();
    assert_eq!(event.event_id, "evt_1");
    assert_eq!(event.kind, WebhookEventKind::Authorized);
    assert_eq!(event.connector_payment_id.as_deref(), Some("pi_3P1"));
    assert_eq!(event.payment_status, Some(PaymentStatus::RequiresCapture));
    assert_eq!(event.amount, Some(m(1000)));
    assert_eq!(event.currency, Some(Currency::USD));

    // A second v1 (Stripe sends one per active secret), a v0 and unknown schemes.
    let wrong = sign("whsec_unknown", NOW, body);
    assert!(deliver(
        body,
        &format!("t={NOW}, v1={wrong}, v1={good}, v0=abc, x=1")
    )
    .is_ok());
    // The rotated-out secret still verifies.
    let old = sign("whsec_old", NOW, body);
    assert!(deliver(body, &format!("t={NOW},v1={old}")).is_ok());
    // Altered body, wrong secret, v0 only.
    let altered = CAPTURABLE.replace("1000", "9000");
    assert_eq!(
        deliver(altered.as_bytes(), &format!("t={NOW},v1={good}")),
        Err(WebhookError::InvalidSignature)
    );
    assert_eq!(
        deliver(body, &format!("t={NOW},v1={wrong}")),
        Err(WebhookError::InvalidSignature)
    );
    assert_eq!(
        deliver(body, &format!("t={NOW},v1=zz,v1={wrong}")),
        Err(WebhookError::InvalidSignature)
    );
    // The signature covers t: another t fails, even within the tolerance.
    assert_eq!(
        deliver(body, &format!("t={},v1={good}", NOW - 1)),
        Err(WebhookError::InvalidSignature)
    );
    // Stale or future beyond 300 s, measured from the arrival.
    for t in [NOW - 301, NOW + 301] {
        let header = format!("t={t},v1={}", sign(SECRET, t, body));
        assert!(matches!(
            deliver(body, &header),
            Err(WebhookError::StaleTimestamp {
                tolerance_seconds: 300,
                ..
            })
        ));
    }
    let header = format!("t={},v1={}", NOW - 300, sign(SECRET, NOW - 300, body));
    assert!(deliver(body, &header).is_ok());
    // Malformed headers.
    for header in [
        String::new(),
        format!("v1={good}"),
        format!("t={NOW}"),
        format!("t={NOW},v0={good}"),
        format!("t=yesterday,v1={good}"),
        format!("t={NOW};v1={good}"),
        format!("t={NOW},v1=not-hex"),
    ] {
        assert!(
            matches!(
                deliver(body, &header),
                Err(WebhookError::MalformedSignature(_))
            ),
            "{header:?}: {:?}",
            deliver(body, &header)
        );
    }
    assert_eq!(
        deliver_at(&stripe(), body, None, NOW),
        Err(WebhookError::MissingSignature(SIGNATURE_HEADER))
    );
    let unsigned = Stripe::new(&ConnectorConfig::new(
        "http://sim.test/".parse().unwrap(),
        "sk_test_abc",
    ))
    .unwrap();
    assert_eq!(
        deliver_at(&unsigned, body, Some(&format!("t={NOW},v1={good}")), NOW),
        Err(WebhookError::NoSecret)
    );
    // The tolerance is configurable.
    let mut config = config();
    config
        .extra
        .insert("webhook_tolerance_seconds".into(), "30".into());
    let strict = Stripe::new(&config).unwrap();
    let header = format!("t={},v1={}", NOW - 31, sign(SECRET, NOW - 31, body));
    assert!(deliver_at(&strict, body, Some(&header), NOW).is_err());
}

#[test]
fn webhook_events_map() {
    use WebhookEventKind as K;
    let pi = |status: &str| {
        json!({"id": "pi_3P1", "object": "payment_intent", "status": status,
        "amount": 1000, "amount_capturable": 0, "amount_received": 1000, "currency": "usd"})
    };
    let failed = json!({"id": "pi_3P1", "object": "payment_intent", "status": "requires_payment_method", "amount": 1000,
        "currency": "usd", "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "stolen_card"}});
    let charge = json!({"id": "ch_3P1", "object": "charge", "amount": 1000, "amount_captured": 600,
        "amount_refunded": 200, "currency": "usd", "payment_intent": "pi_3P1"});
    let refund = |status: &str| {
        json!({"id": "re_1", "object": "refund", "amount": 200, "currency": "usd",
        "status": status, "payment_intent": "pi_3P1", "failure_reason": "lost_or_stolen_card"})
    };
    let cases = [
        (
            event("payment_intent.succeeded", pi("succeeded")),
            K::Captured,
            Some(PaymentStatus::Succeeded),
            Some(1000),
        ),
        (
            event("payment_intent.payment_failed", failed),
            K::AuthorizationFailed,
            Some(PaymentStatus::Failed),
            Some(1000),
        ),
        (
            event("payment_intent.canceled", pi("canceled")),
            K::Voided,
            Some(PaymentStatus::Cancelled),
            Some(1000),
        ),
        (
            event("payment_intent.requires_action", pi("requires_action")),
            K::ActionRequired,
            Some(PaymentStatus::RequiresCustomerAction),
            Some(1000),
        ),
        (
            event("payment_intent.processing", pi("processing")),
            K::Processing,
            Some(PaymentStatus::Processing),
            Some(1000),
        ),
        (
            event("charge.captured", charge.clone()),
            K::Captured,
            Some(PaymentStatus::PartiallyCaptured),
            Some(600),
        ),
        (
            event("charge.refunded", charge),
            K::Refunded,
            None,
            Some(200),
        ),
        (
            event("refund.created", refund("pending")),
            K::RefundPending,
            None,
            Some(200),
        ),
        (
            event("refund.updated", refund("succeeded")),
            K::Refunded,
            None,
            Some(200),
        ),
        (
            event("charge.refund.updated", refund("failed")),
            K::RefundFailed,
            None,
            Some(200),
        ),
        (
            event("refund.failed", refund("failed")),
            K::RefundFailed,
            None,
            Some(200),
        ),
        (
            event(
                "customer.created",
                json!({"id": "cus_1", "object": "customer"}),
            ),
            K::Other,
            None,
            None,
        ),
    ];
    for (body, kind, status, amount) in cases {
        let event = signed(&body).unwrap();
        assert_eq!(event.kind, kind, "{}", event.raw_type);
        assert_eq!(event.payment_status, status, "{}", event.raw_type);
        assert_eq!(event.amount, amount.map(m), "{}", event.raw_type);
        let failure = matches!(kind, K::AuthorizationFailed | K::RefundFailed);
        assert_eq!(event.decline.is_some(), failure, "{}", event.raw_type);
        if kind != K::Other {
            assert_eq!(
                event.connector_payment_id.as_deref(),
                Some("pi_3P1"),
                "{}",
                event.raw_type
            );
        }
    }
    let failed = signed(&event("payment_intent.payment_failed", json!({"id": "pi_3P1", "object": "payment_intent",
        "status": "requires_payment_method", "last_payment_error": {"type": "card_error", "decline_code": "stolen_card"}})))
    .unwrap();
    assert_eq!(failed.decline.unwrap().unified, DeclineCode::LostOrStolen);
    let refund_failed = signed(&event("refund.failed", refund("failed"))).unwrap();
    assert_eq!(refund_failed.connector_action_id.as_deref(), Some("re_1"));
    assert_eq!(
        refund_failed.decline.unwrap().code.as_deref(),
        Some("lost_or_stolen_card")
    );

    for object in [
        json!({"id": "pi_1", "object": "payment_intent", "amount": -5, "currency": "usd"}),
        json!({"id": "ch_1", "object": "charge", "amount_refunded": -1}),
        json!({"id": "pi_1", "object": "payment_intent", "amount": 5, "currency": "zzz"}),
        json!({"id": "pi_1", "object": "payment_intent", "amount": 500, "currency": "isk"}),
    ] {
        let verdict = signed(&event("payment_intent.succeeded", object));
        assert!(
            matches!(verdict, Err(WebhookError::MalformedBody(_))),
            "{verdict:?}"
        );
    }
    let mut empty_id = event("payment_intent.succeeded", pi("succeeded"));
    empty_id["id"] = json!("");
    assert!(matches!(
        signed(&empty_id),
        Err(WebhookError::MalformedBody(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Lookups by reference.

fn listed(id: &str, reference: Option<&str>) -> Value {
    let mut pi = intent("requires_capture", 1000, 1000, 0);
    pi["id"] = json!(id);
    pi["metadata"] = reference.map_or_else(|| json!({}), |r| json!({"reference": r}));
    pi
}

fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "url": url, "data": data, "has_more": has_more})
}

/// Feeds `pages` to a lookup one by one, checking each request's path and query, and returns
/// the last answer (or the error).
fn pages<T: 'static>(
    mut exchange: Exchange<T>,
    path: &str,
    pages: &[(&str, Value)],
) -> Result<T, ConnectorError> {
    for (i, (query, body)) in pages.iter().enumerate() {
        let request = exchange.request();
        assert_eq!(request.method, "GET");
        assert_eq!(request.url.path(), path);
        assert_eq!(request.url.query(), Some(*query), "page {}", i + 1);
        assert_eq!(request.headers["authorization"], "Bearer sk_test_abc");
        assert_eq!(request.headers["stripe-version"], "2024-04-10");
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

fn payment_lookup(reference: &str, sent_at: Option<i64>) -> Exchange<PaymentLookupResponse> {
    let mut req = PaymentLookupRequest::new(reference);
    req.sent_at = sent_at.map(|t| time::OffsetDateTime::from_unix_timestamp(t).unwrap());
    stripe().find_payment(&req).unwrap()
}

const WINDOW: &str = "created[gte]=1711999940&created[lte]=1712000180&limit=100";

#[test]
fn payment_lookup_lists_the_window_around_the_send_time() {
    let data = vec![
        listed("pi_newer", Some("ORD-10")),
        listed("pi_plain", None),
        listed("pi_ours", Some("ORD-1")),
        listed("pi_older", Some("ORD-1")),
    ];
    let found = pages(
        payment_lookup("ORD-1", Some(NOW)),
        "/base/v1/payment_intents",
        &[(WINDOW, list("/v1/payment_intents", data.clone(), false))],
    );
    assert_eq!(
        found.unwrap().connector_payment_id.as_deref(),
        Some("pi_ours")
    );
    let missing = pages(
        payment_lookup("ORD-2", Some(NOW)),
        "/base/v1/payment_intents",
        &[(WINDOW, list("/v1/payment_intents", data, false))],
    );
    assert_eq!(missing.unwrap().connector_payment_id, None);
    // Without a send time: the account's newest PaymentIntents.
    let unknown_time = pages(
        payment_lookup("ORD-1", None),
        "/base/v1/payment_intents",
        &[(
            "limit=100",
            list(
                "/v1/payment_intents",
                vec![listed("pi_x", Some("ORD-1"))],
                false,
            ),
        )],
    );
    assert_eq!(
        unknown_time.unwrap().connector_payment_id.as_deref(),
        Some("pi_x")
    );
}

#[test]
fn payment_lookup_pages_with_starting_after_while_has_more() {
    let page = |from: usize, more: bool| {
        let data = (from..from + 100)
            .map(|i| listed(&format!("pi_{i}"), Some("other")))
            .collect();
        list("/v1/payment_intents", data, more)
    };
    let found = pages(
        payment_lookup("ORD-1", Some(NOW)),
        "/base/v1/payment_intents",
        &[
            (WINDOW, page(0, true)),
            (&format!("{WINDOW}&starting_after=pi_99"), page(100, true)),
            (
                &format!("{WINDOW}&starting_after=pi_199"),
                list(
                    "/v1/payment_intents",
                    vec![listed("pi_deep", Some("ORD-1"))],
                    true,
                ),
            ),
        ],
    );
    assert_eq!(
        found.unwrap().connector_payment_id.as_deref(),
        Some("pi_deep")
    );
    let ended = pages(
        payment_lookup("ORD-1", Some(NOW)),
        "/base/v1/payment_intents",
        &[
            (WINDOW, page(0, true)),
            (&format!("{WINDOW}&starting_after=pi_99"), page(100, false)),
        ],
    );
    assert_eq!(ended.unwrap().connector_payment_id, None);
    // Every page read (`MAX_PAGES`) and Stripe has more: the lookup cannot tell, so it says so.
    let queries: Vec<String> = (0..paybridge_stripe::lookup::MAX_PAGES as usize)
        .map(|p| match p {
            0 => WINDOW.to_owned(),
            p => format!("{WINDOW}&starting_after=pi_{}", p * 100 - 1),
        })
        .collect();
    let all_full: Vec<(&str, Value)> = queries
        .iter()
        .enumerate()
        .map(|(p, q)| (q.as_str(), page(p * 100, true)))
        .collect();
    let cut_short = pages(
        payment_lookup("ORD-1", Some(NOW)),
        "/base/v1/payment_intents",
        &all_full,
    );
    assert!(
        matches!(
            cut_short,
            Err(ConnectorError::InvalidResponse {
                http_status: 200,
                outcome_unknown: false,
                ..
            })
        ),
        "{cut_short:?}"
    );
}

#[test]
fn lookup_answers_that_cannot_be_read_are_typed_errors() {
    for body in [
        json!({"object": "list", "data": [], "has_more": true}),
        json!({"object": "list", "data": [{"metadata": {"reference": "ORD-1"}}], "has_more": false}),
        json!({"object": "list", "data": [{"id": "pi_1", "metadata": {"reference": ["ORD-1"]}}], "has_more": false}),
        json!({"object": "list", "data": {"id": "pi_1"}, "has_more": false}),
        json!({"object": "list", "data": []}),
        intent("requires_capture", 1000, 1000, 0),
    ] {
        let err = payment_lookup("ORD-1", Some(NOW))
            .parse(HttpResponse::new(200, body.to_string()))
            .err()
            .unwrap_or_else(|| panic!("{body} was read"));
        assert!(
            matches!(err, ConnectorError::InvalidResponse { .. }),
            "{body}: {err:?}"
        );
    }
    let denied = payment_lookup("ORD-1", None)
        .parse(HttpResponse::new(
            401,
            json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
                .to_string(),
        ))
        .err()
        .unwrap();
    assert!(
        matches!(denied, ConnectorError::Authentication(_)),
        "{denied:?}"
    );
}

fn stripe_refund(id: &str, reference: Option<&str>, status: &str, amount: i64) -> Value {
    json!({"id": id, "object": "refund", "amount": amount, "currency": "usd", "status": status,
           "payment_intent": "pi_3P1", "charge": "ch_3P1", "created": 1712000100,
           "failure_reason": if status == "failed" { json!("expired_or_canceled_card") } else { Value::Null },
           "metadata": reference.map_or_else(|| json!({}), |r| json!({"reference": r}))})
}

fn refund_lookup(reference: &str) -> Exchange<RefundLookupResponse> {
    stripe()
        .find_refund(&RefundLookupRequest {
            connector_payment_id: "pi_3P1".into(),
            reference: reference.into(),
        })
        .unwrap()
}

#[test]
fn refund_lookup_lists_the_payments_refunds() {
    let data = vec![
        stripe_refund("re_3", Some("RF-2"), "failed", 200),
        stripe_refund("re_2", Some("RF-1"), "succeeded", 300),
        stripe_refund("re_1", None, "succeeded", 100),
    ];
    let query = "payment_intent=pi_3P1&limit=100";
    let found = pages(
        refund_lookup("RF-1"),
        "/base/v1/refunds",
        &[(query, list("/v1/refunds", data.clone(), false))],
    )
    .unwrap();
    assert_eq!(
        found.refund,
        Some(RefundResponse {
            connector_refund_id: "re_2".into(),
            status: RefundStatus::Succeeded,
            amount: Some(m(300)),
            failure_reason: None,
            raw_status: "succeeded".into(),
        })
    );
    let failed = pages(
        refund_lookup("RF-2"),
        "/base/v1/refunds",
        &[(query, list("/v1/refunds", data.clone(), false))],
    )
    .unwrap()
    .refund
    .unwrap();
    assert_eq!(failed.status, RefundStatus::Failed);
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("expired_or_canceled_card")
    );
    let none = pages(
        refund_lookup("RF-3"),
        "/base/v1/refunds",
        &[(query, list("/v1/refunds", data.clone(), false))],
    );
    assert_eq!(none.unwrap().refund, None);
    // A second page, after the last refund of the first.
    let second = pages(
        refund_lookup("RF-9"),
        "/base/v1/refunds",
        &[
            (query, list("/v1/refunds", data, true)),
            (
                "payment_intent=pi_3P1&limit=100&starting_after=re_1",
                list(
                    "/v1/refunds",
                    vec![stripe_refund("re_0", Some("RF-9"), "pending", 50)],
                    false,
                ),
            ),
        ],
    )
    .unwrap()
    .refund
    .unwrap();
    assert_eq!(
        (second.connector_refund_id.as_str(), second.status),
        ("re_0", RefundStatus::Pending)
    );
    let unknown_payment = refund_lookup("RF-1")
        .parse(HttpResponse::new(
            404,
            json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                             "param": "payment_intent", "message": "No such payment_intent: 'pi_3P1'"}})
                .to_string(),
        ))
        .err()
        .unwrap();
    assert!(
        matches!(
            unknown_payment,
            ConnectorError::Rejected {
                kind: RejectionKind::NotFound,
                ..
            }
        ),
        "{unknown_payment:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A raw card: a PaymentMethod first, then the PaymentIntent.

#[test]
fn the_payment_method_step_charges_nothing_whatever_it_answers() {
    let mut req = AuthorizeRequest::new(m(1000), Currency::USD, card(Some("J Smith")), "r");
    req.idempotency_key = key("pay-7");
    let authorize = |req: &AuthorizeRequest| stripe().authorize(req).unwrap();
    let first = || authorize(&req);

    // The same request gives the same keys: a retry or a resume makes Stripe replay both.
    assert_eq!(
        first().request().idempotency_key,
        Some(key("pay-7-payment_method"))
    );
    assert_eq!(
        intent_step(&req).request().idempotency_key,
        Some(key("pay-7"))
    );

    // The card's number, CVC, expiry and holder never reach a log.
    let profile = stripe().wire_profile();
    let shown = paybridge_core::masking::mask_body(
        Some(paybridge_core::http::ContentType::Form),
        form(&first()).as_bytes(),
        profile.sensitive_fields,
    );
    assert_eq!(
        shown,
        "type=card&card[number]=***&card[exp_month]=***&card[exp_year]=***&card[cvc]=***\
         &billing_details[name]=***"
    );

    // Card data Stripe refuses: a rejection naming the field, nothing charged, no next step.
    let incorrect = json!({"error": {"type": "card_error", "code": "incorrect_number",
        "message": "Your card number is incorrect.", "param": "card[number]",
        "doc_url": "https://stripe.com/docs/error-codes/incorrect-number"}});
    let err = done(first(), 402, incorrect).unwrap_err();
    assert!(
        matches!(
            &err,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
    let detail = err.processor_message().unwrap();
    assert_eq!(detail.http_status, Some(402));
    assert_eq!(
        detail.codes,
        ["incorrect_number", "card_error", "param:card[number]"]
    );
    assert_eq!(
        detail.message.as_deref(),
        Some("Your card number is incorrect.")
    );

    // A 5xx, or an answer we cannot read: a PaymentMethod may exist, a payment cannot.
    for (status, body) in [
        (
            500,
            json!({"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        ),
        (200, json!({"object": "payment_method"})),
        (200, json!({"id": " ", "object": "payment_method"})),
    ] {
        let err = done(first(), status, body).unwrap_err();
        assert!(!err.outcome_unknown(), "{status}: {err:?}");
        assert_eq!(err.http_status(), Some(status));
    }
    // The key reused with other card data (another payment's key): a conflict, said as such.
    let reused = json!({"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}});
    assert!(matches!(
        done(first(), 400, reused).unwrap_err(),
        ConnectorError::IdempotencyConflict { .. }
    ));

    // A key already at Stripe's 255 characters still derives a distinct, valid one.
    req.idempotency_key = key(&"k".repeat(255));
    let derived = authorize(&req).request().idempotency_key.clone().unwrap();
    assert!(derived.as_str().len() <= 255);
    assert_ne!(derived, req.idempotency_key);
}

// ---------------------------------------------------------------------------------------------
// HTTP 402: a decline only as a card error carrying its PaymentIntent.

/// Stripe's answer to raw card numbers on an account without raw card data access.
fn raw_cards_refused() -> Value {
    json!({"error": {"type": "invalid_request_error",
        "message": "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_x?t=1"}})
}

fn assert_validation(err: &ConnectorError, codes: &[&str], message: &str) {
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown(), "{err:?}");
    let detail = err.processor_message().unwrap();
    assert_eq!(detail.http_status, Some(402));
    assert_eq!(detail.codes, codes);
    assert!(
        detail
            .message
            .as_deref()
            .unwrap_or_default()
            .starts_with(message),
        "{detail:?}"
    );
}

#[test]
fn a_402_invalid_request_error_is_a_validation_rejection_on_every_path() {
    let by_token = AuthorizeRequest::new(m(1000), Currency::USD, token("pm_card_visa"), "r");
    let by_card = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "r");
    let unsafe_text = "Sending credit card numbers directly";
    // With a PaymentIntent embedded too: the type decides, never the embedded object.
    let mut with_intent = raw_cards_refused();
    with_intent["error"]["payment_intent"] = intent("requires_payment_method", 1000, 0, 0);
    for body in [raw_cards_refused(), with_intent] {
        let answers = [
            done(stripe().authorize(&by_token).unwrap(), 402, body.clone()).map(|_| ()),
            done(stripe().authorize(&by_card).unwrap(), 402, body.clone()).map(|_| ()),
            done(intent_step(&by_card), 402, body.clone()).map(|_| ()),
            done(
                stripe()
                    .increment_authorization(&increment(5000, 7500))
                    .unwrap(),
                402,
                body.clone(),
            )
            .map(|_| ()),
        ];
        for answer in answers {
            assert_validation(
                &answer.unwrap_err(),
                &["invalid_request_error"],
                unsafe_text,
            );
        }
    }
}

#[test]
fn a_402_card_error_without_its_payment_intent_is_a_rejection_with_the_decline_codes() {
    let declined = json!({"error": {"type": "card_error", "code": "card_declined",
        "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
        "advice_code": "try_again_later"}});
    let by_token = AuthorizeRequest::new(m(1000), Currency::USD, token("pm_card_visa"), "r");
    let by_card = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "r");
    // An embedded PaymentIntent that cannot be read is no PaymentIntent either.
    let mut unreadable = declined.clone();
    unreadable["error"]["payment_intent"] = json!({"id": "pi_3P1"});
    for body in [declined.clone(), unreadable] {
        for exchange in [
            stripe().authorize(&by_token).unwrap(),
            stripe().authorize(&by_card).unwrap(),
            intent_step(&by_card),
        ] {
            let err = done(exchange, 402, body.clone()).unwrap_err();
            assert_validation(
                &err,
                &["card_declined", "insufficient_funds", "card_error"],
                "Your card has insufficient funds.",
            );
        }
    }
    // An increment's answer needs no payment id: there it is the issuer's verdict.
    let answer = done(
        stripe()
            .increment_authorization(&increment(5000, 7500))
            .unwrap(),
        402,
        declined,
    )
    .unwrap();
    assert_eq!(answer.status, AuthorizationStatus::Failure);
    assert_eq!(answer.authorized, m(5000));
    let decline = answer.decline.unwrap();
    assert_eq!(decline.code.as_deref(), Some("insufficient_funds"));
    assert_eq!(decline.unified, DeclineCode::InsufficientFunds);
}

// ---------------------------------------------------------------------------------------------
// Absent amounts: the document does not require `amount_capturable` nor `amount_received`.

/// `intent` without `amount_capturable`, `amount_received` and the charge's `amount_captured`.
fn sparse(status: &str, amount: i64) -> Value {
    let mut body = intent(status, amount, 0, 0);
    for field in ["amount_capturable", "amount_received"] {
        body.as_object_mut().unwrap().remove(field);
    }
    body["latest_charge"]
        .as_object_mut()
        .unwrap()
        .remove("amount_captured");
    body
}

#[test]
fn absent_amounts_follow_the_status_never_zero_by_default() {
    let sync = PaymentSyncRequest {
        connector_payment_id: "pi_3P1".into(),
        capture_method: CaptureMethod::Manual,
    };
    let read = |body: Value| done(stripe().sync_payment(&sync).unwrap(), 200, body).unwrap();

    // Authorized for capture: all of it capturable, nothing received.
    let mut manual = AuthorizeRequest::new(m(1000), Currency::USD, token("pm_card_visa"), "r");
    manual.capture_method = CaptureMethod::Manual;
    let payment = done(
        stripe().authorize(&manual).unwrap(),
        200,
        sparse("requires_capture", 1000),
    )
    .unwrap();
    assert_eq!(payment.status, PaymentStatus::RequiresCapture);
    assert_eq!(
        payment.amounts,
        PaymentAmounts {
            authorized: m(1000),
            capturable: m(1000),
            received: m(0),
            refunded: m(0)
        }
    );
    // Captured automatically: all of it received, not a partial capture of nothing.
    let automatic = AuthorizeRequest::new(m(1000), Currency::USD, card(None), "r");
    let payment = done(intent_step(&automatic), 200, sparse("succeeded", 1000)).unwrap();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    assert_eq!(payment.amounts.received, m(1000));
    assert_eq!(payment.amounts.capturable, m(0));
    // Unexpanded charge: the same.
    let mut unexpanded = sparse("succeeded", 1000);
    unexpanded["latest_charge"] = json!("ch_3P1");
    assert_eq!(read(unexpanded).status, PaymentStatus::Succeeded);
    // The expanded charge's `amount_captured` tells a partial capture apart.
    let mut partial = sparse("succeeded", 1000);
    partial["latest_charge"]["amount_captured"] = json!(600);
    let payment = read(partial);
    assert_eq!(payment.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(payment.amounts.received, m(600));
    let mut multicapture = sparse("requires_capture", 1000);
    multicapture["latest_charge"]["amount_captured"] = json!(400);
    let payment = read(multicapture);
    assert_eq!(
        payment.status,
        PaymentStatus::PartiallyCapturedAndCapturable
    );
    assert_eq!(
        (payment.amounts.capturable, payment.amounts.received),
        (m(600), m(400))
    );
    // Nothing authorized or nothing known yet: zero, and the status says which.
    for (status, unified) in [
        ("canceled", PaymentStatus::Cancelled),
        (
            "requires_payment_method",
            PaymentStatus::RequiresPaymentMethod,
        ),
        ("requires_action", PaymentStatus::RequiresCustomerAction),
        ("processing", PaymentStatus::Processing),
    ] {
        let payment = read(sparse(status, 1000));
        assert_eq!(payment.status, unified, "{status}");
        assert_eq!(
            (payment.amounts.capturable, payment.amounts.received),
            (m(0), m(0)),
            "{status}"
        );
    }
    // Present amounts are read as they are.
    assert_eq!(
        read(intent("requires_capture", 1000, 700, 0))
            .amounts
            .capturable,
        m(700)
    );

    // A capture's answer without them: the whole amount received.
    let capture = CaptureRequest::new("pi_3P1", Currency::USD, None);
    let captured = done(
        stripe().capture(&capture).unwrap(),
        200,
        sparse("succeeded", 1000),
    )
    .unwrap();
    assert_eq!(captured.status, PaymentStatus::Succeeded);
    assert_eq!(captured.amount, Some(m(1000)));
    assert_eq!(captured.amounts.unwrap().received, m(1000));
}

#[test]
fn webhooks_without_the_amounts_follow_the_status_too() {
    let pi = |status: &str| {
        json!({"id": "pi_3P1", "object": "payment_intent", "status": status,
               "amount": 1000, "currency": "usd"})
    };
    let succeeded = signed(&event("payment_intent.succeeded", pi("succeeded"))).unwrap();
    assert_eq!(succeeded.kind, WebhookEventKind::Captured);
    assert_eq!(succeeded.payment_status, Some(PaymentStatus::Succeeded));
    assert_eq!(succeeded.amount, Some(m(1000)));
    let authorized = signed(&event(
        "payment_intent.amount_capturable_updated",
        pi("requires_capture"),
    ))
    .unwrap();
    assert_eq!(
        authorized.payment_status,
        Some(PaymentStatus::RequiresCapture)
    );
    assert_eq!(authorized.amount, Some(m(1000)));
    // Given, they are read as they are.
    let mut partial = pi("succeeded");
    partial["amount_received"] = json!(600);
    let partial = signed(&event("payment_intent.succeeded", partial)).unwrap();
    assert_eq!(
        partial.payment_status,
        Some(PaymentStatus::PartiallyCaptured)
    );
    assert_eq!(partial.amount, Some(m(600)));
}
