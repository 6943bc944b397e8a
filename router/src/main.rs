//! The router binary: `cargo run --release -p paybridge-router -- --help`.
//!
//! Configuration: flags, `PAYBRIDGE_ROUTER_*` variables and a TOML file (`--config`); see
//! `paybridge_router::config`. Logs: `RUST_LOG` filters (default `info`).

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

async fn serve(config: RouterConfig) -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Json => subscriber.json().init(),
        LogFormat::Text => subscriber.init(),
    }
    let router = match start(config).await {
        Ok(router) => router,
        Err(err) => {
            eprintln!("paybridge-router: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("paybridge router listening on {}", router.base_url());
    for (connector, source) in router.connector_sources() {
        println!("  connector {connector}: {source:?}");
    }
    if let Some((merchant, key)) = router.demo_credentials() {
        println!("  demo merchant {merchant}, api-key: {key}");
        println!(
            "  try: curl -H 'api-key: {key}' {}/connectors",
            router.base_url()
        );
    }
    shutdown_signal().await;
    println!("shutting down: finishing requests in flight");
    router.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
