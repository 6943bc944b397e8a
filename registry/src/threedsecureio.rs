//! 3dsecure.io: an API key.

use paybridge_threedsecureio::ThreeDSecureIo;

use crate::AuthenticatorEntry;

/// 3dsecure.io's entry.
pub const ENTRY: AuthenticatorEntry = AuthenticatorEntry {
    name: "threedsecureio",
    live_variables: &["PAYBRIDGE_THREEDSECUREIO_API_KEY"],
    build: ThreeDSecureIo::connector,
    live_config: ThreeDSecureIo::config_from_env,
    #[cfg(feature = "simulators")]
    start_simulator: simulator::start,
};

#[cfg(feature = "simulators")]
mod simulator {
    use paybridge_core::ConnectorConfig;
    use paybridge_sandbox::threedsecureio::{self as sim, ThreeDSecureIoSimConfig};

    use crate::{fast_retries, RunningSimulator, SimulatorStart};

    pub(super) fn start() -> SimulatorStart {
        Box::pin(async {
            // Stripe's simulator takes only Stripe's test cards: the 3DS server knows them too.
            let keys = ThreeDSecureIoSimConfig {
                card_aliases: sim::cards::PROCESSOR_TEST_CARDS
                    .iter()
                    .map(|(number, like)| ((*number).to_owned(), (*like).to_owned()))
                    .collect(),
                ..ThreeDSecureIoSimConfig::default()
            };
            let running = sim::start(keys.clone()).await?;
            let mut config = ConnectorConfig::new(running.base_url(), keys.api_key);
            fast_retries(&mut config);
            Ok(RunningSimulator {
                config,
                handle: running.handle(),
            })
        })
    }
}
