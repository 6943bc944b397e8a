//! Capturing everything the suite logs at TRACE, and checking it for secrets.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Outcome, Target};

/// A process-wide TRACE subscriber writing into memory. Process-wide because a thread-scoped
/// subscriber can miss events from other threads (the executor runs on the runtime's threads).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Installs the capture as the global subscriber; `None` if one is already installed.
    pub fn install() -> Option<LogCapture> {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).ok()?;
        Some(capture)
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The CVC every suite card uses; looked for next to a CVC field name, since three digits
/// alone appear in amounts and timestamps.
pub const TEST_CVC: &str = "737";

/// Looks through everything `logs` captured for `target`'s secrets (card numbers, tokens, API
/// keys, webhook secrets, the test CVC) and for proof that bodies were logged masked: fails
/// when one leaked, or when no processor answered (so the answers were never checked).
pub fn check_for_secrets(logs: &LogCapture, target: &Target) -> Outcome {
    let text = logs.text();
    if text.is_empty() {
        return Outcome::Failed(
            "nothing was captured: is the capture the global subscriber?".into(),
        );
    }
    if !text.contains("processor_call") {
        return Outcome::Skipped("the run made no processor call".into());
    }
    // Answers are logged too and must be checked: a run the processor never answered has not
    // shown that they are masked.
    if !text.contains("response body") {
        return Outcome::Failed(
            "no processor answered: the logged answers could not be checked".into(),
        );
    }
    let mut leaks = Vec::new();
    let (numbers, tokens) = target.payment_method_secrets();
    for pan in &numbers {
        if text.contains(pan.as_str()) {
            leaks.push(format!("card number {}…", &pan[..6]));
        }
    }
    for token in &tokens {
        if text.contains(token.as_str()) {
            leaks.push(format!(
                "payment method token {}…",
                token.get(..4).unwrap_or_default()
            ));
        }
    }
    for secret in &target.secrets {
        if !secret.is_empty() && text.contains(secret.as_str()) {
            leaks.push("a configured secret (API key or webhook secret)".to_owned());
        }
    }
    for personal in crate::details::PERSONAL_DATA {
        if text.contains(personal) {
            leaks.push(format!("personal data ({personal})"));
        }
    }
    let cvc_shapes = ["\"cvv\":\"", "\"cvc\":\"", "cvc]=", "cvv=", "cvc="];
    if cvc_shapes
        .iter()
        .any(|shape| text.contains(&format!("{shape}{TEST_CVC}")))
    {
        leaks.push("the test CVC".to_owned());
    }
    // Bodies must be logged with names visible: the masked field proves both.
    let masked_field = if numbers.is_empty() {
        ["\":\"***\"", "]=***"]
            .iter()
            .any(|shape| text.contains(shape))
    } else {
        text.contains("\"number\":\"***\"") || text.contains("[number]=***")
    };
    if !masked_field {
        leaks.push("no masked field seen: bodies were not logged with names".to_owned());
    }
    if leaks.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!("logs contain: {}", leaks.join(", ")))
    }
}
