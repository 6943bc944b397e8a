//! Errors: operations that got no processor verdict. Declines are not errors; see
//! [`DeclineDetails`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::capabilities::Flow;

/// What a processor said when it rejected a request, kept verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorMessage {
    /// The HTTP status of the processor's answer, when there was one.
    pub http_status: Option<u16>,
    /// The processor's error codes, most specific first (Checkout `error_codes`, Stripe
    /// `code` then `decline_code`, Primer `errorId`).
    pub codes: Vec<String>,
    /// The processor's human-readable message.
    pub message: Option<String>,
    /// The processor's request or diagnostics id, for its support team.
    pub request_id: Option<String>,
}

impl ProcessorMessage {
    /// The first (most specific) code.
    pub fn code(&self) -> Option<&str> {
        self.codes.first().map(String::as_str)
    }

    /// A message with only an HTTP status.
    pub fn status(http_status: u16) -> Self {
        ProcessorMessage {
            http_status: Some(http_status),
            ..Default::default()
        }
    }
}

impl std::fmt::Display for ProcessorMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(status) = self.http_status {
            write!(f, "HTTP {status}")?;
        }
        if !self.codes.is_empty() {
            write!(f, " [{}]", self.codes.join(", "))?;
        }
        if let Some(message) = &self.message {
            write!(f, " {message}")?;
        }
        Ok(())
    }
}

/// Why the processor rejected a well-formed request without deciding on the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The processor's validation failed (HTTP 400/422).
    Validation,
    /// The operation is not allowed in the payment's current state (e.g. capture after void,
    /// increment after capture).
    InvalidState,
    /// The payment or refund does not exist at the processor.
    NotFound,
    /// The account may not perform this operation.
    Forbidden,
}

/// An operation that did not get a processor verdict. Every variant carries what a caller needs
/// to decide what to do next; [`ConnectorError::outcome_unknown`] says whether money may have
/// moved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The connector does not implement this flow (or not for this payment method); nothing was
    /// sent.
    #[error("{connector} does not support {flow}: {reason}")]
    NotSupported {
        /// The connector's id.
        connector: &'static str,
        /// The flow asked for.
        flow: Flow,
        /// Why, e.g. "extending an authorization needs a Mastercard card".
        reason: String,
    },
    /// The request is invalid and was caught before sending.
    #[error("invalid request: {field}: {message}")]
    InvalidRequest {
        /// The offending field, e.g. `new_total`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The processor refused our credentials (HTTP 401).
    #[error("authentication failed: {0}")]
    Authentication(ProcessorMessage),
    /// The processor rejected the request (validation, state, not found, forbidden).
    #[error("processor rejected the request ({kind:?}): {detail}")]
    Rejected {
        /// The kind of rejection.
        kind: RejectionKind,
        /// The processor's codes and message.
        detail: ProcessorMessage,
    },
    /// The idempotency key was already used: with other parameters (Stripe), while the first
    /// request is still running (Stripe 409, Checkout 429), or at all (Primer 409). Retrying with
    /// the same key will not help; sync the payment instead.
    #[error("idempotency key conflict: {detail}")]
    IdempotencyConflict {
        /// The processor's codes and message.
        detail: ProcessorMessage,
    },
    /// Too many requests (HTTP 429) and retries were exhausted.
    #[error("rate limited by the processor (retry after {retry_after:?}): {detail}")]
    RateLimited {
        /// How long the processor asked us to wait.
        retry_after: Option<Duration>,
        /// The processor's codes and message.
        detail: ProcessorMessage,
    },
    /// The processor failed (HTTP 5xx) and retries were exhausted or not allowed.
    #[error("processor error: {detail}")]
    Processor {
        /// The processor's codes and message.
        detail: ProcessorMessage,
        /// `true` when the request may have been processed anyway.
        outcome_unknown: bool,
    },
    /// The connection failed.
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// `false` only when the request provably never left (connection refused).
        outcome_unknown: bool,
    },
    /// No answer within the request timeout.
    #[error("processor did not answer within {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// `true` for a mutating call: it may have reached the processor.
        outcome_unknown: bool,
    },
    /// The processor answered something we could not understand.
    #[error("unparsable processor response (HTTP {http_status}): {message}")]
    InvalidResponse {
        /// The HTTP status of the answer.
        http_status: u16,
        /// What could not be parsed.
        message: String,
        /// `true` when the processor may have acted: a mutating call answered 2xx.
        outcome_unknown: bool,
    },
}

