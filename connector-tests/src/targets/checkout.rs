//! Checkout.com on its simulator and on the live sandbox.

use std::sync::Arc;
use std::time::Duration;

use paybridge_core::*;
use paybridge_registry::checkout as registry;
use paybridge_sandbox::checkout::{self as sim, cards, CheckoutSimConfig};
use paybridge_sandbox::SimulatorHandle;

use super::{ConnectorEntry, SimulatorTarget};
use paybridge_sandbox::wallet_tokens;

use crate::{apple_pay, card, google_pay, RedirectCustomer, Target, TestCards, TestWallet};

/// Checkout.com's entry in the suite.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: registry::ENTRY.name,
    live_variables: registry::ENTRY.live_variables,
    build: registry::ENTRY.build,
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
        wallets: vec![
            TestWallet {
                wallet: Wallet::GooglePay,
                approved: google_pay(&wallet_tokens::google_pay_token(cards::VISA_APPROVED)),
                declined: Some((
                    google_pay(&wallet_tokens::google_pay_token(cards::INSUFFICIENT_FUNDS)),
                    DeclineCode::InsufficientFunds,
                )),
            },
            TestWallet {
                wallet: Wallet::ApplePay,
                approved: apple_pay(
                    &wallet_tokens::apple_pay_payment_data(cards::MASTERCARD_APPROVED),
                    "MasterCard",
                ),
                declined: Some((
                    apple_pay(
                        &wallet_tokens::apple_pay_payment_data(cards::INSUFFICIENT_FUNDS),
                        "Visa",
                    ),
                    DeclineCode::InsufficientFunds,
                )),
            },
        ],
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
    Target {
        label: "checkout (simulator)".into(),
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
