//! The simulator's checks of the requests it receives, from the provider's field tables
//! (`specs/threedsecureio-3ds-server-fields.json`, tables `areq_210`, `areq_220`, `areq_231`,
//! `devicerenderoptions`, `preauth`, `postauth`, `creq`), written out here because the sandbox
//! does not read the file at run time.
//!
//! What is checked of an AReq (browser channel `02`, app channel `01`):
//! - the fields the table requires for its `messageVersion`, `deviceChannel` and
//!   `messageCategory`, and the conditional ones whose condition is plain (browser details when
//!   `browserJavascriptEnabled` is true, purchase fields for payments and for recurring or
//!   instalment authentications, `shipAddrCountry` with `shipAddrState`, sources of
//!   `payTokenInd`, `whiteListStatus`, the decoupled maximum time; for an app, the 3DS SDK's
//!   fields, and in 2.3.1 `sdkType` with `defaultSdkType` (`01`) or `splitSdkType` and
//!   `sdkServerSignedContent` (`02`)): missing → `201`. The browser fields (`threeDSCompInd`,
//!   `notificationURL`, `browser*`, `acceptLanguage`) are not required of an app, nor the SDK's
//!   of a browser;
//! - the format of every field the table constrains that is present (type, enum, regex,
//!   lengths, dates, URLs, UUID, IP, e-mail, phone objects, message extensions, the SDK's
//!   ephemeral key as a JSON object of at most 256 characters, `deviceRenderOptions`): invalid →
//!   `203`; a critical message extension → `202` (the simulator recognises none).
//!
//! `deviceRenderOptions` must carry `sdkInterface` and a non-empty `sdkUiType` (missing → `201`,
//! named `deviceRenderOptions.sdkInterface`, …) \[U: the provider's `devicerenderoptions` table
//! marks both optional inside the object; EMV 3DS requires them, and the simulator follows
//! EMV\]. `sdkUiType` takes the table's `01`–`07` in every version. `defaultSdkType` and
//! `splitSdkType` must be JSON objects; their members are not checked (the tables have no
//! table for them).
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
    /// A JSON object whose compact text is at most this many characters (`sdkEphemPubKey`).
    JsonObject(usize),
    /// `deviceRenderOptions`: `sdkInterface` one of `01`–`03`, `sdkUiType` a non-empty array of
    /// `01`–`07`, `sdkAuthenticationType` (optional) an array of `01`–`11` or `80`–`99`.
    RenderOptions,
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
    ("appIp", Format::Ip),
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
    ("defaultSdkType", Format::Object),
    ("deviceRenderOptions", Format::RenderOptions),
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
    ("sdkAppID", Format::Uuid),
    ("sdkEncData", Format::Text(1, 64000)),
    ("sdkEphemPubKey", Format::JsonObject(256)),
    ("sdkMaxTimeout", Format::Code(&[(5, 99)])),
    ("sdkReferenceNumber", Format::Text(1, 32)),
    ("sdkServerSignedContent", Format::Text(1, 4000)),
    ("sdkSignatureTimestamp", Format::DateTime),
    ("sdkTransID", Format::Uuid),
    ("sdkType", Format::Code(&[(1, 2), (80, 99)])),
    ("shipAddrCity", Format::Text(0, 50)),
    ("shipAddrCountry", Format::Digits(3, 3)),
    ("shipAddrLine1", Format::Text(0, 50)),
    ("shipAddrLine2", Format::Text(0, 50)),
    ("shipAddrLine3", Format::Text(0, 50)),
    ("shipAddrPostCode", Format::Text(0, 16)),
    ("shipAddrState", Format::Text(0, 3)),
    ("splitSdkType", Format::Object),
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

/// The channel an AReq authenticates in (`deviceChannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// `01`: an app with a 3DS SDK.
    App,
    /// `02`: a browser.
    Browser,
}

/// An AReq that passed the checks: what the rest of the simulator needs of its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    /// `messageVersion`.
    pub version: String,
    /// `messageCategory`.
    pub category: String,
    /// `deviceChannel`.
    pub channel: Channel,
}

/// The fields of the browser channel (`deviceChannel` `02`) an AReq of `version` must carry,
/// with the version's new general ones (2.3.1's acquirer country), in the simulator's order
/// of `errorDetail`.
fn required_browser_fields(version: &str, areq: &Map<String, Value>) -> Vec<&'static str> {
    let mut required = vec![
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
    required
}

