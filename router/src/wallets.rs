//! Each merchant's wallet settings: the names its payment sheets show, its Google Pay
//! environment, and its Apple Pay identity ([`MerchantValidation`]), built once at start.
//!
//! Apple Pay's merchant session belongs to the merchant (its Apple merchant id and identity
//! certificate), not to a processor, so the router asks Apple for it beside the connector's
//! part of the session token.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use paybridge_core::details::CountryCode;
use paybridge_core::wallet::apple_pay::{
    MerchantIdentity, MerchantValidation, PRODUCTION_ENDPOINT,
};
use paybridge_core::WalletMerchant;
use secrecy::SecretString;
use serde::Deserialize;

/// A merchant's `[merchants.wallets]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletsConfig {
    /// The store's name on the sheets (1–64 characters).
    pub display_name: String,
    /// The merchant's country, ISO 3166-1 alpha-2 (both wallets' `countryCode`).
    pub country: String,
    /// Google Pay settings.
    #[serde(default)]
    pub google_pay: GooglePayConfig,
    /// Apple Pay settings; none: Apple Pay sessions are refused for this merchant.
    #[serde(default)]
    pub apple_pay: Option<ApplePayConfig>,
}

/// `[merchants.wallets.google_pay]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePayConfig {
    /// Google's merchant id (required by Google in production).
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// `TEST` (default) or `PRODUCTION`: the `PaymentsClient` environment the front end uses.
    #[serde(default)]
    pub environment: GooglePayEnvironment,
}

/// Google Pay's `PaymentsClient` environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum GooglePayEnvironment {
    /// Test cards, no charge.
    #[default]
    #[serde(rename = "TEST")]
    Test,
    /// Real cards.
    #[serde(rename = "PRODUCTION")]
    Production,
}

impl GooglePayEnvironment {
    /// Google's spelling.
    pub fn name(self) -> &'static str {
        match self {
            GooglePayEnvironment::Test => "TEST",
            GooglePayEnvironment::Production => "PRODUCTION",
        }
    }
}

/// `[merchants.wallets.apple_pay]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplePayConfig {
    /// The Apple merchant id (`merchant.com.example`).
    pub merchant_identifier: String,
    /// The fully qualified domain the front end runs on, registered with Apple.
    pub domain: String,
    /// The merchant identity certificate (PEM file).
    pub certificate_file: PathBuf,
    /// Its private key (PEM file).
    pub private_key_file: PathBuf,
    /// Apple's payment session endpoint (default: Apple's global one).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// A CA certificate (PEM file) trusted besides the public roots: a simulator's.
    #[serde(default)]
    pub extra_root_ca_file: Option<PathBuf>,
    /// How long to wait for Apple (milliseconds, default 10 000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// One merchant's wallet settings, ready to use.
#[derive(Debug, Clone)]
pub struct MerchantWallets {
    /// What the sheets name.
    pub merchant: WalletMerchant,
    /// Google Pay's environment.
    pub google_pay_environment: GooglePayEnvironment,
    /// Apple Pay's merchant validation, when configured.
    pub apple_pay: Option<MerchantValidation>,
}

impl MerchantWallets {
    /// From a merchant's table; reads the Apple Pay certificate and key files.
    pub fn from_config(config: &WalletsConfig) -> Result<Self, String> {
        let country =
            CountryCode::new(&config.country).map_err(|e| format!("wallets.country: {e}"))?;
        let mut merchant = WalletMerchant::new(&config.display_name, country);
        merchant.google_pay_merchant_id = config.google_pay.merchant_id.clone();
        let apple_pay = config
            .apple_pay
            .as_ref()
            .map(|apple| apple_pay_validation(apple, &config.display_name))
            .transpose()?;
        Ok(MerchantWallets {
            merchant,
            google_pay_environment: config.google_pay.environment,
            apple_pay,
        })
    }
}

