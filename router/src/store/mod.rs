//! Persistence: payments and their attempts, captures, incremental authorizations and refunds;
//! webhook events; idempotency records.
//!
//! [`Store`] is what the router uses: any [`PaymentStore`] backend — [`SqlStore`] (SQLite by
//! default, PostgreSQL with the `postgres` feature) or [`MemoryStore`] (fast tests) — wrapped
//! in a cache of the payments it last read or wrote, by version.
//!
//! Every change to a payment is one transaction that writes the payment row only if its
//! `version` is the one read (compare and swap) together with the child rows that changed, so a
//! crash never leaves half an operation and two router instances sharing one database cannot
//! both spend the same capturable or refundable amount.
//!
//! ```
//! # async fn demo() -> Result<(), paybridge_router::store::StoreError> {
//! use paybridge_router::store::Store;
//!
//! let store = Store::memory();
//! store.ping().await?;
//! assert!(store.payment("merchant_1", "pay_missing").await?.is_none());
//! # Ok(()) }
//! ```

mod cache;
#[cfg(test)]
mod contract_tests;
mod mapping;
mod memory;
pub mod rows;
mod sql;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

pub use mapping::MappingError;
pub use memory::MemoryStore;
pub use rows::{
    AttemptRow, CaptureRow, DeliveryRow, EventRow, IncrementRow, PaymentRow, RefundRow,
};
pub use sql::SqlStore;

use cache::PaymentCache;

/// Why the store could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused a statement.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The store refused a write that would break its rules (nothing was written).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// No connection was free in time.
    #[error("no database connection was free in time")]
    Busy,
    /// A stored value this router cannot read.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// The database URL or its driver.
    #[error("{0}")]
    Configuration(String),
}

impl StoreError {
    /// The database's own error code, when it gave one (SQLite's `14`: cannot open the file).
    pub fn database_code(&self) -> Option<String> {
        match self {
            StoreError::Database(err) => err
                .as_database_error()
                .and_then(|db| db.code())
                .map(|code| code.into_owned()),
            _ => None,
        }
    }
}

/// A payment and every child row.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecord {
    /// The payment.
    pub payment: PaymentRow,
    /// Authorization attempts, oldest first.
    pub attempts: Vec<AttemptRow>,
    /// Captures, by sequence.
    pub captures: Vec<CaptureRow>,
    /// Incremental authorizations, oldest first.
    pub increments: Vec<IncrementRow>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundRow>,
    /// Events for the merchant that the next save writes in its transaction (an outbox);
    /// emptied once written.
    pub events: Vec<EventRow>,
    /// The payment as last read or written, so a save writes only the child rows that changed.
    stored: Arc<Stored>,
    /// Taken from the store's memory ([`Store::remembered_payment`]) and not written since: no
    /// database has confirmed it is current.
    unconfirmed: bool,
}

/// A payment as last read from or written to the database.
#[derive(Debug, Default, PartialEq)]
pub struct Stored {
    payment: PaymentRow,
    attempts: Vec<AttemptRow>,
    captures: Vec<CaptureRow>,
    increments: Vec<IncrementRow>,
    refunds: Vec<RefundRow>,
}

impl PaymentRecord {
    /// A payment just inserted with its first attempt.
    pub fn inserted(payment: PaymentRow, attempt: AttemptRow) -> Self {
        Self::from_stored(
            payment.clone(),
            Arc::new(Stored {
                payment,
                attempts: vec![attempt],
                ..Stored::default()
            }),
        )
    }

    /// A payment read with its children.
    pub fn read(
        payment: PaymentRow,
        attempts: Vec<AttemptRow>,
        captures: Vec<CaptureRow>,
        increments: Vec<IncrementRow>,
        refunds: Vec<RefundRow>,
    ) -> Self {
        let stored = Stored {
            payment: payment.clone(),
            attempts,
            captures,
            increments,
            refunds,
        };
        Self::from_stored(payment, Arc::new(stored))
    }

    /// `payment` with the children `stored` has (of the same version).
    fn from_stored(payment: PaymentRow, stored: Arc<Stored>) -> Self {
        PaymentRecord {
            payment,
            attempts: stored.attempts.clone(),
            captures: stored.captures.clone(),
            increments: stored.increments.clone(),
            refunds: stored.refunds.clone(),
            events: Vec::new(),
            stored,
            unconfirmed: false,
        }
    }

