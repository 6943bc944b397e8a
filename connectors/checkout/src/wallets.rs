//! Google Pay and Apple Pay at Checkout.com: the sheets' session data, built from configuration
//! without a call, and payments with the tokens the sheets return, exchanged at `POST /tokens`
//! (public key) for a `tok_` token that pays like a Frames token. Facts and sources: the crate
//! docs, "Wallets".

use paybridge_core::http::header::AUTHORIZATION;
use paybridge_core::http::{
    bearer_value, endpoint, Exchange, HeaderValue, HttpRequest, HttpResponse, Plan, Step,
};
use paybridge_core::secrecy::{ExposeSecret, SecretString};
use paybridge_core::url::Url;
use paybridge_core::wallet::{apple_pay, google_pay};
use paybridge_core::*;
use serde_json::Value;

use crate::{mapping, wire};

/// The `extra` key of the public key (`PAYBRIDGE_CHECKOUT_PUBLIC_KEY`).
pub(crate) const PUBLIC_KEY: &str = "public_key";

/// Google Pay's gateway id for Checkout.com.
const GATEWAY: &str = "checkoutltd";

/// The card networks the sheets offer: those Checkout.com processes and both wallets name.
pub(crate) const NETWORKS: [CardNetwork; 5] = [
    CardNetwork::Visa,
    CardNetwork::Mastercard,
    CardNetwork::Amex,
    CardNetwork::Discover,
    CardNetwork::Jcb,
];

/// Why a wallet is unavailable without a public key.
const NO_PUBLIC_KEY: &str = "Checkout.com exchanges wallet tokens at POST /tokens with the \
    account's public key, and Google Pay names it as gatewayMerchantId: set \
    PAYBRIDGE_CHECKOUT_PUBLIC_KEY (extra.public_key, pk_…)";

/// Body fields masked in logs beyond core's defaults: every part of a wallet token that
/// `POST /tokens` carries (`token` itself is a default).
pub(crate) const SENSITIVE_FIELDS: &[&str] = &[
    "token_data",
    "signature",
    "signedMessage",
    "intermediateSigningKey",
    "signedKey",
    "signatures",
    "data",
    "ephemeralPublicKey",
    "wrappedKey",
    "publicKeyHash",
    "transactionId",
    "applicationData",
];

/// Checkout.com's public key (`pk_…`): `POST /tokens` takes it and no other, and Google Pay's
/// sheet names it. Kept secret like the secret key: never printed, a sensitive header.
pub(crate) struct PublicKey {
    key: SecretString,
    authorization: HeaderValue,
}

impl PublicKey {
    /// `extra.public_key`, when set; a value that is not a public key is refused (without
    /// being echoed).
    pub(crate) fn from_config(config: &ConnectorConfig) -> Result<Option<PublicKey>, ConfigError> {
        let Some(key) = config.extra.get(PUBLIC_KEY) else {
            return Ok(None);
        };
        let invalid = |message: &str| ConfigError::Invalid {
            key: PUBLIC_KEY.into(),
            message: message.into(),
        };
        if !key.starts_with("pk_") {
            return Err(invalid(
                "must be Checkout.com's public key (pk_…), not the secret key",
            ));
        }
        let key = SecretString::from(key.clone());
        let authorization = bearer_value(&key).map_err(|_| invalid("is not valid header text"))?;
        Ok(Some(PublicKey { key, authorization }))
    }
}

/// The wallets' entries of the capabilities: both, with session data and payments, when a
/// public key is configured; none without one.
pub(crate) fn declare(caps: Capabilities, key: Option<&PublicKey>) -> Capabilities {
    if key.is_none() {
        return caps;
    }
    let support = || WalletSupport {
        session_token: true,
        payments: true,
        networks: NETWORKS.to_vec(),
    };
    caps.wallet(Wallet::GooglePay, support())
        .wallet(Wallet::ApplePay, support())
}

