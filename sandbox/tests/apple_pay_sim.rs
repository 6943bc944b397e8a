//! The Apple Pay merchant validation simulator, driven by paybridge's own client
//! (`paybridge_core::wallet::apple_pay::MerchantValidation`, and core's `Executor` for what that
//! client never sends): mutual TLS refusals, Apple's error answers, the session object, faults.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use paybridge_core::executor::CallContext;
use paybridge_core::http::{HttpRequest, HttpResponse};
use paybridge_core::secrecy::SecretString;
use paybridge_core::wallet::apple_pay::{MerchantIdentity, MerchantValidation};
use paybridge_core::*;
use paybridge_sandbox::apple_pay::{
    self, merchant_hash, ApplePayCounters, ApplePaySimConfig, ApplePaySimHandle, TestPki,
};
use paybridge_sandbox::Fault;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const MERCHANT: &str = "merchant.com.paybridge.demo";
const DOMAIN: &str = "shop.example.com";
const NAME: &str = "Paybridge Demo Store";
const TIMEOUT: Duration = Duration::from_secs(5);

async fn start() -> ApplePaySimHandle {
    apple_pay::start(
        ApplePaySimConfig::new().with_merchant(MERCHANT, [DOMAIN, "Checkout.Example.com."]),
    )
    .await
    .unwrap()
}

/// An identity for `merchant` on `domain` with a certificate `pki` made for `certified`.
fn identity(
    pki: &TestPki,
    certified: &str,
    merchant: &str,
    name: &str,
    domain: &str,
) -> MerchantIdentity {
    let (certificate, key) = pki.merchant_identity(certified).unwrap();
    MerchantIdentity {
        merchant_identifier: merchant.to_owned(),
        display_name: name.to_owned(),
        domain: domain.to_owned(),
        certificate_pem: SecretString::from(certificate),
        private_key_pem: SecretString::from(key),
    }
}

fn validation(
    sim: &ApplePaySimHandle,
    identity: MerchantIdentity,
    timeout: Duration,
) -> MerchantValidation {
    MerchantValidation::new(
        identity,
        sim.endpoint(),
        vec![sim.ca_pem().to_owned()],
        timeout,
    )
    .unwrap()
}

fn demo(sim: &ApplePaySimHandle) -> MerchantValidation {
    validation(
        sim,
        identity(sim.pki(), MERCHANT, MERCHANT, NAME, DOMAIN),
        TIMEOUT,
    )
}

/// Posts `body` with core's executor, presenting `identity_pem` (certificate and key) if any.
async fn post_raw(
    sim: &ApplePaySimHandle,
    identity_pem: Option<String>,
    body: &Value,
) -> Result<HttpResponse, ConnectorError> {
    let tls = ClientTls {
        identity_pem: identity_pem.map(SecretString::from),
        extra_roots_pem: vec![sim.ca_pem().to_owned()],
    };
    let executor = Executor::with_tls(TIMEOUT, &tls).unwrap();
    let profile = WireProfile {
        idempotency_header: "idempotency-key",
        key_reuse: KeyReuse::ReplaysAll,
        retry_hint: no_retry_hint,
        sensitive_fields: &[],
    };
    let retry = RetryPolicy::none();
    let ctx = CallContext {
        connector: "apple_pay",
        flow: Flow::SessionToken.name(),
        profile: &profile,
        retry: &retry,
        request_timeout: TIMEOUT,
    };
    let request = HttpRequest::post(sim.endpoint()).json(body).unwrap();
    executor.send(ctx, &request).await
}

fn merchant_pem(pki: &TestPki, merchant: &str) -> String {
    let (certificate, key) = pki.merchant_identity(merchant).unwrap();
    format!("{certificate}\n{key}")
}

fn web_body(merchant: &str, name: &str, domain: &str) -> Value {
    json!({"merchantIdentifier": merchant, "displayName": name, "initiative": "web",
           "initiativeContext": domain})
}

fn is_hex(s: &str, upper: bool) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_digit()
                || if upper {
                    (b'A'..=b'F').contains(&b)
                } else {
                    (b'a'..=b'f').contains(&b)
                }
        })
}

