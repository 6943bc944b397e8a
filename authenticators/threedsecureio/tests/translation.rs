//! The 3dsecure.io translation, without a server: what each call sends (checked against the
//! provider's field tables), how answers are read, and what never leaks.

#![allow(clippy::unwrap_used)]

mod spec;

use std::net::{IpAddr, Ipv4Addr};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use paybridge_core::authentication::*;
use paybridge_core::details::{BrowserInfo, Contact, CountryCode, Email, PostalAddress};
use paybridge_core::http::{ContentType, Exchange, HttpResponse, Method, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::time::macros::datetime;
use paybridge_core::*;
use paybridge_threedsecureio::{ThreeDSecureIo, SENSITIVE_FIELDS};
use serde_json::{json, Value};

const API_KEY: &str = "0c6a5f1e-2b7d-4c8e-9f10-a1b2c3d4e5f6";
const PAN: &str = "4000100511132003";
const TRANS_ID: &str = "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb";
const ACS_ID: &str = "43163cd0-c849-4924-82c1-7bec32b94881";
const DS_ID: &str = "1cf815e5-cc85-436f-8e13-9f5e5aea731f";
const CAVV: &str = "mK225wGt2bLnnLB0UlRky0oHLnU=";

fn config(acquirer_country: Option<&str>) -> ConnectorConfig {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), API_KEY);
    if let Some(code) = acquirer_country {
        config
            .extra
            .insert("acquirer_country_code".into(), code.into());
    }
    config
}

/// Without the acquirer's country: 2.1.0 and 2.2.0.
fn tdsio() -> ThreeDSecureIo {
    ThreeDSecureIo::new(&config(None)).unwrap()
}

/// With it: 2.3.1 too.
fn tdsio_231() -> ThreeDSecureIo {
    ThreeDSecureIo::new(&config(Some("208"))).unwrap()
}

fn body<T>(exchange: &Exchange<T>) -> Value {
    serde_json::from_str(exchange.request().body_text().unwrap()).unwrap()
}

fn answer<T: 'static>(exchange: Exchange<T>, status: u16, body: &str) -> Result<T, ConnectorError> {
    match exchange.parse(HttpResponse::new(status, body.to_owned()))? {
        Step::Done(answer) => Ok(answer),
        Step::Next(_) => panic!("a single call asked for another"),
    }
}

fn browser() -> BrowserInfo {
    BrowserInfo {
        color_depth: Some(24),
        java_enabled: Some(false),
        java_script_enabled: Some(true),
        language: Some("en-GB".into()),
        screen_height: Some(1080),
        screen_width: Some(1920),
        time_zone: Some(-60),
        ip_address: Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11))),
        accept_header: Some("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0".into()),
        accept_language: Some("en-GB,en;q=0.9,da;q=0.8".into()),
        ..BrowserInfo::default()
    }
}

fn billing() -> Contact {
    Contact {
        address: Some(PostalAddress {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            line1: Some("1 Main Street".into()),
            line2: Some("Flat 2".into()),
            line3: Some("Islington".into()),
            city: Some("London".into()),
            state: Some("GB-LND".into()),
            zip: Some("N1 9GU".into()),
            country: Some(CountryCode::new("GB").unwrap()),
        }),
        phone: None,
        email: None,
    }
}

fn request(version: &str) -> AuthenticationRequest {
    AuthenticationRequest {
        server_transaction_id: TRANS_ID.into(),
        message_version: version.into(),
        card: Card {
            number: PAN.parse().unwrap(),
            expiry: CardExpiry::new(3, 2031).unwrap(),
            cvc: None,
            holder_name: Some("Ada Lovelace".into()),
        },
        amount: MinorUnit::new(1050).unwrap(),
        currency: Currency::EUR,
        device: Device::Browser {
            info: browser(),
            method_completion: MethodCompletion::Completed,
        },
        notification_url: "https://shop.example/3ds/challenge".parse().unwrap(),
        merchant: ThreeDsMerchant {
            name: "Dummy Merchant".into(),
            country_numeric: "826".into(),
            mcc: "5411".into(),
            acquirer_bin: "438309".into(),
            acquirer_merchant_id: "00002000000".into(),
            requestor_url: "https://shop.example".parse().unwrap(),
        },
        email: Some(Email::new("ada@example.com").unwrap()),
        billing: Some(billing()),
        purchase_date: datetime!(2026-03-16 15:13:12 +01:00),
    }
}

/// The browser details of a browser request.
fn browser_of(req: &mut AuthenticationRequest) -> &mut BrowserInfo {
    match &mut req.device {
        Device::Browser { info, .. } => info,
        Device::App(_) => panic!("a browser request"),
    }
}

/// Sets how the 3DS Method went, for a browser request.
fn set_method_completion(req: &mut AuthenticationRequest, completion: MethodCompletion) {
    match &mut req.device {
        Device::Browser {
            method_completion, ..
        } => *method_completion = completion,
        Device::App(_) => panic!("a browser request"),
    }
}

fn areq(version: &str) -> Value {
    let translator = if version == "2.3.1" {
        tdsio_231()
    } else {
        tdsio()
    };
    body(&translator.authenticate(&request(version)).unwrap())
}

fn invalid_field(result: Result<impl Sized, ConnectorError>) -> (&'static str, String) {
    match result {
        Err(ConnectorError::InvalidRequest { field, message }) => (field, message),
        Err(other) => panic!("expected an invalid request, got {other:?}"),
        Ok(_) => panic!("expected an invalid request, got a request"),
    }
}

fn preauth_request() -> PreAuthenticationRequest {
    PreAuthenticationRequest {
        card_number: PAN.parse().unwrap(),
        method_notification_url: "https://shop.example/3ds/method".parse().unwrap(),
    }
}

fn decode(b64: &str) -> Value {
    assert!(
        !b64.contains(['=', '+', '/']),
        "not base64url without padding: {b64}"
    );
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(b64).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Requests

#[test]
fn version_lookup_posts_the_card_number_with_the_api_key() {
    let exchange = tdsio().pre_authenticate(&preauth_request()).unwrap();
    let req = exchange.request();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.url.as_str(), "http://sim.test/base/preauth");
    let key = req.headers.get("APIKey").unwrap();
    assert_eq!(key.to_str().unwrap(), API_KEY);
    assert!(key.is_sensitive(), "the API key is marked sensitive");
    assert_eq!(req.headers.len(), 1, "{:?}", req.headers);
    assert_eq!(req.body.as_ref().unwrap().0, ContentType::Json);
    assert_eq!(
        req.body_text(),
        Some(r#"{"acctNumber":"4000100511132003"}"#)
    );
    assert!(req.idempotency_key.is_none());
    assert!(exchange.moves_no_money());
}

#[test]
fn the_result_posts_the_transaction_id() {
    let exchange = tdsio()
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: TRANS_ID.into(),
        })
        .unwrap();
    let req = exchange.request();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.url.as_str(), "http://sim.test/base/postauth");
    assert_eq!(req.headers.get("apikey").unwrap(), API_KEY);
    assert_eq!(body(&exchange), json!({"threeDSServerTransID": TRANS_ID}));
    assert!(exchange.moves_no_money());
    let (field, _) = invalid_field(tdsio().authentication_result(&AuthenticationResultRequest {
        server_transaction_id: "../x".into(),
    }));
    assert_eq!(field, "server_transaction_id");
}

#[test]
fn a_browser_authentication_sends_the_documented_areq() {
    let exchange = tdsio().authenticate(&request("2.2.0")).unwrap();
    let req = exchange.request();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.url.as_str(), "http://sim.test/base/auth");
    assert_eq!(req.headers.get("APIKey").unwrap(), API_KEY);
    assert!(exchange.moves_no_money());
    assert_eq!(
        body(&exchange),
        json!({
            "messageType": "AReq",
            "messageVersion": "2.2.0",
            "messageCategory": "01",
            "deviceChannel": "02",
            "threeDSServerTransID": TRANS_ID,
            "threeDSCompInd": "Y",
            "threeDSRequestorAuthenticationInd": "01",
            "threeDSRequestorURL": "https://shop.example/",
            "notificationURL": "https://shop.example/3ds/challenge",
            "transType": "01",
            "acctNumber": PAN,
            "cardExpiryDate": "3103",
            "cardholderName": "Ada Lovelace",
            "purchaseAmount": "1050",
            "purchaseCurrency": "978",
            "purchaseExponent": "2",
            "purchaseDate": "20260316141312",
            "acquirerBIN": "438309",
            "acquirerMerchantID": "00002000000",
            "mcc": "5411",
            "merchantCountryCode": "826",
            "merchantName": "Dummy Merchant",
            "browserAcceptHeader": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            "browserIP": "192.168.1.11",
            "browserJavaEnabled": false,
            "browserJavascriptEnabled": true,
            "browserLanguage": "en-GB",
            "browserColorDepth": "24",
            "browserScreenHeight": "1080",
            "browserScreenWidth": "1920",
            "browserTZ": "-60",
            "browserUserAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
            "email": "ada@example.com",
            "billAddrLine1": "1 Main Street",
            "billAddrLine2": "Flat 2",
            "billAddrLine3": "Islington",
            "billAddrCity": "London",
            "billAddrState": "LND",
            "billAddrPostCode": "N1 9GU",
            "billAddrCountry": "826",
        })
    );
}

