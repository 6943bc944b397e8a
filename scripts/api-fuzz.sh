#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis generates requests from the OpenAPI document the
# router serves and checks that none is a server error, that every request the document calls
# valid is accepted, and that every answer matches the document.
#
#   scripts/api-fuzz.sh            short mode (CI): 25 examples per operation and phase
#   scripts/api-fuzz.sh --long     500 examples per operation and phase
#   API_FUZZ_SEED=N                another seed (default 20261202); API_FUZZ_PHASES=fuzzing, say
#
# Needs Python 3 (schemathesis comes from PyPI into a venv the script makes under target/).
# The router runs from this checkout's debug build on a free port with its simulators and a
# temporary SQLite file. Prints the run's figures; exits non-zero on any failure.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

examples=25
if [[ "${1:-}" == "--long" ]]; then examples=500; fi

target="${CARGO_TARGET_DIR:-$repo/target}"
venv="$target/api-fuzz-venv"
requirements="$repo/scripts/api-fuzz/requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

cargo build --quiet --locked -p paybridge-router --bin paybridge-router
work="$(mktemp -d)"
router_pid=""
cleanup() {
    if [[ -n "$router_pid" ]]; then kill "$router_pid" 2>/dev/null || true; wait "$router_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A free port: bind port 0, read it back, release it.
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
api_key="fuzz_$(date +%s%N)"
PAYBRIDGE_ROUTER_API_KEYS="merchant_fuzz:$api_key" RUST_LOG=warn \
    "$target/debug/paybridge-router" --listen "127.0.0.1:$port" \
    --database-url "sqlite://$work/fuzz.db" >"$work/router.log" 2>&1 &
router_pid=$!
for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$base/ready', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$router_pid" 2>/dev/null; then cat "$work/router.log" >&2; exit 1; fi
    sleep 0.1
done

started=$SECONDS
status=0
# From the temporary directory: schemathesis keeps its cache in the working directory.
cd "$work"
API_FUZZ_HOOKS="$repo/scripts/api-fuzz/hooks.py" \
    "$venv/bin/schemathesis" --config-file "$repo/scripts/api-fuzz/schemathesis.toml" run "$base/openapi.json" \
    --header "api-key: $api_key" \
    --checks not_a_server_error,positive_data_acceptance,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases "${API_FUZZ_PHASES:-examples,coverage,fuzzing}" \
    --max-examples "$examples" --seed "${API_FUZZ_SEED:-20261202}" --workers 2 \
    --report junit --report-dir "$work/report" >"$work/fuzz.out" 2>&1 || status=$?
# Failures, warnings and the summary.
sed -n '/=== \(ERRORS\|FAILURES\|WARNINGS\|SUMMARY\) ===/,$p' "$work/fuzz.out" | head -n 200
cases="$(grep -Eo '[0-9]+ generated' "$work/fuzz.out" | tail -1 || true)"
echo "api-fuzz: $examples examples per operation and phase, ${cases:-? generated} test cases in $((SECONDS - started)) s; exit $status"
if grep -q "panicked" "$work/router.log"; then
    echo "api-fuzz: the router panicked:" >&2
    grep -A5 "panicked" "$work/router.log" >&2
    status=1
fi
exit "$status"
