//! Card data sent with the wrong JSON type is refused without being echoed: not in the answer,
//! not in the answer stored under the `Idempotency-Key` (its replay, and the database file), not
//! in the logs at any level.

mod common;

use common::*;
use paybridge_connector_tests::LogCapture;
use serde_json::{json, Value};

/// The card's fields, each with a value recognisable anywhere as digits.
const FIELDS: [(&str, u64); 5] = [
    ("card_number", 4_000_002_760_003_184),
    ("card_cvc", 91_377),
    ("card_exp_month", 777_113),
    ("card_exp_year", 202_977),
    ("card_holder_name", 31_415_926),
];

/// `digits` in every JSON type but a string.
fn wrong_types(digits: u64) -> Vec<Value> {
    let negative = -i64::try_from(digits).expect("small enough");
    vec![
        json!(digits),
        json!(negative),
        json!(digits as f64 + 0.5),
        json!([digits]),
        json!({ "value": digits }),
        json!({ "value": digits.to_string() }),
        json!([digits.to_string()]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_fields_of_the_wrong_type_are_never_echoed_stored_or_logged() {
    let logs = LogCapture::install().expect("the only subscriber in this test binary");
    let router = TestRouter::start().await;
    let mut sent = 0;
    for (field, digits) in FIELDS {
        for (n, value) in wrong_types(digits).into_iter().enumerate() {
            let mut body = payment("stripe", 1000, false, TestCard::Approved);
            body["payment_method_data"]["card"][field] = value;
            let key = format!("wrong-type-{field}-{n}");
            for attempt in ["first", "replay"] {
                let answer = router
                    .raw(
                        "POST",
                        "/payments",
                        Some(KEY),
                        Some(&key),
                        Some(&body.to_string()),
                    )
                    .await;
                assert_eq!(
                    answer.status, 400,
                    "{field} #{n} {attempt}: {:#}",
                    answer.body
                );
                assert_eq!(answer.code(), "invalid_body", "{field} #{n} {attempt}");
                assert!(
                    answer.message().contains(field),
                    "{field} #{n} {attempt}: the field is named: {}",
                    answer.message()
                );
                let text = answer.body.to_string();
                assert!(
                    !text.contains(&digits.to_string()),
                    "{field} #{n} {attempt}: the value is echoed: {text}"
                );
            }
            sent += 1;
        }
    }
    assert_eq!(sent, 35);

    let logs = logs.text();
    assert!(logs.contains("/payments"), "the requests were logged");
    let mut stored = Vec::new();
    match router.database_url.strip_prefix("sqlite://") {
        Some(path) => {
            for suffix in ["", "-wal"] {
                stored.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
            }
            assert!(!stored.is_empty(), "the database file was read");
        }
        None => eprintln!("not a SQLite file: the stored answers were checked by their replay"),
    }
    let stored = String::from_utf8_lossy(&stored);
    for (field, digits) in FIELDS {
        let digits = digits.to_string();
        assert!(!logs.contains(&digits), "{field} reached the logs");
        assert!(!stored.contains(&digits), "{field} reached the database");
    }
    router.running.shutdown().await;
}
