//! The Checkout.com simulator's `POST /tokens` for wallets, over HTTP: only the public key,
//! Checkout's error shape for what it cannot take, ECv1 and ECv2 Google Pay tokens and Apple Pay
//! tokens, and the `tok_` token paying once as its card. Every request body and answer is
//! validated against `specs/checkout-tokens-openapi.json` (payments against the payments
//! document).

#![allow(clippy::unwrap_used)]

mod common;

use common::{reply, Reply, Sim};
use paybridge_connector_tests::openapi::{spec_path, OpenApi};
use paybridge_sandbox::checkout::cards;
use paybridge_sandbox::wallet_tokens::{apple_pay_payment_data, google_pay_token};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

struct Specs {
    tokens: OpenApi,
    payments: OpenApi,
}

impl Specs {
    fn load() -> Specs {
        Specs {
            tokens: OpenApi::load(&spec_path("checkout-tokens-openapi.json")).unwrap(),
            payments: OpenApi::checkout_payments().unwrap(),
        }
    }

    fn token_request(&self, body: &Value) {
        if let Err(violation) = self.tokens.check_request("post", "/tokens", body) {
            panic!("{violation:#?}\n{body:#}");
        }
    }

    fn token_reply(&self, reply: &Reply) {
        if let Err(violation) =
            self.tokens
                .check_response("post", "/tokens", reply.status, &reply.body)
        {
            panic!("{violation:#?}\n{:#}", reply.body);
        }
    }

    fn payment_reply(&self, reply: &Reply) {
        if let Err(violation) =
            self.payments
                .check_response("post", "/payments", reply.status, &reply.body)
        {
            panic!("{violation:#?}\n{:#}", reply.body);
        }
    }
}

