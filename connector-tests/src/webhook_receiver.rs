//! A local endpoint that receives a simulator's webhook deliveries, as a router would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::Router;

/// One delivery as received: headers and the raw body.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Receives deliveries on `127.0.0.1:{port}/webhooks`.
pub struct WebhookReceiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    server: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start() -> Result<Self, String> {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let sink = received.clone();
        let app = Router::new().route(
            "/webhooks",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let sink = sink.clone();
                async move {
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Received { headers, body });
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WebhookReceiver {
            addr,
            received,
            server,
        })
    }

    pub fn url(&self) -> Result<url::Url, String> {
        format!("http://{}/webhooks", self.addr)
            .parse()
            .map_err(|e: url::ParseError| e.to_string())
    }

    /// Every delivery received so far.
    pub fn all(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until a delivery satisfying `matches` arrives.
    pub async fn wait_for(
        &self,
        matches: impl Fn(&Received) -> bool,
        timeout: Duration,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self
                .received
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|r| matches(r))
                .cloned();
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}
