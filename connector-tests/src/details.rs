//! Payment details with values that mark them: each detail of an authorization gets a value
//! that appears nowhere else, so what reached the processor shows which details a connector
//! forwards.

use paybridge_core::details::{
    BrowserInfo, Contact, CountryCode, Customer, Email, PaymentDetail, Phone, PostalAddress,
};
use paybridge_core::AuthorizeRequest;

use crate::traffic::RecordedExchange;

/// Fills every detail of `req` and answers, per detail, the text that shows it was sent.
pub fn every_detail(req: &mut AuthorizeRequest) -> Vec<(PaymentDetail, &'static str)> {
    use PaymentDetail as D;
    let marker = |detail: D| {
        MARKERS
            .iter()
            .find(|(d, _)| *d == detail)
            .map_or("", |(_, value)| *value)
    };
    let phone = |number: &str| Phone::new(number, Some("+44")).ok();
    let email = |address: &str| Email::new(address).ok();
    let address = |first: &str, line1: &str| PostalAddress {
        first_name: Some(first.to_owned()),
        last_name: Some("Lovelace".to_owned()),
        line1: Some(line1.to_owned()),
        line2: None,
        line3: None,
        city: Some("London".to_owned()),
        state: None,
        zip: Some("NW1 5LR".to_owned()),
        country: CountryCode::new("GB").ok(),
    };
    req.customer = Some(Customer {
        id: Some(marker(D::CustomerId).to_owned()),
        name: Some(marker(D::CustomerName).to_owned()),
        email: email(marker(D::CustomerEmail)),
        phone: phone(marker(D::CustomerPhone)),
    });
    req.billing = Some(Contact {
        address: Some(address("Billie", marker(D::BillingAddress))),
        phone: phone(marker(D::BillingPhone)),
        email: email(marker(D::BillingEmail)),
    });
    req.shipping = Some(Contact {
        address: Some(address("Shippa", marker(D::ShippingAddress))),
        phone: phone(marker(D::ShippingPhone)),
        email: None,
    });
    req.description = Some(marker(D::Description).to_owned());
    req.statement_descriptor.name = Some(marker(D::StatementDescriptorName).to_owned());
    req.statement_descriptor.suffix = Some(marker(D::StatementDescriptorSuffix).to_owned());
    req.browser_info = Some(BrowserInfo {
        ip_address: marker(D::IpAddress).parse().ok(),
        ..BrowserInfo::default()
    });
    MARKERS.to_vec()
}

/// Each detail [`every_detail`] fills in, and the text that shows it reached a processor.
pub const MARKERS: [(PaymentDetail, &str); 13] = [
    (PaymentDetail::CustomerId, "cust-marker-4711"),
    (PaymentDetail::CustomerName, "Ada Markername"),
    (PaymentDetail::CustomerEmail, "ada.customer@example.com"),
    (PaymentDetail::CustomerPhone, "2079460011"),
    (PaymentDetail::BillingAddress, "1 Billinglane"),
    (PaymentDetail::BillingPhone, "2079460022"),
    (PaymentDetail::BillingEmail, "ada.billing@example.com"),
    (PaymentDetail::ShippingAddress, "2 Shippingrow"),
    (PaymentDetail::ShippingPhone, "2079460033"),
    (PaymentDetail::Description, "Marker description 77"),
    (PaymentDetail::StatementDescriptorName, "MARKERSHOP"),
    (PaymentDetail::StatementDescriptorSuffix, "ORDER77"),
    (PaymentDetail::IpAddress, "203.0.113.77"),
];

/// The personal data [`every_detail`] fills in (written without spaces, so a form body shows
/// them as a JSON one does): never in a log.
pub const PERSONAL_DATA: &[&str] = &[
    "Markername",
    "ada.customer",
    "ada.billing",
    "2079460011",
    "2079460022",
    "2079460033",
    "Billinglane",
    "Shippingrow",
    "Billie",
    "Shippa",
    "203.0.113.77",
];

/// Every value the requests carried: the string and number leaves of JSON bodies, and the
/// decoded values of form bodies.
pub fn sent_values(exchanges: &[RecordedExchange]) -> Vec<String> {
    let mut values = Vec::new();
    for exchange in exchanges {
        let body = &exchange.request_body;
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
            leaves(&json, &mut values);
        } else {
            values.extend(url::form_urlencoded::parse(body).map(|(_, v)| v.into_owned()));
        }
    }
    values
}

fn leaves(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::{Currency, MinorUnit, PaymentMethod, PaymentMethodToken};

    #[test]
    fn every_detail_has_one_marker_found_only_in_its_own_field() {
        let token = PaymentMethodToken::new("pm_card_visa").expect("token");
        let mut req = AuthorizeRequest::new(
            MinorUnit::new(1000).expect("amount"),
            Currency::USD,
            PaymentMethod::Token(token),
            "ref",
        );
        let markers = every_detail(&mut req);
        assert_eq!(markers.len(), PaymentDetail::ALL.len());
        assert!(req.validate().is_ok());
        for (i, (_, a)) in markers.iter().enumerate() {
            for (j, (_, b)) in markers.iter().enumerate() {
                assert!(i == j || !a.contains(b), "{a} contains {b}");
            }
        }
    }

    #[test]
    fn values_come_from_json_leaves_and_decoded_forms() {
        let exchange = |body: &'static [u8]| RecordedExchange {
            method: "POST".into(),
            path: "/".into(),
            request_content_type: None,
            request_body: body.into(),
            status: 200,
            response_body: Default::default(),
        };
        let values = sent_values(&[
            exchange(br#"{"customer":{"email":"a@b.co","n":[7]}}"#),
            exchange(b"shipping[address][line1]=2+Shipping+Row&receipt_email=x%40y.z"),
        ]);
        assert_eq!(values, ["a@b.co", "7", "2 Shipping Row", "x@y.z"]);
    }
}