/// `POST /tokens` with `Authorization: <authorization>` (none when `None`).
async fn post_tokens(sim: &Sim, authorization: Option<&str>, body: &Value) -> Reply {
    let mut request = sim
        .client
        .post(sim.url("/tokens"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    reply(request.send().await.unwrap()).await.unwrap()
}

async fn tokenize(sim: &Sim, body: &Value) -> Reply {
    let public = format!("Bearer {}", sim.config.public_key);
    post_tokens(sim, Some(&public), body).await
}

fn google_ecv2(number: &str) -> Value {
    serde_json::from_str(&google_pay_token(number)).unwrap()
}

/// Google's ECv1 token: no intermediate signing key (Checkout's published example).
fn google_ecv1(number: &str) -> Value {
    let mut token = google_ecv2(number);
    let token_object = token.as_object_mut().unwrap();
    token_object.remove("intermediateSigningKey");
    token_object.insert("protocolVersion".into(), "ECv1".into());
    token
}

fn googlepay(token: Value) -> Value {
    json!({"type": "googlepay", "token_data": token})
}

fn applepay(number: &str) -> Value {
    json!({"type": "applepay", "token_data": apple_pay_payment_data(number)})
}

/// A payment request paying with `token`.
fn token_payment(sim: &Sim, token: &str, three_ds: bool) -> Value {
    let mut body = json!({
        "source": {"type": "token", "token": token, "phone": {"country_code": "+44", "number": "2079460022"}},
        "amount": 1234,
        "currency": "USD",
        "reference": "ORD-W",
        "capture": false,
        "processing_channel_id": sim.config.processing_channel_id,
    });
    if three_ds {
        body["3ds"] = json!({"enabled": true});
        body["success_url"] = json!("https://shop.test/ok");
    }
    body
}

#[tokio::test]
async fn tokens_takes_the_public_key_only() {
    let sim = Sim::start().await;
    let body = googlepay(google_ecv2(cards::VISA_APPROVED));
    let secret = format!("Bearer {}", sim.config.secret_key);
    for authorization in [
        Some(secret.as_str()),
        None,
        Some(sim.config.public_key.as_str()),
    ] {
        let reply = post_tokens(&sim, authorization, &body).await;
        assert_eq!(reply.status, 401, "{authorization:?}");
        assert!(reply.raw.is_empty());
        assert!(reply.headers.contains_key("cko-request-id"));
    }
    // And the public key opens nothing else.
    let public = format!("Bearer {}", sim.config.public_key);
    let payment = sim
        .client
        .get(sim.url("/payments/pay_x"))
        .header("Authorization", public)
        .send()
        .await
        .unwrap();
    assert_eq!(payment.status(), 401);
    assert_eq!(tokenize(&sim, &body).await.status, 201);
}

#[tokio::test]
async fn what_tokens_cannot_read_is_refused_in_checkouts_error_shape() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let mut without_key = google_ecv2(cards::VISA_APPROVED);
    without_key
        .as_object_mut()
        .unwrap()
        .remove("intermediateSigningKey");
    let mut unreadable = google_ecv2(cards::VISA_APPROVED);
    unreadable["signedMessage"] = json!("{\"encryptedMessage\":\"bm90IGEgY2FyZA==\"}");
    let mut apple_without_data = apple_pay_payment_data(cards::VISA_APPROVED);
    apple_without_data.as_object_mut().unwrap().remove("data");
    let mut apple_bad_version = apple_pay_payment_data(cards::VISA_APPROVED);
    apple_bad_version["version"] = json!("EC_v9");
    let cases = [
        (json!({"token_data": {}}), "token_type_required"),
        (
            json!({"type": "paypal", "token_data": {}}),
            "token_type_invalid",
        ),
        (json!({"type": "googlepay"}), "token_data_required"),
        (
            json!({"type": "googlepay", "token_data": "eyJ0"}),
            "token_data_invalid",
        ),
        (googlepay(without_key), "token_data_invalid"),
        (googlepay(unreadable), "token_data_invalid"),
        (
            googlepay(json!({"protocolVersion": "ECv3"})),
            "token_data_invalid",
        ),
        (
            json!({"type": "applepay", "token_data": apple_without_data}),
            "token_data_invalid",
        ),
        (
            json!({"type": "applepay", "token_data": apple_bad_version}),
            "token_data_invalid",
        ),
        (
            googlepay(google_ecv2("4242424242424241")),
            "token_data_invalid",
        ),
    ];
    for (body, code) in cases {
        let reply = tokenize(&sim, &body).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.codes(), [code], "{body}");
        assert_eq!(reply.body["error_type"], "request_invalid");
        let id = reply.str("/request_id");
        assert!(!id.is_empty());
        assert_eq!(reply.headers["cko-request-id"], id.as_str());
        specs.token_reply(&reply);
    }
    let not_json = sim
        .client
        .post(sim.url("/tokens"))
        .header("Authorization", format!("Bearer {}", sim.config.public_key))
        .body("{not json")
        .send()
        .await
        .unwrap();
    let not_json = reply(not_json).await.unwrap();
    assert_eq!(not_json.status, 422);
    assert_eq!(not_json.codes(), ["request_body_malformed"]);
    specs.token_reply(&not_json);
}

#[tokio::test]
async fn google_ecv1_and_ecv2_and_apple_tokens_are_taken() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let cases = [
        (
            googlepay(google_ecv2(cards::VISA_APPROVED)),
            "pan_only",
            "Visa",
            "424242",
            "4242",
        ),
        (
            googlepay(google_ecv1(cards::MASTERCARD_APPROVED)),
            "pan_only",
            "Mastercard",
            "543603",
            "6378",
        ),
        (
            applepay(cards::AMEX_APPROVED),
            "cryptogram_3ds",
            "Amex",
            "378282",
            "0005",
        ),
    ];
    for (body, format, scheme, bin, last4) in cases {
        specs.token_request(&body);
        let before = OffsetDateTime::now_utc();
        let reply = tokenize(&sim, &body).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        specs.token_reply(&reply);
        assert_eq!(reply.body["type"], body["type"]);
        let token = reply.str("/token");
        assert!(token.starts_with("tok_") && token.len() == 30, "{token}");
        assert_eq!(reply.str("/token_format"), format);
        assert_eq!(reply.str("/scheme"), scheme);
        assert_eq!(reply.str("/bin"), bin);
        assert_eq!(reply.str("/last4"), last4);
        assert_eq!(
            (reply.int("/expiry_month"), reply.int("/expiry_year")),
            (12, 2030)
        );
        let expires = OffsetDateTime::parse(&reply.str("/expires_on"), &Rfc3339).unwrap();
        let ahead = expires - before;
        assert!(
            ahead > time::Duration::minutes(14) && ahead <= time::Duration::minutes(15),
            "{ahead}"
        );
        assert!(!reply
            .raw
            .windows(16)
            .any(|w| w == cards::VISA_APPROVED.as_bytes()));
    }
    // The schema check itself can fail: a TokenResponse without its token is not one.
    let incomplete = Reply {
        status: 201,
        headers: Default::default(),
        raw: Vec::new(),
        body: json!({"type": "googlepay", "last4": "4242"}),
    };
    assert!(specs
        .tokens
        .check_response("post", "/tokens", 201, &incomplete.body)
        .is_err());
}