/// The fields of the app channel (`deviceChannel` `01`, the 3DS SDK's) an AReq of `version`
/// must carry, with the version's new general ones.
fn required_app_fields(version: &str, areq: &Map<String, Value>) -> Vec<&'static str> {
    let mut required = vec![
        "threeDSRequestorAuthenticationInd",
        "threeDSRequestorURL",
        "sdkAppID",
        "sdkEncData",
        "sdkEphemPubKey",
        "sdkMaxTimeout",
        "sdkReferenceNumber",
        "sdkTransID",
        "deviceRenderOptions",
    ];
    if version == "2.3.1" {
        required.extend([
            "acquirerCountryCode",
            "acquirerCountryCodeSource",
            "sdkType",
        ]);
        match areq.get("sdkType").and_then(Value::as_str) {
            Some("01") => required.push("defaultSdkType"),
            Some("02") => required.extend(["splitSdkType", "sdkServerSignedContent"]),
            _ => {}
        }
    }
    required
}

/// The fields an AReq of `version` (channel `channel`, category `category`) must carry.
fn required_areq_fields(
    version: &str,
    category: &str,
    channel: Channel,
    areq: &Map<String, Value>,
) -> Vec<&'static str> {
    let mut required = vec![
        "threeDSServerTransID",
        "acctNumber",
        "deviceChannel",
        "messageCategory",
        "messageType",
        "messageVersion",
    ];
    match channel {
        Channel::Browser => required.extend(required_browser_fields(version, areq)),
        Channel::App => required.extend(required_app_fields(version, areq)),
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

/// Checks an AReq's header fields, required fields and formats. `Ok` gives the version, the
/// message category and the channel.
pub(crate) fn areq(areq: &Map<String, Value>) -> Result<Checked, Problem> {
    let text = |name: &str| areq.get(name).and_then(Value::as_str);
    // The message header first: it says which table applies.
    let header: Vec<&str> = [
        "messageType",
        "messageVersion",
        "deviceChannel",
        "messageCategory",
    ]
    .into_iter()
    .filter(|name| areq.get(*name).is_none_or(Value::is_null))
    .collect();
    if !header.is_empty() {
        return Err(Problem::missing(&header));
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
    let channel = match text("deviceChannel") {
        Some("02") => Channel::Browser,
        Some("01") => Channel::App,
        Some("03") => {
            return Err(Problem::invalid_field(
                "deviceChannel",
                "is not simulated: the simulator takes app (01) and browser (02) \
                 authentications only, not 3RI (03)",
            ))
        }
        _ => {
            return Err(Problem::invalid_field(
                "deviceChannel",
                "must be 01, 02 or 03",
            ))
        }
    };
    let category = match text("messageCategory") {
        Some(c @ ("01" | "02")) => c.to_owned(),
        _ => {
            return Err(Problem::invalid_field(
                "messageCategory",
                "must be 01 (payment) or 02 (non-payment)",
            ))
        }
    };

    let mut missing: Vec<String> = required_areq_fields(version, &category, channel, areq)
        .into_iter()
        .filter(|name| areq.get(*name).is_none_or(|v| v.is_null() || v == ""))
        // An empty string counts as missing only where the table gives no format that allows
        // it.
        .filter(|name| areq.get(*name).is_none_or(Value::is_null) || !allows_empty(name))
        .map(str::to_owned)
        .collect();
    if channel == Channel::App {
        if let Some(Value::Object(options)) = areq.get("deviceRenderOptions") {
            missing.extend(
                ["sdkInterface", "sdkUiType"]
                    .into_iter()
                    .filter(|name| options.get(*name).is_none_or(Value::is_null))
                    .map(|name| format!("deviceRenderOptions.{name}")),
            );
        }
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(String::as_str).collect();
        return Err(Problem::missing(&names));
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
    Ok(Checked {
        version: version.to_owned(),
        category,
        channel,
    })
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
        Format::JsonObject(max) => {
            if !value.is_object() {
                return Err("must be a JSON object (a JWK)".to_owned());
            }
            if value.to_string().chars().count() > max {
                return Err(format!("must be at most {max} characters as JSON text"));
            }
        }
        Format::RenderOptions => render_options(value)?,
    }
    Ok(())
}

/// `deviceRenderOptions` (table `devicerenderoptions`): the members present must fit;
/// whether `sdkInterface` and `sdkUiType` are present is checked with the required fields.
fn render_options(value: &Value) -> Result<(), String> {
    let options = value.as_object().ok_or("must be an object")?;
    if let Some(interface) = options.get("sdkInterface") {
        check(Format::OneOf(&["01", "02", "03"]), interface)
            .map_err(|why| format!("sdkInterface {why}"))?;
    }
    let codes = |name: &str, ranges: &'static [(u8, u8)], non_empty: bool| {
        let Some(list) = options.get(name) else {
            return Ok(());
        };
        let items = list
            .as_array()
            .ok_or_else(|| format!("{name} must be an array"))?;
        if non_empty && items.is_empty() {
            return Err(format!("{name} must list at least one UI type"));
        }
        items
            .iter()
            .try_for_each(|item| check(Format::Code(ranges), item))
            .map_err(|why| format!("{name} items {why}"))
    };
    codes("sdkUiType", &[(1, 7)], true)?;
    codes("sdkAuthenticationType", &[(1, 11), (80, 99)], false)?;
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
                Ok(Checked {
                    version: version.to_owned(),
                    category: "01".to_owned(),
                    channel: Channel::Browser,
                })
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

    /// The browser AReq turned into an app one: the SDK's fields instead of the browser's.
    fn app_areq(version: &str) -> Map<String, Value> {
        let mut m = browser_areq(version);
        m.retain(|k, _| {
            !k.starts_with("browser") && k != "notificationURL" && k != "threeDSCompInd"
        });
        m.insert("deviceChannel".into(), json!("01"));
        for (key, value) in [
            ("sdkAppID", json!("9063b12c-fcde-43c7-b28e-8d0af5520e8a")),
            (
                "sdkEncData",
                json!("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"),
            ),
            (
                "sdkEphemPubKey",
                json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}),
            ),
            ("sdkMaxTimeout", json!("05")),
            ("sdkReferenceNumber", json!("3DS_LOA_SDK_TEST_0001")),
            ("sdkTransID", json!("b2385523-a66c-4907-ac3c-91848e8c0067")),
            (
                "deviceRenderOptions",
                json!({"sdkInterface": "03", "sdkUiType": ["01", "02", "03", "04", "05"]}),
            ),
        ] {
            m.insert(key.into(), value);
        }
        m
    }

    #[test]
    fn an_app_areq_needs_the_sdks_fields_and_not_the_browsers() {
        for version in ["2.1.0", "2.2.0"] {
            assert_eq!(
                areq(&app_areq(version)).map(|c| c.channel),
                Ok(Channel::App),
                "{version}"
            );
        }
        // 2.3.1 adds the acquirer's country and the SDK's type.
        let mut v231 = app_areq("2.3.1");
        assert_eq!(
            areq(&v231).unwrap_err().detail,
            "acquirerCountryCode,acquirerCountryCodeSource,sdkType"
        );
        v231.insert("acquirerCountryCode".into(), json!("840"));
        v231.insert("acquirerCountryCodeSource".into(), json!("01"));
        v231.insert("sdkType".into(), json!("01"));
        assert_eq!(areq(&v231).unwrap_err().detail, "defaultSdkType");
        v231.insert("defaultSdkType".into(), json!({"sdkVariant": "01"}));
        assert!(areq(&v231).is_ok());
        v231.insert("sdkType".into(), json!("02"));
        assert_eq!(
            areq(&v231).unwrap_err().detail,
            "splitSdkType,sdkServerSignedContent"
        );

        let mut m = app_areq("2.2.0");
        m.remove("sdkTransID");
        m.insert("deviceRenderOptions".into(), json!({"sdkUiType": ["01"]}));
        let problem = areq(&m).unwrap_err();
        assert_eq!(
            (problem.code, problem.detail.as_str()),
            ("201", "sdkTransID,deviceRenderOptions.sdkInterface")
        );

        for (field, bad) in [
            ("sdkAppID", json!("not-a-uuid")),
            ("sdkMaxTimeout", json!("04")),
            ("sdkMaxTimeout", json!("5")),
            ("sdkReferenceNumber", json!("x".repeat(33))),
            ("sdkEncData", json!("x".repeat(64001))),
            ("sdkEphemPubKey", json!("{\"kty\":\"EC\"}")),
            ("sdkEphemPubKey", json!({"kty": "EC", "x": "A".repeat(250)})),
            (
                "deviceRenderOptions",
                json!({"sdkInterface": "04", "sdkUiType": ["01"]}),
            ),
            (
                "deviceRenderOptions",
                json!({"sdkInterface": "01", "sdkUiType": []}),
            ),
            (
                "deviceRenderOptions",
                json!({"sdkInterface": "01", "sdkUiType": ["08"]}),
            ),
        ] {
            let mut m = app_areq("2.2.0");
            m.insert(field.into(), bad.clone());
            let problem = areq(&m).unwrap_err();
            assert_eq!(
                (problem.code, problem.detail.as_str()),
                ("203", field),
                "{bad}"
            );
        }
        // 3RI stays out.
        let mut m = app_areq("2.2.0");
        m.insert("deviceChannel".into(), json!("03"));
        assert_eq!(areq(&m).unwrap_err().detail, "deviceChannel");
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
