//! Primer's JSON: request validation (422 `RequestValidationError` details), the Payment object
//! in API 2.2 shape, error bodies and webhook envelopes.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::state::{
    AuthorizationType, ClientSession, NewClientSession, NewPayment, Payment, Reason, ThreeDs,
    TransactionType,
};
use super::{details, ids};

/// `processor.name` of every payment.
pub(crate) const PROCESSOR_NAME: &str = "PRIMER_TEST";
/// `processor.processorMerchantId` of every payment.
pub(crate) const PROCESSOR_MERCHANT_ID: &str = "primer-sim-merchant";

/// A timestamp as RFC 3339 (UTC).
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// `{"error": {errorId, description, diagnosticsId}}`.
pub(crate) fn error_body(error_id: &str, description: &str) -> Value {
    json!({"error": {
        "errorId": error_id,
        "description": description,
        "diagnosticsId": ids::diagnostics_id(),
    }})
}

/// The validation problems of one request body, reported as one `validationErrors` entry.
#[derive(Debug)]
pub(crate) struct Invalid {
    model: &'static str,
    errors: Vec<(String, String)>,
}

impl Invalid {
    pub(crate) fn new(model: &'static str) -> Self {
        Invalid {
            model,
            errors: Vec::new(),
        }
    }

    /// A problem with `field` (a path such as `customer.billingAddress`; empty for the body).
    pub(crate) fn push(&mut self, field: &str, description: impl Into<String>) {
        let path = if field.is_empty() {
            "$".to_owned()
        } else {
            format!("$.{field}")
        };
        self.errors.push((path, description.into()));
    }

    /// The 422 body.
    pub(crate) fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|(path, description)| json!({"path": path, "description": description}))
            .collect();
        json!({"error": {
            "errorId": "RequestValidationError",
            "description": "We were unable to validate your request, please check your payload against https://primer.io/docs/api",
            "diagnosticsId": ids::diagnostics_id(),
            "validationErrors": [{"model": self.model, "errors": errors}],
        }})
    }

    fn into_result<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Reads fields of one JSON object, collecting problems.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
    invalid: Invalid,
}

impl<'a> Fields<'a> {
    /// Parses `body` (an empty body counts as `{}`) and rejects fields outside `allowed`.
    fn parse(
        body: &[u8],
        model: &'static str,
        allowed: &[&str],
        holder: &'a mut Map<String, Value>,
    ) -> Result<Fields<'a>, Invalid> {
        let mut invalid = Invalid::new(model);
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => *holder = map,
                _ => {
                    invalid.push("", "The request body must be a JSON object");
                    return Err(invalid);
                }
            }
        }
        for key in holder.keys() {
            if !allowed.contains(&key.as_str()) {
                invalid.push(key, "Extra fields are not permitted");
            }
        }
        Ok(Fields {
            map: holder,
            prefix: "",
            invalid,
        })
    }

    fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn string(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.present(name)?;
        match value.as_str() {
            Some(s) if s.chars().count() <= max => Some(s.to_owned()),
            Some(_) => {
                let path = self.path(name);
                self.invalid
                    .push(&path, format!("Value must be at most {max} characters"));
                None
            }
            None => {
                let path = self.path(name);
                self.invalid.push(&path, "Value must be a valid string");
                None
            }
        }
    }

    fn required_string(&mut self, name: &str, max: usize) -> Option<String> {
        if self.present(name).is_none() {
            let path = self.path(name);
            self.invalid.push(&path, "Field required");
            return None;
        }
        self.string(name, max).filter(|s| {
            let empty = s.is_empty();
            if empty {
                let path = self.path(name);
                self.invalid.push(&path, "Value must not be empty");
            }
            !empty
        })
    }

    /// A positive integer amount (minor units).
    fn amount(&mut self, name: &str) -> Option<i64> {
        let value = self.present(name)?;
        match value.as_i64() {
            Some(amount) if amount > 0 => Some(amount),
            _ => {
                let path = self.path(name);
                self.invalid
                    .push(&path, "Value must be a positive integer (minor units)");
                None
            }
        }
    }

    fn required_amount(&mut self, name: &str) -> Option<i64> {
        if self.present(name).is_none() {
            let path = self.path(name);
            self.invalid.push(&path, "Field required");
            return None;
        }
        self.amount(name)
    }

    fn boolean(&mut self, name: &str) -> Option<bool> {
        let value = self.present(name)?;
        let parsed = value.as_bool();
        if parsed.is_none() {
            let path = self.path(name);
            self.invalid.push(&path, "Value must be a valid boolean");
        }
        parsed
    }

    fn object(&mut self, name: &str) -> Option<&'a Map<String, Value>> {
        let value = self.present(name)?;
        let parsed = value.as_object();
        if parsed.is_none() {
            let path = self.path(name);
            self.invalid.push(&path, "Value must be a valid object");
        }
        parsed
    }

    fn one_of(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(name, 64)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            let path = self.path(name);
            self.invalid.push(
                &path,
                format!("Value must be one of {}", allowed.join(", ")),
            );
            None
        }
    }
}

