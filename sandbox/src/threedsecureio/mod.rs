//! A stateful simulator of 3dsecure.io's 3-D Secure Server API (EMV 3DS 2.1.0, 2.2.0 and
//! 2.3.1) and of what it fronts: the directory servers (card ranges, protocol versions) and an
//! ACS with a 3DS Method page, a challenge page and an app challenge endpoint. Built from the provider's documentation
//! repository (clearhaus/3DSv2-api-documentation, commit 4d0009d) and its field tables
//! (`specs/threedsecureio-3ds-server-fields.json`). It is an independent implementation of the
//! provider's behaviour, not of any connector.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use paybridge_sandbox::threedsecureio::{self, cards, ThreeDSecureIoSimConfig};
//! use paybridge_sandbox::Fault;
//!
//! let sim = threedsecureio::start(ThreeDSecureIoSimConfig::default()).await?;
//! let crd = reqwest::Client::new()
//!     .post(sim.base_url().join("preauth")?)
//!     .header("APIKey", &sim.config().api_key)
//!     .header("Content-Type", "application/json; charset=utf-8")
//!     .body(format!(r#"{{"acctNumber": "{}"}}"#, cards::VISA_CHALLENGE_MANUAL))
//!     .send()
//!     .await?
//!     .text()
//!     .await?;
//! println!("CRD: {crd}"); // threeDSServerTransID, threeDSMethodURL, protocol versions, scheme
//! // ... 3DS Method, POST /auth, the challenge page, POST /postauth ...
//! sim.inject(Fault::Status { status: 503, retry_after_secs: None });
//! let id = "…"; // a threeDSServerTransID from a CRD
//! if let Some(record) = sim.transaction(id) {
//!     println!("the AReq that reached the 3DS Server: {:?}", record.areq);
//! }
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! \[U\] marks a choice where the reference leaves the provider's behaviour unconfirmed.
//!
//! # API
//!
//! Every API route is `POST` with a JSON body (`Content-Type: application/json`, any
//! parameters) and needs the header `APIKey: <api_key>`: missing or wrong → 401, `text/plain`,
//! body `Invalid API Key` (reference §1). Another method is 405. A body that is not a JSON
//! object, or another content type, is `Erro` `101` with HTTP 400 \[U\]. Every other `Erro`
//! (`{"messageType": "Erro", messageVersion, errorCode, errorComponent, errorDescription,
//! errorDetail, …}`) is answered with HTTP 200 by default
//! ([`ThreeDSecureIoSimConfig::erro_http_status`]) \[U: the provider says only that a failure is
//! an `Erro` body or a non-200 status; clients check `messageType`\].
//!
//! | route | answer |
//! |---|---|
//! | `POST /preauth` `{acctNumber, ds?}` | the CRD (2.2.0 table): `acsStart/EndProtocolVersion`, `dsStart/EndProtocolVersion`, `acsInfoInd`, `threeDSMethodURL` (when the range has a 3DS Method), a new `threeDSServerTransID`, `scheme`, `messageType` `CRD`, and `dsProtocolVersions`, `acsProtocolVersions`, `threeDSServerProtocolVersions` (provider changelog 2024-09-17); `Erro` `305` "Unknown BIN" for [`cards::NOT_ENROLLED`] (the provider's text, with no `threeDSServerTransID`, as in its example); `203` `acctNumber` for a number that selects no test case; `201` / `203` for a missing or malformed field |
//! | `POST /auth` (AReq) | the ARes of the card's test case; `Erro` `201` (missing field, `errorDetail` naming them, comma-separated), `203` (malformed field, named; the reason in `errorDescription`), `202` (critical message extension), `101` (`messageType` not `AReq`), `102` (`messageVersion` not 2.1.0/2.2.0/2.3.1, outside the card range's ACS versions, or 2.1.0 with the `I` card), `203` "Unknown threeDSServerTransID" (not from `/preauth`, expired, or already authenticated \[U\]), `203` `acctNumber` (not the `/preauth` number \[U\]), `203` `threeDSCompInd` (does not fit the 3DS Method, see below \[U\]), `405` "Unable to contact Directory Server" / "Connection timeout" for the DS-timeout card after [`ds_timeout`](ThreeDSecureIoSimConfig::ds_timeout) |
//! | `POST /postauth` `{threeDSServerTransID}` | the RReq of a finished challenge (again on every call, for `result_ttl` after the challenge ended); `Erro` `203` "Unknown threeDSServerTransID" (unknown, no ARes, frictionless \[U\], or expired — the provider's answer), `403` Transient System Failure while the challenge has not ended \[U: a simulator choice of code\] |
//!
//! `Erro` messages carry the request's `messageVersion` when it is a supported one (else
//! 2.2.0), the `threeDSServerTransID` when the request named a valid one, the ACS and DS ids
//! once known, `errorComponent` `S` (3DS Server; `A` on the ACS pages) and `errorMessageType`
//! `AReq` on `/auth`, `RReq` on `/postauth` \[U\] (none on `/preauth`, as in the provider's
//! example).
//!
//! # Behaviour
//!
//! - Test cards ([`cards`], reference §10): the last four digits choose the ACS versions, the
//!   3DS Method (present, missing, never completing), the ARes (`Y`, `N`, `A`, `R`, `I`, `U`, DS
//!   timeout, `C`) and the challenge (passes by itself, fails by itself, manual). The directory
//!   servers support 2.1.0, 2.2.0 and 2.3.1. `scheme` comes from the BIN
//!   ([`cards::scheme_for`]); the directory server is the `/preauth` `ds` when given, else the
//!   scheme.
//! - A `threeDSServerTransID` is good for one `/auth` within
//!   [`transaction_ttl`](ThreeDSecureIoSimConfig::transaction_ttl) (80 s, the provider's limit
//!   for browser authentications) of its `/preauth`; the AReq's `acctNumber` must be the
//!   `/preauth` one (the provider's sandbox asks for the same number). An `Erro` does not use
//!   the transaction up \[U\]. An app authentication too needs its `/preauth` and the same
//!   limit \[simulator choice: the provider makes `/preauth` optional for apps\].
//! - The AReq is checked against the tables: the required fields for the version, channel and
//!   message category (conditional fields whose condition is plain included: browser details
//!   with JavaScript, purchase fields for payments and recurring or instalment
//!   authentications, sources of status fields, 2.3.1's SDK type), and the format of every
//!   constrained field present (type, enum, pattern, lengths, dates, URLs, UUID, IP, e-mail,
//!   the SDK's fields). Unknown fields are ignored (the provider's own example AReq carries
//!   one). The browser (`deviceChannel` `02`) and app (`01`) channels are simulated; `03`
//!   (3RI) is `203`. See [App channel](#app-channel) for what an app AReq needs.
//! - `threeDSCompInd` (browser only; not checked for an app) must fit the card's 3DS Method when
//!   [`check_three_ds_comp_ind`](ThreeDSecureIoSimConfig::check_three_ds_comp_ind) is on (the
//!   default): `U` without a method URL; with one, `Y` only after the method page completed for
//!   this transaction, `N` otherwise (always `N` for the card whose method never completes).
//! - ARes (the version's table): `acsTransID`, `dsTransID` (new UUIDs), `acsReferenceNumber`,
//!   `acsOperatorID`, `dsReferenceNumber`, `transStatus`; frictionless: `eci` (Mastercard `02` Y,
//!   `01` A, `00` otherwise; every other DS `05`, `06`, `07` \[U\]), `authenticationValue` (28
//!   Base64 characters, random) for `Y` and `A`, `transStatusReason` for `N` (`01`), `R` (`12`),
//!   `U` (`14`) \[U: reasons\]; challenge: `acsURL` (the simulator's challenge page),
//!   `acsChallengeMandated` `N`, `authenticationType` `01` (2.3.1: `authenticationMethod`
//!   `["01"]`, which replaced it).
//! - Challenge: `creq` must decode (Base64-URL, padded or not) to a CReq per the table
//!   (`messageType` `CReq`, `messageVersion` the ARes's, `threeDSServerTransID` and `acsTransID`
//!   of this transaction, `challengeWindowSize` `01`–`05`); `threeDSSessionData` (optional, at
//!   most 1024 Base64-URL characters) is echoed back. The final CRes is `acsCounterAtoS` `000`,
//!   `acsTransID`, `challengeCompletionInd` `Y`, `messageType` `CRes`, `messageVersion`,
//!   `threeDSServerTransID`, `transStatus` `Y`/`N`, posted as `cres` (Base64-URL without
//!   padding) to the AReq's `notificationURL`. The RReq reaches the 3DS Server when the
//!   challenge ends: `transStatus`, `eci`, `authenticationValue` for `Y`, `dsTransID`,
//!   `acsTransID`, `messageVersion`, `messageCategory`, `interactionCounter` `01`,
//!   `authenticationType` `01` (2.3.1 `authenticationMethod`), `transStatusReason` `01` for `N`.
//!   The provider's 30-second limit to open the challenge and its 10-minute interaction limit
//!   are not simulated.
//! - The simulator serves plain HTTP, so `threeDSMethodURL` and `acsURL` are `http` URLs, where
//!   the 2.3.1 ARes table asks for https (`urlHttps`); likewise the AReq's `notificationURL`
//!   and `threeDSRequestorURL` may be `http` in every version \[simulator choice, for local
//!   tests\].
//! - Faults ([`crate::Fault`]) apply to the API routes only: `Status` answers an `Erro` body
//!   (`403` for 5xx, `103` for 429, `101` for other 4xx \[U\]; 401 is `Invalid API Key`),
//!   `Delay` and `DropConnection` as in every simulator. The ACS pages and helpers are never
//!   faulted nor counted.
//! - Counters: `requests` counts API requests; the money counters stay at zero (nothing is
//!   authorized). [`ThreeDSecureIoSim::activity`] counts CRDs, ARes, completed 3DS Methods,
//!   finished challenges (browser and app), RReqs answered and `Erro`s.
//!
//! # App channel
//!
//! - AReq (`deviceChannel` `01`): the tables' app fields instead of the browser's —
//!   `sdkAppID` and `sdkTransID` (UUIDs), `sdkEncData` (at most 64000 characters; not
//!   decrypted), `sdkEphemPubKey` (a JSON object, at most 256 characters as text),
//!   `sdkMaxTimeout` (`05`–`99`), `sdkReferenceNumber` (at most 32), `deviceRenderOptions`
//!   (`sdkInterface` `01`–`03` and a non-empty `sdkUiType` of `01`–`07`, both required \[U: the
//!   table marks them optional inside the object; EMV requires them\]); in 2.3.1 also `sdkType`
//!   with `defaultSdkType` (`01`) or `splitSdkType` and `sdkServerSignedContent` (`02`). The
//!   browser's `threeDSCompInd`, `notificationURL`, `browser*` and `acceptLanguage` are not
//!   required. An `Erro` about an app AReq names its `sdkTransID`.
//! - ARes: the card's outcome as for a browser, with `sdkTransID` echoed and
//!   `acsSignedContent` in every app ARes (the tables require it for `01`); 2.3.1 adds
//!   `threeDSRequestorAppURLInd` `N` and `deviceInfoRecognisedVersion` `1.5` \[U: values\]. For
//!   `C`: no `acsURL`, `acsRenderingType` `{acsInterface "01", acsUiTemplate "01"}` (a native
//!   text challenge, whatever the SDK offers \[U\]).
//! - `acsSignedContent` is a compact JWS, `base64url(header).base64url(payload).signature`:
//!   header `{"alg": "PS256"}`, payload `{acsTransID, acsRefNumber, acsURL (the app challenge
//!   endpoint, only for C), acsEphemPubKey (a fixed EC P-256 key,
//!   [`acs_ephemeral_public_key`]), sdkEphemPubKey (the AReq's)}`. **It is not signed**: the
//!   signature is a fixed placeholder and there is no `x5c` — no directory server's key stands
//!   behind the simulated ACS. A real 3DS SDK verifies the signature with its directory
//!   server's certificate and would refuse it; a test's SDK reads the payload unverified.
//! - The challenge: a real SDK and ACS exchange JWE-encrypted CReq and CRes; **the simulator
//!   takes and answers plain JSON**. `POST <acsURL>` ([`APP_CHALLENGE_PATH`]) with the CReq
//!   `{messageType "CReq", messageVersion, threeDSServerTransID, acsTransID, sdkTransID,
//!   sdkCounterStoA}` (`000` for the SDK's first CReq, then `001`, …) and optionally
//!   `challengeDataEntry` or `challengeCancel`. A challenge that ends by itself answers the
//!   first CReq with the final CRes (`challengeCompletionInd` `Y`, `transStatus`). The manual
//!   card answers it with the challenge screen (`acsUiType` `01`, `challengeInfoText`,
//!   `challengeCompletionInd` `N`); the next CReq's `challengeDataEntry` passes with
//!   [`APP_CHALLENGE_CODE`] (`Y`) and fails with any other code (`N`). `challengeCancel` ends
//!   any challenge with `N`. The final CRes (`acsCounterAtoS` counting the ACS's answers,
//!   `sdkTransID`) ends the challenge as a browser's does: the RReq reaches the 3DS Server and
//!   `/postauth` answers it, with `sdkTransID` (2.2.0 on), `acsRenderingType` and the
//!   `challengeCancel` received. Until then `/postauth` answers as for a browser (`403`).
//!   Refusals are `Erro` JSON (component `A`, `errorMessageType` `CReq`): 400 for a body that is
//!   not a JSON object (`101`), a missing (`201`), malformed or mismatched field (`203`: another
//!   `sdkTransID` or version, `sdkCounterStoA` out of step, `challengeDataEntry` before the
//!   screen) or an unknown `acsTransID` (`301`); 409 when there is no open app challenge (a
//!   browser's transaction, frictionless, already ended) \[U: the provider ACS's answers\]. The
//!   browser challenge page and its buttons refuse an app transaction (409).
//!
//! # ACS pages and helpers (`/sim/...`: no API key, not counted, never faulted)
//!
//! - `POST /sim/acs/3ds-method` ([`METHOD_PATH`], the CRD's `threeDSMethodURL`), form
//!   `threeDSMethodData` = Base64-URL of `{threeDSServerTransID, threeDSMethodNotificationURL}`
//!   (padded or not): records the method and answers an HTML page that auto-posts
//!   `threeDSMethodData` (Base64-URL of `{threeDSServerTransID}`) to the notification URL; for
//!   the method-timeout card, a page that never posts. 400 malformed, 404 unknown transaction,
//!   409 for a range without a method.
//! - `POST /sim/acs/challenge` ([`CHALLENGE_PATH`], the ARes's `acsURL`), form `creq` and
//!   `threeDSSessionData`: an auto-posting page with `cres` and `threeDSSessionData` for the
//!   cards whose challenge ends by itself; for the manual card a page with two buttons, a plain
//!   form posting `decision=approve` or `decision=fail` to
//!   `POST /sim/acs/challenge/{acsTransID}`, which answers the auto-posting page. Refusals show
//!   the `Erro` they stand for (component `A`) in the page: 400 for a missing, malformed or
//!   mismatched CReq (or an unknown `acsTransID`) or session data, 404 for an unknown
//!   `acsTransID` on the buttons' path, 409 when there is no open challenge (frictionless, already
//!   ended, or the buttons pressed before the CReq) \[U: how the provider's ACS shows them\].
//! - `POST /sim/acs/app-challenge` ([`APP_CHALLENGE_PATH`]): the app challenge (above).
//! - `GET /sim/transactions/{threeDSServerTransID}` ([`TRANSACTIONS_PATH`]): the
//!   [`TransactionRecord`] as JSON — the `/preauth` request and CRD, the 3DS Method, the AReq as
//!   received, the ARes, the CReq, the CRes, an app challenge's every CReq and CRes, the RReq
//!   and every `Erro` — so tests can check what reached the 3DS Server; 404 when unknown. The
//!   same is [`ThreeDSecureIoSim::transaction`].
//!
//! [`AutoPostForm`] reads the forms of these pages back, and [`base64url_json`] /
//! [`decode_base64url_json`] build and read `threeDSMethodData`, `creq` and `cres`.
//!
//! Not simulated: the 3RI (`03`) channel, decoupled authentication (`D`), 2.3.1's SPC (`S`),
//! the provider's results callback, the app channel's encryption and signatures (above).

