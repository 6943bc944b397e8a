//! The payment details on Checkout.com's `POST /payments`: each at the path the published
//! document gives it (`specs/checkout-nas-payments-openapi.json`), with the exact value;
//! nothing for an absent detail; a value over a documented limit refused, by name, before
//! sending; and none of the personal values in the logged body.

#![allow(clippy::unwrap_used)]

use paybridge_checkout::Checkout;
use paybridge_core::details::{
    BrowserInfo, Contact, CountryCode, Customer, Email, PaymentDetail, Phone, PostalAddress,
};
use paybridge_core::masking::mask_body;
use paybridge_core::*;
use serde_json::{json, Value};

fn config(city: Option<&str>) -> ConnectorConfig {
    let mut config = ConnectorConfig::new("http://sim.test/".parse().unwrap(), "sk_sbox_test");
    config
        .extra
        .insert("processing_channel_id".into(), "pc_test".into());
    if let Some(city) = city {
        config
            .extra
            .insert("billing_descriptor_city".into(), city.into());
    }
    config
}

/// A connector with a billing descriptor city configured.
fn checkout() -> Checkout {
    Checkout::new(&config(Some("LONDON"))).unwrap()
}

fn card() -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: None,
        holder_name: None,
    })
}

fn token(token: &str) -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new(token).unwrap())
}

fn request(method: PaymentMethod) -> AuthorizeRequest {
    AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::GBP,
        method,
        "ORD-1",
    )
}

fn phone(number: &str) -> Option<Phone> {
    Some(Phone::new(number, Some("+44")).unwrap())
}

fn address(line1: &str) -> PostalAddress {
    PostalAddress {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        line1: Some(line1.into()),
        line2: Some("Flat 2".into()),
        line3: None,
        city: Some("London".into()),
        state: Some("Greater London".into()),
        zip: Some("NW1 5LR".into()),
        country: Some(CountryCode::new("GB").unwrap()),
    }
}

/// Every detail set, each with its own value.
fn with_every_detail(mut req: AuthorizeRequest) -> AuthorizeRequest {
    req.customer = Some(Customer {
        id: Some("cust-42".into()),
        name: Some("Ada Lovelace".into()),
        email: Some(Email::new("ada@example.com").unwrap()),
        phone: phone("2079460011"),
    });
    req.billing = Some(Contact {
        address: Some(address("1 Billing Lane")),
        phone: phone("2079460022"),
        email: Some(Email::new("billing@example.com").unwrap()),
    });
    req.shipping = Some(Contact {
        address: Some(address("2 Shipping Row")),
        phone: phone("2079460033"),
        email: Some(Email::new("shipping@example.com").unwrap()),
    });
    req.description = Some("Set of 3 masks".into());
    req.statement_descriptor.name = Some("PAYBRIDGE SHOP".into());
    req.statement_descriptor.suffix = Some("ORDER77".into());
    req.browser_info = Some(BrowserInfo {
        ip_address: Some("203.0.113.9".parse().unwrap()),
        user_agent: Some("Mozilla/5.0".into()),
        ..BrowserInfo::default()
    });
    req
}

fn sent(checkout: &Checkout, req: &AuthorizeRequest) -> Value {
    let exchange = checkout.authorize(req).unwrap();
    serde_json::from_str(exchange.request().body_text().unwrap()).unwrap()
}

fn refused(req: &AuthorizeRequest) -> &'static str {
    match checkout().authorize(req) {
        Err(ConnectorError::InvalidRequest { field, .. }) => field,
        Err(other) => panic!("expected an invalid request, got {other:?}"),
        Ok(_) => panic!("expected an invalid request, it was sent"),
    }
}

