//! A processor that never answers fails the scenarios that could otherwise pass without it:
//! each connector's target is pointed at a closed port, and neither the capability check nor
//! the log check may report "passed".

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::targets::{checkout, primer, stripe};
use paybridge_connector_tests::{check_for_secrets, run_scenarios, LogCapture, Outcome, Target};
use paybridge_sandbox::checkout::CheckoutSimConfig;
use paybridge_sandbox::primer::PrimerSimConfig;
use paybridge_sandbox::stripe::StripeSimConfig;

/// A URL on which nothing listens (the port was bound, then released).
fn closed_port() -> url::Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_that_never_reach_the_processor_do_not_pass() {
    let logs = LogCapture::install().unwrap();
    let targets: [Target; 3] = [
        checkout::target_at(&CheckoutSimConfig::default(), closed_port(), None),
        primer::target_at(&PrimerSimConfig::default(), closed_port(), None),
        stripe::target_at(&StripeSimConfig::default(), closed_port(), None),
    ];
    for target in &targets {
        let report = run_scenarios(target, |s| s.name == "capabilities_agree_with_behaviour").await;
        let [(_, outcome)] = report.results.as_slice() else {
            panic!("one scenario expected: {}", report.table());
        };
        assert!(
            matches!(outcome, Outcome::Failed(m) if m.contains("no verdict")),
            "{}",
            report.table()
        );
        // Every processor call of the run failed to connect, so no answer was logged.
        let checked = check_for_secrets(&logs, target);
        assert!(
            matches!(&checked, Outcome::Failed(m) if m.contains("no processor answered")),
            "{}: {checked:?}",
            target.label
        );
    }
}
