//! The payment details in `POST /payments`, without a server: each at the path Primer's v2.2
//! document gives it, nothing for what is absent or has no field, and values beyond the
//! document's limits refused before sending.

#![allow(clippy::unwrap_used)]

use paybridge_core::details::{
    BrowserInfo, Contact, CountryCode, Customer, Email, PaymentDetail, Phone, PostalAddress,
};
use paybridge_core::masking::mask_body;
use paybridge_core::*;
use paybridge_primer::Primer;
use serde_json::{json, Value};

fn primer() -> Primer {
    let config = ConnectorConfig::new("http://sim.test/".parse().unwrap(), "prk_test");
    Primer::new(&config).unwrap()
}

fn request() -> AuthorizeRequest {
    let token = PaymentMethodToken::new("heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4").unwrap();
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::GBP,
        PaymentMethod::Token(token),
        "ORD-1",
    );
    req.idempotency_key = IdempotencyKey::new("key-1").unwrap();
    req
}

fn body(req: &AuthorizeRequest) -> Value {
    let exchange = primer().authorize(req).unwrap();
    serde_json::from_str(exchange.request().body_text().unwrap()).unwrap()
}

fn refused(req: &AuthorizeRequest) -> (&'static str, String) {
    match primer().authorize(req) {
        Err(ConnectorError::InvalidRequest { field, message }) => (field, message),
        Err(other) => panic!("{other:?}"),
        Ok(exchange) => panic!("sent {:?}", exchange.request().body_text()),
    }
}

fn address(first: &str, line1: &str) -> PostalAddress {
    PostalAddress {
        first_name: Some(first.into()),
        last_name: Some("Lovelace".into()),
        line1: Some(line1.into()),
        line2: Some("Flat 3".into()),
        line3: None,
        city: Some("London".into()),
        state: Some("Greater London".into()),
        zip: Some("NW1 5LR".into()),
        country: Some(CountryCode::new("GB").unwrap()),
    }
}

/// Every detail set, each with its own value.
fn with_every_detail() -> AuthorizeRequest {
    let mut req = request();
    req.customer = Some(Customer {
        id: Some("cus_4711".into()),
        name: Some("Ada Lovelace".into()),
        email: Some(Email::new("ada@example.com").unwrap()),
        phone: Some(Phone::new("20 7946 0011", Some("44")).unwrap()),
    });
    req.billing = Some(Contact {
        address: Some(address("Billie", "1 Billing Lane")),
        phone: Some(Phone::new("2079460022", Some("+44")).unwrap()),
        email: Some(Email::new("billing@example.com").unwrap()),
    });
    req.shipping = Some(Contact {
        address: Some(address("Shippa", "2 Shipping Row")),
        phone: Some(Phone::new("2079460033", Some("+44")).unwrap()),
        email: None,
    });
    req.description = Some("Two pairs of socks".into());
    req.statement_descriptor.name = Some("SOCKSHOP LONDON".into());
    req.statement_descriptor.suffix = Some("ORDER77".into());
    req.browser_info = Some(BrowserInfo {
        ip_address: Some("203.0.113.77".parse().unwrap()),
        user_agent: Some("Mozilla/5.0".into()),
        ..BrowserInfo::default()
    });
    req
}

#[test]
fn every_detail_lands_at_its_documented_path() {
    let address = |first: &str, line1: &str| {
        json!({
            "firstName": first,
            "lastName": "Lovelace",
            "addressLine1": line1,
            "addressLine2": "Flat 3",
            "city": "London",
            "state": "Greater London",
            "countryCode": "GB",
            "postalCode": "NW1 5LR",
        })
    };
    // The customer's name, the billing phone and e-mail, the shipping phone, the
    // description, the descriptor's suffix and the browser data have no field: absent.
    assert_eq!(
        body(&with_every_detail()),
        json!({
            "paymentMethodToken": "heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4",
            "amount": 1000,
            "currencyCode": "GBP",
            "orderId": "ORD-1",
            "customerId": "cus_4711",
            "customer": {
                "emailAddress": "ada@example.com",
                "mobileNumber": "+442079460011",
                "billingAddress": address("Billie", "1 Billing Lane"),
                "shippingAddress": address("Shippa", "2 Shipping Row"),
            },
            "paymentMethod": {"authorizationType": "FINAL", "descriptor": "SOCKSHOP LONDON"},
        })
    );
}

