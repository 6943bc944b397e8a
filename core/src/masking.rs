//! Masking of request and response bodies for logs: field names stay visible, sensitive values
//! do not.
//!
//! Two nets: values under a sensitive field name are replaced, and any string that looks like
//! a card number (12–19 digits passing Luhn) is cut to BIN and last four wherever it appears.

use serde_json::Value;

use crate::http::ContentType;
use crate::payment_method::luhn_valid;

/// Field names whose values never reach a log, compared case-insensitively and ignoring `_`
/// and `-` (so `cardNumber`, `card_number` and `card-number` are one name).
pub const SENSITIVE_FIELDS: &[&str] = &[
    "number",
    "cardnumber",
    "pan",
    "cvv",
    "cvc",
    "cvv2",
    "securitycode",
    "password",
    "secret",
    "apikey",
    "xapikey",
    "clientsecret",
    "token",
    "paymentmethodtoken",
    "resumetoken",
    "cryptogram",
    "authorization",
    // The cardholder and the expiry: personal data, and with the number, the whole card.
    // `name` is masked wherever it appears (a processor's cardholder, or billing name).
    "name",
    "cardholdername",
    "holdername",
    "expirymonth",
    "expiryyear",
    "expmonth",
    "expyear",
    "expiry",
    "expirydate",
    "expirationmonth",
    "expirationyear",
    // Personal data of the customer and their contacts: names, e-mail, phone, address lines,
    // postal code and IP address (city, state and country stay readable).
    "firstname",
    "lastname",
    "email",
    "receiptemail",
    "emailaddress",
    "phone",
    "phonenumber",
    "mobilenumber",
    "line1",
    "line2",
    "line3",
    "addressline1",
    "addressline2",
    "addressline3",
    "zip",
    "postalcode",
    "zipcode",
    "postcode",
    "ipaddress",
    "paymentip",
    "useragent",
];

/// The placeholder for a masked value.
pub const MASK: &str = "***";

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `true` when `name` (or its innermost bracket part, for form keys like `card[number]`) is a
/// sensitive field, by the defaults or by `extra`.
pub fn is_sensitive(name: &str, extra: &[&str]) -> bool {
    let inner = name
        .rsplit('[')
        .next()
        .unwrap_or(name)
        .trim_end_matches(']');
    let key = normalise(inner);
    SENSITIVE_FIELDS.iter().any(|s| *s == key) || extra.iter().any(|s| normalise(s) == key)
}

/// Masks digit runs that look like card numbers inside free text.
pub fn mask_pans(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let run = &text[start..i];
            if (12..=19).contains(&run.len()) && luhn_valid(run) {
                out.push_str(&run[..6]);
                out.push_str(&"*".repeat(run.len() - 10));
                out.push_str(&run[run.len() - 4..]);
            } else {
                out.push_str(run);
            }
        } else {
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

fn mask_value(value: &mut Value, extra: &[&str]) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_sensitive(key, extra) && !v.is_object() && !v.is_array() && !v.is_null() {
                    *v = Value::String(MASK.to_owned());
                } else if let (true, Value::Array(items)) = (is_sensitive(key, extra), &mut *v) {
                    // A sensitive list of values (Google Pay's `signatures`): each is masked.
                    for item in items.iter_mut() {
                        if item.is_object() || item.is_array() {
                            mask_value(item, extra);
                        } else if !item.is_null() {
                            *item = Value::String(MASK.to_owned());
                        }
                    }
                } else {
                    mask_value(v, extra);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask_value(v, extra)),
        Value::String(s) => *s = mask_pans(s),
        _ => {}
    }
}

/// A loggable rendering of a body: JSON and form bodies with sensitive values masked; anything
/// else reduced to its length.
pub fn mask_body(content_type: Option<ContentType>, body: &[u8], extra: &[&str]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let looks_json = matches!(body.first(), Some(b'{' | b'['));
    match content_type {
        Some(ContentType::Form) => mask_form(body, extra),
        _ if looks_json || content_type == Some(ContentType::Json) => {
            match serde_json::from_slice::<Value>(body) {
                Ok(mut value) => {
                    mask_value(&mut value, extra);
                    value.to_string()
                }
                Err(_) => format!("<{} bytes, unparsable JSON not shown>", body.len()),
            }
        }
        _ => match std::str::from_utf8(body) {
            Ok(text) if text.contains('=') && !text.contains(' ') => mask_form(body, extra),
            _ => format!("<{} bytes not shown>", body.len()),
        },
    }
}

