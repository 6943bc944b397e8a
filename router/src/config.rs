//! The router's configuration: command-line flags, each with its `PAYBRIDGE_ROUTER_*` variable
//! ([`RouterArgs`]), over a TOML file (optional, `--config`), over the defaults. Every key of
//! the file is shown, commented, in `router/paybridge-router.example.toml`.
//!
//! A connector is configured from, in order: its `[connectors.<name>]` table; its live-sandbox
//! variables (e.g. `PAYBRIDGE_STRIPE_SECRET_KEY`); else, unless `simulators = false` (the
//! default in a build without the `simulators` feature), the router starts its simulator
//! in-process; else it is not configured.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

use paybridge_core::ConnectorConfig;
use serde::Deserialize;

use crate::auth::{MerchantKey, Merchants};

/// Log output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
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
    /// Where the router sends the merchant's events (its `webhook` table); none: no events.
    #[serde(default)]
    pub webhook: Option<crate::events::WebhookEndpointConfig>,
    /// The names wallet sheets show and the merchant's Apple Pay identity (its `wallets`
    /// table); none: the simulators' demo settings when they run, else no wallet sessions.
    #[serde(default)]
    pub wallets: Option<crate::wallets::WalletsConfig>,
    /// The merchant's external 3DS authentication (its `authentication` table); none: the
    /// 3DS server simulator's demo settings when it runs, else no external authentication.
    #[serde(default)]
    pub authentication: Option<crate::authentication::AuthenticationConfig>,
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
    /// Where to listen; port 0 picks a free port. In the file, `HOST:PORT` with an IP address
    /// or a host name (see [`listen_address`]).
    #[serde(deserialize_with = "deserialize_listen")]
    pub listen: SocketAddr,
    /// `sqlite://path` (created when missing), `sqlite::memory:`, or `postgres://…` (feature
    /// `postgres`).
    pub database_url: String,
    /// Log lines as text or JSON.
    pub log_format: LogFormat,
    /// The router's URL as processors reach it (webhooks); defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// Merchants and keys; none configured → a demo merchant with a fresh key, printed at start.
    pub merchants: Vec<MerchantConfig>,
    /// Connector configurations by connector id.
    pub connectors: BTreeMap<String, ConnectorConfig>,
    /// External 3DS servers by name (`[authenticators.threedsecureio]`), as connectors are.
    pub authenticators: BTreeMap<String, ConnectorConfig>,
    /// Start in-process simulators for connectors with no configuration (default: whether the
    /// router is built with the `simulators` feature; `true` without it is refused at start).
    pub simulators: bool,
    /// Overrides every connector's request timeout (milliseconds).
    pub connector_timeout_ms: Option<u64>,
    /// How long an `Idempotency-Key`'s answer is kept for replay, in seconds (then a request
    /// with the key runs as new). Default 86400 (24 h).
    pub idempotency_ttl_secs: u64,
    /// What one client can hold of the server: timeouts and caps (the `[server]` table).
    pub server: ServerLimits,
    /// How operations left without a processor's verdict are settled (the `[reconciler]`
    /// table).
    pub reconciler: crate::reconciler::ReconcilerSettings,
    /// How events are delivered to merchants (the `[merchant_webhooks]` table).
    pub merchant_webhooks: crate::events::DeliverySettings,
}

/// The HTTP server's limits, so that slow or idle clients cannot hold the router's
/// connections, memory or tasks. Times in milliseconds; none may be 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// How long a connection may take to send a request's headers, counted from when it waits
    /// for a request: also how long an idle keep-alive connection stays open. Default 30000.
    pub header_read_timeout_ms: u64,
    /// How long a request body may take to arrive in full (408 `body_timeout` after). Default
    /// 30000.
    pub body_read_timeout_ms: u64,
    /// Connections open at once; past it, new connections wait in the listen backlog. Keep it
    /// below the process's open-file limit (`ulimit -n`). Default 1024.
    pub max_connections: usize,
    /// Requests handled at once (`/health`, `/ready` and `/metrics` aside); past it a request
    /// waits up to `request_queue_timeout_ms`, then gets 503 `overloaded`. Default 512.
    pub max_requests_in_flight: usize,
    /// How long a request may wait for one of the `max_requests_in_flight`. Default 5000.
    pub request_queue_timeout_ms: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout_ms: 30_000,
            body_read_timeout_ms: 30_000,
            max_connections: 1024,
            max_requests_in_flight: 512,
            request_queue_timeout_ms: 5_000,
        }
    }
}

