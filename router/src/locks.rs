//! One async mutex per payment, so the operations on one payment run one at a time inside this
//! process. (Across processes sharing a database, the store's compare-and-swap on the payment's
//! version refuses the second writer, and leases renewed with [`renewing`] keep the others
//! waiting while a processor call runs.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

/// Awaits `work`, calling `renew` every `every` until it is done: what keeps a lease (a
/// payment's hold, an idempotency claim) alive however long the work takes, and lets it lapse
/// soon after the process dies.
pub async fn renewing<T, R>(
    every: std::time::Duration,
    work: impl std::future::Future<Output = T>,
    mut renew: impl FnMut() -> R,
) -> T
where
    R: std::future::Future<Output = ()>,
{
    tokio::pin!(work);
    // First due after `every`, not now: a timer due at once wakes the runtime's parked timer
    // thread on every call (a fifth of the router's throughput: docs/benchmarks.md).
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = tick.tick() => renew().await,
        }
    }
}

/// The per-payment locks.
#[derive(Debug, Default)]
pub struct PaymentLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl PaymentLocks {
    /// Waits for and takes the lock of `payment_id`; released when the guard drops.
    pub async fn lock(&self, payment_id: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            match locks.get(payment_id).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    // Forget the locks nobody holds any more before the map grows.
                    if locks.len() >= 1024 {
                        locks.retain(|_, lock| lock.strong_count() > 0);
                    }
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(payment_id.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_payment_at_a_time_others_in_parallel() {
        let locks = Arc::new(PaymentLocks::default());
        let held = locks.lock("pay_a").await;
        // Another payment is not blocked.
        let other = tokio::time::timeout(Duration::from_millis(100), locks.lock("pay_b")).await;
        assert!(other.is_ok());
        // The same payment waits until the guard drops.
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move {
                locks.lock("pay_a").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(held);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released")
            .expect("task");
    }
}

#[cfg(test)]
mod renewing_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::renewing;

    #[tokio::test(start_paused = true)]
    async fn renews_while_the_work_runs_and_not_after() {
        let renewals = AtomicUsize::new(0);
        let answer = renewing(
            Duration::from_secs(5),
            async {
                tokio::time::sleep(Duration::from_secs(12)).await;
                7
            },
            || async {
                renewals.fetch_add(1, Ordering::SeqCst);
            },
        )
        .await;
        assert_eq!(answer, 7);
        // At 5 s and 10 s; none at the start, none once the work is done.
        assert_eq!(renewals.load(Ordering::SeqCst), 2);
    }
}
