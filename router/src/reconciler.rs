//! The reconciler: a background task that settles every operation left waiting for a
//! processor's verdict (a timeout, a crash, a lost connection), so no payment, capture or
//! refund stays `processing` or `pending` for good.
//!
//! Every `interval` it reads from the store the payments that have waited more than
//! `settle_after` since their last change, and hands each to
//! [`Payments::reconcile`](crate::payments::Payments::reconcile): a sync, or a lookup by
//! reference of what has no processor id. Its work list is the store, so it survives restarts;
//! with several routers on one database, each takes a payment's lease before asking its
//! processor and leaves payments leased by another, so one router at a time works on a payment.
//!
//! A payment still open after a pass is tried again with exponential backoff (from `interval`
//! up to `max_backoff`, jittered, kept in memory: a restart tries everything once more). Each
//! open payment logs one line per pass at WARN (`still waiting for a processor's verdict`,
//! with the payment, merchant, attempt count and reasons), and
//! `paybridge_reconciliations_total{result}` counts passes by result; the
//! `paybridge_unsettled_operations` gauge shows how many wait.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::payments::{format_time, Payments, Reconciled};
use crate::store::UnsettledPayment;

/// The `[reconciler]` table. Times in milliseconds or seconds as named; none may be 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconcilerSettings {
    /// Run the reconciler. Default true.
    pub enabled: bool,
    /// How often it looks for unsettled payments. Default 2000.
    pub interval_ms: u64,
    /// How long a payment waits, since its last change, before the reconciler asks its
    /// processor: a request still running has its own answer coming. Default 5000.
    pub settle_after_ms: u64,
    /// An operation the processor has no record of this long after it was sent never
    /// happened: it fails, and what it reserved is released. Default 600 (10 minutes), well
    /// past any connector timeout.
    pub not_found_after_secs: u64,
    /// The longest wait between two passes over one payment. Default 300000 (5 minutes).
    pub max_backoff_ms: u64,
    /// Payments handled per pass. Default 100.
    pub batch: u32,
    /// Payments reconciled at once. Default 8.
    pub concurrency: usize,
}

impl Default for ReconcilerSettings {
    fn default() -> Self {
        ReconcilerSettings {
            enabled: true,
            interval_ms: 2_000,
            settle_after_ms: 5_000,
            not_found_after_secs: 600,
            max_backoff_ms: 300_000,
            batch: 100,
            concurrency: 8,
        }
    }
}

impl ReconcilerSettings {
    /// Refuses a 0, which would spin or never settle.
    pub fn check(&self) -> Result<(), String> {
        let zero = [
            ("interval_ms", self.interval_ms == 0),
            ("settle_after_ms", self.settle_after_ms == 0),
            ("not_found_after_secs", self.not_found_after_secs == 0),
            ("max_backoff_ms", self.max_backoff_ms == 0),
            ("batch", self.batch == 0),
            ("concurrency", self.concurrency == 0),
        ];
        crate::config::refuse_zero("reconciler", &zero)
    }
}

/// Passes over one payment that left it open, and when to try it next.
#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: u32,
    next: Instant,
}

/// The wait before the next pass over a payment open after `attempts` passes: doubling from
/// `interval`, at most `max`, with up to a fifth taken off at random so that payments opened
/// together spread out.
fn backoff(attempts: u32, interval: Duration, max: Duration) -> Duration {
    let doubled = interval.saturating_mul(1u32 << attempts.min(16));
    let capped = doubled.min(max);
    capped.mul_f64(1.0 - fastrand::f64() / 5.0)
}

