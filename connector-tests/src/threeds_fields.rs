//! Checks EMV 3-D Secure messages (AReq, ARes, CReq, CRes, RReq, Erro, and 3dsecure.io's CRD,
//! `/preauth` and `/postauth` bodies) against 3dsecure.io's field tables,
//! `specs/threedsecureio-3ds-server-fields.json` (read with [`crate::openapi::read_spec`]).
//!
//! ```no_run
//! use paybridge_connector_tests::threeds_fields::{check, check_message, BROWSER_PAYMENT};
//!
//! let ares = serde_json::json!({"messageType": "ARes", "messageVersion": "2.2.0", "transStatus": "Y"});
//! // The table by name and version, for a browser payment (deviceChannel 02, messageCategory 01):
//! if let Err(problems) = check_message("ares", "2.2.0", BROWSER_PAYMENT, &ares) {
//!     eprintln!("{}", problems.join("\n")); // acsTransID missing, authenticationValue missing, …
//! }
//! // Or the table the body's own messageType and messageVersion name:
//! assert!(check(BROWSER_PAYMENT, &ares).is_err());
//! ```
//!
//! The file is a field list derived by the maintainers from the provider's published HTML
//! tables (see `specs/README.md`): one table per message and version (`areq_210`, `areq_220`,
//! `areq_231`, `ares_*`, `rreq_*`, `cres_*`, `erro_*`, `crd`, `crd_220`, `creq`, `preauth`,
//! `postauth`) and per nested object (`acctinfo`, `phonenumber`, `messageextension`, …).
//!
//! # What is checked
//!
//! - **Inclusion** for the scenario (`deviceChannel` `01` APP, `02` BRW, `03` 3RI;
//!   `messageCategory` `01` PA, `02` NPA): an `inclusion_by_scenario` entry for the channel and
//!   category, else for the category, else for the channel, wins; otherwise a field whose
//!   `channels` / `categories` exclude the scenario does not apply (not required, still checked
//!   when present); otherwise the field's `inclusion`. A `Conditional` field is required when
//!   its `conditions` hold (below).
//! - **Unknown fields**: a member the table does not list is reported, except the documented
//!   extras of [`EXTRA_FIELDS`] (the CRD's protocol-version lists, which the provider added in
//!   2024 and its tables do not list yet).
//! - **Values**: the `type` (`string`, `bool`, `json`, arrays, objects — nested objects against
//!   their own table when the file has one, the version's first), `enum` (entries like `80-99`
//!   are numeric ranges), `format` (`uuid`, `url`, `urlHttps`, `validVersion`, `email`, `ip`,
//!   `countryCode`, `currency`, `iso3166-2`, `yymm`, `yyyymmdd`, `yyyymmddhhmm`,
//!   `yyyymmddhhmmss`), `length` (exact), and `requirements_other` (`Regexp` with ECMA-262
//!   semantics through `jsonschema`, `Max length` / `Min length` — characters for strings, items
//!   for arrays, the serialised text for `json` —, `Value: A … B` and `From A To B` ranges).
//!
//! # Conditions
//!
//! A `conditions` text is one or more clauses `Required if …` run together, each a boolean
//! expression over the message's own fields: `X is "V"`, `X is not "V"`, `X is one of [A, B]`,
//! `X is not empty`, `X is true`, joined by `and` / `or`, with parentheses. Every condition in
//! the file parses (a unit test says so). `deviceChannel` and `messageCategory` come from the
//! message, else from the scenario. A field named by a condition but absent from the object
//! (e.g. `frequencyInd`, which lives in the nested `recurringInd`) counts as absent.
//!
//! The provider's HTML runs two kinds of clause together: clauses testing only the scenario
//! (`Required if messageCategory is "01"`) and clauses testing values (`Required if
//! transStatus is one of [Y, A]`). The checker reads a field as required when a value clause
//! holds and, unless that clause tests the scenario itself, when every scenario clause holds
//! too; with no value clause, when a scenario clause holds. So `authenticationValue` is
//! required in a payment ARes with `Y` or `A` (not with `N`), `acsURL` in a browser ARes with
//! `C`, and `purchaseAmount` in a non-payment AReq for a recurring authentication. One text is
//! overridden ([`CONDITION_OVERRIDES`]): the 2.3.1 ARes's `authenticationMethod`, whose HTML
//! text also carries the RReq's clause (`[Y, N]`); in 2.2.0 the provider's tables give the two
//! messages' clauses separately (`authenticationType`: ARes `[C, D]`, RReq `[Y, N]`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

/// The field tables' file in `specs/`.
pub const SPEC_FILE: &str = "threedsecureio-3ds-server-fields.json";

/// `(deviceChannel, messageCategory)`: `("02", "01")` is a browser payment.
pub type Scenario<'a> = (&'a str, &'a str);

/// A browser (`02`) payment (`01`) authentication.
pub const BROWSER_PAYMENT: Scenario<'static> = ("02", "01");

/// Members a table does not list that the provider documents elsewhere: (table, field, where).
pub const EXTRA_FIELDS: &[(&str, &str, &str)] = &[
    (
        "crd_220",
        "dsProtocolVersions",
        "changelog 2024-09-17 and the /preauth example",
    ),
    (
        "crd_220",
        "acsProtocolVersions",
        "changelog 2024-09-17 and the /preauth example",
    ),
    (
        "crd_220",
        "threeDSServerProtocolVersions",
        "the /preauth example",
    ),
    (
        "crd",
        "dsProtocolVersions",
        "changelog 2024-09-17 and the /preauth example",
    ),
    (
        "crd",
        "acsProtocolVersions",
        "changelog 2024-09-17 and the /preauth example",
    ),
    (
        "crd",
        "threeDSServerProtocolVersions",
        "the /preauth example",
    ),
];

