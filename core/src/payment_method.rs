//! Payment methods: a validated card whose number and CVC are secrets, or a processor token.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Why card data was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The number contains something other than digits and single spaces between them.
    #[error("card number must contain only digits (single spaces between groups are allowed)")]
    NonDigit,
    /// The number starts with 0, a major industry identifier no card issuer has.
    #[error("card number starts with 0, which no card issuer uses")]
    NoIssuer,
    /// Card numbers have 12 to 19 digits.
    #[error("card number has {0} digits; expected 12 to 19")]
    Length(usize),
    /// The Luhn check digit does not match.
    #[error("card number fails the Luhn check")]
    Luhn,
    /// Expiry month outside 1–12.
    #[error("expiry month {0} is not between 1 and 12")]
    ExpiryMonth(u8),
    /// Expiry year is not a four-digit year.
    #[error("expiry year {0} is not a four-digit year")]
    ExpiryYear(u16),
    /// CVC must be 3 or 4 digits.
    #[error("CVC must be 3 or 4 digits")]
    Cvc,
    /// A processor token must be non-empty printable ASCII.
    #[error("payment method token is empty or not printable ASCII")]
    Token,
}

/// A card scheme, detected from the number's leading digits (BIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardNetwork {
    /// Visa (4).
    Visa,
    /// Mastercard (51–55, 2221–2720).
    Mastercard,
    /// American Express (34, 37).
    Amex,
    /// Discover (6011, 644–649, 65).
    Discover,
    /// JCB (3528–3589).
    Jcb,
    /// Diners Club (300–305, 36, 38–39).
    Diners,
    /// UnionPay (62).
    UnionPay,
}

impl CardNetwork {
    /// Detects the network from a digit string; `None` for a BIN paybridge does not know.
    pub fn detect(digits: &str) -> Option<CardNetwork> {
        let prefix =
            |n: usize| -> u32 { digits.get(..n).and_then(|p| p.parse().ok()).unwrap_or(0) };
        let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
        match () {
            _ if p1 == 4 => Some(CardNetwork::Visa),
            _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => {
                Some(CardNetwork::Mastercard)
            }
            _ if p2 == 34 || p2 == 37 => Some(CardNetwork::Amex),
            _ if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => Some(CardNetwork::Discover),
            _ if (3528..=3589).contains(&p4) => Some(CardNetwork::Jcb),
            _ if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 => {
                Some(CardNetwork::Diners)
            }
            _ if p2 == 62 => Some(CardNetwork::UnionPay),
            _ => None,
        }
    }
}

/// A primary account number: digits only, 12–19 long, Luhn-valid. A secret: its `Debug` and
/// `Display` show at most the first 6 and last 4 digits.
///
/// ```
/// use paybridge_core::{CardNetwork, CardNumber};
/// let pan: CardNumber = "4242 4242 4242 4242".parse()?;
/// assert_eq!(pan.network(), Some(CardNetwork::Visa));
/// assert_eq!(format!("{pan:?}"), "424242******4242");
/// assert!("4242424242424241".parse::<CardNumber>().is_err());
/// # Ok::<(), paybridge_core::CardError>(())
/// ```
#[derive(Clone)]
pub struct CardNumber(SecretString);

impl CardNumber {
    /// Validates and wraps a card number: digits, optionally in groups with one space between.
    pub fn new(input: &str) -> Result<Self, CardError> {
        let groups_of_digits = input.is_empty()
            || input
                .split(' ')
                .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()));
        if !groups_of_digits {
            return Err(CardError::NonDigit);
        }
        let digits: String = input.chars().filter(|c| *c != ' ').collect();
        if !(12..=19).contains(&digits.len()) {
            return Err(CardError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(CardError::NoIssuer);
        }
        if !luhn_valid(&digits) {
            return Err(CardError::Luhn);
        }
        Ok(CardNumber(SecretString::from(digits)))
    }

    /// The full number, for a connector building a request body. Never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The network detected from the BIN.
    pub fn network(&self) -> Option<CardNetwork> {
        CardNetwork::detect(self.expose())
    }

    /// First six digits (the BIN), safe to log.
    pub fn bin(&self) -> &str {
        &self.expose()[..6]
    }

    /// Last four digits, safe to log.
    pub fn last4(&self) -> &str {
        let n = self.expose();
        &n[n.len() - 4..]
    }

    /// The masked form: BIN, stars, last four.
    pub fn masked(&self) -> String {
        let n = self.expose();
        format!("{}{}{}", self.bin(), "*".repeat(n.len() - 10), self.last4())
    }
}

