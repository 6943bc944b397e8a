//! The payment details (customer, billing and shipping contacts, description, statement
//! descriptor, browser data) as Stripe receives them: each at the form key Stripe's 2024-04-10
//! document gives it, with the exact value; billing details only with a raw card; refusals
//! before anything is sent; nothing for what is absent; nothing personal in the logs.

#![allow(clippy::unwrap_used)]

use paybridge_core::details::{
    BrowserInfo, Contact, CountryCode, Customer, Email, PaymentDetail, Phone, PostalAddress,
};
use paybridge_core::http::{ContentType, Exchange, HttpResponse, Step};
use paybridge_core::masking::mask_body;
use paybridge_core::*;
use paybridge_stripe::Stripe;
use serde_json::json;

fn stripe() -> Stripe {
    let config = ConnectorConfig::new("http://sim.test/".parse().unwrap(), "sk_test_abc");
    Stripe::new(&config).unwrap()
}

fn card(holder: Option<&str>) -> PaymentMethod {
    PaymentMethod::Card(Card {
        number: CardNumber::new("4242424242424242").unwrap(),
        expiry: CardExpiry::new(6, 2031).unwrap(),
        cvc: Some(Cvc::new("100").unwrap()),
        holder_name: holder.map(str::to_owned),
    })
}

fn token() -> PaymentMethod {
    PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").unwrap())
}

fn request(method: PaymentMethod) -> AuthorizeRequest {
    let mut req = AuthorizeRequest::new(MinorUnit::new(1000).unwrap(), Currency::USD, method, "R1");
    req.idempotency_key = IdempotencyKey::new("key-1").unwrap();
    req
}

fn address(first: Option<&str>, line1: &str) -> PostalAddress {
    PostalAddress {
        first_name: first.map(str::to_owned),
        last_name: Some("Lovelace".into()),
        line1: Some(line1.into()),
        line2: Some("Flat 2".into()),
        line3: Some("Rear building".into()),
        city: Some("London".into()),
        state: Some("Greater London".into()),
        zip: Some("NW1 5LR".into()),
        country: Some(CountryCode::new("GB").unwrap()),
    }
}

/// Every detail set, each to a value of its own.
fn with_every_detail(mut req: AuthorizeRequest) -> AuthorizeRequest {
    req.customer = Some(Customer {
        id: Some("cust-42".into()),
        name: Some("Ada Customer".into()),
        email: Some(Email::new("ada.customer@example.com").unwrap()),
        phone: Some(Phone::new("2079460011", Some("+44")).unwrap()),
    });
    req.billing = Some(Contact {
        address: Some(address(Some("Billie"), "1 Billing Lane")),
        phone: Some(Phone::new("2079460022", Some("+44")).unwrap()),
        email: Some(Email::new("ada.billing@example.com").unwrap()),
    });
    req.shipping = Some(Contact {
        address: Some(address(Some("Shippa"), "2 Shipping Row")),
        phone: Some(Phone::new("2079460033", Some("+44")).unwrap()),
        email: Some(Email::new("ada.shipping@example.com").unwrap()),
    });
    req.description = Some("Order 77".into());
    req.statement_descriptor.name = Some("MARKERSHOP".into());
    req.statement_descriptor.suffix = Some("ORDER 77".into());
    req.browser_info = Some(BrowserInfo {
        ip_address: "203.0.113.77".parse().ok(),
        user_agent: Some("Mozilla/5.0".into()),
        ..BrowserInfo::default()
    });
    req
}

fn body<T>(exchange: &Exchange<T>) -> String {
    exchange.request().body_text().unwrap().to_owned()
}

fn pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// A raw card's two bodies: the PaymentMethod's, and the PaymentIntent's once Stripe has
/// answered the first with `pm_1Pm`.
fn card_bodies(req: &AuthorizeRequest) -> (String, String) {
    let first = stripe().authorize(req).unwrap();
    assert_eq!(first.request().url.path(), "/v1/payment_methods");
    let method = body(&first);
    let created = json!({"id": "pm_1Pm", "object": "payment_method", "type": "card"});
    let Step::Next(next) = first
        .parse(HttpResponse::new(200, created.to_string()))
        .unwrap()
    else {
        panic!("a raw card takes a second call");
    };
    assert_eq!(next.request().url.path(), "/v1/payment_intents");
    (method, body(&next))
}

