//! Stripe's JSON shapes for API version 2024-04-10: PaymentIntent, Charge, Refund,
//! PaymentMethod, Event and the card errors, as the published OpenAPI document describes them.
//! Expandable fields are ids unless the request expanded them.

use serde::Serialize;
use serde_json::{json, Map, Value};
use url::Url;

use super::errors::ApiError;
use super::model::{Charge, Intent, Object, PaymentError, PaymentMethod, Refund, Status};
use super::state::State;
use super::{cards, API_VERSION};

/// `expand[]` paths a PaymentIntent accepts. `latest_charge.balance_transaction` is accepted
/// and stays `null`: the simulator keeps no balance transactions.
pub(crate) const INTENT_EXPANSIONS: &[&str] = &[
    "latest_charge",
    "payment_method",
    "latest_charge.balance_transaction",
];
/// `expand[]` paths a Charge accepts.
pub(crate) const CHARGE_EXPANSIONS: &[&str] = &["payment_intent", "balance_transaction"];
/// `expand[]` paths a Refund accepts.
pub(crate) const REFUND_EXPANSIONS: &[&str] = &["charge", "payment_intent", "balance_transaction"];
/// `expand[]` paths the PaymentIntents list accepts: its objects' (`data.…`).
pub(crate) const LIST_INTENT_EXPANSIONS: &[&str] = &[
    "data.latest_charge",
    "data.payment_method",
    "data.latest_charge.balance_transaction",
];
/// `expand[]` paths the refunds list accepts.
pub(crate) const LIST_REFUND_EXPANSIONS: &[&str] = &[
    "data.charge",
    "data.payment_intent",
    "data.balance_transaction",
];

/// A list: `{object: "list", data, has_more, url}`.
pub(crate) fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": url,
    })
}

/// What the answer expands, and where the simulator lives (for 3D Secure URLs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) state: &'a State,
    pub(crate) base: &'a Url,
    pub(crate) expand: &'a [String],
}

