//! The simulator's checks of the requests it receives, from the provider's field tables
//! (`specs/threedsecureio-3ds-server-fields.json`, tables `areq_210`, `areq_220`, `areq_231`,
//! `preauth`, `postauth`, `creq`), written out here because the sandbox does not read the file
//! at run time.
//!
//! What is checked of an AReq (browser channel, `deviceChannel` `02`):
//! - the fields the table requires for its `messageVersion`, `deviceChannel` and
//!   `messageCategory`, and the conditional ones whose condition is plain (browser details when
//!   `browserJavascriptEnabled` is true, purchase fields for payments and for recurring or
//!   instalment authentications, `shipAddrCountry` with `shipAddrState`, sources of
//!   `payTokenInd`, `whiteListStatus`, the decoupled maximum time): missing → `201`;
//! - the format of every field the table constrains that is present (type, enum, regex,
//!   lengths, dates, URLs, UUID, IP, e-mail, phone objects, message extensions): invalid →
//!   `203`; a critical message extension → `202` (the simulator recognises none).
//!
//! Fields the table does not list are ignored, as the provider's own sandbox accepts its
//! "Basic Browser Example" (a 2.1.0 AReq carrying the 2.2.0 field `browserJavascriptEnabled`).
//! `notificationURL` and `threeDSRequestorURL` may be `http` in every version, although 2.3.1
//! asks for https, so local tests can use plain HTTP \[simulator choice\].

use serde_json::{Map, Value};

/// An `Erro` to answer: the code, its description and the detail (the fields concerned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub code: &'static str,
    pub description: String,
    pub detail: String,
}

impl Problem {
    /// `code` with its standard description and `detail`.
    pub fn new(code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            code,
            description: describe(code).to_owned(),
            detail: detail.into(),
        }
    }

    /// `code` with a description of our own.
    pub fn described(
        code: &'static str,
        description: impl Into<String>,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            code,
            description: description.into(),
            detail: detail.into(),
        }
    }

    /// `201`: the detail names the missing fields, comma-separated.
    pub fn missing(fields: &[&str]) -> Problem {
        Problem::new("201", fields.join(","))
    }

    /// `203`: the detail names the invalid fields, the description says why.
    pub fn invalid(problems: &[(String, String)]) -> Problem {
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        let reasons: Vec<String> = problems
            .iter()
            .map(|(f, why)| format!("{f} {why}"))
            .collect();
        Problem::described(
            "203",
            format!("{} ({})", describe("203"), reasons.join("; ")),
            fields.join(","),
        )
    }

    /// `203` for one field.
    pub fn invalid_field(field: &str, why: &str) -> Problem {
        Problem::invalid(&[(field.to_owned(), why.to_owned())])
    }
}

/// The EMV error codes' meanings (reference §8).
pub(crate) fn describe(code: &str) -> &'static str {
    match code {
        "101" => "Message Received Invalid",
        "102" => "Message Version Number Not Supported",
        "103" => "Sent Messages Limit Exceeded",
        "201" => "Required Data Element Missing",
        "202" => "Critical Message Extension Not Recognised",
        "203" => {
            "Format or value of one or more Data Elements is Invalid according to the Specification"
        }
        "204" => "Duplicate Data Element",
        "301" => "Transaction ID Not Recognised",
        "302" => "Data Decryption Failure",
        "303" => "Access Denied, Invalid Endpoint",
        "304" => "ISO Code Invalid",
        "305" => "Transaction data not valid",
        "306" => "MCC Not Valid for Payment System",
        "307" => "Serial Number not Valid",
        "402" => "Transaction Timed Out",
        "403" => "Transient System Failure",
        "404" => "Permanent System Failure",
        "405" => "System Connection Failure",
        _ => "Error",
    }
}

/// How a field's value must look.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// A string of `min..=max` characters.
    Text(usize, usize),
    /// A string of `min..=max` ASCII digits.
    Digits(usize, usize),
    /// One of the strings.
    OneOf(&'static [&'static str]),
    /// A JSON boolean.
    Bool,
    /// An absolute http(s) URL of at most this many characters.
    Url(usize),
    /// A UUID (8-4-4-4-12 hex digits).
    Uuid,
    /// `YYMM`.
    YearMonth,
    /// `YYYYMMDD`.
    Date,
    /// `YYYYMMDDHHMMSS`.
    DateTime,
    /// Two digits within one of the inclusive ranges.
    Code(&'static [(u8, u8)]),
    /// `^[+-]?[0-9]{1,4}$`.
    TimeZone,
    /// An IPv4 or IPv6 address of at most 45 characters.
    Ip,
    /// An e-mail address of at most 254 characters.
    Email,
    /// A PhoneNumber object: `cc` 1–3 digits, `subscriber` 1–12 digits.
    Phone,
    /// An array of at most 10 MessageExtension objects.
    Extensions,
    /// A JSON object (its members are not checked).
    Object,
    /// An array of strings.
    StringArray,
}

