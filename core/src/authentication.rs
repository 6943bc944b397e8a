//! External 3-D Secure: an authentication connector kind beside payment connectors.
//!
//! A merchant that owns authentication asks an EMV 3DS server (its own, or a provider's) to
//! authenticate the cardholder, then hands the result to whichever processor authorizes. The
//! three steps, in the same pure style as payment flows (an [`Authenticator`] translates,
//! [`HttpAuthenticator`] sends through the [`Executor`]):
//!
//! 1. [`PreAuthenticationRequest`] → [`PreAuthenticationResponse`]: the card range's protocol
//!    versions and directory server, the 3DS Method URL when the ACS has one, and the 3DS
//!    server's transaction id;
//! 2. [`AuthenticationRequest`] (the AReq) → [`AuthenticationResponse`] (the ARes): a
//!    [`TransStatus`], with the ECI and the authentication value (CAVV) when authenticated or
//!    attempted, or for a challenge the ACS URL and the CReq;
//! 3. after a challenge, [`AuthenticationResultRequest`] → [`AuthenticationResponse`] (the
//!    RReq the ACS sent the 3DS server).
//!
//! The authentication value proves the cardholder's authentication to the issuer:
//! [`AuthenticationValue`] is a secret type, never printed.
//!
//! ```
//! use paybridge_core::authentication::{AuthenticationValue, TransStatus};
//!
//! assert_eq!(TransStatus::from_code("C"), Some(TransStatus::ChallengeRequired));
//! assert!(TransStatus::Attempted.authenticated());
//! let cavv = AuthenticationValue::new("mK225wGt2bLnnLB0UlRky0oHLnU=").unwrap();
//! assert!(!format!("{cavv:?}").contains("mK225"));
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::ExecutionSettings;
use crate::connector::{run_exchange, MAX_STEPS};
use crate::details::{BrowserInfo, Contact, Email};
use crate::error::ConnectorError;
use crate::executor::{CallContext, Executor, WireProfile};
use crate::http::Exchange;
use crate::money::{Currency, MinorUnit};
use crate::payment_method::{Card, CardNumber};

/// EMV 3DS `transStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransStatus {
    /// `Y`: authenticated.
    #[serde(rename = "Y")]
    Authenticated,
    /// `A`: attempted; not authenticated, but with proof of the attempt.
    #[serde(rename = "A")]
    Attempted,
    /// `N`: not authenticated; the transaction is denied.
    #[serde(rename = "N")]
    NotAuthenticated,
    /// `U`: authentication could not be performed (a technical or other problem).
    #[serde(rename = "U")]
    Unavailable,
    /// `R`: rejected; the issuer asks that authorization not be attempted.
    #[serde(rename = "R")]
    Rejected,
    /// `C`: a challenge is required (CReq to the ACS).
    #[serde(rename = "C")]
    ChallengeRequired,
    /// `D`: a decoupled challenge is confirmed.
    #[serde(rename = "D")]
    DecoupledChallenge,
    /// `I`: informational only; the requestor's challenge preference acknowledged (2.2.0+).
    #[serde(rename = "I")]
    Informational,
}

impl TransStatus {
    /// Every status.
    pub const ALL: [TransStatus; 8] = [
        TransStatus::Authenticated,
        TransStatus::Attempted,
        TransStatus::NotAuthenticated,
        TransStatus::Unavailable,
        TransStatus::Rejected,
        TransStatus::ChallengeRequired,
        TransStatus::DecoupledChallenge,
        TransStatus::Informational,
    ];

    /// The one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            TransStatus::Authenticated => "Y",
            TransStatus::Attempted => "A",
            TransStatus::NotAuthenticated => "N",
            TransStatus::Unavailable => "U",
            TransStatus::Rejected => "R",
            TransStatus::ChallengeRequired => "C",
            TransStatus::DecoupledChallenge => "D",
            TransStatus::Informational => "I",
        }
    }

    /// The status of a one-letter code.
    pub fn from_code(code: &str) -> Option<TransStatus> {
        TransStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// `Y` or `A`: an authentication value comes with it and the payment may go on as
    /// authenticated.
    pub fn authenticated(self) -> bool {
        matches!(self, TransStatus::Authenticated | TransStatus::Attempted)
    }

    /// `C` or `D`: the cardholder has still to act.
    pub fn challenge(self) -> bool {
        matches!(
            self,
            TransStatus::ChallengeRequired | TransStatus::DecoupledChallenge
        )
    }
}

