//! Google Pay and Apple Pay at Checkout.com, without a server: the sheets' session data, the
//! exchange at `POST /tokens` with the public key, the payment with the `tok_` token, the
//! errors of `/tokens` as typed errors, and no token bytes in errors, `Debug` or logged bodies.

#![allow(clippy::unwrap_used)]

use paybridge_checkout::Checkout;
use paybridge_core::details::CountryCode;
use paybridge_core::http::{ContentType, Exchange, HttpResponse, Plan, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::wallet::apple_pay::ApplePayToken;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::*;
use serde_json::{json, Value};

const PUBLIC_KEY: &str = "pk_sbox_wallettest";
const SECRET_KEY: &str = "sk_sbox_test";

fn config(public_key: Option<&str>) -> ConnectorConfig {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), SECRET_KEY);
    config
        .extra
        .insert("processing_channel_id".into(), "pc_test".into());
    if let Some(key) = public_key {
        config.extra.insert("public_key".into(), key.into());
    }
    config
}

fn checkout() -> Checkout {
    Checkout::new(&config(Some(PUBLIC_KEY))).unwrap()
}

/// Bytes of the tokens below that must never be shown: ciphertext, signatures, keys, ids. (Not
/// the ECv2 key's `signatures` items: core masks sensitive names' scalar values only, not
/// strings inside an array, so those still reach the DEBUG log; they pay nothing alone.)
const SECRET_PARTS: &[&str] = &[
    "MEQCIH6Q4OwQ",
    "ENCRYPTEDmsg",
    "EPHEMERALkey",
    "TAGbytes",
    "SIGNEDkeyVALUE",
    "t7GeajLB9skX",
    "MIAGCSqGSIb3",
    "MFkwEwYHKoZI",
    "tqYV+tmG9aMh",
    "3cee89679130",
];

fn signed_message() -> String {
    json!({"encryptedMessage": "ENCRYPTEDmsg", "ephemeralPublicKey": "EPHEMERALkey", "tag": "TAGbytes"})
        .to_string()
}

fn google_ecv2() -> Value {
    json!({
        "protocolVersion": "ECv2",
        "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6s",
        "intermediateSigningKey": {
            "signedKey": "{\"keyValue\":\"SIGNEDkeyVALUE\",\"keyExpiration\":\"4102444800000\"}",
            "signatures": ["MEYCIQCO2EIi48s8"]
        },
        "signedMessage": signed_message()
    })
}

fn google_ecv1() -> Value {
    json!({
        "protocolVersion": "ECv1",
        "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6s",
        "signedMessage": signed_message()
    })
}

fn apple_payment_data() -> Value {
    json!({
        "version": "EC_v1",
        "data": "t7GeajLB9skXB6QSWfEpPA4WPhD",
        "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzAN",
        "header": {
            "ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX1ievoT8DRB8T5zG",
            "publicKeyHash": "tqYV+tmG9aMh+l/K6cicUnPqkb1gUiLjSTM9gEz6Nl0=",
            "transactionId": "3cee89679130a4b2617c76118a1c62fd400cd45b49dc0916d5b951b560cd17b4"
        }
    })
}

fn google(token: &Value) -> PaymentMethod {
    let token =
        GooglePayToken::new(&token.to_string(), Some("VISA".into()), Some("4242".into())).unwrap();
    PaymentMethod::Wallet(WalletToken::GooglePay(token))
}

fn apple() -> PaymentMethod {
    let token = ApplePayToken::new(
        &apple_payment_data().to_string(),
        Some("Visa".into()),
        Some("Visa 4242".into()),
        None,
    )
    .unwrap();
    PaymentMethod::Wallet(WalletToken::ApplePay(token))
}

fn authorize(method: PaymentMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1234).unwrap(),
        Currency::USD,
        method,
        "ORD-W1",
    );
    req.capture_method = CaptureMethod::Manual;
    req.idempotency_key = IdempotencyKey::new("key-w1").unwrap();
    req
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

fn sessions(checkout: &Checkout, wallets: Vec<Wallet>) -> Vec<WalletSession> {
    match checkout.session_token(&session_request(wallets)).unwrap() {
        Plan::Ready(answer) => answer.sessions,
        Plan::Send(_) => panic!("session data needs no call"),
    }
}