/// Conditions read differently from the file: (table, field, the condition used).
pub const CONDITION_OVERRIDES: &[(&str, &str, &str)] = &[(
    "ares_231",
    "authenticationMethod",
    "Required if transStatus is one of [C, D]",
)];

/// Patterns of the file that are not regular expressions as published, and the one used:
/// (published, used). `sellerinfo_231.sellerAddrState` reads `^\d{1-3}$`, a typo for
/// `^\d{1,3}$` (ECMA-262 would read `{1-3}` as the literal text).
pub const PATTERN_FIXES: &[(&str, &str)] = &[(r"^\d{1-3}$", r"^\d{1,3}$")];

/// The table of `message` (`areq`, `ares`, `rreq`, `cres`, `erro`, `crd`, `creq`, `preauth`,
/// `postauth`, or any table name of the file, any case) in `version` (`2.1.0`, `2.2.0`,
/// `2.3.1`; ignored by the unversioned tables). `crd` is `crd` for 2.1.0 and `crd_220` after.
pub fn table_name(message: &str, version: &str) -> Option<String> {
    let message = message.to_ascii_lowercase();
    let suffix = match version {
        "2.1.0" => Some("210"),
        "2.2.0" => Some("220"),
        "2.3.1" => Some("231"),
        _ => None,
    };
    match message.as_str() {
        "areq" | "ares" | "rreq" | "cres" | "erro" => suffix.map(|s| format!("{message}_{s}")),
        "crd" => Some(
            if suffix == Some("210") {
                "crd"
            } else {
                "crd_220"
            }
            .to_owned(),
        ),
        _ => Some(message),
    }
}

/// The file, parsed once.
fn spec() -> Result<&'static Value, String> {
    static SPEC: OnceLock<Result<Value, String>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = crate::openapi::read_spec(SPEC_FILE)?;
        serde_json::from_str(&text).map_err(|e| format!("{SPEC_FILE}: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn table(spec: &'static Value, name: &str) -> Option<&'static [Value]> {
    spec.get("messages")?
        .get(name)?
        .as_array()
        .map(Vec::as_slice)
}

/// Checks `body` as the `message` of `version` in `scenario`; the problems, one line each
/// (`table: path: what`), when there are any.
pub fn check_message(
    message: &str,
    version: &str,
    scenario: Scenario<'_>,
    body: &Value,
) -> Result<(), Vec<String>> {
    let spec = spec().map_err(|e| vec![e])?;
    let Some(name) = table_name(message, version) else {
        return Err(vec![format!("{message}: no table for version {version:?}")]);
    };
    let Some(fields) = table(spec, &name) else {
        return Err(vec![format!("{SPEC_FILE} has no table {name:?}")]);
    };
    let Some(object) = body.as_object() else {
        return Err(vec![format!("{name}: the message is not a JSON object")]);
    };
    let version_suffix = name.rsplit_once('_').map(|(_, s)| s.to_owned());
    let mut checker = Checker {
        spec,
        version: version_suffix,
        scenario,
        problems: Vec::new(),
    };
    checker.object(&name, fields, object, "");
    if checker.problems.is_empty() {
        Ok(())
    } else {
        Err(checker.problems)
    }
}

/// Checks `body` against the table its own `messageType` and `messageVersion` name (a CRD,
/// which has no version, against `crd_220`).
pub fn check(scenario: Scenario<'_>, body: &Value) -> Result<(), Vec<String>> {
    let message_type = body.get("messageType").and_then(Value::as_str);
    let version = body
        .get("messageVersion")
        .and_then(Value::as_str)
        .unwrap_or("2.2.0");
    let message = match message_type {
        Some("AReq") => "areq",
        Some("ARes") => "ares",
        Some("RReq") => "rreq",
        Some("CReq") => "creq",
        Some("CRes") => "cres",
        Some("Erro") => "erro",
        Some("CRD") => "crd",
        other => return Err(vec![format!("unknown messageType {other:?}")]),
    };
    check_message(message, version, scenario, body)
}

/// Conditions of the file the checker cannot parse, as `table.field: text` (none today; a unit
/// test keeps it so).
pub fn unparsed_conditions() -> Result<Vec<String>, String> {
    let spec = spec()?;
    let mut unparsed = Vec::new();
    let messages = spec
        .get("messages")
        .and_then(Value::as_object)
        .ok_or("no messages")?;
    for (name, fields) in messages {
        for field in fields.as_array().into_iter().flatten() {
            if let Some(text) = field.get("conditions").and_then(Value::as_str) {
                if parse_conditions(text).is_none() {
                    let field = field.get("name").and_then(Value::as_str).unwrap_or("?");
                    unparsed.push(format!("{name}.{field}: {text}"));
                }
            }
        }
    }
    Ok(unparsed)
}

/// A field's inclusion in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inclusion {
    Required,
    Optional,
    /// Not part of the scenario's channel or category.
    NotApplicable,
}

struct Checker<'s> {
    spec: &'static Value,
    /// `210`, `220` or `231` when the table is versioned.
    version: Option<String>,
    scenario: Scenario<'s>,
    problems: Vec<String>,
}

fn str_field<'a>(field: &'a Value, key: &str) -> &'a str {
    field.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn channel_name(device_channel: &str) -> &'static str {
    match device_channel {
        "01" => "APP",
        "02" => "BRW",
        "03" => "3RI",
        _ => "?",
    }
}

fn category_name(message_category: &str) -> &'static str {
    match message_category {
        "01" => "PA",
        "02" => "NPA",
        _ => "?",
    }
}

