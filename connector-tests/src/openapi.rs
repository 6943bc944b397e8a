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

    /// Validates `instance` against the component schema `name`.
    pub fn check_component(&self, name: &str, instance: &Value) -> Result<(), SchemaViolation> {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        self.check(&schema, instance, name.to_owned())
    }

    /// The path template matching a concrete path, e.g. `/payments/{id}` for `/payments/pay_1`.
    pub fn template(&self, path: &str) -> Option<String> {
        let concrete: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.doc["paths"].as_object()?.keys().find_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == concrete.len()
                && parts.iter().zip(&concrete).all(|(t, c)| {
                    t == c || (t.starts_with('{') && t.ends_with('}') && !c.is_empty())
                });
            matches.then(|| template.clone())
        })
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

    /// Validates a JSON response body. `Ok(false)` when the document has no schema for it,
    /// including error statuses it does not list.
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
        let documented = op["responses"]
            .get(status.to_string())
            .or_else(|| op["responses"].get("default"));
        let Some(response) = documented else {
            // Published documents list only some error statuses (Primer's lists no 404 though
            // Primer answers it for an unknown payment): an undocumented error has no schema to
            // check against. An undocumented success is a violation.
            if status >= 400 {
                return Ok(false);
            }
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
        let template: Vec<&str> = self.path.split('/').collect();
        let concrete: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.method.eq_ignore_ascii_case(method)
            && template.len() == concrete.len()
            && template
                .iter()
                .zip(&concrete)
                .all(|(t, c)| t == c || (t.starts_with('{') && t.ends_with('}') && !c.is_empty()))
    }
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
}
