//! The version cache: the payments a [`Store`](super::Store) last read or wrote.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::Stored;

/// Recently used payments as this store last read or wrote them, by version ([`super::Store::payment`]).
/// The operations that write before they call a processor skip even the version's read
/// ([`super::Store::remembered_payment`]): their first write compares the version, which tells them
/// when another instance has moved the payment on.
#[derive(Debug, Default)]
pub(super) struct PaymentCache {
    entries: Mutex<CacheEntries>,
}

#[derive(Debug, Default)]
struct CacheEntries {
    by_payment: HashMap<String, Arc<Stored>>,
    /// Payment ids by connector and the processor's id (`"{connector} {id}"`), for webhooks.
    by_connector_id: HashMap<String, String>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
}

fn connector_id_key(connector: &str, connector_transaction_id: &str) -> String {
    format!("{connector} {connector_transaction_id}")
}

impl Stored {
    /// Its key in [`CacheEntries::by_connector_id`], once the processor has named it.
    fn connector_id_key(&self) -> Option<String> {
        let p = &self.payment;
        let id = p.connector_transaction_id.as_deref()?;
        Some(connector_id_key(&p.connector, id))
    }
}

impl CacheEntries {
    fn remove(&mut self, payment_id: &str) -> Option<Arc<Stored>> {
        let stored = self.by_payment.remove(payment_id)?;
        if let Some(key) = stored.connector_id_key() {
            self.by_connector_id.remove(&key);
        }
        Some(stored)
    }
}

impl PaymentCache {
    /// Payments kept (a few kilobytes each); a payment's operations come close together, older
    /// ones are read again.
    const CAPACITY: usize = 10_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheEntries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(&self, payment_id: &str) -> Option<Arc<Stored>> {
        self.lock().by_payment.get(payment_id).cloned()
    }

    pub(super) fn payment_id_by_connector_id(
        &self,
        connector: &str,
        connector_transaction_id: &str,
    ) -> Option<String> {
        self.lock()
            .by_connector_id
            .get(&connector_id_key(connector, connector_transaction_id))
            .cloned()
    }

    pub(super) fn put(&self, stored: Arc<Stored>) {
        let payment_id = stored.payment.payment_id.clone();
        let key = stored.connector_id_key();
        let mut entries = self.lock();
        if let Some(key) = &key {
            entries
                .by_connector_id
                .insert(key.clone(), payment_id.clone());
        }
        if let Some(kept) = entries.by_payment.get(&payment_id) {
            // A read that raced a write of this process must not replace what it wrote.
            if kept.payment.version > stored.payment.version {
                return;
            }
        }
        match entries.by_payment.insert(payment_id.clone(), stored) {
            Some(before) => {
                // The processor's id is set once; should it ever change, forget the old one.
                if let Some(old) = before
                    .connector_id_key()
                    .filter(|old| Some(old) != key.as_ref())
                {
                    entries.by_connector_id.remove(&old);
                }
            }
            None => {
                entries.order.push_back(payment_id);
                while entries.order.len() > Self::CAPACITY {
                    if let Some(oldest) = entries.order.pop_front() {
                        entries.remove(&oldest);
                    }
                }
            }
        }
    }

    pub(super) fn remove(&self, payment_id: &str) {
        let mut entries = self.lock();
        if entries.remove(payment_id).is_some() {
            entries.order.retain(|id| id != payment_id);
        }
    }
}
