//! Idempotency keys: stored answers for replay, in-flight keys for concurrent duplicates.
//!
//! The rules differ per processor (Checkout.com replays stored 2xx answers and answers 429 to a
//! concurrent duplicate; Stripe replays everything and refuses a key reused with other
//! parameters; Primer rejects any reuse with 409), so the simulator describes them in
//! [`IdempotencyRules`] and the store applies them.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode};
use axum::response::Response;

use super::lock;

/// Bodies larger than this are not stored for replay (answered 500 instead); simulators answer
/// small JSON documents.
const MAX_STORED_BODY: usize = 4 * 1024 * 1024;
/// Request bodies read to compare parameters ([`ParameterCheck`]) are at most this long; a
/// longer one is answered 413 without processing.
const MAX_COMPARED_BODY: usize = 1024 * 1024;

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
    /// When set, a completed key is never replayed: every reuse gets this answer, built from
    /// the first answer's body (Primer's 409 names the payment the key created).
    pub reuse: Option<fn(&[u8]) -> Response>,
    /// When set, a completed key is replayed only to a request with the same path and the same
    /// parameters; any other reuse gets the check's answer (Stripe's `idempotency_error`).
    pub parameters: Option<ParameterCheck>,
}

/// How a reused key's request is compared with the request that first used it.
#[derive(Debug, Clone, Copy)]
pub struct ParameterCheck {
    /// A canonical digest of a request body's parameters: two bodies with equal digests carry
    /// the same parameters (e.g. the same form fields in another order).
    pub fingerprint: fn(&[u8]) -> String,
    /// The answer to a reuse on another path or with other parameters.
    pub mismatch: fn(&Mismatch<'_>) -> Response,
}

/// A completed key reused for a different request.
#[derive(Debug, Clone, Copy)]
pub struct Mismatch<'a> {
    /// The idempotency key, as sent.
    pub key: &'a str,
    /// The path of the request that first used the key.
    pub first_path: &'a str,
    /// The path of this request.
    pub path: &'a str,
}

/// A marker a handler puts in its answer's extensions when the answer must not be stored for
/// replay, whatever [`IdempotencyRules::stores`] says: the key is forgotten and a retry is
/// processed anew. Stripe, for one, stores nothing for a request that failed parameter
/// validation or authentication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotStored;

/// A stored answer, with what identifies the request that produced it.
#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The first request's path and parameter fingerprint (kept with a [`ParameterCheck`]).
    request: Option<(String, String)>,
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

    /// Decides what to do with `request` and gives it back (its body read and restored when
    /// the parameters are compared).
    pub(super) async fn begin(&self, request: Request<Body>) -> (Begin<'_>, Request<Body>) {
        if request.method() != Method::POST {
            return (Begin::Untracked, request);
        }
        let Some(key) = request
            .headers()
            .get(&self.rules.header)
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.trim().is_empty())
            .map(str::to_owned)
        else {
            return (Begin::Untracked, request);
        };
        let path = request.uri().path().to_owned();
        let (request, fingerprint) = match self.rules.parameters {
            None => (request, None),
            Some(check) => {
                let (parts, body) = request.into_parts();
                let Ok(body) = axum::body::to_bytes(body, MAX_COMPARED_BODY).await else {
                    let refused = Begin::Answer {
                        response: super::empty_response(StatusCode::PAYLOAD_TOO_LARGE),
                        replay: false,
                    };
                    return (refused, Request::from_parts(parts, Body::empty()));
                };
                let fingerprint = (check.fingerprint)(&body);
                (
                    Request::from_parts(parts, Body::from(body)),
                    Some(fingerprint),
                )
            }
        };
        let scoped = match self.rules.scope {
            KeyScope::PathAndKey => format!("{path} {key}"),
            KeyScope::Key => key.clone(),
        };
        let mut entries = lock(&self.entries);
        let begin = match entries.get(&scoped) {
            Some(Entry::InFlight) => Begin::Answer {
                response: (self.rules.in_flight)(),
                replay: false,
            },
            Some(Entry::Done(stored)) => self.reuse(stored, &key, &path, fingerprint.as_deref()),
            None => {
                entries.insert(scoped.clone(), Entry::InFlight);
                Begin::Proceed(Guard {
                    store: self,
                    key: Some(scoped),
                    request: fingerprint.map(|f| (path, f)),
                })
            }
        };
        (begin, request)
    }

    /// The answer to a completed key used again.
    fn reuse(
        &self,
        stored: &Stored,
        key: &str,
        path: &str,
        fingerprint: Option<&str>,
    ) -> Begin<'_> {
        if let Some(reject) = self.rules.reuse {
            return Begin::Answer {
                response: reject(&stored.body),
                replay: false,
            };
        }
        if let (Some(check), Some((first_path, first))) = (self.rules.parameters, &stored.request) {
            if first_path != path || Some(first.as_str()) != fingerprint {
                let mismatch = Mismatch {
                    key,
                    first_path,
                    path,
                };
                return Begin::Answer {
                    response: (check.mismatch)(&mismatch),
                    replay: false,
                };
            }
        }
        Begin::Answer {
            response: stored.response(),
            replay: true,
        }
    }
}

/// A key in flight. Dropping it without [`finish`](Guard::finish) (the client went away while
/// the request was processed) forgets the key, so it never stays in flight forever.
pub(super) struct Guard<'a> {
    store: &'a Store,
    key: Option<String>,
    /// The request's path and parameter fingerprint, stored with its answer.
    request: Option<(String, String)>,
}

impl Guard<'_> {
    /// Stores the answer when the rules say so (else forgets the key) and returns it.
    pub(super) async fn finish(mut self, response: Response) -> Response {
        let Some(key) = self.key.take() else {
            return response;
        };
        let not_stored = response.extensions().get::<NotStored>().is_some();
        if not_stored || !(self.store.rules.stores)(response.status()) {
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
            request: self.request.take(),
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
