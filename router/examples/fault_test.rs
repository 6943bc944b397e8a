//! # Fault test: every unknown outcome settles
//!
//! Runs the router binary as a child process on a SQLite file, the simulators of every
//! connector in another process (this program, `fault_test simulators`), and a TCP proxy per
//! simulator in this one, between the two. Concurrent clients drive create (manual capture) →
//! capture → refund as a merchant would, retrying every request with its `Idempotency-Key`
//! until it gets an answer. Meanwhile each round does, at a random moment:
//!
//! - `kill -9` of the router, restarted on the same database and port;
//! - every second round, `SIGSTOP` of the simulator process for 2–4.5 s, then `SIGCONT`;
//! - every third round, the proxies cut every connection and refuse new ones for 2–4.5 s.
//!
//! Then the faults stop, the reconciler gets time to settle what is open (until nothing is,
//! or nothing settled for a minute), and every payment
//! the clients were told about is compared with the processor (read straight from the
//! simulator, not through the router), and the simulators' counts with the router's rows. The
//! report counts payments lost, double charges, amounts that disagree, operations still
//! unsettled and answers of `failed` for money that moved; the exit status is 1 unless every
//! count is 0.
//!
//! With `--routers 2 --database-url postgres://…` (a router built with `--features postgres`)
//! two routers share the database, the clients spread over both, and only the first is killed.
//!
//! ```text
//! cargo build -p paybridge-router --bin paybridge-router --example fault_test
//! target/debug/examples/fault_test [--rounds 5] [--round-secs 12] [--clients 6]
//!     [--routers 1] [--database-url URL] [--no-reconciler]
//! ```
//!
//! `scripts/fault-test.sh` builds and runs it (`--long` for the long mode).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paybridge_connector_tests::targets;
use paybridge_core::{
    CaptureMethod, Connector, ConnectorConfig, PaymentLookupRequest, PaymentMethod,
    PaymentSyncRequest,
};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const API_KEY: &str = "fault_test_key";
const AMOUNT: i64 = 2000;

struct Args {
    rounds: u32,
    round_secs: u64,
    clients: usize,
    /// Runs the router without its reconciler: shows what the test catches without it.
    no_reconciler: bool,
    /// The routers' database; a SQLite file in a temporary directory by default.
    database_url: Option<String>,
    /// Router processes on the database, the clients spread over them; only the first is
    /// killed.
    routers: usize,
}

/// What the clients went through.
#[derive(Default)]
struct Traffic {
    /// Requests sent again after a broken connection, a 5xx or a key in progress.
    resent: std::sync::atomic::AtomicU64,
    /// Answers of `processing` or `pending`: the outcome was unknown when answered.
    unknown: std::sync::atomic::AtomicU64,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        rounds: 5,
        round_secs: 12,
        clients: 6,
        no_reconciler: false,
        database_url: None,
        routers: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--rounds" => args.rounds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--round-secs" => args.round_secs = value()?.parse().map_err(|e| format!("{e}"))?,
            "--clients" => args.clients = value()?.parse().map_err(|e| format!("{e}"))?,
            "--no-reconciler" => args.no_reconciler = true,
            "--database-url" => args.database_url = Some(value()?),
            "--routers" => args.routers = value()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.rounds < 5 || args.round_secs < 6 || args.clients == 0 || args.routers == 0 {
        return Err("at least 5 rounds of 6 s, 1 client and 1 router".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("simulators") {
        serve_simulators().await;
        return;
    }
    let args = match args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("fault_test: {err}");
            std::process::exit(2);
        }
    };
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(err) => {
            eprintln!("fault_test: {err}");
            std::process::exit(2);
        }
    }
}

