//! Unified statuses, named as the public API names them.

use serde::{Deserialize, Serialize};

/// The status of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Fully captured (or a sale completed).
    Succeeded,
    /// Declined or failed; see the decline details.
    Failed,
    /// Voided before capture, or the authorization lapsed.
    Cancelled,
    /// Captured and then undone by a refund on the processor side.
    CancelledPostCapture,
    /// The processor has not decided yet; sync later.
    Processing,
    /// The customer must act (3DS challenge, redirect).
    RequiresCustomerAction,
    /// The merchant must act (e.g. review).
    RequiresMerchantAction,
    /// No usable payment method yet.
    RequiresPaymentMethod,
    /// Created but not confirmed.
    RequiresConfirmation,
    /// Authorized and waiting for capture.
    RequiresCapture,
    /// Part captured; the rest released.
    PartiallyCaptured,
    /// Part captured; the rest may still be captured.
    PartiallyCapturedAndCapturable,
    /// The issuer approved less than asked; the approved part awaits capture.
    PartiallyAuthorizedAndRequiresCapture,
    /// The processor and our records disagree; needs reconciliation.
    Conflicted,
    /// The authorization expired before capture.
    Expired,
}

impl PaymentStatus {
    /// `true` when no further processor-side change is expected without a new operation.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded
                | PaymentStatus::Failed
                | PaymentStatus::Cancelled
                | PaymentStatus::CancelledPostCapture
                | PaymentStatus::PartiallyCaptured
                | PaymentStatus::Expired
        )
    }
}

/// The outcome of one incremental authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    /// The issuer approved the new total.
    Success,
    /// The issuer declined; the previous authorization stands.
    Failure,
    /// Not decided yet.
    Processing,
}

/// The status of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Submitted; the processor has not confirmed it.
    Pending,
    /// Refunded.
    Succeeded,
    /// The processor could not refund.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_match_the_public_api() {
        let cases = [
            (PaymentStatus::Succeeded, "succeeded"),
            (
                PaymentStatus::CancelledPostCapture,
                "cancelled_post_capture",
            ),
            (
                PaymentStatus::RequiresCustomerAction,
                "requires_customer_action",
            ),
            (
                PaymentStatus::PartiallyCapturedAndCapturable,
                "partially_captured_and_capturable",
            ),
            (
                PaymentStatus::PartiallyAuthorizedAndRequiresCapture,
                "partially_authorized_and_requires_capture",
            ),
            (PaymentStatus::Expired, "expired"),
        ];
        for (status, name) in cases {
            assert_eq!(serde_json::to_value(status).ok(), Some(name.into()));
        }
        assert_eq!(
            serde_json::to_value(AuthorizationStatus::Failure).ok(),
            Some("failure".into())
        );
        assert_eq!(
            serde_json::to_value(RefundStatus::Pending).ok(),
            Some("pending".into())
        );
    }
}