/// The body of `POST /payments`. Without client sessions, `amount`, `currencyCode` and
/// `orderId` are required here \[U: Primer can take them from the client session\].
pub(crate) fn payment_request(body: &[u8]) -> Result<NewPayment, Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentCreationAPIRequest",
        &[
            "orderId",
            "currencyCode",
            "amount",
            "order",
            "paymentMethodToken",
            "customerId",
            "customer",
            "metadata",
            "paymentMethod",
        ],
        &mut holder,
    )?;
    let token = f.required_string("paymentMethodToken", 256);
    let amount = f.required_amount("amount");
    let currency = f.required_string("currencyCode", 3);
    let currency = currency.filter(|c| {
        let valid = c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        if !valid {
            f.invalid
                .push("currencyCode", "Value must be an ISO 4217 currency code");
        }
        valid
    });
    let order_id = f.required_string("orderId", 256);
    let customer_id = f.string("customerId", 256);
    let customer = f
        .present("customer")
        .and_then(|c| details::object(c, details::CUSTOMER, "customer", &mut f.invalid));
    let metadata = f.object("metadata").cloned();
    let order = f
        .present("order")
        .and_then(|o| details::object(o, details::ORDER, "order", &mut f.invalid));
    let method = f.object("paymentMethod");
    let (mut authorization_type, mut payment_type, mut descriptor) =
        (AuthorizationType::Final, None, None);
    if let Some(method) = method {
        let mut m = Fields {
            map: method,
            prefix: "paymentMethod.",
            invalid: Invalid::new("PaymentCreationAPIRequest"),
        };
        if m.one_of("authorizationType", &["ESTIMATED", "FINAL"])
            .as_deref()
            == Some("ESTIMATED")
        {
            authorization_type = AuthorizationType::Estimated;
        }
        payment_type = m.one_of(
            "paymentType",
            &["FIRST_PAYMENT", "ECOMMERCE", "SUBSCRIPTION", "UNSCHEDULED"],
        );
        descriptor = m.string("descriptor", 256);
        m.boolean("vaultOnSuccess");
        m.boolean("vaultOn3DS");
        f.invalid.errors.append(&mut m.invalid.errors);
    }
    let (Some(token), Some(amount), Some(currency), Some(order_id)) =
        (token, amount, currency, order_id)
    else {
        return Err(f.invalid);
    };
    f.invalid.into_result(NewPayment {
        token,
        amount,
        currency,
        order_id,
        customer_id,
        customer,
        order,
        metadata,
        authorization_type,
        payment_type,
        descriptor,
    })
}

/// The body of `POST /client-session` (`ClientSessionAPIRequest`): nothing is required (the
/// document requires no field: what is missing can come with the payment), unknown fields are
/// refused (`additionalProperties: false`), and every field given is checked against its
/// schema: `orderId` and `customerId` 1 to 256 characters, `currencyCode` three capitals,
/// `amount` an integer of at least 0, `customer`, `order` and `paymentMethod` as
/// [`details`] has them, `metadata` an object.
pub(crate) fn client_session_request(body: &[u8]) -> Result<NewClientSession, Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "ClientSessionAPIRequest",
        &[
            "orderId",
            "currencyCode",
            "amount",
            "order",
            "customerId",
            "customer",
            "metadata",
            "paymentMethod",
        ],
        &mut holder,
    )?;
    let non_empty = |f: &mut Fields<'_>, name: &str| {
        f.string(name, 256).filter(|s| {
            if s.is_empty() {
                f.invalid.push(name, "Value must not be empty");
            }
            !s.is_empty()
        })
    };
    let order_id = non_empty(&mut f, "orderId");
    let customer_id = non_empty(&mut f, "customerId");
    let currency = f.string("currencyCode", 3).filter(|c| {
        let valid = c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        if !valid {
            f.invalid
                .push("currencyCode", "Value must be an ISO 4217 currency code");
        }
        valid
    });
    let amount = f.present("amount").and_then(|amount| {
        let parsed = amount.as_u64().and_then(|a| i64::try_from(a).ok());
        if parsed.is_none() {
            f.invalid.push(
                "amount",
                "Value must be an integer of at least 0 (minor units)",
            );
        }
        parsed
    });
    let customer = f
        .present("customer")
        .and_then(|c| details::object(c, details::CHECKOUT_CUSTOMER, "customer", &mut f.invalid));
    let order = f
        .present("order")
        .and_then(|o| details::object(o, details::ORDER, "order", &mut f.invalid));
    let payment_method = f.present("paymentMethod").and_then(|m| {
        details::object(
            m,
            details::CHECKOUT_PAYMENT_METHOD,
            "paymentMethod",
            &mut f.invalid,
        )
    });
    let metadata = f.object("metadata").cloned();
    f.invalid.into_result(NewClientSession {
        order_id,
        currency,
        amount,
        customer_id,
        customer,
        order,
        metadata,
        payment_method,
    })
}

