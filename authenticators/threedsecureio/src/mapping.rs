//! From 3dsecure.io's answers to the unified vocabulary: the card range and its protocol
//! version, the ARes and RReq outcomes, and `Erro` messages as typed errors.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use paybridge_core::authentication::{
    AuthenticationResponse, AuthenticationValue, CardRange, Challenge, PreAuthenticationResponse,
    ThreeDsMethod, TransStatus,
};
use paybridge_core::http::HttpResponse;
use paybridge_core::masking::mask_pans;
use paybridge_core::url::Url;
use paybridge_core::{ConnectorError, ProcessorMessage, RejectionKind};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::wire;

/// The three calls, each answered by its own message type (or `Erro`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `/preauth` → `CRD`.
    PreAuth,
    /// `/auth` → `ARes`.
    Auth,
    /// `/postauth` → `RReq`.
    PostAuth,
}

impl Call {
    /// The message type of a successful answer.
    pub fn message_type(self) -> &'static str {
        match self {
            Call::PreAuth => "CRD",
            Call::Auth => "ARes",
            Call::PostAuth => "RReq",
        }
    }
}

/// An EMV 3DS protocol version (`2.2.0`), ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u16, u16, u16);

impl Version {
    /// 2.1.0
    pub const V210: Version = Version(2, 1, 0);
    /// 2.2.0
    pub const V220: Version = Version(2, 2, 0);
    /// 2.3.1
    pub const V231: Version = Version(2, 3, 1);

    /// `major.minor.patch`, digits only.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.').map(|p| {
            (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u16>().ok())
                .flatten()
        });
        let version = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The versions 3dsecure.io supports ("2.1.0, 2.2.0, 2.3.1", `server-information.rst`), used
/// when a CRD does not list `threeDSServerProtocolVersions`.
const SERVER_VERSIONS: [Version; 3] = [Version::V210, Version::V220, Version::V231];

