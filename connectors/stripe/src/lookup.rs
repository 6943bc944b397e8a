//! Lookups by reference (`docs/processors.md` §2.10). Stripe's API version 2024-04-10 has no
//! search by metadata, only lists ordered newest first: `GET /v1/payment_intents` (filtered by
//! `created`) and `GET /v1/refunds` (filtered by `payment_intent`), `limit` at most 100, paged
//! with `starting_after` (the last id of a page) while `has_more`. The connector sends our
//! reference as `metadata[reference]` on PaymentIntents and refunds, so a lookup lists and
//! matches that key exactly.
//!
//! A search reads at most [`MAX_PAGES`] pages of [`PAGE_LIMIT`] (core's `HttpConnector` chains
//! at most `MAX_LOOKUP_STEPS` calls for a lookup). One cut short by that bound while Stripe has more is an
//! error, never "not found": a caller must not conclude that the payment or refund does not
//! exist from a search that did not see everything.

use paybridge_core::http::{Exchange, HttpRequest, HttpResponse, Step};
use paybridge_core::time::{Duration, OffsetDateTime};
use paybridge_core::url::form_urlencoded;
use paybridge_core::*;
use serde::Deserialize;

use crate::{mapping, wire};

/// Objects asked for per page: the most Stripe's lists allow.
pub const PAGE_LIMIT: u32 = 100;
/// Pages read at most.
pub const MAX_PAGES: u32 = 30;
/// How long before `sent_at` a PaymentIntent's `created` may lie: our clock and Stripe's may
/// disagree (by far less on hosts kept in time).
pub const BEFORE_SENT: Duration = Duration::minutes(1);
/// How long after `sent_at`: Stripe stamps `created` when it processes the request, which can
/// be after our retries and their backoff (bounded by the request timeout), besides clock
/// skew. Kept narrow: the window's PaymentIntents, at most `MAX_PAGES × PAGE_LIMIT`, are read
/// to conclude "not found" (docs/processors.md §2.10).
pub const AFTER_SENT: Duration = Duration::minutes(3);

/// What one page of a list tells about a search.
#[derive(Debug, Clone, PartialEq)]
pub enum Page<T> {
    /// The object searched for.
    Found(T),
    /// Not on this page, and no page follows.
    End,
    /// Not on this page; the next page starts after this id (`starting_after`).
    More(String),
}

/// The query of `GET /v1/payment_intents` for a lookup: the `created` window around `sent_at`
/// ([`BEFORE_SENT`], [`AFTER_SENT`]), or no filter at all when the time is not known (the
/// newest PaymentIntents of the account, whatever their age, within the page bound).
pub fn intents_query(sent_at: Option<OffsetDateTime>) -> String {
    let limit = format!("limit={PAGE_LIMIT}");
    match sent_at {
        Some(sent) => format!(
            "created[gte]={}&created[lte]={}&{limit}",
            (sent - BEFORE_SENT).unix_timestamp(),
            (sent + AFTER_SENT).unix_timestamp()
        ),
        None => limit,
    }
}

