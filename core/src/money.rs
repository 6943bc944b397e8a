//! Exact money: integer minor units and ISO-4217 currencies with their exponents.
//!
//! No floating point anywhere: an amount is an `i64` count of the currency's minor unit
//! (cents for USD, yen for JPY, fils for KWD), never negative, and arithmetic is checked.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an amount or currency was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Amounts are never negative; a refund or a decrease is its own operation.
    #[error("amount {0} is negative")]
    Negative(i64),
    /// The result does not fit in an `i64` count of minor units.
    #[error("amount arithmetic overflowed")]
    Overflow,
    /// A subtraction would go below zero.
    #[error("amount {minuend} minus {subtrahend} would be negative")]
    Underflow {
        /// The amount subtracted from.
        minuend: i64,
        /// The amount subtracted.
        subtrahend: i64,
    },
    /// A decimal string is not a valid amount in this currency.
    #[error("{input:?} is not a valid {currency} amount: {reason}")]
    InvalidDecimal {
        /// The rejected input.
        input: String,
        /// The currency it was parsed for.
        currency: Currency,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The currency code is not one paybridge knows.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
}

/// A non-negative amount in the minor unit of some currency.
///
/// The currency is carried next to the amount (requests have a `currency` field) rather than
/// inside it, as the processors' wire formats do.
///
/// ```
/// use paybridge_core::{Currency, MinorUnit};
/// let total = MinorUnit::new(1050)?.checked_add(MinorUnit::new(25)?)?;
/// assert_eq!(total.to_major_string(Currency::USD), "10.75");
/// assert_eq!(MinorUnit::new(-1).is_err(), true);
/// # Ok::<(), paybridge_core::AmountError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct MinorUnit(i64);

impl MinorUnit {
    /// Zero in any currency.
    pub const ZERO: MinorUnit = MinorUnit(0);

    /// An amount of `value` minor units; negative values are rejected.
    pub fn new(value: i64) -> Result<Self, AmountError> {
        if value < 0 {
            Err(AmountError::Negative(value))
        } else {
            Ok(MinorUnit(value))
        }
    }

    /// The count of minor units.
    pub fn get(self) -> i64 {
        self.0
    }

    /// `true` for zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or [`AmountError::Overflow`].
    pub fn checked_add(self, other: MinorUnit) -> Result<MinorUnit, AmountError> {
        self.0
            .checked_add(other.0)
            .map(MinorUnit)
            .ok_or(AmountError::Overflow)
    }

    /// `self - other`, or [`AmountError::Underflow`] when the result would be negative.
    pub fn checked_sub(self, other: MinorUnit) -> Result<MinorUnit, AmountError> {
        if other.0 > self.0 {
            return Err(AmountError::Underflow {
                minuend: self.0,
                subtrahend: other.0,
            });
        }
        Ok(MinorUnit(self.0 - other.0))
    }

    /// The amount as a decimal string in major units, e.g. `1050` USD → `"10.50"`,
    /// `100` JPY → `"100"`, `1234` KWD → `"1.234"`.
    pub fn to_major_string(self, currency: Currency) -> String {
        let exponent = u32::from(currency.exponent());
        if exponent == 0 {
            return self.0.to_string();
        }
        let divisor = 10_i64.pow(exponent);
        format!(
            "{}.{:0width$}",
            self.0 / divisor,
            self.0 % divisor,
            width = exponent as usize
        )
    }

    /// Parses a major-unit decimal string exactly: `"10.5"` USD → `1050`. More fraction
    /// digits than the currency has, signs, exponents and empty parts are rejected.
    pub fn from_major_str(input: &str, currency: Currency) -> Result<MinorUnit, AmountError> {
        let invalid = |reason| AmountError::InvalidDecimal {
            input: input.to_owned(),
            currency,
            reason,
        };
        let (whole, fraction) = match input.split_once('.') {
            Some((w, f)) => (w, f),
            None => (input, ""),
        };
        let exponent = usize::from(currency.exponent());
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expected digits before the decimal point"));
        }
        if input.contains('.')
            && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid("expected digits after the decimal point"));
        }
        if fraction.len() > exponent {
            return Err(invalid("more decimal places than the currency has"));
        }
        let whole: i64 = whole.parse().map_err(|_| AmountError::Overflow)?;
        let mut minor = whole
            .checked_mul(10_i64.pow(exponent as u32))
            .ok_or(AmountError::Overflow)?;
        if !fraction.is_empty() {
            let padded = format!("{fraction:0<exponent$}");
            let frac: i64 = padded.parse().map_err(|_| invalid("bad fraction"))?;
            minor = minor.checked_add(frac).ok_or(AmountError::Overflow)?;
        }
        Ok(MinorUnit(minor))
    }
}

