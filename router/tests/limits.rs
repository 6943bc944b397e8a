//! What one client can hold of the server: half-sent headers, idle keep-alive connections and
//! stalled bodies are cut off, and connections and requests past their caps wait (then get 503
//! `overloaded`). Each test sets short limits and speaks raw HTTP/1.1 over TCP, as a slow or
//! hostile client would.

mod common;

use std::time::{Duration, Instant};

use common::*;
use paybridge_router::config::ServerLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn router_with(limits: ServerLimits) -> TestRouter {
    TestRouter::start_configured(|config| config.server = limits).await
}

async fn connect(router: &TestRouter) -> TcpStream {
    TcpStream::connect(router.running.addr())
        .await
        .expect("connects")
}

/// Everything the server sends until it closes the connection, or `None` if it is still open
/// after `wait`.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(wait, stream.read_to_end(&mut received)).await;
    match read {
        // A reset is the server closing too.
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: router\r\napi-key: {KEY}\r\n\r\n")
}

/// A POST announcing a 100-byte body, of which it sends 10.
fn stalled_post(idempotency_key: Option<&str>) -> String {
    let key = idempotency_key
        .map(|k| format!("idempotency-key: {k}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /payments HTTP/1.1\r\nhost: router\r\napi-key: {KEY}\r\n{key}\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"amount\":"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_silent_connections_are_closed_after_the_header_timeout() {
    let router = router_with(ServerLimits {
        header_read_timeout_ms: 300,
        ..ServerLimits::default()
    })
    .await;
    for sent in ["", "POST /payments HTTP/1.1\r\nhost: router\r\napi-"] {
        let mut stream = connect(&router).await;
        stream.write_all(sent.as_bytes()).await.expect("writes");
        let started = Instant::now();
        let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(answer.is_some(), "{sent:?}: still open after 5 s");
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{sent:?}: closed before the timeout"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let router = router_with(ServerLimits {
        header_read_timeout_ms: 300,
        ..ServerLimits::default()
    })
    .await;
    let mut stream = connect(&router).await;
    stream
        .write_all(get("/health").as_bytes())
        .await
        .expect("writes");
    let answer = read_http_response(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Kept alive for a while, then closed.
    stream
        .write_all(get("/health").as_bytes())
        .await
        .expect("writes");
    let again = read_http_response(&mut stream, Duration::from_secs(5))
        .await
        .expect("a second answer on the kept-alive connection");
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    let closed = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(closed.as_deref(), Some(""), "idle connection left open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_408_body_timeout_and_stores_nothing() {
    let router = router_with(ServerLimits {
        body_read_timeout_ms: 300,
        ..ServerLimits::default()
    })
    .await;
    // Without a key the handler reads the body; with one the idempotency layer does.
    for key in [None, Some("stalled-body-1")] {
        let mut stream = connect(&router).await;
        stream
            .write_all(stalled_post(key).as_bytes())
            .await
            .expect("writes");
        let answer = read_http_response(&mut stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{key:?}: no answer to a stalled body"));
        assert!(answer.starts_with("HTTP/1.1 408"), "{key:?}: {answer}");
        assert!(answer.contains("\"body_timeout\""), "{key:?}: {answer}");
    }
    // The key was released: the same key with a whole body runs.
    let body = payment("stripe", 1000, true, TestCard::Approved).to_string();
    let retry = router
        .raw(
            "POST",
            "/payments",
            Some(KEY),
            Some("stalled-body-1"),
            Some(&body),
        )
        .await;
    assert_eq!(retry.status, 200, "{:?}", retry.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_a_free_one() {
    let router = router_with(ServerLimits {
        max_connections: 2,
        ..ServerLimits::default()
    })
    .await;
    let mut first = connect(&router).await;
    let _second = connect(&router).await;
    // Both open, the first answered: the server holds two connections.
    first
        .write_all(get("/health").as_bytes())
        .await
        .expect("writes");
    let answer = read_http_response(&mut first, Duration::from_secs(5))
        .await
        .expect("first answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let mut third = connect(&router).await;
    third
        .write_all(get("/health").as_bytes())
        .await
        .expect("writes");
    assert_eq!(
        read_http_response(&mut third, Duration::from_millis(500)).await,
        None,
        "a third connection was served past max_connections = 2"
    );
    drop(first);
    let answer = read_http_response(&mut third, Duration::from_secs(5))
        .await
        .expect("served once a connection closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_cap_wait_then_get_503_overloaded_while_probes_answer() {
    let router = router_with(ServerLimits {
        max_requests_in_flight: 1,
        request_queue_timeout_ms: 200,
        body_read_timeout_ms: 1500,
        ..ServerLimits::default()
    })
    .await;
    // A stalled body holds the one request slot until its body timeout.
    let mut holder = connect(&router).await;
    holder
        .write_all(stalled_post(None).as_bytes())
        .await
        .expect("writes");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let refused = router.call("GET", "/connectors", None).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(refused.code(), "overloaded");
    assert_eq!(refused.body["error"]["type"], "overloaded");
    assert_eq!(refused.headers["retry-after"], "1");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "refused without waiting"
    );
    let health = router.call("GET", "/health", None).await;
    assert_eq!(health.status, 200, "the probe waits for no slot");

    let answer = read_http_response(&mut holder, Duration::from_secs(5))
        .await
        .expect("the holder's 408");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let served = router.call("GET", "/connectors", None).await;
    assert_eq!(
        served.status, 200,
        "the slot is free again: {:?}",
        served.body
    );
}
