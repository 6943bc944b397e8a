//! Persistence: payments and their attempts, captures, incremental authorizations and refunds;
//! webhook events; idempotency records. SQL through sqlx's `Any` driver with portable
//! statements, so the same code runs on SQLite (the default: a file in WAL mode) and PostgreSQL.
//!
//! Every change to a payment is one transaction that writes the payment row only if its
//! `version` is the one read (compare and swap) together with the child rows that changed, so a
//! crash never leaves half an operation and two router instances sharing one database cannot
//! both spend the same capturable or refundable amount.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::AnyConnection;
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
    /// The child rows as last read or written, so a save writes only those that changed.
    stored: Arc<StoredChildren>,
}

#[derive(Debug, Default, PartialEq)]
struct StoredChildren {
    attempts: Vec<AttemptObject>,
    captures: Vec<CaptureObject>,
    increments: Vec<IncrementalAuthorizationObject>,
    refunds: Vec<RefundObject>,
}

impl PaymentRecord {
    /// A payment just inserted with its first attempt.
    pub fn inserted(payment: PaymentRow, attempt: AttemptObject) -> Self {
        let stored = StoredChildren {
            attempts: vec![attempt.clone()],
            ..StoredChildren::default()
        };
        PaymentRecord {
            payment,
            attempts: vec![attempt],
            captures: Vec::new(),
            increments: Vec::new(),
            refunds: Vec::new(),
            stored: Arc::new(stored),
        }
    }

    fn mark_stored(&mut self) {
        self.stored = Arc::new(StoredChildren {
            attempts: self.attempts.clone(),
            captures: self.captures.clone(),
            increments: self.increments.clone(),
            refunds: self.refunds.clone(),
        });
    }
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
    pool: AnyPool,
    /// SQLite files: checkpoints the write-ahead log from its own connection, off the path of
    /// the requests (a checkpoint fsyncs the database file).
    checkpointer: Option<Arc<tokio::task::JoinHandle<()>>>,
}

