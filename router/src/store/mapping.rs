//! Stored rows ↔ the domain's [`Payment`]: statuses as their API names, flags as 0/1, JSON as
//! text. A row this version cannot read is an error naming the column, never a guess.

use std::str::FromStr;

use paybridge_core::{
    AuthorizationStatus, CaptureMethod, CardNetwork, Currency, MinorUnit, NextAction,
    PaymentStatus, RefundStatus,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::rows::{AttemptRow, CaptureRow, IncrementRow, RefundRow};
use super::{PaymentRecord, PaymentRow};
use crate::domain::{
    Attempt, Capture, CaptureStatus, ErrorDetails, Increment, Payment, PaymentDetails, Refund,
};
use crate::payments::enum_name;

/// A stored value this router cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment {payment_id}: stored {column} {value:?} is not valid")]
pub struct MappingError {
    /// The payment.
    pub payment_id: String,
    /// The column.
    pub column: &'static str,
    /// What it holds (never card data: no such column exists).
    pub value: String,
}

struct Reader<'a> {
    payment_id: &'a str,
}

impl Reader<'_> {
    fn fail(&self, column: &'static str, value: impl ToString) -> MappingError {
        MappingError {
            payment_id: self.payment_id.to_owned(),
            column,
            value: value.to_string(),
        }
    }

    fn name<T: DeserializeOwned>(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<T, MappingError> {
        serde_json::from_value(Value::String(value.to_owned()))
            .map_err(|_| self.fail(column, value))
    }

    fn amount(&self, column: &'static str, value: i64) -> Result<MinorUnit, MappingError> {
        MinorUnit::new(value).map_err(|_| self.fail(column, value))
    }

    fn count(&self, column: &'static str, value: i64) -> Result<u32, MappingError> {
        u32::try_from(value).map_err(|_| self.fail(column, value))
    }

    fn flag(&self, column: &'static str, value: i64) -> Result<bool, MappingError> {
        match value {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.fail(column, other)),
        }
    }

    fn optional_flag(
        &self,
        column: &'static str,
        value: Option<i64>,
    ) -> Result<Option<bool>, MappingError> {
        value.map(|v| self.flag(column, v)).transpose()
    }
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

fn error_of(
    code: &Option<String>,
    message: &Option<String>,
    unified_code: &Option<String>,
    unified_message: &Option<String>,
) -> ErrorDetails {
    ErrorDetails {
        code: code.clone(),
        message: message.clone(),
        unified_code: unified_code.clone(),
        unified_message: unified_message.clone(),
        issuer_code: None,
    }
}

fn next_action_of(text: &str) -> Option<NextAction> {
    let value: Value = serde_json::from_str(text).ok()?;
    match value["type"].as_str()? {
        "redirect_to_url" => Some(NextAction::RedirectToUrl {
            url: value["redirect_to_url"].as_str()?.to_owned(),
        }),
        "invoke_sdk_client" => Some(NextAction::InvokeSdkClient {
            data: value["next_action_data"].clone(),
        }),
        _ => None,
    }
}

