//! The payment details of a create request (customer, contacts, browser data, descriptors,
//! references), checked and turned into the domain's [`PaymentDetails`]. Errors name the field
//! and the rule, never the value.

use paybridge_core::details::{
    BrowserInfo, Contact, CountryCode, Customer, DetailError, Email, Phone, PostalAddress,
    StatementDescriptor,
};

use super::input::free_text;
use crate::domain::{AuthenticationType, CardType, PaymentDetails};
use crate::error::ApiError;
use crate::model::{AddressBody, BrowserInfoBody, ContactBody, CreatePaymentRequest, CustomerBody};

/// The details of `body`, checked. The payment method's own fields (card, token) and the
/// authentication type are read elsewhere; `authentication_type` is the one they gave.
pub(super) fn payment_details(
    body: &mut CreatePaymentRequest,
    authentication_type: Option<AuthenticationType>,
) -> Result<PaymentDetails, ApiError> {
    let billing = match (
        body.billing.take(),
        body.payment_method_data
            .as_mut()
            .and_then(|d| d.billing.take()),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "ambiguous_billing",
                "give billing or payment_method_data.billing, not both",
            ))
        }
        (Some(billing), None) => contact("billing", billing)?,
        (None, Some(billing)) => contact("payment_method_data.billing", billing)?,
        (None, None) => None,
    };
    let shipping = body
        .shipping
        .take()
        .map(|s| contact("shipping", s))
        .transpose()?
        .flatten();
    free_text(
        "merchant_order_reference_id",
        body.merchant_order_reference_id.as_deref(),
        255,
    )?;
    non_empty(
        "merchant_order_reference_id",
        &body.merchant_order_reference_id,
    )?;
    free_text(
        "statement_descriptor_name",
        body.statement_descriptor_name.as_deref(),
        255,
    )?;
    free_text(
        "statement_descriptor_suffix",
        body.statement_descriptor_suffix.as_deref(),
        255,
    )?;
    non_empty("statement_descriptor_name", &body.statement_descriptor_name)?;
    non_empty(
        "statement_descriptor_suffix",
        &body.statement_descriptor_suffix,
    )?;
    let payment_method_type = match body.payment_method_type.as_deref() {
        None => None,
        Some("credit") => Some(CardType::Credit),
        Some("debit") => Some(CardType::Debit),
        // A wallet payment's type is its wallet, checked against the token given.
        Some("apple_pay" | "google_pay") => None,
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_payment_method_type",
                "payment_method_type must be one of: credit, debit, apple_pay, google_pay",
            ))
        }
    };
    Ok(PaymentDetails {
        customer: customer(body)?,
        billing,
        shipping,
        browser_info: body.browser_info.take().map(browser_info).transpose()?,
        statement_descriptor: StatementDescriptor {
            name: body.statement_descriptor_name.take(),
            suffix: body.statement_descriptor_suffix.take(),
        },
        merchant_order_reference_id: body.merchant_order_reference_id.take(),
        authentication_type,
        payment_method_type,
        card: None,
        wallet: None,
    })
}

