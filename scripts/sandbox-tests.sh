#!/usr/bin/env bash
# Runs the conformance suite against live processor sandboxes and prints a table of
# scenario × connector results (passed / FAILED / skipped, with reasons below the table).
#
#   scripts/sandbox-tests.sh [connector …]     default: every registered connector
#
# Credentials come from the environment or from a git-ignored `.env` at the repository root
# (lines like PAYBRIDGE_CHECKOUT_SECRET_KEY=sk_sbox_…). Connectors without credentials are
# listed with the variables to set; with none configured the script says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -f .env ]]; then
    set -a
    # shellcheck disable=SC1091
    source .env
    set +a
fi
exec cargo run --quiet -p paybridge-connector-tests --bin live-sandbox -- "$@"
