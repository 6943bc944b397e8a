//! The 3DS Server API (`/preauth`, `/auth`, `/postauth`) and the `/sim/transactions` helper.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use url::Url;

use super::cards::{self, Method, Outcome, TestCard};
use super::state::{AppAuth, Auth, ChallengeState, State as SimState, Transaction};
use super::validate::{self, Channel, Checked, Problem};
use super::wire::{self, AresChannel, ErroContext, Ids};
use super::{
    acs, app, ThreeDSecureIoSimConfig, APP_CHALLENGE_PATH, CHALLENGE_PATH, METHOD_PATH,
    TRANSACTIONS_PATH,
};
use crate::control::{lock, Control};

/// The simulator's state, shared by every route.
pub(crate) struct Sim {
    pub(crate) config: ThreeDSecureIoSimConfig,
    pub(crate) control: Control,
    pub(crate) state: Mutex<SimState>,
}

impl Sim {
    fn url(&self, path: &str) -> Url {
        let base = self.control.base_url();
        base.join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| base.clone())
    }

    /// The ACS's 3DS Method page (`threeDSMethodURL`).
    pub(crate) fn method_url(&self) -> Url {
        self.url(METHOD_PATH)
    }

    /// The ACS's challenge page (`acsURL`).
    pub(crate) fn challenge_url(&self) -> Url {
        self.url(CHALLENGE_PATH)
    }

    /// The ACS's app challenge endpoint (`acsURL` in an app's `acsSignedContent`).
    pub(crate) fn app_challenge_url(&self) -> Url {
        self.url(APP_CHALLENGE_PATH)
    }

    /// Where the manual challenge page's buttons post.
    pub(crate) fn decision_url(&self, acs_trans_id: &str) -> Url {
        self.url(&format!("{CHALLENGE_PATH}/{acs_trans_id}"))
    }

    /// An `Erro` answer with the configured HTTP status, counted.
    fn erro(&self, problem: &Problem, context: &ErroContext<'_>) -> (Value, Response) {
        let body = wire::erro(problem, context);
        lock(&self.state).activity.errors += 1;
        let status = StatusCode::from_u16(self.config.erro_http_status).unwrap_or(StatusCode::OK);
        let response = message(status, &body);
        (body, response)
    }

    /// `Erro` `101` with HTTP 400, for a request that is not a JSON object.
    fn malformed(&self, problem: &Problem) -> Response {
        let (_, mut response) = self.erro(problem, &ErroContext::default());
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    }

    /// An `Erro` about transaction `id`, recorded on it when it exists.
    fn transaction_erro(
        &self,
        id: Option<&str>,
        problem: &Problem,
        context: &ErroContext<'_>,
    ) -> Response {
        let (body, response) = self.erro(problem, context);
        if let Some(id) = id {
            if let Some(transaction) = lock(&self.state).transactions.get_mut(id) {
                transaction.errors.push(body);
            }
        }
        response
    }
}

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/preauth", post(preauth))
        .route("/auth", post(auth))
        .route("/postauth", post(postauth))
        .route_layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    let helpers = Router::new()
        .route(METHOD_PATH, post(acs::method))
        .route(CHALLENGE_PATH, post(acs::challenge))
        .route(APP_CHALLENGE_PATH, post(app::challenge))
        .route(
            &format!("{CHALLENGE_PATH}/{{acs_trans_id}}"),
            post(acs::decide),
        )
        .route(&format!("{TRANSACTIONS_PATH}/{{id}}"), get(transaction));
    api.merge(helpers).with_state(sim)
}

/// `APIKey: <api_key>` exactly, else 401 `text/plain` `Invalid API Key` (reference §1).
async fn authenticate(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let authorized = request
        .headers()
        .get("apikey")
        .is_some_and(|value| value.as_bytes() == sim.config.api_key.as_bytes());
    if authorized {
        next.run(request).await
    } else {
        invalid_api_key()
    }
}

fn invalid_api_key() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Invalid API Key",
    )
        .into_response()
}