/// The child process: every connector's simulator, and `GET /counts` of what each did.
async fn serve_simulators() {
    let mut configs = serde_json::Map::new();
    let mut handles = Vec::new();
    for entry in targets::CONNECTORS {
        let target = (entry.simulator)().await.expect("simulator starts");
        let sim = target.simulator.expect("a simulator");
        sim.set_webhook_target(None);
        configs.insert(entry.name.into(), config_json(&target.config));
        handles.push((entry.name, sim));
    }
    let handles = Arc::new(handles);
    let app = axum::Router::new().route(
        "/counts",
        axum::routing::get(move || {
            let handles = handles.clone();
            async move {
                let counts: serde_json::Map<String, Value> = handles
                    .iter()
                    .map(|(name, sim)| {
                        let c = sim.counters();
                        let value = json!({"authorizations": c.authorizations,
                            "captures": c.captures, "refunds": c.refunds});
                        ((*name).to_owned(), value)
                    })
                    .collect();
                axum::Json(Value::Object(counts))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let control = format!("http://{}", listener.local_addr().expect("addr"));
    println!("{}", json!({"control": control, "connectors": configs}));
    axum::serve(listener, app).await.expect("serve");
}

fn config_json(config: &ConnectorConfig) -> Value {
    json!({
        "base_url": config.base_url.as_str(),
        "api_key": config.api_key.expose_secret(),
        "extra": config.extra,
    })
}

fn config_from(value: &Value) -> Result<ConnectorConfig, String> {
    let mut config = ConnectorConfig::new(
        value["base_url"]
            .as_str()
            .ok_or("base_url")?
            .parse()
            .map_err(|e| format!("{e}"))?,
        value["api_key"].as_str().ok_or("api_key")?,
    );
    if let Some(extra) = value["extra"].as_object() {
        for (k, v) in extra {
            config
                .extra
                .insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
        }
    }
    Ok(config)
}

/// One simulator process.
struct Simulators {
    child: Child,
    control: String,
    configs: BTreeMap<String, ConnectorConfig>,
}

async fn start_simulators() -> Result<Simulators, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("simulators")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("simulators: {e}"))?;
    let stdout = child.stdout.take().ok_or("stdout")?;
    let stdout = tokio::process::ChildStdout::from_std(stdout).map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    let started: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
    let mut configs = BTreeMap::new();
    for (name, value) in started["connectors"].as_object().ok_or("connectors")? {
        configs.insert(name.clone(), config_from(value)?);
    }
    Ok(Simulators {
        child,
        control: started["control"].as_str().ok_or("control")?.to_owned(),
        configs,
    })
}

/// A TCP proxy in front of one simulator. Cutting it closes every open connection and closes
/// new ones at once until it is restored.
struct Proxy {
    addr: SocketAddr,
}

async fn start_proxy(upstream: SocketAddr, cut: watch::Receiver<bool>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut cut = cut.clone();
            tokio::spawn(async move {
                if *cut.borrow() {
                    return;
                }
                let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.wait_for(|cut| *cut) => {}
                }
            });
        }
    });
    Proxy { addr }
}

/// The router child process, restarted on the same file, port and configuration.
struct RouterProcess {
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
    base: String,
}

impl RouterProcess {
    fn binary() -> Result<PathBuf, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // target/<profile>/examples/fault_test → target/<profile>/paybridge-router
        let dir = exe.parent().and_then(Path::parent).ok_or("no target dir")?;
        let bin = dir.join("paybridge-router");
        if !bin.exists() {
            return Err(format!(
                "{} is missing: build it with `cargo build -p paybridge-router --bin \
                 paybridge-router`",
                bin.display()
            ));
        }
        Ok(bin)
    }

    fn start(&mut self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| e.to_string())?;
        let child = Command::new(Self::binary()?)
            .arg("--config")
            .arg(&self.config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("router: {e}"))?;
        self.child = Some(child);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the clients were told about one payment.
#[derive(Debug, Clone, Default)]
struct Told {
    payment_id: String,
    connector: String,
    /// Final answers of `failed` (or an error) per operation, with the operation's name.
    failed: Vec<&'static str>,
}

#[derive(Default)]
struct Report {
    payments: usize,
    lost: Vec<String>,
    double_charges: Vec<String>,
    disagree: Vec<String>,
    unsettled: Vec<String>,
    failed_but_moved: Vec<String>,
}

