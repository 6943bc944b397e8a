//! Checkout.com's wire shapes: request validation (with Checkout's `error_codes`) and the JSON
//! bodies of answers and webhooks, as the published OpenAPI document describes them.

use paybridge_core::details::CountryCode;
use paybridge_core::money::Currency;
use paybridge_core::payment_method::{luhn_valid, CardNetwork};
use paybridge_core::webhook::hmac_sha256;
use serde_json::{json, Map, Value};
use time::{Date, OffsetDateTime};
use url::Url;

use super::cards;
use super::ids;
use super::state::{
    Action, ActionFields, AuthorizationType, Balances, Card, Details, Event, NewPayment, Payment,
    MAX_AMOUNT,
};
use super::three_ds::{self, ThreeDs};
use super::tokens::Tokens;

/// `reference` is at most 50 characters on payments, captures, voids and refunds.
const MAX_REFERENCE: usize = 50;
/// `success_url` / `failure_url` are at most 255 characters.
const MAX_URL: usize = 255;
/// Webhook envelope version (Checkout's current examples) \[U\].
const WEBHOOK_VERSION: &str = "1.0.33";

/// The JSON object of a request body; an empty body is an empty object (actions without
/// parameters may be sent without a body). `Err` for anything else: not JSON, not UTF-8, not
/// an object.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, ()> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(()),
    }
}

/// Collects `error_codes` in order, without duplicates.
#[derive(Debug, Default)]
struct Codes(Vec<&'static str>);

impl Codes {
    fn push(&mut self, code: &'static str) {
        if !self.0.contains(&code) {
            self.0.push(code);
        }
    }

    /// The value of `check`, noting `code` when it failed.
    fn check<T>(&mut self, check: Result<T, ()>, code: &'static str) -> Option<T> {
        check.map_err(|()| self.push(code)).ok()
    }
}

/// An optional amount: absent or `null` is `None`; an integer in `0..=99_999_999` is `Some`;
/// anything else (negative, too large, fractional, a string) is an error.
fn amount(fields: &Map<String, Value>, key: &str) -> Result<Option<i64>, ()> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|a| (0..=MAX_AMOUNT).contains(a))
            .map(Some)
            .ok_or(()),
    }
}

/// An optional string of at most `max` characters.
fn text(fields: &Map<String, Value>, key: &str, max: usize) -> Result<Option<String>, ()> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// Optional `metadata`: an object of primitive values (Checkout accepts flat metadata only).
fn metadata(fields: &Map<String, Value>) -> Result<Option<Map<String, Value>>, ()> {
    match fields.get("metadata") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) if map.values().all(|v| !v.is_object() && !v.is_array()) => {
            Ok(Some(map.clone()))
        }
        Some(_) => Err(()),
    }
}

fn action_fields(fields: &Map<String, Value>, codes: &mut Codes) -> ActionFields {
    ActionFields {
        reference: codes
            .check(
                text(fields, "reference", MAX_REFERENCE),
                "reference_invalid",
            )
            .flatten(),
        metadata: codes.check(metadata(fields), "metadata_invalid").flatten(),
    }
}

fn finish<T>(value: T, codes: Codes) -> Result<T, Vec<&'static str>> {
    if codes.0.is_empty() {
        Ok(value)
    } else {
        Err(codes.0)
    }
}