/// The query of `GET /v1/refunds` for a lookup: the payment's refunds.
pub fn refunds_query(payment_id: &str) -> String {
    format!("payment_intent={}&limit={PAGE_LIMIT}", encode(payment_id))
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The fields of a listed object a lookup reads: its id and `metadata[reference]`.
#[derive(Debug, Deserialize)]
struct Listed {
    id: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

/// `metadata`: only `reference` is read; other keys are the merchant's.
#[derive(Debug, Default, Deserialize)]
struct Metadata {
    reference: Option<String>,
}

impl Listed {
    fn has(&self, reference: &str) -> bool {
        self.metadata.as_ref().and_then(|m| m.reference.as_deref()) == Some(reference)
    }
}

/// `{object: "list", data, has_more, url}`, with the objects still as JSON.
#[derive(Debug, Deserialize)]
struct List {
    data: Vec<serde_json::Value>,
    has_more: bool,
}

/// Reads every object's id and reference; the object matching `reference` (the first, so the
/// newest) is kept whole. Else where the next page starts, if one follows.
fn read_page(
    resp: &HttpResponse,
    reference: &str,
) -> Result<Page<serde_json::Value>, ConnectorError> {
    let list: List = mapping::body(resp)?;
    let mut last = None;
    for object in list.data {
        let listed = Listed::deserialize(&object)
            .map_err(|e| ConnectorError::invalid_response(resp.status, e))?;
        let id = mapping::id(listed.id.clone(), resp.status)?;
        if listed.has(reference) {
            return Ok(Page::Found(object));
        }
        last = Some(id);
    }
    match (list.has_more, last) {
        (false, _) => Ok(Page::End),
        (true, Some(last)) => Ok(Page::More(last)),
        (true, None) => Err(ConnectorError::invalid_response(
            resp.status,
            "an empty page says it has more",
        )),
    }
}

/// A page of `GET /v1/payment_intents`: the id of the PaymentIntent whose
/// `metadata[reference]` is `reference`.
pub fn intents_page(resp: &HttpResponse, reference: &str) -> Result<Page<String>, ConnectorError> {
    Ok(match read_page(resp, reference)? {
        Page::Found(object) => {
            let listed = Listed::deserialize(&object)
                .map_err(|e| ConnectorError::invalid_response(resp.status, e))?;
            Page::Found(listed.id)
        }
        Page::End => Page::End,
        Page::More(last) => Page::More(last),
    })
}

/// A page of `GET /v1/refunds?payment_intent=`: the refund of `payment_id` whose
/// `metadata[reference]` is `reference`, mapped as refund sync maps it.
pub fn refunds_page(
    resp: &HttpResponse,
    reference: &str,
    payment_id: &str,
) -> Result<Page<RefundResponse>, ConnectorError> {
    Ok(match read_page(resp, reference)? {
        Page::Found(object) => {
            let refund = wire::Refund::deserialize(&object)
                .map_err(|e| ConnectorError::invalid_response(resp.status, e))?;
            if refund.payment_intent.as_deref() != Some(payment_id) {
                return Err(ConnectorError::invalid_response(
                    resp.status,
                    "the refund belongs to another payment",
                ));
            }
            Page::Found(mapping::refund(refund, None, resp.status)?)
        }
        Page::End => Page::End,
        Page::More(last) => Page::More(last),
    })
}

/// Reads one page of a search.
pub type ReadPage<T> = fn(&HttpResponse, &Search) -> Result<Page<T>, ConnectorError>;

/// What a search looks for: the reference, and the payment whose refunds are listed.
#[derive(Debug, Clone)]
pub struct Search {
    /// The reference searched for.
    pub reference: String,
    /// The PaymentIntent whose refunds are listed (refund lookups).
    pub payment_id: Option<String>,
    /// What is searched, for the error of a search cut short: `PaymentIntent`, `refund`.
    pub what: &'static str,
}

/// The exchange of page `page` (from 1): `request` is the list's `GET` with `query` (no
/// cursor) and, after the first page, `starting_after`. A page that does not hold the object
/// chains the next one while Stripe has more, up to [`MAX_PAGES`].
pub fn search<T: Send + 'static>(
    request: HttpRequest,
    query: String,
    after: Option<String>,
    page: u32,
    search_for: Search,
    read: ReadPage<T>,
) -> Exchange<Option<T>> {
    let mut this = request.clone();
    let full = match &after {
        Some(last) => format!("{query}&starting_after={}", encode(last)),
        None => query.clone(),
    };
    this.url.set_query(Some(&full));
    Exchange::then(this, move |resp| match read(&resp, &search_for)? {
        Page::Found(found) => Ok(Step::Done(Some(found))),
        Page::End => Ok(Step::Done(None)),
        Page::More(last) if page < MAX_PAGES => Ok(Step::Next(Box::new(search(
            request,
            query,
            Some(last),
            page + 1,
            search_for,
            read,
        )))),
        Page::More(_) => Err(ConnectorError::InvalidResponse {
            http_status: resp.status,
            message: format!(
                "no {} with this reference among the {} newest listed, and Stripe has more: \
                 the lookup cannot tell whether one exists",
                search_for.what,
                PAGE_LIMIT * MAX_PAGES
            ),
            outcome_unknown: false,
        }),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn list(data: serde_json::Value, has_more: bool) -> HttpResponse {
        let body = json!({"object": "list", "url": "/v1/payment_intents", "data": data, "has_more": has_more});
        HttpResponse::new(200, body.to_string())
    }

    fn intent(id: &str, metadata: serde_json::Value) -> serde_json::Value {
        json!({"id": id, "object": "payment_intent", "amount": 1000, "currency": "usd",
               "status": "requires_capture", "created": 1_712_000_000, "metadata": metadata})
    }

    #[test]
    fn an_intents_page_matches_metadata_reference_exactly() {
        let data = serde_json::Value::Array(vec![
            intent("pi_other", json!({"reference": "ORD-10"})),
            intent("pi_none", json!({})),
            intent("pi_null", json!(null)),
            intent("pi_merchant", json!({"order": "ORD-1"})),
            intent("pi_ours", json!({"reference": "ORD-1", "order": "x"})),
            intent("pi_older", json!({"reference": "ORD-1"})),
        ]);
        assert_eq!(
            intents_page(&list(data.clone(), true), "ORD-1"),
            Ok(Page::Found("pi_ours".into()))
        );
        assert_eq!(
            intents_page(&list(data.clone(), true), "ORD-2"),
            Ok(Page::More("pi_older".into()))
        );
        assert_eq!(intents_page(&list(data, false), "ORD-2"), Ok(Page::End));
        assert_eq!(
            intents_page(&list(json!([]), false), "ORD-2"),
            Ok(Page::End)
        );
    }

    #[test]
    fn pages_that_cannot_be_read_are_typed_errors() {
        let unreadable = [
            list(json!([]), true),
            list(json!([{"metadata": {"reference": "ORD-1"}}]), false),
            list(
                json!([{"id": "", "metadata": {"reference": "ORD-1"}}]),
                false,
            ),
            list(json!([{"id": "pi_1", "metadata": {"reference": 5}}]), false),
            list(json!([{"id": "pi_1", "metadata": "ORD-1"}]), false),
            list(json!(["pi_1"]), false),
            HttpResponse::new(200, r#"{"object":"list","data":[]}"#),
            HttpResponse::new(200, "not json"),
        ];
        for resp in unreadable {
            let read = intents_page(&resp, "ORD-1");
            assert!(
                matches!(
                    read,
                    Err(ConnectorError::InvalidResponse {
                        http_status: 200,
                        ..
                    })
                ),
                "{:?}: {read:?}",
                resp.body
            );
        }
        let denied = HttpResponse::new(
            401,
            r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key"}}"#,
        );
        assert!(matches!(
            intents_page(&denied, "ORD-1"),
            Err(ConnectorError::Authentication(_))
        ));
    }

    fn refund(id: &str, payment: &str, reference: Option<&str>, status: &str) -> serde_json::Value {
        json!({"id": id, "object": "refund", "amount": 300, "currency": "usd", "status": status,
               "payment_intent": payment, "created": 1_712_000_100,
               "metadata": reference.map_or_else(|| json!({}), |r| json!({"reference": r}))})
    }

    #[test]
    fn a_refunds_page_maps_the_refund_with_the_reference() {
        let data = serde_json::Value::Array(vec![
            refund("re_3", "pi_1", Some("RF-10"), "succeeded"),
            refund("re_2", "pi_1", Some("RF-1"), "pending"),
            refund("re_1", "pi_1", None, "succeeded"),
        ]);
        let found = refunds_page(&list(data.clone(), false), "RF-1", "pi_1");
        assert_eq!(
            found,
            Ok(Page::Found(RefundResponse {
                connector_refund_id: "re_2".into(),
                status: RefundStatus::Pending,
                amount: MinorUnit::new(300).ok(),
                failure_reason: None,
                raw_status: "pending".into(),
            }))
        );
        assert_eq!(
            refunds_page(&list(data.clone(), false), "RF-2", "pi_1"),
            Ok(Page::End)
        );
        assert_eq!(
            refunds_page(&list(data.clone(), true), "RF-2", "pi_1"),
            Ok(Page::More("re_1".into()))
        );
        // Stripe answered with another payment's refund: not ours to report.
        assert!(matches!(
            refunds_page(&list(data, false), "RF-1", "pi_2"),
            Err(ConnectorError::InvalidResponse { .. })
        ));
        let negative = json!([{"id": "re_1", "amount": -1, "currency": "usd", "status": "succeeded",
                               "payment_intent": "pi_1", "metadata": {"reference": "RF-1"}}]);
        assert!(matches!(
            refunds_page(&list(negative, false), "RF-1", "pi_1"),
            Err(ConnectorError::InvalidResponse { .. })
        ));
    }

    #[test]
    fn queries() {
        let sent = OffsetDateTime::from_unix_timestamp(1_712_000_000).ok();
        assert_eq!(
            intents_query(sent),
            "created[gte]=1711999940&created[lte]=1712000180&limit=100"
        );
        assert_eq!(intents_query(None), "limit=100");
        assert_eq!(
            refunds_query("pi_1&x=y"),
            "payment_intent=pi_1%26x%3Dy&limit=100"
        );
    }
}
