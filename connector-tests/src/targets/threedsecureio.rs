//! 3dsecure.io on its simulator (and on its sandbox, with `PAYBRIDGE_THREEDSECUREIO_API_KEY`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::authentication::{
    Challenge, SdkInformation, SdkInterface, SdkUiType, ThreeDsMerchant, ThreeDsMethod,
};
use paybridge_core::*;
use paybridge_sandbox::threedsecureio::{
    self as sim, base64url_json, cards, decode_base64url_json, AutoPostForm,
    ThreeDSecureIoSimConfig, APP_CHALLENGE_CODE,
};
use serde_json::{json, Map, Value};

use crate::authentication::{AppSdk, AuthenticationCards, AuthenticationTarget, Cardholder};

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
        challenge_manual: Some(card(cards::VISA_CHALLENGE_MANUAL)),
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

/// `n` random bytes (test values: the standard library's randomly keyed hasher, no RNG crate).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n + 8);
    while bytes.len() < n {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(bytes.len());
        bytes.extend_from_slice(&hasher.finish().to_le_bytes());
    }
    bytes.truncate(n);
    bytes
}

/// A random (version 4) UUID, lower case.
fn random_uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Base64-URL without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize]));
        }
    }
    out
}

/// The one code [`SimulatedSdk`] enters to fail a challenge (any code but the simulator's
/// [`APP_CHALLENGE_CODE`] fails).
const WRONG_CODE: &str = "not-the-code";

/// A 3DS SDK in an app, against the simulator's ACS: it gives made-up SDK data for the AReq
/// and runs the app challenge as the simulator takes it (plain JSON; see
/// `paybridge_sandbox::threedsecureio`, "App channel").
///
/// - [`sdk_information`](AppSdk::sdk_information): this installation's `sdkAppID` (one per
///   `SimulatedSdk`), a fresh `sdkTransID` and ephemeral key (random `x`, `y`: not a point
///   on the curve) on every call, `sdkEncData` shaped as a compact JWE but not encrypted (the
///   simulator does not decrypt it), `sdkMaxTimeout` 5 minutes, both UI interfaces and the
///   UI types `01`–`05`.
/// - [`take_challenge`](AppSdk::take_challenge): reads `acsURL` from the payload of
///   `acsSignedContent` without verifying its signature (the simulator's is a placeholder),
///   posts the CReq (`sdkCounterStoA` `000`); when the ACS shows a challenge screen
///   (`challengeCompletionInd` `N`), posts a second CReq (`001`) with the simulator's
///   [`APP_CHALLENGE_CODE`] to pass, or a wrong code to fail. Ends when the ACS answers the
///   final CRes; anything else (an `Erro`, another status) is an error.
pub struct SimulatedSdk {
    client: reqwest::Client,
    app_id: String,
}

impl SimulatedSdk {
    /// An SDK in a newly installed app (a new `sdkAppID`).
    pub fn new() -> Self {
        SimulatedSdk {
            client: reqwest::Client::new(),
            app_id: random_uuid(),
        }
    }

