#!/usr/bin/env bash
# Scaffolds a new connector: its crate, a simulator skeleton, its entry in the registry (so the
# router routes to it) and in the conformance suite. Right after it runs, the workspace builds,
# clippy is clean, and the suite passes for the new connector by asserting NotSupported for every
# flow. Then implement flows one by one, and the suite tells you what is left.
#
#   scripts/add-connector.sh <name>      name: lower-case letters and digits, e.g. "adyen"
#
# Files created:
#   connectors/<name>/                      the crate: translator, wire and mapping modules, a test
#   sandbox/src/<name>.rs                   the simulator skeleton (no routes yet)
#   registry/src/<name>.rs                  the registry's entry: build, live and simulator config
#   connector-tests/src/targets/<name>.rs   the suite's target (simulator and live sandbox)
#   connector-tests/tests/<name>.rs         the suite's test
# Files edited, at their "add-connector:" markers only:
#   Cargo.toml, registry/Cargo.toml, registry/src/lib.rs, router/Cargo.toml,
#   connector-tests/src/targets/mod.rs, sandbox/src/lib.rs
set -euo pipefail

die() { echo "add-connector: $*" >&2; exit 1; }

cd "$(dirname "$0")/.."
[[ $# -eq 1 ]] || die "usage: scripts/add-connector.sh <name>"
name="$1"
[[ "$name" =~ ^[a-z][a-z0-9]{1,29}$ ]] ||
    die "'$name' is not a valid name: use 2 to 30 lower-case letters and digits, starting with a letter"
case "$name" in
    # Crate and module names, and the registry's and router's features besides connectors.
    core | sandbox | router | registry | connector | connectors | tests | test | http | std | crate | self | super | \
        default | simulators | postgres)
        die "'$name' is reserved" ;;
esac
[[ ! -e "connectors/$name" ]] || die "connector '$name' already exists (connectors/$name)"
[[ ! -e "sandbox/src/$name.rs" && ! -e "sandbox/src/$name" ]] || die "a simulator named '$name' already exists"
[[ ! -e "registry/src/$name.rs" ]] || die "the registry already has a connector named '$name'"
[[ ! -e "connector-tests/src/targets/$name.rs" ]] || die "the suite already has a target named '$name'"
for marker_file in Cargo.toml registry/Cargo.toml registry/src/lib.rs router/Cargo.toml \
    connector-tests/src/targets/mod.rs sandbox/src/lib.rs; do
    grep -q "add-connector:" "$marker_file" || die "$marker_file has no add-connector marker; was it edited by hand?"
done

type="$(tr '[:lower:]' '[:upper:]' <<<"${name:0:1}")${name:1}"
env="$(tr '[:lower:]' '[:upper:]' <<<"$name")"

# Fills the placeholders of a template read from stdin.
render() { sed -e "s/__NAME__/$name/g" -e "s/__TYPE__/$type/g" -e "s/__ENV__/$env/g"; }

# Inserts a line before the line holding a marker.
insert_before() { # file marker line
    local file="$1" marker="$2" line="$3" tmp
    tmp="$(mktemp)"
    awk -v marker="$marker" -v line="$line" 'index($0, marker) { print line } { print }' "$file" >"$tmp"
    mv "$tmp" "$file"
}

mkdir -p "connectors/$name/src" "connectors/$name/tests"

render >"connectors/$name/Cargo.toml" <<'EOF'
[package]
name = "paybridge-__NAME__"
description = "__TYPE__ connector for paybridge"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true

[dependencies]
paybridge-core.workspace = true
serde.workspace = true
serde_json.workspace = true

[lints]
workspace = true
EOF

render >"connectors/$name/src/lib.rs" <<'EOF'
//! # paybridge-__NAME__
//!
//! The __TYPE__ connector. Scaffolded: every flow answers `NotSupported` until it is written.
//! Write a flow as a `Translator` method, list it in `capabilities()`, and run the conformance
//! suite (`cargo test -p paybridge-connector-tests --test __NAME__`); see
//! `docs/writing-a-connector.md`.
//!
//! ```
//! use paybridge___NAME__::__TYPE__;
//! use paybridge_core::*;
//!
//! let config = ConnectorConfig::new(__TYPE__::SANDBOX_URL.parse().unwrap(), "test_key");
//! let connector = __TYPE__::connector(&config).unwrap();
//! assert_eq!(connector.id(), "__NAME__");
//! ```

#[expect(dead_code, reason = "used by the flows once they are written")]
mod mapping;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod wire;

use std::sync::Arc;

use paybridge_core::http::{bearer_value, HeaderValue};
use paybridge_core::url::Url;
use paybridge_core::*;

/// The __TYPE__ translator, built from a [`ConnectorConfig`].
#[expect(dead_code, reason = "used by the flows once they are written")]
pub struct __TYPE__ {
    base_url: Url,
    /// The credentials header, validated and marked sensitive once. Change it if __TYPE__
    /// authenticates another way.
    authorization: HeaderValue,
}

impl __TYPE__ {
    /// The connector id.
    pub const ID: &'static str = "__NAME__";
    /// The processor's sandbox URL (replace with the real one).
    pub const SANDBOX_URL: &'static str = "https://sandbox.__NAME__.invalid/";

    /// A translator for one account.
    pub fn new(config: &ConnectorConfig) -> Result<Self, ConfigError> {
        let authorization = bearer_value(&config.api_key).map_err(|e| ConfigError::Invalid {
            key: "api_key".into(),
            message: e.to_string(),
        })?;
        Ok(__TYPE__ {
            base_url: config.base_url.clone(),
            authorization,
        })
    }

    /// A ready-to-use connector for a router's registry.
    pub fn connector(config: &ConnectorConfig) -> Result<Arc<dyn Connector>, ConfigError> {
        HttpConnector::boxed(__TYPE__::new(config)?, config.execution)
    }

    /// Configuration from `PAYBRIDGE___ENV___API_KEY` and optionally `_BASE_URL` and
    /// `_WEBHOOK_SECRETS`; `None` when no key is set.
    pub fn config_from_env() -> Result<Option<ConnectorConfig>, ConfigError> {
        ConnectorConfig::from_env("PAYBRIDGE___ENV__", "API_KEY", Self::SANDBOX_URL, &[])
    }
}

impl Translator for __TYPE__ {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn capabilities(&self) -> Capabilities {
        // Add `.support(Flow::…, [conditions])` for each flow as it is written.
        Capabilities::new(Self::ID)
    }

    fn wire_profile(&self) -> WireProfile {
        WireProfile {
            // Set the processor's idempotency header and what it does with a reused key.
            idempotency_header: "idempotency-key",
            key_reuse: KeyReuse::ReplaysSuccess,
            retry_hint: no_retry_hint,
            sensitive_fields: &[],
        }
    }
}
EOF

render >"connectors/$name/src/wire.rs" <<'EOF'
//! __TYPE__'s wire format: the request and response bodies as the processor defines them, as
//! serde structs. Keep response fields the processor may omit optional.
EOF

render >"connectors/$name/src/mapping.rs" <<'EOF'
//! From __TYPE__'s answers to the unified vocabulary: statuses, amounts, decline codes, errors.

use paybridge_core::http::HttpResponse;
use paybridge_core::*;

/// A non-2xx answer as a typed error. Refine it with the processor's error codes (state
/// rejections, idempotency conflicts) and keep them in the `ProcessorMessage`.
pub fn error(resp: &HttpResponse) -> ConnectorError {
    resp.error(ProcessorMessage::default())
}
EOF

render >"connectors/$name/tests/translation.rs" <<'EOF'
//! The __TYPE__ translation, without a server.

#![allow(clippy::unwrap_used)]

use paybridge___NAME__::__TYPE__;
use paybridge_core::*;

fn translator() -> __TYPE__ {
    let config = ConnectorConfig::new(__TYPE__::SANDBOX_URL.parse().unwrap(), "test_key");
    __TYPE__::new(&config).unwrap()
}

#[test]
fn publishes_its_capabilities() {
    let capabilities = translator().capabilities();
    assert_eq!(capabilities.connector, "__NAME__");
    // Replace with the flows this connector supports as they are written.
    assert_eq!(capabilities.supported_flows().count(), 0);
}
EOF

render >"sandbox/src/$name.rs" <<'EOF'
//! Simulator of __TYPE__'s API. Scaffolded with no routes, so every API request is answered
//! 404. Add routes to [`router`] as the connector's flows are written; the control layer
//! already provides fault injection, counters, idempotency and webhooks (see
//! [`crate::control`] and the Checkout.com simulator).

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;

use crate::control::{self, ServeOptions, SimulatorHandle};

/// The simulator's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct __TYPE__SimConfig {
    /// The only accepted API key.
    pub api_key: String,
    /// The key webhooks are signed with.
    pub webhook_secret: String,
}

