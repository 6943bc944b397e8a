//! Wallets without a server: the sheets session token builds, the exact calls a Google Pay or
//! Apple Pay token becomes (`POST /v1/tokens`, `POST /v1/payment_methods` with `card[token]`,
//! the PaymentIntent), their errors, and that no token bytes reach an error, a `Debug` or a
//! masked body.

#![allow(clippy::unwrap_used)]

use paybridge_core::details::CountryCode;
use paybridge_core::http::{ContentType, Exchange, HttpResponse, Plan, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::url::form_urlencoded;
use paybridge_core::wallet::apple_pay::ApplePayToken;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::*;
use paybridge_stripe::Stripe;
use serde_json::{json, Value};

const PK: &str = "pk_test_51Hwallet";
/// Parts of the Apple Pay token below that must never be shown.
const APPLE_SECRETS: [&str; 5] = [
    "t7GeajLB9skXB6QSWfEpPA4WPhD",
    "MIAGCSqGSIb3DQEHAqCAMIACAQExDzAN",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX1ie",
    "3cee89679130a4b2617c76118a1c62fd",
    "ApplePayStubs~4242",
];

fn config(publishable_key: Option<&str>) -> ConnectorConfig {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_test_abc");
    if let Some(key) = publishable_key {
        config.extra.insert("publishable_key".into(), key.into());
    }
    config
}

fn stripe() -> Stripe {
    Stripe::new(&config(Some(PK))).unwrap()
}

fn session_request(wallets: Vec<Wallet>) -> SessionTokenRequest {
    SessionTokenRequest {
        reference: "pay_1".into(),
        amount: MinorUnit::new(1234).unwrap(),
        currency: Currency::USD,
        wallets,
        merchant: WalletMerchant::new("Example Store", CountryCode::new("US").unwrap()),
    }
}

fn sessions(stripe: &Stripe, wallets: Vec<Wallet>) -> Vec<WalletSession> {
    match stripe.session_token(&session_request(wallets)).unwrap() {
        Plan::Ready(answer) => answer.sessions,
        Plan::Send(exchange) => panic!("session token called Stripe: {exchange:?}"),
    }
}

fn payment_data() -> Value {
    json!({
        "version": "EC_v1",
        "data": "t7GeajLB9skXB6QSWfEpPA4WPhD+x/y=",
        "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzAN",
        "header": {
            "ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX1ie",
            "publicKeyHash": "tqYV+tmG9aMh+l/K6cicUnPqkb1gUiLjSTM9gEz6Nl0=",
            "transactionId": "3cee89679130a4b2617c76118a1c62fd"
        }
    })
}

fn apple_pay() -> PaymentMethod {
    let token = ApplePayToken::new(
        &payment_data().to_string(),
        Some("Visa".into()),
        Some("Visa 0224".into()),
        Some("ApplePayStubs~4242424242424242~1234~USD".into()),
    )
    .unwrap();
    PaymentMethod::Wallet(WalletToken::ApplePay(token))
}

/// Stripe's token object, as Google Pay returns it for gateway `stripe`.
fn stripe_google_token(id: &str) -> String {
    json!({"id": id, "object": "token", "type": "card", "used": false, "livemode": false,
           "created": 1_700_000_000,
           "card": {"object": "card", "brand": "Visa", "last4": "4242", "exp_month": 12,
                    "exp_year": 2030, "tokenization_method": "android_pay"}})
    .to_string()
}

fn google_pay(token: &str) -> PaymentMethod {
    let token = GooglePayToken::new(token, Some("VISA".into()), Some("4242".into())).unwrap();
    PaymentMethod::Wallet(WalletToken::GooglePay(token))
}

/// Another gateway's token: Google's ECv2 message.
fn ecv2_token() -> String {
    json!({
        "protocolVersion": "ECv2",
        "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6sJNXxOEi4r",
        "intermediateSigningKey": {"signedKey": "{\"keyValue\":\"MFkw\",\"keyExpiration\":\"1\"}", "signatures": ["MEYC"]},
        "signedMessage": "{\"encryptedMessage\":\"ZW5jcnlwdGVkTWVzc2FnZQ\",\"ephemeralPublicKey\":\"y\",\"tag\":\"z\"}"
    })
    .to_string()
}

fn authorize(method: PaymentMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::USD,
        method,
        "ORD-1",
    );
    req.idempotency_key = IdempotencyKey::new("key-1").unwrap();
    req.capture_method = CaptureMethod::Manual;
    req
}