const PAYMENT_COLUMNS: &str = "payment_id, merchant_id, connector, connector_transaction_id, \
    status, amount, currency, capture_method, amount_capturable, amount_received, payment_method, \
    card_network, card_last4, metadata, description, return_url, request_incremental_authorization, \
    incremental_authorization_allowed, authorization_count, request_extended_authorization, \
    extended_authorization_applied, extended_authorization_last_applied_at, capture_before, \
    expires_on, next_action, error_code, error_message, unified_code, unified_message, \
    cancellation_reason, connector_key, version, created, updated";

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:`, or `postgres://…` with the
    /// `postgres` feature) and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            // SQLite: one connection. SQLite runs one writer at a time anyway, and several
            // connections contending for the write lock wait in its busy handler, which sleeps
            // in steps of milliseconds (measured: p99 of 100 ms under load); an in-memory
            // database must be one connection anyway (each would have its own).
            .max_connections(if sqlite { 1 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            // The connection is in-process (SQLite) or checked by its use; a ping per
            // acquisition would double the round trips.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers never wait for the writer. NORMAL: durable at each
                        // checkpoint, safe against corruption. busy_timeout: writers queue.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        // Checkpoints run in the background (below); this is only a bound
                        // should that task fail (~40 MB of log).
                        sqlx::query("PRAGMA wal_autocheckpoint = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let file = sqlite && !url.contains(":memory:") && !url.contains("mode=memory");
        let checkpointer = if file {
            let mut conn = <AnyConnection as sqlx::Connection>::connect(url).await?;
            Some(Arc::new(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(500));
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
        Ok(Store { pool, checkpointer })
    }

    /// `Ok` when the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Inserts a new payment with its first attempt.
    pub async fn insert_payment(
        &self,
        payment: &PaymentRow,
        attempt: &AttemptObject,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let placeholders = (1..=34)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ({placeholders})");
        bind_payment(sqlx::query(&sql), payment)
            .execute(&mut *tx)
            .await?;
        upsert_attempt(&mut tx, &payment.payment_id, attempt).await?;
        tx.commit().await
    }

    /// Deletes a payment that never reached the processor (its request failed validation).
    pub async fn delete_unsent_payment(&self, payment_id: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM attempts WHERE payment_id = $1")
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM payments WHERE payment_id = $1")
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// The payment `payment_id` of `merchant_id`, with its children.
    pub async fn payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1 AND merchant_id = $2"
        );
        // One connection for the payment and its children: one hand-off to the pool.
        let mut conn = self.pool.acquire().await?;
        let row: Option<PaymentRow> = sqlx::query_as(&sql)
            .bind(payment_id)
            .bind(merchant_id)
            .fetch_optional(&mut *conn)
            .await?;
        match row {
            Some(payment) => Self::with_children(&mut conn, payment).await.map(Some),
            None => Ok(None),
        }
    }

    /// The payment id and merchant of the payment a processor knows as
    /// `connector_transaction_id`.
    pub async fn payment_owner_by_connector_id(
        &self,
        connector: &str,
        connector_transaction_id: &str,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT payment_id, merchant_id FROM payments \
             WHERE connector = $1 AND connector_transaction_id = $2",
        )
        .bind(connector)
        .bind(connector_transaction_id)
        .fetch_optional(&self.pool)
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
            .fetch_optional(&self.pool)
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
        let mut record = PaymentRecord {
            payment,
            attempts,
            captures,
            increments,
            refunds,
            stored: Arc::default(),
        };
        record.mark_stored();
        Ok(record)
    }

    /// Writes `record` if the stored payment still has version `record.payment.version - 1`:
    /// the payment row and every child row, in one transaction.
    pub async fn save(&self, record: &mut PaymentRecord) -> Result<Written, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let assignments = PAYMENT_COLUMNS
            .split(", ")
            .enumerate()
            .map(|(i, column)| format!("{} = ${}", column.trim(), i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("UPDATE payments SET {assignments} WHERE payment_id = $1 AND version = $35");
        let done = bind_payment(sqlx::query(&sql), &record.payment)
            .bind(record.payment.version - 1)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Written::Stale);
        }
        let id = record.payment.payment_id.as_str();
        let stored = record.stored.clone();
        for attempt in changed(&record.attempts, &stored.attempts) {
            upsert_attempt(&mut tx, id, attempt).await?;
        }
        for capture in changed(&record.captures, &stored.captures) {
            sqlx::query(
                "INSERT INTO captures (capture_id, payment_id, status, amount, currency, connector, \
                 connector_capture_id, capture_sequence, error_code, error_message, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (capture_id) DO UPDATE SET status = excluded.status, \
                 connector_capture_id = excluded.connector_capture_id, \
                 error_code = excluded.error_code, error_message = excluded.error_message, \
                 updated_at = excluded.updated_at",
            )
            .bind(&capture.capture_id)
            .bind(id)
            .bind(&capture.status)
            .bind(capture.amount)
            .bind(&capture.currency)
            .bind(&capture.connector)
            .bind(&capture.connector_capture_id)
            .bind(capture.capture_sequence)
            .bind(&capture.error_code)
            .bind(&capture.error_message)
            .bind(&capture.created_at)
            .bind(&record.payment.updated)
            .execute(&mut *tx)
            .await?;
        }
        for inc in changed(&record.increments, &stored.increments) {
            sqlx::query(
                "INSERT INTO incremental_authorizations (authorization_id, payment_id, amount, \
                 previously_authorized_amount, status, error_code, error_message, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (authorization_id) DO UPDATE SET status = excluded.status, \
                 error_code = excluded.error_code, error_message = excluded.error_message, \
                 updated_at = excluded.updated_at",
            )
            .bind(&inc.authorization_id)
            .bind(id)
            .bind(inc.amount)
            .bind(inc.previously_authorized_amount)
            .bind(&inc.status)
            .bind(&inc.error_code)
            .bind(&inc.error_message)
            .bind(&inc.created_at)
            .bind(&record.payment.updated)
            .execute(&mut *tx)
            .await?;
        }
        for refund in changed(&record.refunds, &stored.refunds) {
            sqlx::query(
                "INSERT INTO refunds (refund_id, payment_id, merchant_id, amount, currency, status, \
                 reason, metadata, connector, connector_refund_id, error_code, error_message, \
                 unified_code, unified_message, created_at, updated_at) VALUES ($1, $2, $3, $4, \
                 $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (refund_id) DO UPDATE SET status = excluded.status, \
                 connector_refund_id = excluded.connector_refund_id, \
                 error_code = excluded.error_code, error_message = excluded.error_message, \
                 unified_code = excluded.unified_code, unified_message = excluded.unified_message, \
                 updated_at = excluded.updated_at",
            )
            .bind(&refund.refund_id)
            .bind(id)
            .bind(&record.payment.merchant_id)
            .bind(refund.amount)
            .bind(&refund.currency)
            .bind(&refund.status)
            .bind(&refund.reason)
            .bind(refund.metadata.to_string())
            .bind(&refund.connector)
            .bind(&refund.connector_refund_id)
            .bind(&refund.error_code)
            .bind(&refund.error_message)
            .bind(&refund.unified_code)
            .bind(&refund.unified_message)
            .bind(&refund.created_at)
            .bind(&refund.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        record.mark_stored();
        Ok(Written::Yes)
    }

    /// Records a webhook event as `ignored`; `false` when `(connector, event_id)` was already
    /// recorded.
    pub async fn record_webhook_event(
        &self,
        connector: &str,
        event: &paybridge_core::WebhookEvent,
        payment_id: Option<&str>,
        received_at: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO webhook_events (connector, event_id, event_type, payment_id, outcome, \
             received_at) VALUES ($1, $2, $3, $4, 'ignored', $5) \
             ON CONFLICT (connector, event_id) DO NOTHING",
        )
        .bind(connector)
        .bind(&event.event_id)
        .bind(&event.raw_type)
        .bind(payment_id)
        .bind(received_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes what was done with a recorded webhook event.
    pub async fn webhook_outcome(
        &self,
        connector: &str,
        event_id: &str,
        outcome: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE webhook_events SET outcome = $1 WHERE connector = $2 AND event_id = $3")
            .bind(outcome)
            .bind(connector)
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Forgets a recorded webhook event, so a redelivery is processed (its first processing
    /// failed).
    pub async fn forget_webhook_event(
        &self,
        connector: &str,
        event_id: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM webhook_events WHERE connector = $1 AND event_id = $2")
            .bind(connector)
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
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
        .execute(&self.pool)
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
        .execute(&self.pool)
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
        .fetch_one(&self.pool)
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
        .execute(&self.pool)
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
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Stops the checkpoints and closes the pool.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.abort();
        }
        self.pool.close().await;
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_payment<'q>(query: AnyQuery<'q>, p: &'q PaymentRow) -> AnyQuery<'q> {
    query
        .bind(&p.payment_id)
        .bind(&p.merchant_id)
        .bind(&p.connector)
        .bind(&p.connector_transaction_id)
        .bind(&p.status)
        .bind(p.amount)
        .bind(&p.currency)
        .bind(&p.capture_method)
        .bind(p.amount_capturable)
        .bind(p.amount_received)
        .bind(&p.payment_method)
        .bind(&p.card_network)
        .bind(&p.card_last4)
        .bind(&p.metadata)
        .bind(&p.description)
        .bind(&p.return_url)
        .bind(p.request_incremental_authorization)
        .bind(p.incremental_authorization_allowed)
        .bind(p.authorization_count)
        .bind(p.request_extended_authorization)
        .bind(p.extended_authorization_applied)
        .bind(&p.extended_authorization_last_applied_at)
        .bind(&p.capture_before)
        .bind(&p.expires_on)
        .bind(&p.next_action)
        .bind(&p.error_code)
        .bind(&p.error_message)
        .bind(&p.unified_code)
        .bind(&p.unified_message)
        .bind(&p.cancellation_reason)
        .bind(&p.connector_key)
        .bind(p.version)
        .bind(&p.created)
        .bind(&p.updated)
}

async fn upsert_attempt(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    payment_id: &str,
    a: &AttemptObject,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO attempts (attempt_id, payment_id, status, amount, currency, connector, \
         connector_transaction_id, capture_method, payment_method, error_code, error_message, \
         unified_code, unified_message, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (attempt_id) DO UPDATE SET status = excluded.status, \
         connector_transaction_id = excluded.connector_transaction_id, \
         error_code = excluded.error_code, error_message = excluded.error_message, \
         unified_code = excluded.unified_code, unified_message = excluded.unified_message, \
         modified_at = excluded.modified_at",
    )
    .bind(&a.attempt_id)
    .bind(payment_id)
    .bind(&a.status)
    .bind(a.amount)
    .bind(&a.currency)
    .bind(&a.connector)
    .bind(&a.connector_transaction_id)
    .bind(&a.capture_method)
    .bind(&a.payment_method)
    .bind(&a.error_code)
    .bind(&a.error_message)
    .bind(&a.unified_code)
    .bind(&a.unified_message)
    .bind(&a.created_at)
    .bind(&a.modified_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
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
}
