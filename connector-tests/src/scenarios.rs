//! The scenarios. Each asserts statuses and amounts at every step and returns `Passed`,
//! `Skipped(reason)` or an error message.
//!
//! Asynchronous processors (Checkout.com answers captures, voids and refunds with 202) are
//! handled uniformly: after an operation, the scenario syncs until the expected state shows,
//! within the target's settle timeout.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use paybridge_core::details::PaymentDetail;
use paybridge_core::http::{HeaderMap, HeaderName, HeaderValue};
use paybridge_core::webhook::IncomingWebhook;
use paybridge_core::*;
use paybridge_sandbox::{CounterSnapshot, Fault, SimulatorHandle};

use crate::webhook_receiver::WebhookReceiver;
use crate::{Outcome, Target};

type ScenarioResult = Result<Outcome, String>;
type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = ScenarioResult> + Send + 'a>>;

/// One named scenario.
pub struct Scenario {
    /// Its name in reports.
    pub name: &'static str,
    /// The flows it uses; the runner skips it, with the reason, when the connector does not
    /// support one (`capabilities_agree_with_behaviour` asserts `NotSupported` for those).
    pub needs: &'static [Flow],
    /// Runs it against a target.
    pub run: for<'a> fn(&'a Target) -> ScenarioFuture<'a>,
}

/// Every scenario, in run order.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "capabilities_agree_with_behaviour",
        needs: &[],
        run: capabilities_agree_with_behaviour,
    },
    Scenario {
        name: "payment_details_reach_the_processor_as_declared",
        needs: &[Flow::Authorize],
        run: payment_details_reach_the_processor_as_declared,
    },
    Scenario {
        name: "wallet_sessions_open_each_sheet_as_declared",
        needs: &[Flow::SessionToken],
        run: wallet_sessions_open_each_sheet_as_declared,
    },
    Scenario {
        name: "wallet_tokens_pay_and_decline_as_their_cards",
        needs: &[Flow::Authorize, Flow::PaymentSync],
        run: wallet_tokens_pay_and_decline_as_their_cards,
    },
    Scenario {
        name: "an_external_3ds_result_authorizes_without_a_challenge",
        needs: &[Flow::Authorize],
        run: an_external_3ds_result_authorizes_without_a_challenge,
    },
    Scenario {
        name: "manual_authorize_then_sync",
        needs: &[Flow::Authorize, Flow::PaymentSync],
        run: manual_authorize_then_sync,
    },
    Scenario {
        name: "lookup_by_reference",
        needs: &[Flow::Authorize, Flow::PaymentLookup],
        run: lookup_by_reference,
    },
    Scenario {
        name: "authorize_then_full_capture",
        needs: &[Flow::Authorize, Flow::Capture, Flow::PaymentSync],
        run: authorize_then_full_capture,
    },
    Scenario {
        name: "authorize_then_partial_capture",
        needs: &[Flow::Authorize, Flow::Capture, Flow::PaymentSync],
        run: authorize_then_partial_capture,
    },
    Scenario {
        name: "multiple_partial_captures",
        needs: &[Flow::Authorize, Flow::Capture, Flow::PaymentSync],
        run: multiple_partial_captures,
    },
    Scenario {
        name: "authorize_then_void",
        needs: &[Flow::Authorize, Flow::Void, Flow::PaymentSync],
        run: authorize_then_void,
    },
    Scenario {
        name: "refund_partial_then_rest_then_over_refund",
        needs: &[Flow::Authorize, Flow::Refund, Flow::PaymentSync],
        run: refund_partial_then_rest_then_over_refund,
    },
    Scenario {
        name: "refund_lookup_by_reference",
        needs: &[
            Flow::Authorize,
            Flow::Capture,
            Flow::PaymentSync,
            Flow::Refund,
            Flow::RefundLookup,
        ],
        run: refund_lookup_by_reference,
    },
    Scenario {
        name: "incremental_authorization_twice_then_capture",
        needs: &[
            Flow::Authorize,
            Flow::IncrementalAuthorization,
            Flow::Capture,
            Flow::PaymentSync,
        ],
        run: incremental_authorization_twice_then_capture,
    },
    Scenario {
        name: "increment_not_above_current_is_caught",
        needs: &[Flow::Authorize, Flow::IncrementalAuthorization],
        run: increment_not_above_current_is_caught,
    },
    Scenario {
        name: "increment_after_capture_is_rejected",
        needs: &[
            Flow::Authorize,
            Flow::IncrementalAuthorization,
            Flow::Capture,
            Flow::PaymentSync,
        ],
        run: increment_after_capture_is_rejected,
    },
    Scenario {
        name: "extend_authorization",
        needs: &[
            Flow::Authorize,
            Flow::ExtendAuthorization,
            Flow::PaymentSync,
        ],
        run: extend_authorization,
    },
    Scenario {
        name: "cancel_post_capture",
        needs: &[Flow::Authorize, Flow::CancelPostCapture, Flow::PaymentSync],
        run: cancel_post_capture,
    },
    Scenario {
        name: "declined_card_fails_with_details",
        needs: &[Flow::Authorize],
        run: declined_card_fails_with_details,
    },
    Scenario {
        name: "three_ds_then_complete_authorize",
        needs: &[Flow::Authorize, Flow::CompleteAuthorize],
        run: three_ds_then_complete_authorize,
    },
    Scenario {
        name: "bad_credentials",
        needs: &[Flow::Authorize],
        run: bad_credentials,
    },
    Scenario {
        name: "idempotent_replay",
        needs: &[Flow::Authorize],
        run: idempotent_replay,
    },
    Scenario {
        name: "fault_503_then_success",
        needs: &[Flow::Authorize],
        run: fault_503_then_success,
    },
    Scenario {
        name: "timeout_is_unknown_then_sync_tells",
        needs: &[Flow::Authorize, Flow::Capture, Flow::PaymentSync],
        run: timeout_is_unknown_then_sync_tells,
    },
    Scenario {
        name: "validation_error_is_not_retried",
        needs: &[Flow::Authorize],
        run: validation_error_is_not_retried,
    },
    Scenario {
        name: "signed_webhooks_verify_and_forgeries_fail",
        needs: &[Flow::Authorize, Flow::Webhooks],
        run: signed_webhooks_verify_and_forgeries_fail,
    },
];

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

macro_rules! check_eq {
    ($left:expr, $right:expr, $what:expr) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!("{}: expected {:?}, got {:?}", $what, right, left));
        }
    }};
}

fn m(value: i64) -> MinorUnit {
    MinorUnit::new(value).unwrap_or(MinorUnit::ZERO)
}

/// The connector and target, with helpers that turn errors into messages.
struct Ctx<'a> {
    t: &'a Target,
    c: Arc<dyn Connector>,
}

