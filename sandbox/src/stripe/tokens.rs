//! Card tokens (`tok_…`): made by `POST /v1/tokens` from an Apple Pay token (`pk_token`) or
//! from card data, read by `GET /v1/tokens/{id}`, and used once by `card[token]` on
//! `POST /v1/payment_methods`. Stripe's test tokens (`tok_visa`, …) are used any number of
//! times.
//!
//! An Apple Pay token is checked as a processor must before decrypting it: `paymentData` is a
//! JSON object with `version` `EC_v1` or `RSA_v1`, base64 `data` and `signature`, and a
//! `header` with a base64 `publicKeyHash`, a hexadecimal `transactionId` and the version's key
//! (`ephemeralPublicKey` or `wrappedKey`). The simulator holds no Apple Pay certificate: it
//! reads the card of the shared test tokens ([`crate::wallet_tokens::read_apple_pay`]); any
//! other `data` cannot be decrypted. Every refusal is a 400 `invalid_request_error` naming
//! `pk_token`, which never repeats the token \[U: Stripe's messages and codes\].

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use paybridge_core::payment_method::CardNetwork;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::cards;
use super::errors::ApiError;
use super::ids;
use super::model::{Card, NewToken, Token};
use super::payment_methods::{last4, test_card, validate_card};
use super::state::{unix, State};
use crate::wallet_tokens::read_apple_pay;

impl State {
    /// `POST /v1/tokens`: checks what the token is made of and keeps it, unused.
    pub(crate) fn create_token(
        &mut self,
        new: NewToken,
        holder: Map<String, Value>,
        now: OffsetDateTime,
    ) -> Result<String, ApiError> {
        let (card, tokenization_method) = match new {
            NewToken::ApplePay(pk_token) => (apple_pay_card(&pk_token)?, Some("apple_pay")),
            NewToken::Card(data) => (validate_card(&data, "card", now)?, None),
        };
        let id = ids::new("tok");
        self.tokens.insert(
            id.clone(),
            Token {
                id: id.clone(),
                card_id: ids::new("card"),
                created: unix(now),
                card,
                tokenization_method,
                holder,
                used: false,
            },
        );
        Ok(id)
    }

    /// The card a token holds, and its wallet, for a new PaymentMethod; a token the simulator
    /// issued is used up. An unknown token is 400 `resource_missing` \[U: 400 rather than
    /// 404, as for other ids in parameters\]; a used one 400 `token_already_used`.
    pub(crate) fn use_token(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<(Card, Option<&'static str>), ApiError> {
        if let Some(number) = cards::test_token(id) {
            return Ok((test_card(number, now), None));
        }
        let Some(token) = self.tokens.get_mut(id) else {
            return Err(
                ApiError::missing("token", id, "card[token]").status(StatusCode::BAD_REQUEST)
            );
        };
        if token.used {
            return Err(ApiError::invalid(format!(
                "You cannot use a Stripe token more than once: {id}."
            ))
            .code("token_already_used")
            .param("card[token]"));
        }
        token.used = true;
        let wallet = match token.tokenization_method {
            Some("apple_pay") => Some("apple_pay"),
            Some("android_pay") => Some("google_pay"),
            _ => None,
        };
        Ok((token.card.clone(), wallet))
    }
}

/// The card in an Apple Pay `paymentData` (its JSON text), checked.
fn apple_pay_card(pk_token: &str) -> Result<Card, ApiError> {
    let invalid = |why: &str| {
        ApiError::validation(format!("Invalid Apple Pay token: {why}.")).param("pk_token")
    };
    let Ok(Value::Object(data)) = serde_json::from_str::<Value>(pk_token) else {
        return Err(invalid("pk_token must be the paymentData JSON object"));
    };
    let base64 = |value: Option<&Value>| text(value).is_some_and(|s| STANDARD.decode(s).is_ok());
    let key = match text(data.get("version")) {
        Some("EC_v1") => "ephemeralPublicKey",
        Some("RSA_v1") => "wrappedKey",
        _ => return Err(invalid("version must be EC_v1 or RSA_v1")),
    };
    if !base64(data.get("data")) {
        return Err(invalid("data must be base64"));
    }
    if !base64(data.get("signature")) {
        return Err(invalid("signature must be base64"));
    }
    let Some(Value::Object(header)) = data.get("header") else {
        return Err(invalid("header is missing"));
    };
    if !base64(header.get(key)) {
        return Err(invalid(&format!(
            "header.{key} is required by this version, base64"
        )));
    }
    if !base64(header.get("publicKeyHash")) {
        return Err(invalid("header.publicKeyHash must be base64"));
    }
    let hex =
        text(header.get("transactionId")).is_some_and(|t| t.bytes().all(|b| b.is_ascii_hexdigit()));
    if !hex {
        return Err(invalid("header.transactionId must be hexadecimal"));
    }
    let Some(wallet) = text(data.get("data")).and_then(read_apple_pay) else {
        return Err(invalid(
            "its data cannot be decrypted with this account's Apple Pay certificate",
        ));
    };
    Ok(Card {
        network: CardNetwork::detect(&wallet.number),
        last4: last4(&wallet.number),
        exp_month: i64::from(wallet.exp_month),
        exp_year: i64::from(wallet.exp_year),
        fingerprint: ids::fingerprint(&wallet.number),
        cvc_check: None,
        profile: cards::profile(&wallet.number),
    })
}

/// A non-empty string.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The Card object's `brand` (older than PaymentMethods' lowercase names).
fn brand(network: Option<CardNetwork>) -> &'static str {
    match network {
        Some(CardNetwork::Visa) => "Visa",
        Some(CardNetwork::Mastercard) => "MasterCard",
        Some(CardNetwork::Amex) => "American Express",
        Some(CardNetwork::Discover) => "Discover",
        Some(CardNetwork::Jcb) => "JCB",
        Some(CardNetwork::Diners) => "Diners Club",
        Some(CardNetwork::UnionPay) => "UnionPay",
        None => "Unknown",
    }
}

