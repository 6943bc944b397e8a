//! A router on ephemeral ports with the in-process simulators, a SQLite file of its own, two
//! merchants, and a client that checks every answer against the router's OpenAPI document.

#![allow(dead_code, missing_docs)]

pub mod process;
pub mod receiver;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use paybridge_connector_tests::openapi::OpenApi;
use paybridge_connector_tests::targets;
use paybridge_core::{ConnectorConfig, PaymentMethod, WalletToken};
use paybridge_router::config::MerchantConfig;
use paybridge_router::reconciler::ReconcilerSettings;
use paybridge_router::{start, RouterConfig, Running};
use serde_json::{json, Value};

pub const KEY: &str = "test_key_merchant_one";
pub const OTHER_KEY: &str = "test_key_merchant_two";
/// Short enough for the timeout tests, long enough for a loaded CI machine.
pub const CONNECTOR_TIMEOUT_MS: u64 = 1500;

pub struct TestRouter {
    pub running: Running,
    pub client: reqwest::Client,
    pub base: String,
    /// The database it runs on.
    pub database_url: String,
    _db: TempDb,
}

/// A SQLite file removed at drop.
struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn openapi() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        OpenApi::load(&path).expect("router/openapi.json loads")
    })
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl TestRouter {
    pub async fn start() -> TestRouter {
        Self::start_configured(|_| {}).await
    }

    /// A router with every simulator, its configuration changed by `configure` first.
    pub async fn start_configured(configure: impl FnOnce(&mut RouterConfig)) -> TestRouter {
        let path =
            std::env::temp_dir().join(format!("paybridge-router-test-{}.db", uuid::Uuid::new_v4()));
        Self::start_on(path, BTreeMap::new(), configure).await
    }

    /// Two routers on one database, as two instances behind a load balancer, routing
    /// `connector` to one simulator (returned, with the configuration that reaches it; it posts
    /// no webhooks).
    pub async fn start_two(
        connector: &str,
    ) -> (
        TestRouter,
        TestRouter,
        paybridge_sandbox::SimulatorHandle,
        ConnectorConfig,
    ) {
        let entry = targets::connector(connector).expect("a registered connector");
        let target = (entry.simulator)().await.expect("simulator starts");
        let connectors = BTreeMap::from([(connector.to_owned(), target.config.clone())]);
        let path =
            std::env::temp_dir().join(format!("paybridge-router-test-{}.db", uuid::Uuid::new_v4()));
        let first = Self::start_on(path.clone(), connectors.clone(), |_| {}).await;
        let second = Self::start_on(path, connectors, |_| {}).await;
        (
            first,
            second,
            target.simulator.expect("a simulator"),
            target.config,
        )
    }

    /// A router on the SQLite file `path` (or `PAYBRIDGE_TEST_DATABASE_URL`), with
    /// `connectors`, or with every simulator when that is empty.
    async fn start_on(
        path: PathBuf,
        connectors: BTreeMap<String, ConnectorConfig>,
        configure: impl FnOnce(&mut RouterConfig),
    ) -> TestRouter {
        // Opt-in: the same tests on another database (a fresh PostgreSQL database with the
        // `postgres` feature); by default a SQLite file of its own per router.
        let database_url = std::env::var("PAYBRIDGE_TEST_DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", path.display()));
        let mut config = RouterConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database_url: database_url.clone(),
            merchants: vec![
                MerchantConfig {
                    merchant_id: "merchant_one".into(),
                    api_key: Some(KEY.into()),
                    api_key_sha256: None,
                    webhook: None,
                    wallets: None,
                    authentication: None,
                },
                MerchantConfig {
                    merchant_id: "merchant_two".into(),
                    api_key: Some(OTHER_KEY.into()),
                    api_key_sha256: None,
                    webhook: None,
                    wallets: None,
                    authentication: None,
                },
            ],
            connector_timeout_ms: Some(CONNECTOR_TIMEOUT_MS),
            simulators: connectors.is_empty(),
            connectors,
            // Off unless a test is about it: on a shared PostgreSQL database one test's
            // reconciler would settle another's payments against its own simulators.
            reconciler: ReconcilerSettings {
                enabled: false,
                ..ReconcilerSettings::default()
            },
            ..RouterConfig::default()
        };
        configure(&mut config);
        let running = start(config).await.expect("router starts");
        let base = running.base_url();
        TestRouter {
            running,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            base,
            database_url,
            _db: TempDb(path),
        }
    }

    /// A call as merchant one with a JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let raw = body.map(|b| b.to_string());
        self.raw(method, path, Some(KEY), None, raw.as_deref())
            .await
    }

    /// Any call; checks the answer against the OpenAPI document.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        api_key: Option<&str>,
        idempotency_key: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let method_value = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method_value, format!("{}{path}", self.base));
        if let Some(key) = api_key {
            request = request.header("api-key", key);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("router answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} answered non-JSON ({e}): {text}"));
        let doc_path = path.split('?').next().unwrap_or(path);
        if status >= 400 {
            if let Err(v) = openapi().check_component("ErrorBody", &body) {
                panic!("{method} {path} {status}: error body off the document: {v:?}\n{body:#}");
            }
        }
        let routed = !matches!(
            body["error"]["code"].as_str(),
            Some("route_not_found" | "method_not_allowed")
        );
        if routed {
            if let Err(v) = openapi().check_response(method, doc_path, status, &body) {
                panic!("{method} {path} {status}: answer off the document: {v:?}\n{body:#}");
            }
        }
        Answer {
            status,
            body,
            headers,
        }
    }

    /// Creates a payment and asserts it was answered 200.
    pub async fn create(&self, body: Value) -> Value {
        let answer = self.call("POST", "/payments", Some(body)).await;
        assert_eq!(answer.status, 200, "create: {:#}", answer.body);
        answer.body
    }

    pub fn simulator(&self, connector: &str) -> &paybridge_sandbox::SimulatorHandle {
        self.running
            .simulator(connector)
            .expect("simulator started")
    }
}