impl<'a> Ctx<'a> {
    fn new(t: &'a Target) -> Result<Self, String> {
        Ok(Ctx {
            t,
            c: t.connector()?,
        })
    }

    fn supports(&self, flow: Flow) -> bool {
        self.c.capabilities().supports(flow)
    }

    fn sim(&self) -> Result<&'a SimulatorHandle, Outcome> {
        self.t.simulator.as_ref().ok_or_else(|| {
            Outcome::Skipped("needs the simulator (fault injection, operation counters)".into())
        })
    }

    fn request(&self, pm: &PaymentMethod, amount: i64, capture: CaptureMethod) -> AuthorizeRequest {
        let reference = format!("pb-{}", &IdempotencyKey::generate().as_str()[..8]);
        let mut req = AuthorizeRequest::new(m(amount), self.t.currency, pm.clone(), reference);
        req.capture_method = capture;
        req
    }

    async fn authorize(&self, req: &AuthorizeRequest) -> Result<PaymentResponse, String> {
        self.c
            .authorize(req)
            .await
            .map_err(|e| format!("authorize: {e}"))
    }

    /// An approved manual-capture authorization, checked.
    async fn authorized(
        &self,
        pm: &PaymentMethod,
        amount: i64,
        estimated: bool,
    ) -> Result<PaymentResponse, String> {
        let mut req = self.request(pm, amount, CaptureMethod::Manual);
        req.request_incremental_authorization = estimated;
        let payment = self.authorize(&req).await?;
        check_eq!(
            payment.status,
            PaymentStatus::RequiresCapture,
            "status after manual authorize"
        );
        check_eq!(
            payment.amounts.authorized,
            m(amount),
            "authorized after authorize"
        );
        check_eq!(
            payment.amounts.capturable,
            m(amount),
            "capturable after authorize"
        );
        check_eq!(
            payment.amounts.received,
            MinorUnit::ZERO,
            "received after authorize"
        );
        Ok(payment)
    }

    /// An automatically captured payment, settled and checked.
    async fn captured_payment(&self, amount: i64) -> Result<PaymentResponse, String> {
        let req = self.request(&self.t.cards.approved, amount, CaptureMethod::Automatic);
        let payment = self.authorize(&req).await?;
        check!(
            matches!(
                payment.status,
                PaymentStatus::Succeeded | PaymentStatus::Processing
            ),
            "automatic capture gave {:?}",
            payment.status
        );
        self.settle(
            &payment.connector_payment_id,
            CaptureMethod::Automatic,
            "capture",
            |p| p.status == PaymentStatus::Succeeded && p.amounts.received == m(amount),
        )
        .await
    }

    async fn sync(&self, id: &str, capture: CaptureMethod) -> Result<PaymentResponse, String> {
        let req = PaymentSyncRequest {
            connector_payment_id: id.to_owned(),
            capture_method: capture,
        };
        self.c
            .sync_payment(&req)
            .await
            .map_err(|e| format!("sync: {e}"))
    }

    /// Syncs until `done` holds or the settle timeout passes.
    async fn settle(
        &self,
        id: &str,
        capture: CaptureMethod,
        what: &str,
        done: impl Fn(&PaymentResponse) -> bool,
    ) -> Result<PaymentResponse, String> {
        let deadline = tokio::time::Instant::now() + self.t.settle_timeout;
        loop {
            let payment = self.sync(id, capture).await?;
            if done(&payment) {
                return Ok(payment);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "after {what}: payment still {:?} with {:?}",
                    payment.status, payment.amounts
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn capture(
        &self,
        id: &str,
        amount: Option<i64>,
        final_capture: bool,
    ) -> Result<CaptureResponse, ConnectorError> {
        let mut req = CaptureRequest::new(id, self.t.currency, amount.map(m));
        req.final_capture = final_capture;
        self.c.capture(&req).await
    }

    async fn refund(
        &self,
        id: &str,
        amount: Option<i64>,
    ) -> Result<RefundResponse, ConnectorError> {
        self.c
            .refund(&RefundRequest::new(id, self.t.currency, amount.map(m)))
            .await
    }

    /// Syncs a refund until it succeeds.
    async fn refund_settled(
        &self,
        payment_id: &str,
        refund: &RefundResponse,
    ) -> Result<(), String> {
        if refund.status == RefundStatus::Succeeded {
            return Ok(());
        }
        check!(
            self.supports(Flow::RefundSync),
            "refund is {:?} and refund sync is unsupported",
            refund.status
        );
        let req = RefundSyncRequest {
            connector_payment_id: payment_id.to_owned(),
            connector_refund_id: refund.connector_refund_id.clone(),
        };
        let deadline = tokio::time::Instant::now() + self.t.settle_timeout;
        loop {
            let synced = self
                .c
                .sync_refund(&req)
                .await
                .map_err(|e| format!("refund sync: {e}"))?;
            match synced.status {
                RefundStatus::Succeeded => return Ok(()),
                RefundStatus::Failed => {
                    return Err(format!("refund failed: {:?}", synced.failure_reason))
                }
                RefundStatus::Pending if tokio::time::Instant::now() >= deadline => {
                    return Err("refund still pending".into())
                }
                RefundStatus::Pending => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    fn increment(&self, id: &str, current: i64, new_total: i64) -> IncrementalAuthorizationRequest {
        IncrementalAuthorizationRequest {
            idempotency_key: IdempotencyKey::generate(),
            connector_payment_id: id.to_owned(),
            currency: self.t.currency,
            current_authorized: m(current),
            new_total: m(new_total),
            reason: Some("conformance".into()),
            card_network: None,
        }
    }
}

fn counters(sim: &SimulatorHandle) -> CounterSnapshot {
    sim.counters()
}

/// Every flow the capabilities declare unsupported answers `NotSupported` without a request;
/// every supported flow reaches the processor (a made-up payment id gets the processor's
/// answer, not `NotSupported`).
fn capabilities_agree_with_behaviour(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let id = "pay_conformancenotfound000000";
        let key = IdempotencyKey::generate;
        let cur = t.currency;
        for flow in Flow::ALL {
            let before = t.simulator.as_ref().map(counters);
            let result: Result<(), ConnectorError> = match flow {
                Flow::Authorize => continue, // exercised by every other scenario
                Flow::Webhooks => {
                    let headers = HeaderMap::new();
                    let webhook = IncomingWebhook {
                        headers: &headers,
                        body: b"{}",
                        received_at: time::OffsetDateTime::now_utc(),
                    };
                    let verdict = ctx.c.verify_webhook(&webhook);
                    let unsupported = verdict == Err(WebhookError::NotSupported);
                    check_eq!(
                        unsupported,
                        !ctx.supports(flow),
                        "webhooks NotSupported vs capabilities"
                    );
                    check!(verdict.is_err(), "an unsigned webhook was accepted");
                    continue;
                }
                Flow::IncrementalAuthorization => ctx
                    .c
                    .increment_authorization(&ctx.increment(id, 100, 200))
                    .await
                    .map(drop),
                Flow::ExtendAuthorization => ctx
                    .c
                    .extend_authorization(&ExtendAuthorizationRequest {
                        idempotency_key: key(),
                        connector_payment_id: id.into(),
                        currency: cur,
                        card_network: None,
                    })
                    .await
                    .map(drop),
                Flow::Capture => ctx.capture(id, None, true).await.map(drop),
                Flow::Void => ctx
                    .c
                    .void(&VoidRequest {
                        idempotency_key: key(),
                        connector_payment_id: id.into(),
                        reason: None,
                    })
                    .await
                    .map(drop),
                Flow::CancelPostCapture => ctx
                    .c
                    .cancel_post_capture(&CancelPostCaptureRequest {
                        reference: None,
                        idempotency_key: key(),
                        connector_payment_id: id.into(),
                        currency: cur,
                        amount_captured: m(100),
                        reason: None,
                    })
                    .await
                    .map(drop),
                Flow::Refund => ctx.refund(id, Some(100)).await.map(drop),
                Flow::PaymentSync => ctx
                    .c
                    .sync_payment(&PaymentSyncRequest {
                        connector_payment_id: id.into(),
                        capture_method: CaptureMethod::Manual,
                    })
                    .await
                    .map(drop),
                Flow::RefundSync => ctx
                    .c
                    .sync_refund(&RefundSyncRequest {
                        connector_payment_id: id.into(),
                        connector_refund_id: "act_notfound".into(),
                    })
                    .await
                    .map(drop),
                Flow::PaymentLookup => ctx
                    .c
                    .find_payment(&PaymentLookupRequest::new("ref_notfound"))
                    .await
                    .map(drop),
                Flow::RefundLookup => ctx
                    .c
                    .find_refund(&RefundLookupRequest {
                        connector_payment_id: "pay_notfound".into(),
                        reference: "ref_notfound".into(),
                    })
                    .await
                    .map(drop),
                Flow::CompleteAuthorize => ctx
                    .c
                    .complete_authorize(&CompleteAuthorizeRequest {
                        idempotency_key: key(),
                        connector_payment_id: id.into(),
                        capture_method: CaptureMethod::Manual,
                        redirect_params: BTreeMap::new(),
                    })
                    .await
                    .map(drop),
                Flow::SessionToken => ctx
                    .c
                    .session_token(&SessionTokenRequest {
                        reference: format!("pay_session_{}", key().as_str()),
                        merchant: WalletMerchant::new(
                            "paybridge conformance",
                            paybridge_core::details::CountryCode::new("GB").expect("GB"),
                        ),
                        amount: m(100),
                        currency: cur,
                        wallets: vec![Wallet::ApplePay],
                    })
                    .await
                    .map(drop),
            };
            let not_supported = matches!(result, Err(ConnectorError::NotSupported { .. }));
            if ctx.supports(flow) {
                check!(
                    !not_supported,
                    "{flow} is declared supported but answered NotSupported"
                );
                // A supported flow must reach a verdict (the processor's, or the connector's
                // own refusal before sending): a transport failure proves nothing either way.
                check!(
                    matches!(
                        result,
                        Ok(())
                            | Err(ConnectorError::Rejected { .. }
                                | ConnectorError::InvalidRequest { .. })
                    ),
                    "{flow} on an unknown payment got no verdict: {result:?}"
                );
            } else {
                check!(
                    not_supported,
                    "{flow} is declared unsupported but answered {result:?}"
                );
                if let (Some(before), Some(sim)) = (before, &t.simulator) {
                    check_eq!(
                        counters(sim).requests,
                        before.requests,
                        format!("requests sent by unsupported {flow}")
                    );
                }
            }
        }
        Ok(Outcome::Passed)
    })
}

/// An authorization with every payment detail, each carrying a value found nowhere else, sent
/// through a recording proxy: each detail the capabilities say is forwarded appears in what the
/// processor received, and no other does.
fn payment_details_reach_the_processor_as_declared(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let proxy = crate::traffic::RecordingProxy::start(t.config.base_url.clone()).await?;
        let mut config = t.config.clone();
        config.base_url = proxy.url();
        let connector = (t.build)(&config).map_err(|e| e.to_string())?;
        let ctx = Ctx { t, c: connector };
        let mut req = ctx.request(&t.cards.approved, 1000, CaptureMethod::Manual);
        let markers = crate::details::every_detail(&mut req);
        let payment = ctx.authorize(&req).await?;
        check_eq!(
            payment.status,
            PaymentStatus::RequiresCapture,
            "status of the authorization with every detail"
        );
        let sent = crate::details::sent_values(&proxy.exchanges());
        let capabilities = ctx.c.capabilities();
        let token_without_billing = matches!(req.payment_method, PaymentMethod::Token(_))
            && capabilities
                .conditions(Flow::Authorize)
                .contains(&Condition::BillingDetailsWithCardsOnly);
        for (detail, marker) in markers {
            let billing = matches!(
                detail,
                PaymentDetail::BillingAddress
                    | PaymentDetail::BillingPhone
                    | PaymentDetail::BillingEmail
            );
            let forwarded =
                capabilities.forwards_detail(detail) && !(billing && token_without_billing);
            let found = sent.iter().any(|value| value.contains(marker));
            if forwarded != found {
                return Err(format!(
                    "{detail:?}: the capabilities say forwarded = {forwarded}, but its value was \
                     {} the processor's requests",
                    if found { "in" } else { "not in" }
                ));
            }
        }
        Ok(Outcome::Passed)
    })
}

/// Every wallet the capabilities give sessions for gets its sheet's data, in the order asked,
/// with the payment's exact total and the declared networks; asking for a wallet the connector
/// does not serve gets no data for it.
fn wallet_sessions_open_each_sheet_as_declared(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let declared: Vec<(Wallet, WalletSupport)> = ctx
            .c
            .capabilities()
            .wallets
            .iter()
            .filter(|(_, w)| w.session_token)
            .map(|(wallet, support)| (*wallet, support.clone()))
            .collect();
        if declared.is_empty() {
            return Ok(Outcome::Skipped("no wallet sessions declared".into()));
        }
        // Asked in reverse order: the answer must keep the order asked.
        let wallets: Vec<Wallet> = declared.iter().rev().map(|(w, _)| *w).collect();
        let request = SessionTokenRequest {
            reference: format!("pb-{}", &IdempotencyKey::generate().as_str()[..8]),
            amount: m(1234),
            currency: t.currency,
            wallets: wallets.clone(),
            merchant: WalletMerchant::new(
                "paybridge conformance",
                paybridge_core::details::CountryCode::new("GB").expect("GB"),
            ),
        };
        let total = request.total_price();
        let response = ctx
            .c
            .session_token(&request)
            .await
            .map_err(|e| format!("session_token: {e}"))?;
        let answered: Vec<Wallet> = response
            .sessions
            .iter()
            .map(WalletSession::wallet)
            .collect();
        check_eq!(answered, wallets, "wallets answered, in the order asked");
        for session in &response.sessions {
            let support = &declared
                .iter()
                .find(|(w, _)| *w == session.wallet())
                .ok_or("an answer for a wallet not asked")?
                .1;
            match session {
                WalletSession::GooglePay(sheet) => {
                    check_eq!(
                        sheet.transaction_info.total_price,
                        total,
                        "Google Pay total"
                    );
                    check_eq!(
                        sheet.transaction_info.currency_code,
                        t.currency.code(),
                        "Google Pay currency"
                    );
                    let method = sheet
                        .allowed_payment_methods
                        .first()
                        .ok_or("no CARD method")?;
                    let expected: Vec<String> = support
                        .networks
                        .iter()
                        .filter_map(|n| wallet::google_pay::network_name(*n))
                        .map(str::to_owned)
                        .collect();
                    check_eq!(
                        method.parameters.allowed_card_networks,
                        expected,
                        "Google Pay networks against the capabilities"
                    );
                    check!(
                        method
                            .tokenization_specification
                            .parameters
                            .get("gateway")
                            .is_some_and(|g| !g.is_empty()),
                        "Google Pay tokenization without a gateway"
                    );
                }
                WalletSession::ApplePay(sheet) => {
                    check_eq!(sheet.total.amount, total, "Apple Pay total");
                    check!(
                        sheet
                            .merchant_capabilities
                            .iter()
                            .any(|c| c == "supports3DS"),
                        "Apple Pay requires supports3DS"
                    );
                    let expected: Vec<String> = support
                        .networks
                        .iter()
                        .filter_map(|n| wallet::apple_pay::network_name(*n))
                        .map(str::to_owned)
                        .collect();
                    check_eq!(
                        sheet.supported_networks,
                        expected,
                        "Apple Pay networks against the capabilities"
                    );
                }
                WalletSession::ClientToken { client_token, .. } => {
                    check!(
                        !paybridge_core::secrecy::ExposeSecret::expose_secret(client_token)
                            .is_empty(),
                        "an empty client token"
                    );
                }
                WalletSession::Unavailable { wallet, reason } => {
                    return Err(format!(
                        "{wallet} is declared in the capabilities but unavailable: {reason}"
                    ));
                }
            }
        }
        Ok(Outcome::Passed)
    })
}

