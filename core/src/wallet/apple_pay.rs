//! Apple Pay on the web: the payment request a front end passes to `ApplePaySession`, the
//! merchant session Apple's server issues over mutual TLS, and the payment token.
//!
//! Facts (Apple's "Requesting an Apple Pay payment session" and "Payment token format
//! reference"; `docs/processors.md` → wallets): the session request is a JSON `POST` with
//! `merchantIdentifier`, `displayName` (at most 64 characters), `initiative` (`web`) and
//! `initiativeContext` (the merchant's domain), made with the merchant identity certificate;
//! the answer is opaque and goes to the browser unchanged; a token's `paymentData` holds
//! `version` (`EC_v1`, `RSA_v1`), `data`, `signature` and `header`.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{SessionTokenRequest, WalletTokenError};
use crate::capabilities::Flow;
use crate::error::{ConnectorError, ProcessorMessage};
use crate::executor::{
    no_retry_hint, CallContext, ClientTls, Executor, KeyReuse, RetryPolicy, WireProfile,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::payment_method::CardNetwork;

/// Apple's global endpoint.
pub const PRODUCTION_ENDPOINT: &str =
    "https://apple-pay-gateway.apple.com/paymentservices/paymentSession";

/// The payment request for `new ApplePaySession(version, request)`, with Apple's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest {
    /// ISO 3166-1 alpha-2 of the merchant.
    pub country_code: String,
    /// ISO 4217.
    pub currency_code: String,
    /// What the sheet charges.
    pub total: Total,
    /// `supports3DS` (required by Apple for every merchant).
    pub merchant_capabilities: Vec<String>,
    /// Apple's network names (`visa`, `masterCard`, …).
    pub supported_networks: Vec<String>,
}

/// `total` of a payment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    /// Shown beside the amount: the store's name.
    pub label: String,
    /// Major units, exact (`"12.34"`).
    pub amount: String,
    /// `final`: the amount will not change.
    #[serde(rename = "type")]
    pub kind: String,
}