fn body(request: &paybridge_core::http::HttpRequest) -> Value {
    serde_json::from_str(request.body_text().unwrap()).unwrap()
}

fn token_created() -> Value {
    json!({
        "type": "googlepay",
        "token": "tok_ubfj2q76miwundwlk72vxt2i7q",
        "expires_on": "2030-01-01T00:15:00Z",
        "expiry_month": 12,
        "expiry_year": 2030,
        "scheme": "Visa",
        "last4": "4242",
        "bin": "424242",
        "card_type": "Credit",
        "token_format": "pan_only"
    })
}

/// Parses the `/tokens` answer and returns the next step (the payment).
fn next(
    exchange: Exchange<AuthorizeResponse>,
    status: u16,
    answer: Value,
) -> Exchange<AuthorizeResponse> {
    match exchange
        .parse(HttpResponse::new(status, answer.to_string()))
        .unwrap()
    {
        Step::Next(next) => *next,
        Step::Done(_) => panic!("the token alone is no payment"),
    }
}

fn tokens_error(
    exchange: Exchange<AuthorizeResponse>,
    status: u16,
    answer: &str,
) -> ConnectorError {
    match exchange.parse(HttpResponse::new(status, answer.to_owned())) {
        Err(error) => error,
        Ok(_) => panic!("HTTP {status} must be an error"),
    }
}

fn assert_no_token_bytes(shown: &str) {
    for part in SECRET_PARTS {
        assert!(!shown.contains(part), "{part} shown in: {shown}");
    }
}

#[test]
fn the_google_pay_sheet_is_checkouts_gateway_with_the_public_key() {
    let sessions = sessions(&checkout(), vec![Wallet::GooglePay]);
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
                    "parameters": {"gateway": "checkoutltd", "gatewayMerchantId": PUBLIC_KEY}
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
}