fn refusal(req: &AuthorizeRequest) -> (&'static str, String) {
    match stripe().authorize(req) {
        Err(ConnectorError::InvalidRequest { field, message }) => (field, message),
        Err(other) => panic!("not an invalid request: {other:?}"),
        Ok(exchange) => panic!("sent: {}", body(&exchange)),
    }
}

/// The PaymentIntent's detail parameters, for a payment with every detail.
const INTENT_DETAILS: &str = "&description=Order+77&receipt_email=ada.customer@example.com\
     &shipping[name]=Shippa+Lovelace&shipping[phone]=%2B442079460033\
     &shipping[address][line1]=2+Shipping+Row&shipping[address][line2]=Flat+2,+Rear+building\
     &shipping[address][city]=London&shipping[address][state]=Greater+London\
     &shipping[address][postal_code]=NW1+5LR&shipping[address][country]=GB\
     &statement_descriptor_suffix=ORDER+77";

#[test]
fn a_raw_card_sends_billing_details_on_its_payment_method_and_the_rest_on_the_intent() {
    let req = with_every_detail(request(card(Some("J Smith"))));
    let (method, intent) = card_bodies(&req);
    assert_eq!(
        method,
        "type=card&card[number]=4242424242424242&card[exp_month]=6&card[exp_year]=2031\
         &card[cvc]=100&billing_details[name]=J+Smith\
         &billing_details[email]=ada.billing@example.com\
         &billing_details[phone]=%2B442079460022\
         &billing_details[address][line1]=1+Billing+Lane\
         &billing_details[address][line2]=Flat+2,+Rear+building\
         &billing_details[address][city]=London&billing_details[address][state]=Greater+London\
         &billing_details[address][postal_code]=NW1+5LR&billing_details[address][country]=GB"
    );
    assert_eq!(
        intent,
        format!(
            "amount=1000&currency=usd&confirm=true&capture_method=automatic\
             &payment_method=pm_1Pm&payment_method_types[]=card{INTENT_DETAILS}\
             &metadata[reference]=R1&expand[]=latest_charge"
        )
    );
    // Read back as a form decoder (and Stripe) reads them.
    let method = pairs(&method);
    for (key, value) in [
        ("billing_details[name]", "J Smith"),
        ("billing_details[email]", "ada.billing@example.com"),
        ("billing_details[phone]", "+442079460022"),
        ("billing_details[address][line1]", "1 Billing Lane"),
        ("billing_details[address][line2]", "Flat 2, Rear building"),
        ("billing_details[address][city]", "London"),
        ("billing_details[address][state]", "Greater London"),
        ("billing_details[address][postal_code]", "NW1 5LR"),
        ("billing_details[address][country]", "GB"),
    ] {
        assert!(method.contains(&(key.into(), value.into())), "{key}");
    }
    let intent = pairs(&intent);
    for (key, value) in [
        ("description", "Order 77"),
        ("receipt_email", "ada.customer@example.com"),
        ("shipping[name]", "Shippa Lovelace"),
        ("shipping[phone]", "+442079460033"),
        ("shipping[address][line1]", "2 Shipping Row"),
        ("shipping[address][line2]", "Flat 2, Rear building"),
        ("shipping[address][city]", "London"),
        ("shipping[address][state]", "Greater London"),
        ("shipping[address][postal_code]", "NW1 5LR"),
        ("shipping[address][country]", "GB"),
        ("statement_descriptor_suffix", "ORDER 77"),
    ] {
        assert!(intent.contains(&(key.into(), value.into())), "{key}");
    }
}

