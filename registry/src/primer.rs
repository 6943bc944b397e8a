//! Primer: an API key; payments take payment-method tokens, not cards.

use paybridge_primer::Primer;

use crate::ConnectorEntry;

#[cfg(feature = "simulators")]
pub use simulator::simulator_config;

/// Primer's entry.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: "primer",
    live_variables: &["PAYBRIDGE_PRIMER_API_KEY"],
    build: Primer::connector,
    live_config: Primer::config_from_env,
    #[cfg(feature = "simulators")]
    start_simulator: simulator::start,
};

#[cfg(feature = "simulators")]
mod simulator {
    use paybridge_core::url::Url;
    use paybridge_core::webhook::WebhookSecrets;
    use paybridge_core::ConnectorConfig;
    use paybridge_sandbox::primer::{self as sim, PrimerSimConfig};

    use crate::{fast_retries, RunningSimulator, SimulatorStart};

    /// The configuration that reaches a Primer simulator with keys `sim` at `base_url` (the
    /// simulator's own, or a proxy's in front of it).
    pub fn simulator_config(sim: &PrimerSimConfig, base_url: Url) -> ConnectorConfig {
        let mut config = ConnectorConfig::new(base_url, sim.api_key.clone());
        config.webhook_secrets = WebhookSecrets::new([sim.webhook_secret.clone()]);
        fast_retries(&mut config);
        config
    }

    pub(super) fn start() -> SimulatorStart {
        Box::pin(async {
            let keys = PrimerSimConfig::default();
            let handle = sim::start(keys.clone()).await?;
            let config = simulator_config(&keys, handle.base_url());
            Ok(RunningSimulator { config, handle })
        })
    }
}
