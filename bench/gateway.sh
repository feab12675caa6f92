#!/usr/bin/env bash
# The gateway benchmark (issue 4; a measurement, not a test): the same unary call
# (bench.v1.Bench/Echo) direct to xsc-bench-server and through xsc-gateway, in one run.
# Prints the gateway's added latency (one call at a time) and its throughput with the gateway
# alone on CPU 0 (bench server and h2load share CPU 1).
#
#   bench/gateway.sh [--debug] [--skip-build] [--requests N] [--latency-requests N]
#
# Release binaries by default (a first release build takes a while on 2 cores); --debug uses
# the debug build (numbers then say little about production); XSC_BIN_DIR=DIR uses the binaries
# there as they are. Needs PostgreSQL 15 binaries,
# h2load, taskset, grpcio + grpcio-tools. Starts and removes its own throwaway PostgreSQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=release skip_build="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --debug) config=debug ;;
        --skip-build) skip_build=1 ;;
        --requests|--latency-requests) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,11p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
if [ -n "${XSC_BIN_DIR:-}" ]; then
    echo "binaries from XSC_BIN_DIR=$XSC_BIN_DIR (not built here)" >&2
else
    if [ -z "$skip_build" ]; then
        for product in xsc-gateway xsc-bench-server xsc; do
            nice -n 10 swift build -c "$config" --product "$product" >&2
        done
    fi
    export XSC_BIN_DIR="$(swift build -c "$config" --show-bin-path)"
fi

pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-gw-bench-pg.XXXXXX")"
rmdir "$pg_dir"
eval "$(scripts/pg/start-test-postgres.sh "$pg_dir")"
trap 'scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true' EXIT
psql -X -q -d "$DATABASE_URL" -c "CREATE DATABASE gateway_bench" >/dev/null
superuser_url="${DATABASE_URL%/*}/gateway_bench"
secrets="$pg_dir/secrets"
DATABASE_URL="$superuser_url" "$XSC_BIN_DIR/xsc" db-bootstrap --secrets-dir "$secrets" gateway >&2
echo "build: $config" >&2
python3 bench/gateway.py --database-url "$(cat "$secrets/gateway.database-url")" "${pass[@]}"