impl PaymentRequest {
    /// The request for a connector that takes cards of `networks`.
    pub fn new(request: &SessionTokenRequest, networks: &[CardNetwork]) -> Self {
        PaymentRequest {
            country_code: request.merchant.country.as_str().to_owned(),
            currency_code: request.currency.code().to_owned(),
            total: Total {
                label: request.merchant.display_name.clone(),
                amount: request.total_price(),
                kind: "final".to_owned(),
            },
            merchant_capabilities: vec!["supports3DS".to_owned()],
            supported_networks: networks
                .iter()
                .filter_map(|n| network_name(*n))
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Apple's name for a network; `None` for Diners, which Apple Pay carries as `discover`.
pub fn network_name(network: CardNetwork) -> Option<&'static str> {
    Some(match network {
        CardNetwork::Visa => "visa",
        CardNetwork::Mastercard => "masterCard",
        CardNetwork::Amex => "amex",
        CardNetwork::Discover => "discover",
        CardNetwork::Jcb => "jcb",
        CardNetwork::Diners => return None,
        CardNetwork::UnionPay => "chinaUnionPay",
    })
}

/// `PKPaymentToken.paymentData`, checked for shape. The `data` is encrypted for the
/// processor's certificate; the processor decrypts it.
#[derive(Clone, Serialize, Deserialize)]
pub struct PaymentData {
    /// `EC_v1` or `RSA_v1`.
    pub version: String,
    /// The encrypted payment data, base64.
    pub data: String,
    /// Detached PKCS #7 signature, base64.
    pub signature: String,
    /// Keys and ids needed to decrypt and verify.
    pub header: Header,
}

/// `paymentData.header`, with Apple's field names.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `EC_v1`: the ephemeral public key, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_public_key: Option<String>,
    /// `RSA_v1`: the wrapped symmetric key, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_key: Option<String>,
    /// Hash of the merchant certificate's public key, base64.
    pub public_key_hash: String,
    /// The device's transaction id, hex.
    pub transaction_id: String,
    /// Hash of the request's `applicationData`, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_data: Option<String>,
}

impl PaymentData {
    /// Reads `paymentData` from its JSON text, or from the base64 of that text (how many
    /// front ends pass it on).
    pub fn parse(text: &str) -> Result<PaymentData, WalletTokenError> {
        let trimmed = text.trim();
        let json = if trimmed.starts_with('{') {
            trimmed.as_bytes().to_vec()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(trimmed)
                .map_err(|_| {
                    WalletTokenError::new(
                        "payment_data",
                        "must be the paymentData JSON object, or its base64",
                    )
                })?
        };
        let data: PaymentData = serde_json::from_slice(&json).map_err(|_| {
            WalletTokenError::new(
                "payment_data",
                "must hold version, data, signature and header (publicKeyHash, transactionId)",
            )
        })?;
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<(), WalletTokenError> {
        let base64 = |s: &str| {
            !s.is_empty()
                && s.len() <= 16 * 1024
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        };
        if !base64(&self.data) {
            return Err(WalletTokenError::new("payment_data.data", "must be base64"));
        }
        if !base64(&self.signature) {
            return Err(WalletTokenError::new(
                "payment_data.signature",
                "must be base64",
            ));
        }
        if !base64(&self.header.public_key_hash) {
            return Err(WalletTokenError::new(
                "payment_data.header.publicKeyHash",
                "must be base64",
            ));
        }
        let id = &self.header.transaction_id;
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WalletTokenError::new(
                "payment_data.header.transactionId",
                "must be hexadecimal",
            ));
        }
        let key = match self.version.as_str() {
            "EC_v1" => (
                &self.header.ephemeral_public_key,
                "payment_data.header.ephemeralPublicKey",
            ),
            "RSA_v1" => (&self.header.wrapped_key, "payment_data.header.wrappedKey"),
            _ => {
                return Err(WalletTokenError::new(
                    "payment_data.version",
                    "must be EC_v1 or RSA_v1",
                ))
            }
        };
        if !key.0.as_deref().is_some_and(base64) {
            return Err(WalletTokenError::new(
                key.1,
                "is required by this version, base64",
            ));
        }
        Ok(())
    }

    /// The JSON text, as Stripe's `pk_token` takes it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl fmt::Debug for PaymentData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentData")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// An Apple Pay payment token.
#[derive(Clone)]
pub struct ApplePayToken {
    payment_data: PaymentData,
    /// `paymentMethod.network` (`Visa`).
    pub network: Option<String>,
    /// `paymentMethod.displayName` (`Visa 0224`).
    pub display_name: Option<String>,
    /// `transactionIdentifier`.
    pub transaction_identifier: Option<String>,
}

impl ApplePayToken {
    /// A token from its `paymentData` (JSON text or its base64) and the optional facts about
    /// the card.
    pub fn new(
        payment_data: &str,
        network: Option<String>,
        display_name: Option<String>,
        transaction_identifier: Option<String>,
    ) -> Result<Self, WalletTokenError> {
        let short = |value: &Option<String>, field: &'static str| match value {
            Some(v)
                if v.is_empty() || v.chars().count() > 64 || v.chars().any(char::is_control) =>
            {
                Err(WalletTokenError::new(field, "must be 1 to 64 characters"))
            }
            _ => Ok(()),
        };
        short(&network, "payment_method.network")?;
        short(&display_name, "payment_method.display_name")?;
        short(&transaction_identifier, "transaction_identifier")?;
        Ok(ApplePayToken {
            payment_data: PaymentData::parse(payment_data)?,
            network,
            display_name,
            transaction_identifier,
        })
    }

    /// The checked `paymentData`.
    pub fn payment_data(&self) -> &PaymentData {
        &self.payment_data
    }

