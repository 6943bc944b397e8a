//! The objects the simulator keeps (PaymentIntents, Charges, Refunds, PaymentMethods), the
//! validated inputs of its operations, and the events and outcomes they produce. Plain data:
//! the rules live in [`super::state`], [`super::payment_methods`] and [`super::refunds`].

use paybridge_core::payment_method::CardNetwork;
use serde_json::{Map, Value};

use super::cards::{Decline, Profile};

/// Largest amount Stripe accepts (eight digits).
pub(crate) const MAX_AMOUNT: i64 = 99_999_999;
/// Incremental authorization attempts per PaymentIntent, declines included (reference §2.3).
pub(crate) const MAX_INCREMENT_ATTEMPTS: u32 = 10;
/// Overcapture allows capturing up to this many percent above the authorized amount \[U\].
const OVERCAPTURE_PERCENT: i64 = 20;

/// A PaymentIntent's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::RequiresPaymentMethod => "requires_payment_method",
            Status::RequiresConfirmation => "requires_confirmation",
            Status::RequiresAction => "requires_action",
            Status::RequiresCapture => "requires_capture",
            Status::Succeeded => "succeeded",
            Status::Canceled => "canceled",
        }
    }
}

/// A PaymentIntent's `capture_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaptureMethod {
    Automatic,
    /// Captured as for `Automatic` \[U: Stripe settles the funds asynchronously; the
    /// PaymentIntent succeeds at once either way\].
    AutomaticAsync,
    Manual,
}

impl CaptureMethod {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "automatic" => Some(CaptureMethod::Automatic),
            "automatic_async" => Some(CaptureMethod::AutomaticAsync),
            "manual" => Some(CaptureMethod::Manual),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CaptureMethod::Automatic => "automatic",
            CaptureMethod::AutomaticAsync => "automatic_async",
            CaptureMethod::Manual => "manual",
        }
    }
}

/// A refund's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefundStatus {
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
}

/// A card as the simulator keeps it: never the full number, never the CVC.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) network: Option<CardNetwork>,
    pub(crate) last4: String,
    pub(crate) exp_month: i64,
    pub(crate) exp_year: i64,
    pub(crate) fingerprint: String,
    /// `checks.cvc_check`: `pass`, `fail`, `unchecked`, or none when no CVC was given.
    pub(crate) cvc_check: Option<&'static str>,
    pub(crate) profile: Profile,
}

/// A card PaymentMethod (`pm_…`).
#[derive(Debug, Clone)]
pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) card: Card,
    /// `billing_details` as given (`address`, `email`, `name`, `phone`).
    pub(crate) billing_details: Map<String, Value>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) allow_redisplay: String,
    /// `card.wallet.type` of a PaymentMethod made from a wallet's token (`apple_pay`).
    pub(crate) wallet: Option<&'static str>,
}

/// A card token (`tok_…`) the simulator issued: used at most once.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) id: String,
    /// The id of its card object (`card_…`).
    pub(crate) card_id: String,
    pub(crate) created: i64,
    pub(crate) card: Card,
    /// `card.tokenization_method`: `apple_pay` for an Apple Pay token, none for card data.
    pub(crate) tokenization_method: Option<&'static str>,
    /// `card[name]` and `card[address_…]` as given.
    pub(crate) holder: Map<String, Value>,
    pub(crate) used: bool,
}

/// `POST /v1/tokens`: what the token is made of, not yet checked.
#[derive(Debug, Clone)]
pub(crate) enum NewToken {
    /// `pk_token` (Apple Pay's `paymentData` JSON text).
    ApplePay(String),
    /// `card[number|exp_month|exp_year|cvc]`.
    Card(CardData),
}

/// `POST /v1/payment_methods`: raw card data or a card token (`card[token]`).
#[derive(Debug, Clone)]
pub(crate) enum NewPaymentMethod {
    Card(CardData),
    Token {
        token: String,
        billing_details: Map<String, Value>,
        metadata: Map<String, Value>,
        allow_redisplay: Option<String>,
    },
}

/// Raw card data from `payment_method_data[card]`, not yet validated.
#[derive(Debug, Clone)]
pub(crate) struct CardData {
    pub(crate) number: String,
    pub(crate) exp_month: i64,
    pub(crate) exp_year: i64,
    pub(crate) cvc: Option<String>,
    pub(crate) billing_details: Map<String, Value>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) allow_redisplay: Option<String>,
}