impl ConnectorError {
    /// `NotSupported` for `flow`, with a reason.
    pub fn not_supported(connector: &'static str, flow: Flow, reason: impl Into<String>) -> Self {
        ConnectorError::NotSupported {
            connector,
            flow,
            reason: reason.into(),
        }
    }

    /// `InvalidRequest` naming a field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ConnectorError::InvalidRequest {
            field,
            message: message.into(),
        }
    }

    /// `InvalidResponse` for a body that did not parse. A 2xx counts as an unknown outcome
    /// (the processor accepted something); [`HttpConnector`](crate::HttpConnector) clears that
    /// for reads, which change nothing.
    pub fn invalid_response(http_status: u16, message: impl std::fmt::Display) -> Self {
        ConnectorError::InvalidResponse {
            http_status,
            message: message.to_string(),
            outcome_unknown: (200..300).contains(&http_status),
        }
    }

    /// The same error, with "money may have moved" cleared: for answers to reads.
    pub fn for_read(self) -> Self {
        match self {
            ConnectorError::Processor { detail, .. } => ConnectorError::Processor {
                detail,
                outcome_unknown: false,
            },
            ConnectorError::InvalidResponse {
                http_status,
                message,
                ..
            } => ConnectorError::InvalidResponse {
                http_status,
                message,
                outcome_unknown: false,
            },
            ConnectorError::Transport { message, .. } => ConnectorError::Transport {
                message,
                outcome_unknown: false,
            },
            ConnectorError::Timeout { after, .. } => ConnectorError::Timeout {
                after,
                outcome_unknown: false,
            },
            other => other,
        }
    }

    /// The variant's name in snake case (`timeout`, `rejected`, …): a label for metrics and
    /// logs that carries nothing of the message.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ConnectorError::NotSupported { .. } => "not_supported",
            ConnectorError::InvalidRequest { .. } => "invalid_request",
            ConnectorError::Authentication(_) => "authentication",
            ConnectorError::Rejected { .. } => "rejected",
            ConnectorError::IdempotencyConflict { .. } => "idempotency_conflict",
            ConnectorError::RateLimited { .. } => "rate_limited",
            ConnectorError::Processor { .. } => "processor",
            ConnectorError::Transport { .. } => "transport",
            ConnectorError::Timeout { .. } => "timeout",
            ConnectorError::InvalidResponse { .. } => "invalid_response",
        }
    }

    /// `true` when the operation may have taken effect at the processor although no verdict
    /// arrived. The caller must reconcile with a sync, or retry with the *same* idempotency key.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ConnectorError::Processor {
                outcome_unknown, ..
            }
            | ConnectorError::Transport {
                outcome_unknown, ..
            }
            | ConnectorError::Timeout {
                outcome_unknown, ..
            }
            | ConnectorError::InvalidResponse {
                outcome_unknown, ..
            } => *outcome_unknown,
            _ => false,
        }
    }

    /// The processor's HTTP status, when it answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ConnectorError::Authentication(detail)
            | ConnectorError::Rejected { detail, .. }
            | ConnectorError::IdempotencyConflict { detail }
            | ConnectorError::RateLimited { detail, .. }
            | ConnectorError::Processor { detail, .. } => detail.http_status,
            ConnectorError::InvalidResponse { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    /// The processor's codes and message, when it gave any.
    pub fn processor_message(&self) -> Option<&ProcessorMessage> {
        match self {
            ConnectorError::Authentication(detail)
            | ConnectorError::Rejected { detail, .. }
            | ConnectorError::IdempotencyConflict { detail }
            | ConnectorError::RateLimited { detail, .. }
            | ConnectorError::Processor { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// How long the processor asked us to wait, for a rate limit.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ConnectorError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A unified decline reason, so a router can react the same way whatever the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    /// Not enough funds or credit.
    InsufficientFunds,
    /// "Do not honour" and other unexplained issuer declines.
    DoNotHonor,
    /// The card has expired.
    ExpiredCard,
    /// The CVC did not match.
    IncorrectCvc,
    /// The card number is wrong or the card does not exist.
    InvalidCard,
    /// Lost or stolen card; never retry.
    LostOrStolen,
    /// Declined as suspected fraud.
    Fraud,
    /// Blocked by a risk rule (processor-side screening, AVS, CVV policy).
    RiskRejected,
    /// Strong customer authentication (3DS) is required.
    AuthenticationRequired,
    /// The card may not be used for this kind of transaction.
    TransactionNotAllowed,
    /// Amount or frequency limit exceeded.
    LimitExceeded,
    /// A transient issuer or network problem; retrying later may work.
    TryAgainLater,
    /// The processor or issuer failed to process.
    ProcessingError,
    /// A decline with no more specific reason.
    Generic,
}

impl DeclineCode {
    /// `true` for declines that may succeed on a later retry (soft declines).
    pub fn is_soft(self) -> bool {
        matches!(
            self,
            DeclineCode::InsufficientFunds
                | DeclineCode::DoNotHonor
                | DeclineCode::AuthenticationRequired
                | DeclineCode::LimitExceeded
                | DeclineCode::TryAgainLater
                | DeclineCode::ProcessingError
        )
    }

    /// A short message for the public API's `unified_message`.
    pub fn message(self) -> &'static str {
        match self {
            DeclineCode::InsufficientFunds => "Insufficient funds",
            DeclineCode::DoNotHonor => "Declined by the issuer",
            DeclineCode::ExpiredCard => "The card has expired",
            DeclineCode::IncorrectCvc => "The security code is incorrect",
            DeclineCode::InvalidCard => "The card number is invalid",
            DeclineCode::LostOrStolen => "The card was reported lost or stolen",
            DeclineCode::Fraud => "Declined as suspected fraud",
            DeclineCode::RiskRejected => "Blocked by a risk rule",
            DeclineCode::AuthenticationRequired => "Customer authentication is required",
            DeclineCode::TransactionNotAllowed => "The card does not allow this transaction",
            DeclineCode::LimitExceeded => "A card limit was exceeded",
            DeclineCode::TryAgainLater => "Temporary issuer problem; try again later",
            DeclineCode::ProcessingError => "The payment could not be processed",
            DeclineCode::Generic => "The payment was declined",
        }
    }
}

/// Why a processor declined: its own words, the card network's codes, and our unified code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclineDetails {
    /// The processor's code (Checkout `response_code`, Stripe `decline_code` or `code`, Primer
    /// `statusReason.code`).
    pub code: Option<String>,
    /// The processor's message.
    pub message: Option<String>,
    /// The card network's decline code, when the processor passes it on.
    pub network_decline_code: Option<String>,
    /// The network's or processor's advice code (e.g. "do not retry").
    pub advice_code: Option<String>,
    /// The unified reason.
    pub unified: DeclineCode,
}

impl DeclineDetails {
    /// Details with a code, a message and a unified reason, and no network codes.
    pub fn new(code: Option<String>, message: Option<String>, unified: DeclineCode) -> Self {
        DeclineDetails {
            code,
            message,
            network_decline_code: None,
            advice_code: None,
            unified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_unknown_only_where_money_may_have_moved() {
        let timeout = ConnectorError::Timeout {
            after: Duration::from_secs(1),
            outcome_unknown: true,
        };
        assert!(timeout.outcome_unknown());
        let refused = ConnectorError::Transport {
            message: "refused".into(),
            outcome_unknown: false,
        };
        assert!(!refused.outcome_unknown());
        assert!(ConnectorError::invalid_response(201, "bad json").outcome_unknown());
        assert!(!ConnectorError::invalid_response(404, "bad json").outcome_unknown());
        let rejected = ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            detail: ProcessorMessage {
                http_status: Some(403),
                codes: vec!["capture_not_allowed".into()],
                message: None,
                request_id: None,
            },
        };
        assert!(!rejected.outcome_unknown());
        assert_eq!(rejected.http_status(), Some(403));
        assert_eq!(
            rejected
                .processor_message()
                .and_then(ProcessorMessage::code),
            Some("capture_not_allowed")
        );
        assert!(rejected.to_string().contains("capture_not_allowed"));
    }

    #[test]
    fn a_failed_read_never_leaves_the_outcome_unknown() {
        let unknown = [
            ConnectorError::invalid_response(200, "bad json"),
            ConnectorError::Processor {
                detail: ProcessorMessage::status(502),
                outcome_unknown: true,
            },
            ConnectorError::Timeout {
                after: Duration::from_secs(1),
                outcome_unknown: true,
            },
        ];
        for error in unknown {
            assert!(error.outcome_unknown());
            let read = error.for_read();
            assert!(!read.outcome_unknown(), "{read:?}");
        }
    }
}