#[tokio::test]
async fn the_token_pays_as_its_card_once() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let token = |body: Value| {
        let sim = &sim;
        async move { tokenize(sim, &body).await.str("/token") }
    };

    // Approved, and the card is the token's.
    let approved = token(googlepay(google_ecv2(cards::VISA_APPROVED))).await;
    let paid = sim
        .post(
            "/payments",
            &token_payment(&sim, &approved, false),
            Some("pay-w1"),
        )
        .await;
    assert_eq!(paid.status, 201, "{paid:?}");
    specs.payment_reply(&paid);
    assert_eq!(paid.body["approved"], true);
    assert_eq!(paid.body["status"], "Authorized");
    assert_eq!(paid.str("/source/last4"), "4242");
    assert_eq!(paid.str("/source/scheme"), "Visa");
    assert_eq!(paid.str("/source/phone/number"), "2079460022");

    // Single use; a retry with the payment's idempotency key replays the payment.
    let again = sim
        .post("/payments", &token_payment(&sim, &approved, false), None)
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.codes(), ["token_used"]);
    let replayed = sim
        .post(
            "/payments",
            &token_payment(&sim, &approved, false),
            Some("pay-w1"),
        )
        .await;
    assert_eq!(replayed.status, 201);
    assert_eq!(replayed.str("/id"), paid.str("/id"));

    // Declined as the test card is: an outcome, not an error.
    let declined = token(applepay(cards::INSUFFICIENT_FUNDS)).await;
    let reply = sim
        .post("/payments", &token_payment(&sim, &declined, false), None)
        .await;
    assert_eq!(reply.status, 201);
    specs.payment_reply(&reply);
    assert_eq!(reply.body["approved"], false);
    assert_eq!(reply.str("/response_code"), "20051");

    // 3DS as for a card.
    let three_ds = token(googlepay(google_ecv1(cards::VISA_APPROVED))).await;
    let reply = sim
        .post("/payments", &token_payment(&sim, &three_ds, true), None)
        .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    specs.payment_reply(&reply);
    assert!(reply.str("/_links/redirect/href").contains("/sim/3ds/"));
}

#[tokio::test]
async fn a_token_is_spent_only_by_a_payment_taken_and_expires() {
    let sim = Sim::start().await;
    let token = tokenize(&sim, &googlepay(google_ecv2(cards::VISA_APPROVED)))
        .await
        .str("/token");
    // A request refused for another reason leaves the token unspent.
    let mut invalid = token_payment(&sim, &token, false);
    invalid["currency"] = json!("XXX1");
    let reply = sim.post("/payments", &invalid, None).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.codes(), ["currency_invalid"]);

    let expire = sim
        .client
        .post(sim.url(&format!("/sim/tokens/{token}/expire")))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status(), 204);
    let reply = sim
        .post("/payments", &token_payment(&sim, &token, false), None)
        .await;
    assert_eq!(reply.codes(), ["token_expired"]);

    for (source, code) in [
        (
            json!({"type": "token", "token": "tok_unknownunknownunknownunkn"}),
            "token_invalid",
        ),
        (json!({"type": "token"}), "token_required"),
    ] {
        let mut body = token_payment(&sim, "", false);
        body["source"] = source;
        let reply = sim.post("/payments", &body, None).await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.codes(), [code]);
    }
    assert_eq!(sim.handle.counters().authorizations, 0);
}
