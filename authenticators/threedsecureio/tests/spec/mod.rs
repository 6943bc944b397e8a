//! A checker of message bodies against the repository's field tables
//! (`specs/threedsecureio-3ds-server-fields.json`, derived from 3dsecure.io's HTML reference):
//! required fields by the table's `inclusion` (or `inclusion_by_scenario` for the device
//! channel and message category), conditions of the simple forms the tables use (and `and`s of
//! them), channels, unknown fields, types, `enum` (of strings and of each entry of a list of
//! strings), `length` and the `requirements_other` rules (`Regexp`, `Max length`, `Min length`,
//! `Value: a … b`; a `json` field's lengths are its JSON text's), the `format`s, and the fields
//! of nested objects that have a table of their own (`deviceRenderOptions`,
//! `acsRenderingType`).
//!
//! Device channels: a scenario's channel (`01` app, `02` browser) selects the
//! `inclusion_by_scenario` entries and the fields of that channel, and answers
//! `deviceChannel` conditions for messages that do not carry the field (an ARes). The tables
//! write a field's channel as its own `Required if deviceChannel is …` line beside its
//! condition (`acsURL`: `Required if deviceChannel is "02"`, `Required if transStatus is "C"`,
//! and the provider's frictionless browser ARes example has no `acsURL`), so such a line
//! narrows the field's other conditions rather than standing alone.

use std::net::IpAddr;
use std::sync::OnceLock;

use serde_json::{json, Value};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../specs/threedsecureio-3ds-server-fields.json"
);

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let text = std::fs::read_to_string(PATH).expect("the field tables are in specs/");
        serde_json::from_str(&text).expect("the field tables are JSON")
    })
}

/// The entries of one message's table (`areq_220`, `preauth`, `creq`, …).
pub fn fields(message: &str) -> &'static [Value] {
    table(message).unwrap_or_else(|| panic!("no table {message}"))
}

/// The entries of a table, when there is one of that name.
fn table(name: &str) -> Option<&'static [Value]> {
    document()["messages"][name].as_array().map(Vec::as_slice)
}

/// Where a message is sent from.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// `01` APP, `02` BRW (`None` for messages without a channel, e.g. `preauth`).
    pub device_channel: Option<&'static str>,
    /// `01` payment.
    pub message_category: &'static str,
}

pub const BRW: Scenario = Scenario {
    device_channel: Some("02"),
    message_category: "01",
};
pub const APP: Scenario = Scenario {
    device_channel: Some("01"),
    message_category: "01",
};
pub const NONE: Scenario = Scenario {
    device_channel: None,
    message_category: "01",
};

fn str_list(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The field's inclusion in `scenario`: the most specific `inclusion_by_scenario` entry, else
/// `inclusion`.
fn inclusion(field: &Value, s: Scenario) -> &str {
    let by = &field["inclusion_by_scenario"];
    let mc = s.message_category;
    let keys = match s.device_channel {
        Some(dc) => vec![
            format!("devicechannel={dc},messagecategory={mc}"),
            format!("devicechannel={dc}"),
            format!("messagecategory={mc}"),
        ],
        None => vec![format!("messagecategory={mc}")],
    };
    keys.iter()
        .find_map(|k| by[k.as_str()].as_str())
        .or_else(|| field["inclusion"].as_str())
        .unwrap_or("Optional")
}

fn channel_name(dc: &str) -> &'static str {
    match dc {
        "01" => "APP",
        "02" => "BRW",
        _ => "3RI",
    }
}

/// The text of `name` in `body`, or for `deviceChannel` in a message without it, the
/// scenario's channel.
fn value_text(name: &str, body: &Value, s: Scenario) -> Option<String> {
    let value = &body[name];
    if value.is_null() && name == "deviceChannel" {
        return s.device_channel.map(str::to_owned);
    }
    value.as_str().map(str::to_owned).or_else(|| {
        value
            .as_bool()
            .map(|b| b.to_string())
            .or_else(|| (!value.is_null()).then(|| value.to_string()))
    })
}

/// One test of a clause: `X is true`, `X is "V"`, `X is one of [A, B]`, `X is not empty`.
fn test_holds(test: &str, body: &Value, s: Scenario) -> Option<bool> {
    let (name, test) = test.split_once(" is ")?;
    let text = value_text(name.trim(), body, s);
    let test = test.trim();
    Some(if test == "not empty" {
        text.is_some_and(|t| !t.is_empty())
    } else if let Some(list) = test
        .strip_prefix("one of [")
        .and_then(|l| l.strip_suffix(']'))
    {
        text.is_some_and(|t| list.split(',').any(|v| v.trim() == t))
    } else if test.starts_with("not ") {
        // `is not "Y"`: not a form this checker reads.
        return None;
    } else {
        let wanted = test.trim_matches('"');
        text.as_deref() == Some(wanted)
    })
}