async fn run(args: Args) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("paybridge-fault-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut sims = start_simulators().await?;
    let (cut_tx, cut_rx) = watch::channel(false);
    let mut proxied = BTreeMap::new();
    for (name, config) in &sims.configs {
        let url = &config.base_url;
        let upstream: SocketAddr = format!(
            "{}:{}",
            url.host_str().ok_or("host")?,
            url.port().ok_or("port")?
        )
        .parse()
        .map_err(|e| format!("{e}"))?;
        let proxy = start_proxy(upstream, cut_rx.clone()).await;
        let mut through = config.clone();
        through.base_url = format!("http://{}/", proxy.addr)
            .parse()
            .map_err(|e| format!("{e}"))?;
        proxied.insert(name.clone(), through);
    }
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("router.db").display()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let mut routers = Vec::new();
    for n in 0..args.routers {
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let settings = RouterSettings {
            port,
            database_url: &database_url,
            reconciler: !args.no_reconciler,
        };
        let mut router = RouterProcess {
            child: None,
            config: write_config(&dir, n, &settings, &proxied)?,
            log: dir.join(format!("router-{n}.log")),
            base: format!("http://127.0.0.1:{port}"),
        };
        router.start()?;
        wait_until_up(&client, &router.base).await?;
        routers.push(router);
    }
    let bases: Vec<String> = routers.iter().map(|r| r.base.clone()).collect();

    println!(
        "fault test: {} rounds of {} s, {} clients, {} router(s), connectors {}",
        args.rounds,
        args.round_secs,
        args.clients,
        args.routers,
        sims.configs.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    let told: Arc<Mutex<Vec<Told>>> = Arc::default();
    let traffic: Arc<Traffic> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let connectors: Vec<String> = sims.configs.keys().cloned().collect();
    let mut clients = Vec::new();
    for n in 0..args.clients {
        let (client, base, told, stop, traffic) = (
            client.clone(),
            bases[n % bases.len()].clone(),
            told.clone(),
            stop.clone(),
            traffic.clone(),
        );
        let connector = connectors[n % connectors.len()].clone();
        clients.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("c{n}-{i}");
                i += 1;
                let flow = merchant_flow(&client, &base, &connector, &key, &traffic);
                if let Some(payment) = flow.await {
                    told.lock().expect("told").push(payment);
                }
            }
        }));
    }

    let started = Instant::now();
    for round in 0..args.rounds {
        let round_end = Instant::now() + Duration::from_secs(args.round_secs);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(
            1000..(args.round_secs * 1000 / 2),
        )))
        .await;
        // A frozen processor or a cut connection outlasts the router's 2 s connector timeout,
        // so calls end with their outcome unknown; the kill comes in the middle of that.
        if round % 2 == 1 {
            stop_process(&sims.child, "-STOP");
        }
        if round % 3 == 2 {
            let _ = cut_tx.send(true);
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(1500..3000))).await;
        routers[0].kill();
        print!("  round {}: router killed", round + 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        routers[0].start()?;
        tokio::time::sleep(Duration::from_millis(fastrand::u64(500..1500))).await;
        if round % 3 == 2 {
            let _ = cut_tx.send(false);
            print!(", connections cut");
        }
        if round % 2 == 1 {
            stop_process(&sims.child, "-CONT");
            print!(", simulators frozen");
        }
        println!(" (at {:.0} s)", started.elapsed().as_secs_f64());
        tokio::time::sleep(round_end.saturating_duration_since(Instant::now())).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = tokio::time::timeout(Duration::from_secs(120), client).await;
    }
    let told = told.lock().expect("told").clone();
    println!(
        "  {} payments driven; {} requests sent again, {} answers with the outcome unknown; \
         waiting for the reconciler",
        told.len(),
        traffic.resent.load(Ordering::Relaxed),
        traffic.unknown.load(Ordering::Relaxed),
    );

    let report = compare(&client, &bases[bases.len() - 1], &sims, &told).await?;
    for router in &mut routers {
        router.kill();
    }
    let _ = sims.child.kill();
    let _ = sims.child.wait();
    let clean = print_report(&report, started.elapsed());
    if clean {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("router log and database kept in {}", dir.display());
    }
    Ok(clean)
}

fn stop_process(child: &Child, signal: &str) {
    let _ = Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status();
}

/// What differs between the routers' configurations.
struct RouterSettings<'a> {
    port: u16,
    database_url: &'a str,
    reconciler: bool,
}

