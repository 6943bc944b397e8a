//! The one place where paybridge talks to processors: a pooled reqwest client (rustls) with
//! timeouts, a retry policy that only retries where it is safe, the idempotency header on every
//! attempt, and a tracing span per call with masked bodies.

use secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use tracing::{debug, field, info, trace, warn, Instrument};

use crate::error::ConnectorError;
use crate::http::{HttpRequest, HttpResponse};
use crate::masking::mask_body;

/// What a processor does when it sees an idempotency key again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyReuse {
    /// Replays the stored answer of a request that succeeded (2xx); a failed one is re-attempted
    /// (Checkout.com). A retry of a 5xx with the same key is safe and useful.
    ReplaysSuccess,
    /// Replays whatever the first request got, errors included (Stripe). A 5xx retry only helps
    /// when the processor says so.
    ReplaysAll,
    /// Rejects any reuse once the first request was processed (Primer, 409). A retry of a 5xx
    /// could only produce that conflict, so it is not retried.
    RejectsReuse,
}

/// A processor's HTTP conventions that the executor needs: its idempotency header and replay
/// semantics, response hints about retrying, and extra body fields to mask in logs.
#[derive(Debug, Clone, Copy)]
pub struct WireProfile {
    /// The header carrying the idempotency key (`Cko-Idempotency-Key`, `Idempotency-Key`, ...).
    pub idempotency_header: &'static str,
    /// What the processor does with a reused key.
    pub key_reuse: KeyReuse,
    /// Overrides the default retry decision for a response: `Some(true)` retry, `Some(false)`
    /// do not (e.g. from Stripe's `Stripe-Should-Retry`), `None` use the default policy.
    pub retry_hint: fn(&HttpResponse) -> Option<bool>,
    /// Body fields to mask in logs beyond [`crate::masking::SENSITIVE_FIELDS`].
    pub sensitive_fields: &'static [&'static str],
}

/// No hint: the default policy decides.
pub fn no_retry_hint(_: &HttpResponse) -> Option<bool> {
    None
}

/// Bounds on retrying one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in total, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubled each time, with jitter.
    #[serde(with = "millis")]
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    #[serde(with = "millis")]
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    #[serde(with = "millis")]
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(15),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `retry` (1-based): exponential with equal jitter, at
    /// least `retry_after` when the processor asked for it.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        let half = exp / 2;
        let jitter = Duration::from_nanos(fastrand::u64(
            0..=half.as_nanos().min(u128::from(u64::MAX)) as u64,
        ));
        (half + jitter).max(retry_after.unwrap_or_default())
    }
}

/// Connection and request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Time to establish a connection.
    #[serde(with = "millis")]
    pub connect: Duration,
    /// Time for one attempt, from connecting to the end of the response body.
    #[serde(with = "millis")]
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            request: Duration::from_secs(30),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Everything about one call besides the request itself.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    /// The connector's id, for logs.
    pub connector: &'static str,
    /// The flow's name, for logs (`authorize`, `session_token`, `authentication`, …).
    pub flow: &'static str,
    /// The processor's conventions.
    pub profile: &'a WireProfile,
    /// Retry bounds.
    pub retry: &'a RetryPolicy,
    /// Timeout of one attempt.
    pub request_timeout: Duration,
}

/// TLS settings beyond the defaults (public roots, no client certificate).
#[derive(Clone, Default)]
pub struct ClientTls {
    /// The client certificate chain and its private key, PEM, in one text.
    pub identity_pem: Option<secrecy::SecretString>,
    /// CA certificates (PEM) trusted besides the public roots.
    pub extra_roots_pem: Vec<String>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field(
                "identity",
                &self.identity_pem.as_ref().map(|_| "[REDACTED]"),
            )
            .field("extra_roots", &self.extra_roots_pem.len())
            .finish()
    }
}

/// Sends [`HttpRequest`]s. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Executor {
    client: reqwest::Client,
}

enum AttemptError {
    /// The request never left: the connection could not be made.
    NotSent(String),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke after the request may have been sent.
    Broken(String),
}

enum Decision {
    Retry(Option<Duration>),
    Stop,
}