/// Where a confirmation's PaymentMethod comes from.
#[derive(Debug, Clone)]
pub(crate) enum PaymentMethodSource {
    /// `payment_method=pm_…`: a `pm_card_…` test PaymentMethod or one created earlier.
    Id(String),
    /// `payment_method_data[...]`.
    Data(CardData),
}

/// IC+ card features of an authorization, decided when it is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Features {
    pub(crate) extended: bool,
    pub(crate) incremental: bool,
    pub(crate) multicapture: bool,
    pub(crate) overcapture: bool,
}

/// A Charge (`ch_…`): one authorization attempt of a PaymentIntent.
#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) payment_intent: String,
    pub(crate) payment_method: String,
    pub(crate) card: Card,
    pub(crate) billing_details: Map<String, Value>,
    pub(crate) currency: String,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
    /// The PaymentIntent's `receipt_email` and `shipping` when the charge was made.
    pub(crate) receipt_email: Option<String>,
    pub(crate) shipping: Option<Map<String, Value>>,
    /// The amount authorized (raised by increments).
    pub(crate) amount: i64,
    pub(crate) amount_captured: i64,
    /// The uncaptured amount released by a final partial capture or a cancel; Stripe reports
    /// it in `amount_refunded` \[U\].
    pub(crate) released: i64,
    /// The amount of refunds not failed.
    pub(crate) refunded: i64,
    pub(crate) captured: bool,
    /// Set on a declined charge (`status: failed`).
    pub(crate) decline: Option<Decline>,
    pub(crate) capture_before: Option<i64>,
    pub(crate) features: Features,
    /// `payment_method_details.card.three_d_secure`: how the customer was authenticated before
    /// authorization (on the simulator's 3DS page, or by an imported result).
    pub(crate) three_d_secure: Option<ChargeThreeDs>,
}

/// A Charge's `payment_method_details.card.three_d_secure` (`three_d_secure_details_charge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChargeThreeDs {
    pub(crate) authentication_flow: Option<&'static str>,
    pub(crate) electronic_commerce_indicator: Option<String>,
    pub(crate) result: &'static str,
    pub(crate) transaction_id: String,
    pub(crate) version: String,
}

impl ChargeThreeDs {
    /// The simulator's own 3DS page, completed: a challenge, 3DS 2.2.0, ECI 05.
    pub(crate) fn challenged_here() -> Self {
        ChargeThreeDs {
            authentication_flow: Some("challenge"),
            electronic_commerce_indicator: Some("05".into()),
            result: "authenticated",
            transaction_id: uuid::Uuid::new_v4().to_string(),
            version: "2.2.0".into(),
        }
    }

    /// An imported result (`payment_method_options[card][three_d_secure]`, as checked), with
    /// `result` and `authentication_flow` read from its `ares_trans_status` \[U: how Stripe
    /// reports an imported result on the Charge\]: `Y` authenticated and `A`
    /// attempt_acknowledged, both frictionless; `C` a challenge, taken as authenticated (the
    /// cryptogram proves it); none given: authenticated, the flow unknown; `N` and `R` failed,
    /// `U` processing_error, `I` exempted (no flow).
    pub(crate) fn imported(result: &Map<String, Value>) -> Self {
        let text = |name: &str| result.get(name).and_then(Value::as_str).map(str::to_owned);
        let (outcome, flow) = match text("ares_trans_status").as_deref() {
            Some("Y") => ("authenticated", Some("frictionless")),
            Some("A") => ("attempt_acknowledged", Some("frictionless")),
            Some("C") => ("authenticated", Some("challenge")),
            None => ("authenticated", None),
            Some("N" | "R") => ("failed", None),
            Some("I") => ("exempted", None),
            Some(_) => ("processing_error", None),
        };
        ChargeThreeDs {
            authentication_flow: flow,
            electronic_commerce_indicator: text("electronic_commerce_indicator"),
            result: outcome,
            transaction_id: text("transaction_id").unwrap_or_default(),
            version: text("version").unwrap_or_default(),
        }
    }

    /// Whether the result lets the payment go on as authenticated (no 3DS of Stripe's own).
    pub(crate) fn authenticates(&self) -> bool {
        matches!(self.result, "authenticated" | "attempt_acknowledged")
    }
}

