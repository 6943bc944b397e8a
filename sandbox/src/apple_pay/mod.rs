//! A simulator of Apple Pay's merchant validation endpoint
//! (`POST https://apple-pay-gateway.apple.com/paymentservices/paymentSession`), served over
//! mutual TLS on `127.0.0.1` with a test PKI made at run time (nothing secret is stored).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use paybridge_core::secrecy::SecretString;
//! use paybridge_core::wallet::apple_pay::{MerchantIdentity, MerchantValidation};
//! use paybridge_sandbox::apple_pay::{self, ApplePaySimConfig};
//!
//! let sim = apple_pay::start(
//!     ApplePaySimConfig::new().with_merchant("merchant.com.example", ["shop.example.com"]),
//! )
//! .await?;
//! let (certificate, key) = sim.merchant_identity("merchant.com.example")?;
//! let identity = MerchantIdentity {
//!     merchant_identifier: "merchant.com.example".into(),
//!     display_name: "Example Store".into(),
//!     domain: "shop.example.com".into(),
//!     certificate_pem: SecretString::from(certificate),
//!     private_key_pem: SecretString::from(key),
//! };
//! let validation = MerchantValidation::new(
//!     identity,
//!     sim.endpoint(),
//!     vec![sim.ca_pem().to_owned()],
//!     Duration::from_secs(5),
//! )?;
//! let session = validation.merchant_session().await?;
//! assert_eq!(session["domainName"], "shop.example.com");
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Facts: `wallets-reference.md` §1 (Apple's "Requesting an Apple Pay payment session" \[C\];
//! the session object's fields as PSPs' SDKs model them \[U\]). \[U\] marks what Apple does not
//! document and the simulator chooses.
//!
//! # Transport
//!
//! TLS (rustls, ring; TLS 1.2 and 1.3; ALPN `http/1.1`) with the server certificate of a
//! [`TestPki`] for `localhost`, `127.0.0.1` and `::1`. A client certificate is **required** and
//! must chain to the same PKI's CA: a client without one, or with one from another CA, fails the
//! TLS handshake (as Apple refuses a call without the merchant identity certificate); no HTTP
//! request is read and only `connections` and `handshake_failures` count it. The merchant a
//! connection speaks for is the `UID` attribute of its certificate's subject (0.9.2342.19200300.
//! 100.1.1, where Apple's merchant identity certificates carry the merchant id; the test
//! certificates also say `CN=Merchant ID: <id>`): [`TestPki::merchant_identity`] makes them.
//!
//! # API
//!
//! `POST /paymentservices/paymentSession` ([`PATH`]) with a JSON body `merchantIdentifier`,
//! `displayName`, `initiative`, `initiativeContext` (or the legacy `domainName`, taken as
//! `web` \[U\]). Refusals are 400 in Apple's error shape \[U\],
//! `{"statusMessage": "Payment Services Exception …", "statusCode": "400"}`, the message naming
//! the problem, checked in this order:
//!
//! | problem | `statusMessage` says |
//! |---|---|
//! | not a JSON object | `Invalid request: …` |
//! | no `merchantIdentifier` | `merchantIdentifier is missing` |
//! | not the certificate's merchant | `merchantId=… does not match the merchant identity certificate` |
//! | merchant not registered | `merchantId=… unknown or not enrolled` |
//! | `displayName` missing, blank or over 64 characters | `displayName is missing or not 1 to 64 UTF-8 characters` |
//! | `initiative` not `web`, `messaging` or `in_app` | `initiative=… is invalid: …` |
//! | no `initiativeContext` | `initiativeContext is missing` |
//! | `web` and the domain not registered for the merchant | `initiativeContext=… is not a registered domain for merchantId=…` |
//!
//! Success is 200 with the opaque merchant session object: `epochTimestamp`, `expiresAt`
//! (five minutes later, in ms: Apple documents that a session expires five minutes after it is
//! created; sessions PSPs show carry an hour \[U\]), `merchantSessionIdentifier` (`SSH…_…`),
//! `nonce` (8 hex), `merchantIdentifier` ([`merchant_hash`]: the hex SHA-256 of the merchant id,
//! upper case, as Apple's hash-like ids look), `domainName` (the initiative context),
//! `displayName`, `signature` (hex of a DER blob, as the sessions PSPs show are hex CMS
//! SignedData; not verifiable), `operationalAnalyticsIdentifier` (`<displayName>:<hash>`),
//! `retries` (0), `pspId` (the hash) \[U: all but the lifetime\]. Another path is 404, another
//! method 405, in the same error shape.
//!
//! # Faults and counters
//!
//! [`ApplePaySimHandle::inject`] queues a [`Fault`] for the next request, as for the other
//! simulators: `Status` answers at once in Apple's error shape (`Payment Services Exception
//! Service Unavailable`, `statusCode` `"503"`); `Delay` waits before (or after) the work;
//! `DropConnection` closes the connection without an answer. A fault applies to a request,
//! so a connection refused in the handshake consumes none. [`ApplePayCounters`] counts
//! connections, handshake failures, requests, sessions issued and refusals.

mod der;
mod pki;
mod server;
mod session;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use url::Url;

use crate::control::lock;
pub use crate::control::Fault;
pub use pki::{PkiError, TestPki};
pub use session::merchant_hash;

/// The path of Apple's payment session endpoint.
pub const PATH: &str = "/paymentservices/paymentSession";

/// How long a merchant session lasts: `expiresAt` − `epochTimestamp`.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The merchants the simulator knows, and its PKI.
#[derive(Debug, Clone, Default)]
pub struct ApplePaySimConfig {
    /// Registered merchants: merchant identifier → the domains verified for it (lower case,
    /// without a final dot), where `web` sessions may be asked for.
    pub merchants: BTreeMap<String, BTreeSet<String>>,
    /// The PKI whose CA client certificates must chain to, and whose server certificate the
    /// simulator presents; `None`: a new one is generated at start.
    pub pki: Option<TestPki>,
}

impl ApplePaySimConfig {
    /// No merchant registered, a new PKI at start.
    pub fn new() -> Self {
        ApplePaySimConfig::default()
    }

    /// Registers `merchant_id` with its verified `domains`.
    pub fn with_merchant<D: Into<String>>(
        mut self,
        merchant_id: impl Into<String>,
        domains: impl IntoIterator<Item = D>,
    ) -> Self {
        self.merchants
            .entry(merchant_id.into())
            .or_default()
            .extend(domains.into_iter().map(|d| normalise_domain(&d.into())));
        self
    }

    /// Uses `pki` rather than a new one (to make identities before starting).
    pub fn with_pki(mut self, pki: TestPki) -> Self {
        self.pki = Some(pki);
        self
    }
}

fn normalise_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The simulator's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplePayCounters {
    /// TCP connections accepted.
    pub connections: u64,
    /// Connections refused in the TLS handshake (no client certificate, one from another CA,
    /// no TLS at all) or that did not finish it in time.
    pub handshake_failures: u64,
    /// HTTP requests received over verified connections, faulted ones included.
    pub requests: u64,
    /// Merchant sessions issued (200).
    pub sessions: u64,
    /// Requests refused with Apple's 400.
    pub rejections: u64,
}