fn pairs<T>(exchange: &Exchange<T>) -> Vec<(String, String)> {
    let body = exchange.request().body_text().unwrap();
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn key<T>(exchange: &Exchange<T>) -> String {
    exchange
        .request()
        .idempotency_key
        .as_ref()
        .unwrap()
        .as_str()
        .to_owned()
}

fn next<T: 'static>(exchange: Exchange<T>, status: u16, body: Value) -> Exchange<T> {
    match exchange.parse(HttpResponse::new(status, body.to_string())) {
        Ok(Step::Next(next)) => *next,
        Ok(Step::Done(_)) => panic!("the flow ended early"),
        Err(e) => panic!("{e:?}"),
    }
}

fn fails<T: 'static>(exchange: Exchange<T>, status: u16, body: Value) -> ConnectorError {
    match exchange.parse(HttpResponse::new(status, body.to_string())) {
        Err(e) => e,
        Ok(_) => panic!("HTTP {status} was not an error"),
    }
}

fn token_created(id: &str) -> Value {
    json!({"id": id, "object": "token", "type": "card", "used": false, "livemode": false,
           "created": 1_712_000_000, "client_ip": null,
           "card": {"id": "card_1", "object": "card", "brand": "Visa", "last4": "4242",
                    "dynamic_last4": "4242", "exp_month": 12, "exp_year": 2030,
                    "funding": "credit", "tokenization_method": "apple_pay"}})
}

fn payment_method(id: &str) -> Value {
    json!({"id": id, "object": "payment_method", "type": "card", "created": 1_712_000_000,
           "livemode": false, "customer": null, "metadata": {},
           "billing_details": {"address": null, "email": null, "name": null, "phone": null},
           "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030,
                    "funding": "credit"}})
}

fn intent(status: &str) -> Value {
    json!({"id": "pi_W1", "object": "payment_intent", "status": status, "amount": 1000,
           "amount_capturable": 1000, "amount_received": 0, "currency": "usd",
           "capture_method": "manual", "created": 1_712_000_000, "livemode": false,
           "payment_method_types": ["card"], "last_payment_error": null, "next_action": null,
           "metadata": {"reference": "ORD-1"}})
}

fn shows_no_apple_bytes(text: &str) {
    for secret in APPLE_SECRETS {
        assert!(!text.contains(secret), "{secret} shown in {text}");
    }
}

#[test]
fn the_google_pay_sheet_names_gateway_stripe_with_version_and_publishable_key() {
    let sessions = sessions(&stripe(), vec![Wallet::GooglePay]);
    let [WalletSession::GooglePay(sheet)] = sessions.as_slice() else {
        panic!("{sessions:?}");
    };
    assert_eq!(
        serde_json::to_value(sheet).unwrap(),
        json!({
            "apiVersion": 2,
            "apiVersionMinor": 0,
            "merchantInfo": {"merchantName": "Example Store"},
            "allowedPaymentMethods": [{
                "type": "CARD",
                "parameters": {
                    "allowedAuthMethods": ["PAN_ONLY", "CRYPTOGRAM_3DS"],
                    "allowedCardNetworks": ["VISA", "MASTERCARD", "AMEX", "DISCOVER", "JCB"]
                },
                "tokenizationSpecification": {
                    "type": "PAYMENT_GATEWAY",
                    "parameters": {
                        "gateway": "stripe",
                        "stripe:publishableKey": PK,
                        "stripe:version": "2024-04-10"
                    }
                }
            }],
            "transactionInfo": {
                "totalPriceStatus": "FINAL",
                "totalPrice": "12.34",
                "currencyCode": "USD",
                "countryCode": "US"
            }
        })
    );
    // The version the connector speaks, when configured.
    let mut other = config(Some(PK));
    other
        .extra
        .insert("stripe_version".into(), "2025-01-27.acacia".into());
    let sessions = sessions_of(&Stripe::new(&other).unwrap());
    let WalletSession::GooglePay(sheet) = &sessions[0] else {
        panic!("{sessions:?}");
    };
    let parameters = &sheet.allowed_payment_methods[0]
        .tokenization_specification
        .parameters;
    assert_eq!(parameters["stripe:version"], "2025-01-27.acacia");
}

