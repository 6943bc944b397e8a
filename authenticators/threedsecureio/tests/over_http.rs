//! The connector through core's executor against a scripted local HTTP server: the `APIKey`
//! header and the bodies on the wire, the answers read, and no second `POST /auth` after a
//! failure.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use paybridge_core::authentication::*;
use paybridge_core::details::BrowserInfo;
use paybridge_core::time::macros::datetime;
use paybridge_core::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const API_KEY: &str = "0c6a5f1e-2b7d-4c8e-9f10-a1b2c3d4e5f6";
const TRANS_ID: &str = "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb";
const CAVV: &str = "mK225wGt2bLnnLB0UlRky0oHLnU=";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Script = Arc<dyn Fn(&str) -> (u16, &'static str, String) + Send + Sync>;

/// Serves `script(path)` to every request, one per connection, and records them.
async fn server(script: Script) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        // Bounded: the tests send a handful of requests.
        for _ in 0..32 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
            let mut lines = head.split("\r\n");
            let line = lines.next().unwrap_or_default().to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            while raw.len() < head_end + 4 + length {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
            let body = serde_json::from_slice(&raw[head_end + 4..]).unwrap_or(Value::Null);
            let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
            log.lock().unwrap().push(Seen {
                line,
                headers,
                body,
            });
            let (status, content_type, answer) = script(&path);
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{answer}",
                answer.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            socket.shutdown().await.ok();
        }
    });
    (base, seen)
}

fn connector(base: &str) -> Arc<dyn AuthenticationConnector> {
    let mut config = ConnectorConfig::new(base.parse().unwrap(), API_KEY);
    config.execution.retry.initial_backoff = std::time::Duration::from_millis(1);
    paybridge_threedsecureio::connector(&config).unwrap()
}

fn request() -> AuthenticationRequest {
    AuthenticationRequest {
        server_transaction_id: TRANS_ID.into(),
        message_version: "2.2.0".into(),
        card: Card {
            number: "4000100511132003".parse().unwrap(),
            expiry: CardExpiry::new(3, 2031).unwrap(),
            cvc: None,
            holder_name: None,
        },
        amount: MinorUnit::new(1050).unwrap(),
        currency: Currency::EUR,
        device: Device::Browser {
            info: BrowserInfo {
                java_script_enabled: Some(false),
                language: Some("da".into()),
                ip_address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                accept_header: Some("text/html".into()),
                user_agent: Some("Mozilla/5.0".into()),
                ..BrowserInfo::default()
            },
            method_completion: MethodCompletion::Completed,
        },
        notification_url: "https://shop.example/3ds/challenge".parse().unwrap(),
        merchant: ThreeDsMerchant {
            name: "Dummy Merchant".into(),
            country_numeric: "208".into(),
            mcc: "5411".into(),
            acquirer_bin: "438309".into(),
            acquirer_merchant_id: "00002000000".into(),
            requestor_url: "https://shop.example".parse().unwrap(),
        },
        email: None,
        billing: None,
        purchase_date: datetime!(2026-03-16 14:13:12 UTC),
    }
}

fn outcome(kind: &str, status: &str) -> String {
    json!({"messageType": kind, "messageVersion": "2.2.0", "transStatus": status,
           "authenticationValue": CAVV, "eci": "05", "threeDSServerTransID": TRANS_ID,
           "acsTransID": "43163cd0-c849-4924-82c1-7bec32b94881",
           "dsTransID": "1cf815e5-cc85-436f-8e13-9f5e5aea731f"})
    .to_string()
}

#[tokio::test]
async fn the_three_calls_carry_the_api_key_and_their_bodies() {
    let script: Script = Arc::new(|path| match path {
        "/preauth" => (
            200,
            "application/json",
            json!({"messageType": "CRD", "threeDSServerTransID": TRANS_ID, "scheme": "visa",
                   "dsStartProtocolVersion": "2.1.0", "dsEndProtocolVersion": "2.2.0",
                   "acsStartProtocolVersion": "2.1.0", "acsEndProtocolVersion": "2.2.0"})
            .to_string(),
        ),
        "/auth" => (200, "application/json", outcome("ARes", "Y")),
        "/postauth" => (200, "application/json", outcome("RReq", "A")),
        _ => (404, "text/plain", "no".into()),
    });
    let (base, seen) = server(script).await;
    let c = connector(&base);
    let lookup = c
        .pre_authenticate(&PreAuthenticationRequest {
            card_number: "4000100511132003".parse().unwrap(),
            method_notification_url: "https://shop.example/3ds/method".parse().unwrap(),
        })
        .await
        .unwrap();
    let PreAuthenticationResponse::Enrolled(range) = lookup else {
        panic!("{lookup:?}")
    };
    assert_eq!(range.message_version, "2.2.0");
    let ares = c.authenticate(&request()).await.unwrap();
    assert_eq!(ares.status, TransStatus::Authenticated);
    assert_eq!(ares.authentication_value.unwrap().expose(), CAVV);
    let rreq = c
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: TRANS_ID.into(),
        })
        .await
        .unwrap();
    assert_eq!(rreq.status, TransStatus::Attempted);

    let seen = seen.lock().unwrap().clone();
    let lines: Vec<&str> = seen.iter().map(|s| s.line.as_str()).collect();
    assert_eq!(
        lines,
        [
            "POST /preauth HTTP/1.1",
            "POST /auth HTTP/1.1",
            "POST /postauth HTTP/1.1"
        ]
    );
    for s in &seen {
        assert_eq!(s.header("apikey"), Some(API_KEY), "{s:?}");
        assert_eq!(s.header("content-type"), Some("application/json"));
    }
    assert_eq!(seen[0].body, json!({"acctNumber": "4000100511132003"}));
    assert_eq!(seen[1].body["deviceChannel"], "02");
    assert_eq!(seen[1].body["browserJavascriptEnabled"], false);
    assert_eq!(seen[2].body, json!({"threeDSServerTransID": TRANS_ID}));
}

