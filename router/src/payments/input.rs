//! The API's input values, checked: amounts, currencies, card and wallet data.

use std::str::FromStr;

use paybridge_core::*;

use crate::error::ApiError;
use paybridge_core::wallet::apple_pay::ApplePayToken;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::wallet::WalletTokenError;
use serde_json::Value;

use crate::model::{CardData, GooglePayInfo, PaymentMethodData, WalletData, MAX_AMOUNT};

/// An API amount: 1 to [`MAX_AMOUNT`] minor units; errors name `field`.
pub fn amount(field: &str, value: i64) -> Result<MinorUnit, ApiError> {
    if value <= 0 {
        return Err(ApiError::invalid(
            "invalid_amount",
            format!("{field} must be greater than zero (minor units); got {value}"),
        ));
    }
    if value > MAX_AMOUNT {
        return Err(ApiError::invalid(
            "amount_too_large",
            format!("{field} must be at most {MAX_AMOUNT} minor units; got {value}"),
        ));
    }
    MinorUnit::new(value).map_err(|e| ApiError::invalid("invalid_amount", e.to_string()))
}

/// An optional API amount.
pub(super) fn optional_amount(
    field: &str,
    value: Option<i64>,
) -> Result<Option<MinorUnit>, ApiError> {
    value.map(|v| amount(field, v)).transpose()
}

/// An ISO 4217 code, in upper case as the standard writes it (`usd` is refused, not guessed).
pub(super) fn currency(code: &str) -> Result<Currency, ApiError> {
    let unknown = || {
        ApiError::invalid(
            "unknown_currency",
            format!("currency '{code}' is not a supported ISO 4217 code (upper case, e.g. USD)"),
        )
    };
    if !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(unknown());
    }
    Currency::from_str(code).map_err(|_| unknown())
}

/// Free text a merchant gives (description, reasons, the cardholder's name): no control
/// characters, at most `max` characters.
pub(super) fn free_text(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    let Some(value) = value else {
        return Ok(());
    };
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "invalid_text",
            format!("{field} must not contain control characters"),
        ));
    }
    let length = value.chars().count();
    if length > max {
        return Err(ApiError::invalid(
            "invalid_text",
            format!("{field} has {length} characters; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// Where the customer returns: `https`, or `http` to this machine (a developer's shop).
pub(super) fn return_url(value: Option<&str>) -> Result<Option<url::Url>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let invalid =
        |why: String| ApiError::invalid("invalid_return_url", format!("return_url: {why}"));
    let url = url::Url::parse(value).map_err(|e| invalid(e.to_string()))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(Some(url)),
        "http" if loopback => Ok(Some(url)),
        _ => Err(invalid(
            "must be an https URL (or http to localhost)".to_owned(),
        )),
    }
}

/// The most metadata keys a payment or refund carries (Stripe's limits, so any connector can
/// forward it).
pub const METADATA_KEYS: usize = 50;
/// The longest metadata key, in characters.
pub const METADATA_KEY_LENGTH: usize = 40;
/// The longest metadata value, in characters (a non-string value: its JSON text).
pub const METADATA_VALUE_LENGTH: usize = 500;

/// Metadata within [`METADATA_KEYS`], [`METADATA_KEY_LENGTH`] and [`METADATA_VALUE_LENGTH`].
/// The answer names the key, never the value.
pub(super) fn metadata(map: &serde_json::Map<String, serde_json::Value>) -> Result<(), ApiError> {
    let invalid = |message: String| ApiError::invalid("invalid_metadata", message);
    if map.len() > METADATA_KEYS {
        return Err(invalid(format!(
            "metadata has {} keys; at most {METADATA_KEYS} are allowed",
            map.len()
        )));
    }
    for (key, value) in map {
        let length = key.chars().count();
        if length == 0 || length > METADATA_KEY_LENGTH || key.chars().any(char::is_control) {
            return Err(invalid(format!(
                "metadata keys must be 1 to {METADATA_KEY_LENGTH} characters without control \
                 characters; one has {length}"
            )));
        }
        let length = match value {
            serde_json::Value::String(text) => text.chars().count(),
            other => other.to_string().chars().count(),
        };
        if length > METADATA_VALUE_LENGTH {
            return Err(invalid(format!(
                "metadata value of '{key}' has {length} characters; at most \
                 {METADATA_VALUE_LENGTH} are allowed"
            )));
        }
    }
    Ok(())
}

/// The payment method of a create request: card data, a wallet's token or a processor's
/// token, exactly one; `declared` (the body's `payment_method`) must agree when given, and a
/// `declared_type` naming a wallet must name the wallet of the token given.
pub(super) fn payment_method(
    declared: Option<&str>,
    declared_type: Option<&str>,
    data: Option<PaymentMethodData>,
    token: Option<String>,
) -> Result<PaymentMethod, ApiError> {
    let method =
        match (data, token) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "ambiguous_payment_method",
                    "give either payment_method_data or payment_token, not both",
                ))
            }
            (None, Some(token)) => PaymentMethodToken::new(token)
                .map(PaymentMethod::Token)
                .map_err(|e| {
                    ApiError::invalid("invalid_payment_token", format!("payment_token: {e}"))
                })?,
            (
                Some(PaymentMethodData {
                    card: Some(_),
                    wallet: Some(_),
                    ..
                }),
                None,
            ) => {
                return Err(ApiError::invalid(
                    "ambiguous_payment_method",
                    "give either payment_method_data.card or payment_method_data.wallet, not both",
                ))
            }
            (
                Some(PaymentMethodData {
                    card: Some(card), ..
                }),
                None,
            ) => PaymentMethod::Card(card_method(card)?),
            (
                Some(PaymentMethodData {
                    wallet: Some(wallet),
                    ..
                }),
                None,
            ) => PaymentMethod::Wallet(wallet_token(wallet)?),
            (Some(_), None) | (None, None) => return Err(ApiError::invalid(
                "missing_payment_method",
                "payment_method_data.card, payment_method_data.wallet or payment_token is required",
            )),
        };
    let kind = match method {
        PaymentMethod::Wallet(_) => "wallet",
        PaymentMethod::Card(_) | PaymentMethod::Token(_) => "card",
    };
    if let Some(wallet) = declared_type.and_then(Wallet::from_name) {
        if !matches!(&method, PaymentMethod::Wallet(token) if token.wallet() == wallet) {
            return Err(ApiError::invalid(
                "payment_method_mismatch",
                format!("payment_method_type is '{wallet}' but no {wallet} token is given"),
            ));
        }
    }
    match declared {
        None => Ok(method),
        Some(declared) if declared == kind => Ok(method),
        Some(declared @ ("card" | "wallet")) => Err(ApiError::invalid(
            "payment_method_mismatch",
            format!("payment_method is '{declared}' but the payment method data is a {kind}"),
        )),
        Some(other) => Err(ApiError::invalid(
            "unsupported_payment_method",
            format!("payment_method '{other}' is not supported; use card or wallet"),
        )),
    }
}

