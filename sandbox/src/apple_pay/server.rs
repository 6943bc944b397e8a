//! The TLS handshake of each connection (the merchant's certificate), then the control layer's
//! HTTP serving and fault pipeline around the payment session route.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::{pki, session, Shared, PATH};
use crate::control::lock;
use crate::control::server::{accept_each, process, serve_http, with_fault};

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    let shutdown = shared.clone();
    accept_each(&listener, &shutdown.shutdown, move |stream| {
        serve_connection(stream, acceptor.clone(), shared.clone(), router.clone())
    })
    .await;
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
    serve_http(tls, move |mut request, kill| {
        let (shared, router) = (shared.clone(), router.clone());
        request.extensions_mut().insert(certified.clone());
        async move {
            // Counted and faulted as the other simulators' requests are.
            shared.count(|c| c.requests += 1);
            let fault = lock(&shared.faults).pop_front();
            with_fault(fault, &kill, session::fault_response, |delay| {
                process(router, request, delay)
            })
            .await
        }
    })
    .await;
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
