//! The webhook outbox: every emitted webhook is kept, and delivered in order to the target set
//! at the time it was emitted.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc;
use url::Url;

use super::{lock, DeliveredWebhook};

/// A delivery attempt gives up after this long; delivery is best effort.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Outbox {
    log: Mutex<Vec<DeliveredWebhook>>,
    target: Mutex<Option<Url>>,
    queue: mpsc::UnboundedSender<(Url, DeliveredWebhook)>,
}

impl Outbox {
    /// The outbox and the delivery worker to spawn.
    pub(super) fn new(target: Option<Url>) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (queue, pending) = mpsc::unbounded_channel();
        let outbox = Outbox {
            log: Mutex::default(),
            target: Mutex::new(target),
            queue,
        };
        (outbox, deliver(pending))
    }

    pub(super) fn emit(&self, webhook: DeliveredWebhook) {
        let target = lock(&self.target).clone();
        if let Some(url) = target {
            // Fails only when the worker is gone (after shutdown): nothing left to deliver to.
            let _ = self.queue.send((url, webhook.clone()));
        }
        lock(&self.log).push(webhook);
    }

    pub(super) fn all(&self) -> Vec<DeliveredWebhook> {
        lock(&self.log).clone()
    }

    pub(super) fn set_target(&self, url: Option<Url>) {
        *lock(&self.target) = url;
    }
}

/// POSTs each queued webhook, one after another so the receiver sees them in emission order.
/// Failures are logged and dropped: the processors retry for hours, tests don't wait that long.
async fn deliver(mut pending: mpsc::UnboundedReceiver<(Url, DeliveredWebhook)>) {
    // Targets are local test receivers: never route them through a proxy from the environment.
    let client = match reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .no_proxy()
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "no HTTP client for webhook delivery");
            return;
        }
    };
    while let Some((url, webhook)) = pending.recv().await {
        let mut request = client.post(url.clone());
        for (name, value) in &webhook.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.body(webhook.body).send().await {
            Ok(response) => {
                tracing::debug!(%url, status = response.status().as_u16(), "webhook delivered");
            }
            Err(e) => tracing::debug!(%url, error = %e, "webhook delivery failed"),
        }
    }
}
