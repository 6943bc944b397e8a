//! Session token: Primer's client session (`POST /client-session`) as the wallets' session
//! token, translated without a server; and wallets as payment methods, refused before sending.

#![allow(clippy::unwrap_used)]

use paybridge_core::details::CountryCode;
use paybridge_core::http::{ContentType, HttpResponse, Plan, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::secrecy::ExposeSecret;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::*;
use paybridge_primer::Primer;
use serde_json::{json, Value};

const TOKEN: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJhY2Nlc3NUb2tlbiI6ImNsaWVudC10b2tlbi1zZWNyZXQifQ.c2lnbmF0dXJl";

fn primer() -> Primer {
    let config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "prk_test");
    Primer::new(&config).unwrap()
}

fn request(wallets: Vec<Wallet>) -> SessionTokenRequest {
    SessionTokenRequest {
        reference: "pay_0193a1".into(),
        amount: MinorUnit::new(1234).unwrap(),
        currency: Currency::EUR,
        wallets,
        merchant: WalletMerchant::new("Sock Shop", CountryCode::new("DE").unwrap()),
    }
}

fn exchange(req: &SessionTokenRequest) -> http::Exchange<SessionTokenResponse> {
    match primer().session_token(req).unwrap() {
        Plan::Send(exchange) => *exchange,
        Plan::Ready(_) => panic!("Primer's session token needs its client session"),
    }
}

fn answer(
    req: &SessionTokenRequest,
    status: u16,
    body: &Value,
) -> Result<SessionTokenResponse, ConnectorError> {
    match exchange(req).parse(HttpResponse::new(status, body.to_string()))? {
        Step::Done(answer) => Ok(answer),
        Step::Next(_) => panic!("one call only"),
    }
}

fn session() -> Value {
    json!({
        "clientToken": TOKEN,
        "clientTokenExpirationDate": "2026-12-02T10:11:12.345678",
        "orderId": "pay_0193a1",
        "currencyCode": "EUR",
        "amount": 1234,
        "order": {"countryCode": "DE"},
        "warnings": [],
    })
}

#[test]
fn the_client_session_request_is_the_documented_one() {
    let exchange = exchange(&request(vec![Wallet::ApplePay, Wallet::GooglePay]));
    assert!(exchange.moves_no_money());
    let request = exchange.request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url.as_str(), "http://sim.test/base/client-session");
    assert_eq!(request.headers["x-api-key"], "prk_test");
    assert!(request.headers["x-api-key"].is_sensitive());
    assert_eq!(request.headers["x-api-version"], "2.2");
    // The document lists no idempotency key for this operation.
    assert!(request.idempotency_key.is_none());
    assert_eq!(request.headers.len(), 2, "{:?}", request.headers);
    assert_eq!(request.body.as_ref().unwrap().0, ContentType::Json);
    let body: Value = serde_json::from_str(request.body_text().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "orderId": "pay_0193a1",
            "currencyCode": "EUR",
            "amount": 1234,
            "order": {"countryCode": "DE"},
        })
    );
}

#[test]
fn amounts_go_in_minor_units_whatever_the_currency() {
    let mut req = request(vec![Wallet::GooglePay]);
    req.currency = Currency::JPY;
    req.amount = MinorUnit::new(500).unwrap();
    let body: Value = serde_json::from_str(exchange(&req).request().body_text().unwrap()).unwrap();
    assert_eq!(body["amount"], 500);
    assert_eq!(body["currencyCode"], "JPY");
}