#[test]
fn every_forwarded_detail_lands_at_its_documented_path() {
    let body = sent(&checkout(), &with_every_detail(request(card())));
    let address = |line1: &str| {
        json!({
            "address_line1": line1,
            "address_line2": "Flat 2",
            "city": "London",
            "state": "Greater London",
            "zip": "NW1 5LR",
            "country": "GB"
        })
    };
    assert_eq!(
        body,
        json!({
            "source": {
                "type": "card",
                "number": "4242424242424242",
                "expiry_month": 6,
                "expiry_year": 2031,
                "billing_address": address("1 Billing Lane"),
                "phone": {"country_code": "+44", "number": "2079460022"}
            },
            "amount": 1000,
            "currency": "GBP",
            "capture": true,
            "authorization_type": "Final",
            "reference": "ORD-1",
            "description": "Set of 3 masks",
            "processing_channel_id": "pc_test",
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "billing_descriptor": {"name": "PAYBRIDGE SHOP", "city": "LONDON"},
            "shipping": {
                "address": address("2 Shipping Row"),
                "phone": {"country_code": "+44", "number": "2079460033"}
            },
            "payment_ip": "203.0.113.9"
        })
    );
}

#[test]
fn a_frames_token_carries_billing_details_and_a_stored_source_does_not() {
    let body = sent(
        &checkout(),
        &with_every_detail(request(token("tok_4gzeau5o2uqubbk6fufs3m7p54"))),
    );
    assert_eq!(body["source"]["type"], "token");
    assert_eq!(
        body["source"]["billing_address"]["address_line1"],
        "1 Billing Lane"
    );
    assert_eq!(
        body["source"]["phone"],
        json!({"country_code": "+44", "number": "2079460022"})
    );

    let body = sent(
        &checkout(),
        &with_every_detail(request(token("src_nwd3m4in3hkuddfpjsaevunhdy"))),
    );
    assert_eq!(
        body["source"],
        json!({"type": "id", "id": "src_nwd3m4in3hkuddfpjsaevunhdy"})
    );
    // The rest still goes.
    assert_eq!(
        body["shipping"]["address"]["address_line1"],
        "2 Shipping Row"
    );
    assert_eq!(body["customer"]["email"], "ada@example.com");
}

#[test]
fn no_detail_no_member_and_no_empty_object() {
    let bare = sent(&checkout(), &request(card()));
    for member in [
        "customer",
        "shipping",
        "billing_descriptor",
        "payment_ip",
        "description",
    ] {
        assert!(bare.get(member).is_none(), "{member} in {bare}");
    }
    assert!(bare["source"].get("billing_address").is_none());
    assert!(bare["source"].get("phone").is_none());

    // What has no place at Checkout.com makes no object: a customer id and phone, names
    // without an address, e-mails of contacts, a descriptor suffix, an IPv6 address.
    let mut req = request(card());
    req.customer = Some(Customer {
        id: Some("cust-42".into()),
        phone: phone("2079460011"),
        ..Customer::default()
    });
    let names_only = PostalAddress {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        ..PostalAddress::default()
    };
    req.billing = Some(Contact {
        address: Some(names_only.clone()),
        phone: None,
        email: Some(Email::new("billing@example.com").unwrap()),
    });
    req.shipping = Some(Contact {
        address: Some(names_only),
        phone: None,
        email: Some(Email::new("shipping@example.com").unwrap()),
    });
    req.statement_descriptor.suffix = Some("ORDER77".into());
    req.browser_info = Some(BrowserInfo {
        ip_address: Some("2001:db8::1".parse().unwrap()),
        ..BrowserInfo::default()
    });
    assert_eq!(sent(&checkout(), &req), bare);
}

#[test]
fn address_parts_map_one_by_one_and_line3_joins_line2() {
    let mut req = request(card());
    req.billing = Some(Contact {
        address: Some(PostalAddress {
            line1: Some("1 Main Street".into()),
            line2: Some("Building B".into()),
            line3: Some("Floor 3".into()),
            ..PostalAddress::default()
        }),
        ..Contact::default()
    });
    req.shipping = Some(Contact {
        address: Some(PostalAddress {
            line3: Some("c/o Reception".into()),
            country: Some(CountryCode::new("FR").unwrap()),
            ..PostalAddress::default()
        }),
        ..Contact::default()
    });
    let body = sent(&checkout(), &req);
    assert_eq!(
        body["source"]["billing_address"],
        json!({"address_line1": "1 Main Street", "address_line2": "Building B, Floor 3"})
    );
    assert_eq!(
        body["shipping"],
        json!({"address": {"address_line2": "c/o Reception", "country": "FR"}})
    );
}

