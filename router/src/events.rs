//! Merchant webhooks: the router tells each merchant of every change of its payments and
//! refunds.
//!
//! - **Outbox.** A change's events ([`crate::domain::events`]) are written in the transaction
//!   of the change itself, for the merchant's endpoint and the types it wants: a crash never
//!   loses an event of a stored change, nor writes one for a change that was not stored.
//! - **Delivery.** [`run`] takes due events from the store under a lease (one router instance
//!   at a time per event, across instances and restarts), `POST`s each to its merchant's URL,
//!   signed ([`paybridge_core::merchant_events`]), and records the attempt: a 2xx answer is
//!   delivered; anything else, a timeout or no connection is tried again with exponential
//!   backoff and jitter, about 24 hours in all by default, then the event is `failed`.
//!   Delivery is at least once: a merchant de-duplicates on the event id.
//! - `GET /events`, `GET /events/{id}` (with every attempt) and `POST /events/{id}/retry`
//!   show and redeliver them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paybridge_core::merchant_events::{sign, EVENT_ID_HEADER, SIGNATURE_HEADER};
use paybridge_core::WebhookSecrets;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::domain::events::EventType;
use crate::payments::{format_time, unix_ms};
use crate::store::{DeliveryNext, DeliveryRow, EventRow, Store};

/// A merchant's webhook endpoint: the `webhook` table of a `[[merchants]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointConfig {
    /// Where events are posted: `https://…` (or `http://…`, for an endpoint on a private
    /// network).
    pub url: String,
    /// Signing secrets, current first: one, or two while the merchant rotates (each delivery is
    /// signed with both). At least 16 characters each.
    pub secrets: Vec<String>,
    /// The event types to send (`payment_succeeded`, …); all when absent.
    #[serde(default)]
    pub events: Option<Vec<EventType>>,
    /// Off: no events are written for the merchant, and those waiting are held back.
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

impl std::fmt::Debug for WebhookEndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpointConfig")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// One merchant's endpoint, checked.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Where events go.
    pub url: url::Url,
    /// The signing secrets, current first.
    pub secrets: WebhookSecrets,
    /// The types it wants; `None`: all.
    pub events: Option<BTreeSet<EventType>>,
    /// On or off.
    pub enabled: bool,
}

/// Every merchant's endpoint, by merchant id.
#[derive(Debug, Clone, Default)]
pub struct Endpoints(HashMap<String, Endpoint>);

impl Endpoints {
    /// The endpoints of `merchants` (id and configuration), checked: a URL with a host, one or
    /// two secrets of 16 characters or more.
    pub fn new<'a>(
        merchants: impl IntoIterator<Item = (&'a str, &'a WebhookEndpointConfig)>,
    ) -> Result<Self, String> {
        let mut endpoints = HashMap::new();
        for (merchant_id, config) in merchants {
            let invalid = |why: &str| format!("merchant {merchant_id}: webhook {why}");
            let url = url::Url::parse(&config.url).map_err(|e| invalid(&format!("url: {e}")))?;
            if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
                return Err(invalid("url must be an http(s) URL with a host"));
            }
            if config.secrets.is_empty() || config.secrets.len() > 2 {
                return Err(invalid(
                    "secrets: give one, or two while rotating (current first)",
                ));
            }
            if config.secrets.iter().any(|s| s.chars().count() < 16) {
                return Err(invalid("secrets must be at least 16 characters each"));
            }
            endpoints.insert(
                merchant_id.to_owned(),
                Endpoint {
                    url,
                    secrets: WebhookSecrets::new(config.secrets.iter().cloned()),
                    events: config.events.as_ref().map(|e| e.iter().copied().collect()),
                    enabled: config.enabled,
                },
            );
        }
        Ok(Endpoints(endpoints))
    }

    /// The endpoint of `merchant_id`, when it has one.
    pub fn get(&self, merchant_id: &str) -> Option<&Endpoint> {
        self.0.get(merchant_id)
    }

    /// Whether an event of `event_type` is written for `merchant_id`: it has an endpoint, on,
    /// that wants the type.
    pub fn wants(&self, merchant_id: &str, event_type: EventType) -> bool {
        self.get(merchant_id).is_some_and(|e| {
            e.enabled
                && e.events
                    .as_ref()
                    .is_none_or(|wanted| wanted.contains(&event_type))
        })
    }
}

