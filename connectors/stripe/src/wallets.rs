//! Wallets: what the Google Pay and Apple Pay sheets need (built from configuration, no call to
//! Stripe), and payments with their tokens, which Stripe takes as card tokens (`tok_…`). The
//! facts and their sources are in the crate docs ("Wallets").

use paybridge_core::http::HttpResponse;
use paybridge_core::wallet::google_pay::GooglePayToken;
use paybridge_core::wallet::{
    apple_pay, google_pay, SessionTokenRequest, SessionTokenResponse, Wallet, WalletSession,
};
use paybridge_core::{
    Capabilities, CardNetwork, Condition, ConfigError, ConnectorError, Flow, WalletSupport,
};
use serde_json::Value;

use crate::{mapping, wire};

/// The card networks both sheets offer: those Stripe takes that both wallets can name (Google
/// Pay has no name for Diners Club or UnionPay).
pub(crate) const NETWORKS: [CardNetwork; 5] = [
    CardNetwork::Visa,
    CardNetwork::Mastercard,
    CardNetwork::Amex,
    CardNetwork::Discover,
    CardNetwork::Jcb,
];

/// Stripe's Google Pay gateway id.
pub(crate) const GATEWAY: &str = "stripe";

/// The suffix of the idempotency key of `POST /v1/tokens` (an Apple Pay token exchanged for a
/// `tok_…`): the payment's key, then `-token`.
pub(crate) const TOKEN_KEY_SUFFIX: &str = "token";

/// A Stripe token id's prefix.
const TOKEN_PREFIX: &str = "tok_";

/// Runs of at least this many base64 characters are taken out of Stripe's messages on the
/// wallet paths: an Apple Pay token's data, signature, keys and transaction id are all longer.
const ECHO_RUN: usize = 20;

/// `extra.publishable_key`: Stripe's publishable key (`pk_test_…`, `pk_live_…`, or
/// `pk_…/acct_…` for a connected account), which Google Pay's sheet names. Refused without
/// showing it: a secret key put there by mistake must not reach a log.
pub(crate) fn publishable_key(value: Option<&str>) -> Result<Option<String>, ConfigError> {
    let Some(key) = value.map(str::trim).filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let well_formed = key.starts_with("pk_")
        && key.len() <= 255
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'/');
    if !well_formed {
        return Err(ConfigError::Invalid {
            key: "extra.publishable_key".into(),
            message: "expected Stripe's publishable key (pk_test_… or pk_live_…); the value is \
                      not shown"
                .into(),
        });
    }
    Ok(Some(key.to_owned()))
}

/// Session token and the wallets in the capabilities: Google Pay's sheet needs the publishable
/// key; both wallets' tokens are paid.
pub(crate) fn declare(capabilities: Capabilities, google_pay_sheet: bool) -> Capabilities {
    let support = |session_token| WalletSupport {
        session_token,
        payments: true,
        networks: NETWORKS.to_vec(),
    };
    capabilities
        .support(
            Flow::SessionToken,
            [Condition::Note {
                text: "built from configuration, no call to Stripe: Google Pay's \
                       PaymentDataRequest for gateway stripe (needs the publishable key, \
                       PAYBRIDGE_STRIPE_PUBLISHABLE_KEY) and Apple Pay's payment request"
                    .into(),
            }],
        )
        .wallet(Wallet::GooglePay, support(google_pay_sheet))
        .wallet(Wallet::ApplePay, support(true))
}

/// One session per wallet asked for, in the order asked.
pub(crate) fn sessions(
    req: &SessionTokenRequest,
    publishable_key: Option<&str>,
    version: &str,
) -> SessionTokenResponse {
    let sessions = req
        .wallets
        .iter()
        .map(|wallet| match (wallet, publishable_key) {
            (Wallet::GooglePay, Some(key)) => {
                WalletSession::GooglePay(google_pay::PaymentDataRequest::for_gateway(
                    req,
                    &NETWORKS,
                    [
                        ("gateway", GATEWAY),
                        ("stripe:version", version),
                        ("stripe:publishableKey", key),
                    ],
                ))
            }
            (Wallet::GooglePay, None) => WalletSession::Unavailable {
                wallet: Wallet::GooglePay,
                reason: "Google Pay's gateway stripe needs the Stripe account's publishable key: \
                         set PAYBRIDGE_STRIPE_PUBLISHABLE_KEY (extra.publishable_key)"
                    .into(),
            },
            (Wallet::ApplePay, _) => {
                WalletSession::ApplePay(apple_pay::PaymentRequest::new(req, &NETWORKS))
            }
        })
        .collect();
    SessionTokenResponse { sessions }
}

