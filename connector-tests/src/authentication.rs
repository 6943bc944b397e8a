//! The conformance suite of authentication connectors (external 3-D Secure): each scenario
//! drives version lookup, the 3DS Method, authentication, a challenge where there is one, and
//! the result, against an [`AuthenticationTarget`], and checks the unified answers.
//!
//! A target names the cards that lead to each outcome ([`AuthenticationCards`]), a
//! [`Cardholder`] that does in the browser what a cardholder's browser does (the 3DS Method's
//! hidden form, the challenge's form and its buttons) and, for the app channel, an [`AppSdk`]
//! that does what a 3DS SDK in the customer's app does (its data for the AReq, the challenge
//! with the ACS).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::authentication::*;
use paybridge_core::details::BrowserInfo;
use paybridge_core::*;

use crate::Outcome;

/// The cards that lead to each outcome on a target.
#[derive(Clone)]
pub struct AuthenticationCards {
    /// Frictionless `Y`, with a 3DS Method.
    pub authenticated: Card,
    /// Frictionless `A`.
    pub attempted: Card,
    /// Frictionless `N`.
    pub not_authenticated: Card,
    /// Frictionless `R`.
    pub rejected: Card,
    /// Frictionless `U`.
    pub unavailable: Card,
    /// `C`, then the cardholder passes.
    pub challenge_passed: Card,
    /// `C`, then the cardholder fails.
    pub challenge_failed: Card,
    /// `C`, then what the cardholder does decides (passes or fails as asked), where the target
    /// has such a card: the app challenge scenarios run it besides the two above.
    pub challenge_manual: Option<Card>,
    /// Not enrolled in 3DS2.
    pub not_enrolled: Option<Card>,
    /// The directory server does not answer in time (a provider error).
    pub directory_timeout: Option<Card>,
}

/// Where the cardholder's browser goes: the 3DS Method and the challenge.
#[async_trait]
pub trait Cardholder: Send + Sync {
    /// Runs the 3DS Method: `true` when it completed (called back).
    async fn run_method(&self, method: &ThreeDsMethod) -> Result<bool, String>;
    /// Takes the challenge, passing it or not.
    async fn take_challenge(&self, challenge: &Challenge, pass: bool) -> Result<(), String>;
}

/// What a 3DS SDK in the customer's app does: gives its data for an app AReq
/// (`deviceChannel` `01`) and, after an ARes `C`, runs the challenge with the ACS, which sends
/// the result to the 3DS server (fetched with
/// [`authentication_result`](AuthenticationConnector::authentication_result)).
#[async_trait]
pub trait AppSdk: Send + Sync {
    /// The SDK's data for one authentication: a fresh `sdkTransID` on every call.
    fn sdk_information(&self) -> SdkInformation;
    /// Runs the challenge of an app ARes `C`: `acs_signed_content` (the ARes's, which says
    /// where the ACS is), the ARes's ACS and 3DS server transaction ids and protocol version,
    /// and the `sdkTransID` of the AReq; the cardholder passes the challenge or not.
    async fn take_challenge(
        &self,
        acs_signed_content: &str,
        acs_transaction_id: &str,
        server_transaction_id: &str,
        message_version: &str,
        sdk_transaction_id: &str,
        pass: bool,
    ) -> Result<(), String>;
}

/// An authentication connector to run the suite against.
pub struct AuthenticationTarget {
    /// For reports.
    pub label: String,
    /// The connector.
    pub connector: Arc<dyn AuthenticationConnector>,
    /// The same provider with a wrong API key.
    pub with_wrong_key: Arc<dyn AuthenticationConnector>,
    /// The cards.
    pub cards: AuthenticationCards,
    /// The browser; `None` on a live sandbox, whose ACS pages only a person can use: the 3DS
    /// Method is then reported as not completed and the challenge scenarios are skipped.
    pub cardholder: Option<Arc<dyn Cardholder>>,
    /// The app's 3DS SDK; `None` on a live sandbox (no SDK to run its challenge with): the app
    /// scenarios are then skipped.
    pub app: Option<Arc<dyn AppSdk>>,
    /// Injects faults when on a simulator (`None` on a live sandbox).
    pub simulator: Option<paybridge_sandbox::SimulatorHandle>,
    /// Who is paid.
    pub merchant: ThreeDsMerchant,
}