    /// Whether this copy came from the store's memory and has not been written since, so no
    /// database has confirmed it: another router instance sharing the database may have
    /// changed the payment. Its first save fails with [`Written::Stale`] if so.
    pub fn unconfirmed(&self) -> bool {
        self.unconfirmed
    }

    /// The payment as it was read (what a save compares against).
    pub fn stored_payment(&self) -> &PaymentRow {
        &self.stored.payment
    }

    /// The child rows that differ from the stored ones.
    pub fn changes(&self) -> Changes<'_> {
        let stored = &self.stored;
        Changes {
            attempts: changed(&self.attempts, &stored.attempts).collect(),
            captures: changed(&self.captures, &stored.captures).collect(),
            increments: changed(&self.increments, &stored.increments).collect(),
            refunds: changed(&self.refunds, &stored.refunds).collect(),
        }
    }

    fn mark_stored(&mut self) {
        self.stored = Arc::new(Stored {
            payment: self.payment.clone(),
            attempts: self.attempts.clone(),
            captures: self.captures.clone(),
            increments: self.increments.clone(),
            refunds: self.refunds.clone(),
        });
        self.unconfirmed = false;
    }
}

/// What follows a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryNext {
    /// The endpoint answered 2xx, at this time (RFC 3339).
    Delivered {
        /// When.
        at: String,
    },
    /// Try again at this time (unix milliseconds).
    Retry {
        /// When.
        at_ms: i64,
    },
    /// Every attempt failed: no more.
    GaveUp,
}

/// Which of a merchant's events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// The payment or refund they are about.
    pub object_id: Option<String>,
    /// Their type.
    pub event_type: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub delivery_status: Option<String>,
    /// At most this many (newest first).
    pub limit: u32,
}

/// What a redelivery request found.
#[derive(Debug, Clone, PartialEq)]
pub enum Requeued {
    /// Pending and due now.
    Yes(Box<EventRow>),
    /// No such event for the merchant.
    NotFound,
    /// An instance is delivering it now.
    InFlight,
}

/// The child rows a save writes.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Changes<'a> {
    pub attempts: Vec<&'a AttemptRow>,
    pub captures: Vec<&'a CaptureRow>,
    pub increments: Vec<&'a IncrementRow>,
    pub refunds: Vec<&'a RefundRow>,
}

/// The rows of `current` that are not, as they are, in `stored`.
fn changed<'a, T: PartialEq>(current: &'a [T], stored: &'a [T]) -> impl Iterator<Item = &'a T> {
    current.iter().filter(move |row| !stored.contains(row))
}

/// A stored idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyRecord {
    /// The first request with this key is still running.
    InFlight {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// The first request finished with this answer.
    Done {
        /// Its fingerprint.
        fingerprint: String,
        /// Status code.
        status: u16,
        /// Body.
        body: String,
    },
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now: new, or `resumed` from a claim of the same request that
    /// stopped being renewed (its router died mid-request). `operation_id` is the one given
    /// for a new claim, the first claim's for a resumed one.
    Claimed {
        /// The operation's id: what its new objects are named after.
        operation_id: String,
        /// Taken over from an earlier run of the same request.
        resumed: bool,
    },
    /// Another request holds the key, or it was answered.
    Held(IdempotencyRecord),
}

/// A verified webhook event as the store records it.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedWebhook<'a> {
    /// The connector it came from.
    pub connector: &'a str,
    /// The event.
    pub event: &'a paybridge_core::WebhookEvent,
    /// The stored payment it concerns, if any.
    pub payment_id: Option<&'a str>,
    /// When it arrived.
    pub received_at: &'a str,
}

/// The outcome of a compare-and-swap write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written.
    Yes,
    /// Someone else changed the payment since it was read; nothing was written.
    Stale,
}

/// How many operations wait for a processor's verdict: payments `processing`, captures and
/// refunds `pending`, incremental authorizations `processing`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unsettled {
    /// Payments in `processing`.
    pub payments: u64,
    /// Captures in `pending`.
    pub captures: u64,
    /// Incremental authorizations in `processing`.
    pub increments: u64,
    /// Refunds in `pending`.
    pub refunds: u64,
}