impl PaymentRecord {
    /// The payment as the domain sees it.
    pub fn to_domain(&self) -> Result<Payment, MappingError> {
        let p = &self.payment;
        let r = Reader {
            payment_id: &p.payment_id,
        };
        let next_action = match &p.next_action {
            None => None,
            Some(text) => Some(next_action_of(text).ok_or_else(|| r.fail("next_action", text))?),
        };
        let metadata: Map<String, Value> =
            serde_json::from_str(&p.metadata).map_err(|_| r.fail("metadata", "(not an object)"))?;
        Ok(Payment {
            id: p.payment_id.clone(),
            merchant_id: p.merchant_id.clone(),
            connector: p.connector.clone(),
            connector_transaction_id: p.connector_transaction_id.clone(),
            status: r.name::<PaymentStatus>("status", &p.status)?,
            amount: r.amount("amount", p.amount)?,
            currency: Currency::from_str(&p.currency)
                .map_err(|_| r.fail("currency", &p.currency))?,
            capture_method: r.name::<CaptureMethod>("capture_method", &p.capture_method)?,
            amount_capturable: r.amount("amount_capturable", p.amount_capturable)?,
            amount_received: r.amount("amount_received", p.amount_received)?,
            card_network: p
                .card_network
                .as_deref()
                .map(|n| r.name::<CardNetwork>("card_network", n))
                .transpose()?,
            card_last4: p.card_last4.clone(),
            metadata,
            description: p.description.clone(),
            return_url: p.return_url.clone(),
            request_incremental_authorization: r.flag(
                "request_incremental_authorization",
                p.request_incremental_authorization,
            )?,
            incremental_authorization_allowed: r.optional_flag(
                "incremental_authorization_allowed",
                p.incremental_authorization_allowed,
            )?,
            authorization_count: r.count("authorization_count", p.authorization_count)?,
            request_extended_authorization: r.flag(
                "request_extended_authorization",
                p.request_extended_authorization,
            )?,
            extended_authorization_applied: r.optional_flag(
                "extended_authorization_applied",
                p.extended_authorization_applied,
            )?,
            extended_authorization_last_applied_at: p
                .extended_authorization_last_applied_at
                .clone(),
            capture_before: p.capture_before.clone(),
            expires_on: p.expires_on.clone(),
            next_action,
            error: ErrorDetails {
                issuer_code: p.issuer_error_code.clone(),
                ..error_of(
                    &p.error_code,
                    &p.error_message,
                    &p.unified_code,
                    &p.unified_message,
                )
            },
            cancellation_reason: p.cancellation_reason.clone(),
            created: p.created.clone(),
            updated: p.updated.clone(),
            cancel_post_capture_refund: p.cancel_post_capture_refund.clone(),
            details: match &p.details {
                None => PaymentDetails::default(),
                Some(text) => serde_json::from_str(text)
                    .map_err(|_| r.fail("details", "(not a payment details document)"))?,
            },
            client_secret_hash: p.client_secret_hash.clone(),
            network_transaction_id: p.network_transaction_id.clone(),
            authentication: match &p.authentication {
                None => None,
                Some(text) => {
                    Some(serde_json::from_str(text).map_err(|_| {
                        r.fail("authentication", "(not an authentication document)")
                    })?)
                }
            },
            attempts: self
                .attempts
                .iter()
                .map(|a| {
                    Ok(Attempt {
                        id: a.attempt_id.clone(),
                        status: r.name("attempts.status", &a.status)?,
                        amount: r.amount("attempts.amount", a.amount)?,
                        connector_transaction_id: a.connector_transaction_id.clone(),
                        error: error_of(
                            &a.error_code,
                            &a.error_message,
                            &a.unified_code,
                            &a.unified_message,
                        ),
                        created_at: a.created_at.clone(),
                        modified_at: a.modified_at.clone(),
                    })
                })
                .collect::<Result<_, MappingError>>()?,
            captures: self
                .captures
                .iter()
                .map(|c| {
                    Ok(Capture {
                        id: c.capture_id.clone(),
                        status: r.name::<CaptureStatus>("captures.status", &c.status)?,
                        amount: r.amount("captures.amount", c.amount)?,
                        connector_capture_id: c.connector_capture_id.clone(),
                        sequence: r.count("captures.capture_sequence", c.capture_sequence)?,
                        final_capture: c.final_capture == Some(1),
                        error_code: c.error_code.clone(),
                        error_message: c.error_message.clone(),
                        created_at: c.created_at.clone(),
                    })
                })
                .collect::<Result<_, MappingError>>()?,
            increments: self
                .increments
                .iter()
                .map(|i| {
                    Ok(Increment {
                        id: i.authorization_id.clone(),
                        new_total: r.amount("incremental_authorizations.amount", i.amount)?,
                        previously_authorized: r.amount(
                            "incremental_authorizations.previously_authorized_amount",
                            i.previously_authorized_amount,
                        )?,
                        status: r.name::<AuthorizationStatus>(
                            "incremental_authorizations.status",
                            &i.status,
                        )?,
                        error_code: i.error_code.clone(),
                        error_message: i.error_message.clone(),
                        created_at: i.created_at.clone(),
                    })
                })
                .collect::<Result<_, MappingError>>()?,
            refunds: self
                .refunds
                .iter()
                .map(|f| {
                    Ok(Refund {
                        id: f.refund_id.clone(),
                        amount: r.amount("refunds.amount", f.amount)?,
                        status: r.name::<RefundStatus>("refunds.status", &f.status)?,
                        reason: f.reason.clone(),
                        metadata: f.metadata.clone(),
                        connector_refund_id: f.connector_refund_id.clone(),
                        error: error_of(
                            &f.error_code,
                            &f.error_message,
                            &f.unified_code,
                            &f.unified_message,
                        ),
                        created_at: f.created_at.clone(),
                        updated_at: f.updated_at.clone(),
                    })
                })
                .collect::<Result<_, MappingError>>()?,
        })
    }

