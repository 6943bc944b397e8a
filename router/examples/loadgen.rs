//! # Router load generator
//!
//! Measures what the router costs on top of the connectors it routes to. For each connector it
//! runs two phases with the same number of concurrent clients, each client looping
//! create (manual capture) → capture:
//!
//! - **router**: `POST /payments` then `POST /payments/{id}/capture` over HTTP against a router
//!   started in-process (`paybridge_router::start` on `127.0.0.1:0`, a fresh SQLite file in a
//!   temp directory, one merchant, the in-process simulators, webhooks from the simulators to
//!   the router as usual), through one shared keep-alive `reqwest::Client`;
//! - **direct**: the same loop with no router and no database: `Connector::authorize` then
//!   `Connector::capture` against a simulator of its own. Where the capture answer is
//!   `processing` (Checkout.com's asynchronous capture) one `sync_payment` follows, as the router
//!   settles it, so both phases make the same simulator calls.
//!
//! Each create and each capture is one *payment operation*: its latency (send → whole answer
//! read) is recorded in microseconds, and percentiles are exact (sorted samples). Any non-200
//! answer or unexpected status is an error; a valid run has none. The report gives, per
//! connector and overall, ops/s and p50/p99/max latency for both phases, the router/direct
//! ratios, and whether the targets (≥ 2,000 ops/s, p99 < 10 ms through the router) are met.
//!
//! Client, router, simulators and SQLite share the machine's cores: the figures are for the
//! whole system on one box, not for the router alone.
//!
//! ```text
//! cargo run --release -p paybridge-router --example loadgen -- \
//!     [--clients 8] [--seconds 10] [--warmup 1] [--connector checkout|stripe|primer|all] \
//!     [--no-webhooks] [--database-url URL]
//! ```
//!
//! (`scripts/router-bench.sh` runs exactly this.) `--no-webhooks` stops the simulators from
//! posting webhooks to the router, to see what webhook handling costs. `--database-url` replaces
//! the temp SQLite file, e.g. `sqlite::memory:` (which the router serves from one connection)
//! to see what disk and lock contention cost; webhook counts are only reported for the file.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paybridge_connector_tests::targets;
use paybridge_core::{
    AuthorizeRequest, CaptureMethod, CaptureRequest, Connector, Currency, Flow, MinorUnit,
    PaymentMethod, PaymentStatus, PaymentSyncRequest,
};
use paybridge_router::config::MerchantConfig;
use paybridge_router::{start, RouterConfig};
use serde_json::json;

/// The router binary's allocator, so the router measured here allocates as the shipped one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const API_KEY: &str = "loadgen_key";
const AMOUNT: i64 = 1000;
const TARGET_OPS: f64 = 2000.0;
const TARGET_P99_US: u64 = 10_000;

