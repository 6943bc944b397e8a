//! Stripe on its simulator and on the live sandbox.
//!
//! Two sets of instruments. The simulator target pays with raw test cards ([`cards()`]), so the
//! connector's card path (a PaymentMethod created from the card, then the PaymentIntent) is
//! exercised. A live run pays with Stripe's test PaymentMethods ([`live_cards`]): an ordinary
//! test account refuses raw card numbers (HTTP 402 `invalid_request_error`, "Sending credit
//! card numbers directly to the Stripe API is generally unsafe…") unless Stripe granted it raw
//! card data access.

use std::sync::Arc;
use std::time::Duration;

use paybridge_core::*;
use paybridge_registry::stripe as registry;
use paybridge_sandbox::stripe::{self as sim, cards, StripeSimConfig};
use paybridge_sandbox::SimulatorHandle;

use super::{ConnectorEntry, SimulatorTarget};
use paybridge_sandbox::wallet_tokens;

use crate::{apple_pay, card, google_pay, RedirectCustomer, Target, TestCards, TestWallet};

/// Stripe's entry in the suite.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: registry::ENTRY.name,
    live_variables: registry::ENTRY.live_variables,
    build: registry::ENTRY.build,
    cards,
    simulator,
    live,
};

/// Stripe's raw test cards, for the simulator target (Stripe's test mode takes them only on
/// accounts with raw card data access).
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
        wallets: vec![
            TestWallet {
                wallet: Wallet::GooglePay,
                approved: google_pay(&wallet_tokens::stripe_google_pay_token("tok_visa")),
                declined: Some((
                    google_pay(&wallet_tokens::stripe_google_pay_token(
                        "tok_chargeDeclinedInsufficientFunds",
                    )),
                    DeclineCode::InsufficientFunds,
                )),
            },
            TestWallet {
                wallet: Wallet::ApplePay,
                approved: apple_pay(
                    &wallet_tokens::apple_pay_payment_data(cards::MASTERCARD),
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

/// Stripe's recommended test PaymentMethods (`pm_card_…`), for a run on Stripe's test mode;
/// the simulator knows each of them ([`cards::PM_CARD_TOKENS`]).
pub fn live_cards() -> TestCards {
    TestCards {
        approved: token(cards::PM_CARD_VISA),
        mastercard: Some(token(cards::PM_CARD_MASTERCARD)),
        visa: Some(token(cards::PM_CARD_VISA)),
        declined: Some((
            token(cards::PM_CARD_INSUFFICIENT_FUNDS),
            DeclineCode::InsufficientFunds,
        )),
        three_ds: Some(token(cards::PM_CARD_THREE_DS2_REQUIRED)),
        wallets: Vec::new(),
    }
}

fn token(id: &str) -> PaymentMethod {
    match PaymentMethodToken::new(id) {
        Ok(token) => PaymentMethod::Token(token),
        Err(e) => panic!("test PaymentMethod {id}: {e}"),
    }
}

fn live() -> Result<Option<Target>, String> {
    let config = (registry::ENTRY.live_config)().map_err(|e| e.to_string())?;
    Ok(config
        .map(|config| Target::live(ENTRY.name, config, ENTRY.build, live_cards(), Currency::USD)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instruments(cards: &TestCards) -> Vec<&PaymentMethod> {
        let optional = [
            cards.mastercard.as_ref(),
            cards.visa.as_ref(),
            cards.declined.as_ref().map(|(method, _)| method),
            cards.three_ds.as_ref(),
        ];
        std::iter::once(&cards.approved)
            .chain(optional.into_iter().flatten())
            .collect()
    }

    /// An ordinary test account refuses raw card numbers (402 `invalid_request_error`), so a
    /// live run pays with Stripe's test PaymentMethods, each one the simulator knows too.
    #[test]
    fn live_runs_pay_with_test_payment_methods_the_simulator_knows() {
        let live = live_cards();
        let methods = instruments(&live);
        assert_eq!(methods.len(), 5, "every role has an instrument");
        for method in methods {
            let PaymentMethod::Token(token) = method else {
                panic!(
                    "a live run sends a raw card: {}",
                    live.describe().join("; ")
                );
            };
            assert!(token.as_str().starts_with("pm_card_"), "{}", token.as_str());
            assert!(
                cards::PM_CARD_TOKENS
                    .iter()
                    .any(|(known, _)| *known == token.as_str()),
                "the simulator does not know {}",
                token.as_str()
            );
        }
        // The simulator target keeps raw cards, so the connector's card path stays exercised.
        for method in instruments(&cards()) {
            assert!(matches!(method, PaymentMethod::Card(_)));
        }
    }

    /// Each live instrument, authorized on the simulator, does what its role says.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_simulator_honours_every_live_instrument() {
        let config = StripeSimConfig::default();
        let handle = sim::start(config.clone()).await.expect("simulator");
        let target = target_at(&config, handle.base_url(), None);
        let connector = target.connector().expect("connector");
        let live = live_cards();
        let authorize = |method: &PaymentMethod, reference: &str| {
            let mut req = AuthorizeRequest::new(
                MinorUnit::new(1000).expect("amount"),
                Currency::USD,
                method.clone(),
                reference,
            );
            req.capture_method = CaptureMethod::Manual;
            req.return_url = "https://shop.example/back".parse().ok();
            let connector = connector.clone();
            async move { connector.authorize(&req).await }
        };
        let approved = [
            Some(&live.approved),
            live.mastercard.as_ref(),
            live.visa.as_ref(),
        ];
        for (n, method) in approved.into_iter().flatten().enumerate() {
            let payment = authorize(method, &format!("live-approved-{n}")).await;
            assert_eq!(
                payment.map(|p| p.status),
                Ok(PaymentStatus::RequiresCapture)
            );
        }
        let mastercard = authorize(live.mastercard.as_ref().expect("mastercard"), "live-mc")
            .await
            .expect("authorized");
        assert_eq!(mastercard.card_network, Some(CardNetwork::Mastercard));
        let (declining, reason) = live.declined.as_ref().expect("a declining instrument");
        let declined = authorize(declining, "live-declined")
            .await
            .expect("an outcome");
        assert_eq!(declined.status, PaymentStatus::Failed);
        assert_eq!(declined.decline.map(|d| d.unified), Some(*reason));
        let three_ds = live.three_ds.as_ref().expect("a 3DS instrument");
        let mut req = AuthorizeRequest::new(
            MinorUnit::new(1000).expect("amount"),
            Currency::USD,
            three_ds.clone(),
            "live-3ds",
        );
        req.three_ds = ThreeDsPreference::Required;
        req.return_url = "https://shop.example/back".parse().ok();
        let challenged = connector.authorize(&req).await.expect("an outcome");
        assert_eq!(challenged.status, PaymentStatus::RequiresCustomerAction);
        handle.shutdown().await;
    }
}