/// The customer from `customer` and the older top-level fields (`customer_id`, `email`, `name`,
/// `phone`, `phone_country_code`): either may give a value, and both must agree where both do.
fn customer(body: &mut CreatePaymentRequest) -> Result<Option<Customer>, ApiError> {
    let nested = body.customer.take().unwrap_or_default();
    let merge = |field: &str,
                 top: Option<String>,
                 inner: Option<String>|
     -> Result<Option<String>, ApiError> {
        match (top, inner) {
            (Some(a), Some(b)) if a != b => Err(ApiError::invalid(
                "conflicting_customer_details",
                format!("{field} and customer.{field} differ; give one of them"),
            )),
            (a, b) => Ok(a.or(b)),
        }
    };
    let CustomerBody {
        id,
        name,
        email,
        phone,
        phone_country_code,
    } = nested;
    let id = merge("id", body.customer_id.take(), id).map_err(|_| {
        ApiError::invalid(
            "conflicting_customer_details",
            "customer_id and customer.id differ; give one of them",
        )
    })?;
    let name = merge("name", body.name.take(), name)?;
    let email = merge("email", body.email.take(), email)?;
    let number = merge("phone", body.phone.take(), phone)?;
    let country_code = merge(
        "phone_country_code",
        body.phone_country_code.take(),
        phone_country_code,
    )?;
    if id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.chars().count() > 64)
    {
        return Err(ApiError::invalid(
            "invalid_customer_id",
            "customer_id must be 1 to 64 characters",
        ));
    }
    free_text("customer_id", id.as_deref(), 64)?;
    free_text("customer.name", name.as_deref(), 255)?;
    non_empty("customer.name", &name)?;
    let phone = phone_of("customer.phone", number, country_code)?;
    let customer = Customer {
        id,
        name,
        email: email
            .map(|e| Email::new(&e).map_err(|e| refused("invalid_email", "customer.email", &e)))
            .transpose()?,
        phone,
    };
    Ok((customer != Customer::default()).then_some(customer))
}

/// A contact, or `None` when it holds nothing.
fn contact(field: &str, body: ContactBody) -> Result<Option<Contact>, ApiError> {
    let address = body
        .address
        .map(|a| address(&format!("{field}.address"), a))
        .transpose()?
        .filter(|a| *a != PostalAddress::default());
    let phone = match body.phone {
        None => None,
        Some(p) => phone_of(&format!("{field}.phone"), p.number, p.country_code)?,
    };
    let email = body
        .email
        .map(|e| {
            Email::new(&e).map_err(|e| refused("invalid_email", &format!("{field}.email"), &e))
        })
        .transpose()?;
    let contact = Contact {
        address,
        phone,
        email,
    };
    Ok((contact != Contact::default()).then_some(contact))
}

fn address(field: &str, body: AddressBody) -> Result<PostalAddress, ApiError> {
    let parts = [
        ("first_name", &body.first_name),
        ("last_name", &body.last_name),
        ("line1", &body.line1),
        ("line2", &body.line2),
        ("line3", &body.line3),
        ("city", &body.city),
        ("state", &body.state),
        ("zip", &body.zip),
    ];
    for (name, value) in parts {
        let name = format!("{field}.{name}");
        free_text(&name, value.as_deref(), 255)?;
        non_empty(&name, value)?;
    }
    let country = body
        .country
        .map(|c| {
            CountryCode::new(&c)
                .map_err(|e| refused("invalid_country", &format!("{field}.country"), &e))
        })
        .transpose()?;
    Ok(PostalAddress {
        first_name: body.first_name,
        last_name: body.last_name,
        line1: body.line1,
        line2: body.line2,
        line3: body.line3,
        city: body.city,
        state: body.state,
        zip: body.zip,
        country,
    })
}

/// A phone from its number and country code; a code without a number is refused.
fn phone_of(
    field: &str,
    number: Option<String>,
    country_code: Option<String>,
) -> Result<Option<Phone>, ApiError> {
    match (number, country_code) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ApiError::invalid(
            "invalid_phone",
            format!("{field}: a country code needs a number"),
        )),
        (Some(number), code) => Phone::new(&number, code.as_deref())
            .map(Some)
            .map_err(|e| refused("invalid_phone", field, &e)),
    }
}

fn browser_info(body: BrowserInfoBody) -> Result<BrowserInfo, ApiError> {
    let texts = [
        ("browser_info.language", &body.language, 35),
        ("browser_info.accept_header", &body.accept_header, 2048),
        ("browser_info.user_agent", &body.user_agent, 2048),
        ("browser_info.os_type", &body.os_type, 255),
        ("browser_info.os_version", &body.os_version, 255),
        ("browser_info.device_model", &body.device_model, 255),
        ("browser_info.accept_language", &body.accept_language, 255),
        ("browser_info.referer", &body.referer, 2048),
    ];
    for (field, value, max) in texts {
        free_text(field, value.as_deref(), max)?;
    }
    let ip_address = body
        .ip_address
        .map(|ip| {
            ip.parse().map_err(|_| {
                ApiError::invalid(
                    "invalid_browser_info",
                    "browser_info.ip_address must be an IPv4 or IPv6 address",
                )
            })
        })
        .transpose()?;
    Ok(BrowserInfo {
        color_depth: body.color_depth,
        java_enabled: body.java_enabled,
        java_script_enabled: body.java_script_enabled,
        language: body.language,
        screen_height: body.screen_height,
        screen_width: body.screen_width,
        time_zone: body.time_zone,
        ip_address,
        accept_header: body.accept_header,
        user_agent: body.user_agent,
        os_type: body.os_type,
        os_version: body.os_version,
        device_model: body.device_model,
        accept_language: body.accept_language,
        referer: body.referer,
    })
}