/// A client session as `POST /client-session` answers it
/// (`ClientSessionWithTokenAPIResponse`, `with_token`: its `clientToken` and
/// `clientTokenExpirationDate`) or `GET /client-session` (`ClientSessionAPIResponse`, without
/// them): the fields given, and the amount the session charges.
pub(crate) fn client_session(session: &ClientSession, with_token: bool) -> Value {
    let request = &session.request;
    let mut body = Map::new();
    if with_token {
        body.insert("clientToken".into(), json!(session.client_token));
        body.insert(
            "clientTokenExpirationDate".into(),
            json!(timestamp(session.expires)),
        );
    }
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(name.to_owned(), value);
        }
    };
    put("orderId", request.order_id.clone().map(Value::from));
    put("currencyCode", request.currency.clone().map(Value::from));
    put("amount", request.total().map(Value::from));
    put("customerId", request.customer_id.clone().map(Value::from));
    put("customer", request.customer.clone());
    put("order", request.order.clone());
    put("metadata", request.metadata.clone().map(Value::Object));
    put("paymentMethod", request.payment_method.clone());
    Value::Object(body)
}

/// The body of `POST /payments/{id}/adjust-authorization`: the new total. `expand` (API 2.4)
/// is accepted and ignored.
pub(crate) fn adjust_request(body: &[u8]) -> Result<i64, Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentAdjustAuthorizationAPIRequest",
        &["amount", "expand"],
        &mut holder,
    )?;
    let amount = f.required_amount("amount");
    match amount {
        Some(amount) => f.invalid.into_result(amount),
        None => Err(f.invalid),
    }
}

/// The body of `POST /payments/{id}/capture`: `(amount, final)`, `final` defaulting to true.
pub(crate) fn capture_request(body: &[u8]) -> Result<(Option<i64>, bool), Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentCaptureAPIRequest",
        &["amount", "final", "order", "metadata"],
        &mut holder,
    )?;
    let amount = f.amount("amount");
    let is_final = f.boolean("final").unwrap_or(true);
    f.object("order");
    f.object("metadata");
    f.invalid.into_result((amount, is_final))
}

/// The body of `POST /payments/{id}/cancel` (`reason` is accepted and not kept).
pub(crate) fn cancel_request(body: &[u8]) -> Result<(), Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(body, "PaymentCancelAPIRequest", &["reason"], &mut holder)?;
    f.string("reason", 1024);
    f.invalid.into_result(())
}

/// The body of `POST /payments/{id}/refund`: the amount, when given.
pub(crate) fn refund_request(body: &[u8]) -> Result<Option<i64>, Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentRefundAPIRequest",
        &["amount", "orderId", "reason"],
        &mut holder,
    )?;
    let amount = f.amount("amount");
    f.string("orderId", 256);
    f.string("reason", 1024);
    f.invalid.into_result(amount)
}

/// The body of `POST /payments/{id}/resume`: the resume token.
pub(crate) fn resume_request(body: &[u8]) -> Result<String, Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentResumeAPIRequest",
        &["resumeToken"],
        &mut holder,
    )?;
    match f.required_string("resumeToken", 256) {
        Some(token) => f.invalid.into_result(token),
        None => Err(f.invalid),
    }
}