/// `Err` naming the first setting of `[table]` that is 0, among `settings` (name, is zero).
pub(crate) fn refuse_zero(table: &str, settings: &[(&str, bool)]) -> Result<(), String> {
    match settings.iter().find(|(_, is_zero)| *is_zero) {
        Some((key, _)) => Err(format!("[{table}] {key} must be greater than 0")),
        None => Ok(()),
    }
}

impl ServerLimits {
    /// Refuses a 0, which would stop the server from serving anything.
    pub fn check(&self) -> Result<(), String> {
        let zero = [
            ("header_read_timeout_ms", self.header_read_timeout_ms == 0),
            ("body_read_timeout_ms", self.body_read_timeout_ms == 0),
            ("max_connections", self.max_connections == 0),
            ("max_requests_in_flight", self.max_requests_in_flight == 0),
            (
                "request_queue_timeout_ms",
                self.request_queue_timeout_ms == 0,
            ),
        ];
        refuse_zero("server", &zero)
    }

    /// [`ServerLimits::header_read_timeout_ms`].
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// [`ServerLimits::body_read_timeout_ms`].
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }

    /// [`ServerLimits::request_queue_timeout_ms`].
    pub fn request_queue_timeout(&self) -> Duration {
        Duration::from_millis(self.request_queue_timeout_ms)
    }
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://paybridge-router.db".into(),
            log_format: LogFormat::Text,
            public_url: None,
            merchants: Vec::new(),
            connectors: BTreeMap::new(),
            authenticators: BTreeMap::new(),
            simulators: cfg!(feature = "simulators"),
            connector_timeout_ms: None,
            idempotency_ttl_secs: 86_400,
            server: ServerLimits::default(),
            reconciler: crate::reconciler::ReconcilerSettings::default(),
            merchant_webhooks: crate::events::DeliverySettings::default(),
        }
    }
}

/// The router's command line. Every setting is a flag and a `PAYBRIDGE_ROUTER_*` variable (the
/// flag wins); both override the file named by `--config`.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "paybridge-router", version, about, long_about = None)]
pub struct RouterArgs {
    /// A TOML configuration file (see router/paybridge-router.example.toml).
    #[arg(long, env = "PAYBRIDGE_ROUTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where to listen, HOST:PORT (an IP address or a host name; port 0 picks a free port).
    /// Default 127.0.0.1:8080.
    #[arg(long, env = "PAYBRIDGE_ROUTER_LISTEN", value_name = "HOST:PORT", value_parser = listen_address)]
    pub listen: Option<SocketAddr>,
    /// sqlite://FILE (created when missing), sqlite::memory:, or postgres://… (a build with
    /// --features postgres). Default sqlite://paybridge-router.db.
    #[arg(
        long,
        env = "PAYBRIDGE_ROUTER_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Log lines as text or JSON. Default text.
    #[arg(long, env = "PAYBRIDGE_ROUTER_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// The router's URL as processors reach it, for their webhooks. Default http://{listen}.
    #[arg(long, env = "PAYBRIDGE_ROUTER_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Start in-process simulators for connectors with no configuration. Default true (false in
    /// a build without the `simulators` feature).
    #[arg(long, env = "PAYBRIDGE_ROUTER_SIMULATORS", value_name = "BOOL")]
    pub simulators: Option<bool>,
    /// Merchants and their api keys, merchant_id:key,… (added to the file's merchants; prefer
    /// the variable, as a command line is visible to other users of the machine).
    #[arg(
        long,
        env = "PAYBRIDGE_ROUTER_API_KEYS",
        value_name = "ID:KEY,…",
        hide_env_values = true
    )]
    pub api_keys: Option<String>,
    /// Every connector's request timeout in milliseconds, overriding their own.
    #[arg(long, env = "PAYBRIDGE_ROUTER_CONNECTOR_TIMEOUT_MS", value_name = "MS")]
    pub connector_timeout_ms: Option<u64>,
    /// How long an Idempotency-Key's answer is kept for replay, in seconds. Default 86400.
    #[arg(long, env = "PAYBRIDGE_ROUTER_IDEMPOTENCY_TTL_SECS", value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_ttl_secs: Option<u64>,
}

