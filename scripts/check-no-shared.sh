#!/usr/bin/env bash
# CI check that the repository stands alone: no tracked file reaches outside the repository into
# the shared directory beside it (../shared, shared/specs, shared/reference, shared/seeds).
# The processors' OpenAPI documents are in specs/ (derived copies) and the wire reference is
# docs/processors.md. Exempt: Markdown (which may say where the originals came from) and this
# script, whose pattern names what it looks for.
# Lists every offending file:line and exits 1; exits 0 when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

pattern='(\.\./)+shared\b|shared/(specs|reference|seeds)\b'
found=0
while IFS= read -r -d '' file; do
    case "$file" in
        *.md | scripts/check-no-shared.sh) continue ;;
    esac
    [[ -f "$file" ]] || continue # deleted in the work tree
    if grep -HnIE "$pattern" -- "$file"; then
        found=1
    fi
done < <(git ls-files -z)

if ((found)); then
    echo "check-no-shared: the lines above reach outside the repository into shared/" >&2
    exit 1
fi
echo "check-no-shared: no tracked file reads ../shared"
