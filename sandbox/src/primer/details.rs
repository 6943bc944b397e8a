//! The nested objects of `POST /payments` — `customer` (`CustomerDetailsAPISchema`) and
//! `order` (`OrderDetailsAPISchema`) — and of `POST /client-session` (`customer` as
//! `CheckoutCustomerDetailsAPISchema`, `order`, `paymentMethod` as
//! `CheckoutPaymentMethodOptionsAPISchema`), checked against the shapes of the v2.2 document.
//!
//! Unlike the request itself (`additionalProperties: false`), the nested schemas do not forbid
//! other fields: those are ignored and not kept \[U: Primer's handling of them\], so what is
//! stored and answered back holds only fields the document declares.

use paybridge_core::details::CountryCode;
use serde_json::{Map, Value};

use super::wire::Invalid;

/// What one field may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A string of `min..=max` characters (`minLength`, `maxLength`).
    Text(usize, usize),
    /// `format: email`.
    Email,
    /// `CountryCodeEnum`: ISO 3166-1 alpha-2.
    Country,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An integer, at least 0 when `true` (`minimum: 0`).
    Integer(bool),
    /// A number of at least 0.
    NonNegativeNumber,
    /// An object of these fields.
    Object(&'static [Field]),
    /// An array of such objects.
    Array(&'static [Field]),
    /// `true` or `false`.
    Boolean,
    /// Any JSON object, kept as given (`paymentMethod.options`, keyed by payment method type).
    AnyObject,
}

/// A declared field: its name, what it holds, whether it is required.
pub(crate) type Field = (&'static str, Kind, bool);

const TEXT: Kind = Kind::Text(0, 256);
const NON_EMPTY: Kind = Kind::Text(1, 256);

/// `OptionalAddressAPISchema`: nothing required.
const ADDRESS: &[Field] = &[
    ("firstName", NON_EMPTY, false),
    ("lastName", NON_EMPTY, false),
    ("addressLine1", NON_EMPTY, false),
    ("addressLine2", TEXT, false),
    ("city", NON_EMPTY, false),
    ("state", NON_EMPTY, false),
    ("countryCode", Kind::Country, false),
    ("postalCode", NON_EMPTY, false),
];

/// `CustomerDetailsAPISchema`.
pub(crate) const CUSTOMER: &[Field] = &[
    ("emailAddress", Kind::Email, false),
    ("mobileNumber", TEXT, false),
    ("firstName", TEXT, false),
    ("lastName", TEXT, false),
    ("billingAddress", Kind::Object(ADDRESS), false),
    ("shippingAddress", Kind::Object(ADDRESS), false),
    ("taxId", TEXT, false),
    ("nationalDocumentId", TEXT, false),
];

/// `CheckoutCustomerDetailsAPISchema`: a client session's customer, whose names and mobile
/// number may not be empty.
pub(crate) const CHECKOUT_CUSTOMER: &[Field] = &[
    ("emailAddress", Kind::Email, false),
    ("mobileNumber", NON_EMPTY, false),
    ("firstName", NON_EMPTY, false),
    ("lastName", NON_EMPTY, false),
    ("billingAddress", Kind::Object(ADDRESS), false),
    ("shippingAddress", Kind::Object(ADDRESS), false),
    ("taxId", TEXT, false),
    ("nationalDocumentId", TEXT, false),
];

/// `CheckoutPaymentMethodOptionsAPISchema`: a client session's payment method options.
pub(crate) const CHECKOUT_PAYMENT_METHOD: &[Field] = &[
    (
        "authorizationType",
        Kind::OneOf(&["ESTIMATED", "FINAL"]),
        false,
    ),
    ("descriptor", TEXT, false),
    (
        "paymentType",
        Kind::OneOf(&["FIRST_PAYMENT", "ECOMMERCE", "SUBSCRIPTION", "UNSCHEDULED"]),
        false,
    ),
    ("vaultOnSuccess", Kind::Boolean, false),
    ("vaultOn3DS", Kind::Boolean, false),
    ("options", Kind::AnyObject, false),
];

/// `OrderLineItemsProductDataAPISchema`.
const PRODUCT_DATA: &[Field] = &[
    ("sku", NON_EMPTY, false),
    ("brand", NON_EMPTY, false),
    ("color", NON_EMPTY, false),
    ("globalTradeItemNumber", NON_EMPTY, false),
    ("manufacturerPartNumber", NON_EMPTY, false),
    ("weight", Kind::NonNegativeNumber, false),
    ("weightUnit", NON_EMPTY, false),
];

/// `OrderLineItemsAPISchema`.
const LINE_ITEM: &[Field] = &[
    ("itemId", NON_EMPTY, false),
    ("name", TEXT, false),
    ("description", TEXT, false),
    ("amount", Kind::Integer(true), true),
    ("quantity", Kind::Integer(false), false),
    ("discountAmount", Kind::Integer(true), false),
    ("taxAmount", Kind::Integer(true), false),
    ("taxCode", NON_EMPTY, false),
    ("productType", Kind::OneOf(&["PHYSICAL", "DIGITAL"]), false),
    ("productData", Kind::Object(PRODUCT_DATA), false),
];

/// `OrderFeesAPISchema`.
const FEE: &[Field] = &[
    ("type", NON_EMPTY, false),
    ("description", NON_EMPTY, false),
    ("amount", Kind::Integer(true), true),
];

/// `OrderDetailsAPISchema`.
pub(crate) const ORDER: &[Field] = &[
    ("lineItems", Kind::Array(LINE_ITEM), false),
    ("countryCode", Kind::Country, false),
    ("retailerCountryCode", Kind::Country, false),
    ("fees", Kind::Array(FEE), false),
    (
        "shipping",
        Kind::Object(&[("amount", Kind::Integer(true), false)]),
        false,
    ),
];

/// `value` as an object of `fields`, problems reported under `path` (`customer`,
/// `order.lineItems[0]`): the declared fields only, or `None` when it is not an object or
/// one of them is wrong.
pub(crate) fn object(
    value: &Value,
    fields: &[Field],
    path: &str,
    invalid: &mut Invalid,
) -> Option<Value> {
    let Some(map) = value.as_object() else {
        invalid.push(path, "Value must be a valid object");
        return None;
    };
    let mut out = Map::new();
    let mut valid = true;
    for (name, kind, required) in fields {
        let inner = format!("{path}.{name}");
        match map.get(*name).filter(|v| !v.is_null()) {
            None if *required => {
                invalid.push(&inner, "Field required");
                valid = false;
            }
            None => {}
            Some(v) => match checked(v, *kind, &inner, invalid) {
                Some(v) => {
                    out.insert((*name).to_owned(), v);
                }
                None => valid = false,
            },
        }
    }
    valid.then_some(Value::Object(out))
}

fn checked(value: &Value, kind: Kind, path: &str, invalid: &mut Invalid) -> Option<Value> {
    let problem = match (kind, value) {
        (Kind::Object(fields), _) => return object(value, fields, path, invalid),
        (Kind::Array(fields), Value::Array(items)) => {
            let items: Vec<Option<Value>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| object(item, fields, &format!("{path}[{i}]"), invalid))
                .collect();
            return items
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Value::Array);
        }
        (Kind::Array(_), _) => "Value must be a valid list".to_owned(),
        (Kind::Text(min, max), Value::String(s)) => {
            let len = s.chars().count();
            if len < min {
                // Every `minLength` of these schemas is 1.
                "Value must not be empty".to_owned()
            } else if len > max {
                format!("Value must be at most {max} characters")
            } else {
                return Some(value.clone());
            }
        }
        (Kind::Email, Value::String(s)) if email(s) => return Some(value.clone()),
        (Kind::Email, _) => "Value must be a valid email address".to_owned(),
        // Core's ISO list is the document's `CountryCodeEnum`: the same 249 codes.
        (Kind::Country, Value::String(s)) if CountryCode::new(s).is_ok() => {
            return Some(value.clone())
        }
        (Kind::Country, _) => "Value must be an ISO 3166-1 alpha-2 country code".to_owned(),
        (Kind::OneOf(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => {
            return Some(value.clone())
        }
        (Kind::OneOf(allowed), _) => format!("Value must be one of {}", allowed.join(", ")),
        (Kind::Integer(false), Value::Number(n)) if n.is_i64() || n.is_u64() => {
            return Some(value.clone())
        }
        (Kind::Integer(true), Value::Number(n)) if n.is_u64() => return Some(value.clone()),
        (Kind::Integer(true), _) => "Value must be an integer of at least 0".to_owned(),
        (Kind::Integer(false), _) => "Value must be a valid integer".to_owned(),
        (Kind::NonNegativeNumber, Value::Number(n)) if n.as_f64().is_some_and(|n| n >= 0.0) => {
            return Some(value.clone())
        }
        (Kind::NonNegativeNumber, _) => "Value must be a number of at least 0".to_owned(),
        (Kind::Text(..), _) => "Value must be a valid string".to_owned(),
        (Kind::Boolean, Value::Bool(_)) | (Kind::AnyObject, Value::Object(_)) => {
            return Some(value.clone())
        }
        (Kind::Boolean, _) => "Value must be a valid boolean".to_owned(),
        (Kind::AnyObject, _) => "Value must be a valid object".to_owned(),
    };
    invalid.push(path, problem);
    None
}

/// `format: email`, as a mail server would take it: one `@`, something before it, a dotted
/// domain after it, no spaces \[U: Primer's exact rule; it accepts internationalized
/// addresses\].
fn email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn problems(value: Value, fields: &[Field], path: &str) -> (Option<Value>, Value) {
        let mut invalid = Invalid::new("PaymentCreationAPIRequest");
        let kept = object(&value, fields, path, &mut invalid);
        (
            kept,
            invalid.body()["error"]["validationErrors"][0]["errors"].clone(),
        )
    }

    #[test]
    fn a_customer_keeps_its_declared_fields_only() {
        let customer = json!({
            "emailAddress": "ada@example.com",
            "mobileNumber": "+442079460000",
            "billingAddress": {"firstName": "Ada", "addressLine1": "1 Main St",
                               "countryCode": "GB", "addressLine3": "ignored"},
            "shippingAddress": {"city": "London", "postalCode": null},
            "loyaltyTier": "gold",
        });
        let (kept, errors) = problems(customer, CUSTOMER, "customer");
        assert_eq!(errors, json!([]));
        assert_eq!(
            kept.unwrap(),
            json!({
                "emailAddress": "ada@example.com",
                "mobileNumber": "+442079460000",
                "billingAddress": {"firstName": "Ada", "addressLine1": "1 Main St",
                                   "countryCode": "GB"},
                "shippingAddress": {"city": "London"},
            })
        );
    }

    #[test]
    fn malformed_customer_fields_are_named_by_path() {
        let customer = json!({
            "emailAddress": "not-an-address",
            "mobileNumber": "1".repeat(257),
            "billingAddress": {"addressLine1": "", "countryCode": "gb"},
            "shippingAddress": "2 Shipping Row",
        });
        let (kept, errors) = problems(customer, CUSTOMER, "customer");
        assert_eq!(kept, None);
        let paths: Vec<&str> = errors
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "$.customer.emailAddress",
                "$.customer.mobileNumber",
                "$.customer.billingAddress.addressLine1",
                "$.customer.billingAddress.countryCode",
                "$.customer.shippingAddress",
            ]
        );
        // Problems name the rule, never the value.
        assert!(!errors.to_string().contains("not-an-address"), "{errors}");
    }

    #[test]
    fn an_order_checks_countries_and_line_items() {
        let order = json!({"countryCode": "FR", "lineItems": [{"amount": 100, "quantity": 2}],
                           "shipping": {"amount": 0}});
        let (kept, errors) = problems(order.clone(), ORDER, "order");
        assert_eq!(errors, json!([]));
        assert_eq!(kept.unwrap(), order);

        let order = json!({"countryCode": "XX", "lineItems": [{"quantity": 1}, {"amount": -1}],
                           "fees": {}});
        let (kept, errors) = problems(order, ORDER, "order");
        assert_eq!(kept, None);
        let paths: Vec<&str> = errors
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "$.order.lineItems[0].amount",
                "$.order.lineItems[1].amount",
                "$.order.countryCode",
                "$.order.fees",
            ]
        );
    }
}