impl TryFrom<i64> for MinorUnit {
    type Error = AmountError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        MinorUnit::new(value)
    }
}

impl From<MinorUnit> for i64 {
    fn from(value: MinorUnit) -> i64 {
        value.0
    }
}

impl fmt::Display for MinorUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for MinorUnit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        MinorUnit::new(value).map_err(serde::de::Error::custom)
    }
}

macro_rules! currencies {
    ($($code:ident = $exp:literal),+ $(,)?) => {
        /// An ISO-4217 currency of the public API's currency list, with its minor-unit exponent.
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Currency {
            $(
                #[doc = concat!("ISO-4217 `", stringify!($code), "`, exponent ", stringify!($exp), ".")]
                $code,
            )+
        }

        impl Currency {
            /// Every supported currency, in code order. (Not a constant named `ALL`: that is the
            /// Albanian lek.)
            pub fn all() -> &'static [Currency] {
                &[$(Currency::$code),+]
            }

            /// The three-letter ISO code, upper case.
            pub fn code(self) -> &'static str {
                match self { $(Currency::$code => stringify!($code)),+ }
            }

            /// Number of decimal places of the minor unit (ISO-4217): JPY 0, USD 2, KWD 3.
            pub fn exponent(self) -> u8 {
                match self { $(Currency::$code => $exp),+ }
            }
        }

        impl FromStr for Currency {
            type Err = AmountError;
            /// Parses a three-letter code, case-insensitively (Stripe sends `usd`).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Upper-case into a stack buffer: parsing runs on every processor answer.
                let unknown = || AmountError::UnknownCurrency(s.to_owned());
                let bytes: [u8; 3] = s.as_bytes().try_into().map_err(|_| unknown())?;
                let upper = bytes.map(|b| b.to_ascii_uppercase());
                match std::str::from_utf8(&upper).map_err(|_| unknown())? {
                    $(stringify!($code) => Ok(Currency::$code),)+
                    _ => Err(unknown()),
                }
            }
        }
    };
}

