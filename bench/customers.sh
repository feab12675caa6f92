#!/usr/bin/env bash
# The customers benchmark (issue 11; a measurement, not a test): CreateCustomer beside pgbench
# running its SQL, the near-duplicate lookup's latency, ImportCustomers beside psql COPY, with
# 1,000,000 customers loaded, on one throwaway PostgreSQL in one run (bench/customers.py).
#
#   bench/customers.sh [--skip-build] [--customers N] [--duration S] [--import-rows N]
#                      [--processes N] [--concurrency N] [--pool N] [--only create,near,import]
#                      [--import-phones scattered|sequential] [--statements] [--perf DIR]
#                      [--client both|python] [--rounds N] [--pin-postgres [--pg-cpu 0] [--client-cpu 1]]
#                      [--import-before DIR] [--import-phases]
#
# --pin-postgres measures every round twice: nothing pinned (on 2 cores the service's and the
# clients' CPU compete with PostgreSQL's), then PostgreSQL on --pg-cpu and the service, its
# clients, pgbench and psql on --client-cpu (the database as on its own host, as in
# bench/orders.sh and in production); the table gives both ratios.
# --statements loads pg_stat_statements (with planning tracked) and prints, after each row, the
# statements PostgreSQL ran for it with their per-call execution and planning time: the check
# that the service and its baseline run the same SQL (costs a little; leave it off for figures).
# --perf DIR records call graphs (perf record -g) of xsc-customers and PostgreSQL's backends during
# the CreateCustomer window and the import, into DIR/{create,import}-{service,postgres}.data.
# --import-before DIR runs, after each import row, the same import through DIR/xsc-customers (another
# build, e.g. main's release, as a second service on the same database), beside the same COPY.
# --import-phases runs the services at LOG_LEVEL=info and prints, after the table, each import's
# "import finished" line: where the stream's time went (ImportTimeline: reading the stream, the
# batches' COPY, statements and COMMIT, the time PostgreSQL had nothing of the import to do).
#
# Release binaries (XSC_BIN_DIR=DIR uses the binaries there as they are). Needs PostgreSQL 15
# (server + pgbench + psql) and python3 with grpcio/grpcio-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" statements="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --statements) statements=1; pass+=("$1") ;;
        --pin-postgres|--import-phases) pass+=("$1") ;;
        --customers|--duration|--warmup|--import-rows|--import-phones|--import-before|--processes|--concurrency|--pool|--only|--perf|--client|--rounds|--pg-cpu|--client-cpu) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,28p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
if [ -n "${XSC_BIN_DIR:-}" ]; then
    echo "binaries from XSC_BIN_DIR=$XSC_BIN_DIR (not built here)" >&2
else
    if [ -z "$skip_build" ]; then
        for product in xsc-customers xsc xsc-load; do nice -n 10 swift build -c release --product "$product" >&2; done
    fi
    export XSC_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
command -v pgbench >/dev/null || export PATH="/usr/lib/postgresql/15/bin:$PATH"
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-customers-bench-pg.XXXXXX")"
rmdir "$pg_dir"
eval "$(scripts/pg/start-test-postgres.sh "$pg_dir")"
trap 'scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true' EXIT
# The test cluster's 32 MB of shared buffers suit tests, not a million customers and their
# indexes (every duplicate check read its pages from the kernel's cache, every backend wrote out
# dirty pages itself), and its checkpoints and autovacuum struck in the middle of some rows
# (two pinned import rows took 15-17 s instead of ~7 in session 9). Buffers that hold the data,
# no checkpoint or autovacuum during a row: customers.py runs VACUUM ANALYZE and CHECKPOINT
# before each row instead, so every row starts alike.
psql -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '32GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" -c "ALTER SYSTEM SET autovacuum = off"
if [ -n "$statements" ]; then
    psql -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
fi
. scripts/pg/common.sh
pg_as_owner "$pg_dir" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$pg_dir/server.log" -w -t 30 restart >/dev/null
if [ -n "$statements" ]; then
    # The module's settings exist only once it is loaded: restarted above, set them now.
    psql -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" -c "SELECT pg_reload_conf()" >/dev/null
fi
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start" >&2
# As root, the whole run (the service, its clients, pgbench, psql; PostgreSQL's backends are
# reniced by customers.py) at the priority bench/orders.sh gives its processes: ahead of builds, and
# equal to another engineer's orders benchmark pinned to the same CPUs (at 0 against its -10 the
# pinned rows starved). pgbench always had it (orders.py's pinned()); before session 7 the service,
# its clients and PostgreSQL did not.
prio=()
if [ "$(id -u)" = 0 ]; then prio=(nice -n "${XSC_BENCH_NICE:--10}"); fi
"${prio[@]}" python3 bench/customers.py --superuser-url "$DATABASE_URL" --pgdata "$PGDATA" "${pass[@]}"
