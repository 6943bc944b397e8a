//! Payments, their actions and balances, and the state rules of every operation. Pure logic:
//! no I/O, no JSON; the handlers turn the results into answers and webhooks.

use std::collections::HashMap;

use paybridge_core::money::Currency;
use paybridge_core::payment_method::CardNetwork;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};
use url::Url;

use super::cards;
use super::ids;

/// Validity of an authorization: uncaptured payments are voided after 7 days (reference §1.4,
/// older capture page \[C\]; the current default \[U\]).
const AUTHORIZATION_VALIDITY: Duration = Duration::days(7);
/// Validity of an Estimated Mastercard authorization, and what an extension resets it to \[U\].
const EXTENDED_VALIDITY: Duration = Duration::days(30);
/// Largest amount Checkout accepts (SDK doc comment on `amount`).
pub(crate) const MAX_AMOUNT: i64 = 99_999_999;

/// A payment's `status`, with Checkout.com's spelling (note the spaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Authorized,
    CardVerified,
    Voided,
    PartiallyCaptured,
    Captured,
    PartiallyRefunded,
    Refunded,
    Declined,
    Canceled,
    Expired,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Authorized => "Authorized",
            Status::CardVerified => "Card Verified",
            Status::Voided => "Voided",
            Status::PartiallyCaptured => "Partially Captured",
            Status::Captured => "Captured",
            Status::PartiallyRefunded => "Partially Refunded",
            Status::Refunded => "Refunded",
            Status::Declined => "Declined",
            Status::Canceled => "Canceled",
            Status::Expired => "Expired",
        }
    }
}

/// `authorization_type` of the payment request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorizationType {
    Final,
    Estimated,
}

impl AuthorizationType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::Final => "Final",
            AuthorizationType::Estimated => "Estimated",
        }
    }
}

/// An action's `type` in `/actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionType {
    Authorization,
    CardVerification,
    Capture,
    Void,
    Refund,
}

impl ActionType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ActionType::Authorization => "Authorization",
            ActionType::CardVerification => "Card Verification",
            ActionType::Capture => "Capture",
            ActionType::Void => "Void",
            ActionType::Refund => "Refund",
        }
    }
}

/// The card as the simulator keeps it: never the full number.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) source_id: String,
    pub(crate) bin: String,
    pub(crate) last4: String,
    pub(crate) expiry_month: u8,
    pub(crate) expiry_year: u16,
    pub(crate) network: Option<CardNetwork>,
    pub(crate) fingerprint: String,
    pub(crate) name: Option<String>,
    /// The issuer's verdict for this card: `Some((code, summary))` declines.
    pub(crate) decline: Option<(&'static str, &'static str)>,
    /// `billing_address` (`Address`) as validated: the documented members only.
    pub(crate) billing_address: Option<Map<String, Value>>,
    /// `phone` (`PhoneNumber`) as validated.
    pub(crate) phone: Option<Map<String, Value>>,
}

/// `balances`, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Balances {
    pub(crate) total_authorized: i64,
    pub(crate) total_voided: i64,
    pub(crate) available_to_void: i64,
    pub(crate) total_captured: i64,
    pub(crate) available_to_capture: i64,
    pub(crate) total_refunded: i64,
    pub(crate) available_to_refund: i64,
}

/// One processed action.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub(crate) id: String,
    pub(crate) kind: ActionType,
    pub(crate) processed_on: OffsetDateTime,
    pub(crate) amount: i64,
    pub(crate) approved: bool,
    pub(crate) response_code: &'static str,
    pub(crate) response_summary: &'static str,
    pub(crate) auth_code: Option<String>,
    /// `Final`/`Estimated` for the payment's authorization, `Incremental` for increments.
    pub(crate) authorization_type: Option<&'static str>,
    pub(crate) reference: Option<String>,
    pub(crate) metadata: Option<Map<String, Value>>,
}

/// Why an operation is refused: 403 (the payment's state does not allow it) or 422 (the
/// request is invalid for this payment), with Checkout's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    NotAllowed(&'static str),
    Invalid(&'static str),
}

