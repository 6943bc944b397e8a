//! From Checkout.com's answers to the unified vocabulary: statuses, amounts, decline codes,
//! errors; and the payment details onto its payment request, within its documented limits.

use std::net::IpAddr;

use paybridge_core::authentication::ExternalAuthentication;
use paybridge_core::details::{Contact, Phone, PostalAddress};
use paybridge_core::http::HttpResponse;
use paybridge_core::time::format_description::well_known::Rfc3339;
use paybridge_core::time::OffsetDateTime;
use paybridge_core::*;

use crate::wire;

/// A payment's unified status from Checkout's `status`, its redirect link and balances.
///
/// `Authorized` means "awaiting capture" for a manual-capture payment but "capture still in
/// flight" for an automatic one. Unknown statuses fall back to `processing`: a sync will tell.
pub fn payment_status(payment: &wire::Payment, capture: CaptureMethod) -> PaymentStatus {
    let balances = payment.balances.unwrap_or_default();
    match payment.status.as_str() {
        "Pending" if payment.links.redirect.is_some() => PaymentStatus::RequiresCustomerAction,
        "Pending" | "Retry Scheduled" => PaymentStatus::Processing,
        "Authorized" if capture == CaptureMethod::Automatic => PaymentStatus::Processing,
        "Authorized" if payment.response_code.as_deref() == Some("10010") => {
            PaymentStatus::PartiallyAuthorizedAndRequiresCapture
        }
        "Authorized" => PaymentStatus::RequiresCapture,
        "Card Verified" | "Captured" | "Paid" => PaymentStatus::Succeeded,
        // A refund renames the payment whatever was captured: the balances tell.
        "Partially Refunded" | "Refunded" if balances.available_to_capture > 0 => {
            PaymentStatus::PartiallyCapturedAndCapturable
        }
        "Partially Refunded" | "Refunded"
            if balances.total_captured > 0
                && balances.total_captured < balances.total_authorized =>
        {
            PaymentStatus::PartiallyCaptured
        }
        "Partially Refunded" | "Refunded" => PaymentStatus::Succeeded,
        "Partially Captured" if balances.available_to_capture > 0 => {
            PaymentStatus::PartiallyCapturedAndCapturable
        }
        "Partially Captured" => PaymentStatus::PartiallyCaptured,
        "Voided" | "Canceled" => PaymentStatus::Cancelled,
        "Expired" => PaymentStatus::Expired,
        "Declined" => PaymentStatus::Failed,
        _ => PaymentStatus::Processing,
    }
}

/// Maps a whole payment body.
pub fn payment(
    wire: wire::Payment,
    capture: CaptureMethod,
    expected_currency: Option<Currency>,
    http_status: u16,
) -> Result<PaymentResponse, ConnectorError> {
    let status = payment_status(&wire, capture);
    let currency = match (&wire.currency, expected_currency) {
        (Some(code), expected) => {
            let currency: Currency = code
                .parse()
                .map_err(|e| ConnectorError::invalid_response(http_status, e))?;
            if expected.is_some_and(|e| e != currency) {
                return Err(ConnectorError::invalid_response(
                    http_status,
                    format!("answered in {currency}, asked in {expected:?}"),
                ));
            }
            currency
        }
        (None, Some(currency)) => currency,
        (None, None) => {
            return Err(ConnectorError::invalid_response(
                http_status,
                "payment has no currency",
            ))
        }
    };
    let id = id(wire.id, http_status)?;
    let mut out = PaymentResponse::new(id, status, wire.status, currency);
    if let Some(balances) = wire.balances {
        out.amounts = amounts(&balances, http_status)?;
    }
    out.expires_at = timestamp(wire.expires_on.as_deref());
    out.next_action = wire
        .links
        .redirect
        .and_then(|link| link.href)
        .map(|url| NextAction::RedirectToUrl { url });
    out.network_transaction_id = wire.scheme_id;
    out.card_network = wire
        .source
        .and_then(|s| s.scheme)
        .as_deref()
        .and_then(network);
    out.connector_action_id = wire.action_id;
    if status == PaymentStatus::Failed {
        out.decline = Some(decline(wire.response_code, wire.response_summary));
    }
    Ok(out)
}

