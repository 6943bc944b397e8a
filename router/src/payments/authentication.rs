//! External 3-D Secure: a payment created with `request_external_three_ds_authentication`
//! waits in `requires_customer_action` while the merchant's 3DS server authenticates the
//! cardholder, then is authorized with the result.
//!
//! 1. `POST /payments`: version lookup at the 3DS server; nothing reaches a processor. The
//!    authorization request (with the card) is held in memory
//!    ([`crate::authentication::HeldAuthorizations`]), never stored.
//! 2. `POST /payments/{id}/3ds/authentication`: the AReq; a frictionless success authorizes at
//!    once, a challenge waits for the cardholder.
//! 3. `POST /payments/{id}/complete_authorize` after a challenge: the result from the 3DS
//!    server, then the authorization.
//!
//! What each result leads to is [`crate::domain::authentication::verdict`]'s, under the
//! merchant's policy. The authorization itself runs like a new payment's: stored as pending
//! before it is sent, so a lost answer is found by the reconciler by the payment's reference.

use std::sync::Arc;

use paybridge_core::authentication::*;
use paybridge_core::*;

use super::{now, Open, Payments};
use crate::authentication::MerchantAuthentication;
use crate::domain::authentication::{self as auth, Authentication, Result3ds, Verdict};
use crate::domain::{self, Answer, AttemptStatus, Outcome, Payment};
use crate::error::ApiError;
use crate::model::{
    ExternalAuthenticationBody, ExternalAuthenticationResponse, SdkInformationBody,
};
use crate::store::PaymentRecord;

/// What a create that asked for external authentication found before storing anything.
pub(super) struct AuthenticationSetup<'a> {
    pub(super) settings: &'a MerchantAuthentication,
    pub(super) authenticator: &'a Arc<dyn AuthenticationConnector>,
}

