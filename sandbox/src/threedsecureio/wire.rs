//! The messages the simulator answers, in the shapes of the provider's field tables (CRD 2.2.0,
//! ARes, CRes, RReq and Erro of the transaction's protocol version).

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

/// The ARes for `outcome` (never a DS timeout, which is an `Erro`). `acs_url` is the challenge
/// page, used for `C`.
pub(crate) fn ares(
    version: &str,
    ids: &Ids<'_>,
    ds: &str,
    outcome: Outcome,
    acs_url: &Url,
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
            ares.insert("acsURL".into(), json!(acs_url.as_str()));
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

/// The RReq the ACS sends when the challenge ends (`/postauth` answers it).
pub(crate) fn rreq(
    version: &str,
    category: &str,
    ids: &Ids<'_>,
    ds: &str,
    trans_status: &str,
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
