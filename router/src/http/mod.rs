//! The HTTP surface: the route table, and the axum pieces every route is made of — the caller
//! ([`Caller`], [`Merchant`]: `api-key` and `Idempotency-Key`), typed JSON bodies ([`Body`]),
//! the idempotency layer of the POST operations, and JSON errors. Handlers only extract and
//! answer; the work is in [`crate::payments`].

mod body;
mod caller;
mod handlers;
mod idempotency;
pub mod server;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, MethodRouter};
use tracing::Instrument;

pub use body::{read_body, unreadable, Body, BodyReadTimeout, PathId, RawBody, BODY_LIMIT};
pub use caller::{Caller, Merchant};

use paybridge_core::{Capabilities, Condition, Flow};

use crate::auth::Merchants;
use crate::config::ServerLimits;
use crate::error::{ApiError, ErrorType};
use crate::payments::Payments;

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Shared by every handler.
pub struct AppState {
    /// The payment service.
    pub payments: Arc<Payments>,
    /// Who may call.
    pub merchants: Merchants,
    /// One permit per request handled at once.
    in_flight: tokio::sync::Semaphore,
    limits: ServerLimits,
    /// What `GET /openapi.json` answers: [`served_document`].
    document: axum::body::Bytes,
}

impl AppState {
    /// The state of a router serving `payments` to `merchants` within `limits`.
    pub fn new(payments: Arc<Payments>, merchants: Merchants, limits: &ServerLimits) -> Self {
        let connectors = payments
            .connectors()
            .iter()
            .map(|(name, connector)| (name.as_str(), connector.capabilities()));
        let document = served_document(connectors).into();
        AppState {
            document,
            payments,
            merchants,
            in_flight: tokio::sync::Semaphore::new(limits.max_requests_in_flight),
            limits: *limits,
        }
    }
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
        .layer(axum::middleware::from_fn_with_state(state.clone(), bounded))
        .layer(axum::middleware::from_fn(trace))
        .with_state(state)
}

/// [`OPENAPI`] as an instance serves it, for `connectors` (name and capabilities): the
/// connectors and the currencies it takes listed as enums, and a create request valid only when
/// one of the connectors it names takes it (card data or which tokens, which currencies and
/// amounts), so that what the document calls valid, this instance accepts.
pub fn served_document<'a>(
    connectors: impl IntoIterator<Item = (&'a str, &'a Capabilities)>,
) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(OPENAPI) else {
        return OPENAPI.to_owned();
    };
    let (mut names, mut accepts) = (Vec::new(), Vec::new());
    for (name, capabilities) in connectors {
        names.push(name);
        if capabilities.supports(Flow::Authorize) {
            accepts.push(accepted_by(name, capabilities.conditions(Flow::Authorize)));
        }
    }
    let currencies: Vec<&str> = paybridge_core::Currency::all()
        .iter()
        .map(|c| c.code())
        .collect();
    let create = &mut doc["components"]["schemas"]["CreatePaymentRequest"];
    create["properties"]["connector"] = serde_json::json!({
        "description": create["properties"]["connector"]["description"].clone(),
        "oneOf": [
            {"type": "string", "enum": names},
            {"type": "array", "minItems": 1, "uniqueItems": true,
             "items": {"type": "string", "enum": names}}
        ]
    });
    create["properties"]["currency"]["enum"] = serde_json::json!(currencies);
    create["anyOf"] = serde_json::json!(accepts);
    if let Some(parameters) = doc["paths"]["/webhooks/{connector}"]["parameters"].as_array_mut() {
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "connector") {
            parameter["schema"]["enum"] = serde_json::json!(names);
        }
    }
    doc.to_string()
}

/// The create requests connector `name` takes, as a schema: `connector` names it (alone or in
/// a list), with card data only if it takes raw cards, a token of a kind it takes, and a
/// currency and amount its conditions allow.
fn accepted_by(name: &str, conditions: &[Condition]) -> serde_json::Value {
    let mut token = serde_json::json!({
        "required": ["payment_token"],
        "not": {"required": ["payment_method_data"]}
    });
    for condition in conditions {
        if let Condition::PaymentMethodTokenPrefixes { prefixes } = condition {
            let alternatives: Vec<String> = prefixes.iter().map(|p| regex_literal(p)).collect();
            token["properties"] = serde_json::json!({
                "payment_token": {"pattern": format!("^({})", alternatives.join("|"))}
            });
        }
    }
    let method = if conditions.contains(&Condition::RequiresPaymentMethodToken) {
        token
    } else {
        serde_json::json!({"oneOf": [
            {"required": ["payment_method_data"], "not": {"required": ["payment_token"]}},
            token
        ]})
    };
    let mut all_of = vec![
        serde_json::json!({"properties": {"connector": {"anyOf": [
            {"enum": [name]},
            {"type": "array", "contains": {"enum": [name]}}
        ]}}}),
        method,
    ];
    all_of.extend(conditions.iter().filter_map(currency_rule));
    serde_json::json!({ "allOf": all_of })
}

/// What a connector's currency condition says of a create request, as a schema: a currency it
/// refuses is not valid with it, nor an amount off the multiple it takes.
fn currency_rule(condition: &Condition) -> Option<serde_json::Value> {
    let in_currencies = |currencies: &[String]| {
        serde_json::json!({
            "required": ["currency"],
            "properties": {"currency": {"enum": currencies}}
        })
    };
    match condition {
        Condition::UnsupportedCurrencies { currencies } => {
            Some(serde_json::json!({"not": in_currencies(currencies)}))
        }
        Condition::AmountMultipleOf {
            currencies,
            multiple,
        } => Some(serde_json::json!({"anyOf": [
            {"not": in_currencies(currencies)},
            {"properties": {"amount": {"multipleOf": multiple}}}
        ]})),
        _ => None,
    }
}

