//! External 3-D Secure: where a payment's authentication stands, and what each result of the
//! 3DS server leads to. Pure, like the rest of the domain: the driver
//! (`payments::authentication`) calls the 3DS server and the processor, and these functions
//! are the only place its answers change the payment.
//!
//! A payment authenticated externally waits in `requires_customer_action` *before* any
//! processor sees it: [`Authentication::started`] after the version lookup, then [`authenticated`] with the ARes
//! (or, after a challenge, the result), and [`verdict`] says whether the payment is authorized
//! with the result, waits for a challenge, is authorized without 3DS, or fails. The
//! authentication value (CAVV) is never part of this record: it goes from the 3DS server's
//! answer straight into the authorization request.

use paybridge_core::authentication::{AuthenticationResponse, CardRange, TransStatus};
use paybridge_core::PaymentStatus;
use serde::{Deserialize, Serialize};

use super::payment::{AttemptStatus, ErrorDetails, Payment};

/// The payment's external authentication, as stored and shown (`external_authentication_details`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// The authentication connector's id (`threedsecureio`).
    pub authenticator: String,
    /// Where it stands.
    pub status: AuthenticationStatus,
    /// Frictionless or challenge, once the ARes said.
    #[serde(default)]
    pub flow: Option<AuthenticationFlow>,
    /// The 3DS server's transaction id, from the version lookup.
    #[serde(default)]
    pub server_transaction_id: Option<String>,
    /// The protocol version.
    #[serde(default)]
    pub message_version: Option<String>,
    /// The directory server (card scheme).
    #[serde(default)]
    pub directory_server: Option<String>,
    /// The ACS's 3DS Method, when it has one.
    #[serde(default)]
    pub method: Option<Method>,
    /// The last `transStatus`.
    #[serde(default)]
    pub trans_status: Option<TransStatus>,
    /// Its `transStatusReason`.
    #[serde(default)]
    pub trans_status_reason: Option<String>,
    /// The ECI.
    #[serde(default)]
    pub eci: Option<String>,
    /// The directory server's transaction id.
    #[serde(default)]
    pub ds_transaction_id: Option<String>,
    /// The ACS's transaction id.
    #[serde(default)]
    pub acs_transaction_id: Option<String>,
    /// The challenge to run, while one is pending.
    #[serde(default)]
    pub challenge: Option<ChallengeDetails>,
    /// For an app: the ACS's signed content (a JWS), which its SDK runs a challenge with.
    #[serde(default)]
    pub acs_signed_content: Option<String>,
    /// For an app: the ACS's reference number.
    #[serde(default)]
    pub acs_reference_number: Option<String>,
    /// Why it failed or could not run.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Its message.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// The public API's `external_authentication_details.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationStatus {
    /// The card is enrolled; authentication has not run yet.
    Started,
    /// A challenge (or a decoupled authentication) is waiting for the cardholder.
    Pending,
    /// Authenticated (`Y`) or attempted (`A`).
    Success,
    /// Not authenticated, rejected, unavailable, or the 3DS server could not be asked.
    Failed,
}

/// The public API's `external_authentication_details.authentication_flow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationFlow {
    /// Decided without the cardholder.
    Frictionless,
    /// The cardholder was challenged.
    Challenge,
}

/// A 3DS Method to run before authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    /// The ACS's 3DS Method URL.
    pub url: String,
    /// `threeDSMethodData`.
    pub data: String,
}

/// A challenge to run: POST `creq` to `acs_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeDetails {
    /// The ACS's challenge URL.
    pub acs_url: String,
    /// The CReq (base64url).
    pub creq: String,
}

/// What a merchant does when authentication does not succeed (`[merchants.authentication]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The payment fails.
    #[default]
    Fail,
    /// The payment is authorized without 3DS (the merchant keeps the fraud liability).
    #[serde(rename = "authorize_without_3ds")]
    AuthorizeWithout3ds,
}

/// A merchant's rules for results other than success. A rejection (`R`: the issuer asks that
/// authorization not be attempted) always fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policy {
    /// After `N`: not authenticated.
    #[serde(default)]
    pub on_not_authenticated: Fallback,
    /// After `U` or `I`, a card without 3DS2, or a 3DS server that could not be asked.
    #[serde(default)]
    pub on_unavailable: Fallback,
}

