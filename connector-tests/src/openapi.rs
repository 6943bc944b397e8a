//! Validating what crosses the wire against a processor's published OpenAPI document.
//!
//! OpenAPI 3.0 schemas are close to JSON Schema, with differences handled here:
//! - `discriminator` (OpenAPI only) is turned into JSON Schema `if`/`then` branches, one per
//!   mapping entry, so a card source is checked against the card variant and not only against
//!   the base. The base is copied without its discriminator (`<Name>__base`) and variants that
//!   extend the base (`allOf: [$ref base]`) point at the copy, which breaks the recursion.
//! - `nullable: true` widens `type` to also allow `null`.
//! - Validation runs as draft 7 (for `if`/`then`/`const`); an OpenAPI `exclusiveMinimum: true`
//!   (draft 4 form) is rewritten to the draft 7 number form.

use serde_json::{json, Map, Value};

/// A loaded OpenAPI document.
pub struct OpenApi {
    doc: Value,
}

/// Where a body failed its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// `POST /payments request` or `GET /payments/{id} 200`.
    pub place: String,
    /// The validator's messages.
    pub errors: Vec<String>,
}

impl OpenApi {
    /// Loads and prepares a document from a JSON file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        prepare(&mut doc);
        Ok(OpenApi { doc })
    }

    /// Checkout.com's payments document (`specs/checkout-nas-payments-openapi.json`) with two
    /// flaws of the published file corrected:
    /// - `PaymentResponseBalances` requires an `id` it never declares, and the API does not send
    ///   one: the requirement is dropped.
    /// - `GET /payments/{id}` answers `oneOf: [PaymentDetails, PayoutDetails]`, but
    ///   `PayoutDetails` requires nothing and shares the statuses `Pending` and `Declined`, so a
    ///   pending or declined payment matches both and fails the `oneOf`: payments are checked
    ///   against `PaymentDetails`.
    pub fn checkout_payments() -> Result<Self, String> {
        let mut spec = Self::load(&spec_path("checkout-nas-payments-openapi.json"))?;
        if let Some(required) = spec
            .doc
            .pointer_mut("/components/schemas/PaymentResponseBalances/required")
            .and_then(Value::as_array_mut)
        {
            required.retain(|r| r != "id");
        }
        if let Some(schema) = spec.doc.pointer_mut(
            "/paths/~1payments~1{id}/get/responses/200/content/application~1json/schema",
        ) {
            *schema = json!({"$ref": "#/components/schemas/PaymentDetails"});
        }
        Ok(spec)
    }

    /// Checkout.com's tokens document (`specs/checkout-tokens-openapi.json`) with the two
    /// published quirks of `3dsRequestThirdParty` read as the types they mean, so the schema
    /// compiles: `type: long` is an integer, `type: datetime` a `date-time` string (the file
    /// keeps them as published).
    pub fn checkout_tokens() -> Result<Self, String> {
        let file = "checkout-tokens-openapi.json";
        let mut doc: Value = serde_json::from_str(&read_spec(file)?)
            .map_err(|e| format!("{}: {e}", spec_path(file).display()))?;
        if let Some(properties) = doc
            .pointer_mut("/components/schemas/3dsRequestThirdParty/properties")
            .and_then(Value::as_object_mut)
        {
            for property in properties.values_mut() {
                match property.get("type").and_then(Value::as_str) {
                    Some("long") => property["type"] = json!("integer"),
                    Some("datetime") => {
                        property["type"] = json!("string");
                        property["format"] = json!("date-time");
                    }
                    _ => {}
                }
            }
        }
        prepare(&mut doc);
        Ok(OpenApi { doc })
    }

    /// Primer's v2.2 document (`specs/primer-v2.2-openapi.json`) with the flaw `specs/README.md`
    /// notes corrected: `TransactionOverviewAPISchema` requires fields it does not declare, so
    /// only the declared ones stay required.
    pub fn primer_v2_2() -> Result<Self, String> {
        let mut spec = Self::load(&spec_path("primer-v2.2-openapi.json"))?;
        if let Some(schema) = spec
            .doc
            .pointer_mut("/components/schemas/TransactionOverviewAPISchema")
            .and_then(Value::as_object_mut)
        {
            let declared: Vec<String> = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            if let Some(Value::Array(required)) = schema.get_mut("required") {
                required.retain(|r| r.as_str().is_some_and(|r| declared.iter().any(|d| d == r)));
            }
        }
        Ok(spec)
    }

    /// Stripe's payments document (`specs/stripe-payments-openapi.json`, API version
    /// 2024-04-10) with a flaw of its OpenAPI 3.0 dialect worked around: `nullable: true`
    /// beside `anyOf` (e.g. `latest_charge`, `last_payment_error`, `next_action`) or beside
    /// `enum` (e.g. `cancellation_reason`, `setup_future_usage`) is meant to admit `null`, but
    /// [`OpenApi::load`] only widens a plain `type`, so `null` would fail the `anyOf` or the
    /// `enum`. Those schemas admit `null` explicitly here; answers are not adapted.
    pub fn stripe_payments() -> Result<Self, String> {
        let file = "stripe-payments-openapi.json";
        let mut doc: Value = serde_json::from_str(&read_spec(file)?)
            .map_err(|e| format!("{}: {e}", spec_path(file).display()))?;
        admit_null(&mut doc);
        prepare(&mut doc);
        Ok(OpenApi { doc })
    }

    /// Validates an `application/x-www-form-urlencoded` request body (Stripe's) against the
    /// operation's form schema: decoded from bracket notation and given the schema's types
    /// first ([`crate::form`]). `Ok(false)` when the document has no form schema for it; a body
    /// that is not a well-formed form is a violation.
    pub fn check_form_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<bool, SchemaViolation> {
        let Some((template, op)) = self.operation(method, path) else {
            return Err(SchemaViolation {
                place: format!("{method} {path}"),
                errors: vec!["no such operation in the document".into()],
            });
        };
        let place = format!("{method} {template} request");
        let Some(schema) =
            op.pointer("/requestBody/content/application~1x-www-form-urlencoded/schema")
        else {
            return Ok(false);
        };
        let mut decoded = crate::form::decode(body).map_err(|e| SchemaViolation {
            place: place.clone(),
            errors: vec![format!("not a bracket-notation form: {e}")],
        })?;
        crate::form::coerce(&mut decoded, schema, &self.doc);
        self.check(schema, &decoded, place).map(|()| true)
    }

    /// Validates `instance` against the component schema `name`.
    pub fn check_component(&self, name: &str, instance: &Value) -> Result<(), SchemaViolation> {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        self.check(&schema, instance, name.to_owned())
    }

    /// The path template matching a concrete path, e.g. `/payments/{id}` for `/payments/pay_1`.
    pub fn template(&self, path: &str) -> Option<String> {
        self.doc["paths"]
            .as_object()?
            .keys()
            .find(|template| path_matches(template, path))
            .cloned()
    }

    fn operation(&self, method: &str, path: &str) -> Option<(String, &Value)> {
        let template = self.template(path)?;
        let op = self.doc["paths"][&template].get(method.to_ascii_lowercase())?;
        Some((template, op))
    }

    /// Validates a JSON request body. `Ok(false)` when the document has no schema for it.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<bool, SchemaViolation> {
        let Some((template, op)) = self.operation(method, path) else {
            return Err(SchemaViolation {
                place: format!("{method} {path}"),
                errors: vec!["no such operation in the document".into()],
            });
        };
        let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
            return Ok(false);
        };
        self.check(schema, body, format!("{method} {template} request"))
            .map(|()| true)
    }

    /// Validates a JSON response body, error answers included. The status must be documented
    /// for the operation: exactly (`404`), by range (`4XX`) or by `default`, in that order of
    /// precedence; any other status is a violation, whatever the body. `Ok(false)` when the
    /// documented answer has no JSON schema (Checkout.com's 401, 403, 404).
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<bool, SchemaViolation> {
        let Some((template, op)) = self.operation(method, path) else {
            return Err(SchemaViolation {
                place: format!("{method} {path}"),
                errors: vec!["no such operation in the document".into()],
            });
        };
        let Some(response) = documented_response(op, status) else {
            // An error status the document does not list is as wrong as an undocumented
            // success: a simulator must not invent it (a test provoking one on purpose names
            // it as an exception).
            return Err(SchemaViolation {
                place: format!("{method} {template} {status}"),
                errors: vec!["status not documented for this operation".into()],
            });
        };
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return Ok(false);
        };
        self.check(schema, body, format!("{method} {template} {status}"))
            .map(|()| true)
    }

    fn check(
        &self,
        schema: &Value,
        instance: &Value,
        place: String,
    ) -> Result<(), SchemaViolation> {
        let root = json!({
            "allOf": [schema],
            "components": self.doc["components"],
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&root)
            .map_err(|e| SchemaViolation {
                place: place.clone(),
                errors: vec![format!("schema does not compile: {e}")],
            })?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SchemaViolation { place, errors })
        }
    }
}

