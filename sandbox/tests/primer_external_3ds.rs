//! External 3DS on Primer: its v2.2 document has no field for a 3DS result on `POST /payments`,
//! so the connector does not take one. An authorization carrying one is refused with
//! `NotSupported` before anything reaches the simulator; the same payment without it goes
//! through.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::targets::primer::target_at;
use paybridge_connector_tests::traffic::RecordingProxy;
use paybridge_core::authentication::{AuthenticationValue, ExternalAuthentication, TransStatus};
use paybridge_core::*;
use paybridge_sandbox::primer::{self as sim, tokens, PrimerSimConfig};

const CAVV: &str = "AAABBEg0VhI0VniQEjRWAAAAAAA=";

fn authorize(auth: Option<ExternalAuthentication>) -> AuthorizeRequest {
    let token = PaymentMethodToken::new(tokens::VISA_AUTHORIZED).unwrap();
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::EUR,
        PaymentMethod::Token(token),
        "ORD-3DS",
    );
    req.capture_method = CaptureMethod::Manual;
    req.external_authentication = auth;
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_result_is_refused_before_anything_reaches_primer() {
    let config = PrimerSimConfig::default();
    let handle = sim::start(config.clone()).await.unwrap();
    let proxy = RecordingProxy::start(handle.base_url()).await.unwrap();
    let primer = target_at(&config, proxy.url(), None).connector().unwrap();
    assert!(!primer.capabilities().external_authentication);

    let result = ExternalAuthentication {
        status: TransStatus::Authenticated,
        status_reason: None,
        eci: Some("05".into()),
        authentication_value: AuthenticationValue::new(CAVV).unwrap(),
        ds_transaction_id: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b".into(),
        message_version: "2.2.0".into(),
        challenged: false,
    };
    let error = primer
        .authorize(&authorize(Some(result)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::NotSupported {
                connector: "primer",
                flow: Flow::Authorize,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains(CAVV));
    assert!(proxy.exchanges().is_empty(), "{:?}", proxy.exchanges());
    assert_eq!(handle.counters().requests, 0);

    // Without it, the same payment is made.
    let payment = primer.authorize(&authorize(None)).await.unwrap();
    assert_eq!(
        payment.status,
        PaymentStatus::RequiresCapture,
        "{payment:?}"
    );
    assert_eq!(handle.counters().authorizations, 1);
}
