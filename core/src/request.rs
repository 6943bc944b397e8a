//! One request type per flow. Every mutating request carries an [`IdempotencyKey`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::details::{
    BrowserInfo, Contact, Customer, StatementDescriptor, BILLING_ADDRESS_FIELDS,
    SHIPPING_ADDRESS_FIELDS,
};
use crate::error::ConnectorError;
use crate::money::{Currency, MinorUnit};
use crate::payment_method::{CardNetwork, PaymentMethod};

/// Merchant metadata passed to the processor: flat string pairs, which every processor accepts.
pub type Metadata = BTreeMap<String, String>;

/// A key that makes a mutating call safe to retry: generated once per logical operation (or
/// given by the caller) and sent unchanged on every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh random key (UUID v4), as Checkout.com recommends.
    pub fn generate() -> Self {
        IdempotencyKey(uuid::Uuid::new_v4().to_string())
    }

    /// A caller-given key: 1 to 255 printable ASCII characters (Stripe's limit).
    pub fn new(key: impl Into<String>) -> Result<Self, ConnectorError> {
        let key = key.into();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConnectorError::invalid(
                "idempotency_key",
                "must be 1 to 255 printable ASCII characters",
            ));
        }
        Ok(IdempotencyKey(key))
    }

    /// A key derived from this one for a sub-operation, stable across retries and always
    /// different from this key. A base too long to take the suffix is replaced by its SHA-256
    /// (truncating it could give back the base key itself).
    pub fn derive(&self, suffix: &str) -> IdempotencyKey {
        let suffix: String = suffix
            .chars()
            .filter(char::is_ascii_graphic)
            .take(64)
            .collect();
        let key = format!("{}-{suffix}", self.0);
        if key.len() <= 255 {
            return IdempotencyKey(key);
        }
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(self.0.as_bytes()));
        IdempotencyKey(format!("{digest}-{suffix}"))
    }

    /// The key as sent in a header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = ConnectorError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IdempotencyKey::new(value)
    }
}

impl From<IdempotencyKey> for String {
    fn from(value: IdempotencyKey) -> String {
        value.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When the authorized funds are captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    /// Captured by the processor as part of the authorization.
    #[default]
    Automatic,
    /// Authorized only; the merchant captures later.
    Manual,
}

/// Whether the authorized amount is final or an estimate that may be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationType {
    /// The amount will not change.
    #[default]
    Final,
    /// An estimate (hotels, car rental); incremental authorization needs this.
    Estimated,
}

/// The merchant's wish about 3-D Secure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreeDsPreference {
    /// Let the processor's rules decide.
    #[default]
    Automatic,
    /// Authenticate the customer (needs a return URL).
    Required,
    /// Do not ask for 3DS.
    Skip,
}

/// Create and confirm a payment.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// Amount to authorize; must be above zero.
    pub amount: MinorUnit,
    /// Currency of `amount`.
    pub currency: Currency,
    /// The card or token to charge.
    pub payment_method: PaymentMethod,
    /// Capture with the authorization, or later.
    pub capture_method: CaptureMethod,
    /// Final or estimated amount.
    pub authorization_type: AuthorizationType,
    /// Ask for an authorization that can be incremented later (implies `Estimated`).
    pub request_incremental_authorization: bool,
    /// Ask for a longer authorization validity where the processor offers it at authorization.
    pub request_extended_authorization: bool,
    /// The merchant's order reference.
    pub reference: String,
    /// A description for the processor's dashboard.
    pub description: Option<String>,
    /// Merchant metadata.
    pub metadata: Metadata,
    /// Where the customer returns after a redirect (3DS).
    pub return_url: Option<Url>,
    /// 3-D Secure preference.
    pub three_ds: ThreeDsPreference,
    /// The paying customer.
    pub customer: Option<Customer>,
    /// The billing contact (the card's address, for address verification).
    pub billing: Option<Contact>,
    /// Where the goods go.
    pub shipping: Option<Contact>,
    /// What the customer's statement shows.
    pub statement_descriptor: StatementDescriptor,
    /// The customer's browser or app.
    pub browser_info: Option<BrowserInfo>,
    /// A 3-D Secure result obtained from a 3DS server outside the processor, to authorize with
    /// (only for connectors whose capabilities say they take one).
    pub external_authentication: Option<crate::authentication::ExternalAuthentication>,
}