#[test]
fn capabilities_list_exactly_the_details_sent() {
    let capabilities = primer().capabilities();
    let forwarded: Vec<PaymentDetail> = PaymentDetail::ALL
        .into_iter()
        .filter(|d| capabilities.forwards_detail(*d))
        .collect();
    assert_eq!(
        forwarded,
        [
            PaymentDetail::CustomerId,
            PaymentDetail::CustomerEmail,
            PaymentDetail::CustomerPhone,
            PaymentDetail::BillingAddress,
            PaymentDetail::ShippingAddress,
            PaymentDetail::StatementDescriptorName,
        ]
    );
    // A token carries no billing details of its own at Primer: they are sent with it.
    assert!(!capabilities
        .conditions(Flow::Authorize)
        .contains(&Condition::BillingDetailsWithCardsOnly));
}

#[test]
fn details_without_a_primer_field_send_nothing() {
    let mut req = request();
    req.customer = Some(Customer {
        name: Some("Ada Lovelace".into()),
        ..Customer::default()
    });
    req.billing = Some(Contact {
        address: Some(PostalAddress::default()),
        phone: Some(Phone::new("2079460022", Some("+44")).unwrap()),
        email: Some(Email::new("billing@example.com").unwrap()),
    });
    req.shipping = Some(Contact {
        phone: Some(Phone::new("2079460033", None).unwrap()),
        ..Contact::default()
    });
    req.description = Some("Two pairs of socks".into());
    req.statement_descriptor.suffix = Some("ORDER77".into());
    req.browser_info = Some(BrowserInfo {
        ip_address: Some("203.0.113.77".parse().unwrap()),
        ..BrowserInfo::default()
    });
    // No `customer`, not even empty, and no descriptor.
    assert_eq!(
        body(&req),
        json!({
            "paymentMethodToken": "heNwnqaeRiqvY1UcslfQc3wxNjEzOTIxNjc4",
            "amount": 1000,
            "currencyCode": "GBP",
            "orderId": "ORD-1",
            "paymentMethod": {"authorizationType": "FINAL"},
        })
    );
}

#[test]
fn partial_details_send_only_what_is_given() {
    let mut req = request();
    req.customer = Some(Customer {
        phone: Some(Phone::new("9123456789", None).unwrap()),
        ..Customer::default()
    });
    req.shipping = Some(Contact {
        address: Some(PostalAddress {
            city: Some("Paris".into()),
            country: Some(CountryCode::new("FR").unwrap()),
            ..PostalAddress::default()
        }),
        ..Contact::default()
    });
    let sent = body(&req);
    assert_eq!(sent.get("customerId"), None);
    assert_eq!(
        sent["customer"],
        // Without a country code the phone goes as its national digits.
        json!({"mobileNumber": "9123456789",
               "shippingAddress": {"city": "Paris", "countryCode": "FR"}})
    );
}

#[test]
fn a_third_address_line_follows_the_second() {
    let mut req = request();
    let mut billing = address("Ada", "1 Main Street");
    billing.line3 = Some("Marylebone".into());
    let mut shipping = billing.clone();
    shipping.line2 = None;
    req.billing = Some(Contact {
        address: Some(billing),
        ..Contact::default()
    });
    req.shipping = Some(Contact {
        address: Some(shipping),
        ..Contact::default()
    });
    let sent = body(&req);
    assert_eq!(
        sent["customer"]["billingAddress"]["addressLine2"],
        "Flat 3, Marylebone"
    );
    assert_eq!(
        sent["customer"]["shippingAddress"]["addressLine2"],
        "Marylebone"
    );
}

