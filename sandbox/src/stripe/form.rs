//! A strict decoder of Stripe's `application/x-www-form-urlencoded` bodies and query strings
//! into nested parameters, with bracket notation:
//!
//! - `amount=1000` — a value;
//! - `metadata[order]=1`, `payment_method_options[card][request_three_d_secure]=any` — hashes;
//! - `expand[]=latest_charge` appends to an array; `expand[0]=latest_charge` is an indexed
//!   entry, kept as a hash with numeric keys until [`super::params`] reads it as an array.
//!
//! A key that is not `name` followed by `[segment]`s (`a[b`, `a]`, `[a]`, `a[b]c`, `a[][b]`) is
//! refused as an unknown parameter. A name given as two shapes (`a=1&a[b]=2`) is refused as an
//! invalid object or array. A value given twice keeps the last one, as Rack-style parsers do
//! \[U: Stripe's choice\].

use std::collections::BTreeMap;

use super::errors::ApiError;

/// A decoded parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// `name=value`.
    Value(String),
    /// `name[key]=...`.
    Hash(BTreeMap<String, Node>),
    /// `name[]=...`.
    List(Vec<Node>),
}

/// The top-level parameters of a body or query string.
pub(crate) type Form = BTreeMap<String, Node>;

/// One `[...]` of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Append,
}

/// Decodes a body or query string.
pub(crate) fn decode(input: &[u8]) -> Result<Form, ApiError> {
    let mut root = Node::Hash(BTreeMap::new());
    for (key, value) in url::form_urlencoded::parse(input) {
        if key.is_empty() && value.is_empty() {
            continue;
        }
        let segments = parse_key(&key).ok_or_else(|| unknown(&key))?;
        put(&mut root, &segments, value.into_owned(), String::new())?;
    }
    match root {
        Node::Hash(form) => Ok(form),
        // `put` keeps the root a hash: every path starts with a key.
        Node::Value(_) | Node::List(_) => Ok(Form::new()),
    }
}

/// 400 `parameter_unknown` naming `param`.
pub(crate) fn unknown(param: &str) -> ApiError {
    ApiError::validation(format!("Received unknown parameter: {param}"))
        .code("parameter_unknown")
        .param(param)
}

/// `name[a][b][]` → `[Key(name), Key(a), Key(b), Append]`; `None` for bad bracket syntax.
fn parse_key(key: &str) -> Option<Vec<Segment>> {
    let (name, mut rest) = match key.find('[') {
        Some(at) => key.split_at(at),
        None => (key, ""),
    };
    if name.is_empty() || name.contains(']') {
        return None;
    }
    let mut segments = vec![Segment::Key(name.to_owned())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let content = &inner[..close];
        if content.contains('[') {
            return None;
        }
        if segments.last() == Some(&Segment::Append) {
            // `[]` only as the last segment.
            return None;
        }
        segments.push(if content.is_empty() {
            Segment::Append
        } else {
            Segment::Key(content.to_owned())
        });
        rest = &inner[close + 1..];
    }
    Some(segments)
}

/// Stores `value` at `segments` below `target`; `param` is the bracket path of `target`.
fn put(
    target: &mut Node,
    segments: &[Segment],
    value: String,
    param: String,
) -> Result<(), ApiError> {
    let Some((first, rest)) = segments.split_first() else {
        return Ok(());
    };
    match first {
        Segment::Append => match target {
            Node::List(items) => {
                items.push(Node::Value(value));
                Ok(())
            }
            Node::Value(_) | Node::Hash(_) => Err(invalid_shape(&param, "array")),
        },
        Segment::Key(key) => {
            let Node::Hash(entries) = target else {
                return Err(invalid_shape(&param, "object"));
            };
            let child = if param.is_empty() {
                key.clone()
            } else {
                format!("{param}[{key}]")
            };
            match rest.first() {
                None => match entries.get(key) {
                    Some(Node::Hash(_)) => Err(invalid_shape(&child, "object")),
                    Some(Node::List(_)) => Err(invalid_shape(&child, "array")),
                    Some(Node::Value(_)) | None => {
                        entries.insert(key.clone(), Node::Value(value));
                        Ok(())
                    }
                },
                Some(next) => {
                    let container = entries.entry(key.clone()).or_insert_with(|| match next {
                        Segment::Append => Node::List(Vec::new()),
                        Segment::Key(_) => Node::Hash(BTreeMap::new()),
                    });
                    put(container, rest, value, child)
                }
            }
        }
    }
}

