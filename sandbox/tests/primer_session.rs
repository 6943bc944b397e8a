//! Primer's client session (`POST /client-session`, `GET /client-session`) on the simulator:
//! what it takes and answers, checked against Primer's v2.2 document; and the Primer connector's
//! session token against it, its traffic checked against the same document, its faults typed,
//! its client token kept out of the logs.

#![allow(clippy::unwrap_used)]

mod primer_common;

use std::time::Duration;

use paybridge_connector_tests::openapi::{read_spec, OpenApi, PRIMER_UNDOCUMENTED};
use paybridge_connector_tests::targets::primer::target_at;
use paybridge_connector_tests::traffic::{check_against, RecordingProxy};
use paybridge_connector_tests::LogCapture;
use paybridge_core::details::CountryCode;
use paybridge_core::secrecy::ExposeSecret;
use paybridge_core::*;
use paybridge_sandbox::primer::{self as sim, PrimerSimConfig};
use paybridge_sandbox::Fault;
use primer_common::{Reply, Sim};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn spec() -> OpenApi {
    OpenApi::primer_v2_2().unwrap()
}

/// Checks an answer against the document's answer for its status.
fn documented(spec: &OpenApi, method: &str, path: &str, reply: &Reply) {
    match spec.check_response(method, path, reply.status, &reply.body) {
        Ok(true) => {}
        Ok(false) => panic!("no schema for {method} {path} {}", reply.status),
        Err(violation) => panic!("{violation:#?}\n{:#}", reply.body),
    }
}

