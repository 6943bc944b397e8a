//! The AReq of a payment from a browser or an app, checked against the provider's field tables
//! (`areq_210.html`, `areq_220.html`, `areq_231.html`, `devicerenderoptions.html`) before it is
//! sent: every field those tables require for `messageCategory` `01` and the `deviceChannel`
//! (`02` browser, `01` app) at the version, and the lengths, value lists and patterns of what is
//! sent. Neither channel sends the other's fields.

use paybridge_core::authentication::{
    AuthenticationRequest, Device, MethodCompletion, SdkInformation, SdkInterface, SdkUiType,
};
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

/// `sdkType` of the SDKs [`SdkInformation`] describes (2.3.1): `01`, a Default-SDK. A Split-SDK
/// (`02`) would need `sdkServerSignedContent` and `splitSdkType`, which it does not carry.
pub const SDK_TYPE: &str = "01";

/// `defaultSdkType.sdkVariant` (2.3.1): `01`, "Native", the only variant the provider's table
/// defines (`02`–`79` reserved for EMVCo, `80`–`99` for the DS) \[U\] (whether the SDK is
/// wrapped, `wrappedInd` `Y`, is not known, so it is left out).
pub const SDK_VARIANT: &str = "01";

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
    areq.browser_accept_header = Some(accept);
    let agent = given(&b.user_agent)
        .ok_or_else(|| missing("browser.user_agent", "browserUserAgent", why))?;
    // The table says to truncate a longer User-Agent, not to refuse it.
    areq.browser_user_agent = Some(match agent.char_indices().nth(2048) {
        Some((end, _)) => &agent[..end],
        None => agent,
    });
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

/// The code of `deviceRenderOptions.sdkInterface`.
fn interface_code(interface: SdkInterface) -> &'static str {
    match interface {
        SdkInterface::Native => "01",
        SdkInterface::Html => "02",
        SdkInterface::Both => "03",
    }
}

/// The code of one `deviceRenderOptions.sdkUiType` entry.
fn ui_type_code(ui_type: SdkUiType) -> &'static str {
    match ui_type {
        SdkUiType::Text => "01",
        SdkUiType::SingleSelect => "02",
        SdkUiType::MultiSelect => "03",
        SdkUiType::OutOfBand => "04",
        SdkUiType::HtmlOther => "05",
    }
}