/// A processor id, which must not be empty: later calls put it in a URL path.
pub fn id(id: String, http_status: u16) -> Result<String, ConnectorError> {
    if id.trim().is_empty() {
        return Err(ConnectorError::invalid_response(http_status, "empty id"));
    }
    Ok(id)
}

/// Unified amounts from Checkout's balances. Every balance is checked, mapped or not: one
/// negative balance means the answer cannot be trusted.
pub fn amounts(
    balances: &wire::Balances,
    http_status: u16,
) -> Result<PaymentAmounts, ConnectorError> {
    let m =
        |v: i64| MinorUnit::new(v).map_err(|e| ConnectorError::invalid_response(http_status, e));
    m(balances.total_voided)?;
    m(balances.available_to_void)?;
    m(balances.available_to_refund)?;
    Ok(PaymentAmounts {
        authorized: m(balances.total_authorized)?,
        capturable: m(balances.available_to_capture)?,
        received: m(balances.total_captured)?,
        refunded: m(balances.total_refunded)?,
    })
}

/// A refund as its action in `GET /payments/{id}/actions` tells it: `approved` true
/// succeeded, false failed, absent pending; a failed refund's reason is its response summary
/// (or code).
pub fn refund_action(
    action: wire::Action,
    http_status: u16,
) -> Result<RefundResponse, ConnectorError> {
    let status = match action.approved {
        Some(true) => RefundStatus::Succeeded,
        Some(false) => RefundStatus::Failed,
        None => RefundStatus::Pending,
    };
    let failure_reason = (status == RefundStatus::Failed)
        .then(|| action.response_summary.or(action.response_code))
        .flatten();
    Ok(RefundResponse {
        connector_refund_id: id(action.id, http_status)?,
        status,
        amount: action
            .amount
            .map(MinorUnit::new)
            .transpose()
            .map_err(|e| ConnectorError::invalid_response(http_status, e))?,
        failure_reason,
        raw_status: action.kind.unwrap_or_default(),
    })
}

/// The `Refund` action requested with `reference`, the newest when there are several (the
/// actions come newest first), mapped; `None` when there is none.
pub fn refund_by_reference(
    actions: Vec<wire::Action>,
    reference: &str,
    http_status: u16,
) -> Result<Option<RefundResponse>, ConnectorError> {
    actions
        .into_iter()
        .find(|a| a.kind.as_deref() == Some("Refund") && a.reference.as_deref() == Some(reference))
        .map(|action| refund_action(action, http_status))
        .transpose()
}

/// What one page of a search tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page<T> {
    /// The item searched for.
    Found(T),
    /// Not on this page, and no page follows.
    End,
    /// Not on this page; the next one starts at this offset (`skip`).
    More(u64),
}

/// One page of `GET /payments?reference=` read at offset `skip` with `limit`: the payment whose
/// reference is exactly `reference` (Checkout's matching rules are not documented \[U\], so
/// every entry is checked; the newest match wins, as the list comes newest first), else
/// whether another page may hold it. Without `total_count`, a full page means there may be
/// more.
pub fn payment_page(
    list: wire::PaymentList,
    reference: &str,
    skip: u64,
    limit: u64,
    http_status: u16,
) -> Result<Page<String>, ConnectorError> {
    let count = list.data.len() as u64;
    if let Some(found) = list
        .data
        .into_iter()
        .find(|p| p.reference.as_deref() == Some(reference))
    {
        return id(found.id, http_status).map(Page::Found);
    }
    let seen = skip.saturating_add(count);
    let more = match list.total_count {
        Some(total) => count > 0 && seen < total,
        None => count >= limit,
    };
    Ok(if more { Page::More(seen) } else { Page::End })
}

