//! Plain descriptions of HTTP requests and responses: what a connector builds and parses. No
//! I/O happens here; [`crate::executor::Executor`] sends them.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
/// The `http` crate's types used in these descriptions, re-exported so connectors and routers
/// name the same versions.
pub use http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{ConnectorError, ProcessorMessage, RejectionKind};
use crate::request::IdempotencyKey;

/// The media type of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `application/json`
    Json,
    /// `application/x-www-form-urlencoded`
    Form,
}

impl ContentType {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// A request a connector wants sent.
#[derive(Clone)]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL.
    pub url: Url,
    /// Headers; secret values are marked sensitive and never logged.
    pub headers: HeaderMap,
    /// The body and its media type.
    pub body: Option<(ContentType, Bytes)>,
    /// The operation's idempotency key; the executor sends it in the connector's idempotency
    /// header, identical on every attempt.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: Url) -> Self {
        HttpRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotency_key: None,
        }
    }

    /// `GET url`.
    pub fn get(url: Url) -> Self {
        HttpRequest::new(Method::GET, url)
    }

    /// `POST url`.
    pub fn post(url: Url) -> Self {
        HttpRequest::new(Method::POST, url)
    }

    /// Adds a header (any case; header names are case-insensitive). An invalid name or value is
    /// an error, never a panic.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, ConnectorError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            ConnectorError::invalid("header", format!("{name} has an invalid value"))
        })?;
        self.headers.insert(header_name(name)?, value);
        Ok(self)
    }

    /// Adds a header whose value is a secret: marked sensitive, so it is never logged.
    pub fn secret_header(
        mut self,
        name: &'static str,
        value: &str,
    ) -> Result<Self, ConnectorError> {
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            ConnectorError::invalid("credentials", format!("{name} is not valid header text"))
        })?;
        value.set_sensitive(true);
        self.headers.insert(header_name(name)?, value);
        Ok(self)
    }

    /// Adds a header built once ahead of time (e.g. a connector's credentials, validated and
    /// marked sensitive at configuration). Saves re-validating the value on every call.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// `Authorization: Bearer <secret>`.
    pub fn bearer(self, secret: &SecretString) -> Result<Self, ConnectorError> {
        Ok(self.with_header(AUTHORIZATION, bearer_value(secret)?))
    }

    /// A JSON body serialized from `body`.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::invalid("body", format!("cannot serialize: {e}")))?;
        self.body = Some((ContentType::Json, Bytes::from(bytes)));
        Ok(self)
    }

    /// A form-encoded body, already encoded.
    pub fn form(mut self, encoded: String) -> Self {
        self.body = Some((ContentType::Form, Bytes::from(encoded)));
        self
    }

    /// Sets the idempotency key.
    pub fn idempotency_key(mut self, key: &IdempotencyKey) -> Self {
        self.idempotency_key = Some(key.clone());
        self
    }

    /// The body as text, for tests and logs (masked by the executor before logging).
    pub fn body_text(&self) -> Option<&str> {
        self.body
            .as_ref()
            .and_then(|(_, bytes)| std::str::from_utf8(bytes).ok())
    }

    /// `true` for methods that change state at the processor.
    pub fn is_mutating(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold card data: show its size only. The executor logs a masked copy.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(|(_, b)| b.len()))
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// `Bearer <secret>` as a sensitive header value, for a connector to build once.
pub fn bearer_value(secret: &SecretString) -> Result<HeaderValue, ConnectorError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", secret.expose_secret())).map_err(|_| {
            ConnectorError::invalid("credentials", "the API key is not valid header text")
        })?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_name(name: &str) -> Result<HeaderName, ConnectorError> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| ConnectorError::invalid("header", format!("{name:?} is not a header name")))
}

/// `base` with `segments` appended, each percent-encoded: an id such as `../x` stays one segment
/// and cannot change the path.
///
/// ```
/// use paybridge_core::http::endpoint;
/// let base = url::Url::parse("https://api.example.com/v1/").unwrap();
/// let url = endpoint(&base, &["payments", "pay/../x", "captures"]).unwrap();
/// assert_eq!(url.as_str(), "https://api.example.com/v1/payments/pay%2F..%2Fx/captures");
/// ```
pub fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, ConnectorError> {
    let mut url = base.clone();
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| ConnectorError::invalid("base_url", "cannot be a base URL"))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    Ok(url)
}