impl RouterConfig {
    /// The configuration `args` describe: the file they name (if any), then each flag or
    /// variable given.
    pub fn from_args(args: RouterArgs) -> Result<Self, String> {
        let mut config = match &args.config {
            Some(path) => Self::from_file(path)?,
            None => RouterConfig::default(),
        };
        if let Some(listen) = args.listen {
            config.listen = listen;
        }
        if let Some(url) = args.database_url {
            config.database_url = url;
        }
        if let Some(format) = args.log_format {
            config.log_format = format;
        }
        if let Some(url) = args.public_url {
            config.public_url = Some(url);
        }
        if let Some(simulators) = args.simulators {
            config.simulators = simulators;
        }
        if let Some(ms) = args.connector_timeout_ms {
            config.connector_timeout_ms = Some(ms);
        }
        if let Some(secs) = args.idempotency_ttl_secs {
            config.idempotency_ttl_secs = secs;
        }
        if let Some(keys) = args.api_keys {
            for pair in keys.split(',').filter(|p| !p.trim().is_empty()) {
                let (merchant_id, key) = pair.split_once(':').ok_or(
                    "--api-keys (PAYBRIDGE_ROUTER_API_KEYS): use merchant_id:key,merchant_id:key",
                )?;
                config.merchants.push(MerchantConfig {
                    merchant_id: merchant_id.trim().to_owned(),
                    api_key: Some(key.trim().to_owned()),
                    api_key_sha256: None,
                    webhook: None,
                    wallets: None,
                    authentication: None,
                });
            }
        }
        Ok(config)
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses TOML text; `origin` names it in errors. An error gives the line and column but
    /// not the text there, which may be a secret under a misspelt key.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| {
            let place = e.span().map(|span| {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}: ")
            });
            format!("{origin}: {}{}", place.unwrap_or_default(), e.message())
        })
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

