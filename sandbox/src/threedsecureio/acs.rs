//! The simulated ACS's browser pages (3DS Method, challenge) and the HTML helpers tests use to
//! follow them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{json, Value};

use super::cards::{Challenge, Method};
use super::handlers::Sim;
use super::state::{ChallengeResult, State as SimState, Transaction};
use super::validate::{self, Problem};
use super::wire::{self, AppResult, ErroContext, Ids};
use crate::control::lock;

/// `CReq.messageVersion` values the table allows (`creq`).
pub(crate) const CREQ_VERSIONS: &[&str] = &["2.0.1", "2.1.1", "2.1.0", "2.2.0", "2.3.0", "2.3.1"];
/// `threeDSSessionData`: up to 1024 Base64-URL characters (reference §6).
const SESSION_DATA_MAX: usize = 1024;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

/// Base64-URL without padding of `value`'s JSON text: how `threeDSMethodData`, `creq` and
/// `cres` are carried in the browser forms.
pub fn base64url_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The JSON value in `text`: Base64-URL, padded or not (standard Base64 is accepted too, as
/// some 3DS Requestors send it).
pub fn decode_base64url_json(text: &str) -> Option<Value> {
    let text = text.trim();
    let bytes = URL_SAFE_ANY_PADDING
        .decode(text)
        .or_else(|_| STANDARD_ANY_PADDING.decode(text))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A form found in one of the simulator's HTML pages: where it posts, its hidden fields and its
/// submit buttons. The 3DS Method and challenge pages auto-submit such a form to the 3DS
/// Requestor (`threeDSMethodData`, or `cres` and `threeDSSessionData`); a test posts the same
/// fields itself, as the browser would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoPostForm {
    /// The `action` URL.
    pub action: String,
    /// `<input>` names and values, in page order.
    pub fields: Vec<(String, String)>,
    /// `<button>` names and values, in page order (the manual challenge's choices).
    pub buttons: Vec<(String, String)>,
}

impl AutoPostForm {
    /// The first `<form>` of `html`; `None` when the page has none (the 3DS Method page of a
    /// card whose method never completes).
    pub fn parse(html: &str) -> Option<AutoPostForm> {
        let start = html.find("<form")?;
        let rest = &html[start..];
        let open_end = rest.find('>')?;
        let action = attribute(&rest[..open_end], "action")?;
        let body = &rest[open_end..rest.find("</form>").unwrap_or(rest.len())];
        let mut fields = Vec::new();
        let mut buttons = Vec::new();
        for (tag, list) in [("<input", &mut fields), ("<button", &mut buttons)] {
            let mut at = 0;
            while let Some(found) = body[at..].find(tag) {
                let from = at + found;
                let end = body[from..].find('>').map_or(body.len(), |e| from + e);
                let element = &body[from..end];
                if let Some(name) = attribute(element, "name") {
                    list.push((name, attribute(element, "value").unwrap_or_default()));
                }
                at = end;
            }
        }
        Some(AutoPostForm {
            action,
            fields,
            buttons,
        })
    }

    /// The value of the field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The value of attribute `name="..."` in one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        title = escape(title)
    );
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A page whose form posts `fields` to `action` at once (a button without JavaScript).
fn auto_post(title: &str, action: &str, fields: &[(&str, &str)]) -> Response {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form id=\"autoPost\" method=\"post\" action=\"{}\">\n{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script>document.getElementById('autoPost').submit();</script>",
        escape(action)
    );
    page(StatusCode::OK, title, &body)
}

/// A page explaining why the ACS refused a request, with the `Erro` it stands for.
fn refused(status: StatusCode, problem: &Problem, context: &ErroContext<'_>) -> Response {
    let erro = wire::erro(problem, context);
    let pretty = serde_json::to_string_pretty(&erro).unwrap_or_default();
    let body = format!(
        "<h1>The ACS refused the request</h1>\n<p>{}: {}</p>\n<pre id=\"erro\">{}</pre>",
        escape(&problem.description),
        escape(&problem.detail),
        escape(&pretty)
    );
    page(status, "ACS error", &body)
}

fn acs_context<'a>(message_type: &'a str) -> ErroContext<'a> {
    ErroContext {
        component: Some("A"),
        message_type: Some(message_type),
        ..ErroContext::default()
    }
}

fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// `POST /sim/acs/3ds-method` (`threeDSMethodURL`), form `threeDSMethodData`: Base64-URL JSON
/// `{threeDSServerTransID, threeDSMethodNotificationURL}`. Records the method and answers a page
/// that posts `threeDSMethodData` (`{threeDSServerTransID}`) to the notification URL; for a
/// card whose method times out, a page that never posts. 400 for malformed data, 404 for an
/// unknown transaction, 409 for a card range without a 3DS Method.
pub(crate) async fn method(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let form = form(&body);
    let context = acs_context("Erro");
    let bad = |problem: Problem| refused(StatusCode::BAD_REQUEST, &problem, &context);
    let Some(data) = form.get("threeDSMethodData") else {
        return bad(Problem::missing(&["threeDSMethodData"]));
    };
    let Some(Value::Object(data)) = decode_base64url_json(data) else {
        return bad(Problem::invalid_field(
            "threeDSMethodData",
            "is not Base64-URL encoded JSON",
        ));
    };
    let id = data.get("threeDSServerTransID").and_then(Value::as_str);
    let notification = data
        .get("threeDSMethodNotificationURL")
        .and_then(Value::as_str);
    let (Some(id), Some(notification)) = (id, notification) else {
        let missing: Vec<&str> = ["threeDSServerTransID", "threeDSMethodNotificationURL"]
            .into_iter()
            .filter(|f| data.get(*f).and_then(Value::as_str).is_none())
            .collect();
        return bad(Problem::missing(&missing));
    };
    if !validate::is_url(notification) {
        return bad(Problem::invalid_field(
            "threeDSMethodNotificationURL",
            "must be an absolute http(s) URL",
        ));
    }
    let mut state = lock(&sim.state);
    let Some(transaction) = state.transactions.get_mut(id) else {
        return refused(
            StatusCode::NOT_FOUND,
            &Problem::new("301", format!("threeDSServerTransID {id}")),
            &context,
        );
    };
    transaction.method_invoked = true;
    transaction.method_notification_url = Some(notification.to_owned());
    match transaction.card.method {
        Method::Missing => refused(
            StatusCode::CONFLICT,
            &Problem::described(
                "303",
                "This card range has no 3DS Method",
                "threeDSMethodURL was not given by /preauth",
            ),
            &context,
        ),
        Method::Timeout => page(
            StatusCode::OK,
            "3DS Method",
            "<p>Collecting browser information&hellip;</p>\n\
             <!-- This test card's 3DS Method never posts back (threeDSCompInd N). -->",
        ),
        Method::Present => {
            transaction.method_completed = true;
            state.activity.methods += 1;
            let data = base64url_json(&json!({"threeDSServerTransID": id}));
            auto_post("3DS Method", notification, &[("threeDSMethodData", &data)])
        }
    }
}

/// `Erro` `201` naming the `required` fields `message` lacks (or has as `null`).
pub(super) fn require(
    message: &serde_json::Map<String, Value>,
    required: &[&str],
) -> Result<(), Problem> {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|f| message.get(*f).is_none_or(Value::is_null))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Problem::missing(&missing))
    }
}

/// Checks a decoded CReq (table `creq`); gives its ids and version.
fn check_creq(creq: &serde_json::Map<String, Value>) -> Result<(String, String, String), Problem> {
    let required = [
        "messageType",
        "messageVersion",
        "threeDSServerTransID",
        "acsTransID",
        "challengeWindowSize",
    ];
    require(creq, &required)?;
    let text = |name: &str| creq.get(name).and_then(Value::as_str).unwrap_or_default();
    let mut invalid = Vec::new();
    if text("messageType") != "CReq" {
        invalid.push(("messageType".to_owned(), "must be CReq".to_owned()));
    }
    if !CREQ_VERSIONS.contains(&text("messageVersion")) {
        invalid.push((
            "messageVersion".to_owned(),
            format!("must be one of {}", CREQ_VERSIONS.join(", ")),
        ));
    }
    for id in ["threeDSServerTransID", "acsTransID"] {
        if !validate::is_uuid(text(id)) {
            invalid.push((id.to_owned(), "must be a UUID".to_owned()));
        }
    }
    if !["01", "02", "03", "04", "05"].contains(&text("challengeWindowSize")) {
        invalid.push((
            "challengeWindowSize".to_owned(),
            "must be one of 01, 02, 03, 04, 05".to_owned(),
        ));
    }
    if !invalid.is_empty() {
        return Err(Problem::invalid(&invalid));
    }
    Ok((
        text("threeDSServerTransID").to_owned(),
        text("acsTransID").to_owned(),
        text("messageVersion").to_owned(),
    ))
}

