//! Derives the repository's copies of the processors' OpenAPI documents (`specs/*.json`) from
//! the documents the processors publish. Run by `scripts/derive-specs.sh`, which also records the
//! originals' SHA-256 in `specs/README.md`:
//!
//! ```sh
//! cargo run -p paybridge-connector-tests --example derive_spec -- <source-dir> <out-dir> <file>...
//! ```
//!
//! A derived document keeps the facts the schema checks need — paths, operations, parameters,
//! request bodies, responses and their status codes, schemas with their types, formats, enums,
//! required lists, patterns, bounds, `nullable`, `discriminator`s and `$ref`s, security
//! requirements and schemes, servers — and drops the processors' prose:
//!
//! - the keywords `description`, `summary`, `example`, `examples`, `externalDocs` and `title`,
//!   wherever they are keywords. Inside a map of names (`properties`, `paths`,
//!   `components/schemas`, `responses`, `content`, `headers`, `mapping`, …) every key is a name
//!   and stays, so a property named `description` is kept;
//! - `info` down to `version` (and a `title` of our own, which OpenAPI requires);
//! - the documentation tools' extensions (`x-logo`, `x-tagGroups`, `x-fern-server-name`,
//!   `x-stripeSpecFilename`); other extensions (Stripe's `x-expandableFields`, …) are facts and
//!   stay;
//! - the text of OAuth scopes (the scope names stay) and of responses (OpenAPI requires a
//!   response `description`: it becomes `""`);
//! - root `tags` not used by an operation.
//!
//! Then it trims `components` to what the paths use: a component stays when a `$ref` (or a
//! discriminator's `mapping`) reaches it from outside `components`, directly or through other
//! kept components. Security schemes are named by security requirements, not `$ref`s: those
//! named by a requirement stay, and a document that states no requirement keeps all of its
//! schemes (they are its only statement of how to authenticate).
//!
//! The output is pretty-printed JSON with sorted keys and a trailing newline: the same input
//! gives the same bytes, and deriving a derived document changes nothing (checked on every run).

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

/// Descriptive keywords, removed wherever they are keywords.
const PROSE: &[&str] = &[
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
    "title",
];

/// Extensions that only steer the processors' documentation renderers.
const DOCUMENTATION_EXTENSIONS: &[&str] = &[
    "x-logo",
    "x-tagGroups",
    "x-fern-server-name",
    "x-stripeSpecFilename",
];

/// Keywords whose value (an object) maps names to objects: its keys are names, never keywords.
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "dependencies",
    "paths",
    "webhooks",
    "schemas",
    "responses",
    "parameters",
    "headers",
    "content",
    "encoding",
    "mapping",
    "securitySchemes",
    "requestBodies",
    "links",
    "callbacks",
    "variables",
    "scopes",
];

/// Keywords whose value is data (enum values, defaults, lists of names), copied as it is.
const DATA: &[&str] = &["enum", "const", "default", "required", "security"];

