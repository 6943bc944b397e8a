//! Stripe's test cards and test PaymentMethods (reference §2.8), so tests don't hard-code
//! numbers. Outcomes are driven by the card, never by the amount.
//!
//! Any expiry date in the future and any 3-digit CVC (4 for Amex) are accepted. A Luhn-valid
//! number that is not listed here is declined `card_declined` / `test_mode_live_card`, as Stripe
//! declines real cards in test mode \[U: the decline code\].
//!
//! `payment_method=pm_card_…` takes one of the [`PM_CARD_TOKENS`]; like Stripe, the simulator
//! then creates a new `pm_…` PaymentMethod for the card. Stripe's test card tokens name the same
//! cards: `tok_visa`, `tok_chargeDeclined`, … ([`test_token`]: `tok_` and the name after
//! `pm_card_` \[U: the 3D Secure and refund ones\]); unlike the tokens the simulator issues,
//! they can be used again and again.

use paybridge_core::payment_method::CardNetwork;

/// Visa, approved.
pub const VISA: &str = "4242424242424242";
/// Visa debit, approved.
pub const VISA_DEBIT: &str = "4000056655665556";
/// Mastercard, approved.
pub const MASTERCARD: &str = "5555555555554444";
/// Mastercard in the 2-series BIN range, approved.
pub const MASTERCARD_2_SERIES: &str = "2223003122003222";
/// Mastercard debit, approved.
pub const MASTERCARD_DEBIT: &str = "5200828282828210";
/// Mastercard prepaid, approved.
pub const MASTERCARD_PREPAID: &str = "5105105105105100";
/// American Express, approved.
pub const AMEX: &str = "378282246310005";
/// Discover, approved.
pub const DISCOVER: &str = "6011111111111117";
/// Diners Club, approved.
pub const DINERS: &str = "3056930009020004";
/// JCB, approved.
pub const JCB: &str = "3566002020360505";
/// UnionPay, approved.
pub const UNIONPAY: &str = "6200000000000005";

/// Declined `card_declined` / `generic_decline`.
pub const GENERIC_DECLINE: &str = "4000000000000002";
/// Declined `card_declined` / `insufficient_funds`.
pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";
/// Declined `card_declined` / `lost_card`.
pub const LOST_CARD: &str = "4000000000009987";
/// Declined `card_declined` / `stolen_card`.
pub const STOLEN_CARD: &str = "4000000000009979";
/// Declined `expired_card` / `expired_card`.
pub const EXPIRED_CARD: &str = "4000000000000069";
/// Declined `incorrect_cvc` / `incorrect_cvc`.
pub const INCORRECT_CVC: &str = "4000000000000127";
/// Declined `processing_error` / `processing_error`.
pub const PROCESSING_ERROR: &str = "4000000000000119";
/// Declined `card_declined` / `fraudulent` (blocked as highest risk).
pub const FRAUDULENT: &str = "4100000000000019";
/// Fails Luhn: refused `incorrect_number` when the PaymentMethod is created.
pub const INCORRECT_NUMBER: &str = "4242424242424241";

/// Always requires 3D Secure authentication (`requires_action`).
pub const THREE_DS_REQUIRED: &str = "4000002760003184";
/// Requires 3D Secure 2 authentication.
pub const THREE_DS2_REQUIRED: &str = "4000000000003220";
/// Requires authentication on session (Stripe: unless set up for off-session use).
pub const AUTHENTICATION_REQUIRED_ON_SETUP: &str = "4000002500003155";
/// Supports 3D Secure without requiring it: authenticated only when
/// `payment_method_options[card][request_three_d_secure]` is `any` or `challenge`.
pub const THREE_DS_OPTIONAL: &str = "4000000000003055";

/// Approved; a refund is answered `succeeded` and fails (`expired_or_canceled_card`) when next
/// retrieved.
pub const REFUND_FAILS: &str = "4000000000005126";