/// A JSON answer, `Content-Type: application/json; charset=utf-8`.
pub(crate) fn message(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// The answer to an injected `Fault::Status`: 401 as a bad key is answered; any other status
/// with an `Erro` body (`103` for 429, `403` Transient System Failure for 5xx, `101` for other
/// 4xx) \[U: the provider's bodies for these statuses\].
pub(crate) fn fault_response(status: StatusCode) -> Response {
    if status == StatusCode::UNAUTHORIZED {
        return invalid_api_key();
    }
    let code = match status.as_u16() {
        429 => "103",
        500..=599 => "403",
        400..=499 => "101",
        _ => "404",
    };
    let problem = Problem::new(code, format!("Simulated HTTP {}", status.as_u16()));
    let mut response = message(status, &wire::erro(&problem, &ErroContext::default()));
    *response.status_mut() = status;
    response
}

/// The request's JSON object; a wrong content type or a body that is not a JSON object is
/// `Erro` `101` (answered with HTTP 400 by [`Sim::malformed`]) \[U\].
fn json_object(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, Problem> {
    let json_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_type {
        return Err(Problem::described(
            "101",
            format!(
                "{}: Content-Type must be application/json",
                validate::describe("101")
            ),
            "Content-Type",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Problem::described(
            "101",
            format!(
                "{}: the body is not a JSON object",
                validate::describe("101")
            ),
            "body",
        )),
    }
}

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// `POST /preauth` `{acctNumber, ds?}` → the CRD, or `Erro` `305` (not enrolled), `201`, `203`.
async fn preauth(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match json_object(&headers, &body) {
        Ok(request) => request,
        Err(problem) => return sim.malformed(&problem),
    };
    let context = ErroContext::default();
    let acct_number = match request.get("acctNumber") {
        None | Some(Value::Null) => {
            return sim.erro(&Problem::missing(&["acctNumber"]), &context).1;
        }
        Some(Value::String(s)) if validate::is_digits(s, 13, 19) => s.clone(),
        Some(_) => {
            let problem = Problem::invalid_field("acctNumber", "must be 13 to 19 digits");
            return sim.erro(&problem, &context).1;
        }
    };
    let ds = match request.get("ds") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if [
                "standin",
                "visa",
                "mastercard",
                "jcb",
                "upi",
                "amex",
                "protectbuy",
                "sbn",
            ]
            .contains(&s.as_str()) =>
        {
            Some(s.clone())
        }
        Some(_) => {
            let problem = Problem::invalid_field(
                "ds",
                "must be one of standin, visa, mastercard, jcb, upi, amex, protectbuy, sbn",
            );
            return sim.erro(&problem, &context).1;
        }
    };
    if cards::not_enrolled(&acct_number) {
        // The provider's own answer (reference §3), the BIN masked as in its example.
        let problem = Problem::described(
            "305",
            "Unknown BIN",
            "No CRD found, card with BIN ****** is not enrolled with any known DS",
        );
        return sim.erro(&problem, &context).1;
    }
    let aliased = sim
        .config
        .card_aliases
        .iter()
        .find(|(number, _)| *number == acct_number)
        .map_or(acct_number.as_str(), |(_, like)| like.as_str());
    let Some(card) = TestCard::parse(aliased) else {
        let suffix = &acct_number[acct_number.len() - 4..];
        let problem = Problem::invalid_field(
            "acctNumber",
            &format!("selects no sandbox test case (last four digits {suffix})"),
        );
        return sim.erro(&problem, &context).1;
    };
    let id = uuid::Uuid::new_v4().to_string();
    let scheme = cards::scheme_for(&acct_number);
    let crd = wire::crd(&sim.method_url(), &id, &card, scheme);
    let transaction = Transaction {
        id: id.clone(),
        created: Instant::now(),
        card,
        acct_number,
        scheme,
        ds: ds.unwrap_or_else(|| scheme.to_owned()),
        preauth: Value::Object(request),
        crd: crd.clone(),
        method_invoked: false,
        method_completed: false,
        method_notification_url: None,
        areq: None,
        auth: None,
        errors: Vec::new(),
        postauth_calls: 0,
    };
    {
        let mut state = lock(&sim.state);
        state.transactions.insert(id.clone(), transaction);
        state.order.push(id);
        state.activity.preauth += 1;
    }
    message(StatusCode::OK, &crd)
}

/// Whether `ind` (`threeDSCompInd`) fits what the card's 3DS Method did \[U: the provider's
/// sandbox says it tests "the threeDSCompInd being set correctly"\].
fn comp_ind_problem(transaction: &Transaction, ind: &str) -> Option<&'static str> {
    match (transaction.card.method, ind) {
        (Method::Missing, "U") => None,
        (Method::Missing, _) => Some("must be U: the card range has no threeDSMethodURL"),
        (_, "U") => Some("cannot be U: /preauth gave a threeDSMethodURL, which must be invoked"),
        (Method::Timeout, "Y") => Some("cannot be Y: the 3DS Method never completed"),
        (Method::Present, "Y") if !transaction.method_completed => {
            Some("cannot be Y: the 3DS Method was not completed for this threeDSServerTransID")
        }
        _ => None,
    }
}

/// `POST /auth` (AReq) → the ARes, or an `Erro`.
async fn auth(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match json_object(&headers, &body) {
        Ok(request) => request,
        Err(problem) => return sim.malformed(&problem),
    };
    let version_hint = text(&request, "messageVersion")
        .filter(|v| cards::SUPPORTED_VERSIONS.contains(v))
        .map(str::to_owned);
    let id_hint = text(&request, "threeDSServerTransID")
        .filter(|id| validate::is_uuid(id))
        .map(str::to_owned);
    // An app's Erro names its sdkTransID (the Erro table: required for deviceChannel 01).
    let sdk_hint = text(&request, "sdkTransID")
        .filter(|id| validate::is_uuid(id) && text(&request, "deviceChannel") == Some("01"))
        .map(str::to_owned);
    let context = ErroContext {
        version: version_hint.as_deref(),
        three_ds_server: id_hint.as_deref(),
        sdk: sdk_hint.as_deref(),
        message_type: Some("AReq"),
        ..ErroContext::default()
    };
    let id = id_hint.as_deref();
    // Whatever happens next, the AReq is what reached the 3DS Server for this transaction
    // (once one was answered with an ARes, that one stays).
    if let Some(id) = id {
        if let Some(transaction) = lock(&sim.state).transactions.get_mut(id) {
            if transaction.auth.is_none() {
                transaction.areq = Some(Value::Object(request.clone()));
            }
        }
    }
    let Checked {
        version,
        category,
        channel,
    } = match validate::areq(&request) {
        Ok(checked) => checked,
        Err(problem) => return sim.transaction_erro(id, &problem, &context),
    };
    let id = id.unwrap_or_default();
    let unknown = |detail: &str| {
        Problem::described(
            "203",
            "Unknown threeDSServerTransID",
            format!("threeDSServerTransID: {detail}"),
        )
    };

    {
        let mut state = lock(&sim.state);
        let Some(transaction) = state.transactions.get_mut(id) else {
            drop(state);
            let problem = unknown("not given by /preauth");
            return sim.transaction_erro(None, &problem, &context);
        };
        let problem = if transaction.auth.is_some() {
            // [U] the provider's answer to a second AReq with the same id.
            Some(unknown("already used for an authentication"))
        } else if transaction.created.elapsed() > sim.config.transaction_ttl {
            Some(unknown(&format!(
                "expired ({} s after /preauth)",
                sim.config.transaction_ttl.as_secs_f64()
            )))
        } else if text(&request, "acctNumber") != Some(transaction.acct_number.as_str()) {
            Some(Problem::invalid_field(
                "acctNumber",
                "differs from the acctNumber of the /preauth call",
            ))
        } else if !transaction.card.versions.contains(&version) {
            Some(Problem::described(
                "102",
                format!(
                    "{}: the card range's ACS supports {} to {}",
                    validate::describe("102"),
                    transaction.card.versions.start(),
                    transaction.card.versions.end()
                ),
                "messageVersion",
            ))
        } else if transaction.card.outcome == Outcome::I && version == "2.1.0" {
            Some(Problem::described(
                "102",
                format!(
                    "{}: this test case (transStatus I) needs messageVersion 2.2.0 or later",
                    validate::describe("102")
                ),
                "messageVersion",
            ))
        } else if sim.config.check_three_ds_comp_ind && channel == Channel::Browser {
            // An app runs no 3DS Method: its threeDSCompInd, if any, is not checked.
            comp_ind_problem(
                transaction,
                text(&request, "threeDSCompInd").unwrap_or_default(),
            )
            .map(|why| Problem::invalid_field("threeDSCompInd", why))
        } else {
            None
        };
        if let Some(problem) = problem {
            drop(state);
            return sim.transaction_erro(Some(id), &problem, &context);
        }
        let outcome = transaction.card.outcome;
        if outcome != Outcome::DsTimeout {
            let acs_trans_id = uuid::Uuid::new_v4().to_string();
            let ds_trans_id = uuid::Uuid::new_v4().to_string();
            let ids = Ids {
                three_ds_server: id,
                acs: &acs_trans_id,
                ds: &ds_trans_id,
            };
            let challenge = match outcome {
                Outcome::Challenge(kind) => Some(ChallengeState::new(kind)),
                _ => None,
            };
            let (ares, app) = match channel {
                Channel::Browser => {
                    let acs_url = sim.challenge_url();
                    let channel = AresChannel::Browser { acs_url: &acs_url };
                    let ares = wire::ares(&version, &ids, &transaction.ds, outcome, &channel);
                    (ares, None)
                }
                Channel::App => {
                    let sdk_trans_id = text(&request, "sdkTransID").unwrap_or_default();
                    let acs_url = challenge.as_ref().map(|_| sim.app_challenge_url());
                    let sdk_key = request.get("sdkEphemPubKey").cloned().unwrap_or_default();
                    let signed_content = app::signed_content(acs_url.as_ref(), &ids, &sdk_key);
                    let channel = AresChannel::App {
                        sdk_trans_id,
                        signed_content: &signed_content,
                    };
                    let ares = wire::ares(&version, &ids, &transaction.ds, outcome, &channel);
                    let app = AppAuth {
                        sdk_trans_id: sdk_trans_id.to_owned(),
                    };
                    (ares, Some(app))
                }
            };
            transaction.auth = Some(Auth {
                ares: ares.clone(),
                version: version.clone(),
                category: category.clone(),
                acs_trans_id: acs_trans_id.clone(),
                ds_trans_id,
                notification_url: text(&request, "notificationURL")
                    .unwrap_or_default()
                    .to_owned(),
                app,
                challenge,
            });
            state.by_acs.insert(acs_trans_id, id.to_owned());
            state.activity.auth += 1;
            return message(StatusCode::OK, &ares);
        }
    }
    // The directory server does not answer: the provider gives up with 405 (after 10 s;
    // here after `ds_timeout`).
    tokio::time::sleep(sim.config.ds_timeout).await;
    let problem = Problem::described(
        "405",
        "Unable to contact Directory Server",
        "Connection timeout",
    );
    sim.transaction_erro(Some(id), &problem, &context)
}

/// `POST /postauth` `{threeDSServerTransID}` → the RReq of a finished challenge, or an `Erro`.
async fn postauth(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match json_object(&headers, &body) {
        Ok(request) => request,
        Err(problem) => return sim.malformed(&problem),
    };
    let mut context = ErroContext {
        message_type: Some("RReq"),
        ..ErroContext::default()
    };
    let id = match request.get("threeDSServerTransID") {
        None | Some(Value::Null) => {
            return sim
                .erro(&Problem::missing(&["threeDSServerTransID"]), &context)
                .1;
        }
        Some(Value::String(id)) if validate::is_uuid(id) => id.clone(),
        Some(_) => {
            let problem = Problem::invalid_field("threeDSServerTransID", "must be a UUID");
            return sim.erro(&problem, &context).1;
        }
    };
    context.three_ds_server = Some(&id);
    let unknown = |detail: &str| {
        Problem::described(
            "203",
            "Unknown threeDSServerTransID",
            format!("threeDSServerTransID: {detail}"),
        )
    };
    let (problem, version, acs, ds) = {
        let mut state = lock(&sim.state);
        let Some(transaction) = state.transactions.get_mut(&id) else {
            drop(state);
            return sim.erro(&unknown("not given by /preauth"), &context).1;
        };
        let auth = transaction.auth.as_ref();
        let result = auth
            .and_then(|a| a.challenge.as_ref())
            .and_then(|c| c.result.as_ref());
        let problem = match (auth, result) {
            (None, _) => unknown("no authentication (/auth) answered with an ARes"),
            (Some(auth), None) if auth.challenge.is_none() => unknown(&format!(
                "no RReq: the authentication was frictionless (transStatus {})",
                auth.ares["transStatus"].as_str().unwrap_or_default()
            )),
            // [U] the provider's answer before the challenge ends: 403, retry later.
            (Some(_), None) => Problem::new(
                "403",
                "The challenge has not finished: no RReq received yet",
            ),
            (Some(_), Some(result)) if result.at.elapsed() > sim.config.result_ttl => {
                unknown(&format!(
                    "the result expired {} s after the RReq",
                    sim.config.result_ttl.as_secs_f64()
                ))
            }
            (Some(_), Some(result)) => {
                let rreq = result.rreq.clone();
                transaction.postauth_calls += 1;
                state.activity.postauth += 1;
                return message(StatusCode::OK, &rreq);
            }
        };
        (
            problem,
            auth.map(|a| a.version.clone()),
            auth.map(|a| a.acs_trans_id.clone()),
            auth.map(|a| a.ds_trans_id.clone()),
        )
    };
    context.version = version.as_deref();
    context.acs = acs.as_deref();
    context.ds = ds.as_deref();
    sim.transaction_erro(Some(&id), &problem, &context)
}

/// `GET /sim/transactions/{threeDSServerTransID}`: the transaction's record (see
/// [`super::TransactionRecord`]); 404 when unknown.
async fn transaction(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let record = lock(&sim.state)
        .transactions
        .get(&id)
        .map(Transaction::record);
    match record.and_then(|r| serde_json::to_value(r).ok()) {
        Some(body) => message(StatusCode::OK, &body),
        None => message(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no transaction {id}")}),
        ),
    }
}