impl Default for __TYPE__SimConfig {
    fn default() -> Self {
        __TYPE__SimConfig {
            api_key: "__NAME___sim_api_key".to_owned(),
            webhook_secret: "__NAME___sim_webhook_secret".to_owned(),
        }
    }
}

/// Starts the simulator on a free port of `127.0.0.1`.
pub async fn start(config: __TYPE__SimConfig) -> std::io::Result<SimulatorHandle> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    config: __TYPE__SimConfig,
) -> std::io::Result<SimulatorHandle> {
    // Set `idempotency` and `fault_response` in the options to match the processor.
    control::start(addr, ServeOptions::default(), move |_control| router(config)).await
}

/// The simulated API.
fn router(_config: __TYPE__SimConfig) -> Router {
    Router::new()
}
EOF

render >"registry/src/$name.rs" <<'EOF'
//! __TYPE__: an API key (list more live variables if it needs them).

use paybridge___NAME__::__TYPE__;

use crate::ConnectorEntry;

#[cfg(feature = "simulators")]
pub use simulator::simulator_config;

/// __TYPE__'s entry.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: "__NAME__",
    live_variables: &["PAYBRIDGE___ENV___API_KEY"],
    build: __TYPE__::connector,
    live_config: __TYPE__::config_from_env,
    #[cfg(feature = "simulators")]
    start_simulator: simulator::start,
};

