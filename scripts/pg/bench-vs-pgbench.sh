#!/usr/bin/env bash
# Compares the Postgres pool with pgbench on one throwaway server: SELECT 1 (1 and N clients)
# and an "orders intake" transaction (two INSERTs). Figures only; nothing is asserted.
#   scripts/pg/bench-vs-pgbench.sh [seconds] [clients]     (builds the tests in release mode)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-5}"; clients="${2:-8}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

eval "$("$here/start-test-postgres.sh")"
trap '"$here/stop-test-postgres.sh" "$XSC_PG_DIR"' EXIT
work="$(mktemp -d)"
trap '"$here/stop-test-postgres.sh" "$XSC_PG_DIR"; rm -rf "$work"' EXIT

"$PG_BIN/psql" -q "$DATABASE_URL" <<'SQL'
CREATE TABLE bench_orders (id bigserial PRIMARY KEY, customer text NOT NULL, amount bigint NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench_outbox (id bigserial PRIMARY KEY, payload text NOT NULL);
SQL
echo "SELECT 1;" > "$work/select1.sql"
cat > "$work/intake.sql" <<'SQL'
\set amount random(1, 100000)
BEGIN;
INSERT INTO bench_orders (customer, amount) VALUES ('c1', :amount);
INSERT INTO bench_outbox (payload) VALUES ('x');
COMMIT;
SQL
cat > "$work/intake-pipelined.sql" <<'SQL'
\set amount random(1, 100000)
\startpipeline
BEGIN;
INSERT INTO bench_orders (customer, amount) VALUES ('c1', :amount);
INSERT INTO bench_outbox (payload) VALUES ('x');
COMMIT;
\endpipeline
SQL
bench() {
    local label="$1"; shift
    local tps lat
    out="$("$PG_BIN/pgbench" "$DATABASE_URL" -n -M prepared -T "$seconds" "$@" 2>&1)"
    tps="$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')"
    lat="$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
    echo "BENCH pgbench $label: $tps tps, mean latency $lat ms"
}
bench "SELECT 1, 1 client" -c 1 -j 1 -f "$work/select1.sql"
bench "SELECT 1, $clients clients" -c "$clients" -j 2 -f "$work/select1.sql"
bench "intake tx (2 inserts), $clients clients" -c "$clients" -j 2 -f "$work/intake.sql"
bench "intake tx (2 inserts, pipelined), $clients clients" -c "$clients" -j 2 -f "$work/intake-pipelined.sql"

cd "$root"
nice swift build -c release --build-tests >/dev/null
XSC_PG_BENCH=1 XSC_PG_BENCH_SECONDS="$seconds" XSC_PG_BENCH_CLIENTS="$clients" \
    swift test -c release --skip-build --filter PoolBenchmarkTests 2>&1 | grep BENCH