fn write_config(
    dir: &Path,
    n: usize,
    settings: &RouterSettings<'_>,
    connectors: &BTreeMap<String, ConnectorConfig>,
) -> Result<PathBuf, String> {
    let RouterSettings {
        port,
        database_url,
        reconciler,
    } = settings;
    let mut text = format!(
        "listen = \"127.0.0.1:{port}\"\n\
         database_url = \"{database_url}\"\n\
         simulators = false\n\
         connector_timeout_ms = 2000\n\
         [[merchants]]\nmerchant_id = \"merchant_fault\"\napi_key = \"{API_KEY}\"\n\
         [reconciler]\nenabled = {reconciler}\ninterval_ms = 500\nsettle_after_ms = 2000\n\
         not_found_after_secs = 10\nmax_backoff_ms = 2000\n",
    );
    for (name, config) in connectors {
        let extra: Vec<String> = config
            .extra
            .iter()
            .map(|(k, v)| format!("{k} = {v:?}"))
            .collect();
        text.push_str(&format!(
            "[connectors.{name}]\nbase_url = \"{}\"\napi_key = \"{}\"\nextra = {{ {} }}\n",
            config.base_url,
            config.api_key.expose_secret(),
            extra.join(", ")
        ));
    }
    let path = dir.join(format!("router-{n}.toml"));
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    Ok(path)
}

async fn wait_until_up(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(answer) = client.get(format!("{base}/health")).send().await {
            if answer.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the router did not start".into())
}

/// A request sent until it is answered, as a merchant retries: the same key and body after
/// a broken connection, a 5xx, or the key still in progress. `None` when no answer came
/// within two minutes.
async fn send(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
    traffic: &Traffic,
) -> Option<(u16, Value)> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut first = true;
    while Instant::now() < deadline {
        if !std::mem::take(&mut first) {
            traffic.resent.fetch_add(1, Ordering::Relaxed);
        }
        let sent = client
            .post(url)
            .header("api-key", API_KEY)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        if let Ok(response) = sent {
            let status = response.status().as_u16();
            if let Ok(answer) = response.json::<Value>().await {
                let in_progress =
                    status == 409 && answer["error"]["code"] == "idempotency_request_in_progress";
                if status < 500 && !in_progress {
                    if answer["status"] == "processing" || answer["status"] == "pending" {
                        traffic.unknown.fetch_add(1, Ordering::Relaxed);
                    }
                    return Some((status, answer));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(200..600))).await;
    }
    None
}

fn payment_body(connector: &str) -> Value {
    let entry = targets::connector(connector).expect("registered");
    let method = match (entry.cards)().approved {
        PaymentMethod::Card(card) => json!({"payment_method_data": {"card": {
            "card_number": card.number.expose(),
            "card_exp_month": card.expiry.month().to_string(),
            "card_exp_year": card.expiry.year().to_string(),
            "card_cvc": card.cvc.as_ref().map(|c| c.expose().to_owned()),
        }}}),
        PaymentMethod::Token(token) => json!({"payment_token": token.as_str()}),
        PaymentMethod::Wallet(_) => panic!("the fault test pays with cards and tokens only"),
    };
    let mut body = json!({"amount": AMOUNT, "currency": "USD", "connector": connector,
        "capture_method": "manual"});
    if let (Some(body), Value::Object(method)) = (body.as_object_mut(), method) {
        body.extend(method);
    }
    body
}

/// Create → capture → refund of half, each retried under its own key until answered.
async fn merchant_flow(
    client: &reqwest::Client,
    base: &str,
    connector: &str,
    key: &str,
    traffic: &Traffic,
) -> Option<Told> {
    let (_, created) = send(
        client,
        &format!("{base}/payments"),
        &format!("{key}-create"),
        &payment_body(connector),
        traffic,
    )
    .await?;
    let payment_id = created["payment_id"].as_str()?.to_owned();
    let mut told = Told {
        payment_id: payment_id.clone(),
        connector: connector.to_owned(),
        failed: Vec::new(),
    };
    if created["status"] == "failed" {
        told.failed.push("create");
    }
    if created["status"] != "requires_capture" {
        return Some(told);
    }
    let captured = send(
        client,
        &format!("{base}/payments/{payment_id}/capture"),
        &format!("{key}-capture"),
        &json!({}),
        traffic,
    )
    .await;
    match captured {
        Some((200, payment)) if payment["status"] == "succeeded" => {}
        Some((200, payment)) if payment["status"] == "processing" => return Some(told),
        _ => {
            told.failed.push("capture");
            return Some(told);
        }
    }
    let refunded = send(
        client,
        &format!("{base}/refunds"),
        &format!("{key}-refund"),
        &json!({"payment_id": payment_id, "amount": AMOUNT / 2}),
        traffic,
    )
    .await;
    if !matches!(refunded, Some((200, refund)) if refund["status"] != "failed") {
        told.failed.push("refund");
    }
    Some(told)
}

fn unsettled(payment: &Value) -> bool {
    let pending = |list: &str, status: &str| {
        payment[list]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["status"] == status))
    };
    payment["status"] == "processing"
        || pending("captures", "pending")
        || pending("refunds", "pending")
}

