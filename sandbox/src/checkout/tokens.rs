//! `POST /tokens` for wallets (`specs/checkout-tokens-openapi.json`): a Google Pay or Apple Pay
//! token checked for shape, read with [`crate::wallet_tokens`], and kept as a single-use `tok_`
//! token that pays as the card it holds for 15 minutes. Pure logic: the handlers answer.

use std::collections::HashMap;

use paybridge_core::payment_method::luhn_valid;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use super::ids;
use super::state::Card;
use super::wire;
use crate::wallet_tokens::{read_apple_pay, read_google_pay, WalletCard};

/// How long a token pays: Checkout.com's tokens expire after 15 minutes \[U: Checkout.com's
/// documentation of card tokens; the document only says `expires_on`\].
const VALIDITY: Duration = Duration::minutes(15);

/// One issued token.
#[derive(Debug)]
struct Token {
    card: Card,
    expires_on: OffsetDateTime,
    used: bool,
}

/// The tokens issued, by `tok_` id.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    by_id: HashMap<String, Token>,
}

impl Tokens {
    /// Validates a `TokenRequest` and issues a token: the 201 `TokenResponse`, or the 422
    /// `error_codes`: `token_type_required`, `token_type_invalid` (not `googlepay` or
    /// `applepay`: the simulator issues no card tokens), `token_data_required`,
    /// `token_data_invalid` (not the wallet's shape, or no card the simulator can read)
    /// \[U: codes; the document lists none\].
    ///
    /// Shapes: `googlepay` takes `protocolVersion` (`ECv1` or `ECv2`), `signature`,
    /// `signedMessage`, and for `ECv2` `intermediateSigningKey` {`signedKey`, `signatures`}
    /// (Google's token; Checkout.com's schema names only the first three, so an `ECv1` token
    /// without the key is taken too \[U\]); `applepay` takes `version` (`EC_v1` or `RSA_v1`),
    /// `data`, `signature` and `header` {`publicKeyHash`, `transactionId`, and
    /// `ephemeralPublicKey` for `EC_v1` or `wrappedKey` for `RSA_v1`}. The `gatewayMerchantId`
    /// inside a Google token is not compared with the public key \[U\].
    pub(crate) fn create(
        &mut self,
        fields: &Map<String, Value>,
        now: OffsetDateTime,
    ) -> Result<Value, Vec<&'static str>> {
        let kind = match fields.get("type") {
            None | Some(Value::Null) => return Err(vec!["token_type_required"]),
            Some(kind) if kind == "googlepay" => "googlepay",
            Some(kind) if kind == "applepay" => "applepay",
            Some(_) => return Err(vec!["token_type_invalid"]),
        };
        let data = match fields.get("token_data") {
            None | Some(Value::Null) => return Err(vec!["token_data_required"]),
            Some(Value::Object(data)) => data,
            Some(_) => return Err(vec!["token_data_invalid"]),
        };
        let wallet_card = match kind {
            "googlepay" => google_pay(data),
            _ => apple_pay(data),
        }
        .filter(|card| {
            (12..=19).contains(&card.number.len())
                && card.number.bytes().all(|b| b.is_ascii_digit())
                && luhn_valid(&card.number)
                && (1..=12).contains(&card.exp_month)
        })
        .ok_or_else(|| vec!["token_data_invalid"])?;
        // Apple Pay tokens always carry a cryptogram (the document's only format for them).
        let format = if kind == "applepay" || wallet_card.cryptogram {
            "cryptogram_3ds"
        } else {
            "pan_only"
        };
        let card = wire::new_card(
            &wallet_card.number,
            wallet_card.exp_month,
            wallet_card.exp_year,
        );
        let id = ids::new("tok");
        let expires_on = now + VALIDITY;
        let mut body = json!({
            "type": kind,
            "token": id,
            "expires_on": wire::timestamp(expires_on),
            "expiry_month": card.expiry_month,
            "expiry_year": card.expiry_year,
            "last4": card.last4,
            "bin": card.bin,
            // [U]: the simulator's cards carry no issuer data; every card is a consumer credit card.
            "card_type": "Credit",
            "card_category": "Consumer",
            "token_format": format,
        });
        if let Some(network) = card.network {
            body["scheme"] = json!(wire::scheme(network));
        }
        self.by_id.insert(
            id,
            Token {
                card,
                expires_on,
                used: false,
            },
        );
        Ok(body)
    }

    /// The card behind `token`, if it may pay now: else `token_invalid` (unknown),
    /// `token_used` or `token_expired` \[U: codes\].
    pub(crate) fn card(&self, token: &str, now: OffsetDateTime) -> Result<Card, &'static str> {
        let token = self.by_id.get(token).ok_or("token_invalid")?;
        if token.used {
            return Err("token_used");
        }
        if now >= token.expires_on {
            return Err("token_expired");
        }
        Ok(Card {
            source_id: ids::new("src"),
            ..token.card.clone()
        })
    }

    /// `token` has paid: it pays no more.
    pub(crate) fn spend(&mut self, token: &str) {
        if let Some(token) = self.by_id.get_mut(token) {
            token.used = true;
        }
    }

    /// `token` expires now (a test hook); `false` when there is no such token.
    pub(crate) fn expire(&mut self, token: &str, now: OffsetDateTime) -> bool {
        self.by_id
            .get_mut(token)
            .map(|token| token.expires_on = now)
            .is_some()
    }
}