mod acs;
mod app;
pub mod cards;
mod handlers;
mod state;
mod validate;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::control::{self, lock, ServeOptions, SimulatorHandle};

pub use acs::{base64url_json, decode_base64url_json, AutoPostForm};
pub use app::{acs_ephemeral_public_key, APP_CHALLENGE_CODE};

/// The ACS's 3DS Method page (`threeDSMethodURL`).
pub const METHOD_PATH: &str = "/sim/acs/3ds-method";
/// The ACS's challenge page (`acsURL`); the manual challenge's buttons post to
/// `{CHALLENGE_PATH}/{acsTransID}`.
pub const CHALLENGE_PATH: &str = "/sim/acs/challenge";
/// The ACS's app challenge endpoint: the `acsURL` in an app ARes's `acsSignedContent`, where a
/// 3DS SDK posts its CReqs (plain JSON here).
pub const APP_CHALLENGE_PATH: &str = "/sim/acs/app-challenge";
/// The transaction records: `GET {TRANSACTIONS_PATH}/{threeDSServerTransID}`.
pub const TRANSACTIONS_PATH: &str = "/sim/transactions";

/// The simulator's key and clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreeDSecureIoSimConfig {
    /// The only accepted `APIKey` header (the provider's keys are UUIDs).
    pub api_key: String,
    /// How long `/auth` waits before answering `Erro` `405` for the DS-timeout card (the
    /// provider gives up after 10 s).
    pub ds_timeout: Duration,
    /// How long after `/preauth` its `threeDSServerTransID` can be authenticated (the
    /// provider's 80 s for browser authentications).
    pub transaction_ttl: Duration,
    /// How long after a challenge ends `/postauth` answers its RReq (the provider's 300 s).
    pub result_ttl: Duration,
    /// Whether `/auth` checks `threeDSCompInd` against the card's 3DS Method \[U\].
    pub check_three_ds_comp_ind: bool,
    /// The HTTP status of `Erro` answers (but a malformed body's, always 400) \[U\].
    pub erro_http_status: u16,
    /// Cards outside the provider's table answered like one of its test cards: `(number,
    /// test card)`. Not the provider's: it lets a simulated 3DS server authenticate a
    /// processor simulator's own test cards (Stripe's test mode takes no others), which no
    /// pair of real sandboxes allows. See [`cards::PROCESSOR_TEST_CARDS`].
    pub card_aliases: Vec<(String, String)>,
}

