//! The 3dsecure.io simulator over HTTP: every sandbox test card from `/preauth` through the 3DS
//! Method, `/auth`, the challenge pages and `/postauth`; the `Erro` answers (not enrolled,
//! missing and malformed AReq fields, unknown and expired transactions, versions outside the
//! card range, DS timeout); the API key; faults; the app channel (the SDK's AReq fields, the
//! ARes's signed content, the app challenge endpoint); and every answer checked against the
//! provider's field tables (`paybridge_connector_tests::threeds_fields`).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use paybridge_connector_tests::threeds_fields::{self, BROWSER_PAYMENT};
use paybridge_sandbox::threedsecureio::cards::{
    self, Challenge, Method, Outcome, TestCard, Versions,
};
use paybridge_sandbox::threedsecureio::{
    self, acs_ephemeral_public_key, base64url_json, decode_base64url_json, AutoPostForm,
    ThreeDSecureIoSim, ThreeDSecureIoSimConfig, APP_CHALLENGE_CODE, APP_CHALLENGE_PATH,
    CHALLENGE_PATH, METHOD_PATH, TRANSACTIONS_PATH,
};
use paybridge_sandbox::Fault;
use serde_json::{json, Value};

/// Where the 3DS Requestor receives the 3DS Method's completion.
const METHOD_NOTIFY: &str = "https://merchant.example/3ds/method?order=1&step=2";
/// Where the 3DS Requestor receives the CRes.
const NOTIFY: &str = "https://merchant.example/3ds/challenge-end";

/// One answer: status, content type, text, and the text as JSON (`Null` when not JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    text: String,
    body: Value,
}

impl Reply {
    fn str(&self, field: &str) -> &str {
        self.body[field].as_str().unwrap_or_default()
    }

    /// Asserts an `Erro` with `code` whose `errorDetail` contains `detail`.
    fn assert_erro(&self, code: &str, detail: &str) {
        assert_eq!(self.str("messageType"), "Erro", "{self:#?}");
        assert_eq!(self.str("errorCode"), code, "{self:#?}");
        assert!(self.str("errorDetail").contains(detail), "{self:#?}");
    }
}

struct Sim {
    sim: ThreeDSecureIoSim,
    client: reqwest::Client,
}

impl Sim {
    async fn start() -> Sim {
        Sim::start_with(ThreeDSecureIoSimConfig {
            ds_timeout: Duration::from_millis(50),
            ..ThreeDSecureIoSimConfig::default()
        })
        .await
    }

    async fn start_with(config: ThreeDSecureIoSimConfig) -> Sim {
        let sim = threedsecureio::start(config).await.unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Sim { sim, client }
    }