#[test]
fn each_version_gets_its_own_fields() {
    let v210 = areq("2.1.0");
    assert_eq!(v210["messageVersion"], "2.1.0");
    assert!(
        v210.get("browserJavascriptEnabled").is_none(),
        "not a 2.1.0 field"
    );
    assert!(v210.get("acceptLanguage").is_none());
    let v220 = areq("2.2.0");
    let mut same = v210.as_object().unwrap().clone();
    same.insert("messageVersion".into(), json!("2.2.0"));
    same.insert("browserJavascriptEnabled".into(), json!(true));
    assert_eq!(Value::Object(same), v220);

    let v231 = areq("2.3.1");
    assert_eq!(v231["acquirerCountryCode"], "208");
    assert_eq!(v231["acquirerCountryCodeSource"], "01");
    assert_eq!(v231["acceptLanguage"], json!(["en-GB", "en", "da"]));
    assert!(v220.get("acquirerCountryCode").is_none());
    // Without the Accept-Language header: the browser's language.
    let mut req = request("2.3.1");
    browser_of(&mut req).accept_language = None;
    let without = body(&tdsio_231().authenticate(&req).unwrap());
    assert_eq!(without["acceptLanguage"], json!(["en-GB"]));
}

#[test]
fn amounts_dates_and_currencies_are_in_the_documented_formats() {
    let mut req = request("2.2.0");
    req.amount = MinorUnit::new(1234).unwrap();
    req.currency = Currency::KWD;
    req.purchase_date = datetime!(2026-12-31 23:59:59 -05:00);
    req.card.expiry = CardExpiry::new(11, 2030).unwrap();
    set_method_completion(&mut req, MethodCompletion::Unavailable);
    let b = body(&tdsio().authenticate(&req).unwrap());
    assert_eq!(b["purchaseAmount"], "1234");
    assert_eq!(b["purchaseCurrency"], "414");
    assert_eq!(b["purchaseExponent"], "3");
    assert_eq!(b["purchaseDate"], "20270101045959");
    assert_eq!(b["cardExpiryDate"], "3011");
    assert_eq!(b["threeDSCompInd"], "U");
    req.currency = Currency::JPY;
    set_method_completion(&mut req, MethodCompletion::NotCompleted);
    let b = body(&tdsio().authenticate(&req).unwrap());
    assert_eq!(
        (&b["purchaseCurrency"], &b["purchaseExponent"]),
        (&json!("392"), &json!("0"))
    );
    assert_eq!(b["threeDSCompInd"], "N");
}

#[test]
fn optional_details_are_left_out_when_not_given() {
    let mut req = request("2.2.0");
    req.email = None;
    req.billing = None;
    req.card.holder_name = None;
    let browser = browser_of(&mut req);
    browser.ip_address = None;
    let b = body(&tdsio().authenticate(&req).unwrap());
    for absent in [
        "email",
        "billAddrLine1",
        "billAddrCountry",
        "cardholderName",
        "browserIP",
    ] {
        assert!(b.get(absent).is_none(), "{absent}");
    }
    spec::assert_follows("areq_220", &b, spec::BRW);
}

// ---------------------------------------------------------------------------------------------
// The app channel (deviceChannel 01)

const SDK_APP_ID: &str = "9063b12c-fcde-43c7-b28e-8d0af5520e8a";
const SDK_TRANS_ID: &str = "b2385523-a66c-4907-ac3c-91848e8c0067";
const SDK_REFERENCE: &str = "3DS_LOA_SDK_EXMP_020200_00001";
/// A compact JWE (its header is `{"alg":"RSA-OAEP-256","enc":"A128GCM"}`).
const SDK_ENC_DATA: &str = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMTI4R0NNIn0.\
    d3JhcHBlZC1jb250ZW50LWtleS1ieXRlcw.aW5pdHZlY3RvcjEy.ZW5jcnlwdGVkIGRldmljZSBkYXRh.\
    YXV0aGVudGljYXRpb24tdGFn";
/// A compact JWS, as an ACS signs the ARes for an app.
const ACS_SIGNED: &str = "eyJhbGciOiJQUzI1NiJ9.\
    eyJhY3NVUkwiOiJodHRwczovL2Fjcy5leGFtcGxlL2FwcCIsImFjc0VwaGVtUHViS2V5Ijp7Imt0eSI6IkVDIn19.\
    c2lnbmF0dXJlLWJ5dGVz";

