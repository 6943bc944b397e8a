//! Checkout.com's wire shapes: request validation (with Checkout's `error_codes`) and the JSON
//! bodies of answers and webhooks, as the published OpenAPI document describes them.

use paybridge_core::money::Currency;
use paybridge_core::payment_method::{luhn_valid, CardNetwork};
use paybridge_core::webhook::hmac_sha256;
use serde_json::{json, Map, Value};
use time::{Date, OffsetDateTime};
use url::Url;

use super::cards;
use super::ids;
use super::state::{
    Action, ActionFields, AuthorizationType, Balances, Card, Event, NewPayment, Payment, MAX_AMOUNT,
};

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
///   `source_type_invalid` (not `card`: the simulator takes card sources only) \[U\];
/// - `card_number_required` / `card_number_invalid` (non-digits, length outside 12–19, Luhn);
/// - `card_expiry_month_required` / `card_expiry_month_invalid` (not 1–12),
///   `card_expiry_year_required` / `card_expiry_year_invalid` (not four digits), `card_expired`
///   (before the current month, UTC) \[U: Checkout's exact codes for expiry\];
/// - `cvv_invalid` (not 3–4 digits), `capture_invalid`, `authorization_type_invalid`,
///   `reference_invalid` (over 50), `payment_type_invalid`, `3ds_invalid`,
///   `success_url_invalid` / `failure_url_invalid`, `metadata_invalid` (not a flat object) \[U\].
///
/// Unknown fields are ignored. `capture_on` is ignored (no scheduled captures) \[U\].
pub(crate) fn payment_request(
    fields: &Map<String, Value>,
    processing_channel_id: &str,
    today: Date,
) -> Result<NewPayment, Vec<&'static str>> {
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
    let card = card_source(fields.get("source"), today, &mut codes);
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
    let three_ds = codes
        .check(
            match fields.get("3ds") {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Object(o)) => match o.get("enabled") {
                    None | Some(Value::Null) => Ok(false),
                    Some(Value::Bool(b)) => Ok(*b),
                    Some(_) => Err(()),
                },
                Some(_) => Err(()),
            },
            "3ds_invalid",
        )
        .unwrap_or(false);
    let success_url = codes
        .check(redirect_url(fields, "success_url"), "success_url_invalid")
        .flatten();
    let failure_url = codes
        .check(redirect_url(fields, "failure_url"), "failure_url_invalid")
        .flatten();
    let common = action_fields(fields, &mut codes);

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
                success_url,
                failure_url,
                card,
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
    let (number, expiry_month, expiry_year) = (number?, month?, year?);
    Some(Card {
        source_id: ids::new("src"),
        bin: number[..6].to_owned(),
        last4: number[number.len() - 4..].to_owned(),
        expiry_month,
        expiry_year,
        network: CardNetwork::detect(number),
        fingerprint: fingerprint(number),
        name,
        decline: cards::decline_for(number),
    })
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
    source
}

/// Checkout's spelling of a card scheme.
fn scheme(network: CardNetwork) -> &'static str {
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
    body
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
