//! `paybridge-sandbox`: runs the Checkout.com, Stripe and Primer simulators until Ctrl-C.
//!
//! ```text
//! paybridge-sandbox [--port N] [--stripe-port N] [--primer-port N]  (defaults 8101, 8102, 8103)
//! ```
//!
//! Checkout.com keys come from `PAYBRIDGE_SIM_CHECKOUT_SECRET_KEY`,
//! `PAYBRIDGE_SIM_CHECKOUT_PROCESSING_CHANNEL_ID`, `PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_SECRET` and,
//! for webhook delivery, `PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL`; Stripe's from
//! `PAYBRIDGE_SIM_STRIPE_SECRET_KEY`, `PAYBRIDGE_SIM_STRIPE_WEBHOOK_SECRET` and
//! `PAYBRIDGE_SIM_STRIPE_WEBHOOK_URL`; Primer's from `PAYBRIDGE_SIM_PRIMER_API_KEY`,
//! `PAYBRIDGE_SIM_PRIMER_WEBHOOK_SECRET` and `PAYBRIDGE_SIM_PRIMER_WEBHOOK_URL`. Unset ones take the test defaults. They are test keys,
//! so they are printed.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use paybridge_sandbox::checkout::{self, CheckoutSimConfig};
use paybridge_sandbox::primer::{self, PrimerSimConfig};
use paybridge_sandbox::stripe::{self, StripeSimConfig};

const DEFAULT_PORT: u16 = 8101;
const DEFAULT_STRIPE_PORT: u16 = 8102;
const DEFAULT_PRIMER_PORT: u16 = 8103;
const USAGE: &str = "usage: paybridge-sandbox [--port N] [--stripe-port N] [--primer-port N]";

/// The Checkout.com, Stripe and Primer ports.
fn ports(args: &[String]) -> Result<(u16, u16, u16), String> {
    let (mut checkout, mut stripe, mut primer) =
        (DEFAULT_PORT, DEFAULT_STRIPE_PORT, DEFAULT_PRIMER_PORT);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let target = match flag.as_str() {
            "--port" => &mut checkout,
            "--stripe-port" => &mut stripe,
            "--primer-port" => &mut primer,
            _ => return Err(USAGE.to_owned()),
        };
        let value = args.next().ok_or_else(|| USAGE.to_owned())?;
        *target = value
            .parse()
            .map_err(|_| format!("{flag} wants a number from 0 to 65535, not {value:?}"))?;
    }
    Ok((checkout, stripe, primer))
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

fn stripe_config() -> Result<StripeSimConfig, String> {
    let mut config = StripeSimConfig::default();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(key) = var("PAYBRIDGE_SIM_STRIPE_SECRET_KEY") {
        config.secret_key = key;
    }
    if let Some(secret) = var("PAYBRIDGE_SIM_STRIPE_WEBHOOK_SECRET") {
        config.webhook_secret = secret;
    }
    if let Some(url) = var("PAYBRIDGE_SIM_STRIPE_WEBHOOK_URL") {
        let url = url
            .parse()
            .map_err(|e| format!("PAYBRIDGE_SIM_STRIPE_WEBHOOK_URL: {e}"))?;
        config.webhook_url = Some(url);
    }
    Ok(config)
}

fn primer_config() -> Result<PrimerSimConfig, String> {
    let mut config = PrimerSimConfig::default();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(key) = var("PAYBRIDGE_SIM_PRIMER_API_KEY") {
        config.api_key = key;
    }
    if let Some(secret) = var("PAYBRIDGE_SIM_PRIMER_WEBHOOK_SECRET") {
        config.webhook_secret = secret;
    }
    if let Some(url) = var("PAYBRIDGE_SIM_PRIMER_WEBHOOK_URL") {
        let url = url
            .parse()
            .map_err(|e| format!("PAYBRIDGE_SIM_PRIMER_WEBHOOK_URL: {e}"))?;
        config.webhook_url = Some(url);
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let setup =
        ports(&args).and_then(|ports| Ok((ports, config()?, stripe_config()?, primer_config()?)));
    let ((port, stripe_port, primer_port), config, stripe_config, primer_config) = match setup {
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
    let stripe_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, stripe_port));
    let stripe_sim = match stripe::start_on(stripe_addr, stripe_config.clone()).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("cannot listen on {stripe_addr}: {e}");
            sim.shutdown().await;
            return ExitCode::FAILURE;
        }
    };
    let primer_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, primer_port));
    let primer_sim = match primer::start_on(primer_addr, primer_config.clone()).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("cannot listen on {primer_addr}: {e}");
            sim.shutdown().await;
            stripe_sim.shutdown().await;
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
    println!("Stripe simulator on {}", stripe_sim.base_url());
    println!("  secret key (Bearer):   {}", stripe_config.secret_key);
    println!("  webhook secret:        {}", stripe_config.webhook_secret);
    match &stripe_config.webhook_url {
        Some(url) => println!("  webhooks POSTed to:    {url}"),
        None => println!("  webhooks:              kept in memory (no URL set)"),
    }
    println!("Primer simulator on {}", primer_sim.base_url());
    println!("  API key (X-Api-Key):   {}", primer_config.api_key);
    println!("  webhook secret:        {}", primer_config.webhook_secret);
    match &primer_config.webhook_url {
        Some(url) => println!("  webhooks POSTed to:    {url}"),
        None => println!("  webhooks:              kept in memory (no URL set)"),
    }
    println!("Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    stripe_sim.shutdown().await;
    primer_sim.shutdown().await;
    ExitCode::SUCCESS
}
