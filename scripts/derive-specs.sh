#!/usr/bin/env bash
# Regenerates specs/*.json — the repository's derived copies of the processors' published
# OpenAPI documents, which the schema tests read — from the originals, and records each
# original's SHA-256 in specs/README.md. What is kept, stripped and trimmed: specs/README.md and
# connector-tests/examples/derive_spec.rs. The same originals always give the same bytes.
#
#   scripts/derive-specs.sh SOURCE-DIR
#
# SOURCE-DIR holds the published documents under their file names below (the maintainers keep
# them outside the repository). It is named on every run, never assumed: nothing in the
# repository reads outside it at build or test time.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "derive-specs: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || fail "usage: scripts/derive-specs.sh SOURCE-DIR (the published documents)"
src="$1"
[[ -d "$src" ]] || fail "no source directory $src"
src="$(cd "$src" && pwd)"
[[ "$src" != "$repo/specs" ]] || fail "the source must be the published originals, not specs/"

files=(
    checkout-nas-payments-openapi.json
    checkout-tokens-openapi.json
    primer-v2.2-openapi.json
    stripe-payments-openapi.json
    stripe-tokens-openapi.json
)
for f in "${files[@]}"; do
    [[ -f "$src/$f" ]] || fail "missing $src/$f"
    grep -qF "(\`$f\`): \`" "$repo/specs/README.md" ||
        fail "specs/README.md has no SHA-256 line for $f"
done

cd "$repo"
cargo run --quiet -p paybridge-connector-tests --example derive_spec -- "$src" specs "${files[@]}"

readme="$(mktemp)"
trap 'rm -f "$readme"' EXIT
cp specs/README.md "$readme"
for f in "${files[@]}"; do
    sum="$(sha256sum "$src/$f" | cut -d' ' -f1)"
    name="${f//./\\.}"
    sed -E "s|^(- Original's SHA-256 \(\`$name\`\): \`)[0-9a-f]*(\`)|\1$sum\2|" "$readme" >"$readme.new"
    mv "$readme.new" "$readme"
    grep -qF "(\`$f\`): \`$sum\`" "$readme" || fail "could not record the SHA-256 of $f"
done
cp "$readme" specs/README.md
echo "derive-specs: specs/ derived from $src"