impl Default for ThreeDSecureIoSimConfig {
    /// API key `5a0f7e2c-3d1b-4c8e-9f6a-2b7d4e1c0a93`, DS timeout 2 s, transactions 80 s,
    /// results 300 s, `threeDSCompInd` checked, `Erro` with HTTP 200, no card aliases.
    fn default() -> Self {
        ThreeDSecureIoSimConfig {
            api_key: "5a0f7e2c-3d1b-4c8e-9f6a-2b7d4e1c0a93".to_owned(),
            ds_timeout: Duration::from_secs(2),
            transaction_ttl: Duration::from_secs(80),
            result_ttl: Duration::from_secs(300),
            check_three_ds_comp_ind: true,
            erro_http_status: 200,
            card_aliases: Vec::new(),
        }
    }
}

/// The simulator's activity counters (API requests are in
/// [`SimulatorHandle::counters`]`().requests`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivitySnapshot {
    /// CRDs answered by `/preauth`.
    pub preauth: u64,
    /// ARes answered by `/auth`.
    pub auth: u64,
    /// 3DS Methods completed (the page posted back).
    pub methods: u64,
    /// Challenges ended (CRes and RReq made).
    pub challenges: u64,
    /// RReqs answered by `/postauth`.
    pub postauth: u64,
    /// `Erro` messages answered by the API routes.
    pub errors: u64,
}