/// An operation a connector calls that the processor's published document lacks, so its facts
/// are unconfirmed (\[U\] in `docs/processors.md`). Traffic to it is not passed over: its
/// answers are checked against `response`, a schema of our own written from the processor's
/// public reference and built from the document's components where they apply.
#[derive(Debug, Clone, Copy)]
pub struct Unconfirmed {
    /// The HTTP method, e.g. `GET`.
    pub method: &'static str,
    /// The path template, e.g. `/payments`.
    pub path: &'static str,
    /// Why it is not in the document, and where its shape comes from.
    pub why: &'static str,
    /// The JSON schema (draft 7; `$ref`s into the document's components) of a 2xx answer.
    pub response: fn() -> Value,
}

impl Unconfirmed {
    /// Whether `method path` (a concrete path) is this operation.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && path_matches(self.path, path)
    }
}

/// Whether concrete `path` (e.g. `/payments/pay_1`) is an instance of path `template` (e.g.
/// `/payments/{id}`).
fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let concrete: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    template.len() == concrete.len()
        && template
            .iter()
            .zip(&concrete)
            .all(|(t, c)| t == c || (t.starts_with('{') && t.ends_with('}') && !c.is_empty()))
}

/// Checkout.com's operations missing from its published document (2021 snapshot).
pub const CHECKOUT_UNCONFIRMED: &[Unconfirmed] = &[Unconfirmed {
    method: "GET",
    path: "/payments",
    why: "Checkout.com's \"Get payment lists\" (GET /payments?reference=&limit=&skip=, marked \
          Beta by Checkout.com) is newer than the published document the repository holds; \
          its answer is checked against the shape of Checkout.com's public reference \
          (PaymentPaged: limit, skip, total_count, data), each payment against the \
          document's PaymentDetails",
    response: checkout_payment_list,
}];

