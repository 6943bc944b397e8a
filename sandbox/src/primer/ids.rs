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

/// An error's `diagnosticsId`: 10 digits.
pub(crate) fn diagnostics_id() -> String {
    random(10, b"0123456789")
}
