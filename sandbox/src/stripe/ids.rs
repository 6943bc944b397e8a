//! Identifiers in Stripe's shapes: a prefix, `_`, and random alphanumerics
//! (`pi_3MtwBwLkdIwHu7ix28a3tqPa`, `req_a1B2c3D4e5F6g7`).

/// The alphabet of Stripe's ids (ASCII letters of both cases and digits).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Random characters after the prefix of an object id.
const OBJECT_ID_LEN: usize = 24;
/// Random characters after `req_`.
const REQUEST_ID_LEN: usize = 14;

fn random(n: usize) -> String {
    (0..n)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

/// `prefix_` followed by 24 random characters, e.g. `pi_3MtwBwLkdIwHu7ix28a3tqPa`.
pub(crate) fn new(prefix: &str) -> String {
    format!("{prefix}_{}", random(OBJECT_ID_LEN))
}

/// A request id, `req_` and 14 random characters.
pub(crate) fn request() -> String {
    format!("req_{}", random(REQUEST_ID_LEN))
}

/// A PaymentIntent's client secret: `{id}_secret_{random}`.
pub(crate) fn client_secret(intent_id: &str) -> String {
    format!("{intent_id}_secret_{}", random(25))
}

/// A card's `fingerprint`: 16 characters, the same for the same number, revealing nothing of
/// it (an HMAC under a fixed key).
pub(crate) fn fingerprint(number: &str) -> String {
    let mac = paybridge_core::webhook::hmac_sha256(b"paybridge-stripe-sim", &[number.as_bytes()]);
    mac.iter()
        .take(16)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_stripe_shapes() {
        let id = super::new("pi");
        assert_eq!(id.len(), 27);
        assert!(id.starts_with("pi_"));
        assert!(id[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(super::request().len(), 18);
        let secret = super::client_secret(&id);
        assert!(secret.starts_with(&format!("{id}_secret_")));
        assert_eq!(super::fingerprint("4242"), super::fingerprint("4242"));
        assert_ne!(super::fingerprint("4242"), super::fingerprint("4243"));
        assert_eq!(super::fingerprint("4242").len(), 16);
    }
}
