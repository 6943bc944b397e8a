//! From Primer's answers to the unified vocabulary: statuses, amounts, declines, refunds,
//! client sessions and errors; and the other way, the payment details to Primer's `customer`.

use std::fmt;

use paybridge_core::details::{
    Contact, PostalAddress, BILLING_ADDRESS_FIELDS, SHIPPING_ADDRESS_FIELDS,
};
use paybridge_core::http::HttpResponse;
use paybridge_core::secrecy::SecretString;
use paybridge_core::*;

use crate::wire;

/// The longest string the v2.2 document allows in every field the payment details go to.
pub const MAX_TEXT: usize = 256;

/// Refuses a value outside `min..=MAX_TEXT` characters (JSON Schema counts characters). The
/// message names Primer's field, never the value.
pub fn text(
    field: &'static str,
    primer: fmt::Arguments<'_>,
    value: Option<&str>,
    min: usize,
) -> Result<(), ConnectorError> {
    match value.map(|v| v.chars().count()) {
        Some(len) if !(min..=MAX_TEXT).contains(&len) => Err(ConnectorError::invalid(
            field,
            format!("Primer's {primer} takes {min} to {MAX_TEXT} characters"),
        )),
        _ => Ok(()),
    }
}

/// Our error field names of an address's parts, in [`PostalAddress::parts`] order.
type PartNames = [&'static str; 8];

const BILLING: PartNames = BILLING_ADDRESS_FIELDS;
const SHIPPING: PartNames = SHIPPING_ADDRESS_FIELDS;

/// Primer's field for each part, in the same order, with its `minLength`
/// (`OptionalAddressAPISchema`). It has no third line: line 3 goes to `addressLine2`.
const PARTS: [(&str, usize); 8] = [
    ("firstName", 1),
    ("lastName", 1),
    ("addressLine1", 1),
    ("addressLine2", 0),
    ("addressLine2", 0),
    ("city", 1),
    ("state", 1),
    ("postalCode", 1),
];

/// One address as `OptionalAddressAPISchema`; `None` when nothing of it is given.
fn address<'a>(
    names: PartNames,
    object: &str,
    a: &'a PostalAddress,
) -> Result<Option<wire::Address<'a>>, ConnectorError> {
    for ((field, (part, min)), value) in names.into_iter().zip(PARTS).zip(a.parts()) {
        text(field, format_args!("customer.{object}.{part}"), value, min)?;
    }
    // Two lines at Primer: the third follows the second rather than being dropped.
    let line2 = a.second_line().map(std::borrow::Cow::into_owned);
    let joined = line2.as_deref();
    text(
        names[4],
        format_args!("customer.{object}.addressLine2 (line2, line3)"),
        joined,
        0,
    )?;
    let address = wire::Address {
        first_name: a.first_name.as_deref(),
        last_name: a.last_name.as_deref(),
        address_line1: a.line1.as_deref(),
        address_line2: line2,
        city: a.city.as_deref(),
        state: a.state.as_deref(),
        country_code: a.country.as_ref().map(|c| c.as_str()),
        postal_code: a.zip.as_deref(),
    };
    Ok((address != wire::Address::default()).then_some(address))
}

/// A contact's address, when it has one.
fn contact_address<'a>(
    contact: Option<&'a Contact>,
    names: PartNames,
    object: &str,
) -> Result<Option<wire::Address<'a>>, ConnectorError> {
    match contact.and_then(|c| c.address.as_ref()) {
        Some(a) => address(names, object, a),
        None => Ok(None),
    }
}

/// `customer` of a payment: the customer's e-mail (`emailAddress`) and phone (`mobileNumber`,
/// E.164 when the country code is known), the billing and shipping addresses. `None` when
/// none is given, so no empty object is sent. What is left out, and why: the crate docs.
pub fn customer(req: &AuthorizeRequest) -> Result<Option<wire::Customer<'_>>, ConnectorError> {
    let customer = req.customer.as_ref();
    let mobile_number = customer.and_then(|c| c.phone.as_ref()).map(|p| p.e164());
    let mobile = format_args!("customer.mobileNumber");
    text("customer.phone", mobile, mobile_number.as_deref(), 0)?;
    let out = wire::Customer {
        email_address: customer.and_then(|c| c.email.as_ref()).map(|e| e.as_str()),
        mobile_number,
        billing_address: contact_address(req.billing.as_ref(), BILLING, "billingAddress")?,
        shipping_address: contact_address(req.shipping.as_ref(), SHIPPING, "shippingAddress")?,
    };
    Ok((out != wire::Customer::default()).then_some(out))
}

