//! The state rules of every PaymentIntent operation: create, confirm (authorize, decline or
//! ask for 3D Secure), authentication, increment, capture, cancel, expiry, update. Pure logic:
//! no I/O and no JSON rendering; the handlers turn the results into answers and webhooks.
//!
//! Every operation checks everything first and changes state only once nothing can fail, so a
//! refused request leaves no trace.

use std::collections::HashMap;

use bytes::Bytes;

use serde_json::Map;
use time::OffsetDateTime;

use super::cards::{self, Authorization, Decline};
use super::errors::ApiError;
use super::ids;
use super::model::{
    merge_metadata, overcapture_limit, Capture, Charge, ChargeThreeDs, Confirmation, Event,
    Features, Increment, Intent, NewIntent, Outcome, PaymentError, PaymentMethod, Refund, Status,
    Token, Update, MAX_AMOUNT, MAX_INCREMENT_ATTEMPTS,
};

/// An uncaptured authorization's validity: 7 days (reference §2.4).
const AUTHORIZATION_VALIDITY: i64 = 7 * 86_400;
/// Validity of an authorization with extended authorization applied: 30 days \[U: up to 30
/// depending on network and MCC\].
const EXTENDED_VALIDITY: i64 = 30 * 86_400;

/// Everything the simulator keeps.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) intents: HashMap<String, Intent>,
    pub(crate) charges: HashMap<String, Charge>,
    pub(crate) refunds: HashMap<String, Refund>,
    pub(crate) payment_methods: HashMap<String, PaymentMethod>,
    /// Card tokens issued by `POST /v1/tokens`.
    pub(crate) tokens: HashMap<String, Token>,
    /// Every event sent, as the bytes sent, for `GET /v1/events/{id}`.
    pub(crate) events: HashMap<String, Bytes>,
    /// PaymentIntent ids in the order they were made, for `GET /v1/payment_intents`.
    pub(crate) intent_order: Vec<String>,
    /// Refund ids in the order they were made, for `GET /v1/refunds`.
    pub(crate) refund_order: Vec<String>,
}

/// Unix seconds, as Stripe's timestamps.
pub(crate) fn unix(now: OffsetDateTime) -> i64 {
    now.unix_timestamp()
}

impl State {
    fn intent_mut(&mut self, id: &str) -> Result<&mut Intent, ApiError> {
        self.intents
            .get_mut(id)
            .ok_or_else(|| ApiError::missing("payment_intent", id, "intent"))
    }

    /// Creates a PaymentIntent, confirming it when asked. Returns its id and the outcome.
    pub(crate) fn create_intent(
        &mut self,
        new: NewIntent,
        now: OffsetDateTime,
    ) -> Result<(String, Outcome), ApiError> {
        let id = ids::new("pi");
        let mut intent = Intent {
            client_secret: ids::client_secret(&id),
            id: id.clone(),
            created: unix(now),
            amount: new.amount,
            currency: new.currency,
            capture_method: new.capture_method,
            confirmation_method: new.confirmation_method,
            status: Status::RequiresPaymentMethod,
            amount_capturable: 0,
            amount_received: 0,
            description: new.description,
            metadata: new.metadata,
            statement_descriptor: new.statement_descriptor,
            statement_descriptor_suffix: new.statement_descriptor_suffix,
            receipt_email: None,
            shipping: None,
            setup_future_usage: None,
            payment_method: None,
            payment_method_types: new.payment_method_types,
            automatic_payment_methods: new.automatic_payment_methods,
            card_options: Map::new(),
            return_url: None,
            last_payment_error: None,
            cancellation_reason: None,
            canceled_at: None,
            latest_charge: None,
            increment_attempts: 0,
            decline_next_increment: false,
            imported_three_d_secure: None,
        };
        let mut outcome = Outcome::default();
        if new.confirm {
            outcome = self.confirm_intent(&mut intent, new.confirmation, now)?;
        } else {
            // Without confirmation only the PaymentMethod and options are recorded.
            let confirmation = new.confirmation;
            if let Some(source) = confirmation.payment_method {
                intent.payment_method = Some(self.resolve_payment_method(source, now)?);
                intent.status = Status::RequiresConfirmation;
            }
            if let Some(options) = confirmation.card_options {
                intent.card_options = options;
            }
            if let Some(method) = confirmation.capture_method {
                intent.capture_method = method;
            }
            intent.receipt_email = confirmation.receipt_email;
            intent.shipping = confirmation.shipping;
            intent.setup_future_usage = confirmation.setup_future_usage;
            intent.imported_three_d_secure = confirmation.three_d_secure;
        }
        outcome
            .events
            .insert(0, Event::intent("payment_intent.created", &intent));
        self.intents.insert(id.clone(), intent);
        self.intent_order.push(id.clone());
        Ok((id, outcome))
    }

