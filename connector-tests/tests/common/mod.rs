//! The Checkout.com target, shared by the suite and the schema test.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use paybridge_checkout::Checkout;
use paybridge_connector_tests::{RedirectCustomer, Target, TestCards};
use paybridge_core::webhook::WebhookSecrets;
use paybridge_core::*;
use paybridge_sandbox::checkout::{cards, CheckoutSimConfig};
use paybridge_sandbox::SimulatorHandle;

pub fn card(number: &str) -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new(number).unwrap(),
        expiry: CardExpiry::new(12, 2030).unwrap(),
        cvc: Some(Cvc::new("737").unwrap()),
        holder_name: Some("Conformance Test".into()),
    })
}

pub fn checkout_cards() -> TestCards {
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

/// A target on the local simulator. `base_url` is the simulator's, or a proxy's in front of it;
/// `simulator` is `None` when scenarios must not rely on its counters (behind a proxy).
pub fn checkout_sim_target(
    sim: &CheckoutSimConfig,
    base_url: url::Url,
    simulator: Option<SimulatorHandle>,
) -> Target {
    let mut config = ConnectorConfig::new(base_url, sim.secret_key.clone());
    config.extra.insert(
        "processing_channel_id".into(),
        sim.processing_channel_id.clone(),
    );
    config.webhook_secrets = WebhookSecrets::new([sim.webhook_secret.clone()]);
    config.execution.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_elapsed: Duration::from_secs(5),
    };
    Target {
        label: "checkout (simulator)".into(),
        config,
        build: Checkout::connector,
        cards: checkout_cards(),
        simulator,
        customer: Some(Arc::new(RedirectCustomer)),
        currency: Currency::USD,
        secrets: vec![sim.secret_key.clone(), sim.webhook_secret.clone()],
        settle_timeout: Duration::from_secs(5),
    }
}