/// The test PaymentMethods Stripe accepts as `payment_method`, with their card numbers.
pub const PM_CARD_TOKENS: &[(&str, &str)] = &[
    ("pm_card_visa", VISA),
    ("pm_card_visa_debit", VISA_DEBIT),
    ("pm_card_mastercard", MASTERCARD),
    ("pm_card_mastercard_debit", MASTERCARD_DEBIT),
    ("pm_card_mastercard_prepaid", MASTERCARD_PREPAID),
    ("pm_card_amex", AMEX),
    ("pm_card_discover", DISCOVER),
    ("pm_card_diners", DINERS),
    ("pm_card_jcb", JCB),
    ("pm_card_unionpay", UNIONPAY),
    ("pm_card_chargeDeclined", GENERIC_DECLINE),
    (
        "pm_card_chargeDeclinedInsufficientFunds",
        INSUFFICIENT_FUNDS,
    ),
    ("pm_card_chargeDeclinedLostCard", LOST_CARD),
    ("pm_card_chargeDeclinedStolenCard", STOLEN_CARD),
    ("pm_card_chargeDeclinedExpiredCard", EXPIRED_CARD),
    ("pm_card_chargeDeclinedIncorrectCvc", INCORRECT_CVC),
    ("pm_card_chargeDeclinedProcessingError", PROCESSING_ERROR),
    ("pm_card_chargeDeclinedFraudulent", FRAUDULENT),
    ("pm_card_threeDSecure2Required", THREE_DS2_REQUIRED),
    ("pm_card_threeDSecureOptional", THREE_DS_OPTIONAL),
    ("pm_card_authenticationRequired", THREE_DS_REQUIRED),
    (
        "pm_card_authenticationRequiredOnSetup",
        AUTHENTICATION_REQUIRED_ON_SETUP,
    ),
    ("pm_card_refundFail", REFUND_FAILS),
];

/// `pm_card_visa`.
pub const PM_CARD_VISA: &str = "pm_card_visa";
/// `pm_card_mastercard`.
pub const PM_CARD_MASTERCARD: &str = "pm_card_mastercard";
/// `pm_card_amex`.
pub const PM_CARD_AMEX: &str = "pm_card_amex";
/// `pm_card_chargeDeclined`: declined `card_declined` / `generic_decline`.
pub const PM_CARD_CHARGE_DECLINED: &str = "pm_card_chargeDeclined";
/// `pm_card_chargeDeclinedInsufficientFunds`.
pub const PM_CARD_INSUFFICIENT_FUNDS: &str = "pm_card_chargeDeclinedInsufficientFunds";
/// `pm_card_threeDSecure2Required`: requires 3D Secure.
pub const PM_CARD_THREE_DS2_REQUIRED: &str = "pm_card_threeDSecure2Required";
/// `pm_card_authenticationRequired`: requires 3D Secure.
pub const PM_CARD_AUTHENTICATION_REQUIRED: &str = "pm_card_authenticationRequired";
/// `pm_card_refundFail`: refunds fail later.
pub const PM_CARD_REFUND_FAIL: &str = "pm_card_refundFail";

/// `tok_visa`: Visa, approved.
pub const TOK_VISA: &str = "tok_visa";
/// `tok_mastercard`: Mastercard, approved.
pub const TOK_MASTERCARD: &str = "tok_mastercard";
/// `tok_amex`: American Express, approved.
pub const TOK_AMEX: &str = "tok_amex";
/// `tok_chargeDeclined`: declined `card_declined` / `generic_decline`.
pub const TOK_CHARGE_DECLINED: &str = "tok_chargeDeclined";
/// `tok_chargeDeclinedInsufficientFunds`: declined `insufficient_funds`.
pub const TOK_INSUFFICIENT_FUNDS: &str = "tok_chargeDeclinedInsufficientFunds";
/// `tok_threeDSecure2Required`: requires 3D Secure.
pub const TOK_THREE_DS2_REQUIRED: &str = "tok_threeDSecure2Required";

/// The card number behind one of Stripe's test card tokens (`tok_visa`, `tok_chargeDeclined`,
/// …): the card of the `pm_card_…` test PaymentMethod of the same name.
pub fn test_token(token: &str) -> Option<&'static str> {
    let name = token.strip_prefix("tok_")?;
    PM_CARD_TOKENS
        .iter()
        .find(|(pm, _)| pm.strip_prefix("pm_card_") == Some(name))
        .map(|(_, number)| *number)
}

/// How the issuer answers an authorization on a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decline {
    /// `error.code`.
    pub(crate) code: &'static str,
    /// `error.decline_code`, also the charge's `outcome.reason`.
    pub(crate) decline_code: Option<&'static str>,
    /// `error.message`, Stripe's customer-facing text.
    pub(crate) message: &'static str,
    /// `error.advice_code` \[U: which declines carry one\].
    pub(crate) advice_code: Option<&'static str>,
    /// `error.network_decline_code`, the network's raw code \[U: Visa codes Stripe relays\].
    pub(crate) network_decline_code: Option<&'static str>,
    /// The charge's `outcome.type`: `issuer_declined` or `blocked`.
    pub(crate) outcome_type: &'static str,
    /// The charge's `outcome.seller_message`.
    pub(crate) seller_message: &'static str,
}

const BANK_DECLINED: &str = "The bank did not return any further details with this decline.";