/// A state change to announce with a webhook of type `kind`; `action` is the action behind it
/// (none for `payment_pending` and `payment_canceled`).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) kind: &'static str,
    pub(crate) action: Option<Action>,
}

/// A validated payment request.
#[derive(Debug, Clone)]
pub(crate) struct NewPayment {
    pub(crate) amount: i64,
    pub(crate) currency: Currency,
    pub(crate) reference: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) payment_type: Option<String>,
    pub(crate) capture: bool,
    pub(crate) authorization_type: AuthorizationType,
    /// `3ds.enabled` without a third-party result: Checkout.com authenticates (a redirect).
    pub(crate) three_ds: bool,
    /// A third-party (external) 3DS result, as checked (`3dsRequestThirdParty`'s members):
    /// the payment is authorized at once, with no redirect.
    pub(crate) third_party: Option<Map<String, Value>>,
    pub(crate) success_url: Option<Url>,
    pub(crate) failure_url: Option<Url>,
    pub(crate) card: Card,
    pub(crate) details: Details,
}

/// What a payment request says about the customer and the payment beyond the card, kept as
/// validated JSON (the documented members only) to be answered back.
#[derive(Debug, Clone, Default)]
pub(crate) struct Details {
    pub(crate) description: Option<String>,
    /// `{id, email?, name?}`: the id is the request's, or one the simulator gives the customer.
    pub(crate) customer: Option<Map<String, Value>>,
    pub(crate) billing_descriptor: Option<Map<String, Value>>,
    pub(crate) shipping: Option<Map<String, Value>>,
    pub(crate) payment_ip: Option<String>,
}

/// Optional fields every follow-up action carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionFields {
    pub(crate) reference: Option<String>,
    pub(crate) metadata: Option<Map<String, Value>>,
}

/// A payment and everything that happened to it.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: String,
    /// Returned to `success_url`/`failure_url` as `cko-session-id`; also accepted by GET.
    pub(crate) session_id: String,
    pub(crate) requested_on: OffsetDateTime,
    pub(crate) request: NewPayment,
    pub(crate) status: Status,
    pub(crate) approved: bool,
    pub(crate) response_code: Option<&'static str>,
    pub(crate) response_summary: Option<&'static str>,
    pub(crate) auth_code: Option<String>,
    pub(crate) scheme_id: String,
    pub(crate) processed_on: Option<OffsetDateTime>,
    pub(crate) expires_on: Option<OffsetDateTime>,
    pub(crate) balances: Balances,
    /// Oldest first.
    pub(crate) actions: Vec<Action>,
    /// Test hooks: the next increment / refund is declined.
    pub(crate) decline_next_increment: bool,
    pub(crate) decline_next_refund: bool,
}

impl Payment {
    /// A payment as received, before the issuer's verdict: `Pending`.
    pub(crate) fn new(request: NewPayment, now: OffsetDateTime) -> Payment {
        Payment {
            id: ids::new("pay"),
            session_id: ids::new("sid"),
            requested_on: now,
            request,
            status: Status::Pending,
            approved: false,
            response_code: None,
            response_summary: None,
            auth_code: None,
            scheme_id: ids::digits(15),
            processed_on: None,
            expires_on: None,
            balances: Balances::default(),
            actions: Vec::new(),
            decline_next_increment: false,
            decline_next_refund: false,
        }
    }

    /// Asks the issuer: approves, declines or verifies the card (amount 0). With `capture`, an
    /// approved payment is captured in full at once — the simulator models Checkout's
    /// auto-capture as immediate, where the real one follows shortly after \[U\].
    pub(crate) fn authorize(&mut self, now: OffsetDateTime) -> Vec<Event> {
        self.processed_on = Some(now);
        if let Some((code, summary)) = self.request.card.decline {
            return self.decline(code, summary, now);
        }
        if self.request.amount == 0 {
            self.status = Status::CardVerified;
            self.approved = true;
            self.set_verdict(cards::APPROVED);
            let action = self.push_action(ActionType::CardVerification, 0, now, None, None);
            return vec![event("card_verified", action)];
        }
        let amount = self.request.amount;
        self.status = Status::Authorized;
        self.approved = true;
        self.set_verdict(cards::APPROVED);
        self.auth_code = Some(ids::digits(6));
        self.expires_on = Some(now + self.validity());
        self.balances = Balances {
            total_authorized: amount,
            available_to_void: amount,
            available_to_capture: amount,
            ..Balances::default()
        };
        let authorization_type = Some(self.request.authorization_type.as_str());
        let action = self.push_action(
            ActionType::Authorization,
            amount,
            now,
            None,
            authorization_type,
        );
        let mut events = vec![event("payment_approved", action)];
        if self.request.capture {
            let reference = self.request.reference.clone();
            let capture = self.apply_capture(
                amount,
                true,
                ActionFields {
                    reference,
                    metadata: None,
                },
                now,
            );
            events.push(event("payment_captured", capture));
        }
        events
    }

