//! The two traits: [`Translator`], which a connector crate implements as pure functions, and
//! [`Connector`], the object-safe async trait a router calls. [`HttpConnector`] turns the
//! first into the second by running each flow's exchanges through the [`Executor`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::capabilities::{Capabilities, Flow};
use crate::config::{ConfigError, ExecutionSettings};
use crate::error::ConnectorError;
use crate::executor::{CallContext, Executor, WireProfile};
use crate::http::{Exchange, Plan, Step};
use crate::request::*;
use crate::response::*;
use crate::wallet::{SessionTokenRequest, SessionTokenResponse};
use crate::webhook::{IncomingWebhook, WebhookError, WebhookEvent};

/// One processor's wire translation: unified request → HTTP request, HTTP response → unified
/// response. No I/O, no sleeping, no retries.
///
/// Every flow has a default that returns [`ConnectorError::NotSupported`]; a connector writes
/// only the flows it supports and lists them in [`Translator::capabilities`]. Requests reach a
/// flow already validated (`validate()`), and only if the capabilities list the flow.
pub trait Translator: Send + Sync + 'static {
    /// The connector's id, e.g. `"checkout"`.
    fn id(&self) -> &'static str;

    /// The published feature matrix.
    fn capabilities(&self) -> Capabilities;

    /// Idempotency header, replay semantics, retry hints and extra masked fields.
    fn wire_profile(&self) -> WireProfile;

    /// Authorize (and maybe capture) a payment.
    fn authorize(
        &self,
        _req: &AuthorizeRequest,
    ) -> Result<Exchange<AuthorizeResponse>, ConnectorError> {
        Err(self.unsupported(Flow::Authorize))
    }

    /// Raise an authorization to a new total.
    fn increment_authorization(
        &self,
        _req: &IncrementalAuthorizationRequest,
    ) -> Result<Exchange<IncrementalAuthorizationResponse>, ConnectorError> {
        Err(self.unsupported(Flow::IncrementalAuthorization))
    }

    /// Extend an authorization's validity.
    fn extend_authorization(
        &self,
        _req: &ExtendAuthorizationRequest,
    ) -> Result<Exchange<ExtendAuthorizationResponse>, ConnectorError> {
        Err(self.unsupported(Flow::ExtendAuthorization))
    }

    /// Capture.
    fn capture(&self, _req: &CaptureRequest) -> Result<Exchange<CaptureResponse>, ConnectorError> {
        Err(self.unsupported(Flow::Capture))
    }

    /// Void.
    fn void(&self, _req: &VoidRequest) -> Result<Exchange<VoidResponse>, ConnectorError> {
        Err(self.unsupported(Flow::Void))
    }

    /// Cancel a captured payment.
    fn cancel_post_capture(
        &self,
        _req: &CancelPostCaptureRequest,
    ) -> Result<Exchange<CancelPostCaptureResponse>, ConnectorError> {
        Err(self.unsupported(Flow::CancelPostCapture))
    }

    /// Refund.
    fn refund(&self, _req: &RefundRequest) -> Result<Exchange<RefundResponse>, ConnectorError> {
        Err(self.unsupported(Flow::Refund))
    }

    /// Read a payment.
    fn sync_payment(
        &self,
        _req: &PaymentSyncRequest,
    ) -> Result<Exchange<PaymentSyncResponse>, ConnectorError> {
        Err(self.unsupported(Flow::PaymentSync))
    }

    /// Read a refund.
    fn sync_refund(
        &self,
        _req: &RefundSyncRequest,
    ) -> Result<Exchange<RefundSyncResponse>, ConnectorError> {
        Err(self.unsupported(Flow::RefundSync))
    }

    /// Find a payment by our reference.
    fn find_payment(
        &self,
        _req: &PaymentLookupRequest,
    ) -> Result<Exchange<PaymentLookupResponse>, ConnectorError> {
        Err(self.unsupported(Flow::PaymentLookup))
    }

    /// Find a refund of a payment by our reference.
    fn find_refund(
        &self,
        _req: &RefundLookupRequest,
    ) -> Result<Exchange<RefundLookupResponse>, ConnectorError> {
        Err(self.unsupported(Flow::RefundLookup))
    }

    /// Finish an authorization after a customer action.
    fn complete_authorize(
        &self,
        _req: &CompleteAuthorizeRequest,
    ) -> Result<Exchange<CompleteAuthorizeResponse>, ConnectorError> {
        Err(self.unsupported(Flow::CompleteAuthorize))
    }

    /// What a front end needs to open wallet sheets: built from configuration
    /// ([`Plan::Ready`]) or fetched from the processor.
    fn session_token(
        &self,
        _req: &SessionTokenRequest,
    ) -> Result<Plan<SessionTokenResponse>, ConnectorError> {
        Err(self.unsupported(Flow::SessionToken))
    }

    /// Verify a webhook's signature over its raw body and map it.
    fn verify_webhook(&self, _webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError> {
        Err(WebhookError::NotSupported)
    }

    /// The `NotSupported` error for `flow`.
    fn unsupported(&self, flow: Flow) -> ConnectorError {
        ConnectorError::not_supported(self.id(), flow, "not implemented by this connector")
    }
}