const fn issuer(
    code: &'static str,
    decline_code: &'static str,
    message: &'static str,
    advice_code: Option<&'static str>,
    network_decline_code: Option<&'static str>,
) -> Decline {
    Decline {
        code,
        decline_code: Some(decline_code),
        message,
        advice_code,
        network_decline_code,
        outcome_type: "issuer_declined",
        seller_message: BANK_DECLINED,
    }
}

const DECLINED: &str = "Your card was declined.";
/// The generic issuer decline, `card_declined` / `generic_decline`.
pub(crate) const GENERIC: Decline = issuer(
    "card_declined",
    "generic_decline",
    DECLINED,
    None,
    Some("05"),
);
const NO_FUNDS: Decline = issuer(
    "card_declined",
    "insufficient_funds",
    "Your card has insufficient funds.",
    Some("try_again_later"),
    Some("51"),
);
const LOST: Decline = issuer(
    "card_declined",
    "lost_card",
    DECLINED,
    Some("do_not_try_again"),
    Some("41"),
);
const STOLEN: Decline = issuer(
    "card_declined",
    "stolen_card",
    DECLINED,
    Some("do_not_try_again"),
    Some("43"),
);
const EXPIRED: Decline = issuer(
    "expired_card",
    "expired_card",
    "Your card has expired.",
    Some("confirm_card_data"),
    Some("54"),
);
const BAD_CVC: Decline = issuer(
    "incorrect_cvc",
    "incorrect_cvc",
    "Your card's security code is incorrect.",
    Some("confirm_card_data"),
    Some("N7"),
);
const PROCESSING: Decline = issuer(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
    Some("try_again_later"),
    None,
);
const BLOCKED: Decline = Decline {
    code: "card_declined",
    decline_code: Some("fraudulent"),
    message: DECLINED,
    advice_code: Some("do_not_try_again"),
    network_decline_code: None,
    outcome_type: "blocked",
    seller_message: "Stripe blocked this payment as too risky.",
};
const LIVE_CARD: Decline = issuer(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test card. \
     For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    None,
    None,
);
/// The decline of a payment that needs authentication the customer cannot give (off session,
/// or `error_on_requires_action`).
pub(crate) const AUTHENTICATION_REQUIRED: Decline = issuer(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
    None,
    Some("1A"),
);
/// A 3D Secure authentication the customer failed (no issuer decline behind it).
pub(crate) const AUTHENTICATION_FAILED: Decline = Decline {
    code: "payment_intent_authentication_failure",
    decline_code: None,
    message: "The provided PaymentMethod has failed authentication. You can provide \
              payment_method_data or a new PaymentMethod to attempt to fulfill this \
              PaymentIntent again.",
    advice_code: None,
    network_decline_code: None,
    outcome_type: "authentication_failed",
    seller_message: "The customer failed 3D Secure authentication.",
};
/// The decline of an increment when a test hook asks for one.
pub(crate) const INCREMENT_DECLINED: Decline = GENERIC;

/// What a card does at authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authorization {
    /// The issuer approves.
    Approve,
    /// The issuer declines.
    Decline(Decline),
}

/// The simulator's knowledge of one card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) authorization: Authorization,
    /// 3D Secure is always required.
    pub(crate) requires_3ds: bool,
    /// 3D Secure can be requested (`request_three_d_secure=any|challenge`).
    pub(crate) supports_3ds: bool,
    /// Refunds are accepted `pending` and fail later.
    pub(crate) refund_fails: bool,
    /// `credit`, `debit` or `prepaid`.
    pub(crate) funding: &'static str,
}

const APPROVED: Profile = Profile {
    authorization: Authorization::Approve,
    requires_3ds: false,
    supports_3ds: false,
    refund_fails: false,
    funding: "credit",
};

const fn declined(decline: Decline) -> Profile {
    Profile {
        authorization: Authorization::Decline(decline),
        ..APPROVED
    }
}

const fn three_ds(required: bool) -> Profile {
    Profile {
        requires_3ds: required,
        supports_3ds: true,
        ..APPROVED
    }
}

const fn funding(funding: &'static str) -> Profile {
    Profile {
        funding,
        ..APPROVED
    }
}