/// The fields of `component` the document declares.
fn declared(component: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(&read_spec("primer-v2.2-openapi.json").unwrap()).unwrap();
    doc["components"]["schemas"][component]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn assert_declared_only(component: &str, body: &Value) {
    let declared = declared(component);
    for key in body.as_object().unwrap().keys() {
        assert!(
            declared.contains(key),
            "{component} declares no {key}: {body:#}"
        );
    }
}

/// An RFC 3339 date about 24 hours from now.
fn assert_a_day_ahead(date: &str) {
    let expires = OffsetDateTime::parse(date, &Rfc3339).unwrap();
    let ahead = expires - OffsetDateTime::now_utc();
    assert!(
        ahead > time::Duration::hours(24) - time::Duration::minutes(1)
            && ahead <= time::Duration::hours(24),
        "{date} is {ahead} ahead"
    );
}

#[tokio::test]
async fn a_client_session_answers_a_client_token_for_a_day_and_is_kept() {
    let spec = spec();
    let sim = Sim::start().await;
    let body = json!({
        "orderId": "order-abc",
        "currencyCode": "GBP",
        "amount": 4999,
        "order": {"countryCode": "GB",
                  "lineItems": [{"itemId": "shoes-123", "description": "Some shoes", "amount": 2500, "quantity": 2}]},
        "customerId": "customer-123",
        "customer": {"emailAddress": "john@example.com", "firstName": "John"},
        "metadata": {"productType": "Shoes"},
        "paymentMethod": {"authorizationType": "ESTIMATED", "vaultOnSuccess": false,
                          "descriptor": "Purchase: Shoes", "paymentType": "ECOMMERCE"},
    });
    assert_eq!(
        spec.check_request("post", "/client-session", &body),
        Ok(true)
    );
    let created = sim.post("/client-session", &body).await;
    assert_eq!(created.status, 200, "{created:?}");
    documented(&spec, "post", "/client-session", &created);
    assert_declared_only("ClientSessionWithTokenAPIResponse", &created.body);
    let token = created.str("/clientToken");
    assert!(token.len() >= 100, "{token}");
    assert_eq!(token.split('.').count(), 3, "{token}");
    assert_a_day_ahead(&created.str("/clientTokenExpirationDate"));
    for field in [
        "orderId",
        "currencyCode",
        "amount",
        "order",
        "customerId",
        "customer",
        "metadata",
        "paymentMethod",
    ] {
        assert_eq!(created.body[field], body[field], "{field}");
    }
    // The session is kept: GET answers it, without its token.
    let path = format!("/client-session?clientToken={token}");
    let fetched = sim.get(&path).await;
    assert_eq!(fetched.status, 200, "{fetched:?}");
    documented(&spec, "get", "/client-session", &fetched);
    assert_declared_only("ClientSessionAPIResponse", &fetched.body);
    assert_eq!(fetched.body["orderId"], "order-abc");
    assert_eq!(fetched.body["amount"], 4999);
    assert!(fetched.body.get("clientToken").is_none());

    // A second session has its own token.
    let other = sim.post("/client-session", &body).await;
    assert_ne!(other.str("/clientToken"), token);

    // Nothing is required; without an amount the line items make it.
    let bare = sim.post("/client-session", &json!({})).await;
    assert_eq!(bare.status, 200, "{bare:?}");
    documented(&spec, "post", "/client-session", &bare);
    assert!(!bare.str("/clientToken").is_empty());
    assert!(bare.body.get("amount").is_none());
    let items = json!({"currencyCode": "EUR", "order": {"lineItems": [
        {"amount": 2500, "quantity": 2}, {"amount": 1000, "discountAmount": 100}],
        "fees": [{"amount": 50}], "shipping": {"amount": 450}}});
    let summed = sim.post("/client-session", &items).await;
    assert_eq!(summed.body["amount"], 5000 + 900 + 50 + 450);
    documented(&spec, "post", "/client-session", &summed);
}

#[tokio::test]
async fn malformed_client_sessions_are_refused_naming_the_field() {
    let spec = spec();
    let sim = Sim::start().await;
    let cases = [
        (json!({"amount": "12.00"}), "$.amount"),
        (json!({"amount": -1}), "$.amount"),
        (json!({"amount": 12.5}), "$.amount"),
        (json!({"currencyCode": "eur"}), "$.currencyCode"),
        (json!({"currencyCode": 978}), "$.currencyCode"),
        (json!({"orderId": ""}), "$.orderId"),
        (json!({"orderId": "o".repeat(257)}), "$.orderId"),
        (json!({"orderId": 17}), "$.orderId"),
        (json!({"customerId": ""}), "$.customerId"),
        (json!({"clientToken": "mine"}), "$.clientToken"),
        (
            json!({"customer": {"emailAddress": "not-an-address"}}),
            "$.customer.emailAddress",
        ),
        (
            json!({"customer": {"firstName": ""}}),
            "$.customer.firstName",
        ),
        (
            json!({"order": {"countryCode": "XX"}}),
            "$.order.countryCode",
        ),
        (
            json!({"paymentMethod": {"authorizationType": "LATER"}}),
            "$.paymentMethod.authorizationType",
        ),
        (
            json!({"paymentMethod": {"vaultOnSuccess": "yes"}}),
            "$.paymentMethod.vaultOnSuccess",
        ),
        (json!({"metadata": "shoes"}), "$.metadata"),
        (json!(["orderId"]), "$"),
    ];
    for (body, path) in cases {
        // The document agrees each is malformed (the top-level array aside, which it cannot
        // describe as a request).
        if body.is_object() {
            assert!(
                spec.check_request("post", "/client-session", &body)
                    .is_err(),
                "the document takes {body}"
            );
        }
        let reply = sim.post("/client-session", &body).await;
        assert_eq!(reply.status, 422, "{body}: {reply:?}");
        assert_eq!(reply.error_id(), "RequestValidationError", "{body}");
        let validation = &reply.body["error"]["validationErrors"][0];
        assert_eq!(validation["model"], "ClientSessionAPIRequest", "{body}");
        assert_eq!(validation["errors"][0]["path"], path, "{body}: {reply:?}");
        documented(&spec, "post", "/client-session", &reply);
    }

    // The same authentication as every other route.
    let no_key = sim
        .send(
            reqwest::Method::POST,
            "/client-session",
            &[("X-Api-Version", "2.2")],
            Some(&json!({})),
        )
        .await;
    assert_eq!(no_key.status, 401);
    let exception = PRIMER_UNDOCUMENTED
        .iter()
        .find(|x| x.matches("post", "/client-session", 401))
        .unwrap();
    spec.check_undocumented(exception, "post", "/client-session", 401, &no_key.body)
        .unwrap();
    let no_version = sim
        .send(
            reqwest::Method::POST,
            "/client-session",
            &[("X-Api-Key", "primer_sim_api_key")],
            Some(&json!({})),
        )
        .await;
    assert_eq!(no_version.status, 400);
    assert_eq!(no_version.error_id(), "MissingApiVersion");
    documented(&spec, "post", "/client-session", &no_version);
    // An unknown token.
    let unknown = sim.get("/client-session?clientToken=nope").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_id(), "ClientSessionNotFound");
    documented(&spec, "get", "/client-session", &unknown);
    let missing = sim.get("/client-session").await;
    assert_eq!(missing.status, 400);
}

