//! Stripe: a secret key.

use paybridge_stripe::Stripe;

use crate::ConnectorEntry;

#[cfg(feature = "simulators")]
pub use simulator::simulator_config;

/// Stripe's entry.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: "stripe",
    live_variables: &["PAYBRIDGE_STRIPE_SECRET_KEY"],
    build: Stripe::connector,
    live_config: Stripe::config_from_env,
    #[cfg(feature = "simulators")]
    start_simulator: simulator::start,
};

#[cfg(feature = "simulators")]
mod simulator {
    use paybridge_core::url::Url;
    use paybridge_core::webhook::WebhookSecrets;
    use paybridge_core::ConnectorConfig;
    use paybridge_sandbox::stripe::{self as sim, StripeSimConfig};

    use crate::{fast_retries, RunningSimulator, SimulatorStart};

    /// The configuration that reaches a Stripe simulator with keys `sim` at `base_url` (the
    /// simulator's own, or a proxy's in front of it).
    pub fn simulator_config(sim: &StripeSimConfig, base_url: Url) -> ConnectorConfig {
        let mut config = ConnectorConfig::new(base_url, sim.secret_key.clone());
        // Google Pay's tokenization for gateway `stripe` names the publishable key.
        config
            .extra
            .insert("publishable_key".into(), sim.publishable_key.clone());
        config.webhook_secrets = WebhookSecrets::new([sim.webhook_secret.clone()]);
        fast_retries(&mut config);
        config
    }

    pub(super) fn start() -> SimulatorStart {
        Box::pin(async {
            let keys = StripeSimConfig::default();
            let handle = sim::start(keys.clone()).await?;
            let config = simulator_config(&keys, handle.base_url());
            Ok(RunningSimulator { config, handle })
        })
    }
}
