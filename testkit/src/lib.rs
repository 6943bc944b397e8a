//! # paybridge-testkit
//!
//! Test helpers shared by the connector crates (not published). [`mutation`] turns real-shaped
//! processor answers into hostile ones for property tests of response parsers: values of the
//! wrong type, huge or negative numbers, unknown enum strings, deep nesting, bad escapes,
//! removed and unknown fields, and byte-level damage.
//!
//! ```
//! use paybridge_testkit::mutation::{edits, mutate};
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let (values, bytes) = edits(&["Authorized"]).new_tree(&mut runner).unwrap().current();
//! let body = mutate(r#"{"id":"pay_1","status":"Authorized"}"#, &values, &bytes);
//! assert!(body.len() < 1_000_000);
//! ```

pub mod mutation;