    /// Writes `payment` into the rows; a save then writes what differs from what was stored.
    /// The row's own bookkeeping (version, lease, processor key) is left as it is.
    pub fn update_from(&mut self, payment: &Payment) {
        let row = &mut self.payment;
        row.connector_transaction_id = payment.connector_transaction_id.clone();
        row.status = crate::domain::payment::status_name(payment.status);
        row.amount = payment.amount.get();
        row.currency = payment.currency.code().to_owned();
        row.capture_method = enum_name(&payment.capture_method);
        row.amount_capturable = payment.amount_capturable.get();
        row.amount_received = payment.amount_received.get();
        row.card_network = payment.card_network.map(|n| enum_name(&n));
        row.card_last4 = payment.card_last4.clone();
        row.metadata = Value::Object(payment.metadata.clone()).to_string();
        row.description = payment.description.clone();
        row.return_url = payment.return_url.clone();
        row.request_incremental_authorization = flag(payment.request_incremental_authorization);
        row.incremental_authorization_allowed = payment.incremental_authorization_allowed.map(flag);
        row.authorization_count = i64::from(payment.authorization_count);
        row.request_extended_authorization = flag(payment.request_extended_authorization);
        row.extended_authorization_applied = payment.extended_authorization_applied.map(flag);
        row.extended_authorization_last_applied_at =
            payment.extended_authorization_last_applied_at.clone();
        row.capture_before = payment.capture_before.clone();
        row.expires_on = payment.expires_on.clone();
        row.next_action = payment
            .next_action
            .as_ref()
            .map(|a| crate::present::next_action_object(a).to_string());
        row.error_code = payment.error.code.clone();
        row.error_message = payment.error.message.clone();
        row.unified_code = payment.error.unified_code.clone();
        row.unified_message = payment.error.unified_message.clone();
        row.cancellation_reason = payment.cancellation_reason.clone();
        row.cancel_post_capture_refund = payment.cancel_post_capture_refund.clone();
        row.details = (payment.details != PaymentDetails::default())
            .then(|| serde_json::to_string(&payment.details).unwrap_or_default());
        row.client_secret_hash = payment.client_secret_hash.clone();
        row.network_transaction_id = payment.network_transaction_id.clone();
        row.issuer_error_code = payment.error.issuer_code.clone();
        row.authentication = payment
            .authentication
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok());
        row.updated = payment.updated.clone();
        let (currency, connector) = (row.currency.clone(), row.connector.clone());
        let capture_method = row.capture_method.clone();
        let payment_method = row.payment_method.clone();
        self.attempts = payment
            .attempts
            .iter()
            .map(|a| AttemptRow {
                attempt_id: a.id.clone(),
                status: enum_name(&a.status),
                amount: a.amount.get(),
                currency: currency.clone(),
                connector: connector.clone(),
                connector_transaction_id: a.connector_transaction_id.clone(),
                capture_method: capture_method.clone(),
                payment_method: payment_method.clone(),
                error_code: a.error.code.clone(),
                error_message: a.error.message.clone(),
                unified_code: a.error.unified_code.clone(),
                unified_message: a.error.unified_message.clone(),
                created_at: a.created_at.clone(),
                modified_at: a.modified_at.clone(),
            })
            .collect();
        self.captures = payment
            .captures
            .iter()
            .map(|c| CaptureRow {
                capture_id: c.id.clone(),
                status: enum_name(&c.status),
                amount: c.amount.get(),
                currency: currency.clone(),
                connector: connector.clone(),
                connector_capture_id: c.connector_capture_id.clone(),
                capture_sequence: i64::from(c.sequence),
                final_capture: Some(i64::from(c.final_capture)),
                error_code: c.error_code.clone(),
                error_message: c.error_message.clone(),
                created_at: c.created_at.clone(),
            })
            .collect();
        self.increments = payment
            .increments
            .iter()
            .map(|i| IncrementRow {
                authorization_id: i.id.clone(),
                amount: i.new_total.get(),
                status: enum_name(&i.status),
                error_code: i.error_code.clone(),
                error_message: i.error_message.clone(),
                previously_authorized_amount: i.previously_authorized.get(),
                created_at: i.created_at.clone(),
            })
            .collect();
        let payment_id = payment.id.clone();
        self.refunds = payment
            .refunds
            .iter()
            .map(|f| RefundRow {
                refund_id: f.id.clone(),
                payment_id: payment_id.clone(),
                amount: f.amount.get(),
                currency: currency.clone(),
                status: enum_name(&f.status),
                reason: f.reason.clone(),
                metadata: f.metadata.clone(),
                connector_refund_id: f.connector_refund_id.clone(),
                error_code: f.error.code.clone(),
                error_message: f.error.message.clone(),
                unified_code: f.error.unified_code.clone(),
                unified_message: f.error.unified_message.clone(),
                connector: connector.clone(),
                created_at: f.created_at.clone(),
                updated_at: f.updated_at.clone(),
            })
            .collect();
    }
}