/// Validates `POST /payments`. Error codes:
/// - `processing_channel_id_invalid` when it is missing or not the simulator's \[U: Checkout
///   requires it on NAS in practice; the exact code is not documented];
/// - `currency_required` / `currency_invalid` (not an ISO-4217 code paybridge knows);
/// - `amount_invalid` (negative, above 99 999 999, fractional, not a number);
/// - `payment_source_required`; `payment_source_invalid` (not an object),
///   `source_type_invalid` (neither `card` nor `token`: the simulator takes no other sources)
///   \[U\];
/// - for a `token` source (a `tok_` token of `POST /tokens`, which pays as the card it holds):
///   `token_required`, `token_invalid` (unknown), `token_used` (tokens are single-use),
///   `token_expired` (15 minutes after issue) \[U: codes\]; `billing_address` and `phone` as
///   for a card;
/// - `card_number_required` / `card_number_invalid` (non-digits, length outside 12–19, Luhn);
/// - `card_expiry_month_required` / `card_expiry_month_invalid` (not 1–12),
///   `card_expiry_year_required` / `card_expiry_year_invalid` (not four digits), `card_expired`
///   (before the current month, UTC) \[U: Checkout's exact codes for expiry\];
/// - `cvv_invalid` (not 3–4 digits), `capture_invalid`, `authorization_type_invalid`,
///   `reference_invalid` (over 50), `payment_type_invalid`, `3ds_invalid` (not an object, or
///   `enabled` not a boolean), a third-party result's codes (see `three_ds`),
///   `success_url_invalid` / `failure_url_invalid`, `metadata_invalid` (not a flat object) \[U\];
/// - the payment details, in the document's shapes and limits: `description_invalid` (over
///   100) \[U: code\]; `customer_invalid`, `billing_descriptor_invalid` (not an object) \[U:
///   codes\]; `customer_id_invalid` (not `cus_` and 26 characters),
///   `customer_email_invalid` (not an address, over 255), `customer_name_invalid` (over 255)
///   \[U: codes\]; `billing_descriptor_name_required` / `_invalid` (over 25),
///   `billing_descriptor_city_required` / `_invalid` (empty, over 13) (Checkout's codes),
///   `billing_descriptor_reference_invalid` (over 50) \[U: code\]; `address_invalid` for
///   `shipping.address` (Checkout's code) and `billing_address_invalid` for
///   `source.billing_address` \[U: code\] (`Address`: lines over 200, city or zip over 50, a
///   country that is not an ISO 3166-1 alpha-2 code, a member that is not a string);
///   `phone_number_invalid` (not 6–25 characters), `phone_country_code_invalid` (not 1–7)
///   \[U: codes\]; `payment_ip_invalid` (not an IPv4 address: the document's `format: ipv4`)
///   \[U: code; the live API may take IPv6\].
///
/// Unknown fields are ignored, and not kept. `capture_on` is ignored (no scheduled captures)
/// \[U\]. A dynamic billing descriptor is taken as if the account had it enabled (Checkout.com
/// enables it per account) \[U\].
pub(crate) fn payment_request(
    fields: &Map<String, Value>,
    processing_channel_id: &str,
    now: OffsetDateTime,
    tokens: &Tokens,
) -> Result<NewPayment, Vec<&'static str>> {
    let today = now.date();
    let mut codes = Codes::default();
    if fields.get("processing_channel_id").and_then(Value::as_str) != Some(processing_channel_id) {
        codes.push("processing_channel_id_invalid");
    }
    let currency = match fields.get("currency") {
        None | Some(Value::Null) => {
            codes.push("currency_required");
            None
        }
        Some(value) => codes.check(
            value
                .as_str()
                .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
                .and_then(|c| c.parse::<Currency>().ok())
                .ok_or(()),
            "currency_invalid",
        ),
    };
    let amount = codes
        .check(amount(fields, "amount"), "amount_invalid")
        .map(|a| a.unwrap_or(0));
    let card = match fields.get("source") {
        Some(Value::Object(source)) if source.get("type") == Some(&json!("token")) => {
            token_source(source, now, tokens, &mut codes)
        }
        source => card_source(source, today, &mut codes),
    };
    let capture = codes
        .check(
            match fields.get("capture") {
                None | Some(Value::Null) => Ok(true),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(()),
            },
            "capture_invalid",
        )
        .unwrap_or(true);
    let authorization_type = codes.check(
        match fields.get("authorization_type") {
            None | Some(Value::Null) => Ok(AuthorizationType::Final),
            Some(v) if v == "Final" => Ok(AuthorizationType::Final),
            Some(v) if v == "Estimated" => Ok(AuthorizationType::Estimated),
            Some(_) => Err(()),
        },
        "authorization_type_invalid",
    );
    let payment_type = codes
        .check(
            text(fields, "payment_type", 20).and_then(|t| match t.as_deref() {
                None
                | Some(
                    "Regular" | "Recurring" | "MOTO" | "Installment" | "PayLater" | "Unscheduled",
                ) => Ok(t),
                Some(_) => Err(()),
            }),
            "payment_type_invalid",
        )
        .flatten();
    let (three_ds, third_party) = match three_ds::read(fields.get("3ds")) {
        Ok(ThreeDs::Off) => (false, None),
        Ok(ThreeDs::Redirect) => (true, None),
        Ok(ThreeDs::ThirdParty(result)) => (false, Some(result)),
        Err(found) => {
            found.into_iter().for_each(|code| codes.push(code));
            (false, None)
        }
    };
    let success_url = codes
        .check(redirect_url(fields, "success_url"), "success_url_invalid")
        .flatten();
    let failure_url = codes
        .check(redirect_url(fields, "failure_url"), "failure_url_invalid")
        .flatten();
    let common = action_fields(fields, &mut codes);
    let details = details(fields, &mut codes);

    match (currency, amount, card, authorization_type) {
        (Some(currency), Some(amount), Some(card), Some(authorization_type)) => finish(
            NewPayment {
                amount,
                currency,
                reference: common.reference,
                metadata: common.metadata.unwrap_or_default(),
                payment_type,
                capture,
                authorization_type,
                three_ds,
                third_party,
                success_url,
                failure_url,
                card,
                details,
            },
            codes,
        ),
        // Something failed, so `codes` is not empty.
        _ => Err(codes.0),
    }
}

fn redirect_url(fields: &Map<String, Value>, key: &str) -> Result<Option<Url>, ()> {
    text(fields, key, MAX_URL)?
        .map(|u| Url::parse(&u).map_err(|_| ()))
        .transpose()
}

fn card_source(source: Option<&Value>, today: Date, codes: &mut Codes) -> Option<Card> {
    let source = match source {
        None | Some(Value::Null) => {
            codes.push("payment_source_required");
            return None;
        }
        Some(Value::Object(source)) => source,
        Some(_) => {
            codes.push("payment_source_invalid");
            return None;
        }
    };
    if source.get("type").and_then(Value::as_str) != Some("card") {
        codes.push("source_type_invalid");
        return None;
    }
    let number = match source.get("number") {
        None | Some(Value::Null) => {
            codes.push("card_number_required");
            None
        }
        Some(value) => codes.check(
            value
                .as_str()
                .filter(|n| {
                    (12..=19).contains(&n.len())
                        && n.bytes().all(|b| b.is_ascii_digit())
                        && luhn_valid(n)
                })
                .ok_or(()),
            "card_number_invalid",
        ),
    };
    let month = match source.get("expiry_month") {
        None | Some(Value::Null) => {
            codes.push("card_expiry_month_required");
            None
        }
        Some(value) => codes.check(
            value
                .as_u64()
                .filter(|m| (1..=12).contains(m))
                .and_then(|m| u8::try_from(m).ok())
                .ok_or(()),
            "card_expiry_month_invalid",
        ),
    };
    let year = match source.get("expiry_year") {
        None | Some(Value::Null) => {
            codes.push("card_expiry_year_required");
            None
        }
        Some(value) => codes.check(
            value
                .as_u64()
                .filter(|y| (1000..=9999).contains(y))
                .and_then(|y| u16::try_from(y).ok())
                .ok_or(()),
            "card_expiry_year_invalid",
        ),
    };
    if let (Some(month), Some(year)) = (month, year) {
        let current = (today.year(), u8::from(today.month()));
        if (i32::from(year), month) < current {
            codes.push("card_expired");
        }
    }
    let cvv_ok = match source.get("cvv") {
        None | Some(Value::Null) => true,
        Some(Value::String(cvv)) => {
            (3..=4).contains(&cvv.len()) && cvv.bytes().all(|b| b.is_ascii_digit())
        }
        Some(_) => false,
    };
    if !cvv_ok {
        codes.push("cvv_invalid");
    }
    let name = codes
        .check(text(source, "name", 255), "card_holder_name_invalid")
        .flatten();
    let billing_address = address(
        source.get("billing_address"),
        "billing_address_invalid",
        codes,
    );
    let phone = phone(source.get("phone"), codes);
    let (number, expiry_month, expiry_year) = (number?, month?, year?);
    Some(Card {
        name,
        billing_address,
        phone,
        ..new_card(number, expiry_month, expiry_year)
    })
}