#[test]
fn a_token_sends_no_billing_details_and_the_same_intent() {
    let req = with_every_detail(request(token()));
    let exchange = stripe().authorize(&req).unwrap();
    assert_eq!(exchange.request().url.path(), "/v1/payment_intents");
    assert_eq!(
        body(&exchange),
        format!(
            "amount=1000&currency=usd&confirm=true&capture_method=automatic\
             &payment_method=pm_card_visa&payment_method_types[]=card{INTENT_DETAILS}\
             &metadata[reference]=R1&expand[]=latest_charge"
        )
    );
    assert!(!body(&exchange).contains("billing"));
    // One call: answered, the payment is done.
    let answer = json!({"id": "pi_1", "object": "payment_intent", "status": "succeeded",
                        "amount": 1000, "amount_received": 1000, "currency": "usd"});
    assert!(matches!(
        exchange.parse(HttpResponse::new(200, answer.to_string())),
        Ok(Step::Done(_))
    ));
}

#[test]
fn details_stripe_does_not_take_are_not_sent() {
    let req = with_every_detail(request(card(Some("J Smith"))));
    let (method, intent) = card_bodies(&req);
    let sent = format!("{method}&{intent}");
    for absent in [
        "cust-42",
        "Ada+Customer",
        "2079460011",
        "MARKERSHOP",
        "203.0.113.77",
        "Mozilla",
        "ada.shipping",
    ] {
        assert!(!sent.contains(absent), "{absent} in {sent}");
    }
    for (key, _) in pairs(&sent) {
        assert!(
            !["statement_descriptor", "customer"].contains(&key.as_str())
                && !key.starts_with("mandate_data")
                && !key.starts_with("payment_method_data"),
            "{key} sent"
        );
    }
}

#[test]
fn capabilities_declare_what_is_sent() {
    let caps = stripe().capabilities();
    assert_eq!(
        caps.forwarded_details,
        [
            PaymentDetail::CustomerEmail,
            PaymentDetail::BillingAddress,
            PaymentDetail::BillingPhone,
            PaymentDetail::BillingEmail,
            PaymentDetail::ShippingAddress,
            PaymentDetail::ShippingPhone,
            PaymentDetail::Description,
            PaymentDetail::StatementDescriptorSuffix,
        ]
    );
    assert!(caps
        .conditions(Flow::Authorize)
        .contains(&Condition::BillingDetailsWithCardsOnly));
}

#[test]
fn absent_and_blank_details_send_nothing() {
    // No holder and no billing contact: no billing_details at all.
    let mut req = request(card(None));
    let (method, intent) = card_bodies(&req);
    assert_eq!(
        method,
        "type=card&card[number]=4242424242424242&card[exp_month]=6&card[exp_year]=2031\
         &card[cvc]=100"
    );
    let bare = "amount=1000&currency=usd&confirm=true&capture_method=automatic\
                &payment_method=pm_1Pm&payment_method_types[]=card\
                &metadata[reference]=R1&expand[]=latest_charge";
    assert_eq!(intent, bare);

    // Contacts and a customer with nothing Stripe takes, and blank texts.
    req.customer = Some(Customer {
        id: Some("cust-42".into()),
        name: Some("Ada".into()),
        email: None,
        phone: None,
    });
    req.billing = Some(Contact::default());
    req.shipping = Some(Contact {
        email: Some(Email::new("ada@example.com").unwrap()),
        ..Contact::default()
    });
    req.description = Some("  ".into());
    req.statement_descriptor.suffix = Some(" ".into());
    let (method, intent) = card_bodies(&req);
    assert!(!method.contains("billing_details"), "{method}");
    assert_eq!(intent, bare);

    // An address with a blank line sends only the lines that say something.
    req.billing = Some(Contact {
        address: Some(PostalAddress {
            line1: Some(" ".into()),
            line3: Some("Rear building".into()),
            country: Some(CountryCode::new("FR").unwrap()),
            ..PostalAddress::default()
        }),
        ..Contact::default()
    });
    let (method, _) = card_bodies(&req);
    assert!(
        method.ends_with(
            "&card[cvc]=100&billing_details[address][line2]=Rear+building\
             &billing_details[address][country]=FR"
        ),
        "{method}"
    );
}

