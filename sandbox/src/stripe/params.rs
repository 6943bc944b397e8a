//! The parameters each endpoint accepts, declared as data, and the reader that checks a decoded
//! [`Form`] against them and turns it into typed JSON (integers, booleans, arrays, hashes).
//!
//! Errors name the parameter in bracket notation, with Stripe's codes where Stripe has one:
//!
//! | problem | code | message |
//! |---|---|---|
//! | unknown name | `parameter_unknown` | `Received unknown parameter: a[b]` |
//! | required and absent | `parameter_missing` | `Missing required param: amount.` |
//! | required and empty | `parameter_invalid_empty` | `You passed an empty string for 'amount'. ...` |
//! | not an integer | `parameter_invalid_integer` | `Invalid integer: 10.5` |
//! | not `true`/`false` | — | `Invalid boolean: yes` |
//! | not in the enum | — | `Invalid capture_method: must be one of automatic, automatic_async, or manual` |
//! | a value where a hash/array belongs (or the reverse) | — | `Invalid object` / `Invalid array` / `Invalid string: ...` |
//! | too long | — | `Invalid string: ...; must be at most 1000 characters` |
//!
//! Stripe answers invalid enum values and shapes without a `code` \[U: as far as observed\].
//! A parameter Stripe has but the simulator does not simulate (Connect, customers, mandates)
//! is refused with a 400 that says so rather than silently ignored.
//!
//! An empty value unsets an optional parameter (Stripe's convention), so it reads as absent;
//! in `metadata` an empty value is kept, meaning "remove this key" on updates.

use serde_json::{Map, Value};

use super::errors::ApiError;
use super::form::{unknown, Form, Node};