impl AuthorizeRequest {
    /// A request with the required fields; everything else at its default (automatic
    /// capture, final authorization, no metadata).
    pub fn new(
        amount: MinorUnit,
        currency: Currency,
        payment_method: PaymentMethod,
        reference: impl Into<String>,
    ) -> Self {
        AuthorizeRequest {
            idempotency_key: IdempotencyKey::generate(),
            amount,
            currency,
            payment_method,
            capture_method: CaptureMethod::Automatic,
            authorization_type: AuthorizationType::Final,
            request_incremental_authorization: false,
            request_extended_authorization: false,
            reference: reference.into(),
            description: None,
            metadata: Metadata::new(),
            return_url: None,
            three_ds: ThreeDsPreference::Automatic,
            customer: None,
            billing: None,
            shipping: None,
            statement_descriptor: StatementDescriptor::default(),
            browser_info: None,
            external_authentication: None,
        }
    }

    /// The authorization type to send: `Estimated` when asked for, or when incremental
    /// authorization is requested (processors only increment estimated authorizations).
    pub fn effective_authorization_type(&self) -> AuthorizationType {
        if self.request_incremental_authorization {
            AuthorizationType::Estimated
        } else {
            self.authorization_type
        }
    }

    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        if self.amount.is_zero() {
            return Err(ConnectorError::invalid(
                "amount",
                "must be greater than zero",
            ));
        }
        validate_text("reference", &self.reference, 1, 255)?;
        if let Some(description) = &self.description {
            validate_text("description", description, 0, 1000)?;
        }
        if self.three_ds == ThreeDsPreference::Required && self.return_url.is_none() {
            return Err(ConnectorError::invalid(
                "return_url",
                "is required when 3DS is required",
            ));
        }
        for (field, value, max) in self.detail_texts() {
            if let Some(value) = value {
                validate_text(field, value, 1, max)?;
            }
        }
        Ok(())
    }

    /// Every free-text detail with its field name and longest length.
    fn detail_texts(&self) -> Vec<(&'static str, Option<&str>, usize)> {
        let customer = self.customer.as_ref();
        let browser = self.browser_info.as_ref();
        let mut texts = vec![
            ("customer.id", customer.and_then(|c| c.id.as_deref()), 64),
            (
                "customer.name",
                customer.and_then(|c| c.name.as_deref()),
                255,
            ),
            (
                "statement_descriptor.name",
                self.statement_descriptor.name.as_deref(),
                255,
            ),
            (
                "statement_descriptor.suffix",
                self.statement_descriptor.suffix.as_deref(),
                255,
            ),
            (
                "browser_info.user_agent",
                browser.and_then(|b| b.user_agent.as_deref()),
                2048,
            ),
            (
                "browser_info.accept_header",
                browser.and_then(|b| b.accept_header.as_deref()),
                2048,
            ),
            (
                "browser_info.language",
                browser.and_then(|b| b.language.as_deref()),
                35,
            ),
            (
                "browser_info.accept_language",
                browser.and_then(|b| b.accept_language.as_deref()),
                255,
            ),
            (
                "browser_info.os_type",
                browser.and_then(|b| b.os_type.as_deref()),
                255,
            ),
            (
                "browser_info.os_version",
                browser.and_then(|b| b.os_version.as_deref()),
                255,
            ),
            (
                "browser_info.device_model",
                browser.and_then(|b| b.device_model.as_deref()),
                255,
            ),
            (
                "browser_info.referer",
                browser.and_then(|b| b.referer.as_deref()),
                2048,
            ),
        ];
        let contacts = [
            (BILLING_ADDRESS_FIELDS, &self.billing),
            (SHIPPING_ADDRESS_FIELDS, &self.shipping),
        ];
        for (names, contact) in contacts {
            if let Some(address) = contact.as_ref().and_then(|c| c.address.as_ref()) {
                texts.extend(
                    names
                        .into_iter()
                        .zip(address.parts())
                        .map(|(n, v)| (n, v, 255)),
                );
            }
        }
        texts
    }
}

