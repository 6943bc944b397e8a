//! Identifiers in Primer's styles.

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random(len: usize, alphabet: &[u8]) -> String {
    (0..len)
        .map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())]))
        .collect()
}

/// A payment id: 8 alphanumerics, like `kHdEw9EG`.
pub(crate) fn payment_id() -> String {
    random(8, ALPHANUMERIC)
}

/// A processor transaction id: 13 hex digits, like `54c4eb5b3ef8a`.
pub(crate) fn processor_transaction_id() -> String {
    random(13, b"0123456789abcdef")
}

/// A payment-method token minted by the helper.
pub(crate) fn payment_method_token() -> String {
    format!("pmt_sim_{}", random(24, ALPHANUMERIC))
}

/// The client token of a 3DS `requiredAction`.
pub(crate) fn client_token() -> String {
    format!("sim_client_token_{}", random(32, ALPHANUMERIC))
}

/// A client session's `clientToken`: opaque to its holder, shaped like Primer's (a signed
/// JWT \[U: its claims\]): a header, claims with a random `accessToken` and the expiry `exp`
/// (unix seconds), and an HMAC-SHA256 signature keyed with `key`, each base64url.
pub(crate) fn checkout_client_token(key: &[u8], expires_unix: i64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    let header =
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"client-token-signing-key"}"#);
    let claims = serde_json::json!({
        "accessToken": uuid::Uuid::new_v4().to_string(),
        "exp": expires_unix,
        "intent": "CHECKOUT",
        "env": "SANDBOX",
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{claims}");
    let mac = paybridge_core::webhook::hmac_sha256(key, &[signed.as_bytes()]);
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// An error's `diagnosticsId`: 10 digits.
pub(crate) fn diagnostics_id() -> String {
    random(10, b"0123456789")
}