/// A processor's answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response, mostly for tests and benchmarks.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// `true` for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON, or [`ConnectorError::InvalidResponse`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ConnectorError::invalid_response(self.status, e))
    }

    /// `Retry-After` in seconds, when present and sane.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header(RETRY_AFTER.as_str())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }

    /// The content type header.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE.as_str())
    }

    /// The usual meaning of a non-2xx status, for a connector to start from and refine with the
    /// processor's codes: 401 authentication, 400/422 validation, 403 forbidden, 404 not found,
    /// 409 a conflict with the resource's current state, 429 rate limit, 5xx processor error.
    /// Idempotency conflicts are told apart by the processor's codes (Stripe's
    /// `idempotency_key_in_use`, Primer's `IdempotencyKeyAlreadyExists`), so connectors map those.
    pub fn error(&self, detail: ProcessorMessage) -> ConnectorError {
        let detail = ProcessorMessage {
            http_status: Some(self.status),
            ..detail
        };
        match self.status {
            401 => ConnectorError::Authentication(detail),
            403 => ConnectorError::Rejected {
                kind: RejectionKind::Forbidden,
                detail,
            },
            404 => ConnectorError::Rejected {
                kind: RejectionKind::NotFound,
                detail,
            },
            409 => ConnectorError::Rejected {
                kind: RejectionKind::InvalidState,
                detail,
            },
            429 => ConnectorError::RateLimited {
                retry_after: self.retry_after(),
                detail,
            },
            500..=599 => ConnectorError::Processor {
                detail,
                outcome_unknown: true,
            },
            // Redirects are not followed: a processor API never sends one to a client, so the
            // request was not processed at this URL.
            300..=399 => ConnectorError::InvalidResponse {
                http_status: self.status,
                message: "unexpected redirect".into(),
                outcome_unknown: false,
            },
            _ => ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                detail,
            },
        }
    }
}

/// What comes after parsing one response: the flow's answer, or another request to send.
pub enum Step<T> {
    /// The flow is complete.
    Done(T),
    /// Send this next (a flow that needs several processor calls, expressed without I/O).
    Next(Box<Exchange<T>>),
}

type Parser<T> = Box<dyn FnOnce(HttpResponse) -> Result<Step<T>, ConnectorError> + Send>;

/// One request and how to read its response: a connector's whole translation of one flow step.
///
/// ```
/// use paybridge_core::http::{endpoint, Exchange, HttpRequest, HttpResponse, Step};
/// let url = endpoint(&"https://api.example.com".parse().unwrap(), &["ping"]).unwrap();
/// let exchange = Exchange::new(HttpRequest::get(url), |resp| Ok(resp.status));
/// match exchange.parse(HttpResponse::new(200, "")) {
///     Ok(Step::Done(status)) => assert_eq!(status, 200),
///     _ => unreachable!(),
/// }
/// ```
pub struct Exchange<T> {
    request: HttpRequest,
    parse: Parser<T>,
    moves_no_money: bool,
}

impl<T: 'static> Exchange<T> {
    /// A single-step exchange: `parse` turns the response into the answer.
    pub fn new(
        request: HttpRequest,
        parse: impl FnOnce(HttpResponse) -> Result<T, ConnectorError> + Send + 'static,
    ) -> Self {
        Exchange {
            request,
            parse: Box::new(move |resp| parse(resp).map(Step::Done)),
            moves_no_money: false,
        }
    }

    /// An exchange whose response may lead to another request.
    pub fn then(
        request: HttpRequest,
        parse: impl FnOnce(HttpResponse) -> Result<Step<T>, ConnectorError> + Send + 'static,
    ) -> Self {
        Exchange {
            request,
            parse: Box::new(parse),
            moves_no_money: false,
        }
    }

    /// Marks this step's request as one that moves no money (e.g. storing a card as a
    /// processor-side payment method before the payment): when it gets no readable answer, or
    /// none at all, nothing that needs reconciling can have happened, so the flow's error is not
    /// `outcome_unknown`. Only this step is marked, not the ones its answer leads to.
    pub fn moving_no_money(mut self) -> Self {
        self.moves_no_money = true;
        self
    }

    /// The same exchange with its answer transformed by `f` (e.g. a refund reused as a
    /// cancel-post-capture).
    pub fn map<U: 'static>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Exchange<U> {
        let Exchange {
            request,
            parse,
            moves_no_money,
        } = self;
        Exchange {
            request,
            moves_no_money,
            parse: Box::new(move |resp| {
                Ok(match parse(resp)? {
                    Step::Done(answer) => Step::Done(f(answer)),
                    Step::Next(next) => Step::Next(Box::new(next.map(f))),
                })
            }),
        }
    }

    /// Reads the response.
    pub fn parse(self, response: HttpResponse) -> Result<Step<T>, ConnectorError> {
        (self.parse)(response)
    }

    /// Splits into the request and its parser.
    pub fn into_parts(
        self,
    ) -> (
        HttpRequest,
        impl FnOnce(HttpResponse) -> Result<Step<T>, ConnectorError>,
    ) {
        (self.request, self.parse)
    }
}