fn non_empty(field: &str, value: &Option<String>) -> Result<(), ApiError> {
    if value.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::invalid(
            "invalid_text",
            format!("{field} must not be empty; leave it out instead"),
        ));
    }
    Ok(())
}

fn refused(code: &str, field: &str, error: &DetailError) -> ApiError {
    ApiError::invalid(code, format!("{field} {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Body;

    fn parsed(extra: serde_json::Value) -> Result<PaymentDetails, ApiError> {
        let mut body = serde_json::json!({"amount": 100, "currency": "USD", "connector": "stripe"});
        body.as_object_mut()
            .expect("an object")
            .extend(extra.as_object().expect("an object").clone());
        let Body(mut request) = Body::<CreatePaymentRequest>::parse(body.to_string().as_bytes())?;
        payment_details(&mut request, None)
    }

    #[test]
    fn the_seed_example_is_read_whole() {
        let details = parsed(serde_json::json!({
            "customer_id": "cus_y3oqhf46pyzuxjbcn2giaqnb44",
            "customer": {"id": "cus_y3oqhf46pyzuxjbcn2giaqnb44", "name": "John Doe",
                "email": "john@example.com", "phone": "9123456789", "phone_country_code": "+1"},
            "billing": {"address": {"city": "New York", "country": "US", "line1": "123, King Street",
                "line2": "Powelson Avenue", "line3": "Bridgewater", "zip": "08807", "state": "New York",
                "first_name": "John", "last_name": "Doe"},
                "phone": {"number": "9123456789", "country_code": "+1"}, "email": "john@example.com"},
            "shipping": {"address": {"country": "AF", "line1": "1 Road"}},
            "merchant_order_reference_id": "Custom_Order_id_123",
            "statement_descriptor_name": "Hyperswitch Router",
            "statement_descriptor_suffix": "Payment for shoes purchase",
            "payment_method_type": "credit",
            "browser_info": {"ip_address": "123.32.25.123", "user_agent": "Mozilla/5.0",
                "color_depth": 24, "time_zone": -60, "java_enabled": false}
        }))
        .expect("valid");
        let customer = details.customer.expect("a customer");
        assert_eq!(
            customer.id.as_deref(),
            Some("cus_y3oqhf46pyzuxjbcn2giaqnb44")
        );
        assert_eq!(customer.phone.expect("a phone").e164(), "+19123456789");
        let billing = details.billing.expect("billing");
        assert_eq!(
            billing
                .address
                .expect("an address")
                .country
                .map(|c| c.to_string()),
            Some("US".to_owned())
        );
        assert_eq!(details.payment_method_type, Some(CardType::Credit));
        assert_eq!(
            details
                .browser_info
                .and_then(|b| b.ip_address)
                .map(|ip| ip.to_string()),
            Some("123.32.25.123".to_owned())
        );
        assert_eq!(
            details.statement_descriptor.suffix.as_deref(),
            Some("Payment for shoes purchase")
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_code_naming_the_field() {
        let cases = [
            (
                serde_json::json!({"email": "not-an-address"}),
                "invalid_email",
                "customer.email",
            ),
            (
                serde_json::json!({"billing": {"email": "a@b"}}),
                "invalid_email",
                "billing.email",
            ),
            (
                serde_json::json!({"billing": {"address": {"country": "gb"}}}),
                "invalid_country",
                "billing.address.country",
            ),
            (
                serde_json::json!({"shipping": {"address": {"country": "XX"}}}),
                "invalid_country",
                "shipping.address.country",
            ),
            (
                serde_json::json!({"shipping": {"phone": {"number": "12"}}}),
                "invalid_phone",
                "shipping.phone",
            ),
            (
                serde_json::json!({"phone": "555-0100x"}),
                "invalid_phone",
                "customer.phone",
            ),
            (
                serde_json::json!({"customer": {"phone_country_code": "+44"}}),
                "invalid_phone",
                "customer.phone",
            ),
            (
                serde_json::json!({"billing": {"address": {"line1": "x".repeat(256)}}}),
                "invalid_text",
                "billing.address.line1",
            ),
            (
                serde_json::json!({"billing": {"address": {"city": ""}}}),
                "invalid_text",
                "billing.address.city",
            ),
            (
                serde_json::json!({"customer_id": "c".repeat(65)}),
                "invalid_customer_id",
                "customer_id",
            ),
            (
                serde_json::json!({"customer_id": "a", "customer": {"id": "b"}}),
                "conflicting_customer_details",
                "customer_id",
            ),
            (
                serde_json::json!({"email": "a@b.co", "customer": {"email": "c@d.co"}}),
                "conflicting_customer_details",
                "email",
            ),
            (
                serde_json::json!({"browser_info": {"ip_address": "300.1.1.1"}}),
                "invalid_browser_info",
                "ip_address",
            ),
            (
                serde_json::json!({"statement_descriptor_suffix": "a\nb"}),
                "invalid_text",
                "statement_descriptor_suffix",
            ),
            (
                serde_json::json!({"payment_method_type": "prepaid"}),
                "invalid_payment_method_type",
                "payment_method_type",
            ),
            (
                serde_json::json!({"merchant_order_reference_id": ""}),
                "invalid_text",
                "merchant_order_reference_id",
            ),
        ];
        for (extra, code, field) in cases {
            let err = parsed(extra.clone()).expect_err(&extra.to_string());
            assert_eq!(err.code, code, "{extra}: {}", err.message);
            assert!(err.message.contains(field), "{extra}: {}", err.message);
        }
    }

    #[test]
    fn refusals_never_echo_the_value() {
        let err = parsed(serde_json::json!({"billing": {"email": "jane.secret@nowhere"}}))
            .expect_err("no dot in the domain");
        assert!(!err.message.contains("jane.secret"), "{}", err.message);
        let err = parsed(serde_json::json!({"phone": "0123-SECRET"})).expect_err("letters");
        assert!(!err.message.contains("SECRET"), "{}", err.message);
    }

    #[test]
    fn unknown_fields_are_named() {
        for (extra, field) in [
            (serde_json::json!({"profile_idx": "x"}), "profile_idx"),
            (serde_json::json!({"billing": {"adress": {}}}), "adress"),
            (serde_json::json!({"customer": {"mail": "a@b.co"}}), "mail"),
            (
                serde_json::json!({"browser_info": {"colour_depth": 24}}),
                "colour_depth",
            ),
        ] {
            let err = parsed(extra.clone()).expect_err(&extra.to_string());
            assert_eq!(err.code, "invalid_body", "{extra}");
            assert!(err.message.contains(field), "{extra}: {}", err.message);
        }
    }

    #[test]
    fn billing_comes_from_one_place_and_empty_objects_are_nothing() {
        let err = parsed(serde_json::json!({
            "billing": {"email": "a@b.co"},
            "payment_method_data": {"card": {"card_number": "4242424242424242",
                "card_exp_month": "12", "card_exp_year": "2030"}, "billing": {"email": "a@b.co"}}
        }))
        .expect_err("two billings");
        assert_eq!(err.code, "ambiguous_billing");
        let details = parsed(serde_json::json!({
            "billing": {"address": {}}, "shipping": {}, "customer": {}
        }))
        .expect("valid");
        assert_eq!(details, PaymentDetails::default());
    }
}