type ScenarioResult = Result<Outcome, String>;

/// One scenario.
pub struct AuthenticationScenario {
    /// Its name.
    pub name: &'static str,
    /// Runs it.
    pub run: for<'a> fn(
        &'a AuthenticationTarget,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = ScenarioResult> + Send + 'a>,
    >,
}

macro_rules! scenario {
    ($name:ident) => {
        AuthenticationScenario {
            name: stringify!($name),
            run: |t| Box::pin($name(t)),
        }
    };
}

/// Every scenario, in run order.
pub static AUTHENTICATION_SCENARIOS: &[AuthenticationScenario] = &[
    scenario!(frictionless_authenticated_gives_the_cavv),
    scenario!(attempted_gives_the_cavv),
    scenario!(refusals_carry_a_reason_and_no_cavv),
    scenario!(a_passed_challenge_ends_authenticated),
    scenario!(a_failed_challenge_ends_not_authenticated),
    scenario!(app_frictionless_authenticated_gives_the_cavv),
    scenario!(an_app_challenge_passed_ends_authenticated),
    scenario!(an_app_challenge_failed_ends_not_authenticated),
    scenario!(a_card_without_3ds2_is_not_enrolled),
    scenario!(provider_errors_are_typed_and_never_unknown),
];

/// Runs every scenario; one line per scenario, failures first.
pub async fn run_all(target: &AuthenticationTarget) -> Vec<(&'static str, ScenarioResult)> {
    let mut results = Vec::new();
    for scenario in AUTHENTICATION_SCENARIOS {
        let result = (scenario.run)(target).await;
        results.push((scenario.name, result));
    }
    results
}

const NOTIFICATION_URL: &str = "https://router.example/3ds/notification";
const METHOD_NOTIFICATION_URL: &str = "https://router.example/3ds/method";

fn browser() -> BrowserInfo {
    BrowserInfo {
        color_depth: Some(24),
        java_enabled: Some(false),
        java_script_enabled: Some(true),
        language: Some("en-GB".into()),
        screen_height: Some(900),
        screen_width: Some(1440),
        time_zone: Some(-60),
        ip_address: "203.0.113.9".parse().ok(),
        accept_header: Some("text/html,application/xhtml+xml".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) paybridge-conformance".into()),
        ..BrowserInfo::default()
    }
}

/// Version lookup, 3DS Method and authentication of `card` for 12.34 EUR in a browser.
async fn authenticate(
    t: &AuthenticationTarget,
    card: &Card,
) -> Result<AuthenticationResponse, String> {
    authenticate_in(t, card, None).await
}

/// Version lookup and authentication of `card` for 12.34 EUR in `app` (no 3DS Method: an
/// app runs none), with the SDK's data sent.
async fn authenticate_app(
    t: &AuthenticationTarget,
    card: &Card,
    app: &dyn AppSdk,
) -> Result<(AuthenticationResponse, SdkInformation), String> {
    let sdk = app.sdk_information();
    let response = authenticate_in(t, card, Some(sdk.clone())).await?;
    Ok((response, sdk))
}

/// The version lookup of `card`.
async fn look_up(
    t: &AuthenticationTarget,
    card: &Card,
) -> Result<PreAuthenticationResponse, String> {
    let method_notification_url = METHOD_NOTIFICATION_URL
        .parse()
        .map_err(|e| format!("{e}"))?;
    t.connector
        .pre_authenticate(&PreAuthenticationRequest {
            card_number: card.number.clone(),
            method_notification_url,
        })
        .await
        .map_err(|e| format!("pre_authenticate: {e}"))
}

