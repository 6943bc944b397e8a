//! The authentication connectors' conformance suite against 3dsecure.io's simulator, and
//! against its sandbox when `PAYBRIDGE_THREEDSECUREIO_API_KEY` is set (skipped with a message
//! otherwise). Every message the connector sends and the simulator answers is checked against
//! the provider's field tables.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::authentication::run_all;
use paybridge_connector_tests::targets::threedsecureio::{self, LIVE_VARIABLES};
use paybridge_connector_tests::threeds_fields;
use paybridge_connector_tests::{skip_message, Outcome};

/// An app (deviceChannel 01) payment (messageCategory 01).
const APP_PAYMENT: threeds_fields::Scenario<'static> = ("01", "01");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threedsecureio_passes_the_authentication_suite_on_its_simulator() {
    let (target, simulator) = threedsecureio::simulator().await.unwrap();
    let results = run_all(&target).await;
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(Outcome::Passed)))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");

    // What crossed the wire, against the field tables: every AReq the connector sent, and
    // every ARes and RReq the simulator answered, as a browser's or an app's payment (by the
    // AReq's deviceChannel).
    let transactions = simulator.transactions();
    assert!(
        transactions.len() >= 13,
        "{} transactions",
        transactions.len()
    );
    let mut checked = 0;
    let mut app_checked = 0;
    for record in &transactions {
        let app = record
            .areq
            .as_ref()
            .is_some_and(|areq| areq["deviceChannel"] == "01");
        let scenario = if app {
            APP_PAYMENT
        } else {
            threeds_fields::BROWSER_PAYMENT
        };
        for message in [&record.areq, &record.ares, &record.rreq]
            .into_iter()
            .flatten()
        {
            threeds_fields::check(scenario, message)
                .unwrap_or_else(|errors| panic!("{errors:#?}\n{message:#}"));
            checked += 1;
            app_checked += usize::from(app);
        }
        if app {
            // The app challenges ran with the simulated SDK and reached their end.
            if record
                .ares
                .as_ref()
                .is_some_and(|ares| ares["transStatus"] == "C")
            {
                assert!(record.rreq.is_some(), "{record:#?}");
                assert!(!record.app_challenge.is_empty(), "{record:#?}");
            }
        }
    }
    assert!(checked >= 31, "only {checked} messages checked");
    // 5 app transactions: frictionless (AReq, ARes), and 4 challenges (AReq, ARes, RReq).
    assert!(app_checked >= 14, "only {app_checked} app messages checked");
    simulator.shutdown().await;
}

#[tokio::test]
async fn the_live_sandbox_run_is_skipped_without_credentials() {
    if std::env::var("PAYBRIDGE_THREEDSECUREIO_API_KEY").is_ok() {
        eprintln!("live 3dsecure.io runs are driven by scripts/sandbox-tests.sh");
        return;
    }
    let message = skip_message("threedsecureio", LIVE_VARIABLES);
    eprintln!("{message}");
    assert!(message.contains("PAYBRIDGE_THREEDSECUREIO_API_KEY"));
    assert!(paybridge_threedsecureio::config_from_env()
        .unwrap()
        .is_none());
}