/// A `token` source: the card a `POST /tokens` token holds, with the source's billing details.
fn token_source(
    source: &Map<String, Value>,
    now: OffsetDateTime,
    tokens: &Tokens,
    codes: &mut Codes,
) -> Option<Card> {
    let card = match source.get("token") {
        None | Some(Value::Null) => Err("token_required"),
        Some(Value::String(token)) => tokens.card(token, now),
        Some(_) => Err("token_invalid"),
    };
    let billing_address = address(
        source.get("billing_address"),
        "billing_address_invalid",
        codes,
    );
    let phone = phone(source.get("phone"), codes);
    let card = card.map_err(|code| codes.push(code)).ok()?;
    Some(Card {
        billing_address,
        phone,
        ..card
    })
}

/// The card the simulator keeps for a (valid) `number`: never the number itself.
pub(crate) fn new_card(number: &str, expiry_month: u8, expiry_year: u16) -> Card {
    Card {
        source_id: ids::new("src"),
        bin: number[..6].to_owned(),
        last4: number[number.len() - 4..].to_owned(),
        expiry_month,
        expiry_year,
        network: CardNetwork::detect(number),
        fingerprint: fingerprint(number),
        name: None,
        decline: cards::decline_for(number),
        billing_address: None,
        phone: None,
    }
}

/// An optional object member: absent or `null` is `None`, an object is `Some`, anything else
/// notes `code`.
fn object_at<'a>(
    value: Option<&'a Value>,
    code: &'static str,
    codes: &mut Codes,
) -> Option<&'a Map<String, Value>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            codes.push(code);
            None
        }
    }
}

/// Copies the string members `(key, shortest, longest)` of `from` that are present into a new
/// object; `Err` when one is not a string or its length is out of range.
fn strings(
    from: &Map<String, Value>,
    members: &[(&str, usize, usize)],
) -> Result<Map<String, Value>, ()> {
    let mut out = Map::new();
    for &(key, shortest, longest) in members {
        match from.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if (shortest..=longest).contains(&s.chars().count()) => {
                out.insert(key.to_owned(), Value::String(s.clone()));
            }
            Some(_) => return Err(()),
        }
    }
    Ok(out)
}

/// `Address`: two lines of at most 200 characters, city and zip at most 50, `state`, and an
/// ISO 3166-1 alpha-2 `country`. `None` when absent or empty.
fn address(
    value: Option<&Value>,
    code: &'static str,
    codes: &mut Codes,
) -> Option<Map<String, Value>> {
    let from = object_at(value, code, codes)?;
    let members = [
        ("address_line1", 0, 200),
        ("address_line2", 0, 200),
        ("city", 0, 50),
        ("state", 0, usize::MAX),
        ("zip", 0, 50),
        ("country", 2, 2),
    ];
    let country_ok = |a: &Map<String, Value>| {
        a.get("country")
            .and_then(Value::as_str)
            .is_none_or(|c| CountryCode::new(c).is_ok())
    };
    let address = codes.check(
        strings(from, &members).and_then(|a| if country_ok(&a) { Ok(a) } else { Err(()) }),
        code,
    )?;
    (!address.is_empty()).then_some(address)
}

/// `PhoneNumber`: `country_code` of 1–7 characters, `number` of 6–25.
fn phone(value: Option<&Value>, codes: &mut Codes) -> Option<Map<String, Value>> {
    let from = object_at(value, "phone_number_invalid", codes)?;
    let code = codes.check(
        strings(from, &[("country_code", 1, 7)]),
        "phone_country_code_invalid",
    );
    let number = codes.check(strings(from, &[("number", 6, 25)]), "phone_number_invalid");
    let mut phone = code?;
    phone.extend(number?);
    (!phone.is_empty()).then_some(phone)
}

