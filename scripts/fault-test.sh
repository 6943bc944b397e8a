#!/usr/bin/env bash
# The fault test of issue 16 (router/examples/fault_test.rs): the router as a child process on a
# SQLite file, the simulators in another process behind TCP proxies, concurrent clients that
# retry with their Idempotency-Key, and in every round kill -9 of the router, SIGSTOP/SIGCONT
# of the simulators or cut connections. Prints payments lost, double charges, amounts that
# disagree, operations still unsettled and answers of "failed" for money that moved; exits
# non-zero unless each is 0.
#
#   scripts/fault-test.sh            short mode (CI, about 75 s): 5 rounds of 8 s, 6 clients
#   scripts/fault-test.sh --long     20 rounds of 15 s, 12 clients
#   scripts/fault-test.sh --no-reconciler   the short mode without the reconciler: shows what
#                                    the test catches (it must fail)
#   scripts/fault-test.sh --postgres URL     the short mode with two routers on the PostgreSQL
#                                    database URL (a fresh one), the first killed each round
#
# Needs the Rust toolchain and `kill` (Debian's procps, installed when missing and root).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

args=(--rounds 5 --round-secs 8 --clients 6)
features=()
case "${1:-}" in
    --long) args=(--rounds 20 --round-secs 15 --clients 12) ;;
    --no-reconciler) args+=(--no-reconciler) ;;
    --postgres)
        [[ -n "${2:-}" ]] || { echo "usage: $0 --postgres URL" >&2; exit 2; }
        args+=(--routers 2 --database-url "$2")
        features=(--features postgres)
        ;;
    "") ;;
    *) echo "usage: $0 [--long | --no-reconciler | --postgres URL]" >&2; exit 2 ;;
esac

if ! command -v kill >/dev/null || ! [ -x "$(type -P kill || true)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq procps >/dev/null
    else
        echo "fault-test: needs the kill program (Debian: apt-get install procps)" >&2
        exit 2
    fi
fi

cargo build --quiet --locked -p paybridge-router "${features[@]}" --bin paybridge-router \
    --example fault_test
target="${CARGO_TARGET_DIR:-$repo/target}"
exec "$target/debug/examples/fault_test" "${args[@]}"