/// A payment processor, as a router uses it: one async method per flow, object-safe so a router
/// can hold `Arc<dyn Connector>` and pick one by name at run time.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The connector's id.
    fn id(&self) -> &'static str;
    /// The published feature matrix.
    fn capabilities(&self) -> &Capabilities;
    /// Authorize (and maybe capture) a payment.
    async fn authorize(&self, req: &AuthorizeRequest) -> Result<AuthorizeResponse, ConnectorError>;
    /// Raise an authorization to `req.new_total`.
    async fn increment_authorization(
        &self,
        req: &IncrementalAuthorizationRequest,
    ) -> Result<IncrementalAuthorizationResponse, ConnectorError>;
    /// Extend an authorization's validity.
    async fn extend_authorization(
        &self,
        req: &ExtendAuthorizationRequest,
    ) -> Result<ExtendAuthorizationResponse, ConnectorError>;
    /// Capture.
    async fn capture(&self, req: &CaptureRequest) -> Result<CaptureResponse, ConnectorError>;
    /// Void.
    async fn void(&self, req: &VoidRequest) -> Result<VoidResponse, ConnectorError>;
    /// Cancel a captured payment by refunding it.
    async fn cancel_post_capture(
        &self,
        req: &CancelPostCaptureRequest,
    ) -> Result<CancelPostCaptureResponse, ConnectorError>;
    /// Refund.
    async fn refund(&self, req: &RefundRequest) -> Result<RefundResponse, ConnectorError>;
    /// Read a payment.
    async fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<PaymentSyncResponse, ConnectorError>;
    /// Read a refund.
    async fn sync_refund(
        &self,
        req: &RefundSyncRequest,
    ) -> Result<RefundSyncResponse, ConnectorError>;
    /// Find a payment by our reference.
    async fn find_payment(
        &self,
        req: &PaymentLookupRequest,
    ) -> Result<PaymentLookupResponse, ConnectorError>;
    /// Find a refund of a payment by our reference.
    async fn find_refund(
        &self,
        req: &RefundLookupRequest,
    ) -> Result<RefundLookupResponse, ConnectorError>;
    /// Finish an authorization after a customer action.
    async fn complete_authorize(
        &self,
        req: &CompleteAuthorizeRequest,
    ) -> Result<CompleteAuthorizeResponse, ConnectorError>;
    /// Produce wallet session data.
    async fn session_token(
        &self,
        req: &SessionTokenRequest,
    ) -> Result<SessionTokenResponse, ConnectorError>;
    /// Verify and map a webhook.
    fn verify_webhook(&self, webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError>;
}

/// The most exchanges one flow may chain; a guard against a translator that never finishes.
pub(crate) const MAX_STEPS: usize = 4;
/// The most exchanges a lookup by reference may chain: it may page through a processor's
/// list ([`Flow::PaymentLookup`], [`Flow::RefundLookup`]), reading only.
pub const MAX_LOOKUP_STEPS: usize = 32;

/// A [`Translator`] joined to an [`Executor`]: the [`Connector`] implementation every
/// connector crate gets for free.
pub struct HttpConnector<T> {
    translator: T,
    capabilities: Capabilities,
    profile: WireProfile,
    executor: Executor,
    settings: ExecutionSettings,
}