/// An e-mail address as far as the simulator checks one: `local@domain.tld`, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// `customer` {`id`, `email`, `name`}. The payment is linked to a customer with a `cus_` id:
/// the one given (the simulator keeps no customers, so any well-formed id is taken \[U\]), or
/// one derived from the e-mail, so the same address is the same customer (Checkout.com
/// matches customers by e-mail \[U\]), or a new one.
fn customer(fields: &Map<String, Value>, codes: &mut Codes) -> Option<Map<String, Value>> {
    let from = object_at(fields.get("customer"), "customer_invalid", codes)?;
    let id = codes
        .check(text(from, "id", 30), "customer_id_invalid")
        .flatten();
    let id_ok = id.as_deref().is_none_or(|id| {
        id.len() == 30
            && id.starts_with("cus_")
            && id[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if !id_ok {
        codes.push("customer_id_invalid");
    }
    let email = codes
        .check(
            text(from, "email", 255).and_then(|e| match e {
                Some(e) if !is_email(&e) => Err(()),
                other => Ok(other),
            }),
            "customer_email_invalid",
        )
        .flatten();
    let name = codes
        .check(text(from, "name", 255), "customer_name_invalid")
        .flatten();
    if id.is_none() && email.is_none() && name.is_none() {
        return None;
    }
    let id = id.unwrap_or_else(|| match &email {
        Some(email) => ids::derived("cus", email.to_ascii_lowercase().as_bytes()),
        None => ids::new("cus"),
    });
    let mut customer = Map::new();
    customer.insert("id".into(), id.into());
    if let Some(email) = email {
        customer.insert("email".into(), email.into());
    }
    if let Some(name) = name {
        customer.insert("name".into(), name.into());
    }
    Some(customer)
}

/// `billing_descriptor`: `name` (at most 25) and `city` (1–13) required, `reference` (at most
/// 50).
fn billing_descriptor(
    fields: &Map<String, Value>,
    codes: &mut Codes,
) -> Option<Map<String, Value>> {
    let from = object_at(
        fields.get("billing_descriptor"),
        "billing_descriptor_invalid",
        codes,
    )?;
    let mut member = |key, longest, required, invalid| match codes
        .check(strings(from, &[(key, 1, longest)]), invalid)
    {
        Some(found) if found.is_empty() => {
            codes.push(required);
            None
        }
        found => found,
    };
    let name = member(
        "name",
        25,
        "billing_descriptor_name_required",
        "billing_descriptor_name_invalid",
    );
    let city = member(
        "city",
        13,
        "billing_descriptor_city_required",
        "billing_descriptor_city_invalid",
    );
    let reference = codes.check(
        strings(from, &[("reference", 0, 50)]),
        "billing_descriptor_reference_invalid",
    );
    let mut descriptor = name?;
    descriptor.extend(city?);
    descriptor.extend(reference?);
    Some(descriptor)
}

/// `description`, `customer`, `billing_descriptor`, `shipping` {`address`, `phone`} and
/// `payment_ip`.
fn details(fields: &Map<String, Value>, codes: &mut Codes) -> Details {
    let description = codes
        .check(text(fields, "description", 100), "description_invalid")
        .flatten();
    let shipping = object_at(fields.get("shipping"), "address_invalid", codes).and_then(|s| {
        let mut shipping = Map::new();
        if let Some(address) = address(s.get("address"), "address_invalid", codes) {
            shipping.insert("address".into(), Value::Object(address));
        }
        if let Some(phone) = phone(s.get("phone"), codes) {
            shipping.insert("phone".into(), Value::Object(phone));
        }
        (!shipping.is_empty()).then_some(shipping)
    });
    let payment_ip = codes
        .check(
            text(fields, "payment_ip", 45).and_then(|ip| match ip {
                Some(ip) if ip.parse::<std::net::Ipv4Addr>().is_err() => Err(()),
                other => Ok(other),
            }),
            "payment_ip_invalid",
        )
        .flatten();
    Details {
        description,
        customer: customer(fields, codes),
        billing_descriptor: billing_descriptor(fields, codes),
        shipping,
        payment_ip,
    }
}

/// A stable, non-reversible card fingerprint: 64 upper-case hex characters, as in Checkout's
/// examples.
fn fingerprint(number: &str) -> String {
    let mac = hmac_sha256(b"paybridge-sandbox card fingerprint", &[number.as_bytes()]);
    mac.iter().map(|b| format!("{b:02X}")).collect()
}

/// `POST /payments/{id}/authorizations`: `amount` (the amount to add, default 0 = extend),
/// `reference`, `metadata`.
pub(crate) fn increment_request(
    fields: &Map<String, Value>,
) -> Result<(i64, ActionFields), Vec<&'static str>> {
    let mut codes = Codes::default();
    let amount = codes
        .check(amount(fields, "amount"), "amount_invalid")
        .flatten()
        .unwrap_or(0);
    let common = ActionFields {
        // No length limit documented for an increment's reference.
        reference: codes
            .check(text(fields, "reference", usize::MAX), "reference_invalid")
            .flatten(),
        metadata: codes.check(metadata(fields), "metadata_invalid").flatten(),
    };
    finish((amount, common), codes)
}

/// `POST /payments/{id}/captures`: `amount` (default: what is left), `capture_type`
/// (`Final`, the default, or `NonFinal`), `reference`, `metadata`.
pub(crate) fn capture_request(
    fields: &Map<String, Value>,
) -> Result<(Option<i64>, bool, ActionFields), Vec<&'static str>> {
    let mut codes = Codes::default();
    let amount = codes
        .check(amount(fields, "amount"), "amount_invalid")
        .flatten();
    let is_final = codes
        .check(
            match fields.get("capture_type") {
                None | Some(Value::Null) => Ok(true),
                Some(v) if v == "Final" => Ok(true),
                Some(v) if v == "NonFinal" => Ok(false),
                Some(_) => Err(()),
            },
            "capture_type_invalid",
        )
        .unwrap_or(true);
    let common = action_fields(fields, &mut codes);
    finish((amount, is_final, common), codes)
}

/// `POST /payments/{id}/voids`: `reference`, `metadata`.
pub(crate) fn void_request(fields: &Map<String, Value>) -> Result<ActionFields, Vec<&'static str>> {
    let mut codes = Codes::default();
    let common = action_fields(fields, &mut codes);
    finish(common, codes)
}

