//! Persistence: payments and their attempts, captures, incremental authorizations and refunds;
//! webhook events; idempotency records. SQL through sqlx's `Any` driver with portable
//! statements, so the same code runs on SQLite (the default: a file in WAL mode) and PostgreSQL.
//!
//! Every change to a payment is one transaction that writes the payment row only if its
//! `version` is the one read (compare and swap) together with the child rows that changed, so a
//! crash never leaves half an operation and two router instances sharing one database cannot
//! both spend the same capturable or refundable amount.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection as _};
use sqlx::{AnyPool, Row};

use crate::model::{AttemptObject, CaptureObject, IncrementalAuthorizationObject, RefundObject};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A payment as stored; the API's payment object is built from it and its children. The
/// columns mean what the payment object's fields of the same names mean (`model.rs`); flags
/// are 0/1.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaymentRow {
    pub payment_id: String,
    pub merchant_id: String,
    pub connector: String,
    pub connector_transaction_id: Option<String>,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub capture_method: String,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub payment_method: String,
    pub card_network: Option<String>,
    pub card_last4: Option<String>,
    pub metadata: String,
    pub description: Option<String>,
    pub return_url: Option<String>,
    pub request_incremental_authorization: i64,
    pub incremental_authorization_allowed: Option<i64>,
    pub authorization_count: i64,
    pub request_extended_authorization: i64,
    pub extended_authorization_applied: Option<i64>,
    pub extended_authorization_last_applied_at: Option<String>,
    pub capture_before: Option<String>,
    pub expires_on: Option<String>,
    pub next_action: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub unified_code: Option<String>,
    pub unified_message: Option<String>,
    pub cancellation_reason: Option<String>,
    /// The base of the idempotency keys sent to the processor for this payment.
    pub connector_key: String,
    pub version: i64,
    pub created: String,
    pub updated: String,
    /// The router instance holding the payment while it calls the processor.
    pub lease_owner: Option<String>,
    /// When that lease ends, Unix milliseconds.
    pub lease_until: Option<i64>,
}

/// A payment and every child row.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecord {
    /// The payment.
    pub payment: PaymentRow,
    /// Authorization attempts, oldest first.
    pub attempts: Vec<AttemptObject>,
    /// Captures, by sequence.
    pub captures: Vec<CaptureObject>,
    /// Incremental authorizations, oldest first.
    pub increments: Vec<IncrementalAuthorizationObject>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundObject>,
    /// The payment as last read or written, so a save writes only the child rows that changed.
    stored: Arc<Stored>,
    /// Taken from the store's memory ([`Store::remembered_payment`]) and not written since: no
    /// database has confirmed it is current.
    unconfirmed: bool,
}

/// A payment as last read from or written to the database.
#[derive(Debug, PartialEq)]
struct Stored {
    payment: PaymentRow,
    attempts: Vec<AttemptObject>,
    captures: Vec<CaptureObject>,
    increments: Vec<IncrementalAuthorizationObject>,
    refunds: Vec<RefundObject>,
}

impl PaymentRecord {
    /// A payment just inserted with its first attempt.
    pub fn inserted(payment: PaymentRow, attempt: AttemptObject) -> Self {
        Self::from_stored(
            payment.clone(),
            Arc::new(Stored {
                payment,
                attempts: vec![attempt],
                captures: Vec::new(),
                increments: Vec::new(),
                refunds: Vec::new(),
            }),
        )
    }

    /// `payment` with the children `stored` has (of the same version).
    fn from_stored(payment: PaymentRow, stored: Arc<Stored>) -> Self {
        PaymentRecord {
            payment,
            attempts: stored.attempts.clone(),
            captures: stored.captures.clone(),
            increments: stored.increments.clone(),
            refunds: stored.refunds.clone(),
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

/// The rows of `current` that are not, as they are, in `stored`.
fn changed<'a, T: PartialEq>(current: &'a [T], stored: &'a [T]) -> impl Iterator<Item = &'a T> {
    current.iter().filter(move |row| !stored.contains(row))
}

/// Recently used payments as this store last read or wrote them.
///
/// Child rows are only ever written in the transaction that moves their payment's `version` on
/// (`insert_payment`, `save`), so the children kept for the version a payment row has now are
/// exactly the stored ones, whichever router instance wrote them: a load reads the payment row
/// alone, one statement instead of five. The operations that write before they call a
/// processor skip even that read ([`Store::remembered_payment`]): their first write compares
/// the version, which tells them when another instance has moved the payment on.
#[derive(Debug, Default)]
struct PaymentCache {
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

    fn get(&self, payment_id: &str) -> Option<Arc<Stored>> {
        self.lock().by_payment.get(payment_id).cloned()
    }

    fn payment_id_by_connector_id(
        &self,
        connector: &str,
        connector_transaction_id: &str,
    ) -> Option<String> {
        self.lock()
            .by_connector_id
            .get(&connector_id_key(connector, connector_transaction_id))
            .cloned()
    }

    fn put(&self, stored: Arc<Stored>) {
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

    fn remove(&self, payment_id: &str) {
        let mut entries = self.lock();
        if entries.remove(payment_id).is_some() {
            entries.order.retain(|id| id != payment_id);
        }
    }
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

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    connections: Connections,
    /// SQLite files: checkpoints the write-ahead log from its own connection, off the path of
    /// the requests (a checkpoint fsyncs the database file).
    checkpointer: Option<Arc<tokio::task::JoinHandle<()>>>,
    /// Recently used payments.
    cache: Arc<PaymentCache>,
}

/// Where statements run.
#[derive(Clone, Debug)]
enum Connections {
    /// SQLite: one connection, held by the store behind an async lock. SQLite runs one writer
    /// at a time anyway, and several connections contending for the write lock wait in its
    /// busy handler, which sleeps in steps of milliseconds (measured: p99 of 100 ms under
    /// load); an in-memory database must be one connection anyway. Not a pool of one: sqlx's
    /// pool pings every connection returned to it, one more round trip to SQLite's thread per
    /// use, during which the connection serves nobody (measured without it: about 10 % more
    /// throughput). Held for the store's life: a pool also closed idle and old connections,
    /// which for `sqlite::memory:` dropped the database. A SQLite connection does not fail the
    /// way a network one does; should its thread die, statements fail and `/health` says so.
    /// `None` once closed.
    Sqlite(Arc<tokio::sync::Mutex<Option<AnyConnection>>>),
    /// PostgreSQL: a pool, whose connections run statements in parallel.
    Pool(AnyPool),
}

/// A connection taken from [`Connections`] for a few statements.
enum Conn {
    Sqlite(tokio::sync::OwnedMappedMutexGuard<Option<AnyConnection>, AnyConnection>),
    Pooled(PoolConnection<Any>),
}

impl Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Sqlite(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Sqlite(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

/// How often the write-ahead log is checkpointed. Often: under load a payment appends tens of
/// kilobytes, and a log that reaches `wal_autocheckpoint` is checkpointed by the writing
/// connection itself, stalling every write behind an fsync (measured at 500 ms: max latency
/// 45 ms, p99 13 ms; at 50 ms: 14 ms and 8.5 ms). With nothing to copy a checkpoint is a no-op.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

/// How long a statement waits for a connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

const PAYMENT_COLUMNS: &str = "payment_id, merchant_id, connector, connector_transaction_id, \
    status, amount, currency, capture_method, amount_capturable, amount_received, payment_method, \
    card_network, card_last4, metadata, description, return_url, request_incremental_authorization, \
    incremental_authorization_allowed, authorization_count, request_extended_authorization, \
    extended_authorization_applied, extended_authorization_last_applied_at, capture_before, \
    expires_on, next_action, error_code, error_message, unified_code, unified_message, \
    cancellation_reason, connector_key, version, created, updated, lease_owner, lease_until";

/// `url` as sqlx takes it. A SQLite file is created when missing (`mode=rwc` unless the URL
/// gives a mode), as a new user expects of a default database; a URL the build has no driver
/// for is refused with the way to get one.
fn connect_url(url: &str) -> Result<std::borrow::Cow<'_, str>, sqlx::Error> {
    let refuse = |message: String| Err(sqlx::Error::Configuration(message.into()));
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.contains(":memory:") || rest.contains("mode=") {
            return Ok(url.into());
        }
        let separator = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{separator}mode=rwc").into());
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if cfg!(feature = "postgres") {
            return Ok(url.into());
        }
        return refuse(
            "this build has no PostgreSQL driver: build the router with `--features postgres` \
             (cargo build --release -p paybridge-router --features postgres)"
                .into(),
        );
    }
    refuse("unsupported database URL: use sqlite://FILE, sqlite::memory: or postgres://…".into())
}

impl Store {
    /// Connects to `url` (`sqlite://path`, created when missing, `sqlite::memory:`, or
    /// `postgres://…` with the `postgres` feature) and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let url = &*connect_url(url)?;
        let options = AnyConnectOptions::from_str(url)?;
        if !url.starts_with("sqlite:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                // Checked by its use; a ping per acquisition would double the round trips.
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            MIGRATOR.run(&pool).await?;
            return Ok(Store {
                connections: Connections::Pool(pool),
                checkpointer: None,
                cache: Arc::default(),
            });
        }
        let mut conn = AnyConnection::connect_with(&options).await?;
        // WAL: readers never wait for the writer. NORMAL: durable at each checkpoint, safe
        // against corruption. busy_timeout: a second router on the file queues. Checkpoints
        // run in the background (below); wal_autocheckpoint only bounds the log (~40 MB)
        // should that task fail. cache_size: 64 MiB of pages instead of SQLite's 2 MiB; every
        // write reads the index leaves its keys land in (processors' ids are random), and past
        // a few thousand payments those were mostly reads from the OS (measured: p99 about
        // 0.5 ms lower).
        // Not memory-mapped I/O, which measured a little better but turns a disk error into
        // SIGBUS instead of an error.
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA foreign_keys = ON",
            "PRAGMA wal_autocheckpoint = 10000",
            "PRAGMA cache_size = -65536",
        ] {
            sqlx::query(pragma).execute(&mut conn).await?;
        }
        MIGRATOR.run(&mut conn).await?;
        let file = !url.contains(":memory:") && !url.contains("mode=memory");
        let checkpointer = if file {
            let mut conn = AnyConnection::connect_with(&options).await?;
            Some(Arc::new(tokio::spawn(async move {
                let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
                // A slow checkpoint (an fsync) is not followed by a burst of the missed ones.
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&mut conn)
                        .await
                    {
                        tracing::warn!(error = %err, "WAL checkpoint failed");
                    }
                }
            })))
        } else {
            None
        };
        Ok(Store {
            connections: Connections::Sqlite(Arc::new(tokio::sync::Mutex::new(Some(conn)))),
            checkpointer,
            cache: Arc::default(),
        })
    }