impl View<'_> {
    /// Whether `path` is expanded, directly or as the parent of an expanded path
    /// (`latest_charge.balance_transaction` expands `latest_charge`).
    fn expands(&self, path: &str) -> bool {
        self.expand.iter().any(|p| {
            p.strip_prefix(path)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The same view without expansions (for nested objects).
    fn plain(&self) -> Self {
        View {
            expand: &[],
            ..*self
        }
    }
}

/// Moves `fields` into the object `body`. `json!` copies every `Value` it interpolates (through
/// serde), and those copies of nested objects were most of the simulator's rendering time.
fn with_fields<const N: usize>(mut body: Value, fields: [(&str, Value); N]) -> Value {
    if let Value::Object(map) = &mut body {
        for (name, value) in fields {
            map.insert(name.to_owned(), value);
        }
    }
    body
}

/// A PaymentIntent.
pub(crate) fn intent(view: View<'_>, intent: &Intent) -> Value {
    let latest_charge = match &intent.latest_charge {
        Some(id) if view.expands("latest_charge") => view
            .state
            .charges
            .get(id)
            .map_or_else(|| json!(id), |c| charge(view.plain(), c)),
        Some(id) => json!(id),
        None => Value::Null,
    };
    let payment_method = match &intent.payment_method {
        Some(id) if view.expands("payment_method") => view
            .state
            .payment_methods
            .get(id)
            .map_or_else(|| json!(id), payment_method),
        Some(id) => json!(id),
        None => Value::Null,
    };
    let next_action = if intent.status == Status::RequiresAction {
        let url = view
            .base
            .join(&format!("sim/stripe/3ds/{}", intent.id))
            .map(String::from)
            .unwrap_or_default();
        json!({
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url, "return_url": intent.return_url},
        })
    } else {
        Value::Null
    };
    let mut card_options = json!({
        "installments": null,
        "mandate_options": null,
        "network": null,
        "request_three_d_secure": "automatic",
    });
    if let Some(options) = card_options.as_object_mut() {
        options.extend(intent.card_options.clone());
    }
    let automatic_payment_methods = intent.automatic_payment_methods.as_ref().map_or(
        Value::Null,
        |(enabled, redirects)| json!({"enabled": enabled, "allow_redirects": redirects}),
    );
    let last_payment_error = intent
        .last_payment_error
        .as_ref()
        .map_or(Value::Null, |e| payment_error(view.state, e).object());
    let body = json!({
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount_capturable,
        "amount_details": {"tip": {}},
        "amount_received": intent.amount_received,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": intent.canceled_at,
        "cancellation_reason": intent.cancellation_reason,
        "capture_method": intent.capture_method.as_str(),
        "client_secret": intent.client_secret,
        "confirmation_method": intent.confirmation_method,
        "created": intent.created,
        "currency": intent.currency,
        "customer": null,
        "description": intent.description,
        "invoice": null,
        "livemode": false,
        "on_behalf_of": null,
        "payment_method_configuration_details": null,
        "payment_method_types": intent.payment_method_types,
        "processing": null,
        "receipt_email": intent.receipt_email,
        "review": null,
        "setup_future_usage": intent.setup_future_usage,
        "statement_descriptor": intent.statement_descriptor,
        "statement_descriptor_suffix": intent.statement_descriptor_suffix,
        "status": intent.status.as_str(),
        "transfer_data": null,
        "transfer_group": null,
    });
    with_fields(
        body,
        [
            ("last_payment_error", last_payment_error),
            ("latest_charge", latest_charge),
            ("metadata", Value::Object(intent.metadata.clone())),
            ("next_action", next_action),
            ("payment_method", payment_method),
            (
                "payment_method_options",
                with_fields(json!({}), [("card", card_options)]),
            ),
            ("shipping", shipping(intent.shipping.as_ref())),
        ],
    )
}

/// A card error (`last_payment_error`, or the body of a 402) with its charge and the
/// PaymentMethod object.
pub(crate) fn payment_error(state: &State, error: &PaymentError) -> ApiError {
    let mut api = ApiError::declined(&error.decline);
    if let Some(charge) = &error.charge {
        api = api.with("charge", json!(charge));
    }
    if let Some(pm) = error
        .payment_method
        .as_ref()
        .and_then(|id| state.payment_methods.get(id))
    {
        api = api
            .with("payment_method", payment_method(pm))
            .with("payment_method_type", json!("card"));
    }
    api
}

/// `names` of `from`, each `null` when not given: the document's nullable fields are always
/// present.
fn fields(from: Option<&Map<String, Value>>, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .map(|&name| {
            let value = from.and_then(|m| m.get(name)).cloned();
            (name.to_owned(), value.unwrap_or(Value::Null))
        })
        .collect()
}

/// The `address` schema: six nullable fields.
fn address(given: Option<&Value>) -> Value {
    Value::Object(fields(
        given.and_then(Value::as_object),
        &["city", "country", "line1", "line2", "postal_code", "state"],
    ))
}

fn billing_details(given: &Map<String, Value>) -> Value {
    let mut details = fields(Some(given), &["email", "name", "phone"]);
    details.insert("address".to_owned(), address(given.get("address")));
    Value::Object(details)
}

/// The `shipping` schema (`null` when none was given): `name` and `address` as given (both
/// required on input), `carrier`, `phone` and `tracking_number` `null` unless given.
fn shipping(given: Option<&Map<String, Value>>) -> Value {
    let Some(given) = given else {
        return Value::Null;
    };
    let mut out = fields(
        Some(given),
        &["carrier", "name", "phone", "tracking_number"],
    );
    out.insert("address".to_owned(), address(given.get("address")));
    Value::Object(out)
}

/// A PaymentMethod of type `card`.
pub(crate) fn payment_method(pm: &PaymentMethod) -> Value {
    let card = &pm.card;
    let brand = cards::brand(card.network);
    let body = json!({
        "id": pm.id,
        "object": "payment_method",
        "allow_redisplay": pm.allow_redisplay,
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": null,
                "address_postal_code_check": null,
                "cvc_check": card.cvc_check,
            },
            "country": "US",
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": card.fingerprint,
            "funding": card.profile.funding,
            "generated_from": null,
            "last4": card.last4,
            "networks": {"available": [brand], "preferred": null},
            "three_d_secure_usage": {"supported": card.profile.supports_3ds},
            "wallet": pm.wallet.map(|kind| wallet(kind, &card.last4)),
        },
        "created": pm.created,
        "customer": null,
        "livemode": false,
        "type": "card",
    });
    with_fields(
        body,
        [
            ("billing_details", billing_details(&pm.billing_details)),
            ("metadata", Value::Object(pm.metadata.clone())),
        ],
    )
}

