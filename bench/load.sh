#!/usr/bin/env bash
# Every service's xsc-load scenario in one run, beside an RPC floor (xsc-bench-server Echo) and
# a database floor (pgbench, one INSERT per transaction) measured in the same run (bench/load.py
# explains it; a measurement, not a test).
#
#   bench/load.sh [--skip-build] [--rounds N] [--duration S] [--warmup S] [--concurrency N] [--connections N] [--only a,b] [--note TEXT]
#
# Release binaries (XSC_BIN_DIR=DIR uses the binaries there as they are). A throwaway PostgreSQL
# 15 (scripts/pg/start-test-postgres.sh). Needs pgbench and python3 with grpcio. Prints a
# markdown table; results/load-STAMP.json keeps every report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --duration|--warmup|--concurrency|--connections|--rounds|--only|--note) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
if [ -n "${XSC_BIN_DIR:-}" ]; then
    echo "binaries from XSC_BIN_DIR=$XSC_BIN_DIR (not built here)" >&2
else
    if [ -z "$skip_build" ]; then
        for product in xsc-gateway xsc-orders xsc-customers xsc-proposals xsc-notifications xsc-settlements xsc xsc-load xsc-bench-server; do
            nice -n 10 swift build -c release --product "$product" >&2
        done
    fi
    export XSC_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
command -v pgbench >/dev/null || { echo "pgbench is missing (apt-get install postgresql-15)" >&2; exit 1; }
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-load-bench-pg.XXXXXX")"
rmdir "$pg_dir"
eval "$(scripts/pg/start-test-postgres.sh "$pg_dir")"
trap 'scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true' EXIT
python3 bench/load.py --superuser-url "$DATABASE_URL" --pgdata "$PGDATA" "${pass[@]}"