/// What a parameter holds.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A string of at most this many characters.
    Text(usize),
    /// A signed 64-bit integer.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A hash with these parameters.
    Hash(&'static [Field]),
    /// Flat string → string pairs (`metadata[key]=value`): at most 50 keys of at most 40
    /// characters, values of at most 500.
    Metadata,
    /// An array of items of this kind (`name[]=` or `name[0]=`).
    List(&'static Kind),
    /// A filter on a timestamp: an integer (that moment exactly) or a hash of `gt`, `gte`,
    /// `lt`, `lte` integers (`created[gte]=1712000000`).
    Range,
    /// Anything: accepted and not interpreted by the simulator (e.g. `radar_options`).
    Opaque,
    /// A Stripe parameter the simulator does not simulate: refused with a 400.
    Unsupported,
}

/// One parameter of a hash.
#[derive(Debug)]
pub(crate) struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

/// An optional parameter.
pub(crate) const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// A required parameter.
pub(crate) const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

/// Strings Stripe limits to 5000 characters.
const STRING: Kind = Kind::Text(5000);
const IF_AVAILABLE: Kind = Kind::Enum(&["if_available", "never"]);
const EXPAND: Field = opt("expand", Kind::List(&STRING));
const METADATA: Field = opt("metadata", Kind::Metadata);
const DESCRIPTION: Field = opt("description", Kind::Text(1000));
const STATEMENT_DESCRIPTOR: Field = opt("statement_descriptor", Kind::Text(22));
const STATEMENT_DESCRIPTOR_SUFFIX: Field = opt("statement_descriptor_suffix", Kind::Text(22));

const ADDRESS: &[Field] = &[
    opt("city", STRING),
    opt("country", STRING),
    opt("line1", STRING),
    opt("line2", STRING),
    opt("postal_code", STRING),
    opt("state", STRING),
];

/// `payment_method_data[card]`: raw card data (Stripe enables it per account; the published
/// document leaves it out).
const CARD_DATA: &[Field] = &[
    req("number", STRING),
    req("exp_month", Kind::Integer),
    req("exp_year", Kind::Integer),
    opt("cvc", STRING),
    opt("networks", Kind::Opaque),
];

/// A PaymentIntent's `shipping` (`optional_fields_shipping`): `name` and `address` required.
const SHIPPING: Kind = Kind::Hash(&[
    req("address", Kind::Hash(ADDRESS)),
    opt("carrier", STRING),
    req("name", STRING),
    opt("phone", STRING),
    opt("tracking_number", STRING),
]);

/// `billing_details` of a PaymentMethod.
const BILLING_DETAILS: Kind = Kind::Hash(&[
    opt("address", Kind::Hash(ADDRESS)),
    opt("email", STRING),
    opt("name", STRING),
    opt("phone", STRING),
]);

const ALLOW_REDISPLAY: Kind = Kind::Enum(&["always", "limited", "unspecified"]);

/// `payment_method_data`: card PaymentMethods only.
const PAYMENT_METHOD_DATA: &[Field] = &[
    req("type", Kind::Enum(&["card"])),
    opt("card", Kind::Hash(CARD_DATA)),
    opt("billing_details", BILLING_DETAILS),
    METADATA,
    opt("allow_redisplay", ALLOW_REDISPLAY),
    opt("radar_options", Kind::Opaque),
];

/// `card` of `POST /v1/payment_methods`: card data (`card_details_params`: `number`,
/// `exp_month` and `exp_year` required) or a card token (`token_params`), checked by
/// `requests::new_payment_method`.
const PAYMENT_METHOD_CARD: &[Field] = &[
    opt("number", STRING),
    opt("exp_month", Kind::Integer),
    opt("exp_year", Kind::Integer),
    opt("cvc", STRING),
    opt("networks", Kind::Opaque),
    opt("token", STRING),
];

/// `POST /v1/payment_methods`: card PaymentMethods from raw card data or a card token only
/// (Stripe's other types, and Connect's cloning of a customer's PaymentMethod, are not
/// simulated).
pub(crate) const CREATE_PAYMENT_METHOD: Spec = &[&[
    req("type", Kind::Enum(&["card"])),
    opt("card", Kind::Hash(PAYMENT_METHOD_CARD)),
    opt("billing_details", BILLING_DETAILS),
    METADATA,
    opt("allow_redisplay", ALLOW_REDISPLAY),
    EXPAND,
    opt("radar_options", Kind::Opaque),
    opt("customer", Kind::Unsupported),
    opt("payment_method", Kind::Unsupported),
]];

/// `card` of `POST /v1/tokens` (`credit_card_specs`): card data, or with `pk_token` the
/// billing contact only; checked by `requests::new_token`.
const TOKEN_CARD: &[Field] = &[
    opt("address_city", STRING),
    opt("address_country", STRING),
    opt("address_line1", STRING),
    opt("address_line2", STRING),
    opt("address_state", STRING),
    opt("address_zip", STRING),
    opt("currency", STRING),
    opt("cvc", STRING),
    opt("exp_month", Kind::Integer),
    opt("exp_year", Kind::Integer),
    opt("name", STRING),
    opt("networks", Kind::Opaque),
    opt("number", STRING),
];

/// `POST /v1/tokens`: card tokens, from Apple Pay's `pk_token` (and its three companions, sent
/// by Stripe's iOS SDK, not in the published document) or from card data. Stripe's other
/// tokens (bank accounts, PII, accounts, persons, CVC updates) are not simulated.
pub(crate) const CREATE_TOKEN: Spec = &[&[
    // \[U\]: Stripe's limit; a real `paymentData` is a few kilobytes.
    opt("pk_token", Kind::Text(32 * 1024)),
    opt("pk_token_instrument_name", STRING),
    opt("pk_token_payment_network", STRING),
    opt("pk_token_transaction_id", STRING),
    opt("card", Kind::Hash(TOKEN_CARD)),
    EXPAND,
    opt("account", Kind::Unsupported),
    opt("bank_account", Kind::Unsupported),
    opt("customer", Kind::Unsupported),
    opt("cvc_update", Kind::Unsupported),
    opt("person", Kind::Unsupported),
    opt("pii", Kind::Unsupported),
]];

/// `payment_method_options[card]`.
const CARD_OPTIONS: &[Field] = &[
    opt("capture_method", Kind::Enum(&["manual"])),
    opt("cvc_token", STRING),
    opt("installments", Kind::Opaque),
    opt("mandate_options", Kind::Opaque),
    opt(
        "network",
        Kind::Enum(&[
            "amex",
            "cartes_bancaires",
            "diners",
            "discover",
            "eftpos_au",
            "interac",
            "jcb",
            "mastercard",
            "unionpay",
            "unknown",
            "visa",
        ]),
    ),
    opt("request_extended_authorization", IF_AVAILABLE),
    opt("request_incremental_authorization", IF_AVAILABLE),
    opt("request_multicapture", IF_AVAILABLE),
    opt("request_overcapture", IF_AVAILABLE),
    opt(
        "request_three_d_secure",
        Kind::Enum(&["any", "automatic", "challenge"]),
    ),
    opt("require_cvc_recollection", Kind::Boolean),
    opt(
        "setup_future_usage",
        Kind::Enum(&["none", "off_session", "on_session"]),
    ),
    opt("statement_descriptor_suffix_kana", Kind::Text(22)),
    opt("statement_descriptor_suffix_kanji", Kind::Text(17)),
    opt("three_d_secure", Kind::Hash(THREE_D_SECURE)),
];

/// `payment_method_options[card][three_d_secure]`: a 3DS result obtained outside Stripe
/// ("Import 3D Secure results"), with the fields, enums, limits and required list of the
/// 2024-04-10 document. `version` and `electronic_commerce_indicator` carry
/// `x-stripeBypassValidation` there (Stripe may take values its enum lacks; later API versions
/// list `2.3.0` and `2.3.1`): the simulator holds to the pinned version's enums \[U\]. The
/// checks beyond a parameter's type are `requests::three_d_secure`'s.
const THREE_D_SECURE: &[Field] = &[
    opt(
        "ares_trans_status",
        Kind::Enum(&["A", "C", "I", "N", "R", "U", "Y"]),
    ),
    req("cryptogram", STRING),
    opt(
        "electronic_commerce_indicator",
        Kind::Enum(&["01", "02", "05", "06", "07"]),
    ),
    opt("exemption_indicator", Kind::Enum(&["low_risk", "none"])),
    opt(
        "network_options",
        Kind::Hash(&[opt(
            "cartes_bancaires",
            Kind::Hash(&[
                req("cb_avalgo", Kind::Enum(&["0", "1", "2", "3", "4", "A"])),
                opt("cb_exemption", Kind::Text(4)),
                opt("cb_score", Kind::Integer),
            ]),
        )]),
    ),
    opt("requestor_challenge_indicator", Kind::Text(2)),
    req("transaction_id", STRING),
    req("version", Kind::Enum(&["1.0.2", "2.1.0", "2.2.0"])),
];

const PAYMENT_METHOD_OPTIONS: Field = opt(
    "payment_method_options",
    Kind::Hash(&[opt("card", Kind::Hash(CARD_OPTIONS))]),
);

/// The confirmation parameters shared by create (with `confirm=true`) and confirm.
const CONFIRMATION: &[Field] = &[
    opt(
        "capture_method",
        Kind::Enum(&["automatic", "automatic_async", "manual"]),
    ),
    opt("error_on_requires_action", Kind::Boolean),
    EXPAND,
    opt("mandate", Kind::Unsupported),
    opt("mandate_data", Kind::Opaque),
    opt(
        "off_session",
        Kind::Enum(&["true", "false", "one_off", "recurring"]),
    ),
    opt("payment_method", STRING),
    opt("payment_method_data", Kind::Hash(PAYMENT_METHOD_DATA)),
    PAYMENT_METHOD_OPTIONS,
    opt("payment_method_types", Kind::List(&STRING)),
    opt("radar_options", Kind::Opaque),
    opt("receipt_email", STRING),
    opt("return_url", STRING),
    opt(
        "setup_future_usage",
        Kind::Enum(&["off_session", "on_session"]),
    ),
    opt("shipping", SHIPPING),
    opt("use_stripe_sdk", Kind::Boolean),
    opt("confirmation_token", Kind::Unsupported),
];

/// An endpoint's parameters: one or more tables of fields.
pub(crate) type Spec = &'static [&'static [Field]];

