//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! Recorded through the [`metrics`] facade, so the libraries record too: core's executor
//! counts and times every connector call (`paybridge_connector_calls_total{connector, flow,
//! outcome}`, `paybridge_connector_call_duration_seconds{connector, flow}`). The router adds:
//!
//! - `paybridge_http_requests_total{method, route, status}` and
//!   `paybridge_http_request_duration_seconds{method, route}` (the route's template, never the
//!   ids in the path);
//! - `paybridge_idempotent_replays_total`: answers replayed for an `Idempotency-Key`;
//! - `paybridge_webhooks_total{connector, result}`: `rejected` (not verified), `applied`,
//!   `ignored` and `duplicate`;
//! - `paybridge_store_duration_seconds{operation}`;
//! - `paybridge_unsettled_operations{operation}`: payments, captures, incremental
//!   authorizations and refunds waiting for a processor's verdict, counted at each scrape.
//!
//! Labels carry no merchant, payment or card data.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::store::Store;

/// Bucket bounds of every `_seconds` histogram: from a cached read to a slow processor.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes, so they do
/// not pile up in memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed by the first router started in it (metrics are global to
/// a process). `None` when the program had installed a recorder of its own: the metrics go
/// there, and `/metrics` says so.
pub fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed: /metrics stays empty");
                return None;
            }
            let upkept = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkept.run_upkeep();
                });
            if let Err(err) = spawned {
                tracing::warn!(error = %err, "no metrics upkeep thread: histograms drain at scrapes only");
            }
            Some(handle)
        })
        .as_ref()
}

/// The text `/metrics` answers: the unsettled counts read now, then everything recorded.
pub async fn render(store: &Store) -> String {
    match store.unsettled().await {
        Ok(unsettled) => {
            for (operation, count) in [
                ("payment", unsettled.payments),
                ("capture", unsettled.captures),
                ("incremental_authorization", unsettled.increments),
                ("refund", unsettled.refunds),
            ] {
                metrics::gauge!("paybridge_unsettled_operations", "operation" => operation)
                    .set(count as f64);
            }
        }
        Err(err) => tracing::warn!(error = %err, "metrics: unsettled operations not counted"),
    }
    match recorder() {
        Some(handle) => handle.render(),
        None => "# this process records its metrics elsewhere\n".to_owned(),
    }
}