#[tokio::test]
async fn an_app_authentication_goes_out_with_the_sdk_data_and_comes_back_for_the_sdk() {
    const SDK_TRANS_ID: &str = "b2385523-a66c-4907-ac3c-91848e8c0067";
    const SIGNED: &str = "eyJhbGciOiJQUzI1NiJ9.eyJhY3NVUkwiOiJ4In0.c2ln";
    let script: Script = Arc::new(|_| {
        let ares = json!({"messageType": "ARes", "messageVersion": "2.2.0",
            "transStatus": "C", "threeDSServerTransID": TRANS_ID,
            "acsTransID": "43163cd0-c849-4924-82c1-7bec32b94881",
            "dsTransID": "1cf815e5-cc85-436f-8e13-9f5e5aea731f",
            "sdkTransID": SDK_TRANS_ID, "acsSignedContent": SIGNED,
            "acsReferenceNumber": "3dsecure.io-standin-acs", "acsChallengeMandated": "N",
            "authenticationType": "02"});
        (200, "application/json", ares.to_string())
    });
    let (base, seen) = server(script).await;
    let mut req = request();
    req.device = Device::App(SdkInformation {
        app_id: "9063b12c-fcde-43c7-b28e-8d0af5520e8a".into(),
        encrypted_data: "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn".into(),
        ephemeral_public_key: json!({"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ"})
            .as_object()
            .unwrap()
            .clone(),
        max_timeout_minutes: 10,
        reference_number: "3DS_LOA_SDK_EXMP_020200_00001".into(),
        transaction_id: SDK_TRANS_ID.into(),
        interface: SdkInterface::Native,
        ui_types: vec![SdkUiType::Text, SdkUiType::OutOfBand],
    });
    let ares = connector(&base).authenticate(&req).await.unwrap();
    assert_eq!(ares.status, TransStatus::ChallengeRequired);
    assert_eq!(ares.challenge, None);
    assert_eq!(ares.acs_signed_content.as_deref(), Some(SIGNED));
    assert_eq!(
        ares.acs_reference_number.as_deref(),
        Some("3dsecure.io-standin-acs")
    );
    let seen = seen.lock().unwrap().clone();
    let sent = &seen[0].body;
    assert_eq!(sent["deviceChannel"], "01");
    assert_eq!(sent["sdkEncData"], "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn");
    assert_eq!(sent["sdkMaxTimeout"], "10");
    assert_eq!(
        sent["deviceRenderOptions"],
        json!({"sdkInterface": "01", "sdkUiType": ["01", "04"]})
    );
    assert!(sent.get("threeDSCompInd").is_none());
    assert!(sent.get("notificationURL").is_none());
    assert!(sent.get("browserUserAgent").is_none());
}

#[tokio::test]
async fn a_failed_authentication_is_not_sent_again_and_is_never_an_unknown_outcome() {
    let script: Script = Arc::new(|path| match path {
        "/auth" => (503, "text/html", "<html>down</html>".into()),
        _ => (
            200,
            "application/json",
            json!({"messageType": "Erro", "errorCode": "405", "errorComponent": "S",
                   "errorDescription": "Unable to contact Directory Server",
                   "errorDetail": "Connection timeout", "threeDSServerTransID": TRANS_ID})
            .to_string(),
        ),
    });
    let (base, seen) = server(script).await;
    let c = connector(&base);
    let err = c.authenticate(&request()).await.unwrap_err();
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
    assert_eq!(seen.lock().unwrap().len(), 1, "POST /auth sent once");
    let err = c
        .authentication_result(&AuthenticationResultRequest {
            server_transaction_id: TRANS_ID.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.processor_message().unwrap().code(), Some("405"));
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn a_bad_api_key_is_an_authentication_error() {
    let script: Script = Arc::new(|_| (401, "text/plain", "Invalid API Key".into()));
    let (base, _) = server(script).await;
    let err = connector(&base).authenticate(&request()).await.unwrap_err();
    match err {
        ConnectorError::Authentication(detail) => {
            assert_eq!(detail.message.as_deref(), Some("Invalid API Key"));
        }
        other => panic!("{other:?}"),
    }
}
