//! The API's objects, built from the domain's payment.

use paybridge_core::details::{BrowserInfo, Contact, Customer};
use serde_json::Value;

use crate::domain::authentication::Authentication;
use crate::domain::payment::status_name;
use crate::domain::{Payment, Refund};
use crate::model::*;
use crate::payments::enum_name;

/// The payment object.
pub fn payment_object(p: &Payment) -> PaymentObject {
    let network = p.card_network.map(|n| enum_name(&n));
    let d = &p.details;
    let customer = d.customer.as_ref();
    let authentication_type = d.authentication_type.map(|t| enum_name(&t));
    let payment_method_type = match d.wallet {
        Some(wallet) => Some(wallet.name().to_owned()),
        None => d.payment_method_type.map(|t| enum_name(&t)),
    };
    let payment_method = if d.wallet.is_some() { "wallet" } else { "card" };
    let authorized_attempt = p
        .attempts
        .iter()
        .find(|a| a.connector_transaction_id.is_some())
        .map(|a| a.id.clone());
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
        payment_method: payment_method.into(),
        payment_method_data: payment_method_data(p, network),
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
        next_action: p
            .next_action
            .as_ref()
            .map(next_action_object)
            .or_else(|| three_ds_invoke(p)),
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
                error_reason: c.error_message.clone(),
                created_at: c.created_at.clone(),
                authorized_attempt_id: authorized_attempt.clone(),
                reference_id: None,
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
                payment_method: payment_method.into(),
                error_code: a.error.code.clone(),
                error_message: a.error.message.clone(),
                unified_code: a.error.unified_code.clone(),
                unified_message: a.error.unified_message.clone(),
                created_at: a.created_at.clone(),
                modified_at: a.modified_at.clone(),
                authentication_type: authentication_type.clone(),
                payment_method_type: payment_method_type.clone(),
            })
            .collect(),
        attempt_count: i64::try_from(p.attempts.len()).unwrap_or(i64::MAX),
        client_secret: None,
        customer_id: customer.and_then(|c| c.id.clone()),
        customer: customer.map(customer_object),
        email: customer
            .and_then(|c| c.email.as_ref())
            .map(|e| e.as_str().to_owned()),
        name: customer.and_then(|c| c.name.clone()),
        phone: customer
            .and_then(|c| c.phone.as_ref())
            .map(|phone| phone.number.clone()),
        billing: d.billing.as_ref().map(contact_object),
        shipping: d.shipping.as_ref().map(contact_object),
        merchant_order_reference_id: d.merchant_order_reference_id.clone(),
        reference_id: p.connector_transaction_id.as_ref().map(|_| p.id.clone()),
        statement_descriptor_name: d.statement_descriptor.name.clone(),
        statement_descriptor_suffix: d.statement_descriptor.suffix.clone(),
        authentication_type,
        payment_method_type,
        browser_info: d.browser_info.as_ref().map(browser_info_object),
        network_transaction_id: p.network_transaction_id.clone(),
        external_authentication_details: p.authentication.as_ref().map(authentication_details),
        external_3ds_authentication_attempted: p.authentication.as_ref().map(|_| true),
        issuer_error_code: p.error.issuer_code.clone(),
        issuer_error_message: None,
    }
}

/// `payment_method_data`: what is kept of the card (never the number beyond its first six and
/// last four digits, never the CVC or the cardholder's name), and the billing contact.
fn payment_method_data(p: &Payment, network: Option<String>) -> Option<Value> {
    if let Some(wallet) = p.details.wallet {
        return Some(serde_json::json!({
            "wallet": {wallet.name(): {"last4": p.card_last4, "card_network": network}},
            "billing": p.details.billing.as_ref().map(contact_object),
        }));
    }
    let last4 = p.card_last4.as_ref()?;
    let card = p.details.card.as_ref();
    Some(serde_json::json!({
        "card": {
            "last4": last4,
            "card_network": network,
            "card_isin": card.map(|c| c.isin.clone()),
            "card_exp_month": card.map(|c| format!("{:02}", c.exp_month)),
            "card_exp_year": card.map(|c| c.exp_year.to_string()),
            "card_type": p.details.payment_method_type.map(|t| enum_name(&t)),
            "card_issuer": null,
            "card_issuing_country": null,
            "card_holder_name": null,
        },
        "billing": p.details.billing.as_ref().map(contact_object),
    }))
}