fn checkout_payment_list() -> Value {
    json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "skip": {"type": "integer", "minimum": 0},
            "total_count": {"type": "integer", "minimum": 0},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentDetails"}},
        },
    })
}

impl OpenApi {
    /// Validates a JSON answer of an operation the document lacks against the schema the
    /// repository keeps for it. `Ok(false)` for an error status (no schema for those).
    pub fn check_unconfirmed(
        &self,
        op: &Unconfirmed,
        status: u16,
        body: &Value,
    ) -> Result<bool, SchemaViolation> {
        if !(200..300).contains(&status) {
            return Ok(false);
        }
        let place = format!(
            "{} {} {status} (unconfirmed, not in the document)",
            op.method, op.path
        );
        self.check(&(op.response)(), body, place).map(|()| true)
    }
}

/// A status a processor answers on an operation of its document although the document does not
/// list it there, named so that it is checked rather than passed over: the status must still
/// be missing from the document (a stale exception is a violation) and the body must match
/// `response`. Fault injection (5xx, 429) and bad credentials are the usual cases.
#[derive(Debug, Clone, Copy)]
pub struct UndocumentedStatus {
    /// The HTTP status.
    pub status: u16,
    /// The operations, as `(method, path template)`, that may answer it; empty: every one.
    pub operations: &'static [(&'static str, &'static str)],
    /// Why it is answered, and where it is documented instead, if anywhere.
    pub why: &'static str,
    /// The JSON schema (draft 7; `$ref`s into the document's components) of its body.
    pub response: fn() -> Value,
}

