//! What every backend must do, run on each: the in-memory store and SQLite.

use super::*;

const T0: &str = "2026-01-01T00:00:00.000Z";
const T1: &str = "2026-01-01T00:00:10.000Z";
const T2: &str = "2026-01-01T00:00:30.000Z";
const T3: &str = "2026-01-01T00:01:00.000Z";

fn record(payment_id: &str) -> PaymentRecord {
    let payment = PaymentRow {
        payment_id: payment_id.into(),
        merchant_id: "m1".into(),
        connector: "stripe".into(),
        connector_transaction_id: Some(format!("pi_{payment_id}")),
        status: "requires_capture".into(),
        amount: 1000,
        currency: "USD".into(),
        capture_method: "manual".into(),
        amount_capturable: 1000,
        payment_method: "card".into(),
        metadata: "{}".into(),
        connector_key: "k".into(),
        created: T0.into(),
        updated: T0.into(),
        authorization_count: 1,
        ..PaymentRow::default()
    };
    let attempt = AttemptRow {
        attempt_id: format!("att_{payment_id}"),
        status: "authorized".into(),
        amount: 1000,
        currency: "USD".into(),
        connector: "stripe".into(),
        connector_transaction_id: payment.connector_transaction_id.clone(),
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

fn refund(record: &mut PaymentRecord, refund_id: &str, amount: i64) {
    record.refunds.push(RefundRow {
        refund_id: refund_id.into(),
        payment_id: record.payment.payment_id.clone(),
        amount,
        currency: "USD".into(),
        status: "pending".into(),
        reason: None,
        metadata: serde_json::json!({}),
        connector_refund_id: None,
        error_code: None,
        error_message: None,
        unified_code: None,
        unified_message: None,
        connector: "stripe".into(),
        created_at: T0.into(),
        updated_at: T0.into(),
    });
    record.payment.version += 1;
}

fn event(event_id: &str) -> paybridge_core::WebhookEvent {
    paybridge_core::WebhookEvent {
        event_id: event_id.into(),
        kind: paybridge_core::WebhookEventKind::Captured,
        raw_type: "charge.captured".into(),
        connector_payment_id: Some("pi_pay_1".into()),
        connector_action_id: None,
        payment_status: None,
        amount: None,
        currency: None,
        decline: None,
    }
}

/// Two stores over one backend: what one writes the other reads, and a write from a
/// stale copy is refused.
async fn the_contract(backend: Arc<dyn PaymentStore>) {
    let (a, b) = (Store::over(backend.clone()), Store::over(backend));
    a.insert_payment(&record("pay_1")).await.expect("insert");
    assert!(
        a.insert_payment(&record("pay_1")).await.is_err(),
        "id taken"
    );
    assert!(
        b.payment("m2", "pay_1").await.expect("read").is_none(),
        "other merchant"
    );

    let mut seen_by_a = a.payment("m1", "pay_1").await.expect("read").expect("kept");
    let mut seen_by_b = b.payment("m1", "pay_1").await.expect("read").expect("kept");
    refund(&mut seen_by_b, "ref_b", 300);
    assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);
    refund(&mut seen_by_a, "ref_a", 400);
    assert_eq!(a.save(&mut seen_by_a).await.expect("save"), Written::Stale);
    let now = a.payment("m1", "pay_1").await.expect("read").expect("kept");
    let ids: Vec<&str> = now.refunds.iter().map(|r| r.refund_id.as_str()).collect();
    assert_eq!(ids, ["ref_b"]);
    assert_eq!(
        a.refund_owner("ref_b").await.expect("owner"),
        Some(("pay_1".to_owned(), "m1".to_owned()))
    );
    assert_eq!(
        b.payment_merchant("pay_1").await.expect("merchant"),
        Some("m1".to_owned())
    );
    assert_eq!(
        b.payment_merchant("pay_none").await.expect("merchant"),
        None
    );
    assert_eq!(
        b.payment_owner_by_connector_id("stripe", "pi_pay_1")
            .await
            .expect("owner"),
        Some(("pay_1".to_owned(), "m1".to_owned()))
    );

    // An ignored event on a stale remembered copy is not recorded; on the current one it is,
    // once.
    let evt = event("evt_1");
    let received = ReceivedWebhook {
        connector: "stripe",
        event: &evt,
        payment_id: Some("pay_1"),
        received_at: T0,
    };
    let mut stale = a.remembered_payment("m1", "pay_1").expect("remembered");
    let mut moved = a.payment("m1", "pay_1").await.expect("read").expect("kept");
    refund(&mut moved, "ref_c", 100);
    assert_eq!(a.save(&mut moved).await.expect("save"), Written::Yes);
    assert_eq!(
        b.unsettled().await.expect("unsettled"),
        Unsettled {
            refunds: 2,
            ..Unsettled::default()
        }
    );
    let mut processing = record("pay_2");
    processing.payment.status = "processing".into();
    a.insert_payment(&processing).await.expect("insert");
    assert_eq!(b.unsettled().await.expect("unsettled").payments, 1);
    stale.payment.version -= 1;
    stale.unconfirmed = true;
    assert!(!a
        .record_ignored_webhook(&received, Some(&mut stale))
        .await
        .expect("record"));
    assert!(!a.webhook_event_seen("stripe", "evt_1").await.expect("seen"));
    assert!(a
        .record_ignored_webhook(&received, None)
        .await
        .expect("record"));
    assert!(
        !b.record_ignored_webhook(&received, None)
            .await
            .expect("record"),
        "duplicate"
    );
    assert!(b.webhook_event_seen("stripe", "evt_1").await.expect("seen"));

    // Idempotency keys: claimed once, answered, replayed; an unanswered one released.
    let claimed = |operation_id: &str, resumed: bool| Claim::Claimed {
        operation_id: operation_id.into(),
        resumed,
    };
    assert_eq!(
        a.claim_idempotency_key("m1", "k", "fp", "op_1", T0, T0)
            .await
            .expect("claim"),
        claimed("op_1", false)
    );
    assert!(matches!(
        b.claim_idempotency_key("m1", "k", "fp", "op_2", T0, T0)
            .await
            .expect("claim"),
        Claim::Held(IdempotencyRecord::InFlight { .. })
    ));
    a.complete_idempotency_key("m1", "k", 200, "{}")
        .await
        .expect("complete");
    assert_eq!(
        b.claim_idempotency_key("m1", "k", "fp", "op_3", T0, T0)
            .await
            .expect("claim"),
        Claim::Held(IdempotencyRecord::Done {
            fingerprint: "fp".into(),
            status: 200,
            body: "{}".into()
        })
    );
    assert!(!a
        .renew_idempotency_key("m1", "k", "op_1", T1)
        .await
        .expect("renew"));
    assert_eq!(
        a.claim_idempotency_key("m1", "k2", "fp", "op_4", T0, T0)
            .await
            .expect("claim"),
        claimed("op_4", false)
    );
    a.release_idempotency_key("m1", "k2")
        .await
        .expect("release");
    assert_eq!(
        b.claim_idempotency_key("m1", "k2", "fp", "op_5", T0, T0)
            .await
            .expect("claim"),
        claimed("op_5", false)
    );
    // A renewed claim is not taken over; one left unrenewed is, by the same request only, as
    // its first operation.
    assert!(b
        .renew_idempotency_key("m1", "k2", "op_5", T1)
        .await
        .expect("renew"));
    assert!(matches!(
        a.claim_idempotency_key("m1", "k2", "fp", "op_6", T2, T1)
            .await
            .expect("claim"),
        Claim::Held(IdempotencyRecord::InFlight { .. })
    ));
    assert!(matches!(
        a.claim_idempotency_key("m1", "k2", "other", "op_6", T3, T2)
            .await
            .expect("claim"),
        Claim::Held(IdempotencyRecord::InFlight { .. })
    ));
    assert_eq!(
        a.claim_idempotency_key("m1", "k2", "fp", "op_6", T3, T2)
            .await
            .expect("claim"),
        claimed("op_5", true)
    );
    // Expiry takes answered and abandoned records created before the cut, and nothing else.
    assert_eq!(
        a.claim_idempotency_key("m1", "k3", "fp", "op_7", T3, T3)
            .await
            .expect("claim"),
        claimed("op_7", false)
    );
    assert_eq!(a.expire_idempotency_keys(T0).await.expect("expire"), 0);
    assert_eq!(a.expire_idempotency_keys(T2).await.expect("expire"), 1);
    assert!(matches!(
        b.claim_idempotency_key("m1", "k2", "fp", "op_8", T3, T0)
            .await
            .expect("claim"),
        Claim::Held(IdempotencyRecord::InFlight { .. })
    ));
    assert_eq!(
        b.claim_idempotency_key("m1", "k", "fp", "op_9", T3, T0)
            .await
            .expect("claim"),
        claimed("op_9", false),
        "the answered record went"
    );

    a.close().await;
    assert!(matches!(b.ping().await, Err(StoreError::Closed)));
}

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    the_contract(Arc::new(MemoryStore::default())).await;
}

