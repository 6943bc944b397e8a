//! Identifiers in Checkout.com's shapes: a prefix, `_`, and 26 lowercase base32 characters
//! (`^(pay)_(\w{26})$` and friends in the published schemas).

/// The alphabet of Checkout's ids (lowercase RFC 4648 base32).
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `prefix_` followed by 26 random id characters, e.g. `pay_mbabizu24mvu3mela5njyhpit4`.
pub(crate) fn new(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    id.extend((0..26).map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())])));
    id
}

/// `prefix_` followed by 26 id characters derived from `seed`: the same seed, the same id.
pub(crate) fn derived(prefix: &str, seed: &[u8]) -> String {
    let mac = paybridge_core::webhook::hmac_sha256(b"paybridge-sandbox checkout id", &[seed]);
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    id.extend(
        mac.iter()
            .take(26)
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])),
    );
    id
}

/// `n` random decimal digits (auth codes, scheme transaction ids).
pub(crate) fn digits(n: usize) -> String {
    (0..n).map(|_| fastrand::digit(10)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_the_published_shape() {
        let id = super::new("pay");
        assert_eq!(id.len(), 30);
        assert!(id.starts_with("pay_"));
        assert!(id[4..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_eq!(super::digits(6).len(), 6);
        let derived = super::derived("cus", b"a@b.co");
        assert_eq!(derived, super::derived("cus", b"a@b.co"));
        assert_ne!(derived, super::derived("cus", b"c@d.co"));
        assert_eq!(derived.len(), 30);
        assert!(derived[4..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
    }
}