impl Checker<'_> {
    fn problem(&mut self, table: &str, path: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{table}: {path}: {what}"));
    }

    fn object(&mut self, table: &str, fields: &[Value], object: &Map<String, Value>, prefix: &str) {
        for field in fields {
            let name = str_field(field, "name");
            let path = format!("{prefix}{name}");
            match object.get(name) {
                None => {
                    if self.inclusion(table, field, object) == Inclusion::Required {
                        let why = match field.get("conditions").and_then(Value::as_str) {
                            Some(c) if str_field(field, "inclusion") != "Required" => {
                                format!(" ({c})")
                            }
                            _ => String::new(),
                        };
                        self.problem(table, &path, format!("required{why} but missing"));
                    }
                }
                Some(value) => self.value(table, field, value, &path),
            }
        }
        for (key, value) in object {
            if fields.iter().any(|f| str_field(f, "name") == key) {
                continue;
            }
            let path = format!("{prefix}{key}");
            if EXTRA_FIELDS.iter().any(|(t, f, _)| *t == table && f == key) {
                self.extra(table, key, value, &path);
            } else {
                self.problem(table, &path, "unknown field (not in the table)");
            }
        }
    }

    /// The CRD's protocol-version lists (no table: the shapes of the provider's example).
    fn extra(&mut self, table: &str, key: &str, value: &Value, path: &str) {
        let version = |v: &Value| v.as_str().is_some_and(is_valid_version);
        let ok = match key {
            "acsProtocolVersions" => value.as_array().is_some_and(|items| {
                items.iter().all(|item| {
                    item.as_object()
                        .is_some_and(|o| o.get("version").is_some_and(version))
                })
            }),
            _ => value
                .as_array()
                .is_some_and(|items| items.iter().all(version)),
        };
        if !ok {
            self.problem(table, path, "not the documented list of versions");
        }
    }

    fn inclusion(&self, table: &str, field: &Value, object: &Map<String, Value>) -> Inclusion {
        let (dc, mc) = self.scenario;
        let by_scenario = field.get("inclusion_by_scenario");
        let level = [
            format!("devicechannel={dc},messagecategory={mc}"),
            format!("messagecategory={mc}"),
            format!("devicechannel={dc}"),
        ]
        .iter()
        .find_map(|key| by_scenario.and_then(|s| s.get(key)).and_then(Value::as_str));
        let level = match level {
            Some(level) => level,
            None => {
                let channels = str_field(field, "channels");
                let categories = str_field(field, "categories");
                let excluded = (!channels.is_empty()
                    && !channels.split_whitespace().any(|c| c == channel_name(dc)))
                    || (!categories.is_empty()
                        && !categories
                            .split_whitespace()
                            .any(|c| c == category_name(mc)));
                if excluded {
                    return Inclusion::NotApplicable;
                }
                str_field(field, "inclusion")
            }
        };
        match level {
            "Required" => Inclusion::Required,
            "Conditional" => {
                let name = str_field(field, "name");
                let text = CONDITION_OVERRIDES
                    .iter()
                    .find(|(t, f, _)| *t == table && *f == name)
                    .map(|(_, _, text)| *text)
                    .or_else(|| field.get("conditions").and_then(Value::as_str));
                let required = text
                    .and_then(parse_conditions)
                    .is_some_and(|clauses| required_by(&clauses, object, self.scenario));
                if required {
                    Inclusion::Required
                } else {
                    Inclusion::Optional
                }
            }
            _ => Inclusion::Optional,
        }
    }

    fn value(&mut self, table: &str, field: &Value, value: &Value, path: &str) {
        let kind = str_field(field, "type");
        match kind {
            "string" => match value.as_str() {
                Some(s) => self.string(table, field, s, path),
                None => self.problem(table, path, format!("must be a string, is {value}")),
            },
            "bool" => match value.as_bool() {
                Some(b) => self.enumerated(table, field, &b.to_string(), path),
                None => self.problem(table, path, format!("must be a boolean, is {value}")),
            },
            "json" => {
                let text = value.to_string();
                self.lengths(table, field, text.chars().count(), path, "characters");
            }
            "Array of string" => match value.as_array() {
                Some(items) => {
                    self.lengths(table, field, items.len(), path, "items");
                    for (i, item) in items.iter().enumerate() {
                        let item_path = format!("{path}[{i}]");
                        match item.as_str() {
                            Some(s) => {
                                self.enumerated(table, field, s, &item_path);
                                self.patterns(table, field, s, &item_path);
                                self.format(table, field, s, &item_path);
                            }
                            None => self.problem(table, &item_path, "must be a string"),
                        }
                    }
                }
                None => self.problem(table, path, "must be an array of strings"),
            },
            _ if kind.starts_with("Array of ") && kind.ends_with(" object") => {
                match value.as_array() {
                    Some(items) => {
                        self.lengths(table, field, items.len(), path, "items");
                        let nested = self.nested_table(&kind["Array of ".len()..]);
                        for (i, item) in items.iter().enumerate() {
                            self.nested(nested.as_ref(), item, &format!("{path}[{i}]"), table);
                        }
                    }
                    None => self.problem(table, path, format!("must be an array ({kind})")),
                }
            }
            _ if kind.ends_with(" object") => {
                let nested = self.nested_table(kind);
                self.nested(nested.as_ref(), value, path, table);
            }
            _ => {}
        }
    }

    /// The table of a nested object type (`AcctInfo object` → `acctinfo`), the message's
    /// version first; `None` when the file has none.
    fn nested_table(&self, kind: &str) -> Option<(String, &'static [Value])> {
        let base = kind.trim_end_matches(" object").to_ascii_lowercase();
        let mut names = Vec::new();
        if let Some(version) = &self.version {
            names.push(format!("{base}_{version}"));
            if version == "231" {
                names.push(format!("{base}_220"));
            }
        }
        names.push(base);
        names
            .into_iter()
            .find_map(|name| table(self.spec, &name).map(|fields| (name, fields)))
    }

    fn nested(
        &mut self,
        nested: Option<&(String, &'static [Value])>,
        value: &Value,
        path: &str,
        table: &str,
    ) {
        match (value.as_object(), nested) {
            (Some(object), Some((name, fields))) => {
                self.object(name, fields, object, &format!("{path}."));
            }
            (Some(_), None) => {}
            (None, _) => self.problem(table, path, format!("must be an object, is {value}")),
        }
    }

    fn string(&mut self, table: &str, field: &Value, s: &str, path: &str) {
        self.enumerated(table, field, s, path);
        self.format(table, field, s, path);
        self.patterns(table, field, s, path);
        self.lengths(table, field, s.chars().count(), path, "characters");
        if let Some(n) = field
            .get("length")
            .and_then(Value::as_str)
            .and_then(|l| l.strip_prefix("Length:"))
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            if s.chars().count() != n {
                self.problem(
                    table,
                    path,
                    format!("must be exactly {n} characters: {s:?}"),
                );
            }
        }
        for requirement in requirements(field) {
            let range = if let Some(rest) = requirement.strip_prefix("Value:") {
                rest.split_once('…')
                    .map(|(lo, hi)| (lo.trim().to_owned(), hi.trim().to_owned()))
            } else if let Some(rest) = requirement.strip_prefix("From ") {
                rest.split_once(" To ")
                    .map(|(lo, hi)| (lo.trim().to_owned(), hi.trim().to_owned()))
            } else {
                None
            };
            if let Some((lo, hi)) = range {
                let in_range = match (lo.parse::<u64>(), hi.parse::<u64>()) {
                    (Ok(lo), Ok(hi)) => {
                        s.bytes().all(|b| b.is_ascii_digit())
                            && s.parse::<u64>().is_ok_and(|n| (lo..=hi).contains(&n))
                    }
                    _ => true,
                };
                if !in_range {
                    self.problem(table, path, format!("{s:?} is outside {requirement}"));
                }
            }
        }
    }

    fn enumerated(&mut self, table: &str, field: &Value, s: &str, path: &str) {
        let Some(values) = field.get("enum").and_then(Value::as_array) else {
            return;
        };
        let allowed: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        if !allowed.iter().any(|entry| enum_matches(entry, s)) {
            self.problem(
                table,
                path,
                format!("{s:?} is not one of [{}]", allowed.join(", ")),
            );
        }
    }

    fn patterns(&mut self, table: &str, field: &Value, s: &str, path: &str) {
        for requirement in requirements(field) {
            if let Some(pattern) = requirement.strip_prefix("Regexp:") {
                let pattern = fixed_pattern(pattern.trim());
                match matches_pattern(pattern, s) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.problem(table, path, format!("{s:?} does not match {pattern}"));
                    }
                    Err(e) => self.problem(table, path, e),
                }
            }
        }
    }

    fn lengths(&mut self, table: &str, field: &Value, n: usize, path: &str, unit: &str) {
        for requirement in requirements(field) {
            let (bound, is_max) = if let Some(max) = requirement.strip_prefix("Max length:") {
                (max, true)
            } else if let Some(min) = requirement.strip_prefix("Min length:") {
                (min, false)
            } else {
                continue;
            };
            let Ok(bound) = bound.trim().parse::<usize>() else {
                continue;
            };
            if (is_max && n > bound) || (!is_max && n < bound) {
                let word = if is_max { "at most" } else { "at least" };
                self.problem(
                    table,
                    path,
                    format!("has {n} {unit}, {word} {bound} allowed"),
                );
            }
        }
    }

    fn format(&mut self, table: &str, field: &Value, s: &str, path: &str) {
        let format = str_field(field, "format");
        let ok = match format {
            "" => true,
            "uuid" => is_uuid(s),
            "url" => is_url(s, false),
            "urlHttps" => is_url(s, true),
            "validVersion" => is_valid_version(s),
            "email" => is_email(s),
            "ip" => s.parse::<std::net::IpAddr>().is_ok(),
            "countryCode" | "currency" => s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()),
            "iso3166-2" => {
                (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            "yymm" => is_date(s, "yymm"),
            "yyyymmdd" | "yyyymmddhhmm" | "yyyymmddhhmmss" => is_date(s, format),
            _ => true,
        };
        if !ok {
            self.problem(table, path, format!("{s:?} is not format {format}"));
        }
    }
}