fn ephemeral_key() -> serde_json::Map<String, Value> {
    json!({"kty": "EC", "crv": "P-256",
           "x": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
           "y": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"})
    .as_object()
    .unwrap()
    .clone()
}

fn sdk() -> SdkInformation {
    SdkInformation {
        app_id: SDK_APP_ID.into(),
        encrypted_data: SDK_ENC_DATA.into(),
        ephemeral_public_key: ephemeral_key(),
        max_timeout_minutes: 5,
        reference_number: SDK_REFERENCE.into(),
        transaction_id: SDK_TRANS_ID.into(),
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

fn app_request(version: &str) -> AuthenticationRequest {
    AuthenticationRequest {
        device: Device::App(sdk()),
        ..request(version)
    }
}

/// The SDK data of an app request.
fn sdk_of(req: &mut AuthenticationRequest) -> &mut SdkInformation {
    match &mut req.device {
        Device::App(sdk) => sdk,
        Device::Browser { .. } => panic!("an app request"),
    }
}

fn translator(version: &str) -> ThreeDSecureIo {
    if version == "2.3.1" {
        tdsio_231()
    } else {
        tdsio()
    }
}

fn app_areq(version: &str) -> Value {
    body(
        &translator(version)
            .authenticate(&app_request(version))
            .unwrap(),
    )
}

/// The app AReq at 2.2.0, as the tables want it: the SDK's data and `deviceRenderOptions`,
/// no browser field, no `threeDSCompInd`, no `notificationURL`.
fn app_areq_220() -> Value {
    json!({
        "messageType": "AReq",
        "messageVersion": "2.2.0",
        "messageCategory": "01",
        "deviceChannel": "01",
        "threeDSServerTransID": TRANS_ID,
        "threeDSRequestorAuthenticationInd": "01",
        "threeDSRequestorURL": "https://shop.example/",
        "transType": "01",
        "acctNumber": PAN,
        "cardExpiryDate": "3103",
        "cardholderName": "Ada Lovelace",
        "purchaseAmount": "1050",
        "purchaseCurrency": "978",
        "purchaseExponent": "2",
        "purchaseDate": "20260316141312",
        "acquirerBIN": "438309",
        "acquirerMerchantID": "00002000000",
        "mcc": "5411",
        "merchantCountryCode": "826",
        "merchantName": "Dummy Merchant",
        "sdkAppID": SDK_APP_ID,
        "sdkEncData": SDK_ENC_DATA,
        "sdkEphemPubKey": {"kty": "EC", "crv": "P-256",
            "x": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
            "y": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"},
        "sdkMaxTimeout": "05",
        "sdkReferenceNumber": SDK_REFERENCE,
        "sdkTransID": SDK_TRANS_ID,
        "deviceRenderOptions": {"sdkInterface": "03", "sdkUiType": ["01", "02", "03", "04", "05"]},
        "email": "ada@example.com",
        "billAddrLine1": "1 Main Street",
        "billAddrLine2": "Flat 2",
        "billAddrLine3": "Islington",
        "billAddrCity": "London",
        "billAddrState": "LND",
        "billAddrPostCode": "N1 9GU",
        "billAddrCountry": "826",
    })
}

#[test]
fn an_app_authentication_sends_the_sdk_data_at_2_2_0() {
    let exchange = tdsio().authenticate(&app_request("2.2.0")).unwrap();
    assert_eq!(exchange.request().url.as_str(), "http://sim.test/base/auth");
    assert!(exchange.moves_no_money());
    let sent = body(&exchange);
    assert_eq!(sent, app_areq_220());
    // The key is a JSON object on the wire, not a string holding JSON.
    assert!(sent["sdkEphemPubKey"].is_object());
    spec::assert_follows("areq_220", &sent, spec::APP);
}

#[test]
fn an_app_authentication_sends_the_sdk_data_at_2_1_0() {
    let mut expected = app_areq_220();
    expected["messageVersion"] = json!("2.1.0");
    let sent = app_areq("2.1.0");
    assert_eq!(sent, expected);
    spec::assert_follows("areq_210", &sent, spec::APP);
}

#[test]
fn an_app_authentication_at_2_3_1_adds_the_sdk_type_and_the_acquirer_country() {
    let mut expected = app_areq_220();
    let fields = expected.as_object_mut().unwrap();
    fields.insert("messageVersion".into(), json!("2.3.1"));
    fields.insert("acquirerCountryCode".into(), json!("208"));
    fields.insert("acquirerCountryCodeSource".into(), json!("01"));
    fields.insert("sdkType".into(), json!("01"));
    fields.insert("defaultSdkType".into(), json!({"sdkVariant": "01"}));
    let sent = app_areq("2.3.1");
    assert_eq!(sent, expected);
    spec::assert_follows("areq_231", &sent, spec::APP);
    // The table requires sdkType at 2.3.1, and defaultSdkType with sdkType 01.
    let mut without = sent.clone();
    without.as_object_mut().unwrap().remove("sdkType");
    assert!(spec::violations("areq_231", &without, spec::APP)
        .contains(&"sdkType: required but missing".to_owned()));
    let mut without = sent;
    without.as_object_mut().unwrap().remove("defaultSdkType");
    assert!(spec::violations("areq_231", &without, spec::APP)
        .contains(&"defaultSdkType: required but missing".to_owned()));
}

#[test]
fn app_and_browser_bodies_carry_only_their_own_channels_fields() {
    for (version, table) in [
        ("2.1.0", "areq_210"),
        ("2.2.0", "areq_220"),
        ("2.3.1", "areq_231"),
    ] {
        let app = app_areq(version);
        for browser_only in [
            "threeDSCompInd",
            "notificationURL",
            "browserAcceptHeader",
            "browserUserAgent",
            "browserIP",
            "browserLanguage",
            "browserJavascriptEnabled",
            "acceptLanguage",
        ] {
            assert!(app.get(browser_only).is_none(), "{version} {browser_only}");
        }
        let browser = areq(version);
        for app_only in [
            "sdkAppID",
            "sdkEncData",
            "sdkEphemPubKey",
            "sdkMaxTimeout",
            "sdkReferenceNumber",
            "sdkTransID",
            "sdkType",
            "defaultSdkType",
            "deviceRenderOptions",
        ] {
            assert!(browser.get(app_only).is_none(), "{version} {app_only}");
        }
        // As little as the app allows: no optional detail, one UI type, the longest timeout.
        let mut req = app_request(version);
        req.email = None;
        req.billing = None;
        req.card.holder_name = None;
        let sdk = sdk_of(&mut req);
        sdk.max_timeout_minutes = 99;
        sdk.interface = SdkInterface::Native;
        sdk.ui_types = vec![SdkUiType::OutOfBand, SdkUiType::OutOfBand];
        let minimal = body(&translator(version).authenticate(&req).unwrap());
        assert_eq!(minimal["sdkMaxTimeout"], "99");
        assert_eq!(
            minimal["deviceRenderOptions"],
            json!({"sdkInterface": "01", "sdkUiType": ["04"]})
        );
        spec::assert_follows(table, &minimal, spec::APP);
        // The browser's notification URL is not the app's: not sent, so not checked.
        let mut req = app_request(version);
        req.notification_url = "http://shop.example/3ds".parse().unwrap();
        assert!(translator(version).authenticate(&req).is_ok(), "{version}");
    }
}

#[test]
fn sdk_values_outside_the_tables_are_refused_by_field_before_sending() {
    type Edit = fn(&mut SdkInformation);
    let cases: [(Edit, &str, &str); 17] = [
        (|s| s.app_id = "not-a-uuid".into(), "sdk.app_id", "sdkAppID"),
        (
            |s| s.app_id = "9063b12cfcde43c7b28e8d0af5520e8a".into(),
            "sdk.app_id",
            "sdkAppID",
        ),
        (
            |s| s.transaction_id = "b2385523-a66c-4907-ac3c-91848e8c006".into(),
            "sdk.transaction_id",
            "sdkTransID",
        ),
        (
            |s| s.transaction_id = "g2385523-a66c-4907-ac3c-91848e8c0067".into(),
            "sdk.transaction_id",
            "sdkTransID",
        ),
        (
            |s| s.encrypted_data = String::new(),
            "sdk.encrypted_data",
            "sdkEncData",
        ),
        (
            |s| s.encrypted_data = format!("eyJh.a.b.{}.c", "A".repeat(64_000)),
            "sdk.encrypted_data",
            "sdkEncData",
        ),
        (
            |s| s.encrypted_data = "eyJh.a.b.c".into(),
            "sdk.encrypted_data",
            "sdkEncData",
        ),
        (
            |s| s.encrypted_data = "eyJh.a.b.c+d/e=.f".into(),
            "sdk.encrypted_data",
            "sdkEncData",
        ),
        (
            |s| s.ephemeral_public_key = serde_json::Map::new(),
            "sdk.ephemeral_public_key",
            "sdkEphemPubKey",
        ),
        (
            |s| {
                s.ephemeral_public_key
                    .insert("x5c".into(), json!(["M".repeat(200)]));
            },
            "sdk.ephemeral_public_key",
            "sdkEphemPubKey",
        ),
        (
            |s| s.max_timeout_minutes = 4,
            "sdk.max_timeout_minutes",
            "sdkMaxTimeout",
        ),
        (
            |s| s.max_timeout_minutes = 100,
            "sdk.max_timeout_minutes",
            "sdkMaxTimeout",
        ),
        (
            |s| s.max_timeout_minutes = 0,
            "sdk.max_timeout_minutes",
            "sdkMaxTimeout",
        ),
        (
            |s| s.reference_number = " ".into(),
            "sdk.reference_number",
            "sdkReferenceNumber",
        ),
        (
            |s| s.reference_number = "R".repeat(33),
            "sdk.reference_number",
            "sdkReferenceNumber",
        ),
        (|s| s.ui_types.clear(), "sdk.ui_types", "sdkUiType"),
        (
            |s| s.interface = SdkInterface::Native,
            "sdk.ui_types",
            "sdkUiType",
        ),
    ];
    for version in ["2.1.0", "2.2.0", "2.3.1"] {
        for (edit, field, wire) in cases {
            let mut req = app_request(version);
            edit(sdk_of(&mut req));
            let (got, message) = invalid_field(translator(version).authenticate(&req));
            assert_eq!(got, field, "{version}: {message}");
            assert!(message.contains(wire), "{message}");
            // The encrypted device data is never repeated.
            assert!(!message.contains("eyJh"), "{message}");
            assert!(!message.contains("ZW5jcnlwdGVk"), "{message}");
        }
    }
    // The limits themselves pass: 32 characters of reference, 256 of key.
    let mut req = app_request("2.2.0");
    let sdk = sdk_of(&mut req);
    sdk.reference_number = "R".repeat(32);
    let base = serde_json::to_string(&sdk.ephemeral_public_key)
        .unwrap()
        .len();
    // `,"kid":""` is 9 characters, then the value.
    let fill = 256 - base - 9;
    sdk.ephemeral_public_key
        .insert("kid".into(), json!("k".repeat(fill)));
    let sent = body(&tdsio().authenticate(&req).unwrap());
    assert_eq!(sent["sdkEphemPubKey"].to_string().len(), 256);
    spec::assert_follows("areq_220", &sent, spec::APP);
    sdk_of(&mut req)
        .ephemeral_public_key
        .insert("kid".into(), json!("k".repeat(fill + 1)));
    let (field, _) = invalid_field(tdsio().authenticate(&req));
    assert_eq!(field, "sdk.ephemeral_public_key");
}

#[test]
fn the_checker_finds_what_breaks_the_app_tables() {
    let good = app_areq("2.2.0");
    assert_eq!(
        spec::violations("areq_220", &good, spec::APP),
        Vec::<String>::new()
    );
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        spec::violations("areq_220", &b, spec::APP)
    };
    type Edit<'a> = &'a dyn Fn(&mut Value);
    let cases: [(Edit<'_>, &str); 9] = [
        (
            &|b| {
                b.as_object_mut().unwrap().remove("sdkTransID");
            },
            "sdkTransID: required but missing",
        ),
        (
            &|b| {
                b.as_object_mut().unwrap().remove("deviceRenderOptions");
            },
            "deviceRenderOptions: required but missing",
        ),
        (
            &|b| b["sdkMaxTimeout"] = json!("5"),
            "sdkMaxTimeout: length is not 2",
        ),
        (
            &|b| b["sdkMaxTimeout"] = json!("04"),
            "sdkMaxTimeout: \"04\" is outside 05 … 99",
        ),
        (
            &|b| b["sdkEphemPubKey"]["kid"] = json!("k".repeat(200)),
            "sdkEphemPubKey: longer than 256",
        ),
        (
            &|b| b["deviceRenderOptions"]["sdkUiType"] = json!(["01", "08"]),
            "deviceRenderOptions.sdkUiType: \"08\" is not one of",
        ),
        (
            &|b| b["deviceRenderOptions"]["sdkInterface"] = json!("04"),
            "deviceRenderOptions.sdkInterface: \"04\" is not one of",
        ),
        (
            &|b| b["threeDSCompInd"] = json!("Y"),
            "threeDSCompInd: not a field of channel APP",
        ),
        (
            &|b| b["browserUserAgent"] = json!("Mozilla/5.0"),
            "browserUserAgent: not a field of channel APP",
        ),
    ];
    for (edit, expected) in cases {
        let found = broken(edit);
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected} in {found:#?}"
        );
    }
    // A `Required if deviceChannel is …` line narrows the row's other conditions: a browser's
    // frictionless ARes needs no acsURL (the provider's own example has none), its challenge
    // does; an app's ARes needs acsSignedContent for a challenge only.
    let frictionless = ares("Y", json!({"authenticationValue": CAVV, "eci": "05"}));
    spec::assert_follows("ares_220", &frictionless, spec::BRW);
    let challenge = ares(
        "C",
        json!({"acsChallengeMandated": "N", "authenticationType": "01"}),
    );
    assert_eq!(
        spec::violations("ares_220", &challenge, spec::BRW),
        ["acsURL: required but missing"]
    );
    let app_challenge = app_ares(
        "C",
        json!({"acsChallengeMandated": "N", "authenticationType": "01",
               "acsSignedContent": ACS_SIGNED}),
    );
    assert_eq!(
        spec::violations("ares_220", &app_challenge, spec::APP),
        ["acsRenderingType: required but missing"]
    );
    // A browser's body read as an app's: the SDK's fields missing, the browser's out of place.
    let mut as_app = areq("2.2.0");
    as_app["deviceChannel"] = json!("01");
    let found = spec::violations("areq_220", &as_app, spec::APP);
    for expected in [
        "sdkAppID: required but missing",
        "sdkEncData: required but missing",
        "deviceRenderOptions: required but missing",
        "notificationURL: not a field of channel APP",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected} in {found:#?}"
        );
    }
}

fn app_ares(status: &str, extra: Value) -> Value {
    let mut ares = ares(status, json!({"sdkTransID": SDK_TRANS_ID}));
    ares.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    ares
}

fn app_authenticated(ares: Value) -> Result<AuthenticationResponse, ConnectorError> {
    let exchange = tdsio().authenticate(&app_request("2.2.0")).unwrap();
    answer(exchange, 200, &ares.to_string())
}

#[test]
fn an_app_frictionless_ares_is_read() {
    let fixture = app_ares("Y", json!({"authenticationValue": CAVV, "eci": "05"}));
    spec::assert_follows("ares_220", &fixture, spec::APP);
    let response = app_authenticated(fixture).unwrap();
    assert_eq!(response.status, TransStatus::Authenticated);
    assert_eq!(
        response.authentication_value.as_ref().unwrap().expose(),
        CAVV
    );
    assert_eq!(response.eci.as_deref(), Some("05"));
    assert_eq!(response.server_transaction_id, TRANS_ID);
    assert_eq!(response.ds_transaction_id, DS_ID);
    assert_eq!(response.acs_transaction_id, ACS_ID);
    assert_eq!(
        response.acs_reference_number.as_deref(),
        Some("3dsecure.io-standin-acs")
    );
    assert_eq!(response.acs_signed_content, None);
    assert_eq!(response.challenge, None);
    // With the ACS's signed content, it is read too.
    let signed = app_ares(
        "Y",
        json!({"authenticationValue": CAVV, "eci": "05", "acsSignedContent": ACS_SIGNED}),
    );
    let response = app_authenticated(signed).unwrap();
    assert_eq!(response.acs_signed_content.as_deref(), Some(ACS_SIGNED));
    assert_eq!(response.challenge, None);
}

#[test]
fn an_app_challenge_is_left_to_the_sdk_with_the_acs_signed_content() {
    let fixture = app_ares(
        "C",
        json!({"acsSignedContent": ACS_SIGNED, "acsChallengeMandated": "Y",
               "authenticationType": "02",
               "acsRenderingType": {"acsInterface": "01", "acsUiTemplate": "01"}}),
    );
    spec::assert_follows("ares_220", &fixture, spec::APP);
    let response = app_authenticated(fixture).unwrap();
    assert_eq!(response.status, TransStatus::ChallengeRequired);
    assert_eq!(response.acs_signed_content.as_deref(), Some(ACS_SIGNED));
    assert_eq!(
        response.acs_reference_number.as_deref(),
        Some("3dsecure.io-standin-acs")
    );
    assert_eq!(response.acs_transaction_id, ACS_ID);
    assert_eq!(response.server_transaction_id, TRANS_ID);
    assert_eq!(response.authentication_value, None);
    // No acsURL and no CReq: the SDK runs the challenge.
    assert_eq!(response.challenge, None);
    // An acsURL the ACS sends anyway changes nothing.
    let with_url = app_ares(
        "C",
        json!({"acsSignedContent": ACS_SIGNED, "acsURL": "https://acs.example/challenge"}),
    );
    assert_eq!(app_authenticated(with_url).unwrap().challenge, None);
}

#[test]
fn an_app_challenge_without_what_the_sdk_needs_is_refused() {
    let without_signed = app_ares(
        "C",
        json!({"acsChallengeMandated": "N", "acsURL": "https://acs.example/challenge"}),
    );
    // The table's own rule, which the checker applies too.
    assert!(spec::violations("ares_220", &without_signed, spec::APP)
        .contains(&"acsSignedContent: required but missing".to_owned()));
    let err = app_authenticated(without_signed).unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidResponse {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("acsSignedContent"), "{err}");

    let mut without_reference = app_ares("C", json!({"acsSignedContent": ACS_SIGNED}));
    without_reference
        .as_object_mut()
        .unwrap()
        .remove("acsReferenceNumber");
    let err = app_authenticated(without_reference).unwrap_err();
    assert!(err.to_string().contains("acsReferenceNumber"), "{err}");

    // Malformed or foreign answers, in an app.
    let cases = [
        app_ares("C", json!({"acsSignedContent": "not a jws"})),
        app_ares("C", json!({"acsSignedContent": "a.b"})),
        app_ares("C", json!({"acsSignedContent": "a.b.c.d"})),
        app_ares("C", json!({"acsSignedContent": "a.b+.c"})),
        app_ares(
            "C",
            json!({"acsSignedContent": ACS_SIGNED, "acsReferenceNumber": "R".repeat(33)}),
        ),
        app_ares(
            "C",
            json!({"acsSignedContent": ACS_SIGNED,
                   "sdkTransID": "0f0e0d0c-0b0a-4909-8807-060504030201"}),
        ),
        app_ares("Y", json!({"eci": "05"})),
    ];
    for ares in cases {
        let err = app_authenticated(ares.clone()).unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::InvalidResponse {
                    outcome_unknown: false,
                    ..
                }
            ),
            "{ares}: {err:?}"
        );
    }
    // At 2.3.1, 16000 characters at most.
    let long = format!("eyJh.{}.c2ln", "A".repeat(16_000));
    let exchange = tdsio_231().authenticate(&app_request("2.3.1")).unwrap();
    let mut ares = app_ares("C", json!({"acsSignedContent": long}));
    ares["messageVersion"] = json!("2.3.1");
    let err = answer(exchange, 200, &ares.to_string()).unwrap_err();
    assert!(err.to_string().contains("16000"), "{err}");
}

#[test]
fn a_browser_answer_carries_the_acs_reference_and_signed_content_when_given() {
    let response = authenticated(ares("Y", json!({"authenticationValue": CAVV}))).unwrap();
    assert_eq!(
        response.acs_reference_number.as_deref(),
        Some("3dsecure.io-standin-acs")
    );
    assert_eq!(response.acs_signed_content, None);
    let challenge = authenticated(ares(
        "C",
        json!({"acsURL": "https://acs.example/challenge", "acsSignedContent": ACS_SIGNED}),
    ))
    .unwrap();
    assert_eq!(challenge.acs_signed_content.as_deref(), Some(ACS_SIGNED));
    // A browser's challenge is still the CReq to post.
    assert!(challenge.challenge.is_some());
    // The RReq has neither.
    let result = rreq(ares("Y", json!({"authenticationValue": CAVV}))).unwrap();
    assert_eq!(result.acs_signed_content, None);
    let mut bare = ares("Y", json!({"authenticationValue": CAVV}));
    bare.as_object_mut().unwrap().remove("acsReferenceNumber");
    assert_eq!(authenticated(bare).unwrap().acs_reference_number, None);
}

#[test]
fn the_sdk_encrypted_data_is_masked_in_logs() {
    let exchange = tdsio().authenticate(&app_request("2.2.0")).unwrap();
    let (content_type, bytes) = exchange.request().body.clone().unwrap();
    let masked = mask_body(Some(content_type), &bytes, SENSITIVE_FIELDS);
    assert!(!masked.contains("ZW5jcnlwdGVk"), "{masked}");
    assert!(!masked.contains(PAN), "{masked}");
    let logged: Value = serde_json::from_str(&masked).unwrap();
    assert_eq!(logged["sdkEncData"], "***");
    // What says which SDK and device it was stays readable.
    assert_eq!(logged["sdkTransID"], SDK_TRANS_ID);
    assert_eq!(logged["sdkEphemPubKey"]["kty"], "EC");
    // Nor is it in the request's Debug output.
    assert!(!format!("{exchange:?}").contains("ZW5jcnlwdGVk"));
}

// ---------------------------------------------------------------------------------------------
// The field tables

#[test]
fn every_request_body_follows_the_field_tables() {
    let preauth = tdsio().pre_authenticate(&preauth_request()).unwrap();
    spec::assert_follows("preauth", &body(&preauth), spec::NONE);
    let postauth = tdsio()
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: TRANS_ID.into(),
        })
        .unwrap();
    spec::assert_follows("postauth", &body(&postauth), spec::NONE);

    for (version, table) in [
        ("2.1.0", "areq_210"),
        ("2.2.0", "areq_220"),
        ("2.3.1", "areq_231"),
    ] {
        let translator = if version == "2.3.1" {
            tdsio_231()
        } else {
            tdsio()
        };
        // Everything given.
        spec::assert_follows(table, &areq(version), spec::BRW);
        // As little as the version allows.
        let mut req = request(version);
        req.email = None;
        req.billing = None;
        req.card.holder_name = None;
        let b = browser_of(&mut req);
        b.ip_address = None;
        b.accept_language = None;
        if version != "2.1.0" {
            b.java_script_enabled = Some(false);
            b.java_enabled = None;
            b.color_depth = None;
            b.screen_height = None;
            b.screen_width = None;
            b.time_zone = None;
        }
        if version == "2.3.1" {
            b.accept_language = Some("da".into());
            b.language = None;
        }
        let minimal = body(&translator.authenticate(&req).unwrap());
        spec::assert_follows(table, &minimal, spec::BRW);
        // Odd but valid values.
        let mut req = request(version);
        req.card.holder_name = Some("Jo".into());
        req.currency = Currency::CLF;
        req.amount = MinorUnit::new(0).unwrap();
        let b = browser_of(&mut req);
        b.color_depth = Some(30);
        b.time_zone = Some(600);
        b.user_agent = Some("M".repeat(3000));
        let odd = body(&translator.authenticate(&req).unwrap());
        assert_eq!(odd["browserColorDepth"], "24");
        assert_eq!(odd["browserUserAgent"].as_str().unwrap().len(), 2048);
        spec::assert_follows(table, &odd, spec::BRW);
    }
}

