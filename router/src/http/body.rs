//! JSON request bodies: the [`Body`] extractor, with the API's own error codes instead of axum's
//! plain-text rejections.

use axum::body::Bytes;
use std::time::Duration;

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::config::ServerLimits;
use crate::error::ApiError;

/// A request body read as the JSON object `T`, whatever the `Content-Type`.
///
/// An empty (or all-whitespace) body reads as `{}`. Anything but a JSON object is 400
/// `invalid_body`; JSON that does not parse is 400 `malformed_json`; a missing, unknown or
/// wrongly typed field is 400 `invalid_body` with the field named.
#[derive(Debug, Clone)]
pub struct Body<T>(pub T);

/// The JSON error for a body that could not be read: 413 `body_too_large` past the limit, else
/// 400 `unreadable_body` (axum's own answers are plain text).
pub fn unreadable(rejection: &BytesRejection) -> ApiError {
    let status = rejection.status();
    let (code, message) = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        (
            "body_too_large",
            format!("the request body is larger than the limit of {BODY_LIMIT} bytes"),
        )
    } else {
        (
            "unreadable_body",
            "the request body could not be read".to_owned(),
        )
    };
    ApiError {
        status,
        kind: crate::error::ErrorType::InvalidRequest,
        code: code.to_owned(),
        message,
    }
}

/// How long a body may take to arrive, set on each request by the router's limits (a request
/// without it, in a test, gets the default).
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);

/// Reads the whole body within its [`BodyReadTimeout`]: a client that stops sending gets 408
/// `body_timeout` instead of holding the request, with [`unreadable`]'s errors otherwise.
pub async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let timeout = request
        .extensions()
        .get::<BodyReadTimeout>()
        .map_or_else(|| ServerLimits::default().body_read_timeout(), |t| t.0);
    match tokio::time::timeout(timeout, Bytes::from_request(request, state)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(rejection)) => Err(unreadable(&rejection)),
        Err(_) => Err(ApiError {
            status: axum::http::StatusCode::REQUEST_TIMEOUT,
            kind: crate::error::ErrorType::InvalidRequest,
            code: "body_timeout".to_owned(),
            message: format!(
                "the request body did not arrive within {} ms",
                timeout.as_millis()
            ),
        }),
    }
}

/// The most a request body may hold (the router's `DefaultBodyLimit`).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A body read as bytes, with [`unreadable`]'s JSON errors (webhooks: their signature covers
/// the bytes as sent).
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_body(request, state).await.map(RawBody)
    }
}

/// One id from the path (`{payment_id}`, `{refund_id}`, `{connector}`), with a JSON error that
/// does not echo it when it is not text.
#[derive(Debug, Clone)]
pub struct PathId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| PathId(id))
            .map_err(|_| {
                ApiError::invalid("invalid_path", "an id in the path is not valid UTF-8 text")
            })
    }
}

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Body::parse(&read_body(request, state).await?)
    }
}

impl<T: DeserializeOwned> Body<T> {
    /// Reads `bytes` as `T`, with the errors [`Body`] describes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            bytes
        };
        // serde would read a JSON array as a struct's fields in order: only objects are bodies.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid(
                "invalid_body",
                "the request body must be a JSON object",
            ));
        }
        axum::Json::<T>::from_bytes(bytes)
            .map(|axum::Json(value)| Body(value))
            .map_err(|rejection| {
                let text = without_values(&rejection.body_text());
                let code = match rejection {
                    JsonRejection::JsonSyntaxError(_) => "malformed_json",
                    _ => "invalid_body",
                };
                ApiError::invalid(code, text)
            })
    }
}

