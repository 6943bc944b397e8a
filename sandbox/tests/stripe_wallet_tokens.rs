//! The Stripe simulator's card tokens: `POST /v1/tokens` from Apple Pay's `pk_token` (good and
//! malformed) or card data, Stripe's test tokens, `card[token]` on `POST /v1/payment_methods`
//! (single use), and a token paying exactly as its card does. Every request and answer is
//! validated against Stripe's published documents (`specs/stripe-tokens-openapi.json`,
//! `specs/stripe-payments-openapi.json`), with one known exception: Apple Pay's four `pk_token*`
//! parameters, which the tokens document lists under `x-not-in-published-spec`. Then the Stripe
//! connector against the simulator: a wallet payment end to end, its traffic checked the same
//! way, and no token bytes in its logs.

#![allow(clippy::unwrap_used)]

mod stripe_common;

use paybridge_connector_tests::openapi::{read_spec, spec_path, OpenApi};
use paybridge_connector_tests::targets::stripe::{target_at, ENTRY};
use paybridge_connector_tests::traffic::{check_against, RecordedExchange, RecordingProxy};
use paybridge_connector_tests::LogCapture;
use paybridge_core::details::CountryCode;
use paybridge_core::wallet::apple_pay::ApplePayToken;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::*;
use paybridge_sandbox::stripe::{cards, StripeSimConfig};
use paybridge_sandbox::wallet_tokens::{apple_pay_payment_data, stripe_google_pay_token};
use paybridge_sandbox::Fault;
use serde_json::{json, Value};
use stripe_common::{Reply, Sim};

/// A form body with the brackets of its names readable, as the connector sends it (the schema
/// checks' decoder reads escaped brackets as characters of a name).
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The parameters Stripe's published tokens document lacks: the one known exception.
const NOT_IN_PUBLISHED_SPEC: [&str; 4] = [
    "pk_token",
    "pk_token_instrument_name",
    "pk_token_payment_network",
    "pk_token_transaction_id",
];

/// Stripe's two documents, as published (the payments one with the shared loader's `nullable`
/// fix).
struct Specs {
    tokens: OpenApi,
    payments: OpenApi,
}

impl Specs {
    fn load() -> Specs {
        Specs {
            tokens: OpenApi::load(&spec_path("stripe-tokens-openapi.json")).unwrap(),
            payments: OpenApi::stripe_payments().unwrap(),
        }
    }

    /// A `POST /v1/tokens` body: valid once the `pk_token*` parameters are set aside, and, when
    /// it has any, invalid with them (the exception is needed, and only for them).
    fn token_request(&self, body: &[u8]) {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let (apple, rest): (Vec<_>, Vec<_>) = pairs
            .iter()
            .partition(|(k, _)| NOT_IN_PUBLISHED_SPEC.contains(&k.as_str()));
        let rest: Vec<(&str, &str)> = rest.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let rest = form(&rest);
        match self
            .tokens
            .check_form_request("post", "/v1/tokens", rest.as_bytes())
        {
            Ok(true) => {}
            other => panic!("POST /v1/tokens without pk_token*: {other:?}\n{rest}"),
        }
        if !apple.is_empty() {
            let whole = self.tokens.check_form_request("post", "/v1/tokens", body);
            let violation = whole.expect_err("pk_token* are not in the published document");
            let text = format!("{violation:?}");
            assert!(text.contains("pk_token"), "{text}");
        }
    }

    /// A `/v1/tokens…` answer, against the tokens document.
    fn token_answer(&self, method: &str, path: &str, reply: &Reply) {
        match self
            .tokens
            .check_response(method, path, reply.status, &reply.body)
        {
            Ok(true) => {}
            other => panic!(
                "{method} {path} {}: {other:?}\n{:#}",
                reply.status, reply.body
            ),
        }
    }

    fn payments_answer(&self, method: &str, path: &str, reply: &Reply) {
        match self
            .payments
            .check_response(method, path, reply.status, &reply.body)
        {
            Ok(true) => {}
            other => panic!(
                "{method} {path} {}: {other:?}\n{:#}",
                reply.status, reply.body
            ),
        }
    }
}

