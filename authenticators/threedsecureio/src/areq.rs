//! The AReq of a browser payment, checked against the provider's field tables
//! (`areq_210.html`, `areq_220.html`, `areq_231.html`) before it is sent: every field those
//! tables require for `deviceChannel` `02` and `messageCategory` `01` at the version, and the
//! lengths, value lists and patterns of what is sent.

use paybridge_core::authentication::{AuthenticationRequest, MethodCompletion};
use paybridge_core::details::{BrowserInfo, PostalAddress, BILLING_ADDRESS_FIELDS};
use paybridge_core::ConnectorError;
use time::macros::format_description;
use time::UtcOffset;

use crate::codes::{country_numeric, currency_numeric};
use crate::mapping::{is_uuid, Version};
use crate::wire;

/// `acquirerCountryCodeSource` when the requestor sets the acquirer's country: `01`, "3DS
/// Server" \[U\] (the provider's table gives only the pattern `^[0-9]{2}$`; the value's meaning
/// is from third-party transcriptions of the EMV 3DS 2.3.1 specification).
pub const ACQUIRER_COUNTRY_CODE_SOURCE: &str = "01";

/// `browserColorDepth`'s values (`areq_*.html`).
const COLOR_DEPTHS: [(u8, &str); 8] = [
    (1, "1"),
    (4, "4"),
    (8, "8"),
    (15, "15"),
    (16, "16"),
    (24, "24"),
    (32, "32"),
    (48, "48"),
];

/// Refuses a value outside `min..=max` characters, naming our field and the provider's.
fn length(
    field: &'static str,
    wire: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ConnectorError> {
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        return Ok(());
    }
    let rule = if min == max {
        format!("exactly {min}")
    } else if min > 1 {
        format!("{min} to {max}")
    } else if min == 1 {
        format!("1 to {max}")
    } else {
        format!("at most {max}")
    };
    Err(ConnectorError::invalid(
        field,
        format!("3dsecure.io's {wire} takes {rule} characters"),
    ))
}

fn missing(field: &'static str, wire: &str, why: &str) -> ConnectorError {
    ConnectorError::invalid(field, format!("{wire} is required {why}"))
}

fn digits(value: &str, count: usize) -> bool {
    value.len() == count && value.bytes().all(|b| b.is_ascii_digit())
}

/// An `https` URL where 2.3.1's `urlHttps` format wants one.
fn url(
    field: &'static str,
    wire: &str,
    url: &paybridge_core::url::Url,
    max: usize,
    version: Version,
) -> Result<(), ConnectorError> {
    length(field, wire, url.as_str(), 1, max)?;
    if version >= Version::V231 && url.scheme() != "https" {
        return Err(ConnectorError::invalid(
            field,
            format!("{wire} must be an https URL from 2.3.1 on"),
        ));
    }
    Ok(())
}

/// A text value when given and not blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// The Accept-Language header's language tags, without their weights (`en-GB,en;q=0.9` →
/// `["en-GB", "en"]`).
fn language_tags(header: &str) -> Vec<&str> {
    header
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(str::trim)
        .filter(|tag| !tag.is_empty() && *tag != "*")
        .collect()
}

