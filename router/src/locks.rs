//! One async mutex per payment, so the operations on one payment run one at a time inside this
//! process. (Across processes sharing a database, the store's compare-and-swap on the payment's
//! version refuses the second writer.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

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