const DS: &[&str] = &[
    "standin",
    "visa",
    "mastercard",
    "jcb",
    "upi",
    "amex",
    "protectbuy",
    "sbn",
];
const COLOR_DEPTHS: &[&str] = &["1", "4", "8", "15", "16", "24", "32", "48"];

/// The AReq fields whose format the simulator checks (those of `deviceChannel`, `messageType`,
/// `messageVersion`, `messageCategory` are checked first, separately).
const AREQ_FORMATS: &[(&str, Format)] = &[
    ("acctID", Format::Text(0, 64)),
    ("acctInfo", Format::Object),
    ("acctNumber", Format::Digits(13, 19)),
    ("acctType", Format::Code(&[(1, 3), (80, 99)])),
    ("acquirerBIN", Format::Text(0, 11)),
    ("acquirerMerchantID", Format::Text(0, 35)),
    ("acceptLanguage", Format::StringArray),
    ("acquirerCountryCode", Format::Digits(3, 3)),
    ("acquirerCountryCodeSource", Format::Digits(2, 2)),
    ("addrMatch", Format::OneOf(&["Y", "N"])),
    ("billAddrCity", Format::Text(0, 50)),
    ("billAddrCountry", Format::Digits(3, 3)),
    ("billAddrLine1", Format::Text(0, 50)),
    ("billAddrLine2", Format::Text(0, 50)),
    ("billAddrLine3", Format::Text(0, 50)),
    ("billAddrPostCode", Format::Text(0, 16)),
    ("billAddrState", Format::Text(0, 3)),
    ("browserAcceptHeader", Format::Text(1, 2048)),
    ("browserColorDepth", Format::OneOf(COLOR_DEPTHS)),
    ("browserIP", Format::Ip),
    ("browserJavaEnabled", Format::Bool),
    ("browserJavascriptEnabled", Format::Bool),
    ("browserLanguage", Format::Text(1, 8)),
    ("browserScreenHeight", Format::Digits(1, 6)),
    ("browserScreenWidth", Format::Digits(1, 6)),
    ("browserTZ", Format::TimeZone),
    ("browserUserAgent", Format::Text(1, 2048)),
    ("cardExpiryDate", Format::YearMonth),
    ("cardholderName", Format::Text(2, 45)),
    ("ds", Format::OneOf(DS)),
    ("email", Format::Email),
    ("homePhone", Format::Phone),
    ("mcc", Format::Digits(4, 4)),
    ("merchantCountryCode", Format::Digits(3, 3)),
    ("merchantName", Format::Text(0, 40)),
    ("merchantRiskIndicator", Format::Object),
    ("messageExtension", Format::Extensions),
    ("mobilePhone", Format::Phone),
    ("notificationURL", Format::Url(256)),
    ("payTokenInd", Format::Bool),
    ("payTokenSource", Format::Code(&[(1, 2), (80, 99)])),
    ("purchaseAmount", Format::Digits(0, 48)),
    ("purchaseCurrency", Format::Digits(3, 3)),
    ("purchaseDate", Format::DateTime),
    ("purchaseExponent", Format::Digits(1, 1)),
    ("purchaseInstalData", Format::Digits(1, 3)),
    ("recurringExpiry", Format::Date),
    ("recurringFrequency", Format::Digits(0, 4)),
    ("shipAddrCity", Format::Text(0, 50)),
    ("shipAddrCountry", Format::Digits(3, 3)),
    ("shipAddrLine1", Format::Text(0, 50)),
    ("shipAddrLine2", Format::Text(0, 50)),
    ("shipAddrLine3", Format::Text(0, 50)),
    ("shipAddrPostCode", Format::Text(0, 16)),
    ("shipAddrState", Format::Text(0, 3)),
    ("threeDSCompInd", Format::OneOf(&["Y", "N", "U"])),
    ("threeDSReqAuthMethodInd", Format::Code(&[(1, 3), (80, 99)])),
    ("threeDSRequestorAuthenticationInfo", Format::Object),
    (
        "threeDSRequestorChallengeInd",
        Format::Code(&[(1, 9), (80, 99)]),
    ),
    ("threeDSRequestorDecMaxTime", Format::Digits(5, 5)),
    ("threeDSRequestorDecReqInd", Format::OneOf(&["Y", "N"])),
    ("threeDSRequestorPriorAuthenticationInfo", Format::Object),
    ("threeDSRequestorURL", Format::Url(2048)),
    ("threeDSServerTransID", Format::Uuid),
    ("transType", Format::OneOf(&["01", "03", "10", "11", "28"])),
    (
        "whiteListStatus",
        Format::OneOf(&["Y", "N", "E", "P", "R", "U"]),
    ),
    ("whiteListStatusSource", Format::Code(&[(1, 3), (80, 99)])),
    ("workPhone", Format::Phone),
];