/// The exception is exactly what the document says it lacks, and the document really lacks it.
#[test]
fn the_one_exception_is_the_documents_own_list() {
    let doc: Value =
        serde_json::from_str(&read_spec("stripe-tokens-openapi.json").unwrap()).unwrap();
    let listed =
        &doc["x-not-in-published-spec"]["POST /v1/tokens Apple Pay parameters"]["parameters"];
    let mut names: Vec<&str> = listed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.retain(|name| name.starts_with("pk_token"));
    names.sort_unstable();
    assert_eq!(names, NOT_IN_PUBLISHED_SPEC);
    let schema = &doc["paths"]["/v1/tokens"]["post"]["requestBody"]["content"]
        ["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(schema["additionalProperties"], false);
    for name in NOT_IN_PUBLISHED_SPEC {
        assert!(
            schema["properties"].get(name).is_none(),
            "{name} is documented now"
        );
    }
}

fn apple_pairs(number: &str) -> Vec<(&'static str, String)> {
    let data = apple_pay_payment_data(number);
    let transaction = data["header"]["transactionId"].as_str().unwrap().to_owned();
    vec![
        ("pk_token", data.to_string()),
        ("pk_token_instrument_name", "Visa 4242".to_owned()),
        ("pk_token_payment_network", "Visa".to_owned()),
        ("pk_token_transaction_id", transaction),
    ]
}

async fn post_token(sim: &Sim, specs: &Specs, pairs: &[(&str, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = form(&pairs);
    specs.token_request(body.as_bytes());
    let reply = sim.post_raw("/v1/tokens", body, None).await;
    specs.token_answer("post", "/v1/tokens", &reply);
    reply
}

async fn payment_method(sim: &Sim, specs: &Specs, token: &str) -> Reply {
    let body = form(&[("type", "card"), ("card[token]", token)]);
    match specs
        .payments
        .check_form_request("post", "/v1/payment_methods", body.as_bytes())
    {
        Ok(true) => {}
        other => panic!("card[token] is not the document's: {other:?}"),
    }
    let reply = sim.post_raw("/v1/payment_methods", body, None).await;
    specs.payments_answer("post", "/v1/payment_methods", &reply);
    reply
}

async fn pay(sim: &Sim, specs: &Specs, payment_method: &str) -> Reply {
    let reply = sim.pay(payment_method, 1000, true, &[]).await;
    specs.payments_answer("post", "/v1/payment_intents", &reply);
    reply
}

#[tokio::test]
async fn an_apple_pay_token_becomes_a_single_use_card_token_that_pays_as_its_card() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let token = post_token(&sim, &specs, &apple_pairs(cards::VISA)).await;
    assert_eq!(token.status, 200, "{token:?}");
    let id = token.str("/id");
    assert!(id.starts_with("tok_"), "{id}");
    assert_eq!(token.body["object"], "token");
    assert_eq!(token.body["type"], "card");
    assert_eq!(token.body["used"], false);
    assert_eq!(token.body["livemode"], false);
    assert!(token.body["created"].is_i64());
    let card = &token.body["card"];
    assert!(card["id"].as_str().unwrap().starts_with("card_"));
    assert_eq!(card["brand"], "Visa");
    assert_eq!(card["last4"], "4242");
    assert_eq!(
        (card["exp_month"].as_i64(), card["exp_year"].as_i64()),
        (Some(12), Some(2030))
    );
    assert_eq!(card["tokenization_method"], "apple_pay");
    assert_eq!(card["funding"], "credit");
    assert!(
        !token.raw.windows(12).any(|w| w == b"MIAGCSqGSIb3"),
        "the token echoed"
    );

    let method = payment_method(&sim, &specs, &id).await;
    assert_eq!(method.status, 200, "{method:?}");
    assert_eq!(method.str("/card/last4"), "4242");
    assert_eq!(method.str("/card/wallet/type"), "apple_pay");
    let paid = sim
        .pay(
            &method.str("/id"),
            1000,
            true,
            &[("expand[]", "latest_charge")],
        )
        .await;
    specs.payments_answer("post", "/v1/payment_intents", &paid);
    assert_eq!(paid.str("/status"), "requires_capture", "{paid:?}");
    let charged = &paid.body["latest_charge"]["payment_method_details"]["card"];
    assert_eq!(charged["wallet"]["type"], "apple_pay", "{charged:#}");
    assert_eq!(charged["last4"], "4242");

    // Used once: shown as used, refused a second time.
    let read = sim.get(&format!("/v1/tokens/{id}")).await;
    specs.token_answer("get", &format!("/v1/tokens/{id}"), &read);
    assert_eq!(read.body["used"], true);
    let again = payment_method(&sim, &specs, &id).await;
    assert_eq!(again.status, 400, "{again:?}");
    assert_eq!(again.code(), "token_already_used");
    assert_eq!(again.str("/error/param"), "card[token]");
}

#[tokio::test]
async fn an_apple_pay_token_of_a_declining_card_declines() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let token = post_token(&sim, &specs, &apple_pairs(cards::INSUFFICIENT_FUNDS)).await;
    let method = payment_method(&sim, &specs, &token.str("/id")).await;
    let paid = pay(&sim, &specs, &method.str("/id")).await;
    assert_eq!(paid.status, 402, "{paid:?}");
    assert_eq!(paid.str("/error/decline_code"), "insufficient_funds");
    let three_ds = post_token(&sim, &specs, &apple_pairs(cards::THREE_DS_REQUIRED)).await;
    let method = payment_method(&sim, &specs, &three_ds.str("/id")).await;
    assert_eq!(
        pay(&sim, &specs, &method.str("/id")).await.str("/status"),
        "requires_action"
    );
}

/// A part of a token, and how to break it.
type Break = (&'static str, fn(&mut Value));

#[tokio::test]
async fn a_malformed_or_unreadable_pk_token_is_refused_naming_pk_token() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let good = apple_pay_payment_data(cards::VISA);
    let mut cases: Vec<(&str, String)> = vec![
        ("not JSON", "{\"version\":".to_owned()),
        ("an array", "[]".to_owned()),
    ];
    let broken: [Break; 6] = [
        ("version", |v| v["version"] = json!("EC_v2")),
        ("data", |v| v["data"] = json!("%%%")),
        ("signature", |v| {
            v.as_object_mut().unwrap().remove("signature");
        }),
        ("header", |v| v["header"] = json!("h")),
        ("publicKeyHash", |v| {
            v["header"].as_object_mut().unwrap().remove("publicKeyHash");
        }),
        ("undecryptable", |v| {
            v["data"] = json!("bm90IGEgdGVzdCB0b2tlbg==")
        }),
    ];
    for (name, break_it) in broken {
        let mut data = good.clone();
        break_it(&mut data);
        cases.push((name, data.to_string()));
    }
    let before = sim.handle.counters();
    for (name, pk_token) in cases {
        let reply = post_token(&sim, &specs, &[("pk_token", pk_token)]).await;
        assert_eq!(reply.status, 400, "{name}: {reply:?}");
        assert_eq!(reply.str("/error/type"), "invalid_request_error", "{name}");
        assert_eq!(reply.str("/error/param"), "pk_token", "{name}");
        let message = reply.str("/error/message");
        assert!(
            !message.contains("MIAGCSqGSIb3") && !message.contains("3cee8967"),
            "{name}: {message}"
        );
    }
    assert_eq!(sim.handle.counters().authorizations, before.authorizations);
    // Nothing to make a token of, or card data beside pk_token.
    let nothing = post_token(&sim, &specs, &[]).await;
    assert_eq!(nothing.status, 400, "{nothing:?}");
    // (A request the document refuses too: card data without an expiry.)
    let good = good.to_string();
    let both = form(&[("pk_token", &good), ("card[number]", cards::VISA)]);
    let both = sim.post_raw("/v1/tokens", both, None).await;
    specs.token_answer("post", "/v1/tokens", &both);
    assert_eq!(both.status, 400, "{both:?}");
    assert_eq!(both.str("/error/param"), "card[number]");
}

#[tokio::test]
async fn stripes_test_tokens_pay_as_their_cards_any_number_of_times() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    for _ in 0..2 {
        let method = payment_method(&sim, &specs, cards::TOK_VISA).await;
        assert_eq!(method.str("/card/brand"), "visa", "{method:?}");
        let paid = pay(&sim, &specs, &method.str("/id")).await;
        assert_eq!(paid.str("/status"), "requires_capture", "{paid:?}");
    }
    for (token, decline) in [
        (cards::TOK_CHARGE_DECLINED, "generic_decline"),
        (cards::TOK_INSUFFICIENT_FUNDS, "insufficient_funds"),
    ] {
        let method = payment_method(&sim, &specs, token).await;
        let paid = pay(&sim, &specs, &method.str("/id")).await;
        assert_eq!(paid.status, 402, "{token}: {paid:?}");
        assert_eq!(paid.str("/error/decline_code"), decline, "{token}");
    }
    let method = payment_method(&sim, &specs, cards::TOK_MASTERCARD).await;
    assert_eq!(method.str("/card/brand"), "mastercard");
    let method = payment_method(&sim, &specs, cards::TOK_THREE_DS2_REQUIRED).await;
    assert_eq!(
        pay(&sim, &specs, &method.str("/id")).await.str("/status"),
        "requires_action"
    );

    let unknown = payment_method(&sim, &specs, "tok_unknown123").await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_eq!(unknown.code(), "resource_missing");
    assert_eq!(unknown.str("/error/param"), "card[token]");
    let missing = sim.get("/v1/tokens/tok_unknown123").await;
    assert_eq!(missing.status, 404);
    specs.token_answer("get", "/v1/tokens/tok_unknown123", &missing);
}