/// `POST /payments/{id}/refunds`: `amount` (default: everything refundable), `reference`,
/// `metadata`.
pub(crate) fn refund_request(
    fields: &Map<String, Value>,
) -> Result<(Option<i64>, ActionFields), Vec<&'static str>> {
    let mut codes = Codes::default();
    let amount = codes
        .check(amount(fields, "amount"), "amount_invalid")
        .flatten();
    let common = action_fields(fields, &mut codes);
    finish((amount, common), codes)
}

/// An RFC 3339 UTC timestamp with whole seconds, as in Checkout's examples.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn href(base: &Url, path: &str) -> Value {
    let url = base
        .join(path)
        .map_or_else(|_| path.to_owned(), String::from);
    json!({ "href": url })
}

fn payment_href(base: &Url, payment: &Payment) -> Value {
    href(base, &format!("payments/{}", payment.id))
}

/// `_links`: `self` and `actions` always; `authorize`, `capture`, `void`, `refund` while the
/// payment's state allows them.
fn links(base: &Url, payment: &Payment) -> Value {
    let path = format!("payments/{}", payment.id);
    let mut links = Map::new();
    links.insert("self".into(), href(base, &path));
    links.insert("actions".into(), href(base, &format!("{path}/actions")));
    let allowed = [
        ("authorize", payment.can_increment(), "authorizations"),
        ("capture", payment.can_capture(), "captures"),
        ("void", payment.can_void(), "voids"),
        ("refund", payment.can_refund(), "refunds"),
    ];
    for (name, allowed, action) in allowed {
        if allowed {
            links.insert(name.into(), href(base, &format!("{path}/{action}")));
        }
    }
    Value::Object(links)
}

/// `balances`, as the API sends it. (The published `PaymentResponseBalances` schema also
/// requires an undeclared `id`; that flaw is corrected in the schema checks, not imitated here.)
fn balances(payment: &Payment) -> Value {
    let Balances {
        total_authorized,
        total_voided,
        available_to_void,
        total_captured,
        available_to_capture,
        total_refunded,
        available_to_refund,
    } = payment.balances;
    json!({
        "total_authorized": total_authorized,
        "total_voided": total_voided,
        "available_to_void": available_to_void,
        "total_captured": total_captured,
        "available_to_capture": available_to_capture,
        "total_refunded": total_refunded,
        "available_to_refund": available_to_refund,
    })
}

fn source(card: &Card) -> Value {
    let mut source = json!({
        "type": "card",
        "id": card.source_id,
        "expiry_month": card.expiry_month,
        "expiry_year": card.expiry_year,
        "last4": card.last4,
        "fingerprint": card.fingerprint,
        "bin": card.bin,
        "avs_check": "S",
        "cvv_check": "Y",
    });
    if let Some(scheme) = card.network.map(scheme) {
        source["scheme"] = json!(scheme);
    }
    if let Some(name) = &card.name {
        source["name"] = json!(name);
    }
    insert_some(
        &mut source,
        "billing_address",
        card.billing_address.clone().map(Value::Object),
    );
    insert_some(&mut source, "phone", card.phone.clone().map(Value::Object));
    source
}

/// `customer`, in the 201 and 202 answers and the payment's details.
fn insert_customer(body: &mut Value, payment: &Payment) {
    let customer = payment.request.details.customer.clone();
    insert_some(body, "customer", customer.map(Value::Object));
}

/// Checkout's spelling of a card scheme.
pub(crate) fn scheme(network: CardNetwork) -> &'static str {
    match network {
        CardNetwork::Visa => "Visa",
        CardNetwork::Mastercard => "Mastercard",
        CardNetwork::Amex => "Amex",
        CardNetwork::Discover => "Discover",
        CardNetwork::Jcb => "JCB",
        CardNetwork::Diners => "Diners Club International",
        CardNetwork::UnionPay => "China UnionPay",
    }
}

fn insert_some(object: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(value), Some(object)) = (value, object.as_object_mut()) {
        object.insert(key.to_owned(), value);
    }
}

/// 201 `PaymentResponse`: the payment after the issuer's verdict.
pub(crate) fn payment_response(base: &Url, payment: &Payment) -> Value {
    let authorization = payment.actions.first();
    let mut body = json!({
        "id": payment.id,
        "action_id": authorization.map(|a| a.id.as_str()),
        "amount": payment.request.amount,
        "currency": payment.request.currency.code(),
        "approved": payment.approved,
        "status": payment.status.as_str(),
        "response_code": payment.response_code,
        "response_summary": payment.response_summary,
        "balances": balances(payment),
        "risk": { "flagged": false },
        "source": source(&payment.request.card),
        "processed_on": timestamp(payment.processed_on.unwrap_or(payment.requested_on)),
        "scheme_id": payment.scheme_id,
        "processing": processing(),
        "_links": links(base, payment),
    });
    if payment.request.three_ds {
        body["3ds"] = json!({ "downgraded": false, "enrolled": "Y" });
        body["eci"] = json!("05");
    }
    if let Some(result) = &payment.request.third_party {
        // `PaymentResponse.3ds` is `3dsEnrollmentData`; the ECI is the one sent \[U\].
        body["3ds"] = json!({ "downgraded": false, "enrolled": "Y" });
        body["eci"] = result["eci"].clone();
    }
    insert_some(
        &mut body,
        "auth_code",
        payment.auth_code.clone().map(Value::from),
    );
    insert_some(
        &mut body,
        "expires_on",
        payment.expires_on.map(|e| timestamp(e).into()),
    );
    insert_some(
        &mut body,
        "reference",
        payment.request.reference.clone().map(Value::from),
    );
    insert_customer(&mut body, payment);
    body
}

fn processing() -> Value {
    json!({
        "retrieval_reference_number": ids::digits(12),
        "acquirer_transaction_id": ids::digits(21),
    })
}

