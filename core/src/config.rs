//! Connector configuration: base URL, credentials as secrets, webhook secrets, timeouts and
//! retry policy; loadable from the environment or a TOML file.

use std::collections::BTreeMap;
use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::executor::{RetryPolicy, Timeouts};
use crate::webhook::WebhookSecrets;

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable or key is missing.
    #[error("missing configuration: {0}")]
    Missing(String),
    /// A value is malformed.
    #[error("invalid configuration {key}: {message}")]
    Invalid {
        /// The variable or key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// How calls are executed: timeouts and retries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutionSettings {
    /// Connect and request timeouts.
    pub timeouts: Timeouts,
    /// Retry bounds.
    pub retry: RetryPolicy,
}

/// Everything a connector needs to talk to one processor account.
///
/// `Debug` never shows the secrets. Unknown keys are refused, so a misspelt one is not
/// silently ignored.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    /// The processor's base URL: sandbox, live, or a local simulator in tests.
    pub base_url: Url,
    /// The API key or secret key.
    pub api_key: SecretString,
    /// Webhook signing secrets, current first.
    #[serde(default, deserialize_with = "secrets")]
    pub webhook_secrets: WebhookSecrets,
    /// Processor-specific settings (e.g. Checkout.com's `processing_channel_id`).
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
    /// Timeouts and retries.
    #[serde(default)]
    pub execution: ExecutionSettings,
}

/// Shows `extra`'s keys, not its values: a connector may keep a key there (Checkout.com's
/// public key).
impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorConfig")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.api_key)
            .field("webhook_secrets", &self.webhook_secrets)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .field("execution", &self.execution)
            .finish()
    }
}

fn secrets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<WebhookSecrets, D::Error> {
    Vec::<String>::deserialize(d).map(WebhookSecrets::new)
}

impl ConnectorConfig {
    /// A configuration with defaults for everything but the URL and key.
    pub fn new(base_url: Url, api_key: impl Into<String>) -> Self {
        ConnectorConfig {
            base_url,
            api_key: SecretString::from(api_key.into()),
            webhook_secrets: WebhookSecrets::default(),
            extra: BTreeMap::new(),
            execution: ExecutionSettings::default(),
        }
    }

