//! `application/x-www-form-urlencoded` bodies as JSON, so form requests (Stripe's) can be
//! checked against the JSON schemas of an OpenAPI document, which describe the decoded, nested
//! parameters.
//!
//! [`decode`] reads bracket notation: `a[b][c]=v` nests objects, `a[]=v` appends to an array,
//! `a[0]=v` sets an index (`a[0][b]=v` makes an array of objects); percent-escaped brackets are
//! characters of a name. Every value stays a string: a form has no other type. [`coerce`] then turns the strings a schema wants as integers,
//! numbers or booleans into those, and reshapes what decoding had to guess: a hash whose keys
//! are all indices decodes as an array, and becomes an object again where the schema wants one
//! (`metadata[0]=v`), or the other way round.

use std::fmt;

use serde_json::{Map, Value};

/// Why a body is not a well-formed bracket-notation form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The offending key, decoded.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for FormError {}

/// One step of a key's path.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    /// `name` or `[name]`.
    Key(String),
    /// `[]`: the next index.
    Append,
}

/// `a[b][]` → `a`, `b`, append. The name before the first bracket must not be empty, brackets
/// must pair up, and nothing may follow a closing bracket but another opening one.
fn segments(key: &str) -> Result<Vec<Segment>, FormError> {
    let error = |message: &str| FormError {
        key: key.to_owned(),
        message: message.to_owned(),
    };
    let (head, mut rest) = match key.find('[') {
        Some(open) => key.split_at(open),
        None => (key, ""),
    };
    if head.is_empty() || head.contains(']') {
        return Err(error("a key starts with a name"));
    }
    let mut out = vec![Segment::Key(head.to_owned())];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return Err(error("text after a closing bracket"));
        };
        let Some(close) = inner.find(']') else {
            return Err(error("an unclosed bracket"));
        };
        let name = &inner[..close];
        if name.contains('[') {
            return Err(error("a bracket inside brackets"));
        }
        out.push(if name.is_empty() {
            Segment::Append
        } else {
            Segment::Key(name.to_owned())
        });
        rest = &inner[close + 1..];
    }
    Ok(out)
}

/// Decodes a form body into a JSON object of strings, objects and arrays.
///
/// ```
/// use paybridge_connector_tests::form::decode;
/// let body = b"amount=1000&metadata[order]=A%26B&expand[]=latest_charge&items[0][qty]=2";
/// assert_eq!(
///     decode(body).unwrap(),
///     serde_json::json!({"amount": "1000", "metadata": {"order": "A&B"},
///                        "expand": ["latest_charge"], "items": [{"qty": "2"}]})
/// );
/// ```
pub fn decode(body: &[u8]) -> Result<Value, FormError> {
    let mut root = Map::new();
    let text = String::from_utf8_lossy(body);
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        // Brackets are structure as sent; escaped ones (`%5B`, `%5D`) are characters of a name,
        // as serde_qs (the Stripe connector's encoder) writes and reads them.
        let path = segments(raw_key)?
            .into_iter()
            .map(|segment| match segment {
                Segment::Key(name) => Segment::Key(unescape(&name)),
                Segment::Append => Segment::Append,
            })
            .collect::<Vec<_>>();
        insert(&mut root, &path, unescape(raw_value), &unescape(raw_key))?;
    }
    let mut root = Value::Object(root);
    indices_to_arrays(&mut root);
    Ok(root)
}

/// One percent-encoded component, `+` as a space.
fn unescape(raw: &str) -> String {
    let pair = format!("k={raw}");
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn insert(
    map: &mut Map<String, Value>,
    path: &[Segment],
    value: String,
    key: &str,
) -> Result<(), FormError> {
    let conflict = |message: &str| FormError {
        key: key.to_owned(),
        message: message.to_owned(),
    };
    let Some((first, rest)) = path.split_first() else {
        return Err(conflict("an empty key"));
    };
    // `[]` appends: the next index of this hash, whose keys are indices.
    let name = match first {
        Segment::Key(name) => name.clone(),
        Segment::Append => map.len().to_string(),
    };
    if rest.is_empty() {
        if map.contains_key(&name) {
            return Err(conflict("given twice, or both as a value and as a hash"));
        }
        map.insert(name, Value::String(value));
        return Ok(());
    }
    let child = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
    match child {
        Value::Object(child) => insert(child, rest, value, key),
        _ => Err(conflict("both a value and a hash")),
    }
}

/// The canonical index a key spells (`0`, `12`; not `01` or `-1`).
fn index(key: &str) -> Option<usize> {
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| key.parse().ok()).flatten()
}