impl fmt::Display for TransStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The authentication value (CAVV, AAV…): 28 base64 characters the issuer checks at
/// authorization. A secret: never printed, masked in logs.
#[derive(Clone)]
pub struct AuthenticationValue(SecretString);

impl AuthenticationValue {
    /// A value of 26 to 28 base64 characters and up to two `=` (EMV 3DS's format).
    pub fn new(value: &str) -> Result<Self, ConnectorError> {
        let body = value.trim_end_matches('=');
        let padding = value.len() - body.len();
        let ok = (26..=28).contains(&body.len())
            && padding <= 2
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !ok {
            return Err(ConnectorError::invalid(
                "authentication_value",
                "must be 26 to 28 base64 characters",
            ));
        }
        Ok(AuthenticationValue(SecretString::from(value.to_owned())))
    }

    /// The value, for the processor's request.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AuthenticationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthenticationValue([REDACTED])")
    }
}

impl PartialEq for AuthenticationValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

/// Where the cardholder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceChannel {
    /// `02`: a browser.
    #[serde(rename = "BRW")]
    Browser,
    /// `01`: an app with a 3DS SDK.
    #[serde(rename = "APP")]
    App,
}

/// How the 3DS Method went (`threeDSCompInd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MethodCompletion {
    /// `Y`: it ran and called back.
    #[serde(rename = "Y")]
    Completed,
    /// `N`: it ran but did not call back within 10 seconds.
    #[serde(rename = "N")]
    NotCompleted,
    /// `U`: there was no 3DS Method URL.
    #[serde(rename = "U")]
    Unavailable,
}

/// Where the cardholder authenticates, with what that channel's AReq needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Device {
    /// A browser (`deviceChannel` `02`): its details, and how the 3DS Method went.
    Browser {
        /// The browser's details.
        info: BrowserInfo,
        /// How the 3DS Method went (`threeDSCompInd`).
        method_completion: MethodCompletion,
    },
    /// An app with a 3DS SDK (`deviceChannel` `01`): what the SDK gave the app.
    App(SdkInformation),
}

impl Device {
    /// The channel.
    pub fn channel(&self) -> DeviceChannel {
        match self {
            Device::Browser { .. } => DeviceChannel::Browser,
            Device::App(_) => DeviceChannel::App,
        }
    }
}

/// What an EMV 3DS SDK in the customer's app gives for an app authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkInformation {
    /// `sdkAppID`: the app's installation (UUID).
    pub app_id: String,
    /// `sdkEncData`: the device's data, encrypted by the SDK for the directory server (a JWE).
    pub encrypted_data: String,
    /// `sdkEphemPubKey`: the SDK's ephemeral public key (a JWK).
    pub ephemeral_public_key: serde_json::Map<String, serde_json::Value>,
    /// `sdkMaxTimeout`: how long the SDK waits for all exchanges, in minutes (5 to 99).
    pub max_timeout_minutes: u8,
    /// `sdkReferenceNumber`: the SDK's EMVCo reference number.
    pub reference_number: String,
    /// `sdkTransID`: the SDK's transaction id (UUID).
    pub transaction_id: String,
    /// `deviceRenderOptions.sdkInterface`.
    pub interface: SdkInterface,
    /// `deviceRenderOptions.sdkUiType`: the challenge screens the SDK can show.
    pub ui_types: Vec<SdkUiType>,
}

/// The UI interfaces a 3DS SDK renders challenges in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SdkInterface {
    /// `01`.
    #[serde(rename = "01")]
    Native,
    /// `02`.
    #[serde(rename = "02")]
    Html,
    /// `03`.
    #[serde(rename = "03")]
    Both,
}

