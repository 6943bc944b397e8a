//! 3dsecure.io on its simulator (and on its sandbox, with `PAYBRIDGE_THREEDSECUREIO_API_KEY`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::authentication::{Challenge, ThreeDsMerchant, ThreeDsMethod};
use paybridge_core::*;
use paybridge_sandbox::threedsecureio::{
    self as sim, cards, AutoPostForm, ThreeDSecureIoSimConfig,
};

use crate::authentication::{AuthenticationCards, AuthenticationTarget, Cardholder};

/// The variables of a live run.
pub const LIVE_VARIABLES: &[&str] = &["PAYBRIDGE_THREEDSECUREIO_API_KEY"];

fn card(pan: &str) -> Card {
    let number = CardNumber::new(&cards::luhn_valid(pan)).expect("a Luhn-valid test card");
    Card {
        number,
        expiry: CardExpiry::new(12, 2030).expect("expiry"),
        cvc: None,
        holder_name: None,
    }
}

/// The provider's sandbox cards (the last four digits choose the outcome; reference §10), made
/// Luhn-valid.
pub fn cards() -> AuthenticationCards {
    AuthenticationCards {
        authenticated: card(cards::VISA_Y),
        attempted: card(cards::MASTERCARD_A),
        not_authenticated: card(cards::VISA_N),
        rejected: card(cards::VISA_R),
        unavailable: card(cards::VISA_U),
        challenge_passed: card(cards::VISA_CHALLENGE_PASS),
        challenge_failed: card(cards::VISA_CHALLENGE_FAIL),
        not_enrolled: Some(Card {
            number: CardNumber::new(cards::NOT_ENROLLED_LUHN).expect("not enrolled card"),
            expiry: CardExpiry::new(12, 2030).expect("expiry"),
            cvc: None,
            holder_name: None,
        }),
        directory_timeout: Some(card(cards::VISA_DS_TIMEOUT)),
    }
}

/// The merchant the suite's AReqs name.
pub fn merchant() -> ThreeDsMerchant {
    ThreeDsMerchant {
        name: "paybridge conformance".into(),
        country_numeric: "826".into(),
        mcc: "5411".into(),
        acquirer_bin: "438309".into(),
        acquirer_merchant_id: "00002000000".into(),
        requestor_url: "https://shop.example".parse().expect("url"),
    }
}

/// A browser that posts the simulator's forms: the 3DS Method's hidden form, the CReq, and
/// the manual challenge's buttons.
pub struct SimulatedBrowser {
    client: reqwest::Client,
}

impl SimulatedBrowser {
    /// A browser.
    pub fn new() -> Self {
        SimulatedBrowser {
            client: reqwest::Client::new(),
        }
    }

    async fn post_form(&self, url: &str, fields: &[(String, String)]) -> Result<String, String> {
        let response = self
            .client
            .post(url)
            .form(fields)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status();
        let page = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("POST {url}: {status}: {page}"));
        }
        Ok(page)
    }
}

impl Default for SimulatedBrowser {
    fn default() -> Self {
        SimulatedBrowser::new()
    }
}

#[async_trait]
impl Cardholder for SimulatedBrowser {
    async fn run_method(&self, method: &ThreeDsMethod) -> Result<bool, String> {
        let page = self
            .post_form(
                method.url.as_str(),
                &[("threeDSMethodData".to_owned(), method.data.clone())],
            )
            .await?;
        // The page posts back to the notification URL when the method completed; a page with
        // no form never calls back (the 10-second timeout).
        Ok(AutoPostForm::parse(&page).is_some())
    }

    async fn take_challenge(&self, challenge: &Challenge, pass: bool) -> Result<(), String> {
        let page = self
            .post_form(
                challenge.acs_url.as_str(),
                &[("creq".to_owned(), challenge.creq.clone())],
            )
            .await?;
        let form = AutoPostForm::parse(&page).ok_or("the challenge page has no form")?;
        if form.buttons.is_empty() {
            // Decided by the card (auto pass or fail): the page posts the CRes onwards.
            return Ok(());
        }
        let decision = if pass { "approve" } else { "fail" };
        self.post_form(
            &form.action,
            &[("decision".to_owned(), decision.to_owned())],
        )
        .await
        .map(drop)
    }
}

fn config(base_url: url::Url, api_key: &str) -> ConnectorConfig {
    let mut config = ConnectorConfig::new(base_url, api_key);
    config.execution.timeouts.request = Duration::from_millis(1500);
    config
}

/// The suite's target on a fresh simulator, and the simulator.
pub async fn simulator() -> Result<(AuthenticationTarget, sim::ThreeDSecureIoSim), String> {
    let sim_config = ThreeDSecureIoSimConfig {
        ds_timeout: Duration::from_millis(100),
        ..ThreeDSecureIoSimConfig::default()
    };
    let simulator = sim::start(sim_config.clone())
        .await
        .map_err(|e| e.to_string())?;
    let connector =
        paybridge_threedsecureio::connector(&config(simulator.base_url(), &sim_config.api_key))
            .map_err(|e| e.to_string())?;
    let with_wrong_key = paybridge_threedsecureio::connector(&config(
        simulator.base_url(),
        "00000000-0000-4000-8000-000000000000",
    ))
    .map_err(|e| e.to_string())?;
    let target = AuthenticationTarget {
        label: "threedsecureio (simulator)".into(),
        connector,
        with_wrong_key,
        cards: cards(),
        cardholder: Some(Arc::new(SimulatedBrowser::new())),
        simulator: Some(simulator.handle()),
        merchant: merchant(),
    };
    Ok((target, simulator))
}

/// The suite's target on 3dsecure.io's sandbox, from `PAYBRIDGE_THREEDSECUREIO_API_KEY` (and
/// optionally `PAYBRIDGE_THREEDSECUREIO_BASE_URL`); `None` without the key. The sandbox's own
/// test cards, made Luhn-valid like the simulator's \[U: whether it keeps their outcomes\];
/// the challenge scenarios are skipped (its ACS pages need a person).
pub fn live() -> Result<Option<AuthenticationTarget>, String> {
    let Some(config) = paybridge_threedsecureio::config_from_env().map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut wrong = config.clone();
    wrong.api_key = "00000000-0000-4000-8000-000000000000".to_owned().into();
    let connector = paybridge_threedsecureio::connector(&config).map_err(|e| e.to_string())?;
    let with_wrong_key = paybridge_threedsecureio::connector(&wrong).map_err(|e| e.to_string())?;
    Ok(Some(AuthenticationTarget {
        label: "threedsecureio (live sandbox)".into(),
        connector,
        with_wrong_key,
        cards: cards(),
        cardholder: None,
        simulator: None,
        merchant: merchant(),
    }))
}
