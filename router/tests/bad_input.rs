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
    // Valid for the API, not for this connector: 422.
    assert_eq!(answer.status, 422, "{:#}", answer.body);
    assert_eq!(answer.code(), "connector_refused_request");
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
async fn an_idempotency_record_expires_after_its_ttl() {
    let router = TestRouter::start_configured(|config| config.idempotency_ttl_secs = 1).await;
    let key = format!("expiring-{}", uuid::Uuid::new_v4().simple());
    let body = payment("stripe", 1200, true, TestCard::Approved).to_string();
    let first = router
        .raw("POST", "/payments", Some(KEY), Some(&key), Some(&body))
        .await;
    assert_eq!(first.status, 200);
    let other = payment("stripe", 1300, true, TestCard::Approved).to_string();
    let reused = router
        .raw("POST", "/payments", Some(KEY), Some(&key), Some(&other))
        .await;
    assert_eq!(reused.code(), "idempotency_key_reused");
    // Past the TTL and a sweep, the key is free: another request under it runs.
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
    let later = router
        .raw("POST", "/payments", Some(KEY), Some(&key), Some(&other))
        .await;
    assert_eq!(later.status, 200, "{:?}", later.body);
    assert_eq!(later.body["amount"], 1300);
    assert!(later.headers.get("idempotent-replayed").is_none());
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
    // The stored answer is replayed, without the client secret (shown once, kept hashed).
    assert!(first.body["client_secret"].is_string());
    let mut shown_once = first.body.clone();
    shown_once["client_secret"] = serde_json::Value::Null;
    assert_eq!(again.body, shown_once, "the stored answer is replayed");
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let authorizations = router.simulator("stripe").counters();
    assert_eq!(
        authorizations.authorizations, 1,
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

/// Strict inputs and metadata limits: each refused with a 400 that names the field, before
/// anything is sent or stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loose_inputs_and_oversized_metadata_are_refused_and_write_nothing() {
    let router = TestRouter::start().await;
    let valid = payment("checkout", 1000, true, TestCard::Approved);
    let with = |path: &[&str], value: serde_json::Value| {
        let mut body = valid.clone();
        let (last, parents) = path.split_last().expect("a path");
        let mut at = &mut body;
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = value;
        body
    };
    let card =
        |field: &str, value: &str| with(&["payment_method_data", "card", field], json!(value));
    let keys = |n: usize| -> serde_json::Value {
        (0..n)
            .map(|i| (format!("key{i}"), json!("v")))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let cases = [
        (
            with(&["currency"], json!("usd")),
            "unknown_currency",
            "upper case",
        ),
        (
            card("card_number", "-4242424242424242"),
            "invalid_card",
            "digits",
        ),
        (
            card("card_number", "4242-4242-4242-4242"),
            "invalid_card",
            "digits",
        ),
        (
            card("card_number", "0000000000000000000"),
            "invalid_card",
            "issuer",
        ),
        (
            card("card_holder_name", "Jane\u{0}Doe"),
            "invalid_text",
            "card_holder_name",
        ),
        (
            with(&["description"], json!("two\nlines")),
            "invalid_text",
            "description",
        ),
        (
            with(&["return_url"], json!("javascript:alert(1)")),
            "invalid_return_url",
            "https",
        ),
        (
            with(&["return_url"], json!("http://shop.example/back")),
            "invalid_return_url",
            "https",
        ),
        (
            with(&["metadata"], keys(51)),
            "invalid_metadata",
            "at most 50",
        ),
        (
            with(&["metadata"], json!({"k".repeat(41): "v"})),
            "invalid_metadata",
            "40",
        ),
        (
            with(&["metadata"], json!({"note": "x".repeat(501)})),
            "invalid_metadata",
            "note",
        ),
    ];
    for (body, code, mention) in &cases {
        let answer = router.call("POST", "/payments", Some(body.clone())).await;
        assert_eq!(answer.status, 400, "{body}: {:#}", answer.body);
        assert_eq!(answer.code(), *code, "{body}: {:#}", answer.body);
        assert!(
            answer.message().contains(mention),
            "{body}: '{}' should mention '{mention}'",
            answer.message()
        );
    }
    for connector in connectors() {
        let counters = router.simulator(connector).counters();
        assert_eq!(
            counters.requests, 0,
            "{connector} received a request: {counters:?}"
        );
    }

    // Metadata limits hold after a merge too, and a refused merge keeps what was there.
    let created = router.create(with(&["metadata"], keys(45))).await;
    let pid = id(&created);
    let merge = router
        .call(
            "PUT",
            &format!("/payments/{pid}/update_metadata"),
            Some(json!({"metadata": keys(60)})),
        )
        .await;
    assert_eq!(merge.status, 400, "{:#}", merge.body);
    assert_eq!(merge.code(), "invalid_metadata");
    let kept = router.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(kept.body["metadata"].as_object().map(|m| m.len()), Some(45));
    let cancel = router
        .call(
            "POST",
            &format!("/payments/{pid}/cancel"),
            Some(json!({"cancellation_reason": "bell\u{7}"})),
        )
        .await;
    assert_eq!(cancel.code(), "invalid_text", "{:#}", cancel.body);
    let kept = router.call("GET", &format!("/payments/{pid}"), None).await;
    assert_eq!(kept.body["status"], "requires_capture");
    router.running.shutdown().await;
}

/// Sends `head` (a request line and headers announcing a larger body) and `sent` bytes of body
/// on a raw connection, and reads the answer: the status and the JSON body. The rest of the
/// body is never sent, so the server answers from what it read (as it does past the limit),
/// and no client is still writing when it answers.
async fn answer_to_head(base: &str, head: &str, sent: usize) -> (u16, serde_json::Value) {
    use tokio::io::AsyncWriteExt;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{head}\r\n\r\n{{\"description\": \"").into_bytes();
    request.resize(request.len() + sent, b'x');
    stream.write_all(&request).await.expect("send");
    let text = read_http_response(&mut stream, std::time::Duration::from_secs(5))
        .await
        .expect("answered without the body");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let status = head[9..12].parse().expect("a status");
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, json)
}

/// Every refusal has the JSON error shape, also those of the extractors: a body past the
/// limit (with and without an Idempotency-Key, and to a webhook), an id in the path that is
/// not text, an unknown route, a wrong method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_the_handler_are_json_errors_too() {
    let router = TestRouter::start().await;
    let big = 3 * 1024 * 1024;
    for (path, extra) in [
        ("/payments", format!("api-key: {KEY}")),
        (
            "/payments",
            format!("api-key: {KEY}\r\nIdempotency-Key: big-1"),
        ),
        ("/webhooks/stripe", "Stripe-Signature: t=1,v1=00".to_owned()),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: router\r\n{extra}\r\n\
             Content-Type: application/json\r\nContent-Length: {big}"
        );
        let (status, body) = answer_to_head(&router.base, &head, 2 * 1024 * 1024 + 65_536).await;
        assert_eq!(status, 413, "{path}: {body:#}");
        assert_eq!(body["error"]["code"], "body_too_large", "{path}: {body:#}");
    }
    let cases = [
        ("GET", "/payments/%FF%FE", None, 400, "invalid_path"),
        (
            "POST",
            "/payments/%FF/capture",
            Some("{}"),
            400,
            "invalid_path",
        ),
        ("GET", "/refunds/%C3%28", None, 400, "invalid_path"),
        ("GET", "/no/such/route", None, 404, "route_not_found"),
        ("DELETE", "/payments", None, 405, "method_not_allowed"),
    ];
    for (method, path, body, status, code) in cases {
        let answer = router.raw(method, path, Some(KEY), None, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {:#}", answer.body);
        assert_eq!(answer.code(), code, "{method} {path}: {:#}", answer.body);
        assert!(answer.body["error"]["type"].is_string(), "{method} {path}");
        assert!(!answer.message().is_empty(), "{method} {path}");
    }
    // A refused body claimed nothing: the key is free for a real request.
    let ok = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("big-1"),
            Some(&payment("stripe", 500, false, TestCard::Approved).to_string()),
        )
        .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    router.running.shutdown().await;
}

/// A request that fails authentication is answered 401 before its body is read: a client
/// announcing 10 MB and sending one byte gets its answer at once, nothing buffered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_comes_before_the_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = TestRouter::start().await;
    let addr = router.base.trim_start_matches("http://").to_owned();
    for (path, key_header) in [
        ("/payments", "api-key: wrong"),
        ("/refunds", "api-key: wrong\r\nIdempotency-Key: k-1"),
        ("/payments/pay_x/capture", "X-No-Key: 1"),
    ] {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: router\r\n{key_header}\r\n\
             Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.expect("send");
        let mut answer = vec![0; 4096];
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
                .await
                .expect("answered without waiting for the body")
                .expect("read");
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 401"), "{path}: {answer}");
        assert!(answer.contains("invalid_api_key"), "{path}: {answer}");
    }
    router.running.shutdown().await;
}