/// Where the AReq's purchase and recurring fields become required through
/// `threeDSRequestorAuthenticationInd` (tables' conditions).
fn recurring_indicators(version: &str) -> &'static [&'static str] {
    match version {
        "2.3.1" => &["02", "03", "07", "08", "09"],
        _ => &["02", "03"],
    }
}

/// The fields an AReq of `version` (browser channel, category `category`) must carry.
fn required_areq_fields(
    version: &str,
    category: &str,
    areq: &Map<String, Value>,
) -> Vec<&'static str> {
    let mut required = vec![
        "threeDSServerTransID",
        "acctNumber",
        "deviceChannel",
        "messageCategory",
        "messageType",
        "messageVersion",
        "threeDSCompInd",
        "threeDSRequestorAuthenticationInd",
        "threeDSRequestorURL",
        "notificationURL",
        "browserAcceptHeader",
        "browserUserAgent",
    ];
    const BROWSER: [&str; 5] = [
        "browserColorDepth",
        "browserJavaEnabled",
        "browserScreenHeight",
        "browserScreenWidth",
        "browserTZ",
    ];
    let javascript = areq.get("browserJavascriptEnabled") == Some(&Value::Bool(true));
    match version {
        "2.1.0" => {
            required.extend(BROWSER);
            required.push("browserLanguage");
        }
        "2.2.0" => {
            required.extend(["browserJavascriptEnabled", "browserLanguage"]);
            if javascript {
                required.extend(BROWSER);
            }
        }
        _ => {
            required.extend([
                "browserJavascriptEnabled",
                "acceptLanguage",
                "acquirerCountryCode",
                "acquirerCountryCodeSource",
            ]);
            if javascript {
                required.extend(BROWSER);
                required.push("browserLanguage");
            }
        }
    }
    const PURCHASE: [&str; 4] = [
        "purchaseAmount",
        "purchaseCurrency",
        "purchaseExponent",
        "purchaseDate",
    ];
    let auth_ind = areq
        .get("threeDSRequestorAuthenticationInd")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if category == "01" {
        required.extend([
            "acquirerBIN",
            "acquirerMerchantID",
            "mcc",
            "merchantCountryCode",
            "merchantName",
        ]);
        required.extend(PURCHASE);
    } else if recurring_indicators(version).contains(&auth_ind) {
        required.extend(PURCHASE);
    }
    if version != "2.3.1" && matches!(auth_ind, "02" | "03") {
        required.extend(["recurringExpiry", "recurringFrequency"]);
    }
    if auth_ind == "03" {
        required.push("purchaseInstalData");
    }
    let present = |name: &str| areq.get(name).is_some_and(|v| !v.is_null() && v != "");
    if present("shipAddrState") {
        required.push("shipAddrCountry");
    }
    if version != "2.1.0" {
        if areq.get("payTokenInd") == Some(&Value::Bool(true)) {
            required.push("payTokenSource");
        }
        if present("whiteListStatus") {
            required.push("whiteListStatusSource");
        }
        if areq
            .get("threeDSRequestorDecReqInd")
            .and_then(Value::as_str)
            == Some("Y")
        {
            required.push("threeDSRequestorDecMaxTime");
        }
    }
    required
}