impl Charge {
    /// `amount_refunded`: refunds plus released uncaptured amounts.
    pub(crate) fn amount_refunded(&self) -> i64 {
        self.released + self.refunded
    }

    /// What refunds may still take.
    pub(crate) fn refundable(&self) -> i64 {
        self.amount_captured - self.refunded
    }
}

/// A Refund (`re_…`).
#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) charge: String,
    pub(crate) payment_intent: String,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) instructions_email: Option<String>,
    pub(crate) status: RefundStatus,
    pub(crate) failure_reason: Option<&'static str>,
}

/// An error a payment attempt left on its PaymentIntent (`last_payment_error`), also the
/// body of the 402 answer.
#[derive(Debug, Clone)]
pub(crate) struct PaymentError {
    pub(crate) decline: Decline,
    pub(crate) charge: Option<String>,
    pub(crate) payment_method: Option<String>,
}

/// A PaymentIntent (`pi_…`).
#[derive(Debug, Clone)]
pub(crate) struct Intent {
    pub(crate) id: String,
    pub(crate) client_secret: String,
    pub(crate) created: i64,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) capture_method: CaptureMethod,
    pub(crate) confirmation_method: String,
    pub(crate) status: Status,
    pub(crate) amount_capturable: i64,
    pub(crate) amount_received: i64,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
    pub(crate) receipt_email: Option<String>,
    /// `shipping` as given (`name`, `address`, and `carrier`, `phone`, `tracking_number` when
    /// given).
    pub(crate) shipping: Option<Map<String, Value>>,
    pub(crate) setup_future_usage: Option<String>,
    pub(crate) payment_method: Option<String>,
    pub(crate) payment_method_types: Vec<String>,
    /// `automatic_payment_methods`: `(enabled, allow_redirects)`.
    pub(crate) automatic_payment_methods: Option<(bool, String)>,
    /// `payment_method_options[card]` as requested (the options Stripe echoes).
    pub(crate) card_options: Map<String, Value>,
    pub(crate) return_url: Option<String>,
    pub(crate) last_payment_error: Option<PaymentError>,
    pub(crate) cancellation_reason: Option<String>,
    pub(crate) canceled_at: Option<i64>,
    pub(crate) latest_charge: Option<String>,
    pub(crate) increment_attempts: u32,
    /// Test hook: the next increment is declined.
    pub(crate) decline_next_increment: bool,
    /// The imported 3DS result of the last confirmation that had one, as given (the
    /// cryptogram included): a simulator's record for tests, answered by
    /// `GET /sim/stripe/payment_intents/{id}/three_d_secure`; the document's PaymentIntent has
    /// no field for it.
    pub(crate) imported_three_d_secure: Option<Map<String, Value>>,
}

impl Intent {
    /// A card option as requested, e.g. `request_incremental_authorization`.
    pub(crate) fn card_option(&self, name: &str) -> Option<&str> {
        self.card_options.get(name).and_then(Value::as_str)
    }

    pub(crate) fn requested(&self, feature: &str) -> bool {
        self.card_option(feature) == Some("if_available")
    }

    /// Manual capture, by `capture_method` or `payment_method_options[card][capture_method]`.
    pub(crate) fn is_manual(&self) -> bool {
        self.capture_method == CaptureMethod::Manual
            || self.card_option("capture_method") == Some("manual")
    }
}

/// What a validated create request asks for.
#[derive(Debug, Clone)]
pub(crate) struct NewIntent {
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) capture_method: CaptureMethod,
    pub(crate) confirmation_method: String,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
    pub(crate) automatic_payment_methods: Option<(bool, String)>,
    pub(crate) payment_method_types: Vec<String>,
    /// Set when `confirm=true`.
    pub(crate) confirm: bool,
    pub(crate) confirmation: Confirmation,
}

/// The confirmation parameters (of create with `confirm=true`, or of confirm).
#[derive(Debug, Clone, Default)]
pub(crate) struct Confirmation {
    pub(crate) payment_method: Option<PaymentMethodSource>,
    pub(crate) capture_method: Option<CaptureMethod>,
    pub(crate) card_options: Option<Map<String, Value>>,
    pub(crate) payment_method_types: Option<Vec<String>>,
    pub(crate) return_url: Option<String>,
    pub(crate) off_session: bool,
    pub(crate) error_on_requires_action: bool,
    pub(crate) receipt_email: Option<String>,
    pub(crate) shipping: Option<Map<String, Value>>,
    pub(crate) setup_future_usage: Option<String>,
    /// `payment_method_options[card][three_d_secure]`: an imported 3DS result, as given.
    pub(crate) three_d_secure: Option<Map<String, Value>>,
}

