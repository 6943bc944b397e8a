//! What happens to a payment: [`begin`] before the processor is called, [`apply`] for every
//! answer, sync and webhook event afterwards.

use paybridge_core::{
    AuthorizationStatus, CancelPostCaptureResponse, CaptureResponse, ConnectorError,
    DeclineDetails, ExtendAuthorizationResponse, IncrementalAuthorizationResponse, MinorUnit,
    PaymentResponse, PaymentStatus as S, RefundResponse, RefundStatus, VoidResponse, WebhookEvent,
};
use serde_json::Value;

use super::payment::{
    enum_name, format_time, is_captured, minus, plus, AttemptStatus, Capture, CaptureStatus,
    ErrorDetails, Increment, Payment, Refund,
};
use super::Plan;

/// A processor's answer to a call: a verdict, no verdict known (timeout, connection lost after
/// sending), or a refusal that changed nothing at the processor.
#[derive(Debug)]
pub enum Answer<'a, T> {
    /// The processor answered.
    Verdict(&'a T),
    /// Nobody knows whether the processor acted.
    Unknown(&'a ConnectorError),
    /// The processor refused, or the call never left.
    Refused(&'a ConnectorError),
}

impl<T> Clone for Answer<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Answer<'_, T> {}

impl<'a, T> Answer<'a, T> {
    /// Sorts a connector's result.
    pub fn of(result: &'a Result<T, ConnectorError>) -> Self {
        match result {
            Ok(answer) => Answer::Verdict(answer),
            Err(err) if err.outcome_unknown() => Answer::Unknown(err),
            Err(err) => Answer::Refused(err),
        }
    }
}

/// Something that happened to a payment.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The answer to the authorization.
    Authorized(Answer<'a, PaymentResponse>),
    /// The answer to complete authorize.
    Completed(Answer<'a, PaymentResponse>),
    /// The answer to capture `capture_id` (from [`begin`]).
    Captured {
        /// The pending capture.
        capture_id: &'a str,
        /// Whether the rest is released.
        final_capture: bool,
        /// The answer.
        answer: Answer<'a, CaptureResponse>,
    },
    /// The answer to a void.
    Voided(Answer<'a, VoidResponse>),
    /// The answer to incremental authorization `authorization_id`.
    Incremented {
        /// The pending increment.
        authorization_id: &'a str,
        /// The answer.
        answer: Answer<'a, IncrementalAuthorizationResponse>,
    },
    /// The processor extended the authorization (or is extending it).
    Extended(&'a ExtendAuthorizationResponse),
    /// The answer to cancel post capture, refunding with `refund_id`.
    CancelledPostCapture {
        /// The pending refund.
        refund_id: &'a str,
        /// The answer.
        answer: Answer<'a, CancelPostCaptureResponse>,
    },
    /// The answer to refund `refund_id`.
    Refunded {
        /// The pending refund.
        refund_id: &'a str,
        /// The answer.
        answer: Answer<'a, RefundResponse>,
    },
    /// What the processor says of refund `refund_id` now.
    RefundSynced {
        /// The refund.
        refund_id: &'a str,
        /// Its state at the processor.
        response: &'a RefundResponse,
    },
    /// What the processor says of the payment now.
    Synced(&'a PaymentResponse),
    /// A verified webhook event about the payment.
    Webhook(&'a WebhookEvent),
    /// The total the processor says it refunded on the payment, for a connector that cannot
    /// look refunds up: the refunds whose answer was lost (pending with no processor id) that
    /// it holds, beyond the refunds the processor named, succeeded, oldest first.
    RefundedTotal(MinorUnit),
    /// The processor has no record of an operation whose answer was lost, asked when the
    /// request could no longer arrive: it never happened, and what it reserved is released.
    NeverReceived(Lost<'a>),
}

/// An operation whose answer was lost, by what it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost<'a> {
    /// The payment's authorization (the create).
    Authorization,
    /// Capture `id`.
    Capture(&'a str),
    /// Refund `id` (also a cancel post capture's).
    Refund(&'a str),
}

/// The code an operation that never reached its processor fails with.
pub const NOT_FOUND_AT_PROCESSOR: &str = "not_found_at_processor";

/// The pending record [`begin`] wrote for a plan, to name in its [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// Nothing to reserve.
    Nothing,
    /// A capture, its amount taken off the capturable amount.
    Capture(String),
    /// An incremental authorization.
    Increment(String),
    /// A refund (also of cancel post capture).
    Refund(String),
}

/// Writes what `plan` reserves: a pending capture (its amount no longer capturable), refund or
/// increment, named `id`; the operation's `reason` and refund `metadata` with it.
pub fn begin(
    payment: &mut Payment,
    plan: &Plan,
    id: &str,
    reason: Option<&str>,
    metadata: Value,
    now: &str,
) -> Started {
    match *plan {
        Plan::Capture {
            amount,
            final_capture,
        } => {
            let sequence = u32::try_from(payment.captures.len()).unwrap_or(u32::MAX - 1) + 1;
            payment.captures.push(Capture {
                id: id.to_owned(),
                status: CaptureStatus::Pending,
                amount,
                connector_capture_id: None,
                sequence,
                final_capture,
                error_code: None,
                error_message: None,
                created_at: now.to_owned(),
            });
            payment.amount_capturable = minus(payment.amount_capturable, amount);
            Started::Capture(id.to_owned())
        }
        Plan::IncrementAuthorization { current, new_total } => {
            payment.increments.push(Increment {
                id: id.to_owned(),
                new_total,
                previously_authorized: current,
                status: AuthorizationStatus::Processing,
                error_code: None,
                error_message: None,
                created_at: now.to_owned(),
            });
            Started::Increment(id.to_owned())
        }
        Plan::Refund { amount } | Plan::CancelPostCapture { amount } => {
            payment.refunds.push(Refund {
                id: id.to_owned(),
                amount,
                status: RefundStatus::Pending,
                reason: reason.map(str::to_owned),
                metadata,
                connector_refund_id: None,
                error: ErrorDetails::default(),
                created_at: now.to_owned(),
                updated_at: now.to_owned(),
            });
            if matches!(plan, Plan::CancelPostCapture { .. }) {
                payment.cancellation_reason = reason.map(str::to_owned);
                payment.cancel_post_capture_refund = Some(id.to_owned());
            }
            Started::Refund(id.to_owned())
        }
        Plan::Void => {
            // A void in flight: stored so before it is sent, a crash leaves the payment to the
            // reconciler's sync instead of showing an authorization that may be gone.
            payment.cancellation_reason = reason.map(str::to_owned);
            payment.status = S::Processing;
            Started::Nothing
        }
        Plan::ExtendAuthorization
        | Plan::CompleteAuthorize
        | Plan::CompleteBySync
        | Plan::Sync
        | Plan::Authenticate
        | Plan::CompleteAuthentication => Started::Nothing,
        Plan::Abandon => {
            super::authentication::abandon(payment, reason.map(str::to_owned), now);
            Started::Nothing
        }
    }
}

/// Applies `outcome` to `payment`; `true` when something changed.
pub fn apply(payment: &mut Payment, outcome: Outcome<'_>, now: &str) -> bool {
    let before = payment.clone();
    match outcome {
        Outcome::Authorized(answer) => match answer {
            Answer::Verdict(response) => payment_answer(payment, response, now),
            Answer::Unknown(err) => {
                payment.status = S::Processing;
                payment.error.code = Some("outcome_unknown".into());
                payment.error.message = Some(unknown_message(err));
            }
            Answer::Refused(err) => {
                payment.status = S::Failed;
                payment.error.code = Some(error_code(err));
                payment.error.message = Some(err.to_string());
                let error = payment.error.clone();
                if let Some(attempt) = payment.attempts.last_mut() {
                    attempt.status = AttemptStatus::Failure;
                    attempt.error.code = error.code;
                    attempt.error.message = error.message;
                    attempt.modified_at = now.to_owned();
                }
            }
        },
        Outcome::Completed(answer) => match answer {
            Answer::Verdict(response) => payment_answer(payment, response, now),
            Answer::Unknown(err) => {
                payment.status = S::Processing;
                payment.error.message = Some(unknown_message(err));
            }
            Answer::Refused(_) => {}
        },
        Outcome::Captured {
            capture_id,
            final_capture,
            answer,
        } => capture_answer(payment, capture_id, final_capture, answer),
        Outcome::Voided(answer) => match answer {
            Answer::Verdict(response) => {
                payment.status = response.status;
                if response.status == S::Cancelled {
                    payment.amount_capturable = MinorUnit::ZERO;
                    payment.set_attempt(AttemptStatus::Voided, now);
                }
            }
            Answer::Unknown(err) => {
                payment.status = S::Processing;
                payment.error.message = Some(unknown_message(err));
            }
            Answer::Refused(_) => {}
        },
        Outcome::Incremented {
            authorization_id,
            answer,
        } => increment_answer(payment, authorization_id, answer),
        Outcome::Extended(response) => {
            if response.status != AuthorizationStatus::Failure {
                payment.extended_authorization_applied =
                    Some(response.extended_authorization_applied);
                if response.extended_authorization_applied {
                    payment.extended_authorization_last_applied_at = Some(now.to_owned());
                }
                if let Some(expires) = response.expires_at {
                    payment.expires_on = Some(format_time(expires));
                    payment.capture_before = payment.expires_on.clone();
                }
            }
        }
        Outcome::CancelledPostCapture { refund_id, answer } => match answer {
            // The payment's status follows the refund's (see `follow_cancel_post_capture`), not
            // the answer's: a failed refund leaves a partial capture partially captured.
            Answer::Verdict(response) => {
                if let Some(refund) = payment.refund_mut(refund_id) {
                    refund_answer(refund, &response.refund, now);
                }
            }
            Answer::Unknown(err) => {
                if let Some(refund) = payment.refund_mut(refund_id) {
                    refund.error.message = Some(unknown_message(err));
                }
                payment.status = S::Processing;
            }
            Answer::Refused(err) => refund_refused(payment, refund_id, err, now),
        },
        Outcome::Refunded { refund_id, answer } => match answer {
            Answer::Verdict(response) => {
                if let Some(refund) = payment.refund_mut(refund_id) {
                    refund_answer(refund, response, now);
                }
            }
            Answer::Unknown(err) => {
                if let Some(refund) = payment.refund_mut(refund_id) {
                    refund.error.message = Some(unknown_message(err));
                }
            }
            Answer::Refused(err) => refund_refused(payment, refund_id, err, now),
        },
        Outcome::RefundSynced {
            refund_id,
            response,
        } => {
            if let Some(refund) = payment.refund_mut(refund_id) {
                refund_answer(refund, response, now);
            }
        }
        Outcome::Synced(response) => {
            payment_answer(payment, response, now);
            settle_children(payment, response);
        }
        Outcome::Webhook(event) => super::webhook::apply(payment, event, now),
        Outcome::NeverReceived(lost) => never_received(payment, lost, now),
        Outcome::RefundedTotal(total) => refunds_within(payment, total, now),
    }
    follow_cancel_post_capture(payment);
    // Whatever an answer said, no more can be captured than was authorized and not captured.
    payment.amount_capturable = payment
        .amount_capturable
        .min(minus(payment.amount, payment.amount_received));
    *payment != before
}

/// A payment answer (authorize, complete, sync): the processor's status and amounts.
fn payment_answer(p: &mut Payment, r: &PaymentResponse, now: &str) {
    if !r.connector_payment_id.is_empty() {
        p.connector_transaction_id = Some(r.connector_payment_id.clone());
    }
    // No verdict while the customer acts: the customer may still need the redirect, and only
    // the processor's decision moves the payment on.
    if p.status == S::RequiresCustomerAction
        && matches!(r.status, S::Processing | S::RequiresCustomerAction)
        && r.next_action.is_none()
    {
        return;
    }
    p.status = r.status;
    // The balances decide, whatever a status name says: a "succeeded" payment with an amount
    // still capturable is partially captured.
    if r.status == S::Succeeded
        && !r.amounts.capturable.is_zero()
        && r.amounts.received < r.amounts.authorized
    {
        p.status = S::PartiallyCapturedAndCapturable;
    }
    p.amount_capturable = r.amounts.capturable;
    p.amount_received = r.amounts.received;
    if r.amounts.authorized > p.amount {
        p.amount = r.amounts.authorized;
    }
    if let Some(allowed) = r.incremental_authorization_allowed {
        p.incremental_authorization_allowed = Some(allowed);
    }
    if let Some(applied) = r.extended_authorization_applied {
        if applied && p.extended_authorization_applied != Some(true) {
            p.extended_authorization_last_applied_at = Some(now.to_owned());
        }
        p.extended_authorization_applied = Some(applied);
    }
    if let Some(t) = r.capture_before {
        p.capture_before = Some(format_time(t));
    }
    if let Some(t) = r.expires_at {
        p.expires_on = Some(format_time(t));
    }
    if let Some(network) = r.card_network {
        p.card_network = Some(network);
    }
    if let Some(id) = &r.network_transaction_id {
        p.network_transaction_id = Some(id.clone());
    }
    p.next_action = r.next_action.clone();
    let authorized = !matches!(
        r.status,
        S::Failed
            | S::Processing
            | S::RequiresCustomerAction
            | S::RequiresPaymentMethod
            | S::RequiresConfirmation
    );
    if authorized && p.authorization_count == 0 {
        p.authorization_count = 1;
    }
    match &r.decline {
        Some(decline) => p.error = decline_details(decline),
        None if r.status != S::Failed => p.error = ErrorDetails::default(),
        None => {}
    }
    let status = attempt_status(r.status);
    let (error, transaction) = (p.error.clone(), p.connector_transaction_id.clone());
    if let Some(attempt) = p.attempts.last_mut() {
        attempt.status = status;
        attempt.connector_transaction_id = transaction;
        attempt.error = error;
        attempt.modified_at = now.to_owned();
    }
}

fn capture_answer(
    p: &mut Payment,
    capture_id: &str,
    final_capture: bool,
    answer: Answer<'_, CaptureResponse>,
) {
    // Only a pending capture takes an answer: one already settled (by a sync, a webhook, or an
    // answer applied before) would count its amount twice.
    let Some(index) = p
        .captures
        .iter()
        .position(|c| c.id == capture_id && c.status == CaptureStatus::Pending)
    else {
        return;
    };
    let amount = p.captures[index].amount;
    match answer {
        Answer::Verdict(response) => {
            let capture = &mut p.captures[index];
            capture.connector_capture_id = response.connector_capture_id.clone();
            match response.status {
                S::Failed => {
                    capture.status = CaptureStatus::Failed;
                    capture.error_message = Some(format!("capture {}", response.raw_status));
                    p.amount_capturable = plus(p.amount_capturable, amount);
                }
                S::Processing => p.status = S::Processing,
                _ => {
                    capture.status = CaptureStatus::Charged;
                    p.amount_received = plus(p.amount_received, amount);
                    if final_capture {
                        p.amount_capturable = MinorUnit::ZERO;
                    }
                    p.status = p.captured_status();
                }
            }
            if let Some(amounts) = response.amounts {
                if response.status != S::Processing {
                    p.amount_capturable = amounts.capturable;
                    p.amount_received = amounts.received;
                    // An increment whose answer was lost shows here first.
                    p.amount = p.amount.max(amounts.authorized);
                }
            }
        }
        Answer::Unknown(err) => {
            p.captures[index].error_message = Some(unknown_message(err));
            p.status = S::Processing;
        }
        Answer::Refused(err) => {
            let capture = &mut p.captures[index];
            capture.status = CaptureStatus::Failed;
            capture.error_code = Some(error_code(err));
            capture.error_message = Some(err.to_string());
            p.amount_capturable = plus(p.amount_capturable, amount);
        }
    }
}

fn increment_answer(
    p: &mut Payment,
    authorization_id: &str,
    answer: Answer<'_, IncrementalAuthorizationResponse>,
) {
    let Some(index) = p
        .increments
        .iter()
        .position(|i| i.id == authorization_id && i.status == AuthorizationStatus::Processing)
    else {
        return;
    };
    match answer {
        Answer::Verdict(response) => {
            let increment = &mut p.increments[index];
            increment.status = response.status;
            match response.status {
                AuthorizationStatus::Success => {
                    let authorized = response.authorized.max(increment.new_total);
                    p.amount_capturable = plus(p.amount_capturable, minus(authorized, p.amount));
                    p.amount = authorized;
                    p.authorization_count += 1;
                    if let Some(expires) = response.expires_at {
                        p.expires_on = Some(format_time(expires));
                    }
                }
                AuthorizationStatus::Failure => {
                    if let Some(decline) = &response.decline {
                        increment.error_code = decline.code.clone();
                        increment.error_message = decline
                            .message
                            .clone()
                            .or_else(|| Some(decline.unified.message().to_owned()));
                    }
                }
                AuthorizationStatus::Processing => {}
            }
        }
        Answer::Unknown(err) => p.increments[index].error_message = Some(unknown_message(err)),
        Answer::Refused(err) => {
            let increment = &mut p.increments[index];
            increment.status = AuthorizationStatus::Failure;
            increment.error_code = Some(error_code(err));
            increment.error_message = Some(err.to_string());
        }
    }
}

fn refund_answer(refund: &mut Refund, response: &RefundResponse, now: &str) {
    refund.connector_refund_id = Some(response.connector_refund_id.clone());
    refund.status = response.status;
    if response.status == RefundStatus::Failed {
        refund.error.message = response
            .failure_reason
            .clone()
            .or(Some(response.raw_status.clone()));
    }
    refund.updated_at = now.to_owned();
}

fn refund_refused(p: &mut Payment, refund_id: &str, err: &ConnectorError, now: &str) {
    if let Some(refund) = p.refund_mut(refund_id) {
        refund.status = RefundStatus::Failed;
        refund.error.code = Some(error_code(err));
        refund.error.message = Some(err.to_string());
        refund.updated_at = now.to_owned();
    }
}

fn refunds_within(p: &mut Payment, total: MinorUnit, now: &str) {
    let named = |r: &Refund| {
        r.status == RefundStatus::Succeeded
            || (r.status == RefundStatus::Pending && r.connector_refund_id.is_some())
    };
    let mut accounted = p
        .refunds
        .iter()
        .filter(|r| named(r))
        .fold(MinorUnit::ZERO, |sum, r| plus(sum, r.amount));
    for refund in p
        .refunds
        .iter_mut()
        .filter(|r| r.status == RefundStatus::Pending && r.connector_refund_id.is_none())
    {
        let with = plus(accounted, refund.amount);
        if with > total {
            break;
        }
        refund.status = RefundStatus::Succeeded;
        refund.error = ErrorDetails::default();
        refund.updated_at = now.to_owned();
        accounted = with;
    }
}

fn never_received(p: &mut Payment, lost: Lost<'_>, now: &str) {
    let message = "the processor has no record of this request, so it never took effect";
    match lost {
        Lost::Authorization => {
            let unknown = p.status == S::Processing
                && p.connector_transaction_id.is_none()
                && p.authorization_count == 0;
            if unknown {
                p.status = S::Failed;
                p.error = ErrorDetails {
                    code: Some(NOT_FOUND_AT_PROCESSOR.into()),
                    message: Some(message.into()),
                    ..ErrorDetails::default()
                };
                let error = p.error.clone();
                if let Some(attempt) = p.attempts.last_mut() {
                    attempt.status = AttemptStatus::Failure;
                    attempt.error = error;
                    attempt.modified_at = now.to_owned();
                }
            }
        }
        Lost::Capture(id) => {
            let Some(capture) = p
                .capture_mut(id)
                .filter(|c| c.status == CaptureStatus::Pending)
            else {
                return;
            };
            capture.status = CaptureStatus::Failed;
            capture.error_code = Some(NOT_FOUND_AT_PROCESSOR.into());
            capture.error_message = Some(message.into());
            let amount = capture.amount;
            p.amount_capturable = plus(p.amount_capturable, amount);
            let pending = p
                .captures
                .iter()
                .any(|c| c.status == CaptureStatus::Pending);
            if p.status == S::Processing && !pending {
                p.status = if p.amount_received.is_zero() {
                    S::RequiresCapture
                } else {
                    p.captured_status()
                };
            }
        }
        Lost::Refund(id) => {
            if let Some(refund) = p
                .refund_mut(id)
                .filter(|r| r.status == RefundStatus::Pending)
            {
                refund.status = RefundStatus::Failed;
                refund.error.code = Some(NOT_FOUND_AT_PROCESSOR.into());
                refund.error.message = Some(message.into());
                refund.updated_at = now.to_owned();
            }
        }
    }
}

/// After a sync: operations left pending are settled from the processor's amounts.
fn settle_children(p: &mut Payment, r: &PaymentResponse) {
    let captured = is_captured(r.status) || r.status == S::CancelledPostCapture;
    let dead = matches!(r.status, S::Cancelled | S::Failed | S::Expired);
    let received = r.amounts.received;
    let mut charged = p.charged();
    for capture in p
        .captures
        .iter_mut()
        .filter(|c| c.status == CaptureStatus::Pending)
    {
        if captured && plus(charged, capture.amount) <= received {
            capture.status = CaptureStatus::Charged;
            charged = plus(charged, capture.amount);
        } else if dead {
            capture.status = CaptureStatus::Failed;
        }
    }
    let authorized = r.amounts.authorized;
    let mut succeeded = 0;
    for increment in p
        .increments
        .iter_mut()
        .filter(|i| i.status == AuthorizationStatus::Processing)
    {
        if authorized >= increment.new_total {
            increment.status = AuthorizationStatus::Success;
            succeeded += 1;
        } else if r.status != S::RequiresCapture || authorized <= increment.previously_authorized {
            increment.status = AuthorizationStatus::Failure;
        }
    }
    p.authorization_count += succeeded;
}

/// The payment follows the refund of its cancel post capture: `processing` while it is
/// pending, `cancelled_post_capture` once it succeeded, captured again if it failed — whatever
/// the processor's payment status says (a refunded payment reads "succeeded" at most of them).
fn follow_cancel_post_capture(p: &mut Payment) {
    let Some(refund_id) = p.cancel_post_capture_refund.clone() else {
        return;
    };
    match p.refund(&refund_id).map(|r| r.status) {
        Some(RefundStatus::Succeeded) if is_captured(p.status) || p.status == S::Processing => {
            p.status = S::CancelledPostCapture;
        }
        Some(RefundStatus::Pending) if is_captured(p.status) => p.status = S::Processing,
        Some(RefundStatus::Failed) => {
            let capture_pending = p
                .captures
                .iter()
                .any(|c| c.status == CaptureStatus::Pending);
            if matches!(p.status, S::Processing | S::CancelledPostCapture) && !capture_pending {
                p.status = p.captured_status();
            }
        }
        _ => {}
    }
}

pub(super) fn decline_details(decline: &DeclineDetails) -> ErrorDetails {
    ErrorDetails {
        code: decline.code.clone(),
        message: decline.message.clone(),
        unified_code: Some(enum_name(&decline.unified)),
        unified_message: Some(decline.unified.message().to_owned()),
        issuer_code: decline.network_decline_code.clone(),
    }
}

fn error_code(err: &ConnectorError) -> String {
    err.processor_message()
        .and_then(|m| m.code().map(str::to_owned))
        .unwrap_or_else(|| crate::error::ApiError::from_connector(err).code)
}

/// The message kept on an operation whose outcome is unknown.
pub(crate) fn unknown_message(err: &ConnectorError) -> String {
    format!("the processor's answer is unknown ({err}); sync the payment to learn the outcome")
}

fn attempt_status(status: S) -> AttemptStatus {
    match status {
        S::RequiresCapture | S::PartiallyAuthorizedAndRequiresCapture => AttemptStatus::Authorized,
        S::Succeeded | S::PartiallyCaptured | S::PartiallyCapturedAndCapturable => {
            AttemptStatus::Charged
        }
        S::RequiresCustomerAction => AttemptStatus::AuthenticationPending,
        S::Failed => AttemptStatus::Failure,
        S::Cancelled | S::Expired => AttemptStatus::Voided,
        _ => AttemptStatus::Pending,
    }
}
