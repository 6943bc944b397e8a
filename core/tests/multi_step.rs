//! A flow that needs two processor calls is expressed as chained exchanges, still without the
//! connector doing any I/O.

#![allow(clippy::unwrap_used)]

mod support;

use paybridge_core::http::{endpoint, Exchange, HttpRequest, Step};
use paybridge_core::*;
use support::{Reply, ScriptedServer};

/// Refunds by POSTing, then reads the refund's final state with a GET.
struct TwoStep {
    base: url::Url,
}

impl Translator for TwoStep {
    fn id(&self) -> &'static str {
        "two_step"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new("two_step").support(Flow::Refund, [])
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            idempotency_header: "idempotency-key",
            key_reuse: KeyReuse::ReplaysAll,
            retry_hint: no_retry_hint,
            sensitive_fields: &[],
        }
    }

    fn refund(&self, req: &RefundRequest) -> Result<Exchange<RefundResponse>, ConnectorError> {
        let post = HttpRequest::post(endpoint(
            &self.base,
            &["payments", &req.connector_payment_id, "refunds"],
        )?)
        .idempotency_key(&req.idempotency_key);
        let base = self.base.clone();
        let payment = req.connector_payment_id.clone();
        Ok(Exchange::then(post, move |resp| {
            if !resp.is_success() {
                return Err(resp.error(ProcessorMessage::default()));
            }
            let created: serde_json::Value = resp.json()?;
            let refund_id = created["id"].as_str().unwrap_or_default().to_owned();
            let get = HttpRequest::get(endpoint(
                &base,
                &["payments", &payment, "refunds", &refund_id],
            )?);
            Ok(Step::Next(Box::new(Exchange::new(get, move |resp| {
                let state: serde_json::Value = resp.json()?;
                Ok(RefundResponse {
                    connector_refund_id: refund_id,
                    status: if state["status"] == "done" {
                        RefundStatus::Succeeded
                    } else {
                        RefundStatus::Pending
                    },
                    amount: None,
                    failure_reason: None,
                    raw_status: state["status"].as_str().unwrap_or_default().to_owned(),
                })
            }))))
        }))
    }
}

#[tokio::test]
async fn chained_exchanges_run_in_order() {
    let server = ScriptedServer::start(vec![
        Reply::status(202).body(r#"{"id":"ref_7"}"#),
        Reply::status(200).body(r#"{"status":"done"}"#),
    ])
    .await;
    let connector =
        HttpConnector::new(TwoStep { base: server.url() }, ExecutionSettings::default()).unwrap();
    let refund = connector
        .refund(&RefundRequest::new("pay_1", Currency::EUR, None))
        .await
        .unwrap();
    assert_eq!(refund.connector_refund_id, "ref_7");
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let paths: Vec<_> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /payments/pay_1/refunds",
            "GET /payments/pay_1/refunds/ref_7"
        ]
    );
}