/// A payment with an operation waiting for its processor's verdict, as the reconciler finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsettledPayment {
    /// `pay_…`.
    pub payment_id: String,
    /// Its merchant.
    pub merchant_id: String,
}

/// Where payments are kept: the statements a backend runs. [`Store`] adds the cache and the
/// rules every backend shares.
#[async_trait]
pub trait PaymentStore: Send + Sync + Debug {
    /// `Ok` when the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The schema migrations this build needs that the database has not applied (none for a
    /// backend without migrations).
    async fn missing_migrations(&self) -> Result<Vec<i64>, StoreError>;
    /// Inserts a new payment with its first attempt; an id already taken is an error.
    async fn insert_payment(&self, record: &PaymentRecord) -> Result<(), StoreError>;
    /// Deletes a payment that never reached the processor, with its attempt.
    async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), StoreError>;
    /// The payment's row alone.
    async fn payment_row(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRow>, StoreError>;
    /// The payment with its children, all of one version.
    async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError>;
    /// The payment id and merchant of the payment a processor knows as `connector_payment_id`.
    async fn payment_owner_by_connector_id(
        &self,
        connector: &str,
        connector_payment_id: &str,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// The payment id and merchant of refund `refund_id`.
    async fn refund_owner(&self, refund_id: &str) -> Result<Option<(String, String)>, StoreError>;
    /// The merchant of payment `payment_id` (a front end knows the payment, not its merchant).
    async fn payment_merchant(&self, payment_id: &str) -> Result<Option<String>, StoreError>;
    /// Takes up to `limit` pending events due by `now_ms` that no other instance holds, for
    /// `owner` until `lease_until_ms`; oldest due first.
    async fn claim_due_events(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError>;
    /// Records a delivery attempt of an event `owner` holds, and what comes next, in one
    /// transaction; `false` (nothing written) when `owner` no longer holds it.
    async fn finish_delivery(
        &self,
        owner: &str,
        delivery: &DeliveryRow,
        next: &DeliveryNext,
    ) -> Result<bool, StoreError>;
    /// Releases an event `owner` holds without an attempt, due again at `at_ms` (its merchant's
    /// endpoint is switched off).
    async fn postpone_event(
        &self,
        owner: &str,
        event_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError>;
    /// A merchant's events matching `filter`, newest first.
    async fn events(
        &self,
        merchant_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<EventRow>, StoreError>;
    /// One event of a merchant with its delivery attempts, oldest first.
    async fn event(
        &self,
        merchant_id: &str,
        event_id: &str,
    ) -> Result<Option<(EventRow, Vec<DeliveryRow>)>, StoreError>;
    /// Makes an event pending and due at `now_ms` again (redelivery on demand), unless an
    /// instance is delivering it now.
    async fn requeue_event(
        &self,
        merchant_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<Requeued, StoreError>;
    /// Writes `record` if the stored payment still has version `record.payment.version - 1`:
    /// the payment row and the changed child rows, with the `applied` webhook event, in one
    /// transaction.
    async fn write_payment(
        &self,
        record: &PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<Written, StoreError>;
    /// Whether the event `(connector, event_id)` was received before.
    async fn webhook_event_seen(&self, connector: &str, event_id: &str)
        -> Result<bool, StoreError>;
    /// Records an event that changed nothing, if new (and, when `if_version` is given, only
    /// while that payment has that version); `false` when not recorded.
    async fn record_ignored_webhook(
        &self,
        event: &ReceivedWebhook<'_>,
        if_version: Option<(&str, i64)>,
    ) -> Result<bool, StoreError>;
    /// See [`Store::renew_lease`].
    async fn renew_lease(
        &self,
        payment_id: &str,
        owner: &str,
        until: i64,
    ) -> Result<bool, StoreError>;
    /// See [`Store::claim_idempotency_key`].
    async fn claim_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        fingerprint: &str,
        operation_id: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<Claim, StoreError>;
    /// See [`Store::renew_idempotency_key`].
    async fn renew_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        operation_id: &str,
        now: &str,
    ) -> Result<bool, StoreError>;
    /// See [`Store::expire_idempotency_keys`].
    async fn expire_idempotency_keys(&self, before: &str) -> Result<u64, StoreError>;
    /// Stores the answer of a claimed key.
    async fn complete_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;
    /// Releases a claimed key that has no answer.
    async fn release_idempotency_key(&self, merchant_id: &str, key: &str)
        -> Result<(), StoreError>;
    /// How many operations have no verdict yet.
    async fn unsettled(&self) -> Result<Unsettled, StoreError>;
    /// Up to `limit` payments last changed before `updated_before` that are `processing` or
    /// have a pending capture or refund or a processing incremental authorization, oldest
    /// change first.
    async fn unsettled_payments(
        &self,
        updated_before: &str,
        limit: u32,
    ) -> Result<Vec<UnsettledPayment>, StoreError>;
    /// Finishes what runs and closes; later calls fail with [`StoreError::Closed`].
    async fn close(&self);
}

/// The store the router uses: a backend and the payments it last read or wrote.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Arc<dyn PaymentStore>,
    cache: Arc<PaymentCache>,
}

impl Store {
    /// Connects to `url` (`sqlite://path`, created when missing, `sqlite::memory:`, or
    /// `postgres://…` with the `postgres` feature) and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store::over(Arc::new(SqlStore::connect(url).await?)))
    }

    /// A store in memory: nothing survives the process; for tests.
    pub fn memory() -> Store {
        Store::over(Arc::new(MemoryStore::default()))
    }

    /// `backend` with a cache in front.
    pub fn over(backend: Arc<dyn PaymentStore>) -> Store {
        Store {
            backend,
            cache: Arc::default(),
        }
    }

    /// `Ok` when the backend answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.backend.ping().await
    }

    /// The schema migrations this build needs that the database lacks (a database restored from
    /// an older backup while the router ran, say).
    pub async fn missing_migrations(&self) -> Result<Vec<i64>, StoreError> {
        self.backend.missing_migrations().await
    }

    /// Inserts a new payment with its first attempt.
    pub async fn insert_payment(&self, record: &PaymentRecord) -> Result<(), StoreError> {
        if record.attempts.len() != 1 {
            return Err(StoreError::Refused("a new payment has one attempt"));
        }
        timed("insert_payment", self.backend.insert_payment(record)).await?;
        self.cache.put(record.stored.clone());
        Ok(())
    }

    /// Deletes a payment that never reached the processor (its request failed validation).
    pub async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), StoreError> {
        timed(
            "delete_unsent_payment",
            self.backend.delete_unsent_payment(payment_id),
        )
        .await?;
        self.cache.remove(payment_id);
        Ok(())
    }

    /// The payment `payment_id` of `merchant_id`, with its children.
    ///
    /// Child rows are only ever written in the transaction that moves their payment's
    /// `version` on, so the children kept for the version a payment row has now are exactly
    /// the stored ones, whichever router instance wrote them: a load reads the payment row
    /// alone, one statement instead of five.
    pub async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let Some(row) = timed(
            "payment_row",
            self.backend.payment_row(merchant_id, payment_id),
        )
        .await?
        else {
            return Ok(None);
        };
        if let Some(stored) = self.cache.get(payment_id) {
            if stored.payment.version == row.version {
                return Ok(Some(PaymentRecord::from_stored(row, stored)));
            }
        }
        let record = timed("payment", self.backend.payment(merchant_id, payment_id)).await?;
        if let Some(record) = &record {
            self.cache.put(record.stored.clone());
        }
        Ok(record)
    }

    /// The payment `payment_id` of `merchant_id` as this store last read or wrote it, without
    /// reading the database; `None` when not kept. The copy is [`PaymentRecord::unconfirmed`]:
    /// another router instance sharing the database may have changed the payment since, so
    /// only operations that write before doing anything else may start from it (their first
    /// save compares the version and answers [`Written::Stale`] if so).
    pub fn remembered_payment(&self, merchant_id: &str, payment_id: &str) -> Option<PaymentRecord> {
        let stored = self.cache.get(payment_id)?;
        if stored.payment.merchant_id != merchant_id {
            return None;
        }
        let mut record = PaymentRecord::from_stored(stored.payment.clone(), stored);
        record.unconfirmed = true;
        Some(record)
    }

    /// The payment id and merchant of the payment a processor knows as
    /// `connector_transaction_id`.
    pub async fn payment_owner_by_connector_id(
        &self,
        connector: &str,
        connector_transaction_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        // Which payment a processor id names never changes once set, so memory answers.
        let remembered = self
            .cache
            .payment_id_by_connector_id(connector, connector_transaction_id)
            .and_then(|payment_id| self.cache.get(&payment_id));
        if let Some(stored) = remembered {
            let p = &stored.payment;
            return Ok(Some((p.payment_id.clone(), p.merchant_id.clone())));
        }
        timed(
            "payment_owner_by_connector_id",
            self.backend
                .payment_owner_by_connector_id(connector, connector_transaction_id),
        )
        .await
    }

    /// The payment id and merchant of refund `refund_id`.
    pub async fn refund_owner(
        &self,
        refund_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        timed("refund_owner", self.backend.refund_owner(refund_id)).await
    }

    /// Takes due events for `owner` ([`PaymentStore::claim_due_events`]).
    pub async fn claim_due_events(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        timed(
            "claim_due_events",
            self.backend
                .claim_due_events(owner, now_ms, lease_until_ms, limit),
        )
        .await
    }

    /// Records a delivery attempt ([`PaymentStore::finish_delivery`]).
    pub async fn finish_delivery(
        &self,
        owner: &str,
        delivery: &DeliveryRow,
        next: &DeliveryNext,
    ) -> Result<bool, StoreError> {
        timed(
            "finish_delivery",
            self.backend.finish_delivery(owner, delivery, next),
        )
        .await
    }

    /// Releases an event without an attempt ([`PaymentStore::postpone_event`]).
    pub async fn postpone_event(
        &self,
        owner: &str,
        event_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        timed(
            "postpone_event",
            self.backend.postpone_event(owner, event_id, at_ms),
        )
        .await
    }

    /// A merchant's events ([`PaymentStore::events`]).
    pub async fn events(
        &self,
        merchant_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<EventRow>, StoreError> {
        timed("events", self.backend.events(merchant_id, filter)).await
    }

    /// One event with its attempts ([`PaymentStore::event`]).
    pub async fn event(
        &self,
        merchant_id: &str,
        event_id: &str,
    ) -> Result<Option<(EventRow, Vec<DeliveryRow>)>, StoreError> {
        timed("event", self.backend.event(merchant_id, event_id)).await
    }

    /// Redelivery on demand ([`PaymentStore::requeue_event`]).
    pub async fn requeue_event(
        &self,
        merchant_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<Requeued, StoreError> {
        timed(
            "requeue_event",
            self.backend.requeue_event(merchant_id, event_id, now_ms),
        )
        .await
    }

    /// The merchant of payment `payment_id`.
    pub async fn payment_merchant(&self, payment_id: &str) -> Result<Option<String>, StoreError> {
        timed(
            "payment_merchant",
            self.backend.payment_merchant(payment_id),
        )
        .await
    }

    /// Writes `record` if the stored payment still has version `record.payment.version - 1`:
    /// the payment row and the child rows that changed, in one transaction.
    pub async fn save(&self, record: &mut PaymentRecord) -> Result<Written, StoreError> {
        self.save_with_event(record, None).await
    }

    /// [`Store::save`], recording in the same transaction the webhook event that made the
    /// change as `applied`: the change and the event's record are stored together or not at
    /// all, so a redelivery after a failure is applied, never skipped as a duplicate.
    pub async fn save_with_event(
        &self,
        record: &mut PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<Written, StoreError> {
        if rows::fixed_columns(&record.payment) != rows::fixed_columns(&record.stored.payment) {
            return Err(StoreError::Refused(
                "a payment's id, merchant, connector and creation time never change",
            ));
        }
        if timed("write_payment", self.backend.write_payment(record, applied)).await?
            == Written::Stale
        {
            return Ok(Written::Stale);
        }
        record.mark_stored();
        record.events.clear();
        self.cache.put(record.stored.clone());
        Ok(Written::Yes)
    }

    /// Whether the event `(connector, event_id)` was received before.
    pub async fn webhook_event_seen(
        &self,
        connector: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        timed(
            "webhook_event_seen",
            self.backend.webhook_event_seen(connector, event_id),
        )
        .await
    }

    /// Records a webhook event that changed no payment; `false` when `(connector, event_id)`
    /// was already recorded (a duplicate delivered at the same time).
    ///
    /// `checked_against` is the payment the event was found to change nothing in. When that copy
    /// is [`PaymentRecord::unconfirmed`], the event is recorded only if the payment still has
    /// the copy's version (`false` too if not), which then confirms the copy: an event ignored
    /// on a copy from memory was ignored on the stored payment.
    pub async fn record_ignored_webhook(
        &self,
        event: &ReceivedWebhook<'_>,
        checked_against: Option<&mut PaymentRecord>,
    ) -> Result<bool, StoreError> {
        let unconfirmed = checked_against.filter(|record| record.unconfirmed);
        let if_version = unconfirmed
            .as_ref()
            .map(|r| (r.payment.payment_id.as_str(), r.payment.version));
        let recorded = timed(
            "record_ignored_webhook",
            self.backend.record_ignored_webhook(event, if_version),
        )
        .await?;
        if let (true, Some(record)) = (recorded, unconfirmed) {
            record.unconfirmed = false;
        }
        Ok(recorded)
    }

    /// Moves the end of `owner`'s lease on payment `payment_id` to `until` (Unix milliseconds)
    /// without changing the payment; `false` when `owner` no longer holds it.
    pub async fn renew_lease(
        &self,
        payment_id: &str,
        owner: &str,
        until: i64,
    ) -> Result<bool, StoreError> {
        timed(
            "renew_lease",
            self.backend.renew_lease(payment_id, owner, until),
        )
        .await
    }

    /// Claims `key` for a request with `fingerprint`, as operation `operation_id` if it is new.
    /// A claim of the same request not renewed since before `stale_before` (its router died
    /// mid-request) is taken over and resumed under its first operation id, so the retry
    /// reaches the processor with the same body and key.
    pub async fn claim_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        fingerprint: &str,
        operation_id: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<Claim, StoreError> {
        timed(
            "claim_idempotency_key",
            self.backend.claim_idempotency_key(
                merchant_id,
                key,
                fingerprint,
                operation_id,
                now,
                stale_before,
            ),
        )
        .await
    }

    /// Renews the unanswered claim of `operation_id` on `key` as of `now`; `false` when the
    /// claim is no longer that operation's (answered, released, or expired).
    pub async fn renew_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        operation_id: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        timed(
            "renew_idempotency_key",
            self.backend
                .renew_idempotency_key(merchant_id, key, operation_id, now),
        )
        .await
    }

    /// Deletes the idempotency records created before `before`: answered ones, and unanswered
    /// ones whose claim was last renewed before then. Answers how many went.
    pub async fn expire_idempotency_keys(&self, before: &str) -> Result<u64, StoreError> {
        timed(
            "expire_idempotency_keys",
            self.backend.expire_idempotency_keys(before),
        )
        .await
    }

    /// Stores the answer of a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        timed(
            "complete_idempotency_key",
            self.backend
                .complete_idempotency_key(merchant_id, key, status, body),
        )
        .await
    }

    /// Releases a claimed key whose request failed before any answer (so a retry may run).
    pub async fn release_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        timed(
            "release_idempotency_key",
            self.backend.release_idempotency_key(merchant_id, key),
        )
        .await
    }

    /// How many operations have no verdict yet.
    pub async fn unsettled(&self) -> Result<Unsettled, StoreError> {
        timed("unsettled", self.backend.unsettled()).await
    }

    /// See [`PaymentStore::unsettled_payments`].
    pub async fn unsettled_payments(
        &self,
        updated_before: &str,
        limit: u32,
    ) -> Result<Vec<UnsettledPayment>, StoreError> {
        timed(
            "unsettled_payments",
            self.backend.unsettled_payments(updated_before, limit),
        )
        .await
    }

    /// Finishes what runs, then closes the backend.
    pub async fn close(&self) {
        self.backend.close().await;
    }
}

/// Awaits a backend call, recording its time by operation
/// (`paybridge_store_duration_seconds`).
async fn timed<T>(operation: &'static str, call: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let result = call.await;
    metrics::histogram!("paybridge_store_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    result
}
