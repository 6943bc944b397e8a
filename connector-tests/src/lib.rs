//! # paybridge-connector-tests
//!
//! The conformance suite every connector runs: the same scenarios, asserting statuses and
//! amounts at every step, against a local simulator (CI) or a live processor sandbox (when
//! credentials are in the environment).
//!
//! A connector joins the suite by describing a [`Target`]: how to build it from a
//! [`ConnectorConfig`], which test cards to use, and the simulator handle when there is one.
//! Scenarios that need what a target lacks (fault injection on a live sandbox, a flow the
//! connector's capabilities declare unsupported) are skipped with the reason — and for
//! unsupported flows the suite asserts the `NotSupported` behaviour instead.
//!
//! ```no_run
//! # async fn demo(target: paybridge_connector_tests::Target) {
//! let report = paybridge_connector_tests::run(&target).await;
//! println!("{}", report.table());
//! assert!(report.failures().is_empty());
//! # }
//! ```

pub mod authentication;
pub mod details;
pub mod form;
mod logs;
pub mod openapi;
mod scenarios;
pub mod targets;
pub mod threeds_fields;
pub mod traffic;
mod webhook_receiver;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::secrecy::ExposeSecret;
use paybridge_core::*;
use paybridge_sandbox::SimulatorHandle;

pub use logs::{check_for_secrets, LogCapture};
pub use scenarios::{Scenario, SCENARIOS};

pub use paybridge_registry::BuildConnector;

/// The payment methods a target offers for the scenarios.
#[derive(Clone)]
pub struct TestCards {
    /// Approved, any network; most scenarios use it.
    pub approved: PaymentMethod,
    /// Approved Mastercard, for extending an authorization.
    pub mastercard: Option<PaymentMethod>,
    /// Approved Visa, for the "extension is Mastercard-only" case.
    pub visa: Option<PaymentMethod>,
    /// Declined, with the unified reason it must map to.
    pub declined: Option<(PaymentMethod, DeclineCode)>,
    /// Leads to a 3DS challenge when 3DS is required.
    pub three_ds: Option<PaymentMethod>,
    /// Wallet tokens, one entry per wallet whose payments the connector takes.
    pub wallets: Vec<TestWallet>,
}

/// A Google Pay payment method from a token text (`tokenizationData.token`).
pub fn google_pay(token: &str) -> PaymentMethod {
    let token = paybridge_core::wallet::google_pay::GooglePayToken::new(token, None, None)
        .expect("a test Google Pay token");
    PaymentMethod::Wallet(WalletToken::GooglePay(token))
}

/// An Apple Pay payment method from a `paymentData` object.
pub fn apple_pay(payment_data: &serde_json::Value, network: &str) -> PaymentMethod {
    let token = paybridge_core::wallet::apple_pay::ApplePayToken::new(
        &payment_data.to_string(),
        Some(network.to_owned()),
        None,
        Some("3cee89679130a4b2617c76118a1c62fd".to_owned()),
    )
    .expect("a test Apple Pay payment data");
    PaymentMethod::Wallet(WalletToken::ApplePay(token))
}

/// Test tokens of one wallet.
#[derive(Clone)]
pub struct TestWallet {
    /// The wallet.
    pub wallet: Wallet,
    /// A token that is approved.
    pub approved: PaymentMethod,
    /// A token that is declined, with the unified reason it must map to.
    pub declined: Option<(PaymentMethod, DeclineCode)>,
}

impl TestCards {
    /// One line per instrument, for a live run to announce what it will charge: cards masked
    /// (first six, last four), tokens in full (sandbox test instruments, named so the account's
    /// owner can find them).
    pub fn describe(&self) -> Vec<String> {
        let show = |method: &PaymentMethod| match method {
            PaymentMethod::Card(card) => format!("card {}", card.number.masked()),
            PaymentMethod::Token(token) => format!("token {}", token.as_str()),
            PaymentMethod::Wallet(token) => format!("{} token", token.wallet()),
        };
        let mut lines = vec![format!("approved: {}", show(&self.approved))];
        let optional = [
            ("mastercard", self.mastercard.as_ref()),
            ("visa", self.visa.as_ref()),
            ("declined", self.declined.as_ref().map(|(method, _)| method)),
            ("three_ds", self.three_ds.as_ref()),
        ];
        for (role, method) in optional {
            lines.push(match method {
                Some(method) => format!("{role}: {}", show(method)),
                None => format!("{role}: none (its scenarios are skipped)"),
            });
        }
        lines
    }
}

/// What the customer does when a payment needs them (e.g. opens the 3DS redirect).
#[async_trait]
pub trait Customer: Send + Sync {
    /// Completes `action` for the payment `connector_payment_id` successfully and returns the
    /// parameters the processor handed back (for complete authorize).
    async fn complete(
        &self,
        connector_payment_id: &str,
        action: &NextAction,
    ) -> Result<BTreeMap<String, String>, String>;
}

/// A customer who follows a redirect URL with a plain GET, as a simulator's 3DS page accepts.
pub struct RedirectCustomer;

