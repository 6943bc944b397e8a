//! `POST /refunds` and `GET /refunds/{id}`.

use paybridge_core::*;
use serde_json::Value;

use super::input::{free_text, metadata, optional_amount};
use super::{
    connector_id, connector_metadata, new_id, now, refused, sync_refund, Caller, Open, Payments,
};
use crate::domain::{self, plan, Answer, Command, Outcome, Plan};
use crate::error::ApiError;
use crate::model::{CreateRefundBody, RefundObject};
use crate::present::refund_object;

impl Payments {
    /// `POST /refunds`.
    pub async fn refund(
        &self,
        caller: &Caller,
        body: CreateRefundBody,
    ) -> Result<RefundObject, ApiError> {
        let command = Command::Refund {
            amount: optional_amount("amount", body.amount)?,
        };
        free_text("reason", body.reason.as_deref(), 255)?;
        metadata(&body.metadata.clone().unwrap_or_default())?;
        let payment_id = body.payment_id.clone();
        let command = &command;
        let body = &body;
        self.on_copies(caller, &payment_id, |mut open| {
            Box::pin(async move {
                let answer = self.refund_on(caller, &mut open, command, body).await;
                (open, answer)
            })
        })
        .await
    }

    async fn refund_on(
        &self,
        caller: &Caller,
        open: &mut Open,
        command: &Command,
        body: &CreateRefundBody,
    ) -> Result<RefundObject, ApiError> {
        let plan = plan(&open.payment, command, open.connector.capabilities())?;
        let Plan::Refund { amount } = plan else {
            return Err(ApiError::internal("refund planned as something else"));
        };
        let metadata = body.metadata.clone().unwrap_or_default();
        let refund_id = new_id("ref");
        let reason = body.reason.as_deref();
        let kept = Value::Object(metadata.clone());
        domain::begin(&mut open.payment, &plan, &refund_id, reason, kept, &now());
        self.claim(open).await?;

        let mut request = RefundRequest::new(
            connector_id(&open.payment)?,
            open.payment.currency,
            Some(amount),
        );
        request.idempotency_key = caller.connector_key(&refund_id);
        request.reason = body.reason.clone();
        request.reference = Some(refund_id.clone());
        request.metadata = connector_metadata(&metadata);
        let result = self
            .holding(&open.payment.id, open.connector.refund(&request))
            .await;
        let outcome = Outcome::Refunded {
            refund_id: &refund_id,
            answer: Answer::of(&result),
        };
        domain::apply(&mut open.payment, outcome, &now());
        // A refund the processor accepted is synced once and stored with the answer, as
        // `settle` does for a capture.
        if matches!(&result, Ok(r) if r.status == RefundStatus::Pending) {
            sync_refund(&open.connector, &mut open.payment, &refund_id).await;
        }
        self.save(open).await?;
        refused(&result)?;
        let refund = open
            .payment
            .refund(&refund_id)
            .ok_or_else(|| ApiError::internal("the refund just made is gone"))?;
        Ok(refund_object(&open.payment, refund))
    }

    /// `GET /refunds/{id}`, optionally synced with the processor first.
    pub async fn retrieve_refund(
        &self,
        caller: &Caller,
        refund_id: &str,
        force_sync: bool,
    ) -> Result<RefundObject, ApiError> {
        let not_found = || ApiError::not_found(format_args!("refund {refund_id}"));
        let Some((payment_id, merchant_id)) = self.store.refund_owner(refund_id).await? else {
            return Err(not_found());
        };
        if merchant_id != caller.merchant_id {
            return Err(not_found());
        }
        if !force_sync {
            let payment = self.read(caller, &payment_id).await?;
            let refund = payment.refund(refund_id).ok_or_else(not_found)?;
            return Ok(refund_object(&payment, refund));
        }
        let (_guard, mut open) = self.open(caller, &payment_id).await?;
        let refund = open.payment.refund(refund_id).ok_or_else(not_found)?;
        let connector_refund_id = refund.connector_refund_id.clone().ok_or_else(|| {
            ApiError::invalid_state(
                "no_connector_refund",
                "the processor never returned an id for this refund; sync the payment instead",
            )
        })?;
        if !open.connector.capabilities().supports(Flow::RefundSync) {
            return Err(ApiError::not_supported(format!(
                "connector {} cannot sync refunds",
                open.connector.id()
            )));
        }
        let request = RefundSyncRequest {
            connector_payment_id: connector_id(&open.payment)?,
            connector_refund_id,
        };
        let response = open
            .connector
            .sync_refund(&request)
            .await
            .map_err(|e| ApiError::from_connector(&e))?;
        let outcome = Outcome::RefundSynced {
            refund_id,
            response: &response,
        };
        domain::apply(&mut open.payment, outcome, &now());
        self.save(&mut open).await?;
        let refund = open.payment.refund(refund_id).ok_or_else(not_found)?;
        Ok(refund_object(&open.payment, refund))
    }
}
