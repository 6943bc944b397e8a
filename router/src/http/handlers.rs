//! One handler per route: each takes its caller, path ids and typed body from extractors, calls
//! [`Payments`](crate::payments::Payments), and answers JSON. The work is in
//! [`crate::payments`]; idempotency is a layer around the POST operations (see
//! [`super::idempotency`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use paybridge_core::IncomingWebhook;
use serde::Deserialize;
use serde_json::Value;

use super::{Body, Caller, Merchant, PathId, RawBody, Shared};
use crate::error::{ApiError, ErrorType};
use crate::model::*;

/// The answer of an operation: its object as JSON, or the error.
type Answer<T> = Result<Json<T>, ApiError>;

/// `?force_sync=true|false` of the retrieve routes (default `false`); any other parameter is
/// refused with 400 `invalid_query`.
pub(super) struct ForceSync(bool);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncQuery {
    #[serde(default)]
    force_sync: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for ForceSync {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<SyncQuery>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| ForceSync(query.force_sync))
            .map_err(|rejection| ApiError::invalid("invalid_query", rejection.body_text()))
    }
}

/// Any path no route matches.
pub(super) async fn not_found(uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: ErrorType::NotFound,
        code: "route_not_found".into(),
        message: format!("no route {}; see GET /openapi.json", uri.path()),
    }
}

/// A known path with a method it does not serve.
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        kind: ErrorType::InvalidRequest,
        code: "method_not_allowed".into(),
        message: format!("{method} is not allowed on {}", uri.path()),
    }
}

/// `GET /health`: the database answers.
pub(super) async fn health(State(state): State<Shared>) -> Response {
    match state.payments.store().ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(err) => ApiError::internal(format_args!("health: {err}")).into_response(),
    }
}

/// `GET /metrics`: Prometheus's text format (see [`crate::metrics`]). No `api-key`, as
/// scrapers send none; its labels carry no merchant or payment data.
pub(super) async fn metrics(State(state): State<Shared>) -> Response {
    let text = crate::metrics::render(state.payments.store()).await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// `GET /ready`: whether this instance should get traffic: its database answers with every
/// migration this build needs applied, and it has a connector to route to. 200 with each check's
/// detail; 503 `not_ready`, naming what is missing, when not.
pub(super) async fn ready(State(state): State<Shared>) -> Response {
    let connectors: Vec<&String> = state.payments.connectors().keys().collect();
    let missing = match state.payments.store().missing_migrations().await {
        Err(err) => {
            tracing::warn!(error = %err, "not ready: the database does not answer");
            Some("the database does not answer".to_owned())
        }
        Ok(versions) if !versions.is_empty() => Some(format!(
            "the database lacks migrations {versions:?} of this build"
        )),
        Ok(_) if connectors.is_empty() => Some("no connector is configured".to_owned()),
        Ok(_) => None,
    };
    match missing {
        None => Json(serde_json::json!({
            "status": "ready",
            "database": "answers",
            "migrations": "applied",
            "connectors": connectors,
        }))
        .into_response(),
        Some(why) => ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            kind: ErrorType::Internal,
            code: "not_ready".into(),
            message: format!("not ready: {why}"),
        }
        .into_response(),
    }
}

/// `GET /openapi.json`: this API's document, with this instance's connectors and currencies.
pub(super) async fn openapi(State(state): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.document.clone(),
    )
        .into_response()
}

/// `GET /connectors`: each connector's capabilities.
pub(super) async fn connectors(State(state): State<Shared>, _: Merchant) -> Json<Value> {
    let matrix: Vec<_> = state
        .payments
        .connectors()
        .values()
        .map(|c| c.capabilities().clone())
        .collect();
    Json(serde_json::json!({ "connectors": matrix }))
}

/// `POST /payments`.
pub(super) async fn create_payment(
    State(state): State<Shared>,
    Caller(caller): Caller,
    Body(body): Body<CreatePaymentRequest>,
) -> Answer<PaymentObject> {
    Ok(Json(state.payments.create(&caller, body).await?))
}

/// The query of `GET /payments/{payment_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetrieveQuery {
    #[serde(default)]
    force_sync: bool,
    /// A front end's credential instead of the `api-key` header.
    #[serde(default)]
    client_secret: Option<String>,
}