/// A non-empty string member.
fn text<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The card in a Google Pay token of the right shape.
fn google_pay(data: &Map<String, Value>) -> Option<WalletCard> {
    text(data, "signature")?;
    match text(data, "protocolVersion")? {
        "ECv1" => {}
        "ECv2" => {
            let key = data.get("intermediateSigningKey")?.as_object()?;
            text(key, "signedKey")?;
            let signatures = key.get("signatures")?.as_array()?;
            if signatures.is_empty() || !signatures.iter().all(Value::is_string) {
                return None;
            }
        }
        _ => return None,
    }
    read_google_pay(text(data, "signedMessage")?)
}

/// The card in an Apple Pay `paymentData` of the right shape.
fn apple_pay(data: &Map<String, Value>) -> Option<WalletCard> {
    text(data, "signature")?;
    let header = data.get("header")?.as_object()?;
    text(header, "publicKeyHash")?;
    text(header, "transactionId")?;
    match text(data, "version")? {
        "EC_v1" => text(header, "ephemeralPublicKey")?,
        "RSA_v1" => text(header, "wrappedKey")?,
        _ => return None,
    };
    read_apple_pay(text(data, "data")?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::wallet_tokens::{apple_pay_payment_data, google_pay_token};

    fn request(kind: &str, data: Value) -> Map<String, Value> {
        json!({"type": kind, "token_data": data})
            .as_object()
            .unwrap()
            .clone()
    }

    fn google(number: &str) -> Value {
        serde_json::from_str(&google_pay_token(number)).unwrap()
    }

    #[test]
    fn a_token_pays_once_and_until_it_expires() {
        let now = OffsetDateTime::now_utc();
        let mut tokens = Tokens::default();
        let body = tokens
            .create(&request("googlepay", google("4242424242424242")), now)
            .unwrap();
        let id = body["token"].as_str().unwrap().to_owned();
        assert_eq!(tokens.card(&id, now).unwrap().last4, "4242");
        assert_eq!(
            tokens.card(&id, now + VALIDITY).unwrap_err(),
            "token_expired"
        );
        tokens.spend(&id);
        assert_eq!(tokens.card(&id, now).unwrap_err(), "token_used");
        assert_eq!(tokens.card("tok_nope", now).unwrap_err(), "token_invalid");
    }

    #[test]
    fn each_wallet_shape_is_checked() {
        let now = OffsetDateTime::now_utc();
        let mut tokens = Tokens::default();
        let mut ecv2_without_key = google("4242424242424242");
        ecv2_without_key
            .as_object_mut()
            .unwrap()
            .remove("intermediateSigningKey");
        let mut apple_without_header_key = apple_pay_payment_data("4242424242424242");
        apple_without_header_key["header"]
            .as_object_mut()
            .unwrap()
            .remove("ephemeralPublicKey");
        let cases = [
            (json!({"token_data": {}}), "token_type_required"),
            (
                json!({"type": "card", "token_data": {}}),
                "token_type_invalid",
            ),
            (json!({"type": "googlepay"}), "token_data_required"),
            (
                json!({"type": "googlepay", "token_data": "x"}),
                "token_data_invalid",
            ),
            (
                json!({"type": "googlepay", "token_data": ecv2_without_key}),
                "token_data_invalid",
            ),
            (
                json!({"type": "applepay", "token_data": apple_without_header_key}),
                "token_data_invalid",
            ),
            (
                json!({"type": "applepay", "token_data": google("4242424242424242")}),
                "token_data_invalid",
            ),
            (
                json!({"type": "googlepay", "token_data": google("4242424242424241")}),
                "token_data_invalid",
            ),
        ];
        for (body, code) in cases {
            let fields = body.as_object().unwrap();
            assert_eq!(tokens.create(fields, now).unwrap_err(), [code], "{body}");
        }
    }
}