/// One session per wallet asked for, in order: Google Pay's `PaymentDataRequest` for gateway
/// `checkoutltd` with the public key as `gatewayMerchantId`, Apple Pay's payment request; each
/// unavailable without a public key.
pub(crate) fn sessions(
    key: Option<&PublicKey>,
    req: &SessionTokenRequest,
) -> Plan<SessionTokenResponse> {
    let session = |wallet| match (key, wallet) {
        (None, wallet) => WalletSession::Unavailable {
            wallet,
            reason: NO_PUBLIC_KEY.into(),
        },
        (Some(key), Wallet::GooglePay) => {
            let gateway = [
                ("gateway", GATEWAY),
                ("gatewayMerchantId", key.key.expose_secret()),
            ];
            WalletSession::GooglePay(google_pay::PaymentDataRequest::for_gateway(
                req, &NETWORKS, gateway,
            ))
        }
        (Some(_), Wallet::ApplePay) => {
            WalletSession::ApplePay(apple_pay::PaymentRequest::new(req, &NETWORKS))
        }
    };
    Plan::Ready(SessionTokenResponse {
        sessions: req.wallets.iter().copied().map(session).collect(),
    })
}

/// `POST /tokens` with the public key: `{"type": "googlepay", "token_data": <Google's whole
/// encrypted token>}` or `{"type": "applepay", "token_data": <paymentData>}`. No idempotency
/// key: the document gives none for `/tokens`, and a second token moves no money.
pub(crate) fn token_request(
    base_url: &Url,
    key: Option<&PublicKey>,
    token: &WalletToken,
) -> Result<HttpRequest, ConnectorError> {
    let key = key.ok_or_else(|| {
        ConnectorError::not_supported(crate::Checkout::ID, Flow::Authorize, NO_PUBLIC_KEY)
    })?;
    let request = HttpRequest::post(endpoint(base_url, &["tokens"])?)
        .with_header(AUTHORIZATION, key.authorization.clone());
    match token {
        WalletToken::GooglePay(token) => {
            let data = token.encrypted().map_err(|e| {
                ConnectorError::invalid(
                    e.field,
                    format!(
                        "{}: Checkout.com takes Google's encrypted token (gateway checkoutltd)",
                        e.message
                    ),
                )
            })?;
            request.json(&wire::TokenRequest {
                kind: "googlepay",
                token_data: &data,
            })
        }
        WalletToken::ApplePay(token) => request.json(&wire::TokenRequest {
            kind: "applepay",
            token_data: token.payment_data(),
        }),
    }
}

/// The wallet payment: `tokens` (moves no money), then `payment` with `body`, whose
/// `source.token` is filled with the `tok_` token, read by `read`.
pub(crate) fn pay_with_token(
    tokens: HttpRequest,
    payment: HttpRequest,
    mut body: Value,
    read: impl FnOnce(HttpResponse) -> Result<AuthorizeResponse, ConnectorError> + Send + 'static,
) -> Exchange<AuthorizeResponse> {
    Exchange::then(tokens, move |resp| {
        let answer: wire::TokenResponse = mapping::body(&resp).map_err(public_key_refused)?;
        let token = mapping::id(answer.token, resp.status)?;
        if !token.starts_with("tok_") {
            return Err(ConnectorError::invalid_response(
                resp.status,
                "POST /tokens answered a token that is not a tok_ token",
            ));
        }
        match body.get_mut("source").and_then(Value::as_object_mut) {
            Some(source) => source.insert("token".into(), Value::String(token)),
            None => return Err(ConnectorError::invalid("source", "no token source to fill")),
        };
        let request = payment.json(&body)?;
        let scheme = answer.scheme.as_deref().and_then(mapping::network);
        Ok(Step::Next(Box::new(Exchange::new(request, move |resp| {
            let mut payment = read(resp)?;
            payment.card_network = payment.card_network.or(scheme);
            Ok(payment)
        }))))
    })
    .moving_no_money()
}

/// A 401 on `/tokens` is about the public key, not the secret key: say so.
fn public_key_refused(error: ConnectorError) -> ConnectorError {
    match error {
        ConnectorError::Authentication(mut detail) => {
            detail.message = Some(
                "Checkout.com refused the public key at POST /tokens \
                 (PAYBRIDGE_CHECKOUT_PUBLIC_KEY)"
                    .into(),
            );
            ConnectorError::Authentication(detail)
        }
        other => other,
    }
}