/// `POST /v1/payment_intents`.
pub(crate) const CREATE_INTENT: Spec = &[
    CONFIRMATION,
    &[
        req("amount", Kind::Integer),
        req("currency", STRING),
        opt("confirm", Kind::Boolean),
        opt("confirmation_method", Kind::Enum(&["automatic", "manual"])),
        opt(
            "automatic_payment_methods",
            Kind::Hash(&[
                req("enabled", Kind::Boolean),
                opt("allow_redirects", Kind::Enum(&["always", "never"])),
            ]),
        ),
        DESCRIPTION,
        METADATA,
        STATEMENT_DESCRIPTOR,
        STATEMENT_DESCRIPTOR_SUFFIX,
        opt("application_fee_amount", Kind::Unsupported),
        opt("customer", Kind::Unsupported),
        opt("on_behalf_of", Kind::Unsupported),
        opt("payment_method_configuration", Kind::Unsupported),
        opt("transfer_data", Kind::Unsupported),
        opt("transfer_group", Kind::Unsupported),
    ],
];

/// `POST /v1/payment_intents/{id}/confirm`.
pub(crate) const CONFIRM_INTENT: Spec = &[CONFIRMATION, &[opt("client_secret", STRING)]];

/// `POST /v1/payment_intents/{id}`: the simulator updates these; Stripe's other update
/// parameters are refused as unsupported.
pub(crate) const UPDATE_INTENT: Spec = &[&[
    opt("amount", Kind::Integer),
    DESCRIPTION,
    EXPAND,
    METADATA,
    opt("receipt_email", STRING),
    STATEMENT_DESCRIPTOR,
    STATEMENT_DESCRIPTOR_SUFFIX,
    opt("application_fee_amount", Kind::Unsupported),
    opt("capture_method", Kind::Unsupported),
    opt("currency", Kind::Unsupported),
    opt("customer", Kind::Unsupported),
    opt("payment_method", Kind::Unsupported),
    opt("payment_method_configuration", Kind::Unsupported),
    opt("payment_method_data", Kind::Unsupported),
    opt("payment_method_options", Kind::Unsupported),
    opt("payment_method_types", Kind::Unsupported),
    opt("setup_future_usage", Kind::Unsupported),
    opt("shipping", Kind::Unsupported),
    opt("transfer_data", Kind::Unsupported),
    opt("transfer_group", Kind::Unsupported),
]];

