//! SQL text and parameters: the payments table's statements, upserts of child rows, and the
//! batches SQLite runs a transaction as. Texts are built once and kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::super::rows::*;
use super::super::ReceivedWebhook;

/// The payment columns, in the order of [`payment_params`].
pub(super) const PAYMENT_COLUMNS: &str = "payment_id, merchant_id, connector, connector_transaction_id, \
    status, amount, currency, capture_method, amount_capturable, amount_received, payment_method, \
    card_network, card_last4, metadata, description, return_url, request_incremental_authorization, \
    incremental_authorization_allowed, authorization_count, request_extended_authorization, \
    extended_authorization_applied, extended_authorization_last_applied_at, capture_before, \
    expires_on, next_action, error_code, error_message, unified_code, unified_message, \
    cancellation_reason, connector_key, version, created, updated, lease_owner, lease_until, \
    cancel_post_capture_refund, details, client_secret_hash, network_transaction_id, \
    issuer_error_code, authentication";

/// One SQL statement with its parameters, numbered `$1`, `$2`, … in `sql`.
#[derive(Debug)]
pub(super) struct Statement {
    pub(super) sql: Cow<'static, str>,
    pub(super) params: Vec<Param>,
}

/// The payments table's statements, built once from `PAYMENT_COLUMNS`.
pub(super) struct PaymentSql {
    pub(super) insert: String,
    pub(super) select: String,
    /// Writes the columns that change ([`updated_column`]) if the stored row still has the
    /// version before: parameters in column order, then the payment id and that version.
    update: String,
    /// [`PaymentSql::update`] that also writes `connector_transaction_id`.
    update_with_connector_id: String,
}

/// Whether an update writes `column`. Not the ones that never change once inserted, which are
/// the keys of the table's indexes: SQLite rewrites the index entries of every column an
/// update sets, even to the value it had (three index pages more per save, measured). The
/// processor's id changes once, and is written only then.
fn updated_column(column: &str, with_connector_id: bool) -> bool {
    match column {
        "payment_id" | "merchant_id" | "connector" | "created" => false,
        // Fixed at creation, and the details may be a few kilobytes.
        "details" | "client_secret_hash" => false,
        "connector_transaction_id" => with_connector_id,
        _ => true,
    }
}