#[tokio::test]
async fn card_data_makes_a_token_with_the_publishable_key_which_works_there_only() {
    let specs = Specs::load();
    let sim = Sim::start().await;
    let body = form(&[
        ("card[number]", cards::AMEX),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2031"),
        ("card[cvc]", "1234"),
        ("card[name]", "Ada Lovelace"),
        ("card[address_zip]", "NW1"),
    ]);
    specs.token_request(body.as_bytes());
    let publishable = format!("Bearer {}", sim.config.publishable_key);
    let reply = stripe_common::reply(
        sim.client
            .post(sim.url("/v1/tokens"))
            .header("Authorization", &publishable)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    specs.token_answer("post", "/v1/tokens", &reply);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.str("/card/brand"), "American Express");
    assert_eq!(reply.str("/card/name"), "Ada Lovelace");
    assert_eq!(reply.str("/card/address_zip"), "NW1");
    assert!(reply.body["card"]["tokenization_method"].is_null());
    // A token Google Pay's gateway made this way is what its sheet hands over: it pays.
    let method = payment_method(&sim, &specs, &reply.str("/id")).await;
    assert_eq!(pay(&sim, &specs, &method.str("/id")).await.status, 200);

    // Elsewhere the publishable key is refused.
    let refused = sim
        .client
        .get(sim.url("/v1/payment_methods/pm_x"))
        .header("Authorization", &publishable)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
}

