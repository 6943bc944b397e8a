//! The Primer Sandbox Processor's test cards (reference §3.8) and the payment-method tokens
//! the simulator knows: one preset token per card in [`super::tokens`], more minted by the
//! `POST /sim/primer/payment-method-tokens` helper.

use super::tokens;

/// What the sandbox processor does with a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Authorized.
    Authorize,
    /// Declined by the issuer (`DECLINED`).
    Decline,
    /// The processor fails (`FAILED`).
    Fail,
    /// A 3DS challenge: `PENDING` with `requiredAction` until resumed.
    Challenge,
    /// Frictionless 3DS: authorized at once, `threeDSecureAuthentication.responseCode`
    /// `AUTH_SUCCESS`.
    Frictionless,
}

/// The sandbox test cards: number, network name as Primer writes it in `paymentMethodData`,
/// outcome.
const TEST_CARDS: &[(&str, &str, Outcome)] = &[
    ("4111111111111111", "Visa", Outcome::Authorize),
    ("4242424242424242", "Visa", Outcome::Authorize),
    ("5252525252525258", "Mastercard", Outcome::Authorize),
    ("5555555555554444", "Mastercard", Outcome::Authorize),
    ("4035500000000000", "Visa", Outcome::Authorize),
    ("5132000000000000", "Mastercard", Outcome::Authorize),
    ("4970000000000008", "Visa", Outcome::Authorize),
    ("4000000000000002", "Visa", Outcome::Decline),
    ("5100000000000008", "Mastercard", Outcome::Decline),
    ("4000000000000010", "Visa", Outcome::Fail),
    ("5100000000000016", "Mastercard", Outcome::Fail),
    ("4916994064252017", "Visa", Outcome::Challenge),
    ("4000000000000051", "Visa", Outcome::Challenge),
    ("4929251897047956", "Visa", Outcome::Frictionless),
];

/// The card behind a payment-method token (what Primer's vault knows of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instrument {
    pub(crate) first6: String,
    pub(crate) last4: String,
    /// Two digits, e.g. `"03"`.
    pub(crate) expiration_month: String,
    /// Four digits, e.g. `"2030"`.
    pub(crate) expiration_year: String,
    pub(crate) network: &'static str,
    pub(crate) outcome: Outcome,
}

impl Instrument {
    /// The instrument for a test card number, `None` for any other number.
    pub(crate) fn for_card(number: &str, month: u8, year: u16) -> Option<Instrument> {
        let (number, network, outcome) = TEST_CARDS.iter().find(|(n, ..)| *n == number)?;
        Some(Instrument {
            first6: number[..6].to_owned(),
            last4: number[number.len() - 4..].to_owned(),
            expiration_month: format!("{month:02}"),
            expiration_year: format!("{year:04}"),
            network,
            outcome: *outcome,
        })
    }
}

/// The tokens known from start, one per card named in [`super::tokens`] (expiry 03/2030).
pub(crate) fn preset() -> Vec<(String, Instrument)> {
    [
        (tokens::VISA_AUTHORIZED, "4242424242424242"),
        (tokens::MASTERCARD_AUTHORIZED, "5555555555554444"),
        (tokens::VISA_DECLINED, "4000000000000002"),
        (tokens::MASTERCARD_DECLINED, "5100000000000008"),
        (tokens::VISA_FAILED, "4000000000000010"),
        (tokens::VISA_3DS_CHALLENGE, "4916994064252017"),
    ]
    .into_iter()
    .filter_map(|(token, number)| {
        Instrument::for_card(number, 3, 2030).map(|card| (token.to_owned(), card))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_token_has_a_card() {
        assert_eq!(preset().len(), 6);
    }

    #[test]
    fn other_numbers_are_not_test_cards() {
        assert!(Instrument::for_card("4242424242424241", 1, 2030).is_none());
        assert!(Instrument::for_card("", 1, 2030).is_none());
    }
}
