//! # paybridge-threedsecureio
//!
//! The [3dsecure.io](https://3dsecure.io) EMV 3-D Secure server as an authentication connector
//! ([`paybridge_core::authentication`]): version lookup (`POST /preauth`), browser and app
//! authentication (`POST /auth`, AReq → ARes) and the result after a challenge
//! (`POST /postauth`, the RReq). Pure translation ([`ThreeDSecureIo`] implements
//! [`Authenticator`]); [`HttpAuthenticator`] sends through core's [`Executor`].
//!
//! ```
//! use paybridge_core::authentication::{Authenticator, PreAuthenticationRequest};
//! use paybridge_core::ConnectorConfig;
//! use paybridge_threedsecureio::ThreeDSecureIo;
//!
//! let config = ConnectorConfig::new(
//!     ThreeDSecureIo::SANDBOX_URL.parse().unwrap(),
//!     "3a3b8b3e-4f0c-4d5e-9a63-7c1f2b6e8d10",
//! );
//! let connector = paybridge_threedsecureio::connector(&config).unwrap();
//! assert_eq!(connector.id(), "threedsecureio");
//!
//! // The translation alone, without I/O:
//! let translator = ThreeDSecureIo::new(&config).unwrap();
//! let lookup = translator
//!     .pre_authenticate(&PreAuthenticationRequest {
//!         card_number: "4000100511132003".parse().unwrap(),
//!         method_notification_url: "https://shop.example/3ds/method".parse().unwrap(),
//!     })
//!     .unwrap();
//! assert_eq!(lookup.request().url.as_str(), "https://service.sandbox.3dsecure.io/preauth");
//! assert_eq!(lookup.request().body_text(), Some(r#"{"acctNumber":"4000100511132003"}"#));
//! ```
//!
//! ## Configuration
//!
//! A [`ConnectorConfig`]: `base_url` (the sandbox [`ThreeDSecureIo::SANDBOX_URL`], production
//! [`ThreeDSecureIo::LIVE_URL`], or a simulator), `api_key` (the account's `APIKey`, a UUID),
//! `execution` (timeouts, retries), and one optional `extra` key:
//!
//! - `acquirer_country_code`: the acquirer's ISO 3166-1 numeric country (`208`). EMV 3DS 2.3.1
//!   requires `acquirerCountryCode` in every AReq and no unified field carries it, so without
//!   this key the connector negotiates 2.1.0 and 2.2.0 only.
//!
//! From the environment ([`config_from_env`]): `PAYBRIDGE_THREEDSECUREIO_API_KEY` (unset: `None`),
//! optionally `PAYBRIDGE_THREEDSECUREIO_BASE_URL` (default the sandbox),
//! `PAYBRIDGE_THREEDSECUREIO_TIMEOUT_MS` and `PAYBRIDGE_THREEDSECUREIO_ACQUIRER_COUNTRY_CODE`.
//!
//! ## Transport
//!
//! Every call is a `POST` with a JSON body and the header `APIKey: <key>`, marked sensitive so
//! it is never logged. Core's executor sends `Content-Type: application/json`; the provider's
//! documentation shows `application/json; charset=utf-8`, which is the same media type (JSON is
//! UTF-8) — core has no way to add the parameter. 3dsecure.io authenticates by API key, not by
//! mutual TLS; 3DS servers that do (Netcetera, GPayments) need a client certificate, which
//! [`ThreeDSecureIo::connector_with_tls`] passes to [`Executor::with_tls`].
//!
//! No request carries an idempotency key (3dsecure.io has none), and the wire profile says
//! [`KeyReuse::RejectsReuse`]: the executor never sends a `POST /auth` twice after a 5xx, a
//! timeout or a broken connection (a second AReq for the same `threeDSServerTransID` is not
//! a retry the provider documents); it only retries what never left, and a 429.
//! Authentication moves no money: no failure is an unknown outcome.
//!
//! ## Version lookup (`/preauth`)
//!
//! `{"acctNumber": …}` → the card range data (`CRD`) →
//! [`PreAuthenticationResponse::Enrolled`] with:
//!
//! - `message_version`: the highest version that the 3DS server (`threeDSServerProtocolVersions`
//!   when given, else 2.1.0, 2.2.0 and 2.3.1), the directory server (`dsProtocolVersions` when
//!   given, else `dsStartProtocolVersion`..=`dsEndProtocolVersion`), the ACS
//!   (`acsProtocolVersions[].version` when given, else its start..=end) and this connector (see
//!   Configuration) all support. When they share none, the card is
//!   [`PreAuthenticationResponse::NotEnrolled`] (no 3DS2 possible for it), like `Erro` `305`;
//! - `directory_server`: `scheme` (`visa`, `mastercard`, …, `standin` in the sandbox);
//! - `method`: the chosen version's `acsProtocolVersions[].threeDSMethodURL`, else
//!   `threeDSMethodURL`, with `threeDSMethodData` = base64url without padding of
//!   `{"threeDSServerTransID": …, "threeDSMethodNotificationURL": …}`.
//!
//! ## Authentication (`/auth`)
//!
//! The AReq of a payment, from the request's [`Device`]: `messageCategory` `01`,
//! `threeDSRequestorAuthenticationInd` `01`, `transType` `01`, the amount in minor units with the
//! currency's ISO 4217 numeric code and exponent, `purchaseDate` in UTC (`yyyyMMddHHmmss`),
//! `cardExpiryDate` (`YYMM`), `threeDSRequestorURL`, the merchant and acquirer fields, and when
//! given `email`, `cardholderName` (left out before 2.3.1 when not ASCII) and the billing
//! address (`billAddr*`, the country as its ISO 3166-1 numeric code: [`codes`]); at 2.3.1
//! `acquirerCountryCode` and `acquirerCountryCodeSource` `01`. Then each channel's own fields,
//! and none of the other's. Every field the provider's table requires at the version for the
//! channel is checked before sending (`ConnectorError::InvalidRequest` naming our field and
//! theirs), and so are the lengths, value lists and patterns of what is sent.
//!
//! **A browser** ([`Device::Browser`], `deviceChannel` `02`): `threeDSCompInd` (how the 3DS
//! Method went), `notificationURL` and the browser fields (errors name `browser.*` and
//! `notification_url`). Two adjustments the tables allow: a `browserUserAgent` over 2048
//! characters is truncated (the table says so), and a `browserColorDepth` outside the listed
//! values goes down to the nearest listed one (30 → 24). At 2.3.1, `acceptLanguage` is the tags
//! of the browser's Accept-Language header (else its language).
//!
//! **An app** ([`Device::App`], `deviceChannel` `01`): the 3DS SDK's data, as the tables want
//! it for `deviceChannel` `01` at every version —
//!
//! - `sdkAppID` and `sdkTransID`: UUIDs (`format uuid`);
//! - `sdkEncData`: the SDK's JWE as it gave it, at most 64000 characters, in compact
//!   serialization (five base64url parts joined by dots); masked in logged bodies, and never
//!   repeated in an error;
//! - `sdkEphemPubKey`: the SDK's JWK as a JSON object (type `json`, not a string holding JSON),
//!   with its `kty`, at most 256 characters of JSON text;
//! - `sdkMaxTimeout`: two digits, `05` to `99` (`Length: 2`, `Value: 05 … 99`);
//! - `sdkReferenceNumber`: 1 to 32 characters;
//! - `deviceRenderOptions`: `{"sdkInterface": "01"|"02"|"03", "sdkUiType": ["01", …]}`, each UI
//!   type once, at least one; `05` (HTML other, "valid only for HTML UI") is refused with the
//!   native interface `01`;
//! - at 2.3.1 only, `sdkType` `01` (a Default-SDK: the table requires it) and, as the table
//!   requires with `01`, `defaultSdkType` `{"sdkVariant": "01"}`.
//!
//! No `threeDSCompInd`, `notificationURL`, `browser*` or `acceptLanguage` (the tables' `BRW`
//! fields) goes with an app, and the request's `notification_url` is neither sent nor checked.
//! Errors name `sdk.app_id`, `sdk.transaction_id`, `sdk.encrypted_data`,
//! `sdk.ephemeral_public_key`, `sdk.max_timeout_minutes`, `sdk.reference_number` and
//! `sdk.ui_types`.
//!
//! The ARes → [`AuthenticationResponse`]: `transStatus` (an undocumented one is an invalid
//! response), `authenticationValue` (required with `Y` and `A`), `eci`, `dsTransID`,
//! `acsTransID`, `transStatusReason`, `cardholderInfo`, and whenever present
//! `acsReferenceNumber` (at most 32 characters) and `acsSignedContent` (a compact JWS: the
//! table's pattern `^[A-Za-z0-9-_]+\.[A-Za-z0-9-_]+\.[A-Za-z0-9-_]+$`, and at most 16000
//! characters at 2.3.1). For `C`:
//!
//! - in a browser, a [`Challenge`](paybridge_core::authentication::Challenge): `acsURL`
//!   (required), the CReq base64url without padding of `{"threeDSServerTransID", "acsTransID",
//!   "messageVersion", "messageType": "CReq", "challengeWindowSize": "05"}` (full screen), and
//!   `acsChallengeMandated` = `Y`;
//! - in an app, no `Challenge` (the SDK runs the challenge, with no CReq from us):
//!   `acs_signed_content` and `acs_reference_number` are what the app hands its SDK, and an ARes
//!   without `acsSignedContent` or `acsReferenceNumber` is an invalid response naming the field.
//!
//! An answer for another `threeDSServerTransID`, or in an app for another `sdkTransID`, is
//! invalid.
//!
//! ## Result (`/postauth`)
//!
//! `{"threeDSServerTransID": …}` → the RReq, read as the ARes but with the RReq's statuses only
//! (`Y`, `N`, `U`, `A`, `R`) and no challenge, for either channel (the RReq tables have no
//! `acsSignedContent` or `acsReferenceNumber`: both are `None` unless sent anyway).
//!
//! ## Errors
//!
//! HTTP 401 (`text/plain` `Invalid API Key`) → [`ConnectorError::Authentication`]. An `Erro`
//! message (whatever the HTTP status) → its `errorCode` in
//! [`ProcessorMessage::codes`](paybridge_core::ProcessorMessage::codes), its
//! description and detail (card numbers masked) as the message, its `threeDSServerTransID` as
//! the request id, and the kind: `301` and, on `/postauth`, `203` (an unknown or expired
//! transaction) → `Rejected { NotFound }`; `303` → `Rejected { Forbidden }`; `402`–`405`
//! (timeouts and system failures; `405` is the directory server's timeout on `/auth`) and any
//! code with a 5xx → [`ConnectorError::Processor`]; the other codes (`101`–`204`, `302`,
//! `304`–`307`: the message's format or content) → `Rejected { Validation }`. Other 4xx and 5xx
//! follow [`HttpResponse::error`](paybridge_core::http::HttpResponse::error). No error, `Debug`
//! output or logged body holds the card number, the authentication value or the API key (the
//! wire profile masks `acctNumber`, `authenticationValue`, `cardExpiryDate`, `cardholderName`,
//! `email`, the billing lines and post code, `browserIP`, `browserUserAgent` and the app's
//! `sdkEncData`, which is opaque and up to 64000 characters).
//!
//! ## Facts and sources
//!
//! \[C\] confirmed by the provider's own documentation: the source of 3dsecure.io's docs,
//! `github.com/clearhaus/3DSv2-api-documentation` at commit `4d0009dc` (2026-05-12), as the
//! repository's `specs/threedsecureio-3ds-server-fields.json` (derived from its HTML tables)
//! and the shared reference `threedsecureio-3ds-server-reference.md` hold it. \[U\] unconfirmed.
//!
//! - \[C\] Base URLs `https://service.sandbox.3dsecure.io` and `https://service.3dsecure.io`;
//!   every request a `POST`; `Content-Type: application/json; charset=utf-8`; the `APIKey`
//!   header; 401 `text/plain` `Invalid API Key`; versions 2.1.0, 2.2.0, 2.3.1; only ASCII in
//!   `cardholderName` for 2.1.0 and 2.2.0 (`source/server-information.rst`).
//! - \[C\] `/preauth` request and `CRD` fields (`preauth.html`, `crd_220.html`);
//!   `dsProtocolVersions` and `acsProtocolVersions` since 2024-09-17 and
//!   `threeDSServerProtocolVersions` in the example (`changelog.rst`, `preauth.rst`: not in the
//!   tables); `Erro` `305` = not enrolled (`preauth.rst`); the highest common version
//!   (`versioning.rst`).
//! - \[U\] Taking an `acsProtocolVersions` entry's own `threeDSMethodURL` over the range's: the
//!   example gives both the same URL; the docs do not say which wins when they differ.
//! - \[C\] `threeDSMethodData` and the CReq: JSON, base64url without `=` padding
//!   (`3dsmethod.rst`, `challenge_flow.rst`, `creq.html`); the challenge window sizes `01`–`05`.
//! - \[C\] AReq fields, inclusion by version and channel, lengths and patterns (`areq_210.html`,
//!   `areq_220.html`, `areq_231.html`); minor-unit amounts, numeric currency and country codes,
//!   `yyyyMMddHHmmss` and `YYMM` (`specification_common.rst`, `examples.rst`).
//! - \[C\] The app channel's AReq fields: `sdkAppID`, `sdkEncData`, `sdkEphemPubKey`,
//!   `sdkMaxTimeout`, `sdkReferenceNumber`, `deviceRenderOptions` required (channel `APP`) and
//!   `sdkTransID` required for `deviceChannel` `01` at 2.1.0, 2.2.0 and 2.3.1, their formats and
//!   lengths; `sdkType` required at 2.3.1, `defaultSdkType` required when it is `01`,
//!   `splitSdkType` and `sdkServerSignedContent` when it is `02`; `threeDSCompInd`,
//!   `notificationURL`, `browser*` and `acceptLanguage` browser-only (`areq_*.html`);
//!   `sdkInterface` `01`–`03` and `sdkUiType` `01`–`07`, `05` "valid only for HTML UI"
//!   (`devicerenderoptions.html`); `defaultSdkType`'s members `sdkVariant` (`01` Native) and
//!   `wrappedInd` (`Y`), both optional (the provider's `source/_static/defaultsdktype_231.html`,
//!   read at commit `253e9ff4`: the repository's field file has no table for it).
//! - \[U\] `sdkType` `01` and `sdkVariant` `01`:
//!   [`SdkInformation`](paybridge_core::authentication::SdkInformation) says neither. A Split-SDK
//!   (`02`) would need `sdkServerSignedContent`, which it does not carry; `01` is the only
//!   variant the table defines. `wrappedInd` is left out, though a wrapped SDK (in a
//!   cross-platform framework) should send `Y`.
//! - \[U\] `sdkEncData` in JWE compact serialization (five parts, RFC 7516 §7.1) and a `kty` in
//!   `sdkEphemPubKey` (RFC 7517 §4.1): the tables say only "JWE Object (represented as a
//!   string)" and `json`.
//! - \[C\] ARes `acsSignedContent` (channel `APP`, its pattern, at most 16000 characters at
//!   2.3.1), `acsReferenceNumber` (required, at most 32), `sdkTransID` (required for `01`),
//!   `acsURL` optional for `01` (`ares_*.html`).
//! - \[U\] `acsSignedContent` is required with `C` in an app only. The table's row lists
//!   "Required if transStatus is C" and "Required if deviceChannel is 01" as two lines; they are
//!   read together, as `acsURL`'s "Required if deviceChannel is 02" and "… transStatus is C"
//!   are (the provider's own frictionless browser ARes example has no `acsURL`). A frictionless
//!   app ARes without it is accepted.
//! - \[U\] `acsReferenceNumber` is enforced only with `C` in an app (the SDK's challenge needs
//!   it); the tables require it in every ARes. An ARes's `sdkTransID` is checked against the
//!   request's when present, not required. `acsRenderingType` (required with `C` in an app) is
//!   not read: the unified response has no field for it.
//! - \[U\] `acquirerCountryCodeSource` `01` means "3DS Server": the table gives only the pattern;
//!   the meaning is from third-party transcriptions of the EMV 3DS 2.3.1 specification.
//! - \[C\] ARes and RReq fields and their conditions (`ares_220.html`, `rreq_220.html`, 2.3.1
//!   alike); `transStatus` values; `405` "Unable to contact Directory Server" after 10 s on
//!   `/auth` (`auth.rst`); `203` "Unknown threeDSServerTransID" after 300 s on `/postauth`
//!   (`postauth.rst`); `Erro` fields and `errorCode` list (`erro_220.html`).
//! - \[U\] Whether the service insists on the `charset=utf-8` parameter: core's executor sends
//!   `application/json` without it (see Transport).
//! - \[U\] Whether `transStatusReason` is always present with `N`, `U` and `R`: the tables
//!   require it, but it is read as optional (an outcome is not refused for lacking a reason).
//! - \[U\] The kinds of the other error codes: `402`–`405` as processor errors and
//!   `301` as not found are this connector's reading of the `errorCode` list; only `305`
//!   (`/preauth`), `203` (`/postauth`) and `405` (`/auth`) have documented provider uses.
//! - \[C\] The sandbox's test cards (`sandbox.rst`: the last four digits select the version, the
//!   3DS Method and the outcome, e.g. `4000100511112003`) do not pass the Luhn check, which
//!   core's `CardNumber` requires; \[U\] whether the sandbox keeps their behaviour when another
//!   digit is changed to make them pass it (`4000100511132003`).
//! - \[U\] Other routers send the same header and paths (Juspay hyperswitch's `threedsecureio`
//!   connector; facts only, no code taken).
//! - ISO 4217 and ISO 3166-1 numeric codes: Debian's `iso-codes` data ([`codes`]).

