//! The operations on a payment: each one plans, reserves, calls the connector and applies the
//! answer through [`crate::domain`].

use paybridge_core::*;
use serde_json::{Map, Value};

use super::input::{free_text, metadata, optional_amount};
use super::{
    connector_id, connector_metadata, new_id, now, refused, settle, sync, sync_refund, Caller,
    Open, Payments,
};
use crate::domain::{self, plan, Answer, CaptureStatus, Command, Outcome, Plan, Refusal};
use crate::error::ApiError;
use crate::model::*;
use crate::present::payment_object;

impl Payments {
    /// `GET /payments/{id}`, optionally synced with the processor first.
    pub async fn retrieve(
        &self,
        caller: &Caller,
        payment_id: &str,
        force_sync: bool,
    ) -> Result<PaymentObject, ApiError> {
        if !force_sync {
            return Ok(payment_object(&self.read(caller, payment_id).await?));
        }
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        sync(&open.connector, &mut open.payment).await?;
        self.save(&mut open).await?;
        Ok(payment_object(&open.payment))
    }

    /// `GET /payments/{id}?client_secret=…` from a front end, which has the payment's client
    /// secret and no api-key: the stored payment (never synced: a front end starts no processor
    /// call). An unknown payment and a wrong secret get the same 401, so the answer does not
    /// tell which payments exist.
    pub async fn retrieve_with_client_secret(
        &self,
        payment_id: &str,
        client_secret: &str,
    ) -> Result<PaymentObject, ApiError> {
        let refused =
            || ApiError::unauthenticated("the client_secret is not valid for this payment");
        if !client_secret.starts_with(&format!("{payment_id}_secret_")) {
            return Err(refused());
        }
        let Some(merchant_id) = self.store.payment_merchant(payment_id).await? else {
            return Err(refused());
        };
        let caller = Caller {
            merchant_id,
            idempotency_key: None,
            operation: None,
        };
        let payment = self.read(&caller, payment_id).await?;
        let given = super::create::client_secret_hash(client_secret);
        let matches = payment.client_secret_hash.as_deref().is_some_and(|stored| {
            // Equal length hex digests, compared in full whatever differs first.
            stored.len() == given.len()
                && stored
                    .bytes()
                    .zip(given.bytes())
                    .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                    == 0
        });
        if !matches {
            return Err(refused());
        }
        Ok(payment_object(&payment))
    }

    /// `POST /payments/{id}/capture`.
    pub async fn capture(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CaptureBody,
    ) -> Result<PaymentObject, ApiError> {
        let command = Command::Capture {
            amount: optional_amount("amount_to_capture", body.amount_to_capture)?,
            final_capture: body.final_capture,
        };
        let command = &command;
        self.on_copies(caller, payment_id, |mut open| {
            Box::pin(async move {
                let answer = self.capture_on(caller, &mut open, command).await;
                (open, answer)
            })
        })
        .await
    }

    async fn capture_on(
        &self,
        caller: &Caller,
        open: &mut Open,
        command: &Command,
    ) -> Result<PaymentObject, ApiError> {
        let capture_id = caller.new_object_id("cap");
        if let Some(capture) = open.payment.captures.iter().find(|c| c.id == capture_id) {
            // This request's first run, cut off by a crash, stored its capture.
            if capture.status != CaptureStatus::Pending {
                return Ok(payment_object(&open.payment));
            }
            let (amount, final_capture) = (capture.amount, capture.final_capture);
            self.claim(open).await?;
            return self
                .send_capture(caller, open, &capture_id, amount, final_capture)
                .await;
        }
        let plan = plan(&open.payment, command, open.connector.capabilities())?;
        let Plan::Capture {
            amount,
            final_capture,
        } = plan
        else {
            return Err(ApiError::internal("capture planned as something else"));
        };
        domain::begin(
            &mut open.payment,
            &plan,
            &capture_id,
            None,
            Value::Null,
            &now(),
        );
        self.claim(open).await?;
        self.send_capture(caller, open, &capture_id, amount, final_capture)
            .await
    }