#[cfg(feature = "simulators")]
mod simulator {
    use paybridge_core::url::Url;
    use paybridge_core::webhook::WebhookSecrets;
    use paybridge_core::ConnectorConfig;
    use paybridge_sandbox::__NAME__::{self as sim, __TYPE__SimConfig};

    use crate::{fast_retries, RunningSimulator, SimulatorStart};

    /// The configuration that reaches a __TYPE__ simulator with keys `sim` at `base_url` (the
    /// simulator's own, or a proxy's in front of it).
    pub fn simulator_config(sim: &__TYPE__SimConfig, base_url: Url) -> ConnectorConfig {
        let mut config = ConnectorConfig::new(base_url, sim.api_key.clone());
        config.webhook_secrets = WebhookSecrets::new([sim.webhook_secret.clone()]);
        fast_retries(&mut config);
        config
    }

    pub(super) fn start() -> SimulatorStart {
        Box::pin(async {
            let keys = __TYPE__SimConfig::default();
            let handle = sim::start(keys.clone()).await?;
            let config = simulator_config(&keys, handle.base_url());
            Ok(RunningSimulator { config, handle })
        })
    }
}
EOF

render >"connector-tests/src/targets/$name.rs" <<'EOF'
//! __TYPE__ on its simulator and on the live sandbox.

use std::time::Duration;

use paybridge_core::*;
use paybridge_registry::__NAME__ as registry;
use paybridge_sandbox::__NAME__::{self as sim, __TYPE__SimConfig};

use super::{ConnectorEntry, SimulatorTarget};
use crate::{card, Target, TestCards};

