//! The router's configuration: a TOML file (optional) and `PAYBRIDGE_ROUTER_*` variables, the
//! variables winning.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! database_url = "sqlite://paybridge.db?mode=rwc"
//! log_format = "json"                    # or "text"
//! public_url = "https://router.example"  # where processors send webhooks
//!
//! [[merchants]]
//! merchant_id = "merchant_1"
//! api_key_sha256 = "…64 hex digits…"     # or api_key = "…" (hashed at start)
//!
//! [connectors.checkout]                  # any connector's ConnectorConfig
//! base_url = "https://api.sandbox.checkout.com"
//! api_key = "sk_sbox_…"
//! webhook_secrets = ["…"]
//! extra = { processing_channel_id = "pc_…" }
//! ```
//!
//! A connector is configured from, in order: its `[connectors.<name>]` table; its live-sandbox
//! variables (e.g. `PAYBRIDGE_STRIPE_SECRET_KEY`); else, unless `simulators = false`, the
//! router starts its simulator in-process.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use paybridge_core::ConnectorConfig;
use serde::Deserialize;

use crate::auth::{MerchantKey, Merchants};

/// Log output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A merchant as configured.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantConfig {
    /// The merchant's id.
    pub merchant_id: String,
    /// The key in clear (hashed at start; prefer `api_key_sha256` in files).
    #[serde(default)]
    pub api_key: Option<String>,
    /// The hex SHA-256 of the key.
    #[serde(default)]
    pub api_key_sha256: Option<String>,
}

impl std::fmt::Debug for MerchantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantConfig")
            .field("merchant_id", &self.merchant_id)
            .finish_non_exhaustive()
    }
}

/// Everything the router needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `sqlite://path?mode=rwc`, `sqlite::memory:`, or `postgres://…` (feature `postgres`).
    pub database_url: String,
    /// Log lines as text or JSON.
    pub log_format: LogFormat,
    /// The router's URL as processors reach it (webhooks); defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// Merchants and keys; none configured → a demo merchant with a fresh key, printed at start.
    pub merchants: Vec<MerchantConfig>,
    /// Connector configurations by connector id.
    pub connectors: BTreeMap<String, ConnectorConfig>,
    /// Start in-process simulators for connectors with no configuration.
    pub simulators: bool,
    /// Overrides every connector's request timeout (milliseconds).
    pub connector_timeout_ms: Option<u64>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://paybridge-router.db?mode=rwc".into(),
            log_format: LogFormat::Text,
            public_url: None,
            merchants: Vec::new(),
            connectors: BTreeMap::new(),
            simulators: true,
            connector_timeout_ms: None,
        }
    }
}

impl RouterConfig {
    /// Reads the file named by `PAYBRIDGE_ROUTER_CONFIG` (if set), then applies
    /// `PAYBRIDGE_ROUTER_LISTEN`, `_DATABASE_URL`, `_LOG_FORMAT`, `_PUBLIC_URL`, `_SIMULATORS`
    /// (`true`/`false`) and `_API_KEYS` (`merchant_id:key,…`).
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`RouterConfig::from_env`] with a custom variable lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var =
            |name: &str| lookup(&format!("PAYBRIDGE_ROUTER_{name}")).filter(|v| !v.is_empty());
        let mut config = match var("CONFIG") {
            Some(path) => Self::from_file(Path::new(&path))?,
            None => RouterConfig::default(),
        };
        if let Some(listen) = var("LISTEN") {
            config.listen = listen
                .parse()
                .map_err(|e| format!("PAYBRIDGE_ROUTER_LISTEN '{listen}': {e}"))?;
        }
        if let Some(url) = var("DATABASE_URL") {
            config.database_url = url;
        }
        if let Some(format) = var("LOG_FORMAT") {
            config.log_format = match format.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => {
                    return Err(format!(
                        "PAYBRIDGE_ROUTER_LOG_FORMAT '{other}': use json or text"
                    ))
                }
            };
        }
        if let Some(url) = var("PUBLIC_URL") {
            config.public_url = Some(url);
        }
        if let Some(flag) = var("SIMULATORS") {
            config.simulators = flag
                .parse()
                .map_err(|_| format!("PAYBRIDGE_ROUTER_SIMULATORS '{flag}': use true or false"))?;
        }
        if let Some(keys) = var("API_KEYS") {
            for pair in keys.split(',').filter(|p| !p.trim().is_empty()) {
                let (merchant_id, key) = pair
                    .split_once(':')
                    .ok_or("PAYBRIDGE_ROUTER_API_KEYS: use merchant_id:key,merchant_id:key")?;
                config.merchants.push(MerchantConfig {
                    merchant_id: merchant_id.trim().to_owned(),
                    api_key: Some(key.trim().to_owned()),
                    api_key_sha256: None,
                });
            }
        }
        Ok(config)
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The merchants' keys, hashed.
    pub fn merchant_keys(&self) -> Result<Merchants, String> {
        let mut keys = Vec::new();
        for m in &self.merchants {
            let key = match (&m.api_key, &m.api_key_sha256) {
                (Some(key), None) if !key.is_empty() => MerchantKey::from_key(&m.merchant_id, key),
                (None, Some(digest)) => MerchantKey::from_digest_hex(&m.merchant_id, digest)
                    .map_err(|e| format!("merchant {}: {e}", m.merchant_id))?,
                _ => {
                    return Err(format!(
                        "merchant {}: give exactly one of api_key and api_key_sha256",
                        m.merchant_id
                    ))
                }
            };
            keys.push(key);
        }
        Ok(Merchants::new(keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_override_and_bad_values_are_named() {
        let lookup = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let config = RouterConfig::from_lookup(lookup(&[
            ("PAYBRIDGE_ROUTER_LISTEN", "127.0.0.1:9999"),
            ("PAYBRIDGE_ROUTER_LOG_FORMAT", "json"),
            ("PAYBRIDGE_ROUTER_API_KEYS", "m1:k1, m2:k2"),
        ]))
        .expect("config");
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.log_format, LogFormat::Json);
        let merchants = config.merchant_keys().expect("keys");
        assert_eq!(merchants.authenticate("k2"), Some("m2"));
        let err = RouterConfig::from_lookup(lookup(&[("PAYBRIDGE_ROUTER_LOG_FORMAT", "xml")]))
            .expect_err("bad format");
        assert!(err.contains("LOG_FORMAT"), "{err}");
        assert!(!format!("{config:?}").contains("k1"));
    }

    #[test]
    fn a_file_configures_merchants_and_connectors() {
        let config: RouterConfig = toml::from_str(
            r#"
            database_url = "sqlite::memory:"
            simulators = false
            [[merchants]]
            merchant_id = "m1"
            api_key = "secret"
            [connectors.checkout]
            base_url = "https://api.sandbox.checkout.com"
            api_key = "sk_sbox_x"
            extra = { processing_channel_id = "pc_1" }
            "#,
        )
        .expect("toml");
        assert!(!config.simulators);
        assert_eq!(
            config.connectors["checkout"]
                .extra("processing_channel_id")
                .ok(),
            Some("pc_1")
        );
        assert!(toml::from_str::<RouterConfig>("listn = \"x\"").is_err());
    }
}
