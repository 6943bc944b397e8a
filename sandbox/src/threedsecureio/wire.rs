//! The messages the simulator answers, in the shapes of the provider's field tables (CRD 2.2.0,
//! ARes, CRes, RReq and Erro of the transaction's protocol version), for the browser and the
//! app channel.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use url::Url;

use super::cards::{Method, Outcome, TestCard, SUPPORTED_VERSIONS};
use super::validate::Problem;

/// `acsReferenceNumber` and `acsOperatorID` of the simulated ACS (at most 32 characters).
pub(crate) const ACS_REFERENCE: &str = "3dsecureio-sim-acs";
/// `acsInfoInd` of every card range \[U: values\].
const ACS_INFO_IND: [&str; 2] = ["01", "02"];

/// `dsReferenceNumber` of the simulated directory server of `ds`.
pub(crate) fn ds_reference(ds: &str) -> String {
    format!("3dsecureio-sim-ds-{ds}")
}

/// The CRD answering `/preauth` (the `crd_220` table's fields, plus `dsProtocolVersions`,
/// `acsProtocolVersions` and `threeDSServerProtocolVersions`, which the provider added on
/// 2024-09-17 and its tables do not list yet).
pub(crate) fn crd(method_url: &Url, id: &str, card: &TestCard, scheme: &str) -> Value {
    let method_url = (card.method != Method::Missing).then(|| method_url.to_string());
    let acs_versions: Vec<Value> = card
        .versions
        .list()
        .iter()
        .map(|version| {
            let mut entry = json!({"version": version, "acsInfoInd": ACS_INFO_IND});
            if let Some(url) = &method_url {
                entry["threeDSMethodURL"] = json!(url);
            }
            entry
        })
        .collect();
    let mut crd = json!({
        "messageType": "CRD",
        "threeDSServerTransID": id,
        "scheme": scheme,
        "dsStartProtocolVersion": SUPPORTED_VERSIONS[0],
        "dsEndProtocolVersion": SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 1],
        "dsProtocolVersions": SUPPORTED_VERSIONS,
        "acsStartProtocolVersion": card.versions.start(),
        "acsEndProtocolVersion": card.versions.end(),
        "acsProtocolVersions": acs_versions,
        "acsInfoInd": ACS_INFO_IND,
        "threeDSServerProtocolVersions": SUPPORTED_VERSIONS,
    });
    if let Some(url) = method_url {
        crd["threeDSMethodURL"] = json!(url);
    }
    crd
}

/// The ECI for `trans_status` on directory server `ds`: Mastercard `02` (Y), `01` (A), `00`;
/// the others (Visa, Amex, JCB, ProtectBuy, stand-in, …) `05`, `06`, `07` \[U: the provider
/// calls the value "Payment System-specific"; these are the schemes' customary values\].
pub(crate) fn eci(ds: &str, trans_status: &str) -> &'static str {
    match (ds, trans_status) {
        ("mastercard", "Y") => "02",
        ("mastercard", "A") => "01",
        ("mastercard", _) => "00",
        (_, "Y") => "05",
        (_, "A") => "06",
        _ => "07",
    }
}

/// A fresh authentication value (CAVV / AAV): 20 random bytes in standard Base64, 28
/// characters (the tables' `Length: 28`, `^[a-zA-Z0-9+/]{26,28}={0,2}$`).
pub(crate) fn authentication_value() -> String {
    let bytes: Vec<u8> = (0..20).map(|_| fastrand::u8(..)).collect();
    STANDARD.encode(bytes)
}

/// `transStatusReason` for a status that needs one \[U: the simulator's choice of reason\]:
/// `N` `01` (card authentication failed), `R` `12` (transaction not permitted to cardholder),
/// `U` `14` (transaction timed out at the ACS).
pub(crate) fn reason(trans_status: &str) -> Option<&'static str> {
    match trans_status {
        "N" => Some("01"),
        "R" => Some("12"),
        "U" => Some("14"),
        _ => None,
    }
}

/// The ids of one authentication.
pub(crate) struct Ids<'a> {
    pub three_ds_server: &'a str,
    pub acs: &'a str,
    pub ds: &'a str,
}

/// Sets the challenge method: `authenticationType` `01` (static) up to 2.2.0,
/// `authenticationMethod` `["01"]` (static passcode) in 2.3.1, which replaced it.
fn set_method(message: &mut Map<String, Value>, version: &str) {
    if version == "2.3.1" {
        message.insert("authenticationMethod".into(), json!(["01"]));
    } else {
        message.insert("authenticationType".into(), json!("01"));
    }
}

/// `acsRenderingType` of every app challenge: the native UI (`01`) with the text template
/// (`01`) \[U: the simulator presents one kind of challenge, whatever `deviceRenderOptions`
/// lists\].
pub(crate) fn acs_rendering_type() -> Value {
    json!({"acsInterface": "01", "acsUiTemplate": "01"})
}

