//! The checks every API request passes before its endpoint runs: the API key (Bearer or
//! Basic), `Stripe-Version` and the `Idempotency-Key` length. Their failures are never stored
//! for idempotent replay.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::Engine as _;

use super::errors::ApiError;

/// Stripe's limit on `Idempotency-Key` \[C\].
const MAX_IDEMPOTENCY_KEY: usize = 255;

pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Authorization: Bearer <key>` (scheme in any case) or HTTP Basic with the key as user name,
/// one of `keys`.
pub(super) fn authenticate(keys: &[&str], headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = header(headers, AUTHORIZATION.as_str()) else {
        return Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or \
             we can help at https://support.stripe.com/."
                .to_owned(),
        ));
    };
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(|user_pass| {
                user_pass
                    .split_once(':')
                    .map_or(user_pass.as_str(), |(user, _)| user)
                    .to_owned()
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    if !key.is_empty() && keys.contains(&key.as_str()) {
        return Ok(());
    }
    Err(unauthorized(format!(
        "Invalid API Key provided: {}",
        mask_key(&key)
    )))
}

fn unauthorized(message: String) -> ApiError {
    ApiError::unauthorized(message)
}

/// A key as Stripe shows it in errors: its `sk_test_`-style prefix, stars, and at most the
/// last four characters; short keys are all stars.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let prefix = [
        "sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_",
    ]
    .iter()
    .find(|p| key.starts_with(*p))
    .map_or(0, |p| p.len());
    if chars.len() < prefix + 8 {
        return "*".repeat(chars.len().max(4));
    }
    let shown: String = chars[chars.len() - 4..].iter().collect();
    format!(
        "{}{}{shown}",
        &key[..prefix],
        "*".repeat(chars.len() - prefix - 4)
    )
}

/// `Stripe-Version`: any date (`YYYY-MM-DD`, optionally `.release`) is accepted and answers
/// keep the 2024-04-10 shapes \[U: Stripe refuses dates that are not releases\].
pub(super) fn check_version(version: Option<&str>) -> Result<(), ApiError> {
    let Some(version) = version else {
        return Ok(());
    };
    let (date, release) = version.split_once('.').unwrap_or((version, "x"));
    let bytes = date.as_bytes();
    let date_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    let release_ok = !release.is_empty()
        && release
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if date_ok && release_ok {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "Invalid Stripe API version: {version}"
        )))
    }
}

pub(super) fn check_idempotency_key(key: Option<&str>) -> Result<(), ApiError> {
    match key {
        Some(key) if key.len() > MAX_IDEMPOTENCY_KEY => Err(ApiError::validation(format!(
            "Invalid Idempotency-Key: keys must be at most {MAX_IDEMPOTENCY_KEY} characters \
             long."
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn keys_are_masked() {
        assert_eq!(
            mask_key("sk_test_abcdefghijkl1234"),
            "sk_test_************1234"
        );
        assert_eq!(mask_key("short"), "*****");
        assert_eq!(mask_key(""), "****");
        assert!(!mask_key("sk_test_paybridge_sim").contains("paybridge"));
    }

    #[test]
    fn versions_are_dates() {
        for ok in [None, Some("2024-04-10"), Some("2026-07-29.dahlia")] {
            assert!(check_version(ok).is_ok(), "{ok:?}");
        }
        for bad in ["2024-4-10", "latest", "2024-04-10.", "2024-04-10.da-hl"] {
            assert!(check_version(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bearer_and_basic_auth_are_accepted() {
        let secret = "sk_test_x";
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk_test_x"));
        assert!(authenticate(&[secret], &headers).is_ok());
        let basic = base64::engine::general_purpose::STANDARD.encode("sk_test_x:");
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).unwrap(),
        );
        assert!(authenticate(&[secret], &headers).is_ok());
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk_test_y"));
        assert!(authenticate(&[secret], &headers).is_err());
    }
}
