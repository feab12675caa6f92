#!/usr/bin/env bash
# The SubmitOrder benchmark (issue 5; a measurement, not a test): xsc-orders direct (minted
# partner actor) and through xsc-gateway (partner key), beside pgbench running the intake's SQL
# as separate statements and as one statement, on the same throwaway PostgreSQL in one run.
# PostgreSQL on CPU 0; pgbench, xsc-orders-bench, xsc-orders, xsc-gateway on CPU 1.
#
#   bench/orders.sh [--skip-build] [--rounds N] [--duration S] [--warmup S] [--concurrency N]
#                   [--connections N] [--pgbench-clients N] [--only a,b] [--note TEXT]
#                   [--before-bin-dir DIR] [--pgbench-script LABEL=FILE] [--perf DIR] [--callgrind DIR]
#                   [--pg-stats] [--service-env NAME=VALUE] [--perf-stat EVENTS]
#                   [--perf-event EVENT]
#
# Release binaries (XSC_BIN_DIR=DIR uses the binaries there as they are). --before-bin-dir
# measures an earlier build's xsc-orders and xsc-gateway in the same run; --pgbench-script runs
# more SQL; --perf records each service run with perf; --pg-stats counts PostgreSQL's work per
# order in each row (bench/pg_work.py: statements, blocks, WAL, HOT updates); --service-env
# sets a variable for the services (XSC_OUTBOX_HANDOFF=on); --perf-stat counts perf events per
# call in each service process (allocations, system calls: bench/README.md, session 9), and
# --perf-event EVENT makes --perf record that event's stacks instead of CPU samples; --callgrind
# DIR runs the services under callgrind and prints their instructions per call (steady on a busy
# machine). Needs PostgreSQL 15 (server + pgbench), taskset, python3 (perf for --perf and
# --perf-stat, valgrind for --callgrind). Prints a table; results/orders-STAMP.json keeps all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" pg_stats="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --keep) pass+=("$1") ;;
        --pg-stats) pg_stats=1; pass+=("$1") ;;
        --rounds|--duration|--warmup|--concurrency|--connections|--pgbench-clients|--only|--note|--perf|--pgbench-script|--before-bin-dir|--service-env|--perf-stat|--perf-event|--callgrind) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,23p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
if [ -n "${XSC_BIN_DIR:-}" ]; then
    echo "binaries from XSC_BIN_DIR=$XSC_BIN_DIR (not built here)" >&2
else
    if [ -z "$skip_build" ]; then
        for product in xsc-orders xsc-gateway xsc xsc-orders-bench; do
            nice -n 10 swift build -c release --product "$product" >&2
        done
    fi
    export XSC_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
command -v pgbench >/dev/null || { echo "pgbench is missing (apt-get install postgresql-15)" >&2; exit 1; }

pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-orders-bench-pg.XXXXXX")"
rmdir "$pg_dir"
eval "$(scripts/pg/start-test-postgres.sh "$pg_dir")"
trap 'scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true' EXIT
# The test cluster's 32 MB of shared buffers and 1 GB of WAL between checkpoints are for tests:
# a benchmark run writes gigabytes, so the tables outgrew the buffers after the first rows (every
# backend writing out dirty pages itself) and checkpoints struck in the middle of some rows (full
# page images after each): later rounds got slower than earlier ones for reasons of neither the
# service nor pgbench. Buffers that hold the run, no checkpoint or autovacuum during a row:
# orders.py clears the outbox backlog, runs VACUUM ANALYZE and CHECKPOINT before each row.
psql -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '32GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" -c "ALTER SYSTEM SET autovacuum = off"
if [ -n "$pg_stats" ]; then
    # pg_stat_statements is loaded at server start only.
    psql -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
fi
. scripts/pg/common.sh
pg_as_owner "$pg_dir" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$pg_dir/server.log" -w -t 30 restart >/dev/null
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start" >&2
python3 bench/orders.py --superuser-url "$DATABASE_URL" --pgdata "$PGDATA" "${pass[@]}"