impl Payments {
    /// The merchant's 3DS settings and server, checked against `request` before anything is
    /// stored: a card payment, and a browser's required details when one is described.
    pub(super) fn authentication_setup(
        &self,
        merchant_id: &str,
        request: &AuthorizeRequest,
    ) -> Result<AuthenticationSetup<'_>, ApiError> {
        let Some((settings, authenticator)) = self.authentications.for_merchant(merchant_id) else {
            return Err(ApiError::not_supported(
                "external 3DS authentication is not configured for this merchant; name a 3DS \
                 server in its [merchants.authentication] table",
            ));
        };
        if !matches!(request.payment_method, PaymentMethod::Card(_)) {
            return Err(ApiError::invalid(
                "payment_method_not_supported",
                "external 3DS authentication needs a card in payment_method_data.card",
            ));
        }
        // A browser given must carry what every protocol version needs of one (the rest
        // depend on the version and are checked before the AReq is sent); none given, the
        // payment authenticates in an app only.
        if let Some(browser) = &request.browser_info {
            browser_fields(browser)?;
        }
        Ok(AuthenticationSetup {
            settings,
            authenticator,
        })
    }

    /// A create's version lookup: the payment waits for authentication when the card is
    /// enrolled; else it fails or is authorized without 3DS, as the merchant's policy says
    /// (`None`: authorize it now, without 3DS, like any payment).
    pub(super) async fn start_authentication(
        &self,
        setup: &AuthenticationSetup<'_>,
        connector: Arc<dyn Connector>,
        payment: &mut Payment,
        request: &mut AuthorizeRequest,
    ) -> Result<Option<Payment>, ApiError> {
        let PaymentMethod::Card(card) = &request.payment_method else {
            return Err(ApiError::internal("external authentication without a card"));
        };
        let method_notification_url = setup.settings.method_notification_url(request)?;
        let lookup = PreAuthenticationRequest {
            card_number: card.number.clone(),
            method_notification_url,
        };
        let authenticator = setup.authenticator;
        let id = authenticator.id();
        let (result, code, message) = match authenticator.pre_authenticate(&lookup).await {
            Ok(PreAuthenticationResponse::Enrolled(range)) => {
                payment.authentication = Some(Authentication::started(id, &range));
                payment.status = PaymentStatus::RequiresCustomerAction;
                if let Some(attempt) = payment.attempts.last_mut() {
                    attempt.status = AttemptStatus::AuthenticationPending;
                }
                self.authentications
                    .held()
                    .hold(&payment.id, request.clone());
                let stored = self.insert_unsent(payment, request, connector).await;
                if stored.is_err() {
                    self.authentications.held().release(&payment.id);
                }
                return stored.map(Some);
            }
            Ok(PreAuthenticationResponse::NotEnrolled) => (
                Result3ds::NotEnrolled,
                "card_not_enrolled",
                "the card's range has no 3-D Secure 2 at any directory server".to_owned(),
            ),
            Err(err) => {
                tracing::warn!(authenticator = id, error = %err, "3DS version lookup failed");
                (
                    Result3ds::ServerError,
                    "authentication_server_error",
                    format!("the 3DS server could not look the card up: {err}"),
                )
            }
        };
        payment.authentication = Some(Authentication::failed(id, code, &message));
        match auth::verdict(result, &setup.settings.policy) {
            Verdict::AuthorizeWithout3ds => {
                request.three_ds = ThreeDsPreference::Skip;
                Ok(None)
            }
            verdict => {
                let code = match verdict {
                    Verdict::Fail(code) => code,
                    _ => "authentication_unavailable",
                };
                auth::fail(payment, code, &message, &now());
                self.insert_unsent(payment, request, connector)
                    .await
                    .map(Some)
            }
        }
    }

    /// Stores a payment no processor has seen (waiting for authentication, or failed by it),
    /// with the merchant's events of its status.
    async fn insert_unsent(
        &self,
        payment: &Payment,
        request: &AuthorizeRequest,
        connector: Arc<dyn Connector>,
    ) -> Result<Payment, ApiError> {
        let record = PaymentRecord::for_new(payment, request.idempotency_key.as_str(), None);
        self.store.insert_payment(&record).await?;
        let mut open = Open {
            baseline: self.baseline(payment, true),
            record,
            payment: payment.clone(),
            connector,
        };
        self.save(&mut open).await?;
        Ok(open.payment)
    }

    /// `POST /payments/{id}/3ds/authentication`: the AReq, then what its result leads to.
    pub async fn external_authentication(
        &self,
        caller: &super::Caller,
        payment_id: &str,
        body: ExternalAuthenticationBody,
    ) -> Result<ExternalAuthenticationResponse, ApiError> {
        let channel = match body.device_channel.as_deref() {
            None | Some("BRW") => DeviceChannel::Browser,
            Some("APP") => DeviceChannel::App,
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid_device_channel",
                    format!("device_channel '{other}' is not one of: BRW, APP"),
                ))
            }
        };
        let completion = match body.threeds_method_comp_ind.as_deref() {
            None => None,
            Some("Y") => Some(MethodCompletion::Completed),
            Some("N") => Some(MethodCompletion::NotCompleted),
            Some("U") => Some(MethodCompletion::Unavailable),
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid_threeds_method_comp_ind",
                    format!("threeds_method_comp_ind '{other}' is not one of: Y, N, U"),
                ))
            }
        };
        let (_guard, mut open) = self.open(caller, payment_id).await?;
        let ran = open
            .payment
            .authentication
            .as_ref()
            .is_some_and(|a| !a.awaits_authentication());
        if ran && caller.operation.as_ref().is_some_and(|op| op.resumed) {
            return self.resume_authentication(&mut open).await;
        }
        let command = domain::Command::ExternalAuthentication;
        domain::plan(&open.payment, &command, open.connector.capabilities())?;
        let (settings, authenticator) = self.authenticator_of(&open.payment)?;
        // Checked once the payment is known to wait for it (a missing payment is 404 first).
        let sdk = match (channel, body.sdk_information) {
            (DeviceChannel::App, Some(sdk)) => Some(sdk_information(sdk)?),
            (DeviceChannel::App, None) => {
                return Err(ApiError::invalid(
                    "sdk_information_required",
                    "device_channel APP needs sdk_information: what the app's 3DS SDK gave \
                     (sdk_app_id, sdk_enc_data, sdk_ephem_pub_key, sdk_trans_id, \
                     sdk_reference_number, sdk_max_timeout)",
                ))
            }
            (DeviceChannel::Browser, Some(_)) => {
                return Err(ApiError::invalid(
                    "invalid_device_channel",
                    "sdk_information is for device_channel APP",
                ))
            }
            (DeviceChannel::Browser, None) => None,
        };
        let Some(request) = self.authentications.held().get(payment_id) else {
            return Err(self.expire(&mut open).await);
        };
        let Some(started) = open.payment.authentication.clone() else {
            return Err(ApiError::internal("no authentication to run"));
        };
        let PaymentMethod::Card(card) = &request.payment_method else {
            return Err(ApiError::internal("external authentication without a card"));
        };
        let device = match sdk {
            Some(sdk) => Device::App(sdk),
            None => {
                let Some(info) = request.browser_info.clone() else {
                    return Err(ApiError::invalid(
                        "browser_info_required",
                        "the payment was created without browser_info: it can authenticate in \
                         an app only (device_channel APP)",
                    ));
                };
                // Without a 3DS Method, `U`; with one the client did not confirm, `N`.
                let method_completion = completion.unwrap_or(match started.method {
                    None => MethodCompletion::Unavailable,
                    Some(_) => MethodCompletion::NotCompleted,
                });
                Device::Browser {
                    info,
                    method_completion,
                }
            }
        };
        let notification_url = settings.notification_url(&request)?;
        let areq = AuthenticationRequest {
            server_transaction_id: started.server_transaction_id.clone().unwrap_or_default(),
            message_version: started.message_version.clone().unwrap_or_default(),
            card: card.clone(),
            amount: request.amount,
            currency: request.currency,
            device,
            notification_url,
            merchant: settings.merchant.clone(),
            email: request.customer.as_ref().and_then(|c| c.email.clone()),
            billing: request.billing.clone(),
            purchase_date: time::OffsetDateTime::now_utc(),
        };
        let policy = settings.policy;
        // Held while the 3DS server is asked, so another instance waits instead of acting on
        // the payment meanwhile.
        self.claim(&mut open).await?;
        let answer = self
            .holding(payment_id, authenticator.authenticate(&areq))
            .await;
        let (verdict, ares) = match answer {
            Ok(ares) => {
                let verdict = auth::verdict(Result3ds::Status(ares.status), &policy);
                auth::authenticated(&mut open.payment, &ares, &verdict);
                (verdict, Some(ares))
            }
            // Refused before sending (a field the AReq needs): nothing happened; the merchant
            // may cancel the payment.
            Err(
                err @ (ConnectorError::InvalidRequest { .. } | ConnectorError::NotSupported { .. }),
            ) => {
                self.save(&mut open).await?;
                return Err(ApiError::from_connector(&err));
            }
            Err(err) => {
                tracing::warn!(payment_id, error = %err, "3DS authentication failed");
                let message = format!("the 3DS server did not authenticate: {err}");
                auth::unavailable(&mut open.payment, "authentication_server_error", &message);
                (auth::verdict(Result3ds::ServerError, &policy), None)
            }
        };
        self.after_authentication(&mut open, request, verdict, ares.as_ref())
            .await?;
        Ok(authentication_response(&open.payment, ares.as_ref()))
    }

    /// A retry of an authentication whose first run's router died after it ran: the stored
    /// result, and the authorization's outcome as the processor has it when its answer was
    /// lost (the card is gone with that router, so nothing is sent again).
    async fn resume_authentication(
        &self,
        open: &mut Open,
    ) -> Result<ExternalAuthenticationResponse, ApiError> {
        let lost = open.payment.status == PaymentStatus::Processing
            && open.payment.connector_transaction_id.is_none();
        if lost {
            let payment_id = open.payment.id.clone();
            self.claim(open).await?;
            let connector = open.connector.clone();
            let mut reasons = Vec::new();
            let settled = super::reconcile::settle_lost_authorization(
                &connector,
                &mut open.payment,
                super::reconcile::NO_CUTOFF,
                &mut reasons,
            );
            self.holding(&payment_id, settled).await;
            self.save(open).await?;
        }
        Ok(authentication_response(&open.payment, None))
    }

    /// `complete_authorize` of a payment whose challenge ran: the result from the 3DS server,
    /// then what it leads to.
    pub(super) async fn complete_authentication(&self, open: &mut Open) -> Result<(), ApiError> {
        let payment_id = open.payment.id.clone();
        let (settings, authenticator) = self.authenticator_of(&open.payment)?;
        let Some(request) = self.authentications.held().get(&payment_id) else {
            return Err(self.expire(open).await);
        };
        let server_transaction_id = open
            .payment
            .authentication
            .as_ref()
            .and_then(|a| a.server_transaction_id.clone())
            .unwrap_or_default();
        let policy = settings.policy;
        self.claim(open).await?;
        let lookup = AuthenticationResultRequest {
            server_transaction_id,
        };
        let result = self
            .holding(&payment_id, authenticator.authentication_result(&lookup))
            .await;
        let (verdict, rreq) = match result {
            Ok(rreq) if rreq.status.challenge() => {
                self.save(open).await?;
                return Err(domain::Refusal::CustomerActionIncomplete.into());
            }
            Ok(rreq) => {
                let verdict = auth::verdict(Result3ds::Status(rreq.status), &policy);
                auth::authenticated(&mut open.payment, &rreq, &verdict);
                (verdict, rreq)
            }
            // No result yet: the cardholder has not finished (or the ACS has not told it).
            Err(ConnectorError::Processor { .. }) => {
                self.save(open).await?;
                return Err(domain::Refusal::CustomerActionIncomplete.into());
            }
            Err(err @ ConnectorError::Rejected { .. }) => {
                // The transaction is unknown or its result expired: it cannot end authenticated.
                let message = format!("the 3DS server has no result for the challenge: {err}");
                auth::unavailable(&mut open.payment, "authentication_expired", &message);
                let verdict = auth::verdict(Result3ds::ServerError, &policy);
                self.after_authentication(open, request, verdict, None)
                    .await?;
                return Ok(());
            }
            Err(err) => {
                self.save(open).await?;
                return Err(ApiError::from_connector(&err));
            }
        };
        self.after_authentication(open, request, verdict, Some(&rreq))
            .await
    }

    /// Cancels a payment still waiting for its authentication: no processor has it.
    pub(super) async fn abandon(
        &self,
        open: &mut Open,
        reason: Option<String>,
    ) -> Result<(), ApiError> {
        auth::abandon(&mut open.payment, reason, &now());
        self.save(open).await?;
        self.authentications.held().release(&open.payment.id);
        Ok(())
    }

    /// What `verdict` leads to: the authorization (with `result`'s values, or without 3DS),
    /// waiting for a challenge, or the payment's failure.
    async fn after_authentication(
        &self,
        open: &mut Open,
        mut request: AuthorizeRequest,
        verdict: Verdict,
        result: Option<&AuthenticationResponse>,
    ) -> Result<(), ApiError> {
        let payment_id = open.payment.id.clone();
        match verdict {
            Verdict::AwaitChallenge => return self.save(open).await,
            Verdict::Fail(code) => {
                let message = open
                    .payment
                    .authentication
                    .as_ref()
                    .and_then(|a| a.error_message.clone())
                    .unwrap_or_else(|| "the authentication did not succeed".into());
                auth::fail(&mut open.payment, code, &message, &now());
                self.save(open).await?;
                self.authentications.held().release(&payment_id);
                return Ok(());
            }
            Verdict::Authorize => {
                let challenged = open
                    .payment
                    .authentication
                    .as_ref()
                    .is_some_and(|a| a.flow == Some(auth::AuthenticationFlow::Challenge));
                request.external_authentication =
                    result.and_then(|r| ExternalAuthentication::from_response(r, challenged));
                if request.external_authentication.is_none() {
                    // Y or A without an authentication value: nothing to authorize with.
                    let message = "the 3DS server's result has no authentication value";
                    auth::unavailable(&mut open.payment, "authentication_value_missing", message);
                    auth::fail(
                        &mut open.payment,
                        "authentication_unavailable",
                        message,
                        &now(),
                    );
                    self.save(open).await?;
                    self.authentications.held().release(&payment_id);
                    return Ok(());
                }
            }
            Verdict::AuthorizeWithout3ds => {
                request.three_ds = ThreeDsPreference::Skip;
                request.external_authentication = None;
            }
        }
        auth::begin_authorization(&mut open.payment, &now());
        self.claim(open).await?;
        let result = self
            .holding(&payment_id, open.connector.authorize(&request))
            .await;
        self.authentications.held().release(&payment_id);
        let outcome = Outcome::Authorized(Answer::of(&result));
        domain::apply(&mut open.payment, outcome, &now());
        self.save_answer(open, |payment| {
            domain::apply(payment, outcome, &now());
        })
        .await
    }

    /// The payment's 3DS server and its merchant's settings.
    fn authenticator_of(
        &self,
        payment: &Payment,
    ) -> Result<(&MerchantAuthentication, &Arc<dyn AuthenticationConnector>), ApiError> {
        let configured = self.authentications.for_merchant(&payment.merchant_id);
        let recorded = payment
            .authentication
            .as_ref()
            .map(|a| a.authenticator.as_str());
        match configured {
            Some((settings, _)) if Some(settings.connector.as_str()) == recorded => {
                let connector = self
                    .authentications
                    .connector(&settings.connector)
                    .ok_or_else(|| ApiError::internal("3DS server gone"))?;
                Ok((settings, connector))
            }
            _ => Err(ApiError::not_supported(format!(
                "the payment's 3DS server ({}) is no longer configured for this merchant",
                recorded.unwrap_or("none")
            ))),
        }
    }

    /// The held authorization is gone (the router restarted, or the hold lapsed): the payment
    /// cannot be authorized and fails; the error says so.
    async fn expire(&self, open: &mut Open) -> ApiError {
        let message = "the card data held for this payment's authentication expired (or the \
                       router restarted); create a new payment";
        auth::unavailable(&mut open.payment, "authentication_data_expired", message);
        auth::fail(
            &mut open.payment,
            "authentication_data_expired",
            message,
            &now(),
        );
        if let Err(err) = self.save(open).await {
            return err;
        }
        ApiError::invalid_state("authentication_data_expired", message)
    }
}