    /// The customer failed 3DS authentication: declined `20151` \[U: Checkout documents 20151
    /// "Cardholder failed 3DS authentication"; the reference only lists 20153/20154].
    pub(crate) fn fail_authentication(&mut self, now: OffsetDateTime) -> Vec<Event> {
        self.processed_on = Some(now);
        self.decline("20151", "Cardholder failed 3DS authentication", now)
    }

    /// The customer abandoned authentication: `Canceled`, `payment_canceled` \[U\].
    pub(crate) fn cancel(&mut self) -> Vec<Event> {
        self.status = Status::Canceled;
        vec![Event {
            kind: "payment_canceled",
            action: None,
        }]
    }

    /// The authorization lapsed (a test hook; the simulator does not expire payments by the
    /// clock): `Expired`, nothing left to capture or void, `payment_expired`.
    pub(crate) fn expire(&mut self) -> Result<Vec<Event>, Rejection> {
        if !matches!(self.status, Status::Pending | Status::Authorized) {
            return Err(Rejection::NotAllowed("payment_not_expirable"));
        }
        self.status = Status::Expired;
        self.balances.available_to_capture = 0;
        self.balances.available_to_void = 0;
        Ok(vec![Event {
            kind: "payment_expired",
            action: None,
        }])
    }

    fn decline(
        &mut self,
        code: &'static str,
        summary: &'static str,
        now: OffsetDateTime,
    ) -> Vec<Event> {
        self.status = Status::Declined;
        self.approved = false;
        self.set_verdict((code, summary));
        self.balances = Balances::default();
        let authorization_type = Some(self.request.authorization_type.as_str());
        let amount = self.request.amount;
        let action = self.push_action(
            ActionType::Authorization,
            amount,
            now,
            Some((code, summary)),
            authorization_type,
        );
        vec![event("payment_declined", action)]
    }

    fn set_verdict(&mut self, (code, summary): (&'static str, &'static str)) {
        self.response_code = Some(code);
        self.response_summary = Some(summary);
    }

    /// 7 days, or 30 for an Estimated Mastercard authorization \[U\].
    fn validity(&self) -> Duration {
        let mastercard = self.request.card.network == Some(CardNetwork::Mastercard);
        if mastercard && self.request.authorization_type == AuthorizationType::Estimated {
            EXTENDED_VALIDITY
        } else {
            AUTHORIZATION_VALIDITY
        }
    }

    /// Whether an incremental authorization is allowed now (for `_links.authorize`).
    pub(crate) fn can_increment(&self) -> bool {
        self.request.authorization_type == AuthorizationType::Estimated
            && self.status == Status::Authorized
            && self.balances.total_captured == 0
    }

    /// Whether a capture is allowed now.
    pub(crate) fn can_capture(&self) -> bool {
        matches!(
            self.status,
            Status::Authorized | Status::PartiallyCaptured | Status::PartiallyRefunded
        ) && self.balances.available_to_capture > 0
    }

    /// Whether a void is allowed now: only before any capture.
    pub(crate) fn can_void(&self) -> bool {
        self.status == Status::Authorized && self.balances.total_captured == 0
    }

    /// Whether a refund is allowed now.
    pub(crate) fn can_refund(&self) -> bool {
        self.balances.available_to_refund > 0
    }