/// `POST /v1/payment_intents/{id}/capture`.
pub(crate) const CAPTURE_INTENT: Spec = &[&[
    opt("amount_to_capture", Kind::Integer),
    EXPAND,
    opt("final_capture", Kind::Boolean),
    METADATA,
    STATEMENT_DESCRIPTOR,
    STATEMENT_DESCRIPTOR_SUFFIX,
    opt("application_fee_amount", Kind::Unsupported),
    opt("transfer_data", Kind::Unsupported),
]];

/// `POST /v1/payment_intents/{id}/cancel`.
pub(crate) const CANCEL_INTENT: Spec = &[&[
    opt(
        "cancellation_reason",
        Kind::Enum(&[
            "abandoned",
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ]),
    ),
    EXPAND,
]];

/// `POST /v1/payment_intents/{id}/increment_authorization`.
pub(crate) const INCREMENT_INTENT: Spec = &[&[
    req("amount", Kind::Integer),
    DESCRIPTION,
    EXPAND,
    METADATA,
    STATEMENT_DESCRIPTOR,
    opt("application_fee_amount", Kind::Unsupported),
    opt("transfer_data", Kind::Unsupported),
]];

/// `POST /v1/refunds`.
pub(crate) const CREATE_REFUND: Spec = &[&[
    opt("amount", Kind::Integer),
    opt("charge", STRING),
    opt("currency", STRING),
    EXPAND,
    opt("instructions_email", STRING),
    METADATA,
    opt("payment_intent", STRING),
    opt(
        "reason",
        Kind::Enum(&["duplicate", "fraudulent", "requested_by_customer"]),
    ),
    opt("refund_application_fee", Kind::Boolean),
    opt("reverse_transfer", Kind::Boolean),
    opt("customer", Kind::Unsupported),
    opt("origin", Kind::Unsupported),
]];