/// A challenge screen a 3DS SDK can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SdkUiType {
    /// `01`.
    #[serde(rename = "01")]
    Text,
    /// `02`.
    #[serde(rename = "02")]
    SingleSelect,
    /// `03`.
    #[serde(rename = "03")]
    MultiSelect,
    /// `04`.
    #[serde(rename = "04")]
    OutOfBand,
    /// `05`: HTML other (HTML interface only).
    #[serde(rename = "05")]
    HtmlOther,
}

/// Version lookup for a card.
#[derive(Debug, Clone)]
pub struct PreAuthenticationRequest {
    /// The card.
    pub card_number: CardNumber,
    /// Where the 3DS Method page posts when it is done (the router's URL).
    pub method_notification_url: Url,
}

/// The card range's facts, when the card is enrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRange {
    /// The 3DS server's transaction id, sent again with the authentication.
    pub server_transaction_id: String,
    /// The highest protocol version the 3DS server, the DS and the ACS all support.
    pub message_version: String,
    /// The directory server (card scheme), e.g. `visa`, `mastercard`.
    pub directory_server: String,
    /// The 3DS Method to run in a hidden iframe, when the ACS has one.
    pub method: Option<ThreeDsMethod>,
}

/// A 3DS Method to run: POST a form with `threeDSMethodData` = `data` to `url` in a hidden
/// iframe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreeDsMethod {
    /// The ACS's 3DS Method URL.
    pub url: Url,
    /// `threeDSMethodData`: base64url (no padding) of the server transaction id and the
    /// notification URL.
    pub data: String,
}

/// The answer to a version lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum PreAuthenticationResponse {
    /// The card is enrolled: authenticate with these facts.
    Enrolled(CardRange),
    /// No directory server knows the card's range: no 3DS2 for it.
    NotEnrolled,
}

/// Who is paid, as the AReq names them.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreeDsMerchant {
    /// The merchant's name (≤ 40).
    pub name: String,
    /// ISO 3166-1 numeric country code of the merchant (`826`).
    pub country_numeric: String,
    /// Merchant category code (4 digits).
    pub mcc: String,
    /// The acquirer's BIN at the directory server.
    pub acquirer_bin: String,
    /// The merchant's id at the acquirer.
    pub acquirer_merchant_id: String,
    /// The requestor's website.
    pub requestor_url: Url,
}

/// The AReq: authenticate the cardholder for one payment.
#[derive(Debug, Clone)]
pub struct AuthenticationRequest {
    /// From the version lookup.
    pub server_transaction_id: String,
    /// From the version lookup.
    pub message_version: String,
    /// The card (number and expiry; the CVC is not sent).
    pub card: Card,
    /// The amount to be authorized.
    pub amount: MinorUnit,
    /// Its currency.
    pub currency: Currency,
    /// The browser or the app, with what its channel needs.
    pub device: Device,
    /// Where the ACS posts the CRes after a browser's challenge.
    pub notification_url: Url,
    /// Who is paid.
    pub merchant: ThreeDsMerchant,
    /// The cardholder's e-mail.
    pub email: Option<Email>,
    /// The billing contact.
    pub billing: Option<Contact>,
    /// When the purchase is made (UTC).
    pub purchase_date: time::OffsetDateTime,
}

/// A challenge to run: POST `creq` (and optionally `threeDSSessionData`) to `acs_url` in an
/// iframe or window; the ACS posts the CRes to the AReq's notification URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Challenge {
    /// The ACS's challenge URL.
    pub acs_url: Url,
    /// The CReq, base64url without padding.
    pub creq: String,
    /// The ACS says a challenge is mandated (local rules).
    pub mandated: bool,
}