/// Each wallet whose payments the capabilities declare has test tokens, and they pay (and
/// decline) like the cards inside them; a connector that declares no wallet payments refuses a
/// wallet token before sending anything.
fn wallet_tokens_pay_and_decline_as_their_cards(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let caps = ctx.c.capabilities();
        for wallet in Wallet::ALL {
            let declared = caps.takes_wallet_payments(wallet);
            let tokens = t.cards.wallets.iter().find(|w| w.wallet == wallet);
            let Some(tokens) = tokens else {
                check!(
                    !declared,
                    "{wallet} payments are declared but the target has no {wallet} test token"
                );
                continue;
            };
            if !declared {
                let before = ctx.sim().ok().map(counters);
                let refused = ctx
                    .c
                    .authorize(&ctx.request(&tokens.approved, 1000, CaptureMethod::Manual))
                    .await;
                check!(
                    matches!(
                        refused,
                        Err(ConnectorError::InvalidRequest { .. }
                            | ConnectorError::NotSupported { .. })
                    ),
                    "{wallet} token not refused before sending: {refused:?}"
                );
                if let (Some(before), Ok(sim)) = (before, ctx.sim()) {
                    check_eq!(
                        counters(sim).requests,
                        before.requests,
                        "requests sent for a refused wallet token"
                    );
                }
                continue;
            }
            let payment = ctx.authorized(&tokens.approved, 1500, false).await?;
            let synced = ctx
                .sync(&payment.connector_payment_id, CaptureMethod::Manual)
                .await?;
            check_eq!(
                synced.status,
                PaymentStatus::RequiresCapture,
                format!("{wallet}: status after sync")
            );
            if let Some((declined, expected)) = &tokens.declined {
                let payment = ctx
                    .authorize(&ctx.request(declined, 1000, CaptureMethod::Manual))
                    .await?;
                check_eq!(
                    payment.status,
                    PaymentStatus::Failed,
                    format!("{wallet}: a declined token's status")
                );
                let unified = payment.decline.as_ref().map(|d| d.unified);
                check_eq!(
                    unified,
                    Some(*expected),
                    format!("{wallet}: unified decline code")
                );
            }
        }
        Ok(Outcome::Passed)
    })
}

