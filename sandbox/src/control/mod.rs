//! The processor-agnostic layer every simulator reuses.
//!
//! A simulator calls [`start`] with [`ServeOptions`] and a function that builds its axum
//! [`Router`] from a [`Control`]. The shared layer then:
//!
//! - serves HTTP/1.1 on the given address (`127.0.0.1:0` for a free port), one task per
//!   connection, so [`Fault::DropConnection`] can close exactly the connection it hit;
//! - counts every API request, applies the next injected [`Fault`] to it, and runs
//!   [idempotency](IdempotencyRules) around the simulator's handler;
//! - keeps the webhook outbox and delivers each webhook to the configured target;
//! - shuts everything down on [`SimulatorHandle::shutdown`].
//!
//! Paths under [`HELPER_PREFIX`] (`/sim/...`) are the simulator's own helpers (a 3DS page the
//! "customer" opens, test hooks): they are not API requests, so they are neither counted nor
//! faulted nor idempotent.
//!
//! Request pipeline for an API request, in order:
//!
//! 1. count it (`requests`) and take the next fault from the queue;
//! 2. [`Fault::Status`] answers at once; [`Fault::DropConnection`] without `after_processing`
//!    closes the connection at once — neither reaches idempotency or the handler, as a load
//!    balancer in front of the processor would;
//! 3. idempotency: a replay, a concurrent duplicate or (with a [`ParameterCheck`]) a key reused
//!    for another request is answered from the store;
//! 4. [`Fault::Delay`] without `after_processing` waits here, while the key is in flight;
//! 5. the simulator's handler runs; its answer is stored for replay when the rules say so and
//!    the answer does not carry [`NotStored`];
//! 6. [`Fault::Delay`] / [`Fault::DropConnection`] with `after_processing` wait or drop now.

mod idempotency;
pub(crate) mod server;
mod webhooks;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use url::Url;

pub use idempotency::{IdempotencyRules, KeyScope, Mismatch, NotStored, ParameterCheck};

/// Path prefix of a simulator's helper routes, which bypass counting, faults and idempotency.
pub const HELPER_PREFIX: &str = "/sim/";

/// A misbehaviour to apply to the next API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait before answering. `after_processing: true` means the operation is performed (state
    /// changes, counters move) and only the answer is late — used to make a client time out on
    /// a request that did take effect.
    Delay {
        /// How long to wait.
        duration: Duration,
        /// Perform the operation first, then wait; otherwise wait, then perform it.
        after_processing: bool,
    },
    /// Answer this status without processing anything (e.g. 500, 502, 503, or 429 with a
    /// Retry-After header in seconds).
    Status {
        /// The HTTP status; one outside 200–599 is answered as 500.
        status: u16,
        /// Seconds for a `Retry-After` header, when set.
        retry_after_secs: Option<u64>,
    },
    /// Close the TCP connection without any HTTP response. `after_processing: true` means the
    /// operation was performed first.
    DropConnection {
        /// Perform the operation first, then drop the connection.
        after_processing: bool,
    },
}

/// The simulator's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Every API request received (including faulted ones and replays; not `/sim/` helpers).
    pub requests: u64,
    /// Payments actually created (POST /payments processed, approved or declined).
    pub authorizations: u64,
    /// Incremental or extension authorizations actually processed.
    pub increments: u64,
    /// Captures actually processed.
    pub captures: u64,
    /// Voids actually processed.
    pub voids: u64,
    /// Refunds actually processed.
    pub refunds: u64,
    /// Idempotent replays served from the store.
    pub replays: u64,
}

/// An operation a simulator performed, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A payment was created (approved, declined or pending authentication).
    Authorization,
    /// An incremental or extension authorization was processed.
    Increment,
    /// A capture was processed.
    Capture,
    /// A void was processed.
    Void,
    /// A refund was processed.
    Refund,
}

/// A webhook exactly as the simulator sent it.
#[derive(Debug, Clone)]
pub struct DeliveredWebhook {
    /// Header names and values, in sending order.
    pub headers: Vec<(String, String)>,
    /// The raw body (the signed bytes), shared by the outbox's log and its delivery.
    pub body: Bytes,
}

/// How [`start`] serves a simulator.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The processor's idempotency semantics; `None` when it has none.
    pub idempotency: Option<IdempotencyRules>,
    /// Builds the answer to a [`Fault::Status`] (the processor's error shape for that status).
    pub fault_response: fn(StatusCode) -> Response,
    /// Where webhooks are POSTed initially (changed with
    /// [`SimulatorHandle::set_webhook_target`]).
    pub webhook_target: Option<Url>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            idempotency: None,
            fault_response: empty_response,
            webhook_target: None,
        }
    }
}

/// An answer with `status` and no body: the default [`ServeOptions::fault_response`].
pub fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status;
    response
}