#[test]
fn the_billing_name_is_the_card_holder_else_the_billing_address_name() {
    let mut req = with_every_detail(request(card(None)));
    let (method, _) = card_bodies(&req);
    assert!(pairs(&method).contains(&("billing_details[name]".into(), "Billie Lovelace".into())));
    req.payment_method = card(Some("J Smith"));
    let (method, _) = card_bodies(&req);
    assert!(pairs(&method).contains(&("billing_details[name]".into(), "J Smith".into())));
    // A phone without a country code goes as its digits.
    req.billing = Some(Contact {
        phone: Some(Phone::new("(020) 7946-0022", None).unwrap()),
        ..Contact::default()
    });
    let (method, _) = card_bodies(&req);
    assert!(method.ends_with("&billing_details[name]=J+Smith&billing_details[phone]=02079460022"));
}

#[test]
fn shipping_needs_a_name_and_a_location() {
    let mut req = with_every_detail(request(token()));
    let shipping = req.shipping.as_mut().unwrap();
    let address = shipping.address.as_mut().unwrap();
    address.first_name = None;
    address.last_name = None;
    let (field, message) = refusal(&req);
    assert_eq!(field, "shipping.address.first_name");
    assert!(!message.contains("Shipping Row"), "{message}");

    // A last name alone names the recipient.
    let mut req = with_every_detail(request(token()));
    let address = req.shipping.as_mut().unwrap().address.as_mut().unwrap();
    address.first_name = None;
    let exchange = stripe().authorize(&req).unwrap();
    assert!(pairs(&body(&exchange)).contains(&("shipping[name]".into(), "Lovelace".into())));

    // A name without any part of a location.
    let mut req = request(token());
    req.shipping = Some(Contact {
        address: Some(PostalAddress {
            first_name: Some("Shippa".into()),
            ..PostalAddress::default()
        }),
        phone: Some(Phone::new("2079460033", Some("+44")).unwrap()),
        email: None,
    });
    let (field, message) = refusal(&req);
    assert_eq!(field, "shipping.address");
    assert!(
        !message.contains("Shippa") && !message.contains("2079460033"),
        "{message}"
    );

    // A phone alone: no recipient.
    req.shipping = Some(Contact {
        phone: Some(Phone::new("2079460033", Some("+44")).unwrap()),
        ..Contact::default()
    });
    assert_eq!(refusal(&req).0, "shipping.address.first_name");

    // The customer's name is not used in its place.
    req.customer = Some(Customer {
        name: Some("Ada Customer".into()),
        ..Customer::default()
    });
    assert_eq!(refusal(&req).0, "shipping.address.first_name");

    // Refused before the card's PaymentMethod is created.
    req.payment_method = card(Some("J Smith"));
    assert_eq!(refusal(&req).0, "shipping.address.first_name");
}

#[test]
fn address_lines_two_and_three_share_stripes_line2() {
    let mut req = request(token());
    let mut address = address(Some("Shippa"), "2 Shipping Row");
    address.line2 = None;
    req.shipping = Some(Contact {
        address: Some(address),
        ..Contact::default()
    });
    let sent = pairs(&body(&stripe().authorize(&req).unwrap()));
    assert!(sent.contains(&("shipping[address][line2]".into(), "Rear building".into())));
    assert!(!sent.iter().any(|(key, _)| key == "shipping[phone]"));
    assert!(!sent.iter().any(|(key, _)| key.contains("line3")));
}

