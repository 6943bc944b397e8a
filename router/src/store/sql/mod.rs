//! The SQL backend: sqlx's `Any` driver with portable statements, so the same code runs on
//! SQLite (the default: a file in WAL mode, one connection owned by a task, [`sqlite`]) and
//! PostgreSQL (a pool).

mod build;
mod read;
mod sqlite;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Connection as _, Row};

use super::rows::*;
use super::{
    Claim, DeliveryNext, EventFilter, IdempotencyRecord, PaymentRecord, PaymentStore,
    ReceivedWebhook, Requeued, StoreError, Unsettled, UnsettledPayment, Written,
};
use build::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A future that borrows a connection.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How often the write-ahead log is checkpointed. Often: under load a payment appends tens of
/// kilobytes, and a log that reaches `wal_autocheckpoint` is checkpointed by the writing
/// connection itself, stalling every write behind an fsync (measured at 500 ms: max latency
/// 45 ms, p99 13 ms; at 50 ms: 14 ms and 8.5 ms). With nothing to copy a checkpoint is a no-op.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

/// How long a statement waits for a connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQL database.
#[derive(Debug)]
pub struct SqlStore {
    connections: Connections,
    /// SQLite files: checkpoints the write-ahead log from its own connection, off the path of
    /// the requests (a checkpoint fsyncs the database file).
    checkpointer: Option<tokio::task::JoinHandle<()>>,
}

/// Where statements run.
#[derive(Debug)]
enum Connections {
    /// SQLite: its one connection, in its task.
    Sqlite(sqlite::Writer),
    /// PostgreSQL: a pool, whose connections run statements in parallel.
    Pool(AnyPool),
}

/// `url` as sqlx takes it. A SQLite file is created when missing (`mode=rwc` unless the URL
/// gives a mode), as a new user expects of a default database; a URL the build has no driver
/// for is refused with the way to get one.
fn connect_url(url: &str) -> Result<std::borrow::Cow<'_, str>, StoreError> {
    let refuse = |message: String| Err(StoreError::Configuration(message));
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

impl SqlStore {
    /// Connects to `url` and applies the embedded migrations (see [`super::Store::connect`]).
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
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
            MIGRATOR.run(&pool).await.map_err(sqlx::Error::from)?;
            return Ok(SqlStore {
                connections: Connections::Pool(pool),
                checkpointer: None,
            });
        }
        let mut conn = AnyConnection::connect_with(&options).await?;
        // WAL: readers never wait for the writer. NORMAL: durable at each checkpoint, safe
        // against corruption. busy_timeout: a second router on the file queues. Checkpoints
        // run in the background (below); wal_autocheckpoint only bounds the log (~40 MB)
        // should that task fail. cache_size: 64 MiB of pages instead of SQLite's 2 MiB
        // (docs/benchmarks.md: p99 about 0.5 ms lower past a few thousand payments).
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
        MIGRATOR.run(&mut conn).await.map_err(sqlx::Error::from)?;
        let file = !url.contains(":memory:") && !url.contains("mode=memory");
        let checkpointer = if file {
            let mut conn = AnyConnection::connect_with(&options).await?;
            Some(tokio::spawn(async move {
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
            }))
        } else {
            None
        };
        Ok(SqlStore {
            connections: Connections::Sqlite(sqlite::Writer::start(conn)),
            checkpointer,
        })
    }

    /// SQLite (batched writes) rather than PostgreSQL.
    fn sqlite(&self) -> bool {
        matches!(self.connections, Connections::Sqlite(_))
    }

    /// Runs `job` on a connection: SQLite's one, after the jobs before it, or one of the pool's.
    async fn run<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        match &self.connections {
            Connections::Sqlite(writer) => writer.run(job).await,
            Connections::Pool(pool) => {
                let mut conn = pool.acquire().await.map_err(|err| match err {
                    sqlx::Error::PoolClosed => StoreError::Closed,
                    sqlx::Error::PoolTimedOut => StoreError::Busy,
                    other => StoreError::Database(other),
                })?;
                Ok(job(&mut conn).await?)
            }
        }
    }

    /// Runs `head` and then, if `head` changed one row, `rows`, in one transaction. `false`
    /// when `head` changed nothing (and so nothing was written).
    ///
    /// SQLite gets the whole transaction as one batch, so its connection is busy for a single
    /// hand-off to its thread instead of one per statement; `rows` then carry the guard
    /// `changes() = 1`, which chains: each row is written only if the statement before it
    /// wrote one, back to `head`.
    async fn write(&self, head: Statement, rows: Vec<Statement>) -> Result<bool, StoreError> {
        if !self.sqlite() {
            return self
                .run(move |conn| {
                    Box::pin(async move {
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
                        Ok(true)
                    })
                })
                .await;
        }
        let batch = Statement::sqlite_transaction(head, rows);
        self.run(move |conn| {
            Box::pin(async move {
                match batch.query().fetch_all(&mut *conn).await {
                    Ok(answer) => {
                        let changed: i64 = match answer.first() {
                            Some(row) => row.try_get(0)?,
                            None => 0,
                        };
                        Ok(changed == 1)
                    }
                    Err(err) => {
                        // Fails when the error already ended the transaction; either way none
                        // is open.
                        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                        Err(err)
                    }
                }
            })
        })
        .await
    }
}