#[test]
fn values_beyond_the_documents_limits_are_refused_by_field() {
    let long = "x".repeat(257);
    type Change = fn(&mut AuthorizeRequest, String);
    let cases: [(&str, &str, Change); 6] = [
        ("customer.id", "customerId", |r, v| {
            r.customer = Some(Customer {
                id: Some(v),
                ..Customer::default()
            })
        }),
        (
            "statement_descriptor.name",
            "paymentMethod.descriptor",
            |r, v| r.statement_descriptor.name = Some(v),
        ),
        (
            "billing.address.line1",
            "billingAddress.addressLine1",
            |r, v| {
                let mut a = address("Ada", "1 Main Street");
                a.line1 = Some(v);
                r.billing = Some(Contact {
                    address: Some(a),
                    ..Contact::default()
                });
            },
        ),
        (
            "shipping.address.zip",
            "shippingAddress.postalCode",
            |r, v| {
                let mut a = address("Ada", "1 Main Street");
                a.zip = Some(v);
                r.shipping = Some(Contact {
                    address: Some(a),
                    ..Contact::default()
                });
            },
        ),
        (
            "shipping.address.first_name",
            "shippingAddress.firstName",
            |r, v| {
                let mut a = address("Ada", "1 Main Street");
                a.first_name = Some(v);
                r.shipping = Some(Contact {
                    address: Some(a),
                    ..Contact::default()
                });
            },
        ),
        (
            "billing.address.line3",
            "billingAddress.addressLine2",
            |r, v| {
                // Each line fits; joined, they do not.
                let mut a = address("Ada", "1 Main Street");
                a.line2 = Some(v[..200].to_owned());
                a.line3 = Some(v[..60].to_owned());
                r.billing = Some(Contact {
                    address: Some(a),
                    ..Contact::default()
                });
            },
        ),
    ];
    for (field, primer_field, change) in cases {
        let mut req = request();
        change(&mut req, long.clone());
        let (refused_field, message) = refused(&req);
        assert_eq!(refused_field, field);
        assert!(message.contains(primer_field), "{field}: {message}");
        assert!(message.contains("256 characters"), "{field}: {message}");
        assert!(!message.contains("xxx"), "the value is in {message}");
        // Exactly at the limit, counted in characters, it is sent.
        let mut req = request();
        change(&mut req, "é".repeat(256));
        if field != "billing.address.line3" {
            assert!(primer().authorize(&req).is_ok(), "{field}");
        }
    }
}

#[test]
fn empty_address_parts_are_refused_as_the_document_requires_one_character() {
    let mut req = request();
    let mut a = address("Ada", "1 Main Street");
    a.city = Some(String::new());
    req.shipping = Some(Contact {
        address: Some(a),
        ..Contact::default()
    });
    let (field, message) = refused(&req);
    assert_eq!(field, "shipping.address.city");
    assert_eq!(
        message,
        "Primer's customer.shippingAddress.city takes 1 to 256 characters"
    );
}

#[test]
fn logged_bodies_show_no_personal_data() {
    let exchange = primer().authorize(&with_every_detail()).unwrap();
    let request = exchange.request();
    let (content_type, bytes) = request.body.clone().unwrap();
    let shown = mask_body(
        Some(content_type),
        &bytes,
        primer().wire_profile().sensitive_fields,
    );
    for personal in [
        "ada@example.com",
        "2079460011",
        "Billie",
        "Shippa",
        "Lovelace",
        "1 Billing Lane",
        "2 Shipping Row",
        "Flat 3",
        "NW1 5LR",
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    // The merchant's ids, the city and the country stay readable.
    for visible in ["cus_4711", "London", "GB", "SOCKSHOP LONDON"] {
        assert!(shown.contains(visible), "{visible} not in {shown}");
    }
}

#[test]
fn logged_answers_hide_what_a_client_session_adds() {
    // A Payment merges the customer of its client session: fields we never send come back.
    let answer = json!({"id": "kHdEw9EG", "customer": {
        "taxId": "GB123456789", "nationalDocumentId": "AB123456C",
        "emailAddress": "ada@example.com", "mobileNumber": "+442079460011",
        "firstName": "Ada", "lastName": "Lovelace",
    }, "paymentMethod": {"paymentMethodData": {"externalPayerInfo": {
        "externalPayerId": "PAYER42", "email": "ada@example.com"}}}});
    let shown = mask_body(
        None,
        answer.to_string().as_bytes(),
        primer().wire_profile().sensitive_fields,
    );
    for personal in [
        "GB123456789",
        "AB123456C",
        "ada@example.com",
        "2079460011",
        "Ada",
        "Lovelace",
        "PAYER42",
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    assert!(shown.contains("kHdEw9EG"), "{shown}");
}