/// A connector that takes an external 3DS result authorizes the 3DS test card with one
/// (frictionless: the authentication was done elsewhere); one that does not take it refuses it
/// before sending anything.
fn an_external_3ds_result_authorizes_without_a_challenge(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let Some(card) = &t.cards.three_ds else {
            return Ok(Outcome::Skipped("target has no 3DS test card".into()));
        };
        let mut req = ctx.request(card, 1000, CaptureMethod::Manual);
        req.three_ds = ThreeDsPreference::Required;
        req.return_url = "https://shop.example/return".parse().ok();
        req.external_authentication = Some(authentication::ExternalAuthentication {
            status: authentication::TransStatus::Authenticated,
            status_reason: None,
            eci: Some("05".into()),
            authentication_value: authentication::AuthenticationValue::new(
                "mK225wGt2bLnnLB0UlRky0oHLnU=",
            )
            .map_err(|e| e.to_string())?,
            ds_transaction_id: "1cf815e5-cc85-436f-8e13-9f5e5aea731f".into(),
            message_version: "2.2.0".into(),
            challenged: false,
        });
        if !ctx.c.capabilities().external_authentication {
            let before = ctx.sim().ok().map(counters);
            let refused = ctx.c.authorize(&req).await;
            check!(
                matches!(refused, Err(ConnectorError::NotSupported { .. })),
                "an external 3DS result not refused: {refused:?}"
            );
            if let (Some(before), Ok(sim)) = (before, ctx.sim()) {
                check_eq!(counters(sim).requests, before.requests, "requests sent");
            }
            return Ok(Outcome::Passed);
        }
        let payment = ctx.authorize(&req).await?;
        check_eq!(
            payment.status,
            PaymentStatus::RequiresCapture,
            "status with an external 3DS result"
        );
        check!(
            payment.next_action.is_none(),
            "a customer action after external 3DS: {:?}",
            payment.next_action
        );
        Ok(Outcome::Passed)
    })
}