impl Executor {
    /// An executor whose connections time out after `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Result<Self, ConnectorError> {
        Executor::with_tls(connect_timeout, &ClientTls::default())
    }

    /// An executor that presents a client certificate and trusts extra roots (`tls`): for
    /// peers that authenticate callers by mutual TLS (Apple Pay's session endpoint, some 3DS
    /// servers).
    pub fn with_tls(connect_timeout: Duration, tls: &ClientTls) -> Result<Self, ConnectorError> {
        let refuse = |what: &str, e: reqwest::Error| ConnectorError::Transport {
            message: format!("cannot build HTTP client: {what}: {e}"),
            outcome_unknown: false,
        };
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("paybridge/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &tls.identity_pem {
            let identity = reqwest::Identity::from_pem(pem.expose_secret().as_bytes())
                .map_err(|e| refuse("client certificate and key (PEM)", e))?;
            builder = builder.identity(identity);
        }
        for root in &tls.extra_roots_pem {
            let root = reqwest::Certificate::from_pem(root.as_bytes())
                .map_err(|e| refuse("extra root certificate (PEM)", e))?;
            builder = builder.add_root_certificate(root);
        }
        let client = builder.build().map_err(|e| refuse("settings", e))?;
        Ok(Executor { client })
    }

    /// Sends `request`, retrying where the policy and the processor's semantics allow, and
    /// returns the last response whatever its status. Errors are only for calls that got no
    /// response at all.
    pub async fn send(
        &self,
        ctx: CallContext<'_>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, ConnectorError> {
        let span = tracing::info_span!(
            "processor_call",
            connector = ctx.connector,
            flow = ctx.flow,
            method = %request.method,
            path = request.url.path(),
            idempotency_key = request.idempotency_key.as_ref().map(|k| k.as_str()),
            status = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        self.send_with_retries(ctx, request).instrument(span).await
    }

    async fn send_with_retries(
        &self,
        ctx: CallContext<'_>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, ConnectorError> {
        let started = Instant::now();
        let mutating = request.is_mutating();
        if let Some((content_type, body)) = &request.body {
            debug!(body = %mask_body(Some(*content_type), body, ctx.profile.sensitive_fields), "request body");
        }
        trace!(headers = ?request.headers, "request headers");
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.attempt(ctx, request).await;
            let decision = match &outcome {
                Ok(resp) => decide(resp, ctx.profile, mutating),
                Err(AttemptError::NotSent(_)) => Decision::Retry(None),
                Err(AttemptError::Timeout | AttemptError::Broken(_)) if !mutating => {
                    Decision::Retry(None)
                }
                Err(_) => Decision::Stop,
            };
            if let Decision::Retry(retry_after) = decision {
                let delay = ctx.retry.backoff(attempt, retry_after);
                let in_budget = started.elapsed() + delay <= ctx.retry.max_elapsed;
                if attempt < ctx.retry.max_attempts && in_budget {
                    warn!(attempt, delay_ms = delay.as_millis() as u64, reason = %describe(&outcome), "retrying processor call");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            return match outcome {
                Ok(resp) => {
                    span.record("status", resp.status);
                    debug!(body = %mask_body(None, &resp.body, ctx.profile.sensitive_fields), "response body");
                    trace!(headers = ?resp.headers, "response headers");
                    info!(
                        status = resp.status,
                        attempts = attempt,
                        "processor call finished"
                    );
                    Ok(resp)
                }
                Err(error) => {
                    let error = match error {
                        AttemptError::NotSent(message) => ConnectorError::Transport {
                            message,
                            outcome_unknown: false,
                        },
                        AttemptError::Timeout => ConnectorError::Timeout {
                            after: ctx.request_timeout,
                            outcome_unknown: mutating,
                        },
                        AttemptError::Broken(message) => ConnectorError::Transport {
                            message,
                            outcome_unknown: mutating,
                        },
                    };
                    warn!(attempts = attempt, error = %error, outcome_unknown = error.outcome_unknown(), "processor call failed");
                    Err(error)
                }
            };
        }
    }

    async fn attempt(
        &self,
        ctx: CallContext<'_>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, AttemptError> {
        let mut headers = request.headers.clone();
        if let Some(key) = &request.idempotency_key {
            let value = HeaderValue::from_str(key.as_str())
                .map_err(|e| AttemptError::NotSent(e.to_string()))?;
            let name = HeaderName::from_bytes(ctx.profile.idempotency_header.as_bytes())
                .map_err(|e| AttemptError::NotSent(format!("idempotency header name: {e}")))?;
            headers.insert(name, value);
        }
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .timeout(ctx.request_timeout);
        if let Some((content_type, body)) = &request.body {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(content_type.as_str()),
            );
            builder = builder.body(body.clone());
        }
        let response = builder.headers(headers).send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(classify)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn classify(error: reqwest::Error) -> AttemptError {
    // A connect error (refused, DNS, connect timeout) means the request never left.
    if error.is_connect() {
        AttemptError::NotSent(error.to_string())
    } else if error.is_timeout() {
        AttemptError::Timeout
    } else {
        AttemptError::Broken(error.to_string())
    }
}

fn decide(resp: &HttpResponse, profile: &WireProfile, mutating: bool) -> Decision {
    match (profile.retry_hint)(resp) {
        Some(true) => return Decision::Retry(resp.retry_after()),
        Some(false) => return Decision::Stop,
        None => {}
    }
    match resp.status {
        429 => Decision::Retry(resp.retry_after()),
        // A read changes nothing: always safe to repeat.
        500..=599 if !mutating => Decision::Retry(resp.retry_after()),
        // Only a processor that re-attempts a failed request under the same key makes a 5xx
        // worth retrying; one that replays the stored 5xx (or rejects the key) would only
        // answer the same again, unless its retry hint above said otherwise.
        500..=599 if profile.key_reuse == KeyReuse::ReplaysSuccess => {
            Decision::Retry(resp.retry_after())
        }
        _ => Decision::Stop,
    }
}

fn describe(outcome: &Result<HttpResponse, AttemptError>) -> String {
    match outcome {
        Ok(resp) => format!("HTTP {}", resp.status),
        Err(AttemptError::NotSent(m)) => format!("not sent: {m}"),
        Err(AttemptError::Timeout) => "timeout".to_owned(),
        Err(AttemptError::Broken(m)) => format!("connection broken: {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_elapsed: Duration::from_secs(5),
        };
        for _ in 0..100 {
            let first = policy.backoff(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let capped = policy.backoff(10, None);
            assert!(capped >= Duration::from_millis(200) && capped <= Duration::from_millis(400));
        }
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn decisions_follow_key_semantics() {
        let profile = |key_reuse| WireProfile {
            idempotency_header: "idempotency-key",
            key_reuse,
            retry_hint: no_retry_hint,
            sensitive_fields: &[],
        };
        let retry = |status, reuse, mutating| {
            matches!(
                decide(&HttpResponse::new(status, ""), &profile(reuse), mutating),
                Decision::Retry(_)
            )
        };
        assert!(retry(503, KeyReuse::ReplaysSuccess, true));
        assert!(!retry(503, KeyReuse::ReplaysAll, true));
        assert!(retry(503, KeyReuse::ReplaysAll, false));
        assert!(retry(429, KeyReuse::RejectsReuse, true));
        assert!(!retry(503, KeyReuse::RejectsReuse, true));
        assert!(retry(503, KeyReuse::RejectsReuse, false));
        for status in [400, 401, 402, 404, 409, 422] {
            assert!(!retry(status, KeyReuse::ReplaysSuccess, true), "{status}");
        }
        let stop_hint = WireProfile {
            retry_hint: |_| Some(false),
            ..profile(KeyReuse::ReplaysAll)
        };
        assert!(matches!(
            decide(&HttpResponse::new(500, ""), &stop_hint, true),
            Decision::Stop
        ));
        let go_hint = WireProfile {
            retry_hint: |_| Some(true),
            ..profile(KeyReuse::ReplaysAll)
        };
        assert!(matches!(
            decide(&HttpResponse::new(500, ""), &go_hint, true),
            Decision::Retry(_)
        ));
    }
}