#[test]
fn statement_descriptor_suffixes_follow_stripes_rules_or_are_refused() {
    let with_suffix = |suffix: &str| {
        let mut req = request(token());
        req.statement_descriptor.suffix = Some(suffix.into());
        req
    };
    // 22 characters, digits, spaces and allowed punctuation: sent unchanged.
    for ok in ["A", "ORDER-77 #12/B.C,D&E_F", "x1"] {
        let exchange = stripe().authorize(&with_suffix(ok)).unwrap();
        assert!(
            pairs(&body(&exchange)).contains(&("statement_descriptor_suffix".into(), ok.into())),
            "{ok}"
        );
    }
    let too_long = "ABCDEFGHIJKLMNOPQRSTUVW";
    assert_eq!(too_long.len(), 23);
    for bad in [
        too_long, "ORDER<7", "ORDER>7", "ORDER\\7", "ORDER'7", "ORDER\"7", "ORDER*7", "1234",
        "12 - 34", "CAFÉ", "ORDER\t7",
    ] {
        let (field, message) = refusal(&with_suffix(bad));
        assert_eq!(field, "statement_descriptor.suffix", "{bad}");
        assert!(!message.contains(bad), "{message}");
    }
    // The name alone is not sent, nor checked: Stripe refuses it on card payments.
    let mut req = request(token());
    req.statement_descriptor.name = Some("NOT*CHECKED".into());
    let exchange = stripe().authorize(&req).unwrap();
    assert!(!body(&exchange).contains("statement_descriptor"));
}

#[test]
fn logged_bodies_hide_personal_data() {
    let req = with_every_detail(request(card(Some("J Smith"))));
    let (method, intent) = card_bodies(&req);
    let sensitive = stripe().wire_profile().sensitive_fields;
    let shown = [method, intent]
        .iter()
        .map(|b| mask_body(Some(ContentType::Form), b.as_bytes(), sensitive))
        .collect::<Vec<_>>()
        .join("\n");
    for hidden in [
        "J+Smith",
        "J Smith",
        "Billie",
        "Shippa",
        "Lovelace",
        "ada.",
        "2079460022",
        "2079460033",
        "Billing Lane",
        "Shipping Row",
        "Flat 2",
        "NW1",
    ] {
        assert!(!shown.contains(hidden), "{hidden} in {shown}");
    }
    // Field names and places stay readable.
    assert!(shown.contains("shipping[address][city]=London"), "{shown}");
    assert!(
        shown.contains("statement_descriptor_suffix=ORDER 77"),
        "{shown}"
    );

    // Stripe's answers carry them back: masked by the same names.
    let address = json!({"line1": "2 Shipping Row", "line2": "Flat 2", "city": "London",
                         "state": null, "postal_code": "NW1 5LR", "country": "GB"});
    let answer = json!({
        "id": "pi_1", "object": "payment_intent", "receipt_email": "ada.customer@example.com",
        "shipping": {"name": "Shippa Lovelace", "phone": "+442079460033", "carrier": null,
                     "tracking_number": null, "address": address},
        "latest_charge": {"billing_details": {"name": "J Smith", "email": "ada.billing@example.com",
                          "phone": "+442079460022", "address": address}},
    });
    let shown = mask_body(None, answer.to_string().as_bytes(), sensitive);
    for hidden in [
        "ada.",
        "Shippa",
        "J Smith",
        "2079460033",
        "2079460022",
        "Shipping Row",
        "Flat 2",
        "NW1",
    ] {
        assert!(!shown.contains(hidden), "{hidden} in {shown}");
    }
    assert!(shown.contains("London"), "{shown}");
}

proptest::proptest! {
    /// Whatever the text of an address, a form decoder reads back exactly what was meant, at
    /// its own key.
    #[test]
    fn address_text_decodes_to_what_was_meant(
        name in "[&=+%\\[\\] #?/a-zA-Z0-9]{1,20}|\\PC{1,16}",
        line in "[&=+%\\[\\] #?/a-zA-Z0-9]{1,20}|\\PC{1,16}",
    ) {
        proptest::prop_assume!(!name.trim().is_empty() && !line.trim().is_empty());
        let mut req = request(token());
        req.shipping = Some(Contact {
            address: Some(PostalAddress {
                first_name: Some(name.clone()),
                line1: Some(line.clone()),
                ..PostalAddress::default()
            }),
            ..Contact::default()
        });
        let sent = pairs(&body(&stripe().authorize(&req).unwrap()));
        let shipping: Vec<_> = sent.into_iter().filter(|(k, _)| k.starts_with("shipping")).collect();
        proptest::prop_assert_eq!(
            shipping,
            vec![
                ("shipping[name]".to_owned(), name),
                ("shipping[address][line1]".to_owned(), line),
            ]
        );
    }
}