#[tokio::test]
async fn sqlite_keeps_the_contract() {
    let sql = SqlStore::connect("sqlite::memory:").await.expect("sqlite");
    the_contract(Arc::new(sql)).await;
}

fn merchant_event(event_id: &str, payment_id: &str, event_type: &str, created: &str) -> EventRow {
    EventRow {
        event_id: event_id.into(),
        merchant_id: "m1".into(),
        event_type: event_type.into(),
        object_type: "payment".into(),
        object_id: payment_id.into(),
        payment_id: payment_id.into(),
        created: created.into(),
        body: format!("{{\"event_id\":\"{event_id}\"}}"),
        delivery_status: "pending".into(),
        attempts: 0,
        next_attempt_at: Some(1_000),
        lease_owner: None,
        lease_until: None,
        delivered_at: None,
    }
}

fn attempt(event_id: &str, attempt: i64, status_code: Option<i64>) -> DeliveryRow {
    DeliveryRow {
        event_id: event_id.into(),
        attempt,
        attempted_at: T1.into(),
        latency_ms: 12,
        status_code,
        response_excerpt: status_code.map(|_| "ok".into()),
        error: status_code.is_none().then(|| "timed out".into()),
    }
}

/// Events are written with their payment's change or not at all; one instance at a time
/// delivers each; attempts and outcomes are kept; a merchant sees only its own.
async fn the_event_contract(backend: Arc<dyn PaymentStore>) {
    let (a, b) = (Store::over(backend.clone()), Store::over(backend));
    a.insert_payment(&record("pay_e")).await.expect("insert");
    let mut seen_by_a = a.payment("m1", "pay_e").await.expect("read").expect("kept");
    let mut seen_by_b = b.payment("m1", "pay_e").await.expect("read").expect("kept");
    seen_by_b.payment.status = "succeeded".into();
    seen_by_b.payment.version += 1;
    seen_by_b.events = vec![
        merchant_event("evt_1", "pay_e", "payment_succeeded", T1),
        merchant_event("evt_2", "pay_e", "payment_captured", T1),
    ];
    assert_eq!(b.save(&mut seen_by_b).await.expect("save"), Written::Yes);
    assert!(seen_by_b.events.is_empty(), "written once");
    // A stale write writes its events no more than its change.
    seen_by_a.payment.version += 1;
    seen_by_a.events = vec![merchant_event("evt_lost", "pay_e", "payment_failed", T1)];
    assert_eq!(a.save(&mut seen_by_a).await.expect("save"), Written::Stale);
    let all = EventFilter {
        limit: 10,
        ..EventFilter::default()
    };
    let listed = a.events("m1", &all).await.expect("list");
    let ids: Vec<&str> = listed.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["evt_2", "evt_1"], "newest first, the stale one never");
    assert!(a.events("m2", &all).await.expect("list").is_empty());

    // One owner at a time; a lapsed lease is taken over.
    let claimed = a
        .claim_due_events("rtr_a", 2_000, 5_000, 1)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let first = claimed[0].event_id.clone();
    let other = b
        .claim_due_events("rtr_b", 2_000, 5_000, 10)
        .await
        .expect("claim");
    assert_eq!(other.len(), 1, "only the event a does not hold");
    assert_ne!(other[0].event_id, first);
    assert!(b
        .claim_due_events("rtr_b", 4_000, 9_000, 10)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(
        b.requeue_event("m1", &first, 4_000).await.expect("requeue"),
        Requeued::InFlight
    );
    let taken = b
        .claim_due_events("rtr_b", 6_000, 9_000, 10)
        .await
        .expect("claim");
    assert!(
        taken.iter().any(|e| e.event_id == first),
        "a's lease lapsed"
    );

    // Only the holder records an attempt.
    let retry = DeliveryNext::Retry { at_ms: 20_000 };
    assert!(!a
        .finish_delivery("rtr_a", &attempt(&first, 1, Some(500)), &retry)
        .await
        .expect("finish"));
    assert!(b
        .finish_delivery("rtr_b", &attempt(&first, 1, None), &retry)
        .await
        .expect("finish"));
    assert!(
        b.claim_due_events("rtr_b", 19_000, 30_000, 10)
            .await
            .expect("claim")
            .len()
            <= 1
    );
    let again = a
        .claim_due_events("rtr_a", 40_000, 50_000, 10)
        .await
        .expect("claim");
    assert!(again.iter().any(|e| e.event_id == first && e.attempts == 1));
    let delivered = DeliveryNext::Delivered { at: T2.into() };
    assert!(a
        .finish_delivery("rtr_a", &attempt(&first, 2, Some(200)), &delivered)
        .await
        .expect("finish"));
    let (event, attempts) = b.event("m1", &first).await.expect("read").expect("kept");
    assert_eq!(event.delivery_status, "delivered");
    assert_eq!(event.delivered_at.as_deref(), Some(T2));
    assert_eq!((event.attempts, event.lease_owner), (2, None));
    let codes: Vec<Option<i64>> = attempts.iter().map(|d| d.status_code).collect();
    assert_eq!(codes, [None, Some(200)]);
    assert_eq!(attempts[0].error.as_deref(), Some("timed out"));
    assert!(b.event("m2", &first).await.expect("read").is_none());

    // Filters, and redelivery on demand.
    let delivered_only = EventFilter {
        delivery_status: Some("delivered".into()),
        ..all.clone()
    };
    assert_eq!(
        a.events("m1", &delivered_only).await.expect("list").len(),
        1
    );
    let by_type = EventFilter {
        event_type: Some("payment_captured".into()),
        object_id: Some("pay_e".into()),
        ..all.clone()
    };
    let captured = a.events("m1", &by_type).await.expect("list");
    assert!(captured.iter().all(|e| e.event_type == "payment_captured"));
    let Requeued::Yes(requeued) = a
        .requeue_event("m1", &first, 60_000)
        .await
        .expect("requeue")
    else {
        panic!("requeue refused");
    };
    assert_eq!(
        (requeued.delivery_status.as_str(), requeued.next_attempt_at),
        ("pending", Some(60_000))
    );
    assert_eq!(
        a.requeue_event("m2", &first, 60_000)
            .await
            .expect("requeue"),
        Requeued::NotFound
    );
    let postponed = a
        .claim_due_events("rtr_a", 60_000, 70_000, 10)
        .await
        .expect("claim");
    assert!(postponed.iter().any(|e| e.event_id == first));
    assert!(a
        .postpone_event("rtr_a", &first, 90_000)
        .await
        .expect("postpone"));
    assert!(a
        .claim_due_events("rtr_a", 80_000, 85_000, 10)
        .await
        .expect("claim")
        .iter()
        .all(|e| e.event_id != first));
}

#[tokio::test]
async fn the_memory_store_keeps_the_event_contract() {
    the_event_contract(Arc::new(MemoryStore::default())).await;
}

#[tokio::test]
async fn sqlite_keeps_the_event_contract() {
    let sql = SqlStore::connect("sqlite::memory:").await.expect("sqlite");
    the_event_contract(Arc::new(sql)).await;
}