/// The `[merchant_webhooks]` table: how events are delivered. Times in milliseconds; none may
/// be 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// Deliver events (off: they wait in the store). Default true.
    pub enabled: bool,
    /// How often due events are looked for. Default 1000.
    pub interval_ms: u64,
    /// How long one delivery may take, connection included. Default 10000.
    pub timeout_ms: u64,
    /// Attempts in all before an event is `failed`. Default 16.
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each (with up to a fifth taken
    /// off at random). Default 60000.
    pub initial_backoff_ms: u64,
    /// The longest wait between two attempts. Default 10800000 (3 hours): with the defaults the
    /// 16 attempts span about 24 hours.
    pub max_backoff_ms: u64,
    /// Events taken per pass. Default 100.
    pub batch: u32,
    /// Deliveries at once. Default 16.
    pub concurrency: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            enabled: true,
            interval_ms: 1_000,
            timeout_ms: 10_000,
            max_attempts: 16,
            initial_backoff_ms: 60_000,
            max_backoff_ms: 10_800_000,
            batch: 100,
            concurrency: 16,
        }
    }
}

impl DeliverySettings {
    /// Refuses a 0, which would spin or never deliver.
    pub fn check(&self) -> Result<(), String> {
        let zero = [
            ("interval_ms", self.interval_ms == 0),
            ("timeout_ms", self.timeout_ms == 0),
            ("max_attempts", self.max_attempts == 0),
            ("initial_backoff_ms", self.initial_backoff_ms == 0),
            ("max_backoff_ms", self.max_backoff_ms == 0),
            ("batch", self.batch == 0),
            ("concurrency", self.concurrency == 0),
        ];
        crate::config::refuse_zero("merchant_webhooks", &zero)
    }

    /// How long a pass holds the events it took: past it, another instance may take them (the
    /// holder died). Twice the longest a pass can take, every event timing out
    /// `concurrency` at a time, so a live pass never loses an event it has not yet sent.
    fn lease(&self) -> Duration {
        let at_once = u64::try_from(self.concurrency.max(1)).unwrap_or(u64::MAX);
        let rounds = u64::from(self.batch).div_ceil(at_once);
        Duration::from_millis(
            self.timeout_ms
                .saturating_mul(rounds)
                .saturating_mul(2)
                .saturating_add(5_000),
        )
    }

    /// The wait after `attempts` failed attempts: doubling from `initial_backoff_ms`, at most
    /// `max_backoff_ms`, less up to a fifth at random so that events failed together spread.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let initial = Duration::from_millis(self.initial_backoff_ms);
        let doubled = initial.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        doubled
            .min(Duration::from_millis(self.max_backoff_ms))
            .mul_f64(1.0 - fastrand::f64() / 5.0)
    }
}

/// The most of an endpoint's answer kept with an attempt.
const EXCERPT: usize = 256;

