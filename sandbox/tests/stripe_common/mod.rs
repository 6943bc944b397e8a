//! A small HTTP client for the Stripe simulator, shared by the Stripe integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use paybridge_sandbox::stripe::{self, StripeSimConfig};
use paybridge_sandbox::SimulatorHandle;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// One answer: status, headers, raw body and the body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub raw: Vec<u8>,
    pub body: Value,
}

impl Reply {
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

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// `error.code` of an error body.
    pub fn code(&self) -> String {
        self.str("/error/code")
    }

    /// Asserts a 400 `invalid_request_error` naming `param`.
    pub fn assert_invalid(&self, param: &str) {
        assert_eq!(self.status, 400, "{self:?}");
        assert_eq!(self.str("/error/type"), "invalid_request_error", "{self:?}");
        assert_eq!(self.str("/error/param"), param, "{self:?}");
        assert!(!self.str("/error/message").is_empty());
    }
}

pub struct Sim {
    pub handle: SimulatorHandle,
    pub config: StripeSimConfig,
    pub client: reqwest::Client,
}

/// A form body from pairs, with bracket notation in the names.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl Sim {
    pub async fn start() -> Sim {
        Sim::start_with(StripeSimConfig::default()).await
    }

    pub async fn start_with(config: StripeSimConfig) -> Sim {
        let handle = stripe::start(config.clone()).await.unwrap();
        Sim {
            handle,
            config,
            client: client(),
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

    /// A form POST with the right key, optionally with an idempotency key.
    pub async fn post(&self, path: &str, pairs: &[(&str, &str)], key: Option<&str>) -> Reply {
        self.post_raw(path, form(pairs), key).await
    }

    pub async fn post_raw(&self, path: &str, body: String, key: Option<&str>) -> Reply {
        self.try_post(path, body, key).await.unwrap()
    }

    pub async fn try_post(
        &self,
        path: &str,
        body: String,
        key: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let mut request = self
            .client
            .post(self.url(path))
            .header("Authorization", self.bearer())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Stripe-Version", "2024-04-10")
            .body(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        reply(request.send().await?).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        let request = self
            .client
            .get(self.url(path_and_query))
            .header("Authorization", self.bearer());
        reply(request.send().await.unwrap()).await.unwrap()
    }

    /// POSTs a `/sim/` helper; returns the status.
    pub async fn hook(&self, path: &str) -> u16 {
        self.client
            .post(self.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// `POST /v1/payment_intents` confirming `payment_method` (a `pm_card_…` token) with
    /// `payment_method_types[]=card` and any `extra` parameters.
    pub async fn pay(
        &self,
        payment_method: &str,
        amount: i64,
        manual: bool,
        extra: &[(&str, &str)],
    ) -> Reply {
        let amount = amount.to_string();
        let mut pairs = vec![
            ("amount", amount.as_str()),
            ("currency", "usd"),
            ("confirm", "true"),
            (
                "capture_method",
                if manual { "manual" } else { "automatic" },
            ),
            ("payment_method", payment_method),
            ("payment_method_types[]", "card"),
        ];
        pairs.extend_from_slice(extra);
        self.post("/v1/payment_intents", &pairs, None).await
    }

    /// `POST /v1/payment_intents` with raw card data for `number`.
    pub async fn pay_card(&self, number: &str, amount: i64, manual: bool) -> Reply {
        let amount = amount.to_string();
        let pairs = [
            ("amount", amount.as_str()),
            ("currency", "usd"),
            ("confirm", "true"),
            (
                "capture_method",
                if manual { "manual" } else { "automatic" },
            ),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
            ("payment_method_types[]", "card"),
        ];
        self.post("/v1/payment_intents", &pairs, None).await
    }

    /// A manual-capture authorization that requested incremental (and other) features;
    /// returns the PaymentIntent id.
    pub async fn authorized(
        &self,
        payment_method: &str,
        amount: i64,
        extra: &[(&str, &str)],
    ) -> String {
        let reply = self.pay(payment_method, amount, true, extra).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.str("/status"), "requires_capture", "{reply:?}");
        reply.str("/id")
    }

    /// `payment_method_options[card][request_incremental_authorization]=if_available`.
    pub async fn incremental(&self, amount: i64) -> String {
        self.authorized(
            "pm_card_visa",
            amount,
            &[(
                "payment_method_options[card][request_incremental_authorization]",
                "if_available",
            )],
        )
        .await
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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

/// Every webhook emitted so far, as JSON events.
pub fn events(handle: &SimulatorHandle) -> Vec<Value> {
    handle
        .webhooks()
        .iter()
        .map(|w| serde_json::from_slice(&w.body).unwrap())
        .collect()
}

/// The `type` of every webhook emitted so far.
pub fn event_types(handle: &SimulatorHandle) -> Vec<String> {
    events(handle)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}