impl UndocumentedStatus {
    /// Whether `method path` (a concrete path) answered with `status` is this exception.
    pub fn matches(&self, method: &str, path: &str, status: u16) -> bool {
        let operation = |&(m, template): &(&str, &str)| {
            m.eq_ignore_ascii_case(method) && path_matches(template, path)
        };
        self.status == status
            && (self.operations.is_empty() || self.operations.iter().any(operation))
    }
}

/// Statuses Primer answers on operations whose v2.2 document does not list them; each is
/// documented by Primer elsewhere (`docs/processors.md` §3.1, §3.6).
pub const PRIMER_UNDOCUMENTED: &[UndocumentedStatus] = &[
    UndocumentedStatus {
        status: 401,
        operations: &[],
        why: "a missing or wrong X-Api-Key: Primer's status table lists 401 Unauthorized, \
              the v2.2 document lists it for no operation; the body is Primer's common error \
              shape",
        response: primer_error,
    },
    UndocumentedStatus {
        status: 409,
        operations: &[
            ("POST", "/payments"),
            ("POST", "/payments/{id}/adjust-authorization"),
            ("POST", "/payments/{id}/capture"),
            ("POST", "/payments/{id}/cancel"),
            ("POST", "/payments/{id}/refund"),
        ],
        why: "a reused X-Idempotency-Key (IdempotencyKeyAlreadyExists): Primer's idempotency \
              guide documents 409 on these operations, the v2.2 document lists 409 only on \
              authorize; the body is its ConflictErrorResponse",
        response: primer_conflict,
    },
];

/// Primer's common error shape: `{"error": ErrorObject}`.
pub fn primer_error() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"$ref": "#/components/schemas/ErrorObject"}},
    })
}

fn primer_conflict() -> Value {
    json!({"$ref": "#/components/schemas/ConflictErrorResponse"})
}

impl OpenApi {
    /// Checks an answer that `exception` names: the document must still lack its status for
    /// the operation, and the body must match the exception's schema.
    pub fn check_undocumented(
        &self,
        exception: &UndocumentedStatus,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), SchemaViolation> {
        let place = format!("{method} {path} {status} (undocumented: {})", exception.why);
        let violation = |error: &str| SchemaViolation {
            place: place.clone(),
            errors: vec![error.to_owned()],
        };
        if !exception.matches(method, path, status) {
            return Err(violation("the exception does not name this answer"));
        }
        let Some((_, op)) = self.operation(method, path) else {
            return Err(violation("no such operation in the document"));
        };
        if documented_response(op, status).is_some() {
            return Err(violation(
                "the document lists this status: the exception is stale",
            ));
        }
        self.check(&(exception.response)(), body, place.clone())
    }
}

/// A processor's OpenAPI document in the repository's `specs/` (derived copies of the published
/// documents: see `specs/README.md`), e.g. `spec_path("primer-v2.2-openapi.json")`.
pub fn spec_path(file: &str) -> std::path::PathBuf {
    // connector-tests/ is one level below the workspace root.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.join(".."), std::path::Path::to_path_buf)
        .join("specs")
        .join(file)
}

/// The text of [`spec_path`]`(file)`; the error names the file's full path.
pub fn read_spec(file: &str) -> Result<String, String> {
    let path = spec_path(file);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The answer an operation documents for `status`: the exact code, else its range (`4XX`,
/// either case), else `default` (OpenAPI 3's order of precedence).
fn documented_response(op: &Value, status: u16) -> Option<&Value> {
    let responses = op.get("responses")?.as_object()?;
    let range = format!("{}XX", status / 100);
    responses
        .get(&status.to_string())
        .or_else(|| {
            responses
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&range))
                .map(|(_, response)| response)
        })
        .or_else(|| responses.get("default"))
}

/// Adds `null` to `anyOf` and `enum` schemas marked `nullable: true`.
fn admit_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::Array(any_of)) = map.get_mut("anyOf") {
                    any_of.push(json!({"enum": [null]}));
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    if !values.contains(&Value::Null) {
                        values.push(Value::Null);
                    }
                }
            }
            map.values_mut().for_each(admit_null);
        }
        Value::Array(items) => items.iter_mut().for_each(admit_null),
        _ => {}
    }
}