#[test]
fn the_client_token_answers_each_wallet_asked_for_in_order() {
    let req = request(vec![Wallet::GooglePay, Wallet::ApplePay]);
    let answer = answer(&req, 200, &session()).unwrap();
    let wallets: Vec<Wallet> = answer.sessions.iter().map(WalletSession::wallet).collect();
    assert_eq!(wallets, [Wallet::GooglePay, Wallet::ApplePay]);
    for session in &answer.sessions {
        let WalletSession::ClientToken {
            client_token,
            expires_at,
            ..
        } = session
        else {
            panic!("{session:?}");
        };
        assert_eq!(client_token.expose_secret(), TOKEN);
        assert_eq!(expires_at.as_deref(), Some("2026-12-02T10:11:12.345678"));
    }
    // Secret in Debug output: the answer may be logged by a caller.
    let shown = format!("{answer:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[test]
fn the_expiry_is_read_under_either_name_and_may_be_missing() {
    let req = request(vec![Wallet::ApplePay]);
    let expiry = |body: Value| match &answer(&req, 200, &body).unwrap().sessions[0] {
        WalletSession::ClientToken { expires_at, .. } => expires_at.clone(),
        other => panic!("{other:?}"),
    };
    let mut guide = session();
    let date = guide
        .as_object_mut()
        .unwrap()
        .remove("clientTokenExpirationDate")
        .unwrap();
    guide["clientExpirationDate"] = date;
    assert_eq!(expiry(guide).as_deref(), Some("2026-12-02T10:11:12.345678"));
    assert_eq!(expiry(json!({"clientToken": TOKEN})), None);
}

#[test]
fn an_answer_without_a_token_or_for_another_session_is_invalid() {
    let req = request(vec![Wallet::ApplePay]);
    let mut cases = Vec::new();
    for (field, value) in [
        ("clientToken", Value::Null),
        ("clientToken", json!("  ")),
        ("orderId", json!("pay_other")),
        ("currencyCode", json!("USD")),
    ] {
        let mut body = session();
        body[field] = value;
        cases.push((field, body));
    }
    cases.push(("body", json!([])));
    for (field, body) in cases {
        let err = answer(&req, 200, &body).unwrap_err();
        let ConnectorError::InvalidResponse {
            http_status,
            message,
            ..
        } = &err
        else {
            panic!("{field}: {err:?}");
        };
        assert_eq!(*http_status, 200, "{field}");
        assert!(!message.contains(TOKEN), "{field}: {message}");
    }
    // A different amount is not an error: Primer may add fees.
    let mut body = session();
    body["amount"] = json!(1334);
    assert!(answer(&req, 200, &body).is_ok());
}

#[test]
fn primer_errors_are_typed_like_the_other_flows() {
    let req = request(vec![Wallet::ApplePay]);
    let error = |id: &str, description: &str| {
        json!({"error": {"errorId": id, "description": description, "diagnosticsId": "1234567890",
                         "validationErrors": [{"model": "ClientSessionAPIRequest",
                                               "errors": [{"path": "$.currencyCode",
                                                           "description": "Value is not a valid enumeration member"}]}]}})
    };
    let err = answer(
        &req,
        422,
        &error(
            "RequestValidationError",
            "We were unable to validate your request",
        ),
    )
    .unwrap_err();
    let ConnectorError::Rejected {
        kind: RejectionKind::Validation,
        detail,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(detail.codes, ["RequestValidationError"]);
    assert_eq!(detail.request_id.as_deref(), Some("1234567890"));
    assert_eq!(detail.http_status, Some(422));

    let err = answer(&req, 400, &error("BadRequest", "Invalid currency")).unwrap_err();
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
    let err = answer(&req, 401, &error("Unauthorized", "The API key is invalid")).unwrap_err();
    assert!(matches!(err, ConnectorError::Authentication(_)), "{err:?}");
    let err = exchange(&req)
        .parse(HttpResponse::new(502, "<html>bad gateway</html>"))
        .map(drop)
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Processor { .. }), "{err:?}");
}

#[test]
fn an_order_id_primer_would_refuse_is_refused_before_sending() {
    let mut req = request(vec![Wallet::ApplePay]);
    req.reference = "x".repeat(257);
    let err = primer().session_token(&req).map(drop).unwrap_err();
    assert!(
        matches!(&err, ConnectorError::InvalidRequest { field, message }
            if *field == "reference" && message.contains("orderId")),
        "{err:?}"
    );
    req.reference = String::new();
    assert!(primer().session_token(&req).is_err());
}

#[test]
fn the_client_token_is_masked_in_logged_bodies() {
    let profile = primer().wire_profile();
    let logged = mask_body(
        Some(ContentType::Json),
        session().to_string().as_bytes(),
        profile.sensitive_fields,
    );
    assert!(!logged.contains(TOKEN), "{logged}");
    let logged: Value = serde_json::from_str(&logged).unwrap();
    assert_eq!(logged["clientToken"], "***");
    assert_eq!(logged["orderId"], "pay_0193a1");
}

#[test]
fn both_wallets_are_served_by_session_token_not_by_wallet_payments() {
    let capabilities = primer().capabilities();
    assert!(capabilities.supports(Flow::SessionToken));
    for wallet in Wallet::ALL {
        let support = &capabilities.wallets[&wallet];
        assert!(support.session_token, "{wallet}");
        assert!(!support.payments, "{wallet}");
        assert!(support.networks.contains(&CardNetwork::Visa), "{wallet}");
        assert!(
            support.networks.contains(&CardNetwork::Mastercard),
            "{wallet}"
        );
        assert!(!capabilities.takes_wallet_payments(wallet));
    }
}

#[test]
fn a_wallet_token_is_refused_before_sending() {
    let token = GooglePayToken::new(
        &json!({
            "protocolVersion": "ECv2",
            "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6sJNXxOEi4r",
            "intermediateSigningKey": {"signedKey": "{\"keyValue\":\"MFkw\",\"keyExpiration\":\"1542323393147\"}",
                                       "signatures": ["MEYCIQCO2EIi48s8VTH+ilMEpoXLFfkxAwHjfPSCVED"]},
            "signedMessage": "{\"encryptedMessage\":\"PHxZxBQvVWwP\",\"ephemeralPublicKey\":\"BPhVspn70Zj2\",\"tag\":\"TNwa3Q2WiyGi\"}"
        })
        .to_string(),
        Some("VISA".into()),
        Some("1234".into()),
    );
    let Ok(token) = token else {
        // The Google Pay token's constructor is core's; its shape rules are tested there.
        panic!("test token refused: {token:?}");
    };
    let req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::EUR,
        PaymentMethod::Wallet(WalletToken::GooglePay(token)),
        "ORD-1",
    );
    let err = primer().authorize(&req).map(drop).unwrap_err();
    let ConnectorError::InvalidRequest { field, message } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*field, "payment_method");
    assert!(
        message.contains("Primer takes wallets as payment-method tokens from its SDK"),
        "{message}"
    );
    assert!(message.contains("Google Pay"), "{message}");
}
