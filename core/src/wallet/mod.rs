//! Wallets: Apple Pay and Google Pay.
//!
//! * [`WalletToken`]: what a wallet's payment sheet returns, checked for shape and kept secret;
//!   a payment carries it as [`crate::PaymentMethod::Wallet`].
//! * [`SessionTokenRequest`] → [`SessionTokenResponse`]: what a front end needs to open a sheet.
//!   A connector answers with Google Pay's `PaymentDataRequest` for its gateway, Apple Pay's
//!   payment request with the networks it takes, or its processor's client token.
//! * [`apple_pay::MerchantValidation`]: Apple's merchant session, fetched over mutual TLS with
//!   the merchant's identity certificate. It belongs to the merchant, not to a processor, so the
//!   router calls it beside the connector.
//!
//! ```
//! use paybridge_core::details::CountryCode;
//! use paybridge_core::wallet::{google_pay, SessionTokenRequest, Wallet, WalletMerchant};
//! use paybridge_core::{CardNetwork, Currency, MinorUnit};
//!
//! let request = SessionTokenRequest {
//!     reference: "pay_1".into(),
//!     amount: MinorUnit::new(1234).unwrap(),
//!     currency: Currency::USD,
//!     wallets: vec![Wallet::GooglePay],
//!     merchant: WalletMerchant::new("Example Store", CountryCode::new("US").unwrap()),
//! };
//! let sheet = google_pay::PaymentDataRequest::for_gateway(
//!     &request,
//!     &[CardNetwork::Visa, CardNetwork::Mastercard],
//!     [("gateway", "checkoutltd"), ("gatewayMerchantId", "pk_sbox_demo")],
//! );
//! assert_eq!(sheet.transaction_info.total_price, "12.34");
//! assert_eq!(sheet.allowed_payment_methods[0].parameters.allowed_card_networks, ["VISA", "MASTERCARD"]);
//! ```

pub mod apple_pay;
pub mod google_pay;

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::details::CountryCode;
use crate::error::ConnectorError;
use crate::money::{Currency, MinorUnit};
use crate::payment_method::CardNetwork;

/// A wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    /// Apple Pay.
    ApplePay,
    /// Google Pay.
    GooglePay,
}

impl Wallet {
    /// Every wallet.
    pub const ALL: [Wallet; 2] = [Wallet::ApplePay, Wallet::GooglePay];

    /// The API name: `apple_pay`, `google_pay`.
    pub fn name(self) -> &'static str {
        match self {
            Wallet::ApplePay => "apple_pay",
            Wallet::GooglePay => "google_pay",
        }
    }

    /// The wallet named `name`.
    pub fn from_name(name: &str) -> Option<Wallet> {
        Wallet::ALL.into_iter().find(|w| w.name() == name)
    }
}

impl fmt::Display for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A wallet's payment token as its sheet returned it. Chargeable, so never printed.
#[derive(Debug, Clone)]
pub enum WalletToken {
    /// Google Pay's `paymentMethodData`.
    GooglePay(google_pay::GooglePayToken),
    /// Apple Pay's `PKPaymentToken`.
    ApplePay(apple_pay::ApplePayToken),
}

impl WalletToken {
    /// The wallet that issued the token.
    pub fn wallet(&self) -> Wallet {
        match self {
            WalletToken::GooglePay(_) => Wallet::GooglePay,
            WalletToken::ApplePay(_) => Wallet::ApplePay,
        }
    }

    /// The card network the wallet reported, when it is one we know.
    pub fn card_network(&self) -> Option<CardNetwork> {
        let name = match self {
            WalletToken::GooglePay(token) => token.card_network.as_deref(),
            WalletToken::ApplePay(token) => token.network.as_deref(),
        }?;
        network_from_wallet_name(name)
    }

    /// The last four digits of the card (or device account) the wallet reported, if any.
    pub fn last4(&self) -> Option<&str> {
        match self {
            WalletToken::GooglePay(token) => token.card_details.as_deref(),
            WalletToken::ApplePay(token) => token.last4(),
        }
    }
}

/// Both wallets name networks in their own spelling (`VISA`, `masterCard`, `Visa`); compared
/// without case and punctuation.
fn network_from_wallet_name(name: &str) -> Option<CardNetwork> {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match folded.as_str() {
        "visa" => CardNetwork::Visa,
        "mastercard" => CardNetwork::Mastercard,
        "amex" | "americanexpress" => CardNetwork::Amex,
        "discover" => CardNetwork::Discover,
        "jcb" => CardNetwork::Jcb,
        "chinaunionpay" | "unionpay" => CardNetwork::UnionPay,
        _ => return None,
    })
}

/// A wallet token that is not what its wallet produces. Names the part, never echoes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct WalletTokenError {
    /// The part of the token at fault, as a path (`payment_data.header.publicKeyHash`).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: &'static str,
}

impl WalletTokenError {
    pub(crate) fn new(field: &'static str, message: &'static str) -> Self {
        WalletTokenError { field, message }
    }
}

