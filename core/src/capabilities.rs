//! Capabilities as data: what a connector supports per flow, and under which conditions.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::details::PaymentDetail;
use crate::payment_method::CardNetwork;
use crate::wallet::Wallet;

/// One unified flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Create and confirm a payment (authorize, optionally capture).
    Authorize,
    /// Raise the authorized amount to a new total.
    IncrementalAuthorization,
    /// Extend the validity of an existing authorization.
    ExtendAuthorization,
    /// Capture authorized funds.
    Capture,
    /// Release an uncaptured authorization.
    Void,
    /// Undo a captured payment by refunding it.
    CancelPostCapture,
    /// Refund captured funds.
    Refund,
    /// Read a payment's state from the processor.
    PaymentSync,
    /// Read a refund's state from the processor.
    RefundSync,
    /// Find the processor's payment by our reference, when the create's answer was lost and
    /// with it the processor's id.
    PaymentLookup,
    /// Find a refund by our reference, when the refund's answer was lost and with it the
    /// processor's id.
    RefundLookup,
    /// Finish an authorization after a customer action (3DS redirect).
    CompleteAuthorize,
    /// Produce wallet session data (Apple Pay, Google Pay).
    SessionToken,
    /// Verify and parse the processor's webhooks.
    Webhooks,
}

impl Flow {
    /// Every flow, in declaration order.
    pub const ALL: [Flow; 14] = [
        Flow::Authorize,
        Flow::IncrementalAuthorization,
        Flow::ExtendAuthorization,
        Flow::Capture,
        Flow::Void,
        Flow::CancelPostCapture,
        Flow::Refund,
        Flow::PaymentSync,
        Flow::RefundSync,
        Flow::PaymentLookup,
        Flow::RefundLookup,
        Flow::CompleteAuthorize,
        Flow::SessionToken,
        Flow::Webhooks,
    ];

    /// The flow's snake_case name, as in logs and the feature matrix.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Authorize => "authorize",
            Flow::IncrementalAuthorization => "incremental_authorization",
            Flow::ExtendAuthorization => "extend_authorization",
            Flow::Capture => "capture",
            Flow::Void => "void",
            Flow::CancelPostCapture => "cancel_post_capture",
            Flow::Refund => "refund",
            Flow::PaymentSync => "payment_sync",
            Flow::RefundSync => "refund_sync",
            Flow::PaymentLookup => "payment_lookup",
            Flow::RefundLookup => "refund_lookup",
            Flow::CompleteAuthorize => "complete_authorize",
            Flow::SessionToken => "session_token",
            Flow::Webhooks => "webhooks",
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A condition attached to a supported flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Condition {
    /// Only for these card networks.
    CardNetworks {
        /// The networks allowed.
        networks: Vec<CardNetwork>,
    },
    /// The authorization must have been made as `Estimated` (or with incremental authorization
    /// requested).
    RequiresEstimatedAuthorization,
    /// The payment must not be captured, fully or partially.
    BeforeAnyCapture,
    /// At most this many attempts per payment, declines included.
    MaxAttempts {
        /// The limit.
        count: u32,
    },
    /// Only requested at authorization time, not on an existing authorization.
    AtAuthorizationOnly,
    /// A processor-issued payment method token is required; raw cards are refused.
    RequiresPaymentMethodToken,
    /// A payment method token must start with one of these prefixes (`pm_`): the kinds of
    /// token the processor issues; others are refused before sending.
    PaymentMethodTokenPrefixes {
        /// The prefixes.
        prefixes: Vec<String>,
    },
    /// These currencies are refused (ISO 4217 codes), e.g. where the processor counts their
    /// amounts in another unit.
    UnsupportedCurrencies {
        /// The codes.
        currencies: Vec<String>,
    },
    /// Amounts in these currencies must be a multiple of `multiple` minor units (a processor
    /// that takes three-decimal currencies only in tens).
    AmountMultipleOf {
        /// The codes it applies to.
        currencies: Vec<String>,
        /// The multiple.
        multiple: u32,
    },
    /// The billing contact (address, phone, e-mail) is sent only with a raw card: a processor's
    /// payment method token carries its own billing details, and the payment takes no others.
    BillingDetailsWithCardsOnly,
    /// Several partial operations may follow one another (captures, refunds).
    Multiple,
    /// The amount may be less than the total.
    Partial,
    /// The processor answers "accepted"; the result arrives by sync or webhook.
    Asynchronous,
    /// Anything else worth knowing, in words.
    Note {
        /// The note.
        text: String,
    },
}

/// Whether one flow is supported, and with which conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSupport {
    /// Supported at all.
    pub supported: bool,
    /// Conditions a request must meet (empty when unsupported).
    pub conditions: Vec<Condition>,
}