/// Hashes whose keys are exactly the indices `0..n` become arrays, innermost first.
fn indices_to_arrays(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(indices_to_arrays);
            let mut indexed: Vec<(usize, Value)> = Vec::with_capacity(map.len());
            for (key, item) in map.iter() {
                match index(key) {
                    Some(i) => indexed.push((i, item.clone())),
                    None => return,
                }
            }
            if indexed.is_empty() {
                return;
            }
            indexed.sort_by_key(|(i, _)| *i);
            if indexed.iter().enumerate().all(|(n, (i, _))| n == *i) {
                *value = Value::Array(indexed.into_iter().map(|(_, v)| v).collect());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(indices_to_arrays),
        _ => {}
    }
}

/// Gives `value` (decoded by [`decode`]) the types `schema` asks for: strings to integers,
/// numbers and booleans, arrays to index-keyed objects and back. Follows `properties`,
/// `additionalProperties`, `items`, `anyOf`/`oneOf`/`allOf` and `$ref`s into `document`.
/// Anything the schema does not explain is left as it is, for the validation to judge; where
/// an alternative accepts the value as a string (`""` to unset, an enum value), it stays one.
pub fn coerce(value: &mut Value, schema: &Value, document: &Value) {
    coerce_depth(value, schema, document, 0);
}

/// Schemas nest deeply but finitely; `$ref` cycles are cut here.
const MAX_DEPTH: usize = 64;

fn coerce_depth(value: &mut Value, schema: &Value, document: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = resolve(schema, document);
    let alternatives: Vec<&Value> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .map(|alt| resolve(alt, document))
        .collect();
    if !alternatives.is_empty() {
        // An alternative that takes the value as it is wins; else the first whose type the
        // value can be given.
        if let Value::String(text) = value {
            if alternatives.iter().any(|alt| accepts_string(alt, text)) {
                return;
            }
        }
        let shaped = alternatives
            .iter()
            .find(|alt| fits(value, alt, document))
            .or_else(|| alternatives.first());
        if let Some(alt) = shaped {
            coerce_depth(value, alt, document, depth + 1);
        }
        return;
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            coerce_depth(value, part, document, depth + 1);
        }
    }
    match (schema_type(schema), &mut *value) {
        (Some("integer"), Value::String(text)) => {
            if let Ok(n) = text.parse::<i64>() {
                *value = Value::from(n);
            }
        }
        (Some("number"), Value::String(text)) => {
            if let Some(n) = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                *value = Value::Number(n);
            }
        }
        (Some("boolean"), Value::String(text)) => match text.as_str() {
            "true" => *value = Value::Bool(true),
            "false" => *value = Value::Bool(false),
            _ => {}
        },
        (Some("object"), Value::Array(items)) => {
            let keyed = std::mem::take(items)
                .into_iter()
                .enumerate()
                .map(|(i, item)| (i.to_string(), item))
                .collect();
            *value = Value::Object(keyed);
            coerce_depth(value, schema, document, depth + 1);
        }
        (Some("array"), Value::Object(map)) if map.keys().all(|k| index(k).is_some()) => {
            let mut items: Vec<(usize, Value)> = std::mem::take(map)
                .into_iter()
                .filter_map(|(k, v)| index(&k).map(|i| (i, v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            *value = Value::Array(items.into_iter().map(|(_, v)| v).collect());
            coerce_depth(value, schema, document, depth + 1);
        }
        (_, Value::Object(map)) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, item) in map.iter_mut() {
                let member = properties.and_then(|p| p.get(key)).or(additional);
                if let Some(member) = member {
                    coerce_depth(item, member, document, depth + 1);
                }
            }
        }
        (_, Value::Array(items)) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items.iter_mut() {
                    coerce_depth(item, item_schema, document, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// `schema` itself, or what its `$ref` (`#/…` into `document`) points at.
fn resolve<'a>(schema: &'a Value, document: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| document.pointer(pointer))
        else {
            break;
        };
        schema = target;
    }
    schema
}

fn schema_type(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        // `["string", "null"]` after a loader widened a nullable type.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
    .or_else(|| schema.get("properties").map(|_| "object"))
}

/// Whether `schema` takes `text` as a string: a plain string type, or an enum listing it.
fn accepts_string(schema: &Value, text: &str) -> bool {
    match schema.get("enum").and_then(Value::as_array) {
        Some(values) => values.iter().any(|v| v.as_str() == Some(text)),
        None => schema_type(schema) == Some("string"),
    }
}