/// The `tok_…` of a Google Pay token for gateway `stripe`: the sheet returns Stripe's token
/// object as the token text. Anything else (another gateway's encrypted `ECv2` message) is
/// refused, without echoing it.
pub(crate) fn google_pay_token_id(token: &GooglePayToken) -> Result<String, ConnectorError> {
    match token.json().get("id").and_then(Value::as_str) {
        Some(id)
            if id.len() > TOKEN_PREFIX.len()
                && id.len() <= 255
                && id.starts_with(TOKEN_PREFIX)
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Ok(id.to_owned())
        }
        _ => Err(ConnectorError::invalid(
            "payment_method",
            "the Google Pay token was not issued for gateway `stripe`: Stripe takes the token \
             object Google Pay returns when the sheet's tokenizationSpecification names gateway \
             stripe (an id starting tok_)",
        )),
    }
}

/// The `tok_…` Stripe made of an Apple Pay token (`POST /v1/tokens`); `sent` are the values
/// sent that a message must not echo (besides the base64 runs [`scrub`] takes out).
pub(crate) fn created_token(
    resp: &HttpResponse,
    sent: &[String],
) -> Result<String, ConnectorError> {
    if !resp.is_success() {
        return Err(mapping::error_with(resp, |message| {
            let message = sent
                .iter()
                .filter(|value| !value.is_empty())
                .fold(message, |message, value| {
                    message.replace(value.as_str(), "***")
                });
            scrub(message)
        }));
    }
    let created: wire::TokenCreated = resp.json()?;
    mapping::id(created.id, resp.status)
}

/// The `pm_…` Stripe made of a card token (`card[token]`).
pub(crate) fn created_from_token(resp: &HttpResponse) -> Result<String, ConnectorError> {
    if !resp.is_success() {
        return Err(mapping::error_with(resp, scrub));
    }
    let created: wire::PaymentMethodCreated = resp.json()?;
    mapping::id(created.id, resp.status)
}

/// Stripe's message without what could be token bytes: the characters after `tok_`, and every
/// run of [`ECHO_RUN`] or more base64 characters, become `***`.
pub(crate) fn scrub(message: String) -> String {
    let mut ids = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(at) = rest.find(TOKEN_PREFIX) {
        let (head, tail) = rest.split_at(at + TOKEN_PREFIX.len());
        ids.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if end > 0 {
            ids.push_str("***");
        }
        rest = &tail[end..];
    }
    ids.push_str(rest);
    let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::with_capacity(ids.len());
    let mut rest = ids.as_str();
    while !rest.is_empty() {
        let (run, tail) = rest.split_at(rest.find(|c| !base64(c)).unwrap_or(rest.len()));
        out.push_str(if run.len() >= ECHO_RUN { "***" } else { run });
        let (gap, tail) = tail.split_at(tail.find(base64).unwrap_or(tail.len()));
        out.push_str(gap);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_takes_out_token_ids_and_long_base64_runs_only() {
        assert_eq!(
            scrub("No such token: 'tok_1N3T00LkdIwHu7ixRdxpVI1Q'".into()),
            "No such token: 'tok_***'"
        );
        assert_eq!(
            scrub("Invalid pk_token: {\"data\":\"t7GeajLB9skXB6QSWfEpPA4WPhD+/=\"}".into()),
            "Invalid pk_token: {\"data\":\"***\"}"
        );
        let plain = "Your card was declined. See https://stripe.com/docs/error-codes.";
        assert_eq!(scrub(plain.into()), plain);
    }

    #[test]
    fn a_publishable_key_is_checked_and_never_shown() {
        assert_eq!(publishable_key(None).ok(), Some(None));
        assert_eq!(publishable_key(Some("  ")).ok(), Some(None));
        assert_eq!(
            publishable_key(Some("pk_test_abc/acct_1")).ok(),
            Some(Some("pk_test_abc/acct_1".to_owned()))
        );
        let err = publishable_key(Some("sk_test_secret")).expect_err("a secret key");
        assert!(!err.to_string().contains("sk_test_secret"), "{err}");
    }
}
