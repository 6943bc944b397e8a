//! # paybridge-core
//!
//! The unified vocabulary of paybridge — money, cards, one request and one response type per
//! flow, statuses, errors, capabilities, webhooks — and the two traits that connect it to
//! processors:
//!
//! * [`Translator`]: what a connector crate implements. Pure functions from a unified request
//!   to an [`http::HttpRequest`] and from an [`http::HttpResponse`] back to a unified response.
//! * [`Connector`]: what a router calls, object-safe and async. [`HttpConnector`] implements it
//!   for any translator by sending its requests through the [`Executor`], which owns timeouts,
//!   retries, idempotency headers, tracing and masking.
//!
//! A connector that supports two flows writes two flows; the rest answer
//! [`ConnectorError::NotSupported`] without any I/O:
//!
//! ```
//! use paybridge_core::http::{endpoint, Exchange, HttpRequest};
//! use paybridge_core::*;
//!
//! struct Toy { base: url::Url }
//!
//! impl Translator for Toy {
//!     fn id(&self) -> &'static str { "toy" }
//!     fn capabilities(&self) -> Capabilities { Capabilities::new("toy").support(Flow::Void, []) }
//!     fn wire_profile(&self) -> WireProfile {
//!         WireProfile {
//!             idempotency_header: "idempotency-key",
//!             key_reuse: KeyReuse::ReplaysSuccess,
//!             retry_hint: no_retry_hint,
//!             sensitive_fields: &[],
//!         }
//!     }
//!     fn void(&self, req: &VoidRequest) -> Result<Exchange<VoidResponse>, ConnectorError> {
//!         let url = endpoint(&self.base, &["payments", &req.connector_payment_id, "void"])?;
//!         let request = HttpRequest::post(url).idempotency_key(&req.idempotency_key);
//!         Ok(Exchange::new(request, |resp| {
//!             if !resp.is_success() {
//!                 return Err(resp.error(ProcessorMessage::default()));
//!             }
//!             Ok(VoidResponse { connector_void_id: None, status: PaymentStatus::Cancelled, raw_status: "voided".into() })
//!         }))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ConnectorError> {
//! let toy = Toy { base: "http://127.0.0.1:9".parse().unwrap() };
//! let connector = HttpConnector::new(toy, ExecutionSettings::default())?.into_dyn();
//! let refund = RefundRequest::new("pay_1", Currency::USD, None);
//! let err = connector.refund(&refund).await.unwrap_err();
//! assert!(matches!(err, ConnectorError::NotSupported { flow: Flow::Refund, .. }));
//! # Ok(()) }
//! ```
//!
//! Amounts are integer minor units ([`MinorUnit`]) with a [`Currency`] that knows its exponent;
//! card numbers and CVCs are secrets that never print in full; declines are `Ok` responses with
//! [`DeclineDetails`], while [`ConnectorError`] means no verdict was obtained.

pub mod authentication;
pub mod capabilities;
pub mod config;
pub mod connector;
pub mod details;
pub mod error;
pub mod executor;
pub mod http;
pub mod masking;
pub mod merchant_events;
pub mod money;
pub mod payment_method;
pub mod request;
pub mod response;
pub mod status;
pub mod wallet;
pub mod webhook;

pub use capabilities::{Capabilities, Condition, Flow, FlowSupport, WalletSupport};
pub use config::{ConfigError, ConnectorConfig, ExecutionSettings};
pub use connector::{Connector, HttpConnector, Translator};
pub use error::{ConnectorError, DeclineCode, DeclineDetails, ProcessorMessage, RejectionKind};
pub use executor::{
    no_retry_hint, ClientTls, Executor, KeyReuse, RetryPolicy, Timeouts, WireProfile,
};
pub use money::{AmountError, Currency, MinorUnit};
pub use payment_method::{
    Card, CardError, CardExpiry, CardNetwork, CardNumber, Cvc, PaymentMethod, PaymentMethodToken,
};
pub use request::*;
pub use response::*;
pub use status::{AuthorizationStatus, PaymentStatus, RefundStatus};
pub use wallet::{
    SessionTokenRequest, SessionTokenResponse, Wallet, WalletMerchant, WalletSession, WalletToken,
};
pub use webhook::{
    IncomingWebhook, SignatureEncoding, WebhookError, WebhookEvent, WebhookEventKind,
    WebhookSecrets,
};

/// Re-exported so connectors and tests name the same versions.
pub use secrecy;
pub use time;
pub use url;