/// Whether `value` can be given `schema`'s type.
fn fits(value: &Value, schema: &Value, document: &Value) -> bool {
    let schema = resolve(schema, document);
    match (schema_type(schema), value) {
        (Some("integer"), Value::String(t)) => t.parse::<i64>().is_ok(),
        (Some("number"), Value::String(t)) => t.parse::<f64>().is_ok(),
        (Some("boolean"), Value::String(t)) => t == "true" || t == "false",
        (Some("string"), Value::String(_)) => true,
        (Some("object"), Value::Object(_) | Value::Array(_)) => true,
        (Some("array"), Value::Array(_)) => true,
        (Some("array"), Value::Object(map)) => map.keys().all(|k| index(k).is_some()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_and_percent_escapes_decode() {
        let body = b"amount=1000&payment_method_options[card][request_three_d_secure]=any\
                     &metadata[a%5Db%5Bc]=x%3D1%26y%2Bz&description=Room+12&expand[]=latest_charge\
                     &expand[]=payment_method";
        assert_eq!(
            decode(body).unwrap(),
            json!({
                "amount": "1000",
                "payment_method_options": {"card": {"request_three_d_secure": "any"}},
                "metadata": {"a]b[c": "x=1&y+z"},
                "description": "Room 12",
                "expand": ["latest_charge", "payment_method"],
            })
        );
        assert_eq!(decode(b"").unwrap(), json!({}));
    }

    #[test]
    fn indices_make_arrays_only_when_they_count_from_zero() {
        assert_eq!(
            decode(b"items[1][price]=p2&items[0][price]=p1&items[0][quantity]=3").unwrap(),
            json!({"items": [{"price": "p1", "quantity": "3"}, {"price": "p2"}]})
        );
        assert_eq!(
            decode(b"a[0]=x&a[2]=y").unwrap(),
            json!({"a": {"0": "x", "2": "y"}})
        );
        assert_eq!(decode(b"a[01]=x").unwrap(), json!({"a": {"01": "x"}}));
        assert_eq!(
            decode(b"a[0]=x&a[b]=y").unwrap(),
            json!({"a": {"0": "x", "b": "y"}})
        );
    }

    #[test]
    fn malformed_keys_and_conflicts_are_errors() {
        for body in [
            &b"a[b=1"[..],
            b"[a]=1",
            b"a]b=1",
            b"a[b]c=1",
            b"a[b[c]]=1",
            b"a=1&a=2",
            b"a=1&a[b]=2",
            b"a[b]=2&a=1",
            b"=1",
        ] {
            let error = decode(body).expect_err(std::str::from_utf8(body).unwrap_or("?"));
            assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn strings_take_the_types_the_schema_asks_for() {
        let schema = json!({
            "type": "object",
            "properties": {
                "amount": {"type": "integer"},
                "confirm": {"type": "boolean"},
                "rate": {"type": "number"},
                "off_session": {"anyOf": [{"type": "boolean"}, {"enum": ["one_off", "recurring"], "type": "string"}]},
                "metadata": {"anyOf": [
                    {"additionalProperties": {"type": "string"}, "type": "object"},
                    {"enum": [""], "type": "string"}
                ]},
                "card": {"$ref": "#/components/schemas/card"},
                "expand": {"type": "array", "items": {"type": "string"}},
                "tiers": {"type": "array", "items": {"type": "object", "properties": {"up_to": {"type": "integer"}}}},
                "note": {"type": "string"},
            }
        });
        let document = json!({"components": {"schemas": {"card": {
            "type": "object", "properties": {"exp_month": {"type": "integer"}, "number": {"type": "string"}}
        }}}});
        let mut value = decode(
            b"amount=1000&confirm=true&rate=1.5&off_session=one_off&metadata[0]=first\
              &card[exp_month]=12&card[number]=4242&expand[0]=x&tiers[0][up_to]=5&note=12",
        )
        .unwrap();
        coerce(&mut value, &schema, &document);
        assert_eq!(
            value,
            json!({
                "amount": 1000, "confirm": true, "rate": 1.5, "off_session": "one_off",
                "metadata": {"0": "first"}, "card": {"exp_month": 12, "number": "4242"},
                "expand": ["x"], "tiers": [{"up_to": 5}], "note": "12",
            })
        );
        // `true` is a boolean where the first alternative is one; `""` unsets, as a string.
        let mut value = decode(b"off_session=true&metadata=").unwrap();
        coerce(&mut value, &schema, &document);
        assert_eq!(value, json!({"off_session": true, "metadata": ""}));
        // What cannot take the type is left for the validation to refuse.
        let mut value = decode(b"amount=ten&confirm=yes&unknown[x]=1").unwrap();
        coerce(&mut value, &schema, &document);
        assert_eq!(
            value,
            json!({"amount": "ten", "confirm": "yes", "unknown": {"x": "1"}})
        );
    }
}