fn session_request(wallets: Vec<Wallet>) -> SessionTokenRequest {
    SessionTokenRequest {
        reference: "pay_01J9ZKQ4".into(),
        amount: MinorUnit::new(1250).unwrap(),
        currency: Currency::EUR,
        wallets,
        merchant: WalletMerchant::new("Sock Shop", CountryCode::new("NL").unwrap()),
    }
}

fn client_token(session: &WalletSession) -> (String, Option<String>) {
    match session {
        WalletSession::ClientToken {
            client_token,
            expires_at,
            ..
        } => (client_token.expose_secret().to_owned(), expires_at.clone()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_gets_its_session_token_and_its_traffic_is_documented() {
    let logs = LogCapture::install();
    let config = PrimerSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let proxy = RecordingProxy::start(handle.base_url()).await.unwrap();
    let target = target_at(&config, proxy.url(), Some(handle.clone()));
    let connector = target.connector().unwrap();
    assert!(connector.capabilities().supports(Flow::SessionToken));

    let answer = connector
        .session_token(&session_request(vec![Wallet::ApplePay, Wallet::GooglePay]))
        .await
        .unwrap();
    let wallets: Vec<Wallet> = answer.sessions.iter().map(WalletSession::wallet).collect();
    assert_eq!(wallets, [Wallet::ApplePay, Wallet::GooglePay]);
    let (token, expires_at) = client_token(&answer.sessions[0]);
    assert_eq!(client_token(&answer.sessions[1]).0, token);
    assert_a_day_ahead(&expires_at.unwrap());

    // Exactly the documented request, answered with the documented response.
    let exchanges = proxy.exchanges();
    assert_eq!(exchanges.len(), 1, "{exchanges:?}");
    let sent: Value = serde_json::from_slice(&exchanges[0].request_body).unwrap();
    assert_eq!(
        sent,
        json!({"orderId": "pay_01J9ZKQ4", "currencyCode": "EUR", "amount": 1250,
               "order": {"countryCode": "NL"}})
    );
    assert_eq!(exchanges[0].path, "/client-session");
    let checked = check_against(&spec(), &exchanges);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    assert_eq!((checked.requests, checked.responses), (1, 1));

    // The simulator keeps the session the token opens.
    let sim_client = Sim {
        handle: handle.clone(),
        config: config.clone(),
        client: reqwest::Client::new(),
    };
    let kept = sim_client
        .get(&format!("/client-session?clientToken={token}"))
        .await;
    assert_eq!(kept.status, 200, "{kept:?}");
    assert_eq!(kept.body["orderId"], "pay_01J9ZKQ4");
    assert_eq!(kept.body["order"]["countryCode"], "NL");

    // The token never reaches the logs; the masked answer does.
    if let Some(logs) = logs {
        let text = logs.text();
        assert!(text.contains("client-session"), "no processor call logged");
        assert!(
            text.contains("\"clientToken\":\"***\""),
            "answer not logged masked"
        );
        assert!(!text.contains(&token), "the client token was logged");
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !text.contains(signature),
            "part of the client token was logged"
        );
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_typed_and_never_an_unknown_outcome() {
    let config = PrimerSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let mut target = target_at(&config, handle.base_url(), Some(handle.clone()));
    target.config.execution.timeouts.request = Duration::from_millis(300);
    let connector = target.connector().unwrap();
    let request = session_request(vec![Wallet::GooglePay]);

    handle.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let err = connector.session_token(&request).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Processor { detail, outcome_unknown: false }
            if detail.http_status == Some(503)),
        "{err:?}"
    );
    handle.inject(Fault::DropConnection {
        after_processing: true,
    });
    let err = connector.session_token(&request).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Transport {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    handle.inject(Fault::Delay {
        duration: Duration::from_secs(2),
        after_processing: false,
    });
    let err = connector.session_token(&request).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Timeout {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    handle.inject(Fault::Status {
        status: 422,
        retry_after_secs: None,
    });
    let err = connector.session_token(&request).await.unwrap_err();
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
    // A wrong key.
    let mut wrong = target.config.clone();
    wrong.api_key = "not_the_key".to_owned().into();
    let err = (target.build)(&wrong)
        .unwrap()
        .session_token(&request)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Authentication(_)), "{err:?}");
    // An order id Primer would refuse never leaves.
    let before = handle.counters().requests;
    let mut long = request.clone();
    long.reference = "r".repeat(300);
    let err = connector.session_token(&long).await.unwrap_err();
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
    assert_eq!(handle.counters().requests, before);
    // And it works again afterwards.
    assert!(connector.session_token(&request).await.is_ok());
    handle.shutdown().await;
}