#[test]
fn a_phone_without_a_country_code_sends_the_number_alone() {
    let mut req = request(card());
    req.shipping = Some(Contact {
        phone: Some(Phone::new("(020) 7946-0000", None).unwrap()),
        ..Contact::default()
    });
    assert_eq!(
        sent(&checkout(), &req)["shipping"],
        json!({"phone": {"number": "02079460000"}})
    );
}

#[test]
fn an_ipv4_mapped_address_is_sent_as_ipv4() {
    let mut req = request(card());
    req.browser_info = Some(BrowserInfo {
        ip_address: Some("::ffff:198.51.100.7".parse().unwrap()),
        ..BrowserInfo::default()
    });
    assert_eq!(sent(&checkout(), &req)["payment_ip"], "198.51.100.7");
}

#[test]
fn without_a_configured_city_no_descriptor_is_sent_or_declared() {
    let plain = Checkout::new(&config(None)).unwrap();
    let mut req = with_every_detail(request(card()));
    // Not sent, so not refused either.
    req.statement_descriptor.name = Some("N".repeat(40));
    let body = sent(&plain, &req);
    assert!(body.get("billing_descriptor").is_none(), "{body}");
    assert!(!plain
        .capabilities()
        .forwards_detail(PaymentDetail::StatementDescriptorName));
}

#[test]
fn capabilities_declare_exactly_what_is_sent() {
    use PaymentDetail::*;
    let forwarded = [
        CustomerName,
        CustomerEmail,
        BillingAddress,
        BillingPhone,
        ShippingAddress,
        ShippingPhone,
        Description,
        IpAddress,
    ];
    assert_eq!(
        Checkout::new(&config(None))
            .unwrap()
            .capabilities()
            .forwarded_details,
        forwarded
    );
    let mut with_descriptor = forwarded.to_vec();
    with_descriptor.push(StatementDescriptorName);
    with_descriptor.sort();
    assert_eq!(checkout().capabilities().forwarded_details, with_descriptor);
}

#[test]
fn the_descriptor_city_is_checked_when_configured() {
    for city in ["", "  ", "FOURTEEN CHARS"] {
        match Checkout::new(&config(Some(city))) {
            Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "billing_descriptor_city"),
            Err(other) => panic!("{city:?}: {other}"),
            Ok(_) => panic!("{city:?} was taken"),
        }
    }
    assert!(Checkout::new(&config(Some("THIRTEEN CHRS"))).is_ok());
}