fn card_method(card: CardData) -> Result<Card, ApiError> {
    let invalid = |field: &str, e: &dyn std::fmt::Display| {
        ApiError::invalid(
            "invalid_card",
            format!("payment_method_data.card.{field}: {e}"),
        )
    };
    let number = CardNumber::new(&card.card_number).map_err(|e| invalid("card_number", &e))?;
    let month: u8 = card
        .card_exp_month
        .trim()
        .parse()
        .map_err(|e| invalid("card_exp_month", &e))?;
    let year: u16 = card
        .card_exp_year
        .trim()
        .parse()
        .map_err(|e| invalid("card_exp_year", &e))?;
    let year = if year < 100 { 2000 + year } else { year };
    let expiry = CardExpiry::new(month, year).map_err(|e| invalid("card_exp_month", &e))?;
    free_text(
        "payment_method_data.card.card_holder_name",
        card.card_holder_name.as_deref(),
        255,
    )?;
    let cvc = card
        .card_cvc
        .as_deref()
        .map(Cvc::new)
        .transpose()
        .map_err(|e| invalid("card_cvc", &e))?;
    Ok(Card {
        number,
        expiry,
        cvc,
        holder_name: card.card_holder_name,
    })
}

/// A wallet's token, checked for the shape its wallet gives it; the processor checks the rest.
fn wallet_token(wallet: WalletData) -> Result<WalletToken, ApiError> {
    let invalid = |wallet: &str, e: WalletTokenError| {
        ApiError::invalid(
            "invalid_wallet_token",
            format!("payment_method_data.wallet.{wallet}.{e}"),
        )
    };
    match (wallet.google_pay, wallet.apple_pay) {
        (Some(google), None) => {
            if google.kind != "CARD" || google.tokenization_data.kind != "PAYMENT_GATEWAY" {
                return Err(ApiError::invalid(
                    "invalid_wallet_token",
                    "payment_method_data.wallet.google_pay: type must be CARD and \
                     tokenization_data.type PAYMENT_GATEWAY",
                ));
            }
            let info = google.info.unwrap_or(GooglePayInfo {
                card_network: None,
                card_details: None,
            });
            GooglePayToken::new(
                &google.tokenization_data.token,
                info.card_network,
                info.card_details,
            )
            .map(WalletToken::GooglePay)
            .map_err(|e| invalid("google_pay", e))
        }
        (None, Some(apple)) => {
            let payment_data = match &apple.payment_data {
                Value::String(text) => text.clone(),
                object @ Value::Object(_) => object.to_string(),
                _ => {
                    return Err(ApiError::invalid(
                        "invalid_wallet_token",
                        "payment_method_data.wallet.apple_pay.payment_data: must be the \
                         paymentData object or the base64 of its JSON",
                    ))
                }
            };
            let (display_name, network) = apple
                .payment_method
                .map(|m| (m.display_name, m.network))
                .unwrap_or_default();
            ApplePayToken::new(
                &payment_data,
                network,
                display_name,
                apple.transaction_identifier,
            )
            .map(WalletToken::ApplePay)
            .map_err(|e| invalid("apple_pay", e))
        }
        _ => Err(ApiError::invalid(
            "invalid_wallet_token",
            "payment_method_data.wallet must hold exactly one of google_pay, apple_pay",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_upper_case_codes() {
        assert_eq!(currency("USD").map(|c| c.code()), Ok("USD"));
        for code in ["usd", "Usd", "US", "USDD", ""] {
            assert_eq!(
                currency(code).expect_err(code).code,
                "unknown_currency",
                "{code}"
            );
        }
    }

    #[test]
    fn return_urls_are_https_or_local_http() {
        for ok in [
            "https://shop.example/back",
            "http://localhost:3000/back",
            "http://127.0.0.1/back",
            "http://[::1]:8080/",
        ] {
            assert!(return_url(Some(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "http://shop.example/back",
            "ftp://shop.example/",
            "data:text/html,hi",
            "not a url",
        ] {
            let err = return_url(Some(bad)).expect_err(bad);
            assert_eq!(err.code, "invalid_return_url", "{bad}");
        }
    }

    #[test]
    fn free_text_refuses_control_characters_and_length() {
        assert!(free_text("description", Some("Room 12, two nights"), 10).is_err());
        assert!(free_text("description", Some("Room 12"), 10).is_ok());
        for bad in ["a\u{0}b", "line\nbreak", "tab\there", "\u{1b}[31m"] {
            let err = free_text("card_holder_name", Some(bad), 100).expect_err(bad);
            assert!(err.message.contains("card_holder_name"), "{}", err.message);
        }
        assert!(free_text("reason", None, 1).is_ok());
    }

    #[test]
    fn metadata_keeps_to_stripes_limits() {
        let map = |pairs: Vec<(String, serde_json::Value)>| pairs.into_iter().collect();
        let ok: serde_json::Map<_, _> = map((0..50)
            .map(|i| (format!("k{i}"), "v".repeat(500).into()))
            .collect());
        assert!(metadata(&ok).is_ok());
        let too_many = map((0..51).map(|i| (format!("k{i}"), "v".into())).collect());
        assert!(metadata(&too_many)
            .expect_err("51 keys")
            .message
            .contains("at most 50"));
        let long_key = map(vec![("k".repeat(41), "v".into())]);
        assert_eq!(
            metadata(&long_key).expect_err("key").code,
            "invalid_metadata"
        );
        let long_value = map(vec![("note".into(), "secret ".repeat(80).into())]);
        let err = metadata(&long_value).expect_err("value");
        assert!(
            err.message.contains("note") && !err.message.contains("secret"),
            "{}",
            err.message
        );
        let long_json = map(vec![("list".into(), serde_json::json!(vec![1234567; 80]))]);
        assert!(metadata(&long_json).is_err());
    }

    #[test]
    fn amounts_outside_the_range_name_the_field() {
        assert_eq!(
            amount("amount", 0).expect_err("zero").code,
            "invalid_amount"
        );
        assert_eq!(
            amount("amount", -5).expect_err("negative").code,
            "invalid_amount"
        );
        let err = amount("amount_to_capture", MAX_AMOUNT + 1).expect_err("too large");
        assert_eq!(err.code, "amount_too_large");
        assert!(err.message.contains("amount_to_capture"));
        assert_eq!(amount("amount", 1).map(MinorUnit::get), Ok(1));
    }
}
