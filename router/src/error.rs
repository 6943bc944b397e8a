//! The API's error answer: an HTTP status and `{"error": {"type", "code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use paybridge_core::{ConnectorError, RejectionKind};
use serde::Serialize;

/// The family of an error, the `type` of the JSON answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is malformed or a value is out of range (400).
    InvalidRequest,
    /// No or an unknown `api-key` (401).
    Authentication,
    /// No such payment or refund for this merchant (404).
    NotFound,
    /// The operation is not allowed in the payment's current state (409).
    InvalidState,
    /// An `Idempotency-Key` was reused with another request, or is still running (409).
    Idempotency,
    /// The connector cannot do this (422).
    NotSupported,
    /// The processor failed, refused our credentials or could not be reached (502, 503, 504).
    Connector,
    /// A fault of the router itself (500).
    Internal,
    /// The router has all the requests it takes at once (503); retry after `Retry-After`.
    Overloaded,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {kind:?} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The family.
    pub kind: ErrorType,
    /// A stable machine-readable code, e.g. `amount_exceeds_capturable`.
    pub code: String,
    /// What went wrong, in words that name the problem.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: ErrorType, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// 400: the request is malformed or a value is wrong.
    pub fn invalid(code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            code,
            message,
        )
    }

    /// 401: missing or unknown api key.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::Authentication,
            "invalid_api_key",
            message,
        )
    }

    /// 404: `what` (e.g. "payment pay_…") does not exist for this merchant.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            "resource_not_found",
            format!("{what} was not found"),
        )
    }

    /// 409: not allowed in the current state.
    pub fn invalid_state(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorType::InvalidState, code, message)
    }

    /// 409: idempotency key misuse.
    pub fn idempotency(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorType::Idempotency, code, message)
    }

    /// 422: the connector cannot do this.
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::NotSupported,
            "not_supported",
            message,
        )
    }

    /// 500: a fault of ours; the message is logged, the client sees a generic one.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Internal,
            "internal_error",
            "the router failed to process the request; it was logged",
        )
    }

    /// A connector's refusal, before sending, of a payment the API accepts: a value over its
    /// processor's own limit, a currency or card it does not take. 422: the request is valid,
    /// this connector cannot carry it.
    pub fn refused_by_connector(connector: &str, err: &ConnectorError) -> Self {
        match err {
            ConnectorError::InvalidRequest { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorType::InvalidRequest,
                "connector_refused_request",
                format!("connector {connector} cannot take this payment: {err}"),
            ),
            other => Self::from_connector(other),
        }
    }

    /// A connector error for an operation that got no processor verdict and whose outcome is
    /// known (nothing happened). Unknown outcomes are not errors of the API: the payment is kept
    /// in `processing` for a sync to resolve.
    pub fn from_connector(err: &ConnectorError) -> Self {
        use ConnectorError as E;
        let message = err.to_string();
        match err {
            E::NotSupported { .. } => Self::not_supported(message),
            E::InvalidRequest { .. } => Self::invalid("invalid_request", message),
            E::Rejected { kind, .. } => match kind {
                RejectionKind::InvalidState => {
                    Self::invalid_state("processor_invalid_state", message)
                }
                RejectionKind::Validation => Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorType::InvalidRequest,
                    "processor_validation_failed",
                    message,
                ),
                RejectionKind::NotFound => Self::connector(
                    StatusCode::BAD_GATEWAY,
                    "processor_resource_not_found",
                    message,
                ),
                RejectionKind::Forbidden => {
                    Self::connector(StatusCode::BAD_GATEWAY, "processor_forbidden", message)
                }
            },
            E::Authentication(_) => Self::connector(
                StatusCode::BAD_GATEWAY,
                "processor_authentication_failed",
                message,
            ),
            E::IdempotencyConflict { .. } => {
                Self::idempotency("processor_idempotency_conflict", message)
            }
            E::RateLimited { .. } => Self::connector(
                StatusCode::SERVICE_UNAVAILABLE,
                "processor_rate_limited",
                message,
            ),
            E::Processor { .. } => {
                Self::connector(StatusCode::BAD_GATEWAY, "processor_error", message)
            }
            E::Transport { .. } => {
                Self::connector(StatusCode::BAD_GATEWAY, "processor_unreachable", message)
            }
            E::Timeout { .. } => {
                Self::connector(StatusCode::GATEWAY_TIMEOUT, "processor_timeout", message)
            }
            E::InvalidResponse { .. } => Self::connector(
                StatusCode::BAD_GATEWAY,
                "processor_invalid_response",
                message,
            ),
        }
    }

    fn connector(status: StatusCode, code: &str, message: String) -> Self {
        Self::new(status, ErrorType::Connector, code, message)
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": { "type": self.kind, "code": self.code, "message": self.message }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<crate::domain::Refusal> for ApiError {
    fn from(refusal: crate::domain::Refusal) -> Self {
        use crate::domain::RefusalKind;
        let message = refusal.to_string();
        match refusal.kind() {
            RefusalKind::Unsupported => ApiError::not_supported(message),
            RefusalKind::Amount => ApiError::invalid(refusal.code(), message),
            RefusalKind::State => ApiError::invalid_state(refusal.code(), message),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        ApiError::internal(format_args!("store: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::{Flow, ProcessorMessage};

    #[test]
    fn connector_errors_map_to_statuses_that_name_the_problem() {
        let state = ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            detail: ProcessorMessage::status(409),
        };
        assert_eq!(
            ApiError::from_connector(&state).status,
            StatusCode::CONFLICT
        );
        let unsupported = ConnectorError::not_supported("toy", Flow::Void, "no voids");
        let err = ApiError::from_connector(&unsupported);
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("no voids"), "{}", err.message);
        let body = err.body();
        assert_eq!(body["error"]["type"], "not_supported");
        assert_eq!(body["error"]["code"], "not_supported");
    }
}
