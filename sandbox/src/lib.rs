//! # paybridge-sandbox
//!
//! Stateful, in-memory simulators of payment processors' HTTP APIs, served on `127.0.0.1`, so
//! connectors are tested against the processor's real paths, auth, status codes, body shapes,
//! state rules, idempotency semantics and signed webhooks without reaching the processor.
//!
//! - [`control`] is processor-agnostic: the server (its own accept loop, so a fault can drop a
//!   single connection), fault injection, request and operation counters, idempotency storage,
//!   the webhook outbox and its delivery, shutdown. A simulator supplies an axum `Router` and its
//!   processor-specific rules.
//! - [`checkout`] simulates Checkout.com's payments API.
//! - [`stripe`] simulates Stripe's PaymentIntents API (cards, API version 2024-04-10).
//! - [`primer`] simulates Primer's Payments API (payment-method tokens, API version 2.2 shapes).
//! - [`apple_pay`] simulates Apple Pay's merchant validation endpoint over mutual TLS, with a
//!   test PKI made at run time.
//! - [`threedsecureio`] simulates 3dsecure.io's 3-D Secure Server API (external 3DS: card
//!   ranges, AReq/ARes, RReq) and what it fronts: directory servers and an ACS with a 3DS
//!   Method page and a challenge page.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use paybridge_sandbox::checkout::{self, CheckoutSimConfig};
//! use paybridge_sandbox::Fault;
//!
//! let sim = checkout::start(CheckoutSimConfig::default()).await?;
//! println!("Checkout.com simulator on {}", sim.base_url());
//! sim.inject(Fault::Status { status: 503, retry_after_secs: None });
//! // ... run a connector against sim.base_url() ...
//! assert_eq!(sim.counters().requests, 0);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod apple_pay;
pub mod checkout;
pub mod control;
pub mod primer;
pub mod stripe;
pub mod threedsecureio;
pub mod wallet_tokens;
// add-connector: simulators

pub use control::{CounterSnapshot, DeliveredWebhook, Fault, SimulatorHandle};
