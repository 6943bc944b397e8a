//! Mutations of real answers: structural edits of the parsed JSON, then (sometimes) byte edits
//! of the serialized body. Each processor passes the strings it uses for enums, codes and
//! currencies (`known`), so mutated values often look plausible enough to reach the mapping.

// Edits address nodes that exist by construction (`pointers` lists them first).
#![allow(clippy::unwrap_used)]

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Value};

/// A structural edit of the parsed JSON, addressed by an index into its nodes.
#[derive(Debug, Clone)]
pub enum ValueEdit {
    /// Swap the node for a value of any type.
    Replace(Index, Value),
    /// Swap the node for JSON text `serde_json::Value` cannot hold (huge literals, deep
    /// nesting, bad escapes).
    Raw(Index, String),
    /// Drop the node from its parent.
    Remove(Index),
    /// Add an unknown field (or array element) to the node.
    Add(Index, String, Value),
}

/// A byte-level edit of the serialized body, addressed by an index into its bytes.
#[derive(Debug, Clone)]
pub enum ByteEdit {
    /// Remove a byte.
    Delete(Index),
    /// Insert a byte.
    Insert(Index, u8),
    /// Flip one bit of a byte.
    FlipBit(Index, u8),
    /// Cut the body short.
    Truncate(Index),
}

/// Plausible strings (`known`), random ones, non-ASCII ones and a very long one.
pub fn text(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(known).prop_map(str::to_owned),
        2 => "[A-Za-z _]{0,24}",
        1 => "\\PC{0,16}",
        1 => Just("x".repeat(10_000)),
    ]
}

/// A JSON value of any type, with numbers at the edges of what a parser accepts.
pub fn any_value(known: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(i64::MAX),
            Just(i64::MIN),
            Just(-1_i64),
            Just(0_i64),
            any::<i64>()
        ]
        .prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        prop_oneof![
            Just(1e30),
            Just(-1e30),
            Just(0.5),
            Just(-0.0),
            Just(f64::MAX)
        ]
        .prop_map(Value::from),
        text(known).prop_map(Value::String),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"unexpected": [1, "two", null, {"three": 3.0}]})),
        Just(json!([{"id": "act_x"}, 7, null])),
    ]
}

/// JSON text `serde_json::Value` cannot hold: huge literals, deep nesting, bad escapes.
pub fn raw_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e400".to_owned()),
        Just("-1e400".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-0".to_owned()),
        Just("NaN".to_owned()),
        Just(r#""\ud800""#.to_owned()),
        Just(r#""\u0000""#.to_owned()),
        (1_usize..3000).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        (1_usize..3000).prop_map(|depth| format!(
            "{}1{}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        )),
    ]
}

/// One structural edit.
pub fn value_edit(known: &'static [&'static str]) -> impl Strategy<Value = ValueEdit> {
    prop_oneof![
        4 => (any::<Index>(), any_value(known)).prop_map(|(at, v)| ValueEdit::Replace(at, v)),
        2 => (any::<Index>(), raw_text()).prop_map(|(at, raw)| ValueEdit::Raw(at, raw)),
        2 => any::<Index>().prop_map(ValueEdit::Remove),
        1 => (any::<Index>(), "[a-z_]{1,12}", any_value(known))
            .prop_map(|(at, key, v)| ValueEdit::Add(at, key, v)),
    ]
}

/// One byte-level edit.
pub fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>()).prop_map(ByteEdit::Delete),
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| ByteEdit::Insert(at, b)),
        (any::<Index>(), 0_u8..8).prop_map(|(at, bit)| ByteEdit::FlipBit(at, bit)),
        (any::<Index>()).prop_map(ByteEdit::Truncate),
    ]
}

