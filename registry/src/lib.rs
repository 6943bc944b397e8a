//! # paybridge-registry
//!
//! The connectors paybridge knows, by name: how to build each one from a [`ConnectorConfig`],
//! which environment variables configure its live sandbox, and (feature `simulators`) how to
//! start its in-process simulator. A router and the conformance suite both read it, so a
//! connector registered here is routable and tested.
//!
//! ```
//! use paybridge_core::ConnectorConfig;
//!
//! for entry in paybridge_registry::CONNECTORS {
//!     println!("{}: live with {}", entry.name, entry.live_variables.join(", "));
//! }
//! if let Some(stripe) = paybridge_registry::connector("stripe") {
//!     let url = "https://api.stripe.com/".parse().expect("a URL");
//!     let connector = (stripe.build)(&ConnectorConfig::new(url, "sk_test_example"));
//!     assert_eq!(connector.map(|c| c.id()).ok(), Some("stripe"));
//! }
//! ```
//!
//! Each connector is a cargo feature of its own name (all on by default); [`CONNECTORS`] holds
//! the ones compiled in.

use std::sync::Arc;

use paybridge_core::authentication::AuthenticationConnector;
use paybridge_core::{ConfigError, Connector, ConnectorConfig};

#[cfg(feature = "checkout")]
pub mod checkout;
#[cfg(feature = "primer")]
pub mod primer;
#[cfg(feature = "stripe")]
pub mod stripe;
// add-connector: modules
#[cfg(feature = "threedsecureio")]
pub mod threedsecureio;

#[cfg(feature = "simulators")]
pub use simulators::{fast_retries, RunningSimulator, SimulatorStart};

/// Builds a connector from a configuration (e.g. `Checkout::connector`).
pub type BuildConnector = fn(&ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError>;

/// One connector as paybridge knows it.
pub struct ConnectorEntry {
    /// The connector's id, e.g. `"checkout"`; also its cargo feature and its router table
    /// (`[connectors.checkout]`).
    pub name: &'static str,
    /// The environment variables that configure its live sandbox; the first one switches it on.
    pub live_variables: &'static [&'static str],
    /// Builds the connector from a configuration (simulator, live sandbox, or a router's file).
    pub build: BuildConnector,
    /// The live-sandbox configuration from the environment, or `Ok(None)` when its variables
    /// are not set.
    pub live_config: fn() -> Result<Option<ConnectorConfig>, ConfigError>,
    /// Starts the connector's simulator on a free local port.
    #[cfg(feature = "simulators")]
    pub start_simulator: fn() -> SimulatorStart,
}

/// Every connector compiled in.
pub static CONNECTORS: &[ConnectorEntry] = &[
    #[cfg(feature = "checkout")]
    checkout::ENTRY,
    #[cfg(feature = "primer")]
    primer::ENTRY,
    #[cfg(feature = "stripe")]
    stripe::ENTRY,
    // add-connector: entries
];

/// Builds an authentication connector (a 3DS server) from a configuration.
pub type BuildAuthenticator =
    fn(&ConnectorConfig) -> Result<Arc<dyn AuthenticationConnector>, ConfigError>;

/// One authentication connector (an external 3DS server) as paybridge knows it.
pub struct AuthenticatorEntry {
    /// Its id, e.g. `"threedsecureio"`; also its cargo feature and its router table
    /// (`[authenticators.threedsecureio]`).
    pub name: &'static str,
    /// The environment variables that configure its live sandbox; the first one switches it on.
    pub live_variables: &'static [&'static str],
    /// Builds it from a configuration.
    pub build: BuildAuthenticator,
    /// The live-sandbox configuration from the environment, or `Ok(None)` when its variables
    /// are not set.
    pub live_config: fn() -> Result<Option<ConnectorConfig>, ConfigError>,
    /// Starts its simulator on a free local port.
    #[cfg(feature = "simulators")]
    pub start_simulator: fn() -> SimulatorStart,
}

/// Every authentication connector compiled in.
pub static AUTHENTICATORS: &[AuthenticatorEntry] = &[
    #[cfg(feature = "threedsecureio")]
    threedsecureio::ENTRY,
];

/// The authentication connector named `name`, when it is compiled in.
pub fn authenticator(name: &str) -> Option<&'static AuthenticatorEntry> {
    AUTHENTICATORS.iter().find(|a| a.name == name)
}