#[test]
fn the_method_data_and_the_creq_follow_their_tables_and_decode_back() {
    let exchange = tdsio().pre_authenticate(&preauth_request()).unwrap();
    let crd = json!({"messageType": "CRD", "threeDSServerTransID": TRANS_ID, "scheme": "visa",
        "dsStartProtocolVersion": "2.1.0", "dsEndProtocolVersion": "2.2.0",
        "acsStartProtocolVersion": "2.1.0", "acsEndProtocolVersion": "2.2.0",
        "threeDSMethodURL": "https://acs.example/method"});
    let PreAuthenticationResponse::Enrolled(range) =
        answer(exchange, 200, &crd.to_string()).unwrap()
    else {
        panic!("enrolled")
    };
    let method = range.method.unwrap();
    assert_eq!(method.url.as_str(), "https://acs.example/method");
    assert_eq!(
        decode(&method.data),
        json!({"threeDSServerTransID": TRANS_ID,
               "threeDSMethodNotificationURL": "https://shop.example/3ds/method"})
    );

    let exchange = tdsio().authenticate(&request("2.2.0")).unwrap();
    let ares = json!({"messageType": "ARes", "messageVersion": "2.2.0", "transStatus": "C",
        "threeDSServerTransID": TRANS_ID, "acsTransID": ACS_ID, "dsTransID": DS_ID,
        "acsURL": "https://acs.example/challenge", "acsChallengeMandated": "Y",
        "authenticationType": "01", "acsReferenceNumber": "ref", "dsReferenceNumber": "ref"});
    let response = answer(exchange, 200, &ares.to_string()).unwrap();
    let challenge = response.challenge.unwrap();
    let creq = decode(&challenge.creq);
    assert_eq!(
        creq,
        json!({"threeDSServerTransID": TRANS_ID, "acsTransID": ACS_ID, "messageVersion": "2.2.0",
               "messageType": "CReq", "challengeWindowSize": "05"})
    );
    spec::assert_follows("creq", &creq, spec::NONE);
    assert_eq!(challenge.acs_url.as_str(), "https://acs.example/challenge");
    assert!(challenge.mandated);
}

