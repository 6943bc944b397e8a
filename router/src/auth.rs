//! Merchants and their API keys. Keys are kept only as SHA-256 digests and compared in constant
//! time against every merchant's digest, so neither the stored keys nor the timing of a
//! comparison tell anything about a key.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// One merchant's credentials.
#[derive(Clone)]
pub struct MerchantKey {
    /// The merchant.
    pub merchant_id: String,
    /// SHA-256 of the API key.
    pub key_digest: [u8; 32],
}

impl std::fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantKey")
            .field("merchant_id", &self.merchant_id)
            .finish_non_exhaustive()
    }
}

impl MerchantKey {
    /// From a plain key (hashed at once).
    pub fn from_key(merchant_id: impl Into<String>, api_key: &str) -> Self {
        MerchantKey {
            merchant_id: merchant_id.into(),
            key_digest: digest(api_key),
        }
    }

    /// From the hex SHA-256 of a key, as a configuration file should hold it.
    pub fn from_digest_hex(
        merchant_id: impl Into<String>,
        hex_digest: &str,
    ) -> Result<Self, String> {
        let bytes = hex::decode(hex_digest.trim()).map_err(|e| format!("api_key_sha256: {e}"))?;
        let key_digest: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "api_key_sha256 must be 64 hex digits".to_owned())?;
        Ok(MerchantKey {
            merchant_id: merchant_id.into(),
            key_digest,
        })
    }
}

/// The merchants this router serves.
#[derive(Debug, Clone, Default)]
pub struct Merchants {
    keys: Vec<MerchantKey>,
}

impl Merchants {
    /// From a list of keys.
    pub fn new(keys: Vec<MerchantKey>) -> Self {
        Merchants { keys }
    }

    /// The merchant whose key is `api_key`, or `None`. Every stored digest is compared, in
    /// constant time, whatever matches first.
    pub fn authenticate(&self, api_key: &str) -> Option<&str> {
        let presented = digest(api_key);
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.key_digest.ct_eq(&presented)) {
                found = Some(key.merchant_id.as_str());
            }
        }
        found
    }

    /// `true` when no merchant is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_authenticate_their_merchant_only() {
        let merchants = Merchants::new(vec![
            MerchantKey::from_key("m1", "key-one"),
            MerchantKey::from_digest_hex("m2", &hex::encode(digest("key-two"))).expect("hex"),
        ]);
        assert_eq!(merchants.authenticate("key-one"), Some("m1"));
        assert_eq!(merchants.authenticate("key-two"), Some("m2"));
        assert_eq!(merchants.authenticate("key-three"), None);
        assert_eq!(merchants.authenticate(""), None);
        assert!(MerchantKey::from_digest_hex("m3", "abcd").is_err());
        assert!(!format!("{merchants:?}").contains("key_digest"));
    }
}