pub mod codes;

mod areq;
mod mapping;
mod wire;

use std::sync::Arc;

use paybridge_core::authentication::{
    AuthenticationConnector, AuthenticationRequest, AuthenticationResponse,
    AuthenticationResultRequest, Authenticator, Device, HttpAuthenticator,
    PreAuthenticationRequest, PreAuthenticationResponse,
};
use paybridge_core::http::{endpoint, Exchange, HttpRequest};
use paybridge_core::secrecy::{ExposeSecret, SecretString};
use paybridge_core::url::Url;
use paybridge_core::{
    no_retry_hint, ClientTls, ConfigError, ConnectorConfig, ConnectorError, Executor, KeyReuse,
    WireProfile,
};

use mapping::{Call, Expected, Version};

/// The 3dsecure.io translator: build it from a [`ConnectorConfig`], join it to an executor with
/// [`HttpAuthenticator`] (or use [`connector`]).
#[derive(Clone)]
pub struct ThreeDSecureIo {
    base_url: Url,
    api_key: SecretString,
    /// `extra.acquirer_country_code`: enables 2.3.1.
    acquirer_country: Option<String>,
}

impl std::fmt::Debug for ThreeDSecureIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreeDSecureIo")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &"[REDACTED]")
            .field("acquirer_country", &self.acquirer_country)
            .finish()
    }
}