fn prepare(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let discriminated: Vec<(String, String, Map<String, Value>)> = schemas
        .iter()
        .filter_map(|(name, schema)| {
            let d = schema.get("discriminator")?;
            let property = d.get("propertyName")?.as_str()?.to_owned();
            let mapping = d.get("mapping")?.as_object()?.clone();
            Some((name.clone(), property, mapping))
        })
        .collect();
    for (name, property, mapping) in discriminated {
        let base_name = format!("{name}__base");
        let base_ref = format!("#/components/schemas/{name}");
        let mut base = schemas[&name].clone();
        if let Some(base) = base.as_object_mut() {
            base.remove("discriminator");
        }
        schemas.insert(base_name.clone(), base);
        let mut branches = vec![json!({"$ref": format!("#/components/schemas/{base_name}")})];
        for (key, target) in &mapping {
            let Some(target) = target.as_str() else {
                continue;
            };
            branches.push(json!({
                "if": {"properties": {&property: {"const": key}}, "required": [&property]},
                "then": {"$ref": target},
            }));
            // Variants extend the base; let them extend the copy, not the dispatcher.
            let variant = target.trim_start_matches("#/components/schemas/");
            if let Some(all_of) = schemas
                .get_mut(variant)
                .and_then(|v| v.get_mut("allOf"))
                .and_then(Value::as_array_mut)
            {
                for part in all_of {
                    if part.get("$ref").and_then(Value::as_str) == Some(base_ref.as_str()) {
                        *part = json!({"$ref": format!("#/components/schemas/{base_name}")});
                    }
                }
            }
        }
        schemas.insert(name, json!({"allOf": branches}));
    }
    rewrite_openapi_keywords(doc);
}

