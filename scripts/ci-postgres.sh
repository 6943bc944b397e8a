#!/usr/bin/env bash
# CI: the router's test suites and clippy on PostgreSQL. Installs Debian's postgresql package
# when no server is on the machine (CI runs as root), starts a throwaway cluster on 127.0.0.1
# with a free port, runs the tests with PAYBRIDGE_TEST_DATABASE_URL pointing at it, and removes
# the cluster after, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [[ -z "$(server_bin)" ]]; then
    [[ "$(id -u)" == 0 ]] || { echo "ci-postgres: no PostgreSQL server, and installing one needs root" >&2; exit 1; }
    echo "ci-postgres: installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    # Only the binaries are needed: the package is told not to create (and start) its own
    # cluster, and a failing start script of the package does not matter once they are there.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/paybridge-ci.conf
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null || [[ -n "$(server_bin)" ]]
    [[ -n "$(server_bin)" ]] || { echo "ci-postgres: the install gave no PostgreSQL server" >&2; exit 1; }
fi
bin="$(server_bin)"
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres

data="$(mktemp -d /tmp/paybridge-pg.XXXXXX)"
chown postgres "$data"
as_postgres() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    as_postgres "$bin/pg_ctl" -D "$data/cluster" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT

as_postgres "$bin/initdb" -D "$data/cluster" -U postgres -A trust --no-sync >/dev/null
# A port below Linux's ephemeral range (32768 and up), where no client socket of the tests can
# hold it; the next one if the server still cannot bind. fsync off: a throwaway cluster needs
# no durability, and the suites write a lot.
port=""
for candidate in $(seq 25432 25499); do
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
    if as_postgres "$bin/pg_ctl" -D "$data/cluster" -l "$data/cluster/server.log" -w \
        -o "-h 127.0.0.1 -p $candidate -k $data/cluster -F -c max_connections=300" start >/dev/null; then
        port=$candidate
        break
    fi
    grep -q "could not bind" "$data/cluster/server.log" 2>/dev/null || {
        echo "ci-postgres: the server did not start; its log:" >&2
        cat "$data/cluster/server.log" >&2 || true
        exit 1
    }
done
[[ -n "$port" ]] || { echo "ci-postgres: no port in 25432-25499 could be bound" >&2; exit 1; }
as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE paybridge"
echo "ci-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export PAYBRIDGE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/paybridge"
cargo clippy -p paybridge-router --features postgres --all-targets --locked -- -D warnings
cargo test -p paybridge-router --features postgres --tests --locked

# Two routers on one database, the first killed each round (issue 16): the fault test's short
# mode on a fresh database of this cluster.
as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE paybridge_fault"
bash scripts/fault-test.sh --postgres "postgres://postgres@127.0.0.1:$port/paybridge_fault"
