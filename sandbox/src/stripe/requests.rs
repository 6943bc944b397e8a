//! From checked parameters ([`Params`]) to the state's inputs: the checks that need more than
//! a parameter's type (currencies, amount limits, URLs, parameters that exclude each other).
//! Every failure here is a validation failure, never stored for idempotent replay.

use paybridge_core::money::Currency;
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::model::{
    initial_metadata, Capture, CaptureMethod, CardData, Confirmation, Increment, NewIntent,
    NewPaymentMethod, NewRefund, NewToken, PaymentMethodSource, RefundTarget, Update, MAX_AMOUNT,
};
use super::params::{missing, Params};

/// Card options a PaymentIntent echoes in `payment_method_options[card]` (the others are
/// inputs with another output shape, or secrets such as `cvc_token`).
const ECHOED_CARD_OPTIONS: &[&str] = &[
    "capture_method",
    "network",
    "request_extended_authorization",
    "request_incremental_authorization",
    "request_multicapture",
    "request_overcapture",
    "request_three_d_secure",
    "require_cvc_recollection",
    "setup_future_usage",
    "statement_descriptor_suffix_kana",
    "statement_descriptor_suffix_kanji",
];

/// Stripe's minimum charge amounts for the currencies it documents them for; any other
/// currency accepts 1 \[U\].
const MINIMUM_AMOUNTS: &[(&str, i64)] = &[
    ("usd", 50),
    ("eur", 50),
    ("gbp", 30),
    ("cad", 50),
    ("aud", 50),
    ("nzd", 50),
    ("chf", 50),
    ("sgd", 50),
    ("jpy", 50),
    ("hkd", 400),
    ("sek", 300),
    ("nok", 300),
    ("dkk", 250),
    ("mxn", 1000),
];

/// A lowercase ISO-4217 code paybridge knows. Stripe documents lowercase codes; the simulator
/// refuses others so a connector sending `USD` is caught \[U: Stripe may accept any case\].
pub(crate) fn currency(code: &str, param: &str) -> Result<String, ApiError> {
    let lowercase = code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase());
    if lowercase && code.parse::<Currency>().is_ok() {
        Ok(code.to_owned())
    } else {
        Err(ApiError::validation(format!(
            "Invalid currency: {code}. Stripe currently supports lowercase ISO 4217 currency \
             codes, e.g. usd."
        ))
        .param(param))
    }
}

/// Checks an amount against the currency's minimum and Stripe's eight-digit maximum.
pub(crate) fn amount(amount: i64, currency: &str, param: &str) -> Result<i64, ApiError> {
    let minimum = MINIMUM_AMOUNTS
        .iter()
        .find(|(code, _)| *code == currency)
        .map_or(1, |(_, minimum)| *minimum);
    if amount < minimum {
        return Err(ApiError::validation(format!(
            "Amount must be at least {} {currency}",
            super::model::display_amount(minimum, currency)
        ))
        .code("amount_too_small")
        .param(param));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::validation(format!(
            "Amount must be no more than {} {currency}",
            super::model::display_amount(MAX_AMOUNT, currency)
        ))
        .code("amount_too_large")
        .param(param));
    }
    Ok(amount)
}

fn exclusive(first: &str, second: &str) -> ApiError {
    ApiError::validation(format!(
        "You may only specify one of these parameters: {first}, {second}."
    ))
    .code("parameters_exclusive")
    .param(second)
}

fn text(params: &Params, pointer: &str) -> Option<String> {
    params.str(pointer).map(str::to_owned)
}

/// An e-mail address parameter: a local part, `@` and a dotted domain, no spaces \[U: Stripe's
/// exact rule and message; the message does not repeat the address\].
fn email(params: &Params, pointer: &str, param: &str) -> Result<Option<String>, ApiError> {
    let Some(address) = params.str(pointer) else {
        return Ok(None);
    };
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(Some(address.to_owned()))
    } else {
        Err(ApiError::validation("Invalid email address.")
            .code("email_invalid")
            .param(param))
    }
}

/// Characters Stripe's statement descriptor requirements forbid.
const FORBIDDEN_IN_DESCRIPTORS: [char; 6] = ['<', '>', '\\', '\'', '"', '*'];