/// Everything that happened to one `threeDSServerTransID`, as the simulator received and
/// answered it. Serialised (camelCase) by `GET /sim/transactions/{threeDSServerTransID}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRecord {
    /// The transaction's id.
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: String,
    /// The `/preauth` account number.
    pub acct_number: String,
    /// The CRD's `scheme`.
    pub scheme: String,
    /// The directory server (the `/preauth` `ds`, else the scheme).
    pub ds: String,
    /// The `/preauth` request body.
    pub preauth: Value,
    /// The CRD answered.
    pub crd: Value,
    /// Whether the 3DS Method page was opened for this transaction.
    pub method_invoked: bool,
    /// Whether the 3DS Method completed (its page posted back).
    pub method_completed: bool,
    /// The `threeDSMethodNotificationURL` the page was given.
    pub method_notification_url: Option<String>,
    /// The AReq answered with [`ares`](Self::ares), exactly as received; before an ARes, the
    /// last AReq naming this transaction (whatever `Erro` it got).
    pub areq: Option<Value>,
    /// The ARes answered.
    pub ares: Option<Value>,
    /// The CReq posted to the challenge page (an app's first CReq).
    pub creq: Option<Value>,
    /// The `threeDSSessionData` posted with the CReq.
    pub three_ds_session_data: Option<String>,
    /// The final CRes.
    pub cres: Option<Value>,
    /// An app challenge's messages, in order: every CReq the 3DS SDK posted and every CRes the
    /// ACS answered (the first CReq is also [`creq`](Self::creq), the final CRes
    /// [`cres`](Self::cres)); empty for a browser.
    pub app_challenge: Vec<Value>,
    /// The RReq (the result `/postauth` answers).
    pub rreq: Option<Value>,
    /// How many times `/postauth` answered the RReq.
    pub postauth_calls: u32,
    /// Every `Erro` answered about this transaction, in order.
    pub errors: Vec<Value>,
}