/// Completes the customer's 3DS step for a payment created through the router, as the
/// connector's conformance target does (a redirect, or Primer's SDK on the simulator); returns
/// the parameters to pass to complete_authorize.
pub async fn complete_customer_action(
    router: &TestRouter,
    connector: &str,
    payment: &Value,
) -> serde_json::Map<String, Value> {
    use paybridge_connector_tests::Customer;
    use paybridge_core::NextAction;
    let action = &payment["next_action"];
    let next = match action["type"].as_str() {
        Some("redirect_to_url") => NextAction::RedirectToUrl {
            url: action["redirect_to_url"].as_str().expect("url").to_owned(),
        },
        _ => NextAction::InvokeSdkClient {
            data: action["next_action_data"].clone(),
        },
    };
    let connector_id = payment["connector_transaction_id"]
        .as_str()
        .expect("connector id");
    let params = if connector == "primer" {
        let customer = targets::primer::SimulatedSdkCustomer {
            base_url: router.simulator("primer").base_url(),
        };
        customer.complete(connector_id, &next).await
    } else {
        paybridge_connector_tests::RedirectCustomer
            .complete(connector_id, &next)
            .await
    }
    .expect("the customer completes the challenge");
    params
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// The unified decline code of the connector's declining test card.
pub fn decline_code(connector: &str) -> Option<String> {
    test_cards(connector).declined.map(|(_, code)| {
        serde_json::to_value(code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    })
}

/// The connectors under test (every registered one).
pub fn connectors() -> Vec<&'static str> {
    targets::CONNECTORS.iter().map(|c| c.name).collect()
}

/// The registered connectors that support every one of `flows` (names as in `GET
/// /connectors`), so a freshly scaffolded connector is skipped until it implements them.
pub async fn connectors_with(router: &TestRouter, flows: &[&str]) -> Vec<&'static str> {
    let matrix = router.call("GET", "/connectors", None).await;
    let listed = matrix.body["connectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    connectors()
        .into_iter()
        .filter(|name| {
            listed.iter().any(|c| {
                c["connector"] == *name && flows.iter().all(|f| c["flows"][*f]["supported"] == true)
            })
        })
        .collect()
}

/// Which test card.
#[derive(Debug, Clone, Copy)]
pub enum TestCard {
    Approved,
    Mastercard,
    Declined,
    ThreeDs,
}

fn test_cards(connector: &str) -> paybridge_connector_tests::TestCards {
    let entry = targets::connector(connector).expect("a registered connector");
    (entry.cards)()
}

/// The payment-method fields of a create request for `card` on `connector`, or `None` when the
/// connector's simulator has no such card.
pub fn payment_fields(connector: &str, card: TestCard) -> Option<Value> {
    let cards = test_cards(connector);
    let method = match card {
        TestCard::Approved => Some(cards.approved),
        TestCard::Mastercard => cards.mastercard,
        TestCard::Declined => cards.declined.map(|(m, _)| m),
        TestCard::ThreeDs => cards.three_ds,
    }?;
    Some(match method {
        PaymentMethod::Card(card) => json!({
            "payment_method": "card",
            "payment_method_data": {"card": {
                "card_number": card.number.expose(),
                "card_exp_month": card.expiry.month().to_string(),
                "card_exp_year": card.expiry.year().to_string(),
                "card_cvc": card.cvc.as_ref().map(|c| c.expose().to_owned()),
            }}
        }),
        PaymentMethod::Token(token) => json!({"payment_token": token.as_str()}),
        wallet @ PaymentMethod::Wallet(_) => wallet_fields(&wallet),
    })
}

/// A create request body: `amount` USD on `connector` with `card`, manual capture when `manual`.
pub fn payment(connector: &str, amount: i64, manual: bool, card: TestCard) -> Value {
    let mut body = json!({
        "amount": amount,
        "currency": "USD",
        "connector": connector,
        "capture_method": if manual { "manual" } else { "automatic" },
        "return_url": "https://shop.example/return",
    });
    let fields = payment_fields(connector, card).expect("the simulator has this card");
    merge(&mut body, fields);
    body
}

pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

pub fn id(value: &Value) -> String {
    value["payment_id"].as_str().expect("payment_id").to_owned()
}

/// `POST path` as merchant one, sent now and answered later: its status and body.
pub fn post_in_background(
    router: &TestRouter,
    path: &str,
    body: Value,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let request = router
        .client
        .post(format!("{}{path}", router.base))
        .header("api-key", KEY)
        .json(&body);
    tokio::spawn(async move {
        let answer = request.send().await.expect("answered");
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().await.expect("json"))
    })
}