    /// A connection for a few statements: SQLite's one, once free, or one of the pool's.
    async fn conn(&self) -> Result<Conn, sqlx::Error> {
        match &self.connections {
            Connections::Sqlite(conn) => {
                let guard = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(conn).lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                tokio::sync::OwnedMutexGuard::try_map(guard, Option::as_mut)
                    .map(Conn::Sqlite)
                    .map_err(|_| sqlx::Error::PoolClosed)
            }
            Connections::Pool(pool) => pool.acquire().await.map(Conn::Pooled),
        }
    }

    /// SQLite (batched writes) rather than PostgreSQL.
    fn sqlite(&self) -> bool {
        matches!(self.connections, Connections::Sqlite(_))
    }

    /// `Ok` when the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.conn().await?)
            .await
            .map(|_| ())
    }

    /// Inserts a new payment with its first attempt.
    pub async fn insert_payment(&self, record: &PaymentRecord) -> Result<(), sqlx::Error> {
        let (payment, attempt) = match record.attempts.as_slice() {
            [attempt] => (&record.payment, attempt),
            _ => {
                return Err(sqlx::Error::Protocol(
                    "a new payment has one attempt".into(),
                ))
            }
        };
        let insert = Statement {
            sql: Cow::Borrowed(&PAYMENT_SQL.insert),
            params: payment_params(payment),
        };
        let rows = vec![self.attempt_row(&payment.payment_id, attempt)];
        if !self.write(insert, rows).await? {
            return Err(sqlx::Error::Protocol("the payment was not inserted".into()));
        }
        self.cache.put(record.stored.clone());
        Ok(())
    }

    /// Deletes a payment that never reached the processor (its request failed validation).
    pub async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), sqlx::Error> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("DELETE FROM attempts WHERE payment_id = $1")
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM payments WHERE payment_id = $1")
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.remove(payment_id);
        Ok(())
    }

    /// The payment `payment_id` of `merchant_id`, with its children.
    pub async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, sqlx::Error> {
        let mut conn = self.conn().await?;
        loop {
            let row: Option<PaymentRow> = sqlx::query_as(&PAYMENT_SQL.select)
                .bind(payment_id)
                .bind(merchant_id)
                .fetch_optional(&mut *conn)
                .await?;
            let Some(payment) = row else {
                return Ok(None);
            };
            if let Some(stored) = self.cache.get(payment_id) {
                if stored.payment.version == payment.version {
                    return Ok(Some(PaymentRecord::from_stored(payment, stored)));
                }
            }
            let version = payment.version;
            let record = Self::with_children(&mut conn, payment).await?;
            // On a pool, a write committed between the row's statement and the children's
            // would give children of a later version than the row. Versions only grow, so the
            // same version after the children means none was; else read again. (SQLite's one
            // connection runs nothing in between.)
            if self.sqlite() || self.version(&mut conn, payment_id).await? == Some(version) {
                self.cache.put(record.stored.clone());
                return Ok(Some(record));
            }
        }
    }

    /// The stored version of payment `payment_id`.
    async fn version(
        &self,
        conn: &mut AnyConnection,
        payment_id: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT version FROM payments WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_optional(conn)
            .await
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
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        // Which payment a processor id names never changes once set, so memory answers.
        let remembered = self
            .cache
            .payment_id_by_connector_id(connector, connector_transaction_id)
            .and_then(|payment_id| self.cache.get(&payment_id));
        if let Some(stored) = remembered {
            let p = &stored.payment;
            return Ok(Some((p.payment_id.clone(), p.merchant_id.clone())));
        }
        let row = sqlx::query(
            "SELECT payment_id, merchant_id FROM payments \
             WHERE connector = $1 AND connector_transaction_id = $2",
        )
        .bind(connector)
        .bind(connector_transaction_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// The payment id and merchant of refund `refund_id`.
    pub async fn refund_owner(
        &self,
        refund_id: &str,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        let row = sqlx::query("SELECT payment_id, merchant_id FROM refunds WHERE refund_id = $1")
            .bind(refund_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    async fn with_children(
        conn: &mut AnyConnection,
        payment: PaymentRow,
    ) -> Result<PaymentRecord, sqlx::Error> {
        let id = payment.payment_id.as_str();
        let attempts = sqlx::query(
            "SELECT attempt_id, status, amount, currency, connector, connector_transaction_id, \
             capture_method, payment_method, error_code, error_message, unified_code, \
             unified_message, created_at, modified_at FROM attempts WHERE payment_id = $1 \
             ORDER BY created_at, attempt_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(attempt_from_row)
        .collect::<Result<_, _>>()?;
        let captures = sqlx::query(
            "SELECT capture_id, status, amount, currency, connector, connector_capture_id, \
             capture_sequence, error_code, error_message, created_at FROM captures \
             WHERE payment_id = $1 ORDER BY capture_sequence",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(capture_from_row)
        .collect::<Result<_, _>>()?;
        let increments = sqlx::query(
            "SELECT authorization_id, amount, status, error_code, error_message, \
             previously_authorized_amount, created_at FROM incremental_authorizations \
             WHERE payment_id = $1 ORDER BY created_at, authorization_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(increment_from_row)
        .collect::<Result<_, _>>()?;
        let refunds = sqlx::query(
            "SELECT refund_id, payment_id, amount, currency, status, reason, metadata, \
             connector_refund_id, error_code, error_message, unified_code, unified_message, \
             connector, created_at, updated_at FROM refunds WHERE payment_id = $1 \
             ORDER BY created_at, refund_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(refund_from_row)
        .collect::<Result<_, _>>()?;
        let stored = Stored {
            payment: payment.clone(),
            attempts,
            captures,
            increments,
            refunds,
        };
        Ok(PaymentRecord::from_stored(payment, Arc::new(stored)))
    }

    /// Writes `record` if the stored payment still has version `record.payment.version - 1`:
    /// the payment row and the child rows that changed, in one transaction.
    pub async fn save(&self, record: &mut PaymentRecord) -> Result<Written, sqlx::Error> {
        self.save_with_event(record, None).await
    }

    /// [`Store::save`], recording in the same transaction the webhook event that made the
    /// change as `applied`: the change and the event's record are stored together or not at
    /// all, so a redelivery after a failure is applied, never skipped as a duplicate.
    pub async fn save_with_event(
        &self,
        record: &mut PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<Written, sqlx::Error> {
        let (now, was) = (&record.payment, &record.stored.payment);
        if fixed_columns(now) != fixed_columns(was) {
            return Err(sqlx::Error::Protocol(
                "a payment's id, merchant, connector and creation time never change".into(),
            ));
        }
        let update = payment_update(now, was);
        let id = record.payment.payment_id.as_str();
        let (stored, updated) = (&record.stored, record.payment.updated.as_str());
        let mut rows = Vec::new();
        rows.extend(changed(&record.attempts, &stored.attempts).map(|a| self.attempt_row(id, a)));
        rows.extend(
            changed(&record.captures, &stored.captures).map(|c| self.capture_row(id, updated, c)),
        );
        rows.extend(
            changed(&record.increments, &stored.increments)
                .map(|i| self.increment_row(id, updated, i)),
        );
        let merchant_id = record.payment.merchant_id.as_str();
        rows.extend(
            changed(&record.refunds, &stored.refunds).map(|r| self.refund_row(id, merchant_id, r)),
        );
        rows.extend(applied.map(|event| self.webhook_event_row(event, "applied")));
        if !self.write(update, rows).await? {
            return Ok(Written::Stale);
        }
        record.mark_stored();
        self.cache.put(record.stored.clone());
        Ok(Written::Yes)
    }

    /// Runs `head` and then, if `head` changed one row, `rows`, in one transaction. `false`
    /// when `head` changed nothing (and so nothing was written).
    ///
    /// SQLite gets the whole transaction as one batch, so the one connection is held for a
    /// single hand-off to its thread instead of one per statement (the connection is what
    /// every write waits for); `rows` then carry the guard `changes() = 1`, which chains: each
    /// row is written only if the statement before it wrote one, back to `head`.
    async fn write(&self, head: Statement, rows: Vec<Statement>) -> Result<bool, sqlx::Error> {
        if !self.sqlite() {
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await?;
            let done = head.query().execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            for row in &rows {
                row.query().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            return Ok(true);
        }
        let batch = Statement::sqlite_transaction(head, rows);
        let mut conn = self.conn().await?;
        // Run to the end even if the request that asked for it is dropped: a batch stopped
        // half-way would leave its transaction open on the connection.
        tokio::spawn(async move {
            match batch.query().fetch_all(&mut *conn).await {
                Ok(answer) => {
                    let changed: i64 = match answer.first() {
                        Some(row) => row.try_get(0)?,
                        None => 0,
                    };
                    Ok(changed == 1)
                }
                Err(err) => {
                    // Fails when the error already ended the transaction; either way none is open.
                    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                    Err(err)
                }
            }
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    fn attempt_row(&self, payment_id: &str, a: &AttemptObject) -> Statement {
        self.upsert(
            "attempts",
            "attempt_id",
            vec![
                ("attempt_id", text(&a.attempt_id)),
                ("payment_id", text(payment_id)),
                ("status", text(&a.status)),
                ("amount", Param::Int(Some(a.amount))),
                ("currency", text(&a.currency)),
                ("connector", text(&a.connector)),
                (
                    "connector_transaction_id",
                    opt_text(&a.connector_transaction_id),
                ),
                ("capture_method", text(&a.capture_method)),
                ("payment_method", text(&a.payment_method)),
                ("error_code", opt_text(&a.error_code)),
                ("error_message", opt_text(&a.error_message)),
                ("unified_code", opt_text(&a.unified_code)),
                ("unified_message", opt_text(&a.unified_message)),
                ("created_at", text(&a.created_at)),
                ("modified_at", text(&a.modified_at)),
            ],
            &[
                "status",
                "connector_transaction_id",
                "error_code",
                "error_message",
                "unified_code",
                "unified_message",
                "modified_at",
            ],
        )
    }

    fn capture_row(&self, payment_id: &str, updated: &str, c: &CaptureObject) -> Statement {
        self.upsert(
            "captures",
            "capture_id",
            vec![
                ("capture_id", text(&c.capture_id)),
                ("payment_id", text(payment_id)),
                ("status", text(&c.status)),
                ("amount", Param::Int(Some(c.amount))),
                ("currency", text(&c.currency)),
                ("connector", text(&c.connector)),
                ("connector_capture_id", opt_text(&c.connector_capture_id)),
                ("capture_sequence", Param::Int(Some(c.capture_sequence))),
                ("error_code", opt_text(&c.error_code)),
                ("error_message", opt_text(&c.error_message)),
                ("created_at", text(&c.created_at)),
                ("updated_at", text(updated)),
            ],
            &[
                "status",
                "connector_capture_id",
                "error_code",
                "error_message",
                "updated_at",
            ],
        )
    }

    fn increment_row(
        &self,
        payment_id: &str,
        updated: &str,
        i: &IncrementalAuthorizationObject,
    ) -> Statement {
        self.upsert(
            "incremental_authorizations",
            "authorization_id",
            vec![
                ("authorization_id", text(&i.authorization_id)),
                ("payment_id", text(payment_id)),
                ("amount", Param::Int(Some(i.amount))),
                (
                    "previously_authorized_amount",
                    Param::Int(Some(i.previously_authorized_amount)),
                ),
                ("status", text(&i.status)),
                ("error_code", opt_text(&i.error_code)),
                ("error_message", opt_text(&i.error_message)),
                ("created_at", text(&i.created_at)),
                ("updated_at", text(updated)),
            ],
            &["status", "error_code", "error_message", "updated_at"],
        )
    }

    fn refund_row(&self, payment_id: &str, merchant_id: &str, r: &RefundObject) -> Statement {
        self.upsert(
            "refunds",
            "refund_id",
            vec![
                ("refund_id", text(&r.refund_id)),
                ("payment_id", text(payment_id)),
                ("merchant_id", text(merchant_id)),
                ("amount", Param::Int(Some(r.amount))),
                ("currency", text(&r.currency)),
                ("status", text(&r.status)),
                ("reason", opt_text(&r.reason)),
                ("metadata", Param::Text(Some(r.metadata.to_string()))),
                ("connector", text(&r.connector)),
                ("connector_refund_id", opt_text(&r.connector_refund_id)),
                ("error_code", opt_text(&r.error_code)),
                ("error_message", opt_text(&r.error_message)),
                ("unified_code", opt_text(&r.unified_code)),
                ("unified_message", opt_text(&r.unified_message)),
                ("created_at", text(&r.created_at)),
                ("updated_at", text(&r.updated_at)),
            ],
            &[
                "status",
                "connector_refund_id",
                "error_code",
                "error_message",
                "unified_code",
                "unified_message",
                "updated_at",
            ],
        )
    }

    fn webhook_event_row(&self, event: &ReceivedWebhook<'_>, outcome: &str) -> Statement {
        self.upsert(
            "webhook_events",
            "connector, event_id",
            vec![
                ("connector", text(event.connector)),
                ("event_id", text(&event.event.event_id)),
                ("event_type", text(&event.event.raw_type)),
                (
                    "payment_id",
                    Param::Text(event.payment_id.map(str::to_owned)),
                ),
                ("outcome", text(outcome)),
                ("received_at", text(event.received_at)),
            ],
            &["outcome"],
        )
    }

    /// Inserts `row`, or updates its `update` columns on the row that has its `key`. In a
    /// SQLite batch the row carries the guard of [`Store::write`].
    fn upsert(
        &self,
        table: &'static str,
        key: &'static str,
        row: Vec<(&'static str, Param)>,
        update: &'static [&'static str],
    ) -> Statement {
        let (columns, params): (Vec<&'static str>, Vec<Param>) = row.into_iter().unzip();
        let shape = UpsertShape {
            sqlite: self.sqlite(),
            table,
            key,
            columns,
            update,
        };
        Statement {
            sql: Cow::Borrowed(shape.sql()),
            params,
        }
    }

    /// Whether the event `(connector, event_id)` was received before.
    pub async fn webhook_event_seen(
        &self,
        connector: &str,
        event_id: &str,
    ) -> Result<bool, sqlx::Error> {
        let row =
            sqlx::query("SELECT 1 FROM webhook_events WHERE connector = $1 AND event_id = $2")
                .bind(connector)
                .bind(event_id)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
        Ok(row.is_some())
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
    ) -> Result<bool, sqlx::Error> {
        const INSERT: &str = "INSERT INTO webhook_events (connector, event_id, event_type, \
            payment_id, outcome, received_at)";
        const IF_NEW: &str = " ON CONFLICT (connector, event_id) DO NOTHING";
        static GUARDED: LazyLock<String> = LazyLock::new(|| {
            format!(
                "{INSERT} SELECT $1, $2, $3, $4, 'ignored', $5 WHERE EXISTS \
                 (SELECT 1 FROM payments WHERE payment_id = $6 AND version = $7){IF_NEW}"
            )
        });
        static UNGUARDED: LazyLock<String> =
            LazyLock::new(|| format!("{INSERT} VALUES ($1, $2, $3, $4, 'ignored', $5){IF_NEW}"));
        let unconfirmed = checked_against.filter(|record| record.unconfirmed);
        let sql = if unconfirmed.is_some() {
            &GUARDED
        } else {
            &UNGUARDED
        };
        let mut query = sqlx::query(sql)
            .bind(event.connector)
            .bind(&event.event.event_id)
            .bind(&event.event.raw_type)
            .bind(event.payment_id)
            .bind(event.received_at);
        if let Some(record) = &unconfirmed {
            query = query
                .bind(&record.payment.payment_id)
                .bind(record.payment.version);
        }
        let recorded = query
            .execute(&mut *self.conn().await?)
            .await?
            .rows_affected()
            == 1;
        if let (true, Some(record)) = (recorded, unconfirmed) {
            record.unconfirmed = false;
        }
        Ok(recorded)
    }

    /// Claims `key` for a new request: `None` when claimed, else the existing record. A claim
    /// still unanswered since before `stale_before` (its router died mid-request) is taken over,
    /// so the client's retry runs again, reaching the processor with the same derived key.
    pub async fn claim_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        fingerprint: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_records (merchant_id, idempotency_key, request_fingerprint, \
             status_code, response_body, created_at) VALUES ($1, $2, $3, NULL, NULL, $4) \
             ON CONFLICT (merchant_id, idempotency_key) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(None);
        }
        let taken_over = sqlx::query(
            "UPDATE idempotency_records SET created_at = $1 WHERE merchant_id = $2 \
             AND idempotency_key = $3 AND request_fingerprint = $4 AND status_code IS NULL \
             AND created_at < $5",
        )
        .bind(now)
        .bind(merchant_id)
        .bind(key)
        .bind(fingerprint)
        .bind(stale_before)
        .execute(&mut *self.conn().await?)
        .await?;
        if taken_over.rows_affected() == 1 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT request_fingerprint, status_code, response_body FROM idempotency_records \
             WHERE merchant_id = $1 AND idempotency_key = $2",
        )
        .bind(merchant_id)
        .bind(key)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        let fingerprint: String = row.try_get(0)?;
        let status: Option<i64> = row.try_get(1)?;
        let body: Option<String> = row.try_get(2)?;
        Ok(Some(match (status, body) {
            (Some(status), Some(body)) => IdempotencyRecord::Done {
                fingerprint,
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => IdempotencyRecord::InFlight { fingerprint },
        }))
    }

    /// Stores the answer of a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE idempotency_records SET status_code = $1, response_body = $2 \
             WHERE merchant_id = $3 AND idempotency_key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(merchant_id)
        .bind(key)
        .execute(&mut *self.conn().await?)
        .await
        .map(|_| ())
    }

    /// Releases a claimed key whose request failed before any answer (so a retry may run).
    pub async fn release_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM idempotency_records WHERE merchant_id = $1 AND idempotency_key = $2 \
             AND status_code IS NULL",
        )
        .bind(merchant_id)
        .bind(key)
        .execute(&mut *self.conn().await?)
        .await
        .map(|_| ())
    }

    /// Stops the checkpoints and closes the connections.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.abort();
        }
        match &self.connections {
            Connections::Sqlite(conn) => {
                // After the statements that hold it; later ones fail with `PoolClosed`.
                if let Some(conn) = conn.lock().await.take() {
                    if let Err(err) = conn.close().await {
                        tracing::warn!(error = %err, "closing the database failed");
                    }
                }
            }
            Connections::Pool(pool) => pool.close().await,
        }
    }
}

/// One SQL statement with its parameters, numbered `$1`, `$2`, … in `sql`.
#[derive(Debug)]
struct Statement {
    sql: Cow<'static, str>,
    params: Vec<Param>,
}

/// The payments table's statements, built once from `PAYMENT_COLUMNS`.
struct PaymentSql {
    insert: String,
    select: String,
    /// Writes the columns that change ([`updated_column`]) if the stored row still has the
    /// version before: parameters in column order, then the payment id and that version.
    update: String,
    /// [`PaymentSql::update`] that also writes `connector_transaction_id`.
    update_with_connector_id: String,
}

/// The columns an update never writes (see [`updated_column`]).
fn fixed_columns(p: &PaymentRow) -> [&str; 4] {
    [&p.payment_id, &p.merchant_id, &p.connector, &p.created]
}

/// Whether an update writes `column`. Not the ones that never change once inserted, which are
/// the keys of the table's indexes: SQLite rewrites the index entries of every column an
/// update sets, even to the value it had (three index pages more per save, measured). The
/// processor's id changes once, and is written only then.
fn updated_column(column: &str, with_connector_id: bool) -> bool {
    match column {
        "payment_id" | "merchant_id" | "connector" | "created" => false,
        "connector_transaction_id" => with_connector_id,
        _ => true,
    }
}

static PAYMENT_SQL: LazyLock<PaymentSql> = LazyLock::new(|| {
    let columns = PAYMENT_COLUMNS.split(", ").collect::<Vec<_>>();
    let placeholders = (1..=columns.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let update = |with_connector_id| {
        let set: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|column| updated_column(column, with_connector_id))
            .collect();
        let assignments = set
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "UPDATE payments SET {assignments} WHERE payment_id = ${} AND version = ${}",
            set.len() + 1,
            set.len() + 2
        )
    };
    PaymentSql {
        insert: format!("INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ({placeholders})"),
        select: format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1 AND merchant_id = $2"
        ),
        update: update(false),
        update_with_connector_id: update(true),
    }
});

/// What an upsert's SQL is made of; the text is built once per shape (the code has a handful).
#[derive(PartialEq)]
struct UpsertShape {
    sqlite: bool,
    table: &'static str,
    key: &'static str,
    columns: Vec<&'static str>,
    update: &'static [&'static str],
}

impl UpsertShape {
    /// `INSERT … ON CONFLICT (key) DO UPDATE …`; on SQLite the row carries the guard of
    /// [`Store::write`]. Built texts are kept for the life of the process (one per shape).
    fn sql(self) -> &'static str {
        static BUILT: Mutex<Vec<(UpsertShape, &'static str)>> = Mutex::new(Vec::new());
        let mut built = BUILT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, sql)) = built.iter().find(|(shape, _)| *shape == self) {
            return sql;
        }
        let values = (1..=self.columns.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let source = if self.sqlite {
            format!("SELECT {values} WHERE changes() = 1")
        } else {
            format!("VALUES ({values})")
        };
        let assignments = self
            .update
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql: &'static str = Box::leak(
            format!(
                "INSERT INTO {} ({}) {source} ON CONFLICT ({}) DO UPDATE SET {assignments}",
                self.table,
                self.columns.join(", "),
                self.key,
            )
            .into_boxed_str(),
        );
        built.push((self, sql));
        sql
    }
}

/// A value bound to a statement.
#[derive(Debug)]
enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

fn text(value: &str) -> Param {
    Param::Text(Some(value.to_owned()))
}

fn opt_text(value: &Option<String>) -> Param {
    Param::Text(value.clone())
}

impl Statement {
    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        self.params
            .iter()
            .fold(sqlx::query(&self.sql), |query, param| match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_deref()),
            })
    }

    /// `head`, `SELECT changes()` and `rows` as one SQLite transaction in one batch. The text
    /// depends only on the statements' texts, which are built once, so it is kept by their
    /// addresses (the code has a few dozen combinations; the first 256 are kept).
    fn sqlite_transaction(head: Statement, rows: Vec<Statement>) -> Statement {
        static BUILT: LazyLock<Mutex<HashMap<Vec<usize>, &'static str>>> =
            LazyLock::new(Mutex::default);
        const KEPT: usize = 256;
        let parts = || std::iter::once(&head).chain(&rows);
        let key: Option<Vec<usize>> = parts()
            .map(|part| match &part.sql {
                Cow::Borrowed(sql) => Some(sql.as_ptr() as usize),
                Cow::Owned(_) => None,
            })
            .collect();
        let lock = || {
            BUILT
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        let params = parts().map(|part| part.params.len()).sum();
        if let Some(sql) = key.as_ref().and_then(|key| lock().get(key).copied()) {
            let mut batch = Statement {
                sql: Cow::Borrowed(sql),
                params: Vec::with_capacity(params),
            };
            batch.params.extend(head.params);
            rows.into_iter()
                .for_each(|row| batch.params.extend(row.params));
            return batch;
        }
        let mut batch = Statement {
            sql: Cow::Owned(String::from("BEGIN IMMEDIATE;\n")),
            params: Vec::with_capacity(params),
        };
        batch.append(head);
        batch.sql.to_mut().push_str("SELECT changes();\n");
        for row in rows {
            batch.append(row);
        }
        batch.sql.to_mut().push_str("COMMIT;");
        if let Some(key) = key {
            let mut built = lock();
            if built.len() < KEPT {
                let sql: &'static str = Box::leak(batch.sql.clone().into_owned().into_boxed_str());
                built.insert(key, sql);
            }
        }
        batch
    }

    /// Appends `next` as one more statement of a batch, its parameters renumbered to follow
    /// this one's.
    fn append(&mut self, next: Statement) {
        let offset = self.params.len();
        let sql = self.sql.to_mut();
        let mut rest = &*next.sql;
        while let Some(at) = rest.find('$') {
            sql.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest[..digits].parse::<usize>() {
                Ok(n) => sql.push_str(&(n + offset).to_string()),
                Err(_) => sql.push_str(&rest[..digits]),
            }
            rest = &rest[digits..];
        }
        sql.push_str(rest);
        sql.push_str(";\n");
        self.params.extend(next.params);
    }
}