fn sessions_of(stripe: &Stripe) -> Vec<WalletSession> {
    sessions(stripe, vec![Wallet::GooglePay])
}

#[test]
fn the_apple_pay_payment_request_offers_the_connectors_networks() {
    let sessions = sessions(&stripe(), vec![Wallet::ApplePay]);
    let [WalletSession::ApplePay(request)] = sessions.as_slice() else {
        panic!("{sessions:?}");
    };
    assert_eq!(
        serde_json::to_value(request).unwrap(),
        json!({
            "countryCode": "US",
            "currencyCode": "USD",
            "total": {"label": "Example Store", "amount": "12.34", "type": "final"},
            "merchantCapabilities": ["supports3DS"],
            "supportedNetworks": ["visa", "masterCard", "amex", "discover", "jcb"]
        })
    );
}

#[test]
fn without_a_publishable_key_google_pay_is_unavailable_and_says_which_setting() {
    let stripe = Stripe::new(&config(None)).unwrap();
    let sessions = sessions(&stripe, vec![Wallet::ApplePay, Wallet::GooglePay]);
    assert!(
        matches!(sessions[0], WalletSession::ApplePay(_)),
        "{sessions:?}"
    );
    match &sessions[1] {
        WalletSession::Unavailable { wallet, reason } => {
            assert_eq!(*wallet, Wallet::GooglePay);
            assert!(
                reason.contains("PAYBRIDGE_STRIPE_PUBLISHABLE_KEY"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The capabilities say the same; both wallets' tokens are taken either way.
    let without = stripe.capabilities();
    let with = self::stripe().capabilities();
    assert!(with.supports(Flow::SessionToken) && without.supports(Flow::SessionToken));
    assert!(with.wallets[&Wallet::GooglePay].session_token);
    assert!(!without.wallets[&Wallet::GooglePay].session_token);
    for caps in [&with, &without] {
        assert!(caps.takes_wallet_payments(Wallet::GooglePay));
        assert!(caps.takes_wallet_payments(Wallet::ApplePay));
        let apple = &caps.wallets[&Wallet::ApplePay];
        assert!(apple.session_token);
        use CardNetwork::*;
        assert_eq!(apple.networks, [Visa, Mastercard, Amex, Discover, Jcb]);
    }
}

#[test]
fn sessions_follow_the_order_asked_and_refuse_amounts_stripe_cannot_send() {
    let sessions = sessions(&stripe(), vec![Wallet::ApplePay, Wallet::GooglePay]);
    assert_eq!(
        sessions
            .iter()
            .map(WalletSession::wallet)
            .collect::<Vec<_>>(),
        [Wallet::ApplePay, Wallet::GooglePay]
    );
    let mut req = session_request(vec![Wallet::ApplePay]);
    req.currency = Currency::ISK;
    assert!(matches!(
        stripe().session_token(&req),
        Err(ConnectorError::InvalidRequest {
            field: "currency",
            ..
        })
    ));
}

#[test]
fn a_publishable_key_that_is_not_one_is_refused_without_showing_it() {
    for bad in ["sk_test_secret1", "pk_test_a b"] {
        let err = Stripe::new(&config(Some(bad))).err().expect(bad);
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("publishable_key"), "{shown}");
        assert!(!shown.contains(bad), "{shown}");
    }
}

#[test]
fn an_apple_pay_token_is_exchanged_at_v1_tokens_then_paid_as_a_card_token() {
    let exchange = stripe().authorize(&authorize(apple_pay())).unwrap();
    // 1. POST /v1/tokens, with the secret key, its own key, moving no money.
    let request = exchange.request();
    assert_eq!(request.method, paybridge_core::http::Method::POST);
    assert_eq!(request.url.path(), "/base/v1/tokens");
    assert_eq!(request.headers["authorization"], "Bearer sk_test_abc");
    assert_eq!(request.headers["stripe-version"], "2024-04-10");
    assert_eq!(key(&exchange), "key-1-token");
    assert!(exchange.moves_no_money());
    let fields = pairs(&exchange);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "pk_token",
            "pk_token_instrument_name",
            "pk_token_payment_network",
            "pk_token_transaction_id"
        ]
    );
    let pk_token: Value = serde_json::from_str(&fields[0].1).unwrap();
    assert_eq!(pk_token, payment_data());
    assert_eq!(fields[1].1, "Visa 0224");
    assert_eq!(fields[2].1, "Visa");
    assert_eq!(fields[3].1, "ApplePayStubs~4242424242424242~1234~USD");

    // 2. The token becomes a PaymentMethod, under the payment method key, moving no money.
    let create = next(exchange, 200, token_created("tok_1Apple"));
    assert_eq!(create.request().url.path(), "/base/v1/payment_methods");
    assert_eq!(
        create.request().headers["authorization"],
        "Bearer sk_test_abc"
    );
    assert_eq!(
        create.request().body_text().unwrap(),
        "type=card&card[token]=tok_1Apple"
    );
    assert_eq!(key(&create), "key-1-payment_method");
    assert!(create.moves_no_money());

    // 3. The PaymentIntent pays with it, under the payment's key: it moves money.
    let pay = next(create, 200, payment_method("pm_1Apple"));
    assert_eq!(pay.request().url.path(), "/base/v1/payment_intents");
    assert_eq!(key(&pay), "key-1");
    assert!(!pay.moves_no_money());
    let body = pay.request().body_text().unwrap();
    assert!(
        body.contains("&payment_method=pm_1Apple&payment_method_types[]=card&"),
        "{body}"
    );
    match pay.parse(HttpResponse::new(
        200,
        intent("requires_capture").to_string(),
    )) {
        Ok(Step::Done(payment)) => {
            assert_eq!(payment.connector_payment_id, "pi_W1");
            assert_eq!(payment.status, PaymentStatus::RequiresCapture);
        }
        _ => panic!("the PaymentIntent's answer did not end the flow"),
    }
}

#[test]
fn an_apple_pay_token_without_its_optional_facts_sends_pk_token_alone() {
    let token = ApplePayToken::new(&payment_data().to_string(), None, None, None).unwrap();
    let req = authorize(PaymentMethod::Wallet(WalletToken::ApplePay(token)));
    let exchange = stripe().authorize(&req).unwrap();
    let fields = pairs(&exchange);
    assert_eq!(
        fields.len(),
        1,
        "{:?}",
        fields.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(fields[0].0, "pk_token");
}

#[test]
fn a_google_pay_token_for_gateway_stripe_is_paid_with_its_tok_id() {
    let req = authorize(google_pay(&stripe_google_token("tok_1Google")));
    let create = stripe().authorize(&req).unwrap();
    assert_eq!(create.request().url.path(), "/base/v1/payment_methods");
    assert_eq!(
        create.request().body_text().unwrap(),
        "type=card&card[token]=tok_1Google"
    );
    assert_eq!(key(&create), "key-1-payment_method");
    assert!(create.moves_no_money());
    let pay = next(create, 200, payment_method("pm_1Google"));
    assert_eq!(key(&pay), "key-1");
    // Byte for byte the PaymentIntent of a PaymentMethod given as such.
    let direct = stripe()
        .authorize(&authorize(PaymentMethod::Token(
            PaymentMethodToken::new("pm_1Google").unwrap(),
        )))
        .unwrap();
    assert_eq!(pay.request().body_text(), direct.request().body_text());
}

#[test]
fn a_google_pay_token_of_another_gateway_is_refused_by_name_before_sending() {
    let other_ids = [
        ecv2_token(),
        stripe_google_token("pm_card_visa"),
        stripe_google_token("tok_"),
        stripe_google_token("tok_a&b=c"),
        json!({"object": "token"}).to_string(),
    ];
    for token in other_ids {
        let err = stripe()
            .authorize(&authorize(google_pay(&token)))
            .err()
            .unwrap();
        let ConnectorError::InvalidRequest { field, message } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*field, "payment_method");
        assert!(
            message.contains("not issued for gateway `stripe`"),
            "{message}"
        );
        let shown = format!("{err} {err:?}");
        for part in ["MEQCIH6Q4Ow", "ZW5jcnlwdGVk", "a&b=c"] {
            assert!(!shown.contains(part), "{shown}");
        }
    }
}

#[test]
fn errors_of_v1_tokens_are_typed_with_stripes_codes_and_never_echo_the_token() {
    let exchange = || stripe().authorize(&authorize(apple_pay())).unwrap();
    // Stripe's refusal, as if it echoed the token: kept typed, the bytes taken out.
    let echo = format!(
        "Invalid pk_token: {} (transaction ApplePayStubs~4242424242424242~1234~USD)",
        payment_data()
    );
    let refused = json!({"error": {"type": "invalid_request_error", "code": "parameter_invalid",
                                   "param": "pk_token", "message": echo}});
    let err = fails(exchange(), 400, refused);
    match &err {
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            detail,
        } => {
            assert_eq!(
                detail.codes,
                [
                    "parameter_invalid",
                    "invalid_request_error",
                    "param:pk_token"
                ]
            );
            assert!(detail
                .message
                .as_deref()
                .unwrap()
                .starts_with("Invalid pk_token: "));
        }
        other => panic!("{other:?}"),
    }
    shows_no_apple_bytes(&format!("{err} {err:?}"));

    let unauthorized = json!({"error": {"type": "invalid_request_error",
                                        "message": "Invalid API Key provided: sk_test_****_abc"}});
    assert!(matches!(
        fails(exchange(), 401, unauthorized),
        ConnectorError::Authentication(_)
    ));

    let declined = json!({"error": {"type": "card_error", "code": "card_declined",
                                    "decline_code": "generic_decline",
                                    "message": "Your card was declined."}});
    match fails(exchange(), 402, declined) {
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            detail,
        } => {
            assert_eq!(detail.code(), Some("card_declined"));
        }
        other => panic!("{other:?}"),
    }

    // A 5xx on a call that moves no money: nothing to reconcile.
    let failed = json!({"error": {"type": "api_error", "message": "An unknown error occurred"}});
    let err = fails(exchange(), 500, failed);
    assert!(matches!(err, ConnectorError::Processor { .. }), "{err:?}");
    assert!(!err.outcome_unknown(), "{err:?}");
}