/// serde's message without the values it quotes: `invalid type: integer `4242…`, expected a
/// string` becomes `invalid type: integer, expected a string`. Field names and the types
/// expected stay; what was sent (a card number given as a number, say) is never echoed, logged
/// or stored with the answer.
fn without_values(message: &str) -> String {
    // The words serde puts before a value it quotes (`Unexpected`'s, and unknown variants').
    const BEFORE_A_VALUE: [&str; 6] = [
        "integer",
        "floating point",
        "string",
        "boolean",
        "character",
        "unknown variant",
    ];
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        let quote = c == '`' || c == '"';
        if !quote || !BEFORE_A_VALUE.iter().any(|w| out.trim_end().ends_with(w)) {
            out.push(c);
            continue;
        }
        out.truncate(out.trim_end().len());
        // Skip to the closing quote (a string's escapes included); an unmatched one runs to
        // the end.
        while let Some(inner) = chars.next() {
            if inner == '\\' && c == '"' {
                chars.next();
            } else if inner == c {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::model::{CaptureBody, EmptyBody, UpdateMetadataBody};

    /// What the extractor answers for `body`, as a handler would receive it.
    async fn extract<T: DeserializeOwned>(body: &'static str) -> Result<T, ApiError> {
        let request = Request::post("/payments/pay_x/capture")
            .body(axum::body::Body::from(body))
            .expect("a request");
        Body::<T>::from_request(request, &())
            .await
            .map(|Body(value)| value)
    }

    #[tokio::test]
    async fn an_empty_or_blank_body_reads_as_an_empty_object() {
        let CaptureBody { .. } = extract::<CaptureBody>("").await.expect("empty is {}");
        let EmptyBody {} = extract::<EmptyBody>(" \n\t ").await.expect("blank is {}");
        // ...which a body with a required field still refuses, naming it.
        let err = extract::<UpdateMetadataBody>("")
            .await
            .expect_err("metadata is required");
        assert_eq!(err.code, "invalid_body");
        assert!(err.message.contains("metadata"), "{}", err.message);
    }

    #[tokio::test]
    async fn an_array_or_scalar_body_is_not_an_object() {
        for body in ["[1, 2]", " [] ", "\"text\"", "42", "null"] {
            let err = extract::<EmptyBody>(body).await.expect_err(body);
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(err.code, "invalid_body", "{body}");
            assert!(
                err.message.contains("JSON object"),
                "{body}: {}",
                err.message
            );
        }
    }

    #[tokio::test]
    async fn malformed_json_is_its_own_code() {
        for body in [
            "{\"amount_to_capture\": 10,",
            "{amount_to_capture: 1}",
            "{} trailing",
        ] {
            let err = extract::<CaptureBody>(body).await.expect_err(body);
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(err.code, "malformed_json", "{body}: {}", err.message);
        }
    }

    #[test]
    fn quoted_values_are_left_out_of_messages() {
        assert_eq!(
            without_values(
                "Failed to deserialize the JSON body into the target type: \
                 payment_method_data.card.card_number: invalid type: integer \
                 `4000002760003184`, expected a string at line 1 column 60"
            ),
            "Failed to deserialize the JSON body into the target type: \
             payment_method_data.card.card_number: invalid type: integer, expected a string \
             at line 1 column 60"
        );
        assert_eq!(
            without_values(r#"card_cvc: invalid type: string "12\"3", expected a string"#),
            "card_cvc: invalid type: string, expected a string"
        );
        assert_eq!(
            without_values("unknown variant `4242`, expected one of `card`, `token`"),
            "unknown variant, expected one of `card`, `token`"
        );
        assert_eq!(
            without_values("missing field `metadata` at line 1 column 2"),
            "missing field `metadata` at line 1 column 2",
            "field names stay"
        );
        assert_eq!(without_values("a string `4242"), "a string", "unmatched");
    }

    #[tokio::test]
    async fn a_card_number_sent_as_a_number_is_not_echoed() {
        let body = r#"{"amount": 1, "currency": "USD", "connector": "stripe",
            "payment_method_data": {"card": {"card_number": 4000002760003184,
            "card_exp_month": "12", "card_exp_year": "2030"}}}"#;
        let err = extract::<crate::model::CreatePaymentRequest>(body)
            .await
            .expect_err("a number is not a card number");
        assert_eq!(err.code, "invalid_body");
        assert!(err.message.contains("card_number"), "{}", err.message);
        assert!(err.message.contains("expected a string"), "{}", err.message);
        assert!(!err.message.contains("4000002760003184"), "{}", err.message);
        assert!(!err.message.contains("3184"), "{}", err.message);
    }

    #[tokio::test]
    async fn unknown_or_mistyped_fields_are_named() {
        let err = extract::<CaptureBody>("{\"amount\": 10}")
            .await
            .expect_err("unknown field");
        assert_eq!(err.code, "invalid_body");
        assert!(err.message.contains("amount"), "{}", err.message);
        let err = extract::<CaptureBody>("{\"amount_to_capture\": \"ten\"}")
            .await
            .expect_err("a string for a number");
        assert_eq!(err.code, "invalid_body");
        assert!(err.message.contains("amount_to_capture"), "{}", err.message);
    }
}
