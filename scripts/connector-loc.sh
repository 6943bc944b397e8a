#!/usr/bin/env bash
# Lines of non-test code per connector crate: the Rust under connectors/<name>/src, without
# blank lines, comments (// and //! and ///) and `#[cfg(test)]` modules. Target: a full
# connector under 900 lines.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '%-12s %6s\n' connector lines
for crate in connectors/*/; do
    name="$(basename "$crate")"
    lines="$(find "$crate/src" -name '*.rs' -print0 | xargs -0 cat | awk '
        # Skip a #[cfg(test)] item to its closing brace at the same depth.
        /^[[:space:]]*#\[cfg\(test\)\]/ { skipping = 1; depth = 0; opened = 0; next }
        skipping {
            n = gsub(/{/, "{"); m = gsub(/}/, "}")
            depth += n - m; if (n > 0) opened = 1
            if (opened && depth <= 0) skipping = 0
            next
        }
        /^[[:space:]]*$/ { next }
        /^[[:space:]]*\/\// { next }
        { count++ }
        END { print count + 0 }')"
    printf '%-12s %6s\n' "$name" "$lines"
done