/// `GET /payments/{payment_id}`: by the merchant (`api-key`), or by a front end holding the
/// payment's `client_secret` (no `api-key`; no `force_sync`).
pub(super) async fn retrieve_payment(
    State(state): State<Shared>,
    headers: HeaderMap,
    PathId(payment_id): PathId,
    query: Result<Query<RetrieveQuery>, QueryRejection>,
) -> Answer<PaymentObject> {
    let Query(query) =
        query.map_err(|rejection| ApiError::invalid("invalid_query", rejection.body_text()))?;
    let payment = match (&query.client_secret, headers.contains_key("api-key")) {
        (Some(secret), false) => {
            if query.force_sync {
                return Err(ApiError::unauthenticated(
                    "force_sync needs the merchant's api-key",
                ));
            }
            state
                .payments
                .retrieve_with_client_secret(&payment_id, secret)
                .await?
        }
        _ => {
            let Merchant(caller) = Merchant::from_headers(&headers, &state.merchants)?;
            state
                .payments
                .retrieve(&caller, &payment_id, query.force_sync)
                .await?
        }
    };
    Ok(Json(payment))
}

/// `POST /payments/{payment_id}/capture`.
pub(super) async fn capture(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<CaptureBody>,
) -> Answer<PaymentObject> {
    Ok(Json(
        state.payments.capture(&caller, &payment_id, body).await?,
    ))
}

/// `POST /payments/{payment_id}/cancel`.
pub(super) async fn cancel(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<CancelBody>,
) -> Answer<PaymentObject> {
    Ok(Json(
        state.payments.cancel(&caller, &payment_id, body).await?,
    ))
}

/// `POST /payments/{payment_id}/incremental_authorization`.
pub(super) async fn incremental_authorization(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<IncrementalAuthorizationBody>,
) -> Answer<PaymentObject> {
    let payment = state.payments.increment(&caller, &payment_id, body).await?;
    Ok(Json(payment))
}

/// `POST /payments/{payment_id}/extend_authorization`: no fields.
pub(super) async fn extend_authorization(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(EmptyBody {}): Body<EmptyBody>,
) -> Answer<PaymentObject> {
    Ok(Json(state.payments.extend(&caller, &payment_id).await?))
}

/// `POST /payments/{payment_id}/cancel_post_capture`.
pub(super) async fn cancel_post_capture(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<CancelBody>,
) -> Answer<PaymentObject> {
    let payment = state
        .payments
        .cancel_post_capture(&caller, &payment_id, body)
        .await?;
    Ok(Json(payment))
}

/// `POST /payments/{payment_id}/complete_authorize`.
pub(super) async fn complete_authorize(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<CompleteAuthorizeBody>,
) -> Answer<PaymentObject> {
    let payment = state
        .payments
        .complete_authorize(&caller, &payment_id, body)
        .await?;
    Ok(Json(payment))
}

/// `POST /payments/{payment_id}/3ds/authentication`.
pub(super) async fn external_authentication(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(payment_id): PathId,
    Body(body): Body<ExternalAuthenticationBody>,
) -> Answer<ExternalAuthenticationResponse> {
    let answer = state
        .payments
        .external_authentication(&caller, &payment_id, body)
        .await?;
    Ok(Json(answer))
}

/// `POST /3ds/notification`: where the ACS's pages send the demo merchant's customer back
/// (the CRes after a challenge, or the 3DS Method's completion). It only acknowledges: the
/// merchant's back end goes on with `complete_authorize` or the authentication call. Nothing
/// of the form is logged or kept.
pub(super) async fn three_ds_notification(RawBody(body): RawBody) -> Json<Value> {
    let fields: Vec<String> = url::form_urlencoded::parse(&body)
        .map(|(name, _)| name.into_owned())
        .collect();
    let (received, message) = if fields.iter().any(|f| f == "cres") {
        (
            "cres",
            "3-D Secure challenge finished; the merchant completes the payment with \
             POST /payments/{payment_id}/complete_authorize",
        )
    } else if fields.iter().any(|f| f == "threeDSMethodData") {
        (
            "three_ds_method",
            "3DS Method finished; the merchant authenticates with \
             POST /payments/{payment_id}/3ds/authentication (threeds_method_comp_ind: Y)",
        )
    } else {
        ("nothing", "no cres or threeDSMethodData was posted")
    };
    Json(serde_json::json!({"received": received, "message": message}))
}