/// The ARes (or, after a challenge, the RReq): the authentication's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticationResponse {
    /// The outcome.
    pub status: TransStatus,
    /// `transStatusReason` (two digits), for N, U, R.
    pub status_reason: Option<String>,
    /// The ECI, when the ACS or DS gives one.
    pub eci: Option<String>,
    /// The CAVV, for Y and A.
    pub authentication_value: Option<AuthenticationValue>,
    /// The 3DS server's transaction id.
    pub server_transaction_id: String,
    /// The directory server's transaction id (Checkout's `xid`, Stripe's `transaction_id`).
    pub ds_transaction_id: String,
    /// The ACS's transaction id.
    pub acs_transaction_id: String,
    /// The protocol version of the exchange.
    pub message_version: String,
    /// For C in a browser: the challenge to run.
    pub challenge: Option<Challenge>,
    /// For an app (and for C in an app, what its SDK runs the challenge with): the ACS's signed
    /// content (`acsSignedContent`, a JWS).
    pub acs_signed_content: Option<String>,
    /// The ACS's EMVCo reference number (`acsReferenceNumber`), which an app's SDK needs for a
    /// challenge.
    pub acs_reference_number: Option<String>,
    /// Text the issuer gives the cardholder.
    pub cardholder_info: Option<String>,
}

/// A 3DS result handed to a processor with the authorization (third-party or external 3DS):
/// the fields Checkout.com's `3ds` object and Stripe's
/// `payment_method_options[card][three_d_secure]` take.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalAuthentication {
    /// `Y` or `A`: the only results a payment is authorized with as authenticated.
    pub status: TransStatus,
    /// `transStatusReason`, when given.
    pub status_reason: Option<String>,
    /// The ECI.
    pub eci: Option<String>,
    /// The CAVV.
    pub authentication_value: AuthenticationValue,
    /// The directory server's transaction id.
    pub ds_transaction_id: String,
    /// The protocol version (`2.2.0`).
    pub message_version: String,
    /// Whether the cardholder was challenged (a frictionless result otherwise).
    pub challenged: bool,
}

impl ExternalAuthentication {
    /// The result to authorize with, from an ARes or RReq that authenticated (`Y`, `A`);
    /// `None` for any other outcome, which authorizes nothing as authenticated.
    pub fn from_response(
        response: &AuthenticationResponse,
        challenged: bool,
    ) -> Option<ExternalAuthentication> {
        if !response.status.authenticated() {
            return None;
        }
        Some(ExternalAuthentication {
            status: response.status,
            status_reason: response.status_reason.clone(),
            eci: response.eci.clone(),
            authentication_value: response.authentication_value.clone()?,
            ds_transaction_id: response.ds_transaction_id.clone(),
            message_version: response.message_version.clone(),
            challenged,
        })
    }
}

/// Fetch the result of a challenge (the RReq the ACS sent the 3DS server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResultRequest {
    /// The 3DS server's transaction id.
    pub server_transaction_id: String,
}

/// One 3DS server's wire translation: pure functions, like [`crate::Translator`].
pub trait Authenticator: Send + Sync + 'static {
    /// The connector's id, e.g. `"threedsecureio"`.
    fn id(&self) -> &'static str;
    /// Headers, retry hints and masked fields.
    fn wire_profile(&self) -> WireProfile;
    /// Version lookup.
    fn pre_authenticate(
        &self,
        req: &PreAuthenticationRequest,
    ) -> Result<Exchange<PreAuthenticationResponse>, ConnectorError>;
    /// Authentication (AReq → ARes).
    fn authenticate(
        &self,
        req: &AuthenticationRequest,
    ) -> Result<Exchange<AuthenticationResponse>, ConnectorError>;
    /// The result after a challenge.
    fn authentication_result(
        &self,
        req: &AuthenticationResultRequest,
    ) -> Result<Exchange<AuthenticationResponse>, ConnectorError>;
}

/// A 3DS server as a router uses it: object-safe and async.
#[async_trait]
pub trait AuthenticationConnector: Send + Sync {
    /// The connector's id.
    fn id(&self) -> &'static str;
    /// Version lookup.
    async fn pre_authenticate(
        &self,
        req: &PreAuthenticationRequest,
    ) -> Result<PreAuthenticationResponse, ConnectorError>;
    /// Authentication (AReq → ARes).
    async fn authenticate(
        &self,
        req: &AuthenticationRequest,
    ) -> Result<AuthenticationResponse, ConnectorError>;
    /// The result after a challenge.
    async fn authentication_result(
        &self,
        req: &AuthenticationResultRequest,
    ) -> Result<AuthenticationResponse, ConnectorError>;
}