/// Parses an RFC 3339 timestamp; a malformed one is dropped rather than failing the payment.
pub fn timestamp(text: Option<&str>) -> Option<OffsetDateTime> {
    text.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

/// A card network from Checkout's `scheme`.
pub fn network(scheme: &str) -> Option<CardNetwork> {
    match scheme.to_ascii_lowercase().as_str() {
        "visa" => Some(CardNetwork::Visa),
        "mastercard" => Some(CardNetwork::Mastercard),
        "amex" | "american express" => Some(CardNetwork::Amex),
        "discover" => Some(CardNetwork::Discover),
        "jcb" => Some(CardNetwork::Jcb),
        "diners" | "diners club international" => Some(CardNetwork::Diners),
        "unionpay" | "china union pay" => Some(CardNetwork::UnionPay),
        _ => None,
    }
}

/// Decline details from a `response_code`: 2xxxx soft declines, 3xxxx hard, 4xxxx risk.
pub fn decline(code: Option<String>, summary: Option<String>) -> DeclineDetails {
    let unified = match code.as_deref().unwrap_or_default() {
        "20051" => DeclineCode::InsufficientFunds,
        "20054" | "30033" => DeclineCode::ExpiredCard,
        "20014" | "20087" => DeclineCode::InvalidCard,
        "200N7" => DeclineCode::IncorrectCvc,
        "20012" | "20057" | "20058" | "20062" => DeclineCode::TransactionNotAllowed,
        "20059" | "20063" => DeclineCode::Fraud,
        "20061" | "20065" => DeclineCode::LimitExceeded,
        "20068" | "20091" => DeclineCode::TryAgainLater,
        "20154" => DeclineCode::AuthenticationRequired,
        "20153" => DeclineCode::ProcessingError,
        "30004" | "30041" | "30043" => DeclineCode::LostOrStolen,
        c if c.starts_with('2') => DeclineCode::DoNotHonor,
        c if c.starts_with('4') => DeclineCode::RiskRejected,
        c if c.starts_with('5') => DeclineCode::ProcessingError,
        _ => DeclineCode::Generic,
    };
    DeclineDetails::new(code, summary, unified)
}

/// A non-2xx answer as a typed error, keeping Checkout's codes.
pub fn error(resp: &HttpResponse) -> ConnectorError {
    // 401 has an empty body, 403/404 often too: a missing or odd body is not a parse failure.
    let body: wire::ErrorBody = serde_json::from_slice(&resp.body).unwrap_or_default();
    let mut codes = body.error_codes;
    if codes.is_empty() {
        codes.extend(body.error_type.clone());
    }
    let detail = ProcessorMessage {
        http_status: Some(resp.status),
        codes,
        message: body.error_type,
        request_id: body
            .request_id
            .or_else(|| resp.header("cko-request-id").map(str::to_owned)),
    };
    match resp.status {
        // Checkout answers 403 for an action the payment's state does not allow
        // ("Capture not allowed", "Void not allowed", increments after capture).
        403 => ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            detail,
        },
        _ => resp.error(detail),
    }
}

/// Parses a 2xx JSON body or maps the error.
pub fn body<T: serde::de::DeserializeOwned>(resp: &HttpResponse) -> Result<T, ConnectorError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    resp.json()
}

/// `value`, unless it is longer than the `max` characters Checkout.com documents for `field`.
pub fn at_most<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, ConnectorError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ConnectorError::invalid(
            field,
            format!("Checkout.com allows at most {max} characters"),
        )),
        other => Ok(other),
    }
}

/// The unified field names of one contact, for errors.
struct ContactFields {
    line1: &'static str,
    line2: &'static str,
    line3: &'static str,
    city: &'static str,
    zip: &'static str,
    phone: &'static str,
}

const BILLING: ContactFields = ContactFields {
    line1: "billing.address.line1",
    line2: "billing.address.line2",
    line3: "billing.address.line3",
    city: "billing.address.city",
    zip: "billing.address.zip",
    phone: "billing.phone",
};

const SHIPPING: ContactFields = ContactFields {
    line1: "shipping.address.line1",
    line2: "shipping.address.line2",
    line3: "shipping.address.line3",
    city: "shipping.address.city",
    zip: "shipping.address.zip",
    phone: "shipping.phone",
};

/// `Address`: no names (the document has none), and a third line joined to the second, since
/// the document has two lines; `None` when there is nothing but names.
fn address<'a>(
    a: &'a PostalAddress,
    names: &ContactFields,
) -> Result<Option<wire::Address<'a>>, ConnectorError> {
    if a.has_no_location() {
        return Ok(None);
    }
    let line2 = a.second_line();
    if line2.as_deref().is_some_and(|l| l.chars().count() > 200) {
        return Err(ConnectorError::invalid(
            if a.line3.is_some() {
                names.line3
            } else {
                names.line2
            },
            "Checkout.com allows at most 200 characters in its second address line, which \
             carries line2 and line3 joined",
        ));
    }
    Ok(Some(wire::Address {
        address_line1: at_most(names.line1, a.line1.as_deref(), 200)?,
        address_line2: line2,
        city: at_most(names.city, a.city.as_deref(), 50)?,
        state: a.state.as_deref(),
        zip: at_most(names.zip, a.zip.as_deref(), 50)?,
        country: a.country.as_ref().map(|c| c.as_str()),
    }))
}

