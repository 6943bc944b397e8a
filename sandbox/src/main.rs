//! `paybridge-sandbox`: runs the Checkout.com, Stripe and Primer simulators until Ctrl-C.
//!
//! ```text
//! paybridge-sandbox [--port N] [--stripe-port N] [--primer-port N]  (defaults 8101, 8102, 8103)
//! ```
//!
//! Every setting is a flag with a `PAYBRIDGE_SIM_*` variable (`--help` lists them). Unset keys
//! and secrets take the simulators' test defaults. They are test keys, so they are printed.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use url::Url;

use paybridge_sandbox::checkout::{self, CheckoutSimConfig};
use paybridge_sandbox::primer::{self, PrimerSimConfig};
use paybridge_sandbox::stripe::{self, StripeSimConfig};

/// The simulators' command line.
#[derive(Debug, Parser)]
#[command(name = "paybridge-sandbox", version, about, long_about = None)]
struct Args {
    /// The Checkout.com simulator's port on 127.0.0.1.
    #[arg(
        long,
        alias = "checkout-port",
        env = "PAYBRIDGE_SIM_CHECKOUT_PORT",
        default_value_t = 8101
    )]
    port: u16,
    /// The Stripe simulator's port on 127.0.0.1.
    #[arg(long, env = "PAYBRIDGE_SIM_STRIPE_PORT", default_value_t = 8102)]
    stripe_port: u16,
    /// The Primer simulator's port on 127.0.0.1.
    #[arg(long, env = "PAYBRIDGE_SIM_PRIMER_PORT", default_value_t = 8103)]
    primer_port: u16,
    /// The secret key the Checkout.com simulator accepts (Bearer).
    #[arg(long, env = "PAYBRIDGE_SIM_CHECKOUT_SECRET_KEY", value_name = "KEY")]
    checkout_secret_key: Option<String>,
    /// The public key the Checkout.com simulator accepts on `POST /tokens` (Bearer).
    #[arg(long, env = "PAYBRIDGE_SIM_CHECKOUT_PUBLIC_KEY", value_name = "KEY")]
    checkout_public_key: Option<String>,
    /// The processing channel id the Checkout.com simulator accepts.
    #[arg(
        long,
        env = "PAYBRIDGE_SIM_CHECKOUT_PROCESSING_CHANNEL_ID",
        value_name = "ID"
    )]
    checkout_processing_channel_id: Option<String>,
    /// The secret the Checkout.com simulator signs its webhooks with.
    #[arg(
        long,
        env = "PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_SECRET",
        value_name = "SECRET"
    )]
    checkout_webhook_secret: Option<String>,
    /// Where the Checkout.com simulator POSTs its webhooks (kept in memory when unset).
    #[arg(long, env = "PAYBRIDGE_SIM_CHECKOUT_WEBHOOK_URL", value_name = "URL")]
    checkout_webhook_url: Option<Url>,
    /// The secret key the Stripe simulator accepts (Bearer).
    #[arg(long, env = "PAYBRIDGE_SIM_STRIPE_SECRET_KEY", value_name = "KEY")]
    stripe_secret_key: Option<String>,
    /// The publishable key the Stripe simulator accepts on `POST /v1/tokens` (Bearer).
    #[arg(long, env = "PAYBRIDGE_SIM_STRIPE_PUBLISHABLE_KEY", value_name = "KEY")]
    stripe_publishable_key: Option<String>,
    /// The secret the Stripe simulator signs its webhooks with.
    #[arg(
        long,
        env = "PAYBRIDGE_SIM_STRIPE_WEBHOOK_SECRET",
        value_name = "SECRET"
    )]
    stripe_webhook_secret: Option<String>,
    /// Where the Stripe simulator POSTs its webhooks (kept in memory when unset).
    #[arg(long, env = "PAYBRIDGE_SIM_STRIPE_WEBHOOK_URL", value_name = "URL")]
    stripe_webhook_url: Option<Url>,
    /// The API key the Primer simulator accepts (X-Api-Key).
    #[arg(long, env = "PAYBRIDGE_SIM_PRIMER_API_KEY", value_name = "KEY")]
    primer_api_key: Option<String>,
    /// The secret the Primer simulator signs its webhooks with.
    #[arg(
        long,
        env = "PAYBRIDGE_SIM_PRIMER_WEBHOOK_SECRET",
        value_name = "SECRET"
    )]
    primer_webhook_secret: Option<String>,
    /// Where the Primer simulator POSTs its webhooks (kept in memory when unset).
    #[arg(long, env = "PAYBRIDGE_SIM_PRIMER_WEBHOOK_URL", value_name = "URL")]
    primer_webhook_url: Option<Url>,
}

impl Args {
    fn checkout(&self) -> CheckoutSimConfig {
        let mut config = CheckoutSimConfig::default();
        set(&mut config.secret_key, &self.checkout_secret_key);
        set(&mut config.public_key, &self.checkout_public_key);
        set(
            &mut config.processing_channel_id,
            &self.checkout_processing_channel_id,
        );
        set(&mut config.webhook_secret, &self.checkout_webhook_secret);
        config.webhook_url.clone_from(&self.checkout_webhook_url);
        config
    }

    fn stripe(&self) -> StripeSimConfig {
        let mut config = StripeSimConfig::default();
        set(&mut config.secret_key, &self.stripe_secret_key);
        set(&mut config.publishable_key, &self.stripe_publishable_key);
        set(&mut config.webhook_secret, &self.stripe_webhook_secret);
        config.webhook_url.clone_from(&self.stripe_webhook_url);
        config
    }

    fn primer(&self) -> PrimerSimConfig {
        let mut config = PrimerSimConfig::default();
        set(&mut config.api_key, &self.primer_api_key);
        set(&mut config.webhook_secret, &self.primer_webhook_secret);
        config.webhook_url.clone_from(&self.primer_webhook_url);
        config
    }
}

/// Replaces a default with a given, non-empty value.
fn set(target: &mut String, value: &Option<String>) {
    if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
        target.clone_from(value);
    }
}

fn main() -> ExitCode {
    // An empty variable counts as unset. Done before any other thread exists, so nothing reads
    // the environment meanwhile.
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_string_lossy().starts_with("PAYBRIDGE_SIM_") {
            std::env::remove_var(name);
        }
    }
    // `--help`, `--version` and a bad argument end here, before any port is opened.
    let args = Args::parse();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run(args)),
        Err(err) => {
            eprintln!("paybridge-sandbox: cannot start the runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> ExitCode {
    let (port, stripe_port, primer_port) = (args.port, args.stripe_port, args.primer_port);
    let (config, stripe_config, primer_config) = (args.checkout(), args.stripe(), args.primer());
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
    println!("  public key (/tokens):  {}", config.public_key);
    println!("  processing channel id: {}", config.processing_channel_id);
    println!("  webhook secret:        {}", config.webhook_secret);
    match &config.webhook_url {
        Some(url) => println!("  webhooks POSTed to:    {url}"),
        None => println!("  webhooks:              kept in memory (no URL set)"),
    }
    println!("Stripe simulator on {}", stripe_sim.base_url());
    println!("  secret key (Bearer):   {}", stripe_config.secret_key);
    println!("  publishable key:       {}", stripe_config.publishable_key);
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