/// 400 for a parameter given as two shapes ("Invalid array" / "Invalid object").
fn invalid_shape(param: &str, expected: &str) -> ApiError {
    ApiError::validation(format!("Invalid {expected}")).param(param)
}

/// A canonical rendering of a body's parameters, for comparing an idempotency key's requests:
/// the same parameters in any order give the same fingerprint. A body that does not decode is
/// compared byte for byte.
pub(crate) fn fingerprint(body: &[u8]) -> String {
    match decode(body) {
        Ok(form) => {
            let mut out = String::from("form:");
            write_hash(&form, &mut out);
            out
        }
        Err(_) => format!("raw:{}", String::from_utf8_lossy(body)),
    }
}

fn write_hash(entries: &BTreeMap<String, Node>, out: &mut String) {
    out.push('{');
    for (i, (key, node)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(key, out);
        out.push(':');
        write_node(node, out);
    }
    out.push('}');
}

fn write_node(node: &Node, out: &mut String) {
    match node {
        Node::Value(value) => write_str(value, out),
        Node::Hash(entries) => write_hash(entries, out),
        Node::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_node(item, out);
            }
            out.push(']');
        }
    }
}

fn write_str(text: &str, out: &mut String) {
    // JSON string escaping makes the rendering unambiguous.
    out.push_str(&serde_json::Value::String(text.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn value(text: &str) -> Node {
        Node::Value(text.to_owned())
    }

    fn hash<const N: usize>(entries: [(&str, Node); N]) -> Node {
        Node::Hash(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    #[test]
    fn nested_hashes_arrays_and_escapes_decode() {
        let form = decode(
            b"amount=1000&metadata[order]=A%26B+1&expand[]=latest_charge&expand[]=payment_method\
              &payment_method_options[card][request_three_d_secure]=any&list[0]=x&list[1]=y",
        )
        .unwrap();
        assert_eq!(form["amount"], value("1000"));
        assert_eq!(form["metadata"], hash([("order", value("A&B 1"))]));
        assert_eq!(
            form["expand"],
            Node::List(vec![value("latest_charge"), value("payment_method")])
        );
        assert_eq!(
            form["payment_method_options"],
            hash([("card", hash([("request_three_d_secure", value("any"))]))])
        );
        assert_eq!(form["list"], hash([("0", value("x")), ("1", value("y"))]));
    }

    #[test]
    fn bad_bracket_syntax_is_an_unknown_parameter_naming_the_key() {
        for key in ["a[b", "a]", "[a]", "a[b]c", "a[][b]", "a[b[c]]"] {
            let error = decode(format!("{key}=1").as_bytes()).unwrap_err();
            assert_eq!(error.object()["code"], "parameter_unknown", "{key}");
            assert_eq!(error.object()["param"], key, "{key}");
        }
    }

    #[test]
    fn shape_conflicts_name_the_parameter() {
        let error = decode(b"metadata=1&metadata[a]=2").unwrap_err();
        assert_eq!(error.object()["param"], "metadata");
        assert_eq!(error.object()["message"], "Invalid object");
        let error = decode(b"a[b][]=1&a[b][c]=2").unwrap_err();
        assert_eq!(error.object()["param"], "a[b]");
        let error = decode(b"a[b]=1&a=2").unwrap_err();
        assert_eq!(error.object()["param"], "a");
    }

    #[test]
    fn the_last_of_two_values_wins_and_empty_pairs_are_skipped() {
        let form = decode(b"a=1&&a=2").unwrap();
        assert_eq!(form["a"], value("2"));
    }

    #[test]
    fn fingerprints_ignore_order_but_not_values() {
        assert_eq!(fingerprint(b"a=1&b[c]=2"), fingerprint(b"b[c]=2&a=1"));
        assert_ne!(fingerprint(b"a=1"), fingerprint(b"a=2"));
        assert_ne!(fingerprint(b"a[]=1&a[]=2"), fingerprint(b"a[]=2&a[]=1"));
        assert_ne!(fingerprint(b"a=1"), fingerprint(b"a[=1"));
    }
}