    /// `POST /payments/{id}/authorizations`: `amount` > 0 adds to the authorization; 0 extends
    /// its validity (Mastercard only). A declined increment is an outcome (`Ok`), not a
    /// rejection.
    pub(crate) fn increment(
        &mut self,
        amount: i64,
        fields: ActionFields,
        now: OffsetDateTime,
    ) -> Result<(Action, Vec<Event>), Rejection> {
        if self.balances.total_captured > 0 {
            // [U] code: the reference leaves the error for an increment after capture open.
            return Err(Rejection::NotAllowed("payment_already_captured"));
        }
        if self.request.authorization_type != AuthorizationType::Estimated
            || self.status != Status::Authorized
        {
            // [U] code, for a Final authorization and for any non-authorized state.
            return Err(Rejection::NotAllowed(
                "incremental_authorization_not_allowed",
            ));
        }
        let network = self.request.card.network;
        let supported = if amount == 0 {
            network == Some(CardNetwork::Mastercard)
        } else {
            matches!(
                network,
                Some(CardNetwork::Visa | CardNetwork::Mastercard | CardNetwork::Amex)
            )
        };
        if !supported {
            // [U]: 422 with the code Checkout's docs list for unsupported increments.
            return Err(Rejection::Invalid("incremental_authorization_unsupported"));
        }
        let new_total = self
            .balances
            .total_authorized
            .checked_add(amount)
            .filter(|total| *total <= MAX_AMOUNT)
            .ok_or(Rejection::Invalid("amount_invalid"))?;

        if std::mem::take(&mut self.decline_next_increment) {
            let mut action = self.new_action(ActionType::Authorization, amount, now, false);
            action.response_code = "20051";
            action.response_summary = "Insufficient Funds";
            action.authorization_type = Some("Incremental");
            action.reference = fields.reference;
            action.metadata = fields.metadata;
            self.actions.push(action.clone());
            let events = vec![event(
                "payment_authorization_increment_declined",
                action.clone(),
            )];
            return Ok((action, events));
        }

        self.balances.total_authorized = new_total;
        self.balances.available_to_capture += amount;
        self.balances.available_to_void += amount;
        if amount == 0 {
            self.expires_on = Some(now + EXTENDED_VALIDITY);
        }
        let mut action = self.new_action(ActionType::Authorization, amount, now, true);
        action.auth_code = Some(ids::digits(6));
        action.authorization_type = Some("Incremental");
        action.reference = fields.reference;
        action.metadata = fields.metadata;
        self.actions.push(action.clone());
        let events = vec![event("payment_authorization_incremented", action.clone())];
        Ok((action, events))
    }

    /// `POST /payments/{id}/captures`: `amount` defaults to what is left; a `Final` capture
    /// releases (voids) whatever remains after it.
    pub(crate) fn capture(
        &mut self,
        amount: Option<i64>,
        is_final: bool,
        fields: ActionFields,
        now: OffsetDateTime,
    ) -> Result<(Action, Vec<Event>), Rejection> {
        if !self.can_capture() {
            return Err(Rejection::NotAllowed("capture_not_allowed"));
        }
        let available = self.balances.available_to_capture;
        let amount = amount.unwrap_or(available);
        if amount == 0 {
            return Err(Rejection::Invalid("amount_invalid"));
        }
        if amount > available {
            return Err(Rejection::Invalid(if self.balances.total_captured == 0 {
                "capture_value_greater_than_authorized"
            } else {
                "capture_value_greater_than_remaining_authorized"
            }));
        }
        let action = self.apply_capture(amount, is_final, fields, now);
        Ok((action.clone(), vec![event("payment_captured", action)]))
    }

    fn apply_capture(
        &mut self,
        amount: i64,
        is_final: bool,
        fields: ActionFields,
        now: OffsetDateTime,
    ) -> Action {
        let b = &mut self.balances;
        b.total_captured += amount;
        b.available_to_capture -= amount;
        b.available_to_refund += amount;
        if is_final {
            b.total_voided += b.available_to_capture;
            b.available_to_capture = 0;
        }
        // Voids are only allowed before any capture.
        b.available_to_void = 0;
        self.status = self.settled_status();
        let mut action = self.new_action(ActionType::Capture, amount, now, true);
        action.reference = fields.reference;
        action.metadata = fields.metadata;
        self.actions.push(action.clone());
        action
    }

