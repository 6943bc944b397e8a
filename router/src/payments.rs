//! The payment operations: checks against the stored state and the connector's capabilities,
//! the connector call, and what its answer does to the stored payment.
//!
//! Every operation that moves money follows the same three steps, so a crash or an unknown
//! outcome never loses or invents a result:
//! 1. under the payment's lock, check the state and write the operation as `pending`, reserving
//!    its amount (a capture lowers `amount_capturable` before the processor is called);
//! 2. call the connector with an idempotency key stable for this operation;
//! 3. write the verdict (for an operation the processor only accepted, together with one
//!    immediate sync's answer). No verdict (timeout, connection lost after sending) leaves the
//!    operation pending and the payment `processing`; a sync (`GET ?force_sync=true`) resolves it.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paybridge_core::*;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::sync::OwnedMutexGuard;

use crate::error::{ApiError, ErrorType};
use crate::locks::PaymentLocks;
use crate::model::*;
use crate::store::{PaymentRecord, PaymentRow, ReceivedWebhook, Store, Written};

/// The connectors the router routes to, by id.
pub type Connectors = BTreeMap<String, Arc<dyn Connector>>;

/// Who is asking, and the key that makes the call safe to repeat.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The authenticated merchant.
    pub merchant_id: String,
    /// The client's `Idempotency-Key`, when given.
    pub idempotency_key: Option<String>,
}

impl Caller {
    /// The processor-side key for an operation: derived from the client's key when there is one
    /// (a client retry after a crash reuses it, and the processor replays its answer), else the
    /// operation's own id.
    fn connector_key(&self, operation_id: &str) -> IdempotencyKey {
        let base = match &self.idempotency_key {
            Some(key) => {
                let digest = <sha2::Sha256 as sha2::Digest>::digest(
                    format!("{}\n{key}", self.merchant_id).as_bytes(),
                );
                format!("pb_{}", &hex::encode(digest)[..40])
            }
            None => operation_id.to_owned(),
        };
        IdempotencyKey::new(base).unwrap_or_else(|_| IdempotencyKey::generate())
    }
}

/// The payment service.
pub struct Payments {
    store: Store,
    connectors: Connectors,
    locks: PaymentLocks,
    /// This router instance, as it names itself in the leases it takes.
    instance: String,
}

/// How long an instance holds a payment while it calls the processor: longer than one call with
/// its retries and the settling sync (30 s request timeout by default), so the hold outlives
/// the call; a crashed holder's lease ends by itself.
const LEASE: Duration = Duration::from_secs(120);
/// How long an operation waits for another instance's lease before answering `payment_busy`.
const LEASE_WAIT: Duration = Duration::from_secs(10);

fn lease_end() -> i64 {
    unix_ms().saturating_add(i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX))
}

