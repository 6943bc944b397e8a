//! `GET /events`, `GET /events/{id}`, `POST /events/{id}/retry`: a merchant's events and their
//! deliveries.

use std::str::FromStr;

use time::OffsetDateTime;

use super::{Caller, Payments};
use crate::domain::events::EventType;
use crate::error::ApiError;
use crate::model::{DeliveryObject, EventDetail, EventList, EventObject};
use crate::payments::{format_time, unix_ms};
use crate::store::{EventFilter, EventRow, Requeued};

/// The filters of `GET /events`, as given.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// A payment's or refund's id.
    #[serde(default)]
    pub object_id: Option<String>,
    /// An event type.
    #[serde(default)]
    pub event_type: Option<String>,
    /// `pending`, `delivered` or `failed`.
    #[serde(default)]
    pub delivery_status: Option<String>,
    /// 1 to 100; default 20.
    #[serde(default)]
    pub limit: Option<u32>,
}

impl Payments {
    /// `GET /events`: the caller's events matching `query`, newest first.
    pub async fn list_events(
        &self,
        caller: &Caller,
        query: EventQuery,
    ) -> Result<EventList, ApiError> {
        if let Some(kind) = &query.event_type {
            let known = EventType::ALL.iter().any(|t| t.name() == *kind);
            if !known {
                return Err(ApiError::invalid(
                    "invalid_query",
                    "event_type is not an event type (see the OpenAPI document's EventType)",
                ));
            }
        }
        if let Some(status) = &query.delivery_status {
            if !["pending", "delivered", "failed"].contains(&status.as_str()) {
                return Err(ApiError::invalid(
                    "invalid_query",
                    "delivery_status must be one of: pending, delivered, failed",
                ));
            }
        }
        let limit = query.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid("invalid_query", "limit must be 1 to 100"));
        }
        let filter = EventFilter {
            object_id: query.object_id,
            event_type: query.event_type,
            delivery_status: query.delivery_status,
            limit,
        };
        let rows = self.store.events(&caller.merchant_id, &filter).await?;
        Ok(EventList {
            events: rows.iter().map(event_object).collect(),
        })
    }

    /// `GET /events/{id}`: the event, its body and its attempts.
    pub async fn event(&self, caller: &Caller, event_id: &str) -> Result<EventDetail, ApiError> {
        let Some((row, deliveries)) = self.store.event(&caller.merchant_id, event_id).await? else {
            return Err(ApiError::not_found(format_args!("event {event_id}")));
        };
        let body = serde_json::Value::from_str(&row.body)
            .map_err(|e| ApiError::internal(format_args!("event {event_id}: stored body: {e}")))?;
        Ok(EventDetail {
            event: event_object(&row),
            body,
            deliveries: deliveries
                .into_iter()
                .map(|d| DeliveryObject {
                    attempt: d.attempt,
                    attempted_at: d.attempted_at,
                    latency_ms: d.latency_ms,
                    status_code: d.status_code,
                    response_excerpt: d.response_excerpt,
                    error: d.error,
                })
                .collect(),
        })
    }

    /// `POST /events/{id}/retry`: delivers the event again (whatever its status), as soon as
    /// the delivery worker next looks; 409 while an attempt is running.
    pub async fn retry_event(
        &self,
        caller: &Caller,
        event_id: &str,
    ) -> Result<EventObject, ApiError> {
        let now = unix_ms(OffsetDateTime::now_utc());
        match self
            .store
            .requeue_event(&caller.merchant_id, event_id, now)
            .await?
        {
            Requeued::Yes(row) => Ok(event_object(&row)),
            Requeued::NotFound => Err(ApiError::not_found(format_args!("event {event_id}"))),
            Requeued::InFlight => Err(ApiError::invalid_state(
                "delivery_in_progress",
                "the event is being delivered now; retry when the attempt has ended",
            )),
        }
    }
}

fn event_object(row: &EventRow) -> EventObject {
    let at = |ms: i64| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .map(format_time)
    };
    EventObject {
        event_id: row.event_id.clone(),
        event_type: row.event_type.clone(),
        object_type: row.object_type.clone(),
        object_id: row.object_id.clone(),
        payment_id: row.payment_id.clone(),
        created: row.created.clone(),
        delivery_status: row.delivery_status.clone(),
        delivery_attempts: row.attempts,
        next_attempt_at: row
            .next_attempt_at
            .filter(|_| row.delivery_status == "pending")
            .and_then(at),
        delivered_at: row.delivered_at.clone(),
    }
}
