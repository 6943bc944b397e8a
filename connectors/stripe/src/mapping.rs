//! Between Stripe and the unified vocabulary: amounts and currencies both ways, statuses,
//! decline codes, errors.

use paybridge_core::http::HttpResponse;
use paybridge_core::time::OffsetDateTime;
use paybridge_core::*;
use serde::de::DeserializeOwned;

use crate::wire;

/// Why a currency's amounts cannot be exchanged with Stripe unchanged: Stripe's API counts it in
/// another unit than ISO 4217 (and so `MinorUnit`) does. Refused rather than scaled, so an amount
/// is never silently multiplied or divided by 100 on its way.
fn unit_mismatch(currency: Currency) -> Option<&'static str> {
    match currency {
        Currency::ISK => Some("Stripe counts ISK in hundredths, paybridge in whole krónur"),
        Currency::MGA => Some("Stripe counts MGA in whole ariary, paybridge in hundredths"),
        _ => None,
    }
}

/// `amount` as Stripe's integer for `currency`: the same number, since Stripe counts every
/// supported currency in its ISO minor unit, except the unit mismatches above (refused). Stripe
/// takes three-decimal currencies (KWD, BHD, …) only in tens of the minor unit: another last
/// digit cannot be sent exactly, so it is refused rather than rounded. HUF and TWD are
/// zero-decimal at Stripe for payouts only; charges take their two decimals unchanged.
pub fn wire_amount(
    field: &'static str,
    amount: MinorUnit,
    c: Currency,
) -> Result<i64, ConnectorError> {
    sendable(c)?;
    if c.exponent() == 3 && amount.get() % 10 != 0 {
        let message = format!("Stripe takes {c} amounts in multiples of 10, not {amount}");
        return Err(ConnectorError::invalid(field, message));
    }
    Ok(amount.get())
}

/// The currencies [`sendable`] refuses.
pub fn unsendable_currencies() -> Vec<String> {
    Currency::all()
        .iter()
        .filter(|c| unit_mismatch(**c).is_some())
        .map(|c| c.code().to_owned())
        .collect()
}

/// The currencies [`wire_amount`] takes only in multiples of 10: the three-decimal ones.
pub fn tens_only_currencies() -> Vec<String> {
    Currency::all()
        .iter()
        .filter(|c| c.exponent() == 3)
        .map(|c| c.code().to_owned())
        .collect()
}

/// Refuses a currency whose amounts Stripe counts in another unit, before anything is sent.
pub fn sendable(currency: Currency) -> Result<(), ConnectorError> {
    match unit_mismatch(currency) {
        Some(why) => Err(ConnectorError::invalid(
            "currency",
            format!("{why}: refused, not scaled"),
        )),
        None => Ok(()),
    }
}

/// A currency Stripe answered with: known, exchangeable unchanged, and the one asked for.
pub fn currency(
    code: &str,
    expected: Option<Currency>,
    http_status: u16,
) -> Result<Currency, ConnectorError> {
    let currency: Currency = code
        .parse()
        .map_err(|e| ConnectorError::invalid_response(http_status, e))?;
    if let Some(why) = unit_mismatch(currency) {
        return Err(ConnectorError::invalid_response(http_status, why));
    }
    if expected.is_some_and(|e| e != currency) {
        return Err(ConnectorError::invalid_response(
            http_status,
            format!("answered in {currency}, asked in {expected:?}"),
        ));
    }
    Ok(currency)
}

/// An amount Stripe answered with; a negative one means the answer cannot be trusted.
pub fn minor(value: i64, http_status: u16) -> Result<MinorUnit, ConnectorError> {
    MinorUnit::new(value).map_err(|e| ConnectorError::invalid_response(http_status, e))
}

/// A processor id, which must not be empty: later calls put it in a URL path.
pub fn id(id: String, http_status: u16) -> Result<String, ConnectorError> {
    if id.trim().is_empty() {
        return Err(ConnectorError::invalid_response(http_status, "empty id"));
    }
    Ok(id)
}

