//! The router's payment rules, without SQL or HTTP: the one place where states change.
//!
//! - [`Payment`] and its children, typed ([`payment`]).
//! - [`plan`]: whether a [`Command`] may run now and what it reserves; a [`Refusal`] if not.
//! - [`begin`]: writes what a plan reserves (a pending capture, refund or increment) before the
//!   processor is called, so a crash in between leaves a record a sync can finish.
//! - [`apply`]: what an [`Outcome`] — a processor's answer, a sync, a webhook event — does.
//!
//! ```
//! use paybridge_router::domain::{plan, Command, Refusal};
//! # fn check(payment: &paybridge_router::domain::Payment, caps: &paybridge_core::Capabilities) {
//! match plan(payment, &Command::Void, caps) {
//!     Ok(plan) => println!("allowed: {plan:?}"),
//!     Err(refusal) => println!("refused: {refusal}"),
//! }
//! # }
//! ```

mod apply;
pub mod authentication;
pub mod events;
pub mod payment;
mod plan;
#[cfg(test)]
mod tests;
mod webhook;

pub use apply::{apply, begin, Answer, Lost, Outcome, Started, NOT_FOUND_AT_PROCESSOR};
pub use payment::{
    Attempt, AttemptStatus, AuthenticationType, Capture, CaptureStatus, CardDetails, CardType,
    ErrorDetails, Increment, Payment, PaymentDetails, Refund,
};
pub use plan::{plan, Command, Plan};

use paybridge_core::{CardNetwork, Flow, MinorUnit, PaymentStatus};

use payment::status_name;
use plan::{network_list, status_list};

/// Why an operation may not run now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The connector has no such flow.
    #[error("connector {connector} does not support {flow}")]
    Unsupported {
        /// The connector.
        connector: String,
        /// The flow.
        flow: Flow,
    },
    /// The connector captures once per payment.
    #[error(
        "connector {connector} does not support multiple captures; final_capture must be true"
    )]
    SingleCaptureOnly {
        /// The connector.
        connector: String,
    },
    /// The connector extends authorizations only when asked at creation.
    #[error(
        "connector {connector} extends authorizations only when asked at creation \
         (request_extended_authorization: true)"
    )]
    ExtendOnlyAtCreation {
        /// The connector.
        connector: String,
    },
    /// The connector extends authorizations of some networks only.
    #[error("connector {connector} extends authorizations only for {} cards", network_list(.networks))]
    ExtendCardNetworks {
        /// The connector.
        connector: String,
        /// The networks it extends.
        networks: Vec<CardNetwork>,
    },
    /// The operation needs another status.
    #[error("{} is not allowed when the payment is {}; it needs {}", label(.operation), status_name(*.status), status_list(.allowed))]
    WrongStatus {
        /// The operation (API name).
        operation: &'static str,
        /// The payment's status.
        status: PaymentStatus,
        /// The statuses it needs.
        allowed: &'static [PaymentStatus],
    },
    /// Nothing is left to capture.
    #[error("nothing is left to capture")]
    NothingToCapture,
    /// A void after a capture.
    #[error("the payment has captures; use cancel_post_capture or a refund")]
    HasCaptures,
    /// An increment after a capture.
    #[error("incremental authorization is not allowed after a capture")]
    IncrementAfterCapture,
    /// The payment was not created for increments.
    #[error("the payment was not created with request_incremental_authorization: true")]
    IncrementNotRequested,
    /// The processor said no increments.
    #[error("the processor does not allow incrementing this authorization")]
    IncrementRefusedByProcessor,
    /// An increment is still waiting for its verdict.
    #[error("an incremental authorization is still processing; sync the payment")]
    IncrementProcessing,
    /// The connector's limit of increments is reached.
    #[error("connector {connector} allows at most {limit} incremental authorizations per payment")]
    IncrementLimit {
        /// The connector.
        connector: String,
        /// Its limit.
        limit: u32,
    },
    /// The connector extends estimated authorizations only.
    #[error(
        "connector {connector} extends estimated authorizations only; create the payment with \
         request_extended_authorization: true"
    )]
    ExtendNeedsEstimated {
        /// The connector.
        connector: String,
    },
    /// Cancel post capture after a refund.
    #[error("the payment already has refunds; refund the rest instead")]
    HasRefunds,
    /// Cancel post capture of nothing.
    #[error("nothing was captured")]
    NothingCaptured,
    /// Nothing is left to refund.
    #[error("nothing is left to refund")]
    NothingToRefund,
    /// No processor id to act on.
    #[error("the processor never returned an id for this payment")]
    NoConnectorTransaction,
    /// The processor has not recorded the customer's action as finished.
    #[error(
        "the customer has not finished the authentication yet (the processor still waits for \
         it); send the customer to next_action, then complete again"
    )]
    CustomerActionIncomplete,
    /// The payment was not created for external authentication.
    #[error(
        "the payment was not created for external 3DS authentication (authentication_type: \
         three_ds with request_external_three_ds_authentication: true)"
    )]
    NoExternalAuthentication,
    /// External authentication already ran.
    #[error("the payment's external 3DS authentication has already run")]
    AuthenticationDone,
    /// Complete authorize before the external authentication ran.
    #[error(
        "the payment's external 3DS authentication has not run yet; call \
         POST /payments/{{payment_id}}/3ds/authentication first"
    )]
    AuthenticationNotRun,
    /// A capture above the capturable amount.
    #[error("amount_to_capture {asked} exceeds the capturable amount {capturable}")]
    AmountExceedsCapturable {
        /// Asked for.
        asked: MinorUnit,
        /// Capturable.
        capturable: MinorUnit,
    },
    /// A new total not above the authorized one.
    #[error("amount is the new total and must be greater than the authorized amount {current}; got {asked}")]
    AmountNotAboveAuthorized {
        /// Asked for.
        asked: MinorUnit,
        /// Authorized now.
        current: MinorUnit,
    },
    /// A refund above the refundable amount.
    #[error("amount {asked} exceeds the refundable amount {refundable}")]
    AmountExceedsRefundable {
        /// Asked for.
        asked: MinorUnit,
        /// Refundable.
        refundable: MinorUnit,
    },
}