/// Who the sheet says the customer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletMerchant {
    /// The store's name as the sheet shows it (Google's `merchantName`, Apple's total label).
    pub display_name: String,
    /// Where the merchant is (both wallets' `countryCode`).
    pub country: CountryCode,
    /// The merchant's Google Pay merchant id (needed in production, not in TEST).
    pub google_pay_merchant_id: Option<String>,
}

impl WalletMerchant {
    /// A merchant without a Google Pay merchant id.
    pub fn new(display_name: &str, country: CountryCode) -> Self {
        WalletMerchant {
            display_name: display_name.to_owned(),
            country,
            google_pay_merchant_id: None,
        }
    }
}

/// Produce what a front end needs to open wallet payment sheets for one payment.
#[derive(Debug, Clone)]
pub struct SessionTokenRequest {
    /// Our payment id: the processor's order reference where a session is created there.
    pub reference: String,
    /// Amount to be paid.
    pub amount: MinorUnit,
    /// Currency of `amount`.
    pub currency: Currency,
    /// The wallets the front end wants to show.
    pub wallets: Vec<Wallet>,
    /// The merchant the sheet names.
    pub merchant: WalletMerchant,
}

impl SessionTokenRequest {
    /// Checks what can be checked without the processor.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        if self.wallets.is_empty() {
            return Err(ConnectorError::invalid(
                "wallets",
                "name at least one wallet",
            ));
        }
        if self.amount.is_zero() {
            return Err(ConnectorError::invalid(
                "amount",
                "must be greater than zero",
            ));
        }
        let name = self.merchant.display_name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            // Apple: "64 or fewer UTF-8 characters"; Google shows the same name.
            return Err(ConnectorError::invalid(
                "merchant.display_name",
                "must be 1 to 64 characters without control characters",
            ));
        }
        Ok(())
    }

    /// The amount as wallets want it: major units in a string, exact (`"12.34"`, `"500"` for
    /// JPY).
    pub fn total_price(&self) -> String {
        self.amount.to_major_string(self.currency)
    }
}

/// What a front end needs for one wallet.
#[derive(Debug, Clone)]
pub enum WalletSession {
    /// The `PaymentDataRequest` for Google Pay's `loadPaymentData`.
    GooglePay(google_pay::PaymentDataRequest),
    /// The payment request for `new ApplePaySession(…)`. Apple's merchant session, which the
    /// sheet also needs, comes from [`apple_pay::MerchantValidation`].
    ApplePay(apple_pay::PaymentRequest),
    /// The processor's client token, with which its own SDK opens the wallet (Primer).
    ClientToken {
        /// The wallet asked for.
        wallet: Wallet,
        /// The token; it lets a browser pay this payment, so it is kept secret in logs.
        client_token: SecretString,
        /// When the token stops working, as the processor wrote it.
        expires_at: Option<String>,
    },
    /// The connector cannot serve this wallet, and why.
    Unavailable {
        /// The wallet asked for.
        wallet: Wallet,
        /// Why, in words a merchant can act on.
        reason: String,
    },
}

impl WalletSession {
    /// The wallet this session is for.
    pub fn wallet(&self) -> Wallet {
        match self {
            WalletSession::GooglePay(_) => Wallet::GooglePay,
            WalletSession::ApplePay(_) => Wallet::ApplePay,
            WalletSession::ClientToken { wallet, .. }
            | WalletSession::Unavailable { wallet, .. } => *wallet,
        }
    }
}

/// The answer to session token: one entry per wallet asked for, in the order asked.
#[derive(Debug, Clone)]
pub struct SessionTokenResponse {
    /// The sessions.
    pub sessions: Vec<WalletSession>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_network_names_map_whatever_their_spelling() {
        for (name, network) in [
            ("VISA", Some(CardNetwork::Visa)),
            ("Visa", Some(CardNetwork::Visa)),
            ("masterCard", Some(CardNetwork::Mastercard)),
            ("MASTERCARD", Some(CardNetwork::Mastercard)),
            ("AmEx", Some(CardNetwork::Amex)),
            ("chinaUnionPay", Some(CardNetwork::UnionPay)),
            ("INTERAC", None),
        ] {
            assert_eq!(network_from_wallet_name(name), network, "{name}");
        }
    }

    #[test]
    fn a_session_request_needs_wallets_an_amount_and_a_short_name() {
        let good = SessionTokenRequest {
            reference: "pay_1".into(),
            amount: MinorUnit::new(500).expect("amount"),
            currency: Currency::JPY,
            wallets: vec![Wallet::ApplePay],
            merchant: WalletMerchant::new("Shop", CountryCode::new("JP").expect("JP")),
        };
        assert!(good.validate().is_ok());
        assert_eq!(good.total_price(), "500");
        let mut bad = good.clone();
        bad.wallets.clear();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.amount = MinorUnit::ZERO;
        assert!(bad.validate().is_err());
        let mut bad = good;
        bad.merchant.display_name = "x".repeat(65);
        assert!(bad.validate().is_err());
    }
}