// Exponents from ISO 4217 (list one, 2024). Processors sometimes deviate (Stripe treats ISK
// as zero-decimal but wants it sent times 100); such quirks belong in the connector.
currencies! {
    AED = 2, AFN = 2, ALL = 2, AMD = 2, ANG = 2, AOA = 2, ARS = 2, AUD = 2, AWG = 2, AZN = 2,
    BAM = 2, BBD = 2, BDT = 2, BGN = 2, BHD = 3, BIF = 0, BMD = 2, BND = 2, BOB = 2, BRL = 2,
    BSD = 2, BTN = 2, BWP = 2, BYN = 2, BZD = 2, CAD = 2, CDF = 2, CHF = 2, CLF = 4, CLP = 0,
    CNY = 2, COP = 2, CRC = 2, CUC = 2, CUP = 2, CVE = 2, CZK = 2, DJF = 0, DKK = 2, DOP = 2,
    DZD = 2, EGP = 2, ERN = 2, ETB = 2, EUR = 2, FJD = 2, FKP = 2, GBP = 2, GEL = 2, GHS = 2,
    GIP = 2, GMD = 2, GNF = 0, GTQ = 2, GYD = 2, HKD = 2, HNL = 2, HRK = 2, HTG = 2, HUF = 2,
    IDR = 2, ILS = 2, INR = 2, IQD = 3, IRR = 2, ISK = 0, JMD = 2, JOD = 3, JPY = 0, KES = 2,
    KGS = 2, KHR = 2, KMF = 0, KPW = 2, KRW = 0, KWD = 3, KYD = 2, KZT = 2, LAK = 2, LBP = 2,
    LKR = 2, LRD = 2, LSL = 2, LYD = 3, MAD = 2, MDL = 2, MGA = 2, MKD = 2, MMK = 2, MNT = 2,
    MOP = 2, MRU = 2, MUR = 2, MVR = 2, MWK = 2, MXN = 2, MYR = 2, MZN = 2, NAD = 2, NGN = 2,
    NIO = 2, NOK = 2, NPR = 2, NZD = 2, OMR = 3, PAB = 2, PEN = 2, PGK = 2, PHP = 2, PKR = 2,
    PLN = 2, PYG = 0, QAR = 2, RON = 2, RSD = 2, RUB = 2, RWF = 0, SAR = 2, SBD = 2, SCR = 2,
    SDG = 2, SEK = 2, SGD = 2, SHP = 2, SLE = 2, SLL = 2, SOS = 2, SRD = 2, SSP = 2, STD = 2,
    STN = 2, SVC = 2, SYP = 2, SZL = 2, THB = 2, TJS = 2, TMT = 2, TND = 3, TOP = 2, TRY = 2,
    TTD = 2, TWD = 2, TZS = 2, UAH = 2, UGX = 0, USD = 2, UYU = 2, UZS = 2, VES = 2, VND = 0,
    VUV = 0, WST = 2, XAF = 0, XCD = 2, XOF = 0, XPF = 0, YER = 2, ZAR = 2, ZMW = 2, ZWL = 2,
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: i64) -> MinorUnit {
        MinorUnit::new(v).expect("valid")
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::JPY.exponent(), 0);
        assert_eq!(Currency::USD.exponent(), 2);
        assert_eq!(Currency::KWD.exponent(), 3);
        assert_eq!(Currency::BHD.exponent(), 3);
        assert_eq!(Currency::CLF.exponent(), 4);
        assert_eq!(Currency::all().len(), 160);
        assert_eq!(Currency::ALL.exponent(), 2);
    }

    #[test]
    fn major_strings_are_exact() {
        assert_eq!(m(1050).to_major_string(Currency::USD), "10.50");
        assert_eq!(m(5).to_major_string(Currency::USD), "0.05");
        assert_eq!(m(100).to_major_string(Currency::JPY), "100");
        assert_eq!(m(1234).to_major_string(Currency::KWD), "1.234");
        assert_eq!(
            m(i64::MAX).to_major_string(Currency::USD),
            "92233720368547758.07"
        );
    }

    #[test]
    fn major_strings_parse_exactly() {
        assert_eq!(
            MinorUnit::from_major_str("10.5", Currency::USD),
            Ok(m(1050))
        );
        assert_eq!(MinorUnit::from_major_str("10", Currency::USD), Ok(m(1000)));
        assert_eq!(
            MinorUnit::from_major_str("1.234", Currency::KWD),
            Ok(m(1234))
        );
        assert_eq!(MinorUnit::from_major_str("100", Currency::JPY), Ok(m(100)));
        for bad in ["1.005", "-1", "", ".5", "1.", "1e3", "0x10", " 1"] {
            assert!(
                MinorUnit::from_major_str(bad, Currency::USD).is_err(),
                "{bad:?} accepted"
            );
        }
        assert!(MinorUnit::from_major_str("1.5", Currency::JPY).is_err());
        assert_eq!(
            MinorUnit::from_major_str("92233720368547758.08", Currency::USD),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn negative_and_overflowing_amounts_are_rejected() {
        assert_eq!(MinorUnit::new(-5), Err(AmountError::Negative(-5)));
        assert_eq!(m(i64::MAX).checked_add(m(1)), Err(AmountError::Overflow));
        assert!(matches!(
            m(5).checked_sub(m(6)),
            Err(AmountError::Underflow { .. })
        ));
        assert_eq!(m(6).checked_sub(m(5)), Ok(m(1)));
        assert!(serde_json::from_str::<MinorUnit>("-1").is_err());
        assert!(serde_json::from_str::<MinorUnit>("1.5").is_err());
        assert!(serde_json::from_str::<MinorUnit>("99999999999999999999").is_err());
        assert_eq!(serde_json::from_str::<MinorUnit>("42").ok(), Some(m(42)));
    }

    #[test]
    fn currency_codes_round_trip() {
        for c in Currency::all() {
            assert_eq!(c.code().parse::<Currency>(), Ok(*c));
            let json = serde_json::to_string(c).expect("serialize");
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert_eq!("usd".parse::<Currency>(), Ok(Currency::USD));
        assert!(matches!(
            "XXX".parse::<Currency>(),
            Err(AmountError::UnknownCurrency(_))
        ));
    }
}