/// Version lookup, then (in a browser) the 3DS Method, and authentication of `card` for 12.34
/// EUR in a browser, or in an app with `sdk`'s data.
async fn authenticate_in(
    t: &AuthenticationTarget,
    card: &Card,
    sdk: Option<SdkInformation>,
) -> Result<AuthenticationResponse, String> {
    let lookup = look_up(t, card).await?;
    let PreAuthenticationResponse::Enrolled(range) = lookup else {
        return Err("pre_authenticate: an enrolled test card answered NotEnrolled".into());
    };
    let device = match sdk {
        Some(sdk) => Device::App(sdk),
        None => {
            let method_completion = match (&range.method, &t.cardholder) {
                (Some(method), Some(cardholder)) => {
                    if cardholder.run_method(method).await? {
                        MethodCompletion::Completed
                    } else {
                        MethodCompletion::NotCompleted
                    }
                }
                (Some(_), None) => MethodCompletion::NotCompleted,
                (None, _) => MethodCompletion::Unavailable,
            };
            Device::Browser {
                info: browser(),
                method_completion,
            }
        }
    };
    let request = AuthenticationRequest {
        server_transaction_id: range.server_transaction_id.clone(),
        message_version: range.message_version.clone(),
        card: card.clone(),
        amount: MinorUnit::new(1234).map_err(|e| e.to_string())?,
        currency: Currency::EUR,
        device,
        notification_url: NOTIFICATION_URL.parse().map_err(|e| format!("{e}"))?,
        merchant: t.merchant.clone(),
        email: None,
        billing: None,
        purchase_date: time::OffsetDateTime::now_utc(),
    };
    let response = t
        .connector
        .authenticate(&request)
        .await
        .map_err(|e| format!("authenticate: {e}"))?;
    if response.server_transaction_id != range.server_transaction_id {
        return Err("the ARes names another 3DS server transaction".into());
    }
    Ok(response)
}

fn expect_authenticated(response: &AuthenticationResponse, status: TransStatus) -> ScenarioResult {
    if response.status != status {
        return Err(format!("status {:?}, expected {status:?}", response.status));
    }
    if response.authentication_value.is_none() {
        return Err(format!("{status:?} without an authentication value"));
    }
    if response.eci.as_deref().is_none_or(|eci| eci.len() != 2) {
        return Err(format!(
            "{status:?} without a two-digit ECI: {:?}",
            response.eci
        ));
    }
    if response.ds_transaction_id.is_empty() {
        return Err("no directory server transaction id".into());
    }
    let handed = ExternalAuthentication::from_response(response, false)
        .ok_or("an authenticated result that cannot be handed to a processor")?;
    if handed.ds_transaction_id != response.ds_transaction_id {
        return Err("the processor would get another transaction id".into());
    }
    Ok(Outcome::Passed)
}

async fn frictionless_authenticated_gives_the_cavv(t: &AuthenticationTarget) -> ScenarioResult {
    let response = authenticate(t, &t.cards.authenticated).await?;
    if response.challenge.is_some() {
        return Err("a frictionless result with a challenge".into());
    }
    expect_authenticated(&response, TransStatus::Authenticated)
}

async fn attempted_gives_the_cavv(t: &AuthenticationTarget) -> ScenarioResult {
    let response = authenticate(t, &t.cards.attempted).await?;
    expect_authenticated(&response, TransStatus::Attempted)
}

async fn refusals_carry_a_reason_and_no_cavv(t: &AuthenticationTarget) -> ScenarioResult {
    for (card, status) in [
        (&t.cards.not_authenticated, TransStatus::NotAuthenticated),
        (&t.cards.rejected, TransStatus::Rejected),
        (&t.cards.unavailable, TransStatus::Unavailable),
    ] {
        let response = authenticate(t, card).await?;
        if response.status != status {
            return Err(format!("status {:?}, expected {status:?}", response.status));
        }
        if response.authentication_value.is_some() {
            return Err(format!("{status:?} with an authentication value"));
        }
        if response
            .status_reason
            .as_deref()
            .is_none_or(|r| r.len() != 2)
        {
            return Err(format!("{status:?} without a two-digit reason"));
        }
        if ExternalAuthentication::from_response(&response, false).is_some() {
            return Err(format!(
                "{status:?} would be handed to a processor as authenticated"
            ));
        }
    }
    Ok(Outcome::Passed)
}

