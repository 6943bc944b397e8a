//! Primer on its simulator and on the live sandbox. Primer takes payment-method tokens, not
//! cards: the simulator knows a token per sandbox test card.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::*;
use paybridge_registry::primer as registry;
use paybridge_sandbox::primer::{self as sim, tokens, PrimerSimConfig};
use paybridge_sandbox::SimulatorHandle;

use super::{ConnectorEntry, SimulatorTarget};
use crate::{Customer, Target, TestCards};

/// Primer's entry in the suite.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: registry::ENTRY.name,
    // The registry's API key, and a token for the suite to pay with.
    live_variables: &[
        "PAYBRIDGE_PRIMER_API_KEY",
        "PAYBRIDGE_PRIMER_PAYMENT_METHOD_TOKEN",
    ],
    build: registry::ENTRY.build,
    cards,
    simulator,
    live,
};

fn token(token: &str) -> PaymentMethod {
    match PaymentMethodToken::new(token) {
        Ok(token) => PaymentMethod::Token(token),
        Err(e) => panic!("test token {token}: {e}"),
    }
}

/// The simulator's tokens for Primer's sandbox test cards.
pub fn cards() -> TestCards {
    TestCards {
        approved: token(tokens::VISA_AUTHORIZED),
        mastercard: Some(token(tokens::MASTERCARD_AUTHORIZED)),
        visa: Some(token(tokens::VISA_AUTHORIZED)),
        declined: Some((token(tokens::VISA_DECLINED), DeclineCode::DoNotHonor)),
        three_ds: Some(token(tokens::VISA_3DS_CHALLENGE)),
        wallets: Vec::new(),
    }
}

/// The customer passing the simulator's 3DS check; answers the `resumeToken` Primer's client
/// SDK would hand back.
pub struct SimulatedSdkCustomer {
    /// The Primer simulator's base URL.
    pub base_url: url::Url,
}

#[async_trait]
impl Customer for SimulatedSdkCustomer {
    async fn complete(
        &self,
        connector_payment_id: &str,
        _action: &NextAction,
    ) -> Result<BTreeMap<String, String>, String> {
        let url = self
            .base_url
            .join(&format!(
                "sim/primer/payments/{connector_payment_id}/3ds?outcome=success"
            ))
            .map_err(|e| e.to_string())?;
        let resp = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let resume = body["resumeToken"]
            .as_str()
            .ok_or("no resumeToken from the 3DS hook")?;
        Ok(BTreeMap::from([(
            "resumeToken".to_owned(),
            resume.to_owned(),
        )]))
    }
}

fn simulator() -> SimulatorTarget {
    Box::pin(async {
        let config = PrimerSimConfig::default();
        let handle = sim::start(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        Ok(target_at(&config, handle.base_url(), Some(handle)))
    })
}

/// A target on a simulator with `config`, reached at `base_url` (the simulator's, or a proxy's
/// in front of it); `simulator` is `None` when scenarios must not rely on its counters.
pub fn target_at(
    config: &PrimerSimConfig,
    base_url: url::Url,
    simulator: Option<SimulatorHandle>,
) -> Target {
    let customer_url = simulator
        .as_ref()
        .map_or_else(|| base_url.clone(), SimulatorHandle::base_url);
    Target {
        label: "primer (simulator)".into(),
        config: registry::simulator_config(config, base_url),
        build: ENTRY.build,
        cards: cards(),
        simulator,
        customer: Some(Arc::new(SimulatedSdkCustomer {
            base_url: customer_url,
        })),
        currency: Currency::EUR,
        secrets: vec![config.api_key.clone(), config.webhook_secret.clone()],
        settle_timeout: Duration::from_secs(5),
    }
}

fn live() -> Result<Option<Target>, String> {
    let Some(config) = (registry::ENTRY.live_config)().map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    // Live tokens come from Primer's client SDK or vault: a vaulted sandbox token of an
    // approving test card (e.g. 4111 1111 1111 1111) is needed.
    let approved = std::env::var("PAYBRIDGE_PRIMER_PAYMENT_METHOD_TOKEN").map_err(|_| {
        "set PAYBRIDGE_PRIMER_PAYMENT_METHOD_TOKEN to a vaulted sandbox token".to_owned()
    })?;
    let approved = PaymentMethodToken::new(approved).map_err(|e| e.to_string())?;
    let cards = TestCards {
        approved: PaymentMethod::Token(approved),
        mastercard: None,
        visa: None,
        declined: None,
        three_ds: None,
        wallets: Vec::new(),
    };
    Ok(Some(Target::live(
        ENTRY.name,
        config,
        ENTRY.build,
        cards,
        Currency::EUR,
    )))
}
