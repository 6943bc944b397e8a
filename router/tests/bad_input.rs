//! Client mistakes get a 4xx with `{error: {type, code, message}}` naming the problem, and write
//! nothing; authentication and merchant isolation; idempotency replay and conflict.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_create_requests_are_named_and_write_nothing() {
    let router = TestRouter::start().await;
    let valid = payment("checkout", 1000, true, TestCard::Approved);
    let with = |field: &str, value: serde_json::Value| {
        let mut body = valid.clone();
        body[field] = value;
        body.to_string()
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().expect("object").remove(field);
        body.to_string()
    };
    let cases: Vec<(String, u16, &str, &str)> = vec![
        ("{\"amount\": 10,".into(), 400, "malformed_json", "JSON"),
        ("[1, 2]".into(), 400, "invalid_body", "JSON object"),
        ("\"text\"".into(), 400, "invalid_body", "JSON object"),
        (without("amount"), 400, "invalid_body", "amount"),
        (without("currency"), 400, "invalid_body", "currency"),
        (without("connector"), 400, "invalid_body", "connector"),
        (with("amount", json!("ten")), 400, "invalid_body", "amount"),
        (with("amount", json!(12.5)), 400, "invalid_body", "amount"),
        (
            with("amount", json!(0)),
            400,
            "invalid_amount",
            "greater than zero",
        ),
        (
            with("amount", json!(-100)),
            400,
            "invalid_amount",
            "greater than zero",
        ),
        (
            with("amount", json!(100_000_000_000i64)),
            400,
            "amount_too_large",
            "at most",
        ),
        (
            with("amount", json!(u64::MAX)),
            400,
            "invalid_body",
            "amount",
        ),
        (
            with("currency", json!("XYZ")),
            400,
            "unknown_currency",
            "XYZ",
        ),
        (with("currency", json!("US")), 400, "unknown_currency", "US"),
        (
            with("currency", json!(840)),
            400,
            "invalid_body",
            "currency",
        ),
        (
            with("connector", json!("adyen")),
            400,
            "unknown_connector",
            "adyen",
        ),
        (
            with("capture_method", json!("later")),
            400,
            "invalid_capture_method",
            "later",
        ),
        (with("amout", json!(5)), 400, "invalid_body", "amout"),
        (
            with("confirm", json!(false)),
            400,
            "confirm_required",
            "confirmed",
        ),
        (
            without("payment_method_data"),
            400,
            "missing_payment_method",
            "payment_token",
        ),
        (
            with(
                "payment_method_data",
                json!({"card": {"card_number": "4242424242424241", "card_exp_month": "12", "card_exp_year": "2030"}}),
            ),
            400,
            "invalid_card",
            "card_number",
        ),
        (
            with(
                "payment_method_data",
                json!({"card": {"card_number": "4242424242424242", "card_exp_month": "13", "card_exp_year": "2030"}}),
            ),
            400,
            "invalid_card",
            "card_exp_month",
        ),
        (
            with(
                "payment_method_data",
                json!({"card": {"card_number": "4242424242424242", "card_exp_month": "12", "card_exp_year": "2030", "card_cvc": "12a"}}),
            ),
            400,
            "invalid_card",
            "card_cvc",
        ),
        (
            with("return_url", json!("not a url")),
            400,
            "invalid_return_url",
            "return_url",
        ),
    ];
    for (body, status, code, mention) in &cases {
        let answer = router
            .raw("POST", "/payments", Some(KEY), None, Some(body))
            .await;
        assert_eq!(answer.status, *status, "{body}: {:#}", answer.body);
        assert_eq!(answer.code(), *code, "{body}: {:#}", answer.body);
        assert!(
            answer.message().contains(mention),
            "{body}: '{}' should mention '{mention}'",
            answer.message()
        );
        // The card number never comes back in an error.
        assert!(
            !answer.message().contains("424242424242"),
            "{}",
            answer.message()
        );
    }
    // A raw card to Primer, which needs a token: refused before sending, nothing stored.
    let primer_card = {
        let mut body = payment("checkout", 1000, true, TestCard::Approved);
        body["connector"] = json!("primer");
        body
    };
    let answer = router.call("POST", "/payments", Some(primer_card)).await;
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert!(
        answer.message().contains("payment-method token"),
        "{}",
        answer.message()
    );
    // Nothing reached a simulator.
    for connector in connectors() {
        let counters = router.simulator(connector).counters();
        assert_eq!(
            counters.requests, 0,
            "{connector} received a request: {counters:?}"
        );
    }
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_operation_requests_are_named() {
    let router = TestRouter::start().await;
    let pid = id(&router
        .create(payment("stripe", 5000, true, TestCard::Approved))
        .await);
    let r = &router;
    let post = |path: String, body: serde_json::Value| async move {
        r.call("POST", &path, Some(body)).await
    };

    let over = post(
        format!("/payments/{pid}/capture"),
        json!({"amount_to_capture": 5001}),
    )
    .await;
    assert_eq!(
        (over.status, over.code()),
        (400, "amount_exceeds_capturable"),
        "{:#}",
        over.body
    );
    let zero = post(
        format!("/payments/{pid}/capture"),
        json!({"amount_to_capture": 0}),
    )
    .await;
    assert_eq!((zero.status, zero.code()), (400, "invalid_amount"));
    let below = post(
        format!("/payments/{pid}/incremental_authorization"),
        json!({"amount": 4000}),
    )
    .await;
    assert_eq!(
        below.status, 409,
        "not created for increments: {:#}",
        below.body
    );
    let refund_early = post("/refunds".into(), json!({"payment_id": pid, "amount": 100})).await;
    assert_eq!(
        (
            refund_early.status,
            refund_early.body["error"]["type"].as_str()
        ),
        (409, Some("invalid_state"))
    );
    let missing = post("/payments/pay_nope/capture".into(), json!({})).await;
    assert_eq!(missing.status, 404);
    let unknown_field = post(format!("/payments/{pid}/capture"), json!({"amount": 10})).await;
    assert_eq!(
        (unknown_field.status, unknown_field.code()),
        (400, "invalid_body")
    );
    assert!(unknown_field.message().contains("amount"));
    let bad_query = router
        .call("GET", &format!("/payments/{pid}?force_sync=maybe"), None)
        .await;
    assert_eq!((bad_query.status, bad_query.code()), (400, "invalid_query"));
    let no_route = router.call("GET", "/nowhere", None).await;
    assert_eq!((no_route.status, no_route.code()), (404, "route_not_found"));

    // Incremental: the new total must exceed the authorized amount.
    let mut body = payment("stripe", 5000, true, TestCard::Approved);
    body["request_incremental_authorization"] = json!(true);
    let inc = id(&router.create(body).await);
    let same = post(
        format!("/payments/{inc}/incremental_authorization"),
        json!({"amount": 5000}),
    )
    .await;
    assert_eq!(
        (same.status, same.code()),
        (400, "amount_not_above_authorized"),
        "{:#}",
        same.body
    );
    assert!(same.message().contains("new total"));
    let huge = post(
        format!("/payments/{inc}/incremental_authorization"),
        json!({"amount": i64::MAX}),
    )
    .await;
    assert_eq!((huge.status, huge.code()), (400, "amount_too_large"));
    // The failed requests changed nothing.
    let after = router.call("GET", &format!("/payments/{inc}"), None).await;
    assert_eq!(after.body["amount"], 5000);
    assert_eq!(after.body["incremental_authorizations"], json!([]));
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_merchant_isolation() {
    let router = TestRouter::start().await;
    let body = payment("checkout", 1000, true, TestCard::Approved).to_string();
    let none = router
        .raw("POST", "/payments", None, None, Some(&body))
        .await;
    assert_eq!(
        (none.status, none.body["error"]["type"].as_str()),
        (401, Some("authentication"))
    );
    assert!(none.message().contains("missing"));
    let wrong = router
        .raw("POST", "/payments", Some("not-a-key"), None, Some(&body))
        .await;
    assert_eq!(wrong.status, 401);
    let listing = router
        .raw("GET", "/connectors", Some("not-a-key"), None, None)
        .await;
    assert_eq!(listing.status, 401);

    let mine = router
        .raw("POST", "/payments", Some(KEY), None, Some(&body))
        .await;
    let pid = id(&mine.body);
    assert_eq!(mine.body["merchant_id"], "merchant_one");
    // The other merchant sees nothing and can do nothing.
    for (method, path) in [
        ("GET", format!("/payments/{pid}")),
        ("GET", format!("/payments/{pid}/eligibility")),
        ("POST", format!("/payments/{pid}/capture")),
        ("POST", format!("/payments/{pid}/cancel")),
        ("PUT", format!("/payments/{pid}/update_metadata")),
    ] {
        let body = if method == "PUT" {
            Some("{\"metadata\": {}}")
        } else {
            Some("{}")
        };
        let answer = router.raw(method, &path, Some(OTHER_KEY), None, body).await;
        assert_eq!(answer.status, 404, "{method} {path}: {:#}", answer.body);
    }
    let refund = router
        .raw(
            "POST",
            "/refunds",
            Some(OTHER_KEY),
            None,
            Some(&format!("{{\"payment_id\": \"{pid}\"}}")),
        )
        .await;
    assert_eq!(refund.status, 404);
    // Still capturable by its owner: nothing was done to it.
    let captured = router
        .call("POST", &format!("/payments/{pid}/capture"), Some(json!({})))
        .await;
    assert_eq!(captured.body["status"], "succeeded");
    let refund = router
        .call(
            "POST",
            "/refunds",
            Some(json!({"payment_id": pid, "amount": 100})),
        )
        .await;
    let refund_id = refund.body["refund_id"].as_str().expect("id").to_owned();
    let other = router
        .raw(
            "GET",
            &format!("/refunds/{refund_id}"),
            Some(OTHER_KEY),
            None,
            None,
        )
        .await;
    assert_eq!(other.status, 404);
    router.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_or_conflict() {
    // Keys unique to this run, so the test also holds on a database kept between runs.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (order, cap_1, cap_2) = (
        format!("order-{run}"),
        format!("cap-1-{run}"),
        format!("cap-2-{run}"),
    );
    let router = TestRouter::start().await;
    let body = payment("stripe", 1200, true, TestCard::Approved).to_string();
    let first = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some(order.as_str()),
            Some(&body),
        )
        .await;
    assert_eq!(first.status, 200);
    let again = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some(order.as_str()),
            Some(&body),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the stored answer is replayed");
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let authorizations = router.simulator("stripe").counters();
    assert_eq!(
        authorizations.requests, 1,
        "one payment at the processor: {authorizations:?}"
    );

    let other_body = payment("stripe", 1300, true, TestCard::Approved).to_string();
    let conflict = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some(order.as_str()),
            Some(&other_body),
        )
        .await;
    assert_eq!(
        (conflict.status, conflict.code()),
        (409, "idempotency_key_reused"),
        "{:#}",
        conflict.body
    );
    assert_eq!(conflict.body["error"]["type"], "idempotency");
    // Keys are per merchant: the other merchant's "order-42" is its own.
    let theirs = router
        .raw(
            "POST",
            "/payments",
            Some(OTHER_KEY),
            Some(order.as_str()),
            Some(&body),
        )
        .await;
    assert_eq!(theirs.status, 200);
    assert_ne!(theirs.body["payment_id"], first.body["payment_id"]);

    // On an operation: a replayed capture does not capture twice; an error is replayed too.
    let pid = id(&first.body);
    let capture = format!("/payments/{pid}/capture");
    let half = "{\"amount_to_capture\": 600}";
    // The same request sent twice with one key: the first answer, then its replay.
    let twice = |key: String| {
        let (router, capture) = (&router, &capture);
        async move {
            let send = || router.raw("POST", capture, Some(KEY), Some(&key), Some(half));
            (send().await, send().await)
        }
    };
    let (one, two) = twice(cap_1).await;
    assert_eq!(one.body, two.body);
    assert_eq!(two.body["captures"].as_array().map(Vec::len), Some(1));
    let (refused, replayed) = twice(cap_2).await;
    assert_eq!(refused.status, replayed.status);
    assert_eq!(refused.body, replayed.body);
    let bad_key = router
        .raw("POST", &capture, Some(KEY), Some("spaced key"), Some(half))
        .await;
    assert_eq!(
        (bad_key.status, bad_key.code()),
        (400, "invalid_idempotency_key")
    );
    router.running.shutdown().await;
}