/// A translator's plan for a flow that may need no processor call: the answer itself (e.g. a
/// Google Pay sheet built from configuration), or the exchange that gets it.
pub enum Plan<T> {
    /// Answered without I/O.
    Ready(T),
    /// Send this.
    Send(Box<Exchange<T>>),
}

impl<T> From<Exchange<T>> for Plan<T> {
    fn from(exchange: Exchange<T>) -> Self {
        Plan::Send(Box::new(exchange))
    }
}

impl<T> Exchange<T> {
    /// The request to send.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Whether this step moves no money ([`Exchange::moving_no_money`]): a caller sending it
    /// with its own client clears `outcome_unknown` from a failure to get its answer.
    pub fn moves_no_money(&self) -> bool {
        self.moves_no_money
    }
}

impl<T> fmt::Debug for Exchange<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_are_not_shown() {
        let url = Url::parse("https://api.example.com").expect("url");
        let req = HttpRequest::post(url)
            .bearer(&SecretString::from("sk_test_supersecret"))
            .expect("header");
        let shown = format!("{req:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("authorization"), "{shown}");
    }

    #[test]
    fn header_names_of_any_case_are_accepted_and_bad_ones_rejected() {
        let url = Url::parse("https://api.example.com").expect("url");
        let req = HttpRequest::get(url.clone())
            .header("Cko-Version", "1")
            .expect("mixed case is fine");
        assert_eq!(req.headers["cko-version"], "1");
        assert!(HttpRequest::get(url.clone())
            .header("bad name", "1")
            .is_err());
        assert!(HttpRequest::get(url).header("x-ok", "bad\nvalue").is_err());
    }

    #[test]
    fn status_classification() {
        type Check = fn(&ConnectorError) -> bool;
        let cases: [(u16, Check); 8] = [
            (307, |e| {
                matches!(e, ConnectorError::InvalidResponse { .. }) && !e.outcome_unknown()
            }),
            (401, |e| matches!(e, ConnectorError::Authentication(_))),
            (403, |e| {
                matches!(
                    e,
                    ConnectorError::Rejected {
                        kind: RejectionKind::Forbidden,
                        ..
                    }
                )
            }),
            (404, |e| {
                matches!(
                    e,
                    ConnectorError::Rejected {
                        kind: RejectionKind::NotFound,
                        ..
                    }
                )
            }),
            (409, |e| {
                matches!(
                    e,
                    ConnectorError::Rejected {
                        kind: RejectionKind::InvalidState,
                        ..
                    }
                )
            }),
            (422, |e| {
                matches!(
                    e,
                    ConnectorError::Rejected {
                        kind: RejectionKind::Validation,
                        ..
                    }
                )
            }),
            (429, |e| e.retry_after() == Some(Duration::from_secs(3))),
            (502, |e| e.outcome_unknown()),
        ];
        for (status, check) in cases {
            let mut resp = HttpResponse::new(status, "");
            resp.headers
                .insert(RETRY_AFTER, HeaderValue::from_static("3"));
            let err = resp.error(ProcessorMessage::default());
            assert!(check(&err), "{status}: {err:?}");
            assert_eq!(err.http_status(), Some(status));
        }
    }

    #[test]
    fn endpoint_keeps_base_path() {
        let base = Url::parse("http://127.0.0.1:9999/sim/checkout").expect("url");
        let url = endpoint(&base, &["payments", "pay_1"]).expect("url");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9999/sim/checkout/payments/pay_1"
        );
    }
}
