//! Who pays and where: the customer, billing and shipping contacts, the customer's browser and
//! what the card statement says. Every value is checked when it is built, and every type's
//! `Debug` hides the personal data in it (a country code stays visible), so a request can be
//! logged whole.
//!
//! ```
//! use paybridge_core::details::{Contact, CountryCode, Email, Phone, PostalAddress};
//! let billing = Contact {
//!     address: Some(PostalAddress {
//!         line1: Some("1 Main Street".into()),
//!         city: Some("London".into()),
//!         zip: Some("N1 9GU".into()),
//!         country: Some(CountryCode::new("GB")?),
//!         ..PostalAddress::default()
//!     }),
//!     phone: Some(Phone::new("20 7946 0000", Some("+44"))?),
//!     email: Some(Email::new("ada@example.com")?),
//! };
//! assert_eq!(
//!     format!("{billing:?}"),
//!     "Contact { address: Some(PostalAddress(GB, ***)), phone: Some(Phone(***)), email: Some(Email(***)) }"
//! );
//! # Ok::<(), paybridge_core::details::DetailError>(())
//! ```

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A value that is not what its field allows; the message names the rule, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DetailError(pub String);

fn refuse(why: impl Into<String>) -> DetailError {
    DetailError(why.into())
}

/// An e-mail address: printable ASCII, one `@`, a local part of 1 to 64 characters, a domain of
/// two or more non-empty dot-separated labels, at most 254 characters (RFC 5321's limits; the
/// finer grammar is the mail server's business, and internationalised addresses are refused,
/// as several processors refuse them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// A checked address.
    pub fn new(value: &str) -> Result<Self, DetailError> {
        let invalid = || refuse("must be an e-mail address such as name@example.com");
        if value.len() > 254 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let labels_ok = domain.split('.').count() >= 2
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.contains('@'));
        if local.is_empty() || local.len() > 64 || !labels_ok {
            return Err(invalid());
        }
        Ok(Email(value.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = DetailError;
    fn try_from(value: String) -> Result<Self, DetailError> {
        Email::new(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

/// A telephone number: its digits (4 to 15, E.164's limit; spaces, dots, dashes and brackets
/// are dropped) and, apart, the country calling code as `+` and 1 to 3 digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// Digits only.
    pub number: String,
    /// `+44`, when given.
    pub country_code: Option<String>,
}

impl Phone {
    /// A checked number; `country_code` may be written with or without its `+`.
    pub fn new(number: &str, country_code: Option<&str>) -> Result<Self, DetailError> {
        let mut digits = String::with_capacity(number.len());
        for c in number.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(refuse(
                        "may hold only digits, spaces, dots, dashes and brackets",
                    ))
                }
            }
        }
        if !(4..=15).contains(&digits.len()) {
            return Err(refuse("must have 4 to 15 digits"));
        }
        let country_code = country_code
            .map(|code| {
                let bare = code.strip_prefix('+').unwrap_or(code);
                let valid =
                    (1..=3).contains(&bare.len()) && bare.bytes().all(|b| b.is_ascii_digit());
                valid
                    .then(|| format!("+{bare}"))
                    .ok_or_else(|| refuse("country code must be + and 1 to 3 digits, e.g. +44"))
            })
            .transpose()?;
        Ok(Phone {
            number: digits,
            country_code,
        })
    }

    /// The number in E.164 form (`+442079460000`) when the country code is known, else the
    /// national digits.
    pub fn e164(&self) -> String {
        match &self.country_code {
            Some(code) => format!("{code}{}", self.number),
            None => self.number.clone(),
        }
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

/// The ISO 3166-1 alpha-2 codes (assigned, plus the exceptionally reserved ones processors use
/// none of): 249 of them.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

/// An ISO 3166-1 alpha-2 country code, in upper case as the standard writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// A code from the ISO 3166-1 list; `gb` is refused, not guessed.
    pub fn new(code: &str) -> Result<Self, DetailError> {
        let known = code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && COUNTRIES.split(' ').any(|c| c == code);
        match code.as_bytes() {
            [a, b] if known => Ok(CountryCode([*a, *b])),
            _ => Err(refuse(
                "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. GB",
            )),
        }
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl TryFrom<String> for CountryCode {
    type Error = DetailError;
    fn try_from(value: String) -> Result<Self, DetailError> {
        CountryCode::new(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> String {
        value.as_str().to_owned()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A postal address, with the name of the person at it. Every part is optional: processors
/// differ in what they require, and say so when something is missing.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// First line.
    pub line1: Option<String>,
    /// Second line.
    pub line2: Option<String>,
    /// Third line.
    pub line3: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// State, county or province.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country.
    pub country: Option<CountryCode>,
}

impl PostalAddress {
    /// `first_name last_name`, or whichever is given (a blank name is none).
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|name| !name.trim().is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The text parts in declaration order: first and last name, three lines, city, state,
    /// zip.
    pub fn parts(&self) -> [Option<&str>; 8] {
        [
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.line1.as_deref(),
            self.line2.as_deref(),
            self.line3.as_deref(),
            self.city.as_deref(),
            self.state.as_deref(),
            self.zip.as_deref(),
        ]
    }

    /// The second line with the third after it (`"line2, line3"`), for processors whose
    /// addresses have two lines: nothing is dropped. Blank lines are left out.
    pub fn second_line(&self) -> Option<std::borrow::Cow<'_, str>> {
        fn given(line: &Option<String>) -> Option<&str> {
            line.as_deref().filter(|l| !l.trim().is_empty())
        }
        match (given(&self.line2), given(&self.line3)) {
            (Some(two), Some(three)) => Some(std::borrow::Cow::Owned(format!("{two}, {three}"))),
            (two, three) => two.or(three).map(std::borrow::Cow::Borrowed),
        }
    }

    /// `true` when no line, city, state, zip or country is given (a name alone is no address).
    pub fn has_no_location(&self) -> bool {
        self.line1.is_none()
            && self.line2.is_none()
            && self.line3.is_none()
            && self.city.is_none()
            && self.state.is_none()
            && self.zip.is_none()
            && self.country.is_none()
    }
}

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.country {
            Some(country) => write!(f, "PostalAddress({country}, ***)"),
            None => f.write_str("PostalAddress(***)"),
        }
    }
}

/// The API's names of a billing address's parts, in [`PostalAddress::parts`] order (for
/// errors that name the field).
pub const BILLING_ADDRESS_FIELDS: [&str; 8] = [
    "billing.address.first_name",
    "billing.address.last_name",
    "billing.address.line1",
    "billing.address.line2",
    "billing.address.line3",
    "billing.address.city",
    "billing.address.state",
    "billing.address.zip",
];

/// The API's names of a shipping address's parts, in [`PostalAddress::parts`] order.
pub const SHIPPING_ADDRESS_FIELDS: [&str; 8] = [
    "shipping.address.first_name",
    "shipping.address.last_name",
    "shipping.address.line1",
    "shipping.address.line2",
    "shipping.address.line3",
    "shipping.address.city",
    "shipping.address.state",
    "shipping.address.zip",
];

/// Where and how to reach someone: the public API's `billing` and `shipping` objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The address.
    pub address: Option<PostalAddress>,
    /// A telephone number.
    pub phone: Option<Phone>,
    /// An e-mail address.
    pub email: Option<Email>,
}

/// The paying customer, as the merchant knows them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The merchant's id of the customer (1 to 64 characters).
    pub id: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address (where the processor sends receipts, if it does).
    pub email: Option<Email>,
    /// Telephone number.
    pub phone: Option<Phone>,
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The merchant's id is not personal data by itself, and says which customer a log is about.
        f.debug_struct("Customer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What the customer's browser or app said about itself, for 3-D Secure and fraud checks.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserInfo {
    /// Screen colour depth in bits.
    pub color_depth: Option<u8>,
    /// Whether Java is enabled.
    pub java_enabled: Option<bool>,
    /// Whether JavaScript is enabled.
    pub java_script_enabled: Option<bool>,
    /// The browser's language (BCP 47).
    pub language: Option<String>,
    /// Screen height in pixels.
    pub screen_height: Option<u32>,
    /// Screen width in pixels.
    pub screen_width: Option<u32>,
    /// Minutes from UTC (`Date.getTimezoneOffset()`, so UTC+1 is -60).
    pub time_zone: Option<i32>,
    /// The customer's IP address.
    pub ip_address: Option<IpAddr>,
    /// The HTTP `Accept` header.
    pub accept_header: Option<String>,
    /// The HTTP `User-Agent` header.
    pub user_agent: Option<String>,
    /// Operating system.
    pub os_type: Option<String>,
    /// Its version.
    pub os_version: Option<String>,
    /// Device model.
    pub device_model: Option<String>,
    /// The HTTP `Accept-Language` header.
    pub accept_language: Option<String>,
    /// The HTTP `Referer` header.
    pub referer: Option<String>,
}

impl fmt::Debug for BrowserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BrowserInfo(***)")
    }
}