/// The JSON of `value`, base64url without padding (`threeDSMethodData`, `creq`).
pub fn base64url_json(value: &impl Serialize) -> Result<String, ConnectorError> {
    let json = serde_json::to_vec(value)
        .map_err(|e| ConnectorError::invalid("body", format!("cannot serialize: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// An answer that could not be understood. Authentication moves no money, so never an unknown
/// outcome.
fn invalid(status: u16, message: impl fmt::Display) -> ConnectorError {
    ConnectorError::invalid_response(status, message).for_read()
}

/// A short plain-text body (the 401's `Invalid API Key`), with anything like a card number
/// masked; `None` for an empty or long one (an HTML error page).
fn short_text(resp: &HttpResponse) -> Option<String> {
    let text = std::str::from_utf8(&resp.body).ok()?.trim();
    (!text.is_empty() && text.len() <= 200 && !text.contains('\n')).then(|| mask_pans(text))
}

/// What one call was answered with.
pub enum Answer<T> {
    /// The call's own message.
    Message(T),
    /// An `Erro` message (3dsecure.io sends them with or without a non-200 status).
    Erro(wire::Erro),
}

/// Reads an answer: `call`'s message, an `Erro`, or an error for anything else (401, a non-JSON
/// body, another status, another message type).
pub fn read<T: DeserializeOwned>(
    resp: &HttpResponse,
    call: Call,
) -> Result<Answer<T>, ConnectorError> {
    if resp.status == 401 {
        // `text/plain` `Invalid API Key` (server-information.rst).
        return Err(ConnectorError::Authentication(ProcessorMessage {
            http_status: Some(401),
            message: short_text(resp),
            ..ProcessorMessage::default()
        }));
    }
    let Ok(value) = serde_json::from_slice::<Value>(&resp.body) else {
        if resp.is_success() {
            return Err(invalid(
                resp.status,
                format!("the {} is not JSON", call.message_type()),
            ));
        }
        let detail = ProcessorMessage {
            message: short_text(resp),
            ..ProcessorMessage::default()
        };
        return Err(resp.error(detail).for_read());
    };
    let message_type = value.get("messageType").and_then(Value::as_str);
    if message_type == Some("Erro") {
        return Ok(Answer::Erro(
            serde_json::from_value(value).unwrap_or_default(),
        ));
    }
    if !resp.is_success() {
        return Err(resp.error(ProcessorMessage::default()).for_read());
    }
    if message_type != Some(call.message_type()) {
        return Err(invalid(
            resp.status,
            format!("expected messageType {}", call.message_type()),
        ));
    }
    serde_json::from_value(value)
        .map(Answer::Message)
        .map_err(|_| {
            invalid(
                resp.status,
                format!(
                    "the {} has fields of undocumented types",
                    call.message_type()
                ),
            )
        })
}

/// An `Erro` as a typed error (`errorCode` values from `erro_220.html`): the message format or
/// content → `Rejected { Validation }`; an unknown or expired transaction (`301`, and `203` on
/// `/postauth`, which 3dsecure.io documents as "Unknown threeDSServerTransID") →
/// `Rejected { NotFound }`; `303` access denied → `Rejected { Forbidden }`; timeouts and system
/// failures (`402`–`405`, `405` being the DS timeout on `/auth`) → `Processor`. None is an
/// unknown outcome.
pub fn erro(erro: wire::Erro, status: u16, call: Call) -> ConnectorError {
    let code = erro.error_code.unwrap_or_default();
    let text = [erro.error_description, erro.error_detail]
        .into_iter()
        .flatten()
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let component = erro
        .error_component
        .filter(|c| c.len() == 1)
        .map(|c| format!("(component {c}) "))
        .unwrap_or_default();
    let detail = ProcessorMessage {
        http_status: Some(status),
        codes: (!code.is_empty())
            .then(|| code.clone())
            .into_iter()
            .collect(),
        message: Some(mask_pans(&format!("{component}{text}"))).filter(|m| !m.is_empty()),
        request_id: erro.server_trans_id,
    };
    let rejected = |kind| ConnectorError::Rejected {
        kind,
        detail: detail.clone(),
    };
    match code.as_str() {
        "301" => rejected(RejectionKind::NotFound),
        "203" if call == Call::PostAuth => rejected(RejectionKind::NotFound),
        "303" => rejected(RejectionKind::Forbidden),
        "402" | "403" | "404" | "405" => ConnectorError::Processor {
            detail,
            outcome_unknown: false,
        },
        _ if status >= 500 => ConnectorError::Processor {
            detail,
            outcome_unknown: false,
        },
        _ => rejected(RejectionKind::Validation),
    }
}

/// The EMV `format uuid`: 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Which versions one party supports: a list (`dsProtocolVersions`, `acsProtocolVersions`,
/// `threeDSServerProtocolVersions`) or a start–end range.
enum Support {
    List(Vec<Version>),
    Range(Version, Version),
}

impl Support {
    fn accepts(&self, version: Version) -> bool {
        match self {
            Support::List(list) => list.contains(&version),
            Support::Range(start, end) => (*start..=*end).contains(&version),
        }
    }

    /// The list when given (it may leave versions out of the range), else the range.
    fn of(
        list: Option<Vec<Version>>,
        start: Option<&str>,
        end: Option<&str>,
        party: &str,
    ) -> Result<Support, String> {
        if let Some(list) = list.filter(|l| !l.is_empty()) {
            return Ok(Support::List(list));
        }
        let parse = |v: Option<&str>, which| {
            v.and_then(Version::parse).ok_or_else(|| {
                format!(
                    "the CRD has no {party}ProtocolVersions and no valid \
                     {party}{which}ProtocolVersion"
                )
            })
        };
        Ok(Support::Range(parse(start, "Start")?, parse(end, "End")?))
    }
}

fn versions(list: impl IntoIterator<Item = Option<String>>) -> Vec<Version> {
    // A version this crate cannot read (a later format) is one it cannot send either.
    list.into_iter()
        .flatten()
        .filter_map(|v| Version::parse(&v))
        .collect()
}

/// The highest of `ours` that the 3DS server, the DS and the ACS all support, or `None`.
fn negotiate(crd: &wire::Crd, ours: &[Version]) -> Result<Option<Version>, String> {
    let server = match &crd.server_protocol_versions {
        Some(list) if !list.is_empty() => versions(list.iter().cloned().map(Some)),
        _ => SERVER_VERSIONS.to_vec(),
    };
    let ds = Support::of(
        crd.ds_protocol_versions
            .as_ref()
            .map(|l| versions(l.iter().cloned().map(Some))),
        crd.ds_start_protocol_version.as_deref(),
        crd.ds_end_protocol_version.as_deref(),
        "ds",
    )?;
    let acs = Support::of(
        crd.acs_protocol_versions
            .as_ref()
            .map(|l| versions(l.iter().map(|e| e.version.clone()))),
        crd.acs_start_protocol_version.as_deref(),
        crd.acs_end_protocol_version.as_deref(),
        "acs",
    )?;
    Ok(ours
        .iter()
        .copied()
        .filter(|v| server.contains(v) && ds.accepts(*v) && acs.accepts(*v))
        .max())
}

fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Reads the answer to `/preauth`: the card range with the negotiated version and the 3DS
/// Method, `NotEnrolled` for `Erro` `305` ("No CRD found") and for a range whose versions this
/// translator shares with none of the parties.
pub fn card_range(
    resp: &HttpResponse,
    ours: &[Version],
    notification_url: &Url,
) -> Result<PreAuthenticationResponse, ConnectorError> {
    let crd: wire::Crd = match read(resp, Call::PreAuth)? {
        Answer::Message(crd) => crd,
        Answer::Erro(e) if e.error_code.as_deref() == Some("305") => {
            return Ok(PreAuthenticationResponse::NotEnrolled)
        }
        Answer::Erro(e) => return Err(erro(e, resp.status, Call::PreAuth)),
    };
    let bad = |message: &str| invalid(resp.status, message);
    let trans_id = present(crd.server_trans_id.clone())
        .ok_or_else(|| bad("the CRD has no threeDSServerTransID"))?;
    if !is_uuid(&trans_id) {
        return Err(bad("the CRD's threeDSServerTransID is not a UUID"));
    }
    let scheme = present(crd.scheme.clone()).ok_or_else(|| bad("the CRD has no scheme"))?;
    let Some(version) = negotiate(&crd, ours).map_err(|m| bad(&m))? else {
        return Ok(PreAuthenticationResponse::NotEnrolled);
    };
    // The chosen version's own method URL when the ACS lists its versions, else the range's.
    let per_version = crd
        .acs_protocol_versions
        .iter()
        .flatten()
        .find(|e| e.version.as_deref().and_then(Version::parse) == Some(version));
    let method_url = per_version
        .and_then(|e| present(e.method_url.clone()))
        .or_else(|| present(crd.method_url.clone()));
    let method = match method_url {
        None => None,
        Some(url) => {
            let url =
                Url::parse(&url).map_err(|_| bad("the CRD's threeDSMethodURL is not a URL"))?;
            let data = base64url_json(&wire::MethodData {
                server_trans_id: &trans_id,
                notification_url: notification_url.as_str(),
            })?;
            Some(ThreeDsMethod { url, data })
        }
    };
    Ok(PreAuthenticationResponse::Enrolled(CardRange {
        server_transaction_id: trans_id,
        message_version: version.to_string(),
        directory_server: scheme,
        method,
    }))
}

/// The statuses an RReq may carry (`rreq_220.html`, `rreq_231.html`).
const RREQ_STATUSES: [TransStatus; 5] = [
    TransStatus::Authenticated,
    TransStatus::NotAuthenticated,
    TransStatus::Unavailable,
    TransStatus::Attempted,
    TransStatus::Rejected,
];

/// The CReq's `challengeWindowSize`: `05`, full screen (the challenge page is the router's
/// whole window or iframe).
pub const CHALLENGE_WINDOW_SIZE: &str = "05";

/// `acsSignedContent`'s pattern in `ares_*.html`,
/// `^[A-Za-z0-9-_]+\.[A-Za-z0-9-_]+\.[A-Za-z0-9-_]+$`: a JWS in compact serialization, three
/// non-empty base64url parts joined by dots.
pub fn is_compact_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && crate::areq::base64url(p))
}

/// `acsSignedContent`'s maximum length in the 2.3.1 table (the 2.1.0 and 2.2.0 tables give
/// none).
const ACS_SIGNED_CONTENT_MAX_231: usize = 16_000;

/// `acsReferenceNumber`'s maximum length (`ares_*.html`).
const ACS_REFERENCE_NUMBER_MAX: usize = 32;

/// What the answer is checked against: the 3DS server's transaction id, and for an app's ARes
/// the SDK's (`None` for a browser's ARes and for an RReq, whose channel the result request
/// does not say).
#[derive(Debug, Clone)]
pub struct Expected {
    /// `threeDSServerTransID`.
    pub server_trans_id: String,
    /// `sdkTransID`, for an app's ARes.
    pub app_sdk_trans_id: Option<String>,
}

/// Reads an ARes (`/auth`) or an RReq (`/postauth`) for the transaction `expected`, checking the
/// conditions of the provider's tables: a documented `transStatus` (the RReq's five), an
/// `authenticationValue` with `Y` and `A`, the required ids; with `C`, in a browser an `acsURL`
/// (the CReq is built), in an app `acsSignedContent` and `acsReferenceNumber` (the SDK runs the
/// challenge: no CReq). `acsSignedContent` and `acsReferenceNumber` are read whenever present,
/// and checked against their patterns and lengths.
pub fn outcome(
    resp: &HttpResponse,
    call: Call,
    expected: &Expected,
) -> Result<AuthenticationResponse, ConnectorError> {
    let server_trans_id = expected.server_trans_id.as_str();
    let answer: wire::Outcome = match read(resp, call)? {
        Answer::Message(answer) => answer,
        Answer::Erro(e) => return Err(erro(e, resp.status, call)),
    };
    let what = call.message_type();
    let bad = |message: String| invalid(resp.status, format!("the {what} {message}"));
    let required = |value: Option<String>, field: &str| {
        present(value).ok_or_else(|| bad(format!("has no {field}")))
    };
    let code = required(answer.trans_status, "transStatus")?;
    let status = TransStatus::from_code(&code)
        .filter(|s| call != Call::PostAuth || RREQ_STATUSES.contains(s))
        .ok_or_else(|| {
            // One letter is shown; anything longer is not a status, and is not repeated.
            let shown = if code.len() == 1 { code.as_str() } else { "?" };
            bad(format!("has an undocumented transStatus {shown:?}"))
        })?;
    let answered = required(answer.server_trans_id, "threeDSServerTransID")?;
    if answered != server_trans_id {
        return Err(bad("answers another threeDSServerTransID".into()));
    }
    let app = expected.app_sdk_trans_id.as_deref();
    if let (Some(ours), Some(theirs)) = (app, present(answer.sdk_trans_id)) {
        if theirs != ours {
            return Err(bad("answers another sdkTransID".into()));
        }
    }
    let ds_transaction_id = required(answer.ds_trans_id, "dsTransID")?;
    let acs_transaction_id = required(answer.acs_trans_id, "acsTransID")?;
    let message_version = required(answer.message_version, "messageVersion")?;
    let authentication_value = match present(answer.authentication_value) {
        None => None,
        Some(value) => Some(AuthenticationValue::new(&value).map_err(|_| {
            bad("has an authenticationValue that is not 26 to 28 base64 characters".into())
        })?),
    };
    if status.authenticated() && authentication_value.is_none() {
        return Err(bad(format!("says {status} without an authenticationValue")));
    }
    let eci = present(answer.eci);
    if eci.as_deref().is_some_and(|e| e.chars().count() > 2) {
        return Err(bad("has an eci longer than 2 characters".into()));
    }
    let acs_signed_content = present(answer.acs_signed_content);
    if let Some(jws) = &acs_signed_content {
        // Not repeated in the message: a JWS of up to 16000 characters.
        if !is_compact_jws(jws) {
            return Err(bad(
                "has an acsSignedContent that is not a JWS (three base64url parts joined by dots)"
                    .into(),
            ));
        }
        let v231 = Version::parse(&message_version).is_some_and(|v| v >= Version::V231);
        if v231 && jws.len() > ACS_SIGNED_CONTENT_MAX_231 {
            return Err(bad(format!(
                "has an acsSignedContent longer than {ACS_SIGNED_CONTENT_MAX_231} characters"
            )));
        }
    }
    let acs_reference_number = present(answer.acs_reference_number);
    if acs_reference_number
        .as_deref()
        .is_some_and(|r| r.chars().count() > ACS_REFERENCE_NUMBER_MAX)
    {
        return Err(bad(format!(
            "has an acsReferenceNumber longer than {ACS_REFERENCE_NUMBER_MAX} characters"
        )));
    }
    let challenge = match (status, app) {
        // An app's SDK runs the challenge with the ACS's signed content: nothing to post.
        (TransStatus::ChallengeRequired, Some(_)) => {
            if acs_signed_content.is_none() {
                return Err(bad(
                    "has no acsSignedContent (transStatus C in an app: the SDK's challenge \
                     needs it)"
                        .into(),
                ));
            }
            if acs_reference_number.is_none() {
                return Err(bad(
                    "has no acsReferenceNumber (transStatus C in an app: the SDK's challenge \
                     needs it)"
                        .into(),
                ));
            }
            None
        }
        (TransStatus::ChallengeRequired, None) => {
            let acs_url = required(answer.acs_url, "acsURL (transStatus C)")?;
            let acs_url =
                Url::parse(&acs_url).map_err(|_| bad("has an acsURL that is not a URL".into()))?;
            let creq = base64url_json(&wire::CReq {
                server_trans_id,
                acs_trans_id: &acs_transaction_id,
                message_version: &message_version,
                message_type: "CReq",
                challenge_window_size: CHALLENGE_WINDOW_SIZE,
            })?;
            Some(Challenge {
                acs_url,
                creq,
                mandated: answer.acs_challenge_mandated.as_deref() == Some("Y"),
            })
        }
        _ => None,
    };
    Ok(AuthenticationResponse {
        status,
        status_reason: present(answer.trans_status_reason),
        eci,
        authentication_value,
        server_transaction_id: answered,
        ds_transaction_id,
        acs_transaction_id,
        message_version,
        challenge,
        acs_signed_content,
        acs_reference_number,
        cardholder_info: present(answer.cardholder_info),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        assert_eq!(Version::parse("2.2.0"), Some(Version::V220));
        assert_eq!(Version::parse("2.10.0"), Some(Version(2, 10, 0)));
        assert!(Version(2, 10, 0) > Version::V231);
        for bad in ["", "2.2", "2.2.0.1", "2..0", "2.2.x", "v2.2.0", "2.2.0 "] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(Version::V231.to_string(), "2.3.1");
    }

    #[test]
    fn uuids_are_recognised() {
        assert!(is_uuid("6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb"));
        assert!(!is_uuid("6b91f61e-9e62-4f5c-ab8c-f1ffb84122c"));
        assert!(!is_uuid("6b91f61e9e624f5cab8cf1ffb84122cb"));
        assert!(!is_uuid("6b91f61e-9e62-4f5c-ab8c-f1ffb84122cg"));
    }

    #[test]
    fn compact_jws_follow_the_tables_pattern() {
        assert!(is_compact_jws(
            "eyJhbGciOiJQUzI1NiJ9.eyJhY3NVUkwiOiJ4In0.c2ln-_"
        ));
        for bad in [
            "", "a.b", "a.b.c.d", "a..c", "a.b.c=", "a.b.c d", "a.b+.c", ".b.c",
        ] {
            assert!(!is_compact_jws(bad), "{bad}");
        }
    }
}
