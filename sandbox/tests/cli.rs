//! The simulators binary's command line, run as a user runs it.

use std::process::{Command, Stdio};

fn sandbox(args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paybridge-sandbox"));
    command.args(args).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PAYBRIDGE_SIM_") {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("the sandbox runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    let (code, help, _) = sandbox(&["--help"]);
    assert_eq!(code, Some(0), "{help}");
    for (flag, variable) in [
        ("--port", "PAYBRIDGE_SIM_CHECKOUT_PORT"),
        ("--stripe-port", "PAYBRIDGE_SIM_STRIPE_PORT"),
        ("--primer-port", "PAYBRIDGE_SIM_PRIMER_PORT"),
        ("--checkout-secret-key", "PAYBRIDGE_SIM_CHECKOUT_SECRET_KEY"),
        (
            "--checkout-processing-channel-id",
            "PAYBRIDGE_SIM_CHECKOUT_PROCESSING_CHANNEL_ID",
        ),
        (
            "--checkout-webhook-secret",
            "PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_SECRET",
        ),
        (
            "--checkout-webhook-url",
            "PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL",
        ),
        ("--stripe-secret-key", "PAYBRIDGE_SIM_STRIPE_SECRET_KEY"),
        (
            "--stripe-webhook-secret",
            "PAYBRIDGE_SIM_STRIPE_WEBHOOK_SECRET",
        ),
        ("--stripe-webhook-url", "PAYBRIDGE_SIM_STRIPE_WEBHOOK_URL"),
        ("--primer-api-key", "PAYBRIDGE_SIM_PRIMER_API_KEY"),
        (
            "--primer-webhook-secret",
            "PAYBRIDGE_SIM_PRIMER_WEBHOOK_SECRET",
        ),
        ("--primer-webhook-url", "PAYBRIDGE_SIM_PRIMER_WEBHOOK_URL"),
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
        assert!(help.contains(variable), "{variable} missing from:\n{help}");
    }
    let (code, version, _) = sandbox(&["--version"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        version.trim(),
        format!("paybridge-sandbox {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_arguments_print_the_usage_and_exit_2() {
    let (code, _, err) = sandbox(&["--bogus"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--bogus") && err.contains("Usage:"), "{err}");
    let (code, _, err) = sandbox(&["--port", "70000"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--port"), "{err}");
    let (code, _, err) = sandbox(&["--stripe-webhook-url", "not a url"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--stripe-webhook-url"), "{err}");
}