/// Writes `payment` over the stored row if that still has the version before `payment`'s.
/// The update of `payment` from the version before; `stored` is that version.
fn payment_update(payment: &PaymentRow, stored: &PaymentRow) -> Statement {
    let with_connector_id = payment.connector_transaction_id != stored.connector_transaction_id;
    let mut params: Vec<Param> = PAYMENT_COLUMNS
        .split(", ")
        .zip(payment_params(payment))
        .filter(|(column, _)| updated_column(column, with_connector_id))
        .map(|(_, param)| param)
        .collect();
    params.push(text(&payment.payment_id));
    params.push(Param::Int(Some(payment.version - 1)));
    let sql = if with_connector_id {
        &PAYMENT_SQL.update_with_connector_id
    } else {
        &PAYMENT_SQL.update
    };
    Statement {
        sql: Cow::Borrowed(sql),
        params,
    }
}

/// The payment's columns in the order of `PAYMENT_COLUMNS`.
fn payment_params(p: &PaymentRow) -> Vec<Param> {
    vec![
        text(&p.payment_id),
        text(&p.merchant_id),
        text(&p.connector),
        opt_text(&p.connector_transaction_id),
        text(&p.status),
        Param::Int(Some(p.amount)),
        text(&p.currency),
        text(&p.capture_method),
        Param::Int(Some(p.amount_capturable)),
        Param::Int(Some(p.amount_received)),
        text(&p.payment_method),
        opt_text(&p.card_network),
        opt_text(&p.card_last4),
        text(&p.metadata),
        opt_text(&p.description),
        opt_text(&p.return_url),
        Param::Int(Some(p.request_incremental_authorization)),
        Param::Int(p.incremental_authorization_allowed),
        Param::Int(Some(p.authorization_count)),
        Param::Int(Some(p.request_extended_authorization)),
        Param::Int(p.extended_authorization_applied),
        opt_text(&p.extended_authorization_last_applied_at),
        opt_text(&p.capture_before),
        opt_text(&p.expires_on),
        opt_text(&p.next_action),
        opt_text(&p.error_code),
        opt_text(&p.error_message),
        opt_text(&p.unified_code),
        opt_text(&p.unified_message),
        opt_text(&p.cancellation_reason),
        text(&p.connector_key),
        Param::Int(Some(p.version)),
        text(&p.created),
        text(&p.updated),
        opt_text(&p.lease_owner),
        Param::Int(p.lease_until),
    ]
}