/// `card.wallet` of a PaymentMethod or a Charge paid with one made from a wallet's token
/// (`apple_pay`): its type, an empty object of that name, and the device's last four digits
/// (the card's: the test tokens hold one number \[U\]).
fn wallet(kind: &str, last4: &str) -> Value {
    let mut wallet = json!({"type": kind, "dynamic_last4": last4});
    wallet[kind] = json!({});
    wallet
}

fn available(on: bool) -> &'static str {
    if on {
        "available"
    } else {
        "unavailable"
    }
}

/// A Charge.
pub(crate) fn charge(view: View<'_>, charge: &Charge) -> Value {
    let card = &charge.card;
    let brand = cards::brand(card.network);
    let failed = charge.decline.is_some();
    let outcome = match &charge.decline {
        Some(decline) => json!({
            "network_status": if decline.outcome_type == "blocked" { "not_sent_to_network" } else { "declined_by_network" },
            "reason": decline.decline_code,
            "risk_level": if decline.outcome_type == "blocked" { "highest" } else { "normal" },
            "risk_score": if decline.outcome_type == "blocked" { 95 } else { 20 },
            "seller_message": decline.seller_message,
            "type": decline.outcome_type,
        }),
        None => json!({
            "network_status": "approved_by_network",
            "reason": null,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }),
    };
    let features = charge.features;
    let overcapture_max = if features.overcapture {
        super::model::overcapture_limit(charge.amount)
    } else {
        charge.amount
    };
    let card_details = json!({
        "amount_authorized": if failed { Value::Null } else { json!(charge.amount) },
        "brand": brand,
        "checks": {
            "address_line1_check": null,
            "address_postal_code_check": null,
            "cvc_check": card.cvc_check,
        },
        "country": "US",
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "extended_authorization": {"status": if features.extended { "enabled" } else { "disabled" }},
        "fingerprint": card.fingerprint,
        "funding": card.profile.funding,
        "incremental_authorization": {"status": available(features.incremental)},
        "installments": null,
        "last4": card.last4,
        "mandate": null,
        "multicapture": {"status": available(features.multicapture)},
        "network": brand,
        "network_token": {"used": false},
        "overcapture": {
            "maximum_amount_capturable": overcapture_max,
            "status": available(features.overcapture),
        },
        "wallet": view
            .state
            .payment_methods
            .get(&charge.payment_method)
            .and_then(|pm| pm.wallet)
            .map(|kind| wallet(kind, &card.last4)),
    });
    let three_d_secure = match &charge.three_d_secure {
        Some(details) => json!({
            "authentication_flow": details.authentication_flow,
            "electronic_commerce_indicator": details.electronic_commerce_indicator,
            "exemption_indicator": null,
            "result": details.result,
            "result_reason": null,
            "transaction_id": details.transaction_id,
            "version": details.version,
        }),
        None => Value::Null,
    };
    let mut card_details = with_fields(card_details, [("three_d_secure", three_d_secure)]);
    if let (Some(before), Some(details)) = (charge.capture_before, card_details.as_object_mut()) {
        details.insert("capture_before".into(), json!(before));
    }
    let payment_intent = if view.expands("payment_intent") {
        view.state
            .intents
            .get(&charge.payment_intent)
            .map_or_else(|| json!(charge.payment_intent), |i| intent(view.plain(), i))
    } else {
        json!(charge.payment_intent)
    };
    let amount_refunded = charge.amount_refunded();
    let mut body = json!({
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": amount_refunded,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "calculated_statement_descriptor": if failed { Value::Null } else { json!("PAYBRIDGE SIM") },
        "captured": charge.captured,
        "created": charge.created,
        "currency": charge.currency,
        "customer": null,
        "description": charge.description,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": charge.decline.map(|d| d.code),
        "failure_message": charge.decline.map(|d| d.message),
        "fraud_details": {},
        "invoice": null,
        "livemode": false,
    });
    // Two halves: one `json!` of every field exceeds the macro's recursion limit.
    let rest = json!({
        "on_behalf_of": null,
        "paid": !failed,
        "payment_method": charge.payment_method,
        "radar_options": {},
        "receipt_email": charge.receipt_email,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": !failed && amount_refunded >= charge.amount,
        "review": null,
        "source_transfer": null,
        "statement_descriptor": charge.statement_descriptor,
        "statement_descriptor_suffix": charge.statement_descriptor_suffix,
        "status": if failed { "failed" } else { "succeeded" },
        "transfer_data": null,
        "transfer_group": null,
    });
    if let (Some(fields), Value::Object(rest)) = (body.as_object_mut(), rest) {
        fields.extend(rest);
    }
    let payment_method_details = with_fields(json!({"type": "card"}), [("card", card_details)]);
    with_fields(
        body,
        [
            ("billing_details", billing_details(&charge.billing_details)),
            ("metadata", Value::Object(charge.metadata.clone())),
            ("outcome", outcome),
            ("payment_intent", payment_intent),
            ("payment_method_details", payment_method_details),
            ("shipping", shipping(charge.shipping.as_ref())),
        ],
    )
}