#[test]
fn values_over_the_documented_limits_are_refused_by_name() {
    let long = |n: usize| "x".repeat(n);
    type Edit = Box<dyn Fn(&mut AuthorizeRequest, String)>;
    let billing = |f: fn(&mut PostalAddress, String)| -> Edit {
        Box::new(move |r, v| f(r.billing.as_mut().unwrap().address.as_mut().unwrap(), v))
    };
    let shipping = |f: fn(&mut PostalAddress, String)| -> Edit {
        Box::new(move |r, v| f(r.shipping.as_mut().unwrap().address.as_mut().unwrap(), v))
    };
    let cases: Vec<(&str, usize, Edit)> = vec![
        (
            "customer.name",
            255,
            Box::new(|r, v| r.customer.as_mut().unwrap().name = Some(v)),
        ),
        ("description", 100, Box::new(|r, v| r.description = Some(v))),
        (
            "statement_descriptor.name",
            25,
            Box::new(|r, v| r.statement_descriptor.name = Some(v)),
        ),
        (
            "billing.address.line1",
            200,
            billing(|a, v| a.line1 = Some(v)),
        ),
        (
            "billing.address.line2",
            200,
            billing(|a, v| a.line2 = Some(v)),
        ),
        ("billing.address.city", 50, billing(|a, v| a.city = Some(v))),
        ("billing.address.zip", 50, billing(|a, v| a.zip = Some(v))),
        (
            "shipping.address.line1",
            200,
            shipping(|a, v| a.line1 = Some(v)),
        ),
        (
            "shipping.address.line2",
            200,
            shipping(|a, v| a.line2 = Some(v)),
        ),
        (
            "shipping.address.city",
            50,
            shipping(|a, v| a.city = Some(v)),
        ),
        ("shipping.address.zip", 50, shipping(|a, v| a.zip = Some(v))),
    ];
    for (field, max, edit) in cases {
        // At the limit it is sent whole; one character more (counted in characters, not
        // bytes) is refused, naming the field.
        let mut req = with_every_detail(request(card()));
        edit(&mut req, "é".repeat(max));
        assert!(checkout().authorize(&req).is_ok(), "{field} at {max}");
        let mut req = with_every_detail(request(card()));
        edit(&mut req, long(max + 1));
        assert_eq!(refused(&req), field, "{field} over {max}");
    }
}

#[test]
fn the_joined_second_line_and_short_phones_are_refused_by_name() {
    let mut req = with_every_detail(request(card()));
    let billing = req.billing.as_mut().unwrap().address.as_mut().unwrap();
    billing.line2 = Some("x".repeat(100));
    billing.line3 = Some("y".repeat(98));
    // "line2, line3" is 200 characters: sent whole.
    let body = sent(&checkout(), &req);
    assert_eq!(
        body["source"]["billing_address"]["address_line2"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        200
    );
    let billing = req.billing.as_mut().unwrap().address.as_mut().unwrap();
    billing.line3 = Some("y".repeat(99));
    assert_eq!(refused(&req), "billing.address.line3");

    // Checkout.com's `PhoneNumber.number` has at least 6 characters; ours may have 4.
    let mut req = with_every_detail(request(card()));
    req.billing.as_mut().unwrap().phone = phone("12345");
    assert_eq!(refused(&req), "billing.phone");
    let mut req = with_every_detail(request(card()));
    req.shipping.as_mut().unwrap().phone = phone("12345");
    assert_eq!(refused(&req), "shipping.phone");
    req.shipping.as_mut().unwrap().phone = phone("123456");
    assert_eq!(
        sent(&checkout(), &req)["shipping"]["phone"]["number"],
        "123456"
    );
}

#[test]
fn refusals_carry_no_personal_data() {
    let mut req = with_every_detail(request(card()));
    let secret = format!("{}Marylebone", "z".repeat(200));
    req.shipping
        .as_mut()
        .unwrap()
        .address
        .as_mut()
        .unwrap()
        .line1 = Some(secret);
    let err = checkout().authorize(&req).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("Marylebone"), "{shown}");
}

#[test]
fn the_logged_body_shows_no_personal_value() {
    let checkout = checkout();
    let req = with_every_detail(request(card()));
    let exchange = checkout.authorize(&req).unwrap();
    let (content_type, body) = exchange.request().body.clone().unwrap();
    let logged = mask_body(
        Some(content_type),
        &body,
        checkout.wire_profile().sensitive_fields,
    );
    for personal in [
        "Ada Lovelace",
        "ada@example.com",
        "2079460022",
        "2079460033",
        "1 Billing Lane",
        "2 Shipping Row",
        "Flat 2",
        "NW1 5LR",
        "203.0.113.9",
        "PAYBRIDGE SHOP",
    ] {
        assert!(!logged.contains(personal), "{personal} in {logged}");
    }
    // Field names stay readable.
    for name in [
        "\"address_line1\":\"***\"",
        "\"email\":\"***\"",
        "\"payment_ip\":\"***\"",
        "\"number\":\"***\"",
    ] {
        assert!(logged.contains(name), "{name} not in {logged}");
    }
}