/// A connector's published feature matrix.
///
/// ```
/// use paybridge_core::{Capabilities, Condition, Flow};
/// let caps = Capabilities::new("toy")
///     .support(Flow::Authorize, [])
///     .support(Flow::Refund, [Condition::Partial, Condition::Multiple]);
/// assert!(caps.supports(Flow::Refund));
/// assert!(!caps.supports(Flow::Void));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The connector's id.
    pub connector: String,
    /// Every flow, supported or not.
    pub flows: BTreeMap<Flow, FlowSupport>,
    /// The payment details an authorization passes on to the processor; the rest are kept by
    /// the router only.
    #[serde(default)]
    pub forwarded_details: Vec<PaymentDetail>,
    /// What the connector does for each wallet it serves; a wallet not listed is not served.
    #[serde(default)]
    pub wallets: BTreeMap<Wallet, WalletSupport>,
    /// An authorization takes a 3DS result obtained from an external 3DS server
    /// (`AuthorizeRequest::external_authentication`).
    #[serde(default)]
    pub external_authentication: bool,
}

/// What a connector does for one wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSupport {
    /// Session token gives a front end what it needs to open the wallet's sheet.
    pub session_token: bool,
    /// An authorization takes the wallet's payment token (`PaymentMethod::Wallet`).
    pub payments: bool,
    /// The card networks the sheet offers.
    pub networks: Vec<CardNetwork>,
}

impl Capabilities {
    /// A matrix with every flow unsupported.
    pub fn new(connector: &str) -> Self {
        let flows = Flow::ALL
            .iter()
            .map(|flow| {
                (
                    *flow,
                    FlowSupport {
                        supported: false,
                        conditions: Vec::new(),
                    },
                )
            })
            .collect();
        Capabilities {
            connector: connector.to_owned(),
            flows,
            forwarded_details: Vec::new(),
            wallets: BTreeMap::new(),
            external_authentication: false,
        }
    }

    /// Declares the payment details an authorization passes on, in [`PaymentDetail::ALL`]'s
    /// order.
    pub fn forwards(mut self, details: impl IntoIterator<Item = PaymentDetail>) -> Self {
        self.forwarded_details.extend(details);
        self.forwarded_details.sort();
        self.forwarded_details.dedup();
        self
    }

    /// Declares what the connector does for `wallet`.
    pub fn wallet(mut self, wallet: Wallet, support: WalletSupport) -> Self {
        self.wallets.insert(wallet, support);
        self
    }

    /// Declares that an authorization takes an external 3DS result.
    pub fn takes_external_authentication(mut self) -> Self {
        self.external_authentication = true;
        self
    }

    /// `true` when an authorization takes `wallet`'s payment tokens.
    pub fn takes_wallet_payments(&self, wallet: Wallet) -> bool {
        self.wallets.get(&wallet).is_some_and(|w| w.payments)
    }

    /// `true` when an authorization passes `detail` on to the processor.
    pub fn forwards_detail(&self, detail: PaymentDetail) -> bool {
        self.forwarded_details.contains(&detail)
    }

    /// Marks `flow` supported with `conditions`.
    pub fn support(mut self, flow: Flow, conditions: impl IntoIterator<Item = Condition>) -> Self {
        self.flows.insert(
            flow,
            FlowSupport {
                supported: true,
                conditions: conditions.into_iter().collect(),
            },
        );
        self
    }

    /// `true` when `flow` is supported.
    pub fn supports(&self, flow: Flow) -> bool {
        self.flows.get(&flow).is_some_and(|f| f.supported)
    }

    /// The conditions of `flow` (empty when unsupported).
    pub fn conditions(&self, flow: Flow) -> &[Condition] {
        self.flows
            .get(&flow)
            .map(|f| f.conditions.as_slice())
            .unwrap_or_default()
    }

    /// The flows that are supported.
    pub fn supported_flows(&self) -> impl Iterator<Item = Flow> + '_ {
        self.flows
            .iter()
            .filter(|(_, s)| s.supported)
            .map(|(flow, _)| *flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_a_readable_matrix() {
        let caps = Capabilities::new("toy").support(
            Flow::IncrementalAuthorization,
            [
                Condition::RequiresEstimatedAuthorization,
                Condition::MaxAttempts { count: 10 },
            ],
        );
        let json = serde_json::to_value(&caps).expect("serialize");
        assert_eq!(
            json["flows"]["incremental_authorization"]["supported"],
            true
        );
        assert_eq!(
            json["flows"]["incremental_authorization"]["conditions"][1],
            serde_json::json!({"type": "max_attempts", "count": 10})
        );
        assert_eq!(json["flows"]["void"]["supported"], false);
        let back: Capabilities = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, caps);
        assert_eq!(
            caps.supported_flows().collect::<Vec<_>>(),
            [Flow::IncrementalAuthorization]
        );
    }
}