/// The helper's card: `(number, month, year)`.
pub(crate) fn card_request(
    body: &[u8],
    today: OffsetDateTime,
) -> Result<(String, u8, u16), Invalid> {
    let mut holder = Map::new();
    let mut f = Fields::parse(
        body,
        "PaymentCard",
        &[
            "number",
            "expirationMonth",
            "expirationYear",
            "cvv",
            "cardholderName",
        ],
        &mut holder,
    )?;
    let number = f
        .required_string("number", 19)
        .map(|n| n.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let month = digits(&mut f, "expirationMonth").and_then(|m| {
        let valid = (1..=12).contains(&m);
        if !valid {
            f.invalid.push("expirationMonth", "Month must be 1 to 12");
        }
        valid.then_some(m as u8)
    });
    let year = digits(&mut f, "expirationYear").and_then(|y| {
        let y = if y < 100 { 2000 + y } else { y };
        u16::try_from(y).ok()
    });
    if let Some(cvv) = f.required_string("cvv", 4) {
        if cvv.len() != 3 || !cvv.bytes().all(|b| b.is_ascii_digit()) {
            f.invalid.push("cvv", "CVV must be 3 digits");
        }
    }
    f.string("cardholderName", 256);
    let (Some(number), Some(month), Some(year)) = (number, month, year) else {
        return Err(f.invalid);
    };
    let now = (today.year(), u8::from(today.month()));
    if (i32::from(year), month) < now {
        f.invalid.push("expirationYear", "The card has expired");
    }
    f.invalid.into_result((number, month, year))
}

/// A number written as digits (a string, as Primer writes expiry fields) or a JSON integer.
fn digits(f: &mut Fields<'_>, name: &str) -> Option<u32> {
    let parsed = match f.present(name) {
        None => {
            f.invalid.push(name, "Field required");
            return None;
        }
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 9999),
        Some(_) => None,
    };
    if parsed.is_none() {
        f.invalid.push(name, "Value must be a number");
    }
    parsed
}

fn reason_json(reason: &Reason) -> Value {
    json!({
        "type": reason.kind,
        "declineType": reason.decline_type,
        "code": reason.code,
        "message": reason.message,
    })
}

/// A payment as `GET /payments` lists it (`PaymentSummaryAPISchema`).
pub(crate) fn summary(payment: &Payment) -> Value {
    json!({
        "id": payment.id,
        "date": timestamp(payment.date),
        "status": payment.status.as_str(),
        "orderId": payment.request.order_id,
        "currencyCode": payment.request.currency,
        "amount": payment.request.amount,
        "metadata": payment.request.metadata.clone().unwrap_or_default(),
        "processor": { "name": PROCESSOR_NAME, "processorMerchantId": PROCESSOR_MERCHANT_ID },
    })
}

/// The Payment object (`PaymentAPIResponse` of the v2.2 document): only fields the document
/// declares, so no `dateUpdated` or `cardTokenType` (later versions' fields). Transactions
/// also carry `type`, which the document requires without declaring it.
pub(crate) fn payment(payment: &Payment) -> Value {
    let request = &payment.request;
    let card = &payment.instrument;
    let mut method = json!({
        "paymentMethodToken": request.token,
        "authorizationType": request.authorization_type.as_str(),
        "isVaulted": false,
        "paymentMethodType": "PAYMENT_CARD",
        "paymentMethodData": {
            "first6Digits": card.first6,
            "last4Digits": card.last4,
            "expirationMonth": card.expiration_month,
            "expirationYear": card.expiration_year,
            "network": card.network,
            "isNetworkTokenized": false,
        },
        "threeDSecureAuthentication": three_ds(&payment.three_ds),
    });
    if let Some(payment_type) = &request.payment_type {
        method["paymentType"] = json!(payment_type);
    }
    if let Some(descriptor) = &request.descriptor {
        method["descriptor"] = json!(descriptor);
    }
    let transactions: Vec<Value> = payment
        .transactions
        .iter()
        .map(|t| {
            let kind = match t.kind {
                TransactionType::Sale => "SALE",
                TransactionType::Refund => "REFUND",
            };
            let mut transaction = json!({
                "date": timestamp(t.date),
                "amount": t.amount,
                "currencyCode": request.currency,
                "transactionType": kind,
                "type": kind,
                "processorTransactionId": t.processor_transaction_id,
                "processorName": PROCESSOR_NAME,
                "processorMerchantId": PROCESSOR_MERCHANT_ID,
                "processorStatus": t.status.as_str(),
            });
            if let Some(reason) = &t.reason {
                transaction["processorStatusReason"] = reason_json(reason);
            }
            transaction
        })
        .collect();
    let mut body = json!({
        "id": payment.id,
        "date": timestamp(payment.date),
        "status": payment.status.as_str(),
        "orderId": request.order_id,
        "currencyCode": request.currency,
        "amount": request.amount,
        "metadata": request.metadata.clone().unwrap_or_default(),
        "paymentMethod": method,
        "processor": {
            "name": PROCESSOR_NAME,
            "processorMerchantId": PROCESSOR_MERCHANT_ID,
            "amountCaptured": payment.captured,
            "amountRefunded": payment.refunded,
        },
        "transactions": transactions,
    });
    if let Some(customer_id) = &request.customer_id {
        body["customerId"] = json!(customer_id);
    }
    if let Some(customer) = &request.customer {
        body["customer"] = customer.clone();
    }
    if let Some(order) = &request.order {
        body["order"] = order.clone();
    }
    if let Some(reason) = &payment.reason {
        body["statusReason"] = reason_json(reason);
    }
    if let Some(client_token) = payment.pending_challenge() {
        body["requiredAction"] = json!({
            "name": "3DS_AUTHENTICATION",
            "description": "Perform 3DS authentication with the Primer SDK, then resume the payment",
            "clientToken": client_token,
        });
    }
    body
}