fn requirements(field: &Value) -> impl Iterator<Item = &str> {
    field
        .get("requirements_other")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The pattern to use for a published one ([`PATTERN_FIXES`]).
fn fixed_pattern(published: &str) -> &str {
    PATTERN_FIXES
        .iter()
        .find(|(bad, _)| *bad == published)
        .map_or(published, |(_, fixed)| fixed)
}

/// `entry` is the value itself, or a range of same-width numbers (`80-99`).
fn enum_matches(entry: &str, value: &str) -> bool {
    if entry == value {
        return true;
    }
    match entry.split_once('-') {
        Some((lo, hi))
            if lo.len() == value.len()
                && lo.bytes().all(|b| b.is_ascii_digit())
                && hi.bytes().all(|b| b.is_ascii_digit())
                && value.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match (lo.parse::<u32>(), hi.parse::<u32>(), value.parse::<u32>()) {
                (Ok(lo), Ok(hi), Ok(v)) => (lo..=hi).contains(&v),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether `s` matches `pattern` (ECMA-262, through `jsonschema`); compiled patterns are kept.
fn matches_pattern(pattern: &str, s: &str) -> Result<bool, String> {
    type Compiled = Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>;
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    let compiled = COMPILED.get_or_init(Compiled::default);
    let validator = {
        let mut cache = compiled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| {
                let schema = serde_json::json!({"type": "string", "pattern": pattern});
                jsonschema::validator_for(&schema).ok().map(Arc::new)
            })
            .clone()
    };
    match validator {
        Some(validator) => Ok(validator.is_valid(&Value::String(s.to_owned()))),
        None => Err(format!("the table's pattern {pattern} does not compile")),
    }
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_url(s: &str, https_only: bool) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        u.host_str().is_some()
            && match u.scheme() {
                "https" => true,
                "http" => !https_only,
                _ => false,
            }
    })
}

fn is_valid_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A real date (and time) in `format` (`yymm`, `yyyymmdd`, `yyyymmddhhmm`, `yyyymmddhhmmss`).
fn is_date(s: &str, format: &str) -> bool {
    if s.len() != format.len() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let num = |from: usize, to: usize| s[from..to].parse::<u32>().unwrap_or(u32::MAX);
    if format == "yymm" {
        return (1..=12).contains(&num(2, 4));
    }
    let (year, month, day) = (num(0, 4), num(4, 6), num(6, 8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !(1..=days).contains(&day) {
        return false;
    }
    match format.len() {
        12 => num(8, 10) < 24 && num(10, 12) < 60,
        14 => num(8, 10) < 24 && num(10, 12) < 60 && num(12, 14) < 60,
        _ => true,
    }
}

// ---- conditions ----

/// A parsed condition clause.
#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Is(String, String),
    IsNot(String, String),
    OneOf(String, Vec<String>),
    NotEmpty(String),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    /// Whether the clause tests only `deviceChannel` / `messageCategory`.
    fn only_scenario(&self) -> bool {
        match self {
            Cond::Is(f, _) | Cond::IsNot(f, _) | Cond::OneOf(f, _) | Cond::NotEmpty(f) => {
                is_scenario_field(f)
            }
            Cond::And(a, b) | Cond::Or(a, b) => a.only_scenario() && b.only_scenario(),
        }
    }

    /// Whether the clause tests `deviceChannel` / `messageCategory` at all.
    fn mentions_scenario(&self) -> bool {
        match self {
            Cond::Is(f, _) | Cond::IsNot(f, _) | Cond::OneOf(f, _) | Cond::NotEmpty(f) => {
                is_scenario_field(f)
            }
            Cond::And(a, b) | Cond::Or(a, b) => a.mentions_scenario() || b.mentions_scenario(),
        }
    }

    fn holds(&self, object: &Map<String, Value>, scenario: Scenario<'_>) -> bool {
        let lookup = |name: &str| -> Option<String> {
            match object.get(name) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Null) => None,
                Some(Value::Array(a)) => (!a.is_empty()).then(|| "[…]".to_owned()),
                Some(Value::Object(_)) => Some("{…}".to_owned()),
                None => match name {
                    "deviceChannel" => Some(scenario.0.to_owned()),
                    "messageCategory" => Some(scenario.1.to_owned()),
                    _ => None,
                },
            }
        };
        match self {
            Cond::Is(f, v) => lookup(f).as_deref() == Some(v.as_str()),
            Cond::IsNot(f, v) => lookup(f).as_deref() != Some(v.as_str()),
            Cond::OneOf(f, list) => lookup(f).is_some_and(|x| list.contains(&x)),
            Cond::NotEmpty(f) => lookup(f).is_some_and(|x| !x.is_empty()),
            Cond::And(a, b) => a.holds(object, scenario) && b.holds(object, scenario),
            Cond::Or(a, b) => a.holds(object, scenario) || b.holds(object, scenario),
        }
    }
}