fn manual_authorize_then_sync(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let synced = ctx
            .sync(&payment.connector_payment_id, CaptureMethod::Manual)
            .await?;
        check_eq!(
            synced.status,
            PaymentStatus::RequiresCapture,
            "status after sync"
        );
        check_eq!(synced.amounts.authorized, m(1000), "authorized after sync");
        check_eq!(synced.amounts.capturable, m(1000), "capturable after sync");
        check_eq!(
            synced.connector_payment_id,
            payment.connector_payment_id,
            "payment id"
        );
        Ok(Outcome::Passed)
    })
}

/// The payment an authorization made is found by its reference (what a router does when the
/// authorization's answer was lost), with the time it was sent (which a processor that can
/// only list by creation time searches around) and without; a reference never sent finds
/// nothing.
fn lookup_by_reference(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let req = ctx.request(&t.cards.approved, 1000, CaptureMethod::Manual);
        let sent_at = time::OffsetDateTime::now_utc();
        let payment = ctx.authorize(&req).await?;
        let connector = &ctx.c;
        let find = |reference: String, sent_at: Option<time::OffsetDateTime>| async move {
            let mut lookup = PaymentLookupRequest::new(reference);
            lookup.sent_at = sent_at;
            connector
                .find_payment(&lookup)
                .await
                .map_err(|e| format!("lookup (sent_at {sent_at:?}): {e}"))
        };
        for when in [Some(sent_at), None] {
            let found = find(req.reference.clone(), when).await?;
            check_eq!(
                found.connector_payment_id.as_deref(),
                Some(payment.connector_payment_id.as_str()),
                format!("the payment found by its reference (sent_at {when:?})")
            );
        }
        let unknown = find(format!("{}_never_sent", req.reference), Some(sent_at)).await?;
        check_eq!(unknown.connector_payment_id, None, "a reference never sent");
        Ok(Outcome::Passed)
    })
}

fn authorize_then_full_capture(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let id = &payment.connector_payment_id;
        let capture = ctx
            .capture(id, None, true)
            .await
            .map_err(|e| format!("capture: {e}"))?;
        check!(
            matches!(
                capture.status,
                PaymentStatus::Succeeded | PaymentStatus::Processing
            ),
            "capture answered {:?}",
            capture.status
        );
        let settled = ctx
            .settle(id, CaptureMethod::Manual, "full capture", |p| {
                p.status == PaymentStatus::Succeeded
            })
            .await?;
        check_eq!(
            settled.amounts.received,
            m(1000),
            "received after full capture"
        );
        check_eq!(
            settled.amounts.capturable,
            MinorUnit::ZERO,
            "capturable after full capture"
        );
        Ok(Outcome::Passed)
    })
}

fn authorize_then_partial_capture(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let id = &payment.connector_payment_id;
        ctx.capture(id, Some(400), true)
            .await
            .map_err(|e| format!("capture: {e}"))?;
        let settled = ctx
            .settle(id, CaptureMethod::Manual, "partial capture", |p| {
                p.amounts.received == m(400)
            })
            .await?;
        check!(
            matches!(
                settled.status,
                PaymentStatus::PartiallyCaptured | PaymentStatus::Succeeded
            ),
            "status after a final partial capture: {:?}",
            settled.status
        );
        check_eq!(
            settled.amounts.capturable,
            MinorUnit::ZERO,
            "capturable after a final partial capture"
        );
        Ok(Outcome::Passed)
    })
}

fn multiple_partial_captures(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        if !ctx
            .c
            .capabilities()
            .conditions(Flow::Capture)
            .contains(&Condition::Multiple)
        {
            return Ok(Outcome::Skipped(format!(
                "{} does not declare multiple captures",
                ctx.c.id()
            )));
        }
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let id = &payment.connector_payment_id;
        ctx.capture(id, Some(300), false)
            .await
            .map_err(|e| format!("first capture: {e}"))?;
        let after_first = ctx
            .settle(id, CaptureMethod::Manual, "first capture", |p| {
                p.amounts.received == m(300)
            })
            .await?;
        check_eq!(
            after_first.status,
            PaymentStatus::PartiallyCapturedAndCapturable,
            "status after a non-final capture"
        );
        check_eq!(
            after_first.amounts.capturable,
            m(700),
            "capturable after a non-final capture"
        );
        ctx.capture(id, Some(700), true)
            .await
            .map_err(|e| format!("second capture: {e}"))?;
        let done = ctx
            .settle(id, CaptureMethod::Manual, "second capture", |p| {
                p.amounts.received == m(1000)
            })
            .await?;
        check_eq!(
            done.status,
            PaymentStatus::Succeeded,
            "status after capturing the rest"
        );
        check_eq!(
            done.amounts.capturable,
            MinorUnit::ZERO,
            "capturable at the end"
        );
        Ok(Outcome::Passed)
    })
}

fn authorize_then_void(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let id = &payment.connector_payment_id;
        let void = ctx
            .c
            .void(&VoidRequest {
                idempotency_key: IdempotencyKey::generate(),
                connector_payment_id: id.clone(),
                reason: None,
            })
            .await
            .map_err(|e| format!("void: {e}"))?;
        check!(
            matches!(
                void.status,
                PaymentStatus::Cancelled | PaymentStatus::Processing
            ),
            "void answered {:?}",
            void.status
        );
        let voided = ctx
            .settle(id, CaptureMethod::Manual, "void", |p| {
                p.status == PaymentStatus::Cancelled
            })
            .await?;
        check_eq!(
            voided.amounts.capturable,
            MinorUnit::ZERO,
            "capturable after void"
        );
        check_eq!(
            voided.amounts.received,
            MinorUnit::ZERO,
            "received after void"
        );
        if ctx.supports(Flow::Capture) {
            let err = ctx.capture(id, None, true).await;
            check!(
                matches!(err, Err(ConnectorError::Rejected { .. })),
                "capture after void should be rejected, got {err:?}"
            );
        }
        Ok(Outcome::Passed)
    })
}

