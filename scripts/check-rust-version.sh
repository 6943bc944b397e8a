#!/usr/bin/env bash
# Checks that the workspace's `rust-version` (root Cargo.toml, [workspace.package]) is the
# highest `rust-version` declared by the locked dependencies: not lower (the build would fail
# with a newer-toolchain error on the declared version), not higher (it would refuse toolchains
# that work).
#
#   scripts/check-rust-version.sh
#
# Prints the declared version, the highest one among the dependencies and the package(s) that
# declare it. Exits 0 when the two are equal as versions ("1.88" equals "1.88.0"), 1 when they
# differ, 2 when they cannot be read. Needs only cargo, bash, grep, sed and coreutils: the JSON
# of `cargo metadata` is read with grep, not jq.
#
# Which dependencies count: every package of the lock file's resolve, for all platforms (no
# --filter-platform). `rust-version` is one claim for every user, and a user on Windows or macOS
# builds crates that a Linux build never compiles (windows-sys, core-foundation, …); the highest
# over all platforms is the one that is true everywhere. A build on one platform may work with
# an older toolchain than that; the script prints the host-only figure too, for information.
# Dev-dependencies count as well: `cargo test` on the declared toolchain must work.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-rust-version: $*" >&2; exit 2; }

# "1.88" → "1.88.0", so that sort -V and string equality treat both spellings as one version.
normalize() {
    local v="$1"
    while [[ "$v" != *.*.* ]]; do v="$v.0"; done
    printf '%s\n' "$v"
}

# Prints one line per package: "<rust_version or null> <name>@<version> <id>".
# cargo metadata writes each package object as {"name":…,"version":…,"id":…, …,
# "rust_version":…} with rust_version as its last key; dependency entries inside it have no
# "version"/"id" pair after their name, and quotes inside JSON strings are escaped, so these two
# patterns match only the packages' own keys. The counts are checked below in case a future
# cargo changes the layout.
packages() {
    local json="$1" line name="" ver="" id="" count=0 expected
    local re_pkg='^"name":"([^"]*)","version":"([^"]*)","id":"([^"]*)"$'
    local re_rv='^"rust_version":"?([^"}]*)"?\}$'
    while IFS= read -r line; do
        if [[ "$line" =~ $re_pkg ]]; then
            [[ -z "$name" ]] || fail "package $name has no rust_version key; has cargo metadata's layout changed?"
            name="${BASH_REMATCH[1]}" ver="${BASH_REMATCH[2]}" id="${BASH_REMATCH[3]}"
        elif [[ "$line" =~ $re_rv ]]; then
            [[ -n "$name" ]] || fail "a rust_version key outside a package; has cargo metadata's layout changed?"
            printf '%s %s@%s %s\n' "${BASH_REMATCH[1]}" "$name" "$ver" "$id"
            name=""
            count=$((count + 1))
        fi
    done < <(grep -oE '\{"name":"[^"]*","version":"[^"]*","id":"[^"]*"|"rust_version":(null|"[^"]*")\}' <<<"$json" | sed 's/^{//' || true)
    [[ -z "$name" ]] || fail "package $name has no rust_version key; has cargo metadata's layout changed?"
    expected="$(grep -o '"manifest_path":' <<<"$json" | wc -l)"
    [[ "$count" -eq "$expected" && "$count" -gt 0 ]] ||
        fail "read $count packages from cargo metadata, expected $expected"
}

# The workspace members' package ids, each between newlines (a plain string, not an associative
# array, so that macOS's bash 3.2 runs the script too).
members=$'\n'
is_member() { [[ "$members" == *$'\n'"$1"$'\n'* ]]; }

# The highest rust_version among non-workspace packages, then the packages declaring it:
# "<version> <name@version>[, <name@version>…]", or "none".
highest() {
    local rv pkg id top="" deps="" names=""
    while read -r rv pkg id; do
        [[ "$rv" != null ]] && ! is_member "$id" || continue
        deps+="$(normalize "$rv") $pkg"$'\n'
    done <<<"$1"
    [[ -n "$deps" ]] || { echo "none"; return; }
    top="$(sed '/^$/d; s/ .*//' <<<"$deps" | sort -V | tail -1)"
    while read -r rv pkg; do
        if [[ "$rv" == "$top" ]]; then names+="${names:+, }$pkg"; fi
    done <<<"$(sed '/^$/d' <<<"$deps" | sort)"
    printf '%s %s\n' "$top" "$names"
}

json="$(cargo metadata --format-version 1 --locked)" || fail "cargo metadata failed"
list="$(packages "$json")"
while read -r id; do
    [[ -z "$id" ]] || members+="$id"$'\n'
done <<<"$(grep -o '"workspace_members":\[[^]]*\]' <<<"$json" | grep -o '"[^"]*"' | sed '1d; s/"//g')"
[[ "$members" != $'\n' ]] || fail "no workspace members in cargo metadata's output"

# (a) The declared version: the workspace members' rust_version, which they inherit from
# [workspace.package]. A member that declares none, or another one, is reported.
declared=""
while read -r rv pkg id; do
    is_member "$id" || continue
    [[ "$rv" != null ]] || fail "workspace member $pkg declares no rust-version (add rust-version.workspace = true)"
    if [[ -z "$declared" ]]; then
        declared="$rv"
    elif [[ "$(normalize "$rv")" != "$(normalize "$declared")" ]]; then
        fail "workspace members disagree: $pkg declares $rv, another $declared (use rust-version.workspace = true)"
    fi
done <<<"$list"
[[ -n "$declared" ]] || fail "no workspace member found among cargo metadata's packages"

# (b) The highest among the dependencies, over all platforms.
read -r top top_pkgs <<<"$(highest "$list")"
[[ "$top" != none ]] || fail "no dependency declares a rust-version"

# For information: the same over the packages built on this host only.
host="$(rustc -vV | sed -n 's/^host: //p')"
host_line="unknown"
if [[ -n "$host" ]] && host_json="$(cargo metadata --format-version 1 --locked --filter-platform "$host")"; then
    host_list="$(packages "$host_json")" || exit 2
    host_line="$(highest "$host_list")"
fi

echo "workspace rust-version:               $declared"
echo "highest among locked dependencies:    $top ($top_pkgs)"
if [[ "$host_line" == *" "* ]]; then host_line="${host_line%% *} (${host_line#* })"; fi
echo "  counting only packages for $host: $host_line"

if [[ "$(normalize "$declared")" == "$top" ]]; then
    echo "ok: the workspace's rust-version is the highest one its dependencies declare"
    exit 0
fi
if [[ "$(printf '%s\n%s\n' "$(normalize "$declared")" "$top" | sort -V | tail -1)" == "$top" ]]; then
    echo "rust-version $declared is too low: $top_pkgs declare(s) $top; set rust-version = \"$top\" in Cargo.toml's [workspace.package]" >&2
else
    echo "rust-version $declared is higher than any dependency needs ($top, $top_pkgs); set rust-version = \"$top\" in Cargo.toml's [workspace.package] unless the workspace's own code needs more" >&2
fi
exit 1
