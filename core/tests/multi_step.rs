//! A flow that needs two processor calls is expressed as chained exchanges, still without the
//! connector doing any I/O.

#![allow(clippy::unwrap_used)]

mod support;

use paybridge_core::http::{endpoint, Exchange, HttpRequest, Step};
use paybridge_core::*;
use support::{Reply, ScriptedServer};

/// Refunds by POSTing, then reads the refund's final state with a GET. With `harmless`, the
/// POST is marked as moving no money.
struct TwoStep {
    base: url::Url,
    harmless: bool,
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
        let harmless = self.harmless;
        let exchange = Exchange::then(post, move |resp| {
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
        });
        Ok(if harmless {
            exchange.moving_no_money()
        } else {
            exchange
        })
    }
}

#[tokio::test]
async fn chained_exchanges_run_in_order() {
    let server = ScriptedServer::start(vec![
        Reply::status(202).body(r#"{"id":"ref_7"}"#),
        Reply::status(200).body(r#"{"status":"done"}"#),
    ])
    .await;
    let connector = HttpConnector::new(
        TwoStep {
            base: server.url(),
            harmless: false,
        },
        ExecutionSettings::default(),
    )
    .unwrap();
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

#[tokio::test]
async fn a_step_that_moves_no_money_never_leaves_the_outcome_unknown() {
    let refund = RefundRequest::new("pay_1", Currency::EUR, None);
    for harmless in [false, true] {
        let settings = ExecutionSettings {
            timeouts: Timeouts {
                request: std::time::Duration::from_millis(200),
                ..Timeouts::default()
            },
            retry: RetryPolicy::none(),
        };
        let connector = |server: &ScriptedServer| {
            HttpConnector::new(
                TwoStep {
                    base: server.url(),
                    harmless,
                },
                settings,
            )
            .unwrap()
        };
        // No answer in time.
        let slow = ScriptedServer::start(vec![Reply::status(202)
            .body(r#"{"id":"ref_7"}"#)
            .delay(std::time::Duration::from_millis(1000))])
        .await;
        let err = connector(&slow).refund(&refund).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Timeout { .. }), "{err:?}");
        assert_eq!(err.outcome_unknown(), !harmless, "{err:?}");
        // A 5xx answer.
        let failing = ScriptedServer::start(vec![Reply::status(500)]).await;
        let err = connector(&failing).refund(&refund).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Processor { .. }), "{err:?}");
        assert_eq!(err.outcome_unknown(), !harmless, "{err:?}");
    }
}