fn apple_pay_validation(
    config: &ApplePayConfig,
    display_name: &str,
) -> Result<MerchantValidation, String> {
    let read = |what: &str, path: &PathBuf| {
        std::fs::read_to_string(path)
            .map_err(|e| format!("wallets.apple_pay.{what} {}: {e}", path.display()))
    };
    let identity = MerchantIdentity {
        merchant_identifier: config.merchant_identifier.clone(),
        display_name: display_name.to_owned(),
        domain: config.domain.clone(),
        certificate_pem: SecretString::from(read("certificate_file", &config.certificate_file)?),
        private_key_pem: SecretString::from(read("private_key_file", &config.private_key_file)?),
    };
    let endpoint = config.endpoint.as_deref().unwrap_or(PRODUCTION_ENDPOINT);
    let endpoint = endpoint
        .parse()
        .map_err(|e| format!("wallets.apple_pay.endpoint {endpoint}: {e}"))?;
    let roots = match &config.extra_root_ca_file {
        Some(path) => vec![read("extra_root_ca_file", path)?],
        None => Vec::new(),
    };
    let timeout = Duration::from_millis(config.timeout_ms.unwrap_or(10_000));
    MerchantValidation::new(identity, endpoint, roots, timeout)
        .map_err(|e| format!("wallets.apple_pay: {e}"))
}

/// Every merchant's wallet settings, and those of merchants with none (the simulators' demo
/// settings, when the router runs them).
#[derive(Debug, Clone, Default)]
pub struct Wallets {
    merchants: BTreeMap<String, MerchantWallets>,
    fallback: Option<MerchantWallets>,
}

impl Wallets {
    /// Wallet settings by merchant id; `fallback` serves merchants without their own.
    pub fn new(
        merchants: BTreeMap<String, MerchantWallets>,
        fallback: Option<MerchantWallets>,
    ) -> Self {
        Wallets {
            merchants,
            fallback,
        }
    }

    /// The settings that apply to `merchant_id`.
    pub fn for_merchant(&self, merchant_id: &str) -> Option<&MerchantWallets> {
        self.merchants.get(merchant_id).or(self.fallback.as_ref())
    }
}

/// The Apple merchant id of the simulators' demo settings.
#[cfg(feature = "simulators")]
pub const DEMO_APPLE_MERCHANT: &str = "merchant.dev.paybridge.demo";
/// The front end's domain in the simulators' demo settings, registered with the simulator.
#[cfg(feature = "simulators")]
pub const DEMO_DOMAIN: &str = "shop.paybridge.test";

/// The settings of merchants without their own when the simulators run: Google Pay in `TEST`,
/// Apple Pay validated by an in-process simulator of Apple's endpoint, whose test CA issued
/// the identity certificate (made now, kept in memory).
#[cfg(feature = "simulators")]
pub async fn demo_wallets(
    timeout: Duration,
) -> Result<
    (
        MerchantWallets,
        paybridge_sandbox::apple_pay::ApplePaySimHandle,
    ),
    String,
> {
    use paybridge_sandbox::apple_pay::{self, ApplePaySimConfig};
    let simulator = apple_pay::start(
        ApplePaySimConfig::new().with_merchant(DEMO_APPLE_MERCHANT, [DEMO_DOMAIN]),
    )
    .await
    .map_err(|e| e.to_string())?;
    let (certificate, key) = simulator
        .merchant_identity(DEMO_APPLE_MERCHANT)
        .map_err(|e| e.to_string())?;
    let display_name = "paybridge demo store";
    let identity = MerchantIdentity {
        merchant_identifier: DEMO_APPLE_MERCHANT.to_owned(),
        display_name: display_name.to_owned(),
        domain: DEMO_DOMAIN.to_owned(),
        certificate_pem: SecretString::from(certificate),
        private_key_pem: SecretString::from(key),
    };
    let validation = MerchantValidation::new(
        identity,
        simulator.endpoint(),
        vec![simulator.ca_pem().to_owned()],
        timeout,
    )
    .map_err(|e| e.to_string())?;
    let country = CountryCode::new("US").map_err(|e| e.to_string())?;
    let settings = MerchantWallets {
        merchant: WalletMerchant::new(display_name, country),
        google_pay_environment: GooglePayEnvironment::Test,
        apple_pay: Some(validation),
    };
    Ok((settings, simulator))
}