/// Checks an AReq's header fields, required fields and formats. `Ok` gives the version and the
/// message category.
pub(crate) fn areq(areq: &Map<String, Value>) -> Result<(String, String), Problem> {
    let text = |name: &str| areq.get(name).and_then(Value::as_str);
    // The message header first: it says which table applies.
    let mut missing: Vec<&str> = [
        "messageType",
        "messageVersion",
        "deviceChannel",
        "messageCategory",
    ]
    .into_iter()
    .filter(|name| areq.get(*name).is_none_or(Value::is_null))
    .collect();
    if !missing.is_empty() {
        return Err(Problem::missing(&missing));
    }
    if text("messageType") != Some("AReq") {
        return Err(Problem::described(
            "101",
            format!("{}: messageType must be AReq", describe("101")),
            "messageType",
        ));
    }
    let version = text("messageVersion").unwrap_or_default();
    if !super::cards::SUPPORTED_VERSIONS.contains(&version) {
        return Err(Problem::described(
            "102",
            format!(
                "{}: {version:?} (supported: {})",
                describe("102"),
                super::cards::SUPPORTED_VERSIONS.join(", ")
            ),
            "messageVersion",
        ));
    }
    match text("deviceChannel") {
        Some("02") => {}
        Some("01" | "03") => {
            return Err(Problem::invalid_field(
                "deviceChannel",
                "is not simulated: the simulator takes browser authentications (02) only",
            ))
        }
        _ => {
            return Err(Problem::invalid_field(
                "deviceChannel",
                "must be 01, 02 or 03",
            ))
        }
    }
    let category = match text("messageCategory") {
        Some(c @ ("01" | "02")) => c.to_owned(),
        _ => {
            return Err(Problem::invalid_field(
                "messageCategory",
                "must be 01 (payment) or 02 (non-payment)",
            ))
        }
    };

    missing = required_areq_fields(version, &category, areq)
        .into_iter()
        .filter(|name| areq.get(*name).is_none_or(|v| v.is_null() || v == ""))
        .collect();
    // An empty string counts as missing only where the table gives no format that allows it.
    missing.retain(|name| areq.get(*name).is_none_or(Value::is_null) || !allows_empty(name));
    if !missing.is_empty() {
        return Err(Problem::missing(&missing));
    }

    let mut invalid = Vec::new();
    for (name, value) in areq {
        let format = match name.as_str() {
            "threeDSRequestorAuthenticationInd" => Format::Code(match version {
                "2.1.0" => &[(1, 6), (80, 99)],
                "2.2.0" => &[(1, 7), (80, 99)],
                _ => &[(1, 10), (80, 99)],
            }),
            other => match AREQ_FORMATS.iter().find(|(n, _)| *n == other) {
                Some((_, format)) => *format,
                None => continue,
            },
        };
        if let Err(why) = check(format, value) {
            invalid.push((name.clone(), why));
        }
    }
    if let Some(instal) = text("purchaseInstalData").and_then(|v| v.parse::<u32>().ok()) {
        if !(2..=999).contains(&instal) {
            invalid.push((
                "purchaseInstalData".to_owned(),
                "must be 2 to 999".to_owned(),
            ));
        }
    }
    if let Some(max) = text("threeDSRequestorDecMaxTime").and_then(|v| v.parse::<u32>().ok()) {
        if !(1..=10080).contains(&max) {
            invalid.push((
                "threeDSRequestorDecMaxTime".to_owned(),
                "must be 00001 to 10080".to_owned(),
            ));
        }
    }
    if !invalid.is_empty() {
        return Err(Problem::invalid(&invalid));
    }
    if let Some(Value::Array(extensions)) = areq.get("messageExtension") {
        let critical: Vec<&str> = extensions
            .iter()
            .filter(|e| e.get("criticalityIndicator") == Some(&Value::Bool(true)))
            .filter_map(|e| e.get("id").and_then(Value::as_str))
            .collect();
        if !critical.is_empty() {
            return Err(Problem::new(
                "202",
                format!("messageExtension {}", critical.join(",")),
            ));
        }
    }
    Ok((version.to_owned(), category))
}

fn allows_empty(name: &str) -> bool {
    matches!(name, "purchaseAmount" | "recurringFrequency")
}

