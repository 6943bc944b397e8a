//! Stripe's list endpoints (`GET /v1/payment_intents`, `GET /v1/refunds`) as its published
//! document describes them: objects newest first (by `created`; the refunds list says so, the
//! PaymentIntents list does not \[U: Stripe's lists all order this way\]), `limit` 1–100 (default
//! 10), a `created` filter (an exact second or `gt`/`gte`/`lt`/`lte`), and cursors:
//! `starting_after` (the page after that object) or `ending_before` (the page before it), with
//! `has_more` saying whether more objects lie beyond the page in that direction.
//!
//! \[U\] (not in the document, the simulator's choice): a cursor naming no object of the list's
//! kind is 404 `resource_missing` naming the cursor parameter; a `limit` outside 1–100 or both
//! cursors at once is a 400 naming the parameter.

use super::errors::ApiError;
use super::params::Params;

/// The most objects a page holds.
const MAX_LIMIT: i64 = 100;
/// Objects per page when `limit` is not given.
const DEFAULT_LIMIT: i64 = 10;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// The newest objects.
    Start,
    /// `starting_after`: the objects after (older than) this one.
    After(String),
    /// `ending_before`: the objects before (newer than) this one.
    Before(String),
}

/// The `created` filter: bounds in Unix seconds, each inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Created {
    from: Option<i64>,
    to: Option<i64>,
}

impl Created {
    fn contains(self, created: i64) -> bool {
        self.from.is_none_or(|from| created >= from) && self.to.is_none_or(|to| created <= to)
    }
}

/// How to read one page of a list, from its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    limit: usize,
    created: Created,
    cursor: Cursor,
}

/// Reads `limit`, `created`, `starting_after` and `ending_before`.
pub(crate) fn paging(params: &Params) -> Result<Paging, ApiError> {
    let limit = params.int("/limit").unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(format!(
            "Invalid limit: must be between 1 and {MAX_LIMIT}, not {limit}"
        ))
        .param("limit"));
    }
    let created = match params.int("/created") {
        Some(at) => Created {
            from: Some(at),
            to: Some(at),
        },
        None => {
            let bound = |name: &str| params.int(&format!("/created/{name}"));
            Created {
                from: max(bound("gte"), bound("gt").map(|t| t.saturating_add(1))),
                to: min(bound("lte"), bound("lt").map(|t| t.saturating_sub(1))),
            }
        }
    };
    let cursor = match (params.str("/starting_after"), params.str("/ending_before")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "You may only specify one of these parameters: starting_after, ending_before.",
            )
            .param("ending_before"))
        }
        (Some(after), None) => Cursor::After(after.to_owned()),
        (None, Some(before)) => Cursor::Before(before.to_owned()),
        (None, None) => Cursor::Start,
    };
    Ok(Paging {
        limit: usize::try_from(limit).unwrap_or(1),
        created,
        cursor,
    })
}

fn max(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).max()
}

fn min(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).min()
}

/// `objects` (id, `created`) in the order they were made, newest first: by `created`, the
/// later-made first within one second.
pub(crate) fn newest_first<'a>(
    objects: impl Iterator<Item = (&'a str, i64)>,
) -> Vec<(&'a str, i64)> {
    let mut ordered: Vec<(&str, i64)> = objects.collect();
    ordered.reverse();
    // Stable: objects of the same second keep the reversed order of making.
    ordered.sort_by_key(|(_, created)| std::cmp::Reverse(*created));
    ordered
}