/// Every node of `value` as a JSON pointer, the root (`""`) first.
pub fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    walk(child, format!("{at}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out.reverse();
    out
}

/// Applies `edits` in order. `Raw` edits leave a marker string, replaced by its text once the
/// document is serialized.
pub fn apply_value_edits(mut doc: Value, edits: &[ValueEdit]) -> Vec<u8> {
    let mut raws = Vec::new();
    for edit in edits {
        let nodes = pointers(&doc);
        let pick = |at: &Index| nodes[at.index(nodes.len())].clone();
        match edit {
            ValueEdit::Replace(at, value) => {
                *doc.pointer_mut(&pick(at)).unwrap() = value.clone();
            }
            ValueEdit::Raw(at, raw) => {
                let marker = format!("@@raw{}@@", raws.len());
                raws.push((format!("\"{marker}\""), raw.clone()));
                *doc.pointer_mut(&pick(at)).unwrap() = Value::String(marker);
            }
            ValueEdit::Remove(at) => {
                let pointer = pick(at);
                let Some((parent, last)) = pointer.rsplit_once('/') else {
                    doc = Value::Null; // the root has no parent: remove its content
                    continue;
                };
                let last = last.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent).unwrap() {
                    Value::Object(map) => {
                        map.remove(&last);
                    }
                    Value::Array(items) => {
                        items.remove(last.parse::<usize>().unwrap());
                    }
                    _ => unreachable!("a parent is a container"),
                }
            }
            ValueEdit::Add(at, key, value) => match doc.pointer_mut(&pick(at)).unwrap() {
                Value::Object(map) => {
                    map.insert(key.clone(), value.clone());
                }
                Value::Array(items) => items.push(value.clone()),
                scalar => *scalar = json!({ key.clone(): value.clone() }),
            },
        }
    }
    let mut text = doc.to_string();
    for (marker, raw) in raws {
        text = text.replace(&marker, &raw);
    }
    text.into_bytes()
}

/// Applies byte `edits` in order; an edit past the end is clamped or skipped.
pub fn apply_byte_edits(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len();
        match *edit {
            ByteEdit::Delete(at) if len > 0 => {
                bytes.remove(at.index(len));
            }
            ByteEdit::Insert(at, byte) => bytes.insert(at.index(len + 1), byte),
            ByteEdit::FlipBit(at, bit) if len > 0 => bytes[at.index(len)] ^= 1 << bit,
            ByteEdit::Truncate(at) => bytes.truncate(at.index(len + 1)),
            _ => {}
        }
    }
    bytes
}

/// A mutated body: structural edits when the sample is JSON, then (sometimes) byte edits.
pub fn mutate(body: &str, value_edits: &[ValueEdit], byte_edits: &[ByteEdit]) -> Vec<u8> {
    let bytes = match serde_json::from_str::<Value>(body) {
        Ok(doc) => apply_value_edits(doc, value_edits),
        Err(_) => body.as_bytes().to_vec(),
    };
    apply_byte_edits(bytes, byte_edits)
}

/// Edits to a body: mostly structural so the mapping code is reached, sometimes byte-level.
pub fn edits(
    known: &'static [&'static str],
) -> impl Strategy<Value = (Vec<ValueEdit>, Vec<ByteEdit>)> {
    (
        vec(value_edit(known), 0..4),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(byte_edit(), 1..4)],
    )
}

/// Raw bytes, or text made of JSON's punctuation so the parser gets past the first byte.
pub fn arbitrary_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        "[\\[\\]{}\":,0-9a-z_ .eE+-]{0,256}".prop_map(String::into_bytes),
    ]
}

/// A real-shaped processor answer: its status and body.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The status the processor sends it with.
    pub status: u16,
    /// The body, as the processor sends it.
    pub body: &'static str,
}

/// A mutated answer: a sample from `samples`, mutated with [`edits`], usually with its own
/// status and sometimes with any other.
pub fn mutated_answer(
    samples: impl Strategy<Value = Sample>,
    known: &'static [&'static str],
) -> impl Strategy<Value = (u16, Vec<u8>)> {
    (
        samples,
        proptest::option::weighted(0.2, 100_u16..600),
        edits(known),
    )
        .prop_map(|(sample, status, (values, bytes))| {
            (
                status.unwrap_or(sample.status),
                mutate(sample.body, &values, &bytes),
            )
        })
}
