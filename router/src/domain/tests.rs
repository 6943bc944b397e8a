//! The payment state machine without SQL or HTTP: `plan`, `begin` and `apply` driven the way
//! `crate::payments` drives them, on payments built in a given state.

mod authentication;
mod authorize;
mod capture;
mod events;
mod increment;
mod model;
mod never_received;
mod refund;
mod refusals;
mod webhook;

use paybridge_core::{
    AuthorizationStatus, Capabilities, CaptureMethod, CaptureResponse, Condition, ConnectorError,
    Currency, DeclineCode, DeclineDetails, Flow, MinorUnit, NextAction, PaymentResponse,
    PaymentStatus as S, ProcessorMessage, RefundResponse, RefundStatus, RejectionKind,
    WebhookEvent, WebhookEventKind,
};
use serde_json::{Map, Value};

use super::payment::{
    Attempt, AttemptStatus, Capture, CaptureStatus, ErrorDetails, Payment, PaymentDetails,
};
use super::{apply, begin, plan, Answer, Command, Outcome, Plan, Refusal, Started};

const NOW: &str = "2030-01-01T00:00:00.000Z";
const TRANSACTION: &str = "ch_1";

fn m(value: i64) -> MinorUnit {
    MinorUnit::new(value).expect("non-negative amount")
}

/// A connector that supports every flow, captures several times and increments freely.
fn caps() -> Capabilities {
    Flow::ALL
        .iter()
        .fold(Capabilities::new("toy"), |caps, flow| match flow {
            Flow::Capture | Flow::Refund => {
                caps.support(*flow, [Condition::Partial, Condition::Multiple])
            }
            _ => caps.support(*flow, []),
        })
}

/// [`caps`] with `conditions` on `flow`.
fn caps_with(flow: Flow, conditions: impl IntoIterator<Item = Condition>) -> Capabilities {
    caps().support(flow, conditions)
}

/// A manual-capture payment of 1000 in `status`, with amounts that fit it: nothing capturable
/// before an authorization, all of it captured once captured (one charged capture).
fn payment(status: S) -> Payment {
    let authorized = !matches!(
        status,
        S::Processing | S::RequiresCustomerAction | S::Failed | S::RequiresPaymentMethod
    );
    let captured = super::payment::is_captured(status) || status == S::CancelledPostCapture;
    let amount = m(1000);
    let mut p = Payment {
        id: "pay_1".into(),
        merchant_id: "m_1".into(),
        connector: "toy".into(),
        connector_transaction_id: Some(TRANSACTION.into()),
        status,
        amount,
        currency: Currency::USD,
        capture_method: CaptureMethod::Manual,
        amount_capturable: if status == S::RequiresCapture {
            amount
        } else {
            MinorUnit::ZERO
        },
        amount_received: if captured { amount } else { MinorUnit::ZERO },
        card_network: None,
        card_last4: Some("4242".into()),
        metadata: Map::new(),
        description: None,
        return_url: None,
        request_incremental_authorization: true,
        incremental_authorization_allowed: None,
        authorization_count: u32::from(authorized),
        request_extended_authorization: false,
        extended_authorization_applied: None,
        extended_authorization_last_applied_at: None,
        capture_before: None,
        expires_on: None,
        next_action: (status == S::RequiresCustomerAction).then(redirect),
        error: ErrorDetails::default(),
        cancellation_reason: None,
        created: NOW.into(),
        updated: NOW.into(),
        cancel_post_capture_refund: None,
        details: PaymentDetails::default(),
        client_secret_hash: None,
        network_transaction_id: None,
        authentication: None,
        attempts: vec![Attempt {
            id: "att_1".into(),
            status: AttemptStatus::Pending,
            amount,
            connector_transaction_id: Some(TRANSACTION.into()),
            error: ErrorDetails::default(),
            created_at: NOW.into(),
            modified_at: NOW.into(),
        }],
        captures: Vec::new(),
        increments: Vec::new(),
        refunds: Vec::new(),
    };
    if captured {
        p.captures.push(Capture {
            id: "cap_0".into(),
            status: CaptureStatus::Charged,
            amount,
            connector_capture_id: None,
            sequence: 1,
            final_capture: true,
            error_code: None,
            error_message: None,
            created_at: NOW.into(),
        });
    }
    p
}