/// Polls `GET path` until `done` holds, for up to 5 s.
pub async fn eventually(router: &TestRouter, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let answer = router.call("GET", path, None).await;
        if done(&answer.body) || std::time::Instant::now() > deadline {
            return answer.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One whole HTTP/1.1 response read from a raw connection: up to the end of the body its
/// `content-length` announces, or what was read when the server closed after a complete head.
/// `None` when no whole response came within `wait`.
pub async fn read_http_response(
    stream: &mut tokio::net::TcpStream,
    wait: Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = std::time::Instant::now() + wait;
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        let head = text.split_once("\r\n\r\n");
        if let Some((head, body)) = head {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|n| n.trim().parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                return Some(text);
            }
        }
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return head.is_some().then_some(text),
            Err(_) => return None,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Every payment detail of a create request, with the values of the conformance suite's
/// details scenario (`paybridge_connector_tests::details`): found nowhere else, so a test can
/// look for them in what processors received and in the logs.
pub fn details() -> Value {
    json!({
        "customer": {"id": "cust-marker-4711", "name": "Ada Markername",
            "email": "ada.customer@example.com", "phone": "2079460011",
            "phone_country_code": "+44"},
        "billing": {
            "address": {"line1": "1 Billinglane", "line2": "Flat 7", "city": "London",
                "state": "Greater London", "zip": "NW1 5LR", "country": "GB",
                "first_name": "Billie", "last_name": "Lovelace"},
            "phone": {"number": "2079460022", "country_code": "+44"},
            "email": "ada.billing@example.com"
        },
        "shipping": {
            "address": {"line1": "2 Shippingrow", "city": "Leeds", "zip": "LS1 1UR",
                "country": "GB", "first_name": "Shippa", "last_name": "Lovelace"},
            "phone": {"number": "2079460033", "country_code": "+44"}
        },
        "description": "Marker description 77",
        "merchant_order_reference_id": "order-marker-991",
        "statement_descriptor_name": "MARKERSHOP",
        "statement_descriptor_suffix": "ORDER77",
        "payment_method_type": "credit",
        "browser_info": {"ip_address": "203.0.113.77", "user_agent": "MarkerAgent/5.0",
            "language": "en-GB", "color_depth": 24, "screen_height": 900, "screen_width": 1440,
            "time_zone": -60, "java_enabled": false, "java_script_enabled": true}
    })
}

/// Each forwardable detail of [`details`] by its name in `forwarded_details`, and the value
/// that shows it reached a processor.
pub fn detail_markers() -> Vec<(String, &'static str)> {
    paybridge_connector_tests::details::MARKERS
        .iter()
        .map(|(detail, marker)| {
            let name = serde_json::to_value(detail).expect("a name");
            (name.as_str().unwrap_or_default().to_owned(), *marker)
        })
        .collect()
}

/// The personal data in [`details`]: never in a log.
pub fn personal_data() -> Vec<&'static str> {
    let mut personal = paybridge_connector_tests::details::PERSONAL_DATA.to_vec();
    personal.push("MarkerAgent");
    personal
}

/// The create-request fields of a wallet payment method (a test token of a connector target).
pub fn wallet_fields(method: &PaymentMethod) -> Value {
    use paybridge_core::secrecy::ExposeSecret;
    let PaymentMethod::Wallet(token) = method else {
        panic!("not a wallet token");
    };
    let wallet = match token {
        WalletToken::GooglePay(google) => json!({"google_pay": {
            "type": "CARD",
            "description": "Visa •••• 4242",
            "info": {"card_network": "VISA", "card_details": "4242"},
            "tokenization_data": {"type": "PAYMENT_GATEWAY", "token": google.token().expose_secret()},
        }}),
        WalletToken::ApplePay(apple) => json!({"apple_pay": {
            "payment_data": serde_json::to_value(apple.payment_data()).expect("payment data"),
            "payment_method": {"display_name": "MasterCard 4444", "network": apple.network, "type": "credit"},
            "transaction_identifier": apple.transaction_identifier,
        }}),
    };
    json!({
        "payment_method": "wallet",
        "payment_method_type": token.wallet().name(),
        "payment_method_data": {"wallet": wallet},
    })
}

/// The test wallet tokens of `connector`'s simulator target.
pub fn test_wallets(connector: &str) -> Vec<paybridge_connector_tests::TestWallet> {
    test_cards(connector).wallets
}

/// A create request for an externally authenticated payment of 1500 USD, manual capture.
pub fn external_3ds_payment(connector: &str, pan: &str) -> Value {
    json!({
        "amount": 1500,
        "currency": "USD",
        "connector": connector,
        "capture_method": "manual",
        "payment_method": "card",
        "payment_method_data": {"card": {"card_number": pan, "card_exp_month": "12",
            "card_exp_year": "2030", "card_cvc": "123"}},
        "authentication_type": "three_ds",
        "request_external_three_ds_authentication": true,
        "return_url": "https://shop.example/return",
        "customer": {"email": "ada.customer@example.com"},
        "browser_info": {"ip_address": "203.0.113.77", "user_agent": "Mozilla/5.0 (X11)",
            "accept_header": "text/html", "language": "en-GB", "color_depth": 24,
            "screen_height": 900, "screen_width": 1440, "time_zone": -60,
            "java_enabled": false, "java_script_enabled": true}
    })
}

/// What the 3DS server simulator recorded of transaction `id` (its ARes, CReq, RReq…).
pub async fn three_ds_transaction(router: &TestRouter, id: &str) -> Value {
    let base = router.simulator("threedsecureio").base_url();
    let url = base.join(&format!("sim/transactions/{id}")).expect("url");
    router
        .client
        .get(url)
        .send()
        .await
        .expect("simulator answers")
        .json()
        .await
        .expect("a record")
}

/// A reconciler that looks often and decides "never received" `not_found_after_secs` after a
/// request was sent.
pub fn fast_reconciler(not_found_after_secs: u64) -> ReconcilerSettings {
    ReconcilerSettings {
        enabled: true,
        interval_ms: 100,
        settle_after_ms: 300,
        not_found_after_secs,
        max_backoff_ms: 500,
        ..ReconcilerSettings::default()
    }
}

/// Polls `GET path` (never with `force_sync`) until `done` holds, for up to 20 s.
pub async fn settles(router: &TestRouter, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let answer = router.call("GET", path, None).await;
        if done(&answer.body) || std::time::Instant::now() > deadline {
            return answer.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