#[test]
fn the_checker_finds_what_breaks_the_tables() {
    let good = areq("2.2.0");
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        spec::violations("areq_220", &b, spec::BRW)
    };
    type Edit<'a> = &'a dyn Fn(&mut Value);
    let cases: [(Edit<'_>, &str); 10] = [
        (
            &|b| {
                b.as_object_mut().unwrap().remove("browserAcceptHeader");
            },
            "browserAcceptHeader: required but missing",
        ),
        (
            &|b| {
                b.as_object_mut().unwrap().remove("browserScreenWidth");
            },
            "browserScreenWidth: required but missing",
        ),
        (
            &|b| b["merchantCountryCode"] = json!("82"),
            "merchantCountryCode: \"82\" does not match",
        ),
        (
            &|b| b["browserColorDepth"] = json!("30"),
            "browserColorDepth: \"30\" is not one of",
        ),
        (
            &|b| b["merchantName"] = json!("M".repeat(41)),
            "merchantName: longer than 40",
        ),
        (&|b| b["mcc"] = json!("541"), "mcc: length is not 4"),
        (
            &|b| b["purchaseDate"] = json!("20261316141312"),
            "purchaseDate: \"20261316141312\" is not of format",
        ),
        (
            &|b| b["browserJavascriptEnabled"] = json!("true"),
            "browserJavascriptEnabled: expected a boolean",
        ),
        (
            &|b| b["colour"] = json!("24"),
            "colour: not a field of areq_220",
        ),
        (
            &|b| b["threeDSServerTransID"] = json!("123"),
            "threeDSServerTransID: \"123\" is not of format uuid",
        ),
    ];
    for (edit, expected) in cases {
        let found = broken(edit);
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected} in {found:#?}"
        );
    }
    // JavaScript off: the screen fields are no longer required at 2.2.0, but are at 2.1.0.
    let mut b = good.clone();
    b["browserJavascriptEnabled"] = json!(false);
    b.as_object_mut().unwrap().remove("browserScreenWidth");
    assert_eq!(
        spec::violations("areq_220", &b, spec::BRW),
        Vec::<String>::new()
    );
    let mut b = areq("2.1.0");
    b.as_object_mut().unwrap().remove("browserScreenWidth");
    assert!(!spec::violations("areq_210", &b, spec::BRW).is_empty());
    // 2.1.0 has no browserJavascriptEnabled; 2.3.1 requires the acquirer's country.
    assert!(!spec::violations("areq_210", &good, spec::BRW).is_empty());
    assert!(spec::violations("areq_231", &good, spec::BRW)
        .iter()
        .any(|f| f == "acquirerCountryCode: required but missing"));
}

// ---------------------------------------------------------------------------------------------
// Refusals before sending

#[test]
fn required_browser_fields_are_refused_by_name_before_sending() {
    type Edit = fn(&mut BrowserInfo);
    let cases: [(&str, Edit, &str, &str); 12] = [
        (
            "2.2.0",
            |b| b.accept_header = None,
            "browser.accept_header",
            "browserAcceptHeader",
        ),
        (
            "2.2.0",
            |b| b.user_agent = None,
            "browser.user_agent",
            "browserUserAgent",
        ),
        (
            "2.2.0",
            |b| b.java_script_enabled = None,
            "browser.java_script_enabled",
            "browserJavascriptEnabled",
        ),
        (
            "2.2.0",
            |b| b.language = None,
            "browser.language",
            "browserLanguage",
        ),
        (
            "2.2.0",
            |b| b.java_enabled = None,
            "browser.java_enabled",
            "browserJavaEnabled",
        ),
        (
            "2.2.0",
            |b| b.color_depth = None,
            "browser.color_depth",
            "browserColorDepth",
        ),
        (
            "2.2.0",
            |b| b.screen_height = None,
            "browser.screen_height",
            "browserScreenHeight",
        ),
        (
            "2.2.0",
            |b| b.screen_width = None,
            "browser.screen_width",
            "browserScreenWidth",
        ),
        (
            "2.2.0",
            |b| b.time_zone = None,
            "browser.time_zone",
            "browserTZ",
        ),
        (
            "2.1.0",
            |b| {
                b.java_script_enabled = Some(false);
                b.screen_width = None
            },
            "browser.screen_width",
            "browserScreenWidth",
        ),
        (
            "2.3.1",
            |b| b.language = None,
            "browser.language",
            "browserLanguage",
        ),
        (
            "2.3.1",
            |b| {
                b.language = None;
                b.accept_language = None;
                b.java_script_enabled = Some(false)
            },
            "browser.accept_language",
            "acceptLanguage",
        ),
    ];
    for (version, edit, field, wire) in cases {
        let mut req = request(version);
        edit(browser_of(&mut req));
        let (got, message) = invalid_field(tdsio_231().authenticate(&req));
        assert_eq!(got, field, "{version} {wire}");
        assert!(message.contains(wire), "{message}");
    }
    // JavaScript off from 2.2.0 on: the fields only JavaScript can read are not required.
    let mut req = request("2.2.0");
    let b = browser_of(&mut req);
    b.java_script_enabled = Some(false);
    b.java_enabled = None;
    b.color_depth = None;
    b.screen_height = None;
    b.screen_width = None;
    b.time_zone = None;
    let sent = body(&tdsio().authenticate(&req).unwrap());
    assert_eq!(sent["browserJavascriptEnabled"], false);
    assert!(sent.get("browserScreenWidth").is_none());
}