/// A Token object of type `card`. An Apple Pay token's card shows the same last four digits
/// as `last4` and `dynamic_last4` (the test token has one number) \[U\].
pub(crate) fn token(token: &Token) -> Value {
    let card = &token.card;
    let apple_pay = token.tokenization_method == Some("apple_pay");
    let mut object = json!({
        "id": token.card_id,
        "object": "card",
        "address_city": null,
        "address_country": null,
        "address_line1": null,
        "address_line1_check": null,
        "address_line2": null,
        "address_state": null,
        "address_zip": null,
        "address_zip_check": null,
        "brand": brand(card.network),
        "country": "US",
        "cvc_check": card.cvc_check,
        "dynamic_last4": apple_pay.then(|| card.last4.clone()),
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.profile.funding,
        "last4": card.last4,
        "metadata": {},
        "name": null,
        "networks": {"preferred": null},
        "tokenization_method": token.tokenization_method,
    });
    if let Value::Object(fields) = &mut object {
        for (name, value) in &token.holder {
            fields.insert(name.clone(), value.clone());
        }
    }
    json!({
        "id": token.id,
        "object": "token",
        "card": object,
        "client_ip": null,
        "created": token.created,
        "livemode": false,
        "type": "card",
        "used": token.used,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::wallet_tokens::apple_pay_payment_data;

    /// A part of a token, and how to break it.
    type Break = (&'static str, fn(&mut Value));

    #[test]
    fn each_broken_part_of_an_apple_pay_token_is_refused_without_echoing_it() {
        let good = apple_pay_payment_data(cards::VISA);
        let card = apple_pay_card(&good.to_string()).unwrap();
        assert_eq!(
            (card.last4.as_str(), card.exp_month, card.exp_year),
            ("4242", 12, 2030)
        );
        let breaks: [Break; 6] = [
            ("version", |v| v["version"] = json!("EC_v2")),
            ("data", |v| v["data"] = json!("not base64!")),
            ("signature", |v| v["signature"] = json!(7)),
            ("ephemeralPublicKey", |v| {
                v["header"]
                    .as_object_mut()
                    .unwrap()
                    .remove("ephemeralPublicKey");
            }),
            ("transactionId", |v| {
                v["header"]["transactionId"] = json!("xyz")
            }),
            ("decrypted", |v| v["data"] = json!(STANDARD.encode("{}"))),
        ];
        for (part, break_it) in breaks {
            let mut data = good.clone();
            break_it(&mut data);
            let error = apple_pay_card(&data.to_string()).unwrap_err().object();
            assert_eq!(error["param"], "pk_token", "{part}");
            assert_eq!(error["type"], "invalid_request_error", "{part}");
            let message = error["message"].as_str().unwrap();
            assert!(!message.contains("MIAGCSqGSIb3"), "{part}: {message}");
        }
        assert!(apple_pay_card("not json").is_err());
    }
}
