//! PaymentMethods: `pm_card_…` test PaymentMethods, ones created earlier (`POST
//! /v1/payment_methods`, or `payment_method_data` on a confirmation), raw card data checked
//! as Stripe checks it when it creates the PaymentMethod, and card tokens (`card[token]`).

use paybridge_core::payment_method::{luhn_valid, CardNetwork};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::cards;
use super::errors::ApiError;
use super::ids;
use super::model::{Card, CardData, NewPaymentMethod, PaymentMethod, PaymentMethodSource};
use super::state::{unix, State};

impl State {
    /// Validates or looks up a PaymentMethod and returns its id.
    pub(crate) fn resolve_payment_method(
        &mut self,
        source: PaymentMethodSource,
        now: OffsetDateTime,
    ) -> Result<String, ApiError> {
        let (card, billing_details, metadata, allow_redisplay) = match source {
            PaymentMethodSource::Id(id) => {
                if self.payment_methods.contains_key(&id) {
                    return Ok(id);
                }
                let Some(number) = cards::token(&id) else {
                    return Err(ApiError::missing("PaymentMethod", &id, "payment_method")
                        .status(axum::http::StatusCode::BAD_REQUEST));
                };
                (test_card(number, now), Map::new(), Map::new(), None)
            }
            PaymentMethodSource::Data(data) => {
                let card = validate_card(&data, "payment_method_data[card]", now)?;
                (
                    card,
                    data.billing_details,
                    data.metadata,
                    data.allow_redisplay,
                )
            }
        };
        Ok(self.store_payment_method(
            (card, None),
            billing_details,
            metadata,
            allow_redisplay,
            now,
        ))
    }

    /// `POST /v1/payment_methods`: checks the card data (a 402 `card_error` naming
    /// `card[…]`, nothing created), or takes the card of a token (used up, see
    /// [`State::use_token`]), and keeps the PaymentMethod. The issuer is asked only when a
    /// PaymentIntent confirms it.
    pub(crate) fn create_payment_method(
        &mut self,
        new: NewPaymentMethod,
        now: OffsetDateTime,
    ) -> Result<String, ApiError> {
        let (card, billing_details, metadata, allow_redisplay) = match new {
            NewPaymentMethod::Card(data) => (
                (validate_card(&data, "card", now)?, None),
                data.billing_details,
                data.metadata,
                data.allow_redisplay,
            ),
            NewPaymentMethod::Token {
                token,
                billing_details,
                metadata,
                allow_redisplay,
            } => (
                self.use_token(&token, now)?,
                billing_details,
                metadata,
                allow_redisplay,
            ),
        };
        Ok(self.store_payment_method(card, billing_details, metadata, allow_redisplay, now))
    }

    fn store_payment_method(
        &mut self,
        (card, wallet): (Card, Option<&'static str>),
        billing_details: Map<String, Value>,
        metadata: Map<String, Value>,
        allow_redisplay: Option<String>,
        now: OffsetDateTime,
    ) -> String {
        let id = ids::new("pm");
        self.payment_methods.insert(
            id.clone(),
            PaymentMethod {
                id: id.clone(),
                created: unix(now),
                card,
                billing_details,
                metadata,
                allow_redisplay: allow_redisplay.unwrap_or_else(|| "unspecified".to_owned()),
                wallet,
            },
        );
        id
    }
}

/// The card of a test PaymentMethod or test token: expiring in a year, its CVC unchecked.
pub(crate) fn test_card(number: &str, now: OffsetDateTime) -> Card {
    Card {
        network: CardNetwork::detect(number),
        last4: last4(number),
        exp_month: i64::from(u8::from(now.month())),
        exp_year: i64::from(now.year()) + 1,
        fingerprint: ids::fingerprint(number),
        cvc_check: Some("unchecked"),
        profile: cards::profile(number),
    }
}

pub(crate) fn last4(number: &str) -> String {
    number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_owned()
}

/// Checks raw card data as Stripe does when it creates the PaymentMethod (402 `card_error`s
/// naming the field under `card`, the card's hash as the request named it).
pub(crate) fn validate_card(
    data: &CardData,
    card: &str,
    now: OffsetDateTime,
) -> Result<Card, ApiError> {
    let param = |field: &str| format!("{card}[{field}]");
    let number: String = data.number.chars().filter(|c| *c != ' ').collect();
    if !number.bytes().all(|b| b.is_ascii_digit()) || !(12..=19).contains(&number.len()) {
        return Err(ApiError::card_invalid(
            "invalid_number",
            "Your card number is invalid.",
            &param("number"),
        ));
    }
    if !luhn_valid(&number) {
        return Err(ApiError::card_invalid(
            "incorrect_number",
            "Your card number is incorrect.",
            &param("number"),
        ));
    }
    if !(1..=12).contains(&data.exp_month) {
        return Err(ApiError::card_invalid(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
            &param("exp_month"),
        ));
    }
    // Two-digit years are in this century, as Stripe reads them.
    let year = if (0..100).contains(&data.exp_year) {
        data.exp_year + 2000
    } else {
        data.exp_year
    };
    let (this_year, this_month) = (i64::from(now.year()), i64::from(u8::from(now.month())));
    if year < this_year || year > this_year + 50 {
        return Err(ApiError::card_invalid(
            "invalid_expiry_year",
            "Your card's expiration year is invalid.",
            &param("exp_year"),
        ));
    }
    if year == this_year && data.exp_month < this_month {
        return Err(ApiError::card_invalid(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
            &param("exp_month"),
        ));
    }
    let profile = cards::profile(&number);
    let cvc_check = match &data.cvc {
        None => None,
        Some(cvc) if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(ApiError::card_invalid(
                "invalid_cvc",
                "Your card's security code is invalid.",
                &param("cvc"),
            ))
        }
        Some(_) if number == cards::INCORRECT_CVC => Some("fail"),
        Some(_) => Some("pass"),
    };
    Ok(Card {
        network: CardNetwork::detect(&number),
        last4: last4(&number),
        exp_month: data.exp_month,
        exp_year: year,
        fingerprint: ids::fingerprint(&number),
        cvc_check,
        profile,
    })
}
