//! The router binary's command line and start-up messages, run as a user runs it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_paybridge-router");

/// An empty directory, removed when dropped; the router runs in it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "paybridge-cli-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The router with `args`, in `dir`, with no `PAYBRIDGE_ROUTER_*` variable of the caller's.
fn router(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PAYBRIDGE_ROUTER_") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the router runs");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn help_and_version_print_and_exit_without_opening_anything() {
    let dir = Scratch::new("help");
    let (code, help, _) = run(&mut router(&dir.0, &["--help"]));
    assert_eq!(code, Some(0), "{help}");
    for setting in [
        "--config",
        "--listen",
        "--database-url",
        "--log-format",
        "--public-url",
        "--simulators",
        "--api-keys",
        "--connector-timeout-ms",
    ] {
        let variable = format!(
            "PAYBRIDGE_ROUTER_{}",
            setting[2..].replace('-', "_").to_uppercase()
        );
        assert!(help.contains(setting), "{setting} missing from:\n{help}");
        assert!(help.contains(&variable), "{variable} missing from:\n{help}");
    }
    let (code, version, _) = run(&mut router(&dir.0, &["--version"]));
    assert_eq!(code, Some(0));
    assert_eq!(
        version.trim(),
        format!("paybridge-router {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(dir.files(), Vec::<String>::new(), "no database was created");
}

#[test]
fn help_hides_the_values_of_secret_variables() {
    let dir = Scratch::new("hidden");
    let (code, help, _) = run(router(&dir.0, &["--help"])
        .env("PAYBRIDGE_ROUTER_API_KEYS", "m1:very-secret-key")
        .env(
            "PAYBRIDGE_ROUTER_DATABASE_URL",
            "postgres://u:db-password@h/db",
        ));
    assert_eq!(code, Some(0));
    assert!(!help.contains("very-secret-key"), "{help}");
    assert!(!help.contains("db-password"), "{help}");
}

#[test]
fn bad_arguments_print_the_usage_and_exit_2() {
    let dir = Scratch::new("bogus");
    let (code, _, err) = run(&mut router(&dir.0, &["--bogus"]));
    assert_eq!(code, Some(2));
    assert!(err.contains("--bogus") && err.contains("Usage:"), "{err}");

    let (code, _, err) = run(router(&dir.0, &[]).env("PAYBRIDGE_ROUTER_LOG_FORMAT", "xml"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--log-format") && err.contains("json"),
        "{err}"
    );

    let (code, _, err) = run(&mut router(&dir.0, &["--listen", "9312"]));
    assert_eq!(code, Some(2));
    assert!(err.contains("HOST:PORT"), "{err}");
    assert_eq!(dir.files(), Vec::<String>::new());
}

#[test]
fn a_misspelt_connector_key_is_refused_with_its_line() {
    let dir = Scratch::new("config");
    let file = dir.0.join("router.toml");
    std::fs::write(
        &file,
        "simulators = false\n[connectors.stripe]\nbase_url = \"https://x.test\"\napikey = \"sk_test_secret\"\n",
    )
    .expect("write");
    let (code, _, err) = run(&mut router(
        &dir.0,
        &["--config", file.to_str().expect("utf-8 path")],
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("line 4") && err.contains("apikey"), "{err}");
    assert!(!err.contains("sk_test_secret"), "{err}");
}

/// Starts the router and waits for its "listening" line; kills it after.
fn starts(command: &mut Command) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let line = received.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let output = child.wait_with_output().expect("wait");
    match line {
        Ok(line) => line,
        Err(_) => panic!(
            "no start-up line; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

#[test]
fn a_new_sqlite_file_and_a_host_name_work() {
    let dir = Scratch::new("start");
    let line = starts(
        router(
            &dir.0,
            &[
                "--listen",
                "localhost:0",
                "--database-url",
                "sqlite://fresh.db",
                "--simulators",
                "false",
            ],
        )
        // An empty variable counts as unset.
        .env("PAYBRIDGE_ROUTER_PUBLIC_URL", ""),
    );
    assert!(
        line.starts_with("paybridge router listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        dir.files().contains(&"fresh.db".to_owned()),
        "{:?}",
        dir.files()
    );
}

#[test]
fn database_errors_say_the_fix() {
    let dir = Scratch::new("db");
    let (code, _, err) = run(&mut router(
        &dir.0,
        &[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "sqlite://no/such/dir/x.db",
        ],
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("directory exist"), "{err}");

    if !cfg!(feature = "postgres") {
        let (code, _, err) = run(&mut router(
            &dir.0,
            &[
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                "postgres://u:pw@127.0.0.1:1/db",
            ],
        ));
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("--features postgres"), "{err}");
        assert!(!err.contains("pw@"), "the password is not shown: {err}");
    }
}

/// Spawns the router with `format` logs on `sqlite::memory:`, pipes kept.
fn spawn_with_logs(dir: &Path, format: &str) -> std::process::Child {
    router(
        dir,
        &[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "sqlite::memory:",
            "--log-format",
            format,
        ],
    )
    .env("RUST_LOG", "info")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn")
}

/// The lines of `stream`, as they come.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    received
}

/// `GET /health` on `base` (`http://127.0.0.1:port`), by hand: no HTTP client in this test.
fn get_health(base: &str) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: router\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn terminate(child: &mut std::process::Child) -> Option<i32> {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait().expect("wait").code()
}

/// JSON logs are a stream of JSON lines only (the banner goes to stderr), without colour codes
/// when not on a terminal.
#[test]
#[cfg(unix)]
fn json_logs_are_json_lines_only() {
    let dir = Scratch::new("json");
    let mut child = spawn_with_logs(&dir.0, "json");
    let banner = lines_of(child.stderr.take().expect("stderr"))
        .recv_timeout(Duration::from_secs(60))
        .expect("the banner on stderr");
    assert!(
        banner.starts_with("paybridge router listening on"),
        "{banner}"
    );
    get_health(banner.rsplit(' ').next().expect("url"));
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let line = stdout
        .recv_timeout(Duration::from_secs(10))
        .expect("the request's log line");
    let parsed: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("stdout holds a line that is not JSON ({e}): {line}"));
    assert!(parsed["level"].is_string(), "{parsed}");
    assert!(
        !line.contains('\u{1b}'),
        "colour codes in a piped log: {line}"
    );
    assert_eq!(terminate(&mut child), Some(0));
}

/// A closed stdout (`paybridge-router | head -1`) ends nothing in a panic: the banner's later
/// lines and the logs are dropped, and the router stops cleanly on SIGTERM.
#[test]
#[cfg(unix)]
fn a_closed_stdout_is_no_panic() {
    let dir = Scratch::new("pipe");
    let mut child = spawn_with_logs(&dir.0, "text");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the banner");
    assert!(
        first.starts_with("paybridge router listening on"),
        "{first}"
    );
    assert!(!first.contains('\u{1b}'), "{first}");
    drop(stdout);
    get_health(first.trim().rsplit(' ').next().expect("url"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    assert_eq!(
        terminate(&mut child),
        Some(0),
        "a closed stdout made the router fail"
    );
    let said: Vec<String> = stderr.try_iter().collect();
    assert!(!said.iter().any(|l| l.contains("panicked")), "{said:#?}");
}