/// State shared by the server, the simulator's handlers ([`Control`]) and the test's handles.
struct Shared {
    base_url: Url,
    counters: Mutex<CounterSnapshot>,
    faults: Mutex<VecDeque<Fault>>,
    outbox: webhooks::Outbox,
    idempotency: Option<idempotency::Store>,
    fault_response: fn(StatusCode) -> Response,
    shutdown: Notify,
    tasks: Mutex<Tasks>,
}

impl Shared {
    fn next_fault(&self) -> Option<Fault> {
        lock(&self.faults).pop_front()
    }

    fn count(&self, update: impl FnOnce(&mut CounterSnapshot)) {
        update(&mut lock(&self.counters));
    }
}

/// What a simulator's handlers use of the shared layer: the base URL, the operation counters
/// and the webhook outbox. Cheap to clone.
#[derive(Clone)]
pub struct Control(Arc<Shared>);

impl Control {
    /// The simulator's base URL, `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> &Url {
        &self.0.base_url
    }

    /// Counts an operation the simulator actually performed.
    pub fn record(&self, operation: Operation) {
        self.0.count(|c| match operation {
            Operation::Authorization => c.authorizations += 1,
            Operation::Increment => c.increments += 1,
            Operation::Capture => c.captures += 1,
            Operation::Void => c.voids += 1,
            Operation::Refund => c.refunds += 1,
        });
    }

    /// Records a webhook in the outbox and queues its delivery to the current target, if any.
    /// The simulator signs it; headers and body are sent exactly as given.
    pub fn emit_webhook(&self, webhook: DeliveredWebhook) {
        self.0.outbox.emit(webhook);
    }
}

/// Returned by every simulator's `start`. Cheap to clone (Arc inside).
///
/// Dropping every handle does not stop the server (it runs until its runtime ends); call
/// [`shutdown`](SimulatorHandle::shutdown).
#[derive(Clone)]
pub struct SimulatorHandle(Arc<Shared>);

impl SimulatorHandle {
    /// The simulator's base URL, `http://127.0.0.1:PORT/` (with the trailing slash).
    pub fn base_url(&self) -> Url {
        self.0.base_url.clone()
    }

    /// Queues a fault for the next API request not yet faulted (FIFO; each fault is consumed by
    /// one request).
    pub fn inject(&self, fault: Fault) {
        lock(&self.0.faults).push_back(fault);
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.0.faults).clear();
    }

    /// The counters now.
    pub fn counters(&self) -> CounterSnapshot {
        *lock(&self.0.counters)
    }

    /// Every webhook the simulator has emitted, in order.
    pub fn webhooks(&self) -> Vec<DeliveredWebhook> {
        self.0.outbox.all()
    }

    /// Where webhooks emitted from now on are POSTed (best effort, in order, by a background
    /// task); `None` keeps them in the outbox only.
    pub fn set_webhook_target(&self, url: Option<Url>) {
        self.0.outbox.set_target(url);
    }

    /// Stops accepting connections, closes the open ones and stops webhook delivery (best
    /// effort: undelivered webhooks stay in the outbox). Other clones of the handle then see a
    /// stopped server; a second call does nothing.
    pub async fn shutdown(self) {
        self.0.shutdown.notify_one();
        let (server, delivery) = {
            let mut tasks = lock(&self.0.tasks);
            (tasks.server.take(), tasks.delivery.take())
        };
        if let Some(delivery) = delivery {
            delivery.abort();
        }
        // The accept loop ends on the notification, after closing its connections.
        if let Some(server) = server {
            let _ = server.await;
        }
    }
}

/// The simulator's background tasks, taken by the first shutdown.
#[derive(Default)]
struct Tasks {
    server: Option<JoinHandle<()>>,
    delivery: Option<JoinHandle<()>>,
}

/// Binds `addr`, builds the simulator's router from its [`Control`] and serves it until
/// [`SimulatorHandle::shutdown`].
pub async fn start(
    addr: SocketAddr,
    options: ServeOptions,
    app: impl FnOnce(Control) -> Router,
) -> std::io::Result<SimulatorHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let base_url = Url::parse(&format!("http://{local}/"))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let (outbox, delivery) = webhooks::Outbox::new(options.webhook_target);
    let shared = Arc::new(Shared {
        base_url,
        counters: Mutex::default(),
        faults: Mutex::default(),
        outbox,
        idempotency: options.idempotency.map(idempotency::Store::new),
        fault_response: options.fault_response,
        shutdown: Notify::new(),
        tasks: Mutex::default(),
    });
    let router = app(Control(shared.clone()));
    let server = tokio::spawn(server::accept_loop(listener, shared.clone(), router));
    *lock(&shared.tasks) = Tasks {
        server: Some(server),
        delivery: Some(tokio::spawn(delivery)),
    };
    Ok(SimulatorHandle(shared))
}

/// Locks a mutex, recovering the data if a thread panicked while holding it (the simulator's
/// state stays usable; no handler panics by design).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
