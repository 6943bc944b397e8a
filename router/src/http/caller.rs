//! Who is calling: the `api-key` header authenticated against the configured merchants, and on
//! the routes that take one, the `Idempotency-Key` header checked against core's rules.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use paybridge_core::{ConnectorError, IdempotencyKey};

use super::Shared;
use crate::auth::Merchants;
use crate::error::ApiError;
use crate::payments;

/// The caller of a route that takes an `Idempotency-Key`: the merchant its `api-key`
/// authenticates, and the key when one is given.
///
/// Refuses with 401 `invalid_api_key` (no, unreadable or unknown `api-key`) or 400
/// `invalid_idempotency_key` (a key outside [`IdempotencyKey`]'s rules).
#[derive(Debug, Clone)]
pub struct Caller(pub payments::Caller);

/// The caller of a route that takes no `Idempotency-Key`: only the `api-key` is read (an
/// `Idempotency-Key` header is ignored there), so the key is always `None`.
#[derive(Debug, Clone)]
pub struct Merchant(pub payments::Caller);

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        // The idempotency layer and then the handler both ask: authenticate once.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = Caller::from_headers(&parts.headers, &state.merchants)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<Shared> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        Merchant::from_headers(&parts.headers, &state.merchants)
    }
}

impl Caller {
    /// The caller the headers name: `api-key` first (a request that fails authentication is
    /// refused whatever its `Idempotency-Key`), then `Idempotency-Key`.
    pub fn from_headers(headers: &HeaderMap, merchants: &Merchants) -> Result<Self, ApiError> {
        let merchant_id = authenticate(headers, merchants)?;
        let idempotency_key = idempotency_key(headers)?;
        Ok(Caller(payments::Caller {
            merchant_id,
            idempotency_key,
            operation: None,
        }))
    }
}

impl Merchant {
    /// The caller the `api-key` header names.
    pub fn from_headers(headers: &HeaderMap, merchants: &Merchants) -> Result<Self, ApiError> {
        Ok(Merchant(payments::Caller {
            merchant_id: authenticate(headers, merchants)?,
            idempotency_key: None,
            operation: None,
        }))
    }
}

/// The merchant whose key the `api-key` header holds. The key itself is never put in a message.
fn authenticate(headers: &HeaderMap, merchants: &Merchants) -> Result<String, ApiError> {
    let key = headers
        .get("api-key")
        .ok_or_else(|| ApiError::unauthenticated("the api-key header is missing"))?
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the api-key header is not valid text"))?;
    let merchant_id = merchants
        .authenticate(key)
        .ok_or_else(|| ApiError::unauthenticated("the api-key is not valid"))?;
    // The request's log lines say whose it is from here on.
    tracing::Span::current().record("merchant_id", merchant_id);
    Ok(merchant_id.to_owned())
}

/// The `Idempotency-Key` header, when present, as core's [`IdempotencyKey`] accepts it.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    // Bytes that are not text become U+FFFD, which core's rules refuse like any non-ASCII.
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    match IdempotencyKey::new(text) {
        Ok(key) => Ok(Some(key.into())),
        Err(ConnectorError::InvalidRequest { message, .. }) => Err(ApiError::invalid(
            "invalid_idempotency_key",
            format!("Idempotency-Key {message}"),
        )),
        Err(_) => Err(ApiError::invalid(
            "invalid_idempotency_key",
            "Idempotency-Key is not a valid key",
        )),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, StatusCode};

    use super::*;
    use crate::auth::MerchantKey;

    const KEY: &str = "unit_test_key";

    fn merchants() -> Merchants {
        Merchants::new(vec![MerchantKey::from_key("merchant_unit", KEY)])
    }

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(
                *name,
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        headers
    }

    fn refusal(headers: &HeaderMap) -> ApiError {
        Caller::from_headers(headers, &merchants()).expect_err("refused")
    }

    #[test]
    fn a_missing_api_key_is_401_and_says_so() {
        let err = refusal(&headers(&[("idempotency-key", b"order-1")]));
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.code, "invalid_api_key");
        assert!(err.message.contains("missing"), "{}", err.message);
        let err = Merchant::from_headers(&HeaderMap::new(), &merchants()).expect_err("refused");
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn an_unknown_api_key_is_401_and_not_echoed() {
        let err = refusal(&headers(&[("api-key", b"guessed-secret")]));
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.code, "invalid_api_key");
        assert!(!err.message.contains("guessed-secret"), "{}", err.message);
        let err = refusal(&headers(&[("api-key", b"caf\xc3\xa9")]));
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn a_bad_api_key_is_refused_before_the_idempotency_key_is_read() {
        let err = refusal(&headers(&[
            ("api-key", b"guessed-secret"),
            ("idempotency-key", b"spaced key"),
        ]));
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn idempotency_keys_outside_cores_rules_are_400_naming_the_rule() {
        let too_long = vec![b'k'; 256];
        for bad in [&b"spaced key"[..], b"", b"caf\xc3\xa9", &too_long] {
            let err = refusal(&headers(&[
                ("api-key", KEY.as_bytes()),
                ("idempotency-key", bad),
            ]));
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert_eq!(err.code, "invalid_idempotency_key", "{bad:?}");
            assert!(
                err.message.contains("1 to 255 printable ASCII"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn a_valid_caller_carries_its_merchant_and_key() {
        let longest = "k".repeat(255);
        let Caller(caller) = Caller::from_headers(
            &headers(&[
                ("api-key", KEY.as_bytes()),
                ("idempotency-key", longest.as_bytes()),
            ]),
            &merchants(),
        )
        .expect("accepted");
        assert_eq!(caller.merchant_id, "merchant_unit");
        assert_eq!(caller.idempotency_key.as_deref(), Some(longest.as_str()));
        let Caller(keyless) =
            Caller::from_headers(&headers(&[("api-key", KEY.as_bytes())]), &merchants())
                .expect("accepted");
        assert_eq!(keyless.idempotency_key, None);
        // Routes without idempotency ignore the header, even a bad one, as they always did.
        let Merchant(merchant) = Merchant::from_headers(
            &headers(&[
                ("api-key", KEY.as_bytes()),
                ("idempotency-key", b"spaced key"),
            ]),
            &merchants(),
        )
        .expect("accepted");
        assert_eq!(merchant.idempotency_key, None);
    }
}