/// The browser fields of `version`: 2.1.0 requires every one; 2.2.0 adds
/// `browserJavascriptEnabled` and requires the screen, colour, time zone and Java fields only
/// when JavaScript is enabled; 2.3.1 also the language only then, and adds `acceptLanguage`.
fn browser<'a>(
    areq: &mut wire::AReq<'a>,
    b: &'a BrowserInfo,
    version: Version,
) -> Result<(), ConnectorError> {
    let why = "for a browser (deviceChannel 02)";
    let accept = given(&b.accept_header)
        .ok_or_else(|| missing("browser.accept_header", "browserAcceptHeader", why))?;
    length(
        "browser.accept_header",
        "browserAcceptHeader",
        accept,
        1,
        2048,
    )?;
    areq.browser_accept_header = accept;
    let agent = given(&b.user_agent)
        .ok_or_else(|| missing("browser.user_agent", "browserUserAgent", why))?;
    // The table says to truncate a longer User-Agent, not to refuse it.
    areq.browser_user_agent = match agent.char_indices().nth(2048) {
        Some((end, _)) => &agent[..end],
        None => agent,
    };
    areq.browser_ip = b.ip_address.map(|ip| ip.to_string());

    // Which of the rest are required: all at 2.1.0; from 2.2.0 on, when JavaScript runs.
    let all = if version >= Version::V220 {
        let js = b.java_script_enabled.ok_or_else(|| {
            missing(
                "browser.java_script_enabled",
                "browserJavascriptEnabled",
                why,
            )
        })?;
        areq.browser_javascript_enabled = Some(js);
        js
    } else {
        true
    };
    let js_why = if version >= Version::V220 {
        "when browserJavascriptEnabled is true"
    } else {
        "for a browser at 2.1.0"
    };
    let need = |present: bool, field: &'static str, wire: &'static str| {
        if all && !present {
            Err(missing(field, wire, js_why))
        } else {
            Ok(())
        }
    };

    need(
        b.java_enabled.is_some(),
        "browser.java_enabled",
        "browserJavaEnabled",
    )?;
    areq.browser_java_enabled = b.java_enabled;

    let language = given(&b.language);
    if version >= Version::V231 {
        need(language.is_some(), "browser.language", "browserLanguage")?;
    } else if language.is_none() {
        return Err(missing("browser.language", "browserLanguage", why));
    }
    if let Some(language) = language {
        length("browser.language", "browserLanguage", language, 1, 8)?;
    }
    areq.browser_language = language;

    need(
        b.color_depth.is_some(),
        "browser.color_depth",
        "browserColorDepth",
    )?;
    if let Some(depth) = b.color_depth {
        // Depths outside the list (a wide-gamut screen's 30) go down to the nearest listed one.
        let listed = COLOR_DEPTHS.iter().rev().find(|(d, _)| *d <= depth);
        let (_, text) = listed.ok_or_else(|| {
            ConnectorError::invalid(
                "browser.color_depth",
                "browserColorDepth must be at least 1",
            )
        })?;
        areq.browser_color_depth = Some(text);
    }

    let screen = |value: Option<u32>, field: &'static str, wire: &'static str| {
        need(value.is_some(), field, wire)?;
        value
            .map(|v| {
                (v <= 999_999).then(|| v.to_string()).ok_or_else(|| {
                    ConnectorError::invalid(field, format!("{wire} takes 1 to 6 digits"))
                })
            })
            .transpose()
    };
    areq.browser_screen_height = screen(
        b.screen_height,
        "browser.screen_height",
        "browserScreenHeight",
    )?;
    areq.browser_screen_width =
        screen(b.screen_width, "browser.screen_width", "browserScreenWidth")?;

    need(b.time_zone.is_some(), "browser.time_zone", "browserTZ")?;
    if let Some(tz) = b.time_zone {
        if !(-9999..=9999).contains(&tz) {
            return Err(ConnectorError::invalid(
                "browser.time_zone",
                "browserTZ takes up to 4 digits of minutes",
            ));
        }
        areq.browser_tz = Some(tz.to_string());
    }

    if version >= Version::V231 {
        // The Accept-Language header's tags; navigator.language when the header is unknown.
        let tags = given(&b.accept_language)
            .map(language_tags)
            .filter(|t| !t.is_empty())
            .or_else(|| language.map(|l| vec![l]))
            .ok_or_else(|| {
                missing(
                    "browser.accept_language",
                    "acceptLanguage",
                    "for a browser from 2.3.1 on",
                )
            })?;
        areq.accept_language = Some(tags);
    }
    Ok(())
}

/// The billing address's fields, each checked against its maximum length.
fn billing<'a>(areq: &mut wire::AReq<'a>, a: &'a PostalAddress) -> Result<(), ConnectorError> {
    let [_, _, line1, line2, line3, city, state, zip] = BILLING_ADDRESS_FIELDS;
    let text = |value: &'a Option<String>, field: &'static str, wire: &'static str, max: usize| {
        given(value)
            .map(|v| length(field, wire, v, 1, max).map(|()| v))
            .transpose()
    };
    areq.bill_addr_line1 = text(&a.line1, line1, "billAddrLine1", 50)?;
    areq.bill_addr_line2 = text(&a.line2, line2, "billAddrLine2", 50)?;
    areq.bill_addr_line3 = text(&a.line3, line3, "billAddrLine3", 50)?;
    areq.bill_addr_city = text(&a.city, city, "billAddrCity", 50)?;
    areq.bill_addr_post_code = text(&a.zip, zip, "billAddrPostCode", 16)?;
    // ISO 3166-2's subdivision part: `CO` of `US-CO`.
    areq.bill_addr_state = given(&a.state)
        .map(|s| {
            let bare = match (a.country, s.split_once('-')) {
                (Some(country), Some((prefix, rest))) if prefix == country.as_str() => rest,
                _ => s,
            };
            length(
                state,
                "billAddrState (ISO 3166-2 subdivision code)",
                bare,
                1,
                3,
            )
            .map(|()| bare)
        })
        .transpose()?;
    areq.bill_addr_country = a
        .country
        .map(country_numeric)
        .map(|numeric| {
            numeric.ok_or_else(|| {
                ConnectorError::invalid(
                    "billing.address.country",
                    "no ISO 3166-1 numeric code known",
                )
            })
        })
        .transpose()?;
    Ok(())
}

