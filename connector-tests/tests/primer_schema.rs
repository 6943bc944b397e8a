//! Every request body the Primer connector sends during the suite, and every response body the
//! simulator answers, validated against Primer's published OpenAPI document (v2.2).
//!
//! Runs the suite through a recording proxy; scenarios that need the simulator's counters or
//! fault injection are skipped here (`primer.rs` runs them).
//!
//! Error answers are checked too, and a status the document does not list for the operation is
//! a violation. The suite provokes one such status on purpose: 401 (its bad-key scenario). It is
//! a named exception ([`PRIMER_UNDOCUMENTED`]: Primer documents 401 in its status table, not in
//! the v2.2 operations), checked against Primer's error shape and required to have been seen.

#![allow(clippy::unwrap_used)]

use paybridge_connector_tests::openapi::{OpenApi, PRIMER_UNDOCUMENTED};
use paybridge_connector_tests::targets::primer::target_at;
use paybridge_connector_tests::traffic::{check_against, suite_traffic};
use paybridge_sandbox::primer::{self as sim, PrimerSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primer_traffic_matches_the_published_schemas() {
    let spec = OpenApi::primer_v2_2().unwrap();

    let sim_config = PrimerSimConfig::default();
    let handle = sim::start(sim_config.clone()).await.unwrap();
    let exchanges = suite_traffic(handle, |url| target_at(&sim_config, url, None))
        .await
        .unwrap_or_else(|table| panic!("{table}"));

    // Answers a named exception covers are checked against it; everything else against the
    // document.
    let (excepted, documented): (Vec<_>, Vec<_>) = exchanges.into_iter().partition(|e| {
        PRIMER_UNDOCUMENTED
            .iter()
            .any(|x| x.matches(&e.method, &e.path, e.status))
    });
    let checked = check_against(&spec, &documented);
    assert!(checked.violations.is_empty(), "{:#?}", checked.violations);
    for e in &excepted {
        let exception = PRIMER_UNDOCUMENTED
            .iter()
            .find(|x| x.matches(&e.method, &e.path, e.status))
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&e.response_body).unwrap();
        if let Err(violation) =
            spec.check_undocumented(exception, &e.method, &e.path, e.status, &body)
        {
            panic!("{violation:#?}\n{body:#}");
        }
    }
    assert!(
        excepted.iter().any(|e| e.status == 401),
        "the bad-key scenario's 401 was not seen: {excepted:?}"
    );
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