/// Checks `value` against `format`; the error says why it does not fit.
fn check(format: Format, value: &Value) -> Result<(), String> {
    let text = || value.as_str().ok_or_else(|| "must be a string".to_owned());
    match format {
        Format::Text(min, max) => {
            let s = text()?;
            let n = s.chars().count();
            if n < min || n > max {
                return Err(format!("must be {min} to {max} characters"));
            }
        }
        Format::Digits(min, max) => {
            let s = text()?;
            if !is_digits(s, min, max) {
                return Err(if min == max {
                    format!("must be {min} digits")
                } else {
                    format!("must be {min} to {max} digits")
                });
            }
        }
        Format::OneOf(values) => {
            let s = text()?;
            if !values.contains(&s) {
                return Err(format!("must be one of {}", values.join(", ")));
            }
        }
        Format::Bool => {
            if !value.is_boolean() {
                return Err("must be a boolean".to_owned());
            }
        }
        Format::Url(max) => {
            let s = text()?;
            if s.chars().count() > max || !is_url(s) {
                return Err(format!(
                    "must be an absolute http(s) URL of at most {max} characters"
                ));
            }
        }
        Format::Uuid => {
            if !is_uuid(text()?) {
                return Err("must be a UUID".to_owned());
            }
        }
        Format::YearMonth => {
            let s = text()?;
            let ok = is_digits(s, 4, 4) && matches!(s[2..].parse::<u8>(), Ok(1..=12));
            if !ok {
                return Err("must be YYMM".to_owned());
            }
        }
        Format::Date => {
            if !is_datetime(text()?, 8) {
                return Err("must be YYYYMMDD".to_owned());
            }
        }
        Format::DateTime => {
            if !is_datetime(text()?, 14) {
                return Err("must be YYYYMMDDHHMMSS (UTC)".to_owned());
            }
        }
        Format::Code(ranges) => {
            let s = text()?;
            let ok = is_digits(s, 2, 2)
                && s.parse::<u8>()
                    .is_ok_and(|n| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&n)));
            if !ok {
                let allowed: Vec<String> = ranges
                    .iter()
                    .map(|(lo, hi)| format!("{lo:02}-{hi:02}"))
                    .collect();
                return Err(format!("must be two digits in {}", allowed.join(" or ")));
            }
        }
        Format::TimeZone => {
            let s = text()?;
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if !is_digits(digits, 1, 4) {
                return Err("must be minutes, ^[+-]?[0-9]{1,4}$".to_owned());
            }
        }
        Format::Ip => {
            let s = text()?;
            if s.len() > 45 || s.parse::<std::net::IpAddr>().is_err() {
                return Err("must be an IP address".to_owned());
            }
        }
        Format::Email => {
            let s = text()?;
            if s.chars().count() > 254 || !is_email(s) {
                return Err("must be an e-mail address of at most 254 characters".to_owned());
            }
        }
        Format::Phone => {
            let phone = value
                .as_object()
                .ok_or("must be an object {cc, subscriber}")?;
            let part = |name: &str, max: usize| {
                phone
                    .get(name)
                    .and_then(Value::as_str)
                    .is_some_and(|s| is_digits(s, 1, max))
            };
            if !part("cc", 3) || !part("subscriber", 12) {
                return Err("must have cc (1-3 digits) and subscriber (1-12 digits)".to_owned());
            }
        }
        Format::Extensions => {
            let list = value.as_array().ok_or("must be an array")?;
            if list.len() > 10 {
                return Err("must have at most 10 extensions".to_owned());
            }
            for extension in list {
                let ok = extension
                    .get("criticalityIndicator")
                    .is_some_and(Value::is_boolean)
                    && extension.get("data").is_some()
                    && extension
                        .get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty() && s.len() <= 64)
                    && extension
                        .get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty() && s.len() <= 64);
                if !ok {
                    return Err(
                        "must hold objects {criticalityIndicator, data, id, name}".to_owned()
                    );
                }
            }
        }
        Format::Object => {
            if !value.is_object() {
                return Err("must be an object".to_owned());
            }
        }
        Format::StringArray => {
            let ok = value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string));
            if !ok {
                return Err("must be an array of strings".to_owned());
            }
        }
    }
    Ok(())
}