/// Every listed card and its behaviour.
const PROFILES: &[(&str, Profile)] = &[
    (VISA, APPROVED),
    (VISA_DEBIT, funding("debit")),
    (MASTERCARD, APPROVED),
    (MASTERCARD_2_SERIES, APPROVED),
    (MASTERCARD_DEBIT, funding("debit")),
    (MASTERCARD_PREPAID, funding("prepaid")),
    (AMEX, APPROVED),
    (DISCOVER, APPROVED),
    (DINERS, APPROVED),
    (JCB, APPROVED),
    (UNIONPAY, APPROVED),
    (GENERIC_DECLINE, declined(GENERIC)),
    (INSUFFICIENT_FUNDS, declined(NO_FUNDS)),
    (LOST_CARD, declined(LOST)),
    (STOLEN_CARD, declined(STOLEN)),
    (EXPIRED_CARD, declined(EXPIRED)),
    (INCORRECT_CVC, declined(BAD_CVC)),
    (PROCESSING_ERROR, declined(PROCESSING)),
    (FRAUDULENT, declined(BLOCKED)),
    (THREE_DS_REQUIRED, three_ds(true)),
    (THREE_DS2_REQUIRED, three_ds(true)),
    (AUTHENTICATION_REQUIRED_ON_SETUP, three_ds(true)),
    (THREE_DS_OPTIONAL, three_ds(false)),
    (
        REFUND_FAILS,
        Profile {
            refund_fails: true,
            ..APPROVED
        },
    ),
];

/// The behaviour of a (Luhn-valid) card number: a listed test card's, else the test-mode
/// decline of a real card.
pub(crate) fn profile(number: &str) -> Profile {
    PROFILES
        .iter()
        .find(|(card, _)| *card == number)
        .map_or(declined(LIVE_CARD), |(_, profile)| *profile)
}

/// The card number behind a `pm_card_…` test PaymentMethod.
pub(crate) fn token(payment_method: &str) -> Option<&'static str> {
    PM_CARD_TOKENS
        .iter()
        .find(|(token, _)| *token == payment_method)
        .map(|(_, number)| *number)
}

/// Stripe's `brand` / `network` spelling of a network.
pub(crate) fn brand(network: Option<CardNetwork>) -> &'static str {
    match network {
        Some(CardNetwork::Visa) => "visa",
        Some(CardNetwork::Mastercard) => "mastercard",
        Some(CardNetwork::Amex) => "amex",
        Some(CardNetwork::Discover) => "discover",
        Some(CardNetwork::Jcb) => "jcb",
        Some(CardNetwork::Diners) => "diners",
        Some(CardNetwork::UnionPay) => "unionpay",
        None => "unknown",
    }
}

/// Networks on which the simulator grants the IC+ card features when requested: extended,
/// incremental, multicapture and overcapture (reference §2.3–§2.4: Visa, Mastercard, Amex and
/// Discover).
pub(crate) fn enterprise_features(network: Option<CardNetwork>) -> bool {
    matches!(
        network,
        Some(
            CardNetwork::Visa | CardNetwork::Mastercard | CardNetwork::Amex | CardNetwork::Discover
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::payment_method::luhn_valid;

    #[test]
    fn every_listed_card_is_luhn_valid_except_the_incorrect_number() {
        for (card, _) in PROFILES {
            assert!(luhn_valid(card), "{card}");
        }
        assert!(!luhn_valid(INCORRECT_NUMBER));
    }

    #[test]
    fn every_token_names_a_listed_card() {
        for (token, number) in PM_CARD_TOKENS {
            assert!(token.starts_with("pm_card_"));
            assert!(PROFILES.iter().any(|(card, _)| card == number), "{token}");
        }
        for name in [
            PM_CARD_VISA,
            PM_CARD_MASTERCARD,
            PM_CARD_AMEX,
            PM_CARD_CHARGE_DECLINED,
            PM_CARD_INSUFFICIENT_FUNDS,
            PM_CARD_THREE_DS2_REQUIRED,
            PM_CARD_AUTHENTICATION_REQUIRED,
            PM_CARD_REFUND_FAIL,
        ] {
            assert!(token(name).is_some(), "{name}");
        }
    }

    #[test]
    fn test_tokens_name_the_cards_of_their_test_payment_methods() {
        assert_eq!(test_token(TOK_VISA), Some(VISA));
        assert_eq!(test_token(TOK_MASTERCARD), Some(MASTERCARD));
        assert_eq!(test_token(TOK_AMEX), Some(AMEX));
        assert_eq!(test_token(TOK_CHARGE_DECLINED), Some(GENERIC_DECLINE));
        assert_eq!(test_token(TOK_INSUFFICIENT_FUNDS), Some(INSUFFICIENT_FUNDS));
        assert_eq!(test_token(TOK_THREE_DS2_REQUIRED), Some(THREE_DS2_REQUIRED));
        assert_eq!(test_token("tok_nope"), None);
        assert_eq!(test_token("pm_card_visa"), None);
    }

    #[test]
    fn unknown_cards_get_the_test_mode_decline() {
        assert_eq!(
            profile("4111111111111111").authorization,
            Authorization::Decline(LIVE_CARD)
        );
        assert_eq!(profile(VISA).authorization, Authorization::Approve);
        assert_eq!(brand(CardNetwork::detect(AMEX)), "amex");
    }
}