fn attempt_from_row(r: &AnyRow) -> Result<AttemptObject, sqlx::Error> {
    Ok(AttemptObject {
        attempt_id: r.try_get(0)?,
        status: r.try_get(1)?,
        amount: r.try_get(2)?,
        currency: r.try_get(3)?,
        connector: r.try_get(4)?,
        connector_transaction_id: r.try_get(5)?,
        capture_method: r.try_get(6)?,
        payment_method: r.try_get(7)?,
        error_code: r.try_get(8)?,
        error_message: r.try_get(9)?,
        unified_code: r.try_get(10)?,
        unified_message: r.try_get(11)?,
        created_at: r.try_get(12)?,
        modified_at: r.try_get(13)?,
    })
}

fn capture_from_row(r: &AnyRow) -> Result<CaptureObject, sqlx::Error> {
    Ok(CaptureObject {
        capture_id: r.try_get(0)?,
        status: r.try_get(1)?,
        amount: r.try_get(2)?,
        currency: r.try_get(3)?,
        connector: r.try_get(4)?,
        connector_capture_id: r.try_get(5)?,
        capture_sequence: r.try_get(6)?,
        error_code: r.try_get(7)?,
        error_message: r.try_get(8)?,
        created_at: r.try_get(9)?,
    })
}

fn increment_from_row(r: &AnyRow) -> Result<IncrementalAuthorizationObject, sqlx::Error> {
    Ok(IncrementalAuthorizationObject {
        authorization_id: r.try_get(0)?,
        amount: r.try_get(1)?,
        status: r.try_get(2)?,
        error_code: r.try_get(3)?,
        error_message: r.try_get(4)?,
        previously_authorized_amount: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}

fn refund_from_row(r: &AnyRow) -> Result<RefundObject, sqlx::Error> {
    let metadata: String = r.try_get(6)?;
    Ok(RefundObject {
        refund_id: r.try_get(0)?,
        payment_id: r.try_get(1)?,
        amount: r.try_get(2)?,
        currency: r.try_get(3)?,
        status: r.try_get(4)?,
        reason: r.try_get(5)?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        connector_refund_id: r.try_get(7)?,
        error_code: r.try_get(8)?,
        error_message: r.try_get(9)?,
        unified_code: r.try_get(10)?,
        unified_message: r.try_get(11)?,
        connector: r.try_get(12)?,
        created_at: r.try_get(13)?,
        updated_at: r.try_get(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_abandoned_idempotency_claim_is_taken_over_by_the_same_request_only() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        let t1 = "2026-01-01T00:00:00.000Z";
        let t2 = "2026-01-01T00:01:00.000Z";
        let t3 = "2026-01-01T00:05:00.000Z";
        let claim = |fp: &'static str, now: &'static str, stale_before: &'static str| {
            let store = store.clone();
            async move {
                store
                    .claim_idempotency_key("m1", "k1", fp, now, stale_before)
                    .await
                    .expect("claim")
            }
        };
        assert_eq!(claim("fp-a", t1, "2025-12-31T23:58:00.000Z").await, None);
        // Still fresh: the retry waits.
        assert_eq!(
            claim("fp-a", t2, t1).await,
            Some(IdempotencyRecord::InFlight {
                fingerprint: "fp-a".into()
            })
        );
        // Another request under the same key is never let in, stale or not.
        assert!(matches!(
            claim("fp-b", t3, t3).await,
            Some(IdempotencyRecord::InFlight { .. })
        ));
        // Stale: the same request takes the key over.
        assert_eq!(claim("fp-a", t3, t2).await, None);
        store
            .complete_idempotency_key("m1", "k1", 200, "{}")
            .await
            .expect("complete");
        assert_eq!(
            claim("fp-a", t3, t3).await,
            Some(IdempotencyRecord::Done {
                fingerprint: "fp-a".into(),
                status: 200,
                body: "{}".into()
            })
        );
    }

    const T0: &str = "2026-01-01T00:00:00.000Z";

    fn new_payment(payment_id: &str) -> PaymentRecord {
        let payment = PaymentRow {
            payment_id: payment_id.into(),
            merchant_id: "m1".into(),
            connector: "stripe".into(),
            connector_transaction_id: Some("pi_1".into()),
            status: "requires_capture".into(),
            amount: 1000,
            currency: "USD".into(),
            capture_method: "manual".into(),
            amount_capturable: 1000,
            amount_received: 0,
            payment_method: "card".into(),
            card_network: None,
            card_last4: Some("4242".into()),
            metadata: "{}".into(),
            description: None,
            return_url: None,
            request_incremental_authorization: 0,
            incremental_authorization_allowed: None,
            authorization_count: 1,
            request_extended_authorization: 0,
            extended_authorization_applied: None,
            extended_authorization_last_applied_at: None,
            capture_before: None,
            expires_on: None,
            next_action: None,
            error_code: None,
            error_message: None,
            unified_code: None,
            unified_message: None,
            cancellation_reason: None,
            connector_key: "k".into(),
            version: 0,
            created: T0.into(),
            updated: T0.into(),
            lease_owner: None,
            lease_until: None,
        };
        let attempt = AttemptObject {
            attempt_id: format!("{payment_id}_1"),
            status: "authorized".into(),
            amount: 1000,
            currency: "USD".into(),
            connector: "stripe".into(),
            connector_transaction_id: Some("pi_1".into()),
            capture_method: "manual".into(),
            payment_method: "card".into(),
            error_code: None,
            error_message: None,
            unified_code: None,
            unified_message: None,
            created_at: T0.into(),
            modified_at: T0.into(),
        };
        PaymentRecord::inserted(payment, attempt)
    }

    fn capture(record: &mut PaymentRecord, capture_id: &str, amount: i64) {
        record.captures.push(CaptureObject {
            capture_id: capture_id.into(),
            status: "charged".into(),
            amount,
            currency: "USD".into(),
            connector: "stripe".into(),
            connector_capture_id: None,
            capture_sequence: record.captures.len() as i64 + 1,
            error_code: None,
            error_message: None,
            created_at: T0.into(),
        });
        record.payment.amount_received += amount;
        record.payment.amount_capturable -= amount;
        record.payment.version += 1;
    }

    /// Polls `request` up to `polls` times, pausing between polls, and drops it unfinished.
    async fn drop_after_polls<F: std::future::Future>(request: F, polls: usize) {
        let mut request = std::pin::pin!(request);
        for _ in 0..polls {
            let done = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(request.as_mut().poll(cx).is_ready())
            })
            .await;
            if done {
                return;
            }
            // Blocks this test's thread, not SQLite's: the statement sent runs meanwhile.
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Payment `pay_1` of merchant `m1` as `store` reads it; it must exist.
    async fn stored(store: &Store) -> PaymentRecord {
        store
            .payment("m1", "pay_1")
            .await
            .expect("load")
            .expect("pay_1 is stored")
    }

    /// A database file shared by two stores, as by two router instances.
    struct SharedFile(std::path::PathBuf);

    impl SharedFile {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "paybridge-store-{name}-{}.db",
                uuid::Uuid::new_v4().simple()
            ));
            SharedFile(path)
        }

        fn url(&self) -> String {
            format!("sqlite://{}?mode=rwc", self.0.display())
        }
    }

    impl Drop for SharedFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    #[tokio::test]
    async fn a_sqlite_file_is_created_and_a_missing_driver_says_the_fix() {
        let file = SharedFile::new("fresh");
        assert!(!file.0.exists());
        let store = Store::connect(&format!("sqlite://{}", file.0.display()))
            .await
            .expect("a missing file is created");
        store.close().await;
        assert!(file.0.exists());
        let Err(err) = Store::connect("mysql://localhost/db").await else {
            panic!("no such driver");
        };
        assert!(err.to_string().contains("use sqlite://FILE"), "{err}");
        if !cfg!(feature = "postgres") {
            let Err(err) = Store::connect("postgres://u@127.0.0.1:1/db").await else {
                panic!("no PostgreSQL driver in this build");
            };
            assert!(err.to_string().contains("--features postgres"), "{err}");
        }
    }

    /// Two stores on one file, as two router instances, and payment `pay_1` inserted by the
    /// first. The file is deleted when the first value is dropped.
    async fn two_stores_with_a_payment(name: &str) -> (SharedFile, Store, Store) {
        let file = SharedFile::new(name);
        let a = Store::connect(&file.url()).await.expect("store a");
        let b = Store::connect(&file.url()).await.expect("store b");
        a.insert_payment(&new_payment("pay_1"))
            .await
            .expect("insert");
        (file, a, b)
    }

    #[tokio::test]
    async fn a_save_from_a_stale_version_writes_nothing_and_no_cache_hides_the_winner() {
        let (_file, a, b) = two_stores_with_a_payment("stale").await;

        let mut seen_by_a = stored(&a).await;
        let mut seen_by_b = stored(&b).await;
        capture(&mut seen_by_b, "cap_b", 600);
        assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);
        // A still holds version 0 and its cache has the children of version 0.
        capture(&mut seen_by_a, "cap_a", 700);
        assert_eq!(a.save(&mut seen_by_a).await.expect("save"), Written::Stale);

        for store in [&a, &b] {
            let now = stored(store).await;
            assert_eq!(now.payment.version, 1);
            assert_eq!(now.payment.amount_received, 600);
            let ids: Vec<&str> = now.captures.iter().map(|c| c.capture_id.as_str()).collect();
            assert_eq!(ids, ["cap_b"], "the stale save wrote no capture");
        }
        a.close().await;
        b.close().await;
    }

    #[tokio::test]
    async fn a_write_that_fails_half_way_leaves_nothing_and_the_store_usable() {
        let file = SharedFile::new("half");
        let store = Store::connect(&file.url()).await.expect("store");
        store
            .insert_payment(&new_payment("pay_1"))
            .await
            .expect("insert");
        let before = stored(&store).await;

        // The payment row is written first, then a capture the schema refuses (no payment id).
        let mut record = before.clone();
        capture(&mut record, "cap_1", 400);
        let mut update = record.clone();
        update.payment.amount_received = 400;
        let payment = payment_update(&update.payment, &before.payment);
        let mut bad = store.capture_row("pay_1", T0, &record.captures[0]);
        bad.params[1] = Param::Text(None);
        let err = store.write(payment, vec![bad]).await.expect_err("refused");
        assert!(err.to_string().contains("NOT NULL"), "{err}");

        let after = stored(&store).await;
        assert_eq!(after, before, "nothing of the failed write is stored");
        // The connection is not left inside the failed transaction.
        assert_eq!(store.save(&mut record).await.expect("save"), Written::Yes);
        let other = Store::connect(&file.url()).await.expect("second store");
        let seen = stored(&other).await;
        assert_eq!(seen.payment.amount_received, 400);
        assert_eq!(seen.captures.len(), 1);
        store.close().await;
        other.close().await;
        // A closed store refuses at once rather than waiting for a connection.
        assert!(matches!(store.ping().await, Err(sqlx::Error::PoolClosed)));
        assert!(matches!(
            other.payment("m1", "pay_1").await,
            Err(sqlx::Error::PoolClosed)
        ));
    }

    #[tokio::test]
    async fn cancelled_statements_leave_the_connection_usable_and_no_transaction_open() {
        let (_file, a, b) = two_stores_with_a_payment("cancelled").await;
        // Requests dropped at every point: waiting for the connection, inside a statement,
        // between the statements of a transaction (a delete of nothing still takes SQLite's
        // write lock until its transaction ends). Each is polled `polls` times, with a pause
        // between polls for SQLite's thread to answer, then dropped.
        for polls in 1..40 {
            drop_after_polls(a.delete_unsent_payment("pay_none"), polls).await;
            drop_after_polls(a.payment("m1", "pay_1"), polls).await;
        }
        // Another connection writes at once: no transaction of `a` holds the write lock (one
        // would make this wait for busy_timeout and fail).
        let mut record = stored(&b).await;
        capture(&mut record, "cap_b", 300);
        let written = tokio::time::timeout(Duration::from_secs(2), b.save(&mut record))
            .await
            .expect("not blocked by a transaction left open")
            .expect("save");
        assert_eq!(written, Written::Yes);
        // And `a`'s connection still reads and writes.
        let mut record = stored(&a).await;
        assert_eq!(record.payment.amount_received, 300);
        capture(&mut record, "cap_a", 200);
        assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
        a.close().await;
        b.close().await;
    }

    #[tokio::test]
    async fn inserting_a_taken_payment_id_fails_and_keeps_the_first() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        store
            .insert_payment(&new_payment("pay_1"))
            .await
            .expect("insert");
        let mut second = new_payment("pay_1");
        second.payment.amount = 5;
        store
            .insert_payment(&second)
            .await
            .expect_err("the id is taken");
        let stored = stored(&store).await;
        assert_eq!(stored.payment.amount, 1000);
        store
            .insert_payment(&new_payment("pay_2"))
            .await
            .expect("the store still writes");
    }

    fn captured_event(event_id: &str) -> paybridge_core::WebhookEvent {
        paybridge_core::WebhookEvent {
            event_id: event_id.into(),
            kind: paybridge_core::WebhookEventKind::Captured,
            raw_type: "charge.captured".into(),
            connector_payment_id: Some("pi_1".into()),
            connector_action_id: None,
            payment_status: None,
            amount: None,
            currency: None,
            decline: None,
        }
    }

    #[tokio::test]
    async fn an_applied_webhook_event_is_recorded_with_the_change_or_not_at_all() {
        let (_file, a, b) = two_stores_with_a_payment("event").await;
        let mut stale = stored(&a).await;
        let mut fresh = stored(&b).await;
        capture(&mut fresh, "cap_b", 300);
        assert_eq!(b.save(&mut fresh).await.expect("save"), Written::Yes);

        let (lost, kept) = (captured_event("evt_lost"), captured_event("evt_kept"));
        let received = |event| ReceivedWebhook {
            connector: "stripe",
            event,
            payment_id: Some("pay_1"),
            received_at: T0,
        };
        capture(&mut stale, "cap_a", 300);
        let written = a
            .save_with_event(&mut stale, Some(&received(&lost)))
            .await
            .expect("save");
        assert_eq!(written, Written::Stale);
        assert!(
            !a.webhook_event_seen("stripe", "evt_lost")
                .await
                .expect("seen"),
            "an event whose change was not stored is not recorded, so its redelivery applies"
        );

        capture(&mut fresh, "cap_c", 200);
        let written = b
            .save_with_event(&mut fresh, Some(&received(&kept)))
            .await
            .expect("save");
        assert_eq!(written, Written::Yes);
        assert!(a
            .webhook_event_seen("stripe", "evt_kept")
            .await
            .expect("seen"));
        let outcome: String = sqlx::query_scalar(
            "SELECT outcome FROM webhook_events WHERE connector = 'stripe' AND event_id = 'evt_kept'",
        )
        .fetch_one(&mut *a.conn().await.expect("conn"))
        .await
        .expect("outcome");
        assert_eq!(outcome, "applied");
        // An event that changed nothing is recorded once; its twin is a duplicate.
        let ignored = captured_event("evt_ignored");
        assert!(a
            .record_ignored_webhook(&received(&ignored), None)
            .await
            .expect("record"));
        assert!(!a
            .record_ignored_webhook(&received(&ignored), None)
            .await
            .expect("record"));
        a.close().await;
        b.close().await;
    }

    #[tokio::test]
    async fn a_save_writes_what_changed_and_refuses_to_change_what_never_does() {
        let (_file, a, b) = two_stores_with_a_payment("update").await;
        let mut record = stored(&a).await;
        record.payment.connector_transaction_id = Some("pi_2".into());
        record.payment.status = "processing".into();
        record.payment.version += 1;
        assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
        let seen = stored(&b).await;
        assert_eq!(seen.payment, record.payment);
        let owner = |id: &'static str| b.payment_owner_by_connector_id("stripe", id);
        assert_eq!(owner("pi_1").await.expect("owner"), None);
        assert_eq!(
            owner("pi_2").await.expect("owner"),
            Some(("pay_1".to_owned(), "m1".to_owned()))
        );

        // A save without a new processor id leaves it as it is.
        record.payment.status = "succeeded".into();
        record.payment.version += 1;
        assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
        let seen = stored(&b).await;
        assert_eq!(seen.payment, record.payment);

        let mut moved = record.clone();
        moved.payment.merchant_id = "m2".into();
        moved.payment.version += 1;
        let err = a.save(&mut moved).await.expect_err("refused");
        assert!(err.to_string().contains("never change"), "{err}");
        let seen = stored(&b).await;
        assert_eq!(seen.payment, record.payment, "nothing written");
        a.close().await;
        b.close().await;
    }

    #[tokio::test]
    async fn a_sqlite_file_runs_with_the_settings_measured() {
        let file = SharedFile::new("pragmas");
        let store = Store::connect(&file.url()).await.expect("store");
        let mut conn = store.conn().await.expect("conn");
        let mut setting = async |name: &str| -> String {
            let row = sqlx::query(&format!("PRAGMA {name}"))
                .fetch_one(&mut *conn)
                .await
                .expect(name);
            row.try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
                .expect(name)
        };
        assert_eq!(setting("journal_mode").await, "wal");
        assert_eq!(setting("synchronous").await, "1", "NORMAL");
        assert_eq!(setting("foreign_keys").await, "1");
        assert_eq!(setting("cache_size").await, "-65536", "64 MiB");
        drop(conn);
        store.close().await;
    }

    #[tokio::test]
    async fn a_remembered_copy_is_the_last_write_for_its_merchant_and_a_stale_one_writes_nothing() {
        let (_file, a, b) = two_stores_with_a_payment("remembered").await;
        assert!(
            a.remembered_payment("m2", "pay_1").is_none(),
            "another merchant's"
        );
        assert!(
            b.remembered_payment("m1", "pay_1").is_none(),
            "b never read it"
        );
        let mut copy = a.remembered_payment("m1", "pay_1").expect("a inserted it");
        assert!(copy.unconfirmed());
        assert_eq!(copy.payment.version, 0);
        assert_eq!(copy.attempts.len(), 1);
        capture(&mut copy, "cap_a", 100);
        assert_eq!(a.save(&mut copy).await.expect("save"), Written::Yes);
        assert!(!copy.unconfirmed(), "a write confirms the copy");
        let again = a.remembered_payment("m1", "pay_1").expect("kept");
        assert_eq!((again.payment.version, again.captures.len()), (1, 1));
        // A read of version 0 that raced that write does not replace it.
        let raced = PaymentRecord::inserted(new_payment("pay_1").payment, copy.attempts[0].clone());
        a.cache.put(raced.stored);
        let kept = a.remembered_payment("m1", "pay_1").expect("kept");
        assert_eq!(kept.payment.version, 1);
        assert_eq!(
            a.payment_owner_by_connector_id("stripe", "pi_1")
                .await
                .expect("owner"),
            Some(("pay_1".to_owned(), "m1".to_owned()))
        );

        // B moves the payment on; A's memory still has version 1.
        let mut seen_by_b = stored(&b).await;
        capture(&mut seen_by_b, "cap_b", 200);
        assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);

        let received = |event| ReceivedWebhook {
            connector: "stripe",
            event,
            payment_id: Some("pay_1"),
            received_at: T0,
        };
        let event = captured_event("evt_1");
        let mut stale = a.remembered_payment("m1", "pay_1").expect("kept");
        assert!(!a
            .record_ignored_webhook(&received(&event), Some(&mut stale))
            .await
            .expect("record"));
        assert!(stale.unconfirmed());
        assert!(
            !a.webhook_event_seen("stripe", "evt_1").await.expect("seen"),
            "an event ignored on a stale copy is not recorded, so a fresh read decides"
        );
        let mut stale = a.remembered_payment("m1", "pay_1").expect("kept");
        capture(&mut stale, "cap_a2", 300);
        assert_eq!(a.save(&mut stale).await.expect("save"), Written::Stale);

        let mut fresh = stored(&a).await;
        assert_eq!(fresh.payment.version, 2);
        assert!(a
            .record_ignored_webhook(&received(&event), Some(&mut fresh))
            .await
            .expect("record"));
        // The fresh read is now what A remembers, and current: recording confirms it.
        let mut current = a.remembered_payment("m1", "pay_1").expect("kept");
        assert_eq!(current.payment.version, 2);
        let next = captured_event("evt_2");
        assert!(a
            .record_ignored_webhook(&received(&next), Some(&mut current))
            .await
            .expect("record"));
        assert!(!current.unconfirmed());
        a.close().await;
        b.close().await;
    }

    #[test]
    fn upsert_text_is_built_once_per_shape_and_guarded_only_on_sqlite() {
        let shape = |sqlite| UpsertShape {
            sqlite,
            table: "captures",
            key: "capture_id",
            columns: vec!["capture_id", "status"],
            update: &["status"],
        };
        let sqlite = shape(true).sql();
        assert_eq!(
            sqlite,
            "INSERT INTO captures (capture_id, status) SELECT $1, $2 WHERE changes() = 1 \
             ON CONFLICT (capture_id) DO UPDATE SET status = excluded.status"
        );
        assert!(std::ptr::eq(sqlite, shape(true).sql()), "built once");
        assert_eq!(
            shape(false).sql(),
            "INSERT INTO captures (capture_id, status) VALUES ($1, $2) \
             ON CONFLICT (capture_id) DO UPDATE SET status = excluded.status"
        );
        let mut other = shape(true);
        other.columns.push("amount");
        assert!(other
            .sql()
            .contains("(capture_id, status, amount) SELECT $1, $2, $3"));
    }

    #[test]
    fn a_kept_transaction_text_is_the_one_built_and_takes_the_new_parameters() {
        let statement = |sql: &'static str, first: i64| Statement {
            sql: Cow::Borrowed(sql),
            params: (first..first + 2).map(|v| Param::Int(Some(v))).collect(),
        };
        let build = |base: i64| {
            Statement::sqlite_transaction(
                statement("UPDATE kept SET a = $1 WHERE b = $2", base),
                vec![statement("INSERT INTO kept_rows SELECT $1, $2", base + 2)],
            )
        };
        let first = build(0);
        let again = build(10);
        let expected = "BEGIN IMMEDIATE;\nUPDATE kept SET a = $1 WHERE b = $2;\n\
                        SELECT changes();\nINSERT INTO kept_rows SELECT $3, $4;\nCOMMIT;";
        assert_eq!(first.sql, expected);
        assert_eq!(again.sql, expected);
        assert!(
            matches!(again.sql, Cow::Borrowed(_)),
            "the second is the kept text"
        );
        let values = |batch: &Statement| {
            batch
                .params
                .iter()
                .map(|p| match p {
                    Param::Int(v) => v.unwrap_or(-1),
                    Param::Text(_) => -1,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&first), [0, 1, 2, 3]);
        assert_eq!(values(&again), [10, 11, 12, 13]);
    }

    #[test]
    fn batched_statements_number_their_parameters_after_the_ones_before() {
        let mut batch = Statement {
            sql: Cow::Owned(String::new()),
            params: vec![],
        };
        for sql in [
            "UPDATE t SET a = $1 WHERE b = $2",
            "INSERT INTO u VALUES ($1, $2, $10)",
        ] {
            let params = (0..sql.matches('$').count())
                .map(|i| Param::Int(Some(i as i64)))
                .collect();
            batch.append(Statement {
                sql: Cow::Borrowed(sql),
                params,
            });
        }
        assert_eq!(
            batch.sql,
            "UPDATE t SET a = $1 WHERE b = $2;\nINSERT INTO u VALUES ($3, $4, $12);\n"
        );
        assert_eq!(batch.params.len(), 5);
    }
}