/// `created[...]` of a list.
const RANGE: &[Field] = &[
    opt("gt", Kind::Integer),
    opt("gte", Kind::Integer),
    opt("lt", Kind::Integer),
    opt("lte", Kind::Integer),
];

/// The parameters every list takes.
const LIST: &[Field] = &[
    opt("created", Kind::Range),
    opt("ending_before", STRING),
    EXPAND,
    opt("limit", Kind::Integer),
    opt("starting_after", STRING),
];

/// `GET /v1/payment_intents` query.
pub(crate) const LIST_INTENTS: Spec = &[LIST, &[opt("customer", Kind::Unsupported)]];

/// `GET /v1/refunds` query.
pub(crate) const LIST_REFUNDS: Spec = &[
    LIST,
    &[opt("charge", STRING), opt("payment_intent", STRING)],
];

/// `GET /v1/payment_intents/{id}` query.
pub(crate) const RETRIEVE_INTENT: Spec = &[&[EXPAND, opt("client_secret", STRING)]];

/// Query of the other retrievals.
pub(crate) const RETRIEVE: Spec = &[&[EXPAND]];

/// Checked, typed parameters: a JSON object with integers, booleans, arrays and hashes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params(Value);

impl Params {
    /// The value at a JSON pointer, e.g. `/payment_method_options/card/request_three_d_secure`.
    pub(crate) fn get(&self, pointer: &str) -> Option<&Value> {
        self.0.pointer(pointer)
    }

    /// A string parameter.
    pub(crate) fn str(&self, pointer: &str) -> Option<&str> {
        self.get(pointer).and_then(Value::as_str)
    }

    /// An integer parameter.
    pub(crate) fn int(&self, pointer: &str) -> Option<i64> {
        self.get(pointer).and_then(Value::as_i64)
    }

    /// A boolean parameter.
    pub(crate) fn bool(&self, pointer: &str) -> Option<bool> {
        self.get(pointer).and_then(Value::as_bool)
    }

    /// A hash parameter (e.g. `metadata`).
    pub(crate) fn hash(&self, pointer: &str) -> Option<&Map<String, Value>> {
        self.get(pointer).and_then(Value::as_object)
    }

