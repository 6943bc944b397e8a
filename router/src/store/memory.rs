//! A store in memory, for tests that need payments but no database: the same rules as the SQL
//! store (compare and swap on the version, one write at a time), nothing kept past the process.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::rows::{DeliveryRow, EventRow, PaymentRow};
use super::{
    Claim, DeliveryNext, EventFilter, IdempotencyRecord, PaymentRecord, PaymentStore,
    ReceivedWebhook, Requeued, StoreError, Unsettled, UnsettledPayment, Written,
};

/// Payments, webhook events and idempotency records in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    closed: bool,
    payments: HashMap<String, PaymentRecord>,
    /// `(connector, event_id)` of every recorded event.
    events: HashSet<(String, String)>,
    /// By `(merchant_id, key)`.
    keys: HashMap<(String, String), KeyClaim>,
    /// Events for merchants, in the order written.
    merchant_events: Vec<EventRow>,
    /// Their delivery attempts.
    deliveries: Vec<DeliveryRow>,
}

/// An idempotency key's claim: its request, operation, times, and its answer once given.
#[derive(Debug)]
struct KeyClaim {
    fingerprint: String,
    operation_id: String,
    created_at: String,
    claimed_at: String,
    answer: Option<(u16, String)>,
}

impl MemoryStore {
    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.closed {
            return Err(StoreError::Closed);
        }
        Ok(state)
    }
}

/// `record` as a read gives it back: confirmed, its children the stored ones.
fn as_read(record: &PaymentRecord) -> PaymentRecord {
    PaymentRecord::read(
        record.payment.clone(),
        record.attempts.clone(),
        record.captures.clone(),
        record.increments.clone(),
        record.refunds.clone(),
    )
}