    /// The installation's `sdkAppID`.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The payload of an ARes's `acsSignedContent` (a compact JWS), read without verifying
    /// the signature.
    pub fn signed_content_payload(acs_signed_content: &str) -> Result<Value, String> {
        let mut parts = acs_signed_content.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("acsSignedContent is not a compact JWS (three parts)".into());
        };
        decode_base64url_json(payload).ok_or_else(|| {
            "the payload of acsSignedContent is not Base64-URL encoded JSON".to_owned()
        })
    }

    /// Posts one CReq to the ACS; the CRes.
    async fn exchange(&self, acs_url: &str, creq: &Value) -> Result<Value, String> {
        let response = self
            .client
            .post(acs_url)
            .header("Content-Type", "application/json")
            .body(creq.to_string())
            .send()
            .await
            .map_err(|e| format!("POST {acs_url}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let cres: Value = serde_json::from_str(&text)
            .map_err(|_| format!("POST {acs_url}: {status}: not JSON: {text}"))?;
        if !status.is_success() || cres["messageType"] != "CRes" {
            return Err(format!("POST {acs_url}: {status}: {cres}"));
        }
        Ok(cres)
    }
}

impl Default for SimulatedSdk {
    fn default() -> Self {
        SimulatedSdk::new()
    }
}

#[async_trait]
impl AppSdk for SimulatedSdk {
    fn sdk_information(&self) -> SdkInformation {
        let mut key = Map::new();
        key.insert("kty".into(), json!("EC"));
        key.insert("crv".into(), json!("P-256"));
        key.insert("x".into(), json!(base64url(&random_bytes(32))));
        key.insert("y".into(), json!(base64url(&random_bytes(32))));
        let device = json!({"DV": "1.5", "DD": {"C001": "Android", "C003": "paybridge"}});
        let encrypted_data = [
            base64url_json(&json!({"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256"})),
            base64url(&random_bytes(32)),
            base64url(&random_bytes(16)),
            base64url_json(&device),
            base64url(&random_bytes(16)),
        ]
        .join(".");
        SdkInformation {
            app_id: self.app_id.clone(),
            encrypted_data,
            ephemeral_public_key: key,
            max_timeout_minutes: 5,
            reference_number: "PAYBRIDGE-SIMULATED-SDK-0001".into(),
            transaction_id: random_uuid(),
            interface: SdkInterface::Both,
            ui_types: vec![
                SdkUiType::Text,
                SdkUiType::SingleSelect,
                SdkUiType::MultiSelect,
                SdkUiType::OutOfBand,
                SdkUiType::HtmlOther,
            ],
        }
    }

    async fn take_challenge(
        &self,
        acs_signed_content: &str,
        acs_transaction_id: &str,
        server_transaction_id: &str,
        message_version: &str,
        sdk_transaction_id: &str,
        pass: bool,
    ) -> Result<(), String> {
        let payload = SimulatedSdk::signed_content_payload(acs_signed_content)?;
        let acs_url = payload["acsURL"]
            .as_str()
            .ok_or("the payload of acsSignedContent has no acsURL")?;
        let creq = |counter: &str| {
            json!({
                "messageType": "CReq",
                "messageVersion": message_version,
                "threeDSServerTransID": server_transaction_id,
                "acsTransID": acs_transaction_id,
                "sdkTransID": sdk_transaction_id,
                "sdkCounterStoA": counter,
            })
        };
        let mut cres = self.exchange(acs_url, &creq("000")).await?;
        if cres["challengeCompletionInd"] == "N" {
            // The challenge screen: enter the code.
            let mut answer = creq("001");
            answer["challengeDataEntry"] =
                json!(if pass { APP_CHALLENGE_CODE } else { WRONG_CODE });
            cres = self.exchange(acs_url, &answer).await?;
        }
        if cres["challengeCompletionInd"] != "Y" {
            return Err(format!("the challenge did not end: {cres}"));
        }
        Ok(())
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
        app: Some(Arc::new(SimulatedSdk::new())),
        simulator: Some(simulator.handle()),
        merchant: merchant(),
    };
    Ok((target, simulator))
}

/// The suite's target on 3dsecure.io's sandbox, from `PAYBRIDGE_THREEDSECUREIO_API_KEY` (and
/// optionally `PAYBRIDGE_THREEDSECUREIO_BASE_URL`); `None` without the key. The sandbox's own
/// test cards, made Luhn-valid like the simulator's \[U: whether it keeps their outcomes\];
/// the challenge scenarios are skipped (its ACS pages need a person), and so are the app
/// scenarios (no 3DS SDK to run).
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
        app: None,
        simulator: None,
        merchant: merchant(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_sdk_values_have_their_shapes() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        let sdk = SimulatedSdk::new();
        let one = sdk.sdk_information();
        let two = sdk.sdk_information();
        assert_ne!(one.transaction_id, two.transaction_id);
        assert_eq!(one.app_id, two.app_id);
        assert_eq!(one.encrypted_data.split('.').count(), 5);
        assert_eq!(
            one.ephemeral_public_key["x"].as_str().map(str::len),
            Some(43)
        );
        assert!(SimulatedSdk::signed_content_payload("a.b").is_err());
        let jws = format!(
            "{}.{}.c2ln",
            base64url_json(&json!({})),
            base64url_json(&json!({"acsURL": "http://x"}))
        );
        assert_eq!(
            SimulatedSdk::signed_content_payload(&jws),
            Ok(json!({"acsURL": "http://x"}))
        );
    }
}