/// The AReq for `req` at `version` (one this translator builds; 2.3.1 only with the acquirer's
/// country).
pub fn build<'a>(
    req: &'a AuthenticationRequest,
    version: Version,
    acquirer_country: Option<&'a str>,
) -> Result<wire::AReq<'a>, ConnectorError> {
    let m = &req.merchant;
    if !is_uuid(&req.server_transaction_id) {
        return Err(ConnectorError::invalid(
            "server_transaction_id",
            "threeDSServerTransID must be the UUID the version lookup gave",
        ));
    }
    // Its 13 to 19 digits are checked by the caller.
    let pan = req.card.number.expose();
    length("merchant.name", "merchantName", &m.name, 1, 40)?;
    length(
        "merchant.acquirer_bin",
        "acquirerBIN",
        &m.acquirer_bin,
        1,
        11,
    )?;
    length(
        "merchant.acquirer_merchant_id",
        "acquirerMerchantID",
        &m.acquirer_merchant_id,
        1,
        35,
    )?;
    if !digits(&m.mcc, 4) {
        return Err(ConnectorError::invalid(
            "merchant.mcc",
            "mcc takes 4 digits",
        ));
    }
    if !digits(&m.country_numeric, 3) {
        return Err(ConnectorError::invalid(
            "merchant.country_numeric",
            "merchantCountryCode takes an ISO 3166-1 numeric code of 3 digits",
        ));
    }
    url(
        "merchant.requestor_url",
        "threeDSRequestorURL",
        &m.requestor_url,
        2048,
        version,
    )?;
    url(
        "notification_url",
        "notificationURL",
        &req.notification_url,
        256,
        version,
    )?;
    let acquirer_country = if version >= Version::V231 {
        Some(acquirer_country.ok_or_else(|| {
            ConnectorError::invalid(
                "message_version",
                "2.3.1 requires acquirerCountryCode: configure extra.acquirer_country_code",
            )
        })?)
    } else {
        None
    };
    let currency = currency_numeric(req.currency)
        .ok_or_else(|| ConnectorError::invalid("currency", "no ISO 4217 numeric code known"))?;
    // Only ASCII in cardholderName before 2.3.1 (server-information.rst): an optional field,
    // so a name it cannot carry is left out.
    let holder = given(&req.card.holder_name)
        .filter(|name| version >= Version::V231 || name.is_ascii())
        .map(|name| length("card.holder_name", "cardholderName", name, 2, 45).map(|()| name))
        .transpose()?;
    let purchase_date = req
        .purchase_date
        .to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year][month][day][hour][minute][second]"
        ))
        .map_err(|_| ConnectorError::invalid("purchase_date", "cannot be formatted"))?;
    let expiry = req.card.expiry;
    let mut areq = wire::AReq {
        message_type: "AReq",
        message_version: &req.message_version,
        message_category: "01",
        device_channel: "02",
        server_trans_id: &req.server_transaction_id,
        comp_ind: match req.method_completion {
            MethodCompletion::Completed => "Y",
            MethodCompletion::NotCompleted => "N",
            MethodCompletion::Unavailable => "U",
        },
        requestor_authentication_ind: "01",
        requestor_url: m.requestor_url.as_str(),
        notification_url: req.notification_url.as_str(),
        trans_type: "01",
        acct_number: pan,
        card_expiry_date: format!("{:02}{:02}", expiry.year() % 100, expiry.month()),
        cardholder_name: holder,
        purchase_amount: req.amount.get().to_string(),
        purchase_currency: currency,
        purchase_exponent: req.currency.exponent().to_string(),
        purchase_date,
        acquirer_bin: &m.acquirer_bin,
        acquirer_merchant_id: &m.acquirer_merchant_id,
        acquirer_country_code: acquirer_country,
        acquirer_country_code_source: acquirer_country.map(|_| ACQUIRER_COUNTRY_CODE_SOURCE),
        mcc: &m.mcc,
        merchant_country_code: &m.country_numeric,
        merchant_name: &m.name,
        browser_accept_header: "",
        browser_ip: None,
        browser_java_enabled: None,
        browser_javascript_enabled: None,
        browser_language: None,
        browser_color_depth: None,
        browser_screen_height: None,
        browser_screen_width: None,
        browser_tz: None,
        browser_user_agent: "",
        accept_language: None,
        email: req.email.as_ref().map(|e| e.as_str()),
        bill_addr_city: None,
        bill_addr_country: None,
        bill_addr_line1: None,
        bill_addr_line2: None,
        bill_addr_line3: None,
        bill_addr_post_code: None,
        bill_addr_state: None,
    };
    let b = req.browser.as_ref().ok_or_else(|| {
        ConnectorError::invalid(
            "browser",
            "a browser authentication (deviceChannel 02) needs the browser's details",
        )
    })?;
    browser(&mut areq, b, version)?;
    if let Some(address) = req.billing.as_ref().and_then(|c| c.address.as_ref()) {
        billing(&mut areq, address)?;
    }
    Ok(areq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_headers_become_tags() {
        assert_eq!(
            language_tags("en-GB,en;q=0.9, da;q=0.8"),
            ["en-GB", "en", "da"]
        );
        assert_eq!(language_tags("*"), Vec::<&str>::new());
        assert_eq!(language_tags(" fr "), ["fr"]);
    }
}