/// Base64url's alphabet (RFC 4648 §5), which each part of a compact JWE or JWS is written in.
pub fn base64url(part: &str) -> bool {
    part.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The app fields of `version`: the 3DS SDK's data, each value checked against its table row
/// (no message repeats `sdkEncData`, which is opaque and large). 2.3.1 adds `sdkType` and,
/// for a Default-SDK, `defaultSdkType`.
fn app<'a>(
    areq: &mut wire::AReq<'a>,
    sdk: &'a SdkInformation,
    version: Version,
) -> Result<(), ConnectorError> {
    let why = "for an app (deviceChannel 01)";
    if !is_uuid(&sdk.app_id) {
        return Err(ConnectorError::invalid(
            "sdk.app_id",
            "sdkAppID must be a UUID (8-4-4-4-12 hexadecimal digits)",
        ));
    }
    if !is_uuid(&sdk.transaction_id) {
        return Err(ConnectorError::invalid(
            "sdk.transaction_id",
            "sdkTransID must be a UUID (8-4-4-4-12 hexadecimal digits)",
        ));
    }

    let encrypted = sdk.encrypted_data.as_str();
    if encrypted.trim().is_empty() {
        return Err(missing("sdk.encrypted_data", "sdkEncData", why));
    }
    length("sdk.encrypted_data", "sdkEncData", encrypted, 1, 64_000)?;
    // A JWE in compact serialization: header, encrypted key (empty for direct key agreement),
    // initialisation vector, ciphertext, tag.
    let parts: Vec<&str> = encrypted.split('.').collect();
    let jwe = parts.len() == 5
        && !parts[0].is_empty()
        && !parts[3].is_empty()
        && parts.iter().all(|p| base64url(p));
    if !jwe {
        return Err(ConnectorError::invalid(
            "sdk.encrypted_data",
            "sdkEncData must be a JWE in compact serialization (five base64url parts joined by \
             dots)",
        ));
    }

    let key = &sdk.ephemeral_public_key;
    let kty = key
        .get("kty")
        .and_then(|k| k.as_str())
        .map(str::trim)
        .unwrap_or_default();
    if kty.is_empty() {
        return Err(ConnectorError::invalid(
            "sdk.ephemeral_public_key",
            "sdkEphemPubKey must be a JWK: a JSON object with its key type (kty)",
        ));
    }
    let key_text = serde_json::to_string(key).map_err(|_| {
        ConnectorError::invalid("sdk.ephemeral_public_key", "sdkEphemPubKey is not JSON")
    })?;
    length(
        "sdk.ephemeral_public_key",
        "sdkEphemPubKey (its JSON text)",
        &key_text,
        1,
        256,
    )?;

    if !(5..=99).contains(&sdk.max_timeout_minutes) {
        return Err(ConnectorError::invalid(
            "sdk.max_timeout_minutes",
            "sdkMaxTimeout takes 05 to 99 minutes",
        ));
    }

    let reference = sdk.reference_number.as_str();
    if reference.trim().is_empty() {
        return Err(missing("sdk.reference_number", "sdkReferenceNumber", why));
    }
    length(
        "sdk.reference_number",
        "sdkReferenceNumber",
        reference,
        1,
        32,
    )?;

    // Each UI type once, in the SDK's order.
    let mut ui_types: Vec<&'static str> = Vec::new();
    for code in sdk.ui_types.iter().copied().map(ui_type_code) {
        if !ui_types.contains(&code) {
            ui_types.push(code);
        }
    }
    if ui_types.is_empty() {
        return Err(missing(
            "sdk.ui_types",
            "deviceRenderOptions.sdkUiType (at least one UI type)",
            why,
        ));
    }
    if sdk.interface == SdkInterface::Native && sdk.ui_types.contains(&SdkUiType::HtmlOther) {
        return Err(ConnectorError::invalid(
            "sdk.ui_types",
            "deviceRenderOptions.sdkUiType 05 (HTML other) is valid only for an HTML UI \
             (sdkInterface 02 or 03), not with sdkInterface 01 (native)",
        ));
    }

    areq.sdk_app_id = Some(&sdk.app_id);
    areq.sdk_enc_data = Some(encrypted);
    areq.sdk_ephem_pub_key = Some(key);
    areq.sdk_max_timeout = Some(format!("{:02}", sdk.max_timeout_minutes));
    areq.sdk_reference_number = Some(reference);
    areq.sdk_trans_id = Some(&sdk.transaction_id);
    areq.device_render_options = Some(wire::DeviceRenderOptions {
        sdk_interface: interface_code(sdk.interface),
        sdk_ui_type: ui_types,
    });
    if version >= Version::V231 {
        areq.sdk_type = Some(SDK_TYPE);
        areq.default_sdk_type = Some(wire::DefaultSdkType {
            sdk_variant: SDK_VARIANT,
        });
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
/// country), with its channel's fields.
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
    // Where the ACS posts the CRes after a browser's challenge; an app's SDK gets it itself.
    if let Device::Browser { .. } = req.device {
        url(
            "notification_url",
            "notificationURL",
            &req.notification_url,
            256,
            version,
        )?;
    }
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
        device_channel: match req.device {
            Device::Browser { .. } => "02",
            Device::App(_) => "01",
        },
        server_trans_id: &req.server_transaction_id,
        comp_ind: None,
        requestor_authentication_ind: "01",
        requestor_url: m.requestor_url.as_str(),
        notification_url: None,
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
        browser_accept_header: None,
        browser_ip: None,
        browser_java_enabled: None,
        browser_javascript_enabled: None,
        browser_language: None,
        browser_color_depth: None,
        browser_screen_height: None,
        browser_screen_width: None,
        browser_tz: None,
        browser_user_agent: None,
        accept_language: None,
        sdk_app_id: None,
        sdk_enc_data: None,
        sdk_ephem_pub_key: None,
        sdk_max_timeout: None,
        sdk_reference_number: None,
        sdk_trans_id: None,
        sdk_type: None,
        default_sdk_type: None,
        device_render_options: None,
        email: req.email.as_ref().map(|e| e.as_str()),
        bill_addr_city: None,
        bill_addr_country: None,
        bill_addr_line1: None,
        bill_addr_line2: None,
        bill_addr_line3: None,
        bill_addr_post_code: None,
        bill_addr_state: None,
    };
    match &req.device {
        Device::Browser {
            info,
            method_completion,
        } => {
            areq.comp_ind = Some(match method_completion {
                MethodCompletion::Completed => "Y",
                MethodCompletion::NotCompleted => "N",
                MethodCompletion::Unavailable => "U",
            });
            areq.notification_url = Some(req.notification_url.as_str());
            browser(&mut areq, info, version)?;
        }
        Device::App(sdk) => app(&mut areq, sdk, version)?,
    }
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