    /// `POST /v1/payment_intents/{id}/confirm`.
    pub(crate) fn confirm(
        &mut self,
        id: &str,
        confirmation: Confirmation,
        now: OffsetDateTime,
    ) -> Result<Outcome, ApiError> {
        let mut intent = self.intent_mut(id)?.clone();
        let outcome = self.confirm_intent(&mut intent, confirmation, now)?;
        self.intents.insert(intent.id.clone(), intent);
        Ok(outcome)
    }

    /// Confirms `intent` (not in the map while this runs): checks, then authorizes, declines or
    /// asks for 3D Secure.
    fn confirm_intent(
        &mut self,
        intent: &mut Intent,
        confirmation: Confirmation,
        now: OffsetDateTime,
    ) -> Result<Outcome, ApiError> {
        if !matches!(
            intent.status,
            Status::RequiresPaymentMethod | Status::RequiresConfirmation
        ) {
            return Err(ApiError::unexpected_state(format!(
                "You cannot confirm this PaymentIntent because it has a status of {}. Only a \
                 PaymentIntent with one of the following statuses may be confirmed: \
                 requires_confirmation, requires_payment_method.",
                intent.status.as_str()
            )));
        }
        let types = confirmation
            .payment_method_types
            .clone()
            .unwrap_or_else(|| intent.payment_method_types.clone());
        if !types.iter().any(|t| t == "card") {
            return Err(ApiError::invalid(format!(
                "The PaymentMethod provided (card) is not allowed for this PaymentIntent. Please \
                 attach a PaymentMethod of one of the following types: {}.",
                types.join(", ")
            ))
            .code("payment_intent_incompatible_payment_method")
            .not_stored());
        }
        let return_url = confirmation
            .return_url
            .clone()
            .or_else(|| intent.return_url.clone());
        if let Some((true, redirects)) = &intent.automatic_payment_methods {
            if redirects != "never" && return_url.is_none() {
                return Err(ApiError::validation(
                    "This PaymentIntent is configured to accept payment methods enabled in your \
                     Dashboard. Because some of these payment methods might redirect your \
                     customer off of your page, you must provide a `return_url`. If you don't \
                     want to accept redirect-based payment methods, set \
                     `automatic_payment_methods[enabled]` to `true` and \
                     `automatic_payment_methods[allow_redirects]` to `never` when creating Setup \
                     Intents and Payment Intents.",
                ));
            }
        }
        if confirmation.payment_method.is_none() && intent.payment_method.is_none() {
            return Err(ApiError::unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. To \
                 confirm the PaymentIntent with a payment method, provide `payment_method` or \
                 `payment_method_data`.",
            )
            .not_stored());
        }
        let payment_method = match confirmation.payment_method {
            Some(source) => self.resolve_payment_method(source, now)?,
            None => intent.payment_method.clone().unwrap_or_default(),
        };
        let Some(card) = self
            .payment_methods
            .get(&payment_method)
            .map(|pm| pm.card.clone())
        else {
            return Err(
                ApiError::missing("PaymentMethod", &payment_method, "payment_method")
                    .status(axum::http::StatusCode::BAD_REQUEST),
            );
        };

        // Checks done: record the confirmation.
        if let Some(method) = confirmation.capture_method {
            intent.capture_method = method;
        }
        if let Some(options) = confirmation.card_options {
            intent.card_options = options;
        }
        intent.payment_method_types = types;
        intent.payment_method = Some(payment_method);
        intent.return_url = return_url;
        intent.last_payment_error = None;
        if confirmation.receipt_email.is_some() {
            intent.receipt_email = confirmation.receipt_email;
        }
        if confirmation.shipping.is_some() {
            intent.shipping = confirmation.shipping;
        }
        if confirmation.setup_future_usage.is_some() {
            intent.setup_future_usage = confirmation.setup_future_usage;
        }
        if confirmation.three_d_secure.is_some() {
            intent.imported_three_d_secure = confirmation.three_d_secure;
        }

