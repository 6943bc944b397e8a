//! Every request body the Primer connector sends during the suite, and every response body the
//! simulator answers, validated against Primer's published OpenAPI document (v2.2).
//!
//! Runs the suite through a recording proxy; scenarios that need the simulator's counters or
//! fault injection are skipped here (`primer.rs` runs them).

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::openapi::OpenApi;
use paybridge_connector_tests::run_scenarios;
use paybridge_connector_tests::targets::primer::target_at;
use paybridge_connector_tests::traffic::{check_against, RecordingProxy};
use paybridge_sandbox::primer::{self as sim, PrimerSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primer_traffic_matches_the_published_schemas() {
    let spec = OpenApi::primer_v2_2().unwrap();

    let sim_config = PrimerSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let proxy = RecordingProxy::start(handle.base_url()).await.unwrap();
    let target = target_at(&sim_config, proxy.url(), None);
    let report = run_scenarios(&target, |_| true).await;
    assert!(report.failures().is_empty(), "{}", report.table());

    let checked = check_against(&spec, &proxy.exchanges());
    handle.shutdown().await;
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    assert!(
        checked.requests >= 10,
        "only {} request bodies were validated",
        checked.requests
    );
    assert!(
        checked.responses >= 15,
        "only {} response bodies were validated",
        checked.responses
    );
}