/// Delivers due events until the task is aborted: every `interval_ms`, takes up to `batch`
/// for `instance` and posts them, `concurrency` at a time.
pub async fn run(
    store: Store,
    endpoints: Arc<Endpoints>,
    settings: DeliverySettings,
    instance: String,
) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("paybridge-router/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "merchant webhooks: no HTTP client; nothing is delivered");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_millis(settings.interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A full batch means more may be due: take the next one at once.
        loop {
            let now = OffsetDateTime::now_utc();
            let lease_until = unix_ms(now)
                .saturating_add(i64::try_from(settings.lease().as_millis()).unwrap_or(i64::MAX));
            let due = match store
                .claim_due_events(&instance, unix_ms(now), lease_until, settings.batch)
                .await
            {
                Ok(due) => due,
                Err(err) => {
                    tracing::warn!(error = %err, "merchant webhooks: due events not read");
                    break;
                }
            };
            let full = due.len() == usize::try_from(settings.batch).unwrap_or(usize::MAX);
            let mut running = tokio::task::JoinSet::new();
            for event in due {
                while running.len() >= settings.concurrency {
                    running.join_next().await;
                }
                let (store, endpoints, client) = (store.clone(), endpoints.clone(), client.clone());
                let instance = instance.clone();
                running.spawn(async move {
                    deliver(&store, &endpoints, &client, &settings, &instance, event).await;
                });
            }
            while running.join_next().await.is_some() {}
            if !full {
                break;
            }
        }
    }
}

/// One attempt at `event`, recorded with what comes next.
async fn deliver(
    store: &Store,
    endpoints: &Endpoints,
    client: &reqwest::Client,
    settings: &DeliverySettings,
    instance: &str,
    event: EventRow,
) {
    let Some(endpoint) = endpoints.get(&event.merchant_id).filter(|e| e.enabled) else {
        // Switched off (or removed) since the event was written: held back, not attempted.
        let later = unix_ms(OffsetDateTime::now_utc())
            .saturating_add(i64::try_from(settings.max_backoff_ms).unwrap_or(i64::MAX));
        if let Err(err) = store.postpone_event(instance, &event.event_id, later).await {
            tracing::warn!(error = %err, event_id = %event.event_id, "merchant webhooks: not postponed");
        }
        return;
    };
    let sent_at = OffsetDateTime::now_utc();
    let signature = sign(
        &endpoint.secrets,
        sent_at.unix_timestamp(),
        event.body.as_bytes(),
    );
    let started = Instant::now();
    let answer = client
        .post(endpoint.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, &event.event_id)
        .body(event.body.clone())
        .send()
        .await;
    let (status_code, excerpt, error) = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            (Some(status), Some(first_bytes(response).await), None)
        }
        Err(err) => (None, None, Some(failure(&err))),
    };
    let latency = started.elapsed();
    let attempt = event.attempts.saturating_add(1);
    let delivered = status_code.is_some_and(|s| (200..300).contains(&s));
    let next = if delivered {
        DeliveryNext::Delivered {
            at: format_time(OffsetDateTime::now_utc()),
        }
    } else if attempt >= i64::from(settings.max_attempts) {
        DeliveryNext::GaveUp
    } else {
        let wait = settings.backoff(u32::try_from(attempt).unwrap_or(u32::MAX));
        DeliveryNext::Retry {
            at_ms: unix_ms(OffsetDateTime::now_utc())
                .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
        }
    };
    let result = match &next {
        DeliveryNext::Delivered { .. } => "delivered",
        DeliveryNext::Retry { .. } => "retry",
        DeliveryNext::GaveUp => "failed",
    };
    metrics::counter!("paybridge_merchant_webhook_deliveries_total", "result" => result)
        .increment(1);
    metrics::histogram!("paybridge_merchant_webhook_delivery_seconds")
        .record(latency.as_secs_f64());
    let row = DeliveryRow {
        event_id: event.event_id.clone(),
        attempt,
        attempted_at: format_time(sent_at),
        latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
        status_code: status_code.map(i64::from),
        response_excerpt: excerpt,
        error,
    };
    match store.finish_delivery(instance, &row, &next).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            event_id = %event.event_id,
            "merchant webhooks: the event's lease lapsed during its delivery; another instance \
             may deliver it again"
        ),
        Err(err) => tracing::warn!(
            error = %err,
            event_id = %event.event_id,
            "merchant webhooks: attempt not recorded; the event will be delivered again"
        ),
    }
    if !delivered {
        tracing::info!(
            event_id = %event.event_id,
            merchant_id = %event.merchant_id,
            attempt,
            status = ?status_code,
            result,
            "merchant webhooks: delivery not accepted"
        );
    }
}

