//! Runs the conformance suite against live processor sandboxes and prints a table of scenario ×
//! connector results. Connectors without credentials are listed with the variables to set.
//!
//! `cargo run -p paybridge-connector-tests --bin live-sandbox -- [connector …]`
//! (`scripts/sandbox-tests.sh` loads a git-ignored `.env` first). Exits 1 when a scenario
//! failed, 0 otherwise — including when no credentials are set.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use paybridge_connector_tests::targets::{self, CONNECTORS};
use paybridge_connector_tests::{
    run_with_logs, skip_message, LogCapture, Outcome, Report, SCENARIOS,
};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut entries = Vec::new();
    for name in &args {
        match targets::connector(name) {
            Some(entry) => entries.push(entry),
            None => {
                let known: Vec<_> = CONNECTORS.iter().map(|c| c.name).collect();
                eprintln!("unknown connector {name:?}; known: {}", known.join(", "));
                return std::process::ExitCode::from(2);
            }
        }
    }
    if entries.is_empty() {
        entries = CONNECTORS.iter().collect();
    }
    let logs = LogCapture::install();
    let mut reports: Vec<(&str, Report)> = Vec::new();
    let mut unconfigured = Vec::new();
    for entry in entries {
        match (entry.live)() {
            Ok(Some(target)) => {
                println!("{}: {}", target.label, target.config.base_url);
                for line in target.cards.describe() {
                    println!("  {line}");
                }
                reports.push((entry.name, run_with_logs(&target, logs.as_ref()).await))
            }
            Ok(None) => unconfigured.push(skip_message(entry.name, entry.live_variables)),
            Err(e) => unconfigured.push(format!("{}: bad configuration: {e}", entry.name)),
        }
    }
    for line in &unconfigured {
        println!("{line}");
    }
    if reports.is_empty() {
        println!("no live sandbox configured; nothing to run");
        return std::process::ExitCode::SUCCESS;
    }
    print!("{}", matrix(&reports));
    let failed = reports.iter().any(|(_, r)| !r.failures().is_empty());
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// Rows are scenarios, columns connectors; skip reasons and failure messages follow the table.
fn matrix(reports: &[(&str, Report)]) -> String {
    let mut rows: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    rows.push("logs_hold_no_secrets");
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(10);
    let mut out = format!("{:<width$}", "scenario");
    for (name, _) in reports {
        let _ = write!(out, "  {name:<10}");
    }
    out.push('\n');
    let mut notes = BTreeMap::new();
    for row in rows {
        let _ = write!(out, "{row:<width$}");
        for (name, report) in reports {
            let outcome = report
                .results
                .iter()
                .find(|(n, _)| *n == row)
                .map(|(_, o)| o);
            let cell = match outcome {
                Some(Outcome::Passed) => "passed",
                Some(Outcome::Skipped(reason)) => {
                    notes.insert(format!("{name} / {row}"), format!("skipped: {reason}"));
                    "skipped"
                }
                Some(Outcome::Failed(message)) => {
                    notes.insert(format!("{name} / {row}"), format!("FAILED: {message}"));
                    "FAILED"
                }
                None => "-",
            };
            let _ = write!(out, "  {cell:<10}");
        }
        out.push('\n');
    }
    for (place, note) in notes {
        let _ = writeln!(out, "{place}: {note}");
    }
    out
}
