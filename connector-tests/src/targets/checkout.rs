//! Checkout.com on its simulator and on the live sandbox.

use std::sync::Arc;
use std::time::Duration;

use paybridge_checkout::Checkout;
use paybridge_core::webhook::WebhookSecrets;
use paybridge_core::*;
use paybridge_sandbox::checkout::{self as sim, cards, CheckoutSimConfig};
use paybridge_sandbox::SimulatorHandle;

use super::{ConnectorEntry, SimulatorTarget};
use crate::{card, fast_retries, RedirectCustomer, Target, TestCards};

/// Checkout.com's entry in the registry.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: "checkout",
    live_variables: &[
        "PAYBRIDGE_CHECKOUT_SECRET_KEY",
        "PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID",
    ],
    build: Checkout::connector,
    cards,
    simulator,
    live,
};

/// The simulator's test cards.
pub fn cards() -> TestCards {
    TestCards {
        approved: card(cards::VISA_APPROVED),
        mastercard: Some(card(cards::MASTERCARD_APPROVED)),
        visa: Some(card(cards::VISA_APPROVED)),
        declined: Some((
            card(cards::INSUFFICIENT_FUNDS),
            DeclineCode::InsufficientFunds,
        )),
        three_ds: Some(card(cards::VISA_APPROVED)),
    }
}

fn simulator() -> SimulatorTarget {
    Box::pin(async {
        let config = CheckoutSimConfig::default();
        let handle = sim::start(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        Ok(target_at(&config, handle.base_url(), Some(handle)))
    })
}

/// A target on a simulator with `config`, reached at `base_url` (the simulator's, or a proxy's
/// in front of it); `simulator` is `None` when scenarios must not rely on its counters.
pub fn target_at(
    config: &CheckoutSimConfig,
    base_url: url::Url,
    simulator: Option<SimulatorHandle>,
) -> Target {
    let mut connector = ConnectorConfig::new(base_url, config.secret_key.clone());
    connector.extra.insert(
        "processing_channel_id".into(),
        config.processing_channel_id.clone(),
    );
    connector.webhook_secrets = WebhookSecrets::new([config.webhook_secret.clone()]);
    fast_retries(&mut connector);
    Target {
        label: "checkout (simulator)".into(),
        config: connector,
        build: Checkout::connector,
        cards: cards(),
        simulator,
        customer: Some(Arc::new(RedirectCustomer)),
        currency: Currency::USD,
        secrets: vec![config.secret_key.clone(), config.webhook_secret.clone()],
        settle_timeout: Duration::from_secs(5),
    }
}

fn live() -> Result<Option<Target>, String> {
    let config = Checkout::config_from_env().map_err(|e| e.to_string())?;
    Ok(config.map(|config| {
        Target::live(
            "checkout",
            config,
            Checkout::connector,
            cards(),
            Currency::USD,
        )
    }))
}