/// A PaymentIntent's unified status. `requires_payment_method` after a failed attempt
/// (`last_payment_error` set) is `failed`; a capture that took less than the amount is
/// `partially_captured`; captured money on a still capturable intent (multicapture) is
/// `partially_captured_and_capturable`. Unknown statuses fall back to `processing`.
pub fn payment_status(status: &str, amount: i64, received: i64, failed: bool) -> PaymentStatus {
    match status {
        "requires_payment_method" if failed => PaymentStatus::Failed,
        "requires_payment_method" => PaymentStatus::RequiresPaymentMethod,
        "requires_confirmation" => PaymentStatus::RequiresConfirmation,
        "requires_action" => PaymentStatus::RequiresCustomerAction,
        "requires_capture" if received > 0 => PaymentStatus::PartiallyCapturedAndCapturable,
        "requires_capture" => PaymentStatus::RequiresCapture,
        "succeeded" if received < amount => PaymentStatus::PartiallyCaptured,
        "succeeded" => PaymentStatus::Succeeded,
        "canceled" => PaymentStatus::Cancelled,
        _ => PaymentStatus::Processing,
    }
}

/// A PaymentIntent's `(amount_capturable, amount_received)`: as Stripe gave them, else derived,
/// since the document does not require them and reading an absent one as zero would show an
/// automatically captured payment as a partial capture of nothing, and an authorization as
/// nothing to capture.
///
/// - `amount_received` absent: the expanded charge's `amount_captured` when there is one (it
///   tells a partial capture apart); else the whole `amount` once `succeeded`, 0 otherwise.
/// - `amount_capturable` absent: what remains of `amount` in `requires_capture`, 0 otherwise.
/// - `processing` (and any status we do not know) has no verdict yet: 0 and 0 unless Stripe
///   says otherwise; the `processing` status tells the caller to sync, not to act on them.
pub fn intent_amounts(
    status: &str,
    amount: i64,
    capturable: Option<i64>,
    received: Option<i64>,
    charge_captured: Option<i64>,
) -> (i64, i64) {
    let received = received.or(charge_captured).unwrap_or(match status {
        "succeeded" => amount,
        _ => 0,
    });
    let capturable = capturable.unwrap_or(match status {
        "requires_capture" => amount.saturating_sub(received).max(0),
        _ => 0,
    });
    (capturable, received)
}

/// Maps a whole PaymentIntent, reading the expanded `latest_charge` when there is one.
pub fn payment(
    pi: wire::PaymentIntent,
    expected: Option<Currency>,
    http_status: u16,
) -> Result<PaymentResponse, ConnectorError> {
    let currency = currency(&pi.currency, expected, http_status)?;
    let charge_captured = match &pi.latest_charge {
        Some(wire::LatestCharge::Expanded(charge)) => charge.amount_captured,
        _ => None,
    };
    let (wire_capturable, wire_received) = intent_amounts(
        &pi.status,
        pi.amount,
        pi.amount_capturable,
        pi.amount_received,
        charge_captured,
    );
    let (amount, capturable, received) = (
        minor(pi.amount, http_status)?,
        minor(wire_capturable, http_status)?,
        minor(wire_received, http_status)?,
    );
    let status = payment_status(
        &pi.status,
        pi.amount,
        wire_received,
        pi.last_payment_error.is_some(),
    );
    let authorized = matches!(pi.status.as_str(), "requires_capture" | "succeeded");
    let mut out = PaymentResponse::new(id(pi.id, http_status)?, status, pi.status, currency);
    out.amounts = PaymentAmounts {
        authorized: if authorized { amount } else { MinorUnit::ZERO },
        capturable,
        received,
        refunded: MinorUnit::ZERO,
    };
    match pi.latest_charge {
        Some(wire::LatestCharge::Id(charge)) => out.connector_action_id = Some(charge),
        Some(wire::LatestCharge::Expanded(charge)) => {
            out.amounts.refunded = minor(charge.amount_refunded, http_status)?;
            out.connector_action_id = Some(charge.id);
            if let Some(card) = charge.payment_method_details.and_then(|d| d.card) {
                out.capture_before = card
                    .capture_before
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
                out.extended_authorization_applied =
                    flag(card.extended_authorization, "enabled", "disabled");
                if status == PaymentStatus::RequiresCapture {
                    out.incremental_authorization_allowed =
                        flag(card.incremental_authorization, "available", "unavailable");
                }
                out.card_network = card.network.or(card.brand).as_deref().and_then(network);
                out.network_transaction_id = card.network_transaction_id;
            }
        }
        None => {}
    }
    out.next_action = pi
        .next_action
        .filter(|a| a.kind == "redirect_to_url")
        .and_then(|a| a.redirect_to_url?.url)
        .map(|url| NextAction::RedirectToUrl { url });
    if status == PaymentStatus::Failed {
        out.decline = Some(decline(pi.last_payment_error.unwrap_or_default()));
    }
    Ok(out)
}