#[async_trait]
impl Customer for RedirectCustomer {
    async fn complete(
        &self,
        _connector_payment_id: &str,
        action: &NextAction,
    ) -> Result<BTreeMap<String, String>, String> {
        let NextAction::RedirectToUrl { url } = action else {
            return Err(format!("cannot complete {action:?} with a redirect"));
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
        if resp.status().is_client_error() || resp.status().is_server_error() {
            return Err(format!("redirect page answered {}", resp.status()));
        }
        Ok(BTreeMap::new())
    }
}

/// One connector on one environment.
pub struct Target {
    /// Shown in reports, e.g. `checkout (simulator)`.
    pub label: String,
    /// The configuration the connector is built from; scenarios derive variants (a wrong key,
    /// short timeouts) from it.
    pub config: ConnectorConfig,
    /// How to build the connector.
    pub build: BuildConnector,
    /// Test payment methods.
    pub cards: TestCards,
    /// The simulator behind `config.base_url`, when the target is local.
    pub simulator: Option<SimulatorHandle>,
    /// Completes customer actions, when the target allows it.
    pub customer: Option<Arc<dyn Customer>>,
    /// The currency scenarios use.
    pub currency: Currency,
    /// Strings that must never reach a log: API key, webhook secrets.
    pub secrets: Vec<String>,
    /// How long to wait for asynchronous results (captures, refunds) to settle.
    pub settle_timeout: Duration,
}

impl Target {
    /// A live-sandbox target for connector `name`: no simulator (fault and counter scenarios are
    /// skipped), no customer (a live 3DS challenge needs a browser), the API key as the secret
    /// to look for in the logs, and a settle timeout for a real processor.
    pub fn live(
        name: &str,
        config: ConnectorConfig,
        build: BuildConnector,
        cards: TestCards,
        currency: Currency,
    ) -> Target {
        let secrets = vec![config.api_key.expose_secret().to_owned()];
        Target {
            label: format!("{name} (live sandbox)"),
            config,
            build,
            cards,
            simulator: None,
            customer: None,
            currency,
            secrets,
            settle_timeout: Duration::from_secs(30),
        }
    }

    /// The connector, built from the target's configuration.
    pub fn connector(&self) -> Result<Arc<dyn Connector>, String> {
        (self.build)(&self.config).map_err(|e| e.to_string())
    }

    /// The payment methods' secret values, checked against the logs: card numbers, and the
    /// processor tokens (which can be charged, so they are masked too).
    fn payment_method_secrets(&self) -> (Vec<String>, Vec<String>) {
        let cards = &self.cards;
        let (mut numbers, mut tokens) = (Vec::new(), Vec::new());
        let methods = [
            Some(&cards.approved),
            cards.mastercard.as_ref(),
            cards.visa.as_ref(),
            cards.declined.as_ref().map(|(pm, _)| pm),
            cards.three_ds.as_ref(),
        ];
        for method in methods.into_iter().flatten() {
            match method {
                PaymentMethod::Card(card) => numbers.push(card.number.expose().to_owned()),
                PaymentMethod::Token(token) => tokens.push(token.as_str().to_owned()),
                PaymentMethod::Wallet(_) => {}
            }
        }
        (numbers, tokens)
    }
}

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion held.
    Passed,
    /// Not applicable to this target, with the reason.
    Skipped(String),
    /// An assertion failed, with what was expected and seen.
    Failed(String),
}

/// The results of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target's label.
    pub target: String,
    /// Scenario name and outcome, in run order.
    pub results: Vec<(&'static str, Outcome)>,
}

impl Report {
    /// The failed scenarios with their messages.
    pub fn failures(&self) -> Vec<(&'static str, &str)> {
        self.results
            .iter()
            .filter_map(|(name, outcome)| match outcome {
                Outcome::Failed(message) => Some((*name, message.as_str())),
                _ => None,
            })
            .collect()
    }

    /// A plain-text table: scenario, outcome, reason.
    pub fn table(&self) -> String {
        let width = self.results.iter().map(|(n, _)| n.len()).max().unwrap_or(8);
        let mut out = format!("{}\n", self.target);
        for (name, outcome) in &self.results {
            let (word, detail) = match outcome {
                Outcome::Passed => ("passed", ""),
                Outcome::Skipped(reason) => ("skipped", reason.as_str()),
                Outcome::Failed(message) => ("FAILED", message.as_str()),
            };
            let _ = writeln!(out, "  {name:<width$}  {word:<7}  {detail}");
        }
        let count = |w: fn(&Outcome) -> bool| self.results.iter().filter(|(_, o)| w(o)).count();
        let _ = writeln!(
            out,
            "{} passed, {} failed, {} skipped",
            count(|o| *o == Outcome::Passed),
            count(|o| matches!(o, Outcome::Failed(_))),
            count(|o| matches!(o, Outcome::Skipped(_)))
        );
        out
    }
}