/// `deviceInfoRecognisedVersion` of a 2.3.1 app ARes: the highest device-information data
/// version the simulated ACS reads \[U: a value of the EMV device-information specification;
/// the simulator reads no device information\].
const DEVICE_INFO_VERSION: &str = "1.5";

/// The channel an ARes answers, with what that channel's ARes carries.
pub(crate) enum AresChannel<'a> {
    /// A browser: `acsURL` (the challenge page) for `C`.
    Browser { acs_url: &'a Url },
    /// An app: `sdkTransID` echoed and `acsSignedContent` in every ARes, `acsRenderingType` for
    /// `C` (no `acsURL`: the SDK finds the ACS in the signed content).
    App {
        sdk_trans_id: &'a str,
        signed_content: &'a str,
    },
}

/// The ARes for `outcome` (never a DS timeout, which is an `Erro`) in `channel`.
pub(crate) fn ares(
    version: &str,
    ids: &Ids<'_>,
    ds: &str,
    outcome: Outcome,
    channel: &AresChannel<'_>,
) -> Value {
    let status = outcome.trans_status().unwrap_or("U");
    let mut ares = Map::new();
    for (key, value) in [
        ("messageType", "ARes"),
        ("messageVersion", version),
        ("threeDSServerTransID", ids.three_ds_server),
        ("acsTransID", ids.acs),
        ("dsTransID", ids.ds),
        ("acsReferenceNumber", ACS_REFERENCE),
        ("acsOperatorID", ACS_REFERENCE),
        ("transStatus", status),
    ] {
        ares.insert(key.into(), json!(value));
    }
    ares.insert("dsReferenceNumber".into(), json!(ds_reference(ds)));
    match outcome {
        Outcome::Challenge(_) => {
            match channel {
                AresChannel::Browser { acs_url } => {
                    ares.insert("acsURL".into(), json!(acs_url.as_str()));
                }
                AresChannel::App { .. } => {
                    ares.insert("acsRenderingType".into(), acs_rendering_type());
                }
            }
            ares.insert("acsChallengeMandated".into(), json!("N"));
            set_method(&mut ares, version);
        }
        _ => {
            ares.insert("eci".into(), json!(eci(ds, status)));
            if matches!(status, "Y" | "A") {
                ares.insert("authenticationValue".into(), json!(authentication_value()));
            }
            if let Some(reason) = reason(status) {
                ares.insert("transStatusReason".into(), json!(reason));
            }
        }
    }
    if let AresChannel::App {
        sdk_trans_id,
        signed_content,
    } = channel
    {
        ares.insert("sdkTransID".into(), json!(sdk_trans_id));
        ares.insert("acsSignedContent".into(), json!(signed_content));
        if version == "2.3.1" {
            // The 2.3.1 table requires both in an app's ARes.
            ares.insert("threeDSRequestorAppURLInd".into(), json!("N"));
            ares.insert(
                "deviceInfoRecognisedVersion".into(),
                json!(DEVICE_INFO_VERSION),
            );
        }
    }
    Value::Object(ares)
}

/// The final CRes of a browser challenge.
pub(crate) fn cres(version: &str, ids: &Ids<'_>, trans_status: &str) -> Value {
    json!({
        "acsCounterAtoS": "000",
        "acsTransID": ids.acs,
        "challengeCompletionInd": "Y",
        "messageType": "CRes",
        "messageVersion": version,
        "threeDSServerTransID": ids.three_ds_server,
        "transStatus": trans_status,
    })
}

/// `acsCounterAtoS` / `sdkCounterStoA`: a message counter as three digits.
pub(crate) fn counter(n: u32) -> String {
    format!("{:03}", n.min(999))
}

/// The final CRes of an app challenge: `acsCounterAtoS` the number of CRes sent before it.
pub(crate) fn app_cres(
    version: &str,
    ids: &Ids<'_>,
    sdk_trans_id: &str,
    acs_counter: u32,
    trans_status: &str,
) -> Value {
    json!({
        "acsCounterAtoS": counter(acs_counter),
        "acsTransID": ids.acs,
        "challengeCompletionInd": "Y",
        "messageType": "CRes",
        "messageVersion": version,
        "sdkTransID": sdk_trans_id,
        "threeDSServerTransID": ids.three_ds_server,
        "transStatus": trans_status,
    })
}

