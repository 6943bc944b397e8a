//! Idempotency keys: stored answers for replay, in-flight keys for concurrent duplicates.
//!
//! The rules differ per processor (Checkout.com replays stored 2xx answers and answers 429 to a
//! concurrent duplicate; Stripe replays everything; Primer rejects any reuse with 409), so the
//! simulator describes them in [`IdempotencyRules`] and the store applies them.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode};
use axum::response::Response;

use super::lock;

/// Bodies larger than this are not stored for replay (answered 500 instead); simulators answer
/// small JSON documents.
const MAX_STORED_BODY: usize = 4 * 1024 * 1024;

/// Which requests share a key's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// A key is scoped to the request path (Checkout.com).
    PathAndKey,
    /// A key is global to the account, whatever the path.
    Key,
}

/// A processor's idempotency semantics. Only `POST` requests carrying the header take part.
#[derive(Debug, Clone)]
pub struct IdempotencyRules {
    /// The request header carrying the key, e.g. `cko-idempotency-key`.
    pub header: HeaderName,
    /// How keys are namespaced.
    pub scope: KeyScope,
    /// Whether a first request's answer with this status is stored for replay. When it is not,
    /// the key is forgotten and a retry is processed anew.
    pub stores: fn(StatusCode) -> bool,
    /// The answer to a request whose key is still being processed (a concurrent duplicate).
    pub in_flight: fn() -> Response,
    /// When set, a completed key is never replayed: every reuse gets this answer (Primer's 409).
    pub reuse: Option<fn() -> Response>,
}

/// A stored answer.
#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Stored {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

#[derive(Debug)]
enum Entry {
    InFlight,
    Done(Stored),
}

/// The keys of one simulator. Keys live as long as the simulator (the processors keep them for
/// a day; tests are shorter).
#[derive(Debug)]
pub(super) struct Store {
    rules: IdempotencyRules,
    entries: Mutex<HashMap<String, Entry>>,
}

/// What to do with a request, decided before it is processed.
pub(super) enum Begin<'a> {
    /// No key (or not a POST): process normally.
    Untracked,
    /// Answer this without processing: a replay (`replay: true`) or a refusal.
    Answer { response: Response, replay: bool },
    /// Process, then hand the answer to the guard.
    Proceed(Guard<'a>),
}

impl Store {
    pub(super) fn new(rules: IdempotencyRules) -> Self {
        Store {
            rules,
            entries: Mutex::default(),
        }
    }

    pub(super) fn begin(&self, request: &Request<Body>) -> Begin<'_> {
        if request.method() != Method::POST {
            return Begin::Untracked;
        }
        let Some(key) = request
            .headers()
            .get(&self.rules.header)
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.trim().is_empty())
        else {
            return Begin::Untracked;
        };
        let scoped = match self.rules.scope {
            KeyScope::PathAndKey => format!("{} {key}", request.uri().path()),
            KeyScope::Key => key.to_owned(),
        };
        let mut entries = lock(&self.entries);
        match entries.get(&scoped) {
            Some(Entry::InFlight) => Begin::Answer {
                response: (self.rules.in_flight)(),
                replay: false,
            },
            Some(Entry::Done(stored)) => match self.rules.reuse {
                Some(reject) => Begin::Answer {
                    response: reject(),
                    replay: false,
                },
                None => Begin::Answer {
                    response: stored.response(),
                    replay: true,
                },
            },
            None => {
                entries.insert(scoped.clone(), Entry::InFlight);
                Begin::Proceed(Guard {
                    store: self,
                    key: Some(scoped),
                })
            }
        }
    }
}

/// A key in flight. Dropping it without [`finish`](Guard::finish) (the client went away while
/// the request was processed) forgets the key, so it never stays in flight forever.
pub(super) struct Guard<'a> {
    store: &'a Store,
    key: Option<String>,
}

impl Guard<'_> {
    /// Stores the answer when the rules say so (else forgets the key) and returns it.
    pub(super) async fn finish(mut self, response: Response) -> Response {
        let Some(key) = self.key.take() else {
            return response;
        };
        if !(self.store.rules.stores)(response.status()) {
            lock(&self.store.entries).remove(&key);
            return response;
        }
        let (parts, body) = response.into_parts();
        let body = match axum::body::to_bytes(body, MAX_STORED_BODY).await {
            Ok(body) => body,
            Err(_) => {
                lock(&self.store.entries).remove(&key);
                return super::empty_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        let stored = Stored {
            status: parts.status,
            headers: parts.headers,
            body,
        };
        let response = stored.response();
        lock(&self.store.entries).insert(key, Entry::Done(stored));
        response
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.store.entries).remove(&key);
        }
    }
}
