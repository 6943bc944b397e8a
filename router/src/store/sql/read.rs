//! Reading a payment's child rows.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::rows::*;
use super::super::PaymentRecord;

/// `payment` with its children, read on `conn`.
pub(super) async fn with_children(
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
         capture_sequence, error_code, error_message, created_at, final_capture FROM captures \
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
    Ok(PaymentRecord::read(
        payment, attempts, captures, increments, refunds,
    ))
}

fn attempt_from_row(r: &AnyRow) -> Result<AttemptRow, sqlx::Error> {
    Ok(AttemptRow {
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

fn capture_from_row(r: &AnyRow) -> Result<CaptureRow, sqlx::Error> {
    Ok(CaptureRow {
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
        final_capture: r.try_get(10)?,
    })
}

fn increment_from_row(r: &AnyRow) -> Result<IncrementRow, sqlx::Error> {
    Ok(IncrementRow {
        authorization_id: r.try_get(0)?,
        amount: r.try_get(1)?,
        status: r.try_get(2)?,
        error_code: r.try_get(3)?,
        error_message: r.try_get(4)?,
        previously_authorized_amount: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}

fn refund_from_row(r: &AnyRow) -> Result<RefundRow, sqlx::Error> {
    let metadata: String = r.try_get(6)?;
    Ok(RefundRow {
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
