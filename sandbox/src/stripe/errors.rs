//! Stripe's error answers: `{"error": {type, code, decline_code, message, param, doc_url, ...}}`
//! (the `error` / `api_errors` schemas), with the HTTP status and whether idempotency stores
//! the answer.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::cards::Decline;
use crate::control::NotStored;

/// Response header with which Stripe tells a client whether retrying could help.
pub(crate) const SHOULD_RETRY: &str = "stripe-should-retry";

/// One error answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    /// The `error` object.
    body: Map<String, Value>,
    /// Whether an idempotency key stores this answer for replay. Stripe stores the result of
    /// every request whose endpoint began executing (state refusals, declines, 500s) and
    /// nothing for a request that failed authentication or parameter validation.
    stored: bool,
    /// `Stripe-Should-Retry`, when set.
    should_retry: Option<bool>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("message".into(), Value::String(message.into()));
        body.insert("type".into(), Value::String(kind.into()));
        ApiError {
            status,
            body,
            stored: true,
            should_retry: None,
        }
    }

    /// 400 `invalid_request_error` raised by the endpoint (stored for replay).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 400 `invalid_request_error` for a request that failed validation (not stored).
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::invalid(message).not_stored()
    }

    /// 400 `payment_intent_unexpected_state`: the PaymentIntent's state refuses the operation.
    pub(crate) fn unexpected_state(message: impl Into<String>) -> Self {
        Self::invalid(message).code("payment_intent_unexpected_state")
    }

    /// 404 `resource_missing`: "No such payment_intent: 'pi_x'" (not stored \[U\]).
    pub(crate) fn missing(resource: &str, id: &str, param: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("No such {resource}: '{id}'"),
        )
        .code("resource_missing")
        .param(param)
        .not_stored()
    }

    /// 401 for a missing or wrong API key; the key is never echoed in full.
    pub(crate) fn unauthorized(message: String) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message).not_stored()
    }

    /// 402 `card_error` for an issuer decline.
    pub(crate) fn declined(decline: &Decline) -> Self {
        let mut error = Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", decline.message)
            .code(decline.code);
        if let Some(code) = decline.decline_code {
            error.set("decline_code", code);
        }
        if let Some(advice) = decline.advice_code {
            error.set("advice_code", advice);
        }
        if let Some(network) = decline.network_decline_code {
            error.set("network_decline_code", network);
        }
        error
    }

    /// 402 `card_error` for card data refused when the PaymentMethod is created (not stored).
    pub(crate) fn card_invalid(code: &str, message: &str, param: &str) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", message)
            .code(code)
            .param(param)
            .not_stored()
    }

    /// `api_error` with `status` (5xx).
    pub(crate) fn api(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "api_error", message)
    }

    /// 400 `idempotency_error`.
    pub(crate) fn idempotency(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "idempotency_error", message).not_stored()
    }

    /// Sets `code` and its `doc_url`.
    pub(crate) fn code(mut self, code: &str) -> Self {
        self.set("code", code);
        let doc = format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        );
        self.set("doc_url", &doc);
        self
    }

    /// Sets `param`, the parameter at fault in bracket notation.
    pub(crate) fn param(mut self, param: &str) -> Self {
        self.set("param", param);
        self
    }

    /// Sets the HTTP status.
    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Never stored for idempotent replay.
    pub(crate) fn not_stored(mut self) -> Self {
        self.stored = false;
        self
    }

    /// Sends `Stripe-Should-Retry`.
    pub(crate) fn should_retry(mut self, retry: bool) -> Self {
        self.should_retry = Some(retry);
        self
    }

    /// Sets a field of the `error` object (`charge`, `payment_intent`, `payment_method`, ...).
    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.to_owned(), value);
        self
    }

    fn set(&mut self, key: &str, value: &str) {
        self.body
            .insert(key.to_owned(), Value::String(value.to_owned()));
    }

    /// The `error` object, e.g. for a PaymentIntent's `last_payment_error`.
    pub(crate) fn object(&self) -> Value {
        Value::Object(self.body.clone())
    }

    /// The HTTP status.
    pub(crate) fn http_status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(json!({ "error": self.body }))).into_response();
        if let Some(retry) = self.should_retry {
            response.headers_mut().insert(
                SHOULD_RETRY,
                HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
        }
        if !self.stored {
            response.extensions_mut().insert(NotStored);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_their_doc_url() {
        let error = ApiError::invalid("x")
            .code("parameter_unknown")
            .param("foo");
        let object = error.object();
        assert_eq!(object["code"], "parameter_unknown");
        assert_eq!(
            object["doc_url"],
            "https://stripe.com/docs/error-codes/parameter-unknown"
        );
        assert_eq!(object["param"], "foo");
        assert_eq!(object["type"], "invalid_request_error");
    }

    #[test]
    fn validation_failures_are_not_stored() {
        let response = ApiError::validation("bad").into_response();
        assert!(response.extensions().get::<NotStored>().is_some());
        let response = ApiError::unexpected_state("no").into_response();
        assert!(response.extensions().get::<NotStored>().is_none());
    }
}