/// `PhoneNumber`: the digits and the `+44` calling code; Checkout.com wants 6 digits at least.
fn phone<'a>(p: &'a Phone, field: &'static str) -> Result<wire::Phone<'a>, ConnectorError> {
    if p.number.len() < 6 {
        return Err(ConnectorError::invalid(
            field,
            "Checkout.com needs a number of at least 6 digits",
        ));
    }
    Ok(wire::Phone {
        country_code: p.country_code.as_deref(),
        number: &p.number,
    })
}

/// A contact's address and phone (its e-mail has no place at Checkout.com).
fn contact<'a>(
    c: Option<&'a Contact>,
    names: &ContactFields,
) -> Result<(Option<wire::Address<'a>>, Option<wire::Phone<'a>>), ConnectorError> {
    let Some(c) = c else {
        return Ok((None, None));
    };
    let address = c.address.as_ref().map(|a| address(a, names)).transpose()?;
    let phone = c
        .phone
        .as_ref()
        .map(|p| phone(p, names.phone))
        .transpose()?;
    Ok((address.flatten(), phone))
}

/// The billing contact as a card or token source carries it.
pub fn billing(req: &AuthorizeRequest) -> Result<wire::Billing<'_>, ConnectorError> {
    let (billing_address, phone) = contact(req.billing.as_ref(), &BILLING)?;
    Ok(wire::Billing {
        billing_address,
        phone,
    })
}

/// `customer` {`email`, `name`}: the merchant's customer id and the phone have no place in
/// the document's `CustomerRequest`.
pub fn customer(req: &AuthorizeRequest) -> Result<Option<wire::Customer<'_>>, ConnectorError> {
    let Some(c) = &req.customer else {
        return Ok(None);
    };
    let customer = wire::Customer {
        email: c.email.as_ref().map(|e| e.as_str()),
        name: at_most("customer.name", c.name.as_deref(), 255)?,
    };
    Ok((customer.email.is_some() || customer.name.is_some()).then_some(customer))
}

/// `shipping` {`address`, `phone`}.
pub fn shipping(req: &AuthorizeRequest) -> Result<Option<wire::Shipping<'_>>, ConnectorError> {
    let (address, phone) = contact(req.shipping.as_ref(), &SHIPPING)?;
    Ok((address.is_some() || phone.is_some()).then_some(wire::Shipping { address, phone }))
}

/// `billing_descriptor` {`name`, `city`}: both are required, and the city (where the charge
/// originated: the merchant's) comes from the configuration; without one nothing is sent.
pub fn billing_descriptor<'a>(
    req: &'a AuthorizeRequest,
    city: Option<&'a str>,
) -> Result<Option<wire::BillingDescriptor<'a>>, ConnectorError> {
    let (Some(name), Some(city)) = (req.statement_descriptor.name.as_deref(), city) else {
        return Ok(None);
    };
    at_most("statement_descriptor.name", Some(name), 25)?;
    Ok(Some(wire::BillingDescriptor { name, city }))
}

/// The `3ds` object of a payment request: the third-party members when `req` carries an
/// external 3DS result, `{"enabled": true}` when Checkout.com is to authenticate, else none.
pub fn three_ds(req: &AuthorizeRequest) -> Result<Option<wire::ThreeDs<'_>>, ConnectorError> {
    if let Some(auth) = &req.external_authentication {
        return third_party(auth).map(|third_party| {
            Some(wire::ThreeDs {
                enabled: true,
                third_party: Some(third_party),
            })
        });
    }
    Ok(
        (req.three_ds == ThreeDsPreference::Required).then_some(wire::ThreeDs {
            enabled: true,
            third_party: None,
        }),
    )
}