/// Raise an estimated authorization to a new total.
#[derive(Debug, Clone)]
pub struct IncrementalAuthorizationRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Currency of the payment.
    pub currency: Currency,
    /// The amount authorized now, before this increment.
    pub current_authorized: MinorUnit,
    /// The total to be authorized after it: the public API passes the total, not the increment.
    pub new_total: MinorUnit,
    /// Why (shown to the processor where it takes a reason).
    pub reason: Option<String>,
    /// The card network, when known, for connectors whose support depends on it.
    pub card_network: Option<CardNetwork>,
}

impl IncrementalAuthorizationRequest {
    /// `new_total - current_authorized`, for processors that take the increment. Fails when the
    /// new total is not above the current authorization.
    pub fn increment(&self) -> Result<MinorUnit, ConnectorError> {
        if self.new_total <= self.current_authorized {
            return Err(ConnectorError::invalid(
                "new_total",
                format!(
                    "{} must be above the currently authorized {}",
                    self.new_total, self.current_authorized
                ),
            ));
        }
        self.new_total
            .checked_sub(self.current_authorized)
            .map_err(|e| ConnectorError::invalid("new_total", e.to_string()))
    }

    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        self.increment().map(|_| ())
    }
}

/// Extend the validity of an existing authorization.
#[derive(Debug, Clone)]
pub struct ExtendAuthorizationRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Currency of the payment.
    pub currency: Currency,
    /// The card network, when known; some processors extend only some networks.
    pub card_network: Option<CardNetwork>,
}

impl ExtendAuthorizationRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)
    }
}

/// Capture authorized funds.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Currency of the payment.
    pub currency: Currency,
    /// Amount to capture; `None` captures everything capturable.
    pub amount: Option<MinorUnit>,
    /// `false` when more captures will follow; `true` releases what is left.
    pub final_capture: bool,
    /// The merchant's reference for this capture.
    pub reference: Option<String>,
    /// Merchant metadata.
    pub metadata: Metadata,
}

impl CaptureRequest {
    /// A final capture of `amount` (or everything).
    pub fn new(
        connector_payment_id: impl Into<String>,
        currency: Currency,
        amount: Option<MinorUnit>,
    ) -> Self {
        CaptureRequest {
            idempotency_key: IdempotencyKey::generate(),
            connector_payment_id: connector_payment_id.into(),
            currency,
            amount,
            final_capture: true,
            reference: None,
            metadata: Metadata::new(),
        }
    }

    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        validate_partial_amount(self.amount)
    }
}

/// Release an uncaptured authorization.
#[derive(Debug, Clone)]
pub struct VoidRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Why (public API `cancellation_reason`).
    pub reason: Option<String>,
}

impl VoidRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)
    }
}

/// Undo a captured payment by refunding what was captured.
#[derive(Debug, Clone)]
pub struct CancelPostCaptureRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Currency of the payment.
    pub currency: Currency,
    /// The amount captured (and not yet refunded), which is refunded.
    pub amount_captured: MinorUnit,
    /// Why.
    pub reason: Option<String>,
    /// Our reference for the refund it makes, where the processor keeps one: what finds the
    /// refund when its answer was lost ([`RefundLookupRequest`]).
    pub reference: Option<String>,
}

impl CancelPostCaptureRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        if self.amount_captured.is_zero() {
            return Err(ConnectorError::invalid(
                "amount_captured",
                "nothing was captured; void the payment instead",
            ));
        }
        Ok(())
    }
}