#[tokio::test]
async fn a_valid_identity_gets_a_merchant_session() {
    let sim = start().await;
    let validation = demo(&sim);
    let before = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let session = validation.merchant_session().await.unwrap();
    let after = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 1000;

    let fields: Vec<&str> = session
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "epochTimestamp",
        "expiresAt",
        "merchantSessionIdentifier",
        "nonce",
        "merchantIdentifier",
        "domainName",
        "displayName",
        "signature",
        "operationalAnalyticsIdentifier",
        "retries",
        "pspId",
    ];
    expected.sort_unstable();
    let mut fields = fields;
    fields.sort_unstable();
    assert_eq!(fields, expected);

    assert_eq!(session["domainName"], DOMAIN);
    assert_eq!(session["displayName"], NAME);
    let epoch = session["epochTimestamp"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&epoch),
        "{epoch} not in {before}..{after}"
    );
    assert_eq!(
        session["expiresAt"].as_i64().unwrap() - epoch,
        5 * 60 * 1000
    );
    // The merchant's hash: the hex SHA-256 of the merchant id.
    let hash: String = Sha256::digest(MERCHANT.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(merchant_hash(MERCHANT), hash);
    assert_eq!(session["merchantIdentifier"], hash.as_str());
    assert_eq!(session["pspId"], hash.as_str());
    assert_eq!(
        session["operationalAnalyticsIdentifier"],
        format!("{NAME}:{hash}").as_str()
    );
    let identifier = session["merchantSessionIdentifier"].as_str().unwrap();
    let (head, tail) = identifier.split_once('_').unwrap();
    assert!(
        head.starts_with("SSH") && is_hex(&head[3..], true),
        "{identifier}"
    );
    assert!(tail.len() == 64 && is_hex(tail, true), "{identifier}");
    let nonce = session["nonce"].as_str().unwrap();
    assert!(nonce.len() == 8 && is_hex(nonce, false), "{nonce}");
    let signature = session["signature"].as_str().unwrap();
    assert!(
        signature.len() > 500 && is_hex(signature, false),
        "{signature}"
    );
    assert_eq!(session["retries"], 0);

    // One session per call: a new identifier and nonce each time. The other verified domain
    // works too, whatever its case or final dot.
    let again = validation.merchant_session().await.unwrap();
    assert_ne!(
        again["merchantSessionIdentifier"],
        session["merchantSessionIdentifier"]
    );
    assert_ne!(again["nonce"], session["nonce"]);
    let other_domain = validation_for(&sim, MERCHANT, "checkout.example.com")
        .merchant_session()
        .await
        .unwrap();
    assert_eq!(other_domain["domainName"], "checkout.example.com");

    let counters = sim.counters();
    assert_eq!(
        (
            counters.requests,
            counters.sessions,
            counters.rejections,
            counters.handshake_failures
        ),
        (3, 3, 0, 0),
        "{counters:?}"
    );
    sim.shutdown().await;
}

fn validation_for(sim: &ApplePaySimHandle, merchant: &str, domain: &str) -> MerchantValidation {
    validation(
        sim,
        identity(sim.pki(), merchant, merchant, NAME, domain),
        TIMEOUT,
    )
}

fn assert_transport(result: Result<impl std::fmt::Debug, ConnectorError>) {
    let err = result.unwrap_err();
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
}

