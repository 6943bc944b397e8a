//! The suite's side of each registered connector: its name, live variables and build come from
//! `paybridge-registry`; its test cards and its targets on the simulator and the live sandbox
//! are the suite's. One module per connector, one line in [`CONNECTORS`].

use std::future::Future;
use std::pin::Pin;

use crate::Target;

pub mod checkout;
pub mod primer;
pub mod stripe;
pub mod threedsecureio;
// add-connector: modules

/// A target on the simulator, started on demand.
pub type SimulatorTarget = Pin<Box<dyn Future<Output = Result<Target, String>> + Send>>;

/// One connector as the suite knows it.
pub struct ConnectorEntry {
    /// The connector's id, e.g. `"checkout"` (the registry's).
    pub name: &'static str,
    /// The environment variables a live run needs (the first one switches it on): the
    /// registry's, and any the suite needs besides.
    pub live_variables: &'static [&'static str],
    /// Builds the connector from a configuration (the registry's).
    pub build: crate::BuildConnector,
    /// The simulator's test cards (for tests that drive the connector through a router).
    pub cards: fn() -> crate::TestCards,
    /// Starts the connector's simulator and describes the target on it.
    pub simulator: fn() -> SimulatorTarget,
    /// The live-sandbox target, or `None` when its credentials are not set.
    pub live: fn() -> Result<Option<Target>, String>,
}

/// Every connector the suite runs.
pub static CONNECTORS: &[ConnectorEntry] = &[
    checkout::ENTRY,
    primer::ENTRY,
    stripe::ENTRY,
    // add-connector: entries
];

/// The entry named `name`.
pub fn connector(name: &str) -> Option<&'static ConnectorEntry> {
    CONNECTORS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_suite_runs_every_registered_connector() {
        let suite: Vec<_> = super::CONNECTORS.iter().map(|c| c.name).collect();
        let registry: Vec<_> = paybridge_registry::CONNECTORS
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(suite, registry);
    }
}
