//! A recording proxy between a connector and a simulator: it forwards every request unchanged
//! and keeps a copy of both bodies, so tests can check what crossed the wire.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use axum::Router;
use url::Url;

use crate::openapi::{OpenApi, SchemaViolation, Unconfirmed};

/// One request and its response, as they crossed the proxy.
#[derive(Debug, Clone)]
pub struct RecordedExchange {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The request's `Content-Type`, when it had one.
    pub request_content_type: Option<String>,
    /// Request body.
    pub request_body: Bytes,
    /// Response status.
    pub status: u16,
    /// Response body.
    pub response_body: Bytes,
}

/// The running proxy.
pub struct RecordingProxy {
    url: Url,
    records: Arc<Mutex<Vec<RecordedExchange>>>,
    server: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Starts a proxy on `127.0.0.1` forwarding to `upstream`.
    pub async fn start(upstream: Url) -> Result<Self, String> {
        let records: Arc<Mutex<Vec<RecordedExchange>>> = Arc::default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let sink = records.clone();
        let app = Router::new().fallback(move |req: Request<Body>| {
            let (client, upstream, sink) = (client.clone(), upstream.clone(), sink.clone());
            async move { forward(client, upstream, sink, req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let url = format!("http://{addr}/")
            .parse()
            .map_err(|e: url::ParseError| e.to_string())?;
        Ok(RecordingProxy {
            url,
            records,
            server,
        })
    }

    /// The proxy's base URL, to configure the connector with.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Everything recorded so far.
    pub fn exchanges(&self) -> Vec<RecordedExchange> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs every scenario against a simulator through a recording proxy and answers what crossed
/// it, after shutting the simulator down; `Err` with the report's table when a scenario failed.
/// `target_at` makes the target that reaches the simulator at the proxy's URL (so scenarios
/// that need the simulator's counters or faults are skipped: the proxy hides it).
pub async fn suite_traffic(
    simulator: paybridge_sandbox::SimulatorHandle,
    target_at: impl FnOnce(Url) -> crate::Target,
) -> Result<Vec<RecordedExchange>, String> {
    let proxy = RecordingProxy::start(simulator.base_url()).await?;
    let target = target_at(proxy.url());
    let report = crate::run_scenarios(&target, |_| true).await;
    let exchanges = proxy.exchanges();
    simulator.shutdown().await;
    if report.failures().is_empty() {
        Ok(exchanges)
    } else {
        Err(report.table())
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(
    client: reqwest::Client,
    upstream: Url,
    sink: Arc<Mutex<Vec<RecordedExchange>>>,
    req: Request<Body>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let request_content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bad_gateway = |message: String| {
        let mut resp = Response::new(Body::from(message));
        *resp.status_mut() = StatusCode::BAD_GATEWAY;
        resp
    };
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return bad_gateway("request body unreadable".into());
    };
    let Ok(target) = upstream.join(path_and_query(&parts.uri).trim_start_matches('/')) else {
        return bad_gateway("bad path".into());
    };
    let mut headers = parts.headers.clone();
    headers.remove("host");
    headers.remove("content-length");
    let method = Method::from_bytes(parts.method.as_str().as_bytes()).unwrap_or(Method::GET);
    let result = client
        .request(method.clone(), target)
        .headers(headers)
        .body(body.clone())
        .send()
        .await;
    let upstream_resp = match result {
        Ok(resp) => resp,
        Err(e) => return bad_gateway(e.to_string()),
    };
    let status = upstream_resp.status();
    let mut response_headers = HeaderMap::new();
    for (name, value) in upstream_resp.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response_headers.insert(name.clone(), value.clone());
        }
    }
    let response_body = upstream_resp.bytes().await.unwrap_or_default();
    sink.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(RecordedExchange {
            method: method.to_string(),
            path: parts.uri.path().to_owned(),
            request_content_type,
            request_body: body,
            status: status.as_u16(),
            response_body: response_body.clone(),
        });
    let mut resp = Response::new(Body::from(response_body));
    *resp.status_mut() = status;
    *resp.headers_mut() = response_headers;
    resp
}

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// What [`check_against`] validated and found.
#[derive(Debug, Default)]
pub struct SchemaReport {
    /// Request bodies validated against a documented schema.
    pub requests: usize,
    /// Response bodies validated against a documented schema.
    pub responses: usize,
    /// Every body that failed its schema (or was not JSON where JSON was expected).
    pub violations: Vec<SchemaViolation>,
    /// Answers of operations the document lacks, checked against the repository's own schema
    /// for them ([`Unconfirmed`]): `GET /payments 200`.
    pub unconfirmed: Vec<String>,
}

/// Validates every recorded request and response body against `spec`: JSON bodies as they
/// are, `application/x-www-form-urlencoded` request bodies (Stripe's) decoded from bracket
/// notation first ([`OpenApi::check_form_request`]). Bodies the document has no schema for are
/// not counted.
pub fn check_against(spec: &OpenApi, exchanges: &[RecordedExchange]) -> SchemaReport {
    check_against_with(spec, exchanges, &[])
}

/// [`check_against`], except for the operations in `unconfirmed`, which the document lacks:
/// their answers are checked against their own schemas and listed in
/// [`SchemaReport::unconfirmed`]. Any other operation missing from the document is a
/// violation.
pub fn check_against_with(
    spec: &OpenApi,
    exchanges: &[RecordedExchange],
    unconfirmed: &[Unconfirmed],
) -> SchemaReport {
    let mut report = SchemaReport::default();
    // The simulators' own helper routes (a 3DS page, test hooks) are not the processor's API.
    let api = exchanges.iter().filter(|e| {
        !e.path
            .starts_with(paybridge_sandbox::control::HELPER_PREFIX)
    });
    for exchange in api {
        let place = || format!("{} {} {}", exchange.method, exchange.path, exchange.status);
        let parse = |body: &[u8], what: &str| {
            serde_json::from_slice::<serde_json::Value>(body).map_err(|_| SchemaViolation {
                place: place(),
                errors: vec![format!("{what} body is not JSON")],
            })
        };
        if let Some(op) = unconfirmed
            .iter()
            .find(|op| op.matches(&exchange.method, &exchange.path))
        {
            // A GET: no request body. An error may come without a body (401).
            if !exchange.response_body.is_empty() {
                let checked = parse(&exchange.response_body, "response")
                    .and_then(|body| spec.check_unconfirmed(op, exchange.status, &body));
                match checked {
                    Ok(true) => report.unconfirmed.push(place()),
                    Ok(false) => {}
                    Err(v) => report.violations.push(v),
                }
            }
            continue;
        }
        if !exchange.request_body.is_empty() {
            let form = exchange
                .request_content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
            let checked = if form {
                spec.check_form_request(&exchange.method, &exchange.path, &exchange.request_body)
            } else {
                parse(&exchange.request_body, "request")
                    .and_then(|body| spec.check_request(&exchange.method, &exchange.path, &body))
            };
            match checked {
                Ok(true) => report.requests += 1,
                Ok(false) => {}
                Err(v) => report.violations.push(v),
            }
        }
        if !exchange.response_body.is_empty() {
            let checked = parse(&exchange.response_body, "response").and_then(|body| {
                spec.check_response(&exchange.method, &exchange.path, exchange.status, &body)
            });
            match checked {
                Ok(true) => report.responses += 1,
                Ok(false) => {}
                Err(v) => report.violations.push(v),
            }
        }
    }
    report
}