/// What the customer's card statement shows, where the processor lets the merchant choose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementDescriptor {
    /// The whole descriptor, replacing the account's default.
    pub name: Option<String>,
    /// Appended to the account's default prefix.
    pub suffix: Option<String>,
}

/// A detail of a payment that a connector may pass on to its processor. Capabilities list the
/// ones each connector forwards ([`crate::Capabilities::forwards`]); the others are kept by the
/// router but never reach that processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentDetail {
    /// [`Customer::id`], as the processor's own customer reference.
    CustomerId,
    /// [`Customer::name`].
    CustomerName,
    /// [`Customer::email`].
    CustomerEmail,
    /// [`Customer::phone`].
    CustomerPhone,
    /// The billing [`PostalAddress`].
    BillingAddress,
    /// The billing [`Phone`].
    BillingPhone,
    /// The billing [`Email`].
    BillingEmail,
    /// The shipping [`PostalAddress`].
    ShippingAddress,
    /// The shipping [`Phone`].
    ShippingPhone,
    /// The payment's description.
    Description,
    /// [`StatementDescriptor::name`].
    StatementDescriptorName,
    /// [`StatementDescriptor::suffix`].
    StatementDescriptorSuffix,
    /// [`BrowserInfo::ip_address`].
    IpAddress,
}

