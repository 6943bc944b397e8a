//! External 3-D Secure settings: the 3DS servers the router can ask, each merchant's
//! `[merchants.authentication]` table, and the card data held between a payment's creation
//! and its authorization.
//!
//! ```toml
//! [[merchants]]
//! merchant_id = "merchant_shop"
//! api_key_sha256 = "…"
//! [merchants.authentication]
//! connector = "threedsecureio"           # an [authenticators.<name>] table, or its variables
//! merchant_name = "Example Shop"
//! merchant_country_code = "826"          # ISO 3166-1 numeric
//! mcc = "5732"
//! acquirer_bin = "400551"
//! acquirer_merchant_id = "shop-0001"
//! requestor_url = "https://shop.example/"
//! notification_url = "https://shop.example/3ds/done"   # default: the payment's return_url
//! on_not_authenticated = "fail"          # or "authorize_without_3ds"
//! on_unavailable = "fail"                # or "authorize_without_3ds"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paybridge_core::authentication::{AuthenticationConnector, ThreeDsMerchant};
use paybridge_core::url::Url;
use paybridge_core::AuthorizeRequest;
use serde::Deserialize;

use crate::domain::authentication::{Fallback, Policy};

/// A merchant's `[merchants.authentication]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationConfig {
    /// The authentication connector (`threedsecureio`).
    pub connector: String,
    /// The merchant's name in the AReq (at most 40 characters).
    pub merchant_name: String,
    /// ISO 3166-1 numeric country code of the merchant (`826`).
    pub merchant_country_code: String,
    /// Merchant category code (4 digits).
    pub mcc: String,
    /// The acquirer's BIN at the directory server.
    pub acquirer_bin: String,
    /// The merchant's id at the acquirer.
    pub acquirer_merchant_id: String,
    /// The merchant's website.
    pub requestor_url: String,
    /// Where the ACS posts the challenge's result in the customer's browser (default: the
    /// payment's `return_url`).
    #[serde(default)]
    pub notification_url: Option<String>,
    /// Where the 3DS Method page posts when done (default: `notification_url`).
    #[serde(default)]
    pub method_notification_url: Option<String>,
    /// After `N` (not authenticated).
    #[serde(default)]
    pub on_not_authenticated: Fallback,
    /// After `U`, a card without 3DS2, or a 3DS server that could not be asked.
    #[serde(default)]
    pub on_unavailable: Fallback,
}

/// A merchant's checked settings.
#[derive(Debug, Clone)]
pub struct MerchantAuthentication {
    /// The authentication connector's id.
    pub connector: String,
    /// Who is paid, as the AReq names them.
    pub merchant: ThreeDsMerchant,
    /// Where the ACS posts a challenge's result (else the payment's `return_url`).
    pub notification_url: Option<Url>,
    /// Where the 3DS Method posts.
    pub method_notification_url: Option<Url>,
    /// What results other than success lead to.
    pub policy: Policy,
}