/// The fields masked in logged bodies beyond core's own.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "acctNumber",
    "authenticationValue",
    "cardExpiryDate",
    "cardholderName",
    "email",
    "billAddrLine1",
    "billAddrLine2",
    "billAddrLine3",
    "billAddrPostCode",
    "browserIP",
    "browserUserAgent",
    "sdkEncData",
];

impl ThreeDSecureIo {
    /// The connector id.
    pub const ID: &'static str = "threedsecureio";
    /// The sandbox.
    pub const SANDBOX_URL: &'static str = "https://service.sandbox.3dsecure.io";
    /// Production.
    pub const LIVE_URL: &'static str = "https://service.3dsecure.io";
    /// The credential header.
    pub const API_KEY_HEADER: &'static str = "APIKey";
    /// The environment variables' prefix.
    pub const ENV_PREFIX: &'static str = "PAYBRIDGE_THREEDSECUREIO";

    /// A translator for one 3dsecure.io account.
    pub fn new(config: &ConnectorConfig) -> Result<Self, ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        let key = config.api_key.expose_secret();
        if key.trim().is_empty()
            || HttpRequest::post(config.base_url.clone())
                .secret_header(Self::API_KEY_HEADER, key)
                .is_err()
        {
            return Err(invalid("api_key", "must be non-empty header text"));
        }
        let acquirer_country = match config.extra.get("acquirer_country_code") {
            None => None,
            Some(code) => {
                let code = code.trim();
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        "extra.acquirer_country_code",
                        "expected an ISO 3166-1 numeric code of 3 digits, e.g. 208",
                    ));
                }
                Some(code.to_owned())
            }
        };
        Ok(ThreeDSecureIo {
            base_url: config.base_url.clone(),
            api_key: config.api_key.clone(),
            acquirer_country,
        })
    }

    /// A ready-to-use connector for a router.
    pub fn connector(
        config: &ConnectorConfig,
    ) -> Result<Arc<dyn AuthenticationConnector>, ConfigError> {
        Self::connector_with_tls(config, &ClientTls::default())
    }

    /// A connector whose transport presents a client certificate and trusts extra roots (for
    /// a deployment behind a mutual-TLS gateway; 3dsecure.io itself needs none).
    pub fn connector_with_tls(
        config: &ConnectorConfig,
        tls: &ClientTls,
    ) -> Result<Arc<dyn AuthenticationConnector>, ConfigError> {
        let translator = ThreeDSecureIo::new(config)?;
        let settings = config.execution;
        let executor = Executor::with_tls(settings.timeouts.connect, tls).map_err(|e| {
            ConfigError::Invalid {
                key: Self::ID.into(),
                message: e.to_string(),
            }
        })?;
        Ok(HttpAuthenticator::new(translator, executor, settings).into_dyn())
    }

    /// Configuration from `PAYBRIDGE_THREEDSECUREIO_API_KEY`, and optionally `_BASE_URL`
    /// (default the sandbox), `_TIMEOUT_MS` and `_ACQUIRER_COUNTRY_CODE`; `None` when no key is
    /// set.
    pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
        Self::config_from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ThreeDSecureIo::config_from_env`] with a custom variable lookup (for tests).
    pub fn config_from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ConnectorConfig>, ConfigError> {
        let config = ConnectorConfig::from_lookup(
            Self::ENV_PREFIX,
            "API_KEY",
            Self::SANDBOX_URL,
            &[],
            &lookup,
        )?;
        Ok(config
            .map(|c| c.with_optional_lookup(Self::ENV_PREFIX, &["ACQUIRER_COUNTRY_CODE"], &lookup)))
    }

    /// The protocol versions this translator sends, oldest first: 2.1.0 and 2.2.0, and 2.3.1
    /// when the acquirer's country is configured.
    pub fn message_versions(&self) -> Vec<String> {
        self.versions().iter().map(Version::to_string).collect()
    }

    fn versions(&self) -> &'static [Version] {
        if self.acquirer_country.is_some() {
            &[Version::V210, Version::V220, Version::V231]
        } else {
            &[Version::V210, Version::V220]
        }
    }

    /// `POST {base}/{path}` with the API key and a JSON body.
    fn post(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<HttpRequest, ConnectorError> {
        HttpRequest::post(endpoint(&self.base_url, &[path])?)
            .secret_header(Self::API_KEY_HEADER, self.api_key.expose_secret())?
            .json(body)
    }
}

/// [`ThreeDSecureIo::connector`].
pub fn connector(
    config: &ConnectorConfig,
) -> Result<Arc<dyn AuthenticationConnector>, ConfigError> {
    ThreeDSecureIo::connector(config)
}

/// [`ThreeDSecureIo::config_from_env`].
pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
    ThreeDSecureIo::config_from_env()
}

/// `acctNumber`: 13 to 19 digits (`preauth.html`, `areq_*.html`).
fn account_number<'a>(
    field: &'static str,
    number: &'a paybridge_core::CardNumber,
) -> Result<&'a str, ConnectorError> {
    let pan = number.expose();
    if (13..=19).contains(&pan.len()) {
        Ok(pan)
    } else {
        Err(ConnectorError::invalid(
            field,
            "3-D Secure's acctNumber takes 13 to 19 digits",
        ))
    }
}

impl Authenticator for ThreeDSecureIo {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            // Never sent: no request carries an idempotency key.
            idempotency_header: "x-paybridge-idempotency-key",
            key_reuse: KeyReuse::RejectsReuse,
            retry_hint: no_retry_hint,
            sensitive_fields: SENSITIVE_FIELDS,
        }
    }

    fn pre_authenticate(
        &self,
        req: &PreAuthenticationRequest,
    ) -> Result<Exchange<PreAuthenticationResponse>, ConnectorError> {
        let pan = account_number("card_number", &req.card_number)?;
        let request = self.post("preauth", &wire::PreAuth { acct_number: pan })?;
        let versions = self.versions();
        let notification_url = req.method_notification_url.clone();
        Ok(Exchange::new(request, move |resp| {
            mapping::card_range(&resp, versions, &notification_url)
        })
        .moving_no_money())
    }

    fn authenticate(
        &self,
        req: &AuthenticationRequest,
    ) -> Result<Exchange<AuthenticationResponse>, ConnectorError> {
        account_number("card.number", &req.card.number)?;
        let version = Version::parse(&req.message_version)
            .filter(|v| [Version::V210, Version::V220, Version::V231].contains(v))
            .ok_or_else(|| {
                ConnectorError::invalid(
                    "message_version",
                    "3dsecure.io takes messageVersion 2.1.0, 2.2.0 or 2.3.1",
                )
            })?;
        let areq = areq::build(req, version, self.acquirer_country.as_deref())?;
        let request = self.post("auth", &areq)?;
        let expected = Expected {
            server_trans_id: req.server_transaction_id.clone(),
            app_sdk_trans_id: match &req.device {
                Device::Browser { .. } => None,
                Device::App(sdk) => Some(sdk.transaction_id.clone()),
            },
        };
        Ok(Exchange::new(request, move |resp| {
            mapping::outcome(&resp, Call::Auth, &expected)
        })
        .moving_no_money())
    }

    fn authentication_result(
        &self,
        req: &AuthenticationResultRequest,
    ) -> Result<Exchange<AuthenticationResponse>, ConnectorError> {
        if !mapping::is_uuid(&req.server_transaction_id) {
            return Err(ConnectorError::invalid(
                "server_transaction_id",
                "threeDSServerTransID must be a UUID",
            ));
        }
        let request = self.post(
            "postauth",
            &wire::PostAuth {
                server_trans_id: &req.server_transaction_id,
            },
        )?;
        // The result request does not say the channel: no app-only condition is checked.
        let expected = Expected {
            server_trans_id: req.server_transaction_id.clone(),
            app_sdk_trans_id: None,
        };
        Ok(Exchange::new(request, move |resp| {
            mapping::outcome(&resp, Call::PostAuth, &expected)
        })
        .moving_no_money())
    }
}