/// The running simulator: the shared [`SimulatorHandle`] (faults, counters, base URL; also
/// through `Deref`) and the simulator's own records. Cheap to clone.
#[derive(Clone)]
pub struct ThreeDSecureIoSim {
    handle: SimulatorHandle,
    sim: Arc<handlers::Sim>,
}

impl Deref for ThreeDSecureIoSim {
    type Target = SimulatorHandle;

    fn deref(&self) -> &SimulatorHandle {
        &self.handle
    }
}

impl ThreeDSecureIoSim {
    /// The shared handle (for code that takes any simulator's).
    pub fn handle(&self) -> SimulatorHandle {
        self.handle.clone()
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &ThreeDSecureIoSimConfig {
        &self.sim.config
    }

    /// The ACS's 3DS Method page, the `threeDSMethodURL` of the CRDs.
    pub fn method_url(&self) -> Url {
        self.sim.method_url()
    }

    /// The ACS's challenge page, the `acsURL` of the ARes.
    pub fn challenge_url(&self) -> Url {
        self.sim.challenge_url()
    }

    /// The ACS's app challenge endpoint, the `acsURL` of an app's `acsSignedContent`.
    pub fn app_challenge_url(&self) -> Url {
        self.sim.app_challenge_url()
    }

    /// The record of transaction `three_ds_server_trans_id`, as
    /// `GET /sim/transactions/{id}` shows it.
    pub fn transaction(&self, three_ds_server_trans_id: &str) -> Option<TransactionRecord> {
        lock(&self.sim.state)
            .transactions
            .get(three_ds_server_trans_id)
            .map(state::Transaction::record)
    }

    /// Every transaction's record, oldest first.
    pub fn transactions(&self) -> Vec<TransactionRecord> {
        let state = lock(&self.sim.state);
        state
            .order
            .iter()
            .filter_map(|id| state.transactions.get(id))
            .map(state::Transaction::record)
            .collect()
    }

    /// The activity counters now.
    pub fn activity(&self) -> ActivitySnapshot {
        lock(&self.sim.state).activity
    }

    /// Stops the simulator (see [`SimulatorHandle::shutdown`]).
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: ThreeDSecureIoSimConfig) -> std::io::Result<ThreeDSecureIoSim> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    config: ThreeDSecureIoSimConfig,
) -> std::io::Result<ThreeDSecureIoSim> {
    let options = ServeOptions {
        idempotency: None,
        fault_response: handlers::fault_response,
        webhook_target: None,
    };
    let mut built = None;
    let handle = control::start(addr, options, |control| {
        let sim = Arc::new(handlers::Sim {
            config,
            control,
            state: Mutex::default(),
        });
        built = Some(sim.clone());
        handlers::router(sim)
    })
    .await?;
    match built {
        Some(sim) => Ok(ThreeDSecureIoSim { handle, sim }),
        None => Err(std::io::Error::other(
            "the simulator's router was not built",
        )),
    }
}
