//! Settling what waits for a processor's verdict after its answer was lost (a timeout, a
//! crash, a dropped connection): one payment at a time, as [`crate::reconciler`] asks.
//!
//! A payment with a processor id is synced (its refunds with theirs too). What has no processor
//! id is looked up by the reference it was sent with: the authorization by the payment's id,
//! a refund by its own. What the processor still has no record of once `not_found_after` has
//! passed since it was sent never happened ([`Outcome::NeverReceived`]): it fails, and what it
//! reserved is released. A capture is found through the payment's amounts, and so is a refund
//! where the connector cannot look refunds up (the payment's refunded total).

use std::sync::Arc;
use std::time::Duration;

use paybridge_core::*;
use time::OffsetDateTime;

use super::create::lookup_authorization;
use super::{format_time, sync, Caller, Payments};
use crate::domain::{self, Answer, AttemptStatus, CaptureStatus, Lost, Outcome, Payment};
use crate::error::ApiError;
use crate::store::UnsettledPayment;

/// What one pass did with a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// Nothing waits for a verdict any more.
    Settled,
    /// Something still does, for these reasons.
    Open(Vec<String>),
    /// A request or another router instance is changing the payment now; try later.
    Busy,
}

/// A cutoff before every time: "not found" proves nothing yet.
pub(super) const NO_CUTOFF: &str = "";

/// How long the reconciler waits for a payment's lock before leaving it for the next pass.
const LOCK_WAIT: Duration = Duration::from_millis(200);

impl Payments {
    /// Settles what `unsettled` waits for as far as its processor can tell now.
    pub async fn reconcile(
        &self,
        unsettled: &UnsettledPayment,
        not_found_after: Duration,
    ) -> Result<Reconciled, ApiError> {
        let payment_id = unsettled.payment_id.as_str();
        let Ok(_guard) = tokio::time::timeout(LOCK_WAIT, self.locks.lock(payment_id)).await else {
            return Ok(Reconciled::Busy);
        };
        let caller = Caller {
            merchant_id: unsettled.merchant_id.clone(),
            idempotency_key: None,
            operation: None,
        };
        let record = self.load(&caller, payment_id).await?;
        // Any live hold, this instance's included: a create holds its payment while its first
        // call runs, and nothing else takes the payment's lock then.
        if record
            .payment
            .lease_until
            .is_some_and(|until| until > super::now_ms())
        {
            return Ok(Reconciled::Busy);
        }
        let mut open = self.opened(record)?;
        if !open.payment.awaiting_verdict() {
            return Ok(Reconciled::Settled);
        }
        match self.claim(&mut open).await {
            Ok(()) => {}
            Err(err) if err.code == super::CONCURRENT_MODIFICATION => return Ok(Reconciled::Busy),
            Err(err) => return Err(err),
        }
        let cutoff = format_time(OffsetDateTime::now_utc() - not_found_after);
        let reasons = self
            .holding(
                payment_id,
                settle_unknown(&open.connector, &mut open.payment, &cutoff),
            )
            .await;
        self.save(&mut open).await?;
        Ok(if open.payment.awaiting_verdict() {
            Reconciled::Open(reasons)
        } else {
            Reconciled::Settled
        })
    }
}

/// Asks the processor about everything `payment` waits for and applies what it says; what was
/// sent before `cutoff` and is still not found never happened. The reasons why something is
/// still open.
async fn settle_unknown(
    connector: &Arc<dyn Connector>,
    payment: &mut Payment,
    cutoff: &str,
) -> Vec<String> {
    let mut open = Vec::new();
    if payment.connector_transaction_id.is_none() {
        let authorization_unknown = payment.status == PaymentStatus::Processing
            && payment
                .attempts
                .last()
                .is_some_and(|a| a.status == AttemptStatus::Pending);
        if authorization_unknown {
            settle_lost_authorization(connector, payment, cutoff, &mut open).await;
        }
        return open;
    }
    let synced = match sync(connector, payment).await {
        Ok(synced) => synced,
        Err(err) => {
            open.push(format!(
                "the processor did not answer a sync: {}",
                err.message
            ));
            return open;
        }
    };
    settle_lost_refunds(connector, payment, &synced, Some(cutoff), &mut open).await;
    let now = super::now();
    let lost: Vec<String> = payment
        .captures
        .iter()
        .filter(|c| c.status == CaptureStatus::Pending && c.created_at.as_str() < cutoff)
        .map(|c| c.id.clone())
        .collect();
    for capture_id in &lost {
        // The payment's amounts, just synced, do not hold it.
        domain::apply(
            payment,
            Outcome::NeverReceived(Lost::Capture(capture_id)),
            &now,
        );
    }
    if payment
        .captures
        .iter()
        .any(|c| c.status == CaptureStatus::Pending)
    {
        open.push("a capture is not reflected in the processor's amounts yet".into());
    }
    if payment
        .increments
        .iter()
        .any(|i| i.status == AuthorizationStatus::Processing)
    {
        open.push("an incremental authorization has no verdict yet".into());
    }
    if payment.status == PaymentStatus::Processing && open.is_empty() {
        open.push("the processor still reports the payment as processing".into());
    }
    open
}