/// `3dsRequestThirdParty`'s members from an external result (`specs/checkout-tokens-openapi.json`):
/// `eci` (≤ 2, required), `cryptogram` (≤ 50), `xid` (≤ 100), `version` (≤ 10), `status` (one
/// character), `status_reason_code` (two), `flow_type`. A value the schema does not take is an
/// [`ConnectorError::InvalidRequest`] naming the field, before anything is sent; no message
/// repeats a value.
pub fn third_party(auth: &ExternalAuthentication) -> Result<wire::ThirdParty<'_>, ConnectorError> {
    if !auth.status.authenticated() {
        return Err(ConnectorError::invalid(
            "external_authentication.status",
            "only an authenticated (Y) or attempted (A) result is sent to Checkout.com",
        ));
    }
    let eci = required_text("external_authentication.eci", auth.eci.as_deref(), 2)?;
    let cryptogram = required_text(
        "external_authentication.authentication_value",
        Some(auth.authentication_value.expose()),
        50,
    )?;
    let xid = required_text(
        "external_authentication.ds_transaction_id",
        Some(&auth.ds_transaction_id),
        100,
    )?;
    let version = required_text(
        "external_authentication.message_version",
        Some(&auth.message_version),
        10,
    )?;
    let status_reason_code = match auth.status_reason.as_deref() {
        Some(reason) if reason.chars().count() != 2 => {
            return Err(ConnectorError::invalid(
                "external_authentication.status_reason",
                "Checkout.com's status_reason_code is exactly 2 characters",
            ))
        }
        reason => reason,
    };
    Ok(wire::ThirdParty {
        eci,
        cryptogram: wire::Cryptogram(cryptogram),
        xid,
        version,
        status: auth.status.code(),
        status_reason_code,
        flow_type: if auth.challenged {
            "challenged"
        } else {
            "frictionless"
        },
    })
}

/// A value Checkout.com's third-party `3ds` requires: present, not blank, at most `max`
/// characters.
fn required_text<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<&'a str, ConnectorError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(at_most(field, Some(v), max)?.unwrap_or(v)),
        _ => Err(ConnectorError::invalid(
            field,
            "Checkout.com requires it with a third-party 3DS result",
        )),
    }
}