/// A statement descriptor (or suffix) as Stripe's requirements have it: Latin characters (the
/// simulator takes printable ASCII), at least one letter, none of `< > \ ' " *`. The length
/// (at most 22) is the parameter's own limit ([`super::params`]) \[U: the messages\].
fn descriptor(text: &str, param: &str) -> Result<(), ApiError> {
    let why = if !text.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        "it may contain only Latin characters"
    } else if text.contains(FORBIDDEN_IN_DESCRIPTORS) {
        "it cannot contain any of the characters < > \\ ' \" *"
    } else if !text.chars().any(|c| c.is_ascii_alphabetic()) {
        "it must contain at least one letter"
    } else {
        return Ok(());
    };
    Err(ApiError::validation(format!("Invalid {param}: {why}.")).param(param))
}

/// The statement descriptors of a request on a PaymentIntent. `card`: the intent accepts
/// cards, for which Stripe refuses `statement_descriptor` with a 400 (since 2024-01-02; its
/// document says to use `statement_descriptor_suffix` for card charges) \[U: the message, and
/// that capture, increment and update refuse it as create does\].
pub(crate) fn descriptors(params: &Params, card: bool) -> Result<(), ApiError> {
    if let Some(text) = params.str("/statement_descriptor") {
        if card {
            return Err(ApiError::validation(
                "The statement_descriptor parameter is not supported for card payments. Use \
                 statement_descriptor_suffix, which is appended to your account's statement \
                 descriptor prefix.",
            )
            .param("statement_descriptor"));
        }
        descriptor(text, "statement_descriptor")?;
    }
    if let Some(text) = params.str("/statement_descriptor_suffix") {
        descriptor(text, "statement_descriptor_suffix")?;
    }
    Ok(())
}

/// `POST /v1/payment_intents`.
///
/// With neither `payment_method_types` nor `automatic_payment_methods`, automatic payment
/// methods are enabled with redirects allowed, as on API versions since 2023-08-16: confirming
/// then needs a `return_url` (reference §2.2 \[U\]). `payment_method_types` is `["card"]`
/// either way (the simulator's "Dashboard" enables cards only).
pub(crate) fn new_intent(params: &Params) -> Result<NewIntent, ApiError> {
    let currency = currency(params.str("/currency").unwrap_or_default(), "currency")?;
    let amount = amount(
        params.int("/amount").unwrap_or_default(),
        &currency,
        "amount",
    )?;
    let confirm = params.bool("/confirm").unwrap_or(false);
    if !confirm && params.has("/return_url") {
        return Err(
            ApiError::validation("You can only pass in return_url when confirm=true.")
                .param("return_url"),
        );
    }
    if params.has("/payment_method_types") && params.has("/automatic_payment_methods") {
        return Err(exclusive(
            "payment_method_types",
            "automatic_payment_methods",
        ));
    }
    let automatic_payment_methods = match params.bool("/automatic_payment_methods/enabled") {
        Some(enabled) => Some((
            enabled,
            text(params, "/automatic_payment_methods/allow_redirects")
                .unwrap_or_else(|| "always".to_owned()),
        )),
        None if params.has("/payment_method_types") => None,
        None => Some((true, "always".to_owned())),
    };
    let payment_method_types = match params.get("/payment_method_types") {
        Some(_) => params.strings("/payment_method_types"),
        None => vec!["card".to_owned()],
    };
    descriptors(params, payment_method_types.iter().any(|t| t == "card"))?;
    let mut confirmation = confirmation(params)?;
    // On create the types are the intent's own, not a confirmation override.
    confirmation.payment_method_types = None;
    Ok(NewIntent {
        amount,
        currency,
        capture_method: params
            .str("/capture_method")
            .and_then(CaptureMethod::parse)
            .unwrap_or(CaptureMethod::Automatic),
        confirmation_method: text(params, "/confirmation_method")
            .unwrap_or_else(|| "automatic".to_owned()),
        description: text(params, "/description"),
        metadata: initial_metadata(params.hash("/metadata")),
        statement_descriptor: text(params, "/statement_descriptor"),
        statement_descriptor_suffix: text(params, "/statement_descriptor_suffix"),
        automatic_payment_methods,
        payment_method_types,
        confirm,
        confirmation,
    })
}