fn mask_form(body: &[u8], extra: &[&str]) -> String {
    url::form_urlencoded::parse(body)
        .map(|(key, value)| {
            if is_sensitive(&key, extra) {
                format!("{key}={MASK}")
            } else {
                format!("{key}={}", mask_pans(&value))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_names_and_hides_values() {
        let body = br#"{"source":{"type":"card","number":"4242424242424242","cvv":"100"},"amount":1000,"note":"card 5555555555554444"}"#;
        let shown = mask_body(Some(ContentType::Json), body, &[]);
        assert!(shown.contains("\"number\":\"***\""), "{shown}");
        assert!(shown.contains("\"cvv\":\"***\""), "{shown}");
        assert!(shown.contains("\"amount\":1000"), "{shown}");
        assert!(shown.contains("555555******4444"), "{shown}");
        assert!(!shown.contains("4242424242424242"), "{shown}");
    }

    #[test]
    fn a_sensitive_list_hides_each_value() {
        let body = br#"{"signatures":["MEYCIQ","MEUCIA"],"networks":["VISA"]}"#;
        let shown = mask_body(Some(ContentType::Json), body, &["signatures"]);
        assert!(
            !shown.contains("MEYCIQ") && !shown.contains("MEUCIA"),
            "{shown}"
        );
        assert!(shown.contains("VISA"), "{shown}");
    }

    #[test]
    fn form_keys_use_their_innermost_name() {
        let body = b"payment_method_data[card][number]=4242424242424242&payment_method_data[card][cvc]=123&amount=1000";
        let shown = mask_body(Some(ContentType::Form), body, &[]);
        assert_eq!(
            shown,
            "payment_method_data[card][number]=***&payment_method_data[card][cvc]=***&amount=1000"
        );
    }

    #[test]
    fn the_cardholder_and_the_expiry_are_masked_in_both_formats() {
        let json =
            br#"{"source":{"type":"card","expiry_month":12,"expiry_year":2031,"name":"Jane Doe"}}"#;
        let shown = mask_body(Some(ContentType::Json), json, &[]);
        assert_eq!(
            shown,
            r#"{"source":{"expiry_month":"***","expiry_year":"***","name":"***","type":"card"}}"#
        );
        let form =
            b"card[exp_month]=12&card[exp_year]=2031&billing_details[name]=Jane+Doe&amount=5";
        let shown = mask_body(Some(ContentType::Form), form, &[]);
        assert_eq!(
            shown,
            "card[exp_month]=***&card[exp_year]=***&billing_details[name]=***&amount=5"
        );
    }

    #[test]
    fn personal_data_is_masked_but_places_stay() {
        let json = br#"{"customer":{"email":"ada@example.com","phone":{"number":"2079460000"}},"billing_address":{"address_line1":"12 Marylebone Road","zip":"NW1 5LR","city":"London","country":"GB"},"payment_ip":"203.0.113.9"}"#;
        let shown = mask_body(Some(ContentType::Json), json, &[]);
        for hidden in ["ada@", "2079460000", "Marylebone", "NW1", "203.0.113"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("London") && shown.contains("GB"), "{shown}");
        let form = b"receipt_email=ada%40example.com&shipping[address][line1]=12+Marylebone+Road&shipping[phone]=2079460000";
        let shown = mask_body(Some(ContentType::Form), form, &[]);
        for hidden in ["ada", "Marylebone", "2079460000"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }

    #[test]
    fn extra_names_and_case_variants() {
        assert!(is_sensitive("paymentMethodToken", &[]));
        assert!(is_sensitive("X-Api-Key", &[]));
        assert!(is_sensitive("expirationMonth", &[]));
        assert!(is_sensitive("signing_key", &["signingKey"]));
        assert!(!is_sensitive("amount", &[]));
    }

    #[test]
    fn short_digit_runs_and_non_luhn_stay() {
        assert_eq!(
            mask_pans("order 12345 amount 4242424242424241"),
            "order 12345 amount 4242424242424241"
        );
        assert_eq!(
            mask_pans("ünïcode 4242424242424242!"),
            "ünïcode 424242******4242!"
        );
    }

    #[test]
    fn opaque_bodies_are_not_shown() {
        assert_eq!(
            mask_body(None, b"\x00\x01binary", &[]),
            "<8 bytes not shown>"
        );
        assert_eq!(
            mask_body(Some(ContentType::Json), b"{oops", &[]),
            "<5 bytes, unparsable JSON not shown>"
        );
    }
}