/// 202 `PaymentAcceptedResponse`: 3DS authentication is required; `_links.redirect` is the
/// simulator's authentication page.
pub(crate) fn accepted_response(base: &Url, payment: &Payment) -> Value {
    let mut body = json!({
        "id": payment.id,
        "status": payment.status.as_str(),
        "3ds": { "downgraded": false, "enrolled": "Y" },
        "_links": {
            "self": payment_href(base, payment),
            "redirect": href(base, &format!("sim/3ds/{}", payment.id)),
        },
    });
    insert_some(
        &mut body,
        "reference",
        payment.request.reference.clone().map(Value::from),
    );
    insert_customer(&mut body, payment);
    body
}

/// 201 `AuthorizationResponse` for an incremental authorization (or an extension).
pub(crate) fn authorization_response(base: &Url, payment: &Payment, action: &Action) -> Value {
    let mut body = json!({
        "action_id": action.id,
        "amount": action.amount,
        "currency": payment.request.currency.code(),
        "approved": action.approved,
        "status": if action.approved { "Authorized" } else { "Declined" },
        "response_code": action.response_code,
        "response_summary": action.response_summary,
        "balances": balances(payment),
        "processed_on": timestamp(action.processed_on),
        "scheme_id": payment.scheme_id,
        "processing": processing(),
        "_links": links(base, payment),
    });
    insert_some(
        &mut body,
        "auth_code",
        action.auth_code.clone().map(Value::from),
    );
    insert_some(
        &mut body,
        "expires_on",
        payment.expires_on.map(|e| timestamp(e).into()),
    );
    let reference = action
        .reference
        .clone()
        .or_else(|| payment.request.reference.clone());
    insert_some(&mut body, "reference", reference.map(Value::from));
    body
}

/// 202 `CaptureAcceptedResponse` / `VoidAcceptedResponse` / `RefundAcceptedResponse`.
pub(crate) fn action_accepted(base: &Url, payment: &Payment, action: &Action) -> Value {
    let mut body = json!({
        "action_id": action.id,
        "_links": { "payment": payment_href(base, payment) },
    });
    insert_some(
        &mut body,
        "reference",
        action.reference.clone().map(Value::from),
    );
    body
}

/// 200 `PaymentDetails` for `GET /payments/{id}`. `amount` stays the requested amount;
/// increments show in `balances.total_authorized`.
pub(crate) fn payment_details(base: &Url, payment: &Payment) -> Value {
    let actions: Vec<Value> = payment
        .actions
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "type": a.kind.as_str(),
                "response_code": a.response_code,
                "response_summary": a.response_summary,
            })
        })
        .collect();
    let mut body = json!({
        "id": payment.id,
        "requested_on": timestamp(payment.requested_on),
        "source": source(&payment.request.card),
        "amount": payment.request.amount,
        "currency": payment.request.currency.code(),
        "approved": payment.approved,
        "status": payment.status.as_str(),
        "balances": balances(payment),
        "risk": { "flagged": false },
        "metadata": payment.request.metadata,
        "scheme_id": payment.scheme_id,
        "actions": actions,
        "_links": links(base, payment),
    });
    // The published PaymentDetails enum has the four classic payment types only.
    let payment_type = payment
        .request
        .payment_type
        .clone()
        .filter(|t| ["Regular", "Recurring", "MOTO", "Installment"].contains(&t.as_str()));
    insert_some(&mut body, "payment_type", payment_type.map(Value::from));
    insert_some(
        &mut body,
        "reference",
        payment.request.reference.clone().map(Value::from),
    );
    insert_some(
        &mut body,
        "expires_on",
        payment.expires_on.map(|e| timestamp(e).into()),
    );
    if payment.request.three_ds {
        body["3ds"] = json!({ "downgraded": false, "enrolled": "Y" });
    }
    if let Some(result) = &payment.request.third_party {
        body["3ds"] = third_party_details(result);
        body["eci"] = result["eci"].clone();
    }
    insert_customer(&mut body, payment);
    let details = &payment.request.details;
    let stored = [
        ("description", details.description.clone().map(Value::from)),
        (
            "billing_descriptor",
            details.billing_descriptor.clone().map(Value::Object),
        ),
        ("shipping", details.shipping.clone().map(Value::Object)),
        ("payment_ip", details.payment_ip.clone().map(Value::from)),
    ];
    for (key, value) in stored {
        insert_some(&mut body, key, value);
    }
    body
}

/// `PaymentDetails.3ds` (`3dsData`) of a payment authorized with a third-party result: what
/// was sent, in the members `3dsData` has (`authentication_response` is the result's `status`)
/// \[U: what Checkout.com answers for a third-party authentication; the document gives the
/// members, not when each is set\].
fn third_party_details(result: &Map<String, Value>) -> Value {
    let mut three_ds = json!({ "downgraded": false, "enrolled": "Y" });
    for (member, from) in [
        ("authentication_response", "status"),
        ("cryptogram", "cryptogram"),
        ("xid", "xid"),
        ("version", "version"),
    ] {
        insert_some(&mut three_ds, member, result.get(from).cloned());
    }
    three_ds
}

/// 200 for `GET /payments?reference=` ("Get payment lists", missing from the published
/// document; shape from Checkout.com's public reference \[U\]): `{limit, skip, total_count,
/// data}`, `data` the page of `matching` (newest first) from `skip`, each payment as
/// `GET /payments/{id}` describes it without the `actions` summary (given only for a session
/// id).
pub(crate) fn payment_list(base: &Url, matching: &[&Payment], limit: usize, skip: usize) -> Value {
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|payment| {
            let mut details = payment_details(base, payment);
            if let Some(fields) = details.as_object_mut() {
                fields.remove("actions");
            }
            details
        })
        .collect();
    json!({
        "limit": limit,
        "skip": skip,
        "total_count": matching.len(),
        "data": data,
    })
}