fn refund_partial_then_rest_then_over_refund(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.captured_payment(1000).await?;
        let id = &payment.connector_payment_id;
        let first = ctx
            .refund(id, Some(300))
            .await
            .map_err(|e| format!("partial refund: {e}"))?;
        check!(
            first.status != RefundStatus::Failed,
            "partial refund failed"
        );
        check_eq!(first.amount, Some(m(300)), "partial refund amount");
        ctx.refund_settled(id, &first).await?;
        let rest = ctx
            .refund(id, Some(700))
            .await
            .map_err(|e| format!("refund of the rest: {e}"))?;
        ctx.refund_settled(id, &rest).await?;
        let synced = ctx
            .settle(id, CaptureMethod::Automatic, "refunds", |p| {
                p.amounts.refunded == m(1000)
            })
            .await?;
        check_eq!(
            synced.amounts.received,
            m(1000),
            "received is unchanged by refunds"
        );
        let over = ctx.refund(id, Some(1)).await;
        check!(
            matches!(over, Err(ConnectorError::Rejected { .. })),
            "over-refund should be a processor rejection, got {over:?}"
        );
        Ok(Outcome::Passed)
    })
}

/// Two refunds made with references are each found by theirs (what a router does when a
/// refund's answer was lost), with the refund's id, amount and status as refund sync gives
/// them; a reference never sent finds no refund.
fn refund_lookup_by_reference(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 1000, false).await?;
        let id = &payment.connector_payment_id;
        ctx.capture(id, None, true)
            .await
            .map_err(|e| format!("capture: {e}"))?;
        ctx.settle(id, CaptureMethod::Manual, "capture", |p| {
            p.status == PaymentStatus::Succeeded
        })
        .await?;
        let tag = IdempotencyKey::generate().as_str()[..8].to_owned();
        let mut made = Vec::new();
        for (amount, suffix) in [(300, "a"), (200, "b")] {
            let reference = format!("rf-{tag}-{suffix}");
            let mut req = RefundRequest::new(id.as_str(), t.currency, Some(m(amount)));
            req.reference = Some(reference.clone());
            let refund = ctx
                .c
                .refund(&req)
                .await
                .map_err(|e| format!("refund {reference}: {e}"))?;
            ctx.refund_settled(id, &refund).await?;
            made.push((reference, amount, refund.connector_refund_id));
        }
        let find = |reference: String| {
            let req = RefundLookupRequest {
                connector_payment_id: id.clone(),
                reference,
            };
            let connector = &ctx.c;
            async move {
                connector
                    .find_refund(&req)
                    .await
                    .map_err(|e| format!("refund lookup {}: {e}", req.reference))
            }
        };
        for (reference, amount, refund_id) in &made {
            let Some(found) = find(reference.clone()).await?.refund else {
                return Err(format!(
                    "the refund {reference} was not found by its reference"
                ));
            };
            check_eq!(
                &found.connector_refund_id,
                refund_id,
                format!("refund id found by {reference}")
            );
            check_eq!(
                found.amount,
                Some(m(*amount)),
                format!("amount found by {reference}")
            );
            check_eq!(
                found.status,
                RefundStatus::Succeeded,
                format!("status found by {reference}")
            );
        }
        let unknown = find(format!("rf-{tag}-never-sent")).await?;
        check_eq!(unknown.refund, None, "a refund reference never sent");
        Ok(Outcome::Passed)
    })
}

fn incremental_authorization_twice_then_capture(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 5000, true).await?;
        let id = &payment.connector_payment_id;
        for (current, new_total) in [(5000, 7500), (7500, 9000)] {
            let answer = ctx
                .c
                .increment_authorization(&ctx.increment(id, current, new_total))
                .await
                .map_err(|e| format!("increment to {new_total}: {e}"))?;
            check_eq!(
                answer.status,
                AuthorizationStatus::Success,
                format!("increment to {new_total}")
            );
            check_eq!(
                answer.authorized,
                m(new_total),
                "authorized after increment"
            );
            check_eq!(
                answer.previously_authorized,
                m(current),
                "previously authorized"
            );
            let synced = ctx.sync(id, CaptureMethod::Manual).await?;
            check_eq!(
                synced.status,
                PaymentStatus::RequiresCapture,
                "status after increment"
            );
            check_eq!(
                synced.amounts.authorized,
                m(new_total),
                "synced authorized after increment"
            );
            check_eq!(
                synced.amounts.capturable,
                m(new_total),
                "synced capturable after increment"
            );
        }
        ctx.capture(id, None, true)
            .await
            .map_err(|e| format!("capture: {e}"))?;
        let captured = ctx
            .settle(id, CaptureMethod::Manual, "capture of the new total", |p| {
                p.status == PaymentStatus::Succeeded
            })
            .await?;
        check_eq!(
            captured.amounts.received,
            m(9000),
            "received: the new total"
        );
        Ok(Outcome::Passed)
    })
}

fn increment_not_above_current_is_caught(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 5000, true).await?;
        let before = t.simulator.as_ref().map(counters);
        for new_total in [5000, 4000] {
            let err = ctx
                .c
                .increment_authorization(&ctx.increment(
                    &payment.connector_payment_id,
                    5000,
                    new_total,
                ))
                .await;
            check!(
                matches!(
                    err,
                    Err(ConnectorError::InvalidRequest {
                        field: "new_total",
                        ..
                    })
                ),
                "new total {new_total} should be an invalid request, got {err:?}"
            );
        }
        if let (Some(before), Some(sim)) = (before, &t.simulator) {
            check_eq!(
                counters(sim).requests,
                before.requests,
                "requests sent for invalid increments"
            );
        }
        Ok(Outcome::Passed)
    })
}

fn increment_after_capture_is_rejected(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.authorized(&t.cards.approved, 5000, true).await?;
        let id = &payment.connector_payment_id;
        ctx.capture(id, Some(2000), true)
            .await
            .map_err(|e| format!("capture: {e}"))?;
        ctx.settle(id, CaptureMethod::Manual, "capture", |p| {
            p.amounts.received == m(2000)
        })
        .await?;
        let err = ctx
            .c
            .increment_authorization(&ctx.increment(id, 5000, 6000))
            .await;
        check!(
            matches!(err, Err(ConnectorError::Rejected { .. })),
            "increment after capture should be a typed rejection, got {err:?}"
        );
        Ok(Outcome::Passed)
    })
}

