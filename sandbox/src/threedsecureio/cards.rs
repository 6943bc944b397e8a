//! The sandbox test cards of 3dsecure.io (reference §10, `source/sandbox.rst` of
//! clearhaus/3DSv2-api-documentation): the **last four digits** of the PAN choose the behaviour,
//! whatever the digits before them.
//!
//! | digit | meaning |
//! |---|---|
//! | 1st | ACS protocol versions: `0` 2.1.0 – 2.3.1, `1` 2.1.0, `2` 2.2.0, `3` 2.3.1 |
//! | 2nd | 3DS Method: `0` present, `1` missing, `2` present but never completes (timeout) |
//! | 3rd | ARes: `0` Y, `1` N, `2` A, `3` R, `4` I (2.2.0 and later), `5` U, `6` DS timeout, `7` C (challenge) |
//! | 4th | with a challenge: `0` passes by itself (Y), `1` fails by itself (N), `2` manual (a person chooses Y or N); otherwise `3` |
//!
//! Every frictionless test case of the provider's table ends in `3` (`xx03`, `xx13`, …, `xx63`),
//! so the simulator takes a 4th digit other than `3` without a challenge as "no test case".
//! Any suffix outside the table is answered by `/preauth` with an `Erro` (code `203`, naming
//! `acctNumber`) \[U: the provider only says "an error will be given"; not `305`, which the
//! provider reserves for a card that is not enrolled\]. `I` with a 2.1.0-only range is no test
//! case either (`I` needs 2.2.0).
//!
//! [`NOT_ENROLLED`] is the one card whose whole number matters: `/preauth` answers `Erro` `305`.
//!
//! The card scheme (`scheme` in the CRD) comes from the first digits ([`scheme_for`]).

/// `9000100111111111`: not enrolled in 3-D Secure 2 — `/preauth` answers `Erro` `305`
/// "Unknown BIN".
pub const NOT_ENROLLED: &str = "9000100111111111";

/// A not-enrolled card that passes the Luhn check (the provider's [`NOT_ENROLLED`] does not,
/// and core's `CardNumber` refuses it): the simulator answers it as it does
/// [`NOT_ENROLLED`].
pub const NOT_ENROLLED_LUHN: &str = "9000100711111111";

/// `true` for the cards that are not enrolled.
pub fn not_enrolled(pan: &str) -> bool {
    pan == NOT_ENROLLED || pan == NOT_ENROLLED_LUHN
}

/// `pan` with its eighth digit from the right changed so the number passes the Luhn check:
/// the provider's published test cards fail it, and core's `CardNumber` (what a connector
/// sends) requires it. The scheme's leading digits and the last four, which choose the
/// outcome, are kept. \[U: whether the provider's sandbox keeps such a card's behaviour.\]
pub fn luhn_valid(pan: &str) -> String {
    let at = pan.len().saturating_sub(8);
    (0..10u8)
        .map(|digit| {
            let mut candidate = pan.as_bytes().to_vec();
            if let Some(byte) = candidate.get_mut(at) {
                *byte = b'0' + digit;
            }
            String::from_utf8(candidate).unwrap_or_default()
        })
        .find(|candidate| luhn(candidate))
        .unwrap_or_else(|| pan.to_owned())
}

fn luhn(pan: &str) -> bool {
    let sum: u32 = pan
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    !pan.is_empty() && sum.is_multiple_of(10)
}

/// `5000100411110203` (the provider's example): Mastercard, ACS 2.1.0–2.3.1, the 3DS Method
/// never completes (send `threeDSCompInd` `N`), ARes `Y`.
pub const METHOD_TIMEOUT_Y: &str = "5000100411110203";
/// `4000100511112003` (the provider's example): Visa, 2.2.0, 3DS Method, frictionless `Y`.
pub const FRICTIONLESS_METHOD_Y_2_2: &str = "4000100511112003";
/// `6000100611111103` (the provider's example): ProtectBuy, 2.1.0, no 3DS Method
/// (`threeDSCompInd` `U`), frictionless `Y`.
pub const FRICTIONLESS_NO_METHOD_Y_2_1: &str = "6000100611111103";
/// `3000100811111072` (the provider's example): Diners (ProtectBuy DS), 2.1.0, 3DS Method,
/// manual challenge (the RReq says what the person chose).
pub const MANUAL_CHALLENGE_2_1: &str = "3000100811111072";
/// `7000100911112070` (the provider's example): stand-in scheme, 2.2.0, 3DS Method, challenge
/// that passes by itself (RReq `Y`).
pub const AUTO_CHALLENGE_PASS_2_2: &str = "7000100911112070";
/// `3000101011111071` (the provider's example): Diners (ProtectBuy DS), 2.1.0, 3DS Method,
/// challenge that fails by itself (RReq `N`).
pub const AUTO_CHALLENGE_FAIL_2_1: &str = "3000101011111071";

