//! The HTTP surface: the route table, and the axum pieces every route is made of — the caller
//! ([`Caller`], [`Merchant`]: `api-key` and `Idempotency-Key`), typed JSON bodies ([`Body`]),
//! the idempotency layer of the POST operations, and JSON errors. Handlers only extract and
//! answer; the work is in [`crate::payments`].

mod body;
mod caller;
mod handlers;
mod idempotency;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{self, MethodRouter};
use tracing::Instrument;

pub use body::{unreadable, Body, BodyRejection, PathId, RawBody, BODY_LIMIT};
pub use caller::{Caller, Merchant};

use crate::auth::Merchants;
use crate::payments::Payments;

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Shared by every handler.
pub struct AppState {
    /// The payment service.
    pub payments: Payments,
    /// Who may call.
    pub merchants: Merchants,
}

type Shared = Arc<AppState>;

/// A route the API serves: its method and path template, as the OpenAPI document lists them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path template, ids in braces: `/payments/{payment_id}/capture`.
    pub path: &'static str,
}

/// Every route [`app`] serves, read from the same table it registers.
pub fn routes() -> Vec<Route> {
    route_table()
        .entries
        .into_iter()
        .map(|entry| entry.route)
        .collect()
}

/// The API as an axum router.
pub fn app(state: Shared) -> axum::Router {
    route_table()
        .into_router(&state)
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(trace))
        .with_state(state)
}

/// The routes. `idempotent_post` routes take an `Idempotency-Key`; webhooks do not (the
/// connector's event id de-duplicates them).
fn route_table() -> RouteTable {
    use handlers::*;
    RouteTable::default()
        .get("/health", health)
        .get("/ready", ready)
        .get("/openapi.json", openapi)
        .get("/connectors", connectors)
        .idempotent_post("/payments", create_payment)
        .idempotent_post("/payments/session_tokens", session_tokens)
        .get("/payments/{payment_id}", retrieve_payment)
        .idempotent_post("/payments/{payment_id}/capture", capture)
        .idempotent_post("/payments/{payment_id}/cancel", cancel)
        .idempotent_post(
            "/payments/{payment_id}/incremental_authorization",
            incremental_authorization,
        )
        .idempotent_post(
            "/payments/{payment_id}/extend_authorization",
            extend_authorization,
        )
        .idempotent_post(
            "/payments/{payment_id}/cancel_post_capture",
            cancel_post_capture,
        )
        .idempotent_post(
            "/payments/{payment_id}/complete_authorize",
            complete_authorize,
        )
        .put("/payments/{payment_id}/update_metadata", update_metadata)
        .get("/payments/{payment_id}/eligibility", eligibility)
        .idempotent_post(
            "/payments/{payment_id}/3ds/authentication",
            external_authentication,
        )
        .idempotent_post("/refunds", create_refund)
        .get("/refunds/{refund_id}", retrieve_refund)
        .post("/webhooks/{connector}", webhook)
}

/// Routes as they are registered: each call records the route and its handler together, so
/// [`routes`] cannot drift from what [`app`] serves.
#[derive(Default)]
struct RouteTable {
    entries: Vec<RouteEntry>,
}

struct RouteEntry {
    route: Route,
    handler: MethodRouter<Shared>,
    /// Runs under the idempotency layer.
    idempotent: bool,
}

impl RouteTable {
    fn add(
        mut self,
        method: Method,
        path: &'static str,
        handler: MethodRouter<Shared>,
        idempotent: bool,
    ) -> Self {
        self.entries.push(RouteEntry {
            route: Route { method, path },
            handler,
            idempotent,
        });
        self
    }

    fn get<H: Handler<T, Shared>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::GET, path, routing::get(handler), false)
    }

    fn put<H: Handler<T, Shared>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PUT, path, routing::put(handler), false)
    }

    fn post<H: Handler<T, Shared>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::POST, path, routing::post(handler), false)
    }

    fn idempotent_post<H: Handler<T, Shared>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add(Method::POST, path, routing::post(handler), true)
    }

    fn into_router(self, state: &Shared) -> axum::Router<Shared> {
        self.entries
            .into_iter()
            .fold(axum::Router::new(), |router, entry| {
                let handler = if entry.idempotent {
                    // route_layer: a 405 on this path does not claim the key.
                    entry
                        .handler
                        .route_layer(axum::middleware::from_fn_with_state(
                            state.clone(),
                            idempotency::idempotency,
                        ))
                } else {
                    entry.handler
                };
                router.route(entry.route.path, handler)
            })
    }
}

/// The request's span, which every log line of the request carries (the connector call's
/// included): its request id, method, path and, once known, merchant and payment. It ends with
/// one line per request: status and time. Never headers or bodies (api keys, card data).
async fn trace(request: Request, next: Next) -> Response {
    let request_id = request_id(request.headers());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = request.uri().path(),
        merchant_id = tracing::field::Empty,
        payment_id = tracing::field::Empty,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request"
        )
    });
    response
}

/// The header that names a request, taken from the client or made here, and echoed.
pub const REQUEST_ID: &str = "x-request-id";

/// The client's `X-Request-Id` when it is 1 to 128 letters, digits and `-_.:` (nothing that
/// could forge a log line), else a new one.
fn request_id(headers: &axum::http::HeaderMap) -> String {
    let given = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
    match given {
        Some(id) => id.to_owned(),
        None => format!("req_{}", uuid::Uuid::new_v4().simple()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(METHOD, path)` of every operation in the OpenAPI document.
    fn documented() -> BTreeSet<(String, String)> {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let paths = doc["paths"].as_object().expect("a paths object");
        let mut documented = BTreeSet::new();
        for (path, item) in paths {
            for method in item.as_object().expect("a path item").keys() {
                // A path item's other keys (parameters, summary, ...) are not operations.
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        documented
    }

    fn served() -> BTreeSet<(String, String)> {
        routes()
            .into_iter()
            .map(|route| (route.method.to_string(), route.path.to_owned()))
            .collect()
    }

    #[test]
    fn every_served_route_is_documented() {
        let undocumented: Vec<_> = served().difference(&documented()).cloned().collect();
        assert_eq!(undocumented, Vec::new(), "served but not in openapi.json");
    }

    #[test]
    fn every_documented_route_is_served() {
        let unserved: Vec<_> = documented().difference(&served()).cloned().collect();
        assert_eq!(unserved, Vec::new(), "in openapi.json but not served");
    }

    #[test]
    fn each_route_is_registered_once() {
        let all = routes();
        assert_eq!(served().len(), all.len(), "{all:?}");
    }
}