/// What the 3DS server said, as [`verdict`] weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Result3ds {
    /// A `transStatus`.
    Status(TransStatus),
    /// No directory server knows the card's range.
    NotEnrolled,
    /// The 3DS server could not be asked, or did not answer.
    ServerError,
}

/// What happens to the payment next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Authorize with the authentication result.
    Authorize,
    /// Wait for the cardholder's challenge.
    AwaitChallenge,
    /// Authorize without 3DS, as the merchant allows.
    AuthorizeWithout3ds,
    /// The payment fails with this code (`authentication_failed`, …).
    Fail(&'static str),
}

/// What `result` leads to under `policy`.
pub fn verdict(result: Result3ds, policy: &Policy) -> Verdict {
    use TransStatus as T;
    let fallback = |fallback: Fallback, code| match fallback {
        Fallback::Fail => Verdict::Fail(code),
        Fallback::AuthorizeWithout3ds => Verdict::AuthorizeWithout3ds,
    };
    match result {
        Result3ds::Status(T::Authenticated | T::Attempted) => Verdict::Authorize,
        Result3ds::Status(T::ChallengeRequired | T::DecoupledChallenge) => Verdict::AwaitChallenge,
        Result3ds::Status(T::Rejected) => Verdict::Fail("authentication_rejected"),
        Result3ds::Status(T::NotAuthenticated) => {
            fallback(policy.on_not_authenticated, "authentication_failed")
        }
        Result3ds::Status(T::Unavailable | T::Informational)
        | Result3ds::NotEnrolled
        | Result3ds::ServerError => fallback(policy.on_unavailable, "authentication_unavailable"),
    }
}

impl Authentication {
    /// A card range found: authentication may run.
    pub fn started(authenticator: &str, range: &CardRange) -> Self {
        Authentication {
            server_transaction_id: Some(range.server_transaction_id.clone()),
            message_version: Some(range.message_version.clone()),
            directory_server: Some(range.directory_server.clone()),
            method: range.method.as_ref().map(|m| Method {
                url: m.url.to_string(),
                data: m.data.clone(),
            }),
            ..Authentication::new(authenticator, AuthenticationStatus::Started)
        }
    }

    /// Authentication that could not start or end: `code` and `message` say why.
    pub fn failed(authenticator: &str, code: &str, message: &str) -> Self {
        Authentication {
            error_code: Some(code.to_owned()),
            error_message: Some(message.to_owned()),
            ..Authentication::new(authenticator, AuthenticationStatus::Failed)
        }
    }

    fn new(authenticator: &str, status: AuthenticationStatus) -> Self {
        Authentication {
            authenticator: authenticator.to_owned(),
            status,
            flow: None,
            server_transaction_id: None,
            message_version: None,
            directory_server: None,
            method: None,
            trans_status: None,
            trans_status_reason: None,
            eci: None,
            ds_transaction_id: None,
            acs_transaction_id: None,
            challenge: None,
            acs_signed_content: None,
            acs_reference_number: None,
            error_code: None,
            error_message: None,
        }
    }

    /// Whether authentication may run now (`POST /payments/{id}/3ds/authentication`).
    pub fn awaits_authentication(&self) -> bool {
        self.status == AuthenticationStatus::Started
    }

    /// Whether a challenge's result is awaited (`complete_authorize`).
    pub fn awaits_challenge(&self) -> bool {
        self.status == AuthenticationStatus::Pending
    }
}