/// __TYPE__'s entry in the suite.
pub const ENTRY: ConnectorEntry = ConnectorEntry {
    name: registry::ENTRY.name,
    live_variables: registry::ENTRY.live_variables,
    build: registry::ENTRY.build,
    cards,
    simulator,
    live,
};

/// Test cards (replace with the processor's own).
pub fn cards() -> TestCards {
    TestCards {
        approved: card("4242424242424242"),
        mastercard: None,
        visa: None,
        declined: None,
        three_ds: None,
        wallets: Vec::new(),
    }
}

fn simulator() -> SimulatorTarget {
    Box::pin(async {
        let sim_config = __TYPE__SimConfig::default();
        let handle = sim::start(sim_config.clone()).await.map_err(|e| e.to_string())?;
        Ok(Target {
            label: "__NAME__ (simulator)".into(),
            config: registry::simulator_config(&sim_config, handle.base_url()),
            build: ENTRY.build,
            cards: cards(),
            simulator: Some(handle),
            customer: None,
            currency: Currency::USD,
            secrets: vec![sim_config.api_key, sim_config.webhook_secret],
            settle_timeout: Duration::from_secs(5),
        })
    })
}

fn live() -> Result<Option<Target>, String> {
    let config = (registry::ENTRY.live_config)().map_err(|e| e.to_string())?;
    Ok(config.map(|config| Target::live(ENTRY.name, config, ENTRY.build, cards(), Currency::USD)))
}
EOF

render >"connector-tests/tests/$name.rs" <<'EOF'
//! The conformance suite for __TYPE__: on the simulator always, on the live sandbox when
//! `PAYBRIDGE___ENV___API_KEY` is set.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn __NAME___conformance() {
    paybridge_connector_tests::conformance("__NAME__").await;
}
EOF

insert_before Cargo.toml "# add-connector: members" "    \"connectors/$name\","
insert_before Cargo.toml "# add-connector: dependencies" \
    "paybridge-$name = { path = \"connectors/$name\", version = \"0.1.0\" }"
insert_before registry/Cargo.toml "# add-connector: default features" "    \"$name\","
insert_before registry/Cargo.toml "# add-connector: features" "$name = [\"dep:paybridge-$name\"]"
insert_before registry/Cargo.toml "# add-connector: dependencies" \
    "paybridge-$name = { workspace = true, optional = true }"
insert_before registry/src/lib.rs "// add-connector: modules" "#[cfg(feature = \"$name\")]"
insert_before registry/src/lib.rs "// add-connector: modules" "pub mod $name;"
insert_before registry/src/lib.rs "// add-connector: entries" "    #[cfg(feature = \"$name\")]"
insert_before registry/src/lib.rs "// add-connector: entries" "    $name::ENTRY,"
# The router routes to every registered connector, unless built without it.
insert_before router/Cargo.toml "# add-connector: default features" "    \"$name\","
insert_before router/Cargo.toml "# add-connector: features" "$name = [\"paybridge-registry/$name\"]"
insert_before connector-tests/src/targets/mod.rs "// add-connector: modules" "pub mod $name;"
insert_before connector-tests/src/targets/mod.rs "// add-connector: entries" "    $name::ENTRY,"
insert_before sandbox/src/lib.rs "// add-connector: simulators" "pub mod $name;"

# The insertions follow rustfmt's order (it sorts `mod` declarations).
cargo fmt -p "paybridge-$name" -p paybridge-sandbox -p paybridge-registry -p paybridge-connector-tests

echo "Scaffolded connector '$name':"
echo "  connectors/$name/                      translator ($type), wire and mapping modules"
echo "  sandbox/src/$name.rs                   simulator skeleton"
echo "  registry/src/$name.rs                  registry entry (live: PAYBRIDGE_${env}_API_KEY)"
echo "  connector-tests/src/targets/$name.rs   suite target"
echo "  connector-tests/tests/$name.rs         suite test"
echo "The router (router/) builds connectors from the registry: it routes to '$name' (feature '$name', on by default) as soon as it builds."
echo "Next: cargo test -p paybridge-connector-tests --test $name"
