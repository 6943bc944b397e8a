//! A small HTTP client for the Primer simulator, shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use paybridge_sandbox::primer::{self, PrimerSimConfig};
use paybridge_sandbox::SimulatorHandle;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// One answer: status, headers, raw body and the body as JSON (`Null` when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
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

    pub fn error_id(&self) -> String {
        self.str("/error/errorId")
    }

    /// Asserts a `PaymentError` answer with `status` whose description contains `says`.
    pub fn assert_payment_error(&self, status: u16, says: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.error_id(), "PaymentError", "{self:?}");
        let description = self.str("/error/description");
        assert!(description.contains(says), "{description:?} lacks {says:?}");
    }
}

pub struct Sim {
    pub handle: SimulatorHandle,
    pub config: PrimerSimConfig,
    pub client: reqwest::Client,
}

impl Sim {
    pub async fn start() -> Sim {
        Sim::start_with(PrimerSimConfig::default()).await
    }

    pub async fn start_with(config: PrimerSimConfig) -> Sim {
        let handle = primer::start(config.clone()).await.unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Sim {
            handle,
            config,
            client,
        }
    }

    pub fn url(&self, path: &str) -> url::Url {
        self.handle
            .base_url()
            .join(path.trim_start_matches('/'))
            .unwrap()
    }

    /// Sends a request with the given headers (name, value) and an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.bytes().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        }
    }

    /// An authenticated POST (version 2.2), with an optional idempotency key.
    pub async fn post_keyed(&self, path: &str, body: &Value, key: Option<&str>) -> Reply {
        let mut headers = vec![
            ("X-Api-Key", self.config.api_key.as_str()),
            ("X-Api-Version", "2.2"),
        ];
        if let Some(key) = key {
            headers.push(("X-Idempotency-Key", key));
        }
        self.send(reqwest::Method::POST, path, &headers, Some(body))
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_keyed(path, body, None).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        let headers = [
            ("X-Api-Key", self.config.api_key.as_str()),
            ("X-Api-Version", "2.2"),
        ];
        self.send(reqwest::Method::GET, path, &headers, None).await
    }

    /// `POST /payments` with a token, amount (EUR) and authorization type.
    pub async fn pay(&self, token: &str, amount: i64, authorization_type: &str) -> Reply {
        self.post(
            "/payments",
            &json!({
                "paymentMethodToken": token,
                "amount": amount,
                "currencyCode": "EUR",
                "orderId": "order-1",
                "metadata": {"reference": "ORD-1"},
                "paymentMethod": {"authorizationType": authorization_type, "paymentType": "ECOMMERCE"},
            }),
        )
        .await
    }

    /// Completes the 3DS check of payment `id` through the helper; the resume token.
    pub async fn complete_3ds(&self, id: &str, outcome: &str) -> Reply {
        self.send(
            reqwest::Method::POST,
            &format!("/sim/primer/payments/{id}/3ds?outcome={outcome}"),
            &[],
            None,
        )
        .await
    }

    pub async fn mint(&self, number: &str) -> Reply {
        self.send(
            reqwest::Method::POST,
            "/sim/primer/payment-method-tokens",
            &[],
            Some(&json!({"number": number, "expirationMonth": "12", "expirationYear": "2030", "cvv": "123"})),
        )
        .await
    }
}