    /// `POST /payments/{id}/voids`: releases the whole authorization; only before any capture.
    /// (Checkout's docs allow voiding the remainder of a partially captured payment on some
    /// schemes; the simulator keeps the simpler, stricter rule \[U\].)
    pub(crate) fn void(
        &mut self,
        fields: ActionFields,
        now: OffsetDateTime,
    ) -> Result<(Action, Vec<Event>), Rejection> {
        if !self.can_void() {
            return Err(Rejection::NotAllowed("void_not_allowed"));
        }
        let amount = self.balances.available_to_capture;
        let b = &mut self.balances;
        b.total_voided += amount;
        b.available_to_capture = 0;
        b.available_to_void = 0;
        self.status = Status::Voided;
        let mut action = self.new_action(ActionType::Void, amount, now, true);
        action.reference = fields.reference;
        action.metadata = fields.metadata;
        self.actions.push(action.clone());
        Ok((action.clone(), vec![event("payment_voided", action)]))
    }

    /// `POST /payments/{id}/refunds`: `amount` defaults to everything refundable. Refunds settle
    /// at once in the simulator (the action is approved when the 202 is sent), unless a test
    /// hook declines it.
    pub(crate) fn refund(
        &mut self,
        amount: Option<i64>,
        fields: ActionFields,
        now: OffsetDateTime,
    ) -> Result<(Action, Vec<Event>), Rejection> {
        if self.balances.total_captured == 0 {
            return Err(Rejection::NotAllowed("refund_not_allowed"));
        }
        let available = self.balances.available_to_refund;
        if amount == Some(0) {
            return Err(Rejection::Invalid("amount_invalid"));
        }
        let amount = amount.unwrap_or(available);
        if amount == 0 || amount > available {
            return Err(Rejection::Invalid("refund_amount_exceeds_balance"));
        }
        let approved = !std::mem::take(&mut self.decline_next_refund);
        if approved {
            let b = &mut self.balances;
            b.total_refunded += amount;
            b.available_to_refund -= amount;
            self.status = self.settled_status();
        }
        let mut action = self.new_action(ActionType::Refund, amount, now, approved);
        if !approved {
            // [U] code for a declined refund.
            action.response_code = "20005";
            action.response_summary = "Declined - Do Not Honour";
        }
        action.reference = fields.reference;
        action.metadata = fields.metadata;
        self.actions.push(action.clone());
        let kind = if approved {
            "payment_refunded"
        } else {
            "payment_refund_declined"
        };
        Ok((action.clone(), vec![event(kind, action)]))
    }

    /// Status once money has been captured: captured or refunded, fully or partially.
    fn settled_status(&self) -> Status {
        let b = &self.balances;
        match (b.total_refunded > 0, b.available_to_capture > 0) {
            (true, false) if b.available_to_refund == 0 => Status::Refunded,
            (true, _) => Status::PartiallyRefunded,
            (false, false) => Status::Captured,
            (false, true) => Status::PartiallyCaptured,
        }
    }

    fn new_action(
        &self,
        kind: ActionType,
        amount: i64,
        now: OffsetDateTime,
        approved: bool,
    ) -> Action {
        Action {
            id: ids::new("act"),
            kind,
            processed_on: now,
            amount,
            approved,
            response_code: cards::APPROVED.0,
            response_summary: cards::APPROVED.1,
            auth_code: None,
            authorization_type: None,
            reference: None,
            metadata: None,
        }
    }

    /// Records the payment's own authorization (or verification) action; `decline` carries
    /// the issuer's code and summary when it declined.
    fn push_action(
        &mut self,
        kind: ActionType,
        amount: i64,
        now: OffsetDateTime,
        decline: Option<(&'static str, &'static str)>,
        authorization_type: Option<&'static str>,
    ) -> Action {
        let mut action = self.new_action(kind, amount, now, decline.is_none());
        if let Some((code, summary)) = decline {
            action.response_code = code;
            action.response_summary = summary;
        }
        action.auth_code = self.auth_code.clone();
        action.authorization_type = authorization_type;
        action.reference = self.request.reference.clone();
        if !self.request.metadata.is_empty() {
            action.metadata = Some(self.request.metadata.clone());
        }
        self.actions.push(action.clone());
        action
    }
}

