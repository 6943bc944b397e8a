//! The conformance suite for Checkout.com: always against the local simulator, and against the
//! live sandbox when `PAYBRIDGE_CHECKOUT_SECRET_KEY` and `PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID`
//! are set (`PAYBRIDGE_CHECKOUT_BASE_URL` overrides the host).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use paybridge_checkout::Checkout;
use paybridge_connector_tests::{run_with_logs, skip_message, LogCapture, Target};
use paybridge_core::secrecy::ExposeSecret;
use paybridge_core::*;
use paybridge_sandbox::checkout::{self as sim, CheckoutSimConfig};

/// One test runs both targets, so the one global log capture sees everything they log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_conformance() {
    let logs = LogCapture::install().expect("the only global subscriber in this binary");

    let sim_config = CheckoutSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let target = common::checkout_sim_target(&sim_config, handle.base_url(), Some(handle.clone()));
    let report = run_with_logs(&target, Some(&logs)).await;
    println!("{}", report.table());
    handle.shutdown().await;
    assert!(report.failures().is_empty(), "{}", report.table());

    match Checkout::config_from_env() {
        Ok(Some(config)) => {
            let secrets = vec![config.api_key.expose_secret().to_owned()];
            let live = Target {
                label: "checkout (live sandbox)".into(),
                config,
                build: Checkout::connector,
                cards: common::checkout_cards(),
                simulator: None,
                customer: None,
                currency: Currency::USD,
                secrets,
                settle_timeout: Duration::from_secs(30),
            };
            let report = run_with_logs(&live, Some(&logs)).await;
            println!("{}", report.table());
            assert!(report.failures().is_empty(), "{}", report.table());
        }
        Ok(None) => println!(
            "{}",
            skip_message(
                "Checkout.com",
                &[
                    "PAYBRIDGE_CHECKOUT_SECRET_KEY",
                    "PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID"
                ]
            )
        ),
        Err(e) => panic!("bad Checkout.com sandbox configuration: {e}"),
    }
}