/// A payment's unified status. `PARTIALLY_SETTLED` depends on whether anything is left to
/// capture; unknown statuses fall back to `processing` (a sync will tell).
pub fn status(payment: &wire::Payment, capturable: MinorUnit) -> PaymentStatus {
    match payment.status.as_str() {
        "PENDING" if payment.required_action.is_some() => PaymentStatus::RequiresCustomerAction,
        "AUTHORIZED" => PaymentStatus::RequiresCapture,
        "PARTIALLY_SETTLED" if !capturable.is_zero() => {
            PaymentStatus::PartiallyCapturedAndCapturable
        }
        "PARTIALLY_SETTLED" => PaymentStatus::PartiallyCaptured,
        "SETTLED" => PaymentStatus::Succeeded,
        "DECLINED" | "FAILED" => PaymentStatus::Failed,
        "CANCELLED" => PaymentStatus::Cancelled,
        _ => PaymentStatus::Processing,
    }
}

fn amount(value: Option<i64>, http_status: u16) -> Result<MinorUnit, ConnectorError> {
    MinorUnit::new(value.unwrap_or(0)).map_err(|e| ConnectorError::invalid_response(http_status, e))
}

/// Amounts: authorized = `amount`, received = `processor.amountCaptured`, refunded =
/// `processor.amountRefunded`, capturable = the rest while the payment can still be captured.
pub fn amounts(
    payment: &wire::Payment,
    http_status: u16,
) -> Result<PaymentAmounts, ConnectorError> {
    let processor = payment.processor.as_ref();
    let authorized = amount(payment.amount, http_status)?;
    let received = amount(processor.and_then(|p| p.amount_captured), http_status)?;
    let refunded = amount(processor.and_then(|p| p.amount_refunded), http_status)?;
    for t in &payment.transactions {
        amount(t.amount, http_status)?;
    }
    let capturable = match payment.status.as_str() {
        "AUTHORIZED" | "PARTIALLY_SETTLED" => authorized.checked_sub(received).unwrap_or_default(),
        _ => MinorUnit::ZERO,
    };
    Ok(PaymentAmounts {
        authorized,
        capturable,
        received,
        refunded,
    })
}

