//! The TLS accept loop, one task per connection, and the request pipeline (counting, faults)
//! around the payment session route.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::{pki, session, Shared, PATH};
use crate::control::{lock, Fault};

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed `accept` (e.g. out of file descriptors), wait this long before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// The merchant identifier in the subject `UID` of the client certificate of a connection
/// (`None`: the verified certificate names none).
#[derive(Debug, Clone)]
struct Certified(Option<String>);

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            PATH,
            post(payment_session).fallback(|| async {
                session::apple_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
            }),
        )
        .fallback(|| async { session::apple_error(StatusCode::NOT_FOUND, "Not Found") })
        .with_state(shared)
}

pub(super) async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    router: Router,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shared.shutdown.notified() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(
                        stream,
                        acceptor.clone(),
                        shared.clone(),
                        router.clone(),
                    ));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(
    stream: TcpStream,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    router: Router,
) {
    let _ = stream.set_nodelay(true);
    shared.count(|c| c.connections += 1);
    // rustls refuses a client without a certificate, or with one that does not chain to the
    // test CA, in the handshake: no HTTP request is ever read on such a connection.
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            shared.count(|c| c.handshake_failures += 1);
            tracing::debug!(error = %e, "Apple Pay simulator: TLS handshake refused");
            return;
        }
        Err(_) => {
            shared.count(|c| c.handshake_failures += 1);
            tracing::debug!("Apple Pay simulator: TLS handshake timed out");
            return;
        }
    };
    let certified = Certified(
        tls.get_ref()
            .1
            .peer_certificates()
            .and_then(<[_]>::first)
            .and_then(|leaf| pki::merchant_of(leaf)),
    );
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let (shared, router, kill) = (shared.clone(), router.clone(), kill.clone());
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(certified.clone());
            async move { Ok::<_, Infallible>(handle(&shared, router, &kill, request).await) }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(tls), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "Apple Pay simulator: connection ended with an error");
            }
        }
        () = kill.notified() => tracing::debug!("Apple Pay simulator: connection dropped by a fault"),
    }
}

/// Counts the request, applies the next fault (as the other simulators do: a status answers
/// at once, a drop closes the connection, a delay waits before or after the work), then
/// serves it.
async fn handle(
    shared: &Shared,
    router: Router,
    kill: &Notify,
    request: Request<Body>,
) -> Response {
    shared.count(|c| c.requests += 1);
    let fault = lock(&shared.faults).pop_front();
    match &fault {
        Some(Fault::Status {
            status,
            retry_after_secs,
        }) => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(|s| (200..600).contains(&s.as_u16()))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = session::fault_response(status);
            if let Some(seconds) = retry_after_secs {
                response
                    .headers_mut()
                    .insert("retry-after", (*seconds).into());
            }
            return response;
        }
        Some(Fault::DropConnection {
            after_processing: false,
        }) => return drop_connection(kill).await,
        Some(Fault::Delay {
            duration,
            after_processing: false,
        }) => tokio::time::sleep(*duration).await,
        _ => {}
    }
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
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

/// Asks the connection task to drop the connection, then never answers.
async fn drop_connection(kill: &Notify) -> Response {
    kill.notify_one();
    std::future::pending().await
}

/// `POST /paymentservices/paymentSession`.
async fn payment_session(
    State(shared): State<Arc<Shared>>,
    Extension(certified): Extension<Certified>,
    body: Bytes,
) -> Response {
    let checked = {
        let merchants = lock(&shared.merchants);
        session::check(&body, certified.0.as_deref(), &merchants)
    };
    match checked {
        Ok(request) => {
            shared.count(|c| c.sessions += 1);
            let object = session::session_object(
                &request,
                &shared.environment,
                &shared.secret,
                time::OffsetDateTime::now_utc(),
            );
            (StatusCode::OK, axum::Json(object)).into_response()
        }
        Err(refusal) => {
            shared.count(|c| c.rejections += 1);
            refusal.into_response()
        }
    }
}
