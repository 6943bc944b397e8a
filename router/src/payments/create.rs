//! `POST /payments`: check the request, store the payment, authorize it.

use paybridge_core::*;

use std::sync::Arc;

use super::details::payment_details;
use super::input::{amount, currency, free_text, payment_method, return_url};
use super::{connector_metadata, lease_end, new_id, now, Caller, Open, Payments};
use crate::domain::{
    self, Answer, Attempt, AttemptStatus, AuthenticationType, CardDetails, ErrorDetails, Outcome,
    Payment,
};
use crate::error::ApiError;
use crate::model::{CreatePaymentRequest, PaymentObject};
use crate::present::payment_object;
use crate::store::PaymentRecord;

impl Payments {
    /// `POST /payments`: create and confirm.
    ///
    /// `connector` may name several connectors, in the merchant's order of preference: the
    /// first that takes the payment is used, and the payment says which. A connector is
    /// passed over when it refuses the payment before sending anything (a flow, currency,
    /// card network or detail it does not take) or cannot be reached before anything was sent
    /// (connection refused); once a request may have reached a processor, that processor
    /// keeps the payment, whatever it answers.
    pub async fn create(
        &self,
        caller: &Caller,
        mut body: CreatePaymentRequest,
    ) -> Result<PaymentObject, ApiError> {
        let connectors = self.connector_choice(&body.connector.0)?;
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
        let (three_ds, authentication_type) = match body.authentication_type.as_deref() {
            None => (ThreeDsPreference::Automatic, None),
            Some("three_ds") => (
                ThreeDsPreference::Required,
                Some(AuthenticationType::ThreeDs),
            ),
            Some("no_three_ds") => (ThreeDsPreference::Skip, Some(AuthenticationType::NoThreeDs)),
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid_authentication_type",
                    format!("authentication_type '{other}' is not one of: three_ds, no_three_ds"),
                ))
            }
        };
        let external = body.request_external_three_ds_authentication;
        if external && authentication_type != Some(AuthenticationType::ThreeDs) {
            return Err(ApiError::invalid(
                "invalid_authentication_type",
                "request_external_three_ds_authentication needs authentication_type: three_ds",
            ));
        }
        let mut details = payment_details(&mut body, authentication_type)?;
        let payment_method = payment_method(
            body.payment_method.as_deref(),
            body.payment_method_type.as_deref(),
            body.payment_method_data,
            body.payment_token,
        )?;
        let return_url = return_url(body.return_url.as_deref())?;
        free_text("description", body.description.as_deref(), 1000)?;
        let metadata = body.metadata.unwrap_or_default();
        super::input::metadata(&metadata)?;
        let mut processor_metadata = connector_metadata(&metadata);
        if let Some(reference) = &details.merchant_order_reference_id {
            processor_metadata.insert(MERCHANT_ORDER_REFERENCE.to_owned(), reference.clone());
            if processor_metadata.len() > super::input::METADATA_KEYS {
                return Err(ApiError::invalid(
                    "invalid_metadata",
                    format!(
                        "metadata has {} keys; with merchant_order_reference_id, which the \
                         processor receives as metadata, at most {} are allowed",
                        metadata.len(),
                        super::input::METADATA_KEYS - 1
                    ),
                ));
            }
        }
        // Named after the operation, so a retry after a crash finds what the first run stored.
        let payment_id = caller.new_object_id("pay");
        tracing::Span::current().record("payment_id", &payment_id);

        let mut request = AuthorizeRequest::new(amount, currency, payment_method, &payment_id);
        request.idempotency_key = caller.connector_key(&payment_id);
        request.capture_method = capture_method;
        request.request_incremental_authorization = body.request_incremental_authorization;
        request.request_extended_authorization = body.request_extended_authorization;
        request.description = body.description.clone();
        request.metadata = processor_metadata;
        request.return_url = return_url;
        request.three_ds = three_ds;
        request.customer = details.customer.clone();
        request.billing = details.billing.clone();
        request.shipping = details.shipping.clone();
        request.statement_descriptor = details.statement_descriptor.clone();
        request.browser_info = details.browser_info.clone();
        request
            .validate()
            .map_err(|e| ApiError::from_connector(&e))?;
        let (setup, connectors) = if external {
            let setup = self.authentication_setup(&caller.merchant_id, &request)?;
            (Some(setup), taking_external_results(connectors)?)
        } else {
            (None, connectors)
        };

        if caller.operation.as_ref().is_some_and(|op| op.resumed) {
            if let Some(resumed) = self.resume_create(caller, &payment_id, &request).await? {
                return Ok(resumed);
            }
        }

        let created = now();
        let (card_network, card_last4) = match &request.payment_method {
            PaymentMethod::Card(card) => {
                details.card = Some(CardDetails {
                    isin: card.number.bin().to_owned(),
                    exp_month: card.expiry.month(),
                    exp_year: card.expiry.year(),
                });
                (card.network(), Some(card.number.last4().to_owned()))
            }
            PaymentMethod::Token(_) => (None, None),
            PaymentMethod::Wallet(token) => {
                details.wallet = Some(token.wallet());
                (token.card_network(), token.last4().map(str::to_owned))
            }
        };
        let client_secret = format!("{payment_id}_secret_{}", uuid::Uuid::new_v4().simple());
        let mut payment = Payment {
            id: payment_id.clone(),
            merchant_id: caller.merchant_id.clone(),
            connector: String::new(),
            connector_transaction_id: None,
            status: PaymentStatus::Processing,
            amount,
            currency,
            capture_method,
            amount_capturable: MinorUnit::ZERO,
            amount_received: MinorUnit::ZERO,
            card_network,
            card_last4,
            metadata,
            description: body.description,
            return_url: body.return_url,
            request_incremental_authorization: body.request_incremental_authorization,
            incremental_authorization_allowed: None,
            authorization_count: 0,
            request_extended_authorization: body.request_extended_authorization,
            extended_authorization_applied: None,
            extended_authorization_last_applied_at: None,
            capture_before: None,
            expires_on: None,
            next_action: None,
            error: ErrorDetails::default(),
            cancellation_reason: None,
            created: created.clone(),
            updated: created.clone(),
            cancel_post_capture_refund: None,
            details,
            client_secret_hash: Some(client_secret_hash(&client_secret)),
            network_transaction_id: None,
            authentication: None,
            attempts: vec![Attempt {
                id: new_id("att"),
                status: AttemptStatus::Pending,
                amount,
                connector_transaction_id: None,
                error: ErrorDetails::default(),
                created_at: created.clone(),
                modified_at: created,
            }],
            captures: Vec::new(),
            increments: Vec::new(),
            refunds: Vec::new(),
        };

        if let Some(setup) = &setup {
            // `taking_external_results` keeps only the first connector that takes a result.
            let connector = connectors[0].clone();
            payment.connector = connector.id().to_owned();
            let started = self
                .start_authentication(setup, connector, &mut payment, &mut request)
                .await?;
            if let Some(payment) = started {
                let mut object = payment_object(&payment);
                object.client_secret = Some(client_secret);
                return Ok(object);
            }
        }

        let mut passed_over = Vec::new();
        let last = connectors.len() - 1;
        for (index, connector) in connectors.into_iter().enumerate() {
            let mut request = request.clone();
            // A connector that extends only estimated authorizations gets one when an
            // extension may be asked for later.
            if body.request_extended_authorization
                && connector
                    .capabilities()
                    .conditions(Flow::ExtendAuthorization)
                    .contains(&Condition::RequiresEstimatedAuthorization)
            {
                request.authorization_type = AuthorizationType::Estimated;
            }
            if let PaymentMethod::Wallet(token) = &request.payment_method {
                if !connector
                    .capabilities()
                    .takes_wallet_payments(token.wallet())
                {
                    let refusal = ConnectorError::not_supported(
                        connector.id(),
                        Flow::Authorize,
                        format!("this connector takes no {} tokens", token.wallet()),
                    );
                    passed_over.push((connector.id(), refusal));
                    continue;
                }
            }
            if !connector.capabilities().supports(Flow::Authorize) {
                let refusal = ConnectorError::not_supported(
                    connector.id(),
                    Flow::Authorize,
                    "this connector does not authorize payments",
                );
                passed_over.push((connector.id(), refusal));
                continue;
            }
            payment.connector = connector.id().to_owned();
            // Held until the processor's answer is stored (webhooks may reach another
            // instance first).
            let record = PaymentRecord::for_new(
                &payment,
                request.idempotency_key.as_str(),
                Some((self.instance.clone(), lease_end())),
            );
            self.store.insert_payment(&record).await?;
            let result = self
                .holding(&payment_id, connector.authorize(&request))
                .await;
            match result {
                Err(err) if nothing_sent(&err, index < last) => {
                    self.store.delete_unsent_payment(&payment_id).await?;
                    passed_over.push((connector.id(), err));
                    continue;
                }
                result => {
                    let mut open = Open {
                        baseline: self.baseline(&payment, true),
                        record,
                        payment,
                        connector: connector.clone(),
                    };
                    let outcome = Outcome::Authorized(Answer::of(&result));
                    domain::apply(&mut open.payment, outcome, &now());
                    self.save_answer(&mut open, |payment| {
                        domain::apply(payment, outcome, &now());
                    })
                    .await?;
                    let mut object = payment_object(&open.payment);
                    object.client_secret = Some(client_secret);
                    return Ok(object);
                }
            }
        }
        Err(no_connector_took(&passed_over))
    }

    /// The connectors `names` lists, known and each named once.
    fn connector_choice(&self, names: &[String]) -> Result<Vec<Arc<dyn Connector>>, ApiError> {
        if names.is_empty() {
            return Err(ApiError::invalid(
                "unknown_connector",
                "connector must name at least one connector",
            ));
        }
        let mut chosen: Vec<Arc<dyn Connector>> = Vec::with_capacity(names.len());
        for name in names {
            let connector = self.connector(name)?;
            if chosen.iter().any(|c| c.id() == connector.id()) {
                return Err(ApiError::invalid(
                    "duplicate_connector",
                    format!("connector lists '{name}' twice"),
                ));
            }
            chosen.push(connector.clone());
        }
        Ok(chosen)
    }

    /// A create retried after its first run's router died (its idempotency claim lapsed):
    /// `None` when that run stored nothing, so this one starts afresh under the same payment id.
    /// Else the stored payment, after sending its authorization again if its outcome is still
    /// unknown: the same reference and processor key, so the processor answers the first
    /// request (Stripe and Checkout.com replay it) instead of making a second payment.
    async fn resume_create(
        &self,
        caller: &Caller,
        payment_id: &str,
        request: &AuthorizeRequest,
    ) -> Result<Option<PaymentObject>, ApiError> {
        if self
            .store
            .payment(&caller.merchant_id, payment_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        let unknown = open.payment.connector_transaction_id.is_none()
            && open.payment.status == PaymentStatus::Processing
            && open
                .payment
                .attempts
                .first()
                .is_some_and(|attempt| attempt.status == AttemptStatus::Pending);
        if unknown {
            self.claim(&mut open).await?;
            let mut result = self
                .holding(payment_id, open.connector.authorize(request))
                .await;
            // The processor refuses a key used before (Primer): find the first request's
            // payment by its reference instead. Not found (yet), it stays unknown, never failed.
            if let Err(ConnectorError::IdempotencyConflict { .. }) = &result {
                let found = self
                    .holding(
                        payment_id,
                        find_authorization(&open.connector, payment_id, request.capture_method),
                    )
                    .await;
                if let Some(found) = found {
                    result = Ok(found);
                }
            }
            if !matches!(&result, Err(ConnectorError::IdempotencyConflict { .. })) {
                domain::apply(
                    &mut open.payment,
                    Outcome::Authorized(Answer::of(&result)),
                    &now(),
                );
            }
            self.save(&mut open).await?;
        }
        Ok(Some(payment_object(&open.payment)))
    }
}