/// How many reads the comparison runs at once.
const PARALLEL_READS: usize = 16;

/// Every payment the clients were told about, read from the router at once (a few at a time).
async fn read_all(client: &reqwest::Client, base: &str, told: &[Told]) -> BTreeMap<String, Value> {
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL_READS));
    let mut reads = tokio::task::JoinSet::new();
    for t in told {
        let (client, limit, id) = (client.clone(), limit.clone(), t.payment_id.clone());
        let url = format!("{base}/payments/{id}");
        reads.spawn(async move {
            let _permit = limit.acquire_owned().await.ok()?;
            let answer = client
                .get(url)
                .header("api-key", API_KEY)
                .send()
                .await
                .ok()?;
            Some((id, answer.json::<Value>().await.ok()?))
        });
    }
    let mut payments = BTreeMap::new();
    while let Some(read) = reads.join_next().await {
        if let Ok(Some((id, payment))) = read {
            payments.insert(id, payment);
        }
    }
    payments
}

/// What the comparison found about one payment.
#[derive(Default)]
struct Checked {
    lost: Vec<String>,
    unsettled: Vec<String>,
    disagree: Vec<String>,
    failed_but_moved: Vec<String>,
    /// The processor payment, charged captures and succeeded refunds the router holds.
    held: Option<[u64; 3]>,
}

/// One payment as the router holds it against the processor's record of it.
async fn check(connector: Arc<dyn Connector>, told: Told, payment: Option<Value>) -> Checked {
    let mut checked = Checked::default();
    let id = &told.payment_id;
    let Some(payment) = payment else {
        checked.lost.push(format!("{id}: not in the router"));
        return checked;
    };
    if unsettled(&payment) {
        checked
            .unsettled
            .push(format!("{id} ({})", payment["status"]));
    }
    let processor = match payment["connector_transaction_id"].as_str() {
        Some(connector_id) => connector
            .sync_payment(&PaymentSyncRequest {
                connector_payment_id: connector_id.to_owned(),
                capture_method: CaptureMethod::Manual,
            })
            .await
            .ok(),
        None => {
            let found = connector
                .find_payment(&PaymentLookupRequest::new(id.clone()))
                .await
                .ok()
                .and_then(|f| f.connector_payment_id);
            if let Some(found) = found {
                checked.lost.push(format!(
                    "{id}: the router has no processor payment, the processor has {found}"
                ));
            }
            None
        }
    };
    let Some(processor) = processor else {
        return checked;
    };
    let charged = payment["captures"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| c["status"] == "charged").count());
    let refunded: Vec<&Value> = payment["refunds"]
        .as_array()
        .map(|r| r.iter().filter(|r| r["status"] == "succeeded").collect())
        .unwrap_or_default();
    checked.held = Some([1, charged as u64, refunded.len() as u64]);
    let router_received = payment["amount_received"].as_i64().unwrap_or(-1);
    let router_refunded: i64 = refunded.iter().filter_map(|r| r["amount"].as_i64()).sum();
    let amounts = processor.amounts;
    if router_received != amounts.received.get() {
        checked.disagree.push(format!(
            "{id}: received {router_received} here, {} at the processor",
            amounts.received.get()
        ));
    }
    if router_refunded != amounts.refunded.get() {
        checked.disagree.push(format!(
            "{id}: refunded {router_refunded} here, {} at the processor",
            amounts.refunded.get()
        ));
    }
    for operation in &told.failed {
        let moved = match *operation {
            "create" => !amounts.authorized.is_zero(),
            "capture" => !amounts.received.is_zero(),
            _ => !amounts.refunded.is_zero(),
        };
        if moved {
            checked.failed_but_moved.push(format!(
                "{id}: {operation} answered failed, the processor moved the money"
            ));
        }
    }
    checked
}

