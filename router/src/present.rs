//! The API's objects, built from the domain's payment.

use serde_json::Value;

use crate::domain::payment::status_name;
use crate::domain::{Payment, Refund};
use crate::model::*;
use crate::payments::enum_name;

/// The payment object.
pub fn payment_object(p: &Payment) -> PaymentObject {
    let network = p.card_network.map(|n| enum_name(&n));
    PaymentObject {
        payment_id: p.id.clone(),
        merchant_id: p.merchant_id.clone(),
        status: status_name(p.status),
        amount: p.amount.get(),
        net_amount: p.amount.get(),
        amount_capturable: p.amount_capturable.get(),
        amount_received: p.amount_received.get(),
        connector: p.connector.clone(),
        currency: p.currency.code().to_owned(),
        capture_method: enum_name(&p.capture_method),
        payment_method: "card".into(),
        payment_method_data: p
            .card_last4
            .as_ref()
            .map(|last4| serde_json::json!({"card": {"last4": last4, "card_network": network}})),
        created: p.created.clone(),
        updated: p.updated.clone(),
        metadata: Value::Object(p.metadata.clone()),
        description: p.description.clone(),
        return_url: p.return_url.clone(),
        connector_transaction_id: p.connector_transaction_id.clone(),
        error_code: p.error.code.clone(),
        error_message: p.error.message.clone(),
        unified_code: p.error.unified_code.clone(),
        unified_message: p.error.unified_message.clone(),
        next_action: p.next_action.as_ref().map(next_action_object),
        cancellation_reason: p.cancellation_reason.clone(),
        request_incremental_authorization: p.request_incremental_authorization,
        incremental_authorization_allowed: p.incremental_authorization_allowed,
        authorization_count: i64::from(p.authorization_count),
        incremental_authorizations: p
            .increments
            .iter()
            .map(|i| IncrementalAuthorizationObject {
                authorization_id: i.id.clone(),
                amount: i.new_total.get(),
                status: enum_name(&i.status),
                error_code: i.error_code.clone(),
                error_message: i.error_message.clone(),
                previously_authorized_amount: i.previously_authorized.get(),
                created_at: i.created_at.clone(),
            })
            .collect(),
        extended_authorization_applied: p.extended_authorization_applied,
        extended_authorization_last_applied_at: p.extended_authorization_last_applied_at.clone(),
        request_extended_authorization: p.request_extended_authorization,
        capture_before: p.capture_before.clone(),
        expires_on: p.expires_on.clone(),
        refunds: p.refunds.iter().map(|r| refund_object(p, r)).collect(),
        captures: p
            .captures
            .iter()
            .map(|c| CaptureObject {
                capture_id: c.id.clone(),
                status: enum_name(&c.status),
                amount: c.amount.get(),
                currency: p.currency.code().to_owned(),
                connector: p.connector.clone(),
                connector_capture_id: c.connector_capture_id.clone(),
                capture_sequence: i64::from(c.sequence),
                error_code: c.error_code.clone(),
                error_message: c.error_message.clone(),
                created_at: c.created_at.clone(),
            })
            .collect(),
        attempts: p
            .attempts
            .iter()
            .map(|a| AttemptObject {
                attempt_id: a.id.clone(),
                status: enum_name(&a.status),
                amount: a.amount.get(),
                currency: p.currency.code().to_owned(),
                connector: p.connector.clone(),
                connector_transaction_id: a.connector_transaction_id.clone(),
                capture_method: enum_name(&p.capture_method),
                payment_method: "card".into(),
                error_code: a.error.code.clone(),
                error_message: a.error.message.clone(),
                unified_code: a.error.unified_code.clone(),
                unified_message: a.error.unified_message.clone(),
                created_at: a.created_at.clone(),
                modified_at: a.modified_at.clone(),
            })
            .collect(),
        attempt_count: i64::try_from(p.attempts.len()).unwrap_or(i64::MAX),
    }
}

/// The refund object of `refund`, a refund of `payment`.
pub fn refund_object(payment: &Payment, refund: &Refund) -> RefundObject {
    RefundObject {
        refund_id: refund.id.clone(),
        payment_id: payment.id.clone(),
        amount: refund.amount.get(),
        currency: payment.currency.code().to_owned(),
        status: enum_name(&refund.status),
        reason: refund.reason.clone(),
        metadata: refund.metadata.clone(),
        connector_refund_id: refund.connector_refund_id.clone(),
        error_code: refund.error.code.clone(),
        error_message: refund.error.message.clone(),
        unified_code: refund.error.unified_code.clone(),
        unified_message: refund.error.unified_message.clone(),
        connector: payment.connector.clone(),
        created_at: refund.created_at.clone(),
        updated_at: refund.updated_at.clone(),
    }
}

/// The API's (and the store's) form of a next action.
pub(crate) fn next_action_object(action: &paybridge_core::NextAction) -> Value {
    use paybridge_core::NextAction;
    match action {
        NextAction::RedirectToUrl { url } => {
            serde_json::json!({"type": "redirect_to_url", "redirect_to_url": url})
        }
        NextAction::InvokeSdkClient { data } => {
            serde_json::json!({"type": "invoke_sdk_client", "next_action_data": data})
        }
    }
}