impl PaymentRecord {
    /// A payment about to be inserted, with its one attempt; `connector_key` is the base of the
    /// idempotency keys sent to its processor, `lease` who holds it until the processor's
    /// answer is stored.
    pub fn for_new(payment: &Payment, connector_key: &str, lease: Option<(String, i64)>) -> Self {
        let (lease_owner, lease_until) = lease.unzip();
        let row = PaymentRow {
            payment_id: payment.id.clone(),
            merchant_id: payment.merchant_id.clone(),
            connector: payment.connector.clone(),
            connector_transaction_id: None,
            status: String::new(),
            amount: 0,
            currency: String::new(),
            capture_method: String::new(),
            amount_capturable: 0,
            amount_received: 0,
            payment_method: "card".into(),
            card_network: None,
            card_last4: None,
            metadata: String::new(),
            description: None,
            return_url: None,
            request_incremental_authorization: 0,
            incremental_authorization_allowed: None,
            authorization_count: 0,
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
            connector_key: connector_key.to_owned(),
            version: 0,
            created: payment.created.clone(),
            updated: payment.updated.clone(),
            lease_owner,
            lease_until,
            cancel_post_capture_refund: None,
            details: None,
            client_secret_hash: None,
            network_transaction_id: None,
            issuer_error_code: None,
            authentication: None,
        };
        let mut draft = PaymentRecord::from_stored(row, std::sync::Arc::default());
        draft.update_from(payment);
        let attempt = draft.attempts.first().cloned();
        match attempt {
            Some(attempt) => PaymentRecord::inserted(draft.payment, attempt),
            None => draft,
        }
    }
}