/// Runs until the task is aborted.
pub async fn run(payments: Arc<Payments>, settings: ReconcilerSettings) {
    let interval = Duration::from_millis(settings.interval_ms);
    let settle_after = Duration::from_millis(settings.settle_after_ms);
    let not_found_after = Duration::from_secs(settings.not_found_after_secs);
    let max_backoff = Duration::from_millis(settings.max_backoff_ms);
    let mut retries: HashMap<String, Retry> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = format_time(OffsetDateTime::now_utc() - settle_after);
        let unsettled = match payments
            .store()
            .unsettled_payments(&before, settings.batch)
            .await
        {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "reconciler: unsettled payments not read");
                continue;
            }
        };
        retries.retain(|id, _| unsettled.iter().any(|u| u.payment_id == *id));
        let now = Instant::now();
        let due = unsettled
            .into_iter()
            .filter(|u| retries.get(&u.payment_id).is_none_or(|r| r.next <= now))
            .collect::<Vec<_>>();
        // A few payments at a time: after a processor's outage thousands may wait, each a
        // round trip or more.
        let mut running = tokio::task::JoinSet::new();
        for payment in due {
            while running.len() >= settings.concurrency {
                if let Some(Ok((payment, result))) = running.join_next().await {
                    record(&mut retries, &payment, result, interval, max_backoff);
                }
            }
            let payments = payments.clone();
            running.spawn(async move {
                let result = payments.reconcile(&payment, not_found_after).await;
                (payment, result)
            });
        }
        while let Some(done) = running.join_next().await {
            if let Ok((payment, result)) = done {
                record(&mut retries, &payment, result, interval, max_backoff);
            }
        }
    }
}

/// Counts and logs one pass over `payment`, and schedules its next while it stays open.
fn record(
    retries: &mut HashMap<String, Retry>,
    payment: &UnsettledPayment,
    result: Result<Reconciled, crate::ApiError>,
    interval: Duration,
    max_backoff: Duration,
) {
    let label = match &result {
        Ok(Reconciled::Settled) => "settled",
        Ok(Reconciled::Open(_)) => "open",
        Ok(Reconciled::Busy) => "busy",
        Err(_) => "error",
    };
    metrics::counter!("paybridge_reconciliations_total", "result" => label).increment(1);
    let reasons = match result {
        Ok(Reconciled::Settled) => {
            retries.remove(&payment.payment_id);
            tracing::info!(
                payment_id = %payment.payment_id,
                merchant_id = %payment.merchant_id,
                "reconciler: settled with the processor"
            );
            return;
        }
        Ok(Reconciled::Busy) => return,
        Ok(Reconciled::Open(reasons)) => reasons.join("; "),
        Err(err) => err.message,
    };
    let now = Instant::now();
    let retry = retries.entry(payment.payment_id.clone()).or_insert(Retry {
        attempts: 0,
        next: now,
    });
    retry.attempts += 1;
    retry.next = now + backoff(retry.attempts, interval, max_backoff);
    tracing::warn!(
        payment_id = %payment.payment_id,
        merchant_id = %payment.merchant_id,
        attempts = retry.attempts,
        reasons = %reasons,
        "reconciler: still waiting for a processor's verdict"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_never_exceeds_it() {
        let (interval, max) = (Duration::from_secs(2), Duration::from_secs(300));
        for attempts in 0..40 {
            let wait = backoff(attempts, interval, max);
            let full = interval.saturating_mul(1 << attempts.min(16)).min(max);
            assert!(wait <= full, "{attempts}: {wait:?} > {full:?}");
            assert!(
                wait >= full.mul_f64(0.8),
                "{attempts}: {wait:?} < 0.8 × {full:?}"
            );
        }
        assert!(backoff(1, interval, max) <= Duration::from_secs(4));
        assert!(backoff(30, interval, max) >= Duration::from_secs(240));
    }

    #[test]
    fn zero_settings_are_refused_by_name() {
        let settings = ReconcilerSettings {
            batch: 0,
            ..ReconcilerSettings::default()
        };
        assert_eq!(
            settings.check().expect_err("a zero batch"),
            "[reconciler] batch must be greater than 0"
        );
        assert!(ReconcilerSettings::default().check().is_ok());
    }
}