#[test]
fn values_outside_the_tables_are_refused_before_sending() {
    type Edit = fn(&mut AuthenticationRequest);
    let cases: [(&str, Edit, &str); 17] = [
        (
            "2.2.0",
            |r| r.merchant.name = "M".repeat(41),
            "merchant.name",
        ),
        (
            "2.2.0",
            |r| r.merchant.name = String::new(),
            "merchant.name",
        ),
        ("2.2.0", |r| r.merchant.mcc = "54111".into(), "merchant.mcc"),
        (
            "2.2.0",
            |r| r.merchant.country_numeric = "GB".into(),
            "merchant.country_numeric",
        ),
        (
            "2.2.0",
            |r| r.merchant.acquirer_bin = "1".repeat(12),
            "merchant.acquirer_bin",
        ),
        (
            "2.2.0",
            |r| r.merchant.acquirer_merchant_id = "1".repeat(36),
            "merchant.acquirer_merchant_id",
        ),
        (
            "2.2.0",
            |r| {
                r.notification_url = format!("https://shop.example/{}", "n".repeat(240))
                    .parse()
                    .unwrap()
            },
            "notification_url",
        ),
        (
            "2.3.1",
            |r| r.notification_url = "http://shop.example/3ds".parse().unwrap(),
            "notification_url",
        ),
        (
            "2.3.1",
            |r| r.merchant.requestor_url = "http://shop.example".parse().unwrap(),
            "merchant.requestor_url",
        ),
        (
            "2.2.0",
            |r| r.message_version = "2.0.1".into(),
            "message_version",
        ),
        (
            "2.2.0",
            |r| r.server_transaction_id = "not-a-uuid".into(),
            "server_transaction_id",
        ),
        (
            "2.2.0",
            |r| r.card.number = "411111111117".parse().unwrap(),
            "card.number",
        ),
        (
            "2.2.0",
            |r| r.card.holder_name = Some("A".into()),
            "card.holder_name",
        ),
        (
            "2.2.0",
            |r| r.billing.as_mut().unwrap().address.as_mut().unwrap().line1 = Some("l".repeat(51)),
            "billing.address.line1",
        ),
        (
            "2.2.0",
            |r| r.billing.as_mut().unwrap().address.as_mut().unwrap().zip = Some("z".repeat(17)),
            "billing.address.zip",
        ),
        (
            "2.2.0",
            |r| r.billing.as_mut().unwrap().address.as_mut().unwrap().state = Some("London".into()),
            "billing.address.state",
        ),
        (
            "2.2.0",
            |r| browser_of(r).screen_width = Some(1_000_000),
            "browser.screen_width",
        ),
    ];
    for (version, edit, field) in cases {
        let mut req = request(version);
        edit(&mut req);
        let (got, message) = invalid_field(tdsio_231().authenticate(&req));
        assert_eq!(got, field, "{message}");
        assert!(!message.contains(PAN), "{message}");
    }
    // 2.3.1 needs the acquirer's country, which only configuration gives.
    let (field, message) = invalid_field(tdsio().authenticate(&request("2.3.1")));
    assert_eq!(field, "message_version");
    assert!(message.contains("acquirer_country_code"), "{message}");
    // The lookup refuses a card number 3-D Secure cannot carry.
    let mut lookup = preauth_request();
    lookup.card_number = "411111111117".parse().unwrap();
    assert_eq!(
        invalid_field(tdsio().pre_authenticate(&lookup)).0,
        "card_number"
    );
}

#[test]
fn a_name_only_2_3_1_carries_is_left_out_before_it() {
    let mut req = request("2.2.0");
    req.card.holder_name = Some("José Núñez".into());
    let before = body(&tdsio().authenticate(&req).unwrap());
    assert!(before.get("cardholderName").is_none());
    req.message_version = "2.3.1".into();
    let after = body(&tdsio_231().authenticate(&req).unwrap());
    assert_eq!(after["cardholderName"], "José Núñez");
}

// ---------------------------------------------------------------------------------------------
// Version lookup answers

fn lookup(
    translator: &ThreeDSecureIo,
    crd: Value,
) -> Result<PreAuthenticationResponse, ConnectorError> {
    let exchange = translator.pre_authenticate(&preauth_request()).unwrap();
    answer(exchange, 200, &crd.to_string())
}

fn range(translator: &ThreeDSecureIo, crd: Value) -> CardRange {
    match lookup(translator, crd).unwrap() {
        PreAuthenticationResponse::Enrolled(range) => range,
        other => panic!("{other:?}"),
    }
}

fn crd(extra: Value) -> Value {
    let mut crd =
        json!({"messageType": "CRD", "threeDSServerTransID": TRANS_ID, "scheme": "mastercard"});
    crd.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    crd
}

fn ranges(ds: (&str, &str), acs: (&str, &str)) -> Value {
    crd(
        json!({"dsStartProtocolVersion": ds.0, "dsEndProtocolVersion": ds.1,
               "acsStartProtocolVersion": acs.0, "acsEndProtocolVersion": acs.1}),
    )
}

#[test]
fn the_highest_version_every_party_supports_is_chosen() {
    let (old, new) = (tdsio(), tdsio_231());
    assert_eq!(old.message_versions(), ["2.1.0", "2.2.0"]);
    assert_eq!(new.message_versions(), ["2.1.0", "2.2.0", "2.3.1"]);
    // Ranges only (the 2.1.0 and 2.2.0 tables).
    let version = |t: &ThreeDSecureIo, crd: Value| range(t, crd).message_version;
    assert_eq!(
        version(&old, ranges(("2.1.0", "2.2.0"), ("2.1.0", "2.2.0"))),
        "2.2.0"
    );
    assert_eq!(
        version(&old, ranges(("2.1.0", "2.3.1"), ("2.1.0", "2.1.0"))),
        "2.1.0"
    );
    assert_eq!(
        version(&old, ranges(("2.1.0", "2.3.1"), ("2.2.0", "2.3.1"))),
        "2.2.0"
    );
    assert_eq!(
        version(&new, ranges(("2.1.0", "2.3.1"), ("2.2.0", "2.3.1"))),
        "2.3.1"
    );
    // The provider's example: the DS lists 2.2.0 and 2.3.1, the ACS only 2.2.0.
    let example = crd(json!({
        "dsProtocolVersions": ["2.2.0", "2.3.1"], "dsStartProtocolVersion": "2.2.0",
        "dsEndProtocolVersion": "2.3.1",
        "acsProtocolVersions": [{"acsInfoInd": ["01", "02"],
            "threeDSMethodURL": "https://acs.example/tds-method", "version": "2.2.0"}],
        "acsStartProtocolVersion": "2.2.0", "acsEndProtocolVersion": "2.2.0",
        "acsInfoInd": ["01", "02"],
        "threeDSServerProtocolVersions": ["2.1.0", "2.2.0", "2.3.1"],
        "threeDSMethodURL": "https://acs.example/tds-method"}));
    let example_range = range(&new, example);
    assert_eq!(example_range.message_version, "2.2.0");
    assert_eq!(example_range.directory_server, "mastercard");
    assert_eq!(example_range.server_transaction_id, TRANS_ID);
    // The lists win over the ranges: the DS skips 2.2.0 within its range.
    let gap = crd(
        json!({"dsProtocolVersions": ["2.1.0", "2.3.1"], "dsStartProtocolVersion": "2.1.0",
        "dsEndProtocolVersion": "2.3.1", "acsStartProtocolVersion": "2.1.0",
        "acsEndProtocolVersion": "2.2.0"}),
    );
    assert_eq!(version(&new, gap), "2.1.0");
    let acs_list = crd(
        json!({"dsStartProtocolVersion": "2.1.0", "dsEndProtocolVersion": "2.3.1",
        "acsProtocolVersions": [{"version": "2.3.1"}, {"version": "2.1.0"}],
        "acsStartProtocolVersion": "2.1.0", "acsEndProtocolVersion": "2.3.1"}),
    );
    assert_eq!(version(&new, acs_list.clone()), "2.3.1");
    assert_eq!(version(&old, acs_list), "2.1.0");
    // The 3DS server's own list.
    let server = crd(json!({"dsProtocolVersions": ["2.1.0", "2.2.0", "2.3.1"],
        "acsProtocolVersions": [{"version": "2.2.0"}, {"version": "2.3.1"}],
        "threeDSServerProtocolVersions": ["2.2.0"]}));
    assert_eq!(version(&new, server), "2.2.0");
    // Versions this connector cannot read are ones it cannot send.
    let later = crd(json!({"dsProtocolVersions": ["2.2.0", "2.4.0", "x"],
        "acsProtocolVersions": [{"version": "2.4.0"}, {"version": "2.2.0"}]}));
    assert_eq!(version(&new, later), "2.2.0");
    // Nothing in common: no 3DS2 for this card.
    let none = ranges(("2.3.1", "2.3.1"), ("2.3.1", "2.3.1"));
    assert_eq!(
        lookup(&old, none.clone()).unwrap(),
        PreAuthenticationResponse::NotEnrolled
    );
    assert_eq!(version(&new, none), "2.3.1");
}

