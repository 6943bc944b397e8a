//! The SQL backend's tests, on SQLite files shared by two stores (as by two router
//! instances).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use super::build::*;
use super::SqlStore;
use crate::store::*;

/// A SQL store and the [`Store`] over it, for tests that reach below the facade.
async fn sql_and_store(url: &str) -> (Arc<SqlStore>, Store) {
    let sql = Arc::new(SqlStore::connect(url).await.expect("store"));
    (sql.clone(), Store::over(sql))
}

/// Runs `sql` on the store's connection and reads the first column of its first row as text.
async fn scalar(sql: &SqlStore, text: &'static str) -> String {
    sql.run(move |conn| {
        Box::pin(async move {
            let row = sqlx::query(text).fetch_one(conn).await?;
            use sqlx::Row;
            row.try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
        })
    })
    .await
    .expect(text)
}

const T0: &str = "2026-01-01T00:00:00.000Z";

fn new_payment(payment_id: &str) -> PaymentRecord {
    let payment = PaymentRow {
        payment_id: payment_id.into(),
        merchant_id: "m1".into(),
        connector: "stripe".into(),
        connector_transaction_id: Some("pi_1".into()),
        status: "requires_capture".into(),
        amount: 1000,
        currency: "USD".into(),
        capture_method: "manual".into(),
        amount_capturable: 1000,
        amount_received: 0,
        payment_method: "card".into(),
        card_network: None,
        card_last4: Some("4242".into()),
        metadata: "{}".into(),
        description: None,
        return_url: None,
        request_incremental_authorization: 0,
        incremental_authorization_allowed: None,
        authorization_count: 1,
        request_extended_authorization: 0,
        extended_authorization_applied: None,
        extended_authorization_last_applied_at: None,
        capture_before: None,
        expires_on: None,
        next_action: None,
        error_code: None,
        error_message: None,
        unified_code: None,
        unified_message: None,
        cancellation_reason: None,
        connector_key: "k".into(),
        version: 0,
        created: T0.into(),
        updated: T0.into(),
        lease_owner: None,
        lease_until: None,
        cancel_post_capture_refund: None,
        details: None,
        client_secret_hash: None,
        network_transaction_id: None,
        issuer_error_code: None,
        authentication: None,
    };
    let attempt = AttemptRow {
        attempt_id: format!("{payment_id}_1"),
        status: "authorized".into(),
        amount: 1000,
        currency: "USD".into(),
        connector: "stripe".into(),
        connector_transaction_id: Some("pi_1".into()),
        capture_method: "manual".into(),
        payment_method: "card".into(),
        error_code: None,
        error_message: None,
        unified_code: None,
        unified_message: None,
        created_at: T0.into(),
        modified_at: T0.into(),
    };
    PaymentRecord::inserted(payment, attempt)
}

fn capture(record: &mut PaymentRecord, capture_id: &str, amount: i64) {
    record.captures.push(CaptureRow {
        capture_id: capture_id.into(),
        status: "charged".into(),
        amount,
        currency: "USD".into(),
        connector: "stripe".into(),
        connector_capture_id: None,
        capture_sequence: record.captures.len() as i64 + 1,
        final_capture: Some(0),
        error_code: None,
        error_message: None,
        created_at: T0.into(),
    });
    record.payment.amount_received += amount;
    record.payment.amount_capturable -= amount;
    record.payment.version += 1;
}