fn flag(feature: Option<wire::FeatureStatus>, yes: &str, no: &str) -> Option<bool> {
    match feature?.status.as_str() {
        s if s == yes => Some(true),
        s if s == no => Some(false),
        _ => None,
    }
}

fn network(name: &str) -> Option<CardNetwork> {
    match name {
        "visa" => Some(CardNetwork::Visa),
        "mastercard" => Some(CardNetwork::Mastercard),
        "amex" => Some(CardNetwork::Amex),
        "discover" => Some(CardNetwork::Discover),
        "jcb" => Some(CardNetwork::Jcb),
        "diners" => Some(CardNetwork::Diners),
        "unionpay" => Some(CardNetwork::UnionPay),
        _ => None,
    }
}

/// Maps a Refund. `pending` and `requires_action` are pending; `failed` and `canceled` failed.
pub fn refund(
    refund: wire::Refund,
    expected: Option<Currency>,
    http_status: u16,
) -> Result<RefundResponse, ConnectorError> {
    currency(&refund.currency, expected, http_status)?;
    let raw_status = refund.status.unwrap_or_default();
    let status = match raw_status.as_str() {
        "succeeded" => RefundStatus::Succeeded,
        "failed" | "canceled" => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    };
    Ok(RefundResponse {
        connector_refund_id: id(refund.id, http_status)?,
        status,
        amount: Some(minor(refund.amount, http_status)?),
        failure_reason: (status == RefundStatus::Failed)
            .then(|| refund.failure_reason.unwrap_or_else(|| raw_status.clone())),
        raw_status,
    })
}