    /// A processor-specific setting, or [`ConfigError::Missing`].
    pub fn extra(&self, key: &str) -> Result<&str, ConfigError> {
        self.extra
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| ConfigError::Missing(format!("extra.{key}")))
    }

    /// Reads `{prefix}_{key_var}` (the credential), `{prefix}_BASE_URL` (else `default_url`),
    /// `{prefix}_WEBHOOK_SECRETS` (comma-separated), `{prefix}_TIMEOUT_MS` and each of
    /// `extra_vars` as `{prefix}_{VAR}` (stored lower-cased in `extra`).
    ///
    /// Returns `Ok(None)` when the credential is not set: live runs are opt-in.
    pub fn from_env(
        prefix: &str,
        key_var: &str,
        default_url: &str,
        extra_vars: &[&str],
    ) -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(prefix, key_var, default_url, extra_vars, |name| {
            std::env::var(name).ok()
        })
    }

    /// [`ConnectorConfig::from_env`] with a custom variable lookup (for tests).
    pub fn from_lookup(
        prefix: &str,
        key_var: &str,
        default_url: &str,
        extra_vars: &[&str],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let var =
            |suffix: &str| lookup(&format!("{prefix}_{suffix}")).filter(|v| !v.trim().is_empty());
        let Some(api_key) = var(key_var) else {
            return Ok(None);
        };
        let url_text = var("BASE_URL").unwrap_or_else(|| default_url.to_owned());
        let base_url = Url::parse(&url_text).map_err(|e| ConfigError::Invalid {
            key: format!("{prefix}_BASE_URL"),
            message: e.to_string(),
        })?;
        let mut config = ConnectorConfig::new(base_url, api_key);
        if let Some(secrets) = var("WEBHOOK_SECRETS") {
            config.webhook_secrets = WebhookSecrets::new(secrets.split(',').map(str::trim));
        }
        if let Some(ms) = var("TIMEOUT_MS") {
            let ms: u64 = ms.parse().map_err(|_| ConfigError::Invalid {
                key: format!("{prefix}_TIMEOUT_MS"),
                message: "expected milliseconds".into(),
            })?;
            config.execution.timeouts.request = std::time::Duration::from_millis(ms);
        }
        for name in extra_vars {
            match var(name) {
                Some(value) => {
                    config.extra.insert(name.to_ascii_lowercase(), value);
                }
                None => return Err(ConfigError::Missing(format!("{prefix}_{name}"))),
            }
        }
        Ok(Some(config))
    }

    /// Adds each `{prefix}_{NAME}` that is set to `extra`, under the lower-cased name: settings
    /// a connector has defaults for (an API version, a webhook tolerance).
    pub fn with_optional_env(self, prefix: &str, names: &[&str]) -> Self {
        self.with_optional_lookup(prefix, names, |name| std::env::var(name).ok())
    }

    /// [`ConnectorConfig::with_optional_env`] with a custom variable lookup (for tests).
    pub fn with_optional_lookup(
        mut self,
        prefix: &str,
        names: &[&str],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        for name in names {
            if let Some(value) =
                lookup(&format!("{prefix}_{name}")).filter(|v| !v.trim().is_empty())
            {
                self.extra.insert(name.to_ascii_lowercase(), value);
            }
        }
        self
    }

    /// Parses a TOML document with the fields of this struct.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            key: "toml".into(),
            message: e.message().to_owned(),
        })
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn env_loading_is_opt_in_and_complete() {
        let none =
            ConnectorConfig::from_lookup("PB_X", "SECRET_KEY", "https://x.test", &[], |_| None);
        assert!(matches!(none, Ok(None)));

        let vars = BTreeMap::from([
            ("PB_X_SECRET_KEY", "sk_sbox_hidden"),
            ("PB_X_PROCESSING_CHANNEL_ID", "pc_123"),
            ("PB_X_WEBHOOK_SECRETS", "one, two"),
            ("PB_X_TIMEOUT_MS", "2500"),
        ]);
        let config = ConnectorConfig::from_lookup(
            "PB_X",
            "SECRET_KEY",
            "https://x.test",
            &["PROCESSING_CHANNEL_ID"],
            |name| vars.get(name).map(|v| (*v).to_owned()),
        )
        .expect("valid")
        .expect("set");
        assert_eq!(config.base_url.as_str(), "https://x.test/");
        assert_eq!(config.extra("processing_channel_id").ok(), Some("pc_123"));
        assert_eq!(
            config.execution.timeouts.request,
            Duration::from_millis(2500)
        );
        assert!(!format!("{config:?}").contains("sk_sbox_hidden"));

        let missing = ConnectorConfig::from_lookup(
            "PB_X",
            "SECRET_KEY",
            "https://x.test",
            &["OTHER"],
            |name| vars.get(name).map(|v| (*v).to_owned()),
        );
        assert!(matches!(missing, Err(ConfigError::Missing(v)) if v == "PB_X_OTHER"));
    }

    #[test]
    fn optional_settings_come_from_the_environment_when_set() {
        let vars = BTreeMap::from([("PB_Y_API_VERSION", "2.4"), ("PB_Y_EMPTY", " ")]);
        let config = ConnectorConfig::new("https://y.test".parse().expect("url"), "key")
            .with_optional_lookup("PB_Y", &["API_VERSION", "EMPTY", "UNSET"], |name| {
                vars.get(name).map(|v| (*v).to_owned())
            });
        assert_eq!(config.extra("api_version").ok(), Some("2.4"));
        assert!(config.extra("empty").is_err());
        assert!(config.extra("unset").is_err());
    }

    #[test]
    fn toml_loading() {
        let config = ConnectorConfig::from_toml(
            r#"
            base_url = "http://127.0.0.1:8080"
            api_key = "sk_test_hidden"
            webhook_secrets = ["whsec_a"]
            extra = { processing_channel_id = "pc_1" }
            [execution.retry]
            max_attempts = 5
            [execution.timeouts]
            request = 1500
            "#,
        )
        .expect("valid");
        assert_eq!(config.execution.retry.max_attempts, 5);
        assert_eq!(
            config.execution.timeouts.request,
            Duration::from_millis(1500)
        );
        assert_eq!(
            config.execution.timeouts.connect,
            Timeouts::default().connect
        );
        assert!(!config.webhook_secrets.is_empty());
        assert!(ConnectorConfig::from_toml("base_url = 3").is_err());
    }
}
