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

mod logs;
pub mod openapi;
mod scenarios;
pub mod traffic;
mod webhook_receiver;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::*;
use paybridge_sandbox::SimulatorHandle;

pub use logs::LogCapture;
pub use scenarios::{Scenario, SCENARIOS};

/// Builds a connector from a configuration (e.g. `Checkout::connector`).
pub type BuildConnector = fn(&ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError>;

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
}

/// What the customer does when a payment needs them (e.g. opens the 3DS redirect).
#[async_trait]
pub trait Customer: Send + Sync {
    /// Completes `action` successfully and returns the parameters the processor sent back
    /// (for complete authorize).
    async fn complete(&self, action: &NextAction) -> Result<BTreeMap<String, String>, String>;
}

/// A customer who follows a redirect URL with a plain GET, as a simulator's 3DS page accepts.
pub struct RedirectCustomer;

#[async_trait]
impl Customer for RedirectCustomer {
    async fn complete(&self, action: &NextAction) -> Result<BTreeMap<String, String>, String> {
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
    /// The connector, built from the target's configuration.
    pub fn connector(&self) -> Result<Arc<dyn Connector>, String> {
        (self.build)(&self.config).map_err(|e| e.to_string())
    }

    /// Card numbers used by this target (checked against the logs).
    fn card_numbers(&self) -> Vec<String> {
        let cards = &self.cards;
        [
            Some(&cards.approved),
            cards.mastercard.as_ref(),
            cards.visa.as_ref(),
            cards.declined.as_ref().map(|(pm, _)| pm),
            cards.three_ds.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|pm| match pm {
            PaymentMethod::Card(card) => Some(card.number.expose().to_owned()),
            PaymentMethod::Token(_) => None,
        })
        .collect()
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
    for scenario in SCENARIOS.iter().filter(|s| select(s)) {
        if let Some(sim) = &target.simulator {
            sim.clear_faults();
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

/// The message for a live target without credentials.
pub fn skip_message(connector: &str, variables: &[&str]) -> String {
    format!(
        "live {connector} sandbox run skipped: set {} to run the conformance suite against it",
        variables.join(" and ")
    )
}