/// The confirmation parameters of create and confirm.
pub(crate) fn confirmation(params: &Params) -> Result<Confirmation, ApiError> {
    if params.has("/payment_method") && params.has("/payment_method_data") {
        return Err(exclusive("payment_method", "payment_method_data"));
    }
    let payment_method = match (
        params.str("/payment_method"),
        params.get("/payment_method_data"),
    ) {
        (Some(id), _) => Some(PaymentMethodSource::Id(id.to_owned())),
        (None, Some(_)) => Some(PaymentMethodSource::Data(card_data(
            params,
            "/payment_method_data",
            "payment_method_data[card]",
        )?)),
        (None, None) => None,
    };
    let return_url = match params.str("/return_url") {
        Some(url) if url::Url::parse(url).is_err() => {
            return Err(ApiError::validation("Not a valid URL")
                .code("url_invalid")
                .param("return_url"))
        }
        url => url.map(str::to_owned),
    };
    let three_d_secure = three_d_secure(params)?;
    let card_options = params.hash("/payment_method_options/card").map(|options| {
        options
            .iter()
            .filter(|(name, _)| ECHOED_CARD_OPTIONS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect::<Map<String, Value>>()
    });
    Ok(Confirmation {
        payment_method,
        capture_method: params.str("/capture_method").and_then(CaptureMethod::parse),
        card_options,
        payment_method_types: params
            .get("/payment_method_types")
            .map(|_| params.strings("/payment_method_types")),
        return_url,
        off_session: matches!(
            params.str("/off_session"),
            Some("true" | "one_off" | "recurring")
        ),
        error_on_requires_action: params.bool("/error_on_requires_action").unwrap_or(false),
        receipt_email: email(params, "/receipt_email", "receipt_email")?,
        shipping: params.hash("/shipping").cloned(),
        setup_future_usage: text(params, "/setup_future_usage"),
        three_d_secure,
    })
}

/// Where an imported 3DS result's parameters are.
const THREE_D_SECURE: &str = "/payment_method_options/card/three_d_secure";

/// `payment_method_options[card][three_d_secure]`, an imported 3DS result, past its parameters'
/// types ([`super::params`]: required `cryptogram`, `transaction_id` and `version`, the enums):
///
/// - `cryptogram`: "20 bytes, base64-encoded into a 28-character string", as Stripe describes
///   it; anything else is a 400 naming it \[U: whether Stripe checks the format, and its
///   message\]. The message never repeats the value.
/// - `requestor_challenge_indicator`: "a string containing 2 digits from 01-99" (Stripe's
///   description).
/// - `network_options[cartes_bancaires]` needs `payment_method_options[card][network]` to be
///   `cartes_bancaires` ("Network specific arguments require an explicit card brand choice")
///   \[U: the error\].
///
/// The parameters as given, to be recorded.
fn three_d_secure(params: &Params) -> Result<Option<Map<String, Value>>, ApiError> {
    use base64::Engine;

    let Some(result) = params.hash(THREE_D_SECURE) else {
        return Ok(None);
    };
    let name = |field: &str| format!("payment_method_options[card][three_d_secure][{field}]");
    let cryptogram = result
        .get("cryptogram")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD.decode(cryptogram);
    if cryptogram.len() != 28 || !decoded.is_ok_and(|bytes| bytes.len() == 20) {
        return Err(ApiError::validation(
            "Invalid cryptogram: it must be the 20-byte authentication value, base64-encoded \
             into a 28-character string.",
        )
        .param(&name("cryptogram")));
    }
    if let Some(indicator) = result
        .get("requestor_challenge_indicator")
        .and_then(Value::as_str)
    {
        let digits = indicator.len() == 2 && indicator.bytes().all(|b| b.is_ascii_digit());
        if !digits || indicator == "00" {
            return Err(ApiError::validation(
                "Invalid requestor_challenge_indicator: it must be 2 digits from 01 to 99.",
            )
            .param(&name("requestor_challenge_indicator")));
        }
    }
    let cartes_bancaires = params.has(&format!(
        "{THREE_D_SECURE}/network_options/cartes_bancaires"
    ));
    if cartes_bancaires
        && params.str("/payment_method_options/card/network") != Some("cartes_bancaires")
    {
        return Err(ApiError::validation(
            "Network specific 3DS fields require an explicit card brand choice: set \
             payment_method_options[card][network] to cartes_bancaires.",
        )
        .param("payment_method_options[card][network]"));
    }
    Ok(Some(result.clone()))
}

/// Raw card data under `root` (`/payment_method_data` on a confirmation, the body itself when
/// creating a PaymentMethod); `card` names its `card` hash in errors.
fn card_data(params: &Params, root: &str, card: &str) -> Result<CardData, ApiError> {
    let at = |path: &str| format!("{root}/{path}");
    if !params.has(&at("card")) {
        return Err(
            ApiError::validation(format!("Missing required param: {card}."))
                .code("parameter_missing")
                .param(card),
        );
    }
    let billing_email = match root {
        "" => "billing_details[email]".to_owned(),
        _ => format!("{}[billing_details][email]", root.trim_start_matches('/')),
    };
    email(params, &at("billing_details/email"), &billing_email)?;
    Ok(CardData {
        number: text(params, &at("card/number")).unwrap_or_default(),
        exp_month: params.int(&at("card/exp_month")).unwrap_or_default(),
        exp_year: params.int(&at("card/exp_year")).unwrap_or_default(),
        cvc: text(params, &at("card/cvc")),
        billing_details: params
            .hash(&at("billing_details"))
            .cloned()
            .unwrap_or_default(),
        metadata: initial_metadata(params.hash(&at("metadata"))),
        allow_redisplay: text(params, &at("allow_redisplay")),
    })
}

/// The fields of raw card data under `card` a request must give.
const CARD_REQUIRED: [&str; 3] = ["number", "exp_month", "exp_year"];

/// `POST /v1/payment_methods`: the card data, not yet checked, or a card token. A token comes
/// alone: with card data too, 400 naming the first card field \[U: Stripe's message\].
pub(crate) fn new_payment_method(params: &Params) -> Result<NewPaymentMethod, ApiError> {
    let Some(token) = params.str("/card/token") else {
        if params.has("/card") {
            required_card_fields(params)?;
        }
        return card_data(params, "", "card").map(NewPaymentMethod::Card);
    };
    if let Some(field) = ["number", "exp_month", "exp_year", "cvc"]
        .into_iter()
        .find(|field| params.has(&format!("/card/{field}")))
    {
        return Err(ApiError::validation(format!(
            "You cannot pass card[{field}] with card[token]: a token already holds its card."
        ))
        .param(&format!("card[{field}]")));
    }
    email(params, "/billing_details/email", "billing_details[email]")?;
    Ok(NewPaymentMethod::Token {
        token: token.to_owned(),
        billing_details: params.hash("/billing_details").cloned().unwrap_or_default(),
        metadata: initial_metadata(params.hash("/metadata")),
        allow_redisplay: text(params, "/allow_redisplay"),
    })
}

fn required_card_fields(params: &Params) -> Result<(), ApiError> {
    match CARD_REQUIRED
        .into_iter()
        .find(|field| !params.has(&format!("/card/{field}")))
    {
        Some(field) => Err(missing(&format!("card[{field}]"))),
        None => Ok(()),
    }
}

/// `POST /v1/tokens`: an Apple Pay token (`pk_token`) or card data, not yet checked, and the
/// holder's `card[name]` and `card[address_…]`. Card data beside `pk_token`, or nothing to
/// make a token of, is a 400 \[U: Stripe's messages\].
pub(crate) fn new_token(params: &Params) -> Result<(NewToken, Map<String, Value>), ApiError> {
    let holder: Map<String, Value> = params
        .hash("/card")
        .map(|card| {
            card.iter()
                .filter(|(name, _)| *name == "name" || name.starts_with("address_"))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let new =
        match params.str("/pk_token") {
            Some(_) if params.has("/card/number") => return Err(ApiError::validation(
                "You cannot pass card[number] with pk_token: the Apple Pay token holds the card.",
            )
            .param("card[number]")),
            Some(pk_token) => NewToken::ApplePay(pk_token.to_owned()),
            None if params.has("/card") => {
                required_card_fields(params)?;
                NewToken::Card(card_data(params, "", "card")?)
            }
            None => {
                return Err(ApiError::validation(
                    "You must supply either a card, customer, PII data, bank account, or account \
                 legal entity to create a token.",
                ))
            }
        };
    Ok((new, holder))
}

/// `POST /v1/payment_intents/{id}`.
pub(crate) fn update(params: &Params) -> Result<Update, ApiError> {
    let amount = match params.int("/amount") {
        // The currency's minimum is checked against the intent's currency by the caller.
        Some(amount) if !(1..=MAX_AMOUNT).contains(&amount) => {
            return Err(
                ApiError::validation("Invalid amount: must be between 1 and 99999999.")
                    .code("parameter_invalid_integer")
                    .param("amount"),
            )
        }
        amount => amount,
    };
    Ok(Update {
        amount,
        description: text(params, "/description"),
        metadata: params.hash("/metadata").cloned(),
        receipt_email: email(params, "/receipt_email", "receipt_email")?,
        statement_descriptor: text(params, "/statement_descriptor"),
        statement_descriptor_suffix: text(params, "/statement_descriptor_suffix"),
    })
}

/// `POST /v1/payment_intents/{id}/capture`.
pub(crate) fn capture(params: &Params) -> Capture {
    Capture {
        amount: params.int("/amount_to_capture"),
        final_capture: params.bool("/final_capture").unwrap_or(true),
        metadata: params.hash("/metadata").cloned(),
        statement_descriptor: text(params, "/statement_descriptor"),
        statement_descriptor_suffix: text(params, "/statement_descriptor_suffix"),
    }
}

/// `POST /v1/payment_intents/{id}/increment_authorization`.
pub(crate) fn increment(params: &Params) -> Increment {
    Increment {
        amount: params.int("/amount").unwrap_or_default(),
        description: text(params, "/description"),
        metadata: params.hash("/metadata").cloned(),
        statement_descriptor: text(params, "/statement_descriptor"),
    }
}

/// `POST /v1/refunds`: `payment_intent` or `charge` (both when they agree).
pub(crate) fn new_refund(params: &Params) -> Result<NewRefund, ApiError> {
    let intent = text(params, "/payment_intent");
    let target = match (text(params, "/charge"), &intent) {
        (Some(charge), _) => RefundTarget::Charge(charge),
        (None, Some(intent)) => RefundTarget::PaymentIntent(intent.clone()),
        (None, None) => {
            return Err(ApiError::validation(
                "One of the following params should be provided for this request: \
                 payment_intent or charge.",
            )
            .code("parameter_missing")
            .param("payment_intent"))
        }
    };
    let amount = match params.int("/amount") {
        Some(amount) if amount < 1 => {
            return Err(ApiError::validation("Refund amount must be at least 1.")
                .code("amount_too_small")
                .param("amount"))
        }
        amount => amount,
    };
    let currency = match params.str("/currency") {
        Some(code) => Some(currency(code, "currency")?),
        None => None,
    };
    Ok(NewRefund {
        payment_intent: matches!(target, RefundTarget::Charge(_))
            .then_some(intent)
            .flatten(),
        target,
        amount,
        currency,
        reason: text(params, "/reason"),
        metadata: initial_metadata(params.hash("/metadata")),
        instructions_email: text(params, "/instructions_email"),
    })
}

/// The `expand[]` paths of a request, each one of `allowed`.
pub(crate) fn expand(params: &Params, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let paths = params.strings("/expand");
    for (i, path) in paths.iter().enumerate() {
        if !allowed.contains(&path.as_str()) {
            return Err(ApiError::validation(format!(
                "This property cannot be expanded ({path})."
            ))
            .param(&format!("expand[{i}]")));
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::stripe::params::{
        parse, CREATE_INTENT, CREATE_PAYMENT_METHOD, CREATE_REFUND, CREATE_TOKEN,
    };

    fn create(body: &str) -> Result<NewIntent, ApiError> {
        parse(body.as_bytes(), CREATE_INTENT).and_then(|params| new_intent(&params))
    }

    #[test]
    fn amounts_and_currencies_are_checked() {
        let error = create("amount=49&currency=usd").unwrap_err().object();
        assert_eq!(error["code"], "amount_too_small");
        assert_eq!(error["message"], "Amount must be at least $0.50 usd");
        let error = create("amount=100000000&currency=usd")
            .unwrap_err()
            .object();
        assert_eq!(error["code"], "amount_too_large");
        let error = create("amount=100&currency=USD").unwrap_err().object();
        assert_eq!(error["param"], "currency");
        assert!(create("amount=1&currency=kwd").is_ok());
    }

    #[test]
    fn automatic_payment_methods_are_the_default() {
        let intent = create("amount=100&currency=usd").unwrap();
        assert_eq!(
            intent.automatic_payment_methods,
            Some((true, "always".to_owned()))
        );
        let intent = create("amount=100&currency=usd&payment_method_types[]=card").unwrap();
        assert_eq!(intent.automatic_payment_methods, None);
        let error = create(
            "amount=100&currency=usd&payment_method_types[]=card&automatic_payment_methods[enabled]=true",
        )
        .unwrap_err()
        .object();
        assert_eq!(error["code"], "parameters_exclusive");
    }

    #[test]
    fn payment_method_sources_exclude_each_other() {
        let error = create(
            "amount=100&currency=usd&payment_method=pm_card_visa&payment_method_data[type]=card",
        )
        .unwrap_err()
        .object();
        assert_eq!(error["code"], "parameters_exclusive");
        let error = create("amount=100&currency=usd&payment_method_data[type]=card")
            .unwrap_err()
            .object();
        assert_eq!(error["param"], "payment_method_data[card]");
        let error = create("amount=100&currency=usd&confirm=true&return_url=not%20a%20url")
            .unwrap_err()
            .object();
        assert_eq!(error["code"], "url_invalid");
    }

    #[test]
    fn statement_descriptors_follow_stripes_rules() {
        let refused = |body: &str| {
            let error = create(&format!("amount=100&currency=usd&{body}"))
                .unwrap_err()
                .object();
            (error["param"].clone(), error["type"].clone())
        };
        // Card PaymentIntents take the suffix only.
        for body in [
            "statement_descriptor=SHOP",
            "statement_descriptor=SHOP&payment_method_types[]=card",
        ] {
            assert_eq!(
                refused(body),
                (
                    "statement_descriptor".into(),
                    "invalid_request_error".into()
                ),
                "{body}"
            );
        }
        let other = create(
            "amount=100&currency=usd&payment_method_types[]=sepa_debit&statement_descriptor=SHOP",
        )
        .unwrap();
        assert_eq!(other.statement_descriptor.as_deref(), Some("SHOP"));
        assert_eq!(
            refused("payment_method_types[]=sepa_debit&statement_descriptor=1234"),
            (
                "statement_descriptor".into(),
                "invalid_request_error".into()
            )
        );
        for bad in [
            "ORDER%3C7",
            "ORDER%3E7",
            "ORDER%5C7",
            "ORDER'7",
            "ORDER%227",
            "ORDER*7",
            "1234",
            "CAF%C3%89",
            "ABCDEFGHIJKLMNOPQRSTUVW",
        ] {
            assert_eq!(
                refused(&format!("statement_descriptor_suffix={bad}")),
                (
                    "statement_descriptor_suffix".into(),
                    "invalid_request_error".into()
                ),
                "{bad}"
            );
        }
        let ok =
            create("amount=100&currency=usd&statement_descriptor_suffix=ORDER+77%2F1").unwrap();
        assert_eq!(
            ok.statement_descriptor_suffix.as_deref(),
            Some("ORDER 77/1")
        );
    }

    #[test]
    fn shipping_needs_a_name_and_an_address() {
        let base = "amount=100&currency=usd";
        let intent = create(&format!(
            "{base}&shipping[name]=Ada+Lovelace&shipping[phone]=%2B442079460000\
             &shipping[address][line1]=1+Main+St&shipping[address][country]=GB"
        ))
        .unwrap();
        let shipping = intent.confirmation.shipping.unwrap();
        assert_eq!(shipping["name"], "Ada Lovelace");
        assert_eq!(shipping["phone"], "+442079460000");
        assert_eq!(shipping["address"]["line1"], "1 Main St");
        for (body, param) in [
            ("shipping[address][line1]=1+Main+St", "shipping[name]"),
            ("shipping[name]=Ada", "shipping[address]"),
            (
                "shipping[name]=Ada&shipping[address][line3]=x",
                "shipping[address][line3]",
            ),
        ] {
            let error = create(&format!("{base}&{body}")).unwrap_err().object();
            assert_eq!(error["param"], param, "{body}: {error}");
        }
    }

    #[test]
    fn email_addresses_are_checked_without_being_repeated() {
        let error = create("amount=100&currency=usd&receipt_email=ada.example.com")
            .unwrap_err()
            .object();
        assert_eq!(error["code"], "email_invalid");
        assert_eq!(error["param"], "receipt_email");
        assert!(!error["message"].to_string().contains("ada"));
        let intent = create("amount=100&currency=usd&receipt_email=ada%40example.com").unwrap();
        assert_eq!(
            intent.confirmation.receipt_email.as_deref(),
            Some("ada@example.com")
        );
        let method = |body: &str| {
            new_payment_method(&parse(body.as_bytes(), CREATE_PAYMENT_METHOD).unwrap())
        };
        let card = "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2040";
        let error = method(&format!("{card}&billing_details[email]=nope"))
            .unwrap_err()
            .object();
        assert_eq!(error["param"], "billing_details[email]");
        let data = method(&format!(
            "{card}&billing_details[email]=a%40b.co&billing_details[address][postal_code]=NW1"
        ))
        .unwrap();
        let NewPaymentMethod::Card(data) = data else {
            panic!("{data:?}");
        };
        assert_eq!(data.billing_details["email"], "a@b.co");
        assert_eq!(data.billing_details["address"]["postal_code"], "NW1");
    }

    #[test]
    fn a_card_token_comes_alone_and_card_data_whole() {
        let method = |body: &str| {
            new_payment_method(&parse(body.as_bytes(), CREATE_PAYMENT_METHOD).unwrap())
        };
        match method("type=card&card[token]=tok_visa&metadata[a]=b").unwrap() {
            NewPaymentMethod::Token {
                token, metadata, ..
            } => {
                assert_eq!(token, "tok_visa");
                assert_eq!(metadata["a"], "b");
            }
            other => panic!("{other:?}"),
        }
        let error = method("type=card&card[token]=tok_visa&card[cvc]=123")
            .unwrap_err()
            .object();
        assert_eq!(error["param"], "card[cvc]");
        let error = method("type=card&card[number]=4242424242424242&card[exp_year]=2040")
            .unwrap_err()
            .object();
        assert_eq!(error["code"], "parameter_missing");
        assert_eq!(error["param"], "card[exp_month]");

        let token = |body: &str| new_token(&parse(body.as_bytes(), CREATE_TOKEN).unwrap());
        let (new, holder) = token("pk_token=%7B%7D&card[name]=Ada&card[address_zip]=NW1").unwrap();
        assert!(matches!(new, NewToken::ApplePay(text) if text == "{}"));
        assert_eq!(holder.len(), 2);
        let error = token("pk_token=%7B%7D&card[number]=4242424242424242")
            .unwrap_err()
            .object();
        assert_eq!(error["param"], "card[number]");
        let error = token("card[number]=4242424242424242&card[exp_month]=12")
            .unwrap_err()
            .object();
        assert_eq!(error["param"], "card[exp_year]");
        assert!(token("expand[]=card").is_err());
    }

    #[test]
    fn refunds_need_a_target() {
        let error = new_refund(&parse(b"amount=5", CREATE_REFUND).unwrap())
            .unwrap_err()
            .object();
        assert_eq!(error["code"], "parameter_missing");
    }
}