/// A validated capture.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture {
    pub(crate) amount: Option<i64>,
    pub(crate) final_capture: bool,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
}

/// A validated increment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Increment {
    pub(crate) amount: i64,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) statement_descriptor: Option<String>,
}

/// A validated update.
#[derive(Debug, Clone, Default)]
pub(crate) struct Update {
    pub(crate) amount: Option<i64>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) receipt_email: Option<String>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
}

/// What a refund is made against.
#[derive(Debug, Clone)]
pub(crate) enum RefundTarget {
    PaymentIntent(String),
    Charge(String),
}

/// A validated refund request.
#[derive(Debug, Clone)]
pub(crate) struct NewRefund {
    pub(crate) target: RefundTarget,
    /// Also given: the PaymentIntent the charge must belong to.
    pub(crate) payment_intent: Option<String>,
    pub(crate) amount: Option<i64>,
    pub(crate) currency: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) instructions_email: Option<String>,
}

/// The object an event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Object {
    Intent(String),
    Charge(String),
    Refund(String),
}

/// A state change to announce with an event of type `kind`.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) kind: &'static str,
    pub(crate) object: Object,
    /// `data.previous_attributes`, for `*.updated` events.
    pub(crate) previous: Option<Value>,
}

impl Event {
    pub(crate) fn intent(kind: &'static str, intent: &Intent) -> Self {
        Event {
            kind,
            object: Object::Intent(intent.id.clone()),
            previous: None,
        }
    }

    pub(crate) fn charge(kind: &'static str, charge: &str) -> Self {
        Event {
            kind,
            object: Object::Charge(charge.to_owned()),
            previous: None,
        }
    }

    pub(crate) fn refund(kind: &'static str, refund: &str, previous: Option<Value>) -> Self {
        Event {
            kind,
            object: Object::Refund(refund.to_owned()),
            previous,
        }
    }
}

/// The result of an operation that may end in a decline: its events, and the decline to answer
/// 402 with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) events: Vec<Event>,
    pub(crate) decline: Option<PaymentError>,
}

/// Applies a metadata update: an empty hash clears every key; an empty value removes its key.
pub(crate) fn merge_metadata(target: &mut Map<String, Value>, update: &Map<String, Value>) {
    if update.is_empty() {
        target.clear();
    }
    for (key, value) in update {
        if value.as_str().is_some_and(str::is_empty) {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// Metadata given at creation, without the empty (unsetting) values.
pub(crate) fn initial_metadata(given: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut metadata = Map::new();
    if let Some(given) = given {
        for (key, value) in given {
            if !value.as_str().is_some_and(str::is_empty) {
                metadata.insert(key.clone(), value.clone());
            }
        }
    }
    metadata
}

/// Most an overcapture-enabled authorization of `amount` can capture.
pub(crate) fn overcapture_limit(amount: i64) -> i64 {
    amount + amount * OVERCAPTURE_PERCENT / 100
}

/// An amount as Stripe's messages show it: `$10.00`, `¥500`, `12.345 kwd`.
pub(crate) fn display_amount(amount: i64, currency: &str) -> String {
    let exponent = currency
        .parse::<paybridge_core::money::Currency>()
        .map_or(2, |c| u32::from(c.exponent()));
    let unit = 10_i64.pow(exponent);
    let major = amount / unit;
    let minor = (amount % unit).abs();
    let number = if exponent == 0 {
        major.to_string()
    } else {
        format!("{major}.{minor:0width$}", width = exponent as usize)
    };
    match currency {
        "usd" | "cad" | "aud" | "nzd" | "sgd" | "hkd" => format!("${number}"),
        "eur" => format!("€{number}"),
        "gbp" => format!("£{number}"),
        "jpy" => format!("¥{number}"),
        other => format!("{number} {other}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn display_amounts_follow_the_currency_exponent() {
        assert_eq!(super::display_amount(1050, "usd"), "$10.50");
        assert_eq!(super::display_amount(500, "jpy"), "¥500");
        assert_eq!(super::display_amount(12345, "kwd"), "12.345 kwd");
    }
}