/// The `GET /payments/{id}/actions` array, newest first ("ordered by processing date in
/// descending order" per the published document). Empty for a payment still pending
/// authentication, although the document says at least one item \[U\].
pub(crate) fn actions(payment: &Payment) -> Value {
    let actions: Vec<Value> = payment
        .actions
        .iter()
        .rev()
        .map(|a| {
            let mut action = json!({
                "id": a.id,
                "type": a.kind.as_str(),
                "processed_on": timestamp(a.processed_on),
                "amount": a.amount,
                "approved": a.approved,
                "response_code": a.response_code,
                "response_summary": a.response_summary,
            });
            insert_some(
                &mut action,
                "auth_code",
                a.auth_code.clone().map(Value::from),
            );
            insert_some(
                &mut action,
                "authorization_type",
                a.authorization_type.map(Value::from),
            );
            insert_some(
                &mut action,
                "reference",
                a.reference.clone().map(Value::from),
            );
            insert_some(
                &mut action,
                "metadata",
                a.metadata.clone().map(Value::Object),
            );
            action
        })
        .collect();
    Value::Array(actions)
}

/// The body of a Checkout-style error: `{request_id, error_type, error_codes}`.
pub(crate) fn error_body(request_id: &str, error_type: &str, codes: &[&str]) -> Value {
    json!({
        "request_id": request_id,
        "error_type": error_type,
        "error_codes": codes,
    })
}