/// `text` as a regular expression that matches it literally.
fn regex_literal(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = "\\^$.|?*+()[]{}".contains(c).then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// The routes. `idempotent_post` routes take an `Idempotency-Key`; webhooks do not (the
/// connector's event id de-duplicates them).
fn route_table() -> RouteTable {
    use handlers::*;
    RouteTable::default()
        .get("/health", health)
        .get("/ready", ready)
        .get("/metrics", metrics)
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
        .post("/3ds/notification", three_ds_notification)
        .get("/events", list_events)
        .get("/events/{event_id}", retrieve_event)
        .idempotent_post("/events/{event_id}/retry", retry_event)
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
    // The route's template (`/payments/{payment_id}`): a label with a bounded set of values.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, elapsed_us = elapsed.as_micros() as u64, "request"));
    metrics::counter!(
        "paybridge_http_requests_total",
        "method" => method, "route" => route.clone(), "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "paybridge_http_request_duration_seconds",
        "method" => method, "route" => route
    )
    .record(elapsed.as_secs_f64());
    response
}

/// The method as a label: the API's methods by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Holds one of [`ServerLimits::max_requests_in_flight`] for the request (waiting up to the
/// queue timeout, then 503 `overloaded`) and gives its body extractor the body timeout. The
/// probes are never held up, so an overloaded instance still answers them.
async fn bounded(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    request
        .extensions_mut()
        .insert(BodyReadTimeout(state.limits.body_read_timeout()));
    if ["/health", "/ready", "/metrics"].contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let waited = tokio::time::timeout(
        state.limits.request_queue_timeout(),
        state.in_flight.acquire(),
    )
    .await;
    match waited {
        Ok(Ok(_permit)) => next.run(request).await,
        _ => {
            let mut response = ApiError {
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                kind: ErrorType::Overloaded,
                code: "overloaded".into(),
                message: format!(
                    "the router is handling {} requests, its limit; retry shortly",
                    state.limits.max_requests_in_flight
                ),
            }
            .into_response();
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            );
            response
        }
    }
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

    #[test]
    fn the_served_document_lists_this_instances_connectors_and_currencies() {
        let stripe = Capabilities::new("stripe").support(
            Flow::Authorize,
            [
                Condition::PaymentMethodTokenPrefixes {
                    prefixes: vec!["pm_".into()],
                },
                Condition::AmountMultipleOf {
                    currencies: vec!["KWD".into()],
                    multiple: 10,
                },
            ],
        );
        let primer = Capabilities::new("primer")
            .support(Flow::Authorize, [Condition::RequiresPaymentMethodToken]);
        let served = served_document([("primer", &primer), ("stripe", &stripe)]);
        let doc: serde_json::Value = serde_json::from_str(&served).expect("JSON");
        let request = &doc["components"]["schemas"]["CreatePaymentRequest"];
        let file = std::env::temp_dir().join(format!("served-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&file, &served).expect("written");
        let checker = paybridge_connector_tests::openapi::OpenApi::load(&file).expect("loads");
        let _ = std::fs::remove_file(&file);
        let valid = |body: serde_json::Value| {
            checker
                .check_component("CreatePaymentRequest", &body)
                .is_ok()
        };
        let card = serde_json::json!({"card": {"card_number": "4242424242424242",
            "card_exp_month": "12", "card_exp_year": "2030"}});
        let body = |connector: serde_json::Value, method: (&str, serde_json::Value), amount| {
            let mut body = serde_json::json!({"amount": amount, "currency": "KWD",
                "connector": connector});
            body[method.0] = method.1;
            body
        };
        // Card data only where a connector named takes it; a token of the kinds it takes.
        assert!(valid(body(
            "stripe".into(),
            ("payment_method_data", card.clone()),
            1000
        )));
        assert!(!valid(body(
            "primer".into(),
            ("payment_method_data", card.clone()),
            1000
        )));
        assert!(valid(body(
            serde_json::json!(["primer", "stripe"]),
            ("payment_method_data", card.clone()),
            1000
        )));
        assert!(valid(body(
            "primer".into(),
            ("payment_token", "tok_1".into()),
            1001
        )));
        assert!(!valid(body(
            "stripe".into(),
            ("payment_token", "tok_1".into()),
            1000
        )));
        // Stripe's KWD amounts in tens.
        assert!(!valid(body(
            "stripe".into(),
            ("payment_method_data", card.clone()),
            1001
        )));
        assert!(!valid(body(
            serde_json::json!(["stripe", "stripe"]),
            ("payment_method_data", card.clone()),
            1000
        )));
        assert!(!valid(body(
            serde_json::json!(["adyen"]),
            ("payment_method_data", card),
            1000
        )));
        let create = &request["properties"];
        assert_eq!(
            create["connector"]["oneOf"][0]["enum"],
            serde_json::json!(["primer", "stripe"])
        );
        let currencies = create["currency"]["enum"].as_array().expect("an enum");
        assert_eq!(currencies.len(), paybridge_core::Currency::all().len());
        assert!(currencies.contains(&"JPY".into()) && !currencies.contains(&"usd".into()));
        let webhook = &doc["paths"]["/webhooks/{connector}"]["parameters"][0];
        assert_eq!(
            webhook["schema"]["enum"],
            serde_json::json!(["primer", "stripe"])
        );
    }

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