fn valid_session_data(data: &str) -> bool {
    data.len() <= SESSION_DATA_MAX
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
}

/// `POST /sim/acs/challenge` (`acsURL`), form `creq` (Base64-URL CReq, padded or not) and
/// optional `threeDSSessionData`. A challenge that ends by itself answers a page posting `cres`
/// and `threeDSSessionData` to the AReq's `notificationURL`; a manual one answers the page with
/// the "approve" and "fail" buttons. 400 for a malformed or mismatched CReq (the page shows the
/// `Erro`, component `A`), 409 when the transaction has no open challenge.
pub(crate) async fn challenge(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let form = form(&body);
    let mut context = acs_context("CReq");
    let Some(creq) = form.get("creq") else {
        return refused(
            StatusCode::BAD_REQUEST,
            &Problem::missing(&["creq"]),
            &context,
        );
    };
    let Some(Value::Object(creq)) = decode_base64url_json(creq) else {
        return refused(
            StatusCode::BAD_REQUEST,
            &Problem::invalid_field("creq", "is not Base64-URL encoded JSON"),
            &context,
        );
    };
    let session_data = form.get("threeDSSessionData").filter(|d| !d.is_empty());
    let (id, acs_trans_id, version) = match check_creq(&creq) {
        Ok(ids) => ids,
        Err(problem) => return refused(StatusCode::BAD_REQUEST, &problem, &context),
    };
    context.three_ds_server = Some(&id);
    context.acs = Some(&acs_trans_id);
    if session_data.is_some_and(|d| !valid_session_data(d)) {
        return refused(
            StatusCode::BAD_REQUEST,
            &Problem::invalid_field(
                "threeDSSessionData",
                "must be at most 1024 Base64-URL characters",
            ),
            &context,
        );
    }
    let mut state = lock(&sim.state);
    let transaction = match state.by_acs_mut(&acs_trans_id) {
        Some(t) if t.id == id => t,
        Some(_) => {
            return refused(
                StatusCode::BAD_REQUEST,
                &Problem::invalid_field(
                    "threeDSServerTransID",
                    "is not the transaction of this acsTransID",
                ),
                &context,
            )
        }
        None => {
            return refused(
                StatusCode::BAD_REQUEST,
                &Problem::new("301", "acsTransID"),
                &context,
            )
        }
    };
    let Some(auth) = transaction.auth.as_mut() else {
        return refused(
            StatusCode::CONFLICT,
            &Problem::new("301", "acsTransID"),
            &context,
        );
    };
    context.version = Some(&auth.version);
    if auth.version != version {
        let why = format!("must be the ARes's messageVersion {}", auth.version);
        return refused(
            StatusCode::BAD_REQUEST,
            &Problem::invalid_field("messageVersion", &why),
            &context,
        );
    }
    if auth.app.is_some() {
        return refused(
            StatusCode::CONFLICT,
            &Problem::described(
                "203",
                "An app authentication: its 3DS SDK runs the challenge at the acsURL of \
                 acsSignedContent",
                "acsTransID",
            ),
            &context,
        );
    }
    let Some(challenge) = auth.challenge.as_mut() else {
        return refused(
            StatusCode::CONFLICT,
            &Problem::described(
                "203",
                "No challenge for this transaction (the ARes was frictionless)",
                "acsTransID",
            ),
            &context,
        );
    };
    if challenge.result.is_some() {
        return refused(
            StatusCode::CONFLICT,
            &Problem::described("203", "The challenge already ended", "acsTransID"),
            &context,
        );
    }
    challenge.creq = Some(Value::Object(creq));
    challenge.session_data = session_data.cloned();
    let kind = challenge.kind;
    match kind {
        Challenge::AutoPass => finish(&mut state, &id, "Y"),
        Challenge::AutoFail => finish(&mut state, &id, "N"),
        Challenge::Manual => {
            let areq = transaction.areq.clone().unwrap_or_default();
            let last4 = &transaction.acct_number[transaction.acct_number.len() - 4..];
            let action = sim.decision_url(&acs_trans_id);
            manual_page(&areq, last4, action.as_str())
        }
    }
}