    /// The last four digits Apple shows in `displayName` (`Visa 0224`), if any.
    pub fn last4(&self) -> Option<&str> {
        let last = self.display_name.as_deref()?.rsplit(' ').next()?;
        (last.len() == 4 && last.bytes().all(|b| b.is_ascii_digit())).then_some(last)
    }
}

impl fmt::Debug for ApplePayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplePayToken")
            .field("payment_data", &self.payment_data)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

/// The merchant's Apple Pay identity: who asks Apple for sessions, and the certificate that
/// proves it.
#[derive(Clone)]
pub struct MerchantIdentity {
    /// The Apple merchant id (`merchant.com.example`).
    pub merchant_identifier: String,
    /// The store's name, at most 64 characters.
    pub display_name: String,
    /// The fully qualified domain the front end runs on (`initiativeContext`).
    pub domain: String,
    /// The merchant identity certificate, PEM.
    pub certificate_pem: SecretString,
    /// Its private key, PEM.
    pub private_key_pem: SecretString,
}

impl fmt::Debug for MerchantIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantIdentity")
            .field("merchant_identifier", &self.merchant_identifier)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// The body of a session request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionRequestBody<'a> {
    merchant_identifier: &'a str,
    display_name: &'a str,
    initiative: &'a str,
    initiative_context: &'a str,
}

const PROFILE: WireProfile = WireProfile {
    idempotency_header: "idempotency-key",
    key_reuse: KeyReuse::ReplaysAll,
    retry_hint: no_retry_hint,
    sensitive_fields: &[],
};

/// Fetches Apple Pay merchant sessions for one merchant, over mutual TLS with its identity.
#[derive(Debug, Clone)]
pub struct MerchantValidation {
    identity: MerchantIdentity,
    endpoint: Url,
    executor: Executor,
    timeout: Duration,
}

impl MerchantValidation {
    /// A validator posting to `endpoint` ([`PRODUCTION_ENDPOINT`], or a simulator) with the
    /// merchant's identity; `extra_roots_pem` are CA certificates trusted besides the public
    /// ones (a simulator's).
    pub fn new(
        identity: MerchantIdentity,
        endpoint: Url,
        extra_roots_pem: Vec<String>,
        timeout: Duration,
    ) -> Result<Self, ConnectorError> {
        identity_checks(&identity)?;
        if endpoint.scheme() != "https" {
            return Err(ConnectorError::invalid(
                "apple_pay.endpoint",
                "must be an https URL: Apple checks the merchant's certificate in the TLS handshake",
            ));
        }
        let mut pem = identity.certificate_pem.expose_secret().trim().to_owned();
        pem.push('\n');
        pem.push_str(identity.private_key_pem.expose_secret().trim());
        pem.push('\n');
        let tls = ClientTls {
            identity_pem: Some(SecretString::from(pem)),
            extra_roots_pem,
        };
        let executor = Executor::with_tls(timeout, &tls)?;
        Ok(MerchantValidation {
            identity,
            endpoint,
            executor,
            timeout,
        })
    }

    /// The request Apple receives (pure; the client certificate is the executor's).
    pub fn request(&self) -> Result<HttpRequest, ConnectorError> {
        HttpRequest::post(self.endpoint.clone()).json(&SessionRequestBody {
            merchant_identifier: &self.identity.merchant_identifier,
            display_name: &self.identity.display_name,
            initiative: "web",
            initiative_context: &self.identity.domain,
        })
    }

    /// Asks Apple for a merchant session: the opaque object for
    /// `completeMerchantValidation`, unchanged. Nothing is charged, so a failure is never an
    /// unknown outcome.
    pub async fn merchant_session(&self) -> Result<Value, ConnectorError> {
        let request = self.request()?;
        let retry = RetryPolicy::none();
        let ctx = CallContext {
            connector: "apple_pay",
            flow: Flow::SessionToken.name(),
            profile: &PROFILE,
            retry: &retry,
            request_timeout: self.timeout,
        };
        let response = self
            .executor
            .send(ctx, &request)
            .await
            .map_err(ConnectorError::for_read)?;
        read_session(&response).map_err(ConnectorError::for_read)
    }
}