/// Refund captured funds.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// Currency of the payment.
    pub currency: Currency,
    /// Amount to refund; `None` refunds everything refundable.
    pub amount: Option<MinorUnit>,
    /// Why.
    pub reason: Option<String>,
    /// The merchant's reference for this refund.
    pub reference: Option<String>,
    /// Merchant metadata.
    pub metadata: Metadata,
}

impl RefundRequest {
    /// A refund of `amount` (or everything).
    pub fn new(
        connector_payment_id: impl Into<String>,
        currency: Currency,
        amount: Option<MinorUnit>,
    ) -> Self {
        RefundRequest {
            idempotency_key: IdempotencyKey::generate(),
            connector_payment_id: connector_payment_id.into(),
            currency,
            amount,
            reason: None,
            reference: None,
            metadata: Metadata::new(),
        }
    }

    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        validate_partial_amount(self.amount)
    }
}

/// Read a payment's state.
#[derive(Debug, Clone)]
pub struct PaymentSyncRequest {
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// How the payment was created; some processors' statuses mean different things for
    /// manual and automatic capture.
    pub capture_method: CaptureMethod,
}

impl PaymentSyncRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)
    }
}

/// Find the processor's payment made with our reference ([`AuthorizeRequest::reference`]).
#[derive(Debug, Clone)]
pub struct PaymentLookupRequest {
    /// The reference the authorization was sent with.
    pub reference: String,
    /// When the authorization was first sent, if known: a processor that can only list
    /// payments by creation time (Stripe) searches around it.
    pub sent_at: Option<time::OffsetDateTime>,
}

impl PaymentLookupRequest {
    /// A lookup of `reference`, sent at an unknown time.
    pub fn new(reference: impl Into<String>) -> Self {
        PaymentLookupRequest {
            reference: reference.into(),
            sent_at: None,
        }
    }

    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.reference)
    }
}

/// Find the refund of a payment made with our reference ([`RefundRequest::reference`]).
#[derive(Debug, Clone)]
pub struct RefundLookupRequest {
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// The reference the refund was sent with.
    pub reference: String,
}

impl RefundLookupRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        validate_id(&self.reference)
    }
}

/// Read a refund's state.
#[derive(Debug, Clone)]
pub struct RefundSyncRequest {
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// The processor's refund id (Checkout.com: the refund's action id).
    pub connector_refund_id: String,
}

impl RefundSyncRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)?;
        validate_id(&self.connector_refund_id)
    }
}

/// Finish an authorization after the customer came back from a redirect.
#[derive(Debug, Clone)]
pub struct CompleteAuthorizeRequest {
    /// Sent unchanged on every attempt.
    pub idempotency_key: IdempotencyKey,
    /// The processor's payment id.
    pub connector_payment_id: String,
    /// How the payment was created.
    pub capture_method: CaptureMethod,
    /// Parameters the processor put on the return URL or gave the client SDK (e.g. Primer's
    /// `resumeToken`).
    pub redirect_params: BTreeMap<String, String>,
}

impl CompleteAuthorizeRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        validate_id(&self.connector_payment_id)
    }
}