/// Looks up the authorization of `payment` whose answer was lost, by its reference, and
/// applies what the processor has. Not found and sent before `cutoff` (RFC 3339), it never
/// happened; [`NO_CUTOFF`] concludes nothing from "not found".
pub(super) async fn settle_lost_authorization(
    connector: &Arc<dyn Connector>,
    payment: &mut Payment,
    cutoff: &str,
    open: &mut Vec<String>,
) {
    if !connector.capabilities().supports(Flow::PaymentLookup) {
        open.push(format!(
            "the authorization's answer was lost and connector {} cannot look payments up by \
             reference; ask the processor for reference {}",
            connector.id(),
            payment.id
        ));
        return;
    }
    // When the authorization was sent: at creation, or (after an external 3DS
    // authentication) when its attempt was last set pending.
    let sent = payment
        .attempts
        .last()
        .map_or(payment.created.clone(), |a| a.modified_at.clone());
    let sent_at =
        time::OffsetDateTime::parse(&sent, &time::format_description::well_known::Rfc3339).ok();
    match lookup_authorization(connector, &payment.id, sent_at, payment.capture_method).await {
        Ok(Some(found)) => {
            let outcome = Outcome::Authorized(Answer::Verdict(&found));
            domain::apply(payment, outcome, &super::now());
        }
        Ok(None) if sent.as_str() < cutoff => {
            domain::apply(
                payment,
                Outcome::NeverReceived(Lost::Authorization),
                &super::now(),
            );
        }
        Ok(None) => open.push("the authorization is not found at the processor yet".into()),
        Err(err) => open.push(format!("the payment lookup failed: {err}")),
    }
}

/// Finds the refunds of `payment` whose answer was lost (pending, no processor id), `synced`
/// just now: by their reference, or through the processor's refunded total where the connector
/// cannot look refunds up. One still not found that was sent before `cutoff` never happened;
/// without a cutoff nothing is concluded from "not found".
pub(super) async fn settle_lost_refunds(
    connector: &Arc<dyn Connector>,
    payment: &mut Payment,
    synced: &PaymentResponse,
    cutoff: Option<&str>,
    open: &mut Vec<String>,
) {
    let unnamed: Vec<(String, bool)> = payment
        .refunds
        .iter()
        .filter(|r| r.status == RefundStatus::Pending && r.connector_refund_id.is_none())
        .map(|r| {
            let old_enough = cutoff.is_some_and(|cutoff| r.updated_at.as_str() < cutoff);
            (r.id.clone(), old_enough)
        })
        .collect();
    let named_pending = payment
        .refunds
        .iter()
        .any(|r| r.status == RefundStatus::Pending && r.connector_refund_id.is_some());
    if named_pending {
        open.push("a refund is still pending at the processor".into());
    }
    if unnamed.is_empty() {
        return;
    }
    if !connector.capabilities().supports(Flow::RefundLookup) {
        // Found through the processor's refunded total instead; what it does not hold once
        // the window is over never happened.
        let now = super::now();
        domain::apply(
            payment,
            Outcome::RefundedTotal(synced.amounts.refunded),
            &now,
        );
        for (refund_id, old_enough) in unnamed {
            let pending = payment
                .refund(&refund_id)
                .is_some_and(|r| r.status == RefundStatus::Pending);
            if pending && old_enough {
                domain::apply(
                    payment,
                    Outcome::NeverReceived(Lost::Refund(&refund_id)),
                    &now,
                );
            } else if pending {
                open.push(format!(
                    "refund {refund_id} is not in the processor's refunded total yet"
                ));
            }
        }
        return;
    }
    let Some(connector_payment_id) = payment.connector_transaction_id.clone() else {
        return;
    };
    for (refund_id, old_enough) in unnamed {
        let request = RefundLookupRequest {
            connector_payment_id: connector_payment_id.clone(),
            reference: refund_id.clone(),
        };
        let now = super::now();
        match connector.find_refund(&request).await {
            Ok(RefundLookupResponse {
                refund: Some(response),
            }) => {
                let outcome = Outcome::RefundSynced {
                    refund_id: &refund_id,
                    response: &response,
                };
                domain::apply(payment, outcome, &now);
                if response.status == RefundStatus::Pending {
                    open.push(format!(
                        "refund {refund_id} is still pending at the processor"
                    ));
                }
            }
            Ok(RefundLookupResponse { refund: None }) if old_enough => {
                domain::apply(
                    payment,
                    Outcome::NeverReceived(Lost::Refund(&refund_id)),
                    &now,
                );
            }
            Ok(RefundLookupResponse { refund: None }) => {
                open.push(format!(
                    "refund {refund_id} is not found at the processor yet"
                ));
            }
            Err(err) => open.push(format!("the lookup of refund {refund_id} failed: {err}")),
        }
    }
}