/// Stripe's test cards as the in-process router's 3DS server simulator answers them
/// ([`super::ThreeDSecureIoSimConfig::card_aliases`]): Stripe's test mode refuses the
/// provider's cards (`test_mode_live_card`), so an externally authenticated payment on Stripe's
/// simulator pays with one of these. Checkout.com's simulator takes the provider's cards as
/// they are.
pub const PROCESSOR_TEST_CARDS: &[(&str, &str)] = &[
    // Visa 4242…: frictionless Y.
    (crate::stripe::cards::VISA, VISA_Y),
    // Visa debit: a challenge the cardholder passes or fails on the ACS page.
    (crate::stripe::cards::VISA_DEBIT, VISA_CHALLENGE_MANUAL),
    // Mastercard 5555…: frictionless N.
    (crate::stripe::cards::MASTERCARD, MASTERCARD_N),
];

/// Visa, 2.2.0, 3DS Method, frictionless `Y` (ECI `05`, authentication value).
pub const VISA_Y: &str = "4000100511112003";
/// Visa, 2.2.0, 3DS Method, frictionless `N` (ECI `07`, `transStatusReason` `01`).
pub const VISA_N: &str = "4000100511112013";
/// Visa, 2.2.0, 3DS Method, frictionless `A` (ECI `06`, authentication value).
pub const VISA_A: &str = "4000100511112023";
/// Visa, 2.2.0, 3DS Method, frictionless `R` (ECI `07`, `transStatusReason` `12`).
pub const VISA_R: &str = "4000100511112033";
/// Visa, 2.2.0, 3DS Method, frictionless `I` (ECI `07`).
pub const VISA_I: &str = "4000100511112043";
/// Visa, 2.2.0, 3DS Method, frictionless `U` (ECI `07`, `transStatusReason` `14`).
pub const VISA_U: &str = "4000100511112053";
/// Visa, 2.2.0, 3DS Method, the directory server does not answer: `/auth` answers `Erro` `405`
/// after [`ds_timeout`](super::ThreeDSecureIoSimConfig::ds_timeout).
pub const VISA_DS_TIMEOUT: &str = "4000100511112063";
/// Visa, 2.2.0, 3DS Method, challenge that passes by itself (CRes and RReq `Y`).
pub const VISA_CHALLENGE_PASS: &str = "4000100511112070";
/// Visa, 2.2.0, 3DS Method, challenge that fails by itself (CRes and RReq `N`).
pub const VISA_CHALLENGE_FAIL: &str = "4000100511112071";
/// Visa, 2.2.0, 3DS Method, manual challenge (approve → `Y`, fail → `N`).
pub const VISA_CHALLENGE_MANUAL: &str = "4000100511112072";
/// Mastercard, 2.2.0, 3DS Method, frictionless `Y` (ECI `02`).
pub const MASTERCARD_Y: &str = "5000100511112003";
/// Mastercard, 2.2.0, 3DS Method, frictionless `A` (ECI `01`).
pub const MASTERCARD_A: &str = "5000100511112023";
/// Mastercard, 2.2.0, 3DS Method, frictionless `N` (ECI `00`).
pub const MASTERCARD_N: &str = "5000100511112013";
/// Mastercard, 2.2.0, 3DS Method, challenge that passes by itself (RReq `Y`, ECI `02`).
pub const MASTERCARD_CHALLENGE_PASS: &str = "5000100511112070";
/// American Express (15 digits), 2.2.0, 3DS Method, frictionless `Y` (ECI `05`).
pub const AMEX_Y: &str = "340010051112003";

/// The protocol versions the simulated directory servers and 3DS Server support, oldest first.
pub const SUPPORTED_VERSIONS: [&str; 3] = ["2.1.0", "2.2.0", "2.3.1"];

/// The ACS protocol versions of a card range (1st of the last four digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// `0`: 2.1.0 to 2.3.1.
    All,
    /// `1`: 2.1.0 only.
    V2_1,
    /// `2`: 2.2.0 only.
    V2_2,
    /// `3`: 2.3.1 only.
    V2_3,
}

impl Versions {
    /// The versions of the range, oldest first.
    pub fn list(self) -> &'static [&'static str] {
        match self {
            Versions::All => &SUPPORTED_VERSIONS,
            Versions::V2_1 => &["2.1.0"],
            Versions::V2_2 => &["2.2.0"],
            Versions::V2_3 => &["2.3.1"],
        }
    }

    /// `acsStartProtocolVersion`.
    pub fn start(self) -> &'static str {
        self.list().first().copied().unwrap_or("2.1.0")
    }

    /// `acsEndProtocolVersion`.
    pub fn end(self) -> &'static str {
        self.list().last().copied().unwrap_or("2.1.0")
    }

    /// Whether `version` is in the range.
    pub fn contains(self, version: &str) -> bool {
        self.list().contains(&version)
    }

    fn digit(self) -> char {
        match self {
            Versions::All => '0',
            Versions::V2_1 => '1',
            Versions::V2_2 => '2',
            Versions::V2_3 => '3',
        }
    }
}

