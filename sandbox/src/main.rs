//! `paybridge-sandbox`: runs the Checkout.com simulator until Ctrl-C.
//!
//! ```text
//! paybridge-sandbox [--port N]      (default 8101)
//! ```
//!
//! Keys come from `PAYBRIDGE_SIM_CHECKOUT_SECRET_KEY`, `PAYBRIDGE_SIM_CHECKOUT_PROCESSING_CHANNEL_ID`,
//! `PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_SECRET` and, for webhook delivery,
//! `PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL`; unset ones take the test defaults. They are test keys,
//! so they are printed.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use paybridge_sandbox::checkout::{self, CheckoutSimConfig};

const DEFAULT_PORT: u16 = 8101;

fn port(args: &[String]) -> Result<u16, String> {
    match args {
        [] => Ok(DEFAULT_PORT),
        [flag, value] if flag == "--port" => value
            .parse()
            .map_err(|_| format!("--port wants a number from 0 to 65535, not {value:?}")),
        _ => Err("usage: paybridge-sandbox [--port N]".to_owned()),
    }
}

fn config() -> Result<CheckoutSimConfig, String> {
    let mut config = CheckoutSimConfig::default();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(key) = var("PAYBRIDGE_SIM_CHECKOUT_SECRET_KEY") {
        config.secret_key = key;
    }
    if let Some(channel) = var("PAYBRIDGE_SIM_CHECKOUT_PROCESSING_CHANNEL_ID") {
        config.processing_channel_id = channel;
    }
    if let Some(secret) = var("PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_SECRET") {
        config.webhook_secret = secret;
    }
    if let Some(url) = var("PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL") {
        let url = url
            .parse()
            .map_err(|e| format!("PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL: {e}"))?;
        config.webhook_url = Some(url);
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, config) = match port(&args).and_then(|port| Ok((port, config()?))) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let sim = match checkout::start_on(addr, config.clone()).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Checkout.com simulator on {}", sim.base_url());
    println!("  secret key (Bearer):   {}", config.secret_key);
    println!("  processing channel id: {}", config.processing_channel_id);
    println!("  webhook secret:        {}", config.webhook_secret);
    match &config.webhook_url {
        Some(url) => println!("  webhooks POSTed to:    {url}"),
        None => println!("  webhooks:              kept in memory (no URL set)"),
    }
    println!("Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}