async fn challenge(
    t: &AuthenticationTarget,
    card: &Card,
    pass: bool,
) -> Result<Option<AuthenticationResponse>, String> {
    let Some(cardholder) = &t.cardholder else {
        return Ok(None);
    };
    let response = authenticate(t, card).await?;
    if response.status != TransStatus::ChallengeRequired {
        return Err(format!(
            "status {:?}, expected a challenge",
            response.status
        ));
    }
    if response.authentication_value.is_some() {
        return Err("a challenge with an authentication value before it".into());
    }
    let challenge = response
        .challenge
        .as_ref()
        .ok_or("C without a challenge to run")?;
    cardholder.take_challenge(challenge, pass).await?;
    challenge_result(t, &response).await.map(Some)
}

/// The result of `response`'s challenge, once it ran: a final status, never another challenge.
async fn challenge_result(
    t: &AuthenticationTarget,
    response: &AuthenticationResponse,
) -> Result<AuthenticationResponse, String> {
    let result = t
        .connector
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: response.server_transaction_id.clone(),
        })
        .await
        .map_err(|e| format!("authentication_result: {e}"))?;
    if result.challenge.is_some() || result.status.challenge() {
        return Err(format!(
            "the result after a challenge is {:?}",
            result.status
        ));
    }
    Ok(result)
}

fn needs_a_cardholder() -> Outcome {
    Outcome::Skipped("needs a cardholder at a browser (the ACS's challenge page)".into())
}

async fn a_passed_challenge_ends_authenticated(t: &AuthenticationTarget) -> ScenarioResult {
    let Some(result) = challenge(t, &t.cards.challenge_passed, true).await? else {
        return Ok(needs_a_cardholder());
    };
    expect_authenticated(&result, TransStatus::Authenticated)?;
    let handed = ExternalAuthentication::from_response(&result, true).ok_or("not handed")?;
    if !handed.challenged {
        return Err("a challenged result handed as frictionless".into());
    }
    Ok(Outcome::Passed)
}

async fn a_failed_challenge_ends_not_authenticated(t: &AuthenticationTarget) -> ScenarioResult {
    let Some(result) = challenge(t, &t.cards.challenge_failed, false).await? else {
        return Ok(needs_a_cardholder());
    };
    if result.status != TransStatus::NotAuthenticated || result.authentication_value.is_some() {
        return Err(format!(
            "after a failed challenge: {:?}, with a value: {}",
            result.status,
            result.authentication_value.is_some()
        ));
    }
    Ok(Outcome::Passed)
}

fn needs_an_app_sdk() -> Outcome {
    Outcome::Skipped("needs a 3DS SDK in an app (the ACS's app challenge)".into())
}

async fn app_frictionless_authenticated_gives_the_cavv(t: &AuthenticationTarget) -> ScenarioResult {
    let Some(app) = &t.app else {
        return Ok(needs_an_app_sdk());
    };
    let (response, _) = authenticate_app(t, &t.cards.authenticated, app.as_ref()).await?;
    if response.challenge.is_some() {
        return Err("a frictionless app result with a (browser) challenge".into());
    }
    expect_authenticated(&response, TransStatus::Authenticated)
}

/// An app authentication of `card` answered `C`, the challenge run by `app`'s SDK (passed or
/// not), and the result; `None` when the target has no SDK.
async fn app_challenge(
    t: &AuthenticationTarget,
    card: &Card,
    pass: bool,
) -> Result<Option<AuthenticationResponse>, String> {
    let Some(app) = &t.app else {
        return Ok(None);
    };
    let (response, sdk) = authenticate_app(t, card, app.as_ref()).await?;
    if response.status != TransStatus::ChallengeRequired {
        return Err(format!(
            "app: status {:?}, expected a challenge",
            response.status
        ));
    }
    if response.authentication_value.is_some() {
        return Err("an app challenge with an authentication value before it".into());
    }
    if response.challenge.is_some() {
        return Err("an app challenge given as a browser's (ACS URL and CReq)".into());
    }
    let signed = response
        .acs_signed_content
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or("an app challenge without the ACS's signed content")?;
    if response
        .acs_reference_number
        .as_deref()
        .is_none_or(str::is_empty)
    {
        return Err("an app challenge without the ACS's reference number".into());
    }
    app.take_challenge(
        signed,
        &response.acs_transaction_id,
        &response.server_transaction_id,
        &response.message_version,
        &sdk.transaction_id,
        pass,
    )
    .await?;
    challenge_result(t, &response).await.map(Some)
}