/// The 3DS Method of a card range (2nd of the last four digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `0`: `threeDSMethodURL` is given and the method completes (posts back at once).
    Present,
    /// `1`: no `threeDSMethodURL` (send `threeDSCompInd` `U`).
    Missing,
    /// `2`: `threeDSMethodURL` is given but the method never posts back (send `N`).
    Timeout,
}

/// How a challenge ends (4th of the last four digits, with a `7` before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// `0`: the challenge page posts a CRes `Y` by itself.
    AutoPass,
    /// `1`: the challenge page posts a CRes `N` by itself.
    AutoFail,
    /// `2`: the page shows "approve" and "fail" buttons.
    Manual,
}

/// The ARes outcome (3rd of the last four digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `0`: frictionless, authenticated.
    Y,
    /// `1`: frictionless, not authenticated.
    N,
    /// `2`: frictionless, attempts processing performed.
    A,
    /// `3`: frictionless, rejected.
    R,
    /// `4`: informational only (2.2.0 and later).
    I,
    /// `5`: frictionless, could not be performed.
    U,
    /// `6`: the directory server does not answer (`Erro` `405`).
    DsTimeout,
    /// `7`: challenge (`transStatus` `C`).
    Challenge(Challenge),
}

impl Outcome {
    /// The ARes `transStatus`, `None` for a DS timeout.
    pub fn trans_status(self) -> Option<&'static str> {
        Some(match self {
            Outcome::Y => "Y",
            Outcome::N => "N",
            Outcome::A => "A",
            Outcome::R => "R",
            Outcome::I => "I",
            Outcome::U => "U",
            Outcome::DsTimeout => return None,
            Outcome::Challenge(_) => "C",
        })
    }

    fn digits(self) -> (char, char) {
        match self {
            Outcome::Y => ('0', '3'),
            Outcome::N => ('1', '3'),
            Outcome::A => ('2', '3'),
            Outcome::R => ('3', '3'),
            Outcome::I => ('4', '3'),
            Outcome::U => ('5', '3'),
            Outcome::DsTimeout => ('6', '3'),
            Outcome::Challenge(Challenge::AutoPass) => ('7', '0'),
            Outcome::Challenge(Challenge::AutoFail) => ('7', '1'),
            Outcome::Challenge(Challenge::Manual) => ('7', '2'),
        }
    }
}

/// What a test card's last four digits select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCard {
    /// The ACS protocol versions.
    pub versions: Versions,
    /// The 3DS Method.
    pub method: Method,
    /// The ARes outcome (and the challenge's).
    pub outcome: Outcome,
}

impl TestCard {
    /// The test case of `pan`'s last four digits; `None` when they select none (and for
    /// [`NOT_ENROLLED`], which is not enrolled at all).
    pub fn parse(pan: &str) -> Option<TestCard> {
        if not_enrolled(pan) || pan.len() < 4 || !pan.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: Vec<char> = pan[pan.len() - 4..].chars().collect();
        let versions = match digits[0] {
            '0' => Versions::All,
            '1' => Versions::V2_1,
            '2' => Versions::V2_2,
            '3' => Versions::V2_3,
            _ => return None,
        };
        let method = match digits[1] {
            '0' => Method::Present,
            '1' => Method::Missing,
            '2' => Method::Timeout,
            _ => return None,
        };
        let outcome = match (digits[2], digits[3]) {
            ('0', '3') => Outcome::Y,
            ('1', '3') => Outcome::N,
            ('2', '3') => Outcome::A,
            ('3', '3') => Outcome::R,
            ('4', '3') => Outcome::I,
            ('5', '3') => Outcome::U,
            ('6', '3') => Outcome::DsTimeout,
            ('7', '0') => Outcome::Challenge(Challenge::AutoPass),
            ('7', '1') => Outcome::Challenge(Challenge::AutoFail),
            ('7', '2') => Outcome::Challenge(Challenge::Manual),
            _ => return None,
        };
        // `I` exists from 2.2.0 on: a 2.1.0-only range has no such test case.
        if outcome == Outcome::I && versions == Versions::V2_1 {
            return None;
        }
        Some(TestCard {
            versions,
            method,
            outcome,
        })
    }