/// The answer of `POST /payments/{id}/3ds/authentication`: the stored result, and what the
/// ARes said that is not stored.
fn authentication_response(
    payment: &Payment,
    ares: Option<&AuthenticationResponse>,
) -> ExternalAuthenticationResponse {
    let details = payment.authentication.as_ref();
    let challenge = details.and_then(|d| d.challenge.as_ref());
    ExternalAuthenticationResponse {
        payment_id: payment.id.clone(),
        status: domain::payment::status_name(payment.status),
        trans_status: details.and_then(|d| d.trans_status.map(|t| t.code().to_owned())),
        trans_status_reason: details.and_then(|d| d.trans_status_reason.clone()),
        acs_url: challenge.map(|c| c.acs_url.clone()),
        challenge_request: challenge.map(|c| c.creq.clone()),
        three_ds_server_trans_id: details.and_then(|d| d.server_transaction_id.clone()),
        acs_trans_id: details.and_then(|d| d.acs_transaction_id.clone()),
        ds_trans_id: details.and_then(|d| d.ds_transaction_id.clone()),
        message_version: details.and_then(|d| d.message_version.clone()),
        electronic_commerce_indicator: details.and_then(|d| d.eci.clone()),
        acs_signed_content: details.and_then(|d| d.acs_signed_content.clone()),
        acs_reference_number: details.and_then(|d| d.acs_reference_number.clone()),
        cardholder_info: ares.and_then(|a| a.cardholder_info.clone()),
        error_code: details.and_then(|d| d.error_code.clone()),
        error_message: details.and_then(|d| d.error_message.clone()),
    }
}