/// Runs every scenario against `target`, one after another, then checks the captured logs for
/// secrets when `logs` is given.
pub async fn run_with_logs(target: &Target, logs: Option<&LogCapture>) -> Report {
    // Something is always logged, so an empty capture means the capture is not installed.
    tracing::info!(target = %target.label, "conformance run starting");
    let mut report = run_scenarios(target, |_| true).await;
    let masking = match logs {
        Some(logs) => logs::check_for_secrets(logs, target),
        None => Outcome::Skipped("no log capture installed".into()),
    };
    report.results.push(("logs_hold_no_secrets", masking));
    report
}

/// Runs the scenarios `select` picks, in order.
pub async fn run_scenarios(target: &Target, select: impl Fn(&Scenario) -> bool) -> Report {
    let mut results = Vec::new();
    let capabilities = target.connector().map(|c| c.capabilities().clone());
    for scenario in SCENARIOS.iter().filter(|s| select(s)) {
        if let Some(sim) = &target.simulator {
            sim.clear_faults();
        }
        let missing = match &capabilities {
            Ok(caps) => scenario.needs.iter().find(|flow| !caps.supports(**flow)),
            Err(e) => {
                let message = format!("cannot build the connector: {e}");
                results.push((scenario.name, Outcome::Failed(message)));
                continue;
            }
        };
        if let Some(flow) = missing {
            let reason = format!(
                "{flow} is not supported (NotSupported is asserted by capabilities_agree_with_behaviour)"
            );
            results.push((scenario.name, Outcome::Skipped(reason)));
            continue;
        }
        let outcome =
            match tokio::time::timeout(Duration::from_secs(60), (scenario.run)(target)).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(message)) => Outcome::Failed(message),
                Err(_) => Outcome::Failed("did not finish within 60 s".into()),
            };
        results.push((scenario.name, outcome));
    }
    Report {
        target: target.label.clone(),
        results,
    }
}

/// Runs every scenario against `target` without the log check.
pub async fn run(target: &Target) -> Report {
    run_with_logs(target, None).await
}

/// Runs the suite for the registered connector `name`: on its simulator, then on its live
/// sandbox when the credentials are set (otherwise says which to set). Panics with the report
/// when a scenario failed, so one `#[tokio::test]` per connector is all a test file needs.
/// Installs the global log capture, so call it once per test binary.
pub async fn conformance(name: &str) {
    let Some(entry) = targets::connector(name) else {
        panic!("{name} is not registered in connector-tests/src/targets/mod.rs");
    };
    let Some(logs) = LogCapture::install() else {
        panic!("another global subscriber is installed; run one conformance() per test binary");
    };
    let target = match (entry.simulator)().await {
        Ok(target) => target,
        Err(e) => panic!("cannot start the {name} simulator: {e}"),
    };
    let report = run_with_logs(&target, Some(&logs)).await;
    println!("{}", report.table());
    if let Some(sim) = target.simulator.clone() {
        sim.shutdown().await;
    }
    assert!(report.failures().is_empty(), "{}", report.table());
    match (entry.live)() {
        Ok(Some(live)) => {
            let report = run_with_logs(&live, Some(&logs)).await;
            println!("{}", report.table());
            assert!(report.failures().is_empty(), "{}", report.table());
        }
        Ok(None) => println!("{}", skip_message(name, entry.live_variables)),
        Err(e) => panic!("bad {name} sandbox configuration: {e}"),
    }
}

/// A card with the suite's expiry and CVC (the CVC the secrets check looks for in the logs).
pub fn card(number: &str) -> PaymentMethod {
    let card = CardNumber::new(number).and_then(|number| {
        Ok(Card {
            number,
            expiry: CardExpiry::new(12, 2030)?,
            cvc: Some(Cvc::new(logs::TEST_CVC)?),
            holder_name: Some("Conformance Test".into()),
        })
    });
    match card {
        Ok(card) => PaymentMethod::Card(card),
        Err(e) => panic!("test card {}…: {e}", number.get(..6).unwrap_or(number)),
    }
}

/// The message for a live target without credentials.
pub fn skip_message(connector: &str, variables: &[&str]) -> String {
    format!(
        "live {connector} sandbox run skipped: set {} to run the conformance suite against it",
        variables.join(" and ")
    )
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn instruments_are_announced_with_card_numbers_masked() {
        let cards = TestCards {
            approved: card("4242424242424242"),
            mastercard: None,
            visa: None,
            declined: Some((
                PaymentMethod::Token(
                    PaymentMethodToken::new("pm_card_visa_chargeDeclined").expect("a token"),
                ),
                DeclineCode::InsufficientFunds,
            )),
            three_ds: None,
            wallets: Vec::new(),
        };
        let lines = cards.describe().join("\n");
        assert!(lines.contains("approved: card 424242"), "{lines}");
        assert!(!lines.contains("4242424242424242"), "{lines}");
        assert!(
            lines.contains("declined: token pm_card_visa_chargeDeclined"),
            "{lines}"
        );
        assert!(lines.contains("three_ds: none"), "{lines}");
    }
}
