//! Stripe on its simulator and on the live sandbox.

use std::sync::Arc;
use std::time::Duration;

use paybridge_core::*;
use paybridge_registry::stripe as registry;
use paybridge_sandbox::stripe::{self as sim, cards, StripeSimConfig};
use paybridge_sandbox::SimulatorHandle;

use super::{ConnectorEntry, SimulatorTarget};
use crate::{card, RedirectCustomer, Target, TestCards};

/// Stripe's entry in the suite.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: registry::ENTRY.name,
    live_variables: registry::ENTRY.live_variables,
    build: registry::ENTRY.build,
    cards,
    simulator,
    live,
};

/// Stripe's test cards (they work on the simulator and on Stripe's test mode alike).
pub fn cards() -> TestCards {
    TestCards {
        approved: card(cards::VISA),
        mastercard: Some(card(cards::MASTERCARD)),
        visa: Some(card(cards::VISA)),
        declined: Some((
            card(cards::INSUFFICIENT_FUNDS),
            DeclineCode::InsufficientFunds,
        )),
        three_ds: Some(card(cards::THREE_DS_REQUIRED)),
    }
}

fn simulator() -> SimulatorTarget {
    Box::pin(async {
        let config = StripeSimConfig::default();
        let handle = sim::start(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        Ok(target_at(&config, handle.base_url(), Some(handle)))
    })
}

/// A target on a simulator with `config`, reached at `base_url` (the simulator's, or a proxy's
/// in front of it); `simulator` is `None` when scenarios must not rely on its counters.
pub fn target_at(
    config: &StripeSimConfig,
    base_url: url::Url,
    simulator: Option<SimulatorHandle>,
) -> Target {
    Target {
        label: "stripe (simulator)".into(),
        config: registry::simulator_config(config, base_url),
        build: ENTRY.build,
        cards: cards(),
        simulator,
        customer: Some(Arc::new(RedirectCustomer)),
        currency: Currency::USD,
        secrets: vec![config.secret_key.clone(), config.webhook_secret.clone()],
        settle_timeout: Duration::from_secs(5),
    }
}

fn live() -> Result<Option<Target>, String> {
    let config = (registry::ENTRY.live_config)().map_err(|e| e.to_string())?;
    Ok(config.map(|config| Target::live(ENTRY.name, config, ENTRY.build, cards(), Currency::USD)))
}