/// Waits for the reconciler, then compares every payment with its processor.
async fn compare(
    client: &reqwest::Client,
    base: &str,
    sims: &Simulators,
    told: &[Told],
) -> Result<Report, String> {
    // Until nothing is open, or nothing settled for a minute (at most ten minutes).
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut payments = read_all(client, base, told).await;
    let mut open = payments.values().filter(|p| unsettled(p)).count();
    let mut progress = Instant::now();
    while open > 0 && Instant::now() < deadline && progress.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        payments = read_all(client, base, told).await;
        let now_open = payments.values().filter(|p| unsettled(p)).count();
        if now_open < open {
            progress = Instant::now();
        }
        open = now_open;
    }

    let mut connectors: BTreeMap<String, Arc<dyn Connector>> = BTreeMap::new();
    for (name, config) in &sims.configs {
        let entry = targets::connector(name).ok_or("registered")?;
        connectors.insert(
            name.clone(),
            (entry.build)(config).map_err(|e| e.to_string())?,
        );
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL_READS));
    let mut checks = tokio::task::JoinSet::new();
    for t in told {
        let (limit, t) = (limit.clone(), t.clone());
        let connector = connectors[&t.connector].clone();
        let payment = payments.remove(&t.payment_id);
        checks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let name = t.connector.clone();
            (name, check(connector, t, payment).await)
        });
    }
    let mut report = Report {
        payments: told.len(),
        ..Report::default()
    };
    // What the router holds, to compare with the simulators' counts.
    let mut held: BTreeMap<String, [u64; 3]> = sims
        .configs
        .keys()
        .map(|name| (name.clone(), [0; 3]))
        .collect();
    while let Some(done) = checks.join_next().await {
        let (name, checked) = done.map_err(|e| e.to_string())?;
        report.lost.extend(checked.lost);
        report.unsettled.extend(checked.unsettled);
        report.disagree.extend(checked.disagree);
        report.failed_but_moved.extend(checked.failed_but_moved);
        if let Some(counts) = checked.held {
            let total = held.entry(name).or_default();
            for (sum, count) in total.iter_mut().zip(counts) {
                *sum += count;
            }
        }
    }
    let counts: Value = client
        .get(format!("{}/counts", sims.control))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    for (name, [payments, captures, refunds]) in &held {
        let sim = &counts[name.as_str()];
        let at = |k: &str| sim[k].as_u64().unwrap_or(0);
        if at("authorizations") != *payments {
            report.double_charges.push(format!(
                "{name}: {} payments at the processor, {payments} in the router",
                at("authorizations")
            ));
        }
        if at("captures") != *captures {
            report.double_charges.push(format!(
                "{name}: {} captures at the processor, {captures} charged in the router",
                at("captures")
            ));
        }
        if at("refunds") != *refunds {
            report.double_charges.push(format!(
                "{name}: {} refunds at the processor, {refunds} succeeded in the router",
                at("refunds")
            ));
        }
    }
    Ok(report)
}

fn print_report(report: &Report, took: Duration) -> bool {
    let rows = [
        ("payments lost", &report.lost),
        ("double charges", &report.double_charges),
        ("amounts that disagree", &report.disagree),
        ("operations still unsettled", &report.unsettled),
        (
            "retries answered failed for money that moved",
            &report.failed_but_moved,
        ),
    ];
    println!(
        "fault test: {} payments in {:.0} s",
        report.payments,
        took.as_secs_f64()
    );
    for (label, items) in rows {
        println!("  {label}: {}", items.len());
        for item in items.iter().take(10) {
            println!("    {item}");
        }
    }
    let clean = rows.iter().all(|(_, items)| items.is_empty()) && report.payments > 0;
    let (passed, failed) = if clean { (1, 0) } else { (0, 1) };
    println!("{passed} passed, {failed} failed");
    clean
}