/// Luhn (mod 10) check over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

impl std::str::FromStr for CardNumber {
    type Err = CardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CardNumber::new(s)
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl PartialEq for CardNumber {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl<'de> Deserialize<'de> for CardNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        CardNumber::new(&raw).map_err(serde::de::Error::custom)
    }
}

/// Card verification code: 3 or 4 digits, a secret whose `Debug` shows nothing.
#[derive(Clone)]
pub struct Cvc(SecretString);

impl Cvc {
    /// Validates and wraps a CVC.
    pub fn new(input: &str) -> Result<Self, CardError> {
        if !(3..=4).contains(&input.len()) || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Cvc);
        }
        Ok(Cvc(SecretString::from(input)))
    }

    /// The code, for a connector building a request body. Never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Cvc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Cvc::new(&raw).map_err(serde::de::Error::custom)
    }
}

/// A card's expiry: month 1–12 and a four-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CardExpiry {
    month: u8,
    year: u16,
}

impl CardExpiry {
    /// Validates month and year. Whether the card has expired is the issuer's call, so a
    /// past date is not rejected here: processors answer it with a decline.
    pub fn new(month: u8, year: u16) -> Result<Self, CardError> {
        if !(1..=12).contains(&month) {
            return Err(CardError::ExpiryMonth(month));
        }
        if !(1000..=9999).contains(&year) {
            return Err(CardError::ExpiryYear(year));
        }
        Ok(CardExpiry { month, year })
    }

    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Four-digit year.
    pub fn year(self) -> u16 {
        self.year
    }
}

impl<'de> Deserialize<'de> for CardExpiry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            month: u8,
            year: u16,
        }
        let raw = Raw::deserialize(deserializer)?;
        CardExpiry::new(raw.month, raw.year).map_err(serde::de::Error::custom)
    }
}

/// Raw card data as entered by the customer.
#[derive(Debug, Clone, Deserialize)]
pub struct Card {
    /// The card number (secret).
    pub number: CardNumber,
    /// Expiry month and year.
    pub expiry: CardExpiry,
    /// The CVC (secret); absent for some merchant-initiated payments.
    pub cvc: Option<Cvc>,
    /// Name printed on the card.
    pub holder_name: Option<String>,
}

impl Card {
    /// The network detected from the number.
    pub fn network(&self) -> Option<CardNetwork> {
        self.number.network()
    }
}

/// A payment method token issued by a processor (Stripe `pm_…`, Primer `paymentMethodToken`).
/// Tokens are not card data, but they can be charged, so they are masked in logs too.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentMethodToken(String);

impl PaymentMethodToken {
    /// Wraps a token: non-empty printable ASCII.
    pub fn new(token: impl Into<String>) -> Result<Self, CardError> {
        let token = token.into();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CardError::Token);
        }
        Ok(PaymentMethodToken(token))
    }

    /// The token as sent to the processor.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PaymentMethodToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keep a recognisable prefix (`pm_`) without the chargeable part.
        let shown: String = self.0.chars().take(3).collect();
        write!(f, "PaymentMethodToken({shown}…)")
    }
}

impl<'de> Deserialize<'de> for PaymentMethodToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        PaymentMethodToken::new(raw).map_err(serde::de::Error::custom)
    }
}

/// How the customer pays.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Raw card data.
    Card(Card),
    /// A token issued by the processor the payment is sent to.
    Token(PaymentMethodToken),
    /// A wallet's payment token (Apple Pay, Google Pay), which the connector exchanges with
    /// its processor.
    #[serde(skip)]
    Wallet(crate::wallet::WalletToken),
}