fn rewrite_openapi_keywords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                }
            }
            for (bound, exclusive) in [
                ("minimum", "exclusiveMinimum"),
                ("maximum", "exclusiveMaximum"),
            ] {
                if map.get(exclusive) == Some(&Value::Bool(true)) {
                    if let Some(limit) = map.remove(bound) {
                        map.insert(exclusive.into(), limit);
                    }
                } else if map.get(exclusive) == Some(&Value::Bool(false)) {
                    map.remove(exclusive);
                }
            }
            map.values_mut().for_each(rewrite_openapi_keywords);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_openapi_keywords),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_tokens_reads_the_published_quirks_as_meant() {
        let raw: Value =
            serde_json::from_str(&read_spec("checkout-tokens-openapi.json").expect("file"))
                .expect("json");
        let published = &raw["components"]["schemas"]["3dsRequestThirdParty"]["properties"];
        assert_eq!(published["authentication_amount"]["type"], "long");
        assert_eq!(published["authentication_date"]["type"], "datetime");
        let spec = OpenApi::checkout_tokens().expect("spec");
        let result = |amount: Value, date: &str| {
            spec.check_component(
                "3dsRequestThirdParty",
                &json!({"enabled": true, "eci": "05", "cryptogram": "AgAAAAAAAIR8CQrXcIhbQAAAAAA=",
                    "xid": "1cf815e5-cc85-436f-8e13-9f5e5aea731f", "version": "2.2.0",
                    "authentication_amount": amount, "authentication_date": date}),
            )
        };
        let ok = result(json!(1000), "2026-03-10T10:11:12Z");
        assert!(ok.is_ok(), "{ok:?}");
        assert!(result(json!("1000"), "2026-03-10T10:11:12Z").is_err());
        assert!(result(json!(1000), "yesterday").is_err());
    }

    fn checkout() -> OpenApi {
        OpenApi::checkout_payments().expect("spec")
    }

    #[test]
    fn specs_are_read_from_the_repository_and_a_missing_one_names_its_path() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        assert_eq!(
            spec_path("primer-v2.2-openapi.json"),
            root.join("specs/primer-v2.2-openapi.json")
        );
        let error = read_spec("no-such-openapi.json").expect_err("no such file");
        let expected = root.join("specs/no-such-openapi.json");
        assert!(
            error.starts_with(&format!("{}: ", expected.display())),
            "{error}"
        );
        let error = OpenApi::load(&spec_path("no-such-openapi.json")).err();
        assert!(
            error.is_some_and(|e| e.starts_with(&format!("{}: ", expected.display()))),
            "the loader's error names the file"
        );
    }

    #[test]
    fn templates_match_concrete_paths() {
        let spec = checkout();
        assert_eq!(
            spec.template("/payments/pay_abc/captures").as_deref(),
            Some("/payments/{id}/captures")
        );
        assert_eq!(spec.template("/payments").as_deref(), Some("/payments"));
        assert_eq!(spec.template("/nothing/here"), None);
    }

    #[test]
    fn the_unconfirmed_payment_list_is_checked_not_skipped() {
        let spec = checkout();
        let list = &CHECKOUT_UNCONFIRMED[0];
        assert!(list.matches("GET", "/payments"));
        assert!(!list.matches("POST", "/payments"));
        assert!(!list.matches("GET", "/payments/pay_1"));
        // Not in the document: the plain check refuses it.
        assert!(spec
            .check_response("GET", "/payments", 200, &json!({}))
            .is_err());
        let payment = json!({"id": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", "requested_on": "2024-03-10T10:11:12Z",
                             "amount": 100, "currency": "USD", "status": "Authorized", "approved": true,
                             "_links": {"self": {"href": "https://x/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa"},
                                        "actions": {"href": "https://x/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/actions"}}});
        let good = json!({"limit": 10, "skip": 0, "total_count": 1, "data": [payment]});
        assert_eq!(spec.check_unconfirmed(list, 200, &good), Ok(true));
        let mut bad = good.clone();
        bad["data"][0]["status"] = json!("Approved");
        assert!(spec.check_unconfirmed(list, 200, &bad).is_err());
        assert!(spec
            .check_unconfirmed(list, 200, &json!({"total_count": 1}))
            .is_err());
        assert_eq!(spec.check_unconfirmed(list, 422, &json!({})), Ok(false));
    }

    #[test]
    fn card_sources_are_checked_against_the_card_variant() {
        let spec = checkout();
        let good = json!({"source": {"type": "card", "number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030},
                          "amount": 100, "currency": "USD"});
        assert_eq!(spec.check_request("POST", "/payments", &good), Ok(true));
        let no_number = json!({"source": {"type": "card", "expiry_month": 12, "expiry_year": 2030}, "amount": 100, "currency": "USD"});
        // Without the discriminator rewrite only the base (`type` required) would be checked and
        // this body would pass.
        assert!(spec.check_request("POST", "/payments", &no_number).is_err());
        let bad_capture = json!({"amount": 100, "capture_type": "Sometimes"});
        assert!(spec
            .check_request("POST", "/payments/pay_1/captures", &bad_capture)
            .is_err());
    }

    #[test]
    fn error_answers_are_checked_and_undocumented_statuses_are_violations() {
        let primer = OpenApi::primer_v2_2().expect("spec");
        let not_found = json!({"error": {"errorId": "PaymentError",
                                         "description": "The payment could not be found",
                                         "diagnosticsId": "d1"}});
        // v2.2 lists 400 for an unknown payment on GET, not 404.
        assert_eq!(
            primer.check_response("GET", "/payments/p1", 400, &not_found),
            Ok(true)
        );
        let violation = primer
            .check_response("GET", "/payments/p1", 404, &not_found)
            .expect_err("404 is not documented for GET /payments/{id}");
        assert_eq!(violation.place, "GET /payments/{id} 404");
        // A documented error status with a body outside its schema.
        let no_description = json!({"error": {"errorId": "PaymentError"}});
        assert!(primer
            .check_response("GET", "/payments/p1", 400, &no_description)
            .is_err());
        assert!(primer
            .check_response(
                "POST",
                "/payments/p1/capture",
                400,
                &json!({"message": "x"})
            )
            .is_err());
        // Documented there: 404 on adjust-authorization, 409 nowhere but authorize.
        assert_eq!(
            primer.check_response("POST", "/payments/p1/adjust-authorization", 404, &not_found),
            Ok(true)
        );
        assert!(primer
            .check_response("POST", "/payments/p1/refund", 409, &not_found)
            .is_err());
        assert!(primer
            .check_response("POST", "/payments", 500, &not_found)
            .is_err());

        let checkout = checkout();
        // Documented without a body schema: accepted, not counted.
        assert_eq!(
            checkout.check_response("GET", "/payments/pay_1", 404, &Value::Null),
            Ok(false)
        );
        assert!(checkout
            .check_response("GET", "/payments/pay_1", 403, &Value::Null)
            .is_err());
        let invalid = json!({"request_id": "r1", "error_type": "request_invalid",
                             "error_codes": ["amount_invalid"]});
        assert_eq!(
            checkout.check_response("POST", "/payments", 422, &invalid),
            Ok(true)
        );
        assert!(checkout
            .check_response(
                "POST",
                "/payments",
                422,
                &json!({"error_codes": "amount_invalid"})
            )
            .is_err());
    }

    #[test]
    fn named_exceptions_are_checked_and_go_stale_once_documented() {
        let primer = OpenApi::primer_v2_2().expect("spec");
        let [unauthorized, conflict] = PRIMER_UNDOCUMENTED else {
            panic!("two Primer exceptions");
        };
        assert!(unauthorized.matches("GET", "/payments/p1", 401));
        assert!(!unauthorized.matches("GET", "/payments/p1", 403));
        assert!(conflict.matches("POST", "/payments/p1/refund", 409));
        assert!(!conflict.matches("POST", "/payments/p1/resume", 409));
        let body = json!({"error": {"errorId": "IdempotencyKeyAlreadyExists",
                                    "description": "used", "paymentId": "p1"}});
        assert_eq!(
            primer.check_undocumented(conflict, "POST", "/payments/p1/refund", 409, &body),
            Ok(())
        );
        // Without the exception the same answer is a violation.
        assert!(primer
            .check_response("POST", "/payments/p1/refund", 409, &body)
            .is_err());
        // The body is still checked.
        assert!(primer
            .check_undocumented(unauthorized, "GET", "/payments/p1", 401, &json!({}))
            .is_err());
        // An exception for a status the operation documents (authorize lists 409) is stale.
        let stale = UndocumentedStatus {
            operations: &[("POST", "/payments/{id}/authorize")],
            ..*conflict
        };
        let violation = primer
            .check_undocumented(&stale, "POST", "/payments/p1/authorize", 409, &body)
            .expect_err("stale");
        assert!(violation.errors[0].contains("stale"), "{violation:?}");
        // An answer the exception does not name.
        assert!(primer
            .check_undocumented(conflict, "POST", "/payments/p1/resume", 409, &body)
            .is_err());
    }

    #[test]
    fn exact_statuses_win_over_ranges_and_ranges_over_default() {
        let schema = |required: &str| {
            json!({"content": {"application/json": {"schema":
                {"type": "object", "required": [required]}}}})
        };
        let mut doc = json!({"paths": {"/things": {"get": {"responses": {
            "200": schema("ok"),
            "404": schema("missing"),
            "4XX": schema("client"),
            "default": schema("other"),
        }}}}, "components": {"schemas": {}}});
        let spec = OpenApi { doc: doc.clone() };
        let check = |status: u16, field: &str| {
            spec.check_response("GET", "/things", status, &json!({ field: 1 }))
        };
        assert_eq!(check(404, "missing"), Ok(true));
        assert!(check(404, "client").is_err());
        assert_eq!(check(409, "client"), Ok(true));
        assert!(check(409, "other").is_err());
        assert_eq!(check(503, "other"), Ok(true));
        assert_eq!(check(201, "other"), Ok(true));
        // Lowercase ranges are read too; without `default` an unlisted status is a violation.
        let responses = &mut doc["paths"]["/things"]["get"]["responses"];
        if let Some(responses) = responses.as_object_mut() {
            responses.remove("default");
            let client = responses.remove("4XX");
            responses.insert("4xx".into(), client.unwrap_or_default());
        }
        let spec = OpenApi { doc };
        let check = |status: u16, field: &str| {
            spec.check_response("GET", "/things", status, &json!({ field: 1 }))
        };
        assert_eq!(check(409, "client"), Ok(true));
        let violation = check(503, "other").expect_err("503 is not documented");
        assert_eq!(
            violation.errors,
            vec!["status not documented for this operation".to_owned()]
        );
        assert!(check(201, "ok").is_err());
    }
}