    /// The last four digits selecting this test case.
    pub fn suffix(&self) -> String {
        let (third, fourth) = self.outcome.digits();
        let second = match self.method {
            Method::Present => '0',
            Method::Missing => '1',
            Method::Timeout => '2',
        };
        [self.versions.digit(), second, third, fourth]
            .into_iter()
            .collect()
    }

    /// A PAN for this test case: `prefix` (its digits choose the scheme, e.g. `400010051111`)
    /// followed by [`suffix`](TestCard::suffix).
    pub fn pan(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.suffix())
    }
}

/// The card scheme of a PAN by its first digits, as the CRD's `scheme`: `4` Visa; `5`, `2`
/// Mastercard; `34`, `37` Amex; `3528`–`3589` JCB; Diners ranges (`300`–`305`, `36`, `38`,
/// `39`) and `6` ProtectBuy (Discover / Diners); anything else `standin` (3dsecure.io's
/// sandbox-only scheme). \[U: a simplification of the real BIN tables.\]
pub fn scheme_for(pan: &str) -> &'static str {
    let prefix = |n: usize| pan.get(..n).and_then(|p| p.parse::<u32>().ok());
    match pan.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5' | b'2') => "mastercard",
        Some(b'6') => "protectbuy",
        Some(b'3') => match (prefix(2), prefix(3), prefix(4)) {
            (Some(34 | 37), _, _) => "amex",
            (_, _, Some(3528..=3589)) => "jcb",
            (Some(36 | 38 | 39), _, _) | (_, Some(300..=305), _) => "protectbuy",
            _ => "standin",
        },
        _ => "standin",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_providers_examples_parse_as_documented() {
        let cases = [
            (
                METHOD_TIMEOUT_Y,
                Versions::All,
                Method::Timeout,
                Outcome::Y,
                "mastercard",
            ),
            (
                FRICTIONLESS_METHOD_Y_2_2,
                Versions::V2_2,
                Method::Present,
                Outcome::Y,
                "visa",
            ),
            (
                FRICTIONLESS_NO_METHOD_Y_2_1,
                Versions::V2_1,
                Method::Missing,
                Outcome::Y,
                "protectbuy",
            ),
            (
                MANUAL_CHALLENGE_2_1,
                Versions::V2_1,
                Method::Present,
                Outcome::Challenge(Challenge::Manual),
                "protectbuy",
            ),
            (
                AUTO_CHALLENGE_PASS_2_2,
                Versions::V2_2,
                Method::Present,
                Outcome::Challenge(Challenge::AutoPass),
                "standin",
            ),
            (
                AUTO_CHALLENGE_FAIL_2_1,
                Versions::V2_1,
                Method::Present,
                Outcome::Challenge(Challenge::AutoFail),
                "protectbuy",
            ),
        ];
        for (pan, versions, method, outcome, scheme) in cases {
            let card = TestCard::parse(pan).expect(pan);
            assert_eq!(
                card,
                TestCard {
                    versions,
                    method,
                    outcome
                },
                "{pan}"
            );
            assert_eq!(scheme_for(pan), scheme, "{pan}");
            assert_eq!(card.pan(&pan[..pan.len() - 4]), pan);
        }
    }

    #[test]
    fn other_suffixes_are_no_test_case() {
        for pan in [
            NOT_ENROLLED,
            "4000100511114003",
            "4000100511115003",
            "4000100511110083",
            "4000100511110000",
            "4000100511110073",
            "4000100511111043",
            "40001005111",
        ] {
            assert_eq!(TestCard::parse(pan), None, "{pan}");
        }
    }

    #[test]
    fn schemes_by_bin() {
        assert_eq!(scheme_for("4111111111111111"), "visa");
        assert_eq!(scheme_for("2221000000000009"), "mastercard");
        assert_eq!(scheme_for("378282246310005"), "amex");
        assert_eq!(scheme_for("3530111333300000"), "jcb");
        assert_eq!(scheme_for("36227206271667"), "protectbuy");
        assert_eq!(scheme_for("3100000000000000"), "standin");
        assert_eq!(scheme_for("9000100111111111"), "standin");
        for pan in [
            VISA_Y,
            MASTERCARD_CHALLENGE_PASS,
            AMEX_Y,
            FRICTIONLESS_NO_METHOD_Y_2_1,
        ] {
            let valid = luhn_valid(pan);
            assert!(luhn(&valid), "{valid}");
            assert_eq!(valid[valid.len() - 4..], pan[pan.len() - 4..]);
            assert_eq!(scheme_for(&valid), scheme_for(pan));
        }
        assert!(luhn(NOT_ENROLLED_LUHN) && !luhn(NOT_ENROLLED));
        assert_eq!(scheme_for(AMEX_Y), "amex");
    }
}