/// `card`, then the cards whose challenge the cardholder decides.
fn with_manual<'a>(t: &'a AuthenticationTarget, card: &'a Card) -> Vec<&'a Card> {
    std::iter::once(card)
        .chain(t.cards.challenge_manual.as_ref())
        .collect()
}

async fn an_app_challenge_passed_ends_authenticated(t: &AuthenticationTarget) -> ScenarioResult {
    for card in with_manual(t, &t.cards.challenge_passed) {
        let Some(result) = app_challenge(t, card, true).await? else {
            return Ok(needs_an_app_sdk());
        };
        expect_authenticated(&result, TransStatus::Authenticated)?;
        let handed = ExternalAuthentication::from_response(&result, true).ok_or("not handed")?;
        if !handed.challenged {
            return Err("a challenged app result handed as frictionless".into());
        }
    }
    Ok(Outcome::Passed)
}

async fn an_app_challenge_failed_ends_not_authenticated(
    t: &AuthenticationTarget,
) -> ScenarioResult {
    for card in with_manual(t, &t.cards.challenge_failed) {
        let Some(result) = app_challenge(t, card, false).await? else {
            return Ok(needs_an_app_sdk());
        };
        if result.status != TransStatus::NotAuthenticated || result.authentication_value.is_some() {
            return Err(format!(
                "after a failed app challenge: {:?}, with a value: {}",
                result.status,
                result.authentication_value.is_some()
            ));
        }
    }
    Ok(Outcome::Passed)
}

async fn a_card_without_3ds2_is_not_enrolled(t: &AuthenticationTarget) -> ScenarioResult {
    let Some(card) = &t.cards.not_enrolled else {
        return Ok(Outcome::Skipped("no not-enrolled test card".into()));
    };
    let lookup = look_up(t, card).await?;
    if lookup != PreAuthenticationResponse::NotEnrolled {
        return Err(format!("a card without 3DS2 answered {lookup:?}"));
    }
    Ok(Outcome::Passed)
}

/// A wrong key, a directory server that does not answer, a provider failing or silent: each a
/// typed error, none an unknown outcome (authentication moves no money).
async fn provider_errors_are_typed_and_never_unknown(t: &AuthenticationTarget) -> ScenarioResult {
    let lookup = PreAuthenticationRequest {
        card_number: t.cards.authenticated.number.clone(),
        method_notification_url: METHOD_NOTIFICATION_URL
            .parse()
            .map_err(|e| format!("{e}"))?,
    };
    match t.with_wrong_key.pre_authenticate(&lookup).await {
        Err(ConnectorError::Authentication(_)) => {}
        other => return Err(format!("a wrong API key answered {other:?}")),
    }
    if let Some(card) = &t.cards.directory_timeout {
        match authenticate(t, card).await {
            Err(message) if message.starts_with("authenticate:") => {}
            other => return Err(format!("a directory server timeout answered {other:?}")),
        }
    }
    let Some(simulator) = &t.simulator else {
        return Ok(Outcome::Passed);
    };
    for fault in [
        paybridge_sandbox::Fault::Status {
            status: 503,
            retry_after_secs: None,
        },
        paybridge_sandbox::Fault::Delay {
            duration: Duration::from_secs(5),
            after_processing: false,
        },
    ] {
        simulator.inject(fault.clone());
        let error = t.connector.pre_authenticate(&lookup).await;
        simulator.clear_faults();
        match error {
            Err(error) if !error.outcome_unknown() => {}
            other => return Err(format!("{fault:?}: answered {other:?}")),
        }
    }
    Ok(Outcome::Passed)
}