impl MerchantAuthentication {
    /// Checks `config`: the error names the setting.
    pub fn from_config(config: &AuthenticationConfig) -> Result<Self, String> {
        let url = |name: &str, text: &str| -> Result<Url, String> {
            let url = Url::parse(text).map_err(|e| format!("authentication.{name}: {e}"))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(format!("authentication.{name}: must be an http(s) URL"));
            }
            Ok(url)
        };
        let digits = |name: &str, text: &str, lengths: std::ops::RangeInclusive<usize>| {
            if lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err(format!(
                    "authentication.{name}: '{text}' is not {}–{} digits",
                    lengths.start(),
                    lengths.end()
                ))
            }
        };
        digits(
            "merchant_country_code",
            &config.merchant_country_code,
            3..=3,
        )?;
        digits("mcc", &config.mcc, 4..=4)?;
        digits("acquirer_bin", &config.acquirer_bin, 6..=11)?;
        let name_length = config.merchant_name.chars().count();
        if name_length == 0 || name_length > 40 {
            return Err("authentication.merchant_name: must be 1 to 40 characters".into());
        }
        if config.acquirer_merchant_id.is_empty() || config.acquirer_merchant_id.len() > 35 {
            return Err("authentication.acquirer_merchant_id: must be 1 to 35 characters".into());
        }
        let notification_url = config
            .notification_url
            .as_deref()
            .map(|u| url("notification_url", u))
            .transpose()?;
        let method_notification_url = config
            .method_notification_url
            .as_deref()
            .map(|u| url("method_notification_url", u))
            .transpose()?
            .or_else(|| notification_url.clone());
        Ok(MerchantAuthentication {
            connector: config.connector.clone(),
            merchant: ThreeDsMerchant {
                name: config.merchant_name.clone(),
                country_numeric: config.merchant_country_code.clone(),
                mcc: config.mcc.clone(),
                acquirer_bin: config.acquirer_bin.clone(),
                acquirer_merchant_id: config.acquirer_merchant_id.clone(),
                requestor_url: url("requestor_url", &config.requestor_url)?,
            },
            notification_url,
            method_notification_url,
            policy: Policy {
                on_not_authenticated: config.on_not_authenticated,
                on_unavailable: config.on_unavailable,
            },
        })
    }

    /// Where the ACS sends the customer's browser after `request`'s challenge.
    pub fn notification_url(&self, request: &AuthorizeRequest) -> Result<Url, crate::ApiError> {
        self.notification_url
            .clone()
            .or_else(|| request.return_url.clone())
            .ok_or_else(|| crate::ApiError::internal(NO_RETURN_URL))
    }

    /// Where the 3DS Method page reports, for `request`.
    pub fn method_notification_url(
        &self,
        request: &AuthorizeRequest,
    ) -> Result<Url, crate::ApiError> {
        self.method_notification_url
            .clone()
            .or_else(|| request.return_url.clone())
            .ok_or_else(|| crate::ApiError::internal(NO_RETURN_URL))
    }

    /// The demo merchant's settings with the in-process 3DS server simulator `connector`,
    /// whose pages post back to `public_url`.
    pub fn demo(connector: &str, public_url: &str) -> Result<Self, String> {
        Self::from_config(&AuthenticationConfig {
            connector: connector.to_owned(),
            merchant_name: "paybridge demo shop".into(),
            merchant_country_code: "826".into(),
            mcc: "5732".into(),
            acquirer_bin: "400551".into(),
            acquirer_merchant_id: "paybridge-demo".into(),
            requestor_url: format!("{public_url}/"),
            notification_url: Some(format!("{public_url}/3ds/notification")),
            method_notification_url: None,
            on_not_authenticated: Fallback::Fail,
            on_unavailable: Fallback::Fail,
        })
    }
}

/// A 3-D Secure payment without `return_url` is refused by `AuthorizeRequest::validate`.
const NO_RETURN_URL: &str = "a 3-D Secure payment without a return_url";

/// How long a payment's card is held for its authentication: a challenge page times out long
/// before (EMV 3DS allows the cardholder at most a few minutes).
pub const HOLD_FOR: Duration = Duration::from_secs(30 * 60);

/// The 3DS servers, the merchants' settings, and the authorizations waiting for their
/// authentication.
#[derive(Default)]
pub struct Authentications {
    connectors: BTreeMap<String, Arc<dyn AuthenticationConnector>>,
    merchants: BTreeMap<String, MerchantAuthentication>,
    demo: Option<MerchantAuthentication>,
    held: HeldAuthorizations,
}

impl Authentications {
    /// The settings: `connectors` by id, `merchants`' tables, and `demo` for merchants without
    /// one (the simulators' settings, when they run).
    pub fn new(
        connectors: BTreeMap<String, Arc<dyn AuthenticationConnector>>,
        merchants: BTreeMap<String, MerchantAuthentication>,
        demo: Option<MerchantAuthentication>,
    ) -> Result<Self, String> {
        for (merchant, settings) in &merchants {
            if !connectors.contains_key(&settings.connector) {
                return Err(format!(
                    "merchant {merchant}: authentication.connector '{}' is not configured; \
                     configure [authenticators.{0}] or its environment variables",
                    settings.connector
                ));
            }
        }
        let demo = demo.filter(|d| connectors.contains_key(&d.connector));
        Ok(Authentications {
            connectors,
            merchants,
            demo,
            held: HeldAuthorizations::default(),
        })
    }

    /// `merchant_id`'s settings and its 3DS server, when it has them.
    pub fn for_merchant(
        &self,
        merchant_id: &str,
    ) -> Option<(&MerchantAuthentication, &Arc<dyn AuthenticationConnector>)> {
        let settings = self.merchants.get(merchant_id).or(self.demo.as_ref())?;
        Some((settings, self.connectors.get(&settings.connector)?))
    }

    /// The authentication connector `id`.
    pub fn connector(&self, id: &str) -> Option<&Arc<dyn AuthenticationConnector>> {
        self.connectors.get(id)
    }

    /// The authorizations waiting for their authentication.
    pub fn held(&self) -> &HeldAuthorizations {
        &self.held
    }
}