impl PaymentDetail {
    /// Every detail, in declaration order.
    pub const ALL: [PaymentDetail; 13] = [
        PaymentDetail::CustomerId,
        PaymentDetail::CustomerName,
        PaymentDetail::CustomerEmail,
        PaymentDetail::CustomerPhone,
        PaymentDetail::BillingAddress,
        PaymentDetail::BillingPhone,
        PaymentDetail::BillingEmail,
        PaymentDetail::ShippingAddress,
        PaymentDetail::ShippingPhone,
        PaymentDetail::Description,
        PaymentDetail::StatementDescriptorName,
        PaymentDetail::StatementDescriptorSuffix,
        PaymentDetail::IpAddress,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for ok in ["a@b.co", "first.last+tag@mail.example.org"] {
            assert_eq!(
                Email::new(ok).map(|e| e.as_str().to_owned()),
                Ok(ok.to_owned())
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@example",
            "a@.example.com",
            "a@example.com.",
            "a b@example.com",
            "a@b@example.com",
            "a@example..com",
            "ad\u{e9}le@example.com",
            "a@ex\u{e4}mple.com",
            long_local.as_str(),
        ] {
            assert!(Email::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_keep_digits_and_a_plus_prefixed_country_code() {
        let phone = Phone::new("(020) 7946-0000", Some("44")).expect("valid");
        assert_eq!(phone.number, "02079460000");
        assert_eq!(phone.country_code.as_deref(), Some("+44"));
        assert_eq!(phone.e164(), "+4402079460000");
        assert_eq!(
            Phone::new("9123456789", None).expect("valid").e164(),
            "9123456789"
        );
        for (number, code) in [
            ("123", None),
            ("1234567890123456", None),
            ("12a456", None),
            ("123456", Some("+1234")),
            ("123456", Some("one")),
            ("123456", Some("+")),
        ] {
            assert!(Phone::new(number, code).is_err(), "{number} {code:?}");
        }
    }

    #[test]
    fn country_codes_are_upper_case_iso_3166_alpha_2() {
        assert_eq!(COUNTRIES.split(' ').count(), 249);
        assert_eq!(
            CountryCode::new("GB").map(|c| c.to_string()),
            Ok("GB".to_owned())
        );
        for bad in ["gb", "UK", "GBR", "G", "", "ZZ", "1A"] {
            assert!(CountryCode::new(bad).is_err(), "{bad}");
        }
        let json: Result<CountryCode, _> = serde_json::from_str("\"XX\"");
        assert!(json.is_err());
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let customer = Customer {
            id: Some("cus_42".into()),
            name: Some("Ada Lovelace".into()),
            email: Some(Email::new("ada@example.com").expect("valid")),
            phone: Some(Phone::new("2079460000", Some("+44")).expect("valid")),
        };
        let address = PostalAddress {
            first_name: Some("Ada".into()),
            line1: Some("12 Marylebone Road".into()),
            zip: Some("NW1 5LR".into()),
            country: Some(CountryCode::new("GB").expect("valid")),
            ..PostalAddress::default()
        };
        let browser = BrowserInfo {
            ip_address: Some("203.0.113.9".parse().expect("an address")),
            user_agent: Some("Mozilla/5.0".into()),
            ..BrowserInfo::default()
        };
        let printed = format!("{customer:?} {address:?} {browser:?}");
        for secret in [
            "Ada",
            "Lovelace",
            "ada@",
            "2079460000",
            "Marylebone",
            "NW1",
            "203.0.113",
            "Mozilla",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(
            printed.contains("cus_42") && printed.contains("GB"),
            "{printed}"
        );
    }

    #[test]
    fn the_third_line_follows_the_second() {
        let mut address = PostalAddress {
            line2: Some("Flat 7".into()),
            line3: Some("Block B".into()),
            ..PostalAddress::default()
        };
        assert_eq!(address.second_line().as_deref(), Some("Flat 7, Block B"));
        address.line2 = Some("  ".into());
        assert_eq!(address.second_line().as_deref(), Some("Block B"));
        address.line3 = None;
        assert_eq!(address.second_line(), None);
    }

    #[test]
    fn full_names_join_what_is_given() {
        let mut address = PostalAddress {
            first_name: Some("Ada".into()),
            ..PostalAddress::default()
        };
        assert_eq!(address.full_name().as_deref(), Some("Ada"));
        assert!(address.has_no_location());
        address.last_name = Some("Lovelace".into());
        address.city = Some("London".into());
        assert_eq!(address.full_name().as_deref(), Some("Ada Lovelace"));
        address.first_name = Some("  ".into());
        assert_eq!(address.full_name().as_deref(), Some("Lovelace"));
        assert!(!address.has_no_location());
    }
}
