#!/usr/bin/env bash
# Router benchmark: drives the reference router (in-process, SQLite in a temp directory, the
# in-process processor simulators) with concurrent clients looping create (manual capture) →
# capture, then the same loop calling the connectors directly against their simulators, and
# prints throughput and p50/p99/max latency of both, their ratios, and whether the targets
# (≥ 2,000 payment operations/s, p99 < 10 ms) are met. See docs/benchmarks.md, "Router".
#
# Needs no network and no credentials: everything listens on 127.0.0.1.
#
# Usage:
#   scripts/router-bench.sh                           # 8 clients, 10 s per phase, every connector
#   scripts/router-bench.sh --clients 64 --seconds 5  # more concurrency
#   scripts/router-bench.sh --connector checkout      # one connector (checkout|stripe|primer|all)
#   scripts/router-bench.sh --no-webhooks             # simulators do not post webhooks to the router
#   scripts/router-bench.sh --help
#
# Builds in release mode (the first build takes a few minutes; CARGO_BUILD_JOBS limits it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --release -p paybridge-router --example loadgen -- "$@"