/// A payment just created, as `create` stores it before the processor answers.
fn created() -> Payment {
    let mut p = payment(S::Processing);
    p.connector_transaction_id = None;
    p.attempts[0].connector_transaction_id = None;
    p
}

fn redirect() -> NextAction {
    NextAction::RedirectToUrl {
        url: "https://acs.example/challenge".into(),
    }
}

/// Plans `command` and writes what it reserves, as the driver does before calling the
/// processor; the id of the pending record.
fn start(p: &mut Payment, command: Command, caps: &Capabilities) -> (Plan, String) {
    let plan = plan(p, &command, caps).expect("the command is allowed");
    let id = format!(
        "op_{}",
        p.captures.len() + p.increments.len() + p.refunds.len() + 1
    );
    let id = match begin(p, &plan, &id, Some("why"), Value::Null, NOW) {
        Started::Capture(id) | Started::Increment(id) | Started::Refund(id) => id,
        Started::Nothing => String::new(),
    };
    (plan, id)
}

/// A processor's view of the payment: `status` with these amounts.
fn answer(status: S, authorized: i64, capturable: i64, received: i64) -> PaymentResponse {
    let mut r = PaymentResponse::new(TRANSACTION, status, "raw", Currency::USD);
    r.amounts.authorized = m(authorized);
    r.amounts.capturable = m(capturable);
    r.amounts.received = m(received);
    r
}

fn capture_answer(status: S) -> CaptureResponse {
    CaptureResponse {
        connector_capture_id: Some("cp_1".into()),
        status,
        amount: None,
        amounts: None,
        raw_status: "raw".into(),
    }
}

fn refund_answer(status: RefundStatus) -> RefundResponse {
    RefundResponse {
        connector_refund_id: "re_1".into(),
        status,
        amount: None,
        failure_reason: (status == RefundStatus::Failed).then(|| "insufficient balance".into()),
        raw_status: "raw".into(),
    }
}

fn decline() -> DeclineDetails {
    DeclineDetails::new(
        Some("51".into()),
        Some("Insufficient funds".into()),
        DeclineCode::InsufficientFunds,
    )
}

/// A timeout after sending: nobody knows whether the processor acted.
fn unknown() -> ConnectorError {
    ConnectorError::Timeout {
        after: std::time::Duration::from_secs(30),
        outcome_unknown: true,
    }
}

/// The processor refused; nothing changed there.
fn refused() -> ConnectorError {
    ConnectorError::Rejected {
        kind: RejectionKind::InvalidState,
        detail: ProcessorMessage {
            http_status: Some(409),
            codes: vec!["state_conflict".into()],
            message: Some("not allowed now".into()),
            request_id: None,
        },
    }
}

fn event(kind: WebhookEventKind) -> WebhookEvent {
    WebhookEvent {
        event_id: "evt_1".into(),
        kind,
        raw_type: "raw".into(),
        connector_payment_id: Some(TRANSACTION.into()),
        connector_action_id: None,
        payment_status: None,
        amount: None,
        currency: None,
        decline: None,
    }
}

/// Applies `event`, asserting it changes the payment once and a repeat changes nothing.
fn webhook_once(p: &mut Payment, event: &WebhookEvent) {
    assert!(
        apply(p, Outcome::Webhook(event), NOW),
        "{:?} changed nothing",
        event.kind
    );
    let after = p.clone();
    assert!(
        !apply(p, Outcome::Webhook(event), NOW),
        "{:?} again changed it",
        event.kind
    );
    assert_eq!(*p, after);
}
