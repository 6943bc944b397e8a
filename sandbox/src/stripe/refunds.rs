//! Refunds: against a PaymentIntent's captured Charge (or the Charge itself), up to what was
//! captured and not yet refunded; on [`super::cards::REFUND_FAILS`] they fail when next retrieved.

use time::OffsetDateTime;

use super::errors::ApiError;
use super::ids;
use super::model::{display_amount, Event, NewRefund, Refund, RefundStatus, RefundTarget};
use super::state::{unix, State};

impl State {
    /// `POST /v1/refunds`. Returns the refund id and its events.
    pub(crate) fn refund(
        &mut self,
        new: NewRefund,
        now: OffsetDateTime,
    ) -> Result<(String, Vec<Event>), ApiError> {
        let charge_id = match &new.target {
            RefundTarget::PaymentIntent(id) => {
                let intent = self.intents.get(id).ok_or_else(|| {
                    ApiError::missing("payment_intent", id, "payment_intent")
                        .status(axum::http::StatusCode::BAD_REQUEST)
                })?;
                let charge = intent
                    .latest_charge
                    .as_ref()
                    .and_then(|c| self.charges.get(c))
                    .filter(|c| c.captured && c.decline.is_none());
                match charge {
                    Some(charge) => charge.id.clone(),
                    None => {
                        return Err(ApiError::unexpected_state(format!(
                            "This PaymentIntent ({id}) does not have a successful charge to \
                             refund."
                        )))
                    }
                }
            }
            RefundTarget::Charge(id) => id.clone(),
        };
        let charge = self.charges.get(&charge_id).ok_or_else(|| {
            ApiError::missing("charge", &charge_id, "charge")
                .status(axum::http::StatusCode::BAD_REQUEST)
        })?;
        if let Some(intent) = &new.payment_intent {
            if *intent != charge.payment_intent {
                return Err(ApiError::validation(format!(
                    "The charge {charge_id} does not belong to the PaymentIntent {intent}."
                ))
                .param("charge"));
            }
        }
        if !charge.captured || charge.decline.is_some() {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} cannot be refunded: it has not been captured."
            ))
            .param("charge"));
        }
        if let Some(currency) = &new.currency {
            if *currency != charge.currency {
                return Err(ApiError::validation(format!(
                    "The currency of the refund ({currency}) must match the currency of the \
                     charge ({}).",
                    charge.currency
                ))
                .param("currency"));
            }
        }
        let refundable = charge.refundable();
        if refundable <= 0 {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has already been refunded."
            ))
            .code("charge_already_refunded"));
        }
        let amount = new.amount.unwrap_or(refundable);
        if amount > refundable {
            return Err(ApiError::invalid(format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({}).",
                display_amount(amount, &charge.currency),
                display_amount(refundable, &charge.currency)
            ))
            .code("amount_too_large")
            .param("amount"));
        }

        let refund = Refund {
            id: ids::new("re"),
            created: unix(now),
            amount,
            currency: charge.currency.clone(),
            charge: charge_id.clone(),
            payment_intent: charge.payment_intent.clone(),
            reason: new.reason,
            metadata: new.metadata,
            instructions_email: new.instructions_email,
            // Stripe answers even a refund that will fail `succeeded` first.
            status: RefundStatus::Succeeded,
            failure_reason: None,
        };
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.refunded += amount;
        }
        let events = vec![
            Event::charge("charge.refunded", &charge_id),
            Event::refund("refund.created", &refund.id, None),
        ];
        let id = refund.id.clone();
        self.refunds.insert(id.clone(), refund);
        self.refund_order.push(id.clone());
        Ok((id, events))
    }

    /// Moves a succeeded refund of a [`super::cards::REFUND_FAILS`] card to `failed` (called when
    /// the refund is retrieved), as Stripe does asynchronously: its amount becomes refundable
    /// again.
    pub(crate) fn settle_refund(&mut self, id: &str) -> Vec<Event> {
        let Some(refund) = self.refunds.get(id) else {
            return Vec::new();
        };
        let fails = self
            .charges
            .get(&refund.charge)
            .is_some_and(|charge| charge.card.profile.refund_fails);
        if !fails || refund.status != RefundStatus::Succeeded {
            return Vec::new();
        }
        let Some(refund) = self.refunds.get_mut(id) else {
            return Vec::new();
        };
        refund.status = RefundStatus::Failed;
        refund.failure_reason = Some("expired_or_canceled_card");
        let (charge, amount) = (refund.charge.clone(), refund.amount);
        if let Some(charge) = self.charges.get_mut(&charge) {
            charge.refunded -= amount;
        }
        let previous = || Some(serde_json::json!({ "status": "succeeded" }));
        vec![
            Event::refund("refund.updated", id, previous()),
            Event::refund("refund.failed", id, previous()),
            Event::refund("charge.refund.updated", id, previous()),
        ]
    }
}