pub(super) static PAYMENT_SQL: LazyLock<PaymentSql> = LazyLock::new(|| {
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
pub(super) struct UpsertShape {
    pub(super) sqlite: bool,
    pub(super) table: &'static str,
    pub(super) key: &'static str,
    pub(super) columns: Vec<&'static str>,
    pub(super) update: &'static [&'static str],
}

impl UpsertShape {
    /// `INSERT … ON CONFLICT (key) DO UPDATE …`; on SQLite the row carries the guard of
    /// [`super::SqlStore`]'s write. Built texts are kept for the life of the process (one per shape).
    pub(super) fn sql(self) -> &'static str {
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

/// The columns of `events`, in the order of [`event_insert`]'s parameters.
pub(super) const EVENT_COLUMNS: &str = "event_id, merchant_id, event_type, object_type, \
    object_id, payment_id, created, body, delivery_status, attempts, next_attempt_at, \
    lease_owner, lease_until, delivered_at";

/// `INSERT INTO table (columns)` of `count` parameters: `VALUES`, or in a SQLite batch a
/// `SELECT` guarded by `changes() = 1` (written only if the statement before it wrote its row,
/// see `sqlite_transaction`).
fn guarded_insert(sqlite: bool, table: &str, columns: &str, count: usize) -> String {
    let values = (1..=count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    if sqlite {
        format!("INSERT INTO {table} ({columns}) SELECT {values} WHERE changes() = 1")
    } else {
        format!("INSERT INTO {table} ({columns}) VALUES ({values})")
    }
}

/// The insert of a new event, written in its payment's transaction.
pub(super) fn event_insert(sqlite: bool, e: &EventRow) -> Statement {
    static SQL: LazyLock<[String; 2]> = LazyLock::new(|| {
        [false, true].map(|sqlite| guarded_insert(sqlite, "events", EVENT_COLUMNS, 14))
    });
    Statement {
        sql: Cow::Borrowed(SQL[usize::from(sqlite)].as_str()),
        params: vec![
            text(&e.event_id),
            text(&e.merchant_id),
            text(&e.event_type),
            text(&e.object_type),
            text(&e.object_id),
            text(&e.payment_id),
            text(&e.created),
            text(&e.body),
            text(&e.delivery_status),
            Param::Int(Some(e.attempts)),
            Param::Int(e.next_attempt_at),
            opt_text(&e.lease_owner),
            Param::Int(e.lease_until),
            opt_text(&e.delivered_at),
        ],
    }
}

/// The insert of a delivery attempt, written with its event's update.
pub(super) fn delivery_insert(sqlite: bool, d: &DeliveryRow) -> Statement {
    static SQL: LazyLock<[String; 2]> = LazyLock::new(|| {
        let columns = "event_id, attempt, attempted_at, latency_ms, status_code, \
            response_excerpt, error";
        [false, true].map(|sqlite| guarded_insert(sqlite, "event_deliveries", columns, 7))
    });
    Statement {
        sql: Cow::Borrowed(SQL[usize::from(sqlite)].as_str()),
        params: vec![
            text(&d.event_id),
            Param::Int(Some(d.attempt)),
            text(&d.attempted_at),
            Param::Int(Some(d.latency_ms)),
            Param::Int(d.status_code),
            opt_text(&d.response_excerpt),
            opt_text(&d.error),
        ],
    }
}

/// A value bound to a statement.
#[derive(Debug)]
pub(super) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

pub(super) fn text(value: &str) -> Param {
    Param::Text(Some(value.to_owned()))
}

pub(super) fn opt_text(value: &Option<String>) -> Param {
    Param::Text(value.clone())
}

impl Statement {
    pub(super) fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
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
    pub(super) fn sqlite_transaction(head: Statement, rows: Vec<Statement>) -> Statement {
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
    pub(super) fn append(&mut self, next: Statement) {
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
pub(super) fn payment_update(payment: &PaymentRow, stored: &PaymentRow) -> Statement {
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
pub(super) fn payment_params(p: &PaymentRow) -> Vec<Param> {
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
        opt_text(&p.cancel_post_capture_refund),
        opt_text(&p.details),
        opt_text(&p.client_secret_hash),
        opt_text(&p.network_transaction_id),
        opt_text(&p.issuer_error_code),
        opt_text(&p.authentication),
    ]
}

pub(super) fn attempt_row(sqlite: bool, payment_id: &str, a: &AttemptRow) -> Statement {
    upsert(
        sqlite,
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

pub(super) fn capture_row(
    sqlite: bool,
    payment_id: &str,
    updated: &str,
    c: &CaptureRow,
) -> Statement {
    upsert(
        sqlite,
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
            ("final_capture", Param::Int(c.final_capture)),
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

pub(super) fn increment_row(
    sqlite: bool,
    payment_id: &str,
    updated: &str,
    i: &IncrementRow,
) -> Statement {
    upsert(
        sqlite,
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

pub(super) fn refund_row(
    sqlite: bool,
    payment_id: &str,
    merchant_id: &str,
    r: &RefundRow,
) -> Statement {
    upsert(
        sqlite,
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

pub(super) fn webhook_event_row(
    sqlite: bool,
    event: &ReceivedWebhook<'_>,
    outcome: &str,
) -> Statement {
    upsert(
        sqlite,
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
/// SQLite batch the row carries the guard `changes() = 1` (see `sqlite_transaction`).
fn upsert(
    sqlite: bool,
    table: &'static str,
    key: &'static str,
    row: Vec<(&'static str, Param)>,
    update: &'static [&'static str],
) -> Statement {
    let (columns, params): (Vec<&'static str>, Vec<Param>) = row.into_iter().unzip();
    let shape = UpsertShape {
        sqlite,
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