/// The metadata key under which processors receive `merchant_order_reference_id` (none of
/// them has a field of its own for it that leaves our `reference` free for finding the payment).
pub const MERCHANT_ORDER_REFERENCE: &str = "merchant_order_reference_id";

/// SHA-256 (hex) of a client secret: what the router keeps of it.
pub(crate) fn client_secret_hash(secret: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()))
}

/// Whether an authorization's error proves nothing reached the processor, so the next
/// connector of the list may take the payment: refused before sending, or (when another
/// connector follows) unreachable before sending. The last connector's unreachability is the
/// payment's failure, kept like any other.
fn nothing_sent(err: &ConnectorError, another_follows: bool) -> bool {
    match err {
        ConnectorError::NotSupported { .. } | ConnectorError::InvalidRequest { .. } => true,
        ConnectorError::Transport { .. } | ConnectorError::Timeout { .. } => {
            another_follows && !err.outcome_unknown()
        }
        _ => false,
    }
}

/// The first connector of `connectors` that authorizes with an external 3DS result; the
/// error names why each was passed over when none does.
fn taking_external_results(
    connectors: Vec<Arc<dyn Connector>>,
) -> Result<Vec<Arc<dyn Connector>>, ApiError> {
    let mut passed_over = Vec::new();
    for connector in connectors {
        let caps = connector.capabilities();
        if caps.external_authentication && caps.supports(Flow::Authorize) {
            return Ok(vec![connector]);
        }
        let refusal = ConnectorError::not_supported(
            connector.id(),
            Flow::Authorize,
            "this connector does not authorize with an external 3DS result",
        );
        passed_over.push((connector.id(), refusal));
    }
    Err(no_connector_took(&passed_over))
}