/// A processor id travels in URL paths: reject what could never be one before it gets there.
fn validate_id(id: &str) -> Result<(), ConnectorError> {
    if id.is_empty() || id.len() > 255 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConnectorError::invalid(
            "connector_payment_id",
            "must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(())
}

/// An optional partial amount: absent means "all of it", present must be above zero.
fn validate_partial_amount(amount: Option<MinorUnit>) -> Result<(), ConnectorError> {
    if amount.is_some_and(MinorUnit::is_zero) {
        return Err(ConnectorError::invalid(
            "amount",
            "must be greater than zero",
        ));
    }
    Ok(())
}

fn validate_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ConnectorError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ConnectorError::invalid(
            field,
            format!("must be {min} to {max} characters, got {len}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ConnectorError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment_method::PaymentMethodToken;

    fn m(v: i64) -> MinorUnit {
        MinorUnit::new(v).expect("valid")
    }

    fn increment(current: i64, new_total: i64) -> IncrementalAuthorizationRequest {
        IncrementalAuthorizationRequest {
            idempotency_key: IdempotencyKey::generate(),
            connector_payment_id: "pay_1".into(),
            currency: Currency::USD,
            current_authorized: m(current),
            new_total: m(new_total),
            reason: None,
            card_network: None,
        }
    }

    #[test]
    fn increment_is_new_total_minus_current() {
        assert_eq!(increment(5000, 7500).increment(), Ok(m(2500)));
        for (current, new_total) in [(5000, 5000), (5000, 4000)] {
            let err = increment(current, new_total)
                .validate()
                .expect_err("rejected");
            assert!(
                matches!(
                    err,
                    ConnectorError::InvalidRequest {
                        field: "new_total",
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn payment_details_are_checked_and_named_by_their_path() {
        use crate::details::{Contact, Customer, PostalAddress};
        let token = PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").expect("token"));
        let mut req = AuthorizeRequest::new(m(100), Currency::USD, token, "order-1");
        req.shipping = Some(Contact {
            address: Some(PostalAddress {
                line2: Some("x".repeat(256)),
                ..PostalAddress::default()
            }),
            ..Contact::default()
        });
        let err = req.validate().expect_err("a line of 256 characters");
        assert!(
            matches!(
                err,
                ConnectorError::InvalidRequest {
                    field: "shipping.address.line2",
                    ..
                }
            ),
            "{err:?}"
        );
        req.shipping = None;
        req.customer = Some(Customer {
            id: Some("c".repeat(65)),
            ..Customer::default()
        });
        assert!(matches!(
            req.validate(),
            Err(ConnectorError::InvalidRequest {
                field: "customer.id",
                ..
            })
        ));
        req.customer = Some(Customer {
            name: Some("Ada\nLovelace".into()),
            ..Customer::default()
        });
        assert!(matches!(
            req.validate(),
            Err(ConnectorError::InvalidRequest {
                field: "customer.name",
                ..
            })
        ));
        req.customer = Some(Customer {
            name: Some("Ada Lovelace".into()),
            ..Customer::default()
        });
        assert!(req.validate().is_ok());
    }

    #[test]
    fn incremental_request_implies_estimated() {
        let token = PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").expect("token"));
        let mut req = AuthorizeRequest::new(m(100), Currency::USD, token, "order-1");
        assert_eq!(req.effective_authorization_type(), AuthorizationType::Final);
        req.request_incremental_authorization = true;
        assert_eq!(
            req.effective_authorization_type(),
            AuthorizationType::Estimated
        );
        req.amount = MinorUnit::ZERO;
        assert!(matches!(
            req.validate(),
            Err(ConnectorError::InvalidRequest {
                field: "amount",
                ..
            })
        ));
    }

    #[test]
    fn ids_and_keys_are_checked() {
        let mut capture = CaptureRequest::new("pay/../../x y", Currency::USD, None);
        assert!(capture.validate().is_err());
        capture.connector_payment_id = "pay_1".into();
        assert!(capture.validate().is_ok());
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("a".repeat(256)).is_err());
        assert!(IdempotencyKey::new("key with space").is_err());
        let key = IdempotencyKey::new("abc").expect("valid");
        assert_eq!(key.derive("refund").as_str(), "abc-refund");
        let longest = IdempotencyKey::new("k".repeat(255)).expect("valid");
        let derived = longest.derive("capture");
        assert_ne!(derived, longest, "a derived key must never equal its base");
        assert!(derived.as_str().len() <= 255 && derived.as_str().ends_with("-capture"));
        assert_eq!(derived, longest.derive("capture"), "stable across retries");
        assert!(IdempotencyKey::new(derived.as_str()).is_ok());
        assert_ne!(IdempotencyKey::generate(), IdempotencyKey::generate());
    }
}