/// A Refund.
pub(crate) fn refund(view: View<'_>, refund: &Refund) -> Value {
    let charge = if view.expands("charge") {
        view.state
            .charges
            .get(&refund.charge)
            .map_or_else(|| json!(refund.charge), |c| charge(view.plain(), c))
    } else {
        json!(refund.charge)
    };
    let payment_intent = if view.expands("payment_intent") {
        view.state
            .intents
            .get(&refund.payment_intent)
            .map_or_else(|| json!(refund.payment_intent), |i| intent(view.plain(), i))
    } else {
        json!(refund.payment_intent)
    };
    let reference_status = match refund.status {
        super::model::RefundStatus::Succeeded => "available",
        _ => "pending",
    };
    let body = json!({
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": null,
        "created": refund.created,
        "currency": refund.currency,
        "destination_details": {
            "card": {
                "reference_status": reference_status,
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "reason": refund.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": refund.status.as_str(),
        "transfer_reversal": null,
    });
    let mut body = with_fields(
        body,
        [
            ("charge", charge),
            ("metadata", Value::Object(refund.metadata.clone())),
            ("payment_intent", payment_intent),
        ],
    );
    if let Some(fields) = body.as_object_mut() {
        if let Some(reason) = refund.failure_reason {
            fields.insert("failure_reason".into(), json!(reason));
        }
        if let Some(email) = &refund.instructions_email {
            fields.insert("instructions_email".into(), json!(email));
        }
    }
    body
}

/// The object an event carries, as it is now.
pub(crate) fn object(view: View<'_>, object: &Object) -> Value {
    let state = view.state;
    match object {
        Object::Intent(id) => state.intents.get(id).map(|i| intent(view, i)),
        Object::Charge(id) => state.charges.get(id).map(|c| charge(view, c)),
        Object::Refund(id) => state.refunds.get(id).map(|r| refund(view, r)),
    }
    .unwrap_or(Value::Null)
}

/// Where an event came from: the API request (`id`, `Idempotency-Key`) or nothing for the
/// simulator's own changes (the customer's 3D Secure page, a refund failing later).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Origin {
    #[serde(rename = "id")]
    pub(crate) request_id: Option<String>,
    pub(crate) idempotency_key: Option<String>,
}

/// An Event, rendered straight to text: the object it carries is borrowed, not copied.
#[derive(Debug, Serialize)]
pub(crate) struct EventBody<'a> {
    api_version: &'static str,
    created: i64,
    data: EventData<'a>,
    id: &'a str,
    livemode: bool,
    object: &'static str,
    pending_webhooks: u32,
    request: &'a Origin,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// An Event's `data`.
#[derive(Debug, Serialize)]
struct EventData<'a> {
    object: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_attributes: Option<&'a Value>,
}