    /// An array of strings (e.g. `expand`); empty when absent.
    pub(crate) fn strings(&self, pointer: &str) -> Vec<String> {
        self.get(pointer)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the parameter was given (and not unset with an empty value).
    pub(crate) fn has(&self, pointer: &str) -> bool {
        self.get(pointer).is_some()
    }
}

/// Checks `form` against `spec` and types it.
pub(crate) fn read(form: &Form, spec: Spec) -> Result<Params, ApiError> {
    let fields = || spec.iter().flat_map(|group| group.iter());
    if let Some(name) = form.keys().find(|name| !fields().any(|f| f.name == *name)) {
        return Err(unknown(name));
    }
    let mut out = Map::new();
    for field in fields() {
        if let Some(value) = read_field(form.get(field.name), field, field.name)? {
            out.insert(field.name.to_owned(), value);
        }
    }
    Ok(Params(Value::Object(out)))
}

/// Reads the decoded body or query string `input` against `spec`.
pub(crate) fn parse(input: &[u8], spec: Spec) -> Result<Params, ApiError> {
    read(&super::form::decode(input)?, spec)
}

/// One field: `None` when absent (or unset with an empty value).
fn read_field(node: Option<&Node>, field: &Field, param: &str) -> Result<Option<Value>, ApiError> {
    let node = match node {
        None => None,
        // An empty value unsets the parameter (kept in metadata, where it removes a key).
        Some(Node::Value(text)) if text.is_empty() && !matches!(field.kind, Kind::Metadata) => {
            if field.required {
                return Err(empty(param));
            }
            None
        }
        Some(node) => Some(node),
    };
    match node {
        None if field.required => Err(missing(param)),
        None => Ok(None),
        Some(node) => read_kind(node, &field.kind, param).map(Some),
    }
}

fn read_kind(node: &Node, kind: &Kind, param: &str) -> Result<Value, ApiError> {
    match kind {
        Kind::Text(max) => {
            let text = scalar(node, param, "string")?;
            if text.chars().count() > *max {
                return Err(ApiError::validation(format!(
                    "Invalid string: {}...; must be at most {max} characters",
                    text.chars().take(16).collect::<String>()
                ))
                .param(param));
            }
            Ok(Value::String(text.to_owned()))
        }
        Kind::Integer => {
            let text = scalar(node, param, "integer")?;
            parse_integer(text).map(Value::from).ok_or_else(|| {
                ApiError::validation(format!("Invalid integer: {text}"))
                    .code("parameter_invalid_integer")
                    .param(param)
            })
        }
        Kind::Boolean => match scalar(node, param, "boolean")? {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(ApiError::validation(format!("Invalid boolean: {other}")).param(param)),
        },
        Kind::Enum(values) => {
            let text = scalar(node, param, "string")?;
            if values.contains(&text) {
                Ok(Value::String(text.to_owned()))
            } else {
                Err(ApiError::validation(format!(
                    "Invalid {param}: must be one of {}",
                    one_of(values)
                ))
                .param(param))
            }
        }
        Kind::Hash(fields) => {
            let Node::Hash(entries) = node else {
                return Err(shape(param, "object"));
            };
            if let Some(name) = entries
                .keys()
                .find(|name| !fields.iter().any(|f| f.name == *name))
            {
                return Err(unknown(&format!("{param}[{name}]")));
            }
            let mut out = Map::new();
            for field in *fields {
                let child = format!("{param}[{}]", field.name);
                if let Some(value) = read_field(entries.get(field.name), field, &child)? {
                    out.insert(field.name.to_owned(), value);
                }
            }
            Ok(Value::Object(out))
        }
        Kind::Metadata => read_metadata(node, param),
        Kind::List(item) => {
            let items: Vec<&Node> = match node {
                Node::List(items) => items.iter().collect(),
                Node::Hash(entries) => {
                    // `name[0]=…&name[1]=…`: numeric keys, read in index order.
                    let mut indexed = Vec::with_capacity(entries.len());
                    for (key, value) in entries {
                        let index: usize = key.parse().map_err(|_| shape(param, "array"))?;
                        indexed.push((index, value));
                    }
                    indexed.sort_by_key(|(index, _)| *index);
                    indexed.into_iter().map(|(_, value)| value).collect()
                }
                Node::Value(_) => return Err(shape(param, "array")),
            };
            items
                .into_iter()
                .enumerate()
                .map(|(i, node)| read_kind(node, item, &format!("{param}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Kind::Range => match node {
            Node::Hash(_) => read_kind(node, &Kind::Hash(RANGE), param),
            _ => read_kind(node, &Kind::Integer, param),
        },
        Kind::Opaque => Ok(opaque(node)),
        Kind::Unsupported => Err(ApiError::validation(format!(
            "The paybridge Stripe simulator does not support the parameter {param}."
        ))
        .param(param)),
    }
}

/// The text of a value node; a hash or array where a value belongs is refused.
fn scalar<'a>(node: &'a Node, param: &str, expected: &str) -> Result<&'a str, ApiError> {
    match node {
        Node::Value(text) => Ok(text),
        Node::Hash(_) | Node::List(_) => Err(ApiError::validation(format!(
            "Invalid {expected}: a hash or array was given where a {expected} was expected"
        ))
        .param(param)),
    }
}

/// A decimal integer: an optional `-` and ASCII digits.
fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_KEY: usize = 40;
const MAX_METADATA_VALUE: usize = 500;

fn read_metadata(node: &Node, param: &str) -> Result<Value, ApiError> {
    let entries = match node {
        // `metadata=` unsets every key.
        Node::Value(text) if text.is_empty() => return Ok(Value::Object(Map::new())),
        Node::Hash(entries) => entries,
        Node::Value(_) | Node::List(_) => return Err(shape(param, "object")),
    };
    if entries.len() > MAX_METADATA_KEYS {
        return Err(ApiError::validation(format!(
            "You can specify up to {MAX_METADATA_KEYS} keys in {param}."
        ))
        .param(param));
    }
    let mut out = Map::new();
    for (key, value) in entries {
        let child = format!("{param}[{key}]");
        let Node::Value(text) = value else {
            return Err(ApiError::validation(format!(
                "Invalid value for {child}: metadata values must be strings"
            ))
            .param(&child));
        };
        if key.chars().count() > MAX_METADATA_KEY {
            return Err(ApiError::validation(format!(
                "Metadata keys can have up to {MAX_METADATA_KEY} characters, but you passed in a key that is {} characters.",
                key.chars().count()
            ))
            .param(&child));
        }
        if text.chars().count() > MAX_METADATA_VALUE {
            return Err(ApiError::validation(format!(
                "Metadata values can have up to {MAX_METADATA_VALUE} characters, but you passed in a value that is {} characters.",
                text.chars().count()
            ))
            .param(&child));
        }
        out.insert(key.clone(), Value::String(text.clone()));
    }
    Ok(Value::Object(out))
}

/// A node as JSON strings, hashes and arrays.
fn opaque(node: &Node) -> Value {
    match node {
        Node::Value(text) => Value::String(text.clone()),
        Node::Hash(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, node)| (key.clone(), opaque(node)))
                .collect(),
        ),
        Node::List(items) => Value::Array(items.iter().map(opaque).collect()),
    }
}

