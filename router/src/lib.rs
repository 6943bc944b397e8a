//! # paybridge-router
//!
//! The reference router: the payments API of the seed documents over HTTP (axum), persisted in
//! SQL (sqlx; SQLite by default), routing each payment to a paybridge connector chosen by
//! name. With no processor credentials it starts the sandbox simulators in-process (feature
//! `simulators`, on by default), so it runs out of the box. The connectors it can route to are
//! features too (`checkout`, `stripe`, `primer`; all on by default):
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use paybridge_router::{start, RouterConfig};
//!
//! let mut config = RouterConfig::default();
//! config.database_url = "sqlite::memory:".into();
//! config.listen = "127.0.0.1:0".parse().unwrap();
//! let router = start(config).await?;
//! let (merchant, key) = router.demo_credentials().expect("no merchants configured");
//! println!("{} serving {merchant} with api-key {key}", router.base_url());
//! router.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! - [`domain`]: the payment's rules, pure: what may run when ([`domain::plan`]) and what every
//!   answer, sync and webhook does ([`domain::apply`]).
//! - [`payments`]: the driver: load, plan, store what is reserved, call the connector, apply,
//!   store.
//! - [`http`]: routes, authentication, idempotency, JSON errors.
//! - [`store`]: the SQL schema and queries, and the mapping of rows to the domain.
//! - [`metrics`]: what `GET /metrics` reports.

pub mod auth;
pub mod authentication;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod locks;
pub mod metrics;
pub mod model;
pub mod payments;
pub mod present;
pub mod reconciler;
mod sources;
pub mod store;
pub mod wallets;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paybridge_registry::CONNECTORS;
#[cfg(feature = "simulators")]
use paybridge_sandbox::SimulatorHandle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{LogFormat, RouterConfig};
pub use error::ApiError;

use auth::{MerchantKey, Merchants};
use payments::{Connectors, Payments};
use store::Store;

/// Where a connector's configuration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorSource {
    /// The `[connectors.<name>]` table of the configuration.
    Config,
    /// The connector's live-sandbox environment variables.
    Environment,
    /// An in-process simulator.
    #[cfg(feature = "simulators")]
    Simulator,
}

/// A running router.
pub struct Running {
    addr: SocketAddr,
    demo: Option<(String, String)>,
    sources: BTreeMap<String, ConnectorSource>,
    #[cfg(feature = "simulators")]
    simulators: BTreeMap<String, SimulatorHandle>,
    #[cfg(feature = "simulators")]
    apple_pay_simulator: Option<paybridge_sandbox::apple_pay::ApplePaySimHandle>,
    store: Store,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// Background work (the idempotency records' expiry, the reconciler), stopped at shutdown.
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The demo merchant and its API key, when no merchant was configured.
    pub fn demo_credentials(&self) -> Option<(&str, &str)> {
        self.demo.as_ref().map(|(m, k)| (m.as_str(), k.as_str()))
    }

    /// Each connector and where its configuration came from.
    pub fn connector_sources(&self) -> &BTreeMap<String, ConnectorSource> {
        &self.sources
    }

    /// The in-process simulator of `connector`, when one was started.
    #[cfg(feature = "simulators")]
    pub fn simulator(&self, connector: &str) -> Option<&SimulatorHandle> {
        self.simulators.get(connector)
    }

    /// The in-process simulator of Apple Pay's merchant validation, when one was started.
    #[cfg(feature = "simulators")]
    pub fn apple_pay_simulator(&self) -> Option<&paybridge_sandbox::apple_pay::ApplePaySimHandle> {
        self.apple_pay_simulator.as_ref()
    }

    /// Stops accepting requests, lets the running ones finish, then stops the simulators and
    /// closes the database.
    pub async fn shutdown(self) {
        for task in &self.background {
            task.abort();
        }
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "server task failed");
        }
        #[cfg(feature = "simulators")]
        for (_, simulator) in self.simulators {
            simulator.shutdown().await;
        }
        #[cfg(feature = "simulators")]
        if let Some(simulator) = self.apple_pay_simulator {
            simulator.shutdown().await;
        }
        self.store.close().await;
    }
}