#[test]
fn the_method_comes_from_the_chosen_version() {
    let t = tdsio_231();
    let per_version = crd(json!({"dsProtocolVersions": ["2.2.0", "2.3.1"],
        "acsProtocolVersions": [
            {"version": "2.2.0", "threeDSMethodURL": "https://acs.example/method-220"},
            {"version": "2.3.1", "threeDSMethodURL": "https://acs.example/method-231"}],
        "threeDSMethodURL": "https://acs.example/method-range"}));
    let chosen = range(&t, per_version.clone()).method.unwrap();
    assert_eq!(chosen.url.as_str(), "https://acs.example/method-231");
    let chosen = range(&tdsio(), per_version).method.unwrap();
    assert_eq!(chosen.url.as_str(), "https://acs.example/method-220");
    // An entry without one: the range's.
    let fallback = crd(
        json!({"dsProtocolVersions": ["2.2.0"], "acsProtocolVersions": [{"version": "2.2.0"}],
        "threeDSMethodURL": "https://acs.example/method-range"}),
    );
    assert_eq!(
        range(&t, fallback).method.unwrap().url.as_str(),
        "https://acs.example/method-range"
    );
    // None at all: no method (threeDSCompInd U).
    assert_eq!(
        range(&t, ranges(("2.1.0", "2.2.0"), ("2.1.0", "2.2.0"))).method,
        None
    );
}

#[test]
fn a_card_range_without_its_required_fields_is_an_invalid_response() {
    let full = ranges(("2.1.0", "2.2.0"), ("2.1.0", "2.2.0"));
    assert!(lookup(&tdsio(), full.clone()).is_ok());
    let without = |crd: &Value, name: &str| {
        let mut crd = crd.clone();
        crd.as_object_mut().unwrap().remove(name);
        crd
    };
    let edited = |crd: &Value, name: &str, value: Value| {
        let mut crd = crd.clone();
        crd[name] = value;
        crd
    };
    let cases = [
        without(&full, "threeDSServerTransID"),
        edited(&full, "threeDSServerTransID", json!("123")),
        without(&full, "scheme"),
        without(&full, "messageType"),
        crd(json!({"acsStartProtocolVersion": "2.1.0", "acsEndProtocolVersion": "2.2.0"})),
        crd(
            json!({"dsStartProtocolVersion": "2.1.0", "dsEndProtocolVersion": "2.2.0",
                "acsStartProtocolVersion": "2.1"}),
        ),
        edited(&full, "threeDSMethodURL", json!("not a url")),
        edited(&full, "messageType", json!("ARes")),
        edited(&full, "dsProtocolVersions", json!("2.2.0")),
    ];
    for crd in cases {
        let err = lookup(&tdsio(), crd.clone()).unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::InvalidResponse {
                    outcome_unknown: false,
                    ..
                }
            ),
            "{crd}: {err:?}"
        );
    }
    let exchange = tdsio().pre_authenticate(&preauth_request()).unwrap();
    let err = answer(exchange, 200, "<html>").unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidResponse {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Authentication answers

fn ares(status: &str, extra: Value) -> Value {
    let mut ares = json!({"messageType": "ARes", "messageVersion": "2.2.0", "transStatus": status,
        "threeDSServerTransID": TRANS_ID, "acsTransID": ACS_ID, "dsTransID": DS_ID,
        "acsReferenceNumber": "3dsecure.io-standin-acs",
        "dsReferenceNumber": "3dsecure.io-standin-ds"});
    ares.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    ares
}

fn authenticated(ares: Value) -> Result<AuthenticationResponse, ConnectorError> {
    let exchange = tdsio().authenticate(&request("2.2.0")).unwrap();
    answer(exchange, 200, &ares.to_string())
}

fn rreq(ares: Value) -> Result<AuthenticationResponse, ConnectorError> {
    let exchange = tdsio()
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: TRANS_ID.into(),
        })
        .unwrap();
    let mut rreq = ares;
    rreq["messageType"] = json!("RReq");
    answer(exchange, 200, &rreq.to_string())
}

#[test]
fn every_trans_status_is_mapped() {
    let cavv = json!({"authenticationValue": CAVV, "eci": "05"});
    let challenge = json!({"acsURL": "https://acs.example/challenge", "acsChallengeMandated": "N"});
    let cases = [
        ("Y", cavv.clone(), TransStatus::Authenticated),
        (
            "A",
            json!({"authenticationValue": CAVV, "eci": "06"}),
            TransStatus::Attempted,
        ),
        (
            "N",
            json!({"transStatusReason": "01"}),
            TransStatus::NotAuthenticated,
        ),
        (
            "U",
            json!({"transStatusReason": "22"}),
            TransStatus::Unavailable,
        ),
        (
            "R",
            json!({"transStatusReason": "11", "cardholderInfo": "Call your bank"}),
            TransStatus::Rejected,
        ),
        ("C", challenge, TransStatus::ChallengeRequired),
        (
            "D",
            json!({"acsChallengeMandated": "Y", "acsDecConInd": "Y",
                   "cardholderInfo": "Open your bank's app"}),
            TransStatus::DecoupledChallenge,
        ),
        ("I", json!({}), TransStatus::Informational),
    ];
    for (code, extra, status) in cases {
        let response = authenticated(ares(code, extra.clone())).unwrap();
        assert_eq!(response.status, status, "{code}");
        assert_eq!(response.server_transaction_id, TRANS_ID);
        assert_eq!(response.ds_transaction_id, DS_ID);
        assert_eq!(response.acs_transaction_id, ACS_ID);
        assert_eq!(response.message_version, "2.2.0");
        assert_eq!(response.eci.as_deref(), extra["eci"].as_str(), "{code}");
        assert_eq!(
            response.status_reason.as_deref(),
            extra["transStatusReason"].as_str()
        );
        assert_eq!(
            response.cardholder_info.as_deref(),
            extra["cardholderInfo"].as_str()
        );
        assert_eq!(
            response
                .authentication_value
                .as_ref()
                .map(AuthenticationValue::expose),
            extra["authenticationValue"].as_str()
        );
        assert_eq!(response.challenge.is_some(), code == "C", "{code}");
    }
    let challenge = authenticated(ares(
        "C",
        json!({"acsURL": "https://acs.example/c", "acsChallengeMandated": "N"}),
    ))
    .unwrap()
    .challenge
    .unwrap();
    assert!(!challenge.mandated);

    // The RReq: its five statuses, never a challenge.
    for (code, status) in [
        ("Y", TransStatus::Authenticated),
        ("A", TransStatus::Attempted),
        ("N", TransStatus::NotAuthenticated),
        ("U", TransStatus::Unavailable),
        ("R", TransStatus::Rejected),
    ] {
        let response = rreq(ares(code, cavv.clone())).unwrap();
        assert_eq!(response.status, status);
        assert_eq!(response.challenge, None);
    }
    for code in ["C", "D", "I"] {
        let err = rreq(ares(code, json!({"acsURL": "https://acs.example/c"}))).unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::InvalidResponse {
                    outcome_unknown: false,
                    ..
                }
            ),
            "{code}: {err:?}"
        );
    }
}

#[test]
fn answers_missing_conditional_fields_are_refused() {
    let cases = [
        ares("Y", json!({"eci": "05"})),
        ares("A", json!({"eci": "06"})),
        ares("Y", json!({"authenticationValue": "short"})),
        ares("C", json!({"acsChallengeMandated": "N"})),
        ares("C", json!({"acsURL": "not a url"})),
        ares("S", json!({})),
        ares("X", json!({})),
        ares("YY", json!({})),
        ares("N", json!({"eci": "123"})),
        ares(
            "N",
            json!({"threeDSServerTransID": "0f0e0d0c-0b0a-4909-8807-060504030201"}),
        ),
        ares("N", json!({"dsTransID": null})),
        ares("N", json!({"acsTransID": ""})),
        ares("N", json!({"messageVersion": null})),
        ares("N", json!({"transStatus": null})),
        ares("N", json!({"messageType": "RReq"})),
        ares("N", json!({"transStatus": 5})),
    ];
    for ares in cases {
        let err = authenticated(ares.clone()).unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::InvalidResponse {
                    outcome_unknown: false,
                    ..
                }
            ),
            "{ares}: {err:?}"
        );
        assert!(!err.to_string().contains("mK225"), "{err}");
    }
    // The RReq's conditions too.
    assert!(rreq(ares("Y", json!({}))).is_err());
}

// ---------------------------------------------------------------------------------------------
// Errors

fn erro(code: &str, description: &str, detail: &str) -> String {
    json!({"messageType": "Erro", "messageVersion": "2.2.0", "errorCode": code,
           "errorComponent": "S", "errorDescription": description, "errorDetail": detail,
           "threeDSServerTransID": TRANS_ID})
    .to_string()
}

#[test]
fn erro_305_on_the_lookup_is_not_enrolled() {
    let exchange = tdsio().pre_authenticate(&preauth_request()).unwrap();
    let not_enrolled = json!({"messageType": "Erro", "errorCode": "305", "errorComponent": "S",
        "errorDescription": "Unknown BIN",
        "errorDetail": "No CRD found, card with BIN ****** is not enrolled with any known DS",
        "messageVersion": "2.2.0"});
    assert_eq!(
        answer(exchange, 200, &not_enrolled.to_string()).unwrap(),
        PreAuthenticationResponse::NotEnrolled
    );
    // With a non-200 status too.
    let exchange = tdsio().pre_authenticate(&preauth_request()).unwrap();
    assert_eq!(
        answer(exchange, 400, &not_enrolled.to_string()).unwrap(),
        PreAuthenticationResponse::NotEnrolled
    );
    // 305 on /auth is the data's fault, not enrollment.
    let exchange = tdsio().authenticate(&request("2.2.0")).unwrap();
    let err = answer(
        exchange,
        200,
        &erro("305", "Transaction data not valid", "x"),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                kind: RejectionKind::Validation,
                ..
            }
        ),
        "{err:?}"
    );
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Validation,
    NotFound,
    Forbidden,
    Processor,
}