/// Polls `request` up to `polls` times, pausing between polls, and drops it unfinished.
async fn drop_after_polls<F: std::future::Future>(request: F, polls: usize) {
    let mut request = std::pin::pin!(request);
    for _ in 0..polls {
        let done =
            std::future::poll_fn(|cx| std::task::Poll::Ready(request.as_mut().poll(cx).is_ready()))
                .await;
        if done {
            return;
        }
        // Blocks this test's thread, not SQLite's: the statement sent runs meanwhile.
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Payment `pay_1` of merchant `m1` as `store` reads it; it must exist.
async fn stored(store: &Store) -> PaymentRecord {
    store
        .payment("m1", "pay_1")
        .await
        .expect("load")
        .expect("pay_1 is stored")
}

/// A database file shared by two stores, as by two router instances.
struct SharedFile(std::path::PathBuf);

impl SharedFile {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "paybridge-store-{name}-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        SharedFile(path)
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for SharedFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[tokio::test]
async fn a_sqlite_file_is_created_and_a_missing_driver_says_the_fix() {
    let file = SharedFile::new("fresh");
    assert!(!file.0.exists());
    let store = Store::connect(&format!("sqlite://{}", file.0.display()))
        .await
        .expect("a missing file is created");
    store.close().await;
    assert!(file.0.exists());
    let Err(err) = Store::connect("mysql://localhost/db").await else {
        panic!("no such driver");
    };
    assert!(err.to_string().contains("use sqlite://FILE"), "{err}");
    if !cfg!(feature = "postgres") {
        let Err(err) = Store::connect("postgres://u@127.0.0.1:1/db").await else {
            panic!("no PostgreSQL driver in this build");
        };
        assert!(err.to_string().contains("--features postgres"), "{err}");
    }
}

/// Two stores on one file, as two router instances, and payment `pay_1` inserted by the
/// first. The file is deleted when the first value is dropped.
async fn two_stores_with_a_payment(name: &str) -> (SharedFile, Store, Store) {
    let file = SharedFile::new(name);
    let a = Store::connect(&file.url()).await.expect("store a");
    let b = Store::connect(&file.url()).await.expect("store b");
    a.insert_payment(&new_payment("pay_1"))
        .await
        .expect("insert");
    (file, a, b)
}

#[tokio::test]
async fn a_save_from_a_stale_version_writes_nothing_and_no_cache_hides_the_winner() {
    let (_file, a, b) = two_stores_with_a_payment("stale").await;

    let mut seen_by_a = stored(&a).await;
    let mut seen_by_b = stored(&b).await;
    capture(&mut seen_by_b, "cap_b", 600);
    assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);
    // A still holds version 0 and its cache has the children of version 0.
    capture(&mut seen_by_a, "cap_a", 700);
    assert_eq!(a.save(&mut seen_by_a).await.expect("save"), Written::Stale);

    for store in [&a, &b] {
        let now = stored(store).await;
        assert_eq!(now.payment.version, 1);
        assert_eq!(now.payment.amount_received, 600);
        let ids: Vec<&str> = now.captures.iter().map(|c| c.capture_id.as_str()).collect();
        assert_eq!(ids, ["cap_b"], "the stale save wrote no capture");
    }
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_write_that_fails_half_way_leaves_nothing_and_the_store_usable() {
    let file = SharedFile::new("half");
    let (sql, store) = sql_and_store(&file.url()).await;
    store
        .insert_payment(&new_payment("pay_1"))
        .await
        .expect("insert");
    let before = stored(&store).await;

    // The payment row is written first, then a capture the schema refuses (no payment id).
    let mut record = before.clone();
    capture(&mut record, "cap_1", 400);
    let mut update = record.clone();
    update.payment.amount_received = 400;
    let payment = payment_update(&update.payment, &before.payment);
    let mut bad = capture_row(true, "pay_1", T0, &record.captures[0]);
    bad.params[1] = Param::Text(None);
    let err = sql.write(payment, vec![bad]).await.expect_err("refused");
    assert!(err.to_string().contains("NOT NULL"), "{err}");

    let after = stored(&store).await;
    assert_eq!(after, before, "nothing of the failed write is stored");
    // The connection is not left inside the failed transaction.
    assert_eq!(store.save(&mut record).await.expect("save"), Written::Yes);
    let other = Store::connect(&file.url()).await.expect("second store");
    let seen = stored(&other).await;
    assert_eq!(seen.payment.amount_received, 400);
    assert_eq!(seen.captures.len(), 1);
    store.close().await;
    other.close().await;
    // A closed store refuses at once rather than waiting for a connection.
    assert!(matches!(store.ping().await, Err(StoreError::Closed)));
    assert!(matches!(
        other.payment("m1", "pay_1").await,
        Err(StoreError::Closed)
    ));
}

#[tokio::test]
async fn cancelled_statements_leave_the_connection_usable_and_no_transaction_open() {
    let (_file, a, b) = two_stores_with_a_payment("cancelled").await;
    // Requests dropped at every point: waiting for the connection, inside a statement,
    // between the statements of a transaction (a delete of nothing still takes SQLite's
    // write lock until its transaction ends). Each is polled `polls` times, with a pause
    // between polls for SQLite's thread to answer, then dropped.
    for polls in 1..40 {
        drop_after_polls(a.delete_unsent_payment("pay_none"), polls).await;
        drop_after_polls(a.payment("m1", "pay_1"), polls).await;
    }
    // Another connection writes at once: no transaction of `a` holds the write lock (one
    // would make this wait for busy_timeout and fail).
    let mut record = stored(&b).await;
    capture(&mut record, "cap_b", 300);
    let written = tokio::time::timeout(Duration::from_secs(2), b.save(&mut record))
        .await
        .expect("not blocked by a transaction left open")
        .expect("save");
    assert_eq!(written, Written::Yes);
    // And `a`'s connection still reads and writes.
    let mut record = stored(&a).await;
    assert_eq!(record.payment.amount_received, 300);
    capture(&mut record, "cap_a", 200);
    assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn inserting_a_taken_payment_id_fails_and_keeps_the_first() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    store
        .insert_payment(&new_payment("pay_1"))
        .await
        .expect("insert");
    let mut second = new_payment("pay_1");
    second.payment.amount = 5;
    store
        .insert_payment(&second)
        .await
        .expect_err("the id is taken");
    let stored = stored(&store).await;
    assert_eq!(stored.payment.amount, 1000);
    store
        .insert_payment(&new_payment("pay_2"))
        .await
        .expect("the store still writes");
}

fn captured_event(event_id: &str) -> paybridge_core::WebhookEvent {
    paybridge_core::WebhookEvent {
        event_id: event_id.into(),
        kind: paybridge_core::WebhookEventKind::Captured,
        raw_type: "charge.captured".into(),
        connector_payment_id: Some("pi_1".into()),
        connector_action_id: None,
        payment_status: None,
        amount: None,
        currency: None,
        decline: None,
    }
}

#[tokio::test]
async fn an_applied_webhook_event_is_recorded_with_the_change_or_not_at_all() {
    let (file, a, b) = two_stores_with_a_payment("event").await;
    let mut stale = stored(&a).await;
    let mut fresh = stored(&b).await;
    capture(&mut fresh, "cap_b", 300);
    assert_eq!(b.save(&mut fresh).await.expect("save"), Written::Yes);

    let (lost, kept) = (captured_event("evt_lost"), captured_event("evt_kept"));
    let received = |event| ReceivedWebhook {
        connector: "stripe",
        event,
        payment_id: Some("pay_1"),
        received_at: T0,
    };
    capture(&mut stale, "cap_a", 300);
    let written = a
        .save_with_event(&mut stale, Some(&received(&lost)))
        .await
        .expect("save");
    assert_eq!(written, Written::Stale);
    assert!(
        !a.webhook_event_seen("stripe", "evt_lost")
            .await
            .expect("seen"),
        "an event whose change was not stored is not recorded, so its redelivery applies"
    );

    capture(&mut fresh, "cap_c", 200);
    let written = b
        .save_with_event(&mut fresh, Some(&received(&kept)))
        .await
        .expect("save");
    assert_eq!(written, Written::Yes);
    assert!(a
        .webhook_event_seen("stripe", "evt_kept")
        .await
        .expect("seen"));
    let (reader, _) = sql_and_store(&file.url()).await;
    let outcome = scalar(
        &reader,
        "SELECT outcome FROM webhook_events WHERE connector = 'stripe' AND event_id = 'evt_kept'",
    )
    .await;
    assert_eq!(outcome, "applied");
    // An event that changed nothing is recorded once; its twin is a duplicate.
    let ignored = captured_event("evt_ignored");
    assert!(a
        .record_ignored_webhook(&received(&ignored), None)
        .await
        .expect("record"));
    assert!(!a
        .record_ignored_webhook(&received(&ignored), None)
        .await
        .expect("record"));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_save_writes_what_changed_and_refuses_to_change_what_never_does() {
    let (_file, a, b) = two_stores_with_a_payment("update").await;
    let mut record = stored(&a).await;
    record.payment.connector_transaction_id = Some("pi_2".into());
    record.payment.status = "processing".into();
    record.payment.version += 1;
    assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
    let seen = stored(&b).await;
    assert_eq!(seen.payment, record.payment);
    let owner = |id: &'static str| b.payment_owner_by_connector_id("stripe", id);
    assert_eq!(owner("pi_1").await.expect("owner"), None);
    assert_eq!(
        owner("pi_2").await.expect("owner"),
        Some(("pay_1".to_owned(), "m1".to_owned()))
    );

    // A save without a new processor id leaves it as it is.
    record.payment.status = "succeeded".into();
    record.payment.version += 1;
    assert_eq!(a.save(&mut record).await.expect("save"), Written::Yes);
    let seen = stored(&b).await;
    assert_eq!(seen.payment, record.payment);

    let mut moved = record.clone();
    moved.payment.merchant_id = "m2".into();
    moved.payment.version += 1;
    let err = a.save(&mut moved).await.expect_err("refused");
    assert!(err.to_string().contains("never change"), "{err}");
    let seen = stored(&b).await;
    assert_eq!(seen.payment, record.payment, "nothing written");
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_sqlite_file_runs_with_the_settings_measured() {
    let file = SharedFile::new("pragmas");
    let (sql, store) = sql_and_store(&file.url()).await;
    assert_eq!(scalar(&sql, "PRAGMA journal_mode").await, "wal");
    assert_eq!(scalar(&sql, "PRAGMA synchronous").await, "1", "NORMAL");
    assert_eq!(scalar(&sql, "PRAGMA foreign_keys").await, "1");
    assert_eq!(scalar(&sql, "PRAGMA cache_size").await, "-65536", "64 MiB");
    store.close().await;
}

#[tokio::test]
async fn a_remembered_copy_is_the_last_write_for_its_merchant_and_a_stale_one_writes_nothing() {
    let (_file, a, b) = two_stores_with_a_payment("remembered").await;
    assert!(
        a.remembered_payment("m2", "pay_1").is_none(),
        "another merchant's"
    );
    assert!(
        b.remembered_payment("m1", "pay_1").is_none(),
        "b never read it"
    );
    let mut copy = a.remembered_payment("m1", "pay_1").expect("a inserted it");
    assert!(copy.unconfirmed());
    assert_eq!(copy.payment.version, 0);
    assert_eq!(copy.attempts.len(), 1);
    capture(&mut copy, "cap_a", 100);
    assert_eq!(a.save(&mut copy).await.expect("save"), Written::Yes);
    assert!(!copy.unconfirmed(), "a write confirms the copy");
    let again = a.remembered_payment("m1", "pay_1").expect("kept");
    assert_eq!((again.payment.version, again.captures.len()), (1, 1));
    // A read of version 0 that raced that write does not replace it.
    let raced = PaymentRecord::inserted(new_payment("pay_1").payment, copy.attempts[0].clone());
    a.cache.put(raced.stored);
    let kept = a.remembered_payment("m1", "pay_1").expect("kept");
    assert_eq!(kept.payment.version, 1);
    assert_eq!(
        a.payment_owner_by_connector_id("stripe", "pi_1")
            .await
            .expect("owner"),
        Some(("pay_1".to_owned(), "m1".to_owned()))
    );

    // B moves the payment on; A's memory still has version 1.
    let mut seen_by_b = stored(&b).await;
    capture(&mut seen_by_b, "cap_b", 200);
    assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);

    let received = |event| ReceivedWebhook {
        connector: "stripe",
        event,
        payment_id: Some("pay_1"),
        received_at: T0,
    };
    let event = captured_event("evt_1");
    let mut stale = a.remembered_payment("m1", "pay_1").expect("kept");
    assert!(!a
        .record_ignored_webhook(&received(&event), Some(&mut stale))
        .await
        .expect("record"));
    assert!(stale.unconfirmed());
    assert!(
        !a.webhook_event_seen("stripe", "evt_1").await.expect("seen"),
        "an event ignored on a stale copy is not recorded, so a fresh read decides"
    );
    let mut stale = a.remembered_payment("m1", "pay_1").expect("kept");
    capture(&mut stale, "cap_a2", 300);
    assert_eq!(a.save(&mut stale).await.expect("save"), Written::Stale);

    let mut fresh = stored(&a).await;
    assert_eq!(fresh.payment.version, 2);
    assert!(a
        .record_ignored_webhook(&received(&event), Some(&mut fresh))
        .await
        .expect("record"));
    // The fresh read is now what A remembers, and current: recording confirms it.
    let mut current = a.remembered_payment("m1", "pay_1").expect("kept");
    assert_eq!(current.payment.version, 2);
    let next = captured_event("evt_2");
    assert!(a
        .record_ignored_webhook(&received(&next), Some(&mut current))
        .await
        .expect("record"));
    assert!(!current.unconfirmed());
    a.close().await;
    b.close().await;
}

#[test]
fn upsert_text_is_built_once_per_shape_and_guarded_only_on_sqlite() {
    let shape = |sqlite| UpsertShape {
        sqlite,
        table: "captures",
        key: "capture_id",
        columns: vec!["capture_id", "status"],
        update: &["status"],
    };
    let sqlite = shape(true).sql();
    assert_eq!(
        sqlite,
        "INSERT INTO captures (capture_id, status) SELECT $1, $2 WHERE changes() = 1 \
         ON CONFLICT (capture_id) DO UPDATE SET status = excluded.status"
    );
    assert!(std::ptr::eq(sqlite, shape(true).sql()), "built once");
    assert_eq!(
        shape(false).sql(),
        "INSERT INTO captures (capture_id, status) VALUES ($1, $2) \
         ON CONFLICT (capture_id) DO UPDATE SET status = excluded.status"
    );
    let mut other = shape(true);
    other.columns.push("amount");
    assert!(other
        .sql()
        .contains("(capture_id, status, amount) SELECT $1, $2, $3"));
}

#[test]
fn a_kept_transaction_text_is_the_one_built_and_takes_the_new_parameters() {
    let statement = |sql: &'static str, first: i64| Statement {
        sql: Cow::Borrowed(sql),
        params: (first..first + 2).map(|v| Param::Int(Some(v))).collect(),
    };
    let build = |base: i64| {
        Statement::sqlite_transaction(
            statement("UPDATE kept SET a = $1 WHERE b = $2", base),
            vec![statement("INSERT INTO kept_rows SELECT $1, $2", base + 2)],
        )
    };
    let first = build(0);
    let again = build(10);
    let expected = "BEGIN IMMEDIATE;\nUPDATE kept SET a = $1 WHERE b = $2;\n\
                    SELECT changes();\nINSERT INTO kept_rows SELECT $3, $4;\nCOMMIT;";
    assert_eq!(first.sql, expected);
    assert_eq!(again.sql, expected);
    assert!(
        matches!(again.sql, Cow::Borrowed(_)),
        "the second is the kept text"
    );
    let values = |batch: &Statement| {
        batch
            .params
            .iter()
            .map(|p| match p {
                Param::Int(v) => v.unwrap_or(-1),
                Param::Text(_) => -1,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&first), [0, 1, 2, 3]);
    assert_eq!(values(&again), [10, 11, 12, 13]);
}

#[test]
fn batched_statements_number_their_parameters_after_the_ones_before() {
    let mut batch = Statement {
        sql: Cow::Owned(String::new()),
        params: vec![],
    };
    for sql in [
        "UPDATE t SET a = $1 WHERE b = $2",
        "INSERT INTO u VALUES ($1, $2, $10)",
    ] {
        let params = (0..sql.matches('$').count())
            .map(|i| Param::Int(Some(i as i64)))
            .collect();
        batch.append(Statement {
            sql: Cow::Borrowed(sql),
            params,
        });
    }
    assert_eq!(
        batch.sql,
        "UPDATE t SET a = $1 WHERE b = $2;\nINSERT INTO u VALUES ($3, $4, $12);\n"
    );
    assert_eq!(batch.params.len(), 5);
}