/// Opens the database, configures the connectors (starting simulators where needed), and
/// serves the API.
pub async fn start(config: RouterConfig) -> Result<Running, String> {
    let store = Store::connect(&config.database_url).await.map_err(|e| {
        let url = &config.database_url;
        // SQLITE_CANTOPEN: the file is created when missing, its directory is not.
        let cannot_open = e.database_code().is_some_and(|code| code == "14");
        let hint = if url.starts_with("sqlite:") && cannot_open {
            " (does the file's directory exist, and may this user write there?)"
        } else {
            ""
        };
        format!("database {}: {e}{hint}", redact_url(url))
    })?;
    config.server.check()?;
    config.reconciler.check()?;
    config.merchant_webhooks.check()?;
    let endpoints =
        Arc::new(events::Endpoints::new(config.merchants.iter().filter_map(
            |m| m.webhook.as_ref().map(|w| (m.merchant_id.as_str(), w)),
        ))?);
    if config.idempotency_ttl_secs == 0 {
        return Err("idempotency_ttl_secs must be greater than 0".into());
    }
    metrics::recorder();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Where the simulators post their webhooks and the demo's 3DS pages send the customer.
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));

    for name in config.connectors.keys() {
        if !CONNECTORS.iter().any(|c| c.name == name) {
            return Err(format!(
                "[connectors.{name}]: no such connector; known: {}",
                CONNECTORS
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    #[cfg(not(feature = "simulators"))]
    if config.simulators {
        return Err(
            "simulators = true, but this router is built without the `simulators` feature".into(),
        );
    }
    let mut sources = sources::Sources {
        #[cfg(feature = "simulators")]
        simulate: config.simulators,
        timeout_ms: config.connector_timeout_ms,
        ..sources::Sources::default()
    };
    let mut connectors = Connectors::new();
    for entry in CONNECTORS {
        let hooks = format!("{public_url}/webhooks/{}", entry.name);
        let table = config.connectors.get(entry.name);
        let Some(found) = sources
            .configuration(entry.into(), table, Some(hooks))
            .await?
        else {
            continue;
        };
        let connector = (entry.build)(&found).map_err(|e| format!("{}: {e}", entry.name))?;
        connectors.insert(entry.name.to_owned(), connector);
    }

    let mut merchants = config.merchant_keys()?;
    let mut demo = None;
    if merchants.is_empty() {
        let key = format!("dev_{}", uuid::Uuid::new_v4().simple());
        merchants = Merchants::new(vec![MerchantKey::from_key("merchant_demo", &key)]);
        demo = Some(("merchant_demo".to_owned(), key));
    }

    let mut merchant_wallets = BTreeMap::new();
    for merchant in &config.merchants {
        if let Some(wallets) = &merchant.wallets {
            let settings = wallets::MerchantWallets::from_config(wallets)
                .map_err(|e| format!("merchant {}: {e}", merchant.merchant_id))?;
            merchant_wallets.insert(merchant.merchant_id.clone(), settings);
        }
    }
    #[cfg(feature = "simulators")]
    let (demo_wallets, apple_pay_simulator) = if config.simulators {
        let timeout = Duration::from_millis(config.connector_timeout_ms.unwrap_or(10_000));
        let (settings, handle) = wallets::demo_wallets(timeout)
            .await
            .map_err(|e| format!("Apple Pay simulator: {e}"))?;
        (Some(settings), Some(handle))
    } else {
        (None, None)
    };
    #[cfg(not(feature = "simulators"))]
    let demo_wallets = None;
    let wallets = Arc::new(wallets::Wallets::new(merchant_wallets, demo_wallets));

    // External 3DS servers: configured, from their variables, or simulated.
    for name in config.authenticators.keys() {
        if paybridge_registry::authenticator(name).is_none() {
            return Err(format!(
                "[authenticators.{name}]: no such authentication connector; known: {}",
                paybridge_registry::AUTHENTICATORS
                    .iter()
                    .map(|a| a.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut authenticators = BTreeMap::new();
    let mut demo_authentication = None;
    for entry in paybridge_registry::AUTHENTICATORS {
        let table = config.authenticators.get(entry.name);
        let Some(found) = sources.configuration(entry.into(), table, None).await? else {
            continue;
        };
        // The demo settings name an acquirer that exists only at the simulator.
        if sources.simulated(entry.name) && demo_authentication.is_none() {
            demo_authentication = Some(authentication::MerchantAuthentication::demo(
                entry.name,
                &public_url,
            )?);
        }
        let authenticator = (entry.build)(&found).map_err(|e| format!("{}: {e}", entry.name))?;
        authenticators.insert(entry.name.to_owned(), authenticator);
    }
    let mut merchant_authentication = BTreeMap::new();
    for merchant in &config.merchants {
        if let Some(settings) = &merchant.authentication {
            let settings = authentication::MerchantAuthentication::from_config(settings)
                .map_err(|e| format!("merchant {}: {e}", merchant.merchant_id))?;
            merchant_authentication.insert(merchant.merchant_id.clone(), settings);
        }
    }
    let authentications = Arc::new(authentication::Authentications::new(
        authenticators,
        merchant_authentication,
        demo_authentication,
    )?);

    let payments = Arc::new(
        Payments::new(store.clone(), connectors)
            .with_endpoints(endpoints.clone())
            .with_wallets(wallets)
            .with_authentications(authentications),
    );
    let state = Arc::new(http::AppState::new(
        payments.clone(),
        merchants,
        &config.server,
    ));
    let ttl = Duration::from_secs(config.idempotency_ttl_secs);
    let mut background = vec![tokio::spawn(expire_idempotency_records(store.clone(), ttl))];
    if config.merchant_webhooks.enabled {
        background.push(tokio::spawn(events::run(
            store.clone(),
            endpoints,
            config.merchant_webhooks,
            payments.instance().to_owned(),
        )));
    }
    if config.reconciler.enabled {
        background.push(tokio::spawn(reconciler::run(payments, config.reconciler)));
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let app = http::app(state);
    let task = tokio::spawn(http::server::serve(
        listener,
        app,
        config.server,
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(Running {
        addr,
        demo,
        sources: sources.by_name,
        #[cfg(feature = "simulators")]
        simulators: sources.simulators,
        #[cfg(feature = "simulators")]
        apple_pay_simulator,
        store,
        stop,
        task,
        background,
    })
}

/// Deletes idempotency records older than `ttl`, now and then: a retry after that runs as a
/// new request.
async fn expire_idempotency_records(store: Store, ttl: Duration) {
    let every = (ttl / 2).min(Duration::from_secs(600));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let cut = time::OffsetDateTime::now_utc() - ttl;
        match store
            .expire_idempotency_keys(&payments::format_time(cut))
            .await
        {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "idempotency records expired"),
            Err(err) => tracing::warn!(error = %err, "idempotency records not expired"),
        }
    }
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