        // An imported 3DS result that authenticated the cardholder (`ares_trans_status` `Y`,
        // `A`, `C` or none: see `ChargeThreeDs::imported`) stands for Stripe's own 3DS: the
        // payment is authorized without `requires_action`, even on a card that always requires
        // 3DS (`cards::THREE_DS_REQUIRED`). [U] Stripe's reference does not say how its 3DS
        // test cards treat an imported result; the simulator follows the purpose of importing
        // (docs.stripe.com/payments/payment-intents/three-d-secure-import: "incorporate your
        // external 3DS authentication into your Stripe payment" when "3DS runs outside
        // Stripe"): the issuer has authenticated the cardholder already, so nothing is left
        // for Stripe to ask. A result that did not authenticate (`N`, `R`, `U`, `I`) changes
        // nothing: the card's 3DS rules apply as without one. The issuer's verdict on the card
        // applies either way.
        let imported = intent
            .imported_three_d_secure
            .as_ref()
            .map(ChargeThreeDs::imported);
        let authenticated = imported.as_ref().is_some_and(ChargeThreeDs::authenticates);
        let requested_3ds = matches!(
            intent.card_option("request_three_d_secure"),
            Some("any" | "challenge")
        );
        if !authenticated
            && (card.profile.requires_3ds || (requested_3ds && card.profile.supports_3ds))
        {
            if confirmation.off_session || confirmation.error_on_requires_action {
                return Ok(self.decline(intent, cards::AUTHENTICATION_REQUIRED, imported, now));
            }
            intent.status = Status::RequiresAction;
            return Ok(Outcome {
                events: vec![Event::intent("payment_intent.requires_action", intent)],
                decline: None,
            });
        }
        Ok(self.authorize(intent, imported, now))
    }

    /// The issuer's verdict on a confirmed (and, if needed, authenticated) intent.
    fn authorize(
        &mut self,
        intent: &mut Intent,
        three_d_secure: Option<ChargeThreeDs>,
        now: OffsetDateTime,
    ) -> Outcome {
        let pm = intent.payment_method.clone().unwrap_or_default();
        let Some(method) = self.payment_methods.get(&pm).cloned() else {
            return Outcome::default();
        };
        if let Authorization::Decline(decline) = method.card.profile.authorization {
            return self.decline(intent, decline, three_d_secure, now);
        }
        let manual = intent.is_manual();
        let eligible = manual && cards::enterprise_features(method.card.network);
        let features = Features {
            extended: eligible && intent.requested("request_extended_authorization"),
            incremental: eligible && intent.requested("request_incremental_authorization"),
            multicapture: eligible && intent.requested("request_multicapture"),
            overcapture: eligible && intent.requested("request_overcapture"),
        };
        let validity = if features.extended {
            EXTENDED_VALIDITY
        } else {
            AUTHORIZATION_VALIDITY
        };
        let mut charge = self.new_charge(intent, &method, three_d_secure, now);
        charge.features = features;
        charge.capture_before = manual.then(|| unix(now) + validity);
        let mut events = vec![Event::charge("charge.succeeded", &charge.id)];
        if manual {
            intent.status = Status::RequiresCapture;
            intent.amount_capturable = intent.amount;
            events.push(Event::intent(
                "payment_intent.amount_capturable_updated",
                intent,
            ));
        } else {
            charge.captured = true;
            charge.amount_captured = charge.amount;
            intent.status = Status::Succeeded;
            intent.amount_received = intent.amount;
            events.push(Event::intent("payment_intent.succeeded", intent));
        }
        intent.latest_charge = Some(charge.id.clone());
        self.charges.insert(charge.id.clone(), charge);
        Outcome {
            events,
            decline: None,
        }
    }

    /// A declined attempt: a failed charge, the intent back to `requires_payment_method` with
    /// `last_payment_error`.
    fn decline(
        &mut self,
        intent: &mut Intent,
        decline: Decline,
        three_d_secure: Option<ChargeThreeDs>,
        now: OffsetDateTime,
    ) -> Outcome {
        let pm = intent.payment_method.clone().unwrap_or_default();
        let Some(method) = self.payment_methods.get(&pm).cloned() else {
            return Outcome::default();
        };
        let mut charge = self.new_charge(intent, &method, three_d_secure, now);
        charge.decline = Some(decline);
        let error = PaymentError {
            decline,
            charge: Some(charge.id.clone()),
            payment_method: Some(pm),
        };
        intent.status = Status::RequiresPaymentMethod;
        intent.latest_charge = Some(charge.id.clone());
        intent.last_payment_error = Some(error.clone());
        let events = vec![
            Event::charge("charge.failed", &charge.id),
            Event::intent("payment_intent.payment_failed", intent),
        ];
        self.charges.insert(charge.id.clone(), charge);
        Outcome {
            events,
            decline: Some(error),
        }
    }

    fn new_charge(
        &self,
        intent: &Intent,
        method: &PaymentMethod,
        three_d_secure: Option<ChargeThreeDs>,
        now: OffsetDateTime,
    ) -> Charge {
        Charge {
            id: ids::new("ch"),
            created: unix(now),
            payment_intent: intent.id.clone(),
            payment_method: method.id.clone(),
            card: method.card.clone(),
            billing_details: method.billing_details.clone(),
            currency: intent.currency.clone(),
            description: intent.description.clone(),
            metadata: intent.metadata.clone(),
            statement_descriptor: intent.statement_descriptor.clone(),
            statement_descriptor_suffix: intent.statement_descriptor_suffix.clone(),
            receipt_email: intent.receipt_email.clone(),
            shipping: intent.shipping.clone(),
            amount: intent.amount,
            amount_captured: 0,
            released: 0,
            refunded: 0,
            captured: false,
            decline: None,
            capture_before: None,
            features: Features::default(),
            three_d_secure,
        }
    }

    /// The customer on the 3D Secure page: authenticated (the issuer's verdict then applies)
    /// or failed. `Err` with a text for the page when the intent is unknown or not waiting.
    pub(crate) fn complete_authentication(
        &mut self,
        id: &str,
        authenticated: bool,
        now: OffsetDateTime,
    ) -> Result<Outcome, String> {
        let mut intent = self
            .intents
            .get(id)
            .cloned()
            .ok_or_else(|| format!("No such payment_intent: '{id}'"))?;
        if intent.status != Status::RequiresAction {
            return Err(format!(
                "PaymentIntent {id} is not awaiting authentication (status {}).",
                intent.status.as_str()
            ));
        }
        let outcome = if authenticated {
            self.authorize(&mut intent, Some(ChargeThreeDs::challenged_here()), now)
        } else {
            let error = PaymentError {
                decline: cards::AUTHENTICATION_FAILED,
                charge: None,
                payment_method: intent.payment_method.clone(),
            };
            intent.status = Status::RequiresPaymentMethod;
            intent.last_payment_error = Some(error);
            Outcome {
                events: vec![Event::intent("payment_intent.payment_failed", &intent)],
                decline: None,
            }
        };
        self.intents.insert(intent.id.clone(), intent);
        Ok(outcome)
    }

    /// `POST /v1/payment_intents/{id}/increment_authorization`: `amount` is the new total.
    pub(crate) fn increment(
        &mut self,
        id: &str,
        increment: Increment,
    ) -> Result<Outcome, ApiError> {
        let intent = self.intent_mut(id)?;
        if intent.status != Status::RequiresCapture {
            return Err(ApiError::unexpected_state(format!(
                "This PaymentIntent's authorization could not be incremented because it has a \
                 status of {}. Only a PaymentIntent with a status of requires_capture can be \
                 incremented.",
                intent.status.as_str()
            )));
        }
        if intent.amount_received > 0 {
            return Err(ApiError::unexpected_state(
                "This PaymentIntent's authorization cannot be incremented because it has \
                 already been partially captured.",
            ));
        }
        let charge_id = intent.latest_charge.clone().unwrap_or_default();
        let (current, attempts) = (intent.amount, intent.increment_attempts);
        let charge = self
            .charges
            .get_mut(&charge_id)
            .ok_or_else(|| ApiError::unexpected_state("This PaymentIntent has no charge."))?;
        if !charge.features.incremental {
            return Err(ApiError::unexpected_state(
                "Incremental authorization is not available for this PaymentIntent. Request it \
                 when confirming with \
                 `payment_method_options[card][request_incremental_authorization]=if_available` \
                 and `capture_method=manual` on a card that supports it.",
            ));
        }
        if attempts >= MAX_INCREMENT_ATTEMPTS {
            return Err(ApiError::unexpected_state(format!(
                "This PaymentIntent has reached the limit of {MAX_INCREMENT_ATTEMPTS} \
                 incremental authorization attempts."
            )));
        }
        if increment.amount <= current {
            return Err(ApiError::invalid(format!(
                "The amount ({}) must be greater than the currently authorized amount \
                 ({current}). Pass the new total amount, not the increment.",
                increment.amount
            ))
            .code("amount_too_small")
            .param("amount"));
        }
        if increment.amount > MAX_AMOUNT {
            return Err(
                ApiError::invalid(format!("Amount must be no more than {MAX_AMOUNT}."))
                    .code("amount_too_large")
                    .param("amount"),
            );
        }
        let Some(intent) = self.intents.get_mut(id) else {
            return Err(ApiError::missing("payment_intent", id, "intent"));
        };
        intent.increment_attempts += 1;
        if intent.decline_next_increment {
            // The issuer declines: nothing else changes; the authorization stands.
            intent.decline_next_increment = false;
            return Ok(Outcome {
                events: Vec::new(),
                decline: Some(PaymentError {
                    decline: cards::INCREMENT_DECLINED,
                    charge: Some(charge_id),
                    payment_method: intent.payment_method.clone(),
                }),
            });
        }
        intent.amount = increment.amount;
        intent.amount_capturable = increment.amount;
        if increment.description.is_some() {
            intent.description = increment.description;
        }
        if let Some(metadata) = &increment.metadata {
            merge_metadata(&mut intent.metadata, metadata);
        }
        if increment.statement_descriptor.is_some() {
            intent.statement_descriptor = increment.statement_descriptor;
        }
        let events = vec![Event::intent(
            "payment_intent.amount_capturable_updated",
            intent,
        )];
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.amount = increment.amount;
        }
        Ok(Outcome {
            events,
            decline: None,
        })
    }

    /// `POST /v1/payment_intents/{id}/capture`.
    pub(crate) fn capture(&mut self, id: &str, capture: Capture) -> Result<Vec<Event>, ApiError> {
        let intent = self.intent_mut(id)?;
        if intent.status != Status::RequiresCapture {
            return Err(ApiError::unexpected_state(format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a \
                 PaymentIntent with one of the following statuses may be captured: \
                 requires_capture.",
                intent.status.as_str()
            )));
        }
        let (capturable, received, authorized) = (
            intent.amount_capturable,
            intent.amount_received,
            intent.amount,
        );
        let charge_id = intent.latest_charge.clone().unwrap_or_default();
        let features = self
            .charges
            .get(&charge_id)
            .map(|c| c.features)
            .unwrap_or_default();
        let limit = if features.overcapture && received == 0 {
            overcapture_limit(authorized)
        } else {
            capturable
        };
        let amount = capture.amount.unwrap_or(capturable);
        if amount < 1 {
            return Err(ApiError::invalid("Amount to capture must be at least 1.")
                .code("amount_too_small")
                .param("amount_to_capture"));
        }
        if amount > limit {
            return Err(ApiError::invalid(format!(
                "The amount to capture ({amount}) is greater than the amount that can be \
                 captured ({limit})."
            ))
            .code("amount_too_large")
            .param("amount_to_capture"));
        }
        if !capture.final_capture && !features.multicapture {
            return Err(ApiError::invalid(
                "final_capture=false can only be used when multicapture is available on the \
                 PaymentIntent (request it with \
                 payment_method_options[card][request_multicapture]=if_available).",
            )
            .param("final_capture"));
        }

        let Some(intent) = self.intents.get_mut(id) else {
            return Err(ApiError::missing("payment_intent", id, "intent"));
        };
        if let Some(metadata) = &capture.metadata {
            merge_metadata(&mut intent.metadata, metadata);
        }
        if capture.statement_descriptor.is_some() {
            intent.statement_descriptor = capture.statement_descriptor;
        }
        if capture.statement_descriptor_suffix.is_some() {
            intent.statement_descriptor_suffix = capture.statement_descriptor_suffix;
        }
        intent.amount_received += amount;
        // Overcapture raises the amount to what was captured.
        let overcaptured = amount > capturable;
        if overcaptured {
            intent.amount = intent.amount_received;
        }
        let done = capture.final_capture || amount >= capturable;
        let released = if done {
            (capturable - amount).max(0)
        } else {
            0
        };
        intent.amount_capturable = if done { 0 } else { capturable - amount };
        let mut events = vec![Event::charge("charge.captured", &charge_id)];
        if done {
            intent.status = Status::Succeeded;
            events.push(Event::intent("payment_intent.succeeded", intent));
        } else {
            events.push(Event::intent(
                "payment_intent.amount_capturable_updated",
                intent,
            ));
        }
        let new_amount = intent.amount;
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.captured = true;
            charge.amount_captured += amount;
            charge.released += released;
            if overcaptured {
                charge.amount = new_amount;
            }
        }
        Ok(events)
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    pub(crate) fn cancel(
        &mut self,
        id: &str,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, ApiError> {
        let intent = self.intent_mut(id)?;
        if matches!(intent.status, Status::Succeeded | Status::Canceled) {
            return Err(ApiError::unexpected_state(format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a \
                 PaymentIntent with one of the following statuses may be canceled: \
                 requires_payment_method, requires_capture, requires_confirmation, \
                 requires_action, processing.",
                intent.status.as_str()
            )));
        }
        Ok(self.cancel_unchecked(id, reason, now))
    }

    /// Cancels an intent whose status allows it, releasing what is still authorized.
    fn cancel_unchecked(
        &mut self,
        id: &str,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Vec<Event> {
        let Some(intent) = self.intents.get_mut(id) else {
            return Vec::new();
        };
        let released = intent.amount_capturable;
        intent.amount_capturable = 0;
        intent.status = Status::Canceled;
        intent.cancellation_reason = reason;
        intent.canceled_at = Some(unix(now));
        let events = vec![Event::intent("payment_intent.canceled", intent)];
        let charge_id = intent.latest_charge.clone().unwrap_or_default();
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.released += released;
        }
        events
    }

    /// Test hook: the authorization of an intent in `requires_capture` lapses now; the intent
    /// is canceled with `cancellation_reason: automatic` (`charge.expired`,
    /// `payment_intent.canceled`) \[U: online lapse behaviour\].
    pub(crate) fn expire(&mut self, id: &str, now: OffsetDateTime) -> Result<Vec<Event>, ApiError> {
        let intent = self.intent_mut(id)?;
        if intent.status != Status::RequiresCapture {
            return Err(ApiError::unexpected_state(format!(
                "Only an uncaptured authorization can expire; this PaymentIntent is {}.",
                intent.status.as_str()
            )));
        }
        let charge = intent.latest_charge.clone().unwrap_or_default();
        let mut events = vec![Event::charge("charge.expired", &charge)];
        events.extend(self.cancel_unchecked(id, Some("automatic".to_owned()), now));
        Ok(events)
    }

    /// Test hook: the next increment of `id` is declined.
    pub(crate) fn decline_next_increment(&mut self, id: &str) -> bool {
        match self.intents.get_mut(id) {
            Some(intent) => {
                intent.decline_next_increment = true;
                true
            }
            None => false,
        }
    }

    /// `POST /v1/payment_intents/{id}`.
    pub(crate) fn update(&mut self, id: &str, update: Update) -> Result<(), ApiError> {
        let intent = self.intent_mut(id)?;
        if update.amount.is_some()
            && !matches!(
                intent.status,
                Status::RequiresPaymentMethod | Status::RequiresConfirmation
            )
        {
            return Err(ApiError::unexpected_state(format!(
                "You cannot update the amount of a PaymentIntent with a status of {}.",
                intent.status.as_str()
            )));
        }
        if let Some(amount) = update.amount {
            intent.amount = amount;
        }
        if update.description.is_some() {
            intent.description = update.description;
        }
        if let Some(metadata) = &update.metadata {
            merge_metadata(&mut intent.metadata, metadata);
        }
        if update.receipt_email.is_some() {
            intent.receipt_email = update.receipt_email;
        }
        if update.statement_descriptor.is_some() {
            intent.statement_descriptor = update.statement_descriptor;
        }
        if update.statement_descriptor_suffix.is_some() {
            intent.statement_descriptor_suffix = update.statement_descriptor_suffix;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::stripe::model::{CaptureMethod, NewRefund, PaymentMethodSource, RefundTarget};
    use serde_json::Map;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn new_intent(amount: i64, manual: bool, card: &str, options: &[(&str, &str)]) -> NewIntent {
        NewIntent {
            amount,
            currency: "usd".to_owned(),
            capture_method: if manual {
                CaptureMethod::Manual
            } else {
                CaptureMethod::Automatic
            },
            confirmation_method: "automatic".to_owned(),
            description: None,
            metadata: Map::new(),
            statement_descriptor: None,
            statement_descriptor_suffix: None,
            automatic_payment_methods: None,
            payment_method_types: vec!["card".to_owned()],
            confirm: true,
            confirmation: Confirmation {
                payment_method: Some(PaymentMethodSource::Id(card.to_owned())),
                card_options: Some(
                    options
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
                        .collect(),
                ),
                ..Confirmation::default()
            },
        }
    }

    fn incremental(state: &mut State, amount: i64) -> String {
        let intent = new_intent(
            amount,
            true,
            "pm_card_visa",
            &[("request_incremental_authorization", "if_available")],
        );
        state.create_intent(intent, now()).unwrap().0
    }

    #[test]
    fn manual_authorization_waits_for_capture_and_automatic_succeeds() {
        let mut state = State::default();
        let (id, outcome) = state
            .create_intent(new_intent(1000, true, "pm_card_visa", &[]), now())
            .unwrap();
        let intent = &state.intents[&id];
        assert_eq!(intent.status, Status::RequiresCapture);
        assert_eq!(intent.amount_capturable, 1000);
        let kinds: Vec<_> = outcome.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                "payment_intent.created",
                "charge.succeeded",
                "payment_intent.amount_capturable_updated"
            ]
        );
        let (id, _) = state
            .create_intent(new_intent(1000, false, "pm_card_visa", &[]), now())
            .unwrap();
        assert_eq!(state.intents[&id].status, Status::Succeeded);
        assert_eq!(state.intents[&id].amount_received, 1000);
    }

    #[test]
    fn ten_increment_attempts_at_most_declines_included() {
        let mut state = State::default();
        let id = incremental(&mut state, 1000);
        for attempt in 1..=10 {
            if attempt % 3 == 0 {
                assert!(state.decline_next_increment(&id));
                let outcome = state
                    .increment(
                        &id,
                        Increment {
                            amount: 5000,
                            ..Increment::default()
                        },
                    )
                    .unwrap();
                assert!(outcome.decline.is_some());
            } else {
                let amount = state.intents[&id].amount + 100;
                state
                    .increment(
                        &id,
                        Increment {
                            amount,
                            ..Increment::default()
                        },
                    )
                    .unwrap();
            }
        }
        let refused = state
            .increment(
                &id,
                Increment {
                    amount: 9000,
                    ..Increment::default()
                },
            )
            .unwrap_err();
        assert_eq!(refused.object()["code"], "payment_intent_unexpected_state");
        assert_eq!(state.intents[&id].amount, 1700);
    }

    #[test]
    fn partial_final_capture_releases_the_rest_and_refunds_stop_at_the_captured_amount() {
        let mut state = State::default();
        let id = incremental(&mut state, 1000);
        state
            .capture(
                &id,
                Capture {
                    amount: Some(600),
                    final_capture: true,
                    ..Capture::default()
                },
            )
            .unwrap();
        let intent = &state.intents[&id];
        assert_eq!(
            (
                intent.status,
                intent.amount_received,
                intent.amount_capturable
            ),
            (Status::Succeeded, 600, 0)
        );
        let charge = &state.charges[intent.latest_charge.as_deref().unwrap()];
        assert_eq!(
            (charge.amount_captured, charge.amount_refunded()),
            (600, 400)
        );
        let refund = |amount| NewRefund {
            target: RefundTarget::PaymentIntent(id.clone()),
            payment_intent: None,
            amount,
            currency: None,
            reason: None,
            metadata: Map::new(),
            instructions_email: None,
        };
        state.refund(refund(Some(500)), now()).unwrap();
        let over = state.refund(refund(Some(101)), now()).unwrap_err();
        assert_eq!(over.object()["code"], "amount_too_large");
        state.refund(refund(None), now()).unwrap();
        let done = state.refund(refund(None), now()).unwrap_err();
        assert_eq!(done.object()["code"], "charge_already_refunded");
    }
}