// ---------------------------------------------------------------------------------------------
// The Stripe connector on the simulator.

fn apple_pay_token(number: &str) -> PaymentMethod {
    let data = apple_pay_payment_data(number);
    let transaction = data["header"]["transactionId"].as_str().unwrap().to_owned();
    let token = ApplePayToken::new(
        &data.to_string(),
        Some("Visa".into()),
        Some("Visa 4242".into()),
        Some(transaction),
    )
    .unwrap();
    PaymentMethod::Wallet(WalletToken::ApplePay(token))
}

fn google_pay_token(token_id: &str) -> PaymentMethod {
    let token = GooglePayToken::new(
        &stripe_google_pay_token(token_id),
        Some("VISA".into()),
        None,
    )
    .unwrap();
    PaymentMethod::Wallet(WalletToken::GooglePay(token))
}

fn authorize(method: PaymentMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::USD,
        method,
        "ORD-W",
    );
    req.capture_method = CaptureMethod::Manual;
    req
}

/// The connector as the router builds it for the simulator, plus the publishable key.
fn connector(sim: &StripeSimConfig, base_url: url::Url) -> std::sync::Arc<dyn Connector> {
    let mut config = target_at(sim, base_url, None).config;
    config
        .extra
        .insert("publishable_key".into(), sim.publishable_key.clone());
    (ENTRY.build)(&config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_pays_wallet_tokens_on_the_simulator_and_its_traffic_is_the_documents() {
    let logs = LogCapture::install();
    let specs = Specs::load();
    let sim = Sim::start().await;
    let proxy = RecordingProxy::start(sim.handle.base_url()).await.unwrap();
    let stripe = connector(&sim.config, proxy.url());

    // Session token: answered from configuration, nothing sent.
    let sessions = stripe
        .session_token(&SessionTokenRequest {
            reference: "pay_w".into(),
            amount: MinorUnit::new(1000).unwrap(),
            currency: Currency::USD,
            wallets: vec![Wallet::GooglePay, Wallet::ApplePay],
            merchant: WalletMerchant::new("Sim Shop", CountryCode::new("US").unwrap()),
        })
        .await
        .unwrap();
    let WalletSession::GooglePay(sheet) = &sessions.sessions[0] else {
        panic!("{sessions:?}");
    };
    let gateway = &sheet.allowed_payment_methods[0]
        .tokenization_specification
        .parameters;
    assert_eq!(gateway["stripe:publishableKey"], sim.config.publishable_key);
    assert!(matches!(sessions.sessions[1], WalletSession::ApplePay(_)));
    assert!(proxy.exchanges().is_empty(), "session token called Stripe");

    // Apple Pay: three calls, approved.
    let apple = stripe
        .authorize(&authorize(apple_pay_token(cards::VISA)))
        .await
        .unwrap();
    assert_eq!(apple.status, PaymentStatus::RequiresCapture, "{apple:?}");
    let paths: Vec<String> = proxy.exchanges().iter().map(|e| e.path.clone()).collect();
    assert_eq!(
        paths,
        ["/v1/tokens", "/v1/payment_methods", "/v1/payment_intents"]
    );
    // Google Pay with Stripe's test tokens: approved, declined.
    let google = stripe
        .authorize(&authorize(google_pay_token(cards::TOK_VISA)))
        .await
        .unwrap();
    assert_eq!(google.status, PaymentStatus::RequiresCapture, "{google:?}");
    let declined = stripe
        .authorize(&authorize(google_pay_token(cards::TOK_INSUFFICIENT_FUNDS)))
        .await
        .unwrap();
    assert_eq!(declined.status, PaymentStatus::Failed, "{declined:?}");
    assert_eq!(
        declined.decline.as_ref().unwrap().unified,
        DeclineCode::InsufficientFunds
    );
    // An Apple Pay token of a declining card.
    let declined = stripe
        .authorize(&authorize(apple_pay_token(cards::GENERIC_DECLINE)))
        .await
        .unwrap();
    assert_eq!(declined.status, PaymentStatus::Failed, "{declined:?}");
    // An unknown token: a typed refusal, no PaymentIntent.
    let before = sim.handle.counters();
    let unknown = stripe
        .authorize(&authorize(google_pay_token("tok_1NotIssuedHere")))
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown, ConnectorError::Rejected { detail, .. } if detail.code() == Some("resource_missing")),
        "{unknown:?}"
    );
    assert!(!format!("{unknown:?}").contains("1NotIssuedHere"));
    assert_eq!(sim.handle.counters().authorizations, before.authorizations);

    check_traffic(&specs, &proxy.exchanges());

    if let Some(logs) = logs {
        let text = logs.text();
        assert!(text.contains("/v1/tokens"), "nothing was logged");
        let data = apple_pay_payment_data(cards::VISA);
        for part in [
            data["data"].as_str().unwrap(),
            &data["signature"].as_str().unwrap()[..40],
            &data["header"]["ephemeralPublicKey"].as_str().unwrap()[..40],
            data["header"]["transactionId"].as_str().unwrap(),
        ] {
            assert!(!text.contains(part), "token bytes logged: {part}");
        }
    }
}

