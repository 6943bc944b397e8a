//! A router as a child process, for tests that kill it (`kill -9`) and start it again on the
//! same database.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use secrecy::ExposeSecret;

use super::KEY;

const BIN: &str = env!("CARGO_BIN_EXE_paybridge-router");

/// A router process, killed (`kill -9`) when dropped: a failed assertion leaves none behind.
pub struct RouterProcess(Child);

impl RouterProcess {
    pub fn kill(&mut self) {
        self.0.kill().expect("kill -9");
        self.0.wait().expect("reaped");
    }
}

impl Drop for RouterProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A router process on `config`, and its base URL (read from its start-up line).
pub fn spawn_router(config: &Path) -> (RouterProcess, String) {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the router starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a start-up line");
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("listening on URL")
        .to_owned();
    assert!(base.starts_with("http://"), "{first}");
    (RouterProcess(child), base)
}

/// The configuration file of a router on `dir/router.db` routing `connector` to `config`, with
/// `more` TOML appended (more tables, or keys of the merchant's `webhook`).
pub fn write_config(
    dir: &Path,
    connector: &str,
    config: &paybridge_core::ConnectorConfig,
    more: &str,
) -> PathBuf {
    let extra: Vec<String> = config
        .extra
        .iter()
        .map(|(k, v)| format!("{k} = {v:?}"))
        .collect();
    let text = format!(
        "listen = \"127.0.0.1:0\"\n\
         database_url = \"sqlite://{db}\"\n\
         simulators = false\n\
         connector_timeout_ms = 10000\n\
         [[merchants]]\nmerchant_id = \"merchant_one\"\napi_key = \"{KEY}\"\n\
         [connectors.{connector}]\nbase_url = \"{url}\"\napi_key = \"{key}\"\nextra = {{ {extra} }}\n\
         {more}",
        db = dir.join("router.db").display(),
        url = config.base_url,
        key = config.api_key.expose_secret(),
        extra = extra.join(", "),
    );
    let path = dir.join("router.toml");
    std::fs::write(&path, text).expect("config written");
    path
}