/// The entry named `name`, when that connector is compiled in.
pub fn connector(name: &str) -> Option<&'static ConnectorEntry> {
    CONNECTORS.iter().find(|c| c.name == name)
}

#[cfg(feature = "simulators")]
mod simulators {
    use std::future::Future;
    use std::pin::Pin;
    use std::time::Duration;

    use paybridge_core::{ConnectorConfig, RetryPolicy};
    use paybridge_sandbox::SimulatorHandle;

    /// A simulator starting; a boxed future, so entries can hold it as a plain `fn`.
    pub type SimulatorStart =
        Pin<Box<dyn Future<Output = std::io::Result<RunningSimulator>> + Send>>;

    /// A simulator running in-process, and the configuration that reaches it.
    pub struct RunningSimulator {
        /// The connector's configuration: the simulator's URL, keys and webhook secret, and
        /// [`fast_retries`].
        pub config: ConnectorConfig,
        /// The simulator: its counters, faults, webhook target and shutdown.
        pub handle: SimulatorHandle,
    }

    /// Sets quick retries on a simulator's configuration. A local simulator fails only when a
    /// fault is injected, so production backoffs would just slow tests and demos down.
    pub fn fast_retries(config: &mut ConnectorConfig) {
        config.execution.retry = RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(5),
        };
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn dummy_config() -> ConnectorConfig {
        let url = "https://sandbox.example.invalid/"
            .parse()
            .expect("a valid URL");
        let mut config = ConnectorConfig::new(url, "test_key");
        // Checkout.com needs its processing channel; the others ignore it.
        config
            .extra
            .insert("processing_channel_id".into(), "pc_test".into());
        config
    }

    #[test]
    fn names_are_unique_and_match_the_connectors_ids() {
        let mut names = BTreeSet::new();
        for entry in CONNECTORS {
            assert!(
                names.insert(entry.name),
                "{} is registered twice",
                entry.name
            );
            let built = (entry.build)(&dummy_config());
            let id = built.map(|c| c.id()).map_err(|e| e.to_string());
            assert_eq!(id.as_deref(), Ok(entry.name), "{}", entry.name);
            assert_eq!(connector(entry.name).map(|c| c.name), Some(entry.name));
        }
        assert!(connector("no-such-connector").is_none());
    }

    #[test]
    fn every_connector_has_live_variables_named_after_it() {
        for entry in CONNECTORS {
            let prefix = format!("PAYBRIDGE_{}_", entry.name.to_uppercase());
            assert!(!entry.live_variables.is_empty(), "{}", entry.name);
            for variable in entry.live_variables {
                assert!(variable.starts_with(&prefix), "{}: {variable}", entry.name);
            }
        }
    }

    #[cfg(feature = "simulators")]
    #[tokio::test]
    async fn each_simulator_starts_and_its_configuration_reaches_it() {
        for entry in CONNECTORS {
            let started = (entry.start_simulator)().await;
            let RunningSimulator { config, handle } = match started {
                Ok(started) => started,
                Err(e) => panic!("{} simulator: {e}", entry.name),
            };
            assert_eq!(config.base_url, handle.base_url(), "{}", entry.name);
            assert!(!config.webhook_secrets.is_empty(), "{}", entry.name);
            let production = paybridge_core::RetryPolicy::default();
            assert!(
                config.execution.retry.initial_backoff < production.initial_backoff,
                "{}: the simulator's configuration keeps production backoffs",
                entry.name
            );
            assert!((entry.build)(&config).is_ok(), "{}", entry.name);
            handle.shutdown().await;
        }
    }

    #[cfg(feature = "simulators")]
    #[tokio::test]
    async fn each_authenticator_simulator_starts_and_its_configuration_reaches_it() {
        for entry in AUTHENTICATORS {
            let RunningSimulator { config, handle } = match (entry.start_simulator)().await {
                Ok(started) => started,
                Err(e) => panic!("{} simulator: {e}", entry.name),
            };
            assert_eq!(config.base_url, handle.base_url(), "{}", entry.name);
            let built = (entry.build)(&config).map(|a| a.id());
            assert_eq!(built.ok(), Some(entry.name));
            assert_eq!(authenticator(entry.name).map(|a| a.name), Some(entry.name));
            handle.shutdown().await;
        }
        assert!(authenticator("no-such-3ds-server").is_none());
    }
}