/// `/v1/tokens` against the tokens document (the `pk_token*` exception only), everything else
/// against the payments document.
fn check_traffic(specs: &Specs, exchanges: &[RecordedExchange]) {
    let (tokens, others): (Vec<RecordedExchange>, Vec<RecordedExchange>) = exchanges
        .iter()
        .cloned()
        .partition(|e| e.path.starts_with("/v1/tokens"));
    assert!(tokens.len() >= 2, "{tokens:?}");
    for exchange in &tokens {
        specs.token_request(&exchange.request_body);
        let body: Value = serde_json::from_slice(&exchange.response_body).unwrap();
        let reply = Reply {
            status: exchange.status,
            headers: Default::default(),
            raw: exchange.response_body.to_vec(),
            body,
        };
        specs.token_answer("post", &exchange.path, &reply);
    }
    let checked = check_against(&specs.payments, &others);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    assert!(checked.requests >= 8, "{checked:?}");
    let from_tokens = others
        .iter()
        .filter(|e| {
            String::from_utf8_lossy(&e.request_body).starts_with("type=card&card[token]=tok_")
        })
        .count();
    assert!(
        from_tokens >= 4,
        "{from_tokens} PaymentMethods made of tokens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_v1_tokens_leaves_no_payment_and_no_unknown_outcome() {
    let sim = Sim::start().await;
    let stripe = connector(&sim.config, sim.handle.base_url());
    // More 500s than the retries: the exchange never gets past /v1/tokens.
    for _ in 0..5 {
        sim.handle.inject(Fault::Status {
            status: 500,
            retry_after_secs: None,
        });
    }
    let err = stripe
        .authorize(&authorize(apple_pay_token(cards::VISA)))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Processor { .. }), "{err:?}");
    assert!(!err.outcome_unknown(), "{err:?}");
    assert_eq!(sim.handle.counters().authorizations, 0);
    sim.handle.clear_faults();
    // The same payment again (a new key): paid.
    let paid = stripe
        .authorize(&authorize(apple_pay_token(cards::VISA)))
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::RequiresCapture);
}