/// The answer when every connector of the list passed the payment over: the first one's error
/// (the merchant's preferred connector), with each connector's reason.
fn no_connector_took(passed_over: &[(&'static str, ConnectorError)]) -> ApiError {
    let Some((id, first)) = passed_over.first() else {
        return ApiError::invalid("unknown_connector", "no connector was named");
    };
    let mut error = ApiError::refused_by_connector(id, first);
    if passed_over.len() > 1 {
        let reasons: Vec<String> = passed_over
            .iter()
            .map(|(id, err)| format!("{id}: {err}"))
            .collect();
        error.message = format!(
            "no connector of the list took the payment; {}",
            reasons.join("; ")
        );
    }
    error
}

/// The processor's payment made with `reference`, read: the answer of an authorization whose
/// own answer was lost. `None` when the connector cannot look payments up, or the processor
/// has none (yet) or does not answer: then nothing is known.
async fn find_authorization(
    connector: &std::sync::Arc<dyn Connector>,
    reference: &str,
    capture_method: CaptureMethod,
) -> Option<PaymentResponse> {
    if !connector.capabilities().supports(Flow::PaymentLookup) {
        return None;
    }
    lookup_authorization(connector, reference, None, capture_method)
        .await
        .ok()
        .flatten()
}

/// The processor's payment made with `reference` (sent at `sent_at`), read; `Ok(None)` when
/// the processor has no such payment.
pub(super) async fn lookup_authorization(
    connector: &std::sync::Arc<dyn Connector>,
    reference: &str,
    sent_at: Option<time::OffsetDateTime>,
    capture_method: CaptureMethod,
) -> Result<Option<PaymentResponse>, ConnectorError> {
    let mut lookup = PaymentLookupRequest::new(reference);
    lookup.sent_at = sent_at;
    let Some(connector_payment_id) = connector.find_payment(&lookup).await?.connector_payment_id
    else {
        return Ok(None);
    };
    let sync = PaymentSyncRequest {
        connector_payment_id,
        capture_method,
    };
    connector.sync_payment(&sync).await.map(Some)
}