fn three_ds(state: &ThreeDs) -> Value {
    match state {
        ThreeDs::NotPerformed => json!({"responseCode": "NOT_PERFORMED"}),
        ThreeDs::Frictionless => json!({
            "responseCode": "AUTH_SUCCESS",
            "protocolVersion": "2.2.0",
            "challengeIssued": false,
        }),
        ThreeDs::Challenge { .. } => json!({
            "responseCode": "CHALLENGE",
            "protocolVersion": "2.2.0",
            "challengeIssued": true,
        }),
        ThreeDs::Done { success } => json!({
            "responseCode": if *success { "AUTH_SUCCESS" } else { "AUTH_FAILED" },
            "protocolVersion": "2.2.0",
            "challengeIssued": true,
        }),
    }
}

/// A webhook envelope: `PAYMENT.STATUS` or `PAYMENT.REFUND` with the full payment.
pub(crate) fn webhook(
    event_type: &str,
    notification_id: &str,
    payment_body: Value,
    now: OffsetDateTime,
) -> Value {
    json!({
        "eventType": event_type,
        "date": timestamp(now),
        "notificationConfig": {
            "id": notification_id,
            "description": "paybridge Primer simulator",
        },
        "version": "2.2",
        "signedAt": now.unix_timestamp().to_string(),
        "payment": payment_body,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::primer::cards::Instrument;

    #[test]
    fn the_details_of_a_payment_request_come_back_in_the_payment() {
        let request = json!({
            "paymentMethodToken": "pmt_1", "amount": 1000, "currencyCode": "GBP",
            "orderId": "ORD-1", "customerId": "cus_4711",
            "customer": {"emailAddress": "ada@example.com",
                         "billingAddress": {"addressLine1": "1 Main St", "countryCode": "GB"}},
            "order": {"countryCode": "GB"},
            "paymentMethod": {"descriptor": "SOCKSHOP"},
        });
        let new = payment_request(request.to_string().as_bytes()).unwrap();
        let card = Instrument::for_card("4242424242424242", 12, 2099).unwrap();
        let body = payment(&Payment::create(new, card, OffsetDateTime::now_utc()));
        assert_eq!(body["customerId"], "cus_4711");
        assert_eq!(body["customer"], request["customer"]);
        assert_eq!(body["order"], request["order"]);
        assert_eq!(body["paymentMethod"]["descriptor"], "SOCKSHOP");
    }

    #[test]
    fn a_malformed_detail_refuses_the_whole_request() {
        let request = json!({
            "paymentMethodToken": "pmt_1", "amount": 1000, "currencyCode": "GBP",
            "orderId": "ORD-1", "customer": {"shippingAddress": {"postalCode": ""}},
        });
        let invalid = payment_request(request.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            invalid.body()["error"]["validationErrors"],
            json!([{"model": "PaymentCreationAPIRequest", "errors": [{
                "path": "$.customer.shippingAddress.postalCode",
                "description": "Value must not be empty",
            }]}])
        );
    }
}
