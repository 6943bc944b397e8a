//! The simulator's `/sim/stripe/...` helper routes: the customer's 3D Secure page and test
//! hooks. They need no API key, are not counted and are never faulted.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::handlers::{answer, now, Sim};
use super::model::Status;
use super::wire::Origin;
use crate::control::lock;

/// An error the next API request answers, queued by `POST /sim/stripe/next-error`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InjectedError {
    status: StatusCode,
    should_retry: Option<bool>,
}

pub(super) fn injected_error(injected: InjectedError) -> ApiError {
    let mut error = ApiError::api(
        injected.status,
        "An unknown error occurred while processing your request (injected by the paybridge \
         Stripe simulator).",
    );
    if let Some(retry) = injected.should_retry {
        error = error.should_retry(retry);
    }
    error
}

fn text(status: StatusCode, message: String) -> Response {
    (status, message).into_response()
}

/// `GET /sim/stripe/3ds/{id}[?outcome=fail]`: the customer on the 3D Secure page. Completes
/// the authentication (the issuer's verdict then applies) or fails it; redirects (302) to the
/// `return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`
/// as Stripe does, or answers 200 text when there is none.
pub(super) async fn authenticate_3ds(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let authenticated = match query.get("outcome").map(String::as_str) {
        None | Some("success") => true,
        Some("fail") => false,
        Some(other) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("unknown outcome {other:?}: use success or fail"),
            )
        }
    };
    let mut state = lock(&sim.state);
    if !state.intents.contains_key(&id) {
        return text(
            StatusCode::NOT_FOUND,
            format!("No such payment_intent: '{id}'"),
        );
    }
    let outcome = match state.complete_authentication(&id, authenticated, now()) {
        Ok(outcome) => outcome,
        Err(message) => return text(StatusCode::CONFLICT, message),
    };
    sim.announce(&mut state, &outcome.events, &Origin::default());
    let Some(intent) = state.intents.get(&id) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("No such payment_intent: '{id}'"),
        );
    };
    let succeeded = matches!(intent.status, Status::RequiresCapture | Status::Succeeded);
    let redirect = intent.return_url.as_deref().and_then(|url| {
        let mut url = url::Url::parse(url).ok()?;
        url.query_pairs_mut()
            .append_pair("payment_intent", &intent.id)
            .append_pair("payment_intent_client_secret", &intent.client_secret)
            .append_pair(
                "redirect_status",
                if succeeded { "succeeded" } else { "failed" },
            );
        HeaderValue::from_str(url.as_str()).ok()
    });
    match redirect {
        Some(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        None => text(
            StatusCode::OK,
            format!(
                "Authentication complete: PaymentIntent {id} is {}",
                intent.status.as_str()
            ),
        ),
    }
}

/// `POST /sim/stripe/payment_intents/{id}/decline-next-increment`: the issuer declines the
/// next increment (402 `card_declined`; it counts as an attempt; the intent is unchanged).
pub(super) async fn decline_next_increment(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
) -> Response {
    if lock(&sim.state).decline_next_increment(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::missing("payment_intent", &id, "intent").into_response()
    }
}

/// `POST /sim/stripe/payment_intents/{id}/expire`: the uncaptured authorization lapses now.
pub(super) async fn expire(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    answer((|| {
        let mut state = lock(&sim.state);
        let events = state.expire(&id, now())?;
        sim.announce(&mut state, &events, &Origin::default());
        Ok(sim.intent_answer(&state, &id, &[], None))
    })())
}

/// `POST /sim/stripe/next-error[?status=500][&should_retry=false|true|none]`: the next API
/// request that passes authentication is answered `status` (500–599, default 500) with an
/// `api_error` body and `Stripe-Should-Retry: false` by default (`none` leaves the header
/// out). The answer comes from the endpoint, so an `Idempotency-Key` stores and replays it,
/// as Stripe does for its 500s; nothing is performed.
pub(super) async fn queue_error(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let status = match query.get("status").map(|s| s.parse::<u16>()) {
        None => Ok(StatusCode::INTERNAL_SERVER_ERROR),
        Some(Ok(code)) if (500..600).contains(&code) => {
            StatusCode::from_u16(code).map_err(|_| code.to_string())
        }
        Some(other) => Err(format!("{other:?}")),
    };
    let should_retry = match query.get("should_retry").map(String::as_str) {
        None | Some("false") => Ok(Some(false)),
        Some("true") => Ok(Some(true)),
        Some("none") => Ok(None),
        Some(other) => Err(other.to_owned()),
    };
    match (status, should_retry) {
        (Ok(status), Ok(should_retry)) => {
            lock(&sim.next_errors).push_back(InjectedError {
                status,
                should_retry,
            });
            StatusCode::NO_CONTENT.into_response()
        }
        (Err(bad), _) => text(
            StatusCode::BAD_REQUEST,
            format!("status must be 500-599, not {bad}"),
        ),
        (_, Err(bad)) => text(
            StatusCode::BAD_REQUEST,
            format!("should_retry must be true, false or none, not {bad:?}"),
        ),
    }
}

/// `GET /sim/stripe/payment_intents/{id}/three_d_secure`: the imported 3DS result
/// (`payment_method_options[card][three_d_secure]`) of the intent's last confirmation that had
/// one, as it arrived (`{"three_d_secure": {…}}`, the cryptogram included): a simulator's record
/// for tests, since Stripe's PaymentIntent has no field for it. 404 when the intent is unknown
/// or had none.
pub(super) async fn imported_three_d_secure(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
) -> Response {
    let state = lock(&sim.state);
    match state
        .intents
        .get(&id)
        .and_then(|intent| intent.imported_three_d_secure.clone())
    {
        Some(result) => {
            let body = serde_json::json!({ "three_d_secure": result });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        None => text(
            StatusCode::NOT_FOUND,
            format!("No imported 3D Secure result for payment_intent '{id}'"),
        ),
    }
}
