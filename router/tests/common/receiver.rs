//! A merchant's webhook endpoint for tests: answers each delivery as its schedule says (fail,
//! hang past the router's timeout, or accept), checks every signature with the merchant's
//! secrets, and keeps what arrived.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use paybridge_core::merchant_events::{verify, EVENT_ID_HEADER, SIGNATURE_HEADER};
use paybridge_core::WebhookSecrets;
use serde_json::Value;

/// How the endpoint answers one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// 2xx.
    Accept,
    /// This status, with a short text body.
    Fail(u16),
    /// Accept, but only after this long (past the router's timeout, it counts as none).
    Hang(Duration),
}

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub body: Value,
    /// The signature verified with the secrets the endpoint holds.
    pub verified: bool,
    /// What the endpoint answered.
    pub reply: Reply,
}

struct Inner {
    schedule: VecDeque<Reply>,
    /// After the schedule: fail this share of deliveries (deterministically, by a seeded
    /// generator), accept the rest.
    fail_ratio: f64,
    rng: fastrand::Rng,
    secrets: WebhookSecrets,
    received: Vec<Received>,
}

/// The running endpoint.
#[derive(Clone)]
pub struct Receiver {
    url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// An endpoint holding `secrets` that answers `schedule` in order, then accepts everything
    /// but `fail_ratio` of the deliveries.
    pub async fn start(secrets: &[&str], schedule: Vec<Reply>, fail_ratio: f64) -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            schedule: schedule.into(),
            fail_ratio,
            rng: fastrand::Rng::with_seed(20261207),
            secrets: WebhookSecrets::new(secrets.iter().copied()),
            received: Vec::new(),
        }));
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!(
            "http://{}/hooks",
            listener.local_addr().expect("an address")
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, inner }
    }

    /// From now on, fail this share of the deliveries past the schedule.
    pub fn set_fail_ratio(&self, ratio: f64) {
        self.lock().fail_ratio = ratio;
    }

    /// Where the router posts.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every delivery so far.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The deliveries it accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| !matches!(r.reply, Reply::Fail(_)))
            .collect()
    }

    /// Waits until `done` holds of what arrived, or panics after `within`.
    pub async fn wait_until(&self, within: Duration, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if done(&self.received()) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "the endpoint did not get what was awaited: {:#?}",
                    self.received()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let reply = {
        let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = match inner.schedule.pop_front() {
            Some(reply) => reply,
            None if inner.rng.f64() < inner.fail_ratio => Reply::Fail(503),
            None => Reply::Accept,
        };
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let verified = verify(
            &header(SIGNATURE_HEADER),
            &body,
            &inner.secrets,
            Duration::from_secs(300),
            time::OffsetDateTime::now_utc(),
        )
        .is_ok();
        inner.received.push(Received {
            event_id: header(EVENT_ID_HEADER),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            verified,
            reply,
        });
        reply
    };
    match reply {
        Reply::Accept => (StatusCode::OK, "ok"),
        Reply::Fail(status) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "endpoint down for maintenance",
        ),
        Reply::Hang(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::OK, "late")
        }
    }
}