impl<T: Translator> HttpConnector<T> {
    /// Joins `translator` to a new executor with `settings`.
    pub fn new(translator: T, settings: ExecutionSettings) -> Result<Self, ConnectorError> {
        let executor = Executor::new(settings.timeouts.connect)?;
        Ok(HttpConnector::with_executor(translator, executor, settings))
    }

    /// Joins `translator` to a shared executor (one connection pool for many connectors).
    pub fn with_executor(translator: T, executor: Executor, settings: ExecutionSettings) -> Self {
        HttpConnector {
            capabilities: translator.capabilities(),
            profile: translator.wire_profile(),
            translator,
            executor,
            settings,
        }
    }

    /// The translator.
    pub fn translator(&self) -> &T {
        &self.translator
    }

    /// Joins `translator` to a new executor and boxes it for a router's registry: what a
    /// connector crate's `connector(&config)` returns.
    pub fn boxed(
        translator: T,
        settings: ExecutionSettings,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        let id = translator.id();
        HttpConnector::new(translator, settings)
            .map(HttpConnector::into_dyn)
            .map_err(|e| ConfigError::Invalid {
                key: id.to_owned(),
                message: e.to_string(),
            })
    }

    /// Boxes this connector for a router's registry.
    pub fn into_dyn(self) -> Arc<dyn Connector> {
        Arc::new(self)
    }

    async fn run<R: 'static, P: Into<Plan<R>>>(
        &self,
        flow: Flow,
        validation: Result<(), ConnectorError>,
        translate: impl FnOnce(&T) -> Result<P, ConnectorError>,
    ) -> Result<R, ConnectorError> {
        if !self.capabilities.supports(flow) {
            return Err(ConnectorError::not_supported(
                self.translator.id(),
                flow,
                "not in this connector's capabilities",
            ));
        }
        validation?;
        let started = std::time::Instant::now();
        let result = self.exchange(flow, translate).await;
        let connector = self.translator.id();
        let outcome = match &result {
            Ok(_) => "ok",
            Err(err) => err.kind_name(),
        };
        metrics::counter!(
            "paybridge_connector_calls_total",
            "connector" => connector, "flow" => flow.name(), "outcome" => outcome
        )
        .increment(1);
        metrics::histogram!(
            "paybridge_connector_call_duration_seconds",
            "connector" => connector, "flow" => flow.name()
        )
        .record(started.elapsed().as_secs_f64());
        result
    }

    /// Translates, sends and parses, step after step, until the flow has its answer.
    async fn exchange<R: 'static, P: Into<Plan<R>>>(
        &self,
        flow: Flow,
        translate: impl FnOnce(&T) -> Result<P, ConnectorError>,
    ) -> Result<R, ConnectorError> {
        let exchange = match translate(&self.translator)?.into() {
            Plan::Ready(answer) => return Ok(answer),
            Plan::Send(exchange) => *exchange,
        };
        let ctx = CallContext {
            connector: self.translator.id(),
            flow: flow.name(),
            profile: &self.profile,
            retry: &self.settings.retry,
            request_timeout: self.settings.timeouts.request,
        };
        let max_steps = match flow {
            Flow::PaymentLookup | Flow::RefundLookup => MAX_LOOKUP_STEPS,
            _ => MAX_STEPS,
        };
        run_exchange(&self.executor, ctx, exchange, max_steps).await
    }
}

/// Sends `exchange` and the ones its answers lead to, at most `max_steps`, and returns the
/// flow's answer. A failure of a step that moves no money is never an unknown outcome.
pub(crate) async fn run_exchange<R: 'static>(
    executor: &Executor,
    ctx: CallContext<'_>,
    mut exchange: Exchange<R>,
    max_steps: usize,
) -> Result<R, ConnectorError> {
    for _ in 0..max_steps {
        // A step that moves no money (a read, or e.g. storing a card first) leaves nothing
        // to reconcile when it fails, however it failed.
        let harmless = exchange.moves_no_money();
        let (request, parse) = exchange.into_parts();
        let harmless = harmless || !request.is_mutating();
        let response = match executor.send(ctx, &request).await {
            Ok(response) => response,
            Err(error) if harmless => return Err(error.for_read()),
            Err(error) => return Err(error),
        };
        match parse(response) {
            Ok(Step::Done(answer)) => return Ok(answer),
            Ok(Step::Next(next)) => exchange = *next,
            Err(error) if harmless => return Err(error.for_read()),
            Err(error) => return Err(error),
        }
    }
    Err(ConnectorError::InvalidResponse {
        http_status: 0,
        message: format!("{} needed more than {max_steps} calls", ctx.flow),
        outcome_unknown: true,
    })
}