/// One clause of a `conditions` text, when it is of a form this checker reads: tests joined
/// by `and`. `None` for the others (`or`, parentheses), which are not checked.
fn clause_holds(clause: &str, body: &Value, s: Scenario) -> Option<bool> {
    let rest = clause.trim().strip_prefix("Required if ")?;
    if rest.contains(" or ") || rest.contains('(') {
        return None;
    }
    let mut all = true;
    for test in rest.split(" and ") {
        all &= test_holds(test, body, s)?;
    }
    Some(all)
}

/// Whether the `conditions` make `field` required: any clause that holds, within the channel
/// its `deviceChannel` clauses name (see the module's documentation).
fn conditionally_required(field: &Value, body: &Value, s: Scenario) -> bool {
    let Some(conditions) = field["conditions"].as_str() else {
        return false;
    };
    let clauses: Vec<String> = conditions
        .split("Required if ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("Required if {p}"))
        .collect();
    let (channel, other): (Vec<&String>, Vec<&String>) = clauses
        .iter()
        .partition(|c| c.starts_with("Required if deviceChannel is ") && !c.contains(" and "));
    let on_channel = channel
        .iter()
        .any(|c| clause_holds(c, body, s) == Some(true));
    if other.is_empty() {
        return on_channel;
    }
    (channel.is_empty() || on_channel)
        && other
            .iter()
            .filter_map(|c| clause_holds(c, body, s))
            .any(|holds| holds)
}

fn pattern_matches(pattern: &str, value: &str) -> Option<bool> {
    let validator =
        jsonschema::validator_for(&json!({"type": "string", "pattern": pattern})).ok()?;
    Some(validator.is_valid(&json!(value)))
}

fn number_after(rule: &str, prefix: &str) -> Option<usize> {
    rule.strip_prefix(prefix)?.trim().parse().ok()
}

fn digits(value: &str, n: usize) -> bool {
    value.len() == n && value.bytes().all(|b| b.is_ascii_digit())
}

fn format_ok(format: &str, v: &str) -> bool {
    match format {
        "uuid" => {
            let groups: Vec<&str> = v.split('-').collect();
            groups.len() == 5
                && groups
                    .iter()
                    .zip([8, 4, 4, 4, 12])
                    .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        "url" => paybridge_core::url::Url::parse(v)
            .is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https"),
        "urlHttps" => paybridge_core::url::Url::parse(v).is_ok_and(|u| u.scheme() == "https"),
        "yymm" => digits(v, 4) && (1..=12).contains(&v[2..].parse::<u8>().unwrap_or(0)),
        "yyyymmdd" => {
            digits(v, 8)
                && paybridge_core::time::Date::parse(
                    v,
                    paybridge_core::time::macros::format_description!("[year][month][day]"),
                )
                .is_ok()
        }
        "yyyymmddhhmmss" => {
            digits(v, 14)
                && paybridge_core::time::PrimitiveDateTime::parse(
                    v,
                    paybridge_core::time::macros::format_description!(
                        "[year][month][day][hour][minute][second]"
                    ),
                )
                .is_ok()
        }
        "yyyymmddhhmm" => digits(v, 12),
        "email" => v
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.')),
        "ip" => v.parse::<IpAddr>().is_ok(),
        "currency" | "countryCode" => digits(v, 3),
        "validVersion" => {
            let parts: Vec<&str> = v.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => true,
    }
}

/// `enum` entries are values, or ranges such as `80-99` or `12-79`.
fn in_enum(list: &[&str], v: &str) -> bool {
    list.iter().any(|entry| {
        *entry == v
            || entry.split_once('-').is_some_and(|(lo, hi)| {
                digits(lo, lo.len())
                    && lo.len() == v.len()
                    && match (lo.parse::<u32>(), hi.parse::<u32>(), v.parse::<u32>()) {
                        (Ok(lo), Ok(hi), Ok(n)) => (lo..=hi).contains(&n),
                        _ => false,
                    }
            })
    })
}

/// The `Max length` and `Min length` rules of `field` for a text of `len` characters.
fn check_lengths(name: &str, field: &Value, len: usize, out: &mut Vec<String>) {
    for rule in str_list(&field["requirements_other"]) {
        if let Some(max) = number_after(rule, "Max length:") {
            if len > max {
                out.push(format!("{name}: longer than {max}"));
            }
        } else if let Some(min) = number_after(rule, "Min length:") {
            if len < min {
                out.push(format!("{name}: shorter than {min}"));
            }
        }
    }
}

fn check_value(name: &str, field: &Value, value: &Value, s: Scenario, out: &mut Vec<String>) {
    let kind = field["type"].as_str().unwrap_or("string");
    match kind {
        "string" => {
            let Some(v) = value.as_str() else {
                out.push(format!("{name}: expected a string, got {value}"));
                return;
            };
            let enumeration = str_list(&field["enum"]);
            if !enumeration.is_empty() && !in_enum(&enumeration, v) {
                out.push(format!("{name}: {v:?} is not one of {enumeration:?}"));
            }
            if let Some(n) = field["length"]
                .as_str()
                .and_then(|l| number_after(l, "Length:"))
            {
                if v.chars().count() != n {
                    out.push(format!("{name}: length is not {n}"));
                }
            }
            for rule in str_list(&field["requirements_other"]) {
                let len = v.chars().count();
                if let Some(max) = number_after(rule, "Max length:") {
                    if len > max {
                        out.push(format!("{name}: longer than {max}"));
                    }
                } else if let Some(min) = number_after(rule, "Min length:") {
                    if len < min {
                        out.push(format!("{name}: shorter than {min}"));
                    }
                } else if let Some(pattern) = rule.strip_prefix("Regexp:") {
                    if pattern_matches(pattern.trim(), v) == Some(false) {
                        out.push(format!("{name}: {v:?} does not match {}", pattern.trim()));
                    }
                } else if let Some(range) = rule.strip_prefix("Value:") {
                    let (lo, hi) = range.split_once('…').unwrap_or((range, range));
                    let (lo, hi) = (lo.trim(), hi.trim());
                    let ok = v.len() == lo.len()
                        && matches!((lo.parse::<u32>(), hi.parse::<u32>(), v.parse::<u32>()),
                            (Ok(lo), Ok(hi), Ok(n)) if (lo..=hi).contains(&n));
                    if !ok {
                        out.push(format!("{name}: {v:?} is outside {lo} … {hi}"));
                    }
                }
            }
            if let Some(format) = field["format"].as_str() {
                if !format_ok(format, v) {
                    out.push(format!("{name}: {v:?} is not of format {format}"));
                }
            }
        }
        "bool" => {
            if !value.is_boolean() {
                out.push(format!("{name}: expected a boolean"));
            }
        }
        "Array of string" => match value.as_array() {
            Some(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
                let enumeration = str_list(&field["enum"]);
                for v in items.iter().filter_map(Value::as_str) {
                    if !enumeration.is_empty() && !in_enum(&enumeration, v) {
                        out.push(format!("{name}: {v:?} is not one of {enumeration:?}"));
                    }
                }
            }
            _ => out.push(format!("{name}: expected a non-empty array of strings")),
        },
        // Any JSON; its lengths are those of its (compact) JSON text.
        "json" => check_lengths(name, field, value.to_string().chars().count(), out),
        other if other.starts_with("Array of") => {
            if !value.is_array() {
                out.push(format!("{name}: expected an array"));
            }
        }
        _ => {
            if !value.is_object() {
                out.push(format!("{name}: expected an object ({kind})"));
                return;
            }
            // `DeviceRenderOptions object` → the `devicerenderoptions` table, when there is one.
            let nested = kind
                .strip_suffix(" object")
                .map(str::to_ascii_lowercase)
                .filter(|t| table(t).is_some());
            if let Some(nested) = nested {
                for found in violations(&nested, value, s) {
                    out.push(format!("{name}.{found}"));
                }
            }
        }
    }
}

/// Every way `body` breaks the table `message` in `scenario`; empty when it follows it.
pub fn violations(message: &str, body: &Value, scenario: Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let Some(object) = body.as_object() else {
        return vec!["the body is not a JSON object".into()];
    };
    let table = fields(message);
    for (name, value) in object {
        let Some(field) = table.iter().find(|f| f["name"] == name.as_str()) else {
            out.push(format!("{name}: not a field of {message}"));
            continue;
        };
        if let Some(dc) = scenario.device_channel {
            let channels = field["channels"].as_str().unwrap_or("");
            if !channels.is_empty() && !channels.split(' ').any(|c| c == channel_name(dc)) {
                out.push(format!(
                    "{name}: not a field of channel {}",
                    channel_name(dc)
                ));
            }
        }
        check_value(name, field, value, scenario, &mut out);
    }
    for field in table {
        let name = field["name"].as_str().unwrap_or_default();
        if object.contains_key(name) {
            continue;
        }
        if let Some(dc) = scenario.device_channel {
            let channels = field["channels"].as_str().unwrap_or("");
            if !channels.is_empty() && !channels.split(' ').any(|c| c == channel_name(dc)) {
                continue;
            }
        }
        let required = match inclusion(field, scenario) {
            "Required" => true,
            "Conditional" => conditionally_required(field, body, scenario),
            _ => false,
        };
        if required {
            out.push(format!("{name}: required but missing"));
        }
    }
    out
}

/// Panics with the violations.
pub fn assert_follows(message: &str, body: &Value, scenario: Scenario) {
    let found = violations(message, body, scenario);
    assert!(
        found.is_empty(),
        "{message} breaks the field table: {found:#?}"
    );
}