/// An [`Authenticator`] joined to an [`Executor`].
pub struct HttpAuthenticator<T> {
    translator: T,
    profile: WireProfile,
    executor: Executor,
    settings: ExecutionSettings,
}

impl<T: Authenticator> HttpAuthenticator<T> {
    /// Joins `translator` to `executor` (which may present a client certificate: some 3DS
    /// servers authenticate callers by mutual TLS).
    pub fn new(translator: T, executor: Executor, settings: ExecutionSettings) -> Self {
        HttpAuthenticator {
            profile: translator.wire_profile(),
            translator,
            executor,
            settings,
        }
    }

    /// Boxes it for a router.
    pub fn into_dyn(self) -> Arc<dyn AuthenticationConnector> {
        Arc::new(self)
    }

    /// The translator.
    pub fn translator(&self) -> &T {
        &self.translator
    }

    async fn run<R: 'static>(
        &self,
        flow: &'static str,
        exchange: Result<Exchange<R>, ConnectorError>,
    ) -> Result<R, ConnectorError> {
        let ctx = CallContext {
            connector: self.translator.id(),
            flow,
            profile: &self.profile,
            retry: &self.settings.retry,
            request_timeout: self.settings.timeouts.request,
        };
        // Authentication moves no money: a failure to hear its answer is never an unknown
        // payment outcome (the caller authenticates again or goes on without).
        run_exchange(&self.executor, ctx, exchange?.moving_no_money(), MAX_STEPS)
            .await
            .map_err(ConnectorError::for_read)
    }
}

#[async_trait]
impl<T: Authenticator> AuthenticationConnector for HttpAuthenticator<T> {
    fn id(&self) -> &'static str {
        self.translator.id()
    }

    async fn pre_authenticate(
        &self,
        req: &PreAuthenticationRequest,
    ) -> Result<PreAuthenticationResponse, ConnectorError> {
        self.run("pre_authentication", self.translator.pre_authenticate(req))
            .await
    }

    async fn authenticate(
        &self,
        req: &AuthenticationRequest,
    ) -> Result<AuthenticationResponse, ConnectorError> {
        self.run("authentication", self.translator.authenticate(req))
            .await
    }

    async fn authentication_result(
        &self,
        req: &AuthenticationResultRequest,
    ) -> Result<AuthenticationResponse, ConnectorError> {
        self.run(
            "authentication_result",
            self.translator.authentication_result(req),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_its_code() {
        for status in TransStatus::ALL {
            assert_eq!(TransStatus::from_code(status.code()), Some(status));
            let json = serde_json::to_string(&status).expect("json");
            assert_eq!(json, format!("\"{}\"", status.code()));
        }
        assert_eq!(TransStatus::from_code("S"), None);
        let authenticated: Vec<_> = TransStatus::ALL
            .into_iter()
            .filter(|s| s.authenticated())
            .collect();
        assert_eq!(
            authenticated,
            [TransStatus::Authenticated, TransStatus::Attempted]
        );
    }

    #[test]
    fn an_authentication_value_is_checked_and_never_shown() {
        let value = AuthenticationValue::new("mK225wGt2bLnnLB0UlRky0oHLnU=").expect("valid");
        assert_eq!(value.expose(), "mK225wGt2bLnnLB0UlRky0oHLnU=");
        assert!(!format!("{value:?}").contains("mK225"));
        for bad in [
            "",
            "short",
            "mK225wGt2bLnnLB0UlRky0oHLnU=====",
            "mK225wGt2bLnnLB0UlRky0oH*nU=",
        ] {
            assert!(AuthenticationValue::new(bad).is_err(), "{bad}");
        }
    }
}