struct Args {
    clients: usize,
    seconds: f64,
    warmup: f64,
    connectors: Vec<&'static str>,
    webhooks: bool,
    database_url: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        // Where this machine's throughput peaks; more clients only queue (see
        // docs/benchmarks.md).
        clients: 8,
        seconds: 10.0,
        warmup: 1.0,
        connectors: targets::CONNECTORS.iter().map(|c| c.name).collect(),
        webhooks: true,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => {
                args.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--warmup" => args.warmup = value()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--connector" => {
                let name = value()?;
                if name != "all" {
                    let entry =
                        targets::connector(&name).ok_or(format!("unknown connector {name}"))?;
                    args.connectors = vec![entry.name];
                }
            }
            "--no-webhooks" => args.webhooks = false,
            "--database-url" => args.database_url = Some(value()?),
            "-h" | "--help" => {
                println!("usage: loadgen [--clients N] [--seconds S] [--warmup S] [--connector checkout|stripe|primer|all] [--no-webhooks] [--database-url URL]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if args.clients == 0 || args.seconds <= 0.0 || args.warmup < 0.0 {
        return Err("--clients and --seconds must be above zero".into());
    }
    Ok(args)
}

/// What one create → capture loop iteration produced.
#[derive(Default)]
struct Outcome {
    create_us: Option<u64>,
    capture_us: Option<u64>,
    syncs: u64,
    error: Option<String>,
}

/// Everything one phase recorded.
#[derive(Default)]
struct Samples {
    create: Vec<u64>,
    capture: Vec<u64>,
    errors: u64,
    first_errors: Vec<String>,
    syncs: u64,
    payments: u64,
    elapsed: Duration,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.create.extend(other.create);
        self.capture.extend(other.capture);
        self.errors += other.errors;
        self.syncs += other.syncs;
        self.payments += other.payments;
        self.elapsed += other.elapsed;
        for e in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
    }

    fn ops(&self) -> usize {
        self.create.len() + self.capture.len()
    }

    fn ops_per_sec(&self) -> f64 {
        self.ops() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn all(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self.create.iter().chain(&self.capture).copied().collect();
        all.sort_unstable();
        all
    }
}

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(samples: &[u64]) -> Vec<u64> {
    let mut s = samples.to_vec();
    s.sort_unstable();
    s
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Runs `clients` tasks, each looping `payment` until `duration` has passed.
async fn drive<F, Fut>(clients: usize, duration: Duration, payment: F) -> Samples
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let payment = payment.clone();
            tokio::spawn(async move {
                let mut s = Samples::default();
                while Instant::now() < deadline {
                    let o = payment().await;
                    s.payments += 1;
                    s.create.extend(o.create_us);
                    s.capture.extend(o.capture_us);
                    s.syncs += o.syncs;
                    if let Some(e) = o.error {
                        s.errors += 1;
                        if s.first_errors.len() < 5 {
                            s.first_errors.push(e);
                        }
                    }
                }
                s
            })
        })
        .collect();
    let mut total = Samples::default();
    for task in tasks {
        match task.await {
            Ok(s) => total.merge(s),
            Err(e) => {
                total.errors += 1;
                total.first_errors.push(format!("client task: {e}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

#[derive(serde::Deserialize)]
struct PaymentAnswer {
    payment_id: String,
    status: String,
}

/// One POST to the router; the answer's payment id when it is 200 with status `expected`.
async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &'static str,
    expected: &str,
) -> Result<String, String> {
    let response = client
        .post(url)
        .header("api-key", API_KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("POST {url}: body: {e}"))?;
    if status != reqwest::StatusCode::OK {
        let text = String::from_utf8_lossy(&bytes);
        return Err(format!(
            "POST {url}: {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let answer: PaymentAnswer =
        serde_json::from_slice(&bytes).map_err(|e| format!("POST {url}: answer: {e}"))?;
    if answer.status != expected {
        return Err(format!(
            "POST {url}: status {} (expected {expected})",
            answer.status
        ));
    }
    Ok(answer.payment_id)
}

struct RouterClient {
    client: reqwest::Client,
    base: String,
    create_url: String,
    body: &'static str,
}

async fn via_router(ctx: Arc<RouterClient>) -> Outcome {
    let mut out = Outcome::default();
    let t = Instant::now();
    let id = match post(&ctx.client, &ctx.create_url, ctx.body, "requires_capture").await {
        Ok(id) => id,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.create_us = Some(micros(t));
    let url = format!("{}/payments/{id}/capture", ctx.base);
    let t = Instant::now();
    match post(&ctx.client, &url, "{}", "succeeded").await {
        Ok(_) => out.capture_us = Some(micros(t)),
        Err(e) => out.error = Some(e),
    }
    out
}

static REFERENCE: AtomicU64 = AtomicU64::new(0);

async fn direct(connector: Arc<dyn Connector>, method: PaymentMethod) -> Outcome {
    let mut out = Outcome::default();
    let amount = MinorUnit::new(AMOUNT).expect("a positive amount");
    let reference = format!("bench_{}", REFERENCE.fetch_add(1, Ordering::Relaxed));
    let mut request = AuthorizeRequest::new(amount, Currency::USD, method, reference);
    request.capture_method = CaptureMethod::Manual;
    let t = Instant::now();
    let id = match connector.authorize(&request).await {
        Ok(r) if r.status == PaymentStatus::RequiresCapture => r.connector_payment_id,
        Ok(r) => {
            out.error = Some(format!(
                "authorize: status {:?} ({})",
                r.status, r.raw_status
            ));
            return out;
        }
        Err(e) => {
            out.error = Some(format!("authorize: {e}"));
            return out;
        }
    };
    out.create_us = Some(micros(t));
    let t = Instant::now();
    let capture = CaptureRequest::new(id.clone(), Currency::USD, Some(amount));
    let status = match connector.capture(&capture).await {
        Ok(r) => r.status,
        Err(e) => {
            out.error = Some(format!("capture: {e}"));
            return out;
        }
    };
    // The router settles an accepted (`processing`) capture with one immediate sync.
    let status = if status == PaymentStatus::Processing
        && connector.capabilities().supports(Flow::PaymentSync)
    {
        out.syncs = 1;
        let sync = PaymentSyncRequest {
            connector_payment_id: id,
            capture_method: CaptureMethod::Manual,
        };
        match connector.sync_payment(&sync).await {
            Ok(r) => r.status,
            Err(e) => {
                out.error = Some(format!("sync after capture: {e}"));
                return out;
            }
        }
    } else {
        status
    };
    if status == PaymentStatus::Succeeded {
        out.capture_us = Some(micros(t));
    } else {
        out.error = Some(format!("capture: status {status:?}"));
    }
    out
}

/// The create body for `connector`'s approved test payment method.
fn create_body(connector: &str, method: &PaymentMethod) -> String {
    let mut body = json!({
        "amount": AMOUNT, "currency": "USD", "connector": connector, "capture_method": "manual",
    });
    match method {
        PaymentMethod::Card(card) => {
            body["payment_method"] = json!("card");
            body["payment_method_data"] = json!({"card": {
                "card_number": card.number.expose(),
                "card_exp_month": card.expiry.month().to_string(),
                "card_exp_year": card.expiry.year().to_string(),
                "card_cvc": card.cvc.as_ref().map(|c| c.expose().to_owned()),
            }});
        }
        PaymentMethod::Token(token) => body["payment_token"] = json!(token.as_str()),
        // The approved test methods are cards and tokens; wallets are measured by neither.
        PaymentMethod::Wallet(_) => panic!("loadgen pays with cards and tokens only"),
    }
    body.to_string()
}

/// Webhook events the router has recorded, by outcome.
async fn webhook_outcomes(db: Option<&sqlx::SqlitePool>) -> Vec<(String, i64)> {
    let Some(db) = db else {
        return Vec::new();
    };
    sqlx::query_as("SELECT outcome, COUNT(*) FROM webhook_events GROUP BY outcome ORDER BY outcome")
        .fetch_all(db)
        .await
        .unwrap_or_default()
}

/// Waits until the router has stopped receiving webhooks (the simulators deliver them one at a
/// time in the background), so a backlog does not run into the next phase.
async fn drain_webhooks(db: Option<&sqlx::SqlitePool>) -> Duration {
    if db.is_none() {
        return Duration::ZERO;
    }
    let started = Instant::now();
    let count = |v: Vec<(String, i64)>| v.iter().map(|(_, n)| n).sum::<i64>();
    let mut last = count(webhook_outcomes(db).await);
    let mut stable_since = Instant::now();
    while stable_since.elapsed() < Duration::from_millis(500) && started.elapsed().as_secs() < 60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = count(webhook_outcomes(db).await);
        if now != last {
            last = now;
            stable_since = Instant::now();
        }
    }
    stable_since.duration_since(started)
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn row(name: &str, path: &str, s: &Samples) -> String {
    let (all, cr, ca) = (s.all(), sorted(&s.create), sorted(&s.capture));
    format!(
        "| {name} | {path} | {} | {:.0} | {} | {} | {} | {} / {} | {} / {} | {} |",
        s.payments - s.errors,
        s.ops_per_sec(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        ms(all.last().copied().unwrap_or(0)),
        ms(percentile(&cr, 50.0)),
        ms(percentile(&cr, 99.0)),
        ms(percentile(&ca, 50.0)),
        ms(percentile(&ca, 99.0)),
        s.errors
    )
}

fn ratio_row(name: &str, router: &Samples, direct: &Samples) -> String {
    let (r, d) = (router.all(), direct.all());
    let ratio = |a: u64, b: u64| format!("{:.2}×", a as f64 / (b as f64).max(1.0));
    format!(
        "| {name} | router/direct | | {:.2}× | {} | {} | {} | | | |",
        router.ops_per_sec() / direct.ops_per_sec().max(1e-9),
        ratio(percentile(&r, 50.0), percentile(&d, 50.0)),
        ratio(percentile(&r, 99.0), percentile(&d, 99.0)),
        ratio(
            r.last().copied().unwrap_or(0),
            d.last().copied().unwrap_or(0)
        ),
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let seconds = Duration::from_secs_f64(args.seconds);
    let warmup = Duration::from_secs_f64(args.warmup);

    let dir: PathBuf =
        std::env::temp_dir().join(format!("paybridge-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("router.db").display()));
    let config = RouterConfig {
        listen: "127.0.0.1:0".parse().expect("a socket address"),
        database_url: database_url.clone(),
        merchants: vec![MerchantConfig {
            merchant_id: "merchant_loadgen".into(),
            api_key: Some(API_KEY.into()),
            api_key_sha256: None,
            webhook: None,
            wallets: None,
            authentication: None,
        }],
        ..RouterConfig::default()
    };
    let running = start(config).await?;
    // Our own connection to the router's file, to count the webhooks it recorded (not
    // possible with another database, e.g. `sqlite::memory:`).
    let db = match args.database_url {
        None => Some(
            sqlx::SqlitePool::connect(&database_url)
                .await
                .map_err(|e| e.to_string())?,
        ),
        Some(_) => None,
    };
    let base = running.base_url();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    if !args.webhooks {
        for name in &args.connectors {
            if let Some(sim) = running.simulator(name) {
                sim.set_webhook_target(None);
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "router {base}, database {}, {} clients, {} s per phase after {} s warm-up, {cores} cores \
         shared by client, router, simulators and SQLite; webhooks to the router {}",
        database_url,
        args.clients,
        args.seconds,
        args.warmup,
        if args.webhooks { "on" } else { "off" },
    );

    let (mut all_router, mut all_direct) = (Samples::default(), Samples::default());
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    for name in &args.connectors {
        let entry = targets::connector(name).ok_or(format!("unknown connector {name}"))?;
        let method = (entry.cards)().approved;

        // Router phase.
        let ctx = Arc::new(RouterClient {
            client: client.clone(),
            base: base.clone(),
            create_url: format!("{base}/payments"),
            body: Box::leak(create_body(name, &method).into_boxed_str()),
        });
        let router_payment = move || via_router(ctx.clone());
        drive(args.clients, warmup, router_payment.clone()).await;
        drain_webhooks(db.as_ref()).await;
        let sim = running.simulator(name).map(|s| s.counters().requests);
        let before = webhook_outcomes(db.as_ref()).await;
        let router = drive(args.clients, seconds, router_payment).await;
        let during = webhook_outcomes(db.as_ref()).await;
        let drained = drain_webhooks(db.as_ref()).await;
        let after = webhook_outcomes(db.as_ref()).await;
        if let (Some(before), Some(sim)) = (sim, running.simulator(name)) {
            let calls = sim.counters().requests - before;
            notes.push(format!(
                "{name}: router made {:.2} simulator calls per payment",
                calls as f64 / router.payments.max(1) as f64
            ));
        }
        let diff = |now: &[(String, i64)]| {
            now.iter()
                .map(|(k, n)| {
                    let was = before.iter().find(|(b, _)| b == k).map_or(0, |(_, n)| *n);
                    format!("{k} {}", n - was)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if args.webhooks && db.is_some() {
            notes.push(format!(
                "{name}: webhooks handled by the router during the run: {}; by the end of the backlog ({:.1} s after): {}",
                diff(&during),
                drained.as_secs_f64(),
                diff(&after)
            ));
        }

        // Direct phase: the connector against a simulator of its own.
        let target = (entry.simulator)().await?;
        let connector = target.connector()?;
        let direct_payment = {
            let (connector, method) = (connector.clone(), method.clone());
            move || direct(connector.clone(), method.clone())
        };
        drive(args.clients, warmup, direct_payment.clone()).await;
        let direct = drive(args.clients, seconds, direct_payment).await;
        if direct.syncs > 0 {
            notes.push(format!(
                "{name}: direct capture includes a sync_payment after the accepted capture ({} syncs), as the router does",
                direct.syncs
            ));
        }
        if let Some(sim) = target.simulator {
            sim.shutdown().await;
        }

        lines.push(row(name, "router", &router));
        lines.push(row(name, "direct", &direct));
        lines.push(ratio_row(name, &router, &direct));
        for (path, s) in [("router", &router), ("direct", &direct)] {
            for e in &s.first_errors {
                notes.push(format!("{name} {path} error: {e}"));
            }
        }
        all_router.merge(router);
        all_direct.merge(direct);
    }
    if args.connectors.len() > 1 {
        lines.push(row("all", "router", &all_router));
        lines.push(row("all", "direct", &all_direct));
        lines.push(ratio_row("all", &all_router, &all_direct));
    }

    println!();
    println!("| connector | path | payments | ops/s | p50 ms | p99 ms | max ms | create p50 / p99 ms | capture p50 / p99 ms | errors |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for line in &lines {
        println!("{line}");
    }
    println!();
    for note in &notes {
        println!("- {note}");
    }
    println!(
        "- one operation = one create or one capture; ops/s = operations / wall time of the phase"
    );

    let p99 = percentile(&all_router.all(), 99.0);
    let ops = all_router.ops_per_sec();
    let valid = all_router.errors == 0 && all_direct.errors == 0;
    println!(
        "\ntargets (router, all connectors): ≥ {TARGET_OPS:.0} ops/s: {} ({ops:.0}); p99 < {} ms: {} ({} ms); errors: {}{}",
        if ops >= TARGET_OPS { "met" } else { "NOT met" },
        TARGET_P99_US / 1000,
        if p99 < TARGET_P99_US { "met" } else { "NOT met" },
        ms(p99),
        all_router.errors + all_direct.errors,
        if valid { "" } else { " — INVALID RUN" },
    );

    if let Some(db) = db {
        db.close().await;
    }
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    if valid {
        Ok(())
    } else {
        Err("errors during the run".into())
    }
}