/// The page `paging` asks for of `ordered` (every object of the list's kind, newest first),
/// among those `created` allows and `keep` keeps; and whether more of them lie beyond the page.
/// `resource` names the kind in the error for an unknown cursor (`payment_intent`, `refund`).
pub(crate) fn page<'a>(
    ordered: &[(&'a str, i64)],
    keep: impl Fn(&str) -> bool,
    paging: &Paging,
    resource: &str,
) -> Result<(Vec<&'a str>, bool), ApiError> {
    let position = |id: &str, param: &str| {
        ordered
            .iter()
            .position(|(o, _)| *o == id)
            .ok_or_else(|| ApiError::missing(resource, id, param))
    };
    let wanted = |(id, created): &&(&'a str, i64)| paging.created.contains(*created) && keep(id);
    match &paging.cursor {
        Cursor::Start | Cursor::After(_) => {
            let start = match &paging.cursor {
                Cursor::After(after) => position(after, "starting_after")? + 1,
                _ => 0,
            };
            let mut rest = ordered[start..].iter().filter(wanted);
            let page: Vec<&str> = rest
                .by_ref()
                .take(paging.limit)
                .map(|(id, _)| *id)
                .collect();
            Ok((page, rest.next().is_some()))
        }
        Cursor::Before(before) => {
            let end = position(before, "ending_before")?;
            let newer: Vec<&str> = ordered[..end]
                .iter()
                .filter(wanted)
                .map(|(id, _)| *id)
                .collect();
            let from = newer.len().saturating_sub(paging.limit);
            Ok((newer[from..].to_vec(), from > 0))
        }
    }
}

/// A list's `expand[]` paths (`data.latest_charge`) as paths of its objects (`latest_charge`).
pub(crate) fn item_expansions(expand: &[String]) -> Vec<String> {
    expand
        .iter()
        .filter_map(|path| path.strip_prefix("data."))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::stripe::params::{parse, LIST_INTENTS};

    fn paging_of(query: &str) -> Result<Paging, ApiError> {
        paging(&parse(query.as_bytes(), LIST_INTENTS).unwrap())
    }

    /// Ten objects `o0` (oldest, created 100) to `o9` (created 109), newest first.
    fn objects() -> Vec<(String, i64)> {
        (0..10).map(|i| (format!("o{i}"), 100 + i)).collect()
    }

    fn ids(query: &str) -> (Vec<String>, bool) {
        let objects = objects();
        let ordered = newest_first(objects.iter().map(|(id, t)| (id.as_str(), *t)));
        let (page, more) = page(&ordered, |_| true, &paging_of(query).unwrap(), "thing").unwrap();
        (page.into_iter().map(str::to_owned).collect(), more)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pages_run_newest_first_with_cursors_and_has_more() {
        assert_eq!(ids("limit=3"), (names(&["o9", "o8", "o7"]), true));
        assert_eq!(
            ids("limit=3&starting_after=o7"),
            (names(&["o6", "o5", "o4"]), true)
        );
        assert_eq!(
            ids("limit=3&starting_after=o3"),
            (names(&["o2", "o1", "o0"]), false)
        );
        assert_eq!(ids("limit=3&starting_after=o0"), (names(&[]), false));
        assert_eq!(
            ids("limit=3&ending_before=o2"),
            (names(&["o5", "o4", "o3"]), true)
        );
        assert_eq!(
            ids("limit=3&ending_before=o7"),
            (names(&["o9", "o8"]), false)
        );
        // Ten by default.
        assert_eq!(ids("").0.len(), 10);
    }

    #[test]
    fn created_filters_before_paging() {
        assert_eq!(
            ids("created[gte]=103&created[lte]=105"),
            (names(&["o5", "o4", "o3"]), false)
        );
        assert_eq!(
            ids("created[gt]=103&created[lt]=106&limit=1"),
            (names(&["o5"]), true)
        );
        assert_eq!(ids("created=104"), (names(&["o4"]), false));
        // A cursor outside the window still places the page.
        assert_eq!(
            ids("created[lte]=105&starting_after=o8&limit=2"),
            (names(&["o5", "o4"]), true)
        );
    }

    #[test]
    fn objects_of_one_second_keep_the_order_they_were_made_in() {
        let ordered = newest_first([("a", 5), ("b", 5), ("c", 4), ("d", 5)].into_iter());
        assert_eq!(
            ordered.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            ["d", "b", "a", "c"]
        );
    }

    #[test]
    fn bad_paging_is_refused() {
        for (query, param) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("starting_after=o1&ending_before=o2", "ending_before"),
        ] {
            let error = paging_of(query).unwrap_err().object();
            assert_eq!(error["param"], param, "{query}: {error}");
        }
        let ordered = newest_first([("a", 1)].into_iter());
        let error = page(
            &ordered,
            |_| true,
            &paging_of("starting_after=zz").unwrap(),
            "refund",
        )
        .unwrap_err();
        assert_eq!(error.http_status(), axum::http::StatusCode::NOT_FOUND);
        assert_eq!(error.object()["param"], "starting_after");
        assert_eq!(error.object()["code"], "resource_missing");
    }

    #[test]
    fn list_expansions_are_item_paths() {
        let expand = names(&["data.latest_charge", "data.payment_method"]);
        assert_eq!(
            item_expansions(&expand),
            names(&["latest_charge", "payment_method"])
        );
    }
}
