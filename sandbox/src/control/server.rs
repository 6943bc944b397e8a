//! The accept loop, one task per connection, and the request pipeline (counting, faults,
//! idempotency) around the simulator's router. The loop, the connection's HTTP serving and
//! the fault pipeline are also what the Apple Pay simulator serves its TLS connections with.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::idempotency::Begin;
use super::{Fault, Shared, HELPER_PREFIX};

/// After a failed `accept` (e.g. out of file descriptors), wait this long before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, router: Router) {
    let shutdown = shared.clone();
    accept_each(&listener, &shutdown.shutdown, move |stream| {
        let (shared, router) = (shared.clone(), router.clone());
        async move {
            // Small JSON answers: send them at once.
            let _ = stream.set_nodelay(true);
            serve_http(stream, move |request, kill| {
                let (shared, router) = (shared.clone(), router.clone());
                async move { handle(&shared, router, &kill, request).await }
            })
            .await;
        }
    })
    .await;
}

/// Accepts connections on `listener` until `shutdown`, each served by its own `serve` task;
/// at shutdown every open connection is aborted.
pub(crate) async fn accept_each<F, Fut>(listener: &TcpListener, shutdown: &Notify, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.notified() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve(stream));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            // Reap finished connection tasks so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Serves HTTP/1 on `io` (a TCP or TLS stream) with `answer`, which gets each request and the
/// connection's kill switch: notified (by a `DropConnection` fault), the connection is dropped
/// without any HTTP response.
pub(crate) async fn serve_http<S, A, Fut>(io: S, answer: A)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A: Fn(Request<Body>, Arc<Notify>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let answered = answer(request.map(Body::new), kill.clone());
            async move { Ok::<_, Infallible>(answered.await) }
        })
    };
    // The timer enables hyper's default 30 s limit on reading a request's headers, so a client
    // that opens a connection and sends nothing does not hold a task forever.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = kill.notified() => tracing::debug!("connection dropped by an injected fault"),
    }
}

/// Applies `fault` around `work` as every simulator does: a status answers at once
/// (`fault_response`'s body), a drop closes the connection before or after the work, a delay
/// waits after it or is handed to `work` to wait before the operation.
pub(crate) async fn with_fault<W, Fut>(
    fault: Option<Fault>,
    kill: &Notify,
    fault_response: fn(StatusCode) -> Response,
    work: W,
) -> Response
where
    W: FnOnce(Duration) -> Fut,
    Fut: Future<Output = Response>,
{
    let mut delay_before = Duration::ZERO;
    match &fault {
        Some(Fault::Status {
            status,
            retry_after_secs,
        }) => return status_response(fault_response, *status, *retry_after_secs),
        Some(Fault::DropConnection {
            after_processing: false,
        }) => return drop_connection(kill).await,
        Some(Fault::Delay {
            duration,
            after_processing: false,
        }) => delay_before = *duration,
        _ => {}
    }
    let response = work(delay_before).await;
    match fault {
        Some(Fault::Delay {
            duration,
            after_processing: true,
        }) => tokio::time::sleep(duration).await,
        Some(Fault::DropConnection {
            after_processing: true,
        }) => return drop_connection(kill).await,
        _ => {}
    }
    response
}

/// The pipeline described in the module documentation of [`super`].
async fn handle(
    shared: &Shared,
    router: Router,
    kill: &Notify,
    request: Request<Body>,
) -> Response {
    if request.uri().path().starts_with(HELPER_PREFIX) {
        return call(router, request).await;
    }
    shared.count(|c| c.requests += 1);
    let fault = shared.next_fault();
    with_fault(
        fault,
        kill,
        shared.fault_response,
        |delay_before| async move {
            let (begin, request) = match &shared.idempotency {
                Some(store) => {
                    let (begin, request) = store.begin(request).await;
                    (Some(begin), request)
                }
                None => (None, request),
            };
            match begin {
                None | Some(Begin::Untracked) => process(router, request, delay_before).await,
                Some(Begin::Answer { response, replay }) => {
                    if replay {
                        shared.count(|c| c.replays += 1);
                    }
                    response
                }
                Some(Begin::Proceed(guard)) => {
                    guard
                        .finish(process(router, request, delay_before).await)
                        .await
                }
            }
        },
    )
    .await
}

/// `request` answered by `router`, after waiting `delay`.
pub(crate) async fn process(router: Router, request: Request<Body>, delay: Duration) -> Response {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    call(router, request).await
}

pub(crate) async fn call(router: Router, request: Request<Body>) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn status_response(
    fault_response: fn(StatusCode) -> Response,
    status: u16,
    retry_after_secs: Option<u64>,
) -> Response {
    // A final answer needs a status of 200–599: informational codes cannot end an exchange.
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| (200..600).contains(&s.as_u16()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = fault_response(status);
    *response.status_mut() = status;
    if let Some(seconds) = retry_after_secs {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(seconds));
    }
    response
}

/// Asks the connection task to drop the connection, then never answers: the task drops this
/// future together with the connection.
async fn drop_connection(kill: &Notify) -> Response {
    kill.notify_one();
    std::future::pending().await
}