fn extend_authorization(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let Some(mastercard) = &t.cards.mastercard else {
            return Ok(Outcome::Skipped(
                "target has no Mastercard test card".into(),
            ));
        };
        let payment = ctx.authorized(mastercard, 3000, true).await?;
        let answer = ctx
            .c
            .extend_authorization(&ExtendAuthorizationRequest {
                idempotency_key: IdempotencyKey::generate(),
                connector_payment_id: payment.connector_payment_id.clone(),
                currency: t.currency,
                card_network: mastercard.card_network(),
            })
            .await
            .map_err(|e| format!("extend: {e}"))?;
        check_eq!(
            answer.status,
            AuthorizationStatus::Success,
            "extension status"
        );
        check!(
            answer.extended_authorization_applied,
            "extension not applied"
        );
        let synced = ctx
            .sync(&payment.connector_payment_id, CaptureMethod::Manual)
            .await?;
        check_eq!(
            synced.amounts.authorized,
            m(3000),
            "an extension does not change the amount"
        );

        // Networks the connector does not extend are refused before any request.
        let networks = ctx
            .c
            .capabilities()
            .conditions(Flow::ExtendAuthorization)
            .iter()
            .find_map(|c| match c {
                Condition::CardNetworks { networks } => Some(networks.clone()),
                _ => None,
            });
        if let (Some(networks), Some(visa)) = (networks, &t.cards.visa) {
            if !networks.contains(&CardNetwork::Visa) {
                let visa_payment = ctx.authorized(visa, 3000, true).await?;
                let before = t.simulator.as_ref().map(counters);
                let err = ctx
                    .c
                    .extend_authorization(&ExtendAuthorizationRequest {
                        idempotency_key: IdempotencyKey::generate(),
                        connector_payment_id: visa_payment.connector_payment_id,
                        currency: t.currency,
                        card_network: visa.card_network(),
                    })
                    .await;
                check!(
                    matches!(
                        err,
                        Err(ConnectorError::NotSupported {
                            flow: Flow::ExtendAuthorization,
                            ..
                        })
                    ),
                    "extending a Visa authorization should be NotSupported, got {err:?}"
                );
                if let (Some(before), Some(sim)) = (before, &t.simulator) {
                    check_eq!(
                        counters(sim).requests,
                        before.requests,
                        "requests sent for a Visa extension"
                    );
                }
            }
        }
        Ok(Outcome::Passed)
    })
}

fn cancel_post_capture(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let payment = ctx.captured_payment(1500).await?;
        let id = &payment.connector_payment_id;
        let answer = ctx
            .c
            .cancel_post_capture(&CancelPostCaptureRequest {
                reference: None,
                idempotency_key: IdempotencyKey::generate(),
                connector_payment_id: id.clone(),
                currency: t.currency,
                amount_captured: m(1500),
                reason: Some("order cancelled".into()),
            })
            .await
            .map_err(|e| format!("cancel post capture: {e}"))?;
        check!(
            matches!(
                answer.status,
                PaymentStatus::CancelledPostCapture | PaymentStatus::Processing
            ),
            "cancel post capture answered {:?}",
            answer.status
        );
        check_eq!(answer.refund.amount, Some(m(1500)), "refunded amount");
        ctx.refund_settled(id, &answer.refund).await?;
        let synced = ctx
            .settle(id, CaptureMethod::Automatic, "cancel post capture", |p| {
                p.amounts.refunded == m(1500)
            })
            .await?;
        check_eq!(
            synced.amounts.received,
            m(1500),
            "received stays what was captured"
        );
        Ok(Outcome::Passed)
    })
}

fn declined_card_fails_with_details(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let Some((card, expected)) = &t.cards.declined else {
            return Ok(Outcome::Skipped("target has no decline test card".into()));
        };
        let payment = ctx
            .authorize(&ctx.request(card, 1000, CaptureMethod::Manual))
            .await?;
        check_eq!(
            payment.status,
            PaymentStatus::Failed,
            "status of a declined authorization"
        );
        let Some(decline) = &payment.decline else {
            return Err("a decline without decline details".into());
        };
        check_eq!(decline.unified, *expected, "unified decline code");
        check!(
            decline.code.is_some(),
            "decline without the processor's code"
        );
        check_eq!(
            payment.amounts.capturable,
            MinorUnit::ZERO,
            "capturable after a decline"
        );
        Ok(Outcome::Passed)
    })
}

fn three_ds_then_complete_authorize(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let (Some(card), Some(customer)) = (&t.cards.three_ds, &t.customer) else {
            return Ok(Outcome::Skipped(
                "target has no 3DS card or no way to act as the customer".into(),
            ));
        };
        let mut req = ctx.request(card, 2000, CaptureMethod::Manual);
        req.three_ds = ThreeDsPreference::Required;
        req.return_url = "https://merchant.example/return".parse().ok();
        let payment = ctx.authorize(&req).await?;
        check_eq!(
            payment.status,
            PaymentStatus::RequiresCustomerAction,
            "status when 3DS is required"
        );
        let Some(action) = &payment.next_action else {
            return Err("no next action for a 3DS payment".into());
        };
        let redirect_params = customer
            .complete(&payment.connector_payment_id, action)
            .await?;
        let completed = ctx
            .c
            .complete_authorize(&CompleteAuthorizeRequest {
                idempotency_key: IdempotencyKey::generate(),
                connector_payment_id: payment.connector_payment_id.clone(),
                capture_method: CaptureMethod::Manual,
                redirect_params,
            })
            .await
            .map_err(|e| format!("complete authorize: {e}"))?;
        check_eq!(
            completed.status,
            PaymentStatus::RequiresCapture,
            "status after 3DS"
        );
        check_eq!(
            completed.amounts.authorized,
            m(2000),
            "authorized after 3DS"
        );
        Ok(Outcome::Passed)
    })
}

fn bad_credentials(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let mut config = t.config.clone();
        config.api_key = "sk_definitely_not_valid_0000".to_owned().into();
        let connector = (t.build)(&config).map_err(|e| e.to_string())?;
        let ctx = Ctx::new(t)?;
        let err = connector
            .authorize(&ctx.request(&t.cards.approved, 1000, CaptureMethod::Manual))
            .await;
        check!(
            matches!(err, Err(ConnectorError::Authentication(_))),
            "a wrong key should be an authentication error, got {err:?}"
        );
        Ok(Outcome::Passed)
    })
}

fn idempotent_replay(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let sim = match ctx.sim() {
            Ok(sim) => sim,
            Err(skip) => return Ok(skip),
        };
        let before = counters(sim);
        let req = ctx.request(&t.cards.approved, 1200, CaptureMethod::Manual);
        let first = ctx.c.authorize(&req).await;
        let second = ctx.c.authorize(&req).await;
        match (first, second) {
            // Processors that replay answer the same payment twice.
            (Ok(a), Ok(b)) => {
                check_eq!(
                    b.connector_payment_id,
                    a.connector_payment_id,
                    "replayed payment id"
                );
                check_eq!(b.status, a.status, "replayed status");
            }
            // Processors that reject reuse answer the second with an idempotency conflict.
            (Ok(_), Err(ConnectorError::IdempotencyConflict { .. })) => {}
            (a, b) => return Err(format!("replay gave {a:?} then {b:?}")),
        }
        check_eq!(
            counters(sim).authorizations - before.authorizations,
            1,
            "authorizations performed"
        );
        Ok(Outcome::Passed)
    })
}