/// `payment_ip`, which the document types `format: ipv4`: an IPv4 address, or one written as
/// IPv4-mapped IPv6; another IPv6 address is not sent.
pub fn payment_ip(req: &AuthorizeRequest) -> Option<String> {
    match req.browser_info.as_ref()?.ip_address? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(|v4| v4.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_payment(json: &str) -> wire::Payment {
        serde_json::from_str(json).expect("valid payment")
    }

    #[test]
    fn statuses_depend_on_capture_method_links_and_balances() {
        let authorized = wire_payment(r#"{"id":"pay_1","status":"Authorized"}"#);
        assert_eq!(
            payment_status(&authorized, CaptureMethod::Manual),
            PaymentStatus::RequiresCapture
        );
        assert_eq!(
            payment_status(&authorized, CaptureMethod::Automatic),
            PaymentStatus::Processing
        );
        let pending = wire_payment(
            r#"{"id":"pay_1","status":"Pending","_links":{"redirect":{"href":"https://3ds"}}}"#,
        );
        assert_eq!(
            payment_status(&pending, CaptureMethod::Manual),
            PaymentStatus::RequiresCustomerAction
        );
        let partial = wire_payment(
            r#"{"id":"pay_1","status":"Partially Captured","balances":{"available_to_capture":5}}"#,
        );
        assert_eq!(
            payment_status(&partial, CaptureMethod::Manual),
            PaymentStatus::PartiallyCapturedAndCapturable
        );
        let weird = wire_payment(r#"{"id":"pay_1","status":"Something New"}"#);
        assert_eq!(
            payment_status(&weird, CaptureMethod::Manual),
            PaymentStatus::Processing
        );
    }

    #[test]
    fn a_refunded_payment_reads_as_its_balances_say() {
        let status = |balances: &str| {
            let json =
                format!(r#"{{"id":"pay_1","status":"Partially Refunded","balances":{balances}}}"#);
            payment_status(&wire_payment(&json), CaptureMethod::Manual)
        };
        assert_eq!(
            status(
                r#"{"total_authorized":10000,"total_captured":6000,"available_to_capture":4000,"total_refunded":2500}"#
            ),
            PaymentStatus::PartiallyCapturedAndCapturable
        );
        assert_eq!(
            status(
                r#"{"total_authorized":10000,"total_captured":6000,"available_to_capture":0,"total_refunded":2500}"#
            ),
            PaymentStatus::PartiallyCaptured
        );
        assert_eq!(
            status(r#"{"total_authorized":10000,"total_captured":10000,"total_refunded":2500}"#),
            PaymentStatus::Succeeded
        );
        let refunded = wire_payment(r#"{"id":"pay_1","status":"Refunded"}"#);
        assert_eq!(
            payment_status(&refunded, CaptureMethod::Manual),
            PaymentStatus::Succeeded
        );
    }

    fn list(total: Option<u64>, references: &[&str]) -> wire::PaymentList {
        wire::PaymentList {
            total_count: total,
            data: references
                .iter()
                .enumerate()
                .map(|(i, r)| wire::ListedPayment {
                    id: format!("pay_{i}"),
                    reference: (!r.is_empty()).then(|| (*r).to_owned()),
                })
                .collect(),
        }
    }

    #[test]
    fn a_payment_page_finds_the_exact_reference_or_says_where_to_go_on() {
        let page = |total, refs: &[&str], skip| payment_page(list(total, refs), "R1", skip, 3, 200);
        assert_eq!(
            page(Some(3), &["R10", "", "R1"], 0),
            Ok(Page::Found("pay_2".into()))
        );
        assert_eq!(page(Some(3), &["R10", "r1", "R"], 0), Ok(Page::End));
        assert_eq!(page(Some(7), &["R10", "r1", "R"], 0), Ok(Page::More(3)));
        assert_eq!(page(Some(7), &["R10", "r1", "R"], 3), Ok(Page::More(6)));
        assert_eq!(page(Some(7), &["R10"], 6), Ok(Page::End));
        // An empty page ends the search whatever total_count claims.
        assert_eq!(page(Some(7), &[], 3), Ok(Page::End));
        // Without total_count: a full page may have a successor, a short one has none.
        assert_eq!(page(None, &["a", "b", "c"], 0), Ok(Page::More(3)));
        assert_eq!(page(None, &["a", "b"], 0), Ok(Page::End));
        let empty_id = wire::PaymentList {
            total_count: Some(1),
            data: vec![wire::ListedPayment {
                id: " ".into(),
                reference: Some("R1".into()),
            }],
        };
        assert!(matches!(
            payment_page(empty_id, "R1", 0, 3, 200),
            Err(ConnectorError::InvalidResponse { .. })
        ));
    }

    #[test]
    fn response_code_families() {
        let code = |c: &str| decline(Some(c.into()), None).unified;
        assert_eq!(code("20051"), DeclineCode::InsufficientFunds);
        assert_eq!(code("20005"), DeclineCode::DoNotHonor);
        assert_eq!(code("20999"), DeclineCode::DoNotHonor);
        assert!(code("20999").is_soft());
        assert_eq!(code("30041"), DeclineCode::LostOrStolen);
        assert!(!code("30099").is_soft());
        assert_eq!(code("40101"), DeclineCode::RiskRejected);
    }

    #[test]
    fn errors_keep_codes_and_request_ids() {
        let resp = HttpResponse::new(
            422,
            r#"{"request_id":"0HL80","error_type":"request_invalid","error_codes":["payment_source_required"]}"#,
        );
        let err = error(&resp);
        assert!(
            matches!(
                err,
                ConnectorError::Rejected {
                    kind: RejectionKind::Validation,
                    ..
                }
            ),
            "{err:?}"
        );
        let detail = err.processor_message().expect("detail");
        assert_eq!(detail.code(), Some("payment_source_required"));
        assert_eq!(detail.request_id.as_deref(), Some("0HL80"));
        assert!(matches!(
            error(&HttpResponse::new(401, "")),
            ConnectorError::Authentication(_)
        ));
        assert!(matches!(
            error(&HttpResponse::new(403, "")),
            ConnectorError::Rejected {
                kind: RejectionKind::InvalidState,
                ..
            }
        ));
        assert!(matches!(
            error(&HttpResponse::new(502, "<html>")),
            ConnectorError::Processor { .. }
        ));
    }
}
