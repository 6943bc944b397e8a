//! Checkout.com: a secret key and a processing channel (`extra.processing_channel_id`).

use paybridge_checkout::Checkout;

use crate::ConnectorEntry;

#[cfg(feature = "simulators")]
pub use simulator::simulator_config;

/// Checkout.com's entry.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: "checkout",
    live_variables: &[
        "PAYBRIDGE_CHECKOUT_SECRET_KEY",
        "PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID",
    ],
    build: Checkout::connector,
    live_config: Checkout::config_from_env,
    #[cfg(feature = "simulators")]
    start_simulator: simulator::start,
};

#[cfg(feature = "simulators")]
mod simulator {
    use paybridge_core::url::Url;
    use paybridge_core::webhook::WebhookSecrets;
    use paybridge_core::ConnectorConfig;
    use paybridge_sandbox::checkout::{self as sim, CheckoutSimConfig};

    use crate::{fast_retries, RunningSimulator, SimulatorStart};

    /// The configuration that reaches a Checkout.com simulator with keys `sim` at `base_url`
    /// (the simulator's own, or a proxy's in front of it).
    pub fn simulator_config(sim: &CheckoutSimConfig, base_url: Url) -> ConnectorConfig {
        let mut config = ConnectorConfig::new(base_url, sim.secret_key.clone());
        config.extra.insert(
            "processing_channel_id".into(),
            sim.processing_channel_id.clone(),
        );
        // The merchant's city on card statements: with it, the simulated merchant sends a
        // billing descriptor like a configured live one.
        config
            .extra
            .insert("billing_descriptor_city".into(), "LONDON".into());
        // The public key pays wallet tokens (`POST /tokens`) and is Google Pay's gateway id.
        config
            .extra
            .insert("public_key".into(), sim.public_key.clone());
        config.webhook_secrets = WebhookSecrets::new([sim.webhook_secret.clone()]);
        fast_retries(&mut config);
        config
    }

    pub(super) fn start() -> SimulatorStart {
        Box::pin(async {
            let keys = CheckoutSimConfig::default();
            let handle = sim::start(keys.clone()).await?;
            let config = simulator_config(&keys, handle.base_url());
            Ok(RunningSimulator { config, handle })
        })
    }
}
