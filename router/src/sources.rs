//! Where each connector's and 3DS server's configuration comes from: its table in the file,
//! else its live-sandbox variables, else (when the simulators run) a simulator started
//! in-process now. One rule for both kinds, so a new kind of connector is one more loop.

use std::collections::BTreeMap;
use std::time::Duration;

use paybridge_core::{ConfigError, ConnectorConfig};
use paybridge_registry::{AuthenticatorEntry, ConnectorEntry};
#[cfg(feature = "simulators")]
use paybridge_sandbox::SimulatorHandle;

use crate::ConnectorSource;

/// What the sourcing needs of a registry entry.
pub(crate) struct Known {
    name: &'static str,
    live_config: fn() -> Result<Option<ConnectorConfig>, ConfigError>,
    #[cfg(feature = "simulators")]
    start_simulator: fn() -> paybridge_registry::SimulatorStart,
}

impl From<&ConnectorEntry> for Known {
    fn from(entry: &ConnectorEntry) -> Self {
        Known {
            name: entry.name,
            live_config: entry.live_config,
            #[cfg(feature = "simulators")]
            start_simulator: entry.start_simulator,
        }
    }
}

impl From<&AuthenticatorEntry> for Known {
    fn from(entry: &AuthenticatorEntry) -> Self {
        Known {
            name: entry.name,
            live_config: entry.live_config,
            #[cfg(feature = "simulators")]
            start_simulator: entry.start_simulator,
        }
    }
}

/// The sources found so far, and the simulators started for them.
#[derive(Default)]
pub(crate) struct Sources {
    /// Each configured name and where its configuration came from.
    pub(crate) by_name: BTreeMap<String, ConnectorSource>,
    /// The simulators started, by name.
    #[cfg(feature = "simulators")]
    pub(crate) simulators: BTreeMap<String, SimulatorHandle>,
    /// Whether to start simulators for what has no configuration.
    #[cfg(feature = "simulators")]
    pub(crate) simulate: bool,
    /// The router's connector timeout, over each configuration's own.
    pub(crate) timeout_ms: Option<u64>,
}

impl Sources {
    /// `entry`'s configuration (`table`, its variables or a simulator's), or `None` when it
    /// has none. A simulator started now posts its webhooks to `webhooks`, when given.
    pub(crate) async fn configuration(
        &mut self,
        entry: Known,
        table: Option<&ConnectorConfig>,
        webhooks: Option<String>,
    ) -> Result<Option<ConnectorConfig>, String> {
        let name = entry.name;
        let found = match table {
            Some(config) => Some((config.clone(), ConnectorSource::Config)),
            None => (entry.live_config)()
                .map_err(|e| format!("{name}: {e}"))?
                .map(|config| (config, ConnectorSource::Environment)),
        };
        let found = match found {
            #[cfg(feature = "simulators")]
            None if self.simulate => {
                let started = (entry.start_simulator)()
                    .await
                    .map_err(|e| format!("{name} simulator: {e}"))?;
                if let Some(hook) = webhooks {
                    let url = hook.parse().map_err(|e| format!("{hook}: {e}"))?;
                    started.handle.set_webhook_target(Some(url));
                }
                self.simulators.insert(name.to_owned(), started.handle);
                Some((started.config, ConnectorSource::Simulator))
            }
            found => found,
        };
        #[cfg(not(feature = "simulators"))]
        let _ = webhooks;
        let Some((mut config, source)) = found else {
            return Ok(None);
        };
        if let Some(ms) = self.timeout_ms {
            config.execution.timeouts.request = Duration::from_millis(ms);
        }
        self.by_name.insert(name.to_owned(), source);
        Ok(Some(config))
    }

    /// Whether `name` runs on a simulator started here.
    pub(crate) fn simulated(&self, name: &str) -> bool {
        self.by_name.get(name).is_some_and(|source| {
            #[cfg(feature = "simulators")]
            {
                *source == ConnectorSource::Simulator
            }
            #[cfg(not(feature = "simulators"))]
            {
                let _ = source;
                false
            }
        })
    }
}