fn unix_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl Payments {
    /// A service over `store` routing to `connectors`.
    pub fn new(store: Store, connectors: Connectors) -> Self {
        Payments {
            store,
            connectors,
            locks: PaymentLocks::default(),
            instance: new_id("rtr"),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The connectors.
    pub fn connectors(&self) -> &Connectors {
        &self.connectors
    }

    fn connector(&self, name: &str) -> Result<&Arc<dyn Connector>, ApiError> {
        self.connectors.get(name).ok_or_else(|| {
            ApiError::invalid(
                "unknown_connector",
                format!(
                    "unknown connector '{name}'; this router has: {}",
                    self.connectors
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    async fn load(&self, caller: &Caller, payment_id: &str) -> Result<PaymentRecord, ApiError> {
        self.store
            .payment(&caller.merchant_id, payment_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format_args!("payment {payment_id}")))
    }

    /// Takes the payment's lock, then loads it and its connector.
    async fn open(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<(OwnedMutexGuard<()>, PaymentRecord, Arc<dyn Connector>), ApiError> {
        let guard = self.locks.lock(payment_id).await;
        let record = self.load_to_change(caller, payment_id).await?;
        let connector = self.connector(&record.payment.connector)?.clone();
        Ok((guard, record, connector))
    }

    /// Whether another router instance holds `record` now, to call its processor.
    fn leased_elsewhere(&self, record: &PaymentRecord) -> bool {
        let p = &record.payment;
        p.lease_owner
            .as_ref()
            .is_some_and(|owner| *owner != self.instance)
            && p.lease_until.is_some_and(|until| until > unix_ms())
    }

    /// Loads the payment to change it, once no other instance holds it: a write of ours in
    /// the middle of another's call would make that instance's answer unstorable.
    async fn load_to_change(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<PaymentRecord, ApiError> {
        let deadline = Instant::now() + LEASE_WAIT;
        loop {
            let record = self.load(caller, payment_id).await?;
            if !self.leased_elsewhere(&record) {
                return Ok(record);
            }
            if Instant::now() >= deadline {
                return Err(ApiError::invalid_state(
                    "payment_busy",
                    "another router instance is changing this payment at its processor; retry",
                ));
            }
            tokio::time::sleep(Duration::from_millis(fastrand::u64(5..=25))).await;
        }
    }

    /// Takes the payment's lock and gives the copies of it that an operation which writes
    /// first runs on ([`Copies`]).
    async fn copies<'a>(&'a self, caller: &'a Caller, payment_id: &'a str) -> Copies<'a> {
        let guard = self.locks.lock(payment_id).await;
        Copies {
            payments: self,
            caller,
            payment_id,
            remembered: self
                .store
                .remembered_payment(&caller.merchant_id, payment_id),
            _guard: guard,
        }
    }

    /// Stores `record`, ending this instance's hold on it if it had one.
    async fn save(&self, record: &mut PaymentRecord) -> Result<(), ApiError> {
        self.save_with_event(record, None).await
    }

    /// Stores `record` held for this instance until the next save: done before calling the
    /// processor, so other instances wait to change the payment until its answer is stored.
    async fn claim(&self, record: &mut PaymentRecord) -> Result<(), ApiError> {
        record.payment.lease_owner = Some(self.instance.clone());
        record.payment.lease_until = Some(lease_end());
        self.write(record, None).await
    }

    /// [`Payments::save`], recording the webhook event that made the change with it.
    async fn save_with_event(
        &self,
        record: &mut PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<(), ApiError> {
        record.payment.lease_owner = None;
        record.payment.lease_until = None;
        self.write(record, applied).await
    }

    async fn write(
        &self,
        record: &mut PaymentRecord,
        applied: Option<&ReceivedWebhook<'_>>,
    ) -> Result<(), ApiError> {
        record.payment.version += 1;
        record.payment.updated = now();
        match self.store.save_with_event(record, applied).await? {
            Written::Yes => Ok(()),
            Written::Stale => Err(ApiError::invalid_state(
                "concurrent_modification",
                "the payment was changed by another request at the same time; retry",
            )),
        }
    }

    /// `GET /payments/{id}`, optionally synced with the processor first.
    pub async fn retrieve(
        &self,
        caller: &Caller,
        payment_id: &str,
        force_sync: bool,
    ) -> Result<PaymentObject, ApiError> {
        if !force_sync {
            return Ok(payment_object(&self.load(caller, payment_id).await?));
        }
        let (_guard, mut record, connector) = self.open(caller, payment_id).await?;
        self.sync(&connector, &mut record).await?;
        Ok(payment_object(&record))
    }

    /// Asks the processor for the payment and its pending refunds, and stores what it says.
    async fn sync(
        &self,
        connector: &Arc<dyn Connector>,
        record: &mut PaymentRecord,
    ) -> Result<(), ApiError> {
        apply_sync(connector, record).await?;
        self.save(record).await
    }

    /// `POST /payments`: create and confirm.
    pub async fn create(
        &self,
        caller: &Caller,
        body: CreatePaymentRequest,
    ) -> Result<PaymentObject, ApiError> {
        let connector = self.connector(&body.connector)?.clone();
        let amount = amount("amount", body.amount)?;
        let currency = currency(&body.currency)?;
        let capture_method = match body.capture_method.as_deref() {
            None | Some("automatic") => CaptureMethod::Automatic,
            Some("manual") => CaptureMethod::Manual,
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid_capture_method",
                    format!("capture_method '{other}' is not one of: automatic, manual"),
                ))
            }
        };
        if body.confirm == Some(false) {
            return Err(ApiError::invalid(
                "confirm_required",
                "payments are created confirmed; omit confirm or set it to true",
            ));
        }
        if let Some(method) = body.payment_method.as_deref().filter(|m| *m != "card") {
            return Err(ApiError::invalid(
                "unsupported_payment_method",
                format!("payment_method '{method}' is not supported; use card"),
            ));
        }
        let payment_method = payment_method(body.payment_method_data, body.payment_token)?;
        let three_ds = match body.authentication_type.as_deref() {
            None => ThreeDsPreference::Automatic,
            Some("three_ds") => ThreeDsPreference::Required,
            Some("no_three_ds") => ThreeDsPreference::Skip,
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid_authentication_type",
                    format!("authentication_type '{other}' is not one of: three_ds, no_three_ds"),
                ))
            }
        };
        let return_url = body
            .return_url
            .as_deref()
            .map(|u| {
                url::Url::parse(u).map_err(|e| {
                    ApiError::invalid("invalid_return_url", format!("return_url: {e}"))
                })
            })
            .transpose()?;
        let metadata = body.metadata.unwrap_or_default();
        let payment_id = new_id("pay");
        let attempt_id = new_id("att");

        let mut request = AuthorizeRequest::new(amount, currency, payment_method, &payment_id);
        request.idempotency_key = caller.connector_key(&payment_id);
        request.capture_method = capture_method;
        request.request_incremental_authorization = body.request_incremental_authorization;
        request.request_extended_authorization = body.request_extended_authorization;
        // A connector that extends only estimated authorizations gets one when an extension may
        // be asked for later.
        if body.request_extended_authorization
            && connector
                .capabilities()
                .conditions(Flow::ExtendAuthorization)
                .contains(&Condition::RequiresEstimatedAuthorization)
        {
            request.authorization_type = AuthorizationType::Estimated;
        }
        request.description = body.description.clone();
        request.metadata = connector_metadata(&metadata);
        request.return_url = return_url;
        request.three_ds = three_ds;
        request
            .validate()
            .map_err(|e| ApiError::from_connector(&e))?;
        if !connector.capabilities().supports(Flow::Authorize) {
            return Err(ApiError::not_supported(format!(
                "connector {} does not authorize payments",
                connector.id()
            )));
        }

        let created = now();
        let card = match &request.payment_method {
            PaymentMethod::Card(card) => Some((card.network(), card.number.last4().to_owned())),
            PaymentMethod::Token(_) => None,
        };
        let payment = PaymentRow {
            payment_id: payment_id.clone(),
            merchant_id: caller.merchant_id.clone(),
            connector: connector.id().to_owned(),
            connector_transaction_id: None,
            status: status_name(PaymentStatus::Processing),
            amount: amount.get(),
            currency: currency.code().to_owned(),
            capture_method: enum_name(&capture_method),
            amount_capturable: 0,
            amount_received: 0,
            payment_method: "card".into(),
            card_network: card.as_ref().and_then(|(n, _)| n.map(|n| enum_name(&n))),
            card_last4: card.map(|(_, last4)| last4),
            metadata: Value::Object(metadata).to_string(),
            description: body.description,
            return_url: body.return_url,
            request_incremental_authorization: body.request_incremental_authorization.into(),
            incremental_authorization_allowed: None,
            authorization_count: 0,
            request_extended_authorization: body.request_extended_authorization.into(),
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
            connector_key: request.idempotency_key.as_str().to_owned(),
            version: 0,
            created: created.clone(),
            updated: created.clone(),
            // Held until the processor's answer is stored (webhooks may reach another instance
            // first).
            lease_owner: Some(self.instance.clone()),
            lease_until: Some(lease_end()),
        };
        let attempt = AttemptObject {
            attempt_id,
            status: "pending".into(),
            amount: amount.get(),
            currency: currency.code().to_owned(),
            connector: connector.id().to_owned(),
            connector_transaction_id: None,
            capture_method: enum_name(&capture_method),
            payment_method: "card".into(),
            error_code: None,
            error_message: None,
            unified_code: None,
            unified_message: None,
            created_at: created.clone(),
            modified_at: created,
        };
        let mut record = PaymentRecord::inserted(payment, attempt);
        self.store.insert_payment(&record).await?;

        match connector.authorize(&request).await {
            Ok(response) => apply_payment(&mut record, &response),
            Err(
                err @ (ConnectorError::NotSupported { .. } | ConnectorError::InvalidRequest { .. }),
            ) => {
                // Refused before anything was sent: nothing to keep.
                self.store.delete_unsent_payment(&payment_id).await?;
                return Err(ApiError::from_connector(&err));
            }
            Err(err) if err.outcome_unknown() => mark_unknown(&mut record, &err),
            Err(err) => fail_attempt(&mut record, &err),
        }
        self.save(&mut record).await?;
        Ok(payment_object(&record))
    }

    /// `POST /payments/{id}/capture`.
    pub async fn capture(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CaptureBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut copies = self.copies(caller, payment_id).await;
        loop {
            let (mut record, connector) = copies.next().await?;
            let answer = self
                .capture_on(caller, &mut record, &connector, &body)
                .await;
            if copies.answered(&record, &answer) {
                return answer;
            }
        }
    }

    async fn capture_on(
        &self,
        caller: &Caller,
        record: &mut PaymentRecord,
        connector: &Arc<dyn Connector>,
        body: &CaptureBody,
    ) -> Result<PaymentObject, ApiError> {
        capture_check(record, connector.capabilities()).into_result()?;
        let capturable = record.payment.amount_capturable;
        let amount = match body.amount_to_capture {
            None => capturable,
            Some(asked) => {
                let asked = amount("amount_to_capture", asked)?.get();
                if asked > capturable {
                    return Err(ApiError::invalid(
                        "amount_exceeds_capturable",
                        format!(
                            "amount_to_capture {asked} exceeds the capturable amount {capturable}"
                        ),
                    ));
                }
                asked
            }
        };
        let multiple = connector
            .capabilities()
            .conditions(Flow::Capture)
            .contains(&Condition::Multiple);
        let final_capture = body
            .final_capture
            .unwrap_or(amount == capturable || !multiple);
        if !final_capture && !multiple {
            return Err(ApiError::not_supported(format!(
                "connector {} does not support multiple captures; final_capture must be true",
                connector.id()
            )));
        }

        let capture_id = new_id("cap");
        let sequence = i64::try_from(record.captures.len()).unwrap_or(i64::MAX) + 1;
        record.captures.push(CaptureObject {
            capture_id: capture_id.clone(),
            status: "pending".into(),
            amount,
            currency: record.payment.currency.clone(),
            connector: connector.id().to_owned(),
            connector_capture_id: None,
            capture_sequence: sequence,
            error_code: None,
            error_message: None,
            created_at: now(),
        });
        record.payment.amount_capturable -= amount;
        self.claim(record).await?;

        let mut request = CaptureRequest::new(
            connector_id(record)?,
            currency(&record.payment.currency)?,
            Some(minor(amount)?),
        );
        request.idempotency_key = caller.connector_key(&capture_id);
        request.final_capture = final_capture;
        let outcome = connector.capture(&request).await;
        let accepted = matches!(&outcome, Ok(r) if r.status == PaymentStatus::Processing);
        let index = record.captures.len() - 1;
        let result = match outcome {
            Ok(response) => {
                let capture = &mut record.captures[index];
                capture.connector_capture_id = response.connector_capture_id.clone();
                match response.status {
                    PaymentStatus::Failed => {
                        capture.status = "failed".into();
                        capture.error_message = Some(format!("capture {}", response.raw_status));
                        record.payment.amount_capturable += amount;
                    }
                    PaymentStatus::Processing => {
                        record.payment.status = status_name(PaymentStatus::Processing);
                    }
                    _ => {
                        capture.status = "charged".into();
                        record.payment.amount_received += amount;
                        if final_capture {
                            record.payment.amount_capturable = 0;
                        }
                        record.payment.status = status_name(captured_status(&record.payment));
                    }
                }
                if let Some(amounts) = response.amounts {
                    if response.status != PaymentStatus::Processing {
                        record.payment.amount_capturable = amounts.capturable.get();
                        record.payment.amount_received = amounts.received.get();
                    }
                }
                Ok(())
            }
            Err(err) if err.outcome_unknown() => {
                record.captures[index].error_message = Some(unknown_message(&err));
                record.payment.status = status_name(PaymentStatus::Processing);
                Ok(())
            }
            Err(err) => {
                let capture = &mut record.captures[index];
                capture.status = "failed".into();
                set_error(&mut capture.error_code, &mut capture.error_message, &err);
                record.payment.amount_capturable += amount;
                Err(ApiError::from_connector(&err))
            }
        };
        if accepted {
            settle(connector, record).await;
        }
        self.save(record).await?;
        result?;
        Ok(payment_object(record))
    }

    /// `POST /payments/{id}/cancel`: void the authorization.
    pub async fn cancel(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        let (_guard, mut record, connector) = self.open(caller, payment_id).await?;
        cancel_check(&record, connector.capabilities()).into_result()?;
        let request = VoidRequest {
            idempotency_key: caller.connector_key(&format!("{payment_id}-void")),
            connector_payment_id: connector_id(&record)?,
            reason: body.cancellation_reason.clone(),
        };
        record.payment.cancellation_reason = body.cancellation_reason;
        let outcome = connector.void(&request).await;
        let accepted = matches!(&outcome, Ok(r) if r.status == PaymentStatus::Processing);
        match outcome {
            Ok(response) => {
                record.payment.status = status_name(response.status);
                if response.status == PaymentStatus::Cancelled {
                    record.payment.amount_capturable = 0;
                    set_attempt_status(&mut record, "voided");
                }
            }
            Err(err) if err.outcome_unknown() => {
                record.payment.status = status_name(PaymentStatus::Processing);
                record.payment.error_message = Some(unknown_message(&err));
            }
            Err(err) => return Err(ApiError::from_connector(&err)),
        }
        if accepted {
            settle(&connector, &mut record).await;
        }
        self.save(&mut record).await?;
        Ok(payment_object(&record))
    }

    /// `POST /payments/{id}/incremental_authorization`: raise the authorization to a new total.
    pub async fn increment(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: IncrementalAuthorizationBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut copies = self.copies(caller, payment_id).await;
        loop {
            let (mut record, connector) = copies.next().await?;
            let answer = self
                .increment_on(caller, &mut record, &connector, &body)
                .await;
            if copies.answered(&record, &answer) {
                return answer;
            }
        }
    }

    async fn increment_on(
        &self,
        caller: &Caller,
        record: &mut PaymentRecord,
        connector: &Arc<dyn Connector>,
        body: &IncrementalAuthorizationBody,
    ) -> Result<PaymentObject, ApiError> {
        increment_check(record, connector.capabilities()).into_result()?;
        let current = record.payment.amount;
        let new_total = amount("amount", body.amount)?.get();
        if new_total <= current {
            return Err(ApiError::invalid(
                "amount_not_above_authorized",
                format!(
                    "amount is the new total and must be greater than the authorized amount {current}; got {new_total}"
                ),
            ));
        }
        let authorization_id = new_id("auth");
        record.increments.push(IncrementalAuthorizationObject {
            authorization_id: authorization_id.clone(),
            amount: new_total,
            status: "processing".into(),
            error_code: None,
            error_message: None,
            previously_authorized_amount: current,
            created_at: now(),
        });
        self.claim(record).await?;

        let request = IncrementalAuthorizationRequest {
            idempotency_key: caller.connector_key(&authorization_id),
            connector_payment_id: connector_id(record)?,
            currency: currency(&record.payment.currency)?,
            current_authorized: minor(current)?,
            new_total: minor(new_total)?,
            reason: body.reason.clone(),
            card_network: card_network(&record.payment),
        };
        let index = record.increments.len() - 1;
        let result = match connector.increment_authorization(&request).await {
            Ok(response) => {
                let increment = &mut record.increments[index];
                increment.status = enum_name(&response.status);
                match response.status {
                    AuthorizationStatus::Success => {
                        let authorized = response.authorized.get().max(new_total);
                        let p = &mut record.payment;
                        p.amount_capturable += authorized - p.amount;
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
                Ok(())
            }
            Err(err) if err.outcome_unknown() => {
                record.increments[index].error_message = Some(unknown_message(&err));
                Ok(())
            }
            Err(err) => {
                let increment = &mut record.increments[index];
                increment.status = "failure".into();
                set_error(
                    &mut increment.error_code,
                    &mut increment.error_message,
                    &err,
                );
                Err(ApiError::from_connector(&err))
            }
        };
        self.save(record).await?;
        result?;
        Ok(payment_object(record))
    }

    /// `POST /payments/{id}/extend_authorization`.
    pub async fn extend(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<PaymentObject, ApiError> {
        let (_guard, mut record, connector) = self.open(caller, payment_id).await?;
        extend_check(&record, connector.capabilities()).into_result()?;
        let request = ExtendAuthorizationRequest {
            idempotency_key: caller.connector_key(&new_id("ext")),
            connector_payment_id: connector_id(&record)?,
            currency: currency(&record.payment.currency)?,
            card_network: card_network(&record.payment),
        };
        let response = connector
            .extend_authorization(&request)
            .await
            .map_err(|e| ApiError::from_connector(&e))?;
        match response.status {
            AuthorizationStatus::Failure => {
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
            AuthorizationStatus::Success | AuthorizationStatus::Processing => {
                let p = &mut record.payment;
                p.extended_authorization_applied =
                    Some(response.extended_authorization_applied.into());
                if response.extended_authorization_applied {
                    p.extended_authorization_last_applied_at = Some(now());
                }
                if let Some(expires) = response.expires_at {
                    p.expires_on = Some(format_time(expires));
                    p.capture_before = Some(format_time(expires));
                }
            }
        }
        self.save(&mut record).await?;
        Ok(payment_object(&record))
    }

    /// `POST /payments/{id}/cancel_post_capture`.
    pub async fn cancel_post_capture(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut copies = self.copies(caller, payment_id).await;
        loop {
            let (mut record, connector) = copies.next().await?;
            let answer = self
                .cancel_post_capture_on(caller, &mut record, &connector, &body)
                .await;
            if copies.answered(&record, &answer) {
                return answer;
            }
        }
    }

    async fn cancel_post_capture_on(
        &self,
        caller: &Caller,
        record: &mut PaymentRecord,
        connector: &Arc<dyn Connector>,
        body: &CancelBody,
    ) -> Result<PaymentObject, ApiError> {
        cancel_post_capture_check(record, connector.capabilities()).into_result()?;
        let refund_id = new_id("ref");
        let received = record.payment.amount_received;
        record.refunds.push(new_refund(
            record,
            &refund_id,
            received,
            body.cancellation_reason.clone(),
            Map::new(),
        ));
        record.payment.cancellation_reason = body.cancellation_reason.clone();
        self.claim(record).await?;

        let request = CancelPostCaptureRequest {
            idempotency_key: caller.connector_key(&refund_id),
            connector_payment_id: connector_id(record)?,
            currency: currency(&record.payment.currency)?,
            amount_captured: minor(received)?,
            reason: body.cancellation_reason.clone(),
        };
        let index = record.refunds.len() - 1;
        let result = match connector.cancel_post_capture(&request).await {
            Ok(response) => {
                apply_refund(&mut record.refunds[index], &response.refund);
                record.payment.status = status_name(response.status);
                Ok(())
            }
            Err(err) if err.outcome_unknown() => {
                record.refunds[index].error_message = Some(unknown_message(&err));
                record.payment.status = status_name(PaymentStatus::Processing);
                Ok(())
            }
            Err(err) => {
                let refund = &mut record.refunds[index];
                refund.status = "failed".into();
                set_error(&mut refund.error_code, &mut refund.error_message, &err);
                Err(ApiError::from_connector(&err))
            }
        };
        self.save(record).await?;
        result?;
        Ok(payment_object(record))
    }

    /// `POST /payments/{id}/complete_authorize`.
    pub async fn complete_authorize(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: CompleteAuthorizeBody,
    ) -> Result<PaymentObject, ApiError> {
        let (_guard, mut record, connector) = self.open(caller, payment_id).await?;
        complete_check(&record, connector.capabilities()).into_result()?;
        if settled_by_webhook(&record) {
            self.sync(&connector, &mut record).await?;
            return Ok(payment_object(&record));
        }
        let request = CompleteAuthorizeRequest {
            idempotency_key: caller.connector_key(&format!("{payment_id}-complete")),
            connector_payment_id: connector_id(&record)?,
            capture_method: capture_method(&record.payment),
            redirect_params: connector_metadata(&body.redirect_params.unwrap_or_default()),
        };
        match connector.complete_authorize(&request).await {
            Ok(response) => apply_payment(&mut record, &response),
            Err(err) if err.outcome_unknown() => {
                record.payment.status = status_name(PaymentStatus::Processing);
                record.payment.error_message = Some(unknown_message(&err));
            }
            Err(err) => return Err(ApiError::from_connector(&err)),
        }
        self.save(&mut record).await?;
        Ok(payment_object(&record))
    }

    /// `PUT /payments/{id}/update_metadata`: merge keys; `null` removes one.
    pub async fn update_metadata(
        &self,
        caller: &Caller,
        payment_id: &str,
        body: UpdateMetadataBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut copies = self.copies(caller, payment_id).await;
        loop {
            let (mut record, _) = copies.next().await?;
            let answer = self.update_metadata_on(&mut record, &body).await;
            if copies.answered(&record, &answer) {
                return answer;
            }
        }
    }

    async fn update_metadata_on(
        &self,
        record: &mut PaymentRecord,
        body: &UpdateMetadataBody,
    ) -> Result<PaymentObject, ApiError> {
        let mut metadata: Map<String, Value> =
            serde_json::from_str(&record.payment.metadata).unwrap_or_default();
        for (key, value) in &body.metadata {
            if value.is_null() {
                metadata.remove(key);
            } else {
                metadata.insert(key.clone(), value.clone());
            }
        }
        record.payment.metadata = Value::Object(metadata).to_string();
        self.save(record).await?;
        Ok(payment_object(record))
    }

    /// `GET /payments/{id}/eligibility`.
    pub async fn eligibility(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<Eligibility, ApiError> {
        let record = self.load(caller, payment_id).await?;
        let connector = self.connector(&record.payment.connector)?;
        let caps = connector.capabilities();
        let refundable = refundable(&record);
        let checks = [
            (
                "capture",
                capture_check(&record, caps),
                Some(record.payment.amount_capturable),
            ),
            ("cancel", cancel_check(&record, caps), None),
            (
                "incremental_authorization",
                increment_check(&record, caps),
                None,
            ),
            ("extend_authorization", extend_check(&record, caps), None),
            (
                "cancel_post_capture",
                cancel_post_capture_check(&record, caps),
                None,
            ),
            ("refund", refund_check(&record, caps), Some(refundable)),
            ("complete_authorize", complete_check(&record, caps), None),
            ("sync", sync_check(&record, caps), None),
        ];
        let operations = checks
            .into_iter()
            .map(|(name, check, max)| {
                let eligible = check.reason.is_none();
                (
                    name.to_owned(),
                    OperationEligibility {
                        eligible,
                        reason: check.reason,
                        max_amount: max.filter(|_| eligible),
                    },
                )
            })
            .collect();
        Ok(Eligibility {
            payment_id: record.payment.payment_id.clone(),
            status: record.payment.status.clone(),
            connector: record.payment.connector.clone(),
            operations,
        })
    }

    /// `POST /payments/session_tokens`.
    pub async fn session_tokens(
        &self,
        caller: &Caller,
        body: SessionTokensBody,
    ) -> Result<Value, ApiError> {
        let record = self.load(caller, &body.payment_id).await?;
        let connector = self.connector(&record.payment.connector)?.clone();
        let wallets = body
            .wallets
            .iter()
            .map(|w| {
                serde_json::from_value::<Wallet>(Value::String(w.clone())).map_err(|_| {
                    ApiError::invalid(
                        "unknown_wallet",
                        format!("wallet '{w}' is not one of: apple_pay, google_pay"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if wallets.is_empty() {
            return Err(ApiError::invalid(
                "missing_wallets",
                "wallets must name at least one wallet",
            ));
        }
        if !connector.capabilities().supports(Flow::SessionToken) {
            let able: Vec<&str> = self
                .connectors
                .values()
                .filter(|c| c.capabilities().supports(Flow::SessionToken))
                .map(|c| c.id())
                .collect();
            return Err(ApiError::not_supported(format!(
                "connector {} cannot produce wallet session tokens; connectors that can: {}",
                connector.id(),
                if able.is_empty() {
                    "none configured".to_owned()
                } else {
                    able.join(", ")
                }
            )));
        }
        let request = SessionTokenRequest {
            amount: minor(record.payment.amount)?,
            currency: currency(&record.payment.currency)?,
            wallets,
        };
        let response = connector
            .session_token(&request)
            .await
            .map_err(|e| ApiError::from_connector(&e))?;
        let tokens: Vec<Value> = response
            .sessions
            .into_iter()
            .map(|s| serde_json::json!({"wallet_name": enum_name(&s.wallet), "data": s.data}))
            .collect();
        Ok(serde_json::json!({"payment_id": record.payment.payment_id, "session_token": tokens}))
    }

    /// `POST /payments/{id}/3ds/authentication`: no connector offers external 3DS
    /// authentication; the payment must exist and belong to the caller all the same.
    pub async fn external_authentication(
        &self,
        caller: &Caller,
        payment_id: &str,
    ) -> Result<PaymentObject, ApiError> {
        let record = self.load(caller, payment_id).await?;
        Err(ApiError::not_supported(format!(
            "external 3DS authentication is not supported by connector {}; 3DS runs inside the \
             authorization (authentication_type: three_ds) and completes with complete_authorize",
            record.payment.connector
        )))
    }

    /// `POST /refunds`.
    pub async fn refund(
        &self,
        caller: &Caller,
        body: CreateRefundBody,
    ) -> Result<RefundObject, ApiError> {
        let payment_id = body.payment_id.clone();
        let mut copies = self.copies(caller, &payment_id).await;
        loop {
            let (mut record, connector) = copies.next().await?;
            let answer = self.refund_on(caller, &mut record, &connector, &body).await;
            if copies.answered(&record, &answer) {
                return answer;
            }
        }
    }

    async fn refund_on(
        &self,
        caller: &Caller,
        record: &mut PaymentRecord,
        connector: &Arc<dyn Connector>,
        body: &CreateRefundBody,
    ) -> Result<RefundObject, ApiError> {
        refund_check(record, connector.capabilities()).into_result()?;
        let refundable = refundable(record);
        let amount = match body.amount {
            None => refundable,
            Some(asked) => {
                let asked = amount("amount", asked)?.get();
                if asked > refundable {
                    return Err(ApiError::invalid(
                        "amount_exceeds_refundable",
                        format!("amount {asked} exceeds the refundable amount {refundable}"),
                    ));
                }
                asked
            }
        };
        let metadata = body.metadata.clone().unwrap_or_default();
        let refund_id = new_id("ref");
        record.refunds.push(new_refund(
            record,
            &refund_id,
            amount,
            body.reason.clone(),
            metadata.clone(),
        ));
        self.claim(record).await?;

        let mut request = RefundRequest::new(
            connector_id(record)?,
            currency(&record.payment.currency)?,
            Some(minor(amount)?),
        );
        request.idempotency_key = caller.connector_key(&refund_id);
        request.reason = body.reason.clone();
        request.reference = Some(refund_id.clone());
        request.metadata = connector_metadata(&metadata);
        let index = record.refunds.len() - 1;
        let result = match connector.refund(&request).await {
            Ok(response) => {
                apply_refund(&mut record.refunds[index], &response);
                Ok(())
            }
            Err(err) if err.outcome_unknown() => {
                record.refunds[index].error_message = Some(unknown_message(&err));
                Ok(())
            }
            Err(err) => {
                let refund = &mut record.refunds[index];
                refund.status = "failed".into();
                set_error(&mut refund.error_code, &mut refund.error_message, &err);
                Err(ApiError::from_connector(&err))
            }
        };
        // A refund the processor accepted is synced once and stored with the answer, as
        // `settle` does for a capture.
        let pending = record.refunds[index].status == "pending";
        if pending && connector.capabilities().supports(Flow::RefundSync) {
            if let Some(payment) = record.payment.connector_transaction_id.clone() {
                apply_refund_sync(connector, &payment, &mut record.refunds[index]).await;
            }
        }
        self.save(record).await?;
        result?;
        Ok(record.refunds[index].clone())
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
        let _guard = if force_sync {
            Some(self.locks.lock(&payment_id).await)
        } else {
            None
        };
        let mut record = if force_sync {
            self.load_to_change(caller, &payment_id).await?
        } else {
            self.load(caller, &payment_id).await?
        };
        let index = record
            .refunds
            .iter()
            .position(|r| r.refund_id == refund_id)
            .ok_or_else(not_found)?;
        if force_sync {
            let connector = self.connector(&record.payment.connector)?.clone();
            let connector_refund_id = record.refunds[index]
                .connector_refund_id
                .clone()
                .ok_or_else(|| {
                    ApiError::invalid_state(
                    "no_connector_refund",
                    "the processor never returned an id for this refund; sync the payment instead",
                )
                })?;
            if !connector.capabilities().supports(Flow::RefundSync) {
                return Err(ApiError::not_supported(format!(
                    "connector {} cannot sync refunds",
                    connector.id()
                )));
            }
            let request = RefundSyncRequest {
                connector_payment_id: connector_id(&record)?,
                connector_refund_id,
            };
            let answer = connector
                .sync_refund(&request)
                .await
                .map_err(|e| ApiError::from_connector(&e))?;
            apply_refund(&mut record.refunds[index], &answer);
            self.save(&mut record).await?;
        }
        Ok(record.refunds[index].clone())
    }

    /// Applies a verified webhook event to the payment it concerns, under the payment's lock,
    /// and records it. Answers `duplicate` (the event id was seen before), `applied` (the
    /// payment changed; stored with the event in one transaction) or `ignored` (no such
    /// payment, or nothing to change), with the payment.
    pub async fn receive_webhook(
        &self,
        connector: &str,
        event: &WebhookEvent,
    ) -> Result<(&'static str, Option<String>), ApiError> {
        let owner = match &event.connector_payment_id {
            Some(id) => {
                self.store
                    .payment_owner_by_connector_id(connector, id)
                    .await?
            }
            None => None,
        };
        let Some((payment_id, merchant_id)) = owner else {
            let received_at = now();
            let received = ReceivedWebhook {
                connector,
                event,
                payment_id: None,
                received_at: &received_at,
            };
            let recorded = self.store.record_ignored_webhook(&received, None).await?;
            return Ok((if recorded { "ignored" } else { "duplicate" }, None));
        };
        let caller = Caller {
            merchant_id,
            idempotency_key: None,
        };
        let mut copies = self.copies(&caller, &payment_id).await;
        loop {
            let (mut record, _) = copies.next().await?;
            let answer = self
                .webhook_on(connector, event, &payment_id, &mut record)
                .await;
            if copies.answered(&record, &answer) {
                return answer.map(|status| (status, Some(payment_id.clone())));
            }
        }
    }

    async fn webhook_on(
        &self,
        connector: &str,
        event: &WebhookEvent,
        payment_id: &str,
        record: &mut PaymentRecord,
    ) -> Result<&'static str, ApiError> {
        let received_at = now();
        let received = ReceivedWebhook {
            connector,
            event,
            payment_id: Some(payment_id),
            received_at: &received_at,
        };
        if crate::webhooks::apply(record, event) {
            if self
                .store
                .webhook_event_seen(connector, &event.event_id)
                .await?
            {
                return Ok("duplicate");
            }
            self.save_with_event(record, Some(&received)).await?;
            return Ok("applied");
        }
        // Most events change nothing; recording one also checks the copy it was checked against.
        let recorded = self
            .store
            .record_ignored_webhook(&received, Some(record))
            .await?;
        Ok(if recorded { "ignored" } else { "duplicate" })
    }
}

/// The copies of one payment an operation runs on, under the payment's lock: the one the store
/// remembers when it has one ([`Store::remembered_payment`]), else or then a fresh read.
///
/// The remembered copy saves a read of the database and is current unless another router
/// instance sharing the database changed the payment. So an operation run on it must write the
/// payment before it does anything that cannot be undone (call a processor): a stale copy fails
/// that first write (the version compare). An operation that ended, either way, without a
/// confirmed write ran on a copy nobody confirmed, and runs again on a fresh read; only a fault
/// of the database is answered as it is (a write may have happened).
struct Copies<'a> {
    payments: &'a Payments,
    caller: &'a Caller,
    payment_id: &'a str,
    remembered: Option<PaymentRecord>,
    _guard: OwnedMutexGuard<()>,
}

impl Copies<'_> {
    /// The remembered copy the first time, a fresh read after; with the payment's connector.
    async fn next(&mut self) -> Result<(PaymentRecord, Arc<dyn Connector>), ApiError> {
        let record = match self.remembered.take() {
            Some(record) => record,
            None => {
                self.payments
                    .load_to_change(self.caller, self.payment_id)
                    .await?
            }
        };
        let connector = self.payments.connector(&record.payment.connector)?.clone();
        Ok((record, connector))
    }

    /// Whether `answer`, of an operation run on `record`, stands (else it runs again).
    fn answered<T>(&self, record: &PaymentRecord, answer: &Result<T, ApiError>) -> bool {
        !record.unconfirmed() || matches!(answer, Err(err) if err.kind == ErrorType::Internal)
    }
}

/// Asks the processor for the payment and its pending refunds, and applies what it says to
/// `record` (not stored).
async fn apply_sync(
    connector: &Arc<dyn Connector>,
    record: &mut PaymentRecord,
) -> Result<(), ApiError> {
    let Some(connector_id) = record.payment.connector_transaction_id.clone() else {
        return Err(ApiError::invalid_state(
            "no_connector_transaction",
            format!(
                "the processor never returned an id for this payment, so it cannot be synced; \
                 look it up at the processor by the reference {}",
                record.payment.payment_id
            ),
        ));
    };
    let request = PaymentSyncRequest {
        connector_payment_id: connector_id.clone(),
        capture_method: capture_method(&record.payment),
    };
    let response = connector
        .sync_payment(&request)
        .await
        .map_err(|e| ApiError::from_connector(&e))?;
    apply_payment(record, &response);
    settle_children(record, &response);
    if connector.capabilities().supports(Flow::RefundSync) {
        for refund in record.refunds.iter_mut().filter(|r| r.status == "pending") {
            apply_refund_sync(connector, &connector_id, refund).await;
        }
    }
    Ok(())
}

/// Asks the processor how `refund` went and applies the answer to it (not stored); nothing when
/// the processor never named the refund or does not answer.
async fn apply_refund_sync(
    connector: &Arc<dyn Connector>,
    connector_payment_id: &str,
    refund: &mut RefundObject,
) {
    let Some(connector_refund_id) = refund.connector_refund_id.clone() else {
        return;
    };
    let request = RefundSyncRequest {
        connector_payment_id: connector_payment_id.to_owned(),
        connector_refund_id,
    };
    if let Ok(answer) = connector.sync_refund(&request).await {
        apply_refund(refund, &answer);
    }
}

/// When the processor only accepted an operation (answered `processing`), one immediate sync
/// usually settles it, and its answer is stored with the acceptance (the operation was stored
/// as pending before the processor was called, so a crash in between loses nothing a sync
/// cannot find). If the sync fails, the payment stays `processing` for a later sync or webhook.
/// (An unknown outcome is not synced at once: the processor may still be working on it, and
/// the merchant decides when to ask.)
async fn settle(connector: &Arc<dyn Connector>, record: &mut PaymentRecord) {
    let processing = record.payment.status == status_name(PaymentStatus::Processing);
    if processing
        && record.payment.connector_transaction_id.is_some()
        && connector.capabilities().supports(Flow::PaymentSync)
    {
        let before = record.clone();
        if let Err(err) = apply_sync(connector, record).await {
            tracing::info!(payment_id = %record.payment.payment_id, error = %err.message, "settling sync failed");
            *record = before;
        }
    }
}

/// Why an operation is not allowed now, or `None`.
pub(crate) struct Check {
    reason: Option<String>,
    unsupported: bool,
}

impl Check {
    fn ok() -> Check {
        Check {
            reason: None,
            unsupported: false,
        }
    }

    fn state(reason: impl Into<String>) -> Check {
        Check {
            reason: Some(reason.into()),
            unsupported: false,
        }
    }

    fn unsupported(reason: impl Into<String>) -> Check {
        Check {
            reason: Some(reason.into()),
            unsupported: true,
        }
    }

    fn then(self, next: impl FnOnce() -> Check) -> Check {
        if self.reason.is_some() {
            self
        } else {
            next()
        }
    }

    fn into_result(self) -> Result<(), ApiError> {
        match self.reason {
            None => Ok(()),
            Some(reason) if self.unsupported => Err(ApiError::not_supported(reason)),
            Some(reason) => Err(ApiError::invalid_state("invalid_payment_state", reason)),
        }
    }
}

pub(crate) fn status_of(record: &PaymentRecord) -> Option<PaymentStatus> {
    serde_json::from_value(Value::String(record.payment.status.clone())).ok()
}

fn supports(caps: &Capabilities, flow: Flow) -> Check {
    if caps.supports(flow) {
        Check::ok()
    } else {
        Check::unsupported(format!(
            "connector {} does not support {flow}",
            caps.connector
        ))
    }
}

fn in_status(record: &PaymentRecord, allowed: &[PaymentStatus], operation: &str) -> Check {
    match status_of(record) {
        Some(status) if allowed.contains(&status) => Check::ok(),
        _ => Check::state(format!(
            "{operation} is not allowed when the payment is {}; it needs {}",
            record.payment.status,
            allowed
                .iter()
                .map(|s| status_name(*s))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

fn capture_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    use PaymentStatus as S;
    supports(caps, Flow::Capture)
        .then(|| {
            in_status(
                record,
                &[
                    S::RequiresCapture,
                    S::PartiallyCapturedAndCapturable,
                    S::PartiallyAuthorizedAndRequiresCapture,
                ],
                "capture",
            )
        })
        .then(|| {
            if record.payment.amount_capturable > 0 {
                Check::ok()
            } else {
                Check::state("nothing is left to capture")
            }
        })
}

fn cancel_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    use PaymentStatus as S;
    supports(caps, Flow::Void)
        .then(|| {
            in_status(
                record,
                &[
                    S::RequiresCapture,
                    S::PartiallyAuthorizedAndRequiresCapture,
                    S::RequiresCustomerAction,
                ],
                "cancel",
            )
        })
        .then(|| {
            if record.captures.iter().any(|c| c.status != "failed") {
                Check::state("the payment has captures; use cancel_post_capture or a refund")
            } else {
                Check::ok()
            }
        })
}

fn increment_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    supports(caps, Flow::IncrementalAuthorization)
        .then(|| {
            in_status(
                record,
                &[PaymentStatus::RequiresCapture],
                "incremental authorization",
            )
        })
        .then(|| {
            if record.captures.iter().any(|c| c.status != "failed") {
                Check::state("incremental authorization is not allowed after a capture")
            } else if record.payment.request_incremental_authorization == 0 {
                Check::state(
                    "the payment was not created with request_incremental_authorization: true",
                )
            } else if record.payment.incremental_authorization_allowed == Some(0) {
                Check::state("the processor does not allow incrementing this authorization")
            } else if record.increments.iter().any(|i| i.status == "processing") {
                Check::state("an incremental authorization is still processing; sync the payment")
            } else {
                Check::ok()
            }
        })
        .then(|| {
            let limit = caps
                .conditions(Flow::IncrementalAuthorization)
                .iter()
                .find_map(|c| match c {
                    Condition::MaxAttempts { count } => Some(*count),
                    _ => None,
                });
            match limit {
                Some(limit) if record.increments.len() >= limit as usize => Check::state(format!(
                    "connector {} allows at most {limit} incremental authorizations per payment",
                    caps.connector
                )),
                _ => Check::ok(),
            }
        })
}

fn extend_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    supports(caps, Flow::ExtendAuthorization)
        .then(|| {
            if caps
                .conditions(Flow::ExtendAuthorization)
                .contains(&Condition::AtAuthorizationOnly)
            {
                Check::unsupported(format!(
                    "connector {} extends authorizations only when asked at creation \
                     (request_extended_authorization: true)",
                    caps.connector
                ))
            } else {
                Check::ok()
            }
        })
        .then(|| {
            in_status(
                record,
                &[PaymentStatus::RequiresCapture],
                "extending the authorization",
            )
        })
        .then(|| {
            let networks =
                caps.conditions(Flow::ExtendAuthorization)
                    .iter()
                    .find_map(|c| match c {
                        Condition::CardNetworks { networks } => Some(networks),
                        _ => None,
                    });
            match (networks, card_network(&record.payment)) {
                (Some(networks), network) if !network.is_some_and(|n| networks.contains(&n)) => {
                    Check::unsupported(format!(
                        "connector {} extends authorizations only for {} cards",
                        caps.connector,
                        networks
                            .iter()
                            .map(enum_name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
                _ => Check::ok(),
            }
        })
        .then(|| {
            let estimated = record.payment.request_incremental_authorization != 0
                || record.payment.request_extended_authorization != 0;
            let needs_estimated = caps
                .conditions(Flow::ExtendAuthorization)
                .contains(&Condition::RequiresEstimatedAuthorization);
            if needs_estimated && !estimated {
                Check::state(format!(
                    "connector {} extends estimated authorizations only; create the payment with \
                     request_extended_authorization: true",
                    caps.connector
                ))
            } else {
                Check::ok()
            }
        })
}

fn cancel_post_capture_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    use PaymentStatus as S;
    supports(caps, Flow::CancelPostCapture)
        .then(|| {
            in_status(
                record,
                &[S::Succeeded, S::PartiallyCaptured],
                "cancel post capture",
            )
        })
        .then(|| {
            if record.refunds.iter().any(|r| r.status != "failed") {
                Check::state("the payment already has refunds; refund the rest instead")
            } else if record.payment.amount_received == 0 {
                Check::state("nothing was captured")
            } else {
                Check::ok()
            }
        })
}

fn refund_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    use PaymentStatus as S;
    supports(caps, Flow::Refund)
        .then(|| {
            in_status(
                record,
                &[
                    S::Succeeded,
                    S::PartiallyCaptured,
                    S::PartiallyCapturedAndCapturable,
                ],
                "refund",
            )
        })
        .then(|| {
            if refundable(record) > 0 {
                Check::ok()
            } else {
                Check::state("nothing is left to refund")
            }
        })
}

fn complete_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    supports(caps, Flow::CompleteAuthorize).then(|| {
        if settled_by_webhook(record) {
            return Check::ok();
        }
        in_status(
            record,
            &[PaymentStatus::RequiresCustomerAction],
            "complete authorize",
        )
    })
}

/// The customer's action is still recorded as pending but a webhook already moved the payment
/// on (it can arrive before the customer's browser returns): completing means syncing.
fn settled_by_webhook(record: &PaymentRecord) -> bool {
    record.payment.next_action.is_some()
        && status_of(record).is_some_and(|s| s != PaymentStatus::RequiresCustomerAction)
}

fn sync_check(record: &PaymentRecord, caps: &Capabilities) -> Check {
    supports(caps, Flow::PaymentSync).then(|| {
        if record.payment.connector_transaction_id.is_some() {
            Check::ok()
        } else {
            Check::state("the processor never returned an id for this payment")
        }
    })
}

/// Captured minus every refund that did not fail.
fn refundable(record: &PaymentRecord) -> i64 {
    let refunded: i64 = record
        .refunds
        .iter()
        .filter(|r| r.status != "failed")
        .map(|r| r.amount)
        .sum();
    (record.payment.amount_received - refunded).max(0)
}

/// The status after a successful capture, from the amounts.
pub(crate) fn captured_status(p: &PaymentRow) -> PaymentStatus {
    if p.amount_received >= p.amount {
        PaymentStatus::Succeeded
    } else if p.amount_capturable > 0 {
        PaymentStatus::PartiallyCapturedAndCapturable
    } else {
        PaymentStatus::PartiallyCaptured
    }
}

/// Stores what the processor says of the payment (authorize, complete, sync).
fn apply_payment(record: &mut PaymentRecord, response: &PaymentResponse) {
    let now = now();
    let p = &mut record.payment;
    if !response.connector_payment_id.is_empty() {
        p.connector_transaction_id = Some(response.connector_payment_id.clone());
    }
    p.status = status_name(response.status);
    p.amount_capturable = response.amounts.capturable.get();
    p.amount_received = response.amounts.received.get();
    if response.amounts.authorized.get() > p.amount {
        p.amount = response.amounts.authorized.get();
    }
    if let Some(allowed) = response.incremental_authorization_allowed {
        p.incremental_authorization_allowed = Some(allowed.into());
    }
    if let Some(applied) = response.extended_authorization_applied {
        if applied && p.extended_authorization_applied != Some(1) {
            p.extended_authorization_last_applied_at = Some(now.clone());
        }
        p.extended_authorization_applied = Some(applied.into());
    }
    if let Some(t) = response.capture_before {
        p.capture_before = Some(format_time(t));
    }
    if let Some(t) = response.expires_at {
        p.expires_on = Some(format_time(t));
    }
    if let Some(network) = response.card_network {
        p.card_network = Some(enum_name(&network));
    }
    p.next_action = response.next_action.as_ref().map(|action| {
        match action {
            NextAction::RedirectToUrl { url } => {
                serde_json::json!({"type": "redirect_to_url", "redirect_to_url": url})
            }
            NextAction::InvokeSdkClient { data } => {
                serde_json::json!({"type": "invoke_sdk_client", "next_action_data": data})
            }
        }
        .to_string()
    });
    let authorized = !matches!(
        response.status,
        PaymentStatus::Failed
            | PaymentStatus::Processing
            | PaymentStatus::RequiresCustomerAction
            | PaymentStatus::RequiresPaymentMethod
            | PaymentStatus::RequiresConfirmation
    );
    if authorized && p.authorization_count == 0 {
        p.authorization_count = 1;
    }
    match &response.decline {
        Some(decline) => {
            p.error_code = decline.code.clone();
            p.error_message = decline.message.clone();
            p.unified_code = Some(enum_name(&decline.unified));
            p.unified_message = Some(decline.unified.message().to_owned());
        }
        None if response.status != PaymentStatus::Failed => {
            p.error_code = None;
            p.error_message = None;
            p.unified_code = None;
            p.unified_message = None;
        }
        None => {}
    }
    let attempt_status = attempt_status(response.status);
    let (code, message, unified, unified_message) = (
        p.error_code.clone(),
        p.error_message.clone(),
        p.unified_code.clone(),
        p.unified_message.clone(),
    );
    let transaction = p.connector_transaction_id.clone();
    if let Some(attempt) = record.attempts.last_mut() {
        attempt.status = attempt_status.into();
        attempt.connector_transaction_id = transaction;
        attempt.error_code = code;
        attempt.error_message = message;
        attempt.unified_code = unified;
        attempt.unified_message = unified_message;
        attempt.modified_at = now;
    }
}

/// After a sync: operations left pending are settled from the processor's amounts.
fn settle_children(record: &mut PaymentRecord, response: &PaymentResponse) {
    use PaymentStatus as S;
    let captured = matches!(
        response.status,
        S::Succeeded
            | S::PartiallyCaptured
            | S::PartiallyCapturedAndCapturable
            | S::CancelledPostCapture
    );
    let dead = matches!(response.status, S::Cancelled | S::Failed | S::Expired);
    let received = response.amounts.received.get();
    let mut charged: i64 = record
        .captures
        .iter()
        .filter(|c| c.status == "charged")
        .map(|c| c.amount)
        .sum();
    for capture in record.captures.iter_mut().filter(|c| c.status == "pending") {
        if captured && charged + capture.amount <= received {
            capture.status = "charged".into();
            charged += capture.amount;
        } else if dead {
            capture.status = "failed".into();
        }
    }
    let authorized = response.amounts.authorized.get();
    for increment in record
        .increments
        .iter_mut()
        .filter(|i| i.status == "processing")
    {
        if authorized >= increment.amount {
            increment.status = "success".into();
            record.payment.authorization_count += 1;
        } else if response.status != S::RequiresCapture
            || authorized <= increment.previously_authorized_amount
        {
            increment.status = "failure".into();
        }
    }
}

fn apply_refund(refund: &mut RefundObject, response: &RefundResponse) {
    refund.connector_refund_id = Some(response.connector_refund_id.clone());
    refund.status = enum_name(&response.status);
    if response.status == RefundStatus::Failed {
        refund.error_message = response
            .failure_reason
            .clone()
            .or(Some(response.raw_status.clone()));
    }
    refund.updated_at = now();
}

fn new_refund(
    record: &PaymentRecord,
    refund_id: &str,
    amount: i64,
    reason: Option<String>,
    metadata: Map<String, Value>,
) -> RefundObject {
    let now = now();
    RefundObject {
        refund_id: refund_id.to_owned(),
        payment_id: record.payment.payment_id.clone(),
        amount,
        currency: record.payment.currency.clone(),
        status: "pending".into(),
        reason,
        metadata: Value::Object(metadata),
        connector_refund_id: None,
        error_code: None,
        error_message: None,
        unified_code: None,
        unified_message: None,
        connector: record.payment.connector.clone(),
        created_at: now.clone(),
        updated_at: now,
    }
}

fn mark_unknown(record: &mut PaymentRecord, err: &ConnectorError) {
    record.payment.status = status_name(PaymentStatus::Processing);
    record.payment.error_code = Some("outcome_unknown".into());
    record.payment.error_message = Some(unknown_message(err));
}

fn fail_attempt(record: &mut PaymentRecord, err: &ConnectorError) {
    let p = &mut record.payment;
    p.status = status_name(PaymentStatus::Failed);
    set_error(&mut p.error_code, &mut p.error_message, err);
    let (code, message) = (p.error_code.clone(), p.error_message.clone());
    if let Some(attempt) = record.attempts.last_mut() {
        attempt.status = "failure".into();
        attempt.error_code = code;
        attempt.error_message = message;
        attempt.modified_at = now();
    }
}

fn set_attempt_status(record: &mut PaymentRecord, status: &str) {
    if let Some(attempt) = record.attempts.last_mut() {
        attempt.status = status.into();
        attempt.modified_at = now();
    }
}

fn set_error(code: &mut Option<String>, message: &mut Option<String>, err: &ConnectorError) {
    *code = Some(
        err.processor_message()
            .and_then(|m| m.code().map(str::to_owned))
            .unwrap_or_else(|| ApiError::from_connector(err).code),
    );
    *message = Some(err.to_string());
}

fn unknown_message(err: &ConnectorError) -> String {
    format!("the processor's answer is unknown ({err}); sync the payment to learn the outcome")
}

fn attempt_status(status: PaymentStatus) -> &'static str {
    use PaymentStatus as S;
    match status {
        S::RequiresCapture | S::PartiallyAuthorizedAndRequiresCapture => "authorized",
        S::Succeeded | S::PartiallyCaptured | S::PartiallyCapturedAndCapturable => "charged",
        S::RequiresCustomerAction => "authentication_pending",
        S::Failed => "failure",
        S::Cancelled | S::Expired => "voided",
        _ => "pending",
    }
}

fn payment_method(
    data: Option<PaymentMethodData>,
    token: Option<String>,
) -> Result<PaymentMethod, ApiError> {
    match (data, token) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "ambiguous_payment_method",
            "give either payment_method_data or payment_token, not both",
        )),
        (None, None) => Err(ApiError::invalid(
            "missing_payment_method",
            "payment_method_data.card or payment_token is required",
        )),
        (None, Some(token)) => PaymentMethodToken::new(token)
            .map(PaymentMethod::Token)
            .map_err(|e| ApiError::invalid("invalid_payment_token", format!("payment_token: {e}"))),
        (Some(data), None) => {
            let card = data.card;
            let invalid = |field: &str, e: &dyn std::fmt::Display| {
                ApiError::invalid(
                    "invalid_card",
                    format!("payment_method_data.card.{field}: {e}"),
                )
            };
            let number =
                CardNumber::new(&card.card_number).map_err(|e| invalid("card_number", &e))?;
            let month: u8 = card
                .card_exp_month
                .trim()
                .parse()
                .map_err(|e| invalid("card_exp_month", &e))?;
            let year: u16 = card
                .card_exp_year
                .trim()
                .parse()
                .map_err(|e| invalid("card_exp_year", &e))?;
            let year = if year < 100 { 2000 + year } else { year };
            let expiry = CardExpiry::new(month, year).map_err(|e| invalid("card_exp_month", &e))?;
            let cvc = card
                .card_cvc
                .as_deref()
                .map(Cvc::new)
                .transpose()
                .map_err(|e| invalid("card_cvc", &e))?;
            Ok(PaymentMethod::Card(Card {
                number,
                expiry,
                cvc,
                holder_name: card.card_holder_name,
            }))
        }
    }
}

/// An API amount: 1 to [`MAX_AMOUNT`] minor units.
fn amount(field: &str, value: i64) -> Result<MinorUnit, ApiError> {
    if value <= 0 {
        return Err(ApiError::invalid(
            "invalid_amount",
            format!("{field} must be greater than zero (minor units); got {value}"),
        ));
    }
    if value > MAX_AMOUNT {
        return Err(ApiError::invalid(
            "amount_too_large",
            format!("{field} must be at most {MAX_AMOUNT} minor units; got {value}"),
        ));
    }
    minor(value)
}

fn minor(value: i64) -> Result<MinorUnit, ApiError> {
    MinorUnit::new(value).map_err(|e| ApiError::invalid("invalid_amount", e.to_string()))
}

fn currency(code: &str) -> Result<Currency, ApiError> {
    Currency::from_str(code).map_err(|_| {
        ApiError::invalid(
            "unknown_currency",
            format!("currency '{code}' is not a supported ISO 4217 code"),
        )
    })
}

fn connector_id(record: &PaymentRecord) -> Result<String, ApiError> {
    record
        .payment
        .connector_transaction_id
        .clone()
        .ok_or_else(|| {
            ApiError::invalid_state(
                "no_connector_transaction",
                "the processor never returned an id for this payment",
            )
        })
}

fn capture_method(p: &PaymentRow) -> CaptureMethod {
    if p.capture_method == "manual" {
        CaptureMethod::Manual
    } else {
        CaptureMethod::Automatic
    }
}

fn card_network(p: &PaymentRow) -> Option<CardNetwork> {
    p.card_network
        .as_ref()
        .and_then(|n| serde_json::from_value(Value::String(n.clone())).ok())
}

/// Metadata for the processor: strings as they are, other JSON values as JSON text.
fn connector_metadata(map: &Map<String, Value>) -> Metadata {
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// The serde name of a unit enum value (`requires_capture`, `visa`).
pub(crate) fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

pub(crate) fn status_name(status: PaymentStatus) -> String {
    enum_name(&status)
}

/// Now, as stored and shown: RFC 3339, UTC, milliseconds.
pub(crate) fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

/// `t` as stored and shown.
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `pay_` + 26 base32 characters of a time-ordered UUID (version 7: milliseconds, then 74
/// random bits), 30 characters as the seed's ids. Its alphabet is in ASCII order, so later ids
/// sort after earlier ones, and rows keyed by them are appended to the end of their indexes
/// instead of landing on random pages (measured: p99 about 0.7 ms lower under load).
pub(crate) fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    let bits = uuid::Uuid::now_v7().as_u128();
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    for i in (0..26).rev() {
        id.push(char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]));
    }
    id
}

/// The API's payment object.
pub fn payment_object(record: &PaymentRecord) -> PaymentObject {
    let p = &record.payment;
    let flag = |v: Option<i64>| v.map(|v| v != 0);
    PaymentObject {
        payment_id: p.payment_id.clone(),
        merchant_id: p.merchant_id.clone(),
        status: p.status.clone(),
        amount: p.amount,
        net_amount: p.amount,
        amount_capturable: p.amount_capturable,
        amount_received: p.amount_received,
        connector: p.connector.clone(),
        currency: p.currency.clone(),
        capture_method: p.capture_method.clone(),
        payment_method: p.payment_method.clone(),
        payment_method_data: p.card_last4.as_ref().map(
            |last4| serde_json::json!({"card": {"last4": last4, "card_network": p.card_network}}),
        ),
        created: p.created.clone(),
        updated: p.updated.clone(),
        metadata: serde_json::from_str(&p.metadata).unwrap_or_else(|_| Value::Object(Map::new())),
        description: p.description.clone(),
        return_url: p.return_url.clone(),
        connector_transaction_id: p.connector_transaction_id.clone(),
        error_code: p.error_code.clone(),
        error_message: p.error_message.clone(),
        unified_code: p.unified_code.clone(),
        unified_message: p.unified_message.clone(),
        next_action: p
            .next_action
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok()),
        cancellation_reason: p.cancellation_reason.clone(),
        request_incremental_authorization: p.request_incremental_authorization != 0,
        incremental_authorization_allowed: flag(p.incremental_authorization_allowed),
        authorization_count: p.authorization_count,
        incremental_authorizations: record.increments.clone(),
        extended_authorization_applied: flag(p.extended_authorization_applied),
        extended_authorization_last_applied_at: p.extended_authorization_last_applied_at.clone(),
        request_extended_authorization: p.request_extended_authorization != 0,
        capture_before: p.capture_before.clone(),
        expires_on: p.expires_on.clone(),
        refunds: record.refunds.clone(),
        captures: record.captures.clone(),
        attempts: record.attempts.clone(),
        attempt_count: i64::try_from(record.attempts.len()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_seed_length_and_differ() {
        let a = new_id("pay");
        assert_eq!(a.len(), 30, "{a}");
        assert!(a.starts_with("pay_"));
        assert_ne!(a, new_id("pay"));
    }

    #[test]
    fn ids_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..10_000).map(|_| new_id("cap")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids);
        assert!(ids.iter().all(|id| id.len() == 30
            && id[4..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))));
    }

    #[test]
    fn client_keys_give_stable_processor_keys_per_merchant() {
        let caller = |merchant: &str| Caller {
            merchant_id: merchant.into(),
            idempotency_key: Some("order-1".into()),
        };
        let a = caller("m1").connector_key("pay_x");
        assert_eq!(a, caller("m1").connector_key("pay_y"));
        assert_ne!(a, caller("m2").connector_key("pay_x"));
        let keyless = Caller {
            merchant_id: "m1".into(),
            idempotency_key: None,
        };
        assert_eq!(keyless.connector_key("cap_1").as_str(), "cap_1");
    }

    #[test]
    fn amounts_outside_the_range_name_the_field() {
        assert_eq!(
            amount("amount", 0).expect_err("zero").code,
            "invalid_amount"
        );
        assert_eq!(
            amount("amount", -5).expect_err("negative").code,
            "invalid_amount"
        );
        let err = amount("amount_to_capture", MAX_AMOUNT + 1).expect_err("too large");
        assert_eq!(err.code, "amount_too_large");
        assert!(err.message.contains("amount_to_capture"));
        assert_eq!(amount("amount", 1).map(MinorUnit::get), Ok(1));
    }

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp(1_662_804_672).expect("time");
        assert_eq!(format_time(t), "2022-09-10T10:11:12.000Z");
    }
}
