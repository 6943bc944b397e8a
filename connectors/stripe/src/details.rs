//! The payment details an authorization passes on to Stripe (the crate docs list where each
//! one goes, and which are not sent and why), checked before anything is sent.

use paybridge_core::details::{Contact, PaymentDetail, PostalAddress, StatementDescriptor};
use paybridge_core::{AuthorizeRequest, ConnectorError};

use crate::wire;

/// What [`crate::Stripe`] forwards; the capabilities publish exactly this list.
pub const FORWARDED: [PaymentDetail; 8] = [
    PaymentDetail::CustomerEmail,
    PaymentDetail::BillingAddress,
    PaymentDetail::BillingPhone,
    PaymentDetail::BillingEmail,
    PaymentDetail::ShippingAddress,
    PaymentDetail::ShippingPhone,
    PaymentDetail::Description,
    PaymentDetail::StatementDescriptorSuffix,
];

/// Stripe's limit on a statement descriptor suffix (`maxLength: 22` in the document).
pub const MAX_SUFFIX: usize = 22;

/// Characters Stripe's statement descriptor rules forbid.
const FORBIDDEN_IN_DESCRIPTORS: &[char] = &['<', '>', '\\', '\'', '"', '*'];

/// A value worth sending: blank text is not sent, since Stripe reads an empty value as "unset".
fn given(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

fn owned(text: Option<&str>) -> Option<String> {
    given(text).map(str::to_owned)
}

/// Stripe's `address` hash, `None` when nothing of a location is given. Stripe has two lines:
/// a third line joins the second after a comma, so no part of the address is dropped.
fn address(address: &PostalAddress) -> Option<wire::Address> {
    let line2 = address.second_line().map(std::borrow::Cow::into_owned);
    let out = wire::Address {
        line1: owned(address.line1.as_deref()),
        line2,
        city: owned(address.city.as_deref()),
        state: owned(address.state.as_deref()),
        postal_code: owned(address.zip.as_deref()),
        country: address.country.map(|c| c.as_str().to_owned()),
    };
    (out != wire::Address::default()).then_some(out)
}

/// `receipt_email`: the customer's e-mail address.
pub fn receipt_email(req: &AuthorizeRequest) -> Option<String> {
    let email = req.customer.as_ref()?.email.as_ref()?;
    Some(email.as_str().to_owned())
}

/// `description`, unless blank.
pub fn description(req: &AuthorizeRequest) -> Option<String> {
    owned(req.description.as_deref())
}

/// `shipping` from the shipping contact. Stripe requires `name` and `address` whenever
/// `shipping` is sent, so a contact with an address or a phone but without the recipient's name
/// or without a location is refused before sending, naming the missing field. The name is never
/// taken from elsewhere (the customer): that would send the customer's name, which the
/// capabilities say is not forwarded. A contact with nothing Stripe's `shipping` carries (only
/// an e-mail address, which has no place there) sends no `shipping`.
pub fn shipping(contact: Option<&Contact>) -> Result<Option<wire::Shipping>, ConnectorError> {
    let given_address = contact.and_then(|c| c.address.as_ref());
    let name = given_address.and_then(PostalAddress::full_name);
    let location = given_address.and_then(address);
    let phone = contact.and_then(|c| c.phone.as_ref()).map(|p| p.e164());
    if name.is_none() && location.is_none() && phone.is_none() {
        return Ok(None);
    }
    let name = name.ok_or_else(|| {
        ConnectorError::invalid(
            "shipping.address.first_name",
            "Stripe requires the recipient's name with shipping details: give first_name or \
             last_name",
        )
    })?;
    let address = location.ok_or_else(|| {
        ConnectorError::invalid(
            "shipping.address",
            "Stripe requires an address (a line, city, state, zip or country) with shipping \
             details",
        )
    })?;
    Ok(Some(wire::Shipping {
        name,
        phone,
        address,
    }))
}

/// A raw card's `billing_details`: the name on the card, else the billing address's name; the
/// billing e-mail, phone (E.164 when its country code is known) and address. `None` when
/// nothing is given. Only a raw card's PaymentMethod takes them: a `pm_…` carries its own,
/// and the PaymentIntent has no billing fields.
pub fn billing_details(
    holder: Option<&str>,
    billing: Option<&Contact>,
) -> Option<wire::BillingDetails> {
    let billing_name = billing
        .and_then(|b| b.address.as_ref())
        .and_then(PostalAddress::full_name);
    let out = wire::BillingDetails {
        name: owned(holder).or(billing_name),
        email: billing
            .and_then(|b| b.email.as_ref())
            .map(|e| e.as_str().to_owned()),
        phone: billing.and_then(|b| b.phone.as_ref()).map(|p| p.e164()),
        address: billing.and_then(|b| b.address.as_ref()).and_then(address),
    };
    (out != wire::BillingDetails::default()).then_some(out)
}

/// `statement_descriptor_suffix`, checked against Stripe's rules for statement descriptors:
/// 1 to 22 characters (the document's `maxLength`), Latin characters only (printable ASCII
/// here: Stripe strips or refuses others, and a changed descriptor must not go out silently),
/// at least one letter, none of `< > \ ' " *`. Stripe also limits the whole descriptor (the
/// account's prefix, `* ` and the suffix) to 22 characters; only Stripe knows the prefix, so
/// that limit is Stripe's to check. Never truncated.
///
/// The descriptor's [`StatementDescriptor::name`] is not sent: every PaymentIntent here is a
/// card payment (`payment_method_types[]=card`), and for card charges the document directs to
/// `statement_descriptor_suffix`; Stripe refuses `statement_descriptor` on card PaymentIntents
/// with a 400 since 2024-01-02.
pub fn statement_descriptor_suffix(
    descriptor: &StatementDescriptor,
) -> Result<Option<String>, ConnectorError> {
    let Some(suffix) = given(descriptor.suffix.as_deref()) else {
        return Ok(None);
    };
    let refuse = |message: String| {
        Err(ConnectorError::invalid(
            "statement_descriptor.suffix",
            message,
        ))
    };
    let length = suffix.chars().count();
    if length > MAX_SUFFIX {
        return refuse(format!(
            "Stripe takes at most {MAX_SUFFIX} characters, got {length}"
        ));
    }
    if !suffix.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return refuse("Stripe takes only Latin letters, digits, spaces and punctuation".into());
    }
    if suffix.contains(FORBIDDEN_IN_DESCRIPTORS) {
        return refuse("Stripe refuses the characters < > \\ ' \" and *".into());
    }
    if !suffix.chars().any(|c| c.is_ascii_alphabetic()) {
        return refuse("Stripe requires at least one letter".into());
    }
    Ok(Some(suffix.to_owned()))
}