fn kind(err: &ConnectorError) -> Kind {
    match err {
        ConnectorError::Rejected {
            kind: RejectionKind::Validation,
            ..
        } => Kind::Validation,
        ConnectorError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        } => Kind::NotFound,
        ConnectorError::Rejected {
            kind: RejectionKind::Forbidden,
            ..
        } => Kind::Forbidden,
        ConnectorError::Processor {
            outcome_unknown: false,
            ..
        } => Kind::Processor,
        other => panic!("{other:?}"),
    }
}

#[test]
fn erro_messages_are_typed_errors() {
    let auth = || tdsio().authenticate(&request("2.2.0")).unwrap();
    let result = || {
        tdsio()
            .authentication_result(&AuthenticationResultRequest {
                server_transaction_id: TRANS_ID.into(),
            })
            .unwrap()
    };
    let validation = [
        "101", "102", "103", "201", "202", "203", "204", "302", "304", "305", "306", "307",
    ];
    for code in validation {
        for status in [200, 400] {
            let err = answer(auth(), status, &erro(code, "Bad", "detail")).unwrap_err();
            assert_eq!(kind(&err), Kind::Validation, "{code} {status}");
            let detail = err.processor_message().unwrap();
            assert_eq!(detail.codes, [code]);
            assert_eq!(detail.http_status, Some(status));
            assert_eq!(detail.request_id.as_deref(), Some(TRANS_ID));
            assert_eq!(detail.message.as_deref(), Some("(component S) Bad: detail"));
            assert!(!err.outcome_unknown());
        }
    }
    for code in ["402", "403", "404", "405"] {
        let err = answer(
            auth(),
            200,
            &erro(
                code,
                "Unable to contact Directory Server",
                "Connection timeout",
            ),
        )
        .unwrap_err();
        assert_eq!(kind(&err), Kind::Processor, "{code}");
        assert_eq!(err.processor_message().unwrap().code(), Some(code));
    }
    assert_eq!(
        kind(
            &answer(
                auth(),
                200,
                &erro("301", "Transaction ID Not Recognised", "")
            )
            .unwrap_err()
        ),
        Kind::NotFound
    );
    assert_eq!(
        kind(&answer(auth(), 200, &erro("303", "Access Denied", "")).unwrap_err()),
        Kind::Forbidden
    );
    assert_eq!(
        kind(&answer(auth(), 502, &erro("999", "?", "")).unwrap_err()),
        Kind::Processor
    );
    // On /postauth, 203 is the expired or unknown transaction.
    let expired = erro(
        "203",
        "Unknown threeDSServerTransID",
        "Unknown threeDSServerTransID",
    );
    assert_eq!(
        kind(&answer(result(), 200, &expired).unwrap_err()),
        Kind::NotFound
    );
    assert_eq!(
        kind(&answer(auth(), 200, &expired).unwrap_err()),
        Kind::Validation
    );
}

#[test]
fn statuses_without_an_erro_are_typed_too() {
    let auth = || tdsio().authenticate(&request("2.2.0")).unwrap();
    let err = answer(auth(), 401, "Invalid API Key").unwrap_err();
    match &err {
        ConnectorError::Authentication(detail) => {
            assert_eq!(detail.http_status, Some(401));
            assert_eq!(detail.message.as_deref(), Some("Invalid API Key"));
        }
        other => panic!("{other:?}"),
    }
    let err = answer(
        tdsio().pre_authenticate(&preauth_request()).unwrap(),
        401,
        "Invalid API Key",
    )
    .unwrap_err();
    assert!(matches!(err, ConnectorError::Authentication(_)), "{err:?}");
    let err = answer(
        auth(),
        503,
        "<html><body>Service Unavailable</body>\n</html>",
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Processor {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    let err = answer(auth(), 500, "{}").unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Processor {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    let err = answer(auth(), 404, "Not Found").unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                kind: RejectionKind::NotFound,
                ..
            }
        ),
        "{err:?}"
    );
    let err = answer(auth(), 200, "").unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::InvalidResponse {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets

#[test]
fn no_card_number_authentication_value_or_api_key_leaks() {
    let secrets = [PAN, "mK225wGt2bLnnLB0UlRky0oHLnU", API_KEY];
    let clean = |what: &str, text: &str| {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
    };
    let t = tdsio();
    clean("translator", &format!("{t:?}"));
    let preauth = t.pre_authenticate(&preauth_request()).unwrap();
    clean("request", &format!("{preauth:?}"));
    let auth = t.authenticate(&request("2.2.0")).unwrap();
    clean("request", &format!("{auth:?}"));
    clean("request", &format!("{:?}", request("2.2.0")));
    // Logged bodies, masked as the executor masks them.
    let (content_type, bytes) = auth.request().body.clone().unwrap();
    let masked = mask_body(Some(content_type), &bytes, SENSITIVE_FIELDS);
    clean("the masked AReq", &masked);
    for personal in [
        "ada@example.com",
        "Ada Lovelace",
        "1 Main Street",
        "N1 9GU",
        "3103",
        "192.168.1.11",
        "Firefox",
    ] {
        assert!(!masked.contains(personal), "{personal} in {masked}");
    }
    assert!(masked.contains("Dummy Merchant"), "{masked}");
    let ares_body = ares("Y", json!({"authenticationValue": CAVV, "eci": "05"})).to_string();
    let masked = mask_body(None, ares_body.as_bytes(), SENSITIVE_FIELDS);
    clean("the masked ARes", &masked);
    // Answers and errors.
    let response = answer(auth, 200, &ares_body).unwrap();
    clean("the answer", &format!("{response:?}"));
    let leaky = erro(
        "203",
        "Format invalid",
        &format!("acctNumber {PAN} is invalid"),
    );
    let err = answer(t.authenticate(&request("2.2.0")).unwrap(), 200, &leaky).unwrap_err();
    clean("an error", &format!("{err} {err:?}"));
    let err = answer(
        t.authenticate(&request("2.2.0")).unwrap(),
        401,
        &format!("Invalid API Key {PAN}"),
    )
    .unwrap_err();
    clean("an error", &format!("{err} {err:?}"));
    let bad_cavv = ares(
        "Y",
        json!({"authenticationValue": "mK225wGt2bLnnLB0UlRky0oHLnU*"}),
    );
    let err = answer(
        t.authenticate(&request("2.2.0")).unwrap(),
        200,
        &bad_cavv.to_string(),
    )
    .unwrap_err();
    clean("an error", &format!("{err} {err:?}"));
}

// ---------------------------------------------------------------------------------------------
// Configuration and wire profile

#[test]
fn the_wire_profile_never_retries_an_authentication_blindly() {
    let profile = tdsio().wire_profile();
    assert_eq!(profile.key_reuse, KeyReuse::RejectsReuse);
    assert_eq!((profile.retry_hint)(&HttpResponse::new(503, "")), None);
    for field in [
        "acctNumber",
        "authenticationValue",
        "cardExpiryDate",
        "browserIP",
        "billAddrLine1",
    ] {
        assert!(profile.sensitive_fields.contains(&field), "{field}");
    }
}

#[test]
fn configuration_is_checked_and_read_from_the_environment() {
    let mut bad = config(Some("DK"));
    assert!(ThreeDSecureIo::new(&bad).is_err());
    bad.extra.clear();
    bad.api_key = String::new().into();
    assert!(ThreeDSecureIo::new(&bad).is_err());
    let none = ThreeDSecureIo::config_from_lookup(|_| None).unwrap();
    assert!(none.is_none());
    let vars = |name: &str| match name {
        "PAYBRIDGE_THREEDSECUREIO_API_KEY" => Some(API_KEY.to_owned()),
        "PAYBRIDGE_THREEDSECUREIO_ACQUIRER_COUNTRY_CODE" => Some("208".to_owned()),
        _ => None,
    };
    let config = ThreeDSecureIo::config_from_lookup(vars).unwrap().unwrap();
    assert_eq!(
        config.base_url.as_str(),
        "https://service.sandbox.3dsecure.io/"
    );
    assert_eq!(config.extra("acquirer_country_code").ok(), Some("208"));
    assert_eq!(
        ThreeDSecureIo::new(&config)
            .unwrap()
            .message_versions()
            .len(),
        3
    );
    let with_url = |name: &str| match name {
        "PAYBRIDGE_THREEDSECUREIO_BASE_URL" => Some("http://127.0.0.1:9/".to_owned()),
        other => vars(other),
    };
    let config = ThreeDSecureIo::config_from_lookup(with_url)
        .unwrap()
        .unwrap();
    assert_eq!(config.base_url.as_str(), "http://127.0.0.1:9/");
    let connector = paybridge_threedsecureio::connector(&config).unwrap();
    assert_eq!(connector.id(), "threedsecureio");
    assert!(!format!("{config:?}").contains(API_KEY));
}