    fn url(&self, path: &str) -> String {
        self.sim
            .base_url()
            .join(path.trim_start_matches('/'))
            .unwrap()
            .to_string()
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap();
        Reply {
            status,
            content_type,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// A POST to the API with the given headers and raw body.
    async fn try_send(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> Result<Reply, reqwest::Error> {
        let mut request = self.client.post(self.url(path)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Ok(Sim::reply(request.send().await?).await)
    }

    /// An API call with the key and a JSON body.
    async fn try_api(&self, path: &str, body: &Value) -> Result<Reply, reqwest::Error> {
        let key = self.sim.config().api_key.clone();
        self.try_send(
            path,
            &[
                ("APIKey", &key),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
            body.to_string(),
        )
        .await
    }

    async fn api(&self, path: &str, body: &Value) -> Reply {
        self.try_api(path, body).await.unwrap()
    }

    async fn preauth(&self, pan: &str) -> Reply {
        self.api("/preauth", &json!({"acctNumber": pan})).await
    }

    async fn auth(&self, areq: &Value) -> Reply {
        self.api("/auth", areq).await
    }

    async fn postauth(&self, id: &str) -> Reply {
        self.api("/postauth", &json!({"threeDSServerTransID": id}))
            .await
    }

    /// A browser form POST (`application/x-www-form-urlencoded`) to an absolute URL.
    async fn form(&self, url: &str, fields: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        Sim::reply(response).await
    }

    async fn get(&self, path: &str) -> Reply {
        Sim::reply(self.client.get(self.url(path)).send().await.unwrap()).await
    }
}

/// The reference's "Basic Browser Example" AReq for `pan`, transaction `id` and `version`:
/// without `browserJavascriptEnabled` in 2.1.0 (not a 2.1.0 field), with the fields 2.3.1
/// requires, and `notificationURL` [`NOTIFY`].
fn areq(id: &str, pan: &str, version: &str, comp_ind: &str) -> Value {
    let mut areq = json!({"acctNumber": pan, "notificationURL": NOTIFY, "threeDSCompInd": comp_ind,
     "threeDSRequestorURL":"https://threedsrequestor.example.org","acquirerBIN":"438309","acquirerMerchantID":"00002000000",
     "cardExpiryDate":"3012","billAddrCity":"Bill City Name","billAddrCountry":"840","billAddrLine1":"Bill Address Line 1",
     "billAddrPostCode":"Bill Post Code","billAddrState":"CO","email":"example@example.com",
     "threeDSRequestorAuthenticationInd":"01","cardholderName":"Cardholder Name","deviceChannel":"02",
     "browserJavascriptEnabled":true,"browserAcceptHeader":"text/html,application/xhtml+xml,application/xml; q=0.9,*/*;q=0.8",
     "browserIP":"192.168.1.11","browserJavaEnabled":true,"browserLanguage":"en","browserColorDepth":"48",
     "browserScreenHeight":"400","browserScreenWidth":"600","browserTZ":"0",
     "browserUserAgent":"Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0","mcc":"5411",
     "merchantCountryCode":"840","merchantName":"Dummy Merchant","messageCategory":"01","messageType":"AReq",
     "messageVersion": version,"purchaseAmount":"101","purchaseCurrency":"840","purchaseExponent":"2",
     "purchaseDate":"20170316141312","transType":"01","threeDSServerTransID": id});
    let map = areq.as_object_mut().unwrap();
    match version {
        "2.1.0" => {
            map.remove("browserJavascriptEnabled");
        }
        "2.3.1" => {
            map.insert("acceptLanguage".into(), json!(["en"]));
            map.insert("acquirerCountryCode".into(), json!("840"));
            map.insert("acquirerCountryCodeSource".into(), json!("01"));
        }
        _ => {}
    }
    // What the test sends is a valid AReq by the tables.
    assert_eq!(threeds_fields::check(BROWSER_PAYMENT, &areq), Ok(()));
    areq
}

/// Asserts `body` passes the field tables.
fn assert_tables(body: &Value) {
    assert_eq!(
        threeds_fields::check(BROWSER_PAYMENT, body),
        Ok(()),
        "{body:#}"
    );
}

/// Asserts an `Erro` sent without a `threeDSServerTransID` (none was known) fails the table
/// only for that: the provider's own `/preauth` "not enrolled" example has none either.
fn assert_tables_but_no_transaction_id(body: &Value) {
    assert!(body.get("threeDSServerTransID").is_none(), "{body:#}");
    let problems = threeds_fields::check(BROWSER_PAYMENT, body).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("threeDSServerTransID") && problems[0].contains("missing"),
        "{problems:#?}"
    );
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// `/preauth`, then the 3DS Method as a browser runs it (when the CRD has a method URL).
/// Returns the CRD, its transaction id and the `threeDSCompInd` the requestor would send.
async fn preauth_and_method(sim: &Sim, pan: &str) -> (Value, String, &'static str) {
    let crd = sim.preauth(pan).await;
    assert_eq!(crd.status, 200, "{crd:#?}");
    assert_eq!(crd.str("messageType"), "CRD", "{crd:#?}");
    assert_tables(&crd.body);
    let id = crd.str("threeDSServerTransID").to_owned();
    assert!(is_uuid(&id));
    let card = TestCard::parse(pan).unwrap();
    let Some(method_url) = crd.body["threeDSMethodURL"].as_str() else {
        assert_eq!(card.method, Method::Missing);
        return (crd.body, id, "U");
    };
    assert_eq!(method_url, sim.sim.method_url().as_str());
    let data = base64url_json(
        &json!({"threeDSServerTransID": id, "threeDSMethodNotificationURL": METHOD_NOTIFY}),
    );
    let page = sim
        .form(method_url, &[("threeDSMethodData", data.as_str())])
        .await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert!(page.content_type.starts_with("text/html"), "{page:#?}");
    let record = sim.sim.transaction(&id).unwrap();
    assert!(record.method_invoked);
    assert_eq!(
        record.method_notification_url.as_deref(),
        Some(METHOD_NOTIFY)
    );
    match card.method {
        Method::Present => {
            let form = AutoPostForm::parse(&page.text).unwrap();
            assert_eq!(form.action, METHOD_NOTIFY);
            let data = decode_base64url_json(form.field("threeDSMethodData").unwrap()).unwrap();
            assert_eq!(data, json!({"threeDSServerTransID": id}));
            assert!(record.method_completed);
            (crd.body, id, "Y")
        }
        Method::Timeout => {
            assert_eq!(AutoPostForm::parse(&page.text), None, "never posts back");
            assert!(!record.method_completed);
            (crd.body, id, "N")
        }
        Method::Missing => unreachable!("no method URL for a missing method"),
    }
}

/// `/preauth`, the method and `/auth` in the highest version of the card range (or `version`).
async fn authenticate(sim: &Sim, pan: &str, version: Option<&str>) -> (String, Value, Reply) {
    let (crd, id, comp_ind) = preauth_and_method(sim, pan).await;
    let version = version
        .unwrap_or(crd["acsEndProtocolVersion"].as_str().unwrap())
        .to_owned();
    let request = areq(&id, pan, &version, comp_ind);
    let ares = sim.auth(&request).await;
    (id, request, ares)
}

/// The CReq of an ARes, Base64-URL without padding.
fn creq(ares: &Value, window: &str) -> String {
    base64url_json(&json!({
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageVersion": ares["messageVersion"],
        "messageType": "CReq",
        "challengeWindowSize": window,
    }))
}

/// Reads the CRes page: posts to [`NOTIFY`] with `cres` and the echoed session data.
fn read_cres(page: &Reply, session_data: Option<&str>) -> Value {
    assert_eq!(page.status, 200, "{page:#?}");
    let form = AutoPostForm::parse(&page.text).unwrap();
    assert_eq!(form.action, NOTIFY);
    assert_eq!(form.field("threeDSSessionData"), session_data);
    let cres = form.field("cres").unwrap();
    assert!(!cres.contains('='), "unpadded Base64-URL");
    decode_base64url_json(cres).unwrap()
}

#[tokio::test]
async fn crd_by_card_range() {
    let sim = Sim::start().await;
    let cases = [
        (cards::VISA_Y, "visa", "2.2.0", "2.2.0", true),
        (
            cards::METHOD_TIMEOUT_Y,
            "mastercard",
            "2.1.0",
            "2.3.1",
            true,
        ),
        (
            cards::FRICTIONLESS_NO_METHOD_Y_2_1,
            "protectbuy",
            "2.1.0",
            "2.1.0",
            false,
        ),
        (cards::AMEX_Y, "amex", "2.2.0", "2.2.0", true),
        (
            cards::AUTO_CHALLENGE_PASS_2_2,
            "standin",
            "2.2.0",
            "2.2.0",
            true,
        ),
        ("3530111333302003", "jcb", "2.2.0", "2.2.0", true),
        ("2221000000003003", "mastercard", "2.3.1", "2.3.1", true),
    ];
    for (pan, scheme, start, end, method) in cases {
        let crd = sim.preauth(pan).await;
        assert_eq!(crd.status, 200, "{pan}: {crd:#?}");
        assert_tables(&crd.body);
        assert_eq!(crd.str("scheme"), scheme, "{pan}");
        assert_eq!(crd.str("acsStartProtocolVersion"), start, "{pan}");
        assert_eq!(crd.str("acsEndProtocolVersion"), end, "{pan}");
        assert_eq!(crd.str("dsStartProtocolVersion"), "2.1.0");
        assert_eq!(crd.str("dsEndProtocolVersion"), "2.3.1");
        assert_eq!(
            crd.body["threeDSServerProtocolVersions"],
            json!(["2.1.0", "2.2.0", "2.3.1"])
        );
        assert_eq!(
            crd.body["threeDSMethodURL"].as_str().is_some(),
            method,
            "{pan}"
        );
        let versions = crd.body["acsProtocolVersions"].as_array().unwrap();
        assert_eq!(versions.first().unwrap()["version"], json!(start));
        assert_eq!(versions.last().unwrap()["version"], json!(end));
        assert!(is_uuid(crd.str("threeDSServerTransID")));
    }
    // Every /preauth is a new transaction.
    let again = sim.preauth(cards::VISA_Y).await;
    let first = sim.preauth(cards::VISA_Y).await;
    assert_ne!(
        again.str("threeDSServerTransID"),
        first.str("threeDSServerTransID")
    );
    // A `ds` for co-branded cards is taken, and must be one the provider lists.
    let dankort = sim
        .api(
            "/preauth",
            &json!({"acctNumber": cards::VISA_Y, "ds": "sbn"}),
        )
        .await;
    assert_eq!(dankort.str("scheme"), "visa");
    let record = sim
        .sim
        .transaction(dankort.str("threeDSServerTransID"))
        .unwrap();
    assert_eq!(record.ds, "sbn");
    let bad_ds = sim
        .api(
            "/preauth",
            &json!({"acctNumber": cards::VISA_Y, "ds": "discover"}),
        )
        .await;
    bad_ds.assert_erro("203", "ds");
    assert_eq!(sim.sim.activity().preauth, 10);
}

#[tokio::test]
async fn frictionless_outcomes_follow_the_card() {
    let sim = Sim::start().await;
    // (card, transStatus, eci, authentication value, transStatusReason)
    let cases = [
        (cards::VISA_Y, "Y", "05", true, None),
        (cards::VISA_N, "N", "07", false, Some("01")),
        (cards::VISA_A, "A", "06", true, None),
        (cards::VISA_R, "R", "07", false, Some("12")),
        (cards::VISA_I, "I", "07", false, None),
        (cards::VISA_U, "U", "07", false, Some("14")),
        (cards::MASTERCARD_Y, "Y", "02", true, None),
        (cards::MASTERCARD_A, "A", "01", true, None),
        (cards::MASTERCARD_N, "N", "00", false, Some("01")),
        (cards::AMEX_Y, "Y", "05", true, None),
        (cards::FRICTIONLESS_METHOD_Y_2_2, "Y", "05", true, None),
        (cards::FRICTIONLESS_NO_METHOD_Y_2_1, "Y", "05", true, None),
        (cards::METHOD_TIMEOUT_Y, "Y", "02", true, None),
    ];
    for (pan, status, eci, value, reason) in cases {
        let (id, request, ares) = authenticate(&sim, pan, None).await;
        assert_eq!(ares.status, 200, "{pan}: {ares:#?}");
        assert_tables(&ares.body);
        assert_eq!(ares.str("messageType"), "ARes", "{pan}");
        assert_eq!(ares.str("messageVersion"), request["messageVersion"]);
        assert_eq!(ares.str("threeDSServerTransID"), id);
        assert_eq!(ares.str("transStatus"), status, "{pan}");
        assert_eq!(ares.str("eci"), eci, "{pan}");
        assert!(is_uuid(ares.str("acsTransID")) && is_uuid(ares.str("dsTransID")));
        assert!(!ares.str("acsReferenceNumber").is_empty());
        assert!(!ares.str("dsReferenceNumber").is_empty());
        let authentication_value = ares.body.get("authenticationValue");
        assert_eq!(authentication_value.is_some(), value, "{pan}");
        if let Some(cavv) = authentication_value {
            assert_eq!(cavv.as_str().unwrap().len(), 28);
        }
        assert_eq!(
            ares.body.get("transStatusReason").and_then(Value::as_str),
            reason,
            "{pan}"
        );
        assert!(ares.body.get("acsURL").is_none());
        // No challenge, so no RReq: /postauth does not know a result.
        let rreq = sim.postauth(&id).await;
        rreq.assert_erro("203", "frictionless");
        assert_eq!(rreq.str("errorDescription"), "Unknown threeDSServerTransID");
        assert_tables(&rreq.body);
        // The record holds what reached the 3DS Server and what it answered.
        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.areq.as_ref(), Some(&request));
        assert_eq!(record.ares.as_ref(), Some(&ares.body));
        assert_eq!(record.acct_number, pan);
    }
    let activity = sim.sim.activity();
    assert_eq!(
        (activity.auth, activity.methods, activity.postauth),
        (13, 11, 0)
    );
    assert_eq!(activity.errors, 13, "the 13 /postauth Erros");
}

#[tokio::test]
async fn challenges_that_end_by_themselves() {
    let sim = Sim::start().await;
    let v231_pass = TestCard {
        versions: Versions::V2_3,
        method: Method::Present,
        outcome: Outcome::Challenge(Challenge::AutoPass),
    }
    .pan("400010051111");
    // (card, CRes/RReq transStatus, RReq eci)
    let cases = [
        (cards::VISA_CHALLENGE_PASS, "Y", "05"),
        (cards::AUTO_CHALLENGE_PASS_2_2, "Y", "05"),
        (cards::MASTERCARD_CHALLENGE_PASS, "Y", "02"),
        (cards::VISA_CHALLENGE_FAIL, "N", "07"),
        (cards::AUTO_CHALLENGE_FAIL_2_1, "N", "07"),
        (v231_pass.as_str(), "Y", "05"),
    ];
    for (pan, status, eci) in cases {
        let (id, request, ares) = authenticate(&sim, pan, None).await;
        let version = request["messageVersion"].as_str().unwrap();
        assert_eq!(ares.str("transStatus"), "C", "{pan}: {ares:#?}");
        assert_eq!(ares.str("acsURL"), sim.sim.challenge_url().as_str());
        assert_eq!(ares.str("acsChallengeMandated"), "N");
        assert!(ares.body.get("eci").is_none() && ares.body.get("authenticationValue").is_none());
        if version == "2.3.1" {
            assert_eq!(ares.body["authenticationMethod"], json!(["01"]));
            // The simulator serves plain HTTP; 2.3.1's table asks for an https acsURL.
            let problems = threeds_fields::check(BROWSER_PAYMENT, &ares.body).unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:#?}");
            assert!(problems[0].contains("acsURL") && problems[0].contains("urlHttps"));
        } else {
            assert_eq!(ares.str("authenticationType"), "01");
            assert_tables(&ares.body);
        }

        // Before the challenge, /postauth has no result yet.
        let early = sim.postauth(&id).await;
        early.assert_erro("403", "not finished");
        assert_tables(&early.body);

        let session = "c2Vzc2lvbi0x";
        let page = sim
            .form(
                ares.str("acsURL"),
                &[
                    ("creq", &creq(&ares.body, "05")),
                    ("threeDSSessionData", session),
                ],
            )
            .await;
        let cres = read_cres(&page, Some(session));
        assert_tables(&cres);
        assert_eq!(
            cres,
            json!({"acsCounterAtoS": "000", "acsTransID": ares.body["acsTransID"],
                "challengeCompletionInd": "Y", "messageType": "CRes", "messageVersion": version,
                "threeDSServerTransID": id, "transStatus": status})
        );

        let rreq = sim.postauth(&id).await;
        assert_eq!(rreq.status, 200, "{rreq:#?}");
        assert_tables(&rreq.body);
        assert_eq!(rreq.str("messageType"), "RReq");
        assert_eq!(rreq.str("messageVersion"), version);
        assert_eq!(rreq.str("messageCategory"), "01");
        assert_eq!(rreq.str("transStatus"), status, "{pan}");
        assert_eq!(rreq.str("eci"), eci, "{pan}");
        assert_eq!(rreq.str("interactionCounter"), "01");
        assert_eq!(rreq.body["acsTransID"], ares.body["acsTransID"]);
        assert_eq!(rreq.body["dsTransID"], ares.body["dsTransID"]);
        assert_eq!(
            rreq.body.get("authenticationValue").is_some(),
            status == "Y"
        );
        assert_eq!(
            rreq.body.get("transStatusReason").and_then(Value::as_str),
            (status == "N").then_some("01")
        );
        // Asked again within 300 s: the same RReq.
        assert_eq!(sim.postauth(&id).await.body, rreq.body);
        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.cres.as_ref(), Some(&cres));
        assert_eq!(record.rreq.as_ref(), Some(&rreq.body));
        assert_eq!(record.three_ds_session_data.as_deref(), Some(session));
        assert_eq!(record.creq.unwrap()["challengeWindowSize"], "05");
        assert_eq!(record.postauth_calls, 2);

        // The challenge is over: the page refuses another CReq.
        let again = sim
            .form(ares.str("acsURL"), &[("creq", &creq(&ares.body, "05"))])
            .await;
        assert_eq!(again.status, 409, "{again:#?}");
    }
    let activity = sim.sim.activity();
    assert_eq!((activity.challenges, activity.postauth), (6, 12));
}

#[tokio::test]
async fn manual_challenges_approved_and_failed() {
    let sim = Sim::start().await;
    for (pan, decision, status) in [
        (cards::MANUAL_CHALLENGE_2_1, "approve", "Y"),
        (cards::VISA_CHALLENGE_MANUAL, "fail", "N"),
        (cards::VISA_CHALLENGE_MANUAL, "approve", "Y"),
    ] {
        let (id, request, ares) = authenticate(&sim, pan, None).await;
        assert_eq!(ares.str("transStatus"), "C");
        let acs_trans_id = ares.str("acsTransID").to_owned();
        let decision_url = sim.url(&format!("{CHALLENGE_PATH}/{acs_trans_id}"));
        // The buttons answer only once the CReq opened the challenge.
        let too_early = sim.form(&decision_url, &[("decision", "approve")]).await;
        assert_eq!(too_early.status, 409, "{too_early:#?}");

        // A padded CReq is accepted as well; no threeDSSessionData.
        let padded = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE,
            json!({"threeDSServerTransID": id, "acsTransID": acs_trans_id,
                "messageVersion": request["messageVersion"], "messageType": "CReq",
                "challengeWindowSize": "01"})
            .to_string(),
        );
        let page = sim.form(ares.str("acsURL"), &[("creq", &padded)]).await;
        assert_eq!(page.status, 200, "{page:#?}");
        assert!(page.content_type.starts_with("text/html"));
        assert!(page.text.contains("Dummy Merchant") && page.text.contains(&pan[pan.len() - 4..]));
        let form = AutoPostForm::parse(&page.text).unwrap();
        assert_eq!(form.action, decision_url);
        assert_eq!(
            form.buttons,
            vec![
                ("decision".to_owned(), "approve".to_owned()),
                ("decision".to_owned(), "fail".to_owned())
            ]
        );
        // Nothing decided yet.
        sim.postauth(&id).await.assert_erro("403", "not finished");
        let bad = sim.form(&decision_url, &[("decision", "maybe")]).await;
        assert_eq!(bad.status, 400);

        let done = sim.form(&form.action, &[("decision", decision)]).await;
        let cres = read_cres(&done, None);
        assert_tables(&cres);
        assert_eq!(cres["transStatus"], status);
        let rreq = sim.postauth(&id).await;
        assert_tables(&rreq.body);
        assert_eq!(rreq.str("transStatus"), status);
        assert_eq!(
            rreq.body.get("authenticationValue").is_some(),
            status == "Y"
        );

        let twice = sim.form(&decision_url, &[("decision", decision)]).await;
        assert_eq!(twice.status, 409);
    }
    let unknown = sim
        .form(
            &sim.url(&format!("{CHALLENGE_PATH}/{}", uuid::Uuid::new_v4())),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(unknown.status, 404);
    // A challenge that ends by itself has no buttons to press.
    let (_, _, ares) = authenticate(&sim, cards::VISA_CHALLENGE_PASS, None).await;
    let url = sim.url(&format!("{CHALLENGE_PATH}/{}", ares.str("acsTransID")));
    sim.form(ares.str("acsURL"), &[("creq", &creq(&ares.body, "01"))])
        .await;
    assert_eq!(sim.form(&url, &[("decision", "fail")]).await.status, 409);
}

#[tokio::test]
async fn not_enrolled_and_cards_without_a_test_case() {
    let sim = Sim::start().await;
    let not_enrolled = sim.preauth(cards::NOT_ENROLLED).await;
    assert_eq!(not_enrolled.status, 200);
    assert_eq!(
        not_enrolled.body,
        json!({"messageType":"Erro","errorCode":"305","errorComponent":"S",
            "errorDescription":"Unknown BIN",
            "errorDetail":"No CRD found, card with BIN ****** is not enrolled with any known DS",
            "messageVersion":"2.2.0"})
    );
    assert_tables_but_no_transaction_id(&not_enrolled.body);

    for pan in ["4000100511119999", "4000100511114003", "4000100511111043"] {
        let unknown = sim.preauth(pan).await;
        unknown.assert_erro("203", "acctNumber");
        assert!(unknown.str("errorDescription").contains("test case"));
        assert_tables_but_no_transaction_id(&unknown.body);
    }
    sim.api("/preauth", &json!({"ds": "visa"}))
        .await
        .assert_erro("201", "acctNumber");
    sim.api("/preauth", &json!({"acctNumber": "4111"}))
        .await
        .assert_erro("203", "acctNumber");
    sim.api("/preauth", &json!({"acctNumber": 4000100511112003_u64}))
        .await
        .assert_erro("203", "acctNumber");
    assert!(sim.sim.transactions().is_empty());
    assert_eq!(sim.sim.activity().errors, 7);
}

#[tokio::test]
async fn the_api_key_the_method_and_the_body() {
    let sim = Sim::start().await;
    let body = json!({"acctNumber": cards::VISA_Y}).to_string();
    let json_type = ("Content-Type", "application/json");
    for headers in [
        vec![json_type],
        vec![
            json_type,
            ("APIKey", "00000000-0000-0000-0000-000000000000"),
        ],
        vec![
            json_type,
            (
                "Authorization",
                "Bearer 5a0f7e2c-3d1b-4c8e-9f6a-2b7d4e1c0a93",
            ),
        ],
    ] {
        for path in ["/preauth", "/auth", "/postauth"] {
            let reply = sim.try_send(path, &headers, body.clone()).await.unwrap();
            assert_eq!(reply.status, 401, "{path} {headers:?}");
            assert!(reply.content_type.starts_with("text/plain"));
            assert_eq!(reply.text, "Invalid API Key");
        }
    }
    assert_eq!(sim.sim.counters().requests, 9);
    assert!(sim.sim.transactions().is_empty());
    // The header name is case-insensitive, as HTTP's are.
    let key = sim.sim.config().api_key.clone();
    let lower = sim
        .try_send("/preauth", &[json_type, ("apikey", &key)], body.clone())
        .await
        .unwrap();
    assert_eq!(lower.status, 200);

    let get = sim
        .client
        .get(sim.url("/preauth"))
        .header("APIKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let form = sim
        .try_send(
            "/preauth",
            &[
                ("APIKey", &key),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            "acctNumber=4000100511112003".to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(form.status, 400);
    form.assert_erro("101", "Content-Type");
    let broken = sim
        .try_send(
            "/auth",
            &[("APIKey", &key), json_type],
            "{\"acctNumber\":".to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(broken.status, 400);
    broken.assert_erro("101", "body");
    assert_tables_but_no_transaction_id(&broken.body);
}

#[tokio::test]
async fn missing_areq_fields_are_erro_201_naming_them() {
    let sim = Sim::start().await;
    let (_, id, _) = preauth_and_method(&sim, cards::VISA_Y).await;
    let complete = areq(&id, cards::VISA_Y, "2.2.0", "Y");
    let mut request = complete.clone();
    request.as_object_mut().unwrap().remove("purchaseAmount");
    let erro = sim.auth(&request).await;
    assert_eq!(erro.status, 200);
    erro.assert_erro("201", "purchaseAmount");
    assert_eq!(erro.str("errorDetail"), "purchaseAmount");
    assert_eq!(
        erro.str("errorDescription"),
        "Required Data Element Missing"
    );
    assert_eq!(erro.str("errorComponent"), "S");
    assert_eq!(erro.str("errorMessageType"), "AReq");
    assert_eq!(erro.str("threeDSServerTransID"), id);
    assert_eq!(erro.str("messageVersion"), "2.2.0");
    assert_tables(&erro.body);

    for (version, remove, detail) in [
        ("2.2.0", vec!["mcc", "browserTZ"], "browserTZ,mcc"),
        ("2.2.0", vec!["notificationURL"], "notificationURL"),
        (
            "2.2.0",
            vec!["browserJavascriptEnabled"],
            "browserJavascriptEnabled",
        ),
        ("2.2.0", vec!["threeDSCompInd"], "threeDSCompInd"),
        ("2.2.0", vec!["messageCategory"], "messageCategory"),
    ] {
        let mut request = areq(&id, cards::VISA_Y, version, "Y");
        for field in remove {
            request.as_object_mut().unwrap().remove(field);
        }
        let erro = sim.auth(&request).await;
        erro.assert_erro("201", "");
        let mut named: Vec<&str> = erro.str("errorDetail").split(',').collect();
        named.sort_unstable();
        assert_eq!(named.join(","), detail, "{erro:#?}");
        assert_tables(&erro.body);
    }
    // 2.1.0 and 2.3.1 have their own required fields.
    let (_, id_231, _) = preauth_and_method(&sim, cards::METHOD_TIMEOUT_Y).await;
    let mut v231 = areq(&id_231, cards::METHOD_TIMEOUT_Y, "2.3.1", "N");
    v231.as_object_mut().unwrap().remove("acquirerCountryCode");
    let erro = sim.auth(&v231).await;
    erro.assert_erro("201", "acquirerCountryCode");
    assert_eq!(erro.str("messageVersion"), "2.3.1");
    assert_tables(&erro.body);
    // Without threeDSServerTransID there is no transaction to name.
    let mut anonymous = complete.clone();
    anonymous
        .as_object_mut()
        .unwrap()
        .remove("threeDSServerTransID");
    let erro = sim.auth(&anonymous).await;
    erro.assert_erro("201", "threeDSServerTransID");
    assert_tables_but_no_transaction_id(&erro.body);

    // The Erros did not use the transaction up.
    let ares = sim.auth(&complete).await;
    assert_eq!(ares.str("transStatus"), "Y", "{ares:#?}");
    let record = sim.sim.transaction(&id).unwrap();
    assert_eq!(record.areq.as_ref(), Some(&complete));
    // The six Erros naming this transaction, exactly as answered (the one without an id is
    // not among them).
    assert_eq!(record.errors.len(), 6);
    assert_eq!(record.errors[0]["errorDetail"], "purchaseAmount");
}

#[tokio::test]
async fn malformed_areq_fields_are_erro_203_naming_them() {
    let sim = Sim::start().await;
    let (_, id, _) = preauth_and_method(&sim, cards::VISA_Y).await;
    let cases: Vec<(&str, Value)> = vec![
        ("purchaseAmount", json!(101)),
        ("purchaseDate", json!("20170230141312")),
        ("purchaseCurrency", json!("EUR")),
        ("purchaseExponent", json!("22")),
        ("notificationURL", json!("not a url")),
        ("browserColorDepth", json!("23")),
        ("browserJavaEnabled", json!("true")),
        ("cardExpiryDate", json!("3013")),
        ("merchantName", json!("M".repeat(41))),
        ("threeDSRequestorAuthenticationInd", json!("09")),
        ("email", json!("not-an-email")),
        ("browserIP", json!("300.1.1.1")),
        ("mcc", json!("54111")),
        ("deviceChannel", json!("03")),
        ("messageCategory", json!("03")),
        ("threeDSCompInd", json!("X")),
        ("homePhone", json!({"cc": "1", "subscriber": "555-123"})),
    ];
    for (field, value) in cases {
        let mut request = areq(&id, cards::VISA_Y, "2.2.0", "Y");
        request[field] = value;
        let erro = sim.auth(&request).await;
        erro.assert_erro("203", field);
        assert!(erro.str("errorDescription").contains(field), "{erro:#?}");
        assert_tables(&erro.body);
    }
    // Two at once are both named.
    let mut request = areq(&id, cards::VISA_Y, "2.2.0", "Y");
    request["purchaseAmount"] = json!("1.01");
    request["billAddrCountry"] = json!("US");
    sim.auth(&request)
        .await
        .assert_erro("203", "billAddrCountry,purchaseAmount");
    // A critical message extension the ACS does not know is 202.
    let mut request = areq(&id, cards::VISA_Y, "2.2.0", "Y");
    request["messageExtension"] =
        json!([{"name": "ext", "id": "A000000004-ext", "criticalityIndicator": true, "data": {}}]);
    let erro = sim.auth(&request).await;
    erro.assert_erro("202", "A000000004-ext");
    assert_tables(&erro.body);
    request["messageExtension"][0]["criticalityIndicator"] = json!(false);
    assert_eq!(sim.auth(&request).await.str("messageType"), "ARes");
    // Other message types and unknown versions.
    let mut request = areq(&id, cards::VISA_Y, "2.2.0", "Y");
    request["messageType"] = json!("PReq");
    sim.auth(&request).await.assert_erro("101", "messageType");
}

#[tokio::test]
async fn unknown_used_and_expired_transactions() {
    let sim = Sim::start_with(ThreeDSecureIoSimConfig {
        transaction_ttl: Duration::from_millis(300),
        result_ttl: Duration::from_millis(300),
        ..ThreeDSecureIoSimConfig::default()
    })
    .await;
    let stranger = uuid::Uuid::new_v4().to_string();
    let erro = sim
        .auth(&areq(&stranger, cards::VISA_Y, "2.2.0", "U"))
        .await;
    erro.assert_erro("203", "threeDSServerTransID");
    assert_eq!(erro.str("errorDescription"), "Unknown threeDSServerTransID");
    assert_tables(&erro.body);
    sim.api(
        "/auth",
        &json!({"threeDSServerTransID": "nope", "messageType": "AReq"}),
    )
    .await
    .assert_erro("201", "");

    // Used: one ARes per transaction.
    let (id, request, ares) = authenticate(&sim, cards::VISA_Y, None).await;
    assert_eq!(ares.str("transStatus"), "Y");
    let mut second = request.clone();
    second["purchaseAmount"] = json!("999");
    let again = sim.auth(&second).await;
    again.assert_erro("203", "already used");
    let record = sim.sim.transaction(&id).unwrap();
    assert_eq!(record.ares.unwrap(), ares.body);
    assert_eq!(record.areq.unwrap(), request, "the AReq the ARes answered");
    assert_eq!(record.errors, vec![again.body.clone()]);

    // Expired: /auth more than transaction_ttl after /preauth.
    let (_, late_id, comp) = preauth_and_method(&sim, cards::VISA_Y).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = sim
        .auth(&areq(&late_id, cards::VISA_Y, "2.2.0", comp))
        .await;
    expired.assert_erro("203", "expired");
    assert_tables(&expired.body);

    // /postauth: unknown, malformed, missing, before /auth, and after result_ttl.
    sim.postauth(&stranger)
        .await
        .assert_erro("203", "threeDSServerTransID");
    sim.postauth("123")
        .await
        .assert_erro("203", "threeDSServerTransID");
    sim.api("/postauth", &json!({}))
        .await
        .assert_erro("201", "threeDSServerTransID");
    let (_, fresh, _) = preauth_and_method(&sim, cards::VISA_Y).await;
    sim.postauth(&fresh)
        .await
        .assert_erro("203", "no authentication");
    let (id, _, ares) = authenticate(&sim, cards::VISA_CHALLENGE_PASS, None).await;
    read_cres(
        &sim.form(ares.str("acsURL"), &[("creq", &creq(&ares.body, "02"))])
            .await,
        None,
    );
    assert_eq!(sim.postauth(&id).await.str("messageType"), "RReq");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let gone = sim.postauth(&id).await;
    gone.assert_erro("203", "expired");
    assert_eq!(gone.str("acsTransID"), ares.str("acsTransID"));
    assert_tables(&gone.body);
}

#[tokio::test]
async fn versions_outside_the_card_range() {
    let sim = Sim::start().await;
    // A 2.1.0-only range in 2.2.0, and a 2.2.0-only range in 2.1.0 and 2.3.1.
    for (pan, version) in [
        (cards::FRICTIONLESS_NO_METHOD_Y_2_1, "2.2.0"),
        (cards::VISA_Y, "2.1.0"),
        (cards::VISA_Y, "2.3.1"),
    ] {
        let (_, _, erro) = authenticate(&sim, pan, Some(version)).await;
        erro.assert_erro("102", "messageVersion");
        assert_eq!(erro.str("messageVersion"), version);
        assert_tables(&erro.body);
    }
    // An unknown version.
    let (_, id, comp) = preauth_and_method(&sim, cards::VISA_Y).await;
    let mut request = areq(&id, cards::VISA_Y, "2.2.0", comp);
    request["messageVersion"] = json!("2.0.1");
    let erro = sim.auth(&request).await;
    erro.assert_erro("102", "messageVersion");
    assert_eq!(erro.str("messageVersion"), "2.2.0");
    // `I` exists from 2.2.0: the full range's I card in 2.1.0 is refused, in 2.2.0 answered.
    let informational = TestCard {
        versions: Versions::All,
        method: Method::Present,
        outcome: Outcome::I,
    }
    .pan("400010051111");
    let (_, _, erro) = authenticate(&sim, &informational, Some("2.1.0")).await;
    erro.assert_erro("102", "messageVersion");
    let (_, _, ares) = authenticate(&sim, &informational, Some("2.2.0")).await;
    assert_eq!(ares.str("transStatus"), "I");
    // The AReq's card must be the /preauth card.
    let (_, id, comp) = preauth_and_method(&sim, cards::VISA_Y).await;
    sim.auth(&areq(&id, cards::VISA_N, "2.2.0", comp))
        .await
        .assert_erro("203", "acctNumber");
}

#[tokio::test]
async fn three_ds_comp_ind_must_fit_the_3ds_method() {
    let sim = Sim::start().await;
    // Method present but not run: Y is refused, U too, N is fine.
    for (ind, ok) in [("Y", false), ("U", false), ("N", true)] {
        let id = sim
            .preauth(cards::VISA_Y)
            .await
            .str("threeDSServerTransID")
            .to_owned();
        let reply = sim.auth(&areq(&id, cards::VISA_Y, "2.2.0", ind)).await;
        if ok {
            assert_eq!(reply.str("messageType"), "ARes", "{ind}: {reply:#?}");
        } else {
            reply.assert_erro("203", "threeDSCompInd");
        }
    }
    // The method that never completes: only N.
    let (_, id, comp) = preauth_and_method(&sim, cards::METHOD_TIMEOUT_Y).await;
    assert_eq!(comp, "N");
    sim.auth(&areq(&id, cards::METHOD_TIMEOUT_Y, "2.3.1", "Y"))
        .await
        .assert_erro("203", "threeDSCompInd");
    // No method URL: only U.
    let (_, id, _) = preauth_and_method(&sim, cards::FRICTIONLESS_NO_METHOD_Y_2_1).await;
    sim.auth(&areq(
        &id,
        cards::FRICTIONLESS_NO_METHOD_Y_2_1,
        "2.1.0",
        "N",
    ))
    .await
    .assert_erro("203", "threeDSCompInd");

    // Unchecked on request.
    let lenient = Sim::start_with(ThreeDSecureIoSimConfig {
        check_three_ds_comp_ind: false,
        ..ThreeDSecureIoSimConfig::default()
    })
    .await;
    let id = lenient
        .preauth(cards::VISA_Y)
        .await
        .str("threeDSServerTransID")
        .to_owned();
    let ares = lenient.auth(&areq(&id, cards::VISA_Y, "2.2.0", "Y")).await;
    assert_eq!(ares.str("transStatus"), "Y");
}

#[tokio::test]
async fn ds_timeout_is_erro_405_after_the_delay() {
    let sim = Sim::start_with(ThreeDSecureIoSimConfig {
        ds_timeout: Duration::from_millis(300),
        ..ThreeDSecureIoSimConfig::default()
    })
    .await;
    let (_, id, comp) = preauth_and_method(&sim, cards::VISA_DS_TIMEOUT).await;
    let started = Instant::now();
    let erro = sim
        .auth(&areq(&id, cards::VISA_DS_TIMEOUT, "2.2.0", comp))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    erro.assert_erro("405", "Connection timeout");
    assert_eq!(
        erro.str("errorDescription"),
        "Unable to contact Directory Server"
    );
    assert_eq!(erro.str("threeDSServerTransID"), id);
    assert_tables(&erro.body);
    let record = sim.sim.transaction(&id).unwrap();
    assert!(record.ares.is_none() && record.areq.is_some());
    assert_eq!(record.errors, vec![erro.body.clone()]);
}

#[tokio::test]
async fn faults_apply_to_the_api_only() {
    let sim = Sim::start().await;
    sim.sim.inject(Fault::Status {
        status: 503,
        retry_after_secs: None,
    });
    let unavailable = sim.preauth(cards::VISA_Y).await;
    assert_eq!(unavailable.status, 503);
    unavailable.assert_erro("403", "503");
    assert_tables_but_no_transaction_id(&unavailable.body);
    assert!(sim.sim.transactions().is_empty(), "nothing was processed");

    sim.sim.inject(Fault::Status {
        status: 429,
        retry_after_secs: Some(2),
    });
    let limited = sim
        .client
        .post(sim.url("/preauth"))
        .header("APIKey", &sim.sim.config().api_key)
        .header("Content-Type", "application/json")
        .body(json!({"acctNumber": cards::VISA_Y}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");

    sim.sim.inject(Fault::Status {
        status: 401,
        retry_after_secs: None,
    });
    let unauthorized = sim.preauth(cards::VISA_Y).await;
    assert_eq!(
        (unauthorized.status, unauthorized.text.as_str()),
        (401, "Invalid API Key")
    );

    sim.sim.inject(Fault::Delay {
        duration: Duration::from_millis(300),
        after_processing: false,
    });
    let started = Instant::now();
    let (_, id, comp) = preauth_and_method(&sim, cards::VISA_Y).await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    // The ACS pages are never faulted: the queued fault waits for the next API request.
    sim.sim.inject(Fault::Status {
        status: 500,
        retry_after_secs: None,
    });
    let data = base64url_json(
        &json!({"threeDSServerTransID": id, "threeDSMethodNotificationURL": METHOD_NOTIFY}),
    );
    let page = sim
        .form(
            &sim.url(METHOD_PATH),
            &[("threeDSMethodData", data.as_str())],
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        sim.auth(&areq(&id, cards::VISA_Y, "2.2.0", comp))
            .await
            .status,
        500
    );
    assert_eq!(
        sim.auth(&areq(&id, cards::VISA_Y, "2.2.0", comp))
            .await
            .str("transStatus"),
        "Y"
    );

    // A dropped connection, before processing: no transaction is made.
    let before = sim.sim.transactions().len();
    sim.sim.inject(Fault::DropConnection {
        after_processing: false,
    });
    let dropped = sim
        .try_api("/preauth", &json!({"acctNumber": cards::VISA_Y}))
        .await;
    assert!(dropped.is_err());
    assert_eq!(sim.sim.transactions().len(), before);
    // After processing: the transaction exists though the answer never came.
    sim.sim.inject(Fault::DropConnection {
        after_processing: true,
    });
    assert!(sim
        .try_api("/preauth", &json!({"acctNumber": cards::VISA_Y}))
        .await
        .is_err());
    assert_eq!(sim.sim.transactions().len(), before + 1);
    // Every API request was counted, faulted or not; the pages were not.
    assert_eq!(sim.sim.counters().requests, 8);
}

#[tokio::test]
async fn the_3ds_method_page() {
    let sim = Sim::start().await;
    let method_url = sim.sim.method_url().to_string();
    assert_eq!(method_url, sim.url(METHOD_PATH));
    let missing = sim.form(&method_url, &[]).await;
    assert_eq!(missing.status, 400);
    assert!(missing.text.contains("threeDSMethodData"));
    let garbage = sim.form(&method_url, &[("threeDSMethodData", "%%%")]).await;
    assert_eq!(garbage.status, 400);
    let no_url = base64url_json(&json!({"threeDSServerTransID": new_id()}));
    assert_eq!(
        sim.form(&method_url, &[("threeDSMethodData", &no_url)])
            .await
            .status,
        400
    );
    let unknown = base64url_json(&json!({"threeDSServerTransID": new_id(),
        "threeDSMethodNotificationURL": METHOD_NOTIFY}));
    assert_eq!(
        sim.form(&method_url, &[("threeDSMethodData", &unknown)])
            .await
            .status,
        404
    );
    // A range without a method: the page refuses.
    let id = sim
        .preauth(cards::FRICTIONLESS_NO_METHOD_Y_2_1)
        .await
        .str("threeDSServerTransID")
        .to_owned();
    let data = base64url_json(&json!({"threeDSServerTransID": id,
        "threeDSMethodNotificationURL": METHOD_NOTIFY}));
    assert_eq!(
        sim.form(&method_url, &[("threeDSMethodData", &data)])
            .await
            .status,
        409
    );
    // Padded Base64-URL works too, and the notification URL comes back unharmed.
    let id = sim
        .preauth(cards::VISA_Y)
        .await
        .str("threeDSServerTransID")
        .to_owned();
    let padded = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE,
        json!({"threeDSServerTransID": id, "threeDSMethodNotificationURL": METHOD_NOTIFY})
            .to_string(),
    );
    let page = sim
        .form(&method_url, &[("threeDSMethodData", &padded)])
        .await;
    let form = AutoPostForm::parse(&page.text).unwrap();
    assert_eq!(form.action, METHOD_NOTIFY);
    assert_eq!(sim.sim.activity().methods, 1);
    assert_eq!(
        sim.sim.counters().requests,
        2,
        "the two /preauth calls only"
    );
}

#[tokio::test]
async fn the_challenge_page_checks_the_creq() {
    let sim = Sim::start().await;
    let (id, _, ares) = authenticate(&sim, cards::VISA_CHALLENGE_MANUAL, None).await;
    let acs_url = ares.str("acsURL").to_owned();
    let good = json!({"threeDSServerTransID": id, "acsTransID": ares.body["acsTransID"],
        "messageVersion": "2.2.0", "messageType": "CReq", "challengeWindowSize": "01"});
    let variant = |field: &str, value: Value| {
        let mut creq = good.clone();
        if value.is_null() {
            creq.as_object_mut().unwrap().remove(field);
        } else {
            creq[field] = value;
        }
        base64url_json(&creq)
    };
    let cases = [
        (variant("messageType", json!("CRes")), "messageType"),
        (variant("messageVersion", json!("2.1.0")), "messageVersion"),
        (variant("messageVersion", json!("9.9.9")), "messageVersion"),
        (
            variant("challengeWindowSize", json!("06")),
            "challengeWindowSize",
        ),
        (
            variant("challengeWindowSize", Value::Null),
            "challengeWindowSize",
        ),
        (variant("acsTransID", json!(new_id())), "acsTransID"),
        (variant("acsTransID", json!("x")), "acsTransID"),
        (
            variant("threeDSServerTransID", json!(new_id())),
            "threeDSServerTransID",
        ),
        ("bm90IGpzb24".to_owned(), "creq"),
    ];
    for (creq, field) in cases {
        let page = sim.form(&acs_url, &[("creq", &creq)]).await;
        assert_eq!(page.status, 400, "{field}: {page:#?}");
        assert!(page.content_type.starts_with("text/html"));
        assert!(page.text.contains(field), "{field}: {}", page.text);
    }
    assert_eq!(sim.form(&acs_url, &[]).await.status, 400);
    let long = "a".repeat(1025);
    let too_long = sim
        .form(
            &acs_url,
            &[
                ("creq", &base64url_json(&good)),
                ("threeDSSessionData", &long),
            ],
        )
        .await;
    assert_eq!(too_long.status, 400);
    // None of that opened the challenge.
    assert!(sim.sim.transaction(&id).unwrap().creq.is_none());
    // A frictionless transaction has no challenge.
    let (_, _, frictionless) = authenticate(&sim, cards::VISA_Y, None).await;
    let page = sim
        .form(&acs_url, &[("creq", &creq(&frictionless.body, "01"))])
        .await;
    assert_eq!(page.status, 409);
    // The good CReq opens it, with the largest session data allowed.
    let session = "b".repeat(1024);
    let page = sim
        .form(
            &acs_url,
            &[
                ("creq", &base64url_json(&good)),
                ("threeDSSessionData", &session),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let form = AutoPostForm::parse(&page.text).unwrap();
    let done = sim.form(&form.action, &[("decision", "approve")]).await;
    assert_eq!(read_cres(&done, Some(&session))["transStatus"], "Y");
}

#[tokio::test]
async fn the_transaction_record_helper() {
    let sim = Sim::start().await;
    let (id, request, ares) = authenticate(&sim, cards::VISA_CHALLENGE_PASS, None).await;
    read_cres(
        &sim.form(ares.str("acsURL"), &[("creq", &creq(&ares.body, "03"))])
            .await,
        None,
    );
    let rreq = sim.postauth(&id).await;
    let reply = sim.get(&format!("{TRANSACTIONS_PATH}/{id}")).await;
    assert_eq!(reply.status, 200);
    let record = &reply.body;
    assert_eq!(record["threeDSServerTransID"], json!(id));
    assert_eq!(record["acctNumber"], json!(cards::VISA_CHALLENGE_PASS));
    assert_eq!(record["scheme"], json!("visa"));
    assert_eq!(
        record["preauth"],
        json!({"acctNumber": cards::VISA_CHALLENGE_PASS})
    );
    assert_eq!(record["areq"], request);
    assert_eq!(record["ares"], ares.body);
    assert_eq!(record["rreq"], rreq.body);
    assert_eq!(record["methodCompleted"], json!(true));
    assert_eq!(record["creq"]["challengeWindowSize"], json!("03"));
    assert_eq!(record["postauthCalls"], json!(1));
    // The handle shows the same.
    assert_eq!(
        serde_json::to_value(sim.sim.transaction(&id).unwrap()).unwrap(),
        reply.body
    );
    assert_eq!(sim.sim.transactions().len(), 1);
    let unknown = sim
        .get(&format!("{TRANSACTIONS_PATH}/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(unknown.status, 404);
    // Helpers need no key and are not API requests.
    assert_eq!(sim.sim.counters().requests, 3);
    sim.sim.clone().shutdown().await;
    assert!(sim
        .client
        .get(sim.url("/sim/transactions/x"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn an_aliased_card_is_answered_like_its_test_card_and_others_are_not() {
    let stripe_visa = paybridge_sandbox::stripe::cards::VISA;
    let plain = Sim::start().await;
    plain
        .preauth(stripe_visa)
        .await
        .assert_erro("203", "acctNumber");
    let sim = Sim::start_with(ThreeDSecureIoSimConfig {
        card_aliases: cards::PROCESSOR_TEST_CARDS
            .iter()
            .map(|(number, like)| ((*number).to_owned(), (*like).to_owned()))
            .collect(),
        ..ThreeDSecureIoSimConfig::default()
    })
    .await;
    for (number, like) in cards::PROCESSOR_TEST_CARDS {
        let crd = sim.preauth(number).await;
        assert_eq!(crd.str("messageType"), "CRD", "{number}: {crd:#?}");
        let expected = TestCard::parse(like).unwrap();
        let id = crd.str("threeDSServerTransID").to_owned();
        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.acct_number, *number, "the number as sent is kept");
        assert_eq!(
            crd.body["threeDSMethodURL"].is_string(),
            expected.method != Method::Missing,
            "{number} behaves as {like}"
        );
    }
    sim.preauth(paybridge_sandbox::stripe::cards::AMEX)
        .await
        .assert_erro("203", "acctNumber");
}

// ---------------------------------------------------------------------------------------------
// The app channel (deviceChannel 01)
// ---------------------------------------------------------------------------------------------

/// An app (`01`) payment (`01`) authentication.
const APP_PAYMENT: threeds_fields::Scenario<'static> = ("01", "01");

/// The SDK's ephemeral key the app AReqs carry.
fn sdk_key() -> Value {
    json!({"kty": "EC", "crv": "P-256",
        "x": "mPUKT_bAWGHIhg0TpjjqVsP1rXWQu_vwVOHHtNkdYoA",
        "y": "8BQAsImGeAS46fyWw5MhYfGTT0IjBpFw2SS34Dv4Irs"})
}

/// An app AReq for `pan`, transaction `id`, `version` and SDK transaction `sdk`: the browser
/// AReq without the browser's fields (`threeDSCompInd`, `notificationURL`, `browser*`,
/// `acceptLanguage`), with the 3DS SDK's, and in 2.3.1 `sdkType` `01` with `defaultSdkType`.
fn app_areq(id: &str, pan: &str, version: &str, sdk: &str) -> Value {
    let mut request = areq(id, pan, version, "U");
    let map = request.as_object_mut().unwrap();
    map.retain(|k, _| {
        !k.starts_with("browser")
            && !matches!(
                k.as_str(),
                "notificationURL" | "threeDSCompInd" | "acceptLanguage"
            )
    });
    map.insert("deviceChannel".into(), json!("01"));
    for (key, value) in [
        ("sdkAppID", json!("9063b12c-fcde-43c7-b28e-8d0af5520e8a")),
        (
            "sdkEncData",
            json!(
                "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.a2V5.aXY.ZGF0YQ.dGFn"
            ),
        ),
        ("sdkEphemPubKey", sdk_key()),
        ("sdkMaxTimeout", json!("05")),
        (
            "sdkReferenceNumber",
            json!("3DS_LOA_SDK_PBSIM_020200_00001"),
        ),
        ("sdkTransID", json!(sdk)),
        (
            "deviceRenderOptions",
            json!({"sdkInterface": "03", "sdkUiType": ["01", "02", "03", "04", "05"]}),
        ),
    ] {
        map.insert(key.into(), value);
    }
    if version == "2.3.1" {
        map.insert("sdkType".into(), json!("01"));
        map.insert("defaultSdkType".into(), json!({"sdkVariant": "01"}));
    }
    // What the test sends is a valid app AReq by the tables.
    assert_eq!(
        threeds_fields::check(APP_PAYMENT, &request),
        Ok(()),
        "{request:#}"
    );
    request
}

/// Asserts `body` passes the field tables as an app payment's message.
fn assert_app_tables(body: &Value) {
    assert_eq!(threeds_fields::check(APP_PAYMENT, body), Ok(()), "{body:#}");
}

/// `/preauth` (an app runs no 3DS Method) and an app `/auth` in the highest version of the
/// card range (or `version`). Gives the transaction id, the SDK transaction id and the ARes.
async fn authenticate_app(sim: &Sim, pan: &str, version: Option<&str>) -> (String, String, Reply) {
    let crd = sim.preauth(pan).await;
    assert_eq!(crd.str("messageType"), "CRD", "{crd:#?}");
    let id = crd.str("threeDSServerTransID").to_owned();
    let version = version
        .unwrap_or(crd.str("acsEndProtocolVersion"))
        .to_owned();
    let sdk = new_id();
    let ares = sim.auth(&app_areq(&id, pan, &version, &sdk)).await;
    (id, sdk, ares)
}

/// The three parts of a compact JWS, the first two decoded.
fn decode_jws(jws: &str) -> (Value, Value, String) {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "{jws}");
    (
        decode_base64url_json(parts[0]).unwrap(),
        decode_base64url_json(parts[1]).unwrap(),
        parts[2].to_owned(),
    )
}

/// An app CReq for the ARes `ares` with counter `counter` and `extra` members.
fn app_creq(ares: &Value, counter: &str, extra: &[(&str, &str)]) -> Value {
    let mut creq = json!({
        "messageType": "CReq",
        "messageVersion": ares["messageVersion"],
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "sdkTransID": ares["sdkTransID"],
        "sdkCounterStoA": counter,
    });
    for (key, value) in extra {
        creq[*key] = json!(value);
    }
    creq
}

impl Sim {
    /// A 3DS SDK's POST of a CReq (plain JSON) to `url`.
    async fn sdk_post(&self, url: &str, body: &Value) -> Reply {
        let response = self
            .client
            .post(url)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        Sim::reply(response).await
    }

    /// The ACS's `Erro` on the app challenge endpoint: `status`, `code`, `detail`, component A.
    fn assert_acs_erro(reply: &Reply, status: u16, code: &str, detail: &str) {
        assert_eq!(reply.status, status, "{reply:#?}");
        reply.assert_erro(code, detail);
        assert_eq!(reply.str("errorComponent"), "A", "{reply:#?}");
        assert_eq!(reply.str("errorMessageType"), "CReq", "{reply:#?}");
    }
}

/// The `acsURL` of an app ARes's signed content.
fn app_acs_url(ares: &Reply) -> String {
    let (_, payload, _) = decode_jws(ares.str("acsSignedContent"));
    payload["acsURL"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn app_areqs_are_accepted_and_refused_by_field() {
    let sim = Sim::start().await;
    // A card range of every version, without a 3DS Method, frictionless Y.
    let pan = TestCard {
        versions: Versions::All,
        method: Method::Missing,
        outcome: Outcome::Y,
    }
    .pan("400010051111");
    for version in cards::SUPPORTED_VERSIONS {
        let (id, sdk, ares) = authenticate_app(&sim, &pan, Some(version)).await;
        assert_eq!(ares.status, 200, "{ares:#?}");
        assert_eq!(ares.str("messageType"), "ARes", "{ares:#?}");
        assert_eq!(ares.str("transStatus"), "Y");
        assert_eq!(ares.str("sdkTransID"), sdk);
        assert!(!ares.str("acsReferenceNumber").is_empty());
        assert!(ares.body.get("acsURL").is_none());
        assert_app_tables(&ares.body);
        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.areq.unwrap()["deviceChannel"], "01");
    }

    // Each required SDK field (and 2.3.1's sdkType), missing: 201 naming it, with sdkTransID.
    let (_, id, _) = preauth_and_method(&sim, cards::VISA_Y).await;
    let sdk = new_id();
    for field in [
        "sdkAppID",
        "sdkEncData",
        "sdkEphemPubKey",
        "sdkMaxTimeout",
        "sdkReferenceNumber",
        "deviceRenderOptions",
    ] {
        let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
        request.as_object_mut().unwrap().remove(field);
        let erro = sim.auth(&request).await;
        erro.assert_erro("201", field);
        assert_eq!(erro.str("sdkTransID"), sdk, "{erro:#?}");
        assert_app_tables(&erro.body);
    }
    let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
    request.as_object_mut().unwrap().remove("sdkTransID");
    sim.auth(&request).await.assert_erro("201", "sdkTransID");
    let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
    request["deviceRenderOptions"] = json!({"sdkInterface": "01"});
    sim.auth(&request)
        .await
        .assert_erro("201", "deviceRenderOptions.sdkUiType");

    // Malformed: 203 naming the field.
    for (field, value) in [
        ("sdkAppID", json!("not-a-uuid")),
        ("sdkTransID", json!("b2385523a66c4907ac3c91848e8c0067")),
        ("sdkMaxTimeout", json!("04")),
        ("sdkReferenceNumber", json!("R".repeat(33))),
        ("sdkEncData", json!("e".repeat(64001))),
        ("sdkEphemPubKey", json!(sdk_key().to_string())),
        (
            "sdkEphemPubKey",
            json!({"kty": "EC", "crv": "P-256", "x": "x".repeat(200), "y": "y".repeat(60)}),
        ),
        (
            "deviceRenderOptions",
            json!({"sdkInterface": "04", "sdkUiType": ["01"]}),
        ),
        (
            "deviceRenderOptions",
            json!({"sdkInterface": "01", "sdkUiType": ["01", "09"]}),
        ),
    ] {
        let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
        request[field] = value;
        let erro = sim.auth(&request).await;
        erro.assert_erro("203", field);
        assert!(erro.str("errorDescription").contains(field), "{erro:#?}");
    }
    // 2.3.1 asks for the SDK's type, and with a Default-SDK its characteristics.
    let pan_231 = TestCard {
        versions: Versions::V2_3,
        method: Method::Present,
        outcome: Outcome::Y,
    }
    .pan("400010051111");
    let (_, id_231, _) = preauth_and_method(&sim, &pan_231).await;
    let mut request = app_areq(&id_231, &pan_231, "2.3.1", &sdk);
    request.as_object_mut().unwrap().remove("defaultSdkType");
    sim.auth(&request)
        .await
        .assert_erro("201", "defaultSdkType");
    request.as_object_mut().unwrap().remove("sdkType");
    sim.auth(&request).await.assert_erro("201", "sdkType");
    request["sdkType"] = json!("02");
    sim.auth(&request)
        .await
        .assert_erro("201", "splitSdkType,sdkServerSignedContent");
    request["sdkType"] = json!("05");
    sim.auth(&request).await.assert_erro("203", "sdkType");
    // 3RI is still not simulated.
    let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
    request["deviceChannel"] = json!("03");
    let erro = sim.auth(&request).await;
    erro.assert_erro("203", "deviceChannel");
    assert!(erro.str("errorDescription").contains("3RI"), "{erro:#?}");

    // The browser's threeDSCompInd is not checked for an app: this card's 3DS Method was not
    // run, which a browser's Y would be refused for.
    let mut request = app_areq(&id, cards::VISA_Y, "2.2.0", &sdk);
    request["threeDSCompInd"] = json!("N");
    let ares = sim.auth(&request).await;
    assert_eq!(ares.str("messageType"), "ARes", "{ares:#?}");
    assert_eq!(ares.str("transStatus"), "Y");
}

#[tokio::test]
async fn app_frictionless_outcomes_follow_the_card() {
    let sim = Sim::start().await;
    for (pan, status, eci, value, reason) in [
        (cards::VISA_Y, "Y", "05", true, None),
        (cards::VISA_A, "A", "06", true, None),
        (cards::VISA_N, "N", "07", false, Some("01")),
        (cards::VISA_R, "R", "07", false, Some("12")),
        (cards::VISA_U, "U", "07", false, Some("14")),
        (cards::VISA_I, "I", "07", false, None),
        (cards::MASTERCARD_Y, "Y", "02", true, None),
    ] {
        let (id, sdk, ares) = authenticate_app(&sim, pan, None).await;
        assert_eq!(ares.status, 200, "{ares:#?}");
        assert_eq!(ares.str("transStatus"), status, "{pan}");
        assert_eq!(ares.str("eci"), eci, "{pan}");
        assert_eq!(
            ares.body.get("authenticationValue").is_some(),
            value,
            "{pan}"
        );
        assert_eq!(
            ares.body.get("transStatusReason").and_then(Value::as_str),
            reason,
            "{pan}"
        );
        assert_eq!(ares.str("sdkTransID"), sdk);
        assert_eq!(ares.str("acsReferenceNumber"), "3dsecureio-sim-acs");
        assert!(ares.body.get("acsURL").is_none());
        assert!(ares.body.get("acsRenderingType").is_none());
        // The tables ask for the signed content in every app ARes; no challenge, no acsURL.
        let (header, payload, _) = decode_jws(ares.str("acsSignedContent"));
        assert_eq!(header["alg"], "PS256");
        assert!(payload.get("acsURL").is_none(), "{payload:#}");
        assert_eq!(payload["sdkEphemPubKey"], sdk_key());
        assert_app_tables(&ares.body);
        // Frictionless: no RReq, as in a browser.
        sim.postauth(&id).await.assert_erro("203", "frictionless");
    }
    // The directory server's timeout is the same Erro, naming the SDK's transaction.
    let (_, sdk, erro) = authenticate_app(&sim, cards::VISA_DS_TIMEOUT, None).await;
    erro.assert_erro("405", "Connection timeout");
    assert_eq!(erro.str("sdkTransID"), sdk);
}

#[tokio::test]
async fn an_app_challenge_has_signed_content_pointing_at_the_endpoint() {
    let sim = Sim::start().await;
    for (pan, status) in [
        (cards::VISA_CHALLENGE_PASS, "Y"),
        (cards::VISA_CHALLENGE_FAIL, "N"),
        (cards::MANUAL_CHALLENGE_2_1, "manual"),
    ] {
        let (id, sdk, ares) = authenticate_app(&sim, pan, None).await;
        assert_eq!(ares.str("transStatus"), "C", "{ares:#?}");
        assert_app_tables(&ares.body);
        assert!(ares.body.get("acsURL").is_none(), "{ares:#?}");
        assert_eq!(
            ares.body["acsRenderingType"],
            json!({"acsInterface": "01", "acsUiTemplate": "01"})
        );
        assert_eq!(ares.str("acsChallengeMandated"), "N");
        assert!(ares.body.get("authenticationValue").is_none());
        let jws = ares.str("acsSignedContent");
        assert!(jws
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
        let (header, payload, signature) = decode_jws(jws);
        assert_eq!(header, json!({"alg": "PS256"}));
        assert!(!signature.is_empty());
        assert_eq!(payload["acsURL"], sim.sim.app_challenge_url().as_str());
        assert!(payload["acsURL"]
            .as_str()
            .unwrap()
            .ends_with(APP_CHALLENGE_PATH));
        assert_eq!(payload["acsEphemPubKey"], acs_ephemeral_public_key());
        assert_eq!(payload["acsEphemPubKey"]["crv"], "P-256");
        assert_eq!(payload["sdkEphemPubKey"], sdk_key());
        assert_eq!(payload["acsTransID"], ares.body["acsTransID"]);
        if status == "manual" {
            continue;
        }

        // A challenge that ends by itself ends at the first CReq.
        sim.postauth(&id).await.assert_erro("403", "not finished");
        let cres = sim
            .sdk_post(&app_acs_url(&ares), &app_creq(&ares.body, "000", &[]))
            .await;
        assert_eq!(cres.status, 200, "{cres:#?}");
        assert!(cres.content_type.starts_with("application/json"));
        assert_eq!(cres.str("challengeCompletionInd"), "Y");
        assert_eq!(cres.str("transStatus"), status);
        assert_eq!(cres.str("acsCounterAtoS"), "000");
        assert_eq!(cres.str("sdkTransID"), sdk);
        assert_app_tables(&cres.body);
        let rreq = sim.postauth(&id).await;
        assert_app_tables(&rreq.body);
        assert_eq!(rreq.str("transStatus"), status);
        assert_eq!(rreq.str("sdkTransID"), sdk);
        assert_eq!(rreq.body["acsRenderingType"]["acsInterface"], "01");
        assert_eq!(
            rreq.body.get("authenticationValue").is_some(),
            status == "Y"
        );
        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.app_challenge.len(), 2);
        assert_eq!(record.cres.as_ref(), Some(&cres.body));
    }
}

#[tokio::test]
async fn manual_app_challenges_passed_failed_and_cancelled() {
    let sim = Sim::start().await;
    for (entry, status) in [
        (Some(APP_CHALLENGE_CODE), "Y"),
        (Some("0000"), "N"),
        (None, "N"),
    ] {
        let (id, sdk, ares) = authenticate_app(&sim, cards::VISA_CHALLENGE_MANUAL, None).await;
        assert_eq!(ares.str("transStatus"), "C");
        let url = app_acs_url(&ares);
        // Before the SDK opens the challenge, /postauth answers as for a browser.
        sim.postauth(&id).await.assert_erro("403", "not finished");

        let screen = sim.sdk_post(&url, &app_creq(&ares.body, "000", &[])).await;
        assert_eq!(screen.status, 200, "{screen:#?}");
        assert_eq!(screen.str("messageType"), "CRes");
        assert_eq!(screen.str("challengeCompletionInd"), "N");
        assert_eq!(screen.str("acsUiType"), "01");
        assert_eq!(screen.str("acsCounterAtoS"), "000");
        assert_eq!(screen.str("sdkTransID"), sdk);
        assert!(screen.str("challengeInfoText").contains(APP_CHALLENGE_CODE));
        assert!(screen.body.get("transStatus").is_none());
        // The screen is shown, nothing decided: as for a browser.
        sim.postauth(&id).await.assert_erro("403", "not finished");

        let answer = match entry {
            Some(code) => app_creq(&ares.body, "001", &[("challengeDataEntry", code)]),
            None => app_creq(&ares.body, "001", &[("challengeCancel", "01")]),
        };
        let cres = sim.sdk_post(&url, &answer).await;
        assert_eq!(cres.status, 200, "{cres:#?}");
        assert_eq!(cres.str("challengeCompletionInd"), "Y");
        assert_eq!(cres.str("transStatus"), status, "{entry:?}");
        assert_eq!(cres.str("acsCounterAtoS"), "001");
        assert_app_tables(&cres.body);

        let rreq = sim.postauth(&id).await;
        assert_app_tables(&rreq.body);
        assert_eq!(rreq.str("transStatus"), status);
        assert_eq!(rreq.str("sdkTransID"), sdk);
        assert_eq!(
            rreq.body.get("authenticationValue").is_some(),
            status == "Y"
        );
        assert_eq!(
            rreq.body.get("challengeCancel").and_then(Value::as_str),
            entry.is_none().then_some("01")
        );
        // The RReq is answered again, as for a browser.
        assert_eq!(sim.postauth(&id).await.body, rreq.body);

        let record = sim.sim.transaction(&id).unwrap();
        assert_eq!(record.creq, Some(app_creq(&ares.body, "000", &[])));
        assert_eq!(record.app_challenge.len(), 4);
        assert_eq!(record.app_challenge[1], screen.body);
        assert_eq!(record.app_challenge[2], answer);
        assert_eq!(record.cres.as_ref(), Some(&cres.body));
        assert_eq!(record.rreq.as_ref(), Some(&rreq.body));
        assert_eq!(record.postauth_calls, 2);

        // Ended: another CReq is refused.
        let again = sim
            .sdk_post(
                &url,
                &app_creq(&ares.body, "002", &[("challengeDataEntry", "1234")]),
            )
            .await;
        Sim::assert_acs_erro(&again, 409, "203", "acsTransID");
    }
    assert_eq!(sim.sim.activity().challenges, 3);
}

#[tokio::test]
async fn the_app_challenge_endpoint_checks_the_creq() {
    let sim = Sim::start().await;
    let url = sim.url(APP_CHALLENGE_PATH);
    let (_, sdk, ares) = authenticate_app(&sim, cards::VISA_CHALLENGE_MANUAL, None).await;
    assert_eq!(app_acs_url(&ares), url);
    let app = |counter: &str, extra: &[(&str, &str)]| app_creq(&ares.body, counter, extra);

    // Not JSON (the simulator takes no JWE).
    let response = sim
        .client
        .post(&url)
        .header("Content-Type", "application/jose")
        .body("eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn")
        .send()
        .await
        .unwrap();
    let jwe = Sim::reply(response).await;
    Sim::assert_acs_erro(&jwe, 400, "101", "body");
    assert!(jwe.str("errorDescription").contains("JWE"), "{jwe:#?}");
    // Missing and malformed fields.
    let mut missing = app("000", &[]);
    missing.as_object_mut().unwrap().remove("sdkCounterStoA");
    Sim::assert_acs_erro(
        &sim.sdk_post(&url, &missing).await,
        400,
        "201",
        "sdkCounterStoA",
    );
    let mut bad = app("000", &[]);
    bad["sdkTransID"] = json!("nope");
    Sim::assert_acs_erro(&sim.sdk_post(&url, &bad).await, 400, "203", "sdkTransID");
    // Another SDK transaction, another version, a counter out of step.
    let mut other = app("000", &[]);
    other["sdkTransID"] = json!(new_id());
    let erro = sim.sdk_post(&url, &other).await;
    Sim::assert_acs_erro(&erro, 400, "203", "sdkTransID");
    assert!(erro.str("errorDescription").contains("AReq"), "{erro:#?}");
    let mut version = app("000", &[]);
    version["messageVersion"] = json!("2.1.0");
    Sim::assert_acs_erro(
        &sim.sdk_post(&url, &version).await,
        400,
        "203",
        "messageVersion",
    );
    let erro = sim.sdk_post(&url, &app("001", &[])).await;
    Sim::assert_acs_erro(&erro, 400, "203", "sdkCounterStoA");
    // The code before the screen, and no code after it.
    let early = sim
        .sdk_post(&url, &app("000", &[("challengeDataEntry", "1234")]))
        .await;
    Sim::assert_acs_erro(&early, 400, "203", "challengeDataEntry");
    assert_eq!(sim.sdk_post(&url, &app("000", &[])).await.status, 200);
    let erro = sim.sdk_post(&url, &app("001", &[])).await;
    Sim::assert_acs_erro(&erro, 400, "201", "challengeDataEntry");
    assert_eq!(erro.str("sdkTransID"), sdk);
    assert_eq!(
        erro.str("threeDSServerTransID"),
        ares.str("threeDSServerTransID")
    );
    // Unknown acsTransID.
    let mut unknown = app("000", &[]);
    unknown["acsTransID"] = json!(new_id());
    Sim::assert_acs_erro(
        &sim.sdk_post(&url, &unknown).await,
        400,
        "301",
        "acsTransID",
    );

    // An app transaction has no browser challenge page...
    let page = sim
        .form(
            &sim.url(CHALLENGE_PATH),
            &[("creq", &creq(&ares.body, "01"))],
        )
        .await;
    assert_eq!(page.status, 409, "{page:#?}");
    assert!(page.text.contains("3DS SDK"), "{page:#?}");
    let buttons = sim
        .form(
            &sim.url(&format!("{CHALLENGE_PATH}/{}", ares.str("acsTransID"))),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(buttons.status, 409, "{buttons:#?}");
    // ... and a browser transaction no app challenge.
    let (_, _, browser) = authenticate(&sim, cards::VISA_CHALLENGE_PASS, None).await;
    let mut browser_creq = app_creq(&browser.body, "000", &[]);
    browser_creq["sdkTransID"] = json!(new_id());
    let erro = sim.sdk_post(&url, &browser_creq).await;
    Sim::assert_acs_erro(&erro, 409, "203", "acsTransID");
    assert!(
        erro.str("errorDescription").contains("browser"),
        "{erro:#?}"
    );
    // A frictionless app authentication has no challenge.
    let (_, _, frictionless) = authenticate_app(&sim, cards::VISA_Y, None).await;
    let erro = sim
        .sdk_post(&url, &app_creq(&frictionless.body, "000", &[]))
        .await;
    Sim::assert_acs_erro(&erro, 409, "203", "acsTransID");
    assert!(
        erro.str("errorDescription").contains("frictionless"),
        "{erro:#?}"
    );
    // None of these reached the API.
    assert_eq!(sim.sim.activity().challenges, 0);
}
