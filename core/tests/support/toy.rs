//! A toy connector used by several tests: two flows, authorize and payment sync.

#![allow(dead_code, clippy::unwrap_used)]

use paybridge_core::http::{endpoint, Exchange, HttpRequest, HttpResponse};
use paybridge_core::*;
use serde::Deserialize;

use super::ScriptedServer;

pub const PAN: &str = "4242424242424242";
pub const CVC: &str = "737";
pub const API_KEY: &str = "sk_test_toy_51HsuperSecretKey";

struct Toy {
    base: url::Url,
    api_key: secrecy::SecretString,
}

#[derive(Deserialize)]
struct ToyPayment {
    id: String,
    state: String,
    amount: i64,
}

fn parse_payment(
    resp: HttpResponse,
    currency: Currency,
) -> Result<PaymentResponse, ConnectorError> {
    if !resp.is_success() {
        return Err(resp.error(ProcessorMessage::default()));
    }
    let wire: ToyPayment = resp.json()?;
    let status = match wire.state.as_str() {
        "authorized" => PaymentStatus::RequiresCapture,
        "declined" => PaymentStatus::Failed,
        _ => PaymentStatus::Processing,
    };
    let mut payment = PaymentResponse::new(wire.id, status, wire.state, currency);
    let amount = MinorUnit::new(wire.amount)
        .map_err(|e| ConnectorError::invalid_response(resp.status, e))?;
    payment.amounts.authorized = amount;
    payment.amounts.capturable = amount;
    Ok(payment)
}

impl Translator for Toy {
    fn id(&self) -> &'static str {
        "toy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new("toy")
            .support(Flow::Authorize, [])
            .support(Flow::PaymentSync, [])
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "toy-idempotency-key",
            key_reuse: KeyReuse::ReplaysSuccess,
            retry_hint: no_retry_hint,
            sensitive_fields: &[],
        }
    }

    fn authorize(
        &self,
        req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        let PaymentMethod::Card(card) = &req.payment_method else {
            return Err(ConnectorError::invalid(
                "payment_method",
                "toy takes cards only",
            ));
        };
        let body = serde_json::json!({
            "amount": req.amount,
            "currency": req.currency,
            "card": {
                "number": card.number.expose(),
                "cvv": card.cvc.as_ref().map(Cvc::expose),
                "expiry_month": card.expiry.month(),
            },
        });
        let request = HttpRequest::post(endpoint(&self.base, &["payments"])?)
            .bearer(&self.api_key)?
            .json(&body)?
            .idempotency_key(&req.idempotency_key);
        let currency = req.currency;
        Ok(Exchange::new(request, move |resp| {
            parse_payment(resp, currency)
        }))
    }

    fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        let request = HttpRequest::get(endpoint(
            &self.base,
            &["payments", &req.connector_payment_id],
        )?)
        .bearer(&self.api_key)?;
        Ok(Exchange::new(request, |resp| {
            parse_payment(resp, Currency::USD)
        }))
    }
}

pub fn card_request() -> AuthorizeRequest {
    let card = Card {
        number: CardNumber::new(PAN).unwrap(),
        expiry: CardExpiry::new(12, 2030).unwrap(),
        cvc: Some(Cvc::new(CVC).unwrap()),
        holder_name: Some("Ada Lovelace".into()),
    };
    let mut req = AuthorizeRequest::new(
        MinorUnit::new(1000).unwrap(),
        Currency::USD,
        PaymentMethod::Card(card),
        "order-1",
    );
    req.capture_method = CaptureMethod::Manual;
    req
}

pub fn toy(server: &ScriptedServer) -> std::sync::Arc<dyn Connector> {
    let toy = Toy {
        base: server.url(),
        api_key: API_KEY.to_owned().into(),
    };
    HttpConnector::new(toy, ExecutionSettings::default())
        .unwrap()
        .into_dyn()
}