#[async_trait]
impl PaymentStore for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.state().map(|_| ())
    }

    async fn missing_migrations(&self) -> Result<Vec<i64>, StoreError> {
        self.state().map(|_| Vec::new())
    }

    async fn insert_payment(&self, record: &PaymentRecord) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let id = &record.payment.payment_id;
        if state.payments.contains_key(id) {
            return Err(StoreError::Refused("the payment id is taken"));
        }
        state.payments.insert(id.clone(), as_read(record));
        Ok(())
    }

    async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), StoreError> {
        self.state()?.payments.remove(payment_id);
        Ok(())
    }

    async fn payment_row(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRow>, StoreError> {
        Ok(self
            .payment(merchant_id, payment_id)
            .await?
            .map(|record| record.payment))
    }

    async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        Ok(self
            .state()?
            .payments
            .get(payment_id)
            .filter(|r| r.payment.merchant_id == merchant_id)
            .map(as_read))
    }

    async fn payment_owner_by_connector_id(
        &self,
        connector: &str,
        connector_payment_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(self.state()?.payments.values().find_map(|r| {
            let p = &r.payment;
            (p.connector == connector
                && p.connector_transaction_id.as_deref() == Some(connector_payment_id))
            .then(|| (p.payment_id.clone(), p.merchant_id.clone()))
        }))
    }

    async fn payment_merchant(&self, payment_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .state()?
            .payments
            .get(payment_id)
            .map(|r| r.payment.merchant_id.clone()))
    }

    async fn refund_owner(&self, refund_id: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self.state()?.payments.values().find_map(|r| {
            r.refunds
                .iter()
                .any(|f| f.refund_id == refund_id)
                .then(|| (r.payment.payment_id.clone(), r.payment.merchant_id.clone()))
        }))
    }

    async fn write_payment(
        &self,
        record: &PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<Written, StoreError> {
        let mut state = self.state()?;
        let id = &record.payment.payment_id;
        let current = state.payments.get(id).map(|r| r.payment.version);
        if current != Some(record.payment.version - 1) {
            return Ok(Written::Stale);
        }
        // As the SQL store's upsert: an event recorded before is recorded as applied now.
        if let Some(event) = applied {
            let key = (event.connector.to_owned(), event.event.event_id.clone());
            state.events.insert(key);
        }
        state.payments.insert(id.clone(), as_read(record));
        state.merchant_events.extend(record.events.iter().cloned());
        Ok(Written::Yes)
    }

    async fn claim_due_events(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        let mut state = self.state()?;
        let mut due: Vec<&mut EventRow> = state
            .merchant_events
            .iter_mut()
            .filter(|e| {
                e.delivery_status == "pending"
                    && e.next_attempt_at.is_some_and(|at| at <= now_ms)
                    && e.lease_until.is_none_or(|until| until < now_ms)
            })
            .collect();
        due.sort_by_key(|e| e.next_attempt_at);
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|e| {
                e.lease_owner = Some(owner.to_owned());
                e.lease_until = Some(lease_until_ms);
                e.clone()
            })
            .collect())
    }

    async fn finish_delivery(
        &self,
        owner: &str,
        delivery: &DeliveryRow,
        next: &DeliveryNext,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(event) = state
            .merchant_events
            .iter_mut()
            .find(|e| e.event_id == delivery.event_id && e.lease_owner.as_deref() == Some(owner))
        else {
            return Ok(false);
        };
        event.attempts = delivery.attempt;
        event.lease_owner = None;
        event.lease_until = None;
        (
            event.delivery_status,
            event.next_attempt_at,
            event.delivered_at,
        ) = match next {
            DeliveryNext::Delivered { at } => ("delivered".into(), None, Some(at.clone())),
            DeliveryNext::Retry { at_ms } => ("pending".into(), Some(*at_ms), None),
            DeliveryNext::GaveUp => ("failed".into(), None, None),
        };
        state.deliveries.push(delivery.clone());
        Ok(true)
    }

    async fn postpone_event(
        &self,
        owner: &str,
        event_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(event) = state
            .merchant_events
            .iter_mut()
            .find(|e| e.event_id == event_id && e.lease_owner.as_deref() == Some(owner))
        else {
            return Ok(false);
        };
        event.next_attempt_at = Some(at_ms);
        event.lease_owner = None;
        event.lease_until = None;
        Ok(true)
    }

    async fn events(
        &self,
        merchant_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<EventRow>, StoreError> {
        let state = self.state()?;
        let matches =
            |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
        let mut found: Vec<EventRow> = state
            .merchant_events
            .iter()
            .filter(|e| {
                e.merchant_id == merchant_id
                    && matches(&filter.object_id, &e.object_id)
                    && matches(&filter.event_type, &e.event_type)
                    && matches(&filter.delivery_status, &e.delivery_status)
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| (&b.created, &b.event_id).cmp(&(&a.created, &a.event_id)));
        found.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn event(
        &self,
        merchant_id: &str,
        event_id: &str,
    ) -> Result<Option<(EventRow, Vec<DeliveryRow>)>, StoreError> {
        let state = self.state()?;
        let Some(event) = state
            .merchant_events
            .iter()
            .find(|e| e.event_id == event_id && e.merchant_id == merchant_id)
        else {
            return Ok(None);
        };
        let mut deliveries: Vec<DeliveryRow> = state
            .deliveries
            .iter()
            .filter(|d| d.event_id == event_id)
            .cloned()
            .collect();
        deliveries.sort_by_key(|d| d.attempt);
        Ok(Some((event.clone(), deliveries)))
    }

    async fn requeue_event(
        &self,
        merchant_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<Requeued, StoreError> {
        let mut state = self.state()?;
        let Some(event) = state
            .merchant_events
            .iter_mut()
            .find(|e| e.event_id == event_id && e.merchant_id == merchant_id)
        else {
            return Ok(Requeued::NotFound);
        };
        if event.lease_until.is_some_and(|until| until >= now_ms) {
            return Ok(Requeued::InFlight);
        }
        event.delivery_status = "pending".into();
        event.next_attempt_at = Some(now_ms);
        Ok(Requeued::Yes(Box::new(event.clone())))
    }

    async fn webhook_event_seen(
        &self,
        connector: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        let key = (connector.to_owned(), event_id.to_owned());
        Ok(self.state()?.events.contains(&key))
    }

    async fn record_ignored_webhook(
        &self,
        event: &ReceivedWebhook<'_>,
        if_version: Option<(&str, i64)>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        if let Some((payment_id, version)) = if_version {
            let current = state.payments.get(payment_id).map(|r| r.payment.version);
            if current != Some(version) {
                return Ok(false);
            }
        }
        let key = (event.connector.to_owned(), event.event.event_id.clone());
        Ok(state.events.insert(key))
    }

    async fn renew_lease(
        &self,
        payment_id: &str,
        owner: &str,
        until: i64,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        match state.payments.get_mut(payment_id) {
            Some(record) if record.payment.lease_owner.as_deref() == Some(owner) => {
                record.payment.lease_until = Some(until);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn claim_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        fingerprint: &str,
        operation_id: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<Claim, StoreError> {
        let mut state = self.state()?;
        let slot = (merchant_id.to_owned(), key.to_owned());
        match state.keys.get_mut(&slot) {
            None => {
                let claim = KeyClaim {
                    fingerprint: fingerprint.to_owned(),
                    operation_id: operation_id.to_owned(),
                    created_at: now.to_owned(),
                    claimed_at: now.to_owned(),
                    answer: None,
                };
                state.keys.insert(slot, claim);
                Ok(Claim::Claimed {
                    operation_id: operation_id.to_owned(),
                    resumed: false,
                })
            }
            Some(claim)
                if claim.answer.is_none()
                    && claim.fingerprint == fingerprint
                    && claim.claimed_at.as_str() < stale_before =>
            {
                claim.claimed_at = now.to_owned();
                Ok(Claim::Claimed {
                    operation_id: claim.operation_id.clone(),
                    resumed: true,
                })
            }
            Some(claim) => Ok(Claim::Held(match &claim.answer {
                None => IdempotencyRecord::InFlight {
                    fingerprint: claim.fingerprint.clone(),
                },
                Some((status, body)) => IdempotencyRecord::Done {
                    fingerprint: claim.fingerprint.clone(),
                    status: *status,
                    body: body.clone(),
                },
            })),
        }
    }

    async fn renew_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        operation_id: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let slot = (merchant_id.to_owned(), key.to_owned());
        match state.keys.get_mut(&slot) {
            Some(claim) if claim.answer.is_none() && claim.operation_id == operation_id => {
                claim.claimed_at = now.to_owned();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn expire_idempotency_keys(&self, before: &str) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let held = state.keys.len();
        state.keys.retain(|_, claim| {
            claim.created_at.as_str() >= before
                || (claim.answer.is_none() && claim.claimed_at.as_str() >= before)
        });
        Ok((held - state.keys.len()) as u64)
    }

    async fn complete_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if let Some(claim) = state
            .keys
            .get_mut(&(merchant_id.to_owned(), key.to_owned()))
        {
            claim.answer = Some((status, body.to_owned()));
        }
        Ok(())
    }

    async fn release_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let slot = (merchant_id.to_owned(), key.to_owned());
        if state
            .keys
            .get(&slot)
            .is_some_and(|claim| claim.answer.is_none())
        {
            state.keys.remove(&slot);
        }
        Ok(())
    }

    async fn unsettled(&self) -> Result<Unsettled, StoreError> {
        let state = self.state()?;
        let mut unsettled = Unsettled::default();
        for record in state.payments.values() {
            let pending = |status: &String| status == "pending";
            unsettled.payments += u64::from(record.payment.status == "processing");
            unsettled.captures += record
                .captures
                .iter()
                .filter(|c| pending(&c.status))
                .count() as u64;
            unsettled.increments += record
                .increments
                .iter()
                .filter(|i| i.status == "processing")
                .count() as u64;
            unsettled.refunds +=
                record.refunds.iter().filter(|r| pending(&r.status)).count() as u64;
        }
        Ok(unsettled)
    }

    async fn unsettled_payments(
        &self,
        updated_before: &str,
        limit: u32,
    ) -> Result<Vec<UnsettledPayment>, StoreError> {
        let state = self.state()?;
        let mut found: Vec<&PaymentRecord> = state
            .payments
            .values()
            .filter(|r| r.payment.updated.as_str() < updated_before)
            .filter(|r| {
                r.payment.status == "processing"
                    || r.captures.iter().any(|c| c.status == "pending")
                    || r.refunds.iter().any(|c| c.status == "pending")
                    || r.increments.iter().any(|i| i.status == "processing")
            })
            .collect();
        found.sort_by(|a, b| a.payment.updated.cmp(&b.payment.updated));
        Ok(found
            .into_iter()
            .take(limit as usize)
            .map(|r| UnsettledPayment {
                payment_id: r.payment.payment_id.clone(),
                merchant_id: r.payment.merchant_id.clone(),
            })
            .collect())
    }

    async fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
    }
}