/// The first [`EXCERPT`] bytes of an answer, as text.
async fn first_bytes(mut response: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < EXCERPT {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(chunk.as_ref()),
            _ => break,
        }
    }
    kept.truncate(EXCERPT);
    String::from_utf8_lossy(&kept).into_owned()
}

/// Why a delivery got no answer, in words fit for the attempt log (no URL, no body).
fn failure(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed before an answer".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let settings = DeliverySettings::default();
        let most: Duration = (1..settings.max_attempts)
            .map(|attempt| {
                Duration::from_millis(settings.initial_backoff_ms)
                    .saturating_mul(1 << (attempt - 1).min(20))
                    .min(Duration::from_millis(settings.max_backoff_ms))
            })
            .sum();
        let hours = most.as_secs_f64() / 3600.0;
        assert!((22.0..=27.0).contains(&hours), "{hours} h");
        for attempt in 1..40 {
            let full = Duration::from_millis(settings.initial_backoff_ms)
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(Duration::from_millis(settings.max_backoff_ms));
            let wait = settings.backoff(attempt);
            assert!(
                wait <= full && wait >= full.mul_f64(0.8),
                "{attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn endpoints_are_checked_and_say_which_types_they_want() {
        let config =
            |url: &str, secrets: &[&str], events: Option<Vec<EventType>>| WebhookEndpointConfig {
                url: url.into(),
                secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
                events,
                enabled: true,
            };
        let good = config(
            "https://shop.example/hooks",
            &["whsec_0123456789abcdef"],
            Some(vec![EventType::RefundFailed]),
        );
        let endpoints = Endpoints::new([("m1", &good)]).expect("valid");
        assert!(endpoints.wants("m1", EventType::RefundFailed));
        assert!(!endpoints.wants("m1", EventType::PaymentSucceeded));
        assert!(!endpoints.wants("m2", EventType::RefundFailed));
        for (bad, why) in [
            (
                config("ftp://shop.example", &["whsec_0123456789abcdef"], None),
                "http(s)",
            ),
            (
                config("not a url", &["whsec_0123456789abcdef"], None),
                "url",
            ),
            (config("https://shop.example", &[], None), "secrets"),
            (
                config("https://shop.example", &["a", "b", "c"], None),
                "secrets",
            ),
            (
                config("https://shop.example", &["short"], None),
                "16 characters",
            ),
        ] {
            let err = Endpoints::new([("m1", &bad)]).expect_err(why);
            assert!(err.contains(why) && err.contains("m1"), "{err}");
            assert!(!err.contains("whsec_"), "{err}");
        }
        let mut off = good.clone();
        off.enabled = false;
        let endpoints = Endpoints::new([("m1", &off)]).expect("valid");
        assert!(!endpoints.wants("m1", EventType::RefundFailed));
        assert!(!format!("{good:?}").contains("whsec_"), "{good:?}");
    }

    #[test]
    fn a_pass_holds_its_events_longer_than_it_can_take() {
        let settings = DeliverySettings::default();
        let rounds = u64::from(settings.batch).div_ceil(16);
        let longest = Duration::from_millis(settings.timeout_ms * rounds);
        assert!(settings.lease() >= longest * 2, "{:?}", settings.lease());
        let one_at_a_time = DeliverySettings {
            concurrency: 1,
            ..settings
        };
        assert!(one_at_a_time.lease() >= Duration::from_millis(settings.timeout_ms * 100));
    }

    #[test]
    fn zero_settings_are_refused_by_name() {
        let settings = DeliverySettings {
            max_attempts: 0,
            ..DeliverySettings::default()
        };
        assert_eq!(
            settings.check().expect_err("zero attempts"),
            "[merchant_webhooks] max_attempts must be greater than 0"
        );
        assert!(DeliverySettings::default().check().is_ok());
    }
}