/// How a refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The connector cannot (422).
    Unsupported,
    /// Not in this state (409).
    State,
    /// An amount out of range (400).
    Amount,
}

impl Refusal {
    /// How it is answered.
    pub fn kind(&self) -> RefusalKind {
        use Refusal as R;
        match self {
            R::Unsupported { .. }
            | R::SingleCaptureOnly { .. }
            | R::ExtendOnlyAtCreation { .. }
            | R::ExtendCardNetworks { .. } => RefusalKind::Unsupported,
            R::AmountExceedsCapturable { .. }
            | R::AmountNotAboveAuthorized { .. }
            | R::AmountExceedsRefundable { .. } => RefusalKind::Amount,
            _ => RefusalKind::State,
        }
    }

    /// The API's error code.
    pub fn code(&self) -> &'static str {
        use Refusal as R;
        match self {
            R::Unsupported { .. }
            | R::SingleCaptureOnly { .. }
            | R::ExtendOnlyAtCreation { .. }
            | R::ExtendCardNetworks { .. } => "not_supported",
            R::AmountExceedsCapturable { .. } => "amount_exceeds_capturable",
            R::AmountNotAboveAuthorized { .. } => "amount_not_above_authorized",
            R::AmountExceedsRefundable { .. } => "amount_exceeds_refundable",
            R::NoConnectorTransaction => "no_connector_transaction",
            R::CustomerActionIncomplete => "customer_action_incomplete",
            R::NoExternalAuthentication => "external_authentication_not_requested",
            R::AuthenticationDone => "authentication_already_run",
            R::AuthenticationNotRun => "authentication_not_run",
            _ => "invalid_payment_state",
        }
    }
}

/// An operation's name in messages.
fn label(operation: &str) -> &str {
    match operation {
        "incremental_authorization" => "incremental authorization",
        "extend_authorization" => "extending the authorization",
        "cancel_post_capture" => "cancel post capture",
        "complete_authorize" => "complete authorize",
        other => other,
    }
}