#[test]
fn the_apple_pay_request_and_the_order_asked() {
    let sessions = sessions(&checkout(), vec![Wallet::ApplePay, Wallet::GooglePay]);
    assert_eq!(
        sessions
            .iter()
            .map(WalletSession::wallet)
            .collect::<Vec<_>>(),
        [Wallet::ApplePay, Wallet::GooglePay]
    );
    let WalletSession::ApplePay(request) = &sessions[0] else {
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
fn capabilities_declare_both_wallets_only_with_a_public_key() {
    let caps = checkout().capabilities();
    assert!(caps.supports(Flow::SessionToken));
    for wallet in Wallet::ALL {
        let support = &caps.wallets[&wallet];
        assert!(support.session_token && support.payments, "{wallet}");
        assert_eq!(
            support.networks,
            [
                CardNetwork::Visa,
                CardNetwork::Mastercard,
                CardNetwork::Amex,
                CardNetwork::Discover,
                CardNetwork::Jcb
            ]
        );
        assert!(caps.takes_wallet_payments(wallet));
    }

    let without = Checkout::new(&config(None)).unwrap();
    let caps = without.capabilities();
    assert!(caps.supports(Flow::SessionToken));
    assert!(caps.wallets.is_empty(), "{:?}", caps.wallets);
    for session in sessions(&without, vec![Wallet::GooglePay, Wallet::ApplePay]) {
        match session {
            WalletSession::Unavailable { reason, .. } => {
                assert!(reason.contains("PAYBRIDGE_CHECKOUT_PUBLIC_KEY"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
    let err = without
        .authorize(&authorize(google(&google_ecv2())))
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::NotSupported { reason, .. } if reason.contains("PAYBRIDGE_CHECKOUT_PUBLIC_KEY")),
        "{err:?}"
    );
}

#[test]
fn the_public_key_must_be_one_and_is_never_shown() {
    for wrong in [SECRET_KEY, "", "pc_test"] {
        match Checkout::new(&config(Some(wrong))) {
            Err(ConfigError::Invalid { key, message }) => {
                assert_eq!(key, "public_key");
                assert!(wrong.is_empty() || !message.contains(wrong), "{message}");
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("{wrong:?} taken as a public key"),
        }
    }
    let exchange = checkout()
        .authorize(&authorize(google(&google_ecv2())))
        .unwrap();
    let shown = format!("{exchange:?}");
    assert!(
        !shown.contains(PUBLIC_KEY) && !shown.contains(SECRET_KEY),
        "{shown}"
    );
}

#[test]
fn the_public_key_comes_from_the_environment() {
    // The only test of this binary that reads the environment.
    std::env::set_var("PAYBRIDGE_CHECKOUT_SECRET_KEY", SECRET_KEY);
    std::env::set_var("PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID", "pc_test");
    std::env::set_var("PAYBRIDGE_CHECKOUT_PUBLIC_KEY", PUBLIC_KEY);
    let config = Checkout::config_from_env().unwrap().unwrap();
    assert_eq!(config.extra["public_key"], PUBLIC_KEY);
    assert!(!Checkout::new(&config)
        .unwrap()
        .capabilities()
        .wallets
        .is_empty());
}

#[test]
fn google_pay_tokens_go_whole_to_tokens_with_the_public_key() {
    for token in [google_ecv2(), google_ecv1()] {
        let exchange = checkout().authorize(&authorize(google(&token))).unwrap();
        let request = exchange.request();
        assert_eq!(request.method, "POST");
        assert_eq!(request.url.as_str(), "http://sim.test/base/tokens");
        assert_eq!(
            request.headers["authorization"],
            format!("Bearer {PUBLIC_KEY}")
        );
        assert!(request.headers["authorization"].is_sensitive());
        assert_eq!(request.idempotency_key, None);
        assert!(exchange.moves_no_money());
        assert_eq!(
            body(request),
            json!({"type": "googlepay", "token_data": token})
        );
    }
}

#[test]
fn apple_pay_payment_data_goes_to_tokens_with_the_public_key() {
    let exchange = checkout().authorize(&authorize(apple())).unwrap();
    let request = exchange.request();
    assert_eq!(request.url.as_str(), "http://sim.test/base/tokens");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {PUBLIC_KEY}")
    );
    assert!(exchange.moves_no_money());
    assert_eq!(
        body(request),
        json!({"type": "applepay", "token_data": apple_payment_data()})
    );
}

#[test]
fn the_token_pays_as_a_token_source_with_the_secret_key() {
    let mut req = authorize(google(&google_ecv2()));
    req.billing = Some(paybridge_core::details::Contact {
        phone: Some(paybridge_core::details::Phone::new("7700900123", Some("+44")).unwrap()),
        ..Default::default()
    });
    let payment = next(checkout().authorize(&req).unwrap(), 201, token_created());
    let request = payment.request();
    assert_eq!(request.url.as_str(), "http://sim.test/base/payments");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {SECRET_KEY}")
    );
    assert_eq!(request.idempotency_key.as_ref().unwrap().as_str(), "key-w1");
    assert!(!payment.moves_no_money());
    assert_eq!(
        body(request),
        json!({
            "source": {
                "type": "token",
                "token": "tok_ubfj2q76miwundwlk72vxt2i7q",
                "phone": {"country_code": "+44", "number": "7700900123"}
            },
            "amount": 1234,
            "currency": "USD",
            "capture": false,
            "authorization_type": "Final",
            "reference": "ORD-W1",
            "processing_channel_id": "pc_test"
        })
    );
    // Read exactly as a card payment; the token's scheme fills a missing network.
    let answer = json!({
        "id": "pay_w1", "action_id": "act_w1", "amount": 1234, "currency": "USD",
        "approved": true, "status": "Authorized", "response_code": "10000",
        "balances": {"total_authorized": 1234, "available_to_capture": 1234, "available_to_void": 1234}
    });
    let paid = match payment
        .parse(HttpResponse::new(201, answer.to_string()))
        .unwrap()
    {
        Step::Done(paid) => paid,
        Step::Next(_) => panic!("one payment"),
    };
    assert_eq!(paid.connector_payment_id, "pay_w1");
    assert_eq!(paid.status, PaymentStatus::RequiresCapture);
    assert_eq!(paid.amounts.authorized.get(), 1234);
    assert_eq!(paid.card_network, Some(CardNetwork::Visa));

    let declined = json!({
        "id": "pay_w2", "currency": "USD", "approved": false, "status": "Declined",
        "response_code": "20051", "response_summary": "Insufficient Funds",
        "source": {"scheme": "Mastercard"}
    });
    let payment = next(checkout().authorize(&req).unwrap(), 201, token_created());
    let Step::Done(paid) = payment
        .parse(HttpResponse::new(201, declined.to_string()))
        .unwrap()
    else {
        panic!("one payment");
    };
    assert_eq!(paid.status, PaymentStatus::Failed);
    assert_eq!(
        paid.decline.unwrap().unified,
        DeclineCode::InsufficientFunds
    );
    assert_eq!(paid.card_network, Some(CardNetwork::Mastercard));
}

#[test]
fn tokens_errors_are_typed_and_name_the_codes() {
    let exchange = || {
        checkout()
            .authorize(&authorize(google(&google_ecv2())))
            .unwrap()
    };
    let err = tokens_error(
        exchange(),
        422,
        r#"{"request_id":"req_1","error_type":"request_invalid","error_codes":["token_data_invalid"]}"#,
    );
    match &err {
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            detail,
        } => {
            assert_eq!(detail.codes, ["token_data_invalid"]);
            assert_eq!(detail.request_id.as_deref(), Some("req_1"));
            assert_eq!(detail.http_status, Some(422));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("token_data_invalid"), "{err}");
    assert!(!err.outcome_unknown());

    let err = tokens_error(exchange(), 401, "");
    match &err {
        ConnectorError::Authentication(detail) => {
            assert!(
                detail.message.as_deref().unwrap().contains("public key"),
                "{detail:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    // An unreadable 201 is no payment: nothing can have moved.
    let err = tokens_error(exchange(), 201, r#"{"token": 5}"#);
    assert!(
        matches!(err, ConnectorError::InvalidResponse { .. }),
        "{err:?}"
    );
    let err = tokens_error(exchange(), 201, r#"{"token": "src_x"}"#);
    assert!(
        matches!(err, ConnectorError::InvalidResponse { .. }),
        "{err:?}"
    );
}

#[test]
fn a_google_token_checkout_cannot_take_is_refused_before_sending() {
    let mut token = google_ecv2();
    token
        .as_object_mut()
        .unwrap()
        .remove("intermediateSigningKey");
    let err = checkout()
        .authorize(&authorize(google(&token)))
        .unwrap_err();
    match &err {
        ConnectorError::InvalidRequest { field, .. } => {
            assert_eq!(*field, "tokenization_data.token.intermediateSigningKey")
        }
        other => panic!("{other:?}"),
    }
    assert_no_token_bytes(&format!("{err} {err:?}"));
    // A Stripe-gateway token is no Google encrypted token.
    let stripe = json!({"id": "tok_visa", "object": "token"});
    let err = checkout()
        .authorize(&authorize(google(&stripe)))
        .unwrap_err();
    assert!(
        matches!(err, ConnectorError::InvalidRequest { .. }),
        "{err:?}"
    );
}

#[test]
fn no_token_bytes_in_errors_debug_or_logged_bodies() {
    let checkout = checkout();
    let profile = checkout.wire_profile();
    for method in [google(&google_ecv2()), google(&google_ecv1()), apple()] {
        let req = authorize(method);
        assert_no_token_bytes(&format!("{req:?}"));
        let exchange = checkout.authorize(&req).unwrap();
        assert_no_token_bytes(&format!("{exchange:?}"));
        let sent = exchange.request().body.as_ref().unwrap().1.clone();
        // The body does carry the token, and the executor's DEBUG line masks it.
        assert!(SECRET_PARTS
            .iter()
            .any(|p| String::from_utf8_lossy(&sent).contains(p)));
        let logged = mask_body(Some(ContentType::Json), &sent, profile.sensitive_fields);
        assert_no_token_bytes(&logged);
        assert!(
            logged.contains("\"type\":\"") && logged.contains("token_data"),
            "{logged}"
        );
        for status in [401, 422, 500] {
            let exchange = checkout.authorize(&req).unwrap();
            let answer = r#"{"request_id":"r","error_type":"request_invalid","error_codes":["token_data_invalid"]}"#;
            let err = tokens_error(exchange, status, answer);
            assert_no_token_bytes(&format!("{err} {err:?}"));
        }
    }
    // The tok_ token of the answer is masked too (core's `token`).
    let logged = mask_body(
        None,
        token_created().to_string().as_bytes(),
        profile.sensitive_fields,
    );
    assert!(!logged.contains("tok_ubfj2q76"), "{logged}");
}