/// A webhook body for `event` on `payment`: `{id, type, version, created_on, data, _links}`.
/// `data` describes the action behind the event (its id, amount, response), or the payment
/// when there is none.
pub(crate) fn webhook(base: &Url, payment: &Payment, event: &Event, now: OffsetDateTime) -> Value {
    let event_id = ids::new("evt");
    let action = event.action.as_ref();
    let mut data = json!({
        "id": payment.id,
        "amount": action.map_or(payment.request.amount, |a| a.amount),
        "currency": payment.request.currency.code(),
        "balances": balances(payment),
        "processed_on": timestamp(action.map_or(now, |a| a.processed_on)),
        "metadata": payment.request.metadata,
    });
    insert_some(&mut data, "action_id", action.map(|a| a.id.clone().into()));
    let response = action
        .map(|a| (a.response_code, a.response_summary))
        .or(payment.response_code.zip(payment.response_summary));
    if let Some((code, summary)) = response {
        data["response_code"] = json!(code);
        data["response_summary"] = json!(summary);
    }
    insert_some(
        &mut data,
        "auth_code",
        action.and_then(|a| a.auth_code.clone()).map(Value::from),
    );
    let reference = action
        .and_then(|a| a.reference.clone())
        .or_else(|| payment.request.reference.clone());
    insert_some(&mut data, "reference", reference.map(Value::from));
    json!({
        "id": event_id,
        "type": event.kind,
        "version": WEBHOOK_VERSION,
        "created_on": timestamp(now),
        "data": data,
        "_links": {
            "self": href(base, &format!("workflows/events/{event_id}")),
            "subject": href(base, &format!("workflows/events/subject/{}", payment.id)),
            "payment": payment_href(base, payment),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use paybridge_connector_tests::openapi::OpenApi;

    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// A card payment request with `extra` members added.
    fn request(extra: Value) -> Map<String, Value> {
        let mut fields = json!({
            "source": {"type": "card", "number": "4242424242424242", "expiry_month": 12, "expiry_year": 2099},
            "amount": 1000,
            "currency": "GBP",
            "capture": false,
            "processing_channel_id": "pc_test",
        });
        for (key, value) in extra.as_object().unwrap() {
            match (key.as_str(), value) {
                ("source", Value::Object(more)) => {
                    let source = fields["source"].as_object_mut().unwrap();
                    source.extend(more.clone());
                }
                _ => {
                    fields[key] = value.clone();
                }
            }
        }
        fields.as_object().unwrap().clone()
    }

    fn codes(extra: Value) -> Vec<&'static str> {
        payment_request(&request(extra), "pc_test", now(), &Tokens::default()).unwrap_err()
    }

    fn every_detail() -> Value {
        let address = |line1: &str| {
            json!({"address_line1": line1, "address_line2": "Flat 2", "city": "London",
                   "state": "Greater London", "zip": "NW1 5LR", "country": "GB", "unknown": 1})
        };
        json!({
            "source": {
                "billing_address": address("1 Billing Lane"),
                "phone": {"country_code": "+44", "number": "2079460022"},
            },
            "description": "Set of 3 masks",
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "billing_descriptor": {"name": "PAYBRIDGE SHOP", "city": "LONDON", "reference": "ORD-1"},
            "shipping": {
                "address": address("2 Shipping Row"),
                "phone": {"country_code": "+44", "number": "2079460033"},
            },
            "payment_ip": "203.0.113.9",
        })
    }

    #[test]
    fn details_are_kept_and_answered_as_the_document_describes() {
        let spec = OpenApi::checkout_payments().unwrap();
        let fields = request(every_detail());
        assert!(spec
            .check_request("POST", "/payments", &Value::Object(fields.clone()))
            .unwrap());
        let new = payment_request(&fields, "pc_test", now(), &Tokens::default()).unwrap();
        let mut payment = Payment::new(new, OffsetDateTime::now_utc());
        let base = Url::parse("http://sim.test/").unwrap();
        // Pending authentication, as a 3DS payment is answered.
        let accepted = accepted_response(&base, &payment);
        payment.authorize(OffsetDateTime::now_utc());

        let details = payment_details(&base, &payment);
        let customer_id = details["customer"]["id"].as_str().unwrap().to_owned();
        assert_eq!(customer_id, ids::derived("cus", b"ada@example.com"));
        // The documented members only: `unknown` is not kept.
        let address = |line1: &str| {
            json!({"address_line1": line1, "address_line2": "Flat 2", "city": "London",
                   "state": "Greater London", "zip": "NW1 5LR", "country": "GB"})
        };
        assert_eq!(
            details["customer"],
            json!({"id": customer_id, "email": "ada@example.com", "name": "Ada Lovelace"})
        );
        assert_eq!(details["description"], "Set of 3 masks");
        assert_eq!(
            details["billing_descriptor"],
            json!({"name": "PAYBRIDGE SHOP", "city": "LONDON", "reference": "ORD-1"})
        );
        assert_eq!(
            details["shipping"],
            json!({"address": address("2 Shipping Row"),
                   "phone": {"country_code": "+44", "number": "2079460033"}})
        );
        assert_eq!(details["payment_ip"], "203.0.113.9");
        assert_eq!(
            details["source"]["billing_address"],
            address("1 Billing Lane")
        );
        assert_eq!(
            details["source"]["phone"],
            json!({"country_code": "+44", "number": "2079460022"})
        );
        spec.check_response("GET", "/payments/pay_x", 200, &details)
            .unwrap();

        // The 201 answer carries the customer and the source, not the rest.
        let created = payment_response(&base, &payment);
        assert_eq!(created["customer"], details["customer"]);
        assert_eq!(
            created["source"]["billing_address"],
            address("1 Billing Lane")
        );
        for absent in [
            "shipping",
            "billing_descriptor",
            "payment_ip",
            "description",
        ] {
            assert!(created.get(absent).is_none(), "{absent}");
        }
        spec.check_response("POST", "/payments", 201, &created)
            .unwrap();
        assert_eq!(accepted["customer"], details["customer"]);
        spec.check_response("POST", "/payments", 202, &accepted)
            .unwrap();
    }

    #[test]
    fn a_payment_without_details_answers_none() {
        let new =
            payment_request(&request(json!({})), "pc_test", now(), &Tokens::default()).unwrap();
        let payment = Payment::new(new, OffsetDateTime::now_utc());
        let details = payment_details(&Url::parse("http://sim.test/").unwrap(), &payment);
        for absent in [
            "customer",
            "shipping",
            "billing_descriptor",
            "payment_ip",
            "description",
        ] {
            assert!(details.get(absent).is_none(), "{absent}");
        }
        assert!(details["source"].get("billing_address").is_none());
    }

    #[test]
    fn customers_get_a_cus_id() {
        let customer = |c: Value| {
            let new = payment_request(
                &request(json!({"customer": c})),
                "pc_test",
                now(),
                &Tokens::default(),
            );
            new.unwrap().details.customer.map(Value::Object)
        };
        let given = "cus_y3oqhf46pyzuxjbcn2giaqnb44";
        assert_eq!(customer(json!({"id": given})), Some(json!({"id": given})));
        let named = customer(json!({"name": "Ada"})).unwrap();
        assert!(named["id"].as_str().unwrap().starts_with("cus_"));
        assert_eq!(customer(json!({})), None);
    }

    #[test]
    fn mistyped_or_oversized_details_are_refused_with_their_codes() {
        let cases = [
            (
                json!({"description": "x".repeat(101)}),
                "description_invalid",
            ),
            (json!({"customer": "ada"}), "customer_invalid"),
            (
                json!({"customer": {"id": "cus_short"}}),
                "customer_id_invalid",
            ),
            (
                json!({"customer": {"email": "not an address"}}),
                "customer_email_invalid",
            ),
            (
                json!({"customer": {"name": "x".repeat(256)}}),
                "customer_name_invalid",
            ),
            (
                json!({"billing_descriptor": {"name": "SHOP"}}),
                "billing_descriptor_city_required",
            ),
            (
                json!({"billing_descriptor": {"city": "LONDON"}}),
                "billing_descriptor_name_required",
            ),
            (
                json!({"billing_descriptor": {"name": "SHOP", "city": "FOURTEEN CHARS"}}),
                "billing_descriptor_city_invalid",
            ),
            (
                json!({"billing_descriptor": {"name": "x".repeat(26), "city": "LONDON"}}),
                "billing_descriptor_name_invalid",
            ),
            (
                json!({"billing_descriptor": {"name": "SHOP", "city": "LONDON", "reference": "x".repeat(51)}}),
                "billing_descriptor_reference_invalid",
            ),
            (
                json!({"shipping": {"address": {"country": "gb"}}}),
                "address_invalid",
            ),
            (
                json!({"shipping": {"address": {"zip": 12345}}}),
                "address_invalid",
            ),
            (
                json!({"shipping": {"phone": {"number": "12345"}}}),
                "phone_number_invalid",
            ),
            (
                json!({"shipping": {"phone": {"number": "123456", "country_code": "+12345678"}}}),
                "phone_country_code_invalid",
            ),
            (
                json!({"source": {"billing_address": {"address_line1": "x".repeat(201)}}}),
                "billing_address_invalid",
            ),
            (
                json!({"source": {"phone": "2079460022"}}),
                "phone_number_invalid",
            ),
            (json!({"payment_ip": "2001:db8::1"}), "payment_ip_invalid"),
            (json!({"payment_ip": 203}), "payment_ip_invalid"),
        ];
        for (extra, code) in cases {
            assert_eq!(codes(extra.clone()), [code], "{extra}");
        }
    }
}