/// The counters once the simulator has counted `n` refused handshakes: rustls sends its alert
/// before the server's task counts, so the client may see the refusal first.
async fn handshake_failures(sim: &ApplePaySimHandle, n: u64) -> ApplePayCounters {
    for _ in 0..200 {
        let counters = sim.counters();
        if counters.handshake_failures >= n {
            assert_eq!(counters.handshake_failures, n, "{counters:?}");
            return counters;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} refused handshakes expected: {:?}", sim.counters());
}

#[tokio::test]
async fn without_a_client_certificate_the_handshake_fails() {
    let sim = start().await;
    let body = web_body(MERCHANT, NAME, DOMAIN);
    // The executor reports the failed connection; `for_read`: no money can have moved.
    assert_transport(
        post_raw(&sim, None, &body)
            .await
            .map_err(ConnectorError::for_read),
    );
    // A plain reqwest client trusting the CA, with no identity, fails the same way.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    assert!(client
        .post(sim.endpoint())
        .body(body.to_string())
        .send()
        .await
        .is_err());
    let counters = handshake_failures(&sim, 2).await;
    assert_eq!(
        (counters.requests, counters.sessions),
        (0, 0),
        "{counters:?}"
    );
    // The same client with the identity is served: the refusal was the certificate's.
    let served = post_raw(&sim, Some(merchant_pem(sim.pki(), MERCHANT)), &body)
        .await
        .unwrap();
    assert_eq!(served.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_fails_the_handshake() {
    let sim = start().await;
    let other = TestPki::generate().unwrap();
    let stranger = validation(
        &sim,
        identity(&other, MERCHANT, MERCHANT, NAME, DOMAIN),
        TIMEOUT,
    );
    assert_transport(stranger.merchant_session().await);
    let counters = handshake_failures(&sim, 1).await;
    assert_eq!(
        (counters.requests, counters.sessions),
        (0, 0),
        "{counters:?}"
    );

    // Nor does a client that does not trust the simulator's CA reach it.
    let distrustful = MerchantValidation::new(
        identity(sim.pki(), MERCHANT, MERCHANT, NAME, DOMAIN),
        sim.endpoint(),
        vec![other.ca_pem().to_owned()],
        TIMEOUT,
    )
    .unwrap();
    assert_transport(distrustful.merchant_session().await);
    assert_eq!(sim.counters().sessions, 0);
    sim.shutdown().await;
}

/// Asserts Apple's 400 as `MerchantValidation` reports it: a validation rejection carrying
/// `statusMessage`.
fn assert_rejected(result: Result<Value, ConnectorError>, says: &str) {
    let err = result.unwrap_err();
    let ConnectorError::Rejected {
        kind: RejectionKind::Validation,
        detail,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(detail.http_status, Some(400), "{err:?}");
    let message = detail.message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with("Payment Services Exception ") && message.contains(says),
        "{message:?} lacks {says:?}"
    );
}

#[tokio::test]
async fn apple_refuses_the_wrong_merchant_domain_or_initiative() {
    let sim = start().await;
    // A valid certificate of one merchant asking for another.
    let borrowed = validation(
        &sim,
        identity(sim.pki(), MERCHANT, "merchant.com.other", NAME, DOMAIN),
        TIMEOUT,
    );
    assert_rejected(
        borrowed.merchant_session().await,
        "merchantId=merchant.com.other does not match the merchant identity certificate",
    );
    // A merchant the simulator does not know, with its own certificate.
    let unknown = validation_for(&sim, "merchant.com.unknown", DOMAIN);
    assert_rejected(
        unknown.merchant_session().await,
        "merchantId=merchant.com.unknown unknown or not enrolled",
    );
    // A domain not verified for the merchant.
    let elsewhere = validation_for(&sim, MERCHANT, "evil.example.net");
    assert_rejected(
        elsewhere.merchant_session().await,
        "initiativeContext=evil.example.net is not a registered domain for merchantId=merchant.com.paybridge.demo",
    );
    // Registering the domain afterwards lets the same client in.
    sim.register_merchant(MERCHANT, ["evil.example.net"]);
    assert!(elsewhere.merchant_session().await.is_ok());

    // What MerchantValidation never sends: checked with the executor directly.
    let pem = merchant_pem(sim.pki(), MERCHANT);
    let cases = [
        (
            json!({"merchantIdentifier": MERCHANT, "displayName": NAME,
                   "initiative": "app", "initiativeContext": DOMAIN}),
            "initiative=app is invalid",
        ),
        (
            web_body(MERCHANT, &"x".repeat(65), DOMAIN),
            "displayName is missing or not 1 to 64 UTF-8 characters",
        ),
        (
            json!({"merchantIdentifier": MERCHANT, "displayName": NAME, "initiative": "web"}),
            "initiativeContext is missing",
        ),
        (
            json!({"displayName": NAME, "initiative": "web", "initiativeContext": DOMAIN}),
            "merchantIdentifier is missing",
        ),
        (json!("merchant.com.paybridge.demo"), "Invalid request"),
    ];
    let refused = cases.len() as u64;
    for (body, says) in cases {
        let reply = post_raw(&sim, Some(pem.clone()), &body).await.unwrap();
        assert_eq!(reply.status, 400, "{body}");
        let answer: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(answer["statusCode"], "400", "{body}");
        let message = answer["statusMessage"].as_str().unwrap();
        assert!(
            message.starts_with("Payment Services Exception ") && message.contains(says),
            "{body}: {message}"
        );
    }
    // 64 characters is the limit, not 63; the legacy body is still answered.
    let longest = post_raw(
        &sim,
        Some(pem.clone()),
        &web_body(MERCHANT, &"é".repeat(64), DOMAIN),
    )
    .await
    .unwrap();
    assert_eq!(longest.status, 200);
    let legacy = json!({"merchantIdentifier": MERCHANT, "displayName": NAME, "domainName": DOMAIN});
    let legacy = post_raw(&sim, Some(pem), &legacy).await.unwrap();
    assert_eq!(legacy.status, 200);

    let counters = sim.counters();
    assert_eq!(counters.rejections, 3 + refused, "{counters:?}");
    assert_eq!(counters.sessions, 3, "{counters:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_are_typed_errors() {
    let sim = start().await;
    let validation = validation(
        &sim,
        identity(sim.pki(), MERCHANT, MERCHANT, NAME, DOMAIN),
        Duration::from_millis(300),
    );

    sim.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let err = validation.merchant_session().await.unwrap_err();
    let ConnectorError::Processor {
        detail,
        outcome_unknown: false,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(detail.http_status, Some(503));
    assert_eq!(
        detail.message.as_deref(),
        Some("Payment Services Exception Service Unavailable")
    );

    sim.inject(Fault::DropConnection {
        after_processing: false,
    });
    assert_transport(validation.merchant_session().await);

    sim.inject(Fault::Status {
        status: 429,
        retry_after_secs: Some(1),
    });
    let err = validation.merchant_session().await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(1)),
        "{err:?}"
    );

    // The faults are used up: the next call is served.
    assert!(validation.merchant_session().await.is_ok());
    let counters = sim.counters();
    assert_eq!(
        counters,
        ApplePayCounters {
            connections: counters.connections,
            handshake_failures: 0,
            requests: 4,
            sessions: 1,
            rejections: 0,
        }
    );
    // A delay beyond the client's timeout (the simulator's answer comes too late).
    sim.inject(Fault::Delay {
        duration: Duration::from_secs(2),
        after_processing: false,
    });
    let err = validation.merchant_session().await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Timeout {
                after,
                outcome_unknown: false,
            } if after == Duration::from_millis(300)
        ),
        "{err:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_http_endpoint_is_refused_and_a_stopped_simulator_is_unreachable() {
    let sim = start().await;
    let mut endpoint = sim.endpoint();
    endpoint.set_scheme("http").unwrap();
    let err = MerchantValidation::new(
        identity(sim.pki(), MERCHANT, MERCHANT, NAME, DOMAIN),
        endpoint,
        vec![sim.ca_pem().to_owned()],
        TIMEOUT,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::InvalidRequest { field, .. } if *field == "apple_pay.endpoint"),
        "{err:?}"
    );
    // Another path, another method: Apple's error shape.
    let pem = merchant_pem(sim.pki(), MERCHANT);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap())
        .identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut elsewhere = sim.endpoint();
    elsewhere.set_path("/paymentservices/startSession");
    let missing = client.post(elsewhere).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = serde_json::from_slice(&missing.bytes().await.unwrap()).unwrap();
    assert_eq!(body["statusCode"], "404");
    let get = client.get(sim.endpoint()).send().await.unwrap();
    assert_eq!(get.status(), 405);

    let validation = demo(&sim);
    assert!(validation.merchant_session().await.is_ok());
    sim.clone().shutdown().await;
    assert_transport(validation.merchant_session().await);
    // A second shutdown does nothing.
    sim.shutdown().await;
}