/// Records the ARes (or a challenge's result) and `verdict` on `payment`'s authentication.
pub fn authenticated(payment: &mut Payment, response: &AuthenticationResponse, verdict: &Verdict) {
    let Some(auth) = payment.authentication.as_mut() else {
        return;
    };
    let was_challenged = auth.status == AuthenticationStatus::Pending;
    auth.trans_status = Some(response.status);
    auth.trans_status_reason = response.status_reason.clone();
    auth.eci = response.eci.clone();
    auth.ds_transaction_id = Some(response.ds_transaction_id.clone());
    auth.acs_transaction_id = Some(response.acs_transaction_id.clone());
    auth.message_version = Some(response.message_version.clone());
    auth.method = None;
    let challenged = was_challenged || response.status.challenge();
    auth.flow = Some(if challenged {
        AuthenticationFlow::Challenge
    } else {
        AuthenticationFlow::Frictionless
    });
    auth.challenge = response.challenge.as_ref().map(|c| ChallengeDetails {
        acs_url: c.acs_url.to_string(),
        creq: c.creq.clone(),
    });
    // The RReq after an app's challenge has none: the ARes's are kept.
    if response.acs_signed_content.is_some() {
        auth.acs_signed_content = response.acs_signed_content.clone();
        auth.acs_reference_number = response.acs_reference_number.clone();
    }
    auth.status = match verdict {
        Verdict::Authorize => AuthenticationStatus::Success,
        Verdict::AwaitChallenge => AuthenticationStatus::Pending,
        Verdict::AuthorizeWithout3ds | Verdict::Fail(_) => AuthenticationStatus::Failed,
    };
    if auth.status == AuthenticationStatus::Failed {
        auth.error_code = Some(format!("trans_status_{}", response.status.code()));
        auth.error_message = Some(status_message(response));
    }
}

/// Records that the 3DS server could not be asked (or the card has no 3DS2).
pub fn unavailable(payment: &mut Payment, code: &str, message: &str) {
    if let Some(auth) = payment.authentication.as_mut() {
        auth.status = AuthenticationStatus::Failed;
        auth.method = None;
        auth.challenge = None;
        auth.error_code = Some(code.to_owned());
        auth.error_message = Some(message.to_owned());
    }
}

/// The payment fails before any processor saw it: `code` names why.
pub fn fail(payment: &mut Payment, code: &str, message: &str, now: &str) {
    payment.status = PaymentStatus::Failed;
    payment.next_action = None;
    payment.error = ErrorDetails {
        code: Some(code.to_owned()),
        message: Some(message.to_owned()),
        ..ErrorDetails::default()
    };
    if let Some(attempt) = payment.attempts.last_mut() {
        attempt.status = AttemptStatus::Failure;
        attempt.error = payment.error.clone();
        attempt.modified_at = now.to_owned();
    }
    payment.updated = now.to_owned();
}

/// The authorization is about to be sent: the payment waits for its verdict like a new one,
/// and a lost answer is looked up from this time on.
pub fn begin_authorization(payment: &mut Payment, now: &str) {
    payment.status = PaymentStatus::Processing;
    payment.next_action = None;
    if let Some(attempt) = payment.attempts.last_mut() {
        attempt.status = AttemptStatus::Pending;
        attempt.modified_at = now.to_owned();
    }
    payment.updated = now.to_owned();
}

/// The payment is cancelled before any processor saw it.
pub fn abandon(payment: &mut Payment, reason: Option<String>, now: &str) {
    payment.status = PaymentStatus::Cancelled;
    payment.cancellation_reason = reason;
    if let Some(auth) = payment.authentication.as_mut() {
        if matches!(
            auth.status,
            AuthenticationStatus::Started | AuthenticationStatus::Pending
        ) {
            auth.status = AuthenticationStatus::Failed;
            auth.method = None;
            auth.challenge = None;
            auth.error_code = Some("payment_cancelled".into());
            auth.error_message =
                Some("the payment was cancelled before authentication ended".into());
        }
    }
    if let Some(attempt) = payment.attempts.last_mut() {
        attempt.status = AttemptStatus::Voided;
        attempt.modified_at = now.to_owned();
    }
    payment.updated = now.to_owned();
}

/// A payment waiting for its external authentication: nothing was sent to a processor yet.
pub fn before_authorization(payment: &Payment) -> bool {
    payment.connector_transaction_id.is_none()
        && payment.status == PaymentStatus::RequiresCustomerAction
        && payment
            .authentication
            .as_ref()
            .is_some_and(|a| a.awaits_authentication() || a.awaits_challenge())
}

fn status_message(response: &AuthenticationResponse) -> String {
    let what = match response.status {
        TransStatus::NotAuthenticated => "the cardholder was not authenticated",
        TransStatus::Rejected => "the issuer rejected the authentication",
        TransStatus::Unavailable => "the issuer could not authenticate the cardholder",
        TransStatus::Informational => "the authentication was informational only",
        _ => "the authentication did not succeed",
    };
    match &response.status_reason {
        Some(reason) => format!(
            "{what} (transStatus {}, reason {reason})",
            response.status.code()
        ),
        None => format!("{what} (transStatus {})", response.status.code()),
    }
}
