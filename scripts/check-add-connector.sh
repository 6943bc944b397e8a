#!/usr/bin/env bash
# CI check that the scaffold never rots: runs scripts/add-connector.sh in a temporary copy of the
# workspace and checks that the workspace builds, clippy is clean, the new crate's tests, the
# registry's and the conformance suite pass for the new connector, the router picks it up (and
# builds with it alone), that only the expected files changed, and that bad or taken names are
# refused.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The copy holds the repository's files and nothing beside them (the schema tests read the
# processors' documents from the repository's specs/), so it also proves the repository stands
# alone; it reuses the main target directory, so only the workspace's own crates are rebuilt.
mkdir "$work/main"
# Files deleted but not yet committed are listed by git and left out here.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done \
    | xargs -0 tar cf -) | tar xf - -C "$work/main"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
cd "$work/main"
git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm base

fail() { echo "check-add-connector: $*" >&2; exit 1; }
refused() { # name expected-message
    local out
    if out="$(scripts/add-connector.sh "$1" 2>&1)"; then fail "'$1' was accepted"; fi
    grep -q "$2" <<<"$out" || fail "'$1' refused without saying '$2': $out"
}

refused "Bad-Name" "not a valid name"
refused "1abc" "not a valid name"
refused "core" "reserved"
refused "simulators" "reserved"
refused "checkout" "already exists"
[[ -z "$(git status --porcelain)" ]] || fail "a refused name changed files"

scripts/add-connector.sh demo
refused "demo" "already exists"

expected="$(printf '%s\n' \
    "A  connector-tests/src/targets/demo.rs" \
    "A  connector-tests/tests/demo.rs" \
    "A  connectors/demo/Cargo.toml" \
    "A  connectors/demo/src/lib.rs" \
    "A  connectors/demo/src/mapping.rs" \
    "A  connectors/demo/src/wire.rs" \
    "A  connectors/demo/tests/translation.rs" \
    "A  registry/src/demo.rs" \
    "A  sandbox/src/demo.rs" \
    "M  Cargo.toml" \
    "M  connector-tests/src/targets/mod.rs" \
    "M  registry/Cargo.toml" \
    "M  registry/src/lib.rs" \
    "M  router/Cargo.toml" \
    "M  sandbox/src/lib.rs")"
git add -A
changed="$(git status --porcelain | grep -v ' Cargo.lock$' | sort)"
[[ "$changed" == "$expected" ]] || fail "unexpected changes:
$changed"

cargo build --workspace --quiet
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo fmt --all -- --check
cargo test --quiet -p paybridge-demo
# The registry's entry: unique name matching the connector's id, its simulator, its variables;
# and the suite lists it.
cargo test --quiet -p paybridge-registry
cargo test --quiet -p paybridge-connector-tests --lib
out="$(cargo test -p paybridge-connector-tests --test demo -- --nocapture 2>&1)" || { echo "$out"; fail "the suite failed for the scaffold"; }
grep -q "capabilities_agree_with_behaviour *passed" <<<"$out" || { echo "$out"; fail "NotSupported was not asserted"; }
# The router builds connectors from the same registry: it lists the new one, and its tests skip
# it until it supports the flows they drive.
out="$(cargo test -p paybridge-router 2>&1)" || { echo "$out"; fail "the router's tests failed with the scaffold"; }
cargo check --quiet -p paybridge-router --no-default-features --features demo ||
    fail "the router does not build with the new connector alone"
echo "check-add-connector: the scaffold builds, is clippy-clean and passes the suite"