/// Stripe's enum value for a free-text reason, sent only when the text already is one of
/// `allowed` (ignoring case and surrounding spaces): a guess could mislabel a payment as
/// `fraudulent`, which also blocks the card in Radar.
pub fn reason(text: Option<&str>, allowed: &[&'static str]) -> Option<&'static str> {
    let text = text?.trim();
    allowed
        .iter()
        .copied()
        .find(|r| r.eq_ignore_ascii_case(text))
}

/// Decline details from a card error: `decline_code` (the issuer's reason) before `code`.
pub fn decline(error: wire::ApiError) -> DeclineDetails {
    let unified = [error.decline_code.as_deref(), error.code.as_deref()]
        .into_iter()
        .flatten()
        .find_map(unified)
        .unwrap_or(DeclineCode::Generic);
    DeclineDetails {
        code: error.decline_code.or(error.code),
        message: error.message,
        network_decline_code: error.network_decline_code,
        advice_code: error.advice_code.or(error.network_advice_code),
        unified,
    }
}

/// A failed refund's `failure_reason` as decline details.
pub fn refund_failure(reason: Option<String>) -> DeclineDetails {
    let unified = reason.as_deref().and_then(unified);
    DeclineDetails::new(reason, None, unified.unwrap_or(DeclineCode::Generic))
}

fn unified(code: &str) -> Option<DeclineCode> {
    Some(match code {
        "insufficient_funds" => DeclineCode::InsufficientFunds,
        "do_not_honor" | "call_issuer" | "declined" => DeclineCode::DoNotHonor,
        "expired_card" | "expired_or_canceled_card" => DeclineCode::ExpiredCard,
        "incorrect_cvc" | "invalid_cvc" => DeclineCode::IncorrectCvc,
        "incorrect_number"
        | "invalid_number"
        | "invalid_account"
        | "invalid_expiry_month"
        | "invalid_expiry_year" => DeclineCode::InvalidCard,
        "lost_card" | "stolen_card" | "pickup_card" | "lost_or_stolen_card" => {
            DeclineCode::LostOrStolen
        }
        "fraudulent" => DeclineCode::Fraud,
        "highest_risk_level" | "elevated_risk_level" => DeclineCode::RiskRejected,
        "authentication_required" | "authentication_not_handled" => {
            DeclineCode::AuthenticationRequired
        }
        "transaction_not_allowed"
        | "card_not_supported"
        | "currency_not_supported"
        | "not_permitted"
        | "service_not_allowed"
        | "restricted_card" => DeclineCode::TransactionNotAllowed,
        "card_velocity_exceeded" | "withdrawal_count_limit_exceeded" => DeclineCode::LimitExceeded,
        "try_again_later" | "issuer_not_available" | "reenter_transaction" | "approve_with_id" => {
            DeclineCode::TryAgainLater
        }
        "processing_error" => DeclineCode::ProcessingError,
        _ => return None,
    })
}

/// `code`s meaning "not in this state", whatever the HTTP status (400 or 402).
const STATE_CODES: &[&str] = &[
    "payment_intent_unexpected_state",
    "charge_already_captured",
    "charge_already_refunded",
    "charge_expired_for_capture",
    "charge_disputed",
    "payment_intent_payment_attempt_expired",
];

/// A non-2xx answer as a typed error, keeping `code`, `decline_code`, `type` and `param` (as
/// `param:<name>`) in that order, and the `Request-Id` header. `idempotency_error` (a key reused
/// with other parameters, 400) and `idempotency_key_in_use` (the first request is still running,
/// 409) are both `IdempotencyConflict`; the first code tells them apart. 424 (a dependency
/// outside Stripe failed) is a processor failure; everything else follows the HTTP status.
pub fn error(resp: &HttpResponse) -> ConnectorError {
    error_with(resp, |message| message)
}

/// [`error`], with Stripe's message passed through `message` first (the wallet paths take out
/// anything that could echo a token).
pub fn error_with(resp: &HttpResponse, message: impl FnOnce(String) -> String) -> ConnectorError {
    let e = serde_json::from_slice::<wire::ErrorBody>(&resp.body)
        .unwrap_or_default()
        .error;
    let code = e.code.as_deref().unwrap_or_default();
    let idempotency =
        e.kind.as_deref() == Some("idempotency_error") || code == "idempotency_key_in_use";
    let state = STATE_CODES.contains(&code);
    let mut codes: Vec<String> = [e.code, e.decline_code, e.kind]
        .into_iter()
        .flatten()
        .collect();
    codes.extend(e.param.map(|p| format!("param:{p}")));
    let detail = ProcessorMessage {
        http_status: Some(resp.status),
        codes,
        message: e.message.map(message),
        request_id: resp.header("request-id").map(str::to_owned),
    };
    match resp.status {
        400..=499 if idempotency => ConnectorError::IdempotencyConflict { detail },
        400 | 402 if state => ConnectorError::Rejected {
            kind: RejectionKind::InvalidState,
            detail,
        },
        424 => ConnectorError::Processor {
            detail,
            outcome_unknown: false,
        },
        _ => resp.error(detail),
    }
}

/// The 3DS versions Stripe's 2024-04-10 document takes in
/// `payment_method_options[card][three_d_secure][version]`.
pub const THREE_DS_VERSIONS: [&str; 3] = ["1.0.2", "2.1.0", "2.2.0"];

/// The ECIs the same document takes in `[electronic_commerce_indicator]`.
pub const ECIS: [&str; 5] = ["01", "02", "05", "06", "07"];

/// `payment_method_options[card][three_d_secure]` from an external 3DS result, checked against
/// Stripe's 2024-04-10 document before anything is sent; a refusal names the unified field and
/// never repeats the authentication value.
///
/// - `cryptogram`: the CAVV; `transaction_id`: the directory server's transaction id (Stripe:
///   "For 3D Secure 2, the Directory Server Transaction ID (dsTransID)"); both at most 5000.
/// - `version`: one of [`THREE_DS_VERSIONS`]. `2.3.0` and `2.3.1` are refused: the pinned
///   document's enum lacks them (later API versions list them).
/// - `electronic_commerce_indicator`: one of [`ECIS`], or not sent when the result has none.
/// - `ares_trans_status`: the ARes's `transStatus`, so the result's `Y` or `A` for a
///   frictionless authentication. After a challenge the ARes said `C` (or `D`, decoupled) and
///   the result's status is the RReq's: the unified result does not say which, so nothing is
///   sent (the parameter is optional).
pub fn three_d_secure(
    auth: &authentication::ExternalAuthentication,
) -> Result<wire::ThreeDSecure, ConnectorError> {
    if !auth.status.authenticated() {
        return Err(ConnectorError::invalid(
            "external_authentication.status",
            "only an authenticated (Y) or attempted (A) result is sent to Stripe",
        ));
    }
    let transaction_id = auth.ds_transaction_id.trim();
    if transaction_id.is_empty() || transaction_id.chars().count() > 5000 {
        return Err(ConnectorError::invalid(
            "external_authentication.ds_transaction_id",
            "Stripe requires a transaction_id of 1 to 5000 characters",
        ));
    }
    let version = THREE_DS_VERSIONS
        .into_iter()
        .find(|v| *v == auth.message_version)
        .ok_or_else(|| {
            ConnectorError::invalid(
                "external_authentication.message_version",
                format!(
                    "Stripe (API version 2024-04-10) takes 3DS versions {}; {:?} is not among \
                     them (2.3.x is listed by later API versions only)",
                    THREE_DS_VERSIONS.join(", "),
                    auth.message_version
                ),
            )
        })?;
    let electronic_commerce_indicator = match auth.eci.as_deref() {
        None => None,
        Some(eci) => Some(ECIS.into_iter().find(|e| *e == eci).ok_or_else(|| {
            ConnectorError::invalid(
                "external_authentication.eci",
                format!(
                    "Stripe takes the ECIs {}; {eci:?} is not among them",
                    ECIS.join(", ")
                ),
            )
        })?),
    };
    Ok(wire::ThreeDSecure {
        cryptogram: auth.authentication_value.expose().to_owned(),
        transaction_id: auth.ds_transaction_id.clone(),
        version,
        electronic_commerce_indicator,
        ares_trans_status: (!auth.challenged).then(|| auth.status.code()),
    })
}

/// Parses a 2xx JSON body or maps the error.
pub fn body<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T, ConnectorError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    resp.json()
}

/// A 402 `card_error`: the issuer's verdict, and the PaymentIntent Stripe embedded in it when
/// it reads as one. Only `type: card_error` is a verdict: a 402 `invalid_request_error` (e.g.
/// raw card numbers from an account without raw card data access) is a validation rejection
/// ([`error`]) on every path, whatever it embeds.
pub fn card_decline(resp: &HttpResponse) -> Option<(DeclineDetails, Option<wire::PaymentIntent>)> {
    if resp.status != 402 {
        return None;
    }
    let mut error = serde_json::from_slice::<wire::ErrorBody>(&resp.body)
        .ok()?
        .error;
    if error.kind.as_deref() != Some("card_error") {
        return None;
    }
    let pi = error
        .payment_intent
        .take()
        .and_then(|v| serde_json::from_value(v).ok());
    Some((decline(error), pi))
}