    /// Sends pending capture `capture_id` (the payment held by this instance) and stores the
    /// answer. Sent again after a crash, it is the same request under the same key; a processor
    /// that refuses a used key (Primer) is asked for the payment instead, and the capture stays
    /// pending if that does not show it.
    async fn send_capture(
        &self,
        caller: &Caller,
        open: &mut Open,
        capture_id: &str,
        amount: MinorUnit,
        final_capture: bool,
    ) -> Result<PaymentObject, ApiError> {
        let mut request = CaptureRequest::new(
            connector_id(&open.payment)?,
            open.payment.currency,
            Some(amount),
        );
        request.idempotency_key = caller.connector_key(capture_id);
        request.final_capture = final_capture;
        let result = self
            .holding(&open.payment.id, open.connector.capture(&request))
            .await;
        if let Err(ConnectorError::IdempotencyConflict { .. }) = &result {
            return self.answer_resynced(open).await;
        }
        let outcome = Outcome::Captured {
            capture_id,
            final_capture,
            answer: Answer::of(&result),
        };
        domain::apply(&mut open.payment, outcome, &now());
        if matches!(&result, Ok(r) if r.status == PaymentStatus::Processing) {
            let payment_id = open.payment.id.clone();
            self.holding(&payment_id, settle(&open.connector, &mut open.payment))
                .await;
        }
        self.save_answer(open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        refused(&result)?;
        Ok(payment_object(&open.payment))
    }

    /// The answer to an operation whose processor refused its key as used (the first run's
    /// request reached it): the payment as the processor has it now, stored.
    async fn answer_resynced(&self, open: &mut Open) -> Result<PaymentObject, ApiError> {
        self.resync(open).await;
        self.save(open).await?;
        Ok(payment_object(&open.payment))
    }

    /// `POST /payments/{id}/cancel`: void the authorization.
    pub async fn cancel(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        free_text(
            "cancellation_reason",
            body.cancellation_reason.as_deref(),
            255,
        )?;
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        if caller.operation.as_ref().is_some_and(|op| op.resumed) {
            // This request's first run was cut off by a crash: its void was sent, or not.
            match open.payment.status {
                PaymentStatus::Cancelled => return Ok(payment_object(&open.payment)),
                PaymentStatus::Processing => {
                    sync(&open.connector, &mut open.payment).await?;
                    self.save(&mut open).await?;
                    if open.payment.status == PaymentStatus::Cancelled {
                        return Ok(payment_object(&open.payment));
                    }
                }
                _ => {}
            }
        }
        let plan = plan(&open.payment, &Command::Void, open.connector.capabilities())?;
        if plan == Plan::Abandon {
            self.abandon(&mut open, body.cancellation_reason).await?;
            return Ok(payment_object(&open.payment));
        }
        let request = VoidRequest {
            idempotency_key: caller.connector_key(&format!("{payment_id}-void")),
            connector_payment_id: connector_id(&open.payment)?,
            reason: body.cancellation_reason.clone(),
        };
        // Stored as in flight and held while the processor is called, so that a crash leaves it
        // to the reconciler and no other instance changes the payment before the answer.
        let before = open.payment.clone();
        let reason = body.cancellation_reason.as_deref();
        domain::begin(&mut open.payment, &plan, "", reason, Value::Null, &now());
        self.claim(&mut open).await?;
        let result = self
            .holding(payment_id, open.connector.void(&request))
            .await;
        if let Err(refusal) = refused(&result) {
            open.payment = before;
            self.save(&mut open).await?;
            return Err(refusal);
        }
        let outcome = Outcome::Voided(Answer::of(&result));
        domain::apply(&mut open.payment, outcome, &now());
        if matches!(&result, Ok(r) if r.status == PaymentStatus::Processing) {
            self.holding(payment_id, settle(&open.connector, &mut open.payment))
                .await;
        }
        self.save_answer(&mut open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        Ok(payment_object(&open.payment))
    }

    /// `POST /payments/{id}/incremental_authorization`: raise the authorization to a new total.
    pub async fn increment(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: IncrementalAuthorizationBody,
    ) -> Result<PaymentObject, ApiError> {
        let command = Command::IncrementAuthorization {
            new_total: super::amount("amount", body.amount)?,
        };
        free_text("reason", body.reason.as_deref(), 255)?;
        let command = &command;
        let body = &body;
        self.on_copies(caller, payment_id, |mut open| {
            Box::pin(async move {
                let answer = self.increment_on(caller, &mut open, command, body).await;
                (open, answer)
            })
        })
        .await
    }

    async fn increment_on(
        &self,
        caller: &Caller,
        open: &mut Open,
        command: &Command,
        body: &IncrementalAuthorizationBody,
    ) -> Result<PaymentObject, ApiError> {
        let authorization_id = caller.new_object_id("auth");
        if let Some(increment) = open
            .payment
            .increments
            .iter()
            .find(|i| i.id == authorization_id)
        {
            // This request's first run, cut off by a crash, stored its increment: the same
            // one is sent again, from what was stored; a processor that refuses the used key
            // leaves it to a sync.
            if increment.status != AuthorizationStatus::Processing {
                return Ok(payment_object(&open.payment));
            }
            let (current, new_total) = (increment.previously_authorized, increment.new_total);
            self.claim(open).await?;
            return self
                .send_increment(caller, open, &authorization_id, current, new_total, body)
                .await;
        }
        let plan = plan(&open.payment, command, open.connector.capabilities())?;
        let Plan::IncrementAuthorization { current, new_total } = plan else {
            return Err(ApiError::internal("increment planned as something else"));
        };
        let now_text = now();
        domain::begin(
            &mut open.payment,
            &plan,
            &authorization_id,
            None,
            Value::Null,
            &now_text,
        );
        self.claim(open).await?;
        self.send_increment(caller, open, &authorization_id, current, new_total, body)
            .await
    }

    /// Sends incremental authorization `authorization_id` (the payment held by this instance)
    /// and stores the answer.
    async fn send_increment(
        &self,
        caller: &Caller,
        open: &mut Open,
        authorization_id: &str,
        current: MinorUnit,
        new_total: MinorUnit,
        body: &IncrementalAuthorizationBody,
    ) -> Result<PaymentObject, ApiError> {
        let request = IncrementalAuthorizationRequest {
            idempotency_key: caller.connector_key(authorization_id),
            connector_payment_id: connector_id(&open.payment)?,
            currency: open.payment.currency,
            current_authorized: current,
            new_total,
            reason: body.reason.clone(),
            card_network: open.payment.card_network,
        };
        let result = self
            .holding(
                &open.payment.id,
                open.connector.increment_authorization(&request),
            )
            .await;
        if let Err(ConnectorError::IdempotencyConflict { .. }) = &result {
            return self.answer_resynced(open).await;
        }
        let outcome = Outcome::Incremented {
            authorization_id,
            answer: Answer::of(&result),
        };
        domain::apply(&mut open.payment, outcome, &now());
        self.save_answer(open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        refused(&result)?;
        Ok(payment_object(&open.payment))
    }

    /// `POST /payments/{id}/extend_authorization`.
    pub async fn extend(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<PaymentObject, ApiError> {
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        let command = Command::ExtendAuthorization;
        plan(&open.payment, &command, open.connector.capabilities())?;
        let request = ExtendAuthorizationRequest {
            idempotency_key: caller.connector_key(&new_id("ext")),
            connector_payment_id: connector_id(&open.payment)?,
            currency: open.payment.currency,
            card_network: open.payment.card_network,
        };
        self.claim(&mut open).await?;
        let result = self
            .holding(payment_id, open.connector.extend_authorization(&request))
            .await;
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                self.save(&mut open).await?;
                return Err(ApiError::from_connector(&err));
            }
        };
        if response.status == AuthorizationStatus::Failure {
            self.save(&mut open).await?;
            let reason = response
                .decline
                .as_ref()
                .and_then(|d| d.message.clone().or(d.code.clone()))
                .unwrap_or_else(|| response.raw_status.clone());
            return Err(ApiError::invalid_state(
                "extension_declined",
                format!("the processor declined the extension: {reason}"),
            ));
        }
        let outcome = Outcome::Extended(&response);
        domain::apply(&mut open.payment, outcome, &now());
        self.save_answer(&mut open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        Ok(payment_object(&open.payment))
    }

    /// `POST /payments/{id}/cancel_post_capture`.
    pub async fn cancel_post_capture(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        free_text(
            "cancellation_reason",
            body.cancellation_reason.as_deref(),
            255,
        )?;
        let body = &body;
        self.on_copies(caller, payment_id, |mut open| {
            Box::pin(async move {
                let answer = self.cancel_post_capture_on(caller, &mut open, body).await;
                (open, answer)
            })
        })
        .await
    }

    async fn cancel_post_capture_on(
        &self,
        caller: &Caller,
        open: &mut Open,
        body: &CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        let refund_id = caller.new_object_id("ref");
        if let Some(refund) = open.payment.refund(&refund_id) {
            // This request's first run, cut off by a crash, stored its refund: the same one is
            // sent again, from what was stored; a processor that refuses the used key leaves it
            // to the reconciler.
            if refund.status != RefundStatus::Pending {
                return Ok(payment_object(&open.payment));
            }
            let (amount, reason) = (refund.amount, refund.reason.clone());
            self.claim(open).await?;
            return self
                .send_cancel_post_capture(caller, open, &refund_id, amount, reason)
                .await;
        }
        let command = Command::CancelPostCapture;
        let plan = plan(&open.payment, &command, open.connector.capabilities())?;
        let Plan::CancelPostCapture { amount } = plan else {
            return Err(ApiError::internal(
                "cancel post capture planned as something else",
            ));
        };
        let reason = body.cancellation_reason.as_deref();
        domain::begin(
            &mut open.payment,
            &plan,
            &refund_id,
            reason,
            Value::Object(Map::new()),
            &now(),
        );
        self.claim(open).await?;
        let reason = body.cancellation_reason.clone();
        self.send_cancel_post_capture(caller, open, &refund_id, amount, reason)
            .await
    }

    /// Sends cancel post capture, refunding with pending refund `refund_id` (the payment held
    /// by this instance), and stores the answer.
    async fn send_cancel_post_capture(
        &self,
        caller: &Caller,
        open: &mut Open,
        refund_id: &str,
        amount: MinorUnit,
        reason: Option<String>,
    ) -> Result<PaymentObject, ApiError> {
        let request = CancelPostCaptureRequest {
            idempotency_key: caller.connector_key(refund_id),
            connector_payment_id: connector_id(&open.payment)?,
            currency: open.payment.currency,
            amount_captured: amount,
            reason,
            reference: Some(refund_id.to_owned()),
        };
        let result = self
            .holding(
                &open.payment.id,
                open.connector.cancel_post_capture(&request),
            )
            .await;
        if let Err(ConnectorError::IdempotencyConflict { .. }) = &result {
            return self.answer_resynced(open).await;
        }
        let outcome = Outcome::CancelledPostCapture {
            refund_id,
            answer: Answer::of(&result),
        };
        domain::apply(&mut open.payment, outcome, &now());
        // A refund the processor only accepted is synced once, as a refund's is.
        if matches!(&result, Ok(r) if r.refund.status == RefundStatus::Pending) {
            sync_refund(&open.connector, &mut open.payment, refund_id).await;
        }
        self.save_answer(open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        refused(&result)?;
        Ok(payment_object(&open.payment))
    }

    /// `POST /payments/{id}/complete_authorize`.
    pub async fn complete_authorize(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CompleteAuthorizeBody,
    ) -> Result<PaymentObject, ApiError> {
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        let command = Command::CompleteAuthorize;
        let plan = plan(&open.payment, &command, open.connector.capabilities())?;
        if plan == Plan::CompleteAuthentication {
            self.complete_authentication(&mut open).await?;
            return Ok(payment_object(&open.payment));
        }
        if plan == Plan::CompleteBySync {
            sync(&open.connector, &mut open.payment).await?;
            self.save(&mut open).await?;
            return Ok(payment_object(&open.payment));
        }
        let request = CompleteAuthorizeRequest {
            idempotency_key: caller.connector_key(&format!("{payment_id}-complete")),
            connector_payment_id: connector_id(&open.payment)?,
            capture_method: open.payment.capture_method,
            redirect_params: connector_metadata(&body.redirect_params.unwrap_or_default()),
        };
        self.claim(&mut open).await?;
        let result = self
            .holding(payment_id, open.connector.complete_authorize(&request))
            .await;
        if let Err(refusal) = refused(&result) {
            self.save(&mut open).await?;
            return Err(refusal);
        }
        let outcome = Outcome::Completed(Answer::of(&result));
        domain::apply(&mut open.payment, outcome, &now());
        self.save_answer(&mut open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await?;
        if open.payment.status == PaymentStatus::RequiresCustomerAction {
            return Err(Refusal::CustomerActionIncomplete.into());
        }
        Ok(payment_object(&open.payment))
    }

    /// `PUT /payments/{id}/update_metadata`: merge keys; `null` removes one.
    pub async fn update_metadata(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: UpdateMetadataBody,
    ) -> Result<PaymentObject, ApiError> {
        let body = &body;
        self.on_copies(caller, payment_id, |mut open| {
            Box::pin(async move {
                let answer = self.update_metadata_on(&mut open, body).await;
                (open, answer)
            })
        })
        .await
    }

    async fn update_metadata_on(
        &self,
        open: &mut Open,
        body: &UpdateMetadataBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut merged = open.payment.metadata.clone();
        for (key, value) in &body.metadata {
            if value.is_null() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
        // The limits hold for what is kept, after the merge.
        metadata(&merged)?;
        open.payment.metadata = merged;
        self.save(open).await?;
        Ok(payment_object(&open.payment))
    }

    /// `GET /payments/{id}/eligibility`: [`plan`] for every operation.
    pub async fn eligibility(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<Eligibility, ApiError> {
        let payment = self.read(caller, payment_id).await?;
        let caps = self.connector(&payment.connector)?.capabilities();
        let above = domain::payment::plus(payment.amount, MinorUnit::new(1).unwrap_or_default());
        let commands = [
            (
                Command::Capture {
                    amount: None,
                    final_capture: None,
                },
                Some(payment.amount_capturable),
            ),
            (Command::Void, None),
            (Command::IncrementAuthorization { new_total: above }, None),
            (Command::ExtendAuthorization, None),
            (Command::CancelPostCapture, None),
            (Command::Refund { amount: None }, Some(payment.refundable())),
            (Command::CompleteAuthorize, None),
            (Command::Sync, None),
            (Command::ExternalAuthentication, None),
        ];
        let operations = commands
            .into_iter()
            .map(|(command, max)| {
                let refusal = plan(&payment, &command, caps).err();
                let eligible = refusal.is_none();
                (
                    command.name().to_owned(),
                    OperationEligibility {
                        eligible,
                        reason: refusal.map(|r| r.to_string()),
                        max_amount: max.filter(|_| eligible).map(MinorUnit::get),
                    },
                )
            })
            .collect();
        let wallets = Wallet::ALL
            .into_iter()
            .map(|wallet| {
                let reason = self.wallet_refusal(&caller.merchant_id, caps, wallet);
                (
                    wallet.name().to_owned(),
                    OperationEligibility {
                        eligible: reason.is_none(),
                        reason,
                        max_amount: None,
                    },
                )
            })
            .collect();
        Ok(Eligibility {
            payment_id: payment.id.clone(),
            status: domain::payment::status_name(payment.status),
            connector: payment.connector.clone(),
            operations,
            wallets,
        })
    }
}