fn customer_object(c: &Customer) -> CustomerBody {
    CustomerBody {
        id: c.id.clone(),
        name: c.name.clone(),
        email: c.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: c.phone.as_ref().map(|p| p.number.clone()),
        phone_country_code: c.phone.as_ref().and_then(|p| p.country_code.clone()),
    }
}

fn contact_object(c: &Contact) -> ContactBody {
    ContactBody {
        address: c.address.as_ref().map(|a| AddressBody {
            city: a.city.clone(),
            country: a.country.map(|c| c.to_string()),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            line3: a.line3.clone(),
            zip: a.zip.clone(),
            state: a.state.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
        }),
        phone: c.phone.as_ref().map(|p| PhoneBody {
            number: Some(p.number.clone()),
            country_code: p.country_code.clone(),
        }),
        email: c.email.as_ref().map(|e| e.as_str().to_owned()),
    }
}

fn browser_info_object(b: &BrowserInfo) -> BrowserInfoBody {
    BrowserInfoBody {
        color_depth: b.color_depth,
        java_enabled: b.java_enabled,
        java_script_enabled: b.java_script_enabled,
        language: b.language.clone(),
        screen_height: b.screen_height,
        screen_width: b.screen_width,
        time_zone: b.time_zone,
        ip_address: b.ip_address.map(|ip| ip.to_string()),
        accept_header: b.accept_header.clone(),
        user_agent: b.user_agent.clone(),
        os_type: b.os_type.clone(),
        os_version: b.os_version.clone(),
        device_model: b.device_model.clone(),
        accept_language: b.accept_language.clone(),
        referer: b.referer.clone(),
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
        issuer_error_code: None,
        issuer_error_message: None,
    }
}

/// `external_authentication_details`.
fn authentication_details(a: &Authentication) -> ExternalAuthenticationDetails {
    ExternalAuthenticationDetails {
        authentication_flow: a.flow.as_ref().map(enum_name),
        electronic_commerce_indicator: a.eci.clone(),
        status: enum_name(&a.status),
        ds_transaction_id: a.ds_transaction_id.clone(),
        version: a.message_version.clone(),
        error_code: a.error_code.clone(),
        error_message: a.error_message.clone(),
        authentication_connector: a.authenticator.clone(),
        trans_status: a.trans_status.map(|t| t.code().to_owned()),
        three_ds_server_trans_id: a.server_transaction_id.clone(),
    }
}

/// How often a client polls the payment while its challenge runs.
const POLL_DELAY_SECS: u32 = 2;
/// How many times.
const POLL_FREQUENCY: u32 = 5;

/// The `three_ds_invoke` next action of a payment waiting for its external authentication:
/// what the client runs (the 3DS Method, then authentication; after a challenge,
/// `complete_authorize`).
fn three_ds_invoke(p: &Payment) -> Option<Value> {
    let a = p.authentication.as_ref()?;
    if p.status != paybridge_core::PaymentStatus::RequiresCustomerAction
        || !(a.awaits_authentication() || a.awaits_challenge())
    {
        return None;
    }
    let method = a.method.as_ref().filter(|_| a.awaits_authentication());
    let challenge = a.challenge.as_ref().filter(|_| a.awaits_challenge());
    Some(serde_json::json!({
        "type": "three_ds_invoke",
        "three_ds_data": {
            "three_ds_authentication_url": format!("/payments/{}/3ds/authentication", p.id),
            "three_ds_authorize_url": format!("/payments/{}/complete_authorize", p.id),
            "three_ds_method_details": {
                "three_ds_method_key": "threeDSMethodData",
                "three_ds_method_data_submission": method.is_some(),
                "three_ds_method_data": method.map(|m| m.data.clone()),
                "three_ds_method_url": method.map(|m| m.url.clone()),
            },
            "challenge": challenge.map(|c| serde_json::json!({
                "acs_url": c.acs_url,
                "challenge_request": c.creq,
            })),
            "poll_config": {
                "poll_id": format!("external_authentication_{}", p.id),
                "delay_in_secs": POLL_DELAY_SECS,
                "frequency": POLL_FREQUENCY,
            },
            "message_version": a.message_version,
            "directory_server_id": a.directory_server,
        }
    }))
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
