//! Google Pay: the `PaymentDataRequest` a front end passes to `loadPaymentData` (API version
//! 2.0), and the token the sheet returns.
//!
//! Facts (Google's request objects reference and its PSP demo, `docs/processors.md` → wallets):
//! every `tokenizationSpecification` parameter is a string; `totalPrice` is a string in major
//! units; `allowedAuthMethods` ⊂ {`PAN_ONLY`, `CRYPTOGRAM_3DS`}.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{SessionTokenRequest, WalletTokenError};
use crate::payment_method::CardNetwork;

/// The largest token we accept: real ECv2 tokens are a few kilobytes.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Google Pay's `PaymentDataRequest`, serialized with Google's own field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDataRequest {
    /// Always 2.
    pub api_version: u8,
    /// Always 0.
    pub api_version_minor: u8,
    /// Who is paid.
    pub merchant_info: MerchantInfo,
    /// One `CARD` method.
    pub allowed_payment_methods: Vec<CardPaymentMethod>,
    /// What is paid.
    pub transaction_info: TransactionInfo,
}

/// `merchantInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantInfo {
    /// Shown on the sheet.
    pub merchant_name: String,
    /// Google's merchant id; required in production only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<String>,
}

/// One entry of `allowedPaymentMethods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPaymentMethod {
    /// `CARD`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Networks and authentication methods.
    pub parameters: CardParameters,
    /// How the card is handed to the gateway.
    pub tokenization_specification: TokenizationSpecification,
}

/// `parameters` of a `CARD` method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardParameters {
    /// `PAN_ONLY`, `CRYPTOGRAM_3DS`.
    pub allowed_auth_methods: Vec<String>,
    /// Google's network names (`VISA`, `MASTERCARD`, …).
    pub allowed_card_networks: Vec<String>,
}

/// `tokenizationSpecification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizationSpecification {
    /// `PAYMENT_GATEWAY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The gateway's parameters (`gateway`, `gatewayMerchantId`, …), all strings.
    pub parameters: BTreeMap<String, String>,
}

/// `transactionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInfo {
    /// `FINAL`: the amount will not change.
    pub total_price_status: String,
    /// Major units, exact (`"12.34"`).
    pub total_price: String,
    /// ISO 4217.
    pub currency_code: String,
    /// ISO 3166-1 alpha-2 of the merchant.
    pub country_code: String,
}

impl PaymentDataRequest {
    /// The request for a connector whose processor is Google Pay gateway `gateway` (its
    /// `tokenizationSpecification.parameters`), taking cards of `networks` with both
    /// authentication methods.
    pub fn for_gateway<'a>(
        request: &SessionTokenRequest,
        networks: &[CardNetwork],
        gateway: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        PaymentDataRequest {
            api_version: 2,
            api_version_minor: 0,
            merchant_info: MerchantInfo {
                merchant_name: request.merchant.display_name.clone(),
                merchant_id: request.merchant.google_pay_merchant_id.clone(),
            },
            allowed_payment_methods: vec![CardPaymentMethod {
                kind: "CARD".to_owned(),
                parameters: CardParameters {
                    allowed_auth_methods: vec!["PAN_ONLY".to_owned(), "CRYPTOGRAM_3DS".to_owned()],
                    allowed_card_networks: networks
                        .iter()
                        .filter_map(|n| network_name(*n))
                        .map(str::to_owned)
                        .collect(),
                },
                tokenization_specification: TokenizationSpecification {
                    kind: "PAYMENT_GATEWAY".to_owned(),
                    parameters: gateway
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect(),
                },
            }],
            transaction_info: TransactionInfo {
                total_price_status: "FINAL".to_owned(),
                total_price: request.total_price(),
                currency_code: request.currency.code().to_owned(),
                country_code: request.merchant.country.as_str().to_owned(),
            },
        }
    }
}

/// Google's name for a network; `None` for networks Google Pay does not list.
pub fn network_name(network: CardNetwork) -> Option<&'static str> {
    Some(match network {
        CardNetwork::Visa => "VISA",
        CardNetwork::Mastercard => "MASTERCARD",
        CardNetwork::Amex => "AMEX",
        CardNetwork::Discover => "DISCOVER",
        CardNetwork::Jcb => "JCB",
        CardNetwork::Diners | CardNetwork::UnionPay => return None,
    })
}

/// The token from `paymentMethodData.tokenizationData.token`: JSON text whose shape depends on
/// the gateway (Google's encrypted `ECv2` message for most, a Stripe token object for Stripe).
#[derive(Clone)]
pub struct GooglePayToken {
    token: SecretString,
    /// `paymentMethodData.info.cardNetwork` (`VISA`), when given.
    pub card_network: Option<String>,
    /// `paymentMethodData.info.cardDetails`: the card's last four digits, when given.
    pub card_details: Option<String>,
}