/// The fields every protocol version needs of a browser.
fn browser_fields(browser: &paybridge_core::details::BrowserInfo) -> Result<(), ApiError> {
    let missing: Vec<&str> = [
        ("accept_header", browser.accept_header.is_some()),
        ("user_agent", browser.user_agent.is_some()),
        ("language", browser.language.is_some()),
        ("java_script_enabled", browser.java_script_enabled.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| (!given).then_some(name))
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        "browser_info_required",
        format!(
            "external 3DS authentication of a browser needs browser_info with {} (and, for most \
             cards, color_depth, screen_height, screen_width, time_zone, java_enabled and \
             ip_address)",
            missing.join(", ")
        ),
    ))
}

/// The app's 3DS SDK data, checked for what the router can tell (the 3DS server's connector
/// checks each field's format before sending).
fn sdk_information(body: SdkInformationBody) -> Result<SdkInformation, ApiError> {
    let invalid = |message: String| ApiError::invalid("invalid_sdk_information", message);
    let interface = match body.sdk_interface.as_deref() {
        None | Some("03") => SdkInterface::Both,
        Some("01") => SdkInterface::Native,
        Some("02") => SdkInterface::Html,
        Some(other) => {
            return Err(invalid(format!(
                "sdk_interface '{other}' is not one of: 01 (native), 02 (HTML), 03 (both)"
            )))
        }
    };
    let ui_types = match body.sdk_ui_types {
        // `05` (HTML other) is for an HTML interface only.
        None => {
            let mut all = vec![
                SdkUiType::Text,
                SdkUiType::SingleSelect,
                SdkUiType::MultiSelect,
                SdkUiType::OutOfBand,
            ];
            if interface != SdkInterface::Native {
                all.push(SdkUiType::HtmlOther);
            }
            all
        }
        Some(types) => types
            .iter()
            .map(|t| match t.as_str() {
                "01" => Ok(SdkUiType::Text),
                "02" => Ok(SdkUiType::SingleSelect),
                "03" => Ok(SdkUiType::MultiSelect),
                "04" => Ok(SdkUiType::OutOfBand),
                "05" => Ok(SdkUiType::HtmlOther),
                other => Err(invalid(format!(
                    "sdk_ui_types: '{other}' is not one of: 01, 02, 03, 04, 05"
                ))),
            })
            .collect::<Result<_, _>>()?,
    };
    if !(5..=99).contains(&body.sdk_max_timeout) {
        return Err(invalid(format!(
            "sdk_max_timeout is {} minutes; it must be 5 to 99",
            body.sdk_max_timeout
        )));
    }
    Ok(SdkInformation {
        app_id: body.sdk_app_id,
        encrypted_data: body.sdk_enc_data,
        ephemeral_public_key: body.sdk_ephem_pub_key,
        max_timeout_minutes: body.sdk_max_timeout,
        reference_number: body.sdk_reference_number,
        transaction_id: body.sdk_trans_id,
        interface,
        ui_types,
    })
}
