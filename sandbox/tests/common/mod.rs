//! A small HTTP client for the Checkout.com simulator, shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use paybridge_sandbox::checkout::{self, CheckoutSimConfig};
use paybridge_sandbox::SimulatorHandle;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// One answer: status, headers, raw body and the body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub raw: Vec<u8>,
    pub body: Value,
}

impl Reply {
    /// The `error_codes` of an error body.
    pub fn codes(&self) -> Vec<String> {
        self.body["error_codes"]
            .as_array()
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn str(&self, pointer: &str) -> String {
        self.body
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    pub fn int(&self, pointer: &str) -> i64 {
        self.body
            .pointer(pointer)
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN)
    }
}

pub struct Sim {
    pub handle: SimulatorHandle,
    pub config: CheckoutSimConfig,
    pub client: reqwest::Client,
}

impl Sim {
    pub async fn start() -> Sim {
        Sim::start_with(CheckoutSimConfig::default()).await
    }

    pub async fn start_with(config: CheckoutSimConfig) -> Sim {
        let handle = checkout::start(config.clone()).await.unwrap();
        Sim {
            handle,
            config,
            client: client(None),
        }
    }

    pub fn url(&self, path: &str) -> url::Url {
        self.handle
            .base_url()
            .join(path.trim_start_matches('/'))
            .unwrap()
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.config.secret_key)
    }

    /// A POST with the right key, optionally with an idempotency key.
    pub async fn post(&self, path: &str, body: &Value, key: Option<&str>) -> Reply {
        self.try_post(&self.client, path, body, key).await.unwrap()
    }

    pub async fn try_post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let mut request = client
            .post(self.url(path))
            .header("Authorization", self.bearer())
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(key) = key {
            request = request.header("Cko-Idempotency-Key", key);
        }
        reply(request.send().await?).await
    }

    /// A POST with a raw body.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .header("Authorization", self.bearer())
            .header("Content-Type", "application/json")
            .body(body);
        reply(request.send().await.unwrap()).await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Reply {
        let request = self
            .client
            .get(self.url(path))
            .header("Authorization", self.bearer());
        reply(request.send().await.unwrap()).await.unwrap()
    }

    /// `POST /payments` with `card`; expects 201 or 202.
    pub async fn pay(&self, card: &str, amount: i64, capture: bool, estimated: bool) -> Reply {
        let reply = self
            .post(
                "/payments",
                &payment(&self.config, card, amount, capture, estimated),
                None,
            )
            .await;
        assert!(matches!(reply.status, 201 | 202), "{reply:?}");
        reply
    }

    /// An approved, uncaptured Visa authorization of `amount`; returns the payment id.
    pub async fn authorized(&self, card: &str, amount: i64, estimated: bool) -> String {
        let reply = self.pay(card, amount, false, estimated).await;
        assert_eq!(reply.body["status"], "Authorized", "{reply:?}");
        reply.str("/id")
    }
}

pub fn client(timeout: Option<Duration>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().unwrap()
}

pub async fn reply(response: reqwest::Response) -> reqwest::Result<Reply> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let raw = response.bytes().await?.to_vec();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        raw,
        body,
    })
}

/// A card payment request.
pub fn payment(
    config: &CheckoutSimConfig,
    card: &str,
    amount: i64,
    capture: bool,
    estimated: bool,
) -> Value {
    json!({
        "source": {"type": "card", "number": card, "expiry_month": 12, "expiry_year": 2030, "cvv": "100"},
        "amount": amount,
        "currency": "USD",
        "reference": "ORD-1",
        "capture": capture,
        "authorization_type": if estimated { "Estimated" } else { "Final" },
        "processing_channel_id": config.processing_channel_id,
        "metadata": {"order": "1"},
    })
}

/// The `type` of every webhook emitted so far.
pub fn webhook_types(handle: &SimulatorHandle) -> Vec<String> {
    handle
        .webhooks()
        .iter()
        .map(|w| {
            let body: Value = serde_json::from_slice(&w.body).unwrap();
            body["type"].as_str().unwrap().to_owned()
        })
        .collect()
}