impl GooglePayToken {
    /// Checks that `token` is a JSON object of a sane size, and the card facts' shapes.
    pub fn new(
        token: &str,
        card_network: Option<String>,
        card_details: Option<String>,
    ) -> Result<Self, WalletTokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(WalletTokenError::new(
                "tokenization_data.token",
                "is longer than 16 KiB",
            ));
        }
        if !matches!(serde_json::from_str::<Value>(token), Ok(Value::Object(_))) {
            return Err(WalletTokenError::new(
                "tokenization_data.token",
                "must be the JSON text Google Pay returned (an object)",
            ));
        }
        if card_details
            .as_deref()
            .is_some_and(|d| d.len() != 4 || !d.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(WalletTokenError::new(
                "info.card_details",
                "must be the card's last four digits",
            ));
        }
        if card_network.as_deref().is_some_and(|n| {
            n.is_empty()
                || n.len() > 32
                || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }) {
            return Err(WalletTokenError::new(
                "info.card_network",
                "must be a network name such as VISA",
            ));
        }
        Ok(GooglePayToken {
            token: SecretString::from(token.to_owned()),
            card_network,
            card_details,
        })
    }

    /// The token text, exactly as the sheet gave it.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The token parsed (checked to be an object at construction).
    pub fn json(&self) -> Map<String, Value> {
        match serde_json::from_str(self.token.expose_secret()) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// The token as Google's encrypted payment method token, when it is one: `protocolVersion`,
    /// `signature` and `signedMessage` strings, and for `ECv2` an `intermediateSigningKey` with
    /// `signedKey` and `signatures`.
    pub fn encrypted(&self) -> Result<EncryptedToken, WalletTokenError> {
        let json = self.json();
        let text = |key: &'static str, field: &'static str| match json.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(WalletTokenError::new(field, "is missing or not a string")),
        };
        let protocol_version = text("protocolVersion", "tokenization_data.token.protocolVersion")?;
        let signature = text("signature", "tokenization_data.token.signature")?;
        let signed_message = text("signedMessage", "tokenization_data.token.signedMessage")?;
        if !matches!(
            serde_json::from_str::<Value>(&signed_message),
            Ok(Value::Object(_))
        ) {
            return Err(WalletTokenError::new(
                "tokenization_data.token.signedMessage",
                "must be serialized JSON",
            ));
        }
        let intermediate_signing_key = json.get("intermediateSigningKey").cloned();
        match protocol_version.as_str() {
            "ECv1" => {}
            "ECv2" => {
                let key = intermediate_signing_key.as_ref().and_then(Value::as_object);
                let complete = key.is_some_and(|k| {
                    k.get("signedKey").is_some_and(Value::is_string)
                        && k.get("signatures")
                            .and_then(Value::as_array)
                            .is_some_and(|s| !s.is_empty())
                });
                if !complete {
                    return Err(WalletTokenError::new(
                        "tokenization_data.token.intermediateSigningKey",
                        "an ECv2 token needs signedKey and signatures",
                    ));
                }
            }
            _ => {
                return Err(WalletTokenError::new(
                    "tokenization_data.token.protocolVersion",
                    "must be ECv1 or ECv2",
                ))
            }
        }
        Ok(EncryptedToken {
            protocol_version,
            signature,
            intermediate_signing_key,
            signed_message,
        })
    }
}

impl fmt::Debug for GooglePayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GooglePayToken")
            .field("token", &"[REDACTED]")
            .field("card_network", &self.card_network)
            .finish_non_exhaustive()
    }
}

/// Google's encrypted payment method token, with Google's field names.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptedToken {
    /// `ECv1` or `ECv2`.
    pub protocol_version: String,
    /// Base64 ECDSA signature.
    pub signature: String,
    /// `ECv2` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intermediate_signing_key: Option<Value>,
    /// Serialized JSON: `encryptedMessage`, `ephemeralPublicKey`, `tag`.
    pub signed_message: String,
}

impl fmt::Debug for EncryptedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedToken")
            .field("protocol_version", &self.protocol_version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecv2() -> String {
        serde_json::json!({
            "protocolVersion": "ECv2",
            "signature": "MEQCIH6Q",
            "intermediateSigningKey": {"signedKey": "{\"keyValue\":\"MFkw\",\"keyExpiration\":\"1\"}", "signatures": ["MEYC"]},
            "signedMessage": "{\"encryptedMessage\":\"x\",\"ephemeralPublicKey\":\"y\",\"tag\":\"z\"}"
        })
        .to_string()
    }

    #[test]
    fn an_ecv2_token_needs_its_intermediate_signing_key() {
        let token =
            GooglePayToken::new(&ecv2(), Some("VISA".into()), Some("1111".into())).expect("valid");
        assert_eq!(
            token.encrypted().expect("encrypted").protocol_version,
            "ECv2"
        );
        let mut json: Value = serde_json::from_str(&ecv2()).expect("json");
        json.as_object_mut()
            .expect("object")
            .remove("intermediateSigningKey");
        let token = GooglePayToken::new(&json.to_string(), None, None).expect("still JSON");
        let err = token.encrypted().expect_err("ECv2 without its key");
        assert_eq!(err.field, "tokenization_data.token.intermediateSigningKey");
    }

    #[test]
    fn bad_tokens_are_refused_by_part_and_never_echoed() {
        assert!(GooglePayToken::new("not json", None, None).is_err());
        assert!(GooglePayToken::new("[1]", None, None).is_err());
        assert!(GooglePayToken::new(&ecv2(), None, Some("12a4".into())).is_err());
        let token = GooglePayToken::new(&ecv2(), None, None).expect("valid");
        assert!(!format!("{token:?}").contains("MEQCIH6Q"));
        assert!(!format!("{:?}", token.encrypted().expect("valid")).contains("MEQCIH6Q"));
    }
}