impl<'a> EventBody<'a> {
    /// Event `id` of type `kind`, carrying `object` (and, for `*.updated`, the `previous`
    /// values of the fields that changed).
    pub(crate) fn new(
        id: &'a str,
        kind: &'a str,
        created: i64,
        object: &'a Value,
        previous: Option<&'a Value>,
        origin: &'a Origin,
    ) -> Self {
        EventBody {
            api_version: API_VERSION,
            created,
            data: EventData {
                object,
                previous_attributes: previous,
            },
            id,
            livemode: false,
            object: "event",
            pending_webhooks: 1,
            request: origin,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::stripe::params::{parse, CREATE_INTENT, CREATE_PAYMENT_METHOD};
    use crate::stripe::requests;
    use time::OffsetDateTime;

    /// A manual card payment with every detail, rendered with its charge expanded.
    #[test]
    fn payment_details_are_answered_where_the_objects_carry_them() {
        let now = OffsetDateTime::now_utc();
        let mut state = State::default();
        let method = parse(
            b"type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2040\
              &billing_details[name]=Billie&billing_details[email]=b%40example.com\
              &billing_details[phone]=%2B442079460022&billing_details[address][line1]=1+Lane\
              &billing_details[address][country]=GB",
            CREATE_PAYMENT_METHOD,
        )
        .unwrap();
        let pm = state
            .create_payment_method(requests::new_payment_method(&method).unwrap(), now)
            .unwrap();
        let body = format!(
            "amount=1000&currency=usd&confirm=true&capture_method=manual&payment_method={pm}\
             &payment_method_types[]=card&description=Order+77&receipt_email=a%40example.com\
             &shipping[name]=Shippa&shipping[phone]=%2B442079460033\
             &shipping[address][line1]=2+Row&shipping[address][postal_code]=NW1\
             &statement_descriptor_suffix=ORDER+77"
        );
        let params = parse(body.as_bytes(), CREATE_INTENT).unwrap();
        let (id, _) = state
            .create_intent(requests::new_intent(&params).unwrap(), now)
            .unwrap();
        let base = Url::parse("http://sim.test/").unwrap();
        let expand = ["latest_charge".to_owned()];
        let view = View {
            state: &state,
            base: &base,
            expand: &expand,
        };
        let answer = intent(view, &state.intents[&id]);
        let shipping = json!({
            "name": "Shippa", "phone": "+442079460033", "carrier": null, "tracking_number": null,
            "address": {"line1": "2 Row", "line2": null, "city": null, "state": null,
                        "postal_code": "NW1", "country": null},
        });
        assert_eq!(answer["status"], "requires_capture");
        assert_eq!(answer["shipping"], shipping);
        assert_eq!(answer["receipt_email"], "a@example.com");
        assert_eq!(answer["description"], "Order 77");
        assert_eq!(answer["statement_descriptor"], Value::Null);
        assert_eq!(answer["statement_descriptor_suffix"], "ORDER 77");
        let charge = &answer["latest_charge"];
        assert_eq!(charge["shipping"], shipping);
        assert_eq!(charge["receipt_email"], "a@example.com");
        assert_eq!(charge["statement_descriptor_suffix"], "ORDER 77");
        let billing = json!({
            "name": "Billie", "email": "b@example.com", "phone": "+442079460022",
            "address": {"line1": "1 Lane", "line2": null, "city": null, "state": null,
                        "postal_code": null, "country": "GB"},
        });
        assert_eq!(charge["billing_details"], billing);
        assert_eq!(
            payment_method(&state.payment_methods[&pm])["billing_details"],
            billing
        );
        // Without details: nulls, as the document's nullable fields.
        let params = parse(b"amount=1000&currency=usd", CREATE_INTENT).unwrap();
        let (bare, _) = state
            .create_intent(requests::new_intent(&params).unwrap(), now)
            .unwrap();
        let view = View {
            state: &state,
            base: &base,
            expand: &[],
        };
        let answer = intent(view, &state.intents[&bare]);
        assert_eq!(answer["shipping"], Value::Null);
        assert_eq!(answer["receipt_email"], Value::Null);
    }
}