/// The operations of a path item.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, out, files @ ..] = args.as_slice() else {
        eprintln!("usage: derive_spec <source-dir> <out-dir> <file>...");
        return ExitCode::from(2);
    };
    if files.is_empty() {
        eprintln!("usage: derive_spec <source-dir> <out-dir> <file>...");
        return ExitCode::from(2);
    }
    for file in files {
        if let Err(e) = derive_file(&Path::new(source).join(file), &Path::new(out).join(file)) {
            eprintln!("derive_spec: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Derives `output` from `input`, checks that deriving it again changes nothing, and reports
/// the sizes on stderr.
fn derive_file(input: &Path, output: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let original: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", input.display()))?;
    let derived = derive(&original).map_err(|e| format!("{}: {e}", input.display()))?;
    let again = derive(&derived).map_err(|e| format!("{} (derived): {e}", input.display()))?;
    if again != derived {
        return Err(format!(
            "{}: deriving the derived document changes it",
            input.display()
        ));
    }
    let bytes = render(&derived)?;
    std::fs::write(output, &bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    let counts = |doc: &Value| -> String {
        doc.get("components")
            .and_then(Value::as_object)
            .map(|c| {
                c.iter()
                    .map(|(kind, m)| format!("{kind} {}", m.as_object().map_or(0, Map::len)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    eprintln!(
        "{}: {} -> {} bytes; paths {} -> {}; components: {} -> {}",
        output.display(),
        text.len(),
        bytes.len(),
        original["paths"].as_object().map_or(0, Map::len),
        derived["paths"].as_object().map_or(0, Map::len),
        counts(&original),
        counts(&derived),
    );
    Ok(())
}

/// Pretty-printed, keys sorted at every level, with a trailing newline.
fn render(doc: &Value) -> Result<Vec<u8>, String> {
    let mut bytes = serde_json::to_vec_pretty(&sorted(doc)).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A copy with every object's keys inserted in sorted order (so the output does not depend on
/// whether serde_json keeps insertion order).
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The derived document.
fn derive(doc: &Value) -> Result<Value, String> {
    let root = doc.as_object().ok_or("the document is not a JSON object")?;
    let version = root
        .get("info")
        .and_then(|i| i.get("version"))
        .cloned()
        .ok_or("the document has no info.version")?;
    let mut out = keywords(root);
    out.insert(
        "info".into(),
        json!({"title": "derived document (see specs/README.md)", "version": version}),
    );
    keep_used_tags(&mut out);
    trim_components(&mut out)?;
    Ok(Value::Object(out))
}

/// An object whose keys are keywords: prose and documentation extensions go, data stays as it
/// is, maps of names and everything else are cleaned below.
fn keywords(map: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let key_str = key.as_str();
        if PROSE.contains(&key_str) || DOCUMENTATION_EXTENSIONS.contains(&key_str) {
            continue;
        }
        let cleaned = if key.starts_with("x-") || DATA.contains(&key_str) {
            value.clone()
        } else if let (true, Value::Object(names)) = (NAME_MAPS.contains(&key_str), value) {
            Value::Object(named(key_str, names))
        } else {
            clean(value)
        };
        out.insert(key.clone(), cleaned);
    }
    out
}

/// A value in keyword position.
fn clean(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(keywords(map)),
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        other => other.clone(),
    }
}

/// A map of names (the value of the keyword `kind`): the names stay, the values are cleaned.
fn named(kind: &str, names: &Map<String, Value>) -> Map<String, Value> {
    names
        .iter()
        .map(|(name, value)| {
            let cleaned = match (kind, value) {
                // OAuth scope name -> its description.
                ("scopes", Value::String(_)) => Value::String(String::new()),
                ("responses", Value::Object(response)) => {
                    let mut response = keywords(response);
                    if !response.contains_key("$ref") {
                        response.insert("description".into(), Value::String(String::new()));
                    }
                    Value::Object(response)
                }
                _ => clean(value),
            };
            (name.clone(), cleaned)
        })
        .collect()
}

/// The operations of the document's paths.
fn operations(doc: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
        .filter_map(Value::as_object)
}

/// Keeps the root `tags` entries that an operation uses.
fn keep_used_tags(doc: &mut Map<String, Value>) {
    let used: BTreeSet<String> = operations(doc)
        .filter_map(|op| op.get("tags").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if let Some(Value::Array(tags)) = doc.get_mut("tags") {
        tags.retain(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| used.contains(n))
        });
        if tags.is_empty() {
            doc.remove("tags");
        }
    }
}

/// Every reference in `value`: `$ref`s and discriminator mappings.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    ("discriminator", Value::Object(d)) => {
                        let targets = d.get("mapping").and_then(Value::as_object);
                        for target in targets.into_iter().flat_map(Map::values) {
                            if let Some(t) = target.as_str() {
                                // A mapping value is a reference or a bare schema name.
                                out.push(if t.contains('/') {
                                    t.to_owned()
                                } else {
                                    format!("#/components/schemas/{t}")
                                });
                            }
                        }
                    }
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// `(kind, name)` of a reference into `components`; `None` for other local references.
fn component_of(reference: &str) -> Result<Option<(String, String)>, String> {
    let pointer = reference
        .strip_prefix('#')
        .ok_or_else(|| format!("a reference outside the document: {reference}"))?;
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    let mut parts = pointer.split('/').skip(1);
    match (parts.next(), parts.next(), parts.next()) {
        (Some("components"), Some(kind), Some(name)) => Ok(Some((unescape(kind), unescape(name)))),
        _ => Ok(None),
    }
}

/// Drops the components no path reaches (see the module docs).
fn trim_components(doc: &mut Map<String, Value>) -> Result<(), String> {
    let Some(Value::Object(components)) = doc.remove("components") else {
        return Ok(());
    };
    let mut pending = Vec::new();
    for value in doc.values() {
        references(value, &mut pending);
    }
    let mut kept: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while let Some(reference) = pending.pop() {
        let Some((kind, name)) = component_of(&reference)? else {
            continue;
        };
        let target = components
            .get(&kind)
            .and_then(|c| c.get(&name))
            .ok_or_else(|| format!("a reference to nothing: {reference}"))?;
        if kept.entry(kind).or_default().insert(name) {
            references(target, &mut pending);
        }
    }
    let root_security = doc.get("security").into_iter();
    let op_security = operations(doc).filter_map(|op| op.get("security"));
    let required_schemes: BTreeSet<String> = root_security
        .chain(op_security)
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect();

    let mut trimmed = Map::new();
    for (kind, members) in components {
        let Value::Object(members) = members else {
            trimmed.insert(kind, members);
            continue;
        };
        let keep: Map<String, Value> = members
            .into_iter()
            .filter(|(name, _)| {
                if kind == "securitySchemes" {
                    required_schemes.is_empty() || required_schemes.contains(name)
                } else {
                    kept.get(&kind).is_some_and(|k| k.contains(name))
                }
            })
            .collect();
        if !keep.is_empty() {
            trimmed.insert(kind, Value::Object(keep));
        }
    }
    doc.insert("components".into(), Value::Object(trimmed));
    Ok(())
}
