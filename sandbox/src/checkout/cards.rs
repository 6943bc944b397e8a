//! Test cards the simulator knows (Checkout.com's sandbox test cards, reference §1.8), so tests
//! don't hard-code numbers. Any other Luhn-valid number is approved.
//!
//! Expiry: any future date; CVV: any 3 digits (4 for Amex).

/// Visa, approved (CVV 100 in Checkout's docs; the simulator accepts any).
pub const VISA_APPROVED: &str = "4242424242424242";
/// A second approved Visa.
pub const VISA_APPROVED_2: &str = "4543474002249996";
/// Mastercard, approved; can have its authorization extended.
pub const MASTERCARD_APPROVED: &str = "5436031030606378";
/// A second approved Mastercard.
pub const MASTERCARD_APPROVED_2: &str = "5199992312641465";
/// Mastercard in the 2-series BIN range, approved.
pub const MASTERCARD_2_SERIES_APPROVED: &str = "2223000010479399";
/// American Express, approved.
pub const AMEX_APPROVED: &str = "378282246310005";
/// A second approved American Express.
pub const AMEX_APPROVED_2: &str = "345678901234564";
/// Discover, approved.
pub const DISCOVER_APPROVED: &str = "6011111111111117";
/// JCB, approved.
pub const JCB_APPROVED: &str = "3530111333300000";

/// Declined `20051` Insufficient Funds.
pub const INSUFFICIENT_FUNDS: &str = "4544249167673670";
/// Declined `20005` Declined - Do Not Honour.
pub const DO_NOT_HONOUR: &str = "4024007181869214";
/// Declined `20054` Expired Card (the card, not the request's expiry date).
pub const EXPIRED_CARD: &str = "4724117215951699";
/// Declined `200N7` (CVV2 failure).
pub const CVV_FAILURE: &str = "4734868958733862";
/// Declined `200R3` (revocation of all authorizations).
pub const REVOCATION_OF_AUTHORIZATIONS: &str = "4567361325981788";
/// Declined `20001` Refer to card issuer.
pub const REFER_TO_ISSUER: &str = "4111111111111129";
/// Declined `20012` Invalid Transaction.
pub const INVALID_TRANSACTION: &str = "4024007103573027";
/// Declined `20014` Invalid Card Number.
pub const INVALID_CARD_NUMBER: &str = "4485381577182090";
/// Declined `20057` Transaction not Permitted to Cardholder.
pub const NOT_PERMITTED_TO_CARDHOLDER: &str = "4151512736305999";
/// Declined `20059` Suspected Fraud.
pub const SUSPECTED_FRAUD: &str = "4897453568485113";
/// Declined `20061` Exceeds Withdrawal Value/Amount Limits.
pub const EXCEEDS_WITHDRAWAL_LIMIT: &str = "4556294593757189";
/// Declined `20062` Restricted Card.
pub const RESTRICTED_CARD: &str = "4818924250131070";
/// Declined `20063` Security Violation.
pub const SECURITY_VIOLATION: &str = "4556253752712245";
/// Declined `20068` Response Received Too Late / Timeout.
pub const RESPONSE_TOO_LATE: &str = "4095254802642505";
/// Declined `20078` Blocked, first use.
pub const BLOCKED_FIRST_USE: &str = "4532819413487978";

/// Response code and summary of an approval.
pub(crate) const APPROVED: (&str, &str) = ("10000", "Approved");

/// Decline cards and their `(response_code, response_summary)`. Codes are from the reference
/// \[C\]; summaries follow Checkout.com's response-code pages where known, the rest are \[U\].
const DECLINES: &[(&str, &str, &str)] = &[
    (INSUFFICIENT_FUNDS, "20051", "Insufficient Funds"),
    (DO_NOT_HONOUR, "20005", "Declined - Do Not Honour"),
    (EXPIRED_CARD, "20054", "Expired Card"),
    (CVV_FAILURE, "200N7", "Decline for CVV2 failure"),
    (
        REVOCATION_OF_AUTHORIZATIONS,
        "200R3",
        "Revocation of All Authorizations Order",
    ),
    (REFER_TO_ISSUER, "20001", "Refer to card issuer"),
    (INVALID_TRANSACTION, "20012", "Invalid Transaction"),
    (INVALID_CARD_NUMBER, "20014", "Invalid Card Number"),
    (
        NOT_PERMITTED_TO_CARDHOLDER,
        "20057",
        "Transaction not Permitted to Cardholder",
    ),
    (SUSPECTED_FRAUD, "20059", "Suspected Fraud"),
    (
        EXCEEDS_WITHDRAWAL_LIMIT,
        "20061",
        "Exceeds Withdrawal Value/Amount Limits",
    ),
    (RESTRICTED_CARD, "20062", "Restricted Card"),
    (SECURITY_VIOLATION, "20063", "Security Violation"),
    (
        RESPONSE_TOO_LATE,
        "20068",
        "Response Received Too Late / Timeout",
    ),
    (BLOCKED_FIRST_USE, "20078", "Blocked, first use"),
];

/// `Some((response_code, response_summary))` when the issuer declines this card number.
pub(crate) fn decline_for(number: &str) -> Option<(&'static str, &'static str)> {
    DECLINES
        .iter()
        .find(|(card, _, _)| *card == number)
        .map(|(_, code, summary)| (*code, *summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::payment_method::luhn_valid;

    #[test]
    fn every_test_card_is_luhn_valid() {
        let approved = [
            VISA_APPROVED,
            VISA_APPROVED_2,
            MASTERCARD_APPROVED,
            MASTERCARD_APPROVED_2,
            MASTERCARD_2_SERIES_APPROVED,
            AMEX_APPROVED,
            AMEX_APPROVED_2,
            DISCOVER_APPROVED,
            JCB_APPROVED,
        ];
        for card in approved {
            assert!(luhn_valid(card), "{card}");
            assert_eq!(decline_for(card), None, "{card}");
        }
        for (card, _, _) in DECLINES {
            assert!(luhn_valid(card), "{card}");
        }
    }
}