fn identity_checks(identity: &MerchantIdentity) -> Result<(), ConnectorError> {
    let id = &identity.merchant_identifier;
    if id.is_empty() || id.len() > 255 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConnectorError::invalid(
            "apple_pay.merchant_identifier",
            "must be the Apple merchant id, e.g. merchant.com.example",
        ));
    }
    let name = &identity.display_name;
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(ConnectorError::invalid(
            "apple_pay.display_name",
            "must be 1 to 64 characters",
        ));
    }
    let domain = &identity.domain;
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !domain_ok {
        return Err(ConnectorError::invalid(
            "apple_pay.domain",
            "must be the fully qualified domain name the front end runs on",
        ));
    }
    Ok(())
}

/// Apple's answer: a JSON object on success; on failure Apple's `statusMessage` where it gives
/// one.
fn read_session(response: &HttpResponse) -> Result<Value, ConnectorError> {
    if !response.is_success() {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let message = body
            .get("statusMessage")
            .and_then(Value::as_str)
            .map(|m| m.chars().take(300).collect::<String>());
        return Err(response.error(ProcessorMessage {
            message,
            ..ProcessorMessage::default()
        }));
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(session @ Value::Object(_)) => Ok(session),
        _ => Err(ConnectorError::invalid_response(
            response.status,
            "Apple's merchant session is not a JSON object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment_data() -> Value {
        serde_json::json!({
            "version": "EC_v1",
            "data": "t7GeajLB9skXB6QSWfEpPA4WPhD",
            "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzAN",
            "header": {
                "ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX1ie",
                "publicKeyHash": "tqYV+tmG9aMh+l/K6cicUnPqkb1gUiLjSTM9gEz6Nl0=",
                "transactionId": "3cee89679130a4b2617c76118a1c62fd"
            }
        })
    }

    #[test]
    fn payment_data_is_read_from_json_or_its_base64() {
        let text = payment_data().to_string();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
        for input in [&text, &b64] {
            let token =
                ApplePayToken::new(input, Some("Visa".into()), Some("Visa 0224".into()), None)
                    .expect("valid");
            assert_eq!(token.payment_data().version, "EC_v1");
            assert_eq!(token.last4(), Some("0224"));
            let round: Value = serde_json::from_str(&token.payment_data().to_json()).expect("json");
            assert_eq!(round, payment_data());
        }
    }

    #[test]
    fn each_missing_part_is_named() {
        type Breaks<'a> = [(&'a str, &'a dyn Fn(&mut Value)); 4];
        let cases: Breaks<'_> = [
            ("payment_data.version", &|v| v["version"] = "EC_v9".into()),
            ("payment_data.header.ephemeralPublicKey", &|v| {
                v["header"]
                    .as_object_mut()
                    .expect("header")
                    .remove("ephemeralPublicKey");
            }),
            ("payment_data.header.transactionId", &|v| {
                v["header"]["transactionId"] = "xyz".into()
            }),
            ("payment_data.signature", &|v| v["signature"] = "".into()),
        ];
        for (field, break_it) in cases {
            let mut data = payment_data();
            break_it(&mut data);
            let err = ApplePayToken::new(&data.to_string(), None, None, None).expect_err(field);
            assert_eq!(err.field, field);
        }
        let err = ApplePayToken::new("%%%", None, None, None).expect_err("not base64");
        assert_eq!(err.field, "payment_data");
    }

    #[test]
    fn debug_shows_no_token_bytes() {
        let token =
            ApplePayToken::new(&payment_data().to_string(), None, None, None).expect("valid");
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("t7GeajLB") && !shown.contains("MIAGCSq"),
            "{shown}"
        );
    }
}