/// `PUT /payments/{payment_id}/update_metadata`.
pub(super) async fn update_metadata(
    State(state): State<Shared>,
    Merchant(caller): Merchant,
    PathId(payment_id): PathId,
    Body(body): Body<UpdateMetadataBody>,
) -> Answer<PaymentObject> {
    let payment = state
        .payments
        .update_metadata(&caller, &payment_id, body)
        .await?;
    Ok(Json(payment))
}

/// `GET /payments/{payment_id}/eligibility`.
pub(super) async fn eligibility(
    State(state): State<Shared>,
    Merchant(caller): Merchant,
    PathId(payment_id): PathId,
) -> Answer<Eligibility> {
    Ok(Json(
        state.payments.eligibility(&caller, &payment_id).await?,
    ))
}

/// `POST /payments/session_tokens`.
pub(super) async fn session_tokens(
    State(state): State<Shared>,
    Caller(caller): Caller,
    Body(body): Body<SessionTokensBody>,
) -> Answer<Value> {
    Ok(Json(state.payments.session_tokens(&caller, body).await?))
}

/// `POST /refunds`.
pub(super) async fn create_refund(
    State(state): State<Shared>,
    Caller(caller): Caller,
    Body(body): Body<CreateRefundBody>,
) -> Answer<RefundObject> {
    Ok(Json(state.payments.refund(&caller, body).await?))
}

/// `GET /refunds/{refund_id}`.
pub(super) async fn retrieve_refund(
    State(state): State<Shared>,
    Merchant(caller): Merchant,
    PathId(refund_id): PathId,
    ForceSync(force_sync): ForceSync,
) -> Answer<RefundObject> {
    let refund = state
        .payments
        .retrieve_refund(&caller, &refund_id, force_sync)
        .await?;
    Ok(Json(refund))
}

/// `POST /webhooks/{connector}`: verify, de-duplicate by event id, apply. No `api-key`: the
/// connector's signature authenticates it.
pub(super) async fn webhook(
    State(state): State<Shared>,
    headers: HeaderMap,
    PathId(connector_name): PathId,
    RawBody(body): RawBody,
) -> Answer<Value> {
    let connector = state
        .payments
        .connectors()
        .get(&connector_name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format_args!("connector {connector_name}")))?;
    let incoming = IncomingWebhook {
        headers: &headers,
        body: &body,
        received_at: time::OffsetDateTime::now_utc(),
    };
    let counted = |result: &'static str| {
        metrics::counter!(
            "paybridge_webhooks_total",
            "connector" => connector.id(), "result" => result
        )
        .increment(1);
    };
    let event = connector.verify_webhook(&incoming).map_err(|err| {
        counted("rejected");
        tracing::warn!(connector = %connector_name, error = %err, "webhook refused");
        ApiError::invalid(
            "webhook_verification_failed",
            format!("the webhook could not be verified: {err}"),
        )
    })?;
    let (status, payment_id) = state
        .payments
        .receive_webhook(&connector_name, &event)
        .await?;
    counted(status);
    Ok(Json(serde_json::json!({
        "status": status, "event_id": event.event_id, "payment_id": payment_id
    })))
}

/// `GET /events`.
pub(super) async fn list_events(
    State(state): State<Shared>,
    Merchant(caller): Merchant,
    query: Result<Query<crate::payments::events::EventQuery>, QueryRejection>,
) -> Answer<EventList> {
    let Query(query) =
        query.map_err(|rejection| ApiError::invalid("invalid_query", rejection.body_text()))?;
    Ok(Json(state.payments.list_events(&caller, query).await?))
}

/// `GET /events/{event_id}`.
pub(super) async fn retrieve_event(
    State(state): State<Shared>,
    Merchant(caller): Merchant,
    PathId(event_id): PathId,
) -> Answer<EventDetail> {
    Ok(Json(state.payments.event(&caller, &event_id).await?))
}

/// `POST /events/{event_id}/retry`.
pub(super) async fn retry_event(
    State(state): State<Shared>,
    Caller(caller): Caller,
    PathId(event_id): PathId,
    Body(_): Body<EmptyBody>,
) -> Answer<EventObject> {
    Ok(Json(state.payments.retry_event(&caller, &event_id).await?))
}