/// Maps a whole Payment, checking its currency against the one asked for, when known.
pub fn payment(
    wire: wire::Payment,
    expected: Option<Currency>,
    http_status: u16,
) -> Result<PaymentResponse, ConnectorError> {
    let bad = |message: String| ConnectorError::invalid_response(http_status, message);
    let currency = match (wire.currency_code.as_deref(), expected) {
        (Some(code), expected) => {
            let currency: Currency = code.parse().map_err(|e| bad(format!("{e}")))?;
            if expected.is_some_and(|e| e != currency) {
                return Err(bad(format!(
                    "answered in {currency}, asked in {expected:?}"
                )));
            }
            currency
        }
        (None, Some(currency)) => currency,
        (None, None) => return Err(bad("payment has no currency".into())),
    };
    let amounts = amounts(&wire, http_status)?;
    let status = status(&wire, amounts.capturable);
    let id = id(wire.id, http_status)?;
    let mut out = PaymentResponse::new(id, status, wire.status, currency);
    out.amounts = amounts;
    if status == PaymentStatus::RequiresCustomerAction {
        out.next_action = wire
            .required_action
            .map(|data| NextAction::InvokeSdkClient { data });
    }
    let method = wire.payment_method.unwrap_or_default();
    out.card_network = method
        .payment_method_data
        .and_then(|d| d.network)
        .as_deref()
        .and_then(network);
    if status == PaymentStatus::RequiresCapture {
        out.incremental_authorization_allowed =
            Some(method.authorization_type.as_deref() == Some("ESTIMATED"));
    }
    if status == PaymentStatus::Failed {
        out.decline = Some(decline(wire.status_reason.as_ref()));
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

fn network(name: &str) -> Option<CardNetwork> {
    match name.to_ascii_uppercase().replace([' ', '_'], "").as_str() {
        "VISA" => Some(CardNetwork::Visa),
        "MASTERCARD" => Some(CardNetwork::Mastercard),
        "AMEX" | "AMERICANEXPRESS" => Some(CardNetwork::Amex),
        "DISCOVER" => Some(CardNetwork::Discover),
        "JCB" => Some(CardNetwork::Jcb),
        "DINERS" | "DINERSCLUB" => Some(CardNetwork::Diners),
        "UNIONPAY" => Some(CardNetwork::UnionPay),
        _ => None,
    }
}

/// Decline details from `statusReason`: the unified reason from `code`, else from `type` and
/// `declineType`. `declineType` is kept as the advice code.
pub fn decline(reason: Option<&wire::StatusReason>) -> DeclineDetails {
    let reason = reason.cloned().unwrap_or_default();
    let unified = match reason.code.as_deref().unwrap_or_default() {
        "INSUFFICIENT_FUNDS" => DeclineCode::InsufficientFunds,
        "EXPIRED_CARD" => DeclineCode::ExpiredCard,
        "INVALID_CARD_NUMBER" => DeclineCode::InvalidCard,
        "LOST_OR_STOLEN_CARD" => DeclineCode::LostOrStolen,
        "SUSPECTED_FRAUD" => DeclineCode::Fraud,
        "DO_NOT_HONOR" | "REFER_TO_CARD_ISSUER" => DeclineCode::DoNotHonor,
        "WITHDRAWAL_LIMIT_EXCEEDED" => DeclineCode::LimitExceeded,
        "ISSUER_TEMPORARILY_UNAVAILABLE" => DeclineCode::TryAgainLater,
        "AUTHENTICATION_REQUIRED" => DeclineCode::AuthenticationRequired,
        "ERROR" => DeclineCode::ProcessingError,
        _ => match (reason.kind.as_deref(), reason.decline_type.as_deref()) {
            (Some("APPLICATION_ERROR"), _) => DeclineCode::ProcessingError,
            (Some("GATEWAY_REJECTED"), _) => DeclineCode::RiskRejected,
            (_, Some("SOFT_DECLINE")) => DeclineCode::DoNotHonor,
            _ => DeclineCode::Generic,
        },
    };
    let mut details = DeclineDetails::new(reason.code, reason.message, unified);
    details.advice_code = reason.decline_type;
    details
}

/// The refund status of a REFUND transaction's `processorStatus`.
pub fn refund_status(processor_status: Option<&str>) -> RefundStatus {
    match processor_status {
        Some("SETTLED") => RefundStatus::Succeeded,
        Some("FAILED" | "DECLINED") => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

/// The refund `refund_id` (or, with `None`, the newest refund) among the payment's REFUND
/// transactions; `Ok(None)` when there is none.
pub fn refund(
    payment: &wire::Payment,
    refund_id: Option<&str>,
    http_status: u16,
) -> Result<Option<RefundResponse>, ConnectorError> {
    let mut refunds = payment.transactions.iter().filter(|t| t.is_refund());
    let found = match refund_id {
        Some(wanted) => refunds.rfind(|t| t.processor_transaction_id.as_deref() == Some(wanted)),
        // The newest by date; on a tie (or no dates) the later in the list.
        None => refunds.max_by(|a, b| a.date.cmp(&b.date)),
    };
    let Some(t) = found else { return Ok(None) };
    let status = refund_status(t.processor_status.as_deref());
    let raw_status = t.processor_status.clone().unwrap_or_default();
    Ok(Some(RefundResponse {
        connector_refund_id: id(
            t.processor_transaction_id.clone().unwrap_or_default(),
            http_status,
        )?,
        status,
        amount: t.amount.map(|a| amount(Some(a), http_status)).transpose()?,
        failure_reason: (status == RefundStatus::Failed).then(|| {
            let reason = t.processor_status_reason.as_ref();
            reason
                .and_then(|r| r.message.clone().or(r.code.clone()))
                .unwrap_or_else(|| raw_status.clone())
        }),
        raw_status,
    }))
}

/// A non-2xx answer as a typed error, keeping `errorId`, `description` and `diagnosticsId`.
///
/// - An unknown payment is `NotFound` in both forms it may take: the v2.2 document's 400
///   `PaymentError` "The payment could not be found" (get, capture, cancel, refund, resume),
///   and a 404 (listed for adjust-authorization; Primer's status table says 404 is "entity not
///   found"). So does an `errorId` naming a missing payment (`PaymentNotFound…`).
/// - Any other 400 `PaymentError` is `InvalidState`: on these operations it is the payment's
///   state or balance that refused the request, since malformed bodies are 422
///   `RequestValidationError`. So are ids that name a state rule (`PaymentNotCapturable`,
///   `…NotAllowed`, `…CannotBe…`, `…AlreadySettled`).
/// - A reused idempotency key is [`ConnectorError::IdempotencyConflict`].
pub fn error(resp: &HttpResponse) -> ConnectorError {
    // Gateways answer 401/5xx with empty or HTML bodies: an odd body is not a parse failure.
    let body: wire::ErrorBody = serde_json::from_slice(&resp.body).unwrap_or_default();
    let error_id = body.error.error_id.unwrap_or_default();
    let description = body
        .error
        .description
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let detail = ProcessorMessage {
        http_status: Some(resp.status),
        codes: (!error_id.is_empty())
            .then(|| error_id.clone())
            .into_iter()
            .collect(),
        message: body.error.description,
        request_id: body.error.diagnostics_id,
    };
    let id = error_id.to_ascii_lowercase();
    let state = [
        "state",
        "status",
        "notallowed",
        "cannot",
        "already",
        "notcapturable",
        "notcancellable",
        "notcancelable",
        "notrefundable",
        "notresumable",
        "notadjustable",
    ];
    let payment_error = id == "paymenterror";
    let missing = id.contains("paymentnotfound")
        || (payment_error
            && ["not found", "not be found"]
                .iter()
                .any(|s| description.contains(s)));
    let kind = match resp.status {
        // `IdempotencyKeyAlreadyExists` (409; older docs: 400
        // `TransactionRequestIdempotencyKeyAlreadyExists`): the key was used, never replayed.
        400..=499 if id.contains("idempotencykey") => {
            return ConnectorError::IdempotencyConflict { detail }
        }
        400 | 404 | 422 if missing => RejectionKind::NotFound,
        400 if payment_error => RejectionKind::InvalidState,
        400 | 422 if state.iter().any(|s| id.contains(s)) => RejectionKind::InvalidState,
        _ => return resp.error(detail),
    };
    ConnectorError::Rejected { kind, detail }
}

/// Parses a 2xx JSON body or maps the error.
pub fn body<T: serde::de::DeserializeOwned>(resp: &HttpResponse) -> Result<T, ConnectorError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    resp.json()
}

/// The retry hint: never retry a 409, whatever the policy (a reused key can only conflict).
pub fn retry_hint(resp: &HttpResponse) -> Option<bool> {
    (resp.status == 409).then_some(false)
}

/// Reads the answer to `POST /client-session`: Primer's client token, one
/// [`WalletSession::ClientToken`] per wallet asked for (the same token: Primer's checkout opens
/// every wallet with it), expiring when `clientTokenExpirationDate` says (`clientExpirationDate`
/// in the examples of Primer's guides). An answer for another order or currency is not the
/// session asked for. The amount is not compared: Primer may add fees (surcharges) to it.
pub fn client_session(
    resp: &HttpResponse,
    wallets: &[Wallet],
    order_id: &str,
    currency: Currency,
) -> Result<SessionTokenResponse, ConnectorError> {
    let session: wire::ClientSession = body(resp)?;
    let bad = |message: &str| ConnectorError::invalid_response(resp.status, message);
    let token = session
        .client_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| bad("the client session has no clientToken"))?;
    if session.order_id.as_deref().is_some_and(|id| id != order_id) {
        return Err(bad("the client session answered is for another orderId"));
    }
    if session
        .currency_code
        .as_deref()
        .is_some_and(|code| code != currency.code())
    {
        return Err(bad("the client session answered is in another currency"));
    }
    let expires_at = session
        .client_token_expiration_date
        .or(session.client_expiration_date)
        .filter(|date| !date.trim().is_empty());
    let client_token = SecretString::from(token);
    let sessions = wallets
        .iter()
        .map(|&wallet| WalletSession::ClientToken {
            wallet,
            client_token: client_token.clone(),
            expires_at: expires_at.clone(),
        })
        .collect();
    Ok(SessionTokenResponse { sessions })
}