fn event(kind: &'static str, action: Action) -> Event {
    Event {
        kind,
        action: Some(action),
    }
}

/// Every payment of one simulator, by id; session ids map to payment ids.
#[derive(Debug, Default)]
pub(crate) struct Payments {
    by_id: HashMap<String, Payment>,
    sessions: HashMap<String, String>,
    /// Payment ids in the order they were requested.
    order: Vec<String>,
}

impl Payments {
    pub(crate) fn insert(&mut self, payment: Payment) {
        self.sessions
            .insert(payment.session_id.clone(), payment.id.clone());
        self.order.push(payment.id.clone());
        self.by_id.insert(payment.id.clone(), payment);
    }

    /// The payments requested with `reference` (compared exactly \[U: Checkout.com does not
    /// document its matching\]), newest first.
    pub(crate) fn with_reference(&self, reference: &str) -> Vec<&Payment> {
        self.order
            .iter()
            .rev()
            .filter_map(|id| self.by_id.get(id))
            .filter(|p| p.request.reference.as_deref() == Some(reference))
            .collect()
    }

    /// A payment by its `pay_` id or its `sid_` session id.
    pub(crate) fn get(&self, id: &str) -> Option<&Payment> {
        let id = self.sessions.get(id).map_or(id, String::as_str);
        self.by_id.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Payment> {
        self.by_id.get_mut(id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn payment(number: &str, amount: i64, capture: bool, kind: AuthorizationType) -> Payment {
        let request = NewPayment {
            amount,
            currency: Currency::USD,
            reference: Some("ORD-1".into()),
            metadata: Map::new(),
            payment_type: None,
            capture,
            authorization_type: kind,
            three_ds: false,
            third_party: None,
            success_url: None,
            failure_url: None,
            card: Card {
                source_id: ids::new("src"),
                bin: number[..6].into(),
                last4: number[number.len() - 4..].into(),
                expiry_month: 12,
                expiry_year: 2030,
                network: CardNetwork::detect(number),
                fingerprint: "F".into(),
                name: None,
                decline: cards::decline_for(number),
                billing_address: None,
                phone: None,
            },
            details: Details::default(),
        };
        let mut p = Payment::new(request, OffsetDateTime::now_utc());
        p.authorize(OffsetDateTime::now_utc());
        p
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn final_partial_capture_voids_the_rest() {
        let mut p = payment(cards::VISA_APPROVED, 1000, false, AuthorizationType::Final);
        p.capture(Some(400), true, ActionFields::default(), now())
            .unwrap();
        assert_eq!(p.status, Status::Captured);
        assert_eq!(p.balances.total_voided, 600);
        assert_eq!(p.balances.available_to_capture, 0);
        assert_eq!(p.balances.available_to_refund, 400);
    }

    #[test]
    fn refunds_move_status_through_partially_refunded_to_refunded() {
        let mut p = payment(cards::VISA_APPROVED, 1000, true, AuthorizationType::Final);
        assert_eq!(p.status, Status::Captured);
        p.refund(Some(300), ActionFields::default(), now()).unwrap();
        assert_eq!(p.status, Status::PartiallyRefunded);
        p.refund(None, ActionFields::default(), now()).unwrap();
        assert_eq!(p.status, Status::Refunded);
        assert_eq!(
            p.refund(Some(1), ActionFields::default(), now())
                .unwrap_err(),
            Rejection::Invalid("refund_amount_exceeds_balance")
        );
    }

    #[test]
    fn a_declined_payment_allows_nothing() {
        let mut p = payment(
            cards::DO_NOT_HONOUR,
            1000,
            false,
            AuthorizationType::Estimated,
        );
        assert_eq!(p.status, Status::Declined);
        assert_eq!(p.response_code, Some("20005"));
        assert!(p
            .capture(None, true, ActionFields::default(), now())
            .is_err());
        assert!(p.void(ActionFields::default(), now()).is_err());
        assert!(p.increment(10, ActionFields::default(), now()).is_err());
    }
}