/// "a, b, or c".
fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [a, b] => format!("{a} or {b}"),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

fn shape(param: &str, expected: &str) -> ApiError {
    ApiError::validation(format!("Invalid {expected}")).param(param)
}

pub(crate) fn missing(param: &str) -> ApiError {
    ApiError::validation(format!("Missing required param: {param}."))
        .code("parameter_missing")
        .param(param)
}

fn empty(param: &str) -> ApiError {
    ApiError::validation(format!(
        "You passed an empty string for '{param}'. We assume empty values are an attempt to \
         unset a parameter; however '{param}' cannot be unset. You should remove '{param}' from \
         your request or supply a non-empty value."
    ))
    .code("parameter_invalid_empty")
    .param(param)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn refusal(body: &str, spec: Spec) -> Value {
        parse(body.as_bytes(), spec).unwrap_err().object()
    }

    #[test]
    fn a_create_body_reads_as_typed_json() {
        let params = parse(
            b"amount=1000&currency=usd&confirm=true&capture_method=manual&expand[0]=latest_charge\
              &payment_method_options[card][request_incremental_authorization]=if_available\
              &metadata[order]=A1&metadata[gone]=&payment_method_data[type]=card\
              &payment_method_data[card][number]=4242424242424242\
              &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2030",
            CREATE_INTENT,
        )
        .unwrap();
        assert_eq!(params.int("/amount"), Some(1000));
        assert_eq!(params.bool("/confirm"), Some(true));
        assert_eq!(params.strings("/expand"), ["latest_charge"]);
        assert_eq!(
            params.str("/payment_method_options/card/request_incremental_authorization"),
            Some("if_available")
        );
        assert_eq!(params.int("/payment_method_data/card/exp_year"), Some(2030));
        assert_eq!(params.str("/metadata/gone"), Some(""));
        assert!(!params.has("/description"));
    }

    #[test]
    fn errors_name_the_parameter_with_stripe_codes() {
        let base = "currency=usd";
        let cases = [
            ("amount=1&currency=usd&colour=red", "parameter_unknown", "colour"),
            (
                "amount=1&currency=usd&payment_method_options[card][foo]=1",
                "parameter_unknown",
                "payment_method_options[card][foo]",
            ),
            ("amount=ten&currency=usd", "parameter_invalid_integer", "amount"),
            ("amount=10.5&currency=usd", "parameter_invalid_integer", "amount"),
            (base, "parameter_missing", "amount"),
            ("amount=&currency=usd", "parameter_invalid_empty", "amount"),
            (
                "amount=1&currency=usd&payment_method_data[type]=card&payment_method_data[card][exp_month]=1&payment_method_data[card][exp_year]=2030",
                "parameter_missing",
                "payment_method_data[card][number]",
            ),
        ];
        for (body, code, param) in cases {
            let error = refusal(body, CREATE_INTENT);
            assert_eq!(error["code"], code, "{body}: {error}");
            assert_eq!(error["param"], param, "{body}: {error}");
            assert_eq!(error["type"], "invalid_request_error");
        }
    }

    #[test]
    fn enums_booleans_and_shapes_are_checked() {
        let error = refusal("amount=1&currency=usd&capture_method=later", CREATE_INTENT);
        assert_eq!(
            error["message"],
            "Invalid capture_method: must be one of automatic, automatic_async, or manual"
        );
        assert_eq!(error["param"], "capture_method");
        assert_eq!(error["param"], "capture_method");
        let error = refusal("amount=1&currency=usd&confirm=yes", CREATE_INTENT);
        assert_eq!(error["message"], "Invalid boolean: yes");
        let error = refusal("amount=1&currency=usd&expand=latest_charge", CREATE_INTENT);
        assert_eq!(
            (error["param"].clone(), error["message"].clone()),
            ("expand".into(), "Invalid array".into())
        );
        let error = refusal("amount=1&currency=usd&metadata[a][b]=1", CREATE_INTENT);
        assert_eq!(error["param"], "metadata[a]");
        let error = refusal("amount=1&currency=usd&customer=cus_1", CREATE_INTENT);
        assert_eq!(error["param"], "customer");
        let error = refusal("amount[x]=1&currency=usd", CREATE_INTENT);
        assert_eq!(error["param"], "amount");
    }

    #[test]
    fn indexed_arrays_read_in_index_order() {
        let params = parse(b"expand[1]=b&expand[0]=a&expand[10]=c", RETRIEVE).unwrap();
        assert_eq!(params.strings("/expand"), ["a", "b", "c"]);
        let error = refusal("expand[x]=a", RETRIEVE);
        assert_eq!(error["param"], "expand");
    }

    #[test]
    fn list_filters_read_as_integers_or_ranges() {
        let params = parse(
            b"created[gte]=10&created[lte]=20&limit=3&starting_after=pi_1",
            LIST_INTENTS,
        )
        .unwrap();
        assert_eq!(params.int("/created/gte"), Some(10));
        assert_eq!(params.int("/created/lte"), Some(20));
        assert_eq!(params.int("/limit"), Some(3));
        assert_eq!(params.int("/created"), None);
        assert_eq!(
            parse(b"created=15", LIST_INTENTS).unwrap().int("/created"),
            Some(15)
        );
        let error = refusal("created[since]=1", LIST_INTENTS);
        assert_eq!(error["param"], "created[since]");
        let error = refusal("created[gt]=soon", LIST_INTENTS);
        assert_eq!(error["code"], "parameter_invalid_integer");
        let error = refusal("customer=cus_1", LIST_INTENTS);
        assert_eq!(error["param"], "customer");
        let error = refusal("payment_intent=pi_1", LIST_INTENTS);
        assert_eq!(error["code"], "parameter_unknown");
        assert_eq!(
            parse(b"payment_intent=pi_1&limit=100", LIST_REFUNDS)
                .unwrap()
                .str("/payment_intent"),
            Some("pi_1")
        );
    }

    #[test]
    fn limits_apply() {
        let long = "x".repeat(1001);
        let error = refusal(
            &format!("amount=1&currency=usd&description={long}"),
            CREATE_INTENT,
        );
        assert_eq!(error["param"], "description");
        let error = refusal(
            &format!("amount=1&currency=usd&metadata[k]={}", "v".repeat(501)),
            CREATE_INTENT,
        );
        assert_eq!(error["param"], "metadata[k]");
    }
}