/// Two owned strings as one query's row: `(payment_id, merchant_id)`.
fn owner(row: Option<AnyRow>) -> Result<Option<(String, String)>, sqlx::Error> {
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

#[async_trait]
impl PaymentStore for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            Box::pin(async move { sqlx::query("SELECT 1").execute(conn).await.map(|_| ()) })
        })
        .await
    }

    async fn missing_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let applied: Vec<i64> = self
            .run(|conn| {
                Box::pin(async move {
                    let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
                        .fetch_all(conn)
                        .await?;
                    rows.iter().map(|row| row.try_get::<i64, _>(0)).collect()
                })
            })
            .await?;
        Ok(MIGRATOR
            .iter()
            .map(|migration| migration.version)
            .filter(|version| !applied.contains(version))
            .collect())
    }

    async fn insert_payment(&self, record: &PaymentRecord) -> Result<(), StoreError> {
        // The rule of one attempt is the Store's, for every backend.
        let payment = &record.payment;
        let insert = Statement {
            sql: std::borrow::Cow::Borrowed(&PAYMENT_SQL.insert),
            params: payment_params(payment),
        };
        let rows = record
            .attempts
            .iter()
            .map(|attempt| attempt_row(self.sqlite(), &payment.payment_id, attempt))
            .collect();
        if !self.write(insert, rows).await? {
            return Err(StoreError::Refused("the payment was not inserted"));
        }
        Ok(())
    }

    async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), StoreError> {
        let payment_id = payment_id.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                let mut tx = conn.begin().await?;
                sqlx::query("DELETE FROM attempts WHERE payment_id = $1")
                    .bind(&payment_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM payments WHERE payment_id = $1")
                    .bind(&payment_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            })
        })
        .await
    }

    async fn payment_row(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRow>, StoreError> {
        let (merchant_id, payment_id) = (merchant_id.to_owned(), payment_id.to_owned());
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query_as(&PAYMENT_SQL.select)
                    .bind(payment_id)
                    .bind(merchant_id)
                    .fetch_optional(conn)
                    .await
            })
        })
        .await
    }

    async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let (merchant_id, payment_id) = (merchant_id.to_owned(), payment_id.to_owned());
        let pooled = !self.sqlite();
        self.run(move |conn| {
            Box::pin(async move {
                loop {
                    let row: Option<PaymentRow> = sqlx::query_as(&PAYMENT_SQL.select)
                        .bind(&payment_id)
                        .bind(&merchant_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let Some(payment) = row else {
                        return Ok(None);
                    };
                    let version = payment.version;
                    let record = read::with_children(conn, payment).await?;
                    // On a pool, a write committed between the row's statement and the
                    // children's would give children of a later version than the row.
                    // Versions only grow, so the same version after the children means none
                    // was; else read again. (SQLite's one connection runs nothing between.)
                    if !pooled {
                        return Ok(Some(record));
                    }
                    let now: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM payments WHERE payment_id = $1")
                            .bind(&payment_id)
                            .fetch_optional(&mut *conn)
                            .await?;
                    if now == Some(version) {
                        return Ok(Some(record));
                    }
                }
            })
        })
        .await
    }

    async fn payment_owner_by_connector_id(
        &self,
        connector: &str,
        connector_payment_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let (connector, id) = (connector.to_owned(), connector_payment_id.to_owned());
        self.run(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT payment_id, merchant_id FROM payments \
                     WHERE connector = $1 AND connector_transaction_id = $2",
                )
                .bind(connector)
                .bind(id)
                .fetch_optional(conn)
                .await?;
                owner(row)
            })
        })
        .await
    }

    async fn refund_owner(&self, refund_id: &str) -> Result<Option<(String, String)>, StoreError> {
        let refund_id = refund_id.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                let row =
                    sqlx::query("SELECT payment_id, merchant_id FROM refunds WHERE refund_id = $1")
                        .bind(refund_id)
                        .fetch_optional(conn)
                        .await?;
                owner(row)
            })
        })
        .await
    }

    async fn payment_merchant(&self, payment_id: &str) -> Result<Option<String>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query_scalar("SELECT merchant_id FROM payments WHERE payment_id = $1")
                    .bind(payment_id)
                    .fetch_optional(conn)
                    .await
            })
        })
        .await
    }

    async fn claim_due_events(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        // The outer condition is checked again on each row as it is updated, so two instances
        // claiming at once never both take an event (PostgreSQL re-reads a row another
        // transaction changed; SQLite writes one transaction at a time).
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE events SET lease_owner = $1, lease_until = $2 \
                 WHERE event_id IN (SELECT event_id FROM events WHERE delivery_status = 'pending' \
                 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                 ORDER BY next_attempt_at LIMIT $4) \
                 AND delivery_status = 'pending' AND (lease_until IS NULL OR lease_until < $3) \
                 RETURNING {EVENT_COLUMNS}"
            )
        });
        let owner = owner.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query_as(SQL.as_str())
                    .bind(owner)
                    .bind(lease_until_ms)
                    .bind(now_ms)
                    .bind(i64::from(limit))
                    .fetch_all(conn)
                    .await
            })
        })
        .await
    }

    async fn finish_delivery(
        &self,
        owner: &str,
        delivery: &DeliveryRow,
        next: &DeliveryNext,
    ) -> Result<bool, StoreError> {
        let (status, next_at, delivered_at) = match next {
            DeliveryNext::Delivered { at } => ("delivered", None, Some(at.clone())),
            DeliveryNext::Retry { at_ms } => ("pending", Some(*at_ms), None),
            DeliveryNext::GaveUp => ("failed", None, None),
        };
        let head = Statement {
            sql: std::borrow::Cow::Borrowed(
                "UPDATE events SET delivery_status = $1, attempts = $2, next_attempt_at = $3, \
                 delivered_at = $4, lease_owner = NULL, lease_until = NULL \
                 WHERE event_id = $5 AND lease_owner = $6",
            ),
            params: vec![
                text(status),
                Param::Int(Some(delivery.attempt)),
                Param::Int(next_at),
                Param::Text(delivered_at),
                text(&delivery.event_id),
                text(owner),
            ],
        };
        let attempt = delivery_insert(self.sqlite(), delivery);
        self.write(head, vec![attempt]).await
    }

    async fn postpone_event(
        &self,
        owner: &str,
        event_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let [owner, event_id] = [owner, event_id].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE events SET next_attempt_at = $1, lease_owner = NULL, \
                     lease_until = NULL WHERE event_id = $2 AND lease_owner = $3",
                )
                .bind(at_ms)
                .bind(event_id)
                .bind(owner)
                .execute(conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    async fn events(
        &self,
        merchant_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<EventRow>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE merchant_id = $1 \
                 AND ($2 IS NULL OR object_id = $2) AND ($3 IS NULL OR event_type = $3) \
                 AND ($4 IS NULL OR delivery_status = $4) \
                 ORDER BY created DESC, event_id DESC LIMIT $5"
            )
        });
        let merchant_id = merchant_id.to_owned();
        let filter = filter.clone();
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query_as(SQL.as_str())
                    .bind(merchant_id)
                    .bind(filter.object_id)
                    .bind(filter.event_type)
                    .bind(filter.delivery_status)
                    .bind(i64::from(filter.limit))
                    .fetch_all(conn)
                    .await
            })
        })
        .await
    }

    async fn event(
        &self,
        merchant_id: &str,
        event_id: &str,
    ) -> Result<Option<(EventRow, Vec<DeliveryRow>)>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE event_id = $1 AND merchant_id = $2")
        });
        let [merchant_id, event_id] = [merchant_id, event_id].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                let event: Option<EventRow> = sqlx::query_as(SQL.as_str())
                    .bind(&event_id)
                    .bind(&merchant_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some(event) = event else {
                    return Ok(None);
                };
                let deliveries: Vec<DeliveryRow> = sqlx::query_as(
                    "SELECT event_id, attempt, attempted_at, latency_ms, status_code, \
                     response_excerpt, error FROM event_deliveries WHERE event_id = $1 \
                     ORDER BY attempt",
                )
                .bind(&event_id)
                .fetch_all(&mut *conn)
                .await?;
                Ok(Some((event, deliveries)))
            })
        })
        .await
    }

    async fn requeue_event(
        &self,
        merchant_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<Requeued, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE events SET delivery_status = 'pending', next_attempt_at = $1 \
                 WHERE event_id = $2 AND merchant_id = $3 \
                 AND (lease_until IS NULL OR lease_until < $1) RETURNING {EVENT_COLUMNS}"
            )
        });
        let [merchant_id, event_id] = [merchant_id, event_id].map(str::to_owned);
        let requeued: Option<EventRow> = {
            let (merchant_id, event_id) = (merchant_id.clone(), event_id.clone());
            self.run(move |conn| {
                Box::pin(async move {
                    sqlx::query_as(SQL.as_str())
                        .bind(now_ms)
                        .bind(event_id)
                        .bind(merchant_id)
                        .fetch_optional(conn)
                        .await
                })
            })
            .await?
        };
        if let Some(event) = requeued {
            return Ok(Requeued::Yes(Box::new(event)));
        }
        Ok(match self.event(&merchant_id, &event_id).await? {
            Some(_) => Requeued::InFlight,
            None => Requeued::NotFound,
        })
    }

    async fn write_payment(
        &self,
        record: &PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<Written, StoreError> {
        let sqlite = self.sqlite();
        let update = payment_update(&record.payment, record.stored_payment());
        let id = record.payment.payment_id.as_str();
        let updated = record.payment.updated.as_str();
        let merchant_id = record.payment.merchant_id.as_str();
        let changes = record.changes();
        let mut rows = Vec::new();
        rows.extend(changes.attempts.iter().map(|a| attempt_row(sqlite, id, a)));
        rows.extend(
            changes
                .captures
                .iter()
                .map(|c| capture_row(sqlite, id, updated, c)),
        );
        rows.extend(
            changes
                .increments
                .iter()
                .map(|i| increment_row(sqlite, id, updated, i)),
        );
        rows.extend(
            changes
                .refunds
                .iter()
                .map(|r| refund_row(sqlite, id, merchant_id, r)),
        );
        rows.extend(applied.map(|event| webhook_event_row(sqlite, event, "applied")));
        rows.extend(record.events.iter().map(|e| event_insert(sqlite, e)));
        Ok(if self.write(update, rows).await? {
            Written::Yes
        } else {
            Written::Stale
        })
    }

    async fn webhook_event_seen(
        &self,
        connector: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        let (connector, event_id) = (connector.to_owned(), event_id.to_owned());
        self.run(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT 1 FROM webhook_events WHERE connector = $1 AND event_id = $2",
                )
                .bind(connector)
                .bind(event_id)
                .fetch_optional(conn)
                .await?;
                Ok(row.is_some())
            })
        })
        .await
    }

    async fn record_ignored_webhook(
        &self,
        event: &ReceivedWebhook<'_>,
        if_version: Option<(&str, i64)>,
    ) -> Result<bool, StoreError> {
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
        let mut params = vec![
            text(event.connector),
            text(&event.event.event_id),
            text(&event.event.raw_type),
            Param::Text(event.payment_id.map(str::to_owned)),
            text(event.received_at),
        ];
        let sql: &'static str = match if_version {
            Some((payment_id, version)) => {
                params.push(text(payment_id));
                params.push(Param::Int(Some(version)));
                &GUARDED
            }
            None => &UNGUARDED,
        };
        let statement = Statement {
            sql: std::borrow::Cow::Borrowed(sql),
            params,
        };
        self.run(move |conn| {
            Box::pin(async move {
                let done = statement.query().execute(conn).await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    async fn renew_lease(
        &self,
        payment_id: &str,
        owner: &str,
        until: i64,
    ) -> Result<bool, StoreError> {
        let [payment_id, owner] = [payment_id, owner].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE payments SET lease_until = $1 WHERE payment_id = $2 \
                     AND lease_owner = $3",
                )
                .bind(until)
                .bind(payment_id)
                .bind(owner)
                .execute(conn)
                .await
                .map(|done| done.rows_affected() == 1)
            })
        })
        .await
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
        let [merchant_id, key, fingerprint, operation_id, now, stale_before] = [
            merchant_id,
            key,
            fingerprint,
            operation_id,
            now,
            stale_before,
        ]
        .map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_records (merchant_id, idempotency_key, \
                     request_fingerprint, status_code, response_body, created_at, \
                     operation_id, claimed_at) \
                     VALUES ($1, $2, $3, NULL, NULL, $4, $5, $4) \
                     ON CONFLICT (merchant_id, idempotency_key) DO NOTHING",
                )
                .bind(&merchant_id)
                .bind(&key)
                .bind(&fingerprint)
                .bind(&now)
                .bind(&operation_id)
                .execute(&mut *conn)
                .await?;
                if inserted.rows_affected() == 1 {
                    return Ok(Claim::Claimed {
                        operation_id,
                        resumed: false,
                    });
                }
                // A claim from before operation ids gets the new one.
                let taken_over = sqlx::query(
                    "UPDATE idempotency_records SET claimed_at = $1, \
                     operation_id = COALESCE(operation_id, $2) \
                     WHERE merchant_id = $3 AND idempotency_key = $4 \
                     AND request_fingerprint = $5 AND status_code IS NULL \
                     AND COALESCE(claimed_at, created_at) < $6",
                )
                .bind(&now)
                .bind(&operation_id)
                .bind(&merchant_id)
                .bind(&key)
                .bind(&fingerprint)
                .bind(&stale_before)
                .execute(&mut *conn)
                .await?;
                let row = sqlx::query(
                    "SELECT request_fingerprint, status_code, response_body, operation_id \
                     FROM idempotency_records WHERE merchant_id = $1 AND idempotency_key = $2",
                )
                .bind(&merchant_id)
                .bind(&key)
                .fetch_one(&mut *conn)
                .await?;
                if taken_over.rows_affected() == 1 {
                    let stored: Option<String> = row.try_get(3)?;
                    return Ok(Claim::Claimed {
                        operation_id: stored.unwrap_or(operation_id),
                        resumed: true,
                    });
                }
                let fingerprint: String = row.try_get(0)?;
                let status: Option<i64> = row.try_get(1)?;
                let body: Option<String> = row.try_get(2)?;
                Ok(Claim::Held(match (status, body) {
                    (Some(status), Some(body)) => IdempotencyRecord::Done {
                        fingerprint,
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    },
                    _ => IdempotencyRecord::InFlight { fingerprint },
                }))
            })
        })
        .await
    }

    async fn renew_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        operation_id: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let [merchant_id, key, operation_id, now] =
            [merchant_id, key, operation_id, now].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE idempotency_records SET claimed_at = $1 WHERE merchant_id = $2 \
                     AND idempotency_key = $3 AND operation_id = $4 AND status_code IS NULL",
                )
                .bind(now)
                .bind(merchant_id)
                .bind(key)
                .bind(operation_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected() == 1)
            })
        })
        .await
    }

    async fn expire_idempotency_keys(&self, before: &str) -> Result<u64, StoreError> {
        let before = before.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "DELETE FROM idempotency_records WHERE created_at < $1 \
                     AND (status_code IS NOT NULL OR COALESCE(claimed_at, created_at) < $1)",
                )
                .bind(before)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })
        })
        .await
    }

    async fn complete_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let [merchant_id, key, body] = [merchant_id, key, body].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE idempotency_records SET status_code = $1, response_body = $2 \
                     WHERE merchant_id = $3 AND idempotency_key = $4",
                )
                .bind(i64::from(status))
                .bind(body)
                .bind(merchant_id)
                .bind(key)
                .execute(conn)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn release_idempotency_key(
        &self,
        merchant_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let [merchant_id, key] = [merchant_id, key].map(str::to_owned);
        self.run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "DELETE FROM idempotency_records WHERE merchant_id = $1 \
                     AND idempotency_key = $2 AND status_code IS NULL",
                )
                .bind(merchant_id)
                .bind(key)
                .execute(conn)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn unsettled(&self) -> Result<Unsettled, StoreError> {
        self.run(|conn| {
            Box::pin(async move {
                // Each count reads a partial index of the unsettled rows (migration 0004).
                let row = sqlx::query(
                    "SELECT \
                     (SELECT COUNT(*) FROM payments WHERE status = 'processing'), \
                     (SELECT COUNT(*) FROM captures WHERE status = 'pending'), \
                     (SELECT COUNT(*) FROM incremental_authorizations \
                      WHERE status = 'processing'), \
                     (SELECT COUNT(*) FROM refunds WHERE status = 'pending')",
                )
                .fetch_one(conn)
                .await?;
                let count = |i: usize| -> Result<u64, sqlx::Error> {
                    Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
                };
                Ok(Unsettled {
                    payments: count(0)?,
                    captures: count(1)?,
                    increments: count(2)?,
                    refunds: count(3)?,
                })
            })
        })
        .await
    }

    async fn unsettled_payments(
        &self,
        updated_before: &str,
        limit: u32,
    ) -> Result<Vec<UnsettledPayment>, StoreError> {
        let updated_before = updated_before.to_owned();
        self.run(move |conn| {
            Box::pin(async move {
                // Each arm reads a partial index of unsettled rows (migration 0004).
                let rows = sqlx::query(
                    "SELECT payment_id, merchant_id, updated FROM payments \
                     WHERE payment_id IN ( \
                       SELECT payment_id FROM payments WHERE status = 'processing' \
                       UNION SELECT payment_id FROM captures WHERE status = 'pending' \
                       UNION SELECT payment_id FROM refunds WHERE status = 'pending' \
                       UNION SELECT payment_id FROM incremental_authorizations \
                         WHERE status = 'processing') \
                     AND updated < $1 ORDER BY updated LIMIT $2",
                )
                .bind(updated_before)
                .bind(i64::from(limit))
                .fetch_all(conn)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(UnsettledPayment {
                            payment_id: row.try_get(0)?,
                            merchant_id: row.try_get(1)?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })
        })
        .await
    }

    async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.abort();
        }
        match &self.connections {
            Connections::Sqlite(writer) => writer.close().await,
            Connections::Pool(pool) => pool.close().await,
        }
    }
}