#[test]
fn an_unknown_or_used_token_at_payment_methods_is_typed_without_its_id() {
    let req = authorize(google_pay(&stripe_google_token("tok_1SecretGoogle")));
    let missing = json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "param": "card[token]",
                                   "message": "No such token: 'tok_1SecretGoogle'"}});
    let err = fails(stripe().authorize(&req).unwrap(), 400, missing);
    match &err {
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            detail,
        } => {
            assert_eq!(
                detail.codes,
                [
                    "resource_missing",
                    "invalid_request_error",
                    "param:card[token]"
                ]
            );
            assert_eq!(detail.message.as_deref(), Some("No such token: 'tok_***'"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("1SecretGoogle"));
    assert!(!err.outcome_unknown());
}

#[test]
fn no_token_bytes_in_debug_or_masked_bodies() {
    let stripe = stripe();
    let profile = stripe.wire_profile();
    let req = authorize(apple_pay());
    shows_no_apple_bytes(&format!("{req:?}"));
    let exchange = stripe.authorize(&req).unwrap();
    shows_no_apple_bytes(&format!("{exchange:?}"));
    let body = exchange.request().body_text().unwrap().as_bytes().to_vec();
    let masked = mask_body(Some(ContentType::Form), &body, profile.sensitive_fields);
    shows_no_apple_bytes(&masked);
    assert!(masked.starts_with("pk_token=***&"), "{masked}");
    assert!(masked.contains("pk_token_transaction_id=***"), "{masked}");

    let create = next(exchange, 200, token_created("tok_1Apple"));
    let body = create.request().body_text().unwrap().as_bytes().to_vec();
    let masked = mask_body(Some(ContentType::Form), &body, profile.sensitive_fields);
    assert_eq!(masked, "type=card&card[token]=***");

    let google = authorize(google_pay(&stripe_google_token("tok_1Google")));
    assert!(!format!("{google:?}").contains("tok_1Google"));
}