#[async_trait]
impl<T: Translator> Connector for HttpConnector<T> {
    fn id(&self) -> &'static str {
        self.translator.id()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn authorize(&self, req: &AuthorizeRequest) -> Result<AuthorizeResponse, ConnectorError> {
        if req.external_authentication.is_some() && !self.capabilities.external_authentication {
            return Err(ConnectorError::not_supported(
                self.translator.id(),
                Flow::Authorize,
                "this connector takes no external 3DS result",
            ));
        }
        self.run(Flow::Authorize, req.validate(), |t| t.authorize(req))
            .await
    }

    async fn increment_authorization(
        &self,
        req: &IncrementalAuthorizationRequest,
    ) -> Result<IncrementalAuthorizationResponse, ConnectorError> {
        self.run(Flow::IncrementalAuthorization, req.validate(), |t| {
            t.increment_authorization(req)
        })
        .await
    }

    async fn extend_authorization(
        &self,
        req: &ExtendAuthorizationRequest,
    ) -> Result<ExtendAuthorizationResponse, ConnectorError> {
        self.run(Flow::ExtendAuthorization, req.validate(), |t| {
            t.extend_authorization(req)
        })
        .await
    }

    async fn capture(&self, req: &CaptureRequest) -> Result<CaptureResponse, ConnectorError> {
        self.run(Flow::Capture, req.validate(), |t| t.capture(req))
            .await
    }

    async fn void(&self, req: &VoidRequest) -> Result<VoidResponse, ConnectorError> {
        self.run(Flow::Void, req.validate(), |t| t.void(req)).await
    }

    async fn cancel_post_capture(
        &self,
        req: &CancelPostCaptureRequest,
    ) -> Result<CancelPostCaptureResponse, ConnectorError> {
        self.run(Flow::CancelPostCapture, req.validate(), |t| {
            t.cancel_post_capture(req)
        })
        .await
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResponse, ConnectorError> {
        self.run(Flow::Refund, req.validate(), |t| t.refund(req))
            .await
    }

    async fn sync_payment(
        &self,
        req: &PaymentSyncRequest,
    ) -> Result<PaymentSyncResponse, ConnectorError> {
        self.run(Flow::PaymentSync, req.validate(), |t| t.sync_payment(req))
            .await
    }

    async fn sync_refund(
        &self,
        req: &RefundSyncRequest,
    ) -> Result<RefundSyncResponse, ConnectorError> {
        self.run(Flow::RefundSync, req.validate(), |t| t.sync_refund(req))
            .await
    }

    async fn find_payment(
        &self,
        req: &PaymentLookupRequest,
    ) -> Result<PaymentLookupResponse, ConnectorError> {
        self.run(Flow::PaymentLookup, req.validate(), |t| t.find_payment(req))
            .await
    }

    async fn find_refund(
        &self,
        req: &RefundLookupRequest,
    ) -> Result<RefundLookupResponse, ConnectorError> {
        self.run(Flow::RefundLookup, req.validate(), |t| t.find_refund(req))
            .await
    }

    async fn complete_authorize(
        &self,
        req: &CompleteAuthorizeRequest,
    ) -> Result<CompleteAuthorizeResponse, ConnectorError> {
        self.run(Flow::CompleteAuthorize, req.validate(), |t| {
            t.complete_authorize(req)
        })
        .await
    }

    async fn session_token(
        &self,
        req: &SessionTokenRequest,
    ) -> Result<SessionTokenResponse, ConnectorError> {
        self.run(Flow::SessionToken, req.validate(), |t| t.session_token(req))
            .await
    }

    fn verify_webhook(&self, webhook: &IncomingWebhook<'_>) -> Result<WebhookEvent, WebhookError> {
        if !self.capabilities.supports(Flow::Webhooks) {
            return Err(WebhookError::NotSupported);
        }
        self.translator.verify_webhook(webhook)
    }
}
