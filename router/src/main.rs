//! The router binary: `cargo run --release -p paybridge-router -- --help`.
//!
//! Configuration: flags, `PAYBRIDGE_ROUTER_*` variables and a TOML file (`--config`); see
//! `paybridge_router::config`. Logs: `RUST_LOG` filters (default `info`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use paybridge_router::config::RouterArgs;
use paybridge_router::{start, LogFormat, RouterConfig};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: under load glibc's was a tenth of the router's CPU
/// (docs/benchmarks.md, "Router").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // An empty variable counts as unset, as the router always read them. Done before any
    // other thread exists, so nothing reads the environment meanwhile.
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_string_lossy().starts_with("PAYBRIDGE_ROUTER_") {
            std::env::remove_var(name);
        }
    }
    // `--help`, `--version` and a bad argument end here, before any file or port is opened.
    let args = RouterArgs::parse();
    let config = match RouterConfig::from_args(args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("paybridge-router: {err}");
            return ExitCode::from(2);
        }
    };
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(serve(config)),
        Err(err) => {
            eprintln!("paybridge-router: cannot start the runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The start-up banner, for a person: on stdout beside text logs, on stderr when stdout is a
/// stream of JSON log lines. A closed pipe (`| head`) is not an error worth a panic.
struct Banner(LogFormat);

impl Banner {
    fn say(&self, line: &str) {
        let _ = match self.0 {
            LogFormat::Text => writeln!(std::io::stdout().lock(), "{line}"),
            LogFormat::Json => writeln!(std::io::stderr().lock(), "{line}"),
        };
    }
}

async fn serve(config: RouterConfig) -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal: a file or a collector gets plain text.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match config.log_format {
        LogFormat::Json => subscriber.json().init(),
        LogFormat::Text => subscriber.init(),
    }
    let banner = Banner(config.log_format);
    let shutdown = ShutdownSignal::listen();
    let router = match start(config).await {
        Ok(router) => router,
        Err(err) => {
            eprintln!("paybridge-router: {err}");
            return ExitCode::FAILURE;
        }
    };
    banner.say(&format!(
        "paybridge router listening on {}",
        router.base_url()
    ));
    for (connector, source) in router.connector_sources() {
        banner.say(&format!("  connector {connector}: {source:?}"));
    }
    if let Some((merchant, key)) = router.demo_credentials() {
        banner.say(&format!("  demo merchant {merchant}, api-key: {key}"));
        banner.say(&format!(
            "  try: curl -H 'api-key: {key}' {}/connectors",
            router.base_url()
        ));
    }
    shutdown.recv().await;
    banner.say("shutting down: finishing requests in flight");
    router.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGINT or SIGTERM, listened for from its creation on: made before the router says it
/// listens, so a signal right after that line is never the default (death without draining).
struct ShutdownSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignal {
    fn listen() -> ShutdownSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .map_err(|err| eprintln!("paybridge-router: no signal handling: {err}"))
                .ok();
            ShutdownSignal { signals }
        }
        #[cfg(not(unix))]
        ShutdownSignal {}
    }

    async fn recv(self) {
        #[cfg(unix)]
        match self.signals {
            Some((mut interrupt, mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