/// Authorization requests (with their cards) waiting for the payment's authentication, in
/// this process's memory only: the router stores no card numbers, so a payment whose router
/// restarted (or whose next call reaches another instance) before its authorization cannot
/// finish, and fails with `authentication_data_expired`. A deployment with several instances
/// routes a payment's calls to one instance, or puts a PCI vault behind this type.
#[derive(Default)]
pub struct HeldAuthorizations {
    held: Mutex<HashMap<String, (AuthorizeRequest, Instant)>>,
}

impl HeldAuthorizations {
    /// Holds `request` for `payment_id` for [`HOLD_FOR`].
    pub fn hold(&self, payment_id: &str, request: AuthorizeRequest) {
        let mut held = self.lock();
        let now = Instant::now();
        held.retain(|_, (_, until)| *until > now);
        held.insert(payment_id.to_owned(), (request, now + HOLD_FOR));
    }

    /// The request held for `payment_id`, unless it expired.
    pub fn get(&self, payment_id: &str) -> Option<AuthorizeRequest> {
        let held = self.lock();
        held.get(payment_id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(request, _)| request.clone())
    }

    /// Forgets `payment_id`'s request: it was sent, or the payment ended.
    pub fn release(&self, payment_id: &str) {
        self.lock().remove(payment_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (AuthorizeRequest, Instant)>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AuthenticationConfig {
        AuthenticationConfig {
            connector: "threedsecureio".into(),
            merchant_name: "Shop".into(),
            merchant_country_code: "826".into(),
            mcc: "5732".into(),
            acquirer_bin: "400551".into(),
            acquirer_merchant_id: "m-1".into(),
            requestor_url: "https://shop.example/".into(),
            notification_url: Some("https://shop.example/3ds".into()),
            method_notification_url: None,
            on_not_authenticated: Fallback::Fail,
            on_unavailable: Fallback::AuthorizeWithout3ds,
        }
    }

    #[test]
    fn settings_are_checked_and_name_what_is_wrong() {
        let settings = MerchantAuthentication::from_config(&config()).expect("valid settings");
        assert_eq!(
            settings.method_notification_url.as_ref().map(Url::as_str),
            Some("https://shop.example/3ds"),
            "the method notification defaults to the notification URL"
        );
        assert_eq!(
            settings.policy.on_unavailable,
            Fallback::AuthorizeWithout3ds
        );
        type Break = fn(&mut AuthenticationConfig);
        let cases: [(&str, Break); 5] = [
            ("merchant_country_code", |c| {
                c.merchant_country_code = "GB".into()
            }),
            ("mcc", |c| c.mcc = "57".into()),
            ("acquirer_bin", |c| c.acquirer_bin = "40x551".into()),
            ("merchant_name", |c| c.merchant_name = "x".repeat(41)),
            ("requestor_url", |c| c.requestor_url = "ftp://shop".into()),
        ];
        for (name, break_it) in cases {
            let mut bad = config();
            break_it(&mut bad);
            let err = MerchantAuthentication::from_config(&bad).expect_err(name);
            assert!(err.starts_with(&format!("authentication.{name}")), "{err}");
        }
    }

    #[test]
    fn a_merchant_naming_an_unconfigured_server_is_refused() {
        let settings = MerchantAuthentication::from_config(&config()).expect("valid settings");
        let merchants = BTreeMap::from([("m".to_owned(), settings)]);
        let err = Authentications::new(BTreeMap::new(), merchants, None)
            .err()
            .expect("refused");
        assert!(err.contains("[authenticators.threedsecureio]"), "{err}");
    }

    fn request(payment_id: &str) -> AuthorizeRequest {
        use paybridge_core::{Card, CardExpiry, CardNumber, Currency, MinorUnit, PaymentMethod};
        let card = Card {
            number: CardNumber::new("4242424242424242").expect("a test card"),
            expiry: CardExpiry::new(12, 2040).expect("an expiry"),
            cvc: None,
            holder_name: None,
        };
        AuthorizeRequest::new(
            MinorUnit::new(100).expect("an amount"),
            Currency::USD,
            PaymentMethod::Card(card),
            payment_id,
        )
    }

    #[test]
    fn held_requests_are_released_and_never_outlive_their_hold() {
        let held = HeldAuthorizations::default();
        held.hold("pay_1", request("pay_1"));
        assert!(held.get("pay_1").is_some());
        held.release("pay_1");
        assert!(held.get("pay_1").is_none());
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        held.lock().insert("pay_2".into(), (request("pay_2"), past));
        assert!(
            held.get("pay_2").is_none(),
            "an expired hold is not given out"
        );
    }
}