fn is_scenario_field(name: &str) -> bool {
    matches!(name, "deviceChannel" | "messageCategory")
}

/// Whether the clauses make the field required (see the module documentation).
fn required_by(clauses: &[Cond], object: &Map<String, Value>, scenario: Scenario<'_>) -> bool {
    let (guards, values): (Vec<&Cond>, Vec<&Cond>) =
        clauses.iter().partition(|c| c.only_scenario());
    if values.is_empty() {
        return guards.iter().any(|g| g.holds(object, scenario));
    }
    let guarded = guards.iter().all(|g| g.holds(object, scenario));
    values
        .iter()
        .any(|clause| clause.holds(object, scenario) && (clause.mentions_scenario() || guarded))
}

/// The clauses of a `conditions` text; `None` when one does not parse.
fn parse_conditions(text: &str) -> Option<Vec<Cond>> {
    text.split("Required if ")
        .map(str::trim)
        .filter(|clause| !clause.is_empty())
        .map(|clause| {
            let tokens = tokenize(clause)?;
            let mut parser = Parser { tokens, at: 0 };
            let cond = parser.or()?;
            (parser.at == parser.tokens.len()).then_some(cond)
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenList,
                    ']' => Token::CloseList,
                    _ => Token::Comma,
                });
            }
            '"' => {
                chars.next();
                let mut quoted = String::new();
                loop {
                    match chars.next()? {
                        '"' => break,
                        c => quoted.push(c),
                    }
                }
                tokens.push(Token::Quoted(quoted));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            _ => return None,
        }
    }
    Some(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect_word(&mut self, word: &str) -> Option<()> {
        (self.next()? == Token::Word(word.to_owned())).then_some(())
    }

    fn or(&mut self) -> Option<Cond> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Cond> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Cond::And(Box::new(left), Box::new(self.unary()?));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Cond> {
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            return (self.next()? == Token::Close).then_some(inner);
        }
        self.atom()
    }

    fn atom(&mut self) -> Option<Cond> {
        let Token::Word(field) = self.next()? else {
            return None;
        };
        self.expect_word("is")?;
        match self.next()? {
            Token::Quoted(value) => Some(Cond::Is(field, value)),
            Token::Word(w) if w == "true" || w == "false" => Some(Cond::Is(field, w)),
            Token::Word(w) if w == "not" => match self.next()? {
                Token::Word(e) if e == "empty" => Some(Cond::NotEmpty(field)),
                Token::Quoted(value) => Some(Cond::IsNot(field, value)),
                _ => None,
            },
            Token::Word(w) if w == "one" => {
                self.expect_word("of")?;
                (self.next()? == Token::OpenList).then_some(())?;
                let mut list = Vec::new();
                loop {
                    match self.next()? {
                        Token::Word(item) | Token::Quoted(item) => list.push(item),
                        Token::Comma => {}
                        Token::CloseList => break,
                        _ => return None,
                    }
                }
                Some(Cond::OneOf(field, list))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    /// The reference's "Basic Browser Example" AReq (3dsecure.io `source/examples.rst`), with
    /// the `threeDSServerTransID` a browser authentication must add.
    fn basic_browser_areq() -> Value {
        json!({"acctNumber":"9000100511111111","notificationURL":"https://3ds_callback.example.org/challenge/end","threeDSCompInd":"Y",
         "threeDSRequestorURL":"https://threedsrequestor.example.org","acquirerBIN":"438309","acquirerMerchantID":"00002000000",
         "cardExpiryDate":"1910","billAddrCity":"Bill City Name","billAddrCountry":"840","billAddrLine1":"Bill Address Line 1",
         "billAddrPostCode":"Bill Post Code","billAddrState":"CO","email":"example@example.com",
         "threeDSRequestorAuthenticationInd":"01","cardholderName":"Cardholder Name","deviceChannel":"02",
         "browserJavascriptEnabled":true,"browserAcceptHeader":"text/html,application/xhtml+xml,application/xml; q=0.9,*/*;q=0.8",
         "browserIP":"192.168.1.11","browserJavaEnabled":true,"browserLanguage":"en","browserColorDepth":"48",
         "browserScreenHeight":"400","browserScreenWidth":"600","browserTZ":"0",
         "browserUserAgent":"Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0","mcc":"5411",
         "merchantCountryCode":"840","merchantName":"Dummy Merchant","messageCategory":"01","messageType":"AReq",
         "messageVersion":"2.1.0","purchaseAmount":"101","purchaseCurrency":"840","purchaseExponent":"2",
         "purchaseDate":"20170316141312","transType":"01",
         "threeDSServerTransID":"6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb"})
    }

    fn as_version(mut message: Value, version: &str) -> Value {
        message["messageVersion"] = json!(version);
        message
    }

    /// The reference's frictionless ARes example (§5).
    fn ares_frictionless() -> Value {
        json!({"acsOperatorID":"3dsecure.io-standin-acs","acsReferenceNumber":"3dsecure.io-standin-acs","acsTransID":"43163cd0-c849-4924-82c1-7bec32b94881",
         "authenticationValue":"mK225wGt2bLnnLB0UlRky0oHLnU=","dsReferenceNumber":"3dsecure.io-standin-ds","dsTransID":"1cf815e5-cc85-436f-8e13-9f5e5aea731f",
         "eci":"05","messageType":"ARes","messageVersion":"2.1.0","threeDSServerTransID":"3f1ed47a-2edc-4b0e-a4cf-bdb0f65d48c6","transStatus":"Y"})
    }

    /// The reference's challenge ARes example (§5).
    fn ares_challenge() -> Value {
        json!({"acsChallengeMandated":"N","acsOperatorID":"3dsecureio-standin-acs","acsReferenceNumber":"3dsecureio-standin-acs",
         "acsTransID":"b85d3eb5-d2d2-45af-bc1b-6188021ae602","acsURL":"https://acs.sandbox.3dsecure.io/browser/challenge/manual",
         "authenticationType":"01","dsReferenceNumber":"3dsecureio-standin-ds","dsTransID":"496af67a-56ed-4fd3-bbcf-690b0df93c3d",
         "messageType":"ARes","messageVersion":"2.1.0","threeDSServerTransID":"218565e2-0cae-4236-868e-09168275c8c6","transStatus":"C"})
    }

    /// The reference's CRes example (§6).
    fn cres() -> Value {
        json!({"acsTransID":"87791cee-2514-436c-bed8-a63a87bbdf01","challengeCompletionInd":"Y","messageType":"CRes",
         "messageVersion":"2.1.0","threeDSServerTransID":"d41f6200-0435-49ee-aa11-f366f0661c6f","transStatus":"Y"})
    }

    /// The reference's `/preauth` CRD example (§3), its elided URLs written out.
    fn crd() -> Value {
        json!({"dsProtocolVersions": ["2.2.0","2.3.1"], "dsStartProtocolVersion": "2.2.0", "dsEndProtocolVersion": "2.3.1",
         "acsProtocolVersions": [{"acsInfoInd": ["01","02"], "threeDSMethodURL": "https://acs.example/tds-method", "version": "2.2.0"}],
         "acsStartProtocolVersion": "2.2.0", "acsEndProtocolVersion": "2.2.0", "acsInfoInd": ["01","02"],
         "threeDSServerProtocolVersions": ["2.1.0","2.2.0","2.3.1"], "threeDSMethodURL": "https://acs.example/tds-method",
         "threeDSServerTransID": "6b91f61e-9e62-4f5c-ab8c-f1ffb84122cb", "scheme": "mastercard", "messageType": "CRD"})
    }

    fn rreq() -> Value {
        json!({"messageType":"RReq","messageVersion":"2.2.0","messageCategory":"01","threeDSServerTransID":"218565e2-0cae-4236-868e-09168275c8c6",
         "acsTransID":"b85d3eb5-d2d2-45af-bc1b-6188021ae602","dsTransID":"496af67a-56ed-4fd3-bbcf-690b0df93c3d","transStatus":"Y",
         "eci":"05","authenticationValue":"mK225wGt2bLnnLB0UlRky0oHLnU=","authenticationType":"01","interactionCounter":"01"})
    }

    fn errors_of(result: Result<(), Vec<String>>) -> Vec<String> {
        result.err().unwrap_or_default()
    }

    fn assert_one(result: Result<(), Vec<String>>, needles: &[&str]) {
        let errors = errors_of(result);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        for needle in needles {
            assert!(errors[0].contains(needle), "{errors:#?} lacks {needle}");
        }
    }

    #[test]
    fn every_condition_parses_and_every_pattern_compiles() {
        assert_eq!(unparsed_conditions().unwrap(), Vec::<String>::new());
        let spec = spec().unwrap();
        let mut failing = Vec::new();
        for (name, fields) in spec["messages"].as_object().unwrap() {
            for field in fields.as_array().unwrap() {
                for pattern in requirements(field).filter_map(|r| r.strip_prefix("Regexp:")) {
                    if matches_pattern(fixed_pattern(pattern.trim()), "").is_err() {
                        failing.push(format!("{name}.{}: {pattern}", field["name"]));
                    }
                }
            }
        }
        assert_eq!(failing, Vec::<String>::new());
    }

    #[test]
    fn the_references_examples_pass() {
        // The example is labelled 2.1.0 but carries browserJavascriptEnabled, a 2.2.0 field
        // (the provider's sandbox ignores it); as a 2.2.0 AReq it is complete.
        assert_eq!(
            check(BROWSER_PAYMENT, &as_version(basic_browser_areq(), "2.2.0")),
            Ok(())
        );
        assert_one(
            check_message("areq", "2.1.0", BROWSER_PAYMENT, &basic_browser_areq()),
            &["areq_210", "browserJavascriptEnabled", "unknown field"],
        );
        for ares in [ares_frictionless(), ares_challenge()] {
            assert_eq!(check(BROWSER_PAYMENT, &ares), Ok(()), "{ares}");
            assert_eq!(
                check(BROWSER_PAYMENT, &as_version(ares.clone(), "2.2.0")),
                Ok(())
            );
        }
        assert_eq!(check(BROWSER_PAYMENT, &cres()), Ok(()));
        assert_eq!(check(BROWSER_PAYMENT, &as_version(cres(), "2.3.1")), Ok(()));
        assert_eq!(check(BROWSER_PAYMENT, &crd()), Ok(()));
        assert_eq!(check(BROWSER_PAYMENT, &rreq()), Ok(()));
        let creq = json!({"threeDSServerTransID": "ce2809be-b5ee-425b-9382-76a72a4f495b",
            "acsTransID": "7b26d24f-4275-4044-97ee-4564c1b88fde", "messageVersion": "2.1.0",
            "messageType": "CReq", "challengeWindowSize": "01"});
        assert_eq!(check(BROWSER_PAYMENT, &creq), Ok(()));
        assert_eq!(
            check_message(
                "preauth",
                "",
                BROWSER_PAYMENT,
                &json!({"acctNumber": "4111111111111111", "ds": "visa"})
            ),
            Ok(())
        );
        assert_eq!(
            check_message(
                "postauth",
                "",
                BROWSER_PAYMENT,
                &json!({"threeDSServerTransID": "51d84cdf-73d9-4610-8b4c-7c6395fee0f0"})
            ),
            Ok(())
        );
        // The provider's own "not enrolled" answer lacks the threeDSServerTransID its table
        // requires.
        let not_enrolled = json!({"messageType":"Erro","errorCode":"305","errorComponent":"S","errorDescription":"Unknown BIN",
            "errorDetail":"No CRD found, card with BIN ****** is not enrolled with any known DS","messageVersion":"2.2.0"});
        assert_one(
            check(BROWSER_PAYMENT, &not_enrolled),
            &["erro_220", "threeDSServerTransID", "missing"],
        );
    }

    #[test]
    fn broken_areqs_fail_naming_the_field() {
        let areq = as_version(basic_browser_areq(), "2.2.0");
        let broken = |edit: &dyn Fn(&mut Map<String, Value>)| {
            let mut copy = areq.clone();
            edit(copy.as_object_mut().unwrap());
            check(BROWSER_PAYMENT, &copy)
        };
        assert_one(
            broken(&|m| {
                m.remove("purchaseAmount");
            }),
            &["purchaseAmount", "required", "missing"],
        );
        assert_one(
            broken(&|m| {
                m.insert("browserColorDepth".into(), json!("23"));
            }),
            &["browserColorDepth", "not one of"],
        );
        assert_one(
            broken(&|m| {
                m.insert("billAddrCountry".into(), json!("US"));
            }),
            &["billAddrCountry", "does not match"],
        );
        assert_one(
            broken(&|m| {
                m.insert("merchantName".into(), json!("M".repeat(41)));
            }),
            &["merchantName", "at most 40"],
        );
        assert_one(
            broken(&|m| {
                m.insert("purchaseAmount".into(), json!(101));
            }),
            &["purchaseAmount", "must be a string"],
        );
        assert_one(
            broken(&|m| {
                m.insert("purchaseDate".into(), json!("20170230141312"));
            }),
            &["purchaseDate", "yyyymmddhhmmss"],
        );
        assert_one(
            broken(&|m| {
                m.insert("threeDSServerTransID".into(), json!("not-a-uuid"));
            }),
            &["threeDSServerTransID", "uuid"],
        );
        assert_one(
            broken(&|m| {
                m.insert("purchaseCurency".into(), json!("840"));
            }),
            &["purchaseCurency", "unknown field"],
        );
        assert_one(
            broken(&|m| {
                m.insert("homePhone".into(), json!({"cc": "1", "subscriber": "55a"}));
            }),
            &["homePhone.subscriber", "does not match"],
        );
        // browserJavascriptEnabled true makes the screen fields required; false does not.
        assert_one(
            broken(&|m| {
                m.remove("browserTZ");
            }),
            &["browserTZ", "browserJavascriptEnabled is true"],
        );
        assert_eq!(
            broken(&|m| {
                m.insert("browserJavascriptEnabled".into(), json!(false));
                m.remove("browserTZ");
            }),
            Ok(())
        );
    }

    #[test]
    fn conditions_follow_the_scenario_and_the_values() {
        // Non-payment: the purchase fields are optional, unless the authentication is recurring.
        let mut npa = as_version(basic_browser_areq(), "2.2.0");
        let map = npa.as_object_mut().unwrap();
        map.insert("messageCategory".into(), json!("02"));
        for f in [
            "purchaseAmount",
            "purchaseCurrency",
            "purchaseExponent",
            "purchaseDate",
            "transType",
        ] {
            map.remove(f);
        }
        assert_eq!(check(("02", "02"), &npa), Ok(()));
        npa["threeDSRequestorAuthenticationInd"] = json!("02");
        let errors = errors_of(check(("02", "02"), &npa));
        for f in [
            "purchaseAmount",
            "purchaseDate",
            "recurringExpiry",
            "recurringFrequency",
        ] {
            assert!(errors.iter().any(|e| e.contains(f)), "{f}: {errors:#?}");
        }

        // ARes: the authentication value with Y and A only; acsURL and the rest with C.
        let mut no_value = ares_frictionless();
        no_value
            .as_object_mut()
            .unwrap()
            .remove("authenticationValue");
        assert_one(
            check(BROWSER_PAYMENT, &no_value),
            &["authenticationValue", "missing"],
        );
        no_value["transStatus"] = json!("N");
        assert_one(
            check(BROWSER_PAYMENT, &no_value),
            &["transStatusReason", "missing"],
        );
        no_value["transStatusReason"] = json!("01");
        assert_eq!(check(BROWSER_PAYMENT, &no_value), Ok(()));
        let mut challenge = ares_challenge();
        challenge.as_object_mut().unwrap().remove("acsURL");
        assert_one(check(BROWSER_PAYMENT, &challenge), &["acsURL", "missing"]);
        // In the app channel acsURL is not required, but the signed content is.
        let app = check(("01", "01"), &challenge);
        assert!(
            errors_of(app.clone()).iter().all(|e| !e.contains("acsURL")),
            "{app:?}"
        );
        assert!(errors_of(app)
            .iter()
            .any(|e| e.contains("acsSignedContent")));

        let mut short = ares_frictionless();
        short["authenticationValue"] = json!("mK225wGt2bLnnLB0UlRky0oHLn");
        assert_one(
            check(BROWSER_PAYMENT, &short),
            &["authenticationValue", "exactly 28"],
        );
        let mut status = ares_frictionless();
        status["transStatus"] = json!("I");
        assert_one(
            check(BROWSER_PAYMENT, &status),
            &["transStatus", "not one of"],
        );
        assert_eq!(check(BROWSER_PAYMENT, &as_version(status, "2.2.0")), Ok(()));

        // 2.3.1 replaced authenticationType by authenticationMethod; a frictionless Y ARes
        // needs neither (the override), a challenge needs the method.
        let mut v231 = as_version(ares_frictionless(), "2.3.1");
        assert_eq!(check(BROWSER_PAYMENT, &v231), Ok(()));
        v231["transStatus"] = json!("C");
        v231.as_object_mut().unwrap().remove("authenticationValue");
        v231["acsURL"] = json!("https://acs.example/challenge");
        v231["acsChallengeMandated"] = json!("N");
        assert_one(
            check(BROWSER_PAYMENT, &v231),
            &["authenticationMethod", "missing"],
        );
        v231["authenticationMethod"] = json!(["01"]);
        assert_eq!(check(BROWSER_PAYMENT, &v231), Ok(()));
        v231["acsURL"] = json!("http://acs.example/challenge");
        assert_one(check(BROWSER_PAYMENT, &v231), &["acsURL", "urlHttps"]);

        // RReq: interactionCounter (no acsDecConInd) and authenticationType for Y/N.
        for field in [
            "interactionCounter",
            "authenticationType",
            "authenticationValue",
        ] {
            let mut broken = rreq();
            broken.as_object_mut().unwrap().remove(field);
            assert_one(check(BROWSER_PAYMENT, &broken), &[field, "missing"]);
        }
        let mut counter = rreq();
        counter["interactionCounter"] = json!("1");
        assert_one(check(BROWSER_PAYMENT, &counter), &["interactionCounter"]);

        // CRes: only Y or N.
        let mut bad = cres();
        bad["transStatus"] = json!("A");
        assert_one(check(BROWSER_PAYMENT, &bad), &["transStatus", "not one of"]);
        // CRD: the version lists must be lists of versions.
        let mut bad_crd = crd();
        bad_crd["dsProtocolVersions"] = json!("2.2.0");
        assert_one(check(BROWSER_PAYMENT, &bad_crd), &["dsProtocolVersions"]);
    }

    #[test]
    fn condition_parser() {
        let clauses = parse_conditions(
            "Required if messageCategory is \"01\"Required if messageCategory is \"02\" and (threeDSRequestorAuthenticationInd is one of [02, 03] or threeRIInd is one of [01, 02])",
        )
        .unwrap();
        assert_eq!(clauses.len(), 2);
        assert!(clauses[0].only_scenario());
        assert!(!clauses[1].only_scenario() && clauses[1].mentions_scenario());
        assert!(parse_conditions("Required if whiteListStatus is not empty").is_some());
        assert!(parse_conditions("Required if acsDecConInd is not \"Y\"").is_some());
        assert!(parse_conditions("Required if x is").is_none());
        assert!(enum_matches("80-99", "85"));
        assert!(!enum_matches("80-99", "8"));
        assert!(is_date("20240229", "yyyymmdd"));
        assert!(!is_date("20230229", "yyyymmdd"));
    }
}