/// Parses a listen address, `HOST:PORT`: an IP address (`127.0.0.1:8080`, `[::1]:8080`) or a
/// host name resolved now (`localhost:8080`), its first IPv4 address preferred.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let form = "use HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080";
    if text
        .rsplit_once(':')
        .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
    {
        return Err(format!("'{text}': {form}"));
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("'{text}': {e}; {form}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("'{text}': the name has no address; {form}"))
}

fn deserialize_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    listen_address(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flags: &[&str]) -> Result<RouterArgs, clap::Error> {
        RouterArgs::try_parse_from(std::iter::once("paybridge-router").chain(flags.iter().copied()))
    }

    #[test]
    fn flags_override_and_bad_values_are_named() {
        let config = RouterConfig::from_args(
            args(&[
                "--listen",
                "127.0.0.1:9999",
                "--log-format",
                "json",
                "--api-keys",
                "m1:k1, m2:k2",
                "--simulators",
                "false",
                "--connector-timeout-ms",
                "1500",
            ])
            .expect("flags"),
        )
        .expect("config");
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(!config.simulators);
        assert_eq!(config.connector_timeout_ms, Some(1500));
        let merchants = config.merchant_keys().expect("keys");
        assert_eq!(merchants.authenticate("k2"), Some("m2"));
        assert!(!format!("{config:?}").contains("k1"));

        let err = args(&["--log-format", "xml"]).expect_err("bad format");
        assert!(err.to_string().contains("--log-format"), "{err}");
        let err = args(&["--connector-timeout-ms=-1"]).expect_err("negative timeout");
        assert!(err.to_string().contains("--connector-timeout-ms"), "{err}");
        let err = RouterConfig::from_args(args(&["--api-keys", "m1"]).expect("flags"))
            .expect_err("a key without its merchant");
        assert!(err.contains("merchant_id:key"), "{err}");
    }

    #[test]
    fn listen_addresses_take_names_or_say_the_form() {
        assert_eq!(
            listen_address("127.0.0.1:0").expect("ip"),
            SocketAddr::from(([127, 0, 0, 1], 0))
        );
        assert_eq!(listen_address("[::1]:80").expect("ipv6").port(), 80);
        let named = listen_address("localhost:9312").expect("a host name");
        assert!(named.ip().is_loopback() && named.port() == 9312, "{named}");
        for bad in [
            "localhost",
            "9312",
            ":9312",
            "localhost:http",
            "localhost:70000",
        ] {
            let err = listen_address(bad).expect_err(bad);
            assert!(err.contains("HOST:PORT"), "{bad}: {err}");
        }
        let config: RouterConfig = toml::from_str("listen = \"localhost:8081\"").expect("toml");
        assert_eq!(config.listen.port(), 8081);
        let err = RouterConfig::from_toml("listen = \"8081\"", "t").expect_err("no host");
        assert!(err.contains("HOST:PORT") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn unknown_connector_keys_are_refused_with_their_line() {
        for (text, key) in [
            ("[connectors.checkout]\nbase_url = \"https://x.test\"\napikey = \"k\"\n", "apikey"),
            (
                "[connectors.stripe]\nbase_url = \"https://x.test\"\napi_key = \"k\"\nwebhook_secret = [\"s\"]\n",
                "webhook_secret",
            ),
            (
                "[connectors.stripe]\nbase_url = \"https://x.test\"\napi_key = \"k\"\n[connectors.stripe.execution.timeouts]\nrequest_ms = 5\n",
                "request_ms",
            ),
        ] {
            let err = RouterConfig::from_toml(text, "test.toml").expect_err(key);
            assert!(err.contains(key), "{err}");
            let line = text.lines().position(|l| l.starts_with(key)).expect("line") + 1;
            assert!(err.contains(&format!("line {line}")), "{err}");
            assert!(!err.contains("\"k\""), "the key's value is not echoed: {err}");
        }
    }

    #[test]
    fn the_example_file_loads_with_every_section() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("paybridge-router.example.toml");
        let config = RouterConfig::from_file(&path).expect("the example loads");
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.connector_timeout_ms, Some(20_000));
        assert_eq!(config.merchants.len(), 2);
        let wallets = config.merchants[1]
            .wallets
            .as_ref()
            .expect("a wallets table");
        assert_eq!(wallets.country, "GB");
        assert!(wallets.apple_pay.is_some());
        let authentication = config.merchants[1]
            .authentication
            .as_ref()
            .expect("an authentication table");
        crate::authentication::MerchantAuthentication::from_config(authentication)
            .expect("the example's 3DS settings are valid");
        assert_eq!(
            authentication.on_unavailable,
            crate::domain::authentication::Fallback::AuthorizeWithout3ds,
            "the policies' names are the documented ones"
        );
        assert_eq!(
            config.authenticators.keys().collect::<Vec<_>>(),
            ["threedsecureio"]
        );
        config
            .merchant_keys()
            .expect("the example's keys are well formed");
        let checkout = &config.connectors["checkout"];
        assert_eq!(
            checkout.extra("processing_channel_id").ok(),
            Some("pc_replace_me")
        );
        assert_eq!(checkout.execution.retry.max_attempts, 3);
        assert_eq!(config.server, ServerLimits::default());
        assert_eq!(
            config.connectors.keys().collect::<Vec<_>>(),
            ["checkout", "primer", "stripe"]
        );
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