impl PaymentMethod {
    /// The card network, when it is known (always for a card, never for a token, for a wallet
    /// when it says).
    pub fn card_network(&self) -> Option<CardNetwork> {
        match self {
            PaymentMethod::Card(card) => card.network(),
            PaymentMethod::Token(_) => None,
            PaymentMethod::Wallet(token) => token.card_network(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_networks_of_real_test_numbers() {
        let cases = [
            ("4242424242424242", CardNetwork::Visa),
            ("4000056655665556", CardNetwork::Visa),
            ("5555555555554444", CardNetwork::Mastercard),
            ("2223003122003222", CardNetwork::Mastercard),
            ("5436031030606378", CardNetwork::Mastercard),
            ("378282246310005", CardNetwork::Amex),
            ("345678901234564", CardNetwork::Amex),
            ("6011111111111117", CardNetwork::Discover),
            ("3530111333300000", CardNetwork::Jcb),
            ("3566002020360505", CardNetwork::Jcb),
            ("30569309025904", CardNetwork::Diners),
            ("6200000000000005", CardNetwork::UnionPay),
        ];
        for (number, network) in cases {
            let pan = CardNumber::new(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(pan.network(), Some(network), "{number}");
        }
    }

    #[test]
    fn rejects_bad_numbers_with_typed_errors() {
        assert_eq!(
            CardNumber::new("4242424242424241").err(),
            Some(CardError::Luhn)
        );
        assert_eq!(
            CardNumber::new("4242x24242424242").err(),
            Some(CardError::NonDigit)
        );
        assert_eq!(
            CardNumber::new("42424242424").err(),
            Some(CardError::Length(11))
        );
        assert_eq!(
            CardNumber::new("42424242424242424242").err(),
            Some(CardError::Length(20))
        );
        assert_eq!(CardNumber::new("").err(), Some(CardError::Length(0)));
        assert_eq!(
            CardNumber::new("४२४२४२४२४२४२४२४२").err(),
            Some(CardError::NonDigit)
        );
    }

    #[test]
    fn only_digits_in_groups_and_a_real_issuer_make_a_card_number() {
        for (input, error) in [
            ("-4242424242424242", CardError::NonDigit),
            ("4242-4242-4242-4242", CardError::NonDigit),
            (" 4242424242424242", CardError::NonDigit),
            ("4242  4242 4242 4242", CardError::NonDigit),
            ("4242424242424242 ", CardError::NonDigit),
            ("+4242424242424242", CardError::NonDigit),
            ("0000000000000000000", CardError::NoIssuer),
            ("0000000000000000", CardError::NoIssuer),
            ("0424242424242424", CardError::NoIssuer),
        ] {
            assert_eq!(CardNumber::new(input).err(), Some(error), "{input:?}");
        }
        assert!(CardNumber::new("4242 4242 4242 4242").is_ok());
        assert!(CardNumber::new("4242424242424242").is_ok());
    }

    #[test]
    fn card_number_never_shows_more_than_bin_and_last4() {
        let pan = CardNumber::new("4242 4242 4242 4242").expect("valid");
        assert_eq!(format!("{pan:?}"), "424242******4242");
        assert_eq!(pan.to_string(), "424242******4242");
        let amex = CardNumber::new("378282246310005").expect("valid");
        assert_eq!(format!("{amex}"), "378282*****0005");
        let card = Card {
            number: pan,
            expiry: CardExpiry::new(12, 2030).expect("valid"),
            cvc: Some(Cvc::new("737").expect("valid")),
            holder_name: None,
        };
        let shown = format!("{card:?} {card:#?}");
        assert!(!shown.contains("4242424242424242"), "{shown}");
        assert!(!shown.contains("737"), "{shown}");
    }

    #[test]
    fn expiry_and_cvc_are_validated() {
        assert_eq!(
            CardExpiry::new(13, 2030).err(),
            Some(CardError::ExpiryMonth(13))
        );
        assert_eq!(
            CardExpiry::new(0, 2030).err(),
            Some(CardError::ExpiryMonth(0))
        );
        assert_eq!(
            CardExpiry::new(1, 30).err(),
            Some(CardError::ExpiryYear(30))
        );
        assert!(CardExpiry::new(12, 2030).is_ok());
        assert_eq!(Cvc::new("12").err(), Some(CardError::Cvc));
        assert_eq!(Cvc::new("12a").err(), Some(CardError::Cvc));
        assert!(Cvc::new("1234").is_ok());
    }

    #[test]
    fn deserializing_validates() {
        let ok: Result<PaymentMethod, _> = serde_json::from_str(
            r#"{"card":{"number":"4242424242424242","expiry":{"month":12,"year":2030},"cvc":"123","holder_name":null}}"#,
        );
        assert!(ok.is_ok());
        let bad: Result<PaymentMethod, _> = serde_json::from_str(
            r#"{"card":{"number":"4242424242424241","expiry":{"month":12,"year":2030},"cvc":"123","holder_name":null}}"#,
        );
        let err = bad.expect_err("luhn").to_string();
        assert!(err.contains("Luhn"), "{err}");
        let token: PaymentMethod =
            serde_json::from_str(r#"{"token":"pm_card_visa"}"#).expect("token");
        assert_eq!(token.card_network(), None);
        assert_eq!(format!("{token:?}"), "Token(PaymentMethodToken(pm_…))");
    }
}