/// State shared by the server and the handles.
struct Shared {
    endpoint: Url,
    pki: TestPki,
    merchants: Mutex<BTreeMap<String, BTreeSet<String>>>,
    counters: Mutex<ApplePayCounters>,
    faults: Mutex<VecDeque<Fault>>,
    /// The 64-hex tail of every `merchantSessionIdentifier`.
    environment: String,
    /// Keys the sessions' signatures.
    secret: Vec<u8>,
    shutdown: Notify,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Shared {
    fn count(&self, update: impl FnOnce(&mut ApplePayCounters)) {
        update(&mut lock(&self.counters));
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: ApplePaySimConfig) -> std::io::Result<ApplePaySimHandle> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`. The endpoint names the address bound (`https://IP:PORT/…`),
/// which the server certificate covers for `127.0.0.1` and `::1`.
pub async fn start_on(
    addr: SocketAddr,
    config: ApplePaySimConfig,
) -> std::io::Result<ApplePaySimHandle> {
    let pki = match config.pki {
        Some(pki) => pki,
        None => TestPki::generate()?,
    };
    let acceptor = TlsAcceptor::from(Arc::new(pki.server_config()?));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let endpoint = Url::parse(&format!("https://{local}{PATH}"))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let shared = Arc::new(Shared {
        endpoint,
        pki,
        merchants: Mutex::new(config.merchants),
        counters: Mutex::default(),
        faults: Mutex::default(),
        environment: session::environment_id(),
        secret: session::signing_secret(),
        shutdown: Notify::new(),
        server: Mutex::default(),
    });
    let router = server::router(shared.clone());
    let task = tokio::spawn(server::accept_loop(
        listener,
        acceptor,
        shared.clone(),
        router,
    ));
    *lock(&shared.server) = Some(task);
    Ok(ApplePaySimHandle(shared))
}

/// A running simulator. Cheap to clone (Arc inside); dropping every handle does not stop it
/// (it runs until its runtime ends): call [`ApplePaySimHandle::shutdown`].
#[derive(Clone)]
pub struct ApplePaySimHandle(Arc<Shared>);

impl std::fmt::Debug for ApplePaySimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplePaySimHandle")
            .field("endpoint", &self.0.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl ApplePaySimHandle {
    /// The payment session endpoint, `https://127.0.0.1:PORT/paymentservices/paymentSession`:
    /// what [`MerchantValidation::new`](paybridge_core::wallet::apple_pay::MerchantValidation::new)
    /// takes as its endpoint.
    pub fn endpoint(&self) -> Url {
        self.0.endpoint.clone()
    }

    /// The CA certificate (PEM) that signed the server certificate and must sign client
    /// certificates: a client's extra trusted root.
    pub fn ca_pem(&self) -> &str {
        self.0.pki.ca_pem()
    }

    /// The simulator's PKI.
    pub fn pki(&self) -> &TestPki {
        &self.0.pki
    }

    /// A new merchant identity for `merchant_id`, `(certificate PEM, private key PEM)`, signed
    /// by the simulator's CA ([`TestPki::merchant_identity`]). The merchant must also be
    /// registered to get sessions.
    pub fn merchant_identity(&self, merchant_id: &str) -> Result<(String, String), PkiError> {
        self.0.pki.merchant_identity(merchant_id)
    }

    /// Registers `merchant_id` (again) with more verified `domains`, from the next request on.
    pub fn register_merchant<D: Into<String>>(
        &self,
        merchant_id: &str,
        domains: impl IntoIterator<Item = D>,
    ) {
        lock(&self.0.merchants)
            .entry(merchant_id.to_owned())
            .or_default()
            .extend(domains.into_iter().map(|d| normalise_domain(&d.into())));
    }

    /// Queues a fault for the next request not yet faulted (FIFO; one request each).
    pub fn inject(&self, fault: Fault) {
        lock(&self.0.faults).push_back(fault);
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.0.faults).clear();
    }

    /// The counters now.
    pub fn counters(&self) -> ApplePayCounters {
        *lock(&self.0.counters)
    }

    /// Stops accepting connections and closes the open ones. Other clones then see a stopped
    /// server; a second call does nothing.
    pub async fn shutdown(self) {
        self.0.shutdown.notify_one();
        let server = lock(&self.0.server).take();
        if let Some(server) = server {
            let _ = server.await;
        }
    }
}