/// `min..=max` ASCII digits.
pub(crate) fn is_digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// 8-4-4-4-12 hexadecimal digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An absolute `http` or `https` URL with a host.
pub(crate) fn is_url(s: &str) -> bool {
    url::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// `YYYYMMDD` followed (for `len` 14) by `HHMMSS`: a real calendar date and
/// time.
fn is_datetime(s: &str, len: usize) -> bool {
    if !is_digits(s, len, len) {
        return false;
    }
    let num = |range: std::ops::Range<usize>| s[range].parse::<u32>().unwrap_or(u32::MAX);
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let date_ok = match (i32::try_from(year), month, u8::try_from(day)) {
        (Ok(year), Some(month), Ok(day)) => {
            time::Date::from_calendar_date(year, month, day).is_ok()
        }
        _ => false,
    };
    let time_ok = match len {
        14 => num(8..10) < 24 && num(10..12) < 60 && num(12..14) < 60,
        _ => true,
    };
    date_ok && time_ok
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn browser_areq(version: &str) -> Map<String, Value> {
        let value = json!({
            "threeDSServerTransID": "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb",
            "acctNumber": "4000100511112003",
            "notificationURL": "https://3ds_callback.example.org/challenge/end",
            "threeDSCompInd": "Y",
            "threeDSRequestorURL": "https://threedsrequestor.example.org",
            "acquirerBIN": "438309",
            "acquirerMerchantID": "00002000000",
            "threeDSRequestorAuthenticationInd": "01",
            "deviceChannel": "02",
            "browserJavascriptEnabled": true,
            "browserAcceptHeader": "text/html",
            "browserJavaEnabled": true,
            "browserLanguage": "en",
            "browserColorDepth": "48",
            "browserScreenHeight": "400",
            "browserScreenWidth": "600",
            "browserTZ": "0",
            "browserUserAgent": "Mozilla/5.0",
            "mcc": "5411",
            "merchantCountryCode": "840",
            "merchantName": "Dummy Merchant",
            "messageCategory": "01",
            "messageType": "AReq",
            "messageVersion": version,
            "purchaseAmount": "101",
            "purchaseCurrency": "840",
            "purchaseExponent": "2",
            "purchaseDate": "20170316141312",
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_complete_browser_areq_passes_in_2_1_and_2_2() {
        for version in ["2.1.0", "2.2.0"] {
            assert_eq!(
                areq(&browser_areq(version)),
                Ok((version.to_owned(), "01".to_owned()))
            );
        }
        let mut v231 = browser_areq("2.3.1");
        v231.insert("acceptLanguage".into(), json!(["en"]));
        v231.insert("acquirerCountryCode".into(), json!("840"));
        v231.insert("acquirerCountryCodeSource".into(), json!("01"));
        assert!(areq(&v231).is_ok());
        assert_eq!(
            areq(&browser_areq("2.3.1")).map_err(|p| (p.code, p.detail)),
            Err((
                "201",
                "acceptLanguage,acquirerCountryCode,acquirerCountryCodeSource".to_owned()
            ))
        );
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let mut m = browser_areq("2.2.0");
        m.remove("purchaseAmount");
        let problem = areq(&m).unwrap_err();
        assert_eq!(
            (problem.code, problem.detail.as_str()),
            ("201", "purchaseAmount")
        );

        let mut m = browser_areq("2.2.0");
        m.insert("purchaseAmount".into(), json!(101));
        m.insert("purchaseDate".into(), json!("20170231141312"));
        let problem = areq(&m).unwrap_err();
        assert_eq!(problem.code, "203");
        assert_eq!(problem.detail, "purchaseAmount,purchaseDate");

        // Without JavaScript the screen fields are not required in 2.2.0, but are in 2.1.0.
        let mut m = browser_areq("2.2.0");
        m.insert("browserJavascriptEnabled".into(), json!(false));
        m.remove("browserTZ");
        assert!(areq(&m).is_ok());
        let mut m = browser_areq("2.1.0");
        m.remove("browserTZ");
        assert_eq!(areq(&m).unwrap_err().detail, "browserTZ");
    }

    #[test]
    fn formats() {
        assert!(is_datetime("20240229235959", 14));
        assert!(!is_datetime("20230229235959", 14));
        assert!(!is_datetime("20230101246000", 14));
        assert!(is_uuid("6B91F61E-9e62-4f5c-ab8c-f1ffb84122cb"));
        assert!(!is_uuid("6b91f61e9e624f5cab8cf1ffb84122cb"));
        assert!(check(Format::YearMonth, &json!("2513")).is_err());
        assert!(check(Format::TimeZone, &json!("-120")).is_ok());
        assert!(check(Format::Code(&[(1, 7), (80, 99)]), &json!("08")).is_err());
        assert!(check(Format::Email, &json!("a@b.example")).is_ok());
        assert!(check(Format::Url(256), &json!("ftp://x.example")).is_err());
    }
}