/// The manual challenge: what is being paid, and two buttons posting `decision` to
/// `/sim/acs/challenge/{acsTransID}`.
fn manual_page(areq: &Value, last4: &str, action: &str) -> Response {
    let field = |name: &str| areq.get(name).and_then(Value::as_str).unwrap_or("");
    let amount = match (field("purchaseAmount"), field("purchaseCurrency")) {
        ("", _) => String::new(),
        (amount, currency) => format!(
            "<p>Amount: {} (minor units, ISO 4217 currency {}, exponent {})</p>\n",
            escape(amount),
            escape(currency),
            escape(field("purchaseExponent"))
        ),
    };
    let merchant = match field("merchantName") {
        "" => String::new(),
        name => format!("<p>Merchant: {}</p>\n", escape(name)),
    };
    let body = format!(
        "<h1>Simulated 3-D Secure challenge</h1>\n\
         <p>Card ending in {last4}. Choose the cardholder's answer.</p>\n\
         {merchant}{amount}\
         <form id=\"challenge\" method=\"post\" action=\"{}\">\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve (transStatus Y)</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"fail\">Fail (transStatus N)</button>\n\
         </form>",
        escape(action)
    );
    page(StatusCode::OK, "3-D Secure challenge", &body)
}

/// `POST /sim/acs/challenge/{acsTransID}`, form `decision=approve|fail`: the manual
/// challenge's buttons. Answers the page posting `cres` to the `notificationURL`; 400 for
/// another decision, 404 for an unknown `acsTransID`, 409 when the challenge is not a manual
/// one waiting for its answer (no CReq yet, or already ended).
pub(crate) async fn decide(
    State(sim): State<Arc<Sim>>,
    Path(acs_trans_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let context = ErroContext {
        acs: Some(&acs_trans_id),
        ..acs_context("CReq")
    };
    let status = match form.get("decision").map(String::as_str) {
        Some("approve") => "Y",
        Some("fail") => "N",
        _ => {
            return refused(
                StatusCode::BAD_REQUEST,
                &Problem::invalid_field("decision", "must be approve or fail"),
                &context,
            )
        }
    };
    let mut state = lock(&sim.state);
    let Some(transaction) = state.by_acs_mut(&acs_trans_id) else {
        return refused(
            StatusCode::NOT_FOUND,
            &Problem::new("301", "acsTransID"),
            &context,
        );
    };
    let id = transaction.id.clone();
    let app = transaction.auth.as_ref().is_some_and(|a| a.app.is_some());
    let challenge = transaction.auth.as_ref().and_then(|a| a.challenge.as_ref());
    let conflict = match challenge {
        _ if app => Some("An app authentication: its 3DS SDK runs the challenge"),
        None => Some("No challenge for this transaction"),
        Some(c) if c.kind != Challenge::Manual => Some("This challenge ends by itself"),
        Some(c) if c.creq.is_none() => Some("The CReq has not been posted to the acsURL yet"),
        Some(c) if c.result.is_some() => Some("The challenge already ended"),
        Some(_) => None,
    };
    if let Some(why) = conflict {
        return refused(
            StatusCode::CONFLICT,
            &Problem::described("203", why, "acsTransID"),
            &context,
        );
    }
    finish(&mut state, &id, status)
}

/// Ends the open challenge of transaction `id` with `trans_status`, in a browser or an app:
/// records the final CRes and the RReq (which reaches the 3DS Server now) and gives the CRes;
/// `None` when the transaction has no challenge. An app's CRes counts the CReqs received
/// (`acsCounterAtoS`), and its RReq carries `sdkTransID` and the `challengeCancel` received.
pub(crate) fn conclude(state: &mut SimState, id: &str, trans_status: &str) -> Option<Value> {
    let transaction = state.transactions.get_mut(id)?;
    let Transaction { auth, ds, .. } = transaction;
    let auth = auth.as_mut()?;
    let ids = Ids {
        three_ds_server: id,
        acs: &auth.acs_trans_id,
        ds: &auth.ds_trans_id,
    };
    let challenge = auth.challenge.as_mut()?;
    let (cres, app) = match &auth.app {
        None => (wire::cres(&auth.version, &ids, trans_status), None),
        Some(app) => (
            wire::app_cres(
                &auth.version,
                &ids,
                &app.sdk_trans_id,
                challenge.app_creqs.saturating_sub(1),
                trans_status,
            ),
            Some(AppResult {
                sdk_trans_id: &app.sdk_trans_id,
                cancel: challenge.cancel.as_deref(),
            }),
        ),
    };
    let rreq = wire::rreq(
        &auth.version,
        &auth.category,
        &ids,
        ds,
        trans_status,
        app.as_ref(),
    );
    challenge.result = Some(ChallengeResult {
        cres: cres.clone(),
        rreq,
        at: Instant::now(),
    });
    state.activity.challenges += 1;
    Some(cres)
}

/// Ends a browser's challenge of transaction `id` with `trans_status` ([`conclude`]) and
/// answers the page posting `cres` (and `threeDSSessionData`) to the `notificationURL`.
fn finish(state: &mut SimState, id: &str, trans_status: &str) -> Response {
    let Some(cres) = conclude(state, id, trans_status) else {
        return refused(
            StatusCode::CONFLICT,
            &Problem::new("301", "acsTransID"),
            &ErroContext::default(),
        );
    };
    let auth = state.transactions.get(id).and_then(|t| t.auth.as_ref());
    let notification = auth.map(|a| a.notification_url.clone()).unwrap_or_default();
    let session_data = auth
        .and_then(|a| a.challenge.as_ref())
        .and_then(|c| c.session_data.clone());
    let encoded = base64url_json(&cres);
    let mut fields = vec![("cres", encoded.as_str())];
    if let Some(data) = session_data.as_deref() {
        fields.push(("threeDSSessionData", data));
    }
    auto_post("3-D Secure challenge", &notification, &fields)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn base64url_round_trips_padded_or_not() {
        let value = json!({"threeDSServerTransID": "d461f105-1792-407f-95ff-9a496fd918a9"});
        let encoded = base64url_json(&value);
        assert!(!encoded.contains('='));
        assert_eq!(decode_base64url_json(&encoded), Some(value.clone()));
        let padded = base64::engine::general_purpose::URL_SAFE.encode(value.to_string());
        assert_eq!(decode_base64url_json(&padded), Some(value.clone()));
        let standard = base64::engine::general_purpose::STANDARD.encode(value.to_string());
        assert_eq!(decode_base64url_json(&standard), Some(value));
        // The provider's example notification body decodes.
        let example =
            "eyJ0aHJlZURTTWV0aG9kRGF0YSI6ICJkNDYxZjEwNS0xNzkyLTQwN2YtOTVmZi05YTQ5NmZkOTE4YTkifQ";
        assert!(decode_base64url_json(example).is_some());
        assert_eq!(decode_base64url_json("not base64!"), None);
    }

    #[test]
    fn auto_post_pages_parse_back() {
        let response = auto_post(
            "t",
            "https://merchant.example/3ds?a=1&b=\"2\"",
            &[("cres", "abc"), ("threeDSSessionData", "x<y")],
        );
        assert_eq!(response.status(), StatusCode::OK);
        let html = format!(
            "<form id=\"autoPost\" method=\"post\" action=\"{}\">\n\
             <input type=\"hidden\" name=\"cres\" value=\"abc\">\n\
             <input type=\"hidden\" name=\"threeDSSessionData\" value=\"{}\">\n</form>",
            escape("https://merchant.example/3ds?a=1&b=\"2\""),
            escape("x<y")
        );
        let form = AutoPostForm::parse(&html).unwrap();
        assert_eq!(form.action, "https://merchant.example/3ds?a=1&b=\"2\"");
        assert_eq!(form.field("cres"), Some("abc"));
        assert_eq!(form.field("threeDSSessionData"), Some("x<y"));
        assert_eq!(AutoPostForm::parse("<p>no form</p>"), None);
    }

    #[test]
    fn session_data_is_base64url_of_bounded_length() {
        assert!(valid_session_data("abc-_="));
        assert!(!valid_session_data("a b"));
        assert!(!valid_session_data(&"a".repeat(1025)));
    }
}