fn fault_503_then_success(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let sim = match ctx.sim() {
            Ok(sim) => sim,
            Err(skip) => return Ok(skip),
        };
        // An authorization may take several requests (Stripe creates a PaymentMethod for a
        // raw card first): count a clean one's.
        let clean = counters(sim);
        ctx.authorized(&t.cards.approved, 1300, false).await?;
        let per_authorization = counters(sim).requests - clean.requests;
        let before = counters(sim);
        sim.inject(Fault::Status {
            status: 503,
            retry_after_secs: None,
        });
        let req = ctx.request(&t.cards.approved, 1300, CaptureMethod::Manual);
        let result = ctx.c.authorize(&req).await;
        let after = counters(sim);
        match result {
            Ok(payment) => {
                check_eq!(
                    payment.status,
                    PaymentStatus::RequiresCapture,
                    "status after a retried 503"
                );
                check_eq!(
                    after.requests - before.requests,
                    per_authorization + 1,
                    "requests: the authorization's, and the 503's retry"
                );
            }
            // A processor whose key semantics forbid retrying a 5xx surfaces it instead.
            Err(ConnectorError::Processor { .. }) => {
                check_eq!(
                    after.requests - before.requests,
                    1,
                    "requests without a retry"
                );
            }
            Err(e) => return Err(format!("authorize after a 503: {e}")),
        }
        check!(
            after.authorizations - before.authorizations <= 1,
            "a retry charged twice"
        );
        Ok(Outcome::Passed)
    })
}

fn timeout_is_unknown_then_sync_tells(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let sim = match ctx.sim() {
            Ok(sim) => sim,
            Err(skip) => return Ok(skip),
        };
        let payment = ctx.authorized(&t.cards.approved, 1400, false).await?;
        let mut config = t.config.clone();
        config.execution.timeouts.request = Duration::from_millis(300);
        let impatient = (t.build)(&config).map_err(|e| e.to_string())?;
        sim.inject(Fault::Delay {
            duration: Duration::from_millis(1500),
            after_processing: true,
        });
        let before = counters(sim);
        let err = impatient
            .capture(&CaptureRequest::new(
                &payment.connector_payment_id,
                t.currency,
                None,
            ))
            .await;
        match &err {
            Err(e @ ConnectorError::Timeout { .. }) => check!(
                e.outcome_unknown(),
                "a timed-out capture must be outcome_unknown"
            ),
            other => return Err(format!("expected a timeout, got {other:?}")),
        }
        check_eq!(
            counters(sim).captures - before.captures,
            1,
            "captures performed despite the timeout"
        );
        let synced = ctx
            .settle(
                &payment.connector_payment_id,
                CaptureMethod::Manual,
                "timed-out capture",
                |p| p.status == PaymentStatus::Succeeded,
            )
            .await?;
        check_eq!(
            synced.amounts.received,
            m(1400),
            "sync shows the capture that timed out"
        );
        Ok(Outcome::Passed)
    })
}

fn validation_error_is_not_retried(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let sim = match ctx.sim() {
            Ok(sim) => sim,
            Err(skip) => return Ok(skip),
        };
        let before = counters(sim);
        sim.inject(Fault::Status {
            status: 422,
            retry_after_secs: None,
        });
        let err = ctx
            .c
            .authorize(&ctx.request(&t.cards.approved, 1000, CaptureMethod::Manual))
            .await;
        check!(
            matches!(
                err,
                Err(ConnectorError::Rejected {
                    kind: RejectionKind::Validation,
                    ..
                })
            ),
            "a 422 should be a validation rejection, got {err:?}"
        );
        check_eq!(
            counters(sim).requests - before.requests,
            1,
            "requests for a 422"
        );
        Ok(Outcome::Passed)
    })
}

fn signed_webhooks_verify_and_forgeries_fail(t: &Target) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let ctx = Ctx::new(t)?;
        let sim = match ctx.sim() {
            Ok(sim) => sim,
            Err(skip) => return Ok(skip),
        };
        let receiver = WebhookReceiver::start().await?;
        sim.set_webhook_target(Some(receiver.url()?));
        let payment = ctx.authorized(&t.cards.approved, 1600, false).await;
        let id = match payment {
            Ok(p) => p.connector_payment_id,
            Err(e) => {
                sim.set_webhook_target(None);
                return Err(e);
            }
        };
        let verify = |headers: &HeaderMap, body: &[u8]| {
            ctx.c.verify_webhook(&IncomingWebhook {
                headers,
                body,
                received_at: time::OffsetDateTime::now_utc(),
            })
        };
        // Processors send several events per payment (Stripe: `payment_intent.created` first);
        // wait for the one that says the payment was authorized.
        let delivery = receiver
            .wait_for(
                |r| {
                    String::from_utf8_lossy(&r.body).contains(&id)
                        && verify(&r.headers, &r.body)
                            .is_ok_and(|e| e.kind == WebhookEventKind::Authorized)
                },
                Duration::from_secs(5),
            )
            .await;
        sim.set_webhook_target(None);
        for other in receiver.all() {
            if let Err(e) = verify(&other.headers, &other.body) {
                return Err(format!("a genuine delivery was refused: {e}"));
            }
        }
        let Some(delivery) = delivery else {
            return Err("no delivery for the payment mapped to an authorization".into());
        };
        let event = verify(&delivery.headers, &delivery.body)
            .map_err(|e| format!("genuine webhook refused: {e}"))?;
        check_eq!(
            event.connector_payment_id.as_deref(),
            Some(id.as_str()),
            "webhook payment id"
        );
        check!(!event.event_id.is_empty(), "webhook without an event id");

        // The same body with one byte changed.
        let mut altered = delivery.body.to_vec();
        if let Some(pos) = altered.iter().position(|b| b.is_ascii_digit()) {
            altered[pos] = if altered[pos] == b'9' {
                b'1'
            } else {
                altered[pos] + 1
            };
        }
        check!(
            verify(&delivery.headers, &altered).is_err(),
            "an altered body verified"
        );

        // Every signature-like header replaced by a forgery of the right shape.
        let mut forged = HeaderMap::new();
        for (name, value) in &delivery.headers {
            let text = value.to_str().unwrap_or_default();
            let fake: String = text
                .chars()
                .map(|c| {
                    if c.is_ascii_hexdigit() && c != '0' {
                        '0'
                    } else {
                        c
                    }
                })
                .collect();
            let header = HeaderValue::from_str(&fake).unwrap_or_else(|_| value.clone());
            forged.insert(HeaderName::from(name), header);
        }
        check!(
            verify(&forged, &delivery.body).is_err(),
            "a forged signature verified"
        );
        check!(
            verify(&HeaderMap::new(), &delivery.body).is_err(),
            "an unsigned webhook verified"
        );
        Ok(Outcome::Passed)
    })
}