/// The CRes showing an app's challenge screen (native UI, text template: one code to enter),
/// `challengeCompletionInd` `N`. `code` is the one-time code the simulator accepts, named in
/// the text so a person at a simulated app knows it.
pub(crate) fn app_challenge_screen(
    version: &str,
    ids: &Ids<'_>,
    sdk_trans_id: &str,
    acs_counter: u32,
    code: &str,
) -> Value {
    json!({
        "acsCounterAtoS": counter(acs_counter),
        "acsTransID": ids.acs,
        "acsUiType": "01",
        "challengeCompletionInd": "N",
        "challengeInfoHeader": "Purchase authentication",
        "challengeInfoLabel": "One-time code",
        "challengeInfoText": format!(
            "Enter the one-time code we sent you. Simulated ACS: {code} passes, any other code fails."
        ),
        "challengeInfoTextIndicator": "N",
        "submitAuthenticationLabel": "Submit",
        "messageType": "CRes",
        "messageVersion": version,
        "sdkTransID": sdk_trans_id,
        "threeDSServerTransID": ids.three_ds_server,
    })
}

/// What an app challenge's RReq adds to a browser's.
pub(crate) struct AppResult<'a> {
    /// `sdkTransID` (from 2.2.0: the 2.1.0 RReq has no such field).
    pub sdk_trans_id: &'a str,
    /// `challengeCancel`, when the SDK cancelled.
    pub cancel: Option<&'a str>,
}

/// The RReq the ACS sends when the challenge ends (`/postauth` answers it).
pub(crate) fn rreq(
    version: &str,
    category: &str,
    ids: &Ids<'_>,
    ds: &str,
    trans_status: &str,
    app: Option<&AppResult<'_>>,
) -> Value {
    let mut rreq = Map::new();
    for (key, value) in [
        ("messageType", "RReq"),
        ("messageVersion", version),
        ("messageCategory", category),
        ("threeDSServerTransID", ids.three_ds_server),
        ("acsTransID", ids.acs),
        ("dsTransID", ids.ds),
        ("transStatus", trans_status),
        ("interactionCounter", "01"),
        ("eci", eci(ds, trans_status)),
    ] {
        rreq.insert(key.into(), json!(value));
    }
    set_method(&mut rreq, version);
    if trans_status == "Y" {
        rreq.insert("authenticationValue".into(), json!(authentication_value()));
    }
    if let Some(reason) = reason(trans_status) {
        rreq.insert("transStatusReason".into(), json!(reason));
    }
    if let Some(app) = app {
        rreq.insert("acsRenderingType".into(), acs_rendering_type());
        if version != "2.1.0" {
            rreq.insert("sdkTransID".into(), json!(app.sdk_trans_id));
        }
        if let Some(cancel) = app.cancel {
            rreq.insert("challengeCancel".into(), json!(cancel));
        }
    }
    Value::Object(rreq)
}

/// What an `Erro` names besides the problem.
#[derive(Default)]
pub(crate) struct ErroContext<'a> {
    /// The message version (the request's when supported, else 2.2.0).
    pub version: Option<&'a str>,
    pub three_ds_server: Option<&'a str>,
    pub acs: Option<&'a str>,
    pub ds: Option<&'a str>,
    /// `sdkTransID`, for an app's messages.
    pub sdk: Option<&'a str>,
    /// `errorMessageType`: the message found in error.
    pub message_type: Option<&'a str>,
    /// `errorComponent`: `S` (3DS Server) unless said otherwise.
    pub component: Option<&'a str>,
}

/// An `Erro` message.
pub(crate) fn erro(problem: &Problem, context: &ErroContext<'_>) -> Value {
    let mut erro = Map::new();
    for (key, value) in [
        ("messageType", Some("Erro")),
        ("messageVersion", Some(context.version.unwrap_or("2.2.0"))),
        ("errorCode", Some(problem.code)),
        ("errorComponent", Some(context.component.unwrap_or("S"))),
        ("errorDescription", Some(problem.description.as_str())),
        ("errorDetail", Some(problem.detail.as_str())),
        ("errorMessageType", context.message_type),
        ("threeDSServerTransID", context.three_ds_server),
        ("acsTransID", context.acs),
        ("dsTransID", context.ds),
        ("sdkTransID", context.sdk),
    ] {
        if let Some(value) = value {
            erro.insert(key.into(), json!(value));
        }
    }
    Value::Object(erro)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_values_have_the_tables_shape() {
        for _ in 0..50 {
            let value = authentication_value();
            assert_eq!(value.len(), 28);
            assert!(value.ends_with('='));
            assert!(value[..27]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        }
    }

    #[test]
    fn eci_by_scheme() {
        assert_eq!(
            ["Y", "A", "N", "U", "R", "I"].map(|s| eci("visa", s)),
            ["05", "06", "07", "07", "07", "07"]
        );
        assert_eq!(
            ["Y", "A", "N"].map(|s| eci("mastercard", s)),
            ["02", "01", "00"]
        );
        assert!(ds_reference("protectbuy").len() <= 32);
    }
}
